// SPDX-License-Identifier: MIT
// benches/gbench.cc - Google Benchmark behind the C API of gbench.h.

#include "gbench.h"

#include <benchmark/benchmark.h>

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace
{

// What one registration needs at run time. It lives until the process ends:
// Google Benchmark keeps the registered closure for as long.
struct registration {
	shmring_gb_fn *fn;
	void *arg;

	// A reusable barrier for the threads of the run in progress. Runs of one
	// registration never overlap, so one barrier per registration suffices.
	std::mutex mu;
	std::condition_variable cv;
	int waiting = 0;
	unsigned long generation = 0;
};

// Every registration, so that they are freed with the process's statics
// rather than reported as leaks.
std::vector<std::unique_ptr<registration>> &registrations()
{
	static std::vector<std::unique_ptr<registration>> all;
	return all;
}

std::atomic<bool> any_failure{false};

} // namespace

// A shmring_gb_bench pointer is the Google Benchmark object itself; the C
// type stays incomplete and only the pointer crosses.

struct shmring_gb_state {
	benchmark::State *st;
	registration *reg;
	bool batch_started;
	bool pinned;
	cpu_set_t saved_affinity;
};

static benchmark::internal::Benchmark *impl(shmring_gb_bench *b)
{
	return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

static shmring_gb_bench *handle(benchmark::internal::Benchmark *b)
{
	return reinterpret_cast<shmring_gb_bench *>(b);
}

static void run_one(registration *reg, benchmark::State &st)
{
	shmring_gb_state s{};
	s.st = &st;
	s.reg = reg;
	reg->fn(&s, reg->arg);
	if (s.pinned)
		pthread_setaffinity_np(pthread_self(), sizeof s.saved_affinity, &s.saved_affinity);
}

extern "C" {

shmring_gb_bench *shmring_gb_register(const char *name, shmring_gb_fn *fn, void *arg)
{
	auto reg = std::make_unique<registration>();
	reg->fn = fn;
	reg->arg = arg;
	registration *r = reg.get();
	registrations().push_back(std::move(reg));
	return handle(
	    benchmark::RegisterBenchmark(name, [r](benchmark::State &st) { run_one(r, st); }));
}

shmring_gb_bench *shmring_gb_bench_arg(shmring_gb_bench *b, int64_t x)
{
	return handle(impl(b)->Arg(x));
}

shmring_gb_bench *shmring_gb_bench_arg_name(shmring_gb_bench *b, const char *arg_name)
{
	return handle(impl(b)->ArgName(arg_name));
}

shmring_gb_bench *shmring_gb_bench_range(shmring_gb_bench *b, int64_t lo, int64_t hi)
{
	return handle(impl(b)->Range(lo, hi));
}

shmring_gb_bench *shmring_gb_bench_range_multiplier(shmring_gb_bench *b, int multiplier)
{
	return handle(impl(b)->RangeMultiplier(multiplier));
}

shmring_gb_bench *shmring_gb_bench_dense_range(shmring_gb_bench *b, int64_t lo, int64_t hi,
                                               int step)
{
	return handle(impl(b)->DenseRange(lo, hi, step));
}

shmring_gb_bench *shmring_gb_bench_threads(shmring_gb_bench *b, int n)
{
	return handle(impl(b)->Threads(n));
}

shmring_gb_bench *shmring_gb_bench_use_real_time(shmring_gb_bench *b)
{
	return handle(impl(b)->UseRealTime());
}

shmring_gb_bench *shmring_gb_bench_min_time(shmring_gb_bench *b, double seconds)
{
	return handle(impl(b)->MinTime(seconds));
}

shmring_gb_bench *shmring_gb_bench_iterations(shmring_gb_bench *b, int64_t n)
{
	return handle(impl(b)->Iterations(n));
}

shmring_gb_bench *shmring_gb_bench_repetitions(shmring_gb_bench *b, int n)
{
	return handle(impl(b)->Repetitions(n));
}

shmring_gb_bench *shmring_gb_bench_unit(shmring_gb_bench *b, enum shmring_gb_unit unit)
{
	benchmark::TimeUnit u = benchmark::kNanosecond;
	switch (unit) {
	case SHMRING_GB_NS:
		u = benchmark::kNanosecond;
		break;
	case SHMRING_GB_US:
		u = benchmark::kMicrosecond;
		break;
	case SHMRING_GB_MS:
		u = benchmark::kMillisecond;
		break;
	case SHMRING_GB_S:
		u = benchmark::kSecond;
		break;
	}
	return handle(impl(b)->Unit(u));
}

int shmring_gb_main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return any_failure.load() ? 2 : 0;
}

uint64_t shmring_gb_batch(shmring_gb_state *s)
{
	benchmark::State &st = *s->st;
	if (!s->batch_started) {
		s->batch_started = true;
		// One batch of everything: no call back into C++ until it is done.
		// KeepRunningBatch() starts the timer behind the threads' barrier.
		const benchmark::IterationCount n = st.max_iterations;
		return st.KeepRunningBatch(n) ? static_cast<uint64_t>(n) : 0;
	}
	// Nothing is left after the one batch, so this call finishes the loop:
	// it stops the timer and waits for the other threads.
	while (st.KeepRunningBatch(1)) {
	}
	return 0;
}

bool shmring_gb_keep_running(shmring_gb_state *s)
{
	return s->st->KeepRunning();
}

uint64_t shmring_gb_iterations(const shmring_gb_state *s)
{
	return static_cast<uint64_t>(s->st->iterations());
}

int64_t shmring_gb_range(const shmring_gb_state *s, size_t i)
{
	return s->st->range(i);
}

int shmring_gb_thread_index(const shmring_gb_state *s)
{
	return s->st->thread_index();
}

int shmring_gb_thread_count(const shmring_gb_state *s)
{
	return s->st->threads();
}

void shmring_gb_pause(shmring_gb_state *s)
{
	s->st->PauseTiming();
}

void shmring_gb_resume(shmring_gb_state *s)
{
	s->st->ResumeTiming();
}

void shmring_gb_set_items_processed(shmring_gb_state *s, int64_t items)
{
	s->st->SetItemsProcessed(items);
}

void shmring_gb_set_bytes_processed(shmring_gb_state *s, int64_t bytes)
{
	s->st->SetBytesProcessed(bytes);
}

void shmring_gb_counter(shmring_gb_state *s, const char *name, double value, unsigned flags)
{
	// Our flag values are our own, so that the C side never depends on
	// Google Benchmark's enum.
	int f = benchmark::Counter::kDefaults;
	if (flags & SHMRING_GB_RATE)
		f |= benchmark::Counter::kIsRate;
	if (flags & SHMRING_GB_AVG_THREADS)
		f |= benchmark::Counter::kAvgThreads;
	if (flags & SHMRING_GB_PER_ITERATION)
		f |= benchmark::Counter::kAvgIterations;
	if (flags & SHMRING_GB_ITER_INVARIANT)
		f |= benchmark::Counter::kIsIterationInvariant;
	if (flags & SHMRING_GB_INVERT)
		f |= benchmark::Counter::kInvert;
	const auto base = (flags & SHMRING_GB_BASE1024) ? benchmark::Counter::kIs1024
	                                                : benchmark::Counter::kIs1000;
	s->st->counters[name] =
	    benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f), base);
}

void shmring_gb_set_label(shmring_gb_state *s, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	std::vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	s->st->SetLabel(buf);
}

void shmring_gb_skip(shmring_gb_state *s, const char *msg)
{
	s->st->SkipWithError(msg);
}

void shmring_gb_fail(shmring_gb_state *s, const char *msg)
{
	any_failure.store(true);
	s->st->SkipWithError(msg);
}

void shmring_gb_barrier(shmring_gb_state *s)
{
	registration &r = *s->reg;
	const int n = s->st->threads();
	std::unique_lock<std::mutex> lock(r.mu);
	const unsigned long gen = r.generation;
	if (++r.waiting == n) {
		r.waiting = 0;
		r.generation++;
		r.cv.notify_all();
		return;
	}
	r.cv.wait(lock, [&] { return r.generation != gen; });
}

int shmring_gb_pin_cpu(shmring_gb_state *s, int cpu)
{
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -EINVAL;
	if (!s->pinned) {
		int rc = pthread_getaffinity_np(pthread_self(), sizeof s->saved_affinity,
		                                &s->saved_affinity);
		if (rc != 0)
			return -rc;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	if (rc != 0)
		return -rc;
	s->pinned = true;
	return 0;
}

} // extern "C"
