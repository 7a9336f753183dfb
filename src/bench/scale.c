/* SPDX-License-Identifier: MIT */
/*
 * src/bench/scale.c - one scaling measurement (many producer processes, one
 * or more consumer processes, the parent orchestrating), and the whole
 * `--scaling` run with its floor brackets. See scale.h for the protocol.
 */
#include <errno.h>
#include <sched.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pair.h"
#include "payload.h"
#include "scale.h"
#include "timing.h"

#define MAXP SHMRING_BENCH_SCALE_MAX_PRODUCERS
#define MAXC SHMRING_BENCH_SCALE_MAX_CONSUMERS
#define SEQ_MASK ((UINT64_C(1) << SHMRING_BENCH_SCALE_ID_SHIFT) - 1)
/* Slack on top of warm-up and window before a child or the drain is stuck. */
#define SLACK_S 10u

enum { ST_STARTING, ST_READY, ST_DONE, ST_FAILED };
enum { PH_WARM, PH_RUN, PH_STOP };

/* What one child reports. Written by that child only, read by the parent
 * after the child's final release of state. */
struct child {
	alignas(128) _Atomic uint32_t state;
	int32_t err;
	uint64_t cpu_ns; /* CPU time between its RUN and STOP observations */
	uint64_t msgs;   /* consumer: received in that span */
	uint64_t sent;   /* producer: messages sent in all, numbered 1..sent */
	char why[SHMRING_BENCH_WHY];
};

struct tally {
	uint64_t count, sum;
};

/* The page every process of one measurement maps. Words that one process
 * writes while others poll sit on their own 128-byte spans. */
struct ctl {
	alignas(128) _Atomic uint32_t ready;      /* children attached */
	alignas(128) _Atomic uint32_t go;         /* parent: start */
	alignas(128) _Atomic uint32_t phase;      /* parent: PH_* */
	alignas(128) _Atomic uint32_t abort;      /* anyone: give up now */
	alignas(128) _Atomic uint32_t prod_done;  /* producers finished */
	alignas(128) _Atomic uint64_t sent_total; /* producers: sum of sent */
	alignas(128) _Atomic uint64_t recv_total; /* consumers, during the drain */
	alignas(128) _Atomic uint32_t draining;   /* consumers in their drain */
	alignas(128) _Atomic uint32_t cutoff;     /* parent: the drain took too long */
	uint64_t still_ns; /* set before fork: see DRAIN_STILL_NS */
	struct child child[MAXP + MAXC];          /* producers, then consumers */
	struct tally tally[MAXC][MAXP];           /* consumer c, producer p */
};

bool shmring_bench_scale_give_up(const struct shmring_bench_scale_end *e)
{
	const struct ctl *ctl = e->ctl;

	if (shmring_bench_expired)
		return true;
	/* Relaxed: a hint to stop waiting; whoever acts on it re-reads with
	 * acquire where data depends on it (the drain below). */
	if (atomic_load_explicit(&ctl->abort, memory_order_relaxed))
		return true;
	return !e->producer &&
	       atomic_load_explicit(&ctl->prod_done, memory_order_relaxed) == e->producers;
}

static unsigned watchdog_s(const struct shmring_bench_cfg *cfg)
{
	return (unsigned)((cfg->warm_ns + cfg->run_ns) / 1000000000u) + SLACK_S;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------- children */

static _Noreturn void child_exit(struct ctl *ctl, struct child *me, int err)
{
	if (err) {
		me->err = err;
		/* Release: the reason above is read after FAILED; and everyone
		 * else stops waiting for this process. */
		atomic_store_explicit(&me->state, ST_FAILED, memory_order_release);
		atomic_store_explicit(&ctl->abort, 1, memory_order_release);
		_exit(1);
	}
	/* Release: the figures and tallies written before are read after DONE. */
	atomic_store_explicit(&me->state, ST_DONE, memory_order_release);
	_exit(0);
}

static int produce(struct shmring_bench_scale_end *e, struct ctl *ctl, struct child *me)
{
	const struct shmring_bench_scale_mech *m = e->mech;
	void *msg = shmring_bench_payload_new(e->size);
	const uint64_t id = (uint64_t)e->index << SHMRING_BENCH_SCALE_ID_SHIFT;
	uint32_t seen = PH_WARM;
	uint64_t seq = 1, cpu0 = 0;
	int rc = 0;

	if (!msg)
		return -ENOMEM;
	for (;;) {
		/* Relaxed: the phase only says when to read the CPU clock and
		 * when to stop; no data travels with it. */
		uint32_t ph = atomic_load_explicit(&ctl->phase, memory_order_relaxed);

		if (ph != seen) {
			if (seen == PH_WARM)
				cpu0 = shmring_bench_cpu_ns();
			if (ph == PH_STOP) {
				me->cpu_ns = shmring_bench_cpu_ns() - cpu0;
				break;
			}
			seen = ph;
		}
		shmring_bench_payload_stamp(msg, e->size, id | seq);
		rc = m->send(e, msg);
		if (rc) {
			shmring_bench_say(me->why, sizeof(me->why),
			                  "producer %u: send of message %llu: %s", e->index,
			                  (unsigned long long)seq, shmring_bench_err_text(rc));
			break;
		}
		seq++;
	}
	free(msg);
	me->sent = seq - 1;
	if (rc)
		return rc;
	/* Relaxed: read by consumers only after the release below. */
	atomic_fetch_add_explicit(&ctl->sent_total, me->sent, memory_order_relaxed);
	/* Release: pairs with the consumers' acquire in drain(); every message
	 * sent and sent_total are in place before the count says so. */
	atomic_fetch_add_explicit(&ctl->prod_done, 1, memory_order_release);
	return 0;
}

struct consumer {
	uint64_t last[MAXP];
	struct tally tally[MAXP];
	uint64_t count;
};

static int check(const struct shmring_bench_scale_end *e, struct consumer *k, const void *msg,
		 char *why, size_t wl)
{
	uint64_t tag = shmring_bench_payload_seq(msg);
	uint64_t id = tag >> SHMRING_BENCH_SCALE_ID_SHIFT, seq = tag & SEQ_MASK;

	if (id >= e->producers) {
		shmring_bench_say(why, wl, "consumer %u: a message names producer %llu of %u",
		                  e->index, (unsigned long long)id, e->producers);
		return -EBADMSG;
	}
	if (e->consumers == 1 ? seq != k->last[id] + 1 : seq <= k->last[id]) {
		shmring_bench_say(
		    why, wl,
		    "consumer %u: producer %llu's message %llu arrived after its message %llu%s",
		    e->index, (unsigned long long)id, (unsigned long long)seq,
		    (unsigned long long)k->last[id],
		    e->consumers == 1 ? " (one consumer: lost, repeated or reordered)"
		                      : " (reordered or repeated)");
		return -EBADMSG;
	}
	if (shmring_bench_payload_check(msg, e->size, tag, why, wl) != 0)
		return -EBADMSG;
	k->last[id] = seq;
	k->tally[id].count++;
	k->tally[id].sum += seq;
	k->count++;
	return 0;
}

/* Once every consumer drains, a total that stands still this long means
 * messages were lost: nobody holds one mid-claim for so long. A quarter of
 * the drain's time limit, so that a loss is told from a slow drain. */
#define DRAIN_STILL_NS 500000000ull

/* After every producer finished: take what is left until every message sent
 * has been received by some consumer. */
static int drain(struct shmring_bench_scale_end *e, struct ctl *ctl, struct consumer *k,
		 void *msg, char *why, size_t wl)
{
	const struct shmring_bench_scale_mech *m = e->mech;
	/* Acquire: pairs with each producer's release of prod_done; after it
	 * sent_total is final and every message sent is in the ring. */
	uint64_t total = atomic_load_explicit(&ctl->prod_done, memory_order_acquire) ==
					 e->producers
				 ? atomic_load_explicit(&ctl->sent_total, memory_order_relaxed)
				 : 0;
	uint64_t mine = k->count;
	/* Relaxed throughout: the total is only compared, never used to read
	 * data; each message itself is ordered by the ring. */
	uint64_t got = atomic_fetch_add_explicit(&ctl->recv_total, mine, memory_order_relaxed) +
		       mine;
	uint64_t seen = got, still_since = 0;

	/* Relaxed: a count compared with the consumer total, no data. */
	atomic_fetch_add_explicit(&ctl->draining, 1, memory_order_relaxed);
	for (;;) {
		int rc = m->try_recv(e, msg);

		if (rc == -EPIPE)
			rc = -EAGAIN; /* end-of-stream: nothing more will come */
		if (rc == 0) {
			rc = check(e, k, msg, why, wl);
			if (rc)
				return rc;
			got = atomic_fetch_add_explicit(&ctl->recv_total, 1,
							memory_order_relaxed) + 1;
			/* A collapsed ring drains slowly but never runs dry:
			 * the parent's cut-off must be heard here too. */
			if (atomic_load_explicit(&ctl->abort, memory_order_relaxed))
				return -ECANCELED;
			continue;
		}
		if (rc != -EAGAIN) {
			shmring_bench_say(why, wl, "consumer %u: receive while draining: %s",
			                  e->index, shmring_bench_err_text(rc));
			return rc;
		}
		got = atomic_load_explicit(&ctl->recv_total, memory_order_relaxed);
		if (got >= total)
			return 0;
		if (got != seen ||
		    atomic_load_explicit(&ctl->draining, memory_order_relaxed) < e->consumers) {
			seen = got;
			still_since = 0;
		} else if (!still_since) {
			still_since = shmring_bench_mono_ns();
		} else if (shmring_bench_mono_ns() - still_since > ctl->still_ns) {
			shmring_bench_say(
			    why, wl, "drain: %llu of %llu messages sent never arrived",
			    (unsigned long long)(total - got), (unsigned long long)total);
			return -EPROTO;
		}
		if (shmring_bench_expired) {
			shmring_bench_say(
			    why, wl, "drain: %llu of %llu messages sent never arrived",
			    (unsigned long long)(total - got), (unsigned long long)total);
			return -EPROTO;
		}
		if (atomic_load_explicit(&ctl->abort, memory_order_relaxed))
			return -ECANCELED;
		/* Another consumer may hold the rest mid-claim: let it run. */
		sched_yield();
	}
}

/* The consumer's window: from the first message it takes after the parent
 * opened the window to the first after it closed it. */
struct window {
	uint32_t seen;
	uint64_t n0, cpu0;
};

static void observe(struct ctl *ctl, struct child *me, const struct consumer *k,
		    struct window *w, bool final)
{
	/* Relaxed: only when to count and read the CPU clock. */
	uint32_t ph = final ? PH_STOP : atomic_load_explicit(&ctl->phase, memory_order_relaxed);

	if (ph == w->seen)
		return;
	if (w->seen == PH_WARM) {
		w->n0 = k->count;
		w->cpu0 = shmring_bench_cpu_ns();
	}
	if (ph == PH_STOP) {
		me->msgs = k->count - w->n0;
		me->cpu_ns = shmring_bench_cpu_ns() - w->cpu0;
	}
	w->seen = ph;
}

static int consume(struct shmring_bench_scale_end *e, struct ctl *ctl, struct child *me)
{
	const struct shmring_bench_scale_mech *m = e->mech;
	struct consumer *k = calloc(1, sizeof(*k));
	void *msg = shmring_bench_payload_new_rx(e->size);
	struct window w = {PH_WARM, 0, 0};
	int rc = 0;

	if (!k || !msg) {
		free(k);
		free(msg);
		return -ENOMEM;
	}
	for (;;) {
		rc = m->recv(e, msg);
		if (rc == -EPIPE)
			/* End-of-stream: the producers have closed; they say they
			 * are done just after, and the end below waits for it. */
			rc = -EAGAIN;
		if (rc == -EAGAIN) {
			observe(ctl, me, k, &w, false);
			/* Relaxed: see give_up(); drain() re-reads with acquire. */
			if (atomic_load_explicit(&ctl->prod_done, memory_order_relaxed) ==
			    e->producers) {
				/* Close this consumer's window first: what is left
				 * is taken after the parent closed it. */
				observe(ctl, me, k, &w, true);
				rc = drain(e, ctl, k, msg, me->why, sizeof(me->why));
				break;
			}
			if (shmring_bench_expired) {
				shmring_bench_say(me->why, sizeof(me->why),
				                  "consumer %u: nothing arrives", e->index);
				rc = -ETIMEDOUT;
				break;
			}
			if (atomic_load_explicit(&ctl->abort, memory_order_relaxed)) {
				/* Cut off: what this consumer counted stands. */
				observe(ctl, me, k, &w, true);
				rc = -ECANCELED;
				break;
			}
			continue;
		}
		if (rc) {
			shmring_bench_say(me->why, sizeof(me->why), "consumer %u: receive: %s",
			                  e->index,
			                  rc == -EBADMSG ? "a record of the wrong length"
			                                 : shmring_bench_err_text(rc));
			break;
		}
		rc = check(e, k, msg, me->why, sizeof(me->why));
		if (rc)
			break;
		observe(ctl, me, k, &w, false);
		/* Relaxed: a hint (see give_up); a ring that never runs dry
		 * must still hear a cut-off or another process's failure. */
		if (atomic_load_explicit(&ctl->abort, memory_order_relaxed)) {
			observe(ctl, me, k, &w, true);
			rc = -ECANCELED;
			break;
		}
	}
	if (rc == 0)
		memcpy(ctl->tally[e->index], k->tally, sizeof(k->tally[0]) * e->producers);
	free(k);
	free(msg);
	return rc;
}

static int child_cpu(const struct shmring_bench_scale_cfg *cfg, bool producer, unsigned index,
		     unsigned consumers)
{
	const struct shmring_bench_cfg *b = &cfg->base;

	if (cfg->placement == SHMRING_BENCH_SPREAD) {
		unsigned k = producer ? consumers + index : index;

		return b->cpu[k % 2];
	}
	return producer ? b->cpu[1] : b->cpu[0];
}

static _Noreturn void child_main(const struct shmring_bench_scale_cfg *cfg,
				 struct shmring_bench_scale_end *e, struct ctl *ctl, pid_t parent)
{
	struct child *me = &ctl->child[e->producer ? e->index : MAXP + e->index];
	int cpu = child_cpu(cfg, e->producer, e->index, e->consumers);
	int rc;

	/* A child outliving an interrupted parent would spin forever. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	shmring_bench_set_child(0);
	shmring_bench_watchdog(watchdog_s(&cfg->base));
	rc = shmring_bench_pin(cpu);
	if (rc) {
		shmring_bench_say(me->why, sizeof(me->why), "cannot pin to CPU %d: %s", cpu,
		                  strerror(-rc));
		child_exit(ctl, me, rc);
	}
	rc = e->mech->attach ? e->mech->attach(e) : 0;
	if (rc) {
		shmring_bench_say(me->why, sizeof(me->why), "%s %u: attach: %s",
		                  e->producer ? "producer" : "consumer", e->index,
		                  shmring_bench_err_text(rc));
		child_exit(ctl, me, rc);
	}
	/* Release: this process's attach (shared state it wrote included) is
	 * complete before the parent counts it ready. */
	atomic_fetch_add_explicit(&ctl->ready, 1, memory_order_release);
	/* Acquire: pairs with the parent's release of go: every other process
	 * has attached. Yield, not spin: many of us may share one CPU. */
	while (!atomic_load_explicit(&ctl->go, memory_order_acquire)) {
		if (shmring_bench_expired ||
		    atomic_load_explicit(&ctl->abort, memory_order_relaxed)) {
			if (e->mech->detach)
				e->mech->detach(e);
			_exit(1);
		}
		sched_yield();
	}
	rc = e->producer ? produce(e, ctl, me) : consume(e, ctl, me);
	if (e->mech->detach)
		e->mech->detach(e);
	child_exit(ctl, me, rc);
}

/* --------------------------------------------------------------- parent */

static void reap(pid_t *pids, unsigned n, unsigned *left, bool kill_all)
{
	for (unsigned i = 0; i < n; i++) {
		int status;

		if (pids[i] <= 0)
			continue;
		if (kill_all)
			kill(pids[i], SIGKILL);
		pid_t r = waitpid(pids[i], &status, kill_all ? 0 : WNOHANG);
		if (r == pids[i] || (r < 0 && errno == ECHILD)) {
			pids[i] = 0;
			(*left)--;
		}
	}
}

static void result_init(struct shmring_bench_scale_result *res,
			const struct shmring_bench_scale_mech *m, unsigned test, unsigned size,
			unsigned producers, unsigned consumers)
{
	memset(res, 0, sizeof(*res));
	res->mech = m;
	res->test = test;
	res->size = size;
	res->producers = producers;
	res->consumers = consumers;
}

static int skip_reason(const struct shmring_bench_scale_mech *m, unsigned size,
		       unsigned producers, unsigned consumers, char *why, size_t wl)
{
	/* Listed so that its absence reads as a reason, not as a missing build:
	 * this run is about many producers, and its rings are made for them. */
	if (m->flags & SHMRING_BENCH_SCALE_SPSC) {
		shmring_bench_say(why, wl, "a single-producer single-consumer queue");
		return 1;
	}
	if (m->max_consumers && consumers > m->max_consumers) {
		shmring_bench_say(why, wl, "a single-consumer ring");
		return 1;
	}
	if (shmring_bench_size_skip(m->max_size, size, why, wl))
		return 1;
	if (producers < 1 || producers > MAXP || consumers < 1 || consumers > MAXC) {
		shmring_bench_say(why, wl, "1..%u producers and 1..%u consumers", MAXP, MAXC);
		return 1;
	}
	return 0;
}

/* The tallies of every consumer against what every producer sent. */
static int verify(const struct ctl *ctl, unsigned producers, unsigned consumers, char *why,
		  size_t wl)
{
	for (unsigned p = 0; p < producers; p++) {
		uint64_t n = ctl->child[p].sent, count = 0, sum = 0;
		/* 1 + 2 + ... + n, modulo 2^64 as the consumers' sums are. */
		uint64_t want = n % 2 ? (n + 1) / 2 * n : n / 2 * (n + 1);

		for (unsigned c = 0; c < consumers; c++) {
			count += ctl->tally[c][p].count;
			sum += ctl->tally[c][p].sum;
		}
		if (count != n) {
			shmring_bench_say(
			    why, wl, "producer %u sent %llu messages, the consumers received %llu",
			    p, (unsigned long long)n, (unsigned long long)count);
			return -EPROTO;
		}
		if (sum != want) {
			shmring_bench_say(
			    why, wl, "producer %u: some messages arrived twice and others never",
			    p);
			return -EPROTO;
		}
	}
	return 0;
}

static void fill(struct shmring_bench_scale_result *res, const struct ctl *ctl, double window_s)
{
	uint64_t msgs = 0, cpu = 0, sent_min = UINT64_MAX, sent_sum = 0;

	for (unsigned c = 0; c < res->consumers; c++) {
		msgs += ctl->child[MAXP + c].msgs;
		cpu += ctl->child[MAXP + c].cpu_ns;
	}
	for (unsigned p = 0; p < res->producers; p++) {
		cpu += ctl->child[p].cpu_ns;
		sent_sum += ctl->child[p].sent;
		if (ctl->child[p].sent < sent_min)
			sent_min = ctl->child[p].sent;
	}
	res->msgs = msgs;
	res->sent = sent_sum;
	res->window_s = window_s;
	if (window_s > 0) {
		res->msgs_per_s = (double)msgs / window_s;
		res->mb_per_s = res->msgs_per_s * res->size / 1e6;
	}
	if (msgs)
		res->cpu_ns_per_msg = (double)cpu / (double)msgs;
	if (sent_sum)
		res->min_share = (double)sent_min * res->producers / (double)sent_sum;
}

int shmring_bench_scale_measure(const struct shmring_bench_scale_cfg *cfg,
				const struct shmring_bench_scale_mech *m, unsigned test,
				unsigned size, unsigned producers, unsigned consumers,
				struct shmring_bench_scale_result *res)
{
	const struct shmring_bench_cfg *b = &cfg->base;
	const unsigned nkids = producers + consumers;
	struct shmring_bench_scale_end e;
	pid_t pids[MAXP + MAXC];
	struct ctl *ctl;
	unsigned left = 0;
	char why[SHMRING_BENCH_WHY] = "";
	uint64_t t_run = 0, t_stop = 0;
	int rc;

	result_init(res, m, test, size, producers, consumers);
	rc = shmring_bench_init();
	if (rc)
		return rc;
	if (skip_reason(m, size, producers, consumers, res->why, sizeof(res->why))) {
		res->status = SHMRING_BENCH_SKIPPED;
		return 0;
	}
	ctl = shmring_bench_shared_map(sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	memset(&e, 0, sizeof(e));
	e.mech = m;
	e.size = size;
	e.producers = producers;
	e.consumers = consumers;
	e.ctl = ctl;
	const uint64_t drain_ns = cfg->drain_ns ? cfg->drain_ns
						: b->run_ns > 2000000000ull ? b->run_ns : 2000000000ull;
	ctl->still_ns = drain_ns / 4 < DRAIN_STILL_NS ? drain_ns / 4 : DRAIN_STILL_NS;
	rc = m->setup(&e, res->why, sizeof(res->why));
	if (shmring_bench_setup_stopped(rc, &res->status, res->why, sizeof(res->why))) {
		rc = 0;
		goto unmap;
	}

	fflush(NULL); /* nothing buffered may be written twice */
	memset(pids, 0, sizeof(pids));
	/* Consumers first: a producer that starts early finds someone to
	 * take its messages (the start barrier makes this moot, but cheap). */
	for (unsigned k = 0; k < nkids; k++) {
		pid_t pid;

		e.producer = k >= consumers;
		e.index = e.producer ? k - consumers : k;
		pid = fork();
		if (pid < 0) {
			shmring_bench_say(why, sizeof(why), "fork: %s", strerror(errno));
			break;
		}
		if (pid == 0)
			child_main(cfg, &e, ctl, getppid());
		pids[k] = pid;
		left++;
	}

	const uint64_t give_up_at =
		shmring_bench_mono_ns() + (uint64_t)watchdog_s(b) * 1000000000u;
	if (!why[0]) {
		/* Acquire: pairs with each child's release of ready. */
		while (atomic_load_explicit(&ctl->ready, memory_order_acquire) < nkids) {
			unsigned before = left;

			reap(pids, nkids, &left, false);
			if (left != before ||
			    atomic_load_explicit(&ctl->abort, memory_order_relaxed)) {
				shmring_bench_say(why, sizeof(why),
				                  "a process failed before the start");
				break;
			}
			if (shmring_bench_mono_ns() > give_up_at) {
				shmring_bench_say(why, sizeof(why),
				                  "the processes never all attached");
				break;
			}
			sleep_ns(200000);
		}
	}
	if (!why[0]) {
		/* Release: every child attached before any starts (see child_main). */
		atomic_store_explicit(&ctl->go, 1, memory_order_release);
		sleep_ns(b->warm_ns);
		/* Relaxed: the phase carries no data (see produce/consume). */
		atomic_store_explicit(&ctl->phase, PH_RUN, memory_order_relaxed);
		t_run = shmring_bench_mono_ns();
		sleep_ns(b->run_ns);
		atomic_store_explicit(&ctl->phase, PH_STOP, memory_order_relaxed);
		t_stop = shmring_bench_mono_ns();
	} else {
		/* Release: children waiting at the barrier leave. */
		atomic_store_explicit(&ctl->abort, 1, memory_order_release);
	}
	uint64_t cutoff_at = t_stop ? t_stop + drain_ns : give_up_at;
	bool cut = false;

	if (cutoff_at > give_up_at)
		cutoff_at = give_up_at;
	while (left) {
		uint64_t now;

		reap(pids, nkids, &left, false);
		if (!left)
			break;
		now = shmring_bench_mono_ns();
		if (now > cutoff_at + 2000000000ull) {
			if (!why[0])
				shmring_bench_say(why, sizeof(why),
				                  "the run did not finish: killed");
			reap(pids, nkids, &left, true);
			break;
		}
		if (now > cutoff_at && !cut) {
			cut = true;
			/* Relaxed: read only after the children's release of their
			 * state; abort (a hint, see give_up) makes them stop. */
			atomic_store_explicit(&ctl->cutoff, 1, memory_order_relaxed);
			atomic_store_explicit(&ctl->abort, 1, memory_order_relaxed);
		}
		sleep_ns(1000000);
	}
	m->teardown(&e);

	/* Acquire: pairs with each child's final release of its state. The
	 * first failure named by a child comes first: the others mostly saw
	 * its consequences. */
	bool all_done = true, all_cut = true;
	for (unsigned k = 0; k < nkids; k++) {
		struct child *c = &ctl->child[k < producers ? k : MAXP + (k - producers)];
		uint32_t st = atomic_load_explicit(&c->state, memory_order_acquire);

		/* A producer's EPIPE is the consequence of a consumer's
		 * failure: named only if nothing else is. */
		if (st == ST_FAILED && c->err != -ECANCELED && c->err != -EPIPE && !res->why[0])
			shmring_bench_say(res->why, sizeof(res->why), "%s", c->why);
		all_done &= st == ST_DONE;
		/* Cut off: each process finished, or stopped at the parent's word. */
		all_cut &= st == ST_DONE || (st == ST_FAILED && c->err == -ECANCELED);
	}
	for (unsigned k = 0; k < nkids && !res->why[0]; k++) {
		const struct child *c = &ctl->child[k < producers ? k : MAXP + (k - producers)];

		/* Acquire: as above. */
		if (atomic_load_explicit(&c->state, memory_order_acquire) == ST_FAILED &&
		    c->err == -EPIPE)
			shmring_bench_say(res->why, sizeof(res->why), "%s", c->why);
	}
	if (cut && all_cut && !why[0] && !res->why[0]) {
		/* The window's figures stand; what was still queued was not checked. */
		fill(res, ctl, (double)(t_stop - t_run) / 1e9);
		res->stalled = true;
		shmring_bench_say(
		    res->why, sizeof(res->why),
		    "still delivering %.1f s after the window: cut off, the rest unchecked",
		    (double)drain_ns / 1e9);
		res->status = SHMRING_BENCH_OK;
	} else if (!all_done || why[0] || res->why[0]) {
		if (!res->why[0])
			shmring_bench_say(res->why, sizeof(res->why), "%s",
			                  why[0] ? why : "a process of the run died");
		res->status = SHMRING_BENCH_FAILED;
	} else if (verify(ctl, producers, consumers, res->why, sizeof(res->why)) != 0) {
		res->status = SHMRING_BENCH_FAILED;
	} else {
		fill(res, ctl, (double)(t_stop - t_run) / 1e9);
		res->status = SHMRING_BENCH_OK;
	}
	rc = 0;
unmap:
	shmring_bench_shared_unmap(ctl, sizeof(*ctl));
	return rc;
}

/* ------------------------------------------------------------ the run */

static int measure_bracketed(const struct shmring_bench_scale_cfg *cfg,
			     const struct shmring_bench_scale_mech *m, unsigned test, unsigned size,
			     unsigned p, unsigned c, struct shmring_bench_floor_now *now,
			     struct shmring_bench_scale_result *res)
{
	int rc = shmring_bench_scale_measure(cfg, m, test, size, p, c, res);

	/* A failure may have taken seconds (up to its watchdog): the next
	 * figure's floor before is taken afresh. */
	if (rc == 0 && res->status == SHMRING_BENCH_FAILED)
		return shmring_bench_floors(&cfg->base, &now->timed, &now->plain);
	if (rc || res->status != SHMRING_BENCH_OK)
		return rc;
	return shmring_bench_bracket_close(&cfg->base, now, &res->br);
}

struct job {
	const struct shmring_bench_scale_mech *m;
	unsigned test, size, producers, consumers;
};

/* Every configuration the run measures, in report order. */
static size_t plan(const struct shmring_bench_scale_cfg *cfg,
		   const struct shmring_bench_scale_mech *const *mechs, size_t nmechs,
		   struct job *jobs)
{
	size_t n = 0;

	for (unsigned s = 0; s < cfg->base.nsizes; s++)
		for (unsigned c = 0; c < cfg->nconsumers; c++)
			for (size_t i = 0; i < nmechs; i++) {
				if (mechs[i]->max_consumers &&
				    cfg->consumers[c] > mechs[i]->max_consumers)
					continue;
				for (unsigned p = 0; p < cfg->nproducers; p++, n++)
					if (jobs)
						jobs[n] = (struct job){
							mechs[i], SHMRING_BENCH_SCALE_PRODUCERS,
							cfg->base.sizes[s], cfg->producers[p],
							cfg->consumers[c]};
			}
	for (unsigned p = 0; p < cfg->nmsg_producers; p++)
		for (size_t i = 0; i < nmechs; i++) {
			if (!(mechs[i]->flags & SHMRING_BENCH_SCALE_MSG))
				continue;
			for (unsigned s = 0; s < cfg->nmsg_sizes; s++, n++)
				if (jobs)
					jobs[n] = (struct job){mechs[i], SHMRING_BENCH_SCALE_RECORDS,
							       cfg->msg_sizes[s],
							       cfg->msg_producers[p], 1};
		}
	return n;
}

static bool same_job(const struct shmring_bench_scale_result *a,
		     const struct shmring_bench_scale_result *b)
{
	return a->test == b->test && a->size == b->size && a->producers == b->producers &&
	       a->consumers == b->consumers &&
	       (a->mech->flags & SHMRING_BENCH_SCALE_WAIT) ==
		       (b->mech->flags & SHMRING_BENCH_SCALE_WAIT);
}

/* x_one against the fewest producers of the same row; x_peer against the
 * best peer of the same job and wait class. Each only when both figures are
 * in one placement: a ratio across placements measures the host, not the
 * rings. */
static void ratios(struct shmring_bench_scale_run *run)
{
	for (size_t i = 0; i < run->nres; i++) {
		struct shmring_bench_scale_result *r = &run->res[i];
		const struct shmring_bench_scale_result *one = NULL;

		if (r->status != SHMRING_BENCH_OK)
			continue;
		for (size_t j = 0; j < run->nres; j++) {
			const struct shmring_bench_scale_result *q = &run->res[j];

			/* The fewest producers of the row, measured or not: a
			 * failed one leaves no x_one rather than another
			 * count's under the "max/1P" heading. */
			if (q->mech != r->mech || q->test != r->test || q->size != r->size ||
			    q->consumers != r->consumers)
				continue;
			if (!one || q->producers < one->producers)
				one = q;
		}
		if (one && one->status == SHMRING_BENCH_OK && one->msgs_per_s > 0 &&
		    shmring_bench_same_placement(&r->br, &one->br))
			r->x_one = r->msgs_per_s / one->msgs_per_s;
		if (r->mech->flags & SHMRING_BENCH_SCALE_PEER)
			continue;
		/* The fastest peer, wherever it ran; in another placement, no
		 * ratio (a slower peer in ours is not the best). */
		const struct shmring_bench_scale_result *best = NULL;

		for (size_t j = 0; j < run->nres; j++) {
			const struct shmring_bench_scale_result *q = &run->res[j];

			if (q->status != SHMRING_BENCH_OK ||
			    !(q->mech->flags & SHMRING_BENCH_SCALE_PEER) || !same_job(r, q) ||
			    q->msgs_per_s <= 0)
				continue;
			if (!best || q->msgs_per_s > best->msgs_per_s)
				best = q;
		}
		if (!best)
			continue;
		r->best_peer = best->mech->name;
		if (shmring_bench_same_placement(&r->br, &best->br))
			r->x_peer = r->msgs_per_s / best->msgs_per_s;
		else
			r->peer_elsewhere = true;
	}
}

static void progress(const struct shmring_bench_scale_cfg *cfg, size_t i, size_t n, uint64_t t0,
		     const struct job *j, const char *what)
{
	if (!cfg->base.progress)
		return;
	shmring_bench_progress("\r\033[K[%3zu/%zu %3.0fs] %s %u B, %u producer(s), %u "
			       "consumer(s)%s",
			       i + 1, n, (double)(shmring_bench_mono_ns() - t0) / 1e9, j->m->name,
			       j->size, j->producers, j->consumers, what);
}

int shmring_bench_scale_run_all(const struct shmring_bench_scale_cfg *cfg,
				const struct shmring_bench_scale_mech *const *mechs, size_t nmechs,
				struct shmring_bench_scale_run *run)
{
	size_t total = plan(cfg, mechs, nmechs, NULL);
	struct job *jobs = calloc(total ? total : 1, sizeof(*jobs));
	uint64_t t0 = shmring_bench_mono_ns();
	struct shmring_bench_floor_now now = {0, 0};
	int rc;

	memset(run, 0, sizeof(*run));
	run->res = calloc(total ? total : 1, sizeof(*run->res));
	if (!jobs || !run->res) {
		free(jobs);
		return -ENOMEM;
	}
	plan(cfg, mechs, nmechs, jobs);
	rc = shmring_bench_init();
	if (rc == 0)
		rc = shmring_bench_floors(&cfg->base, &now.timed, &now.plain);
	for (size_t k = 0; k < total && rc == 0; k++) {
		const struct job *j = &jobs[k];
		struct shmring_bench_scale_result *res = &run->res[run->nres++];

		progress(cfg, k, total, t0, j, "");
		rc = measure_bracketed(cfg, j->m, j->test, j->size, j->producers, j->consumers,
				       &now, res);
		if (rc || !res->br.moved || !cfg->base.retry)
			continue;
		struct shmring_bench_scale_result again;

		progress(cfg, k, total, t0, j, " (floor moved: again)");
		/* A fresh floor just before, not the one from the other placement. */
		rc = shmring_bench_floors(&cfg->base, &now.timed, &now.plain);
		if (rc == 0)
			rc = measure_bracketed(cfg, j->m, j->test, j->size, j->producers,
					       j->consumers, &now, &again);
		/* The second figure stands, and so does a failure of it (a check
		 * that failed once fails the mechanism). */
		if (rc == 0 &&
		    (again.status == SHMRING_BENCH_OK || again.status == SHMRING_BENCH_FAILED))
			*res = again;
		res->br.retried = true;
	}
	if (cfg->base.progress) {
		shmring_bench_progress("\r\033[K");
	}
	free(jobs);
	if (rc)
		return rc;
	ratios(run);
	run->wall_s = (double)(shmring_bench_mono_ns() - t0) / 1e9;
	return 0;
}

void shmring_bench_scale_run_free(struct shmring_bench_scale_run *run)
{
	free(run->res);
	memset(run, 0, sizeof(*run));
}
