/* SPDX-License-Identifier: MIT */
/*
 * tests/parked_helpers.h - a thread parked in a blocking send or receive:
 * start it, return once the ring's wait counters show it asleep, join it.
 * Include after <cmocka.h>.
 */
#ifndef SHMRING_TEST_PARKED_HELPERS_H
#define SHMRING_TEST_PARKED_HELPERS_H

#include "helpers.h"

#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

struct sleeper {
	shmring_t *r; /* the handle that blocks */
	uint64_t v;   /* the message it sends, or the one it received */
	int rc;       /* what its call returned */
	pthread_t t;
};

static void *sleeper_recv(void *arg)
{
	struct sleeper *s = arg;

	s->rc = shmring_recv(s->r, &s->v, shmring_deadline_in(10000000000ull));
	return NULL;
}

static void *sleeper_send(void *arg)
{
	struct sleeper *s = arg;

	s->rc = shmring_send(s->r, &s->v, shmring_deadline_in(10000000000ull));
	return NULL;
}

/* s->r blocks in a send (send) or a receive in a thread of its own; back
 * once observer (a handle of the same ring) counts it among the waits. */
static void sleeper_start(struct sleeper *s, bool send, shmring_t *observer)
{
	struct shmring_info in;

	assert_int_equal(pthread_create(&s->t, NULL, send ? sleeper_send : sleeper_recv, s), 0);
	do {
		usleep(1000);
		assert_int_equal(shmring_info(observer, &in), 0);
	} while ((send ? in.full_waits : in.empty_waits) == 0);
}

/* The sleeper was woken and its call returned 0. */
static void sleeper_done(struct sleeper *s)
{
	assert_int_equal(pthread_join(s->t, NULL), 0);
	assert_int_equal(s->rc, 0);
}

#endif /* SHMRING_TEST_PARKED_HELPERS_H */
