/* SPDX-License-Identifier: MIT */
#include "timing.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

double shmring_bench_ns_per_tick = 1.0;
bool shmring_bench_use_tsc;

#if defined(__x86_64__) || defined(__i386__)
/* A TSC that may stop or change rate between CPUs cannot time a round trip
 * that starts on one CPU's clock and is compared with another run's. */
static bool tsc_invariant(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool constant = false, nonstop = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		constant = strstr(line, " constant_tsc") != NULL;
		nonstop = strstr(line, " nonstop_tsc") != NULL;
		break;
	}
	fclose(f);
	return constant && nonstop;
}

static void calibrate_once(double *out)
{
	unsigned int aux;
	uint64_t t0 = shmring_bench_mono_ns();
	uint64_t c0 = __builtin_ia32_rdtscp(&aux);
	uint64_t t1;

	/* 20 ms against a ~20 ns clock read: a few parts in a million. */
	do
		t1 = shmring_bench_mono_ns();
	while (t1 - t0 < 20000000u);
	uint64_t c1 = __builtin_ia32_rdtscp(&aux);
	*out = (double)(t1 - t0) / (double)(c1 - c0);
}
#endif

int shmring_bench_timing_init(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (tsc_invariant()) {
		double a, b, c;

		/* Three tries, keep the middle: a preemption lengthens one. */
		calibrate_once(&a);
		calibrate_once(&b);
		calibrate_once(&c);
		double lo = a < b ? a : b, hi = a < b ? b : a;
		double mid = c < lo ? lo : (c > hi ? hi : c);

		if (mid > 0.0) {
			shmring_bench_ns_per_tick = mid;
			shmring_bench_use_tsc = true;
			return 0;
		}
	}
#endif
	shmring_bench_ns_per_tick = 1.0;
	shmring_bench_use_tsc = false;
	return 0;
}
