/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/mring.c - setting up and taking over the sides of the multi kinds,
 * and the table of their per-kind entry points.
 */
#include "ringbuf/mring.h"
#include "shmring/ring.h"

void shmring__mring_view(struct shmring_mring *v, void *base, const struct shmring_hdr *h,
			 uint32_t owner)
{
	memset(v, 0, sizeof(*v));
	v->slots = (unsigned char *)base + h->slots_off;
	v->prod = shmring__prod_side(base);
	v->cons = shmring__cons_side(base);
	v->capacity = h->capacity;
	v->mask = h->capacity - 1;
	v->stride = h->slot_stride;
	v->size = h->slot_size;
	while ((UINT64_C(1) << v->shift) < h->capacity)
		v->shift++;
	v->owner = owner & SHMRING_SLOT_OWNER_MASK;
}

void shmring__mring_attach_producer(struct shmring_mring *v, bool mp)
{
	uint64_t pos, cons;

	/* Acquire: the consumer's reads below its position are over. */
	cons = shmring__load_acquire(&v->cons->pos);
	v->peer_cache = cons;
	if (mp)
		return; /* many producers share the position and claim with CAS */
	/* Acquire: see the slots a previous producer wrote before it published. */
	pos = shmring__load_acquire(&v->prod->pos);
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
	v->pos = pos;
	/* Relaxed: observers only, as in shmring__mring_publish_tx(). */
	shmring__store_relaxed(&v->prod->pos, pos);
}

void shmring__mring_attach_consumer(struct shmring_mring *v, bool mc)
{
	if (mc)
		return; /* many consumers share the position and claim with CAS */
	/* Relaxed: the consumer's own published position, read back by its
	 * successor; the slot words carry the synchronisation with producers. */
	v->pos = shmring__load_relaxed(&v->cons->pos);
}

bool shmring__mring_ops(uint32_t kind, struct shmring_mring_ops *ops)
{
	switch (kind) {
	case SHMRING_KIND_MPSC:
		*ops = (struct shmring_mring_ops){shmring__mpsc_send,    shmring__mpsc_recv,
						  shmring__mpsc_reserve, shmring__mpsc_commit,
						  shmring__mpsc_peek,    shmring__mpsc_release,
						  true,                  false};
		return true;
	case SHMRING_KIND_SPMC:
		*ops = (struct shmring_mring_ops){shmring__spmc_send,    shmring__spmc_recv,
						  shmring__spmc_reserve, shmring__spmc_commit,
						  shmring__spmc_peek,    shmring__spmc_release,
						  false,                 true};
		return true;
	case SHMRING_KIND_MPMC:
		*ops = (struct shmring_mring_ops){shmring__mpmc_send,    shmring__mpmc_recv,
						  shmring__mpmc_reserve, shmring__mpmc_commit,
						  shmring__mpmc_peek,    shmring__mpmc_release,
						  true,                  true};
		return true;
	default:
		return false;
	}
}
