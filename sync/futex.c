/* SPDX-License-Identifier: MIT */
#include "sync/futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int shmring__futex_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline)
{
	struct timespec ts, *tsp = NULL;
	long rc;

	if (deadline != UINT64_MAX) {
		ts.tv_sec = (time_t)(deadline / 1000000000u);
		ts.tv_nsec = (long)(deadline % 1000000000u);
		tsp = &ts;
	}
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so a
	 * retry after EINTR does not stretch the wait. Not PRIVATE: the word is
	 * shared between processes. */
	rc = syscall(SYS_futex, word, FUTEX_WAIT_BITSET, expected, tsp, NULL,
		     FUTEX_BITSET_MATCH_ANY);
	if (rc == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return -EAGAIN;
	return -errno;
}

int shmring__futex_wake(_Atomic uint32_t *word, int n)
{
	long rc = syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);

	return rc < 0 ? -errno : (int)rc;
}
