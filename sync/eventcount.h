/* SPDX-License-Identifier: MIT */
/*
 * sync/eventcount.h - an eventcount on shared 32-bit words: a futex sequence,
 * a waiters word and a count of units pending a batched wake. A notifier
 * makes a system call only when someone waits.
 *
 * The lost-wakeup race is the store-buffer one: the notifier stores its data
 * then loads `waiters`; the waiter increments `waiters` then loads the data.
 * The waiter puts a full fence between its store and its load (F-wait).
 * The notifier does not (N-light): a full fence per message makes the store
 * of the message wait for the cache line the other side is reading, a whole
 * cache-line round trip per message when the reader has caught up. So the
 * notifier's load of `waiters` may be performed while its publication still
 * sits in its store buffer, and see no waiter that has just counted itself.
 * The waiter covers that window (S-settle): after its fence it keeps
 * re-checking the condition for SHMRING_EC_SETTLE_NS, longer than any store
 * takes to leave a store buffer (a cache-line transfer, under a microsecond
 * even in far placement), before it sleeps. And its first sleep of a wait
 * is at most SHMRING_EC_FIRST_SLEEP_NS, so that even a store held back
 * longer than the settle costs one short sleep, never a lost wake-up. The
 * announcement then stands until the wait ends, across every sleep and
 * re-check: a notifier whose load comes after it sees the waiter and takes
 * the C-wake path below, so only the first sleep races N-light. Paths
 * that pause (an empty ring, close, a reaped peer) notify with the fence
 * (shmring__ec_notify_fenced(), shmring__ec_flush()).

 * Who is asleep: announcing oneself (prepare) and going to sleep (commit)
 * are two steps. A waiter that has announced itself only re-checks; a
 * notifier that sees one makes no system call. Before it sleeps, the waiter
 * sets the SLEEP bit of `waiters` (and bumps the generation) with a
 * read-modify-write, then re-checks the condition once more (C-commit). A
 * notifier that sees a waiter clears the bit with a read-modify-write and
 * makes the wake call only if the bit was set (C-wake). Both are
 * read-modify-writes of the same word, so one comes first: if the waiter's
 * did, the notifier sees the bit and wakes; if the notifier's did, the
 * waiter's re-check after its own sees the publication (it was made before
 * the notifier's read-modify-write). A notifier that clears the bit wakes
 * every sleeper; a sleeper that wakes for another reason leaves the bit
 * set, which costs one wake call that finds nobody. So a waiter that is
 * still re-checking (S-settle, or a spin that ends in no sleep) costs its
 * notifiers an atomic operation per message, not a system call per message.
 *
 * Waiters that die: `waiters` counts waiters in its low 16 bits (layout.h).
 * A waiter killed while parked leaves its count behind; whoever reaps its
 * participant entry takes it off (the entry says where it was parked:
 * `mark`). Until then, or against a forged word, the count costs notifiers
 * the atomic operation above, and a SLEEP bit left or forged one wake call
 * that clears it. A notifier whose wake found nobody asleep remembers the
 * word it saw and makes no further wake call while the word stays the same,
 * for `quiet_ns`: a forger that sets the bit again and again costs one
 * system call per such period, not one per message. A real new sleeper
 * changes the word (its commit bumps the generation), so it is never
 * missed; and every sleep is bounded by `max_sleep_ns`, so even a sleeper
 * the rule misses re-checks within a period.
 *
 * Notifiers: sleepers sleep on the futex `seq` by default. With a
 * semaphore notifier (a POSIX semaphore in the segment, or a System V one)
 * the counting and the fences are the same; a wake posts the semaphore once
 * for each sleeper counted in `waiters` (at most 64 a wake) and a sleeper
 * waits on it. A post not consumed (its sleeper found the condition true
 * and did not sleep) makes some later wait return at once; that waiter
 * re-checks and waits again, taking the stale post away.
 *
 * (An asymmetric barrier - membarrier() on the waiter, nothing on the
 * notifier - makes the same guarantee without a time argument, but each park
 * then interrupts every CPU running a shmring process: 10-20 us of CPU per
 * park on this class of VM. docs/BENCHMARKS.md has the measurement.)
 */
#ifndef SHMRING_SYNC_EVENTCOUNT_H
#define SHMRING_SYNC_EVENTCOUNT_H

#include "ringbuf/atomics.h"

#include <stdbool.h>
#include <stdint.h>

/* The shared words an eventcount is handed, and its process-local state;
 * sync/ knows nothing else of the segment. */
struct shmring_ec {
	_Atomic uint32_t *seq;
	_Atomic uint32_t *waiters;
	_Atomic uint32_t *pending;  /* units freed by notifiers, for notify_batched */
	_Atomic uint32_t *mark;     /* the waiter's own word, set to mark_value while parked */
	uint32_t mark_value;
	bool poll_only;             /* nobody may wait here: notifiers look for no one */
	uint64_t max_sleep_ns;      /* the longest single sleep (re-check period) */
	uint64_t quiet_ns;          /* how long a wake that found nobody silences the word */
	uint32_t quiet_w;           /* the waiters word that wake saw */
	uint64_t quiet_until;       /* CLOCK_MONOTONIC ns; 0: not silenced */
	/* What sleepers sleep on (SHMRING_HDR_NOTIFY_*): the futex on seq, or a
	 * semaphore posted once per sleeper at each wake. */
	uint32_t notifier;
	void *psem;                 /* PSEM: a process-shared sem_t */
	int semid;                  /* SYSVSEM: the set ... */
	unsigned short semnum;      /* ... and the semaphore in it */
};

#define SHMRING_EC_WAITING(w) ((w) & 0xffffu)
/* Set by a waiter about to sleep, cleared by the notifier that wakes it. */
#define SHMRING_EC_SLEEP (UINT32_C(1) << 31)
/* The generation: bits 16-30, bumped by every commit. */
#define SHMRING_EC_GEN_UNIT (UINT32_C(1) << 16)
#define SHMRING_EC_GEN_MASK (UINT32_C(0x7fff) << 16)

/* S-settle: how long a waiter keeps re-checking after announcing itself. */
#define SHMRING_EC_SETTLE_NS 2000u
/*
 * The first sleep of a wait at most: the bound on a wake-up N-light missed.
 * 5 ms, not less: a sleep whose timeout comes before the CPU's next timer
 * tick makes the kernel reprogram the timer going to sleep and again on an
 * early wake-up, which in a virtual machine cost 1-3 us per sleep (a parked
 * round trip: 20.7 us with a 1 ms bound, 18.2-19.0 us with 5 ms or more).
 */
#define SHMRING_EC_FIRST_SLEEP_NS 5000000u

/*
 * Someone waits (the waiters word the caller saw counts a waiter): if
 * one is asleep (the SLEEP bit, C-wake), bump the sequence and wake every
 * sleeper, unless the word is silenced (see above). Counts each wake call
 * into *wakes. Slow path.
 */
void shmring__ec_wake(struct shmring_ec *ec, _Atomic uint64_t *wakes);

/*
 * Call after publishing (a stamp, a position): wakes waiters if there are
 * any. No fence and no system call when nobody waits (N-light, above).
 */
static inline void shmring__ec_notify(struct shmring_ec *ec, _Atomic uint64_t *wakes)
{
	uint32_t w;

	if (ec->poll_only)
		return;
	/* Keeps the compiler from hoisting the load above the publication; the
	 * CPU may still perform it first, which S-settle covers. */
	shmring__compiler_barrier();
	/* Relaxed, N-light: pairs with F-wait and S-settle in the waiter. */
	w = shmring__load_relaxed(ec->waiters);
	if (SHMRING_UNLIKELY(SHMRING_EC_WAITING(w) != 0))
		shmring__ec_wake(ec, wakes);
}

/* As shmring__ec_notify(), with the full fence, for paths that run once
 * (close, a reaped peer) and want no time argument. */
static inline void shmring__ec_notify_fenced(struct shmring_ec *ec, _Atomic uint64_t *wakes)
{
	uint32_t w;

	/* F-notify: pairs with F-wait in shmring__ec_prepare(); StoreLoad
	 * between our publication and the load of waiters. */
	shmring__fence_full();
	/* Relaxed: ordered after the publication by the fence above. */
	w = shmring__load_relaxed(ec->waiters);
	if (SHMRING_EC_WAITING(w) != 0)
		shmring__ec_wake(ec, wakes);
}

/*
 * Batched notify, for producers parked on a full ring: waking them all for
 * each freed slot makes a futex call per message and a herd that mostly
 * parks again. While someone waits, notifiers add the units they free to the
 * shared `pending` word; the one whose addition reaches `batch`, or the
 * number of parked waiters if that is smaller, wakes them all. So a single
 * parked producer is woken by the first unit freed, and N parked producers
 * once there is a unit for each (or a batch). Notifiers that stop short call
 * shmring__ec_flush() wherever they pause (an empty ring, before they park,
 * close), so units never sit pending while their freer sleeps.
 */
void shmring__ec_add_pending(struct shmring_ec *ec, uint32_t w, uint64_t units, uint64_t batch,
			     _Atomic uint64_t *wakes);

static inline void shmring__ec_notify_batched(struct shmring_ec *ec, uint64_t units,
					      uint64_t batch, _Atomic uint64_t *wakes)
{
	uint32_t w;

	if (ec->poll_only)
		return;
	/* As in shmring__ec_notify(): no fence (N-light). */
	shmring__compiler_barrier();
	/* Relaxed, N-light: pairs with F-wait and S-settle in the waiter. */
	w = shmring__load_relaxed(ec->waiters);
	if (SHMRING_UNLIKELY(SHMRING_EC_WAITING(w) != 0))
		shmring__ec_add_pending(ec, w, units, batch, wakes);
}

/* Wake waiters for units pending from shmring__ec_notify_batched(). */
void shmring__ec_flush(struct shmring_ec *ec, _Atomic uint64_t *wakes);

/* Whether units are pending (a load of the shared word; cheap). */
static inline bool shmring__ec_has_pending(const struct shmring_ec *ec)
{
	/* Relaxed: a hint; shmring__ec_flush() decides with an exchange. */
	return shmring__load_relaxed(ec->pending) != 0;
}

/*
 * Announce a waiter and return the key to wait on. After this, re-check the
 * condition for SHMRING_EC_SETTLE_NS (S-settle); if it still does not hold,
 * shmring__ec_commit(), re-check once more, and if it still does not hold,
 * shmring__ec_wait(). One announcement serves the whole wait: after a sleep,
 * take a new key (shmring__ec_rekey()), re-check, and commit and sleep
 * again, or end the wait with shmring__ec_cancel(). While the announcement
 * stands, every notifier sees a waiter and takes the C-wake path, so only
 * the first sleep of a wait races N-light (see above); re-announcing for
 * each sleep would open that race again at every one.
 */
uint32_t shmring__ec_prepare(struct shmring_ec *ec);
uint32_t shmring__ec_rekey(struct shmring_ec *ec);
void shmring__ec_commit(struct shmring_ec *ec);
void shmring__ec_cancel(struct shmring_ec *ec);

/* Sleep until notified, the deadline or max_sleep_ns, whichever is first;
 * the announcement made by prepare stands. Returns 0, -EAGAIN (already
 * notified), -ETIMEDOUT (also where the deadline has passed since the
 * caller looked at the clock) or -EINTR; a semaphore notifier that fails (its
 * System V set removed) sleeps out the capped time: -ETIMEDOUT. The caller has
 * re-checked (for SHMRING_EC_SETTLE_NS after prepare: S-settle), committed
 * and re-checked (C-commit), and caps its first sleep of a wait at
 * SHMRING_EC_FIRST_SLEEP_NS through deadline. */
int shmring__ec_wait(struct shmring_ec *ec, uint32_t key, uint64_t deadline);

#endif /* SHMRING_SYNC_EVENTCOUNT_H */
