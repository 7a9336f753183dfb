/* SPDX-License-Identifier: MIT */
/*
 * test_procs: unrelated processes. The example programs (fork + exec of
 * $SHMRING_BUILD_DIR/examples/producer and consumer) pass N messages through
 * a ring by name (default 10^6; `test_procs N` overrides) and the consumer
 * checks each one's sequence and check value. Also: the pingpong example
 * (a forked pair), and a consumer that comes after the producer has gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

static uint64_t total;
static char producer_path[4096], consumer_path[4096], pingpong_path[4096];
static char tmpdir[] = "/tmp/shmring-test-procs-XXXXXX";

/* Minutes per million messages, generously, for a loaded 2-CPU machine. */
static unsigned limit_ms(uint64_t n)
{
	return 60000u + (unsigned)(n / 1000000u) * 30000u * TEST_SLOWDOWN;
}

/* Exit status as test_wait_pid() reports it, or -2 while still running. */
static int reap(pid_t pid, bool block)
{
	int status;
	pid_t w = waitpid(pid, &status, block ? 0 : WNOHANG);

	if (w == 0)
		return -2;
	if (w < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

/*
 * Wait for both processes, up to timeout_ms. When one fails, the other has
 * no peer and would block until the limit: kill it (its status becomes -1).
 */
static void wait_both(pid_t a, int *as, pid_t b, int *bs, unsigned timeout_ms)
{
	uint64_t deadline = test_now_ns() + (uint64_t)timeout_ms * 1000000u;

	*as = *bs = -2;
	while (*as == -2 || *bs == -2) {
		if (*as == -2)
			*as = reap(a, false);
		if (*bs == -2)
			*bs = reap(b, false);
		if ((*as > 0 || *bs > 0 || test_now_ns() > deadline) && (*as == -2 || *bs == -2)) {
			if (*as == -2) {
				kill(a, SIGKILL);
				reap(a, true);
				*as = -1;
			}
			if (*bs == -2) {
				kill(b, SIGKILL);
				reap(b, true);
				*bs = -1;
			}
		}
		test_sleep_ms(2);
	}
}

static void show_file(const char *path)
{
	char buf[4096];

	if (test_read_file(path, buf, sizeof(buf)) > 0)
		print_message("%s: %s", path, buf);
}

/* Run the example consumer and producer on `name` with count messages. */
static void run_pair(const char *name, uint64_t count, bool consumer_first)
{
	char n[32], cout[512], cerr[512], pout[512], perr[512], buf[4096];
	char *cargv[] = {consumer_path, (char *)name, n, "120", NULL};
	char *pargv[] = {producer_path, (char *)name, n, NULL};
	pid_t cons, prod;
	int cs, ps;

	snprintf(n, sizeof(n), "%llu", (unsigned long long)count);
	snprintf(cout, sizeof(cout), "%s/consumer.out", tmpdir);
	snprintf(cerr, sizeof(cerr), "%s/consumer.err", tmpdir);
	snprintf(pout, sizeof(pout), "%s/producer.out", tmpdir);
	snprintf(perr, sizeof(perr), "%s/producer.err", tmpdir);
	if (consumer_first) {
		cons = test_spawn(cargv, cout, cerr);
		assert_true(cons > 0);
		test_sleep_ms(20); /* let it start polling for the name */
		prod = test_spawn(pargv, pout, perr);
		assert_true(prod > 0);
	} else {
		shmring_t *obs = NULL;
		uint64_t deadline = test_now_ns() + UINT64_C(30000000000);
		int rc;

		prod = test_spawn(pargv, pout, perr);
		assert_true(prod > 0);
		/* Start the consumer once the ring is there. */
		while ((rc = shmring_open(name, SHMRING_OBSERVER, &obs)) == -ENOENT || rc == -EAGAIN) {
			if (test_now_ns() > deadline)
				break;
			test_sleep_ms(1);
		}
		if (rc != 0)
			print_message("waiting for %s: %s\n", name, shmring_strerror(rc));
		assert_int_equal(rc, 0);
		shmring_close(obs);
		cons = test_spawn(cargv, cout, cerr);
		assert_true(cons > 0);
	}
	wait_both(prod, &ps, cons, &cs, limit_ms(count));
	if (ps != 0 || cs != 0) {
		print_message("producer exit %d, consumer exit %d (-1: killed, at the time limit "
			      "or when its peer failed)\n",
			      ps, cs);
		show_file(perr);
		show_file(cerr);
	}
	assert_int_equal(ps, 0);
	assert_int_equal(cs, 0);
	assert_true(test_read_file(cout, buf, sizeof(buf)) > 0);
	snprintf(cout, sizeof(cout), "received %llu messages in order", (unsigned long long)count);
	if (!strstr(buf, cout))
		fail_msg("consumer said: %s", buf);
	/* The consumer removes the ring when done. */
	{
		shmring_t *r = NULL;

		assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), -ENOENT);
	}
}

static void test_examples_producer_first(void **state)
{
	(void)state;
	run_pair(test_ring_name("ex"), total, false);
}

static void test_examples_consumer_first(void **state)
{
	(void)state;
	run_pair(test_ring_name("ex"), total / 10 ? total / 10 : 1, true);
}

/* The ring a producer creates keeps its messages for a consumer that comes later. */
static void test_examples_consumer_later(void **state)
{
	const char *name = test_ring_name("later");
	char n[] = "1000", *pargv[] = {producer_path, (char *)name, n, NULL};
	char *cargv[] = {consumer_path, (char *)name, n, "60", NULL};
	pid_t p, c;

	(void)state;
	p = test_spawn(pargv, NULL, NULL);
	assert_int_equal(test_wait_pid(p, 60000), 0); /* 1000 < 4096 slots: never blocks */
	c = test_spawn(cargv, NULL, NULL);
	assert_int_equal(test_wait_pid(c, 60000), 0);
}

static void test_pingpong_fork(void **state)
{
	char n[] = "20000", *argv[] = {pingpong_path, n, NULL}, out[512], buf[1024];

	(void)state;
	snprintf(out, sizeof(out), "%s/pingpong.out", tmpdir);
	assert_int_equal(test_wait_pid(test_spawn(argv, out, NULL), 120000), 0);
	assert_true(test_read_file(out, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "20000 round trips"));
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	static const char *files[] = {"consumer.out", "consumer.err", "producer.out",
				      "producer.err", "pingpong.out"};
	char path[512];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest all[] = {
		cmocka_unit_test_teardown(test_examples_producer_first, test_teardown_names),
		cmocka_unit_test_teardown(test_examples_consumer_first, test_teardown_names),
		cmocka_unit_test_teardown(test_examples_consumer_later, test_teardown_names),
		cmocka_unit_test_teardown(test_pingpong_fork, test_teardown_names),
	};
	const struct CMUnitTest big[] = {
		cmocka_unit_test_teardown(test_examples_producer_first, test_teardown_names),
	};

	total = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000u;
	if (argc > 2 || total == 0) {
		fprintf(stderr, "usage: test_procs [MESSAGES]\n");
		return 2;
	}
	test_build_tool("examples/producer", producer_path, sizeof(producer_path));
	test_build_tool("examples/consumer", consumer_path, sizeof(consumer_path));
	test_build_tool("examples/pingpong_fork", pingpong_path, sizeof(pingpong_path));
	/* The long run is the big pair alone; the short one does everything. */
	if (total > 1000000u)
		return cmocka_run_group_tests(big, group_setup, group_teardown);
	return cmocka_run_group_tests(all, group_setup, group_teardown);
}
