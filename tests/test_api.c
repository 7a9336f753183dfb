/* SPDX-License-Identifier: MIT */
/*
 * test_api: the public ring API in one process: create options and their
 * errors (a capacity that is not a power of two, sizes, flags, reserved
 * fields), exclusive create and replace, empty/full/wrap-around, bulk and
 * burst through the handle, the information calls, wait policies, the
 * shared mapping of a second open, the error strings, and why a burst,
 * bulk, reserve or peek moved nothing (shmring_last_error()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "src/internal.h"

static shmring_t *make(const char *name, uint64_t capacity, uint32_t slot, unsigned role)
{
	struct shmring_opts o = {.slot_size = slot, .capacity = capacity};
	shmring_t *r = NULL;
	int rc = shmring_create(name, &o, role, &r);

	if (rc != 0)
		fail_msg("create %s (capacity %llu, slot %u): %s", name,
			 (unsigned long long)capacity, slot, shmring_strerror(rc));
	return r;
}

/* True if no object of that name exists (a failed create left nothing). */
static int absent(const char *name)
{
	shmring_t *r = NULL;

	return shmring_open(name, SHMRING_OBSERVER, &r) == -ENOENT && r == NULL;
}

static void test_capacity_not_pow2(void **state)
{
	static const uint64_t bad[] = {0, 1, 3, 5, 6, 7, 100, 1000, 4095, 4097, 12288,
				       SHMRING_MAX_CAPACITY + 1, SHMRING_MAX_CAPACITY * 2,
				       UINT64_MAX};
	const char *name = test_ring_name("cap");

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct shmring_opts o = {.slot_size = 8, .capacity = bad[i]};
		shmring_t *r = (shmring_t *)&o; /* must be reset to NULL */

		if (shmring_create(name, &o, SHMRING_PRODUCER, &r) != -EINVAL)
			fail_msg("capacity %llu accepted", (unsigned long long)bad[i]);
		assert_null(r);
		assert_true(absent(name));
	}
	/* The smallest good one works. */
	shmring_close(make(name, 2, 8, SHMRING_PRODUCER));
}

static void test_create_bad_options(void **state)
{
	const char *name = test_ring_name("opts");
	struct shmring_opts o;
	shmring_t *r = NULL;

	(void)state;
	o = (struct shmring_opts){.slot_size = 0, .capacity = 64};
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	o = (struct shmring_opts){.slot_size = SHMRING_MAX_SLOT_SIZE + 1, .capacity = 64};
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	o = (struct shmring_opts){.kind = 0x7fff, .slot_size = 8, .capacity = 64};
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	o = (struct shmring_opts){.slot_size = 8, .capacity = 64, .flags = 1u << 20};
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	o = (struct shmring_opts){.slot_size = 8, .capacity = 64, .mode = 01777};
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	for (size_t i = 0; i < sizeof(o.reserved) / sizeof(o.reserved[0]); i++) {
		o = (struct shmring_opts){.slot_size = 8, .capacity = 64};
		o.reserved[i] = 1;
		assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	}
	o = (struct shmring_opts){.slot_size = 8, .capacity = 64, .recovery_ns = 1000};
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL); /* below 100 us */
	o = (struct shmring_opts){.slot_size = 8, .capacity = 64};
	assert_int_equal(shmring_create(name, &o, 1u << 7, &r), -EINVAL); /* unknown role bit */
	assert_int_equal(shmring_create(name, NULL, 0, &r), -EINVAL);
	assert_int_equal(shmring_create(name, &o, 0, NULL), -EINVAL);
	assert_true(absent(name));
	/* Largest slot works. */
	o = (struct shmring_opts){.slot_size = SHMRING_MAX_SLOT_SIZE, .capacity = 2};
	assert_int_equal(shmring_create(name, &o, 0, &r), 0);
	assert_int_equal(shmring_slot_size(r), SHMRING_MAX_SLOT_SIZE);
	shmring_close(r);
}

static void test_exclusive_and_replace(void **state)
{
	const char *name = test_ring_name("excl");
	struct shmring_opts o = {.slot_size = 8, .capacity = 16};
	shmring_t *a, *b = NULL, *c;
	uint64_t v = 7;

	(void)state;
	a = make(name, 16, 8, SHMRING_PRODUCER);
	assert_int_equal(shmring_try_send(a, &v), 0);
	assert_int_equal(shmring_create(name, &o, 0, &b), -EEXIST);
	assert_null(b);
	/* Replace: a new, empty ring under the name; the old mapping lives on. */
	o.capacity = 32;
	o.flags = SHMRING_CREATE_REPLACE | SHMRING_CREATE_PREFAULT;
	assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, &b), 0);
	assert_int_equal(shmring_capacity(b), 32);
	assert_int_equal(shmring_count(b), 0);
	assert_int_equal(shmring_try_recv(b, &v), -EAGAIN);
	assert_int_equal(shmring_count(a), 1);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &c), 0);
	assert_int_equal(shmring_capacity(c), 32);
	shmring_close(c);
	shmring_close(a);
	shmring_close(b);
	assert_int_equal(shmring_unlink(name), 0);
	assert_int_equal(shmring_unlink(name), -ENOENT);
	assert_true(absent(name));
}

/* Blocks the object at a POSIX name holds now (its pages in use). */
static uint64_t object_bytes(const char *name)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_blocks * 512u;
}

/*
 * An object longer than its ring (a peer grew it): opening with PREFAULT or
 * MLOCK faults in and locks the ring, not the whole object, which would
 * take as much memory as the peer chose (and fail where it has none).
 */
static void test_prefault_grown(void **state)
{
	const char *name = test_ring_name("grown");
	struct shmring_open_opts oo = {.flags = SHMRING_OPEN_PREFAULT};
	char path[300];
	shmring_t *a, *b;
	uint64_t v = 7;
	int fd;

	(void)state;
	a = make(name, 16, 8, SHMRING_PRODUCER);
	assert_int_equal(shmring_try_send(a, &v), 0);
	shmring_close(a); /* no mapping of it left in this process */
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 256 << 20), 0);
	close(fd);
	assert_int_equal(shmring_open_ex(name, SHMRING_CONSUMER, &oo, &b), 0);
	assert_true(object_bytes(name) < (8u << 20));
	assert_int_equal(shmring_try_recv(b, &v), 0);
	assert_int_equal(v, 7);
	shmring_close(b);
	oo.flags = SHMRING_OPEN_MLOCK;
	assert_int_equal(shmring_open_ex(name, SHMRING_OBSERVER, &oo, &b), 0);
	assert_true(object_bytes(name) < (8u << 20));
	shmring_close(b);
	assert_int_equal(shmring_unlink(name), 0);
}

static void test_info(void **state)
{
	const char *name = test_ring_name("info");
	struct shmring_info in;
	shmring_t *p, *c, *obs;
	uint64_t v = 1;

	(void)state;
	p = make(name, 128, 40, SHMRING_PRODUCER);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &obs), 0);
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.kind, SHMRING_KIND_SPSC);
	assert_int_equal(in.layout_version, SHMRING_LAYOUT_VERSION);
	assert_int_equal(in.capacity, 128);
	assert_int_equal(in.slot_size, 40);
	assert_int_equal(in.slot_stride, 64);
	assert_int_equal(in.group_slots, 1);
	assert_int_equal(in.creator_uid, geteuid());
	assert_int_equal(in.creator_pid, getpid());
	assert_true(in.total_size >= 128 * 64);
	assert_int_equal(in.total_size % 4096, 0);
	assert_true(in.ctime_ns > UINT64_C(1600000000) * 1000000000u);
	assert_int_equal(in.produced, 0);
	assert_int_equal(in.consumed, 0);
	assert_int_equal(in.producers, 1);
	assert_int_equal(in.consumers, 1);
	assert_int_equal(shmring_slot_size(obs), 40);
	assert_int_equal(shmring_capacity(obs), 128);
	{
		unsigned char m[40] = {0};

		memcpy(m, &v, sizeof(v));
		for (int i = 0; i < 5; i++)
			assert_int_equal(shmring_try_send(p, m), 0);
		assert_int_equal(shmring_try_recv(c, m), 0);
	}
	assert_int_equal(shmring_count(obs), 4);
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.produced, 5);
	assert_int_equal(in.consumed, 1);
	shmring_close(c);
	assert_int_equal(shmring_info(obs, &in), 0);
	assert_int_equal(in.consumers, 0);
	assert_int_equal(in.producers, 1);
	assert_int_equal(shmring_info(NULL, &in), -EINVAL);
	assert_int_equal(shmring_info(obs, NULL), -EINVAL);
	/* The value calls answer 0 for no handle, as documented. */
	assert_int_equal(shmring_count(NULL), 0);
	assert_int_equal(shmring_slot_size(NULL), 0);
	assert_int_equal(shmring_capacity(NULL), 0);
	shmring_close(p);
	shmring_close(obs);
}

/* group_slots: how many slots one slot_stride holds, for every layout. */
static void test_info_group_slots(void **state)
{
	static const struct {
		uint32_t kind, flags, slot;
		uint64_t capacity;
		uint32_t stride, group;
	} cases[] = {
	    {SHMRING_KIND_SPSC, 0, 1, 64, 64, 7},
	    {SHMRING_KIND_SPSC, 0, 8, 64, 64, 7},
	    {SHMRING_KIND_SPSC, 0, 9, 64, 64, 3},
	    {SHMRING_KIND_SPSC, 0, 16, 64, 64, 3},
	    {SHMRING_KIND_SPSC, 0, 17, 64, 32, 1},
	    {SHMRING_KIND_SPSC, SHMRING_CREATE_DENSE, 8, 64, 8, 1},
	    {SHMRING_KIND_MPSC, 0, 8, 64, 16, 1},
	    {SHMRING_KIND_MSG, 0, 64, 4096, 16, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = test_ring_name("group");
		struct shmring_opts o = {.kind = cases[i].kind,
		                         .flags = cases[i].flags,
		                         .slot_size = cases[i].slot,
		                         .capacity = cases[i].capacity};
		struct shmring_info in;
		shmring_t *r;

		assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), 0);
		assert_int_equal(shmring_info(r, &in), 0);
		assert_int_equal(in.slot_stride, cases[i].stride);
		assert_int_equal(in.group_slots, cases[i].group);
		shmring_close(r);
		assert_int_equal(shmring_unlink(name), 0);
	}
}

static void test_empty_full_wrap(void **state)
{
	const char *name = test_ring_name("efw");
	shmring_t *p, *c;
	uint64_t v, sent = 0, got = 0;

	(void)state;
	p = make(name, 8, 8, SHMRING_PRODUCER);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	assert_int_equal(shmring_try_recv(c, &v), -EAGAIN);
	for (; sent < 8; sent++)
		assert_int_equal(shmring_try_send(p, &sent), 0);
	assert_int_equal(shmring_try_send(p, &sent), -EAGAIN);
	assert_int_equal(shmring_count(p), 8);
	/* 1000 laps of alternating fills and drains. */
	for (int step = 0; step < 8000; step++) {
		if (step % 3 != 2) {
			if (shmring_try_send(p, &sent) == 0)
				sent++;
		}
		if (step % 5 != 0 && shmring_try_recv(c, &v) == 0) {
			assert_int_equal(v, got);
			got++;
		}
		assert_true(sent - got <= 8);
	}
	while (shmring_try_recv(c, &v) == 0) {
		assert_int_equal(v, got);
		got++;
	}
	assert_int_equal(got, sent);
	assert_true(sent > 8 * 500);
	assert_int_equal(shmring_count(c), 0);
	assert_int_equal(shmring_try_recv(c, &v), -EAGAIN);
	shmring_close(p);
	shmring_close(c);
}

static void test_bulk_burst(void **state)
{
	const char *name = test_ring_name("bb");
	shmring_t *p, *c;
	uint64_t buf[64];

	(void)state;
	p = make(name, 16, 8, SHMRING_PRODUCER);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	for (int i = 0; i < 64; i++)
		buf[i] = (uint64_t)i;
	assert_int_equal(shmring_try_send_bulk(p, buf, 10), 10);
	assert_int_equal(shmring_try_send_bulk(p, buf + 10, 7), 0);
	assert_int_equal(shmring_try_send_burst(p, buf + 10, 7), 6);
	assert_int_equal(shmring_try_send_burst(p, buf + 16, 7), 0);
	assert_int_equal(shmring_try_recv_bulk(c, buf, 17), 0); /* > capacity */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(shmring_try_recv_bulk(c, buf, 4), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(buf[i], i);
	assert_int_equal(shmring_try_recv_burst(c, buf, 64), 12);
	for (int i = 0; i < 12; i++)
		assert_int_equal(buf[i], 4 + i);
	assert_int_equal(shmring_try_recv_burst(c, buf, 64), 0);
	assert_int_equal(shmring_try_recv_bulk(c, buf, 1), 0);
	/* Bulk larger than the capacity never succeeds, even on an empty ring. */
	assert_int_equal(shmring_try_send_bulk(p, buf, 17), 0);
	/* ... and says so: -EINVAL, not -EAGAIN (to be retried for ever). */
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), -EINVAL);
	assert_int_equal(shmring_try_send_burst(p, buf, 17), 16);
	assert_int_equal(shmring_try_recv_bulk(c, buf, 17), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EINVAL);
	/* Blocking forms: argument errors, then moves. */
	assert_int_equal(shmring_send_bulk(NULL, buf, 1, 0), -EINVAL);
	assert_int_equal(shmring_send_burst(NULL, buf, 1, 0), -EINVAL);
	assert_int_equal(shmring_recv_bulk(NULL, buf, 1, 0), -EINVAL);
	assert_int_equal(shmring_recv_burst(NULL, buf, 1, 0), -EINVAL);
	assert_int_equal(shmring_send_bulk(p, NULL, 1, 0), -EINVAL);
	assert_int_equal(shmring_send_burst(p, NULL, 1, 0), -EINVAL);
	assert_int_equal(shmring_recv_bulk(c, NULL, 1, 0), -EINVAL);
	assert_int_equal(shmring_recv_burst(c, NULL, 1, 0), -EINVAL);
	assert_int_equal(shmring_send_bulk(p, buf, 17, SHMRING_NO_DEADLINE), -EINVAL);
	assert_int_equal(shmring_send_bulk(p, buf, 0, SHMRING_NO_DEADLINE), -EINVAL);
	assert_int_equal(shmring_send_burst(p, buf, 0, SHMRING_NO_DEADLINE), -EINVAL);
	assert_int_equal(shmring_recv_bulk(c, buf, 17, SHMRING_NO_DEADLINE), -EINVAL);
	assert_int_equal(shmring_recv_bulk(c, buf, 0, SHMRING_NO_DEADLINE), -EINVAL);
	assert_int_equal(shmring_recv_burst(c, buf, 0, SHMRING_NO_DEADLINE), -EINVAL);
	assert_int_equal(shmring_recv_bulk(c, buf, 16, SHMRING_NO_DEADLINE), 16);
	assert_int_equal(shmring_send_burst(p, buf, 20, SHMRING_NO_DEADLINE), 16);
	assert_int_equal(shmring_recv_burst(c, buf, 64, SHMRING_NO_DEADLINE), 16);
	assert_int_equal(shmring_send_bulk(p, buf, 16, SHMRING_NO_DEADLINE), 16);
	assert_int_equal(shmring_recv_bulk(c, buf, 3, 0), 3); /* available: no wait needed */
	assert_int_equal(shmring_recv_burst(c, buf, 64, 0), 13);
	shmring_close(p);
	shmring_close(c);
}

/*
 * shmring_last_error(): why the last count- or pointer-returning call of a
 * side moved nothing, found by the one-message form's checks and consuming
 * nothing; 0 once one moved something. Fixed slots of each layout family
 * (SPSC, MPMC) and a message ring.
 */
static void last_error_fixed(const char *name, uint32_t kind)
{
	struct shmring_opts o = {.kind = kind, .slot_size = 8, .capacity = 4};
	shmring_t *p = NULL, *c = NULL;
	uint64_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	const void *slots[8];

	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), 0); /* no call yet */
	assert_null(shmring_peek(c));
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EAGAIN);
	assert_int_equal(shmring_last_error(c, SHMRING_PRODUCER), 0); /* the other side's own */
	assert_int_equal(shmring_try_recv_burst(c, buf, 0), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EINVAL);
	assert_int_equal(shmring_try_recv_burst(p, buf, 1), 0);
	assert_int_equal(shmring_last_error(p, SHMRING_CONSUMER), -EPERM);
	assert_null(shmring_reserve(c));
	assert_int_equal(shmring_last_error(c, SHMRING_PRODUCER), -EPERM);

	assert_int_equal(shmring_try_send_burst(p, buf, 8), 4);
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), 0);
	assert_int_equal(shmring_try_send_burst(p, buf, 1), 0);
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), -EAGAIN);
	assert_null(shmring_reserve(p));
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), -EAGAIN);

	assert_int_equal(shmring_peek_burst(c, 2, slots), 2);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), 0);
	assert_int_equal(shmring_try_recv_burst(c, buf, 1), 0); /* a peek held */
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EBUSY);
	assert_int_equal(shmring_release_burst(c, 2), 0);

	/* The producer gone: messages left are still taken, then end-of-stream,
	 * learnt by a peek without a receive. */
	shmring_close(p);
	assert_int_equal(shmring_try_recv_burst(c, buf, 1), 1);
	assert_non_null(shmring_peek(c));
	assert_int_equal(shmring_release(c), 0);
	assert_null(shmring_peek(c));
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EPIPE);
	assert_int_equal(shmring_try_recv(c, buf), -EPIPE); /* the same answer */
	shmring_close(c);

	/* A consumer gone that this producer saw: a sender's burst says EPIPE. */
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	assert_int_equal(shmring_try_send_bulk(p, buf, 1), 1);
	shmring_close(c);
	assert_int_equal(shmring_try_send_bulk(p, buf, 1), 0);
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), -EPIPE);
	shmring_close(p);
	assert_int_equal(shmring_unlink(name), 0);
}

/*
 * A message ring's bulk that can never move (records whose spans together
 * pass the area; more records than the area holds) says -EINVAL, where one
 * that cannot move now says -EAGAIN. p and c: an empty ring's two sides,
 * records of up to 64 bytes, cap bytes of area.
 */
static void last_error_msg_never(shmring_t *p, shmring_t *c, uint64_t cap)
{
	static char buf[64];
	struct shmring_msgvec many[300];
	unsigned fit = (unsigned)(cap / shmring_msg_span(64)), most = (unsigned)(cap / shmring_msg_span(0));

	assert_true(most < 300);
	for (unsigned i = 0; i < 300; i++)
		many[i] = (struct shmring_msgvec){.buf = buf, .len = sizeof(buf)};
	assert_int_equal(shmring_msg_try_send_bulk(p, many, fit + 1), 0);
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), -EINVAL);
	assert_int_equal(shmring_msg_try_recv_bulk(c, many, 2), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EAGAIN);
	assert_int_equal(shmring_msg_try_recv_bulk(c, many, most + 1), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EINVAL);
	/* Bursts move what they can: the same counts are not errors there. */
	assert_int_equal(shmring_msg_try_recv_burst(c, many, most + 1), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EAGAIN);
}

static void test_last_error(void **state)
{
	const char *name = test_ring_name("why");
	struct shmring_opts o = {.slot_size = 64, .capacity = 1024,
				 .flags = SHMRING_CREATE_MULTI_PRODUCER};
	struct shmring_msgvec v = {.buf = (char[64]){0}, .len = 64};
	shmring_t *p = NULL, *c = NULL;
	size_t len;

	(void)state;
	last_error_fixed(name, SHMRING_KIND_SPSC);
	last_error_fixed(name, SHMRING_KIND_MPMC);

	o.kind = SHMRING_KIND_MSG;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	assert_null(shmring_msg_peek(c, &len, NULL));
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EAGAIN);
	assert_null(shmring_peek(c)); /* a fixed-slot call on a message ring */
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -SHMRING_EKIND);
	assert_null(shmring_msg_reserve(p, 65));
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), -EMSGSIZE);
	/* Nothing asked for: -EINVAL, as for the fixed kinds, not -EAGAIN. */
	assert_int_equal(shmring_msg_try_send_burst(p, &v, 0), 0);
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), -EINVAL);
	assert_int_equal(shmring_msg_try_send_bulk(p, &v, 0), 0);
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), -EINVAL);
	assert_int_equal(shmring_msg_try_recv_burst(c, &v, 0), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EINVAL);
	assert_int_equal(shmring_msg_try_recv_bulk(c, &v, 0), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EINVAL);
	assert_int_equal(shmring_msg_try_send_burst(p, &v, 1), 1);
	assert_int_equal(shmring_last_error(p, SHMRING_PRODUCER), 0);
	v.len = 8; /* the record is 64 bytes: too large for this buffer */
	assert_int_equal(shmring_msg_try_recv_burst(c, &v, 1), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EMSGSIZE);
	v.len = 64;
	assert_int_equal(shmring_msg_try_recv_bulk(c, &v, 1), 1);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), 0);
	last_error_msg_never(p, c, o.capacity);
	shmring_close(p);
	assert_int_equal(shmring_msg_try_recv_burst(c, &v, 1), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_CONSUMER), -EPIPE);
	shmring_close(c);

	assert_int_equal(shmring_last_error(NULL, SHMRING_CONSUMER), -EINVAL);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &c), 0);
	assert_int_equal(shmring_last_error(c, SHMRING_OBSERVER), -EINVAL);
	shmring_close(c);
}

/* Slot sizes through the handle, sampled (test_spsc sweeps every size). */
static void test_slot_sizes(void **state)
{
	static const uint32_t sizes[] = {1, 2, 7, 8, 9, 15, 16, 17, 55, 56, 57, 63, 64, 65,
					 100, 1000, 4095, 4096, 4097, SHMRING_MAX_SLOT_SIZE};
	unsigned char *in = malloc(SHMRING_MAX_SLOT_SIZE), *out = malloc(SHMRING_MAX_SLOT_SIZE);

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		const char *name = test_ring_name("size");
		uint32_t size = sizes[s];
		shmring_t *r = make(name, 4, size, SHMRING_PRODUCER | SHMRING_CONSUMER);

		assert_int_equal(shmring_slot_size(r), size);
		for (uint32_t m = 0; m < 10; m++) {
			for (uint32_t i = 0; i < size; i++)
				in[i] = (unsigned char)(m * 31 + i * 13);
			assert_int_equal(shmring_try_send(r, in), 0);
			memset(out, 0, size);
			assert_int_equal(shmring_try_recv(r, out), 0);
			assert_memory_equal(in, out, size);
		}
		shmring_close(r);
		shmring_unlink(name);
	}
	free(in);
	free(out);
}

/* A second open in the same process shares the mapping; closes are counted. */
static void test_shared_mapping(void **state)
{
	const char *name = test_ring_name("share");
	shmring_t *a, *b, *c, *d;
	uint64_t v = 42;

	(void)state;
	a = make(name, 16, 8, SHMRING_PRODUCER);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &b), 0);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &c), 0);
	assert_ptr_equal(a->base, b->base);
	assert_ptr_equal(a->base, c->base);
	assert_ptr_equal(a->map, b->map);
	shmring_close(a);
	/* The mapping outlives the creator's handle. */
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &a), 0);
	assert_ptr_equal(a->base, b->base);
	assert_int_equal(shmring_try_send(a, &v), 0);
	v = 0;
	assert_int_equal(shmring_try_recv(b, &v), 0);
	assert_int_equal(v, 42);
	shmring_close(a);
	shmring_close(b);
	shmring_close(c);
	/* All closed: a new open maps afresh and still sees the ring. */
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &d), 0);
	assert_int_equal(shmring_capacity(d), 16);
	shmring_close(d);
	assert_int_equal(shmring_close(NULL), 0);
}

/* Messages stay in the ring across closes; a new consumer resumes. */
static void test_close_keeps_messages(void **state)
{
	const char *name = test_ring_name("keep");
	shmring_t *p, *c;
	uint64_t v;

	(void)state;
	p = make(name, 16, 8, SHMRING_PRODUCER);
	for (v = 0; v < 10; v++)
		assert_int_equal(shmring_try_send(p, &v), 0);
	shmring_close(p);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	for (uint64_t want = 0; want < 4; want++) {
		assert_int_equal(shmring_try_recv(c, &v), 0);
		assert_int_equal(v, want);
	}
	shmring_close(c);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
	v = 10;
	assert_int_equal(shmring_try_send(p, &v), 0);
	shmring_close(p);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	for (uint64_t want = 4; want < 11; want++) {
		assert_int_equal(shmring_try_recv(c, &v), 0);
		assert_int_equal(v, want);
	}
	assert_int_equal(shmring_try_recv(c, &v), -EPIPE); /* end-of-stream */
	shmring_close(c);
}

/*
 * A consumer that closes while it holds a peek: with one consumer the
 * message stays for the next (every kind: a single-consumer message ring
 * released the record, so the next consumer never saw it), with many it is
 * released (shmring_close() in ring.h).
 */
static void test_close_peek_held(void **state)
{
	static const struct {
		uint32_t kind, flags;
		bool stays;
	} cases[] = {
		{SHMRING_KIND_SPSC, 0, true},
		{SHMRING_KIND_MPSC, 0, true},
		{SHMRING_KIND_MSG, 0, true},
		{SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_PRODUCER, true},
		{SHMRING_KIND_MPMC, 0, false},
		{SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_CONSUMER, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shmring_opts o = {.kind = cases[i].kind, .flags = cases[i].flags,
					 .slot_size = 8, .capacity = 256};
		const char *name = test_ring_name("peekclose");
		bool msg = cases[i].kind == SHMRING_KIND_MSG;
		shmring_t *p, *c;
		uint64_t v;
		size_t len;

		assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
		for (v = 1; v <= 3; v++)
			assert_int_equal(msg ? shmring_msg_try_send(p, &v, sizeof(v), 0)
					     : shmring_try_send(p, &v),
					 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
		const void *m = msg ? shmring_msg_peek(c, &len, NULL) : shmring_peek(c);

		assert_non_null(m);
		memcpy(&v, m, sizeof(v));
		assert_int_equal(v, 1);
		shmring_close(c);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
		assert_int_equal(msg ? shmring_msg_try_recv(c, &v, sizeof(v), NULL)
				     : shmring_try_recv(c, &v),
				 msg ? (int)sizeof(v) : 0);
		if (v != (cases[i].stays ? 1u : 2u))
			fail_msg("kind %u flags %#x: after a close with a peek held, the next "
				 "consumer got %llu", cases[i].kind, cases[i].flags,
				 (unsigned long long)v);
		shmring_close(c);
		shmring_close(p);
		shmring_unlink(name);
	}
}

static void test_set_wait(void **state)
{
	const char *name = test_ring_name("wait");
	shmring_t *r = make(name, 16, 8, SHMRING_PRODUCER | SHMRING_CONSUMER);
	struct shmring_wait w = {0};
	uint64_t v = 5;

	(void)state;
	for (uint32_t m = SHMRING_WAIT_ADAPTIVE; m <= SHMRING_WAIT_PARK; m++) {
		w = (struct shmring_wait){.mode = m, .spin_ns = m * 1000u};
		assert_int_equal(shmring_set_wait(r, &w), 0);
		assert_int_equal(shmring_send(r, &v, SHMRING_NO_DEADLINE), 0);
		assert_int_equal(shmring_recv(r, &v, SHMRING_NO_DEADLINE), 0);
		assert_int_equal(v, 5);
	}
	/* The longest spin there is: spins until the deadline, never parks
	 * (a wrapped spin limit parked at once). */
	w = (struct shmring_wait){.mode = SHMRING_WAIT_ADAPTIVE, .spin_ns = UINT64_MAX};
	assert_int_equal(shmring_set_wait(r, &w), 0);
	{
		struct shmring_info in;

		assert_int_equal(shmring_recv(r, &v, shmring_deadline_in(20000000)), -ETIMEDOUT);
		assert_int_equal(shmring_info(r, &in), 0);
		assert_int_equal(in.empty_waits, 0);
	}
	w = (struct shmring_wait){.mode = SHMRING_WAIT_PARK + 1};
	assert_int_equal(shmring_set_wait(r, &w), -EINVAL);
	w = (struct shmring_wait){.mode = SHMRING_WAIT_SPIN, .reserved = 1};
	assert_int_equal(shmring_set_wait(r, &w), -EINVAL);
	assert_int_equal(shmring_set_wait(r, NULL), -EINVAL);
	assert_int_equal(shmring_set_wait(NULL, &w), -EINVAL);
	shmring_close(r);
}

static void test_strings_and_clock(void **state)
{
	static const int errs[] = {0, SHMRING_EBADMAGIC, SHMRING_EVERSION, SHMRING_ECHECK,
				   SHMRING_EGEOMETRY, SHMRING_ETRUNCATED, SHMRING_ECORRUPT,
				   SHMRING_EOWNER, SHMRING_EKIND, ENOENT, EEXIST, EBUSY, EAGAIN,
				   ETIMEDOUT, EPERM, EINVAL, ENOSPC, EIO};
	uint64_t a, b;

	(void)state;
	assert_string_equal(shmring_version(), "0.1.0");
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		assert_non_null(shmring_strerror(errs[i]));
		assert_non_null(shmring_strerror(-errs[i]));
		assert_string_equal(shmring_strerror(errs[i]), shmring_strerror(-errs[i]));
		assert_true(strlen(shmring_strerror(errs[i])) > 0);
	}
	/* The segment errors are distinct, and each has its own wording. */
	for (size_t i = 1; i <= 8; i++)
		for (size_t j = i + 1; j <= 8; j++) {
			assert_int_not_equal(errs[i], errs[j]);
			assert_string_not_equal(shmring_strerror(errs[i]), shmring_strerror(errs[j]));
		}
	/* -EOPNOTSUPP comes from homes, socket channels and poll-only rings:
	 * its wording names each, not one backend's case. */
	assert_non_null(strstr(shmring_strerror(-EOPNOTSUPP), "socket channel"));
	assert_non_null(strstr(shmring_strerror(-EOPNOTSUPP), "poll-only"));
	assert_non_null(shmring_strerror(INT32_MIN + 1));
	a = shmring_clock_ns();
	b = shmring_clock_ns();
	assert_true(b >= a);
	assert_true(shmring_deadline_in(0) >= b);
	assert_true(shmring_deadline_in(UINT64_MAX) == SHMRING_NO_DEADLINE);
	assert_true(shmring_deadline_in(UINT64_MAX - 1) == SHMRING_NO_DEADLINE);
	a = shmring_deadline_in(1000000000u);
	assert_true(a >= b + 1000000000u && a < shmring_clock_ns() + 1000000001u);
}

/*
 * "Never NULL; the string is static. Thread-safe." also for errno values the
 * library has no wording of its own for: a string must stay valid and
 * unchanged after later calls. (Last in the list: under ASan a failure here
 * aborts the program.)
 */
static void test_strerror_unknown_is_static(void **state)
{
	static const int unknown[] = {9999, 9998, 12345, 100000};
	const char *first[4];
	char copy[4][128];

	(void)state;
	for (int i = 0; i < 4; i++) {
		first[i] = shmring_strerror(-unknown[i]);
		assert_non_null(first[i]);
		snprintf(copy[i], sizeof(copy[i]), "%s", first[i]);
	}
	for (int i = 0; i < 4; i++)
		assert_string_equal(first[i], copy[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_capacity_not_pow2, test_teardown_names),
		cmocka_unit_test_teardown(test_create_bad_options, test_teardown_names),
		cmocka_unit_test_teardown(test_exclusive_and_replace, test_teardown_names),
		cmocka_unit_test_teardown(test_last_error, test_teardown_names),
		cmocka_unit_test_teardown(test_prefault_grown, test_teardown_names),
		cmocka_unit_test_teardown(test_info, test_teardown_names),
		cmocka_unit_test_teardown(test_info_group_slots, test_teardown_names),
		cmocka_unit_test_teardown(test_empty_full_wrap, test_teardown_names),
		cmocka_unit_test_teardown(test_bulk_burst, test_teardown_names),
		cmocka_unit_test_teardown(test_slot_sizes, test_teardown_names),
		cmocka_unit_test_teardown(test_shared_mapping, test_teardown_names),
		cmocka_unit_test_teardown(test_close_keeps_messages, test_teardown_names),
		cmocka_unit_test_teardown(test_close_peek_held, test_teardown_names),
		cmocka_unit_test_teardown(test_set_wait, test_teardown_names),
		cmocka_unit_test(test_strings_and_clock),
		cmocka_unit_test(test_strerror_unknown_is_static),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
