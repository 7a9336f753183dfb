/* SPDX-License-Identifier: MIT */
/*
 * src/bench/ring_shmring.c - shmring's own rings as a transport (rings.h),
 * through the public API only: every kind, fixed slots or message records,
 * with a wait policy and a notifier for the blocking calls, and the signal
 * doorbell as a way to receive.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "bench.h"
#include "pair.h"
#include "rings.h"
#include "shmring/lane.h"

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

static void sh_destroy(struct shmring_bench_rings *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		if (r->obj[i] < 0)
			continue;
		shmring_unlink(r->uri[i]);
		shmring_bench_obj_forget(r->obj[i]);
	}
}

/*
 * A duplex (SHMRING_CREATE_DUPLEX in the line's flags): the two rings of a
 * pair are its two directions, one segment under the first name; created
 * without taking an end, so neither process sees the other gone before it
 * has come.
 */
static int duplex_create(struct shmring_bench_rings *r, struct shmring_opts *o, char *why,
			 size_t wl)
{
	shmring_t *d0 = NULL, *d1 = NULL;
	int rc;

	if (r->n != 2) {
		snprintf(why, wl, "a duplex has two directions, not %u", r->n);
		return 1;
	}
	o->flags &= ~(uint32_t)SHMRING_CREATE_DUPLEX;
	shmring_bench_name(r->uri[0], sizeof(r->uri[0]), NULL);
	rc = shmring_duplex_create(r->uri[0], o, SHMRING_DUPLEX_OBSERVE, &d0, &d1);
	if (rc) {
		snprintf(why, wl, "shmring_duplex_create %s: %s", r->uri[0], shmring_strerror(rc));
		return rc;
	}
	r->obj[0] = shmring_bench_obj_add(SHMRING_BENCH_OBJ_SHM, r->uri[0], 0);
	r->obj[1] = -1; /* one segment */
	shmring_close(d0);
	shmring_close(d1);
	return 0;
}

/*
 * A process's duplex end comes as two handles from one call; the pair opens
 * its sending and its receiving ring one after the other, so the handle not
 * asked for yet waits here (one pair per process).
 */
static struct {
	const struct shmring_bench_rings *r;
	shmring_t *h[2]; /* by direction */
} duplex_held;

/* The handle of direction e->i in the role e asks for: end A sends on
 * direction 0 and receives on 1. */
static int duplex_open(struct shmring_bench_ring_end *e, shmring_t **out)
{
	unsigned end = e->producer ? e->i : 1 - e->i;
	shmring_t *tx, *rx;
	int rc;

	if (duplex_held.r == e->r && duplex_held.h[e->i]) {
		*out = duplex_held.h[e->i];
		duplex_held.h[e->i] = NULL;
		return 0;
	}
	rc = shmring_duplex_open(e->r->uri[0], end, NULL, &tx, &rx);
	if (rc)
		return rc;
	duplex_held.r = e->r;
	duplex_held.h[1 - e->i] = e->producer ? rx : tx;
	*out = e->producer ? tx : rx;
	return 0;
}

static int sh_create(struct shmring_bench_rings *r, char *why, size_t wl)
{
	struct shmring_opts o;

	memset(&o, 0, sizeof(o));
	o.kind = r->o->kind;
	o.slot_size = r->size;
	o.capacity = shmring_bench_ring_capacity(r->o->kind, r->size);
	o.notifier = r->o->notifier;
	o.flags = r->o->flags;
	/* A message ring is created for what will use it: many producers or
	 * consumers only when the run has them, as a user would (one of each
	 * is faster). */
	if (r->o->kind == SHMRING_KIND_MSG && (r->hints & SHMRING_BENCH_RING_MP))
		o.flags |= SHMRING_CREATE_MULTI_PRODUCER;
	if (r->o->kind == SHMRING_KIND_MSG && (r->hints & SHMRING_BENCH_RING_MC))
		o.flags |= SHMRING_CREATE_MULTI_CONSUMER;
	if (o.flags & SHMRING_CREATE_DUPLEX)
		return duplex_create(r, &o, why, wl);
	for (unsigned i = 0; i < r->n; i++) {
		shmring_t *h = NULL;
		int rc;

		shmring_bench_name(r->uri[i], sizeof(r->uri[i]), NULL);
		rc = shmring_create(r->uri[i], &o, SHMRING_OBSERVER, &h);
		if (rc) {
			snprintf(why, wl, "shmring_create %s: %s", r->uri[i], shmring_strerror(rc));
			sh_destroy(r);
			return rc;
		}
		r->obj[i] = shmring_bench_obj_add(SHMRING_BENCH_OBJ_SHM, r->uri[i], 0);
		shmring_close(h);
	}
	return 0;
}

/* A process's end: the handle, the bursts' vectors of a message ring, for
 * the doorbell's epoll loop its signalfd and epoll, and the handle's lane
 * when single messages go inline. */
struct sh_local {
	struct shmring_msgvec vec[SHMRING_BENCH_RING_MAX_BATCH];
	int sfd, ep;
	struct shmring_lane *lane;
};

/* The doorbell's signal: blocked in this process (a real-time signal that
 * nobody blocks would end it), registered on our receiving ring. */
static int bell_signo(void)
{
	return SIGRTMIN + 2;
}

static int bell_attach(shmring_t *h, struct sh_local *l, unsigned how)
{
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t s;
	int rc;

	sigemptyset(&s);
	sigaddset(&s, bell_signo());
	if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
		return -errno;
	rc = shmring_doorbell_register(h, bell_signo(), 1);
	if (rc < 0 || how != SHMRING_BENCH_BELL_EPOLL)
		return rc;
	l->sfd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->sfd < 0 || l->ep < 0)
		return -errno;
	ev.data.fd = l->sfd;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, l->sfd, &ev) < 0 ? -errno : 0;
}

static int sh_open(struct shmring_bench_ring_end *e)
{
	const struct shmring_bench_ring_opts *o = e->r->o;
	struct sh_local *l = calloc(1, sizeof(*l));
	shmring_t *h = NULL;
	int rc;

	if (!l)
		return -ENOMEM;
	l->sfd = l->ep = -1;
	e->local = l;
	rc = (o->flags & SHMRING_CREATE_DUPLEX)
		     ? duplex_open(e, &h)
		     : shmring_open(e->r->uri[e->i], e->producer ? SHMRING_PRODUCER : SHMRING_CONSUMER,
				    &h);
	if (rc)
		return rc;
	e->ring = h;
	if (e->block) {
		struct shmring_wait w;

		memset(&w, 0, sizeof(w));
		w.mode = o->wait;
		rc = shmring_set_wait(h, &w);
	}
	if (rc == 0 && o->bell && !e->producer)
		rc = bell_attach(h, l, o->bell);
	if (rc == 0 && (o->lane == SHMRING_BENCH_LANE_BOTH ||
			(o->lane == SHMRING_BENCH_LANE_SEND && e->producer)))
		rc = shmring_lane_get(h, e->producer ? SHMRING_PRODUCER : SHMRING_CONSUMER,
				      &l->lane);
	if (rc == 0 && o->slip && !e->producer)
		rc = shmring_set_slip(h, o->slip);
	return rc;
}

static void sh_close(struct shmring_bench_ring_end *e)
{
	struct sh_local *l = e->local;

	shmring_close(e->ring);
	e->ring = NULL;
	if (!l)
		return;
	if (l->sfd >= 0)
		close(l->sfd);
	if (l->ep >= 0)
		close(l->ep);
	free(l);
	e->local = NULL;
}

static bool is_msg(const struct shmring_bench_ring_end *e)
{
	return e->r->o->kind == SHMRING_KIND_MSG;
}

/* A record of any other length than the one sent is a torn transport. */
static int msg_len(ssize_t n, unsigned size)
{
	if (n < 0)
		return (int)n;
	return (size_t)n == size ? 0 : -EBADMSG;
}

static int sh_try_send(struct shmring_bench_ring_end *e, const void *msg)
{
	const struct sh_local *l = e->local;

	if (l->lane)
		return shmring_lane_try_send(l->lane, msg);
	if (is_msg(e))
		return shmring_msg_try_send(e->ring, msg, e->r->size, 0);
	return shmring_try_send(e->ring, msg);
}

static int sh_try_recv(struct shmring_bench_ring_end *e, void *msg)
{
	const struct sh_local *l = e->local;

	if (l->lane)
		return shmring_lane_try_recv(l->lane, msg);
	if (is_msg(e))
		return msg_len(shmring_msg_try_recv(e->ring, msg, e->r->size, NULL), e->r->size);
	return shmring_try_recv(e->ring, msg);
}

static int sh_send(struct shmring_bench_ring_end *e, const void *msg, uint64_t deadline_ns)
{
	if (is_msg(e))
		return shmring_msg_send(e->ring, msg, e->r->size, 0, deadline_ns);
	return shmring_send(e->ring, msg, deadline_ns);
}

/*
 * Receive by the doorbell, as an event loop does: take what is there; when
 * nothing is, arm the doorbell and sleep until its signal (sigtimedwait in
 * shmring_doorbell_wait(), or epoll on a signalfd).
 */
static int bell_recv(struct shmring_bench_ring_end *e, void *msg, uint64_t deadline_ns)
{
	struct sh_local *l = e->local;
	struct signalfd_siginfo si;
	struct epoll_event ev;
	int rc;

	while ((rc = sh_try_recv(e, msg)) == -EAGAIN) {
		if (e->r->o->bell == SHMRING_BENCH_BELL_WAIT) {
			rc = shmring_doorbell_wait(e->ring, deadline_ns);
			if (rc < 0)
				return rc;
			continue;
		}
		rc = shmring_doorbell_arm(e->ring);
		if (rc < 0)
			return rc;
		if (rc == 1)
			continue;
		rc = epoll_wait(l->ep, &ev, 1, 1000);
		if (rc < 0 && errno != EINTR)
			return -errno;
		while (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			;
		if ((rc = shmring_bench_spin()) != 0) /* the watchdog's word on the run */
			return rc;
	}
	return rc;
}

static int sh_recv(struct shmring_bench_ring_end *e, void *msg, uint64_t deadline_ns)
{
	if (e->r->o->bell)
		return bell_recv(e, msg, deadline_ns);
	if (is_msg(e))
		return msg_len(shmring_msg_recv(e->ring, msg, e->r->size, NULL, deadline_ns),
			       e->r->size);
	return shmring_recv(e->ring, msg, deadline_ns);
}

/* The message ring's bursts: n records of r->size bytes, laid end to end. */
static void sh_vec(struct shmring_bench_ring_end *e, const void *msgs, unsigned n)
{
	struct sh_local *l = e->local;

	for (unsigned i = 0; i < n; i++)
		l->vec[i] = (struct shmring_msgvec){
			.buf = (unsigned char *)(uintptr_t)msgs + (size_t)i * e->r->size,
			.len = e->r->size};
}

static int sh_try_send_burst(struct shmring_bench_ring_end *e, const void *msgs, unsigned n)
{
	struct sh_local *l = e->local;

	if (!is_msg(e))
		return (int)shmring_try_send_burst(e->ring, msgs, n);
	sh_vec(e, msgs, n);
	return (int)shmring_msg_try_send_burst(e->ring, l->vec, n);
}

static int sh_try_recv_burst(struct shmring_bench_ring_end *e, void *msgs, unsigned n)
{
	struct sh_local *l = e->local;
	unsigned k;

	if (!is_msg(e))
		return (int)shmring_try_recv_burst(e->ring, msgs, n);
	sh_vec(e, msgs, n);
	k = shmring_msg_try_recv_burst(e->ring, l->vec, n);
	for (unsigned i = 0; i < k; i++)
		if (l->vec[i].len != e->r->size)
			return -EBADMSG;
	return (int)k;
}

const struct shmring_bench_transport shmring_bench_transport_shmring = {
	.create = sh_create,
	.destroy = sh_destroy,
	.open = sh_open,
	.close = sh_close,
	.try_send = sh_try_send,
	.try_recv = sh_try_recv,
	.send = sh_send,
	.recv = sh_recv,
	.try_send_burst = sh_try_send_burst,
	.try_recv_burst = sh_try_recv_burst,
};
