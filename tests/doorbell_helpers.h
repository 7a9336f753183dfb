/* SPDX-License-Identifier: MIT */
/*
 * tests/doorbell_helpers.h - what the two doorbell tests share: a producer
 * process that sends (id, i) pairs for i < count, pausing now and then so
 * that the consumer drains, arms its doorbell and sleeps; and the consumer's
 * drain, which checks every producer's order.
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

/*
 * Receive whatever is there, checking each producer's order in next[] (ids
 * below `producers`) and counting in *got. Returns what ended the drain:
 * -EAGAIN (empty), or -EPIPE, which between two producers' lives (all those
 * attached so far finished before the next one attached) means "for now".
 */
static inline int doorbell_drain(shmring_t *rx, uint32_t *next, uint32_t producers,
				 uint64_t *got)
{
	uint64_t m[2];
	int rc;

	while ((rc = shmring_try_recv(rx, m)) == 0) {
		assert_true(m[0] < producers);
		assert_int_equal(m[1], next[m[0]]);
		next[m[0]]++;
		(*got)++;
	}
	return rc;
}

#endif /* SHMRING_TESTS_DOORBELL_HELPERS_H */
