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

/* ck_ring_{enqueue,dequeue}_spsc_m64: a ring whose slots are struct bench_msg. */
CK_RING_PROTOTYPE(m64, bench_msg)

/* One ck ring and its slots: ck keeps the two apart. */
struct ck_one {
	struct ck_ring ring;
	void *slots; /* ck_ring_buffer_t[] for 8 bytes, struct bench_msg[] for 64 */
};

static struct ck_one *ck_make(unsigned esize)
{
	struct ck_one *c = bench_alloc(sizeof *c);
	const size_t slot = esize == 8 ? sizeof(ck_ring_buffer_t) : sizeof(struct bench_msg);

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

static void ck_free(void *ring)
{
	struct ck_one *c = ring;

	if (c)
		free(c->slots);
	free(c);
}

/* One message in or out, for benches/loops.h; esize and mt are constants at
 * every call, so one branch remains. mt: the MPMC calls. */
BENCH_INLINE bool ck_send(struct ck_one *c, struct bench_msg *msg, unsigned esize, bool mt)
{
	if (esize == 8) {
		const uintptr_t v = (uintptr_t)bench_msg_seq(msg->b);
		return mt ? ck_ring_enqueue_mpmc(&c->ring, c->slots, (const void *)v)
		          : ck_ring_enqueue_spsc(&c->ring, c->slots, (const void *)v);
	}
	return mt ? ck_ring_enqueue_mpmc_m64(&c->ring, c->slots, msg)
	          : ck_ring_enqueue_spsc_m64(&c->ring, c->slots, msg);
}

BENCH_INLINE bool ck_recv(struct ck_one *c, struct bench_msg *msg, unsigned esize, bool mt)
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

#define LOOP_RING                       "ck_ring"
#define LOOP_END                        struct ck_one *
#define LOOP_SEND(arg, e, m, esize, mt) (ck_send(e, m, esize, mt) ? 0 : -EAGAIN)
#define LOOP_RECV(arg, e, m, esize, mt) (ck_recv(e, m, esize, mt) ? 0 : -EAGAIN)
/* Both sides use both rings of a struct bench_ring_pair. */
#define LOOP_TX(p, side) ((struct ck_one *)BENCH_RING_PAIR(p, side))
#define LOOP_RX(p, side) ((struct ck_one *)BENCH_RING_PAIR(p, !(side)))
#define LOOP_MT(p)       ((p)->impl->arg != NULL)
#include "loops.h"

/* --- One thread ---------------------------------------------------------- */

void bench_ck_op(shmring_gb_state *st, void *arg)
{
	const unsigned esize = (unsigned)shmring_gb_range(st, 0);
	struct ck_one *c = ck_make(esize);

	if (!c) {
		shmring_gb_fail(st, "out of memory");
		return;
	}
	loop_op(st, NULL, c, esize, arg != NULL);
	ck_free(c);
}

/* --- Two threads ---------------------------------------------------------- */

static void *pair_make(const struct bench_pair *p, int dir)
{
	(void)dir;
	return ck_make(p->slot);
}

static int pair_setup(struct bench_pair *p)
{
	return bench_ring_pair_setup(p, pair_make, ck_free, -ENOMEM);
}

static const bool ck_mt = true;

const struct bench_pair_impl bench_pair_ck_mpmc = {
    .name = "ck_ring-mpmc",
    .arg = &ck_mt,
    .setup = pair_setup,
    .teardown = bench_ring_pair_teardown,
    .chunk = loop_chunk,
};

const struct bench_pair_impl bench_pair_ck = {
    .name = "ck_ring",
    .setup = pair_setup,
    .teardown = bench_ring_pair_teardown,
    .chunk = loop_chunk,
};
