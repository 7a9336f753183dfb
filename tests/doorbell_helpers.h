/* SPDX-License-Identifier: MIT */
/*
 * tests/doorbell_helpers.h - what the two doorbell tests share: a producer
 * process that sends (id, i) pairs for i < count, pausing now and then so
 * that the consumer drains, arms its doorbell and sleeps.
 */
#ifndef SHMRING_TESTS_DOORBELL_HELPERS_H
#define SHMRING_TESTS_DOORBELL_HELPERS_H

#include "helpers.h"

/* The exit status of a producer child: 0, or where it failed. */
static inline int doorbell_produce(const char *name, uint32_t id, uint32_t count)
{
	shmring_t *tx;
	uint64_t m[2];

	if (shmring_open(name, SHMRING_PRODUCER, &tx) < 0)
		return 10;
	for (uint32_t i = 0; i < count; i++) {
		m[0] = id;
		m[1] = i;
		if (shmring_send(tx, m, shmring_deadline_in(10000000000ull)) < 0)
			return 11;
		if (i % 1000 == 0)
			usleep(200); /* let the consumer drain and sleep now and then */
	}
	shmring_close(tx);
	return 0;
}

#endif /* SHMRING_TESTS_DOORBELL_HELPERS_H */
