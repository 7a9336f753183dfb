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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmring/shmring.h>

#include "bench.h"
#include "pair.h"
#include "timing.h"

struct ring_arg {
	uint32_t kind;  /* enum shmring_kind */
	bool busy;      /* spin on try_send/try_recv with a pause */
	uint32_t wait;  /* enum shmring_wait_mode for the blocking calls */
};

struct ring_priv {
	char uri[2][64];
	int obj[2];
};

struct ring_handles {
	shmring_t *tx; /* producer on direction `side` */
	shmring_t *rx; /* consumer on direction 1 - side */
};

static uint64_t ring_capacity(unsigned size)
{
	/* 4096 slots, as in the published figures, but at most ~8 MiB a ring. */
	uint64_t cap = 4096;

	while (cap > 2 && cap * size > (8u << 20))
		cap >>= 1;
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
	o.capacity = ring_capacity(c->size);
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
	return rc;
}

static void ring_detach(struct shmring_bench_chan *c)
{
	struct ring_handles *h = c->scratch;

	if (!h)
		return;
	shmring_close(h->tx);
	shmring_close(h->rx);
	free(h);
	c->scratch = NULL;
}

static int ring_send(struct shmring_bench_chan *c, const void *msg)
{
	const struct ring_arg *a = c->mech->arg;
	struct ring_handles *h = c->scratch;
	int rc;

	if (!a->busy)
		return shmring_send(h->tx, msg, c->deadline_ns);
	while ((rc = shmring_try_send(h->tx, msg)) == -EAGAIN) {
		if (shmring_bench_expired)
			return -ETIMEDOUT;
		shmring_bench_relax();
	}
	return rc;
}

static int ring_recv(struct shmring_bench_chan *c, void *msg)
{
	const struct ring_arg *a = c->mech->arg;
	struct ring_handles *h = c->scratch;
	int rc;

	if (!a->busy)
		return shmring_recv(h->rx, msg, c->deadline_ns);
	while ((rc = shmring_try_recv(h->rx, msg)) == -EAGAIN) {
		if (shmring_bench_expired)
			return -ETIMEDOUT;
		shmring_bench_relax();
	}
	return rc;
}

/*
 * The table: one entry per ring kind and wait policy. A new ring kind is one
 * more ring_arg and one more mechanism here, plus its line in mechs.c.
 */
#define RING_MECH(ident, mname, mdesc, ...)                                      \
	static const struct ring_arg ident##_arg = {__VA_ARGS__};                \
	const struct shmring_bench_mech ident = {                                \
		.name = mname,                                                   \
		.desc = mdesc,                                                   \
		.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,                 \
		.max_size = SHMRING_MAX_SLOT_SIZE,                               \
		.arg = &ident##_arg,                                             \
		.setup = ring_setup,                                             \
		.attach = ring_attach,                                           \
		.send = ring_send,                                               \
		.recv = ring_recv,                                               \
		.detach = ring_detach,                                           \
		.teardown = ring_teardown,                                       \
	}

RING_MECH(shmring_bench_mech_spsc, "shmring-spsc",
	  "shmring SPSC ring, busy-poll (try_send/try_recv with pause)",
	  .kind = SHMRING_KIND_SPSC, .busy = true);
RING_MECH(shmring_bench_mech_spsc_adaptive, "shmring-spsc-adaptive",
	  "shmring SPSC ring, blocking calls, adaptive wait (spin, yield, park)",
	  .kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_ADAPTIVE);
RING_MECH(shmring_bench_mech_spsc_block, "shmring-spsc-block",
	  "shmring SPSC ring, blocking calls, park on the futex at once",
	  .kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK);
