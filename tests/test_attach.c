/* SPDX-License-Identifier: MIT */
/*
 * test_attach: bad input to create and open, each a clear negative errno and
 * never a crash (this runs under ASan+UBSan in CI): a missing ring, segments
 * made by hand that are too short (or not yet sized, as an open racing a
 * create sees them), full of random bytes or all zero, a
 * corrupt header or index in a real ring, a foreign owner, bad names and
 * schemes, wrong roles, a second live producer, and taking over the role of
 * a producer that died without closing; a live producer of ours is never
 * judged dead (one ring under two names in one process, a pid namespace
 * whose /proc is another's, a producer and a consumer in two time
 * namespaces, one side in a pid namespace without /proc, a producer whose
 * main thread has exited, a file reached through an overlay and through its
 * upper directory); one that ran another program holding a claim is.
 * The tool's removal of a ring it judged (rm, gc: shmring__unlink_judged())
 * leaves alone a ring made under the name since, on every named backend.
 * Forged stall words are not shown as a stall, nor an impossible pid as alive.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "helpers.h"
#include "src/internal.h"

/* --- Segments made by hand ------------------------------------------------ */

/* A shm object of `size` bytes holding `len` bytes of `data` (rest zero). */
static void make_object(const char *name, uint64_t size, const void *data, size_t len)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (len) {
		assert_true(len <= size);
		assert_int_equal(pwrite(fd, data, len, 0), (ssize_t)len);
	}
	close(fd);
}

/* Map an existing object read-write, for corrupting it; *size gets its length. */
static void *map_object(const char *name, size_t *size)
{
	void *p = test_map_shm(name, size);

	assert_non_null(p);
	return p;
}

/* A valid header for a 64 x 16-byte ring, as this process would create it. */
static void good_header(struct shmring_hdr *h, struct shmring_geometry *g)
{
	assert_int_equal(shmring__geometry(64, 16, 0, g), 0);
	shmring__geometry_grouped(g);
	shmring__hdr_init(h, SHMRING_KIND_SPSC, 0, g, (uint32_t)geteuid(), (uint32_t)getpid(), 1);
}

static int open_rc(const char *name, unsigned role)
{
	shmring_t *r = (shmring_t *)&r; /* must come back NULL on error */
	int rc = shmring_open(name, role, &r);

	if (rc == 0) {
		shmring_close(r);
	} else if (r != NULL) {
		fail_msg("open failed (%d) but left a handle", rc);
	}
	return rc;
}

/* Create a real ring with a few messages in it, and close it. */
static void make_ring(const char *name, unsigned messages)
{
	struct shmring_opts o = {.slot_size = 16, .capacity = 64};
	shmring_t *r;

	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &r), 0);
	for (uint64_t i = 0; i < messages; i++) {
		uint64_t m[2] = {i, test_check(i)};

		assert_int_equal(shmring_try_send(r, m), 0);
	}
	shmring_close(r);
}

static void test_missing(void **state)
{
	const char *name = test_ring_name("missing");

	(void)state;
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -ENOENT);
	assert_int_equal(open_rc(name, SHMRING_PRODUCER), -ENOENT);
	assert_int_equal(shmring_unlink(name), -ENOENT);
}

/* Shorter than its header says. */
static void test_truncated(void **state)
{
	const char *name = test_ring_name("trunc");
	struct shmring_geometry g;
	struct shmring_hdr h;

	(void)state;
	good_header(&h, &g);
	make_object(name, g.total_size - 4096, &h, sizeof(h));
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_ETRUNCATED);
	shm_unlink(name);
	make_object(name, g.total_size - 1, &h, sizeof(h));
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_ETRUNCATED);
	shm_unlink(name);
	/* The exact size opens. */
	make_object(name, g.total_size, &h, sizeof(h));
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), 0);
}

/* Smaller than a header, whatever it holds. */
static void test_smaller_than_header(void **state)
{
	const char *name = test_ring_name("tiny");
	struct shmring_geometry g;
	struct shmring_hdr h;
	static const uint64_t sizes[] = {1, 8, 100, sizeof(struct shmring_hdr) - 1};

	(void)state;
	good_header(&h, &g);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		make_object(name, sizes[i], &h, (size_t)sizes[i]);
		assert_int_equal(open_rc(name, SHMRING_OBSERVER), -SHMRING_ETRUNCATED);
		shm_unlink(name);
	}
	/* Exactly a header: still shorter than the ring it describes. */
	make_object(name, sizeof(h), &h, sizeof(h));
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -SHMRING_ETRUNCATED);
}

/*
 * A zero-length object is what a creator's segment looks like between
 * shm_open and sizing it: "not ready yet" (-EAGAIN, after the wait), not a
 * truncated ring. test_open_while_creating shows the race.
 */
static void test_zero_length(void **state)
{
	const char *name = test_ring_name("zero");

	(void)state;
	make_object(name, 0, NULL, 0);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -EAGAIN);
}

/*
 * An open that races with a create must never see a half-made segment as a
 * broken one: only success, -ENOENT (not there yet, or already removed) or
 * -EAGAIN (still being made) are right. A child creates and removes the name
 * over and over while this process opens it.
 */
static void test_open_while_creating(void **state)
{
	const char *name = test_ring_name("race");
	const unsigned rounds = 3000;
	unsigned seen[5] = {0}; /* ok, ENOENT, EAGAIN, other, attempts */
	int other = 0, status;
	pid_t child;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct shmring_opts o = {.slot_size = 64, .capacity = 1024};

		for (unsigned i = 0; i < rounds; i++) {
			shmring_t *r;

			if (shmring_create(name, &o, SHMRING_PRODUCER, &r) < 0)
				_exit(1);
			shmring_close(r);
			shmring_unlink(name);
		}
		_exit(0);
	}
	while (waitpid(child, &status, WNOHANG) == 0) {
		shmring_t *r = NULL;
		int rc = shmring_open(name, SHMRING_OBSERVER, &r);

		seen[4]++;
		if (rc == 0) {
			seen[0]++;
			shmring_close(r);
		} else if (rc == -ENOENT) {
			seen[1]++;
		} else if (rc == -EAGAIN) {
			seen[2]++;
		} else {
			seen[3]++;
			other = rc;
		}
	}
	print_message("%u opens: %u ok, %u ENOENT, %u EAGAIN, %u other (last: %s)\n", seen[4],
		      seen[0], seen[1], seen[2], seen[3], other ? shmring_strerror(other) : "-");
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(seen[3], 0);
}

static void test_random_bytes(void **state)
{
	const char *name = test_ring_name("rand");
	size_t size = 16384;
	unsigned char *junk = malloc(size);
	uint64_t x = 0x9e3779b97f4a7c15u;

	(void)state;
	assert_non_null(junk);
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < size; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			junk[i] = (unsigned char)(x >> 24);
		}
		if (round == 1)
			memset(junk, 0, 8); /* a zero magic over garbage is not "being created" */
		make_object(name, size, junk, size);
		assert_int_equal(open_rc(name, SHMRING_PRODUCER | SHMRING_CONSUMER),
				 -SHMRING_EBADMAGIC);
		shm_unlink(name);
	}
	free(junk);
}

/* All zero: a creator that has not published its header; give up after the wait. */
static void test_all_zero(void **state)
{
	const char *name = test_ring_name("zeros");
	uint64_t t0;

	(void)state;
	make_object(name, 65536, NULL, 0);
	t0 = test_now_ns();
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -EAGAIN);
	assert_true(test_now_ns() - t0 >= 1000000000u); /* it did wait the full second */
}

struct late_arg {
	const char *name;
	uint64_t delay_ms;
};

/* Plays a creator that publishes its header late: everything, then the magic. */
static void *publish_late(void *p)
{
	const struct late_arg *a = p;
	struct shmring_geometry g;
	struct shmring_hdr h;
	size_t size;
	unsigned char *base;

	assert_int_equal(shmring__geometry(64, 16, 0, &g), 0);
	shmring__geometry_grouped(&g);
	shmring__hdr_init(&h, SHMRING_KIND_SPSC, 0, &g, (uint32_t)geteuid(), (uint32_t)getpid(), 1);
	base = map_object(a->name, &size);
	test_sleep_ms((unsigned)a->delay_ms);
	memcpy(base + 8, (unsigned char *)&h + 8, sizeof(h) - 8);
	atomic_store_explicit((_Atomic uint64_t *)(void *)base, h.magic, memory_order_release);
	munmap(base, size);
	return NULL;
}

static void test_all_zero_then_published(void **state)
{
	const char *name = test_ring_name("late");
	struct shmring_geometry g;
	struct late_arg a = {.name = name, .delay_ms = 100};
	pthread_t t;

	(void)state;
	assert_int_equal(shmring__geometry(64, 16, 0, &g), 0);
	make_object(name, g.total_size, NULL, 0);
	assert_int_equal(pthread_create(&t, NULL, publish_late, &a), 0);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), 0);
	pthread_join(t, NULL);
}

/* Corrupt the header of a real ring through a mapping. */
static void test_corrupt_header_in_segment(void **state)
{
	const char *name = test_ring_name("hdr");
	struct shmring_hdr *h, saved;
	struct shmring_geometry g;
	size_t size;

	(void)state;
	make_ring(name, 3);
	h = map_object(name, &size);
	saved = *h;
	h->ctime_ns ^= 1;
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_ECHECK);
	*h = saved;
	h->version = 99;
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_EVERSION);
	*h = saved;
	h->magic = 0x4141414141414141u;
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_EBADMAGIC);
	*h = saved;
	h->slots_off += 128;
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_EGEOMETRY);
	*h = saved;
	h->capacity = 1u << 20; /* bigger than the segment, consistently described */
	assert_int_equal(shmring__geometry(h->capacity, h->slot_size, h->max_participants, &g), 0);
	if (h->features & SHMRING_FEAT_GROUPED_SLOTS)
		shmring__geometry_grouped(&g);
	h->total_size = g.total_size;
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_ETRUNCATED);
	*h = saved;
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), 0);
	munmap(h, size);
}

/* A header whose owner is not the segment's owner. */
static void test_owner_mismatch(void **state)
{
	const char *name = test_ring_name("owner");
	struct shmring_hdr *h;
	size_t size;

	(void)state;
	make_ring(name, 0);
	h = map_object(name, &size);
	h->creator_uid = (uint32_t)geteuid() + 1;
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -SHMRING_EOWNER);
	h->creator_uid = (uint32_t)geteuid();
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), 0);
	munmap(h, size);
}

/* Impossible shared indices. */
static void test_corrupt_indices(void **state)
{
	const char *name = test_ring_name("idx");
	unsigned char *base;
	_Atomic uint64_t *prod, *cons;
	size_t size;

	(void)state;
	make_ring(name, 5);
	base = map_object(name, &size);
	prod = &shmring__prod_side(base)->pos;
	cons = &shmring__cons_side(base)->pos;
	assert_int_equal(atomic_load(prod), 5);
	/* Consumer past the producer, and no stamp to excuse it. */
	atomic_store(cons, 9);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_ECORRUPT);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -SHMRING_ECORRUPT);
	atomic_store(cons, UINT64_MAX);
	assert_int_equal(open_rc(name, SHMRING_PRODUCER), -SHMRING_ECORRUPT);
	/* More in flight than the capacity. */
	atomic_store(cons, 0);
	atomic_store(prod, 65);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_ECORRUPT);
	/* Repaired: opens, and the messages are still there. */
	atomic_store(prod, 5);
	{
		shmring_t *r;
		uint64_t m[2];

		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &r), 0);
		for (uint64_t i = 0; i < 5; i++) {
			assert_int_equal(shmring_try_recv(r, m), 0);
			assert_int_equal(m[0], i);
		}
		/* The producer that sent them has closed: end-of-stream. */
		assert_int_equal(shmring_try_recv(r, m), -EPIPE);
		shmring_close(r);
	}
	munmap(base, size);
}

static void test_bad_names(void **state)
{
	static const char *bad[] = {
		"", "/", "noslash", "posix:", "posix:noslash", "posix:/", ":/x", "/a/b",
		"/.", "/..", "/sp ace", "/tab\t", "/new\nline", "/star*", "/q?", "/\xc3\xbc",
		"posix://x", "//x", "/x/",
	};
	struct shmring_opts o = {.slot_size = 8, .capacity = 8};
	char longname[260];
	shmring_t *r = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (shmring_create(bad[i], &o, 0, &r) != -EINVAL)
			fail_msg("create accepted name \"%s\"", bad[i]);
		if (shmring_open(bad[i], 0, &r) != -EINVAL)
			fail_msg("open accepted name \"%s\"", bad[i]);
		if (shmring_unlink(bad[i]) != -EINVAL)
			fail_msg("unlink accepted name \"%s\"", bad[i]);
		assert_null(r);
	}
	assert_int_equal(shmring_create(NULL, &o, 0, &r), -EINVAL);
	assert_int_equal(shmring_open(NULL, 0, &r), -EINVAL);
	assert_int_equal(shmring_unlink(NULL), -EINVAL);
	/* 200 characters is the longest name; 201 is too long. */
	snprintf(longname, sizeof(longname), "%s", test_ring_name("long"));
	memset(longname + strlen(longname), 'n', sizeof(longname) - strlen(longname));
	longname[201] = '\0';
	test_register_name(longname);
	assert_int_equal(shmring_create(longname, &o, 0, &r), 0);
	shmring_close(r);
	assert_int_equal(shmring_unlink(longname), 0);
	longname[201] = 'n';
	longname[202] = '\0';
	assert_int_equal(shmring_create(longname, &o, 0, &r), -EINVAL);
	assert_int_equal(shmring_open(longname, 0, &r), -EINVAL);
}

static void test_unknown_scheme(void **state)
{
	static const char *schemes[] = {"nosuch:/x", "zz9:/ring", "shm:/x", "x:y"};
	struct shmring_opts o = {.slot_size = 8, .capacity = 8};
	shmring_t *r = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		assert_int_equal(shmring_create(schemes[i], &o, 0, &r), -EPROTONOSUPPORT);
		assert_int_equal(shmring_open(schemes[i], 0, &r), -EPROTONOSUPPORT);
		assert_null(r);
	}
	/* The explicit POSIX scheme names the same ring as the bare form. */
	{
		char uri[128];
		const char *name = test_ring_name("scheme");

		snprintf(uri, sizeof(uri), "posix:%s", name);
		assert_int_equal(shmring_create(uri, &o, 0, &r), 0);
		shmring_close(r);
		assert_int_equal(open_rc(name, SHMRING_OBSERVER), 0);
		assert_int_equal(shmring_unlink(uri), 0);
		assert_int_equal(open_rc(name, SHMRING_OBSERVER), -ENOENT);
	}
}

static void test_wrong_roles(void **state)
{
	const char *name = test_ring_name("roles");
	struct shmring_opts o = {.slot_size = 8, .capacity = 8};
	shmring_t *obs, *p, *c;
	uint64_t m[8] = {0};
	struct shmring_info in;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &obs), 0);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	/* Observer: neither. */
	assert_int_equal(shmring_try_send(obs, m), -EPERM);
	assert_int_equal(shmring_send(obs, m, SHMRING_NO_DEADLINE), -EPERM);
	assert_int_equal(shmring_send_bulk(obs, m, 2, SHMRING_NO_DEADLINE), -EPERM);
	assert_int_equal(shmring_send_burst(obs, m, 2, SHMRING_NO_DEADLINE), -EPERM);
	assert_int_equal(shmring_try_send_bulk(obs, m, 2), 0);
	assert_int_equal(shmring_try_send_burst(obs, m, 2), 0);
	assert_int_equal(shmring_try_recv(obs, m), -EPERM);
	assert_int_equal(shmring_recv(obs, m, SHMRING_NO_DEADLINE), -EPERM);
	assert_int_equal(shmring_recv_bulk(obs, m, 1, SHMRING_NO_DEADLINE), -EPERM);
	assert_int_equal(shmring_recv_burst(obs, m, 1, SHMRING_NO_DEADLINE), -EPERM);
	/* Consumer may not send; producer may not receive. */
	assert_int_equal(shmring_try_send(c, m), -EPERM);
	assert_int_equal(shmring_send(c, m, SHMRING_NO_DEADLINE), -EPERM);
	assert_int_equal(shmring_try_send_burst(c, m, 1), 0);
	assert_int_equal(shmring_try_send(p, m), 0);
	assert_int_equal(shmring_try_recv(p, m), -EPERM);
	assert_int_equal(shmring_recv(p, m, SHMRING_NO_DEADLINE), -EPERM);
	assert_int_equal(shmring_try_recv_bulk(p, m, 1), 0);
	assert_int_equal(shmring_try_recv_burst(p, m, 1), 0);
	/* None of that moved anything. */
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.produced, 1);
	assert_int_equal(in.consumed, 0);
	assert_int_equal(shmring_try_recv(c, m), 0);
	shmring_close(obs);
	shmring_close(p);
	shmring_close(c);
}

/*
 * Every failed open or create leaves *out NULL, as most errors already do,
 * so a caller may close unconditionally; unknown role bits are -EINVAL.
 */
static void test_failed_open_clears_handle(void **state)
{
	const char *name = test_ring_name("clear");
	struct shmring_opts o = {.slot_size = 8, .capacity = 8};
	shmring_t *r;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), 0);
	shmring_close(r);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), 0);
	assert_int_equal(open_rc(test_ring_name("nope"), SHMRING_OBSERVER), -ENOENT);
	assert_int_equal(open_rc("bad name", SHMRING_OBSERVER), -EINVAL);
	assert_int_equal(open_rc(name, 1u << 5), -EINVAL);
	assert_int_equal(open_rc(name, ~0u), -EINVAL);
	r = (shmring_t *)&r;
	assert_int_equal(shmring_create(test_ring_name("role"), &o, 1u << 5, &r), -EINVAL);
	assert_null(r);
	r = (shmring_t *)&r;
	assert_int_equal(shmring_create(test_ring_name("opts"), NULL, SHMRING_OBSERVER, &r), -EINVAL);
	assert_null(r);
}

/* One live producer and one live consumer per SPSC ring, in this process or another. */
static void test_second_live_producer(void **state)
{
	const char *name = test_ring_name("busy");
	struct shmring_opts o = {.slot_size = 8, .capacity = 8};
	shmring_t *p, *c, *x = NULL;
	pid_t child;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &x), -EBUSY);
	assert_null(x);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER | SHMRING_CONSUMER, &x), -EBUSY);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &x), -EBUSY);
	/* Another process gets the same answer. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		shmring_t *y;
		int a = shmring_open(name, SHMRING_PRODUCER, &y);
		int b = shmring_open(name, SHMRING_CONSUMER, &y);

		_exit(a == -EBUSY && b == -EBUSY ? 0 : 1);
	}
	assert_int_equal(test_wait_pid(child, 30000), 0);
	/* Producer free, consumer busy: a both-roles open fails and gives the
	 * producer role back. */
	shmring_close(p);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER | SHMRING_CONSUMER, &x), -EBUSY);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
	shmring_close(p);
	shmring_close(c);
	/* Both released by close: one handle may hold both roles. */
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER | SHMRING_CONSUMER, &x), 0);
	shmring_close(x);
}

/*
 * A producer process that dies without closing: its role is taken over by
 * the next producer, and what it sent is still delivered, once each.
 */
static void test_dead_producer_taken_over(void **state)
{
	const char *name = test_ring_name("dead");
	struct shmring_opts o = {.slot_size = 16, .capacity = 64};
	struct shmring_info in;
	shmring_t *obs, *p, *c;
	uint64_t m[2];
	pid_t child;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &obs), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		shmring_t *r;

		if (shmring_open(name, SHMRING_PRODUCER, &r) < 0)
			_exit(1);
		for (uint64_t i = 0; i < 3; i++) {
			uint64_t v[2] = {i, test_check(i)};

			if (shmring_try_send(r, v) < 0)
				_exit(2);
		}
		_exit(0); /* no close: the role stays claimed by a dead process */
	}
	assert_int_equal(test_wait_pid(child, 30000), 0);
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.producers, 0); /* counted dead */
	assert_int_equal(in.produced, 3);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.producers, 1);
	m[0] = 3;
	m[1] = test_check(3);
	assert_int_equal(shmring_try_send(p, m), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	for (uint64_t i = 0; i < 4; i++) {
		assert_int_equal(shmring_try_recv(c, m), 0);
		assert_int_equal(m[0], i);
		assert_true(m[1] == test_check(i));
	}
	assert_int_equal(shmring_try_recv(c, m), -EAGAIN);
	shmring_close(p);
	shmring_close(c);
	shmring_close(obs);
}

/* A child that maps ring `name` (an observer) until *stop is closed; its pid. */
static pid_t start_holder(const char *name, int *stop)
{
	int ready[2], hold[2];
	pid_t pid;
	char ch;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		shmring_t *o = NULL;

		close(ready[0]);
		close(hold[1]);
		if (shmring_open(name, SHMRING_OBSERVER, &o) != 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(hold[0], &ch, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &ch, 1), 1);
	close(ready[0]);
	*stop = hold[1];
	return pid;
}

/*
 * A participant entry naming a live pid whose start time differs belongs to
 * a process that died and whose pid was reused: not alive, taken over. With
 * the right start time, a process that maps the ring (a child) is alive and
 * the role is busy; a live process that does not map it (our parent, pid 1)
 * holds nothing: a forged entry, taken over; nor does this process, which
 * knows that none of its handles holds the entry.
 */
static void test_recycled_pid(void **state)
{
	const char *name = test_ring_name("recyc");
	struct shmring_part *parts;
	unsigned char *base;
	size_t size;
	pid_t self = getpid(), parent = getppid(), holder;
	uint64_t start = shmring__proc_start_time(self);
	uint64_t pstart = shmring__proc_start_time(parent);
	uint64_t hstart;
	int stop, status;

	(void)state;
	if (start == 0 || pstart == 0) {
		print_message("no start time for pids %d/%d in /proc\n", (int)self, (int)parent);
		skip();
	}
	make_ring(name, 0);
	holder = start_holder(name, &stop);
	hstart = shmring__proc_start_time(holder);
	base = map_object(name, &size);
	parts = shmring__parts(base);
	atomic_store(&parts[SHMRING_PART_SOLE_PRODUCER].owner,
		     ((uint64_t)(uint32_t)holder << 32) | ((uint64_t)SHMRING_PRODUCER << 24) | 1);
	atomic_store(&parts[SHMRING_PART_SOLE_PRODUCER].start_time, hstart);
	assert_int_equal(open_rc(name, SHMRING_PRODUCER), -EBUSY);
	atomic_store(&parts[SHMRING_PART_SOLE_PRODUCER].start_time, hstart + 12345);
	assert_int_equal(open_rc(name, SHMRING_PRODUCER), 0);
	/* Our own pid and start time, in an entry no handle of ours holds. */
	atomic_store(&parts[SHMRING_PART_SOLE_PRODUCER].owner,
		     ((uint64_t)(uint32_t)self << 32) | ((uint64_t)SHMRING_PRODUCER << 24) | 1);
	atomic_store(&parts[SHMRING_PART_SOLE_PRODUCER].start_time, start);
	assert_int_equal(open_rc(name, SHMRING_PRODUCER), 0);
	/* Alive, the right start time, but not attached: forged. */
	atomic_store(&parts[SHMRING_PART_SOLE_PRODUCER].owner,
		     ((uint64_t)(uint32_t)parent << 32) | ((uint64_t)SHMRING_PRODUCER << 24) | 1);
	atomic_store(&parts[SHMRING_PART_SOLE_PRODUCER].start_time, pstart);
	assert_int_equal(open_rc(name, SHMRING_PRODUCER), 0);
	/* A pid that cannot exist: dead. */
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].owner,
		     ((uint64_t)0x7ffffff0u << 32) | ((uint64_t)SHMRING_CONSUMER << 24) | 1);
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].start_time, 5);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), 0);
	/* No start time (its claimer could not read one): judged by the pid
	 * alone; our parent maps nothing: taken over. */
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].owner,
		     ((uint64_t)(uint32_t)parent << 32) | ((uint64_t)SHMRING_CONSUMER << 24) | 1);
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].start_time, 0);
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].attach_ns, 1);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), 0);
	/*
	 * A claim still being written (CLAIMING) by a live process that maps
	 * the ring: busy, whatever start time and attach time the entry's
	 * previous owner left (a claimer preempted between its two steps was
	 * once judged dead here, and its claims released under it).
	 */
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].owner,
		     ((uint64_t)(uint32_t)holder << 32) | ((uint64_t)SHMRING_CONSUMER << 24) |
			     SHMRING_OWNER_CLAIMING | 1);
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].start_time, pstart);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -EBUSY);
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].start_time, 0);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -EBUSY);
	/* The same claim in our name: none of our handles is taking it. */
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].owner,
		     ((uint64_t)(uint32_t)self << 32) | ((uint64_t)SHMRING_CONSUMER << 24) |
			     SHMRING_OWNER_CLAIMING | 1);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), 0);
	/* The same claim by a pid that cannot exist: dead, taken over. */
	atomic_store(&parts[SHMRING_PART_SOLE_CONSUMER].owner,
		     ((uint64_t)0x7ffffff0u << 32) | ((uint64_t)SHMRING_CONSUMER << 24) |
			     SHMRING_OWNER_CLAIMING | 1);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), 0);
	munmap(base, size);
	close(stop);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Two opens in one process share one mapping (each open validates it). */
static void test_same_ring_twice(void **state)
{
	const char *name = test_ring_name("twice");
	struct shmring_opts o = {.slot_size = 8, .capacity = 8};
	shmring_t *a, *b, *c;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &a), 0);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &b), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	assert_non_null(a->base);
	assert_ptr_equal(a->base, b->base);
	assert_ptr_equal(b->base, c->base);
	shmring_close(a);
	shmring_close(b);
	shmring_close(c);
}

/* --- A second open in a process that has the ring mapped ------------------- */

/*
 * A peer rewrites the header of a ring this process has open, with a valid
 * checksum: every later open here validates the segment as a first open
 * does, and one that finds the header changed is refused. A handle made
 * from one the process has (shmring_dup()) keeps the header its mapping
 * validated.
 */

/* Hand r's descriptor to ourselves and open it in role: a registry hit too. */
static int fd_open_rc(shmring_t *r, unsigned role)
{
	int sv[2];
	shmring_t *o = (shmring_t *)&o;
	int rc;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(shmring_fd_send(r, sv[0]), 0);
	rc = shmring_fd_recv(sv[1], role, NULL, &o);
	if (rc == 0)
		shmring_close(o);
	else
		assert_null(o);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static int dup_rc(shmring_t *r, unsigned role)
{
	shmring_t *d = (shmring_t *)&d;
	int rc = shmring_dup(r, role, &d);

	if (rc == 0)
		shmring_close(d);
	else
		assert_null(d);
	return rc;
}

/* The sets a test made, removed by its teardown also when it fails. */
static int made_sets[2] = {-1, -1};

static int sets_teardown(void **state)
{
	for (int i = 0; i < 2; i++)
		if (made_sets[i] >= 0)
			semctl(made_sets[i], 0, IPC_RMID);
	made_sets[0] = made_sets[1] = -1;
	return test_teardown_names(state);
}

static int semval(int semid, int num)
{
	int v = semctl(semid, num, GETVAL);

	assert_true(v >= 0);
	return v;
}

/* The header now names some program's keyed set: no open here posts to it. */
static void test_reopen_keyed_semset(void **state)
{
	const char *name = test_ring_name("resem");
	struct shmring_opts o = {.slot_size = 32, .capacity = 8};
	struct shmring_hdr *h;
	struct shmring_info info;
	unsigned char m[32] = {1};
	shmring_t *c, *d;
	size_t size;
	int victim;

	(void)state;
	victim = semget((key_t)(0x5e000000 | (getpid() & 0xffffff)), 2,
			IPC_CREAT | IPC_EXCL | 0600);
	assert_true(victim >= 0);
	made_sets[0] = victim;
	assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, &c), 0);
	h = map_object(name, &size);
	h->notifier = SHMRING_HDR_NOTIFY_SYSVSEM;
	h->semid = victim;
	h->check = shmring__hdr_checksum(h);
	/* A sleeper committed on "not empty": a send with this header posts. */
	atomic_store(&shmring__not_empty(h)->waiters, SHMRING_EC_SLEEP | 1u);
	assert_int_equal(open_rc(name, SHMRING_PRODUCER), -SHMRING_EGEOMETRY);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -SHMRING_EGEOMETRY);
	assert_int_equal(fd_open_rc(c, SHMRING_PRODUCER), -SHMRING_EGEOMETRY);
	/* A handle of ours keeps the notifier its mapping validated. */
	assert_int_equal(shmring_dup(c, SHMRING_PRODUCER, &d), 0);
	assert_int_equal(shmring_info(d, &info), 0);
	assert_int_equal(info.notifier, SHMRING_NOTIFIER_FUTEX);
	assert_int_equal(shmring_try_send(d, m), 0);
	shmring_close(d);
	assert_int_equal(semval(victim, 0), 0);
	assert_int_equal(semval(victim, 1), 0);
	atomic_store(&shmring__not_empty(h)->waiters, 0);
	munmap(h, size);
	shmring_close(c);
}

/*
 * A private set of two made wait_ms before ring name (a consumer handle in
 * *c), whose header is then rewritten to name it, with the set's creation
 * time; the header stays mapped in *h (*size bytes). Returns the set.
 */
static int header_names_set(const char *name, unsigned wait_ms, shmring_t **c,
			    struct shmring_hdr **h, size_t *size)
{
	struct shmring_opts o = {.slot_size = 32, .capacity = 8};
	union {
		int val;
		struct semid_ds *buf;
	} arg;
	struct semid_ds ds;
	int set = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);

	assert_true(set >= 0);
	made_sets[1] = set;
	arg.buf = &ds;
	assert_int_equal(semctl(set, 0, IPC_STAT, arg), 0);
	if (wait_ms)
		test_sleep_ms(wait_ms);
	assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, c), 0);
	*h = map_object(name, size);
	(*h)->notifier = SHMRING_HDR_NOTIFY_SYSVSEM;
	(*h)->semid = set;
	(*h)->ctime_ns = (uint64_t)ds.sem_ctime * 1000000000u;
	(*h)->check = shmring__hdr_checksum(*h);
	return set;
}

/*
 * The header now names a set that passes every check of a set (ours, no
 * key, made in the second the forged creation time names, just before the
 * segment): a first open cannot tell it from the ring's own, but this
 * process saw another header.
 */
static void test_reopen_changed_header(void **state)
{
	const char *name = test_ring_name("rechg");
	struct shmring_hdr *h;
	char path[160];
	shmring_t *c;
	size_t size;

	(void)state;
	header_names_set(name, 0, &c, &h, &size);
	assert_int_equal(open_rc(name, SHMRING_PRODUCER), -SHMRING_ECHECK);
	assert_int_equal(fd_open_rc(c, SHMRING_PRODUCER), -SHMRING_ECHECK);
	/* The same object under another scheme is mapped afresh: valid there. */
	snprintf(path, sizeof(path), "file:/dev/shm%s", name);
	assert_int_equal(open_rc(path, SHMRING_OBSERVER), 0);
	munmap(h, size);
	shmring_close(c);
}

/*
 * The header names a set of this user's made seconds before the segment
 * (another program's), with the creation time rewritten to match it: no
 * open takes it, and removing the ring leaves it (the kernel's birth time
 * of the segment is not the header's to say).
 */
static void test_semset_older_than_ring(void **state)
{
	const char *name = test_ring_name("oldsem");
	struct shmring_hdr *h;
	shmring_t *c;
	size_t size;
	int set;

	(void)state;
	set = header_names_set(name, 3200, &c, &h, &size);
	munmap(h, size);
	shmring_close(c);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -SHMRING_EGEOMETRY);
	assert_int_equal(shmring_unlink(name), 0);
	assert_true(semctl(set, 0, GETVAL) >= 0);
}

/* The header's creator is no longer the segment's owner. */
static void test_reopen_forged_creator(void **state)
{
	const char *name = test_ring_name("reown");
	struct shmring_hdr *h;
	shmring_t *p;
	size_t size;

	(void)state;
	make_ring(name, 0);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
	h = map_object(name, &size);
	h->creator_uid = (uint32_t)geteuid() + 1;
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_EOWNER);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -SHMRING_EOWNER);
	assert_int_equal(fd_open_rc(p, SHMRING_CONSUMER), -SHMRING_EOWNER);
	h->creator_uid = (uint32_t)geteuid();
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), 0);
	munmap(h, size);
	shmring_close(p);
}

/* The consumers' position now lies past the producers'. */
static void test_reopen_forged_indices(void **state)
{
	const char *name = test_ring_name("reidx");
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 16, .capacity = 8};
	unsigned char *base, m[16] = {1};
	_Atomic uint64_t *cons;
	shmring_t *p, *c;
	size_t size;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_try_send(p, m), 0);
	assert_int_equal(shmring_try_send(p, m), 0);
	base = map_object(name, &size);
	cons = &shmring__cons_side(base)->pos;
	atomic_store(cons, 7);
	assert_int_equal(open_rc(name, SHMRING_CONSUMER), -SHMRING_ECORRUPT);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -SHMRING_ECORRUPT);
	assert_int_equal(fd_open_rc(p, SHMRING_CONSUMER), -SHMRING_ECORRUPT);
	assert_int_equal(dup_rc(p, SHMRING_CONSUMER), -SHMRING_ECORRUPT);
	atomic_store(cons, 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	assert_int_equal(shmring_try_recv(c, m), 0);
	assert_int_equal(shmring_try_recv(c, m), 0);
	assert_int_equal(shmring_try_recv(c, m), -EAGAIN);
	shmring_close(c);
	munmap(base, size);
	shmring_close(p);
}

/* What a duplex open or dup returned: both handles closed where it gave
 * them, both NULL where it failed. */
static int duplex_done(int rc, shmring_t *tx, shmring_t *rx)
{
	if (rc == 0) {
		shmring_close(tx);
		shmring_close(rx);
	} else {
		assert_null(tx);
		assert_null(rx);
	}
	return rc;
}

static int duplex_rc(const char *name, unsigned end)
{
	shmring_t *tx = (shmring_t *)&tx, *rx = (shmring_t *)&rx;
	int rc = shmring_duplex_open(name, end, NULL, &tx, &rx);

	return duplex_done(rc, tx, rx);
}

static int duplex_dup_rc(shmring_t *r, unsigned end)
{
	shmring_t *tx = (shmring_t *)&tx, *rx = (shmring_t *)&rx;
	int rc = shmring_duplex_dup(r, end, &tx, &rx);

	return duplex_done(rc, tx, rx);
}

/* A duplex: each direction's header and indices, at every open and dup. */
static void test_reopen_duplex(void **state)
{
	const char *name = test_ring_name("redup");
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 24, .capacity = 16};
	struct shmring_hdr *h0, *h1, saved1;
	unsigned char *base;
	_Atomic uint64_t *cons1;
	shmring_t *tx, *rx;
	size_t size;

	(void)state;
	assert_int_equal(shmring_duplex_create(name, &o, SHMRING_DUPLEX_A, &tx, &rx), 0);
	base = map_object(name, &size);
	h0 = (struct shmring_hdr *)(void *)base;
	h1 = (struct shmring_hdr *)(void *)(base + h0->slots_off / 2);
	saved1 = *h1;
	/* Direction 1's creator. */
	h1->creator_uid = (uint32_t)geteuid() + 1;
	h1->check = shmring__hdr_checksum(h1);
	assert_int_equal(duplex_rc(name, SHMRING_DUPLEX_B), -SHMRING_EGEOMETRY);
	*h1 = saved1;
	/* Direction 1's creation time: valid alone, not the header seen. */
	h1->ctime_ns ^= 1;
	h1->check = shmring__hdr_checksum(h1);
	assert_int_equal(duplex_rc(name, SHMRING_DUPLEX_B), -SHMRING_EGEOMETRY);
	h0->ctime_ns ^= 1;
	h0->check = shmring__hdr_checksum(h0);
	assert_int_equal(duplex_rc(name, SHMRING_DUPLEX_B), -SHMRING_ECHECK);
	assert_int_equal(open_rc(name, SHMRING_OBSERVER), -SHMRING_ECHECK);
	h0->ctime_ns ^= 1;
	h0->check = shmring__hdr_checksum(h0);
	*h1 = saved1;
	/* Direction 1's consumer position past its producer's. */
	cons1 = &shmring__cons_side(h1)->pos;
	atomic_store(cons1, 9);
	assert_int_equal(duplex_rc(name, SHMRING_DUPLEX_B), -SHMRING_ECORRUPT);
	assert_int_equal(duplex_dup_rc(tx, SHMRING_DUPLEX_B), -SHMRING_ECORRUPT);
	assert_int_equal(duplex_dup_rc(tx, SHMRING_DUPLEX_OBSERVE), -SHMRING_ECORRUPT);
	atomic_store(cons1, 0);
	assert_int_equal(duplex_rc(name, SHMRING_DUPLEX_B), 0);
	assert_int_equal(duplex_dup_rc(tx, SHMRING_DUPLEX_OBSERVE), 0);
	munmap(base, size);
	shmring_close(tx);
	shmring_close(rx);
}

/*
 * One process, one ring under two names (a POSIX name and the file: path of
 * the same object: two mappings): a consumer waiting on a live producer of
 * ours that holds a claim must not judge it dead. It reaped the producer
 * (-EPIPE, the claim skipped) while the held entries were recorded by their
 * address in one mapping.
 */
static void two_names(uint32_t kind, uint32_t flags)
{
	const char *name = test_ring_name("2names");
	struct shmring_opts o = {.kind = kind, .flags = flags, .slot_size = 8, .capacity = 64};
	struct shmring_info info;
	char path[160], got[8] = {0};
	shmring_t *p, *c;
	void *slot;

	snprintf(path, sizeof(path), "file:/dev/shm%s", name);
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_open(path, SHMRING_CONSUMER, &c), 0);
	assert_ptr_not_equal(p->base, c->base);
	slot = kind == SHMRING_KIND_MSG ? shmring_msg_reserve(p, 8) : shmring_reserve(p);
	assert_non_null(slot);
	memcpy(slot, "claimed", 8);
	/* Longer than a recovery period (5 ms): the consumer judges its peers. */
	if (kind == SHMRING_KIND_MSG)
		assert_int_equal(shmring_msg_recv(c, got, sizeof(got), NULL,
						  shmring_deadline_in(50000000)),
				 -ETIMEDOUT);
	else
		assert_int_equal(shmring_recv(c, got, shmring_deadline_in(50000000)), -ETIMEDOUT);
	assert_int_equal(shmring_info(c, &info), 0);
	assert_int_equal(info.reaped, 0);
	assert_int_equal(info.prod_repairs, 0);
	assert_int_equal(kind == SHMRING_KIND_MSG ? shmring_msg_commit(p, 8) : shmring_commit(p),
			 0);
	if (kind == SHMRING_KIND_MSG)
		assert_int_equal(shmring_msg_recv(c, got, sizeof(got), NULL,
						  shmring_deadline_in(1000000000)),
				 8);
	else
		assert_int_equal(shmring_recv(c, got, shmring_deadline_in(1000000000)), 0);
	assert_memory_equal(got, "claimed", 8);
	shmring_close(c);
	shmring_close(p);
}

static void test_two_names_mpsc(void **state)
{
	(void)state;
	two_names(SHMRING_KIND_MPSC, 0);
}

static void test_two_names_msg(void **state)
{
	(void)state;
	two_names(SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_PRODUCER);
}

/*
 * A pid namespace of our own with the ancestor's /proc (unshare -p without
 * a /proc mounted for it): pid 2 there is our producer, pid 2 in /proc the
 * host's kthreadd, whose maps root can read. A consumer waiting on the
 * producer's claim must not judge it by the wrong /proc: it read kthreadd's
 * maps, found no segment and reaped a live producer (-EPIPE). Needs
 * CAP_SYS_ADMIN: skipped without it.
 */
static int pidns_consumer(const char *name)
{
	char got[8];
	shmring_t *c;
	int rc = shmring_open(name, SHMRING_CONSUMER, &c);

	if (rc < 0)
		return 2;
	rc = shmring_recv(c, got, shmring_deadline_in(50000000));
	shmring_close(c);
	return rc == -ETIMEDOUT ? 0 : rc == -EPIPE ? 3 : 4;
}

static int pidns_producer(const char *name)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 8, .capacity = 64};
	shmring_t *p;
	pid_t c;
	int st = 0;

	if (shmring_create(name, &o, SHMRING_PRODUCER, &p) < 0)
		return 5;
	if (!shmring_reserve(p))
		return 6;
	c = fork();
	if (c == 0)
		_exit(pidns_consumer(name));
	if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st))
		return 7;
	shmring_commit(p);
	shmring_close(p);
	return WEXITSTATUS(st);
}

/* As test_in_ns() runs it: the producer as pid 2. */
static int pidns_producer_in_ns(const char *name, int sync)
{
	(void)sync;
	return pidns_producer(name);
}

static void test_pidns_with_foreign_proc(void **state)
{
	const char *name = test_ring_name("pidns");
	pid_t outer;
	int st = 0;

	(void)state;
	outer = test_in_ns(TEST_NS_PID, pidns_producer_in_ns, name, -1, -1);
	assert_true(outer > 0);
	assert_int_equal(waitpid(outer, &st, 0), outer);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == TEST_SKIP)
		skip(); /* no CAP_SYS_ADMIN for a pid namespace */
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Inside: hold a claim until told to commit it. */
static int ns_producer(const char *name, int sync)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 8, .capacity = 64};
	shmring_t *p;
	void *slot;
	char go;

	if (shmring_create(name, &o, SHMRING_PRODUCER, &p) < 0)
		return 5;
	slot = shmring_reserve(p);
	if (!slot)
		return 6;
	memcpy(slot, "claimed", 8);
	if (write(sync, "r", 1) != 1 || read(sync, &go, 1) != 1)
		return 7;
	if (shmring_commit(p) != 0)
		return 3; /* the claim was repaired under us */
	shmring_close(p);
	return 0;
}

/* Inside: wait on a claim held outside; judging its producer dead was the bug. */
static int ns_consumer(const char *name, int sync)
{
	struct shmring_info info;
	char got[8];
	shmring_t *c;
	int rc;

	(void)sync;
	if (shmring_open(name, SHMRING_CONSUMER, &c) < 0)
		return 2;
	rc = shmring_recv(c, got, shmring_deadline_in(50000000));
	if (shmring_info(c, &info) != 0 || info.reaped || info.prod_repairs)
		rc = -EPIPE;
	shmring_close(c);
	return rc == -ETIMEDOUT ? 0 : rc == -EPIPE ? 3 : 4;
}

/*
 * Child `child` holds a claim on ring `uri` (ns_producer(), its end of the
 * socket pair sync's partner): we wait on the claim as its consumer, which
 * must not judge it dead, then let it commit. False, the child reaped, if
 * it exited with TEST_SKIP before holding anything.
 */
static bool wait_on_held_claim(pid_t child, int sync, const char *uri)
{
	struct shmring_info info;
	char got[8] = {0}, ready;
	shmring_t *c;
	int st = 0;

	if (read(sync, &ready, 1) != 1) {
		assert_int_equal(waitpid(child, &st, 0), child);
		if (WIFEXITED(st) && WEXITSTATUS(st) == TEST_SKIP)
			return false;
		fail_msg("producer exited with %d", WEXITSTATUS(st));
	}
	assert_int_equal(shmring_open(uri, SHMRING_CONSUMER, &c), 0);
	assert_int_equal(shmring_recv(c, got, shmring_deadline_in(50000000)), -ETIMEDOUT);
	assert_int_equal(shmring_info(c, &info), 0);
	assert_int_equal(info.reaped, 0);
	assert_int_equal(info.prod_repairs, 0);
	assert_int_equal(write(sync, "g", 1), 1);
	assert_int_equal(shmring_recv(c, got, shmring_deadline_in(1000000000)), 0);
	assert_memory_equal(got, "claimed", 8);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	shmring_close(c);
	return true;
}

/* A producer in a namespace of its own holds a claim; we wait on it. */
static void producer_inside(enum test_ns how)
{
	const char *name = test_ring_name("ns");
	bool ran;
	int sv[2];
	pid_t outer;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	outer = test_in_ns(how, ns_producer, name, sv[1], sv[0]);
	assert_true(outer > 0);
	close(sv[1]);
	ran = wait_on_held_claim(outer, sv[0], name);
	close(sv[0]);
	if (!ran)
		skip(); /* no such namespace here */
}

/* We hold a claim; a consumer in a namespace of its own waits on it. */
static void consumer_inside(enum test_ns how)
{
	const char *name = test_ring_name("ns");
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 8, .capacity = 64};
	shmring_t *p;
	int st = 0;
	pid_t outer;

	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	assert_non_null(shmring_reserve(p));
	outer = test_in_ns(how, ns_consumer, name, -1, -1);
	assert_true(outer > 0);
	assert_int_equal(waitpid(outer, &st, 0), outer);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == TEST_SKIP) {
		shmring_close(p);
		skip(); /* no such namespace here */
	}
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(shmring_commit(p), 0);
	shmring_close(p);
}

/*
 * Producer and consumer in two time namespaces, whose /proc shows one start
 * time differently: the recorded start time of a live producer did not match
 * the one its judge read, and it was reaped (-EPIPE, its claim skipped).
 * Both directions. Needs CAP_SYS_ADMIN: skipped without it.
 */
static void test_timens_producer_inside(void **state)
{
	(void)state;
	producer_inside(TEST_NS_TIME);
}

static void test_timens_consumer_inside(void **state)
{
	(void)state;
	consumer_inside(TEST_NS_TIME);
}

/* A clock behind ours by more than the producer has run: the consumer's
 * /proc shows the producer's start time below zero, wrapped around 2^64
 * nanoseconds before it was divided into ticks. */
static void test_timens_behind_consumer_inside(void **state)
{
	(void)state;
	consumer_inside(TEST_NS_TIME_BEHIND);
}

/*
 * One side in a pid namespace with no /proc at all: it could not name its
 * namespace (its entry recorded none, and as a judge it had none to compare),
 * so pids were compared across namespaces and a live producer was reaped.
 * A pidfd names the namespace now. Needs CAP_SYS_ADMIN and the pidfd ioctl
 * (Linux 6.11): skipped without them.
 */
static void test_noproc_pidns_producer_inside(void **state)
{
	(void)state;
	producer_inside(TEST_NS_PID_NO_PROC);
}

static void test_noproc_pidns_consumer_inside(void **state)
{
	(void)state;
	consumer_inside(TEST_NS_PID_NO_PROC);
}

/*
 * A producer whose main thread has exited (pthread_exit() in main()) while
 * another thread holds its claim: /proc shows the process's leader a zombie
 * with no maps, and it was judged dead (-EPIPE to its consumer, the claim
 * skipped, the producer's commit refused).
 */
struct leader_gone {
	shmring_t *p;
	pid_t pid;
	int sync;
};

static void *leader_gone_thread(void *arg)
{
	struct leader_gone *g = arg;
	char go = 0;
	int rc;

	/* Until /proc shows the main thread gone (a zombie leader). */
	for (int i = 0; i < 5000; i++) {
		char state = 0;
		uint64_t start;

		if (shmring__proc_stat(g->pid, &state, &start) == 0 && state == 'Z')
			break;
		usleep(1000);
	}
	if (write(g->sync, "r", 1) != 1 || read(g->sync, &go, 1) != 1)
		_exit(7);
	rc = shmring_commit(g->p);
	shmring_close(g->p);
	/* _exit(): what only the main thread's stack held is no leak. */
	_exit(rc == 0 ? 0 : 3);
}

static void test_main_thread_exited(void **state)
{
	const char *name = test_ring_name("leader");
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 8, .capacity = 64};
	struct shmring_info info;
	char got[8] = {0}, ready;
	int sv[2], st = 0;
	shmring_t *c;
	pid_t prod;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fflush(stdout);
	prod = fork();
	if (prod == 0) {
		static struct leader_gone g;
		pthread_t t;
		void *slot;

		close(sv[0]);
		if (shmring_create(name, &o, SHMRING_PRODUCER, &g.p) < 0)
			_exit(5);
		slot = shmring_reserve(g.p);
		if (!slot)
			_exit(6);
		memcpy(slot, "claimed", 8);
		g.pid = getpid();
		g.sync = sv[1];
		if (pthread_create(&t, NULL, leader_gone_thread, &g) != 0)
			_exit(8);
		pthread_exit(NULL);
	}
	assert_true(prod > 0);
	close(sv[1]);
	assert_int_equal(read(sv[0], &ready, 1), 1);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	assert_int_equal(shmring_recv(c, got, shmring_deadline_in(50000000)), -ETIMEDOUT);
	assert_int_equal(shmring_info(c, &info), 0);
	assert_int_equal(info.reaped, 0);
	assert_int_equal(info.prod_repairs, 0);
	assert_int_equal(write(sv[0], "g", 1), 1);
	assert_int_equal(shmring_recv(c, got, shmring_deadline_in(1000000000)), 0);
	assert_memory_equal(got, "claimed", 8);
	assert_int_equal(waitpid(prod, &st, 0), prod);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* Gone now, every thread: the producer side is free again. */
	assert_int_equal(shmring_recv(c, got, shmring_deadline_in(1000000000)), -EPIPE);
	shmring_close(c);
	close(sv[0]);
}

/*
 * A producer judged alive while it holds a claim, which then runs another
 * program (execve()): it lives on without the segment, its claim abandoned.
 * The live verdict was cached for as long as the pidfd said the process ran,
 * so its consumer waited for ever; it is made afresh now and then.
 */
static void test_producer_exec_while_held(void **state)
{
	const char *name = test_ring_name("exec");
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 8, .capacity = 64};
	struct shmring_info info;
	int ready[2], go[2], st = 0;
	char got[8], ch;
	uint64_t t0;
	shmring_t *c;
	pid_t prod;

	(void)state;
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, &c), 0);
	fflush(stdout);
	prod = fork();
	if (prod == 0) {
		shmring_t *p;

		close(ready[0]);
		close(go[1]);
		if (shmring_open(name, SHMRING_PRODUCER, &p) < 0 || !shmring_reserve(p))
			_exit(5);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &ch, 1) != 1)
			_exit(6);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(7);
	}
	assert_true(prod > 0);
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &ch, 1), 1);
	/* Judged alive (and the verdict kept). */
	assert_int_equal(shmring_recv(c, got, shmring_deadline_in(50000000)), -ETIMEDOUT);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(read(ready[0], &ch, 1), 0); /* the pipe closed at exec */
	t0 = test_now_ns();
	assert_int_equal(shmring_recv(c, got, shmring_deadline_in(10000000000)), -EPIPE);
	print_message("exec'd producer judged dead after %.0f ms\n", (test_now_ns() - t0) / 1e6);
	assert_int_equal(shmring_info(c, &info), 0);
	assert_int_equal(info.reaped, 1);
	assert_int_equal(info.prod_repairs, 1);
	kill(prod, SIGKILL);
	assert_int_equal(waitpid(prod, &st, 0), prod);
	shmring_close(c);
	close(ready[0]);
	close(go[1]);
}

/*
 * One file: ring reached through an overlay by its producer and through the
 * overlay's upper directory by its consumer: one file, whose mappings
 * /proc/PID/maps names by two devices. The consumer found the producer not
 * mapping the ring and reaped it alive; a process using both paths judged
 * its own producer's entry, recorded under the other device, unheld. Needs
 * root (a mount namespace and an overlay mount): skipped without.
 */

/* Mount an overlay of dir/l under dir/u at dir/m, in a mount namespace of
 * our own; the URI of dir/m/file in uri. */
static bool overlay_mount(const char *dir, const char *file, char *uri, size_t size)
{
	char merged[256], opts[1024];

	snprintf(merged, sizeof(merged), "%s/m", dir);
	snprintf(opts, sizeof(opts), "lowerdir=%s/l,upperdir=%s/u,workdir=%s/w", dir, dir, dir);
	snprintf(uri, size, "file:%s/%s", merged, file);
	return unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	       mount("overlay", merged, "overlay", 0, opts) == 0;
}

static int overlay_producer(const char *dir, int sync)
{
	char uri[300];

	return overlay_mount(dir, "ring", uri, sizeof(uri)) ? ns_producer(uri, sync) : TEST_SKIP;
}

/* One process, both paths. */
static int overlay_both(const char *dir)
{
	char uri[300], got[8];
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 8, .capacity = 64};
	struct shmring_info info;
	shmring_t *p, *c;
	void *slot;
	int rc;

	if (!overlay_mount(dir, "both", uri, sizeof(uri)))
		return TEST_SKIP;
	if (shmring_create(uri, &o, SHMRING_PRODUCER, &p) < 0)
		return 5;
	snprintf(uri, sizeof(uri), "file:%s/u/both", dir);
	if (shmring_open(uri, SHMRING_CONSUMER, &c) < 0)
		return 6;
	slot = shmring_reserve(p);
	if (!slot)
		return 7;
	memcpy(slot, "claimed", 8);
	rc = shmring_recv(c, got, shmring_deadline_in(50000000));
	if (rc != -ETIMEDOUT || shmring_info(c, &info) != 0 || info.reaped || info.prod_repairs)
		return 3;
	if (shmring_commit(p) != 0 || shmring_recv(c, got, shmring_deadline_in(1000000000)) != 0 ||
	    memcmp(got, "claimed", 8) != 0)
		return 4;
	shmring_close(c);
	shmring_close(p);
	return 0;
}

/* The test's directory, removed in the teardown whether the test passes
 * or stops at a failed assertion. */
static char overlay_dir[] = "/tmp/shmt-ovl-XXXXXX";

static int overlay_teardown(void **state)
{
	char cmd[64];

	if (strcmp(overlay_dir + strlen(overlay_dir) - 6, "XXXXXX") != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", overlay_dir);
		if (system(cmd) != 0)
			print_message("could not remove %s\n", overlay_dir);
	}
	return test_teardown_names(state);
}

static void test_overlay_and_upper(void **state)
{
	char *dir = overlay_dir, path[300], uri[300];
	const char *sub[] = {"l", "u", "w", "m"};
	int sv[2], st = 0;
	bool ran;
	pid_t child;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		assert_int_equal(mkdir(path, 0700), 0);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		close(sv[0]);
		_exit(overlay_producer(dir, sv[1]));
	}
	assert_true(child > 0);
	close(sv[1]);
	snprintf(uri, sizeof(uri), "file:%s/u/ring", dir);
	ran = wait_on_held_claim(child, sv[0], uri);
	close(sv[0]);
	if (ran) {
		child = fork();
		if (child == 0)
			_exit(overlay_both(dir));
		assert_true(child > 0);
		assert_int_equal(waitpid(child, &st, 0), child);
	}
	if (!ran)
		skip(); /* no overlay mount here */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * Forged stall words are not shown as a stall: a side that is neither role,
 * a start or a longest stall from before the ring was made (a 584-year
 * longest stall was printed as measured). A stall a real side began a
 * moment ago is.
 */
static void test_forged_stall(void **state)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 8, .capacity = 64};
	const char *name = test_ring_name("stall");
	struct shmring_info in;
	struct shmring_ctl *ctl;
	shmring_t *r;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &r), 0);
	ctl = shmring__ctl(shmring__map_base(r->map));
	atomic_store(&ctl->stall_max_ns, UINT64_MAX - UINT32_MAX);
	atomic_store(&ctl->stall_since_ns, shmring__now_ns() - 1000000u);
	atomic_store(&ctl->stall_side, 0);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.stall_ns, 0);
	assert_int_equal(in.stall_max_ns, 0);
	atomic_store(&ctl->stall_side, 3);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.stall_ns, 0);
	atomic_store(&ctl->stall_side, SHMRING_CONSUMER);
	atomic_store(&ctl->stall_since_ns, 1);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.stall_ns, 0);
	atomic_store(&ctl->stall_max_ns, 1000000u);
	atomic_store(&ctl->stall_since_ns, shmring__now_ns() - 1000000u);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_true(in.stall_ns >= 1000000u);
	assert_int_equal(in.stall_side, SHMRING_CONSUMER);
	assert_int_equal(in.stall_max_ns, 1000000u);
	shmring_close(r);
}

/*
 * A participant entry naming a pid no kernel gives (past 2^22, positive as
 * a pid_t), in another pid namespace: dead, not unjudgeable (it kept the
 * ring counted as in use for ever, and gc from removing it).
 */
static void test_forged_pid(void **state)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 64};
	const char *name = test_ring_name("pid");
	struct shmring_participant p[64];
	struct shmring_part *e;
	shmring_t *r;
	int n, seen = 0;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &r), 0);
	e = &shmring__parts(shmring__map_base(r->map))[44];
	atomic_store(&e->pidns, UINT64_C(4026531836) + 12345u);
	atomic_store(&e->start_time, 1);
	atomic_store(&e->owner, ((uint64_t)5000000u << 32) |
				    ((uint64_t)SHMRING_CONSUMER << 24) | 1u);
	n = shmring_participants(r, p, 64);
	assert_true(n >= 1);
	for (int i = 0; i < n; i++) {
		if (p[i].pid != 5000000u)
			continue;
		seen++;
		if (p[i].state != SHMRING_PART_DEAD && p[i].state != SHMRING_PART_REAPED)
			fail_msg("an impossible pid judged %u", p[i].state);
	}
	assert_int_equal(seen, 1);
	shmring_close(r);
}

/* The identity a remover judged: the file's, or a System V segment's id. */
static struct shmring_map_key judged_key(const char *uri)
{
	struct shmring_map_key k = {0};
	struct stat st;

	if (strncmp(uri, "sysv:", 5) == 0) {
		int id = shmget((key_t)strtoul(uri + 5, NULL, 16), 0, 0);

		assert_true(id >= 0);
		k.ino = (uint64_t)id;
		return k;
	}
	if (strncmp(uri, "file:", 5) == 0)
		assert_int_equal(stat(uri + 5, &st), 0);
	else {
		char path[300];

		snprintf(path, sizeof(path), "/dev/shm%s", uri);
		assert_int_equal(stat(path, &st), 0);
	}
	k.dev = (uint64_t)st.st_dev;
	k.ino = (uint64_t)st.st_ino;
	return k;
}

/*
 * A ring judged, removed and made again under its name by someone else:
 * the judged removal says -ESTALE and the new ring stays (gc removed it, by
 * name, when the name changed hands between its look and its unlink); once
 * judged again, it goes. A System V notifier's set goes with its ring.
 */
static void test_unlink_judged(void **state)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 64,
				 .notifier = SHMRING_NOTIFIER_SYSVSEM};
	char file[256], sysv[32];
	const char *uris[3];

	(void)state;
	snprintf(file, sizeof(file), "file:/tmp/shmt-%d-judged", (int)getpid());
	uris[0] = test_ring_name("judged");
	uris[1] = file;
	uris[2] = NULL;
	for (int tries = 0; tries < 64 && !uris[2]; tries++) {
		shmring_t *r;

		snprintf(sysv, sizeof(sysv), "sysv:0x%08x",
			 0x10000000u | ((unsigned)getpid() * 7919u + (unsigned)tries) % 0x6fffffffu);
		if (shmring_create(sysv, &o, SHMRING_PRODUCER, &r) == 0) {
			shmring_close(r);
			uris[2] = sysv;
		}
	}
	assert_non_null(uris[2]);
	for (int i = 0; i < 3; i++) {
		struct shmring_map_key old, now;
		shmring_t *held, *r;

		/* Held open, as gc holds the object it judged (its lock): a
		 * file system cannot give the new file the old one's inode. */
		if (i < 2)
			assert_int_equal(shmring_create(uris[i], &o, SHMRING_PRODUCER, &held), 0);
		else
			assert_int_equal(shmring_open(uris[i], SHMRING_OBSERVER, &held), 0);
		old = judged_key(uris[i]);
		assert_int_equal(shmring_unlink(uris[i]), 0);
		assert_int_equal(shmring_create(uris[i], &o, SHMRING_PRODUCER, &r), 0);
		if (shmring__unlink_judged(uris[i], &old) != -ESTALE)
			fail_msg("%s: the ring made since was not left alone", uris[i]);
		now = judged_key(uris[i]);
		assert_int_equal(shmring__unlink_judged(uris[i], &now), 0);
		/* Gone (a System V segment still attached: its key gone). */
		assert_int_equal(shmring__unlink_judged(uris[i], &now), i == 2 ? -ESTALE : -ENOENT);
		shmring_close(r);
		shmring_close(held);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_missing, test_teardown_names),
		cmocka_unit_test_teardown(test_truncated, test_teardown_names),
		cmocka_unit_test_teardown(test_smaller_than_header, test_teardown_names),
		cmocka_unit_test_teardown(test_zero_length, test_teardown_names),
		cmocka_unit_test_teardown(test_open_while_creating, test_teardown_names),
		cmocka_unit_test_teardown(test_random_bytes, test_teardown_names),
		cmocka_unit_test_teardown(test_all_zero, test_teardown_names),
		cmocka_unit_test_teardown(test_all_zero_then_published, test_teardown_names),
		cmocka_unit_test_teardown(test_corrupt_header_in_segment, test_teardown_names),
		cmocka_unit_test_teardown(test_owner_mismatch, test_teardown_names),
		cmocka_unit_test_teardown(test_corrupt_indices, test_teardown_names),
		cmocka_unit_test_teardown(test_bad_names, test_teardown_names),
		cmocka_unit_test_teardown(test_unknown_scheme, test_teardown_names),
		cmocka_unit_test_teardown(test_wrong_roles, test_teardown_names),
		cmocka_unit_test_teardown(test_failed_open_clears_handle, test_teardown_names),
		cmocka_unit_test_teardown(test_second_live_producer, test_teardown_names),
		cmocka_unit_test_teardown(test_dead_producer_taken_over, test_teardown_names),
		cmocka_unit_test_teardown(test_recycled_pid, test_teardown_names),
		cmocka_unit_test_teardown(test_same_ring_twice, test_teardown_names),
		cmocka_unit_test_teardown(test_reopen_keyed_semset, sets_teardown),
		cmocka_unit_test_teardown(test_semset_older_than_ring, sets_teardown),
		cmocka_unit_test_teardown(test_reopen_changed_header, sets_teardown),
		cmocka_unit_test_teardown(test_reopen_forged_creator, test_teardown_names),
		cmocka_unit_test_teardown(test_reopen_forged_indices, test_teardown_names),
		cmocka_unit_test_teardown(test_reopen_duplex, test_teardown_names),
		cmocka_unit_test_teardown(test_two_names_mpsc, test_teardown_names),
		cmocka_unit_test_teardown(test_two_names_msg, test_teardown_names),
		cmocka_unit_test_teardown(test_pidns_with_foreign_proc, test_teardown_names),
		cmocka_unit_test_teardown(test_timens_producer_inside, test_teardown_names),
		cmocka_unit_test_teardown(test_timens_consumer_inside, test_teardown_names),
		cmocka_unit_test_teardown(test_timens_behind_consumer_inside, test_teardown_names),
		cmocka_unit_test_teardown(test_noproc_pidns_producer_inside, test_teardown_names),
		cmocka_unit_test_teardown(test_noproc_pidns_consumer_inside, test_teardown_names),
		cmocka_unit_test_teardown(test_main_thread_exited, test_teardown_names),
		cmocka_unit_test_teardown(test_producer_exec_while_held, test_teardown_names),
		cmocka_unit_test_teardown(test_overlay_and_upper, overlay_teardown),
		cmocka_unit_test_teardown(test_unlink_judged, test_teardown_names),
		cmocka_unit_test_teardown(test_forged_stall, test_teardown_names),
		cmocka_unit_test_teardown(test_forged_pid, test_teardown_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
