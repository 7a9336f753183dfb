/* SPDX-License-Identifier: MIT */
/*
 * test_threads: a producer thread and a consumer thread, each with its own
 * handle on one ring, move N messages (default 10^7, divided by
 * TEST_MSG_DIVISOR under the sanitizers; `test_threads N` overrides) and the
 * consumer checks that each arrives once, in order and intact (sequence
 * number plus a check value, and a running checksum over all of them). Variants: busy-poll (try_*),
 * blocking with the adaptive and the park-only policy, and bulk and burst,
 * both non-blocking and blocking.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#define BATCH 64u
#define CAPACITY 1024u

struct msg {
	uint64_t seq;
	uint64_t check;
};

enum variant {
	V_TRY,
	V_BLOCK_ADAPTIVE,
	V_BLOCK_PARK,
	V_TRY_BULK,
	V_TRY_BURST,
	V_BLOCK_BULK,
	V_BLOCK_BURST,
};

struct run {
	const char *name;
	enum variant v;
	uint64_t count;
	/* results */
	int prod_rc, cons_rc;
	uint64_t received, sum_sent, sum_got;
	char why[160];
};

static uint64_t total = 0; /* messages per variant; set in main() */

/* Busy-poll courtesy: after this many failed attempts, let the other thread
 * run (on a loaded 2-CPU machine both may share one). */
#define SPINS_BEFORE_YIELD 64u

static void backoff(unsigned *fails)
{
	if (++*fails % SPINS_BEFORE_YIELD == 0)
		sched_yield();
}

static int set_policy(shmring_t *r, enum variant v)
{
	struct shmring_wait w = {.mode = v == V_BLOCK_PARK ? SHMRING_WAIT_PARK
							     : SHMRING_WAIT_ADAPTIVE};

	return shmring_set_wait(r, &w);
}

/* Fill out[0..n) with messages first..first+n-1; returns their checksum. */
static uint64_t make_msgs(struct msg *out, uint64_t first, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		out[i].seq = first + i;
		out[i].check = test_check(first + i);
		sum += out[i].check ^ out[i].seq;
	}
	return sum;
}

static void *producer(void *arg)
{
	struct run *run = arg;
	struct msg batch[BATCH];
	shmring_t *r;
	uint64_t next = 0, sum = 0;
	unsigned fails = 0;
	int rc = shmring_open(run->name, SHMRING_PRODUCER, &r);

	if (rc < 0) {
		run->prod_rc = rc;
		return NULL;
	}
	set_policy(r, run->v);
	while (next < run->count) {
		/* Vary the batch so bulks and bursts meet the wrap point everywhere. */
		unsigned n = 1 + (unsigned)(next % BATCH);
		int k;

		if (n > run->count - next)
			n = (unsigned)(run->count - next);
		switch (run->v) {
		case V_TRY:
			make_msgs(batch, next, 1);
			if (shmring_try_send(r, batch) == 0) {
				sum += batch[0].check ^ batch[0].seq;
				next++;
			} else {
				backoff(&fails);
			}
			break;
		case V_BLOCK_ADAPTIVE:
		case V_BLOCK_PARK:
			sum += make_msgs(batch, next, 1);
			rc = shmring_send(r, batch, SHMRING_NO_DEADLINE);
			if (rc < 0)
				goto out;
			next++;
			break;
		case V_TRY_BULK:
		case V_TRY_BURST:
			make_msgs(batch, next, n);
			k = (int)(run->v == V_TRY_BULK ? shmring_try_send_bulk(r, batch, n)
						       : shmring_try_send_burst(r, batch, n));
			if (run->v == V_TRY_BULK && k != 0 && k != (int)n) {
				rc = -EPROTO;
				snprintf(run->why, sizeof(run->why), "bulk of %u sent %d", n, k);
				goto out;
			}
			if (k == 0)
				backoff(&fails);
			sum += make_msgs(batch, next, (unsigned)k);
			next += (unsigned)k;
			break;
		case V_BLOCK_BULK:
		case V_BLOCK_BURST:
			make_msgs(batch, next, n);
			k = run->v == V_BLOCK_BULK ? shmring_send_bulk(r, batch, n, SHMRING_NO_DEADLINE)
						   : shmring_send_burst(r, batch, n, SHMRING_NO_DEADLINE);
			if (k <= 0 || (unsigned)k > n || (run->v == V_BLOCK_BULK && (unsigned)k != n)) {
				rc = k < 0 ? k : -EPROTO;
				snprintf(run->why, sizeof(run->why), "send of %u returned %d", n, k);
				goto out;
			}
			sum += make_msgs(batch, next, (unsigned)k);
			next += (unsigned)k;
			break;
		}
	}
	rc = 0;
out:
	run->prod_rc = rc;
	run->sum_sent = sum;
	shmring_close(r);
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *run = arg;
	struct msg batch[BATCH];
	shmring_t *r;
	uint64_t next = 0, sum = 0;
	unsigned fails = 0;
	int rc = shmring_open(run->name, SHMRING_CONSUMER, &r);

	if (rc < 0) {
		run->cons_rc = rc;
		return NULL;
	}
	set_policy(r, run->v);
	while (next < run->count) {
		unsigned n = 1 + (unsigned)((next * 7) % BATCH);
		int k = 0;

		if (n > run->count - next)
			n = (unsigned)(run->count - next);
		switch (run->v) {
		case V_TRY:
			k = shmring_try_recv(r, batch) == 0 ? 1 : 0;
			break;
		case V_BLOCK_ADAPTIVE:
		case V_BLOCK_PARK:
			rc = shmring_recv(r, batch, SHMRING_NO_DEADLINE);
			if (rc < 0)
				goto out;
			k = 1;
			break;
		case V_TRY_BULK:
			k = (int)shmring_try_recv_bulk(r, batch, n);
			if (k != 0 && k != (int)n) {
				rc = -EPROTO;
				snprintf(run->why, sizeof(run->why), "bulk of %u received %d", n, k);
				goto out;
			}
			break;
		case V_TRY_BURST:
			k = (int)shmring_try_recv_burst(r, batch, n);
			break;
		case V_BLOCK_BULK:
		case V_BLOCK_BURST:
			k = run->v == V_BLOCK_BULK ? shmring_recv_bulk(r, batch, n, SHMRING_NO_DEADLINE)
						   : shmring_recv_burst(r, batch, n, SHMRING_NO_DEADLINE);
			if (k <= 0 || (unsigned)k > n || (run->v == V_BLOCK_BULK && (unsigned)k != n)) {
				rc = k < 0 ? k : -EPROTO;
				snprintf(run->why, sizeof(run->why), "recv of %u returned %d", n, k);
				goto out;
			}
			break;
		}
		if (k == 0) {
			backoff(&fails);
			continue;
		}
		for (int i = 0; i < k; i++, next++) {
			if (batch[i].seq != next || batch[i].check != test_check(next)) {
				rc = -EPROTO;
				snprintf(run->why, sizeof(run->why),
					 "message %llu: seq %llu check %#llx", (unsigned long long)next,
					 (unsigned long long)batch[i].seq,
					 (unsigned long long)batch[i].check);
				goto out;
			}
			sum += batch[i].check ^ batch[i].seq;
		}
	}
	/* Nothing more than was sent: empty, or end-of-stream once the
	 * producer has closed. */
	rc = shmring_try_recv(r, batch);
	if (rc != -EAGAIN && rc != -EPIPE) {
		rc = -EPROTO;
		snprintf(run->why, sizeof(run->why), "a message beyond the last one");
		goto out;
	}
	rc = 0;
	rc = 0;
out:
	run->cons_rc = rc;
	run->received = next;
	run->sum_got = sum;
	shmring_close(r);
	return NULL;
}

static void run_variant(enum variant v, uint64_t count)
{
	struct shmring_opts o = {.slot_size = sizeof(struct msg), .capacity = CAPACITY};
	struct run run = {.v = v, .count = count};
	struct shmring_info in;
	pthread_t pt, ct;
	shmring_t *obs;
	uint64_t t0 = test_now_ns();

	run.name = test_ring_name("thr");
	assert_int_equal(shmring_create(run.name, &o, SHMRING_OBSERVER, &obs), 0);
	assert_int_equal(pthread_create(&ct, NULL, consumer, &run), 0);
	assert_int_equal(pthread_create(&pt, NULL, producer, &run), 0);
	pthread_join(pt, NULL);
	pthread_join(ct, NULL);
	if (run.why[0])
		print_message("%s\n", run.why);
	assert_int_equal(run.prod_rc, 0);
	assert_int_equal(run.cons_rc, 0);
	assert_int_equal(run.received, count);
	assert_true(run.sum_sent == run.sum_got);
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.produced, count);
	assert_int_equal(in.consumed, count);
	assert_int_equal(in.producers, 0);
	assert_int_equal(in.consumers, 0);
	print_message("%llu messages in %.2f s (full waits %llu, empty waits %llu, wakes %llu)\n",
		      (unsigned long long)count, (double)(test_now_ns() - t0) / 1e9,
		      (unsigned long long)in.full_waits, (unsigned long long)in.empty_waits,
		      (unsigned long long)in.wakes);
	shmring_close(obs);
}

static void test_try(void **state)
{
	(void)state;
	run_variant(V_TRY, total);
}

static void test_block_adaptive(void **state)
{
	(void)state;
	run_variant(V_BLOCK_ADAPTIVE, total);
}

/* Park-only costs a futex round trip whenever the ring runs empty or full. */
static void test_block_park(void **state)
{
	(void)state;
	run_variant(V_BLOCK_PARK, total);
}

static void test_try_bulk(void **state)
{
	(void)state;
	run_variant(V_TRY_BULK, total);
}

static void test_try_burst(void **state)
{
	(void)state;
	run_variant(V_TRY_BURST, total);
}

static void test_block_bulk(void **state)
{
	(void)state;
	run_variant(V_BLOCK_BULK, total);
}

static void test_block_burst(void **state)
{
	(void)state;
	run_variant(V_BLOCK_BURST, total);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_try, test_teardown_names),
		cmocka_unit_test_teardown(test_block_adaptive, test_teardown_names),
		cmocka_unit_test_teardown(test_block_park, test_teardown_names),
		cmocka_unit_test_teardown(test_try_bulk, test_teardown_names),
		cmocka_unit_test_teardown(test_try_burst, test_teardown_names),
		cmocka_unit_test_teardown(test_block_bulk, test_teardown_names),
		cmocka_unit_test_teardown(test_block_burst, test_teardown_names),
	};

	total = argc > 1 ? strtoull(argv[1], NULL, 0) : 10000000u;
	if (argc > 2 || total == 0) {
		fprintf(stderr, "usage: test_threads [MESSAGES]\n");
		return 2;
	}
	/* The sanitizers slow the ring down; keep the run within its timeout. */
	total /= TEST_MSG_DIVISOR;
	if (total < 1000)
		total = 1000;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
