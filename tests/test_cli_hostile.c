/* SPDX-License-Identifier: MIT */
/*
 * test_cli_hostile: the shmring tool on names that are not what they should
 * be. A FIFO, socket, directory, symbolic link, character device or foreign
 * file under a ring's name (in /dev/shm, or a file: path): stat, rm, get,
 * put and create say what it is and exit 1, and nothing hangs; rm never
 * removes what a symbolic link points to. A ring's segment shrunk
 * (ftruncate) under a running get, put or stat, or before it is opened: the
 * tool says so and exits 1, never dies of SIGBUS. A name whose live creator
 * holds it before its header is said to be still being created. Skipped (77) when the tool
 * is not built. create --replace removes a ring (or a segment its creator
 * left all zero), never another program's data, a synchronization object or
 * a FIFO. A file: directory or sysv:@ key file that does not exist is named.
 * A name of hundreds of bytes is said whole, with the reason after it.
 */
#include "test_cli_run.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/un.h>

/* A command may take this long at most (it must never wait on the name). */
#define LIMIT_MS (10000u * TEST_SLOWDOWN)

/* Run `shmring args...` with a time limit: its exit status, or -1 when it
 * had to be killed (it hung); cli_out and cli_err hold what it wrote. */
static int run_limited(const char *arg, ...)
{
	const char *args[32];
	va_list ap;
	int n = 0, st;

	va_start(ap, arg);
	for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	st = test_wait_pid(cli_start(NULL, cli_out_path, cli_err_path, args), LIMIT_MS);
	if (test_read_file(cli_out_path, cli_out, sizeof(cli_out)) < 0)
		cli_out[0] = '\0';
	if (test_read_file(cli_err_path, cli_err, sizeof(cli_err)) < 0)
		cli_err[0] = '\0';
	return st;
}

/* The path in /dev/shm of a POSIX name "/NAME". */
static const char *shm_path(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "/dev/shm%s", name);
	return buf;
}

static void make_socket(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(a.sun_path));
	strcpy(a.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
}

/* What each object is, made at a path. */
enum thing { FIFO, SOCKET, DIRECTORY, LINK, JUNK, NTHINGS };

static const char *const said[NTHINGS] = {
    [FIFO] = "a FIFO (named pipe), not a shmring segment",
    [SOCKET] = "a socket, not a shmring segment",
    [DIRECTORY] = "a directory, not a shmring segment",
    [LINK] = "a symbolic link (never followed), not a shmring segment",
    [JUNK] = "not a shmring segment",
};

/* Make thing t at path; a link points to target (a ring). */
static void make_thing(enum thing t, const char *path, const char *target)
{
	char junk[8192];
	int fd;

	switch (t) {
	case FIFO:
		assert_int_equal(mkfifo(path, 0600), 0);
		break;
	case SOCKET:
		make_socket(path);
		break;
	case DIRECTORY:
		assert_int_equal(mkdir(path, 0700), 0);
		break;
	case LINK:
		assert_int_equal(symlink(target, path), 0);
		break;
	case JUNK:
		memset(junk, 'j', sizeof(junk));
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
		close(fd);
		break;
	default:
		fail();
	}
}

static void remove_thing(const char *path)
{
	if (unlink(path) < 0)
		assert_int_equal(rmdir(path), 0);
}

/* stat, rm, get, put and create on name (which is thing t at path): each
 * says what it is, exits 1 in time, and leaves it there. */
static void check_refused(const char *name, const char *path, enum thing t)
{
	static const char *const cmds[] = {"stat", "rm", "get", "put", "create"};
	struct stat st;

	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		int rc = run_limited(cmds[c], name, NULL);

		if (rc != 1)
			fail_msg("shmring %s %s (%s): exit %d (-1: it hung); stderr: %s", cmds[c],
			         name, said[t], rc, cli_err);
		cli_assert_contains(cli_err, name);
		cli_assert_contains(cli_err, said[t]);
		if (!strcmp(cmds[c], "create"))
			cli_assert_contains(cli_err, "the name is taken by");
		if (!strcmp(cmds[c], "rm"))
			cli_assert_contains(cli_err, t == DIRECTORY ? "not removed (rm removes no "
								     "directory)"
								   : "not removed (--force");
		assert_int_equal(lstat(path, &st), 0);
	}
}

/* In /dev/shm, under a POSIX name. */
static void test_posix_not_regular(void **state)
{
	const char *ring = test_ring_name("target");
	char path[256];

	(void)state;
	assert_int_equal(cli_run("create", ring, NULL), 0);
	for (int t = 0; t < NTHINGS; t++) {
		const char *name = test_ring_name("thing");

		shm_path(name, path, sizeof(path));
		make_thing((enum thing)t, path, shm_path(ring, (char[256]){0}, 256));
		check_refused(name, path, (enum thing)t);
		remove_thing(path);
	}
	/* The ring a link pointed to is untouched. */
	assert_int_equal(cli_run("stat", ring, NULL), 0);
}

/* file: names, and a character device. */
static void test_file_not_regular(void **state)
{
	const char *ring = cli_file_name("target");
	char name[700];

	(void)state;
	assert_int_equal(cli_run("create", ring, NULL), 0);
	for (int t = 0; t < NTHINGS; t++) {
		snprintf(name, sizeof(name), "%s", cli_file_name("thing"));
		make_thing((enum thing)t, cli_path(name), cli_path(ring));
		check_refused(name, cli_path(name), (enum thing)t);
		remove_thing(cli_path(name));
	}
	assert_int_equal(run_limited("stat", "file:/dev/null", NULL), 1);
	cli_assert_contains(cli_err, "a character device, not a shmring segment");
	assert_int_equal(run_limited("rm", "file:/dev/null", NULL), 1);
	cli_assert_contains(cli_err, "not removed");
	assert_int_equal(access("/dev/null", F_OK), 0);
	assert_int_equal(cli_run("stat", ring, NULL), 0);
}

/* rm --force of a symbolic link removes the link, never its target, and
 * says so; ls of a directory with a FIFO and a link in it lists the ring
 * alone and does not hang. */
static void test_link_and_ls(void **state)
{
	const char *ring = cli_file_name("target");
	char link[700], fifo[700], dir[600], shm_fifo[256];
	const char *pfifo = test_ring_name("ls-fifo");
	struct stat st;

	(void)state;
	assert_int_equal(cli_run("create", ring, NULL), 0);
	snprintf(link, sizeof(link), "%s", cli_file_name("link"));
	snprintf(fifo, sizeof(fifo), "%s", cli_file_name("fifo"));
	assert_int_equal(symlink(cli_path(ring), cli_path(link)), 0);
	assert_int_equal(mkfifo(cli_path(fifo), 0600), 0);
	assert_int_equal(mkfifo(shm_path(pfifo, shm_fifo, sizeof(shm_fifo)), 0600), 0);

	snprintf(dir, sizeof(dir), "%s", cli_dir);
	assert_int_equal(run_limited("ls", dir, NULL), 0);
	cli_assert_contains(cli_out, ring);
	cli_assert_lacks(cli_out, link);
	cli_assert_lacks(cli_out, fifo);
	/* The whole machine: /dev/shm has a FIFO in it. */
	assert_int_equal(run_limited("ls", "--match", pfifo, NULL), 0);
	assert_int_equal(run_limited("gc", "--match", pfifo, NULL), 0);

	assert_int_equal(run_limited("rm", "--force", link, NULL), 0);
	cli_assert_contains(cli_err, "removed the symbolic link itself, not what it points to");
	assert_int_equal(lstat(cli_path(link), &st), -1);
	assert_int_equal(cli_run("stat", ring, NULL), 0);
	cli_assert_contains(cli_out, "spsc");
}

/* The path of a ring's segment (posix or file). */
static const char *seg_path(const char *name, char *buf, size_t size)
{
	if (strncmp(name, "file:", 5))
		return shm_path(name, buf, size);
	snprintf(buf, size, "%s", cli_path(name));
	return buf;
}

/* Start `shmring args...` in the background, stdin from in_path. */
static pid_t start_bg(const char *in_path, const char *const *args)
{
	return cli_start(in_path, cli_out_path, cli_err_path, args);
}

/* Wait for a background run; its exit status (-1: it hung), cli_err. */
static int wait_bg(pid_t pid)
{
	int st = test_wait_pid(pid, LIMIT_MS);

	if (test_read_file(cli_err_path, cli_err, sizeof(cli_err)) < 0)
		cli_err[0] = '\0';
	return st;
}

static void assert_shrank(const char *cmd, const char *name, int st)
{
	if (st != 1)
		fail_msg("shmring %s %s, its segment truncated under it: exit %d (128 + 7 is "
		         "SIGBUS, -1 a hang); stderr: %s",
		         cmd, name, st, cli_err);
	cli_assert_contains(cli_err, "shrank under us");
	cli_assert_contains(cli_err, name);
}

/* Until a background command has the ring open in role (a sanitizer's
 * start-up can take longer than any fixed sleep): truncated before its
 * open, the segment would be refused as truncated, not shrunk under it. */
static void wait_attached(const char *name, unsigned role)
{
	uint64_t until = test_now_ns() + (uint64_t)LIMIT_MS * 1000000u;

	for (;;) {
		struct shmring_info in;
		shmring_t *obs = NULL;
		uint32_t n = 0;

		if (shmring_open(name, SHMRING_OBSERVER, &obs) == 0) {
			if (shmring_info(obs, &in) == 0)
				n = role == SHMRING_PRODUCER ? in.producers : in.consumers;
			shmring_close(obs);
		}
		if (n > 0)
			break;
		if (test_now_ns() > until)
			fail_msg("%s: no %s attached within %u ms", name,
			         role == SHMRING_PRODUCER ? "producer" : "consumer", LIMIT_MS);
		test_sleep_ms(10);
	}
	test_sleep_ms(100); /* and on to its wait */
}

/* get waiting on an empty ring, put waiting on a full one: the segment is
 * shrunk to a page under them. */
static void test_sigbus_get_put(void **state)
{
	char lines[64 * 6 + 1] = "", path[700];

	(void)state;
	for (int i = 0; i < 64; i++)
		strcat(lines, "line.\n");
	snprintf(path, sizeof(path), "%s", cli_write_file("lines", lines, strlen(lines)));
	for (int b = 0; b < 2; b++) {
		const char *name = b ? cli_file_name("bus") : test_ring_name("bus");
		const char *get[] = {"get", name, NULL};
		const char *put[] = {"put", name, NULL};
		char seg[700];
		pid_t pid;

		assert_int_equal(cli_run("create", "-c", "4", "-s", "16", name, NULL), 0);
		seg_path(name, seg, sizeof(seg));
		pid = start_bg(NULL, get);
		wait_attached(name, SHMRING_CONSUMER);
		assert_int_equal(truncate(seg, 4096), 0);
		assert_shrank("get", name, wait_bg(pid));

		assert_int_equal(cli_run("rm", "--force", name, NULL), 0);
		assert_int_equal(cli_run("create", "-c", "4", "-s", "16", name, NULL), 0);
		pid = start_bg(path, put); /* 64 lines: it waits for room after 4 */
		wait_attached(name, SHMRING_PRODUCER);
		assert_int_equal(truncate(seg, 4096), 0);
		assert_shrank("put", name, wait_bg(pid));
		assert_int_equal(cli_run("rm", "--force", name, NULL), 0);
	}
}

/* A segment truncated before the command opens it: refused by name, exit 1. */
static void test_truncated_before(void **state)
{
	static const char *const cmds[] = {"stat", "get", "put"};

	(void)state;
	for (int b = 0; b < 2; b++) {
		const char *name = b ? cli_file_name("cut") : test_ring_name("cut");
		char seg[700];

		assert_int_equal(cli_run("create", "-c", "1024", "-s", "256", name, NULL), 0);
		assert_int_equal(truncate(seg_path(name, seg, sizeof(seg)), 4096), 0);
		for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
			int rc = run_limited(cmds[c], name, NULL);

			if (rc != 1)
				fail_msg("shmring %s %s (truncated): exit %d; stderr: %s", cmds[c],
				         name, rc, cli_err);
			cli_assert_contains(cli_err, name);
			cli_assert_contains(cli_err, "truncated");
		}
		/* ls names it, with the reason, and goes on. */
		assert_int_equal(run_limited("ls", "--match", name, b ? cli_dir : NULL, NULL), 0);
		cli_assert_contains(cli_out, "truncated");
	}
}

/*
 * A name whose creator lives and holds it before its header (stopped, say:
 * here this process holds the object's lock over a zeroed segment, as a
 * creator does until it publishes): stat, get and put say it is still being
 * created, exit 1 (they said its creator might have died).
 */
static void test_creator_holds(void **state)
{
	static const char *const cmds[] = {"stat", "get", "put"};
	const char *name = test_ring_name("making");
	char seg[700];
	int fd;

	(void)state;
	fd = open(shm_path(name, seg, sizeof(seg)), O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 65536), 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		int rc = c ? run_limited(cmds[c], "--timeout", "1", name, NULL)
			   : run_limited(cmds[c], name, NULL);

		if (rc != 1)
			fail_msg("shmring %s %s (being created): exit %d; stderr: %s", cmds[c], name,
			         rc, cli_err);
		cli_assert_contains(cli_err, "still being created");
		cli_assert_lacks(cli_err, "died");
	}
	close(fd);
}

/*
 * stat and ls while another process shrinks and restores the segment over
 * and over: each run shows the ring or says it was truncated, exit 0 or 1,
 * and none dies of SIGBUS.
 */
static void test_sigbus_stat_race(void **state)
{
	const char *name = test_ring_name("race");
	char seg[256];
	struct stat st;
	pid_t cutter;
	int status;

	(void)state;
	assert_int_equal(cli_run("create", "-k", "mpmc", "-c", "1024", "-s", "256", name, NULL), 0);
	shm_path(name, seg, sizeof(seg));
	assert_int_equal(stat(seg, &st), 0);
	cutter = fork();
	assert_true(cutter >= 0);
	if (cutter == 0) {
		for (;;) {
			if (truncate(seg, 4096) < 0 || truncate(seg, st.st_size) < 0)
				_exit(1);
		}
	}
	for (int i = 0; i < 40; i++) {
		int rc = i % 4 == 3 ? run_limited("ls", "--match", name, NULL)
		                    : run_limited("stat", i % 2 ? "--json" : name, name, NULL);

		if (rc != 0 && rc != 1)
			fail_msg(
			    "run %d while the segment is cut and restored: exit %d; stderr: %s", i,
			    rc, cli_err);
		if (rc == 1 && !strstr(cli_err, "truncated") && !strstr(cli_err, "shrank"))
			fail_msg("run %d: exit 1 without saying the segment shrank: %s", i,
			         cli_err);
	}
	kill(cutter, SIGKILL);
	waitpid(cutter, &status, 0);
}

/* create --replace removes a ring, or a segment a creator left all zero;
 * nothing else: foreign data, a synchronization object and a FIFO stay. */
static void test_replace_only_rings(void **state)
{
	static const char junk[] = "another program's data, not a ring at all";
	char zero[4096] = {0};

	(void)state;
	for (int b = 0; b < 2; b++) {
		const char *name = b ? cli_file_name("junk") : test_ring_name("junk");
		const char *ev = b ? cli_file_name("event") : test_ring_name("event");
		const char *fifo = b ? cli_file_name("fifo") : test_ring_name("fifo");
		const char *dead = b ? cli_file_name("dead") : test_ring_name("dead");
		char seg[700], buf[sizeof(junk)];
		shmring_event_t *e;
		struct stat st;
		int fd;

		seg_path(name, seg, sizeof(seg));
		fd = open(seg, O_RDWR | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
		assert_int_equal(run_limited("create", "--replace", name, NULL), 1);
		cli_assert_contains(cli_err, "--replace removes only a ring");
		cli_assert_contains(cli_err, "not a shmring segment");
		assert_int_equal(pread(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
		assert_memory_equal(buf, junk, sizeof(junk));
		close(fd);

		assert_int_equal(shmring_event_create(ev, NULL, &e), 0);
		assert_int_equal(run_limited("create", "-f", ev, NULL), 1);
		cli_assert_contains(cli_err, "a synchronization object");
		assert_int_equal(shmring_event_set(e), 0);
		shmring_event_close(e);
		assert_int_equal(shmring_event_open(ev, NULL, &e), 0);
		shmring_event_close(e);
		assert_int_equal(shmring_event_unlink(ev), 0);

		assert_int_equal(mkfifo(seg_path(fifo, seg, sizeof(seg)), 0600), 0);
		assert_int_equal(run_limited("create", "--replace", fifo, NULL), 1);
		cli_assert_contains(cli_err, "a FIFO (named pipe)");
		assert_int_equal(lstat(seg, &st), 0);
		assert_true(S_ISFIFO(st.st_mode));
		assert_int_equal(unlink(seg), 0);

		/* All zero: a creator that died; and a ring: both replaced. */
		fd = open(seg_path(dead, seg, sizeof(seg)), O_RDWR | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, zero, sizeof(zero)), (ssize_t)sizeof(zero));
		close(fd);
		assert_int_equal(run_limited("create", "--replace", dead, NULL), 0);
		assert_int_equal(run_limited("create", "--replace", "-c", "8", dead, NULL), 0);
		assert_int_equal(run_limited("stat", dead, NULL), 0);
		cli_assert_contains(cli_out, "8 slots");
	}
}

/* A file: name in a directory that does not exist, a sysv:@ name whose key
 * file does not: the message names what is missing, for create and stat. */
static void test_missing_path(void **state)
{
	char name[1600], want[1600], file[700];

	(void)state;
	snprintf(name, sizeof(name), "file:%s/no-such-dir/ring", cli_dir);
	assert_int_equal(run_limited("create", name, NULL), 1);
	snprintf(want, sizeof(want),
	         "cannot create the file: the directory %s/no-such-dir "
	         "does not exist",
	         cli_dir);
	cli_assert_contains(cli_err, want);
	assert_int_equal(run_limited("stat", name, NULL), 1);
	snprintf(want, sizeof(want), "the directory %s/no-such-dir does not exist", cli_dir);
	cli_assert_contains(cli_err, want);

	/* A directory that is a regular file. */
	snprintf(file, sizeof(file), "%s", cli_write_file("plain", "x", 1));
	snprintf(name, sizeof(name), "file:%s/ring", file);
	assert_int_equal(run_limited("create", name, NULL), 1);
	snprintf(want, sizeof(want), "the directory %s is not a directory", file);
	cli_assert_contains(cli_err, want);

	snprintf(name, sizeof(name), "sysv:@%s/no-such-key#7", cli_dir);
	assert_int_equal(run_limited("create", name, NULL), 1);
	snprintf(want, sizeof(want), "the key file %s/no-such-key does not exist", cli_dir);
	cli_assert_contains(cli_err, want);
	assert_int_equal(run_limited("stat", name, NULL), 1);
	cli_assert_contains(cli_err, want);
}

/*
 * A file: name of about 700 bytes (well-formed, in directories that do not
 * exist) and one past the longest path: every message names it whole and
 * says why after it. A bridge cut "URI: reason" at 512 bytes and then did
 * not know which URI it was about; stat and put cut theirs at 256.
 */
static void test_long_names(void **state)
{
	static char dir[1200], name[1300], longest[1300], want[1400];
	const char *ring = test_ring_name("long-peer");
	size_t n;

	(void)state;
	n = (size_t)snprintf(dir, sizeof(dir), "%s/no-such-dir", cli_dir);
	while (n < 680) {
		/* Components of 200 bytes: each one a file name may be. */
		dir[n++] = '/';
		for (int i = 0; i < 200; i++)
			dir[n++] = 'd';
	}
	dir[n] = '\0';
	snprintf(name, sizeof(name), "file:%s/ring", dir);
	snprintf(want, sizeof(want), "no such ring: the directory %s does not exist", dir);
	assert_int_equal(run_limited("stat", name, NULL), 1);
	cli_assert_contains(cli_err, want);
	assert_int_equal(run_limited("put", name, NULL), 1);
	cli_assert_contains(cli_err, want);

	assert_int_equal(cli_run("create", ring, NULL), 0);
	snprintf(want, sizeof(want), "shmring bridge: %s: no such ring", name);
	assert_int_equal(run_limited("bridge", "--timeout", "0.2", ring, name, NULL), 1);
	cli_assert_contains(cli_err, want);
	assert_int_equal(run_limited("bridge", "--timeout", "0.2", name, ring, NULL), 1);
	cli_assert_contains(cli_err, want);

	/* One byte past the longest path: malformed, and said which way. */
	n = (size_t)snprintf(longest, sizeof(longest), "file:/");
	for (; n < 5 + SHMRING_PATH_MAX + 1; n++)
		longest[n] = n % 201 ? 'p' : '/';
	longest[n] = '\0';
	snprintf(want, sizeof(want), "shmring bridge: %s: a file: path is at most", longest);
	assert_int_equal(run_limited("bridge", "--timeout", "0.2", ring, longest, NULL), 1);
	cli_assert_contains(cli_err, want);
	assert_int_equal(run_limited("bridge", "--timeout", "0.2", longest, ring, NULL), 1);
	cli_assert_contains(cli_err, want);
}

/*
 * "/." and "/..": no POSIX ring's name (create, put and get say so), not
 * /dev/shm itself or its parent; stat, rm and ls --match called them "a
 * directory", and rm offered --force, which then refused the name.
 */
static void test_dot_names(void **state)
{
	static const char *const names[] = {"/.", "/..", "posix:/.."};
	static const char *const cmds[][2] = {{"stat", NULL}, {"rm", NULL}, {"rm", "--force"},
					      {"create", NULL}, {"get", NULL}};

	(void)state;
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
			int st = cmds[c][1] ? run_limited(cmds[c][0], cmds[c][1], names[n], NULL)
					    : run_limited(cmds[c][0], names[n], NULL);

			if (st != 1)
				fail_msg("%s %s: exit %d", cmds[c][0], names[n], st);
			cli_assert_contains(cli_err, "needs a name after the '/'");
			cli_assert_lacks(cli_err, "directory");
			cli_assert_lacks(cli_err, "--force");
		}
	}
}

/*
 * Names from the command line reach standard error with their control
 * bytes (and bytes of no well-formed UTF-8) written as \xNN: an argument
 * cannot move the cursor or retitle the terminal. Well-formed UTF-8 stays.
 */
static void test_escaped_arguments(void **state)
{
	static const char *const cmds[] = {"stat", "rm", "get", "put", "create", "ls"};

	(void)state;
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		int st = run_limited(cmds[c], "/a\033]0;X\007b\xff\xc2\x9b", NULL);

		if (st == 0)
			fail_msg("%s of a forbidden name: exit 0", cmds[c]);
		cli_assert_contains(cli_err, "/a\\x1b]0;X\\x07b\\xff\\xc2\\x9b");
		for (const char *p = cli_err; *p; p++)
			if ((*p > 0 && *p < 0x20 && *p != '\n') || *p == 0x7f)
				fail_msg("%s: a control byte 0x%02x on standard error", cmds[c], *p);
	}
	assert_int_equal(run_limited("stat", "/caf\xc3\xa9", NULL), 1);
	cli_assert_contains(cli_err, "/caf\xc3\xa9");
	/* A carriage return and an erase to the end of the line too. */
	assert_true(run_limited("stat", "/a\rXY\033[Kz", NULL) != 0);
	cli_assert_contains(cli_err, "/a\\x0dXY\\x1b[Kz");
	/* A message longer than the C library's piece (8 KiB): a character
	 * that the cut between pieces splits comes out whole. */
	{
		static char pat[16384];
		size_t n = (size_t)snprintf(pat, sizeof(pat), "sysv:a");

		while (n + 2 < 12000) {
			pat[n++] = '\xc3';
			pat[n++] = '\xa9';
		}
		pat[n] = '\0';
		assert_int_equal(run_limited("ls", "--match", pat, NULL), 2);
		cli_assert_contains(cli_err, "not a System V key");
		cli_assert_lacks(cli_err, "\\x");
	}
}

/* A FIFO where a bridge's status object would be: stat bridge:NAME and
 * bridge --name NAME say it is none, ls does not list it, rm bridge:NAME
 * refuses it (--force removes it), and none of them hangs. */
static void test_bridge_status_fifo(void **state)
{
	char name[64], path[128], arg[80];

	(void)state;
	snprintf(name, sizeof(name), "hostile-%d", (int)getpid());
	snprintf(path, sizeof(path), "/dev/shm/shmring-bridge.%s", name);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(arg, sizeof(arg), "bridge:%s", name);
	assert_int_equal(run_limited("stat", arg, NULL), 1);
	cli_assert_contains(cli_err, "not a bridge's status object");
	assert_int_equal(run_limited("bridge", "--name", name, test_ring_name("from"),
	                             test_ring_name("to"), NULL),
	                 1);
	cli_assert_contains(cli_err, "is not a bridge's status object");
	assert_int_equal(run_limited("ls", "--match", arg, NULL), 0);
	cli_assert_lacks(cli_out, arg);
	assert_int_equal(run_limited("rm", arg, NULL), 1);
	cli_assert_contains(cli_err, "not a bridge's status object; not removed (--force");
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(run_limited("rm", "--force", arg, NULL), 0);
	assert_true(access(path, F_OK) < 0 && errno == ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_posix_not_regular, test_teardown_names),
	    cmocka_unit_test_teardown(test_file_not_regular, test_teardown_names),
	    cmocka_unit_test_teardown(test_link_and_ls, test_teardown_names),
	    cmocka_unit_test_teardown(test_sigbus_get_put, test_teardown_names),
	    cmocka_unit_test_teardown(test_truncated_before, test_teardown_names),
	    cmocka_unit_test_teardown(test_creator_holds, test_teardown_names),
	    cmocka_unit_test_teardown(test_sigbus_stat_race, test_teardown_names),
	    cmocka_unit_test_teardown(test_replace_only_rings, test_teardown_names),
	    cmocka_unit_test(test_missing_path),
	    cmocka_unit_test_teardown(test_long_names, test_teardown_names),
	    cmocka_unit_test(test_dot_names),
	    cmocka_unit_test_teardown(test_bridge_status_fifo, test_teardown_names),
	    cmocka_unit_test(test_escaped_arguments),
	};

	srand((unsigned)getpid() ^ (unsigned)test_now_ns());
	cli_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
