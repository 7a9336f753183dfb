/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/claims.h - claims and their owners, for recovery: what the ring
 * cores need to decide whether a slot or record that holds them back
 * belongs to a participant that has died.
 *
 * A claim is recorded twice: in the owner's participant entry as a range of
 * positions (claim_pos, claim_end), stored before the CAS that takes the
 * range, and, once the owner gets to it, in the slot word or record stamp
 * (with the owner's index and generation). A waiter held back at position p
 * asks the stamp first; a position taken but not yet stamped is judged by the
 * entries whose range covers it: the real claimer is always among them
 * (A/R-intent below), so when none of them is alive the claimer is dead too.
 *
 * Orderings, by label:
 *   R-intent  the owner stores claim_end, then claim_pos (release), then
 *             takes the range with a CAS on the shared position that is a
 *             release too, so the range happens before the position moves.
 *   A-intent  a waiter loads the shared position with acquire and, when it
 *             is past p, the ranges with acquire: it sees the claimer's
 *             range, or one stored after the claimer stamped p (a range is
 *             replaced only once the claim is published), in which case a
 *             re-read of p's stamp shows the stamp.
 *
 * Pure: the liveness of an owner is asked through a callback that src/
 * provides (it makes system calls); nothing here does.
 */
#ifndef SHMRING_RINGBUF_CLAIMS_H
#define SHMRING_RINGBUF_CLAIMS_H

#include "ringbuf/atomics.h"
#include "ringbuf/layout.h"

#include <stdbool.h>
#include <stdint.h>

/* How recovery asks about owners. */
struct shmring_judge {
	/*
	 * Whether participant `idx` is dead. gen: the generation the claim was
	 * made under, compared with the entry's (gen_bits low bits of it: 16
	 * from a slot word, 32 from an entry); a different generation means the
	 * entry was freed or taken by another process since, so the claimer is
	 * gone. Slow path only.
	 */
	bool (*dead)(void *ctx, uint32_t idx, uint32_t gen, unsigned gen_bits);
	void *ctx;
	struct shmring_part *parts;
	struct shmring_ctl *ctl;
	uint32_t nparts;
};

/* What a waiter found in its way. */
enum shmring_claim_verdict {
	SHMRING_CLAIM_NONE = 0,  /* nothing holds the position (or it moved meanwhile) */
	SHMRING_CLAIM_LIVE = 1,  /* a live (or unjudgeable) owner holds it: wait */
	SHMRING_CLAIM_DEAD = 2,  /* every possible owner is dead: repair it */
};

/*
 * Judge the owners of position pos by the claim ranges in the table, for
 * claims of `role` (SHMRING_PRODUCER or SHMRING_CONSUMER). Returns LIVE as
 * soon as one live entry of that role covers pos (its index in *holder),
 * else DEAD (the index of a dead one covering it in *holder, its generation
 * in *holder_gen unless NULL, or UINT32_MAX when none covers it: its entry
 * was taken over since). An entry whose claim_end carries a bit of
 * `given_up` is judged as a dead one, alive or not: that mark says its owner
 * writes nothing more in the range (0 where a ring has no such mark). The
 * caller re-reads the slot afterwards (A-intent).
 */
static inline enum shmring_claim_verdict shmring__claims_judge(const struct shmring_judge *j,
								uint64_t pos, uint32_t role,
								uint64_t given_up,
								uint32_t *holder,
								uint32_t *holder_gen)
{
	enum shmring_claim_verdict v = SHMRING_CLAIM_DEAD;

	*holder = UINT32_MAX;
	for (uint32_t i = 0; i < j->nparts; i++) {
		struct shmring_part *p = &j->parts[i];
		/* Acquire: A-intent, pairs with R-intent (see above). */
		uint64_t cp = shmring__load_acquire(&p->claim_pos);
		/* Acquire: as above; claim_end is stored before claim_pos. */
		uint64_t raw = shmring__load_acquire(&p->claim_end);
		uint64_t ce = raw & ~SHMRING_CLAIM_REPAIR;
		/* Relaxed: the role bits only select entries; liveness is
		 * asked through the callback. */
		uint64_t owner = shmring__load_relaxed(&p->owner);
		/* Relaxed: as above. */
		uint32_t gen = shmring__load_relaxed(&p->gen);

		if (owner == 0 || !(SHMRING_PART_ROLE(owner) & role))
			continue;
		if (pos - cp >= ce - cp || ce - cp > (UINT64_C(1) << 40))
			continue; /* not covered (or an impossible range) */
		*holder = i;
		if (holder_gen)
			*holder_gen = gen;
		if (!(raw & given_up) && !j->dead(j->ctx, i, gen, 32))
			return SHMRING_CLAIM_LIVE;
	}
	return v;
}

/* Record a claim range in the owner's own entry (R-intent). */
static inline void shmring__claim_intent(struct shmring_part *me, uint64_t pos, uint64_t end)
{
	if (!me)
		return;
	/* Release: a reader that loads this end alone, with an older
	 * claim_pos (a torn pair), sees our entry's generation with it. Plain
	 * on x86; published for judges by the release store of claim_pos. */
	shmring__store_release(&me->claim_end, end);
	/* R-intent: pairs with A-intent in shmring__claims_judge(). */
	shmring__store_release(&me->claim_pos, pos);
}

/* Drop a range that a failed CAS did not take. */
static inline void shmring__claim_clear(struct shmring_part *me)
{
	if (!me)
		return;
	/* Relaxed: an empty range; the judge re-reads the slot anyway. */
	shmring__store_relaxed(&me->claim_end, shmring__load_relaxed(&me->claim_pos));
}

/* Count one event in a segment counter (slow paths only). */
static inline void shmring__count(_Atomic uint64_t *c, uint64_t n)
{
	/* Relaxed: a statistic. */
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

#endif /* SHMRING_RINGBUF_CLAIMS_H */
