/* SPDX-License-Identifier: MIT */
/*
 * test_failure_eos: end-of-stream and EPIPE, for every kind (SPSC, MPSC,
 * SPMC, MPMC, message ring with one and with many of each role), each
 * participant a separate process (tests/failure_helpers.h):
 *
 *   - a consumer blocked in recv with no deadline gets the k messages the
 *     only producer sent, then -EPIPE within a second of the producer's
 *     close, or of its SIGKILL (a zombie: nobody reaps it during the test);
 *     try_recv then says -EPIPE too, as does shmring_last_error() after a
 *     peek that found nothing, and info.producers_gone is set;
 *   - a producer attaching after end-of-stream lets the consumer go on (it
 *     blocks again, gets the new messages, then -EPIPE again);
 *   - a producer blocked in send on a full ring gets -EPIPE within a second
 *     of the only consumer's close or SIGKILL, and is not killed by SIGPIPE
 *     (a reserve's shmring_last_error() says -EPIPE then too);
 *     a consumer attaching later finds the messages and lets it go on;
 *   - before any consumer attached (or any producer), nothing is "gone": a
 *     producer fills the ring (-EAGAIN, -ETIMEDOUT, never -EPIPE) and a
 *     consumer waits;
 *   - the same with calls whose deadlines are far shorter than the recovery
 *     deadline, in a loop: -EPIPE once the peer is killed, and a killed
 *     consumer's claim repaired where another consumer stays;
 *   - try receives 10 ms apart: -EPIPE within a second of the producer's
 *     SIGKILL;
 *   - presence words that disagree with the participant table: forged to
 *     "none left" while the peer is alive (no false end-of-stream or EPIPE,
 *     the word put back), or one too high (as if a participant died between
 *     freeing its entry and its decrement: end-of-stream and EPIPE still
 *     come within a second of the last peer's close);
 *   - the producers' word forged to "none left" over and over while the
 *     only producer, after a pause, sends its last messages and leaves: the
 *     consumer gets every message before -EPIPE (a look that found the ring
 *     empty just before they came, and a table scan that found the producer
 *     gone just after, ended the stream with them in the ring);
 *   - a bulk receive of more than is left once every producer has gone
 *     takes what is left (it waited for ever), then end-of-stream: every
 *     fixed kind, blocking and try, and the message ring's try bulk (in
 *     one process).
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "failure_helpers.h"
#include "ringbuf/layout.h"

#define K         8u                             /* messages a test ring holds */
#define PROMPT_NS (1000 * FH_MS * TEST_SLOWDOWN) /* "promptly": within a second */

static uint64_t since(uint64_t t0, uint64_t t1)
{
	return t1 > t0 ? t1 - t0 : 0;
}

/* The op in progress must still be blocked after `ms`. */
static void still_blocked(struct fh_agent *ag, unsigned ms, const char *what)
{
	test_sleep_ms(ms);
	if (fh_agent_done(ag))
		fail_msg("%s returned %lld instead of waiting", what, (long long)ag->rc);
}

/* Producers gone: the consumer drains, then sees -EPIPE; a new producer revives it. */
static void eos_after(int id, bool kill_it)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	shmring_t *obs;
	struct fh_agent *c, *p, *p2;
	struct shmring_info in;
	uint64_t t_gone;
	int64_t rc;

	fh_limit(120);
	obs = fh_create(name, id, K, 0, SHMRING_OBSERVER);
	c = fh_agent_open(name, id, SHMRING_CONSUMER);
	/* No producer has ever attached: a receive waits (no end-of-stream yet). */
	assert_int_equal(fh_agent_call(c, FH_RECV, 100, 0), -ETIMEDOUT);
	in = fh_info(obs);
	assert_false(in.producers_gone);
	fh_agent_start(c, FH_RECV_UNTIL_ERR, 0, FH_NO_DEADLINE);
	still_blocked(c, 50, "recv before any producer attached");

	p = fh_agent_open(name, id, SHMRING_PRODUCER);
	/* Three ringfuls: the producer blocks on a full ring on the way. */
	assert_int_equal(fh_agent_call(p, FH_SEND_N, 0, 3 * K), 0);
	assert_int_equal(p->out[0], 3 * K);
	if (kill_it) {
		t_gone = test_now_ns();
		fh_agent_kill(p, false); /* left a zombie: dead all the same */
	} else {
		assert_int_equal(fh_agent_call(p, FH_CLOSE, 0, 0), 0);
		t_gone = p->t_start;
	}
	rc = fh_agent_result(c, 10000);
	print_message("%s %s: consumer got %llu messages, then %lld (%s) %.3f ms after the "
	              "producer went\n",
	              fh_kind(id)->tag, kill_it ? "kill" : "close", (unsigned long long)c->out[0],
	              (long long)rc, shmring_strerror((int)rc),
	              (double)since(t_gone, c->t_end) / 1e6);
	assert_int_equal(rc, -EPIPE);
	assert_int_equal(c->out[0], 3 * K);
	assert_true(c->out[1]);
	assert_true(c->out[4]); /* 0, 1, 2, ... in order */
	if (since(t_gone, c->t_end) > PROMPT_NS)
		fail_msg("-EPIPE came %.3f ms after the producer went",
		         (double)since(t_gone, c->t_end) / 1e6);
	/* A try call at end-of-stream says so too, so does a peek (through
	 * shmring_last_error()), and so does info. */
	assert_int_equal(fh_agent_call(c, FH_TRY_RECV, 0, 0), -EPIPE);
	assert_int_equal(fh_agent_call(c, FH_PEEK, 0, 0), -EPIPE);
	in = fh_info(obs);
	assert_true(in.producers_gone);
	assert_int_equal(in.producers, 0);

	/* A producer attaching later lets the consumer go on. */
	p2 = fh_agent_open(name, id, SHMRING_PRODUCER);
	in = fh_info(obs);
	assert_false(in.producers_gone);
	fh_agent_start(c, FH_RECV_UNTIL_ERR, 1000, FH_NO_DEADLINE);
	still_blocked(c, 50, "recv with a new producer attached");
	assert_int_equal(fh_agent_call(p2, FH_SEND_N, 1000, 5), 0);
	assert_int_equal(fh_agent_call(p2, FH_CLOSE, 0, 0), 0);
	rc = fh_agent_result(c, 10000);
	assert_int_equal(rc, -EPIPE);
	assert_int_equal(c->out[0], 5);
	assert_true(c->out[1]);
	assert_true(c->out[4]);
	assert_int_equal(since(p2->t_start, c->t_end) <= PROMPT_NS, 1);
	assert_int_equal(fh_agent_exit(c), 0);
	assert_int_equal(fh_agent_exit(p2), 0);
	fh_close(obs);
}

static void eos_close(int id)
{
	eos_after(id, false);
}

static void eos_kill(int id)
{
	eos_after(id, true);
}

/* The ring `name` of kind id, made with an observer (returned), and a
 * consumer agent and a producer agent opened on it, in that order. */
static shmring_t *trio(const char *name, int id, struct fh_agent **c, struct fh_agent **p)
{
	shmring_t *obs = fh_create(name, id, K, 0, SHMRING_OBSERVER);

	*c = fh_agent_open(name, id, SHMRING_CONSUMER);
	*p = fh_agent_open(name, id, SHMRING_PRODUCER);
	return obs;
}

/* Consumers gone: a producer blocked on a full ring gets -EPIPE, not SIGPIPE. */
static void epipe_after(int id, bool kill_it)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	shmring_t *obs;
	struct fh_agent *c, *c2, *p;
	struct shmring_info in;
	uint64_t t_gone;
	int64_t rc;
	int status;

	fh_limit(120);
	obs = trio(name, id, &c, &p);
	assert_int_equal(fh_agent_call(p, FH_FILL, 0, 0), -EAGAIN);
	assert_int_equal(p->out[0], K);
	fh_agent_start(p, FH_SEND, K, FH_NO_DEADLINE);
	still_blocked(p, 50, "send on a full ring");
	if (kill_it) {
		t_gone = test_now_ns();
		fh_agent_kill(c, false); /* a zombie until the end of the test */
	} else {
		assert_int_equal(fh_agent_call(c, FH_CLOSE, 0, 0), 0);
		t_gone = c->t_start;
	}
	rc = fh_agent_result(p, 10000);
	print_message("%s %s: blocked send returned %lld (%s) %.3f ms after the consumer went\n",
	              fh_kind(id)->tag, kill_it ? "kill" : "close", (long long)rc,
	              shmring_strerror((int)rc), (double)since(t_gone, p->t_end) / 1e6);
	assert_int_equal(rc, -EPIPE);
	if (since(t_gone, p->t_end) > PROMPT_NS)
		fail_msg("-EPIPE came %.3f ms after the consumer went",
		         (double)since(t_gone, p->t_end) / 1e6);
	assert_int_equal(fh_agent_call(p, FH_TRY_SEND, K, 0), -EPIPE);
	assert_int_equal(fh_agent_call(p, FH_RESERVE, 0, 0), -EPIPE);
	in = fh_info(obs);
	assert_true(in.consumers_gone);
	assert_int_equal(in.consumers, 0);
	/* The producer is alive: SIGPIPE was never raised (its default kills). */
	assert_int_equal(waitpid(p->pid, &status, WNOHANG), 0);

	/* A consumer attaching later finds the messages and lets the producer on. */
	c2 = fh_agent_open(name, id, SHMRING_CONSUMER);
	in = fh_info(obs);
	assert_false(in.consumers_gone);
	assert_int_equal(fh_agent_call(c2, FH_RECV_N, K, 1000), 0);
	assert_int_equal(c2->out[0], K);
	assert_true(c2->out[1]);
	assert_int_equal(c2->out[2], 0);
	assert_true(c2->out[4]);
	assert_int_equal(fh_agent_call(p, FH_SEND, K, 1000), 0);
	assert_int_equal(fh_agent_call(c2, FH_RECV, 1000, 0), 0);
	assert_int_equal(c2->out[0], K);
	assert_int_equal(fh_agent_exit(p), 0);
	assert_int_equal(fh_agent_exit(c2), 0);
	fh_close(obs);
}

static void epipe_close(int id)
{
	epipe_after(id, false);
}

static void epipe_kill(int id)
{
	epipe_after(id, true);
}

/* Until a consumer has attached, a producer may fill the ring: -EAGAIN, never -EPIPE. */
static void before_consumer(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	shmring_t *obs;
	struct fh_agent *c, *p;
	struct shmring_info in;

	fh_limit(60);
	obs = fh_create(name, id, K, 0, SHMRING_OBSERVER);
	p = fh_agent_open(name, id, SHMRING_PRODUCER);
	assert_int_equal(fh_agent_call(p, FH_FILL, 0, 0), -EAGAIN);
	assert_int_equal(p->out[0], K);
	assert_int_equal(fh_agent_call(p, FH_TRY_SEND, K, 0), -EAGAIN);
	assert_int_equal(fh_agent_call(p, FH_SEND, K, 100), -ETIMEDOUT);
	in = fh_info(obs);
	assert_false(in.consumers_gone);
	assert_false(in.producers_gone);
	/* The producer leaves before any consumer came: the messages wait for one. */
	assert_int_equal(fh_agent_exit(p), 0);
	c = fh_agent_open(name, id, SHMRING_CONSUMER);
	assert_int_equal(fh_agent_call(c, FH_RECV_N, K, 1000), 0);
	assert_int_equal(c->out[0], K);
	assert_true(c->out[1]);
	assert_int_equal(c->out[2], 0);
	assert_true(c->out[4]);
	/* Drained, and the producer has gone: end-of-stream. */
	assert_int_equal(fh_agent_call(c, FH_RECV, 1000, 0), -EPIPE);
	assert_int_equal(fh_agent_exit(c), 0);
	fh_close(obs);
}

/*
 * Calls whose deadlines are shorter than the recovery deadline, in a loop:
 * each call's wait is over before its first look at the peers is due, so
 * the handle must look when a call times out (at most once per period), or
 * a killed peer is never noticed: no end-of-stream, no EPIPE, a dead
 * consumer's claim never repaired.
 */
#define SHORT_RECOVERY_NS (1000 * FH_MS) /* far longer than a call's deadline */
#define SHORT_CALL_NS     (2 * FH_MS)
#define SHORT_BOUND_NS    (3000 * FH_MS * TEST_SLOWDOWN)

/* Short timed calls until `want` moved a message (0), one fails otherwise
 * than -ETIMEDOUT (its result) or the bound passes (-ETIMEDOUT); *moved: the
 * calls that moved a message (a receive checks each and expects seqs from
 * *next on). */
static int short_calls(int id, shmring_t *r, bool tx, uint64_t want, uint64_t *next,
                       uint64_t *moved)
{
	uint64_t t0 = test_now_ns();
	int rc = -ETIMEDOUT;

	while (*moved < want && test_now_ns() - t0 < SHORT_BOUND_NS) {
		struct fh_msg m;

		rc = tx ? fh__send(id, r, *next, false, shmring_deadline_in(SHORT_CALL_NS))
		        : fh__recv(id, r, &m, false, shmring_deadline_in(SHORT_CALL_NS));
		if (rc == -ETIMEDOUT)
			continue;
		if (rc < 0)
			break;
		if (!tx && (!fh_msg_ok(&m) || m.seq != *next))
			fail_msg("received seq %llu, expected %llu", (unsigned long long)m.seq,
			         (unsigned long long)*next);
		(*next)++;
		(*moved)++;
	}
	return *moved == want ? 0 : rc;
}

static void short_deadlines(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	const char *name2 = test_ring_name(fh_kind(id)->tag);
	struct fh_agent *p, *c, *c2 = NULL;
	shmring_t *r;
	uint64_t next = 0, moved = 0;
	int rc;

	fh_limit(120);
	/* The producer killed: the consumer gets its K messages, then -EPIPE. */
	r = fh_create(name, id, K, SHORT_RECOVERY_NS, SHMRING_CONSUMER);
	p = fh_agent_open(name, id, SHMRING_PRODUCER);
	assert_int_equal(fh_agent_call(p, FH_SEND_N, 0, K), 0);
	fh_agent_kill(p, false);
	rc = short_calls(id, r, false, UINT64_MAX, &next, &moved);
	print_message("%s: short receives got %llu, then %d (%s)\n", fh_kind(id)->tag,
	              (unsigned long long)moved, rc, shmring_strerror(rc));
	assert_int_equal(rc, -EPIPE);
	assert_int_equal(moved, K);

	/* The consumer killed holding a message (a peek: a claim where many
	 * consume); another consumer, where the kind allows one, keeps the ring
	 * from being deserted: the claim must be repaired. Without it, -EPIPE. */
	r = fh_create(name2, id, K, SHORT_RECOVERY_NS, SHMRING_PRODUCER);
	c = fh_agent_open(name2, id, SHMRING_CONSUMER);
	if (fh_kind(id)->mc)
		c2 = fh_agent_open(name2, id, SHMRING_CONSUMER);
	for (next = 0; fh__send(id, r, next, true, 0) == 0; next++)
		;
	assert_int_equal(next, K);
	assert_int_equal(fh_agent_call(c, FH_PEEK, 0, 0), 0);
	fh_agent_kill(c, false);
	moved = 0;
	rc = short_calls(id, r, true, c2 ? 1 : UINT64_MAX, &next, &moved);
	print_message("%s: short sends moved %llu, then %d (%s)\n", fh_kind(id)->tag,
	              (unsigned long long)moved, rc, shmring_strerror(rc));
	if (c2) {
		/* Room for one: the dead consumer's message, lost (and counted). */
		assert_int_equal(rc, 0);
		assert_int_equal(moved, 1);
		assert_int_equal(fh_agent_exit(c2), 0);
	} else {
		assert_int_equal(rc, -EPIPE);
	}
}

/*
 * Try calls at an event loop's pace (10 ms apart), not a spin: the producer
 * SIGKILLed after its K messages; the consumer takes them, then -EPIPE
 * within a second of its first empty answer, as a blocked receive learns of
 * the death within the recovery deadline. Counted calls alone looked at the
 * producers once every 256 fruitless ones: 2.6 s at this pace, minutes at a
 * second a call.
 */
static void slow_tries(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	struct fh_agent *p;
	struct fh_msg m;
	shmring_t *r;
	uint64_t got = 0, t0 = 0, took;
	int rc;

	fh_limit(60);
	r = fh_create(name, id, K, 0, SHMRING_CONSUMER);
	p = fh_agent_open(name, id, SHMRING_PRODUCER);
	assert_int_equal(fh_agent_call(p, FH_SEND_N, 0, K), 0);
	fh_agent_kill(p, false);
	for (;;) {
		rc = fh__recv(id, r, &m, true, 0);
		if (rc == 0) {
			assert_true(fh_msg_ok(&m));
			assert_int_equal(m.seq, got);
			got++;
			continue;
		}
		if (rc != -EAGAIN)
			break;
		if (!t0)
			t0 = test_now_ns();
		if (test_now_ns() - t0 > 5000 * FH_MS)
			break;
		test_sleep_ms(10);
	}
	took = t0 ? test_now_ns() - t0 : 0;
	print_message("%s: try receives 10 ms apart got %llu, then %d (%s) after %.0f ms\n",
	              fh_kind(id)->tag, (unsigned long long)got, rc, shmring_strerror(rc),
	              (double)took / 1e6);
	assert_int_equal(got, K);
	assert_int_equal(rc, -EPIPE);
	assert_true(took < 1000 * FH_MS);
}

/*
 * The same for a producer whose consumer is SIGKILLed while the ring has
 * plenty of room: its try sends, 10 ms apart, each move a message, and one
 * of them is -EPIPE within a second, as a write to a pipe whose reader died
 * is; after a run of sends back to back, at 1 ms apart, within three.
 * Sends that moved something never looked at the consumers: -EPIPE came
 * only once the ring was full (here 4096 sends). The same for sends in place
 * (reserve, then commit): an SPSC ring's commits never looked.
 */
static void slow_sends(int id)
{
	/* First one message, then a run of 200 back to back: a count of sends
	 * paced to that run reaches its next look up to 1024 sends later. */
	static const struct {
		unsigned before, apart_ms, bound_ms;
		bool in_place;
	} runs[] = {{1, 10, 1000, false}, {200, 1, 3000, false}, {1, 10, 1000, true}};

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		const char *name = test_ring_name(fh_kind(id)->tag);
		struct fh_agent *c;
		shmring_t *r;
		uint64_t sent = 0, t0, took;
		int rc;

		fh_limit(60);
		r = fh_create(name, id, 4096, 0, SHMRING_PRODUCER);
		c = fh_agent_open(name, id, SHMRING_CONSUMER);
		while (sent < runs[i].before) /* a consumer seen */
			assert_int_equal(fh__send(id, r, sent++, true, 0), 0);
		fh_agent_kill(c, true);
		t0 = test_now_ns();
		while ((rc = runs[i].in_place ? fh__send_zc(id, r, sent)
		                              : fh__send(id, r, sent, true, 0)) == 0 &&
		       test_now_ns() - t0 < 5000 * FH_MS) {
			sent++;
			test_sleep_ms(runs[i].apart_ms);
		}
		took = test_now_ns() - t0;
		print_message("%s: after %u sent, %s %u ms apart after the consumer's death "
		              "moved %llu, then %d (%s) after %.0f ms\n",
		              fh_kind(id)->tag, runs[i].before,
		              runs[i].in_place ? "sends in place" : "try sends", runs[i].apart_ms,
		              (unsigned long long)(sent - runs[i].before), rc, shmring_strerror(rc),
		              (double)took / 1e6);
		assert_int_equal(rc, -EPIPE);
		assert_true(took < runs[i].bound_ms * FH_MS);
	}
}

/*
 * shmring_peers_check(): a producer that sent a fast run and then waits for
 * something else (its input, say) learns of its consumer's death without a
 * send, which its sends that find room would tell only up to 1024 sends
 * later; a consumer learns of end-of-stream once it has taken what is left;
 * an observer only reaps.
 */
static void peers_check(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	struct fh_agent *c;
	struct fh_msg m;
	shmring_t *r, *rx, *obs;
	uint64_t sent = 0, t0;
	int rc;

	fh_limit(60);
	r = fh_create(name, id, 4096, 0, SHMRING_PRODUCER);
	assert_int_equal(shmring_peers_check(r), 0); /* no consumer seen: not gone */
	c = fh_agent_open(name, id, SHMRING_CONSUMER);
	while (sent < 200)
		assert_int_equal(fh__send(id, r, sent++, true, 0), 0);
	assert_int_equal(shmring_peers_check(r), 0);
	fh_agent_kill(c, true);
	t0 = test_now_ns();
	while ((rc = shmring_peers_check(r)) == 0 && test_now_ns() - t0 < 2000 * FH_MS)
		test_sleep_ms(1);
	print_message("%s: peers_check %d (%s) %.1f ms after the consumer's death\n",
	              fh_kind(id)->tag, rc, shmring_strerror(rc),
	              (double)(test_now_ns() - t0) / 1e6);
	assert_int_equal(rc, -EPIPE);

	/* A consumer after the producer has gone: what is left, then the end. */
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &obs), 0);
	fh_close(r);
	while ((rc = fh__recv(id, rx, &m, false, shmring_deadline_in(5000 * FH_MS))) == 0)
		;
	assert_int_equal(rc, -EPIPE);
	assert_int_equal(shmring_peers_check(rx), -EPIPE);
	assert_int_equal(shmring_peers_check(obs), 0);
	assert_int_equal(shmring_peers_check(NULL), -EINVAL);
	shmring_close(obs);
	shmring_close(rx);

	/* A producer that opens while a consumer is attached, and neither
	 * sends nor looks before the consumer dies: the look that reaps the
	 * consumer took it for a producer that never saw one. */
	name = test_ring_name(fh_kind(id)->tag);
	obs = fh_create(name, id, 4096, 0, SHMRING_OBSERVER);
	c = fh_agent_open(name, id, SHMRING_CONSUMER);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &r), 0);
	fh_agent_kill(c, true);
	assert_int_equal(shmring_peers_check(r), -EPIPE);
	shmring_close(r);
	/* One that opens after the consumer died may fill the ring for the
	 * next: nothing said. */
	c = fh_agent_open(name, id, SHMRING_CONSUMER);
	fh_agent_kill(c, true);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &r), 0);
	assert_int_equal(shmring_peers_check(r), 0);
	assert_int_equal(fh__send(id, r, 0, true, 0), 0);
	shmring_close(r);
}

/* --- Presence words that disagree with the participant table ------------------- */

/* Store v into the producers' (role SHMRING_PRODUCER) or consumers' word
 * through a mapping of our own, as a hostile peer would. */
static void forge_presence(const char *name, uint32_t role, uint64_t v)
{
	size_t size;
	void *base = fh_map_ring(name, &size);
	struct shmring_ctl *ctl = shmring__ctl(base);

	atomic_store(role == SHMRING_PRODUCER ? &ctl->producers : &ctl->consumers, v);
	munmap(base, size);
}

static uint64_t presence_of(const char *name, uint32_t role)
{
	size_t size;
	void *base = fh_map_ring(name, &size);
	struct shmring_ctl *ctl = shmring__ctl(base);
	uint64_t v = atomic_load(role == SHMRING_PRODUCER ? &ctl->producers : &ctl->consumers);

	munmap(base, size);
	return v;
}

/*
 * A word forged (or torn) to "none left" while a live participant of that
 * role is attached: no false end-of-stream, no false EPIPE; the word is set
 * back to what the table shows; a real leaving still ends the stream.
 */
static void forged_zero(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	shmring_t *obs;
	struct fh_agent *c, *p;
	int64_t rc;

	fh_limit(120);
	obs = trio(name, id, &c, &p);
	assert_int_equal(fh_agent_call(p, FH_SEND, 0, 1000), 0);
	assert_int_equal(fh_agent_call(c, FH_RECV, 1000, 0), 0);

	/* The producers' word says none left; the producer is alive. */
	forge_presence(name, SHMRING_PRODUCER, SHMRING_PRESENCE_EVER);
	assert_int_equal(fh_agent_call(c, FH_TRY_RECV, 0, 0), -EAGAIN);
	assert_int_equal(fh_agent_call(c, FH_RECV, 200, 0), -ETIMEDOUT);
	assert_int_equal(presence_of(name, SHMRING_PRODUCER), SHMRING_PRESENCE_EVER | 1);
	assert_int_equal(fh_agent_call(p, FH_SEND, 1, 1000), 0);
	assert_int_equal(fh_agent_call(c, FH_RECV, 1000, 0), 0);
	assert_int_equal(c->out[0], 1);

	/* The consumers' word says none left; the consumer is alive. */
	forge_presence(name, SHMRING_CONSUMER, SHMRING_PRESENCE_EVER);
	assert_int_equal(fh_agent_call(p, FH_TRY_SEND, 2, 0), 0);
	assert_int_equal(presence_of(name, SHMRING_CONSUMER), SHMRING_PRESENCE_EVER | 1);
	assert_int_equal(fh_agent_call(p, FH_SEND, 3, 1000), 0);
	assert_int_equal(fh_agent_call(c, FH_RECV_N, 2, 1000), 0);
	assert_int_equal(c->out[0], 2);
	assert_int_equal(c->out[2], 2);

	/* A word of 0 live and never-attached, the same. */
	forge_presence(name, SHMRING_CONSUMER, 0);
	assert_int_equal(fh_agent_call(p, FH_TRY_SEND, 4, 0), 0);
	assert_int_equal(fh_agent_call(c, FH_RECV, 1000, 0), 0);

	/* The producer really leaves: end-of-stream all the same. */
	assert_int_equal(fh_agent_call(p, FH_CLOSE, 0, 0), 0);
	rc = fh_agent_call(c, FH_RECV, 1000, 0);
	assert_int_equal(rc, -EPIPE);
	assert_int_equal(fh_agent_exit(c), 0);
	assert_int_equal(fh_agent_exit(p), 0);
	fh_close(obs);
}

/*
 * The window between a consumer's two looks at end-of-stream: a word forged
 * to "none left" (as a count settled while someone left can leave it, one
 * low) sends the consumer to the participant table after every empty look.
 * The producer pauses, so that the consumer is looking at an empty ring, then
 * sends its last messages and closes while the consumer scans. Every round
 * must deliver every message, in order, then -EPIPE, to try calls and to
 * blocking ones.
 */
#define RACE_ROUNDS 100u

struct race {
	const char *name;
	int id;
	unsigned k;           /* messages this round */
	atomic_bool opened;   /* the producer is attached */
	atomic_bool stop;     /* the forger stops */
	_Atomic uint64_t *word;
	int rc;               /* the producer's first error */
};

static void *race_producer(void *arg)
{
	struct race *x = arg;
	shmring_t *p = NULL;
	int rc = shmring_open(x->name, SHMRING_PRODUCER, &p);

	atomic_store(&x->opened, true);
	for (unsigned i = 0; rc == 0 && i < x->k; i++) {
		if (i == x->k - 2)
			fh_nap_us(200); /* the consumer finds the ring empty */
		rc = fh__send(x->id, p, i, false, fh_deadline(10000));
	}
	if (p)
		shmring_close(p);
	x->rc = rc;
	return NULL;
}

static void *race_forger(void *arg)
{
	struct race *x = arg;

	while (!atomic_load(&x->stop)) {
		atomic_store(x->word, SHMRING_PRESENCE_EVER);
		for (volatile int i = 0; i < 64; i++)
			;
	}
	return NULL;
}

static void forged_zero_leaving(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag); /* unlinked every round */
	unsigned bad = 0;

	fh_limit(120);
	for (unsigned round = 0; round < RACE_ROUNDS; round++) {
		struct race x = {.name = name, .id = id, .k = 3 + round % 32};
		shmring_t *c = fh_create(x.name, id, 64, 0, SHMRING_CONSUMER);
		size_t size;
		void *base = fh_map_ring(x.name, &size);
		pthread_t pt, ft;
		struct fh_msg m;
		unsigned got = 0;
		int rc;

		x.word = &shmring__ctl(base)->producers;
		assert_int_equal(pthread_create(&pt, NULL, race_producer, &x), 0);
		while (!atomic_load(&x.opened))
			sched_yield();
		assert_int_equal(pthread_create(&ft, NULL, race_forger, &x), 0);
		/* Try calls, and in every fifth round blocking ones (which
		 * look at the end of the stream before they park). */
		while ((rc = fh__recv(id, c, &m, round % 5 != 4, fh_deadline(10000))) == 0 ||
		       rc == -EAGAIN) {
			if (rc < 0)
				continue;
			if (m.seq != got || !fh_msg_ok(&m))
				fail_msg("round %u: message %" PRIu64 " where %u was due", round,
				         m.seq, got);
			got++;
		}
		assert_int_equal(pthread_join(pt, NULL), 0);
		atomic_store(&x.stop, true);
		assert_int_equal(pthread_join(ft, NULL), 0);
		assert_int_equal(x.rc, 0);
		if (rc != -EPIPE || got != x.k) {
			print_message("round %u: %u of %u messages, then %d (%s)\n", round, got,
			              x.k, rc, shmring_strerror(rc));
			bad++;
		}
		munmap(base, size);
		fh_close(c);
		shmring_unlink(x.name);
	}
	assert_int_equal(bad, 0);
}

/*
 * A word one above the table (a participant killed between freeing its
 * entry and taking itself off the count, or a forged word): the peer check
 * lowers it, so the last producer's close still ends the stream, and the
 * last consumer's close still gives a blocked producer EPIPE, promptly.
 */
static void stale_high(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	const char *name2 = test_ring_name(fh_kind(id)->tag);
	shmring_t *obs;
	struct fh_agent *c, *p;
	uint64_t t_gone;
	int64_t rc;

	fh_limit(120);
	obs = trio(name, id, &c, &p);
	forge_presence(name, SHMRING_PRODUCER, SHMRING_PRESENCE_EVER | 2);
	fh_agent_start(c, FH_RECV_UNTIL_ERR, 0, FH_NO_DEADLINE);
	assert_int_equal(fh_agent_call(p, FH_SEND_N, 0, 3 * K), 0);
	assert_int_equal(fh_agent_call(p, FH_CLOSE, 0, 0), 0);
	t_gone = p->t_end;
	rc = fh_agent_result(c, 5000);
	print_message("%s: with the producers' word one high, the consumer got %llu, then %lld "
	              "(%s) %.3f ms after the close\n",
	              fh_kind(id)->tag, (unsigned long long)c->out[0], (long long)rc,
	              shmring_strerror((int)rc), (double)since(t_gone, c->t_end) / 1e6);
	assert_int_equal(rc, -EPIPE);
	assert_int_equal(c->out[0], 3 * K);
	assert_true(c->out[4]);
	assert_true(since(t_gone, c->t_end) <= PROMPT_NS);
	assert_int_equal(fh_agent_exit(c), 0);
	assert_int_equal(fh_agent_exit(p), 0);
	fh_close(obs);

	obs = trio(name2, id, &c, &p);
	forge_presence(name2, SHMRING_CONSUMER, SHMRING_PRESENCE_EVER | 2);
	assert_int_equal(fh_agent_call(p, FH_FILL, 0, 0), -EAGAIN);
	fh_agent_start(p, FH_SEND, K, FH_NO_DEADLINE);
	still_blocked(p, 50, "send on a full ring");
	assert_int_equal(fh_agent_call(c, FH_CLOSE, 0, 0), 0);
	t_gone = c->t_end;
	rc = fh_agent_result(p, 5000);
	print_message("%s: with the consumers' word one high, the blocked send returned %lld (%s) "
	              "%.3f ms after the close\n",
	              fh_kind(id)->tag, (long long)rc, shmring_strerror((int)rc),
	              (double)since(t_gone, p->t_end) / 1e6);
	assert_int_equal(rc, -EPIPE);
	assert_true(since(t_gone, p->t_end) <= PROMPT_NS);
	assert_int_equal(fh_agent_exit(c), 0);
	assert_int_equal(fh_agent_exit(p), 0);
	fh_close(obs);
}

/*
 * Both sides killed, then a producer restarted before its consumer: the
 * dead consumer is still counted until someone reaps it, and that count
 * is no consumer this producer saw. It may fill the ring for the
 * consumer to come (-EAGAIN, -ETIMEDOUT), never -EPIPE; the restarted
 * consumer then takes everything.
 */
static void restart_after_kill(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	shmring_t *obs;
	struct fh_agent *c, *p;

	fh_limit(60);
	obs = trio(name, id, &c, &p);
	assert_int_equal(fh_agent_call(p, FH_SEND, 0, 1000), 0);
	fh_agent_kill(c, true);
	fh_agent_kill(p, true);
	p = fh_agent_open(name, id, SHMRING_PRODUCER);
	assert_int_equal(fh_agent_call(p, FH_FILL, 1, 0), -EAGAIN);
	assert_int_equal(p->out[0], K - 1);
	/* Long enough for the blocked send to look at its peers and reap. */
	assert_int_equal(fh_agent_call(p, FH_SEND, K, 100), -ETIMEDOUT);
	assert_int_equal(fh_agent_call(p, FH_TRY_SEND, K, 0), -EAGAIN);
	c = fh_agent_open(name, id, SHMRING_CONSUMER);
	assert_int_equal(fh_agent_call(c, FH_RECV_N, K, 1000), 0);
	assert_int_equal(c->out[0], K);
	assert_true(c->out[1]);
	assert_int_equal(c->out[2], 0);
	assert_int_equal(fh_agent_call(p, FH_SEND, K, 1000), 0);
	assert_int_equal(fh_agent_call(c, FH_RECV, 1000, 0), 0);
	assert_int_equal(c->out[0], K);
	assert_int_equal(fh_agent_exit(p), 0);
	assert_int_equal(fh_agent_exit(c), 0);
	fh_close(obs);
}

FH_PER_KIND(eos_close)
FH_PER_KIND(eos_kill)
FH_PER_KIND(epipe_close)
FH_PER_KIND(epipe_kill)
FH_PER_KIND(before_consumer)
FH_PER_KIND(short_deadlines)
FH_PER_KIND(slow_tries)
FH_PER_KIND(slow_sends)
FH_PER_KIND(peers_check)
FH_PER_KIND(forged_zero)
FH_PER_KIND(forged_zero_leaving)
FH_PER_KIND(stale_high)
FH_PER_KIND(restart_after_kill)

/*
 * A bulk receive of more than is left once every producer has gone: it
 * waited until its deadline (for ever without one), and a try bulk said
 * -EAGAIN for ever. Both now take what is left, as a read of a pipe does,
 * and the next call says end-of-stream.
 */
static void test_bulk_after_producers(void **state)
{
	static const uint32_t kinds[] = {SHMRING_KIND_SPSC, SHMRING_KIND_MPSC, SHMRING_KIND_SPMC,
					 SHMRING_KIND_MPMC};

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (int blocking = 0; blocking < 2; blocking++) {
			struct shmring_opts o = {.kind = kinds[k], .slot_size = 8, .capacity = 16};
			const char *name = test_ring_name("bulkeos");
			uint64_t v[5] = {0}, t0;
			shmring_t *rx, *tx;
			int n;

			assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, &rx), 0);
			assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
			for (uint64_t i = 1; i <= 3; i++)
				assert_int_equal(shmring_try_send(tx, &i), 0);
			/* While the producer is there, a bulk of 5 waits. */
			assert_int_equal(shmring_try_recv_bulk(rx, v, 5), 0);
			assert_int_equal(shmring_last_error(rx, SHMRING_CONSUMER), -EAGAIN);
			shmring_close(tx);
			t0 = test_now_ns();
			n = blocking ? shmring_recv_bulk(rx, v, 5, shmring_deadline_in(3000000000ull))
				     : (int)shmring_try_recv_bulk(rx, v, 5);
			assert_int_equal(n, 3);
			assert_true(test_now_ns() - t0 < 2000000000ull);
			for (uint64_t i = 0; i < 3; i++)
				assert_int_equal(v[i], i + 1);
			if (blocking)
				assert_int_equal(shmring_recv_bulk(rx, v, 5, shmring_deadline_in(
									   3000000000ull)),
						 -EPIPE);
			else
				assert_int_equal(shmring_try_recv(rx, v), -EPIPE);
			shmring_close(rx);
			assert_int_equal(shmring_unlink(name), 0);
		}
	}
	/* The message ring's bulk, the same way. */
	{
		struct shmring_opts o = {.kind = SHMRING_KIND_MSG, .slot_size = 64, .capacity = 4096};
		const char *name = test_ring_name("bulkeosm");
		struct shmring_msgvec v[5];
		char buf[5][64];
		shmring_t *rx, *tx;

		assert_int_equal(shmring_create(name, &o, SHMRING_CONSUMER, &rx), 0);
		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
		for (int i = 0; i < 3; i++)
			assert_int_equal(shmring_msg_try_send(tx, "abc", 3, (uint32_t)i), 0);
		for (int i = 0; i < 5; i++)
			v[i] = (struct shmring_msgvec){.buf = buf[i], .len = sizeof(buf[i])};
		assert_int_equal(shmring_msg_try_recv_bulk(rx, v, 5), 0);
		shmring_close(tx);
		assert_int_equal(shmring_msg_try_recv_bulk(rx, v, 5), 3);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(v[i].len, 3);
			assert_int_equal(v[i].type, (uint32_t)i);
		}
		assert_int_equal(shmring_msg_try_recv_bulk(rx, v, 5), 0);
		assert_int_equal(shmring_last_error(rx, SHMRING_CONSUMER), -EPIPE);
		shmring_close(rx);
		assert_int_equal(shmring_unlink(name), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FH_KIND_TESTS(eos_close),          FH_KIND_TESTS(eos_kill),
	    FH_KIND_TESTS(epipe_close),        FH_KIND_TESTS(epipe_kill),
	    FH_KIND_TESTS(before_consumer),    FH_KIND_TESTS(short_deadlines),
	    FH_KIND_TESTS(slow_tries),         FH_KIND_TESTS(slow_sends),
	    FH_KIND_TESTS(peers_check),
	    FH_KIND_TESTS(forged_zero),        FH_KIND_TESTS(forged_zero_leaving),
	    FH_KIND_TESTS(stale_high),
	    FH_KIND_TESTS(restart_after_kill),
	    cmocka_unit_test(test_bulk_after_producers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
