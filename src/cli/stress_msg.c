/* SPDX-License-Identifier: MIT */
/*
 * src/cli/stress_msg.c - ring kinds `shmring stress` knows, and the message
 * every producer sends: header, pseudo-random payload of random length,
 * padding, checksum.
 */
#include "cli/stress.h"
#include "ringbuf/mix.h"

#include <string.h>

static const struct shmring_stress_kind kinds[] = {
	{"spsc", SHMRING_KIND_SPSC, false, false, false, 64, 1024},
	{"mpsc", SHMRING_KIND_MPSC, true, false, false, 64, 1024},
	{"spmc", SHMRING_KIND_SPMC, false, true, false, 64, 1024},
	{"mpmc", SHMRING_KIND_MPMC, true, true, false, 64, 1024},
	{"msg", SHMRING_KIND_MSG, true, true, true, 256, 65536},
};

const struct shmring_stress_kind *shmring_stress_kinds(size_t *n)
{
	*n = sizeof(kinds) / sizeof(kinds[0]);
	return kinds;
}

const struct shmring_stress_kind *shmring_stress_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

/* The payload generator: a Weyl sequence through a finaliser with full
 * avalanche (splitmix-style), so a one-bit tear anywhere changes the
 * checksum. */
static inline uint64_t next_rand(uint64_t *state)
{
	*state += UINT64_C(0x9e3779b97f4a7c15);
	return shmring__mix64(*state);
}

uint64_t shmring_stress_mix(uint64_t seed, uint32_t producer, uint64_t seq)
{
	return shmring__mix64(seed ^
			      shmring__mix64(((uint64_t)producer << 40) ^ seq ^ UINT64_C(0x5bd1e995)));
}

uint32_t shmring_stress_type(uint32_t producer, uint64_t seq)
{
	return (uint32_t)shmring_stress_mix(UINT64_C(0x7e57), producer, seq);
}

/* Word-at-a-time hash of n bytes, chained from h. Words are read with memcpy:
 * a slot's payload sits at offset 24, which is only 8-byte aligned when the
 * slot is, and records in a msg ring need not be. */
static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ shmring__mix64(w)) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	w = (uint64_t)n << 56; /* the tail's length, so trailing zero bytes count */
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return shmring__mix64(h ^ shmring__mix64(w));
}

/* Checksum over everything but the sum field itself (bytes 16..23). */
static uint64_t checksum(const uint8_t *m, size_t n)
{
	uint64_t h = hash_bytes(UINT64_C(0x243f6a8885a308d3), m, 16);

	return hash_bytes(h, m + SHMRING_STRESS_HDR, n - SHMRING_STRESS_HDR);
}

size_t shmring_stress_build(void *buf, size_t room, bool records, uint64_t seed,
			    uint32_t producer, uint64_t seq)
{
	uint8_t *m = buf;
	uint64_t st = shmring_stress_mix(seed, producer, seq), r = next_rand(&st);
	uint32_t maxlen = (uint32_t)(room - SHMRING_STRESS_HDR), len;
	size_t n;
	uint64_t w;

	/* Uniform over 0..maxlen, with 1/16 each forced to the two edges, where
	 * off-by-one errors in copying or wrapping live. */
	switch (r & 15) {
	case 0:
		len = 0;
		break;
	case 1:
		len = maxlen;
		break;
	default:
		len = (uint32_t)((r >> 8) % ((uint64_t)maxlen + 1));
		break;
	}
	memcpy(m, &producer, 4);
	memcpy(m + 4, &len, 4);
	memcpy(m + 8, &seq, 8);
	for (size_t off = 0; off < len; off += 8) {
		w = next_rand(&st);
		memcpy(m + SHMRING_STRESS_HDR + off, &w, len - off < 8 ? len - off : 8);
	}
	n = SHMRING_STRESS_HDR + len;
	if (!records) {
		/* Padding varies with seq, so a slot torn between two messages
		 * differs in its padding as well. */
		memset(m + n, (int)(0xa5 ^ (seq & 0xff)), room - n);
		n = room;
	}
	w = checksum(m, n);
	memcpy(m + 16, &w, 8);
	return n;
}

int shmring_stress_check(const void *buf, size_t n, size_t room, bool records,
			 struct shmring_stress_hdr *h)
{
	const uint8_t *m = buf;

	memset(h, 0, sizeof(*h));
	if (n < SHMRING_STRESS_HDR)
		return -EBADMSG;
	memcpy(&h->producer, m, 4);
	memcpy(&h->len, m + 4, 4);
	memcpy(&h->seq, m + 8, 8);
	memcpy(&h->sum, m + 16, 8);
	/* The length field is untrusted: bound it before anything relies on it. */
	if (h->len > room - SHMRING_STRESS_HDR)
		return -EBADMSG;
	if (records ? n != SHMRING_STRESS_HDR + (size_t)h->len : n != room)
		return -EBADMSG;
	return checksum(m, n) == h->sum ? 0 : -EBADMSG;
}
