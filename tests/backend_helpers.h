/* SPDX-License-Identifier: MIT */
/*
 * tests/backend_helpers.h - what the backend tests (tests/test_backends.c,
 * test_backend_validate.c, test_memfd.c, test_huge.c, test_restart.c,
 * test_file_crash.c) share:
 *
 *   - names for every backend ("posix:/...", "sysv:KEY" with a random key,
 *     "file:" in a mkdtemp directory, "memfd:", "anon:"), each carrying
 *     SHMRING_TEST_PREFIX and the pid where the backend has a name, and all
 *     removed at teardown and at exit (shmring_unlink, then the plain OS
 *     call, so a library bug leaves nothing behind either);
 *   - raw access to a named ring's segment (map it, truncate it, chown it,
 *     make a plain object that is not a ring) for forging;
 *   - running this test program again as an unrelated process (fork, then
 *     exec of /proc/self/exe) in a child mode chosen by its arguments;
 *   - a descriptor over a Unix socket by hand (SCM_RIGHTS);
 *   - the crash harness of test_restart.c and test_file_crash.c: producer
 *     and consumer processes that log what they committed and received, so
 *     that a verifier can prove nothing committed was lost or duplicated
 *     whatever moment a SIGKILL hit.
 *
 * Everything is static inline: each test is one translation unit and uses
 * part of it. Include <cmocka.h> before this header.
 */
#ifndef SHMRING_TESTS_BACKEND_HELPERS_H
#define SHMRING_TESTS_BACKEND_HELPERS_H

#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "ringbuf/layout.h"

/* --- Backends --------------------------------------------------------------- */

enum bt_backend { BT_POSIX, BT_SYSV, BT_FILE, BT_MEMFD, BT_ANON, BT_NBACKENDS };

static inline const char *bt_backend_name(int b)
{
	static const char *const names[BT_NBACKENDS] = {"posix", "sysv", "file", "memfd", "anon"};

	return b >= 0 && b < BT_NBACKENDS ? names[b] : "?";
}

/* The enum shmring_backend value shmring_info() reports for b. */
static inline uint32_t bt_backend_code(int b)
{
	static const uint32_t codes[BT_NBACKENDS] = {SHMRING_BACKEND_POSIX, SHMRING_BACKEND_SYSV,
	                                             SHMRING_BACKEND_FILE, SHMRING_BACKEND_MEMFD,
	                                             SHMRING_BACKEND_ANON};

	return codes[b];
}

/* Backends with a name another process can open. */
static inline bool bt_named(int b)
{
	return b == BT_POSIX || b == BT_SYSV || b == BT_FILE;
}

#define BT_URI_MAX 1200

/* --- What a process created, removed at teardown and exit ---------------------- */

#define BT_MAX_OBJS 256

struct bt_state {
	pid_t owner; /* only this process removes (children _exit or exec) */
	int n;
	char uri[BT_MAX_OBJS][BT_URI_MAX];
	char dir[256];  /* mkdtemp directory, "" when none */
	pid_t pids[64]; /* children to kill at teardown unless reaped before */
	int npids;
	uint64_t rnd;
	unsigned counter;
};

static inline struct bt_state *bt__st(void)
{
	static struct bt_state st;

	return &st;
}

/* Remove one named object by the OS call its scheme uses (any error ignored). */
static inline void bt__remove_os(const char *uri)
{
	if (strncmp(uri, "posix:", 6) == 0) {
		shm_unlink(uri + 6);
	} else if (strncmp(uri, "sysv:", 5) == 0 && uri[5] != '@') {
		int id = shmget((key_t)strtoul(uri + 5, NULL, 0), 0, 0);

		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	} else if (strncmp(uri, "file:", 5) == 0) {
		unlink(uri + 5);
	}
}

/* Remove every object this process registered (the library first, then the OS). */
static inline void bt_cleanup(void)
{
	struct bt_state *st = bt__st();

	if (st->owner != getpid())
		return;
	for (int i = 0; i < st->npids; i++) {
		if (st->pids[i] > 0 && waitpid(st->pids[i], NULL, WNOHANG) == 0) {
			kill(st->pids[i], SIGKILL);
			waitpid(st->pids[i], NULL, 0);
		}
	}
	st->npids = 0;
	for (int i = 0; i < st->n; i++) {
		shmring_unlink(st->uri[i]);
		bt__remove_os(st->uri[i]);
	}
	st->n = 0;
}

static inline int bt__rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Remove a directory of ours and everything in it. */
static inline void bt_rm_tree(const char *dir)
{
	nftw(dir, bt__rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void bt__rmdir(void)
{
	struct bt_state *st = bt__st();

	if (st->owner != getpid() || !st->dir[0])
		return;
	bt_rm_tree(st->dir);
	st->dir[0] = '\0';
}

static inline void bt__atexit(void)
{
	bt_cleanup();
	bt__rmdir();
}

static inline struct bt_state *bt__own(void)
{
	struct bt_state *st = bt__st();

	if (st->owner != getpid()) {
		memset(st, 0, sizeof(*st));
		st->owner = getpid();
		st->rnd = (uint64_t)getpid() * UINT64_C(0x9e3779b97f4a7c15) ^ test_now_ns();
		atexit(bt__atexit);
	}
	return st;
}

/* Have uri removed at teardown and exit. */
static inline void bt_register(const char *uri)
{
	struct bt_state *st = bt__own();

	if (st->n == BT_MAX_OBJS || strlen(uri) >= BT_URI_MAX) {
		fprintf(stderr, "bt_register: cannot register %s\n", uri);
		abort();
	}
	strcpy(st->uri[st->n++], uri);
}

/* Have a child killed and reaped at teardown unless bt_untrack() came first. */
static inline void bt_track(pid_t pid)
{
	struct bt_state *st = bt__own();

	if (pid > 0 && st->npids < (int)(sizeof(st->pids) / sizeof(st->pids[0])))
		st->pids[st->npids++] = pid;
}

/* The child was reaped: forget it (its pid may be reused). */
static inline void bt_untrack(pid_t pid)
{
	struct bt_state *st = bt__own();

	for (int i = 0; i < st->npids; i++) {
		if (st->pids[i] == pid) {
			st->pids[i] = st->pids[--st->npids];
			return;
		}
	}
}

/* cmocka teardown: remove what the test that just ran created. */
static inline int bt_teardown(void **state)
{
	(void)state;
	alarm(0);
	bt_cleanup();
	return 0;
}

/* A pseudo-random number (per process). */
static inline uint32_t bt_rand32(void)
{
	struct bt_state *st = bt__own();
	uint64_t x = st->rnd += UINT64_C(0x9e3779b97f4a7c15);

	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (uint32_t)(x ^ (x >> 31));
}

/* A number in [lo, hi]. */
static inline unsigned bt_rand_between(unsigned lo, unsigned hi)
{
	return lo + bt_rand32() % (hi - lo + 1);
}

static inline const char *bt_prefix(void)
{
	const char *p = getenv("SHMRING_TEST_PREFIX");

	return p && *p ? p : "shmt";
}

/* This process's temporary directory (mkdtemp; removed with its files at exit). */
static inline const char *bt_dir(void)
{
	struct bt_state *st = bt__own();
	const char *tmp = getenv("TMPDIR");

	if (st->dir[0])
		return st->dir;
	if (!tmp || tmp[0] != '/' || strlen(tmp) > 150 || strstr(tmp, "/.") != NULL)
		tmp = "/tmp";
	snprintf(st->dir, sizeof(st->dir), "%s/%s-%d-XXXXXX", tmp, bt_prefix(), (int)getpid());
	/* A trailing slash in TMPDIR would make "//": harmless to the OS, but
	 * keep the name plain. */
	for (char *p = st->dir; p[0] && p[1]; p++)
		if (p[0] == '/' && p[1] == '/')
			memmove(p, p + 1, strlen(p));
	if (!mkdtemp(st->dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", st->dir, strerror(errno));
		abort();
	}
	return st->dir;
}

/*
 * A fresh name of backend b for a ring tagged `tag` ([A-Za-z0-9_-]), in buf.
 * Named backends are registered for removal. A sysv key is random: creating
 * with it may find it taken (-EEXIST); bt_create() tries others.
 */
static inline const char *bt_uri(int b, const char *tag, char *buf, size_t size)
{
	struct bt_state *st = bt__own();

	switch (b) {
	case BT_POSIX:
		snprintf(buf, size, "posix:/%s-%d-%s-%u", bt_prefix(), (int)getpid(), tag,
		         st->counter++);
		break;
	case BT_SYSV:
		snprintf(buf, size, "sysv:0x%08" PRIx32, 0x10000000u | (bt_rand32() & 0x6fffffffu));
		break;
	case BT_FILE:
		snprintf(buf, size, "file:%s/%s-%u", bt_dir(), tag, st->counter++);
		break;
	case BT_MEMFD:
		snprintf(buf, size, "memfd:%s", tag);
		break;
	default:
		snprintf(buf, size, "anon:");
		break;
	}
	if (bt_named(b))
		bt_register(buf);
	return buf;
}

/* Create a ring of backend b under a fresh name (written to uri); rc of shmring_create(). */
static inline int bt_create(int b, const char *tag, const struct shmring_opts *o, unsigned role,
                            shmring_t **r, char *uri, size_t size)
{
	int rc;

	for (int tries = 0; tries < 64; tries++) {
		bt_uri(b, tag, uri, size);
		rc = shmring_create(uri, o, role, r);
		if (rc != -EEXIST || b != BT_SYSV)
			return rc;
	}
	return rc;
}

/* The key of a "sysv:KEY" name. */
static inline key_t bt_sysv_key(const char *uri)
{
	return (key_t)strtoul(uri + 5, NULL, 0);
}

/* --- Raw access to a named segment -------------------------------------------- */

struct bt_raw {
	void *p;
	size_t size;
	bool sysv;
};

/* Map the whole object behind uri read-write (not through the library). */
static inline int bt_raw_open(const char *uri, struct bt_raw *raw)
{
	struct stat st;
	int fd;

	memset(raw, 0, sizeof(*raw));
	if (strncmp(uri, "sysv:", 5) == 0) {
		struct shmid_ds ds;
		int id = shmget(bt_sysv_key(uri), 0, 0);

		if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0)
			return -errno;
		raw->p = shmat(id, NULL, 0);
		if (raw->p == (void *)-1)
			return -errno;
		raw->size = ds.shm_segsz;
		raw->sysv = true;
		return 0;
	}
	if (strncmp(uri, "posix:", 6) == 0)
		fd = shm_open(uri + 6, O_RDWR, 0);
	else if (strncmp(uri, "file:", 5) == 0)
		fd = open(uri + 5, O_RDWR);
	else
		return -EINVAL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	raw->size = (size_t)st.st_size;
	raw->p = mmap(NULL, raw->size ? raw->size : 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (raw->p == MAP_FAILED)
		return -errno;
	return 0;
}

static inline void bt_raw_close(struct bt_raw *raw)
{
	if (raw->sysv)
		shmdt(raw->p);
	else if (raw->p && raw->p != MAP_FAILED)
		munmap(raw->p, raw->size ? raw->size : 1);
	raw->p = NULL;
}

/* The header at the start of a raw mapping. */
static inline struct shmring_hdr *bt_raw_hdr(const struct bt_raw *raw)
{
	return (struct shmring_hdr *)raw->p;
}

/* Recompute a forged header's checksum, as a writer of it would. */
static inline void bt_hdr_reseal(struct shmring_hdr *h)
{
	h->check = shmring__hdr_checksum(h);
}

/* Set the length of a posix object or file (0 or -errno). */
static inline int bt_raw_truncate(const char *uri, off_t size)
{
	int fd, rc = 0;

	if (strncmp(uri, "posix:", 6) == 0)
		fd = shm_open(uri + 6, O_RDWR, 0);
	else if (strncmp(uri, "file:", 5) == 0)
		fd = open(uri + 5, O_RDWR);
	else
		return -EINVAL;
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Give the object behind uri to user uid (needs the privilege to). */
static inline int bt_raw_chown(const char *uri, uid_t uid)
{
	int fd, rc = 0;

	if (strncmp(uri, "sysv:", 5) == 0) {
		struct shmid_ds ds;
		int id = shmget(bt_sysv_key(uri), 0, 0);

		if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0)
			return -errno;
		ds.shm_perm.uid = uid;
		return shmctl(id, IPC_SET, &ds) < 0 ? -errno : 0;
	}
	if (strncmp(uri, "posix:", 6) == 0)
		fd = shm_open(uri + 6, O_RDWR, 0);
	else if (strncmp(uri, "file:", 5) == 0)
		fd = open(uri + 5, O_RDWR);
	else
		return -EINVAL;
	if (fd < 0)
		return -errno;
	if (fchown(fd, uid, (gid_t)-1) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * Make a plain object (not a ring) of `size` bytes under uri, its first
 * `len` bytes from data (the rest zero), registered for removal. sysv: a
 * fresh random key is chosen and written back into uri (size BT_URI_MAX).
 */
static inline int bt_raw_make(int b, char *uri, size_t size, const void *data, size_t len)
{
	int fd;

	if (b == BT_SYSV) {
		/* Made by a child that then exits, as a program that made it
		 * and went would leave it: its creator's pid names nobody. */
		for (int tries = 0; tries < 64; tries++) {
			pid_t kid;
			int st;

			bt_uri(BT_SYSV, "raw", uri, BT_URI_MAX);
			fflush(stdout);
			kid = fork();
			if (kid < 0)
				return -errno;
			if (kid == 0) {
				int id = shmget(bt_sysv_key(uri), size, IPC_CREAT | IPC_EXCL | 0600);
				void *p;

				if (id < 0)
					_exit(errno & 0xff);
				p = shmat(id, NULL, 0);
				if (p == (void *)-1)
					_exit(errno & 0xff);
				if (len)
					memcpy(p, data, len);
				shmdt(p);
				_exit(0);
			}
			if (waitpid(kid, &st, 0) != kid || !WIFEXITED(st))
				return -ECHILD;
			if (WEXITSTATUS(st) == EEXIST)
				continue;
			return -WEXITSTATUS(st);
		}
		return -EEXIST;
	}
	if (b == BT_POSIX) {
		bt_uri(BT_POSIX, "raw", uri, BT_URI_MAX);
		fd = shm_open(uri + 6, O_RDWR | O_CREAT | O_EXCL, 0600);
	} else if (b == BT_FILE) {
		bt_uri(BT_FILE, "raw", uri, BT_URI_MAX);
		fd = open(uri + 5, O_RDWR | O_CREAT | O_EXCL, 0600);
	} else {
		return -EINVAL;
	}
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0 || (len && pwrite(fd, data, len, 0) != (ssize_t)len)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

/* --- Children ------------------------------------------------------------------ */

/* What every child does first: no inherited handlers, a time limit, and
 * death with the parent (a test never leaves processes behind). */
static inline void bt_child_init(unsigned limit_s)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE, SIGALRM};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(limit_s * TEST_SLOWDOWN);
}

/*
 * Run this test program again in a child: fork, then exec /proc/self/exe
 * with argv (argv[0] is a label). The descriptors keep[0..nkeep) go along
 * (their FD_CLOEXEC is cleared in the child only), and any other without
 * FD_CLOEXEC. Returns the pid, or -1.
 */
static inline pid_t bt_spawn_self(char *const argv[], const int *keep, int nkeep)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid;
	for (int i = 0; i < nkeep; i++)
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, 0);
	execv("/proc/self/exe", argv);
	_exit(127);
}

/* Clear FD_CLOEXEC, so that fd survives an exec. */
static inline void bt_inherit(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl >= 0)
		fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
}

/* --- Descriptors by hand ------------------------------------------------------- */

/* Send `len` bytes and the n (at most 4) descriptors fds (SCM_RIGHTS). */
static inline int bt_send_fds_raw(int sock, const int *fds, size_t n, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	memset(cbuf, 0, sizeof(cbuf));
	if (n > 4)
		return -EINVAL;
	if (n) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Send `len` bytes and, when fd >= 0, the descriptor fd (SCM_RIGHTS). */
static inline int bt_send_fd_raw(int sock, int fd, const void *data, size_t len)
{
	return bt_send_fds_raw(sock, &fd, fd >= 0 ? 1 : 0, data, len);
}

/* Receive one message: its bytes into data (cap), a descriptor into *fd (-1 if none).
 * Returns the byte count or -errno. */
static inline ssize_t bt_recv_fd_raw(int sock, int *fd, void *data, size_t cap)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {.iov_base = data, .iov_len = cap};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	*fd = -1;
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && *fd < 0)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

/* --- Messages ---------------------------------------------------------------------- */

/* A test message: a sequence number and its check value (16 bytes). */
struct bt_msg {
	uint64_t seq;
	uint64_t check;
};

static inline struct bt_msg bt_msg_of(uint64_t seq)
{
	struct bt_msg m = {.seq = seq, .check = test_check(seq)};

	return m;
}

static inline bool bt_msg_ok(const struct bt_msg *m)
{
	return m->check == test_check(m->seq);
}

/* --- The crash harness ----------------------------------------------------------- */

/*
 * Producers send sequence numbers inc << 32 | i, i = 0, 1, ..., where inc is
 * the producer's incarnation (each start of a producer process has its own),
 * with blocking sends; after a send returns 0 the producer appends the seq
 * to its own log (<dir>/p<inc>.log, one 8-byte write each). A SIGKILL
 * between the send and the write leaves one committed message unlogged, so
 * for each incarnation the messages received must be exactly 0..k, in that
 * order, with L <= k <= L + 1 where L is the last seq its log holds (k = -1,
 * none, allowed only when the log is empty).
 *
 * The consumer takes each message with peek, appends its seq to the consumer
 * log (<dir>/c.log, O_APPEND, one write per message), then releases it. A
 * SIGKILL between the write and the release leaves the message in the ring
 * and in the log: the next consumer would log it twice. This is the
 * application-level idempotence every at-least-once consumer needs: on
 * start the consumer reads the last seq of the log, and a peeked message
 * with that seq (seqs are unique) is released without logging it again.
 * With one consumer (SPSC, MPSC) nothing else can be logged but not
 * released, so the log then holds every message received exactly once.
 *
 * Every participant writes a byte to the ready pipe once its open (or
 * create with SHMRING_CREATE_OPEN_EXISTING) succeeded, and exits with
 * BT_EXIT_BUSY if it returned -EBUSY (a dead participant's entry was not
 * taken over) or BT_EXIT_ERROR on any other failure, with the reason on
 * stderr: a killed participant must end by SIGKILL, never by an exit.
 */
#define BT_EXIT_BUSY  3
#define BT_EXIT_ERROR 4
#define BT_EXIT_CHECK 5

struct bt_crash_cfg {
	int backend;
	uint32_t kind; /* SPSC or MPSC */
	uint64_t capacity;
	char uri[BT_URI_MAX];
	char dir[512];  /* where the logs go */
	bool by_create; /* restart with shmring_create(OPEN_EXISTING) instead of open */
};

static inline struct shmring_opts bt_crash_opts(uint32_t kind, uint64_t capacity)
{
	struct shmring_opts o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.slot_size = sizeof(struct bt_msg);
	o.capacity = capacity;
	o.mode = 0600;
	o.recovery_ns = 2000000; /* 2 ms: dead claims are repaired quickly */
	return o;
}

/* Open the ring in role by name, or create-or-open it (the participant's restart). */
static inline int bt_crash_attach(const char *uri, uint32_t kind, uint64_t capacity, bool by_create,
                                  unsigned role, shmring_t **r)
{
	if (by_create) {
		struct shmring_opts o = bt_crash_opts(kind, capacity);

		o.flags = SHMRING_CREATE_OPEN_EXISTING;
		return shmring_create(uri, &o, role, r);
	}
	return shmring_open(uri, role, r);
}

static inline void bt__write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fprintf(stderr, "write: %s\n", strerror(errno));
			_exit(BT_EXIT_ERROR);
		}
		c += k;
		n -= (size_t)k;
	}
}

static inline void bt__ready(int ready_fd)
{
	if (ready_fd >= 0) {
		bt__write_all(ready_fd, "R", 1);
		close(ready_fd);
	}
}

/* After an unexpected -EBUSY: what the participant table holds, raw. */
static inline void bt__dump_parts(const char *uri)
{
	struct bt_raw raw;
	struct timespec now;

	if (bt_raw_open(uri, &raw) != 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	for (uint32_t i = 0;
	     i < 8 && SHMRING_PART_OFF + (i + 1) * sizeof(struct shmring_part) <= raw.size; i++) {
		struct shmring_part *e = &shmring__parts(raw.p)[i];
		uint64_t owner = atomic_load(&e->owner), at = atomic_load(&e->attach_ns);
		uint32_t pid = SHMRING_PART_PID(owner);
		char path[64], buf[1024];
		bool exists;

		if (!owner)
			continue;
		snprintf(path, sizeof(path), "/proc/%u/stat", pid);
		exists = test_read_file(path, buf, sizeof(buf)) > 0;
		fprintf(stderr,
		        "  entry %u: owner %#" PRIx64 " (pid %u role %u%s) start %" PRIu64
		        " attached %.3f s ago, pidns %" PRIu64 ", gen %u; /proc/%u: %s\n",
		        i, owner, pid, SHMRING_PART_ROLE(owner),
		        (owner & SHMRING_OWNER_REAPED) ? " reaped" : "",
		        (uint64_t)atomic_load(&e->start_time),
		        ((double)now.tv_sec * 1e9 + (double)now.tv_nsec - (double)at) / 1e9,
		        (uint64_t)atomic_load(&e->pidns), (unsigned)atomic_load(&e->gen), pid,
		        exists ? buf : "gone");
	}
	bt_raw_close(&raw);
}

static inline int bt__attach_or_exit(const char *what, const char *uri, uint32_t kind,
                                     uint64_t capacity, bool by_create, unsigned role,
                                     shmring_t **r)
{
	int rc = bt_crash_attach(uri, kind, capacity, by_create, role, r);

	if (rc == -EBUSY) {
		fprintf(stderr,
		        "%s %d: %s %s gave -EBUSY (a dead peer's entry was not taken over)\n", what,
		        (int)getpid(), by_create ? "create(OPEN_EXISTING)" : "open", uri);
		bt__dump_parts(uri);
		_exit(BT_EXIT_BUSY);
	}
	if (rc < 0) {
		fprintf(stderr, "%s %d: %s %s: %s\n", what, (int)getpid(),
		        by_create ? "create(OPEN_EXISTING)" : "open", uri, shmring_strerror(rc));
		_exit(BT_EXIT_ERROR);
	}
	return rc;
}

/*
 * Producer incarnation `inc`: send inc << 32 | i for i = 0, 1, ... until
 * killed (or `limit` messages, 0: none). -EPIPE (the consumer it saw has
 * gone, as when it is being restarted) is answered with a fresh handle: a
 * handle that has seen no consumer yet may fill the ring for the next one.
 */
static inline int bt_crash_producer(const struct bt_crash_cfg *c, uint32_t inc, int ready_fd,
                                    uint64_t limit)
{
	char path[600];
	shmring_t *r = NULL;
	int log;
	uint64_t i = 0;

	snprintf(path, sizeof(path), "%s/p%u.log", c->dir, inc);
	log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log < 0) {
		fprintf(stderr, "producer: open %s: %s\n", path, strerror(errno));
		_exit(BT_EXIT_ERROR);
	}
	bt__attach_or_exit("producer", c->uri, c->kind, c->capacity, c->by_create, SHMRING_PRODUCER,
	                   &r);
	bt__ready(ready_fd);
	while (limit == 0 || i < limit) {
		uint64_t seq = ((uint64_t)inc << 32) | i;
		struct bt_msg m = bt_msg_of(seq);
		int rc = shmring_send(r, &m, shmring_deadline_in(200000000));

		if (rc == 0) {
			bt__write_all(log, &seq, sizeof(seq));
			i++;
		} else if (rc == -EPIPE) {
			shmring_close(r);
			bt__attach_or_exit("producer", c->uri, c->kind, c->capacity, c->by_create,
			                   SHMRING_PRODUCER, &r);
		} else if (rc != -ETIMEDOUT) {
			fprintf(stderr, "producer %u: send: %s\n", inc, shmring_strerror(rc));
			_exit(BT_EXIT_ERROR);
		}
	}
	shmring_close(r);
	close(log);
	return 0;
}

/*
 * The consumer: peek, log, release, until killed; with `drain`, until the
 * ring has been empty for `drain` ms, and then the ring must hold nothing
 * (shmring_count() == 0). Returns the number of messages logged.
 */
static inline uint64_t bt_crash_consumer(const struct bt_crash_cfg *c, int ready_fd, unsigned drain)
{
	char path[600];
	shmring_t *r = NULL;
	struct stat st;
	uint64_t last = UINT64_MAX, logged = 0, idle_since = 0;
	int log;

	snprintf(path, sizeof(path), "%s/c.log", c->dir);
	log = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log < 0 || fstat(log, &st) < 0) {
		fprintf(stderr, "consumer: open %s: %s\n", path, strerror(errno));
		_exit(BT_EXIT_ERROR);
	}
	/* A record cut short by a SIGKILL inside write() was never complete,
	 * so the message it names was not released: drop the piece. */
	if (st.st_size % 8) {
		if (ftruncate(log, st.st_size - st.st_size % 8) < 0)
			_exit(BT_EXIT_ERROR);
		st.st_size -= st.st_size % 8;
	}
	if (st.st_size >= 8 && pread(log, &last, 8, st.st_size - 8) != 8)
		_exit(BT_EXIT_ERROR);
	bt__attach_or_exit("consumer", c->uri, c->kind, c->capacity, c->by_create, SHMRING_CONSUMER,
	                   &r);
	bt__ready(ready_fd);
	for (;;) {
		const struct bt_msg *p = shmring_peek(r);
		struct bt_msg m;

		if (!p) {
			uint64_t now = test_now_ns();

			if (!idle_since)
				idle_since = now;
			if (drain && now - idle_since > (uint64_t)drain * 1000000u)
				break;
			test_sleep_ms(1);
			continue;
		}
		idle_since = 0;
		memcpy(&m, p, sizeof(m));
		if (!bt_msg_ok(&m)) {
			fprintf(stderr, "consumer: corrupt message (seq %#" PRIx64 ")\n", m.seq);
			_exit(BT_EXIT_CHECK);
		}
		if (m.seq != last) /* else: logged by a consumer killed before its release */
			bt__write_all(log, &m.seq, sizeof(m.seq));
		last = UINT64_MAX; /* only the first message can be the logged one */
		logged++;
		if (shmring_release(r) != 0) {
			fprintf(stderr, "consumer: release failed\n");
			_exit(BT_EXIT_ERROR);
		}
	}
	if (shmring_count(r) != 0) {
		fprintf(stderr,
		        "consumer: drained, but the ring still counts %" PRIu64 " messages\n",
		        shmring_count(r));
		_exit(BT_EXIT_CHECK);
	}
	shmring_close(r);
	close(log);
	return logged;
}

/* Read a whole log of 8-byte seqs (a partial record at the end is ignored). */
static inline uint64_t *bt_read_log(const char *path, size_t *n)
{
	struct stat st;
	uint64_t *v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*n = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size < 8) {
		close(fd);
		return NULL;
	}
	v = malloc((size_t)st.st_size);
	if (!v || pread(fd, v, (size_t)st.st_size, 0) != st.st_size) {
		free(v);
		close(fd);
		return NULL;
	}
	close(fd);
	*n = (size_t)st.st_size / 8;
	return v;
}

/*
 * The verifier: incarnations 0..ninc-1 were started. Returns 0 when the
 * consumer log holds, for each incarnation, exactly 0..k in order with
 * L <= k <= L + 1 (see above); with `ordered` (one producer at a time),
 * incarnations also never interleave backwards. Prints what is wrong
 * otherwise. *total gets the number of messages received.
 */
static inline int bt_crash_verify(const char *dir, uint32_t ninc, bool ordered, uint64_t *total)
{
	char path[600];
	size_t nc;
	uint64_t *clog, *next = calloc(ninc ? ninc : 1, sizeof(uint64_t));
	int bad = 0;
	uint32_t last_inc = 0;

	snprintf(path, sizeof(path), "%s/c.log", dir);
	clog = bt_read_log(path, &nc);
	*total = nc;
	for (size_t j = 0; j < nc; j++) {
		uint32_t inc = (uint32_t)(clog[j] >> 32);
		uint64_t i = clog[j] & UINT32_MAX;

		if (inc >= ninc) {
			if (bad++ < 10)
				fprintf(stderr,
				        "verify: entry %zu: seq %#" PRIx64 " from no incarnation\n",
				        j, clog[j]);
			continue;
		}
		if (i != next[inc]) {
			if (bad++ < 10)
				fprintf(stderr,
				        "verify: entry %zu: incarnation %u sent %" PRIu64
				        " where %" PRIu64 " was due (%s)\n",
				        j, inc, i, next[inc], i < next[inc] ? "duplicate" : "gap");
		}
		next[inc] = i + 1;
		if (ordered && inc < last_inc && bad++ < 10)
			fprintf(stderr, "verify: entry %zu: incarnation %u after %u\n", j, inc,
			        last_inc);
		if (inc > last_inc)
			last_inc = inc;
	}
	for (uint32_t inc = 0; inc < ninc; inc++) {
		size_t np;
		uint64_t *plog;
		int64_t l = -1;

		snprintf(path, sizeof(path), "%s/p%u.log", dir, inc);
		plog = bt_read_log(path, &np);
		for (size_t j = 0; j < np; j++) {
			if (plog[j] != (((uint64_t)inc << 32) | j) && bad++ < 10)
				fprintf(stderr,
				        "verify: producer log %u: entry %zu is %#" PRIx64 "\n", inc,
				        j, plog[j]);
		}
		l = (int64_t)np - 1;
		/* received 0..next-1: k = next - 1 */
		if ((int64_t)next[inc] - 1 < l) {
			if (bad++ < 10)
				fprintf(stderr,
				        "verify: incarnation %u: committed up to %" PRId64
				        " but received only up to %" PRId64 " (lost)\n",
				        inc, l, (int64_t)next[inc] - 1);
		} else if ((int64_t)next[inc] - 1 > l + 1) {
			if (bad++ < 10)
				fprintf(stderr,
				        "verify: incarnation %u: committed up to %" PRId64
				        " but received up to %" PRId64 " (phantom)\n",
				        inc, l, (int64_t)next[inc] - 1);
		}
		free(plog);
	}
	free(clog);
	free(next);
	if (bad)
		fprintf(stderr, "verify: %d problems\n", bad);
	return bad ? -1 : 0;
}

/* Read one byte from a ready pipe within timeout_ms; true if it came. */
static inline bool bt_wait_ready(int fd, unsigned timeout_ms)
{
	uint64_t deadline = test_now_ns() + (uint64_t)timeout_ms * TEST_SLOWDOWN * 1000000u;
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (test_now_ns() < deadline) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n == 1)
			return true;
		if (n == 0)
			return false; /* the child closed it without writing: it failed */
		test_sleep_ms(1);
	}
	return false;
}

/* The description of a wait status for messages. */
static inline const char *bt_status_str(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "status %#x", status);
	return buf;
}

/* --- Crash harness: the child processes --------------------------------------- */

/*
 * Child modes, run in a process this test exec'd (see bt_crash_spawn()):
 *   --producer URI KIND CAPACITY DIR BY_CREATE READY_FD INC
 *   --consumer URI KIND CAPACITY DIR BY_CREATE READY_FD DRAIN_MS
 * Returns -1 when argv names no such mode (the caller runs its tests), else
 * never returns.
 */
static inline int bt_crash_child_main(int argc, char **argv)
{
	struct bt_crash_cfg c;
	int ready;

	if (argc != 9 || (strcmp(argv[1], "--producer") != 0 && strcmp(argv[1], "--consumer") != 0))
		return -1;
	bt_child_init(120);
	memset(&c, 0, sizeof(c));
	snprintf(c.uri, sizeof(c.uri), "%s", argv[2]);
	c.kind = (uint32_t)strtoul(argv[3], NULL, 0);
	c.capacity = strtoull(argv[4], NULL, 0);
	snprintf(c.dir, sizeof(c.dir), "%s", argv[5]);
	c.by_create = atoi(argv[6]) != 0;
	ready = atoi(argv[7]);
	if (argv[1][2] == 'p')
		bt_crash_producer(&c, (uint32_t)strtoul(argv[8], NULL, 0), ready, 0);
	else
		bt_crash_consumer(&c, ready, (unsigned)strtoul(argv[8], NULL, 0));
	_exit(0);
}

/*
 * Start a producer (incarnation inc) or, with inc < 0, a consumer (drain_ms
 * as in bt_crash_consumer()) as an unrelated process, and wait until it has
 * attached. Returns its pid; a child that could not attach fails the test
 * with its exit status (BT_EXIT_BUSY: -EBUSY on a restart).
 */
static inline pid_t bt_crash_spawn(const struct bt_crash_cfg *c, int64_t inc, unsigned drain_ms)
{
	char kind[16], cap[32], by[4], rfd[16], last[32], st[64];
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		fail_msg("pipe: %s", strerror(errno));
	snprintf(kind, sizeof(kind), "%u", c->kind);
	snprintf(cap, sizeof(cap), "%" PRIu64, c->capacity);
	snprintf(by, sizeof(by), "%d", c->by_create ? 1 : 0);
	snprintf(rfd, sizeof(rfd), "%d", p[1]);
	snprintf(last, sizeof(last), "%" PRId64, inc >= 0 ? inc : (int64_t)drain_ms);
	{
		char *argv[] = {inc >= 0 ? "bt-producer" : "bt-consumer",
		                inc >= 0 ? "--producer" : "--consumer",
		                (char *)c->uri,
		                kind,
		                cap,
		                (char *)c->dir,
		                by,
		                rfd,
		                last,
		                NULL};

		pid = bt_spawn_self(argv, &p[1], 1);
	}
	close(p[1]);
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	bt_track(pid);
	if (!bt_wait_ready(p[0], 20000)) {
		close(p[0]);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		bt_untrack(pid);
		fail_msg("%s (%s) did not attach to %s: %s%s", inc >= 0 ? "producer" : "consumer",
		         c->by_create ? "create OPEN_EXISTING" : "open", c->uri,
		         bt_status_str(status, st, sizeof(st)),
		         WIFEXITED(status) && WEXITSTATUS(status) == BT_EXIT_BUSY
		             ? " (-EBUSY: the dead participant's entry was not reclaimed)"
		             : "");
	}
	close(p[0]);
	return pid;
}

/* SIGKILL a participant and reap it; it must not have ended on its own before. */
static inline void bt_crash_kill(pid_t pid, const char *what)
{
	char st[64];
	int status;

	if (pid <= 0)
		abort(); /* never kill(0) or kill(-1) */
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		fail_msg("waitpid %s: %s", what, strerror(errno));
	bt_untrack(pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("%s %d ended by itself before it was killed: %s (see its stderr)", what,
		         (int)pid, bt_status_str(status, st, sizeof(st)));
}

#endif /* SHMRING_TESTS_BACKEND_HELPERS_H */
