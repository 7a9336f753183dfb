/* SPDX-License-Identifier: MIT */
#include "sync/eventcount.h"
#include "sync/futex.h"
#include "sync/semt.h"
#include "sync/wait.h"

#include <errno.h>
#include <limits.h>
#include <sys/sem.h>
#include <time.h>

#include "ringbuf/layout.h"

#define SEM_WAKE_MAX 64u /* posts per wake at most: a herd beyond it re-checks */

/*
 * Post a semaphore notifier up to once per sleeper counted in w, less the
 * posts still waiting to be taken: a post whose sleeper never slept stays
 * in the count, and without the cap they pile up until every wait returns
 * at once (a sleeper that spins).
 */
static int sem_wake(struct shmring_ec *ec, uint32_t w)
{
	unsigned want = SHMRING_EC_WAITING(w) < SEM_WAKE_MAX ? SHMRING_EC_WAITING(w) : SEM_WAKE_MAX;
	int have = 0;
	unsigned n;

	if (ec->notifier == SHMRING_HDR_NOTIFY_PSEM)
		have = shmring__semt_value(ec->psem);
	else
		have = semctl(ec->semid, ec->semnum, GETVAL);
	n = have <= 0 ? want : (unsigned)have >= want ? 0 : want - (unsigned)have;
	if (ec->notifier == SHMRING_HDR_NOTIFY_PSEM) {
		for (unsigned i = 0; i < n; i++)
			if (shmring__semt_post(ec->psem) < 0)
				break; /* EOVERFLOW: posts enough for anyone */
	} else if (n > 0) {
		/* Never with 0: a semop of 0 waits for the count to reach zero,
		 * which stale posts nobody takes may never let happen. */
		struct sembuf op = {.sem_num = ec->semnum, .sem_op = (short)n, .sem_flg = 0};

		/* ERANGE (the count at its maximum) likewise; EIDRM: the set is
		 * gone with the ring, and sleepers re-check on their period. */
		(void)semop(ec->semid, &op, 1);
	}
	return (int)want; /* not 0 while someone waits: a semaphore wake is never "nobody asleep" */
}

static struct timespec ts_of(uint64_t ns)
{
	return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u),
				 .tv_nsec = (long)(ns % 1000000000u)};
}

/* Wait on a semaphore notifier until deadline: 0, -ETIMEDOUT or -EINTR. */
static int sem_sleep(struct shmring_ec *ec, uint64_t deadline)
{
	if (ec->notifier == SHMRING_HDR_NOTIFY_PSEM)
		/* Not sem_clockwait(): the sem_t is in the segment, and glibc
		 * trusts a word of it any peer may rewrite (sync/semt.h). */
		return shmring__semt_wait(ec->psem, deadline);
	{
		uint64_t now = shmring__now_ns();
		struct timespec rel = ts_of(deadline > now ? deadline - now : 0);
		struct sembuf op = {.sem_num = ec->semnum, .sem_op = -1, .sem_flg = 0};

		if (semtimedop(ec->semid, &op, 1, &rel) == 0)
			return 0;
		if (errno == EAGAIN)
			return -ETIMEDOUT;
		return errno == EINTR ? -EINTR : -errno;
	}
}

void shmring__ec_wake(struct shmring_ec *ec, _Atomic uint64_t *wakes)
{
	uint32_t w;
	int n;

	/* C-wake: pairs with C-commit in shmring__ec_commit(). Sequentially
	 * consistent: one of the two read-modify-writes of the word comes
	 * first, and our publication (before this) is visible to a committer
	 * that comes after. */
	w = atomic_fetch_and_explicit(ec->waiters, ~SHMRING_EC_SLEEP, memory_order_seq_cst);
	if (!(w & SHMRING_EC_SLEEP))
		return; /* nobody asleep: whoever commits later sees our publication */
	if (ec->quiet_until && w == ec->quiet_w) {
		if (shmring__now_ns() < ec->quiet_until)
			return; /* the same word that found nobody asleep: stale or forged */
		ec->quiet_until = 0;
	}
	/* Release: a waiter that sees the new sequence sees what we published.
	 * A sleeper whose futex compare came before this bump is in the queue
	 * when the wake below looks. */
	atomic_fetch_add_explicit(ec->seq, 1, memory_order_release);
	if (ec->notifier == SHMRING_HDR_NOTIFY_FUTEX)
		n = shmring__futex_wake(ec->seq, INT_MAX);
	else
		n = sem_wake(ec, w); /* whether anyone slept is not known: never quiet */
	if (wakes)
		/* Relaxed: a statistic. */
		atomic_fetch_add_explicit(wakes, 1, memory_order_relaxed);
	if (n == 0 && ec->quiet_ns) {
		/*
		 * Nobody was asleep: a sleeper woken by someone else or by its
		 * timeout, a SLEEP bit left by a waiter that died, or a forged
		 * word. Silence this exact word for a period; any new commit
		 * changes it.
		 */
		ec->quiet_w = w;
		ec->quiet_until = shmring__now_ns() + ec->quiet_ns;
	}
}

void shmring__ec_add_pending(struct shmring_ec *ec, uint32_t w, uint64_t units, uint64_t batch,
			     _Atomic uint64_t *wakes)
{
	uint64_t need = SHMRING_EC_WAITING(w) < batch ? SHMRING_EC_WAITING(w) : batch;
	uint32_t add = units > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)units;
	/* Relaxed: a tally; the wake below publishes nothing of its own (the
	 * units were published before the notify). */
	uint32_t now = atomic_fetch_add_explicit(ec->pending, add, memory_order_relaxed) + add;

	if (now < need)
		return;
	/* Relaxed: whoever takes the tally to zero makes the one wake. */
	if (atomic_exchange_explicit(ec->pending, 0, memory_order_relaxed) != 0)
		shmring__ec_wake(ec, wakes);
}

void shmring__ec_flush(struct shmring_ec *ec, _Atomic uint64_t *wakes)
{
	uint32_t w;

	if (!shmring__ec_has_pending(ec))
		return;
	/* Relaxed: as in shmring__ec_add_pending(). */
	if (atomic_exchange_explicit(ec->pending, 0, memory_order_relaxed) == 0)
		return;
	/* F-notify: as in shmring__ec_notify_fenced(): a flush runs where a
	 * notifier pauses, so it makes no time argument. */
	shmring__fence_full();
	/* Relaxed: ordered by the fence above. */
	w = shmring__load_relaxed(ec->waiters);
	if (SHMRING_EC_WAITING(w) != 0)
		shmring__ec_wake(ec, wakes);
}

uint32_t shmring__ec_prepare(struct shmring_ec *ec)
{
	/* Relaxed: the fence below orders it before our re-check. Counted
	 * before the mark is set, so that a reaper that sees the mark always
	 * finds our count to take off. */
	atomic_fetch_add_explicit(ec->waiters, 1, memory_order_relaxed);
	if (ec->mark)
		/* Relaxed: read only by a reaper after we are dead. */
		shmring__store_relaxed(ec->mark, ec->mark_value);
	/* F-wait: pairs with F-notify in shmring__ec_notify_fenced() and
	 * shmring__ec_flush(): either the notifier sees waiters != 0, or our
	 * re-check sees its publication. Against N-light (an unfenced
	 * notifier) the caller's S-settle re-check does the same. */
	shmring__fence_full();
	/* Acquire: pairs with the release increment in shmring__ec_wake(). */
	return shmring__load_acquire(ec->seq);
}

void shmring__ec_commit(struct shmring_ec *ec)
{
	/* Relaxed: a first guess for the CAS below, which decides. */
	uint32_t w = shmring__load_relaxed(ec->waiters);
	uint32_t nw;

	do
		nw = (w & ~SHMRING_EC_GEN_MASK) | SHMRING_EC_SLEEP |
		     ((w + SHMRING_EC_GEN_UNIT) & SHMRING_EC_GEN_MASK);
	/* C-commit: pairs with C-wake in shmring__ec_wake(). Sequentially
	 * consistent: either a notifier's read-modify-write comes after this
	 * one and sees the bit, or it came before and the caller's re-check
	 * after this sees the notifier's publication. Relaxed on failure: we
	 * try again with the word seen. */
	while (!atomic_compare_exchange_weak_explicit(ec->waiters, &w, nw, memory_order_seq_cst,
						      memory_order_relaxed));
}

void shmring__ec_cancel(struct shmring_ec *ec)
{
	if (ec->mark)
		/* Relaxed: as in shmring__ec_prepare(); cleared before the count
		 * drops, so a reaper never takes off a count we took off. */
		shmring__store_relaxed(ec->mark, 0);
	/* Relaxed: only ever compared with zero by notifiers; a stale non-zero
	 * costs one unneeded wake. */
	atomic_fetch_sub_explicit(ec->waiters, 1, memory_order_relaxed);
}

int shmring__ec_wait(struct shmring_ec *ec, uint32_t key, uint64_t deadline)
{
	int rc;

	if (ec->max_sleep_ns) {
		uint64_t now = shmring__now_ns();

		/* The caller's look at the clock came before its settle look
		 * (or a preemption): the deadline may have passed since. */
		if (deadline <= now)
			return -ETIMEDOUT;
		if (deadline - now > ec->max_sleep_ns)
			deadline = now + ec->max_sleep_ns;
	}
	if (ec->notifier == SHMRING_HDR_NOTIFY_FUTEX) {
		rc = shmring__futex_wait(ec->seq, key, deadline);
	} else {
		rc = sem_sleep(ec, deadline);
		if (rc < 0 && rc != -ETIMEDOUT && rc != -EINTR) {
			/*
			 * The semaphore failed (a System V set removed under
			 * us with the ring's name): sleep out this sleep, capped
			 * above, rather than spin through it, and not past it:
			 * the caller must still look at the ring and its peers
			 * once per recovery deadline.
			 */
			struct timespec ts = ts_of(deadline);

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
			rc = -ETIMEDOUT;
		}
	}
	return rc;
}

uint32_t shmring__ec_rekey(struct shmring_ec *ec)
{
	/* Acquire: pairs with the release increment in shmring__ec_wake(), as
	 * in shmring__ec_prepare(); no fence: the announcement it follows was
	 * fenced when it was made. */
	return shmring__load_acquire(ec->seq);
}
