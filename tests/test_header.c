/* SPDX-License-Identifier: MIT */
/*
 * test_header: geometry and validation of the segment header (ringbuf layer,
 * no system calls). Each field of a valid header is corrupted in a copy and
 * validation must give the specific negative errno; where the checksum would
 * otherwise be what fails, it is recomputed so the check under test is the
 * one that fires.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "ringbuf/layout.h"

#define CAP 64u
#define SLOT 24u

static struct shmring_geometry geo;
static struct shmring_hdr good;

static int setup(void **state)
{
	(void)state;
	if (shmring__geometry(CAP, SLOT, 0, &geo) != 0)
		return -1;
	shmring__hdr_init(&good, SHMRING_KIND_SPSC, 0, &geo, 1000, 4242, UINT64_C(1700000000000000000));
	return 0;
}

/* Validate a copy modified by the caller, after recomputing its checksum. */
static int validate_resealed(struct shmring_hdr *h, uint64_t seg)
{
	h->check = shmring__hdr_checksum(h);
	return shmring__hdr_validate(h, seg);
}

static void test_good_header(void **state)
{
	(void)state;
	assert_int_equal(shmring__hdr_validate(&good, geo.total_size), 0);
	/* A segment larger than the header says is usable. */
	assert_int_equal(shmring__hdr_validate(&good, geo.total_size + 4096), 0);
	assert_true(good.magic == SHMRING_MAGIC);
	assert_int_equal(good.version, SHMRING_LAYOUT_VERSION);
	assert_int_equal(good.hdr_size, sizeof(struct shmring_hdr));
	assert_int_equal(good.kind, SHMRING_KIND_SPSC);
	assert_int_equal(good.capacity, CAP);
	assert_int_equal(good.slot_size, SLOT);
	assert_int_equal(good.slot_stride, 32);
	assert_int_equal(good.cacheline, SHMRING_SPACING);
	assert_int_equal(good.max_participants, SHMRING_DEFAULT_PARTICIPANTS);
	assert_int_equal(good.creator_uid, 1000);
	assert_int_equal(good.creator_pid, 4242);
	assert_int_equal(good.prod_off, SHMRING_PROD_OFF);
	assert_int_equal(good.cons_off, SHMRING_CONS_OFF);
	assert_int_equal(good.wait_off, SHMRING_WAIT_OFF);
	assert_int_equal(good.part_off, SHMRING_PART_OFF);
	assert_int_equal(good.slots_off, geo.slots_off);
	assert_int_equal(good.total_size, geo.total_size);
	assert_int_equal(good.recovery_ns, SHMRING_DEFAULT_RECOVERY_NS);
	for (size_t i = 0; i < sizeof(good.reserved) / sizeof(good.reserved[0]); i++)
		assert_int_equal(good.reserved[i], 0);
	assert_true(good.check == shmring__hdr_checksum(&good));
}

static void test_magic(void **state)
{
	struct shmring_hdr h = good;

	(void)state;
	h.magic ^= 1;
	assert_int_equal(shmring__hdr_validate(&h, geo.total_size), -SHMRING_EBADMAGIC);
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EBADMAGIC);
	h.magic = 0;
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EBADMAGIC);
	/* Byte-swapped: a segment written on the other endianness. */
	h.magic = __builtin_bswap64(SHMRING_MAGIC);
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EBADMAGIC);
}

static void test_version(void **state)
{
	struct shmring_hdr h = good;

	(void)state;
	h.version = SHMRING_LAYOUT_VERSION + 1;
	assert_int_equal(shmring__hdr_validate(&h, geo.total_size), -SHMRING_EVERSION);
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EVERSION);
	h.version = 0;
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EVERSION);
	h.version = UINT32_MAX;
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EVERSION);
}

/* Flipping any bit the checksum covers, past magic and version, is caught by it. */
static void test_checksum_every_byte(void **state)
{
	(void)state;
	for (size_t off = offsetof(struct shmring_hdr, hdr_size); off < SHMRING_HDR_CHECKED_BYTES;
	     off++) {
		for (int bit = 0; bit < 8; bit += 7) {
			struct shmring_hdr h = good;

			((unsigned char *)&h)[off] ^= (unsigned char)(1u << bit);
			if (shmring__hdr_validate(&h, geo.total_size) != -SHMRING_ECHECK)
				fail_msg("byte %zu bit %d: got %d, want -SHMRING_ECHECK", off, bit,
					 shmring__hdr_validate(&h, geo.total_size));
		}
	}
	/* And the check value itself. */
	for (size_t off = SHMRING_HDR_CHECKED_BYTES; off < sizeof(struct shmring_hdr); off++) {
		struct shmring_hdr h = good;

		((unsigned char *)&h)[off] ^= 0x10;
		assert_int_equal(shmring__hdr_validate(&h, geo.total_size), -SHMRING_ECHECK);
	}
}

static void test_hdr_size(void **state)
{
	struct shmring_hdr h = good;

	(void)state;
	h.hdr_size = 128;
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
	h.hdr_size = 512;
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
	h.hdr_size = 0;
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
}

/* Feature bits this reader does not know mean a newer writer: a version error. */
static void test_features(void **state)
{
	(void)state;
	for (int bit = 0; bit < 64; bit++) {
		struct shmring_hdr h = good;
		uint64_t f = UINT64_C(1) << bit;

		if (f & SHMRING_FEATURES_KNOWN)
			continue;
		h.features |= f;
		assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EVERSION);
	}
}

static void test_kind(void **state)
{
	static const uint32_t unknown[] = {0, 0xdead, UINT32_MAX};

	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		struct shmring_hdr h = good;

		h.kind = unknown[i];
		assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EVERSION);
	}
}

static void test_capacity(void **state)
{
	static const uint64_t bad[] = {0, 1, 3, 63, 65, 96, CAP * 4,
				       SHMRING_MAX_CAPACITY * 2, UINT64_MAX, UINT64_C(1) << 63};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct shmring_hdr h = good;

		h.capacity = bad[i];
		if (validate_resealed(&h, geo.total_size) != -SHMRING_EGEOMETRY)
			fail_msg("capacity %llu accepted or wrong error",
				 (unsigned long long)bad[i]);
	}
}

static void test_slot_size_and_stride(void **state)
{
	static const uint32_t bad_size[] = {0, 64, SHMRING_MAX_SLOT_SIZE + 1, UINT32_MAX};
	static const uint32_t bad_stride[] = {0, 16, 24, 33, 64, UINT32_MAX};

	(void)state;
	for (size_t i = 0; i < sizeof(bad_size) / sizeof(bad_size[0]); i++) {
		struct shmring_hdr h = good;

		h.slot_size = bad_size[i];
		assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
	}
	for (size_t i = 0; i < sizeof(bad_stride) / sizeof(bad_stride[0]); i++) {
		struct shmring_hdr h = good;

		h.slot_stride = bad_stride[i];
		assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
	}
}

static void test_cacheline(void **state)
{
	static const uint32_t bad[] = {0, 32, 64, 256};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct shmring_hdr h = good;

		h.cacheline = bad[i];
		assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
	}
}

/*
 * The participant table's size decides where the slots start; a header whose
 * count does not match what the creator wrote is impossible, including 0
 * (which the geometry function reads as "the default" at creation only).
 */
static void test_max_participants(void **state)
{
	static const uint32_t bad[] = {0, 1, 65, 128, SHMRING_MAX_PARTICIPANTS + 1, UINT32_MAX};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct shmring_hdr h = good;

		h.max_participants = bad[i];
		if (validate_resealed(&h, geo.total_size) != -SHMRING_EGEOMETRY)
			fail_msg("max_participants %u: got %d, want -SHMRING_EGEOMETRY", bad[i],
				 validate_resealed(&h, geo.total_size));
	}
}

static void test_offsets(void **state)
{
	static const size_t fields[] = {
		offsetof(struct shmring_hdr, prod_off), offsetof(struct shmring_hdr, cons_off),
		offsetof(struct shmring_hdr, wait_off), offsetof(struct shmring_hdr, part_off),
		offsetof(struct shmring_hdr, slots_off)};
	static const uint64_t deltas[] = {8, 128, 4096, UINT64_C(1) << 40};

	(void)state;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		for (size_t d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++) {
			struct shmring_hdr h = good;
			uint64_t v;

			memcpy(&v, (char *)&h + fields[f], sizeof(v));
			v += deltas[d];
			memcpy((char *)&h + fields[f], &v, sizeof(v));
			if (validate_resealed(&h, UINT64_MAX) != -SHMRING_EGEOMETRY)
				fail_msg("offset field at %zu + %llu accepted", fields[f],
					 (unsigned long long)deltas[d]);
		}
		{
			struct shmring_hdr h = good;
			uint64_t zero = 0;

			memcpy((char *)&h + fields[f], &zero, sizeof(zero));
			assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
		}
	}
}

static void test_reserved(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good.reserved) / sizeof(good.reserved[0]); i++) {
		struct shmring_hdr h = good;

		h.reserved[i] = UINT64_C(1) << (i * 4);
		assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
	}
}

/* The recovery deadline must lie in its documented range. */
static void test_recovery_range(void **state)
{
	static const uint64_t bad[] = {0, SHMRING_MIN_RECOVERY_NS - 1, SHMRING_MAX_RECOVERY_NS + 1,
				       UINT64_MAX};
	struct shmring_hdr h = good;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h.recovery_ns = bad[i];
		assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
	}
	h.recovery_ns = SHMRING_MIN_RECOVERY_NS;
	assert_int_equal(validate_resealed(&h, geo.total_size), 0);
}

static void test_total_size(void **state)
{
	struct shmring_hdr h = good;

	(void)state;
	h.total_size = geo.total_size + 4096;
	assert_int_equal(validate_resealed(&h, UINT64_MAX), -SHMRING_EGEOMETRY);
	h.total_size = geo.total_size - 4096;
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
	h.total_size = 0;
	assert_int_equal(validate_resealed(&h, geo.total_size), -SHMRING_EGEOMETRY);
	h.total_size = UINT64_MAX;
	assert_int_equal(validate_resealed(&h, UINT64_MAX), -SHMRING_EGEOMETRY);
}

/* The segment is shorter than the header says, or than a header. */
static void test_truncated(void **state)
{
	(void)state;
	assert_int_equal(shmring__hdr_validate(&good, geo.total_size - 1), -SHMRING_ETRUNCATED);
	assert_int_equal(shmring__hdr_validate(&good, geo.total_size - 4096), -SHMRING_ETRUNCATED);
	assert_int_equal(shmring__hdr_validate(&good, sizeof(struct shmring_hdr)),
			 -SHMRING_ETRUNCATED);
	assert_int_equal(shmring__hdr_validate(&good, sizeof(struct shmring_hdr) - 1),
			 -SHMRING_ETRUNCATED);
	assert_int_equal(shmring__hdr_validate(&good, 0), -SHMRING_ETRUNCATED);
}

/* Informational fields may hold anything once the checksum covers them. */
static void test_informational_fields(void **state)
{
	struct shmring_hdr h = good;

	(void)state;
	h.creator_uid = UINT32_MAX;
	h.creator_pid = 0;
	h.ctime_ns = UINT64_MAX;
	h.flags = UINT32_MAX;
	assert_int_equal(validate_resealed(&h, geo.total_size), 0);
}

static void test_garbage_headers(void **state)
{
	struct shmring_hdr h;
	uint64_t x = 0x243f6a8885a308d3u;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(shmring__hdr_validate(&h, geo.total_size), -SHMRING_EBADMAGIC);
	memset(&h, 0xff, sizeof(h));
	assert_int_equal(shmring__hdr_validate(&h, geo.total_size), -SHMRING_EBADMAGIC);
	for (int round = 0; round < 1000; round++) {
		unsigned char *p = (unsigned char *)&h;
		int rc;

		for (size_t i = 0; i < sizeof(h); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[i] = (unsigned char)x;
		}
		/* Half the rounds carry the right magic and version, so the later checks run. */
		if (round & 1) {
			h.magic = SHMRING_MAGIC;
			h.version = SHMRING_LAYOUT_VERSION;
			if (round & 2)
				h.check = shmring__hdr_checksum(&h);
		}
		rc = shmring__hdr_validate(&h, UINT64_MAX);
		assert_true(rc == -SHMRING_EBADMAGIC || rc == -SHMRING_ECHECK ||
			    rc == -SHMRING_EVERSION || rc == -SHMRING_EGEOMETRY);
	}
}

/* --- Geometry ------------------------------------------------------------------ */

static void test_geometry_rejects(void **state)
{
	struct shmring_geometry g;

	(void)state;
	for (uint64_t c = 0; c <= 4096; c++) {
		int pow2 = c >= 2 && (c & (c - 1)) == 0;

		assert_int_equal(shmring__geometry(c, 8, 0, &g), pow2 ? 0 : -EINVAL);
	}
	assert_int_equal(shmring__geometry(SHMRING_MAX_CAPACITY, 8, 0, &g), 0);
	assert_int_equal(shmring__geometry(SHMRING_MAX_CAPACITY * 2, 8, 0, &g), -EINVAL);
	assert_int_equal(shmring__geometry(UINT64_C(1) << 63, 8, 0, &g), -EINVAL);
	assert_int_equal(shmring__geometry(64, 0, 0, &g), -EINVAL);
	assert_int_equal(shmring__geometry(64, SHMRING_MAX_SLOT_SIZE, 0, &g), 0);
	assert_int_equal(shmring__geometry(64, SHMRING_MAX_SLOT_SIZE + 1, 0, &g), -EINVAL);
	assert_int_equal(shmring__geometry(64, 8, 1, &g), -EINVAL);
	assert_int_equal(shmring__geometry(64, 8, SHMRING_MAX_PARTICIPANTS + 1, &g), -EINVAL);
	assert_int_equal(shmring__geometry(64, 8, SHMRING_MAX_PARTICIPANTS, &g), 0);
}

/* Every slot size: the stride holds stamp and payload, small slots never
 * straddle a line, large ones start on one, and the sizes add up. */
static void test_geometry_every_slot_size(void **state)
{
	(void)state;
	for (uint32_t s = 1; s <= SHMRING_MAX_SLOT_SIZE; s++) {
		struct shmring_geometry g;
		uint32_t st;

		assert_int_equal(shmring__geometry(8, s, 0, &g), 0);
		st = g.slot_stride;
		if (st < s + SHMRING_STAMP_SIZE)
			fail_msg("slot %u: stride %u too small", s, st);
		if (s + SHMRING_STAMP_SIZE <= SHMRING_CACHELINE) {
			if ((st & (st - 1)) != 0 || st > SHMRING_CACHELINE ||
			    (st != 16 && st >= 2 * (s + SHMRING_STAMP_SIZE)))
				fail_msg("slot %u: stride %u", s, st);
		} else if (st % SHMRING_CACHELINE != 0 || st - (s + SHMRING_STAMP_SIZE) >= SHMRING_CACHELINE) {
			fail_msg("slot %u: stride %u", s, st);
		}
		assert_int_equal(st % 8, 0); /* the stamp is an aligned 64-bit atomic */
		assert_int_equal(g.slots_off % SHMRING_SPACING, 0);
		assert_true(g.slots_off >= SHMRING_PART_OFF + g.max_participants * sizeof(struct shmring_part));
		assert_int_equal(g.total_size % 4096, 0);
		assert_true(g.total_size >= g.slots_off + 8 * (uint64_t)st);
		assert_true(g.total_size < g.slots_off + 8 * (uint64_t)st + 4096);
	}
}

/* --- Live indices ------------------------------------------------------------ */

static void test_indices(void **state)
{
	unsigned char *base = test_block(geo.total_size);
	struct shmring_hdr *h = (struct shmring_hdr *)(void *)base;
	_Atomic uint64_t *prod = &shmring__prod_side(base)->pos;
	_Atomic uint64_t *cons = &shmring__cons_side(base)->pos;

	(void)state;
	*h = good;
	assert_int_equal(shmring__indices_validate(base, h), 0);
	atomic_store(prod, 10);
	atomic_store(cons, 5);
	assert_int_equal(shmring__indices_validate(base, h), 0);
	atomic_store(cons, 10);
	assert_int_equal(shmring__indices_validate(base, h), 0);
	atomic_store(prod, 10 + CAP);
	assert_int_equal(shmring__indices_validate(base, h), 0);
	atomic_store(prod, 10 + CAP + 1);
	assert_int_equal(shmring__indices_validate(base, h), -SHMRING_ECORRUPT);
	atomic_store(prod, UINT64_MAX);
	assert_int_equal(shmring__indices_validate(base, h), -SHMRING_ECORRUPT);
	/* Consumer past producer: corrupt, unless the slot before the consumer
	 * carries the stamp of a producer that died before publishing. */
	atomic_store(prod, 10);
	atomic_store(cons, 12);
	assert_int_equal(shmring__indices_validate(base, h), -SHMRING_ECORRUPT);
	{
		_Atomic uint64_t *stamp = (_Atomic uint64_t *)(void *)(base + h->slots_off +
									((12 - 1) % CAP) * h->slot_stride);

		atomic_store(stamp, 12);
		assert_int_equal(shmring__indices_validate(base, h), 0);
		atomic_store(stamp, 12 - CAP); /* last lap's stamp */
		assert_int_equal(shmring__indices_validate(base, h), -SHMRING_ECORRUPT);
	}
	atomic_store(cons, UINT64_MAX);
	assert_int_equal(shmring__indices_validate(base, h), -SHMRING_ECORRUPT);
	free(base);
}

/*
 * Grouped slots: exactly the stamped SPSC rings of up to 16-byte slots, in
 * the grouped geometry; the groups of every capacity leave no position a
 * producer may write a lap of groups past one the consumer reads, in the
 * same bytes as a stamp per slot.
 */
static void test_grouped_rules(void **state)
{
	struct shmring_geometry g, plain;
	struct shmring_hdr h;

	(void)state;
	for (uint64_t cap = 2; cap <= SHMRING_MAX_CAPACITY; cap <<= 1) {
		for (uint32_t size = 8; size <= 16; size += 8) {
			uint32_t per = shmring__group_slots(size);
			uint64_t n = shmring__groups(cap, per);

			assert_int_equal(per, size == 8 ? 7 : 3);
			assert_true((n & (n - 1)) == 0);
			/* The farthest group a producer reaches past the
			 * consumer's, (cap + per - 2) / per, is less than a lap
			 * of groups; half as many would not be. */
			assert_true((cap + per - 2) / per < n);
			assert_true((cap + per - 2) / per >= n / 2);
			assert_int_equal(shmring__geometry(cap, size, 0, &plain), 0);
			g = plain;
			shmring__geometry_grouped(&g);
			assert_int_equal(g.slot_stride, 64);
			assert_int_equal(g.total_size, plain.total_size);
		}
	}
	for (uint32_t size = 1; size <= 24; size++) {
		assert_int_equal(shmring__geometry(64, size, 0, &g), 0);
		plain = g;
		if (size <= SHMRING_GROUP_MAX_SLOT)
			shmring__geometry_grouped(&g);
		shmring__hdr_init(&h, SHMRING_KIND_SPSC, 0, &g, 0, 1, 0);
		assert_int_equal(!!(h.features & SHMRING_FEAT_GROUPED_SLOTS),
				 size <= SHMRING_GROUP_MAX_SLOT);
		assert_int_equal(shmring__hdr_validate(&h, g.total_size), 0);
		/* The bit taken off, or put on a larger slot. */
		h.features ^= SHMRING_FEAT_GROUPED_SLOTS;
		assert_int_equal(validate_resealed(&h, g.total_size), -SHMRING_EGEOMETRY);
		h.features ^= SHMRING_FEAT_GROUPED_SLOTS;
		if (size > SHMRING_GROUP_MAX_SLOT)
			continue;
		/* The bit over a stamp per slot's stride. */
		h.slot_stride = plain.slot_stride;
		assert_int_equal(validate_resealed(&h, g.total_size), -SHMRING_EGEOMETRY);
		h.slot_stride = g.slot_stride;
		/* With the dense layout, or on a duplex. */
		h.features |= SHMRING_FEAT_DENSE_SLOTS;
		h.features &= ~SHMRING_FEAT_STAMPED_SLOTS;
		assert_int_equal(validate_resealed(&h, g.total_size), -SHMRING_EGEOMETRY);
		h.features &= ~SHMRING_FEAT_DENSE_SLOTS;
		h.features |= SHMRING_FEAT_STAMPED_SLOTS | SHMRING_FEAT_DUPLEX;
		assert_int_equal(validate_resealed(&h, g.total_size), -SHMRING_EGEOMETRY);
	}
	/* A consumer past the producer's published position, grouped: the
	 * stamp of the group before the consumer must publish what it read,
	 * no more than the group holds. */
	for (uint32_t size = 8; size <= 16; size += 8) {
		uint32_t per = shmring__group_slots(size);
		uint64_t p = 3 * per, lap = per * shmring__groups(64, per);
		unsigned char *base;
		_Atomic uint64_t *stamp;

		assert_int_equal(shmring__geometry(64, size, 0, &g), 0);
		shmring__geometry_grouped(&g);
		base = test_block(g.total_size);
		shmring__hdr_init((struct shmring_hdr *)(void *)base, SHMRING_KIND_SPSC, 0, &g, 0, 1,
				  0);
		/* Positions p to p + per - 1 share group 3. */
		stamp = (_Atomic uint64_t *)(void *)(base + g.slots_off + 3 * g.slot_stride);
		atomic_store(&shmring__prod_side(base)->pos, p);
		atomic_store(&shmring__cons_side(base)->pos, p + 2);
		atomic_store(stamp, p + 1); /* only p: the consumer read p + 1 unpublished */
		assert_int_equal(shmring__indices_validate(base, (void *)base), -SHMRING_ECORRUPT);
		atomic_store(stamp, p + 2);
		assert_int_equal(shmring__indices_validate(base, (void *)base), 0);
		atomic_store(stamp, p + per); /* the whole group */
		assert_int_equal(shmring__indices_validate(base, (void *)base), 0);
		atomic_store(stamp, p + per + 1); /* past the group */
		assert_int_equal(shmring__indices_validate(base, (void *)base), -SHMRING_ECORRUPT);
		atomic_store(&shmring__cons_side(base)->pos, p + per);
		atomic_store(stamp, p + per);
		assert_int_equal(shmring__indices_validate(base, (void *)base), 0);
		atomic_store(stamp, p + per - lap); /* a lap of groups before */
		assert_int_equal(shmring__indices_validate(base, (void *)base), -SHMRING_ECORRUPT);
		free(base);
	}
	/* A consumer past the published position whose producer wrote the
	 * next lap's position into the group (slot) of cons - 1, where a lap
	 * of groups is barely a capacity long. 8 slots of 8 bytes lie in 2
	 * groups of 7 (14 positions a lap): the producer writes less than a
	 * capacity past the consumer (at 7, with 0-6 consumed: up to 14), so
	 * the stamp 15 of position 14 is legal, 16 is not. 4 slots of 16
	 * bytes lie in 2 groups of 3 (6 positions a lap): at 3, up to 6, stamp
	 * 7. 4 stamped slots of 32 bytes: at 1, up to 4, stamp 5. */
	static const struct {
		uint32_t size;
		uint64_t cap, cons, next;
	} near_lap[] = {{8, 8, 7, 15}, {16, 4, 3, 7}, {32, 4, 1, 5}};
	for (size_t k = 0; k < sizeof(near_lap) / sizeof(near_lap[0]); k++) {
		unsigned char *base;
		_Atomic uint64_t *stamp;
		uint64_t cons = near_lap[k].cons, next = near_lap[k].next;

		assert_int_equal(shmring__geometry(near_lap[k].cap, near_lap[k].size, 0, &g), 0);
		if (near_lap[k].size <= SHMRING_GROUP_MAX_SLOT)
			shmring__geometry_grouped(&g);
		base = test_block(g.total_size);
		shmring__hdr_init((struct shmring_hdr *)(void *)base, SHMRING_KIND_SPSC, 0, &g, 0, 1,
				  0);
		stamp = (_Atomic uint64_t *)(void *)(base + g.slots_off);
		atomic_store(&shmring__prod_side(base)->pos, 0);
		atomic_store(&shmring__cons_side(base)->pos, cons);
		atomic_store(stamp, next);
		assert_int_equal(shmring__indices_validate(base, (void *)base), 0);
		atomic_store(stamp, next + 1); /* a position a capacity past the consumer */
		assert_int_equal(shmring__indices_validate(base, (void *)base), -SHMRING_ECORRUPT);
		atomic_store(stamp, next - 1); /* the stamp of a position of another group (slot) */
		assert_int_equal(shmring__indices_validate(base, (void *)base), -SHMRING_ECORRUPT);
		free(base);
	}
	/* On another kind. */
	assert_int_equal(shmring__geometry(64, 8, 0, &g), 0);
	shmring__hdr_init(&h, SHMRING_KIND_MPSC, SHMRING_HDR_MULTI_PRODUCER, &g, 0, 1, 0);
	assert_false(h.features & SHMRING_FEAT_GROUPED_SLOTS);
	assert_int_equal(shmring__hdr_validate(&h, g.total_size), 0);
	h.features |= SHMRING_FEAT_GROUPED_SLOTS;
	assert_int_equal(validate_resealed(&h, g.total_size), -SHMRING_EGEOMETRY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_header),
		cmocka_unit_test(test_magic),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_checksum_every_byte),
		cmocka_unit_test(test_hdr_size),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_slot_size_and_stride),
		cmocka_unit_test(test_cacheline),
		cmocka_unit_test(test_max_participants),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_recovery_range),
		cmocka_unit_test(test_total_size),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_informational_fields),
		cmocka_unit_test(test_garbage_headers),
		cmocka_unit_test(test_geometry_rejects),
		cmocka_unit_test(test_geometry_every_slot_size),
		cmocka_unit_test(test_indices),
		cmocka_unit_test(test_grouped_rules),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
