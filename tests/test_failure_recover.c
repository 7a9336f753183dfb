/* SPDX-License-Identifier: MIT */
/*
 * test_failure_recover: claims of dead producers are repaired in bounded
 * time, claims of stopped ones never are.
 *
 *   - kill: an MPMC ring, 16 producer processes and 2 consumer processes.
 *     12 producers send with copying sends; 4 "victims" use zero-copy and
 *     sleep 0..20 ms between shmring_reserve() and writing + commit, so most
 *     of their life is a claim window, and the test SIGKILLs each of them
 *     while it holds a reservation. Every message a producer saw committed
 *     is received exactly once, the victim's message in flight at most once,
 *     none torn (a check value over id and sequence); the consumers keep
 *     receiving (longest gap between receives well under a second with a
 *     20 ms recovery deadline); info.prod_repairs > 0 and equals
 *     info.skipped (each repaired slot dropped once), cons_repairs == 0.
 *     `test_failure_recover N` runs N such rounds (the stress suite).
 *   - stop: a producer SIGSTOPped for 2 s holding a reservation (MPSC, and
 *     MPMC with 2 consumers) holds the consumers back: nothing after its slot
 *     is delivered, shmring_participants() shows it ALIVE with a non-empty
 *     claim, info.stall_pid names it; after SIGCONT its commit returns 0 and
 *     every message arrives exactly once, with no repair counted.
 *   - stall accounting: a producer held back ~200 ms by a consumer's peek
 *     (SPMC, MPMC, message ring) or a consumer by a producer's reservation
 *     (MPSC, MPMC, message ring):
 *     info names the holder and the side while it lasts; 300 ms after the
 *     waiter moved on, info.stall_ns is 0 and stall_max_ns is about the
 *     wait, not the wait plus whatever the handle did afterwards.
 *   - takeover: a message ring's dead consumer whose participant entry a new
 *     consumer took (the table full) loses its own record only; a live
 *     consumer's peek behind it stays whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "failure_helpers.h"

static unsigned rounds = 1;

/* --- kill: 16 producers, 4 killed inside their claim window ------------------------ */

#define NPROD        16u
#define NVICT        4u
#define NCONS        2u
#define MAXSEQ       (1u << 18)
#define RECOVERY_NS  (20 * FH_MS)
#define GAP_LIMIT_NS (1000 * FH_MS * TEST_SLOWDOWN)

struct rmsg {
	uint32_t id;
	uint32_t pad;
	uint64_t seq;
	uint64_t check;
	uint64_t check2; /* ~check: a torn slot would have to tear both alike */
};

struct rshared {
	pid_t parent; /* children end when it goes */
	_Atomic uint32_t go;
	_Atomic uint32_t stop_producers;
	_Atomic uint32_t producers_done;
	_Atomic uint32_t in_window[NPROD];
	_Atomic uint64_t committed[NPROD]; /* messages the producer saw committed */
	_Atomic int32_t err[NPROD + NCONS];
	_Atomic uint64_t bad; /* invalid or torn messages received */
	uint64_t max_gap_ns[NCONS];
	uint64_t received[NCONS];
	int32_t cons_rc[NCONS];
	_Atomic uint8_t count[NPROD][MAXSEQ]; /* times each message was received */
};

static uint64_t rcheck(uint32_t id, uint64_t seq)
{
	return test_check(((uint64_t)id << 40) ^ seq);
}

static void rmsg_make(struct rmsg *m, uint32_t id, uint64_t seq)
{
	m->id = id;
	m->pad = 0;
	m->seq = seq;
	m->check = rcheck(id, seq);
	m->check2 = ~m->check;
}

static shmring_t *child_open(const char *name, unsigned role, uint32_t mode)
{
	struct shmring_wait w = {.mode = mode};
	shmring_t *r = NULL;

	if (shmring_open(name, role, &r) != 0 || shmring_set_wait(r, &w) != 0)
		_exit(10);
	return r;
}

static void orphan_check(struct rshared *s)
{
	if (getppid() != s->parent)
		_exit(3);
}

static void wait_go(struct rshared *s)
{
	while (!atomic_load(&s->go)) {
		orphan_check(s);
		fh_nap_us(100);
	}
}

static int run_producer(const char *name, struct rshared *s, uint32_t id)
{
	shmring_t *r = child_open(name, SHMRING_PRODUCER, SHMRING_WAIT_PARK);

	wait_go(s);
	for (uint64_t seq = 0; seq < MAXSEQ && !atomic_load(&s->stop_producers); seq++) {
		struct rmsg m;
		int rc;

		orphan_check(s);
		rmsg_make(&m, id, seq);
		rc = shmring_send(r, &m, shmring_deadline_in(30000 * FH_MS));
		if (rc != 0) {
			atomic_store(&s->err[id], rc);
			return 11;
		}
		atomic_store(&s->committed[id], seq + 1);
	}
	shmring_close(r);
	return 0;
}

/* A victim: zero-copy with a wide claim window, until it is killed. */
static int run_victim(const char *name, struct rshared *s, uint32_t id)
{
	shmring_t *r = child_open(name, SHMRING_PRODUCER, SHMRING_WAIT_PARK);
	uint64_t seq = 0;

	srandom((unsigned)getpid());
	wait_go(s);
	while (seq < MAXSEQ) {
		struct rmsg m;
		void *p = shmring_reserve(r);
		int rc;

		orphan_check(s);
		if (!p) {
			fh_nap_us(200);
			continue;
		}
		atomic_store(&s->in_window[id], 1);
		fh_nap_us((unsigned)(random() % 20001));
		rmsg_make(&m, id, seq);
		memcpy(p, &m, sizeof(m));
		rc = shmring_commit(r);
		atomic_store(&s->in_window[id], 0);
		if (rc != 0) {
			atomic_store(&s->err[id], rc);
			return 11;
		}
		atomic_store(&s->committed[id], ++seq);
	}
	/* Not killed in time: the parent fails the test. */
	pause();
	return 0;
}

static int run_consumer(const char *name, struct rshared *s, unsigned k)
{
	shmring_t *r = child_open(name, SHMRING_CONSUMER, SHMRING_WAIT_ADAPTIVE);
	uint64_t last = 0, max_gap = 0, received = 0;
	int rc;

	wait_go(s);
	for (;;) {
		struct rmsg m;
		uint64_t now;

		orphan_check(s);
		rc = shmring_recv(r, &m, shmring_deadline_in(200 * FH_MS));
		now = test_now_ns();
		if (rc == 0) {
			if (m.id >= NPROD || m.seq >= MAXSEQ || m.check != rcheck(m.id, m.seq) ||
			    m.check2 != ~m.check) {
				atomic_fetch_add(&s->bad, 1);
				continue;
			}
			atomic_fetch_add(&s->count[m.id][m.seq], 1);
			received++;
			if (last && !atomic_load(&s->stop_producers) && now - last > max_gap)
				max_gap = now - last;
			last = now;
			continue;
		}
		if (rc == -EPIPE)
			break;
		if (rc == -ETIMEDOUT) {
			if (atomic_load(&s->producers_done))
				break;
			continue;
		}
		atomic_store(&s->err[NPROD + k], rc);
		break;
	}
	s->max_gap_ns[k] = max_gap;
	s->received[k] = received;
	s->cons_rc[k] = rc;
	shmring_close(r);
	return 0;
}

static pid_t spawn(int (*fn)(const char *, struct rshared *, uint32_t), const char *name,
                   struct rshared *s, uint32_t id)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fh_child_init(240);
		_exit(fn(name, s, id));
	}
	fh_track(pid);
	return pid;
}

static int run_consumer_id(const char *name, struct rshared *s, uint32_t k)
{
	return run_consumer(name, s, k);
}

static void kill_round(unsigned round)
{
	const char *name = test_ring_name("recover");
	struct rshared *s = fh_shared(sizeof(*s));
	struct shmring_opts o = {.kind = SHMRING_KIND_MPMC,
	                         .slot_size = sizeof(struct rmsg),
	                         .capacity = 256,
	                         .recovery_ns = RECOVERY_NS};
	pid_t prod[NPROD], cons[NCONS];
	uint64_t deadline, total = 0, maybe = 0, lost_maybe = 0;
	struct shmring_info in;
	shmring_t *obs = NULL;
	unsigned killed_in_window = 0;

	s->parent = getpid();
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &obs), 0);
	fh_keep(obs);
	for (uint32_t k = 0; k < NCONS; k++)
		cons[k] = spawn(run_consumer_id, name, s, k);
	for (uint32_t id = 0; id < NPROD; id++)
		prod[id] = spawn(id < NPROD - NVICT ? run_producer : run_victim, name, s, id);
	/* Everyone attached before the start. */
	deadline = test_now_ns() + 20000 * FH_MS * TEST_SLOWDOWN;
	do {
		in = fh_info(obs);
		if (in.producers == NPROD && in.consumers == NCONS)
			break;
		test_sleep_ms(5);
	} while (test_now_ns() < deadline);
	if (in.producers != NPROD || in.consumers != NCONS)
		fail_msg("attached: %u producers, %u consumers", in.producers, in.consumers);
	atomic_store(&s->go, 1);

	/* Kill the victims one by one, each inside its claim window. */
	for (uint32_t v = NPROD - NVICT; v < NPROD; v++) {
		int status;

		test_sleep_ms(fh_rand(30, 250));
		deadline = test_now_ns() + 5000 * FH_MS * TEST_SLOWDOWN;
		while (!atomic_load(&s->in_window[v]) && test_now_ns() < deadline)
			fh_nap_us(100);
		if (atomic_load(&s->in_window[v]))
			killed_in_window++;
		kill(prod[v], SIGKILL);
		assert_int_equal(waitpid(prod[v], &status, 0), prod[v]);
	}
	/* Let the others run on past the last repair, then stop them. */
	test_sleep_ms(300);
	atomic_store(&s->stop_producers, 1);
	for (uint32_t id = 0; id < NPROD - NVICT; id++) {
		int st = test_wait_pid(prod[id], 60000 * TEST_SLOWDOWN);

		if (st != 0)
			fail_msg("producer %u exit %d (error %d: %s)", id, st, (int)s->err[id],
			         shmring_strerror(s->err[id]));
	}
	atomic_store(&s->producers_done, 1);
	for (uint32_t k = 0; k < NCONS; k++) {
		int st = test_wait_pid(cons[k], 60000 * TEST_SLOWDOWN);

		if (st != 0)
			fail_msg("consumer %u exit %d", k, st);
	}
	in = fh_info(obs);
	print_message("round %u: sent", round);
	for (uint32_t id = 0; id < NPROD; id++)
		print_message(" %llu", (unsigned long long)s->committed[id]);
	print_message(
	    "; received %llu + %llu, consumers ended with %d / %d; killed %u in their "
	    "window; prod_repairs %llu skipped %llu cons_repairs %llu reaped %llu; longest "
	    "gap %.3f / %.3f ms, stall_max %.3f ms\n",
	    (unsigned long long)s->received[0], (unsigned long long)s->received[1], s->cons_rc[0],
	    s->cons_rc[1], killed_in_window, (unsigned long long)in.prod_repairs,
	    (unsigned long long)in.skipped, (unsigned long long)in.cons_repairs,
	    (unsigned long long)in.reaped, (double)s->max_gap_ns[0] / 1e6,
	    (double)s->max_gap_ns[1] / 1e6, (double)in.stall_max_ns / 1e6);

	/* Exactly once, never torn; the victims' message in flight at most once. */
	assert_int_equal(s->bad, 0);
	for (uint32_t id = 0; id < NPROD; id++) {
		uint64_t c = s->committed[id];
		bool victim = id >= NPROD - NVICT;

		for (uint64_t q = 0; q < MAXSEQ; q++) {
			unsigned n = s->count[id][q];

			if (q < c && n != 1)
				fail_msg("producer %u message %llu (committed) received %u times",
				         id, (unsigned long long)q, n);
			if (q == c && victim) {
				maybe++;
				lost_maybe += n == 0;
				if (n > 1)
					fail_msg("victim %u message %llu received %u times", id,
					         (unsigned long long)q, n);
			} else if (q >= c && n != 0) {
				fail_msg(
				    "producer %u message %llu (never committed) received %u times",
				    id, (unsigned long long)q, n);
			}
			total += n;
		}
	}
	print_message("round %u: the victims' messages in flight when killed: %llu delivered, %llu "
	              "not\n",
	              round, (unsigned long long)(maybe - lost_maybe),
	              (unsigned long long)lost_maybe);
	assert_int_equal(total, s->received[0] + s->received[1]);
	for (uint32_t k = 0; k < NCONS; k++) {
		if (s->err[NPROD + k])
			fail_msg("consumer %u: recv returned %d (%s)", k, (int)s->err[NPROD + k],
			         shmring_strerror(s->err[NPROD + k]));
		if (s->max_gap_ns[k] > GAP_LIMIT_NS)
			fail_msg("consumer %u waited %.3f ms between two messages", k,
			         (double)s->max_gap_ns[k] / 1e6);
	}
	/* Every repair counted, each repaired slot dropped once. */
	assert_true(in.prod_repairs > 0);
	assert_true(in.prod_repairs <= NVICT);
	assert_int_equal(in.prod_repairs, in.skipped);
	assert_int_equal(in.cons_repairs, 0);
	/* A claim that was repaired is a message never delivered. */
	assert_true(in.prod_repairs <= lost_maybe);
	assert_true(in.stall_max_ns < GAP_LIMIT_NS);
	fh_close(obs);
	shmring_unlink(name);
}

static void test_kill_producers(void **state)
{
	(void)state;
	for (unsigned i = 0; i < rounds; i++) {
		fh_limit(240);
		kill_round(i);
		fh_cleanup();
	}
}

/* --- stop: a stopped producer's claim is never taken ------------------------------ */

static void stop_holder(int id)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	struct fh_log *log = fh_shared(sizeof(*log));
	unsigned ncons = fh_kind(id)->mc ? 2 : 1, samples = 0, stall_named = 0;
	struct fh_agent *c[2], *a, *b;
	struct shmring_participant part;
	struct shmring_info in;
	shmring_t *obs;
	uint64_t t0, deadline, seen[6];
	int status;

	fh_limit(120);
	obs = fh_create(name, id, 16, 0, SHMRING_OBSERVER);
	for (unsigned i = 0; i < ncons; i++) {
		c[i] = fh_agent_new(name, id, log);
		assert_int_equal(fh_agent_call(c[i], FH_OPEN, SHMRING_CONSUMER, 0), 0);
		fh_agent_start(c[i], FH_RECV_LOG, 20000, 6);
	}
	a = fh_agent_open(name, id, SHMRING_PRODUCER);
	assert_int_equal(fh_agent_call(a, FH_RESERVE, 1, 1000), 0);
	kill(a->pid, SIGSTOP);
	assert_int_equal(waitpid(a->pid, &status, WUNTRACED), a->pid);
	assert_true(WIFSTOPPED(status));
	b = fh_agent_open(name, id, SHMRING_PRODUCER);
	assert_int_equal(fh_agent_call(b, FH_SEND_N, 2000, 5), 0);

	/* 2 s stopped: nothing gets past its slot, nobody takes it. */
	t0 = test_now_ns();
	while (test_now_ns() - t0 < 2000 * FH_MS) {
		test_sleep_ms(50);
		if (atomic_load(&log->n) != 0)
			fail_msg("a consumer got message %llu past the stopped producer's claim",
			         (unsigned long long)log->seq[0]);
		if (!fh_part_of(obs, a->pid, &part))
			fail_msg("the stopped producer %d has no participant entry", (int)a->pid);
		if (part.state != SHMRING_PART_ALIVE)
			fail_msg("the stopped producer's entry has state %u, not ALIVE",
			         part.state);
		if (part.claim_end <= part.claim_pos)
			fail_msg("the stopped producer's claim range [%llu, %llu) is empty",
			         (unsigned long long)part.claim_pos,
			         (unsigned long long)part.claim_end);
		in = fh_info(obs);
		assert_int_equal(in.prod_repairs, 0);
		samples++;
		stall_named += in.stall_pid == (uint32_t)a->pid;
	}
	in = fh_info(obs);
	print_message("%s: stall_pid named the stopped producer in %u of %u samples; at the end "
	              "stall_pid %u (stopped: %d) side %u stall_ns %.3f ms pos %llu\n",
	              fh_kind(id)->tag, stall_named, samples, in.stall_pid, (int)a->pid,
	              in.stall_side, (double)in.stall_ns / 1e6, (unsigned long long)in.stall_pos);
	assert_int_equal(in.stall_pid, a->pid);
	assert_int_equal(in.stall_side, SHMRING_CONSUMER);
	assert_true(in.stall_ns > 0);

	/* Running again: its commit goes through and everything arrives once. */
	kill(a->pid, SIGCONT);
	assert_int_equal(fh_agent_call(a, FH_COMMIT, 0, 0), 0);
	deadline = test_now_ns() + 10000 * FH_MS * TEST_SLOWDOWN;
	while (atomic_load(&log->n) < 6 && test_now_ns() < deadline)
		test_sleep_ms(2);
	test_sleep_ms(200); /* room for a duplicate to show */
	assert_int_equal(atomic_load(&log->n), 6);
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < 6; i++) {
		uint64_t q = log->seq[i];

		if (q == 1000)
			seen[0]++;
		else if (q >= 2000 && q < 2005)
			seen[1 + q - 2000]++;
		else
			fail_msg("unexpected message %llu", (unsigned long long)q);
		if (!fh_kind(id)->mc && q != (i == 0 ? 1000 : 2000 + i - 1))
			fail_msg("one consumer: message %u is %llu, out of order", i,
			         (unsigned long long)q);
	}
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(seen[i], 1);
	in = fh_info(obs);
	assert_int_equal(in.prod_repairs, 0);
	assert_int_equal(in.cons_repairs, 0);
	assert_int_equal(in.skipped, 0);
	assert_int_equal(fh_agent_exit(a), 0);
	assert_int_equal(fh_agent_exit(b), 0);
	fh_close(obs);
}

static void test_stop_mpsc(void **state)
{
	(void)state;
	stop_holder(FH_MPSC);
}

static void test_stop_mpmc(void **state)
{
	(void)state;
	stop_holder(FH_MPMC);
}

/* --- stall accounting: a stall that ended is over ---------------------------------- */

/*
 * One side held back by a live claim of the other for ~200 ms (a consumer's
 * peek on a full ring, or a producer's reservation), then let go: while it
 * waits, info names the holder and the side; once it has moved on, nobody is
 * held back (stall_ns 0) and the stall that ended is counted as about as long
 * as it lasted, not as long as the handle went on afterwards.
 */
static void stall_accounting(int id, bool producer_held)
{
	const char *name = test_ring_name(fh_kind(id)->tag);
	struct fh_agent *p, *c, *holder, *waiter;
	struct shmring_info in;
	shmring_t *obs;
	uint64_t held;

	fh_limit(60);
	obs = fh_create(name, id, 4, 0, SHMRING_OBSERVER);
	p = fh_agent_open(name, id, SHMRING_PRODUCER);
	c = fh_agent_open(name, id, SHMRING_CONSUMER);
	if (producer_held) {
		holder = c;
		waiter = p;
		assert_int_equal(fh_agent_call(p, FH_FILL, 0, 0), -EAGAIN);
		assert_int_equal(fh_agent_call(c, FH_PEEK, 0, 0), 0); /* claims the oldest */
		fh_agent_start(p, FH_SEND, 4, 5000);
	} else {
		holder = p;
		waiter = c;
		assert_int_equal(fh_agent_call(p, FH_RESERVE, 1, 0), 0);
		fh_agent_start(c, FH_RECV, 5000, 0);
	}
	/* The waiter records the stall once it has waited (its call's own
	 * limit is 5 s): looked at until then, or for 3 s. */
	test_sleep_ms(200);
	in = fh_info(obs);
	for (int i = 0; i < 280 && in.stall_pid != (uint32_t)holder->pid; i++) {
		test_sleep_ms(10);
		in = fh_info(obs);
	}
	assert_false(fh_agent_done(waiter));
	print_message("%s, %s held back: stall_pid %u (holder %d) side %u stall_ns %.3f ms\n",
	              fh_kind(id)->tag, producer_held ? "producer" : "consumer", in.stall_pid,
	              (int)holder->pid, in.stall_side, (double)in.stall_ns / 1e6);
	assert_int_equal(in.stall_pid, holder->pid);
	assert_int_equal(in.stall_side, producer_held ? SHMRING_PRODUCER : SHMRING_CONSUMER);
	assert_true(in.stall_ns > 0);
	assert_int_equal(fh_agent_call(holder, producer_held ? FH_RELEASE : FH_COMMIT, 0, 0), 0);
	assert_int_equal(fh_agent_result(waiter, 5000), 0);
	held = waiter->t_end - waiter->t_start;
	/* The waiter goes on without waiting (one more message each way). */
	if (producer_held) {
		assert_int_equal(fh_agent_call(c, FH_TRY_RECV, 0, 0), 0);
		assert_int_equal(fh_agent_call(p, FH_TRY_SEND, 5, 0), 0);
	} else {
		assert_int_equal(fh_agent_call(p, FH_TRY_SEND, 1, 0), 0);
		assert_int_equal(fh_agent_call(c, FH_TRY_RECV, 0, 0), 0);
	}
	test_sleep_ms(300);
	in = fh_info(obs);
	print_message("%s, %s held back %.3f ms; 300 ms later: stall_ns %.3f ms, stall_pid %u, "
	              "stall_max %.3f ms\n",
	              fh_kind(id)->tag, producer_held ? "producer" : "consumer", (double)held / 1e6,
	              (double)in.stall_ns / 1e6, in.stall_pid, (double)in.stall_max_ns / 1e6);
	if (in.stall_ns != 0)
		fail_msg("the stall ended 300 ms ago but info still says someone is held back for "
		         "%.3f ms",
		         (double)in.stall_ns / 1e6);
	assert_true(in.stall_max_ns > 0);
	if (in.stall_max_ns > held + 100 * FH_MS * TEST_SLOWDOWN)
		fail_msg("stall_max %.3f ms for a wait of %.3f ms", (double)in.stall_max_ns / 1e6,
		         (double)held / 1e6);
	assert_int_equal(fh_agent_exit(p), 0);
	assert_int_equal(fh_agent_exit(c), 0);
	fh_close(obs);
}

static void test_stall_producer_spmc(void **state)
{
	(void)state;
	stall_accounting(FH_SPMC, true);
}

static void test_stall_producer_mpmc(void **state)
{
	(void)state;
	stall_accounting(FH_MPMC, true);
}

static void test_stall_producer_msgm(void **state)
{
	(void)state;
	stall_accounting(FH_MSGM, true);
}

static void test_stall_consumer_msgm(void **state)
{
	(void)state;
	stall_accounting(FH_MSGM, false);
}

static void test_stall_consumer_mpsc(void **state)
{
	(void)state;
	stall_accounting(FH_MPSC, false);
}

static void test_stall_consumer_mpmc(void **state)
{
	(void)state;
	stall_accounting(FH_MPMC, false);
}

/* --- takeover: a dead consumer's entry taken by a new one ------------------------ */

struct takeover_sh {
	_Atomic int a_peeked, b_peeked, b_release, b_done, filled, nfill;
	_Atomic int b_got, b_corrupt, b_last;
	unsigned char before[32], after[32];
};

/*
 * A message ring with many consumers (and one producer, or many): consumer A
 * peeks record 0 and is killed; consumer B, alive, peeks record 1; a third
 * process opens consumer handles until the table is full, the last taking
 * A's dead entry (its claim range goes with it). The producer then needs the
 * room: recovery releases A's record and stops at B's, so B's peek stays as
 * it was, one message is counted lost, and after B's release B receives
 * every record sent after, with no corruption reported. (Recovery used to
 * release up to the consumer position, B's held record among them.)
 */
static void takeover_round(bool mp)
{
	const char *name = test_ring_name(mp ? "takeover-mm" : "takeover-m");
	struct takeover_sh *sh = fh_shared(sizeof(*sh));
	struct shmring_opts o = {.kind = SHMRING_KIND_MSG, .slot_size = 32, .capacity = 512,
				 .recovery_ns = 20 * FH_MS,
				 .flags = SHMRING_CREATE_MULTI_CONSUMER |
					  (mp ? SHMRING_CREATE_MULTI_PRODUCER : 0)};
	unsigned char m[32];
	shmring_t *p = NULL;
	struct shmring_participant part;
	struct shmring_info in;
	pid_t a, b, f;
	int rc, sent = 0;

	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	fh_keep(p);
	for (int i = 0; i < 3; i++) {
		memset(m, 'A' + i, sizeof(m));
		assert_int_equal(shmring_msg_try_send(p, m, sizeof(m), (uint32_t)i), 0);
	}
	a = fork();
	assert_true(a >= 0);
	if (a == 0) {
		shmring_t *r;
		size_t len;

		fh_child_init(60);
		if (shmring_open(name, SHMRING_CONSUMER, &r) || !shmring_msg_peek(r, &len, NULL))
			_exit(3);
		atomic_store(&sh->a_peeked, 1);
		for (;;)
			pause();
	}
	fh_track(a);
	while (!atomic_load(&sh->a_peeked))
		fh_nap_us(100);
	b = fork();
	assert_true(b >= 0);
	if (b == 0) {
		shmring_t *r;
		size_t len;
		const unsigned char *x;

		fh_child_init(60);
		if (shmring_open(name, SHMRING_CONSUMER, &r))
			_exit(3);
		x = shmring_msg_peek(r, &len, NULL);
		if (!x || len != 32)
			_exit(4);
		memcpy(sh->before, x, 32);
		atomic_store(&sh->b_peeked, 1);
		while (!atomic_load(&sh->b_release))
			fh_nap_us(1000);
		memcpy(sh->after, x, 32); /* still held: must be unchanged */
		if (shmring_msg_release(r))
			_exit(5);
		for (;;) {
			unsigned char buf[32];
			ssize_t n = shmring_msg_recv(r, buf, sizeof(buf), NULL,
						     shmring_deadline_in(500 * FH_MS));

			if (n == -SHMRING_ECORRUPT) {
				atomic_fetch_add(&sh->b_corrupt, 1);
				break;
			}
			if (n < 0) {
				atomic_store(&sh->b_last, (int)n);
				break;
			}
			atomic_fetch_add(&sh->b_got, 1);
		}
		atomic_store(&sh->b_done, 1);
		for (;;)
			pause();
	}
	fh_track(b);
	while (!atomic_load(&sh->b_peeked))
		fh_nap_us(100);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	f = fork();
	assert_true(f >= 0);
	if (f == 0) {
		shmring_t *h;
		int n = 0;

		fh_child_init(60);
		while (n < 1000 && shmring_open(name, SHMRING_CONSUMER, &h) == 0)
			n++;
		atomic_store(&sh->nfill, n);
		atomic_store(&sh->filled, 1);
		for (;;)
			pause();
	}
	fh_track(f);
	while (!atomic_load(&sh->filled))
		fh_nap_us(100);
	assert_true(atomic_load(&sh->nfill) > 0);
	assert_false(fh_part_of(p, a, &part)); /* A's entry was taken over */
	for (int i = 0; i < 40; i++) {
		memset(m, 'a' + i % 26, sizeof(m));
		rc = shmring_msg_send(p, m, sizeof(m), 9, shmring_deadline_in(200 * FH_MS));
		if (rc)
			break;
		sent++;
	}
	assert_int_equal(rc, -ETIMEDOUT); /* B's peek and the idle handles hold the rest */
	assert_true(sent > 0);
	atomic_store(&sh->b_release, 1);
	while (!atomic_load(&sh->b_done))
		fh_nap_us(1000);
	assert_memory_equal(sh->before, sh->after, 32);
	assert_int_equal(sh->before[0], 'B');
	in = fh_info(p);
	assert_int_equal(in.cons_repairs, 1);
	assert_int_equal(atomic_load(&sh->b_corrupt), 0);
	assert_int_equal(atomic_load(&sh->b_last), -ETIMEDOUT);
	assert_int_equal(atomic_load(&sh->b_got), sent + 1); /* record 2, then ours */
}

static void test_takeover_msgm(void **state)
{
	(void)state;
	fh_limit(60);
	takeover_round(false);
	fh_cleanup();
	takeover_round(true);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest all[] = {
	    cmocka_unit_test_teardown(test_kill_producers, fh_teardown),
	    cmocka_unit_test_teardown(test_stop_mpsc, fh_teardown),
	    cmocka_unit_test_teardown(test_stop_mpmc, fh_teardown),
	    cmocka_unit_test_teardown(test_stall_producer_spmc, fh_teardown),
	    cmocka_unit_test_teardown(test_stall_producer_mpmc, fh_teardown),
	    cmocka_unit_test_teardown(test_stall_consumer_mpsc, fh_teardown),
	    cmocka_unit_test_teardown(test_stall_consumer_mpmc, fh_teardown),
	    cmocka_unit_test_teardown(test_stall_producer_msgm, fh_teardown),
	    cmocka_unit_test_teardown(test_stall_consumer_msgm, fh_teardown),
	    cmocka_unit_test_teardown(test_takeover_msgm, fh_teardown),
	};
	const struct CMUnitTest kill_only[] = {
	    cmocka_unit_test_teardown(test_kill_producers, fh_teardown),
	};

	srandom((unsigned)(test_now_ns() ^ (uint64_t)getpid()));
	if (argc > 1)
		rounds = (unsigned)strtoul(argv[1], NULL, 0);
	if (argc > 2 || rounds == 0) {
		fprintf(stderr, "usage: test_failure_recover [ROUNDS]\n");
		return 2;
	}
	if (rounds > 1)
		return cmocka_run_group_tests(kill_only, NULL, NULL);
	return cmocka_run_group_tests(all, NULL, NULL);
}
