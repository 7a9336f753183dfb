/* SPDX-License-Identifier: MIT */
/*
 * src/sync_mutex.c - robust mutexes (shmring/sync.h) on a 64-bit owner word.
 *
 * The owner word (src/syncobj.h) names the owning thread by its id and the
 * low bits of its start time, so that a recycled id is never taken for the
 * owner. Locking is a CAS of 0 to our word; a locker that finds the mutex
 * held sets WAITERS in the word and sleeps on `seq`, which an unlock that
 * finds WAITERS bumps before it wakes one sleeper. A woken locker takes the
 * mutex with WAITERS set (others may still sleep), so its unlock wakes the
 * next: no count of sleepers that a killed one could leave wrong.
 *
 * Ordering: M1, the CAS that takes the mutex (acquire), pairs with M2, the
 * CAS of unlock (release): what one owner wrote under the lock is seen by
 * the next. The sleep is a Dekker pair, all seq_cst: the locker reads seq,
 * then sees the owner word held with WAITERS (W1); the unlocker clears the
 * word, then bumps seq (W2). Either the locker sees the mutex free, or the
 * unlocker saw WAITERS and its bump of seq comes after the locker read it,
 * so the futex wait returns at once or is woken.
 *
 * Death: a locker that has watched one owner hold the mutex for CHECK_NS
 * judges it (and again every CHECK_NS; its futex sleeps end by then). Dead
 * (no such thread, a zombie, another start time, a process that no longer
 * maps the mutex: it ran execve() holding it) means a CAS from exactly
 * the word judged to ours with OWNER_DIED, and -EOWNERDEAD. The judgement
 * reads /proc/TID/stat and /proc/TID/maps and opens a pidfd: no signal is
 * ever sent.
 *
 * Namespaces: a thread id means something only in its pid namespace. Every
 * handle records its namespace in the object at open, before it can take the
 * mutex (seq_cst, before M1): `pidns` is that namespace while every opener
 * shares it, SHMRING_MUTEX_NS_MANY once two have. A judge that finds another
 * namespace (or MANY) there cannot tell who the owner is: alive.
 */
#include "src/sync_handle.h"
#include "src/syncobj.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHECK_NS UINT64_C(10000000) /* judge an owner after it held 10 ms, then every 10 ms */
#define SPINS 64                    /* looks at a held mutex before sleeping */
#define PID_LIMIT 4194304           /* PID_MAX_LIMIT: no thread id reaches it */

struct shmring_mutex {
	struct shmring_syncobj obj;
	struct shmring_sync_mutex *st;
	uint64_t pidns;               /* our pid namespace (0: unknown) */
	_Atomic uint64_t tried_owner; /* trylock: the owner last judged alive ... */
	_Atomic uint64_t tried_at;    /* ... and when */
	_Atomic uint64_t mapped_owner; /* the owner last found mapping the mutex ... */
	_Atomic uint64_t mapped_at;    /* ... and when */
};

/* --- Who we are ----------------------------------------------------------------- */

static _Thread_local struct {
	pid_t tid;
	uint64_t word;
} self;

static pid_t thread_id(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * This thread's owner word. Cached per thread: a fork child's thread has
 * another id than the parent's thread it copies, so the cache is recomputed
 * there. The start time is /proc/thread-self's: /proc/TID names another
 * thread where /proc is an ancestor pid namespace's.
 */
static uint64_t self_word(void)
{
	pid_t tid = thread_id();

	if (self.tid != tid) {
		uint64_t start = shmring__thread_start_time();

		self.word = ((uint64_t)(uint32_t)tid << 32) |
			    ((start & SHMRING_MUTEX_START_MASK) << 3);
		self.tid = tid;
	}
	return self.word;
}

/* --- Judging an owner ---------------------------------------------------------- */

int shmring__mutex_judge(uint64_t obj_ns, uint64_t self_ns, uint64_t o,
			 const struct shmring_map_info *mi)
{
	uint32_t tid = SHMRING_MUTEX_TID(o);
	uint64_t start = 0;
	char state = 0;
	int fd, rc;

	if (self_ns == 0 || obj_ns != self_ns)
		return -1; /* another namespace's owner, or unknown: cannot judge */
	if (tid == 0 || tid >= PID_LIMIT)
		return 1; /* no thread has that id: a forged word */
	/* ESRCH: no process or thread has that id in our namespace. EINVAL: a
	 * thread that is not a process leader, which exists (older kernels
	 * open pidfds of leaders only). */
	fd = (int)syscall(SYS_pidfd_open, (pid_t)tid, 0u);
	if (fd < 0 && errno == ESRCH)
		return 1;
	/* /proc of another pid namespace (ours mounted none) names another
	 * thread by that id: only the pidfd tells. */
	rc = shmring__proc_is_ours() ? shmring__proc_stat((pid_t)tid, &state, &start) : -ENOENT;
	if (rc == 0) {
		if (fd >= 0)
			close(fd);
		/* A zombie has exited; another start time (the low bits the
		 * word keeps, a tick apart allowed: shmring__same_start()) is
		 * another thread that got the id since. */
		if (state == 'Z' || state == 'X' ||
		    ((start - SHMRING_MUTEX_START(o) + 1) & SHMRING_MUTEX_START_MASK) > 2)
			return 1;
		/* The same thread, whose process no longer maps the mutex: it
		 * ran execve() (the new program keeps the id and start time)
		 * or unmapped the mutex, holding it. Unreadable maps: alive. */
		return mi && mi->maps.ino && shmring__maps_segment((pid_t)tid, &mi->maps) == 0;
	}
	/* /proc could not tell (hidden pids, no /proc, another namespace's):
	 * only a pidfd that says the process exited is a verdict of death. */
	if (fd < 0)
		return 0;
	rc = shmring__pidfd_exited(fd);
	close(fd);
	return rc;
}

/*
 * Whether the owner named by word o is gone. Never sends a signal. Its maps
 * (which may be long) are read once per SHMRING_REJUDGE_NS per owner, the
 * cheap checks every time.
 */
static bool owner_dead(struct shmring_mutex *m, uint64_t o, uint64_t now)
{
	/* seq_cst: after the load of the owner word (see "Namespaces"). */
	uint64_t ns = atomic_load(&m->st->pidns);
	/* Relaxed, both: a cache of a verdict, read and written racily by
	 * threads sharing the handle; the worst is one reading too many. */
	bool maps = shmring__load_relaxed(&m->mapped_owner) != SHMRING_MUTEX_IDENT(o) ||
		    now - shmring__load_relaxed(&m->mapped_at) >= SHMRING_REJUDGE_NS;
	int j = shmring__mutex_judge(ns, m->pidns, o, maps ? shmring__map_info(m->obj.map) : NULL);

	if (j == 0 && maps) {
		/* Relaxed, both: as above. */
		shmring__store_relaxed(&m->mapped_owner, SHMRING_MUTEX_IDENT(o));
		shmring__store_relaxed(&m->mapped_at, now);
	}
	return j == 1;
}

/* --- Handles ---------------------------------------------------------------- */

/* Record our pid namespace in the object (see "Namespaces"). */
static void register_ns(struct shmring_mutex *m)
{
	uint64_t mine = m->pidns ? m->pidns : SHMRING_MUTEX_NS_MANY;
	uint64_t cur = atomic_load(&m->st->pidns);

	/* seq_cst: before any owner word of ours (M1). */
	while (cur != mine && cur != SHMRING_MUTEX_NS_MANY &&
	       !atomic_compare_exchange_weak(&m->st->pidns, &cur,
					     cur == 0 ? mine : SHMRING_MUTEX_NS_MANY))
		;
}

static void mutex_setup(void *h)
{
	struct shmring_mutex *m = h;

	m->st = m->obj.state;
	m->pidns = shmring__pidns_self();
	register_ns(m);
}

static const struct shmring_sync_type mutex_type = {
	.kind = SHMRING_SYNC_KIND_MUTEX, .size = sizeof(struct shmring_mutex),
	.create_flags = SHMRING_SYNC_REPLACE, .setup = mutex_setup,
};

int shmring_mutex_create(const char *uri, const struct shmring_sync_opts *opts,
			 shmring_mutex_t **out)
{
	return shmring__sync_handle_create(&mutex_type, uri, opts, (void **)out);
}

int shmring_mutex_open(const char *uri, const struct shmring_sync_open_opts *opts,
		       shmring_mutex_t **out)
{
	return shmring__sync_handle_open(&mutex_type, uri, opts, (void **)out);
}

int shmring_mutex_dup(shmring_mutex_t *m, shmring_mutex_t **out)
{
	return shmring__sync_handle_dup(&mutex_type, m, (void **)out);
}

int shmring_mutex_close(shmring_mutex_t *m)
{
	return shmring__sync_handle_close(m);
}

int shmring_mutex_unlink(const char *uri)
{
	return shmring__syncobj_unlink(uri);
}

/* --- Locking -------------------------------------------------------------------- */

/* Take the mutex from a dead owner whose word is exactly o. */
static bool take_over(struct shmring_mutex *m, uint64_t o, uint64_t me)
{
	/* M1 (acquire): as a lock; also sees what the dead owner wrote. */
	return atomic_compare_exchange_strong_explicit(
		&m->st->owner, &o, me | SHMRING_MUTEX_OWNER_DIED | SHMRING_MUTEX_WAITERS,
		memory_order_acquire, memory_order_relaxed);
}

/* trylock: judge the holder at most once per CHECK_NS per handle. 0 if it
 * was judged alive that recently. */
static bool judged_alive_lately(struct shmring_mutex *m, uint64_t o, uint64_t now)
{
	/* Relaxed, both: a cache of a verdict, read and written racily by
	 * threads sharing the handle; the worst is one judgement too many. */
	return shmring__load_relaxed(&m->tried_owner) == SHMRING_MUTEX_IDENT(o) &&
	       now - shmring__load_relaxed(&m->tried_at) < CHECK_NS;
}

static int lock(struct shmring_mutex *m, uint64_t deadline, bool try)
{
	struct shmring_sync_mutex *st = m->st;
	uint64_t me = self_word();
	uint64_t o = 0, watched = 0, since = 0;
	bool contended = false;
	int spins = try ? SPINS : 0, lost = 0;

	/* M1 (acquire): pairs with M2 in unlock. */
	if (atomic_compare_exchange_strong_explicit(&st->owner, &o, me, memory_order_acquire,
						    memory_order_relaxed))
		return 0;
	for (;;) {
		/* W1: seq, then the owner word (seq_cst both; pairs with W2). */
		uint32_t s = atomic_load(&st->seq);
		uint64_t now;

		o = atomic_load(&st->owner);
		if (o & SHMRING_MUTEX_NOTRECOVERABLE)
			return -ENOTRECOVERABLE;
		if (SHMRING_MUTEX_TID(o) == 0) {
			/* Free (whatever stray bits a forger left). After a
			 * sleep, others may sleep too: keep WAITERS. M1. */
			if (atomic_compare_exchange_strong_explicit(
				    &st->owner, &o, me | (contended ? SHMRING_MUTEX_WAITERS : 0),
				    memory_order_acquire, memory_order_relaxed))
				return 0;
			/* Lost to another locker, or to a peer that keeps
			 * rewriting a free-looking word: the try and the
			 * deadline still end the call. */
			if (++lost >= SPINS) {
				lost = 0;
				if (try)
					return -EBUSY;
				if (shmring__now_ns() >= deadline)
					return -ETIMEDOUT;
			}
			continue;
		}
		if (SHMRING_MUTEX_IDENT(o) == me)
			return -EDEADLK;
		if (spins < SPINS) {
			spins++;
			shmring__cpu_relax();
			continue;
		}
		now = shmring__now_ns();
		if (SHMRING_MUTEX_IDENT(o) != watched) {
			watched = SHMRING_MUTEX_IDENT(o);
			since = now;
		}
		if (try || now >= deadline || now - since >= CHECK_NS) {
			if (try && judged_alive_lately(m, o, now))
				return -EBUSY;
			if (owner_dead(m, o, now)) {
				if (take_over(m, o, me))
					return -EOWNERDEAD;
				/* The word moved on (another taker, or a peer
				 * rewriting it): judged again next time, but not
				 * past the try or the deadline. */
				if (try)
					return -EBUSY;
				if (now >= deadline)
					return -ETIMEDOUT;
				continue;
			}
			if (try) {
				/* Relaxed, both: see judged_alive_lately(). */
				shmring__store_relaxed(&m->tried_owner, SHMRING_MUTEX_IDENT(o));
				shmring__store_relaxed(&m->tried_at, now);
				return -EBUSY;
			}
			if (now >= deadline)
				return -ETIMEDOUT;
			since = now; /* judge it again one period from now */
		}
		/* W1: WAITERS in the word we saw held, so that its unlock bumps
		 * seq (seq_cst). */
		if (!(o & SHMRING_MUTEX_WAITERS) &&
		    !atomic_compare_exchange_strong(&st->owner, &o, o | SHMRING_MUTEX_WAITERS))
			continue;
		contended = true;
		shmring__sync_sleep(&st->seq, s,
				    deadline - since < CHECK_NS ? deadline : since + CHECK_NS);
	}
}

int shmring_mutex_lock(shmring_mutex_t *m)
{
	return m ? lock(m, SHMRING_NO_DEADLINE, false) : -EINVAL;
}

int shmring_mutex_timedlock(shmring_mutex_t *m, uint64_t deadline)
{
	return m ? lock(m, deadline, false) : -EINVAL;
}

int shmring_mutex_trylock(shmring_mutex_t *m)
{
	return m ? lock(m, 0, true) : -EINVAL;
}

int shmring_mutex_unlock(shmring_mutex_t *m)
{
	struct shmring_sync_mutex *st;
	uint64_t me, o, next;

	if (!m)
		return -EINVAL;
	st = m->st;
	me = self_word();
	/* Relaxed: a first guess for the CAS. */
	o = shmring__load_relaxed(&st->owner);
	do {
		if (SHMRING_MUTEX_IDENT(o) != me || (o & SHMRING_MUTEX_NOTRECOVERABLE))
			return -EPERM;
		/* Not repaired after an owner died: for good. */
		next = (o & SHMRING_MUTEX_OWNER_DIED) ? SHMRING_MUTEX_NOTRECOVERABLE : 0;
		/* M2 (seq_cst, so release): pairs with M1; W2: the word
		 * before seq. */
	} while (!atomic_compare_exchange_weak(&st->owner, &o, next));
	if ((o & SHMRING_MUTEX_WAITERS) || next) {
		/* W2: seq after the owner word (seq_cst; pairs with W1). */
		atomic_fetch_add(&st->seq, 1);
		shmring__futex_wake(&st->seq, next ? INT_MAX : 1);
	}
	return 0;
}

int shmring_mutex_consistent(shmring_mutex_t *m)
{
	uint64_t me, o;

	if (!m)
		return -EINVAL;
	me = self_word();
	/* Relaxed: a first guess for the CAS. */
	o = shmring__load_relaxed(&m->st->owner);
	do {
		if (SHMRING_MUTEX_IDENT(o) != me || !(o & SHMRING_MUTEX_OWNER_DIED) ||
		    (o & SHMRING_MUTEX_NOTRECOVERABLE))
			return -EINVAL;
		/* Relaxed: only we (the owner) clear the flag; others only
		 * add WAITERS, which the CAS keeps. */
	} while (!shmring__cas_weak(&m->st->owner, &o, o & ~SHMRING_MUTEX_OWNER_DIED,
				    memory_order_relaxed));
	return 0;
}
