/* SPDX-License-Identifier: MIT */
/*
 * test_cli: the shmring tool's create, stat and rm: exit codes (0 success,
 * 1 failure, 2 usage) and messages for good and bad input, the keys and
 * values of `stat --json`, and that what the tool creates is what the
 * library opens. Skipped (77) when the tool is not built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

static char tool[4096];
static char tmpdir[] = "/tmp/shmring-test-cli-XXXXXX";
static char out_path[512], err_path[512];
static char out[16384], err[16384];

/* Run `shmring args...` (NULL-terminated); capture stdout/stderr; return its exit status. */
static int run(const char *arg, ...)
{
	char *argv[16];
	int argc = 0, status;
	va_list ap;

	argv[argc++] = tool;
	va_start(ap, arg);
	for (const char *a = arg; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	status = test_wait_pid(test_spawn(argv, out_path, err_path), 60000);
	if (test_read_file(out_path, out, sizeof(out)) < 0)
		out[0] = '\0';
	if (test_read_file(err_path, err, sizeof(err)) < 0)
		err[0] = '\0';
	return status;
}

#define assert_contains(hay, needle)                                                          \
	do {                                                                                   \
		if (!strstr((hay), (needle)))                                                  \
			fail_msg("expected \"%s\" in: %s", (needle), (hay));                 \
	} while (0)

static void test_create_stat_rm(void **state)
{
	const char *name = test_ring_name("cli");
	shmring_t *r;
	struct shmring_info in;

	(void)state;
	assert_int_equal(run("create", "--slot-size", "24", "--capacity", "256", name, NULL), 0);
	assert_string_equal(err, "");
	/* The library sees what was asked for. */
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.capacity, 256);
	assert_int_equal(in.slot_size, 24);
	assert_int_equal(in.kind, SHMRING_KIND_SPSC);
	assert_int_equal(in.creator_uid, geteuid());
	shmring_close(r);

	assert_int_equal(run("stat", name, NULL), 0);
	assert_contains(out, name);
	assert_contains(out, "spsc");
	assert_contains(out, "256 slots of 24 bytes");
	assert_string_equal(err, "");

	assert_int_equal(run("rm", name, NULL), 0);
	assert_string_equal(err, "");
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), -ENOENT);
	assert_int_equal(run("stat", name, NULL), 1);
	assert_contains(err, name);
	assert_contains(err, "no such ring");
}

static void test_create_defaults_and_suffixes(void **state)
{
	const char *a = test_ring_name("defaults");
	const char *b = test_ring_name("suffix");
	shmring_t *r;
	char uri[256];
	struct stat st;
	char path[256];

	(void)state;
	assert_int_equal(run("create", a, NULL), 0);
	assert_int_equal(shmring_open(a, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(shmring_capacity(r), 4096);
	assert_int_equal(shmring_slot_size(r), 64);
	shmring_close(r);
	snprintf(uri, sizeof(uri), "posix:%s", b);
	assert_int_equal(run("create", "-c", "1k", "-s", "4k", "--mode", "0640", "--prefault", uri,
			     NULL),
			 0);
	assert_int_equal(shmring_open(b, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(shmring_capacity(r), 1024);
	assert_int_equal(shmring_slot_size(r), 4096);
	shmring_close(r);
	snprintf(path, sizeof(path), "/dev/shm%s", b);
	if (stat(path, &st) == 0)
		assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(run("rm", a, uri, NULL), 0);
}

static void test_create_existing(void **state)
{
	const char *name = test_ring_name("exist");
	shmring_t *r;

	(void)state;
	assert_int_equal(run("create", "--capacity", "16", name, NULL), 0);
	assert_int_equal(run("create", "--capacity", "32", name, NULL), 1);
	assert_contains(err, name);
	assert_contains(err, "already exists");
	assert_int_equal(run("create", "--force", "--capacity", "32", name, NULL), 0);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(shmring_capacity(r), 32);
	shmring_close(r);
}

static void test_create_bad_input(void **state)
{
	const char *name = test_ring_name("bad");
	shmring_t *r;

	(void)state;
	/* Capacity: not a power of two, too small, not a number. */
	static const char *caps[] = {"1000", "3", "0", "1", "abc", "-4", "16x", ""};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (run("create", "--capacity", caps[i], name, NULL) != 2)
			fail_msg("--capacity '%s' not a usage error", caps[i]);
		assert_contains(err, "capacity");
		assert_contains(err, "power of two");
	}
	assert_int_equal(run("create", "--slot-size", "0", name, NULL), 2);
	assert_contains(err, "slot size");
	assert_int_equal(run("create", "--slot-size", "65537", name, NULL), 2);
	assert_contains(err, "slot size");
	assert_int_equal(run("create", "--kind", "bogus", name, NULL), 2);
	assert_contains(err, "kind");
	assert_int_equal(run("create", "--mode", "999", name, NULL), 2);
	assert_contains(err, "mode");
	assert_int_equal(run("create", "--no-such-option", name, NULL), 2);
	assert_int_equal(run("create", NULL), 2);
	assert_contains(err, "usage");
	assert_int_equal(run("create", name, name, NULL), 2);
	/* None of that created anything. */
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), -ENOENT);
	/* Bad names: the library's error, exit 1. */
	static const char *names[] = {"noslash", "/a/b", "/", "/sp ace"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (run("create", names[i], NULL) != 1)
			fail_msg("create '%s' did not fail with 1", names[i]);
		assert_contains(err, "invalid argument");
	}
}

/* An unknown scheme must not be reported as a layout-version problem. */
static void test_unknown_scheme_message(void **state)
{
	(void)state;
	assert_int_equal(run("create", "nosuch:/x", NULL), 1);
	assert_contains(err, "nosuch:/x");
	assert_contains(err, "scheme");
	assert_int_equal(run("stat", "nosuch:/x", NULL), 1);
	assert_contains(err, "scheme");
}

static void test_stat_json(void **state)
{
	static const char *keys[] = {
		"name", "kind", "layout_version", "capacity", "slot_size", "slot_stride",
		"total_size", "creator_uid", "creator_pid", "ctime_ns", "produced", "consumed",
		"count", "full_waits", "empty_waits", "wakes", "producers", "consumers"};
	const char *name = test_ring_name("json");
	struct shmring_opts o = {.slot_size = 8, .capacity = 64};
	shmring_t *p;
	char want[128];
	size_t len;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	for (uint64_t i = 0; i < 5; i++)
		assert_int_equal(shmring_try_send(p, &i), 0);
	assert_int_equal(run("stat", "--json", name, NULL), 0);
	assert_string_equal(err, "");
	len = strlen(out);
	assert_true(len > 2);
	assert_true(out[0] == '{');
	assert_true(out[len - 1] == '\n' && out[len - 2] == '}');
	assert_true(strchr(out, '\n') == out + len - 1); /* one line */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *at;

		snprintf(want, sizeof(want), "\"%s\":", keys[i]);
		at = strstr(out, want);
		if (!at)
			fail_msg("key %s missing from %s", keys[i], out);
		if (strstr(at + 1, want))
			fail_msg("key %s twice in %s", keys[i], out);
	}
	snprintf(want, sizeof(want), "\"name\":\"%s\"", name);
	assert_contains(out, want);
	assert_contains(out, "\"kind\":\"spsc\"");
	assert_contains(out, "\"layout_version\":1,");
	assert_contains(out, "\"capacity\":64,");
	assert_contains(out, "\"slot_size\":8,");
	assert_contains(out, "\"produced\":5,");
	assert_contains(out, "\"consumed\":0,");
	assert_contains(out, "\"count\":5,");
	assert_contains(out, "\"producers\":1,");
	assert_contains(out, "\"consumers\":0}");
	snprintf(want, sizeof(want), "\"creator_pid\":%d,", (int)getpid());
	assert_contains(out, want);
	snprintf(want, sizeof(want), "\"creator_uid\":%u,", (unsigned)geteuid());
	assert_contains(out, want);
	shmring_close(p);
}

static void test_stat_errors(void **state)
{
	const char *good = test_ring_name("good");
	const char *missing = test_ring_name("missing");

	(void)state;
	assert_int_equal(run("stat", NULL), 2);
	assert_contains(err, "usage");
	assert_int_equal(run("stat", "--json", NULL), 2);
	assert_int_equal(run("stat", missing, NULL), 1);
	assert_contains(err, "no such ring");
	assert_int_equal(run("stat", "bad name", NULL), 1);
	assert_contains(err, "invalid argument");
	/* One good, one missing: the good one is shown, the exit says failure. */
	assert_int_equal(run("create", good, NULL), 0);
	assert_int_equal(run("stat", "--json", good, missing, NULL), 1);
	assert_contains(out, good);
	assert_contains(err, missing);
	/* A segment that is not a ring. */
	{
		const char *junk = test_ring_name("junk");
		int fd = shm_open(junk, O_RDWR | O_CREAT | O_EXCL, 0600);
		char bytes[4096];

		assert_true(fd >= 0);
		memset(bytes, 'x', sizeof(bytes));
		assert_int_equal(write(fd, bytes, sizeof(bytes)), (ssize_t)sizeof(bytes));
		close(fd);
		assert_int_equal(run("stat", junk, NULL), 1);
		assert_contains(err, "bad magic");
	}
}

static void test_rm_errors(void **state)
{
	const char *a = test_ring_name("rm-a");
	const char *missing = test_ring_name("rm-missing");
	shmring_t *r;

	(void)state;
	assert_int_equal(run("rm", NULL), 2);
	assert_int_equal(run("rm", missing, NULL), 1);
	assert_contains(err, missing);
	assert_contains(err, "no such ring");
	assert_int_equal(run("rm", "bad name", NULL), 1);
	assert_contains(err, "invalid argument");
	/* Removes what it can, reports what it cannot. */
	assert_int_equal(run("create", a, NULL), 0);
	assert_int_equal(run("rm", missing, a, NULL), 1);
	assert_int_equal(shmring_open(a, SHMRING_OBSERVER, &r), -ENOENT);
}

static void test_top_level(void **state)
{
	(void)state;
	assert_int_equal(run(NULL), 2);
	assert_contains(err, "usage");
	assert_int_equal(run("--help", NULL), 0);
	assert_contains(out, "create");
	assert_contains(out, "stat");
	assert_contains(out, "rm");
	assert_int_equal(run("--version", NULL), 0);
	assert_contains(out, shmring_version());
	assert_int_equal(run("frobnicate", NULL), 2);
	assert_contains(err, "unknown command");
	assert_int_equal(run("create", "--help", NULL), 0);
	assert_contains(out, "usage");
	assert_int_equal(run("stat", "--help", NULL), 0);
	assert_int_equal(run("rm", "--help", NULL), 0);
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(out_path, sizeof(out_path), "%s/out", tmpdir);
	snprintf(err_path, sizeof(err_path), "%s/err", tmpdir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(out_path);
	unlink(err_path);
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_create_stat_rm, test_teardown_names),
		cmocka_unit_test_teardown(test_create_defaults_and_suffixes, test_teardown_names),
		cmocka_unit_test_teardown(test_create_existing, test_teardown_names),
		cmocka_unit_test_teardown(test_create_bad_input, test_teardown_names),
		cmocka_unit_test_teardown(test_unknown_scheme_message, test_teardown_names),
		cmocka_unit_test_teardown(test_stat_json, test_teardown_names),
		cmocka_unit_test_teardown(test_stat_errors, test_teardown_names),
		cmocka_unit_test_teardown(test_rm_errors, test_teardown_names),
		cmocka_unit_test(test_top_level),
	};

	test_build_tool("shmring", tool, sizeof(tool));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
