/* SPDX-License-Identifier: MIT */
/*
 * src/sync_cond.c - condition variables (shmring/sync.h) used with the
 * robust mutexes of sync_mutex.c.
 *
 * A sequence counter: a waiter reads `seq` while it still holds the mutex,
 * then unlocks and sleeps while seq has that value; signal and broadcast
 * bump seq before they wake. A signal after the unlock changes seq, so the
 * sleep returns at once or is woken: nothing is lost between the unlock and
 * the sleep. `waiters` lets a signal skip the system call when nobody
 * sleeps: C1 (waiter: register, later sleep on seq) and C2 (signaller: bump
 * seq, then look at waiters) are a Dekker pair, seq_cst on both sides; and a
 * signaller that holds the mutex sees the registration through the mutex.
 *
 * A waiter sleeps at most SHMRING_SYNC_RECHECK_NS at a time and returns
 * once it finds the sequence moved. So a signal is never lost for good: if
 * the waiter it woke dies before returning (or the signaller dies between
 * its bump and its wake), every waiter that slept through it returns within
 * that time. Those returns, and those of waiters a live woken waiter had
 * company from, are the spurious wake-ups condition variables allow: a
 * signal wakes at least one waiter, and may wake every waiter that was
 * asleep when it came.
 */
#include "src/sync_handle.h"
#include "src/syncobj.h"

#include <limits.h>
#include <stdlib.h>

struct shmring_cond {
	struct shmring_syncobj obj;
	struct shmring_sync_cond *st;
};

static void cond_setup(void *h)
{
	struct shmring_cond *c = h;

	c->st = c->obj.state;
}

static const struct shmring_sync_type cond_type = {
	.kind = SHMRING_SYNC_KIND_COND, .size = sizeof(struct shmring_cond),
	.create_flags = SHMRING_SYNC_REPLACE, .setup = cond_setup,
};

int shmring_cond_create(const char *uri, const struct shmring_sync_opts *opts,
			shmring_cond_t **out)
{
	return shmring__sync_handle_create(&cond_type, uri, opts, (void **)out);
}

int shmring_cond_open(const char *uri, const struct shmring_sync_open_opts *opts,
		      shmring_cond_t **out)
{
	return shmring__sync_handle_open(&cond_type, uri, opts, (void **)out);
}

int shmring_cond_dup(shmring_cond_t *c, shmring_cond_t **out)
{
	return shmring__sync_handle_dup(&cond_type, c, (void **)out);
}

int shmring_cond_close(shmring_cond_t *c)
{
	return shmring__sync_handle_close(c);
}

int shmring_cond_unlink(const char *uri)
{
	return shmring__syncobj_unlink(uri);
}

int shmring_cond_wait(shmring_cond_t *c, shmring_mutex_t *m, uint64_t deadline)
{
	uint64_t relock = SHMRING_NO_DEADLINE;
	uint32_t s;
	int rc, lrc;

	if (!c || !m)
		return -EINVAL;
	/* C1: the sequence while we hold the mutex, then the registration
	 * (seq_cst both), both before the unlock (release) that lets a
	 * signaller in. */
	s = atomic_load(&c->st->seq);
	atomic_fetch_add(&c->st->waiters, 1);
	rc = shmring_mutex_unlock(m);
	if (rc < 0) {
		/* Relaxed: a hint for signallers. */
		atomic_fetch_sub_explicit(&c->st->waiters, 1, memory_order_relaxed);
		return rc;
	}
	/*
	 * In slices, until the sequence moves or the deadline passes: a
	 * signal whose one woken waiter died before it returned (or whose
	 * signaller died before its wake) is then seen by the other waiters
	 * at their next look, as a wake-up, instead of being lost to them.
	 * Relaxed: the mutex taken below orders what the signaller wrote.
	 */
	do
		rc = shmring__sync_sleep_slice(&c->st->seq, s, deadline);
	while (rc == 0 && shmring__load_relaxed(&c->st->seq) == s);
	/* Relaxed: a hint; a forged 0 wraps to a large count (vain wakes). */
	atomic_fetch_sub_explicit(&c->st->waiters, 1, memory_order_relaxed);
	if (deadline != SHMRING_NO_DEADLINE) {
		uint64_t now = shmring__now_ns(), from = deadline > now ? deadline : now;

		relock = from > UINT64_MAX - 1 - SHMRING_COND_RELOCK_NS
				 ? UINT64_MAX - 1
				 : from + SHMRING_COND_RELOCK_NS;
	}
	lrc = shmring_mutex_timedlock(m, relock);
	if (lrc == -ETIMEDOUT)
		return -ENOLCK;
	if (lrc < 0)
		return lrc; /* -EOWNERDEAD (held), -ENOTRECOVERABLE */
	return rc == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

static int cond_wake(shmring_cond_t *c, int n)
{
	if (!c)
		return -EINVAL;
	/* C2: bump, then look (seq_cst both; pairs with C1). */
	atomic_fetch_add(&c->st->seq, 1);
	if (atomic_load(&c->st->waiters) != 0)
		shmring__futex_wake(&c->st->seq, n);
	return 0;
}

int shmring_cond_signal(shmring_cond_t *c)
{
	return cond_wake(c, 1);
}

int shmring_cond_broadcast(shmring_cond_t *c)
{
	return cond_wake(c, INT_MAX);
}
