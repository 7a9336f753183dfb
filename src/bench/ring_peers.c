/* SPDX-License-Identifier: MIT */
/*
 * src/bench/ring_peers.c - the peer rings as transports (rings.h), when
 * their Debian packages are installed, placed in shared memory made before
 * fork with the same depth rule as shmring's rings so that the comparison
 * is fair:
 *
 *  - DPDK rte_ring of size-byte elements (the _elem API), through
 *    rte_ring_get_memsize_elem + rte_ring_init, without the EAL: SP/SC
 *    (RING_F_SP_ENQ | RING_F_SC_DEQ, sp enqueue, sc dequeue) for one producer
 *    and one consumer; else flags 0 (RTE_RING_SYNC_MT), mp enqueue, and sc
 *    dequeue for one consumer or mc for several.
 *  - Concurrency Kit ck_ring holding the messages themselves (typed rings,
 *    values inline, not pointers, so that it works across address spaces;
 *    one type per size: 8, 64, 1024 and 65536 B): the spsc, mpsc or mpmc
 *    calls, as the rings' users are.
 *  - boost::lockfree::spsc_queue in its fixed-capacity form (no heap, no
 *    pointer inside), constructed by placement-new in the mapping through
 *    the C shim of peer_boost.cc; one element type per size like ck_ring.
 *    Single producer and single consumer only: the scaling runs list it
 *    and skip it (rings.h, SHMRING_BENCH_SPSC_ONLY_boost).
 *
 * None has a blocking form; ck_ring has no bursts.
 */
#include "rings.h"

#if defined(SHMRING_HAVE_DPDK_RING) || defined(SHMRING_HAVE_CK) || defined(SHMRING_HAVE_BOOST)

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pair.h"

/* Slots of a peer ring of size-byte messages: 4096, halved while above 8 MiB. */
static unsigned peer_capacity(unsigned size)
{
	unsigned cap = 4096;

	while (cap > 2 && (size_t)cap * size > (8u << 20))
		cap >>= 1;
	return cap;
}

/* Ring i of the rings' mapping of n equal, page-aligned rings. */
static void *peer_ring(const struct shmring_bench_rings *r, unsigned i)
{
	return (char *)r->shm + (size_t)i * (r->shm_len / r->n);
}

/* n rings of one bytes each, page-aligned, in one shared mapping. */
static int peer_map(struct shmring_bench_rings *r, size_t one)
{
	r->shm_len = (size_t)r->n * ((one + 4095) / 4096 * 4096);
	r->shm = shmring_bench_shared_map(r->shm_len);
	return r->shm ? 0 : -ENOMEM;
}

static void peer_destroy(struct shmring_bench_rings *r)
{
	shmring_bench_shared_unmap(r->shm, r->shm_len);
	r->shm = NULL;
}

static int peer_open(struct shmring_bench_ring_end *e)
{
	e->ring = peer_ring(e->r, e->i);
	return 0;
}

static void peer_close(struct shmring_bench_ring_end *e)
{
	e->ring = NULL;
}
#endif

/* ------------------------------------------------------------- rte_ring */

#ifdef SHMRING_HAVE_DPDK_RING
/* DPDK's headers are not ours to hold to these warnings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wundef"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <rte_ring.h>
#include <rte_ring_elem.h>
#pragma GCC diagnostic pop

static int dpdk_create(struct shmring_bench_rings *r, char *why, size_t wl)
{
	unsigned cap = peer_capacity(r->size);
	unsigned flags = r->hints ? 0 : RING_F_SP_ENQ | RING_F_SC_DEQ;
	ssize_t one = rte_ring_get_memsize_elem(r->size, cap);

	if (one < 0) {
		snprintf(why, wl, "rte_ring_get_memsize_elem(%u, %u): %s", r->size, cap,
			 strerror((int)-one));
		return 1;
	}
	if (peer_map(r, (size_t)one) != 0)
		return -ENOMEM;
	for (unsigned i = 0; i < r->n; i++) {
		char name[32];
		int rc;

		snprintf(name, sizeof(name), "shmring-bench-%u", i);
		rc = rte_ring_init(peer_ring(r, i), name, cap, flags);
		if (rc) {
			snprintf(why, wl, "rte_ring_init: %s", strerror(-rc));
			peer_destroy(r);
			return rc;
		}
	}
	return 0;
}

/*
 * The element API copies by value, with a loop over the element's words
 * unless its size is a constant where the call is inlined: a program built
 * around the ring knows its element type, as ck_ring's and boost's typed
 * calls below do, so each call is made with the sizes the bench uses as
 * constants (8, 64 and 1024 B; others at run time). The casts only drop
 * const from an API that never writes through it.
 */
#define DPDK_SIZED(call, size, ...)                                                                \
	((size) == 8	  ? call(__VA_ARGS__, 8)                                                  \
	 : (size) == 64	  ? call(__VA_ARGS__, 64)                                                 \
	 : (size) == 1024 ? call(__VA_ARGS__, 1024)                                               \
			  : call(__VA_ARGS__, size))
#define DPDK_ONE(op, r, m, esize) op(r, m, esize)
#define DPDK_BURST(op, r, m, n, esize) op(r, m, esize, n, NULL)

static int dpdk_try_send(struct shmring_bench_ring_end *e, const void *msg)
{
	void *m = (void *)(uintptr_t)msg;
	int rc = e->r->hints & SHMRING_BENCH_RING_MP
			 ? DPDK_SIZED(DPDK_ONE, e->r->size, rte_ring_mp_enqueue_elem, e->ring, m)
			 : DPDK_SIZED(DPDK_ONE, e->r->size, rte_ring_sp_enqueue_elem, e->ring, m);

	return rc == 0 ? 0 : -EAGAIN;
}

static int dpdk_try_recv(struct shmring_bench_ring_end *e, void *msg)
{
	int rc = e->r->hints & SHMRING_BENCH_RING_MC
			 ? DPDK_SIZED(DPDK_ONE, e->r->size, rte_ring_mc_dequeue_elem, e->ring, msg)
			 : DPDK_SIZED(DPDK_ONE, e->r->size, rte_ring_sc_dequeue_elem, e->ring, msg);

	return rc == 0 ? 0 : -EAGAIN;
}

static int dpdk_try_send_burst(struct shmring_bench_ring_end *e, const void *msgs, unsigned n)
{
	void *m = (void *)(uintptr_t)msgs;

	if (e->r->hints & SHMRING_BENCH_RING_MP)
		return (int)DPDK_SIZED(DPDK_BURST, e->r->size, rte_ring_mp_enqueue_burst_elem,
				       e->ring, m, n);
	return (int)DPDK_SIZED(DPDK_BURST, e->r->size, rte_ring_sp_enqueue_burst_elem, e->ring, m,
			       n);
}

static int dpdk_try_recv_burst(struct shmring_bench_ring_end *e, void *msgs, unsigned n)
{
	if (e->r->hints & SHMRING_BENCH_RING_MC)
		return (int)DPDK_SIZED(DPDK_BURST, e->r->size, rte_ring_mc_dequeue_burst_elem,
				       e->ring, msgs, n);
	return (int)DPDK_SIZED(DPDK_BURST, e->r->size, rte_ring_sc_dequeue_burst_elem, e->ring,
			       msgs, n);
}

const struct shmring_bench_transport shmring_bench_transport_dpdk = {
	.create = dpdk_create,
	.destroy = peer_destroy,
	.open = peer_open,
	.close = peer_close,
	.try_send = dpdk_try_send,
	.try_recv = dpdk_try_recv,
	.try_send_burst = dpdk_try_send_burst,
	.try_recv_burst = dpdk_try_recv_burst,
};
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
struct ck_msg8 { uint64_t w[1]; };
struct ck_msg64 { uint64_t w[8]; };
struct ck_msg1k { uint64_t w[128]; };
struct ck_msg64k { uint64_t w[8192]; };
CK_RING_PROTOTYPE(m8, ck_msg8)
CK_RING_PROTOTYPE(m64, ck_msg64)
CK_RING_PROTOTYPE(m1k, ck_msg1k)
CK_RING_PROTOTYPE(m64k, ck_msg64k)
#pragma GCC diagnostic pop

/* Each ring: its control block, then its element buffer. */
#define CK_CTL 256u
static_assert(sizeof(struct ck_ring) <= CK_CTL, "ck_ring's control block outgrew its space");

/* Which of ck_ring's calls: one producer and one consumer, many producers
 * and one consumer, or many of both. */
enum ck_mode { CK_SPSC, CK_MPSC, CK_MPMC };

static int ck_create(struct shmring_bench_rings *r, char *why, size_t wl)
{
	unsigned cap = peer_capacity(r->size);

	if (r->size != 8 && r->size != 64 && r->size != 1024 && r->size != 65536) {
		snprintf(why, wl, "element types are compiled for 8, 64, 1024 and 65536 B");
		return 1;
	}
	if (peer_map(r, CK_CTL + (size_t)cap * r->size) != 0)
		return -ENOMEM;
	for (unsigned i = 0; i < r->n; i++)
		ck_ring_init(peer_ring(r, i), cap);
	return 0;
}

static enum ck_mode ck_mode(const struct shmring_bench_ring_end *e)
{
	if (e->r->hints & SHMRING_BENCH_RING_MC)
		return CK_MPMC;
	return e->r->hints & SHMRING_BENCH_RING_MP ? CK_MPSC : CK_SPSC;
}

/* One call of the typed API: ck_ring_OP_MODE_TYPE(ring, buffer, msg). */
#define CK_CALL(op, mode, type, r, buf, m)                                       \
	((mode) == CK_SPSC   ? ck_ring_##op##_spsc_##type(r, buf, m)                 \
	 : (mode) == CK_MPSC ? ck_ring_##op##_mpsc_##type(r, buf, m)                 \
			     : ck_ring_##op##_mpmc_##type(r, buf, m))
#define CK_SIZED(op, size, mode, r, buf, m)                                      \
	((size) == 8	   ? CK_CALL(op, mode, m8, r, buf, m)                         \
	 : (size) == 64	   ? CK_CALL(op, mode, m64, r, buf, m)                        \
	 : (size) == 1024 ? CK_CALL(op, mode, m1k, r, buf, m)                        \
			  : CK_CALL(op, mode, m64k, r, buf, m))

static int ck_try_send(struct shmring_bench_ring_end *e, const void *msg)
{
	struct ck_ring *r = e->ring;
	void *buf = (char *)e->ring + CK_CTL;
	/* The typed API takes non-const entries but only reads them. */
	void *m = (void *)(uintptr_t)msg;

	return CK_SIZED(enqueue, e->r->size, ck_mode(e), r, buf, m) ? 0 : -EAGAIN;
}

static int ck_try_recv(struct shmring_bench_ring_end *e, void *msg)
{
	struct ck_ring *r = e->ring;
	void *buf = (char *)e->ring + CK_CTL;

	return CK_SIZED(dequeue, e->r->size, ck_mode(e), r, buf, msg) ? 0 : -EAGAIN;
}

const struct shmring_bench_transport shmring_bench_transport_ck = {
	.create = ck_create,
	.destroy = peer_destroy,
	.open = peer_open,
	.close = peer_close,
	.try_send = ck_try_send,
	.try_recv = ck_try_recv,
};
#endif

/* ---------------------------------------------- boost::lockfree::spsc_queue */

#ifdef SHMRING_HAVE_BOOST
#include "peer_boost.h"

static const struct shmring_bench_boost_ops *boost_ops(const struct shmring_bench_rings *r)
{
	return shmring_bench_boost_for_size(r->size);
}

static int boost_create(struct shmring_bench_rings *r, char *why, size_t wl)
{
	const struct shmring_bench_boost_ops *ops = boost_ops(r);

	if (!ops) {
		snprintf(why, wl, "element types are compiled for 8, 64, 1024 and 65536 B");
		return 1;
	}
	if (r->hints) {
		snprintf(why, wl, "a single-producer single-consumer queue");
		return 1;
	}
	/* Same depth rule as the other rings (the shim's types follow it). */
	assert(ops->capacity == peer_capacity(r->size));
	if (peer_map(r, ops->memsize) != 0)
		return -ENOMEM;
	/* Each ring starts on a page (peer_map), more than the queue's alignment. */
	for (unsigned i = 0; i < r->n; i++)
		ops->init(peer_ring(r, i));
	return 0;
}

/* The ops table is static in the shim, the same in both processes of a
 * fork: keep it with the end rather than look it up per message. */
static int boost_open(struct shmring_bench_ring_end *e)
{
	e->local = (void *)(uintptr_t)boost_ops(e->r); /* const kept by every use */
	return e->local ? peer_open(e) : -EINVAL;
}

static void boost_close(struct shmring_bench_ring_end *e)
{
	peer_close(e);
	e->local = NULL;
}

static const struct shmring_bench_boost_ops *end_ops(const struct shmring_bench_ring_end *e)
{
	return e->local;
}

static int boost_try_send(struct shmring_bench_ring_end *e, const void *msg)
{
	return end_ops(e)->try_push(e->ring, msg) ? 0 : -EAGAIN;
}

static int boost_try_recv(struct shmring_bench_ring_end *e, void *msg)
{
	return end_ops(e)->try_pop(e->ring, msg) ? 0 : -EAGAIN;
}

static int boost_try_send_burst(struct shmring_bench_ring_end *e, const void *msgs, unsigned n)
{
	return (int)end_ops(e)->push_burst(e->ring, msgs, n);
}

static int boost_try_recv_burst(struct shmring_bench_ring_end *e, void *msgs, unsigned n)
{
	return (int)end_ops(e)->pop_burst(e->ring, msgs, n);
}

const struct shmring_bench_transport shmring_bench_transport_boost = {
	.create = boost_create,
	.destroy = peer_destroy,
	.open = boost_open,
	.close = boost_close,
	.try_send = boost_try_send,
	.try_recv = boost_try_recv,
	.try_send_burst = boost_try_send_burst,
	.try_recv_burst = boost_try_recv_burst,
};
#endif
