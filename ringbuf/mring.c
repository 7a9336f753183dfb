/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/mring.c - setting up and taking over the sides of the multi kinds,
 * their slow paths (recovery of dead participants' claims, end-of-stream,
 * cancelling at close), and the table of their per-kind entry points.
 * Pure: the liveness of other processes is asked through the judge
 * (ringbuf/claims.h); nothing here makes a system call.
 */
#include "ringbuf/mring.h"
#include "shmring/ring.h"

void shmring__mring_view(struct shmring_mring *v, void *base, const struct shmring_hdr *h,
			 uint32_t owner, struct shmring_part *me, uint32_t gen)
{
	uint32_t multi = shmring__hdr_multi(h);

	memset(v, 0, sizeof(*v));
	v->slots = (unsigned char *)base + h->slots_off;
	v->prod = shmring__prod_side(base);
	v->cons = shmring__cons_side(base);
	v->ctl = shmring__ctl(base);
	v->me = me;
	v->capacity = h->capacity;
	v->mask = h->capacity - 1;
	v->stride = h->slot_stride;
	v->size = h->slot_size;
	while ((UINT64_C(1) << v->shift) < h->capacity)
		v->shift++;
	v->owner = owner & SHMRING_SLOT_OWNER_MASK;
	v->gen = gen;
	v->mine = shmring__mring_state(v, 0, 0, gen, v->owner);
	v->mp = multi & SHMRING_HDR_MULTI_PRODUCER;
	v->mc = multi & SHMRING_HDR_MULTI_CONSUMER;
}

static int corrupt(struct shmring_mring *v)
{
	v->corrupt = true;
	return -SHMRING_ECORRUPT;
}

int shmring__mring_attach_producer(struct shmring_mring *v, bool mp)
{
	uint64_t pos, cons;

	/* Acquire: the consumer's reads below its position are over. */
	cons = shmring__load_acquire(&v->cons->pos);
	v->peer_cache = cons;
	if (mp)
		return 0; /* many producers share the position and claim with CAS */
	/* Acquire: A-ppos: see the slots a previous producer wrote before it published. */
	pos = shmring__load_acquire(&v->prod->pos);
	if (pos > cons) {
		/*
		 * The position is stored after the slots below it are
		 * published (R-ppos), so the slot just below shows FULL of its
		 * lap or what consumers made of it since; an earlier state
		 * means the position was moved ahead of the messages, and ours
		 * would go where no consumer looks.
		 */
		/* A-full: pairs with R-full, as for the slots below. */
		uint64_t w = shmring__load_acquire(shmring__mring_word(v, pos - 1));

		if (shmring__mring_cmp(v, w, pos - 1, SHMRING_SLOT_FULL) < 0)
			return corrupt(v);
	}
	if (cons > pos && cons - pos <= v->capacity)
		pos = cons; /* the old producer died after publishing slots, not its position */
	/* Skip what a producer that died mid-send published but did not count:
	 * FULL for that position, or a later state (taken by a consumer). */
	for (uint64_t i = 0; i < v->capacity; i++, pos++) {
		/* Acquire: as above, for each slot. */
		uint64_t w = shmring__load_acquire(shmring__mring_word(v, pos));

		if (shmring__mring_cmp(v, w, pos, SHMRING_SLOT_FULL) < 0)
			break;
	}
	shmring__mring_advance_tx(v, pos);
	return 0;
}

int shmring__mring_attach_consumer(struct shmring_mring *v, bool mc)
{
	uint64_t c, p;

	if (mc)
		return 0; /* many consumers share the position and claim with CAS */
	/* Relaxed: the consumer's own published position, read back by its
	 * successor; the slot words carry the synchronisation with producers. */
	c = shmring__load_relaxed(&v->cons->pos);
	/* Relaxed: compared only. */
	p = shmring__load_relaxed(&v->prod->pos);
	/* Many producers claim past the consumer by a ring at most, and never
	 * behind it; one publishes after its slots, so the consumer may be
	 * ahead of it, by less than a ring. */
	if (v->mp ? c > p || p - c > v->capacity : (c > p ? c - p : p - c) > v->capacity)
		return corrupt(v);
	v->pos = c;
	return 0;
}

/* Whether the owner stamped in slot word w is dead (an index outside the
 * table names nobody: dead). */
static bool stamp_dead(const struct shmring_judge *j, uint64_t w, uint32_t *holder)
{
	uint32_t owner = (uint32_t)(w & SHMRING_SLOT_OWNER_MASK);
	uint32_t gen = (uint32_t)(w >> SHMRING_SLOT_GEN_SHIFT) & SHMRING_SLOT_GEN_MASK;

	*holder = owner;
	return owner >= j->nparts || j->dead(j->ctx, owner, gen, 16);
}

/*
 * The live claimer `who` that the stamped word w at q names (a producer's
 * CLAIMED, a consumer's READING): whether it never made that claim. A
 * claimer records its range (its intent) before its CAS and keeps it until
 * its next claim, and makes no claim before it has finished the last one (a
 * reservation is committed whole, a peek released before the next), so the
 * range of a claimer whose claim at q is unfinished covers q. One that does
 * not, with the word unchanged after the range was read, names a claim
 * never made: a forged word, which would otherwise hold the other side back
 * for as long as the named process runs. (A forged word inside the live
 * claimer's real range looks like its claim, and is waited for.)
 */
static bool stamp_forged(const struct shmring_mring *v, const struct shmring_judge *j,
			 uint32_t who, uint64_t q, uint64_t w)
{
	struct shmring_part *p = &j->parts[who];
	/* Acquire: A-intent, pairs with R-intent; after the acquire of w, so
	 * the range of the claim that stamped w, or of a later one. */
	uint64_t cp = shmring__load_acquire(&p->claim_pos);
	/* Acquire: as above; claim_end is stored before claim_pos. */
	uint64_t ce = shmring__load_acquire(&p->claim_end) & ~SHMRING_CLAIM_REPAIR;

	/* A range longer than the ring (no claim is) is forged: it covers
	 * nothing. */
	if (q - cp < ce - cp && ce - cp <= v->capacity)
		return false;
	/* Acquire: A-full (A-free), the word again after the range: a claimer
	 * that finished q and claimed again since shows here. */
	return shmring__load_acquire(shmring__mring_word(v, q)) == w;
}

/*
 * Repair a claim judged dead: exchange exactly the word that was judged for
 * `want`. Why a word seen once is enough: the states of a slot only move
 * forward (lap << 4 | phase grows with every store, and the lap is part of
 * the word), so the same 64-bit value cannot come back until 2^32 laps have
 * passed. A CAS that finds it has therefore found the slot exactly where it
 * was judged, still waiting on the dead claim, and can never land on a later
 * lap's claim or message; a CAS that fails means someone moved the slot on
 * (the claimer published after all, or another process repaired it), which
 * is progress too.
 */
static bool repair(struct shmring_mring *v, uint64_t pos, uint64_t seen, uint64_t want)
{
	_Atomic uint64_t *w = shmring__mring_word(v, pos);

	/* A-intent: the word again, after the judge read the intents; a claimer
	 * that stamped or published meanwhile shows here (claims.h). */
	if (shmring__load_acquire(w) != seen)
		return false;
	/* R-repair: release, pairs with A-full (consumers) and A-free
	 * (producers), and carries the position we saw moved past pos to
	 * whoever sees the new word (the stale-position check). */
	return shmring__mring_cas(w, seen, want);
}

/* The single producer (SPMC): no claim of it is ever in shared memory; check
 * its published position against the consumers'. */
static int check_single_producer(struct shmring_mring *v, uint64_t h, uint64_t p)
{
	uint64_t w;

	if (h >= p)
		/* Consumers may be ahead of the published position (it is stored
		 * after the slots), by less than a lap. */
		return h - p > v->capacity ? corrupt(v) : 0;
	if (p - h > v->capacity)
		return corrupt(v);
	/* A-full (and A-ppos above: everything below p was published first). */
	w = shmring__load_acquire(shmring__mring_word(v, h));
	if (shmring__mring_cmp(v, w, h, SHMRING_SLOT_FULL) < 0)
		return corrupt(v); /* below the published position, yet not published */
	return 0;
}

int shmring__mring_recover_rx(struct shmring_mring *v, const struct shmring_judge *j,
			      uint64_t *stall_pos, uint32_t *holder)
{
	uint64_t h, p, q, w = 0;
	int64_t d = 0;
	uint32_t who = UINT32_MAX;

	/* Acquire: keeps the loads in order, so that an unchanged consumer
	 * position brackets the producer's. */
	h = v->mc ? shmring__load_acquire(&v->cons->pos) : v->pos;
	/* A-intent: pairs with R-intent (the producers' release CAS), so the
	 * claimers' intents below it are visible; A-ppos with one producer. */
	p = shmring__load_acquire(&v->prod->pos);
	/* Acquire: as above. */
	if (v->mc && shmring__load_acquire(&v->cons->pos) != h)
		return 0; /* consumers moved on: progress, look again */
	if (!v->mp)
		return check_single_producer(v, h, p);
	/* Consumers take only published slots, producers claim only free
	 * ones: the consumer position never passes the producer's, nor trails
	 * it by more than the ring. */
	if (h > p || p - h > v->capacity)
		return corrupt(v);
	/* The first position below p that is claimed and not published. */
	for (q = h; q != p; q++) {
		/* A-full: pairs with R-full and R-repair. */
		w = shmring__load_acquire(shmring__mring_word(v, q));
		d = shmring__mring_cmp(v, w, q, SHMRING_SLOT_CLAIMED);
		if (d <= 0)
			break; /* CLAIMED, or the previous lap's state: not stamped */
	}
	if (q == p)
		return 0;
	if (d == 0) {
		/* Stamped: the word names the claimer and its generation. */
		if (!stamp_dead(j, w, &who)) {
			if (stamp_forged(v, j, who, q, w))
				return corrupt(v);
			goto live;
		}
	} else {
		/*
		 * Taken (q < p) but not stamped: the claimer stopped or died
		 * between its CAS and its CLAIMED store. It is among the entries
		 * whose intent covers q (A-intent, the acquire of p above).
		 */
		enum shmring_claim_verdict vd;

		vd = shmring__claims_judge(j, q, SHMRING_PRODUCER, 0, &who, NULL);

		if (vd == SHMRING_CLAIM_LIVE)
			goto live;
		if (vd != SHMRING_CLAIM_DEAD)
			return 0;
	}
	if (!repair(v, q, w, shmring__mring_state(v, q, SHMRING_SLOT_SKIPPED, 0, 0)))
		return 0;
	shmring__count(&v->ctl->prod_repairs, 1);
	return 1;
live:
	*stall_pos = q;
	*holder = who;
	return -EAGAIN;
}

int shmring__mring_recover_tx(struct shmring_mring *v, const struct shmring_judge *j,
			      uint64_t *stall_pos, uint32_t *holder)
{
	uint64_t t, c, q, pq, w = 0;
	int64_t d;
	uint32_t who = UINT32_MAX;

	if (!v->mc)
		return 0; /* one consumer: it never holds a slot (end-of-stream covers its death) */
	/* Acquire: keeps the producer position before the consumer's. */
	t = v->mp ? shmring__load_acquire(&v->prod->pos) : v->pos;
	/* A-intent: pairs with R-intent (the consumers' release CAS): their
	 * intents, and the slot states they saw, are visible. */
	c = shmring__load_acquire(&v->cons->pos);
	if (c > t) {
		/* Consumers take only published positions. With many producers
		 * the position we read may be old: read it again. */
		if (!v->mp || c > shmring__load_acquire(&v->prod->pos))
			return corrupt(v);
		return 0;
	}
	if (t - c > v->capacity)
		return corrupt(v);
	/* The first position from t whose previous lap a consumer took (below
	 * c) and whose slot is not free yet. Positions from c + capacity on
	 * hold messages nobody has taken: the ring is full there. */
	for (q = t; q - c < v->capacity; q++) {
		/* A-free: pairs with R-free and R-repair. */
		w = shmring__load_acquire(shmring__mring_word(v, q));
		if (shmring__mring_cmp(v, w, q, SHMRING_SLOT_FREE) < 0)
			break;
	}
	if (q - c >= v->capacity)
		return 0;
	pq = q - v->capacity;
	d = shmring__mring_cmp(v, w, pq, SHMRING_SLOT_FULL);
	if (d == SHMRING_SLOT_READING - SHMRING_SLOT_FULL) {
		/* Stamped READING: the word names the consumer. */
		if (!stamp_dead(j, w, &who)) {
			if (stamp_forged(v, j, who, pq, w))
				return corrupt(v);
			goto live;
		}
	} else if (d == 0 || d == SHMRING_SLOT_SKIPPED - SHMRING_SLOT_FULL) {
		/* Taken (pq < c) but still FULL / SKIPPED: the consumer stopped
		 * or died between its CAS and its READING (FREE) store. */
		enum shmring_claim_verdict vd;

		vd = shmring__claims_judge(j, pq, SHMRING_CONSUMER, 0, &who, NULL);

		if (vd == SHMRING_CLAIM_LIVE)
			goto live;
		if (vd != SHMRING_CLAIM_DEAD)
			return 0;
	} else {
		/* A consumer passed pq (c > pq, seen with A-intent, after it saw
		 * FULL or SKIPPED there with A-full), yet the slot shows an
		 * earlier state or no valid one. */
		return corrupt(v);
	}
	if (!repair(v, q, w, shmring__mring_state(v, q, SHMRING_SLOT_FREE, 0, 0)))
		return 0;
	shmring__count(&v->ctl->cons_repairs, 1);
	return 1;
live:
	*stall_pos = pq;
	*holder = who;
	return -EAGAIN;
}

bool shmring__mring_drained(struct shmring_mring *v)
{
	uint64_t h, p, w;
	int64_t d;

	/* Acquire: keeps the consumer position before the producer's. */
	h = v->mc ? shmring__load_acquire(&v->cons->pos) : v->pos;
	/* A-intent / A-ppos: claims and publications below p are visible. */
	p = shmring__load_acquire(&v->prod->pos);
	v->corrupt = false;
	if (p > h) {
		/* Acquire: as above; an unchanged consumer position brackets p. */
		if (p - h > v->capacity && (!v->mc || shmring__load_acquire(&v->cons->pos) == h))
			v->corrupt = true;
		return false;
	}
	if (v->mp) {
		/* Consumers never pass the producer position (h was read first). */
		if (h != p)
			v->corrupt = true;
		return h == p;
	}
	/* One producer: its published position may trail its last slots. */
	if (h - p > v->capacity) {
		v->corrupt = true;
		return false;
	}
	/* A-full: pairs with R-full. */
	w = shmring__load_acquire(shmring__mring_word(v, h));
	d = shmring__mring_cmp(v, w, h, SHMRING_SLOT_FULL);
	return d < 0; /* FULL or SKIPPED: a message to take; later: h is old */
}

void shmring__mring_cancel(struct shmring_mring *v, bool mp, bool mc)
{
	uint64_t n = 0;

	v->freed = 0;
	if (v->held && !v->held_rx && mp) {
		for (unsigned i = 0; i < v->held; i++) {
			uint64_t q = v->held_pos + i;
			uint64_t mine = shmring__mring_mine(v, q, SHMRING_SLOT_CLAIMED);
			uint64_t skipped = shmring__mring_state(v, q, SHMRING_SLOT_SKIPPED, 0, 0);

			/* R-repair: release, pairs with A-full: consumers drop the
			 * slot. From exactly our CLAIMED word: a claim recovery
			 * already skipped stays as it is. */
			n += shmring__mring_cas(shmring__mring_word(v, q), mine, skipped);
		}
		if (n)
			shmring__count(&v->ctl->cancelled, n);
	} else if (v->held && v->held_rx && mc) {
		shmring__mring_release(v, v->held, true);
	}
	/* One producer: the reservation was never published and its position
	 * not moved, so the next send writes those slots again. One consumer:
	 * its position was not moved past what it peeked. */
	v->held = 0;
	v->held_span = 0;
	shmring__claim_clear(v->me);
}

bool shmring__mring_ops(uint32_t kind, struct shmring_mring_ops *ops)
{
	switch (kind) {
	case SHMRING_KIND_MPSC:
		*ops = (struct shmring_mring_ops){shmring__mpsc_send,    shmring__mpsc_recv,
						  shmring__mpsc_reserve, shmring__mpsc_commit,
						  shmring__mpsc_peek,    shmring__mpsc_release,
						  shmring__mpsc_send1,   shmring__mpsc_recv1,
						  true,                  false};
		return true;
	case SHMRING_KIND_SPMC:
		*ops = (struct shmring_mring_ops){shmring__spmc_send,    shmring__spmc_recv,
						  shmring__spmc_reserve, shmring__spmc_commit,
						  shmring__spmc_peek,    shmring__spmc_release,
						  shmring__spmc_send1,   shmring__spmc_recv1,
						  false,                 true};
		return true;
	case SHMRING_KIND_MPMC:
		*ops = (struct shmring_mring_ops){shmring__mpmc_send,    shmring__mpmc_recv,
						  shmring__mpmc_reserve, shmring__mpmc_commit,
						  shmring__mpmc_peek,    shmring__mpmc_release,
						  shmring__mpmc_send1,   shmring__mpmc_recv1,
						  true,                  true};
		return true;
	default:
		return false;
	}
}
