/* SPDX-License-Identifier: MIT */
/*
 * test_backend_validate: what open and create refuse, on each named backend
 * (posix, sysv, file), each refusal with the code ring.h documents:
 *
 *   - a segment that is not a ring: random bytes (SHMRING_EBADMAGIC), all
 *     zero (-EAGAIN: a creator that never finished; at once with
 *     SHMRING_OPEN_NOWAIT, after the creator's grace second without), too
 *     short for a header (SHMRING_ETRUNCATED); for sysv these are plain
 *     shmget segments of 4096 and 16 bytes under a random key;
 *   - a forged header: another layout version (SHMRING_EVERSION, checksum
 *     forged or not: the version is judged first), a byte changed without
 *     its checksum (SHMRING_ECHECK), a reserved field set or an unknown kind
 *     under a forged checksum (SHMRING_EGEOMETRY, SHMRING_EVERSION);
 *   - other expectations: shmring_open_ex() with another kind, slot size or
 *     capacity (SHMRING_EKIND, SHMRING_EMISMATCH), bad options (-EINVAL);
 *   - a posix object or file shrunk under its header (SHMRING_ETRUNCATED),
 *     also while this process has it mapped already;
 *   - a segment owned by another user (as root: chown / IPC_SET to 65534):
 *     shmring_open() is -SHMRING_EFOREIGN; with SHMRING_OPEN_ANY_OWNER the
 *     header's creator uid no longer matches (SHMRING_EOWNER), and once the
 *     header says so too (forged, checksum resealed) the open succeeds;
 *   - open-or-create (SHMRING_CREATE_OPEN_EXISTING) of an existing ring
 *     with another geometry (SHMRING_EKIND / SHMRING_EMISMATCH) and with the
 *     same (the same ring: a message sent through one handle arrives through
 *     the other), and of a segment whose creator died before its header
 *     (all zero: replaced after the grace second, also by several processes
 *     at once);
 *   - malformed names for every scheme (-EINVAL), a missing sysv:@ file
 *     (-ENOENT), "memfd:x" opened (-ENOENT), an unknown scheme
 *     (-EPROTONOSUPPORT), and names at their limits that work;
 *   - file: names of a FIFO (refused at once, never blocking), a directory,
 *     a device; open-or-create and replace on memfd: and anon: (-EINVAL);
 *   - replace (SHMRING_CREATE_REPLACE, SHMRING_SYNC_REPLACE) removes only
 *     an object of its own kind, or one whose magic is zero (a creator that
 *     died): another program's data is -SHMRING_EBADMAGIC, the other kind
 *     of shmring object -SHMRING_EKIND, a FIFO or symbolic link
 *     -SHMRING_EBADMAGIC, and each is left as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend_helpers.h"

#include <sys/file.h>
#include <sys/sem.h>
#include <sys/un.h>

static const int named[] = {BT_POSIX, BT_SYSV, BT_FILE};
#define NNAMED 3

static struct shmring_opts spsc_opts(uint32_t slot, uint64_t cap)
{
	struct shmring_opts o;

	memset(&o, 0, sizeof(o));
	o.kind = SHMRING_KIND_SPSC;
	o.slot_size = slot;
	o.capacity = cap;
	return o;
}

/* shmring_open_ex() with just flags; the handle, if any, is closed. */
static int open_flags(const char *uri, unsigned role, uint32_t flags)
{
	struct shmring_open_opts oo;
	shmring_t *r = NULL;
	int rc;

	memset(&oo, 0, sizeof(oo));
	oo.flags = flags;
	rc = shmring_open_ex(uri, role, &oo, &r);
	if (rc == 0) {
		assert_non_null(r);
		shmring_close(r);
	} else {
		assert_null(r);
	}
	return rc;
}

static int open_plain(const char *uri, unsigned role)
{
	shmring_t *r = NULL;
	int rc = shmring_open(uri, role, &r);

	if (rc == 0)
		shmring_close(r);
	return rc;
}

/* A fresh SPSC ring of backend b (observer handle closed); its name in uri. */
static void make_ring(int b, const char *tag, uint32_t slot, uint64_t cap, char *uri)
{
	struct shmring_opts o = spsc_opts(slot, cap);
	shmring_t *r = NULL;
	int rc = bt_create(b, tag, &o, SHMRING_OBSERVER, &r, uri, BT_URI_MAX);

	if (rc != 0)
		fail_msg("%s: create: %s", bt_backend_name(b), shmring_strerror(rc));
	shmring_close(r);
}

/* --- Not a ring -------------------------------------------------------------------- */

static void not_a_ring(int b)
{
	unsigned char bytes[4096];
	char uri[BT_URI_MAX];
	uint64_t t0;

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)bt_rand32();
	bytes[0] |= 1; /* a magic that is not zero, and not ours */

	/* Random bytes where the header goes. */
	assert_int_equal(bt_raw_make(b, uri, sizeof(bytes), bytes, sizeof(bytes)), 0);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_EBADMAGIC);
	assert_int_equal(open_plain(uri, SHMRING_CONSUMER), -SHMRING_EBADMAGIC);
	assert_int_equal(open_flags(uri, SHMRING_PRODUCER, SHMRING_OPEN_NOWAIT),
	                 -SHMRING_EBADMAGIC);

	/* All zero: a creator still writing (or one that died doing so). */
	assert_int_equal(bt_raw_make(b, uri, 4096, NULL, 0), 0);
	t0 = test_now_ns();
	assert_int_equal(open_flags(uri, SHMRING_CONSUMER, SHMRING_OPEN_NOWAIT), -EAGAIN);
	assert_true(test_now_ns() - t0 < 500000000ull * TEST_SLOWDOWN);
	if (b == BT_POSIX) {
		/* Without NOWAIT the open gives the creator its second first. */
		t0 = test_now_ns();
		assert_int_equal(open_plain(uri, SHMRING_CONSUMER), -EAGAIN);
		assert_true(test_now_ns() - t0 >= 900000000ull);
	}

	/* Shorter than a header. */
	assert_int_equal(bt_raw_make(b, uri, 16, bytes, 16), 0);
	assert_int_equal(open_flags(uri, SHMRING_OBSERVER, SHMRING_OPEN_NOWAIT),
	                 -SHMRING_ETRUNCATED);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_ETRUNCATED);
}

static void test_not_a_ring(void **s)
{
	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	for (int i = 0; i < NNAMED; i++)
		not_a_ring(named[i]);
}

/* --- Forged headers ------------------------------------------------------------------ */

static void forged(int b)
{
	char uri[BT_URI_MAX];
	struct bt_raw raw;
	struct shmring_hdr *h, saved;

	make_ring(b, "forged", 16, 64, uri);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), 0);
	assert_int_equal(bt_raw_open(uri, &raw), 0);
	h = bt_raw_hdr(&raw);
	saved = *h;

	/* Another layout version: judged before the checksum. */
	h->version = SHMRING_LAYOUT_VERSION + 1;
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_EVERSION);
	bt_hdr_reseal(h);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_EVERSION);
	h->version = 1;
	bt_hdr_reseal(h);
	assert_int_equal(open_plain(uri, SHMRING_CONSUMER), -SHMRING_EVERSION);
	*h = saved;
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), 0);

	/* A byte changed, the checksum not. */
	h->slot_stride ^= 0x40;
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_ECHECK);
	*h = saved;
	h->check ^= 1;
	assert_int_equal(open_plain(uri, SHMRING_PRODUCER), -SHMRING_ECHECK);
	*h = saved;

	/* Checksum forged over impossible or unknown content. */
	h->reserved[3] = 1;
	bt_hdr_reseal(h);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_EGEOMETRY);
	*h = saved;
	h->kind = 9;
	bt_hdr_reseal(h);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_EVERSION);
	*h = saved;
	h->total_size += 4096;
	bt_hdr_reseal(h);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_EGEOMETRY);
	*h = saved;

	/* Restored, it is a ring again. */
	assert_int_equal(open_plain(uri, SHMRING_PRODUCER), 0);
	bt_raw_close(&raw);
	assert_int_equal(shmring_unlink(uri), 0);
}

static void test_forged(void **s)
{
	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	for (int i = 0; i < NNAMED; i++)
		forged(named[i]);
}

/* --- What the opener expects ------------------------------------------------------------ */

static int open_expect(const char *uri, uint32_t kind, uint32_t slot, uint64_t cap)
{
	struct shmring_open_opts oo;
	shmring_t *r = NULL;
	int rc;

	memset(&oo, 0, sizeof(oo));
	oo.kind = kind;
	oo.slot_size = slot;
	oo.capacity = cap;
	rc = shmring_open_ex(uri, SHMRING_CONSUMER, &oo, &r);
	if (rc == 0)
		shmring_close(r);
	return rc;
}

static void expected(int b)
{
	char uri[BT_URI_MAX];
	struct shmring_open_opts oo;
	shmring_t *r = NULL;

	make_ring(b, "expect", 24, 128, uri);
	assert_int_equal(open_expect(uri, SHMRING_KIND_MPSC, 0, 0), -SHMRING_EKIND);
	assert_int_equal(open_expect(uri, SHMRING_KIND_MSG, 24, 128), -SHMRING_EKIND);
	assert_int_equal(open_expect(uri, 0, 32, 0), -SHMRING_EMISMATCH);
	assert_int_equal(open_expect(uri, 0, 0, 256), -SHMRING_EMISMATCH);
	assert_int_equal(open_expect(uri, SHMRING_KIND_SPSC, 24, 64), -SHMRING_EMISMATCH);
	assert_int_equal(open_expect(uri, SHMRING_KIND_SPSC, 24, 128), 0);
	assert_int_equal(open_expect(uri, 0, 24, 0), 0);
	assert_int_equal(open_expect(uri, 0, 0, 0), 0);
	assert_int_equal(shmring_open_ex(uri, SHMRING_CONSUMER, NULL, &r), 0);
	shmring_close(r);

	/* Options the call does not know. */
	memset(&oo, 0, sizeof(oo));
	oo.reserved0 = 1;
	assert_int_equal(shmring_open_ex(uri, SHMRING_CONSUMER, &oo, &r), -EINVAL);
	memset(&oo, 0, sizeof(oo));
	oo.reserved[2] = 1;
	assert_int_equal(shmring_open_ex(uri, SHMRING_CONSUMER, &oo, &r), -EINVAL);
	memset(&oo, 0, sizeof(oo));
	oo.flags = 1u << 20;
	assert_int_equal(shmring_open_ex(uri, SHMRING_CONSUMER, &oo, &r), -EINVAL);
	assert_int_equal(shmring_unlink(uri), 0);
}

static void test_expected(void **s)
{
	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	for (int i = 0; i < NNAMED; i++)
		expected(named[i]);
}

/* --- Truncated ---------------------------------------------------------------------------- */

static void truncated(int b)
{
	char uri[BT_URI_MAX];
	struct bt_raw raw;
	uint64_t total;
	shmring_t *held = NULL;

	make_ring(b, "trunc", 64, 1024, uri);
	assert_int_equal(bt_raw_open(uri, &raw), 0);
	total = bt_raw_hdr(&raw)->total_size;
	bt_raw_close(&raw);
	assert_true(total > 8192);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), 0);
	/* Held across the shrinking: the opens below would share its mapping,
	 * whose lost pages fault at the first touch, and are refused too. */
	assert_int_equal(shmring_open(uri, SHMRING_OBSERVER, &held), 0);
	assert_int_equal(bt_raw_truncate(uri, (off_t)(total / 2)), 0);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_ETRUNCATED);
	assert_int_equal(open_plain(uri, SHMRING_CONSUMER), -SHMRING_ETRUNCATED);
	assert_int_equal(bt_raw_truncate(uri, (off_t)total - 1), 0);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_ETRUNCATED);
	assert_int_equal(bt_raw_truncate(uri, 100), 0);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_ETRUNCATED);
	shmring_close(held);
	assert_int_equal(shmring_unlink(uri), 0);
}

static void test_truncated(void **s)
{
	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	truncated(BT_POSIX);
	truncated(BT_FILE);
}

/* --- Another owner ------------------------------------------------------------------------ */

#define OTHER_UID 65534u

static void owner(int b)
{
	char uri[BT_URI_MAX];
	struct shmring_open_opts oo;
	struct shmring_info in;
	struct bt_raw raw;
	shmring_t *r = NULL;

	make_ring(b, "owner", 16, 64, uri);
	assert_int_equal(bt_raw_chown(uri, OTHER_UID), 0);
	/* Not ours: refused by default. */
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_EFOREIGN);
	assert_int_equal(open_plain(uri, SHMRING_CONSUMER), -SHMRING_EFOREIGN);
	assert_int_equal(open_flags(uri, SHMRING_CONSUMER, 0), -SHMRING_EFOREIGN);
	/* Allowed, but the header says another user created it. */
	assert_int_equal(open_flags(uri, SHMRING_CONSUMER, SHMRING_OPEN_ANY_OWNER),
	                 -SHMRING_EOWNER);
	/* The header agrees with the segment: a ring of user 65534. */
	assert_int_equal(bt_raw_open(uri, &raw), 0);
	bt_raw_hdr(&raw)->creator_uid = OTHER_UID;
	bt_hdr_reseal(bt_raw_hdr(&raw));
	bt_raw_close(&raw);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_EFOREIGN);
	memset(&oo, 0, sizeof(oo));
	oo.flags = SHMRING_OPEN_ANY_OWNER;
	assert_int_equal(shmring_open_ex(uri, SHMRING_CONSUMER, &oo, &r), 0);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.owner_uid, OTHER_UID);
	assert_int_equal(in.creator_uid, OTHER_UID);
	assert_int_equal(in.backend, bt_backend_code(b));
	shmring_close(r);
	assert_int_equal(shmring_unlink(uri), 0);
}

static void test_owner(void **s)
{
	(void)s;
	if (geteuid() != 0) {
		printf("SKIP owner checks: not root, cannot give a segment to another user\n");
		skip();
	}
	alarm(60 * TEST_SLOWDOWN);
	for (int i = 0; i < NNAMED; i++)
		owner(named[i]);
}

/* --- Open-or-create ------------------------------------------------------------------------ */

static void open_existing(int b)
{
	char uri[BT_URI_MAX];
	struct shmring_opts o = spsc_opts(16, 64);
	shmring_t *tx = NULL, *rx = NULL, *x = NULL;
	struct bt_msg m = bt_msg_of(42), got;
	int rc;

	rc = bt_create(b, "oe", &o, SHMRING_PRODUCER, &tx, uri, sizeof(uri));
	assert_int_equal(rc, 0);
	/* Plain create of a name that exists. */
	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &x), -EEXIST);
	assert_null(x);

	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	o.kind = SHMRING_KIND_MPSC;
	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &x), -SHMRING_EKIND);
	o.kind = SHMRING_KIND_MSG;
	o.capacity = 4096;
	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &x), -SHMRING_EKIND);
	o = spsc_opts(32, 64);
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &x), -SHMRING_EMISMATCH);
	o = spsc_opts(16, 128);
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &x), -SHMRING_EMISMATCH);
	assert_null(x);

	/* The same geometry: the same ring. */
	o = spsc_opts(16, 64);
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_try_send(tx, &m), 0);
	assert_int_equal(shmring_try_recv(rx, &got), 0);
	assert_int_equal(got.seq, 42);
	assert_true(bt_msg_ok(&got));
	/* The single consumer role is taken now. */
	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &x), -EBUSY);
	shmring_close(rx);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(uri), 0);

	/* A message ring: the MULTI flags are part of what must agree. */
	memset(&o, 0, sizeof(o));
	o.kind = SHMRING_KIND_MSG;
	o.slot_size = 100;
	o.capacity = 4096;
	o.flags = SHMRING_CREATE_MULTI_PRODUCER;
	assert_int_equal(bt_create(b, "oe-msg", &o, SHMRING_OBSERVER, &tx, uri, sizeof(uri)), 0);
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &x), -SHMRING_EMISMATCH);
	o.flags = SHMRING_CREATE_OPEN_EXISTING | SHMRING_CREATE_MULTI_PRODUCER |
	          SHMRING_CREATE_MULTI_CONSUMER;
	assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &x), -SHMRING_EMISMATCH);
	o.flags = SHMRING_CREATE_OPEN_EXISTING | SHMRING_CREATE_MULTI_PRODUCER;
	assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &x), 0);
	shmring_close(x);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(uri), 0);

	/* Nothing of that name yet: open-or-create creates. */
	o = spsc_opts(16, 64);
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(bt_create(b, "oe-new", &o, SHMRING_PRODUCER, &tx, uri, sizeof(uri)), 0);
	shmring_close(tx);
	assert_int_equal(open_plain(uri, SHMRING_CONSUMER), 0);
	assert_int_equal(shmring_unlink(uri), 0);
}

static void test_open_existing(void **s)
{
	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	for (int i = 0; i < NNAMED; i++)
		open_existing(named[i]);
}

/* A segment whose creator died before writing its header: all zero, replaced. */
static void dead_creator(int b)
{
	char uri[BT_URI_MAX], short_uri[BT_URI_MAX], live_uri[BT_URI_MAX], sparse_uri[BT_URI_MAX];
	struct shmring_opts o = spsc_opts(16, 64);
	shmring_t *tx = NULL, *rx = NULL;
	struct bt_msg m = bt_msg_of(5), got;
	uint64_t t0, short_made;
	int live_fd = -1, live_id = -1;
	void *live_at = NULL;

	/* A creator that died reserving its space where the file system has
	 * no fallocate(): zero, shorter than a header. Judged at the end, once
	 * older than a creator takes. */
	assert_int_equal(bt_raw_make(b, short_uri, 100, NULL, 0), 0);
	short_made = test_now_ns();
	/* And a sparse one of 4 GiB: its holes are not read (they took a
	 * 16 KiB read each, about ten seconds in all). */
	if (b != BT_SYSV)
		assert_int_equal(bt_raw_make(b, sparse_uri, 4ull << 30, NULL, 0), 0);
	/* And one whose creator lives (stopped, say) before its header: it
	 * holds the object's lock, as shmring_create() does until it
	 * publishes (a POSIX name stands for the names that have a lock); a
	 * System V segment's creator is alive and attached to it. */
	if (b == BT_POSIX) {
		assert_int_equal(bt_raw_make(b, live_uri, 65536, NULL, 0), 0);
		live_fd = shm_open(live_uri + 6, O_RDONLY, 0);
		assert_true(live_fd >= 0);
		assert_int_equal(flock(live_fd, LOCK_EX), 0);
	} else if (b == BT_SYSV) {
		bt_uri(BT_SYSV, "live", live_uri, sizeof(live_uri));
		live_id = shmget(bt_sysv_key(live_uri), 65536, IPC_CREAT | IPC_EXCL | 0600);
		assert_true(live_id >= 0);
		live_at = shmat(live_id, NULL, 0);
		assert_true(live_at != (void *)-1);
	}
	assert_int_equal(bt_raw_make(b, uri, 65536, NULL, 0), 0);
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	/* With a consumer trying to open it all along: its opens wait for the
	 * magic without the object's lock, which the taker needs (it held the
	 * lock through each wait, and the create gave up, -EEXIST). */
	{
		pid_t poller = fork();
		int st;

		assert_true(poller >= 0);
		if (poller == 0) {
			alarm(60 * TEST_SLOWDOWN);
			for (;;) {
				int rc = shmring_open(uri, SHMRING_CONSUMER, &rx);

				if (rc == 0)
					_exit(0); /* closed at exit */
				if (rc != -EAGAIN && rc != -ENOENT && rc != -SHMRING_EBADMAGIC)
					_exit(100 + (-rc & 0x7f));
			}
		}
		t0 = test_now_ns();
		assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &tx), 0);
		/* Judged only after the grace second. */
		assert_true(test_now_ns() - t0 >= 900000000ull);
		assert_int_equal(waitpid(poller, &st, 0), poller);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(shmring_open(uri, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_try_send(tx, &m), 0);
	assert_int_equal(shmring_try_recv(rx, &got), 0);
	assert_int_equal(got.seq, 5);
	shmring_close(rx);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(uri), 0);

	/*
	 * Several processes taking the name over at once, each after its own
	 * grace second: the first one's new ring is what the others find when
	 * they judge the name again. They said -SHMRING_EBADMAGIC ("another
	 * program's data") about it; each now succeeds. Most also took it for a
	 * dead creator's while it was being made and replaced it, leaving its
	 * maker a ring nobody else could open. Racers that judge the one dead
	 * segment in the same instant took turns on its removal without its
	 * lock, and the second removed the ring the first had made (about one
	 * run in eight with twelve racers): every racer holds the name's ring.
	 */
	{
		enum { RACERS = 8 };
		struct shmring_info in;
		uint64_t id[2], want[2];
		pid_t kid[RACERS];
		int gate[2], res[2], st;
		char c;

		assert_int_equal(bt_raw_make(b, uri, 65536, NULL, 0), 0);
		assert_int_equal(pipe(gate), 0);
		assert_int_equal(pipe(res), 0);
		for (int i = 0; i < RACERS; i++) {
			kid[i] = fork();
			assert_true(kid[i] >= 0);
			if (kid[i] == 0) {
				int rc;

				close(gate[1]);
				alarm(30 * TEST_SLOWDOWN);
				(void)!read(gate[0], &c, 1); /* all go at the close */
				rc = shmring_create(uri, &o, SHMRING_OBSERVER, &tx);
				if (rc == 0 && (rc = shmring_info(tx, &in)) == 0) {
					/* Which ring: its creation time and creator. */
					id[0] = in.ctime_ns;
					id[1] = in.creator_pid;
					(void)!write(res[1], id, sizeof(id));
				}
				_exit(rc == 0 ? 0 : 100 + (-rc & 0x7f));
			}
		}
		close(gate[0]);
		close(gate[1]);
		close(res[1]);
		for (int i = 0; i < RACERS; i++) {
			assert_int_equal(waitpid(kid[i], &st, 0), kid[i]);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				fail_msg("%s racer %d: %s %d", uri, i, WIFEXITED(st) ? "exit" : "signal",
				         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		}
		assert_int_equal(shmring_open(uri, SHMRING_OBSERVER, &tx), 0);
		assert_int_equal(shmring_info(tx, &in), 0);
		want[0] = in.ctime_ns;
		want[1] = in.creator_pid;
		for (int i = 0, same = 0; i < RACERS; i++) {
			assert_int_equal(read(res[0], id, sizeof(id)), (ssize_t)sizeof(id));
			same += !memcmp(id, want, sizeof(id));
			if (i + 1 == RACERS && same != RACERS)
				fail_msg("%s: %d of %d racers hold the name's ring", uri, same,
				         RACERS);
		}
		close(res[0]);
		shmring_close(tx);
		tx = NULL;
		assert_int_equal(shmring_unlink(uri), 0);
	}

	/* A zero header with data past it is another program's: left alone. */
	{
		unsigned char bytes[8192];

		memset(bytes, 0, sizeof(bytes));
		memset(bytes + 4096, 'x', 4096);
		assert_int_equal(bt_raw_make(b, uri, sizeof(bytes), bytes, sizeof(bytes)), 0);
		assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &tx), -SHMRING_EBADMAGIC);
		assert_null(tx);
		assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &tx), -SHMRING_EBADMAGIC);
		assert_int_equal(shmring_unlink(uri), 0);
	}

	/* Nor when it is young and zero past another program's first bytes:
	 * no creator's header begins so (it was -EEXIST after every round).
	 * Nor when that program holds its file's lock, as a creator does. */
	{
		static const char garbage[] = "hello world garbage";
		int lk = -1;

		assert_int_equal(bt_raw_make(b, uri, 20480, garbage, sizeof(garbage)), 0);
		if (b != BT_SYSV) {
			lk = b == BT_POSIX ? shm_open(uri + 6, O_RDONLY, 0) : open(uri + 5, O_RDONLY);
			assert_true(lk >= 0);
			assert_int_equal(flock(lk, LOCK_EX), 0);
		}
		assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &tx), -SHMRING_EBADMAGIC);
		assert_null(tx);
		if (lk >= 0)
			close(lk);
		assert_int_equal(shmring_unlink(uri), 0);
	}

	/* The short zero object, now old: replaced, as a longer one is (it
	 * was -SHMRING_ETRUNCATED). */
	while (test_now_ns() - short_made < 2200000000ull)
		usleep(50000);
	assert_int_equal(shmring_create(short_uri, &o, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_open(short_uri, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_try_send(tx, &m), 0);
	assert_int_equal(shmring_try_recv(rx, &got), 0);
	shmring_close(rx);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(short_uri), 0);
	if (b != BT_SYSV) {
		t0 = test_now_ns();
		assert_int_equal(shmring_create(sparse_uri, &o, SHMRING_PRODUCER, &tx), 0);
		assert_true(test_now_ns() - t0 < 3000000000ull * TEST_SLOWDOWN);
		shmring_close(tx);
		assert_int_equal(shmring_unlink(sparse_uri), 0);
	}

	/* The live creator's object, as old: never taken over (it was, and
	 * the creator went on into a ring nobody else could open); after
	 * open-or-create's rounds, still being created (-EAGAIN, as an open
	 * says; it said -EEXIST, a name taken). */
	if (live_fd >= 0) {
		struct stat before, after;
		char path[BT_URI_MAX + 16];

		snprintf(path, sizeof(path), "/dev/shm%s", live_uri + 6);
		assert_int_equal(fstat(live_fd, &before), 0);
		assert_int_equal(shmring_create(live_uri, &o, SHMRING_PRODUCER, &tx), -EAGAIN);
		assert_null(tx);
		assert_int_equal(stat(path, &after), 0);
		assert_int_equal(after.st_ino, before.st_ino);
		close(live_fd);
		assert_int_equal(shmring_unlink(live_uri), 0);
	}
	if (live_id >= 0) {
		assert_int_equal(shmring_create(live_uri, &o, SHMRING_PRODUCER, &tx), -EAGAIN);
		assert_null(tx);
		assert_int_equal(shmget(bt_sysv_key(live_uri), 0, 0), live_id);
		shmdt(live_at);
		assert_int_equal(shmctl(live_id, IPC_RMID, NULL), 0);
	}
}

static void test_dead_creator(void **s)
{
	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	for (int i = 0; i < NNAMED; i++)
		dead_creator(named[i]);
}

/* --- Names ------------------------------------------------------------------------------------ */

struct bad_name {
	const char *uri;
	int open_rc;   /* shmring_open() */
	int create_rc; /* shmring_create() */
};

static void check_name(const char *uri, int open_rc, int create_rc)
{
	struct shmring_opts o = spsc_opts(16, 64);
	shmring_t *r = NULL;
	int rc;

	rc = shmring_open(uri, SHMRING_OBSERVER, &r);
	if (rc != open_rc)
		fail_msg("open \"%.60s%s\": %d (%s), expected %d (%s)", uri,
		         strlen(uri) > 60 ? "..." : "", rc, shmring_strerror(rc), open_rc,
		         shmring_strerror(open_rc));
	assert_null(r);
	rc = shmring_create(uri, &o, SHMRING_OBSERVER, &r);
	if (rc == 0) {
		shmring_close(r);
		shmring_unlink(uri);
	} else {
		assert_null(r);
	}
	if (rc != create_rc)
		fail_msg("create \"%.60s%s\": %d (%s), expected %d (%s)", uri,
		         strlen(uri) > 60 ? "..." : "", rc, shmring_strerror(rc), create_rc,
		         shmring_strerror(create_rc));
}

static void test_names(void **s)
{
	static const struct bad_name bad[] = {
	    {"", -EINVAL, -EINVAL},
	    {"posix:", -EINVAL, -EINVAL},
	    {"posix:/", -EINVAL, -EINVAL},
	    {"/", -EINVAL, -EINVAL},
	    {"posix:name", -EINVAL, -EINVAL},
	    {"posix:/..", -EINVAL, -EINVAL},
	    {"posix:/.", -EINVAL, -EINVAL},
	    {"/..", -EINVAL, -EINVAL},
	    {"posix:/a/b", -EINVAL, -EINVAL},
	    {"posix:/a b", -EINVAL, -EINVAL},
	    {"file:relative", -EINVAL, -EINVAL},
	    {"file:", -EINVAL, -EINVAL},
	    {"file:/tmp/../x", -EINVAL, -EINVAL},
	    {"file:/tmp/./x", -EINVAL, -EINVAL},
	    {"file:/..", -EINVAL, -EINVAL},
	    {"sysv:0", -EINVAL, -EINVAL},
	    {"sysv:0x0", -EINVAL, -EINVAL},
	    {"sysv:junk", -EINVAL, -EINVAL},
	    {"sysv:", -EINVAL, -EINVAL},
	    {"sysv:12abc", -EINVAL, -EINVAL},
	    {"sysv:-1", -EINVAL, -EINVAL},
	    {"sysv:0x100000000", -EINVAL, -EINVAL},
	    {"sysv:0x0x10", -EINVAL, -EINVAL}, /* strtoull() takes the second 0x */
	    {"sysv:0X0x10", -EINVAL, -EINVAL},
	    {"sysv:@/tmp#0x0x1", -EINVAL, -EINVAL},
	    {"sysv:4294967296", -EINVAL, -EINVAL},
	    {"sysv:@/tmp#0", -EINVAL, -EINVAL},
	    {"sysv:@/tmp#256", -EINVAL, -EINVAL},
	    {"memfd:bad/label", -EINVAL, -EINVAL},
	    {"memfd:a b", -EINVAL, -EINVAL},
	    {"nosuch:/x", -EPROTONOSUPPORT, -EPROTONOSUPPORT},
	};
	char uri[BT_URI_MAX], path[512];
	struct shmring_opts o = spsc_opts(16, 64);
	shmring_t *r = NULL, *r2 = NULL;
	size_t n;
	int fd;

	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_name(bad[i].uri, bad[i].open_rc, bad[i].create_rc);

	/* Too long: posix over 200 characters, file over SHMRING_PATH_MAX,
	 * a memfd label over 64. */
	n = (size_t)snprintf(uri, sizeof(uri), "posix:/%s-%d-", bt_prefix(), (int)getpid());
	memset(uri + n, 'a', 207 - n);
	uri[207] = '\0'; /* 200 characters after the slash */
	assert_int_equal(shmring_create(uri, &o, SHMRING_OBSERVER, &r), 0);
	bt_register(uri);
	shmring_close(r);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), 0);
	assert_int_equal(shmring_unlink(uri), 0);
	uri[207] = 'a';
	uri[208] = '\0'; /* 201 */
	check_name(uri, -EINVAL, -EINVAL);
	n = (size_t)snprintf(uri, sizeof(uri), "file:%s/", bt_dir());
	for (size_t i = n; i < n + SHMRING_PATH_MAX; i++)
		uri[i] = (i - n) % 100 == 99 ? '/' : 'd';
	uri[n + SHMRING_PATH_MAX] = '\0';
	check_name(uri, -EINVAL, -EINVAL);
	snprintf(uri, sizeof(uri), "memfd:%065d", 7);
	check_name(uri, -EINVAL, -EINVAL);
	snprintf(uri, sizeof(uri), "memfd:%064d", 7);
	assert_int_equal(shmring_create(uri, &o, SHMRING_OBSERVER, &r), 0);
	shmring_close(r);

	/* memfd: has no name to open or unlink; anon: nothing to unlink. */
	check_name("memfd:x", -ENOENT, 0);
	assert_int_equal(shmring_unlink("memfd:x"), -EINVAL);
	assert_int_equal(shmring_unlink("anon:"), -EINVAL);

	/* A missing name of each backend. */
	assert_int_equal(open_plain(bt_uri(BT_POSIX, "missing", uri, sizeof(uri)), 0), -ENOENT);
	assert_int_equal(open_plain(bt_uri(BT_FILE, "missing", uri, sizeof(uri)), 0), -ENOENT);
	bt_uri(BT_SYSV, "missing", uri, sizeof(uri));
	if (shmget(bt_sysv_key(uri), 0, 0) < 0)
		assert_int_equal(open_plain(uri, 0), -ENOENT);

	/* sysv:@ needs an existing file. */
	snprintf(uri, sizeof(uri), "sysv:@/nonexistent-%s-%d", bt_prefix(), (int)getpid());
	check_name(uri, -ENOENT, -ENOENT);
	/* ... and with one, the key is ftok(path, ID): ID 1 by default. */
	assert_true(snprintf(path, sizeof(path), "%s/ftok", bt_dir()) < (int)sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(uri, sizeof(uri), "sysv:@%s", path);
	{
		char keyed[BT_URI_MAX];
		key_t key = ftok(path, 1);

		assert_true(key != (key_t)-1);
		snprintf(keyed, sizeof(keyed), "sysv:0x%x", (unsigned)key);
		bt_register(keyed);
		if (shmget(key, 0, 0) >= 0) {
			printf("note: the key of %s is taken already; sysv:@ not tried\n", path);
			return;
		}
		assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &r), 0);
		assert_int_equal(shmring_open(keyed, SHMRING_CONSUMER, &r2), 0);
		shmring_close(r2);
		snprintf(keyed, sizeof(keyed), "sysv:@%s#1", path);
		assert_int_equal(open_plain(keyed, SHMRING_CONSUMER), 0);
		snprintf(keyed, sizeof(keyed), "sysv:@%s#2", path);
		if (shmget(ftok(path, 2), 0, 0) < 0)
			assert_int_equal(open_plain(keyed, SHMRING_CONSUMER), -ENOENT);
		shmring_close(r);
		assert_int_equal(shmring_unlink(uri), 0);
		assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -ENOENT);
	}
}

/* --- Files that are not regular, and backends without names ------------------------------ */

/*
 * A System V segment removed between an opener's shmget() and its next call
 * on the id is not there: -ENOENT, as for a name removed before the open
 * (it was -EINVAL or -EIDRM, and open-or-create gave up on them).
 */
static void test_sysv_open_racing_remove(void **s)
{
	struct shmring_opts o = spsc_opts(16, 64);
	char uri[BT_URI_MAX];
	int ok = 0, gone = 0, other = 0, st;
	uint64_t end;
	pid_t kid;

	(void)s;
	alarm(30 * TEST_SLOWDOWN);
	bt_uri(BT_SYSV, "race", uri, sizeof(uri));
	kid = fork();
	assert_true(kid >= 0);
	if (kid == 0) {
		bt_child_init(20);
		for (;;) {
			shmring_t *h;

			if (shmring_create(uri, &o, SHMRING_OBSERVER, &h) == 0)
				shmring_close(h);
			usleep(200);
			shmring_unlink(uri);
			usleep(200);
		}
	}
	for (end = test_now_ns() + 1000000000ull; test_now_ns() < end;) {
		shmring_t *h;
		int rc = shmring_open(uri, SHMRING_OBSERVER, &h);

		if (rc == 0)
			shmring_close(h);
		if (rc != 0 && rc != -ENOENT && !other++)
			print_message("%s: open racing a remove: %d (%s)\n", uri, rc,
				      shmring_strerror(rc));
		ok += rc == 0;
		gone += rc == -ENOENT;
		usleep(50);
	}
	kill(kid, SIGKILL);
	assert_int_equal(waitpid(kid, &st, 0), kid);
	shmring_unlink(uri);
	print_message("%s: %d opens, %d found it removed\n", uri, ok, gone);
	assert_int_equal(other, 0);
	assert_true(ok > 0 && gone > 0);
}

static void test_odd_objects(void **s)
{
	struct shmring_opts o = spsc_opts(16, 64);
	char uri[BT_URI_MAX];
	shmring_t *r = NULL;
	uint64_t t0;
	int rc;

	(void)s;
	alarm(30 * TEST_SLOWDOWN);
	/* A FIFO: refused at once, never an open that blocks for a writer, and
	 * never opened: a writer waiting for a reader keeps waiting. */
	/* Under a POSIX name too: anyone may make one in /dev/shm. */
	for (int posix = 1; posix >= 0; posix--) {
		char path[BT_URI_MAX + 16];
		pid_t w;
		int st;

		if (posix) {
			snprintf(uri, sizeof(uri), "posix:/shmt-%d-fifo", (int)getpid());
			snprintf(path, sizeof(path), "/dev/shm%s", uri + 6);
		} else {
			snprintf(uri, sizeof(uri), "file:%s/fifo", bt_dir());
			snprintf(path, sizeof(path), "%s", uri + 5);
		}
		assert_int_equal(mkfifo(path, 0600), 0);
		w = fork();
		assert_true(w >= 0);
		if (w == 0) {
			alarm(10);
			_exit(open(path, O_WRONLY) < 0 ? 1 : 0);
		}
		test_sleep_ms(100);
		t0 = test_now_ns();
		rc = shmring_open(uri, SHMRING_CONSUMER, &r);
		assert_int_equal(rc, -EBADF);
		assert_null(r);
		assert_true(test_now_ns() - t0 < 500000000ull * TEST_SLOWDOWN);
		o.flags = SHMRING_CREATE_OPEN_EXISTING;
		assert_true(shmring_create(uri, &o, SHMRING_CONSUMER, &r) < 0);
		assert_null(r);
		o.flags = 0;
		test_sleep_ms(100);
		assert_int_equal(waitpid(w, &st, WNOHANG), 0); /* still waiting */
		kill(w, SIGKILL);
		assert_int_equal(waitpid(w, &st, 0), w);
		if (posix)
			assert_int_equal(unlink(path), 0);
	}
	/* A directory, a device, a symbolic link (to a FIFO, or to nothing). */
	snprintf(uri, sizeof(uri), "file:%s", bt_dir());
	assert_int_equal(shmring_open(uri, SHMRING_OBSERVER, &r), -EISDIR);
	assert_int_equal(shmring_open("file:/dev/null", SHMRING_OBSERVER, &r), -EBADF);
	assert_int_equal(shmring_open("file:/dev/zero", SHMRING_OBSERVER, &r), -EBADF);
	{
		char link[BT_URI_MAX + 8];

		snprintf(link, sizeof(link), "file:%s/link", bt_dir());
		assert_int_equal(symlink("fifo", link + 5), 0);
		assert_int_equal(shmring_open(link, SHMRING_OBSERVER, &r), -ELOOP);
		assert_int_equal(unlink(link + 5), 0);
	}
	/* A Unix socket's file: -EBADF as for a FIFO (its open said ENXIO,
	 * "no such host"). */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(uri, sizeof(uri), "file:%s/sock", bt_dir());
		assert_true(sk >= 0);
		assert_true(strlen(uri + 5) < sizeof(sa.sun_path));
		strcpy(sa.sun_path, uri + 5);
		assert_int_equal(bind(sk, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(shmring_open(uri, SHMRING_OBSERVER, &r), -EBADF);
		o.flags = SHMRING_CREATE_OPEN_EXISTING;
		assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r), -EBADF);
		o.flags = 0;
		close(sk);
		assert_int_equal(unlink(uri + 5), 0);
	}
	/* A directory under a POSIX name (glibc's shm_open says EINVAL). */
	bt_uri(BT_POSIX, "sdir", uri, sizeof(uri));
	{
		char path[BT_URI_MAX + 16];

		snprintf(path, sizeof(path), "/dev/shm%s", uri + 6);
		assert_int_equal(mkdir(path, 0700), 0);
		assert_int_equal(shmring_open(uri, SHMRING_OBSERVER, &r), -EISDIR);
		assert_int_equal(rmdir(path), 0);
	}
	assert_null(r);

	/* Open-or-create and replace are for named backends only. */
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_create("anon:", &o, SHMRING_PRODUCER, &r), -EINVAL);
	assert_int_equal(shmring_create("memfd:x", &o, SHMRING_PRODUCER, &r), -EINVAL);
	o.flags = SHMRING_CREATE_REPLACE;
	assert_int_equal(shmring_create("anon:", &o, SHMRING_PRODUCER, &r), -EINVAL);
	assert_null(r);
}

/* A FIFO in /dev/shm under a synchronization object's name: every open and
 * create answers at once with an error, never waiting for a writer. */
static void test_sync_on_fifo(void **s)
{
	struct shmring_sync_opts so = {0};
	char uri[BT_URI_MAX], path[BT_URI_MAX + 16];
	shmring_sem_t *sem = NULL;
	shmring_event_t *ev = NULL;
	shmring_mutex_t *mu = NULL;
	shmring_cond_t *cv = NULL;
	struct stat st;

	(void)s;
	alarm(30 * TEST_SLOWDOWN);
	bt_uri(BT_POSIX, "sfifo", uri, sizeof(uri));
	snprintf(path, sizeof(path), "/dev/shm%s", uri + 6);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_true(shmring_sem_open(uri, NULL, &sem) < 0);
	assert_true(shmring_event_open(uri, NULL, &ev) < 0);
	assert_true(shmring_mutex_open(uri, NULL, &mu) < 0);
	assert_true(shmring_cond_open(uri, NULL, &cv) < 0);
	assert_int_equal(shmring_sem_create(uri, &so, &sem), -EEXIST);
	assert_int_equal(shmring_event_create(uri, &so, &ev), -EEXIST);
	assert_int_equal(shmring_mutex_create(uri, &so, &mu), -EEXIST);
	assert_int_equal(shmring_cond_create(uri, &so, &cv), -EEXIST);
	assert_null(sem);
	assert_null(ev);
	assert_null(mu);
	assert_null(cv);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(unlink(path), 0);
}

/* --- Replace ------------------------------------------------------------------------- */

static int replace_ring(const char *uri)
{
	struct shmring_opts o = spsc_opts(16, 64);
	shmring_t *r = NULL;
	int rc;

	o.flags = SHMRING_CREATE_REPLACE;
	rc = shmring_create(uri, &o, SHMRING_OBSERVER, &r);
	if (rc == 0)
		shmring_close(r);
	else
		assert_null(r);
	return rc;
}

static int replace_event(const char *uri)
{
	struct shmring_sync_opts o = {.flags = SHMRING_SYNC_REPLACE};
	shmring_event_t *e = NULL;
	int rc = shmring_event_create(uri, &o, &e);

	if (rc == 0)
		shmring_event_close(e);
	return rc;
}

static int open_event(const char *uri)
{
	shmring_event_t *e = NULL;
	int rc = shmring_event_open(uri, NULL, &e);

	if (rc == 0)
		shmring_event_close(e);
	return rc;
}

static void replace_on(int b)
{
	unsigned char bytes[4096];
	char uri[BT_URI_MAX];

	memset(bytes, 'x', sizeof(bytes));
	/* Another program's data: left alone by either kind of replace. */
	assert_int_equal(bt_raw_make(b, uri, sizeof(bytes), bytes, sizeof(bytes)), 0);
	assert_int_equal(replace_ring(uri), -SHMRING_EBADMAGIC);
	assert_int_equal(replace_event(uri), -SHMRING_EBADMAGIC);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), -SHMRING_EBADMAGIC);
	/* ... also where it starts with zeros: a creator that died left
	 * nothing past its header. */
	memset(bytes, 0, sizeof(bytes) / 2);
	assert_int_equal(bt_raw_make(b, uri, sizeof(bytes), bytes, sizeof(bytes)), 0);
	assert_int_equal(replace_ring(uri), -SHMRING_EBADMAGIC);
	assert_int_equal(replace_ring(uri), -SHMRING_EBADMAGIC); /* still there */
	assert_int_equal(shmring_unlink(uri), 0);

	/* A zero magic (a creator that died): replaced, by either kind. */
	assert_int_equal(bt_raw_make(b, uri, 4096, NULL, 0), 0);
	assert_int_equal(replace_ring(uri), 0);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), 0);
	assert_int_equal(bt_raw_make(b, uri, 4096, NULL, 0), 0);
	assert_int_equal(replace_event(uri), 0);
	assert_int_equal(open_event(uri), 0);

	/* An event: a ring does not replace it, an event does. */
	assert_int_equal(replace_ring(uri), -SHMRING_EKIND);
	assert_int_equal(open_event(uri), 0);
	assert_int_equal(replace_event(uri), 0);
	assert_int_equal(open_event(uri), 0);

	/* A ring: an event does not replace it, a ring does. */
	make_ring(b, "replace", 16, 64, uri);
	assert_int_equal(replace_event(uri), -SHMRING_EKIND);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), 0);
	assert_int_equal(replace_ring(uri), 0);
	assert_int_equal(open_plain(uri, SHMRING_OBSERVER), 0);
}

static void test_replace(void **s)
{
	char uri[BT_URI_MAX], path[BT_URI_MAX + 16], target[BT_URI_MAX];
	struct shmring_sync_opts so = {.flags = SHMRING_SYNC_REPLACE};
	shmring_sem_t *sem = NULL;
	struct stat st;
	int fd, id;

	(void)s;
	alarm(60 * TEST_SLOWDOWN);
	for (int i = 0; i < NNAMED; i++)
		replace_on(named[i]);

	/* A FIFO in /dev/shm and at a file: path, a symbolic link there. */
	bt_uri(BT_POSIX, "fifo", uri, sizeof(uri));
	snprintf(path, sizeof(path), "/dev/shm%s", uri + 6);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(replace_ring(uri), -SHMRING_EBADMAGIC);
	assert_int_equal(replace_event(uri), -SHMRING_EBADMAGIC);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(unlink(path), 0);
	bt_uri(BT_FILE, "fifo", uri, sizeof(uri));
	assert_int_equal(mkfifo(uri + 5, 0600), 0);
	assert_int_equal(replace_ring(uri), -SHMRING_EBADMAGIC);
	assert_int_equal(lstat(uri + 5, &st), 0);
	make_ring(BT_FILE, "target", 16, 64, target);
	bt_uri(BT_FILE, "link", uri, sizeof(uri));
	assert_int_equal(symlink(target + 5, uri + 5), 0);
	assert_int_equal(replace_ring(uri), -SHMRING_EBADMAGIC);
	assert_int_equal(replace_event(uri), -SHMRING_EBADMAGIC);
	assert_int_equal(lstat(uri + 5, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(open_plain(target, SHMRING_OBSERVER), 0);

	/* A file sem.NAME that is no POSIX semaphore: no semaphore replaces it. */
	bt_uri(BT_POSIX, "psem", uri, sizeof(uri));
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", uri + 7);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a semaphore", 15), 15);
	close(fd);
	so.impl = SHMRING_SEM_POSIX;
	assert_int_equal(shmring_sem_create(uri, &so, &sem), -SHMRING_EBADMAGIC);
	so.impl = SHMRING_SEM_FUTEX;
	assert_int_equal(shmring_sem_create(uri, &so, &sem), -SHMRING_EBADMAGIC);
	assert_null(sem);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 15);
	assert_int_equal(unlink(path), 0);

	/* A System V semaphore set of another program (three semaphores). */
	bt_uri(BT_SYSV, "ssem", uri, sizeof(uri));
	id = semget(bt_sysv_key(uri), 3, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	so.impl = SHMRING_SEM_SYSV;
	assert_int_equal(shmring_sem_create(uri, &so, &sem), -SHMRING_EBADMAGIC);
	so.impl = SHMRING_SEM_FUTEX;
	assert_int_equal(shmring_sem_create(uri, &so, &sem), -SHMRING_EBADMAGIC);
	assert_true(semctl(id, 2, GETVAL) >= 0); /* still there */
	assert_int_equal(semctl(id, 0, IPC_RMID), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_names, bt_teardown),
	    cmocka_unit_test_teardown(test_not_a_ring, bt_teardown),
	    cmocka_unit_test_teardown(test_forged, bt_teardown),
	    cmocka_unit_test_teardown(test_expected, bt_teardown),
	    cmocka_unit_test_teardown(test_truncated, bt_teardown),
	    cmocka_unit_test_teardown(test_owner, bt_teardown),
	    cmocka_unit_test_teardown(test_open_existing, bt_teardown),
	    cmocka_unit_test_teardown(test_dead_creator, bt_teardown),
	    cmocka_unit_test_teardown(test_sysv_open_racing_remove, bt_teardown),
	    cmocka_unit_test_teardown(test_odd_objects, bt_teardown),
	    cmocka_unit_test_teardown(test_replace, bt_teardown),
	    cmocka_unit_test_teardown(test_sync_on_fifo, bt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
