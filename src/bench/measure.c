/* SPDX-License-Identifier: MIT */
/*
 * src/bench/measure.c - one measurement: fork, pin, attach both ends, warm
 * up, then time round trips (parent = client, child = echo server) or count
 * one-way messages (child = producer, parent = consumer). Both ends verify
 * every message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "hist.h"
#include "pair.h"
#include "payload.h"
#include "timing.h"

/* Slack on top of the measurement before the watchdog calls it stuck. */
#define WATCHDOG_SLACK_S 10u

int shmring_bench_init(void)
{
	static bool done;
	int rc;

	if (done)
		return 0;
	rc = shmring_bench_timing_init();
	if (rc == 0)
		rc = shmring_bench_payload_init();
	if (rc == 0)
		rc = shmring_bench_signals_init();
	if (rc == 0)
		done = true;
	return rc;
}

static unsigned watchdog_s(const struct shmring_bench_cfg *cfg)
{
	return (unsigned)((cfg->warm_ns + cfg->run_ns) / 1000000000u) + WATCHDOG_SLACK_S;
}

/* ------------------------------------------------------------------ child */

/* Busy-wait `ticks` on this CPU: the client's receive waits that long for
 * the answer, so a mechanism that parks really sleeps. */
static void answer_delay(uint64_t ticks)
{
	uint64_t t0 = shmring_bench_ticks();

	while (shmring_bench_ticks() - t0 < ticks)
		shmring_bench_relax();
}

static int serve_rtt(struct shmring_bench_chan *c, struct shmring_bench_ctl *ctl, char *why,
		     size_t wl)
{
	const struct shmring_bench_mech *m = c->mech;
	const uint64_t delay = shmring_bench_ns_to_ticks(c->cfg->answer_delay_ns);
	void *msg = shmring_bench_payload_new_rx(c->size);
	uint64_t expect = 1, first = 0, cpu0 = 0;
	bool timing = false;
	int rc;

	if (!msg)
		return -ENOMEM;
	for (;;) {
		rc = m->recv(c, msg);
		if (rc) {
			shmring_bench_say(why, wl, "server: receive: %s",
			                  shmring_bench_err_text(rc));
			break;
		}
		uint64_t seq = shmring_bench_payload_seq(msg);
		if (seq & SHMRING_BENCH_SEQ_STOP) {
			rc = m->send(c, msg);
			if (rc)
				shmring_bench_say(why, wl, "server: echo of stop: %s",
				                  shmring_bench_err_text(rc));
			break;
		}
		rc = shmring_bench_payload_check(msg, c->size, expect, why, wl);
		if (rc)
			break;
		if (delay)
			answer_delay(delay);
		rc = m->send(c, msg);
		if (rc) {
			shmring_bench_say(why, wl, "server: send: %s", shmring_bench_err_text(rc));
			break;
		}
		expect++;
		/* Relaxed: the phase only tells when to read the CPU clock; no
		 * data travels with it. */
		if (!timing && atomic_load_explicit(&ctl->phase, memory_order_relaxed) !=
				       SHMRING_BENCH_PHASE_WARM) {
			timing = true;
			cpu0 = shmring_bench_cpu_ns();
			first = expect;
		}
	}
	if (timing) {
		ctl->child_cpu_ns = shmring_bench_cpu_ns() - cpu0;
		ctl->child_msgs = expect - first;
	}
	free(msg);
	return rc;
}

static int produce(struct shmring_bench_chan *c, struct shmring_bench_ctl *ctl, char *why,
		   size_t wl)
{
	const struct shmring_bench_mech *m = c->mech;
	void *msg = shmring_bench_payload_new(c->size);
	uint64_t seq = 1, first = 0, cpu0 = 0;
	bool timing = false;
	int rc = 0;

	if (!msg)
		return -ENOMEM;
	for (;;) {
		/* Relaxed: see serve_rtt; the stop request needs no ordering
		 * either, the consumer drains until the stop message. */
		uint32_t ph = atomic_load_explicit(&ctl->phase, memory_order_relaxed);

		if (ph == SHMRING_BENCH_PHASE_STOP)
			break;
		if (!timing && ph == SHMRING_BENCH_PHASE_RUN) {
			timing = true;
			cpu0 = shmring_bench_cpu_ns();
			first = seq;
		}
		shmring_bench_payload_stamp(msg, c->size, seq);
		rc = m->send(c, msg);
		if (rc) {
			shmring_bench_say(why, wl, "producer: send of message %llu: %s",
			                  (unsigned long long)seq, shmring_bench_err_text(rc));
			break;
		}
		seq++;
	}
	if (timing) {
		ctl->child_cpu_ns = shmring_bench_cpu_ns() - cpu0;
		ctl->child_msgs = seq - first;
	}
	if (rc == 0) {
		shmring_bench_payload_stamp(msg, c->size, seq | SHMRING_BENCH_SEQ_STOP);
		rc = m->send(c, msg);
		if (rc)
			shmring_bench_say(why, wl, "producer: send of stop: %s",
			                  shmring_bench_err_text(rc));
	}
	if (rc == 0 && m->flush) {
		rc = m->flush(c);
		if (rc)
			shmring_bench_say(why, wl, "producer: flush of the last batch: %s",
			                  shmring_bench_err_text(rc));
	}
	free(msg);
	return rc;
}

static void child_fail(struct shmring_bench_ctl *ctl, int err)
{
	ctl->child_err = err;
	/* Release: the reason and figures written before are read after. */
	atomic_store_explicit(&ctl->child_state, SHMRING_BENCH_CHILD_FAILED, memory_order_release);
	_exit(1);
}

static void child_main(struct shmring_bench_chan *c, struct shmring_bench_ctl *ctl, pid_t parent)
{
	const struct shmring_bench_cfg *cfg = c->cfg;
	char *why = ctl->child_why;
	const size_t wl = sizeof(ctl->child_why);
	int rc;

	/* A benchmark child outliving an interrupted parent would spin forever. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	shmring_bench_set_child(0);
	shmring_bench_watchdog(watchdog_s(cfg));
	rc = shmring_bench_pin(cfg->cpu[1]);
	if (rc) {
		shmring_bench_say(why, wl, "cannot pin to CPU %d: %s", cfg->cpu[1], strerror(-rc));
		child_fail(ctl, rc);
	}
	c->side = 1;
	c->peer = parent;
	c->deadline_ns = shmring_bench_mono_ns() + (uint64_t)watchdog_s(cfg) * 1000000000u;
	rc = c->mech->attach(c);
	if (rc) {
		shmring_bench_say(why, wl, "attach: %s", shmring_bench_err_text(rc));
		child_fail(ctl, rc);
	}
	/* Release: everything attach wrote to shared memory is in place
	 * before the parent starts sending. */
	atomic_store_explicit(&ctl->child_state, SHMRING_BENCH_CHILD_READY, memory_order_release);
	/* Acquire: pairs with the parent's release of go. */
	while (!atomic_load_explicit(&ctl->go, memory_order_acquire)) {
		if (shmring_bench_expired) {
			shmring_bench_say(why, wl, "the client never started");
			child_fail(ctl, -ETIMEDOUT);
		}
		shmring_bench_relax();
	}
	if (c->mode == SHMRING_BENCH_RTT)
		rc = serve_rtt(c, ctl, why, wl);
	else
		rc = produce(c, ctl, why, wl);
	if (rc)
		shmring_bench_fail_first(ctl, SHMRING_BENCH_FAIL_CHILD);
	c->mech->detach(c);
	if (rc)
		child_fail(ctl, rc);
	/* Release: the figures written above are read after DONE. */
	atomic_store_explicit(&ctl->child_state, SHMRING_BENCH_CHILD_DONE, memory_order_release);
	_exit(0);
}

/* ----------------------------------------------------------------- parent */

struct window {
	uint64_t ticks;  /* length of the measured window */
	uint64_t msgs;   /* messages (TPUT) or round trips (RTT) inside it */
	uint64_t cpu_ns; /* parent CPU time inside it */
};

static int client_rtt(struct shmring_bench_chan *c, struct shmring_bench_ctl *ctl,
		      struct shmring_bench_hist *h, struct window *w, char *why, size_t wl)
{
	const struct shmring_bench_mech *m = c->mech;
	const struct shmring_bench_cfg *cfg = c->cfg;
	void *tx = shmring_bench_payload_new(c->size);
	void *rx = shmring_bench_payload_new_rx(c->size);
	uint64_t warm = shmring_bench_ns_to_ticks(cfg->warm_ns);
	uint64_t run = shmring_bench_ns_to_ticks(cfg->run_ns);
	uint64_t delay = shmring_bench_ns_to_ticks(cfg->answer_delay_ns);
	uint64_t seq = 1, cpu0 = 0, start, end = 0;
	bool timing = false;
	int rc = -ENOMEM;

	if (!tx || !rx)
		goto out;
	start = shmring_bench_ticks();
	uint64_t prev = start;
	for (;; seq++) {
		shmring_bench_payload_stamp(tx, c->size, seq);
		rc = m->send(c, tx);
		if (rc) {
			shmring_bench_say(why, wl, "client: send of message %llu: %s",
			                  (unsigned long long)seq, shmring_bench_err_text(rc));
			goto out;
		}
		rc = m->recv(c, rx);
		if (rc) {
			shmring_bench_say(why, wl, "client: receive of message %llu: %s",
			                  (unsigned long long)seq, shmring_bench_err_text(rc));
			goto out;
		}
		rc = shmring_bench_payload_check(rx, c->size, seq, why, wl);
		if (rc)
			goto out;
		uint64_t t = shmring_bench_ticks();
		if (timing) {
			/* Less the server's delay: what the mechanism took. */
			shmring_bench_hist_record(h, t - prev > delay ? t - prev - delay : 0);
			if (t >= end)
				break;
		} else if (t - start >= warm) {
			timing = true;
			/* Relaxed: tells the server when to read its CPU clock. */
			atomic_store_explicit(&ctl->phase, SHMRING_BENCH_PHASE_RUN,
					      memory_order_relaxed);
			cpu0 = shmring_bench_cpu_ns();
			t = shmring_bench_ticks();
			end = t + run;
			w->ticks = t;
		}
		prev = t;
	}
	w->cpu_ns = shmring_bench_cpu_ns() - cpu0;
	w->ticks = prev - w->ticks;
	w->msgs = h->total;
	shmring_bench_payload_stamp(tx, c->size, (seq + 1) | SHMRING_BENCH_SEQ_STOP);
	rc = m->send(c, tx);
	if (rc == 0)
		rc = m->recv(c, rx);
	if (rc)
		shmring_bench_say(why, wl, "client: stop: %s", shmring_bench_err_text(rc));
	else if (shmring_bench_payload_seq(rx) != ((seq + 1) | SHMRING_BENCH_SEQ_STOP)) {
		shmring_bench_say(why, wl, "client: the stop message came back altered");
		rc = -EBADMSG;
	} else {
		/* All of it: in a short run the stop may be the message a
		 * transport damages. */
		rc = shmring_bench_payload_check(rx, c->size, (seq + 1) | SHMRING_BENCH_SEQ_STOP,
						 why, wl);
	}
out:
	free(tx);
	free(rx);
	return rc;
}

static int consume(struct shmring_bench_chan *c, struct shmring_bench_ctl *ctl, struct window *w,
		   char *why, size_t wl)
{
	const struct shmring_bench_mech *m = c->mech;
	const struct shmring_bench_cfg *cfg = c->cfg;
	void *rx = shmring_bench_payload_new_rx(c->size);
	uint64_t warm = shmring_bench_ns_to_ticks(cfg->warm_ns);
	uint64_t run = shmring_bench_ns_to_ticks(cfg->run_ns);
	uint64_t expect = 1, t0 = 0, n0 = 0, cpu0 = 0, end = 0;
	uint32_t phase = SHMRING_BENCH_PHASE_WARM;
	int rc;

	if (!rx)
		return -ENOMEM;
	uint64_t start = shmring_bench_ticks();
	for (;;) {
		rc = m->recv(c, rx);
		if (rc) {
			shmring_bench_say(why, wl, "consumer: receive of message %llu: %s",
			                  (unsigned long long)expect, shmring_bench_err_text(rc));
			break;
		}
		uint64_t seq = shmring_bench_payload_seq(rx);
		if (seq & SHMRING_BENCH_SEQ_STOP) {
			if (seq != (expect | SHMRING_BENCH_SEQ_STOP)) {
				shmring_bench_say(
				    why, wl,
				    "consumer: stop came after message %llu, expected %llu",
				    (unsigned long long)(seq & ~SHMRING_BENCH_SEQ_STOP) - 1,
				    (unsigned long long)expect - 1);
				rc = -EBADMSG;
			} else {
				/* All of it, as every other message. */
				rc = shmring_bench_payload_check(rx, c->size, seq, why, wl);
			}
			break;
		}
		rc = shmring_bench_payload_check(rx, c->size, expect, why, wl);
		if (rc)
			break;
		expect++;
		/* The clock is read every 16 messages: it would cost as much as a
		 * message on the fastest rings, and the count and the time are
		 * taken at the same point, so the rate stays exact. */
		if ((expect & 15) || phase == SHMRING_BENCH_PHASE_STOP)
			continue;
		uint64_t t = shmring_bench_ticks();
		if (phase == SHMRING_BENCH_PHASE_WARM && t - start >= warm) {
			phase = SHMRING_BENCH_PHASE_RUN;
			/* Relaxed: only tells the producer when to read its CPU clock. */
			atomic_store_explicit(&ctl->phase, phase, memory_order_relaxed);
			cpu0 = shmring_bench_cpu_ns();
			t0 = shmring_bench_ticks();
			n0 = expect;
			end = t0 + run;
		} else if (phase == SHMRING_BENCH_PHASE_RUN && t >= end) {
			phase = SHMRING_BENCH_PHASE_STOP;
			w->ticks = t - t0;
			w->msgs = expect - n0;
			w->cpu_ns = shmring_bench_cpu_ns() - cpu0;
			/* Relaxed: the producer stops at its next message; we drain
			 * until its stop message, whatever it saw before. */
			atomic_store_explicit(&ctl->phase, phase, memory_order_relaxed);
		}
	}
	if (rc == 0 && phase != SHMRING_BENCH_PHASE_STOP) {
		shmring_bench_say(why, wl, "consumer: the producer stopped early");
		rc = -EPROTO;
	}
	free(rx);
	return rc;
}

/* Where a server that outlived the watchdog is stuck: its kernel wait
 * channel and system call, from /proc, for the reason given. */
static void stuck_where(pid_t pid, char *why, size_t wl)
{
	char path[64], wchan[64] = "?", sys[64] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	if ((f = fopen(path, "r"))) {
		if (!fgets(wchan, sizeof(wchan), f))
			snprintf(wchan, sizeof(wchan), "?");
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	if ((f = fopen(path, "r"))) {
		if (fgets(sys, sizeof(sys), f))
			sys[strcspn(sys, " \n")] = '\0'; /* the call's number, or "running" */
		else
			snprintf(sys, sizeof(sys), "?");
		fclose(f);
	}
	shmring_bench_say(why, wl, "the server was still running when the watchdog ended "
			  "the run (kernel wait: %s, system call: %s)", wchan, sys);
}

static void result_init(struct shmring_bench_result *res, const struct shmring_bench_mech *m,
			unsigned mode, unsigned size)
{
	memset(res, 0, sizeof(*res));
	res->mech = m;
	res->mode = mode;
	res->size = size;
}

static int skip_reason(const struct shmring_bench_mech *m, unsigned mode, unsigned size,
		       char *why, size_t wl)
{
	if (!(m->modes & mode)) {
		const char *text = mode == SHMRING_BENCH_TPUT ? m->why_not_tput : m->why_not_rtt;

		shmring_bench_say(why, wl, "%s", text ? text : "this mode is not measured for it");
		return 1;
	}
	if (shmring_bench_size_skip(m->max_size, size, why, wl))
		return 1;
	return 0;
}

static void fill_figures(struct shmring_bench_result *res, const struct shmring_bench_ctl *ctl,
			 const struct window *w)
{
	double child_cpu = (double)ctl->child_cpu_ns;

	if (res->mode == SHMRING_BENCH_RTT) {
		const struct shmring_bench_hist *h = res->hist;

		res->samples = h->total;
		res->p50 = shmring_bench_ticks_to_ns((uint64_t)shmring_bench_hist_percentile(h, 50));
		res->p90 = shmring_bench_ticks_to_ns((uint64_t)shmring_bench_hist_percentile(h, 90));
		res->p99 = shmring_bench_ticks_to_ns((uint64_t)shmring_bench_hist_percentile(h, 99));
		res->p999 =
			shmring_bench_ticks_to_ns((uint64_t)shmring_bench_hist_percentile(h, 99.9));
		res->max = shmring_bench_ticks_to_ns(h->max);
		res->mean = shmring_bench_hist_mean(h) * shmring_bench_ns_per_tick;
		if (h->total)
			res->cpu_ns_per_msg = ((double)w->cpu_ns + child_cpu) / (double)h->total;
		return;
	}
	double secs = shmring_bench_ticks_to_ns(w->ticks) / 1e9;

	res->msgs = w->msgs;
	res->samples = w->msgs;
	if (secs > 0) {
		res->msgs_per_s = (double)w->msgs / secs;
		res->mb_per_s = res->msgs_per_s * res->size / 1e6;
	}
	if (w->msgs)
		res->cpu_ns_per_msg = (double)w->cpu_ns / (double)w->msgs;
	if (ctl->child_msgs)
		res->cpu_ns_per_msg += child_cpu / (double)ctl->child_msgs;
}

int shmring_bench_measure(const struct shmring_bench_cfg *cfg, const struct shmring_bench_mech *m,
			  unsigned mode, unsigned size, struct shmring_bench_result *res)
{
	char why[SHMRING_BENCH_WHY] = "";
	struct shmring_bench_chan c;
	struct shmring_bench_ctl *ctl = NULL;
	struct window w = {0};
	int rc, status = 0;
	pid_t pid;

	result_init(res, m, mode, size);
	rc = shmring_bench_init();
	if (rc)
		return rc;
	if (skip_reason(m, mode, size, res->why, sizeof(res->why))) {
		res->status = SHMRING_BENCH_SKIPPED;
		return 0;
	}
	if (mode == SHMRING_BENCH_RTT) {
		res->hist = malloc(sizeof(*res->hist));
		if (!res->hist)
			return -ENOMEM;
		shmring_bench_hist_reset(res->hist);
	}
	ctl = shmring_bench_shared_map(sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	rc = shmring_bench_pin(cfg->cpu[0]);
	if (rc) {
		shmring_bench_say(res->why, sizeof(res->why), "cannot pin to CPU %d: %s",
		                  cfg->cpu[0], strerror(-rc));
		res->status = SHMRING_BENCH_FAILED;
		goto unmap;
	}

	memset(&c, 0, sizeof(c));
	c.mech = m;
	c.cfg = cfg;
	c.size = size;
	c.mode = mode;
	for (int i = 0; i < 4; i++)
		c.fd[i] = -1;
	rc = m->setup(&c, res->why, sizeof(res->why));
	if (shmring_bench_setup_stopped(rc, &res->status, res->why, sizeof(res->why))) {
		rc = 0;
		goto unmap;
	}

	fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		m->teardown(&c);
		goto unmap;
	}
	if (pid == 0)
		child_main(&c, ctl, getppid());
	shmring_bench_set_child(pid);
	shmring_bench_watchdog(watchdog_s(cfg));
	c.side = 0;
	c.peer = pid;
	c.deadline_ns = shmring_bench_mono_ns() + (uint64_t)watchdog_s(cfg) * 1000000000u;
	rc = m->attach(&c);
	if (rc) {
		shmring_bench_say(why, sizeof(why), "client: attach: %s",
		                  shmring_bench_err_text(rc));
	} else {
		uint32_t st;

		/* Acquire: pairs with the child's release of READY/FAILED. */
		while ((st = atomic_load_explicit(&ctl->child_state, memory_order_acquire)) ==
		       SHMRING_BENCH_CHILD_STARTING) {
			if (shmring_bench_expired) {
				shmring_bench_say(why, sizeof(why),
						  "the server was not ready after %u s",
						  watchdog_s(cfg));
				rc = -ETIMEDOUT;
				break;
			}
			if (waitpid(pid, &status, WNOHANG) == pid) {
				rc = -ECHILD;
				break;
			}
			shmring_bench_relax();
		}
		if (rc == 0 && st == SHMRING_BENCH_CHILD_READY) {
			/* Release: the client's attach is complete before the server
			 * may touch shared state. */
			atomic_store_explicit(&ctl->go, 1, memory_order_release);
			if (mode == SHMRING_BENCH_RTT)
				rc = client_rtt(&c, ctl, res->hist, &w, why, sizeof(why));
			else
				rc = consume(&c, ctl, &w, why, sizeof(why));
			if (rc)
				shmring_bench_fail_first(ctl, SHMRING_BENCH_FAIL_PARENT);
		} else if (rc == 0) {
			rc = -ECHILD;
		}
		m->detach(&c);
	}
	if (rc) {
		/* The child may be blocked on a transport we just gave up on. */
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
		if (shmring_bench_expired) {
			if (!why[0])
				stuck_where(pid, why, sizeof(why));
			kill(pid, SIGKILL);
		}
	}
	shmring_bench_set_child(0);
	shmring_bench_watchdog(0);
	m->teardown(&c);

	/* Acquire: pairs with the child's final release of its state. */
	uint32_t cst = atomic_load_explicit(&ctl->child_state, memory_order_acquire);
	/* Relaxed: the child is reaped; its stores are visible. */
	uint32_t first = atomic_load_explicit(&ctl->first_fail, memory_order_relaxed);
	if (cst == SHMRING_BENCH_CHILD_FAILED && !(first == SHMRING_BENCH_FAIL_PARENT && why[0])) {
		/* The child's reason, unless we failed first: the other side
		 * usually only saw the consequence (a closed pipe, a timeout). */
		shmring_bench_say(res->why, sizeof(res->why), "%s", ctl->child_why);
		res->status = SHMRING_BENCH_FAILED;
	} else if (rc || cst != SHMRING_BENCH_CHILD_DONE) {
		if (!why[0]) {
			if (WIFSIGNALED(status))
				shmring_bench_say(why, sizeof(why), "the server died of signal %d",
				                  WTERMSIG(status));
			else
				shmring_bench_say(why, sizeof(why), "the server exited with %d",
				                  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
		shmring_bench_say(res->why, sizeof(res->why), "%s", why);
		res->status = SHMRING_BENCH_FAILED;
	} else {
		fill_figures(res, ctl, &w);
		res->status = SHMRING_BENCH_OK;
	}
	rc = 0;
unmap:
	shmring_bench_shared_unmap(ctl, sizeof(*ctl));
	return rc;
}

void shmring_bench_result_free(struct shmring_bench_result *r)
{
	free(r->hist);
	r->hist = NULL;
}
