/* SPDX-License-Identifier: MIT */
/*
 * tests/test_dense.c - SPSC rings in the dense slot layout
 * (SHMRING_CREATE_DENSE) where they differ from stamped ones: the layout in
 * the header and in shmring_info(), the flag refused for the other kinds and
 * insisted on by open-or-create, headers that mix or misplace the layouts,
 * a producer position that lies (ahead by more than a ring, or going back),
 * a producer killed mid-stream and its successor, a file ring reopened, and
 * the inline calls, which hand a dense ring to the library. The rest (every
 * call, stress, zero-copy, end-of-stream, EPIPE, waking) runs through the
 * same tests as every kind: test_kind_spsc_dense and the failure tests'
 * spscd cases.
 */
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "failure_helpers.h"
#include "ringbuf/layout.h"

#include <shmring/lane.h>

static shmring_t *make(const char *name, uint32_t slot, uint64_t capacity, unsigned role)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = slot,
				 .capacity = capacity, .flags = SHMRING_CREATE_DENSE};
	shmring_t *r = NULL;

	assert_int_equal(shmring_create(name, &o, role, &r), 0);
	return r;
}

/* The layout in the header and the information; slots back to back. */
static void test_layout(void **state)
{
	static const uint32_t sizes[][2] = {{8, 8}, {12, 16}, {1, 8}, {64, 64}, {100, 104}};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const char *name = test_ring_name("layout");
		shmring_t *r = make(name, sizes[i][0], 1024, SHMRING_OBSERVER), *s;
		struct shmring_opts so = {.kind = SHMRING_KIND_SPSC, .slot_size = sizes[i][0],
					  .capacity = 1024};
		struct shmring_info in, sin;
		const char *sname = test_ring_name("stamped");

		assert_int_equal(shmring_create(sname, &so, SHMRING_OBSERVER, &s), 0);
		assert_int_equal(shmring_info(r, &in), 0);
		assert_int_equal(shmring_info(s, &sin), 0);
		assert_true(in.flags & SHMRING_CREATE_DENSE);
		assert_false(sin.flags & SHMRING_CREATE_DENSE);
		assert_int_equal(in.slot_stride, sizes[i][1]);
		assert_true(sin.slot_stride > in.slot_stride);
		assert_true(in.total_size <= sin.total_size);
		assert_int_equal(in.capacity, 1024);
		shmring_close(r);
		shmring_close(s);
		assert_int_equal(shmring_unlink(name), 0);
		assert_int_equal(shmring_unlink(sname), 0);
	}
}

/* Other kinds refuse the flag; open-or-create insists on the same choice. */
static void test_refusals_and_match(void **state)
{
	static const uint32_t others[] = {SHMRING_KIND_MPSC, SHMRING_KIND_SPMC, SHMRING_KIND_MPMC,
					  SHMRING_KIND_MSG};
	const char *name = test_ring_name("match");
	struct shmring_opts o = {.slot_size = 8, .capacity = 1024, .flags = SHMRING_CREATE_DENSE};
	shmring_t *r = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		o.kind = others[i];
		assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
		assert_null(r);
	}
	assert_int_equal(test_open_existing_insists(name, SHMRING_CREATE_DENSE), 0);
}

/* A header must name exactly one slot layout, dense only for SPSC, with the
 * dense geometry. */
static void test_header_rules(void **state)
{
	struct shmring_geometry g;
	struct shmring_hdr h;
	uint64_t seg;

	(void)state;
	assert_int_equal(shmring__geometry(64, 8, 0, &g), 0);
	shmring__geometry_dense(&g);
	assert_int_equal(g.slot_stride, 8);
	seg = g.total_size;

	shmring__hdr_init(&h, SHMRING_KIND_SPSC, 0, &g, 0, 1, 0);
	h.features = SHMRING_FEAT_DENSE_SLOTS;
	h.check = shmring__hdr_checksum(&h);
	assert_int_equal(shmring__hdr_validate(&h, seg), 0);

	h.features = SHMRING_FEAT_DENSE_SLOTS | SHMRING_FEAT_STAMPED_SLOTS; /* both */
	h.check = shmring__hdr_checksum(&h);
	assert_int_equal(shmring__hdr_validate(&h, seg), -SHMRING_EGEOMETRY);

	h.features = SHMRING_FEAT_POLL_ONLY; /* neither */
	h.check = shmring__hdr_checksum(&h);
	assert_int_equal(shmring__hdr_validate(&h, seg), -SHMRING_EGEOMETRY);

	h.features = SHMRING_FEAT_STAMPED_SLOTS; /* stamped, with the dense geometry */
	h.check = shmring__hdr_checksum(&h);
	assert_int_equal(shmring__hdr_validate(&h, seg), -SHMRING_EGEOMETRY);

	h.features = SHMRING_FEAT_DENSE_SLOTS;
	h.kind = SHMRING_KIND_MPSC; /* dense is SPSC's only */
	h.check = shmring__hdr_checksum(&h);
	assert_int_equal(shmring__hdr_validate(&h, seg), -SHMRING_EGEOMETRY);
}

/* Map a ring's segment, as a peer with write access would. */
static struct shmring_side *prod_side_of(const char *name, void **base, size_t *size)
{
	*base = fh_map_ring(name, size);
	return shmring__prod_side(*base);
}

/*
 * A producer position that lies: more than a ring ahead of the consumer, or
 * behind what the consumer already saw. Each receive says so
 * (-SHMRING_ECORRUPT), the blocking one too, no slot past the truth is read,
 * and once the position is true again every message comes, once.
 */
static void test_forged_producer_position(void **state)
{
	const char *name = test_ring_name("forged");
	shmring_t *tx = make(name, 8, 16, SHMRING_PRODUCER), *rx;
	struct shmring_side *ps;
	uint64_t v, truth;
	size_t size;
	void *base;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	for (v = 0; v < 3; v++)
		assert_int_equal(shmring_try_send(tx, &v), 0);
	ps = prod_side_of(name, &base, &size);
	truth = atomic_load(&ps->pos);
	assert_int_equal(truth, 3);

	atomic_store(&ps->pos, 16 + 1); /* a ring and one ahead of the consumer */
	assert_int_equal(shmring_try_recv(rx, &v), -SHMRING_ECORRUPT);
	assert_int_equal(shmring_try_recv(rx, &v), -SHMRING_ECORRUPT);
	assert_int_equal(shmring_recv(rx, &v, shmring_deadline_in(2000000000)), -SHMRING_ECORRUPT);
	atomic_store(&ps->pos, truth);
	assert_int_equal(shmring_try_recv(rx, &v), 0);
	assert_int_equal(v, 0);

	/* The consumer knows 3 are there: the position going back is a lie. */
	atomic_store(&ps->pos, 0);
	assert_int_equal(shmring_try_recv(rx, &v), 0); /* known, not re-read */
	assert_int_equal(v, 1);
	assert_int_equal(shmring_try_recv(rx, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(shmring_try_recv(rx, &v), -SHMRING_ECORRUPT);
	atomic_store(&ps->pos, truth);
	assert_int_equal(shmring_try_recv(rx, &v), -EAGAIN);
	v = 3;
	assert_int_equal(shmring_try_send(tx, &v), 0);
	assert_int_equal(shmring_try_recv(rx, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(shmring_count(rx), 0);

	/* A consumer in a process that maps the ring over a lying position is
	 * refused (as a second open here is: test_attach). */
	shmring_close(rx);
	shmring_close(tx);
	atomic_store(&ps->pos, 4 + 17);
	{
		struct fh_agent *x = fh_agent_new(name, FH_SPSCD, NULL);

		assert_int_equal(fh_agent_call(x, FH_OPEN, SHMRING_CONSUMER, 0), -EUCLEAN);
		assert_int_equal(fh_agent_exit(x), 0);
	}
	atomic_store(&ps->pos, 4);
	munmap(base, size);
	assert_int_equal(shmring_unlink(name), 0);
}

/*
 * A producer killed with SIGKILL in the middle of a stream: the consumer
 * gets a gapless prefix of its sequence, then end-of-stream; a new producer
 * attaches where the old one published and its messages follow. Nothing
 * needs cleaning up.
 */
static void test_producer_killed_and_replaced(void **state)
{
	const char *name = test_ring_name("killed");
	shmring_t *rx = make(name, 8, 64, SHMRING_CONSUMER), *tx;
	uint64_t v, next = 0;
	pid_t pid;
	int rc, status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		shmring_t *p;

		if (shmring_open(name, SHMRING_PRODUCER, &p) != 0)
			_exit(2);
		for (uint64_t i = 0;; i++)
			while (shmring_try_send(p, &i) != 0)
				sched_yield();
	}
	/* Let a few laps go by, then kill it while it sends. */
	while (next < 5000) {
		rc = shmring_recv(rx, &v, shmring_deadline_in(5000000000));
		assert_int_equal(rc, 0);
		assert_int_equal(v, next);
		next++;
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	for (;;) {
		rc = shmring_recv(rx, &v, shmring_deadline_in(5000000000));
		if (rc != 0)
			break;
		assert_int_equal(v, next);
		next++;
	}
	assert_int_equal(rc, -EPIPE);

	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	for (uint64_t want = next; want < next + 100; want++) {
		v = want;
		assert_int_equal(shmring_send(tx, &v, shmring_deadline_in(5000000000)), 0);
		assert_int_equal(shmring_recv(rx, &v, shmring_deadline_in(5000000000)), 0);
		assert_int_equal(v, want);
	}
	assert_int_equal(shmring_try_recv(rx, &v), -EAGAIN);
	shmring_close(tx);
	shmring_close(rx);
	assert_int_equal(shmring_unlink(name), 0);
}

/* A file ring keeps what was sent after everyone closed it. */
static void test_file_reopened(void **state)
{
	char uri[SHMRING_PATH_MAX];
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 24, .capacity = 32,
				 .flags = SHMRING_CREATE_DENSE};
	char msg[24];
	shmring_t *r;
	int n;

	(void)state;
	n = snprintf(uri, sizeof(uri), "file:%s/dense-%d.ring", test_build_dir(), (int)getpid());
	assert_true(n > 0 && (size_t)n < sizeof(uri));
	(void)shmring_unlink(uri);
	assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &r), 0);
	for (int i = 0; i < 20; i++) {
		memset(msg, 'a' + i, sizeof(msg));
		assert_int_equal(shmring_try_send(r, msg), 0);
	}
	shmring_close(r);
	assert_int_equal(shmring_open(uri, SHMRING_CONSUMER, &r), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(shmring_try_recv(r, msg), 0);
		for (size_t k = 0; k < sizeof(msg); k++)
			assert_int_equal(msg[k], 'a' + i);
	}
	assert_int_equal(shmring_try_recv(r, msg), -EPIPE);
	shmring_close(r);
	assert_int_equal(shmring_unlink(uri), 0);
}

/* The inline calls (shmring/lane.h, the umbrella's macros) on a dense ring:
 * go is 0, so every call is the library's, with the library's results. */
static void test_inline_calls(void **state)
{
	const char *name = test_ring_name("lane");
	shmring_t *tx = make(name, 8, 4, SHMRING_PRODUCER), *rx;
	struct shmring_lane *ltx, *lrx;
	uint64_t v;
	int64_t w;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, &ltx), 0);
	assert_int_equal(shmring_lane_get(rx, SHMRING_CONSUMER, &lrx), 0);
	for (v = 0; v < 4; v++)
		assert_int_equal(shmring_lane_try_send(ltx, &v), 0);
	assert_int_equal(shmring_lane_try_send(ltx, &v), -EAGAIN);
	for (uint64_t want = 0; want < 2; want++) {
		assert_int_equal(shmring_lane_try_recv(lrx, &v), 0);
		assert_int_equal(v, want);
	}
	v = 10;
	assert_int_equal(shmring_try_send(tx, &v), 0); /* the macro, by value */
	assert_int_equal(shmring_try_send_u64(tx, 11), 0);
	assert_int_equal(shmring_try_send_u64(tx, 12), -EAGAIN);
	assert_int_equal(shmring_try_recv(rx, &w), 0);
	assert_int_equal(w, 2);
	assert_int_equal(shmring_try_recv_u64(rx, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(shmring_try_recv_u64(rx, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(shmring_lane_try_recv(lrx, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(shmring_try_recv_u64(rx, &v), -EAGAIN);
	shmring_close(tx);
	shmring_close(rx);
	assert_int_equal(shmring_unlink(name), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_layout, test_teardown_names),
	    cmocka_unit_test_teardown(test_refusals_and_match, test_teardown_names),
	    cmocka_unit_test(test_header_rules),
	    cmocka_unit_test_teardown(test_forged_producer_position, test_teardown_names),
	    cmocka_unit_test_teardown(test_producer_killed_and_replaced, test_teardown_names),
	    cmocka_unit_test(test_file_reopened),
	    cmocka_unit_test_teardown(test_inline_calls, test_teardown_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
