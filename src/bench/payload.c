/* SPDX-License-Identifier: MIT */
#include "payload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS (SHMRING_BENCH_MAX_MSG / 8u)

static uint64_t *pattern;

int shmring_bench_payload_init(void)
{
	if (pattern)
		return 0;
	pattern = aligned_alloc(64, SHMRING_BENCH_MAX_MSG);
	if (!pattern)
		return -ENOMEM;
	/* xorshift64: any fixed sequence will do, as long as neighbouring
	 * words differ, so that a shifted copy does not match. */
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	for (unsigned i = 0; i < WORDS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pattern[i] = (i % 8u == 0) ? 0 : x;
	}
	return 0;
}

void *shmring_bench_payload_new(unsigned size)
{
	size_t len = (size + 63u) & ~63u;
	void *m = aligned_alloc(64, len ? len : 64);

	if (m)
		memcpy(m, pattern, size);
	return m;
}

void *shmring_bench_payload_new_rx(unsigned size)
{
	size_t len = (size + 63u) & ~63u;
	uint64_t *m = aligned_alloc(64, len ? len : 64);

	/* The pattern's complement: a transport that leaves a byte
	 * unwritten fails the check at the first message. */
	for (unsigned i = 0; m && i < size / 8u; i++)
		m[i] = ~pattern[i];
	return m;
}

void shmring_bench_payload_stamp(void *msg, unsigned size, uint64_t seq)
{
	uint64_t *w = msg;

	for (unsigned i = 0; i < size / 8u; i += 8)
		w[i] = seq;
}

uint64_t shmring_bench_payload_seq(const void *msg)
{
	uint64_t s;

	memcpy(&s, msg, sizeof(s));
	return s;
}

int shmring_bench_payload_check(const void *msg, unsigned size, uint64_t seq, char *why,
				size_t whylen)
{
	const uint64_t *w = msg;
	unsigned n = size / 8u;
	uint64_t bad = 0;

	/* One pass that the compiler can vectorise; find the culprit only
	 * when it says something is wrong. */
	for (unsigned i = 0; i < n; i++)
		bad |= w[i] ^ ((i % 8u == 0) ? seq : pattern[i]);
	if (!bad)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t want = (i % 8u == 0) ? seq : pattern[i];

		if (w[i] == want)
			continue;
		if (i == 0)
			snprintf(why, whylen, "message %llu arrived as message %llu",
				 (unsigned long long)seq, (unsigned long long)w[0]);
		else if (i % 8u == 0)
			snprintf(why, whylen,
				 "message %llu (%u B): bytes %u..%u belong to message %llu",
				 (unsigned long long)seq, size, i * 8u, i * 8u + 63u,
				 (unsigned long long)w[i]);
		else
			snprintf(why, whylen, "message %llu (%u B): payload corrupt at byte %u",
				 (unsigned long long)seq, size, i * 8u);
		break;
	}
	return -EBADMSG;
}
