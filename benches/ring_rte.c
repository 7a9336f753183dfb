/* SPDX-License-Identifier: MIT */
/*
 * benches/ring_rte.c - DPDK rte_ring, single producer / single consumer, on
 * memory of our own (rte_ring_get_memsize_elem + rte_ring_init): no EAL, no
 * hugepages. Elements are the messages themselves (the _elem API), 8 or 64
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

/* An SP/SC ring of BENCH_CAPACITY elements of esize bytes, or NULL. */
static struct rte_ring *rte_make(const char *name, unsigned esize)
{
	const ssize_t size = rte_ring_get_memsize_elem(esize, BENCH_CAPACITY);
	if (size < 0)
		return NULL;
	struct rte_ring *r = bench_alloc((size_t)size);
	if (r && rte_ring_init(r, name, BENCH_CAPACITY, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		free(r);
		r = NULL;
	}
	return r;
}

/* --- One thread ---------------------------------------------------------- */

BENCH_INLINE void op_loop(shmring_gb_state *st, struct rte_ring *r, unsigned esize)
{
	alignas(64) unsigned char in[BENCH_MAX_SLOT], out[BENCH_MAX_SLOT];
	uint64_t seq = 0;

	memset(in, 0xa5, sizeof in);
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++, seq++) {
			bench_msg_stamp(in, seq);
			if (rte_ring_sp_enqueue_elem(r, in, esize) != 0) {
				shmring_gb_fail(st, "rte_ring_sp_enqueue_elem into an empty ring");
				break;
			}
			if (rte_ring_sc_dequeue_elem(r, out, esize) != 0) {
				shmring_gb_fail(st, "rte_ring_sc_dequeue_elem after an enqueue");
				break;
			}
			if (bench_msg_seq(out) != seq) {
				shmring_gb_fail(st, "received a message other than the one sent");
				break;
			}
		}
	}
}

void bench_rte_op(shmring_gb_state *st, void *arg)
{
	const unsigned esize = (unsigned)shmring_gb_range(st, 0);
	struct rte_ring *r = rte_make("gb-op", esize);

	(void)arg;
	if (!r) {
		shmring_gb_fail(st, "rte_ring_init failed");
		return;
	}
	if (esize == 8)
		op_loop(st, r, 8);
	else
		op_loop(st, r, 64);
	const int64_t iters = (int64_t)shmring_gb_iterations(st);
	shmring_gb_set_items_processed(st, iters);
	shmring_gb_set_bytes_processed(st, iters * esize);
	free(r);
}

BENCH_INLINE void bulk_loop(shmring_gb_state *st, struct rte_ring *r, unsigned esize,
                            unsigned burst)
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
			if (rte_ring_sp_enqueue_bulk_elem(r, in, esize, burst, NULL) != burst) {
				shmring_gb_fail(st,
				                "rte_ring_sp_enqueue_bulk_elem into an empty ring");
				break;
			}
			if (rte_ring_sc_dequeue_bulk_elem(r, out, esize, burst, NULL) != burst) {
				shmring_gb_fail(st,
				                "rte_ring_sc_dequeue_bulk_elem after an enqueue");
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
	const unsigned esize = *(const uint32_t *)arg;
	const unsigned burst = (unsigned)shmring_gb_range(st, 0);
	struct rte_ring *r = rte_make("gb-bulk", esize);

	if (!r) {
		shmring_gb_fail(st, "rte_ring_init failed");
		return;
	}
	if (esize == 8)
		bulk_loop(st, r, 8, burst);
	else
		bulk_loop(st, r, 64, burst);
	const int64_t msgs = (int64_t)shmring_gb_iterations(st) * burst;
	shmring_gb_set_items_processed(st, msgs);
	shmring_gb_set_bytes_processed(st, msgs * esize);
	free(r);
}

/* --- Two threads ---------------------------------------------------------- */

struct rte_pair {
	struct rte_ring *r[2]; /* [0] a->b, [1] b->a */
};

static int pair_setup(struct bench_pair *p)
{
	struct rte_pair *s = calloc(1, sizeof *s);

	if (!s)
		return -ENOMEM;
	s->r[0] = rte_make("gb-ab", p->slot);
	s->r[1] = rte_make("gb-ba", p->slot);
	if (!s->r[0] || !s->r[1]) {
		free(s->r[0]);
		free(s->r[1]);
		free(s);
		return -EINVAL;
	}
	p->ring = s;
	return 0;
}

/* rte_ring has no per-thread handle: both sides use the ring itself. */
static int pair_attach(struct bench_pair *p, int side)
{
	(void)p;
	(void)side;
	return 0;
}

static void pair_detach(struct bench_pair *p, int side)
{
	(void)p;
	(void)side;
}

static void pair_teardown(struct bench_pair *p)
{
	struct rte_pair *s = p->ring;

	free(s->r[0]);
	free(s->r[1]);
	free(s);
	p->ring = NULL;
}

BENCH_INLINE int spin_send(struct bench_pair *p, struct rte_ring *r, void *msg, unsigned esize)
{
	while (rte_ring_sp_enqueue_elem(r, msg, esize) != 0) {
		if (bench_pair_stopped(p))
			return -1;
		shmring__cpu_relax();
	}
	return 0;
}

BENCH_INLINE int spin_recv(struct bench_pair *p, struct rte_ring *r, void *msg, unsigned esize,
                           uint64_t seq)
{
	while (rte_ring_sc_dequeue_elem(r, msg, esize) != 0) {
		if (bench_pair_stopped(p))
			return -1;
		shmring__cpu_relax();
	}
	if (bench_msg_seq(msg) != seq) {
		bench_pair_abort(p, "message lost, repeated or out of order");
		return -1;
	}
	return 0;
}

BENCH_INLINE int stream_sized(struct bench_pair *p, int side, uint64_t first, uint64_t n,
                              unsigned esize)
{
	struct rte_pair *s = p->ring;
	alignas(64) unsigned char msg[BENCH_MAX_SLOT] = {0};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg, i);
			if (spin_send(p, s->r[0], msg, esize) != 0)
				return -1;
		} else if (spin_recv(p, s->r[0], msg, esize, i) != 0) {
			return -1;
		}
	}
	return 0;
}

static int pair_stream(struct bench_pair *p, int side, uint64_t first, uint64_t n)
{
	return p->slot == 8 ? stream_sized(p, side, first, n, 8)
	                    : stream_sized(p, side, first, n, 64);
}

BENCH_INLINE int pingpong_sized(struct bench_pair *p, int side, uint64_t first, uint64_t n,
                                unsigned esize)
{
	struct rte_pair *s = p->ring;
	struct rte_ring *tx = s->r[side], *rx = s->r[!side];
	alignas(64) unsigned char msg[BENCH_MAX_SLOT] = {0};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg, i);
			if (spin_send(p, tx, msg, esize) != 0 ||
			    spin_recv(p, rx, msg, esize, i) != 0)
				return -1;
		} else if (spin_recv(p, rx, msg, esize, i) != 0 ||
		           spin_send(p, tx, msg, esize) != 0) {
			return -1;
		}
	}
	return 0;
}

static int pair_pingpong(struct bench_pair *p, int side, uint64_t first, uint64_t n)
{
	return p->slot == 8 ? pingpong_sized(p, side, first, n, 8)
	                    : pingpong_sized(p, side, first, n, 64);
}

const struct bench_pair_impl bench_pair_rte = {
    .name = "rte_ring",
    .setup = pair_setup,
    .attach = pair_attach,
    .detach = pair_detach,
    .teardown = pair_teardown,
    .stream = pair_stream,
    .pingpong = pair_pingpong,
};
