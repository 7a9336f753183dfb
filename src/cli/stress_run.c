/* SPDX-License-Identifier: MIT */
/*
 * src/cli/stress_run.c - one `shmring stress` run: the parent creates the
 * ring and the shared result area, forks the consumers and the producers
 * (each opens the ring by name in its role), starts them together, prints
 * progress, stops the producers when the time is up, reaps every child (and
 * kills one that stopped making progress), then hands what the consumers
 * recorded to the verifier and removes the ring.
 */
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/probe.h"
#include "cli/stress.h"

#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long one blocking send or receive waits before its caller looks at
 * the control block again (stop, abort, end of the run). */
#define POLL_NS (20 * 1000 * 1000ull)
/* How long children have to open the ring and report ready. */
#define READY_NS (30 * 1000000000ull)
/* Past a consumer's own --stall, how long the parent still waits before it
 * calls a run without progress hung. */
#define HUNG_GRACE_NS (5 * 1000000000ull)
/* A consumer refreshes its "last message" time this often (in messages)
 * while messages flow without waiting, so a clock read is not per message. */
#define CLOCK_EVERY 64u

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted++;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};

	nanosleep(&ts, NULL);
}

static uint32_t load32(_Atomic uint32_t *p)
{
	return atomic_load_explicit(p, memory_order_acquire);
}

static uint64_t load64(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_acquire);
}

/* --- Sending and receiving, per kind ------------------------------------ */

struct endpoint {
	const struct shmring_stress_cfg *cfg;
	struct shmring_stress_area *a;
	shmring_t *h;
	uint8_t *buf;  /* one message; room bytes (64-byte multiple) */
	size_t room;   /* slot size, or the largest record */
	bool own_buf;  /* buf is malloc'ed (not a consumer's inbox) */
};

/* The run told this producer to stop (not an errno: -ECANCELED is
 * SHMRING_EDROPPED, a result of the send itself). */
#define STOPPED 1

/* Try first: while messages flow a send makes no clock read for its deadline.
 * 0, STOPPED, or the send's negative errno. */
static int send_one(struct endpoint *e, size_t n, uint32_t type)
{
	bool records = e->cfg->kind->records;
	int rc;

	for (;;) {
		rc = records ? shmring_msg_try_send(e->h, e->buf, n, type)
			     : shmring_try_send(e->h, e->buf);
		if (rc != -EAGAIN)
			return rc;
		rc = records ? shmring_msg_send(e->h, e->buf, n, type, shmring_deadline_in(POLL_NS))
			     : shmring_send(e->h, e->buf, shmring_deadline_in(POLL_NS));
		if (rc != -ETIMEDOUT)
			return rc;
		if (atomic_load_explicit(&e->a->ctl->stop, memory_order_relaxed) ||
		    atomic_load_explicit(&e->a->ctl->abort, memory_order_relaxed))
			return STOPPED;
	}
}

/* One message into e->buf: its length, or -ETIMEDOUT after POLL_NS, or
 * another negative errno (-EPIPE: every producer has gone and the ring is
 * drained). *waited_at is when it began to wait (0: it did not). */
static long recv_one(struct endpoint *e, uint32_t *type, uint64_t *waited_at)
{
	long rc;

	*type = 0;
	*waited_at = 0;
	if (e->cfg->kind->records) {
		rc = shmring_msg_try_recv(e->h, e->buf, e->room, type);
		if (rc == -EAGAIN) {
			*waited_at = shmring_clock_ns();
			rc = shmring_msg_recv(e->h, e->buf, e->room, type,
					      *waited_at + POLL_NS);
		}
		return rc;
	}
	rc = shmring_try_recv(e->h, e->buf);
	if (rc == -EAGAIN) {
		*waited_at = shmring_clock_ns();
		rc = shmring_recv(e->h, e->buf, *waited_at + POLL_NS);
	}
	return rc < 0 ? rc : (long)e->room;
}

/* How long a replacement consumer retries an open that finds the role
 * still held (the ring has not judged its killed predecessor dead yet). */
#define REOPEN_NS (5 * 1000000000ull)

/* A producer builds its messages in a buffer of its own; a consumer
 * receives into its inbox in the shared area (inbox: not NULL), where the
 * parent finds what it held if it is killed. */
static int endpoint_open(struct endpoint *e, const struct shmring_stress_cfg *cfg,
			 struct shmring_stress_area *a, const char *ring, unsigned role,
			 uint8_t *inbox)
{
	struct shmring_wait w = {.mode = cfg->wait_mode};
	uint64_t until = shmring_clock_ns() + REOPEN_NS;
	int rc;

	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->a = a;
	e->room = cfg->slot_size;
	e->buf = inbox ? inbox : aligned_alloc(64, (e->room + 63) / 64 * 64);
	e->own_buf = !inbox;
	if (!e->buf)
		return -ENOMEM;
	while ((rc = shmring_open(ring, role, &e->h)) == -EBUSY && shmring_clock_ns() < until)
		sleep_ns(1000000);
	if (rc == 0)
		rc = shmring_set_wait(e->h, &w);
	return rc;
}

static void endpoint_close(struct endpoint *e)
{
	shmring_close(e->h);
	if (e->own_buf)
		free(e->buf);
}

/* Ready, then wait for the parent's go; false if told to abort instead. */
static bool wait_go(struct shmring_stress_area *a)
{
	atomic_fetch_add_explicit(&a->ctl->ready, 1, memory_order_acq_rel);
	while (!load32(&a->ctl->go)) {
		if (load32(&a->ctl->abort))
			return false;
		sleep_ns(100000);
	}
	return true;
}

/* --- Children ------------------------------------------------------------ */

/* A producer whose sends keep finding no consumer (all killed, their
 * replacements not attached yet) retries this often. */
#define EPIPE_RETRY_NS (1000 * 1000ull)

static int producer_main(const struct shmring_stress_cfg *cfg, struct shmring_stress_area *a,
			 unsigned id, const char *ring)
{
	struct shmring_stress_prod *me = &a->prod[id];
	bool records = cfg->kind->records;
	struct endpoint e;
	uint64_t seq = 0;
	int rc;

	rc = endpoint_open(&e, cfg, a, ring, SHMRING_PRODUCER, NULL);
	if (rc < 0) {
		me->err = rc;
		endpoint_close(&e);
		return 1;
	}
	if (wait_go(a)) {
		while (!cfg->count || seq < cfg->count) {
			size_t n;

			if (atomic_load_explicit(&a->ctl->stop, memory_order_relaxed))
				break;
			n = shmring_stress_build(e.buf, e.room, records, cfg->seed, id, seq);
			/* Before the send, as sent is stored after it: a kill
			 * between the two leaves message seq in doubt, and the
			 * verifier asks the consumers whether it went out. */
			atomic_store_explicit(&me->trying, seq + 1, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst);
			rc = send_one(&e, n, shmring_stress_type(id, seq));
			if (rc == STOPPED)
				break;
			if (rc == -SHMRING_EDROPPED) {
				/* Our claim was repaired as if we were dead: the
				 * message was not delivered. Counted (a live
				 * process must never be repaired), then resent. */
				me->dropped_live++;
				rc = 0; /* answered: no failure if a stop comes next */
				continue;
			}
			if (rc == -EPIPE) {
				/* No consumer attached now: a killed one's
				 * replacement is on its way. */
				me->epipe++;
				sleep_ns(EPIPE_RETRY_NS);
				rc = 0;
				continue;
			}
			if (rc < 0)
				break;
			/* Release: a consumer that reads this count after
			 * producers_done knows the final total. */
			atomic_store_explicit(&me->sent, ++seq, memory_order_release);
		}
	}
	if (rc < 0)
		me->err = rc;
	/* Stopped or failed in a send: that message did not go out, and
	 * nothing is in doubt (only a kill leaves trying past sent). */
	atomic_store_explicit(&me->trying, seq, memory_order_relaxed);
	atomic_store_explicit(&me->done, 1, memory_order_release);
	/* Pairs with the consumers' acquire of producers_done: every final
	 * sent count is visible once the total reaches the producer count. */
	atomic_fetch_add_explicit(&a->ctl->producers_done, 1, memory_order_acq_rel);
	endpoint_close(&e);
	return me->err < 0 ? 1 : 0;
}

/* Everything handed out of the ring, summed over consumers. */
static uint64_t total_taken(struct shmring_stress_area *a)
{
	uint64_t t = 0;

	for (unsigned c = 0; c < a->consumers; c++)
		t += load64(&a->cons[c].taken);
	return t;
}

static uint64_t total_sent(struct shmring_stress_area *a)
{
	uint64_t t = 0;

	for (unsigned p = 0; p < a->producers; p++)
		t += load64(&a->prod[p].sent);
	return t;
}

/* The self-test fault (--inject), made by one consumer after a message is
 * received and before the verifier sees it: the first consumer to have taken
 * `at` messages claims it (a fixed consumer might get no message at all when
 * another one is faster). */
struct injector {
	enum shmring_stress_inject mode;
	uint64_t at;     /* inject at this many messages taken */
	uint64_t below;  /* reorder: hold only a sequence number below this */
	bool claimed;
	bool done;
	bool holding;    /* reorder: a message held back ... */
	uint32_t held_producer;
	uint32_t held_type;
	size_t held_n;
	uint8_t *held;   /* ... until a later one of its producer arrives */
};

static bool inject_now(struct shmring_stress_area *a, unsigned id, struct injector *in)
{
	uint32_t none = 0;

	if (!in->mode || in->done)
		return false;
	if (in->claimed)
		return true;
	if (atomic_load_explicit(&a->cons[id].taken, memory_order_relaxed) < in->at)
		return false;
	in->claimed = atomic_compare_exchange_strong_explicit(
		&a->ctl->inject_claimed, &none, id + 1, memory_order_acq_rel, memory_order_acquire);
	if (!in->claimed)
		in->done = true; /* another consumer makes it */
	return in->claimed;
}

static void injected(struct shmring_stress_area *a, struct injector *in)
{
	in->done = true;
	atomic_store_explicit(&a->ctl->injected, 1, memory_order_release);
}

static void deliver(struct endpoint *e, unsigned id, struct injector *in, size_t n, uint32_t type)
{
	struct shmring_stress_area *a = e->a;
	bool records = e->cfg->kind->records;
	uint32_t producer;
	uint64_t seq;

	if (inject_now(a, id, in)) {
		switch (in->mode) {
		case SHMRING_STRESS_INJECT_LOSE:
			injected(a, in);
			return;
		case SHMRING_STRESS_INJECT_DUP:
			injected(a, in);
			shmring_stress_record(a, id, e->buf, n, e->room, records, type);
			break;
		case SHMRING_STRESS_INJECT_TEAR:
			/* The last byte is payload, padding or (for an empty
			 * record) the checksum: all of them are checked. */
			injected(a, in);
			e->buf[n - 1] ^= 0x40;
			break;
		case SHMRING_STRESS_INJECT_REORDER:
			memcpy(&producer, e->buf, 4);
			memcpy(&seq, e->buf + 8, 8);
			if (!in->holding && seq < in->below) {
				/* Early in its producer's run, so that more of
				 * that producer's messages are still to come. */
				memcpy(in->held, e->buf, n);
				in->held_producer = producer;
				in->held_n = n;
				in->held_type = type;
				in->holding = true;
				return;
			}
			if (in->holding && producer == in->held_producer) {
				shmring_stress_record(a, id, e->buf, n, e->room, records, type);
				shmring_stress_record(a, id, in->held, in->held_n, e->room, records,
						      in->held_type);
				in->holding = false;
				injected(a, in);
				return;
			}
			break;
		default:
			break;
		}
	}
	shmring_stress_record(a, id, e->buf, n, e->room, records, type);
}

/*
 * Every producer is done (or dead): whether everything is out. Without
 * kills, when the consumers' counts reach the producers'. Once a process
 * was killed the counts may never settle (a killed producer's last message
 * may be out without being counted, a lost claim of a killed consumer never
 * comes out): then when the ring is empty, as nothing can be added to it any
 * more (a dead producer's unfinished claim still counts as in the ring until
 * a consumer that meets it has it repaired). End-of-stream (-EPIPE) ends the
 * drain too.
 */
static bool all_out(struct endpoint *e)
{
	struct shmring_stress_area *a = e->a;

	if (load32(&a->ctl->killed) == 0)
		return total_taken(a) >= total_sent(a);
	return shmring_count(e->h) == 0;
}

static int consumer_main(const struct shmring_stress_cfg *cfg, struct shmring_stress_area *a,
			 unsigned id, const char *ring, uint64_t inject_at)
{
	struct shmring_stress_cons *me = &a->cons[id];
	struct shmring_stress_journal *j = &a->journal[id];
	uint8_t *inbox = a->inbox + (size_t)id * a->inbox_stride;
	struct injector in = {.mode = cfg->inject,
			      .at = inject_at,
			      .below = cfg->count ? cfg->count / 2 + cfg->count % 2 : UINT64_MAX};
	struct endpoint e;
	uint64_t taken = 0, idle_since = 0, wait_from = 0;
	unsigned since_clock = 0;
	int rc;

	rc = endpoint_open(&e, cfg, a, ring, SHMRING_CONSUMER, inbox);
	if (rc == 0 && in.mode == SHMRING_STRESS_INJECT_REORDER && !(in.held = malloc(e.room)))
		rc = -ENOMEM;
	if (rc < 0) {
		me->err = rc;
		endpoint_close(&e);
		return 1;
	}
	if (!wait_go(a))
		goto out;
	for (;;) {
		uint32_t type;
		uint64_t waited_at;
		long n;

		if (a->journaled) {
			/* Spoil the header, so that a whole message in the
			 * inbox after a kill is one this receive brought. */
			memset(inbox, 0xff, SHMRING_STRESS_HDR);
			shmring_stress_hand(j, SHMRING_STRESS_RECEIVING);
		}
		n = recv_one(&e, &type, &waited_at);
		if (waited_at && !wait_from)
			wait_from = waited_at;
		if (n >= 0) {
			if (a->journaled) {
				j->len = (uint32_t)n;
				j->type = type;
				shmring_stress_hand(j, SHMRING_STRESS_HOLDING);
			}
			/* Published per message (own line, release): the other
			 * consumers sum these to know when everything is out. */
			atomic_store_explicit(&me->taken, ++taken, memory_order_release);
			if (wait_from || ++since_clock >= CLOCK_EVERY) {
				uint64_t now = shmring_clock_ns();

				atomic_store_explicit(&me->last_ns, now, memory_order_relaxed);
				since_clock = 0;
				/* How long this consumer was held back: a wait
				 * that ended with a message. */
				if (wait_from && now - wait_from > me->max_gap_ns)
					me->max_gap_ns = now - wait_from;
				wait_from = 0;
			}
			idle_since = 0;
			deliver(&e, id, &in, (size_t)n, type);
			continue;
		}
		if (a->journaled)
			shmring_stress_hand(j, SHMRING_STRESS_IDLE);
		if (n == -EPIPE) {
			/* End of stream: every producer has gone, and the
			 * ring is drained. */
			me->end_of_stream = 1;
			break;
		}
		if (n != -ETIMEDOUT) {
			me->err = (int32_t)n;
			break;
		}
		if (load32(&a->ctl->abort))
			break;
		if (load32(&a->ctl->producers_done) < a->producers)
			continue;
		/* Every producer is done, so the sent total is final. What
		 * is not out yet is in the ring or with another consumer
		 * that has not published its count yet. */
		if (all_out(&e))
			break;
		if (!idle_since) {
			idle_since = shmring_clock_ns();
		} else if (shmring_clock_ns() - idle_since > cfg->stall_ns) {
			/* Nothing for --stall: the rest is lost, and the
			 * verifier will say so. */
			me->drain_gave_up = 1;
			break;
		}
	}
	if (in.holding) /* no later message of that producer came: no reorder made */
		shmring_stress_record(a, id, in.held, in.held_n, e.room, cfg->kind->records,
				      in.held_type);
out:
	atomic_store_explicit(&me->done, 1, memory_order_release);
	endpoint_close(&e);
	free(in.held);
	return me->err < 0 ? 1 : 0;
}

/* --- The parent ---------------------------------------------------------- */

enum { ROLE_PRODUCER, ROLE_CONSUMER };

struct child {
	pid_t pid;
	int role;
	unsigned id;
	bool reaped;
	bool killed;     /* by the parent, as hung or on a second interrupt */
	bool faulted;    /* killed by --kill: expected, not a failure */
	uint64_t cont_at; /* stopped by --stop: SIGCONT at this time (0: running) */
};

/* One planned fault: at this fraction of the run, kill or stop someone. */
struct fault {
	double at;
	bool stop;
};

struct run {
	const struct shmring_stress_cfg *cfg;
	struct shmring_stress_result *res;
	struct shmring_stress_area a;
	struct child *kids;
	unsigned nkids, maxkids, live;
	unsigned next_consumer;   /* the slot a replacement consumer gets */
	uint64_t inject_at;
	struct fault *faults;
	unsigned nfaults, next_fault;
	uint64_t rng;
	shmring_t *obs;
	char ring[224];
};

/* Keep the first problem seen: later ones are usually its consequences. */
__attribute__((format(printf, 2, 3))) static void note(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->res->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->res->why, sizeof(r->res->why), fmt, ap);
	va_end(ap);
}

static const char *role_name(int role)
{
	return role == ROLE_PRODUCER ? "producer" : "consumer";
}

static int child_err(struct run *r, const struct child *k)
{
	return k->role == ROLE_PRODUCER ? r->a.prod[k->id].err : r->a.cons[k->id].err;
}

static int spawn_one(struct run *r, struct child *k);
static void ring_shrank(struct run *r);

/* A child's exit status when the ring's segment shrank under it (SIGBUS):
 * the parent says so once for the run, instead of every child saying it. */
#define CHILD_EXIT_SHRANK 86

/* A producer that died cannot say it is done: say it for it, so that the
 * consumers can drain and finish. */
static void producer_gone(struct run *r, const struct child *k)
{
	if (k->role == ROLE_PRODUCER &&
	    !atomic_exchange_explicit(&r->a.prod[k->id].done, 1, memory_order_acq_rel))
		atomic_fetch_add_explicit(&r->a.ctl->producers_done, 1, memory_order_acq_rel);
}

/* A consumer killed by --kill is replaced by a new one in the next slot, so
 * that the ring keeps a consumer (a single-consumer kind has no other). */
static void replace_consumer(struct run *r)
{
	struct child *k;
	int rc;

	if (load32(&r->a.ctl->abort))
		return;
	if (r->next_consumer >= r->a.consumers || r->nkids >= r->maxkids) {
		note(r, "no consumer slot left to replace a killed consumer");
		return;
	}
	k = &r->kids[r->nkids];
	*k = (struct child){.role = ROLE_CONSUMER, .id = r->next_consumer};
	rc = spawn_one(r, k);
	if (rc < 0) {
		note(r, "fork of a replacement consumer: %s", strerror(-rc));
		r->res->crashed++;
		return;
	}
	r->next_consumer++;
	r->nkids++;
}

/* Reap whatever has exited; account crashes. Returns how many were reaped. */
static unsigned reap(struct run *r, bool block)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nkids; i++) {
		struct child *k = &r->kids[i];
		int st;
		pid_t p;

		if (k->reaped)
			continue;
		p = waitpid(k->pid, &st, block ? 0 : WNOHANG);
		if (p != k->pid)
			continue;
		k->reaped = true;
		r->live--;
		n++;
		if (k->faulted && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
			/* Killed on purpose: the run goes on without it. */
			producer_gone(r, k);
			if (k->role == ROLE_CONSUMER)
				replace_consumer(r);
			continue;
		}
		if (k->killed && (r->res->aborted || r->res->shrank)) {
			continue; /* killed because the user insisted or the
				   * ring is gone, not hung */
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_EXIT_SHRANK) {
			ring_shrank(r);
			continue;
		} else if (k->killed) {
			r->res->hung++;
			note(r, "%s %u made no progress and was killed", role_name(k->role), k->id);
		} else if (WIFSIGNALED(st)) {
			r->res->crashed++;
			note(r, "%s %u was killed by signal %d (%s)", role_name(k->role), k->id,
			     WTERMSIG(st), strsignal(WTERMSIG(st)));
		} else if (WEXITSTATUS(st) != 0) {
			int err = child_err(r, k);

			r->res->crashed++;
			note(r, "%s %u failed: %s", role_name(k->role), k->id,
			     err < 0 ? shmring_strerror(err) : "exit status not 0");
		} else {
			continue;
		}
		/* The run has failed anyway: stop the other producers, and let
		 * the consumers drain what was sent. */
		producer_gone(r, k);
		atomic_store_explicit(&r->a.ctl->stop, 1, memory_order_release);
	}
	return n;
}

static void kill_all(struct run *r)
{
	for (unsigned i = 0; i < r->nkids; i++)
		if (!r->kids[i].reaped && !r->kids[i].killed) {
			kill(r->kids[i].pid, SIGKILL);
			r->kids[i].killed = true;
		}
}

/* The ring's segment shrank under the run (another process truncated it):
 * every process that touches it dies of SIGBUS, so the run stops here,
 * with no verdict on the messages. */
static void ring_shrank(struct run *r)
{
	if (r->res->shrank)
		return;
	r->res->shrank = true;
	note(r, "the ring's segment shrank under the run (SIGBUS: another process truncated "
		"it): every process stopped");
	atomic_store_explicit(&r->a.ctl->abort, 1, memory_order_release);
	kill_all(r);
}

/*
 * The parent's calls that touch the ring through its observer handle run
 * here, with a recovery point armed (cli.h): a SIGBUS ends the run by
 * ring_shrank() instead of the whole command. True if the call returned
 * (its result in *rc), false if it faulted.
 */
static bool guarded(struct run *r, int (*call)(struct run *, void *), void *arg, int *rc)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		ring_shrank(r);
		return false;
	}
	shmring_cli_bus_arm(&jb);
	*rc = call(r, arg);
	shmring_cli_bus_arm(NULL);
	return true;
}

static int call_info(struct run *r, void *in)
{
	return shmring_info(r->obs, in);
}

static int call_close(struct run *r, void *arg)
{
	(void)arg;
	return shmring_close(r->obs);
}

static int call_unlink(struct run *r, void *arg)
{
	(void)arg;
	return shmring_unlink(r->ring);
}

/* The ring's counters, unless it shrank: false if they could not be read. */
static bool obs_info(struct run *r, struct shmring_info *in)
{
	int rc;

	return !r->res->shrank && guarded(r, call_info, in, &rc) && rc == 0;
}

/*
 * The observer handle closed and, unless kept, the ring removed. A segment
 * that shrank is removed all the same: shmring_unlink() removes the name
 * whether or not the ring still opens, and is tried once more if its look
 * at the ring faulted. A handle whose close faulted is left to the
 * process's exit.
 */
static void obs_done(struct run *r, bool keep)
{
	int rc;

	guarded(r, call_close, NULL, &rc);
	r->obs = NULL;
	if (!keep && !guarded(r, call_unlink, NULL, &rc))
		guarded(r, call_unlink, NULL, &rc);
}

static void child_on_bus(int sig)
{
	(void)sig;
	_exit(CHILD_EXIT_SHRANK);
}

static void child_setup(pid_t parent)
{
	struct sigaction bus = {.sa_handler = child_on_bus};

	/* Ctrl-C reaches the whole process group, and so does the SIGTERM of
	 * timeout(1), kill -TERM -PGID or a service manager's stop: the parent
	 * alone decides how the run ends, so children ignore both (a child
	 * killed by it was blamed on the ring). If the parent dies, they must
	 * not live on, spinning on a ring nobody watches. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	sigemptyset(&bus.sa_mask);
	sigaction(SIGBUS, &bus, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

static int spawn_one(struct run *r, struct child *k)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		child_setup(parent);
		_exit(k->role == ROLE_PRODUCER
			      ? producer_main(r->cfg, &r->a, k->id, r->ring)
			      : consumer_main(r->cfg, &r->a, k->id, r->ring, r->inject_at));
	}
	k->pid = pid;
	r->live++;
	return 0;
}

static int spawn(struct run *r)
{
	unsigned i = 0;
	int rc;

	/* Consumers first, so the first messages find someone to take them. */
	for (unsigned c = 0; c < r->cfg->consumers; c++, i++)
		r->kids[i] = (struct child){.role = ROLE_CONSUMER, .id = c};
	for (unsigned p = 0; p < r->cfg->producers; p++, i++)
		r->kids[i] = (struct child){.role = ROLE_PRODUCER, .id = p};
	r->nkids = i;
	r->next_consumer = r->cfg->consumers;
	for (i = 0; i < r->nkids; i++)
		if ((rc = spawn_one(r, &r->kids[i])) < 0) {
			r->nkids = i;
			return rc;
		}
	return 0;
}

/* --- Faults (--kill, --stop) ------------------------------------------- */

static uint64_t next_rand(struct run *r)
{
	uint64_t x = (r->rng += UINT64_C(0x9e3779b97f4a7c15));

	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* A uniform double in [0, 1). */
static double uniform(struct run *r)
{
	return (double)(next_rand(r) >> 11) / 9007199254740992.0;
}

static int by_moment(const void *x, const void *y)
{
	const struct fault *a = x, *b = y;

	return (a->at > b->at) - (a->at < b->at);
}

/*
 * Random moments within the sending part of the run (between 5% and 80% of
 * it, by time with --duration and by messages sent with --count, whichever
 * is further): late enough that everyone is under way, early enough that
 * the run goes on after the last one.
 */
static int plan_faults(struct run *r)
{
	const struct shmring_stress_cfg *cfg = r->cfg;

	r->rng = cfg->seed ^ UINT64_C(0x6b696c6c73746f70);
	r->nfaults = cfg->kill + cfg->stop;
	if (!r->nfaults)
		return 0;
	r->faults = calloc(r->nfaults, sizeof(*r->faults));
	if (!r->faults)
		return -ENOMEM;
	for (unsigned i = 0; i < r->nfaults; i++)
		r->faults[i] = (struct fault){.at = 0.05 + 0.75 * uniform(r), .stop = i >= cfg->kill};
	qsort(r->faults, r->nfaults, sizeof(*r->faults), by_moment);
	return 0;
}

static double run_fraction(struct run *r, uint64_t now)
{
	const struct shmring_stress_cfg *cfg = r->cfg;
	double f = 0;

	if (cfg->duration_ns)
		f = (double)(now - r->a.ctl->start_ns) / (double)cfg->duration_ns;
	if (cfg->count) {
		double g = (double)total_sent(&r->a) / ((double)cfg->count * cfg->producers);

		if (g > f)
			f = g;
	}
	return f;
}

/* Someone to hit now, at random: a live child of a victim role that is still
 * at work (a producer not done, a consumer not done) and, for a stop, not
 * stopped already. NULL if there is none. */
static struct child *pick_victim(struct run *r, bool stop)
{
	struct child *cand[SHMRING_STRESS_MAX_PRODUCERS + SHMRING_STRESS_MAX_CONSUMERS];
	unsigned n = 0;

	for (unsigned i = 0; i < r->nkids && n < sizeof(cand) / sizeof(cand[0]); i++) {
		struct child *k = &r->kids[i];
		bool prod = k->role == ROLE_PRODUCER;

		if (k->reaped || k->killed || k->faulted || (stop && k->cont_at))
			continue;
		if (!(r->cfg->victims & (prod ? SHMRING_PRODUCER : SHMRING_CONSUMER)))
			continue;
		if (prod ? load32(&r->a.prod[k->id].done) : load32(&r->a.cons[k->id].done))
			continue;
		cand[n++] = k;
	}
	return n ? cand[next_rand(r) % n] : NULL;
}

static void fault(struct run *r, bool stop, uint64_t now)
{
	struct child *k = pick_victim(r, stop);
	uint64_t max = r->cfg->stop_max_ns, pause;

	if (!k) {
		r->res->faults_missed++;
		return;
	}
	if (stop) {
		pause = max / 10 + (uint64_t)((double)(max - max / 10) * uniform(r));
		if (kill(k->pid, SIGSTOP) == 0) {
			k->cont_at = now + (pause ? pause : 1);
			r->res->stopped++;
		}
		return;
	}
	/* Counted before the kill: a consumer that sees the count knows the
	 * totals may not settle any more (see all_out()). */
	atomic_fetch_add_explicit(&r->a.ctl->killed, 1, memory_order_acq_rel);
	if (kill(k->pid, SIGKILL) == 0) {
		k->faulted = true;
		k->cont_at = 0;
		r->res->killed++;
		if (k->role == ROLE_PRODUCER)
			r->res->killed_producers++;
		else
			r->res->killed_consumers++;
	}
}

/* Make the faults whose moment has come, and resume the stopped whose pause
 * is over: a pause runs whole, into the drain too (docs/STRESS.md), and
 * --timeout leaves room for it. */
static void faults(struct run *r, uint64_t now)
{
	bool ending = load32(&r->a.ctl->stop);

	for (unsigned i = 0; i < r->nkids; i++) {
		struct child *k = &r->kids[i];

		if (k->cont_at && (now >= k->cont_at || k->reaped)) {
			if (!k->reaped)
				kill(k->pid, SIGCONT);
			k->cont_at = 0;
		}
	}
	while (r->next_fault < r->nfaults) {
		struct fault *f = &r->faults[r->next_fault];

		if (ending) {
			r->res->faults_missed++; /* the run ended first */
		} else if (run_fraction(r, now) >= f->at) {
			fault(r, f->stop, now);
		} else {
			break;
		}
		r->next_fault++;
	}
}

/* --- The parent's loop ---------------------------------------------------- */

static void human(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

static void progress(struct run *r, uint64_t now, uint64_t *last_ns, uint64_t *last_taken)
{
	struct shmring_info in;
	uint64_t taken = total_taken(&r->a), sent = total_sent(&r->a);
	char s[32], t[32], rate[32], extra[128] = "";

	if (!obs_info(r, &in))
		memset(&in, 0, sizeof(in));
	human(s, sizeof(s), (double)sent);
	human(t, sizeof(t), (double)taken);
	human(rate, sizeof(rate), (double)(taken - *last_taken) * 1e9 / (double)(now - *last_ns));
	if (r->nfaults)
		snprintf(extra, sizeof(extra), "  faults: killed %u, stopped %u", r->res->killed,
			 r->res->stopped);
	if (in.stall_ns)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "  stall: %s held back %.1f ms by pid %u",
			 in.stall_side == SHMRING_PRODUCER ? "producers" : "consumers",
			 (double)in.stall_ns / 1e6, in.stall_pid);
	fprintf(stderr,
		"shmring stress: %5.1fs  sent %s  received %s  %s msg/s  waits: full %" PRIu64
		", empty %" PRIu64 ", wakes %" PRIu64 "%s\n",
		(double)(now - r->a.ctl->start_ns) / 1e9, s, t, rate, in.full_waits,
		in.empty_waits, in.wakes, extra);
	*last_ns = now;
	*last_taken = taken;
}

/* Start everyone together: all children ready (or one failed) first. */
static int start(struct run *r)
{
	uint64_t until = shmring_clock_ns() + READY_NS;

	while (load32(&r->a.ctl->ready) < r->nkids) {
		if (reap(r, false) || interrupted || shmring_clock_ns() > until) {
			r->res->interrupted = interrupted != 0;
			note(r, "%s", interrupted ? "interrupted before the start"
						  : "children did not start in time");
			return interrupted ? -EINTR : -ECHILD;
		}
		sleep_ns(1000000);
	}
	r->a.ctl->start_ns = shmring_clock_ns();
	/* Release: start_ns is visible to whoever sees go. */
	atomic_store_explicit(&r->a.ctl->go, 1, memory_order_release);
	return 0;
}

static void watch(struct run *r)
{
	const struct shmring_stress_cfg *cfg = r->cfg;
	uint64_t t0 = r->a.ctl->start_ns, last_print = t0, last_taken = 0;
	uint64_t last_move = t0, moved = 0;
	sig_atomic_t seen = 0;

	while (r->live) {
		uint64_t now, m;

		sleep_ns(10000000);
		reap(r, false);
		now = shmring_clock_ns();
		if (cfg->duration_ns && now - t0 >= cfg->duration_ns)
			atomic_store_explicit(&r->a.ctl->stop, 1, memory_order_release);
		if (interrupted != seen) {
			seen = interrupted;
			r->res->interrupted = true;
			/* First: stop producing and drain, so the verdict
			 * still covers what was sent. Second: give up now. */
			atomic_store_explicit(&r->a.ctl->stop, 1, memory_order_release);
			if (seen > 1) {
				r->res->aborted = true;
				note(r, "interrupted twice: children killed, no verdict");
				atomic_store_explicit(&r->a.ctl->abort, 1, memory_order_release);
				kill_all(r);
			}
		}
		faults(r, now);
		m = total_sent(&r->a) + total_taken(&r->a);
		if (m != moved) {
			moved = m;
			last_move = now;
		} else if (now - last_move > cfg->stall_ns + HUNG_GRACE_NS) {
			note(r, "no message moved for %.1f s: %u process(es) hung, killed",
			     (double)(now - last_move) / 1e9, r->live);
			kill_all(r);
		}
		if (cfg->timeout_ns && now - t0 > cfg->timeout_ns) {
			note(r, "the run passed its --timeout of %.1f s: %u process(es) killed",
			     (double)cfg->timeout_ns / 1e9, r->live);
			kill_all(r);
		}
		if (!cfg->quiet && now - last_print >= 1000000000u)
			progress(r, now, &last_print, &last_taken);
	}
	/* Everyone finished before these moments came. */
	r->res->faults_missed += r->nfaults - r->next_fault;
	r->next_fault = r->nfaults;
}

static int make_name(const struct shmring_stress_cfg *cfg, char *out, size_t len)
{
	static unsigned serial;
	int n;

	if (cfg->name)
		n = snprintf(out, len, "%s", cfg->name);
	else
		n = snprintf(out, len, "/shmring-stress-%ld-%u", (long)getpid(), serial++);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Whether name is a ring that participants attached to once and none of
 * whose participants is alive (what `shmring gc` removes). One found live
 * is looked at again for half a second: the children of a run killed just
 * now die with it (PR_SET_PDEATHSIG), but not all in the same instant. */
static bool stale_ring(const char *name)
{
	for (int i = 0;; i++) {
		struct shmring_cli_look lk;
		enum shmring_cli_use use;
		bool ring;

		shmring_cli_look(name, &lk);
		ring = lk.what == SHMRING_CLI_RING;
		use = lk.use;
		shmring_cli_look_done(&lk);
		if (!ring || use != SHMRING_CLI_LIVE || i == 10)
			return ring && use == SHMRING_CLI_STALE;
		nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
	}
}

static int create_ring(struct run *r)
{
	const struct shmring_stress_cfg *cfg = r->cfg;
	int rc;
	struct shmring_opts o = {.kind = cfg->kind->kind,
				 .slot_size = cfg->slot_size,
				 .capacity = cfg->capacity,
				 .recovery_ns = cfg->recovery_ns};

	/* Only the msg kind takes these; a fixed kind's roles come with it.
	 * (The replacement of a killed consumer needs no flag: it takes the
	 * single consumer's role over once the ring judges the killed one
	 * dead, see endpoint_open().) */
	if (cfg->kind->records && cfg->producers > 1)
		o.flags |= SHMRING_CREATE_MULTI_PRODUCER;
	if (cfg->kind->records && cfg->consumers > 1)
		o.flags |= SHMRING_CREATE_MULTI_CONSUMER;

	rc = shmring_create(r->ring, &o, SHMRING_OBSERVER, &r->obs);
	if (rc == -EEXIST && cfg->name && stale_ring(r->ring)) {
		/* A run killed (SIGKILL) on this name could not remove its
		 * ring: its processes are all dead, so the ring is nobody's. */
		fprintf(stderr,
		        "shmring stress: %s: replacing a stale ring (no participant "
		        "is alive)\n",
		        r->ring);
		o.flags |= SHMRING_CREATE_REPLACE;
		rc = shmring_create(r->ring, &o, SHMRING_OBSERVER, &r->obs);
	}
	return rc;
}

static void finish(struct run *r)
{
	const struct shmring_stress_cfg *cfg = r->cfg;
	struct shmring_stress_result *res = r->res;
	struct shmring_stress_ring_counts counts = {0};
	struct shmring_info in;
	uint64_t last = r->a.ctl->start_ns;

	res->sent = total_sent(&r->a);
	res->taken = total_taken(&r->a);
	res->consumer_slots = r->next_consumer;
	for (unsigned c = 0; c < r->a.consumers; c++) {
		uint64_t l = load64(&r->a.cons[c].last_ns);

		res->per_consumer[c] = load64(&r->a.cons[c].taken);
		res->drain_gave_up += r->a.cons[c].drain_gave_up;
		res->end_of_stream += r->a.cons[c].end_of_stream;
		if (r->a.cons[c].max_gap_ns > res->longest_gap_ns)
			res->longest_gap_ns = r->a.cons[c].max_gap_ns;
		if (l > last)
			last = l;
	}
	res->seconds = (double)(last - r->a.ctl->start_ns) / 1e9;
	res->msgs_per_s = res->seconds > 0 ? (double)res->taken / res->seconds : 0;
	memset(&in, 0, sizeof(in));
	if (obs_info(r, &in)) {
		res->full_waits = in.full_waits;
		res->empty_waits = in.empty_waits;
		res->wakes = in.wakes;
		res->prod_repairs = in.prod_repairs;
		res->cons_repairs = in.cons_repairs;
		res->skipped = in.skipped;
		res->cancelled = in.cancelled;
		res->reaped = in.reaped;
		res->stall_max_ns = in.stall_max_ns;
		res->ring_counts = true;
		counts = (struct shmring_stress_ring_counts){
			.known = true,
			.deaths = res->killed || res->crashed || res->hung,
			.prod_repairs = in.prod_repairs,
			.cons_repairs = in.cons_repairs,
			.skipped = in.skipped,
			.cancelled = in.cancelled,
			/* A fixed kind with many consumers claims always; a msg
			 * ring only when made for many. */
			.consumer_claims = cfg->kind->records ? cfg->consumers > 1
							      : cfg->kind->multi_cons,
		};
	}
	/* What killed consumers had in hand, first: it is recorded for them. */
	res->salvaged = shmring_stress_salvage(&r->a, cfg->slot_size, cfg->kind->records);
	shmring_stress_verify(&r->a, cfg->slot_size, cfg->kind->records, &counts, res);
	res->injected = load32(&r->a.ctl->injected);
	if (cfg->inject && !res->injected) {
		/* A self-test that tested nothing must not pass. */
		res->inject_missed = true;
		note(r, "--inject: no consumer got to make the fault (too few messages?)");
	}
	if (res->lost || res->duplicated || res->out_of_order || res->torn || res->invalid) {
		/* The verdict itself goes first, unless a process failed: that
		 * is most likely the cause, so it keeps the front. */
		size_t at = strlen(res->why);

		snprintf(res->why + at, sizeof(res->why) - at,
			 "%s%" PRIu64 " lost, %" PRIu64 " duplicated, %" PRIu64 " out of order, %" PRIu64
			 " torn, %" PRIu64 " invalid",
			 at ? "; " : "", res->lost, res->duplicated, res->out_of_order, res->torn, res->invalid);
	} else if (res->live_repaired) {
		note(r, "%" PRIu64 " claim(s) of live processes were repaired as if they had died",
		     res->live_repaired);
	} else if (res->repair_mismatch) {
		note(r, "the ring counted %" PRIu64 " repair(s) more than messages went missing "
			"(producer repairs %" PRIu64 ", consumer repairs %" PRIu64 ", skipped %" PRIu64
			")", res->repair_mismatch, res->prod_repairs, res->cons_repairs, res->skipped);
	} else if (res->drain_gave_up) {
		note(r, "%u consumer(s) waited --stall for messages that never came",
		     res->drain_gave_up);
	} else if (!res->killed && res->taken != res->sent) {
		note(r, "consumers took %" PRIu64 " messages out of the ring, producers sent %" PRIu64,
		     res->taken, res->sent);
	} else if (res->killed && res->recorded + res->dropped != res->sent) {
		note(r, "%" PRIu64 " sent, but %" PRIu64 " verified and %" PRIu64 " dropped by "
			"repairs", res->sent, res->recorded, res->dropped);
	}
}

int shmring_stress_run(const struct shmring_stress_cfg *cfg, struct shmring_stress_result *res)
{
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_hup, old_pipe;
	struct run r = {.cfg = cfg, .res = res, .inject_at = 100};
	unsigned slots = shmring_stress_consumer_slots(cfg);
	int rc;

	memset(res, 0, sizeof(*res));
	rc = make_name(cfg, r.ring, sizeof(r.ring));
	if (rc < 0) {
		snprintf(res->why, sizeof(res->why), "ring name too long");
		return res->setup_err = rc;
	}
	snprintf(res->ring, sizeof(res->ring), "%s", r.ring);
	r.maxkids = cfg->producers + slots;
	r.kids = calloc(r.maxkids, sizeof(*r.kids));
	rc = r.kids ? plan_faults(&r) : -ENOMEM;
	if (rc == 0)
		/* Journals only when a consumer may be killed: they cost a few
		 * stores per message. */
		rc = shmring_stress_area_map(&r.a, cfg->producers, slots,
					     shmring_stress_bitmap_bits(cfg), cfg->seed,
					     cfg->slot_size,
					     cfg->kill && (cfg->victims & SHMRING_CONSUMER));
	if (rc < 0) {
		free(r.kids);
		free(r.faults);
		snprintf(res->why, sizeof(res->why), "cannot map the result area: %s",
			 shmring_strerror(rc));
		return res->setup_err = rc;
	}
	rc = create_ring(&r);
	if (rc < 0) {
		char buf[256];
		const char *why = NULL;

		/* The library's "invalid argument" for a malformed --name,
		 * said precisely (the sizes were checked before). */
		if (rc == -EINVAL || rc == -EPROTONOSUPPORT)
			why = shmring_cli_name_problem(r.ring, buf, sizeof(buf));
		snprintf(res->why, sizeof(res->why), "cannot create %s: %s", r.ring,
			 why ? why : shmring_strerror(rc));
		goto out;
	}
	/* Early, while every producer is still sending; and at most the total
	 * over the consumer count, which the busiest consumer surely takes. */
	if (cfg->count) {
		uint64_t per = cfg->count * cfg->producers / cfg->consumers / 4;

		r.inject_at = per < 1 ? 1 : per < r.inject_at ? per : r.inject_at;
	}
	interrupted = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	/* Whoever read our output went away (`shmring stress | head`): end
	 * the run as an interrupt does, so that the ring is still removed. */
	sigaction(SIGPIPE, &sa, &old_pipe);
	rc = spawn(&r);
	if (rc < 0)
		snprintf(res->why, sizeof(res->why), "fork: %s", strerror(-rc));
	else
		rc = start(&r);
	if (rc < 0) {
		atomic_store_explicit(&r.a.ctl->abort, 1, memory_order_release);
		kill_all(&r);
		while (r.live)
			reap(&r, true);
	} else {
		watch(&r);
		finish(&r);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	obs_done(&r, cfg->keep);
out:
	shmring_stress_area_unmap(&r.a);
	free(r.kids);
	free(r.faults);
	if (rc < 0)
		res->setup_err = rc;
	return rc;
}

bool shmring_stress_clean(const struct shmring_stress_result *res)
{
	bool ok = !res->setup_err && !res->lost && !res->duplicated && !res->out_of_order &&
		  !res->torn && !res->invalid && !res->crashed && !res->hung &&
		  !res->drain_gave_up && !res->inject_missed && !res->aborted && !res->shrank &&
		  !res->repair_mismatch && !res->live_repaired;

	/* Without kills every message taken is verified and every one sent is
	 * taken; with them, every one sent is verified or dropped with a
	 * dead consumer's claim (as the ring counted). */
	if (!res->killed)
		return ok && res->taken == res->sent && res->recorded == res->taken;
	return ok && res->recorded + res->dropped == res->sent;
}
