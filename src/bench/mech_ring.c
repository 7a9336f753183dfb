/* SPDX-License-Identifier: MIT */
/*
 * src/bench/mech_ring.c - shmring's own rings, through the public API only.
 *
 * One code serves every ring kind and wait policy: a mechanism is a table
 * entry naming the kind and how to wait (busy-poll on the try_ calls, or the
 * blocking calls under a wait policy). A round trip uses two rings, one per
 * direction; each ring is created by the parent before fork and opened by
 * each process after, as unrelated processes would.
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <shmring/shmring.h>

#include "bench.h"
#include "pair.h"
#include "timing.h"

struct ring_arg {
	uint32_t kind;  /* enum shmring_kind */
	bool busy;      /* spin on try_send/try_recv with a pause */
	uint32_t wait;  /* enum shmring_wait_mode for the blocking calls */
	unsigned batch; /* > 0: busy-poll bursts of up to this many (throughput only) */
	uint32_t notifier; /* enum shmring_notifier of the rings */
	unsigned bell;  /* receive by the doorbell: BELL_WAIT (sigtimedwait) or BELL_EPOLL */
};

#define BELL_WAIT 1u  /* shmring_doorbell_wait() */
#define BELL_EPOLL 2u /* a signalfd in an epoll loop */

struct ring_priv {
	char uri[2][64];
	int obj[2];
};

/* The most messages one batching call moves. */
#define RING_MAX_BATCH 64u

struct ring_handles {
	shmring_t *tx; /* producer on direction `side` */
	shmring_t *rx; /* consumer on direction 1 - side */
	/* Batching mechanisms: messages held back by send, and those a burst
	 * brought in that recv has not handed out yet. */
	unsigned char *txbuf, *rxbuf;
	unsigned txn, rxn, rxpos;
	struct shmring_msgvec vec[RING_MAX_BATCH];
	int sfd, ep; /* BELL_EPOLL: the doorbell's signalfd and the loop's epoll */
};

uint64_t shmring_bench_ring_capacity(uint32_t kind, unsigned size)
{
	uint64_t cap = 4096;

	if (kind != SHMRING_KIND_MSG) {
		while (cap > 2 && cap * size > (8u << 20))
			cap >>= 1;
		return cap;
	}
	uint64_t span = shmring_msg_span(size), want = 4096 * span;

	cap = SHMRING_MSG_MIN_CAPACITY;
	while (cap < want && cap < (8u << 20))
		cap <<= 1;
	while (cap < 2 * span)
		cap <<= 1;
	return cap;
}

static void ring_teardown(struct shmring_bench_chan *c)
{
	struct ring_priv *p = c->priv;

	if (!p)
		return;
	for (int d = 0; d < 2; d++) {
		if (p->obj[d] < 0)
			continue;
		shmring_unlink(p->uri[d]);
		shmring_bench_obj_forget(p->obj[d]);
	}
	free(p);
	c->priv = NULL;
}

static int ring_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	const struct ring_arg *a = c->mech->arg;
	struct ring_priv *p = calloc(1, sizeof(*p));
	struct shmring_opts o;

	if (!p)
		return -ENOMEM;
	p->obj[0] = p->obj[1] = -1;
	c->priv = p;
	memset(&o, 0, sizeof(o));
	o.kind = a->kind;
	o.slot_size = c->size;
	o.capacity = shmring_bench_ring_capacity(a->kind, c->size);
	o.notifier = a->notifier;
	for (int d = 0; d < 2; d++) {
		shmring_t *h = NULL;
		int rc;

		shmring_bench_name(p->uri[d], sizeof(p->uri[d]), NULL);
		rc = shmring_create(p->uri[d], &o, SHMRING_OBSERVER, &h);
		if (rc) {
			snprintf(why, wl, "shmring_create %s: %s", p->uri[d], shmring_strerror(rc));
			ring_teardown(c);
			return rc;
		}
		p->obj[d] = shmring_bench_obj_add(SHMRING_BENCH_OBJ_SHM, p->uri[d], 0);
		shmring_close(h);
	}
	return 0;
}

/* The doorbell's signal: blocked in this process (a real-time signal that
 * nobody blocks would end it), registered on our receiving ring. */
static int bell_signo(void)
{
	return SIGRTMIN + 2;
}

static int bell_attach(struct ring_handles *h, unsigned how)
{
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t s;
	int rc;

	sigemptyset(&s);
	sigaddset(&s, bell_signo());
	if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
		return -errno;
	rc = shmring_doorbell_register(h->rx, bell_signo(), 1);
	if (rc < 0 || how != BELL_EPOLL)
		return rc;
	h->sfd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
	h->ep = epoll_create1(EPOLL_CLOEXEC);
	if (h->sfd < 0 || h->ep < 0)
		return -errno;
	ev.data.fd = h->sfd;
	return epoll_ctl(h->ep, EPOLL_CTL_ADD, h->sfd, &ev) < 0 ? -errno : 0;
}

static int ring_attach(struct shmring_bench_chan *c)
{
	const struct ring_arg *a = c->mech->arg;
	const struct ring_priv *p = c->priv;
	struct ring_handles *h = calloc(1, sizeof(*h));
	struct shmring_wait w;
	int rc;

	if (!h)
		return -ENOMEM;
	c->scratch = h;
	if (a->batch) {
		h->txbuf = malloc((size_t)a->batch * c->size);
		h->rxbuf = malloc((size_t)a->batch * c->size);
		if (!h->txbuf || !h->rxbuf)
			return -ENOMEM;
	}
	rc = shmring_open(p->uri[c->side], SHMRING_PRODUCER, &h->tx);
	if (rc == 0)
		rc = shmring_open(p->uri[1 - c->side], SHMRING_CONSUMER, &h->rx);
	if (rc == 0 && !a->busy) {
		memset(&w, 0, sizeof(w));
		w.mode = a->wait;
		rc = shmring_set_wait(h->tx, &w);
		if (rc == 0)
			rc = shmring_set_wait(h->rx, &w);
	}
	h->sfd = h->ep = -1;
	if (rc == 0 && a->bell)
		rc = bell_attach(h, a->bell);
	return rc;
}

static void ring_detach(struct shmring_bench_chan *c)
{
	struct ring_handles *h = c->scratch;

	if (!h)
		return;
	shmring_close(h->tx);
	shmring_close(h->rx);
	if (h->sfd >= 0)
		close(h->sfd);
	if (h->ep >= 0)
		close(h->ep);
	free(h->txbuf);
	free(h->rxbuf);
	free(h);
	c->scratch = NULL;
}

/* One attempt, as 0 / -EAGAIN / -errno, for either family of calls. */
static int try_send1(const struct ring_arg *a, struct shmring_bench_chan *c, shmring_t *h,
		     const void *msg)
{
	if (a->kind == SHMRING_KIND_MSG)
		return shmring_msg_try_send(h, msg, c->size, 0);
	return shmring_try_send(h, msg);
}

/* A record of any other length than the one sent is a torn transport. */
static int msg_len(ssize_t n, unsigned size)
{
	if (n < 0)
		return (int)n;
	return (size_t)n == size ? 0 : -EBADMSG;
}

static int try_recv1(const struct ring_arg *a, struct shmring_bench_chan *c, shmring_t *h,
		     void *msg)
{
	if (a->kind == SHMRING_KIND_MSG)
		return msg_len(shmring_msg_try_recv(h, msg, c->size, NULL), c->size);
	return shmring_try_recv(h, msg);
}

/* Batching: push out every held message, in bursts, spinning while full. */
static int batch_flush(struct shmring_bench_chan *c)
{
	const struct ring_arg *a = c->mech->arg;
	struct ring_handles *h = c->scratch;
	unsigned done = 0;
	int rc;

	while (done < h->txn) {
		unsigned k;

		if (a->kind == SHMRING_KIND_MSG) {
			for (unsigned i = done; i < h->txn; i++)
				h->vec[i - done] = (struct shmring_msgvec){
					.buf = h->txbuf + (size_t)i * c->size, .len = c->size};
			k = shmring_msg_try_send_burst(h->tx, h->vec, h->txn - done);
		} else {
			k = shmring_try_send_burst(h->tx, h->txbuf + (size_t)done * c->size,
						   h->txn - done);
		}
		if (k == 0 && (rc = shmring_bench_spin()) != 0)
			return rc;
		done += k;
	}
	h->txn = 0;
	return 0;
}

static int batch_send(struct shmring_bench_chan *c, const void *msg)
{
	const struct ring_arg *a = c->mech->arg;
	struct ring_handles *h = c->scratch;

	memcpy(h->txbuf + (size_t)h->txn * c->size, msg, c->size);
	if (++h->txn < a->batch)
		return 0;
	return batch_flush(c);
}

static int batch_recv(struct shmring_bench_chan *c, void *msg)
{
	const struct ring_arg *a = c->mech->arg;
	struct ring_handles *h = c->scratch;
	int rc;

	while (h->rxpos == h->rxn) {
		unsigned k;

		if (a->kind == SHMRING_KIND_MSG) {
			for (unsigned i = 0; i < a->batch; i++)
				h->vec[i] = (struct shmring_msgvec){
					.buf = h->rxbuf + (size_t)i * c->size, .len = c->size};
			k = shmring_msg_try_recv_burst(h->rx, h->vec, a->batch);
			for (unsigned i = 0; i < k; i++)
				if (h->vec[i].len != c->size)
					return -EBADMSG;
		} else {
			k = shmring_try_recv_burst(h->rx, h->rxbuf, a->batch);
		}
		if (k) {
			h->rxn = k;
			h->rxpos = 0;
			break;
		}
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	}
	memcpy(msg, h->rxbuf + (size_t)h->rxpos++ * c->size, c->size);
	return 0;
}

static int ring_send(struct shmring_bench_chan *c, const void *msg)
{
	const struct ring_arg *a = c->mech->arg;
	struct ring_handles *h = c->scratch;
	int rc;

	if (a->batch)
		return batch_send(c, msg);
	if (!a->busy)
		return a->kind == SHMRING_KIND_MSG
			       ? shmring_msg_send(h->tx, msg, c->size, 0, c->deadline_ns)
			       : shmring_send(h->tx, msg, c->deadline_ns);
	while ((rc = try_send1(a, c, h->tx, msg)) == -EAGAIN)
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	return rc;
}

/*
 * Receive by the doorbell, as an event loop does: take what is there; when
 * nothing is, arm the doorbell and sleep until its signal (sigtimedwait in
 * shmring_doorbell_wait(), or epoll on a signalfd).
 */
static int bell_recv(const struct ring_arg *a, struct shmring_bench_chan *c,
		     struct ring_handles *h, void *msg)
{
	struct signalfd_siginfo si;
	struct epoll_event ev;
	int rc;

	while ((rc = try_recv1(a, c, h->rx, msg)) == -EAGAIN) {
		if (a->bell == BELL_WAIT) {
			rc = shmring_doorbell_wait(h->rx, c->deadline_ns);
			if (rc < 0)
				return rc;
			continue;
		}
		rc = shmring_doorbell_arm(h->rx);
		if (rc < 0)
			return rc;
		if (rc == 1)
			continue;
		rc = epoll_wait(h->ep, &ev, 1, 1000);
		if (rc < 0 && errno != EINTR)
			return -errno;
		while (read(h->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			;
		if ((rc = shmring_bench_spin()) != 0) /* the watchdog's word on the run */
			return rc;
	}
	return rc;
}

static int ring_recv(struct shmring_bench_chan *c, void *msg)
{
	const struct ring_arg *a = c->mech->arg;
	struct ring_handles *h = c->scratch;
	int rc;

	if (a->batch)
		return batch_recv(c, msg);
	if (a->bell)
		return bell_recv(a, c, h, msg);
	if (!a->busy)
		return a->kind == SHMRING_KIND_MSG
			       ? msg_len(shmring_msg_recv(h->rx, msg, c->size, NULL,
							  c->deadline_ns),
					 c->size)
			       : shmring_recv(h->rx, msg, c->deadline_ns);
	while ((rc = try_recv1(a, c, h->rx, msg)) == -EAGAIN)
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	return rc;
}

/*
 * The table: one entry per ring kind and wait policy. A new ring kind is one
 * more ring_arg and one more mechanism here, plus its line in mechs.c.
 * MPSC, SPMC and MPMC run here with one producer and one consumer: the cost
 * of their many-party protocol against SPSC. Their scaling with many
 * processes is `shmring bench --scaling` (scale.c).
 */
#define RING_MECH_OF(ident, mname, mdesc, mmodes, mwhy_not_rtt, mflush, ...)                       \
	static const struct ring_arg ident##_arg = {__VA_ARGS__};                                  \
	const struct shmring_bench_mech ident = {                                                  \
	    .name = mname,                                                                         \
	    .desc = mdesc,                                                                         \
	    .modes = (mmodes),                                                                     \
	    .max_size = SHMRING_MAX_SLOT_SIZE,                                                     \
	    .why_not_rtt = mwhy_not_rtt,                                                           \
	    .arg = &ident##_arg,                                                                   \
	    .setup = ring_setup,                                                                   \
	    .attach = ring_attach,                                                                 \
	    .send = ring_send,                                                                     \
	    .recv = ring_recv,                                                                     \
	    .detach = ring_detach,                                                                 \
	    .teardown = ring_teardown,                                                             \
	    .flush = mflush,                                                                       \
	}
#define RING_MECH(ident, mname, mdesc, ...)                                                        \
	RING_MECH_OF(ident, mname, mdesc, SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT, NULL, NULL,      \
	             __VA_ARGS__)
/* Batching: throughput only, as a sender that holds messages back cannot
 * take part in a round trip. */
#define RING_BATCH_MECH(ident, mname, mdesc, ...)                                                  \
	RING_MECH_OF(ident, mname, mdesc, SHMRING_BENCH_TPUT, SHMRING_BENCH_WHY_BATCH,             \
	             batch_flush, __VA_ARGS__)

#define BATCH 32u
static_assert(BATCH <= RING_MAX_BATCH, "batch above the handles' buffers");

RING_MECH(shmring_bench_mech_spsc, "shmring-spsc",
	  "shmring SPSC ring, busy-poll (try_send/try_recv with pause)",
	  .kind = SHMRING_KIND_SPSC, .busy = true);
RING_MECH(shmring_bench_mech_spsc_adaptive, "shmring-spsc-adaptive",
	  "shmring SPSC ring, blocking calls, adaptive wait (spin, yield, park)",
	  .kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_ADAPTIVE);
RING_MECH(shmring_bench_mech_spsc_block, "shmring-spsc-block",
	  "shmring SPSC ring, blocking calls, park on the futex at once",
	  .kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK);
RING_MECH(shmring_bench_mech_spsc_psem, "shmring-spsc-psem",
	  "shmring SPSC ring, blocking calls, park on a POSIX semaphore (psem notifier)",
	  .kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK,
	  .notifier = SHMRING_NOTIFIER_PSEM);
RING_MECH(shmring_bench_mech_spsc_sysvsem, "shmring-spsc-sysvsem",
	  "shmring SPSC ring, blocking calls, park on a System V semaphore (sysvsem notifier)",
	  .kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK,
	  .notifier = SHMRING_NOTIFIER_SYSVSEM);
RING_MECH(shmring_bench_mech_spsc_doorbell, "shmring-spsc-doorbell",
	  "shmring SPSC ring, receive by the signal doorbell (sigtimedwait)",
	  .kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK, .bell = BELL_WAIT);
RING_MECH(shmring_bench_mech_spsc_doorbell_epoll, "shmring-spsc-doorbell-epoll",
	  "shmring SPSC ring, receive by the signal doorbell (signalfd in epoll)",
	  .kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK, .bell = BELL_EPOLL);
RING_BATCH_MECH(shmring_bench_mech_spsc_batch, "shmring-spsc-batch",
		"shmring SPSC ring, bursts of 32 (try_send_burst/try_recv_burst), busy-poll",
		.kind = SHMRING_KIND_SPSC, .busy = true, .batch = BATCH);

RING_MECH(shmring_bench_mech_mpsc, "shmring-mpsc",
	  "shmring MPSC ring (one producer here), busy-poll", .kind = SHMRING_KIND_MPSC,
	  .busy = true);
RING_MECH(shmring_bench_mech_mpsc_adaptive, "shmring-mpsc-adaptive",
	  "shmring MPSC ring, blocking calls, adaptive wait", .kind = SHMRING_KIND_MPSC,
	  .wait = SHMRING_WAIT_ADAPTIVE);
RING_BATCH_MECH(shmring_bench_mech_mpsc_batch, "shmring-mpsc-batch",
		"shmring MPSC ring, bursts of 32, busy-poll", .kind = SHMRING_KIND_MPSC,
		.busy = true, .batch = BATCH);

RING_MECH(shmring_bench_mech_spmc, "shmring-spmc",
	  "shmring SPMC ring (one consumer here), busy-poll", .kind = SHMRING_KIND_SPMC,
	  .busy = true);
RING_MECH(shmring_bench_mech_spmc_adaptive, "shmring-spmc-adaptive",
	  "shmring SPMC ring, blocking calls, adaptive wait", .kind = SHMRING_KIND_SPMC,
	  .wait = SHMRING_WAIT_ADAPTIVE);
RING_BATCH_MECH(shmring_bench_mech_spmc_batch, "shmring-spmc-batch",
		"shmring SPMC ring, bursts of 32, busy-poll", .kind = SHMRING_KIND_SPMC,
		.busy = true, .batch = BATCH);

RING_MECH(shmring_bench_mech_mpmc, "shmring-mpmc",
	  "shmring MPMC ring (one of each here), busy-poll", .kind = SHMRING_KIND_MPMC,
	  .busy = true);
RING_MECH(shmring_bench_mech_mpmc_adaptive, "shmring-mpmc-adaptive",
	  "shmring MPMC ring, blocking calls, adaptive wait", .kind = SHMRING_KIND_MPMC,
	  .wait = SHMRING_WAIT_ADAPTIVE);
RING_BATCH_MECH(shmring_bench_mech_mpmc_batch, "shmring-mpmc-batch",
		"shmring MPMC ring, bursts of 32, busy-poll", .kind = SHMRING_KIND_MPMC,
		.busy = true, .batch = BATCH);

RING_MECH(shmring_bench_mech_msg, "shmring-msg",
	  "shmring message ring (records of the message size), busy-poll",
	  .kind = SHMRING_KIND_MSG, .busy = true);
RING_MECH(shmring_bench_mech_msg_adaptive, "shmring-msg-adaptive",
	  "shmring message ring, blocking calls, adaptive wait", .kind = SHMRING_KIND_MSG,
	  .wait = SHMRING_WAIT_ADAPTIVE);
RING_BATCH_MECH(shmring_bench_mech_msg_batch, "shmring-msg-batch",
		"shmring message ring, bursts of 32 records, busy-poll", .kind = SHMRING_KIND_MSG,
		.busy = true, .batch = BATCH);
