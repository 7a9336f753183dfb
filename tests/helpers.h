/* SPDX-License-Identifier: MIT */
/*
 * tests/helpers.h - what the test programs share: unique ring names that are
 * removed at teardown even when a test fails, skipping (exit 77), aligned
 * blocks for the ringbuf layer, and running other programs with a time limit.
 *
 * Everything here is static inline: each test is one translation unit and
 * uses only part of it.
 */
#ifndef SHMRING_TESTS_HELPERS_H
#define SHMRING_TESTS_HELPERS_H

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmring/shmring.h"

#define TEST_SKIP 77

/*
 * Sanitizer builds run slower: TEST_SLOWDOWN stretches time limits, and
 * TEST_MSG_DIVISOR shrinks the message counts of long runs so that they stay
 * within their ctest timeouts.
 */
#if defined(__SANITIZE_THREAD__) || defined(SHMRING_SANITIZE_thread)
#define TEST_SLOWDOWN 50u
#define TEST_MSG_DIVISOR 10u
#elif defined(__SANITIZE_ADDRESS__) || defined(SHMRING_SANITIZE_address)
#define TEST_SLOWDOWN 5u
#define TEST_MSG_DIVISOR 2u
#else
#define TEST_SLOWDOWN 1u
#define TEST_MSG_DIVISOR 1u
#endif

/* Exit as skipped, saying why. */
static inline void test_skip(const char *fmt, ...)
{
	va_list ap;

	printf("SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(TEST_SKIP);
}

/* --- Ring names ------------------------------------------------------------ */

#define TEST_MAX_NAMES 512
#define TEST_NAME_LEN 256

struct test_names {
	pid_t owner; /* only this process unlinks (forked children _exit) */
	int n;
	char name[TEST_MAX_NAMES][TEST_NAME_LEN];
};

static inline struct test_names *test__names(void)
{
	static struct test_names names;

	return &names;
}

/* Unlink every name this process handed out (a missing one is fine). */
static inline void test_unlink_all(void)
{
	struct test_names *t = test__names();

	if (t->owner != getpid())
		return;
	for (int i = 0; i < t->n; i++)
		shm_unlink(t->name[i]);
}

static inline void test__atexit(void)
{
	test_unlink_all();
}

/*
 * A name no other test (or run) uses: "/<prefix>-<pid>-<tag>-<n>", POSIX
 * form, registered for removal by test_unlink_all() and at exit. The string
 * stays valid until the process ends.
 */
static inline const char *test_ring_name(const char *tag)
{
	struct test_names *t = test__names();
	const char *prefix = getenv("SHMRING_TEST_PREFIX");
	char *slot;

	if (t->owner != getpid()) {
		t->owner = getpid();
		t->n = 0;
		atexit(test__atexit);
	}
	if (t->n == TEST_MAX_NAMES) {
		fprintf(stderr, "test_ring_name: out of names\n");
		abort();
	}
	slot = t->name[t->n];
	snprintf(slot, TEST_NAME_LEN, "/%s-%d-%s-%d", prefix && *prefix ? prefix : "shmt",
		 (int)getpid(), tag, t->n);
	t->n++;
	return slot;
}

/*
 * Open-or-create insists on a layout flag chosen at create (flag, e.g.
 * SHMRING_CREATE_POLL_ONLY): over an 8-byte 64-slot SPSC ring made with
 * it, a request without it is -SHMRING_EMISMATCH and one with it opens; and
 * the other way round. Returns 0, or the number of the step that went wrong.
 */
static inline int test_open_existing_insists(const char *name, uint32_t flag)
{
	shmring_t *r = NULL, *r2 = NULL;

	for (int round = 0; round < 2; round++) {
		uint32_t made = round ? 0 : flag, other = round ? flag : 0;
		struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 64,
					 .flags = made};
		int step = round * 4;

		if (shmring_create(name, &o, 0, &r) != 0)
			return step + 1;
		o.flags = other | SHMRING_CREATE_OPEN_EXISTING;
		if (shmring_create(name, &o, 0, &r2) != -SHMRING_EMISMATCH)
			return step + 2;
		o.flags = made | SHMRING_CREATE_OPEN_EXISTING;
		if (shmring_create(name, &o, 0, &r2) != 0)
			return step + 3;
		shmring_close(r2);
		shmring_close(r);
		if (shmring_unlink(name) != 0)
			return step + 4;
	}
	return 0;
}

/* Register a name made by other means for removal at teardown and exit. */
static inline void test_register_name(const char *name)
{
	struct test_names *t = test__names();

	if (t->owner != getpid()) {
		t->owner = getpid();
		t->n = 0;
		atexit(test__atexit);
	}
	if (t->n == TEST_MAX_NAMES || strlen(name) >= TEST_NAME_LEN) {
		fprintf(stderr, "test_register_name: cannot register %s\n", name);
		abort();
	}
	strcpy(t->name[t->n++], name);
}

/* cmocka teardown: remove the rings of the test that just ran. */
static inline int test_teardown_names(void **state)
{
	(void)state;
	test_unlink_all();
	return 0;
}

/* --- Memory and time --------------------------------------------------------- */

/* size bytes, page-aligned, zero-filled; aborts on failure. */
static inline void *test_block(size_t size)
{
	size_t rounded = (size + 4095) / 4096 * 4096;
	void *p = aligned_alloc(4096, rounded ? rounded : 4096);

	if (!p) {
		fprintf(stderr, "test_block: out of memory\n");
		abort();
	}
	memset(p, 0, rounded ? rounded : 4096);
	return p;
}

/* Map an existing POSIX shm object read-write (for looking at and forging
 * it); *size gets its length. NULL if it does not open or map. */
static inline void *test_map_shm(const char *name, size_t *size)
{
	struct stat st;
	void *p;
	int fd = shm_open(name, O_RDWR, 0);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*size = (size_t)st.st_size;
	return p;
}

/* A new POSIX shm object of size bytes, all zero: what a creator that died
 * before (or while) writing the header leaves. Whether it was made. */
static inline bool test_zero_shm(const char *name, size_t size)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	bool ok = fd >= 0 && ftruncate(fd, (off_t)size) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* size bytes of buf as the file at path, new (an old one removed):
 * whether all were written. */
static inline bool test_write_file(const char *path, const unsigned char *buf, size_t size)
{
	bool ok;
	int fd;

	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return false;
	ok = pwrite(fd, buf, size, 0) == (ssize_t)size;
	close(fd);
	return ok;
}

static inline uint64_t test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void test_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The check value carried beside sequence number i in test messages. */
static inline uint64_t test_check(uint64_t i)
{
	uint64_t x = i + UINT64_C(0x9e3779b97f4a7c15);

	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* --- Other programs ------------------------------------------------------------ */

/* The build directory (tests run with SHMRING_BUILD_DIR set), or skip. */
static inline const char *test_build_dir(void)
{
	const char *d = getenv("SHMRING_BUILD_DIR");

	if (!d || !*d)
		test_skip("SHMRING_BUILD_DIR is not set (run the test through ctest)");
	return d;
}

/* "<build dir>/<rel>" if it is an executable file, else skip. */
static inline const char *test_build_tool(const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", test_build_dir(), rel);
	if (access(buf, X_OK) != 0)
		test_skip("%s is not built (%s)", buf, strerror(errno));
	return buf;
}

/*
 * Start argv[0] with argv; its stdout and stderr go to the files named
 * out_path and err_path when those are not NULL. Returns the child's pid or
 * -1. The child never returns into the test.
 */
static inline pid_t test_spawn(char *const argv[], const char *out_path, const char *err_path)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid;
	if (out_path) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(126);
		close(fd);
	}
	if (err_path) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(126);
		close(fd);
	}
	execv(argv[0], argv);
	_exit(127);
}

/* A wait status as one number: the exit code, 128 + the signal, or -1. */
static inline int test_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/*
 * Wait for pid up to timeout_ms; kill it (SIGKILL) if it takes longer.
 * Returns its exit status (0..255), 128 + signal if a signal ended it, or -1
 * if it had to be killed.
 */
static inline int test_wait_pid(pid_t pid, unsigned timeout_ms)
{
	uint64_t deadline = test_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int status;

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -1;
		if (test_now_ns() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		test_sleep_ms(2);
	}
	return test_exit_code(status);
}

/*
 * A child process that opens name in role, runs then(r, arg) when given (a
 * non-zero return fails it), tells the parent and then waits for a signal.
 * Returns its pid once it has done so, or -1 (the child is gone then).
 */
static inline pid_t test_fork_participant(const char *name, unsigned role,
					  int (*then)(shmring_t *r, void *arg), void *arg)
{
	int fds[2];
	char c;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		shmring_t *r;

		close(fds[0]);
		if (shmring_open(name, role, &r) != 0 || (then && then(r, arg) != 0))
			_exit(1);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(fds[0]);
	return pid;
}

/* Read a whole (small) file into buf, NUL-terminated; returns its length or -1. */
static inline ssize_t test_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	size_t n = 0;

	if (fd < 0)
		return -1;
	while (n + 1 < size) {
		ssize_t k = read(fd, buf + n, size - 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* --- Namespaces of their own ---------------------------------------------------- */

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

enum test_ns {
	/* A time namespace whose boot-time clock is 1000 s ahead of ours,
	 * where /proc shows every start time 100000 ticks later. */
	TEST_NS_TIME,
	/* A time namespace whose boot-time clock is behind ours by more than
	 * our parent has been running: /proc there shows the parent's start
	 * time below zero, wrapped around 2^64 ns. */
	TEST_NS_TIME_BEHIND,
	/* A pid namespace with no /proc at all (an empty tmpfs over it, in a
	 * mount namespace of its own), as in a sandbox. Only where a pidfd
	 * names a process's pid namespace (Linux 6.11), the one way to name
	 * it there. */
	TEST_NS_PID_NO_PROC,
	/* A pid namespace that keeps the host's /proc (unshare -p without a
	 * /proc mounted for it): pid 2 there names the host's kthreadd. */
	TEST_NS_PID,
};

/* Whether a pidfd names a process's pid namespace (PIDFD_GET_PID_NAMESPACE). */
static inline bool test__pidfd_names_pidns(void)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0), ns;

	if (fd < 0)
		return false;
	ns = ioctl(fd, _IO(0xFF, 5), 0);
	close(fd);
	if (ns < 0)
		return false;
	close(ns);
	return true;
}

/* Process pid's start time in seconds after boot (/proc/PID/stat), -1 if
 * unknown. */
static inline long long test__start_sec(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long st;
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &st) != 1)
		return -1;
	return (long long)(st / (unsigned long long)sysconf(_SC_CLK_TCK));
}

/* Make the namespace; the first child after this is in it. */
static inline bool test__unshare(enum test_ns how)
{
	char offsets[64];
	long long behind = 1000;
	int fd, len;

	if (how == TEST_NS_PID)
		return unshare(CLONE_NEWPID) == 0;
	if (how == TEST_NS_PID_NO_PROC)
		return test__pidfd_names_pidns() && unshare(CLONE_NEWNS | CLONE_NEWPID) == 0 &&
		       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		       mount("none", "/proc", "tmpfs", 0, NULL) == 0;
	if (how == TEST_NS_TIME_BEHIND) {
		struct timespec now;
		long long parent = test__start_sec(getppid());

		if (parent < 0)
			return false;
		/* The clock may not go below 0 there: wait until the parent
		 * has run a second. */
		behind = -(parent + 1);
		do {
			if (clock_gettime(CLOCK_BOOTTIME, &now) != 0)
				return false;
			if (now.tv_sec + behind < 1)
				usleep(50000);
		} while (now.tv_sec + behind < 1);
	}
	if (unshare(CLONE_NEWTIME) != 0)
		return false;
	len = snprintf(offsets, sizeof(offsets), "boottime %lld 0", behind);
	fd = open("/proc/self/timens_offsets", O_WRONLY);
	if (fd < 0)
		return false;
	if (write(fd, offsets, (size_t)len) != len) {
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/*
 * Run fn(arg, sync) in a namespace made as `how` says, in its second
 * process (pid 2 in a pid namespace, which names the host's kthreadd in the
 * host's /proc: pid 1's maps there may be unreadable even to root, which
 * would judge it alive by luck). Returns the pid to wait for: fn's result
 * is its exit status, TEST_SKIP when the namespace cannot be made (no
 * CAP_SYS_ADMIN, not in this kernel). The child closes ours (the test's end
 * of sync), so that fn sees the test end; -1 for none.
 */
static inline pid_t test_in_ns(enum test_ns how, int (*fn)(const char *arg, int sync),
			       const char *arg, int sync, int ours)
{
	pid_t outer;

	fflush(stdout);
	fflush(stderr);
	outer = fork();
	if (outer == 0) {
		pid_t inner;
		int st = 0;

		if (ours >= 0)
			close(ours);
		if (!test__unshare(how))
			_exit(TEST_SKIP);
		inner = fork(); /* the first process in the namespace (pid 1) */
		if (inner == 0) {
			pid_t second = fork(); /* pid 2: a pid the host has too */

			if (second == 0)
				_exit(fn(arg, sync));
			if (second < 0 || waitpid(second, &st, 0) != second || !WIFEXITED(st))
				_exit(9);
			_exit(WEXITSTATUS(st));
		}
		if (inner < 0 || waitpid(inner, &st, 0) != inner || !WIFEXITED(st))
			_exit(8);
		_exit(WEXITSTATUS(st));
	}
	return outer;
}

#endif /* SHMRING_TESTS_HELPERS_H */
