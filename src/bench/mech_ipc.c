/* SPDX-License-Identifier: MIT */
/*
 * src/bench/mech_ipc.c - the other classic kernel mechanisms: POSIX and
 * System V message queues, shared memory guarded by System V or POSIX named
 * semaphores, a raw futex queue on shared memory, and real-time signals
 * carrying a value.
 *
 * The semaphore and futex mechanisms are bounded queues of `slots` messages
 * per direction in shared memory, the textbook way to use them: one
 * semaphore (or futex word) counts filled slots, one counts free slots.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "pair.h"

static unsigned queue_slots(unsigned size)
{
	/* Deep enough to let the producer run ahead, small enough to stay in
	 * the caches: 64 slots, 8 for 64 KiB messages. */
	return size > 4096 ? 8u : 64u;
}

static long read_sysctl(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Positions of this process in its two directions. */
struct local_pos {
	uint64_t send;
	uint64_t recv;
};

static int local_attach(struct shmring_bench_chan *c)
{
	c->scratch = calloc(1, sizeof(struct local_pos));
	return c->scratch ? 0 : -ENOMEM;
}

static void local_detach(struct shmring_bench_chan *c)
{
	free(c->scratch);
	c->scratch = NULL;
}

static size_t queue_bytes(const struct shmring_bench_chan *c)
{
	return (size_t)queue_slots(c->size) * c->size;
}

static unsigned char *slot(const struct shmring_bench_chan *c, size_t base, int dir, uint64_t pos)
{
	unsigned n = queue_slots(c->size);

	return (unsigned char *)c->shm + base + (size_t)dir * queue_bytes(c) +
	       (size_t)(pos % n) * c->size;
}

/* ------------------------------------------------------------ POSIX mqueue */

struct pmq_priv {
	char name[2][64];
	int obj[2];
};

static void pmq_close(struct shmring_bench_chan *c)
{
	for (int i = 0; i < 4; i++) {
		int q = c->fd[i];

		if (q < 0)
			continue;
		mq_close((mqd_t)q);
		for (int j = i; j < 4; j++)
			if (c->fd[j] == q)
				c->fd[j] = -1;
	}
}

static void pmq_teardown(struct shmring_bench_chan *c)
{
	struct pmq_priv *p = c->priv;

	pmq_close(c);
	shmring_bench_priv_free(&c->priv, p ? p->obj : NULL, 2);
}

static int pmq_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	struct pmq_priv *p = calloc(1, sizeof(*p));
	long maxmsg = read_sysctl("/proc/sys/fs/mqueue/msg_max");
	struct mq_attr attr;

	if (!p)
		return -ENOMEM;
	p->obj[0] = p->obj[1] = -1;
	c->priv = p;
	memset(&attr, 0, sizeof(attr));
	attr.mq_maxmsg = maxmsg > 0 && maxmsg < (long)queue_slots(c->size)
				 ? maxmsg
				 : (long)queue_slots(c->size);
	attr.mq_msgsize = c->size;
	for (int d = 0; d < 2; d++) {
		shmring_bench_name(p->name[d], sizeof(p->name[d]), d ? "-mq1" : "-mq0");
		mqd_t q = mq_open(p->name[d], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
		if (q == (mqd_t)-1) {
			int e = -errno;
			long lim = read_sysctl("/proc/sys/fs/mqueue/msgsize_max");

			pmq_teardown(c);
			if (e == -EINVAL && lim > 0 && (long)c->size > lim) {
				snprintf(why, wl, "%u B is above fs.mqueue.msgsize_max (%ld B)",
					 c->size, lim);
				return 1;
			}
			if (e == -ENOSYS) {
				snprintf(why, wl, "POSIX message queues are not in this kernel");
				return 1;
			}
			snprintf(why, wl, "mq_open: %s", strerror(-e));
			return e;
		}
		p->obj[d] = shmring_bench_obj_add(SHMRING_BENCH_OBJ_MQ, p->name[d], 0);
		c->fd[2 * d] = c->fd[2 * d + 1] = (int)q;
	}
	return 0;
}

static int pmq_attach(struct shmring_bench_chan *c)
{
	(void)c;
	return 0;
}

static int pmq_send(struct shmring_bench_chan *c, const void *msg)
{
	int rc;

	while (mq_send((mqd_t)c->fd[2 * c->side + 1], msg, c->size, 0) != 0)
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	return 0;
}

static int pmq_recv(struct shmring_bench_chan *c, void *msg)
{
	int rc;

	for (;;) {
		ssize_t n = mq_receive((mqd_t)c->fd[2 * (1 - c->side)], msg, c->size, NULL);

		if (n == (ssize_t)c->size)
			return 0;
		if (n >= 0)
			return -EMSGSIZE;
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	}
}

const struct shmring_bench_mech shmring_bench_mech_posix_mq = {
	.name = "posix-mq",
	.desc = "POSIX message queue (mq_send/mq_receive), one per direction",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = pmq_setup,
	.attach = pmq_attach,
	.send = pmq_send,
	.recv = pmq_recv,
	.detach = pmq_close,
	.teardown = pmq_teardown,
};

/* ----------------------------------------------------- System V msg queue */

struct smq_priv {
	int id;
	int obj;
};

struct smq_buf {
	long mtype;
	char mtext[];
};

static int smq_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	long msgmax = read_sysctl("/proc/sys/kernel/msgmax");
	struct smq_priv *p;

	if (msgmax > 0 && (long)c->size > msgmax) {
		snprintf(why, wl, "%u B is above kernel.msgmax (%ld B)", c->size, msgmax);
		return 1;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (p->id < 0) {
		int e = -errno;

		free(p);
		snprintf(why, wl, "msgget: %s", strerror(-e));
		return e;
	}
	p->obj = shmring_bench_obj_add(SHMRING_BENCH_OBJ_SYSV_MSG, NULL, p->id);
	c->priv = p;
	return 0;
}

static int smq_attach(struct shmring_bench_chan *c)
{
	c->scratch = malloc(sizeof(struct smq_buf) + c->size);
	return c->scratch ? 0 : -ENOMEM;
}

/* One queue serves both directions: the message type is the direction. */
static int smq_send(struct shmring_bench_chan *c, const void *msg)
{
	const struct smq_priv *p = c->priv;
	struct smq_buf *b = c->scratch;
	int rc;

	b->mtype = c->side + 1;
	memcpy(b->mtext, msg, c->size);
	while (msgsnd(p->id, b, c->size, 0) != 0)
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	return 0;
}

static int smq_recv(struct shmring_bench_chan *c, void *msg)
{
	const struct smq_priv *p = c->priv;
	struct smq_buf *b = c->scratch;
	int rc;

	for (;;) {
		ssize_t n = msgrcv(p->id, b, c->size, 2 - c->side, 0);

		if (n == (ssize_t)c->size) {
			memcpy(msg, b->mtext, c->size);
			return 0;
		}
		if (n >= 0)
			return -EMSGSIZE;
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	}
}

static void smq_teardown(struct shmring_bench_chan *c)
{
	struct smq_priv *p = c->priv;

	shmring_bench_priv_free(&c->priv, p ? &p->obj : NULL, 1);
}

const struct shmring_bench_mech shmring_bench_mech_sysv_mq = {
	.name = "sysv-mq",
	.desc = "System V message queue (msgsnd/msgrcv), message type = direction",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = smq_setup,
	.attach = smq_attach,
	.send = smq_send,
	.recv = smq_recv,
	.detach = local_detach,
	.teardown = smq_teardown,
};

/* ------------------------------------------- System V semaphore + shm */

/* The caller defines it (see semctl(2)). */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct ssem_priv {
	int semid;
	int obj;
};

/* Semaphore numbers: items in direction d = 2d, free slots = 2d + 1. */
static int ssem_op(int semid, int num, int delta)
{
	struct sembuf op = {.sem_num = (unsigned short)num, .sem_op = (short)delta, .sem_flg = 0};
	int rc;

	while (semop(semid, &op, 1) != 0)
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	return 0;
}

static void ssem_teardown(struct shmring_bench_chan *c)
{
	struct ssem_priv *p = c->priv;

	if (c->shm)
		shmdt(c->shm);
	c->shm = NULL;
	shmring_bench_priv_free(&c->priv, p ? &p->obj : NULL, 1);
}

static int ssem_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	struct ssem_priv *p = calloc(1, sizeof(*p));
	unsigned short init[4];
	union semun arg;
	int shmid, e;

	if (!p)
		return -ENOMEM;
	p->obj = -1;
	c->priv = p;
	c->shm_len = 2 * queue_bytes(c);
	shmid = shmget(IPC_PRIVATE, c->shm_len, IPC_CREAT | 0600);
	if (shmid < 0) {
		e = -errno;
		snprintf(why, wl, "shmget: %s", strerror(-e));
		goto fail;
	}
	c->shm = shmat(shmid, NULL, 0);
	e = c->shm == (void *)-1 ? -errno : 0;
	/* Marked for removal at once: the segment lives while attached (the
	 * child inherits the attachment) and can never be left behind. */
	shmctl(shmid, IPC_RMID, NULL);
	if (e) {
		c->shm = NULL;
		snprintf(why, wl, "shmat: %s", strerror(-e));
		goto fail;
	}
	p->semid = semget(IPC_PRIVATE, 4, IPC_CREAT | 0600);
	if (p->semid < 0) {
		e = -errno;
		snprintf(why, wl, "semget: %s", strerror(-e));
		goto fail;
	}
	p->obj = shmring_bench_obj_add(SHMRING_BENCH_OBJ_SYSV_SEM, NULL, p->semid);
	init[0] = init[2] = 0;
	init[1] = init[3] = (unsigned short)queue_slots(c->size);
	arg.array = init;
	if (semctl(p->semid, 0, SETALL, arg) != 0) {
		e = -errno;
		snprintf(why, wl, "semctl SETALL: %s", strerror(-e));
		goto fail;
	}
	return 0;
fail:
	ssem_teardown(c);
	return e;
}

/* semop is a system call, a full barrier: the slot's bytes are in place
 * for the other process by the time it can take the semaphore. */
static int ssem_send(struct shmring_bench_chan *c, const void *msg)
{
	const struct ssem_priv *p = c->priv;
	struct local_pos *lp = c->scratch;
	int d = c->side, rc = ssem_op(p->semid, 2 * d + 1, -1);

	if (rc)
		return rc;
	memcpy(slot(c, 0, d, lp->send++), msg, c->size);
	return ssem_op(p->semid, 2 * d, 1);
}

static int ssem_recv(struct shmring_bench_chan *c, void *msg)
{
	const struct ssem_priv *p = c->priv;
	struct local_pos *lp = c->scratch;
	int d = 1 - c->side, rc = ssem_op(p->semid, 2 * d, -1);

	if (rc)
		return rc;
	memcpy(msg, slot(c, 0, d, lp->recv++), c->size);
	return ssem_op(p->semid, 2 * d + 1, 1);
}

const struct shmring_bench_mech shmring_bench_mech_sysv_sem = {
	.name = "sysv-sem",
	.desc = "System V shared memory queue guarded by System V semaphores (semop)",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = ssem_setup,
	.attach = local_attach,
	.send = ssem_send,
	.recv = ssem_recv,
	.detach = local_detach,
	.teardown = ssem_teardown,
};

/* --------------------------------------------- POSIX named semaphore + shm */

struct psem_priv {
	sem_t *sem[4]; /* as for System V: items 2d, free slots 2d + 1 */
};

static void psem_teardown(struct shmring_bench_chan *c)
{
	struct psem_priv *p = c->priv;

	if (p) {
		for (int i = 0; i < 4; i++)
			if (p->sem[i])
				sem_close(p->sem[i]);
		free(p);
	}
	c->priv = NULL;
	shmring_bench_shared_unmap(c->shm, c->shm_len);
	c->shm = NULL;
}

static int psem_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	struct psem_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	c->priv = p;
	c->shm_len = 2 * queue_bytes(c);
	c->shm = shmring_bench_shared_map(c->shm_len);
	if (!c->shm) {
		psem_teardown(c);
		return -ENOMEM;
	}
	for (int i = 0; i < 4; i++) {
		char name[64];

		shmring_bench_name(name, sizeof(name), "-sem");
		p->sem[i] = sem_open(name, O_CREAT | O_EXCL, 0600,
				     (i & 1) ? queue_slots(c->size) : 0u);
		if (p->sem[i] == SEM_FAILED) {
			int e = -errno;

			p->sem[i] = NULL;
			snprintf(why, wl, "sem_open: %s", strerror(-e));
			psem_teardown(c);
			return e;
		}
		/* Opened by name, then unlinked at once: the mapping survives
		 * (the child inherits it) and no name can be left behind. */
		sem_unlink(name);
	}
	return 0;
}

static int psem_wait(sem_t *s)
{
	int rc;

	while (sem_wait(s) != 0)
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	return 0;
}

/* sem_post is a release and sem_wait an acquire (POSIX memory
 * synchronisation): they order the slot's bytes. */
static int psem_send(struct shmring_bench_chan *c, const void *msg)
{
	const struct psem_priv *p = c->priv;
	struct local_pos *lp = c->scratch;
	int d = c->side, rc = psem_wait(p->sem[2 * d + 1]);

	if (rc)
		return rc;
	memcpy(slot(c, 0, d, lp->send++), msg, c->size);
	return sem_post(p->sem[2 * d]) ? -errno : 0;
}

static int psem_recv(struct shmring_bench_chan *c, void *msg)
{
	const struct psem_priv *p = c->priv;
	struct local_pos *lp = c->scratch;
	int d = 1 - c->side, rc = psem_wait(p->sem[2 * d]);

	if (rc)
		return rc;
	memcpy(msg, slot(c, 0, d, lp->recv++), c->size);
	return sem_post(p->sem[2 * d + 1]) ? -errno : 0;
}

const struct shmring_bench_mech shmring_bench_mech_posix_sem = {
	.name = "posix-sem",
	.desc = "shared memory queue guarded by POSIX named semaphores (sem_open)",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = psem_setup,
	.attach = local_attach,
	.send = psem_send,
	.recv = psem_recv,
	.detach = local_detach,
	.teardown = psem_teardown,
};

/* ---------------------------------------------------------------- futex */

/*
 * One direction: `head` counts messages written, `tail` messages read; each
 * is a futex word that the other side sleeps on, with a flag saying someone
 * sleeps there, so that a wake is a system call only when needed. No spin
 * before sleeping: this is the raw futex round trip the library's blocking
 * mode is compared with.
 */
struct futex_dir {
	alignas(128) _Atomic uint32_t head;
	_Atomic uint32_t head_sleeping;
	alignas(128) _Atomic uint32_t tail;
	_Atomic uint32_t tail_sleeping;
};

#define FUTEX_HDR (2 * sizeof(struct futex_dir))

static int futex_wait_on(_Atomic uint32_t *w, uint32_t seen)
{
	/* Not FUTEX_PRIVATE: the word lives in memory shared by two processes. */
	if (syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, seen, NULL, NULL, 0) == 0)
		return 0;
	return errno == EAGAIN ? 0 : shmring_bench_call_failed();
}

static void futex_wake_one(_Atomic uint32_t *w)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * Sleep until *word != value. The sleeper sets its flag and then re-reads
 * the word; the other side writes the word and then reads the flag. Both
 * pairs are seq_cst, so at least one side sees the other's write: either the
 * sleeper sees the new word and does not sleep, or the waker sees the flag
 * and wakes it (and FUTEX_WAIT itself refuses to sleep on a changed word).
 */
static int futex_await_change(_Atomic uint32_t *word, _Atomic uint32_t *flag, uint32_t value)
{
	int rc = 0;

	/* seq_cst: the flag must be visible before the word is re-read. */
	atomic_store_explicit(flag, 1, memory_order_seq_cst);
	/* seq_cst: pairs with the other side's seq_cst store of the word. */
	if (atomic_load_explicit(word, memory_order_seq_cst) == value)
		rc = futex_wait_on(word, value);
	/* Relaxed: a stale 1 only costs the other side one needless wake. */
	atomic_store_explicit(flag, 0, memory_order_relaxed);
	return rc;
}

static int futex_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	(void)why;
	(void)wl;
	c->shm_len = FUTEX_HDR + 2 * queue_bytes(c);
	c->shm = shmring_bench_shared_map(c->shm_len);
	return c->shm ? 0 : -ENOMEM;
}

static void futex_teardown(struct shmring_bench_chan *c)
{
	shmring_bench_shared_unmap(c->shm, c->shm_len);
	c->shm = NULL;
}

static int futex_send(struct shmring_bench_chan *c, const void *msg)
{
	struct futex_dir *q = (struct futex_dir *)c->shm + c->side;
	struct local_pos *lp = c->scratch;
	uint32_t pos = (uint32_t)lp->send, n = queue_slots(c->size), t;
	int rc;

	/* Acquire: the consumer has finished copying out the slot we reuse. */
	while (pos - (t = atomic_load_explicit(&q->tail, memory_order_acquire)) >= n) {
		rc = futex_await_change(&q->tail, &q->tail_sleeping, t);
		if (rc)
			return rc;
	}
	memcpy(slot(c, FUTEX_HDR, c->side, pos), msg, c->size);
	lp->send++;
	/* seq_cst: publishes the slot (release) and orders this store before
	 * the load of the sleeping flag (see futex_await_change). */
	atomic_store_explicit(&q->head, pos + 1, memory_order_seq_cst);
	if (atomic_load_explicit(&q->head_sleeping, memory_order_seq_cst))
		futex_wake_one(&q->head);
	return 0;
}

static int futex_recv(struct shmring_bench_chan *c, void *msg)
{
	int d = 1 - c->side;
	struct futex_dir *q = (struct futex_dir *)c->shm + d;
	struct local_pos *lp = c->scratch;
	uint32_t pos = (uint32_t)lp->recv, h;
	int rc;

	/* Acquire: pairs with the producer's store of head; the slot is whole. */
	while ((h = atomic_load_explicit(&q->head, memory_order_acquire)) == pos) {
		rc = futex_await_change(&q->head, &q->head_sleeping, h);
		if (rc)
			return rc;
	}
	memcpy(msg, slot(c, FUTEX_HDR, d, pos), c->size);
	lp->recv++;
	/* seq_cst: releases the slot and orders this store before the load of
	 * the producer's sleeping flag. */
	atomic_store_explicit(&q->tail, pos + 1, memory_order_seq_cst);
	if (atomic_load_explicit(&q->tail_sleeping, memory_order_seq_cst))
		futex_wake_one(&q->tail);
	return 0;
}

const struct shmring_bench_mech shmring_bench_mech_futex = {
	.name = "futex",
	.desc = "shared memory queue with raw FUTEX_WAIT/FUTEX_WAKE, no spinning",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = futex_setup,
	.attach = local_attach,
	.send = futex_send,
	.recv = futex_recv,
	.detach = local_detach,
	.teardown = futex_teardown,
};

/* ---------------------------------------------------- real-time signals */

struct rts_priv {
	sigset_t old;
	int sig[2]; /* the signal carrying direction d */
};

static int rts_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	struct rts_priv *p = calloc(1, sizeof(*p));
	sigset_t set;

	if (!p)
		return -ENOMEM;
	/* Clear of SIGRTMIN itself, which some libraries and debuggers use. */
	p->sig[0] = SIGRTMIN + 4;
	p->sig[1] = SIGRTMIN + 5;
	if (p->sig[1] > SIGRTMAX) {
		free(p);
		snprintf(why, wl, "too few real-time signals");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, p->sig[0]);
	sigaddset(&set, p->sig[1]);
	/* Blocked before fork, so the child inherits the mask and no signal
	 * can arrive unblocked (its default action is to terminate). */
	if (sigprocmask(SIG_BLOCK, &set, &p->old) != 0) {
		int e = -errno;

		free(p);
		return e;
	}
	c->priv = p;
	return 0;
}

static int rts_attach(struct shmring_bench_chan *c)
{
	(void)c;
	return 0;
}

static int rts_send(struct shmring_bench_chan *c, const void *msg)
{
	const struct rts_priv *p = c->priv;
	union sigval v;
	uint64_t w;

	memcpy(&w, msg, sizeof(w));
	memset(&v, 0, sizeof(v));
	v.sival_ptr = (void *)(uintptr_t)w;
	while (sigqueue(c->peer, p->sig[c->side], v) != 0) {
		/* EAGAIN: the receiver's queue of pending signals is full
		 * (RLIMIT_SIGPENDING); let it drain. */
		if ((errno == EAGAIN || errno == EINTR) && shmring_bench_retry_eintr()) {
			sched_yield();
			continue;
		}
		return shmring_bench_expired ? -ETIMEDOUT : -errno;
	}
	return 0;
}

static int rts_recv(struct shmring_bench_chan *c, void *msg)
{
	const struct rts_priv *p = c->priv;
	siginfo_t si;
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, p->sig[1 - c->side]);
	while (sigwaitinfo(&set, &si) < 0)
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	if (si.si_code != SI_QUEUE || si.si_pid != c->peer)
		return -EPROTO;
	uint64_t w = (uint64_t)(uintptr_t)si.si_value.sival_ptr;
	memcpy(msg, &w, sizeof(w));
	return 0;
}

static void rts_detach(struct shmring_bench_chan *c)
{
	(void)c;
}

static void rts_teardown(struct shmring_bench_chan *c)
{
	struct rts_priv *p = c->priv;
	struct timespec zero = {0, 0};
	siginfo_t si;
	sigset_t set;

	if (!p)
		return;
	sigemptyset(&set);
	sigaddset(&set, p->sig[0]);
	sigaddset(&set, p->sig[1]);
	/* Anything still queued (a failed run) would kill us once unblocked. */
	while (sigtimedwait(&set, &si, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &p->old, NULL);
	free(p);
	c->priv = NULL;
}

const struct shmring_bench_mech shmring_bench_mech_rt_signal = {
	.name = "rt-signal",
	.desc = "real-time signals with a value (sigqueue + sigwaitinfo)",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.max_size = 8,
	.setup = rts_setup,
	.attach = rts_attach,
	.send = rts_send,
	.recv = rts_recv,
	.detach = rts_detach,
	.teardown = rts_teardown,
};
