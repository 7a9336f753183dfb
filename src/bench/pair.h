/* SPDX-License-Identifier: MIT */
/*
 * src/bench/pair.h - what the two processes of a measurement share: CPU
 * pinning, a shared control page, a watchdog, and a registry of named
 * objects so that nothing is left behind in /dev/shm or the System V tables
 * when a run fails or is interrupted.
 */
#ifndef SHMRING_BENCH_PAIR_H
#define SHMRING_BENCH_PAIR_H

#include <errno.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench.h"
#include "timing.h"

/* Set by SIGALRM when a measurement overran its time: every wait checks it. */
extern volatile sig_atomic_t shmring_bench_expired;

/* The page both processes of one measurement map. Fields that one side
 * writes while the other polls sit 128 bytes apart (adjacent-line
 * prefetch). */
struct shmring_bench_ctl {
	_Atomic uint32_t child_state; /* CHILD_* below, written by the child */
	int32_t child_err;            /* negative errno when FAILED */
	uint64_t child_cpu_ns;        /* child CPU time inside the window */
	uint64_t child_msgs;          /* messages the child handled in the window */
	char child_why[SHMRING_BENCH_WHY];
	_Atomic uint32_t first_fail;  /* FAIL_* below: the side that failed first */
	alignas(128) _Atomic uint32_t go;    /* parent: both ends attached, start */
	alignas(128) _Atomic uint32_t phase; /* parent: PHASE_* below */
	alignas(128) _Atomic uint64_t line;  /* the floor's cache line */
	alignas(128) char pad[128];
};

enum { SHMRING_BENCH_CHILD_STARTING, SHMRING_BENCH_CHILD_READY, SHMRING_BENCH_CHILD_DONE,
       SHMRING_BENCH_CHILD_FAILED };
enum { SHMRING_BENCH_PHASE_WARM, SHMRING_BENCH_PHASE_RUN, SHMRING_BENCH_PHASE_STOP };
/* One side's failure makes the other's next call fail too (a closed pipe, a
 * timeout): whoever fails first says so, and its reason is the one given. */
enum { SHMRING_BENCH_FAIL_NONE, SHMRING_BENCH_FAIL_CHILD, SHMRING_BENCH_FAIL_PARENT };

/* Claim the first failure for side (FAIL_CHILD or FAIL_PARENT), before
 * closing anything the other side could notice. */
static inline void shmring_bench_fail_first(struct shmring_bench_ctl *ctl, uint32_t side)
{
	uint32_t none = SHMRING_BENCH_FAIL_NONE;

	/* Relaxed: only the winner matters, read after the child is reaped. */
	atomic_compare_exchange_strong_explicit(&ctl->first_fail, &none, side,
						memory_order_relaxed, memory_order_relaxed);
}

int shmring_bench_pin(int cpu);

/* Zeroed MAP_SHARED anonymous memory that a fork shares; NULL on failure. */
void *shmring_bench_shared_map(size_t len);
void shmring_bench_shared_unmap(void *p, size_t len);

/* Install the SIGALRM/SIGINT/SIGTERM handlers (once, in the parent). */
int shmring_bench_signals_init(void);
/* Timing, payload pattern and signals, once per process; 0 or -errno. */
int shmring_bench_init(void);
/* Arm (seconds > 0) or disarm (0) this process's watchdog. */
void shmring_bench_watchdog(unsigned seconds);
/* The child of the measurement in progress, killed on SIGINT/SIGTERM. */
void shmring_bench_set_child(pid_t pid);

/* After EINTR: true to try again, false when the watchdog fired. */
static inline bool shmring_bench_retry_eintr(void)
{
	return !shmring_bench_expired;
}

/* Write a reason into why (at most len bytes, as snprintf). */
void shmring_bench_say(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A failure's words: the watchdog for -ETIMEDOUT or -ECANCELED once it
 * fired, the run given up for -ECANCELED, else strerror. */
const char *shmring_bench_err_text(int err);

/* A busy-polling mechanism's wait after a failed attempt: 0 after a pause,
 * to try again; -ETIMEDOUT once the watchdog fired. */
static inline int shmring_bench_spin(void)
{
	if (shmring_bench_expired)
		return -ETIMEDOUT;
	shmring_bench_relax();
	return 0;
}

/* After a system call failed (errno set): 0 to call it again (EINTR with the
 * watchdog not fired), else the failure as -errno, -ETIMEDOUT when it was
 * the watchdog that interrupted it. */
static inline int shmring_bench_call_failed(void)
{
	if (errno == EINTR)
		return shmring_bench_retry_eintr() ? 0 : -ETIMEDOUT;
	return -errno;
}

/* The end of a teardown: remove the n registered objects of handles obj
 * (NULL when there is no state; handles < 0 are skipped), free *priv and
 * clear it. */
void shmring_bench_priv_free(void **priv, const int *obj, unsigned n);

/* Whether a message of size bytes is one the harness cannot send through a
 * mechanism whose largest is max_size (0: no limit of its own): 1 with the
 * reason in why, or 0. */
int shmring_bench_size_skip(unsigned max_size, unsigned size, char *why, size_t wl);

/* After a mechanism's setup returned rc: false to go on; true when the
 * figure stops there, *status SKIPPED (rc > 0, why given by setup) or
 * FAILED (rc < 0, why filled in when setup left it empty). */
bool shmring_bench_setup_stopped(int rc, int *status, char *why, size_t wl);

/* Registry of named objects, removed on interruption. */
enum shmring_bench_obj {
	SHMRING_BENCH_OBJ_SHM,      /* a shmring ring: shmring_unlink(name) */
	SHMRING_BENCH_OBJ_PATH,     /* unlink(name) */
	SHMRING_BENCH_OBJ_MQ,       /* mq_unlink(name) */
	SHMRING_BENCH_OBJ_SEM,      /* sem_unlink(name) */
	SHMRING_BENCH_OBJ_SYSV_MSG, /* msgctl(id, IPC_RMID) */
	SHMRING_BENCH_OBJ_SYSV_SEM, /* semctl(id, 0, IPC_RMID) */
};

/* A fresh name "/shmring-bench-<pid>-<n><suffix>" into buf. */
void shmring_bench_name(char *buf, size_t len, const char *suffix);
/* Register; returns a handle >= 0, or -ENOSPC. */
int shmring_bench_obj_add(enum shmring_bench_obj kind, const char *name, int id);
/* The object was removed by its owner: forget it. */
void shmring_bench_obj_forget(int handle);
/* Remove the object now and forget it (handle < 0 is ignored). */
void shmring_bench_obj_remove(int handle);
/* Remove every registered object now (also from signal handlers). */
void shmring_bench_obj_remove_all(void);

#endif /* SHMRING_BENCH_PAIR_H */
