/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/spsc.h - the single-producer single-consumer fixed-slot ring.
 *
 * Only the producer writes a slot: payload first, then the stamp of the
 * slot's group (position + 1) with release; a group holds one slot, or
 * seven or three small ones (shmring__lane_stamp()). The consumer reads
 * the stamp with acquire and never writes a slot back, so each message
 * costs one cache-line transfer, or a share of one.
 * The consumer publishes its position after every receive call; that word is
 * read by the producer only when its cached copy says the ring is full, so in
 * steady flow it never leaves the consumer's cache. The producer's position
 * is for observers and for a producer that takes over, and both can read the
 * stamps past it: it is published once every SHMRING_LANE_PUBLISH_EVERY
 * messages, when the ring is full and when the producer leaves.
 *
 * Orderings, by label:
 *   R-stamp (producer stores a stamp)   pairs with A-stamp (consumer loads it):
 *       the payload written before the stamp is visible to the consumer.
 *   R-cons  (consumer stores its pos)   pairs with A-cons  (producer loads it):
 *       the consumer's reads of those slots finish before the producer reuses
 *       them.
 *
 * The dense layout (SHMRING_FEAT_DENSE_SLOTS, chosen at create) has no
 * stamps: payloads lie back to back, and the producer publishes its position
 * after the payloads of every call; the consumer reads it only when its
 * cached copy (peer_cache, on the consumer's side) says empty. A message
 * then costs its payload's share of a line and the position's line once per
 * refill, where a stamp would take 8 bytes of every slot.
 *   R-ppos  (producer stores its pos, dense)  pairs with A-ppos (consumer
 *       loads it): the payloads written before are visible.
 *
 * Everything read from shared memory is untrusted: a consumer position that
 * is not between the producer's cached copy and its own position is ignored
 * (the view is marked corrupt), as is a dense producer position behind the
 * consumer's cached copy or more than a capacity ahead of it; stamps are only
 * compared, and every slot address is computed from a local position and the
 * validated geometry.
 */
#ifndef SHMRING_RINGBUF_SPSC_H
#define SHMRING_RINGBUF_SPSC_H

#include "ringbuf/atomics.h"
#include "ringbuf/layout.h"
#include "shmring/lane.h"

#include <stdbool.h>
#include <string.h>

/* Set up a view over a mapped segment whose header passed validation. */
void shmring__spsc_view(struct shmring_lane *v, void *base, const struct shmring_hdr *h);

/* Take over the producer side: resume from the published position and skip
 * forward over slots a previous producer stamped but did not publish. */
void shmring__spsc_attach_producer(struct shmring_lane *v);

/* Take over the consumer side at its published position. */
void shmring__spsc_attach_consumer(struct shmring_lane *v);

/* A message out of a slot: fixed sizes compile to a few moves; other sizes
 * go to memcpy. */
static inline void shmring__copy(void *dst, const void *src, uint32_t n)
{
	if (!shmring__copy_fixed(dst, src, n))
		memcpy(dst, src, n);
}

/*
 * A message from the sender's buffer into a slot: 8 bytes a load
 * (shmring__copy_in(), the fixed sizes unrolled) where words, else by the
 * wider moves of shmring__copy(). A send that has just claimed its position
 * with a locked instruction (many producers: ringbuf/mring.h) passes false:
 * that instruction waited for every older store, so a wider load has none
 * to wait for, and the 8-byte loads gained those streams nothing
 * (docs/BENCHMARKS.md).
 */
static inline void shmring__copy_into(void *dst, const void *src, uint32_t n, bool words)
{
	if (!words)
		shmring__copy(dst, src, n);
	else if (!shmring__fill_fixed(dst, src, n))
		shmring__copy_in(dst, src, n);
}

/* The bytes of an n-byte message (n > SHMRING_LANE_HEAD) that lie past its
 * slot's first line, into the slot; words as for shmring__copy_into(). */
static inline void shmring__fill_tail(unsigned char *payload, const unsigned char *src, uint32_t n,
				      bool words)
{
	if (n == 64) /* the common size: a fixed copy */
		shmring__copy_from(payload + SHMRING_LANE_HEAD, src + SHMRING_LANE_HEAD,
				   64 - SHMRING_LANE_HEAD, words);
	else
		shmring__copy_from(payload + SHMRING_LANE_HEAD, src + SHMRING_LANE_HEAD,
				   n - SHMRING_LANE_HEAD, words);
}

/* The bytes of a message longer than SHMRING_LANE_HEAD that share its slot's
 * first line with the stamp, into the slot, after shmring__fill_tail();
 * words as for shmring__copy_into(). */
static inline void shmring__fill_head(unsigned char *payload, const unsigned char *src, bool words)
{
	shmring__copy_from(payload, src, SHMRING_LANE_HEAD, words);
}

/* A message into its stamped slot: what lies past the stamp's line first
 * (shmring__fill_fixed()). */
static inline void shmring__fill(void *payload, const void *src, uint32_t n)
{
	if (shmring__fill_fixed(payload, src, n))
		return;
	if (n > SHMRING_LANE_HEAD) {
		shmring__fill_tail(payload, src, n, true);
		shmring__fill_head(payload, src, true);
	} else {
		shmring__copy_in(payload, src, n);
	}
}

/* The payload of the slot at pos, in either layout. */
static inline unsigned char *shmring__spsc_slot(const struct shmring_lane *v, uint64_t pos)
{
	if (v->dense)
		return v->slots + (pos & v->mask) * v->stride;
	return shmring__lane_payload(v, pos, shmring__lane_stamp(v, pos));
}

/* Whether the stamp of pos's group publishes pos (acquire: A-stamp, pairs
 * with R-stamp in the sends; relaxed where it is only compared). */
static inline bool shmring__spsc_stamped(const struct shmring_lane *v, uint64_t pos, bool acquire)
{
	_Atomic uint64_t *stamp = shmring__lane_stamp(v, pos);
	uint64_t w = acquire ? shmring__load_acquire(stamp) : shmring__load_relaxed(stamp);

	return shmring__lane_published(w, pos, shmring__lane_end(v, pos));
}

/*
 * Dense: messages published past the consumer's position as far as it
 * knows, re-reading the producer's position when that is fewer than want.
 * Consumer only.
 */
static inline uint64_t shmring__dense_avail(struct shmring_lane *v, uint64_t want)
{
	uint64_t have = v->peer_cache - v->pos;

	if (have < want) {
		/* A-ppos: pairs with R-ppos in shmring__dense_publish(). */
		uint64_t p = shmring__load_acquire(&v->prod->pos);

		/* From our cache (at or past our position) to a capacity past
		 * our position; anything else is a lie. */
		if (SHMRING_UNLIKELY(p - v->peer_cache > v->pos + v->capacity - v->peer_cache)) {
			v->corrupt = true;
			return have;
		}
		v->peer_cache = p;
		have = p - v->pos;
	}
	return have;
}

/* Dense: the payloads below pos are written; publish them. Producer only. */
static inline void shmring__dense_publish(struct shmring_lane *v, uint64_t pos)
{
	v->pos = pos;
	/* R-ppos: pairs with A-ppos in shmring__dense_avail(). */
	shmring__store_release(&v->prod->pos, pos);
}

/* Free slots as far as the producer knows, refreshing the cache if short. */
static inline uint64_t shmring__spsc_free(struct shmring_lane *v, uint64_t want)
{
	uint64_t free_slots = v->capacity - (v->pos - v->peer_cache);

	if (free_slots < want) {
		/* A-cons: pairs with R-cons in shmring__spsc_recv(). */
		uint64_t c = shmring__load_acquire(&v->cons->pos);

		if (SHMRING_UNLIKELY(c - v->peer_cache > v->pos - v->peer_cache)) {
			v->corrupt = true; /* behind our cache or past us: ignore it */
			return free_slots;
		}
		shmring__lane_seen(v, c);
		free_slots = v->capacity - (v->pos - c);
		if (free_slots < want && !v->dense) /* dense: published already */
			/* R-pub, as in shmring__spsc_publish(). */
			shmring__store_release(&v->prod->pos, v->pos);
	}
	return free_slots;
}

/*
 * Publish the producer's position if the messages just sent (old..pos)
 * crossed a multiple of SHMRING_LANE_PUBLISH_EVERY: for observers, for a
 * later producer to resume from, and for the consumer's stamp check.
 * Consumers synchronise on stamps; the position only bounds them.
 */
static inline void shmring__spsc_publish(struct shmring_lane *v, uint64_t old)
{
	if (old / SHMRING_LANE_PUBLISH_EVERY != v->pos / SHMRING_LANE_PUBLISH_EVERY)
		/* R-pub: pairs with A-pub in the consumer's stamp check
		 * (src/peers.c): the stamps below it are there once it is. */
		shmring__store_release(&v->prod->pos, v->pos);
}

/*
 * Send up to n messages of v->size bytes each from msgs. all: n or nothing.
 * Returns the number sent. Producer only.
 */
static inline unsigned shmring__spsc_send(struct shmring_lane *v, const void *msgs, unsigned n,
					  bool all)
{
	const unsigned char *src = (const unsigned char *)msgs;
	uint64_t free_slots = shmring__spsc_free(v, n);
	uint64_t pos = v->pos;

	if (free_slots < n) {
		if (all)
			return 0;
		n = (unsigned)free_slots;
	}
	if (v->dense) {
		for (unsigned i = 0; i < n; i++, src += v->size)
			shmring__copy_into(shmring__spsc_slot(v, pos + i), src, v->size, true);
		shmring__dense_publish(v, pos + n);
		return n;
	}
	for (unsigned i = 0; i < n; i++, pos++, src += v->size) {
		_Atomic uint64_t *stamp = shmring__lane_stamp(v, pos);

		shmring__fill(shmring__lane_payload(v, pos, stamp), src, v->size);
		/* R-stamp: pairs with A-stamp in shmring__spsc_recv(). */
		shmring__store_release(stamp, pos + 1);
	}
	{
		uint64_t old = v->pos;

		v->pos = pos;
		shmring__spsc_publish(v, old);
	}
	return n;
}

/*
 * One message, the most common call: the loop, the batch bookkeeping and
 * their registers of shmring__spsc_send() left out. Returns whether it was
 * sent. Producer only.
 */
static inline bool shmring__spsc_send1(struct shmring_lane *v, const void *msg)
{
	uint64_t pos = v->pos;
	_Atomic uint64_t *stamp;

	if (SHMRING_UNLIKELY(pos - v->peer_cache >= v->capacity) && shmring__spsc_free(v, 1) == 0)
		return false;
	if (v->dense) {
		shmring__copy_into(shmring__spsc_slot(v, pos), msg, v->size, true);
		shmring__dense_publish(v, pos + 1);
		return true;
	}
	stamp = shmring__lane_stamp(v, pos);
	shmring__fill(shmring__lane_payload(v, pos, stamp), msg, v->size);
	shmring__lane_stamp1(v, stamp, pos);
	return true;
}

/* One message: returns whether one was received. Consumer only. */
static inline bool shmring__spsc_recv1(struct shmring_lane *v, void *msg)
{
	uint64_t pos = v->pos;
	_Atomic uint64_t *stamp = shmring__lane_stamp(v, pos);

	if (v->dense) {
		if (pos == v->peer_cache && shmring__dense_avail(v, 1) == 0)
			return false;
		shmring__copy(msg, shmring__spsc_slot(v, pos), v->size);
		shmring__lane_taken1(v, pos);
		return true;
	}
	/* A-stamp: pairs with R-stamp in shmring__spsc_send1() / _send(). */
	if (!shmring__lane_published(shmring__load_acquire(stamp), pos, shmring__lane_end(v, pos)))
		return false;
	shmring__lane_read_ahead(v, pos);
	shmring__copy(msg, shmring__lane_payload(v, pos, stamp), v->size);
	shmring__lane_taken1(v, pos);
	return true;
}

/* True if the message at the consumer's position + k has been published. */
static inline bool shmring__spsc_ready(struct shmring_lane *v, uint64_t k)
{
	uint64_t pos = v->pos + k;

	if (v->dense)
		return shmring__dense_avail(v, k + 1) > k;

	return shmring__spsc_stamped(v, pos, true);
}

/*
 * Receive up to n messages into msgs. all: n or nothing. Returns the number
 * received. Consumer only.
 */
static inline unsigned shmring__spsc_recv(struct shmring_lane *v, void *msgs, unsigned n, bool all)
{
	unsigned char *dst = (unsigned char *)msgs;
	uint64_t pos = v->pos;
	unsigned got;

	if (all) {
		/*
		 * One producer stamps in order, so the acquire of the last
		 * stamp makes every earlier slot of the batch visible too.
		 */
		if (n == 0 || n > v->capacity || !shmring__spsc_ready(v, n - 1))
			return 0;
		got = n;
	} else {
		for (got = 0; got < n && shmring__spsc_ready(v, got); got++)
			;
		if (got == 0)
			return 0;
	}
	for (unsigned i = 0; i < got; i++, pos++, dst += v->size)
		shmring__copy(dst, shmring__spsc_slot(v, pos), v->size);
	v->pos = pos;
	/* R-cons: pairs with A-cons in shmring__spsc_free(). */
	shmring__store_release(&v->cons->pos, pos);
	return got;
}

/* Messages the consumer can see right now (stops at the first unstamped slot
 * or at max). */
static inline uint64_t shmring__spsc_available(struct shmring_lane *v, uint64_t max)
{
	uint64_t k = 0;

	if (v->dense) {
		k = shmring__dense_avail(v, max < v->capacity ? max : v->capacity);
		return k < max ? k : max;
	}

	while (k < max && k < v->capacity && shmring__spsc_ready(v, k))
		k++;
	return k;
}

/*
 * Zero-copy. The producer reserves slots at its position without moving it and
 * publishes them in order; the consumer peeks at its position and moves it on
 * release. Neither side claims anything in shared memory, so giving back part
 * of a reservation or a peek is just not publishing / not releasing it.
 */

/* Reserve up to n slots: their payload addresses go to slots[]; returns k. */
static inline unsigned shmring__spsc_reserve(struct shmring_lane *v, unsigned n, void **slots)
{
	uint64_t free_slots = shmring__spsc_free(v, n);

	if (free_slots < n)
		n = (unsigned)free_slots;
	for (unsigned i = 0; i < n; i++)
		slots[i] = shmring__spsc_slot(v, v->pos + i);
	return n;
}

/* Publish the first n reserved slots. */
static inline void shmring__spsc_commit(struct shmring_lane *v, unsigned n)
{
	uint64_t pos = v->pos, old = v->pos;

	if (v->dense) {
		shmring__dense_publish(v, pos + n);
		return;
	}
	for (unsigned i = 0; i < n; i++, pos++)
		/* R-stamp: pairs with A-stamp in shmring__spsc_ready(). */
		shmring__store_release(shmring__lane_stamp(v, pos), pos + 1);
	v->pos = pos;
	shmring__spsc_publish(v, old);
}

/*
 * The producer's position as an observer can know it: the published one and
 * the stamped slots past it (at most a capacity beyond the consumer's).
 */
static inline uint64_t shmring__spsc_produced(const struct shmring_lane *v)
{
	/* Relaxed, both: a snapshot; the stamps are compared, never followed. */
	uint64_t p = shmring__load_relaxed(&v->prod->pos);
	uint64_t c = shmring__load_relaxed(&v->cons->pos);

	if (c > p)
		p = c;
	if (v->dense)
		return p - c <= v->capacity ? p : c;
	while (p - c < v->capacity && shmring__spsc_stamped(v, p, false))
		p++;
	return p;
}

/* Peek at up to n published messages; returns k. */
static inline unsigned shmring__spsc_peek(struct shmring_lane *v, unsigned n, const void **slots)
{
	unsigned k = (unsigned)shmring__spsc_available(v, n);

	for (unsigned i = 0; i < k; i++)
		slots[i] = shmring__spsc_slot(v, v->pos + i);
	return k;
}

/* Release the first n peeked messages to the producer. */
static inline void shmring__spsc_release(struct shmring_lane *v, unsigned n)
{
	v->pos += n;
	/* R-cons: pairs with A-cons in shmring__spsc_free(); our reads of the
	 * released slots finish before the producer may reuse them. */
	shmring__store_release(&v->cons->pos, v->pos);
}

#endif /* SHMRING_RINGBUF_SPSC_H */
