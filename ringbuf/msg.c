/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/msg.c - the message ring (see msg.h). Pure: no system calls, no
 * allocation, no globals.
 */
#include "ringbuf/msg.h"

#include <errno.h>
#include <string.h>

/* What rx_look() found at a position. */
enum look {
	LOOK_READY = 1,  /* a committed record (or padding) */
	LOOK_NOT_YET = 0,
	LOOK_TAKEN = -1, /* another consumer claimed it: our position is old */
	LOOK_CORRUPT = -2,
};

struct rec_meta {
	uint64_t next; /* position after the record (after the padding: the next lap) */
	uint32_t len;
	uint32_t type;
	bool pad;
};

static struct shmring_rec *rec_at(const struct shmring_msgring *v, uint64_t pos)
{
	return (struct shmring_rec *)(void *)(v->area + (pos & v->mask));
}

static unsigned char *payload_at(const struct shmring_msgring *v, uint64_t pos)
{
	return v->area + (pos & v->mask) + SHMRING_REC_HDR;
}

/* Bytes from pos to the end of the area. */
static uint64_t left_at(const struct shmring_msgring *v, uint64_t pos)
{
	return v->capacity - (pos & v->mask);
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
		m->pad = true;
		m->len = 0;
		m->next = pos + left;
		return 0;
	}
	m->pad = false;
	m->len = info & SHMRING_REC_LEN_MASK;
	if (m->len > v->max_len || shmring__rec_span(m->len) > left)
		return -1;
	m->next = pos + shmring__rec_span(m->len);
	return 0;
}

void shmring__msg_view(struct shmring_msgring *v, void *base, const struct shmring_hdr *h,
		       uint32_t owner)
{
	uint32_t multi = shmring__hdr_multi(h);

	memset(v, 0, sizeof(*v));
	v->area = (unsigned char *)base + h->slots_off;
	v->prod = shmring__prod_side(base);
	v->cons = shmring__cons_side(base);
	v->capacity = h->capacity;
	v->mask = h->capacity - 1;
	v->max_len = h->slot_size;
	v->owner = owner & SHMRING_SLOT_OWNER_MASK;
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

void shmring__msg_attach_producer(struct shmring_msgring *v)
{
	uint64_t pos, c;

	/* Acquire: A-cons, see the header comment. */
	v->peer_cache = shmring__load_acquire(watermark(v));
	if (v->mp)
		return; /* the position is shared and claimed with CAS */
	/* Acquire: see the records a previous producer wrote before publishing. */
	pos = shmring__load_acquire(&v->prod->pos);
	/* Acquire: the consumers' claim position, past which nothing is ours. */
	c = shmring__load_acquire(&v->cons->pos);
	if (c > pos && c - pos <= v->capacity)
		pos = c; /* the old producer died after committing, before publishing */
	/* Skip records a producer that died mid-send committed but did not count. */
	for (uint64_t start = pos; pos - start < v->capacity;) {
		struct shmring_rec *r = rec_at(v, pos);
		/* A-commit: the record's info is visible with its stamp. */
		uint64_t s = shmring__load_acquire(&r->stamp);
		struct rec_meta m;

		if (s != (pos | SHMRING_REC_COMMITTED) && s != (pos | SHMRING_REC_READING) &&
		    s != (pos | SHMRING_REC_RELEASED))
			break;
		/* Relaxed: published by the stamp. */
		if (decode_info(v, pos, shmring__load_relaxed(&r->info), &m) < 0)
			break;
		pos = m.next;
	}
	v->pos = pos;
	/* Relaxed: for observers and a successor; consumers read stamps. */
	shmring__store_relaxed(&v->prod->pos, pos);
}

/*
 * Room from position t for a producer that wants `want` bytes: capacity less
 * what is in use. Returns the room, or sets *stale when t turns out older
 * than the watermark (someone else's claims moved on), or marks the view
 * corrupt and returns 0.
 */
static uint64_t tx_room(struct shmring_msgring *v, uint64_t t, uint64_t want, bool *stale)
{
	uint64_t used = t - v->peer_cache;

	if (used <= v->capacity && v->capacity - used >= want)
		return v->capacity - used;
	for (int pass = 0;; pass++) {
		/* A-cons: pairs with R-cons (one consumer) or R-done (many). */
		uint64_t c = shmring__load_acquire(watermark(v));

		if (c > t) {
			*stale = true;
			return 0;
		}
		if (t - c > v->capacity) {
			v->corrupt = true;
			return 0;
		}
		v->peer_cache = c;
		used = t - c;
		if (!v->mc || pass || v->capacity - used >= want)
			return v->capacity - used;
		/* Released records may wait for a sweep (their consumer died
		 * between releasing and sweeping, or is about to sweep). */
		shmring__msg_sweep(v);
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

static void write_pad(const struct shmring_msgring *v, uint64_t p)
{
	struct shmring_rec *r = rec_at(v, p);

	/* Relaxed: published by the stamp below. */
	shmring__store_relaxed(&r->info, SHMRING_REC_PAD | (v->owner << SHMRING_REC_OWNER_SHIFT));
	shmring__store_relaxed(&r->type, 0);
	/* R-commit: pairs with A-commit in rx_look(). */
	shmring__store_release(&r->stamp, p | SHMRING_REC_COMMITTED);
}

/* Start a record at p: its size and owner, and with many producers the claim. */
static void write_head(const struct shmring_msgring *v, uint64_t p, uint32_t len)
{
	struct shmring_rec *r = rec_at(v, p);

	/* Relaxed: published by the stamp below (claim or commit). */
	shmring__store_relaxed(&r->info, len | (v->owner << SHMRING_REC_OWNER_SHIFT));
	if (v->mp) {
		/*
		 * RECOVERY HOOK: a producer that dies (or stalls past a
		 * deadline) between its CAS and its COMMITTED store leaves
		 * CLAIMED here, with its owner and size in info; consumers stop
		 * at it. Recovery checks the owner's participant entry and
		 * commits the record as padding (skipped, counted). A death
		 * before this store leaves a stale stamp below the producer
		 * position, size unknown: recovery then finds the next record by
		 * its self-describing stamp (position | state) and pads up to it.
		 */
		/* W-claim: release, see msg.h. */
		shmring__store_release(&r->stamp, p | SHMRING_REC_CLAIMED);
	}
}

static void commit_rec(const struct shmring_msgring *v, uint64_t p, uint32_t type)
{
	struct shmring_rec *r = rec_at(v, p);

	/* Relaxed: published by the stamp below. */
	shmring__store_relaxed(&r->type, type);
	/* R-commit: pairs with A-commit in rx_look(). */
	shmring__store_release(&r->stamp, p | SHMRING_REC_COMMITTED);
}

/*
 * Claim `n` records' worth of space (all, or as many as fit) for m[0..n).
 * Returns the count, the first position in *start and the bytes in *bytes;
 * 0 when nothing fits.
 */
static unsigned tx_claim(struct shmring_msgring *v, const struct shmring_msgvec *m, unsigned n,
			 bool all, uint64_t *start, uint64_t *bytes)
{
	/* Relaxed: a first guess; the CAS checks it. */
	uint64_t t = v->mp ? shmring__load_relaxed(&v->prod->pos) : v->pos;
	unsigned k;

	for (;;) {
		bool stale = false;
		uint64_t want, room, got;

		/* Bulk: all of it; burst: the first record. */
		want = tx_plan(v, t, m, all ? n : 1, v->capacity, &k);
		if (k < (all ? n : 1))
			return 0; /* too large for the ring at all */
		room = tx_room(v, t, want, &stale);
		if (stale) {
			/* As in the fixed kinds: the watermark we saw was
			 * stored after the CAS that moved the position past t. */
			/* Relaxed: ordered by the acquire that saw the watermark. */
			uint64_t t2 = v->mp ? shmring__load_relaxed(&v->prod->pos) : t;

			if (t2 == t) {
				v->corrupt = true;
				return 0;
			}
			t = t2;
			continue;
		}
		got = tx_plan(v, t, m, n, room, &k);
		if (k == 0 || (all && k < n))
			return 0;
		if (!v->mp || shmring__cas_weak(&v->prod->pos, &t, t + got, memory_order_relaxed)) {
			/* Relaxed CAS: it only makes the bytes ours; the stamps
			 * publish what is written in them (R-commit). */
			*start = t;
			*bytes = got;
			return k;
		}
	}
}

/*
 * Copy a payload in. With many consumers, a consumer whose position went
 * stale (it was preempted while others took a lap of records) may load a
 * header word at a place where a producer is now writing payload; it rejects
 * what it reads (stamp mismatch, then a CAS that fails), but in C11 terms the
 * two accesses must both be atomic, so the payload goes in as relaxed 64-bit
 * stores (plain moves on x86 and arm64). The record's span is rounded up to
 * 16 bytes, so the last word may be completed with zeros.
 */
static void copy_in(const struct shmring_msgring *v, unsigned char *dst, const void *src,
		    size_t len)
{
	const unsigned char *s = src;
	_Atomic uint64_t *w = (_Atomic uint64_t *)(void *)dst;

	if (!v->mc) {
		memcpy(dst, src, len);
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

/* Write the records of a claim from t: padding, heads, payloads, commits. */
static void tx_write(struct shmring_msgring *v, uint64_t t, const struct shmring_msgvec *m,
		     unsigned k)
{
	uint64_t p = t;

	for (unsigned i = 0; i < k; i++) {
		uint64_t span = shmring__rec_span(m[i].len);

		if (left_at(v, p) < span) {
			write_pad(v, p);
			p += left_at(v, p);
		}
		write_head(v, p, (uint32_t)m[i].len);
		if (m[i].len)
			copy_in(v, payload_at(v, p), m[i].buf, m[i].len);
		commit_rec(v, p, m[i].type);
		p += span;
	}
}

int shmring__msg_send(struct shmring_msgring *v, const struct shmring_msgvec *m, unsigned n,
		      bool all)
{
	uint64_t t, bytes;
	unsigned k;

	if (n == 0)
		return 0;
	for (unsigned i = 0; i < (all ? n : 1); i++)
		if (m[i].len > v->max_len)
			return -EMSGSIZE;
	k = tx_claim(v, m, n, all, &t, &bytes);
	if (!k)
		return 0;
	tx_write(v, t, m, k);
	if (!v->mp) {
		v->pos = t + bytes;
		/* Relaxed: for observers and a successor; consumers read stamps. */
		shmring__store_relaxed(&v->prod->pos, v->pos);
	}
	return (int)k;
}

void *shmring__msg_reserve(struct shmring_msgring *v, size_t len)
{
	struct shmring_msgvec m = {.buf = NULL, .len = len, .type = 0};
	uint64_t t, bytes, p;

	if (v->held || len > v->max_len || !tx_claim(v, &m, 1, true, &t, &bytes))
		return NULL;
	p = t;
	if (left_at(v, p) < shmring__rec_span(len)) {
		write_pad(v, p);
		p += left_at(v, p);
	}
	write_head(v, p, (uint32_t)len);
	v->held = true;
	v->held_pos = p;
	v->held_end = t + bytes;
	v->held_len = (uint32_t)len;
	return payload_at(v, p);
}

int shmring__msg_commit(struct shmring_msgring *v, uint32_t type)
{
	if (!v->held)
		return -EINVAL;
	commit_rec(v, v->held_pos, type);
	v->held = false;
	if (!v->mp) {
		v->pos = v->held_end;
		/* Relaxed: as in shmring__msg_send(). */
		shmring__store_relaxed(&v->prod->pos, v->pos);
	}
	return 0;
}

/* --- Consumers ----------------------------------------------------------- */

void shmring__msg_attach_consumer(struct shmring_msgring *v)
{
	if (v->mc)
		return; /* the position is shared and claimed with CAS */
	/* Relaxed: our own side's published position, read back by a successor;
	 * the stamps carry the synchronisation with producers. */
	v->pos = shmring__load_relaxed(&v->cons->pos);
}

/* What is at position h, for a consumer. */
static enum look rx_look(struct shmring_msgring *v, uint64_t h, struct rec_meta *m)
{
	struct shmring_rec *r = rec_at(v, h);
	/* A-commit: pairs with R-commit in commit_rec() and write_pad(). */
	uint64_t s = shmring__load_acquire(&r->stamp);
	uint32_t info;

	if (s != (h | SHMRING_REC_COMMITTED)) {
		if (s == (h | SHMRING_REC_READING) || s == (h | SHMRING_REC_RELEASED))
			return LOOK_TAKEN;
		return LOOK_NOT_YET;
	}
	/* Relaxed: published by the stamp just acquired. */
	info = shmring__load_relaxed(&r->info);
	m->type = shmring__load_relaxed(&r->type);
	if (v->mc) {
		/*
		 * Another consumer may have taken the record, released it, and
		 * a producer reused the bytes while we read: check the stamp
		 * again (seqlock-style) before believing info.
		 */
		atomic_thread_fence(memory_order_acquire); /* our reads above before the re-check */
		/* Relaxed: ordered by the fence. */
		if (shmring__load_relaxed(&r->stamp) != s)
			return LOOK_TAKEN;
	}
	if (decode_info(v, h, info, m) < 0)
		return LOOK_CORRUPT;
	return LOOK_READY;
}

/*
 * Consumer (many): store RELEASED for a record or padding we claimed at p.
 * The caller runs F-sweep and the sweep after a batch.
 */
static void rx_mark_released(const struct shmring_msgring *v, uint64_t p)
{
	/* R-rel: pairs with A-rel in shmring__msg_sweep(). */
	shmring__store_release(&rec_at(v, p)->stamp, p | SHMRING_REC_RELEASED);
}

static void rx_mark_reading(const struct shmring_msgring *v, uint64_t p)
{
	/*
	 * RECOVERY HOOK: a consumer that dies between its CAS and RELEASED
	 * leaves READING here and producers stop when they wrap to it; the
	 * claimed range is the consumers' CAS, not recorded per owner: a
	 * recovery would release records stuck in READING past a deadline.
	 */
	/* W-read: release, see msg.h. */
	shmring__store_release(&rec_at(v, p)->stamp, p | SHMRING_REC_READING);
}

/* After releasing with many consumers: F-sweep, then sweep. */
static void rx_done_many(struct shmring_msgring *v)
{
	/* F-sweep: our RELEASED stores before the sweep's loads (see msg.h). */
	shmring__fence_full();
	shmring__msg_sweep(v);
}

void shmring__msg_sweep(struct shmring_msgring *v)
{
	uint64_t d;

	if (!v->mc)
		return;
	/* Acquire: pairs with R-done of the sweeper that stored it. */
	d = shmring__load_acquire(&v->cons->done);
	for (uint64_t guard = 0; guard <= v->capacity / SHMRING_REC_ALIGN; guard++) {
		struct shmring_rec *r = rec_at(v, d);
		struct rec_meta m;
		/* A-rel: pairs with R-rel in rx_mark_released(). */
		uint64_t s = shmring__load_acquire(&r->stamp);

		if (s != (d | SHMRING_REC_RELEASED))
			return;
		/* Relaxed: published by the stamp; the CAS rejects what changed. */
		if (decode_info(v, d, shmring__load_relaxed(&r->info), &m) < 0) {
			/* Acquire: as above. Only a watermark that stood still
			 * while we read makes the record's info suspect. */
			uint64_t d2 = shmring__load_acquire(&v->cons->done);

			if (d2 == d) {
				v->corrupt = true;
				return;
			}
			d = d2;
			continue;
		}
		/* R-done: pairs with A-cons in tx_room(); release, so that
		 * the readers' release reaches the producers through us. */
		if (shmring__cas_weak(&v->cons->done, &d, m.next, memory_order_release))
			d = m.next;
	}
}

/*
 * Walk the records from h: up to n records (padding skipped) that fit their
 * buffers m[i].len (m may be NULL: any size). Returns the count; *end is the
 * position after the last one, *err why the walk stopped early (0, or
 * -EMSGSIZE / -EUCLEAN at the first record not counted), *taken set when h
 * turned out to be old.
 */
static unsigned rx_walk(struct shmring_msgring *v, uint64_t h, const struct shmring_msgvec *m,
			unsigned n, uint64_t *end, int *err, bool *taken)
{
	uint64_t p = h;
	unsigned k = 0;

	*end = h;
	*err = 0;
	*taken = false;
	if (v->mc) {
		/*
		 * A position below the release watermark is old: its bytes may be
		 * someone's payload by now. Checking first keeps the header loads
		 * below to places that were record boundaries a moment ago (see
		 * copy_in() for why it matters).
		 */
		/* Acquire: pairs with R-done in shmring__msg_sweep(). */
		if (shmring__load_acquire(&v->cons->done) > h) {
			*taken = true;
			return 0;
		}
	}
	while (k < n && p - h < v->capacity) {
		struct rec_meta rm;
		enum look l = rx_look(v, p, &rm);

		if (l == LOOK_TAKEN) {
			*taken = true;
			return 0;
		}
		if (l == LOOK_NOT_YET)
			break;
		if (l == LOOK_CORRUPT) {
			*err = -EUCLEAN;
			break;
		}
		if (!rm.pad) {
			if (m && rm.len > m[k].len) {
				*err = -EMSGSIZE;
				break;
			}
			k++;
			*end = rm.next;
		}
		p = rm.next;
	}
	return k;
}

/*
 * Claim the records from the consumer position: up to n (all: n or none).
 * Returns the count and the range [*start, *end); 0 with *err when none.
 */
static unsigned rx_claim(struct shmring_msgring *v, const struct shmring_msgvec *m, unsigned n,
			 bool all, uint64_t *start, uint64_t *end, int *err)
{
	/* Relaxed: a first guess; the CAS checks it. */
	uint64_t h = v->mc ? shmring__load_relaxed(&v->cons->pos) : v->pos;

	for (;;) {
		bool taken;
		unsigned k = rx_walk(v, h, m, n, end, err, &taken);
		uint64_t h2;

		if (!taken && k && (!all || k == n)) {
			/* Relaxed CAS: only ownership; the stamps carry the data. */
			if (!v->mc || shmring__cas_weak(&v->cons->pos, &h, *end, memory_order_relaxed)) {
				*start = h;
				return k;
			}
			continue;
		}
		if (!v->mc) {
			if (taken)
				*err = -EUCLEAN; /* no one else takes our records */
			if (*err == -EUCLEAN)
				v->corrupt = true;
			return 0;
		}
		/*
		 * Empty, too small, corrupt or taken, as seen from h: believe it
		 * only if h is still the consumers' position. What made h look
		 * old was stored after the CAS that moved it (W-read, R-rel,
		 * release; acquired by rx_look()).
		 */
		/* Relaxed: ordered by that acquire. */
		h2 = shmring__load_relaxed(&v->cons->pos);
		if (h2 == h) {
			if (taken)
				*err = -EUCLEAN;
			if (*err == -EUCLEAN)
				v->corrupt = true;
			return 0;
		}
		h = h2;
	}
}

/*
 * Read the claimed records in [h, end) into m[0..k): each header is checked
 * again before its payload is copied (the claim makes the record ours, but
 * shared memory stays untrusted). Returns the count copied; a record found
 * impossible now marks the view corrupt and ends the copy (the rest of the
 * claim is still given back).
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

		if (l != LOOK_READY || (!rm.pad && (i >= k || rm.len > m[i].len)) ||
		    rm.next - h > end - h) {
			bad = true;
			break;
		}
		if (!rm.pad) {
			if (v->mc)
				rx_mark_reading(v, p);
			if (rm.len)
				memcpy(m[i].buf, payload_at(v, p), rm.len);
			m[i].len = rm.len;
			m[i].type = rm.type;
			i++;
		}
		if (v->mc)
			rx_mark_released(v, p);
		p = rm.next;
	}
	if (bad)
		v->corrupt = true; /* the rest of the claim stays held: a corrupt ring stops */
	return i;
}

int shmring__msg_recv(struct shmring_msgring *v, struct shmring_msgvec *m, unsigned n, bool all)
{
	uint64_t h, end;
	int err;
	unsigned k, got;

	if (n == 0 || v->held)
		return 0;
	k = rx_claim(v, m, n, all, &h, &end, &err);
	if (!k)
		return err;
	got = rx_copy(v, h, end, m, k);
	if (v->mc) {
		rx_done_many(v);
	} else {
		v->pos = end;
		/* R-cons: pairs with A-cons in tx_room(). */
		shmring__store_release(&v->cons->pos, end);
	}
	return got ? (int)got : -EUCLEAN;
}

const void *shmring__msg_peek(struct shmring_msgring *v, size_t *len, uint32_t *type)
{
	uint64_t h, end, p;
	int err;

	if (!v->held) {
		if (!rx_claim(v, NULL, 1, true, &h, &end, &err))
			return NULL;
		/* Find the record after any padding; claimed, so stable. */
		for (p = h; p != end;) {
			struct rec_meta rm;

			if (rx_look(v, p, &rm) != LOOK_READY || rm.next - h > end - h) {
				v->corrupt = true;
				return NULL;
			}
			if (!rm.pad) {
				v->held_len = rm.len;
				v->held_type = rm.type;
				break;
			}
			if (v->mc)
				rx_mark_released(v, p);
			p = rm.next;
		}
		if (p == end) {
			v->corrupt = true;
			return NULL;
		}
		if (v->mc)
			rx_mark_reading(v, p);
		v->held = true;
		v->held_pos = p;
		v->held_end = end;
	}
	if (len)
		*len = v->held_len;
	if (type)
		*type = v->held_type;
	return payload_at(v, v->held_pos);
}

int shmring__msg_release(struct shmring_msgring *v)
{
	if (!v->held)
		return -EINVAL;
	v->held = false;
	if (v->mc) {
		rx_mark_released(v, v->held_pos);
		rx_done_many(v);
	} else {
		v->pos = v->held_end;
		/* R-cons: pairs with A-cons in tx_room(). */
		shmring__store_release(&v->cons->pos, v->pos);
	}
	return 0;
}
