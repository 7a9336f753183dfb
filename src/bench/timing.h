/* SPDX-License-Identifier: MIT */
/*
 * src/bench/timing.h - cheap timestamps for per-round-trip timing.
 *
 * On x86 the TSC is read directly (rdtsc), calibrated once against
 * CLOCK_MONOTONIC: clock_gettime costs ~20 ns here, half the floor itself.
 * Elsewhere, or when the TSC is not invariant, ticks are CLOCK_MONOTONIC ns.
 */
#ifndef SHMRING_BENCH_TIMING_H
#define SHMRING_BENCH_TIMING_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

extern double shmring_bench_ns_per_tick;
extern bool shmring_bench_use_tsc;

/* Calibrate once per process, before fork; 0 or -errno. */
int shmring_bench_timing_init(void);

static inline uint64_t shmring_bench_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t shmring_bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t shmring_bench_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (shmring_bench_use_tsc) {
		/* Plain rdtsc, not rdtscp (19 ns against 10 ns here): the loops
		 * take one stamp per iteration and time stamp to stamp, so an
		 * early read shortens one interval and lengthens the next by the
		 * same few cycles. */
		return __builtin_ia32_rdtsc();
	}
#endif
	return shmring_bench_mono_ns();
}

static inline double shmring_bench_ticks_to_ns(uint64_t t)
{
	return (double)t * shmring_bench_ns_per_tick;
}

static inline uint64_t shmring_bench_ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((double)ns / shmring_bench_ns_per_tick);
}

static inline void shmring_bench_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* SHMRING_BENCH_TIMING_H */
