/* SPDX-License-Identifier: MIT */
/*
 * benches/gbench.h - a small C face on Google Benchmark.
 *
 * Benchmark bodies stay in C11; this header and gbench.cc carry them into
 * Google Benchmark's C++ runner, which keeps its command line, reporters,
 * repetition statistics and JSON/CSV output.
 *
 *   static void bm_op(shmring_gb_state *st, void *arg)
 *   {
 *           prepare();
 *           for (uint64_t n; (n = shmring_gb_batch(st)) != 0;)
 *                   for (uint64_t i = 0; i < n; i++)
 *                           op();
 *           shmring_gb_set_items_processed(st, (int64_t)shmring_gb_iterations(st));
 *   }
 *
 *   int main(int argc, char **argv)
 *   {
 *           shmring_gb_bench_arg(shmring_gb_register("op", bm_op, NULL), 8);
 *           return shmring_gb_main(argc, argv);
 *   }
 *
 * Timing loop: shmring_gb_batch() hands the whole iteration count to C at
 * once, so nothing crosses into C++ per iteration and the loop costs what a C
 * for loop costs (about 0.3 ns per empty iteration here, against about 1.5 ns
 * for one out-of-line shmring_gb_keep_running() call per iteration; see
 * the "shim/" benchmarks of shmring_gb_ops). Use the batch form in anything
 * cheaper than a few hundred nanoseconds.
 *
 * Threads: a benchmark given shmring_gb_bench_threads(b, n) runs its function
 * in n threads at once, each with its own shmring_gb_state. Every thread runs
 * the same number of iterations; the timer starts when all of them enter the
 * loop and stops when all of them leave it. Counters set in several threads
 * are summed.
 *
 * None of these calls is async-signal-safe. Configuration calls belong before
 * shmring_gb_main(); state calls belong in the thread that was handed st.
 */
#ifndef SHMRING_BENCHES_GBENCH_H
#define SHMRING_BENCHES_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One thread's view of one run of a benchmark. */
typedef struct shmring_gb_state shmring_gb_state;
/* A registered benchmark, to be configured before shmring_gb_main(). */
typedef struct shmring_gb_bench shmring_gb_bench;

typedef void shmring_gb_fn(shmring_gb_state *st, void *arg);

/* --- Registration and configuration ------------------------------------ */

/*
 * Register fn under name; arg is handed to every call. The name is copied.
 * Without arguments the benchmark runs once per configuration; each
 * shmring_gb_bench_arg()/range call adds runs. Returns b for the calls below,
 * which all return b so they can be nested.
 */
shmring_gb_bench *shmring_gb_register(const char *name, shmring_gb_fn *fn, void *arg);

shmring_gb_bench *shmring_gb_bench_arg(shmring_gb_bench *b, int64_t x);
/* Name shown for argument 0 ("slot" gives "name/slot:8"). */
shmring_gb_bench *shmring_gb_bench_arg_name(shmring_gb_bench *b, const char *arg_name);
/* lo, then powers of the multiplier (default 8) up to hi, then hi. */
shmring_gb_bench *shmring_gb_bench_range(shmring_gb_bench *b, int64_t lo, int64_t hi);
shmring_gb_bench *shmring_gb_bench_range_multiplier(shmring_gb_bench *b, int multiplier);
/* lo, lo + step, ... up to hi. */
shmring_gb_bench *shmring_gb_bench_dense_range(shmring_gb_bench *b, int64_t lo, int64_t hi,
                                               int step);
/* Run in n threads; may be given several times for several runs. */
shmring_gb_bench *shmring_gb_bench_threads(shmring_gb_bench *b, int n);
/* Report wall-clock time (and rates over it) rather than CPU time. */
shmring_gb_bench *shmring_gb_bench_use_real_time(shmring_gb_bench *b);
/* Run at least this long; overrides --benchmark_min_time for this one. */
shmring_gb_bench *shmring_gb_bench_min_time(shmring_gb_bench *b, double seconds);
/* Exactly n iterations instead of a count chosen from the minimum time. */
shmring_gb_bench *shmring_gb_bench_iterations(shmring_gb_bench *b, int64_t n);
shmring_gb_bench *shmring_gb_bench_repetitions(shmring_gb_bench *b, int n);

enum shmring_gb_unit {
	SHMRING_GB_NS,
	SHMRING_GB_US,
	SHMRING_GB_MS,
	SHMRING_GB_S,
};
shmring_gb_bench *shmring_gb_bench_unit(shmring_gb_bench *b, enum shmring_gb_unit unit);

/*
 * Initialise Google Benchmark from the command line (--benchmark_filter,
 * --benchmark_min_time=SECONDS, --benchmark_repetitions, --benchmark_format,
 * ...), run the benchmarks selected and shut down. Returns the exit status
 * for main: 0, 1 for an unknown argument, 2 when a benchmark failed
 * (shmring_gb_fail()).
 */
int shmring_gb_main(int argc, char **argv);

/* --- Inside a benchmark ----------------------------------------------- */

/*
 * Batch timing loop: returns how many iterations to run now, then 0 once
 * they are done (or when the run is skipped). The first call starts the
 * timer, the call that returns 0 stops it; call it until it returns 0:
 *   for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) for (i < n) ...
 */
uint64_t shmring_gb_batch(shmring_gb_state *st);

/* Per-iteration timing loop: while (shmring_gb_keep_running(st)) ... */
bool shmring_gb_keep_running(shmring_gb_state *st);

/* Iterations run so far in this thread (after the loop: all of them). */
uint64_t shmring_gb_iterations(const shmring_gb_state *st);

/* Argument i of this run (shmring_gb_bench_arg/range). */
int64_t shmring_gb_range(const shmring_gb_state *st, size_t i);

/* This thread's index in the run, 0..count-1, and the count. */
int shmring_gb_thread_index(const shmring_gb_state *st);
int shmring_gb_thread_count(const shmring_gb_state *st);

/*
 * Stop and restart the timer, inside the loop. Each pair costs two clock
 * reads and more, so keep them out of anything measured per iteration.
 */
void shmring_gb_pause(shmring_gb_state *st);
void shmring_gb_resume(shmring_gb_state *st);

/* Rates: items (or bytes) processed over the run, reported per second. */
void shmring_gb_set_items_processed(shmring_gb_state *st, int64_t items);
void shmring_gb_set_bytes_processed(shmring_gb_state *st, int64_t bytes);

/* Counter flags; combine with |. */
enum shmring_gb_counter_flags {
	SHMRING_GB_PLAIN = 0,
	SHMRING_GB_RATE = 1u << 0,           /* divided by the run's time: per second */
	SHMRING_GB_AVG_THREADS = 1u << 1,    /* divided by the thread count */
	SHMRING_GB_PER_ITERATION = 1u << 2,  /* divided by the iteration count */
	SHMRING_GB_ITER_INVARIANT = 1u << 3, /* multiplied by the iteration count */
	SHMRING_GB_INVERT = 1u << 4,         /* 1/x after the above: time per unit */
	SHMRING_GB_BASE1024 = 1u << 5,       /* print with 1024-based prefixes */
};

/* Set (replace) a user counter shown as a column named name. */
void shmring_gb_counter(shmring_gb_state *st, const char *name, double value, unsigned flags);

/* The run's label, printf-style; the last one set wins. */
void shmring_gb_set_label(shmring_gb_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * End the run without a result, reporting msg. Call it before the timing
 * loop (then skip the loop) or inside it (then break out and call
 * shmring_gb_batch/keep_running once more). In a threaded run, every thread
 * must take the same path: all skip the loop, or none does.
 * shmring_gb_skip() is for runs that cannot apply here (a missing CPU);
 * shmring_gb_fail() also makes shmring_gb_main() return 2.
 */
void shmring_gb_skip(shmring_gb_state *st, const char *msg);
void shmring_gb_fail(shmring_gb_state *st, const char *msg);

/*
 * Wait until every thread of this run has called it as many times as this
 * thread. It is outside the timing loop's own barriers, so setup done by one
 * thread before it is visible to all after it.
 */
void shmring_gb_barrier(shmring_gb_state *st);

/*
 * Pin the calling thread to one CPU until the benchmark function returns
 * (its previous affinity is restored then: thread 0 is the runner's own
 * thread). 0 or a negative errno.
 */
int shmring_gb_pin_cpu(shmring_gb_state *st, int cpu);

/* Keep the compiler from discarding what p points to or the work that made it. */
static inline void shmring_gb_escape(const void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

#ifdef __cplusplus
}
#endif

#endif /* SHMRING_BENCHES_GBENCH_H */
