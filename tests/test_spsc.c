/* SPDX-License-Identifier: MIT */
/*
 * test_spsc: the SPSC ring algorithm on a plain aligned block (ringbuf layer,
 * no system calls): empty and full, wrap-around over many laps, bulk
 * (all-or-nothing) against burst (as many as possible), every slot size from
 * 1 to 4096 bytes, taking over a side, and a consumer position that lies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "ringbuf/layout.h"
#include "ringbuf/spsc.h"

struct ring {
	unsigned char *base;
	struct shmring_hdr *h;
	struct shmring_lane tx, rx;
};

static void ring_make(struct ring *r, uint64_t capacity, uint32_t slot)
{
	struct shmring_geometry g;

	assert_int_equal(shmring__geometry(capacity, slot, 0, &g), 0);
	if (slot <= SHMRING_GROUP_MAX_SLOT)
		shmring__geometry_grouped(&g); /* as shmring__hdr_init() says */
	r->base = test_block(g.total_size);
	r->h = (struct shmring_hdr *)(void *)r->base;
	shmring__hdr_init(r->h, SHMRING_KIND_SPSC, 0, &g, 0, 0, 0);
	assert_int_equal(shmring__hdr_validate(r->h, g.total_size), 0);
	shmring__spsc_view(&r->tx, r->base, r->h);
	shmring__spsc_view(&r->rx, r->base, r->h);
	shmring__spsc_attach_producer(&r->tx);
	shmring__spsc_attach_consumer(&r->rx);
}

static void ring_free(struct ring *r)
{
	free(r->base);
}

/*
 * The ring's inline copy has fixed-size cases (16, 32, 64 bytes) that GCC
 * checks against the caller's buffer even when the slot size rules them out;
 * calling through these wrappers keeps a uint64_t message warning-free.
 */
static __attribute__((noinline)) unsigned ring_send(struct shmring_lane *v, const void *m,
						     unsigned n, bool all)
{
	return shmring__spsc_send(v, m, n, all);
}

static __attribute__((noinline)) unsigned ring_recv(struct shmring_lane *v, void *m, unsigned n,
						     bool all)
{
	return shmring__spsc_recv(v, m, n, all);
}

/* A message of `size` bytes whose every byte depends on seq and position. */
static void fill(unsigned char *m, uint32_t size, uint64_t seq)
{
	for (uint32_t i = 0; i < size; i++)
		m[i] = (unsigned char)(seq * 131 + i * 7 + (i >> 8));
}

static int matches(const unsigned char *m, uint32_t size, uint64_t seq)
{
	for (uint32_t i = 0; i < size; i++)
		if (m[i] != (unsigned char)(seq * 131 + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

static void test_empty(void **state)
{
	struct ring r;
	uint64_t m[4];

	(void)state;
	ring_make(&r, 8, 8);
	assert_int_equal(ring_recv(&r.rx, m, 1, true), 0);
	assert_int_equal(ring_recv(&r.rx, m, 1, false), 0);
	assert_int_equal(ring_recv(&r.rx, m, 4, false), 0);
	assert_int_equal(shmring__spsc_available(&r.rx, 8), 0);
	assert_false(shmring__spsc_ready(&r.rx, 0));
	/* Nothing moved: positions untouched. */
	assert_int_equal(r.rx.pos, 0);
	assert_int_equal(atomic_load(&r.rx.cons->pos), 0);
	ring_free(&r);
}

static void test_full(void **state)
{
	struct ring r;
	uint64_t v;

	(void)state;
	ring_make(&r, 16, 8);
	for (v = 0; v < 16; v++)
		assert_int_equal(ring_send(&r.tx, &v, 1, true), 1);
	assert_int_equal(ring_send(&r.tx, &v, 1, true), 0);
	assert_int_equal(ring_send(&r.tx, &v, 1, false), 0);
	assert_int_equal(shmring__spsc_available(&r.rx, 100), 16);
	assert_false(r.tx.corrupt);
	/* A full ring did not overwrite the oldest message. */
	assert_int_equal(ring_recv(&r.rx, &v, 1, true), 1);
	assert_int_equal(v, 0);
	v = 16;
	assert_int_equal(ring_send(&r.tx, &v, 1, true), 1);
	assert_int_equal(ring_send(&r.tx, &v, 1, true), 0);
	for (uint64_t want = 1; want <= 16; want++) {
		assert_int_equal(ring_recv(&r.rx, &v, 1, true), 1);
		assert_int_equal(v, want);
	}
	assert_int_equal(ring_recv(&r.rx, &v, 1, true), 0);
	ring_free(&r);
}

/* Many laps with batch sizes that do not divide the capacity. */
static void test_wraparound(void **state)
{
	static const uint64_t caps[] = {2, 4, 8, 64};

	(void)state;
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		struct ring r;
		uint64_t next_send = 0, next_recv = 0, buf[64];

		ring_make(&r, caps[c], 8);
		for (unsigned step = 0; step < 20000; step++) {
			unsigned n = 1 + step % (unsigned)(caps[c] + 1);
			unsigned k;

			for (unsigned i = 0; i < n && i < 64; i++)
				buf[i] = next_send + i;
			k = ring_send(&r.tx, buf, n, false);
			assert_true(k <= n);
			assert_true(next_send + k - next_recv <= caps[c]);
			next_send += k;
			n = 1 + (step * 7) % (unsigned)caps[c];
			k = ring_recv(&r.rx, buf, n, false);
			for (unsigned i = 0; i < k; i++)
				assert_int_equal(buf[i], next_recv + i);
			next_recv += k;
		}
		assert_true(next_recv > 10 * caps[c]); /* really went round many times */
		/* The producer publishes its position every so often; the
		 * stamps past it tell an observer the rest. */
		assert_true(next_send - atomic_load(&r.tx.prod->pos) < SHMRING_LANE_PUBLISH_EVERY);
		assert_int_equal(shmring__spsc_produced(&r.rx), next_send);
		assert_int_equal(atomic_load(&r.rx.cons->pos), next_recv);
		ring_free(&r);
	}
}

static void test_bulk_vs_burst_send(void **state)
{
	struct ring r;
	uint64_t buf[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		buf[i] = (uint64_t)i;
	ring_make(&r, 16, 8);
	assert_int_equal(ring_send(&r.tx, buf, 10, true), 10);
	/* 6 free: a bulk of 8 moves nothing, a burst of 8 moves 6. */
	assert_int_equal(ring_send(&r.tx, buf + 10, 8, true), 0);
	assert_int_equal(shmring__spsc_available(&r.rx, 16), 10);
	assert_int_equal(ring_send(&r.tx, buf + 10, 8, false), 6);
	assert_int_equal(ring_send(&r.tx, buf + 16, 1, false), 0);
	/* More than the capacity never fits as a bulk, even when empty. */
	assert_int_equal(ring_recv(&r.rx, buf, 16, true), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(buf[i], i);
	for (int i = 0; i < 32; i++)
		buf[i] = 100 + (uint64_t)i;
	assert_int_equal(ring_send(&r.tx, buf, 17, true), 0);
	assert_int_equal(ring_send(&r.tx, buf, 17, false), 16);
	assert_int_equal(ring_recv(&r.rx, buf, 16, true), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(buf[i], 100 + i);
	ring_free(&r);
}

static void test_bulk_vs_burst_recv(void **state)
{
	struct ring r;
	uint64_t buf[32];

	(void)state;
	ring_make(&r, 16, 8);
	for (int i = 0; i < 5; i++)
		buf[i] = (uint64_t)i;
	assert_int_equal(ring_send(&r.tx, buf, 5, true), 5);
	memset(buf, 0xee, sizeof(buf));
	/* 5 ready: a bulk of 8 takes nothing and leaves the buffer alone. */
	assert_int_equal(ring_recv(&r.rx, buf, 8, true), 0);
	assert_true(buf[0] == UINT64_C(0xeeeeeeeeeeeeeeee));
	assert_int_equal(r.rx.pos, 0);
	assert_int_equal(ring_recv(&r.rx, buf, 3, true), 3);
	assert_int_equal(buf[2], 2);
	assert_int_equal(ring_recv(&r.rx, buf, 8, false), 2);
	assert_int_equal(buf[0], 3);
	assert_int_equal(buf[1], 4);
	assert_int_equal(buf[2], 2); /* the burst wrote only two */
	assert_int_equal(ring_recv(&r.rx, buf, 8, false), 0);
	/* Bulks of 0 and of more than the capacity never succeed. */
	assert_int_equal(ring_recv(&r.rx, buf, 0, true), 0);
	assert_int_equal(ring_recv(&r.rx, buf, 17, true), 0);
	/* Bulk across the wrap point. */
	for (int lap = 0; lap < 5; lap++) {
		for (int i = 0; i < 13; i++)
			buf[i] = (uint64_t)(lap * 13 + i);
		assert_int_equal(ring_send(&r.tx, buf, 13, true), 13);
		memset(buf, 0, sizeof(buf));
		assert_int_equal(ring_recv(&r.rx, buf, 13, true), 13);
		for (int i = 0; i < 13; i++)
			assert_int_equal(buf[i], lap * 13 + i);
	}
	ring_free(&r);
}

/*
 * Every slot size from 1 to 4096 bytes: messages arrive intact over a wrap,
 * and a send writes nothing outside its own slot (the block is exactly the
 * ring's size, so ASan sees an overrun of the last slot).
 */
static void test_every_slot_size(void **state)
{
	unsigned char *in = malloc(4096), *out = malloc(4096);

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	for (uint32_t size = 1; size <= 4096; size++) {
		struct ring r;
		uint64_t seq = 0, got = 0;
		const unsigned char *slot0;

		ring_make(&r, 4, size);
		/* One message: only its slot's stamp and payload change. */
		fill(in, size, seq);
		assert_int_equal(ring_send(&r.tx, in, 1, true), 1);
		seq++;
		slot0 = r.base + r.h->slots_off;
		for (size_t i = SHMRING_STAMP_SIZE + size; i < r.h->total_size - r.h->slots_off; i++)
			if (slot0[i] != 0)
				fail_msg("slot size %u: byte %zu past the payload was written", size, i);
		assert_false(shmring__spsc_ready(&r.rx, 1));
		/* Then three laps, one message at a time and in bursts. */
		while (seq < 13) {
			fill(in, size, seq);
			if (ring_send(&r.tx, in, 1, true) == 1)
				seq++;
			memset(out, 0, size);
			if (ring_recv(&r.rx, out, 1, true) == 1) {
				if (!matches(out, size, got))
					fail_msg("slot size %u: message %llu damaged", size,
						 (unsigned long long)got);
				got++;
			}
		}
		while (ring_recv(&r.rx, out, 1, true) == 1) {
			if (!matches(out, size, got))
				fail_msg("slot size %u: message %llu damaged", size,
					 (unsigned long long)got);
			got++;
		}
		assert_int_equal(got, 13);
		ring_free(&r);
	}
	free(in);
	free(out);
}

/* Larger slot sizes, sampled, with multi-message bulks. */
static void test_large_slots_bulk(void **state)
{
	static const uint32_t sizes[] = {4097, 8191, 8192, 12345, 32768, SHMRING_MAX_SLOT_SIZE};

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t size = sizes[s];
		unsigned char *buf = malloc((size_t)size * 3);
		struct ring r;

		assert_non_null(buf);
		ring_make(&r, 4, size);
		for (uint64_t lap = 0; lap < 4; lap++) {
			for (int i = 0; i < 3; i++)
				fill(buf + (size_t)i * size, size, lap * 3 + (uint64_t)i);
			assert_int_equal(ring_send(&r.tx, buf, 3, true), 3);
			memset(buf, 0, (size_t)size * 3);
			assert_int_equal(ring_recv(&r.rx, buf, 3, true), 3);
			for (int i = 0; i < 3; i++)
				assert_true(matches(buf + (size_t)i * size, size, lap * 3 + (uint64_t)i));
		}
		ring_free(&r);
		free(buf);
	}
}

/*
 * A producer that died inside a send stamped slots it never published; its
 * successor resumes after them (they are complete) and the consumer gets
 * every message once.
 */
static void test_producer_takeover(void **state)
{
	struct ring r;
	struct shmring_lane tx2;
	uint64_t v;

	(void)state;
	ring_make(&r, 8, 8);
	for (v = 0; v < 5; v++)
		assert_int_equal(ring_send(&r.tx, &v, 1, true), 1);
	atomic_store(&r.tx.prod->pos, 2); /* as if it died before publishing 2..4 */
	shmring__spsc_view(&tx2, r.base, r.h);
	shmring__spsc_attach_producer(&tx2);
	assert_int_equal(tx2.pos, 5);
	assert_int_equal(atomic_load(&tx2.prod->pos), 5);
	v = 5;
	assert_int_equal(ring_send(&tx2, &v, 1, true), 1);
	for (uint64_t want = 0; want < 6; want++) {
		assert_int_equal(ring_recv(&r.rx, &v, 1, true), 1);
		assert_int_equal(v, want);
	}
	assert_int_equal(ring_recv(&r.rx, &v, 1, true), 0);
	/* Consumer already past the published position (it read the unpublished
	 * messages): the new producer starts at the consumer. */
	for (v = 6; v < 9; v++)
		assert_int_equal(ring_send(&tx2, &v, 1, true), 1);
	for (uint64_t want = 6; want < 9; want++) {
		assert_int_equal(ring_recv(&r.rx, &v, 1, true), 1);
		assert_int_equal(v, want);
	}
	atomic_store(&tx2.prod->pos, 6);
	shmring__spsc_view(&r.tx, r.base, r.h);
	shmring__spsc_attach_producer(&r.tx);
	assert_int_equal(r.tx.pos, 9);
	v = 9;
	assert_int_equal(ring_send(&r.tx, &v, 1, true), 1);
	assert_int_equal(ring_recv(&r.rx, &v, 1, true), 1);
	assert_int_equal(v, 9);
	ring_free(&r);
}

/* A new consumer resumes where the last one published its position. */
static void test_consumer_takeover(void **state)
{
	struct ring r;
	struct shmring_lane rx2;
	uint64_t v;

	(void)state;
	ring_make(&r, 8, 8);
	for (v = 0; v < 6; v++)
		assert_int_equal(ring_send(&r.tx, &v, 1, true), 1);
	assert_int_equal(ring_recv(&r.rx, &v, 1, true), 1);
	assert_int_equal(ring_recv(&r.rx, &v, 1, true), 1);
	shmring__spsc_view(&rx2, r.base, r.h);
	shmring__spsc_attach_consumer(&rx2);
	assert_int_equal(rx2.pos, 2);
	for (uint64_t want = 2; want < 6; want++) {
		assert_int_equal(ring_recv(&rx2, &v, 1, true), 1);
		assert_int_equal(v, want);
	}
	ring_free(&r);
}

/* A consumer position outside [cached, producer] is ignored: the producer
 * never overwrites unread slots because shared memory said so. */
static void test_lying_consumer(void **state)
{
	struct ring r;
	uint64_t v;

	(void)state;
	ring_make(&r, 8, 8);
	for (v = 0; v < 8; v++)
		assert_int_equal(ring_send(&r.tx, &v, 1, true), 1);
	atomic_store(&r.rx.cons->pos, 8 + 5); /* past the producer */
	assert_int_equal(ring_send(&r.tx, &v, 1, false), 0);
	assert_true(r.tx.corrupt);
	r.tx.corrupt = false;
	atomic_store(&r.rx.cons->pos, UINT64_MAX);
	assert_int_equal(ring_send(&r.tx, &v, 1, false), 0);
	assert_true(r.tx.corrupt);
	/* The unread messages are intact. */
	for (uint64_t want = 0; want < 8; want++) {
		assert_int_equal(ring_recv(&r.rx, &v, 1, true), 1);
		assert_int_equal(v, want);
	}
	ring_free(&r);
}

/* A stamp from another lap is not a message. */
static void test_stale_stamp(void **state)
{
	struct ring r;
	uint64_t v;

	(void)state;
	ring_make(&r, 4, 8);
	for (v = 0; v < 4; v++)
		assert_int_equal(ring_send(&r.tx, &v, 1, true), 1);
	for (v = 0; v < 4; v++)
		assert_int_equal(ring_recv(&r.rx, &v, 1, true), 1);
	/* Slots still carry lap-0 stamps; the consumer at 4 must not take them. */
	assert_int_equal(ring_recv(&r.rx, &v, 1, false), 0);
	assert_int_equal(shmring__spsc_available(&r.rx, 4), 0);
	ring_free(&r);
}

/* The group of position pos: its stamp's address. */
static _Atomic uint64_t *group_stamp(const struct ring *r, uint64_t pos)
{
	uint32_t per = shmring__group_slots(r->h->slot_size);
	uint64_t groups = shmring__groups(r->h->capacity, per);

	return (_Atomic uint64_t *)(void *)(r->base + r->h->slots_off +
					    (pos / per % groups) * r->h->slot_stride);
}

/*
 * Slots of up to 8 bytes lie seven to a stamp, of 9 to 16 three, a group a
 * line: the stamp of a group is its newest message's position plus one,
 * each payload at its place in the group, and nothing else of the segment
 * is written.
 */
static void test_grouped_layout(void **state)
{
	static const uint32_t sizes[] = {1, 8, 12, 16};

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t size = sizes[k], pitch = size <= 8 ? 8 : 16, per = size <= 8 ? 7 : 3;
		uint64_t n = 2 * per + 1; /* two groups whole, one message of a third */
		unsigned char in[16], out[16];
		struct ring r;

		ring_make(&r, 64, size);
		assert_true(r.h->features & SHMRING_FEAT_GROUPED_SLOTS);
		assert_int_equal(r.h->slot_stride, 64);
		assert_int_equal(shmring__groups(64, per), per == 7 ? 16 : 32);
		assert_int_equal(r.tx.group, per);
		assert_int_equal(r.tx.mask, per == 7 ? 15 : 31);
		for (uint64_t i = 0; i < n; i++) {
			fill(in, size, i);
			assert_int_equal(ring_send(&r.tx, in, 1, true), 1);
			/* The group's stamp moved to i + 1; the payload is at its place. */
			assert_int_equal(atomic_load(group_stamp(&r, i)), i + 1);
			assert_true(matches((unsigned char *)group_stamp(&r, i) + SHMRING_STAMP_SIZE +
						    (i % per) * pitch,
					    size, i));
		}
		assert_int_equal(atomic_load(group_stamp(&r, 0)), per);
		assert_int_equal(atomic_load(group_stamp(&r, per)), 2 * per);
		assert_int_equal(atomic_load(group_stamp(&r, 2 * per)), n);
		/* The fourth group was never written. */
		for (uint64_t b = 0; b < r.h->slot_stride; b++)
			assert_int_equal(((unsigned char *)group_stamp(&r, 3 * per))[b], 0);
		assert_int_equal(shmring__spsc_available(&r.rx, 64), n);
		assert_false(shmring__spsc_ready(&r.rx, n));
		for (uint64_t i = 0; i < n; i++) {
			assert_int_equal(ring_recv(&r.rx, out, 1, true), 1);
			assert_true(matches(out, size, i));
		}
		assert_int_equal(ring_recv(&r.rx, out, 1, false), 0);
		ring_free(&r);
	}
}

/*
 * A group stamp publishes exactly the positions from the consumer's to the
 * stamp, within the group: one past the group's end, one at the consumer's
 * position, and those of another lap publish nothing; a batch needs its last
 * message's group stamped.
 */
static void test_group_stamp_bounds(void **state)
{
	(void)state;
	for (uint32_t size = 8; size <= 16; size += 8) {
		/* 16 slots of 8 bytes: 4 groups of 7, a lap of groups 28
		 * positions; 8 of 16 bytes: 4 groups of 3, a lap 12. */
		uint32_t per = size == 8 ? 7 : 3;
		uint64_t cap = size == 8 ? 16 : 8, lap = 4 * per;
		unsigned char m[16 * 8];
		struct ring r;

		ring_make(&r, cap, size);
		assert_int_equal(r.tx.group, per);
		assert_int_equal(r.tx.mask + 1, 4);
		for (uint64_t i = 0; i <= per; i++)
			fill(m + i * size, size, i);
		/* Group 0 whole and the first message of group 1. */
		assert_int_equal(ring_send(&r.tx, m, per + 1, true), per + 1);
		/* The consumer at 1, mid-group. */
		assert_int_equal(ring_recv(&r.rx, m, 1, true), 1);
		assert_int_equal(shmring__spsc_available(&r.rx, 8), per);
		atomic_store(group_stamp(&r, 0), per + 1); /* past the group's end (per) */
		assert_false(shmring__spsc_ready(&r.rx, 0));
		assert_int_equal(shmring__spsc_available(&r.rx, 8), 0);
		atomic_store(group_stamp(&r, 0), 1); /* the consumer's own position: nothing new */
		assert_false(shmring__spsc_ready(&r.rx, 0));
		atomic_store(group_stamp(&r, 0), 2); /* position 1 only */
		assert_int_equal(shmring__spsc_available(&r.rx, 8), 1);
		/* 2 not published: all or nothing. */
		assert_int_equal(ring_recv(&r.rx, m, 2, true), 0);
		/* The group's end a lap of groups on. */
		atomic_store(group_stamp(&r, 0), per + lap);
		assert_int_equal(shmring__spsc_available(&r.rx, 8), 0);
		atomic_store(group_stamp(&r, 0), per);
		/* 1 to per, the last in the next group. */
		assert_int_equal(ring_recv(&r.rx, m, per, true), per);
		for (uint64_t i = 0; i < per; i++)
			assert_true(matches(m + i * size, size, i + 1));
		ring_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_bulk_vs_burst_send),
		cmocka_unit_test(test_bulk_vs_burst_recv),
		cmocka_unit_test(test_every_slot_size),
		cmocka_unit_test(test_large_slots_bulk),
		cmocka_unit_test(test_producer_takeover),
		cmocka_unit_test(test_consumer_takeover),
		cmocka_unit_test(test_lying_consumer),
		cmocka_unit_test(test_stale_stamp),
		cmocka_unit_test(test_grouped_layout),
		cmocka_unit_test(test_group_stamp_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
