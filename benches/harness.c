/* SPDX-License-Identifier: MIT */
/* benches/harness.c - names, placement, the floor and the two-thread driver. */

#include "harness.h"

#include "ringbuf/atomics.h"

#include <shmring/shmring.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

const int64_t bench_slot_sizes[2] = {8, 64};

void bench_ring_name(char *buf, size_t size)
{
	static atomic_uint next;
	/* relaxed: only uniqueness is needed, and the increment is atomic either way. */
	unsigned n = atomic_fetch_add_explicit(&next, 1, memory_order_relaxed);
	snprintf(buf, size, "/shmring-gb-%ld-%u", (long)getpid(), n);
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void *bench_alloc(size_t size)
{
	size_t rounded = (size + BENCH_SPACING - 1) / BENCH_SPACING * BENCH_SPACING;
	void *p = aligned_alloc(BENCH_SPACING, rounded);
	if (p)
		memset(p, 0, rounded);
	return p;
}

void bench_count(shmring_gb_state *st, unsigned msgs, unsigned size)
{
	const int64_t n = (int64_t)shmring_gb_iterations(st) * msgs;
	shmring_gb_set_items_processed(st, n);
	shmring_gb_set_bytes_processed(st, n * size);
}

shmring_gb_bench *bench_register_slots(const char *name, shmring_gb_fn *fn, void *arg)
{
	shmring_gb_bench *b = shmring_gb_register(name, fn, arg);
	for (size_t i = 0; i < sizeof bench_slot_sizes / sizeof bench_slot_sizes[0]; i++)
		shmring_gb_bench_arg(b, bench_slot_sizes[i]);
	return shmring_gb_bench_arg_name(b, "slot");
}

/*
 * The CPU for a side: the side-th CPU this thread may run on, or -1 when
 * there are fewer than two (two spinning threads on one CPU measure the
 * scheduler, not the ring).
 */
static int cpu_for_side(int side)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < 2)
		return -1;
	for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &set) && seen++ == side)
			return cpu;
	}
	return -1;
}

/* --- The floor -------------------------------------------------------- */

/*
 * rounds round trips over one line: side 0 writes base+2i+1 and waits for
 * base+2i+2, which side 1 writes when it sees the first. Both sides must
 * use the same base and rounds.
 */
static void floor_bounce(struct bench_floor_line *f, int side, uint64_t base, uint64_t rounds)
{
	/*
	 * relaxed throughout: the word is the only data exchanged, and a relaxed
	 * access costs the same cache-line transfer the rings pay.
	 */
	for (uint64_t i = 0; i < rounds; i++) {
		const uint64_t ping = base + 2 * i + 1;
		if (side == 0) {
			atomic_store_explicit(&f->word, ping, memory_order_relaxed);
			while (atomic_load_explicit(&f->word, memory_order_relaxed) != ping + 1)
				shmring__cpu_relax();
		} else {
			while (atomic_load_explicit(&f->word, memory_order_relaxed) != ping)
				shmring__cpu_relax();
			atomic_store_explicit(&f->word, ping + 1, memory_order_relaxed);
		}
	}
}

/*
 * The same over two lines, one per direction, as a round trip through two
 * rings uses them: side 0 writes the first and waits on the second, side 1
 * the other way round.
 */
static void floor_bounce2(struct bench_floor_line *f, int side, uint64_t base, uint64_t rounds)
{
	_Atomic uint64_t *mine = &f[side].word, *theirs = &f[!side].word;

	/* relaxed throughout, as in floor_bounce(). */
	for (uint64_t i = 0; i < rounds; i++) {
		const uint64_t v = base + i + 1;
		if (side == 0) {
			atomic_store_explicit(mine, v, memory_order_relaxed);
			while (atomic_load_explicit(theirs, memory_order_relaxed) != v)
				shmring__cpu_relax();
		} else {
			while (atomic_load_explicit(theirs, memory_order_relaxed) != v)
				shmring__cpu_relax();
			atomic_store_explicit(mine, v, memory_order_relaxed);
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * A short floor measurement, about 0.1 ms near and 0.5 ms far. Both sides
 * call it together; side 0 gets the median round trip of 8 chunks in ns
 * (the median shrugs off a chunk hit by an interrupt), side 1 gets 0.
 * *base advances identically on both sides.
 */
static double floor_probe(struct bench_floor_line *f, int side, uint64_t *base)
{
	enum { WARM = 64, CHUNKS = 8, CHUNK = 128 };
	double ns[CHUNKS];

	floor_bounce(f, side, *base, WARM);
	*base += 2 * WARM;
	for (int c = 0; c < CHUNKS; c++) {
		const uint64_t t0 = bench_now_ns();
		floor_bounce(f, side, *base, CHUNK);
		*base += 2 * CHUNK;
		ns[c] = (double)(bench_now_ns() - t0) / CHUNK;
	}
	if (side != 0)
		return 0;
	qsort(ns, CHUNKS, sizeof ns[0], cmp_double);
	return (ns[CHUNKS / 2 - 1] + ns[CHUNKS / 2]) / 2;
}

/* --- Timing in chunks ---------------------------------------------------- */

typedef int chunk_fn(void *ctx, int side, uint64_t first, uint64_t n);

/* One side's timed loop, chunk by chunk. */
struct chunks {
	double *per_op; /* ns per operation of each chunk; NULL if there was no room */
	size_t count;
	uint64_t ops; /* operations done */
	uint64_t ns;  /* over all of them */
};

/* Run operations 0..n-1 in chunks of BENCH_CHUNK, timing each. 0, or -1 when fn failed. */
static int chunks_run(struct chunks *c, chunk_fn *fn, void *ctx, int side, uint64_t n)
{
	const uint64_t start = bench_now_ns();
	uint64_t t = start;
	int rc = 0;

	/* Without room for chunk times, the mean stands in for the median. */
	c->per_op = malloc((size_t)((n + BENCH_CHUNK - 1) / BENCH_CHUNK) * sizeof *c->per_op);
	c->count = 0;
	c->ops = 0;
	while (c->ops < n) {
		const uint64_t m = n - c->ops < BENCH_CHUNK ? n - c->ops : BENCH_CHUNK;
		if ((rc = fn(ctx, side, c->ops, m)) != 0)
			break;
		const uint64_t now = bench_now_ns();
		if (c->per_op)
			c->per_op[c->count++] = (double)(now - t) / (double)m;
		t = now;
		c->ops += m;
	}
	c->ns = t - start;
	return rc;
}

/* The mean and the median chunk, per operation, in ns; frees the chunk times. */
static void chunks_finish(struct chunks *c, double *median, double *mean)
{
	*mean = c->ops ? (double)c->ns / (double)c->ops : 0;
	*median = *mean;
	if (c->count > 0) {
		qsort(c->per_op, c->count, sizeof c->per_op[0], cmp_double);
		*median = c->count % 2
		              ? c->per_op[c->count / 2]
		              : (c->per_op[c->count / 2 - 1] + c->per_op[c->count / 2]) / 2;
	}
	free(c->per_op);
	c->per_op = NULL;
}

/* This thread's side and CPU in a two-thread run; false (the run skipped)
 * when there are not two CPUs. Both threads see the same affinity, so both
 * take this exit or neither. */
static bool two_sides(shmring_gb_state *st, int *side, int *cpu)
{
	*side = shmring_gb_thread_index(st);
	*cpu = cpu_for_side(*side);
	if (shmring_gb_thread_count(st) != 2 || *cpu < 0) {
		shmring_gb_skip(st, "needs two threads on two CPUs");
		return false;
	}
	return true;
}

static int floor_chunk(void *ctx, int side, uint64_t first, uint64_t n)
{
	floor_bounce(ctx, side, 2 * first, n);
	return 0;
}

static int floor2_chunk(void *ctx, int side, uint64_t first, uint64_t n)
{
	floor_bounce2(ctx, side, first, n);
	return 0;
}

/* The floors: arg is the line (one_line) or the two lines (two_lines). */
struct floor_kind {
	struct bench_floor_line *lines;
	unsigned n;
	chunk_fn *chunk;
};

static void floor_run(shmring_gb_state *st, void *arg)
{
	const struct floor_kind *fk = arg;
	struct chunks c = {0};
	int side, cpu;

	if (!two_sides(st, &side, &cpu))
		return;
	/* A failed pin leaves the run measuring wherever the threads land: still a floor. */
	(void)shmring_gb_pin_cpu(st, cpu);
	if (side == 0) {
		for (unsigned i = 0; i < fk->n; i++)
			/* relaxed: the barrier below publishes it. */
			atomic_store_explicit(&fk->lines[i].word, 0, memory_order_relaxed);
	}
	shmring_gb_barrier(st);

	for (uint64_t k; (k = shmring_gb_batch(st)) != 0;)
		(void)chunks_run(&c, fk->chunk, fk->lines, side, k);

	double median, mean;
	chunks_finish(&c, &median, &mean);
	if (side == 0 && c.ops > 0) {
		shmring_gb_counter(st, "rtt_ns", median, SHMRING_GB_PLAIN);
		shmring_gb_counter(st, "mean_ns", mean, SHMRING_GB_PLAIN);
		if (mean > 1.25 * median)
			shmring_gb_set_label(st, "preempted: mean %.1fx median", mean / median);
	}
}

void bench_floor_register(void)
{
	static struct bench_floor_line one, two[2];
	static struct floor_kind kinds[] = {
	    {&one, 1, floor_chunk},
	    {two, 2, floor2_chunk},
	};

	shmring_gb_bench_use_real_time(shmring_gb_bench_threads(
	    shmring_gb_register("floor/one_line", floor_run, &kinds[0]), 2));
	shmring_gb_bench_use_real_time(shmring_gb_bench_threads(
	    shmring_gb_register("floor/two_lines", floor_run, &kinds[1]), 2));
}

/* --- The two-thread driver ------------------------------------------------ */

int bench_ring_pair_setup(struct bench_pair *p, void *(*make)(const struct bench_pair *p, int dir),
                          void (*drop)(void *ring), int err)
{
	struct bench_ring_pair *s = calloc(1, sizeof *s);

	if (!s)
		return -ENOMEM;
	s->drop = drop;
	s->r[0] = make(p, 0);
	s->r[1] = make(p, 1);
	p->ring = s;
	if (!s->r[0] || !s->r[1]) {
		bench_ring_pair_teardown(p);
		return err;
	}
	return 0;
}

void bench_ring_pair_teardown(struct bench_pair *p)
{
	struct bench_ring_pair *s = p->ring;

	for (int dir = 0; dir < 2; dir++)
		if (s->r[dir])
			s->drop(s->r[dir]);
	free(s);
	p->ring = NULL;
}

void bench_pair_abort(struct bench_pair *p, const char *why)
{
	const char *none = NULL;
	/* relaxed: only which reason wins matters; the barrier after the loop publishes it. */
	atomic_compare_exchange_strong_explicit(&p->why, &none, why, memory_order_relaxed,
	                                        memory_order_relaxed);
	/* relaxed: the partner only needs to leave its spin; why travels with the barrier. */
	atomic_store_explicit(&p->stop, true, memory_order_relaxed);
}

static void pair_fail(shmring_gb_state *st, struct bench_pair *p, const char *what, int err)
{
	char msg[160]; /* copied by the runner: both sides may fail at once */
	snprintf(msg, sizeof msg, "%s %s: %s", p->impl->name, what, shmring_strerror(err));
	shmring_gb_fail(st, msg);
}

static void pair_report(shmring_gb_state *st, struct bench_pair *p, int side, uint64_t n)
{
	if (p->mode == BENCH_STREAM && side == 1)
		shmring_gb_set_items_processed(st, (int64_t)n);
	if (side != 0)
		return;

	/* A stream is timed by its receiver, a round trip by its sender. */
	const int clock = p->mode == BENCH_STREAM ? 1 : 0;
	const double ns = p->median_ns[clock], mean = p->mean_ns[clock];
	const double before = p->floor_ns[0], after = p->floor_ns[1];
	const double floor_ns = (before + after) / 2;
	char label[128] = "";

	shmring_gb_counter(st, p->mode == BENCH_STREAM ? "ns_per_msg" : "rtt_ns", ns,
	                   SHMRING_GB_PLAIN);
	shmring_gb_counter(st, "mean_ns", mean, SHMRING_GB_PLAIN);
	shmring_gb_counter(st, "floor_ns", floor_ns, SHMRING_GB_PLAIN);
	shmring_gb_counter(st, "x_floor", ns / floor_ns, SHMRING_GB_PLAIN);
	/* Near and far placements differ ~5x; 1.5x apart means the host moved us mid-run. */
	if (before > 1.5 * after || after > 1.5 * before)
		snprintf(label, sizeof label, "floor moved %.0f->%.0f ns", before, after);
	/* A mean well above the median: some chunks waited on a preempted vCPU. */
	if (mean > 1.25 * ns) {
		const size_t len = strlen(label);
		snprintf(label + len, sizeof label - len, "%spreempted: mean %.1fx median",
		         len ? "; " : "", mean / ns);
	}
	if (label[0] != '\0')
		shmring_gb_set_label(st, "%s", label);
}

static int pair_chunk(void *ctx, int side, uint64_t first, uint64_t n)
{
	struct bench_pair *p = ctx;
	return p->impl->chunk(p, side, first, n);
}

static void pair_run(shmring_gb_state *st, void *arg)
{
	struct bench_pair *p = arg;
	struct chunks c = {0};
	int side, cpu;

	if (!two_sides(st, &side, &cpu))
		return;

	if (side == 0) {
		/* relaxed: the barrier below publishes all of these to side 1. */
		atomic_store_explicit(&p->stop, false, memory_order_relaxed);
		atomic_store_explicit(&p->why, NULL, memory_order_relaxed);
		atomic_store_explicit(&p->floor.word, 0, memory_order_relaxed);
		p->slot = (uint32_t)shmring_gb_range(st, 0);
		p->setup_rc = p->impl->setup(p);
	}
	shmring_gb_barrier(st);
	if (p->setup_rc != 0) {
		pair_fail(st, p, "setup", p->setup_rc);
		return;
	}

	int rc = shmring_gb_pin_cpu(st, cpu);
	p->attach_rc[side] = rc != 0 ? rc : p->impl->attach ? p->impl->attach(p, side) : 0;
	shmring_gb_barrier(st);
	const int attach_rc = p->attach_rc[0] != 0 ? p->attach_rc[0] : p->attach_rc[1];
	if (attach_rc != 0) {
		if (rc == 0 && p->attach_rc[side] == 0 && p->impl->detach)
			p->impl->detach(p, side);
		shmring_gb_barrier(st);
		if (side == 0)
			p->impl->teardown(p);
		pair_fail(st, p, "attach", attach_rc);
		return;
	}

	uint64_t base = 0;
	const double before = floor_probe(&p->floor, side, &base);
	for (uint64_t k; (k = shmring_gb_batch(st)) != 0;)
		(void)chunks_run(&c, pair_chunk, p, side, k);
	const double after = floor_probe(&p->floor, side, &base);

	chunks_finish(&c, &p->median_ns[side], &p->mean_ns[side]);
	if (side == 0) {
		p->floor_ns[0] = before;
		p->floor_ns[1] = after;
	}
	if (p->impl->detach)
		p->impl->detach(p, side);
	shmring_gb_barrier(st);
	if (side == 0)
		p->impl->teardown(p);

	/* relaxed: set before the barrier above, which ordered it for us. */
	const char *why = atomic_load_explicit(&p->why, memory_order_relaxed);
	if (why != NULL) {
		char msg[160];
		snprintf(msg, sizeof msg, "%s: %s", p->impl->name, why);
		shmring_gb_fail(st, msg);
	} else if (c.ops > 0) {
		pair_report(st, p, side, c.ops);
	}
}

void bench_pair_register(const char *family, const struct bench_pair_impl *impl,
                         enum bench_pair_mode mode)
{
	struct bench_pair *p = bench_alloc(sizeof *p);
	char name[96];

	if (!p) {
		fprintf(stderr, "%s/%s: out of memory\n", family, impl->name);
		exit(1);
	}
	/* Registrations last as long as the process; keep their memory reachable. */
	static struct bench_pair *registered;
	p->next = registered;
	registered = p;
	p->impl = impl;
	p->mode = mode;
	snprintf(name, sizeof name, "%s/%s", family, impl->name);
	shmring_gb_bench *b = bench_register_slots(name, pair_run, p);
	shmring_gb_bench_use_real_time(shmring_gb_bench_threads(b, 2));
}
