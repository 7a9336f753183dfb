/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/mpsc.c - the MPSC fixed-slot ring: many producers (CAS on the
 * producer position), one consumer that reads like SPSC's and never writes a
 * slot back. The algorithm is the shared core in ringbuf/mring.h, instantiated
 * here with mp = true, mc = false.
 */
#include "ringbuf/mring.h"

unsigned shmring__mpsc_send(struct shmring_mring *v, const void *msgs, unsigned n, bool all)
{
	return shmring__mring_send(v, msgs, n, all, true, false);
}

unsigned shmring__mpsc_recv(struct shmring_mring *v, void *msgs, unsigned n, bool all)
{
	return shmring__mring_recv(v, msgs, n, all, false);
}

/* One message: the calls above with n = 1 folded in, for the one-message
 * calls, the most common (no loop over a count at run time). */
unsigned shmring__mpsc_send1(struct shmring_mring *v, const void *msg)
{
	return shmring__mring_send(v, msg, 1, true, true, false);
}

unsigned shmring__mpsc_recv1(struct shmring_mring *v, void *msg)
{
	return shmring__mring_recv(v, msg, 1, true, false);
}

unsigned shmring__mpsc_reserve(struct shmring_mring *v, unsigned n, void **slots)
{
	return shmring__mring_reserve(v, n, slots, true, false);
}

int shmring__mpsc_commit(struct shmring_mring *v, unsigned n)
{
	return shmring__mring_commit(v, n, true);
}

unsigned shmring__mpsc_peek(struct shmring_mring *v, unsigned n, const void **slots)
{
	return shmring__mring_peek(v, n, slots, false);
}

int shmring__mpsc_release(struct shmring_mring *v, unsigned n)
{
	return shmring__mring_release(v, n, false);
}
