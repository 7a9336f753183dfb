/* SPDX-License-Identifier: MIT */
/*
 * test_msg_stress: the message ring under load, for each choice of one or
 * many producers and consumers, through the shared stress body
 * (tests/stress_body.h): records of every length up to the largest, as
 * threads with try calls, threads with blocking calls, forked processes, and
 * 16 producers with 4 consumers on the machine's CPUs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stress_body.h"

#define MP SHMRING_CREATE_MULTI_PRODUCER
#define MC SHMRING_CREATE_MULTI_CONSUMER

static void run(uint32_t flags, unsigned np, unsigned nc, bool processes, bool blocking,
		uint64_t count, uint64_t capacity, uint32_t max, const char *what)
{
	struct sb_cfg c = {.kind = SHMRING_KIND_MSG, .flags = flags, .slot_size = max,
			   .capacity = capacity, .producers = (flags & MP) ? np : 1,
			   .consumers = (flags & MC) ? nc : 1, .count = sb_scale(count),
			   .processes = processes, .blocking = blocking, .no_zero_copy = blocking,
			   .wait_mode = SHMRING_WAIT_ADAPTIVE};
	char tag[64];

	snprintf(tag, sizeof(tag), "msg-%s%s-%s", (flags & MP) ? "mp" : "sp",
		 (flags & MC) ? "mc" : "sc", what);
	assert_int_equal(sb_run(&c, tag), 0);
}

static const uint32_t modes[] = {0, MP, MC, MP | MC};

static void test_threads_try(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 4; m++) {
		run(modes[m], 4, 4, false, false, 100000, 4096, 300, "thr-try");
		run(modes[m], 3, 3, false, false, 30000, 256, 100, "thr-try-small");
	}
}

static void test_threads_blocking(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 4; m++)
		run(modes[m], 4, 3, false, true, 100000, 2048, 200, "thr-blk");
}

static void test_processes(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 4; m++) {
		run(modes[m], 4, 4, true, false, 100000, 4096, 300, "proc-try");
		run(modes[m], 3, 3, true, true, 50000, 1024, 64, "proc-blk");
	}
}

static void test_oversubscribed(void **state)
{
	(void)state;
	run(MP | MC, 16, 4, false, true, 10000, 4096, 128, "over-thr");
	run(MP | MC, 16, 4, true, true, 10000, 4096, 128, "over-proc");
	run(MP, 16, 1, false, true, 10000, 4096, 128, "over-thr");
	run(MC, 1, 16, true, true, 20000, 4096, 128, "over-proc");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_threads_try, test_teardown_names),
		cmocka_unit_test_teardown(test_threads_blocking, test_teardown_names),
		cmocka_unit_test_teardown(test_processes, test_teardown_names),
		cmocka_unit_test_teardown(test_oversubscribed, test_teardown_names),
	};

	sb_parse_args(argc, argv);
	return cmocka_run_group_tests_name("msg_stress", tests, NULL, NULL);
}
