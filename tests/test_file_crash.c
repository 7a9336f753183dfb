/* SPDX-License-Identifier: MIT */
/*
 * test_file_crash: a ring in a file survives every process that uses it.
 * In each of 20 rounds a consumer and the producers (1 for SPSC, 2 for
 * MPSC) open "file:PATH" as unrelated processes, run for a random time and
 * are all SIGKILLed at random moments in a random order, so that each dies
 * wherever it happens to be (inside a send, holding a claim or a peek,
 * between a commit and its log). The next round reopens the file, with no
 * process left that ever had it mapped: the new consumer and producers take
 * over the dead ones' roles (never -EBUSY), with shmring_open() or with
 * shmring_create(SHMRING_CREATE_OPEN_EXISTING) at random. After the last
 * round a fresh process opens the file as the consumer and drains it, and
 * the verifier of tests/backend_helpers.h proves from the logs that every
 * committed message was received exactly once, in order (the consumer's
 * idempotent peek/log/release is described there). And a creator killed
 * just before it stores the magic leaves a name open-or-create takes over.
 *
 * Usage: test_file_crash [--rounds N]   (default 20)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend_helpers.h"

static unsigned rounds = 20;

static void crash_run(uint32_t kind, unsigned np)
{
	struct bt_crash_cfg c;
	struct shmring_opts o = bt_crash_opts(kind, 128);
	struct shmring_info in;
	shmring_t *r = NULL;
	uint32_t ninc = 0;
	uint64_t total = 0, t0 = test_now_ns();
	const char *tag = kind == SHMRING_KIND_SPSC ? "crash-spsc" : "crash-mpsc";
	int rc;

	alarm((60 + rounds * 3) * TEST_SLOWDOWN);
	memset(&c, 0, sizeof(c));
	c.backend = BT_FILE;
	c.kind = kind;
	c.capacity = o.capacity;
	assert_true(snprintf(c.dir, sizeof(c.dir), "%s/%s-%u", bt_dir(), tag,
	                     bt_rand32() % 100000u) < (int)sizeof(c.dir));
	assert_int_equal(mkdir(c.dir, 0700), 0);
	rc = bt_create(BT_FILE, tag, &o, SHMRING_OBSERVER, &r, c.uri, sizeof(c.uri));
	if (rc != 0)
		fail_msg("create %s: %s", c.uri, shmring_strerror(rc));
	shmring_close(r); /* from here on, only the file holds the ring */

	for (unsigned round = 0; round < rounds; round++) {
		pid_t pids[3];
		const char *what[3];
		unsigned n = 0;

		c.by_create = bt_rand32() & 1;
		/* Consumer first or producers first: each may start on a ring
		 * whose other side died last round. */
		if (bt_rand32() & 1) {
			what[n] = "consumer";
			pids[n++] = bt_crash_spawn(&c, -1, 0);
		}
		for (unsigned i = 0; i < np; i++) {
			what[n] = "producer";
			pids[n++] = bt_crash_spawn(&c, ninc++, 0);
		}
		if (n == np) {
			what[n] = "consumer";
			pids[n++] = bt_crash_spawn(&c, -1, 0);
		}
		test_sleep_ms(bt_rand_between(5, 100));
		/* Kill in a random order, with random gaps. */
		for (unsigned i = n; i > 1; i--) {
			unsigned j = bt_rand32() % i;
			pid_t tp = pids[i - 1];
			const char *tw = what[i - 1];

			pids[i - 1] = pids[j];
			what[i - 1] = what[j];
			pids[j] = tp;
			what[j] = tw;
		}
		for (unsigned i = 0; i < n; i++) {
			bt_crash_kill(pids[i], what[i]);
			if (i + 1 < n)
				test_sleep_ms(bt_rand_between(0, 15));
		}
	}

	/* Everyone is dead. A new process opens the file as the consumer
	 * (the dead consumer's entry must be taken over) and drains it. */
	c.by_create = false;
	{
		pid_t cons = bt_crash_spawn(&c, -1, 500);

		rc = test_wait_pid(cons, 30000 * TEST_SLOWDOWN);
		bt_untrack(cons);
		assert_int_equal(rc, 0);
	}
	if (bt_crash_verify(c.dir, ninc, np == 1, &total) != 0)
		fail_msg("file %s: committed messages lost, duplicated or reordered (see above)",
		         tag);
	fprintf(stderr,
	        "file %s: %u rounds, %u producer incarnations, %" PRIu64
	        " messages received, %.2f s\n",
	        tag, rounds, ninc, total, (double)(test_now_ns() - t0) / 1e9);
	assert_true(total >= rounds);

	/* The file still holds a valid ring, drained, with no live participant. */
	assert_int_equal(shmring_open(c.uri, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.backend, SHMRING_BACKEND_FILE);
	assert_true(in.produced >= in.consumed);
	assert_int_equal(shmring_count(r), 0);
	shmring_close(r);
	assert_int_equal(shmring_unlink(c.uri), 0);
	assert_int_equal(access(c.uri + 5, F_OK), -1);
	bt_rm_tree(c.dir);
}

static void test_spsc(void **s)
{
	(void)s;
	crash_run(SHMRING_KIND_SPSC, 1);
}

static void test_mpsc(void **s)
{
	(void)s;
	crash_run(SHMRING_KIND_MPSC, 2);
}

/*
 * A creator killed after writing its header but before storing the magic,
 * which it stores last: the file holds the whole header but the magic, and
 * zero after it. Open-or-create takes the name over, as replace does and
 * as it does where the creator died before writing anything; a header
 * whose checksum does not hold with the magic put back is not taken.
 */
static void test_killed_before_magic(void **s)
{
	char path[300], uri[320];
	struct shmring_opts o = bt_crash_opts(SHMRING_KIND_SPSC, 64);
	shmring_t *r = NULL;
	unsigned char *seg;
	size_t size;
	struct bt_msg m = bt_msg_of(5), got;
	int fd;

	(void)s;
	assert_true(snprintf(path, sizeof(path), "%s/nomagic-%u", bt_dir(), bt_rand32() % 100000u) <
		    (int)sizeof(path));
	assert_true(snprintf(uri, sizeof(uri), "file:%s", path) < (int)sizeof(uri));
	unlink(path);
	assert_int_equal(shmring_create(uri, &o, SHMRING_OBSERVER, &r), 0);
	shmring_close(r);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	size = (size_t)lseek(fd, 0, SEEK_END);
	seg = calloc(1, size);
	assert_non_null(seg);
	assert_int_equal(pread(fd, seg, sizeof(struct shmring_hdr), 0),
			 (ssize_t)sizeof(struct shmring_hdr));
	close(fd);
	memset(seg, 0, 8); /* the magic, not stored yet */

	assert_true(test_write_file(path, seg, size));
	assert_int_equal(shmring_open(uri, SHMRING_CONSUMER, &r), -SHMRING_EBADMAGIC);
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &r), 0);
	assert_int_equal(shmring_try_send(r, &m), 0);
	shmring_close(r);
	assert_int_equal(shmring_open(uri, SHMRING_CONSUMER, &r), 0);
	assert_int_equal(shmring_try_recv(r, &got), 0);
	assert_memory_equal(&got, &m, sizeof(m));
	shmring_close(r);

	/* A byte of the header changed: not what a creator writes. */
	seg[16] ^= 1;
	assert_true(test_write_file(path, seg, size));
	assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &r), -SHMRING_EBADMAGIC);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	free(seg);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_spsc, bt_teardown),
	    cmocka_unit_test_teardown(test_mpsc, bt_teardown),
	    cmocka_unit_test_teardown(test_killed_before_magic, bt_teardown),
	};

	bt_crash_child_main(argc, argv);
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--rounds"))
			rounds = (unsigned)strtoul(argv[i + 1], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
