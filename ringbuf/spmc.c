/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/spmc.c - the SPMC fixed-slot ring: one producer (private position,
 * free space from the slot words), many consumers (CAS on the consumer
 * position). The algorithm is the shared core in ringbuf/mring.h, instantiated
 * here with mp = false, mc = true.
 */
#include "ringbuf/mring.h"

unsigned shmring__spmc_send(struct shmring_mring *v, const void *msgs, unsigned n, bool all)
{
	return shmring__mring_send(v, msgs, n, all, false, true);
}

unsigned shmring__spmc_recv(struct shmring_mring *v, void *msgs, unsigned n, bool all)
{
	return shmring__mring_recv(v, msgs, n, all, true);
}

/* One message: the calls above with n = 1 folded in, for the one-message
 * calls, the most common (no loop over a count at run time). */
unsigned shmring__spmc_send1(struct shmring_mring *v, const void *msg)
{
	return shmring__mring_send(v, msg, 1, true, false, true);
}

unsigned shmring__spmc_recv1(struct shmring_mring *v, void *msg)
{
	return shmring__mring_recv(v, msg, 1, true, true);
}

unsigned shmring__spmc_reserve(struct shmring_mring *v, unsigned n, void **slots)
{
	return shmring__mring_reserve(v, n, slots, false, true);
}

int shmring__spmc_commit(struct shmring_mring *v, unsigned n)
{
	return shmring__mring_commit(v, n, false);
}

unsigned shmring__spmc_peek(struct shmring_mring *v, unsigned n, const void **slots)
{
	return shmring__mring_peek(v, n, slots, true);
}

int shmring__spmc_release(struct shmring_mring *v, unsigned n)
{
	return shmring__mring_release(v, n, true);
}
