/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/mring.h - the shared core of the fixed-slot kinds with many
 * producers or many consumers: MPSC, SPMC and MPMC. Each kind is a thin file
 * (ringbuf/mpsc.c, spmc.c, mpmc.c) that instantiates these inline functions
 * with its two constants, mp (many producers) and mc (many consumers), so
 * every kind gets straight-line code for its own case.
 *
 * A slot is the slot word (see layout.h: lap, phase, owner) and the payload.
 *
 *   Producers   one (SPMC): the position is private, published after the
 *               slots (relaxed, for observers and for a successor).
 *               many (MPSC, MPMC): a producer claims positions with a CAS on
 *               the shared producer position, then stamps each slot CLAIMED
 *               with its participant index before writing it.
 *   Free space  one consumer (MPSC): from the consumer position, cached per
 *               handle as in SPSC; the consumer never writes a slot back.
 *               many consumers (SPMC, MPMC): from the slot word (Vyukov-style):
 *               a slot is free for position p when it reads FREE(lap(p)).
 *   Consumers   one (MPSC): private position, published after each receive.
 *               many (SPMC, MPMC): claim with a CAS on the shared consumer
 *               position, stamp READING, copy out, store FREE(next lap).
 *
 * Orderings, by label (each pair names its partner):
 *   R-full  producer stores FULL after the payload      A-full  consumer loads it:
 *           the payload is visible before the message is.
 *   R-free  consumer stores FREE(L+1) after copying out A-free  producer loads it:
 *           the consumer's reads are done before the producer overwrites.
 *   R-cons  consumer stores its position (MPSC)         A-cons  producer loads it:
 *           as R-free, for all slots below the position.
 *   W-claim producer stores CLAIMED after its CAS, W-read consumer stores
 *           READING after its CAS (both release): whoever sees the stamp
 *           also sees the position the CAS advanced (the stale-position check
 *           below relies on it, and so will recovery).
 * The CASes on the positions are relaxed: they only decide who owns a
 * position; the slot words publish the data.
 *
 * A producer (consumer) preempted between its CAS and its FULL (FREE) store
 * holds back consumers (producers) of that slot, and, since positions are
 * delivered in order, of the slots after it, until it runs again. The
 * blocking calls park on the eventcount meanwhile instead of spinning.
 *
 * Untrusted memory: every slot address comes from a local position and the
 * validated geometry; slot words are only compared; a shared position that
 * contradicts the slot words (a later state while the position has not
 * moved) marks the view corrupt and the call reports full/empty.
 */
#ifndef SHMRING_RINGBUF_MRING_H
#define SHMRING_RINGBUF_MRING_H

#include "ringbuf/atomics.h"
#include "ringbuf/layout.h"
#include "ringbuf/spsc.h" /* shmring__copy */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* One side's process-local view of a multi-kind ring. */
struct shmring_mring {
	unsigned char *slots;
	struct shmring_side *prod;
	struct shmring_side *cons;
	uint64_t mask;
	uint64_t capacity;
	uint32_t stride;
	uint32_t size;
	uint32_t shift;      /* log2(capacity) */
	uint32_t owner;      /* this side's participant index, stamped in slots */
	uint64_t pos;        /* a single side's next position */
	uint64_t peer_cache; /* MPSC producer: the consumer position last read */
	uint64_t held_pos;   /* zero-copy: the first position reserved / peeked */
	unsigned held;       /* zero-copy: how many */
	bool corrupt;        /* a shared index failed its check */
};

/* Set up a view; owner is the participant index this side stamps. */
void shmring__mring_view(struct shmring_mring *v, void *base, const struct shmring_hdr *h,
			 uint32_t owner);

/* Take over the single producer side (SPMC): resume after every slot a
 * previous producer published. */
void shmring__mring_attach_producer(struct shmring_mring *v, bool mp);

/* Take over the single consumer side (MPSC) at its published position. */
void shmring__mring_attach_consumer(struct shmring_mring *v, bool mc);

static inline _Atomic uint64_t *shmring__mring_word(const struct shmring_mring *v, uint64_t pos)
{
	return (_Atomic uint64_t *)(void *)(v->slots + (pos & v->mask) * v->stride);
}

static inline unsigned char *shmring__mring_payload(const struct shmring_mring *v, uint64_t pos)
{
	return v->slots + (pos & v->mask) * v->stride + SHMRING_STAMP_SIZE;
}

/* The slot word of position pos in a phase. */
static inline uint64_t shmring__mring_state(const struct shmring_mring *v, uint64_t pos,
					    unsigned phase, uint32_t owner)
{
	return ((pos >> v->shift) << SHMRING_SLOT_LAP_SHIFT) |
	       ((uint64_t)phase << SHMRING_SLOT_PHASE_SHIFT) | owner;
}

/*
 * Where slot word w stands against (pos, phase), the owner ignored: 0 at it,
 * < 0 before it, > 0 after it. Laps compare modulo 2^48.
 */
static inline int64_t shmring__mring_cmp(const struct shmring_mring *v, uint64_t w, uint64_t pos,
					 unsigned phase)
{
	uint64_t at = ((pos >> v->shift) << 4) | phase;

	return (int64_t)(((w >> SHMRING_SLOT_PHASE_SHIFT) - at) << SHMRING_SLOT_PHASE_SHIFT);
}

/*
 * Producer: claim up to n consecutive positions (all: n or none). Returns the
 * count, the first position in *start; 0 when the ring is full.
 */
static inline unsigned shmring__mring_claim_tx(struct shmring_mring *v, unsigned n, bool all,
					       bool mp, bool mc, uint64_t *start)
{
	/* Relaxed: a first guess; the CAS below checks it. */
	uint64_t t = mp ? shmring__load_relaxed(&v->prod->pos) : v->pos;
	unsigned k;

	if (n > v->capacity) {
		if (all)
			return 0;
		n = (unsigned)v->capacity;
	}
	for (;;) {
		uint64_t t2;

		if (mc) {
			for (k = 0; k < n; k++) {
				/* A-free: pairs with R-free in shmring__mring_finish_rx(). */
				uint64_t w = shmring__load_acquire(shmring__mring_word(v, t + k));
				int64_t d = shmring__mring_cmp(v, w, t + k, SHMRING_SLOT_FREE);

				if (d > 0)
					goto stale; /* position t + k is someone's already */
				if (d < 0)
					break; /* the previous lap's message is still there */
			}
		} else {
			uint64_t used = t - v->peer_cache;

			if (used > v->capacity || v->capacity - used < n) {
				/* A-cons: pairs with R-cons in shmring__mring_finish_rx(). */
				uint64_t c = shmring__load_acquire(&v->cons->pos);

				if (c > t)
					goto stale; /* the consumer passed t: t is old */
				if (t - c > v->capacity) {
					v->corrupt = true;
					return 0;
				}
				v->peer_cache = c;
				used = t - c;
			}
			k = v->capacity - used < n ? (unsigned)(v->capacity - used) : n;
		}
		if (k == 0 || (all && k < n))
			return 0;
		if (!mp)
			break;
		/* Relaxed: the exchange only makes the positions ours; the slot
		 * words publish what is written in them (R-full). */
		if (shmring__cas_weak(&v->prod->pos, &t, t + k, memory_order_relaxed))
			break;
		continue;
stale:
		/*
		 * What we saw was stored (W-claim, R-free, R-cons: all release,
		 * all after the CAS that moved the position past t) and we
		 * loaded it with acquire, so a fresh load sees the position past
		 * t. If it does not, the segment lies.
		 */
		/* Relaxed: ordered by the acquire that saw the later state. */
		t2 = mp ? shmring__load_relaxed(&v->prod->pos) : t;
		if (t2 == t) {
			v->corrupt = true;
			return 0;
		}
		t = t2;
	}
	*start = t;
	return k;
}

/* Producer: stamp claimed positions with our index before writing them. */
static inline void shmring__mring_mark_tx(const struct shmring_mring *v, uint64_t t, unsigned k)
{
	/*
	 * RECOVERY HOOK: a producer that dies (or stalls past a deadline)
	 * between its CAS and its FULL store leaves CLAIMED(lap, owner) here,
	 * and consumers stop at that slot. Recovery finds such slots between
	 * the consumer and producer positions, checks the owner's participant
	 * entry (shmring__part_alive), and republishes the slot as a skipped
	 * message (a FULL stamp with a "skipped" marker for consumers to drop),
	 * counting it. A death between the CAS and this store leaves the
	 * previous lap's state below the producer position: the same search
	 * treats it as claimed by an unknown owner, decided by age alone.
	 */
	for (unsigned i = 0; i < k; i++)
		/* W-claim: release, see the header comment. */
		shmring__store_release(shmring__mring_word(v, t + i),
				       shmring__mring_state(v, t + i, SHMRING_SLOT_CLAIMED, v->owner));
}

/* Producer: publish k filled positions from t. */
static inline void shmring__mring_publish_tx(struct shmring_mring *v, uint64_t t, unsigned k,
					     bool mp)
{
	for (unsigned i = 0; i < k; i++)
		/* R-full: pairs with A-full in shmring__mring_claim_rx(). */
		shmring__store_release(shmring__mring_word(v, t + i),
				       shmring__mring_state(v, t + i, SHMRING_SLOT_FULL, v->owner));
	if (!mp) {
		v->pos = t + k;
		/* Relaxed: for observers and a later producer; consumers
		 * synchronise on slot words. */
		shmring__store_relaxed(&v->prod->pos, v->pos);
	}
}

/* Send up to n messages (all: n or none); returns the count. */
static inline unsigned shmring__mring_send(struct shmring_mring *v, const void *msgs, unsigned n,
					   bool all, bool mp, bool mc)
{
	const unsigned char *src = (const unsigned char *)msgs;
	uint64_t t = 0;
	unsigned k = shmring__mring_claim_tx(v, n, all, mp, mc, &t);

	for (unsigned i = 0; i < k; i++, src += v->size) {
		_Atomic uint64_t *w = shmring__mring_word(v, t + i);

		if (mp)
			shmring__mring_mark_tx(v, t + i, 1);
		shmring__copy(shmring__mring_payload(v, t + i), src, v->size);
		/* R-full: pairs with A-full in shmring__mring_claim_rx(). */
		shmring__store_release(w, shmring__mring_state(v, t + i, SHMRING_SLOT_FULL, v->owner));
	}
	if (!mp && k) {
		v->pos = t + k;
		/* Relaxed: as in shmring__mring_publish_tx(). */
		shmring__store_relaxed(&v->prod->pos, v->pos);
	}
	return k;
}

/*
 * Consumer: claim up to n consecutive published messages (all: n or none).
 * Returns the count, the first position in *start; 0 when empty.
 */
static inline unsigned shmring__mring_claim_rx(struct shmring_mring *v, unsigned n, bool all,
					       bool mc, uint64_t *start)
{
	/* Relaxed: a first guess; the CAS below checks it. */
	uint64_t h = mc ? shmring__load_relaxed(&v->cons->pos) : v->pos;
	unsigned k;

	if (n > v->capacity) {
		if (all)
			return 0;
		n = (unsigned)v->capacity;
	}
	for (;;) {
		uint64_t h2;

		for (k = 0; k < n; k++) {
			/* A-full: pairs with R-full in shmring__mring_publish_tx()
			 * and shmring__mring_send(). */
			uint64_t w = shmring__load_acquire(shmring__mring_word(v, h + k));
			int64_t d = shmring__mring_cmp(v, w, h + k, SHMRING_SLOT_FULL);

			if (d > 0)
				goto stale; /* another consumer took h + k */
			if (d < 0)
				break; /* not published yet */
		}
		if (k == 0 || (all && k < n))
			return 0;
		if (!mc)
			break;
		/* Relaxed: as for producers, the slot words carry the data. */
		if (shmring__cas_weak(&v->cons->pos, &h, h + k, memory_order_relaxed))
			break;
		continue;
stale:
		/* As in shmring__mring_claim_tx(): W-read and R-free follow the
		 * CAS that moved the position past h. */
		/* Relaxed: ordered by the acquire that saw the later state. */
		h2 = mc ? shmring__load_relaxed(&v->cons->pos) : h;
		if (h2 == h) {
			v->corrupt = true;
			return 0;
		}
		h = h2;
	}
	*start = h;
	return k;
}

/* Consumer (many): stamp claimed positions READING with our index. */
static inline void shmring__mring_mark_rx(const struct shmring_mring *v, uint64_t h, unsigned k)
{
	/*
	 * RECOVERY HOOK: a consumer that dies between its CAS and its FREE
	 * store leaves READING(lap, owner); producers stop there when the ring
	 * wraps. Recovery checks the owner's entry and frees the slot (the
	 * message is lost, and counted).
	 */
	for (unsigned i = 0; i < k; i++)
		/* W-read: release, see the header comment. */
		shmring__store_release(shmring__mring_word(v, h + i),
				       shmring__mring_state(v, h + i, SHMRING_SLOT_READING, v->owner));
}

/* Consumer: give k read positions from h back to producers. */
static inline void shmring__mring_finish_rx(struct shmring_mring *v, uint64_t h, unsigned k,
					    bool mc)
{
	if (mc) {
		for (unsigned i = 0; i < k; i++)
			/* R-free: pairs with A-free in shmring__mring_claim_tx(). */
			shmring__store_release(shmring__mring_word(v, h + i),
					       shmring__mring_state(v, h + i + v->capacity,
								    SHMRING_SLOT_FREE, 0));
	} else {
		v->pos = h + k;
		/* R-cons: pairs with A-cons in shmring__mring_claim_tx(). */
		shmring__store_release(&v->cons->pos, v->pos);
	}
}

/* Receive up to n messages (all: n or none); returns the count. */
static inline unsigned shmring__mring_recv(struct shmring_mring *v, void *msgs, unsigned n,
					   bool all, bool mc)
{
	unsigned char *dst = (unsigned char *)msgs;
	uint64_t h = 0;
	unsigned k = shmring__mring_claim_rx(v, n, all, mc, &h);

	if (!k)
		return 0;
	for (unsigned i = 0; i < k; i++, dst += v->size) {
		if (mc)
			shmring__mring_mark_rx(v, h + i, 1);
		shmring__copy(dst, shmring__mring_payload(v, h + i), v->size);
		if (mc)
			shmring__mring_finish_rx(v, h + i, 1, true);
	}
	if (!mc)
		shmring__mring_finish_rx(v, h, k, false);
	return k;
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
	}
	for (unsigned i = 0; i < k; i++)
		slots[i] = shmring__mring_payload(v, t + i);
	return k;
}

/* Zero-copy producer: publish the first n reserved; 0 or -EINVAL. */
static inline int shmring__mring_commit(struct shmring_mring *v, unsigned n, bool mp)
{
	if (n == 0 || n > v->held || (mp && n != v->held))
		return -EINVAL;
	shmring__mring_publish_tx(v, v->held_pos, n, mp);
	v->held = 0;
	return 0;
}

/* Zero-copy consumer: peek at up to n messages (the held ones if any). */
static inline unsigned shmring__mring_peek(struct shmring_mring *v, unsigned n, const void **slots,
					   bool mc)
{
	uint64_t h = 0;
	unsigned k;

	if (v->held) {
		k = n < v->held ? n : v->held;
		h = v->held_pos;
	} else {
		k = shmring__mring_claim_rx(v, n, false, mc, &h);
		if (mc)
			shmring__mring_mark_rx(v, h, k);
		v->held_pos = h;
		v->held = k;
	}
	for (unsigned i = 0; i < k; i++)
		slots[i] = shmring__mring_payload(v, h + i);
	return k;
}

/* Zero-copy consumer: release the first n peeked; 0 or -EINVAL. */
static inline int shmring__mring_release(struct shmring_mring *v, unsigned n, bool mc)
{
	if (n == 0 || n > v->held || (mc && n != v->held))
		return -EINVAL;
	shmring__mring_finish_rx(v, v->held_pos, n, mc);
	v->held = 0;
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

unsigned shmring__spmc_send(struct shmring_mring *v, const void *msgs, unsigned n, bool all);
unsigned shmring__spmc_recv(struct shmring_mring *v, void *msgs, unsigned n, bool all);
unsigned shmring__spmc_reserve(struct shmring_mring *v, unsigned n, void **slots);
int shmring__spmc_commit(struct shmring_mring *v, unsigned n);
unsigned shmring__spmc_peek(struct shmring_mring *v, unsigned n, const void **slots);
int shmring__spmc_release(struct shmring_mring *v, unsigned n);

unsigned shmring__mpmc_send(struct shmring_mring *v, const void *msgs, unsigned n, bool all);
unsigned shmring__mpmc_recv(struct shmring_mring *v, void *msgs, unsigned n, bool all);
unsigned shmring__mpmc_reserve(struct shmring_mring *v, unsigned n, void **slots);
int shmring__mpmc_commit(struct shmring_mring *v, unsigned n);
unsigned shmring__mpmc_peek(struct shmring_mring *v, unsigned n, const void **slots);
int shmring__mpmc_release(struct shmring_mring *v, unsigned n);

#endif /* SHMRING_RINGBUF_MRING_H */
