/* SPDX-License-Identifier: MIT */
/*
 * src/bench/mech_peers.c - peer rings measured side by side with shmring,
 * when their Debian packages are installed: DPDK's rte_ring (SP/SC, placed in
 * shared memory through rte_ring_get_memsize_elem + rte_ring_init, without
 * the EAL) and Concurrency Kit's ck_ring (SPSC, holding message values, not
 * pointers, so that it works across address spaces). Both busy-poll, as they
 * offer no blocking form.
 */
#include "bench.h"

#if defined(SHMRING_HAVE_DPDK_RING) || defined(SHMRING_HAVE_CK)

#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "timing.h"

/* Same depth rule as shmring's rings, so that the comparison is fair. */
static unsigned peer_capacity(unsigned size)
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

static int peer_attach(struct shmring_bench_chan *c)
{
	(void)c;
	return 0;
}

static void peer_detach(struct shmring_bench_chan *c)
{
	(void)c;
}

static void peer_teardown(struct shmring_bench_chan *c)
{
	shmring_bench_shared_unmap(c->shm, c->shm_len);
	c->shm = NULL;
}

/* Base of direction d's ring: two equal halves of the mapping. */
static void *peer_ring(const struct shmring_bench_chan *c, int d)
{
	return (char *)c->shm + (size_t)d * (c->shm_len / 2);
}
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

static int dpdk_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	unsigned cap = peer_capacity(c->size);
	ssize_t one = rte_ring_get_memsize_elem(c->size, cap);

	if (one < 0) {
		snprintf(why, wl, "rte_ring_get_memsize_elem(%u, %u): %s", c->size, cap,
			 strerror((int)-one));
		return 1;
	}
	c->shm_len = 2 * round_up((size_t)one, 4096);
	c->shm = shmring_bench_shared_map(c->shm_len);
	if (!c->shm)
		return -ENOMEM;
	for (int d = 0; d < 2; d++) {
		int rc = rte_ring_init(peer_ring(c, d), d ? "shmring-bench-1" : "shmring-bench-0",
				       cap, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rc) {
			snprintf(why, wl, "rte_ring_init: %s", strerror(-rc));
			peer_teardown(c);
			return rc;
		}
	}
	return 0;
}

static int dpdk_send(struct shmring_bench_chan *c, const void *msg)
{
	struct rte_ring *r = peer_ring(c, c->side);

	/* The element API copies esize bytes by value; the cast only drops
	 * const from an API that never writes through it. */
	while (rte_ring_sp_enqueue_elem(r, (void *)(uintptr_t)msg, c->size) != 0) {
		if (shmring_bench_expired)
			return -ETIMEDOUT;
		shmring_bench_relax();
	}
	return 0;
}

static int dpdk_recv(struct shmring_bench_chan *c, void *msg)
{
	struct rte_ring *r = peer_ring(c, 1 - c->side);

	while (rte_ring_sc_dequeue_elem(r, msg, c->size) != 0) {
		if (shmring_bench_expired)
			return -ETIMEDOUT;
		shmring_bench_relax();
	}
	return 0;
}

/* Batching: bursts of up to DPDK_BATCH, held back by send and handed out
 * one by one by recv, as shmring's batching mechanisms do (mech_ring.c). */
#define DPDK_BATCH 32u

struct dpdk_batch {
	unsigned char *tx, *rx;
	unsigned txn, rxn, rxpos;
};

static int dpdk_batch_attach(struct shmring_bench_chan *c)
{
	struct dpdk_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	c->scratch = b;
	b->tx = malloc((size_t)DPDK_BATCH * c->size);
	b->rx = malloc((size_t)DPDK_BATCH * c->size);
	return b->tx && b->rx ? 0 : -ENOMEM;
}

static void dpdk_batch_detach(struct shmring_bench_chan *c)
{
	struct dpdk_batch *b = c->scratch;

	if (!b)
		return;
	free(b->tx);
	free(b->rx);
	free(b);
	c->scratch = NULL;
}

static int dpdk_batch_flush(struct shmring_bench_chan *c)
{
	struct dpdk_batch *b = c->scratch;
	struct rte_ring *r = peer_ring(c, c->side);
	unsigned done = 0;

	while (done < b->txn) {
		unsigned k = rte_ring_sp_enqueue_burst_elem(r, b->tx + (size_t)done * c->size,
							    c->size, b->txn - done, NULL);

		if (k == 0) {
			if (shmring_bench_expired)
				return -ETIMEDOUT;
			shmring_bench_relax();
		}
		done += k;
	}
	b->txn = 0;
	return 0;
}

static int dpdk_batch_send(struct shmring_bench_chan *c, const void *msg)
{
	struct dpdk_batch *b = c->scratch;

	memcpy(b->tx + (size_t)b->txn * c->size, msg, c->size);
	if (++b->txn < DPDK_BATCH)
		return 0;
	return dpdk_batch_flush(c);
}

static int dpdk_batch_recv(struct shmring_bench_chan *c, void *msg)
{
	struct dpdk_batch *b = c->scratch;
	struct rte_ring *r = peer_ring(c, 1 - c->side);

	while (b->rxpos == b->rxn) {
		unsigned k = rte_ring_sc_dequeue_burst_elem(r, b->rx, c->size, DPDK_BATCH, NULL);

		if (k) {
			b->rxn = k;
			b->rxpos = 0;
			break;
		}
		if (shmring_bench_expired)
			return -ETIMEDOUT;
		shmring_bench_relax();
	}
	memcpy(msg, b->rx + (size_t)b->rxpos++ * c->size, c->size);
	return 0;
}

const struct shmring_bench_mech shmring_bench_mech_dpdk_batch = {
	.name = "dpdk-ring-batch",
	.desc = "DPDK rte_ring SP/SC in shared memory, bursts of 32 (burst_elem), busy-poll",
	.modes = SHMRING_BENCH_TPUT,
	.why_not_rtt = "a batching sender holds messages back: one round trip would wait for "
		       "the rest of its batch",
	.setup = dpdk_setup,
	.attach = dpdk_batch_attach,
	.send = dpdk_batch_send,
	.recv = dpdk_batch_recv,
	.detach = dpdk_batch_detach,
	.teardown = peer_teardown,
	.flush = dpdk_batch_flush,
};

const struct shmring_bench_mech shmring_bench_mech_dpdk = {
	.name = "dpdk-ring",
	.desc = "DPDK rte_ring SP/SC in shared memory (no EAL), busy-poll",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = dpdk_setup,
	.attach = peer_attach,
	.send = dpdk_send,
	.recv = dpdk_recv,
	.detach = peer_detach,
	.teardown = peer_teardown,
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

/* Each half: the ring's control block, then its element buffer. */
#define CK_CTL 256u

static int ck_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	unsigned cap = peer_capacity(c->size);

	if (c->size != 8 && c->size != 64 && c->size != 1024 && c->size != 65536) {
		snprintf(why, wl, "element types are compiled for 8, 64, 1024 and 65536 B");
		return 1;
	}
	c->shm_len = 2 * round_up(CK_CTL + (size_t)cap * c->size, 4096);
	c->shm = shmring_bench_shared_map(c->shm_len);
	if (!c->shm)
		return -ENOMEM;
	for (int d = 0; d < 2; d++)
		ck_ring_init(peer_ring(c, d), cap);
	return 0;
}

static bool ck_put(struct shmring_bench_chan *c, void *base, const void *msg)
{
	struct ck_ring *r = base;
	void *buf = (char *)base + CK_CTL;
	/* The typed API takes non-const entries but only reads them. */
	void *m = (void *)(uintptr_t)msg;

	switch (c->size) {
	case 8:
		return ck_ring_enqueue_spsc_m8(r, buf, m);
	case 64:
		return ck_ring_enqueue_spsc_m64(r, buf, m);
	case 1024:
		return ck_ring_enqueue_spsc_m1k(r, buf, m);
	default:
		return ck_ring_enqueue_spsc_m64k(r, buf, m);
	}
}

static bool ck_get(struct shmring_bench_chan *c, void *base, void *msg)
{
	struct ck_ring *r = base;
	void *buf = (char *)base + CK_CTL;

	switch (c->size) {
	case 8:
		return ck_ring_dequeue_spsc_m8(r, buf, msg);
	case 64:
		return ck_ring_dequeue_spsc_m64(r, buf, msg);
	case 1024:
		return ck_ring_dequeue_spsc_m1k(r, buf, msg);
	default:
		return ck_ring_dequeue_spsc_m64k(r, buf, msg);
	}
}

static int ck_send(struct shmring_bench_chan *c, const void *msg)
{
	void *base = peer_ring(c, c->side);

	while (!ck_put(c, base, msg)) {
		if (shmring_bench_expired)
			return -ETIMEDOUT;
		shmring_bench_relax();
	}
	return 0;
}

static int ck_recv(struct shmring_bench_chan *c, void *msg)
{
	void *base = peer_ring(c, 1 - c->side);

	while (!ck_get(c, base, msg)) {
		if (shmring_bench_expired)
			return -ETIMEDOUT;
		shmring_bench_relax();
	}
	return 0;
}

const struct shmring_bench_mech shmring_bench_mech_ck = {
	.name = "ck-ring",
	.desc = "Concurrency Kit ck_ring SPSC in shared memory, values inline, busy-poll",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = ck_setup,
	.attach = peer_attach,
	.send = ck_send,
	.recv = ck_recv,
	.detach = peer_detach,
	.teardown = peer_teardown,
};
#endif
