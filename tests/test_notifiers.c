/* SPDX-License-Identifier: MIT */
/*
 * test_notifiers: no lost wake-ups with any notifier (futex eventcount,
 * POSIX semaphore, System V semaphore) and any wait policy that parks
 * (adaptive, park) or does not (spin, yield). Two processes play ping-pong
 * through two SPSC rings with blocking calls; every wait has a deadline,
 * and a wait that times out is a wake-up lost. With the park policy each
 * round trip is a park and a wake on each side, and the segment's park
 * counters must show it. argv[1] sets the round trips per combination
 * (default 10^4; the stress run asks for 10^6 with the park policy, the one
 * that parks on every round trip: 10^6 park/wake cycles per notifier).
 *
 * Also: the notifier is recorded in the header (shmring_info().notifier),
 * open-or-create with another notifier is -SHMRING_EMISMATCH, a System V
 * notifier on memfd:/anon: is -EOPNOTSUPP, shmring_unlink() removes the
 * System V set, and a header naming a set that is not the ring's (another
 * size, removed, keyed, or another ring's) is refused; a sleeper whose set
 * is removed under it (the ring unlinked) still sees a message in time.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#include "helpers.h"
#include "src/internal.h"

static uint64_t rounds = 10000;

/*
 * Late wake-ups allowed in a run: a sleep that ends on its short first
 * timeout with the wait over is counted late, and that also happens when
 * the answer comes just as the timeout ends (the other side descheduled for
 * the whole millisecond, on a loaded machine). A wake-up the notifiers
 * really miss would show at every turn of some race, thousands of times in
 * a long run: a few in 10^5 round trips is the bound.
 */
static uint64_t late_allowed(void)
{
	return 2 + rounds / 50000;
}

/*
 * With the park policy, wait before each send until the receiver has
 * committed to sleep (the SLEEP bit of the ring's not-empty waiters word,
 * C-commit): a ping-pong faster than its settle would never park at all
 * (and test no wake-up), and a send right after the commit lands in the
 * window between the commit and the sleep itself, the one a notifier must
 * not miss. A receiver that does not commit within 20 ms (times
 * TEST_SLOWDOWN: descheduled on a loaded machine, or dead) is not waited for
 * further: the send goes on, and a dead receiver shows in the round trip.
 */
static void await_commit(shmring_t *to, uint32_t mode)
{
	_Atomic uint32_t *w = &shmring__not_empty(to->base)->waiters;
	uint64_t until;

	if (mode != SHMRING_WAIT_PARK)
		return;
	until = shmring_clock_ns() + 20000000ull * TEST_SLOWDOWN;
	/* Relaxed: only a hint of when to send; the send orders itself. */
	while (!(atomic_load_explicit(w, memory_order_relaxed) & SHMRING_EC_SLEEP) &&
	       shmring_clock_ns() < until)
		sched_yield();
}

static bool parking_only;

#define WAIT_NS (10000000000ull * TEST_SLOWDOWN) /* a lost wake-up, not a slow one */

/*
 * Every handle sleeps with the longest recovery deadline: its sleeps are not
 * cut short by a re-check every few milliseconds, which would hide a lost
 * wake-up; a lost one waits out WAIT_NS and fails.
 */
static void longest_sleeps(shmring_t *r, uint32_t mode)
{
	struct shmring_wait w = {.mode = mode};

	shmring_set_wait(r, &w);
	shmring_set_recovery(r, 60000000000ull);
}

static const char *notifier_name(uint32_t n)
{
	return n == SHMRING_NOTIFIER_FUTEX ? "futex" : n == SHMRING_NOTIFIER_PSEM ? "psem" : "sysvsem";
}

static shmring_t *make(const char *name, uint32_t notifier, unsigned role)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 16,
				 .notifier = notifier, .flags = SHMRING_CREATE_REPLACE};
	shmring_t *r;
	int rc = shmring_create(name, &o, role, &r);

	if (rc < 0)
		fail_msg("create %s (%s): %s", name, notifier_name(notifier), shmring_strerror(rc));
	return r;
}

/* The set a ring's header names, and whether it exists. */
static int semid_of(shmring_t *r)
{
	return ((struct shmring_hdr *)shmring__map_base(r->map))->semid;
}

/* The child: receive on ping, answer on pong, rounds times. */
static int echo(const char *ping, const char *pong, uint32_t mode)
{
	shmring_t *in, *out;
	uint64_t v;

	if (shmring_open(ping, SHMRING_CONSUMER, &in) || shmring_open(pong, SHMRING_PRODUCER, &out))
		return 10;
	longest_sleeps(in, mode);
	longest_sleeps(out, mode);
	for (uint64_t i = 0; i < rounds; i++) {
		int rc = shmring_recv(in, &v, shmring_deadline_in(WAIT_NS));

		if (rc < 0) {
			fprintf(stderr, "echo: recv %" PRIu64 ": %s\n", i, shmring_strerror(rc));
			return 11;
		}
		if (v != i)
			return 12;
		await_commit(out, mode);
		rc = shmring_send(out, &v, shmring_deadline_in(WAIT_NS));
		if (rc < 0)
			return 13;
	}
	{
		struct shmring_info a, b;

		/* A wake-up the unfenced notify missed ends a sleep only on its
		 * short first timeout: counted, and rare (late_allowed()). */
		if (shmring_info(in, &a) || shmring_info(out, &b) ||
		    a.late_wakes + b.late_wakes > late_allowed()) {
			fprintf(stderr, "echo: %" PRIu64 " + %" PRIu64 " late wake-ups\n",
				a.late_wakes, b.late_wakes);
			return 14;
		}
	}
	shmring_close(in);
	shmring_close(out);
	return 0;
}

static void pingpong(uint32_t notifier, uint32_t mode)
{
	char ping[96], pong[96];
	struct shmring_info in;
	shmring_t *tx, *rx;
	pid_t pid;
	int st;

	snprintf(ping, sizeof(ping), "%s", test_ring_name("ping"));
	snprintf(pong, sizeof(pong), "%s", test_ring_name("pong"));
	tx = make(ping, notifier, SHMRING_PRODUCER);
	rx = make(pong, notifier, SHMRING_CONSUMER);
	longest_sleeps(tx, mode);
	longest_sleeps(rx, mode);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(echo(ping, pong, mode));
	for (uint64_t i = 0; i < rounds; i++) {
		uint64_t v = i;
		int rc;

		await_commit(tx, mode);
		rc = shmring_send(tx, &v, shmring_deadline_in(WAIT_NS));

		if (rc == 0)
			rc = shmring_recv(rx, &v, shmring_deadline_in(WAIT_NS));
		if (rc < 0 || v != i) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("%s/%u: round %" PRIu64 ": %s (a lost wake-up times out)",
				 notifier_name(notifier), mode, i, rc < 0 ? shmring_strerror(rc) : "wrong value");
		}
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(shmring_info(rx, &in), 0);
	assert_int_equal(in.notifier, notifier);
	{
		struct shmring_info out;

		assert_int_equal(shmring_info(tx, &out), 0);
		if (in.late_wakes + out.late_wakes > late_allowed())
			fail_msg("%s/%u: %" PRIu64 " + %" PRIu64 " wake-ups missed by the notifier",
				 notifier_name(notifier), mode, in.late_wakes, out.late_wakes);
	}
	/* Posts whose sleeper never slept do not pile up (a pile makes every
	 * wait return at once: a sleeper that spins). */
	for (int d = 0; d < 2; d++) {
		shmring_t *h = d ? rx : tx;
		int v = 0;

		if (notifier == SHMRING_NOTIFIER_PSEM)
			sem_getvalue((sem_t *)(void *)shmring__not_empty(h->base)->psem, &v);
		else if (notifier == SHMRING_NOTIFIER_SYSVSEM)
			v = semctl(semid_of(h), 0, GETVAL);
		if (v > 2)
			fail_msg("%s: %d posts left on a ring after the run", notifier_name(notifier), v);
	}
	if (mode == SHMRING_WAIT_PARK)
		/* The child answers once the parent has committed to sleep on
		 * pong (await_commit()): every round trip parks it, but for
		 * answers that gave up waiting on a loaded machine. */
		assert_true(in.empty_waits >= rounds / 2);
	printf("%-8s mode %u: %" PRIu64 " round trips, %" PRIu64 " parks on pong\n",
	       notifier_name(notifier), mode, rounds, in.empty_waits);
	shmring_close(tx);
	shmring_close(rx);
	assert_int_equal(shmring_unlink(ping), 0);
	assert_int_equal(shmring_unlink(pong), 0);
}

static void each_mode(uint32_t notifier)
{
	static const uint32_t modes[] = {SHMRING_WAIT_PARK, SHMRING_WAIT_ADAPTIVE,
					 SHMRING_WAIT_YIELD, SHMRING_WAIT_SPIN};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!parking_only || modes[i] == SHMRING_WAIT_PARK)
			pingpong(notifier, modes[i]);
}

static void test_futex(void **state)
{
	(void)state;
	each_mode(SHMRING_NOTIFIER_FUTEX);
}

static void test_psem(void **state)
{
	(void)state;
	each_mode(SHMRING_NOTIFIER_PSEM);
}

static void test_sysvsem(void **state)
{
	(void)state;
	each_mode(SHMRING_NOTIFIER_SYSVSEM);
}

static void test_lifecycle(void **state)
{
	const char *name = test_ring_name("life");
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 16,
				 .notifier = SHMRING_NOTIFIER_SYSVSEM};
	struct shmring_opts other = o;
	shmring_t *r, *r2;
	int id;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), 0);
	id = semid_of(r);
	assert_true(id >= 0);
	assert_true(semctl(id, 0, GETVAL) >= 0);
	/* Open-or-create insists on the notifier too. */
	other.notifier = SHMRING_NOTIFIER_PSEM;
	other.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_create(name, &other, SHMRING_OBSERVER, &r2), -SHMRING_EMISMATCH);
	other.notifier = SHMRING_NOTIFIER_SYSVSEM;
	assert_int_equal(shmring_create(name, &other, SHMRING_OBSERVER, &r2), 0);
	shmring_close(r2);
	shmring_close(r);
	/* Unlink takes the set with it. */
	assert_int_equal(shmring_unlink(name), 0);
	assert_int_equal(semctl(id, 0, GETVAL), -1);
	/* Also from a ring truncated after its header (it was left behind,
	 * and IPC_PRIVATE: nothing named it any more). */
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), 0);
	id = semid_of(r);
	shmring_close(r);
	{
		int fd = shm_open(name, O_RDWR, 0);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 4096), 0);
		close(fd);
	}
	assert_int_equal(shmring_unlink(name), 0);
	assert_int_equal(semctl(id, 0, GETVAL), -1);
	/* Nothing named would remove a set made for memfd: or anon:. */
	assert_int_equal(shmring_create("memfd:", &o, SHMRING_OBSERVER, &r), -EOPNOTSUPP);
	assert_int_equal(shmring_create("anon:", &o, SHMRING_OBSERVER, &r), -EOPNOTSUPP);
	o.notifier = 3;
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), -EINVAL);
}

/* A header rewritten to name a set that is not the ring's is refused: one of
 * another size, one that is gone, a keyed set, another ring's set. */
/* The first page of ring name, mapped here to forge what a peer could. */
static void *map_first_page(const char *name)
{
	int fd = shm_open(name, O_RDWR, 0);
	void *base;

	assert_true(fd >= 0);
	base = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(base != MAP_FAILED);
	close(fd);
	return base;
}

static void test_forged_set(void **state)
{
	const char *name = test_ring_name("forged");
	const char *other_name = test_ring_name("forged2");
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 16,
				 .notifier = SHMRING_NOTIFIER_SYSVSEM};
	struct shmring_hdr *h;
	shmring_t *r, *r2;
	key_t key = (key_t)(0x53000000u | ((unsigned)getpid() & 0xffffffu));
	int own, keyed, other, rc, stranger = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);

	(void)state;
	assert_true(stranger >= 0);
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), 0);
	own = semid_of(r);
	shmring_close(r);
	/* Through a raw mapping of our own: the header now names the stranger. */
	h = map_first_page(name);
	h->semid = stranger;
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &r2), -SHMRING_EGEOMETRY);
	/* ... or a set that is gone. */
	semctl(stranger, 0, IPC_RMID);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &r2), -EIDRM);
	/* ... or a named (keyed) set of two of our own: some program's, never
	 * a ring's. */
	keyed = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
	if (keyed < 0)
		fail_msg("semget key 0x%x: %s", (unsigned)key, strerror(errno));
	h->semid = keyed;
	h->check = shmring__hdr_checksum(h);
	rc = shmring_open(name, SHMRING_CONSUMER, &r2);
	if (rc == 0)
		shmring_close(r2);
	semctl(keyed, 0, IPC_RMID); /* before the check: never left behind */
	assert_int_equal(rc, -SHMRING_EGEOMETRY);
	/* ... or the set of another ring of ours, made seconds later. */
	test_sleep_ms(2100);
	assert_int_equal(shmring_create(other_name, &o, SHMRING_OBSERVER, &r), 0);
	other = semid_of(r);
	shmring_close(r);
	h->semid = other;
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &r2), -SHMRING_EGEOMETRY);
	assert_int_equal(shmring_open(other_name, SHMRING_CONSUMER, &r2), 0);
	shmring_close(r2);
	assert_int_equal(shmring_unlink(other_name), 0);
	h->semid = own;
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &r2), 0);
	shmring_close(r2);
	munmap(h, 4096);
	assert_int_equal(shmring_unlink(name), 0);
	assert_int_equal(semctl(own, 0, GETVAL), -1);
}

/*
 * A ring that no longer opens (its consumer position forged past the
 * producer's) still takes its set with it: unlink reads only the header.
 * It opened the ring to find the set, and left the set behind.
 */
static void test_unlink_unopenable(void **state)
{
	const char *name = test_ring_name("unopenable");
	struct shmring_opts o = {.kind = SHMRING_KIND_MPMC, .slot_size = 16, .capacity = 8,
				 .notifier = SHMRING_NOTIFIER_SYSVSEM};
	struct shmring_side *cons;
	shmring_t *r;
	void *base;
	int id;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), 0);
	id = semid_of(r);
	shmring_close(r);
	base = map_first_page(name);
	cons = shmring__cons_side(base);
	atomic_store(&cons->pos, 0x3f);
	munmap(base, 4096);
	assert_true(shmring_open(name, SHMRING_OBSERVER, &r) < 0);
	assert_true(semctl(id, 0, GETVAL) >= 0);
	assert_int_equal(shmring_unlink(name), 0);
	assert_int_equal(semctl(id, 0, GETVAL), -1);
}


/*
 * The ring unlinked (its System V set removed) while a consumer sleeps on
 * the set: the sleeper's semtimedop fails, and it must still look at the
 * ring once per recovery deadline. It slept out its whole wait instead (no
 * deadline: for ever), with a message waiting in the ring.
 */
static void test_set_removed_under_sleeper(void **state)
{
	const char *name = test_ring_name("removed");
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 16,
				 .notifier = SHMRING_NOTIFIER_SYSVSEM};
	shmring_t *obs, *p;
	uint64_t v = 42;
	pid_t pid;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &obs), 0);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct shmring_wait w = {.mode = SHMRING_WAIT_PARK};
		shmring_t *c;
		uint64_t got = 0;

		alarm(60);
		if (shmring_open(name, SHMRING_CONSUMER, &c) != 0 || shmring_set_wait(c, &w) != 0)
			_exit(2);
		_exit(shmring_recv(c, &got, SHMRING_NO_DEADLINE) == 0 && got == 42 ? 0 : 3);
	}
	{
		/* Asleep on the set before the ring goes: what the test is about
		 * (a child not yet there could not open it). */
		_Atomic uint32_t *w = &shmring__not_empty(obs->base)->waiters;
		uint64_t until = shmring_clock_ns() + 5000000000ull * TEST_SLOWDOWN;

		/* Relaxed: a look at a flag, nothing read through it. */
		while (!(atomic_load_explicit(w, memory_order_relaxed) & SHMRING_EC_SLEEP))
			if (shmring_clock_ns() > until)
				fail_msg("the consumer never went to sleep");
			else
				test_sleep_ms(1);
	}
	test_sleep_ms(20); /* in its semtimedop */
	assert_int_equal(shmring_unlink(name), 0);
	test_sleep_ms(50); /* its semtimedop has failed */
	assert_int_equal(shmring_send(p, &v, SHMRING_NO_DEADLINE), 0);
	assert_int_equal(test_wait_pid(pid, 2000 * TEST_SLOWDOWN), 0);
	shmring_close(p);
	shmring_close(obs);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_futex, test_teardown_names),
		cmocka_unit_test_teardown(test_psem, test_teardown_names),
		cmocka_unit_test_teardown(test_sysvsem, test_teardown_names),
		cmocka_unit_test_teardown(test_lifecycle, test_teardown_names),
		cmocka_unit_test_teardown(test_forged_set, test_teardown_names),
		cmocka_unit_test_teardown(test_unlink_unopenable, test_teardown_names),
		cmocka_unit_test_teardown(test_set_removed_under_sleeper, test_teardown_names),
	};

	if (argc > 1) {
		rounds = strtoull(argv[1], NULL, 10);
		parking_only = true;
	}
	rounds /= TEST_MSG_DIVISOR;
	alarm(rounds > 100000 ? 3000 : 600);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
