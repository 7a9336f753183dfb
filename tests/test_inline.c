/* SPDX-License-Identifier: MIT */
/*
 * tests/test_inline.c - the handle's calls inline in C11: shmring_try_send()
 * and shmring_try_recv() of a uint64_t or int64_t message and the by-value
 * shmring_try_send_u64() and shmring_try_recv_u64(), as <shmring/shmring.h>
 * compiles them into the caller. Each case is run twice, once through the
 * inline forms and once through the library's own functions on a twin
 * ring, and must give the same results: full and empty, a reservation or
 * peek held, no role, the other side gone, other kinds; slots narrower and
 * wider than 8 bytes; sleepers woken; a stream across processes.
 */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "lane_forms.h"
#include "parked_helpers.h"

#if !defined(shmring_try_send) || !defined(shmring_try_recv) || \
	!defined(shmring_try_send_u64) || !defined(shmring_try_recv_u64)
#error "<shmring/shmring.h> in C11 should make the copy calls inline"
#endif

static shmring_t *make(const char *name, uint32_t kind, uint32_t slot, uint64_t cap,
		       unsigned role)
{
	struct shmring_opts o = {.kind = kind, .slot_size = slot, .capacity = cap};
	shmring_t *r = NULL;

	assert_int_equal(shmring_create(name, &o, role, &r), 0);
	return r;
}

/* The two ways to make each call: inline (the macros) or the library's. */
enum way { INLINE_PTR, INLINE_U64, LIBRARY_PTR, LIBRARY_U64, NWAYS };

static int send_by(enum way w, shmring_t *r, uint64_t v)
{
	switch (w) {
	case INLINE_PTR:
		return shmring_try_send(r, &v);
	case INLINE_U64:
		return shmring_try_send_u64(r, v);
	case LIBRARY_PTR:
		return (shmring_try_send)(r, &v);
	default:
		return (shmring_try_send_u64)(r, v);
	}
}

/* The receive the same way: the handle's forms of tests/lane_forms.h, in
 * the order of enum way. */
_Static_assert(FORM_HANDLE_8 + INLINE_U64 == FORM_HANDLE_U64 &&
		       FORM_HANDLE_8 + LIBRARY_PTR == FORM_LIB &&
		       FORM_HANDLE_8 + LIBRARY_U64 == FORM_LIB_U64,
	       "enum way follows the handle's forms");
static int recv_by(enum way w, shmring_t *r, uint64_t *v)
{
	return recv_form(r, NULL, FORM_HANDLE_8 + (int)w, v);
}

/* What one pass of the scenario returned, call by call. */
struct trace {
	int rc[64];
	uint64_t v[64];
	unsigned n;
};

static void note(struct trace *t, int rc, uint64_t v)
{
	assert_true(t->n < 64);
	t->rc[t->n] = rc;
	t->v[t->n++] = v;
}

/* A receive the way w, noted with what *v holds after it. */
static void note_recv(struct trace *t, enum way w, shmring_t *r, uint64_t *v)
{
	int rc = recv_by(w, r, v);

	note(t, rc, *v);
}

/* One pass over an SPSC ring of 8-byte slots and capacity 4, every call
 * made the way w: empty, full, held, no role, the other side gone. */
static void scenario(enum way w, struct trace *t)
{
	const char *name = test_ring_name(w == INLINE_PTR ? "sc0" : w == INLINE_U64 ? "sc1"
					 : w == LIBRARY_PTR ? "sc2" : "sc3");
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, 8, 4, SHMRING_PRODUCER), *rx;
	uint64_t v = 77, five = 5;
	void *slot;

	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	note_recv(t, w, rx, &v); /* empty: v left as it was */
	for (uint64_t i = 1; i <= 5; i++)
		note(t, send_by(w, tx, i * 11), 0); /* the fifth is full */
	note(t, send_by(w, rx, 1), 0);          /* no producer role */
	note_recv(t, w, tx, &v);         /* no consumer role */
	assert_non_null(shmring_peek(rx));
	note_recv(t, w, rx, &v); /* a peek held */
	assert_int_equal(shmring_release(rx), 0);
	for (int i = 0; i < 2; i++)
		note_recv(t, w, rx, &v);
	slot = shmring_reserve(tx);
	assert_non_null(slot);
	note(t, send_by(w, tx, 6), 0); /* a reservation held */
	memcpy(slot, &five, sizeof(five));
	assert_int_equal(shmring_commit(tx), 0);
	for (int i = 0; i < 2; i++)
		note_recv(t, w, rx, &v);
	note_recv(t, w, rx, &v); /* empty again */
	note(t, send_by(w, tx, 6), 0);
	shmring_close(tx);
	note_recv(t, w, rx, &v); /* the last message... */
	note_recv(t, w, rx, &v); /* ...then end-of-stream */
	shmring_close(rx);
	assert_int_equal(shmring_unlink(name), 0);

	/* A consumer that has gone: EPIPE. */
	tx = make(name, SHMRING_KIND_SPSC, 8, 4, SHMRING_PRODUCER);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	note(t, send_by(w, tx, 8), 0);
	shmring_close(rx);
	note(t, send_by(w, tx, 9), 0);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);
}

static void test_same_results(void **state)
{
	static struct trace t[NWAYS];
	static const int want[] = {-EAGAIN, 0, 0, 0, 0, -EAGAIN, -EPERM, -EPERM, -EBUSY};

	(void)state;
	for (int w = 0; w < NWAYS; w++)
		scenario((enum way)w, &t[w]);
	for (int w = 1; w < NWAYS; w++) {
		assert_int_equal(t[w].n, t[0].n);
		for (unsigned i = 0; i < t[0].n; i++) {
			assert_int_equal(t[w].rc[i], t[0].rc[i]);
			assert_int_equal(t[w].v[i], t[0].v[i]);
		}
	}
	/* And the results are the right ones, not only the same. */
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(t[0].rc[i], want[i]);
	assert_int_equal(t[0].n, 20);
	assert_int_equal(t[0].v[0], 77);
	assert_int_equal(t[0].v[9], 22); /* the peeked 11 was released */
	assert_int_equal(t[0].v[10], 33);
	assert_int_equal(t[0].rc[11], -EBUSY);
	assert_int_equal(t[0].v[12], 44);
	assert_int_equal(t[0].v[13], 5);
	assert_int_equal(t[0].rc[14], -EAGAIN);
	assert_int_equal(t[0].rc[15], 0);
	assert_int_equal(t[0].rc[16], 0);
	assert_int_equal(t[0].v[16], 6);
	assert_int_equal(t[0].rc[17], -EPIPE);
	assert_int_equal(t[0].rc[18], 0);
	assert_int_equal(t[0].rc[19], -EPIPE);
}

/* Other kinds go to the library: the same messages, and a message ring's
 * refusal. */
static void test_other_kinds(void **state)
{
	static const uint32_t kinds[] = {SHMRING_KIND_MPSC, SHMRING_KIND_SPMC, SHMRING_KIND_MPMC};
	const char *name = test_ring_name("kinds");
	shmring_t *r;
	uint64_t v;
	int64_t s;

	(void)state;
	for (unsigned k = 0; k < 3; k++) {
		r = make(name, kinds[k], 8, 8, SHMRING_PRODUCER | SHMRING_CONSUMER);
		for (uint64_t i = 0; i < 8; i++)
			assert_int_equal(i % 2 ? shmring_try_send_u64(r, i) : shmring_try_send(r, &i),
					 0);
		assert_int_equal(shmring_try_send_u64(r, 8), -EAGAIN);
		for (uint64_t i = 0; i < 8; i++) {
			v = 99;
			assert_int_equal(i % 2 ? shmring_try_recv_u64(r, &v) : shmring_try_recv(r, &v),
					 0);
			assert_int_equal(v, i);
		}
		assert_int_equal(shmring_try_recv(r, &v), -EAGAIN);
		s = -5;
		assert_int_equal(shmring_try_send(r, &s), 0);
		s = 0;
		assert_int_equal(shmring_try_recv(r, &s), 0);
		assert_int_equal(s, -5);
		shmring_close(r);
		assert_int_equal(shmring_unlink(name), 0);
	}
	r = make(name, SHMRING_KIND_MSG, 64, 4096, SHMRING_PRODUCER | SHMRING_CONSUMER);
	v = 1;
	assert_int_equal(shmring_try_send(r, &v), -SHMRING_EKIND);
	assert_int_equal(shmring_try_send_u64(r, 1), -SHMRING_EKIND);
	assert_int_equal(shmring_try_recv(r, &v), -SHMRING_EKIND);
	assert_int_equal(shmring_try_recv_u64(r, &v), -SHMRING_EKIND);
	assert_int_equal(v, 1);
	shmring_close(r);
	assert_int_equal(shmring_unlink(name), 0);
}

/* Slots narrower than 8 bytes: the first bytes of v go; a message received
 * by value fills the first bytes of *v and leaves the rest zero. */
static void test_narrow_slots(void **state)
{
	const char *name = test_ring_name("narrow");
	shmring_t *r = make(name, SHMRING_KIND_SPSC, 4, 8, SHMRING_PRODUCER | SHMRING_CONSUMER);
	uint64_t v = UINT64_C(0x1122334455667788), w = ~UINT64_C(0);
	unsigned char b[4], first[4];

	(void)state;
	memcpy(first, &v, 4);
	assert_int_equal(shmring_try_send_u64(r, v), 0);
	assert_int_equal((shmring_try_send_u64)(r, v), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(shmring_try_recv(r, b), 0);
		assert_memory_equal(b, first, 4);
	}
	assert_int_equal(shmring_try_send(r, first), 0);
	assert_int_equal(shmring_try_send(r, first), 0);
	assert_int_equal(shmring_try_recv_u64(r, &w), 0);
	assert_int_equal(w, v & 0xffffffffu); /* little-endian: the low half */
	w = ~UINT64_C(0);
	assert_int_equal((shmring_try_recv_u64)(r, &w), 0);
	assert_int_equal(w, v & 0xffffffffu);
	shmring_close(r);
	assert_int_equal(shmring_unlink(name), 0);
}

/* Slots wider than 8 bytes: the by-value calls refuse (nothing sent, nothing
 * taken, *v untouched); an array of uint64_t is a whole message. */
static void test_wide_slots(void **state)
{
	const char *name = test_ring_name("wide");
	shmring_t *r = make(name, SHMRING_KIND_SPSC, 16, 8, SHMRING_PRODUCER | SHMRING_CONSUMER);
	uint64_t pair[2] = {1, 2}, out[2] = {0, 0}, v = 5;
	struct {
		uint64_t v, next;
	} s = {3, 4};

	(void)state;
	assert_int_equal(shmring_try_send_u64(r, 9), -EMSGSIZE);
	assert_int_equal((shmring_try_send_u64)(r, 9), -EMSGSIZE);
	assert_int_equal(shmring_count(r), 0);
	assert_int_equal(shmring_try_send(r, pair), 0);
	assert_int_equal(shmring_try_send(r, &s.v), 0);
	assert_int_equal(shmring_try_recv_u64(r, &v), -EMSGSIZE);
	assert_int_equal((shmring_try_recv_u64)(r, &v), -EMSGSIZE);
	assert_int_equal(v, 5);
	assert_int_equal(shmring_count(r), 2);
	assert_int_equal(shmring_try_recv(r, out), 0);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 2);
	assert_int_equal(shmring_try_recv(r, &s.v), 0);
	assert_int_equal(s.v, 3);
	assert_int_equal(s.next, 4);
	shmring_close(r);
	assert_int_equal(shmring_unlink(name), 0);
}

/* A parked consumer is woken by an inline send, a parked producer by
 * inline receives. */
static void test_wakes_sleepers(void **state)
{
	const char *name = test_ring_name("wake");
	struct shmring_wait park = {.mode = SHMRING_WAIT_PARK};
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, 8, 16, SHMRING_PRODUCER), *rx;
	struct sleeper s;
	uint64_t v;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_set_wait(rx, &park), 0);
	assert_int_equal(shmring_set_wait(tx, &park), 0);
	s = (struct sleeper){.r = rx};
	sleeper_start(&s, false, tx);
	assert_int_equal(shmring_try_send_u64(tx, 7), 0);
	sleeper_done(&s);
	assert_int_equal(s.v, 7);
	for (v = 0; v < 16; v++)
		assert_int_equal(shmring_try_send(tx, &v), 0);
	s = (struct sleeper){.r = tx, .v = 16};
	sleeper_start(&s, true, rx);
	for (uint64_t i = 0; i < 16; i++) {
		assert_int_equal(shmring_try_recv(rx, &v), 0);
		assert_int_equal(v, i);
	}
	sleeper_done(&s);
	assert_int_equal(shmring_try_recv_u64(rx, &v), 0);
	assert_int_equal(v, 16);
	shmring_close(rx);
	shmring_close(tx);
	assert_int_equal(shmring_unlink(name), 0);
}

enum { STREAM_N = 2000000 };

/* The consumer of the stream: exits 0 only if every message is right and
 * end-of-stream follows the last. */
static int consume(const char *name)
{
	shmring_t *rx;
	uint64_t v = 0;
	int rc;

	if (shmring_open(name, SHMRING_CONSUMER, &rx))
		return 2;
	for (uint64_t i = 0; i < STREAM_N; i++) {
		while ((rc = i % 4 ? shmring_try_recv(rx, &v) : shmring_try_recv_u64(rx, &v)) ==
		       -EAGAIN)
			sched_yield();
		if (rc || v != i * 3)
			return 3;
	}
	while ((rc = shmring_try_recv(rx, &v)) == -EAGAIN)
		sched_yield();
	shmring_close(rx);
	return rc == -EPIPE ? 0 : 4;
}

/* A stream across processes, both sides inline. */
static void test_stream(void **state)
{
	const char *name = test_ring_name("stream");
	shmring_t *tx = make(name, SHMRING_KIND_SPSC, 8, 256, SHMRING_PRODUCER);
	int status, rc;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(consume(name));
	for (uint64_t i = 0; i < STREAM_N; i++) {
		uint64_t v = i * 3;

		while ((rc = i % 3 ? shmring_try_send(tx, &v) : shmring_try_send_u64(tx, v)) ==
		       -EAGAIN)
			sched_yield();
		assert_int_equal(rc, 0);
	}
	shmring_close(tx);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(shmring_unlink(name), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_results), cmocka_unit_test(test_other_kinds),
		cmocka_unit_test(test_narrow_slots), cmocka_unit_test(test_wide_slots),
		cmocka_unit_test(test_wakes_sleepers), cmocka_unit_test(test_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
