/* SPDX-License-Identifier: MIT */
/*
 * benches/ring_boost.c - boost::lockfree::spsc_queue, one producer and one
 * consumer, in its fixed-capacity form (capacity<4096>: no heap, the
 * element array inside the object), constructed in place in our own memory
 * through the C shim src/bench/peer_boost.cc, as `shmring bench` places it
 * in shared memory. Elements are the messages themselves, 8 or 64 bytes.
 *
 * boost's calls are C++ templates, so they are reached through one
 * out-of-line call per message (the shim's table for the size), as
 * shmring's public calls are; ck_ring and rte_ring inline into the loop.
 */

#include "rings.h"

#include "peer_boost.h"

#include <stdlib.h>

/* One queue and the shim's calls for its element size. */
struct boost_one {
	const struct shmring_bench_boost_ops *ops;
	void *q;
};

static void boost_free(void *ring)
{
	struct boost_one *b = ring;

	/* No destructor to run: the elements are plain bytes, and the queue
	 * owns nothing beyond its own storage. */
	if (b)
		free(b->q);
	free(b);
}

/* An empty queue of esize-byte messages, or NULL. */
static struct boost_one *boost_make(unsigned esize)
{
	const struct shmring_bench_boost_ops *ops = shmring_bench_boost_for_size(esize);
	struct boost_one *b;

	/* Same depth as every ring here; bench_alloc aligns to BENCH_SPACING. */
	if (!ops || ops->capacity != BENCH_CAPACITY || ops->align > BENCH_SPACING)
		return NULL;
	b = bench_alloc(sizeof *b);
	if (!b)
		return NULL;
	b->ops = ops;
	b->q = bench_alloc(ops->memsize);
	if (!b->q) {
		boost_free(b);
		return NULL;
	}
	ops->init(b->q);
	return b;
}

#define LOOP_RING "boost::lockfree::spsc_queue"
#define LOOP_END  struct boost_one *
/* The size is the queue's own (its shim table), not the loop's argument. */
#define LOOP_SEND(arg, e, m, esize, mt)                                                            \
	((void)(esize), (e)->ops->try_push((e)->q, (m)->b) ? 0 : -EAGAIN)
#define LOOP_RECV(arg, e, m, esize, mt)                                                            \
	((void)(esize), (e)->ops->try_pop((e)->q, (m)->b) ? 0 : -EAGAIN)
/* Both sides use both rings of a struct bench_ring_pair. */
#define LOOP_TX(p, side) ((struct boost_one *)BENCH_RING_PAIR(p, side))
#define LOOP_RX(p, side) ((struct boost_one *)BENCH_RING_PAIR(p, !(side)))
#define LOOP_MT(p)       false
#include "loops.h"

/* --- One thread ---------------------------------------------------------- */

void bench_boost_op(shmring_gb_state *st, void *arg)
{
	const unsigned esize = (unsigned)shmring_gb_range(st, 0);
	struct boost_one *b = boost_make(esize);

	(void)arg;
	if (!b) {
		shmring_gb_fail(st, "no boost spsc_queue of this element size");
		return;
	}
	loop_op(st, NULL, b, esize, false);
	boost_free(b);
}

/* --- Two threads ---------------------------------------------------------- */

static void *pair_make(const struct bench_pair *p, int dir)
{
	(void)dir;
	return boost_make(p->slot);
}

static int pair_setup(struct bench_pair *p)
{
	return bench_ring_pair_setup(p, pair_make, boost_free, -EINVAL);
}

const struct bench_pair_impl bench_pair_boost = {
    .name = "boost_spsc",
    .setup = pair_setup,
    .teardown = bench_ring_pair_teardown,
    .chunk = loop_chunk,
};
