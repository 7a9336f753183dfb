/* SPDX-License-Identifier: MIT */
/*
 * src/bench/scale_peers.c - the peer rings in the scaling runs, when their
 * Debian packages are installed, placed in shared memory made before fork:
 *
 *  - DPDK rte_ring with flags 0 (multi-producer enqueue, multi-consumer
 *    dequeue, the default RTE_RING_SYNC_MT), through rte_ring_get_memsize_elem
 *    + rte_ring_init, no EAL. Producers call rte_ring_mp_enqueue_elem; one
 *    consumer calls rte_ring_sc_dequeue_elem, several rte_ring_mc_dequeue_elem.
 *  - Concurrency Kit ck_ring holding the messages themselves (typed rings,
 *    values inline, not pointers): ck_ring_enqueue_mpsc / dequeue_mpsc with
 *    one consumer, ck_ring_enqueue_mpmc / dequeue_mpmc with several.
 *
 * Neither has a blocking form: the busy variants spin with a pause on
 * full/empty, the yielding ones call sched_yield() instead.
 */
#include "scale.h"

#if defined(SHMRING_HAVE_DPDK_RING) || defined(SHMRING_HAVE_CK)

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "pair.h"
#include "peers.h"
#include "timing.h"

struct speer_arg {
	bool yield; /* sched_yield() on full/empty instead of a pause */
};

static void speer_teardown(struct shmring_bench_scale_end *e)
{
	shmring_bench_shared_unmap(e->shm, e->shm_len);
	e->shm = NULL;
}

/* One failed attempt: wait the variant's way; false when it is time to stop. */
static bool speer_wait(struct shmring_bench_scale_end *e)
{
	const struct speer_arg *a = e->mech->arg;

	if (shmring_bench_scale_give_up(e))
		return false;
	if (a->yield)
		sched_yield();
	else
		shmring_bench_relax();
	return true;
}

static const struct speer_arg speer_busy = {.yield = false};
static const struct speer_arg speer_yield = {.yield = true};
#endif

/* ------------------------------------------------------------- rte_ring */

#ifdef SHMRING_HAVE_DPDK_RING

static int sdpdk_setup(struct shmring_bench_scale_end *e, char *why, size_t wl)
{
	/* Flags 0: multi-producer / multi-consumer, RTE_RING_SYNC_MT. */
	return shmring_bench_rte_map(e->size, 1, 0, &e->shm, &e->shm_len, why, wl);
}

static int sdpdk_send(struct shmring_bench_scale_end *e, const void *msg)
{
	/* The element API copies by value; the cast only drops const from an
	 * API that never writes through it. */
	while (rte_ring_mp_enqueue_elem(e->shm, (void *)(uintptr_t)msg, e->size) != 0)
		if (!speer_wait(e))
			return -ECANCELED;
	return 0;
}

static int sdpdk_try_recv(struct shmring_bench_scale_end *e, void *msg)
{
	int rc = e->consumers == 1 ? rte_ring_sc_dequeue_elem(e->shm, msg, e->size)
				   : rte_ring_mc_dequeue_elem(e->shm, msg, e->size);

	return rc == 0 ? 0 : -EAGAIN;
}

static int sdpdk_recv(struct shmring_bench_scale_end *e, void *msg)
{
	while (sdpdk_try_recv(e, msg) != 0)
		if (!speer_wait(e))
			return -EAGAIN;
	return 0;
}

#define SDPDK_MECH(ident, mname, mdesc, mflags, marg)                          \
	const struct shmring_bench_scale_mech ident = {                        \
		.name = mname,                                                 \
		.desc = mdesc,                                                 \
		.flags = SHMRING_BENCH_SCALE_PEER | (mflags),                  \
		.arg = &(marg),                                                \
		.setup = sdpdk_setup,                                          \
		.send = sdpdk_send,                                            \
		.recv = sdpdk_recv,                                            \
		.try_recv = sdpdk_try_recv,                                    \
		.teardown = speer_teardown,                                    \
	}

SDPDK_MECH(shmring_bench_scale_dpdk, "dpdk-ring-mp",
	   "DPDK rte_ring MP enqueue, SC (one consumer) or MC dequeue, in shared memory "
	   "(no EAL), busy-poll",
	   0, speer_busy);
SDPDK_MECH(shmring_bench_scale_dpdk_yield, "dpdk-ring-mp-yield",
	   "DPDK rte_ring MP enqueue, SC or MC dequeue, sched_yield() on full/empty",
	   SHMRING_BENCH_SCALE_WAIT, speer_yield);
#endif

/* -------------------------------------------------------------- ck_ring */

#ifdef SHMRING_HAVE_CK
static int sck_setup(struct shmring_bench_scale_end *e, char *why, size_t wl)
{
	return shmring_bench_ck_map(e->size, 1, &e->shm, &e->shm_len, why, wl);
}

static enum shmring_bench_ck_mode sck_mode(const struct shmring_bench_scale_end *e)
{
	return e->consumers == 1 ? SHMRING_BENCH_CK_MPSC : SHMRING_BENCH_CK_MPMC;
}

static bool sck_put(struct shmring_bench_scale_end *e, const void *msg)
{
	return shmring_bench_ck_put(e->shm, e->size, sck_mode(e), msg);
}

static int sck_try_recv(struct shmring_bench_scale_end *e, void *msg)
{
	return shmring_bench_ck_get(e->shm, e->size, sck_mode(e), msg) ? 0 : -EAGAIN;
}

static int sck_send(struct shmring_bench_scale_end *e, const void *msg)
{
	while (!sck_put(e, msg))
		if (!speer_wait(e))
			return -ECANCELED;
	return 0;
}

static int sck_recv(struct shmring_bench_scale_end *e, void *msg)
{
	while (sck_try_recv(e, msg) != 0)
		if (!speer_wait(e))
			return -EAGAIN;
	return 0;
}

#define SCK_MECH(ident, mname, mdesc, mflags, marg)                            \
	const struct shmring_bench_scale_mech ident = {                        \
		.name = mname,                                                 \
		.desc = mdesc,                                                 \
		.flags = SHMRING_BENCH_SCALE_PEER | (mflags),                  \
		.max_size = 1024,                                              \
		.arg = &(marg),                                                \
		.setup = sck_setup,                                            \
		.send = sck_send,                                              \
		.recv = sck_recv,                                              \
		.try_recv = sck_try_recv,                                      \
		.teardown = speer_teardown,                                    \
	}

SCK_MECH(shmring_bench_scale_ck, "ck-ring-mp",
	 "Concurrency Kit ck_ring MPSC (one consumer) or MPMC, values inline in shared memory, "
	 "busy-poll",
	 0, speer_busy);
SCK_MECH(shmring_bench_scale_ck_yield, "ck-ring-mp-yield",
	 "Concurrency Kit ck_ring MPSC or MPMC, values inline, sched_yield() on full/empty",
	 SHMRING_BENCH_SCALE_WAIT, speer_yield);
#endif
