/* SPDX-License-Identifier: MIT */
/*
 * shmring/sync.h - named synchronisation objects in shared memory: counting
 * semaphores, events, robust mutexes and condition variables, for
 * unrelated processes (and their threads). Usable on their own, without a
 * ring.
 *
 * Names: the URIs of rings (see "Names" in shmring/ring.h):
 *   "posix:/name" (or "/name")  a POSIX shared-memory object /dev/shm/name;
 *                               a POSIX-kind semaphore is instead the named
 *                               semaphore of sem_open("/name"), the file
 *                               /dev/shm/sem.name.
 *   "sysv:KEY", "sysv:@/path#ID" a System V shared-memory segment with that
 *                               key; a System V-kind semaphore is instead a
 *                               System V semaphore set with that key.
 *   "file:/path"                a regular file mapped MAP_SHARED.
 *   "memfd:" "memfd:LABEL" "anon:"
 *                               create only: the object has no name anyone
 *                               can open; it reaches children across fork()
 *                               (the inherited handle works in the child, or
 *                               take a new one with the _dup call).
 * Every object but a POSIX- or System V-kind semaphore is one page: a
 * validated header (magic, layout version, kind, creator, checksum) and the
 * object's state. Its name space is the rings': one name holds a ring or one
 * synchronisation object.
 *
 * Opening validates the object before using it, as shmring_open() does:
 * -ENOENT, -SHMRING_EFOREIGN (another user's object, unless
 * SHMRING_SYNC_ANY_OWNER), -SHMRING_ETRUNCATED, -SHMRING_EBADMAGIC (not a
 * shmring object, or a System V set that is not one of ours),
 * -SHMRING_EVERSION, -SHMRING_ECHECK, -SHMRING_EGEOMETRY, -SHMRING_EOWNER,
 * -SHMRING_EKIND (another kind of object: a ring, or an event opened as a
 * mutex, ...; shmring_open() of a synchronisation object gives the same),
 * -EAGAIN (its creator has not finished writing it after a second, or at
 * once with SHMRING_SYNC_NOWAIT). A value read from the shared state later
 * (a count, an owner word) is checked before use: a forged one gives an error
 * or a wrong answer about that object, never a crash, a wait past its
 * deadline (a condition wait's relock: see shmring_cond_wait()), or a signal
 * sent to anybody. A peer with write access can still deny service (take
 * every unit, hold the mutex, clear the waiters word so that a sleeper is
 * only woken by its deadline).
 *
 * Waiting: every blocking call takes an absolute CLOCK_MONOTONIC deadline in
 * nanoseconds (shmring_deadline_in(), shmring_clock_ns());
 * SHMRING_NO_DEADLINE waits forever. -ETIMEDOUT comes no earlier than the
 * deadline. Signals never end a wait: a handler that interrupts the wait
 * (with or without SA_RESTART) runs and the wait goes on for the time left;
 * -EINTR is never returned.
 *
 * Concurrency contract, for every call below unless it says otherwise:
 *   - The objects are multi-process and multi-thread safe.
 *   - A handle may be used by every thread of the process that opened it at
 *     once, for every call but close (no call may use a handle that is being
 *     closed). A child created by fork() may use an inherited handle, close
 *     it (which releases only the child's memory), or dup it.
 *   - try calls, post, set, reset, signal, broadcast, unlock and consistent
 *     never block (they may make one futex wake or semop system call).
 *     shmring_sem_post(), shmring_event_set(), shmring_event_reset(),
 *     shmring_cond_signal() and shmring_cond_broadcast() are
 *     async-signal-safe (atomics and at most one system call); no other
 *     call is.
 *   - Calls return 0 or a negative errno, and never leave a handle behind on
 *     failure.
 */
#ifndef SHMRING_SYNC_H
#define SHMRING_SYNC_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shmring_sem shmring_sem_t;
typedef struct shmring_event shmring_event_t;
typedef struct shmring_mutex shmring_mutex_t;
typedef struct shmring_cond shmring_cond_t;

/* Flags of struct shmring_sync_opts (create) and shmring_sync_open_opts. */
enum shmring_sync_flags {
	/* create: remove an existing object of that name first (named only).
	 * Only a synchronization object (a segment with their magic, a POSIX
	 * named semaphore, a System V set of ours), or a segment that is empty
	 * or whose magic is zero with nothing past a header and state (a
	 * creator that died), is removed; anything else
	 * is refused and left as it is: -SHMRING_EKIND (a ring),
	 * -SHMRING_EBADMAGIC (another program's data or semaphore set, a file
	 * sem.NAME that is no semaphore; a FIFO, socket, device, directory or
	 * symbolic link under the name) */
	SHMRING_SYNC_REPLACE = 1u << 0,
	/* create, events: manual reset (stays set until reset, wakes every
	 * waiter); without it an event is auto-reset (each set lets exactly
	 * one waiter through) */
	SHMRING_SYNC_MANUAL_RESET = 1u << 1,
	/* open: allow an object created by another user (its permission bits
	 * still apply) */
	SHMRING_SYNC_ANY_OWNER = 1u << 8,
	/* open: a creator still writing the object: -EAGAIN at once instead of
	 * waiting up to a second */
	SHMRING_SYNC_NOWAIT = 1u << 9,
	/*
	 * create and open, System V-kind semaphores only (-EINVAL for others):
	 * this handle's waits and posts use SEM_UNDO, so the kernel takes back
	 * their net effect when the process dies. For lock-like use (a wait
	 * before, a post after, in one process: a holder's death gives the unit
	 * back), not for producer/consumer counting, where the units a process
	 * posted would vanish with it. The undo value per process is bounded by
	 * the kernel (SEMAEM, 32767): a post beyond it gives -EOVERFLOW.
	 */
	SHMRING_SYNC_UNDO = 1u << 10,
};

/* Creation options for every kind (NULL: all defaults). */
struct shmring_sync_opts {
	uint32_t mode;  /* permission bits, exactly (no umask); 0: 0600 */
	uint32_t flags; /* SHMRING_SYNC_REPLACE, _MANUAL_RESET (events), _UNDO (sysv sems) */
	uint32_t impl;  /* semaphores: enum shmring_sem_impl; others: 0 */
	uint32_t value; /* semaphores: the initial count; events: 1 created set, else 0;
			 * others: 0 */
	uint64_t reserved[3]; /* must be zero */
};

/* Open options (NULL: none). */
struct shmring_sync_open_opts {
	uint32_t flags;       /* SHMRING_SYNC_ANY_OWNER, _NOWAIT, _UNDO */
	uint32_t reserved0;   /* must be zero */
	uint64_t reserved[3]; /* must be zero */
};

/* --- Counting semaphores ------------------------------------------------ */

/*
 * One API, three implementations chosen at create:
 *   SHMRING_SEM_FUTEX (the default): a count word and a waiters word in a
 *     shmring object, any URI scheme. post and trywait are one
 *     compare-and-swap each (post adds a futex wake only when someone may
 *     sleep); no system call otherwise. Largest count SHMRING_SEM_FUTEX_MAX.
 *   SHMRING_SEM_POSIX: a POSIX named semaphore (sem_open), "posix:/name"
 *     only (-EINVAL otherwise). Largest count SEM_VALUE_MAX (INT_MAX).
 *   SHMRING_SEM_SYSV: a System V semaphore set of two, "sysv:" only
 *     (-EINVAL otherwise): the count and a marker set at create that tells
 *     our sets from others (-SHMRING_EBADMAGIC for a set of another
 *     program). Largest count SEMVMX (32767). See SHMRING_SYNC_UNDO.
 * A post beyond the largest count gives -EOVERFLOW and changes nothing.
 *
 * Open decides the implementation from what exists. "posix:/name": a shared
 * memory object /dev/shm/name is a futex semaphore (validated as every
 * shmring object); otherwise the POSIX semaphore /dev/shm/sem.name, which
 * must be a regular file of sizeof(sem_t) bytes (-SHMRING_ETRUNCATED,
 * -SHMRING_EBADMAGIC) owned by the caller (-SHMRING_EFOREIGN unless
 * SHMRING_SYNC_ANY_OWNER). "sysv:KEY": a shared-memory segment with that key
 * is a futex semaphore; otherwise the semaphore set with that key. Create
 * refuses (-EEXIST) a name under which the other implementation already
 * has an object.
 *
 * Failure: the units a process posted stay posted when it dies, and the units
 * it took are gone with it, as with any semaphore (see SHMRING_SYNC_UNDO for
 * the System V kind). A waiter that dies while asleep leaves nothing behind
 * that stops later posts from waking the live waiters (a futex semaphore's
 * waiters word may stay one too high: each post then makes one futex wake
 * that finds nobody). A waiter killed in the instant between being woken and
 * taking its unit takes that wake-up with it: the unit stays in the count for
 * the next waiter that comes or is woken by the next post. A poster killed
 * between adding its unit and waking a waiter strands nobody: a waiter of a
 * futex or POSIX semaphore looks at the count again at least every 100 ms.
 */
enum shmring_sem_impl {
	SHMRING_SEM_FUTEX = 1,
	SHMRING_SEM_POSIX = 2,
	SHMRING_SEM_SYSV = 3,
};

#define SHMRING_SEM_FUTEX_MAX 0x7fffffffu /* INT32_MAX */

/*
 * Create a semaphore with opts->value units (0 when opts is NULL), opts->impl
 * (0: SHMRING_SEM_FUTEX). Exclusive: -EEXIST if the name is taken, unless
 * SHMRING_SYNC_REPLACE (which removes only a synchronization object: see
 * there). Errors: -EINVAL (bad name, options, an
 * implementation the scheme does not offer, a value above its largest count),
 * -EEXIST, -EACCES, -ENOSPC, -ENOMEM, -EMFILE. Thread-safe.
 */
SHMRING_API int shmring_sem_create(const char *uri, const struct shmring_sync_opts *opts,
				   shmring_sem_t **out);

/* Open an existing semaphore (see above for how the implementation is found
 * and what is validated). Thread-safe. */
SHMRING_API int shmring_sem_open(const char *uri, const struct shmring_sync_open_opts *opts,
				 shmring_sem_t **out);

/* A second handle on s's semaphore, in the calling process (a fork child may
 * dup a handle it inherited). Thread-safe. */
SHMRING_API int shmring_sem_dup(shmring_sem_t *s, shmring_sem_t **out);

/* Close a handle (NULL accepted); the semaphore and its count stay. 0. */
SHMRING_API int shmring_sem_close(shmring_sem_t *s);

/* Remove a semaphore's name, of whichever implementation is there; open
 * handles stay valid except on a System V set, which goes at once (their
 * calls then return -EIDRM). -ENOENT, -EINVAL (memfd, anon),
 * -SHMRING_EBADMAGIC (a System V set of another program: left alone). */
SHMRING_API int shmring_sem_unlink(const char *uri);

/* Add one unit, waking one waiter: 0, -EOVERFLOW (at the largest count),
 * -EIDRM (a removed System V set). Never blocks. */
SHMRING_API int shmring_sem_post(shmring_sem_t *s);

/* Take one unit if there is one: 0, -EAGAIN (none), -EIDRM. Never blocks. */
SHMRING_API int shmring_sem_trywait(shmring_sem_t *s);

/* Take one unit, waiting until deadline: 0, -ETIMEDOUT, -EIDRM. */
SHMRING_API int shmring_sem_wait(shmring_sem_t *s, uint64_t deadline);

/* The count now (a snapshot): 0 or -EIDRM. A futex semaphore's count forged
 * above SHMRING_SEM_FUTEX_MAX is reported as it is. */
SHMRING_API int shmring_sem_value(shmring_sem_t *s, uint32_t *value);

/* The implementation (enum shmring_sem_impl) behind a handle; 0 for NULL. */
SHMRING_API uint32_t shmring_sem_impl(const shmring_sem_t *s);

/* --- Events ------------------------------------------------------------ */

/*
 * A flag to wait for, set and reset by anyone. Manual reset
 * (SHMRING_SYNC_MANUAL_RESET): once set, every waiter goes through - those
 * asleep when it was set too, even if it is reset again at once - until it is
 * reset. Auto reset: a set lets exactly one waiter through (the flag is
 * consumed by it); setting a set event changes nothing. No wake-up is lost:
 * the flag and a set counter are one futex word.
 */
SHMRING_API int shmring_event_create(const char *uri, const struct shmring_sync_opts *opts,
				     shmring_event_t **out);
SHMRING_API int shmring_event_open(const char *uri, const struct shmring_sync_open_opts *opts,
				   shmring_event_t **out);
SHMRING_API int shmring_event_dup(shmring_event_t *e, shmring_event_t **out);
SHMRING_API int shmring_event_close(shmring_event_t *e);
SHMRING_API int shmring_event_unlink(const char *uri);

/* Set: wakes every waiter (manual) or one (auto). 0. Never blocks. */
SHMRING_API int shmring_event_set(shmring_event_t *e);

/* Reset (clear) the flag: 0. Never blocks. */
SHMRING_API int shmring_event_reset(shmring_event_t *e);

/* 0 if the event is set (auto: and this call consumed it), else -EAGAIN. */
SHMRING_API int shmring_event_trywait(shmring_event_t *e);

/* Wait until the event is set (auto: and consume it) or deadline: 0 or
 * -ETIMEDOUT. A manual-reset wait also returns 0 when the event was set and
 * reset again while it slept. */
SHMRING_API int shmring_event_wait(shmring_event_t *e, uint64_t deadline);

/* Manual-reset (true) or auto-reset (false). */
SHMRING_API bool shmring_event_is_manual(const shmring_event_t *e);

/* --- Robust mutexes ------------------------------------------------------ */

/*
 * A mutex owned by a thread, that survives its owner's death. Its state is a
 * 64-bit owner word (the owner's thread id, the low bits of its start time,
 * and flags) - never a pthread_mutex_t, whose robust-list pointers a hostile
 * peer could forge into writes in our process.
 *
 * A locker that finds the mutex held sleeps on a futex and judges the owner
 * once the same owner has held it for 10 ms, and every 10 ms after that (and
 * a try or timed lock that gives up judges it first): its thread is gone, a
 * zombie, or another thread with the same id (another start time) means it
 * died holding the mutex. The locker then takes the mutex over and gets
 * -EOWNERDEAD: it holds the mutex, and what the mutex protects may be
 * inconsistent. shmring_mutex_consistent() says it was repaired; an unlock
 * without it makes the mutex -ENOTRECOVERABLE for every locker, for good
 * (remove and create it again). An owner that is stopped (SIGSTOP) or traced
 * is alive, however long. An owner in another pid namespace than the locker
 * (lockers from two namespaces have used the mutex) cannot be judged and
 * counts as alive; where /proc is an ancestor namespace's (the lockers' own
 * mounted none), only a pidfd judges: an owner whose process exited is
 * dead, any other is alive. Judging reads /proc/TID/stat and opens a pidfd;
 * it never sends a signal to anyone, also when the owner word is forged (one naming
 * pid 1 with pid 1's start time is a live owner: lockers wait for their
 * deadline; one with another start time is a dead owner).
 *
 * Ownership is per thread: only the owning thread unlocks (-EPERM
 * otherwise); relocking a mutex the thread holds is -EDEADLK. A thread that
 * exits holding a mutex is a dead owner for the others.
 */
SHMRING_API int shmring_mutex_create(const char *uri, const struct shmring_sync_opts *opts,
				     shmring_mutex_t **out);
SHMRING_API int shmring_mutex_open(const char *uri, const struct shmring_sync_open_opts *opts,
				   shmring_mutex_t **out);
SHMRING_API int shmring_mutex_dup(shmring_mutex_t *m, shmring_mutex_t **out);
/* Close a handle (0). A mutex this process holds stays held while the
 * process still maps it (another handle of it); closing the last one
 * abandons the hold, as execve() does: the next locker judges the owner
 * dead (-EOWNERDEAD). */
SHMRING_API int shmring_mutex_close(shmring_mutex_t *m);
SHMRING_API int shmring_mutex_unlink(const char *uri);

/*
 * Lock, waiting until deadline (timedlock) or forever (lock): 0,
 * -EOWNERDEAD (the previous owner died: held now, see above),
 * -ENOTRECOVERABLE, -EDEADLK, -ETIMEDOUT (timedlock).
 */
SHMRING_API int shmring_mutex_lock(shmring_mutex_t *m);
SHMRING_API int shmring_mutex_timedlock(shmring_mutex_t *m, uint64_t deadline);

/* Lock if free (or its owner is found dead): 0, -EOWNERDEAD, -EBUSY,
 * -ENOTRECOVERABLE, -EDEADLK. Never sleeps. A held mutex's owner is judged
 * (a pidfd and a read of /proc) unless this handle judged that same owner
 * alive less than 10 ms ago. */
SHMRING_API int shmring_mutex_trylock(shmring_mutex_t *m);

/* Unlock: 0, or -EPERM (this thread does not hold it). Wakes one waiter;
 * after -EOWNERDEAD without consistent(), makes the mutex not recoverable
 * and wakes them all. */
SHMRING_API int shmring_mutex_unlock(shmring_mutex_t *m);

/* After -EOWNERDEAD: mark the state repaired, so that unlock frees the mutex
 * normally. 0, or -EINVAL (not held by this thread after an owner died). */
SHMRING_API int shmring_mutex_consistent(shmring_mutex_t *m);

/* --- Condition variables -------------------------------------------------- */

/*
 * A sequence-counter condition variable used with a robust mutex: a wait
 * reads the sequence before it unlocks and sleeps only while it is unchanged,
 * so a signal between the unlock and the sleep is never lost. Spurious
 * wake-ups are possible (recheck the predicate). A waiter looks at the
 * sequence again at least every 100 ms: a signal whose woken waiter died
 * before returning (or whose signaller died before its wake) is not lost,
 * it reaches the other waiters then; so a signal may also, within 100 ms,
 * return every waiter that slept through it. Any condition variable may be
 * used with any mutex.
 */
SHMRING_API int shmring_cond_create(const char *uri, const struct shmring_sync_opts *opts,
				    shmring_cond_t **out);
SHMRING_API int shmring_cond_open(const char *uri, const struct shmring_sync_open_opts *opts,
				  shmring_cond_t **out);
SHMRING_API int shmring_cond_dup(shmring_cond_t *c, shmring_cond_t **out);
SHMRING_API int shmring_cond_close(shmring_cond_t *c);
SHMRING_API int shmring_cond_unlink(const char *uri);

/* The longest a wait with a deadline keeps trying to take the mutex back
 * after its deadline. */
#define SHMRING_COND_RELOCK_NS UINT64_C(1000000000)

/*
 * Unlock m (held by this thread), wait for a signal or broadcast or the
 * deadline, and lock m again. 0 (woken; m held), -ETIMEDOUT (m held),
 * -EOWNERDEAD (m held; its owner died meanwhile), -ENOTRECOVERABLE (m not
 * held), -EPERM (m was not held by this thread: nothing done), -ENOLCK: m
 * could not be locked again by deadline + SHMRING_COND_RELOCK_NS (its
 * holder is stopped, or the owner word is forged); m is NOT held. With
 * SHMRING_NO_DEADLINE the relock waits as long as it takes, as
 * pthread_cond_wait does.
 */
SHMRING_API int shmring_cond_wait(shmring_cond_t *c, shmring_mutex_t *m, uint64_t deadline);

/* Wake one waiter / every waiter: 0. Never block; the mutex need not be
 * held. */
SHMRING_API int shmring_cond_signal(shmring_cond_t *c);
SHMRING_API int shmring_cond_broadcast(shmring_cond_t *c);

/* --- Looking at an object ------------------------------------------------- */

/* What a named object is (struct shmring_sync_info.type). */
enum shmring_sync_info_type {
	SHMRING_SYNC_TYPE_SEM = 1,
	SHMRING_SYNC_TYPE_EVENT = 2,
	SHMRING_SYNC_TYPE_MUTEX = 3,
	SHMRING_SYNC_TYPE_COND = 4,
};

/* A mutex's holder (struct shmring_sync_info.holder_state). */
enum shmring_sync_holder {
	SHMRING_SYNC_HOLDER_NONE = 0,    /* free, or not a mutex */
	SHMRING_SYNC_HOLDER_ALIVE = 1,   /* its thread lives (also: stopped, traced) */
	SHMRING_SYNC_HOLDER_DEAD = 2,    /* died holding it: the next locker gets -EOWNERDEAD */
	SHMRING_SYNC_HOLDER_UNKNOWN = 3, /* cannot be judged from here (another pid namespace) */
};

/* struct shmring_sync_info.flags */
enum shmring_sync_info_flags {
	SHMRING_SYNC_INFO_MANUAL = 1u << 0,          /* events: manual reset */
	SHMRING_SYNC_INFO_OWNER_DIED = 1u << 1,      /* mutexes: taken over from a dead
						      * owner, not yet made consistent */
	SHMRING_SYNC_INFO_NOTRECOVERABLE = 1u << 2,  /* mutexes: not recoverable, for good */
	SHMRING_SYNC_INFO_WAITERS_UNKNOWN = 1u << 3, /* waiters cannot be told (POSIX-kind
						      * semaphores): 0 there */
};

/* What shmring_sync_stat() finds: a snapshot, stale as soon as it is taken. */
struct shmring_sync_info {
	uint32_t type;         /* enum shmring_sync_info_type */
	uint32_t impl;         /* semaphores: enum shmring_sem_impl; others: 0 */
	uint32_t flags;        /* SHMRING_SYNC_INFO_* */
	uint32_t value;        /* semaphores: the count; events: 1 set, 0 not; mutexes:
				* 1 held, 0 free; condition variables: 0 */
	uint32_t seq;          /* events: sets so far (31 bits); condition variables:
				* signals and broadcasts so far; mutexes: unlocks
				* that woke a waiter; semaphores: 0 */
	uint32_t waiters;      /* the sleepers (and those about to sleep) the object
				* counts: futex semaphores, events and condition
				* variables their waiters word (a peer killed asleep
				* leaves it one too high), System V sets semncnt;
				* mutexes: 1 when someone may sleep, else 0 */
	uint32_t holder_state; /* mutexes: enum shmring_sync_holder */
	uint32_t holder_tid;   /* a held mutex: its owner thread's id, as the owner
				* word says (in the pid namespace of its users) */
	uint32_t holder_pid;   /* ... and that thread's process, when alive here; else 0 */
	uint32_t creator_uid;
	uint32_t creator_pid;  /* 0: not known (POSIX-kind semaphores) */
	uint32_t owner_uid;    /* the object's owner, as the OS says */
	uint32_t mode;         /* its permission bits */
	uint32_t reserved0;
	uint64_t ctime_ns;     /* creation, CLOCK_REALTIME ns (POSIX-kind semaphores:
				* the file's birth or else change time; System V
				* sets: to the second) */
	uint64_t reserved[4];  /* zero */
};

/*
 * Identify the object named uri, whatever it is, and take a snapshot of its
 * state into *info, without taking a role in it or changing it (no handle,
 * nothing written: a mutex's holder is judged as a locker would, reading
 * /proc and opening a pidfd, never sending a signal). flags:
 * SHMRING_SYNC_ANY_OWNER, SHMRING_SYNC_NOWAIT, as for open. The
 * implementation of a semaphore is found as shmring_sem_open() finds it, and
 * the object is validated as an open validates it; every value read from the
 * shared state is checked before it is used (a forged one gives a wrong
 * answer about that object, never a crash). 0, or the errors of open:
 * -EINVAL (bad name or flags, info NULL), -ENOENT, -SHMRING_EKIND (a ring),
 * -SHMRING_EBADMAGIC, -SHMRING_EFOREIGN, -SHMRING_EVERSION, -SHMRING_ECHECK,
 * -SHMRING_EGEOMETRY, -SHMRING_ETRUNCATED, -SHMRING_EOWNER, -EACCES,
 * -EAGAIN. *info is zeroed on failure. Thread-safe.
 *
 * To remove an object of any type, shmring_sem_unlink() serves (it removes
 * whatever object has the name, of every implementation).
 */
SHMRING_API int shmring_sync_stat(const char *uri, uint32_t flags, struct shmring_sync_info *info);

#ifdef __cplusplus
}
#endif

#endif /* SHMRING_SYNC_H */
