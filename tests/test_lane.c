/* SPDX-License-Identifier: MIT */
/*
 * tests/test_lane.c - the SPSC inline path (shmring/lane.h): who may have a
 * lane and why not, a stream across processes at every inline copy size and
 * at one that is not inline, lane calls mixed with the handle's own, the
 * same results as shmring_try_send()/_try_recv() for a full and an empty
 * ring, a reservation or peek held, a consumer or producer gone, and
 * sleepers on both sides woken by lane calls; the by-value 8-byte calls;
 * the producer's room limit at high positions, and none attached near the
 * top of 64 bits.
 */
#include "helpers.h"

#include "ringbuf/layout.h"
#include "shmring/lane.h"

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lane_forms.h"
#include "parked_helpers.h"

static shmring_t *make(const char *name, uint32_t kind, uint32_t slot, uint64_t cap,
		       uint32_t flags, unsigned role)
{
	struct shmring_opts o = {.kind = kind, .slot_size = slot, .capacity = cap,
				 .flags = flags};
	shmring_t *r = NULL;

	assert_int_equal(shmring_create(name, &o, role, &r), 0);
	return r;
}

/* A new SPSC ring of 8-byte slots: a producer handle, a consumer handle
 * and their lanes. */
static void make_pair(const char *name, uint64_t cap, shmring_t **tx, shmring_t **rx,
		      struct shmring_lane **lt, struct shmring_lane **lr)
{
	*tx = make(name, SHMRING_KIND_SPSC, 8, cap, 0, SHMRING_PRODUCER);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, rx), 0);
	assert_int_equal(shmring_lane_get(*tx, SHMRING_PRODUCER, lt), 0);
	assert_int_equal(shmring_lane_get(*rx, SHMRING_CONSUMER, lr), 0);
}

/* A message of size bytes carrying i in its first and last 8 bytes. */
static void fill(unsigned char *m, uint32_t size, uint64_t i)
{
	memset(m, (int)(i & 0xff), size);
	memcpy(m, &i, 8);
	memcpy(m + size - 8, &i, 8);
}

static bool holds(const unsigned char *m, uint32_t size, uint64_t i)
{
	unsigned char want[128];

	fill(want, size, i);
	return memcmp(m, want, size) == 0;
}

static void test_get_refusals(void **state)
{
	const char *name = test_ring_name("get");
	const char *mname = test_ring_name("getm");
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, 8, 64, 0, SHMRING_PRODUCER), *rx, *obs, *mp;
	struct shmring_lane *l = NULL, *l2 = NULL;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_open(name, 0, &obs), 0);
	assert_int_equal(shmring_lane_get(NULL, SHMRING_PRODUCER, &l), -EINVAL);
	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, NULL), -EINVAL);
	assert_int_equal(shmring_lane_wake(NULL), -EINVAL);
	assert_int_equal(shmring_lane_get(tx, 0, &l), -EINVAL);
	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER | SHMRING_CONSUMER, &l), -EINVAL);
	/* A header written for another layout or lane structure. */
	assert_int_equal(shmring_lane_get_abi(tx, SHMRING_PRODUCER, SHMRING_LANE_ABI + 1, &l),
			 -EPROTO);
	assert_int_equal(shmring_lane_get_abi(tx, SHMRING_PRODUCER, SHMRING_LANE_ABI - 0x100, &l),
			 -EPROTO);
	assert_null(l);
	assert_int_equal(shmring_lane_get(tx, SHMRING_CONSUMER, &l), -EPERM);
	assert_int_equal(shmring_lane_get(rx, SHMRING_PRODUCER, &l), -EPERM);
	assert_int_equal(shmring_lane_get(obs, SHMRING_CONSUMER, &l), -EPERM);
	assert_null(l);
	/* One lane per side of a handle, the same every time. */
	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, &l), 0);
	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, &l2), 0);
	assert_ptr_equal(l, l2);
	assert_int_equal(shmring_lane_get(rx, SHMRING_CONSUMER, &l2), 0);
	assert_ptr_not_equal(l, l2);
	/* Another kind has no lane. */
	mp = make(mname, SHMRING_KIND_MPSC, 8, 64, 0, SHMRING_PRODUCER);
	assert_int_equal(shmring_lane_get(mp, SHMRING_PRODUCER, &l), -SHMRING_EKIND);
	shmring_close(mp);
	assert_int_equal(shmring_unlink(mname), 0);
	shmring_close(obs);
	shmring_close(rx);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);
}

static void test_socket_has_no_lane(void **state)
{
	char uri[96];
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 64};
	struct shmring_lane *l = NULL;
	shmring_t *r = NULL;

	(void)state;
	snprintf(uri, sizeof(uri), "unix:@shmring-test-lane-%d", (int)getpid());
	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r), 0);
	assert_int_equal(shmring_lane_get(r, SHMRING_CONSUMER, &l), -ENOTSUP);
	assert_null(l);
	shmring_close(r);
}

/* The consumer of the stream: lane receives, with a burst through the
 * handle every 97th message; exits 0 only if every message is right. */
static int consume(const char *name, uint32_t size, uint64_t n, bool u64)
{
	unsigned char m[128], burst[4 * 128];
	struct shmring_lane *l;
	shmring_t *rx;
	uint64_t i = 0;
	int rc;

	if (shmring_open(name, SHMRING_CONSUMER, &rx) != 0 ||
	    shmring_lane_get(rx, SHMRING_CONSUMER, &l) != 0)
		return 2;
	while (i < n) {
		if (i % 97 == 0) {
			unsigned k = shmring_try_recv_burst(rx, burst, 4);

			for (unsigned j = 0; j < k; j++, i++)
				if (!holds(burst + j * size, size, i))
					return 3;
			if (k == 0)
				sched_yield();
			continue;
		}
		if (u64 && i % 2) {
			uint64_t v = 0;

			rc = shmring_lane_try_recv_u64(l, &v);
			memcpy(m, &v, sizeof(v));
		} else {
			rc = shmring_lane_try_recv(l, m);
		}
		if (rc == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (rc != 0 || !holds(m, size, i))
			return 4;
		i++;
	}
	/* The producer has closed: end-of-stream through the lane. */
	do
		rc = shmring_lane_try_recv(l, m);
	while (rc == -EAGAIN && (sched_yield(), true));
	shmring_close(rx);
	return rc == -EPIPE ? 0 : 5;
}

/* Producer in this process, consumer in a child: lane sends, with a bulk
 * through the handle every 101st message. */
static void stream(uint32_t size, bool u64)
{
	const char *name = test_ring_name("stream");
	const uint64_t n = 200000 / TEST_MSG_DIVISOR;
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, size, 256, 0, SHMRING_PRODUCER);
	unsigned char m[128], bulk[3 * 128];
	struct shmring_lane *l;
	uint64_t i = 0;
	pid_t pid;
	int status;

	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, &l), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(consume(name, size, n, u64));
	while (i < n) {
		int rc;

		if (i % 101 == 0 && n - i >= 3) {
			for (unsigned j = 0; j < 3; j++)
				fill(bulk + j * size, size, i + j);
			if (shmring_try_send_bulk(tx, bulk, 3) == 3)
				i += 3;
			else
				sched_yield();
			continue;
		}
		fill(m, size, i);
		rc = u64 && i % 3 ? shmring_lane_try_send_u64(l, i) : shmring_lane_try_send(l, m);
		if (rc == -EAGAIN) {
			sched_yield();
			continue;
		}
		assert_int_equal(rc, 0);
		i++;
	}
	shmring_close(tx);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(shmring_unlink(name), 0);
}

static void test_stream_8(void **state)
{
	(void)state;
	stream(8, false);
}

/* The by-value calls, every other receive and two sends in three. */
static void test_stream_u64(void **state)
{
	(void)state;
	stream(8, true);
}

static void test_stream_64(void **state)
{
	(void)state;
	stream(64, false);
}

/* 24 bytes is not copied inline: every lane call goes to the library. */
static void test_stream_24(void **state)
{
	(void)state;
	stream(24, false);
}

static void test_full_empty_held(void **state)
{
	const char *name = test_ring_name("full");
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, 16, 8, 0, SHMRING_PRODUCER), *rx;
	struct shmring_lane *lt, *lr;
	unsigned char m[16];
	void *slot;
	const void *seen;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, &lt), 0);
	assert_int_equal(shmring_lane_get(rx, SHMRING_CONSUMER, &lr), 0);
	assert_int_equal(shmring_lane_try_recv(lr, m), -EAGAIN);
	for (uint64_t i = 0; i < 8; i++) {
		fill(m, 16, i);
		assert_int_equal(shmring_lane_try_send(lt, m), 0);
	}
	fill(m, 16, 8);
	assert_int_equal(shmring_lane_try_send(lt, m), -EAGAIN);
	assert_int_equal(shmring_try_send(tx, m), -EAGAIN);
	assert_int_equal(shmring_count(rx), 8);
	/* A peek held: the lane is refused as the handle is. */
	seen = shmring_peek(rx);
	assert_non_null(seen);
	assert_true(holds(seen, 16, 0));
	assert_int_equal(shmring_lane_try_recv(lr, m), -EBUSY);
	assert_int_equal(shmring_release(rx), 0);
	for (uint64_t i = 1; i < 8; i++) {
		assert_int_equal(shmring_lane_try_recv(lr, m), 0);
		assert_true(holds(m, 16, i));
	}
	assert_int_equal(shmring_lane_try_recv(lr, m), -EAGAIN);
	/* A reservation held: the lane is refused; the reserved slot comes
	 * first once committed. */
	slot = shmring_reserve(tx);
	assert_non_null(slot);
	fill(slot, 16, 100);
	fill(m, 16, 101);
	assert_int_equal(shmring_lane_try_send(lt, m), -EBUSY);
	assert_int_equal(shmring_commit(tx), 0);
	assert_int_equal(shmring_lane_try_send(lt, m), 0);
	assert_int_equal(shmring_lane_try_recv(lr, m), 0);
	assert_true(holds(m, 16, 100));
	assert_int_equal(shmring_lane_try_recv(lr, m), 0);
	assert_true(holds(m, 16, 101));
	/* The consumer goes: the lane's send gets EPIPE. */
	shmring_close(rx);
	assert_int_equal(shmring_lane_try_send(lt, m), -EPIPE);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);
}

/* By value: the same results as the pointer forms, and -EMSGSIZE where the
 * slots are not 8 bytes. */
static void test_u64_results(void **state)
{
	const char *name = test_ring_name("u64");
	const char *wide = test_ring_name("u64w");
	shmring_t *tx, *rx, *w;
	struct shmring_lane *lt, *lr, *lw;
	uint64_t v = 12345;

	(void)state;
	make_pair(name, 8, &tx, &rx, &lt, &lr);
	assert_int_equal(shmring_lane_try_recv_u64(lr, &v), -EAGAIN);
	assert_int_equal(v, 12345);
	for (uint64_t i = 0; i < 8; i++)
		assert_int_equal(shmring_lane_try_send_u64(lt, i * 7), 0);
	assert_int_equal(shmring_lane_try_send_u64(lt, 99), -EAGAIN);
	for (uint64_t i = 0; i < 8; i++) {
		assert_int_equal(shmring_lane_try_recv_u64(lr, &v), 0);
		assert_int_equal(v, i * 7);
	}
	assert_int_equal(shmring_lane_try_recv_u64(lr, &v), -EAGAIN);
	shmring_close(rx);
	assert_int_equal(shmring_lane_try_send_u64(lt, 1), -EPIPE);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);

	w = make(wide, SHMRING_KIND_SPSC, 16, 8, 0, SHMRING_PRODUCER | SHMRING_CONSUMER);
	assert_int_equal(shmring_lane_get(w, SHMRING_PRODUCER, &lw), 0);
	assert_int_equal(shmring_lane_try_send_u64(lw, 1), -EMSGSIZE);
	assert_int_equal(shmring_lane_get(w, SHMRING_CONSUMER, &lw), 0);
	v = 5;
	assert_int_equal(shmring_lane_try_recv_u64(lw, &v), -EMSGSIZE);
	assert_int_equal(v, 5);
	shmring_close(w);
	assert_int_equal(shmring_unlink(wide), 0);
}

/* A producer that never saw a consumer fills the ring for one yet to come,
 * through the lane as through the handle. */
static void test_before_any_consumer(void **state)
{
	const char *name = test_ring_name("early");
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, 8, 4, 0, SHMRING_PRODUCER), *rx;
	struct shmring_lane *lt, *lr;
	uint64_t v;

	(void)state;
	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, &lt), 0);
	for (v = 0; v < 4; v++)
		assert_int_equal(shmring_lane_try_send(lt, &v), 0);
	assert_int_equal(shmring_lane_try_send(lt, &v), -EAGAIN);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_lane_get(rx, SHMRING_CONSUMER, &lr), 0);
	for (uint64_t i = 0; i < 4; i++) {
		assert_int_equal(shmring_lane_try_recv(lr, &v), 0);
		assert_int_equal(v, i);
	}
	shmring_close(tx);
	assert_int_equal(shmring_lane_try_recv(lr, &v), -EPIPE);
	shmring_close(rx);
	assert_int_equal(shmring_unlink(name), 0);
}

/* Sleepers, both ways: a lane send wakes a parked consumer, lane receives
 * wake a parked producer. */
static void test_wakes_sleepers(void **state)
{
	const char *name = test_ring_name("wake");
	struct shmring_wait park = {.mode = SHMRING_WAIT_PARK};
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, 8, 16, 0, SHMRING_PRODUCER), *rx;
	struct shmring_lane *lt, *lr;
	struct sleeper s;
	uint64_t v = 7;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_set_wait(rx, &park), 0);
	assert_int_equal(shmring_set_wait(tx, &park), 0);
	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, &lt), 0);
	assert_int_equal(shmring_lane_get(rx, SHMRING_CONSUMER, &lr), 0);
	/* The consumer parks on the empty ring; one lane send wakes it. */
	s = (struct sleeper){.r = rx};
	sleeper_start(&s, false, tx);
	assert_int_equal(shmring_lane_try_send(lt, &v), 0);
	sleeper_done(&s);
	assert_int_equal(s.v, 7);
	/* The producer parks on the full ring; lane receives wake it. */
	for (v = 0; v < 16; v++)
		assert_int_equal(shmring_lane_try_send(lt, &v), 0);
	s = (struct sleeper){.r = tx, .v = 16};
	sleeper_start(&s, true, rx);
	for (uint64_t i = 0; i < 16; i++) {
		assert_int_equal(shmring_lane_try_recv(lr, &v), 0);
		assert_int_equal(v, i);
	}
	sleeper_done(&s);
	assert_int_equal(shmring_lane_try_recv(lr, &v), 0);
	assert_int_equal(v, 16);
	shmring_close(rx);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);
}

/* A poll-only ring: the lanes look for no sleepers and still carry it all. */
static void test_poll_only(void **state)
{
	const char *name = test_ring_name("poll");
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, 32, 64, SHMRING_CREATE_POLL_ONLY,
			     SHMRING_PRODUCER | SHMRING_CONSUMER);
	struct shmring_lane *lt, *lr;
	unsigned char m[32];

	(void)state;
	assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, &lt), 0);
	assert_int_equal(shmring_lane_get(tx, SHMRING_CONSUMER, &lr), 0);
	for (uint64_t i = 0; i < 1000; i++) {
		fill(m, 32, i);
		assert_int_equal(shmring_lane_try_send(lt, m), 0);
		if (i % 3 == 2)
			for (uint64_t j = i - 2; j <= i; j++) {
				assert_int_equal(shmring_lane_try_recv(lr, m), 0);
				assert_true(holds(m, 32, j));
			}
	}
	assert_int_equal(shmring_lane_try_recv(lr, m), 0);
	assert_true(holds(m, 32, 999));
	assert_int_equal(shmring_lane_try_recv(lr, m), -EAGAIN);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);
}

/* Both sides closed, both positions of the segment forged to pos. */
static void forge_positions(const char *name, shmring_t **tx, shmring_t **rx, uint64_t pos)
{
	size_t size = 0;
	void *base;

	shmring_close(*tx);
	shmring_close(*rx);
	base = test_map_shm(name, &size);
	assert_non_null(base);
	atomic_store(&shmring__prod_side(base)->pos, pos);
	atomic_store(&shmring__cons_side(base)->pos, pos);
	munmap(base, size);
}

/* Both sides attached again (as to a segment another writer left so). */
static void reattach_at(const char *name, shmring_t **tx, shmring_t **rx,
			struct shmring_lane **lt, struct shmring_lane **lr, uint64_t pos)
{
	forge_positions(name, tx, rx, pos);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, tx), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, rx), 0);
	assert_int_equal(shmring_lane_get(*tx, SHMRING_PRODUCER, lt), 0);
	assert_int_equal(shmring_lane_get(*rx, SHMRING_CONSUMER, lr), 0);
}

/*
 * High positions, as a segment may say: the producer's room limit is at
 * most the consumer position plus the capacity, so the inline send never takes a
 * slot the library's check by the cached position would refuse: a full
 * ring stays full. Positions from SHMRING_POS_MAX on were never reached by
 * sending: a side refuses to attach there (-SHMRING_ECORRUPT). A ring
 * attached just below 2^64 ran past it, where a position's stamp (position
 * + 1) reads as empty, its group (position / 3) is not a lap on, and the
 * limit, saturated at the top, was never reached again: every send
 * succeeded, over messages not yet received.
 */
static void test_limit_at_the_top(void **state)
{
	const char *name = test_ring_name("top");
	shmring_t *tx, *rx, *r = NULL;
	struct shmring_lane *lt, *lr;
	uint64_t v, at[] = {UINT64_MAX - 5, UINT64_MAX, SHMRING_POS_MAX};

	(void)state;
	make_pair(name, 8, &tx, &rx, &lt, &lr);
	/* At most the consumer's position plus the capacity (less where the
	 * library's next look at the peers comes first: look_at). */
	assert_true(lt->limit <= 8);
	reattach_at(name, &tx, &rx, &lt, &lr, SHMRING_POS_MAX - 12);
	assert_true(lt->limit <= SHMRING_POS_MAX - 4);
	for (v = 0; v < 8; v++)
		assert_int_equal(shmring_lane_try_send_u64(lt, v), 0);
	assert_int_equal(shmring_lane_try_send_u64(lt, v), -EAGAIN);
	for (uint64_t i = 0; i < 8; i++) {
		assert_int_equal(shmring_lane_try_recv_u64(lr, &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(shmring_lane_try_recv_u64(lr, &v), -EAGAIN);
	/* Running on past the bound is fine: only attaching there is not. */
	for (uint64_t i = 0; i < 16; i++) {
		assert_int_equal(shmring_lane_try_send_u64(lt, 100 + i), 0);
		assert_int_equal(shmring_lane_try_recv_u64(lr, &v), 0);
		assert_int_equal(v, 100 + i);
	}
	assert_true(lt->pos > SHMRING_POS_MAX);
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		forge_positions(name, &tx, &rx, at[k]);
		tx = rx = NULL;
		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &r), -SHMRING_ECORRUPT);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &r), -SHMRING_ECORRUPT);
		assert_int_equal(shmring_open(name, SHMRING_PRODUCER | SHMRING_CONSUMER, &r),
				 -SHMRING_ECORRUPT);
	}
	/* Put back below the bound: both sides attach and the ring runs. */
	forge_positions(name, &tx, &rx, 40);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	v = 7;
	assert_int_equal(shmring_try_send(tx, &v), 0);
	v = 0;
	assert_int_equal(shmring_try_recv(rx, &v), 0);
	assert_int_equal(v, 7);
	shmring_close(rx);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);
}

/*
 * Empty polls are answered by the short path once the library has looked
 * (shmring__lane_empty()): end-of-stream must still come at once when the
 * producer closes after a run of them, through every receive form.
 */

static void test_empty_then_eos(void **state)
{
	(void)state;
	for (int form = FORM_LANE; form <= FORM_LIB_U64; form++) {
		const char *name = test_ring_name("eos");
		shmring_t *tx = make(name, SHMRING_KIND_SPSC, 8, 16, 0, SHMRING_PRODUCER), *rx;
		struct shmring_lane *lr;
		uint64_t v = 0;

		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		assert_int_equal(shmring_lane_get(rx, SHMRING_CONSUMER, &lr), 0);
		for (int i = 0; i < 1000; i++)
			assert_int_equal(recv_form(rx, lr, form, &v), -EAGAIN);
		assert_int_equal(shmring_try_send_u64(tx, 41), 0);
		assert_int_equal(shmring_try_send_u64(tx, 42), 0);
		assert_int_equal(recv_form(rx, lr, form, &v), 0);
		assert_int_equal(v, 41);
		assert_int_equal(recv_form(rx, lr, form, &v), 0);
		assert_int_equal(v, 42);
		for (int i = 0; i < 10; i++)
			assert_int_equal(recv_form(rx, lr, form, &v), -EAGAIN);
		shmring_close(tx);
		assert_int_equal(recv_form(rx, lr, form, &v), -EPIPE);
		assert_int_equal(v, 42);
		shmring_close(rx);
		assert_int_equal(shmring_unlink(name), 0);
	}
}

/* A producer killed while the consumer busy-polls through the short path:
 * the library's look for dead peers still comes (once per grant of empty
 * answers), so the poll ends in -EPIPE once the ring is drained. */
static void test_polling_sees_killed_producer(void **state)
{
	(void)state;
	for (int form = FORM_LANE; form <= FORM_HANDLE_U64; form++) {
		const char *name = test_ring_name("killed");
		shmring_t *rx = make(name, SHMRING_KIND_SPSC, 8, 16, 0, SHMRING_CONSUMER);
		struct shmring_lane *lr;
		uint64_t v = 0, got = 0, deadline;
		int rc, status;
		pid_t pid;

		assert_int_equal(shmring_lane_get(rx, SHMRING_CONSUMER, &lr), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			shmring_t *tx;

			if (shmring_open(name, SHMRING_PRODUCER, &tx) != 0)
				_exit(1);
			for (uint64_t i = 1; i <= 3; i++)
				if (shmring_try_send_u64(tx, i) != 0)
					_exit(2);
			for (;;)
				pause();
		}
		deadline = test_now_ns() + 10000000000ull;
		while (got < 3 && test_now_ns() < deadline) {
			rc = recv_form(rx, lr, form, &v);
			if (rc == 0)
				assert_int_equal(v, ++got);
			else
				assert_int_equal(rc, -EAGAIN);
		}
		assert_int_equal(got, 3);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		do
			rc = recv_form(rx, lr, form, &v);
		while (rc == -EAGAIN && test_now_ns() < deadline);
		assert_int_equal(rc, -EPIPE);
		shmring_close(rx);
		assert_int_equal(shmring_unlink(name), 0);
	}
}

/*
 * Full polls are answered by the short path too, once the library has
 * looked (shmring__lane_again()): after a run of them the send reads the
 * consumer's position again and takes the room one receive made, through
 * every send form; the ring keeps order and loses nothing.
 */
static int send_form(shmring_t *r, struct shmring_lane *l, int form, uint64_t v)
{
	switch (form) {
	case FORM_LANE:
		return shmring_lane_try_send(l, &v);
	case FORM_LANE_U64:
		return shmring_lane_try_send_u64(l, v);
	case FORM_HANDLE_8:
		return shmring_try_send(r, &v);
	case FORM_HANDLE_U64:
		return shmring_try_send_u64(r, v);
	case FORM_LIB:
		return (shmring_try_send)(r, &v);
	default:
		return (shmring_try_send_u64)(r, v);
	}
}

static void test_full_then_room(void **state)
{
	(void)state;
	for (int form = FORM_LANE; form <= FORM_LIB_U64; form++) {
		const char *name = test_ring_name("room");
		shmring_t *tx, *rx;
		struct shmring_lane *lt, *lr;
		uint64_t v, next = 0, sent = 0;

		make_pair(name, 16, &tx, &rx, &lt, &lr);
		for (int round = 0; round < 3; round++) {
			while (send_form(tx, lt, form, sent) == 0)
				sent++;
			assert_int_equal(sent - next, 16);
			for (int i = 0; i < 1000; i++)
				assert_int_equal(send_form(tx, lt, form, sent), -EAGAIN);
			assert_int_equal(shmring_try_recv_u64(rx, &v), 0);
			assert_int_equal(v, next++);
			assert_int_equal(send_form(tx, lt, form, sent++), 0);
			assert_int_equal(send_form(tx, lt, form, sent), -EAGAIN);
			for (int i = 0; i < 5; i++) {
				assert_int_equal(shmring_lane_try_recv_u64(lr, &v), 0);
				assert_int_equal(v, next++);
			}
		}
		while (shmring_try_recv_u64(rx, &v) == 0)
			assert_int_equal(v, next++);
		assert_int_equal(next, sent);
		shmring_close(rx);
		shmring_close(tx);
		assert_int_equal(shmring_unlink(name), 0);
	}
}

/* A consumer killed while the producer polls a full ring through the short
 * path: the library's look for dead peers still comes (once per grant of
 * full answers), so the poll ends in -EPIPE. */
static void test_polling_sees_killed_consumer(void **state)
{
	(void)state;
	for (int form = FORM_LANE; form <= FORM_HANDLE_U64; form++) {
		const char *name = test_ring_name("killedc");
		shmring_t *tx = make(name, SHMRING_KIND_SPSC, 8, 16, 0, SHMRING_PRODUCER);
		struct shmring_lane *lt;
		uint64_t sent = 0, deadline;
		int rc, status, ready[2];
		char c;
		pid_t pid;

		assert_int_equal(shmring_lane_get(tx, SHMRING_PRODUCER, &lt), 0);
		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			shmring_t *rx;
			uint64_t v;

			if (shmring_open(name, SHMRING_CONSUMER, &rx) != 0)
				_exit(1);
			if (write(ready[1], "r", 1) != 1)
				_exit(2);
			for (uint64_t i = 0; i < 3; i++)
				if (shmring_recv(rx, &v, SHMRING_NO_DEADLINE) != 0 || v != i)
					_exit(3);
			for (;;)
				pause();
		}
		assert_int_equal(read(ready[0], &c, 1), 1);
		deadline = test_now_ns() + 10000000000ull;
		/* Until the consumer has taken its 3 and the ring is full. */
		while (sent < 16 + 3 && test_now_ns() < deadline) {
			rc = send_form(tx, lt, form, sent);
			if (rc == 0)
				sent++;
			else
				assert_int_equal(rc, -EAGAIN);
		}
		assert_int_equal(sent, 16 + 3);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		do
			rc = send_form(tx, lt, form, sent);
		while (rc == -EAGAIN && test_now_ns() < deadline);
		assert_int_equal(rc, -EPIPE);
		close(ready[0]);
		close(ready[1]);
		shmring_close(tx);
		assert_int_equal(shmring_unlink(name), 0);
	}
}

/*
 * A consumer position forged past the producer's while the ring is full:
 * the short path reads it as no room, so nothing unread is overwritten,
 * and the library reports it (-SHMRING_ECORRUPT) by the end of the grant;
 * once it is put back, the ring goes on as before.
 */
static void test_forged_consumer_position(void **state)
{
	(void)state;
	for (int form = FORM_LANE; form <= FORM_LIB_U64; form++) {
		const char *name = test_ring_name("forged");
		shmring_t *tx, *rx;
		struct shmring_lane *lt, *lr;
		uint64_t v, real;
		size_t size = 0;
		void *base;
		int rc = -EAGAIN, polls = 0;

		make_pair(name, 16, &tx, &rx, &lt, &lr);
		for (uint64_t i = 0; i < 16; i++)
			assert_int_equal(send_form(tx, lt, form, i), 0);
		base = test_map_shm(name, &size);
		assert_non_null(base);
		real = atomic_load(&shmring__cons_side(base)->pos);
		atomic_store(&shmring__cons_side(base)->pos, real + 16 + 5);
		while (rc == -EAGAIN && polls++ < 100000)
			rc = send_form(tx, lt, form, 1000);
		assert_int_equal(rc, -SHMRING_ECORRUPT);
		atomic_store(&shmring__cons_side(base)->pos, real);
		munmap(base, size);
		assert_int_equal(send_form(tx, lt, form, 1000), -EAGAIN);
		for (uint64_t i = 0; i < 16; i++) {
			assert_int_equal(shmring_lane_try_recv_u64(lr, &v), 0);
			assert_int_equal(v, i);
		}
		assert_int_equal(send_form(tx, lt, form, 16), 0);
		assert_int_equal(shmring_lane_try_recv_u64(lr, &v), 0);
		assert_int_equal(v, 16);
		shmring_close(rx);
		shmring_close(tx);
		assert_int_equal(shmring_unlink(name), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_refusals),
		cmocka_unit_test(test_socket_has_no_lane),
		cmocka_unit_test(test_stream_8),
		cmocka_unit_test(test_stream_u64),
		cmocka_unit_test(test_stream_64),
		cmocka_unit_test(test_stream_24),
		cmocka_unit_test(test_full_empty_held),
		cmocka_unit_test(test_u64_results),
		cmocka_unit_test(test_before_any_consumer),
		cmocka_unit_test(test_wakes_sleepers),
		cmocka_unit_test(test_poll_only),
		cmocka_unit_test(test_limit_at_the_top),
		cmocka_unit_test(test_empty_then_eos),
		cmocka_unit_test(test_polling_sees_killed_producer),
		cmocka_unit_test(test_full_then_room),
		cmocka_unit_test(test_polling_sees_killed_consumer),
		cmocka_unit_test(test_forged_consumer_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
