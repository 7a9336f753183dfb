/* SPDX-License-Identifier: MIT */
/*
 * tests/sync_helpers.h - what the synchronisation-object tests
 * (tests/test_sync_*.c) share: object names of every scheme that are removed
 * at exit (POSIX semaphores and System V sets too), forked children that
 * never return into cmocka and cannot outlive the test, shared scratch
 * memory, and a raw view of an object's page for forging its state.
 *
 * Include <cmocka.h> before this header.
 */
#ifndef SHMRING_TESTS_SYNC_HELPERS_H
#define SHMRING_TESTS_SYNC_HELPERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/sem.h>

#include "helpers.h"
#include "shmring/sync.h"

#define SH_MS UINT64_C(1000000)

/* TSan defers a signal handler that interrupts a call it does not intercept
 * (sem_clockwait) to its next interception: the handler runs, but later. */
#if defined(__SANITIZE_THREAD__) || defined(SHMRING_SANITIZE_thread)
#define SH_TSAN 1
#else
#define SH_TSAN 0
#endif

/* --- Names ----------------------------------------------------------------- */

#define SH_MAX_NAMES 256

struct sh_names {
	pid_t owner;
	int n;
	char uri[SH_MAX_NAMES][TEST_NAME_LEN];
};

static inline struct sh_names *sh__names(void)
{
	static struct sh_names names;

	return &names;
}

/* Remove every object this process named (whatever is there; missing is fine). */
static inline void sh_unlink_all(void)
{
	struct sh_names *t = sh__names();

	if (t->owner != getpid())
		return;
	for (int i = 0; i < t->n; i++)
		shmring_sem_unlink(t->uri[i]);
	t->n = 0;
}

static inline void sh__atexit(void)
{
	sh_unlink_all();
}

/*
 * A fresh URI of a scheme ("posix", "sysv" or "file"), registered for
 * removal at teardown and exit: "posix:/<prefix>-<pid>-<tag>-<n>", a System
 * V key made of the pid and a counter, or a file in /tmp of that name.
 */
static inline const char *sh_name(const char *scheme, const char *tag)
{
	struct sh_names *t = sh__names();
	const char *prefix = getenv("SHMRING_TEST_PREFIX");
	char *slot;

	if (t->owner != getpid()) {
		t->owner = getpid();
		t->n = 0;
		atexit(sh__atexit);
	}
	if (t->n == SH_MAX_NAMES) {
		fprintf(stderr, "sh_name: out of names\n");
		abort();
	}
	slot = t->uri[t->n];
	if (strcmp(scheme, "sysv") == 0)
		snprintf(slot, TEST_NAME_LEN, "sysv:0x%08x",
		         0x10000000u | (((unsigned)getpid() & 0x3fffffu) << 6) |
		             ((unsigned)t->n & 63u));
	else if (strcmp(scheme, "file") == 0)
		snprintf(slot, TEST_NAME_LEN, "file:/tmp/%s-%d-%s-%d",
		         prefix && *prefix ? prefix : "shmt", (int)getpid(), tag, t->n);
	else
		snprintf(slot, TEST_NAME_LEN, "posix:/%s-%d-%s-%d",
		         prefix && *prefix ? prefix : "shmt", (int)getpid(), tag, t->n);
	t->n++;
	return slot;
}

/* The System V key of a "sysv:0x..." name. */
static inline key_t sh_sysv_key(const char *uri)
{
	return (key_t)strtoul(uri + 5, NULL, 0);
}

/* The /dev/shm path of a "posix:/name" name ("sem." prefix: the POSIX
 * semaphore's file). */
static inline const char *sh_shm_path(const char *uri, bool sem, char *buf, size_t size)
{
	snprintf(buf, size, "/dev/shm/%s%s", sem ? "sem." : "", uri + 7);
	return buf;
}

/* cmocka teardown. */
static inline int sh_teardown(void **state)
{
	(void)state;
	sh_unlink_all();
	return 0;
}

/* --- Time ------------------------------------------------------------------------ */

static inline uint64_t sh_deadline_ms(uint64_t ms)
{
	return shmring_deadline_in(ms * SH_MS * TEST_SLOWDOWN);
}

static inline double sh_ms_since(uint64_t t0)
{
	return (double)(test_now_ns() - t0) / 1e6;
}

/* --- Processes ------------------------------------------------------------------- */

/* Shared, zero-filled memory inherited by children (never unmapped). */
static inline void *sh_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "sh_shared: %s\n", strerror(errno));
		abort();
	}
	return p;
}

/*
 * Fork a child that runs fn(arg) and _exits with its result (0: success).
 * The child resets the signals cmocka catches, dies with its parent and
 * after limit_s seconds (scaled for sanitizers).
 */
static inline pid_t sh_fork(int (*fn)(void *), void *arg, unsigned limit_s)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE, SIGALRM};
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(99);
	alarm(limit_s * TEST_SLOWDOWN);
	_exit(fn(arg));
}

/* Wait for a child (killed after limit_s): its exit status, 128 + signal,
 * or -1. */
static inline int sh_join(pid_t pid, unsigned limit_s)
{
	return test_wait_pid(pid, limit_s * 1000u * TEST_SLOWDOWN);
}

/* Print from a child and return a failure code. */
#define SH_CFAIL(code, ...)                                                                        \
	(fprintf(stderr, "child %d: ", (int)getpid()), fprintf(stderr, __VA_ARGS__),               \
	 fprintf(stderr, "\n"), (code))

/* A handler that only counts (installed without SA_RESTART). */
static _Atomic unsigned sh_signals;

static inline void sh__count_signal(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&sh_signals, 1, memory_order_relaxed);
}

static inline void sh_count_signal(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sh__count_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: interrupted system calls fail with EINTR */
	sigaction(sig, &sa, NULL);
}

/*
 * Send sig to pid every period_us until *done is set or limit_ms passes.
 * Returns how many were sent.
 */
static inline unsigned sh_pester(pid_t pid, int sig, unsigned period_us, _Atomic int *done,
                                 unsigned limit_ms)
{
	uint64_t end = test_now_ns() + (uint64_t)limit_ms * SH_MS * TEST_SLOWDOWN;
	unsigned n = 0;

	while (!atomic_load(done) && test_now_ns() < end) {
		if (kill(pid, sig) == 0)
			n++;
		usleep(period_us);
	}
	return n;
}

/* --- Raw views --------------------------------------------------------------------- */

/* Map an object's shared-memory page ("posix:/" names) read-write, as any
 * peer with access can. */
static inline void *sh_map_raw(const char *uri, size_t *size)
{
	char path[TEST_NAME_LEN + 16];
	struct stat st;
	void *p;
	int fd = open(sh_shm_path(uri, false, path, sizeof(path)), O_RDWR);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "sh_map_raw %s: %s\n", path, strerror(errno));
		abort();
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		abort();
	*size = (size_t)st.st_size;
	return p;
}

/* The state block of a mapped object (after its 128-byte header). */
static inline void *sh_state(void *base)
{
	return (char *)base + 128;
}

/* A process's start time (clock ticks since boot) from /proc/PID/stat. */
static inline uint64_t sh_start_time(pid_t pid)
{
	char path[64], buf[1024];
	const char *p;
	unsigned long long st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (test_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &st) != 1)
		return 0;
	return st;
}

#endif /* SHMRING_TESTS_SYNC_HELPERS_H */
