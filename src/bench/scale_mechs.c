/* SPDX-License-Identifier: MIT */
/*
 * src/bench/scale_mechs.c - shmring's many-producer rings as transports of
 * the scaling runs (through the public API only), and the table of every
 * scaling transport. The peers are in scale_peers.c.
 *
 * One code serves every kind and wait: busy-poll on the try_ calls with a
 * pause, or the blocking calls under a wait policy. The ring is created by
 * the parent and opened by each child by name, as unrelated processes would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmring/shmring.h>

#include "pair.h"
#include "scale.h"
#include "timing.h"

struct sring_arg {
	uint32_t kind; /* enum shmring_kind */
	bool busy;     /* spin on the try_ calls with a pause */
	uint32_t wait; /* enum shmring_wait_mode for the blocking calls */
};

struct sring_priv {
	char uri[64];
	int obj;
};

static void sring_teardown(struct shmring_bench_scale_end *e)
{
	struct sring_priv *p = e->priv;

	if (!p)
		return;
	shmring_unlink(p->uri);
	shmring_bench_obj_forget(p->obj);
	free(p);
	e->priv = NULL;
}

static int sring_setup(struct shmring_bench_scale_end *e, char *why, size_t wl)
{
	const struct sring_arg *a = e->mech->arg;
	struct sring_priv *p = calloc(1, sizeof(*p));
	struct shmring_opts o;
	shmring_t *h = NULL;
	int rc;

	if (!p)
		return -ENOMEM;
	memset(&o, 0, sizeof(o));
	o.kind = a->kind;
	o.slot_size = e->size;
	o.capacity = shmring_bench_ring_capacity(a->kind, e->size);
	/* A message ring is created for what will use it: many producers
	 * when the run has them, as a user would (one producer is faster). */
	if (a->kind == SHMRING_KIND_MSG && e->producers > 1)
		o.flags |= SHMRING_CREATE_MULTI_PRODUCER;
	if (a->kind == SHMRING_KIND_MSG && e->consumers > 1)
		o.flags |= SHMRING_CREATE_MULTI_CONSUMER;
	shmring_bench_name(p->uri, sizeof(p->uri), NULL);
	rc = shmring_create(p->uri, &o, SHMRING_OBSERVER, &h);
	if (rc) {
		snprintf(why, wl, "shmring_create %s: %s", p->uri, shmring_strerror(rc));
		free(p);
		return rc;
	}
	p->obj = shmring_bench_obj_add(SHMRING_BENCH_OBJ_SHM, p->uri, 0);
	shmring_close(h);
	e->priv = p;
	return 0;
}

static int sring_attach(struct shmring_bench_scale_end *e)
{
	const struct sring_arg *a = e->mech->arg;
	const struct sring_priv *p = e->priv;
	shmring_t *h = NULL;
	int rc = shmring_open(p->uri, e->producer ? SHMRING_PRODUCER : SHMRING_CONSUMER, &h);

	if (rc)
		return rc;
	e->local = h;
	if (!a->busy) {
		struct shmring_wait w;

		memset(&w, 0, sizeof(w));
		w.mode = a->wait;
		rc = shmring_set_wait(h, &w);
	}
	return rc;
}

static void sring_detach(struct shmring_bench_scale_end *e)
{
	shmring_close(e->local);
	e->local = NULL;
}

/* After a blocking call timed out: stop, or wait again for another while. */
static bool again(struct shmring_bench_scale_end *e)
{
	if (shmring_bench_scale_give_up(e))
		return false;
	e->deadline_ns = shmring_bench_mono_ns() + SHMRING_BENCH_SCALE_POLL_NS;
	return true;
}

static int sring_send(struct shmring_bench_scale_end *e, const void *msg)
{
	const struct sring_arg *a = e->mech->arg;
	shmring_t *h = e->local;
	int rc;

	if (a->busy) {
		while ((rc = a->kind == SHMRING_KIND_MSG ? shmring_msg_try_send(h, msg, e->size, 0)
							 : shmring_try_send(h, msg)) == -EAGAIN) {
			if (shmring_bench_scale_give_up(e))
				return -ECANCELED;
			shmring_bench_relax();
		}
		return rc;
	}
	/* The deadline is refreshed only when it passes, so the clock is read
	 * only when a call had to wait that long. */
	do {
		rc = a->kind == SHMRING_KIND_MSG ? shmring_msg_send(h, msg, e->size, 0, e->deadline_ns)
						 : shmring_send(h, msg, e->deadline_ns);
	} while (rc == -ETIMEDOUT && again(e));
	return rc == -ETIMEDOUT ? -ECANCELED : rc;
}

/* One receive attempt or blocking receive, as 0 / -errno. */
static int sring_recv_once(struct shmring_bench_scale_end *e, void *msg, bool block)
{
	const struct sring_arg *a = e->mech->arg;
	shmring_t *h = e->local;

	if (a->kind != SHMRING_KIND_MSG)
		return block ? shmring_recv(h, msg, e->deadline_ns) : shmring_try_recv(h, msg);
	ssize_t n = block ? shmring_msg_recv(h, msg, e->size, NULL, e->deadline_ns)
			  : shmring_msg_try_recv(h, msg, e->size, NULL);
	if (n < 0)
		return (int)n;
	/* Every record of a run has the same length: anything else is torn. */
	return (size_t)n == e->size ? 0 : -EBADMSG;
}

static int sring_recv(struct shmring_bench_scale_end *e, void *msg)
{
	const struct sring_arg *a = e->mech->arg;
	int rc;

	if (a->busy) {
		while ((rc = sring_recv_once(e, msg, false)) == -EAGAIN) {
			if (shmring_bench_scale_give_up(e))
				return -EAGAIN;
			shmring_bench_relax();
		}
		return rc;
	}
	do {
		rc = sring_recv_once(e, msg, true);
	} while (rc == -ETIMEDOUT && again(e));
	return rc == -ETIMEDOUT ? -EAGAIN : rc;
}

static int sring_try_recv(struct shmring_bench_scale_end *e, void *msg)
{
	return sring_recv_once(e, msg, false);
}

#define SRING_MECH(ident, mname, mdesc, mflags, maxc, ...)                    \
	static const struct sring_arg ident##_arg = {__VA_ARGS__};            \
	static const struct shmring_bench_scale_mech ident = {                \
		.name = mname,                                                \
		.desc = mdesc,                                                \
		.flags = (mflags),                                            \
		.max_consumers = (maxc),                                      \
		.max_size = SHMRING_MAX_SLOT_SIZE,                            \
		.arg = &ident##_arg,                                          \
		.setup = sring_setup,                                         \
		.attach = sring_attach,                                       \
		.send = sring_send,                                           \
		.recv = sring_recv,                                           \
		.try_recv = sring_try_recv,                                   \
		.detach = sring_detach,                                       \
		.teardown = sring_teardown,                                   \
	}

#define WAITS SHMRING_BENCH_SCALE_WAIT
#define MSG SHMRING_BENCH_SCALE_MSG

SRING_MECH(s_mpsc, "shmring-mpsc", "shmring MPSC ring, busy-poll (try_send/try_recv with pause)",
	   0, 1, .kind = SHMRING_KIND_MPSC, .busy = true);
SRING_MECH(s_mpsc_adaptive, "shmring-mpsc-adaptive",
	   "shmring MPSC ring, blocking calls, adaptive wait (spin, yield, park)", WAITS, 1,
	   .kind = SHMRING_KIND_MPSC, .wait = SHMRING_WAIT_ADAPTIVE);
SRING_MECH(s_mpsc_park, "shmring-mpsc-block",
	   "shmring MPSC ring, blocking calls, park on the futex at once", WAITS, 1,
	   .kind = SHMRING_KIND_MPSC, .wait = SHMRING_WAIT_PARK);
SRING_MECH(s_mpmc, "shmring-mpmc", "shmring MPMC ring, busy-poll (try_send/try_recv with pause)",
	   0, 0, .kind = SHMRING_KIND_MPMC, .busy = true);
SRING_MECH(s_mpmc_adaptive, "shmring-mpmc-adaptive",
	   "shmring MPMC ring, blocking calls, adaptive wait (spin, yield, park)", WAITS, 0,
	   .kind = SHMRING_KIND_MPMC, .wait = SHMRING_WAIT_ADAPTIVE);
SRING_MECH(s_mpmc_park, "shmring-mpmc-block",
	   "shmring MPMC ring, blocking calls, park on the futex at once", WAITS, 0,
	   .kind = SHMRING_KIND_MPMC, .wait = SHMRING_WAIT_PARK);
SRING_MECH(s_msg, "shmring-msg",
	   "shmring message ring (variable-length records; many producers when the run has "
	   "them), busy-poll",
	   MSG, 0, .kind = SHMRING_KIND_MSG, .busy = true);
SRING_MECH(s_msg_adaptive, "shmring-msg-adaptive",
	   "shmring message ring, blocking calls, adaptive wait (spin, yield, park)", MSG | WAITS,
	   0, .kind = SHMRING_KIND_MSG, .wait = SHMRING_WAIT_ADAPTIVE);

#ifdef SHMRING_HAVE_DPDK_RING
extern const struct shmring_bench_scale_mech shmring_bench_scale_dpdk;
extern const struct shmring_bench_scale_mech shmring_bench_scale_dpdk_yield;
#endif
#ifdef SHMRING_HAVE_CK
extern const struct shmring_bench_scale_mech shmring_bench_scale_ck;
extern const struct shmring_bench_scale_mech shmring_bench_scale_ck_yield;
#endif

/* In report order: busy-polling transports, then those that yield or block. */
const struct shmring_bench_scale_mech *const shmring_bench_scale_mechs[] = {
	&s_mpsc,
	&s_mpmc,
#ifdef SHMRING_HAVE_DPDK_RING
	&shmring_bench_scale_dpdk,
#endif
#ifdef SHMRING_HAVE_CK
	&shmring_bench_scale_ck,
#endif
	&s_msg,
	&s_mpsc_adaptive,
	&s_mpsc_park,
	&s_mpmc_adaptive,
	&s_mpmc_park,
#ifdef SHMRING_HAVE_DPDK_RING
	&shmring_bench_scale_dpdk_yield,
#endif
#ifdef SHMRING_HAVE_CK
	&shmring_bench_scale_ck_yield,
#endif
	&s_msg_adaptive,
};

const size_t shmring_bench_scale_nmechs =
	sizeof(shmring_bench_scale_mechs) / sizeof(shmring_bench_scale_mechs[0]);
