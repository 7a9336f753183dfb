/* SPDX-License-Identifier: MIT */
/*
 * src/cli/stress_verify.c - the verifier of `shmring stress`.
 *
 * Each consumer keeps, for each producer, a bitmap of the sequence numbers it
 * received and the highest one so far. A sequence number arriving twice at one
 * consumer is a duplicate; one arriving below the highest so far (and not a
 * duplicate) is out of order: per producer, per consumer, a ring must deliver
 * in sending order. When every process has exited, the parent ORs the
 * consumers' bitmaps per producer: a bit set in two consumers is a duplicate
 * across consumers, a bit below the producer's final count set nowhere is a
 * lost message, a bit at or above it names a message never sent (invalid).
 *
 * Bitmaps cost a bit per message per consumer, so they cover the first
 * bitmap_bits sequence numbers of each producer (all of them with --count,
 * unless the budget below says otherwise). Past that, a consumer counts each
 * message and adds shmring_stress_mix(seq) to a sum; the parent compares count
 * and sum with those of the sequence numbers the producer sent. A loss and a
 * duplicate that cancel in the count still change the sum, except with
 * probability about 2^-64.
 */
#include "cli/stress.h"

#include <assert.h>
#include <string.h>
#include <sys/mman.h>

static_assert(sizeof(struct shmring_stress_prod) == 128, "one 128-byte line per producer");
static_assert(sizeof(struct shmring_stress_cons) == 128, "one 128-byte line per consumer");
static_assert(sizeof(struct shmring_stress_ctl) == 128, "control block on its own line");
static_assert(sizeof(struct shmring_stress_rec) == 64, "records on whole lines");

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

uint64_t shmring_stress_bitmap_bits(const struct shmring_stress_cfg *cfg)
{
	uint64_t limit = round_up(cfg->bitmap_limit ? cfg->bitmap_limit : 64, 64);
	uint64_t want = cfg->count ? round_up(cfg->count, 64) : limit;
	uint64_t pairs = (uint64_t)cfg->producers * cfg->consumers;
	uint64_t budget = SHMRING_STRESS_BITMAP_BUDGET * 8 / pairs / 64 * 64;

	if (want > limit)
		want = limit;
	if (want > budget)
		want = budget;
	return want < 64 ? 64 : want;
}

int shmring_stress_area_map(struct shmring_stress_area *a, unsigned producers, unsigned consumers,
			    uint64_t bitmap_bits, uint64_t seed)
{
	size_t off_prod = sizeof(struct shmring_stress_ctl);
	size_t off_cons = off_prod + producers * sizeof(struct shmring_stress_prod);
	size_t off_rec = off_cons + consumers * sizeof(struct shmring_stress_cons);
	size_t off_bits = round_up(off_rec + (size_t)consumers * producers *
					       sizeof(struct shmring_stress_rec), 4096);
	uint64_t words = bitmap_bits / 64;
	size_t size = off_bits + (size_t)(words * consumers * producers * 8);
	uint8_t *base;

	memset(a, 0, sizeof(*a));
	/* Shared so the parent sees what children write; NORESERVE because a
	 * --duration run sizes bitmaps for the worst case and touches only the
	 * pages it uses. */
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (base == MAP_FAILED)
		return -ENOMEM;
	a->base = base;
	a->size = size;
	a->ctl = (struct shmring_stress_ctl *)(void *)base;
	a->prod = (struct shmring_stress_prod *)(void *)(base + off_prod);
	a->cons = (struct shmring_stress_cons *)(void *)(base + off_cons);
	a->rec = (struct shmring_stress_rec *)(void *)(base + off_rec);
	a->bitmap = (uint64_t *)(void *)(base + off_bits);
	a->words = words;
	a->producers = producers;
	a->consumers = consumers;
	a->seed = seed;
	return 0;
}

void shmring_stress_area_unmap(struct shmring_stress_area *a)
{
	if (a->base)
		munmap(a->base, a->size);
	memset(a, 0, sizeof(*a));
}

void shmring_stress_record(struct shmring_stress_area *a, unsigned c, const void *buf, size_t n,
			   size_t room, bool records, uint32_t type)
{
	struct shmring_stress_cons *cs = &a->cons[c];
	struct shmring_stress_hdr h;
	struct shmring_stress_rec *rec;
	uint64_t *word, bit;
	bool bad;

	bad = shmring_stress_check(buf, n, room, records, &h) < 0;
	if (!bad && records && type != shmring_stress_type(h.producer, h.seq))
		bad = true;
	cs->recorded++;
	if (bad)
		cs->torn++;
	if (h.producer >= a->producers) {
		/* A torn message's header may be anything: counted as torn only. */
		if (!bad)
			cs->invalid++;
		return;
	}
	/* A torn message whose header still names a producer is entered under
	 * that sequence number too, so that a tear is reported as torn rather
	 * than as torn and lost. */
	rec = &a->rec[(size_t)c * a->producers + h.producer];
	rec->count++;
	if (h.seq < a->words * 64) {
		word = &a->bitmap[((size_t)c * a->producers + h.producer) * a->words + h.seq / 64];
		bit = UINT64_C(1) << (h.seq % 64);
		if (*word & bit) {
			rec->dup++;
		} else {
			*word |= bit;
			if (h.seq < rec->next)
				rec->ooo++;
		}
	} else {
		/* Past the bitmap a repeat cannot be told from a reorder here; the
		 * parent's count and sum catch the repeat. */
		if (h.seq < rec->next)
			rec->ooo++;
		rec->beyond++;
		rec->beyond_hash += shmring_stress_mix(a->seed, h.producer, h.seq);
	}
	if (h.seq >= rec->next)
		rec->next = h.seq + 1;
}

static void verify_producer(const struct shmring_stress_area *a, unsigned p,
			    struct shmring_stress_result *res)
{
	uint64_t sent = atomic_load_explicit(&a->prod[p].sent, memory_order_acquire);
	uint64_t bits = a->words * 64, exact = sent < bits ? sent : bits, top = exact;
	uint64_t want_n, want_sum = 0, got_n = 0, got_sum = 0;

	/* Scan only as far as some consumer got: the pages above were never
	 * touched, and reading them would make the kernel allocate them. */
	for (unsigned c = 0; c < a->consumers; c++) {
		const struct shmring_stress_rec *rec = &a->rec[(size_t)c * a->producers + p];

		if (rec->next > top)
			top = rec->next < bits ? rec->next : bits;
		res->duplicated += rec->dup;
		res->out_of_order += rec->ooo;
		got_n += rec->beyond;
		got_sum += rec->beyond_hash;
	}
	for (uint64_t w = 0; w < (top + 63) / 64; w++) {
		uint64_t any = 0, expect;
		unsigned ones = 0;

		if ((w + 1) * 64 <= exact)
			expect = UINT64_MAX;
		else if (w * 64 >= exact)
			expect = 0;
		else
			expect = (UINT64_C(1) << (exact - w * 64)) - 1;
		for (unsigned c = 0; c < a->consumers; c++) {
			uint64_t x = a->bitmap[((size_t)c * a->producers + p) * a->words + w];

			any |= x;
			ones += (unsigned)__builtin_popcountll(x);
		}
		res->duplicated += ones - (unsigned)__builtin_popcountll(any);
		res->lost += (unsigned)__builtin_popcountll(expect & ~any);
		res->invalid += (unsigned)__builtin_popcountll(any & ~expect);
	}
	want_n = sent > bits ? sent - bits : 0;
	for (uint64_t s = bits; s < sent; s++)
		want_sum += shmring_stress_mix(a->seed, p, s);
	if (want_n || got_n)
		res->hashed = true;
	if (got_n < want_n) {
		res->lost += want_n - got_n;
	} else if (got_n > want_n) {
		res->duplicated += got_n - want_n;
	} else if (got_sum != want_sum) {
		/* Same count, other members: at least one lost and one extra. */
		res->lost++;
		res->duplicated++;
	}
}

void shmring_stress_verify(const struct shmring_stress_area *a, struct shmring_stress_result *res)
{
	for (unsigned p = 0; p < a->producers; p++)
		verify_producer(a, p, res);
	for (unsigned c = 0; c < a->consumers; c++) {
		res->torn += a->cons[c].torn;
		res->invalid += a->cons[c].invalid;
		res->recorded += a->cons[c].recorded;
	}
	res->bitmap_bits = a->words * 64;
}
