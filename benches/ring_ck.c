/* SPDX-License-Identifier: MIT */
/*
 * benches/ring_ck.c - Concurrency Kit ck_ring, SPSC and MPMC. 8-byte messages
 * are stored as the ring's own void * values (ck_ring_enqueue_spsc/_mpmc with
 * the number itself, not a pointer to it, so nothing points outside the ring);
 * 64-byte messages use a ring typed by CK_RING_PROTOTYPE, which copies the
 * struct into the slot. Both are inline header code.
 */

#include "rings.h"

#include "ringbuf/atomics.h"

#include <ck_ring.h>

#include <stdlib.h>

struct ck_m64 {
	unsigned char b[BENCH_MAX_SLOT];
};

/* ck_ring_{enqueue,dequeue}_spsc_m64: a ring whose slots are struct ck_m64. */
CK_RING_PROTOTYPE(m64, ck_m64)

/* One ck ring and its slots: ck keeps the two apart. */
struct ck_one {
	struct ck_ring ring;
	void *slots; /* ck_ring_buffer_t[] for 8 bytes, struct ck_m64[] for 64 */
};

static struct ck_one *ck_make(unsigned esize)
{
	struct ck_one *c = bench_alloc(sizeof *c);
	const size_t slot = esize == 8 ? sizeof(ck_ring_buffer_t) : sizeof(struct ck_m64);

	if (!c)
		return NULL;
	c->slots = bench_alloc(slot * BENCH_CAPACITY);
	if (!c->slots) {
		free(c);
		return NULL;
	}
	ck_ring_init(&c->ring, BENCH_CAPACITY);
	return c;
}

static void ck_free(struct ck_one *c)
{
	if (c)
		free(c->slots);
	free(c);
}

/* One message in or out; esize and mt are constants at every call, so one
 * branch remains. mt: the MPMC calls. */
BENCH_INLINE bool ck_send(struct ck_one *c, struct ck_m64 *msg, unsigned esize, bool mt)
{
	if (esize == 8) {
		const uintptr_t v = (uintptr_t)bench_msg_seq(msg->b);
		return mt ? ck_ring_enqueue_mpmc(&c->ring, c->slots, (const void *)v)
		          : ck_ring_enqueue_spsc(&c->ring, c->slots, (const void *)v);
	}
	return mt ? ck_ring_enqueue_mpmc_m64(&c->ring, c->slots, msg)
	          : ck_ring_enqueue_spsc_m64(&c->ring, c->slots, msg);
}

BENCH_INLINE bool ck_recv(struct ck_one *c, struct ck_m64 *msg, unsigned esize, bool mt)
{
	if (esize == 8) {
		void *v;
		if (!(mt ? ck_ring_dequeue_mpmc(&c->ring, c->slots, &v)
		         : ck_ring_dequeue_spsc(&c->ring, c->slots, &v)))
			return false;
		bench_msg_stamp(msg->b, (uintptr_t)v);
		return true;
	}
	return mt ? ck_ring_dequeue_mpmc_m64(&c->ring, c->slots, msg)
	          : ck_ring_dequeue_spsc_m64(&c->ring, c->slots, msg);
}

/* --- One thread ---------------------------------------------------------- */

BENCH_INLINE void op_loop(shmring_gb_state *st, struct ck_one *c, unsigned esize, bool mt)
{
	alignas(64) struct ck_m64 in, out;
	uint64_t seq = 0;

	memset(&in, 0xa5, sizeof in);
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++, seq++) {
			bench_msg_stamp(in.b, seq);
			if (!ck_send(c, &in, esize, mt)) {
				shmring_gb_fail(st, "ck_ring enqueue into an empty ring");
				break;
			}
			if (!ck_recv(c, &out, esize, mt)) {
				shmring_gb_fail(st, "ck_ring dequeue after an enqueue");
				break;
			}
			if (bench_msg_seq(out.b) != seq) {
				shmring_gb_fail(st, "received a message other than the one sent");
				break;
			}
		}
	}
}

void bench_ck_op(shmring_gb_state *st, void *arg)
{
	const unsigned esize = (unsigned)shmring_gb_range(st, 0);
	struct ck_one *c = ck_make(esize);

	const bool mt = arg != NULL;

	if (!c) {
		shmring_gb_fail(st, "out of memory");
		return;
	}
	if (esize == 8)
		mt ? op_loop(st, c, 8, true) : op_loop(st, c, 8, false);
	else
		mt ? op_loop(st, c, 64, true) : op_loop(st, c, 64, false);
	const int64_t iters = (int64_t)shmring_gb_iterations(st);
	shmring_gb_set_items_processed(st, iters);
	shmring_gb_set_bytes_processed(st, iters * esize);
	ck_free(c);
}

/* --- Two threads ---------------------------------------------------------- */

struct ck_pair {
	struct ck_one *r[2]; /* [0] a->b, [1] b->a */
};

static int pair_setup(struct bench_pair *p)
{
	struct ck_pair *s = calloc(1, sizeof *s);

	if (!s)
		return -ENOMEM;
	s->r[0] = ck_make(p->slot);
	s->r[1] = ck_make(p->slot);
	if (!s->r[0] || !s->r[1]) {
		ck_free(s->r[0]);
		ck_free(s->r[1]);
		free(s);
		return -ENOMEM;
	}
	p->ring = s;
	return 0;
}

/* ck_ring has no per-thread handle: both sides use the ring itself. */
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
	struct ck_pair *s = p->ring;

	ck_free(s->r[0]);
	ck_free(s->r[1]);
	free(s);
	p->ring = NULL;
}

BENCH_INLINE int spin_send(struct bench_pair *p, struct ck_one *c, struct ck_m64 *msg,
                           unsigned esize, bool mt)
{
	while (!ck_send(c, msg, esize, mt)) {
		if (bench_pair_stopped(p))
			return -1;
		shmring__cpu_relax();
	}
	return 0;
}

BENCH_INLINE int spin_recv(struct bench_pair *p, struct ck_one *c, struct ck_m64 *msg,
                           unsigned esize, uint64_t seq, bool mt)
{
	while (!ck_recv(c, msg, esize, mt)) {
		if (bench_pair_stopped(p))
			return -1;
		shmring__cpu_relax();
	}
	if (bench_msg_seq(msg->b) != seq) {
		bench_pair_abort(p, "message lost, repeated or out of order");
		return -1;
	}
	return 0;
}

BENCH_INLINE int stream_sized(struct bench_pair *p, int side, uint64_t first, uint64_t n,
                              unsigned esize, bool mt)
{
	struct ck_pair *s = p->ring;
	alignas(64) struct ck_m64 msg = {{0}};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg.b, i);
			if (spin_send(p, s->r[0], &msg, esize, mt) != 0)
				return -1;
		} else if (spin_recv(p, s->r[0], &msg, esize, i, mt) != 0) {
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
	struct ck_pair *s = p->ring;
	struct ck_one *tx = s->r[side], *rx = s->r[!side];
	alignas(64) struct ck_m64 msg = {{0}};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg.b, i);
			if (spin_send(p, tx, &msg, esize, mt) != 0 ||
			    spin_recv(p, rx, &msg, esize, i, mt) != 0)
				return -1;
		} else if (spin_recv(p, rx, &msg, esize, i, mt) != 0 ||
		           spin_send(p, tx, &msg, esize, mt) != 0) {
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

static const bool ck_mt = true;

const struct bench_pair_impl bench_pair_ck_mpmc = {
    .name = "ck_ring-mpmc",
    .arg = &ck_mt,
    .setup = pair_setup,
    .attach = pair_attach,
    .detach = pair_detach,
    .teardown = pair_teardown,
    .stream = pair_stream,
    .pingpong = pair_pingpong,
};

const struct bench_pair_impl bench_pair_ck = {
    .name = "ck_ring",
    .setup = pair_setup,
    .attach = pair_attach,
    .detach = pair_detach,
    .teardown = pair_teardown,
    .stream = pair_stream,
    .pingpong = pair_pingpong,
};
