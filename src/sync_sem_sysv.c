/* SPDX-License-Identifier: MIT */
/*
 * src/sync_sem_sysv.c - counting semaphores as System V semaphore sets
 * (semget/semop/semtimedop), named "sysv:KEY" or "sysv:@/path#ID".
 *
 * A set of ours has two semaphores: the count, and a marker the creator sets
 * to SHMRING_SYSV_MARKER once the count holds its initial value (with a
 * semop, so that the set's sem_otime tells a finished creator from one still
 * at work). An open refuses a set of another size or marker
 * (-SHMRING_EBADMAGIC): the key names a set of another program.
 */
#include "src/syncobj.h"

#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

#define INIT_WAIT_MS 1000 /* how long an open waits for a creator to finish */

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* A removed set answers EINVAL or EIDRM. */
static int sem_err(int e)
{
	return e == EINVAL || e == EIDRM ? -EIDRM : -e;
}

static bool set_young(int semid);

/*
 * Whether semid is a finished set of ours: 0, -SHMRING_EBADMAGIC,
 * -SHMRING_EFOREIGN, -EAGAIN (its creator is still setting it up), -errno.
 * A set never operated on that is older than a creator takes is another
 * program's (a creator of ours that died there left it to ipcrm(1) too).
 */
static int check_set(int semid, uint32_t flags)
{
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	int v;

	for (int waited = 0;; waited++) {
		if (semctl(semid, 0, IPC_STAT, arg) < 0)
			return shmring__sysv_errno();
		if (!(flags & SHMRING_SYNC_ANY_OWNER) && ds.sem_perm.uid != geteuid())
			return -SHMRING_EFOREIGN;
		if (ds.sem_nsems != 2)
			return -SHMRING_EBADMAGIC;
		v = semctl(semid, 1, GETVAL);
		if (v < 0)
			return shmring__sysv_errno();
		if (v == SHMRING_SYSV_MARKER)
			return 0;
		/* Never operated on and no marker yet: a creator at work. */
		if (v != 0 || ds.sem_otime != 0)
			return -SHMRING_EBADMAGIC;
		if ((flags & SHMRING_SYNC_NOWAIT) || waited == INIT_WAIT_MS)
			return set_young(semid) ? -EAGAIN : -SHMRING_EBADMAGIC;
		usleep(1000);
	}
}

/* Whether semid was made (or last set) within the time a creator takes to
 * finish it, and a second more. */
static bool set_young(int semid)
{
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	time_t now = time(NULL);

	if (semctl(semid, 0, IPC_STAT, arg) < 0)
		return false;
	return now >= ds.sem_ctime && now - ds.sem_ctime <= INIT_WAIT_MS / 1000 + 1;
}

int shmring__ssem_exists(const struct shmring_uri *u)
{
	key_t key;
	int rc = shmring__sysv_key(u, &key);

	if (rc < 0)
		return rc;
	if (semget(key, 0, 0) >= 0)
		return 1;
	return errno == ENOENT ? 0 : (errno == EACCES ? 1 : -errno);
}

int shmring__ssem_unlink(const struct shmring_uri *u)
{
	key_t key;
	int id, rc = shmring__sysv_key(u, &key);

	if (rc < 0)
		return rc;
	id = semget(key, 0, 0);
	if (id < 0)
		return -errno;
	/* Only a set of ours (any owner: the permissions decide), or one
	 * whose creator is still at work. */
	rc = check_set(id, SHMRING_SYNC_ANY_OWNER | SHMRING_SYNC_NOWAIT);
	if (rc < 0 && rc != -EAGAIN)
		return rc;
	return semctl(id, 0, IPC_RMID) < 0 ? -errno : 0;
}

int shmring__ssem_create(const struct shmring_uri *u, uint32_t mode, uint32_t value, bool replace,
			 int *semid)
{
	struct sembuf mark = {.sem_num = 1, .sem_op = SHMRING_SYSV_MARKER, .sem_flg = 0};
	union semun arg = {.val = (int)value};
	key_t key;
	int id, rc = shmring__sysv_key(u, &key);

	if (rc < 0)
		return rc;
	if (value > SHMRING_SYSV_SEM_MAX)
		return -EINVAL;
	/* One name, one object: not beside a futex semaphore (or a ring). */
	rc = shmring__syncobj_make_room(u, replace);
	if (rc < 0)
		return rc;
	if (replace && (rc = shmring__ssem_unlink(u)) < 0 && rc != -ENOENT)
		return rc; /* -SHMRING_EBADMAGIC: another program's set stays */
	/* semget applies no umask: the mode is exactly the caller's. */
	id = semget(key, 2, IPC_CREAT | IPC_EXCL | (int)(mode & 0777));
	if (id < 0)
		return errno == ENOSPC ? -ENOSPC : -errno;
	if (semctl(id, 0, SETVAL, arg) < 0 || semop(id, &mark, 1) < 0) {
		rc = -errno;
		semctl(id, 0, IPC_RMID);
		return rc;
	}
	*semid = id;
	return 0;
}

int shmring__ssem_open(const struct shmring_uri *u, uint32_t flags, int *semid)
{
	key_t key;
	int id, rc = shmring__sysv_key(u, &key);

	if (rc < 0)
		return rc;
	id = semget(key, 0, 0);
	if (id < 0)
		return -errno;
	rc = check_set(id, flags);
	if (rc < 0)
		return rc;
	*semid = id;
	return 0;
}

int shmring__ssem_post(int semid, bool undo)
{
	struct sembuf op = {.sem_num = 0, .sem_op = 1, .sem_flg = (short)(undo ? SEM_UNDO : 0)};

	while (semop(semid, &op, 1) < 0) {
		if (errno == EINTR)
			continue;
		/* Above SEMVMX (or the undo value beyond SEMAEM). */
		return errno == ERANGE ? -EOVERFLOW : sem_err(errno);
	}
	return 0;
}

int shmring__ssem_trywait(int semid, bool undo)
{
	struct sembuf op = {.sem_num = 0, .sem_op = -1,
			    .sem_flg = (short)(IPC_NOWAIT | (undo ? SEM_UNDO : 0))};

	while (semop(semid, &op, 1) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return -EAGAIN;
		return errno == ERANGE ? -EOVERFLOW : sem_err(errno);
	}
	return 0;
}

int shmring__ssem_wait(int semid, bool undo, uint64_t deadline)
{
	struct sembuf op = {.sem_num = 0, .sem_op = -1, .sem_flg = (short)(undo ? SEM_UNDO : 0)};

	for (;;) {
		uint64_t now = shmring__now_ns();
		struct timespec ts;
		int rc;

		if (deadline == SHMRING_NO_DEADLINE) {
			rc = semop(semid, &op, 1);
		} else {
			if (now >= deadline) {
				/* Only "none there" is the timeout: a removed
				 * set stays -EIDRM, whatever the deadline. */
				rc = shmring__ssem_trywait(semid, undo);
				return rc == -EAGAIN ? -ETIMEDOUT : rc;
			}
			/* semtimedop takes a relative timeout: computed again
			 * from the deadline on every round (after a signal). */
			ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
			ts.tv_nsec = (long)((deadline - now) % 1000000000u);
			rc = semtimedop(semid, &op, 1, &ts);
		}
		if (rc == 0)
			return 0;
		/* EAGAIN: the timeout ran out (judged by our clock above). */
		if (errno == EINTR || errno == EAGAIN)
			continue;
		return errno == ERANGE ? -EOVERFLOW : sem_err(errno);
	}
}

int shmring__ssem_value(int semid, uint32_t *value)
{
	int v = semctl(semid, 0, GETVAL);

	if (v < 0)
		return sem_err(errno);
	*value = (uint32_t)v;
	return 0;
}
