/* SPDX-License-Identifier: MIT */
/*
 * sync/semt.h - post, wait and read a process-shared POSIX semaphore (a
 * sem_t made by sem_init(pshared = 1) or mapped by sem_open()) that lives in
 * memory other processes may write, without trusting what they wrote.
 *
 * glibc keeps in a sem_t, next to its count, the futex flags its own calls
 * hand to the kernel (the sem_t's `private` word). A peer that rewrites that
 * word makes glibc's sem_post() and sem_clockwait() ask the kernel for some
 * other futex operation: glibc then aborts the process ("The futex facility
 * returned an unexpected error code") or spins past the deadline for ever.
 * These calls do what glibc's do to the count and the waiter count (one
 * 64-bit word, the same in every process sharing the semaphore, so they
 * interoperate with glibc's own calls), with shared futex calls of their
 * own, and never read the flags word. With another C library they are that
 * library's own calls.
 */
#ifndef SHMRING_SYNC_SEMT_H
#define SHMRING_SYNC_SEMT_H

#include <stdint.h>

/* Add one unit, waking one sleeper if any: 0, or -EOVERFLOW (the count is
 * at SEM_VALUE_MAX or, forged, beyond). */
int shmring__semt_post(void *sem);

/* Take a unit if there is one: 0, or -EAGAIN. */
int shmring__semt_trywait(void *sem);

/* Take a unit, sleeping until deadline (absolute CLOCK_MONOTONIC ns;
 * UINT64_MAX: none): 0, -ETIMEDOUT or -EINTR (a signal). Sleeps at most
 * 100 ms at a time and looks at the count again: a unit whose wake was lost
 * (its poster died in between) is taken then, not after the deadline. */
int shmring__semt_wait(void *sem, uint64_t deadline);

/* The count, 0..SEM_VALUE_MAX (a forged count beyond it reads as the most). */
int shmring__semt_value(void *sem);

#endif /* SHMRING_SYNC_SEMT_H */
