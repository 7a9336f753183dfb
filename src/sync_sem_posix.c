/* SPDX-License-Identifier: MIT */
/*
 * src/sync_sem_posix.c - counting semaphores as POSIX named semaphores
 * (sem_open): "posix:/name" is the file /dev/shm/sem.name that glibc maps.
 *
 * sem_open() maps whatever file has that name, and a file shorter than a
 * sem_t would make the first sem_post() fault. So an open first opens the
 * file itself (never through a symbolic link), checks that it is a regular
 * file of exactly sizeof(sem_t) bytes and whose it is, then calls sem_open()
 * and checks that what it mapped is that very file (not one put in its
 * place in between) before letting go of its descriptor.
 */
#include "src/syncobj.h"
#include "sync/semt.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define SHM_DIR "/dev/shm" /* where glibc keeps named semaphores */

static void sem_path(const struct shmring_uri *u, char *buf, size_t size)
{
	/* u->path is "/name" (checked by the URI parser). */
	snprintf(buf, size, SHM_DIR "/sem.%s", u->path + 1);
}

/* The object mapped at addr in this process, as /proc/self/maps names it:
 * 0, or -1 if there is no such mapping or no way to tell. */
static int mapped_file(const void *addr, uint64_t *dev, uint64_t *ino)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		unsigned maj, min;
		unsigned long long i;
		size_t len = strlen(line);

		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %llu", &lo, &hi, &maj, &min, &i) == 5 &&
		    lo <= (unsigned long)(uintptr_t)addr && (unsigned long)(uintptr_t)addr < hi) {
			*dev = makedev(maj, min);
			*ino = i;
			rc = 0;
			break;
		}
		/* A line longer than the buffer: skip its rest. */
		while (len && line[len - 1] != '\n' && fgets(line, sizeof(line), f))
			len = strlen(line);
	}
	fclose(f);
	return rc;
}

static struct shmring_psem *psem_new(sem_t *sem)
{
	struct shmring_psem *p = malloc(sizeof(*p));

	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	p->sem = sem;
	return p;
}

int shmring__psem_exists(const struct shmring_uri *u)
{
	char path[SHMRING_NAME_MAX + 32];
	struct stat st;

	sem_path(u, path, sizeof(path));
	if (lstat(path, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int shmring__psem_replaceable(const struct shmring_uri *u)
{
	char path[SHMRING_NAME_MAX + 32];
	struct stat st;

	sem_path(u, path, sizeof(path));
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* What an open would refuse as no semaphore (of ours). */
	return S_ISREG(st.st_mode) && (uint64_t)st.st_size == sizeof(sem_t) ? 0
									    : -SHMRING_EBADMAGIC;
}

int shmring__psem_create(const struct shmring_uri *u, uint32_t mode, uint32_t value, bool replace,
			 struct shmring_psem **out)
{
	char path[SHMRING_NAME_MAX + 32];
	sem_t *sem;
	int rc;

	if (u->scheme != SHMRING_SCHEME_POSIX || value > (uint32_t)SEM_VALUE_MAX)
		return -EINVAL;
	/* One name, one object: not beside a futex semaphore (or a ring). */
	rc = shmring__syncobj_make_room(u, replace);
	if (rc < 0)
		return rc;
	if (replace && (rc = shmring__psem_replaceable(u)) < 0)
		return rc;
	if (replace && sem_unlink(u->path) < 0 && errno != ENOENT)
		return -errno;
	sem = sem_open(u->path, O_CREAT | O_EXCL, (mode_t)mode, (unsigned)value);
	if (sem == SEM_FAILED)
		return -errno;
	/* sem_open applies the umask (which only takes bits away); the caller
	 * asked for exactly `mode`. The file is ours in a sticky directory:
	 * nobody but us (and root) can put another in its place. */
	sem_path(u, path, sizeof(path));
	rc = chmod(path, (mode_t)mode) < 0 ? -errno : 0;
	if (rc == 0 && !(*out = psem_new(sem)))
		rc = -ENOMEM;
	if (rc < 0) {
		sem_close(sem);
		sem_unlink(u->path);
	}
	return rc;
}

int shmring__psem_open(const struct shmring_uri *u, uint32_t flags, struct shmring_psem **out)
{
	char path[SHMRING_NAME_MAX + 32];
	struct stat st;
	uint64_t dev, ino;
	sem_t *sem;
	int fd, rc = 0;

	if (u->scheme != SHMRING_SCHEME_POSIX)
		return -EINVAL;
	sem_path(u, path, sizeof(path));
	fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		/* A symbolic link (ELOOP), a directory (EISDIR) or a socket
		 * (ENXIO) is never a semaphore of ours. */
		return errno == ELOOP || errno == EISDIR || errno == ENXIO ? -SHMRING_EBADMAGIC
									    : -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -SHMRING_EBADMAGIC;
	else if (!(flags & SHMRING_SYNC_ANY_OWNER) && st.st_uid != geteuid())
		rc = -SHMRING_EFOREIGN;
	else if ((uint64_t)st.st_size < sizeof(sem_t))
		rc = -SHMRING_ETRUNCATED;
	else if ((uint64_t)st.st_size != sizeof(sem_t))
		rc = -SHMRING_EBADMAGIC;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	sem = sem_open(u->path, 0);
	if (sem == SEM_FAILED) {
		rc = -errno;
		close(fd);
		return rc;
	}
	/* Our descriptor keeps the file we checked; sem_open opened the name
	 * again. The same file, or nothing. */
	if (mapped_file(sem, &dev, &ino) < 0 || dev != (uint64_t)st.st_dev ||
	    ino != (uint64_t)st.st_ino)
		rc = -EAGAIN;
	else if (!(*out = psem_new(sem)))
		rc = -ENOMEM;
	if (rc < 0)
		sem_close(sem);
	close(fd);
	return rc;
}

void shmring__psem_put(struct shmring_psem *p)
{
	if (!p)
		return;
	/* Acq_rel: the last reference sees every other use as finished. */
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	sem_close(p->sem);
	free(p);
}

int shmring__psem_unlink(const struct shmring_uri *u)
{
	if (u->scheme != SHMRING_SCHEME_POSIX)
		return -EINVAL;
	return sem_unlink(u->path) < 0 ? -errno : 0;
}

/*
 * Post, wait and read through sync/semt.h, not glibc's calls: the file is
 * writable by whoever may post, and glibc trusts a word of the sem_t that
 * such a peer may rewrite (it would abort us, or spin past the deadline).
 */
int shmring__psem_post(struct shmring_psem *p)
{
	return shmring__semt_post(p->sem);
}

int shmring__psem_trywait(struct shmring_psem *p)
{
	return shmring__semt_trywait(p->sem);
}

int shmring__psem_wait(struct shmring_psem *p, uint64_t deadline)
{
	int rc;

	/* The deadline is absolute: a retry after a signal does not stretch
	 * the wait. */
	while ((rc = shmring__semt_wait(p->sem, deadline)) == -EINTR)
		;
	return rc;
}

int shmring__psem_value(struct shmring_psem *p, uint32_t *value)
{
	*value = (uint32_t)shmring__semt_value(p->sem);
	return 0;
}
