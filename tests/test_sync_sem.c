/* SPDX-License-Identifier: MIT */
/*
 * test_sync_sem: counting semaphores (shmring/sync.h), each test for each of
 * the three implementations (futex, POSIX named, System V) where it applies.
 * Every participant is a forked process; every wait has a deadline.
 *
 *   - basics: counts, trywait, open finding the implementation, dup, close,
 *     create exclusive and REPLACE, unlink; anon/memfd/file futex semaphores
 *     and a fork child using an inherited handle;
 *   - exact counts after 10^6 posts and waits across 8 processes (4 post,
 *     4 wait); a System V poster meeting SEMVMX backs off and retries;
 *   - timeouts: -ETIMEDOUT no earlier than the deadline, not 200 ms later;
 *     a unit present at an expired deadline is still taken;
 *   - EINTR never surfaces: a waiter pestered by a signal whose handler has
 *     no SA_RESTART times out at its deadline, or gets the unit posted;
 *   - no lost wake-ups: ping-pong through two semaphores between two
 *     processes, every wait with a deadline (argv[1] cycles; 10^5 default);
 *   - limits: posts beyond the largest count give -EOVERFLOW; a futex count
 *     forged to 0xffffffff through a raw mapping: post -EOVERFLOW, waits
 *     still work;
 *   - a waiter SIGKILLed while asleep leaves the waiters word one high:
 *     later posts still wake live waiters;
 *   - a POSIX named semaphore whose sem_t futex-flags word was forged:
 *     waits time out at their deadline, posts wake sleepers, no abort;
 *   - a unit that appears without a wake (a poster killed between the two)
 *     is taken by a sleeping waiter within a second;
 *   - SEM_UNDO: a System V unit taken by a process that dies comes back;
 *   - bad input: a ring opened as a semaphore (-SHMRING_EKIND) and a
 *     semaphore as a ring, an event as a semaphore, truncated segments,
 *     forged headers (magic, version, checksum, reserved bytes), another
 *     user's object, foreign System V sets, a POSIX semaphore file of the
 *     wrong size or a symbolic link, bad options, one name for two kinds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "src/syncobj.h"
#include "sync_helpers.h"

static unsigned pingpong_cycles = 100000;

static const char *const impl_scheme[4] = {NULL, "posix", "posix", "sysv"};
static const char *const impl_tag[4] = {NULL, "futex", "posix", "sysv"};

static const char *impl_name(uint32_t impl, const char *what)
{
	char tag[64];

	snprintf(tag, sizeof(tag), "%s-%s", impl_tag[impl], what);
	return sh_name(impl_scheme[impl], tag);
}

static shmring_sem_t *make(const char *uri, uint32_t impl, uint32_t value)
{
	struct shmring_sync_opts o = {.impl = impl, .value = value};
	shmring_sem_t *s = NULL;
	int rc = shmring_sem_create(uri, &o, &s);

	if (rc < 0)
		fail_msg("create %s: %s", uri, shmring_strerror(rc));
	assert_int_equal(shmring_sem_impl(s), impl);
	return s;
}

static uint32_t value_of(shmring_sem_t *s)
{
	uint32_t v = 12345;

	assert_int_equal(shmring_sem_value(s, &v), 0);
	return v;
}

/* --- Basics ------------------------------------------------------------------- */

static void basics(uint32_t impl)
{
	const char *uri = impl_name(impl, "basic");
	struct shmring_sync_opts o = {.impl = impl, .flags = SHMRING_SYNC_REPLACE};
	shmring_sem_t *s = make(uri, impl, 2), *t = NULL, *d = NULL;

	assert_int_equal(value_of(s), 2);
	assert_int_equal(shmring_sem_trywait(s), 0);
	assert_int_equal(shmring_sem_trywait(s), 0);
	assert_int_equal(shmring_sem_trywait(s), -EAGAIN);
	assert_int_equal(shmring_sem_post(s), 0);
	assert_int_equal(value_of(s), 1);

	assert_int_equal(shmring_sem_open(uri, NULL, &t), 0);
	assert_int_equal(shmring_sem_impl(t), impl);
	assert_int_equal(value_of(t), 1);
	assert_int_equal(shmring_sem_trywait(t), 0);
	assert_int_equal(shmring_sem_post(t), 0);
	assert_int_equal(shmring_sem_dup(t, &d), 0);
	assert_int_equal(shmring_sem_wait(d, sh_deadline_ms(1000)), 0);
	assert_int_equal(value_of(s), 0);
	assert_int_equal(shmring_sem_close(d), 0);
	assert_int_equal(shmring_sem_close(t), 0);
	assert_int_equal(shmring_sem_post(s), 0);

	assert_int_equal(shmring_sem_create(uri, &(struct shmring_sync_opts){.impl = impl}, &t),
	                 -EEXIST);
	assert_null(t);
	/* The other implementations refuse the name too. */
	for (uint32_t other = SHMRING_SEM_FUTEX; other <= SHMRING_SEM_SYSV; other++)
		if (other != impl && strcmp(impl_scheme[other], impl_scheme[impl]) == 0)
			assert_int_equal(
			    shmring_sem_create(uri, &(struct shmring_sync_opts){.impl = other}, &t),
			    -EEXIST);
	/* So do a ring and an event, also where the semaphore's own file or
	 * set lies apart from their segment (POSIX, System V). */
	{
		struct shmring_opts ro = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 8};
		shmring_event_t *e = NULL;
		shmring_t *r = NULL;

		assert_int_equal(shmring_create(uri, &ro, SHMRING_OBSERVER, &r), -EEXIST);
		assert_int_equal(shmring_event_create(uri, NULL, &e), -EEXIST);
		if (impl != SHMRING_SEM_FUTEX) {
			ro.flags = SHMRING_CREATE_OPEN_EXISTING;
			assert_int_equal(shmring_create(uri, &ro, SHMRING_OBSERVER, &r), -EEXIST);
			ro.flags = SHMRING_CREATE_REPLACE;
			assert_int_equal(shmring_create(uri, &ro, SHMRING_OBSERVER, &r), -EEXIST);
		}
		assert_null(r);
		assert_null(e);
	}
	assert_int_equal(shmring_sem_create(uri, &o, &t), 0);
	assert_int_equal(value_of(t), 0);
	assert_int_equal(shmring_sem_close(t), 0);
	assert_int_equal(shmring_sem_close(s), 0);

	assert_int_equal(shmring_sem_open(uri, NULL, &s), 0);
	assert_int_equal(shmring_sem_unlink(uri), 0);
	if (impl == SHMRING_SEM_SYSV) {
		/* The set went at once: -EIDRM from every call, also from a
		 * wait whose deadline has passed (not -ETIMEDOUT). */
		assert_int_equal(shmring_sem_trywait(s), -EIDRM);
		assert_int_equal(shmring_sem_wait(s, 0), -EIDRM);
		assert_int_equal(shmring_sem_wait(s, sh_deadline_ms(10)), -EIDRM);
	}
	assert_int_equal(shmring_sem_close(s), 0);
	assert_int_equal(shmring_sem_open(uri, NULL, &t), -ENOENT);
	assert_null(t);
	assert_int_equal(shmring_sem_unlink(uri), -ENOENT);
	assert_int_equal(shmring_sem_close(NULL), 0);
}

static void test_basics_futex(void **state)
{
	(void)state;
	basics(SHMRING_SEM_FUTEX);
}

static void test_basics_posix(void **state)
{
	(void)state;
	basics(SHMRING_SEM_POSIX);
}

static void test_basics_sysv(void **state)
{
	(void)state;
	basics(SHMRING_SEM_SYSV);
}

struct inherit_arg {
	shmring_sem_t *s;
	unsigned n;
};

static int inherit_child(void *p)
{
	struct inherit_arg *a = p;
	shmring_sem_t *s = a->s, *d = NULL;

	/* Half through the inherited handle, half through a dup of it. */
	for (unsigned i = 0; i < a->n; i++) {
		int rc;

		if (i == a->n / 2) {
			rc = shmring_sem_dup(s, &d);
			if (rc < 0)
				return SH_CFAIL(1, "dup: %s", shmring_strerror(rc));
			shmring_sem_close(s);
			s = d;
		}
		rc = shmring_sem_post(s);
		if (rc < 0)
			return SH_CFAIL(1, "post %u: %s", i, shmring_strerror(rc));
	}
	shmring_sem_close(s);
	return 0;
}

/* Futex semaphores of the other schemes, and fork children. */
static void test_futex_schemes(void **state)
{
	const char *uris[] = {"anon:", "memfd:", "memfd:sem-label", sh_name("file", "sem"),
	                      sh_name("sysv", "sem")};

	(void)state;
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		struct inherit_arg a = {.s = make(uris[i], SHMRING_SEM_FUTEX, 0), .n = 1000};
		pid_t pid = sh_fork(inherit_child, &a, 30);

		for (unsigned k = 0; k < a.n; k++)
			assert_int_equal(shmring_sem_wait(a.s, sh_deadline_ms(5000)), 0);
		assert_int_equal(sh_join(pid, 30), 0);
		assert_int_equal(value_of(a.s), 0);
		if (strncmp(uris[i], "file:", 5) == 0 || strncmp(uris[i], "sysv:", 5) == 0) {
			shmring_sem_t *t = NULL;

			assert_int_equal(shmring_sem_open(uris[i], NULL, &t), 0);
			assert_int_equal(shmring_sem_impl(t), SHMRING_SEM_FUTEX);
			shmring_sem_close(t);
			assert_int_equal(shmring_sem_unlink(uris[i]), 0);
		} else {
			assert_int_equal(shmring_sem_unlink(uris[i]), -EINVAL);
		}
		shmring_sem_close(a.s);
	}
}

/* --- Exact counts across 8 processes ---------------------------------------------- */

struct count_arg {
	const char *uri;
	unsigned n;
	bool poster;
	_Atomic uint64_t *overflows;
};

static int count_child(void *p)
{
	struct count_arg *a = p;
	shmring_sem_t *s = NULL;
	int rc = shmring_sem_open(a->uri, NULL, &s);

	if (rc < 0)
		return SH_CFAIL(1, "open: %s", shmring_strerror(rc));
	for (unsigned i = 0; i < a->n; i++) {
		if (a->poster) {
			while ((rc = shmring_sem_post(s)) == -EOVERFLOW) {
				/* A System V set holds 32767 at most: let waiters
				 * catch up. */
				atomic_fetch_add(a->overflows, 1);
				sched_yield();
			}
		} else {
			rc = shmring_sem_wait(s, sh_deadline_ms(20000));
		}
		if (rc < 0)
			return SH_CFAIL(2, "%s %u: %s", a->poster ? "post" : "wait", i,
			                shmring_strerror(rc));
	}
	shmring_sem_close(s);
	return 0;
}

static void counts(uint32_t impl)
{
	const char *uri = impl_name(impl, "count");
	unsigned total = 1000000u / TEST_MSG_DIVISOR, per = total / 4;
	_Atomic uint64_t *overflows = sh_shared(4096);
	struct count_arg args[8];
	shmring_sem_t *s = make(uri, impl, 0);
	uint64_t t0 = test_now_ns();
	pid_t pids[8];

	for (int i = 0; i < 8; i++) {
		args[i] = (struct count_arg){
		    .uri = uri, .n = per, .poster = i % 2 == 0, .overflows = overflows};
		pids[i] = sh_fork(count_child, &args[i], 120);
	}
	for (int i = 0; i < 8; i++)
		assert_int_equal(sh_join(pids[i], 120), 0);
	print_message("%s: %u posts and waits by 8 processes in %.0f ms (%llu overflow retries)\n",
	              impl_tag[impl], 4 * per, sh_ms_since(t0),
	              (unsigned long long)atomic_load(overflows));
	assert_int_equal(value_of(s), 0);
	assert_int_equal(shmring_sem_trywait(s), -EAGAIN);
	assert_int_equal(shmring_sem_post(s), 0);
	assert_int_equal(value_of(s), 1);
	shmring_sem_close(s);
	munmap((void *)overflows, 4096);
}

static void test_counts_futex(void **state)
{
	(void)state;
	counts(SHMRING_SEM_FUTEX);
}

static void test_counts_posix(void **state)
{
	(void)state;
	counts(SHMRING_SEM_POSIX);
}

static void test_counts_sysv(void **state)
{
	(void)state;
	counts(SHMRING_SEM_SYSV);
}

/* --- Timeouts ---------------------------------------------------------------------- */

static void timeouts(uint32_t impl)
{
	shmring_sem_t *s = make(impl_name(impl, "timeout"), impl, 0);

	for (int round = 0; round < 3; round++) {
		uint64_t ms = round == 0 ? 1 : round == 1 ? 20 : 100;
		uint64_t deadline = shmring_deadline_in(ms * SH_MS);
		int rc = shmring_sem_wait(s, deadline);
		uint64_t now = shmring_clock_ns();

		assert_int_equal(rc, -ETIMEDOUT);
		assert_true(now >= deadline);
		if (now - deadline > 200 * SH_MS * TEST_SLOWDOWN)
			fail_msg("%s: -ETIMEDOUT %.1f ms late", impl_tag[impl],
			         (double)(now - deadline) / 1e6);
	}
	/* An expired deadline: a try, which takes a unit if there is one. */
	assert_int_equal(shmring_sem_wait(s, 0), -ETIMEDOUT);
	assert_int_equal(shmring_sem_post(s), 0);
	assert_int_equal(shmring_sem_wait(s, 0), 0);
	assert_int_equal(shmring_sem_trywait(s), -EAGAIN);
	shmring_sem_close(s);
}

static void test_timeouts_futex(void **state)
{
	(void)state;
	timeouts(SHMRING_SEM_FUTEX);
}

static void test_timeouts_posix(void **state)
{
	(void)state;
	timeouts(SHMRING_SEM_POSIX);
}

static void test_timeouts_sysv(void **state)
{
	(void)state;
	timeouts(SHMRING_SEM_SYSV);
}

/* --- EINTR never surfaces -------------------------------------------------------------- */

struct eintr_shared {
	_Atomic int ready; /* the handler is installed */
	_Atomic int done;
	_Atomic unsigned signals;
	int rc;
	uint64_t late_ns; /* return time minus deadline (timed-out rounds) */
	bool early;
};

struct eintr_arg {
	const char *uri;
	uint64_t wait_ms;
	struct eintr_shared *sh;
};

static int eintr_child(void *p)
{
	struct eintr_arg *a = p;
	shmring_sem_t *s = NULL;
	uint64_t deadline, now;
	int rc = shmring_sem_open(a->uri, NULL, &s);

	if (rc < 0)
		return SH_CFAIL(1, "open: %s", shmring_strerror(rc));
	sh_count_signal(SIGUSR1);
	atomic_store(&a->sh->ready, 1);
	deadline = shmring_deadline_in(a->wait_ms * SH_MS);
	rc = shmring_sem_wait(s, deadline);
	now = shmring_clock_ns();
	a->sh->rc = rc;
	a->sh->early = now < deadline;
	a->sh->late_ns = now >= deadline ? now - deadline : 0;
	a->sh->signals = atomic_load(&sh_signals);
	atomic_store(&a->sh->done, 1);
	shmring_sem_close(s);
	return 0;
}

static void wait_ready(_Atomic int *ready)
{
	uint64_t t0 = test_now_ns();

	while (!atomic_load(ready))
		if (sh_ms_since(t0) > 5000.0 * TEST_SLOWDOWN)
			fail_msg("the child never got ready");
		else
			usleep(500);
}

static void eintr(uint32_t impl)
{
	const char *uri = impl_name(impl, "eintr");
	struct eintr_shared *sh = sh_shared(4096);
	struct eintr_arg a = {.uri = uri, .wait_ms = 400, .sh = sh};
	shmring_sem_t *s = make(uri, impl, 0);
	unsigned sent;
	pid_t pid;

	/* A wait that times out under a hail of signals. */
	pid = sh_fork(eintr_child, &a, 30);
	wait_ready(&sh->ready);
	sent = sh_pester(pid, SIGUSR1, 1000, &sh->done, 5000);
	assert_int_equal(sh_join(pid, 30), 0);
	print_message("%s: %u signals sent, %u handled, wait %d after the deadline + %.1f ms\n",
	              impl_tag[impl], sent, sh->signals, sh->rc, (double)sh->late_ns / 1e6);
	assert_int_equal(sh->rc, -ETIMEDOUT);
	assert_false(sh->early);
	assert_true(sh->late_ns < 200 * SH_MS * TEST_SLOWDOWN);
	assert_true(sh->signals >= (SH_TSAN && impl == SHMRING_SEM_POSIX ? 1u : 10u));

	/* A wait that gets its unit while being signalled. */
	memset(sh, 0, sizeof(*sh));
	a.wait_ms = 10000;
	pid = sh_fork(eintr_child, &a, 30);
	wait_ready(&sh->ready);
	{
		uint64_t t0 = test_now_ns();

		while (sh_ms_since(t0) < 150) {
			kill(pid, SIGUSR1);
			usleep(1000);
		}
	}
	assert_int_equal(shmring_sem_post(s), 0);
	sh_pester(pid, SIGUSR1, 1000, &sh->done, 5000);
	assert_int_equal(sh_join(pid, 30), 0);
	assert_int_equal(sh->rc, 0);
	assert_true(sh->signals >= (SH_TSAN && impl == SHMRING_SEM_POSIX ? 1u : 10u));
	assert_int_equal(value_of(s), 0);
	shmring_sem_close(s);
	munmap(sh, 4096);
}

static void test_eintr_futex(void **state)
{
	(void)state;
	eintr(SHMRING_SEM_FUTEX);
}

static void test_eintr_posix(void **state)
{
	(void)state;
	eintr(SHMRING_SEM_POSIX);
}

static void test_eintr_sysv(void **state)
{
	(void)state;
	eintr(SHMRING_SEM_SYSV);
}

/* --- No lost wake-ups: ping-pong -------------------------------------------------------- */

struct pp_arg {
	const char *ping, *pong;
	unsigned n;
};

static int pp_child(void *p)
{
	struct pp_arg *a = p;
	shmring_sem_t *ping = NULL, *pong = NULL;
	int rc = shmring_sem_open(a->ping, NULL, &ping);

	if (rc == 0)
		rc = shmring_sem_open(a->pong, NULL, &pong);
	if (rc < 0)
		return SH_CFAIL(1, "open: %s", shmring_strerror(rc));
	for (unsigned i = 0; i < a->n; i++) {
		rc = shmring_sem_wait(ping, sh_deadline_ms(5000));
		if (rc == 0)
			rc = shmring_sem_post(pong);
		if (rc < 0)
			return SH_CFAIL(2, "cycle %u: %s (a lost wake-up?)", i,
			                shmring_strerror(rc));
	}
	shmring_sem_close(ping);
	shmring_sem_close(pong);
	return 0;
}

static void pingpong(uint32_t impl)
{
	struct pp_arg a = {.ping = impl_name(impl, "ping"),
	                   .pong = impl_name(impl, "pong"),
	                   .n = pingpong_cycles / TEST_MSG_DIVISOR};
	shmring_sem_t *ping = make(a.ping, impl, 0), *pong = make(a.pong, impl, 0);
	uint64_t t0 = test_now_ns();
	pid_t pid = sh_fork(pp_child, &a, 600);

	for (unsigned i = 0; i < a.n; i++) {
		int rc = shmring_sem_post(ping);

		if (rc == 0)
			rc = shmring_sem_wait(pong, sh_deadline_ms(5000));
		if (rc < 0)
			fail_msg("cycle %u: %s (a lost wake-up?)", i, shmring_strerror(rc));
	}
	assert_int_equal(sh_join(pid, 60), 0);
	print_message("%s: %u ping-pong cycles in %.0f ms\n", impl_tag[impl], a.n, sh_ms_since(t0));
	assert_int_equal(value_of(ping), 0);
	assert_int_equal(value_of(pong), 0);
	shmring_sem_close(ping);
	shmring_sem_close(pong);
}

static void test_pingpong_futex(void **state)
{
	(void)state;
	pingpong(SHMRING_SEM_FUTEX);
}

static void test_pingpong_posix(void **state)
{
	(void)state;
	pingpong(SHMRING_SEM_POSIX);
}

static void test_pingpong_sysv(void **state)
{
	(void)state;
	pingpong(SHMRING_SEM_SYSV);
}

/* --- Limits and forged counts ------------------------------------------------------------- */

static void test_limits(void **state)
{
	static const uint32_t max[4] = {0, SHMRING_SEM_FUTEX_MAX, SEM_VALUE_MAX, 32767};
	shmring_sem_t *s;

	(void)state;
	for (uint32_t impl = SHMRING_SEM_FUTEX; impl <= SHMRING_SEM_SYSV; impl++) {
		const char *uri = impl_name(impl, "max");

		assert_int_equal(
		    shmring_sem_create(
		        uri, &(struct shmring_sync_opts){.impl = impl, .value = max[impl] + 1}, &s),
		    -EINVAL);
		s = make(uri, impl, max[impl]);
		assert_int_equal(shmring_sem_post(s), -EOVERFLOW);
		assert_int_equal(value_of(s), max[impl]);
		assert_int_equal(shmring_sem_trywait(s), 0);
		assert_int_equal(shmring_sem_post(s), 0);
		assert_int_equal(shmring_sem_post(s), -EOVERFLOW);
		shmring_sem_close(s);
	}
}

static void test_forged_count(void **state)
{
	const char *uri = impl_name(SHMRING_SEM_FUTEX, "forged");
	shmring_sem_t *s = make(uri, SHMRING_SEM_FUTEX, 0);
	size_t size;
	void *base = sh_map_raw(uri, &size);
	struct shmring_sync_sem *st = sh_state(base);

	(void)state;
	atomic_store(&st->count, 0xffffffffu);
	assert_int_equal(shmring_sem_post(s), -EOVERFLOW);
	assert_int_equal(value_of(s), 0xffffffffu);
	assert_int_equal(shmring_sem_trywait(s), 0);
	assert_int_equal(shmring_sem_wait(s, sh_deadline_ms(1000)), 0);
	assert_int_equal(value_of(s), 0xfffffffdu);
	atomic_store(&st->count, SHMRING_SEM_FUTEX_MAX);
	assert_int_equal(shmring_sem_post(s), -EOVERFLOW);
	/* A forged waiters count only costs posts a vain wake. */
	atomic_store(&st->count, 0);
	atomic_store(&st->waiters, 0xffffffffu);
	assert_int_equal(shmring_sem_post(s), 0);
	assert_int_equal(shmring_sem_wait(s, sh_deadline_ms(1000)), 0);
	assert_int_equal(shmring_sem_wait(s, shmring_deadline_in(10 * SH_MS)), -ETIMEDOUT);
	munmap(base, size);
	shmring_sem_close(s);
}

/* --- A waiter killed while asleep ------------------------------------------------------------ */

struct waiter_arg {
	const char *uri;
	struct eintr_shared *sh;
};

static int waiter_child(void *p)
{
	struct waiter_arg *a = p;
	shmring_sem_t *s = NULL;
	int rc = shmring_sem_open(a->uri, NULL, &s);

	if (rc < 0)
		return SH_CFAIL(1, "open: %s", shmring_strerror(rc));
	a->sh->rc = shmring_sem_wait(s, sh_deadline_ms(10000));
	atomic_store(&a->sh->done, 1);
	shmring_sem_close(s);
	return 0;
}

static void wait_waiters(struct shmring_sync_sem *st, uint32_t n)
{
	uint64_t t0 = test_now_ns();

	while (atomic_load(&st->waiters) != n) {
		if (sh_ms_since(t0) > 5000.0 * TEST_SLOWDOWN)
			fail_msg("waiters %u, expected %u", atomic_load(&st->waiters), n);
		usleep(1000);
	}
	usleep(20000); /* from registered to asleep */
}

static void test_dead_waiter(void **state)
{
	const char *uri = impl_name(SHMRING_SEM_FUTEX, "dead");
	struct eintr_shared *sh = sh_shared(4096);
	struct waiter_arg a = {.uri = uri, .sh = sh};
	shmring_sem_t *s = make(uri, SHMRING_SEM_FUTEX, 0);
	size_t size;
	void *base = sh_map_raw(uri, &size);
	struct shmring_sync_sem *st = sh_state(base);
	uint64_t t0;
	pid_t pid;

	(void)state;
	pid = sh_fork(waiter_child, &a, 30);
	wait_waiters(st, 1);
	kill(pid, SIGKILL);
	assert_int_equal(sh_join(pid, 10), 128 + SIGKILL);
	assert_int_equal(atomic_load(&st->waiters), 1); /* left one high */

	pid = sh_fork(waiter_child, &a, 30);
	wait_waiters(st, 2);
	t0 = test_now_ns();
	assert_int_equal(shmring_sem_post(s), 0);
	assert_int_equal(sh_join(pid, 10), 0);
	assert_int_equal(sh->rc, 0);
	print_message("live waiter woken %.2f ms after the post\n", sh_ms_since(t0));
	assert_true(sh_ms_since(t0) < 1000.0 * TEST_SLOWDOWN);
	assert_int_equal(atomic_load(&st->waiters), 1);
	assert_int_equal(shmring_sem_post(s), 0);
	assert_int_equal(shmring_sem_trywait(s), 0);
	munmap(base, size);
	shmring_sem_close(s);
	munmap(sh, 4096);
}

/*
 * A POSIX named semaphore whose futex-flags word a peer rewrote (glibc's
 * sem_t: the count and the waiters in one 64-bit word, then the flags its
 * own calls hand the kernel): a wait still times out at its deadline and a
 * sleeping waiter is still woken by a post. glibc's sem_clockwait() and
 * sem_post() aborted the process over such a word ("The futex facility
 * returned an unexpected error code") or spun past the deadline.
 */
static int short_waiter_child(void *p)
{
	struct waiter_arg *a = p;
	shmring_sem_t *s = NULL;
	int rc = shmring_sem_open(a->uri, NULL, &s);

	if (rc < 0)
		return SH_CFAIL(1, "open: %s", shmring_strerror(rc));
	a->sh->rc = shmring_sem_wait(s, shmring_deadline_in(100 * SH_MS));
	shmring_sem_close(s);
	return 0;
}

/* glibc's sem_t of a POSIX named semaphore, mapped for forging: its first
 * word holds the count (low half) and the waiters (high half). */
static _Atomic uint64_t *map_posix_sem(const char *uri)
{
	char path[256];
	int fd = open(sh_shm_path(uri, true, path, sizeof(path)), O_RDWR);
	void *m;

	assert_true(fd >= 0);
	m = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

/* Until the forked waiter has announced itself in the sem_t, then a little
 * longer (from announced to asleep). */
static void await_posix_waiter(_Atomic uint64_t *data, const char *what)
{
	uint64_t t0 = test_now_ns();

	while (atomic_load(data) >> 32 == 0) {
		if (sh_ms_since(t0) > 5000.0 * TEST_SLOWDOWN)
			fail_msg("%s: no waiter", what);
		usleep(1000);
	}
	usleep(20000);
}

static void test_forged_posix_flags(void **state)
{
	static const unsigned forged[] = {0x55, 3, 0xffffffffu, 0};
	const char *uri = impl_name(SHMRING_SEM_POSIX, "flags");
	struct eintr_shared *sh = sh_shared(4096);
	struct waiter_arg a = {.uri = uri, .sh = sh};
	shmring_sem_t *s = make(uri, SHMRING_SEM_POSIX, 0);
	_Atomic uint64_t *data = map_posix_sem(uri);
	void *m = (void *)data;

	(void)state;
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		uint64_t t0;
		pid_t pid;

		atomic_store((_Atomic int *)(void *)((char *)m + 8), (int)forged[i]);
		sh->rc = 1;
		pid = sh_fork(short_waiter_child, &a, 30);
		assert_int_equal(sh_join(pid, 10), 0);
		assert_int_equal(sh->rc, -ETIMEDOUT);

		sh->rc = 1;
		pid = sh_fork(waiter_child, &a, 30);
		await_posix_waiter(data, "forged flags");
		t0 = test_now_ns();
		assert_int_equal(shmring_sem_post(s), 0);
		assert_int_equal(sh_join(pid, 10), 0);
		assert_int_equal(sh->rc, 0);
		print_message("flags %#x: waiter woken %.2f ms after the post\n", forged[i],
		              sh_ms_since(t0));
		assert_int_equal(value_of(s), 0);
	}
	munmap(m, sizeof(sem_t));
	shmring_sem_close(s);
	munmap(sh, 4096);
}

/* The waiter forked as pid took the unit that appeared at t0 without a
 * wake, within a recheck period rather than at its 10 s deadline. */
static void took_unwoken(pid_t pid, struct eintr_shared *sh, shmring_sem_t *s, uint64_t t0)
{
	double took;

	assert_int_equal(sh_join(pid, 20), 0);
	took = sh_ms_since(t0);
	print_message("waiter took the unit %.2f ms after it appeared unwoken\n", took);
	assert_int_equal(sh->rc, 0);
	assert_true(took < 1000.0 * TEST_SLOWDOWN);
	assert_int_equal(value_of(s), 0);
}

/*
 * A poster that dies between its increment and its wake (simulated: the
 * count raised in the page, no futex wake) must not strand a sleeping
 * waiter beside the unit: it looks again within SHMRING_SYNC_RECHECK_NS and
 * takes it, long before its 10 s deadline.
 */
static void test_lost_wake(void **state)
{
	const char *uri = impl_name(SHMRING_SEM_FUTEX, "lost");
	struct eintr_shared *sh = sh_shared(4096);
	struct waiter_arg a = {.uri = uri, .sh = sh};
	shmring_sem_t *s = make(uri, SHMRING_SEM_FUTEX, 0);
	size_t size;
	void *base = sh_map_raw(uri, &size);
	struct shmring_sync_sem *st = sh_state(base);
	uint64_t t0;
	pid_t pid;

	(void)state;
	pid = sh_fork(waiter_child, &a, 30);
	wait_waiters(st, 1);
	t0 = test_now_ns();
	atomic_fetch_add(&st->count, 1); /* the post, without its wake */
	took_unwoken(pid, sh, s, t0);
	munmap(base, size);
	shmring_sem_close(s);
	munmap(sh, 4096);
}

/*
 * The same for a POSIX named semaphore (sync/semt.c): a unit added to
 * glibc's count without a wake (a poster killed between the two) is taken
 * within a recheck period, not left beside a waiter that then reported
 * -ETIMEDOUT at its deadline with the unit still there.
 */
static void test_lost_wake_posix(void **state)
{
	const char *uri = impl_name(SHMRING_SEM_POSIX, "lost");
	struct eintr_shared *sh = sh_shared(4096);
	struct waiter_arg a = {.uri = uri, .sh = sh};
	shmring_sem_t *s = make(uri, SHMRING_SEM_POSIX, 0);
	_Atomic uint64_t *data = map_posix_sem(uri);
	uint64_t t0;
	pid_t pid;

	(void)state;
	sh->rc = 1;
	pid = sh_fork(waiter_child, &a, 30);
	await_posix_waiter(data, "lost wake");
	t0 = test_now_ns();
	atomic_fetch_add(data, 1); /* the post, without its wake */
	took_unwoken(pid, sh, s, t0);
	munmap((void *)data, sizeof(sem_t));
	shmring_sem_close(s);
	munmap(sh, 4096);
}

/* --- SEM_UNDO ----------------------------------------------------------------------------- */

struct undo_arg {
	const char *uri;
	struct eintr_shared *sh;
};

static int undo_child(void *p)
{
	struct undo_arg *a = p;
	struct shmring_sync_open_opts oo = {.flags = SHMRING_SYNC_UNDO};
	shmring_sem_t *s = NULL;
	int rc = shmring_sem_open(a->uri, &oo, &s);

	if (rc == 0)
		rc = shmring_sem_wait(s, sh_deadline_ms(5000));
	a->sh->rc = rc;
	atomic_store(&a->sh->done, 1);
	pause(); /* killed holding the unit */
	return 0;
}

static void test_undo(void **state)
{
	const char *uri = impl_name(SHMRING_SEM_SYSV, "undo");
	struct eintr_shared *sh = sh_shared(4096);
	struct undo_arg a = {.uri = uri, .sh = sh};
	struct shmring_sync_open_opts oo = {.flags = SHMRING_SYNC_UNDO};
	shmring_sem_t *s = make(uri, SHMRING_SEM_SYSV, 1), *t = NULL;
	uint64_t t0 = test_now_ns();
	pid_t pid;

	(void)state;
	pid = sh_fork(undo_child, &a, 30);
	while (!atomic_load(&sh->done) && sh_ms_since(t0) < 5000.0 * TEST_SLOWDOWN)
		usleep(1000);
	assert_int_equal(sh->rc, 0);
	assert_int_equal(value_of(s), 0);
	kill(pid, SIGKILL);
	assert_int_equal(sh_join(pid, 10), 128 + SIGKILL);
	assert_int_equal(value_of(s), 1); /* given back by the kernel */
	/* UNDO only where it means something. */
	assert_int_equal(shmring_sem_open(impl_name(SHMRING_SEM_FUTEX, "x"), &oo, &t), -EINVAL);
	assert_int_equal(shmring_sem_create(impl_name(SHMRING_SEM_FUTEX, "x"),
	                                    &(struct shmring_sync_opts){.flags = SHMRING_SYNC_UNDO},
	                                    &t),
	                 -EINVAL);
	shmring_sem_close(s);
	munmap(sh, 4096);
}

/* --- Bad input ---------------------------------------------------------------------------------
 */

static void test_ring_and_kinds(void **state)
{
	const char *ring_uri = sh_name("posix", "ring"), *sem_uri = impl_name(1, "notring");
	const char *ev_uri = sh_name("posix", "event");
	struct shmring_opts ro = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 8};
	shmring_t *r = NULL;
	shmring_sem_t *s = NULL, *t = NULL;
	shmring_event_t *e = NULL;
	shmring_mutex_t *m = NULL;
	int rc;

	(void)state;
	assert_int_equal(shmring_create(ring_uri, &ro, SHMRING_OBSERVER, &r), 0);
	/* A ring opened as a semaphore: from a fresh mapping and from the
	 * process's mapping of the ring alike. */
	assert_int_equal(shmring_sem_open(ring_uri, NULL, &t), -SHMRING_EKIND);
	assert_null(t);
	shmring_close(r);
	assert_int_equal(shmring_sem_open(ring_uri, NULL, &t), -SHMRING_EKIND);
	assert_int_equal(shmring_mutex_open(ring_uri, NULL, &m), -SHMRING_EKIND);

	/* A semaphore opened as a ring. */
	s = make(sem_uri, SHMRING_SEM_FUTEX, 0);
	rc = shmring_open(sem_uri, SHMRING_OBSERVER, &r);
	print_message("a semaphore opened as a ring: %d (%s)\n", rc, shmring_strerror(rc));
	assert_int_equal(rc, -SHMRING_EKIND);
	assert_null(r);

	/* Kinds among themselves. */
	assert_int_equal(shmring_event_create(ev_uri, NULL, &e), 0);
	assert_int_equal(shmring_sem_open(ev_uri, NULL, &t), -SHMRING_EKIND);
	assert_int_equal(shmring_mutex_open(sem_uri, NULL, &m), -SHMRING_EKIND);
	assert_null(m);
	shmring_event_close(e);
	shmring_sem_close(s);
}

/* Write a header field through a raw mapping and fix the checksum (or not). */
static void forge_header(const char *uri, size_t off, uint64_t value, size_t width, bool fix)
{
	size_t size;
	unsigned char *base = sh_map_raw(uri, &size);
	uint64_t x = UINT64_C(0xcbf29ce484222325);

	memcpy(base + off, &value, width);
	if (fix) {
		for (size_t i = 0; i < 120; i++) {
			x ^= base[i];
			x *= UINT64_C(0x100000001b3);
		}
		memcpy(base + 120, &x, 8);
	}
	munmap(base, size);
}

static int open_rc(const char *uri, uint32_t flags)
{
	struct shmring_sync_open_opts oo = {.flags = flags};
	shmring_sem_t *s = NULL;
	int rc = shmring_sem_open(uri, &oo, &s);

	if (rc == 0)
		shmring_sem_close(s);
	else
		assert_null(s);
	return rc;
}

static void test_bad_segments(void **state)
{
	const char *uri = impl_name(SHMRING_SEM_FUTEX, "bad");
	char path[TEST_NAME_LEN + 16];
	shmring_sem_t *s = make(uri, SHMRING_SEM_FUTEX, 3);

	(void)state;
	/* Nothing below may find this process's mapping of the object. */
	shmring_sem_close(s);
	sh_shm_path(uri, false, path, sizeof(path));

	forge_header(uri, 8, 99, 4, true);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EVERSION);
	forge_header(uri, 8, SHMRING_SYNC_LAYOUT_VERSION, 4, true);
	assert_int_equal(open_rc(uri, 0), 0);
	forge_header(uri, 60, 1, 4, false);
	assert_int_equal(open_rc(uri, 0), -SHMRING_ECHECK);
	forge_header(uri, 60, 1, 4, true);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EGEOMETRY);
	forge_header(uri, 60, 0, 4, true);
	forge_header(uri, 16, 77, 4, true); /* an unknown kind */
	assert_int_equal(open_rc(uri, 0), -SHMRING_EVERSION);
	forge_header(uri, 16, SHMRING_SYNC_KIND_SEM, 4, true);
	forge_header(uri, 40, 8192, 8, true); /* says longer than it is */
	assert_int_equal(open_rc(uri, 0), -SHMRING_EGEOMETRY);
	forge_header(uri, 40, SHMRING_SYNC_SEGMENT_SIZE, 8, true);
	assert_int_equal(open_rc(uri, 0), 0);
	forge_header(uri, 0, UINT64_C(0x4141414141414141), 8, false);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EBADMAGIC);
	forge_header(uri, 0, 0, 8, false); /* no magic over a written header */
	assert_int_equal(open_rc(uri, SHMRING_SYNC_NOWAIT), -SHMRING_EBADMAGIC);
	forge_header(uri, 0, SHMRING_SYNC_MAGIC, 8, false);
	assert_int_equal(open_rc(uri, 0), 0);

	/* Truncated: shorter than the object, and than its header. */
	assert_int_equal(truncate(path, 200), 0);
	assert_int_equal(open_rc(uri, 0), -SHMRING_ETRUNCATED);
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(open_rc(uri, 0), -SHMRING_ETRUNCATED);

	/* An all-zero object: a creator at work, then one that died. */
	{
		int fd = open(path, O_RDWR | O_TRUNC);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 4096), 0);
		close(fd);
	}
	assert_int_equal(open_rc(uri, SHMRING_SYNC_NOWAIT), -EAGAIN);

	/* Another user's object (needs root to make one). */
	if (geteuid() == 0) {
		assert_int_equal(shmring_sem_unlink(uri), 0);
		s = make(uri, SHMRING_SEM_FUTEX, 0);
		shmring_sem_close(s);
		assert_int_equal(open_rc(uri, 0), 0);
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(open_rc(uri, 0), -SHMRING_EFOREIGN);
		/* Allowed, but the header's creator is not the owner. */
		assert_int_equal(open_rc(uri, SHMRING_SYNC_ANY_OWNER), -SHMRING_EOWNER);
	} else {
		print_message("not root: no foreign object made\n");
	}
	assert_int_equal(shmring_sem_unlink(uri), 0);
}

/*
 * A header rewritten (with a valid checksum) while this process has the
 * object open: a later open here validates it as a first open would, and
 * refuses a header that is no longer the one its mapping was opened with.
 */
static void test_reopen_forged(void **state)
{
	const char *uri = impl_name(SHMRING_SEM_FUTEX, "reopen");
	shmring_sem_t *s = make(uri, SHMRING_SEM_FUTEX, 3), *d = NULL;
	struct shmring_sync_hdr saved;
	size_t size;
	unsigned char *base = sh_map_raw(uri, &size);

	(void)state;
	memcpy(&saved, base, sizeof(saved));
	munmap(base, size);
	forge_header(uri, 24, (uint32_t)geteuid() + 1, 4, true); /* the creator */
	assert_int_equal(open_rc(uri, 0), -SHMRING_EOWNER);
	assert_int_equal(open_rc(uri, SHMRING_SYNC_ANY_OWNER), -SHMRING_EOWNER);
	forge_header(uri, 24, saved.creator_uid, 4, true);
	forge_header(uri, 32, saved.ctime_ns ^ 1, 8, true); /* valid, not the one seen */
	assert_int_equal(open_rc(uri, 0), -SHMRING_ECHECK);
	/* A handle of ours keeps the header its mapping validated. */
	assert_int_equal(shmring_sem_dup(s, &d), 0);
	assert_int_equal(value_of(d), 3);
	shmring_sem_close(d);
	forge_header(uri, 32, saved.ctime_ns, 8, true);
	assert_int_equal(open_rc(uri, 0), 0);
	shmring_sem_close(s);
}

static void test_bad_posix_files(void **state)
{
	const char *uri = impl_name(SHMRING_SEM_POSIX, "file");
	char path[TEST_NAME_LEN + 16];
	shmring_sem_t *s = make(uri, SHMRING_SEM_POSIX, 0);
	int fd;

	(void)state;
	shmring_sem_close(s);
	sh_shm_path(uri, true, path, sizeof(path));
	assert_int_equal(open_rc(uri, 0), 0);
	assert_int_equal(truncate(path, 8), 0);
	assert_int_equal(open_rc(uri, 0), -SHMRING_ETRUNCATED);
	assert_int_equal(truncate(path, 64), 0);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EBADMAGIC);
	assert_int_equal(truncate(path, sizeof(sem_t)), 0);
	assert_int_equal(open_rc(uri, 0), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(open_rc(uri, 0), -SHMRING_EFOREIGN);
		assert_int_equal(open_rc(uri, SHMRING_SYNC_ANY_OWNER), 0);
	}
	assert_int_equal(unlink(path), 0);
	/* A symbolic link in its place. */
	fd = open("/dev/null", O_RDONLY);
	close(fd);
	assert_int_equal(symlink("/dev/null", path), 0);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EBADMAGIC);
	assert_int_equal(unlink(path), 0);
	/* A directory, then a socket in its place: not a semaphore either. */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EBADMAGIC);
	assert_int_equal(rmdir(path), 0);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int sk = socket(AF_UNIX, SOCK_STREAM, 0);

		assert_true(sk >= 0 && strlen(path) < sizeof(sa.sun_path));
		strcpy(sa.sun_path, path);
		assert_int_equal(bind(sk, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(open_rc(uri, 0), -SHMRING_EBADMAGIC);
		close(sk);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(open_rc(uri, 0), -ENOENT);
}

/* The largest System V key is a key like any other (not ftok()'s -1): the
 * object under it is found, and the other implementation refused beside it. */
static void test_sysv_key_max(void **state)
{
	const char *uri = "sysv:0xffffffff";
	struct shmring_sync_opts so = {.impl = SHMRING_SEM_SYSV};
	shmring_sem_t *s, *t = NULL;

	(void)state;
	if (shmring_sem_unlink(uri) == 0)
		fprintf(stderr, "removed a stale object under %s\n", uri);
	s = make(uri, SHMRING_SEM_FUTEX, 3);
	assert_int_equal(shmring_sem_open(uri, NULL, &t), 0);
	assert_int_equal(shmring_sem_impl(t), SHMRING_SEM_FUTEX);
	assert_int_equal(value_of(t), 3);
	shmring_sem_close(t);
	t = NULL;
	assert_int_equal(shmring_sem_create(uri, &so, &t), -EEXIST);
	assert_null(t);
	shmring_sem_close(s);
	assert_int_equal(shmring_sem_unlink(uri), 0);
	assert_int_equal(shmring_sem_unlink(uri), -ENOENT);
}

static void test_foreign_sysv(void **state)
{
	const char *uri = sh_name("sysv", "foreign");
	key_t key = sh_sysv_key(uri);
	struct sembuf op = {.sem_num = 0, .sem_op = 1, .sem_flg = 0};
	int id;

	(void)state;
	/* Three semaphores: not ours. */
	id = semget(key, 3, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EBADMAGIC);
	assert_int_equal(shmring_sem_unlink(uri), -SHMRING_EBADMAGIC); /* left alone */
	assert_int_equal(semctl(id, 0, IPC_RMID), 0);
	/* Two, but no marker, and used already. */
	id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	assert_int_equal(open_rc(uri, SHMRING_SYNC_NOWAIT), -EAGAIN); /* as a creator at work */
	assert_int_equal(semop(id, &op, 1), 0);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EBADMAGIC);
	assert_int_equal(semctl(id, 1, SETVAL, 1234), 0);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EBADMAGIC);
	assert_int_equal(semctl(id, 1, SETVAL, SHMRING_SYSV_MARKER), 0);
	assert_int_equal(open_rc(uri, 0), 0);
	assert_int_equal(shmring_sem_unlink(uri), 0);
	assert_int_equal(open_rc(uri, 0), -ENOENT);
	/* Two, never operated on: a creator at work while young, removed by
	 * unlink then; older than a creator takes, another program's, left
	 * alone (it was removed). */
	id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	assert_int_equal(shmring_sem_unlink(uri), 0);
	id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	sleep(3);
	assert_int_equal(shmring_sem_unlink(uri), -SHMRING_EBADMAGIC);
	/* and open says so at once (it was "still being created"). */
	assert_int_equal(open_rc(uri, SHMRING_SYNC_NOWAIT), -SHMRING_EBADMAGIC);
	assert_int_equal(open_rc(uri, 0), -SHMRING_EBADMAGIC);
	assert_int_equal(semctl(id, 0, IPC_RMID), 0);
}

static void test_bad_options(void **state)
{
	const char *p = impl_name(SHMRING_SEM_FUTEX, "opts");
	shmring_sem_t *s = (shmring_sem_t *)1;
	struct shmring_sync_opts o = {0};
	struct shmring_sync_open_opts oo = {0};

	(void)state;
	assert_int_equal(shmring_sem_create(p, NULL, NULL), -EINVAL);
	o.reserved[2] = 1;
	assert_int_equal(shmring_sem_create(p, &o, &s), -EINVAL);
	assert_null(s);
	o = (struct shmring_sync_opts){.impl = 4};
	assert_int_equal(shmring_sem_create(p, &o, &s), -EINVAL);
	o = (struct shmring_sync_opts){.mode = 01777};
	assert_int_equal(shmring_sem_create(p, &o, &s), -EINVAL);
	o = (struct shmring_sync_opts){.flags = SHMRING_SYNC_MANUAL_RESET};
	assert_int_equal(shmring_sem_create(p, &o, &s), -EINVAL);
	o = (struct shmring_sync_opts){.impl = SHMRING_SEM_POSIX};
	assert_int_equal(shmring_sem_create(sh_name("sysv", "x"), &o, &s), -EINVAL);
	assert_int_equal(shmring_sem_create("anon:", &o, &s), -EINVAL);
	o = (struct shmring_sync_opts){.impl = SHMRING_SEM_SYSV};
	assert_int_equal(shmring_sem_create(p, &o, &s), -EINVAL);
	o = (struct shmring_sync_opts){.flags = SHMRING_SYNC_REPLACE};
	assert_int_equal(shmring_sem_create("anon:", &o, &s), -EINVAL);
	assert_int_equal(shmring_sem_create("bogus:/x", NULL, &s), -EPROTONOSUPPORT);
	assert_int_equal(shmring_sem_create("posix:/a/b", NULL, &s), -EINVAL);
	oo.reserved0 = 1;
	assert_int_equal(shmring_sem_open(p, &oo, &s), -EINVAL);
	oo = (struct shmring_sync_open_opts){.flags = SHMRING_SYNC_REPLACE};
	assert_int_equal(shmring_sem_open(p, &oo, &s), -EINVAL);
	assert_int_equal(shmring_sem_open("anon:", NULL, &s), -ENOENT);
	assert_null(s);
	assert_int_equal(shmring_sem_post(NULL), -EINVAL);
	assert_int_equal(shmring_sem_wait(NULL, 0), -EINVAL);
	assert_int_equal(shmring_sem_impl(NULL), 0);
	assert_int_equal(shmring_sem_dup(NULL, &s), -EINVAL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_basics_futex, sh_teardown),
	    cmocka_unit_test_teardown(test_basics_posix, sh_teardown),
	    cmocka_unit_test_teardown(test_basics_sysv, sh_teardown),
	    cmocka_unit_test_teardown(test_futex_schemes, sh_teardown),
	    cmocka_unit_test_teardown(test_counts_futex, sh_teardown),
	    cmocka_unit_test_teardown(test_counts_posix, sh_teardown),
	    cmocka_unit_test_teardown(test_counts_sysv, sh_teardown),
	    cmocka_unit_test_teardown(test_timeouts_futex, sh_teardown),
	    cmocka_unit_test_teardown(test_timeouts_posix, sh_teardown),
	    cmocka_unit_test_teardown(test_timeouts_sysv, sh_teardown),
	    cmocka_unit_test_teardown(test_eintr_futex, sh_teardown),
	    cmocka_unit_test_teardown(test_eintr_posix, sh_teardown),
	    cmocka_unit_test_teardown(test_eintr_sysv, sh_teardown),
	    cmocka_unit_test_teardown(test_pingpong_futex, sh_teardown),
	    cmocka_unit_test_teardown(test_pingpong_posix, sh_teardown),
	    cmocka_unit_test_teardown(test_pingpong_sysv, sh_teardown),
	    cmocka_unit_test_teardown(test_limits, sh_teardown),
	    cmocka_unit_test_teardown(test_forged_count, sh_teardown),
	    cmocka_unit_test_teardown(test_dead_waiter, sh_teardown),
	    cmocka_unit_test_teardown(test_forged_posix_flags, sh_teardown),
	    cmocka_unit_test_teardown(test_lost_wake, sh_teardown),
	    cmocka_unit_test_teardown(test_lost_wake_posix, sh_teardown),
	    cmocka_unit_test_teardown(test_undo, sh_teardown),
	    cmocka_unit_test_teardown(test_ring_and_kinds, sh_teardown),
	    cmocka_unit_test_teardown(test_bad_segments, sh_teardown),
	    cmocka_unit_test_teardown(test_reopen_forged, sh_teardown),
	    cmocka_unit_test_teardown(test_bad_posix_files, sh_teardown),
	    cmocka_unit_test_teardown(test_sysv_key_max, sh_teardown),
	    cmocka_unit_test_teardown(test_foreign_sysv, sh_teardown),
	    cmocka_unit_test_teardown(test_bad_options, sh_teardown),
	};

	if (argc > 1)
		pingpong_cycles = (unsigned)strtoul(argv[1], NULL, 0);
	alarm(600 * TEST_SLOWDOWN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
