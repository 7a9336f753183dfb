/* SPDX-License-Identifier: MIT */
/*
 * test_doorbell_sock: the socket doorbell (shmring_doorbell_register_fd).
 *   - One wake per arm: a producer process sends while the doorbell is not
 *     armed (no byte), then after the consumer arms (exactly one byte,
 *     however many messages), seen through epoll on the socket.
 *   - An epoll loop receives every message of 3 producer processes, in
 *     order per producer, with far fewer bytes than messages.
 *   - shmring_doorbell_wait() on a socket doorbell: -ETIMEDOUT, then 0.
 *   - The waiter dies (SIGKILL, armed) or never reads its socket: producers
 *     go on without blocking, and a new consumer's doorbell rings.
 *   - Misuse and ownership: a NULL fd, a producer handle; unregistering,
 *     registering a signal instead, and close() close the socket.
 *   - The producers' presence word forged to "none left" while the producer
 *     is attached: no end-of-stream to report (arm answers 0, info says the
 *     producers are there) and the word is put back; the producer's real
 *     close then makes the doorbell ready at once.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "doorbell_helpers.h"
#include "helpers.h"
#include "ringbuf/layout.h"

#define PRODUCERS 3
#define PER_PRODUCER 20000u

static shmring_t *make(const char *name, uint32_t kind)
{
	struct shmring_opts o = {.kind = kind, .slot_size = 16, .capacity = 256,
				 .flags = SHMRING_CREATE_REPLACE};
	shmring_t *r;

	assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, &r), 0);
	return r;
}

/* Bytes waiting on the doorbell socket, read now (never blocks). */
static unsigned drain(int fd)
{
	char buf[16];
	unsigned n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

static int epoll_on(int fd)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int ep = epoll_create1(EPOLL_CLOEXEC);

	assert_true(ep >= 0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	return ep;
}

/* A producer process sending n messages each time the parent writes a
 * byte on the gate, and a byte back when done. */
static pid_t gated_producer(const char *name, int gate[2], int done[2], unsigned n)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		shmring_t *tx;
		uint64_t m[2] = {0, 0};
		char c;

		close(gate[1]); /* so that the parent's close is our end of file */
		close(done[0]);
		if (shmring_open(name, SHMRING_PRODUCER, &tx) < 0)
			_exit(10);
		while (read(gate[0], &c, 1) == 1) {
			for (unsigned i = 0; i < n; i++, m[1]++)
				if (shmring_send(tx, m, shmring_deadline_in(10000000000ull)) < 0)
					_exit(11);
			if (write(done[1], "d", 1) != 1)
				_exit(12);
		}
		shmring_close(tx);
		_exit(0);
	}
	return pid;
}

static void round_of(int gate[2], int done[2])
{
	char c;

	assert_int_equal(write(gate[1], "g", 1), 1);
	assert_int_equal(read(done[0], &c, 1), 1);
}

static void test_one_wake_per_arm(void **state)
{
	const char *name = test_ring_name("bells1");
	shmring_t *rx = make(name, SHMRING_KIND_SPSC);
	struct epoll_event ev;
	struct shmring_info in;
	int fd = -1, ep, gate[2], done[2], st;
	uint64_t m[2], got = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(shmring_doorbell_register_fd(rx, &fd), 0);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	ep = epoll_on(fd);
	assert_int_equal(pipe(gate), 0);
	assert_int_equal(pipe(done), 0);
	pid = gated_producer(name, gate, done, 5);
	/* Not armed: five messages, no byte. */
	round_of(gate, done);
	assert_int_equal(epoll_wait(ep, &ev, 1, 100), 0);
	while (shmring_try_recv(rx, m) == 0)
		assert_int_equal(m[1], got++);
	assert_int_equal(got, 5);
	/* Armed on an empty ring: five messages, exactly one byte. */
	assert_int_equal(shmring_doorbell_arm(rx), 0);
	round_of(gate, done);
	assert_int_equal(epoll_wait(ep, &ev, 1, 10000 * (int)TEST_SLOWDOWN), 1);
	usleep(50000); /* a second byte, if one were coming, is here by now */
	assert_int_equal(drain(fd), 1);
	while (shmring_try_recv(rx, m) == 0)
		assert_int_equal(m[1], got++);
	assert_int_equal(got, 10);
	/* Still disarmed: nothing more until the next arm. */
	round_of(gate, done);
	assert_int_equal(epoll_wait(ep, &ev, 1, 100), 0);
	/* Arming with messages waiting says so, and rings nothing. */
	assert_int_equal(shmring_doorbell_arm(rx), 1);
	while (shmring_try_recv(rx, m) == 0)
		assert_int_equal(m[1], got++);
	assert_int_equal(got, 15);
	assert_int_equal(shmring_info(rx, &in), 0);
	assert_int_equal(in.bell_signals, 1);
	close(gate[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(gate[0]);
	close(done[0]);
	close(done[1]);
	close(ep);
	shmring_close(rx);
	/* close() closed the socket. */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
}

static void test_epoll_producers(void **state)
{
	const char *name = test_ring_name("bells2");
	shmring_t *rx = make(name, SHMRING_KIND_MPSC);
	uint32_t next[PRODUCERS] = {0};
	uint64_t got = 0, bytes = 0;
	struct epoll_event ev;
	pid_t pids[PRODUCERS];
	int fd, ep;

	(void)state;
	assert_int_equal(shmring_doorbell_register_fd(rx, &fd), 0);
	ep = epoll_on(fd);
	for (uint32_t p = 0; p < PRODUCERS; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0)
			_exit(doorbell_produce(name, p, PER_PRODUCER));
	}
	while (got < (uint64_t)PRODUCERS * PER_PRODUCER) {
		int rc;

		rc = doorbell_drain(rx, next, PRODUCERS, &got);
		if (got == (uint64_t)PRODUCERS * PER_PRODUCER)
			break;
		if (rc == -EPIPE) { /* between two producers' lives */
			usleep(1000);
			continue;
		}
		assert_int_equal(rc, -EAGAIN);
		rc = shmring_doorbell_arm(rx);
		assert_true(rc >= 0);
		if (rc == 1)
			continue;
		if (epoll_wait(ep, &ev, 1, 10000 * (int)TEST_SLOWDOWN) != 1)
			fail_msg("no doorbell within 10 s: a lost wake-up (got %" PRIu64 ")", got);
		bytes += drain(fd);
	}
	for (int p = 0; p < PRODUCERS; p++)
		assert_int_equal(test_wait_pid(pids[p], 30000 * TEST_SLOWDOWN), 0);
	printf("%" PRIu64 " messages, %" PRIu64 " wake bytes\n", got, bytes);
	assert_true(bytes >= 1);
	assert_true(bytes <= got / 2); /* coalesced */
	close(ep);
	shmring_close(rx);
}

static void test_wait(void **state)
{
	const char *name = test_ring_name("bells3");
	shmring_t *rx = make(name, SHMRING_KIND_SPSC), *tx;
	uint64_t m[2] = {7, 8}, t0;
	int fd;
	pid_t pid;

	(void)state;
	assert_int_equal(shmring_doorbell_register_fd(rx, &fd), 0);
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
		_exit(0);
	}
	assert_int_equal(shmring_doorbell_wait(rx, shmring_deadline_in(10000000000ull)), 0);
	assert_int_equal(shmring_try_recv(rx, m), 0);
	assert_int_equal(m[0], 7);
	assert_int_equal(test_wait_pid(pid, 10000), 0);
	shmring_close(rx);
}

/* The armed waiter is SIGKILLed, then a waiter that never reads: the
 * producer's sends all go through at once. */
static void test_waiter_gone(void **state)
{
	const char *name = test_ring_name("bells4");
	shmring_t *obs = make(name, SHMRING_KIND_SPSC), *tx, *rx;
	int gate[2], fd, ep;
	uint64_t m[2] = {1, 2}, t0;
	struct epoll_event ev;
	pid_t pid;
	char c;

	(void)state;
	shmring_close(obs); /* the ring stays; its consumer entry is free */
	assert_int_equal(pipe(gate), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int cfd;

		if (shmring_open(name, SHMRING_CONSUMER, &rx) < 0 ||
		    shmring_doorbell_register_fd(rx, &cfd) < 0 || shmring_doorbell_arm(rx) != 0)
			_exit(1);
		if (write(gate[1], "r", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	assert_int_equal(read(gate[0], &c, 1), 1);
	kill(pid, SIGKILL);
	assert_int_equal(test_wait_pid(pid, 10000), 128 + SIGKILL);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	t0 = test_now_ns();
	/* The armed entry's owner is dead: the send neither blocks nor fails
	 * for it. (The ring had a consumer, which has gone: -EPIPE is what the
	 * producer is told once it notices.) */
	for (int i = 0; i < 100; i++) {
		int rc = shmring_try_send(tx, m);

		assert_true(rc == 0 || rc == -EPIPE || rc == -EAGAIN);
	}
	assert_true(test_now_ns() - t0 < 2000000000ull * TEST_SLOWDOWN);
	shmring_close(tx);

	/* A live waiter that arms again and again and never reads: its socket
	 * fills up, and the producer goes on at once every time. */
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_doorbell_register_fd(rx, &fd), 0);
	while (shmring_try_recv(rx, m) == 0)
		;
	t0 = test_now_ns();
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(shmring_doorbell_arm(rx), 0);
		assert_int_equal(shmring_try_send(tx, m), 0);
		assert_int_equal(shmring_try_recv(rx, m), 0);
	}
	assert_true(test_now_ns() - t0 < 5000000000ull * TEST_SLOWDOWN);
	ep = epoll_on(fd);
	assert_int_equal(epoll_wait(ep, &ev, 1, 1000), 1);
	assert_true(drain(fd) >= 1);
	close(ep);
	close(gate[0]);
	close(gate[1]);
	shmring_close(tx);
	shmring_close(rx);
}

static void test_misuse(void **state)
{
	const char *name = test_ring_name("bells5");
	shmring_t *rx = make(name, SHMRING_KIND_SPSC), *tx;
	int fd, fd2;
	sigset_t s;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_doorbell_register_fd(tx, &fd), -EPERM);
	assert_int_equal(shmring_doorbell_register_fd(rx, NULL), -EINVAL);
	assert_int_equal(shmring_doorbell_register_fd(NULL, &fd), -EINVAL);
	assert_int_equal(shmring_doorbell_arm(rx), -EINVAL);
	/* Unregistering closes the socket. */
	assert_int_equal(shmring_doorbell_register_fd(rx, &fd), 0);
	assert_int_equal(shmring_doorbell_unregister(rx), 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(shmring_doorbell_arm(rx), -EINVAL);
	/* Registering again replaces: the old socket is closed. */
	assert_int_equal(shmring_doorbell_register_fd(rx, &fd), 0);
	assert_int_equal(shmring_doorbell_register_fd(rx, &fd2), 0);
	assert_true(fd2 >= 0);
	if (fd2 != fd) /* the number may be reused at once */
		assert_int_equal(fcntl(fd, F_GETFD), -1);
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 4);
	assert_int_equal(sigprocmask(SIG_BLOCK, &s, NULL), 0);
	assert_int_equal(shmring_doorbell_register(rx, SIGRTMIN + 4, 1), 0);
	assert_int_equal(fcntl(fd2, F_GETFD), -1);
	assert_int_equal(shmring_doorbell_unregister(rx), 0);
	shmring_close(tx);
	shmring_close(rx);
}

/* The producers' presence word of ring `name`, through a mapping of our own
 * (as a hostile peer with write access has one): stored when store, then read. */
static uint64_t producers_word(const char *name, bool store, uint64_t v)
{
	struct stat st;
	int fd = shm_open(name, O_RDWR, 0);
	void *base;
	uint64_t now;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(base != MAP_FAILED);
	if (store)
		atomic_store(&shmring__ctl(base)->producers, v);
	now = atomic_load(&shmring__ctl(base)->producers);
	munmap(base, (size_t)st.st_size);
	return now;
}

static void test_forged_gone(void **state)
{
	const char *name = test_ring_name("bells6");
	shmring_t *rx = make(name, SHMRING_KIND_SPSC), *tx;
	struct shmring_info in;
	int fd;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_doorbell_register_fd(rx, &fd), 0);
	assert_int_equal(shmring_doorbell_arm(rx), 0);
	producers_word(name, true, SHMRING_PRESENCE_EVER);
	assert_int_equal(shmring_info(rx, &in), 0);
	assert_false(in.producers_gone);
	assert_int_equal(in.producers, 1);
	assert_int_equal(shmring_doorbell_arm(rx), 0);
	assert_int_equal(producers_word(name, false, 0), SHMRING_PRESENCE_EVER | 1);
	assert_int_equal(drain(fd), 0);
	/* The producer really leaves: ready (end-of-stream to read). */
	shmring_close(tx);
	assert_int_equal(shmring_doorbell_arm(rx), 1);
	assert_int_equal(shmring_info(rx, &in), 0);
	assert_true(in.producers_gone);
	shmring_close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_one_wake_per_arm, test_teardown_names),
		cmocka_unit_test_teardown(test_epoll_producers, test_teardown_names),
		cmocka_unit_test_teardown(test_wait, test_teardown_names),
		cmocka_unit_test_teardown(test_waiter_gone, test_teardown_names),
		cmocka_unit_test_teardown(test_misuse, test_teardown_names),
		cmocka_unit_test_teardown(test_forged_gone, test_teardown_names),
	};

	alarm(300);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
