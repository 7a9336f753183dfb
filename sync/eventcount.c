/* SPDX-License-Identifier: MIT */
#include "sync/eventcount.h"
#include "sync/futex.h"

#include <errno.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

bool shmring__notify_light;
/* Set once a waiter's membarrier failed: its waits are then bounded, since a
 * notifier in another process may be relying on that barrier. */
static atomic_bool heavy_failed;
#define FALLBACK_SLEEP_NS 10000000u
static pthread_once_t sync_once = PTHREAD_ONCE_INIT;

static int membarrier(int cmd)
{
	return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

static void sync_register(void)
{
	/* Another process's waiter can only reach our CPUs with an IPI if we
	 * are registered; until then, notify with a full fence. */
	shmring__notify_light = membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
}

static void sync_once_init(void)
{
	sync_register();
	/* A forked child has a new mm: register it too. */
	pthread_atfork(NULL, NULL, sync_register);
}

void shmring__sync_init(void)
{
	pthread_once(&sync_once, sync_once_init);
}

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
	/* Seq_cst: the announcement must be visible before we re-check. */
	atomic_fetch_add_explicit(ec->waiters, 1, memory_order_seq_cst);
	/*
	 * The heavy half of the asymmetric barrier: after this, a notifier
	 * either has its publication visible to our re-check, or will see
	 * waiters != 0. Without membarrier, a full fence orders our side and the
	 * notifier's own fallback fence orders its side.
	 */
	if (membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0) {
		shmring__fence_full();
		/* Relaxed: a sticky hint that only shortens later sleeps. */
		atomic_store_explicit(&heavy_failed, true, memory_order_relaxed);
	}
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

	/* Relaxed: see heavy_failed. */
	if (atomic_load_explicit(&heavy_failed, memory_order_relaxed)) {
		struct timespec ts;
		uint64_t cap;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		cap = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + FALLBACK_SLEEP_NS;
		if (cap < deadline)
			deadline = cap;
	}
	rc = shmring__futex_wait(ec->seq, key, deadline);

	shmring__ec_cancel(ec);
	return rc;
}
