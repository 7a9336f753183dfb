/* SPDX-License-Identifier: MIT */
/*
 * tests/failure_helpers.h - what the failure tests (tests/test_failure_*.c)
 * share: the ring kinds they loop over, and "agents": forked processes that
 * each hold one handle and run ring calls on the parent's request, so that a
 * test reads as a script ("the consumer blocks in recv; the producer closes;
 * the recv returns -EPIPE within a second") while every participant is a
 * separate process that the test may SIGKILL or SIGSTOP at any step.
 *
 * An agent lives in a MAP_SHARED page: the parent writes an op and bumps
 * `req`; the agent runs it, stores the result, the times around the call
 * (CLOCK_MONOTONIC, comparable across processes) and bumps `ack`. A blocking
 * call may be started and left running while the parent does something else.
 * Agents never return into cmocka: they _exit, they reset the signals cmocka
 * catches, they die with SIGALRM after a few minutes and when their parent
 * goes. fh_teardown() kills whatever a failed test left behind.
 *
 * Include <cmocka.h> before this header.
 */
#ifndef SHMRING_TESTS_FAILURE_HELPERS_H
#define SHMRING_TESTS_FAILURE_HELPERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "helpers.h"

#define FH_MS          UINT64_C(1000000)
#define FH_NO_DEADLINE (-1)

/* --- Messages --------------------------------------------------------------- */

/* Every test message: a sequence number and its check value (16 bytes). */
struct fh_msg {
	uint64_t seq;
	uint64_t check;
};

static inline void fh_msg_make(struct fh_msg *m, uint64_t seq)
{
	m->seq = seq;
	m->check = test_check(seq);
}

static inline bool fh_msg_ok(const struct fh_msg *m)
{
	return m->check == test_check(m->seq);
}

/* --- Kinds ------------------------------------------------------------------ */

enum fh_kind_id { FH_SPSC, FH_SPSCD, FH_MPSC, FH_SPMC, FH_MPMC, FH_MSG1, FH_MSGM, FH_NKINDS };

struct fh_kind {
	const char *tag;
	uint32_t kind;
	uint32_t flags; /* SHMRING_CREATE_MULTI_* for the message ring, _DENSE for SPSC */
	bool mp, mc;    /* many producers / many consumers */
};

static inline const struct fh_kind *fh_kind(int id)
{
	static const struct fh_kind kinds[FH_NKINDS] = {
	    [FH_SPSC] = {"spsc", SHMRING_KIND_SPSC, 0, false, false},
	    [FH_SPSCD] = {"spscd", SHMRING_KIND_SPSC, SHMRING_CREATE_DENSE, false, false},
	    [FH_MPSC] = {"mpsc", SHMRING_KIND_MPSC, 0, true, false},
	    [FH_SPMC] = {"spmc", SHMRING_KIND_SPMC, 0, false, true},
	    [FH_MPMC] = {"mpmc", SHMRING_KIND_MPMC, 0, true, true},
	    [FH_MSG1] = {"msg1", SHMRING_KIND_MSG, 0, false, false},
	    [FH_MSGM] = {"msgm", SHMRING_KIND_MSG,
	                 SHMRING_CREATE_MULTI_PRODUCER | SHMRING_CREATE_MULTI_CONSUMER, true, true},
	};

	return &kinds[id];
}

static inline bool fh_is_msg(int id)
{
	return fh_kind(id)->kind == SHMRING_KIND_MSG;
}

/* Bytes a test message takes in a message ring (16 header + 16 payload). */
#define FH_MSG_SPAN 32u

/*
 * Options for a ring of `kind` that holds exactly `units` test messages:
 * 16-byte slots, or a record area of units * 32 bytes. recovery_ns 0: the
 * default.
 */
static inline struct shmring_opts fh_opts(int id, uint64_t units, uint64_t recovery_ns)
{
	struct shmring_opts o;

	memset(&o, 0, sizeof(o));
	o.kind = fh_kind(id)->kind;
	o.flags = fh_kind(id)->flags;
	o.slot_size = sizeof(struct fh_msg);
	o.capacity = fh_is_msg(id) ? units * FH_MSG_SPAN : units;
	o.recovery_ns = recovery_ns;
	return o;
}

static inline shmring_t *fh_keep(shmring_t *r);

/* Create the ring `name` of kind `id` holding `units` messages; role as for shmring_open(). */
static inline shmring_t *fh_create(const char *name, int id, uint64_t units, uint64_t recovery_ns,
                                   unsigned role)
{
	struct shmring_opts o = fh_opts(id, units, recovery_ns);
	shmring_t *r = NULL;
	int rc = shmring_create(name, &o, role, &r);

	if (rc != 0)
		fail_msg("create %s (%s): %s", name, fh_kind(id)->tag, shmring_strerror(rc));
	return fh_keep(r);
}

/* --- Agents ------------------------------------------------------------------ */

enum fh_op {
	FH_OPEN = 1,       /* a: role */
	FH_CLOSE,          /* */
	FH_SET_WAIT,       /* a: enum shmring_wait_mode */
	FH_SET_RECOVERY,   /* a: ns */
	FH_SEND,           /* a: seq, b: deadline ms (-1: none) */
	FH_TRY_SEND,       /* a: seq */
	FH_SEND_N,         /* a: first seq, b: count; blocking, 30 s each; out[0]: sent */
	FH_FILL,           /* a: first seq; try_send until it fails; out[0]: sent; rc: last rc */
	FH_RECV,           /* a: deadline ms; out[0]: seq, out[1]: valid */
	FH_TRY_RECV,       /* out[0]: seq, out[1]: valid */
	FH_RECV_N,         /* a: count, b: deadline ms each; out: see fh__recv_loop() */
	FH_RECV_UNTIL_ERR, /* a: first seq expected, b: deadline ms each; until rc < 0 */
	FH_RECV_LOG,       /* a: deadline ms each, b: target; append to the log until it
	                    * holds b messages or a recv fails */
	FH_RECV_BULK,      /* a: n (<= 6), b: deadline ms; out[0..n): seqs, out[7]: valid */
	FH_RESERVE,        /* a: write a message (0/1), b: its seq; rc 0, or why not
	                    * (shmring_last_error()) */
	FH_COMMIT,         /* commit what FH_RESERVE took */
	FH_PEEK,           /* rc 0, or why not (shmring_last_error()); out[0]: seq,
	                    * out[1]: valid */
	FH_RELEASE,
	FH_EXIT,
};

#define FH_LOG_MAX 65536u

/* Messages received by every FH_RECV_LOG agent of a test, in arrival order. */
struct fh_log {
	_Atomic uint64_t n;
	uint64_t seq[FH_LOG_MAX];
	uint64_t t[FH_LOG_MAX];
};

struct fh_agent {
	pid_t pid;
	pid_t parent;
	int kind;
	bool reaped;
	int status;
	char name[TEST_NAME_LEN];
	struct fh_log *log;
	_Atomic uint32_t req;
	_Atomic uint32_t ack;
	uint32_t op;
	int64_t a, b;
	int64_t rc;
	uint64_t t_start; /* just before the library call */
	uint64_t t_end;   /* just after it returned */
	uint64_t out[8];
};

#define FH_MAX_AGENTS 64

struct fh_registry {
	int n;
	struct fh_agent *ag[FH_MAX_AGENTS];
	void *maps[FH_MAX_AGENTS];
	size_t map_len[FH_MAX_AGENTS];
	int nmaps;
	pid_t pids[FH_MAX_AGENTS]; /* other children, killed at teardown if still ours */
	int npids;
	shmring_t *handles[FH_MAX_AGENTS]; /* this process's handles, closed at teardown */
	int nhandles;
};

static inline struct fh_registry *fh__reg(void)
{
	static struct fh_registry reg;

	return &reg;
}

/* Have a handle of this process closed at teardown (a failed test leaks none). */
static inline shmring_t *fh_keep(shmring_t *r)
{
	struct fh_registry *g = fh__reg();

	if (r && g->nhandles < FH_MAX_AGENTS)
		g->handles[g->nhandles++] = r;
	return r;
}

/* Close a handle now (and forget it). */
static inline void fh_close(shmring_t *r)
{
	struct fh_registry *g = fh__reg();

	for (int i = 0; i < g->nhandles; i++) {
		if (g->handles[i] == r) {
			g->handles[i] = g->handles[--g->nhandles];
			break;
		}
	}
	shmring_close(r);
}

/* Zero-filled MAP_SHARED memory that forked children share; unmapped at teardown. */
static inline void *fh_shared(size_t size)
{
	struct fh_registry *g = fh__reg();
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "fh_shared: %s\n", strerror(errno));
		abort();
	}
	if (g->nmaps < FH_MAX_AGENTS) {
		g->maps[g->nmaps] = p;
		g->map_len[g->nmaps++] = size;
	}
	return p;
}

static inline void fh_nap_us(unsigned us)
{
	struct timespec ts = {.tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline uint64_t fh_deadline(int64_t ms)
{
	return ms < 0 ? SHMRING_NO_DEADLINE : shmring_deadline_in((uint64_t)ms * FH_MS);
}

/* What a forked child does first: no cmocka handlers, a time limit of its own. */
static inline void fh_child_init(unsigned limit_s)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE, SIGALRM};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	alarm(limit_s * TEST_SLOWDOWN);
}

/* One test message in, by the kind's call; 0 or a negative errno. */
static inline int fh__send(int kind, shmring_t *r, uint64_t seq, bool try_only, uint64_t deadline)
{
	struct fh_msg m;

	fh_msg_make(&m, seq);
	if (fh_is_msg(kind))
		return try_only ? shmring_msg_try_send(r, &m, sizeof(m), (uint32_t)seq)
		                : shmring_msg_send(r, &m, sizeof(m), (uint32_t)seq, deadline);
	return try_only ? shmring_try_send(r, &m) : shmring_send(r, &m, deadline);
}

/* One test message in place (reserve, then commit): 0 or a negative errno. */
static inline int fh__send_zc(int kind, shmring_t *r, uint64_t seq)
{
	struct fh_msg m;
	void *slot;

	fh_msg_make(&m, seq);
	slot = fh_is_msg(kind) ? shmring_msg_reserve(r, sizeof(m)) : shmring_reserve(r);
	if (!slot)
		return shmring_last_error(r, SHMRING_PRODUCER);
	memcpy(slot, &m, sizeof(m));
	return fh_is_msg(kind) ? shmring_msg_commit(r, (uint32_t)seq) : shmring_commit(r);
}

/* One test message out; 0 (and *m) or a negative errno; -EBADMSG for a record
 * of the wrong length or type. */
static inline int fh__recv(int kind, shmring_t *r, struct fh_msg *m, bool try_only,
                           uint64_t deadline)
{
	if (fh_is_msg(kind)) {
		uint32_t type = 0;
		ssize_t n = try_only ? shmring_msg_try_recv(r, m, sizeof(*m), &type)
		                     : shmring_msg_recv(r, m, sizeof(*m), &type, deadline);

		if (n < 0)
			return (int)n;
		if (n != (ssize_t)sizeof(*m) || type != (uint32_t)m->seq)
			return -EBADMSG;
		return 0;
	}
	return try_only ? shmring_try_recv(r, m) : shmring_recv(r, m, deadline);
}

/*
 * Receive until `count` messages (0: no limit) or the first error; out[0]:
 * received, out[1]: all valid, out[2]/out[3]: first/last seq, out[4]: they
 * were consecutive from `first` (first < 0: from whatever came first).
 */
static inline int fh__recv_loop(struct fh_agent *ag, shmring_t *r, uint64_t count, int64_t first,
                                int64_t deadline_ms)
{
	uint64_t n = 0, expect = (uint64_t)first;
	bool valid = true, consecutive = true;
	int rc = 0;

	while (count == 0 || n < count) {
		struct fh_msg m;

		rc = fh__recv(ag->kind, r, &m, false, fh_deadline(deadline_ms));
		if (rc < 0)
			break;
		if (!fh_msg_ok(&m))
			valid = false;
		if (n == 0) {
			ag->out[2] = m.seq;
			if (first < 0)
				expect = m.seq;
		}
		if (m.seq != expect)
			consecutive = false;
		expect = m.seq + 1;
		ag->out[3] = m.seq;
		n++;
	}
	ag->out[0] = n;
	ag->out[1] = valid;
	ag->out[4] = consecutive;
	return rc;
}

static inline int64_t fh__agent_op(struct fh_agent *ag, shmring_t **rp, uint64_t *held_seq)
{
	shmring_t *r = *rp;
	int k = ag->kind;
	int64_t rc = 0;

	memset(ag->out, 0, sizeof(ag->out));
	ag->t_start = test_now_ns();
	switch (ag->op) {
	case FH_OPEN:
		if (r)
			return -EALREADY;
		rc = shmring_open(ag->name, (unsigned)ag->a, rp);
		break;
	case FH_CLOSE:
		rc = shmring_close(r);
		*rp = NULL;
		break;
	case FH_SET_WAIT: {
		struct shmring_wait w = {.mode = (uint32_t)ag->a};

		rc = shmring_set_wait(r, &w);
		break;
	}
	case FH_SET_RECOVERY:
		rc = shmring_set_recovery(r, (uint64_t)ag->a);
		break;
	case FH_SEND:
		rc = fh__send(k, r, (uint64_t)ag->a, false, fh_deadline(ag->b));
		break;
	case FH_TRY_SEND:
		rc = fh__send(k, r, (uint64_t)ag->a, true, 0);
		break;
	case FH_SEND_N:
		for (int64_t i = 0; i < ag->b; i++) {
			rc = fh__send(k, r, (uint64_t)(ag->a + i), false, fh_deadline(30000));
			if (rc < 0)
				break;
			ag->out[0]++;
		}
		break;
	case FH_FILL:
		for (uint64_t i = 0; i < 1000000u; i++) {
			rc = fh__send(k, r, (uint64_t)ag->a + i, true, 0);
			if (rc < 0)
				break;
			ag->out[0]++;
		}
		break;
	case FH_RECV:
	case FH_TRY_RECV: {
		struct fh_msg m = {0, 0};

		rc = fh__recv(k, r, &m, ag->op == FH_TRY_RECV, fh_deadline(ag->a));
		ag->out[0] = m.seq;
		ag->out[1] = rc == 0 && fh_msg_ok(&m);
		break;
	}
	case FH_RECV_N:
		rc = fh__recv_loop(ag, r, (uint64_t)ag->a, -1, ag->b);
		break;
	case FH_RECV_UNTIL_ERR:
		rc = fh__recv_loop(ag, r, 0, ag->a, ag->b);
		break;
	case FH_RECV_LOG: {
		bool valid = true;

		for (;;) {
			struct fh_msg m;
			uint64_t at;

			rc = fh__recv(k, r, &m, false, fh_deadline(ag->a));
			if (rc < 0)
				break;
			if (!fh_msg_ok(&m))
				valid = false;
			at = atomic_fetch_add(&ag->log->n, 1);
			if (at < FH_LOG_MAX) {
				ag->log->seq[at] = m.seq;
				ag->log->t[at] = test_now_ns();
			}
			ag->out[0]++;
			if (at + 1 >= (uint64_t)ag->b)
				break;
		}
		ag->out[1] = valid;
		break;
	}
	case FH_RECV_BULK: {
		struct fh_msg m[6];
		unsigned n = ag->a > 6 ? 6 : (unsigned)ag->a;
		bool valid = true;

		memset(m, 0, sizeof(m));
		if (fh_is_msg(k)) {
			unsigned i;

			for (i = 0; i < n; i++) {
				rc = fh__recv(k, r, &m[i], false, fh_deadline(ag->b));
				if (rc < 0)
					break;
			}
			if (rc >= 0)
				rc = i;
		} else {
			rc = shmring_recv_bulk(r, m, n, fh_deadline(ag->b));
		}
		for (int64_t i = 0; i < rc && i < 6; i++) {
			ag->out[i] = m[i].seq;
			if (!fh_msg_ok(&m[i]))
				valid = false;
		}
		ag->out[7] = valid;
		break;
	}
	case FH_RESERVE: {
		void *p = fh_is_msg(k) ? shmring_msg_reserve(r, sizeof(struct fh_msg))
		                       : shmring_reserve(r);

		rc = p ? 0 : shmring_last_error(r, SHMRING_PRODUCER);
		*held_seq = (uint64_t)ag->b;
		if (p && ag->a) {
			struct fh_msg m;

			fh_msg_make(&m, (uint64_t)ag->b);
			memcpy(p, &m, sizeof(m));
		}
		break;
	}
	case FH_COMMIT:
		rc = fh_is_msg(k) ? shmring_msg_commit(r, (uint32_t)*held_seq) : shmring_commit(r);
		break;
	case FH_PEEK: {
		size_t len = 0;
		uint32_t type = 0;
		const void *p = fh_is_msg(k) ? shmring_msg_peek(r, &len, &type) : shmring_peek(r);

		rc = p ? 0 : shmring_last_error(r, SHMRING_CONSUMER);
		if (p) {
			struct fh_msg m;

			memcpy(&m, p, sizeof(m));
			ag->out[0] = m.seq;
			ag->out[1] =
			    fh_msg_ok(&m) &&
			    (!fh_is_msg(k) || (len == sizeof(m) && type == (uint32_t)m.seq));
		}
		break;
	}
	case FH_RELEASE:
		rc = fh_is_msg(k) ? shmring_msg_release(r) : shmring_release(r);
		break;
	case FH_EXIT:
		if (r)
			shmring_close(r);
		*rp = NULL;
		break;
	default: /* a request the agent does not know: the test's own mistake */
		rc = -EINVAL;
	}
	ag->t_end = test_now_ns();
	return rc;
}

static inline void fh__agent_main(struct fh_agent *ag)
{
	shmring_t *r = NULL;
	uint64_t held_seq = 0;

	fh_child_init(300);
	for (;;) {
		uint32_t req;

		/* Acquire: pairs with the release in fh_agent_start(): the op and
		 * its arguments are in place. */
		while ((req = atomic_load_explicit(&ag->req, memory_order_acquire)) ==
		       atomic_load_explicit(&ag->ack, memory_order_relaxed)) {
			if (getppid() != ag->parent)
				_exit(3); /* the test is gone */
			fh_nap_us(50);
		}
		ag->rc = fh__agent_op(ag, &r, &held_seq);
		/* Release: the results before the acknowledgement. */
		atomic_store_explicit(&ag->ack, req, memory_order_release);
		if (ag->op == FH_EXIT)
			_exit(0);
	}
}

/* Fork an agent for ring `name` of kind `id`; log may be NULL. */
static inline struct fh_agent *fh_agent_new(const char *name, int id, struct fh_log *log)
{
	struct fh_registry *g = fh__reg();
	struct fh_agent *ag = fh_shared(sizeof(*ag));
	pid_t pid;

	if (g->n == FH_MAX_AGENTS)
		fail_msg("too many agents");
	ag->kind = id;
	ag->log = log;
	ag->parent = getpid();
	snprintf(ag->name, sizeof(ag->name), "%s", name);
	fflush(stdout);
	fflush(stderr);
	/* A local first: the page is shared, and the child must not write 0 over it. */
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0)
		fh__agent_main(ag);
	ag->pid = pid;
	g->ag[g->n++] = ag;
	return ag;
}

static inline bool fh_agent_done(struct fh_agent *ag)
{
	/* Acquire: pairs with the agent's release of ack. */
	return atomic_load_explicit(&ag->ack, memory_order_acquire) ==
	       atomic_load_explicit(&ag->req, memory_order_relaxed);
}

/* Start an op and return at once. */
static inline void fh_agent_start(struct fh_agent *ag, int op, int64_t a, int64_t b)
{
	if (!fh_agent_done(ag))
		fail_msg("agent %d is still busy with op %u", (int)ag->pid, ag->op);
	ag->op = (uint32_t)op;
	ag->a = a;
	ag->b = b;
	/* Release: pairs with the agent's acquire of req. */
	atomic_fetch_add_explicit(&ag->req, 1, memory_order_release);
}

/*
 * Whether the agent's process has ended (reaping it): an agent that ends
 * without acknowledging its op will never acknowledge it.
 */
static inline bool fh__agent_ended(struct fh_agent *ag)
{
	int st;

	if (ag->reaped)
		return true;
	if (waitpid(ag->pid, &st, WNOHANG) != ag->pid)
		return false;
	ag->status = test_exit_code(st);
	ag->reaped = true;
	return true;
}

/* Wait up to timeout_ms for the op in progress; true if it finished, false
 * at the timeout or as soon as the agent is found to have ended without it. */
static inline bool fh_agent_wait(struct fh_agent *ag, unsigned timeout_ms)
{
	uint64_t deadline = test_now_ns() + (uint64_t)timeout_ms * TEST_SLOWDOWN * FH_MS;

	for (unsigned n = 1; !fh_agent_done(ag); n++) {
		if (test_now_ns() > deadline)
			return false;
		if (n % 128 == 0 && fh__agent_ended(ag)) {
			/* Its last store is visible once it has been reaped. An
			 * exit's answer is the exit status (fh_agent_exit()), which
			 * a missing acknowledgement does not change. */
			if (fh_agent_done(ag) || ag->op == FH_EXIT)
				break;
			fprintf(stderr, "agent %d ended (status %d) without answering op %u (req %u, ack %u)\n",
			        (int)ag->pid, ag->status, ag->op, (unsigned)atomic_load(&ag->req),
			        (unsigned)atomic_load(&ag->ack));
			return false;
		}
		fh_nap_us(50);
	}
	return true;
}

/* Wait for the op in progress (it must end within timeout_ms); its rc. */
static inline int64_t fh_agent_result(struct fh_agent *ag, unsigned timeout_ms)
{
	if (!fh_agent_wait(ag, timeout_ms))
		fail_msg("agent %d: op %u did not return within %u ms", (int)ag->pid, ag->op,
		         timeout_ms * TEST_SLOWDOWN);
	return ag->rc;
}

/* Run an op to its end (30 s at most) and return its rc. */
static inline int64_t fh_agent_call(struct fh_agent *ag, int op, int64_t a, int64_t b)
{
	fh_agent_start(ag, op, a, b);
	return fh_agent_result(ag, 30000);
}

/* Fork an agent that opens the ring in `role` (the open must succeed). */
static inline struct fh_agent *fh_agent_open(const char *name, int id, unsigned role)
{
	struct fh_agent *ag = fh_agent_new(name, id, NULL);

	assert_int_equal(fh_agent_call(ag, FH_OPEN, role, 0), 0);
	return ag;
}

/* The agent's exit status as test_wait_pid() reports it (waits up to timeout_ms). */
static inline int fh_agent_reap(struct fh_agent *ag, unsigned timeout_ms)
{
	if (!ag->reaped) {
		ag->status = test_wait_pid(ag->pid, timeout_ms * TEST_SLOWDOWN);
		ag->reaped = true;
	}
	return ag->status;
}

/* SIGKILL the agent; reap it now (reap) or leave a zombie for later. */
static inline void fh_agent_kill(struct fh_agent *ag, bool reap)
{
	if (ag->pid <= 0)
		abort(); /* never kill(0) or kill(-1) */
	if (ag->reaped)
		return; /* ended already: its pid may be another's now */
	kill(ag->pid, SIGKILL);
	if (reap)
		fh_agent_reap(ag, 10000);
}

/* Ask the agent to close its handle and exit; its exit status. */
static inline int fh_agent_exit(struct fh_agent *ag)
{
	if (ag->reaped)
		return ag->status;
	if (!fh_agent_done(ag)) {
		kill(ag->pid, SIGKILL);
	} else {
		fh_agent_start(ag, FH_EXIT, 0, 0);
		if (!fh_agent_wait(ag, 10000) && !ag->reaped)
			kill(ag->pid, SIGKILL);
	}
	return fh_agent_reap(ag, 10000);
}

/* Have a forked child (not an agent) killed at teardown unless reaped before. */
static inline void fh_track(pid_t pid)
{
	struct fh_registry *g = fh__reg();

	if (g->npids < FH_MAX_AGENTS)
		g->pids[g->npids++] = pid;
}

/* Kill and reap a child unless it was reaped already (then its pid may be another's). */
static inline void fh__finish(pid_t pid)
{
	if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Kill and reap every agent and child still there, unmap shared blocks. */
static inline void fh_cleanup(void)
{
	struct fh_registry *g = fh__reg();

	for (int i = 0; i < g->n; i++) {
		if (!g->ag[i]->reaped)
			fh__finish(g->ag[i]->pid);
		g->ag[i]->reaped = true;
	}
	g->n = 0;
	for (int i = 0; i < g->npids; i++)
		fh__finish(g->pids[i]);
	g->npids = 0;
	for (int i = 0; i < g->nhandles; i++)
		shmring_close(g->handles[i]);
	g->nhandles = 0;
	for (int i = 0; i < g->nmaps; i++)
		munmap(g->maps[i], g->map_len[i]);
	g->nmaps = 0;
}

/* cmocka teardown for every failure test. */
static inline int fh_teardown(void **state)
{
	alarm(0);
	fh_cleanup();
	return test_teardown_names(state);
}

/* A test's own time limit: a hang ends in SIGALRM, never a stuck ctest. */
static inline void fh_limit(unsigned seconds)
{
	alarm(seconds * TEST_SLOWDOWN);
}

/* --- Looking at a ring -------------------------------------------------------- */

static inline struct shmring_info fh_info(shmring_t *r)
{
	struct shmring_info in;

	memset(&in, 0, sizeof(in));
	assert_int_equal(shmring_info(r, &in), 0);
	return in;
}

#define FH_MAX_PARTS 256u

/* The participant entry of `pid` (the first, for a process with several); false if none. */
static inline bool fh_part_of(shmring_t *r, pid_t pid, struct shmring_participant *out)
{
	struct shmring_participant p[FH_MAX_PARTS];
	int n = shmring_participants(r, p, FH_MAX_PARTS);

	for (int i = 0; i < n; i++) {
		if (p[i].pid == (uint32_t)pid) {
			*out = p[i];
			return true;
		}
	}
	return false;
}

/*
 * Wait until `pid` sleeps in the ring: its participant entry says parked ==
 * `what` (1: for messages, 2: for room), or the side's park counter moved
 * past `waits_before` (empty_waits for what == 1, full_waits for 2). Then
 * the test sleeps a little more, so that the sleeper is in the futex call.
 */
static inline bool fh_wait_parked(shmring_t *obs, pid_t pid, uint32_t what, uint64_t waits_before,
                                  unsigned timeout_ms)
{
	uint64_t deadline = test_now_ns() + (uint64_t)timeout_ms * TEST_SLOWDOWN * FH_MS;

	while (test_now_ns() < deadline) {
		struct shmring_participant p;
		struct shmring_info in = fh_info(obs);
		uint64_t waits = what == 1 ? in.empty_waits : in.full_waits;

		if ((fh_part_of(obs, pid, &p) && p.parked == what) || waits > waits_before)
			return true;
		fh_nap_us(200);
	}
	return false;
}

/* A random number in [lo, hi]. */
static inline unsigned fh_rand(unsigned lo, unsigned hi)
{
	return lo + (unsigned)(random() % (long)(hi - lo + 1));
}

/* --- Forging the segment ---------------------------------------------------------- */

/* Map the ring's segment read-write through a second mapping (as a hostile peer would). */
static inline void *fh_map_ring(const char *name, size_t *size)
{
	struct stat st;
	void *p;
	int fd = shm_open(name, O_RDWR, 0);

	if (fd < 0)
		fail_msg("shm_open %s: %s", name, strerror(errno));
	if (fstat(fd, &st) != 0)
		fail_msg("fstat %s: %s", name, strerror(errno));
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		fail_msg("mmap %s: %s", name, strerror(errno));
	*size = (size_t)st.st_size;
	return p;
}

/* This process's pid namespace inode (0 if it cannot be read). */
static inline uint64_t fh_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* A process's start time in clock ticks (field 22 of /proc/PID/stat), 0 if unknown. */
static inline uint64_t fh_start_time(pid_t pid)
{
	char path[64], buf[1024];
	const char *p;
	unsigned long long st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (test_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &st) != 1)
		return 0;
	return st;
}

/* --- One test per kind ----------------------------------------------------------- */

/* Define fn_spsc(), fn_spscd() (dense SPSC) ... fn_msgm(), cmocka tests that run fn(kind id). */
#define FH__KIND_TEST(fn, tag, id)                                                                 \
	static void fn##_##tag(void **s)                                                           \
	{                                                                                          \
		(void)s;                                                                           \
		fn(id);                                                                            \
	}
#define FH_PER_KIND(fn)                                                                            \
	FH__KIND_TEST(fn, spsc, FH_SPSC)                                                           \
	FH__KIND_TEST(fn, spscd, FH_SPSCD)                                                         \
	FH__KIND_TEST(fn, mpsc, FH_MPSC)                                                           \
	FH__KIND_TEST(fn, spmc, FH_SPMC)                                                           \
	FH__KIND_TEST(fn, mpmc, FH_MPMC)                                                           \
	FH__KIND_TEST(fn, msg1, FH_MSG1)                                                           \
	FH__KIND_TEST(fn, msgm, FH_MSGM)

/* The cmocka entries for the tests FH_PER_KIND(fn) defined. */
#define FH_KIND_TESTS(fn)                                                                          \
	cmocka_unit_test_teardown(fn##_spsc, fh_teardown),                                         \
	    cmocka_unit_test_teardown(fn##_spscd, fh_teardown),                                    \
	    cmocka_unit_test_teardown(fn##_mpsc, fh_teardown),                                     \
	    cmocka_unit_test_teardown(fn##_spmc, fh_teardown),                                     \
	    cmocka_unit_test_teardown(fn##_mpmc, fh_teardown),                                     \
	    cmocka_unit_test_teardown(fn##_msg1, fh_teardown),                                     \
	    cmocka_unit_test_teardown(fn##_msgm, fh_teardown)

#endif /* SHMRING_TESTS_FAILURE_HELPERS_H */
