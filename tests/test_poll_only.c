/* SPDX-License-Identifier: MIT */
/*
 * tests/test_poll_only.c - rings created SHMRING_CREATE_POLL_ONLY: the flag
 * is in the header and in shmring_info(), parking policies and doorbells are
 * refused, blocking and timed calls work without ever parking (every kind,
 * across processes), end-of-stream and EPIPE still reach the other side, and
 * open-or-create insists on the same choice.
 */
#include "helpers.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MSGS 100000u

static shmring_t *make(const char *name, uint32_t kind, uint32_t extra, unsigned role)
{
	struct shmring_opts o = {.kind = kind, .slot_size = 8, .capacity = 64,
				 .flags = SHMRING_CREATE_POLL_ONLY | extra};
	shmring_t *r = NULL;

	assert_int_equal(shmring_create(name, &o, role, &r), 0);
	return r;
}

static void test_flag_and_refusals(void **state)
{
	const char *name = test_ring_name("flag");
	struct shmring_wait park = {.mode = SHMRING_WAIT_PARK};
	struct shmring_wait adaptive = {.mode = SHMRING_WAIT_ADAPTIVE};
	struct shmring_wait spin = {.mode = SHMRING_WAIT_SPIN};
	struct shmring_wait yield = {.mode = SHMRING_WAIT_YIELD};
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, 0, SHMRING_PRODUCER), *rx;
	struct shmring_info in;
	int fd = -1;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_info(rx, &in), 0);
	assert_true(in.flags & SHMRING_CREATE_POLL_ONLY);
	assert_int_equal(shmring_set_wait(rx, &park), -EOPNOTSUPP);
	assert_int_equal(shmring_set_wait(tx, &adaptive), -EOPNOTSUPP);
	assert_int_equal(shmring_set_wait(rx, &spin), 0);
	assert_int_equal(shmring_set_wait(tx, &yield), 0);
	assert_int_equal(shmring_doorbell_register(rx, SIGRTMIN, 0), -EOPNOTSUPP);
	assert_int_equal(shmring_doorbell_register_fd(rx, &fd), -EOPNOTSUPP);
	assert_int_equal(fd, -1);
	/* A timed receive on an empty ring times out without parking. */
	{
		uint64_t v;

		assert_int_equal(shmring_recv(rx, &v, shmring_deadline_in(20000000)), -ETIMEDOUT);
	}
	assert_int_equal(shmring_info(rx, &in), 0);
	assert_int_equal(in.empty_waits, 0);
	shmring_close(tx);
	shmring_close(rx);
	assert_int_equal(shmring_unlink(name), 0);
}

static void test_open_existing_must_match(void **state)
{
	(void)state;
	assert_int_equal(test_open_existing_insists(test_ring_name("match"),
						    SHMRING_CREATE_POLL_ONLY),
			 0);
}

/* The child: receive MSGS values in order with blocking calls, then expect
 * end-of-stream. */
static int consume(const char *name, uint32_t kind)
{
	shmring_t *rx;
	struct shmring_info in;
	uint64_t v;
	int rc;

	if (shmring_open(name, SHMRING_CONSUMER, &rx))
		return 10;
	for (uint64_t i = 0; i < MSGS; i++) {
		if (kind == SHMRING_KIND_MSG) {
			ssize_t n = shmring_msg_recv(rx, &v, sizeof(v), NULL,
						     shmring_deadline_in(30000000000ull));

			rc = n == (ssize_t)sizeof(v) ? 0 : n < 0 ? (int)n : -EBADMSG;
		} else {
			rc = shmring_recv(rx, &v, shmring_deadline_in(30000000000ull));
		}
		if (rc < 0) {
			fprintf(stderr, "consume %" PRIu64 ": %s\n", i, shmring_strerror(rc));
			return 11;
		}
		if (v != i)
			return 12;
	}
	if (kind == SHMRING_KIND_MSG)
		rc = (int)shmring_msg_recv(rx, &v, sizeof(v), NULL, shmring_deadline_in(30000000000ull));
	else
		rc = shmring_recv(rx, &v, shmring_deadline_in(30000000000ull));
	if (rc != -EPIPE)
		return 13;
	if (shmring_info(rx, &in) || in.empty_waits || in.full_waits)
		return 14; /* somebody parked */
	shmring_close(rx);
	return 0;
}

static void stream(uint32_t kind)
{
	const char *name = test_ring_name("stream");
	struct shmring_opts o = {.kind = kind, .slot_size = kind == SHMRING_KIND_MSG ? 256 : 8,
				 .capacity = kind == SHMRING_KIND_MSG ? 4096 : 64,
				 .flags = SHMRING_CREATE_POLL_ONLY};
	struct shmring_info in;
	shmring_t *tx;
	pid_t pid;
	int st;

	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &tx), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(consume(name, kind));
	for (uint64_t i = 0; i < MSGS; i++) {
		int rc = kind == SHMRING_KIND_MSG
				 ? shmring_msg_send(tx, &i, sizeof(i), 0, shmring_deadline_in(30000000000ull))
				 : shmring_send(tx, &i, shmring_deadline_in(30000000000ull));

		assert_int_equal(rc, 0);
	}
	assert_int_equal(shmring_info(tx, &in), 0);
	assert_int_equal(in.full_waits, 0);
	assert_int_equal(in.wakes, 0);
	shmring_close(tx);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(shmring_unlink(name), 0);
}

static void test_stream_spsc(void **state)
{
	(void)state;
	stream(SHMRING_KIND_SPSC);
}

static void test_stream_mpmc(void **state)
{
	(void)state;
	stream(SHMRING_KIND_MPMC);
}

static void test_stream_msg(void **state)
{
	(void)state;
	stream(SHMRING_KIND_MSG);
}

/* A producer that saw the consumer sees EPIPE once it has gone. */
static void test_epipe(void **state)
{
	const char *name = test_ring_name("epipe");
	shmring_t *tx = make(name, SHMRING_KIND_MPSC, 0, SHMRING_PRODUCER), *rx;
	uint64_t v = 1;
	int rc;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_send(tx, &v, shmring_deadline_in(1000000000)), 0);
	shmring_close(rx);
	do
		rc = shmring_send(tx, &v, shmring_deadline_in(1000000000));
	while (rc == 0);
	assert_int_equal(rc, -EPIPE);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_flag_and_refusals, test_teardown_names),
		cmocka_unit_test_teardown(test_open_existing_must_match, test_teardown_names),
		cmocka_unit_test_teardown(test_stream_spsc, test_teardown_names),
		cmocka_unit_test_teardown(test_stream_mpmc, test_teardown_names),
		cmocka_unit_test_teardown(test_stream_msg, test_teardown_names),
		cmocka_unit_test_teardown(test_epipe, test_teardown_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
