/* SPDX-License-Identifier: MIT */
/*
 * benches/ring_rte.c - DPDK rte_ring, single producer / single consumer
 * (RING_F_SP_ENQ | RING_F_SC_DEQ) and multi-producer / multi-consumer (flags
 * 0, RTE_RING_SYNC_MT), on memory of our own (rte_ring_get_memsize_elem +
 * rte_ring_init): no EAL, no hugepages. Elements are the messages themselves (the _elem API), 8 or 64
 * bytes. The element size is a compile-time constant in each loop, as it
 * would be in a program built around rte_ring, so DPDK gets its specialised
 * copies.
 */

#include "rings.h"

#include "ringbuf/atomics.h"

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <stdio.h>
#include <stdlib.h>

/* A ring of BENCH_CAPACITY elements of esize bytes, SP/SC or MP/MC, or NULL. */
static struct rte_ring *rte_make(const char *name, unsigned esize, bool mt)
{
	const ssize_t size = rte_ring_get_memsize_elem(esize, BENCH_CAPACITY);
	if (size < 0)
		return NULL;
	struct rte_ring *r = bench_alloc((size_t)size);
	if (r && rte_ring_init(r, name, BENCH_CAPACITY, mt ? 0 : RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		free(r);
		r = NULL;
	}
	return r;
}

/* One element in or out, for benches/loops.h; mt is a constant at every call. */
BENCH_INLINE int enq1(struct rte_ring *r, struct bench_msg *msg, unsigned esize, bool mt)
{
	return (mt ? rte_ring_mp_enqueue_elem(r, msg->b, esize)
	           : rte_ring_sp_enqueue_elem(r, msg->b, esize)) == 0
	           ? 0
	           : -EAGAIN;
}

BENCH_INLINE int deq1(struct rte_ring *r, struct bench_msg *msg, unsigned esize, bool mt)
{
	return (mt ? rte_ring_mc_dequeue_elem(r, msg->b, esize)
	           : rte_ring_sc_dequeue_elem(r, msg->b, esize)) == 0
	           ? 0
	           : -EAGAIN;
}

#define LOOP_RING                       "rte_ring"
#define LOOP_END                        struct rte_ring *
#define LOOP_SEND(arg, e, m, esize, mt) enq1(e, m, esize, mt)
#define LOOP_RECV(arg, e, m, esize, mt) deq1(e, m, esize, mt)
/* Both sides use both rings of a struct bench_ring_pair. */
#define LOOP_TX(p, side) ((struct rte_ring *)BENCH_RING_PAIR(p, side))
#define LOOP_RX(p, side) ((struct rte_ring *)BENCH_RING_PAIR(p, !(side)))
#define LOOP_MT(p)       ((p)->impl->arg != NULL)
#include "loops.h"

/* --- One thread ---------------------------------------------------------- */

void bench_rte_op(shmring_gb_state *st, void *arg)
{
	const unsigned esize = (unsigned)shmring_gb_range(st, 0);
	struct rte_ring *r = rte_make("gb-op", esize, arg != NULL);

	if (!r) {
		shmring_gb_fail(st, "rte_ring_init failed");
		return;
	}
	loop_op(st, NULL, r, esize, arg != NULL);
	free(r);
}

BENCH_INLINE void bulk_loop(shmring_gb_state *st, struct rte_ring *r, unsigned esize,
                            unsigned burst, bool mt)
{
	static alignas(64) unsigned char in[BENCH_MAX_BULK * BENCH_MAX_SLOT];
	static alignas(64) unsigned char out[BENCH_MAX_BULK * BENCH_MAX_SLOT];
	const unsigned char *last = out + (size_t)(burst - 1) * esize;
	uint64_t seq = 0;

	for (unsigned i = 0; i < burst; i++)
		bench_msg_stamp(in + (size_t)i * esize, i);
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++, seq++) {
			bench_msg_stamp(in, seq);
			if ((mt ? rte_ring_mp_enqueue_bulk_elem(r, in, esize, burst, NULL)
			        : rte_ring_sp_enqueue_bulk_elem(r, in, esize, burst, NULL)) != burst) {
				shmring_gb_fail(st, "rte_ring bulk enqueue into an empty ring");
				break;
			}
			if ((mt ? rte_ring_mc_dequeue_bulk_elem(r, out, esize, burst, NULL)
			        : rte_ring_sc_dequeue_bulk_elem(r, out, esize, burst, NULL)) != burst) {
				shmring_gb_fail(st, "rte_ring bulk dequeue after an enqueue");
				break;
			}
			if (bench_msg_seq(out) != seq ||
			    (burst > 1 && bench_msg_seq(last) != burst - 1)) {
				shmring_gb_fail(st, "received messages other than the ones sent");
				break;
			}
		}
	}
}

void bench_rte_bulk(shmring_gb_state *st, void *arg)
{
	const struct bench_bulk_arg *a = arg;
	const unsigned esize = a->slot;
	const unsigned burst = (unsigned)shmring_gb_range(st, 0);
	struct rte_ring *r = rte_make("gb-bulk", esize, a->mt);

	if (!r) {
		shmring_gb_fail(st, "rte_ring_init failed");
		return;
	}
	if (esize == 8)
		a->mt ? bulk_loop(st, r, 8, burst, true) : bulk_loop(st, r, 8, burst, false);
	else
		a->mt ? bulk_loop(st, r, 64, burst, true) : bulk_loop(st, r, 64, burst, false);
	bench_count(st, burst, esize);
	free(r);
}

/* --- Two threads ---------------------------------------------------------- */

static void *pair_make(const struct bench_pair *p, int dir)
{
	return rte_make(dir ? "gb-ba" : "gb-ab", p->slot, p->impl->arg != NULL);
}

static int pair_setup(struct bench_pair *p)
{
	return bench_ring_pair_setup(p, pair_make, free, -EINVAL);
}

static const bool rte_mt = true;

const struct bench_pair_impl bench_pair_rte_mt = {
    .name = "rte_ring-mpmc",
    .arg = &rte_mt,
    .setup = pair_setup,
    .teardown = bench_ring_pair_teardown,
    .chunk = loop_chunk,
};

const struct bench_pair_impl bench_pair_rte = {
    .name = "rte_ring",
    .setup = pair_setup,
    .teardown = bench_ring_pair_teardown,
    .chunk = loop_chunk,
};
