/* SPDX-License-Identifier: MIT */
/*
 * test_sync_event: events and condition variables (shmring/sync.h). Every
 * participant is a forked process; every wait has a deadline.
 *
 *   - events: manual reset stays set and wakes every waiter (also a set
 *     that is reset at once); auto reset lets exactly one waiter through
 *     per set; trywait, reset, created set, open, dup, kinds, options;
 *   - a set whose wake never comes (a setter killed between the two) lets
 *     a sleeping waiter through within a second, manual and auto reset;
 *   - no lost wake-ups: ping-pong through two auto-reset events between two
 *     processes, every wait with a deadline (argv[1] cycles; 10^5 default);
 *   - timeouts and EINTR (a handler without SA_RESTART) for event waits and
 *     condition waits;
 *   - condition variables with the robust mutex: a producer/consumer queue
 *     across 4 processes (sums checked), broadcast waking every waiter, a
 *     timed-out wait that holds the mutex again, a wait without the mutex
 *     (-EPERM), and a relock that cannot happen because the holder is
 *     stopped (-ENOLCK, not a hang); a signal whose wake never comes (its
 *     signaller or its woken waiter killed) reaches a sleeping waiter
 *     within a second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "src/syncobj.h"
#include "sync_helpers.h"

static unsigned pingpong_cycles = 100000;

static shmring_event_t *make_event(const char *uri, bool manual, bool set)
{
	struct shmring_sync_opts o = {.flags = manual ? SHMRING_SYNC_MANUAL_RESET : 0,
	                              .value = set};
	shmring_event_t *e = NULL;
	int rc = shmring_event_create(uri, &o, &e);

	if (rc < 0)
		fail_msg("create %s: %s", uri, shmring_strerror(rc));
	assert_int_equal(shmring_event_is_manual(e), manual);
	return e;
}

static void wait_until(_Atomic uint32_t *word, uint32_t n, const char *what)
{
	uint64_t t0 = test_now_ns();

	while (atomic_load(word) != n) {
		if (sh_ms_since(t0) > 5000.0 * TEST_SLOWDOWN)
			fail_msg("%s: %u, expected %u", what, atomic_load(word), n);
		usleep(500);
	}
}

/* --- Basics --------------------------------------------------------------------- */

static void test_event_basics(void **state)
{
	const char *mu = sh_name("posix", "manual"), *au = sh_name("posix", "auto");
	shmring_event_t *m = make_event(mu, true, false), *a = make_event(au, false, false);
	shmring_event_t *t = NULL, *d = NULL;
	struct shmring_sync_opts bad = {.impl = 1};

	(void)state;
	assert_int_equal(shmring_event_trywait(m), -EAGAIN);
	assert_int_equal(shmring_event_set(m), 0);
	assert_int_equal(shmring_event_trywait(m), 0);
	assert_int_equal(shmring_event_trywait(m), 0); /* stays set */
	assert_int_equal(shmring_event_wait(m, 0), 0);
	assert_int_equal(shmring_event_set(m), 0);
	assert_int_equal(shmring_event_reset(m), 0);
	assert_int_equal(shmring_event_trywait(m), -EAGAIN);
	assert_int_equal(shmring_event_wait(m, shmring_deadline_in(5 * SH_MS)), -ETIMEDOUT);

	assert_int_equal(shmring_event_trywait(a), -EAGAIN);
	assert_int_equal(shmring_event_set(a), 0);
	assert_int_equal(shmring_event_set(a), 0); /* a set event stays as it is */
	assert_int_equal(shmring_event_trywait(a), 0);
	assert_int_equal(shmring_event_trywait(a), -EAGAIN); /* consumed */
	assert_int_equal(shmring_event_set(a), 0);
	assert_int_equal(shmring_event_wait(a, sh_deadline_ms(100)), 0);
	assert_int_equal(shmring_event_wait(a, 0), -ETIMEDOUT);

	/* Open, dup: the kind comes from the object. */
	assert_int_equal(shmring_event_open(mu, NULL, &t), 0);
	assert_true(shmring_event_is_manual(t));
	assert_int_equal(shmring_event_dup(t, &d), 0);
	assert_int_equal(shmring_event_set(d), 0);
	assert_int_equal(shmring_event_trywait(m), 0);
	shmring_event_close(d);
	shmring_event_close(t);
	assert_int_equal(shmring_event_open(au, NULL, &t), 0);
	assert_false(shmring_event_is_manual(t));
	shmring_event_close(t);

	/* Created set; exclusive; replace. */
	assert_int_equal(shmring_event_create(au, NULL, &t), -EEXIST);
	assert_null(t);
	t = make_event(sh_name("posix", "set"), false, true);
	assert_int_equal(shmring_event_trywait(t), 0);
	assert_int_equal(shmring_event_trywait(t), -EAGAIN);
	shmring_event_close(t);
	assert_int_equal(shmring_event_create(
	                     au, &(struct shmring_sync_opts){.flags = SHMRING_SYNC_REPLACE}, &t),
	                 0);
	shmring_event_close(t);

	/* Replace also takes the name from a POSIX or System V semaphore, for
	 * each object that lives in a segment (it found the name taken). */
	for (int k = 0; k < 2; k++) {
		const struct shmring_sync_opts ro = {.flags = SHMRING_SYNC_REPLACE};
		const struct shmring_sync_opts so = {.impl = k ? SHMRING_SEM_SYSV
							       : SHMRING_SEM_POSIX};

		for (int what = 0; what < 3; what++) {
			const char *u = sh_name(k ? "sysv" : "posix", "oversem");
			shmring_sem_t *s = NULL, *s2 = NULL;
			shmring_mutex_t *mx = NULL;
			shmring_cond_t *cv = NULL;
			int rc;

			assert_int_equal(shmring_sem_create(u, &so, &s), 0);
			shmring_sem_close(s);
			rc = what == 0	 ? shmring_event_create(u, NULL, &t)
			     : what == 1 ? shmring_mutex_create(u, NULL, &mx)
					 : shmring_cond_create(u, NULL, &cv);
			assert_int_equal(rc, -EEXIST);
			rc = what == 0	 ? shmring_event_create(u, &ro, &t)
			     : what == 1 ? shmring_mutex_create(u, &ro, &mx)
					 : shmring_cond_create(u, &ro, &cv);
			if (rc != 0)
				fail_msg("%s over a %s semaphore with replace: %s",
					 what == 0 ? "event" : what == 1 ? "mutex" : "cond",
					 k ? "System V" : "POSIX", shmring_strerror(rc));
			/* The semaphore has gone: the name opens what replaced it. */
			assert_int_equal(shmring_sem_open(u, NULL, &s2), -SHMRING_EKIND);
			if (what == 0)
				shmring_event_close(t);
			else if (what == 1)
				shmring_mutex_close(mx);
			else
				shmring_cond_close(cv);
		}
	}

	/* Replace takes a creator's object that died before its magic (header
	 * and state written, the rest zero), and leaves an object whose first
	 * bytes are zero but that holds data past them: another program's. */
	{
		const struct shmring_sync_opts ro = {.flags = SHMRING_SYNC_REPLACE};
		const char *fu = sh_name("posix", "zerohead");
		unsigned char *p;
		size_t size;

		assert_int_equal(shmring_event_create(fu, NULL, &t), 0);
		shmring_event_close(t);
		p = sh_map_raw(fu, &size);
		memset(p, 0, 8); /* the magic: never stored */
		munmap(p, size);
		assert_int_equal(shmring_event_create(fu, &ro, &t), 0);
		shmring_event_close(t);
		p = sh_map_raw(fu, &size);
		memset(p, 0, 8);
		p[size - 1] = 0x5a; /* another program's byte */
		munmap(p, size);
		assert_int_equal(shmring_event_create(fu, &ro, &t), -SHMRING_EBADMAGIC);
		assert_null(t);
		p = sh_map_raw(fu, &size);
		assert_int_equal(p[size - 1], 0x5a);
		munmap(p, size);
	}

	/* Options and kinds. */
	assert_int_equal(shmring_event_create(sh_name("posix", "x"), &bad, &t), -EINVAL);
	bad = (struct shmring_sync_opts){.value = 2};
	assert_int_equal(shmring_event_create(sh_name("posix", "x"), &bad, &t), -EINVAL);
	bad = (struct shmring_sync_opts){.flags = SHMRING_SYNC_UNDO};
	assert_int_equal(shmring_event_create(sh_name("posix", "x"), &bad, &t), -EINVAL);
	{
		shmring_sem_t *s = NULL;
		shmring_cond_t *c = NULL;

		assert_int_equal(shmring_sem_create(sh_name("posix", "sem"), NULL, &s), 0);
		assert_int_equal(shmring_event_open(sh__names()->uri[sh__names()->n - 1], NULL, &t),
		                 -SHMRING_EKIND);
		assert_int_equal(shmring_cond_open(au, NULL, &c), -SHMRING_EKIND);
		assert_null(c);
		shmring_sem_close(s);
	}
	assert_null(t);
	assert_int_equal(shmring_event_set(NULL), -EINVAL);
	assert_false(shmring_event_is_manual(NULL));
	shmring_event_close(m);
	shmring_event_close(a);
	assert_int_equal(shmring_event_unlink(mu), 0);
	assert_int_equal(shmring_event_unlink(mu), -ENOENT);
}

/* Events of the other schemes, and a fork child with an inherited handle. */
static int anon_child(void *p)
{
	shmring_event_t *e = p;

	return shmring_event_set(e) == 0 ? 0 : 1;
}

static void test_event_anon(void **state)
{
	const char *uris[] = {"anon:", "memfd:", sh_name("sysv", "ev"), sh_name("file", "ev")};

	(void)state;
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		shmring_event_t *e = make_event(uris[i], false, false);
		pid_t pid = sh_fork(anon_child, e, 30);

		assert_int_equal(shmring_event_wait(e, sh_deadline_ms(5000)), 0);
		assert_int_equal(sh_join(pid, 30), 0);
		shmring_event_close(e);
	}
}

/* --- Waking waiters ------------------------------------------------------------------- */

struct waiters_shared {
	_Atomic uint32_t woken;
	_Atomic uint32_t failed;
	uint64_t t_set;
	_Atomic uint64_t t_last; /* latest return */
};

struct waiter_arg {
	const char *uri;
	uint64_t ms;
	struct waiters_shared *sh;
};

static int event_waiter(void *p)
{
	struct waiter_arg *a = p;
	shmring_event_t *e = NULL;
	int rc = shmring_event_open(a->uri, NULL, &e);

	if (rc == 0)
		rc = shmring_event_wait(e, sh_deadline_ms(a->ms));
	if (rc == 0) {
		atomic_fetch_add(&a->sh->woken, 1);
		atomic_store(&a->sh->t_last, test_now_ns());
	} else if (rc != -ETIMEDOUT) {
		atomic_fetch_add(&a->sh->failed, 1);
	}
	shmring_event_close(e);
	return rc == 0 || rc == -ETIMEDOUT ? 0 : SH_CFAIL(1, "wait: %s", shmring_strerror(rc));
}

static void test_manual_wakes_all(void **state)
{
	const char *uri = sh_name("posix", "all");
	struct waiters_shared *sh = sh_shared(4096);
	struct waiter_arg a = {.uri = uri, .ms = 5000, .sh = sh};
	shmring_event_t *e = make_event(uri, true, false);
	size_t size;
	void *base = sh_map_raw(uri, &size);
	struct shmring_sync_event *st = sh_state(base);
	pid_t pids[4];

	(void)state;
	for (int round = 0; round < 2; round++) {
		uint64_t t0;

		memset(sh, 0, sizeof(*sh));
		for (int i = 0; i < 4; i++)
			pids[i] = sh_fork(event_waiter, &a, 30);
		wait_until(&st->waiters, 4, "waiters");
		usleep(20000);
		t0 = test_now_ns();
		assert_int_equal(shmring_event_set(e), 0);
		if (round == 1)
			/* A pulse: every sleeper goes through all the same. */
			assert_int_equal(shmring_event_reset(e), 0);
		for (int i = 0; i < 4; i++)
			assert_int_equal(sh_join(pids[i], 30), 0);
		print_message("round %d: %u of 4 waiters through, the last %.2f ms after the set\n",
		              round, atomic_load(&sh->woken),
		              (double)(atomic_load(&sh->t_last) - t0) / 1e6);
		assert_int_equal(atomic_load(&sh->woken), 4);
		assert_true(atomic_load(&sh->t_last) - t0 < 1000 * SH_MS * TEST_SLOWDOWN);
		assert_int_equal(shmring_event_trywait(e), round == 0 ? 0 : -EAGAIN);
		assert_int_equal(shmring_event_reset(e), 0);
	}
	munmap(base, size);
	shmring_event_close(e);
	munmap(sh, 4096);
}

static void test_auto_wakes_one(void **state)
{
	const char *uri = sh_name("posix", "one");
	struct waiters_shared *sh = sh_shared(4096);
	struct waiter_arg a = {.uri = uri, .ms = 10000, .sh = sh};
	shmring_event_t *e = make_event(uri, false, false);
	size_t size;
	void *base = sh_map_raw(uri, &size);
	struct shmring_sync_event *st = sh_state(base);
	pid_t pids[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		pids[i] = sh_fork(event_waiter, &a, 60);
	wait_until(&st->waiters, 4, "waiters");
	usleep(20000);
	for (uint32_t k = 1; k <= 4; k++) {
		assert_int_equal(shmring_event_set(e), 0);
		wait_until(&sh->woken, k, "woken");
		usleep(50000); /* nobody else goes through */
		assert_int_equal(atomic_load(&sh->woken), k);
		assert_int_equal(shmring_event_trywait(e), -EAGAIN); /* consumed */
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(sh_join(pids[i], 30), 0);
	assert_int_equal(atomic_load(&sh->failed), 0);
	munmap(base, size);
	shmring_event_close(e);
	munmap(sh, 4096);
}

/*
 * A setter that dies between its set and its wake (simulated: the flag and
 * a new count stored in the page, no futex wake) must not strand a sleeping
 * waiter beside a set flag: it looks again within SHMRING_SYNC_RECHECK_NS,
 * long before its 10 s deadline. Auto reset: the waiter takes the flag.
 */
static void lost_set(bool manual)
{
	const char *uri = sh_name("posix", manual ? "lost-m" : "lost-a");
	struct waiters_shared *sh = sh_shared(4096);
	struct waiter_arg a = {.uri = uri, .ms = 10000, .sh = sh};
	shmring_event_t *e = make_event(uri, manual, false);
	size_t size;
	void *base = sh_map_raw(uri, &size);
	struct shmring_sync_event *st = sh_state(base);
	uint32_t s;
	uint64_t t0;
	pid_t pid;

	pid = sh_fork(event_waiter, &a, 30);
	wait_until(&st->waiters, 1, "waiters");
	usleep(20000); /* from registered to asleep */
	t0 = test_now_ns();
	s = atomic_load(&st->state);
	atomic_store(&st->state, (s + SHMRING_EVENT_SEQ_ONE) | SHMRING_EVENT_SET); /* no wake */
	assert_int_equal(sh_join(pid, 20), 0);
	print_message("%s waiter through %.2f ms after the unwoken set\n",
	              manual ? "manual" : "auto", (double)(atomic_load(&sh->t_last) - t0) / 1e6);
	assert_int_equal(atomic_load(&sh->woken), 1);
	assert_true(atomic_load(&sh->t_last) - t0 < 1000 * SH_MS * TEST_SLOWDOWN);
	assert_int_equal(shmring_event_trywait(e), manual ? 0 : -EAGAIN);
	munmap(base, size);
	shmring_event_close(e);
	munmap(sh, 4096);
}

static void test_lost_set_manual(void **state)
{
	(void)state;
	lost_set(true);
}

static void test_lost_set_auto(void **state)
{
	(void)state;
	lost_set(false);
}

/* --- Ping-pong ---------------------------------------------------------------------------- */

struct pp_arg {
	const char *ping, *pong;
	unsigned n;
};

static int pp_child(void *p)
{
	struct pp_arg *a = p;
	shmring_event_t *ping = NULL, *pong = NULL;
	int rc = shmring_event_open(a->ping, NULL, &ping);

	if (rc == 0)
		rc = shmring_event_open(a->pong, NULL, &pong);
	if (rc < 0)
		return SH_CFAIL(1, "open: %s", shmring_strerror(rc));
	for (unsigned i = 0; i < a->n; i++) {
		rc = shmring_event_wait(ping, sh_deadline_ms(5000));
		if (rc == 0)
			rc = shmring_event_set(pong);
		if (rc < 0)
			return SH_CFAIL(2, "cycle %u: %s (a lost wake-up?)", i,
			                shmring_strerror(rc));
	}
	shmring_event_close(ping);
	shmring_event_close(pong);
	return 0;
}

static void test_pingpong(void **state)
{
	struct pp_arg a = {.ping = sh_name("posix", "ping"),
	                   .pong = sh_name("posix", "pong"),
	                   .n = pingpong_cycles / TEST_MSG_DIVISOR};
	shmring_event_t *ping = make_event(a.ping, false, false);
	shmring_event_t *pong = make_event(a.pong, false, false);
	uint64_t t0 = test_now_ns();
	pid_t pid = sh_fork(pp_child, &a, 600);

	(void)state;
	for (unsigned i = 0; i < a.n; i++) {
		int rc = shmring_event_set(ping);

		if (rc == 0)
			rc = shmring_event_wait(pong, sh_deadline_ms(5000));
		if (rc < 0)
			fail_msg("cycle %u: %s (a lost wake-up?)", i, shmring_strerror(rc));
	}
	assert_int_equal(sh_join(pid, 60), 0);
	print_message("%u ping-pong cycles through two events in %.0f ms\n", a.n, sh_ms_since(t0));
	assert_int_equal(shmring_event_trywait(ping), -EAGAIN);
	assert_int_equal(shmring_event_trywait(pong), -EAGAIN);
	shmring_event_close(ping);
	shmring_event_close(pong);
}

/* --- Timeouts and EINTR -------------------------------------------------------------------- */

struct eintr_shared {
	_Atomic int ready;
	_Atomic int done;
	_Atomic unsigned signals;
	int rc;
	bool early;
	uint64_t late_ns;
};

struct eintr_arg {
	const char *ev, *cond, *mutex; /* an event wait, or a condition wait */
	uint64_t ms;
	struct eintr_shared *sh;
};

static int eintr_child(void *p)
{
	struct eintr_arg *a = p;
	shmring_event_t *e = NULL;
	shmring_cond_t *c = NULL;
	shmring_mutex_t *m = NULL;
	uint64_t deadline, now;
	int rc = a->ev ? shmring_event_open(a->ev, NULL, &e) : shmring_cond_open(a->cond, NULL, &c);

	if (rc == 0 && !a->ev)
		rc = shmring_mutex_open(a->mutex, NULL, &m);
	if (rc == 0 && m)
		rc = shmring_mutex_timedlock(m, sh_deadline_ms(5000));
	if (rc < 0)
		return SH_CFAIL(1, "open: %s", shmring_strerror(rc));
	sh_count_signal(SIGUSR1);
	atomic_store(&a->sh->ready, 1);
	deadline = shmring_deadline_in(a->ms * SH_MS);
	rc = e ? shmring_event_wait(e, deadline) : shmring_cond_wait(c, m, deadline);
	now = shmring_clock_ns();
	a->sh->rc = rc;
	a->sh->early = now < deadline;
	a->sh->late_ns = now >= deadline ? now - deadline : 0;
	a->sh->signals = atomic_load(&sh_signals);
	atomic_store(&a->sh->done, 1);
	if (m && (rc == 0 || rc == -ETIMEDOUT) && shmring_mutex_unlock(m) != 0)
		return SH_CFAIL(2, "the mutex was not held after the wait");
	shmring_event_close(e);
	shmring_cond_close(c);
	shmring_mutex_close(m);
	return 0;
}

static void eintr_round(struct eintr_arg *a)
{
	uint64_t t0 = test_now_ns();
	unsigned sent;
	pid_t pid;

	memset(a->sh, 0, sizeof(*a->sh));
	pid = sh_fork(eintr_child, a, 30);
	while (!atomic_load(&a->sh->ready))
		if (sh_ms_since(t0) > 5000.0 * TEST_SLOWDOWN)
			fail_msg("the child never got ready");
		else
			usleep(500);
	sent = sh_pester(pid, SIGUSR1, 1000, &a->sh->done, 5000);
	assert_int_equal(sh_join(pid, 30), 0);
	print_message("%s: %u signals sent, %u handled; %d, %.1f ms after the deadline\n",
	              a->ev ? "event" : "cond", sent, a->sh->signals, a->sh->rc,
	              (double)a->sh->late_ns / 1e6);
	assert_int_equal(a->sh->rc, -ETIMEDOUT);
	assert_false(a->sh->early);
	assert_true(a->sh->late_ns < 200 * SH_MS * TEST_SLOWDOWN);
	assert_true(a->sh->signals >= 10);
}

static void test_timeouts_eintr(void **state)
{
	const char *ev = sh_name("posix", "tev"), *cu = sh_name("posix", "tcond");
	const char *mu = sh_name("posix", "tmutex");
	shmring_event_t *e = make_event(ev, true, false);
	shmring_cond_t *c = NULL;
	shmring_mutex_t *m = NULL;
	struct eintr_arg a = {.ev = ev, .ms = 300, .sh = sh_shared(4096)};

	(void)state;
	for (int round = 0; round < 3; round++) {
		uint64_t deadline = shmring_deadline_in((round * 40 + 1) * SH_MS);
		int rc = shmring_event_wait(e, deadline);
		uint64_t now = shmring_clock_ns();

		assert_int_equal(rc, -ETIMEDOUT);
		assert_true(now >= deadline);
		assert_true(now - deadline < 200 * SH_MS * TEST_SLOWDOWN);
	}
	eintr_round(&a);

	assert_int_equal(shmring_cond_create(cu, NULL, &c), 0);
	assert_int_equal(shmring_mutex_create(mu, NULL, &m), 0);
	a = (struct eintr_arg){.cond = cu, .mutex = mu, .ms = 300, .sh = a.sh};
	eintr_round(&a);

	/* A timed-out condition wait holds the mutex again. */
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(1000)), 0);
	{
		uint64_t deadline = shmring_deadline_in(30 * SH_MS);

		assert_int_equal(shmring_cond_wait(c, m, deadline), -ETIMEDOUT);
		assert_true(shmring_clock_ns() >= deadline);
	}
	assert_int_equal(shmring_mutex_unlock(m), 0);
	/* Without the mutex: nothing done. */
	assert_int_equal(shmring_cond_wait(c, m, sh_deadline_ms(1000)), -EPERM);
	assert_int_equal(shmring_mutex_trylock(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	shmring_cond_close(c);
	shmring_mutex_close(m);
	shmring_event_close(e);
	munmap(a.sh, 4096);
}

/* --- Condition variables: a queue across processes -------------------------------------------- */

#define QCAP       16
#define QPRODUCERS 2
#define QCONSUMERS 2

struct queue {
	uint32_t head, tail, count;
	uint64_t items[QCAP];
	uint64_t produced, consumed, total;
	uint64_t sum_in, sum_out;
	uint64_t full_waits, empty_waits;
};

struct q_arg {
	const char *m, *not_full, *not_empty;
	struct queue *q;
	unsigned id, n;
	bool producer;
};

static int q_child(void *p)
{
	struct q_arg *a = p;
	struct queue *q = a->q;
	shmring_mutex_t *m = NULL;
	shmring_cond_t *nf = NULL, *ne = NULL;
	int rc = shmring_mutex_open(a->m, NULL, &m);

	if (rc == 0)
		rc = shmring_cond_open(a->not_full, NULL, &nf);
	if (rc == 0)
		rc = shmring_cond_open(a->not_empty, NULL, &ne);
	if (rc < 0)
		return SH_CFAIL(1, "open: %s", shmring_strerror(rc));
	for (unsigned i = 0;; i++) {
		if (a->producer && i == a->n)
			break;
		rc = shmring_mutex_timedlock(m, sh_deadline_ms(10000));
		if (rc < 0)
			return SH_CFAIL(2, "lock: %s", shmring_strerror(rc));
		if (a->producer) {
			uint64_t v = ((uint64_t)a->id << 32) | (i + 1);

			while (q->count == QCAP && rc == 0) {
				q->full_waits++;
				/* A lost wake-up would end here after 5 s. */
				rc = shmring_cond_wait(nf, m, sh_deadline_ms(5000));
			}
			if (rc < 0)
				return SH_CFAIL(3, "wait not full: %s", shmring_strerror(rc));
			q->items[q->tail] = v;
			q->tail = (q->tail + 1) % QCAP;
			q->count++;
			q->produced++;
			q->sum_in += v;
			rc = shmring_cond_signal(ne);
		} else {
			while (q->count == 0 && q->consumed < q->total && rc == 0) {
				q->empty_waits++;
				rc = shmring_cond_wait(ne, m, sh_deadline_ms(5000));
			}
			if (rc < 0)
				return SH_CFAIL(3, "wait not empty: %s", shmring_strerror(rc));
			if (q->count == 0) { /* everything consumed */
				shmring_mutex_unlock(m);
				break;
			}
			q->sum_out += q->items[q->head];
			q->head = (q->head + 1) % QCAP;
			q->count--;
			q->consumed++;
			rc = shmring_cond_signal(nf);
			if (rc == 0 && q->consumed == q->total)
				rc = shmring_cond_broadcast(ne); /* the other consumers stop */
		}
		if (rc == 0)
			rc = shmring_mutex_unlock(m);
		if (rc < 0)
			return SH_CFAIL(4, "signal/unlock: %s", shmring_strerror(rc));
	}
	shmring_cond_close(nf);
	shmring_cond_close(ne);
	shmring_mutex_close(m);
	return 0;
}

static void test_cond_queue(void **state)
{
	struct queue *q = sh_shared(4096);
	struct q_arg args[QPRODUCERS + QCONSUMERS];
	const char *mu = sh_name("posix", "qm"), *nfu = sh_name("posix", "qnf");
	const char *neu = sh_name("posix", "qne");
	shmring_mutex_t *m = NULL;
	shmring_cond_t *nf = NULL, *ne = NULL;
	unsigned per = 20000 / TEST_MSG_DIVISOR;
	uint64_t t0 = test_now_ns();
	pid_t pids[QPRODUCERS + QCONSUMERS];

	(void)state;
	assert_int_equal(shmring_mutex_create(mu, NULL, &m), 0);
	assert_int_equal(shmring_cond_create(nfu, NULL, &nf), 0);
	assert_int_equal(shmring_cond_create(neu, NULL, &ne), 0);
	q->total = (uint64_t)per * QPRODUCERS;
	for (unsigned i = 0; i < QPRODUCERS + QCONSUMERS; i++) {
		args[i] = (struct q_arg){.m = mu,
		                         .not_full = nfu,
		                         .not_empty = neu,
		                         .q = q,
		                         .id = i + 1,
		                         .n = per,
		                         .producer = i < QPRODUCERS};
		pids[i] = sh_fork(q_child, &args[i], 120);
	}
	for (unsigned i = 0; i < QPRODUCERS + QCONSUMERS; i++)
		assert_int_equal(sh_join(pids[i], 120), 0);
	print_message("%llu items through a %d-slot queue in %.0f ms (%llu full waits, %llu empty "
	              "waits)\n",
	              (unsigned long long)q->consumed, QCAP, sh_ms_since(t0),
	              (unsigned long long)q->full_waits, (unsigned long long)q->empty_waits);
	assert_int_equal(q->produced, q->total);
	assert_int_equal(q->consumed, q->total);
	assert_int_equal(q->count, 0);
	assert_true(q->sum_in == q->sum_out);
	shmring_mutex_close(m);
	shmring_cond_close(nf);
	shmring_cond_close(ne);
	munmap(q, 4096);
}

/* --- Broadcast -----------------------------------------------------------------------------------
 */

struct bc_shared {
	_Atomic uint32_t waiting, woken, go;
};

struct bc_arg {
	const char *m, *c;
	struct bc_shared *sh;
};

static int bc_child(void *p)
{
	struct bc_arg *a = p;
	shmring_mutex_t *m = NULL;
	shmring_cond_t *c = NULL;
	int rc = shmring_mutex_open(a->m, NULL, &m);

	if (rc == 0)
		rc = shmring_cond_open(a->c, NULL, &c);
	if (rc == 0)
		rc = shmring_mutex_timedlock(m, sh_deadline_ms(5000));
	atomic_fetch_add(&a->sh->waiting, 1);
	while (rc == 0 && !atomic_load(&a->sh->go))
		rc = shmring_cond_wait(c, m, sh_deadline_ms(5000));
	if (rc == 0) {
		atomic_fetch_add(&a->sh->woken, 1);
		rc = shmring_mutex_unlock(m);
	}
	shmring_cond_close(c);
	shmring_mutex_close(m);
	return rc == 0 ? 0 : SH_CFAIL(1, "%s", shmring_strerror(rc));
}

static void test_cond_broadcast(void **state)
{
	const char *mu = sh_name("posix", "bm"), *cu = sh_name("posix", "bc");
	struct bc_arg a = {.m = mu, .c = cu, .sh = sh_shared(4096)};
	shmring_mutex_t *m = NULL;
	shmring_cond_t *c = NULL;
	size_t size;
	void *base;
	struct shmring_sync_cond *st;
	uint64_t t0;
	pid_t pids[3];

	(void)state;
	assert_int_equal(shmring_mutex_create(mu, NULL, &m), 0);
	assert_int_equal(shmring_cond_create(cu, NULL, &c), 0);
	base = sh_map_raw(cu, &size);
	st = sh_state(base);
	for (int i = 0; i < 3; i++)
		pids[i] = sh_fork(bc_child, &a, 30);
	wait_until(&st->waiters, 3, "condition waiters");
	usleep(20000);
	assert_int_equal(shmring_mutex_timedlock(m, sh_deadline_ms(5000)), 0);
	atomic_store(&a.sh->go, 1);
	t0 = test_now_ns();
	assert_int_equal(shmring_cond_broadcast(c), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sh_join(pids[i], 30), 0);
	assert_int_equal(atomic_load(&a.sh->woken), 3);
	assert_true(sh_ms_since(t0) < 1000.0 * TEST_SLOWDOWN);
	assert_int_equal(shmring_cond_signal(c), 0); /* nobody waits: fine */
	munmap(base, size);
	shmring_mutex_close(m);
	shmring_cond_close(c);
	munmap(a.sh, 4096);
}

/* --- A relock that cannot happen: -ENOLCK ------------------------------------------------------
 */

struct relock_shared {
	_Atomic int in_wait, holding;
	int rc;
	uint64_t ms;
};

/* A waiter's start: open the mutex and the condition, take the mutex. */
static int relock_enter(const struct bc_arg *a, shmring_mutex_t **m, shmring_cond_t **c)
{
	int rc = shmring_mutex_open(a->m, NULL, m);

	if (rc == 0)
		rc = shmring_cond_open(a->c, NULL, c);
	if (rc == 0)
		rc = shmring_mutex_timedlock(*m, sh_deadline_ms(5000));
	return rc;
}

static int relock_waiter(void *p)
{
	struct bc_arg *a = p;
	struct relock_shared *sh = (struct relock_shared *)(void *)a->sh;
	shmring_mutex_t *m = NULL;
	shmring_cond_t *c = NULL;
	uint64_t t0;
	int rc = relock_enter(a, &m, &c);

	if (rc < 0)
		return SH_CFAIL(1, "%s", shmring_strerror(rc));
	atomic_store(&sh->in_wait, 1);
	t0 = test_now_ns();
	sh->rc = shmring_cond_wait(c, m, shmring_deadline_in(300 * SH_MS));
	sh->ms = (uint64_t)sh_ms_since(t0);
	/* -ENOLCK: not held, so no unlock. */
	return 0;
}

static int relock_holder(void *p)
{
	struct bc_arg *a = p;
	struct relock_shared *sh = (struct relock_shared *)(void *)a->sh;
	shmring_mutex_t *m = NULL;
	int rc = shmring_mutex_open(a->m, NULL, &m);

	if (rc == 0)
		rc = shmring_mutex_timedlock(m, sh_deadline_ms(5000));
	if (rc < 0)
		return SH_CFAIL(1, "%s", shmring_strerror(rc));
	atomic_store(&sh->holding, 1);
	raise(SIGSTOP);
	return shmring_mutex_unlock(m) == 0 ? 0 : 2;
}

/*
 * A signal whose futex wake never comes (its signaller killed between the
 * bump and the wake, or the waiter it woke killed before returning: for
 * the others, the same) must reach a sleeping waiter all the same: it
 * looks again within SHMRING_SYNC_RECHECK_NS, long before its 10 s deadline.
 */
static int lost_signal_waiter(void *p)
{
	struct bc_arg *a = p;
	struct relock_shared *sh = (struct relock_shared *)(void *)a->sh;
	shmring_mutex_t *m = NULL;
	shmring_cond_t *c = NULL;
	int rc = relock_enter(a, &m, &c);

	if (rc < 0)
		return SH_CFAIL(1, "%s", shmring_strerror(rc));
	atomic_store(&sh->in_wait, 1);
	sh->rc = shmring_cond_wait(c, m, sh_deadline_ms(10000));
	if (sh->rc == 0 || sh->rc == -ETIMEDOUT)
		shmring_mutex_unlock(m);
	return 0;
}

static void test_cond_lost_signal(void **state)
{
	const char *mu = sh_name("posix", "sm"), *cu = sh_name("posix", "sc");
	struct relock_shared *sh = sh_shared(4096);
	struct bc_arg a = {.m = mu, .c = cu, .sh = (struct bc_shared *)(void *)sh};
	shmring_mutex_t *m = NULL;
	shmring_cond_t *c = NULL;
	size_t size;
	void *base;
	struct shmring_sync_cond *st;
	uint64_t t0 = test_now_ns();
	double took;
	pid_t w;

	(void)state;
	assert_int_equal(shmring_mutex_create(mu, NULL, &m), 0);
	assert_int_equal(shmring_cond_create(cu, NULL, &c), 0);
	base = sh_map_raw(cu, &size);
	st = sh_state(base);
	w = sh_fork(lost_signal_waiter, &a, 30);
	while (!atomic_load(&sh->in_wait) && sh_ms_since(t0) < 5000.0 * TEST_SLOWDOWN)
		usleep(500);
	wait_until(&st->waiters, 1, "waiters");
	usleep(20000); /* from registered to asleep */
	t0 = test_now_ns();
	atomic_fetch_add(&st->seq, 1); /* the signal, without its wake */
	assert_int_equal(sh_join(w, 20), 0);
	took = sh_ms_since(t0);
	print_message("condition waiter returned %d %.2f ms after the unwoken signal\n", sh->rc,
	              took);
	assert_int_equal(sh->rc, 0);
	assert_true(took < 1000.0 * TEST_SLOWDOWN);
	munmap(base, size);
	shmring_cond_close(c);
	shmring_mutex_close(m);
	munmap(sh, 4096);
}

static void test_cond_enolck(void **state)
{
	const char *mu = sh_name("posix", "lm"), *cu = sh_name("posix", "lc");
	struct relock_shared *sh = sh_shared(4096);
	struct bc_arg a = {.m = mu, .c = cu, .sh = (struct bc_shared *)(void *)sh};
	shmring_mutex_t *m = NULL;
	shmring_cond_t *c = NULL;
	uint64_t t0 = test_now_ns();
	pid_t w, h;

	(void)state;
	assert_int_equal(shmring_mutex_create(mu, NULL, &m), 0);
	assert_int_equal(shmring_cond_create(cu, NULL, &c), 0);
	w = sh_fork(relock_waiter, &a, 30);
	while (!atomic_load(&sh->in_wait) && sh_ms_since(t0) < 5000.0 * TEST_SLOWDOWN)
		usleep(500);
	usleep(20000);
	h = sh_fork(relock_holder, &a, 30);
	assert_int_equal(sh_join(w, 30), 0);
	print_message("condition wait with a stopped mutex holder: %d (%s) after %llu ms\n", sh->rc,
	              shmring_strerror(sh->rc), (unsigned long long)sh->ms);
	assert_true(atomic_load(&sh->holding));
	assert_int_equal(sh->rc, -ENOLCK);
	assert_true(sh->ms >= 300 + 1000);
	kill(h, SIGCONT);
	assert_int_equal(sh_join(h, 30), 0);
	assert_int_equal(shmring_mutex_trylock(m), 0);
	assert_int_equal(shmring_mutex_unlock(m), 0);
	shmring_mutex_close(m);
	shmring_cond_close(c);
	munmap(sh, 4096);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_event_basics, sh_teardown),
	    cmocka_unit_test_teardown(test_event_anon, sh_teardown),
	    cmocka_unit_test_teardown(test_manual_wakes_all, sh_teardown),
	    cmocka_unit_test_teardown(test_auto_wakes_one, sh_teardown),
	    cmocka_unit_test_teardown(test_lost_set_manual, sh_teardown),
	    cmocka_unit_test_teardown(test_lost_set_auto, sh_teardown),
	    cmocka_unit_test_teardown(test_pingpong, sh_teardown),
	    cmocka_unit_test_teardown(test_timeouts_eintr, sh_teardown),
	    cmocka_unit_test_teardown(test_cond_queue, sh_teardown),
	    cmocka_unit_test_teardown(test_cond_broadcast, sh_teardown),
	    cmocka_unit_test_teardown(test_cond_enolck, sh_teardown),
	    cmocka_unit_test_teardown(test_cond_lost_signal, sh_teardown),
	};

	if (argc > 1)
		pingpong_cycles = (unsigned)strtoul(argv[1], NULL, 0);
	alarm(600 * TEST_SLOWDOWN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
