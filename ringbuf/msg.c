/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/msg.c - the message ring (see msg.h). Pure: no system calls, no
 * allocation, no globals; the liveness of other processes is asked through
 * the judge (ringbuf/claims.h).
 */
#include "ringbuf/msg.h"
#include "shmring/lane.h" /* shmring__prefetch_write, the distance ahead, shmring__copy_from */

#include <errno.h>
#include <string.h>

#define ALIGN_MASK ((uint64_t)SHMRING_REC_ALIGN - 1)
#define STATE_MASK ((uint64_t)SHMRING_REC_STATE_MASK)
/* The longest claim range taken as real, as in shmring__claims_judge(). */
#define RANGE_MAX (UINT64_C(1) << 40)

/* What rx_look() found at a position. */
enum look {
	LOOK_READY = 1,  /* a committed record, padding, a skipped record or a filler */
	LOOK_NOT_YET = 0,
	LOOK_TAKEN = -1, /* another consumer claimed it: our position is old */
	LOOK_CORRUPT = -2,
};

enum rec_kind {
	REC_MSG,     /* a record to deliver */
	REC_PAD,     /* padding up to the end of the area */
	REC_SKIPPED, /* repaired or cancelled: its extent from info, nothing delivered */
	REC_FILLER,  /* 16 bytes written by recovery */
	REC_LOST,    /* one consumer: its predecessor died clearing it (see scrub()) */
};

struct rec_meta {
	uint64_t next; /* position after the record (after the padding: the next lap) */
	uint32_t len;
	uint32_t type;
	enum rec_kind kind;
};

static struct shmring_rec *rec_at(const struct shmring_msgring *v, uint64_t pos)
{
	return (struct shmring_rec *)(void *)(v->area + (pos & v->mask));
}

static unsigned char *payload_at(const struct shmring_msgring *v, uint64_t pos)
{
	return v->area + (pos & v->mask) + SHMRING_REC_HDR;
}

/*
 * Clear every 16-byte-aligned word inside the item at p (up to next), its
 * header aside, that names a later position at the same place in the area,
 * before the bytes go back to producers (consumers) or are left unpublished
 * (a producer's cancel, a new producer's start). A consumer reads the stamp
 * of a position a producer has claimed and not stamped yet, and finds what
 * an earlier lap left there. A header left there names an older position,
 * but a payload word could name the current one (a payload holding small
 * numbers: 0x2f24 names position 0x2f20 as RELEASED), and the record it
 * seemed to describe would be believed. Only a word naming a later position
 * at the same offset can ever be taken for a stamp, so only such a word is
 * stored over: the others cost a load of a line the caller has just read.
 *
 * One consumer hands a record on to its successor when it dies before
 * publishing its position; cleared words would reach the successor zeroed.
 * So before its first store into a committed record it marks the record
 * READING (a state only many consumers use otherwise), and the successor
 * passes a record so marked as a dead consumer's, lost and counted
 * (rx_look()), as a dead consumer's claim is with many consumers. A record
 * with no such word, the usual case, is neither marked nor changed, and
 * reaches the successor whole.
 */
static void scrub(const struct shmring_msgring *v, uint64_t p, uint64_t next)
{
	bool marked = v->mc;

	for (uint64_t q = p + SHMRING_REC_ALIGN; q < next; q += SHMRING_REC_ALIGN) {
		_Atomic uint64_t *w = &rec_at(v, q)->stamp;
		/* Relaxed, both: the release that gives the bytes back (R-cons,
		 * R-rel) publishes the zero. */
		uint64_t x = shmring__load_relaxed(w), at = x & ~STATE_MASK;
		uint64_t st = x & STATE_MASK;

		if (!(st >= SHMRING_REC_CLAIMED && st <= SHMRING_REC_FILLER && at > q &&
		      ((at - q) & v->mask) == 0))
			continue;
		if (!marked) {
			_Atomic uint64_t *ps = &rec_at(v, p)->stamp;

			/* Relaxed, both: only the one consumer writes the stamp
			 * of a record it has not passed (a producer's cancel
			 * scrubs a record never committed: no mark); the fence
			 * below orders the mark. */
			if (shmring__load_relaxed(ps) == (p | SHMRING_REC_COMMITTED))
				shmring__store_relaxed(ps, p | SHMRING_REC_READING);
			/* The mark before the zeros, for a successor that reads
			 * them after our death. */
			atomic_thread_fence(memory_order_release);
			marked = true;
		}
		shmring__store_relaxed(w, 0);
	}
}

/* Bytes from pos to the end of the area. */
static uint64_t left_at(const struct shmring_msgring *v, uint64_t pos)
{
	return v->capacity - (pos & v->mask);
}

/*
 * A position read from shared memory may address a record only if it is a
 * multiple of the record alignment: then a whole header lies before the end
 * of the area (the area is a multiple of 16 bytes).
 */
static bool aligned(uint64_t pos)
{
	return (pos & ALIGN_MASK) == 0;
}

/* Whether stamp s names position p, in a state a record can be in. */
static bool names(uint64_t s, uint64_t p)
{
	uint64_t st = s & STATE_MASK;

	return (s & ~STATE_MASK) == p && st >= SHMRING_REC_CLAIMED && st <= SHMRING_REC_FILLER;
}

/* A CAS that fails only when the word differs (*expected then holds it,
 * read relaxed). */
static bool cas_exact(_Atomic uint64_t *w, uint64_t *expected, uint64_t desired,
		      memory_order order)
{
	return atomic_compare_exchange_strong_explicit(w, expected, desired, order,
						       memory_order_relaxed);
}

static int corrupt(struct shmring_msgring *v)
{
	v->corrupt = true;
	return -SHMRING_ECORRUPT;
}

/* Every entry point: corrupt and moved describe this call only. */
static void call_begin(struct shmring_msgring *v)
{
	v->corrupt = false;
	v->moved = false;
}

/*
 * Decode a header's info word read at pos: 0, or -1 when impossible (a length
 * above the ring's largest, a record crossing the end of the area, padding
 * longer than any record would need).
 */
static int decode_info(const struct shmring_msgring *v, uint64_t pos, uint32_t info,
		       struct rec_meta *m)
{
	uint64_t left = left_at(v, pos);

	if (info & SHMRING_REC_PAD) {
		if (left >= shmring__rec_span(v->max_len))
			return -1;
		m->kind = REC_PAD;
		m->len = 0;
		m->next = pos + left;
		return 0;
	}
	m->kind = REC_MSG;
	m->len = info & SHMRING_REC_LEN_MASK;
	if (m->len > v->max_len || shmring__rec_span(m->len) > left)
		return -1;
	m->next = pos + shmring__rec_span(m->len);
	return 0;
}

/* Whether entry e's claim range covers pos; the range in *cp, *ce. */
static bool range_covers(struct shmring_part *e, uint64_t pos, uint64_t *cp, uint64_t *ce)
{
	/* Acquire: A-intent, pairs with R-intent (claims.h). */
	*cp = shmring__load_acquire(&e->claim_pos);
	/* Acquire: as above; claim_end is stored before claim_pos. */
	*ce = shmring__load_acquire(&e->claim_end) & ~SHMRING_CLAIM_REPAIR;
	return pos - *cp < *ce - *cp && *ce - *cp <= RANGE_MAX;
}

void shmring__msg_view(struct shmring_msgring *v, void *base, const struct shmring_hdr *h,
		       uint32_t owner, struct shmring_part *me, uint32_t gen)
{
	uint32_t multi = shmring__hdr_multi(h);

	memset(v, 0, sizeof(*v));
	v->area = (unsigned char *)base + h->slots_off;
	v->prod = shmring__prod_side(base);
	v->cons = shmring__cons_side(base);
	v->ctl = shmring__ctl(base);
	v->me = me;
	v->capacity = h->capacity;
	v->mask = h->capacity - 1;
	v->max_len = h->slot_size;
	v->owner = owner & SHMRING_SLOT_OWNER_MASK;
	v->gen = gen;
	v->mp = multi & SHMRING_HDR_MULTI_PRODUCER;
	v->mc = multi & SHMRING_HDR_MULTI_CONSUMER;
}

/* --- Producers ----------------------------------------------------------- */

/*
 * The watermark below which producers may reuse bytes: the one consumer's
 * position, or with many consumers the release watermark.
 */
static _Atomic uint64_t *watermark(const struct shmring_msgring *v)
{
	return v->mc ? &v->cons->done : &v->cons->pos;
}

static bool sweep(struct shmring_msgring *v);

/*
 * The one producer resumes where the records say its predecessor stopped:
 * after the last record committed from the watermark w on (the consumer
 * position, or with many consumers the release watermark). A producer
 * commits in order and publishes its position after its records, so every
 * position it published lies behind w or on that walk, and the records it
 * committed and never published (it died in between) are on the walk too.
 * A published position anywhere else (inside a record, past the last one)
 * was forged: resuming there would write over committed records or leave a
 * gap consumers wait at for ever. So, as in SPSC, the published position is
 * checked for its reach only, and the records decide.
 */
int shmring__msg_attach_producer(struct shmring_msgring *v)
{
	uint64_t pos, w, c;

	call_begin(v);
	/* Acquire: A-cons, see the header comment. */
	w = shmring__load_acquire(watermark(v));
	if (!aligned(w))
		return corrupt(v);
	v->peer_cache = w;
	if (v->mp)
		return 0; /* the position is shared and claimed with CAS */
	/* Acquire: A-ppos: see the records a previous producer wrote before publishing. */
	pos = shmring__load_acquire(&v->prod->pos);
	/* Acquire: the consumers' claim position, past which nothing is ours;
	 * read after w, so never behind it. One consumer: w is that position. */
	c = v->mc ? shmring__load_acquire(&v->cons->pos) : w;
	v->pos = w; /* in bounds, should a caller go on with a view that failed */
	if (!aligned(pos) || !aligned(c) || (c > pos ? c - pos : pos - c) > v->capacity ||
	    c - w > v->capacity)
		return corrupt(v);
	/*
	 * No producer writes meanwhile, and consumers change a record's state
	 * only (READING, RELEASED; scrub() keeps to payloads), never its
	 * position or info: the walk sees every record they may claim.
	 */
	for (pos = w; pos - w < v->capacity;) {
		struct shmring_rec *r = rec_at(v, pos);
		/* A-commit: the record's info is visible with its stamp. */
		uint64_t s = shmring__load_acquire(&r->stamp);
		struct rec_meta m;

		if (s != (pos | SHMRING_REC_COMMITTED) && s != (pos | SHMRING_REC_READING) &&
		    s != (pos | SHMRING_REC_RELEASED))
			break;
		/* Relaxed: published by the stamp. A record that names its own
		 * position yet cannot be decoded, or runs into the records after
		 * w, can be neither delivered, passed nor written over. */
		if (decode_info(v, pos, shmring__load_relaxed(&r->info), &m) < 0 ||
		    m.next - w > v->capacity)
			return corrupt(v);
		pos = m.next;
	}
	/* Consumers claim committed records only: a claim past them is a lie. */
	if (c - w > pos - w)
		return corrupt(v);
	v->pos = pos;
	/*
	 * A producer that died left what it wrote past its last commit (a
	 * reservation's payload) where our headers will go: clear the stamp
	 * words of the free space, which ends a capacity past the watermark w.
	 * With many consumers that is the release watermark, not their claim
	 * position: the records between the two are claimed and not released,
	 * and a peek reads its record until it releases it.
	 */
	for (uint64_t q = pos; q - w < v->capacity; q += SHMRING_REC_ALIGN)
		/* Relaxed: consumers stop at pos until our first commit there
		 * (R-commit, release) publishes these zeros with it. */
		shmring__store_relaxed(&rec_at(v, q)->stamp, 0);
	/* R-ppos: pairs with A-ppos in shmring__msg_drained() and a successor. */
	shmring__store_release(&v->prod->pos, pos);
	return 0;
}

/*
 * Room from position t for a producer that needs `want` bytes and would
 * take `wish` (a burst's every record; else want): capacity less what is in
 * use. The watermark is read again unless the cached one leaves the wish.
 * Returns the room, or sets *stale when t turns out older than the
 * watermark (someone else's claims moved on), or marks the view corrupt
 * and returns 0.
 */
static uint64_t tx_room(struct shmring_msgring *v, uint64_t t, uint64_t want, uint64_t wish,
			bool *stale)
{
	uint64_t used = t - v->peer_cache;

	if (used <= v->capacity && v->capacity - used >= wish)
		return v->capacity - used;
	for (int pass = 0;; pass++) {
		/* A-cons: pairs with R-cons (one consumer) or R-done (many). */
		uint64_t c = shmring__load_acquire(watermark(v));

		if (!aligned(c)) {
			corrupt(v);
			return 0;
		}
		if (c > t) {
			*stale = true;
			return 0;
		}
		if (t - c > v->capacity) {
			corrupt(v);
			return 0;
		}
		v->peer_cache = c;
		used = t - c;
		if (!v->mc || pass || v->capacity - used >= want)
			return v->capacity - used;
		/* Released records may wait for a sweep (their consumer died
		 * between releasing and sweeping, or is about to sweep). */
		sweep(v);
	}
}

/* Bytes the records m[0..n) take from position t, padding included, as far
 * as they fit in room; their count in *k. */
static uint64_t tx_plan(const struct shmring_msgring *v, uint64_t t,
			const struct shmring_msgvec *m, unsigned n, uint64_t room, unsigned *k)
{
	uint64_t p = t;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint64_t span = shmring__rec_span(m[i].len);
		uint64_t left = left_at(v, p);
		uint64_t need = span + (left < span ? left : 0);

		if (m[i].len > v->max_len || p - t + need > room)
			break;
		p += need;
	}
	*k = i;
	return p - t;
}

/*
 * Many producers: whether our claim is still ours. Recovery that judged us
 * dead (only a forged table, or a judge mistaken about a live process, does
 * that to a live producer) marks our entry before it writes over the claim
 * (SHMRING_CLAIM_REPAIR in claim_end, or the range emptied): then the bytes
 * are no longer ours and nothing more is written in them. We ask our own
 * entry, not the old bytes under the stamp: those are whatever an earlier lap
 * left, and mean something only once they name the position.
 */
static bool tx_still_mine(const struct shmring_msgring *v)
{
	/* Relaxed: our own entry; only a repairer's mark changes it. */
	return !v->me || shmring__load_relaxed(&v->me->claim_end) == v->intent_end;
}

/*
 * Many producers: put `stamp` on position p of our claim, with a CAS from
 * the value seen, so that a repair that wrote p since (after our look at the
 * entry) is not overwritten either. False: repaired.
 */
static bool tx_stamp(const struct shmring_msgring *v, uint64_t p, uint64_t stamp)
{
	_Atomic uint64_t *w = &rec_at(v, p)->stamp;
	/* Relaxed: compared only; the CAS decides. */
	uint64_t s = shmring__load_relaxed(w);

	/* W-claim (CLAIMED) or R-commit (padding): release, see msg.h. */
	return cas_exact(w, &s, stamp, memory_order_release);
}

/*
 * Padding from p to the end of the area. With many producers it goes
 * straight to COMMITTED, before the record after it is stamped CLAIMED; both
 * are inside our claim, whose range (the intent) we stored before taking it.
 * So a repair in between cannot take them from us while we live: the record
 * position, unstamped, is covered by our live range; had we died, it would be
 * filled from the record on and the padding consumed as padding. Were we
 * judged dead by mistake, our entry says so (tx_still_mine()) and we write
 * nothing more in the claim, padding included.
 */
static bool write_pad(const struct shmring_msgring *v, uint64_t p)
{
	struct shmring_rec *r = rec_at(v, p);

	if (v->mp && !tx_still_mine(v))
		return false;
	/* Relaxed: published by the stamp below. */
	shmring__store_relaxed(&r->info, SHMRING_REC_PAD | (v->owner << SHMRING_REC_OWNER_SHIFT));
	/* Relaxed: as above. */
	shmring__store_relaxed(&r->type, 0);
	if (v->mp)
		return tx_stamp(v, p, p | SHMRING_REC_COMMITTED);
	/* R-commit: pairs with A-commit in rx_look(). */
	shmring__store_release(&r->stamp, p | SHMRING_REC_COMMITTED);
	return true;
}

/*
 * Start a record at p: its size and owner, and with many producers the
 * CLAIMED stamp that shows both to recovery. False: repaired.
 */
static bool write_head(const struct shmring_msgring *v, uint64_t p, uint32_t len)
{
	struct shmring_rec *r = rec_at(v, p);

	if (v->mp && !tx_still_mine(v))
		return false;
	/* Relaxed: published by the stamp (claim or commit). */
	shmring__store_relaxed(&r->info, len | (v->owner << SHMRING_REC_OWNER_SHIFT));
	if (!v->mp)
		return true;
	/* A producer that dies from here to its commit leaves CLAIMED: recovery
	 * finds the owner in info and makes the record SKIPPED once that owner
	 * is dead (shmring__msg_recover_rx()). */
	return tx_stamp(v, p, p | SHMRING_REC_CLAIMED);
}

/* Publish the record at p. False (many producers): recovery made it SKIPPED
 * first; it stays skipped. */
static bool commit_rec(const struct shmring_msgring *v, uint64_t p, uint32_t type)
{
	struct shmring_rec *r = rec_at(v, p);

	if (v->mp) {
		uint64_t s = p | SHMRING_REC_CLAIMED;

		/* Relaxed: compared only. A record repaired under us may be
		 * someone else's by now: not even its type word is ours. */
		if (shmring__load_relaxed(&r->stamp) != s)
			return false;
		/* Relaxed: published by the CAS below. */
		shmring__store_relaxed(&r->type, type);
		/* R-commit: release, pairs with A-commit in rx_look(). From
		 * exactly our CLAIMED stamp, never a store: a repair that came
		 * first (SKIPPED) wins. */
		return cas_exact(&r->stamp, &s, p | SHMRING_REC_COMMITTED, memory_order_release);
	}
	/* Relaxed: published by the stamp below. */
	shmring__store_relaxed(&r->type, type);
	/* R-commit: pairs with A-commit in rx_look(). */
	shmring__store_release(&r->stamp, p | SHMRING_REC_COMMITTED);
	return true;
}

/*
 * Claim `n` records' worth of space (all, or as many as fit) for m[0..n).
 * Returns the count, the first position in *start and the bytes in *bytes;
 * 0 when nothing fits (v->corrupt set when a position was impossible).
 */
/* Whether the record at t names t: someone's claim of t stands. */
static bool tx_taken(const struct shmring_msgring *v, uint64_t t)
{
	/* Relaxed: only compared; the fence makes a stamp seen naming t an
	 * acquire of it (pairs with W-claim and R-commit), so that the
	 * position the CAS moved past t is seen after it. */
	if (!names(shmring__load_relaxed(&rec_at(v, t)->stamp), t))
		return false;
	atomic_thread_fence(memory_order_acquire);
	return true;
}

/*
 * Many producers, no room: we hold no claim, so our entry shows none. The
 * range of our last claim is stale once its records are stamped, and judges
 * trust a live producer's range (judge_claim()): one forged to cover
 * another producer's dropped claim would hold consumers back, and with
 * them every producer waiting for room, ours included, for good. Our own
 * entry, so the look is in our cache; a store only when there is a range.
 */
static void tx_no_claim(struct shmring_msgring *v)
{
	if (!v->mp || !v->me || v->held)
		return; /* a reservation held: its CLAIMED record needs the range */
	/* Relaxed: our own entry; what it holds is ours or forged. */
	if (shmring__load_relaxed(&v->me->claim_end) != shmring__load_relaxed(&v->me->claim_pos))
		/* R-intent: release, pairs with A-intent in the judges: our
		 * claim's stamps come before its range is seen gone (a judge
		 * reads the stamp again after the ranges). */
		shmring__store_release(&v->me->claim_end,
				       shmring__load_relaxed(&v->me->claim_pos));
}

static unsigned tx_claim(struct shmring_msgring *v, const struct shmring_msgvec *m, unsigned n,
			 bool all, uint64_t *start, uint64_t *bytes)
{
	/* Relaxed: a first guess; the CAS checks it. */
	uint64_t t = v->mp ? shmring__load_relaxed(&v->prod->pos) : v->pos;
	unsigned k;

	for (;;) {
		bool stale = false;
		uint64_t want, wish, room, got;
		unsigned kw;

		/* Below where our own last claim moved it: moved back, maybe
		 * into the middle of a record, where no stamp would tell. Every
		 * load of ours comes after our CAS, so never sees less. */
		if (!aligned(t) || t < v->claimed) {
			corrupt(v);
			return 0;
		}
		/* Bulk: all of it; burst: the first record. */
		want = tx_plan(v, t, m, all ? n : 1, v->capacity, &k);
		if (k < (all ? n : 1))
			return 0; /* too large for the ring at all */
		/* A burst plans against the room it would fill. */
		wish = all || n == 1 ? want : tx_plan(v, t, m, n, v->capacity, &kw);
		room = tx_room(v, t, want, wish, &stale);
		if (stale) {
			/* As in the fixed kinds: the watermark we saw was
			 * stored after the CAS that moved the position past t. */
			/* Relaxed: ordered by the acquire that saw the watermark. */
			uint64_t t2 = v->mp ? shmring__load_relaxed(&v->prod->pos) : t;

			if (t2 == t) {
				corrupt(v);
				return 0;
			}
			t = t2;
			continue;
		}
		if (v->corrupt)
			return 0;
		got = tx_plan(v, t, m, n, room, &k);
		if (k == 0 || (all && k < n)) {
			tx_no_claim(v);
			return 0;
		}
		if (!v->mp) {
			*start = t;
			*bytes = got;
			return k;
		}
		/*
		 * Room comes from the consumers' watermark, but the record at
		 * t must not name t already. Its stamp names t only once a
		 * CAS took t (W-claim, R-commit: release, after that CAS): t
		 * is old, or the position was moved back under records not
		 * yet consumed, which we would overwrite. On every claim, as
		 * in the fixed kinds (ringbuf/mring.h).
		 */
		if (tx_taken(v, t)) {
			/* Relaxed: ordered by the acquire fence in tx_taken(). */
			uint64_t t2 = shmring__load_relaxed(&v->prod->pos);

			if (t2 == t) {
				corrupt(v);
				return 0;
			}
			t = t2;
			continue;
		}
		/* The intent first, so that a death from here on leaves a claim
		 * recovery can judge (claims.h). */
		shmring__claim_intent(v->me, t, t + got);
		v->intent_end = t + got;
		/* R-intent: release, pairs with A-intent in recovery: whoever sees
		 * the position moved sees our range. The stamps publish what is
		 * written in the bytes (R-commit). */
		if (shmring__cas_weak(&v->prod->pos, &t, t + got, memory_order_release)) {
			*start = t;
			*bytes = got;
			v->claimed = t + got;
			return k;
		}
		/* Not ours: a range we do not hold must not cover another's claim. */
		shmring__claim_clear(v->me);
	}
}

/*
 * Copy a payload in. With many consumers, a consumer whose position went
 * stale (it was preempted while others took a lap of records) may load a
 * header word at a place where a producer is now writing payload; with many
 * producers, so may a producer whose first guess at the position is stale
 * (tx_taken()). It rejects what it reads (stamp mismatch, then a CAS that
 * fails), but in C11 terms the two accesses must both be atomic, so the
 * payload goes in as relaxed 64-bit stores (plain moves on x86 and arm64).
 * The record's span is rounded up to 16 bytes, so the last word may be
 * completed with zeros.
 */
static void copy_in(const struct shmring_msgring *v, unsigned char *dst, const void *src,
		    size_t len)
{
	/* The record's span is rounded up to 16 bytes: the word that holds the
	 * payload's last byte is inside it. */
	const unsigned char *s = src;
	_Atomic uint64_t *w = (_Atomic uint64_t *)(void *)dst;

	if (!v->mc && !v->mp) {
		/* One producer: 8 bytes a load (shmring__copy_from()). */
		shmring__copy_from(dst, src, len, true);
		/* Whole words only, as with many consumers below: a payload
		 * ending inside a word over an earlier lap's stamp would leave
		 * the stamp's high bytes, and such a word may name a later
		 * position by chance (one in 2^16 or so). */
		if (len % 8)
			memset(dst + len, 0, 8 - len % 8);
		return;
	}
	for (; len >= 8; len -= 8, s += 8, w++) {
		uint64_t x;

		memcpy(&x, s, 8);
		/* Relaxed: published by the record's stamp (R-commit). */
		shmring__store_relaxed(w, x);
	}
	if (len) {
		uint64_t x = 0;

		memcpy(&x, s, len);
		/* Relaxed: as above. */
		shmring__store_relaxed(w, x);
	}
}

/*
 * Ask for the line SHMRING_MSG_AHEAD bytes on from p, for writing, where it
 * is known free by the watermark last read: its transfer then overlaps the
 * records before it instead of stalling the stamp and commit that need it
 * (as the fixed kinds' producers do, ringbuf/mring.h).
 */
#define SHMRING_MSG_AHEAD (SHMRING_LANE_AHEAD * 16u)

static inline void write_ahead(const struct shmring_msgring *v, uint64_t p)
{
	uint64_t ahead = p + SHMRING_MSG_AHEAD;

	if (ahead + SHMRING_LANE_LINE - v->peer_cache <= v->capacity)
		shmring__prefetch_write(v->area + (ahead & v->mask));
}

/*
 * Write the records of a claim from t: padding, heads, payloads, commits. A
 * record recovery repaired before we stamped or committed it is not written
 * further and counts in v->dropped.
 */
static void tx_write(struct shmring_msgring *v, uint64_t t, const struct shmring_msgvec *m,
		     unsigned k)
{
	uint64_t p = t;

	for (unsigned i = 0; i < k; i++) {
		uint64_t span = shmring__rec_span(m[i].len);
		bool ok = true;

		write_ahead(v, p);
		if (left_at(v, p) < span) {
			ok = write_pad(v, p);
			p += left_at(v, p);
		}
		if (ok && write_head(v, p, (uint32_t)m[i].len)) {
			if (m[i].len)
				copy_in(v, payload_at(v, p), m[i].buf, m[i].len);
			ok = commit_rec(v, p, m[i].type);
		} else {
			ok = false;
		}
		if (!ok)
			v->dropped++;
		p += span;
	}
}

/* The single producer: its records up to `end` are written; move on. */
static void tx_published(struct shmring_msgring *v, uint64_t end)
{
	v->pos = end;
	/* R-ppos: pairs with A-ppos in shmring__msg_drained() and a successor;
	 * consumers read stamps. */
	shmring__store_release(&v->prod->pos, end);
}

/*
 * The single producer's one record where it needs no planning: no padding
 * before it, and room for it by the cached watermark. What tx_claim() and
 * tx_write() would do for it, without their loops. False: nothing written,
 * the general path decides.
 */
static bool tx_one(struct shmring_msgring *v, const struct shmring_msgvec *m)
{
	uint64_t t = v->pos, span = shmring__rec_span(m->len), used = t - v->peer_cache;

	if (v->mp || m->len > v->max_len || left_at(v, t) < span || used > v->capacity ||
	    v->capacity - used < span)
		return false;
	write_ahead(v, t);
	write_head(v, t, (uint32_t)m->len);
	if (m->len)
		copy_in(v, payload_at(v, t), m->buf, m->len);
	commit_rec(v, t, m->type);
	tx_published(v, t + span);
	return true;
}

int shmring__msg_send(struct shmring_msgring *v, const struct shmring_msgvec *m, unsigned n,
		      bool all)
{
	uint64_t t, bytes, dropped;
	unsigned k;

	call_begin(v);
	if (n == 0)
		return 0;
	if (n == 1 && tx_one(v, m))
		return 1;
	for (unsigned i = 0; i < (all ? n : 1); i++)
		if (m[i].len > v->max_len)
			return -EMSGSIZE;
	k = tx_claim(v, m, n, all, &t, &bytes);
	if (!k)
		return v->corrupt ? -SHMRING_ECORRUPT : 0;
	dropped = v->dropped;
	tx_write(v, t, m, k);
	if (v->dropped != dropped)
		/* A repair took our claim (or our range was forged): the bytes
		 * we left unstamped are filled by judges, which a range of ours
		 * still covering them would hold back (judge_claim()); as a
		 * reservation that finds itself repaired does. */
		shmring__claim_clear(v->me);
	if (!v->mp)
		tx_published(v, t + bytes);
	return (int)k;
}

void *shmring__msg_reserve(struct shmring_msgring *v, size_t len)
{
	struct shmring_msgvec m = {.buf = NULL, .len = len, .type = 0};
	uint64_t t, bytes, p;

	call_begin(v);
	if (v->held || len > v->max_len || !tx_claim(v, &m, 1, true, &t, &bytes))
		return NULL;
	p = t;
	if (left_at(v, p) < shmring__rec_span(len)) {
		if (!write_pad(v, p))
			goto repaired;
		p += left_at(v, p);
	}
	if (!write_head(v, p, (uint32_t)len))
		goto repaired;
	if (len % 8)
		/* Relaxed: published by the commit. The word that will hold the
		 * payload's last byte starts as zeros, so a caller writing bytes
		 * leaves no earlier lap's stamp bytes in it (see copy_in()). */
		shmring__store_relaxed((_Atomic uint64_t *)(void *)(payload_at(v, p) + (len & ~(size_t)7)),
				       0);
	v->held = true;
	v->held_rx = false;
	v->held_pos = p;
	v->held_end = t + bytes;
	v->held_len = (uint32_t)len;
	return payload_at(v, p);
repaired:
	v->dropped++;
	shmring__claim_clear(v->me);
	return NULL;
}

int shmring__msg_commit(struct shmring_msgring *v, uint32_t type)
{
	call_begin(v);
	if (!v->held || v->held_rx)
		return -EINVAL;
	v->held = false;
	if (!commit_rec(v, v->held_pos, type)) {
		v->dropped++;
		return -SHMRING_EDROPPED;
	}
	if (!v->mp) {
		v->pos = v->held_end;
		/* R-ppos: as in shmring__msg_send(). */
		shmring__store_release(&v->prod->pos, v->pos);
	}
	return 0;
}

/* --- Consumers ----------------------------------------------------------- */

int shmring__msg_attach_consumer(struct shmring_msgring *v)
{
	uint64_t c, p;

	call_begin(v);
	if (v->mc)
		return 0; /* the position is shared, claimed with CAS and checked at each use */
	/* Relaxed: our own side's published position, read back by a successor;
	 * the stamps carry the synchronisation with producers. */
	c = shmring__load_relaxed(&v->cons->pos);
	/* Relaxed: compared only. */
	p = shmring__load_relaxed(&v->prod->pos);
	/* Many producers: the consumer is never past the producers' claims;
	 * one: it may be ahead of a position published late, by less than a lap. */
	if (!aligned(c) || !aligned(p) ||
	    (v->mp ? c > p || p - c > v->capacity : (c > p ? c - p : p - c) > v->capacity)) {
		v->pos = c & ~ALIGN_MASK; /* never to be used; in bounds all the same */
		return corrupt(v);
	}
	v->pos = c;
	return 0;
}

/* What is at position h, for a consumer. */
static enum look rx_look(struct shmring_msgring *v, uint64_t h, struct rec_meta *m)
{
	struct shmring_rec *r = rec_at(v, h);
	/* A-commit: pairs with R-commit in commit_rec() and write_pad(), and
	 * with R-repair (SKIPPED, FILLER) in recovery and cancel. */
	uint64_t s = shmring__load_acquire(&r->stamp);
	uint32_t info;

	if ((s & ~STATE_MASK) != h)
		return LOOK_NOT_YET;
	switch (s & STATE_MASK) {
	case SHMRING_REC_COMMITTED:
	case SHMRING_REC_SKIPPED:
		break;
	case SHMRING_REC_FILLER:
		m->kind = REC_FILLER; /* no header fields: the next record follows */
		m->len = 0;
		m->type = 0;
		m->next = h + SHMRING_REC_ALIGN;
		return LOOK_READY;
	case SHMRING_REC_READING:
		if (!v->mc)
			break; /* one consumer: its predecessor died clearing it */
		return LOOK_TAKEN;
	case SHMRING_REC_RELEASED:
		return LOOK_TAKEN;
	default:
		return LOOK_NOT_YET; /* CLAIMED: its producer is writing */
	}
	/* Relaxed: published by the stamp just acquired. */
	info = shmring__load_relaxed(&r->info);
	/* Relaxed: as above. */
	m->type = shmring__load_relaxed(&r->type);
	if (v->mc) {
		/*
		 * Another consumer may have taken the record, released it, and
		 * a producer reused the bytes while we read: a stamp that moved
		 * says so now. It is not a seqlock (a producer writes info
		 * before the stamp, so the stamp may not have moved yet when
		 * info has): info is only ever used for a claim from h, and the
		 * consumers' CAS of their position from h, which the record's
		 * reuse had already moved, refuses that claim. This look turns
		 * most such reads away early; decode_info() bounds the rest.
		 */
		atomic_thread_fence(memory_order_acquire); /* our reads above before the re-check */
		/* Relaxed: ordered by the fence. */
		if (shmring__load_relaxed(&r->stamp) != s)
			return LOOK_TAKEN;
	}
	if (decode_info(v, h, info, m) < 0)
		return LOOK_CORRUPT;
	if ((s & STATE_MASK) == SHMRING_REC_SKIPPED)
		m->kind = REC_SKIPPED; /* padding or a record: its extent, nothing to deliver */
	else if ((s & STATE_MASK) == SHMRING_REC_READING && m->kind == REC_MSG)
		m->kind = REC_LOST; /* its payload may have been changed: not delivered */
	return LOOK_READY;
}

/*
 * Consumer (many): store RELEASED for a record (or padding, skipped record,
 * filler) we claimed at p. The caller runs F-sweep and the sweep after a
 * batch.
 */
static void rx_mark_released(const struct shmring_msgring *v, uint64_t p)
{
	/* R-rel: pairs with A-rel in sweep(). */
	shmring__store_release(&rec_at(v, p)->stamp, p | SHMRING_REC_RELEASED);
}

static void rx_mark_reading(const struct shmring_msgring *v, uint64_t p)
{
	/* A consumer that dies from here to RELEASED holds producers back once
	 * they wrap to this record; its range (the intent) lets a producer
	 * judge it and release the record (shmring__msg_recover_tx()). */
	/* W-read: release, see msg.h. */
	shmring__store_release(&rec_at(v, p)->stamp, p | SHMRING_REC_READING);
}

/* Consumer: an item of our claim that delivers nothing (padding, a skipped
 * record, a filler). */
static void rx_pass(struct shmring_msgring *v, uint64_t p, const struct rec_meta *rm)
{
	if (rm->kind == REC_SKIPPED)
		shmring__count(&v->ctl->skipped, 1);
	else if (rm->kind == REC_LOST)
		shmring__count(&v->ctl->cons_repairs, 1);
	scrub(v, p, rm->next);
	if (!v->mc)
		return;
	if (rm->kind == REC_FILLER)
		/* Relaxed: with many consumers a filler reaches a receiver only
		 * in a forged segment (repairs write theirs inside their own
		 * claim); it has no header fields: give it the extent of an
		 * empty record for the sweep (published by R-rel below). */
		shmring__store_relaxed(&rec_at(v, p)->info, 0);
	rx_mark_released(v, p);
}

/* After releasing with many consumers: F-sweep, then sweep. */
static void rx_done_many(struct shmring_msgring *v)
{
	/* F-sweep: our RELEASED stores before the sweep's loads (see msg.h). */
	shmring__fence_full();
	sweep(v);
}

/* The claim [.., end) is over: give it back to producers. */
static void rx_publish(struct shmring_msgring *v, uint64_t end)
{
	if (v->mc) {
		rx_done_many(v);
		return;
	}
	v->pos = end;
	/* R-cons: pairs with A-cons in tx_room(). */
	shmring__store_release(&v->cons->pos, end);
	v->moved = true;
}

/*
 * Whether a released record that ends at `end` lies inside what consumers
 * claimed, as every released record does: its length cannot carry the
 * watermark past the claim position (*c, read again when end is past it).
 */
static bool within_claims(struct shmring_msgring *v, uint64_t end, uint64_t *c, bool *have_c)
{
	if (!*have_c || end > *c) {
		/* Acquire: compared only; keeps the order of the loads. */
		*c = shmring__load_acquire(&v->cons->pos);
		*have_c = true;
	}
	return end <= *c;
}

static bool sweep(struct shmring_msgring *v)
{
	uint64_t d, c = 0;
	bool moved = false, have_c = false;

	if (!v->mc)
		return false;
	/* Acquire: pairs with R-done of the sweeper that stored it. */
	d = shmring__load_acquire(&v->cons->done);
	for (uint64_t guard = 0; guard <= v->capacity / SHMRING_REC_ALIGN; guard++) {
		struct shmring_rec *r;
		struct rec_meta m;
		uint64_t s;

		if (!aligned(d)) {
			v->corrupt = true;
			break;
		}
		r = rec_at(v, d);
		/* A-rel: pairs with R-rel in rx_mark_released() and R-repair in
		 * recovery. */
		s = shmring__load_acquire(&r->stamp);
		if (s == (d | SHMRING_REC_FILLER)) {
			/*
			 * With many consumers a filler exists only inside a claim
			 * a repairer took as its own (it never reaches a
			 * receiver), written by its claimer and never read back:
			 * done with once written. Never past the claim position.
			 */
			if (!within_claims(v, d + 1, &c, &have_c))
				break;
			m.next = d + SHMRING_REC_ALIGN;
		} else if (s != (d | SHMRING_REC_RELEASED)) {
			break;
		} else if (/* Relaxed: published by the stamp; the CAS rejects what changed. */
			   decode_info(v, d, shmring__load_relaxed(&r->info), &m) < 0 ||
			   !within_claims(v, m.next, &c, &have_c)) {
			/* Acquire: as above. Only a watermark that stood still
			 * while we read makes the record's info suspect. */
			uint64_t d2 = shmring__load_acquire(&v->cons->done);

			if (d2 == d) {
				v->corrupt = true;
				break;
			}
			d = d2;
			continue;
		}
		/* R-done: pairs with A-cons in tx_room(); release, so that
		 * the readers' release reaches the producers through us. */
		if (shmring__cas_weak(&v->cons->done, &d, m.next, memory_order_release)) {
			d = m.next;
			moved = true;
		}
	}
	if (moved)
		v->moved = true;
	return moved;
}

bool shmring__msg_sweep(struct shmring_msgring *v)
{
	call_begin(v);
	return sweep(v);
}

/* What rx_walk() found from a position. */
struct walk {
	uint64_t end;      /* after the last record counted */
	uint64_t skip_end; /* after the items before the first record (skipped
			    * records, fillers, padding) */
	unsigned k;        /* records counted */
	int err;           /* why the walk stopped early: 0, -EMSGSIZE, -EUCLEAN */
	bool taken;        /* the position turned out to be old */
	bool bad;          /* the position is impossible against the watermark */
};

/*
 * Walk the records from h: up to n records that fit their buffers m[i].len
 * (m may be NULL: any size), passing padding, skipped records and fillers.
 */
static void rx_walk(struct shmring_msgring *v, uint64_t h, const struct shmring_msgvec *m,
		    unsigned n, struct walk *w)
{
	uint64_t p = h;

	*w = (struct walk){.end = h, .skip_end = h};
	if (v->mc) {
		/*
		 * A position below the release watermark is old: its bytes may be
		 * someone's payload by now. Checking first keeps the header loads
		 * below to places that were record boundaries a moment ago (see
		 * copy_in() for why it matters). Nor is the claim position ever
		 * more than a capacity past the watermark.
		 */
		/* Acquire: pairs with R-done in sweep(). */
		uint64_t d = shmring__load_acquire(&v->cons->done);

		if (d > h) {
			w->taken = true;
			return;
		}
		if (!aligned(d) || h - d > v->capacity) {
			w->bad = true;
			return;
		}
	}
	while (w->k < n && p - h < v->capacity) {
		struct rec_meta rm;
		enum look l = rx_look(v, p, &rm);

		if (l == LOOK_TAKEN) {
			w->taken = true;
			return;
		}
		if (l == LOOK_NOT_YET)
			break;
		if (l == LOOK_CORRUPT) {
			w->err = -EUCLEAN;
			break;
		}
		if (rm.kind == REC_MSG) {
			if (m && rm.len > m[w->k].len) {
				w->err = -EMSGSIZE;
				break;
			}
			w->k++;
			w->end = rm.next;
		}
		p = rm.next;
		if (!w->k)
			w->skip_end = p;
	}
}

/*
 * Claim from the consumer head: up to n records (all: n or none) with the
 * padding, skipped records and fillers before and between them; or, when no
 * record can be claimed, the run of those at the head alone (so that a dead
 * producer's last claim, once repaired, does not stay in the way). Returns
 * the count of records; the claim is [*start, *end), empty when nothing was
 * claimed; *err says why no record was (0, -EMSGSIZE, -EUCLEAN).
 */
static unsigned rx_claim(struct shmring_msgring *v, const struct shmring_msgvec *m, unsigned n,
			 bool all, uint64_t *start, uint64_t *end, int *err)
{
	/* Relaxed: a first guess; the CAS checks it. */
	uint64_t h = v->mc ? shmring__load_relaxed(&v->cons->pos) : v->pos;

	for (;;) {
		struct walk w;
		unsigned k;
		uint64_t to, h2;

		if (!aligned(h)) {
			*err = -EUCLEAN;
			break;
		}
		rx_walk(v, h, m, n, &w);
		k = w.k && (!all || w.k == n) ? w.k : 0;
		to = k ? w.end : w.skip_end;
		*err = k ? 0 : w.err;
		if (!w.taken && !w.bad && to != h) {
			if (!v->mc) {
				*start = h;
				*end = to;
				if (*err == -EUCLEAN)
					v->corrupt = true;
				return k;
			}
			/* The intent first: a consumer that dies holding the
			 * claim is found by it (claims.h). */
			shmring__claim_intent(v->me, h, to);
			/* R-intent: release, pairs with A-intent in
			 * shmring__msg_recover_tx(). Only ownership: the stamps
			 * carry the data. */
			if (shmring__cas_weak(&v->cons->pos, &h, to, memory_order_release)) {
				*start = h;
				*end = to;
				if (*err == -EUCLEAN)
					v->corrupt = true;
				return k;
			}
			shmring__claim_clear(v->me);
			continue;
		}
		if (!v->mc) {
			if (w.taken || w.bad)
				*err = -EUCLEAN; /* no one else takes our records */
			break;
		}
		/*
		 * Empty, too small, corrupt or taken, as seen from h: believe it
		 * only if h is still the consumers' position. What made h look
		 * old was stored after the CAS that moved it (W-read, R-rel,
		 * release; acquired by rx_look()).
		 */
		/* Relaxed: ordered by that acquire. */
		h2 = shmring__load_relaxed(&v->cons->pos);
		if (h2 != h) {
			h = h2;
			continue;
		}
		if (w.taken || w.bad)
			*err = -EUCLEAN;
		break;
	}
	*start = *end = h;
	if (*err == -EUCLEAN)
		v->corrupt = true;
	return 0;
}

/*
 * Copy a claimed record's payload out. With many consumers, another consumer
 * whose position went stale while it was preempted may still compare-exchange
 * what it takes for a record stamp in these bytes (recovery, see
 * repair_claimed()): the CAS fails, and a failed CAS is only a load in C11,
 * but TSan counts every compare-exchange as an atomic write. So the payload
 * comes out as relaxed 64-bit loads (plain moves on x86 and arm64), the
 * mirror of copy_in(); the payload is 8-byte aligned and its span rounded up
 * to 16 bytes, so the word holding its last byte is inside the record.
 */
static void copy_out(const struct shmring_msgring *v, void *dst, const unsigned char *src,
		     size_t len)
{
	unsigned char *d = dst;
	_Atomic uint64_t *w = (_Atomic uint64_t *)(void *)src;

	if (!v->mc) {
		memcpy(dst, src, len);
		return;
	}
	for (; len >= 8; len -= 8, d += 8, w++) {
		/* Relaxed: published by the record's stamp (A-commit). */
		uint64_t x = shmring__load_relaxed(w);

		memcpy(d, &x, 8);
	}
	if (len) {
		/* Relaxed: as above. */
		uint64_t x = shmring__load_relaxed(w);

		memcpy(d, &x, len);
	}
}

/*
 * Read the claimed records in [h, end) into m[0..k): each header is checked
 * again before its payload is copied (the claim makes the record ours, but
 * shared memory stays untrusted); the items that deliver nothing are passed.
 * Returns the count copied; a record found impossible now marks the view
 * corrupt and ends the copy (the rest of the claim is still given back).
 */
static unsigned rx_copy(struct shmring_msgring *v, uint64_t h, uint64_t end,
			struct shmring_msgvec *m, unsigned k)
{
	uint64_t p = h;
	unsigned i = 0;
	bool bad = false;

	while (p != end && p - h < v->capacity) {
		struct rec_meta rm;
		enum look l = rx_look(v, p, &rm);

		if (l != LOOK_READY || rm.next - h > end - h ||
		    (rm.kind == REC_MSG && (i >= k || rm.len > m[i].len))) {
			bad = true;
			break;
		}
		if (rm.kind != REC_MSG) {
			rx_pass(v, p, &rm);
			p = rm.next;
			continue;
		}
		if (v->mc)
			rx_mark_reading(v, p);
		if (rm.len)
			copy_out(v, m[i].buf, payload_at(v, p), rm.len);
		scrub(v, p, rm.next);
		m[i].len = rm.len;
		m[i].type = rm.type;
		i++;
		if (v->mc)
			rx_mark_released(v, p);
		p = rm.next;
	}
	if (bad)
		v->corrupt = true; /* the rest of the claim stays held: a corrupt ring stops */
	return i;
}

/*
 * The single consumer's one record where it is a message at the head that
 * fits: what rx_claim() and rx_copy() would do for it, with one look at its
 * header. 1: received; 0: nothing at the head yet (the general path would
 * say the same); -1: anything else (padding, a skipped record, too long,
 * impossible), nothing taken, the general path decides.
 */
static int rx_one(struct shmring_msgring *v, struct shmring_msgvec *m)
{
	uint64_t h = v->pos;
	struct rec_meta rm;
	enum look l;

	if (v->mc)
		return -1;
	l = rx_look(v, h, &rm);
	if (l == LOOK_NOT_YET)
		return 0;
	if (l != LOOK_READY || rm.kind != REC_MSG || rm.len > m->len)
		return -1;
	if (rm.len)
		copy_out(v, m->buf, payload_at(v, h), rm.len);
	scrub(v, h, rm.next);
	m->len = rm.len;
	m->type = rm.type;
	rx_publish(v, rm.next);
	return 1;
}

int shmring__msg_recv(struct shmring_msgring *v, struct shmring_msgvec *m, unsigned n, bool all)
{
	uint64_t h, end;
	int err;
	unsigned k, got;

	call_begin(v);
	if (n == 0 || v->held)
		return 0;
	if (n == 1) {
		int one = rx_one(v, m);

		if (one >= 0)
			return one;
	}
	k = rx_claim(v, m, n, all, &h, &end, &err);
	if (end == h)
		return err;
	got = rx_copy(v, h, end, m, k);
	rx_publish(v, end);
	if (!k)
		return v->corrupt ? -SHMRING_ECORRUPT : err; /* only skipped items were taken */
	return got ? (int)got : -SHMRING_ECORRUPT;
}

const void *shmring__msg_peek(struct shmring_msgring *v, size_t *len, uint32_t *type)
{
	uint64_t h, end, p;
	unsigned k;
	int err;

	call_begin(v);
	if (!v->held) {
		struct rec_meta rm = {0};

		k = rx_claim(v, NULL, 1, true, &h, &end, &err);
		if (end == h)
			return NULL;
		/* Pass what delivers nothing before the record; claimed, so stable. */
		for (p = h; p != end; p = rm.next) {
			if (rx_look(v, p, &rm) != LOOK_READY || rm.next - h > end - h) {
				v->corrupt = true; /* the claim stays held: a corrupt ring stops */
				return NULL;
			}
			if (rm.kind == REC_MSG)
				break;
			rx_pass(v, p, &rm);
		}
		if (!k) {
			/* Only skipped items: they are gone, nothing to show. */
			if (p != end)
				v->corrupt = true;
			rx_publish(v, end);
			return NULL;
		}
		if (p == end) {
			v->corrupt = true;
			return NULL;
		}
		if (v->mc)
			rx_mark_reading(v, p);
		v->held = true;
		v->held_rx = true;
		v->held_pos = p;
		v->held_end = end;
		v->held_len = rm.len;
		v->held_type = rm.type;
	} else if (!v->held_rx) {
		return NULL;
	}
	if (len)
		*len = v->held_len;
	if (type)
		*type = v->held_type;
	return payload_at(v, v->held_pos);
}

int shmring__msg_release(struct shmring_msgring *v)
{
	call_begin(v);
	if (!v->held || !v->held_rx)
		return -EINVAL;
	v->held = false;
	scrub(v, v->held_pos, v->held_pos + shmring__rec_span(v->held_len));
	if (v->mc)
		rx_mark_released(v, v->held_pos);
	rx_publish(v, v->held_end);
	return 0;
}

/* --- End-of-stream, close ------------------------------------------------- */

/* Many consumers: whether the shared consumer position moved from h (a
 * snapshot that looked impossible was only old). */
static bool head_moved(const struct shmring_msgring *v, uint64_t h)
{
	/* Relaxed: compared only. */
	return v->mc && shmring__load_relaxed(&v->cons->pos) != h;
}

bool shmring__msg_drained(struct shmring_msgring *v)
{
	struct rec_meta m;
	uint64_t h, p;

	call_begin(v);
	/* Relaxed: a snapshot, compared only; the stamps are acquired. */
	h = v->mc ? shmring__load_relaxed(&v->cons->pos) : v->pos;
	/* Acquire: A-ppos (one producer: every record below p is visible) and
	 * A-intent (many: every claim below p is a claim). */
	p = shmring__load_acquire(&v->prod->pos);
	if (!aligned(h) || !aligned(p)) {
		corrupt(v);
		return false;
	}
	if (v->mp) {
		/* The consumer is never past the claims; h is read first. */
		if (h > p || (p - h > v->capacity && !head_moved(v, h)))
			corrupt(v);
		return h == p;
	}
	if ((h > p ? h - p : p - h) > v->capacity) {
		if (!head_moved(v, h))
			corrupt(v);
		return false;
	}
	switch (rx_look(v, h, &m)) {
	case LOOK_READY:
	case LOOK_TAKEN: /* our snapshot is old (many consumers) */
		return false;
	case LOOK_CORRUPT:
		if (!head_moved(v, h))
			corrupt(v);
		return false;
	case LOOK_NOT_YET:
		break;
	}
	/* One producer publishes its position after its records (R-ppos):
	 * nothing readable at h below it is a lie, unless h is old. */
	if (p > h) {
		if (!head_moved(v, h))
			corrupt(v);
		return false;
	}
	return true;
}

void shmring__msg_cancel(struct shmring_msgring *v)
{
	call_begin(v);
	if (v->held && v->held_rx && v->mc) {
		shmring__msg_release(v); /* a peek: given back as it is */
	} else if (v->held && v->held_rx) {
		/*
		 * One consumer: its peek claimed nothing shared, and the record
		 * stays for the next consumer (shmring_close() in ring.h, as on
		 * the fixed kinds). What the peek passed before it (skipped
		 * records, padding) is scrubbed and gone: publish up to the
		 * record, not past it.
		 */
		v->held = false;
		if (v->held_pos != v->pos)
			rx_publish(v, v->held_pos);
	} else if (v->held) {
		v->held = false;
		if (v->mp) {
			struct shmring_rec *r = rec_at(v, v->held_pos);
			uint64_t s = v->held_pos | SHMRING_REC_CLAIMED;

			/* R-repair: release, pairs with A-commit in rx_look():
			 * consumers drop the record by its extent (info, stored
			 * before our CLAIMED). From exactly our CLAIMED stamp: a
			 * claim recovery already repaired stays as it is. */
			if (cas_exact(&r->stamp, &s, v->held_pos | SHMRING_REC_SKIPPED,
				      memory_order_release))
				shmring__count(&v->ctl->cancelled, 1);
			else
				v->dropped++;
		} else {
			/*
			 * One producer: nothing of the reservation was published
			 * (its stamp is still an older one and our position did
			 * not move), so no consumer sees it, nor the previous
			 * lap's bytes under it; the next send writes there again,
			 * with headers where the caller may have written payload:
			 * scrub() it. Padding before it, committed, is consumed
			 * as padding.
			 */
			scrub(v, v->held_pos, v->held_pos + shmring__rec_span(v->held_len));
			shmring__count(&v->ctl->cancelled, 1);
		}
	}
	shmring__claim_clear(v->me);
}

/* --- Recovery ------------------------------------------------------------ */

/*
 * Consumer side: the record at h is CLAIMED; its owner's index is in info.
 * The owner still holds it only while its entry's range covers h: a freed
 * or taken-over entry no longer does (records carry no generation; the
 * range, stored before the claim and replaced only after the publish, stands
 * in for it).
 */
static int repair_claimed(struct shmring_msgring *v, const struct shmring_judge *j, uint64_t h,
			  uint64_t *stall_pos, uint32_t *holder)
{
	struct shmring_rec *r = rec_at(v, h);
	/* Relaxed: published by W-claim, acquired with the stamp. */
	uint32_t info = shmring__load_relaxed(&r->info);
	uint32_t idx = (info >> SHMRING_REC_OWNER_SHIFT) & SHMRING_SLOT_OWNER_MASK;
	uint64_t s = h | SHMRING_REC_CLAIMED, cp, ce;
	struct rec_meta m;

	if (decode_info(v, h, info, &m) < 0 || idx >= j->nparts) {
		/* Acquire: only a stamp that stayed CLAIMED while we read makes
		 * its info suspect. */
		if (shmring__load_acquire(&r->stamp) != s)
			return 0;
		return corrupt(v);
	}
	/* Relaxed (gen): the entry's own generation; the range ties it to the claim. */
	if (range_covers(&j->parts[idx], h, &cp, &ce) &&
	    !j->dead(j->ctx, idx, shmring__load_relaxed(&j->parts[idx].gen), 32)) {
		*stall_pos = h;
		*holder = idx;
		return -EAGAIN;
	}
	/*
	 * Many consumers: h was a snapshot of their position, and the judge
	 * above may have taken long (system calls). Once a consumer claimed h,
	 * the record could be received, released and swept, and a producer a
	 * lap later could write a payload over these bytes: our CAS would then
	 * hit someone's payload (and succeed, were it to hold h|CLAIMED). The
	 * position is monotonic (no ABA), and producers write over h's bytes
	 * only once the watermark passed h, which follows a claim past h: while
	 * the position is still h, these bytes are h's header. The stamp load
	 * before (acquire, in shmring__msg_recover_rx()) keeps this load after
	 * it. What is left is the few instructions from here to the CAS, in
	 * which a whole lap would have to pass.
	 */
	if (head_moved(v, h))
		return 0;
	/* R-repair: acquire, the info we judged is the one consumers will
	 * read; release, pairs with A-commit in rx_look(): consumers drop the
	 * record by its extent. From exactly the CLAIMED stamp: a commit that
	 * came first wins, and the owner's late commit fails (EDROPPED). */
	if (!cas_exact(&r->stamp, &s, h | SHMRING_REC_SKIPPED, memory_order_acq_rel))
		return 0;
	shmring__count(&v->ctl->prod_repairs, 1);
	return 1;
}

/*
 * Where a repair from h may stop: the nearest of the producer position p,
 * the end of every range covering h (all dead: the caller judged them), the
 * start of every other producer range past h, and the first position after
 * h that carries its own stamp. So every position in [h, end) was claimed by
 * a dead producer: a live one's claim below p has its range visible
 * (A-intent), starting at or before h (then it covers h and was judged) or
 * after it (then it bounds the fill).
 *
 * When no entry covers h any more (the dead claimer's entry was reaped and
 * taken over), only the last two bounds are left; their limit: a payload
 * forged to hold the stamp of its own position ends the fill early (and is
 * then read as that record). Stale bytes cannot, as a stamp always holds the
 * position of its own lap.
 */
static uint64_t fill_end(const struct shmring_msgring *v, const struct shmring_judge *j,
			 uint64_t h, uint64_t p)
{
	uint64_t e = p;

	for (uint32_t i = 0; i < j->nparts; i++) {
		struct shmring_part *pt = &j->parts[i];
		/* Relaxed: the role only selects entries; the ranges are acquired. */
		uint64_t owner = shmring__load_relaxed(&pt->owner), cp, ce;

		if (owner == 0 || !(SHMRING_PART_ROLE(owner) & SHMRING_PRODUCER))
			continue;
		if (range_covers(pt, h, &cp, &ce)) {
			if (ce - h < e - h)
				e = ce;
		} else if (cp != ce && ce - cp <= RANGE_MAX && cp - h < e - h) {
			e = cp;
		}
	}
	e &= ~ALIGN_MASK; /* a forged range end: stop before it, never past */
	if (e - h < SHMRING_REC_ALIGN || e - h > v->capacity)
		e = h + SHMRING_REC_ALIGN;
	for (uint64_t q = h + SHMRING_REC_ALIGN; q != e; q += SHMRING_REC_ALIGN)
		/* Acquire: compared only (positions past the head, not reusable). */
		if (names(shmring__load_acquire(&rec_at(v, q)->stamp), q))
			return q;
	return e;
}

/* The dead claim of entry e is all filled up to fill: its range, stale, goes. */
static void forget_range(struct shmring_part *e, uint64_t fill)
{
	/* Relaxed, both: the CAS below decides; an entry taken over since has
	 * another range and keeps it. */
	uint64_t cp = shmring__load_relaxed(&e->claim_pos);
	uint64_t ce = shmring__load_relaxed(&e->claim_end);

	if ((ce & ~SHMRING_CLAIM_REPAIR) == fill && cp != ce)
		/* Relaxed: an empty range; judges re-read the stamps anyway. */
		atomic_compare_exchange_strong_explicit(&e->claim_end, &ce, cp, memory_order_relaxed,
							memory_order_relaxed);
}

/*
 * Take the repair on the dead entry e, judged under generation gen, whose
 * range covers h: SHMRING_CLAIM_REPAIR in its claim_end tells its owner,
 * were it alive after all (a misjudged process), that the claim is no
 * longer its own (tx_stamp()), and `stat` that a repair is under way. A CAS
 * from the value read: an entry taken over since keeps its new range.
 * Exclusion between repairers comes from elsewhere (see repair_unstamped()).
 */
static void mark_repair(struct shmring_part *e, uint64_t h, uint32_t gen)
{
	uint64_t cp, ce;

	if (!range_covers(e, h, &cp, &ce))
		return;
	/* Relaxed: after the acquire of claim_end. A new owner's end read with
	 * the old owner's claim_pos (taken over between our two loads) came
	 * with its generation (the release in shmring__claim_intent()): not
	 * the claim judged, and not ours to mark. */
	if (shmring__load_relaxed(&e->gen) != gen)
		return;
	/* Release: the mark before the fillers we write after it. From the end
	 * judged, not one read again: an owner that took the entry over since
	 * has claimed past it, and its range stays unmarked. One marked
	 * already fails, and stays marked. */
	atomic_compare_exchange_strong_explicit(&e->claim_end, &ce, ce | SHMRING_CLAIM_REPAIR,
						memory_order_release, memory_order_relaxed);
}

/* Record our repair of [h, e) in our own entry (R-intent), REPAIR marking it
 * as a repair rather than a receive. */
static void repair_intent(struct shmring_msgring *v, uint64_t h, uint64_t e)
{
	if (!v->me)
		return;
	/* Relaxed: published by the release store of claim_pos. */
	shmring__store_relaxed(&v->me->claim_end, e | SHMRING_CLAIM_REPAIR);
	/* R-intent: pairs with A-intent in shmring__msg_recover_tx(). */
	shmring__store_release(&v->me->claim_pos, h);
}

/*
 * Consumer side: position h, below the producer position p, holds an older
 * stamp: a producer took it and has not stamped it, so its length is
 * unknown. The claimers that may hold it are the producers whose range
 * covers h; once all of them are dead the repairer writes a FILLER stamp
 * every 16 bytes over the dead claim (fill_end()), running on past the end
 * of the area into the next lap when the claim wrapped (a filler is never
 * padded; a run may end exactly at the end of the area).
 *
 * Only bytes the repairer alone may write are written, so neither a second
 * repairer nor one that was preempted for a lap can write over a record:
 *   - one consumer: it is the only one that may pass h, and it is the
 *     repairer. If it dies mid-repair, the next consumer finds the rest
 *     unstamped and fills it again (the fill is idempotent: the same value
 *     at each position).
 *   - many consumers: the repairer first takes [h, end) as its own receive
 *     claim (intent, then a CAS on the consumer position, as a receive
 *     does); receivers go on after it at once, and the fillers, written
 *     below the claim position, are passed by the sweep like released
 *     records. If it dies mid-repair, it is a dead consumer holding a claim
 *     (its range marked REPAIR): producers held back by it release the rest
 *     in shmring__msg_recover_tx() with fillers.
 */
/*
 * Judge the claimers of position pos by the claim ranges (claims.h): 1 when
 * every possible claimer is dead (repair it; *hold names a dead one, of
 * generation *hold_gen, or UINT32_MAX), 0 when nothing holds it, -EAGAIN
 * when a live one does (*stall_pos, *holder say which).
 *
 * A producer's range marked REPAIR counts as dead whether its owner lives or
 * not: the mark says a repairer has taken the claim, and an owner alive
 * after all writes nothing more in it once it sees the mark
 * (tx_still_mine()), so only a fill completes it. Repairers exclude each
 * other by the consumer position, not by the mark, so a mark forged on a
 * live producer gets its claim filled instead of waited for until the
 * producer claims again or leaves. A consumer's range marked REPAIR is a
 * live repairer's own claim, waited for like a receive.
 */
static int judge_claim(const struct shmring_judge *j, uint64_t pos, uint32_t role,
		       uint32_t *hold, uint32_t *hold_gen, uint64_t *stall_pos, uint32_t *holder)
{
	uint64_t given_up = role == SHMRING_PRODUCER ? SHMRING_CLAIM_REPAIR : 0;

	switch (shmring__claims_judge(j, pos, role, given_up, hold, hold_gen)) {
	case SHMRING_CLAIM_LIVE:
		*stall_pos = pos;
		*holder = *hold;
		return -EAGAIN;
	case SHMRING_CLAIM_NONE:
		return 0;
	default:
		return 1;
	}
}

static int repair_unstamped(struct shmring_msgring *v, const struct shmring_judge *j, uint64_t h,
			    uint64_t p, uint64_t *stall_pos, uint32_t *holder)
{
	struct shmring_rec *r = rec_at(v, h);
	uint32_t hold, gen = 0;
	uint64_t e, s;
	int rc = judge_claim(j, h, SHMRING_PRODUCER, &hold, &gen, stall_pos, holder);

	if (rc <= 0)
		return rc;
	/* Acquire: A-intent: the claimer's range was judged, or it stamped h
	 * before replacing its range, and the stamp shows now. And with many
	 * consumers, h was a snapshot: if they moved on, it is an old position,
	 * which no range covers any more. */
	s = shmring__load_acquire(&r->stamp);
	if (names(s, h) || head_moved(v, h))
		return 0;
	e = fill_end(v, j, h, p);
	if (hold != UINT32_MAX)
		mark_repair(&j->parts[hold], h, gen);
	repair_intent(v, h, e);
	if (v->mc) {
		uint64_t hh = h;

		/* R-intent: release, pairs with A-intent in recover_tx(); as a
		 * receive takes its claim. Fails if the head moved. */
		if (!cas_exact(&v->cons->pos, &hh, e, memory_order_release)) {
			shmring__claim_clear(v->me);
			return 0;
		}
	}
	shmring__count(&v->ctl->prod_repairs, 1);
	for (uint64_t q = h; q != e; q += SHMRING_REC_ALIGN)
		/* R-repair: release, pairs with A-commit in rx_look() (one
		 * consumer, or its successor) and A-rel in sweep(). */
		shmring__store_release(&rec_at(v, q)->stamp, q | SHMRING_REC_FILLER);
	shmring__claim_clear(v->me);
	if (v->mc) {
		/* F-sweep: our fillers before the sweep's loads, as after a release. */
		shmring__fence_full();
		sweep(v);
	}
	if (hold != UINT32_MAX)
		forget_range(&j->parts[hold], e);
	return 1;
}

int shmring__msg_recover_rx(struct shmring_msgring *v, const struct shmring_judge *j,
			    uint64_t *stall_pos, uint32_t *holder)
{
	uint64_t h, p, s;

	call_begin(v);
	*holder = UINT32_MAX;
	if (v->held)
		return 0;
	if (!v->mp) {
		/* Nothing to repair: one producer claims nothing in shared
		 * memory. But a head that is no record below the position it
		 * published (a stamp or length rewritten, a consumer position
		 * moved) would be waited at for ever: corrupt, as at the end
		 * of the stream. */
		shmring__msg_drained(v);
		return v->corrupt ? -SHMRING_ECORRUPT : 0;
	}
	/* Relaxed: a snapshot; a repair checks it again before it writes. */
	h = v->mc ? shmring__load_relaxed(&v->cons->pos) : v->pos;
	/* Acquire: A-intent: the range of every claim below p is visible (or
	 * was replaced after its stamp, which then shows). */
	p = shmring__load_acquire(&v->prod->pos);
	if (!aligned(h) || !aligned(p) || h > p || p - h > v->capacity) {
		if (head_moved(v, h))
			return 0;
		return corrupt(v);
	}
	if (h == p)
		return 0; /* nothing claimed past the head */
	/* Acquire: W-claim: a CLAIMED stamp comes with its info. */
	s = shmring__load_acquire(&rec_at(v, h)->stamp);
	if (names(s, h))
		return (s & STATE_MASK) == SHMRING_REC_CLAIMED
			       ? repair_claimed(v, j, h, stall_pos, holder)
			       : 0; /* ready to be received, or taken by another consumer */
	return repair_unstamped(v, j, h, p, stall_pos, holder);
}

/*
 * Where releasing a dead consumer's records from d may stop: the nearest of
 * the consumer position c, the end of every (dead: judged) range covering d,
 * and the start of every other consumer range past d. Every position in
 * [d, c) was claimed by a consumer, one claim at a time per consumer, and a
 * claim's range stays in its entry until the claim is released (A-intent):
 * so a position below the bound is covered by a dead range, or by none when
 * its claimer died and its entry was taken over since. *repair is set when
 * a range covering d is a repair (REPAIR), and with many producers (mp) when
 * none covers it: a lost claim may then be a repair that left positions
 * unfilled, which are filled. With one producer no consumer repairs, and
 * nothing below c is ever unstamped.
 */
static uint64_t release_end(const struct shmring_judge *j, uint64_t d, uint64_t c, bool mp,
			    bool *repair)
{
	uint64_t e = c;
	bool covered = false;

	*repair = false;
	for (uint32_t i = 0; i < j->nparts; i++) {
		struct shmring_part *pt = &j->parts[i];
		/* Relaxed: the role only selects entries; the ranges are acquired. */
		uint64_t owner = shmring__load_relaxed(&pt->owner), cp, ce;

		if (owner == 0 || !(SHMRING_PART_ROLE(owner) & SHMRING_CONSUMER))
			continue;
		if (!range_covers(pt, d, &cp, &ce)) {
			/* A claim past d: the release stops before it, live or not. */
			if (cp != ce && ce - cp <= RANGE_MAX && cp - d < e - d)
				e = cp;
			continue;
		}
		covered = true;
		if (ce - d < e - d)
			e = ce;
		/* Relaxed: the flag of a range just acquired. */
		if (shmring__load_relaxed(&pt->claim_end) & SHMRING_CLAIM_REPAIR)
			*repair = true;
	}
	if (!covered && mp)
		*repair = true;
	return e;
}

/*
 * Producer side, many consumers: the release watermark d is held by a
 * consumer claim below the consumer position c (records READING, or still
 * COMMITTED / SKIPPED: claimed, not yet stamped by the claimer; or, in a
 * repairer's claim, positions not yet filled). A dead claimer's records are
 * released by a CAS from the exact stamp judged (the message is lost:
 * ctl->cons_repairs counts the messages), the rest of a dead repair is
 * filled, then the watermark is swept. A claim whose entry was taken over
 * since (no range covers it) is released up to the next consumer claim, never
 * into it: release_end().
 */
int shmring__msg_recover_tx(struct shmring_msgring *v, const struct shmring_judge *j,
			    uint64_t *stall_pos, uint32_t *holder)
{
	uint64_t d, c, e, q, s;
	uint32_t hold;
	uint64_t lost = 0;
	bool released = false, repair;
	int rc;

	call_begin(v);
	*holder = UINT32_MAX;
	if (!v->mc)
		return 0;
	/* Released records may only wait for a sweep (their consumer died
	 * between releasing and sweeping). */
	if (sweep(v))
		return 1;
	if (v->corrupt)
		return -SHMRING_ECORRUPT;
	/* Acquire: pairs with R-done in sweep(). */
	d = shmring__load_acquire(&v->cons->done);
	/* Acquire: A-intent (the consumers' claims below c have their ranges
	 * visible); read after d, so never behind it. */
	c = shmring__load_acquire(&v->cons->pos);
	if (!aligned(d) || !aligned(c))
		return corrupt(v);
	if (d > c || c - d > v->capacity) {
		/* The watermark may have moved on between the two loads, and
		 * consumers claimed up to a capacity past its new place: only
		 * a watermark that stood still makes the pair impossible. */
		/* Acquire: as above. */
		if (shmring__load_acquire(&v->cons->done) != d)
			return 0;
		return corrupt(v);
	}
	if (c == d)
		return 0; /* nothing claimed and unreleased: the records wait for consumers */
	/* Acquire: W-read / A-commit: the stamp and the info it publishes. */
	s = shmring__load_acquire(&rec_at(v, d)->stamp);
	if (names(s, d) && ((s & STATE_MASK) == SHMRING_REC_RELEASED ||
			    (s & STATE_MASK) == SHMRING_REC_FILLER))
		return sweep(v) ? 1 : 0; /* released just now */
	/* A live consumer holding d reads it, or repairs a dead producer's
	 * claim there (a CLAIMED stamp it is replacing): wait for it. */
	rc = judge_claim(j, d, SHMRING_CONSUMER, &hold, NULL, stall_pos, holder);
	if (rc <= 0)
		return rc;
	if (names(s, d) && (s & STATE_MASK) == SHMRING_REC_CLAIMED)
		goto suspect; /* claimed by no live consumer, yet never committed */
	/* Acquire: A-intent: a release since the judge shows now. */
	if (shmring__load_acquire(&rec_at(v, d)->stamp) != s)
		return sweep(v) ? 1 : 0;
	e = release_end(j, d, c, v->mp, &repair);
	if (!names(s, d)) {
		if (!repair)
			goto suspect; /* unstamped where no repair can be: the segment lies */
		/* Acquire: pairs with R-done in sweep(). d was a snapshot: once
		 * the watermark passed it, a producer may have written the next
		 * lap over its bytes, and no range covers it any more. Only a
		 * watermark still at d makes the bytes an unfilled repair's: it
		 * passes d only once d is filled. */
		if (shmring__load_acquire(&v->cons->done) != d)
			return 0;
	}
	for (q = d; q != e && q - d < v->capacity;) {
		struct shmring_rec *r = rec_at(v, q);
		struct rec_meta m;
		uint64_t st;

		/* Acquire: W-read / A-commit, as above. */
		s = shmring__load_acquire(&r->stamp);
		st = s & STATE_MASK;
		if (!names(s, q)) {
			if (!repair)
				break;
			/* R-repair: release, pairs with A-rel in sweep(): what
			 * the dead repairer did not fill yet. From the stale value
			 * seen: another producer doing the same wins once. */
			if (!cas_exact(&r->stamp, &s, q | SHMRING_REC_FILLER, memory_order_release))
				break;
			released = true;
			q += SHMRING_REC_ALIGN;
			continue;
		}
		if (st == SHMRING_REC_CLAIMED)
			break;
		if (st == SHMRING_REC_FILLER) {
			q += SHMRING_REC_ALIGN; /* passed by the sweep as it is */
			continue;
		}
		/* Relaxed: published by the stamp. */
		if (decode_info(v, q, shmring__load_relaxed(&r->info), &m) < 0 || m.next - d > e - d)
			break;
		if (st != SHMRING_REC_RELEASED) {
			/* As the dead consumer would have, before the bytes go
			 * back (scrub()); a release that beats us scrubbed
			 * them too. */
			scrub(v, q, m.next);
			/* R-repair: release, pairs with A-rel in sweep() as the
			 * dead consumer's R-rel would have; acquire, the info the
			 * sweep reads is the one we read. From exactly the stamp
			 * we saw. */
			if (!cas_exact(&r->stamp, &s, q | SHMRING_REC_RELEASED, memory_order_acq_rel))
				break;
			released = true;
			if (m.kind == REC_MSG &&
			    (st == SHMRING_REC_READING || st == SHMRING_REC_COMMITTED))
				lost++;
		}
		q = m.next;
	}
	if (lost)
		shmring__count(&v->ctl->cons_repairs, lost);
	sweep(v);
	return released ? 1 : 0;
suspect:
	/* Acquire: only a watermark that stood still makes the stamp suspect. */
	if (shmring__load_acquire(&v->cons->done) != d)
		return 0;
	return corrupt(v);
}
