/* SPDX-License-Identifier: MIT */
/*
 * test_restart: participants SIGKILLed and restarted by name while the
 * others go on, on the named backends (posix, sysv, file) and for SPSC and
 * MPSC (2 producers). A producer is killed and restarted 20 times and the
 * consumer 20 times, alternately, at random moments; each restart opens the
 * ring by name again, with shmring_open() or with shmring_create() and
 * SHMRING_CREATE_OPEN_EXISTING (alternately), and no step in between
 * (nothing is unlinked or repaired by hand). Every restart must attach at
 * once (never -EBUSY: the dead process's entry is taken over), and at the
 * end a fresh consumer drains the ring and the verifier of
 * tests/backend_helpers.h proves, from the producers' and the consumer's
 * logs, that every committed message was received exactly once and in
 * order.
 *
 * Usage: test_restart [--kills N] [--only PATTERN]
 *   N kills of each side (default 20, 10 in sanitizer builds); PATTERN
 *   selects tests (test_sysv_*).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend_helpers.h"

/* Each kill is two process starts, several times slower under a sanitizer:
 * 10 there, where the normal build runs 20 here and 80 in test_restart_long. */
static unsigned kills_per_side = TEST_MSG_DIVISOR > 1 ? 10 : 20;

static void restart_run(int backend, uint32_t kind, unsigned np)
{
	struct bt_crash_cfg c;
	struct shmring_opts o = bt_crash_opts(kind, 64);
	shmring_t *r = NULL;
	pid_t cons, prod[2];
	uint32_t ninc = 0, inc_of[2];
	unsigned restarts = 0;
	uint64_t total = 0, t0 = test_now_ns();
	char tag[32];
	int rc;

	alarm(240 * TEST_SLOWDOWN);
	memset(&c, 0, sizeof(c));
	c.backend = backend;
	c.kind = kind;
	c.capacity = o.capacity;
	snprintf(tag, sizeof(tag), "restart-%s", kind == SHMRING_KIND_SPSC ? "spsc" : "mpsc");
	assert_true(snprintf(c.dir, sizeof(c.dir), "%s/%s-%s-%u", bt_dir(), tag,
	                     bt_backend_name(backend), bt_rand32() % 100000u) < (int)sizeof(c.dir));
	assert_int_equal(mkdir(c.dir, 0700), 0);
	rc = bt_create(backend, tag, &o, SHMRING_OBSERVER, &r, c.uri, sizeof(c.uri));
	if (rc != 0)
		fail_msg("create %s: %s", c.uri, shmring_strerror(rc));
	shmring_close(r); /* the ring lives on by its name alone */

	cons = bt_crash_spawn(&c, -1, 0);
	for (unsigned i = 0; i < np; i++) {
		inc_of[i] = ninc++;
		prod[i] = bt_crash_spawn(&c, inc_of[i], 0);
	}
	for (unsigned k = 0; k < 2 * kills_per_side; k++) {
		test_sleep_ms(bt_rand_between(5, 35));
		/* Each restart alternates between open and create-or-open. */
		c.by_create = (restarts++ % 2) == 1;
		if (k % 2 == 0) {
			unsigned v = (k / 2) % np;

			bt_crash_kill(prod[v], "producer");
			inc_of[v] = ninc++;
			prod[v] = bt_crash_spawn(&c, inc_of[v], 0);
		} else {
			bt_crash_kill(cons, "consumer");
			cons = bt_crash_spawn(&c, -1, 0);
		}
	}
	test_sleep_ms(bt_rand_between(5, 35));
	for (unsigned i = 0; i < np; i++)
		bt_crash_kill(prod[i], "producer");
	bt_crash_kill(cons, "consumer");

	/* A fresh consumer drains what is left (by open, the plain way). */
	c.by_create = false;
	cons = bt_crash_spawn(&c, -1, 500);
	rc = test_wait_pid(cons, 30000 * TEST_SLOWDOWN);
	bt_untrack(cons);
	assert_int_equal(rc, 0);

	if (bt_crash_verify(c.dir, ninc, np == 1, &total) != 0)
		fail_msg("%s %s: committed messages lost, duplicated or reordered (see above)",
		         bt_backend_name(backend), tag);
	fprintf(stderr,
	        "%s %s: %u producer incarnations, %u restarts, %" PRIu64
	        " messages received, %.2f s\n",
	        bt_backend_name(backend), tag, ninc, restarts, total,
	        (double)(test_now_ns() - t0) / 1e9);
	/* The test moved something in every incarnation's time, not just nothing. */
	assert_true(total >= ninc);

	/* The ring still passes every check of an open. */
	assert_int_equal(shmring_open(c.uri, SHMRING_OBSERVER, &r), 0);
	shmring_close(r);
	assert_int_equal(shmring_unlink(c.uri), 0);
	bt_rm_tree(c.dir);
}

#define RESTART_TEST(be, k, np, name)                                                              \
	static void name(void **s)                                                                 \
	{                                                                                          \
		(void)s;                                                                           \
		restart_run(be, k, np);                                                            \
	}
RESTART_TEST(BT_POSIX, SHMRING_KIND_SPSC, 1, test_posix_spsc)
RESTART_TEST(BT_POSIX, SHMRING_KIND_MPSC, 2, test_posix_mpsc)
RESTART_TEST(BT_SYSV, SHMRING_KIND_SPSC, 1, test_sysv_spsc)
RESTART_TEST(BT_SYSV, SHMRING_KIND_MPSC, 2, test_sysv_mpsc)
RESTART_TEST(BT_FILE, SHMRING_KIND_SPSC, 1, test_file_spsc)
RESTART_TEST(BT_FILE, SHMRING_KIND_MPSC, 2, test_file_mpsc)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_posix_spsc, bt_teardown),
	    cmocka_unit_test_teardown(test_posix_mpsc, bt_teardown),
	    cmocka_unit_test_teardown(test_sysv_spsc, bt_teardown),
	    cmocka_unit_test_teardown(test_sysv_mpsc, bt_teardown),
	    cmocka_unit_test_teardown(test_file_spsc, bt_teardown),
	    cmocka_unit_test_teardown(test_file_mpsc, bt_teardown),
	};

	bt_crash_child_main(argc, argv);
	for (int i = 1; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--kills"))
			kills_per_side = (unsigned)strtoul(argv[i + 1], NULL, 0);
		if (!strcmp(argv[i], "--only")) /* a cmocka test name pattern */
			cmocka_set_test_filter(argv[i + 1]);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
