/* SPDX-License-Identifier: MIT */
/*
 * sync/futex.h - shared (not process-private) futex wait and wake on a 32-bit
 * word in shared memory.
 */
#ifndef SHMRING_SYNC_FUTEX_H
#define SHMRING_SYNC_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * Sleep while *word == expected, until woken or until deadline (absolute
 * CLOCK_MONOTONIC ns; UINT64_MAX = none). Returns 0 when woken, -EAGAIN if
 * the word had already changed, -ETIMEDOUT, -EINTR on a signal.
 */
int shmring__futex_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline);

/* Wake up to n sleepers on word; returns how many were woken or -errno. */
int shmring__futex_wake(_Atomic uint32_t *word, int n);

#endif /* SHMRING_SYNC_FUTEX_H */
