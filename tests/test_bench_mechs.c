/* SPDX-License-Identifier: MIT */
/*
 * tests/test_bench_mechs.c - every mechanism of `shmring bench` in a tiny
 * run, in both modes and at every size it allows: each message must come
 * back (or through) intact, in order, with nothing lost, which the harness
 * checks on both sides. Then transports that break messages on purpose, to
 * prove the checks catch it, and a look for anything left in /dev/shm.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "src/bench/bench.h"
#include "src/bench/hist.h"

static struct shmring_bench_cfg cfg;

static int setup(void **state)
{
	cpu_set_t set;
	int n = 0;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cfg.cpu[n++] = c;
	if (n == 1)
		cfg.cpu[1] = cfg.cpu[0];
	/* Tiny: a few milliseconds each, thousands of messages for most. */
	cfg.warm_ns = 2000000;
	cfg.run_ns = 8000000;
	cfg.floor_chunks = 4;
	cfg.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT;
	return 0;
}

static void run_one(const struct shmring_bench_mech *m, unsigned mode, unsigned size)
{
	struct shmring_bench_result r;
	int rc = shmring_bench_measure(&cfg, m, mode, size, &r);

	assert_int_equal(rc, 0);
	if (r.status == SHMRING_BENCH_FAILED) {
		print_error("%s %s %u B: %s\n", m->name, mode == SHMRING_BENCH_RTT ? "rtt" : "tput",
			    size, r.why);
		fail();
	}
	if (r.status == SHMRING_BENCH_SKIPPED) {
		/* A skip must say why. */
		assert_true(r.why[0] != '\0');
		print_message("  %-22s %-4s %6u B skipped: %s\n", m->name,
			      mode == SHMRING_BENCH_RTT ? "rtt" : "tput", size, r.why);
	} else if (mode == SHMRING_BENCH_RTT) {
		assert_non_null(r.hist);
		assert_true(r.samples > 0);
		assert_int_equal(r.samples, r.hist->total);
		assert_true(r.p50 > 0 && r.p50 <= r.p90 && r.p90 <= r.p99 && r.p99 <= r.p999 &&
			    r.p999 <= r.max);
	} else {
		assert_true(r.msgs > 0);
		assert_true(r.msgs_per_s > 0);
	}
	shmring_bench_result_free(&r);
}

static void test_every_mechanism(void **state)
{
	static const unsigned sizes[] = {8, 64, 1024, 65536};

	(void)state;
	for (size_t i = 0; i < shmring_bench_nmechs; i++)
		for (unsigned s = 0; s < 4; s++) {
			run_one(shmring_bench_mechs[i], SHMRING_BENCH_RTT, sizes[s]);
			run_one(shmring_bench_mechs[i], SHMRING_BENCH_TPUT, sizes[s]);
		}
}

/* ------------------------------------------------ transports that lie */

static struct shmring_bench_mech broken;
static const struct shmring_bench_mech *pipe_mech;
static unsigned sent_count;
static int fault; /* 1 flip a byte, 2 drop a message, 3 repeat one, 4 stale line */
static unsigned char *last;

static int broken_send(struct shmring_bench_chan *c, const void *msg)
{
	unsigned char *m = malloc(c->size);
	int rc;

	if (!m)
		return -ENOMEM;
	memcpy(m, msg, c->size);
	sent_count++;
	if (c->side == 1 && sent_count == 50) {
		if (fault == 1) {
			m[c->size - 3] ^= 0x10;
		} else if (fault == 2) {
			free(m);
			return 0;
		} else if (fault == 3 && last) {
			memcpy(m, last, c->size);
		} else if (fault == 4 && last && c->size >= 128) {
			memcpy(m + 64, last + 64, 64);
		}
	}
	if (!last)
		last = malloc(c->size);
	if (last)
		memcpy(last, m, c->size);
	rc = pipe_mech->send(c, m);
	free(m);
	return rc;
}

static void expect_caught(int kind, unsigned mode, unsigned size, const char *words)
{
	struct shmring_bench_result r;

	broken = *pipe_mech;
	broken.name = "broken-pipe";
	broken.send = broken_send;
	fault = kind;
	sent_count = 0;
	free(last);
	last = NULL;
	assert_int_equal(shmring_bench_measure(&cfg, &broken, mode, size, &r), 0);
	if (r.status != SHMRING_BENCH_FAILED || !strstr(r.why, words)) {
		print_error("fault %d: status %d, reason '%s', expected '%s'\n", kind, r.status,
			    r.why, words);
		fail();
	}
	shmring_bench_result_free(&r);
}

static void test_faults_are_caught(void **state)
{
	(void)state;
	pipe_mech = shmring_bench_mech_find("pipe");
	assert_non_null(pipe_mech);
	/* Round trips: the server (side 1) damages its echo; the client sees it. */
	expect_caught(1, SHMRING_BENCH_RTT, 64, "corrupt");
	expect_caught(3, SHMRING_BENCH_RTT, 64, "arrived as");
	expect_caught(4, SHMRING_BENCH_RTT, 1024, "belong to message");
	/* Throughput: the producer (side 1) drops or repeats a message. */
	expect_caught(2, SHMRING_BENCH_TPUT, 8, "arrived as");
	expect_caught(3, SHMRING_BENCH_TPUT, 64, "arrived as");
	expect_caught(1, SHMRING_BENCH_TPUT, 1024, "corrupt");
}

static void test_floor(void **state)
{
	double timed = 0, plain = 0;

	(void)state;
	assert_int_equal(shmring_bench_floors(&cfg, &timed, &plain), 0);
	assert_true(timed > 0 && plain > 0);
	/* Timing every round trip can only add to the bare loop's figure;
	 * a third is slack for a placement change between the two. */
	assert_true(timed > plain * 0.66);
}

static void test_nothing_left_behind(void **state)
{
	char prefix[64];
	DIR *d = opendir("/dev/shm");
	struct dirent *e;

	(void)state;
	if (!d)
		skip();
	snprintf(prefix, sizeof(prefix), "shmring-bench-%ld-", (long)getpid());
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 ||
		    strncmp(e->d_name + (strncmp(e->d_name, "sem.", 4) == 0 ? 4 : 0), prefix,
			    strlen(prefix)) == 0) {
			print_error("left behind: /dev/shm/%s\n", e->d_name);
			fail();
		}
	}
	closedir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_every_mechanism),
		cmocka_unit_test(test_faults_are_caught),
		cmocka_unit_test(test_nothing_left_behind),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
