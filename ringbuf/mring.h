/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/mring.h - the shared core of the fixed-slot kinds with many
 * producers or many consumers: MPSC, SPMC and MPMC. Each kind is a thin file
 * (ringbuf/mpsc.c, spmc.c, mpmc.c) that instantiates these inline functions
 * with its two constants, mp (many producers) and mc (many consumers), so
 * every kind gets straight-line code for its own case. Recovery, end-of-stream
 * and cancelling at close are slow paths, out of line in ringbuf/mring.c.
 *
 * A slot is the slot word (see layout.h: lap, phase, owner generation, owner)
 * and the payload.
 *
 *   Producers   one (SPMC): the position is private, published after the
 *               slots (release, so that a consumer that sees it also sees
 *               the slots below it published).
 *               many (MPSC, MPMC): a producer records the range it is about
 *               to take in its participant entry (the intent, claims.h), takes
 *               it with a CAS on the shared producer position, stamps each
 *               slot CLAIMED(lap, gen, owner) before writing the slot's
 *               first line and publishes FULL over exactly that word (a
 *               look, then a store: shmring__mring_publish_one()).
 *   Free space  one consumer (MPSC): from the consumer position, cached per
 *               handle as in SPSC; the consumer never writes a slot back.
 *               The first slot of a claim must still show an earlier lap
 *               (a look at the line the stamp writes next): one of its own
 *               lap means the position was moved back under messages.
 *               many consumers (SPMC, MPMC): from the slot word (Vyukov-style):
 *               a slot is free for position p when it reads FREE(lap(p)).
 *   Consumers   one (MPSC): private position, published after each receive.
 *               many (SPMC, MPMC): record the intent, claim with a CAS on the
 *               shared consumer position, stamp READING, copy out, store
 *               FREE(next lap).
 *   Skipped     a SKIPPED slot (a claim recovery repaired, or a reservation
 *               cancelled at close) is consumed like a message but delivers
 *               nothing: consumers take its position, free it, and count it
 *               in the control block. A receive goes on past skipped slots,
 *               so n messages means n real ones.
 *
 * Orderings, by label (each pair names its partner):
 *   R-full   producer publishes FULL after the payload  A-full  consumer loads
 *            (a release store):                         the slot word: the
 *            the payload is visible before the message is.
 *   R-free   consumer stores FREE(L+1) after copying    A-free  producer loads
 *            out: its reads are done before the producer overwrites.
 *   R-cons   consumer stores its position (MPSC)        A-cons  producer loads
 *            it: as R-free, for all slots below the position.
 *   R-ppos   the single producer (SPMC) stores its      A-ppos  recovery,
 *            position after the slots' R-full           end-of-stream and the
 *            (release):                                 next producer's attach
 *            whatever is below it is published.         load it.
 *   R-intent a claimer stores its intent, then takes    A-intent a waiter loads
 *            the range with a release CAS on the        the position, then the
 *            shared position (claims.h).                intents (claims.h).
 *   R-repair recovery and cancel rewrite a word with a release CAS; they
 *            pair with A-full / A-free like the stores they stand in for,
 *            and carry the position the repairer saw moved (below).
 *   W-claim  producer stores CLAIMED after its CAS, W-read consumer stores
 *            READING after its CAS (both release): whoever sees the stamp
 *            also sees the position the CAS advanced.
 * Every word that shows a position as taken (W-claim, W-read, R-full, R-free,
 * R-cons, R-repair) is stored with release after the CAS that moved the
 * position past it, so a claimer that loads such a word with acquire (or
 * relaxed, then an acquire fence: MPSC's look at its first slot) and then
 * finds the position unmoved knows the segment lies (the stale-position
 * check below).
 *
 * Recovery. A producer (consumer) stopped between its CAS and its FULL
 * (FREE) holds back consumers (producers) of that slot and, since positions
 * are delivered in order, of the slots after it. The blocking calls park
 * meanwhile, and now and then ask shmring__mring_recover_rx() /
 * shmring__mring_recover_tx() what holds them back:
 *   - a slot stamped with its claim names its owner and the owner's entry
 *     generation; the judge (claims.h, a callback into src/) says whether
 *     that process is dead (a reused entry, another generation, counts as
 *     dead);
 *   - a position taken but not yet stamped still shows the previous lap's
 *     state; its claimer is among the participants whose intent covers it
 *     (A-intent), and it is dead when all of those are;
 *   - a dead producer's claim becomes SKIPPED, a dead consumer's claim is
 *     freed for the next lap (its message is lost), both by a CAS from the
 *     exact word that was judged and counted in the control block;
 *   - a live owner's claim is never taken, however long it is stopped: the
 *     waiter learns where it is held and by whom.
 * The judge calls a live process dead only from a forged table (layout 8
 * judges a second copy of the library in one process and a second mapping
 * of one segment right: src/participants.c). A producer whose claim was
 * repaired anyway finds its CLAIMED word gone when it looks before its
 * publish, counts the message as dropped and leaves the slot alone. If it
 * was stopped after the look (as it may be after its claim, before its
 * stamp, or in the middle of its payload, which no CAS could guard), its
 * late store lands in a slot a later lap may have taken: what the forger
 * could do by writing that slot itself. Consumers and recovery take the
 * word as untrusted either way: a word that no live claim explains is
 * repaired again, and nothing waits on it for longer than a recovery.
 * The publish was a CAS until layout 8 (docs/BENCHMARKS.md: the locked
 * instruction on the line the consumer polls kept one producer level with
 * rte_ring near).
 *
 * Untrusted memory: every slot address comes from a position masked by the
 * validated geometry; slot words are only compared; a shared position that
 * contradicts the slot words or the other side's position (a later state
 * while the position has not moved, positions more than a capacity apart, a
 * consumer past the producer) marks the view corrupt and the call reports
 * nothing; every scan is bounded by the capacity. `corrupt` describes the
 * last call, so a handle recovers when the state becomes valid again.
 */
#ifndef SHMRING_RINGBUF_MRING_H
#define SHMRING_RINGBUF_MRING_H

#include "ringbuf/atomics.h"
#include "ringbuf/claims.h"
#include "ringbuf/layout.h"
#include "ringbuf/spsc.h" /* shmring__copy */
#include "shmring/ring.h" /* SHMRING_PRODUCER, SHMRING_CONSUMER, SHMRING_E* */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* One side's process-local view of a multi-kind ring. */
struct shmring_mring {
	unsigned char *slots;
	struct shmring_side *prod;
	struct shmring_side *cons;
	struct shmring_ctl *ctl;
	struct shmring_part *me; /* this side's participant entry; NULL: side not taken */
	uint64_t mask;
	uint64_t capacity;
	uint32_t stride;
	uint32_t size;
	uint32_t shift;      /* log2(capacity) */
	uint32_t owner;      /* this side's participant index, stamped in slots */
	uint32_t gen;        /* the entry's generation; its low 16 bits go in slots */
	uint64_t mine;       /* the owner and generation bits of the words it stamps */
	bool mp, mc;         /* the kind's sides (from the header) */
	bool held_rx;        /* what is held: a peek (true) or a reservation */
	bool corrupt;        /* the last call found a shared index impossible */
	uint64_t pos;        /* a single side's next position */
	uint64_t peer_cache; /* producer: the consumer position last read (one
			      * consumer), or the last claim position (many) */
	uint64_t held_pos;   /* zero-copy: the first position reserved / peeked */
	uint64_t held_span;  /* zero-copy consumer: positions held, skipped included */
	unsigned held;       /* zero-copy: how many messages */
	uint64_t freed;      /* consumer: positions the last call gave back to
			      * producers (skipped slots included) */
	uint64_t dropped;    /* producer: messages found SKIPPED at publish */
};

/*
 * Set up a view. owner: the participant index this side stamps; me: its
 * entry (NULL for a side the handle has not taken); gen: the generation
 * under which the entry was taken.
 */
void shmring__mring_view(struct shmring_mring *v, void *base, const struct shmring_hdr *h,
			 uint32_t owner, struct shmring_part *me, uint32_t gen);

/* Take over the single producer side (SPMC): resume after every slot a
 * previous producer published. 0, or -SHMRING_ECORRUPT (v->corrupt set)
 * where the published position is ahead of the published slots. */
int shmring__mring_attach_producer(struct shmring_mring *v, bool mp);

/* Take over the single consumer side (MPSC) at its published position: 0,
 * or -SHMRING_ECORRUPT (v->corrupt set) where it lies behind the producers'
 * by more than a ring, or past theirs. */
int shmring__mring_attach_consumer(struct shmring_mring *v, bool mc);

/*
 * Consumer side, slow path: repair what holds this consumer back, if its
 * owner is dead. Looks at the first position from the consumer position
 * that is taken by a producer but not published (with one consumer, the
 * handle's own position; with many, the shared one). Returns
 *   1        a dead producer's claim was turned into a SKIPPED slot (counted
 *            in ctl->prod_repairs): receive again;
 *   0        nothing to repair: the ring is empty there, the slot was
 *            published, or the positions moved meanwhile (receive again);
 *   -EAGAIN  a live (or unjudgeable) producer holds position *stall_pos
 *            (its participant index in *holder, UINT32_MAX when unknown);
 *   -SHMRING_ECORRUPT  the positions or the slot word are impossible
 *            (v->corrupt is set).
 * A single producer (SPMC) never leaves a claim in shared memory: only the
 * checks are made. Never blocks; calls j->dead() at most once per entry.
 */
int shmring__mring_recover_rx(struct shmring_mring *v, const struct shmring_judge *j,
			      uint64_t *stall_pos, uint32_t *holder);

/*
 * Producer side, slow path, many consumers only (SPMC, MPMC; 0 for MPSC):
 * the first slot from the producer position that is not free because a
 * consumer took the previous lap's message and has not released it. A dead
 * consumer's claim is freed for the producers (the message is lost; counted
 * in ctl->cons_repairs). Returns 1 (repaired: send again), 0 (nothing held:
 * the ring is full of unconsumed messages or free, or positions moved),
 * -EAGAIN (a live consumer holds the claim of position *stall_pos, the
 * previous lap's, in *holder) or -SHMRING_ECORRUPT.
 */
int shmring__mring_recover_tx(struct shmring_mring *v, const struct shmring_judge *j,
			      uint64_t *stall_pos, uint32_t *holder);

/*
 * Consumer: true when nothing is published or claimed past the consumer
 * position (for end-of-stream: once no producer is left, nothing more can
 * come). False, with v->corrupt set, when the positions are impossible.
 */
bool shmring__mring_drained(struct shmring_mring *v);

/*
 * At close: give up what the view holds. A reservation with many producers
 * becomes SKIPPED (counted in ctl->cancelled per slot), with one producer it
 * is dropped (never published); a peek with many consumers is released (the
 * slots are freed for the next lap), with one consumer the messages stay for
 * the next consumer. The view's intent is cleared. v->freed says how many
 * slots went back to producers.
 */
void shmring__mring_cancel(struct shmring_mring *v, bool mp, bool mc);

static inline _Atomic uint64_t *shmring__mring_word(const struct shmring_mring *v, uint64_t pos)
{
	return (_Atomic uint64_t *)(void *)(v->slots + (pos & v->mask) * v->stride);
}

static inline unsigned char *shmring__mring_payload(const struct shmring_mring *v, uint64_t pos)
{
	return v->slots + (pos & v->mask) * v->stride + SHMRING_STAMP_SIZE;
}

/* The slot word of position pos in a phase, for an owner (0, 0 for FREE and
 * SKIPPED). */
static inline uint64_t shmring__mring_state(const struct shmring_mring *v, uint64_t pos,
					    unsigned phase, uint32_t gen, uint32_t owner)
{
	return ((pos >> v->shift) << SHMRING_SLOT_LAP_SHIFT) |
	       ((uint64_t)phase << SHMRING_SLOT_PHASE_SHIFT) |
	       ((uint64_t)(gen & SHMRING_SLOT_GEN_MASK) << SHMRING_SLOT_GEN_SHIFT) |
	       (owner & SHMRING_SLOT_OWNER_MASK);
}

/* The slot word this view stamps for position pos in a phase. */
static inline uint64_t shmring__mring_mine(const struct shmring_mring *v, uint64_t pos,
					   unsigned phase)
{
	return shmring__mring_state(v, pos, phase, 0, 0) | v->mine;
}

/*
 * Where slot word w stands against (pos, phase), the owner and its
 * generation ignored: 0 at it, < 0 before it, > 0 after it (the difference
 * of lap << 4 | phase). The shift keeps the 36 bits of lap and phase, so
 * laps compare modulo 2^32.
 */
static inline int64_t shmring__mring_cmp(const struct shmring_mring *v, uint64_t w, uint64_t pos,
					 unsigned phase)
{
	uint64_t at = ((pos >> v->shift) << 4) | phase;

	/* An exact multiple of 2^28: the division only scales it (and, unlike
	 * a right shift of a negative value, is defined by C11). */
	return (int64_t)(((w >> SHMRING_SLOT_PHASE_SHIFT) - at) << SHMRING_SLOT_PHASE_SHIFT) /
	       ((int64_t)1 << SHMRING_SLOT_PHASE_SHIFT);
}

/*
 * Whether slot word w is past (pos, phase): shmring__mring_cmp() > 0, in
 * fewer instructions for a producer's hot path. The difference of the whole
 * words has the same top 36 bits, and no borrow reaches them: the state's
 * owner and generation bits are 0.
 */
static inline bool shmring__mring_past(const struct shmring_mring *v, uint64_t w, uint64_t pos,
				       unsigned phase)
{
	return (int64_t)(w - shmring__mring_state(v, pos, phase, 0, 0)) >=
	       (int64_t)1 << SHMRING_SLOT_PHASE_SHIFT;
}

/* Exchange a slot word from exactly `expect` (one attempt decides). Release
 * on success; the call sites name their pair. */
static inline bool shmring__mring_cas(_Atomic uint64_t *w, uint64_t expect, uint64_t want)
{
	return atomic_compare_exchange_strong_explicit(w, &expect, want, memory_order_release,
						       memory_order_relaxed);
}

/*
 * Producer: claim up to n consecutive positions (all: n or none). Returns the
 * count, the first position in *start; 0 when the ring is full (or corrupt).
 * With many producers the claim is recorded in the entry first (R-intent).
 */
static inline unsigned shmring__mring_claim_tx(struct shmring_mring *v, unsigned n, bool all,
					       bool mp, bool mc, uint64_t *start)
{
	/* Relaxed: a first guess; the CAS below checks it. */
	uint64_t t = mp ? shmring__load_relaxed(&v->prod->pos) : v->pos;
	unsigned k;

	v->corrupt = false;
	if (n > v->capacity) {
		if (all)
			return 0;
		n = (unsigned)v->capacity;
	}
	for (;;) {
		uint64_t t2;

		if (mc) {
			for (k = 0; k < n; k++) {
				/* A-free: pairs with R-free in shmring__mring_recv(),
				 * _release() and R-repair in recovery. */
				uint64_t w = shmring__load_acquire(shmring__mring_word(v, t + k));
				int64_t d = shmring__mring_cmp(v, w, t + k, SHMRING_SLOT_FREE);

				if (d > 0)
					goto stale; /* position t + k is someone's already */
				if (d < 0)
					break; /* the previous lap's message is still there */
			}
			/*
			 * Laps compare modulo 2^32: a producer position forged
			 * a multiple of 2^32 laps ahead would find its slots
			 * FREE. Each FREE(lap(p)) we acquired was stored after
			 * the consumer position passed p - capacity, so a jump
			 * of that size from the last position this handle
			 * claimed at (peer_cache) is checked against the
			 * consumer position. Only such jumps are: the consumer
			 * position is a hot line, not to be read per message.
			 */
			if (k && t - v->peer_cache >= (v->capacity << 31)) {
				/* Relaxed: ordered by the A-free acquires above. */
				uint64_t c = shmring__load_relaxed(&v->cons->pos);

				if (c > t)
					goto stale; /* consumers passed t meanwhile: t is old */
				if (t + k - c > v->capacity) {
					v->corrupt = true;
					break;
				}
			}
			if (k)
				v->peer_cache = t;
		} else {
			uint64_t used = t - v->peer_cache;

			if (used > v->capacity || v->capacity - used < n) {
				/* A-cons: pairs with R-cons in shmring__mring_recv(). */
				uint64_t c = shmring__load_acquire(&v->cons->pos);

				if (c > t)
					goto stale; /* the consumer passed t: t is old */
				if (t - c > v->capacity) {
					v->corrupt = true;
					break;
				}
				v->peer_cache = c;
				used = t - c;
			}
			k = v->capacity - used < n ? (unsigned)(v->capacity - used) : n;
		}
		if (k == 0 || (all && k < n))
			break;
		if (!mp) {
			*start = t;
			return k;
		}
		/*
		 * One consumer: room comes from its position, but the slot
		 * word of t, on the line our stamp writes next, must show an
		 * earlier lap. A state of t's own lap was stored after a CAS
		 * took t: t is old, or the position was moved back under
		 * published messages, which we would overwrite. Once per
		 * claim, at its first slot: a position moved back lands on
		 * taken slots from there on. On every claim: a look skipped
		 * where t is where this handle's last claim ended was skipped
		 * for a position forged to that end, which the participant
		 * table shows (docs/BENCHMARKS.md, "MPSC's look at a claim's
		 * first slot": about 1 ns a message of one producer).
		 */
		if (!mc) {
			/* Relaxed: only compared; pairs with W-claim, R-full
			 * and R-repair through the acquire fence at stale. */
			uint64_t w = shmring__load_relaxed(shmring__mring_word(v, t));

			if (shmring__mring_past(v, w, t, SHMRING_SLOT_FREE))
				goto stale;
		}
		shmring__claim_intent(v->me, t, t + k);
		/* R-intent: release, pairs with A-intent in recovery: whoever
		 * sees the position moved sees our intent. The slot words
		 * publish what is written in the slots (R-full). */
		if (shmring__cas_weak(&v->prod->pos, &t, t + k, memory_order_release)) {
			*start = t;
			return k;
		}
		continue;
stale:
		/*
		 * What we saw was stored (W-claim, R-free, R-cons, R-repair:
		 * all release, all after the CAS that moved the position past
		 * t) and we loaded it with acquire, so a fresh load sees the
		 * position past t. If it does not, the segment lies.
		 */
		if (!mc)
			/* Acquire: for the slot word loaded relaxed above, here
			 * off the hot path; pairs with W-claim, R-full and
			 * R-repair. */
			atomic_thread_fence(memory_order_acquire);
		/* Relaxed: ordered by the acquire that saw the later state. */
		t2 = mp ? shmring__load_relaxed(&v->prod->pos) : t;
		if (t2 == t) {
			v->corrupt = true;
			break;
		}
		t = t2;
	}
	if (mp)
		shmring__claim_clear(v->me);
	return 0;
}

/* Producer: stamp claimed positions with our index before writing them. */
static inline void shmring__mring_mark_tx(const struct shmring_mring *v, uint64_t t, unsigned k)
{
	for (unsigned i = 0; i < k; i++)
		/* W-claim: release, see the header comment. A producer that dies
		 * from here to its publish leaves the claim to recovery. */
		shmring__store_release(shmring__mring_word(v, t + i),
				       shmring__mring_mine(v, t + i, SHMRING_SLOT_CLAIMED));
}

/*
 * Producer: publish one filled position. With many producers, only over our
 * own CLAIMED word: false when recovery turned the claim into SKIPPED
 * meanwhile (the message is dropped, the slot left alone). A look and a
 * store, not a CAS: a live claim is repaired only from a forged table (see
 * the header comment), and a locked instruction here would wait for the
 * line the consumer polls.
 */
static inline bool shmring__mring_publish_one(struct shmring_mring *v, uint64_t t, bool mp)
{
	_Atomic uint64_t *w = shmring__mring_word(v, t);

	/* Relaxed: compared only; our own CLAIMED store or a repair's CAS.
	 * The store below is ordered after the payload by its release. */
	if (mp && shmring__load_relaxed(w) != shmring__mring_mine(v, t, SHMRING_SLOT_CLAIMED)) {
		v->dropped++;
		return false;
	}
	/* R-full: pairs with A-full in shmring__mring_claim_rx(). */
	shmring__store_release(w, shmring__mring_mine(v, t, SHMRING_SLOT_FULL));
	return true;
}

/* Single producer: move the position past what it published. */
static inline void shmring__mring_advance_tx(struct shmring_mring *v, uint64_t end)
{
	v->pos = end;
	/* R-ppos: pairs with A-ppos in recovery, end-of-stream and attach; consumers
	 * themselves synchronise on the slot words. */
	shmring__store_release(&v->prod->pos, end);
}

/* Producer: publish k filled positions from t; returns how many of them
 * were found SKIPPED (dropped). */
static inline unsigned shmring__mring_publish_tx(struct shmring_mring *v, uint64_t t, unsigned k,
						 bool mp)
{
	unsigned lost = 0;

	for (unsigned i = 0; i < k; i++)
		lost += !shmring__mring_publish_one(v, t + i, mp);
	if (!mp)
		shmring__mring_advance_tx(v, t + k);
	return lost;
}

/*
 * Ask for the line of the slot SHMRING_LANE_AHEAD positions on, for writing,
 * as the SPSC producer does (shmring/lane.h): its owner transfer then
 * overlaps this send's work instead of stalling the next claim (a locked
 * instruction waits for every store before it). With one
 * consumer only where that slot's whole line is known free (the consumer
 * position last read; a line holds fewer than SHMRING_LANE_LINE_SLOTS
 * slots), so that a nearly full ring's unread lines stay with the
 * consumer; with many, free slots are not known from a position, and a
 * prefetch of a line still being read only costs a transfer.
 */
static inline void shmring__mring_write_ahead(const struct shmring_mring *v, uint64_t pos,
					      bool mc)
{
	uint64_t ahead = pos + SHMRING_LANE_AHEAD;

	if (mc || ahead + SHMRING_LANE_LINE_SLOTS - v->peer_cache <= v->capacity)
		shmring__prefetch_write(shmring__mring_word(v, ahead));
}

/*
 * Send up to n messages (all: n or none); returns the count written. A
 * message whose claim was repaired meanwhile is counted in v->dropped.
 * Inlined into each kind's calls, so that mp and mc are constants there:
 * left to itself, GCC made one copy of it for a kind's two sends, and the
 * MPMC round trip of 64-byte messages took about 20 ns longer.
 */
static inline SHMRING_ALWAYS_INLINE unsigned shmring__mring_send(struct shmring_mring *v,
								  const void *msgs, unsigned n,
								  bool all, bool mp, bool mc)
{
	const unsigned char *src = (const unsigned char *)msgs;
	uint64_t t = 0;
	unsigned k = shmring__mring_claim_tx(v, n, all, mp, mc, &t);

	for (unsigned i = 0; i < k; i++, src += v->size) {
		unsigned char *dst = shmring__mring_payload(v, t + i);

		shmring__mring_write_ahead(v, t + i, mc);

		/* What lies past the word's line first, then the claim, the
		 * rest and the publish on that line, all at once: the line a
		 * consumer waiting for this message reads again and again
		 * (shmring__fill_fixed()). The position is taken meanwhile,
		 * as from the claim on: recovery finds its claimer by the
		 * intents, and nobody reads a payload before its FULL word. */
		if (v->size > SHMRING_LANE_HEAD) {
			shmring__fill_tail(dst, src, v->size, !mp);
			if (mp)
				shmring__mring_mark_tx(v, t + i, 1);
			shmring__fill_head(dst, src, !mp);
		} else {
			if (mp)
				shmring__mring_mark_tx(v, t + i, 1);
			shmring__copy_into(dst, src, v->size, !mp);
		}
		shmring__mring_publish_one(v, t + i, mp);
	}
	if (!mp && k)
		shmring__mring_advance_tx(v, t + k);
	return k;
}

/*
 * Consumer: claim the positions from the head that hold up to n messages
 * (all: n or none), with the skipped slots before and among them. Returns
 * the number of positions, the first in *start and the messages among them
 * in *real; 0 when nothing is ready. When a bulk claim cannot be met, the
 * skipped slots at the head are still claimed (with *real = 0): they take
 * room the missing messages need.
 */
static inline unsigned shmring__mring_claim_rx(struct shmring_mring *v, unsigned n, bool all,
					       bool mc, uint64_t *start, unsigned *real)
{
	/* Relaxed: a first guess; the CAS below checks it. */
	uint64_t h = mc ? shmring__load_relaxed(&v->cons->pos) : v->pos;
	unsigned k, m;

	v->corrupt = false;
	if (n > v->capacity) {
		if (all)
			return 0;
		n = (unsigned)v->capacity;
	}
	for (;;) {
		unsigned lead = 0; /* skipped slots before the first message */
		uint64_t h2;

		m = 0;
		for (k = 0; k < v->capacity && m < n; k++) {
			/* A-full: pairs with R-full in shmring__mring_publish_one()
			 * and R-repair in recovery and cancel. */
			uint64_t w = shmring__load_acquire(shmring__mring_word(v, h + k));
			int64_t d = shmring__mring_cmp(v, w, h + k, SHMRING_SLOT_FULL);

			if (d < 0)
				break; /* not published yet */
			if (d > SHMRING_SLOT_SKIPPED - SHMRING_SLOT_FULL)
				goto stale; /* another consumer took h + k */
			if (d == 0)
				m++;
			else if (m == 0)
				lead++;
		}
		if (all && m < n) {
			k = lead;
			m = 0;
		}
		if (k == 0)
			break;
		if (!mc) {
			*start = h;
			*real = m;
			return k;
		}
		shmring__claim_intent(v->me, h, h + k);
		/* R-intent: release, pairs with A-intent in recovery, as for
		 * producers; the slot words carry the data. */
		if (shmring__cas_weak(&v->cons->pos, &h, h + k, memory_order_release)) {
			*start = h;
			*real = m;
			return k;
		}
		continue;
stale:
		/* As in shmring__mring_claim_tx(): W-read, R-free and R-repair
		 * follow the CAS that moved the position past h. */
		/* Relaxed: ordered by the acquire that saw the later state. */
		h2 = mc ? shmring__load_relaxed(&v->cons->pos) : h;
		if (h2 == h) {
			v->corrupt = true;
			break;
		}
		h = h2;
	}
	if (mc)
		shmring__claim_clear(v->me);
	return 0;
}

/* Consumer (many): stamp claimed positions READING with our index. */
static inline void shmring__mring_mark_rx(const struct shmring_mring *v, uint64_t h, unsigned k)
{
	for (unsigned i = 0; i < k; i++)
		/* W-read: release, see the header comment. A consumer that dies
		 * from here to its FREE leaves the claim to recovery. */
		shmring__store_release(shmring__mring_word(v, h + i),
				       shmring__mring_mine(v, h + i, SHMRING_SLOT_READING));
}

/* Consumer (many): give position h back to producers. */
static inline void shmring__mring_free_rx(const struct shmring_mring *v, uint64_t h)
{
	/* R-free: pairs with A-free in shmring__mring_claim_tx(). */
	shmring__store_release(shmring__mring_word(v, h),
			       shmring__mring_state(v, h + v->capacity, SHMRING_SLOT_FREE, 0, 0));
}

/* Consumer (one): move the position past what it consumed. */
static inline void shmring__mring_advance_rx(struct shmring_mring *v, uint64_t end)
{
	v->pos = end;
	/* R-cons: pairs with A-cons in shmring__mring_claim_tx(). */
	shmring__store_release(&v->cons->pos, end);
}

/* Whether claimed position h holds a message (else it is skipped). */
static inline bool shmring__mring_is_msg(const struct shmring_mring *v, uint64_t h)
{
	/* Relaxed: claim_rx loaded it with acquire (A-full) and the position
	 * is ours now, so only a forged write can change it; it is only
	 * compared. */
	uint64_t w = shmring__load_relaxed(shmring__mring_word(v, h));

	return shmring__mring_cmp(v, w, h, SHMRING_SLOT_FULL) == 0;
}

/* Receive up to n messages (all: n or none); returns the count. Skipped
 * slots on the way are consumed too (v->freed counts both). */
static inline SHMRING_ALWAYS_INLINE unsigned shmring__mring_recv(struct shmring_mring *v,
								 void *msgs, unsigned n, bool all,
								 bool mc)
{
	unsigned char *dst = (unsigned char *)msgs;
	uint64_t h = 0;
	unsigned m = 0, got = 0;
	unsigned k = shmring__mring_claim_rx(v, n, all, mc, &h, &m);

	v->freed = k;
	if (!k)
		return 0;
	for (unsigned i = 0; i < k; i++) {
		/* All messages (the common case): no need to tell them apart. */
		if (m == k || (got < m && shmring__mring_is_msg(v, h + i))) {
			if (mc)
				shmring__mring_mark_rx(v, h + i, 1);
			shmring__copy(dst, shmring__mring_payload(v, h + i), v->size);
			dst += v->size;
			got++;
		}
		if (mc)
			shmring__mring_free_rx(v, h + i);
	}
	if (!mc)
		shmring__mring_advance_rx(v, h + k);
	if (got < k)
		shmring__count(&v->ctl->skipped, k - got);
	return got;
}

/* Zero-copy producer: reserve up to n slots (the held ones if any). */
static inline unsigned shmring__mring_reserve(struct shmring_mring *v, unsigned n, void **slots,
					      bool mp, bool mc)
{
	uint64_t t = 0;
	unsigned k;

	if (v->held) {
		k = n < v->held ? n : v->held;
		t = v->held_pos;
	} else {
		k = shmring__mring_claim_tx(v, n, false, mp, mc, &t);
		if (mp)
			shmring__mring_mark_tx(v, t, k);
		v->held_pos = t;
		v->held = k;
		v->held_rx = false;
	}
	for (unsigned i = 0; i < k; i++) {
		shmring__mring_write_ahead(v, t + i, mc);
		slots[i] = shmring__mring_payload(v, t + i);
	}
	return k;
}

/*
 * Zero-copy producer: publish the first n reserved (many producers: all of
 * them). 0, -EINVAL, or -SHMRING_EDROPPED when some of them were found
 * SKIPPED (repaired by a peer that judged us dead): those are dropped, the
 * others published.
 */
static inline int shmring__mring_commit(struct shmring_mring *v, unsigned n, bool mp)
{
	unsigned lost;

	/* One producer: fewer than held (none included) gives the rest back. */
	if (v->held == 0 || n > v->held || (mp && n != v->held))
		return -EINVAL;
	lost = shmring__mring_publish_tx(v, v->held_pos, n, mp);
	v->held = 0;
	return lost ? -SHMRING_EDROPPED : 0;
}

/* Zero-copy consumer: the held messages, up to n, into slots[]. */
static inline unsigned shmring__mring_held_rx(const struct shmring_mring *v, unsigned n,
					      const void **slots, bool mc)
{
	unsigned k = 0;

	if (n > v->held)
		n = v->held;
	for (uint64_t i = 0; i < v->held_span && k < n; i++) {
		uint64_t q = v->held_pos + i;
		/* Relaxed: ours since the claim (A-full there); only compared. */
		uint64_t w = shmring__load_relaxed(shmring__mring_word(v, q));

		if (shmring__mring_cmp(v, w, q, mc ? SHMRING_SLOT_READING : SHMRING_SLOT_FULL) == 0)
			slots[k++] = shmring__mring_payload(v, q);
	}
	return k;
}

/*
 * Zero-copy consumer: peek at up to n messages (the held ones if any).
 * Skipped slots before the first message are consumed at once; those among
 * the messages are freed at once with many consumers, passed at release with
 * one. v->freed: positions given back to producers by this call.
 */
static inline unsigned shmring__mring_peek(struct shmring_mring *v, unsigned n, const void **slots,
					   bool mc)
{
	uint64_t h = 0;
	unsigned k, m = 0, seen = 0, lead = 0, skipped = 0;

	v->freed = 0;
	if (v->held)
		return shmring__mring_held_rx(v, n, slots, mc);
	k = shmring__mring_claim_rx(v, n, false, mc, &h, &m);
	for (unsigned i = 0; i < k; i++) {
		if (seen < m && (m == k || shmring__mring_is_msg(v, h + i))) {
			if (mc)
				shmring__mring_mark_rx(v, h + i, 1);
			seen++;
			continue;
		}
		if (seen == 0)
			lead++;
		if (mc) {
			shmring__mring_free_rx(v, h + i);
			skipped++;
		}
	}
	if (!mc) {
		skipped = lead;
		if (lead)
			shmring__mring_advance_rx(v, h + lead);
	}
	if (skipped)
		shmring__count(&v->ctl->skipped, skipped);
	v->freed = skipped;
	if (!seen)
		return 0;
	v->held_pos = h + lead;
	v->held_span = k - lead;
	v->held = seen;
	v->held_rx = true;
	return shmring__mring_held_rx(v, n, slots, mc);
}

/*
 * Zero-copy consumer: release the first n peeked (many consumers: all of
 * them); 0 or -EINVAL. With one consumer, the skipped slots among them are
 * passed too. Whatever is left of the hold is peeked again next time.
 */
static inline int shmring__mring_release(struct shmring_mring *v, unsigned n, bool mc)
{
	uint64_t i = 0;
	unsigned seen = 0;

	/* One consumer: fewer than held (none included) leaves the rest. */
	if (v->held == 0 || n > v->held || (mc && n != v->held))
		return -EINVAL;
	if (mc) {
		for (i = 0; i < v->held_span; i++) {
			uint64_t q = v->held_pos + i;
			/* Relaxed: compared only; ours since the claim. */
			uint64_t w = shmring__load_relaxed(shmring__mring_word(v, q));

			/* The skipped ones among them were freed at peek. */
			if (shmring__mring_cmp(v, w, q, SHMRING_SLOT_READING) == 0)
				shmring__mring_free_rx(v, q);
		}
		v->freed = v->held;
	} else {
		if (n == v->held)
			i = v->held_span;
		else
			for (; i < v->held_span && seen < n; i++)
				seen += shmring__mring_is_msg(v, v->held_pos + i);
		shmring__mring_advance_rx(v, v->held_pos + i);
		if (i > n)
			shmring__count(&v->ctl->skipped, i - n);
		v->freed = i;
	}
	v->held = 0;
	v->held_span = 0;
	return 0;
}

/*
 * The thin per-kind entry points (ringbuf/mpsc.c, spmc.c, mpmc.c), in the
 * same order for each kind: send, recv, reserve, commit, peek, release.
 */
struct shmring_mring_ops {
	unsigned (*send)(struct shmring_mring *v, const void *msgs, unsigned n, bool all);
	unsigned (*recv)(struct shmring_mring *v, void *msgs, unsigned n, bool all);
	unsigned (*reserve)(struct shmring_mring *v, unsigned n, void **slots);
	int (*commit)(struct shmring_mring *v, unsigned n);
	unsigned (*peek)(struct shmring_mring *v, unsigned n, const void **slots);
	int (*release)(struct shmring_mring *v, unsigned n);
	unsigned (*send1)(struct shmring_mring *v, const void *msg);
	unsigned (*recv1)(struct shmring_mring *v, void *msg);
	bool mp, mc;
};

/* Fill *ops for a multi kind; false for another kind. */
bool shmring__mring_ops(uint32_t kind, struct shmring_mring_ops *ops);

unsigned shmring__mpsc_send(struct shmring_mring *v, const void *msgs, unsigned n, bool all);
unsigned shmring__mpsc_recv(struct shmring_mring *v, void *msgs, unsigned n, bool all);
unsigned shmring__mpsc_reserve(struct shmring_mring *v, unsigned n, void **slots);
int shmring__mpsc_commit(struct shmring_mring *v, unsigned n);
unsigned shmring__mpsc_peek(struct shmring_mring *v, unsigned n, const void **slots);
int shmring__mpsc_release(struct shmring_mring *v, unsigned n);
unsigned shmring__mpsc_send1(struct shmring_mring *v, const void *msg);
unsigned shmring__mpsc_recv1(struct shmring_mring *v, void *msg);

unsigned shmring__spmc_send(struct shmring_mring *v, const void *msgs, unsigned n, bool all);
unsigned shmring__spmc_recv(struct shmring_mring *v, void *msgs, unsigned n, bool all);
unsigned shmring__spmc_reserve(struct shmring_mring *v, unsigned n, void **slots);
int shmring__spmc_commit(struct shmring_mring *v, unsigned n);
unsigned shmring__spmc_peek(struct shmring_mring *v, unsigned n, const void **slots);
int shmring__spmc_release(struct shmring_mring *v, unsigned n);
unsigned shmring__spmc_send1(struct shmring_mring *v, const void *msg);
unsigned shmring__spmc_recv1(struct shmring_mring *v, void *msg);

unsigned shmring__mpmc_send(struct shmring_mring *v, const void *msgs, unsigned n, bool all);
unsigned shmring__mpmc_recv(struct shmring_mring *v, void *msgs, unsigned n, bool all);
unsigned shmring__mpmc_reserve(struct shmring_mring *v, unsigned n, void **slots);
int shmring__mpmc_commit(struct shmring_mring *v, unsigned n);
unsigned shmring__mpmc_peek(struct shmring_mring *v, unsigned n, const void **slots);
int shmring__mpmc_release(struct shmring_mring *v, unsigned n);
unsigned shmring__mpmc_send1(struct shmring_mring *v, const void *msg);
unsigned shmring__mpmc_recv1(struct shmring_mring *v, void *msg);

#endif /* SHMRING_RINGBUF_MRING_H */
