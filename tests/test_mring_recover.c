/* SPDX-License-Identifier: MIT */
/*
 * test_mring_recover: recovery in the multi fixed kinds (MPSC, SPMC, MPMC) on
 * a plain aligned block (ringbuf layer, no system calls, one thread playing
 * every participant). A fake judge answers liveness from a table. Covers: a
 * producer's claim, stamped or not, held by a live owner (never touched) and
 * by a dead one (SKIPPED, counted, the messages after it delivered); the
 * owner's late publish (-SHMRING_EDROPPED, never delivered); an owner
 * judged dead before its stamp whose stamp and publish land a lap late
 * (repaired again, nothing wedged); a dead
 * consumer's claim, stamped or not (freed); a reused entry (another
 * generation) judged dead; cancelling at close; skipped slots in bulk,
 * burst and zero-copy receives; end-of-stream; a stamped claim word forged
 * to name a live claimer outside its range (corrupt, nothing repaired;
 * inside it, waited for); forged positions (corrupt,
 * never a hang), a producer position moved back under unconsumed messages
 * (corrupt, nothing overwritten), a forged SPMC consumer position at open
 * and an SPMC producer position ahead of its slots (refused at attach);
 * positions at or past 2^63 (refused at open; across 2^64 recovery and
 * end-of-stream said corrupt) and a full ring straddling 2^63.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "ringbuf/claims.h"
#include "ringbuf/layout.h"
#include "ringbuf/mring.h"

#define NPARTS 16u
#define SLOT 8u

/* Participant indices the tests use. */
enum { P1 = 2, P2 = 3, C1 = 5, C2 = 6 };

struct ring {
	unsigned char *base;
	struct shmring_hdr *h;
	struct shmring_part *parts;
	struct shmring_ctl *ctl;
	struct shmring_mring_ops ops;
	bool dead[NPARTS];
	unsigned calls;
	struct shmring_judge j;
};

/* The fake judge: a generation that differs from the entry's means the
 * entry was reused (dead); otherwise the table says. */
static bool fake_dead(void *ctx, uint32_t idx, uint32_t gen, unsigned bits)
{
	struct ring *r = ctx;
	uint32_t mask = bits >= 32 ? UINT32_MAX : (UINT32_C(1) << bits) - 1;

	r->calls++;
	if (idx >= NPARTS)
		return true;
	if ((shmring__load_relaxed(&r->parts[idx].gen) & mask) != (gen & mask))
		return true;
	return r->dead[idx];
}

static void ring_make(struct ring *r, uint32_t kind, uint64_t capacity)
{
	struct shmring_geometry g;

	memset(r, 0, sizeof(*r));
	assert_int_equal(shmring__geometry(capacity, SLOT, NPARTS, &g), 0);
	r->base = test_block(g.total_size);
	r->h = (struct shmring_hdr *)(void *)r->base;
	shmring__hdr_init(r->h, kind, 0, &g, 0, 0, 0);
	assert_int_equal(shmring__hdr_validate(r->h, g.total_size), 0);
	r->parts = shmring__parts(r->base);
	r->ctl = shmring__ctl(r->base);
	assert_true(shmring__mring_ops(kind, &r->ops));
	r->j = (struct shmring_judge){.dead = fake_dead, .ctx = r, .parts = r->parts,
				      .ctl = r->ctl, .nparts = NPARTS};
}

static void ring_free(struct ring *r)
{
	free(r->base);
}

/* Take entry idx in a role (as src/ does: owner, then a new generation)
 * and set up a view of that side over it. */
static void side(struct ring *r, struct shmring_mring *v, uint32_t idx, uint32_t role)
{
	struct shmring_part *p = &r->parts[idx];
	uint32_t gen = shmring__load_relaxed(&p->gen) + 1;

	shmring__store_relaxed(&p->gen, gen);
	shmring__store_relaxed(&p->claim_pos, 0);
	shmring__store_relaxed(&p->claim_end, 0);
	shmring__store_relaxed(&p->owner, ((uint64_t)(1000 + idx) << 32) | ((uint64_t)role << 24));
	shmring__mring_view(v, r->base, r->h, idx, p, gen);
	r->dead[idx] = false;
	if (role == SHMRING_PRODUCER)
		shmring__mring_attach_producer(v, r->ops.mp);
	else
		shmring__mring_attach_consumer(v, r->ops.mc);
}

static void producer(struct ring *r, struct shmring_mring *v, uint32_t idx)
{
	side(r, v, r->ops.mp ? idx : SHMRING_PART_SOLE_PRODUCER, SHMRING_PRODUCER);
}

static void consumer(struct ring *r, struct shmring_mring *v, uint32_t idx)
{
	side(r, v, r->ops.mc ? idx : SHMRING_PART_SOLE_CONSUMER, SHMRING_CONSUMER);
}

static unsigned send1(struct ring *r, struct shmring_mring *v, uint64_t m)
{
	uint64_t buf[8] = {m};

	return r->ops.send(v, buf, 1, true);
}

/* Receive up to 8 messages into out[] (burst). */
static unsigned recv8(struct ring *r, struct shmring_mring *v, uint64_t *out)
{
	return r->ops.recv(v, out, 8, false);
}

static uint64_t word(struct ring *r, uint64_t pos)
{
	struct shmring_mring v;

	shmring__mring_view(&v, r->base, r->h, 0, NULL, 0);
	return shmring__load_relaxed(shmring__mring_word(&v, pos));
}

/* Store a slot word as a peer with write access would. */
static void forge_word(struct ring *r, uint64_t pos, uint64_t w)
{
	struct shmring_mring v;

	shmring__mring_view(&v, r->base, r->h, 0, NULL, 0);
	shmring__store_relaxed(shmring__mring_word(&v, pos), w);
}

static uint64_t state(struct ring *r, uint64_t pos, unsigned phase, uint32_t gen, uint32_t owner)
{
	struct shmring_mring v;

	shmring__mring_view(&v, r->base, r->h, 0, NULL, 0);
	return shmring__mring_state(&v, pos, phase, gen, owner);
}

static uint64_t ctr(_Atomic uint64_t *c)
{
	return shmring__load_relaxed(c);
}

/*
 * Recovery by side v (tx: a producer's, else a consumer's) held back at
 * position at by a live holder: it waits (-EAGAIN), names the position and
 * the holder, and leaves the slot word as it was.
 */
static void waits_on_live(struct ring *r, struct shmring_mring *v, bool tx, uint64_t at,
			  uint32_t who)
{
	uint64_t pos = 99, w = word(r, at);
	uint32_t holder = 99;
	int rc = tx ? shmring__mring_recover_tx(v, &r->j, &pos, &holder)
		    : shmring__mring_recover_rx(v, &r->j, &pos, &holder);

	assert_int_equal(rc, -EAGAIN);
	assert_int_equal(pos, at);
	assert_int_equal(holder, who);
	assert_int_equal(word(r, at), w);
}

static const uint32_t k_mpsc = SHMRING_KIND_MPSC, k_spmc = SHMRING_KIND_SPMC,
		      k_mpmc = SHMRING_KIND_MPMC;

static uint32_t kind_of(void **state)
{
	return *(const uint32_t *)*state;
}

/* Messages go round many laps, by copy and zero-copy, in every kind. */
static void test_laps(void **st)
{
	struct ring r;
	struct shmring_mring tx, rx;
	uint64_t out[8], seq = 0, want = 0;

	ring_make(&r, kind_of(st), 4);
	producer(&r, &tx, P1);
	consumer(&r, &rx, C1);
	for (int round = 0; round < 100; round++) {
		void *s[4];
		const void *c[4];
		unsigned k;

		assert_int_equal(send1(&r, &tx, seq++), 1);
		k = r.ops.reserve(&tx, 2, s);
		assert_int_equal(k, 2);
		memcpy(s[0], &seq, 8), seq++;
		memcpy(s[1], &seq, 8), seq++;
		assert_int_equal(r.ops.commit(&tx, 2), 0);
		assert_int_equal(send1(&r, &tx, seq++), 1);
		assert_int_equal(send1(&r, &tx, 99), 0); /* full */
		assert_int_equal(r.ops.recv(&rx, out, 2, true), 2);
		assert_int_equal(out[0], want++);
		assert_int_equal(out[1], want++);
		assert_int_equal(r.ops.peek(&rx, 4, c), 2);
		assert_int_equal(*(const uint64_t *)c[0], want++);
		assert_int_equal(*(const uint64_t *)c[1], want++);
		assert_int_equal(r.ops.release(&rx, 2), 0);
		assert_int_equal(recv8(&r, &rx, out), 0);
		assert_true(shmring__mring_drained(&rx));
	}
	assert_false(tx.corrupt || rx.corrupt);
	assert_int_equal(ctr(&r.ctl->skipped), 0);
	ring_free(&r);
}

/*
 * A producer that reserved and never publishes holds the consumer back; a
 * live owner is never repaired, a dead one's claim becomes SKIPPED and the
 * next producer's messages come through; its late commit is dropped.
 */
static void test_dead_producer_stamped(void **st)
{
	struct ring r;
	struct shmring_mring a, b, rx;
	uint64_t out[8], pos = 99, w;
	uint32_t holder = 99;
	void *s[1];

	ring_make(&r, kind_of(st), 8);
	producer(&r, &a, P1);
	producer(&r, &b, P2);
	consumer(&r, &rx, C1);
	assert_int_equal(r.ops.reserve(&a, 1, s), 1);
	memcpy(s[0], &(uint64_t){666}, 8);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(send1(&r, &b, 100 + i), 1);
	assert_int_equal(recv8(&r, &rx, out), 0);
	assert_false(shmring__mring_drained(&rx));

	w = word(&r, 0);
	assert_int_equal(w, state(&r, 0, SHMRING_SLOT_CLAIMED, a.gen, P1));
	for (int i = 0; i < 3; i++)
		waits_on_live(&r, &rx, false, 0, P1);
	assert_int_equal(ctr(&r.ctl->prod_repairs), 0);

	r.dead[P1] = true;
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 1);
	assert_int_equal(word(&r, 0), state(&r, 0, SHMRING_SLOT_SKIPPED, 0, 0));
	assert_int_equal(ctr(&r.ctl->prod_repairs), 1);
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 0);

	assert_int_equal(recv8(&r, &rx, out), 3);
	assert_int_equal(rx.freed, 4);
	assert_int_equal(out[0], 100);
	assert_int_equal(out[2], 102);
	assert_int_equal(ctr(&r.ctl->skipped), 1);
	assert_true(shmring__mring_drained(&rx));

	/* The owner was alive after all (a forged table): its publish fails. */
	assert_int_equal(r.ops.commit(&a, 1), -SHMRING_EDROPPED);
	assert_int_equal(a.dropped, 1);
	assert_int_equal(recv8(&r, &rx, out), 0);
	assert_int_equal(ctr(&r.ctl->prod_repairs), 1);

	/* And the ring goes on, lap after lap. */
	for (uint64_t i = 0; i < 40; i++) {
		assert_int_equal(send1(&r, i & 1 ? &a : &b, 200 + i), 1);
		assert_int_equal(recv8(&r, &rx, out), 1);
		assert_int_equal(out[0], 200 + i);
	}
	assert_int_equal(ctr(&r.ctl->skipped), 1);
	ring_free(&r);
}

/*
 * A live producer judged dead (a forged table) after it took a position and
 * before it stamped it: the claim is repaired as unstamped. Its stamp and
 * its publish (stores, the publish after a look at that stamp) land
 * a lap late, after the consumer took the SKIPPED slot and another producer
 * published there: the slot shows an old lap's message under a taken
 * position. The consumer is held by whoever's recorded intent still covers
 * the position; once nobody's does, the word is repaired like an unstamped
 * claim: nothing wedges for good, nothing impossible is delivered.
 */
static void test_late_stamp_after_lap(void **st)
{
	struct ring r;
	struct shmring_mring a, b, rx;
	uint64_t out[8], pos = 99, t = 0;
	uint32_t holder = 99;

	ring_make(&r, kind_of(st), 4);
	producer(&r, &a, P1);
	producer(&r, &b, P2);
	consumer(&r, &rx, C1);
	shmring__claim_intent(a.me, t, t + 1); /* P1 takes position 0, no stamp */
	assert_true(atomic_compare_exchange_strong(&a.prod->pos, &t, t + 1));
	r.dead[P1] = true; /* the forged verdict */
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 1);
	r.dead[P1] = false;
	for (uint64_t i = 1; i <= 3; i++)
		assert_int_equal(send1(&r, &b, 100 + i), 1);
	assert_int_equal(recv8(&r, &rx, out), 3);
	assert_int_equal(out[0], 101);
	assert_int_equal(ctr(&r.ctl->skipped), 1);
	assert_int_equal(send1(&r, &b, 104), 1); /* position 4: slot 0, next lap */

	/* P1 goes on where it stopped: its stamp, its payload, its publish. */
	shmring__mring_mark_tx(&a, 0, 1);
	memcpy(shmring__mring_payload(&a, 0), &(uint64_t){666}, 8);
	assert_true(shmring__mring_publish_one(&a, 0, true));
	assert_int_equal(recv8(&r, &rx, out), 0);
	assert_false(rx.corrupt);
	assert_false(shmring__mring_drained(&rx));
	waits_on_live(&r, &rx, false, 4, P2); /* P2's intent still covers 4 */

	assert_int_equal(send1(&r, &b, 105), 1); /* P2 claims again */
	assert_int_equal(recv8(&r, &rx, out), 0);
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 1);
	assert_int_equal(word(&r, 4), state(&r, 4, SHMRING_SLOT_SKIPPED, 0, 0));
	assert_int_equal(ctr(&r.ctl->prod_repairs), 2);
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_int_equal(out[0], 105); /* 104 and 666 were lost to the forger */
	assert_int_equal(ctr(&r.ctl->skipped), 2);
	assert_true(shmring__mring_drained(&rx));
	for (uint64_t i = 0; i < 12; i++) {
		assert_int_equal(send1(&r, &b, 200 + i), 1);
		assert_int_equal(recv8(&r, &rx, out), 1);
		assert_int_equal(out[0], 200 + i);
	}
	assert_false(rx.corrupt);
	ring_free(&r);
}

/*
 * A producer that took a position and died before stamping it: the slot
 * still shows the previous lap. Judged by the intents in the table.
 */
static void test_dead_producer_unstamped(void **st)
{
	struct ring r;
	struct shmring_mring a, b, rx;
	uint64_t out[8], pos = 99, w, t;
	uint32_t holder = 99;

	ring_make(&r, kind_of(st), 4);
	producer(&r, &a, P1);
	producer(&r, &b, P2);
	consumer(&r, &rx, C1);
	/* One lap first, so that the slot holds an old message. */
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(send1(&r, &b, i), 1);
	assert_int_equal(recv8(&r, &rx, out), 4);

	/* P1 claims position 4 by hand: intent, CAS, no stamp. */
	t = shmring__load_relaxed(&a.prod->pos);
	assert_int_equal(t, 4);
	shmring__claim_intent(a.me, t, t + 1);
	assert_true(atomic_compare_exchange_strong(&a.prod->pos, &t, t + 1));
	assert_int_equal(send1(&r, &b, 50), 1);
	assert_int_equal(send1(&r, &b, 51), 1);
	assert_int_equal(recv8(&r, &rx, out), 0);

	w = word(&r, 4);
	assert_true(w != state(&r, 4, SHMRING_SLOT_CLAIMED, a.gen, P1));
	waits_on_live(&r, &rx, false, 4, P1);
	assert_int_equal(ctr(&r.ctl->prod_repairs), 0);

	r.dead[P1] = true;
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 1);
	assert_int_equal(word(&r, 4), state(&r, 4, SHMRING_SLOT_SKIPPED, 0, 0));
	assert_int_equal(ctr(&r.ctl->prod_repairs), 1);
	assert_int_equal(recv8(&r, &rx, out), 2);
	assert_int_equal(out[0], 50);
	assert_int_equal(out[1], 51);
	assert_int_equal(ctr(&r.ctl->skipped), 1);

	/* The same, where nobody's intent covers the position any more (the
	 * entry was freed and taken again): dead, whoever holds the entry. */
	t = shmring__load_relaxed(&a.prod->pos);
	assert_true(atomic_compare_exchange_strong(&a.prod->pos, &t, t + 1));
	side(&r, &a, P1, SHMRING_PRODUCER); /* a new, live owner with an empty intent */
	assert_int_equal(send1(&r, &b, 60), 1);
	assert_int_equal(recv8(&r, &rx, out), 0);
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 1);
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_int_equal(out[0], 60);
	assert_int_equal(ctr(&r.ctl->prod_repairs), 2);
	ring_free(&r);
}

/* A stamp from an entry that was reused since (another generation) names a
 * dead claimer, though the entry's new owner is alive. */
static void test_generation_mismatch(void **st)
{
	struct ring r;
	struct shmring_mring a, b, rx;
	uint64_t out[8], pos = 99;
	uint32_t holder = 99;
	void *s[1];

	ring_make(&r, kind_of(st), 8);
	producer(&r, &a, P1);
	producer(&r, &b, P2);
	consumer(&r, &rx, C1);
	assert_int_equal(r.ops.reserve(&a, 1, s), 1);
	assert_int_equal(send1(&r, &b, 7), 1);
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), -EAGAIN);
	/* The entry changes hands: a new generation, a live owner. */
	shmring__store_relaxed(&r.parts[P1].gen, a.gen + 1);
	r.dead[P1] = false;
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 1);
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_int_equal(out[0], 7);
	assert_int_equal(ctr(&r.ctl->prod_repairs), 1);
	ring_free(&r);
}

/* A consumer that took a message and died holds producers back once the
 * ring wraps; a live one never loses its slot. */
static void test_dead_consumer(void **st)
{
	struct ring r;
	struct shmring_mring tx, c1, c2;
	uint64_t out[8], pos = 99, w, h;
	uint32_t holder = 99;
	const void *p[1];

	ring_make(&r, kind_of(st), 4);
	producer(&r, &tx, P1);
	consumer(&r, &c1, C1);
	consumer(&r, &c2, C2);
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(send1(&r, &tx, i), 1);
	assert_int_equal(r.ops.recv(&c2, out, 1, true), 1);
	assert_int_equal(r.ops.peek(&c1, 1, p), 1); /* READING(1), never released */
	assert_int_equal(*(const uint64_t *)p[0], 1);
	assert_int_equal(recv8(&r, &c2, out), 2);
	assert_int_equal(send1(&r, &tx, 4), 1);
	assert_int_equal(send1(&r, &tx, 5), 0); /* slot of position 1 */
	assert_int_equal(shmring__mring_recover_rx(&c2, &r.j, &pos, &holder), 0);

	w = word(&r, 1);
	assert_int_equal(w, state(&r, 1, SHMRING_SLOT_READING, c1.gen, C1));
	waits_on_live(&r, &tx, true, 1, C1);
	assert_int_equal(ctr(&r.ctl->cons_repairs), 0);
	r.dead[C1] = true;
	assert_int_equal(shmring__mring_recover_tx(&tx, &r.j, &pos, &holder), 1);
	assert_int_equal(word(&r, 1), state(&r, 5, SHMRING_SLOT_FREE, 0, 0));
	assert_int_equal(ctr(&r.ctl->cons_repairs), 1);
	assert_int_equal(send1(&r, &tx, 5), 1);
	assert_int_equal(recv8(&r, &c2, out), 2);
	assert_int_equal(out[0], 4);
	assert_int_equal(out[1], 5);

	/* Unstamped: a consumer takes position 6 by hand and dies before its
	 * READING store. */
	assert_int_equal(send1(&r, &tx, 6), 1);
	assert_int_equal(send1(&r, &tx, 7), 1);
	consumer(&r, &c1, C1);
	h = shmring__load_relaxed(&c1.cons->pos);
	assert_int_equal(h, 6);
	shmring__claim_intent(c1.me, h, h + 1);
	assert_true(atomic_compare_exchange_strong(&c1.cons->pos, &h, h + 1));
	assert_int_equal(recv8(&r, &c2, out), 1);
	assert_int_equal(out[0], 7);
	assert_int_equal(send1(&r, &tx, 8), 1);
	assert_int_equal(send1(&r, &tx, 9), 1);
	assert_int_equal(send1(&r, &tx, 10), 0); /* slot of position 6 */
	w = word(&r, 6);
	assert_int_equal(w, state(&r, 6, SHMRING_SLOT_FULL, tx.gen, tx.owner));
	waits_on_live(&r, &tx, true, 6, C1);
	r.dead[C1] = true;
	assert_int_equal(shmring__mring_recover_tx(&tx, &r.j, &pos, &holder), 1);
	assert_int_equal(ctr(&r.ctl->cons_repairs), 2);
	assert_int_equal(send1(&r, &tx, 10), 1);
	assert_int_equal(send1(&r, &tx, 11), 1);
	assert_int_equal(recv8(&r, &c2, out), 4);
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(out[i], 8 + i);
	assert_int_equal(shmring__mring_recover_tx(&tx, &r.j, &pos, &holder), 0);
	ring_free(&r);
}

/* Close with a reservation: many producers turn it into SKIPPED (the old
 * lap's bytes are never delivered again), one producer drops it. */
static void test_cancel_reservation(void **st)
{
	struct ring r;
	struct shmring_mring a, b, rx;
	uint64_t out[8];
	void *s[2];

	ring_make(&r, kind_of(st), 4);
	producer(&r, &a, P1);
	if (r.ops.mp)
		producer(&r, &b, P2);
	consumer(&r, &rx, C1);
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(send1(&r, &a, i), 1);
	assert_int_equal(recv8(&r, &rx, out), 4);

	assert_int_equal(r.ops.reserve(&a, 2, s), 2); /* slots hold messages 0 and 1 */
	shmring__mring_cancel(&a, r.ops.mp, r.ops.mc);
	assert_int_equal(a.held, 0);
	if (r.ops.mp) {
		assert_int_equal(ctr(&r.ctl->cancelled), 2);
		assert_int_equal(word(&r, 4), state(&r, 4, SHMRING_SLOT_SKIPPED, 0, 0));
		assert_int_equal(send1(&r, &b, 40), 1);
	} else {
		assert_int_equal(ctr(&r.ctl->cancelled), 0);
		assert_int_equal(send1(&r, &a, 40), 1); /* the same positions again */
	}
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_int_equal(out[0], 40);
	assert_int_equal(recv8(&r, &rx, out), 0);
	assert_int_equal(ctr(&r.ctl->skipped), r.ops.mp ? 2 : 0);
	assert_true(shmring__mring_drained(&rx));
	ring_free(&r);
}

/* Close with a peek: many consumers free the slots (the messages are gone),
 * one consumer leaves them for its successor. */
static void test_cancel_peek(void **st)
{
	struct ring r;
	struct shmring_mring tx, rx, rx2;
	uint64_t out[8];
	const void *p[2];

	ring_make(&r, kind_of(st), 4);
	producer(&r, &tx, P1);
	consumer(&r, &rx, C1);
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(send1(&r, &tx, i), 1);
	assert_int_equal(r.ops.peek(&rx, 2, p), 2);
	shmring__mring_cancel(&rx, r.ops.mp, r.ops.mc);
	consumer(&r, &rx2, C2);
	if (r.ops.mc) {
		assert_int_equal(rx.freed, 2);
		assert_int_equal(send1(&r, &tx, 4), 1);
		assert_int_equal(recv8(&r, &rx2, out), 3);
		assert_int_equal(out[0], 2);
	} else {
		assert_int_equal(recv8(&r, &rx2, out), 4);
		assert_int_equal(out[0], 0);
	}
	ring_free(&r);
}

/* Skipped slots: a burst goes past them, a bulk of n means n messages, a
 * peek goes past them too. */
static void test_skipped_receives(void **st)
{
	struct ring r;
	struct shmring_mring a, b, rx;
	uint64_t out[8], pos;
	uint32_t holder;
	const void *p[4];
	void *s[1];

	ring_make(&r, kind_of(st), 8);
	producer(&r, &a, P1);
	producer(&r, &b, P2);
	consumer(&r, &rx, C1);
	r.dead[P1] = true;
	/* [S F F]: a bulk of 2 gets both messages. */
	assert_int_equal(r.ops.reserve(&a, 1, s), 1);
	assert_int_equal(send1(&r, &b, 1), 1);
	assert_int_equal(send1(&r, &b, 2), 1);
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 1);
	assert_int_equal(r.ops.recv(&rx, out, 2, true), 2);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	assert_int_equal(rx.freed, 3);
	shmring__mring_cancel(&a, true, r.ops.mc);

	/* [S F], bulk of 2: no messages, but the skipped slot is consumed. */
	producer(&r, &a, P1);
	assert_int_equal(r.ops.reserve(&a, 1, s), 1);
	assert_int_equal(send1(&r, &b, 3), 1);
	r.dead[P1] = true;
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 1);
	assert_int_equal(r.ops.recv(&rx, out, 2, true), 0);
	assert_int_equal(rx.freed, 1);
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_int_equal(out[0], 3);
	assert_int_equal(ctr(&r.ctl->skipped), 2);

	/* [F S F], peek 4: two messages, the skipped one passed at release. */
	assert_int_equal(send1(&r, &b, 4), 1);
	producer(&r, &a, P1);
	assert_int_equal(r.ops.reserve(&a, 1, s), 1);
	assert_int_equal(send1(&r, &b, 5), 1);
	r.dead[P1] = true;
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 1);
	assert_int_equal(r.ops.peek(&rx, 4, p), 2);
	assert_int_equal(*(const uint64_t *)p[0], 4);
	assert_int_equal(*(const uint64_t *)p[1], 5);
	assert_int_equal(r.ops.peek(&rx, 4, p), 2); /* the held ones again */
	assert_int_equal(*(const uint64_t *)p[1], 5);
	assert_int_equal(r.ops.release(&rx, 2), 0);
	assert_int_equal(ctr(&r.ctl->skipped), 3);
	assert_int_equal(recv8(&r, &rx, out), 0);
	assert_true(shmring__mring_drained(&rx));
	ring_free(&r);
}

/* Forged positions far away: corrupt (in the call or in recovery), never a
 * hang; the handle works again once they are put back. */
static void test_forged_far(void **st)
{
	struct ring r;
	struct shmring_mring tx, rx;
	uint64_t out[8], pos, save, far = UINT64_C(1000) * 8;
	uint32_t holder;

	ring_make(&r, kind_of(st), 8);
	producer(&r, &tx, P1);
	consumer(&r, &rx, C1);
	assert_int_equal(send1(&r, &tx, 1), 1);

	/* Producer position far ahead. */
	save = shmring__load_relaxed(&tx.prod->pos);
	shmring__store_relaxed(&tx.prod->pos, save + far);
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), -SHMRING_ECORRUPT);
	assert_true(rx.corrupt);
	assert_false(shmring__mring_drained(&rx));
	assert_true(rx.corrupt);
	if (r.ops.mp) {
		/* MPSC: from the consumer position; MPMC: the slot is at an
		 * old lap, which recovery finds impossible. */
		assert_int_equal(send1(&r, &tx, 2), 0);
		if (r.ops.mc)
			assert_int_equal(shmring__mring_recover_tx(&tx, &r.j, &pos, &holder),
					 -SHMRING_ECORRUPT);
		else
			assert_true(tx.corrupt);
	}
	shmring__store_relaxed(&tx.prod->pos, save);
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_false(rx.corrupt);
	assert_int_equal(out[0], 1);

	/* Consumer position far ahead. */
	save = shmring__load_relaxed(&rx.cons->pos);
	shmring__store_relaxed(&rx.cons->pos, save + far);
	if (!r.ops.mc) {
		/* A single consumer takes its position at attach only, and
		 * refuses one past the producers'. */
		assert_int_equal(shmring__mring_attach_consumer(&rx, false), -SHMRING_ECORRUPT);
		assert_true(rx.corrupt);
	} else {
		assert_int_equal(recv8(&r, &rx, out), 0);
		assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder),
				 -SHMRING_ECORRUPT);
		assert_int_equal(shmring__mring_recover_tx(&tx, &r.j, &pos, &holder),
				 -SHMRING_ECORRUPT);
	}
	shmring__store_relaxed(&rx.cons->pos, save);
	if (!r.ops.mc)
		assert_int_equal(shmring__mring_attach_consumer(&rx, false), 0);
	assert_int_equal(send1(&r, &tx, 4), 1);
	assert_false(tx.corrupt);
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_int_equal(out[0], 4);

	/* Producer position moved back under the published slots. */
	if (r.ops.mp) {
		save = shmring__load_relaxed(&tx.prod->pos);
		assert_int_equal(send1(&r, &tx, 5), 1);
		shmring__store_relaxed(&tx.prod->pos, save);
		if (r.ops.mc) {
			assert_int_equal(send1(&r, &tx, 6), 0);
			assert_true(tx.corrupt);
		}
		/* The published message is still delivered; then the consumer
		 * position is past the producer's. */
		assert_int_equal(recv8(&r, &rx, out), 1);
		assert_int_equal(out[0], 5);
		assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder),
				 -SHMRING_ECORRUPT);
		assert_false(shmring__mring_drained(&rx));
		assert_true(rx.corrupt);
	}
	ring_free(&r);
}

/*
 * The producer position moved back under published, unconsumed messages
 * (3 sent, forged from 3 to 1). MPSC takes its room from the consumer
 * position, which allows the claim, and overwrote messages 1 and 2 with no
 * error; the slot word at the claimed position shows its own lap already
 * published. Every way of sending says corrupt and writes nothing, the
 * consumer gets the three, and the ring goes on once the position is back.
 */
static void test_prod_moved_back(void **st)
{
	struct ring r;
	struct shmring_mring tx, tx2, rx;
	uint64_t out[8], two[2] = {20, 21}, w0, w1, w2;
	void *s[2];

	ring_make(&r, kind_of(st), 8);
	producer(&r, &tx, P1);
	producer(&r, &tx2, P2);
	consumer(&r, &rx, C1);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(send1(&r, &tx, 10 + i), 1);
	w0 = word(&r, 0);
	w1 = word(&r, 1);
	w2 = word(&r, 2);
	/* To 0, where a handle that has not claimed yet stands. */
	shmring__store_relaxed(&tx.prod->pos, 0);
	assert_int_equal(send1(&r, &tx2, 98), 0);
	assert_true(tx2.corrupt);
	assert_int_equal(word(&r, 0), w0);
	shmring__store_relaxed(&tx.prod->pos, 1);

	assert_int_equal(send1(&r, &tx, 99), 0);
	assert_true(tx.corrupt);
	assert_int_equal(r.ops.send(&tx, two, 2, true), 0);
	assert_true(tx.corrupt);
	assert_int_equal(r.ops.send(&tx, two, 2, false), 0);
	assert_true(tx.corrupt);
	assert_int_equal(r.ops.reserve(&tx, 2, s), 0);
	assert_true(tx.corrupt);
	assert_int_equal(shmring__load_relaxed(&tx.prod->pos), 1);
	assert_int_equal(word(&r, 1), w1);
	assert_int_equal(word(&r, 2), w2);
	/* No intent left to hold a consumer's recovery on us. */
	assert_int_equal(shmring__load_relaxed(&r.parts[P1].claim_end),
			 shmring__load_relaxed(&r.parts[P1].claim_pos));

	assert_int_equal(recv8(&r, &rx, out), 3);
	assert_int_equal(out[0], 10);
	assert_int_equal(out[1], 11);
	assert_int_equal(out[2], 12);
	assert_int_equal(ctr(&r.ctl->skipped), 0);

	shmring__store_relaxed(&tx.prod->pos, 3);
	assert_int_equal(send1(&r, &tx, 13), 1);
	assert_false(tx.corrupt);
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_int_equal(out[0], 13);
	assert_false(rx.corrupt);
	assert_true(shmring__mring_drained(&rx));
	ring_free(&r);
}

/* SPMC at open: a consumer position past the producer's is accepted only
 * over published slots. */
static void test_spmc_validate(void **st)
{
	struct ring r;
	struct shmring_mring tx, rx;
	uint64_t out[8];

	(void)st;
	ring_make(&r, SHMRING_KIND_SPMC, 16);
	assert_int_equal(shmring__indices_validate(r.base, r.h), 0);
	/* Consumed 10, produced 4, nothing in the slots: forged. */
	shmring__store_relaxed(&shmring__cons_side(r.base)->pos, 10);
	shmring__store_relaxed(&shmring__prod_side(r.base)->pos, 4);
	assert_int_equal(shmring__indices_validate(r.base, r.h), -SHMRING_ECORRUPT);
	shmring__store_relaxed(&shmring__cons_side(r.base)->pos, 4 + 17);
	assert_int_equal(shmring__indices_validate(r.base, r.h), -SHMRING_ECORRUPT);
	ring_free(&r);

	/* A producer that died after publishing 10 but storing 4: legal, and a
	 * successor resumes after the published slots. */
	ring_make(&r, SHMRING_KIND_SPMC, 16);
	producer(&r, &tx, 0);
	consumer(&r, &rx, C1);
	for (uint64_t i = 0; i < 10; i++)
		assert_int_equal(send1(&r, &tx, i), 1);
	shmring__store_relaxed(&tx.prod->pos, 4);
	assert_int_equal(r.ops.recv(&rx, out, 8, true), 8);
	assert_int_equal(shmring__indices_validate(r.base, r.h), 0); /* FREE(next lap) */
	assert_int_equal(r.ops.recv(&rx, out, 1, true), 1);
	assert_int_equal(shmring__indices_validate(r.base, r.h), 0);
	assert_int_equal(r.ops.recv(&rx, out, 1, true), 1);
	assert_int_equal(out[0], 9);
	producer(&r, &tx, 0);
	assert_int_equal(tx.pos, 10);
	assert_int_equal(send1(&r, &tx, 10), 1);
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_int_equal(out[0], 10);
	ring_free(&r);

	/* Many producers: any consumer position past the producer's is forged. */
	ring_make(&r, SHMRING_KIND_MPMC, 16);
	shmring__store_relaxed(&shmring__cons_side(r.base)->pos, 5);
	shmring__store_relaxed(&shmring__prod_side(r.base)->pos, 4);
	assert_int_equal(shmring__indices_validate(r.base, r.h), -SHMRING_ECORRUPT);
	ring_free(&r);
}

/*
 * SPMC: the producer position moved ahead of the published slots, with
 * nobody attached as producer. The next producer resumed there and wrote
 * into a gap no consumer reaches (consumers said corrupt, its messages were
 * lost); it is refused at attach instead. A position that trails its
 * published slots (a producer died between the two) is still taken over.
 */
static void test_spmc_attach_ahead(void **st)
{
	struct ring r;
	struct shmring_mring tx, rx;
	uint64_t out[8];

	(void)st;
	ring_make(&r, SHMRING_KIND_SPMC, 8);
	producer(&r, &tx, 0);
	consumer(&r, &rx, C1);
	for (uint64_t i = 0; i < 13; i++) {
		assert_int_equal(send1(&r, &tx, i), 1);
		assert_int_equal(recv8(&r, &rx, out), 1);
	}
	for (uint64_t i = 13; i < 16; i++)
		assert_int_equal(send1(&r, &tx, i), 1);

	shmring__store_relaxed(&tx.prod->pos, 18); /* 16 published */
	producer(&r, &tx, 0);
	assert_int_equal(shmring__mring_attach_producer(&tx, false), -SHMRING_ECORRUPT);
	assert_true(tx.corrupt);
	assert_int_equal(shmring__load_relaxed(&tx.prod->pos), 18);
	assert_int_equal(recv8(&r, &rx, out), 3);
	assert_int_equal(out[0], 13);
	assert_int_equal(out[2], 15);

	shmring__store_relaxed(&tx.prod->pos, 16);
	producer(&r, &tx, 0);
	assert_int_equal(shmring__mring_attach_producer(&tx, false), 0);
	assert_false(tx.corrupt);
	assert_int_equal(send1(&r, &tx, 16), 1);
	assert_int_equal(send1(&r, &tx, 17), 1);
	shmring__store_relaxed(&tx.prod->pos, 17); /* trails its last slot */
	producer(&r, &tx, 0);
	assert_int_equal(shmring__mring_attach_producer(&tx, false), 0);
	assert_int_equal(tx.pos, 18);
	assert_int_equal(send1(&r, &tx, 18), 1);
	assert_int_equal(recv8(&r, &rx, out), 3);
	assert_int_equal(out[0], 16);
	assert_int_equal(out[2], 18);
	assert_false(rx.corrupt);
	ring_free(&r);
}

/*
 * Positions from SHMRING_POS_MAX (2^63) on were never reached by sending,
 * and are refused at open. Forged to 2^64 - 4 with slot words to match (a
 * consistent ring) they were accepted, and across 2^64 a full ring's
 * recovery (both sides) and end-of-stream's drained check said corrupt
 * (-EUCLEAN from a blocking call) where nothing was wrong. Just below the
 * bound the ring runs on past 2^63, a full ring straddling it judged right.
 */
static void test_positions_at_the_top(void **st)
{
	static const uint64_t top[] = {UINT64_C(0) - 4, SHMRING_POS_MAX, UINT64_MAX};
	struct ring r;
	struct shmring_mring tx, rx;
	struct shmring_side *ps, *cs;
	uint64_t out[8], pos = 0, t = SHMRING_POS_MAX - 4;
	uint32_t holder = 0;

	ring_make(&r, kind_of(st), 8);
	ps = shmring__prod_side(r.base);
	cs = shmring__cons_side(r.base);
	for (size_t k = 0; k < sizeof(top) / sizeof(top[0]); k++) {
		for (int f = 0; f < 3; f++) {
			/* Both, then the producer's alone, then the consumer's. */
			shmring__store_relaxed(&ps->pos, f != 2 ? top[k] : 0);
			shmring__store_relaxed(&cs->pos, f != 1 ? top[k] : 0);
			assert_int_equal(shmring__indices_validate(r.base, r.h), -SHMRING_ECORRUPT);
		}
	}
	/* Just below: slot words as the lap before left them. */
	shmring__store_relaxed(&ps->pos, t);
	shmring__store_relaxed(&cs->pos, t);
	for (uint64_t i = 0; i < 8; i++)
		shmring__store_relaxed((_Atomic uint64_t *)(void *)(r.base + r.h->slots_off +
								  ((t + i) & 7) * r.h->slot_stride),
				       r.ops.mc ? state(&r, t + i, SHMRING_SLOT_FREE, 0, 0)
						: state(&r, t + i - 8, SHMRING_SLOT_FULL, 0, 0));
	assert_int_equal(shmring__indices_validate(r.base, r.h), 0);
	producer(&r, &tx, P1);
	consumer(&r, &rx, C1);
	for (uint64_t i = 0; i < 8; i++)
		assert_int_equal(send1(&r, &tx, 100 + i), 1);
	assert_int_equal(send1(&r, &tx, 999), 0); /* full */
	assert_false(tx.corrupt);
	assert_int_equal(shmring__mring_recover_tx(&tx, &r.j, &pos, &holder), 0);
	assert_false(tx.corrupt);
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), 0);
	assert_false(rx.corrupt);
	assert_false(shmring__mring_drained(&rx));
	assert_false(rx.corrupt);
	assert_int_equal(recv8(&r, &rx, out), 8);
	for (uint64_t i = 0; i < 8; i++)
		assert_int_equal(out[i], 100 + i);
	assert_true(shmring__mring_drained(&rx));
	assert_false(rx.corrupt);
	ring_free(&r);
}

/* End-of-stream: drained only once nothing is published or claimed. */
static void test_drained(void **st)
{
	struct ring r;
	struct shmring_mring tx, rx;
	uint64_t out[8];
	void *s[1];

	ring_make(&r, kind_of(st), 4);
	producer(&r, &tx, P1);
	consumer(&r, &rx, C1);
	assert_true(shmring__mring_drained(&rx));
	assert_int_equal(r.ops.reserve(&tx, 1, s), 1);
	assert_int_equal(shmring__mring_drained(&rx), !r.ops.mp); /* a claim is pending */
	assert_int_equal(r.ops.commit(&tx, 1), 0);
	assert_false(shmring__mring_drained(&rx));
	assert_int_equal(recv8(&r, &rx, out), 1);
	assert_true(shmring__mring_drained(&rx));
	assert_false(rx.corrupt);
	ring_free(&r);
}

/*
 * A CLAIMED word forged at the consumers' head, naming a live producer that
 * never claimed that position (its claim range is elsewhere): the consumer's
 * recovery says corrupt instead of waiting for as long as that producer
 * lives, and repairs nothing; once the word is put back the messages come.
 * A real unpublished claim of a live producer is still waited for.
 */
static void test_forged_claim_live(void **st)
{
	struct ring r;
	struct shmring_mring a, b, rx;
	uint64_t out[8], pos = 99, w0;
	uint32_t holder = 99;
	void *s[1];

	ring_make(&r, kind_of(st), 8);
	producer(&r, &a, P1);
	producer(&r, &b, P2);
	consumer(&r, &rx, C1);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(send1(&r, &a, 100 + i), 1);
	w0 = word(&r, 0);
	/* P2 has claimed nothing; P1's last claim is position 2. */
	for (int k = 0; k < 2; k++) {
		uint64_t f = k == 0 ? state(&r, 0, SHMRING_SLOT_CLAIMED, b.gen, P2)
				    : state(&r, 0, SHMRING_SLOT_CLAIMED, a.gen, P1);

		forge_word(&r, 0, f);
		assert_int_equal(recv8(&r, &rx, out), 0);
		assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder),
				 -SHMRING_ECORRUPT);
		assert_true(rx.corrupt);
		assert_int_equal(word(&r, 0), f);
		assert_int_equal(ctr(&r.ctl->prod_repairs), 0);
		forge_word(&r, 0, w0);
		rx.corrupt = false;
	}
	/* A range longer than the ring, forged into P2's entry over position
	 * 0, is no claim's: still corrupt. */
	shmring__store_relaxed(&r.parts[P2].claim_end, UINT64_C(1) << 50);
	forge_word(&r, 0, state(&r, 0, SHMRING_SLOT_CLAIMED, b.gen, P2));
	assert_int_equal(shmring__mring_recover_rx(&rx, &r.j, &pos, &holder), -SHMRING_ECORRUPT);
	forge_word(&r, 0, w0);
	shmring__store_relaxed(&r.parts[P2].claim_end, 0);
	rx.corrupt = false;
	assert_int_equal(recv8(&r, &rx, out), 3);
	assert_int_equal(out[0], 100);
	assert_int_equal(out[2], 102);

	/* P2 reserves position 3 and holds it; P1 sends behind it. */
	assert_int_equal(r.ops.reserve(&b, 1, s), 1);
	memcpy(s[0], &(uint64_t){103}, 8);
	assert_int_equal(send1(&r, &a, 104), 1);
	assert_int_equal(recv8(&r, &rx, out), 0);
	waits_on_live(&r, &rx, false, 3, P2);
	assert_false(rx.corrupt);
	assert_int_equal(r.ops.commit(&b, 1), 0);
	assert_int_equal(recv8(&r, &rx, out), 2);
	assert_int_equal(out[0], 103);
	assert_int_equal(out[1], 104);
	ring_free(&r);
}

/*
 * The same for producers: a READING word forged on a slot a live consumer
 * never took says corrupt to the producer that waits for the slot; a live
 * consumer's real peek is still waited for.
 */
static void test_forged_reading_live(void **st)
{
	struct ring r;
	struct shmring_mring tx, c1, c2;
	uint64_t out[8], pos = 99, w1;
	uint32_t holder = 99;
	const void *p[1];

	ring_make(&r, kind_of(st), 4);
	producer(&r, &tx, P1);
	consumer(&r, &c1, C1);
	consumer(&r, &c2, C2);
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(send1(&r, &tx, i), 1);
	assert_int_equal(r.ops.recv(&c2, out, 1, true), 1); /* position 0 */
	assert_int_equal(r.ops.recv(&c1, out, 1, true), 1); /* position 1 */
	assert_int_equal(recv8(&r, &c2, out), 2);
	assert_int_equal(send1(&r, &tx, 4), 1);
	w1 = word(&r, 1);
	/* C2's last claim was positions 2-3: it never held position 1. */
	forge_word(&r, 1, state(&r, 1, SHMRING_SLOT_READING, c2.gen, C2));
	assert_int_equal(send1(&r, &tx, 5), 0);
	assert_int_equal(shmring__mring_recover_tx(&tx, &r.j, &pos, &holder), -SHMRING_ECORRUPT);
	assert_true(tx.corrupt);
	assert_int_equal(word(&r, 1), state(&r, 1, SHMRING_SLOT_READING, c2.gen, C2));
	assert_int_equal(ctr(&r.ctl->cons_repairs), 0);
	tx.corrupt = false;
	/* C1's last claim was position 1 (finished): a word inside that range
	 * cannot be told from its claim, and is waited for. */
	forge_word(&r, 1, state(&r, 1, SHMRING_SLOT_READING, c1.gen, C1));
	waits_on_live(&r, &tx, true, 1, C1);
	assert_false(tx.corrupt);
	forge_word(&r, 1, w1);
	assert_int_equal(send1(&r, &tx, 5), 1);
	/* C1 peeks position 4 and holds it: a producer a lap on waits. */
	assert_int_equal(r.ops.peek(&c1, 1, p), 1);
	assert_int_equal(*(const uint64_t *)p[0], 4);
	assert_int_equal(recv8(&r, &c2, out), 1);
	assert_int_equal(out[0], 5);
	for (uint64_t i = 6; i < 8; i++)
		assert_int_equal(send1(&r, &tx, i), 1);
	assert_int_equal(send1(&r, &tx, 8), 0);
	waits_on_live(&r, &tx, true, 4, C1);
	assert_false(tx.corrupt);
	assert_int_equal(r.ops.release(&c1, 1), 0);
	assert_int_equal(send1(&r, &tx, 8), 1);
	assert_int_equal(recv8(&r, &c2, out), 3);
	assert_int_equal(out[0], 6);
	assert_int_equal(out[2], 8);
	ring_free(&r);
}

#define EACH_KIND(t) \
	cmocka_unit_test_prestate(t, (void *)&k_mpsc), \
	cmocka_unit_test_prestate(t, (void *)&k_spmc), \
	cmocka_unit_test_prestate(t, (void *)&k_mpmc)
#define MP_KINDS(t) \
	cmocka_unit_test_prestate(t, (void *)&k_mpsc), \
	cmocka_unit_test_prestate(t, (void *)&k_mpmc)
#define MC_KINDS(t) \
	cmocka_unit_test_prestate(t, (void *)&k_spmc), \
	cmocka_unit_test_prestate(t, (void *)&k_mpmc)

int main(void)
{
	const struct CMUnitTest tests[] = {
		EACH_KIND(test_laps),
		MP_KINDS(test_dead_producer_stamped),
		MP_KINDS(test_dead_producer_unstamped),
		MP_KINDS(test_late_stamp_after_lap),
		MP_KINDS(test_generation_mismatch),
		MP_KINDS(test_prod_moved_back),
		MP_KINDS(test_forged_claim_live),
		MC_KINDS(test_forged_reading_live),
		MC_KINDS(test_dead_consumer),
		EACH_KIND(test_cancel_reservation),
		EACH_KIND(test_cancel_peek),
		MP_KINDS(test_skipped_receives),
		EACH_KIND(test_forged_far),
		cmocka_unit_test(test_spmc_validate),
		cmocka_unit_test(test_spmc_attach_ahead),
		EACH_KIND(test_positions_at_the_top),
		EACH_KIND(test_drained),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
