/* SPDX-License-Identifier: MIT */
#include "sync/wait.h"
#include "shmring/ring.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#define CLOCK_EVERY 64u /* spins between clock reads (a read costs ~20 ns) */
#define ADAPTIVE_YIELDS 4u

uint64_t shmring__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void shmring__waiter_init(struct shmring_waiter *w, uint32_t mode, uint64_t spin_ns)
{
	w->mode = mode;
	w->spin_ns = spin_ns ? spin_ns : (mode == SHMRING_WAIT_YIELD ? 2000u : SHMRING_DEFAULT_SPIN_NS);
	w->budget_ns = w->spin_ns;
}

/* Spin until attempt succeeds, the limit passes (0) or the deadline (-ETIMEDOUT). */
static int spin(shmring_attempt_fn attempt, void *ctx, uint64_t limit, uint64_t deadline,
		bool yield)
{
	for (unsigned i = 1;; i++) {
		int r;

		if (yield)
			sched_yield();
		else
			shmring__cpu_relax();
		r = attempt(ctx);
		if (r)
			return r;
		if (yield || i % CLOCK_EVERY == 0) {
			uint64_t now = shmring__now_ns();

			if (now >= deadline)
				return -ETIMEDOUT;
			if (now >= limit)
				return 0;
		}
	}
}

static int park(const struct shmring_ec *ec, shmring_attempt_fn attempt, void *ctx,
		uint64_t deadline, _Atomic uint64_t *parks)
{
	for (;;) {
		uint32_t key = shmring__ec_prepare(ec);
		int r = attempt(ctx);

		if (r) {
			shmring__ec_cancel(ec);
			return r;
		}
		if (shmring__now_ns() >= deadline) {
			shmring__ec_cancel(ec);
			return -ETIMEDOUT;
		}
		if (parks)
			/* Relaxed: a statistic. */
			atomic_fetch_add_explicit(parks, 1, memory_order_relaxed);
		/* Any return (woken, changed, timed out, EINTR) leads back to
		 * the attempt; only our own clock ends the wait. */
		shmring__ec_wait(ec, key, deadline);
		r = attempt(ctx);
		if (r)
			return r;
	}
}

int shmring__wait(struct shmring_waiter *w, const struct shmring_ec *ec, shmring_attempt_fn attempt,
		  void *ctx, uint64_t deadline, _Atomic uint64_t *parks)
{
	uint64_t start;
	int r = attempt(ctx);

	if (r)
		return r;
	if (w->mode == SHMRING_WAIT_PARK)
		return park(ec, attempt, ctx, deadline, parks);
	start = shmring__now_ns();
	if (start >= deadline)
		return -ETIMEDOUT;

	switch (w->mode) {
	case SHMRING_WAIT_SPIN:
		return spin(attempt, ctx, UINT64_MAX, deadline, false);
	case SHMRING_WAIT_YIELD:
		r = spin(attempt, ctx, start + w->spin_ns, deadline, false);
		return r ? r : spin(attempt, ctx, UINT64_MAX, deadline, true);
	default: /* ADAPTIVE */
		r = spin(attempt, ctx, start + w->budget_ns, deadline, false);
		if (r > 0) {
			w->budget_ns = w->budget_ns * 2 < w->spin_ns ? w->budget_ns * 2 : w->spin_ns;
			return r;
		}
		if (r < 0)
			return r;
		for (unsigned i = 0; i < ADAPTIVE_YIELDS; i++) {
			sched_yield();
			r = attempt(ctx);
			if (r)
				return r;
		}
		w->budget_ns = w->budget_ns / 2 > SHMRING_MIN_SPIN_NS ? w->budget_ns / 2
								     : SHMRING_MIN_SPIN_NS;
		return park(ec, attempt, ctx, deadline, parks);
	}
}
