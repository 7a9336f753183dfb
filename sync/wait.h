/* SPDX-License-Identifier: MIT */
/*
 * sync/wait.h - wait strategies: spin, spin-then-yield, adaptive
 * spin-then-yield-then-park (the default) and park only, all with absolute
 * CLOCK_MONOTONIC deadlines.
 *
 * The strategy is generic over what it waits for: it repeatedly calls an
 * attempt function (a non-blocking send or receive) and parks on an
 * eventcount between attempts.
 */
#ifndef SHMRING_SYNC_WAIT_H
#define SHMRING_SYNC_WAIT_H

#include "sync/eventcount.h"

#include <stdint.h>

#define SHMRING_DEFAULT_SPIN_NS 50000u /* ~2.5 cross-CPU wake-ups on this class of VM */
#define SHMRING_MIN_SPIN_NS 1000u

struct shmring_waiter {
	uint32_t mode;      /* enum shmring_wait_mode */
	uint64_t spin_ns;   /* the longest spin */
	uint64_t budget_ns; /* ADAPTIVE: the current spin, halved after each park,
			     * doubled after each spin that succeeds */
	uint64_t late_wakes; /* first sleeps that ran out and found the wait over:
			      * wake-ups an unfenced notifier missed (S-settle) */
};

/* > 0: done (returned to the caller); 0: not yet; < 0: error (returned). */
typedef int (*shmring_attempt_fn)(void *ctx);

/* What a wait repeats. */
struct shmring_wait_ops {
	shmring_attempt_fn attempt; /* the non-blocking operation */
	/*
	 * Run at least every check_ns while the wait goes on (and once before
	 * the first sleep): looks at what holds the wait back (dead peers,
	 * their claims). > 0: something changed, attempt again now; < 0: end
	 * the wait with that error; 0: nothing to do. May be NULL.
	 */
	shmring_attempt_fn check;
	void *ctx;
	uint64_t check_ns;
};

void shmring__waiter_init(struct shmring_waiter *w, uint32_t mode, uint64_t spin_ns);

/*
 * After an attempt of the caller's that returned 0: call ops->attempt until
 * it returns non-zero or the deadline passes (-ETIMEDOUT), running
 * ops->check on its period. parks counts each futex sleep (may be NULL).
 * Signals do not end the wait.
 */
int shmring__wait(struct shmring_waiter *w, struct shmring_ec *ec,
		  const struct shmring_wait_ops *ops, uint64_t deadline, _Atomic uint64_t *parks);

/* CLOCK_MONOTONIC in ns. */
uint64_t shmring__now_ns(void);

#endif /* SHMRING_SYNC_WAIT_H */
