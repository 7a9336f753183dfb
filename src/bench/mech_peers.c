/* SPDX-License-Identifier: MIT */
/*
 * src/bench/mech_peers.c - peer rings measured side by side with shmring,
 * when their Debian packages are installed: DPDK's rte_ring (SP/SC, placed in
 * shared memory through rte_ring_get_memsize_elem + rte_ring_init, without
 * the EAL) and Concurrency Kit's ck_ring (SPSC, holding message values, not
 * pointers, so that it works across address spaces). Both busy-poll, as they
 * offer no blocking form. The drivers below the mechanisms (peers.h) serve
 * the scaling transports too.
 */
#include "bench.h"

#if defined(SHMRING_HAVE_DPDK_RING) || defined(SHMRING_HAVE_CK)

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"
#include "peers.h"
#include "timing.h"

unsigned shmring_bench_peer_capacity(unsigned size)
{
	unsigned cap = 4096;

	while (cap > 2 && (size_t)cap * size > (8u << 20))
		cap >>= 1;
	return cap;
}

void *shmring_bench_peer_ring(void *shm, size_t len, unsigned n, unsigned i)
{
	return (char *)shm + (size_t)i * (len / n);
}

/* n rings of one bytes each, page-aligned, in one shared mapping. */
static int peer_map(size_t one, unsigned n, void **shm, size_t *len)
{
	*len = (size_t)n * ((one + 4095) / 4096 * 4096);
	*shm = shmring_bench_shared_map(*len);
	return *shm ? 0 : -ENOMEM;
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

/* Direction d's ring: two equal halves of the mapping. */
static void *peer_ring(const struct shmring_bench_chan *c, int d)
{
	return shmring_bench_peer_ring(c->shm, c->shm_len, 2, (unsigned)d);
}

/* Spin with a pause until done() says the message went through. */
#define PEER_SPIN(done)                                                                            \
	do {                                                                                       \
		int rc_;                                                                           \
		while (!(done))                                                                    \
			if ((rc_ = shmring_bench_spin()) != 0)                                     \
				return rc_;                                                        \
		return 0;                                                                          \
	} while (0)
#endif

/* ------------------------------------------------------------- rte_ring */

#ifdef SHMRING_HAVE_DPDK_RING

int shmring_bench_rte_map(unsigned size, unsigned n, unsigned flags, void **shm, size_t *len,
			  char *why, size_t wl)
{
	unsigned cap = shmring_bench_peer_capacity(size);
	ssize_t one = rte_ring_get_memsize_elem(size, cap);

	if (one < 0) {
		snprintf(why, wl, "rte_ring_get_memsize_elem(%u, %u): %s", size, cap,
			 strerror((int)-one));
		return 1;
	}
	if (peer_map((size_t)one, n, shm, len) != 0)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		char name[32];
		int rc;

		snprintf(name, sizeof(name), "shmring-bench-%u", i);
		rc = rte_ring_init(shmring_bench_peer_ring(*shm, *len, n, i), name, cap, flags);
		if (rc) {
			snprintf(why, wl, "rte_ring_init: %s", strerror(-rc));
			shmring_bench_shared_unmap(*shm, *len);
			*shm = NULL;
			return rc;
		}
	}
	return 0;
}

static int dpdk_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return shmring_bench_rte_map(c->size, 2, RING_F_SP_ENQ | RING_F_SC_DEQ, &c->shm,
				     &c->shm_len, why, wl);
}

static int dpdk_send(struct shmring_bench_chan *c, const void *msg)
{
	struct rte_ring *r = peer_ring(c, c->side);

	/* The element API copies esize bytes by value; the cast only drops
	 * const from an API that never writes through it. */
	PEER_SPIN(rte_ring_sp_enqueue_elem(r, (void *)(uintptr_t)msg, c->size) == 0);
}

static int dpdk_recv(struct shmring_bench_chan *c, void *msg)
{
	struct rte_ring *r = peer_ring(c, 1 - c->side);

	PEER_SPIN(rte_ring_sc_dequeue_elem(r, msg, c->size) == 0);
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
	int rc;

	while (done < b->txn) {
		unsigned k = rte_ring_sp_enqueue_burst_elem(r, b->tx + (size_t)done * c->size,
							    c->size, b->txn - done, NULL);

		if (k == 0 && (rc = shmring_bench_spin()) != 0)
			return rc;
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
	int rc;

	while (b->rxpos == b->rxn) {
		unsigned k = rte_ring_sc_dequeue_burst_elem(r, b->rx, c->size, DPDK_BATCH, NULL);

		if (k) {
			b->rxn = k;
			b->rxpos = 0;
			break;
		}
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	}
	memcpy(msg, b->rx + (size_t)b->rxpos++ * c->size, c->size);
	return 0;
}

const struct shmring_bench_mech shmring_bench_mech_dpdk_batch = {
    .name = "dpdk-ring-batch",
    .desc = "DPDK rte_ring SP/SC in shared memory, bursts of 32 (burst_elem), busy-poll",
    .modes = SHMRING_BENCH_TPUT,
    .why_not_rtt = SHMRING_BENCH_WHY_BATCH,
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

/* Each ring: its control block, then its element buffer. */
#define CK_CTL 256u
static_assert(sizeof(struct ck_ring) <= CK_CTL, "ck_ring's control block outgrew its space");

int shmring_bench_ck_map(unsigned size, unsigned n, void **shm, size_t *len, char *why,
			 size_t wl)
{
	unsigned cap = shmring_bench_peer_capacity(size);

	if (size != 8 && size != 64 && size != 1024 && size != 65536) {
		snprintf(why, wl, "element types are compiled for 8, 64, 1024 and 65536 B");
		return 1;
	}
	if (peer_map(CK_CTL + (size_t)cap * size, n, shm, len) != 0)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		ck_ring_init(shmring_bench_peer_ring(*shm, *len, n, i), cap);
	return 0;
}

/* One call of the typed API: ck_ring_OP_MODE_TYPE(ring, buffer, msg). */
#define CK_CALL(op, mode, type, r, buf, m)                                       \
	((mode) == SHMRING_BENCH_CK_SPSC   ? ck_ring_##op##_spsc_##type(r, buf, m) \
	 : (mode) == SHMRING_BENCH_CK_MPSC ? ck_ring_##op##_mpsc_##type(r, buf, m) \
					   : ck_ring_##op##_mpmc_##type(r, buf, m))
#define CK_SIZED(op, size, mode, r, buf, m)                                      \
	((size) == 8	   ? CK_CALL(op, mode, m8, r, buf, m)                         \
	 : (size) == 64	   ? CK_CALL(op, mode, m64, r, buf, m)                        \
	 : (size) == 1024 ? CK_CALL(op, mode, m1k, r, buf, m)                        \
			  : CK_CALL(op, mode, m64k, r, buf, m))

bool shmring_bench_ck_put(void *base, unsigned size, enum shmring_bench_ck_mode mode,
			  const void *msg)
{
	struct ck_ring *r = base;
	void *buf = (char *)base + CK_CTL;
	/* The typed API takes non-const entries but only reads them. */
	void *m = (void *)(uintptr_t)msg;

	return CK_SIZED(enqueue, size, mode, r, buf, m);
}

bool shmring_bench_ck_get(void *base, unsigned size, enum shmring_bench_ck_mode mode, void *msg)
{
	struct ck_ring *r = base;
	void *buf = (char *)base + CK_CTL;

	return CK_SIZED(dequeue, size, mode, r, buf, msg);
}

static int ck_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return shmring_bench_ck_map(c->size, 2, &c->shm, &c->shm_len, why, wl);
}

static int ck_send(struct shmring_bench_chan *c, const void *msg)
{
	PEER_SPIN(shmring_bench_ck_put(peer_ring(c, c->side), c->size, SHMRING_BENCH_CK_SPSC, msg));
}

static int ck_recv(struct shmring_bench_chan *c, void *msg)
{
	PEER_SPIN(
		shmring_bench_ck_get(peer_ring(c, 1 - c->side), c->size, SHMRING_BENCH_CK_SPSC, msg));
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
