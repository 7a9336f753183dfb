/* SPDX-License-Identifier: MIT */
/*
 * test_nosyscall: no system call on the fast path, counted. A producer thread
 * and a consumer thread, pinned to two CPUs, move 10^6 8-byte messages while
 * every system call either of them makes is counted, and the count must be
 * zero.
 *
 * How the count is taken: a seccomp filter whose every verdict is
 * SECCOMP_RET_USER_NOTIF (user notification, Linux 5.5 and later, no root
 * needed: the filter is installed under no_new_privs). Each system call of a
 * filtered thread then waits for a supervisor thread, which notes its number
 * and lets it run (SECCOMP_USER_NOTIF_FLAG_CONTINUE), so the count covers any
 * system call at all, futex or not, and changes nothing the ring does.
 * clock_gettime is answered by the vDSO and is rightly not counted. Each case
 * runs in a forked child, since a filter cannot be taken off: the child's
 * main thread starts the supervisor, installs the filter and starts the two
 * workers, which inherit it. A worker's system calls count from the moment
 * both have reached the starting line (a spin barrier, no futex) until it
 * has moved its last message; everything before (opening, pinning, the
 * warm-up below) and after (joining, closing) is setup and only reported.
 *
 * What is allowed inside the window: nothing, beyond two things the ring
 * promises and that depend on time, not on the number of messages:
 *   - A try call that moves nothing checks the ring's peers (a pidfd poll
 *     per participant) at most once per recovery deadline (ring.h,
 *     "Failure"), and so does a blocking wait that lasts a deadline. The
 *     main cases create their rings with the longest deadline (60 s), and
 *     a warm-up makes each handle run its first check (pidfd_open and /proc
 *     reads, whose verdicts are then cached) before the window: no check
 *     falls inside it, and the allowance is zero. The *_default_recovery
 *     cases keep the default deadline (5 ms) and allow the polls of one
 *     check per side per deadline the window spans (peer_check_calls()).
 *     A cached live verdict is made afresh (pidfd_open and /proc reads
 *     again) once it is a second old (SHMRING_REJUDGE_NS): a window is
 *     milliseconds, and the warm-up's verdicts are fresh. A round that ends
 *     a second or more after its warm-up (a machine that took the workers'
 *     CPUs away for that long) is slow: it may hold re-judgements too
 *     (slow_ok(): a bounded number of calls per second) and is run again,
 *     up to ROUNDS times, until one shows zero.
 *   - The blocking calls with the adaptive policy yield and park only when
 *     a wait outlasts their spin (50 us at most): under steady traffic,
 *     never. A machine that takes a worker's CPU away for longer stops the
 *     traffic, and the other side then rightly yields and parks. Such a
 *     round is told by the ring's own park counters (shmring_info:
 *     full_waits, empty_waits) and the workers' involuntary context
 *     switches; it is held to the rules of disturbed_ok() (only the wait's
 *     own calls, every futex call one the ring counted, a few calls per
 *     preemption at most) and run again, up to ROUNDS times, until one
 *     shows zero calls. A round in which nobody parked or was preempted
 *     must show zero. On a machine so busy that no round shows zero, the
 *     case passes on the disturbed rules alone and prints a NOTE saying
 *     zero was not shown.
 * Spinning cases (SHMRING_WAIT_SPIN, try calls in a loop with a pause,
 * through the library or the inline lane of shmring/lane.h) never park, so
 * every round must show zero however busy the machine, but for a slow
 * one's re-judgements.
 *
 * Skipped (77): under ASan/TSan (their runtimes make system calls of their
 * own: shadow memory, thread bookkeeping), on fewer than two CPUs (no steady
 * traffic between two spinning threads on one CPU), and where the kernel or
 * a sandbox refuses seccomp user notification.
 *
 * `test_nosyscall -v` prints every case's counts by system call.
 */

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "helpers.h"
#include "shmring/lane.h"
#include "ringbuf/atomics.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NOSYS_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) ||                               \
    defined(SHMRING_SANITIZE_address) || defined(SHMRING_SANITIZE_thread)
#define NOSYS_SANITIZED 1
#endif

#if defined(__x86_64__)
#define NOSYS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NOSYS_ARCH AUDIT_ARCH_AARCH64
#endif

#define MESSAGES         1000000u
#define CAPACITY         4096u
#define ROUNDS           8    /* rounds of a case, until one shows zero (see check_case()) */
#define NSYS             1024 /* system call numbers counted one by one */
#define FIRST_SEEN       16   /* window calls recorded with their caller's address */
#define WARM_TRIES       600u /* fruitless try calls: more than the ring's 256 before a check */
#define LONG_RECOVERY_NS UINT64_C(60000000000)

enum side { PROD, CONS, NSIDES };

enum phase { SETUP, WINDOW, DONE };

/* SPIN: try calls in a loop (inline over the handle: an 8-byte message);
 * LIBRARY: the same through the library's own functions; LANE: through a
 * lane (shmring/lane.h); ADAPTIVE: blocking calls, the default wait policy. */
enum api { SPIN, LIBRARY, LANE, ADAPTIVE };

/* One case: a ring kind, how both sides wait, and the ring's recovery deadline. */
struct nosys_case {
	const char *name;
	uint32_t kind;
	enum api api;
	uint64_t recovery_ns; /* 0: the default */
};

/* One system call seen in the window. */
struct seen {
	uint32_t nr;
	uint32_t side;
	uint64_t ip;
};

/* One round, as the forked child reports it to the test (shared memory). */
struct round {
	int rc; /* 0, or where it failed (why says how) */
	char why[200];
	uint64_t moved;     /* messages the consumer got, in order */
	uint64_t window_ns; /* the longer side's window */
	uint64_t aged_ns;   /* from the warm-up's end to the window's: its verdicts' age */
	uint64_t total[NSIDES];
	uint64_t setup; /* calls outside the window (all threads) */
	uint64_t by_nr[NSYS];
	uint32_t nseen;
	struct seen first[FIRST_SEEN];
	long nivcsw[NSIDES]; /* involuntary context switches in the window */
	long nvcsw[NSIDES];
	struct shmring_info info;
};

/* What the child's threads share. */
struct child {
	const struct nosys_case *c;
	struct round *out;
	shmring_t *h[NSIDES];
	int cpu[NSIDES];
	_Atomic int listener; /* -1 until the filter is installed */
	_Atomic pid_t tid[NSIDES];
	_Atomic int phase[NSIDES];
	_Atomic int ready; /* the spin barrier */
	uint64_t t0[NSIDES], t1[NSIDES];
	_Atomic uint64_t setup;
	_Atomic uint64_t total[NSIDES];
	_Atomic uint64_t by_nr[NSYS];
	_Atomic uint32_t nseen;
};

static bool verbose;

/* --- The counter ------------------------------------------------------------ */

static int nosys_seccomp(unsigned op, unsigned flags, void *arg)
{
	return (int)syscall(SYS_seccomp, op, flags, arg);
}

/*
 * Every system call of this thread (and of threads it creates later) goes
 * to the listener, except exit and exit_group: the supervisor dies with the
 * process, and nobody would answer them. Returns the listener fd or -errno.
 */
static int install_filter(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NOSYS_ARCH, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = (unsigned short)(sizeof f / sizeof f[0]), .filter = f};
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	fd = nosys_seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	return fd < 0 ? -errno : fd;
}

static void note(struct child *ch, const struct seccomp_notif *req)
{
	for (int s = 0; s < NSIDES; s++) {
		/* Acquire: pairs with the release of the phase in the worker,
		 * whose system call comes after it. */
		if ((pid_t)req->pid != atomic_load_explicit(&ch->tid[s], memory_order_relaxed) ||
		    atomic_load_explicit(&ch->phase[s], memory_order_acquire) != WINDOW)
			continue;
		atomic_fetch_add(&ch->total[s], 1);
		atomic_fetch_add(&ch->by_nr[req->data.nr < NSYS ? req->data.nr : NSYS - 1], 1);
		uint32_t i = atomic_fetch_add(&ch->nseen, 1);
		if (i < FIRST_SEEN)
			ch->out->first[i] = (struct seen){.nr = (uint32_t)req->data.nr,
			                                  .side = (uint32_t)s,
			                                  .ip = req->data.instruction_pointer};
		return;
	}
	atomic_fetch_add(&ch->setup, 1);
}

/* The supervisor: count each notified call and let it run. Unfiltered (it
 * started before the filter); ends with the process. */
static void *supervise(void *arg)
{
	struct child *ch = arg;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	int fd;

	/*
	 * SCHED_IDLE: a normal thread's wake-up preempts the one running on
	 * its CPU, so the supervisor woken by each counted call would preempt
	 * a worker, and the involuntary switches that the disturbance rules
	 * allow calls for would grow with the calls themselves. An idle-policy
	 * thread runs when a CPU has nothing else to do: a worker blocked in a
	 * counted call leaves its own CPU to it.
	 */
	sched_setscheduler(0, SCHED_IDLE, &(struct sched_param){0});
	while ((fd = atomic_load(&ch->listener)) < 0)
		shmring__cpu_relax();
	for (;;) {
		memset(&req, 0, sizeof req);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return NULL;
		}
		note(ch, &req);
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		/* ENOENT: the caller was killed meanwhile; nothing to answer. */
		(void)ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

/* --- The two workers --------------------------------------------------------- */

struct worker {
	struct child *ch;
	enum side side;
	int rc;
	char why[160];
};

__attribute__((format(printf, 2, 3))) static int worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof w->why, fmt, ap);
	va_end(ap);
	w->rc = -1;
	return -1;
}

/* One message each way by the case's calls: 0, 1 (nothing now: full or
 * empty) or < 0. */
static int send_one(const struct nosys_case *c, shmring_t *h, uint64_t v, uint64_t deadline)
{
	struct shmring_lane *l;
	int rc;

	if (c->kind == SHMRING_KIND_MSG)
		rc = c->api == SPIN ? shmring_msg_try_send(h, &v, sizeof v, 1)
		                    : shmring_msg_send(h, &v, sizeof v, 1, deadline);
	else if (c->api == LANE)
		rc = shmring_lane_get(h, SHMRING_PRODUCER, &l) ? -EPROTO : shmring_lane_try_send(l, &v);
	else if (c->api == LIBRARY)
		rc = (shmring_try_send)(h, &v);
	else
		rc = c->api == SPIN ? shmring_try_send(h, &v) : shmring_send(h, &v, deadline);
	return rc == -EAGAIN ? 1 : rc;
}

static int recv_one(const struct nosys_case *c, shmring_t *h, uint64_t *v, uint64_t deadline)
{
	int rc;

	if (c->kind == SHMRING_KIND_MSG) {
		uint32_t type;
		ssize_t n = c->api == SPIN ? shmring_msg_try_recv(h, v, sizeof *v, &type)
		                           : shmring_msg_recv(h, v, sizeof *v, &type, deadline);

		if (n == (ssize_t)sizeof *v)
			return type == 1 ? 0 : -EPROTO;
		rc = n < 0 ? (int)n : -EPROTO;
	} else if (c->api == LANE) {
		struct shmring_lane *l;

		rc = shmring_lane_get(h, SHMRING_CONSUMER, &l) ? -EPROTO : shmring_lane_try_recv(l, v);
	} else if (c->api == LIBRARY) {
		rc = (shmring_try_recv)(h, v);
	} else {
		rc = c->api == SPIN ? shmring_try_recv(h, v) : shmring_recv(h, v, deadline);
	}
	return rc == -EAGAIN ? 1 : rc;
}

/* The window: MESSAGES messages, the user's loop (one per call, a pause
 * when full or empty). Every system call made in it is counted. */
static int run_window(struct worker *w)
{
	struct child *ch = w->ch;
	const struct nosys_case *c = ch->c;
	shmring_t *h = ch->h[w->side];
	uint64_t deadline = shmring_deadline_in(UINT64_C(60000000000));

	if (w->side == PROD) {
		for (uint64_t i = 0; i < MESSAGES;) {
			int rc = send_one(c, h, i, deadline);

			if (rc < 0)
				return worker_fail(w, "send %llu: %s", (unsigned long long)i,
				                   shmring_strerror(rc));
			if (rc == 0)
				i++;
			else if (test_now_ns() > deadline)
				return worker_fail(w, "send %llu: full for 60 s",
				                   (unsigned long long)i);
			else
				shmring__cpu_relax();
		}
		return 0;
	}
	for (uint64_t i = 0; i < MESSAGES;) {
		uint64_t v = ~UINT64_C(0);
		int rc = recv_one(c, h, &v, deadline);

		if (rc < 0)
			return worker_fail(w, "recv %llu: %s", (unsigned long long)i,
			                   shmring_strerror(rc));
		if (rc == 0) {
			if (v != i)
				return worker_fail(w, "message %llu came as %llu",
				                   (unsigned long long)i, (unsigned long long)v);
			ch->out->moved = ++i;
		} else if (test_now_ns() > deadline) {
			return worker_fail(w, "recv %llu: empty for 60 s", (unsigned long long)i);
		} else {
			shmring__cpu_relax();
		}
	}
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct child *ch = w->ch;
	struct rusage ru0, ru1;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(ch->cpu[w->side], &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		worker_fail(w, "sched_setaffinity(%d): %s", ch->cpu[w->side], strerror(errno));
		/* Still reach the barrier, or the other side spins for ever. */
	}
	atomic_store(&ch->tid[w->side], (pid_t)syscall(SYS_gettid));
	getrusage(RUSAGE_THREAD, &ru0);
	/* Release: pairs with the acquire in note(): a call made after this
	 * store is counted in the window. */
	atomic_store_explicit(&ch->phase[w->side], WINDOW, memory_order_release);
	atomic_fetch_add(&ch->ready, 1);
	while (atomic_load(&ch->ready) < NSIDES)
		shmring__cpu_relax();
	ch->t0[w->side] = test_now_ns();
	if (w->rc == 0)
		run_window(w);
	ch->t1[w->side] = test_now_ns();
	atomic_store_explicit(&ch->phase[w->side], DONE, memory_order_release);
	getrusage(RUSAGE_THREAD, &ru1);
	ch->out->nivcsw[w->side] = ru1.ru_nivcsw - ru0.ru_nivcsw;
	ch->out->nvcsw[w->side] = ru1.ru_nvcsw - ru0.ru_nvcsw;
	return NULL;
}

/* --- Setup and one round ----------------------------------------------------- */

/*
 * Make each handle run the peer check that a run of fruitless try calls
 * starts (its first one judges every participant afresh: pidfd_open and
 * /proc reads), so that in the window it only has cached verdicts: the
 * consumer tries an empty ring, the producer a full one, which the consumer
 * then drains. 0 or -errno.
 */
static int warm_up(const struct nosys_case *c, shmring_t *tx, shmring_t *rx)
{
	struct nosys_case spin = *c;
	uint64_t v = 0, sent = 0;
	int rc;

	spin.api = SPIN;
	for (unsigned i = 0; i < WARM_TRIES; i++)
		if ((rc = recv_one(&spin, rx, &v, 0)) != 1)
			return rc < 0 ? rc : -EPROTO;
	while ((rc = send_one(&spin, tx, sent, 0)) == 0)
		sent++;
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < WARM_TRIES; i++)
		if ((rc = send_one(&spin, tx, sent, 0)) != 1)
			return rc < 0 ? rc : -EPROTO;
	for (uint64_t i = 0; i < sent; i++)
		if ((rc = recv_one(&spin, rx, &v, 0)) != 0 || v != i)
			return rc < 0 ? rc : -EPROTO;
	return 0;
}

/* The two CPUs the workers take: the first two this process may use. */
static bool two_cpus(int cpu[NSIDES])
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return false;
	for (int i = 0; i < CPU_SETSIZE && n < NSIDES; i++)
		if (CPU_ISSET(i, &set))
			cpu[n++] = i;
	return n == NSIDES;
}

__attribute__((format(printf, 3, 4))) static int child_fail(struct round *out, int rc,
                                                            const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->why, sizeof out->why, fmt, ap);
	va_end(ap);
	out->rc = rc;
	return rc;
}

/* The forked child's whole life: 0, or the round's rc. */
static int child_round(const struct nosys_case *c, const char *name, struct round *out)
{
	static struct child ch; /* the child's own copy; the parent never sees it */
	struct shmring_opts o = {
	    .kind = c->kind, .slot_size = 8, .capacity = CAPACITY, .recovery_ns = c->recovery_ns};
	struct shmring_wait spin = {.mode = SHMRING_WAIT_SPIN};
	struct worker w[NSIDES];
	pthread_t sup, t[NSIDES];
	uint64_t warmed;
	int fd, rc;

	if (c->kind == SHMRING_KIND_MSG)
		o.capacity = shmring_msg_span(8) * CAPACITY;
	ch.c = c;
	ch.out = out;
	atomic_store(&ch.listener, -1);
	if (!two_cpus(ch.cpu))
		return child_fail(out, TEST_SKIP, "fewer than two CPUs");
	rc = shmring_create(name, &o, SHMRING_PRODUCER, &ch.h[PROD]);
	if (rc == 0)
		rc = shmring_open(name, SHMRING_CONSUMER, &ch.h[CONS]);
	if (rc < 0)
		return child_fail(out, 1, "create/open %s: %s", name, shmring_strerror(rc));
	if (c->api != ADAPTIVE &&
	    (shmring_set_wait(ch.h[PROD], &spin) != 0 || shmring_set_wait(ch.h[CONS], &spin) != 0))
		return child_fail(out, 1, "shmring_set_wait(SPIN) failed");
	rc = warm_up(c, ch.h[PROD], ch.h[CONS]);
	if (rc < 0)
		return child_fail(out, 1, "warm-up: %s", shmring_strerror(rc));
	warmed = test_now_ns();
	if (pthread_create(&sup, NULL, supervise, &ch) != 0)
		return child_fail(out, 1, "pthread_create: supervisor");
	fd = install_filter();
	if (fd < 0)
		return child_fail(out, TEST_SKIP, "seccomp user notification refused: %s",
		                  strerror(-fd));
	atomic_store(&ch.listener, fd);
	for (int s = 0; s < NSIDES; s++) {
		w[s] = (struct worker){.ch = &ch, .side = (enum side)s};
		if (pthread_create(&t[s], NULL, work, &w[s]) != 0)
			return child_fail(out, 1, "pthread_create: worker");
	}
	for (int s = 0; s < NSIDES; s++)
		pthread_join(t[s], NULL);
	for (int s = 0; s < NSIDES; s++)
		if (w[s].rc)
			return child_fail(out, 1, "%s: %s", s == PROD ? "producer" : "consumer",
			                  w[s].why);
	shmring_info(ch.h[CONS], &out->info);
	for (int s = 0; s < NSIDES; s++) {
		uint64_t ns = ch.t1[s] - ch.t0[s];

		out->total[s] = atomic_load(&ch.total[s]);
		if (ns > out->window_ns)
			out->window_ns = ns;
		if (ch.t1[s] - warmed > out->aged_ns)
			out->aged_ns = ch.t1[s] - warmed;
	}
	for (int i = 0; i < NSYS; i++)
		out->by_nr[i] = atomic_load(&ch.by_nr[i]);
	out->nseen = atomic_load(&ch.nseen);
	out->setup = atomic_load(&ch.setup);
	shmring_close(ch.h[PROD]);
	shmring_close(ch.h[CONS]);
	shm_unlink(name);
	return 0;
}

/* --- The test's side ---------------------------------------------------------- */

/* Names for the calls a ring could plausibly make; others print as numbers. */
#define SYSNAME(x)                                                                                 \
	{                                                                                          \
		SYS_##x, #x                                                                        \
	}
static const struct {
	long nr;
	const char *name;
} sys_names[] = {
    SYSNAME(futex),
    SYSNAME(sched_yield),
    SYSNAME(ppoll),
    SYSNAME(read),
    SYSNAME(write),
    SYSNAME(close),
    SYSNAME(openat),
    SYSNAME(pidfd_open),
    SYSNAME(kill),
    SYSNAME(getpid),
    SYSNAME(gettid),
    SYSNAME(clock_gettime),
    SYSNAME(nanosleep),
    SYSNAME(clock_nanosleep),
    SYSNAME(mmap),
    SYSNAME(munmap),
    SYSNAME(madvise),
    SYSNAME(msync),
    SYSNAME(rt_sigprocmask),
    SYSNAME(rt_sigtimedwait),
    SYSNAME(rt_sigqueueinfo),
    SYSNAME(pidfd_send_signal),
    SYSNAME(getrusage),
    SYSNAME(sched_setaffinity),
    SYSNAME(semtimedop),
    SYSNAME(fstat),
    SYSNAME(newfstatat),
    SYSNAME(lseek),
    SYSNAME(pread64),
#ifdef SYS_poll
    SYSNAME(poll),
#endif
};
#undef SYSNAME

static const char *sys_name(uint32_t nr)
{
	for (size_t i = 0; i < sizeof sys_names / sizeof sys_names[0]; i++)
		if (sys_names[i].nr == (long)nr)
			return sys_names[i].name;
	return NULL;
}

static void print_round(const char *cname, int round, const struct round *r, const char *verdict)
{
	printf("%s round %d: %llu messages in %.1f ms; window syscalls producer %llu, consumer "
	       "%llu (setup %llu); parks full %llu empty %llu, wakes %llu; preempted %ld/%ld, "
	       "switches %ld/%ld: %s\n",
	       cname, round, (unsigned long long)r->moved, (double)r->window_ns / 1e6,
	       (unsigned long long)r->total[PROD], (unsigned long long)r->total[CONS],
	       (unsigned long long)r->setup, (unsigned long long)r->info.full_waits,
	       (unsigned long long)r->info.empty_waits, (unsigned long long)r->info.wakes,
	       r->nivcsw[PROD], r->nivcsw[CONS], r->nvcsw[PROD], r->nvcsw[CONS], verdict);
	if (!verbose && r->total[PROD] + r->total[CONS] == 0)
		return;
	for (uint32_t nr = 0; nr < NSYS; nr++) {
		const char *n = sys_name(nr);

		if (!r->by_nr[nr])
			continue;
		if (n)
			printf("    %-18s %llu\n", n, (unsigned long long)r->by_nr[nr]);
		else
			printf("    syscall %-10u %llu\n", nr, (unsigned long long)r->by_nr[nr]);
	}
	for (uint32_t i = 0; i < r->nseen && i < FIRST_SEEN; i++)
		printf("    #%u %s %s (nr %u) at ip %#llx\n", i,
		       r->first[i].side == PROD ? "producer" : "consumer",
		       sys_name(r->first[i].nr) ? sys_name(r->first[i].nr) : "?", r->first[i].nr,
		       (unsigned long long)r->first[i].ip);
}

/* One round in a forked child; the child's report in *r. */
static void run_round(const struct nosys_case *c, struct round *r)
{
	const char *name = test_ring_name(c->name);
	pid_t pid;
	int st;

	memset(r, 0, sizeof *r);
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_round(c, name, r) == 0 ? 0 : 1);
	st = test_wait_pid(pid, 120000u);
	if (r->rc == TEST_SKIP)
		test_skip("%s", r->why);
	if (st != 0 || r->rc != 0)
		fail_msg("%s: child exit %d: %s", c->name, st, r->why[0] ? r->why : "(no report)");
	assert_int_equal(r->moved, MESSAGES);
}

/*
 * What a window may hold besides nothing.
 *
 * Peer checks: with the default recovery deadline (5 ms), each side's run of
 * fruitless try calls (or a wait that long) checks its peers once per
 * deadline, a poll of the cached pidfd of each of the two participants:
 * at most 2 sides x 2 polls per deadline the window spans, and one more.
 * With the 60 s deadline the warm-up took the only check there is.
 *
 * Disturbance (adaptive only): a side whose CPU is taken away for longer
 * than its peer's spin makes the peer yield (4 sched_yield) and park (a
 * futex wait, and a futex wake from the side that comes back). How often
 * that happens depends on the machine, not on the messages, so such a round
 * is held to what the wait's design allows: only sched_yield, futex and the
 * peer checks' poll; every futex call one the ring counted (a park or a
 * wake: shmring_info); and at most DISTURBED_CALLS per involuntary context
 * switch of a worker (the supervisor that counts runs SCHED_IDLE, so the
 * counting preempts nobody: see supervise()). A call per message (10^6) or
 * per batch of 32 (31250) is far beyond that; a round on a quiet machine has
 * no disturbance at all and must show no call.
 */
#define DISTURBED_CALLS 16u

/* The poll calls of a round (the peer checks' pidfd polls). */
static uint64_t polls(const struct round *r)
{
	uint64_t n = r->by_nr[SYS_ppoll];

#ifdef SYS_poll
	n += r->by_nr[SYS_poll];
#endif
	return n;
}

static uint64_t peer_check_calls(const struct nosys_case *c, const struct round *r)
{
	uint64_t periods = r->window_ns / SHMRING_DEFAULT_RECOVERY_NS + 1;

	return c->recovery_ns ? 0 : NSIDES * NSIDES * periods;
}

/*
 * Re-judgement: a cached live verdict is made afresh once it is a second old
 * (SHMRING_REJUDGE_NS, src/internal.h): pidfd_open and /proc reads, about a
 * dozen calls. Only the cases with the default deadline check their peers
 * inside a window, and only a window that ends a second or more after the
 * warm-up can hold a re-judgement: 10^6 messages take milliseconds, so only
 * a machine that took the workers' CPUs away for most of a second makes
 * one. Such a round is slow: it may make REJUDGE_CALLS for each side's
 * verdict on each participant per second, besides the polls, and is run
 * again (up to ROUNDS times) to show zero.
 */
#define REJUDGE_NS    UINT64_C(1000000000)
#define REJUDGE_CALLS 24u

static bool slow(const struct nosys_case *c, const struct round *r)
{
	return !c->recovery_ns && r->aged_ns >= REJUDGE_NS;
}

static uint64_t rejudge_calls(const struct nosys_case *c, const struct round *r)
{
	return slow(c, r) ? NSIDES * NSIDES * REJUDGE_CALLS * (r->aged_ns / REJUDGE_NS) : 0;
}

/* A slow round: NULL if it keeps to the rules above, else why not. */
static const char *slow_ok(const struct nosys_case *c, const struct round *r, char *why,
                           size_t size)
{
	uint64_t calls = r->total[PROD] + r->total[CONS];

	if (polls(r) > peer_check_calls(c, r))
		snprintf(why, size, "%llu polls, more than %llu", (unsigned long long)polls(r),
		         (unsigned long long)peer_check_calls(c, r));
	else if (calls - polls(r) > rejudge_calls(c, r))
		snprintf(why, size, "%llu calls besides the polls, more than %llu for re-judging",
		         (unsigned long long)(calls - polls(r)),
		         (unsigned long long)rejudge_calls(c, r));
	else
		return NULL;
	return why;
}

/* A disturbed adaptive round: NULL if it keeps to the rules above, else why not. */
static const char *disturbed_ok(const struct nosys_case *c, const struct round *r, char *why,
                                size_t size)
{
	uint64_t calls = r->total[PROD] + r->total[CONS];
	uint64_t futex = r->by_nr[SYS_futex], yield = r->by_nr[SYS_sched_yield];
	uint64_t parks = r->info.full_waits + r->info.empty_waits;
	uint64_t allowed = peer_check_calls(c, r) + rejudge_calls(c, r) +
	                   DISTURBED_CALLS * (uint64_t)(r->nivcsw[PROD] + r->nivcsw[CONS] + 1);
	if (futex + yield + polls(r) + rejudge_calls(c, r) < calls)
		snprintf(why, size, "%llu calls other than futex, sched_yield and poll",
		         (unsigned long long)(calls - futex - yield - polls(r)));
	else if (futex > parks + r->info.wakes)
		snprintf(why, size, "%llu futex calls, the ring counted %llu parks and %llu wakes",
		         (unsigned long long)futex, (unsigned long long)parks,
		         (unsigned long long)r->info.wakes);
	else if (calls > allowed)
		snprintf(why, size, "%llu calls, more than %llu for %ld+%ld preemptions",
		         (unsigned long long)calls, (unsigned long long)allowed, r->nivcsw[PROD],
		         r->nivcsw[CONS]);
	else
		return NULL;
	return why;
}

/*
 * Spinning cases: one round, no call but the peer checks (none with the
 * 60 s deadline), however busy the machine. Adaptive cases: rounds until one
 * shows no call but the peer checks (zero shown); a round that shows more
 * must have been disturbed (a park, a preemption) and keep to the rules
 * above. When no round shows zero (a busy machine) the case passes on those
 * rules alone and says that zero was not shown.
 */
static void check_case(const struct nosys_case *c)
{
	struct round *r =
	    mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int quiet = 0;
	char why[160];

	assert_true(r != MAP_FAILED);
	for (int round = 1; round <= ROUNDS && !quiet; round++) {
		uint64_t calls, allowed;
		bool disturbed, clean;
		const char *bad;

		run_round(c, r);
		calls = r->total[PROD] + r->total[CONS];
		allowed = peer_check_calls(c, r);
		/* Nothing but the peer checks' polls, and no more of them
		 * than the deadlines allow: zero shown. */
		clean = calls == polls(r) && calls <= allowed;
		disturbed = c->api == ADAPTIVE && (r->info.full_waits + r->info.empty_waits > 0 ||
		                                   r->nivcsw[PROD] > 0 || r->nivcsw[CONS] > 0);
		if (disturbed && !clean) {
			bad = disturbed_ok(c, r, why, sizeof why);
			print_round(c->name, round, r,
			            bad ? "FAIL (disturbed)" : "disturbed, again");
			if (bad)
				fail_msg("%s round %d (disturbed): %s", c->name, round, bad);
			continue;
		}
		if (slow(c, r) && !clean) {
			bad = slow_ok(c, r, why, sizeof why);
			print_round(c->name, round, r, bad ? "FAIL (slow)" : "slow, again");
			if (bad)
				fail_msg("%s round %d (slow): %s", c->name, round, bad);
			continue;
		}
		print_round(c->name, round, r,
		            !clean      ? "FAIL"
		            : disturbed ? "ok (though disturbed)"
		                        : "ok");
		if (allowed)
			printf("    allowed: %llu polls (peer checks of 2 sides x 2 participants "
			       "per 5 ms deadline)\n",
			       (unsigned long long)allowed);
		if (!clean)
			fail_msg("%s: %llu system calls (%llu polls) while moving %u messages "
			         "(allowed: %llu polls)",
			         c->name, (unsigned long long)calls, (unsigned long long)polls(r),
			         MESSAGES, (unsigned long long)allowed);
		quiet = round;
	}
	munmap(r, sizeof *r);
	if (!quiet)
		printf("NOTE: %s: every one of %d rounds was disturbed (parks or preemptions) or "
		       "slow and made calls: checked against those rules only, zero not shown\n",
		       c->name, ROUNDS);
}

/* Not const: cmocka hands each test its case as mutable initial state. */
static struct nosys_case cases[] = {
    {"spsc_spin", SHMRING_KIND_SPSC, SPIN, LONG_RECOVERY_NS},
    {"spsc_adaptive", SHMRING_KIND_SPSC, ADAPTIVE, LONG_RECOVERY_NS},
    {"spsc_library", SHMRING_KIND_SPSC, LIBRARY, LONG_RECOVERY_NS},
    {"spsc_lane", SHMRING_KIND_SPSC, LANE, LONG_RECOVERY_NS},
    {"mpsc_spin", SHMRING_KIND_MPSC, SPIN, LONG_RECOVERY_NS},
    {"mpsc_adaptive", SHMRING_KIND_MPSC, ADAPTIVE, LONG_RECOVERY_NS},
    {"msg_spin", SHMRING_KIND_MSG, SPIN, LONG_RECOVERY_NS},
    {"msg_adaptive", SHMRING_KIND_MSG, ADAPTIVE, LONG_RECOVERY_NS},
    {"spsc_spin_default_recovery", SHMRING_KIND_SPSC, SPIN, 0},
    {"spsc_adaptive_default_recovery", SHMRING_KIND_SPSC, ADAPTIVE, 0},
};
#define NCASES (sizeof cases / sizeof cases[0])

static void test_case(void **state)
{
	check_case(*state);
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[NCASES];
	int cpu[NSIDES];

	verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
#ifdef NOSYS_SANITIZED
	test_skip("sanitizer build: the ASan/TSan runtimes make system calls of their own");
#endif
#ifndef NOSYS_ARCH
	test_skip("no seccomp audit architecture known for this CPU");
#endif
	if (!two_cpus(cpu))
		test_skip(
		    "fewer than two CPUs: two spinning threads on one CPU make no steady traffic");
	/* One cmocka test per case, named after it. */
	for (size_t i = 0; i < NCASES; i++)
		tests[i] = (struct CMUnitTest){.name = cases[i].name,
		                               .test_func = test_case,
		                               .teardown_func = test_teardown_names,
		                               .initial_state = &cases[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
