/* SPDX-License-Identifier: MIT */
/*
 * src/sync_sem.c - counting semaphores: the one API (shmring/sync.h) over
 * three implementations, and the futex one. POSIX named semaphores are in
 * sync_sem_posix.c, System V sets in sync_sem_sysv.c.
 *
 * The futex semaphore: `count` is the units and the futex word, `waiters`
 * the sleepers (and those about to sleep). post adds a unit and wakes one
 * sleeper if waiters says there may be one; wait takes a unit with a CAS or
 * registers in waiters, looks at the count once more and sleeps while it is
 * 0. The two sides are a Dekker pair, all seq_cst (S1/S2 below): either the
 * poster sees the waiter registered and wakes it, or the waiter sees the
 * unit before it sleeps (and the kernel's compare of the futex word closes
 * the gap between the look and the sleep). A waiter sleeps at most
 * SHMRING_SYNC_RECHECK_NS at a time and then looks again: a poster that
 * dies after its increment and before its wake cannot strand it.
 */
#include "src/syncobj.h"

#include <limits.h>
#include <stdlib.h>

/* --- The futex implementation ------------------------------------------------ */

static void fsem_init(void *state, const struct shmring_sync_create *c)
{
	struct shmring_sync_sem *st = state;

	/* Relaxed: published by the release of the magic (sync_obj.c). */
	shmring__store_relaxed(&st->count, c->value);
}

static int fsem_post(struct shmring_sync_sem *st)
{
	/* Relaxed: a first guess for the CAS. */
	uint32_t c = shmring__load_relaxed(&st->count);

	do {
		/* Also a count forged above the largest: never wraps to 0. */
		if (c >= SHMRING_SEM_FUTEX_MAX)
			return -EOVERFLOW;
		/* S1 (seq_cst, so release too): the unit, and whatever the
		 * poster wrote before, for the taker's acquire (trywait); then
		 * the look at waiters below is ordered after it (pairs with
		 * S2). */
	} while (!atomic_compare_exchange_weak(&st->count, &c, c + 1));
	/* S1: seq_cst load after the seq_cst CAS. */
	if (atomic_load(&st->waiters) != 0)
		shmring__futex_wake(&st->count, 1);
	return 0;
}

static int fsem_trywait(struct shmring_sync_sem *st)
{
	/* Relaxed: a first guess for the CAS. */
	uint32_t c = shmring__load_relaxed(&st->count);

	while (c != 0)
		/* Acquire: pairs with the poster's S1 (what it wrote before
		 * posting is visible to whoever takes the unit). */
		if (shmring__cas_weak(&st->count, &c, c - 1, memory_order_acquire))
			return 0;
	return -EAGAIN;
}

static int fsem_wait(struct shmring_sync_sem *st, uint64_t deadline)
{
	for (;;) {
		int rc = 0;

		if (fsem_trywait(st) == 0)
			return 0;
		/* S2: register, then look (seq_cst both; pairs with S1). */
		atomic_fetch_add(&st->waiters, 1);
		if (atomic_load(&st->count) == 0)
			/* In slices: a unit posted without a wake (its poster
			 * died between the two) is found at the next look. */
			rc = shmring__sync_sleep_slice(&st->count, 0, deadline);
		else if (shmring__now_ns() >= deadline)
			/* A unit seen and lost to another taker (or a peer
			 * rewriting the count) ends no wait past its deadline. */
			rc = -ETIMEDOUT;
		/* Relaxed: only a hint for posters. A forged 0 wraps to a
		 * large count: posts then wake in vain, nothing worse. */
		atomic_fetch_sub_explicit(&st->waiters, 1, memory_order_relaxed);
		if (rc == -ETIMEDOUT)
			return fsem_trywait(st) == 0 ? 0 : -ETIMEDOUT;
	}
}

/* --- The API -------------------------------------------------------------------- */

static int sem_new(shmring_sem_t **s)
{
	*s = calloc(1, sizeof(**s));
	if (!*s)
		return -ENOMEM;
	(*s)->semid = -1;
	return 0;
}

int shmring__sem_beside(const struct shmring_uri *u)
{
	if (u->scheme == SHMRING_SCHEME_POSIX)
		return shmring__psem_exists(u);
	return u->scheme == SHMRING_SCHEME_SYSV ? shmring__ssem_exists(u) : 0;
}

int shmring__sem_beside_remove(const struct shmring_uri *u)
{
	bool posix = u->scheme == SHMRING_SCHEME_POSIX;
	int rc = posix ? shmring__psem_replaceable(u) : 0;

	if (rc == 0)
		rc = posix ? shmring__psem_unlink(u) : shmring__ssem_unlink(u);
	return rc == -ENOENT ? 0 : rc;
}

static int create_futex(const struct shmring_uri *u, const struct shmring_sync_opts *o,
			shmring_sem_t *s)
{
	struct shmring_sync_create c = {
		.kind = SHMRING_SYNC_KIND_SEM, .mode = o->mode ? o->mode : 0600,
		.replace = o->flags & SHMRING_SYNC_REPLACE, .init = fsem_init, .value = o->value,
	};
	int rc;

	if (o->value > SHMRING_SEM_FUTEX_MAX || (o->flags & SHMRING_SYNC_UNDO))
		return -EINVAL;
	rc = shmring__syncobj_create(u, &c, &s->obj);
	if (rc == 0)
		s->st = s->obj.state;
	return rc;
}

int shmring_sem_create(const char *uri, const struct shmring_sync_opts *opts, shmring_sem_t **out)
{
	struct shmring_sync_opts o = opts ? *opts : (struct shmring_sync_opts){0};
	struct shmring_uri u;
	shmring_sem_t *s;
	int rc;

	if (out)
		*out = NULL;
	if (!out)
		return -EINVAL;
	rc = shmring__sync_opts_check(opts, SHMRING_SYNC_REPLACE | SHMRING_SYNC_UNDO);
	if (rc == 0)
		rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	if (o.impl == 0)
		o.impl = SHMRING_SEM_FUTEX;
	if (o.impl > SHMRING_SEM_SYSV)
		return -EINVAL;
	rc = sem_new(&s);
	if (rc < 0)
		return rc;
	s->impl = o.impl;
	s->flags = o.flags & SHMRING_SYNC_UNDO;
	switch (o.impl) {
	case SHMRING_SEM_FUTEX:
		rc = create_futex(&u, &o, s);
		break;
	case SHMRING_SEM_POSIX:
		rc = o.flags & SHMRING_SYNC_UNDO
			     ? -EINVAL
			     : shmring__psem_create(&u, o.mode ? o.mode : 0600, o.value,
						    o.flags & SHMRING_SYNC_REPLACE, &s->psem);
		break;
	default:
		rc = shmring__ssem_create(&u, o.mode ? o.mode : 0600, o.value,
					  o.flags & SHMRING_SYNC_REPLACE, &s->semid);
		break;
	}
	if (rc < 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int shmring_sem_open(const char *uri, const struct shmring_sync_open_opts *opts,
		     shmring_sem_t **out)
{
	struct shmring_uri u;
	uint32_t flags;
	shmring_sem_t *s;
	int rc;

	if (out)
		*out = NULL;
	if (!out)
		return -EINVAL;
	rc = shmring__sync_open_flags(opts,
				      SHMRING_SYNC_ANY_OWNER | SHMRING_SYNC_NOWAIT | SHMRING_SYNC_UNDO,
				      &flags);
	if (rc == 0)
		rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	rc = sem_new(&s);
	if (rc < 0)
		return rc;
	s->flags = flags & SHMRING_SYNC_UNDO;
	/*
	 * Which implementation: a shared-memory object of that name is a futex
	 * semaphore (or something else, which validation refuses); without
	 * one, posix: and sysv: names may be a semaphore of their own kind.
	 */
	rc = shmring__syncobj_exists(&u);
	if (rc == 0 && u.scheme == SHMRING_SCHEME_POSIX) {
		s->impl = SHMRING_SEM_POSIX;
		rc = (flags & SHMRING_SYNC_UNDO) ? -EINVAL : shmring__psem_open(&u, flags, &s->psem);
	} else if (rc == 0 && u.scheme == SHMRING_SCHEME_SYSV) {
		s->impl = SHMRING_SEM_SYSV;
		rc = shmring__ssem_open(&u, flags, &s->semid);
	} else if (rc >= 0) {
		s->impl = SHMRING_SEM_FUTEX;
		rc = (flags & SHMRING_SYNC_UNDO)
			     ? -EINVAL
			     : shmring__syncobj_open(&u, SHMRING_SYNC_KIND_SEM, flags, &s->obj);
		s->st = s->obj.state;
	}
	if (rc < 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int shmring_sem_dup(shmring_sem_t *s, shmring_sem_t **out)
{
	shmring_sem_t *d;

	if (out)
		*out = NULL;
	if (!s || !out)
		return -EINVAL;
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	*d = *s;
	if (s->impl == SHMRING_SEM_FUTEX)
		shmring__syncobj_dup(&s->obj, &d->obj);
	else if (s->impl == SHMRING_SEM_POSIX)
		/* Relaxed: the caller holds a reference already. */
		atomic_fetch_add_explicit(&s->psem->refs, 1, memory_order_relaxed);
	*out = d;
	return 0;
}

int shmring_sem_close(shmring_sem_t *s)
{
	if (!s)
		return 0;
	if (s->impl == SHMRING_SEM_FUTEX)
		shmring__syncobj_close(&s->obj);
	else if (s->impl == SHMRING_SEM_POSIX)
		shmring__psem_put(s->psem);
	free(s);
	return 0;
}

int shmring_sem_unlink(const char *uri)
{
	struct shmring_uri u;
	int rc = shmring__uri_parse(uri, &u);

	if (rc < 0)
		return rc;
	rc = shmring__region_unlink(&u);
	if (rc != -ENOENT)
		return rc;
	if (u.scheme == SHMRING_SCHEME_POSIX)
		return shmring__psem_unlink(&u);
	if (u.scheme == SHMRING_SCHEME_SYSV)
		return shmring__ssem_unlink(&u);
	return rc;
}

int shmring_sem_post(shmring_sem_t *s)
{
	if (!s)
		return -EINVAL;
	if (s->impl == SHMRING_SEM_FUTEX)
		return fsem_post(s->st);
	if (s->impl == SHMRING_SEM_POSIX)
		return shmring__psem_post(s->psem);
	return shmring__ssem_post(s->semid, s->flags & SHMRING_SYNC_UNDO);
}

int shmring_sem_trywait(shmring_sem_t *s)
{
	if (!s)
		return -EINVAL;
	if (s->impl == SHMRING_SEM_FUTEX)
		return fsem_trywait(s->st);
	if (s->impl == SHMRING_SEM_POSIX)
		return shmring__psem_trywait(s->psem);
	return shmring__ssem_trywait(s->semid, s->flags & SHMRING_SYNC_UNDO);
}

int shmring_sem_wait(shmring_sem_t *s, uint64_t deadline)
{
	if (!s)
		return -EINVAL;
	if (s->impl == SHMRING_SEM_FUTEX)
		return fsem_wait(s->st, deadline);
	if (s->impl == SHMRING_SEM_POSIX)
		return shmring__psem_wait(s->psem, deadline);
	return shmring__ssem_wait(s->semid, s->flags & SHMRING_SYNC_UNDO, deadline);
}

int shmring_sem_value(shmring_sem_t *s, uint32_t *value)
{
	if (!s || !value)
		return -EINVAL;
	if (s->impl == SHMRING_SEM_FUTEX) {
		/* Relaxed: a snapshot. */
		*value = shmring__load_relaxed(&s->st->count);
		return 0;
	}
	if (s->impl == SHMRING_SEM_POSIX)
		return shmring__psem_value(s->psem, value);
	return shmring__ssem_value(s->semid, value);
}

uint32_t shmring_sem_impl(const shmring_sem_t *s)
{
	return s ? s->impl : 0;
}
