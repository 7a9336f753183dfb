/* SPDX-License-Identifier: MIT */
/*
 * tests/test_bench_hist.c - the benchmark histogram against a sorted array of
 * every sample: each percentile within the stated relative precision, the
 * maximum and minimum exact, and the bucket arithmetic consistent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "src/bench/hist.h"

static uint64_t rng_state = UINT64_C(0x2545f4914f6cdd1d);

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Latency-like data: mostly near a base, a tail over many decades. */
static uint64_t sample(unsigned dist)
{
	switch (dist) {
	case 0: /* uniform over a small range: exact buckets and the first split */
		return rng() % 1000;
	case 1: /* log-uniform from 1 to 2^36 */
		return (uint64_t)exp2((double)(rng() % 36000) / 1000.0);
	default: { /* a body at ~400 with a 1% tail up to milliseconds */
		uint64_t r = rng();

		if (r % 100 == 0)
			return 400 + rng() % 5000000;
		return 380 + rng() % 60;
	}
	}
}

static void check_dist(unsigned dist, size_t n)
{
	static const double ps[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
	struct shmring_bench_hist *h = malloc(sizeof(*h));
	uint64_t *v = malloc(n * sizeof(*v));
	double sum = 0;

	assert_non_null(h);
	assert_non_null(v);
	shmring_bench_hist_reset(h);
	for (size_t i = 0; i < n; i++) {
		v[i] = sample(dist);
		sum += (double)v[i];
		shmring_bench_hist_record(h, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	assert_int_equal(h->total, n);
	assert_int_equal(h->max, v[n - 1]);
	assert_int_equal(h->min, v[0]);
	assert_true(fabs(shmring_bench_hist_mean(h) - sum / (double)n) <= 1e-6 * sum / (double)n);
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		size_t rank = (size_t)ceil(ps[k] / 100.0 * (double)n);
		double exact = (double)v[(rank ? rank : 1) - 1];
		double got = shmring_bench_hist_percentile(h, ps[k]);
		double err = fabs(got - exact);

		if (err > exact * SHMRING_BENCH_HIST_PRECISION) {
			print_error("dist %u p%g: histogram %.1f, exact %.0f (error %.3g%%)\n", dist,
				    ps[k], got, exact, 100 * err / exact);
			fail();
		}
	}
	free(v);
	free(h);
}

static void test_uniform_small(void **state)
{
	(void)state;
	check_dist(0, 100000);
}

static void test_log_uniform(void **state)
{
	(void)state;
	check_dist(1, 200000);
}

static void test_latency_tail(void **state)
{
	(void)state;
	check_dist(2, 300000);
}

static void test_few_samples(void **state)
{
	(void)state;
	for (size_t n = 1; n < 20; n++)
		check_dist(1, n);
}

static void test_buckets(void **state)
{
	uint64_t prev_end = 0;

	(void)state;
	/* Buckets tile the value range: contiguous, each value in its own. */
	for (unsigned i = 0; i < SHMRING_BENCH_HIST_BUCKETS; i++) {
		uint64_t low, width;

		shmring_bench_hist_bucket(i, &low, &width);
		assert_int_equal(low, prev_end);
		assert_int_equal(shmring_bench_hist_index(low), i);
		assert_int_equal(shmring_bench_hist_index(low + width - 1), i);
		/* The stated precision: half a bucket against its lowest value. */
		if (low)
			assert_true((double)(width - 1) / 2 <= (double)low * SHMRING_BENCH_HIST_PRECISION);
		prev_end = low + width;
	}
	/* Beyond the range: clamped into the last bucket, never past it. */
	assert_int_equal(shmring_bench_hist_index(UINT64_MAX), SHMRING_BENCH_HIST_BUCKETS - 1);
}

static void test_empty_and_merge(void **state)
{
	struct shmring_bench_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	shmring_bench_hist_reset(a);
	shmring_bench_hist_reset(b);
	assert_true(shmring_bench_hist_percentile(a, 50) == 0.0);
	for (uint64_t i = 1; i <= 100; i++)
		shmring_bench_hist_record(i % 2 ? a : b, i * 1000);
	shmring_bench_hist_add(a, b);
	assert_int_equal(a->total, 100);
	assert_int_equal(a->max, 100000);
	assert_int_equal(a->min, 1000);
	double p50 = shmring_bench_hist_percentile(a, 50);
	assert_true(fabs(p50 - 50000) <= 50000 * SHMRING_BENCH_HIST_PRECISION);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_uniform_small),
		cmocka_unit_test(test_log_uniform),
		cmocka_unit_test(test_latency_tail),
		cmocka_unit_test(test_few_samples),
		cmocka_unit_test(test_empty_and_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
