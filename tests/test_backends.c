/* SPDX-License-Identifier: MIT */
/*
 * test_backends: one ring body over every backend and every kind.
 *
 * For each (backend, kind) pair the test creates a ring (posix, sysv with a
 * random key, file in a temporary directory, memfd, anon) and has unrelated
 * processes attach to it: named rings are opened by name in processes that
 * exec this program again; a memfd ring's descriptor goes over a Unix
 * socket to such a process (shmring_fd_send / shmring_fd_recv); an anon
 * ring can only be inherited, so its participants are forked children that
 * take their own handles with shmring_dup() and close the inherited one.
 * They move messages whose every byte is checked (the stress body of
 * tests/stress_body.h, counted in a table all of them share: each message
 * exactly once, in order per producer), detach, and the creator checks the
 * ring's information, closes it and unlinks it (memfd and anon: -EINVAL,
 * nothing to unlink). SPSC moves 10^6 messages over every backend, the
 * other kinds fewer; --full moves 10^6 for every pair (label stress).
 *
 * Also: what shmring_info() says about each backend (backend, page size,
 * owner, mode: exactly the mode asked for, whatever the umask); shmring_dup
 * across fork on an anon ring (the child's close of its inherited copy gives
 * back nothing the parent holds); flushing (shmring_set_flush,
 * shmring_flush) on every backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend_helpers.h"
#include "stress_body.h"

static bool full_run;

/* --- The ring body ------------------------------------------------------------ */

struct kspec {
	const char *tag;
	uint32_t kind;
	uint32_t flags;
	unsigned np, nc;
	uint32_t slot;
	uint64_t capacity;
	uint64_t fast_total; /* messages in the fast run; --full: 10^6 */
};

static const struct kspec kspecs[] = {
    {"spsc", SHMRING_KIND_SPSC, 0, 1, 1, 32, 1024, 1000000},
    {"mpsc", SHMRING_KIND_MPSC, 0, 3, 1, 24, 256, 300000},
    {"spmc", SHMRING_KIND_SPMC, 0, 1, 3, 24, 256, 300000},
    {"mpmc", SHMRING_KIND_MPMC, 0, 2, 2, 24, 256, 300000},
    {"msg", SHMRING_KIND_MSG, 0, 1, 1, 200, 16384, 300000},
    {"msgm", SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_PRODUCER | SHMRING_CREATE_MULTI_CONSUMER, 2, 2,
     200, 16384, 300000},
};
#define NKINDS (sizeof(kspecs) / sizeof(kspecs[0]))

/* What the creator and every participant share (a memfd each of them maps). */
struct board {
	struct sb_cfg cfg;
	int backend;
	char uri[BT_URI_MAX];
	uint64_t sh_off;
	uint64_t size;
};

static struct sb_shared *board_shared(struct board *b)
{
	return (struct sb_shared *)(void *)((char *)b + b->sh_off);
}

/* A participant: attach by the backend's way, move messages, detach. */
static int participate(struct board *b, shmring_t *inherited, int sock, bool producer,
                       unsigned index)
{
	struct sb_shared *sh = board_shared(b);
	struct sb_ctx c = {
	    .cfg = &b->cfg, .sh = sh, .name = b->uri, .index = index, .producer = producer};
	unsigned role = producer ? SHMRING_PRODUCER : SHMRING_CONSUMER;
	struct shmring_info in;
	shmring_t *r = NULL;
	int rc;

	switch (b->backend) {
	case BT_ANON:
		rc = shmring_dup(inherited, role, &r);
		/* The inherited copy is the parent's: closing it here gives back
		 * nothing the parent holds. */
		if (shmring_close(inherited) != 0)
			sb_fail(sh, "close of the inherited handle failed", index, 0);
		break;
	case BT_MEMFD:
		rc = shmring_fd_recv(sock, role, NULL, &r);
		close(sock);
		break;
	default:
		rc = shmring_open(b->uri, role, &r);
	}
	if (rc < 0) {
		sb_fail(sh, producer ? "producer attach failed" : "consumer attach failed", index,
		        (uint64_t)-rc);
		return 2;
	}
	if (shmring_info(r, &in) != 0 || in.backend != bt_backend_code(b->backend) ||
	    in.page_size != (uint32_t)sysconf(_SC_PAGESIZE))
		sb_fail(sh, "info in the participant: wrong backend or page size", index,
		        in.backend);
	if (producer)
		sb_attached(&c);
	if (b->cfg.kind == SHMRING_KIND_MSG && producer)
		sb_produce_msg(&c, r);
	else if (producer)
		sb_produce_fixed(&c, r);
	else
		sb_consume(&c, r);
	if (shmring_close(r) != 0)
		sb_fail(sh, "close failed", index, 0);
	return 0;
}

/* Child mode: --child BACKEND p|c INDEX BOARD_FD SOCK_FD */
static void child_main(int argc, char **argv)
{
	struct board *b;
	struct stat st;
	int bfd;

	if (argc != 7 || strcmp(argv[1], "--child") != 0)
		return;
	bt_child_init(300);
	bfd = atoi(argv[5]);
	if (fstat(bfd, &st) < 0)
		_exit(3);
	b = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	if (b == MAP_FAILED)
		_exit(3);
	close(bfd);
	if (b->backend != atoi(argv[2]))
		_exit(3);
	_exit(participate(b, NULL, atoi(argv[6]), argv[3][0] == 'p',
	                  (unsigned)strtoul(argv[4], NULL, 0)));
}

/* The other handle a test takes in this process: by name, or shmring_dup(). */
static int second_handle(int backend, shmring_t *r, const char *uri, unsigned role, shmring_t **out)
{
	return bt_named(backend) ? shmring_open(uri, role, out) : shmring_dup(r, role, out);
}

/* What a creator's handle says about where its ring lives. */
static void check_created_info(int backend, shmring_t *r, const char *uri, uint32_t mode)
{
	struct shmring_info in;
	struct stat st;

	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.backend, bt_backend_code(backend));
	assert_int_equal(in.page_size, (uint32_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(in.creator_uid, (uint32_t)geteuid());
	assert_int_equal(in.creator_pid, (uint32_t)getpid());
	if (backend != BT_ANON)
		assert_int_equal(in.owner_uid, (uint32_t)geteuid());
	if (!bt_named(backend))
		return;
	/* Exactly the mode asked for: the creator ran under umask 077. */
	assert_int_equal(in.mode, mode);
	if (backend == BT_SYSV) {
		struct shmid_ds ds;
		int id = shmget(bt_sysv_key(uri), 0, 0);

		assert_true(id >= 0);
		assert_int_equal(shmctl(id, IPC_STAT, &ds), 0);
		assert_int_equal(ds.shm_perm.mode & 0777, mode);
		assert_true(ds.shm_segsz >= in.total_size);
	} else {
		char path[BT_URI_MAX];

		if (backend == BT_POSIX)
			snprintf(path, sizeof(path), "/dev/shm%s", uri + 6);
		else
			snprintf(path, sizeof(path), "%s", uri + 5);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, mode);
		assert_true((uint64_t)st.st_size >= in.total_size);
	}
}

static void run_body(int backend, const struct kspec *k, uint64_t total)
{
	unsigned n = k->np + k->nc;
	uint64_t count = total / TEST_MSG_DIVISOR / k->np;
	size_t off = (sizeof(struct board) + 63) / 64 * 64;
	size_t size = off + sizeof(struct sb_shared) + (size_t)k->np * count;
	struct shmring_opts o = {.kind = k->kind,
	                         .slot_size = k->slot,
	                         .capacity = k->capacity,
	                         .flags = k->flags,
	                         .mode = 0640};
	struct shmring_info in;
	struct board *b;
	struct sb_shared *sh;
	shmring_t *r = NULL;
	pid_t pids[8];
	uint64_t missing = 0, t0 = test_now_ns();
	char tag[32];
	mode_t old_mask;
	int bfd, rc;

	alarm(240 * TEST_SLOWDOWN);
	bfd = memfd_create("bt-board", MFD_CLOEXEC);
	assert_true(bfd >= 0);
	assert_int_equal(ftruncate(bfd, (off_t)size), 0);
	b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	assert_true(b != MAP_FAILED);
	b->cfg = (struct sb_cfg){.kind = k->kind,
	                         .flags = k->flags,
	                         .slot_size = k->slot,
	                         .capacity = k->capacity,
	                         .producers = k->np,
	                         .consumers = k->nc,
	                         .count = count,
	                         .processes = true,
	                         .blocking = true,
	                         .no_zero_copy = true,
	                         .wait_mode = SHMRING_WAIT_ADAPTIVE};
	b->backend = backend;
	b->sh_off = off;
	b->size = size;
	sh = board_shared(b);

	snprintf(tag, sizeof(tag), "body-%s", k->tag);
	old_mask = umask(077);
	rc = bt_create(backend, tag, &o, SHMRING_OBSERVER, &r, b->uri, sizeof(b->uri));
	umask(old_mask);
	if (rc != 0)
		fail_msg("%s %s: create %s: %s", bt_backend_name(backend), k->tag, b->uri,
		         shmring_strerror(rc));
	check_created_info(backend, r, b->uri, 0640);

	for (unsigned i = 0; i < n; i++) {
		bool producer = i < k->np;
		unsigned index = producer ? i : i - k->np;

		if (backend == BT_ANON) {
			fflush(stdout);
			fflush(stderr);
			pids[i] = fork();
			if (pids[i] == 0) {
				bt_child_init(300);
				_exit(participate(b, r, -1, producer, index));
			}
		} else {
			int sv[2] = {-1, -1};
			char be[8], idx[16], bf[16], sk[16];

			if (backend == BT_MEMFD) {
				assert_int_equal(
				    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
				assert_int_equal(shmring_fd_send(r, sv[0]), 0);
			}
			snprintf(be, sizeof(be), "%d", backend);
			snprintf(idx, sizeof(idx), "%u", index);
			snprintf(bf, sizeof(bf), "%d", bfd);
			snprintf(sk, sizeof(sk), "%d", sv[1]);
			{
				char *argv[] = {"bt-participant",
				                "--child",
				                be,
				                producer ? "p" : "c",
				                idx,
				                bf,
				                sk,
				                NULL};
				int keep[2] = {bfd, sv[1]};

				pids[i] = bt_spawn_self(argv, keep, 2);
			}
			if (sv[0] >= 0) {
				close(sv[0]);
				close(sv[1]);
			}
		}
		assert_true(pids[i] > 0);
		bt_track(pids[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		int st = test_wait_pid(pids[i], 200000 * TEST_SLOWDOWN);

		bt_untrack(pids[i]);
		if (st != 0)
			sb_fail(sh, "a participant process failed", i, (uint64_t)st);
	}
	for (uint64_t i = 0; i < (uint64_t)k->np * count; i++)
		/* Relaxed: every participant has been waited for. */
		if (atomic_load_explicit(&sh->seen[i], memory_order_relaxed) != 1)
			missing++;
	fprintf(stderr, "%s %s: %u producers x %u consumers, %" PRIu64 " messages, %.2f s\n",
	        bt_backend_name(backend), k->tag, k->np, k->nc, (uint64_t)k->np * count,
	        (double)(test_now_ns() - t0) / 1e9);
	if (atomic_load_explicit(&sh->errors, memory_order_relaxed) || missing)
		fail_msg("%s %s: %" PRIu64 " errors, %" PRIu64
		         " messages not received exactly once; first: %s",
		         bt_backend_name(backend), k->tag,
		         (uint64_t)atomic_load_explicit(&sh->errors, memory_order_relaxed), missing,
		         sh->first_error);

	/* Everyone detached: no live participant, everything consumed. */
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.producers, 0);
	assert_int_equal(in.consumers, 0);
	assert_true(in.producers_gone);
	assert_true(in.consumers_gone);
	assert_int_equal(in.produced, in.consumed);
	if (k->kind != SHMRING_KIND_MSG)
		assert_int_equal(in.produced, (uint64_t)k->np * count);
	assert_int_equal(shmring_count(r), 0);
	assert_int_equal(shmring_close(r), 0);

	if (bt_named(backend)) {
		assert_int_equal(shmring_unlink(b->uri), 0);
		assert_int_equal(shmring_open(b->uri, SHMRING_OBSERVER, &r), -ENOENT);
		assert_int_equal(shmring_unlink(b->uri), -ENOENT);
	} else {
		assert_int_equal(shmring_unlink(b->uri), -EINVAL);
	}
	munmap(b, size);
	close(bfd);
}

static void body(int backend, int kind)
{
	const struct kspec *k = &kspecs[kind];

	run_body(backend, k, full_run ? 1000000 : k->fast_total);
}

/* One (backend, kind) pair, the state of its cmocka test. */
struct pair {
	int backend;
	int kind;
	char name[32];
};

static void test_body(void **state)
{
	const struct pair *p = *state;

	body(p->backend, p->kind);
}

/* --- shmring_dup across fork (anon) ----------------------------------------- */

/*
 * The parent holds the only producer role of an SPSC anon ring. Its forked
 * child takes the consumer role with shmring_dup(), cannot take a second
 * producer (-EBUSY: the parent's is alive), and closes the handle it
 * inherited. That close must give back nothing of the parent's: the
 * producer is still counted, the parent's sends still work and reach the
 * child, and the child never sees end-of-stream before the parent's last
 * message.
 */
static void test_anon_dup_fork(void **s)
{
	struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = sizeof(struct bt_msg), .capacity = 64};
	struct shmring_info in;
	shmring_t *r = NULL;
	int go[2], st;
	char c;
	pid_t pid;

	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	assert_int_equal(shmring_create("anon:", &o, SHMRING_PRODUCER, &r), 0);
	assert_int_equal(pipe(go), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		shmring_t *mine = NULL, *extra = NULL;
		int rc;

		bt_child_init(60);
		close(go[0]);
		if (shmring_dup(r, SHMRING_CONSUMER, &mine) != 0)
			_exit(10);
		if (shmring_dup(r, SHMRING_PRODUCER, &extra) != -EBUSY)
			_exit(11);
		if (shmring_close(r) != 0) /* the inherited copy */
			_exit(12);
		if (shmring_info(mine, &in) != 0 || in.producers != 1 || in.consumers != 1)
			_exit(13);
		if (write(go[1], "R", 1) != 1)
			_exit(14);
		for (uint64_t i = 0; i < 1000; i++) {
			struct bt_msg m;

			rc = shmring_recv(mine, &m, shmring_deadline_in(10000000000ull));
			if (rc != 0)
				_exit(20 + (rc == -EPIPE));
			if (m.seq != i || !bt_msg_ok(&m))
				_exit(22);
		}
		if (shmring_info(mine, &in) != 0 || in.producers != 1)
			_exit(23);
		_exit(shmring_close(mine) == 0 ? 0 : 24);
	}
	bt_track(pid);
	close(go[1]);
	assert_int_equal(read(go[0], &c, 1), 1);
	close(go[0]);
	/* The child has closed its inherited copy of our handle by now. */
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.producers, 1);
	assert_int_equal(in.consumers, 1);
	for (uint64_t i = 0; i < 1000; i++) {
		struct bt_msg m = bt_msg_of(i);

		assert_int_equal(shmring_send(r, &m, shmring_deadline_in(10000000000ull)), 0);
	}
	st = test_wait_pid(pid, 30000 * TEST_SLOWDOWN);
	bt_untrack(pid);
	assert_int_equal(st, 0);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.producers, 1);
	assert_int_equal(in.consumers, 0);
	assert_int_equal(in.consumed, 1000);
	/* A second handle of our own in the parent still works too. */
	{
		shmring_t *rx = NULL;
		struct bt_msg m = bt_msg_of(7), got;

		assert_int_equal(shmring_dup(r, SHMRING_CONSUMER, &rx), 0);
		assert_int_equal(shmring_try_send(r, &m), 0);
		assert_int_equal(shmring_try_recv(rx, &got), 0);
		assert_int_equal(got.seq, 7);
		assert_int_equal(shmring_close(rx), 0);
	}
	assert_int_equal(shmring_close(r), 0);
}

/* --- Flushing ----------------------------------------------------------------- */

static void flush_one(int backend)
{
	struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = sizeof(struct bt_msg), .capacity = 64};
	struct bt_msg batch[5];
	struct shmring_info in;
	char uri[BT_URI_MAX];
	shmring_t *tx = NULL, *rx = NULL;
	int rc = bt_create(backend, "flush", &o, SHMRING_PRODUCER, &tx, uri, sizeof(uri));

	if (rc != 0)
		fail_msg("%s: create: %s", bt_backend_name(backend), shmring_strerror(rc));
	assert_int_equal(second_handle(backend, tx, uri, SHMRING_CONSUMER, &rx), 0);

	assert_int_equal(shmring_set_flush(tx, SHMRING_FLUSH_EVERY, 0), -EINVAL);
	assert_int_equal(shmring_set_flush(tx, 77, 1), -EINVAL);
	/* every is for EVERY only */
	assert_int_equal(shmring_set_flush(tx, SHMRING_FLUSH_CLOSE, 5), -EINVAL);
	assert_int_equal(shmring_set_flush(tx, SHMRING_FLUSH_EVERY, 1), 0);
	assert_int_equal(shmring_set_flush(rx, SHMRING_FLUSH_EVERY, 3), 0);
	for (uint64_t i = 0; i < 10; i++) {
		struct bt_msg m = bt_msg_of(i);

		assert_int_equal(shmring_send(tx, &m, shmring_deadline_in(1000000000)), 0);
	}
	for (uint64_t i = 0; i < 5; i++)
		batch[i] = bt_msg_of(10 + i);
	assert_int_equal(shmring_send_burst(tx, batch, 5, shmring_deadline_in(1000000000)), 5);
	for (uint64_t i = 0; i < 15; i++) {
		struct bt_msg m;

		assert_int_equal(shmring_recv(rx, &m, shmring_deadline_in(1000000000)), 0);
		assert_int_equal(m.seq, i);
		assert_true(bt_msg_ok(&m));
	}
	assert_int_equal(shmring_flush(tx), 0);
	assert_int_equal(shmring_flush(rx), 0);
	assert_int_equal(shmring_set_flush(tx, SHMRING_FLUSH_CLOSE, 0), 0);
	assert_int_equal(shmring_set_flush(tx, SHMRING_FLUSH_NONE, 0), 0);
	assert_int_equal(shmring_set_flush(tx, SHMRING_FLUSH_CLOSE, 0), 0);
	assert_int_equal(shmring_close(tx), 0);
	assert_int_equal(shmring_info(rx, &in), 0);
	assert_int_equal(in.produced, 15);
	assert_int_equal(in.consumed, 15);
	assert_int_equal(shmring_close(rx), 0);
	if (backend == BT_FILE) {
		/* What was flushed is in the file: a raw read sees the positions. */
		struct bt_raw raw;

		assert_int_equal(bt_raw_open(uri, &raw), 0);
		assert_int_equal(bt_raw_hdr(&raw)->magic, SHMRING_MAGIC);
		assert_int_equal(atomic_load(&shmring__prod_side(raw.p)->pos), 15);
		bt_raw_close(&raw);
	}
	if (bt_named(backend))
		assert_int_equal(shmring_unlink(uri), 0);
}

static void test_flush(void **s)
{
	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	for (int b = 0; b < BT_NBACKENDS; b++)
		flush_one(b);
}

int main(int argc, char **argv)
{
	static struct pair pairs[BT_NBACKENDS * NKINDS];
	struct CMUnitTest tests[2 + BT_NBACKENDS * NKINDS] = {
	    cmocka_unit_test_teardown(test_anon_dup_fork, bt_teardown),
	    cmocka_unit_test_teardown(test_flush, bt_teardown),
	};
	size_t n = 2;

	child_main(argc, argv);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--full"))
			full_run = true;
	for (int b = 0; b < BT_NBACKENDS; b++) {
		for (int k = 0; k < (int)NKINDS; k++) {
			struct pair *p = &pairs[n - 2];

			p->backend = b;
			p->kind = k;
			snprintf(p->name, sizeof(p->name), "%s_%s", bt_backend_name(b),
			         kspecs[k].tag);
			tests[n++] = (struct CMUnitTest){.name = p->name,
			                                 .test_func = test_body,
			                                 .teardown_func = bt_teardown,
			                                 .initial_state = p};
		}
	}
	assert_int_equal(n, sizeof(tests) / sizeof(tests[0]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
