/* SPDX-License-Identifier: MIT */
/*
 * benches/harness.h - what the in-process benchmarks share: ring names, CPU
 * placement, the cache-line floor, and a driver for two-thread benchmarks
 * that runs any ring through the same steps.
 *
 * The floor: the host moves the two vCPUs between near and far physical
 * cores every few seconds, which changes every cross-thread figure by ~3x.
 * So each two-thread run measures the round trip of one bounced cache line
 * just before and just after its timed loop, and reports its figure as a
 * multiple of that floor (x_floor); a run whose floor moved in between says
 * so in its label.
 */
#ifndef SHMRING_BENCHES_HARNESS_H
#define SHMRING_BENCHES_HARNESS_H

#include "gbench.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Slots in every ring measured, ours and the peers'. */
#define BENCH_CAPACITY 4096u
/* Largest message measured; buffers are sized for it. */
#define BENCH_MAX_SLOT 64u
/* Operations per timed chunk of a two-thread loop: ~10 us streaming, ~60 us-1 ms in round trips. */
#define BENCH_CHUNK 1024u
/* A message of up to BENCH_MAX_SLOT bytes, as the loops hold it. */
struct bench_msg {
	unsigned char b[BENCH_MAX_SLOT];
};
/* Largest bulk measured. */
#define BENCH_MAX_BULK 256u
/* Spacing of independently written shared words (x86 prefetches line pairs). */
#define BENCH_SPACING 128

/* Inlined at every call, so that a constant message size specialises a loop. */
#define BENCH_INLINE static inline __attribute__((always_inline))

/* A name no other ring has: "/shmring-gb-<pid>-<n>". */
void bench_ring_name(char *buf, size_t size);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* Memory aligned to BENCH_SPACING and zero-filled (so its pages are mapped), or NULL. */
void *bench_alloc(size_t size);

/*
 * The first eight bytes of every message carry its sequence number, so a
 * receiver can check it got each message once and in order at the cost of
 * one compare.
 */
static inline void bench_msg_stamp(void *msg, uint64_t seq)
{
	memcpy(msg, &seq, sizeof seq);
}

static inline uint64_t bench_msg_seq(const void *msg)
{
	uint64_t seq;
	memcpy(&seq, msg, sizeof seq);
	return seq;
}

/* Set a one-thread run's counters: msgs messages of size bytes an iteration. */
void bench_count(shmring_gb_state *st, unsigned msgs, unsigned size);

/* Slot sizes every benchmark is run with. */
extern const int64_t bench_slot_sizes[2];

/* Register fn with one run per slot size, argument 0 shown as "slot:N". */
shmring_gb_bench *bench_register_slots(const char *name, shmring_gb_fn *fn, void *arg);

/* --- Two-thread benchmarks ------------------------------------------------ */

enum bench_pair_mode {
	BENCH_STREAM, /* side 0 sends n messages a->b, side 1 receives them: messages/s */
	BENCH_RTT,    /* n round trips, a->b then b->a: ns per round trip */
};

struct bench_pair;

/*
 * One ring implementation as the two-thread driver sees it. Each side is
 * one thread, pinned to its own CPU; side 0 also runs setup and teardown.
 * The driver calls, in order: setup (side 0 alone), attach (each side, when
 * given), chunk (both sides at once, for each chunk of a run), detach (each
 * side, when given), teardown (side 0, after both detached). Failures go
 * through bench_pair_abort() or a negative return. benches/loops.h makes
 * chunk from a ring's one-message calls.
 */
struct bench_pair_impl {
	const char *name;
	const void *arg; /* for families of implementations sharing one code (ring kinds) */
	/* Build two rings of slot-byte messages, a->b and b->a. 0 or -errno. */
	int (*setup)(struct bench_pair *p);
	/* Take this side's ends: side 0 sends on a->b and receives on b->a.
	 * 0 or -errno. NULL: both sides use the rings setup made. */
	int (*attach)(struct bench_pair *p, int side);
	void (*detach)(struct bench_pair *p, int side);
	void (*teardown)(struct bench_pair *p);
	/*
	 * BENCH_STREAM: side 0 sends messages first..first+n-1 on a->b, side 1
	 * receives and checks them. BENCH_RTT: for each of those, side 0 sends
	 * it on a->b and waits for it back on b->a, side 1 echoes it. Both spin
	 * with a pause while full or empty, and give up when
	 * bench_pair_stopped(). Called once per chunk of a run. 0 or -1.
	 */
	int (*chunk)(struct bench_pair *p, int side, uint64_t first, uint64_t n);
};

/* The bounced cache line of the floor, alone on its lines. */
struct bench_floor_line {
	alignas(BENCH_SPACING) _Atomic uint64_t word;
	char pad[BENCH_SPACING - sizeof(uint64_t)];
};

/* Shared by the two threads of one run; one per registration, reused by its runs. */
struct bench_pair {
	alignas(BENCH_SPACING) _Atomic bool stop;
	_Atomic(const char *) why;
	const struct bench_pair_impl *impl;
	enum bench_pair_mode mode;
	uint32_t slot;           /* message size of the run */
	void *ring;              /* the impl's state, from setup to teardown */
	int setup_rc;            /* written by side 0 before a barrier */
	int attach_rc[2];        /* each written by its side before a barrier */
	double median_ns[2];     /* each side's own loop: median chunk, per operation */
	double mean_ns[2];       /* and the mean over the whole loop */
	double floor_ns[2];      /* side 0: before and after the loop */
	struct bench_pair *next; /* the registrations, for the process's lifetime */
	struct bench_floor_line floor;
};

/*
 * For rings that both sides use as they are (no per-thread handle): the two
 * rings of a pair at p->ring, made by make (direction 0 a->b, 1 b->a; NULL
 * on failure, which setup returns as err) and freed by drop. The setup is
 * the impl's; bench_ring_pair_teardown is its teardown.
 */
struct bench_ring_pair {
	void *r[2];
	void (*drop)(void *ring);
};
int bench_ring_pair_setup(struct bench_pair *p, void *(*make)(const struct bench_pair *p, int dir),
                          void (*drop)(void *ring), int err);
void bench_ring_pair_teardown(struct bench_pair *p);
/* Direction dir's ring of such a pair. */
#define BENCH_RING_PAIR(p, dir) (((struct bench_ring_pair *)(p)->ring)->r[dir])

/* Whether the run was aborted (by either side). Cheap enough for a spin loop. */
static inline bool bench_pair_stopped(struct bench_pair *p)
{
	/* relaxed: only the flag's own value matters; why is read after a barrier. */
	return atomic_load_explicit(&p->stop, memory_order_relaxed);
}

/* Abort the run: the other side leaves its spin, and the run fails with why. */
void bench_pair_abort(struct bench_pair *p, const char *why);

/*
 * Register "<family>/<impl>" as a two-thread real-time benchmark, for each
 * slot size. The loop runs in chunks of BENCH_CHUNK operations, each timed:
 * the host preempts a vCPU for milliseconds at a time, and a mean would
 * mostly measure that, so the figure is the median chunk. Counters:
 * ns_per_msg (stream, the receiver's clock) or rtt_ns (rtt, the sender's),
 * the same as a mean over the whole loop (mean_ns), floor_ns, x_floor =
 * figure / floor, and items_per_second (a mean) for a stream.
 */
void bench_pair_register(const char *family, const struct bench_pair_impl *impl,
                         enum bench_pair_mode mode);

/* Register "floor/one_line" (two threads bouncing one cache line) and
 * "floor/two_lines" (one line per direction, as two rings); rtt_ns as above. */
void bench_floor_register(void);

#endif /* SHMRING_BENCHES_HARNESS_H */
