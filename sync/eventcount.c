/* SPDX-License-Identifier: MIT */
#include "sync/eventcount.h"
#include "sync/futex.h"
#include "sync/wait.h"

#include <limits.h>

void shmring__ec_wake(const struct shmring_ec *ec, _Atomic uint64_t *wakes)
{
	/* Release: a waiter that sees the new sequence sees what we published. */
	atomic_fetch_add_explicit(ec->seq, 1, memory_order_release);
	shmring__futex_wake(ec->seq, INT_MAX);
	if (wakes)
		/* Relaxed: a statistic. */
		atomic_fetch_add_explicit(wakes, 1, memory_order_relaxed);
}

uint32_t shmring__ec_prepare(const struct shmring_ec *ec)
{
	/* Relaxed: the fence below orders it before our re-check. */
	atomic_fetch_add_explicit(ec->waiters, 1, memory_order_relaxed);
	/* F-wait: pairs with F-notify in shmring__ec_notify(): either the
	 * notifier sees waiters != 0, or our re-check sees its publication. */
	shmring__fence_full();
	/* Acquire: pairs with the release increment in shmring__ec_wake(). */
	return shmring__load_acquire(ec->seq);
}

void shmring__ec_cancel(const struct shmring_ec *ec)
{
	/* Relaxed: only ever compared with zero by notifiers; a stale non-zero
	 * costs one unneeded wake. */
	atomic_fetch_sub_explicit(ec->waiters, 1, memory_order_relaxed);
}

int shmring__ec_wait(const struct shmring_ec *ec, uint32_t key, uint64_t deadline)
{
	int rc;

	if (ec->max_sleep_ns) {
		uint64_t now = shmring__now_ns();

		if (deadline - now > ec->max_sleep_ns) /* deadline > now: checked by the caller */
			deadline = now + ec->max_sleep_ns;
	}
	rc = shmring__futex_wait(ec->seq, key, deadline);
	shmring__ec_cancel(ec);
	return rc;
}
