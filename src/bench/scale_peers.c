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

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "pair.h"
#include "timing.h"

struct speer_arg {
	bool yield; /* sched_yield() on full/empty instead of a pause */
};

/* Same depth rule as shmring's rings, so that the comparison is fair. */
static unsigned speer_capacity(unsigned size)
{
	unsigned cap = 4096;

	while (cap > 2 && (size_t)cap * size > (8u << 20))
		cap >>= 1;
	return cap;
}

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

static int speer_attach(struct shmring_bench_scale_end *e)
{
	(void)e;
	return 0;
}

static void speer_detach(struct shmring_bench_scale_end *e)
{
	(void)e;
}

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
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wundef"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <rte_ring.h>
#include <rte_ring_elem.h>
#pragma GCC diagnostic pop

static int sdpdk_setup(struct shmring_bench_scale_end *e, char *why, size_t wl)
{
	unsigned cap = speer_capacity(e->size);
	ssize_t len = rte_ring_get_memsize_elem(e->size, cap);
	int rc;

	if (len < 0) {
		snprintf(why, wl, "rte_ring_get_memsize_elem(%u, %u): %s", e->size, cap,
			 strerror((int)-len));
		return 1;
	}
	e->shm_len = round_up((size_t)len, 4096);
	e->shm = shmring_bench_shared_map(e->shm_len);
	if (!e->shm)
		return -ENOMEM;
	/* Flags 0: multi-producer / multi-consumer, RTE_RING_SYNC_MT. */
	rc = rte_ring_init(e->shm, "shmring-bench-mp", cap, 0);
	if (rc) {
		snprintf(why, wl, "rte_ring_init: %s", strerror(-rc));
		speer_teardown(e);
		return rc;
	}
	return 0;
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
		.attach = speer_attach,                                        \
		.send = sdpdk_send,                                            \
		.recv = sdpdk_recv,                                            \
		.try_recv = sdpdk_try_recv,                                    \
		.detach = speer_detach,                                        \
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
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wundef"
#include <ck_ring.h>

/* ck_ring copies whole elements of a declared type: one type per size. */
struct sck_msg8 { uint64_t w[1]; };
struct sck_msg64 { uint64_t w[8]; };
struct sck_msg1k { uint64_t w[128]; };
CK_RING_PROTOTYPE(s8, sck_msg8)
CK_RING_PROTOTYPE(s64, sck_msg64)
CK_RING_PROTOTYPE(s1k, sck_msg1k)
#pragma GCC diagnostic pop

/* The mapping: the ring's control block, then its element buffer. */
#define SCK_CTL 256u
static_assert(sizeof(struct ck_ring) <= SCK_CTL, "ck_ring's control block outgrew its space");

static int sck_setup(struct shmring_bench_scale_end *e, char *why, size_t wl)
{
	unsigned cap = speer_capacity(e->size);

	if (e->size != 8 && e->size != 64 && e->size != 1024) {
		snprintf(why, wl, "element types are compiled for 8, 64 and 1024 B");
		return 1;
	}
	e->shm_len = round_up(SCK_CTL + (size_t)cap * e->size, 4096);
	e->shm = shmring_bench_shared_map(e->shm_len);
	if (!e->shm)
		return -ENOMEM;
	ck_ring_init(e->shm, cap);
	return 0;
}

static bool sck_put(struct shmring_bench_scale_end *e, const void *msg)
{
	struct ck_ring *r = e->shm;
	void *buf = (char *)e->shm + SCK_CTL;
	/* The typed API takes non-const entries but only reads them. */
	void *m = (void *)(uintptr_t)msg;
	bool one = e->consumers == 1;

	switch (e->size) {
	case 8:
		return one ? ck_ring_enqueue_mpsc_s8(r, buf, m) : ck_ring_enqueue_mpmc_s8(r, buf, m);
	case 64:
		return one ? ck_ring_enqueue_mpsc_s64(r, buf, m)
			   : ck_ring_enqueue_mpmc_s64(r, buf, m);
	default:
		return one ? ck_ring_enqueue_mpsc_s1k(r, buf, m)
			   : ck_ring_enqueue_mpmc_s1k(r, buf, m);
	}
}

static int sck_try_recv(struct shmring_bench_scale_end *e, void *msg)
{
	struct ck_ring *r = e->shm;
	void *buf = (char *)e->shm + SCK_CTL;
	bool one = e->consumers == 1, ok;

	switch (e->size) {
	case 8:
		ok = one ? ck_ring_dequeue_mpsc_s8(r, buf, msg) : ck_ring_dequeue_mpmc_s8(r, buf, msg);
		break;
	case 64:
		ok = one ? ck_ring_dequeue_mpsc_s64(r, buf, msg)
			 : ck_ring_dequeue_mpmc_s64(r, buf, msg);
		break;
	default:
		ok = one ? ck_ring_dequeue_mpsc_s1k(r, buf, msg)
			 : ck_ring_dequeue_mpmc_s1k(r, buf, msg);
		break;
	}
	return ok ? 0 : -EAGAIN;
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
		.attach = speer_attach,                                        \
		.send = sck_send,                                              \
		.recv = sck_recv,                                              \
		.try_recv = sck_try_recv,                                      \
		.detach = speer_detach,                                        \
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
