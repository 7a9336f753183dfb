/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/header.c - geometry, initialisation and validation of the segment
 * header. Pure: no system calls, no allocation, no globals.
 */
#include "ringbuf/layout.h"
#include "ringbuf/atomics.h"
#include "shmring/ring.h"

#include <errno.h>
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
	h->check = shmring__hdr_checksum(h);
}

static int kind_known(uint32_t kind)
{
	return kind == SHMRING_KIND_SPSC;
}

int shmring__hdr_validate(const struct shmring_hdr *h, uint64_t seg_size)
{
	struct shmring_geometry g;

	if (seg_size < sizeof(*h))
		return -SHMRING_ETRUNCATED;
	if (h->magic != SHMRING_MAGIC)
		return -SHMRING_EBADMAGIC;
	if (h->version != SHMRING_LAYOUT_VERSION)
		return -SHMRING_EVERSION;
	if (h->check != shmring__hdr_checksum(h))
		return -SHMRING_ECHECK;
	/* A valid checksum over fields we do not understand: a newer writer. */
	if ((h->features & ~SHMRING_FEATURES_KNOWN) || !kind_known(h->kind))
		return -SHMRING_EVERSION;
	if (h->hdr_size != sizeof(*h) || h->cacheline != SHMRING_SPACING)
		return -SHMRING_EGEOMETRY;
	if (shmring__geometry(h->capacity, h->slot_size, h->max_participants, &g) < 0)
		return -SHMRING_EGEOMETRY;
	if (h->slot_stride != g.slot_stride || h->slots_off != g.slots_off ||
	    h->total_size != g.total_size || h->prod_off != SHMRING_PROD_OFF ||
	    h->cons_off != SHMRING_CONS_OFF || h->wait_off != SHMRING_WAIT_OFF ||
	    h->part_off != SHMRING_PART_OFF)
		return -SHMRING_EGEOMETRY;
	for (size_t i = 0; i < sizeof(h->reserved) / sizeof(h->reserved[0]); i++)
		if (h->reserved[i])
			return -SHMRING_EGEOMETRY;
	if (seg_size < h->total_size)
		return -SHMRING_ETRUNCATED;
	return 0;
}

int shmring__indices_validate(void *base, const struct shmring_hdr *h)
{
	/* Relaxed: a snapshot for a sanity check; nothing is published by it. */
	uint64_t prod = shmring__load_relaxed(&shmring__prod_side(base)->pos);
	uint64_t cons = shmring__load_relaxed(&shmring__cons_side(base)->pos);

	if (cons > prod) {
		/*
		 * A producer that died inside a send leaves its published
		 * position behind the stamps it wrote, and the consumer may
		 * have read past it. That is legal exactly when the slot
		 * before the consumer carries the stamp of position cons - 1.
		 */
		const unsigned char *slot = (const unsigned char *)base + h->slots_off +
					    ((cons - 1) & (h->capacity - 1)) * h->slot_stride;
		/* Relaxed: compared, not used to read a payload. */
		uint64_t stamp = shmring__load_relaxed((_Atomic uint64_t *)(void *)slot);

		if (stamp != cons)
			return -SHMRING_ECORRUPT;
		return 0;
	}
	if (prod - cons > h->capacity)
		return -SHMRING_ECORRUPT;
	return 0;
}
