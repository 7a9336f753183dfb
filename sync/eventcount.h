/* SPDX-License-Identifier: MIT */
/*
 * sync/eventcount.h - an eventcount on two shared 32-bit words: a futex
 * sequence and a count of waiters. A notifier makes a system call only when
 * someone waits.
 *
 * The lost-wakeup race is the store-buffer one: the notifier stores its data
 * then loads `waiters`; the waiter increments `waiters` then loads the data.
 * Both sides put a full fence between their store and their load, so at least
 * one of them sees the other's store. On the notifier's side the fence is
 * cheap where it matters: a sender that just published usually has nothing to
 * do but wait for the reply, and a burst pays it once.
 *
 * (An asymmetric barrier - membarrier() on the waiter, a compiler barrier on
 * the notifier - was measured and rejected: each park then interrupts every
 * CPU running a shmring process, 10-20 us of CPU per park on this class of VM,
 * and a storm with many parked producers.)
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
	uint64_t max_sleep_ns; /* 0, or the longest single sleep (see notify_batched) */
};

/* Wake every waiter: bump the sequence and futex-wake. Counts into *wakes. */
void shmring__ec_wake(const struct shmring_ec *ec, _Atomic uint64_t *wakes);

/*
 * Call after publishing (a stamp, a position): wakes waiters if there are
 * any. No system call and no fence when nobody waits.
 */
static inline void shmring__ec_notify(const struct shmring_ec *ec, _Atomic uint64_t *wakes)
{
	/* F-notify: pairs with F-wait in shmring__ec_prepare(); StoreLoad
	 * between our publication and the load of waiters. */
	shmring__fence_full();
	/* Relaxed: ordered after the publication by the fence above. */
	if (SHMRING_UNLIKELY(shmring__load_relaxed(ec->waiters) != 0))
		shmring__ec_wake(ec, wakes);
}

/*
 * Batched notify, for the direction where waking on every event costs more
 * than it buys: producers parked on a full ring. Waking them all for each
 * freed slot makes a futex call per message and a herd that mostly parks
 * again; instead, while someone waits, count the units freed (*pending, the
 * notifier's own) and wake once `batch` of them have gone by. A notifier that
 * finds the ring empty calls shmring__ec_flush(). A waiter on such an
 * eventcount sleeps at most max_sleep_ns at a time, so a notifier that stops
 * short of a batch delays it by that much, never forever.
 */
static inline void shmring__ec_notify_batched(const struct shmring_ec *ec, uint64_t *pending,
					      uint64_t units, uint64_t batch,
					      _Atomic uint64_t *wakes)
{
	/* F-notify, as in shmring__ec_notify(). */
	shmring__fence_full();
	/* Relaxed: ordered after the publication by the fence above. */
	if (SHMRING_UNLIKELY(shmring__load_relaxed(ec->waiters) != 0)) {
		*pending += units;
		if (*pending >= batch) {
			*pending = 0;
			shmring__ec_wake(ec, wakes);
		}
	}
}

/* Wake waiters for what is pending from shmring__ec_notify_batched(). */
static inline void shmring__ec_flush(const struct shmring_ec *ec, uint64_t *pending,
				     _Atomic uint64_t *wakes)
{
	if (*pending == 0)
		return;
	*pending = 0;
	shmring__ec_notify(ec, wakes);
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
