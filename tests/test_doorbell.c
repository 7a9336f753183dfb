/* SPDX-License-Identifier: MIT */
/*
 * test_doorbell: the signal doorbell.
 *   - A consumer in an epoll loop (signalfd) receives every message from 4
 *     producer processes; the signals are coalesced (far fewer than
 *     messages), and each carries the registered token.
 *   - shmring_doorbell_wait(): -ETIMEDOUT with nothing to read, 0 once a
 *     message comes, 0 at end-of-stream.
 *   - A consumer in its own loop (arm, then a sleep with a timeout) learns
 *     of its producer's SIGKILL from the arm within a second: end-of-stream.
 *   - A registered waiter SIGKILLed while armed is never signalled: the
 *     producer finds it dead, reaps it and takes its doorbell off.
 *   - A signal number forged into a registrant's entry, one the process
 *     neither catches nor ignores, is never sent (it would end it), even
 *     while /proc shows it blocked by every thread (a thread being made);
 *     its own still is: registration gave it a handler.
 *   - A registrant of another uid is refused; a forged entry naming a live
 *     process of another user (it maps the ring) is never signalled.
 *   - Misuse: a producer handle, a signal out of range, a signal not blocked.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "doorbell_helpers.h"
#include "helpers.h"
#include "src/internal.h"

#define PRODUCERS 4
#define PER_PRODUCER 20000u

static int bell_sig(void)
{
	return SIGRTMIN + 3;
}

static void block_bell(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, bell_sig());
	assert_int_equal(sigprocmask(SIG_BLOCK, &s, NULL), 0);
}

/* A child to play a consumer: gate tells the parent it is ready, done that
 * the parent has sent. */
static pid_t fork_gated(int gate[2], int done[2])
{
	pid_t pid;

	assert_int_equal(pipe(gate), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	return pid;
}

/* The child's side: ready, then whether the doorbell's signal came within
 * 300 ms of the parent's send. */
static bool child_rung(int gate[2], int done[2])
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 300000000};
	sigset_t pend;
	char c;

	(void)!write(gate[1], "r", 1);
	(void)!read(done[0], &c, 1);
	nanosleep(&ts, NULL);
	sigpending(&pend);
	return sigismember(&pend, bell_sig());
}

/* The participant entry of pid, in the ring obs observes. */
static uint32_t entry_of(shmring_t *obs, pid_t pid)
{
	struct shmring_part *parts = shmring__parts(shmring__map_base(obs->map));

	for (uint32_t i = 0; i < 64; i++)
		if (SHMRING_PART_PID(shmring__load_relaxed(&parts[i].owner)) == (uint32_t)pid)
			return i;
	fail_msg("no participant entry for pid %d", (int)pid);
	return 0;
}

static shmring_t *make(const char *name, uint32_t kind, uint32_t mode)
{
	struct shmring_opts o = {.kind = kind, .slot_size = 16, .capacity = 256, .mode = mode,
				 .flags = SHMRING_CREATE_REPLACE};
	shmring_t *r;

	assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, &r), 0);
	return r;
}

static void test_epoll_four_producers(void **state)
{
	const char *name = test_ring_name("bell");
	shmring_t *rx = make(name, SHMRING_KIND_MPSC, 0);
	uint32_t next[PRODUCERS] = {0};
	struct shmring_info in;
	uint64_t got = 0, signals = 0, m[2];
	sigset_t s;
	int sfd, ep;
	pid_t pids[PRODUCERS];
	struct epoll_event ev = {.events = EPOLLIN};

	(void)state;
	block_bell();
	sigemptyset(&s);
	sigaddset(&s, bell_sig());
	sfd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
	assert_true(sfd >= 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev), 0);
	assert_int_equal(shmring_doorbell_register(rx, bell_sig(), 4242), 0);
	for (uint32_t p = 0; p < PRODUCERS; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0)
			_exit(doorbell_produce(name, p, PER_PRODUCER));
	}
	while (got < (uint64_t)PRODUCERS * PER_PRODUCER) {
		struct signalfd_siginfo si;
		int rc;

		/* Drain, then arm; sleep only when arming found nothing. */
		rc = doorbell_drain(rx, next, PRODUCERS, &got);
		if (got == (uint64_t)PRODUCERS * PER_PRODUCER)
			break;
		/* All producers attached so far may have finished before the
		 * last one attached: end-of-stream for now, not for good. */
		if (rc == -EPIPE) {
			usleep(1000);
			continue;
		}
		assert_int_equal(rc, -EAGAIN);
		rc = shmring_doorbell_arm(rx);
		assert_true(rc >= 0);
		if (rc == 1)
			continue;
		rc = epoll_wait(ep, &ev, 1, 10000 * (int)TEST_SLOWDOWN);
		if (rc != 1)
			fail_msg("no doorbell within 10 s: a lost wake-up (got %" PRIu64 ")", got);
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			assert_int_equal(si.ssi_signo, (uint32_t)bell_sig());
			assert_int_equal(si.ssi_int, 4242);
			assert_int_equal(si.ssi_code, SI_QUEUE);
			signals++;
		}
	}
	for (int p = 0; p < PRODUCERS; p++) {
		int st;

		assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(shmring_info(rx, &in), 0);
	printf("%" PRIu64 " messages, %" PRIu64 " signals received, %" PRIu64 " sent\n", got,
	       signals, in.bell_signals);
	assert_true(signals >= 1);
	assert_true(in.bell_signals <= got / 2); /* coalesced */
	/* Every producer has gone: end-of-stream is readable. */
	assert_int_equal(shmring_doorbell_arm(rx), 1);
	assert_int_equal(shmring_try_recv(rx, m), -EPIPE);
	close(ep);
	close(sfd);
	shmring_close(rx);
}

static void test_wait(void **state)
{
	const char *name = test_ring_name("bellw");
	shmring_t *rx = make(name, SHMRING_KIND_SPSC, 0), *tx;
	uint64_t m[2] = {7, 8}, t0;
	pid_t pid;

	(void)state;
	block_bell();
	assert_int_equal(shmring_doorbell_register(rx, bell_sig(), 1), 0);
	t0 = test_now_ns();
	assert_int_equal(shmring_doorbell_wait(rx, shmring_deadline_in(50000000)), -ETIMEDOUT);
	assert_true(test_now_ns() - t0 >= 50000000);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(100000);
		if (shmring_open(name, SHMRING_PRODUCER, &tx) < 0 || shmring_try_send(tx, m) < 0)
			_exit(1);
		usleep(100000);
		_exit(0); /* closing by exit: end-of-stream once drained */
	}
	assert_int_equal(shmring_doorbell_wait(rx, shmring_deadline_in(10000000000ull)), 0);
	assert_int_equal(shmring_try_recv(rx, m), 0);
	assert_int_equal(m[0], 7);
	waitpid(pid, NULL, 0);
	/* The dead producer is noticed within the recovery deadline's sleeps. */
	assert_int_equal(shmring_doorbell_wait(rx, shmring_deadline_in(10000000000ull)), 0);
	assert_int_equal(shmring_recv(rx, m, shmring_deadline_in(1000000000)), -EPIPE);
	assert_int_equal(shmring_doorbell_unregister(rx), 0);
	assert_int_equal(shmring_doorbell_arm(rx), -EINVAL);
	shmring_close(rx);
}

/*
 * A consumer in its own loop (arm, then sigtimedwait() with a timeout of
 * 100 ms) whose only producer is SIGKILLed: a dead producer rings nothing,
 * and the presence word still counts it, so the arm must look at the
 * producers itself. It returns 1 within a second (a few timeouts), and the
 * receive says end-of-stream. Without that look the loop armed and slept
 * for ever.
 */
static void test_arm_sees_killed_producer(void **state)
{
	const char *name = test_ring_name("bellkp");
	shmring_t *rx = make(name, SHMRING_KIND_SPSC, 0), *tx;
	struct timespec tmo = {.tv_sec = 0, .tv_nsec = 100000000};
	sigset_t s;
	uint64_t m[2] = {5, 6}, t0;
	int gate[2], rc = 0;
	pid_t pid;
	char c;

	(void)state;
	block_bell();
	assert_int_equal(shmring_doorbell_register(rx, bell_sig(), 4), 0);
	assert_int_equal(pipe(gate), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (shmring_open(name, SHMRING_PRODUCER, &tx) < 0 || shmring_try_send(tx, m) < 0)
			_exit(1);
		(void)!write(gate[1], "r", 1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(gate[0], &c, 1), 1);
	assert_int_equal(shmring_doorbell_arm(rx), 1); /* the message */
	assert_int_equal(shmring_try_recv(rx, m), 0);
	assert_int_equal(m[0], 5);
	assert_int_equal(shmring_try_recv(rx, m), -EAGAIN);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	sigemptyset(&s);
	sigaddset(&s, bell_sig());
	t0 = test_now_ns();
	while (test_now_ns() - t0 < 5000000000ull && (rc = shmring_doorbell_arm(rx)) == 0)
		sigtimedwait(&s, NULL, &tmo);
	print_message("arm after the producer's SIGKILL: %d after %.0f ms\n", rc,
		      (double)(test_now_ns() - t0) / 1e6);
	assert_int_equal(rc, 1);
	assert_true(test_now_ns() - t0 < 1000000000ull);
	assert_int_equal(shmring_try_recv(rx, m), -EPIPE);
	shmring_close(rx);
	close(gate[0]);
	close(gate[1]);
}

static void test_killed_registrant(void **state)
{
	const char *name = test_ring_name("bellk");
	shmring_t *obs = make(name, SHMRING_KIND_MPSC, 0), *tx, *rx;
	struct shmring_info in;
	uint64_t m[2] = {1, 2};
	int gate[2];
	pid_t pid;
	char c;

	(void)state;
	/* make() took the consumer role; give it back to the child. */
	shmring_close(obs);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &obs), 0);
	assert_int_equal(pipe(gate), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		block_bell();
		if (shmring_open(name, SHMRING_CONSUMER, &rx) < 0 ||
		    shmring_doorbell_register(rx, bell_sig(), 9) < 0 || shmring_doorbell_arm(rx) != 0)
			_exit(1);
		(void)!write(gate[1], "r", 1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(gate[0], &c, 1), 1);
	assert_true(shmring__load_relaxed(&shmring__ctl(shmring__map_base(obs->map))->bells) != 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_try_send(tx, m), 0);
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.bell_signals, 0);
	/* Found dead, reaped, and its doorbell taken off the mask. */
	assert_int_equal(shmring__load_relaxed(&shmring__ctl(shmring__map_base(obs->map))->bells), 0);
	assert_true(in.reaped >= 1);
	shmring_close(tx);
	shmring_close(obs);
	close(gate[0]);
	close(gate[1]);
}

static void test_other_user(void **state)
{
	const char *name = test_ring_name("bellu");
	shmring_t *rx, *tx, *obs;
	struct shmring_part *parts;
	struct shmring_info in;
	uint64_t m[2] = {3, 4};
	int gate[2], done[2], st;
	uint32_t i;
	pid_t pid;
	char c;

	(void)state;
	if (geteuid() != 0)
		skip();
	obs = make(name, SHMRING_KIND_MPSC, 0666);
	shmring_close(obs);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &obs), 0);
	pid = fork_gated(gate, done);
	if (pid == 0) {
		struct shmring_open_opts oo = {.flags = SHMRING_OPEN_ANY_OWNER};

		block_bell();
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		if (shmring_open_ex(name, SHMRING_CONSUMER, &oo, &rx) < 0)
			_exit(3);
		/* Refused: the ring is another user's. */
		if (shmring_doorbell_register(rx, bell_sig(), 5) != -EPERM)
			_exit(4);
		_exit(child_rung(gate, done) ? 5 : 0);
	}
	assert_int_equal(read(gate[0], &c, 1), 1);
	/* Forge the stranger's entry into an armed doorbell. */
	parts = shmring__parts(shmring__map_base(obs->map));
	i = entry_of(obs, pid);
	shmring__store_relaxed(&parts[i].bell,
			       (uint32_t)bell_sig() | SHMRING_BELL_REGISTERED | SHMRING_BELL_ARMED);
	atomic_fetch_or(&shmring__ctl(shmring__map_base(obs->map))->bells, UINT64_C(1) << i);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_try_send(tx, m), 0);
	(void)!write(done[1], "d", 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* 5: it was signalled */
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.bell_signals, 0);
	shmring_close(tx);
	shmring_close(obs);
}

/* The end of a forged-signal test: the consumer told to go, alive to exit
 * 0, signals the count of signals sent; the handles and pipes closed. */
static void finish_forged(pid_t pid, int gate[2], int done[2], shmring_t *tx, shmring_t *obs,
			  uint64_t signals)
{
	struct shmring_info in;
	int st;

	(void)!write(done[1], "d", 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("the consumer died of signal %d", WTERMSIG(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.bell_signals, signals);
	shmring_close(tx);
	shmring_close(obs);
	close(gate[0]);
	close(gate[1]);
	close(done[0]);
	close(done[1]);
}

/* A thread of the consumer's that does not block the forged signal (it is
 * made before the main thread blocks it, and keeps the mask it was made
 * with): it says it runs (fds[1]), then waits for the end of the test
 * (fds[0]). A thread being made has every signal blocked until it first
 * runs (glibc restores the creator's mask then): /proc shows that mask until
 * the thread says so. */
static void *unblocked_thread(void *arg)
{
	int *fds = arg;
	char c;

	(void)!write(fds[1], "t", 1);
	(void)!read(fds[0], &c, 1);
	return NULL;
}

/*
 * The signal number is the entry's, so a peer may forge another one than
 * the registrant blocks: sent, its default action would end the consumer.
 * Only a signal the process ignores or catches is sent: not one every
 * thread blocks (not threaded), nor one the main thread blocks and another
 * thread does not (threaded). Registration gave the real one a handler.
 */
static void forged_signo(bool threaded)
{
	const char *name = test_ring_name("bells");
	int other = bell_sig() + 1;
	shmring_t *rx, *tx, *obs = make(name, SHMRING_KIND_MPSC, 0);
	struct shmring_part *entry;
	struct shmring_info in;
	uint64_t m[2] = {5, 6};
	int gate[2], done[2];
	pid_t pid;
	char c;

	shmring_close(obs);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &obs), 0);
	pid = fork_gated(gate, done);
	if (pid == 0) {
		int quit[2] = {-1, -1}, up[2] = {-1, -1}, fds[2];
		sigset_t s;
		pthread_t t;

		sigemptyset(&s);
		sigaddset(&s, other);
		/* Its default action: the end. */
		sigprocmask(SIG_UNBLOCK, &s, NULL);
		block_bell(); /* before the thread: every thread blocks the real one */
		if (threaded && (pipe(quit) < 0 || pipe(up) < 0))
			_exit(7);
		fds[0] = quit[0];
		fds[1] = up[1];
		if (threaded && (pthread_create(&t, NULL, unblocked_thread, fds) != 0 ||
				 read(up[0], &c, 1) != 1))
			_exit(7);
		if (threaded)
			sigprocmask(SIG_BLOCK, &s, NULL); /* the main thread's only */
		if (shmring_open(name, SHMRING_CONSUMER, &rx) < 0 ||
		    shmring_doorbell_register(rx, bell_sig(), 6) < 0 || shmring_doorbell_arm(rx) != 0)
			_exit(1);
		_exit(child_rung(gate, done) ? 0 : 6); /* 6: the real one never came */
	}
	assert_int_equal(read(gate[0], &c, 1), 1);
	entry = &shmring__parts(shmring__map_base(obs->map))[entry_of(obs, pid)];
	/* Armed, with a signal the consumer does not block: nothing is sent. */
	shmring__store_relaxed(&entry->bell,
			       (uint32_t)other | SHMRING_BELL_REGISTERED | SHMRING_BELL_ARMED);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_try_send(tx, m), 0);
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.bell_signals, 0);
	/* The registered signal is still rung. */
	shmring__store_relaxed(&entry->bell,
			       (uint32_t)bell_sig() | SHMRING_BELL_REGISTERED | SHMRING_BELL_ARMED);
	assert_int_equal(shmring_try_send(tx, m), 0);
	finish_forged(pid, gate, done, tx, obs, 1);
}

static void test_forged_signo(void **state)
{
	(void)state;
	forged_signo(false);
	forged_signo(true);
}

/* A thread that makes short-lived threads until told to stop (*arg); it
 * keeps the forged signal unblocked, as a program's worker may. */
static void *nothing(void *arg)
{
	return arg;
}

static void *spawner(void *arg)
{
	atomic_int *stop = arg;
	pthread_t t;

	while (!atomic_load(stop))
		if (pthread_create(&t, NULL, nothing, NULL) == 0)
			pthread_join(t, NULL);
	return NULL;
}

/*
 * A thread being made, and the thread making it, block every signal for a
 * moment (glibc, around clone()); /proc then shows the forged signal
 * blocked by every thread. Sent in that moment, it stays pending and ends
 * the process once the two restore their masks. A signal that the process
 * neither catches nor ignores is never sent, whatever the masks show; the
 * producer tries again and again while the consumer makes threads.
 */
static void test_forged_signo_thread_start(void **state)
{
	const char *name = test_ring_name("bellt");
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 16,
				 .capacity = 1u << 16, .flags = SHMRING_CREATE_REPLACE};
	int other = bell_sig() + 2, gate[2], done[2];
	shmring_t *rx, *tx, *obs;
	struct shmring_part *entry;
	struct shmring_info in;
	uint64_t m[2] = {7, 8};
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, &rx), 0);
	shmring_close(rx);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &obs), 0);
	pid = fork_gated(gate, done);
	if (pid == 0) {
		atomic_int stop = 0;
		pthread_t t;
		sigset_t s;

		sigemptyset(&s);
		sigaddset(&s, other);
		sigprocmask(SIG_UNBLOCK, &s, NULL); /* its default action: the end */
		block_bell();
		if (pthread_create(&t, NULL, spawner, &stop) != 0)
			_exit(7);
		sigprocmask(SIG_BLOCK, &s, NULL); /* the main thread's only */
		if (shmring_open(name, SHMRING_CONSUMER, &rx) < 0 ||
		    shmring_doorbell_register(rx, bell_sig(), 6) < 0 || shmring_doorbell_arm(rx) != 0)
			_exit(1);
		(void)!write(gate[1], "r", 1);
		(void)!read(done[0], &c, 1);
		atomic_store(&stop, 1);
		pthread_join(t, NULL);
		_exit(0);
	}
	assert_int_equal(read(gate[0], &c, 1), 1);
	entry = &shmring__parts(shmring__map_base(obs->map))[entry_of(obs, pid)];
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	for (uint32_t i = 0; i < (1u << 16) - 1; i++) {
		shmring__store_relaxed(&entry->bell, (uint32_t)other | SHMRING_BELL_REGISTERED |
							 SHMRING_BELL_ARMED);
		assert_int_equal(shmring_try_send(tx, m), 0);
		assert_int_equal(shmring_info(obs, &in), 0);
		if (in.bell_signals != 0 || kill(pid, 0) != 0)
			break;
	}
	finish_forged(pid, gate, done, tx, obs, 0);
}

static void test_misuse(void **state)
{
	const char *name = test_ring_name("bellm");
	shmring_t *rx = make(name, SHMRING_KIND_SPSC, 0), *tx;
	sigset_t s;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	block_bell();
	assert_int_equal(shmring_doorbell_register(tx, bell_sig(), 0), -EPERM);
	assert_int_equal(shmring_doorbell_register(rx, SIGUSR1, 0), -EINVAL);
	assert_int_equal(shmring_doorbell_register(rx, SIGRTMAX + 1, 0), -EINVAL);
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 5);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	assert_int_equal(shmring_doorbell_register(rx, SIGRTMIN + 5, 0), -EINVAL);
	assert_int_equal(shmring_doorbell_arm(rx), -EINVAL);
	assert_int_equal(shmring_doorbell_wait(rx, 0), -EINVAL);
	assert_int_equal(shmring_doorbell_unregister(rx), -EINVAL);
	shmring_close(tx);
	shmring_close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_epoll_four_producers, test_teardown_names),
		cmocka_unit_test_teardown(test_wait, test_teardown_names),
		cmocka_unit_test_teardown(test_arm_sees_killed_producer, test_teardown_names),
		cmocka_unit_test_teardown(test_killed_registrant, test_teardown_names),
		cmocka_unit_test_teardown(test_other_user, test_teardown_names),
		cmocka_unit_test_teardown(test_forged_signo, test_teardown_names),
		cmocka_unit_test_teardown(test_forged_signo_thread_start, test_teardown_names),
		cmocka_unit_test_teardown(test_misuse, test_teardown_names),
	};

	alarm(300);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
