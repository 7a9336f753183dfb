/* SPDX-License-Identifier: MIT */
#include "sync/wait.h"
#include "ringbuf/atomics.h"
#include "shmring/ring.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#define CLOCK_EVERY 64u    /* spins between clock reads (a read costs ~20 ns) */
#define GAP_CLOCK_EVERY 4u /* the same while a gap is kept between attempts */
#define ADAPTIVE_YIELDS 4u
/*
 * A park-only waiter looks this long before it announces itself. While it
 * is announced, every notify costs the notifier an atomic operation on the
 * waiters word (C-wake), and the announcement and its cancel cost the
 * waiter two; at high message rates most waits end within a microsecond,
 * and this look ends them without touching the word (MPSC with one
 * producer, near: 17 -> 21 M msg/s; docs/BENCHMARKS.md).
 */
#define SHMRING_PARK_LOOK_NS 1000u
/*
 * A park-only waiter's look, and every waiter's settle, attempt once every
 * SHMRING_LOOK_GAP_NS, not after every pause. A waiter that attempts at
 * once takes each message as it is published, from the line its producer is
 * writing, and the two move that line between them for every message;
 * looking again a quarter microsecond later lets a few messages gather and
 * takes them from lines the producer has left, and leaves the producer's
 * stores alone meanwhile (MPSC with one producer, park-only, near: 20 -> 32
 * M msg/s; docs/BENCHMARKS.md). It costs a message that arrives during the
 * look up to the gap in latency, so the spinning policies (adaptive, spin,
 * yield), chosen for latency, keep no gap; they back off in proportion
 * instead (below).
 */
#define SHMRING_LOOK_GAP_NS 250u
/*
 * The spinning policies attempt after every pause at first, then, the
 * longer the wait has lasted, after more pauses: after pause i, the next
 * attempt comes 1 + min(i >> SPIN_BACKOFF_SHIFT, SPIN_BACKOFF_MAX) pauses
 * later. Each attempt reads the line the producer is about to write; read
 * again and again while the producer writes it (a claim, a payload across
 * two lines, a locked publish), it is taken from the producer between its
 * stores, and each time the producer waits for it to come back: far apart,
 * a round trip of the adaptive MPSC ring's 64-byte message took 1.06 us
 * polled after every pause and 0.62 us backed off (docs/BENCHMARKS.md). A
 * wait of t is lengthened by at most t >> SPIN_BACKOFF_SHIFT and a few
 * pauses, so waits of a few lines' transfer time, as near ones are,
 * attempt after nearly every pause still.
 */
#define SPIN_BACKOFF_SHIFT 3u
#define SPIN_BACKOFF_MAX   7u

uint64_t shmring__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void shmring__waiter_init(struct shmring_waiter *w, uint32_t mode, uint64_t spin_ns)
{
	w->mode = mode;
	/* A spin longer than any deadline is one until the deadline: capped,
	 * so that start + spin_ns and the budget's doubling cannot wrap (a
	 * wrapped limit ended the spin at once). */
	if (spin_ns > UINT64_MAX / 4)
		spin_ns = UINT64_MAX / 4;
	w->spin_ns = spin_ns ? spin_ns : (mode == SHMRING_WAIT_YIELD ? 2000u : SHMRING_DEFAULT_SPIN_NS);
	w->budget_ns = w->spin_ns;
}

/* One wait's progress through its checks. */
struct run {
	const struct shmring_wait_ops *ops;
	uint64_t next_check;
};

/* Run the check if its time has come; its result, or 0. */
static int run_check(struct run *run, uint64_t now)
{
	if (!run->ops->check || now < run->next_check)
		return 0;
	run->next_check = now + run->ops->check_ns;
	return run->ops->check(run->ops->ctx);
}

/* One attempt, and on nothing the check when due: > 0 / < 0 end the wait. */
static int attempt_and_check(struct run *run, uint64_t now)
{
	int r = run->ops->attempt(run->ops->ctx);

	if (r)
		return r;
	r = run_check(run, now);
	if (r > 0)
		return run->ops->attempt(run->ops->ctx);
	return r;
}

/*
 * Attempt until an attempt ends the wait, the limit passes (0) or the
 * deadline (-ETIMEDOUT): after a pause or a few as the wait lasts
 * (SPIN_BACKOFF_SHIFT), or with a gap at most once every gap ns, or after
 * each sched_yield(). The attempts that read the clock run the check when
 * it is due.
 */
static inline SHMRING_ALWAYS_INLINE int spin_as(struct run *run, uint64_t limit, uint64_t deadline,
						bool yield, uint64_t gap)
{
	uint64_t next = gap ? shmring__now_ns() + gap : 0;
	/* Pauses between clock reads, a power of two: a clock read is a system
	 * call where the clock has no vDSO, so not one per pause. */
	unsigned every = yield ? 1 : gap ? GAP_CLOCK_EVERY : CLOCK_EVERY;
	unsigned due = 1; /* the pause after which the next attempt comes */

	for (unsigned i = 1;; i++) {
		int r;

		if (yield)
			sched_yield();
		else
			shmring__cpu_relax();
		if ((i & (every - 1)) == 0) {
			uint64_t now = shmring__now_ns();

			/* Between gaps, no attempt, but for the last one when
			 * the limit or the deadline has come. */
			if (now < next && now < limit && now < deadline)
				continue;
			next = now + gap;
			r = attempt_and_check(run, now);
			if (r)
				return r;
			if (now >= deadline)
				return -ETIMEDOUT;
			if (now >= limit)
				return 0;
			continue;
		}
		if (gap)
			continue; /* between the clock reads, no attempt */
		if (i < due)
			continue; /* backing off (SPIN_BACKOFF_SHIFT) */
		due = i + 1 +
		      ((i >> SPIN_BACKOFF_SHIFT) < SPIN_BACKOFF_MAX ? (i >> SPIN_BACKOFF_SHIFT)
								    : SPIN_BACKOFF_MAX);
		r = run->ops->attempt(run->ops->ctx);
		if (r)
			return r;
	}
}

/*
 * spin_as() made three loops, each with its constants folded in, so that
 * none tests per pause what it is: the busy look of the spinning policies,
 * the look with a gap (park-only waits and every settle) and the yields.
 * Out of line, so that the callers stay small.
 */
static SHMRING_NOINLINE int spin_busy(struct run *run, uint64_t limit, uint64_t deadline)
{
	return spin_as(run, limit, deadline, false, 0);
}

static SHMRING_NOINLINE int spin_gapped(struct run *run, uint64_t limit, uint64_t deadline)
{
	return spin_as(run, limit, deadline, false, SHMRING_LOOK_GAP_NS);
}

static SHMRING_NOINLINE int spin_yield(struct run *run, uint64_t limit, uint64_t deadline)
{
	return spin_as(run, limit, deadline, true, 0);
}

/*
 * S-settle: after announcing ourselves (F-wait), re-check for a while before
 * sleeping: a notifier that loaded `waiters` before our announcement has
 * its publication at most a store buffer away (see sync/eventcount.h).
 */
static int settle(struct run *run, uint64_t from)
{
	int r = spin_gapped(run, from + SHMRING_EC_SETTLE_NS, UINT64_MAX);

	/* The last attempt comes after the settle time has passed, even if we
	 * were descheduled in between: the settle is measured from our
	 * announcement to our last look. */
	return r ? r : run->ops->attempt(run->ops->ctx);
}

static int park(struct run *run, struct shmring_ec *ec, uint64_t deadline, _Atomic uint64_t *parks,
		uint64_t *late)
{
	/* The first sleep is short: the bound on a wake-up that S-settle
	 * did not cover. Later sleeps need none: one announcement stands for
	 * the whole wait, so every notifier from then on sees us (see
	 * shmring__ec_prepare() in sync/eventcount.h). */
	uint64_t cap = SHMRING_EC_FIRST_SLEEP_NS;
	uint32_t key = shmring__ec_prepare(ec);
	uint64_t now = shmring__now_ns();
	int r = attempt_and_check(run, now);

	if (!r)
		r = settle(run, now);
	for (;;) {
		if (!r && now < deadline) {
			/* C-commit: announce the sleep, then the last look. Each
			 * commit is counted as a park: a notifier makes at most
			 * one wake call per commit. */
			shmring__ec_commit(ec);
			if (parks)
				/* Relaxed: a statistic. */
				atomic_fetch_add_explicit(parks, 1, memory_order_relaxed);
			r = run->ops->attempt(run->ops->ctx);
		}
		if (r) {
			shmring__ec_cancel(ec);
			return r;
		}
		if (now >= deadline) {
			shmring__ec_cancel(ec);
			return -ETIMEDOUT;
		}
		/* Any return (woken, changed, timed out, EINTR) leads back to
		 * the attempt; only our own clock ends the wait. The sleep is
		 * at most ec->max_sleep_ns, so the check runs on time. */
		bool capped = deadline - now > cap;
		uint64_t until = capped ? now + cap : deadline;
		/* A notifier that failed (a System V set removed under us)
		 * has slept out its time, capped as every sleep: -ETIMEDOUT. */
		int slept = shmring__ec_wait(ec, key, until);

		/* Relaxed: only compared; a wake that came, however late, moved it.
		 * (Semaphore notifiers move it too: shmring__ec_wake() bumps it.) */
		bool unwoken = slept == -ETIMEDOUT && shmring__load_relaxed(ec->seq) == key;

		cap = UINT64_MAX;
		/* The key before the look: a wake after the look changes it. */
		key = shmring__ec_rekey(ec);
		now = shmring__now_ns();
		r = attempt_and_check(run, now);
		if (r > 0 && capped && unwoken)
			(*late)++;
	}
}

int shmring__wait(struct shmring_waiter *w, struct shmring_ec *ec,
		  const struct shmring_wait_ops *ops, uint64_t deadline, _Atomic uint64_t *parks)
{
	struct run run = {.ops = ops, .next_check = 0};
	uint64_t start = shmring__now_ns();
	int r;

	/* The first check after a period, not at once: a wait that ends
	 * quickly (the common case) makes no system call for it. */
	run.next_check = start + ops->check_ns;
	/* The caller's attempt failed (see sync/wait.h): at or past the
	 * deadline, that was the last. */
	if (start >= deadline)
		return -ETIMEDOUT;

	switch (w->mode) {
	case SHMRING_WAIT_PARK:
		r = spin_gapped(&run, start + SHMRING_PARK_LOOK_NS, deadline);
		return r ? r : park(&run, ec, deadline, parks, &w->late_wakes);
	case SHMRING_WAIT_SPIN:
		return spin_busy(&run, UINT64_MAX, deadline);
	case SHMRING_WAIT_YIELD:
		r = spin_busy(&run, start + w->spin_ns, deadline);
		return r ? r : spin_yield(&run, UINT64_MAX, deadline);
	default: /* ADAPTIVE */
		r = spin_busy(&run, start + w->budget_ns, deadline);
		if (r > 0) {
			w->budget_ns = w->budget_ns * 2 < w->spin_ns ? w->budget_ns * 2 : w->spin_ns;
			return r;
		}
		if (r < 0)
			return r;
		for (unsigned i = 0; i < ADAPTIVE_YIELDS; i++) {
			sched_yield();
			r = ops->attempt(ops->ctx);
			if (r)
				return r;
		}
		w->budget_ns = w->budget_ns / 2 > SHMRING_MIN_SPIN_NS ? w->budget_ns / 2
								     : SHMRING_MIN_SPIN_NS;
		return park(&run, ec, deadline, parks, &w->late_wakes);
	}
}
