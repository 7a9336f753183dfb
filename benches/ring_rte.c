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

/* One element in or out; mt is a constant at every call. */
BENCH_INLINE int enq1(struct rte_ring *r, void *msg, unsigned esize, bool mt)
{
	return mt ? rte_ring_mp_enqueue_elem(r, msg, esize) : rte_ring_sp_enqueue_elem(r, msg, esize);
}

BENCH_INLINE int deq1(struct rte_ring *r, void *msg, unsigned esize, bool mt)
{
	return mt ? rte_ring_mc_dequeue_elem(r, msg, esize) : rte_ring_sc_dequeue_elem(r, msg, esize);
}

/* --- One thread ---------------------------------------------------------- */

BENCH_INLINE void op_loop(shmring_gb_state *st, struct rte_ring *r, unsigned esize, bool mt)
{
	alignas(64) unsigned char in[BENCH_MAX_SLOT], out[BENCH_MAX_SLOT];
	uint64_t seq = 0;

	memset(in, 0xa5, sizeof in);
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++, seq++) {
			bench_msg_stamp(in, seq);
			if (enq1(r, in, esize, mt) != 0) {
				shmring_gb_fail(st, "rte_ring enqueue into an empty ring");
				break;
			}
			if (deq1(r, out, esize, mt) != 0) {
				shmring_gb_fail(st, "rte_ring dequeue after an enqueue");
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
	const bool mt = arg != NULL;
	struct rte_ring *r = rte_make("gb-op", esize, mt);

	if (!r) {
		shmring_gb_fail(st, "rte_ring_init failed");
		return;
	}
	if (esize == 8)
		mt ? op_loop(st, r, 8, true) : op_loop(st, r, 8, false);
	else
		mt ? op_loop(st, r, 64, true) : op_loop(st, r, 64, false);
	const int64_t iters = (int64_t)shmring_gb_iterations(st);
	shmring_gb_set_items_processed(st, iters);
	shmring_gb_set_bytes_processed(st, iters * esize);
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
	const bool mt = p->impl->arg != NULL;
	s->r[0] = rte_make("gb-ab", p->slot, mt);
	s->r[1] = rte_make("gb-ba", p->slot, mt);
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

BENCH_INLINE int spin_send(struct bench_pair *p, struct rte_ring *r, void *msg, unsigned esize,
                           bool mt)
{
	while (enq1(r, msg, esize, mt) != 0) {
		if (bench_pair_stopped(p))
			return -1;
		shmring__cpu_relax();
	}
	return 0;
}

BENCH_INLINE int spin_recv(struct bench_pair *p, struct rte_ring *r, void *msg, unsigned esize,
                           uint64_t seq, bool mt)
{
	while (deq1(r, msg, esize, mt) != 0) {
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
                              unsigned esize, bool mt)
{
	struct rte_pair *s = p->ring;
	alignas(64) unsigned char msg[BENCH_MAX_SLOT] = {0};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg, i);
			if (spin_send(p, s->r[0], msg, esize, mt) != 0)
				return -1;
		} else if (spin_recv(p, s->r[0], msg, esize, i, mt) != 0) {
			return -1;
		}
	}
	return 0;
}

static int pair_stream(struct bench_pair *p, int side, uint64_t first, uint64_t n)
{
	if (p->impl->arg)
		return p->slot == 8 ? stream_sized(p, side, first, n, 8, true)
		                    : stream_sized(p, side, first, n, 64, true);
	return p->slot == 8 ? stream_sized(p, side, first, n, 8, false)
	                    : stream_sized(p, side, first, n, 64, false);
}

BENCH_INLINE int pingpong_sized(struct bench_pair *p, int side, uint64_t first, uint64_t n,
                                unsigned esize, bool mt)
{
	struct rte_pair *s = p->ring;
	struct rte_ring *tx = s->r[side], *rx = s->r[!side];
	alignas(64) unsigned char msg[BENCH_MAX_SLOT] = {0};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg, i);
			if (spin_send(p, tx, msg, esize, mt) != 0 ||
			    spin_recv(p, rx, msg, esize, i, mt) != 0)
				return -1;
		} else if (spin_recv(p, rx, msg, esize, i, mt) != 0 ||
		           spin_send(p, tx, msg, esize, mt) != 0) {
			return -1;
		}
	}
	return 0;
}

static int pair_pingpong(struct bench_pair *p, int side, uint64_t first, uint64_t n)
{
	if (p->impl->arg)
		return p->slot == 8 ? pingpong_sized(p, side, first, n, 8, true)
		                    : pingpong_sized(p, side, first, n, 64, true);
	return p->slot == 8 ? pingpong_sized(p, side, first, n, 8, false)
	                    : pingpong_sized(p, side, first, n, 64, false);
}

static const bool rte_mt = true;

const struct bench_pair_impl bench_pair_rte_mt = {
    .name = "rte_ring-mpmc",
    .arg = &rte_mt,
    .setup = pair_setup,
    .attach = pair_attach,
    .detach = pair_detach,
    .teardown = pair_teardown,
    .stream = pair_stream,
    .pingpong = pair_pingpong,
};

const struct bench_pair_impl bench_pair_rte = {
    .name = "rte_ring",
    .setup = pair_setup,
    .attach = pair_attach,
    .detach = pair_detach,
    .teardown = pair_teardown,
    .stream = pair_stream,
    .pingpong = pair_pingpong,
};
