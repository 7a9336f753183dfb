/* SPDX-License-Identifier: MIT */
#include "hist.h"

#include <math.h>
#include <string.h>

void shmring_bench_hist_reset(struct shmring_bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void shmring_bench_hist_bucket(unsigned i, uint64_t *low, uint64_t *width)
{
	if (i < (1u << SHMRING_BENCH_HIST_SUB_BITS)) {
		*low = i;
		*width = 1;
		return;
	}
	unsigned j = i - (1u << SHMRING_BENCH_HIST_SUB_BITS);
	unsigned shift = j / SHMRING_BENCH_HIST_HALF + 1;
	uint64_t top = j % SHMRING_BENCH_HIST_HALF + SHMRING_BENCH_HIST_HALF;

	*low = top << shift;
	*width = UINT64_C(1) << shift;
}

double shmring_bench_hist_percentile(const struct shmring_bench_hist *h, double p)
{
	if (h->total == 0)
		return 0.0;
	if (p >= 100.0)
		return (double)h->max;
	/* The rank of the sample at p, counted from 1, as a sorted array's
	 * element ceil(p/100 * n) would be. */
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->total);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;

	for (unsigned i = 0; i < SHMRING_BENCH_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen < rank)
			continue;
		uint64_t low, width;

		shmring_bench_hist_bucket(i, &low, &width);
		double v = (double)low + (double)(width - 1) / 2.0;
		if (v < (double)h->min)
			v = (double)h->min;
		if (v > (double)h->max)
			v = (double)h->max;
		return v;
	}
	return (double)h->max;
}

double shmring_bench_hist_mean(const struct shmring_bench_hist *h)
{
	return h->total ? h->sum / (double)h->total : 0.0;
}

void shmring_bench_hist_add(struct shmring_bench_hist *dst, const struct shmring_bench_hist *src)
{
	for (unsigned i = 0; i < SHMRING_BENCH_HIST_BUCKETS; i++)
		dst->count[i] += src->count[i];
	dst->total += src->total;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
	if (src->min < dst->min)
		dst->min = src->min;
}
