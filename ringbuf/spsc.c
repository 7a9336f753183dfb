/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/spsc.c - setting up and taking over the sides of an SPSC ring.
 */
#include "ringbuf/spsc.h"

#include <assert.h>

/* What shmring/lane.h compiles into its callers must be this layout. */
static_assert((SHMRING_LANE_ABI >> 8) == SHMRING_LAYOUT_VERSION, "lane.h: another layout");
static_assert(SHMRING_LANE_STAMP_SIZE == SHMRING_STAMP_SIZE, "lane.h: another slot layout");
static_assert(SHMRING_LANE_LINE == SHMRING_CACHELINE, "lane.h: another line size");
static_assert(SHMRING_LANE_GROUP == SHMRING_GROUP_SLOTS_16, "lane.h: another group");
static_assert(SHMRING_LANE_GROUP8 == SHMRING_GROUP_SLOTS_8, "lane.h: another group");
/* shmring__geometry_grouped(): a stamp and seven 8-byte payloads, a line. */
static_assert(SHMRING_LANE_GROUP_8 == SHMRING_STAMP_SIZE + SHMRING_GROUP_SLOTS_8 * 8 &&
		      SHMRING_LANE_GROUP_8 == SHMRING_CACHELINE,
	      "lane.h: another group of 8-byte slots");
static_assert(SHMRING_LANE_LINE_SLOTS == SHMRING_GROUP_SLOTS_8, "lane.h: another line");

void shmring__spsc_view(struct shmring_lane *v, void *base, const struct shmring_hdr *h)
{
	memset(v, 0, sizeof(*v));
	v->slots = (unsigned char *)base + h->slots_off;
	v->prod = shmring__prod_side(base);
	v->cons = shmring__cons_side(base);
	v->capacity = h->capacity;
	v->mask = h->capacity - 1;
	v->stride = h->slot_stride;
	v->size = h->slot_size;
	v->group = 1;
	v->pitch = h->slot_stride;
	if (h->features & SHMRING_FEAT_GROUPED_SLOTS) {
		v->group = shmring__group_slots(h->slot_size);
		v->mask = shmring__groups(h->capacity, v->group) - 1;
		v->pitch = h->slot_size <= 8 ? 8 : 16;
	}
	v->dense = (h->features & SHMRING_FEAT_DENSE_SLOTS) != 0;
}

/* Dense: the producer's position is exact; resume from it when it is within
 * a capacity of the consumer's, else from the consumer's (nothing past it
 * can be believed). */
static void dense_attach_producer(struct shmring_lane *v)
{
	/* Acquire: see the payloads a previous producer wrote before it published. */
	uint64_t pos = shmring__load_acquire(&v->prod->pos);
	/* Acquire: the consumer's reads below its position are over. */
	uint64_t cons = shmring__load_acquire(&v->cons->pos);

	if (pos - cons > v->capacity)
		pos = cons;
	shmring__lane_seen(v, cons);
	v->published = &v->prod->pos;
	shmring__dense_publish(v, pos);
}

void shmring__spsc_attach_producer(struct shmring_lane *v)
{
	if (v->dense) {
		dense_attach_producer(v);
		return;
	}
	/* Acquire: see the slots a previous producer wrote before it published. */
	uint64_t pos = shmring__load_acquire(&v->prod->pos);
	/* Acquire: the consumer's reads below its position are over. */
	uint64_t cons = shmring__load_acquire(&v->cons->pos);

	/* Behind the consumer: the old producer died after stamping past its
	 * published position. More than a ring ahead of it: a lie. Either way
	 * the stamps from the consumer's position on say the rest. */
	if (pos - cons > v->capacity)
		pos = cons;
	/* Past the consumer, a published position follows a stamped slot (a
	 * producer publishes only what it stamped); one that does not is a
	 * lie, and resuming there would leave a gap: a consumer waiting at it
	 * for ever or, grouped, the group's older payloads before it published
	 * by our first stamp. The consumer's position and the stamps say the
	 * rest. Acquire: as below. */
	if (pos != cons && !shmring__spsc_stamped(v, pos - 1, true))
		pos = cons;
	/* Skip what a producer that died mid-send stamped but never published;
	 * those messages are complete (stamped after their payload). */
	/* Acquire: the payloads of what we skip are visible, as a consumer's
	 * would be (A-stamp). */
	while (pos - cons < v->capacity && shmring__spsc_stamped(v, pos, true))
		pos++;
	v->pos = pos;
	shmring__lane_seen(v, cons);
	v->published = &v->prod->pos;
	/* R-pub, as in shmring__spsc_publish(): the stamps below pos, which
	 * we read with acquire, are there for whoever reads it. */
	shmring__store_release(&v->prod->pos, pos);
}

void shmring__spsc_attach_consumer(struct shmring_lane *v)
{
	/* Relaxed: the consumer's own published position, read back by the new
	 * consumer; the stamps carry the synchronisation with the producer. */
	v->pos = shmring__load_relaxed(&v->cons->pos);
	v->peer_cache = v->pos; /* dense: nothing known published yet */
	v->published = &v->cons->pos;
}
