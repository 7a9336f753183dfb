/* SPDX-License-Identifier: MIT */
/*
 * benches/backends_main.c - the same ring on each backend (posix, sysv, file,
 * memfd, anon): what the place a ring lives in costs once it is mapped, what
 * it costs to get there, and what flushing a file ring costs.
 *
 *   1. Round trip and one-way throughput, two processes: the creator forks a
 *      child that takes its own handle (open by name; shmring_dup() for memfd
 *      and anon), SPSC rings of 8-byte messages, busy-poll try calls. Round
 *      trip through two rings; one-way with bursts of 1 and of 32.
 *   2. Getting there: create, and the first message (in the creator; in a
 *      fresh process from its open); a 64 MiB ring's create, first lap (a
 *      producer writing every slot once) and steady lap, with and without
 *      SHMRING_CREATE_PREFAULT and huge pages.
 *   3. A file ring on disk with shmring_set_flush(SHMRING_FLUSH_EVERY, N).
 *
 * Two-process figures are bracketed by the floor: one cache line bounced
 * between the same two processes on the same two CPUs just before and just
 * after the figure. The host moves the vCPUs between near and far placement
 * every few seconds, so each figure is reported within its placement.
 *
 *   shmring_backends [--quick] [--backends LIST] [--figures LIST] [--reps N]
 *                    [--dir DIR] [--help]
 */
#define _GNU_SOURCE /* CPU_SET, sched_setaffinity, prctl, kill in strict C11 */
#include "shmring/shmring.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* Below this floor round trip the two vCPUs are "near" (as shmring bench). */
#define NEAR_NS 200.0
/* Floors before and after a figure further apart than this: placement moved. */
#define MOVED_RATIO 1.5
#define RING_CAP    4096u /* slots of the two-process rings */
#define MSG         8u    /* bytes per message */
#define BURST       32u
#define BIG_BYTES   (64u << 20) /* slot area of the large ring */
#define MAX_REPS    16
#define STOP_SEQ    UINT64_MAX /* round trip: the child echoes it and leaves */

/* --- Backends ---------------------------------------------------------- */

enum backend { B_POSIX, B_SYSV, B_FILE, B_MEMFD, B_ANON, B_COUNT };
static const char *const backend_names[B_COUNT] = {"posix", "sysv", "file", "memfd", "anon"};

/* Named backends are reopened by name in a child; memfd and anon are dup'ed. */
static bool backend_named(int b)
{
	return b == B_POSIX || b == B_SYSV || b == B_FILE;
}

/*
 * Everything created is registered here before the signal handler may need
 * it; the handler unlinks with plain system calls.
 */
struct made {
	int backend;
	char path[256]; /* posix: the shm name ("/..."); file: the path */
	int key;        /* sysv */
	volatile sig_atomic_t live;
};
#define MAX_MADE 8
static struct made made[MAX_MADE];
static char file_dir[200]; /* our directory for file rings; "" when none */
static volatile sig_atomic_t file_dir_made;
static volatile pid_t child_pid; /* the child of the figure running now, 0 when none */
static long huge_old = -1;       /* nr_hugepages to restore, -1 when untouched */
static unsigned name_seq;

static void unlink_made(struct made *m)
{
	if (!m->live)
		return;
	m->live = 0;
	if (m->backend == B_POSIX) {
		shm_unlink(m->path);
	} else if (m->backend == B_FILE) {
		unlink(m->path);
	} else if (m->backend == B_SYSV) {
		int id = shmget((key_t)m->key, 0, 0);

		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	}
}

static void huge_restore(void)
{
	char buf[32];
	int fd, n;

	if (huge_old < 0)
		return;
	fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY | O_CLOEXEC);
	n = snprintf(buf, sizeof buf, "%ld\n", huge_old);
	if (fd >= 0) {
		if (write(fd, buf, (size_t)n) != n) {
			/* nothing more to do from here */
		}
		close(fd);
	}
	huge_old = -1;
}

static void cleanup(void)
{
	if (child_pid > 0)
		kill(child_pid, SIGKILL);
	for (int i = 0; i < MAX_MADE; i++)
		unlink_made(&made[i]);
	if (file_dir_made) {
		rmdir(file_dir);
		file_dir_made = 0;
	}
	huge_restore();
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void signals_block(bool block)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGHUP);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL);
}

/* A ring this program owns: its URI, registry entry, and the creator's handle. */
struct ring {
	int backend;
	char uri[300];
	struct made *m;
	shmring_t *h;
};

/*
 * Create a ring on backend b, registered for removal. The sysv key and the
 * names carry the pid. 0 or -errno.
 */
static int ring_create(struct ring *r, int b, const struct shmring_opts *o, unsigned role)
{
	struct made *m = NULL;
	int rc = -EEXIST;

	for (int i = 0; i < MAX_MADE && !m; i++)
		if (!made[i].live)
			m = &made[i];
	if (!m)
		return -ENOSPC;
	memset(r, 0, sizeof *r);
	r->backend = b;
	/* A sysv key may be taken by someone else: try a few. */
	for (int tries = 0; tries < 16 && rc == -EEXIST; tries++) {
		unsigned n = name_seq++;

		m->backend = b;
		m->key = 0;
		m->path[0] = 0;
		switch (b) {
		case B_POSIX:
			snprintf(m->path, sizeof m->path, "/shmring-bb-%d-%u", (int)getpid(), n);
			snprintf(r->uri, sizeof r->uri, "posix:%s", m->path);
			break;
		case B_SYSV:
			m->key = (int)(0x5b000000u ^ ((unsigned)getpid() << 8) ^ (n & 0xffu));
			if (m->key == 0)
				m->key = 1;
			snprintf(r->uri, sizeof r->uri, "sysv:%u", (unsigned)m->key);
			break;
		case B_FILE:
			snprintf(m->path, sizeof m->path, "%s/ring-%u", file_dir, n);
			snprintf(r->uri, sizeof r->uri, "file:%s", m->path);
			break;
		case B_MEMFD:
			snprintf(r->uri, sizeof r->uri, "memfd:bb-%d-%u", (int)getpid(), n);
			break;
		default:
			snprintf(r->uri, sizeof r->uri, "anon:");
			break;
		}
		signals_block(true);
		rc = shmring_create(r->uri, o, role, &r->h);
		if (rc == 0 && (b == B_POSIX || b == B_SYSV || b == B_FILE)) {
			m->live = 1;
			r->m = m;
		}
		signals_block(false);
		if (b != B_SYSV)
			break;
	}
	return rc;
}

static void ring_destroy(struct ring *r)
{
	if (r->h)
		shmring_close(r->h);
	r->h = NULL;
	if (r->m) {
		signals_block(true);
		shmring_unlink(r->uri);
		r->m->live = 0;
		signals_block(false);
		r->m = NULL;
	}
}

/* A handle of this process (or of a child, on what it inherited) on r. */
static int ring_attach(struct ring *r, unsigned role, shmring_t **out)
{
	if (backend_named(r->backend))
		return shmring_open(r->uri, role, out);
	return shmring_dup(r->h, role, out);
}

/* --- Shared control page, the floor ----------------------------------------- */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Mapped shared before any fork; reset for each child. */
struct ctl {
	alignas(128) _Atomic uint64_t floor_word;
	char pad0[128 - sizeof(uint64_t)];
	alignas(128) _Atomic int stop; /* parent -> child: stop sending */
	_Atomic int ready;             /* child: 1 attached, <0 -errno */
	_Atomic int failed;            /* either side gave up: the other leaves its spins */
	uint64_t deadline;             /* CLOCK_MONOTONIC ns after which spins give up */
	uint64_t t_open, t_first;      /* first-message figure, from the child */
};
static struct ctl *ctl;

/* Cheap watchdog for spin loops: true once the other side failed or time is up. */
static bool give_up(uint64_t *spins)
{
	if ((++*spins & 0xfffff) != 0)
		return false;
	if (atomic_load_explicit(&ctl->failed, memory_order_relaxed))
		return true;
	if (shmring_clock_ns() > ctl->deadline) {
		atomic_store_explicit(&ctl->failed, 1, memory_order_relaxed);
		return true;
	}
	return false;
}

/* rounds round trips of one line; both sides use the same base (as benches/harness.c). */
static int floor_bounce(int side, uint64_t base, unsigned rounds)
{
	uint64_t spins = 0;

	for (unsigned i = 0; i < rounds; i++) {
		const uint64_t ping = base + 2 * i + 1;

		if (side == 0) {
			atomic_store_explicit(&ctl->floor_word, ping, memory_order_relaxed);
			while (atomic_load_explicit(&ctl->floor_word, memory_order_relaxed) !=
			       ping + 1)
				if (give_up(&spins))
					return -1;
				else
					cpu_relax();
		} else {
			while (atomic_load_explicit(&ctl->floor_word, memory_order_relaxed) != ping)
				if (give_up(&spins))
					return -1;
				else
					cpu_relax();
			atomic_store_explicit(&ctl->floor_word, ping + 1, memory_order_relaxed);
		}
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The floor: median of 16 chunks of 128 round trips, ns (side 0; side 1 gets 0). <0 failed. */
static double floor_probe(int side, uint64_t base)
{
	enum { WARM = 64, CHUNKS = 16, CHUNK = 128 };
	double ns[CHUNKS];

	if (floor_bounce(side, base, WARM) < 0)
		return -1;
	base += 2 * WARM;
	for (int c = 0; c < CHUNKS; c++) {
		const uint64_t t0 = shmring_clock_ns();

		if (floor_bounce(side, base, CHUNK) < 0)
			return -1;
		base += 2 * CHUNK;
		ns[c] = (double)(shmring_clock_ns() - t0) / CHUNK;
	}
	return side == 0 ? median(ns, CHUNKS) : 0;
}

#define FLOOR_BASE_BEFORE 0
#define FLOOR_BASE_AFTER  (UINT64_C(1) << 40)

/* --- CPUs -------------------------------------------------------------- */

static int cpus[2] = {-1, -1};

static int pick_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof set, &set);
}

/* --- Options ----------------------------------------------------------- */

static struct {
	bool quick;
	bool backend[B_COUNT];
	bool figure[4];
	unsigned reps;      /* runs of each figure */
	uint64_t figure_ns; /* timed window of a two-process figure */
	uint64_t flush_ns;  /* window of a flush figure */
	char dir[160];      /* where file rings go */
} opt;

/* Something ran / something failed: the exit status. */
static bool any_pair_ok;
static bool any_failed; /* a measurement failed (not one that could not start) */

/* --- Two-process figures ------------------------------------------------- */

enum test { T_RTT, T_TPUT1, T_TPUT32, T_FLUSH };

/* One run of one figure. */
struct run {
	int rc;       /* 0 ok; -errno: could not run (skipped); 1: failed */
	double value; /* rtt: ns per round trip; stream: ns per message (median chunk) */
	double mean;  /* the same over the whole window */
	double floor_before, floor_after;
	uint64_t msgs; /* moved in the window */
	double window_ns;
};

static double run_floor(const struct run *r)
{
	return (r->floor_before + r->floor_after) / 2;
}

static bool run_moved(const struct run *r)
{
	const double a = r->floor_before, b = r->floor_after;

	return a > b * MOVED_RATIO || b > a * MOVED_RATIO;
}

static bool run_near(const struct run *r)
{
	return run_floor(r) < NEAR_NS;
}

/* Child side: attach, then echo / send until told to stop. Never returns. */
static void child_main(int test, struct ring *a, struct ring *b, uint32_t flush_every)
{
	shmring_t *in = NULL, *out = NULL;
	uint64_t spins = 0, msgs[BURST], seq = 0;
	int rc;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signals_block(false);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(3);
	pin(cpus[1]);
	if (test == T_RTT) {
		rc = ring_attach(a, SHMRING_CONSUMER, &in);
		if (rc == 0)
			rc = ring_attach(b, SHMRING_PRODUCER, &out);
	} else {
		rc = ring_attach(a, SHMRING_PRODUCER, &out);
		if (rc == 0 && test == T_FLUSH && flush_every)
			rc = shmring_set_flush(out, SHMRING_FLUSH_EVERY, flush_every);
	}
	atomic_store(&ctl->ready, rc < 0 ? rc : 1);
	if (rc < 0)
		_exit(2);
	if (floor_probe(1, FLOOR_BASE_BEFORE) < 0)
		_exit(2);
	if (test == T_RTT) {
		for (;;) {
			uint64_t m = 0;

			while ((rc = shmring_try_recv(in, &m)) == -EAGAIN)
				if (give_up(&spins))
					_exit(2);
				else
					cpu_relax();
			if (rc < 0)
				_exit(2);
			while ((rc = shmring_try_send(out, &m)) == -EAGAIN)
				if (give_up(&spins))
					_exit(2);
				else
					cpu_relax();
			if (rc < 0)
				_exit(2);
			if (m == STOP_SEQ)
				break;
		}
	} else if (test == T_TPUT32) {
		while (!atomic_load_explicit(&ctl->stop, memory_order_relaxed)) {
			unsigned k;

			for (unsigned i = 0; i < BURST; i++)
				msgs[i] = seq + i;
			k = shmring_try_send_burst(out, msgs, BURST);
			seq += k;
			if (k == 0) {
				if (give_up(&spins))
					_exit(2);
				cpu_relax();
			}
		}
	} else {
		while (!atomic_load_explicit(&ctl->stop, memory_order_relaxed)) {
			rc = shmring_try_send(out, &seq);
			if (rc == 0) {
				seq++;
			} else if (rc == -EAGAIN) {
				if (give_up(&spins))
					_exit(2);
				cpu_relax();
			} else {
				_exit(2);
			}
		}
	}
	if (floor_probe(1, FLOOR_BASE_AFTER) < 0)
		_exit(2);
	/* Close is where a flushing producer's last msync goes: not timed. */
	shmring_close(out);
	shmring_close(in);
	_exit(0);
}

static int wait_child(pid_t pid)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Parent side of a round trip run: chunks of CHUNK round trips. */
static int parent_rtt(shmring_t *out, shmring_t *in, struct run *res)
{
	enum { CHUNK = 256, MAXCH = 1 << 16 };
	static double per[MAXCH];
	unsigned nch = 0;
	uint64_t seq = 1, spins = 0, t_end, t_start, total = 0;

	const uint64_t warm_end = shmring_clock_ns() + opt.figure_ns / 10;
	for (int timed = 0; timed < 2; timed++) {
		t_start = shmring_clock_ns();
		t_end = timed ? t_start + opt.figure_ns : warm_end;
		for (uint64_t now = t_start; now < t_end && nch < MAXCH;) {
			for (unsigned i = 0; i < CHUNK; i++, seq++) {
				uint64_t m = 0;
				int rc;

				while ((rc = shmring_try_send(out, &seq)) == -EAGAIN)
					if (give_up(&spins))
						return 1;
					else
						cpu_relax();
				if (rc < 0)
					return 1;
				while ((rc = shmring_try_recv(in, &m)) == -EAGAIN)
					if (give_up(&spins))
						return 1;
					else
						cpu_relax();
				if (rc < 0 || m != seq) {
					fprintf(stderr, "round trip: got %llu for %llu (%s)\n",
					        (unsigned long long)m, (unsigned long long)seq,
					        shmring_strerror(rc));
					return 1;
				}
			}
			const uint64_t t = shmring_clock_ns();
			if (timed) {
				per[nch++] = (double)(t - now) / CHUNK;
				total += CHUNK;
			}
			now = t;
		}
		if (timed) {
			res->window_ns = (double)(shmring_clock_ns() - t_start);
			res->msgs = total;
		}
	}
	res->mean = res->window_ns / (double)total;
	res->value = median(per, nch);
	{
		const uint64_t stop = STOP_SEQ;
		uint64_t m = 0;
		int rc;

		while ((rc = shmring_try_send(out, &stop)) == -EAGAIN)
			if (give_up(&spins))
				return 1;
		while ((rc = shmring_try_recv(in, &m)) == -EAGAIN)
			if (give_up(&spins))
				return 1;
		if (rc < 0 || m != STOP_SEQ)
			return 1;
	}
	return 0;
}

/* Parent side of a stream: receive and check, chunks of at least CHUNK messages. */
static int parent_stream(shmring_t *in, bool burst, bool chunked, struct run *res)
{
	enum { CHUNK = 4096, MAXCH = 1 << 17 };
	static double per[MAXCH];
	unsigned nch = 0;
	uint64_t seq = 0, spins = 0, total = 0, t_start = 0;
	uint64_t msgs[BURST];
	const uint64_t warm_end = shmring_clock_ns() + opt.figure_ns / 10;
	const uint64_t window = chunked ? opt.figure_ns : opt.flush_ns;

	for (int timed = 0; timed < 2; timed++) {
		uint64_t now = shmring_clock_ns(), in_chunk = 0, t_end;

		t_start = now;
		t_end = timed ? t_start + window : warm_end;
		while (now < t_end) {
			unsigned k;

			if (burst) {
				k = shmring_try_recv_burst(in, msgs, BURST);
			} else {
				int rc = shmring_try_recv(in, &msgs[0]);

				if (rc < 0 && rc != -EAGAIN) {
					fprintf(stderr, "stream: recv %s\n", shmring_strerror(rc));
					return 1;
				}
				k = rc == 0;
			}
			if (k == 0) {
				if (give_up(&spins))
					return 1;
				cpu_relax();
				if (!chunked && (spins & 0x3ff) == 0)
					now = shmring_clock_ns();
				continue;
			}
			for (unsigned i = 0; i < k; i++, seq++)
				if (msgs[i] != seq) {
					fprintf(stderr, "stream: got %llu for %llu\n",
					        (unsigned long long)msgs[i],
					        (unsigned long long)seq);
					return 1;
				}
			if (timed)
				total += k;
			in_chunk += k;
			if (!chunked) {
				now = shmring_clock_ns();
			} else if (in_chunk >= CHUNK) {
				const uint64_t t = shmring_clock_ns();

				if (timed && nch < MAXCH)
					per[nch++] = (double)(t - now) / (double)in_chunk;
				in_chunk = 0;
				now = t;
			}
		}
	}
	res->window_ns = (double)(shmring_clock_ns() - t_start);
	res->msgs = total;
	res->mean = total ? res->window_ns / (double)total : 0;
	res->value = chunked ? median(per, nch) : res->mean;
	atomic_store(&ctl->stop, 1);
	return 0;
}

/* One run of a two-process figure on backend b. */
static void run_pair(int b, int test, uint32_t flush_every, struct run *res)
{
	const struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = MSG, .capacity = RING_CAP};
	struct ring a = {0}, bk = {0};
	shmring_t *in = NULL;
	pid_t pid;
	int rc;

	memset(res, 0, sizeof *res);
	/* Round trip: we send on a, receive on bk; streams: the child sends on a. */
	rc = ring_create(&a, b, &o, test == T_RTT ? SHMRING_PRODUCER : SHMRING_CONSUMER);
	if (rc == 0 && test == T_RTT)
		rc = ring_create(&bk, b, &o, SHMRING_CONSUMER);
	if (rc < 0) {
		res->rc = rc;
		ring_destroy(&a);
		return;
	}
	in = test == T_RTT ? bk.h : a.h;
	memset((void *)ctl, 0, sizeof *ctl);
	ctl->deadline = shmring_clock_ns() + 2 * (opt.figure_ns + opt.flush_ns) + 20000000000u;
	pid = fork();
	if (pid == 0)
		child_main(test, &a, &bk, flush_every);
	if (pid < 0) {
		res->rc = -errno;
		goto out;
	}
	child_pid = pid;
	pin(cpus[0]);
	while ((rc = atomic_load(&ctl->ready)) == 0) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			child_pid = 0;
			rc = -ECHILD;
			break;
		}
		usleep(100);
	}
	if (rc < 0) {
		fprintf(stderr, "%s: child could not attach: %s\n", backend_names[b],
		        shmring_strerror(rc));
		res->rc = 1;
		if (child_pid)
			wait_child(pid);
		goto out;
	}
	res->floor_before = floor_probe(0, FLOOR_BASE_BEFORE);
	if (res->floor_before < 0)
		res->rc = 1;
	else if (test == T_RTT)
		res->rc = parent_rtt(a.h, bk.h, res);
	else
		res->rc = parent_stream(in, test == T_TPUT32, test != T_FLUSH, res);
	if (res->rc == 0) {
		res->floor_after = floor_probe(0, FLOOR_BASE_AFTER);
		if (res->floor_after < 0)
			res->rc = 1;
	}
	if (res->rc != 0) {
		atomic_store(&ctl->failed, 1);
		kill(pid, SIGKILL);
	}
	if (wait_child(pid) != 0 && res->rc == 0)
		res->rc = 1;
out:
	any_failed |= res->rc > 0;
	pin(-1);
	ring_destroy(&bk);
	ring_destroy(&a);
}

/* --- Reporting two-process figures -------------------------------------------- */

struct cell {
	struct run runs[MAX_REPS];
	unsigned n;
};

/* Median figure, median floor and median x_floor of the runs in one placement. */
static unsigned summarise(const struct cell *c, bool near, double *fig, double *floor, double *x,
                          double *mean)
{
	double f[MAX_REPS], fl[MAX_REPS], xs[MAX_REPS], mn[MAX_REPS];
	unsigned k = 0;

	for (unsigned i = 0; i < c->n; i++) {
		const struct run *r = &c->runs[i];

		if (r->rc != 0 || run_moved(r) || run_near(r) != near)
			continue;
		f[k] = r->value;
		fl[k] = run_floor(r);
		xs[k] = r->value / run_floor(r);
		mn[k] = r->mean;
		k++;
	}
	*fig = median(f, k);
	*floor = median(fl, k);
	*x = median(xs, k);
	*mean = median(mn, k);
	return k;
}

static unsigned count_moved(const struct cell *c)
{
	unsigned k = 0;

	for (unsigned i = 0; i < c->n; i++)
		k += c->runs[i].rc == 0 && run_moved(&c->runs[i]);
	return k;
}

static const char *skip_reason(const struct cell *c)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->runs[i].rc < 0)
			return shmring_strerror(c->runs[i].rc);
		else if (c->runs[i].rc > 0)
			return "FAILED";
	return "no run";
}

static void print_pair_row(const char *label, const struct cell *c, bool rate)
{
	char buf[2][96];

	for (int p = 0; p < 2; p++) {
		double fig, fl, x, mean;
		const unsigned k = summarise(c, p == 0, &fig, &fl, &x, &mean);

		if (k == 0)
			snprintf(buf[p], sizeof buf[p], "%-42s", "-");
		else if (rate)
			snprintf(buf[p], sizeof buf[p], "%u  %6.1f ns %7.1f M/s %5.0f  %5.2f", k,
			         fig, 1e3 / fig, fl, x);
		else
			snprintf(buf[p], sizeof buf[p], "%u  %7.0f ns %9.0f ns %5.0f  %5.2f", k,
			         fig, mean, fl, x);
	}
	bool any = false;
	for (unsigned i = 0; i < c->n; i++)
		any |= c->runs[i].rc == 0;
	if (!any)
		printf("%-8s %s\n", label, skip_reason(c));
	else
		printf("%-8s %-42s | %-42s | %u\n", label, buf[0], buf[1], count_moved(c));
}

static void figure1(void)
{
	static struct cell cells[3][B_COUNT];
	static const char *const titles[3] = {
	    "Round trip, two processes, 8 B, two SPSC rings, busy-poll try_send/try_recv",
	    "One-way throughput, 8 B, SPSC, burst of 1 (try_send / try_recv)",
	    "One-way throughput, 8 B, SPSC, burst of 32 (try_send_burst / try_recv_burst)",
	};

	/* Interleaved: each rep visits every backend, so each sees both placements. */
	for (unsigned rep = 0; rep < opt.reps; rep++)
		for (int t = 0; t < 3; t++)
			for (int b = 0; b < B_COUNT; b++) {
				struct cell *c = &cells[t][b];

				if (!opt.backend[b])
					continue;
				run_pair(b, t, 0, &c->runs[c->n]);
				any_pair_ok |= c->runs[c->n].rc == 0;
				c->n++;
			}
	printf("\nrtt, ns/msg: the median over timed chunks (256 round trips, >= 4096 messages) of "
	       "a %.2f s window;\nmean: the whole window (preemptions included); n: runs in "
	       "that placement, medians over them\n",
	       opt.figure_ns / 1e9);
	for (int t = 0; t < 3; t++) {
		printf("\n%s (%u runs per backend)\n", titles[t], opt.reps);
		if (t == T_RTT)
			printf("%-8s %-42s | %-42s | %s\n", "backend",
			       "near: n  rtt        mean     floor  x floor",
			       "far: n  rtt        mean     floor  x floor", "moved");
		else
			printf("%-8s %-42s | %-42s | %s\n", "backend",
			       "near: n  ns/msg   msgs/s      floor  x floor",
			       "far: n  ns/msg   msgs/s      floor  x floor", "moved");
		for (int b = 0; b < B_COUNT; b++)
			if (opt.backend[b])
				print_pair_row(backend_names[b], &cells[t][b], t != T_RTT);
	}
	fflush(stdout);
}

/* --- Figure 3: flushing a file ring ---------------------------------------------- */

static void figure3(void)
{
	static const uint32_t everies[] = {1, 32, 1024, 0};
	enum { NE = sizeof everies / sizeof everies[0] };
	static struct cell cells[NE];

	for (unsigned rep = 0; rep < opt.reps; rep++)
		for (unsigned e = 0; e < NE; e++) {
			struct cell *c = &cells[e];

			run_pair(B_FILE, T_FLUSH, everies[e], &c->runs[c->n]);
			any_pair_ok |= c->runs[c->n].rc == 0;
			c->n++;
		}
	printf("\nFile ring on %s, producer with shmring_set_flush(EVERY, N), 8 B, burst of 1, "
	       "%.1f s a run\n(%u runs, median over all runs; ns/msg: the mean over the window; "
	       "msync/s = msgs/s / N)\n",
	       opt.dir, opt.flush_ns / 1e9, opt.reps);
	printf("%-10s %10s %12s %10s %12s %8s %s\n", "flush", "ns/msg", "msgs/s", "msync/s",
	       "us/msync", "floor", "placement");
	for (unsigned e = 0; e < NE; e++) {
		struct cell *c = &cells[e];
		double ns[MAX_REPS], fl[MAX_REPS];
		unsigned k = 0, near = 0;
		char label[32];

		for (unsigned i = 0; i < c->n; i++)
			if (c->runs[i].rc == 0) {
				ns[k] = c->runs[i].mean;
				fl[k] = run_floor(&c->runs[i]);
				near += run_near(&c->runs[i]);
				k++;
			}
		if (everies[e])
			snprintf(label, sizeof label, "every %u", everies[e]);
		else
			snprintf(label, sizeof label, "none");
		if (k == 0) {
			printf("%-10s %s\n", label, skip_reason(c));
			continue;
		}
		const double m = median(ns, k), rate = 1e9 / m;
		if (everies[e])
			printf("%-10s %10.1f %12.0f %10.0f %12.1f %8.0f %u near, %u far\n", label,
			       m, rate, rate / everies[e], m * everies[e] / 1e3, median(fl, k),
			       near, k - near);
		else
			printf("%-10s %10.1f %12.0f %10s %12s %8.0f %u near, %u far\n", label, m,
			       rate, "0", "-", median(fl, k), near, k - near);
	}
	fflush(stdout);
}

/* --- Figure 2: getting there ------------------------------------------------ */

/* Creator: create a small ring, attach a consumer, send, receive. ns. */
static int first_in_creator(int b, double *create_ns, double *first_ns)
{
	const struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = MSG, .capacity = RING_CAP};
	struct ring r;
	shmring_t *c = NULL;
	uint64_t m = 42, got = 0, t0, t1, t2;
	int rc;

	t0 = shmring_clock_ns();
	rc = ring_create(&r, b, &o, SHMRING_PRODUCER);
	t1 = shmring_clock_ns();
	if (rc < 0)
		return rc;
	rc = ring_attach(&r, SHMRING_CONSUMER, &c);
	if (rc == 0)
		rc = shmring_try_send(r.h, &m);
	while (rc == 0 && (rc = shmring_try_recv(c, &got)) == -EAGAIN)
		cpu_relax();
	t2 = shmring_clock_ns();
	shmring_close(c);
	ring_destroy(&r);
	if (rc < 0 || got != m)
		return 1;
	*create_ns = (double)(t1 - t0);
	*first_ns = (double)(t2 - t0);
	return 0;
}

/* A fresh process: open (or dup) a ring with one message waiting, receive it. */
static int first_in_fresh(int b, double *open_ns, double *recv_ns)
{
	const struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = MSG, .capacity = RING_CAP};
	struct ring r;
	uint64_t m = 42;
	pid_t pid;
	int rc;

	rc = ring_create(&r, b, &o, SHMRING_PRODUCER);
	if (rc < 0)
		return rc;
	if (shmring_try_send(r.h, &m) < 0) {
		ring_destroy(&r);
		return 1;
	}
	memset((void *)ctl, 0, sizeof *ctl);
	pid = fork();
	if (pid == 0) {
		shmring_t *c = NULL;
		uint64_t got = 0, t0, t1, t2;

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signals_block(false);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		t0 = shmring_clock_ns();
		rc = ring_attach(&r, SHMRING_CONSUMER, &c);
		t1 = shmring_clock_ns();
		while (rc == 0 && (rc = shmring_try_recv(c, &got)) == -EAGAIN)
			cpu_relax();
		t2 = shmring_clock_ns();
		if (rc < 0 || got != 42)
			_exit(2);
		ctl->t_open = t1 - t0;
		ctl->t_first = t2 - t1;
		shmring_close(c);
		_exit(0);
	}
	if (pid > 0) {
		child_pid = pid;
		rc = wait_child(pid) == 0 ? 0 : 1;
	} else {
		rc = -errno;
	}
	ring_destroy(&r);
	if (rc == 0) {
		*open_ns = (double)ctl->t_open;
		*recv_ns = (double)ctl->t_first;
	}
	return rc;
}

static void figure2_first(void)
{
	const unsigned reps = 7 * opt.reps;

	printf("\nFirst message: 4096 x 8 B SPSC ring (%u runs, medians, us)\n", reps);
	printf("%-8s %10s %14s | %12s %14s %12s\n", "backend", "create", "create->msg",
	       "fresh: open", "open->msg", "open+msg");
	for (int b = 0; b < B_COUNT; b++) {
		double cr[7 * MAX_REPS], fi[7 * MAX_REPS], op[7 * MAX_REPS], rv[7 * MAX_REPS],
		    tot[7 * MAX_REPS];
		unsigned k1 = 0, k2 = 0;
		int err = 0;

		if (!opt.backend[b])
			continue;
		for (unsigned i = 0; i < reps; i++) {
			int rc = first_in_creator(b, &cr[k1], &fi[k1]);

			if (rc == 0)
				k1++;
			else
				err = rc;
			any_failed |= rc > 0;
			rc = first_in_fresh(b, &op[k2], &rv[k2]);
			if (rc == 0) {
				tot[k2] = op[k2] + rv[k2];
				k2++;
			} else {
				err = rc;
				any_failed |= rc > 0;
			}
		}
		if (k1 == 0 || k2 == 0) {
			printf("%-8s %s\n", backend_names[b],
			       err < 0 ? shmring_strerror(err) : "FAILED");
			continue;
		}
		printf("%-8s %10.1f %14.1f | %12.1f %14.1f %12.1f%s\n", backend_names[b],
		       median(cr, k1) / 1e3, median(fi, k1) / 1e3, median(op, k2) / 1e3,
		       median(rv, k2) / 1e3, median(tot, k2) / 1e3,
		       backend_named(b) ? "" : "  (dup after fork)");
		any_pair_ok = true;
	}
	fflush(stdout);
}

/* The default huge page size (what MAP_HUGETLB and SHM_HUGETLB use), bytes. */
static unsigned long huge_page_bytes(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	unsigned long kb = 2048;

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb ? kb * 1024 : 2u << 20;
}

/* Huge pages: reserve enough for one large ring; false when they cannot be had. */
static bool huge_reserve(unsigned long need)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "re");
	long old = -1, now = -1;
	char buf[32];

	if (!f)
		return false;
	if (fscanf(f, "%ld", &old) != 1)
		old = -1;
	fclose(f);
	if (old < 0)
		return false;
	f = fopen("/proc/meminfo", "re");
	if (f) {
		char line[128];
		unsigned long freep = 0;

		while (fgets(line, sizeof line, f))
			if (sscanf(line, "HugePages_Free: %lu", &freep) == 1)
				break;
		fclose(f);
		if (freep >= need)
			return true;
		need -= freep;
	}
	int fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	signals_block(true);
	huge_old = old;
	snprintf(buf, sizeof buf, "%ld\n", old + (long)need);
	if (write(fd, buf, strlen(buf)) < 0) {
		huge_old = -1;
		close(fd);
		signals_block(false);
		return false;
	}
	close(fd);
	signals_block(false);
	f = fopen("/proc/sys/vm/nr_hugepages", "re");
	if (f) {
		if (fscanf(f, "%ld", &now) != 1)
			now = -1;
		fclose(f);
	}
	return now >= old + (long)need;
}

/* One large-ring run: create, first lap (fill from fresh), steady laps (fill after drain). */
static long minor_faults(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt + ru.ru_majflt : 0;
}

static int big_run(int b, uint32_t flags, uint64_t cap, double *create_ns, double *first_ns,
                   double *steady_ns, double *faults, uint32_t *page)
{
	const struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = MSG, .capacity = cap, .flags = flags};
	static uint64_t msgs[256];
	struct ring r;
	shmring_t *c = NULL;
	struct shmring_info info;
	double laps[4];
	uint64_t t0, t1;
	int rc;

	t0 = shmring_clock_ns();
	rc = ring_create(&r, b, &o, SHMRING_PRODUCER);
	t1 = shmring_clock_ns();
	if (rc < 0)
		return rc;
	*create_ns = (double)(t1 - t0);
	shmring_info(r.h, &info);
	*page = info.page_size;
	rc = ring_attach(&r, SHMRING_CONSUMER, &c);
	for (int lap = 0; rc == 0 && lap < 4; lap++) {
		uint64_t sent = 0, got = 0;
		const long f0 = minor_faults();

		t0 = shmring_clock_ns();
		while (sent < cap) {
			unsigned n = cap - sent < 256 ? (unsigned)(cap - sent) : 256;
			unsigned k;

			for (unsigned i = 0; i < n; i++)
				msgs[i] = sent + i;
			k = shmring_try_send_burst(r.h, msgs, n);
			if (k == 0) {
				rc = 1;
				break;
			}
			sent += k;
		}
		t1 = shmring_clock_ns();
		laps[lap] = (double)(t1 - t0);
		if (lap == 0)
			*faults = (double)(minor_faults() - f0);
		while (rc == 0 && got < cap) {
			unsigned k = shmring_try_recv_burst(c, msgs, 256);

			if (k == 0 || msgs[0] != got % cap) {
				rc = 1;
				break;
			}
			got += k;
		}
	}
	shmring_close(c);
	ring_destroy(&r);
	if (rc != 0)
		return rc;
	*first_ns = laps[0];
	*steady_ns = median(laps + 1, 3);
	return 0;
}

static void figure2_big(void)
{
	static const struct {
		const char *name;
		uint32_t flags;
	} variants[] = {
	    {"plain", 0},
	    {"prefault", SHMRING_CREATE_PREFAULT},
	    {"huge", SHMRING_CREATE_HUGE},
	    {"huge+prefault", SHMRING_CREATE_HUGE | SHMRING_CREATE_PREFAULT},
	};
	const unsigned reps = opt.reps;
	const struct shmring_opts po = {.kind = SHMRING_KIND_SPSC, .slot_size = MSG, .capacity = 2};
	struct ring probe;
	struct shmring_info info;
	uint64_t cap;
	bool huge_ok;
	int rc;

	/* The slot stride decides how many slots make BIG_BYTES. */
	rc = ring_create(&probe, B_ANON, &po, SHMRING_PRODUCER);
	if (rc < 0) {
		printf("\nLarge ring: cannot create a probe ring: %s\n", shmring_strerror(rc));
		return;
	}
	shmring_info(probe.h, &info);
	ring_destroy(&probe);
	cap = BIG_BYTES / (info.slot_stride ? info.slot_stride : MSG);
	const unsigned long huge_need = BIG_BYTES / huge_page_bytes() + 2;
	huge_ok = huge_reserve(huge_need);
	if (huge_ok) {
		/*
		 * Touch the reserved pages once, untimed: in a VM, memory the guest
		 * never used costs the host's faults on first touch, which would
		 * land on whichever huge row comes first.
		 */
		double x[4];
		uint32_t pg;

		(void)big_run(B_ANON, SHMRING_CREATE_HUGE | SHMRING_CREATE_PREFAULT, cap, &x[0],
		              &x[1], &x[2], &x[3], &pg);
	}
	printf("\nLarge ring: %llu slots x %u B stride = %u MiB of slots, 8 B messages; %u run%s, "
	       "medians, ms\n",
	       (unsigned long long)cap, info.slot_stride, BIG_BYTES >> 20, reps,
	       reps > 1 ? "s" : "");
	printf("first lap: a producer fills the fresh ring once (try_send_burst of 256, every "
	       "page touched);\nsteady lap: the same after a drain, pages present (median of 3); "
	       "faults: page faults (minor + major) in the first lap\n");
	if (!huge_ok)
		printf("huge pages: cannot reserve %lu in /proc/sys/vm/nr_hugepages (not root?): "
		       "huge rows skipped\n",
		       huge_need);
	printf("%-8s %-14s %6s %10s %10s %11s %11s %13s\n", "backend", "flags", "page", "create",
	       "first lap", "steady lap", "create+1st", "1st-lap faults");
	for (int b = 0; b < B_COUNT; b++) {
		if (!opt.backend[b])
			continue;
		for (unsigned v = 0; v < sizeof variants / sizeof variants[0]; v++) {
			double cr[MAX_REPS], fi[MAX_REPS], st[MAX_REPS], tot[MAX_REPS],
			    fl[MAX_REPS];
			unsigned k = 0;
			uint32_t page = 0;
			int err = 0;

			if ((variants[v].flags & SHMRING_CREATE_HUGE) && !huge_ok) {
				printf("%-8s %-14s %s\n", backend_names[b], variants[v].name,
				       "skipped: no huge pages reserved");
				continue;
			}
			for (unsigned i = 0; i < reps; i++) {
				rc = big_run(b, variants[v].flags, cap, &cr[k], &fi[k], &st[k],
				             &fl[k], &page);
				if (rc == 0) {
					tot[k] = cr[k] + fi[k];
					k++;
				} else {
					err = rc;
					any_failed |= rc > 0;
				}
			}
			if (k == 0 && err == -EOPNOTSUPP)
				printf("%-8s %-14s %s\n", backend_names[b], variants[v].name,
				       b == B_POSIX ? "-EOPNOTSUPP (tmpfs has no hugetlb)"
				                    : "-EOPNOTSUPP (not on hugetlbfs)");
			else if (k == 0)
				printf("%-8s %-14s %s\n", backend_names[b], variants[v].name,
				       err < 0 ? shmring_strerror(err) : "FAILED");
			if (k == 0)
				continue;
			char pg[16];
			if (page >= (1u << 20))
				snprintf(pg, sizeof pg, "%uM", page >> 20);
			else
				snprintf(pg, sizeof pg, "%uK", page >> 10);
			printf("%-8s %-14s %6s %10.2f %10.2f %11.2f %11.2f %13.0f\n",
			       backend_names[b], variants[v].name, pg, median(cr, k) / 1e6,
			       median(fi, k) / 1e6, median(st, k) / 1e6, median(tot, k) / 1e6,
			       median(fl, k));
			any_pair_ok = true;
		}
	}
	huge_restore();
	fflush(stdout);
}

/* --- Main ---------------------------------------------------------------- */

static const char *fs_name(long type)
{
	switch ((unsigned long)type) {
	case 0xEF53:
		return "ext4";
	case 0x01021994:
		return "tmpfs";
	case 0x58465342:
		return "xfs";
	case 0x9123683E:
		return "btrfs";
	case 0x958458f6:
		return "hugetlbfs";
	case 0x794c7630:
		return "overlayfs";
	default:
		return "other";
	}
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
	        "usage: %s [--quick] [--backends LIST] [--figures LIST] [--reps N] [--dir DIR]\n"
	        "  --quick          about 10 s: shorter windows, one run of each figure\n"
	        "  --backends LIST  comma-separated from posix,sysv,file,memfd,anon (default all)\n"
	        "  --figures LIST   comma-separated from 1 (round trip, throughput), 2 (first\n"
	        "                   message, large ring), 3 (msync of a file ring; needs file)\n"
	        "  --reps N         runs of each figure (default 3; --quick 1; at most %d);\n"
	        "                   the first-message figure makes 7 x N\n"
	        "  --dir DIR        where file rings go (default /var/tmp); a directory\n"
	        "                   shmring-bb-PID is made there and removed at exit\n"
	        "Exit status: 0, 1 when a measurement failed, 2 for a usage error, 77 when\n"
	        "nothing could run.\n",
	        prog, MAX_REPS);
}

static bool parse_list(char *s, const char *const *names, int n, bool *out)
{
	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		int i;

		for (i = 0; i < n && strcmp(tok, names[i]); i++)
			;
		if (i == n)
			return false;
		out[i] = true;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const char *const fig_names[4] = {"0", "1", "2", "3"};
	bool backends_given = false, figures_given = false, reps_given = false;
	struct sigaction sa = {0};
	struct statfs sfs;
	struct utsname un;
	int ncpu;

	snprintf(opt.dir, sizeof opt.dir, "/var/tmp");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			opt.quick = true;
		} else if (!strcmp(argv[i], "--backends") && i + 1 < argc) {
			backends_given = true;
			if (!parse_list(argv[++i], backend_names, B_COUNT, opt.backend)) {
				fprintf(stderr, "%s: unknown backend in --backends\n", argv[0]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--figures") && i + 1 < argc) {
			figures_given = true;
			if (!parse_list(argv[++i], fig_names, 4, opt.figure) || opt.figure[0]) {
				fprintf(stderr, "%s: --figures takes 1, 2 and/or 3\n", argv[0]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			char *end;
			unsigned long n = strtoul(argv[++i], &end, 10);

			if (*end || n == 0 || n > MAX_REPS) {
				fprintf(stderr, "%s: --reps takes 1..%d\n", argv[0], MAX_REPS);
				return 2;
			}
			opt.reps = (unsigned)n;
			reps_given = true;
		} else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			const char *d = argv[++i];

			if (d[0] != '/' || strlen(d) >= sizeof opt.dir) {
				fprintf(stderr,
				        "%s: --dir takes an absolute path under %zu bytes\n",
				        argv[0], sizeof opt.dir);
				return 2;
			}
			snprintf(opt.dir, sizeof opt.dir, "%s", d);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout, argv[0]);
			return 0;
		} else {
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (!backends_given)
		for (int b = 0; b < B_COUNT; b++)
			opt.backend[b] = true;
	if (!figures_given)
		opt.figure[1] = opt.figure[2] = opt.figure[3] = true;
	if (!reps_given)
		opt.reps = opt.quick ? 1 : 3;
	opt.figure_ns = opt.quick ? 150000000u : 500000000u;
	opt.flush_ns = opt.quick ? 300000000u : 1500000000u;
	if (!opt.backend[B_FILE] && opt.figure[3]) {
		if (figures_given)
			fprintf(stderr, "%s: figure 3 needs the file backend: skipped\n", argv[0]);
		opt.figure[3] = false;
	}

	ctl = mmap(NULL, sizeof *ctl, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (opt.backend[B_FILE]) {
		snprintf(file_dir, sizeof file_dir, "%s/shmring-bb-%d", opt.dir, (int)getpid());
		signals_block(true);
		if (mkdir(file_dir, 0700) == 0)
			file_dir_made = 1;
		signals_block(false);
		if (!file_dir_made) {
			fprintf(stderr, "%s: cannot make %s: %s; file backend skipped\n", argv[0],
			        file_dir, strerror(errno));
			opt.backend[B_FILE] = false;
			opt.figure[3] = false;
		}
	}
	ncpu = pick_cpus();
	if (ncpu < 2 && (opt.figure[1] || opt.figure[3])) {
		fprintf(stderr,
		        "%s: two CPUs needed for the two-process figures: 1 and 3 "
		        "skipped\n",
		        argv[0]);
		opt.figure[1] = opt.figure[3] = false;
	}

	uname(&un);
	printf("shmring_backends: %s, %u run%s of each figure; kernel %s %s; parent on CPU %d, "
	       "child on CPU %d\n",
	       opt.quick ? "--quick" : "default windows", opt.reps, opt.reps > 1 ? "s" : "", un.release,
	       un.machine, cpus[0], cpus[1]);
	if (opt.backend[B_FILE] && statfs(file_dir, &sfs) == 0)
		printf("file rings in %s (%s)\n", opt.dir, fs_name((long)sfs.f_type));
	printf("floor: one cache line bounced between the two processes before and after each "
	       "run;\nnear below %.0f ns, a run whose floors differ by more than %.1fx is "
	       "counted in 'moved' and left out\n",
	       NEAR_NS, MOVED_RATIO);
	fflush(stdout);

	const uint64_t t0 = shmring_clock_ns();
	if (opt.figure[1])
		figure1();
	if (opt.figure[2]) {
		figure2_first();
		figure2_big();
	}
	if (opt.figure[3])
		figure3();
	printf("\n%.1f s in all\n", (double)(shmring_clock_ns() - t0) / 1e9);

	cleanup();
	if (any_failed)
		return 1;
	return any_pair_ok ? 0 : 77;
}
