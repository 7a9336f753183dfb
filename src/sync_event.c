/* SPDX-License-Identifier: MIT */
/*
 * src/sync_event.c - events (shmring/sync.h): a flag that is set, reset and
 * waited for, manual or auto reset.
 *
 * The futex word `state` holds the flag (bit 0) and a count of sets above
 * it: every set that sets the flag changes the word, so a waiter that read
 * the word before the set never sleeps through it (the kernel compares the
 * word it sleeps on), and a manual-reset waiter can tell that a set came
 * and went while it slept. `waiters` counts sleepers so that a set makes a
 * system call only when one may sleep: E1 (setter) and E2 (waiter) are a
 * Dekker pair, seq_cst on both sides, as in the futex semaphore. As there,
 * a waiter sleeps at most SHMRING_SYNC_RECHECK_NS at a time, so a setter
 * that dies between its set and its wake cannot strand it.
 */
#include "src/sync_handle.h"
#include "src/syncobj.h"

#include <limits.h>
#include <stdlib.h>

struct shmring_event {
	struct shmring_syncobj obj;
	struct shmring_sync_event *st;
	bool manual;
};

static void event_init(void *state, const struct shmring_sync_create *c)
{
	struct shmring_sync_event *st = state;

	/* Relaxed: published by the release of the magic (sync_obj.c). */
	shmring__store_relaxed(&st->state, c->value ? SHMRING_EVENT_SET : 0u);
}

static void event_setup(void *h)
{
	struct shmring_event *e = h;

	e->st = e->obj.state;
	e->manual = e->obj.hdr.flags & SHMRING_SYNC_HDR_MANUAL;
}

static uint32_t event_hdr_flags(const struct shmring_sync_opts *o)
{
	return (o->flags & SHMRING_SYNC_MANUAL_RESET) ? SHMRING_SYNC_HDR_MANUAL : 0;
}

static const struct shmring_sync_type event_type = {
	.kind = SHMRING_SYNC_KIND_EVENT, .size = sizeof(struct shmring_event),
	.create_flags = SHMRING_SYNC_REPLACE | SHMRING_SYNC_MANUAL_RESET, .max_value = 1,
	.hdr_flags = event_hdr_flags, .init = event_init, .setup = event_setup,
};

int shmring_event_create(const char *uri, const struct shmring_sync_opts *opts,
			 shmring_event_t **out)
{
	return shmring__sync_handle_create(&event_type, uri, opts, (void **)out);
}

int shmring_event_open(const char *uri, const struct shmring_sync_open_opts *opts,
		       shmring_event_t **out)
{
	return shmring__sync_handle_open(&event_type, uri, opts, (void **)out);
}

int shmring_event_dup(shmring_event_t *e, shmring_event_t **out)
{
	return shmring__sync_handle_dup(&event_type, e, (void **)out);
}

int shmring_event_close(shmring_event_t *e)
{
	return shmring__sync_handle_close(e);
}

int shmring_event_unlink(const char *uri)
{
	return shmring__syncobj_unlink(uri);
}

int shmring_event_set(shmring_event_t *e)
{
	uint32_t s;

	if (!e)
		return -EINVAL;
	/* Relaxed: a first guess for the CAS. */
	s = shmring__load_relaxed(&e->st->state);
	/* E1 (seq_cst, so release too): the flag and a new count, with what
	 * the setter wrote before, for the waiter's acquire; the look at
	 * waiters below comes after it (pairs with E2). A set event stays as
	 * it is. */
	while (!(s & SHMRING_EVENT_SET) &&
	       !atomic_compare_exchange_weak(&e->st->state, &s,
					     (s + SHMRING_EVENT_SEQ_ONE) | SHMRING_EVENT_SET))
		;
	/*
	 * E1: seq_cst load after the CAS. Also when the event was set already:
	 * an auto-reset waiter woken by that set may have died before taking
	 * it, and this set must not leave the others asleep beside a set flag.
	 */
	if (atomic_load(&e->st->waiters) != 0)
		shmring__futex_wake(&e->st->state, e->manual ? INT_MAX : 1);
	return 0;
}

int shmring_event_reset(shmring_event_t *e)
{
	if (!e)
		return -EINVAL;
	/* Release: a reset orders like a set (nothing waits for it). */
	atomic_fetch_and_explicit(&e->st->state, ~SHMRING_EVENT_SET, memory_order_release);
	return 0;
}

/* Manual: set now, or set since `since` (a state read earlier). Auto: take
 * the flag. 0 or -EAGAIN. */
static int event_try(struct shmring_event *e, uint32_t since, bool have_since)
{
	/* Acquire: pairs with E1 (what the setter wrote before the set). */
	uint32_t s = shmring__load_acquire(&e->st->state);

	if (e->manual) {
		if ((s & SHMRING_EVENT_SET) ||
		    (have_since && (s >> 1) != (since >> 1)))
			return 0;
		return -EAGAIN;
	}
	while (s & SHMRING_EVENT_SET)
		/* Acquire: as above; only one taker wins the flag. */
		if (shmring__cas_weak(&e->st->state, &s, s & ~SHMRING_EVENT_SET,
				      memory_order_acquire))
			return 0;
	return -EAGAIN;
}

int shmring_event_trywait(shmring_event_t *e)
{
	if (!e)
		return -EINVAL;
	return event_try(e, 0, false);
}

int shmring_event_wait(shmring_event_t *e, uint64_t deadline)
{
	uint32_t since;

	if (!e)
		return -EINVAL;
	/* Relaxed: only compared, for a manual set that came and went. */
	since = shmring__load_relaxed(&e->st->state);
	for (;;) {
		uint32_t s;
		int rc = 0;

		if (event_try(e, since, true) == 0)
			return 0;
		/* E2: register, then look (seq_cst both; pairs with E1). */
		atomic_fetch_add(&e->st->waiters, 1);
		s = atomic_load(&e->st->state);
		if (!(s & SHMRING_EVENT_SET) && (!e->manual || (s >> 1) == (since >> 1)))
			/* In slices: a set whose setter died before its wake
			 * is found at the next look. */
			rc = shmring__sync_sleep_slice(&e->st->state, s, deadline);
		else if (shmring__now_ns() >= deadline)
			/* Set, and taken by another waiter first (or a peer
			 * rewriting the word): not past the deadline. */
			rc = -ETIMEDOUT;
		/* Relaxed: a hint for setters; a forged 0 wraps to a large
		 * count, which costs setters a vain wake, nothing worse. */
		atomic_fetch_sub_explicit(&e->st->waiters, 1, memory_order_relaxed);
		if (rc == -ETIMEDOUT)
			return event_try(e, since, true) == 0 ? 0 : -ETIMEDOUT;
	}
}

bool shmring_event_is_manual(const shmring_event_t *e)
{
	return e && e->manual;
}
