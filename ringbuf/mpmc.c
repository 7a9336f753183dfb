/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/mpmc.c - the MPMC fixed-slot ring: many producers and many
 * consumers, both claiming with CAS; free space and readiness both from the
 * slot words. The algorithm is the shared core in ringbuf/mring.h,
 * instantiated here with mp = true, mc = true.
 */
#include "ringbuf/mring.h"

unsigned shmring__mpmc_send(struct shmring_mring *v, const void *msgs, unsigned n, bool all)
{
	return shmring__mring_send(v, msgs, n, all, true, true);
}

unsigned shmring__mpmc_recv(struct shmring_mring *v, void *msgs, unsigned n, bool all)
{
	return shmring__mring_recv(v, msgs, n, all, true);
}

/* One message: the calls above with n = 1 folded in, for the one-message
 * calls, the most common (no loop over a count at run time). */
unsigned shmring__mpmc_send1(struct shmring_mring *v, const void *msg)
{
	return shmring__mring_send(v, msg, 1, true, true, true);
}

unsigned shmring__mpmc_recv1(struct shmring_mring *v, void *msg)
{
	return shmring__mring_recv(v, msg, 1, true, true);
}

unsigned shmring__mpmc_reserve(struct shmring_mring *v, unsigned n, void **slots)
{
	return shmring__mring_reserve(v, n, slots, true, true);
}

int shmring__mpmc_commit(struct shmring_mring *v, unsigned n)
{
	return shmring__mring_commit(v, n, true);
}

unsigned shmring__mpmc_peek(struct shmring_mring *v, unsigned n, const void **slots)
{
	return shmring__mring_peek(v, n, slots, true);
}

int shmring__mpmc_release(struct shmring_mring *v, unsigned n)
{
	return shmring__mring_release(v, n, true);
}
