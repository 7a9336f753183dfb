/* SPDX-License-Identifier: MIT */
/*
 * test_cli: the shmring tool's create, stat and rm: exit codes (0 success,
 * 1 failure, 2 usage) and messages for good and bad input, the keys and
 * values of `stat --json`, and that what the tool creates is what the
 * library opens; sizes that overflow, modes nobody could use, output that
 * cannot be written, files in /dev/shm that are not (whole) rings, the
 * failure information of `stat` (issue 7); a reader that went away (no
 * death by SIGPIPE); stress --list-kinds and --name misuse; what rm and gc
 * do with nothing to do. Skipped (77) when the tool is not built.
 */
#include <limits.h>
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

/* Where a run's stdout goes: the capture file, another path, nowhere
 * (closed), or a pipe whose reader has gone (as after `| head -1`). */
static const char *stdout_to;
static bool stdout_closed, stdout_no_reader;

static int vrun(const char *arg, va_list ap)
{
	char *argv[16];
	int argc = 0, status;
	pid_t pid;

	argv[argc++] = tool;
	for (const char *a = arg; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	argv[argc] = NULL;
	if (stdout_closed || stdout_no_reader) {
		int p[2] = {-1, -1};

		/* The read end goes before the tool starts: its first write
		 * to the pipe fails (EPIPE, and SIGPIPE). */
		if (stdout_no_reader) {
			assert_int_equal(pipe(p), 0);
			close(p[0]);
		}
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
				_exit(126);
			close(fd);
			if (stdout_no_reader) {
				if (dup2(p[1], STDOUT_FILENO) < 0)
					_exit(126);
				close(p[1]);
				/* As a shell starts a pipeline, whatever the
				 * test's own runner ignores. */
				signal(SIGPIPE, SIG_DFL);
			} else {
				close(STDOUT_FILENO);
			}
			execv(argv[0], argv);
			_exit(127);
		}
		if (stdout_no_reader)
			close(p[1]);
	} else {
		pid = test_spawn(argv, stdout_to ? stdout_to : out_path, err_path);
	}
	status = test_wait_pid(pid, 60000);
	if (stdout_to || stdout_closed || stdout_no_reader ||
	    test_read_file(out_path, out, sizeof(out)) < 0)
		out[0] = '\0';
	if (test_read_file(err_path, err, sizeof(err)) < 0)
		err[0] = '\0';
	return status;
}

/* Run `shmring args...` (NULL-terminated); capture stdout/stderr; return its exit status. */
static int run(const char *arg, ...)
{
	va_list ap;
	int st;

	va_start(ap, arg);
	st = vrun(arg, ap);
	va_end(ap);
	return st;
}

/* The same with stdout sent to path, or closed (path NULL). */
static int run_out(const char *path, const char *arg, ...)
{
	va_list ap;
	int st;

	stdout_to = path;
	stdout_closed = !path;
	va_start(ap, arg);
	st = vrun(arg, ap);
	va_end(ap);
	stdout_to = NULL;
	stdout_closed = false;
	return st;
}

/* The same with stdout a pipe nobody reads any more. */
static int run_no_reader(const char *arg, ...)
{
	va_list ap;
	int st;

	stdout_no_reader = true;
	va_start(ap, arg);
	st = vrun(arg, ap);
	va_end(ap);
	stdout_no_reader = false;
	return st;
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
	/* A replacement that cannot be made (no huge pages on tmpfs) leaves
	 * the ring it would replace, and its message, in place. */
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &r), 0);
	assert_int_equal(shmring_try_send(r, (char[64]){"kept"}), 0);
	shmring_close(r);
	assert_int_equal(run("create", "--force", "--huge", name, NULL), 1);
	assert_contains(err, "huge pages are not available there");
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(shmring_capacity(r), 32);
	assert_int_equal(shmring_count(r), 1);
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
	/* A msg record area that cannot hold two of the largest records, and a
	 * multiplicity the fixed kind does not have: usage errors that say
	 * which (they were the library's bare "invalid argument", exit 1). */
	assert_int_equal(run("create", "--kind", "msg", "--capacity", "32", name, NULL), 2);
	assert_contains(err, "two of its largest records");
	assert_int_equal(run("create", "-k", "msg", "-s", "4k", "-c", "64", name, NULL), 2);
	assert_contains(err, "8224 bytes at least");
	assert_int_equal(run("create", "--multi-producer", name, NULL), 2);
	assert_contains(err, "an spsc ring has one producer");
	assert_int_equal(run("create", "-k", "mpsc", "-C", name, NULL), 2);
	assert_contains(err, "--kind mpmc");
	/* None of that created anything. */
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), -ENOENT);
	/* Bad names: exit 1, and what is wrong with each, said precisely. */
	static const char *names[][2] = {
		{"noslash", "did you mean '/noslash'?"},
		{"/a/b", "one component"},
		{"/", "needs a name after the '/'"},
		{"/sp ace", "only letters, digits"},
		{"file:rel/x", "must be absolute"},
		{"file:/tmp/../x", "'.' or '..'"},
		{"sysv:0", "sysv:KEY (1..0xffffffff"},
		{"sysv:@tmp", "must be absolute"},
		/* These read "invalid argument (name, sizes, role or flags)". */
		{"sysv:@/tmp#0", "ID is 1..255"},
		{"sysv:@/tmp#256", "ID is 1..255"},
		{"sysv:@/tmp#abc", "ID is 1..255"},
		{"sysv:@/tmp#", "ID is 1..255"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (run("create", names[i][0], NULL) != 1)
			fail_msg("create '%s' did not fail with 1", names[i][0]);
		assert_contains(err, names[i][0]);
		assert_contains(err, names[i][1]);
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
	/* Socket channels and auto: names are known, and are no segments:
	 * said so, not as a backend's "not supported" or an unknown scheme. */
	static const char *cmds[] = {"create", "stat", "rm"};
	static const char *names[][2] = {
		{"unix:@shmt-no-such-channel", "a socket channel"},
		{"tcp:127.0.0.1:1", "a socket channel"},
		{"auto:/shmt-no-such-ring", "auto:/NAME?fallback="},
		{"auto:/shmt-no-such-ring?fallback=tcp:127.0.0.1:1", "auto:/NAME?fallback="},
	};

	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (run(cmds[c], names[i][0], NULL) != 1 || !strstr(err, names[i][1]))
				fail_msg("shmring %s %s: %s", cmds[c], names[i][0], err);
		}
	/* A channel nobody listens on reads so, not "no such ring". */
	assert_int_equal(run("put", "unix:/nonexistent-dir/shmt-sock", NULL), 1);
	assert_contains(err, "nobody listens there (no socket file)");
	assert_int_equal(run("put", "unix:@shmt-no-such-channel", NULL), 1);
	assert_contains(err, "nobody listens there");
	/* get of an auto: name whose ring is not there: the fallback only
	 * sends (it read "create, rm and stat take the ring's own name"). */
	assert_int_equal(run("get", "auto:/shmt-no-such-ring?fallback=unix:@shmt-no-such-channel",
			     NULL), 1);
	assert_contains(err, "no such ring, and its fallback is a socket channel");
	/* A malformed socket channel is said to be one, also to put and get,
	 * which take channels (they read "no segment to create, remove or
	 * show"). */
	static const char *io[] = {"put", "get", "stat"};
	static const char *bad[] = {"tcp:localhost:99999", "tcp:localhost", "unix:rel", "unix:@"};

	for (size_t c = 0; c < sizeof(io) / sizeof(io[0]); c++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (run(io[c], bad[i], NULL) != 1 ||
			    !strstr(err, "not a socket channel's name") || strstr(err, "no segment"))
				fail_msg("shmring %s %s: %s", io[c], bad[i], err);
		}
}

static void test_stat_json(void **state)
{
	static const char *keys[] = {
		"name", "kind", "layout_version", "capacity", "slot_size", "slot_stride",
		"group_slots", "total_size", "creator_uid", "creator_pid", "ctime_ns", "produced",
		"consumed", "count", "full_waits", "empty_waits", "wakes", "producers", "consumers"};
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
	{
		struct shmring_info in;

		assert_int_equal(shmring_info(p, &in), 0);
		snprintf(want, sizeof(want), "\"layout_version\":%u,", in.layout_version);
		assert_contains(out, want);
	}
	assert_contains(out, "\"capacity\":64,");
	assert_contains(out, "\"slot_size\":8,");
	/* Seven 8-byte slots to a 64-byte group under one stamp. */
	assert_contains(out, "\"slot_stride\":64,\"group_slots\":7,");
	assert_int_equal(run("stat", name, NULL), 0);
	assert_contains(out, "64 slots of 8 bytes (stride 64: 7 slots to a stamp)");
	assert_int_equal(run("stat", "--json", name, NULL), 0);
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

/*
 * A ring created with a flag's option (name) has the flag, and stat --json
 * says "key":true; a ring created without it (plain, made here) says false.
 */
static void flag_recorded(const char *name, const char *plain, uint32_t flag, const char *key)
{
	char want[64];
	struct shmring_info in;
	shmring_t *r;

	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &r), 0);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_true(in.flags & flag);
	shmring_close(r);
	assert_int_equal(run("stat", "--json", name, NULL), 0);
	snprintf(want, sizeof(want), "\"%s\":true", key);
	assert_contains(out, want);
	assert_int_equal(run("create", plain, NULL), 0);
	assert_int_equal(run("stat", "--json", plain, NULL), 0);
	snprintf(want, sizeof(want), "\"%s\":false", key);
	assert_contains(out, want);
}

/* create --poll-only records the choice; stat shows it; a ring without it
 * says so too. */
static void test_poll_only(void **state)
{
	const char *name = test_ring_name("poll");

	(void)state;
	assert_int_equal(run("create", "--poll-only", name, NULL), 0);
	flag_recorded(name, test_ring_name("plain"), SHMRING_CREATE_POLL_ONLY, "poll_only");
	assert_int_equal(run("stat", name, NULL), 0);
	assert_contains(out, "poll-only");
}

/* create --dense records the choice and its stride; stat shows it; a ring
 * without it says so too; any kind but spsc is refused, whichever of --kind
 * and --dense comes first, and nothing is created. */
static void test_dense(void **state)
{
	const char *name = test_ring_name("dense");
	const char *plain = test_ring_name("plain");
	const char *multi = test_ring_name("densemp");
	struct shmring_info in;
	shmring_t *r;

	(void)state;
	assert_int_equal(run("create", "--dense", "--slot-size", "20", name, NULL), 0);
	assert_string_equal(err, "");
	flag_recorded(name, plain, SHMRING_CREATE_DENSE, "dense");
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &r), 0);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.slot_size, 20);
	assert_int_equal(in.slot_stride, 24);
	shmring_close(r);
	assert_int_equal(run("stat", "--json", name, NULL), 0);
	assert_contains(out, "\"slot_stride\":24,\"group_slots\":1,");
	assert_int_equal(run("stat", name, NULL), 0);
	assert_contains(out, "slots of 20 bytes (stride 24; dense slots");
	assert_int_equal(run("stat", plain, NULL), 0);
	assert_null(strstr(out, "dense"));
	/* --open-existing wants the layout asked for, and says which differs. */
	assert_int_equal(run("create", "--open-existing", "--dense", "--slot-size", "20", name,
			     NULL), 0);
	assert_int_equal(run("create", "--open-existing", "--slot-size", "20", name, NULL), 1);
	assert_contains(err, "exists with dense slots (--dense was not given)");
	assert_int_equal(run("create", "--open-existing", "--dense", plain, NULL), 1);
	assert_contains(err, "exists without dense slots (--dense was given)");

	assert_int_equal(run("create", "--kind", "mpsc", "--dense", multi, NULL), 2);
	assert_contains(err, "--dense is for spsc rings only (not mpsc)");
	assert_int_equal(run("create", "--dense", "-k", "msg", multi, NULL), 2);
	assert_contains(err, "--dense is for spsc rings only (not msg)");
	assert_int_equal(shmring_open(multi, SHMRING_OBSERVER, &r), -ENOENT);
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
	assert_contains(err, "did you mean '/bad name'?");
	/* One good, one missing: the good one is shown, the exit says failure. */
	assert_int_equal(run("create", good, NULL), 0);
	assert_int_equal(run("stat", "--json", good, missing, NULL), 1);
	assert_contains(out, good);
	assert_contains(err, missing);
	/* A failed name's JSON error is what stderr says: a socket channel's
	 * was the library's word for huge pages and descriptors. */
	assert_int_equal(run("stat", "--json", good, "unix:@shmt-nobody", NULL), 1);
	assert_contains(err, "a socket channel (unix:/PATH");
	assert_contains(out, "\"error\":\"a socket channel (unix:/PATH");
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
	assert_contains(err, "a POSIX ring name starts with '/'");
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
	/* help COMMAND is COMMAND --help; nothing after -V goes unread. */
	assert_int_equal(run("help", "stat", NULL), 0);
	assert_contains(out, "usage: shmring stat");
	assert_int_equal(run("help", "help", NULL), 0);
	assert_contains(out, "commands:");
	assert_int_equal(run("help", "stt", NULL), 2);
	assert_contains(err, "unknown command 'stt'; did you mean 'stat'?");
	assert_int_equal(run("help", "stat", "rm", NULL), 2);
	assert_contains(err, "one command name");
	assert_int_equal(run("-V", "extra", NULL), 2);
	assert_contains(err, "takes no arguments");
}

/* Issue 7, item 12: a size whose suffix overflows 64 bits is an error, not
 * a small ring. */
static void test_sizes_overflow(void **state)
{
	static const char *huge[] = {"18014398509481985k", "18446744073709551616",
				     "99999999999999999999", "17179869184g", "0x10000000000000000"};
	const char *name = test_ring_name("overflow");
	shmring_t *r;

	(void)state;
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		if (run("create", "--capacity", huge[i], name, NULL) != 2)
			fail_msg("--capacity %s: not a usage error", huge[i]);
		assert_contains(err, "shmring create: --capacity");
		assert_contains(err, "too large");
		if (run("create", "--slot-size", huge[i], name, NULL) != 2)
			fail_msg("--slot-size %s: not a usage error", huge[i]);
		assert_contains(err, "too large");
		assert_contains(err, "slot size");
		assert_string_equal(out, "");
	}
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), -ENOENT);
	/* The edges that do fit still work: 1g slots is over the maximum, but
	 * as a range error, not an overflow. */
	assert_int_equal(run("create", "--capacity", "2g", name, NULL), 2);
	assert_contains(err, "power of two");
	assert_true(strstr(err, "too large") == NULL);
	/* A leading zero is not octal: "010" is ten, not a power of two. */
	assert_int_equal(run("create", "--capacity", "010", name, NULL), 2);
	assert_int_equal(run("create", "--capacity", "0x10", "--slot-size", "1KiB", name, NULL), 0);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(shmring_capacity(r), 16);
	assert_int_equal(shmring_slot_size(r), 1024);
	shmring_close(r);
}

/* --mode 0000 would make a ring nobody can open: refused, with the reason. */
static void test_mode_unusable(void **state)
{
	static const char *modes[] = {"0000", "0", "0400", "0222", "0444"};
	const char *name = test_ring_name("mode");
	shmring_t *r;

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (run("create", "--mode", modes[i], name, NULL) != 2)
			fail_msg("--mode %s accepted", modes[i]);
		assert_contains(err, "shmring create: --mode");
		assert_contains(err, "nobody could open");
	}
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), -ENOENT);
	assert_int_equal(run("create", "--mode", "-1", name, NULL), 2);
	assert_contains(err, "octal");
	assert_int_equal(run("create", "--mode", "0660", name, NULL), 0);
}

/* shmring_strerror() of every int, including INT_MIN (whose negation does
 * not exist), and the wording of the failure errors. */
static void test_strerror(void **state)
{
	static const int odd[] = {INT_MIN, INT_MIN + 1, INT_MAX, -1, 0, 4095, -4096};

	(void)state;
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		assert_non_null(shmring_strerror(odd[i]));
	assert_contains(shmring_strerror(-EPIPE), "gone");
	assert_contains(shmring_strerror(-SHMRING_EDROPPED), "repaired");
	assert_contains(shmring_strerror(-SHMRING_EDROPPED), "dropped");
	assert_contains(shmring_strerror(-SHMRING_ETRUNCATED), "truncated");
	/* A socket channel's peer that breaks the handshake is EPROTO too:
	 * not only a descriptor handoff's. */
	assert_contains(shmring_strerror(-EPROTO), "protocol");
	assert_contains(shmring_strerror(-EPROTO), "handshake");
}

/* Output that cannot be written is a failure, said on stderr. */
static void test_output_unwritable(void **state)
{
	const char *name = test_ring_name("full");
	struct shmring_info before, after;
	shmring_t *r;

	(void)state;
	assert_int_equal(run("create", name, NULL), 0);
	if (access("/dev/full", W_OK) == 0) {
		assert_int_equal(run_out("/dev/full", "stat", name, NULL), 1);
		assert_contains(err, "shmring stat: cannot write to standard output");
		assert_int_equal(run_out("/dev/full", "stat", "--json", name, NULL), 1);
		assert_contains(err, "cannot write");
		assert_int_equal(run_out("/dev/full", "--help", NULL), 1);
	}
	/* Closed: the tool must not print into whatever it opens next (the
	 * ring's own segment would get descriptor 1). */
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(shmring_info(r, &before), 0);
	assert_int_equal(run_out(NULL, "stat", name, NULL), 1);
	assert_contains(err, "shmring stat: cannot write to standard output");
	assert_int_equal(shmring_info(r, &after), 0);
	assert_memory_equal(&before, &after, offsetof(struct shmring_info, produced));
	shmring_close(r);
	assert_int_equal(run("stat", name, NULL), 0);
}

/*
 * A reader that went away (`shmring ls | head -1`): every command says that
 * it could not write, and why, and exits 1. SIGPIPE killed all but get and
 * bridge with nothing said (exit 141). stress still removes its ring.
 */
static void test_output_reader_gone(void **state)
{
	static const char broken[] = ": cannot write to standard output: Broken pipe";
	const char *name = test_ring_name("noreader");
	const char *sname = test_ring_name("noreader-stress");
	shmring_t *r;

	(void)state;
	assert_int_equal(run("create", name, NULL), 0);
	assert_int_equal(run_no_reader("ls", "--match", name, NULL), 1);
	assert_contains(err, "shmring ls");
	assert_contains(err, broken);
	assert_int_equal(run_no_reader("--help", NULL), 1);
	assert_contains(err, "shmring: cannot write to standard output: Broken pipe");
	assert_int_equal(run_no_reader("--version", NULL), 1);
	assert_contains(err, "shmring: cannot write to standard output: Broken pipe");
	assert_int_equal(run_no_reader("help", "stat", NULL), 1);
	assert_contains(err, "shmring stat");
	assert_contains(err, broken);
	assert_int_equal(run_no_reader("stat", name, NULL), 1);
	assert_contains(err, "shmring stat");
	assert_contains(err, broken);
	assert_int_equal(run_no_reader("stat", "--json", name, NULL), 1);
	assert_contains(err, broken);
	/* A watch ends at the first refresh nobody reads, and says so. */
	assert_int_equal(run_no_reader("stat", "--watch", "0.1", name, NULL), 1);
	assert_contains(err, "shmring stat");
	assert_contains(err, broken);
	assert_int_equal(run_no_reader("gc", "--json", "--match", name, NULL), 1);
	assert_contains(err, "shmring gc");
	assert_contains(err, broken);
	assert_int_equal(run_no_reader("bench", "--list", NULL), 1);
	assert_contains(err, "shmring bench");
	assert_contains(err, broken);
	assert_int_equal(run_no_reader("stress", "--list-kinds", NULL), 1);
	assert_contains(err, "shmring stress");
	assert_contains(err, broken);
	/* A run whose summary nobody reads: said, and its ring removed. */
	assert_int_equal(run_no_reader("stress", "--kind", "spsc", "--duration", "0.3", "--quiet",
				       "--name", sname, NULL),
			 1);
	assert_contains(err, "shmring stress");
	assert_contains(err, broken);
	assert_int_equal(shmring_open(sname, SHMRING_OBSERVER, &r), -ENOENT);
}

/*
 * stress --list-kinds with an argument or option after it is a usage error,
 * as bench --list is (it listed and exited 0); a --name too long for a POSIX
 * name is one too, as other malformed names are (it failed the run, exit 1).
 */
static void test_stress_list_and_name(void **state)
{
	static char longname[5002];

	(void)state;
	assert_int_equal(run("stress", "--list-kinds", "extra", NULL), 2);
	assert_contains(err, "shmring stress: unexpected argument 'extra'");
	assert_string_equal(out, "");
	assert_int_equal(run("stress", "--list-kinds", "--bogus", NULL), 2);
	assert_contains(err, "shmring stress: unknown option '--bogus'");
	assert_string_equal(out, "");
	assert_int_equal(run("stress", "--list-kinds", NULL), 0);
	assert_contains(out, "mpmc\n");
	assert_int_equal(run("bench", "--list", "extra", NULL), 2);

	longname[0] = '/';
	memset(longname + 1, 'x', sizeof(longname) - 2);
	assert_int_equal(run("stress", "--count", "1", "--name", longname, NULL), 2);
	assert_contains(err, "a POSIX ring name is at most 200 characters");
}

/*
 * What rm and gc do with nothing to do, as their help says: rm of a name
 * that does not exist fails (exit 1, "no such ring"), with --force too; gc
 * with nothing stale prints nothing (--json: an empty array) and exits 0.
 * bench's help says what --ratio-rounds 0 leaves (it said "no ratios", and
 * the ratios over the floor were still printed).
 */
static void test_nothing_to_do_documented(void **state)
{
	const char *missing = test_ring_name("nothing");

	(void)state;
	assert_int_equal(run("rm", missing, NULL), 1);
	assert_contains(err, "no such ring");
	assert_int_equal(run("rm", "--force", missing, NULL), 1);
	assert_contains(err, "no such ring");
	assert_int_equal(run("rm", "--help", NULL), 0);
	assert_contains(out, "a name that does not exist included ('no such ring',");
	assert_contains(out, "with --force too");

	assert_int_equal(run("gc", "--match", missing, NULL), 0);
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	assert_int_equal(run("gc", "--json", "--match", missing, NULL), 0);
	assert_string_equal(out, "[]\n");
	assert_int_equal(run("gc", "--help", NULL), 0);
	assert_contains(out, "nothing is printed (--json: []) and the exit status is 0");

	assert_int_equal(run("bench", "--help", NULL), 0);
	assert_true(strstr(out, "0: no ratios") == NULL);
	assert_contains(out, "the Ratios section holds only the round trips of");
}

/* Usage errors go to stderr with 2; errors share one prefix. */
static void test_usage_and_prefix(void **state)
{
	const char *missing = test_ring_name("prefix");
	char want[256];

	(void)state;
	assert_int_equal(run("rm", NULL), 2);
	assert_string_equal(out, "");
	assert_contains(err, "usage: shmring rm");
	assert_int_equal(run("stat", NULL), 2);
	assert_string_equal(out, "");
	assert_int_equal(run("stat", "--bogus", missing, NULL), 2);
	assert_contains(err, "shmring stat: unknown option");
	snprintf(want, sizeof(want), "shmring stat: %s: no such ring", missing);
	assert_int_equal(run("stat", missing, NULL), 1);
	assert_contains(err, want);
	snprintf(want, sizeof(want), "shmring rm: %s: no such ring", missing);
	assert_int_equal(run("rm", missing, NULL), 1);
	assert_contains(err, want);
	assert_int_equal(run("create", "noslash", NULL), 1);
	assert_contains(err, "shmring create: noslash: a POSIX ring name starts with");
}

/* An unknown command gets the nearest one suggested. */
static void test_unknown_command_suggestion(void **state)
{
	(void)state;
	assert_int_equal(run("stta", NULL), 2);
	assert_contains(err, "unknown command 'stta'");
	assert_contains(err, "did you mean 'stat'?");
	assert_int_equal(run("creat", NULL), 2);
	assert_contains(err, "did you mean 'create'?");
	assert_int_equal(run("stres", NULL), 2);
	assert_contains(err, "did you mean 'stress'?");
	assert_int_equal(run("xyzzy", NULL), 2);
	assert_contains(err, "unknown command 'xyzzy'");
	assert_true(strstr(err, "did you mean") == NULL);
}

/*
 * Files in /dev/shm that are not whole rings: all zero, empty (a creator
 * that died before the header), truncated after creation. stat says which,
 * promptly once the file is older than a creation takes, and never waits
 * and calls it "full or empty".
 */
static void test_stat_not_a_ring(void **state)
{
	const char *young = test_ring_name("zero-young");
	const char *young_empty = test_ring_name("empty-young");
	const char *zero = test_ring_name("zero");
	const char *empty = test_ring_name("empty");
	const char *cut = test_ring_name("cut");
	char path[256];
	uint64_t t0;

	(void)state;
	/* Young all-zero and empty files: after the library's wait for their
	 * creator. */
	assert_true(test_zero_shm(young, 4096));
	assert_int_equal(run("stat", young, NULL), 1);
	assert_contains(err, "shmring stat: ");
	assert_contains(err, "never finished writing the header (all zero");
	assert_true(strstr(err, "full or empty") == NULL);
	assert_true(test_zero_shm(young_empty, 0));
	assert_int_equal(run("stat", young_empty, NULL), 1);
	assert_contains(err, "empty file");
	assert_true(strstr(err, "full or empty") == NULL);

	assert_true(test_zero_shm(zero, 4096));
	assert_true(test_zero_shm(empty, 0));
	/* A ring, then shrunk by some process. */
	assert_int_equal(run("create", "--capacity", "1024", "--slot-size", "256", cut, NULL), 0);
	snprintf(path, sizeof(path), "/dev/shm%s", cut);
	assert_int_equal(truncate(path, 4096), 0);
	assert_int_equal(run("stat", cut, NULL), 1);
	assert_contains(err, "truncated");
	assert_contains(err, "4096 bytes");
	assert_int_equal(run("stat", "--json", cut, NULL), 1);
	assert_string_equal(out, "");

	/* Older than a creation may take: judged at once. */
	test_sleep_ms(2200);
	t0 = test_now_ns();
	assert_int_equal(run("stat", zero, NULL), 1);
	assert_contains(err, "never finished writing the header (all zero)");
	assert_int_equal(run("stat", empty, NULL), 1);
	assert_contains(err, "empty file: not a ring, or its creator died before writing "
			     "the header");
	assert_true(strstr(err, "full or empty") == NULL);
	if (test_now_ns() - t0 > 800000000u * TEST_SLOWDOWN)
		fail_msg("stat of old zero/empty files took %.2f s: it waited",
			 (double)(test_now_ns() - t0) / 1e9);
}

/* create --recovery-ms reaches the ring; stat shows it and the failure
 * figures, text and JSON. */
static void test_recovery_and_failure_info(void **state)
{
	static const char *keys[] = {"recovery_ns", "producers_gone", "consumers_gone",
				     "prod_repairs", "cons_repairs", "skipped", "cancelled",
				     "reaped", "stall_side", "stall_pos", "stall_ns", "stall_pid",
				     "stall_max_ns", "participants"};
	const char *name = test_ring_name("recovery");
	struct shmring_info in;
	shmring_t *p;
	char want[128];

	(void)state;
	assert_int_equal(run("create", "--recovery-ms", "0", name, NULL), 2);
	assert_contains(err, "recovery");
	assert_int_equal(run("create", "--recovery-ms", "60001", name, NULL), 2);
	assert_int_equal(run("create", "--recovery-ms", "abc", name, NULL), 2);
	assert_int_equal(run("create", "--kind", "mpmc", "--recovery-ms", "20", name, NULL), 0);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_info(p, &in), 0);
	assert_int_equal(in.recovery_ns, 20000000);

	assert_int_equal(run("stat", name, NULL), 0);
	assert_contains(out, "recovery      deadline 20.00 ms");
	assert_contains(out, "repairs       producer claims 0");
	assert_contains(out, "stall ");
	assert_contains(out, "table");
	/* This process, attached as a producer, alive. */
	{
		char *line = strstr(out, "table");

		assert_non_null(line);
		if (!strstr(line, "producer") || !strstr(line, "alive"))
			fail_msg("no live producer in the table: %s", out);
	}
	assert_int_equal(run("stat", "--json", name, NULL), 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(want, sizeof(want), "\"%s\":", keys[i]);
		assert_contains(out, want);
	}
	assert_contains(out, "\"recovery_ns\":20000000,");
	snprintf(want, sizeof(want), "{\"index\":");
	assert_contains(out, want);
	snprintf(want, sizeof(want), "\"pid\":%u,\"role\":\"producer\",\"state\":\"alive\"",
		 (unsigned)getpid());
	assert_contains(out, want);
	shmring_close(p);
}

/* stat names a live participant that is stopped, text and JSON; once it
 * runs again it is alive as before. */
static void test_stat_stopped(void **state)
{
	const char *name = test_ring_name("stopped");
	char want[128];
	pid_t pid;
	int st;

	(void)state;
	assert_int_equal(run("create", "--kind", "mpsc", name, NULL), 0);
	pid = test_fork_participant(name, SHMRING_PRODUCER, NULL, NULL);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
	assert_true(WIFSTOPPED(st));

	assert_int_equal(run("stat", name, NULL), 0);
	snprintf(want, sizeof(want), "%8u producer stopped", (unsigned)pid);
	assert_contains(out, want);
	assert_int_equal(run("stat", "--json", name, NULL), 0);
	snprintf(want, sizeof(want),
		 "\"pid\":%u,\"role\":\"producer\",\"state\":\"alive\",\"stopped\":true",
		 (unsigned)pid);
	assert_contains(out, want);

	assert_int_equal(kill(pid, SIGCONT), 0);
	assert_int_equal(waitpid(pid, &st, WCONTINUED), pid);
	assert_int_equal(run("stat", name, NULL), 0);
	snprintf(want, sizeof(want), "%8u producer alive", (unsigned)pid);
	assert_contains(out, want);
	assert_int_equal(run("stat", "--json", name, NULL), 0);
	assert_contains(out, "\"state\":\"alive\",\"stopped\":false");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
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
		cmocka_unit_test_teardown(test_poll_only, test_teardown_names),
		cmocka_unit_test_teardown(test_dense, test_teardown_names),
		cmocka_unit_test_teardown(test_stat_errors, test_teardown_names),
		cmocka_unit_test_teardown(test_rm_errors, test_teardown_names),
		cmocka_unit_test(test_top_level),
		cmocka_unit_test_teardown(test_sizes_overflow, test_teardown_names),
		cmocka_unit_test_teardown(test_mode_unusable, test_teardown_names),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test_teardown(test_output_unwritable, test_teardown_names),
		cmocka_unit_test_teardown(test_output_reader_gone, test_teardown_names),
		cmocka_unit_test(test_stress_list_and_name),
		cmocka_unit_test_teardown(test_nothing_to_do_documented, test_teardown_names),
		cmocka_unit_test(test_usage_and_prefix),
		cmocka_unit_test(test_unknown_command_suggestion),
		cmocka_unit_test_teardown(test_stat_not_a_ring, test_teardown_names),
		cmocka_unit_test_teardown(test_recovery_and_failure_info, test_teardown_names),
		cmocka_unit_test_teardown(test_stat_stopped, test_teardown_names),
	};

	test_build_tool("shmring", tool, sizeof(tool));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
