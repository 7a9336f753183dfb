/* SPDX-License-Identifier: MIT */
/*
 * test_sync_mutex: robust mutexes (shmring/sync.h). Every participant is a
 * forked process (or a thread where ownership by threads is the point);
 * every wait has a deadline.
 *
 *   - basics: trylock/timedlock/unlock, -EDEADLK, -EPERM for a non-owner,
 *     consistent() without a dead owner, open/dup/kinds/options;
 *   - the holder SIGKILLed while holding (reaped, and still a zombie): the
 *     next locker gets -EOWNERDEAD within a check period or so, repairs,
 *     and the mutex works again between two processes; a locker that takes
 *     over and dies too leaves -EOWNERDEAD again;
 *   - without repair: unlock after -EOWNERDEAD makes the mutex
 *     -ENOTRECOVERABLE for every later locker, and wakes one asleep;
 *   - a SIGSTOPped holder is alive: a timed lock gives -ETIMEDOUT, trylock
 *     -EBUSY; after SIGCONT it unlocks and the mutex is free; so is a holder
 *     in another time namespace (whose /proc shows other start times);
 *   - a holder that runs another program (execve()) holding it is dead;
 *   - in a pid namespace that kept the host's /proc, a live holder is alive
 *     and one that exited is dead;
 *   - mutual exclusion: 4 processes increment a plain shared counter 10^5
 *     times each; 4 threads sharing one handle do too; a thread that exits
 *     holding the mutex is a dead owner for the others;
 *   - EINTR: a timed lock pestered by a signal (no SA_RESTART) times out at
 *     its deadline;
 *   - forged owner words written through a raw mapping: pid 1 with its true
 *     start time waits (-ETIMEDOUT), with another start time is taken over
 *     (-EOWNERDEAD); a live process named with its true start time is never
 *     sent a signal; garbage words (an impossible thread id, stray flag
 *     bits, NOTRECOVERABLE); an owner in "another pid namespace" is never
 *     judged dead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "src/syncobj.h"
#include "sync_helpers.h"

static shmring_mutex_t *make(const char *uri)
{
	shmring_mutex_t *m = NULL;
	int rc = shmring_mutex_create(uri, NULL, &m);

	if (rc < 0)
		fail_msg("create %s: %s", uri, shmring_strerror(rc));
	return m;
}

static shmring_mutex_t *open_m(const char *uri)
{
	shmring_mutex_t *m = NULL;

	return shmring_mutex_open(uri, NULL, &m) == 0 ? m : NULL;
}

/* A raw view of a mutex's state. */
struct raw {
	void *base;
	size_t size;
	struct shmring_sync_mutex *st;
};

static struct raw raw_map(const char *uri)
{
	struct raw r;

	r.base = sh_map_raw(uri, &r.size);
	r.st = sh_state(r.base);
	return r;
}

static void wait_flag(_Atomic int *flag, const char *what)
{
	uint64_t t0 = test_now_ns();

	while (!atomic_load(flag)) {
		if (sh_ms_since(t0) > 5000.0 * TEST_SLOWDOWN)
			fail_msg("%s: never happened", what);
		usleep(500);
	}
}

/* Wait until a locker has marked the word WAITERS (it is asleep soon). */
static void wait_waiters_bit(struct raw *r)
{
	uint64_t t0 = test_now_ns();

	while (!(atomic_load(&r->st->owner) & SHMRING_MUTEX_WAITERS)) {
		if (sh_ms_since(t0) > 5000.0 * TEST_SLOWDOWN)
			fail_msg("no locker ever waited");
		usleep(500);
	}
	usleep(20000);
}

/* --- Children ----------------------------------------------------------------------- */

struct shared {
	_Atomic int go;      /* the child may start */
	_Atomic int holding; /* the child holds the mutex */
	_Atomic int done;
	_Atomic unsigned signals;
	int rc;
	double ms;
};

struct child_arg {
	const char *uri;
	struct shared *sh;
	int op;      /* what the child does (enum below) */
	uint64_t ms; /* its deadline */
	unsigned n;  /* its rounds */
	volatile uint64_t *counter;
};

enum {
	OP_HOLD,       /* lock, say so, pause (to be killed) */
	OP_HOLD_STOP,  /* lock, say so, stop itself; unlock after SIGCONT */
	OP_LOCK,       /* one timed lock; its result in sh->rc; unlock if held */
	OP_LOCK_KEEP,  /* one timed lock; its result in sh->rc; keep and pause */
	OP_LOCK_NOFIX, /* lock; on -EOWNERDEAD unlock without repair */
	OP_TRY,        /* one trylock; its result in sh->rc */
	OP_UNLOCK,     /* one unlock (of a mutex it does not hold) */
	OP_LOOP,       /* n rounds of lock, ++counter, unlock */
	OP_EINTR,      /* a timed lock pestered by SIGUSR1 */
};

static int child(void *p)
{
	struct child_arg *a = p;
	shmring_mutex_t *m = open_m(a->uri);
	uint64_t t0;
	int rc;

	if (!m)
		return SH_CFAIL(1, "open failed");
	switch (a->op) {
	case OP_HOLD:
	case OP_HOLD_STOP:
		rc = shmring_mutex_timedlock(m, sh_deadline_ms(5000));
		a->sh->rc = rc;
		if (rc < 0 && rc != -EOWNERDEAD)
			return SH_CFAIL(2, "lock: %s", shmring_strerror(rc));
		atomic_store(&a->sh->holding, 1);
		if (a->op == OP_HOLD)
			for (;;)
				pause();
		raise(SIGSTOP);
		return shmring_mutex_unlock(m) == 0 ? 0 : SH_CFAIL(3, "unlock after SIGCONT");
	case OP_LOCK:
	case OP_LOCK_KEEP:
	case OP_LOCK_NOFIX:
	case OP_EINTR:
		if (a->op == OP_EINTR) {
			sh_count_signal(SIGUSR1);
			atomic_store(&a->sh->holding, 1); /* ready */
		}
		t0 = test_now_ns();
		rc = shmring_mutex_timedlock(m, shmring_deadline_in(a->ms * SH_MS * TEST_SLOWDOWN));
		a->sh->ms = sh_ms_since(t0);
		a->sh->rc = rc;
		a->sh->signals = atomic_load(&sh_signals);
		atomic_store(&a->sh->done, 1);
		if (rc == -EOWNERDEAD && a->op == OP_LOCK)
			rc = shmring_mutex_consistent(m);
		if (a->op == OP_LOCK_KEEP && (rc == 0 || rc == -EOWNERDEAD))
			for (;;)
				pause();
		if (rc == 0 || rc == -EOWNERDEAD)
			rc = shmring_mutex_unlock(m);
		else
			rc = 0;
		break;
	case OP_TRY:
		a->sh->rc = shmring_mutex_trylock(m);
		rc = 0;
		break;
	case OP_UNLOCK:
		a->sh->rc = shmring_mutex_unlock(m);
		rc = 0;
		break;
	case OP_LOOP:
		rc = 0;
		for (unsigned i = 0; i < a->n && rc == 0; i++) {
			rc = shmring_mutex_timedlock(m, sh_deadline_ms(10000));
			if (rc == 0) {
				uint64_t v = *a->counter;

				if ((i & 63) == 0)
					sched_yield(); /* invite a race inside */
				*a->counter = v + 1;
				rc = shmring_mutex_unlock(m);
			}
		}
		if (rc < 0)
			return SH_CFAIL(4, "loop: %s", shmring_strerror(rc));
		break;
	default:
		rc = -EINVAL;
	}
	shmring_mutex_close(m);
	return rc == 0 ? 0 : SH_CFAIL(5, "op %d: %s", a->op, shmring_strerror(rc));
}

static pid_t spawn(struct child_arg *a, int op)
{
	a->op = op;
	memset(a->sh, 0, sizeof(*a->sh));
	return sh_fork(child, a, 60);
}

/* Start a holder and wait until it holds. */
static pid_t holder(struct child_arg *a, int op)
{
	pid_t pid = spawn(a, op);

	wait_flag(&a->sh->holding, "the child holding the mutex");
	return pid;
}

/* Run a child op to its end; its sh->rc. */
static int run_op(struct child_arg *a, int op, uint64_t ms)
{
	pid_t pid;

	a->ms = ms;
	pid = spawn(a, op);
	assert_int_equal(sh_join(pid, 60), 0);
	return a->sh->rc;
}

static void kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	assert_int_equal(sh_join(pid, 10), 128 + SIGKILL);
}

/* --- Basics ---------------------------------------------------------------------------------- */

static void test_basics(void **state)
{
	const char *uri = sh_name("posix", "basic");
	struct child_arg a = {.uri = uri, .sh = sh_shared(4096)};
	shmring_mutex_t *m = make(uri), *d = NULL, *t = NULL;

	(void)state;
	assert_int_equal(shmring_mutex_trylock(m), 0);
	assert_int_equal(shmring_mutex_trylock(m), -EDEADLK);
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(100)), -EDEADLK);
	assert_int_equal(shmring_mutex_consistent(m), -EINVAL);
	/* Another process: busy, times out, may not unlock. */
	assert_int_equal(run_op(&a, OP_TRY, 0), -EBUSY);
	assert_int_equal(run_op(&a, OP_LOCK, 50), -ETIMEDOUT);
	assert_true(a.sh->ms >= 50);
	assert_int_equal(run_op(&a, OP_UNLOCK, 0), -EPERM);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), -EPERM);
	assert_int_equal(run_op(&a, OP_LOCK, 1000), 0);
	assert_int_equal(run_op(&a, OP_TRY, 0), 0); /* its exit left it held: a dead owner next */
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(2000)), -EOWNERDEAD);
	assert_int_equal(shmring_mutex_consistent(m), 0);
	assert_int_equal(shmring_mutex_consistent(m), -EINVAL);
	assert_int_equal(shmring_mutex_unlock(m), 0);

	/* dup, open, kinds, options. */
	assert_int_equal(shmring_mutex_dup(m, &d), 0);
	assert_int_equal(shmring_mutex_lock(d), 0);
	assert_int_equal(shmring_mutex_trylock(m), -EDEADLK); /* the same thread */
	assert_int_equal(shmring_mutex_unlock(m), 0);
	shmring_mutex_close(d);
	assert_int_equal(shmring_mutex_create(uri, NULL, &t), -EEXIST);
	assert_int_equal(shmring_mutex_create(sh_name("posix", "x"),
	                                      &(struct shmring_sync_opts){.value = 1}, &t),
	                 -EINVAL);
	assert_int_equal(shmring_mutex_create(
	                     sh_name("posix", "x"),
	                     &(struct shmring_sync_opts){.flags = SHMRING_SYNC_MANUAL_RESET}, &t),
	                 -EINVAL);
	assert_null(t);
	{
		shmring_event_t *e = NULL;
		shmring_cond_t *c = NULL;

		assert_int_equal(shmring_event_open(uri, NULL, &e), -SHMRING_EKIND);
		assert_int_equal(shmring_cond_open(uri, NULL, &c), -SHMRING_EKIND);
	}
	assert_int_equal(shmring_mutex_lock(NULL), -EINVAL);
	assert_int_equal(shmring_mutex_unlock(NULL), -EINVAL);
	shmring_mutex_close(m);
	assert_int_equal(shmring_mutex_unlink(uri), 0);
	munmap(a.sh, 4096);
}

/* --- Owner death ----------------------------------------------------------------------------- */

static void test_owner_killed(void **state)
{
	const char *uri = sh_name("posix", "killed");
	struct child_arg a = {.uri = uri, .sh = sh_shared(4096)};
	volatile uint64_t *counter = sh_shared(4096);
	shmring_mutex_t *m = make(uri);

	(void)state;
	for (int reap = 0; reap < 2; reap++) {
		pid_t pid = holder(&a, OP_HOLD);
		uint64_t t0;
		int rc, status;

		kill(pid, SIGKILL);
		if (reap)
			assert_int_equal(sh_join(pid, 10), 128 + SIGKILL);
		else
			usleep(20000); /* dead, not reaped: a zombie */
		t0 = test_now_ns();
		rc = shmring_mutex_timedlock(m, sh_deadline_ms(5000));
		print_message("holder killed (%s): %s after %.1f ms\n",
		              reap ? "reaped" : "a zombie", shmring_strerror(rc), sh_ms_since(t0));
		assert_int_equal(rc, -EOWNERDEAD);
		assert_true(sh_ms_since(t0) < 1000.0 * TEST_SLOWDOWN);
		assert_int_equal(shmring_mutex_consistent(m), 0);
		assert_int_equal(shmring_mutex_unlock(m), 0);
		if (!reap)
			assert_int_equal(waitpid(pid, &status, 0), pid);

		/* Works again, between two processes. */
		*counter = 0;
		a.counter = counter;
		a.n = 2000;
		pid = spawn(&a, OP_LOOP);
		for (unsigned i = 0; i < 2000; i++) {
			assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(10000)), 0);
			(*counter)++;
			assert_int_equal(shmring_mutex_unlock(m), 0);
		}
		assert_int_equal(sh_join(pid, 60), 0);
		assert_int_equal(*counter, 4000);
	}

	/* A locker that takes over and dies before repairing. */
	{
		pid_t p1 = holder(&a, OP_HOLD), p2;

		kill_reap(p1);
		a.ms = 5000;
		p2 = spawn(&a, OP_LOCK_KEEP);
		wait_flag(&a.sh->done, "the second locker");
		assert_int_equal(a.sh->rc, -EOWNERDEAD);
		kill_reap(p2);
		assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(5000)), -EOWNERDEAD);
		assert_int_equal(shmring_mutex_consistent(m), 0);
		assert_int_equal(shmring_mutex_unlock(m), 0);
		assert_int_equal(shmring_mutex_trylock(m), 0);
		assert_int_equal(shmring_mutex_unlock(m), 0);
	}
	shmring_mutex_close(m);
	munmap(a.sh, 4096);
	munmap((void *)counter, 4096);
}

static void test_not_recoverable(void **state)
{
	const char *uri = sh_name("posix", "norec");
	struct child_arg a = {.uri = uri, .sh = sh_shared(4096)};
	struct child_arg w = {.uri = uri, .sh = sh_shared(4096), .ms = 5000};
	shmring_mutex_t *m = make(uri);
	struct raw r = raw_map(uri);
	pid_t pid;

	(void)state;
	kill_reap(holder(&a, OP_HOLD));
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(5000)), -EOWNERDEAD);
	/* A locker asleep when the mutex becomes unrecoverable. */
	pid = spawn(&w, OP_LOCK);
	wait_waiters_bit(&r);
	assert_int_equal(shmring_mutex_unlock(m), 0); /* without consistent() */
	assert_int_equal(sh_join(pid, 30), 0);
	print_message("a sleeping locker: %s after %.1f ms\n", shmring_strerror(w.sh->rc),
	              w.sh->ms);
	assert_int_equal(w.sh->rc, -ENOTRECOVERABLE);
	assert_true(w.sh->ms < 1000.0 * TEST_SLOWDOWN);
	assert_int_equal(shmring_mutex_trylock(m), -ENOTRECOVERABLE);
	assert_int_equal(shmring_mutex_lock(m), -ENOTRECOVERABLE);
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(100)), -ENOTRECOVERABLE);
	assert_int_equal(shmring_mutex_unlock(m), -EPERM);
	assert_int_equal(shmring_mutex_consistent(m), -EINVAL);
	assert_int_equal(run_op(&a, OP_LOCK, 100), -ENOTRECOVERABLE);
	assert_int_equal(run_op(&a, OP_TRY, 0), -ENOTRECOVERABLE);

	/* The same through a child that does not repair. */
	{
		const char *u2 = sh_name("posix", "norec2");
		shmring_mutex_t *m2 = make(u2);
		struct child_arg b = {.uri = u2, .sh = a.sh};

		kill_reap(holder(&b, OP_HOLD));
		assert_int_equal(run_op(&b, OP_LOCK_NOFIX, 5000), -EOWNERDEAD);
		assert_int_equal(shmring_mutex_trylock(m2), -ENOTRECOVERABLE);
		shmring_mutex_close(m2);
	}
	munmap(r.base, r.size);
	shmring_mutex_close(m);
	munmap(a.sh, 4096);
	munmap(w.sh, 4096);
}

/* --- A stopped holder is alive ------------------------------------------------------------------
 */

static void test_stopped_holder(void **state)
{
	const char *uri = sh_name("posix", "stopped");
	struct child_arg a = {.uri = uri, .sh = sh_shared(4096)};
	shmring_mutex_t *m = make(uri);
	pid_t pid = holder(&a, OP_HOLD_STOP);
	uint64_t deadline, t0;
	int rc;

	int st;

	(void)state;
	/* Stopped for sure: a SIGCONT before its stop would leave it stopped. */
	assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
	assert_true(WIFSTOPPED(st));
	t0 = test_now_ns();
	deadline = shmring_deadline_in(300 * SH_MS);
	rc = shmring_mutex_timedlock(m, deadline);
	print_message("stopped holder: %s after %.1f ms\n", shmring_strerror(rc), sh_ms_since(t0));
	assert_int_equal(rc, -ETIMEDOUT);
	assert_true(shmring_clock_ns() >= deadline);
	assert_true(shmring_clock_ns() - deadline < 200 * SH_MS * TEST_SLOWDOWN);
	assert_int_equal(shmring_mutex_trylock(m), -EBUSY);
	assert_int_equal(shmring_mutex_trylock(m), -EBUSY); /* the cached verdict */
	kill(pid, SIGCONT);
	assert_int_equal(sh_join(pid, 30), 0);
	assert_int_equal(shmring_mutex_trylock(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	shmring_mutex_close(m);
	munmap(a.sh, 4096);
}

/* --- A holder in another time namespace is alive ----------------------------------------------
 */

/* In a time namespace of its own (test_in_ns()): hold the mutex until
 * told to let go. */
static int timens_holder(const char *uri, int sync)
{
	shmring_mutex_t *m;
	char go;

	if (shmring_mutex_open(uri, NULL, &m) < 0)
		return 5;
	if (shmring_mutex_lock(m) != 0)
		return 6;
	if (write(sync, "l", 1) != 1 || read(sync, &go, 1) != 1)
		return 7;
	if (shmring_mutex_unlock(m) != 0)
		return 3; /* taken from us as if we had died */
	shmring_mutex_close(m);
	return 0;
}

/*
 * The holder's thread start time, as its own /proc shows it, was recorded in
 * the owner word and compared with what the locker's /proc shows: another
 * start time, so a live holder was judged dead (-EOWNERDEAD). Needs
 * CAP_SYS_ADMIN for the namespace: skipped without it.
 */
static void test_timens_holder(void **state)
{
	const char *uri = sh_name("posix", "timens");
	shmring_mutex_t *m = make(uri);
	int sv[2], st = 0;
	char locked;
	pid_t outer;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	outer = test_in_ns(TEST_NS_TIME, timens_holder, uri, sv[1], sv[0]);
	assert_true(outer > 0);
	close(sv[1]);
	if (read(sv[0], &locked, 1) != 1) {
		assert_int_equal(waitpid(outer, &st, 0), outer);
		close(sv[0]);
		shmring_mutex_close(m);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
			skip(); /* no time namespace here */
		fail_msg("holder exited with %d", WEXITSTATUS(st));
	}
	/* Past several check periods: the holder is judged more than once. */
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(100)), -ETIMEDOUT);
	assert_int_equal(shmring_mutex_trylock(m), -EBUSY);
	assert_int_equal(write(sv[0], "g", 1), 1);
	assert_int_equal(waitpid(outer, &st, 0), outer);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(shmring_mutex_trylock(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	shmring_mutex_close(m);
	close(sv[0]);
}

/* --- Lockers in a pid namespace that kept its ancestor's /proc --------------------------------
 */

/*
 * pid 2 of a pid namespace whose /proc is the host's (test_in_ns()): create
 * the mutex there (so that every opener shares the namespace) and hold it;
 * a locker (pid 3) must find the holder alive, then a holder that exited
 * dead.
 */
static int pidns_pair(const char *uri, int sync)
{
	shmring_mutex_t *m;
	pid_t pid;
	int st, rc;

	(void)sync;
	if (shmring_mutex_create(uri, NULL, &m) < 0)
		return 5;
	if (shmring_mutex_lock(m) != 0)
		return 6;
	pid = fork();
	if (pid == 0) {
		shmring_mutex_t *l;

		if (shmring_mutex_open(uri, NULL, &l) < 0)
			_exit(10);
		rc = shmring_mutex_timedlock(l, sh_deadline_ms(100));
		if (rc != -ETIMEDOUT)
			_exit(rc == -EOWNERDEAD ? 11 : 12); /* 11: a live holder judged dead */
		_exit(shmring_mutex_trylock(l) == -EBUSY ? 0 : 13);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 8;
	if (WEXITSTATUS(st) != 0)
		return WEXITSTATUS(st);
	if (shmring_mutex_unlock(m) != 0)
		return 3; /* taken from us as if we had died */
	/* A holder that exits holding it is dead (the pidfd says so). */
	pid = fork();
	if (pid == 0) {
		shmring_mutex_t *h;

		if (shmring_mutex_open(uri, NULL, &h) < 0 || shmring_mutex_lock(h) != 0)
			_exit(14);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 15;
	if (shmring_mutex_timedlock(m, sh_deadline_ms(5000)) != -EOWNERDEAD)
		return 16;
	if (shmring_mutex_consistent(m) != 0 || shmring_mutex_unlock(m) != 0)
		return 17;
	shmring_mutex_close(m);
	return 0;
}

/*
 * The owner word took its start time from /proc/TID/stat, and judging read
 * /proc/TID/stat and /proc/TID/maps: in a pid namespace that kept the
 * host's /proc, TID there names another process (pid 2: kthreadd), whose
 * maps lack the mutex, so a live holder was judged dead after 10 ms
 * (-EOWNERDEAD, and its unlock -EPERM). Needs CAP_SYS_ADMIN: skipped
 * without it.
 */
static void test_pidns_keeps_proc(void **state)
{
	const char *uri = sh_name("posix", "pidns");
	pid_t outer;
	int st = 0;

	(void)state;
	outer = test_in_ns(TEST_NS_PID, pidns_pair, uri, -1, -1);
	assert_true(outer > 0);
	assert_int_equal(waitpid(outer, &st, 0), outer);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == TEST_SKIP)
		skip(); /* no pid namespace here */
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* --- A holder that runs another program --------------------------------------------------------
 */

/*
 * A holder that calls execve() holding the mutex: the new program keeps the
 * thread's id and start time, so it was judged alive for as long as it ran
 * (-ETIMEDOUT for ever after); it no longer maps the mutex, which is what a
 * robust mutex takes for the owner's death.
 */
static void test_exec_holder(void **state)
{
	const char *uri = sh_name("posix", "exec");
	shmring_mutex_t *m = make(uri);
	int pfd[2], st = 0;
	char ch;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		shmring_mutex_t *h;

		close(pfd[0]);
		if (shmring_mutex_open(uri, NULL, &h) < 0 || shmring_mutex_lock(h) != 0)
			_exit(5);
		if (write(pfd[1], "l", 1) != 1)
			_exit(6);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(7);
	}
	assert_true(pid > 0);
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &ch, 1), 1); /* locked */
	assert_int_equal(read(pfd[0], &ch, 1), 0); /* the pipe closed at exec */
	close(pfd[0]);
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(2000)), -EOWNERDEAD);
	assert_int_equal(shmring_mutex_consistent(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	shmring_mutex_close(m);
}

/* --- Mutual exclusion
 * -------------------------------------------------------------------------------- */

static void test_exclusion_procs(void **state)
{
	const char *uri = sh_name("posix", "excl");
	volatile uint64_t *counter = sh_shared(4096);
	struct child_arg a = {
	    .uri = uri, .sh = sh_shared(4096), .counter = counter, .n = 100000u / TEST_MSG_DIVISOR};
	shmring_mutex_t *m = make(uri);
	uint64_t t0 = test_now_ns();
	pid_t pids[4];

	(void)state;
	a.op = OP_LOOP;
	for (int i = 0; i < 4; i++)
		pids[i] = sh_fork(child, &a, 120);
	for (int i = 0; i < 4; i++)
		assert_int_equal(sh_join(pids[i], 120), 0);
	print_message("4 processes x %u increments in %.0f ms\n", a.n, sh_ms_since(t0));
	assert_int_equal(*counter, 4 * (uint64_t)a.n);
	assert_int_equal(shmring_mutex_trylock(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	shmring_mutex_close(m);
	munmap(a.sh, 4096);
	munmap((void *)counter, 4096);
}

struct thr_arg {
	shmring_mutex_t *m; /* one handle for every thread */
	volatile uint64_t *counter;
	unsigned n;
	int rc;
	bool exit_holding;
};

static void *thr_main(void *p)
{
	struct thr_arg *a = p;

	for (unsigned i = 0; i < a->n && a->rc == 0; i++) {
		a->rc = shmring_mutex_timedlock(a->m, sh_deadline_ms(10000));
		if (a->rc == 0) {
			uint64_t v = *a->counter;

			if ((i & 63) == 0)
				sched_yield();
			*a->counter = v + 1;
			if (a->exit_holding && i + 1 == a->n)
				return NULL; /* the thread ends holding it */
			a->rc = shmring_mutex_unlock(a->m);
		}
	}
	return NULL;
}

static void test_exclusion_threads(void **state)
{
	shmring_mutex_t *m = make("anon:");
	volatile uint64_t *counter = sh_shared(4096);
	struct thr_arg args[4];
	pthread_t th[4];
	unsigned n = 50000u / TEST_MSG_DIVISOR;

	(void)state;
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thr_arg){.m = m, .counter = counter, .n = n};
		assert_int_equal(pthread_create(&th[i], NULL, thr_main, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].rc, 0);
	}
	assert_int_equal(*counter, 4 * (uint64_t)n);

	/* A thread that ends holding the mutex is a dead owner. */
	args[0] = (struct thr_arg){.m = m, .counter = counter, .n = 1, .exit_holding = true};
	assert_int_equal(pthread_create(&th[0], NULL, thr_main, &args[0]), 0);
	assert_int_equal(pthread_join(th[0], NULL), 0);
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(5000)), -EOWNERDEAD);
	assert_int_equal(shmring_mutex_consistent(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	shmring_mutex_close(m);
	munmap((void *)counter, 4096);
}

/* --- EINTR --------------------------------------------------------------------------------------
 */

static void test_eintr(void **state)
{
	const char *uri = sh_name("posix", "eintr");
	struct child_arg a = {.uri = uri, .sh = sh_shared(4096), .ms = 300};
	shmring_mutex_t *m = make(uri);
	unsigned sent;
	pid_t pid;

	(void)state;
	assert_int_equal(shmring_mutex_lock(m), 0);
	pid = spawn(&a, OP_EINTR);
	wait_flag(&a.sh->holding, "the child ready");
	sent = sh_pester(pid, SIGUSR1, 1000, &a.sh->done, 5000);
	assert_int_equal(sh_join(pid, 30), 0);
	print_message("%u signals sent, %u handled; %s after %.1f ms\n", sent, a.sh->signals,
	              shmring_strerror(a.sh->rc), a.sh->ms);
	assert_int_equal(a.sh->rc, -ETIMEDOUT);
	assert_true(a.sh->ms >= 300.0 * TEST_SLOWDOWN);
	assert_true(a.sh->ms < (300.0 + 200.0) * TEST_SLOWDOWN);
	assert_true(a.sh->signals >= 10);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	shmring_mutex_close(m);
	munmap(a.sh, 4096);
}

/* --- Forged owner words
 * --------------------------------------------------------------------------- */

static uint64_t owner_word(pid_t tid, uint64_t start)
{
	return ((uint64_t)(uint32_t)tid << 32) | ((start & SHMRING_MUTEX_START_MASK) << 3);
}

/* A live process that counts every signal it gets. */
static int victim(void *p)
{
	struct shared *sh = p;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGALRM)
			sh_count_signal(sig);
	atomic_store(&sh->holding, 1);
	while (!atomic_load(&sh->done)) {
		sh->signals = atomic_load(&sh_signals);
		usleep(1000);
	}
	sh->signals = atomic_load(&sh_signals);
	return 0;
}

static void test_forged_owner(void **state)
{
	const char *uri = sh_name("posix", "forged");
	shmring_mutex_t *m = make(uri);
	struct raw r = raw_map(uri);
	uint64_t start1 = sh_start_time(1), t0;
	struct shared *vs = sh_shared(4096);
	pid_t v;
	int rc;

	(void)state;
	if (start1 == 0)
		print_message("/proc/1/stat unreadable: start time 0\n");
	/* pid 1 with its true start time: alive, waited for. */
	atomic_store(&r.st->owner, owner_word(1, start1));
	t0 = test_now_ns();
	assert_int_equal(shmring_mutex_timedlock(m, shmring_deadline_in(100 * SH_MS)), -ETIMEDOUT);
	assert_true(sh_ms_since(t0) >= 100);
	assert_int_equal(shmring_mutex_trylock(m), -EBUSY);
	assert_int_equal(shmring_mutex_unlock(m), -EPERM);
	assert_int_equal(SHMRING_MUTEX_IDENT(atomic_load(&r.st->owner)), owner_word(1, start1));

	/* pid 1 with another start time (a second later: start times a tick
	 * apart are one, shmring__same_start()): a dead owner. */
	atomic_store(&r.st->owner, owner_word(1, start1 + 100) | SHMRING_MUTEX_WAITERS);
	t0 = test_now_ns();
	rc = shmring_mutex_timedlock(m, sh_deadline_ms(5000));
	print_message("pid 1 with a wrong start time: %s after %.1f ms\n", shmring_strerror(rc),
	              sh_ms_since(t0));
	assert_int_equal(rc, -EOWNERDEAD);
	assert_int_equal(shmring_mutex_consistent(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	assert_int_equal(atomic_load(&r.st->owner), 0);

	/* A live process of ours named with its true start time: waited for,
	 * never signalled. */
	v = sh_fork(victim, vs, 30);
	wait_flag(&vs->holding, "the victim ready");
	atomic_store(&r.st->owner, owner_word(v, sh_start_time(v)) | SHMRING_MUTEX_WAITERS);
	assert_int_equal(shmring_mutex_timedlock(m, shmring_deadline_in(100 * SH_MS)), -ETIMEDOUT);
	assert_int_equal(shmring_mutex_trylock(m), -EBUSY);
	atomic_store(&vs->done, 1);
	assert_int_equal(sh_join(v, 30), 0);
	assert_int_equal(vs->signals, 0);
	/* The same word now names a dead process. */
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(5000)), -EOWNERDEAD);
	assert_int_equal(shmring_mutex_consistent(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);

	/* Garbage. */
	atomic_store(&r.st->owner, UINT64_C(0x7fffffff00000000) | UINT64_C(0x12345678));
	assert_int_equal(shmring_mutex_trylock(m), -EOWNERDEAD); /* no such thread id */
	assert_int_equal(shmring_mutex_consistent(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	atomic_store(&r.st->owner, UINT64_C(0xdeadbeefcafef009));
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(5000)), -EOWNERDEAD);
	assert_int_equal(shmring_mutex_consistent(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	atomic_store(&r.st->owner, UINT64_C(0x00000000fffffff3)); /* no owner, stray bits */
	assert_int_equal(shmring_mutex_trylock(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	assert_int_equal(atomic_load(&r.st->owner), 0);
	atomic_store(&r.st->owner, owner_word(1, start1) | SHMRING_MUTEX_NOTRECOVERABLE);
	assert_int_equal(shmring_mutex_trylock(m), -ENOTRECOVERABLE);
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(100)), -ENOTRECOVERABLE);
	atomic_store(&r.st->owner, 0);

	/* An owner of "another pid namespace" (as the object says) is alive. */
	{
		struct child_arg a = {.uri = uri, .sh = vs};
		uint64_t ns = atomic_load(&r.st->pidns);

		assert_true(ns != 0);
		kill_reap(holder(&a, OP_HOLD));
		atomic_store(&r.st->pidns, ns + 1);
		assert_int_equal(shmring_mutex_timedlock(m, shmring_deadline_in(50 * SH_MS)),
		                 -ETIMEDOUT);
		atomic_store(&r.st->pidns, SHMRING_MUTEX_NS_MANY);
		assert_int_equal(shmring_mutex_trylock(m), -EBUSY);
		atomic_store(&r.st->pidns, ns);
		assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(5000)), -EOWNERDEAD);
		assert_int_equal(shmring_mutex_consistent(m), 0);
		assert_int_equal(shmring_mutex_unlock(m), 0);
	}
	munmap(r.base, r.size);
	shmring_mutex_close(m);
	munmap(vs, 4096);
}

/* A holder that closes its only handle of the mutex and lives on. */
struct closer_arg {
	const char *uri;
	struct shared *sh;
};

static int close_holding(void *p)
{
	struct closer_arg *a = p;
	shmring_mutex_t *m;

	/* Forked before the mutex was made: no mapping of it inherited. */
	while (!atomic_load(&a->sh->go))
		usleep(1000);
	m = open_m(a->uri);
	a->sh->rc = shmring_mutex_lock(m);
	shmring_mutex_close(m);
	atomic_store(&a->sh->holding, 1);
	while (!atomic_load(&a->sh->done))
		usleep(1000);
	return 0;
}

/* Closing the last handle while holding abandons the hold (sync.h): the
 * next locker takes the mutex over from the live process. */
static void test_close_holding(void **state)
{
	const char *uri = sh_name("posix", "closeheld");
	struct shared *sh = sh_shared(4096);
	struct closer_arg a = {.uri = uri, .sh = sh};
	pid_t pid = sh_fork(close_holding, &a, 30);
	shmring_mutex_t *m = make(uri);

	(void)state;
	atomic_store(&sh->go, 1);
	wait_flag(&sh->holding, "the holder closed");
	assert_int_equal(sh->rc, 0);
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(5000)), -EOWNERDEAD);
	assert_int_equal(kill(pid, 0), 0); /* alive all along */
	assert_int_equal(shmring_mutex_consistent(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	atomic_store(&sh->done, 1);
	assert_int_equal(sh_join(pid, 30), 0);
	shmring_mutex_close(m);
	munmap(sh, 4096);
}

/* A peer that rewrites the owner word without end, with owners that do
 * not exist (each a dead owner, each gone by the take-over's CAS). */
struct churn {
	_Atomic uint64_t *owner;
	_Atomic int *stop;
};

static int churner(void *p)
{
	struct churn *c = p;
	cpu_set_t one;
	uint64_t k = 0;

	CPU_ZERO(&one);
	CPU_SET(1, &one);
	(void)sched_setaffinity(0, sizeof(one), &one);
	while (!atomic_load(c->stop))
		for (int i = 0; i < 1000; i++, k++)
			atomic_store(c->owner, owner_word(1, 0) ^ ((k & 0xffffff) << 3));
	return 0;
}

/* A mutex taken (free, 0: the churn was off its CPU since our last
 * unlock) or taken over from the churn's dead owner, given back unless the
 * churn has already written another owner over ours (-EPERM). */
static void give_back(shmring_mutex_t *m, int rc)
{
	if (rc != 0 && rc != -EOWNERDEAD)
		return;
	if (rc == -EOWNERDEAD) {
		rc = shmring_mutex_consistent(m);
		assert_true(rc == 0 || rc == -EPERM);
	}
	rc = shmring_mutex_unlock(m);
	assert_true(rc == 0 || rc == -EPERM);
}

/* This thread's CPU time: what a call spent working, not waiting for a CPU
 * that the other test binaries (and the churn) share with it. */
static uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Under that peer, trylock returns at once and timedlock by its deadline
 * (or either takes the mutex over, -EOWNERDEAD, or finds it free after our
 * own unlock), never held by the churn. */
static void test_forged_owner_churn(void **state)
{
	const char *uri = sh_name("posix", "churn");
	shmring_mutex_t *m = make(uri);
	struct raw r = raw_map(uri);
	struct shared *vs = sh_shared(4096);
	struct churn c = {.owner = &r.st->owner, .stop = &vs->done};
	/* trylock's bound is on its CPU time (it never sleeps); timedlock's on
	 * the wall clock past its deadline, which a preemption adds to. */
	const double bound_ms = 20.0 * TEST_SLOWDOWN, late_ms = 200.0 * TEST_SLOWDOWN;
	double worst_try = 0, worst_timed = 0;
	cpu_set_t one, all;
	pid_t pid;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	(void)sched_setaffinity(0, sizeof(one), &one);
	pid = sh_fork(churner, &c, 30);
	usleep(20000);
	for (int i = 0; i < 20; i++) {
		uint64_t t0 = cpu_now_ns();
		int rc = shmring_mutex_trylock(m);
		double ms = (double)(cpu_now_ns() - t0) / 1e6;

		if (rc != 0 && rc != -EBUSY && rc != -EOWNERDEAD)
			fail_msg("trylock under churn: %s", shmring_strerror(rc));
		worst_try = ms > worst_try ? ms : worst_try;
		give_back(m, rc);
	}
	for (int i = 0; i < 5; i++) {
		uint64_t deadline = shmring_deadline_in(20 * SH_MS), t;
		int rc = shmring_mutex_timedlock(m, deadline);

		t = shmring_clock_ns();
		if (rc != 0 && rc != -ETIMEDOUT && rc != -EOWNERDEAD)
			fail_msg("timedlock under churn: %s", shmring_strerror(rc));
		give_back(m, rc);
		if (t > deadline && (double)(t - deadline) / 1e6 > worst_timed)
			worst_timed = (double)(t - deadline) / 1e6;
	}
	atomic_store(&vs->done, 1);
	assert_int_equal(sh_join(pid, 30), 0);
	(void)sched_setaffinity(0, sizeof(all), &all);
	print_message("under churn: trylock took at most %.2f ms of CPU, timedlock at most %.2f ms "
		      "past its deadline\n", worst_try, worst_timed);
	assert_true(worst_try < bound_ms);
	assert_true(worst_timed < late_ms);
	atomic_store(&r.st->owner, 0);
	munmap(r.base, r.size);
	shmring_mutex_close(m);
	munmap(vs, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_basics, sh_teardown),
	    cmocka_unit_test_teardown(test_owner_killed, sh_teardown),
	    cmocka_unit_test_teardown(test_not_recoverable, sh_teardown),
	    cmocka_unit_test_teardown(test_stopped_holder, sh_teardown),
	    cmocka_unit_test_teardown(test_timens_holder, sh_teardown),
	    cmocka_unit_test_teardown(test_exec_holder, sh_teardown),
	    cmocka_unit_test_teardown(test_pidns_keeps_proc, sh_teardown),
	    cmocka_unit_test_teardown(test_exclusion_procs, sh_teardown),
	    cmocka_unit_test_teardown(test_exclusion_threads, sh_teardown),
	    cmocka_unit_test_teardown(test_eintr, sh_teardown),
	    cmocka_unit_test_teardown(test_forged_owner, sh_teardown),
	    cmocka_unit_test_teardown(test_forged_owner_churn, sh_teardown),
	    cmocka_unit_test_teardown(test_close_holding, sh_teardown),
	};

	alarm(600 * TEST_SLOWDOWN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
