/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/mix.h - a 64-bit finaliser with full avalanche (MurmurHash3's):
 * a bijection in which every input bit moves about half of the output bits.
 */
#ifndef SHMRING_RINGBUF_MIX_H
#define SHMRING_RINGBUF_MIX_H

#include <stdint.h>

static inline uint64_t shmring__mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

#endif /* SHMRING_RINGBUF_MIX_H */
