/* SPDX-License-Identifier: MIT */
/*
 * test_memfd: memfd rings and handing rings over Unix sockets.
 *
 *   - A memfd ring's descriptor goes over a Unix socket to a process that
 *     exec'd this program (no shared ancestry of the mapping): it receives
 *     the raw descriptor once and finds the segment sealed (ftruncate to
 *     shrink or grow: EPERM), then receives the ring with shmring_fd_recv()
 *     and consumes 10^5 messages the creator sends, checking each.
 *   - shmring_fd_recv() refuses what it must: a fallback in its options
 *     (before it receives anything), a memfd holding a copy of a
 *     valid ring but not sealed against shrinking (sent by hand with
 *     SCM_RIGHTS: -EPERM), a pipe (-EBADF), a sealed memfd that holds no
 *     ring, all zero included (SHMRING_EBADMAGIC, at once), a sealed empty
 *     memfd (SHMRING_ETRUNCATED),
 *     a ring of another kind than expected
 *     (SHMRING_EKIND), nothing on a non-blocking socket (-EAGAIN), a packet
 *     longer than the library's message (-EPROTO), and a refused
 *     descriptor is closed (no leak); the same copy sealed is taken.
 *   - shmring_fd_send() works for posix and file rings (the receiver has the
 *     same ring) and is -EOPNOTSUPP for sysv and anon.
 *   - "memfd:x" cannot be opened (-ENOENT) nor unlinked (-EINVAL).
 *   - A receiving socket with SO_PASSCRED gets the ring; a message with two
 *     descriptors, or an empty datagram, is -EPROTO.
 *   - A ring larger than memory and swap is -ENOMEM at create on every
 *     backend whose pages are memory (memfd, anon, POSIX shm, System V);
 *     a name taken is -EEXIST all the same, and such a replace leaves the
 *     old ring in place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend_helpers.h"

#include <sys/sysinfo.h>

#define EXEC_MSGS 100000u

/* Descriptors open in this process now. */
static int fd_count(void)
{
	int n = 0;

	for (int fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* --- The exec'd receiver ------------------------------------------------------------ */

/* Child mode: --receiver SOCK_FD. Exit codes name the check that failed. */
static void receiver_main(int argc, char **argv)
{
	unsigned char buf[256];
	struct stat st;
	struct shmring_info in;
	shmring_t *r = NULL;
	int sock, fd, seals;

	if (argc != 3 || strcmp(argv[1], "--receiver") != 0)
		return;
	bt_child_init(120);
	sock = atoi(argv[2]);

	/* A peer with the raw descriptor cannot change the segment's size. */
	if (bt_recv_fd_raw(sock, &fd, buf, sizeof(buf)) <= 0 || fd < 0)
		_exit(10);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 4096)
		_exit(11);
	if (ftruncate(fd, st.st_size / 2) == 0 || errno != EPERM)
		_exit(12);
	if (ftruncate(fd, 0) == 0 || errno != EPERM)
		_exit(13);
	if (ftruncate(fd, st.st_size * 2) == 0 || errno != EPERM)
		_exit(14);
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || !(seals & F_SEAL_GROW))
		_exit(15);
	{
		struct stat st2;

		if (fstat(fd, &st2) < 0 || st2.st_size != st.st_size)
			_exit(16);
	}
	close(fd);
	if (write(sock, "A", 1) != 1)
		_exit(17);

	/* The ring itself. */
	if (shmring_fd_recv(sock, SHMRING_CONSUMER, NULL, &r) != 0)
		_exit(20);
	if (shmring_info(r, &in) != 0 || in.backend != SHMRING_BACKEND_MEMFD ||
	    in.kind != SHMRING_KIND_SPSC || in.owner_uid != (uint32_t)geteuid())
		_exit(21);
	for (uint64_t i = 0; i < EXEC_MSGS; i++) {
		struct bt_msg m;
		int rc = shmring_recv(r, &m, shmring_deadline_in(20000000000ull));

		if (rc != 0)
			_exit(22);
		if (m.seq != i || !bt_msg_ok(&m))
			_exit(23);
	}
	_exit(shmring_close(r) == 0 ? 0 : 24);
}

static void test_exec_receiver(void **s)
{
	struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = sizeof(struct bt_msg), .capacity = 256};
	shmring_t *r = NULL;
	int sv[2], st;
	char sk[16], c;
	pid_t pid;

	(void)s;
	alarm(120 * TEST_SLOWDOWN);
	assert_int_equal(shmring_create("memfd:bt-exec", &o, SHMRING_PRODUCER, &r), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	snprintf(sk, sizeof(sk), "%d", sv[1]);
	{
		char *argv[] = {"bt-receiver", "--receiver", sk, NULL};

		pid = bt_spawn_self(argv, &sv[1], 1);
	}
	assert_true(pid > 0);
	bt_track(pid);
	close(sv[1]);

	assert_int_equal(shmring_fd_send(r, sv[0]), 0);
	if (read(sv[0], &c, 1) != 1) {
		st = test_wait_pid(pid, 10000);
		bt_untrack(pid);
		fail_msg("the receiver failed its checks of the raw descriptor: status %d", st);
	}
	assert_int_equal(shmring_fd_send(r, sv[0]), 0);
	for (uint64_t i = 0; i < EXEC_MSGS; i++) {
		struct bt_msg m = bt_msg_of(i);
		int rc = shmring_send(r, &m, shmring_deadline_in(20000000000ull));

		if (rc != 0) {
			st = test_wait_pid(pid, 10000);
			bt_untrack(pid);
			fail_msg("send %" PRIu64 ": %s; receiver status %d", i,
			         shmring_strerror(rc), st);
		}
	}
	st = test_wait_pid(pid, 60000 * TEST_SLOWDOWN);
	bt_untrack(pid);
	assert_int_equal(st, 0);
	close(sv[0]);
	assert_int_equal(shmring_close(r), 0);
}

/* --- What fd_recv refuses ------------------------------------------------------------- */

/* A memfd holding `size` bytes of `content`, with `seals` added (0: none;
 * -1: made without MFD_ALLOW_SEALING). */
static int memfd_with(const void *content, size_t size, int seals)
{
	int fd = memfd_create("bt-forged", MFD_CLOEXEC | (seals >= 0 ? MFD_ALLOW_SEALING : 0));

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(pwrite(fd, content, size, 0), (ssize_t)size);
	if (seals > 0)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

/* Send fd by hand with the library's own message bytes; shmring_fd_recv's rc. */
static int recv_forged(int sv[2], int fd, const void *payload, size_t len,
                       const struct shmring_open_opts *oo)
{
	shmring_t *x = NULL;
	int before, rc;

	assert_int_equal(bt_send_fd_raw(sv[0], fd, payload, len), 0);
	close(fd);
	before = fd_count();
	rc = shmring_fd_recv(sv[1], SHMRING_CONSUMER, oo, &x);
	if (rc == 0) {
		assert_non_null(x);
		shmring_close(x);
	} else {
		assert_null(x);
	}
	/* Taken or refused, the received descriptor is not left open. */
	assert_int_equal(fd_count(), before);
	return rc;
}

static void test_refused(void **s)
{
	struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = sizeof(struct bt_msg), .capacity = 64};
	struct shmring_open_opts oo;
	unsigned char payload[256], *copy;
	shmring_t *r = NULL, *x = NULL;
	struct stat st;
	int sv[2], fd, p[2];
	ssize_t len;

	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	assert_int_equal(shmring_create("memfd:bt-orig", &o, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);

	/* What the library sends, captured raw: its bytes and the segment. */
	assert_int_equal(shmring_fd_send(r, sv[0]), 0);
	len = bt_recv_fd_raw(sv[1], &fd, payload, sizeof(payload));
	assert_true(len > 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	copy = malloc((size_t)st.st_size);
	assert_non_null(copy);
	assert_int_equal(pread(fd, copy, (size_t)st.st_size, 0), st.st_size);
	assert_true(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK);
	close(fd);

	/* The copy without seals, then sealed only against growing: refused. */
	assert_int_equal(
	    recv_forged(sv, memfd_with(copy, (size_t)st.st_size, 0), payload, (size_t)len, NULL),
	    -EPERM);
	assert_int_equal(
	    recv_forged(sv, memfd_with(copy, (size_t)st.st_size, -1), payload, (size_t)len, NULL),
	    -EPERM);
	assert_int_equal(recv_forged(sv, memfd_with(copy, (size_t)st.st_size, F_SEAL_GROW), payload,
	                             (size_t)len, NULL),
	                 -EPERM);
	/* Sealed like the library's own: the same bytes are a ring. */
	assert_int_equal(recv_forged(sv,
	                             memfd_with(copy, (size_t)st.st_size,
	                                        F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	                             payload, (size_t)len, NULL),
	                 0);
	/* ... of the kind it is, not another. */
	memset(&oo, 0, sizeof(oo));
	oo.kind = SHMRING_KIND_MPMC;
	assert_int_equal(recv_forged(sv,
	                             memfd_with(copy, (size_t)st.st_size,
	                                        F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	                             payload, (size_t)len, &oo),
	                 -SHMRING_EKIND);
	/* Sealed, but not a ring. */
	memset(copy, 0x5a, (size_t)st.st_size);
	assert_int_equal(recv_forged(sv,
	                             memfd_with(copy, (size_t)st.st_size,
	                                        F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	                             payload, (size_t)len, NULL),
	                 -SHMRING_EBADMAGIC);
	/* Sealed and all zero: no creator is writing what a sender handed
	 * over, so not a ring at once (it waited a second for one, then said
	 * -EAGAIN, "still being created"). */
	memset(copy, 0, (size_t)st.st_size);
	{
		uint64_t t0 = test_now_ns();

		assert_int_equal(recv_forged(sv,
		                             memfd_with(copy, (size_t)st.st_size,
		                                        F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
		                             payload, (size_t)len, NULL),
		                 -SHMRING_EBADMAGIC);
		/* Under the wait's second (TSan: loosely). */
		assert_true(test_now_ns() - t0 < (TEST_SLOWDOWN > 5 ? 5000 : 900) * 1000000ull);
	}
	/* Sealed and empty: it can never grow into a ring (not one still being
	 * created, -EAGAIN). */
	assert_int_equal(recv_forged(sv, memfd_with(copy, 0, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	                             payload, (size_t)len, NULL),
	                 -SHMRING_ETRUNCATED);
	/* Over a packet socket, the library's message with more bytes after
	 * it: not fd_send()'s message (the excess was cut off unread). */
	{
		unsigned char longer[8] = {0};
		int sq[2];

		assert_true((size_t)len < sizeof(longer) - 4);
		memcpy(longer, payload, (size_t)len);
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sq), 0);
		assert_int_equal(recv_forged(sq,
		                             memfd_with(copy, (size_t)st.st_size,
		                                        F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
		                             longer, (size_t)len + 4, NULL),
		                 -EPROTO);
		close(sq[0]);
		close(sq[1]);
	}
	free(copy);

	/* Not a regular file. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);
	assert_int_equal(recv_forged(sv, p[0], payload, (size_t)len, NULL), -EBADF);

	/* Nothing there, and the socket does not block. */
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
	assert_int_equal(shmring_fd_recv(sv[1], SHMRING_CONSUMER, NULL, &x), -EAGAIN);
	assert_null(x);
	/* A fallback has nothing to fall back from: refused before the
	 * message is taken, which the next call then receives. */
	assert_int_equal(shmring_fd_send(r, sv[0]), 0);
	memset(&oo, 0, sizeof(oo));
	oo.fallback = "unix:@bt-fallback";
	assert_int_equal(shmring_fd_recv(sv[1], SHMRING_CONSUMER, &oo, &x), -EINVAL);
	assert_null(x);
	assert_int_equal(shmring_fd_recv(sv[1], SHMRING_CONSUMER, NULL, &x), 0);
	shmring_close(x);
	x = NULL;
	/* A message that is not shmring_fd_send()'s (no descriptor), then the
	 * sender gone. */
	assert_int_equal(send(sv[0], "x", 1, 0), 1);
	assert_int_equal(shmring_fd_recv(sv[1], SHMRING_CONSUMER, NULL, &x), -EPROTO);
	close(sv[0]);
	assert_int_equal(shmring_fd_recv(sv[1], SHMRING_CONSUMER, NULL, &x), -ECONNRESET);
	assert_null(x);

	close(sv[1]);
	shmring_close(r);

	/* memfd rings have no name. */
	assert_int_equal(shmring_open("memfd:x", SHMRING_OBSERVER, &x), -ENOENT);
	assert_int_equal(shmring_open("memfd:bt-orig", SHMRING_CONSUMER, &x), -ENOENT);
	assert_int_equal(shmring_unlink("memfd:x"), -EINVAL);
}

/* --- fd_send for the other backends -------------------------------------------------- */

static void test_send_backends(void **s)
{
	struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = sizeof(struct bt_msg), .capacity = 64};
	char uri[BT_URI_MAX];
	int sv[2];

	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	for (int b = 0; b < BT_NBACKENDS; b++) {
		shmring_t *tx = NULL, *rx = NULL;
		struct shmring_info in;
		struct bt_msg m = bt_msg_of(99 + (uint64_t)b), got;
		int rc = bt_create(b, "send", &o, SHMRING_PRODUCER, &tx, uri, sizeof(uri));

		if (rc != 0)
			fail_msg("%s: create: %s", bt_backend_name(b), shmring_strerror(rc));
		if (b == BT_SYSV || b == BT_ANON) {
			assert_int_equal(shmring_fd_send(tx, sv[0]), -EOPNOTSUPP);
			shmring_close(tx);
			if (b == BT_SYSV)
				assert_int_equal(shmring_unlink(uri), 0);
			continue;
		}
		assert_int_equal(shmring_fd_send(tx, sv[0]), 0);
		assert_int_equal(shmring_fd_recv(sv[1], SHMRING_CONSUMER, NULL, &rx), 0);
		assert_int_equal(shmring_info(rx, &in), 0);
		assert_int_equal(in.backend, bt_backend_code(b));
		assert_int_equal(shmring_try_send(tx, &m), 0);
		assert_int_equal(shmring_try_recv(rx, &got), 0);
		assert_int_equal(got.seq, m.seq);
		shmring_close(rx);
		shmring_close(tx);
		if (bt_named(b))
			assert_int_equal(shmring_unlink(uri), 0);
	}
	close(sv[0]);
	close(sv[1]);
}

/*
 * Messages as a receiving socket may see them: with the sender's
 * credentials (SO_PASSCRED: they crowded the descriptor out of the control
 * buffer, -EPROTO, and the ring was lost), with two descriptors (-EPROTO,
 * both closed: it took the first), and an empty datagram (-EPROTO: it said
 * the sender had gone, -ECONNRESET).
 */
static void test_socket_options(void **s)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 64};
	shmring_t *r = NULL, *x = NULL;
	int sv[2], dg[2], fds[2], one = 1, before;
	char tag = 0;

	(void)s;
	assert_int_equal(shmring_create("memfd:bt-cred", &o, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_int_equal(shmring_fd_send(r, sv[0]), 0);
	assert_int_equal(shmring_fd_recv(sv[1], SHMRING_CONSUMER, NULL, &x), 0);
	shmring_close(x);

	/* The library's message, with a second descriptor beside the ring's
	 * (taken raw without the credentials). */
	one = 0;
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_int_equal(shmring_fd_send(r, sv[0]), 0);
	assert_int_equal(bt_recv_fd_raw(sv[1], &fds[0], &tag, 1), 1);
	fds[1] = dup(fds[0]);
	assert_int_equal(bt_send_fds_raw(sv[0], fds, 2, &tag, 1), 0);
	close(fds[0]);
	close(fds[1]);
	before = fd_count();
	assert_int_equal(shmring_fd_recv(sv[1], SHMRING_CONSUMER, NULL, &x), -EPROTO);
	assert_null(x);
	assert_int_equal(fd_count(), before);

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg), 0);
	assert_int_equal(send(dg[0], "", 0, 0), 0);
	assert_int_equal(shmring_fd_recv(dg[1], SHMRING_CONSUMER, NULL, &x), -EPROTO);
	close(dg[0]);
	close(dg[1]);
	close(sv[0]);
	close(sv[1]);
	shmring_close(r);
}

/*
 * A memfd, anon, POSIX shm or System V ring larger than the machine's memory
 * and swap: -ENOMEM at create. The memfd's reservation had the kernel's
 * out-of-memory killer end a process (this one) instead; an anon one would
 * have, as it filled. POSIX shm said -ENOSPC where the ring was larger than
 * /dev/shm, and reserved the pages where /dev/shm's limit left room for it.
 */
static void test_more_than_memory(void **s)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = SHMRING_MAX_SLOT_SIZE,
				 .capacity = 2};
	/* Every backend whose pages are memory (POSIX shm on /dev/shm too,
	 * whose tmpfs limit may be all of memory). */
	static const int backends[] = {BT_MEMFD, BT_ANON, BT_POSIX, BT_SYSV};
	struct sysinfo si;
	uint64_t have;

	(void)s;
	assert_int_equal(sysinfo(&si), 0);
	have = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
	while (o.capacity < SHMRING_MAX_CAPACITY && o.capacity * o.slot_size <= have)
		o.capacity *= 2;
	if (o.capacity * o.slot_size <= have) {
		print_message("skipped: the largest ring fits this machine's memory\n");
		return;
	}
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		shmring_t *r = (shmring_t *)1;
		char uri[BT_URI_MAX];

		bt_uri(backends[i], "big", uri, sizeof(uri));
		if (shmring_create(uri, &o, SHMRING_PRODUCER, &r) != -ENOMEM)
			fail_msg("%s: not -ENOMEM", uri);
		assert_null(r);
	}
	/* A name taken by a small ring: -EEXIST as ever (System V said
	 * -ENOMEM, so open-or-create failed), and a replace that cannot be had
	 * leaves the old ring in place (it was removed first). */
	for (size_t i = 2; i < sizeof(backends) / sizeof(backends[0]); i++) {
		struct shmring_opts small = {.kind = SHMRING_KIND_SPSC, .slot_size = 8,
					     .capacity = 64};
		struct shmring_opts replace = o;
		char uri[BT_URI_MAX];
		shmring_t *r, *big = NULL;
		int rc = -EEXIST;

		bt_uri(backends[i], "taken", uri, sizeof(uri));
		for (int tries = 0; rc == -EEXIST && tries < 16; tries++)
			if ((rc = shmring_create(uri, &small, SHMRING_PRODUCER, &r)) == -EEXIST)
				bt_uri(backends[i], "taken", uri, sizeof(uri)); /* a sysv key in use */
		assert_int_equal(rc, 0);
		if (shmring_create(uri, &o, SHMRING_PRODUCER, &big) != -EEXIST)
			fail_msg("%s: a taken name is not -EEXIST", uri);
		replace.flags = SHMRING_CREATE_REPLACE;
		if (shmring_create(uri, &replace, SHMRING_PRODUCER, &big) != -ENOMEM)
			fail_msg("%s: a replace larger than memory is not -ENOMEM", uri);
		shmring_close(r);
		assert_int_equal(shmring_open(uri, SHMRING_CONSUMER, &r), 0);
		shmring_close(r);
		assert_int_equal(shmring_unlink(uri), 0);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_exec_receiver, bt_teardown),
	    cmocka_unit_test_teardown(test_refused, bt_teardown),
	    cmocka_unit_test_teardown(test_send_backends, bt_teardown),
	    cmocka_unit_test(test_socket_options),
	    cmocka_unit_test(test_more_than_memory),
	};

	receiver_main(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
