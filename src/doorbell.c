/* SPDX-License-Identifier: MIT */
/*
 * src/doorbell.c - a real-time signal to a consumer when messages arrive.
 *
 * A consumer registers a signal number and a token in its participant entry
 * (the entry says which process it is, since when, and that it maps this
 * ring) and sets its bit in the control block's `bells` mask. Before it
 * sleeps it arms the doorbell and looks at the ring once more; a producer,
 * after publishing and its notify fence (F-notify), sees the mask, and for
 * each armed entry takes the armed bit off with a CAS: the one that takes it
 * sends the one signal. So a waiter that has not drained gets one signal
 * however many messages come (the rate is bounded by the waiter's drains),
 * and arming after publication is never missed (the arm's full fence pairs
 * with F-notify, as the eventcount's F-wait does).
 *
 * Only a live process of the signaller's own user that maps this ring is
 * signalled: the entry is judged as for recovery (pid, start time, pid
 * namespace, the segment in its maps), the process's user is read from
 * /proc, and the signal goes through the pidfd that judgement opened, so a
 * recycled pid is never signalled. Without pidfds, sigqueue() follows a
 * fresh check of the start time. A dead registrant is reaped, which takes
 * its bit off the mask.
 */
#include "src/internal.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct shmring_part *my_entry(shmring_t *r)
{
	return r->part[1] < 0 ? NULL : &shmring__parts(r->base)[r->part[1]];
}

static uint64_t my_bit(shmring_t *r)
{
	return UINT64_C(1) << r->part[1];
}

int shmring_doorbell_register(shmring_t *r, int signo, int token)
{
	struct shmring_part *p;
	sigset_t cur;

	if (!r)
		return -EINVAL;
	p = my_entry(r);
	if (!p)
		return -EPERM; /* consumers only */
	if (r->part[1] >= (int)SHMRING_BELL_MAX_PARTS)
		return -EUSERS;
	if (signo < SIGRTMIN || signo > SIGRTMAX)
		return -EINVAL;
	/* A real-time signal nobody blocks terminates the process. */
	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0 || sigismember(&cur, signo) != 1)
		return -EINVAL;
	/* Signals go only between processes of one user: the ring's. */
	if (shmring__map_info(r->map)->owner_uid != (uint32_t)geteuid())
		return -EPERM;
	/* Relaxed: published by the release below. */
	shmring__store_relaxed(&p->bell_token, (uint32_t)token);
	/* Release: a producer that sees the registration sees the token. */
	shmring__store_release(&p->bell, (uint32_t)signo | SHMRING_BELL_REGISTERED);
	/* Relaxed: the mask is a hint that entries are worth looking at; each
	 * entry's own word decides (and arming fences). */
	atomic_fetch_or_explicit(&r->ctl->bells, my_bit(r), memory_order_relaxed);
	r->bell_signo = signo;
	r->bell_token = token;
	return 0;
}

void shmring__bell_clear(void *base, uint32_t idx)
{
	struct shmring_part *p = &shmring__parts(base)[idx];

	if (idx >= SHMRING_BELL_MAX_PARTS)
		return;
	/* Relaxed, both: a producer that still sees the bit finds the entry
	 * unarmed, or signals a registrant that is leaving (harmless: the
	 * signal is blocked and queued, or the process is gone). */
	shmring__store_relaxed(&p->bell, 0);
	atomic_fetch_and_explicit(&shmring__ctl(base)->bells, ~(UINT64_C(1) << idx),
				  memory_order_relaxed);
}

int shmring_doorbell_unregister(shmring_t *r)
{
	if (!r || !r->bell_signo)
		return -EINVAL;
	shmring__bell_clear(r->base, (uint32_t)r->part[1]);
	r->bell_signo = 0;
	return 0;
}

/* Messages to read now, or end-of-stream to report: the caller reads. */
static bool readable(shmring_t *r)
{
	uint64_t pres;

	if (shmring_count(r) > 0)
		return true;
	/* Relaxed: as in shmring__tx_gone(). */
	pres = shmring__load_relaxed(&r->ctl->producers);
	return SHMRING_PRESENCE_GONE(pres);
}

int shmring_doorbell_arm(shmring_t *r)
{
	struct shmring_part *p;

	if (!r || !r->bell_signo)
		return -EINVAL;
	p = my_entry(r);
	/* Relaxed: the fence below orders it before the re-check. */
	atomic_fetch_or_explicit(&p->bell, SHMRING_BELL_ARMED, memory_order_relaxed);
	/* F-arm: pairs with F-notify in the producer's notify: either it sees
	 * the armed bit, or our re-check sees its message. */
	shmring__fence_full();
	return readable(r) ? 1 : 0;
}

/* Whether process pid runs as our user (the owner of its /proc entry is its
 * effective uid). */
static bool same_user(pid_t pid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) == 0 && st.st_uid == geteuid();
}

static int send_signal(int pidfd, pid_t pid, uint64_t start, int signo, uint32_t token)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = signo;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = (int)token;
	if (pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, pidfd, signo, &si, 0);
	/* No pidfd: the pid is still the process judged a moment ago. */
	if (shmring__proc_start_time(pid) != start)
		return -1;
	return sigqueue(pid, signo, si.si_value);
}

/*
 * Whether the cached judgement of entry i still stands for its current
 * owner: alive, through a pidfd, and of our user. Then a signal costs one
 * system call; a process that has exited since answers ESRCH to it.
 */
static bool judged_ok(shmring_t *r, uint32_t i, struct shmring_part *p)
{
	struct shmring_live *e = &r->live.e[i];

	/* Acquire, both: as in shmring__part_state() (start time, then owner). */
	return e->state == SHMRING_PART_ALIVE && e->pidfd >= 0 && e->same_user == 1 &&
	       e->start == shmring__load_acquire(&p->start_time) &&
	       e->owner == shmring__load_acquire(&p->owner);
}

/* Judge entry i afresh: true if its owner may be signalled. */
static bool judge(shmring_t *r, uint32_t i)
{
	uint32_t st = shmring__part_state(r->base, &r->live, i);
	struct shmring_live *e = &r->live.e[i];

	if (st == SHMRING_PART_DEAD || st == SHMRING_PART_REAPED) {
		shmring__part_reap_all(r->base, &r->hdr, &r->live);
		return false;
	}
	if (st != SHMRING_PART_ALIVE || !(SHMRING_PART_ROLE(e->owner) & SHMRING_CONSUMER))
		return false; /* unjudgeable (another pid namespace) or not a consumer */
	if (!e->same_user)
		e->same_user = same_user((pid_t)SHMRING_PART_PID(e->owner)) ? 1 : 2;
	return e->same_user == 1;
}

/* Ring entry i's doorbell if it is armed and we take the armed bit. */
static void ring_one(shmring_t *r, uint32_t i)
{
	struct shmring_part *p = &shmring__parts(r->base)[i];
	/* Acquire: pairs with the release in registration (the token). */
	uint32_t b = shmring__load_acquire(&p->bell);
	uint32_t signo = SHMRING_BELL_SIGNO(b);
	struct shmring_live *e = &r->live.e[i];
	int rc;

	if (!(b & SHMRING_BELL_ARMED))
		return;
	/* Relaxed: the CAS only decides who signals; the message was published
	 * before our F-notify. */
	if (!atomic_compare_exchange_strong_explicit(&p->bell, &b, b & ~SHMRING_BELL_ARMED,
						     memory_order_relaxed, memory_order_relaxed))
		return; /* another producer took it, or it changed */
	if ((int)signo < SIGRTMIN || (int)signo > SIGRTMAX)
		return; /* forged */
	if (!judged_ok(r, i, p) && !judge(r, i))
		return; /* dead (reaped), unjudgeable, or not ours to signal */
	rc = send_signal(e->pidfd, (pid_t)SHMRING_PART_PID(e->owner), e->start, (int)signo,
			 shmring__load_relaxed(&p->bell_token));
	if (rc == 0)
		/* Relaxed: a statistic. */
		atomic_fetch_add_explicit(&r->ctl->bell_signals, 1, memory_order_relaxed);
	else if (errno == ESRCH) {
		e->state = 0; /* exited since it was judged: judge (and reap) it now */
		judge(r, i);
	}
}

void shmring__bells_ring(shmring_t *r, uint64_t mask)
{
	while (mask) {
		uint32_t i = (uint32_t)__builtin_ctzll(mask);

		mask &= mask - 1;
		if (i < r->hdr.max_participants)
			ring_one(r, i);
	}
}

int shmring_doorbell_wait(shmring_t *r, uint64_t deadline)
{
	sigset_t set;

	if (!r || !r->bell_signo)
		return -EINVAL;
	sigemptyset(&set);
	sigaddset(&set, r->bell_signo);
	for (;;) {
		uint64_t now = shmring__now_ns(), until;
		struct timespec ts;
		siginfo_t si;
		int rc = shmring_doorbell_arm(r);

		if (rc != 0)
			return rc < 0 ? rc : 0;
		if (now >= deadline)
			return -ETIMEDOUT;
		/* Bounded by the recovery deadline: a producer that died between
		 * taking the armed bit and signalling costs one period. */
		until = deadline - now > shmring__recovery_ns(r) ? now + shmring__recovery_ns(r)
								 : deadline;
		ts = (struct timespec){.tv_sec = (time_t)((until - now) / 1000000000u),
				       .tv_nsec = (long)((until - now) % 1000000000u)};
		if (sigtimedwait(&set, &si, &ts) >= 0)
			continue;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		/* A quiet period: look at the producers, as blocking receives
		 * do (dead ones reaped, their claims repaired; all gone is
		 * end-of-stream, for the caller's next receive to report). */
		rc = shmring__peer_check(r, SHMRING_CONSUMER);
		if (rc > 0 || rc == -EPIPE)
			return 0;
	}
}
