/* SPDX-License-Identifier: MIT */
/*
 * src/doorbell.c - a real-time signal to a consumer when messages arrive.
 *
 * A consumer registers a signal number and a token in its participant entry
 * (the entry says which process it is, since when, and that it maps this
 * ring) and sets its bit in the control block's `bells` mask. Before it
 * sleeps it arms the doorbell and looks at the ring once more; a producer,
 * after publishing, sees the mask and, after a full fence (F-notify), for
 * each armed entry takes the armed bit off with a CAS: the one that takes it
 * sends the one signal. So a waiter that has not drained gets one signal
 * however many messages come (the rate is bounded by the waiter's drains),
 * and arming after publication is never missed (the arm's full fence pairs
 * with F-notify, as the eventcount's F-wait does). The producer's look at
 * the mask is unfenced (N-light): a registration waits out the settle time
 * (S-settle in publish()) so that a message whose producer looked before the
 * registration's bit is visible by the time the first arming looks.
 *
 * Only a live process of the signaller's own user that maps this ring is
 * signalled: the entry is judged as for recovery (pid, start time, pid
 * namespace, the segment in its maps), the process's user is read from
 * /proc, and the signal goes through the pidfd that judgement opened, so a
 * recycled pid is never signalled. The signal number is read from the
 * entry too, so the process must also block, ignore or catch that signal
 * (/proc/PID/status): a forged number never ends the process it names.
 * Without pidfds, sigqueue() follows a fresh check of the start time. A
 * dead registrant is reaped, which takes its bit off the mask.
 *
 * A socket doorbell rings the same way with one byte instead of a signal,
 * for event loops that cannot take signals: the waiter's non-blocking
 * datagram socket is bound to an abstract Unix address made of a fixed
 * prefix and a random token kept in the entry, and the producer that takes
 * the armed bit sends one byte there without blocking. A full socket
 * buffer already holds a byte, so a send that fails for it loses nothing;
 * a forged token can at most send a byte to another doorbell.
 */
#include "src/internal.h"

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define BELL_PREFIX "shmring-bell-"

static struct shmring_part *my_entry(shmring_t *r)
{
	return r->part[1] < 0 ? NULL : &shmring__parts(r->base)[r->part[1]];
}

static uint64_t my_bit(shmring_t *r)
{
	return UINT64_C(1) << r->part[1];
}

/* The checks both kinds of registration make: 0 or -errno. */
static int may_register(shmring_t *r)
{
	if (!r)
		return -EINVAL;
	if (!my_entry(r))
		return -EPERM; /* consumers only */
	if (r->part[1] >= (int)SHMRING_BELL_MAX_PARTS)
		return -EUSERS;
	if (r->not_empty.poll_only)
		return -EOPNOTSUPP; /* producers of a poll-only ring ring no bells */
	/* Doorbells ring only between processes of one user: the ring's. */
	if (shmring__map_info(r->map)->owner_uid != (uint32_t)geteuid())
		return -EPERM;
	return 0;
}

/* Publish a registration in our entry and the mask. */
static void publish(shmring_t *r, uint32_t bell, uint32_t token)
{
	struct shmring_part *p = my_entry(r);

	/* Relaxed: published by the release below. */
	shmring__store_relaxed(&p->bell_token, token);
	/* Release: a producer that sees the registration sees the token. */
	shmring__store_release(&p->bell, bell | SHMRING_BELL_REGISTERED);
	/* Relaxed: the mask is a hint that entries are worth looking at; each
	 * entry's own word decides (and arming fences). */
	atomic_fetch_or_explicit(&r->ctl->bells, my_bit(r), memory_order_relaxed);
	/*
	 * S-settle, as a waiter's (sync/eventcount.h): a producer looks at the
	 * mask unfenced after its publication (shmring__bells()), so one whose
	 * look came before our bit may hold a message in its store buffer that
	 * it will ring no bell for. Past the settle time it is visible, and the
	 * look at the ring that arming makes (shmring_doorbell_arm()) sees it.
	 * F-reg: the fence puts our bit before the time we count.
	 */
	shmring__fence_full();
	for (uint64_t until = shmring__now_ns() + SHMRING_EC_SETTLE_NS; shmring__now_ns() < until;)
		shmring__cpu_relax();
}

/* The socket of a previous socket registration goes with it. */
static void drop_sock(shmring_t *r)
{
	if (r->bell_signo == SHMRING__BELL_SOCK)
		close(r->bell_sock);
	r->bell_signo = 0;
}

/* The handler registration leaves where signo had its default action. */
static void swallow(int signo)
{
	(void)signo;
}

/*
 * Producers send only a signal the process catches or ignores (see
 * takes_signal()): where signo has its default action, it gets a handler
 * that does nothing. Signals stay blocked for signalfd and sigtimedwait, so
 * it runs only where a thread does not block signo, instead of the default
 * action ending the process. It stays after unregistration: a producer that
 * judged this process keeps that judgement, and a forged armed bell would
 * still send it.
 */
static int keep_signal(int signo)
{
	struct sigaction old, sa;

	if (sigaction(signo, NULL, &old) != 0)
		return -errno;
	if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = swallow;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(signo, &sa, NULL) == 0 ? 0 : -errno;
}

int shmring_doorbell_register(shmring_t *r, int signo, int token)
{
	sigset_t cur;
	int rc = may_register(r);

	if (rc < 0)
		return rc;
	if (signo < SIGRTMIN || signo > SIGRTMAX)
		return -EINVAL;
	/* Blocked, it waits for signalfd or sigtimedwait. */
	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0 || sigismember(&cur, signo) != 1)
		return -EINVAL;
	rc = keep_signal(signo);
	if (rc < 0)
		return rc;
	drop_sock(r);
	publish(r, (uint32_t)signo, (uint32_t)token);
	r->bell_signo = signo;
	r->bell_token = token;
	return 0;
}

/* The abstract address of the doorbell with this token; its length. */
static socklen_t bell_addr(struct sockaddr_un *a, uint32_t token)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	/* sun_path[0] stays 0: the abstract namespace, nothing in the file
	 * system to clean up after a crash. */
	n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, BELL_PREFIX "%08x", token);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int shmring_doorbell_register_fd(shmring_t *r, int *fd)
{
	struct sockaddr_un a;
	uint32_t token = 0;
	int rc = may_register(r), s;

	if (rc < 0)
		return rc;
	if (!fd)
		return -EINVAL;
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/* A random token, again when another doorbell has it. */
	for (int tries = 0;; tries++) {
		if (getrandom(&token, sizeof(token), 0) != (ssize_t)sizeof(token))
			token = (uint32_t)shmring__now_ns() ^ ((uint32_t)getpid() << 16) ^ (uint32_t)tries;
		if (bind(s, (struct sockaddr *)&a, bell_addr(&a, token)) == 0)
			break;
		if (errno != EADDRINUSE || tries == 16) {
			rc = -errno;
			close(s);
			return rc;
		}
	}
	drop_sock(r);
	publish(r, SHMRING_BELL_SOCKET, token);
	r->bell_signo = SHMRING__BELL_SOCK;
	r->bell_sock = s;
	r->bell_token = (int)token;
	*fd = s;
	return 0;
}

void shmring__bell_close(shmring_t *r)
{
	drop_sock(r);
	if (r->bell_tx > 0)
		close(r->bell_tx - 1);
	r->bell_tx = 0;
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
	drop_sock(r);
	return 0;
}

/*
 * Messages to read now, or end-of-stream (or another error) to report: the
 * caller reads. A producer killed rings nothing and leaves the presence
 * word counting it, so an empty ring also looks at the peers, at most once
 * a recovery period, as a blocked receive does: a loop that arms on each
 * wake-up of its poll timeout learns of the death within about the deadline.
 */
static bool readable(shmring_t *r)
{
	uint64_t pres;

	if (shmring_count(r) > 0)
		return true;
	/* Repaired claims (progress) or an error: the receive says. */
	if (shmring__now_ns() >= r->next_check && shmring__peer_check(r, SHMRING_CONSUMER) != 0)
		return true;
	/* Relaxed: as in shmring__tx_gone(); a word saying none is left is
	 * believed where the participant table agrees. */
	pres = shmring__load_relaxed(&r->ctl->producers);
	return shmring__rx_left(r, pres) && shmring__presence_none(r, SHMRING_PRODUCER, pres);
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

/* The ignored and caught signal masks of a process's /proc status file:
 * 0, or -1 if it cannot be read. */
static int status_masks(const char *path, uint64_t m[2])
{
	static const char *const keys[] = {"SigIgn:", "SigCgt:"};
	char line[256];
	int found = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (found < 2 && fgets(line, sizeof(line), f)) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t n = strlen(keys[k]);
			unsigned long long v;

			if (strncmp(line, keys[k], n) == 0 && sscanf(line + n, "%llx", &v) == 1) {
				m[k] = (uint64_t)v;
				found++;
			}
		}
	}
	fclose(f);
	return found == 2 ? 0 : -1;
}

/*
 * Whether process pid takes signo without dying of it: the signal is
 * caught or ignored, process-wide (/proc/PID/status). The signal number
 * comes from the bell word, which a peer may have forged on the entry of a
 * consumer that never registered it (or registered another): sent there, a
 * real-time signal's default action ends that process. Registration gives
 * the signal a handler where it had none. Masks do not answer it: a thread
 * being made, and the one making it, block every signal for a moment
 * (glibc, around clone()), so a signal every thread seems to block may be
 * delivered to one that does not, a moment later.
 */
static bool takes_signal(pid_t pid, int signo)
{
	uint64_t bit = UINT64_C(1) << (signo - 1), m[2];
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return status_masks(path, m) == 0 && ((m[0] | m[1]) & bit);
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
	if (!shmring__same_start(shmring__proc_start_time(pid), start))
		return -1;
	return sigqueue(pid, signo, si.si_value);
}

/*
 * Whether the cached judgement of entry i still stands for its current
 * owner: alive, through a pidfd, of our user, and made less than
 * SHMRING_REJUDGE_NS ago (a process that ran execve() lives on as another
 * program). Then a signal costs one system call; a process that has exited
 * since answers ESRCH to it.
 */
static bool judged_ok(shmring_t *r, uint32_t i, struct shmring_part *p)
{
	struct shmring_live *e = &r->live.e[i];

	/* Acquire, both: compared only; either one changed means a new owner
	 * (or a claim finished) since the cached judgement. */
	return e->state == SHMRING_PART_ALIVE && e->pidfd >= 0 && e->same_user == 1 &&
	       shmring_clock_ns() - e->judged_ns < SHMRING_REJUDGE_NS &&
	       e->start == shmring__load_acquire(&p->start_time) &&
	       e->owner == shmring__load_acquire(&p->owner);
}

/* Judge entry i afresh: true if its owner may be signalled. */
static bool judge(shmring_t *r, uint32_t i)
{
	struct shmring_live *e = &r->live.e[i];
	bool moved = false;
	uint64_t owner;
	uint32_t st;

	/* An entry taken while we judged it once more: it has settled by then,
	 * unless a forger keeps rewriting it. */
	for (int tries = 0; tries < 2 && (tries == 0 || moved); tries++) {
		moved = false;
		/* Acquire: as in shmring__part_state(). */
		owner = shmring__load_acquire(&shmring__parts(r->base)[i].owner);
		st = shmring__part_state_of(r->base, &r->live, i, owner, &moved);
	}

	if (st == SHMRING_PART_DEAD || st == SHMRING_PART_REAPED) {
		shmring__part_scan(r->base, &r->hdr, &r->live, NULL, true);
		return false;
	}
	/* Not signalled: unjudgeable (another pid namespace), not a consumer,
	 * or taken while we judged it, twice (the cache, e, still describes
	 * the owner before). */
	if (st != SHMRING_PART_ALIVE || moved || e->owner != owner ||
	    !(SHMRING_PART_ROLE(owner) & SHMRING_CONSUMER))
		return false;
	if (!e->same_user)
		e->same_user = same_user((pid_t)SHMRING_PART_PID(e->owner)) ? 1 : 2;
	return e->same_user == 1;
}

/*
 * Ring entry i's socket doorbell: one byte to its abstract address, never
 * blocking. A waiter that died or unregistered has no socket there
 * (ECONNREFUSED, ENOENT); one whose buffer is full has a byte to read
 * already (EAGAIN). Either way there is nothing more to do.
 */
static void ring_sock(shmring_t *r, uint32_t i, struct shmring_part *p)
{
	struct sockaddr_un a;
	socklen_t len;

	if (!judged_ok(r, i, p) && !judge(r, i))
		return; /* dead (reaped), unjudgeable, or not ours to ring */
	if (!r->bell_tx) {
		int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (s < 0)
			return; /* the waiter wakes at its own timeout */
		r->bell_tx = s + 1;
	}
	/* Relaxed: the token was published with the registration, which the
	 * acquire of the bell word saw. */
	len = bell_addr(&a, shmring__load_relaxed(&p->bell_token));
	if (sendto(r->bell_tx - 1, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&a, len) ==
	    1)
		/* Relaxed: a statistic. */
		atomic_fetch_add_explicit(&r->ctl->bell_signals, 1, memory_order_relaxed);
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
	if (b & SHMRING_BELL_SOCKET) {
		if (signo == 0)
			ring_sock(r, i, p);
		return; /* else forged */
	}
	if ((int)signo < SIGRTMIN || (int)signo > SIGRTMAX)
		return; /* forged */
	if (!judged_ok(r, i, p) && !judge(r, i))
		return; /* dead (reaped), unjudgeable, or not ours to signal */
	if (e->sig_ok != signo) {
		/* Once per owner and signal number: the judgement's cache. */
		if (!takes_signal((pid_t)SHMRING_PART_PID(e->owner), (int)signo))
			return; /* forged: it would end the process */
		e->sig_ok = signo;
	}
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
	/* F-notify: pairs with F-arm in shmring_doorbell_arm(): either we see
	 * the armed bit, or its re-check sees our message. Paid only while a
	 * doorbell is registered on the ring. */
	shmring__fence_full();
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
	if (r->bell_signo != SHMRING__BELL_SOCK)
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
		if (r->bell_signo == SHMRING__BELL_SOCK) {
			char buf[64];
			int n = ppoll(&(struct pollfd){.fd = r->bell_sock, .events = POLLIN}, 1, &ts,
				      NULL);

			if (n > 0) {
				while (recv(r->bell_sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
					;
				continue;
			}
			if (n < 0 && errno != EINTR)
				return -errno;
		} else if (sigtimedwait(&set, &si, &ts) >= 0) {
			continue;
		} else if (errno != EAGAIN && errno != EINTR) {
			return -errno;
		}
		/* A quiet period: look at the producers, as blocking receives
		 * do (dead ones reaped, their claims repaired; all gone is
		 * end-of-stream, for the caller's next receive to report). */
		rc = shmring__peer_check(r, SHMRING_CONSUMER);
		if (rc > 0 || rc == -EPIPE)
			return 0;
	}
}
