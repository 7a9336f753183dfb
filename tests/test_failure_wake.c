/* SPDX-License-Identifier: MIT */
/*
 * test_failure_wake: wake-ups are neither lost nor late (issue 7, items 3 to
 * 6), every participant a separate process (tests/failure_helpers.h).
 *
 *   - A producer parked (SHMRING_WAIT_PARK) on a full ring returns from its
 *     send within 2 ms of a single slot (record) being freed by: one
 *     try_recv of a consumer that then pauses; a zero-copy consumer's
 *     peek + release; one of three consumers (taking turns); a consumer's
 *     close() while it holds a peek (many consumers: the peek is released);
 *     and on the message ring, a release with many consumers. Each case runs
 *     5 rounds: the sleeper must return within 100 ms in every one and
 *     within 2 ms in at least one, and (but for close) the freeing call must
 *     make a futex wake (info.wakes) in every one (see judge_delays(): on a
 *     loaded machine the rest of the time is the scheduler's). The ring's
 *     recovery deadline is 1 s, so a waiter's periodic check of a claim's
 *     owner cannot stand in for the wake-up.
 *   - close() of a many-producer handle holding a reservation (nothing
 *     written into it; the slot holds the previous lap's bytes) wakes a
 *     consumer parked in recv_bulk as promptly, which then gets the two
 *     messages sent after the reservation and never the stale one; the
 *     reservation is counted as cancelled.
 *   - The waiter count: after a consumer parked in recv is SIGKILLed,
 *     10000 try_sends make a few futex wakes at most (< 100), not one per
 *     message; after a peer forges `waiters` = 1 in both wait words (a
 *     waiter announced, none asleep) they make none, and with the SLEEP bit
 *     forged too, the one or two that clear it; a real sleeper is still
 *     woken afterwards.
 *   - Streaming with both sides parking, the ring's wake calls never
 *     outnumber its parks (each kind).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "failure_helpers.h"
#include "ringbuf/layout.h"
#include "sync/eventcount.h"

#define K             8u
#define ROUNDS        5u
#define BATCHES       3u
#define WAKE_NS       (2 * FH_MS * TEST_SLOWDOWN)
#define SLOW_NS       (100 * FH_MS * TEST_SLOWDOWN)
#define RECOVERY_LONG (1000 * FH_MS)
#define SENDS         10000u
#define MAX_WAKES     100u

static int64_t delta(uint64_t from, uint64_t to)
{
	return (int64_t)(to - from);
}

/*
 * Judge a batch of rounds of one case. The time from the freeing call to the
 * sleeper's return is scheduling as much as wake-up: on a loaded 2-CPU
 * machine the woken sleeper may wait a few ms for a CPU. So a batch passes
 * with every round within SLOW_NS (the rings' recovery deadline is 1 s, the
 * longest a sleeper sleeps without a wake-up, so a lost one shows as a
 * second), at least one within WAKE_NS (2 ms: the path is prompt in itself),
 * and, where the call counts its wake (must_count: info.wakes counts futex
 * wakes; close() does not count its own), a futex wake made by that call in
 * every round, which no timed backstop or periodic re-check can fake: nobody
 * else in the test wakes anyone. A case passes when one of BATCHES batches
 * does (a burst of load spoils one batch, not three in a row).
 */
static bool batch_ok(const char *what, int id, unsigned batch, const int64_t *d, const bool *woke,
                     bool must_count)
{
	unsigned fast = 0, slow = 0, silent = 0;
	char buf[256];
	int n = 0;

	for (unsigned r = 0; r < ROUNDS; r++) {
		fast += d[r] <= (int64_t)WAKE_NS;
		slow += d[r] > (int64_t)SLOW_NS;
		silent += !woke[r];
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " %.3f%s", (double)d[r] / 1e6,
		              woke[r] ? "" : "(no wake)");
	}
	print_message("%s %s: woken after (ms):%s\n", what, fh_kind(id)->tag, buf);
	if ((silent && must_count) || slow || !fast) {
		print_message("%s %s: batch %u of %u fails: %u rounds without a futex wake%s, %u "
		              "over %.0f ms, %u within %.1f ms\n",
		              what, fh_kind(id)->tag, batch + 1, BATCHES, silent,
		              must_count ? "" : " (not required)", slow, (double)SLOW_NS / 1e6,
		              fast, (double)WAKE_NS / 1e6);
		if (batch + 1 == BATCHES)
			fail_msg("%s %s: no batch of wake-ups passed", what, fh_kind(id)->tag);
		return false;
	}
	return true;
}

enum free_by { BY_TRY_RECV, BY_PEEK_RELEASE, BY_CLOSE_PEEK };

/*
 * A producer parked on a full ring, woken when one consumer frees one slot
 * `how`. nconsumers consumers take turns; with BY_CLOSE_PEEK, consumer 0
 * stays attached (so that consumers never all go) and consumer 1 opens a
 * handle, peeks and closes, every round.
 */
static void producer_woken(int id, enum free_by how, unsigned nconsumers)
{
	static const char *const what[] = {"try_recv", "peek+release", "close holding a peek"};
	const char *name = test_ring_name(fh_kind(id)->tag);
	struct fh_agent *p, *c[3];
	int64_t d[ROUNDS];
	bool woke[ROUNDS];
	uint64_t seq = K;
	shmring_t *obs;

	fh_limit(120);
	obs = fh_create(name, id, K, RECOVERY_LONG, SHMRING_OBSERVER);
	p = fh_agent_open(name, id, SHMRING_PRODUCER);
	assert_int_equal(fh_agent_call(p, FH_SET_WAIT, SHMRING_WAIT_PARK, 0), 0);
	for (unsigned i = 0; i < nconsumers; i++) {
		c[i] = fh_agent_new(name, id, NULL);
		if (how != BY_CLOSE_PEEK || i == 0)
			assert_int_equal(fh_agent_call(c[i], FH_OPEN, SHMRING_CONSUMER, 0), 0);
	}
	assert_int_equal(fh_agent_call(p, FH_FILL, 0, 0), -EAGAIN);
	assert_int_equal(p->out[0], K);
	for (unsigned b = 0, r = 0;; r = (r + 1) % ROUNDS) {
		struct fh_agent *cr = how == BY_CLOSE_PEEK ? c[1] : c[r % nconsumers];
		uint64_t waits0, wakes0;
		int op = how == BY_TRY_RECV       ? FH_TRY_RECV
		         : how == BY_PEEK_RELEASE ? FH_RELEASE
		                                  : FH_CLOSE;

		if (how == BY_CLOSE_PEEK)
			assert_int_equal(fh_agent_call(cr, FH_OPEN, SHMRING_CONSUMER, 0), 0);
		if (how != BY_TRY_RECV) {
			assert_int_equal(fh_agent_call(cr, FH_PEEK, 0, 0), 0);
			assert_true(cr->out[1]);
		}
		waits0 = fh_info(obs).full_waits;
		fh_agent_start(p, FH_SEND, (int64_t)seq++, 5000);
		if (!fh_wait_parked(obs, p->pid, 2, waits0, 5000))
			fail_msg("round %u: the producer never parked (send %s, rc %lld)", r,
			         fh_agent_done(p) ? "returned" : "is running", (long long)p->rc);
		if (fh_agent_done(p))
			fail_msg("round %u: send returned %lld on a full ring", r,
			         (long long)p->rc);
		test_sleep_ms(fh_rand(5, 15));
		wakes0 = fh_info(obs).wakes;
		assert_int_equal(fh_agent_call(cr, op, 0, 0), 0);
		assert_int_equal(fh_agent_result(p, 6000), 0);
		d[r] = delta(cr->t_start, p->t_end);
		woke[r] = fh_info(obs).wakes > wakes0;
		if (r + 1 == ROUNDS && batch_ok(what[how], id, b++, d, woke, how != BY_CLOSE_PEEK))
			break;
	}
	fh_close(obs);
}

static void wake_try_recv(int id)
{
	producer_woken(id, BY_TRY_RECV, 1);
}

static void wake_peek_release(int id)
{
	producer_woken(id, BY_PEEK_RELEASE, 1);
}

static void wake_many_try_recv(int id)
{
	producer_woken(id, BY_TRY_RECV, 3);
}

static void wake_many_peek_release(int id)
{
	producer_woken(id, BY_PEEK_RELEASE, 3);
}

static void wake_close_peek(int id)
{
	producer_woken(id, BY_CLOSE_PEEK, 2);
}

/*
 * close() of a many-producer handle holding a reservation: the consumer
 * parked behind it wakes promptly, and gets only real messages.
 */
static void close_reservation(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	struct fh_agent *c, *p, *h;
	struct shmring_info in;
	int64_t d[ROUNDS];
	bool woke[ROUNDS];
	uint64_t seq = 100;
	unsigned rounds = 0;
	shmring_t *obs;

	fh_limit(120);
	obs = fh_create(name, id, 4, RECOVERY_LONG, SHMRING_OBSERVER);
	c = fh_agent_new(name, id, NULL);
	p = fh_agent_new(name, id, NULL);
	h = fh_agent_new(name, id, NULL);
	assert_int_equal(fh_agent_call(c, FH_OPEN, SHMRING_CONSUMER, 0), 0);
	assert_int_equal(fh_agent_call(c, FH_SET_WAIT, SHMRING_WAIT_PARK, 0), 0);
	assert_int_equal(fh_agent_call(p, FH_OPEN, SHMRING_PRODUCER, 0), 0);
	/* A lap of messages first: every slot then holds an old message. */
	assert_int_equal(fh_agent_call(p, FH_SEND_N, 0, 4), 0);
	assert_int_equal(fh_agent_call(c, FH_RECV_N, 4, 1000), 0);
	assert_int_equal(c->out[0], 4);
	for (unsigned b = 0, r = 0;; r = (r + 1) % ROUNDS) {
		uint64_t waits0, wakes0;
		int64_t rc;

		rounds++;

		assert_int_equal(fh_agent_call(h, FH_OPEN, SHMRING_PRODUCER, 0), 0);
		assert_int_equal(fh_agent_call(h, FH_RESERVE, 0, 0), 0); /* nothing written */
		assert_int_equal(fh_agent_call(p, FH_SEND_N, (int64_t)seq, 2), 0);
		waits0 = fh_info(obs).empty_waits;
		fh_agent_start(c, FH_RECV_BULK, 2, 5000);
		if (!fh_wait_parked(obs, c->pid, 1, waits0, 5000) || fh_agent_done(c))
			fail_msg("round %u: the consumer did not wait behind the reservation "
			         "(recv_bulk %s, rc %lld)",
			         r, fh_agent_done(c) ? "returned" : "is running", (long long)c->rc);
		test_sleep_ms(fh_rand(5, 15));
		wakes0 = fh_info(obs).wakes;
		assert_int_equal(fh_agent_call(h, FH_CLOSE, 0, 0), 0);
		rc = fh_agent_result(c, 6000);
		woke[r] = fh_info(obs).wakes > wakes0;
		if (rc != 2 || c->out[0] != seq || c->out[1] != seq + 1 || !c->out[7])
			fail_msg(
			    "round %u: recv_bulk returned %lld: %llu, %llu (valid %d); expected "
			    "%llu, %llu",
			    r, (long long)rc, (unsigned long long)c->out[0],
			    (unsigned long long)c->out[1], (int)c->out[7], (unsigned long long)seq,
			    (unsigned long long)seq + 1);
		d[r] = delta(h->t_start, c->t_end);
		seq += 2;
		if (r + 1 == ROUNDS &&
		    batch_ok("close holding a reservation", id, b++, d, woke, false))
			break;
	}
	/* Nothing stale published: the ring is empty. */
	assert_int_equal(fh_agent_call(c, FH_TRY_RECV, 0, 0), -EAGAIN);
	in = fh_info(obs);
	print_message("%s: cancelled %llu, skipped %llu\n", fh_kind(id)->tag,
	              (unsigned long long)in.cancelled, (unsigned long long)in.skipped);
	assert_int_equal(in.cancelled, rounds);
	fh_close(obs);
}

/* SENDS messages through the ring (each received at once); the wakes it cost. */
static uint64_t wakes_for_sends(int id, shmring_t *obs, shmring_t *prod, shmring_t *cons)
{
	uint64_t w0 = fh_info(obs).wakes, w1;

	for (uint64_t i = 0; i < SENDS; i++) {
		struct fh_msg m;
		int rc = fh__send(id, prod, i, true, 0);

		if (rc != 0)
			fail_msg("try_send %llu: %d (%s)", (unsigned long long)i, rc,
			         shmring_strerror(rc));
		rc = fh__recv(id, cons, &m, true, 0);
		if (rc != 0 || m.seq != i)
			fail_msg("try_recv %llu: %d (%s)", (unsigned long long)i, rc,
			         shmring_strerror(rc));
	}
	w1 = fh_info(obs).wakes;
	return w1 - w0;
}

/* A real sleeper is still woken (after the count was repaired). */
static void sleeper_still_woken(int id, const char *name, shmring_t *obs, shmring_t *prod)
{
	struct fh_agent *c = fh_agent_new(name, id, NULL);
	uint64_t waits0 = fh_info(obs).empty_waits, t;

	assert_int_equal(fh_agent_call(c, FH_OPEN, SHMRING_CONSUMER, 0), 0);
	assert_int_equal(fh_agent_call(c, FH_SET_WAIT, SHMRING_WAIT_PARK, 0), 0);
	fh_agent_start(c, FH_RECV, 5000, 0);
	if (!fh_wait_parked(obs, c->pid, 1, waits0, 5000))
		fail_msg("the new consumer never parked");
	test_sleep_ms(10);
	t = test_now_ns();
	assert_int_equal(fh__send(id, prod, 777, true, 0), 0);
	assert_int_equal(fh_agent_result(c, 6000), 0);
	assert_int_equal(c->out[0], 777);
	print_message("%s: a new sleeper woke %.3f ms after the send\n", fh_kind(id)->tag,
	              (double)delta(t, c->t_end) / 1e6);
	assert_true(delta(t, c->t_end) < (int64_t)(100 * FH_MS * TEST_SLOWDOWN));
	assert_int_equal(fh_agent_exit(c), 0);
}

/* A consumer killed while parked does not leave a waiter behind for ever. */
static void waiter_killed(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	bool mc = fh_kind(id)->mc;
	shmring_t *obs, *pc, *cons = NULL;
	struct fh_agent *c1;
	uint64_t waits0, wakes;

	fh_limit(60);
	/* With many consumers this process is one of them all along. */
	obs = fh_create(name, id, 64, 0, SHMRING_OBSERVER);
	assert_int_equal(
	    shmring_open(name, mc ? SHMRING_PRODUCER | SHMRING_CONSUMER : SHMRING_PRODUCER, &pc),
	    0);
	fh_keep(pc);
	c1 = fh_agent_open(name, id, SHMRING_CONSUMER);
	assert_int_equal(fh_agent_call(c1, FH_SET_WAIT, SHMRING_WAIT_PARK, 0), 0);
	waits0 = fh_info(obs).empty_waits;
	fh_agent_start(c1, FH_RECV, FH_NO_DEADLINE, 0);
	if (!fh_wait_parked(obs, c1->pid, 1, waits0, 5000))
		fail_msg("the consumer never parked");
	test_sleep_ms(20);
	fh_agent_kill(c1, true);
	if (mc) {
		cons = pc;
	} else {
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &cons), 0);
		fh_keep(cons);
	}
	wakes = wakes_for_sends(id, obs, pc, cons);
	print_message("%s: %u sends after a parked consumer was killed made %llu wakes\n",
	              fh_kind(id)->tag, SENDS, (unsigned long long)wakes);
	if (wakes >= MAX_WAKES)
		fail_msg("%llu futex wakes for %u sends: the dead waiter is still counted",
		         (unsigned long long)wakes, SENDS);
	if (cons != pc)
		fh_close(cons);
	if (mc)
		sleeper_still_woken(id, name, obs, pc);
	fh_close(pc);
	fh_close(obs);
}

/*
 * A peer that writes the waiters word: a count alone (waiters announced, none
 * asleep) costs no wake call at all; the SLEEP bit set as well costs the one
 * wake that clears it.
 */
static void waiters_forged(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	shmring_t *obs, *pc;
	size_t size;
	void *base;
	uint64_t wakes;

	fh_limit(60);
	obs = fh_create(name, id, 64, 0, SHMRING_OBSERVER);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER | SHMRING_CONSUMER, &pc), 0);
	fh_keep(pc);
	base = fh_map_ring(name, &size);
	atomic_store(&shmring__not_empty(base)->waiters, 1);
	atomic_store(&shmring__not_full(base)->waiters, 1);
	wakes = wakes_for_sends(id, obs, pc, pc);
	print_message("%s: %u sends with a forged waiter count made %llu wakes\n", fh_kind(id)->tag,
	              SENDS, (unsigned long long)wakes);
	if (wakes != 0)
		fail_msg("%llu futex wakes for %u sends with waiters forged to 1 (none asleep)",
		         (unsigned long long)wakes, SENDS);
	atomic_store(&shmring__not_empty(base)->waiters, SHMRING_EC_SLEEP | 1u);
	atomic_store(&shmring__not_full(base)->waiters, SHMRING_EC_SLEEP | 1u);
	wakes = wakes_for_sends(id, obs, pc, pc);
	print_message("%s: %u sends with a forged sleeper made %llu wakes\n", fh_kind(id)->tag,
	              SENDS, (unsigned long long)wakes);
	if (wakes == 0 || wakes > 2)
		fail_msg("%llu futex wakes for %u sends with a sleeper forged in both words "
		         "(expected one or two: the wakes that clear the bits)",
		         (unsigned long long)wakes, SENDS);
	if (fh_kind(id)->mc)
		sleeper_still_woken(id, name, obs, pc);
	munmap(base, size);
	fh_close(pc);
	fh_close(obs);
}

/*
 * Streaming with both sides parking (SHMRING_WAIT_PARK), another process
 * consuming: a notifier makes a wake call only for a waiter that committed to
 * sleep, so the ring's wake calls never outnumber its parks. A notifier that
 * called for every waiter still re-checking (S-settle) made tens of
 * thousands of calls for a hundred parks.
 */
static void wakes_match_parks(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	const int64_t n = 200000;
	struct fh_agent *c;
	shmring_t *obs, *p;
	struct shmring_wait w = {.mode = SHMRING_WAIT_PARK};
	struct shmring_info in;

	fh_limit(120);
	obs = fh_create(name, id, 64, 0, SHMRING_OBSERVER);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p), 0);
	fh_keep(p);
	assert_int_equal(shmring_set_wait(p, &w), 0);
	c = fh_agent_open(name, id, SHMRING_CONSUMER);
	assert_int_equal(fh_agent_call(c, FH_SET_WAIT, SHMRING_WAIT_PARK, 0), 0);
	fh_agent_start(c, FH_RECV_N, n, 30000);
	for (int64_t i = 0; i < n; i++) {
		int rc = fh__send(id, p, (uint64_t)i, false, fh_deadline(30000));

		if (rc != 0)
			fail_msg("send %lld: %d (%s)", (long long)i, rc, shmring_strerror(rc));
	}
	assert_int_equal(fh_agent_result(c, 60000), 0);
	assert_int_equal(c->out[0], n);
	assert_true(c->out[1] && c->out[4]);
	in = fh_info(obs);
	print_message("%s: %lld messages, %llu parks (%llu full, %llu empty), %llu wakes\n",
	              fh_kind(id)->tag, (long long)n,
	              (unsigned long long)(in.full_waits + in.empty_waits),
	              (unsigned long long)in.full_waits, (unsigned long long)in.empty_waits,
	              (unsigned long long)in.wakes);
	if (in.wakes > in.full_waits + in.empty_waits)
		fail_msg("%llu wake calls for %llu parks", (unsigned long long)in.wakes,
		         (unsigned long long)(in.full_waits + in.empty_waits));
	fh_close(p);
	fh_close(obs);
}

#define ONE(fn, tag, id)                                                                           \
	static void fn##_##tag(void **s)                                                           \
	{                                                                                          \
		(void)s;                                                                           \
		fn(id);                                                                            \
	}
#define T(fn, tag) cmocka_unit_test_teardown(fn##_##tag, fh_teardown)

FH_PER_KIND(wake_try_recv)
FH_PER_KIND(wake_peek_release)
ONE(wake_many_try_recv, spmc, FH_SPMC)
ONE(wake_many_try_recv, mpmc, FH_MPMC)
ONE(wake_many_try_recv, msgm, FH_MSGM)
ONE(wake_many_peek_release, spmc, FH_SPMC)
ONE(wake_many_peek_release, mpmc, FH_MPMC)
ONE(wake_many_peek_release, msgm, FH_MSGM)
ONE(wake_close_peek, spmc, FH_SPMC)
ONE(wake_close_peek, mpmc, FH_MPMC)
ONE(wake_close_peek, msgm, FH_MSGM)
ONE(close_reservation, mpsc, FH_MPSC)
ONE(close_reservation, mpmc, FH_MPMC)
ONE(close_reservation, msgm, FH_MSGM)
ONE(waiter_killed, spsc, FH_SPSC)
ONE(waiter_killed, spscd, FH_SPSCD)
ONE(waiter_killed, mpmc, FH_MPMC)
ONE(waiter_killed, msgm, FH_MSGM)
ONE(waiters_forged, spsc, FH_SPSC)
ONE(waiters_forged, spscd, FH_SPSCD)
ONE(waiters_forged, mpmc, FH_MPMC)
ONE(waiters_forged, msgm, FH_MSGM)
FH_PER_KIND(wakes_match_parks)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FH_KIND_TESTS(wake_try_recv),    FH_KIND_TESTS(wake_peek_release),
	    T(wake_many_try_recv, spmc),     T(wake_many_try_recv, mpmc),
	    T(wake_many_try_recv, msgm),     T(wake_many_peek_release, spmc),
	    T(wake_many_peek_release, mpmc), T(wake_many_peek_release, msgm),
	    T(wake_close_peek, spmc),        T(wake_close_peek, mpmc),
	    T(wake_close_peek, msgm),        T(close_reservation, mpsc),
	    T(close_reservation, mpmc),      T(close_reservation, msgm),
	    T(waiter_killed, spsc),          T(waiter_killed, spscd),
	    T(waiter_killed, mpmc),          T(waiter_killed, msgm),
	    T(waiters_forged, spsc),         T(waiters_forged, spscd),
	    T(waiters_forged, mpmc),         T(waiters_forged, msgm),
	    FH_KIND_TESTS(wakes_match_parks),
	};

	srandom((unsigned)(test_now_ns() ^ (uint64_t)getpid()));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
