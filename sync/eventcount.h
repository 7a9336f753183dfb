/* SPDX-License-Identifier: MIT */
/*
 * sync/eventcount.h - an eventcount on two shared 32-bit words: a futex
 * sequence and a count of waiters. A notifier makes a system call only when
 * someone waits.
 *
 * The lost-wakeup race is the classic store-buffer one: the notifier stores
 * its data then loads `waiters`; the waiter increments `waiters` then loads
 * the data. One side needs a StoreLoad barrier. A full fence on every send
 * would cost more than the cache-line transfer the message itself costs, so
 * the barrier is made asymmetric: the waiter (already on its way to sleep)
 * runs membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), which executes a full
 * barrier on every CPU running a registered process, and the notifier needs
 * only a compiler barrier. A process whose registration failed (old kernel,
 * seccomp) falls back to a full fence on its notify path, and a waiter whose
 * membarrier call fails falls back to a full fence plus a bounded sleep.
 */
#ifndef SHMRING_SYNC_EVENTCOUNT_H
#define SHMRING_SYNC_EVENTCOUNT_H

#include "ringbuf/atomics.h"

#include <stdbool.h>
#include <stdint.h>

/* The shared words an eventcount is handed; sync/ knows nothing else. */
struct shmring_ec {
	_Atomic uint32_t *seq;
	_Atomic uint32_t *waiters;
};

/* Set by shmring__sync_init(): this process's notify path may rely on the
 * waiter's membarrier instead of a fence. */
extern bool shmring__notify_light;

/* Register this process for expedited membarriers (idempotent, fork-safe).
 * Called by every open and create. */
void shmring__sync_init(void);

/* Wake every waiter: bump the sequence and futex-wake. Counts into *wakes. */
void shmring__ec_wake(const struct shmring_ec *ec, _Atomic uint64_t *wakes);

/*
 * Call after publishing (a stamp, a position): wakes waiters if there are
 * any. No system call and no fence when nobody waits.
 */
static inline void shmring__ec_notify(const struct shmring_ec *ec, _Atomic uint64_t *wakes)
{
	if (shmring__notify_light)
		shmring__compiler_barrier(); /* pairs with the waiter's membarrier */
	else
		shmring__fence_full(); /* StoreLoad: publication before the load below */
	/* Relaxed: ordered after the publication by the barrier above. */
	if (SHMRING_UNLIKELY(shmring__load_relaxed(ec->waiters) != 0))
		shmring__ec_wake(ec, wakes);
}

/*
 * Announce a waiter and return the key to wait on. After this, re-check the
 * condition; if it still does not hold, shmring__ec_wait(), else
 * shmring__ec_cancel().
 */
uint32_t shmring__ec_prepare(const struct shmring_ec *ec);
void shmring__ec_cancel(const struct shmring_ec *ec);

/* Sleep until notified or deadline; ends the announcement made by prepare.
 * Returns 0, -EAGAIN (already notified), -ETIMEDOUT or -EINTR. */
int shmring__ec_wait(const struct shmring_ec *ec, uint32_t key, uint64_t deadline);

#endif /* SHMRING_SYNC_EVENTCOUNT_H */
