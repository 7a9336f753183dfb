/* SPDX-License-Identifier: MIT */
#include "sync/semt.h"
#include "sync/futex.h"
#include "sync/wait.h"

#include <errno.h>
#include <limits.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>

#if defined(__GLIBC__) && UINTPTR_MAX == UINT64_MAX

#include <assert.h>
#include <endian.h>
#include <stddef.h>

/*
 * glibc's sem_t where 64-bit atomics exist (struct new_sem, stable since
 * glibc 2.21): the count in the low 32 bits of `data`, which the futex
 * calls use as their word, and the waiters in the high 32 bits; then the
 * flags word these calls never read.
 */
struct glibc_sem {
	_Atomic uint64_t data;
	int private_flags;
	int pad;
};
static_assert(sizeof(struct glibc_sem) <= sizeof(sem_t), "glibc's sem_t layout");
static_assert(SEM_VALUE_MAX == INT_MAX, "glibc's SEM_VALUE_MAX");

#define WAITER (UINT64_C(1) << 32)
#define COUNT(d) ((uint32_t)(d))
/* The longest one sleep lasts before the count is looked at again (as
 * SHMRING_SYNC_RECHECK_NS for the futex semaphore): a poster that dies
 * between its increment and its wake, or a peer that cleared the waiter
 * count, would otherwise leave a waiter asleep beside a unit. */
#define RECHECK_NS UINT64_C(100000000)

static _Atomic uint64_t *data_of(void *sem)
{
	return &((struct glibc_sem *)sem)->data;
}

/* The 32-bit half of `data` that holds the count: the futex word. */
static _Atomic uint32_t *count_word(void *sem)
{
	return (_Atomic uint32_t *)(void *)data_of(sem) + (__BYTE_ORDER == __BIG_ENDIAN);
}

int shmring__semt_post(void *sem)
{
	_Atomic uint64_t *data = data_of(sem);
	/* Relaxed: a first guess; the CAS below decides. */
	uint64_t d = atomic_load_explicit(data, memory_order_relaxed);

	do {
		/* >=, not ==: a forged count past the most must not carry
		 * into the waiter count. */
		if (COUNT(d) >= (uint32_t)SEM_VALUE_MAX)
			return -EOVERFLOW;
		/* Release: a waiter that takes this unit (acquire) sees what
		 * we published before the post (as glibc's sem_post). */
	} while (!atomic_compare_exchange_weak_explicit(data, &d, d + 1, memory_order_release,
							memory_order_relaxed));
	if (d >> 32)
		(void)shmring__futex_wake(count_word(sem), 1);
	return 0;
}

int shmring__semt_trywait(void *sem)
{
	_Atomic uint64_t *data = data_of(sem);
	/* Relaxed: a first guess; the CAS below decides. */
	uint64_t d = atomic_load_explicit(data, memory_order_relaxed);

	do {
		if (COUNT(d) == 0)
			return -EAGAIN;
		/* Acquire: pairs with the post's release CAS. */
	} while (!atomic_compare_exchange_weak_explicit(data, &d, d - 1, memory_order_acquire,
							memory_order_relaxed));
	return 0;
}

int shmring__semt_wait(void *sem, uint64_t deadline)
{
	_Atomic uint64_t *data = data_of(sem);
	uint64_t d;
	int rc;

	if (shmring__semt_trywait(sem) == 0)
		return 0;
	/* Relaxed: announces a waiter to posters, as glibc does; the count
	 * the futex compares is read by the kernel itself. */
	d = atomic_fetch_add_explicit(data, WAITER, memory_order_relaxed) + WAITER;
	for (;;) {
		/* Every turn, so a peer that rewrites the word without end
		 * cannot keep us past the deadline. */
		if (deadline != UINT64_MAX && shmring__now_ns() >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		if (COUNT(d) == 0) {
			uint64_t now = shmring__now_ns();

			/* In slices; the deadline is judged at the top. */
			rc = shmring__futex_wait(count_word(sem), 0,
						 deadline <= now || deadline - now <= RECHECK_NS
							 ? deadline
							 : now + RECHECK_NS);
			if (rc == -EINTR)
				break;
			rc = 0;
			/* Relaxed: a new guess for the CAS. */
			d = atomic_load_explicit(data, memory_order_relaxed);
		} else if (atomic_compare_exchange_weak_explicit(data, &d, d - 1 - WAITER,
								 memory_order_acquire,
								 memory_order_relaxed)) {
			/* Acquire: pairs with the post's release CAS. */
			return 0;
		}
	}
	/* Relaxed: withdraws the announcement; a post that still counted us
	 * makes one wake call for nobody. */
	atomic_fetch_sub_explicit(data, WAITER, memory_order_relaxed);
	/* A unit that came with the deadline (or whose wake was lost) is
	 * taken, not reported as a timeout. */
	if (rc == -ETIMEDOUT && shmring__semt_trywait(sem) == 0)
		return 0;
	return rc;
}

int shmring__semt_value(void *sem)
{
	/* Relaxed: a snapshot for a heuristic or a display. */
	uint32_t c = COUNT(atomic_load_explicit(data_of(sem), memory_order_relaxed));

	return c > (uint32_t)SEM_VALUE_MAX ? SEM_VALUE_MAX : (int)c;
}

#else /* another C library: its own calls */

int shmring__semt_post(void *sem)
{
	return sem_post(sem) < 0 ? -errno : 0;
}

int shmring__semt_trywait(void *sem)
{
	while (sem_trywait(sem) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int shmring__semt_wait(void *sem, uint64_t deadline)
{
	struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
			      .tv_nsec = (long)(deadline % 1000000000u)};

	if (deadline == UINT64_MAX)
		return sem_wait(sem) == 0 ? 0 : -errno;
	return sem_clockwait(sem, CLOCK_MONOTONIC, &ts) == 0 ? 0 : -errno;
}

int shmring__semt_value(void *sem)
{
	int v = 0;

	sem_getvalue(sem, &v);
	return v < 0 ? 0 : v;
}

#endif
