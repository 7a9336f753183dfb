/* SPDX-License-Identifier: MIT */
/*
 * test_wait: blocking across processes. A consumer parked on an empty ring
 * (it really parked: empty_waits > 0) wakes when a producer in another
 * process sends, and gets the message; the same for a producer parked on a
 * full ring. Timed calls return -ETIMEDOUT on time under every wait policy:
 * never before the deadline and not grossly after it (the slack is generous:
 * this is a correctness check on a shared 2-CPU machine, not a latency
 * figure), move nothing, and signals do not cut a wait short.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <cmocka.h>

#include "helpers.h"

#define MS 1000000ull
#define TIMEOUT_NS (100 * MS)
/* Generous: a loaded 2-CPU VM may not run us for a while; more under sanitizers. */
/* How late a timed wait may return. Generous: this checks that a deadline is
 * honoured at all (a broken one returns never, or seconds late), on a shared
 * 2-CPU machine where ctest -j2 runs spinning tests beside this one. */
#define SLACK_NS (TEST_SLOWDOWN > 1 ? 3000 * MS : 1500 * MS)

struct msg {
	uint64_t seq;
	uint64_t check;
};

static shmring_t *make(const char *name, uint64_t capacity, unsigned role)
{
	/* Sleeps as long as a minute: a sleeper that wakes is woken. */
	struct shmring_opts o = {.slot_size = sizeof(struct msg), .capacity = capacity,
				 .recovery_ns = 60000000000ull};
	shmring_t *r = NULL;

	assert_int_equal(shmring_create(name, &o, role, &r), 0);
	return r;
}

static void set_mode(shmring_t *r, uint32_t mode)
{
	struct shmring_wait w = {.mode = mode};

	assert_int_equal(shmring_set_wait(r, &w), 0);
}

/* Poll the ring's counters until *field (from shmring_info) is non-zero. */
static uint64_t wait_for_counter(shmring_t *r, size_t field_off, uint64_t timeout_ms)
{
	uint64_t deadline = test_now_ns() + timeout_ms * MS;
	struct shmring_info in;

	for (;;) {
		uint64_t v;

		assert_int_equal(shmring_info(r, &in), 0);
		memcpy(&v, (char *)&in + field_off, sizeof(v));
		/* Past the first sleep of the wait, which is short (at most
		 * 5 ms): the waiter is then in a long one, and what wakes it
		 * is the send, not its own clock. */
		if (v >= 2 || test_now_ns() > deadline)
			return v;
		test_sleep_ms(1);
	}
}

/* Child: open as consumer with `mode`, receive one message, check it. */
static int child_consumer(const char *name, uint32_t mode, uint64_t seq)
{
	struct shmring_wait w = {.mode = mode};
	shmring_t *r;
	struct msg m;
	int rc;

	/* The longest recovery deadline: a park lasts until the send wakes it,
	 * not until a periodic re-check that might catch the message itself. */
	if (shmring_open(name, SHMRING_CONSUMER, &r) < 0 || shmring_set_wait(r, &w) < 0 ||
	    shmring_set_recovery(r, 60000000000ull) < 0)
		return 10;
	rc = shmring_recv(r, &m, shmring_deadline_in(60000 * MS));
	if (rc == -ETIMEDOUT)
		return 11;
	if (rc < 0)
		return 12;
	if (m.seq != seq || m.check != test_check(seq))
		return 13;
	shmring_close(r);
	return 0;
}

static void consumer_wakes(uint32_t mode)
{
	const char *name = test_ring_name("wake");
	shmring_t *p = make(name, 16, SHMRING_PRODUCER);
	struct msg m = {.seq = 77, .check = test_check(77)};
	uint64_t parks;
	pid_t child;
	int status;

	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(child_consumer(name, mode, 77));
	/* The child parks once it finds the ring empty (after its spin, if adaptive). */
	parks = wait_for_counter(p, offsetof(struct shmring_info, empty_waits), 30000);
	if (parks < 2) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		fail_msg("the consumer never parked for long");
	}
	assert_int_equal(waitpid(child, &status, WNOHANG), 0); /* still waiting */
	assert_int_equal(shmring_try_send(p, &m), 0);
	status = test_wait_pid(child, 30000);
	if (status != 0)
		fail_msg("consumer exit %d (-1: still blocked after 30 s)", status);
	{
		struct shmring_info in;

		assert_int_equal(shmring_info(p, &in), 0);
		assert_true(in.wakes > 0); /* the send made a wake call */
		assert_int_equal(in.consumed, 1);
	}
	shmring_close(p);
}

static void test_consumer_parks_and_wakes(void **state)
{
	(void)state;
	consumer_wakes(SHMRING_WAIT_PARK);
}

static void test_consumer_adaptive_parks_and_wakes(void **state)
{
	(void)state;
	consumer_wakes(SHMRING_WAIT_ADAPTIVE);
}

/* A producer parked on a full ring wakes when the consumer makes room. */
static void test_producer_parks_and_wakes(void **state)
{
	const char *name = test_ring_name("full");
	shmring_t *c = make(name, 4, SHMRING_CONSUMER);
	uint64_t parks;
	pid_t child;
	int status;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct shmring_wait w = {.mode = SHMRING_WAIT_PARK};
		shmring_t *r;

		if (shmring_open(name, SHMRING_PRODUCER, &r) < 0 || shmring_set_wait(r, &w) < 0)
			_exit(10);
		for (uint64_t i = 0; i < 5; i++) {
			struct msg m = {.seq = i, .check = test_check(i)};

			if (shmring_send(r, &m, shmring_deadline_in(60000 * MS)) < 0)
				_exit(11);
		}
		shmring_close(r);
		_exit(0);
	}
	parks = wait_for_counter(c, offsetof(struct shmring_info, full_waits), 30000);
	if (parks < 2) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		fail_msg("the producer never parked for long");
	}
	assert_int_equal(shmring_count(c), 4);
	for (uint64_t i = 0; i < 5; i++) {
		struct msg m;

		assert_int_equal(shmring_recv(c, &m, shmring_deadline_in(30000 * MS)), 0);
		assert_int_equal(m.seq, i);
		assert_true(m.check == test_check(i));
	}
	assert_int_equal(test_wait_pid(child, 30000), 0);
	shmring_close(c);
}

/* Check that a timed call ended on time: t_end is when it returned. */
static void check_on_time(const char *what, uint32_t mode, uint64_t deadline, uint64_t t_end)
{
	if (t_end < deadline)
		fail_msg("%s (mode %u) returned %.3f ms before its deadline", what, mode,
			 (double)(deadline - t_end) / 1e6);
	if (t_end - deadline > SLACK_NS)
		fail_msg("%s (mode %u) returned %.3f ms after its deadline", what, mode,
			 (double)(t_end - deadline) / 1e6);
}

static void test_timeouts(void **state)
{
	const char *name = test_ring_name("tmo");
	shmring_t *p = make(name, 4, SHMRING_PRODUCER);
	shmring_t *c;
	struct msg m[8] = {{0}};

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	for (uint32_t mode = SHMRING_WAIT_ADAPTIVE; mode <= SHMRING_WAIT_PARK; mode++) {
		uint64_t deadline;

		set_mode(p, mode);
		set_mode(c, mode);
		/* Empty ring: receives time out. */
		deadline = shmring_deadline_in(TIMEOUT_NS);
		assert_int_equal(shmring_recv(c, m, deadline), -ETIMEDOUT);
		check_on_time("recv", mode, deadline, shmring_clock_ns());
		deadline = shmring_deadline_in(TIMEOUT_NS);
		assert_int_equal(shmring_recv_burst(c, m, 4, deadline), -ETIMEDOUT);
		check_on_time("recv_burst", mode, deadline, shmring_clock_ns());
		/* One message, a bulk of two: times out and leaves it there. */
		m[0] = (struct msg){.seq = mode, .check = test_check(mode)};
		assert_int_equal(shmring_try_send(p, m), 0);
		deadline = shmring_deadline_in(TIMEOUT_NS);
		assert_int_equal(shmring_recv_bulk(c, m, 2, deadline), -ETIMEDOUT);
		check_on_time("recv_bulk", mode, deadline, shmring_clock_ns());
		assert_int_equal(shmring_count(c), 1);
		memset(m, 0, sizeof(m));
		assert_int_equal(shmring_recv(c, m, deadline), 0); /* there: no wait needed */
		assert_int_equal(m[0].seq, mode);
		/* Full ring: sends time out and overwrite nothing. */
		for (uint64_t i = 0; i < 4; i++) {
			m[0] = (struct msg){.seq = 100 + i, .check = test_check(100 + i)};
			assert_int_equal(shmring_try_send(p, m), 0);
		}
		deadline = shmring_deadline_in(TIMEOUT_NS);
		assert_int_equal(shmring_send(p, m, deadline), -ETIMEDOUT);
		check_on_time("send", mode, deadline, shmring_clock_ns());
		deadline = shmring_deadline_in(TIMEOUT_NS);
		assert_int_equal(shmring_send_burst(p, m, 2, deadline), -ETIMEDOUT);
		check_on_time("send_burst", mode, deadline, shmring_clock_ns());
		assert_int_equal(shmring_try_recv(c, m), 0);
		assert_int_equal(m[0].seq, 100);
		deadline = shmring_deadline_in(TIMEOUT_NS);
		assert_int_equal(shmring_send_bulk(p, m, 2, deadline), -ETIMEDOUT);
		check_on_time("send_bulk", mode, deadline, shmring_clock_ns());
		for (uint64_t i = 1; i < 4; i++) {
			assert_int_equal(shmring_try_recv(c, m), 0);
			assert_int_equal(m[0].seq, 100 + i);
			assert_true(m[0].check == test_check(100 + i));
		}
		assert_int_equal(shmring_try_recv(c, m), -EAGAIN);
	}
	shmring_close(p);
	shmring_close(c);
}

/* A deadline already past: an immediate -ETIMEDOUT, or success if no wait is needed. */
static void test_past_deadline(void **state)
{
	const char *name = test_ring_name("past");
	shmring_t *r = make(name, 4, SHMRING_PRODUCER | SHMRING_CONSUMER);
	struct msg m = {.seq = 1};

	(void)state;
	for (uint32_t mode = SHMRING_WAIT_ADAPTIVE; mode <= SHMRING_WAIT_PARK; mode++) {
		uint64_t t0;

		set_mode(r, mode);
		t0 = shmring_clock_ns();
		assert_int_equal(shmring_recv(r, &m, 0), -ETIMEDOUT);
		assert_int_equal(shmring_recv(r, &m, t0), -ETIMEDOUT);
		assert_true(shmring_clock_ns() - t0 < SLACK_NS);
		assert_int_equal(shmring_send(r, &m, 0), 0);
		assert_int_equal(shmring_recv(r, &m, 0), 0);
	}
	shmring_close(r);
}

/*
 * Deadlines a few microseconds ahead, parked: one that passes during the
 * wait's last looks before its sleep ends the wait, not the sleep's cap
 * (the recovery deadline, 10 s here), on every kind.
 */
static void test_deadline_during_settle(void **state)
{
	static const uint32_t kinds[] = {SHMRING_KIND_SPSC, SHMRING_KIND_MPSC, SHMRING_KIND_MPMC,
					 SHMRING_KIND_MSG};

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *name = test_ring_name("settle");
		struct shmring_opts o = {.kind = kinds[k],
					 .slot_size = kinds[k] == SHMRING_KIND_MSG ? 256 : 16,
					 .capacity = kinds[k] == SHMRING_KIND_MSG ? 4096 : 16,
					 .recovery_ns = 10000 * MS};
		shmring_t *c = NULL, *p = NULL;
		char buf[256];

		assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, &c), 0);
		/* A live producer: the empty ring is not at its end. */
		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
		set_mode(c, SHMRING_WAIT_PARK);
		for (int i = 0; i < 64; i++) {
			uint64_t deadline = shmring_clock_ns() + 1000 + (uint64_t)(i % 8) * 500;
			long rc = kinds[k] == SHMRING_KIND_MSG
					  ? (long)shmring_msg_recv(c, buf, sizeof(buf), NULL, deadline)
					  : (long)shmring_recv(c, buf, deadline);

			assert_int_equal(rc, -ETIMEDOUT);
			check_on_time("recv near its deadline, by kind", kinds[k], deadline, shmring_clock_ns());
		}
		shmring_close(p);
		shmring_close(c);
		shmring_unlink(name);
	}
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Signals arriving during a wait (no SA_RESTART) do not end it early. */
static void test_signals_do_not_interrupt(void **state)
{
	const char *name = test_ring_name("sig");
	shmring_t *c = make(name, 4, SHMRING_CONSUMER);
	struct sigaction sa, old;
	struct itimerval it = {.it_interval = {0, 5000}, .it_value = {0, 5000}};
	struct itimerval off = {{0, 0}, {0, 0}};
	struct msg m;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	for (uint32_t mode = SHMRING_WAIT_ADAPTIVE; mode <= SHMRING_WAIT_PARK; mode++) {
		uint64_t deadline;
		int rc;

		set_mode(c, mode);
		alarms = 0;
		assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
		deadline = shmring_deadline_in(3 * TIMEOUT_NS);
		rc = shmring_recv(c, &m, deadline);
		setitimer(ITIMER_REAL, &off, NULL);
		assert_int_equal(rc, -ETIMEDOUT);
		check_on_time("recv under SIGALRM", mode, deadline, shmring_clock_ns());
		assert_true(alarms > 0);
	}
	sigaction(SIGALRM, &old, NULL);
	shmring_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_consumer_parks_and_wakes, test_teardown_names),
		cmocka_unit_test_teardown(test_consumer_adaptive_parks_and_wakes, test_teardown_names),
		cmocka_unit_test_teardown(test_producer_parks_and_wakes, test_teardown_names),
		cmocka_unit_test_teardown(test_timeouts, test_teardown_names),
		cmocka_unit_test_teardown(test_past_deadline, test_teardown_names),
		cmocka_unit_test_teardown(test_deadline_during_settle, test_teardown_names),
		cmocka_unit_test_teardown(test_signals_do_not_interrupt, test_teardown_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
