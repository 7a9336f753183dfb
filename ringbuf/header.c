/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/header.c - geometry, initialisation and validation of the segment
 * header. Pure: no system calls, no allocation, no globals.
 */
#include "ringbuf/layout.h"
#include "ringbuf/atomics.h"
#include "shmring/ring.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define PAGE 4096u

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/*
 * Slot stride: the stamp and payload, so that a slot of up to 64 bytes never
 * straddles two cache lines (a power of two), and larger slots start on a line.
 */
static uint32_t slot_stride(uint32_t slot_size)
{
	uint32_t s = SHMRING_STAMP_SIZE + slot_size;
	uint32_t p = 16;

	if (s > SHMRING_CACHELINE)
		return (uint32_t)round_up(s, SHMRING_CACHELINE);
	while (p < s)
		p <<= 1;
	return p;
}

static_assert(SHMRING_HDR_MULTI_PRODUCER == SHMRING_CREATE_MULTI_PRODUCER, "flags agree");
static_assert(SHMRING_HDR_MULTI_CONSUMER == SHMRING_CREATE_MULTI_CONSUMER, "flags agree");
static_assert(SHMRING_REC_MIN_AREA == SHMRING_MSG_MIN_CAPACITY, "limits agree");

int shmring__geometry(uint64_t capacity, uint32_t slot_size, uint32_t max_participants,
		      struct shmring_geometry *g)
{
	if (!is_pow2(capacity) || capacity < 2 || capacity > SHMRING_MAX_CAPACITY)
		return -EINVAL;
	if (slot_size < 1 || slot_size > SHMRING_MAX_SLOT_SIZE)
		return -EINVAL;
	if (max_participants == 0)
		max_participants = SHMRING_DEFAULT_PARTICIPANTS;
	if (max_participants < 2 || max_participants > SHMRING_MAX_PARTICIPANTS)
		return -EINVAL;

	g->capacity = capacity;
	g->slot_size = slot_size;
	g->slot_stride = slot_stride(slot_size);
	g->max_participants = max_participants;
	g->slots_off = round_up(SHMRING_PART_OFF + (uint64_t)max_participants *
				sizeof(struct shmring_part), SHMRING_SPACING);
	/* Bounded above: 2^30 slots of at most 65600 bytes fit easily in 64 bits. */
	g->total_size = round_up(g->slots_off + capacity * g->slot_stride, PAGE);
	return 0;
}

int shmring__geometry_kind(uint32_t kind, uint64_t capacity, uint32_t slot_size,
			   uint32_t max_participants, struct shmring_geometry *g)
{
	if (kind != SHMRING_KIND_MSG)
		return shmring__geometry(capacity, slot_size, max_participants, g);
	if (!is_pow2(capacity) || capacity < SHMRING_REC_MIN_AREA ||
	    capacity > SHMRING_MAX_CAPACITY)
		return -EINVAL;
	if (slot_size < 1 || slot_size > SHMRING_MAX_SLOT_SIZE ||
	    2 * shmring__rec_span(slot_size) > capacity)
		return -EINVAL;
	if (max_participants == 0)
		max_participants = SHMRING_DEFAULT_PARTICIPANTS;
	if (max_participants < 2 || max_participants > SHMRING_MAX_PARTICIPANTS)
		return -EINVAL;
	g->capacity = capacity;
	g->slot_size = slot_size;
	g->slot_stride = SHMRING_REC_ALIGN;
	g->max_participants = max_participants;
	g->slots_off = round_up(SHMRING_PART_OFF + (uint64_t)max_participants *
				sizeof(struct shmring_part), SHMRING_SPACING);
	g->total_size = round_up(g->slots_off + capacity, PAGE);
	return 0;
}

void shmring__geometry_dense(struct shmring_geometry *g)
{
	g->slot_stride = (uint32_t)round_up(g->slot_size, 8);
	g->total_size = round_up(g->slots_off + g->capacity * g->slot_stride, PAGE);
}

uint64_t shmring__groups(uint64_t capacity, uint32_t per)
{
	uint64_t need = (capacity + per - 2) / per + 1, n = 1;

	while (n < need)
		n <<= 1;
	return n;
}

void shmring__geometry_grouped(struct shmring_geometry *g)
{
	uint32_t per = shmring__group_slots(g->slot_size);

	g->slot_stride = SHMRING_CACHELINE; /* a group a line, for either pitch */
	/* Bounded: at most 2^30 slots, so at most 2^29 groups of 64 bytes. */
	g->total_size =
		round_up(g->slots_off + shmring__groups(g->capacity, per) * g->slot_stride, PAGE);
}

void shmring__geometry_duplex(struct shmring_geometry *g, uint32_t direction, uint64_t *block)
{
	uint64_t c = g->slots_off, stride = g->slot_stride;
	/* Both directions' slots, after both headers and tables. */
	uint64_t total = round_up(2 * c + g->capacity * 2 * stride, PAGE);

	*block = c;
	g->slot_stride = (uint32_t)(2 * stride);
	g->slots_off = direction == 0 ? 2 * c : c + stride;
	g->total_size = direction == 0 ? total : total - c;
}

uint32_t shmring__hdr_multi(const struct shmring_hdr *h)
{
	switch (h->kind) {
	case SHMRING_KIND_MPSC:
		return SHMRING_HDR_MULTI_PRODUCER;
	case SHMRING_KIND_SPMC:
		return SHMRING_HDR_MULTI_CONSUMER;
	case SHMRING_KIND_MPMC:
		return SHMRING_HDR_MULTI_PRODUCER | SHMRING_HDR_MULTI_CONSUMER;
	case SHMRING_KIND_MSG:
		return h->flags & (SHMRING_HDR_MULTI_PRODUCER | SHMRING_HDR_MULTI_CONSUMER);
	default:
		return 0;
	}
}

uint64_t shmring__hdr_checksum(const struct shmring_hdr *h)
{
	const unsigned char *p = (const unsigned char *)h;
	uint64_t x = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < SHMRING_HDR_CHECKED_BYTES; i++) {
		x ^= p[i];
		x *= UINT64_C(0x100000001b3);
	}
	return x;
}

void shmring__hdr_init(struct shmring_hdr *h, uint32_t kind, uint32_t flags,
		       const struct shmring_geometry *g, uint32_t uid, uint32_t pid,
		       uint64_t ctime_ns)
{
	memset(h, 0, sizeof(*h));
	h->magic = SHMRING_MAGIC;
	h->version = SHMRING_LAYOUT_VERSION;
	h->hdr_size = sizeof(*h);
	h->features = SHMRING_FEAT_STAMPED_SLOTS;
	/* The caller gives such a ring the grouped geometry, and takes the bit
	 * off with the stamps of a dense ring or for a duplex. */
	if (kind == SHMRING_KIND_SPSC && g->slot_size <= SHMRING_GROUP_MAX_SLOT)
		h->features |= SHMRING_FEAT_GROUPED_SLOTS;
	h->kind = kind;
	h->flags = flags;
	h->capacity = g->capacity;
	h->slot_size = g->slot_size;
	h->slot_stride = g->slot_stride;
	h->cacheline = SHMRING_SPACING;
	h->max_participants = g->max_participants;
	h->creator_uid = uid;
	h->creator_pid = pid;
	h->ctime_ns = ctime_ns;
	h->total_size = g->total_size;
	h->prod_off = SHMRING_PROD_OFF;
	h->cons_off = SHMRING_CONS_OFF;
	h->wait_off = SHMRING_WAIT_OFF;
	h->part_off = SHMRING_PART_OFF;
	h->slots_off = g->slots_off;
	h->recovery_ns = SHMRING_DEFAULT_RECOVERY_NS;
	h->check = shmring__hdr_checksum(h);
}

static int kind_known(uint32_t kind)
{
	return kind >= SHMRING_KIND_SPSC && kind <= SHMRING_KIND_MSG;
}

int shmring__hdr_validate(const struct shmring_hdr *h, uint64_t seg_size)
{
	struct shmring_geometry g;

	if (seg_size < sizeof(*h))
		return -SHMRING_ETRUNCATED;
	if (h->magic == SHMRING_SYNC_MAGIC)
		return -SHMRING_EKIND; /* a synchronization object, not a ring */
	if (h->magic != SHMRING_MAGIC)
		return -SHMRING_EBADMAGIC;
	if (h->version != SHMRING_LAYOUT_VERSION)
		return -SHMRING_EVERSION;
	if (h->check != shmring__hdr_checksum(h))
		return -SHMRING_ECHECK;
	/* A valid checksum over fields we do not understand: a newer writer. */
	if ((h->features & ~SHMRING_FEATURES_KNOWN) || !kind_known(h->kind))
		return -SHMRING_EVERSION;
	/* 0 means "the default" to the geometry function, at creation only. */
	if (h->hdr_size != sizeof(*h) || h->cacheline != SHMRING_SPACING ||
	    h->max_participants == 0)
		return -SHMRING_EGEOMETRY;
	/* Slots are stamped or dense, one of the two; dense only in SPSC. */
	if (!(h->features & SHMRING_FEAT_STAMPED_SLOTS) == !(h->features & SHMRING_FEAT_DENSE_SLOTS) ||
	    ((h->features & SHMRING_FEAT_DENSE_SLOTS) && h->kind != SHMRING_KIND_SPSC))
		return -SHMRING_EGEOMETRY;
	if (shmring__geometry_kind(h->kind, h->capacity, h->slot_size, h->max_participants, &g) < 0)
		return -SHMRING_EGEOMETRY;
	if (h->features & SHMRING_FEAT_DENSE_SLOTS)
		shmring__geometry_dense(&g);
	/* Grouped: exactly the plain stamped SPSC rings of small slots. */
	if (!(h->features & SHMRING_FEAT_GROUPED_SLOTS) !=
	    !(h->kind == SHMRING_KIND_SPSC &&
	      !(h->features & (SHMRING_FEAT_DENSE_SLOTS | SHMRING_FEAT_DUPLEX)) &&
	      h->slot_size <= SHMRING_GROUP_MAX_SLOT))
		return -SHMRING_EGEOMETRY;
	if (h->features & SHMRING_FEAT_GROUPED_SLOTS)
		shmring__geometry_grouped(&g);
	/* A duplex is two stamped SPSC rings; direction says which this is. */
	if ((h->features & SHMRING_FEAT_DUPLEX)
		    ? h->kind != SHMRING_KIND_SPSC || (h->features & SHMRING_FEAT_DENSE_SLOTS) ||
			      h->direction > 1 || h->notifier == SHMRING_HDR_NOTIFY_SYSVSEM
		    : h->direction != 0)
		return -SHMRING_EGEOMETRY;
	if (h->features & SHMRING_FEAT_DUPLEX) {
		uint64_t block;

		shmring__geometry_duplex(&g, h->direction, &block);
	}
	if (h->reserved0)
		return -SHMRING_EGEOMETRY;
	if (h->slot_stride != g.slot_stride || h->slots_off != g.slots_off ||
	    h->total_size != g.total_size || h->prod_off != SHMRING_PROD_OFF ||
	    h->cons_off != SHMRING_CONS_OFF || h->wait_off != SHMRING_WAIT_OFF ||
	    h->part_off != SHMRING_PART_OFF)
		return -SHMRING_EGEOMETRY;
	if (h->recovery_ns < SHMRING_MIN_RECOVERY_NS || h->recovery_ns > SHMRING_MAX_RECOVERY_NS)
		return -SHMRING_EGEOMETRY;
	if (h->notifier > SHMRING_HDR_NOTIFY_SYSVSEM ||
	    (h->notifier == SHMRING_HDR_NOTIFY_SYSVSEM ? h->semid < 0 : h->semid != 0))
		return -SHMRING_EGEOMETRY;
	for (size_t i = 0; i < sizeof(h->reserved) / sizeof(h->reserved[0]); i++)
		if (h->reserved[i])
			return -SHMRING_EGEOMETRY;
	if (seg_size < h->total_size)
		return -SHMRING_ETRUNCATED;
	return 0;
}

/*
 * SPMC: the consumer position may be ahead of the producer's published
 * position (a single producer stores it after its slots, and one that died
 * in a send never stored it), but only over slots that were published: the
 * slot before the consumer position then carries a state of position
 * cons - 1 at or after FULL (FULL, SKIPPED, READING) or FREE for the next
 * lap (released), never anything else. Mirrors the SPSC check below.
 */
static int spmc_ahead_ok(void *base, const struct shmring_hdr *h, uint64_t cons, uint64_t prod)
{
	const unsigned char *slot;
	uint64_t w, lap, at, x;
	unsigned shift = 0;

	if (cons - prod > h->capacity)
		return -SHMRING_ECORRUPT;
	while ((UINT64_C(1) << shift) < h->capacity)
		shift++;
	slot = (const unsigned char *)base + h->slots_off +
	       ((cons - 1) & (h->capacity - 1)) * h->slot_stride;
	/* Acquire: compared only, never used to read a payload; keeps the
	 * caller's re-read of the positions after it. */
	w = shmring__load_acquire((_Atomic uint64_t *)(void *)slot);
	lap = (cons - 1) >> shift;
	at = (lap << 4) | SHMRING_SLOT_FULL;
	/* lap << 4 | phase of the word, relative to FULL(lap), modulo 2^36 as
	 * the ring compares them (ringbuf/mring.h, shmring__mring_cmp). */
	x = ((w >> SHMRING_SLOT_PHASE_SHIFT) - at) & ((UINT64_C(1) << 36) - 1);
	if (x == 0 || x == SHMRING_SLOT_SKIPPED - SHMRING_SLOT_FULL ||
	    x == SHMRING_SLOT_READING - SHMRING_SLOT_FULL ||
	    x == (UINT64_C(1) << 4) + SHMRING_SLOT_FREE - SHMRING_SLOT_FULL)
		return 0;
	return -SHMRING_ECORRUPT;
}

/*
 * The other kinds: the consumer position never trails the producer's by
 * more than a capacity. It never passes it with many producers (consumers
 * take only claimed positions); with a single producer (SPMC) it may, over
 * published slots only (spmc_ahead_ok()); a message ring with one producer
 * keeps the old bound of a capacity. While others use the ring the two
 * positions move; a pair is judged only when the consumer position did not
 * change around the read of the producer's. Any position from
 * SHMRING_POS_MAX on was forged, moving or not: from there the ring would
 * cross 2^64, where a message ring's scrub() missed a payload word naming
 * the next lap (a record nobody sent was received) and positions compared
 * with < and > read as impossible.
 */
static int indices_validate_multi(void *base, const struct shmring_hdr *h)
{
	struct shmring_side *ps = shmring__prod_side(base), *cs = shmring__cons_side(base);
	bool mp = shmring__hdr_multi(h) & SHMRING_HDR_MULTI_PRODUCER;
	bool msg_mc = h->kind == SHMRING_KIND_MSG &&
		      (shmring__hdr_multi(h) & SHMRING_HDR_MULTI_CONSUMER);

	for (int tries = 0; tries < 16; tries++) {
		/* Acquire, all: keeps the loads in this order, so that an
		 * unchanged consumer position brackets the producer's, and the
		 * release watermark (never past the claim position) comes first. */
		uint64_t done = msg_mc ? shmring__load_acquire(&cs->done) : 0;
		uint64_t c1 = shmring__load_acquire(&cs->pos);
		uint64_t p = shmring__load_acquire(&ps->pos);
		uint64_t c2 = shmring__load_acquire(&cs->pos);

		/* Never reached by sending (layout.h): forged. */
		if ((done | c1 | p | c2) >= SHMRING_POS_MAX)
			return -SHMRING_ECORRUPT;
		if (c1 != c2)
			continue;
		if (msg_mc && done > c1)
			return -SHMRING_ECORRUPT;
		if (c1 > p) {
			if (mp)
				return -SHMRING_ECORRUPT;
			if (h->kind == SHMRING_KIND_SPMC) {
				int rc = spmc_ahead_ok(base, h, c1, p);

				/* Acquire, both: after the slot was read. A slot
				 * judged while either position moved proves nothing. */
				if (rc && (shmring__load_acquire(&cs->pos) != c1 ||
					   shmring__load_acquire(&ps->pos) != p))
					continue;
				return rc;
			}
			return c1 - p > h->capacity ? -SHMRING_ECORRUPT : 0;
		}
		return p - c1 > h->capacity ? -SHMRING_ECORRUPT : 0;
	}
	return 0; /* too busy to judge: the ring is alive */
}

/*
 * The message ring: its positions are byte offsets of records, multiples of
 * the record alignment (a misaligned one would make a record header straddle
 * the end of the area). Their relations are judged with the other kinds'.
 */
static int indices_validate_msg(void *base, const struct shmring_hdr *h)
{
	bool mc = shmring__hdr_multi(h) & SHMRING_HDR_MULTI_CONSUMER;
	/* Relaxed, all: compared only; a position is a multiple of 16 whenever
	 * it is read, so no order is needed between the loads. */
	uint64_t p = shmring__load_relaxed(&shmring__prod_side(base)->pos);
	uint64_t c = shmring__load_relaxed(&shmring__cons_side(base)->pos);
	uint64_t d = mc ? shmring__load_relaxed(&shmring__cons_side(base)->done) : 0;

	return (p | c | d) & (SHMRING_REC_ALIGN - 1) ? -SHMRING_ECORRUPT : 0;
}

/*
 * The dense SPSC layout: the producer's position is exact (published with
 * every send), so the consumer's is never past it nor a capacity behind.
 * Judged, as above, only when the consumer's did not move around the read
 * of the producer's.
 */
static int indices_validate_dense(void *base, const struct shmring_hdr *h)
{
	struct shmring_side *ps = shmring__prod_side(base), *cs = shmring__cons_side(base);

	for (int tries = 0; tries < 16; tries++) {
		/* Acquire, all: keeps the loads in this order, so that an
		 * unchanged consumer position brackets the producer's. */
		uint64_t c1 = shmring__load_acquire(&cs->pos);
		uint64_t p = shmring__load_acquire(&ps->pos);
		uint64_t c2 = shmring__load_acquire(&cs->pos);

		if (c1 != c2)
			continue;
		return p - c1 > h->capacity ? -SHMRING_ECORRUPT : 0;
	}
	return 0; /* too busy to judge: the ring is alive */
}

/*
 * The stamped SPSC layout, the consumer past the producer's published
 * position (cons > prod): a producer that died inside a send leaves its
 * published position behind the stamps it wrote, a live one publishes only
 * every SHMRING_LANE_PUBLISH_EVERY messages, and the consumer may have read
 * past it. That is legal exactly when the group (slot) of cons - 1 shows
 * cons - 1 published: its stamp from cons to the group's end in this lap,
 * or the stamp of a position of the next lap, which a producer writes only
 * after cons - 1. The producer writes less than a capacity past the
 * consumer, and that reaches the group of cons - 1 again where a lap is
 * barely a capacity long: any stamped ring of fewer slots than
 * SHMRING_LANE_PUBLISH_EVERY, a grouped one of 8-byte slots and a capacity
 * of 8 (14 positions a lap of groups), of 16-byte slots and 4 (6). So the
 * next lap's stamp lies from the group's first position a lap on, plus
 * one, to the lesser of its end a lap on and cons + capacity.
 */
static bool spsc_ahead_ok(const unsigned char *slots, const struct shmring_hdr *h, uint64_t cons)
{
	bool grouped = h->features & SHMRING_FEAT_GROUPED_SLOTS;
	uint64_t per = grouped ? shmring__group_slots(h->slot_size) : 1;
	uint64_t at = (cons - 1) / per, end = (at + 1) * per;
	uint64_t groups = grouped ? shmring__groups(h->capacity, (uint32_t)per) : h->capacity;
	/* Counted from cons, so that no bound wraps: the next lap's stamps,
	 * from lo to hi past cons. */
	uint64_t lap = groups * per, lo = lap + 1 - (cons - (end - per));
	uint64_t hi = end - cons + lap < h->capacity ? end - cons + lap : h->capacity;
	/* Acquire: compared, not used to read a payload; keeps the caller's
	 * re-read of the consumer's position after it. */
	uint64_t d = shmring__load_acquire((_Atomic uint64_t *)(void *)(slots + (at & (groups - 1)) *
									      h->slot_stride)) -
		     cons;

	/* Published in this lap: cons up to the end of its group (one slot:
	 * cons). */
	if (d <= end - cons)
		return true;
	return hi >= lo && d - lo <= hi - lo;
}

/*
 * Stamped SPSC: the consumer never trails the producer's published position
 * by more than a capacity, and passes it only over published slots
 * (spsc_ahead_ok()). While the two sides run, the consumer's position moves
 * and the producer writes up to a capacity past it, so a pair is judged
 * only when the consumer's position did not change around the reads of the
 * producer's and the stamp: the producer cannot have written past the
 * consumer position then read plus a capacity.
 */
static int indices_validate_spsc(void *base, const struct shmring_hdr *h)
{
	struct shmring_side *ps = shmring__prod_side(base), *cs = shmring__cons_side(base);
	const unsigned char *slots = (const unsigned char *)base + h->slots_off;

	for (int tries = 0; tries < 16; tries++) {
		/* Acquire, all: keeps the loads in this order, so that an
		 * unchanged consumer position brackets the producer's and the
		 * stamp (a stamp written after the producer read a later
		 * consumer position makes the re-read see that position). */
		uint64_t c1 = shmring__load_acquire(&cs->pos);
		uint64_t p = shmring__load_acquire(&ps->pos);
		bool ok = c1 > p ? spsc_ahead_ok(slots, h, c1) : p - c1 <= h->capacity;
		uint64_t c2 = shmring__load_acquire(&cs->pos);

		if (c1 != c2)
			continue;
		return ok ? 0 : -SHMRING_ECORRUPT;
	}
	return 0; /* too busy to judge: the ring is alive */
}

int shmring__indices_validate(void *base, const struct shmring_hdr *h)
{
	if (h->kind == SHMRING_KIND_MSG && indices_validate_msg(base, h) < 0)
		return -SHMRING_ECORRUPT;
	if (h->kind != SHMRING_KIND_SPSC)
		return indices_validate_multi(base, h);
	if (h->features & SHMRING_FEAT_DENSE_SLOTS)
		return indices_validate_dense(base, h);
	return indices_validate_spsc(base, h);
}
