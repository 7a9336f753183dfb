/* SPDX-License-Identifier: MIT */
/*
 * src/cli/stress_run.c - one `shmring stress` run: the parent creates the
 * ring and the shared result area, forks the consumers and the producers
 * (each opens the ring by name in its role), starts them together, prints
 * progress, stops the producers when the time is up, reaps every child (and
 * kills one that stopped making progress), then hands what the consumers
 * recorded to the verifier and removes the ring.
 */
#include "cli/stress.h"

#include <inttypes.h>
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
};

/* Try first: while messages flow a send makes no clock read for its deadline. */
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
			return -ECANCELED;
	}
}

/* One message into e->buf: its length, or -ETIMEDOUT after POLL_NS, or
 * another negative errno. *waited says whether it had to wait. */
static long recv_one(struct endpoint *e, uint32_t *type, bool *waited)
{
	long rc;

	*type = 0;
	*waited = false;
	if (e->cfg->kind->records) {
		rc = shmring_msg_try_recv(e->h, e->buf, e->room, type);
		if (rc == -EAGAIN) {
			*waited = true;
			rc = shmring_msg_recv(e->h, e->buf, e->room, type,
					      shmring_deadline_in(POLL_NS));
		}
		return rc;
	}
	rc = shmring_try_recv(e->h, e->buf);
	if (rc == -EAGAIN) {
		*waited = true;
		rc = shmring_recv(e->h, e->buf, shmring_deadline_in(POLL_NS));
	}
	return rc < 0 ? rc : (long)e->room;
}

static int endpoint_open(struct endpoint *e, const struct shmring_stress_cfg *cfg,
			 struct shmring_stress_area *a, const char *ring, unsigned role)
{
	struct shmring_wait w = {.mode = cfg->wait_mode};
	int rc;

	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->a = a;
	e->room = cfg->slot_size;
	e->buf = aligned_alloc(64, (e->room + 63) / 64 * 64);
	if (!e->buf)
		return -ENOMEM;
	rc = shmring_open(ring, role, &e->h);
	if (rc == 0)
		rc = shmring_set_wait(e->h, &w);
	return rc;
}

static void endpoint_close(struct endpoint *e)
{
	shmring_close(e->h);
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

static int producer_main(const struct shmring_stress_cfg *cfg, struct shmring_stress_area *a,
			 unsigned id, const char *ring)
{
	struct shmring_stress_prod *me = &a->prod[id];
	bool records = cfg->kind->records;
	struct endpoint e;
	uint64_t seq = 0;
	int rc;

	rc = endpoint_open(&e, cfg, a, ring, SHMRING_PRODUCER);
	if (rc < 0) {
		me->err = rc;
		endpoint_close(&e);
		return 1;
	}
	if (wait_go(a)) {
		for (; !cfg->count || seq < cfg->count; seq++) {
			size_t n;

			if (atomic_load_explicit(&a->ctl->stop, memory_order_relaxed))
				break;
			n = shmring_stress_build(e.buf, e.room, records, cfg->seed, id, seq);
			rc = send_one(&e, n, shmring_stress_type(id, seq));
			if (rc < 0)
				break;
			/* Release: a consumer that reads this count after
			 * producers_done knows the final total. */
			atomic_store_explicit(&me->sent, seq + 1, memory_order_release);
		}
	}
	if (rc < 0 && rc != -ECANCELED)
		me->err = rc;
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

static int consumer_main(const struct shmring_stress_cfg *cfg, struct shmring_stress_area *a,
			 unsigned id, const char *ring, uint64_t inject_at)
{
	struct shmring_stress_cons *me = &a->cons[id];
	struct injector in = {.mode = cfg->inject,
			      .at = inject_at,
			      .below = cfg->count ? (cfg->count + 1) / 2 : UINT64_MAX};
	struct endpoint e;
	uint64_t taken = 0, idle_since = 0;
	unsigned since_clock = 0;
	int rc;

	rc = endpoint_open(&e, cfg, a, ring, SHMRING_CONSUMER);
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
		bool waited;
		long n = recv_one(&e, &type, &waited);

		if (n >= 0) {
			/* Published per message (own line, release): the other
			 * consumers sum these to know when everything is out. */
			atomic_store_explicit(&me->taken, ++taken, memory_order_release);
			if (waited || ++since_clock >= CLOCK_EVERY) {
				atomic_store_explicit(&me->last_ns, shmring_clock_ns(),
						      memory_order_relaxed);
				since_clock = 0;
			}
			idle_since = 0;
			deliver(&e, id, &in, (size_t)n, type);
			continue;
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
		if (total_taken(a) >= total_sent(a))
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
	bool killed;
};

struct run {
	const struct shmring_stress_cfg *cfg;
	struct shmring_stress_result *res;
	struct shmring_stress_area a;
	struct child *kids;
	unsigned nkids, live;
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
		if (k->killed && r->res->aborted) {
			continue; /* killed because the user insisted, not hung */
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
		/* A producer that died cannot say it is done: say it for it, so
		 * the consumers can drain and finish; and stop the others, as
		 * the run has failed anyway. */
		if (k->role == ROLE_PRODUCER &&
		    !atomic_exchange_explicit(&r->a.prod[k->id].done, 1, memory_order_acq_rel))
			atomic_fetch_add_explicit(&r->a.ctl->producers_done, 1,
						  memory_order_acq_rel);
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

static void child_setup(pid_t parent)
{
	/* Ctrl-C reaches the whole process group: the parent alone decides
	 * how the run ends, so children ignore it. If the parent dies, they
	 * must not live on, spinning on a ring nobody watches. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

static int spawn(struct run *r, uint64_t inject_at)
{
	pid_t parent = getpid();
	unsigned i = 0;

	/* Consumers first, so the first messages find someone to take them. */
	for (unsigned c = 0; c < r->cfg->consumers; c++, i++)
		r->kids[i] = (struct child){.role = ROLE_CONSUMER, .id = c};
	for (unsigned p = 0; p < r->cfg->producers; p++, i++)
		r->kids[i] = (struct child){.role = ROLE_PRODUCER, .id = p};
	fflush(NULL);
	for (i = 0; i < r->nkids; i++) {
		struct child *k = &r->kids[i];
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (pid == 0) {
			child_setup(parent);
			_exit(k->role == ROLE_PRODUCER
				      ? producer_main(r->cfg, &r->a, k->id, r->ring)
				      : consumer_main(r->cfg, &r->a, k->id, r->ring, inject_at));
		}
		k->pid = pid;
		r->live++;
	}
	return 0;
}

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
	char s[32], t[32], rate[32];

	if (shmring_info(r->obs, &in) < 0)
		memset(&in, 0, sizeof(in));
	human(s, sizeof(s), (double)sent);
	human(t, sizeof(t), (double)taken);
	human(rate, sizeof(rate), (double)(taken - *last_taken) * 1e9 / (double)(now - *last_ns));
	fprintf(stderr,
		"shmring stress: %5.1fs  sent %s  received %s  %s msg/s  waits: full %" PRIu64
		", empty %" PRIu64 ", wakes %" PRIu64 "\n",
		(double)(now - r->a.ctl->start_ns) / 1e9, s, t, rate, in.full_waits,
		in.empty_waits, in.wakes);
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

static int create_ring(struct run *r)
{
	const struct shmring_stress_cfg *cfg = r->cfg;
	struct shmring_opts o = {
		.kind = cfg->kind->kind, .slot_size = cfg->slot_size, .capacity = cfg->capacity};

	/* Only the msg kind takes these; a fixed kind's roles come with it. */
	if (cfg->kind->records && cfg->producers > 1)
		o.flags |= SHMRING_CREATE_MULTI_PRODUCER;
	if (cfg->kind->records && cfg->consumers > 1)
		o.flags |= SHMRING_CREATE_MULTI_CONSUMER;

	return shmring_create(r->ring, &o, SHMRING_OBSERVER, &r->obs);
}

static void finish(struct run *r)
{
	struct shmring_stress_result *res = r->res;
	struct shmring_info in;
	uint64_t last = r->a.ctl->start_ns;

	res->sent = total_sent(&r->a);
	res->taken = total_taken(&r->a);
	for (unsigned c = 0; c < r->a.consumers; c++) {
		uint64_t l = load64(&r->a.cons[c].last_ns);

		res->per_consumer[c] = load64(&r->a.cons[c].taken);
		res->drain_gave_up += r->a.cons[c].drain_gave_up;
		if (l > last)
			last = l;
	}
	res->seconds = (double)(last - r->a.ctl->start_ns) / 1e9;
	res->msgs_per_s = res->seconds > 0 ? (double)res->taken / res->seconds : 0;
	if (shmring_info(r->obs, &in) == 0) {
		res->full_waits = in.full_waits;
		res->empty_waits = in.empty_waits;
		res->wakes = in.wakes;
	}
	shmring_stress_verify(&r->a, res);
	res->injected = load32(&r->a.ctl->injected);
	if (r->cfg->inject && !res->injected) {
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
	} else if (res->drain_gave_up) {
		note(r, "%u consumer(s) waited --stall for messages that never came",
		     res->drain_gave_up);
	} else if (res->taken != res->sent) {
		note(r, "consumers took %" PRIu64 " messages out of the ring, producers sent %" PRIu64,
		     res->taken, res->sent);
	}
}

int shmring_stress_run(const struct shmring_stress_cfg *cfg, struct shmring_stress_result *res)
{
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_hup;
	struct run r = {.cfg = cfg, .res = res};
	uint64_t inject_at = 100;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = make_name(cfg, r.ring, sizeof(r.ring));
	if (rc < 0) {
		snprintf(res->why, sizeof(res->why), "ring name too long");
		return res->setup_err = rc;
	}
	snprintf(res->ring, sizeof(res->ring), "%s", r.ring);
	r.nkids = cfg->producers + cfg->consumers;
	r.kids = calloc(r.nkids, sizeof(*r.kids));
	rc = r.kids ? shmring_stress_area_map(&r.a, cfg->producers, cfg->consumers,
					      shmring_stress_bitmap_bits(cfg), cfg->seed)
		    : -ENOMEM;
	if (rc < 0) {
		free(r.kids);
		snprintf(res->why, sizeof(res->why), "cannot map the result area: %s",
			 shmring_strerror(rc));
		return res->setup_err = rc;
	}
	rc = create_ring(&r);
	if (rc < 0) {
		snprintf(res->why, sizeof(res->why), "cannot create %s: %s", r.ring,
			 shmring_strerror(rc));
		goto out;
	}
	/* Early, while every producer is still sending; and at most the total
	 * over the consumer count, which the busiest consumer surely takes. */
	if (cfg->count) {
		uint64_t per = cfg->count * cfg->producers / cfg->consumers / 4;

		inject_at = per < 1 ? 1 : per < inject_at ? per : inject_at;
	}
	interrupted = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	rc = spawn(&r, inject_at);
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
	shmring_close(r.obs);
	if (!cfg->keep)
		shmring_unlink(r.ring);
out:
	shmring_stress_area_unmap(&r.a);
	free(r.kids);
	if (rc < 0)
		res->setup_err = rc;
	return rc;
}

bool shmring_stress_clean(const struct shmring_stress_result *res)
{
	return !res->setup_err && !res->lost && !res->duplicated && !res->out_of_order &&
	       !res->torn && !res->invalid && !res->crashed && !res->hung && !res->drain_gave_up &&
	       !res->inject_missed && !res->aborted &&
	       res->taken == res->sent && res->recorded == res->taken;
}
