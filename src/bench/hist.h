/* SPDX-License-Identifier: MIT */
/*
 * src/bench/hist.h - a log-linear histogram (in the manner of HdrHistogram).
 *
 * Values below 2^SUB_BITS are counted exactly; above, each power-of-two range
 * is split into 2^(SUB_BITS-1) equal buckets, so a bucket is at most 1/128 of
 * its lowest value wide. A percentile is reported as the middle of its
 * bucket: within SHMRING_BENCH_HIST_PRECISION (relative) of the exact value
 * taken from a sorted array of every sample. Memory is fixed (~35 KiB) and
 * recording is a few instructions, whatever the number of samples.
 */
#ifndef SHMRING_BENCH_HIST_H
#define SHMRING_BENCH_HIST_H

#include <stdint.h>
#include <stdio.h>

#define SHMRING_BENCH_HIST_SUB_BITS 8u
#define SHMRING_BENCH_HIST_MAX_BITS 40u /* larger values are clamped (18 min of ns) */
/* Stated relative precision of every percentile: 1/256. */
#define SHMRING_BENCH_HIST_PRECISION (1.0 / 256.0)

#define SHMRING_BENCH_HIST_HALF (1u << (SHMRING_BENCH_HIST_SUB_BITS - 1))
#define SHMRING_BENCH_HIST_BUCKETS \
	((1u << SHMRING_BENCH_HIST_SUB_BITS) + \
	 (SHMRING_BENCH_HIST_MAX_BITS - SHMRING_BENCH_HIST_SUB_BITS) * SHMRING_BENCH_HIST_HALF)

struct shmring_bench_hist {
	uint64_t total;
	uint64_t min, max;  /* exact */
	double sum;
	uint64_t count[SHMRING_BENCH_HIST_BUCKETS];
};

void shmring_bench_hist_reset(struct shmring_bench_hist *h);

static inline unsigned shmring_bench_hist_index(uint64_t v)
{
	if (v < (1u << SHMRING_BENCH_HIST_SUB_BITS))
		return (unsigned)v;
	if (v >> SHMRING_BENCH_HIST_MAX_BITS)
		v = (UINT64_C(1) << SHMRING_BENCH_HIST_MAX_BITS) - 1;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - (SHMRING_BENCH_HIST_SUB_BITS - 1);
	unsigned top = (unsigned)(v >> shift); /* in [HALF, 2*HALF) */

	return (1u << SHMRING_BENCH_HIST_SUB_BITS) + (shift - 1) * SHMRING_BENCH_HIST_HALF +
	       (top - SHMRING_BENCH_HIST_HALF);
}

static inline void shmring_bench_hist_record(struct shmring_bench_hist *h, uint64_t v)
{
	h->count[shmring_bench_hist_index(v)]++;
	h->total++;
	h->sum += (double)v;
	if (v > h->max)
		h->max = v;
	if (v < h->min)
		h->min = v;
}

/* The lowest value and the width of bucket i. */
void shmring_bench_hist_bucket(unsigned i, uint64_t *low, uint64_t *width);

/* The value at percentile p (0 < p <= 100), as the middle of its bucket
 * clamped to [min, max]; 0 when empty. */
double shmring_bench_hist_percentile(const struct shmring_bench_hist *h, double p);

double shmring_bench_hist_mean(const struct shmring_bench_hist *h);

/* Merge src into dst. */
void shmring_bench_hist_add(struct shmring_bench_hist *dst, const struct shmring_bench_hist *src);

#endif /* SHMRING_BENCH_HIST_H */
