/* SPDX-License-Identifier: MIT */
/*
 * tests/test_slip.c - shmring_set_slip(): who may ask for it; off unless
 * asked; a slip of exactly the answers asked for after a run of
 * SHMRING_LANE_SLIP_RUN messages ends in an empty receive, through every
 * receive form, and none after a shorter run or in a round trip; a
 * producer gone during a slip (its messages taken, then end-of-stream); a
 * blocking receive that does not wait for a slip; a stream between two
 * threads, every message in order.
 */
#include "helpers.h"

#include "ringbuf/atomics.h"
#include "shmring/lane.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lane_forms.h"

static shmring_t *make(const char *name, uint32_t kind, uint32_t slot, uint32_t flags,
		       unsigned role)
{
	struct shmring_opts o = {.kind = kind, .slot_size = slot, .capacity = 64, .flags = flags};
	shmring_t *r = NULL;

	assert_int_equal(shmring_create(name, &o, role, &r), 0);
	return r;
}

/* An SPSC ring of 8-byte slots, its producer and its consumer (and lane). */
static void make_pair(const char *name, shmring_t **tx, shmring_t **rx, struct shmring_lane **lr)
{
	*tx = make(name, SHMRING_KIND_SPSC, 8, 0, SHMRING_PRODUCER);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, rx), 0);
	assert_int_equal(shmring_lane_get(*rx, SHMRING_CONSUMER, lr), 0);
}

static void close_pair(const char *name, shmring_t *tx, shmring_t *rx)
{
	shmring_close(rx);
	if (tx)
		shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);
}

/* n messages first.. sent, then taken through form, each checked. */
static void run_of(shmring_t *tx, shmring_t *rx, struct shmring_lane *lr, int form,
		   uint64_t first, uint64_t n)
{
	uint64_t v = 0;

	for (uint64_t i = first; i < first + n; i++)
		assert_int_equal(shmring_try_send_u64(tx, i), 0);
	for (uint64_t i = first; i < first + n; i++) {
		assert_int_equal(recv_form(rx, lr, form, &v), 0);
		assert_int_equal(v, i);
	}
}

static void test_refusals(void **state)
{
	const char *name = test_ring_name("slipref"), *mname = test_ring_name("slipmpsc");
	const char *dname = test_ring_name("slipdense");
	shmring_t *tx, *rx, *mp, *dense;
	struct shmring_lane *lr;
	char uri[96];
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 64};
	shmring_t *sock = NULL;

	(void)state;
	make_pair(name, &tx, &rx, &lr);
	assert_int_equal(shmring_set_slip(NULL, 8), -EINVAL);
	assert_int_equal(shmring_set_slip(rx, 65536), -EINVAL);
	assert_int_equal(shmring_set_slip(tx, 8), -EPERM);
	assert_int_equal(shmring_set_slip(rx, 65535), 0);
	assert_int_equal(shmring_set_slip(rx, 0), 0);
	mp = make(mname, SHMRING_KIND_MPSC, 8, 0, SHMRING_CONSUMER);
	assert_int_equal(shmring_set_slip(mp, 8), -SHMRING_EKIND);
	dense = make(dname, SHMRING_KIND_SPSC, 8, SHMRING_CREATE_DENSE, SHMRING_CONSUMER);
	assert_int_equal(shmring_set_slip(dense, 8), -EOPNOTSUPP);
	snprintf(uri, sizeof(uri), "unix:@shmring-test-slip-%d", (int)getpid());
	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &sock), 0);
	assert_int_equal(shmring_set_slip(sock, 8), -ENOTSUP);
	shmring_close(sock);
	shmring_close(mp);
	shmring_close(dense);
	assert_int_equal(shmring_unlink(mname), 0);
	assert_int_equal(shmring_unlink(dname), 0);
	close_pair(name, tx, rx);
}

/* body on a new pair of 8-byte slots whose consumer slips `slip` answers,
 * through each receive form; body may close the producer (*tx NULL). */
static void for_each_form(const char *tag, uint32_t slip,
			  void (*body)(shmring_t **tx, shmring_t *rx, struct shmring_lane *lr,
				       int form))
{
	for (int form = FORM_LANE; form <= FORM_LIB_U64; form++) {
		const char *name = test_ring_name(tag);
		shmring_t *tx, *rx;
		struct shmring_lane *lr;

		make_pair(name, &tx, &rx, &lr);
		assert_int_equal(shmring_set_slip(rx, slip), 0);
		body(&tx, rx, lr, form);
		close_pair(name, tx, rx);
	}
}

/* A look that finds the ring empty, then value sent: `answers` receives
 * answer -EAGAIN, the next takes it. */
static void expect_slip(shmring_t *tx, shmring_t *rx, struct shmring_lane *lr, int form,
			int answers, uint64_t value)
{
	uint64_t v = 0;

	assert_int_equal(recv_form(rx, lr, form, &v), -EAGAIN);
	assert_int_equal(shmring_try_send_u64(tx, value), 0);
	for (int i = 0; i < answers; i++)
		assert_int_equal(recv_form(rx, lr, form, &v), -EAGAIN);
	assert_int_equal(recv_form(rx, lr, form, &v), 0);
	assert_int_equal(v, value);
}

/* Without a slip asked for, a message sent after a run and an empty
 * receive is taken by the next receive. */
static void off_body(shmring_t **tx, shmring_t *rx, struct shmring_lane *lr, int form)
{
	run_of(*tx, rx, lr, form, 0, 40);
	expect_slip(*tx, rx, lr, form, 0, 40);
}

static void test_off_by_default(void **state)
{
	(void)state;
	for_each_form("slipoff", 0, off_body);
}

/*
 * A run of SHMRING_LANE_SLIP_RUN messages, then an empty receive: the next
 * five receives answer -EAGAIN with a message in the ring, the sixth takes
 * it. A shorter run then starts no slip; another long one does again.
 */
static void run_body(shmring_t **tx, shmring_t *rx, struct shmring_lane *lr, int form)
{
	const uint64_t run = SHMRING_LANE_SLIP_RUN;

	run_of(*tx, rx, lr, form, 0, run);
	expect_slip(*tx, rx, lr, form, 5, run);
	/* One short of a run (the message just taken and these): no slip. */
	run_of(*tx, rx, lr, form, run + 1, run - 2);
	expect_slip(*tx, rx, lr, form, 0, 2 * run - 1);
	/* A run again. */
	run_of(*tx, rx, lr, form, 2 * run, run);
	expect_slip(*tx, rx, lr, form, 5, 3 * run);
}

static void test_slip_after_run(void **state)
{
	(void)state;
	for_each_form("slip", 5, run_body);
}

/* 64-byte messages through the pointer forms: the same slip. */
static int recv64(shmring_t *rx, struct shmring_lane *lr, int form, uint64_t *m)
{
	memset(m, 0, 64);
	return form == FORM_LANE ? shmring_lane_try_recv(lr, m) : (shmring_try_recv)(rx, m);
}

static void test_slip_64(void **state)
{
	static const int forms[] = {FORM_LANE, FORM_LIB};

	(void)state;
	for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		const char *name = test_ring_name("slip64");
		shmring_t *tx = make(name, SHMRING_KIND_SPSC, 64, 0, SHMRING_PRODUCER), *rx;
		struct shmring_lane *lr;
		uint64_t m[8];

		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		assert_int_equal(shmring_lane_get(rx, SHMRING_CONSUMER, &lr), 0);
		assert_int_equal(shmring_set_slip(rx, 3), 0);
		for (uint64_t i = 0; i < SHMRING_LANE_SLIP_RUN; i++) {
			m[0] = m[7] = i;
			assert_int_equal(shmring_try_send(tx, m), 0);
			assert_int_equal(recv64(rx, lr, forms[f], m), 0);
			assert_true(m[0] == i && m[7] == i);
		}
		assert_int_equal(recv64(rx, lr, forms[f], m), -EAGAIN);
		m[0] = m[7] = 99;
		assert_int_equal(shmring_try_send(tx, m), 0);
		for (int i = 0; i < 3; i++)
			assert_int_equal(recv64(rx, lr, forms[f], m), -EAGAIN);
		assert_int_equal(recv64(rx, lr, forms[f], m), 0);
		assert_true(m[0] == 99 && m[7] == 99);
		close_pair(name, tx, rx);
	}
}

/* Each message after an empty receive, as in a round trip: never a slip. */
static void test_round_trip_never_slips(void **state)
{
	const char *name = test_ring_name("sliprtt");
	shmring_t *tx, *rx;
	struct shmring_lane *lr;
	uint64_t v = 0;

	(void)state;
	make_pair(name, &tx, &rx, &lr);
	assert_int_equal(shmring_set_slip(rx, 1000), 0);
	for (uint64_t i = 0; i < 1000; i++) {
		assert_int_equal(shmring_lane_try_recv(lr, &v), -EAGAIN);
		assert_int_equal(shmring_try_send_u64(tx, i), 0);
		assert_int_equal(shmring_lane_try_recv(lr, &v), 0);
		assert_int_equal(v, i);
	}
	close_pair(name, tx, rx);
}

/* A producer that leaves during a slip: its messages are taken at once,
 * then end-of-stream, through every form. */
static void gone_body(shmring_t **tx, shmring_t *rx, struct shmring_lane *lr, int form)
{
	uint64_t v = 0;

	run_of(*tx, rx, lr, form, 0, 2 * SHMRING_LANE_SLIP_RUN);
	assert_int_equal(recv_form(rx, lr, form, &v), -EAGAIN);
	assert_int_equal(recv_form(rx, lr, form, &v), -EAGAIN);
	assert_int_equal(shmring_try_send_u64(*tx, 7), 0);
	assert_int_equal(shmring_try_send_u64(*tx, 8), 0);
	shmring_close(*tx);
	*tx = NULL;
	assert_int_equal(recv_form(rx, lr, form, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(recv_form(rx, lr, form, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(recv_form(rx, lr, form, &v), -EPIPE);
}

static void test_producer_gone_ends_slip(void **state)
{
	(void)state;
	for_each_form("slipgone", 1000, gone_body);
}

/* A blocking receive during a slip looks at the ring: it returns the
 * message sent, within its deadline, where a slip of 65535 answers would
 * hold a one-message receive for that many calls, and leaves the slip as
 * it was; shmring_set_slip() ends it. */
static void test_blocking_recv_does_not_wait(void **state)
{
	const char *name = test_ring_name("slipblock");
	shmring_t *tx, *rx;
	struct shmring_lane *lr;
	uint64_t v = 0;

	(void)state;
	make_pair(name, &tx, &rx, &lr);
	assert_int_equal(shmring_set_slip(rx, 65535), 0);
	run_of(tx, rx, lr, FORM_LANE, 0, SHMRING_LANE_SLIP_RUN);
	assert_int_equal(shmring_lane_try_recv(lr, &v), -EAGAIN);
	assert_int_equal(shmring_lane_try_recv(lr, &v), -EAGAIN);
	assert_int_equal(shmring_try_send_u64(tx, 77), 0);
	assert_int_equal(shmring_recv(rx, &v, shmring_deadline_in(10ull * 1000 * 1000 * 1000)), 0);
	assert_int_equal(v, 77);
	/* It took none of the slip's answers: the slip goes on. */
	assert_int_equal(shmring_try_send_u64(tx, 78), 0);
	assert_int_equal(shmring_lane_try_recv(lr, &v), -EAGAIN);
	assert_int_equal(shmring_set_slip(rx, 0), 0); /* ends it */
	assert_int_equal(shmring_lane_try_recv(lr, &v), 0);
	assert_int_equal(v, 78);
	close_pair(name, tx, rx);
}

/*
 * A stream between two threads with the consumer slipping: every message,
 * in order (and, under TSan, no race on the slip's fields). The producer
 * either polls or parks for room (shmring_send() with the park-only wait
 * policy), to be woken by what the consumer frees, slip or not.
 */
struct stream {
	shmring_t *tx;
	uint64_t n;
	bool park;
	int rc;
};

static void *produce(void *arg)
{
	struct stream *s = arg;
	int rc = 0;

	for (uint64_t i = 0; i < s->n && rc == 0; i++) {
		if (s->park)
			rc = shmring_send(s->tx, &i, SHMRING_NO_DEADLINE);
		else
			while ((rc = shmring_try_send_u64(s->tx, i)) == -EAGAIN)
				sched_yield();
	}
	s->rc = rc;
	return NULL;
}

static void stream_in_order(bool park)
{
	const char *name = test_ring_name("slipstream");
	struct stream s = {.n = (park ? 50000 : 200000) / TEST_MSG_DIVISOR, .park = park};
	const struct shmring_wait w = {.mode = SHMRING_WAIT_PARK};
	shmring_t *rx;
	struct shmring_lane *lr;
	pthread_t t;
	uint64_t v = 0;
	int rc;

	make_pair(name, &s.tx, &rx, &lr);
	assert_int_equal(shmring_set_slip(rx, 64), 0);
	if (park)
		assert_int_equal(shmring_set_wait(s.tx, &w), 0);
	assert_int_equal(pthread_create(&t, NULL, produce, &s), 0);
	for (uint64_t i = 0; i < s.n; i++) {
		while ((rc = shmring_lane_try_recv(lr, &v)) == -EAGAIN)
			shmring__cpu_relax();
		assert_int_equal(rc, 0);
		assert_int_equal(v, i);
		/* Parking: a consumer slower in bursts, so that the ring fills
		 * and then drains. */
		for (unsigned k = 0; park && i % 256 < 64 && k < 64; k++)
			shmring__cpu_relax();
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.rc, 0);
	assert_int_equal(shmring_lane_try_recv(lr, &v), -EAGAIN);
	close_pair(name, s.tx, rx);
}

static void test_stream_in_order(void **state)
{
	(void)state;
	stream_in_order(false);
}

static void test_parked_producer_stream(void **state)
{
	(void)state;
	stream_in_order(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_slip_after_run),
		cmocka_unit_test(test_slip_64),
		cmocka_unit_test(test_round_trip_never_slips),
		cmocka_unit_test(test_producer_gone_ends_slip),
		cmocka_unit_test(test_blocking_recv_does_not_wait),
		cmocka_unit_test(test_stream_in_order),
		cmocka_unit_test(test_parked_producer_stream),
	};

	return cmocka_run_group_tests(tests, NULL, test_teardown_names);
}
