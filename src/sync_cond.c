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
 */
#include "src/syncobj.h"

#include <limits.h>
#include <stdlib.h>

struct shmring_cond {
	struct shmring_syncobj obj;
	struct shmring_sync_cond *st;
};

static int cond_new(struct shmring_cond **c)
{
	*c = calloc(1, sizeof(**c));
	return *c ? 0 : -ENOMEM;
}

int shmring_cond_create(const char *uri, const struct shmring_sync_opts *opts,
			shmring_cond_t **out)
{
	struct shmring_sync_create sc;
	struct shmring_uri u;
	struct shmring_cond *c = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!out)
		return -EINVAL;
	rc = shmring__sync_opts_check(opts, SHMRING_SYNC_REPLACE);
	if (rc == 0 && opts && (opts->impl || opts->value))
		rc = -EINVAL;
	if (rc == 0)
		rc = shmring__uri_parse(uri, &u);
	if (rc == 0)
		rc = cond_new(&c);
	if (rc < 0)
		return rc;
	sc = (struct shmring_sync_create){
		.kind = SHMRING_SYNC_KIND_COND, .mode = opts && opts->mode ? opts->mode : 0600,
		.replace = opts && (opts->flags & SHMRING_SYNC_REPLACE),
	};
	rc = shmring__syncobj_create(&u, &sc, &c->obj);
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->st = c->obj.state;
	*out = c;
	return 0;
}

int shmring_cond_open(const char *uri, const struct shmring_sync_open_opts *opts,
		      shmring_cond_t **out)
{
	struct shmring_uri u;
	struct shmring_cond *c = NULL;
	uint32_t flags;
	int rc;

	if (out)
		*out = NULL;
	if (!out)
		return -EINVAL;
	rc = shmring__sync_open_flags(opts, SHMRING_SYNC_ANY_OWNER | SHMRING_SYNC_NOWAIT, &flags);
	if (rc == 0)
		rc = shmring__uri_parse(uri, &u);
	if (rc == 0)
		rc = cond_new(&c);
	if (rc < 0)
		return rc;
	rc = shmring__syncobj_open(&u, SHMRING_SYNC_KIND_COND, flags, &c->obj);
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->st = c->obj.state;
	*out = c;
	return 0;
}

int shmring_cond_dup(shmring_cond_t *c, shmring_cond_t **out)
{
	struct shmring_cond *d;

	if (out)
		*out = NULL;
	if (!c || !out)
		return -EINVAL;
	if (cond_new(&d) < 0)
		return -ENOMEM;
	shmring__syncobj_dup(&c->obj, &d->obj);
	d->st = d->obj.state;
	*out = d;
	return 0;
}

int shmring_cond_close(shmring_cond_t *c)
{
	if (!c)
		return 0;
	shmring__syncobj_close(&c->obj);
	free(c);
	return 0;
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
	rc = shmring__sync_sleep(&c->st->seq, s, deadline);
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
