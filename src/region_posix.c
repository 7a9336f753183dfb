/* SPDX-License-Identifier: MIT */
/*
 * src/region_posix.c - POSIX shared memory (shm_open) regions.
 */
#include "src/internal.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define CREATE_WAIT_MS 1000 /* as long as an opener waits for the header */

static int fill(int fd, struct shmring_region *out)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	out->fd = fd;
	out->size = (uint64_t)st.st_size;
	out->owner_uid = (uint32_t)st.st_uid;
	out->key.scheme = SHMRING_SCHEME_POSIX;
	out->key.dev = (uint64_t)st.st_dev;
	out->key.ino = (uint64_t)st.st_ino;
	return 0;
}

/*
 * Reserve the pages, so that a full /dev/shm is an error now and not a SIGBUS
 * on first touch. tmpfs supports fallocate; where it does not, compare the
 * free space and set the length.
 */
static int reserve(int fd, uint64_t size)
{
	struct statvfs vfs;
	int rc = posix_fallocate(fd, 0, (off_t)size);

	if (rc == 0)
		return 0;
	if (rc != EOPNOTSUPP && rc != EINVAL)
		return -rc;
	if (fstatvfs(fd, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < size)
		return -ENOSPC;
	return ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
}

int shmring__region_create(const struct shmring_uri *u, uint64_t size, uint32_t mode,
			   bool replace, struct shmring_region *out)
{
	int fd, rc = 0;

	if (replace && shm_unlink(u->path) < 0 && errno != ENOENT)
		return -errno;
	fd = shm_open(u->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return -errno;
	/* shm_open applies the umask; the caller asked for exactly `mode`. */
	if (fchmod(fd, (mode_t)mode) < 0 || (rc = reserve(fd, size)) < 0 || (rc = fill(fd, out)) < 0) {
		rc = rc < 0 ? rc : -errno;
		shm_unlink(u->path);
		close(fd);
		return rc;
	}
	return 0;
}

/*
 * A creator makes the object and then reserves its space, so an opener can
 * see it with length 0 for a moment: wait for the length (up to the same
 * second an opener waits for the header). Still 0 after that means a creator
 * that died or a foreign empty object; the caller reports it.
 */
int shmring__region_open(const struct shmring_uri *u, struct shmring_region *out)
{
	const struct timespec tick = {.tv_nsec = 1000000};
	int fd = shm_open(u->path, O_RDWR | O_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	for (int waited = 0;; waited++) {
		rc = fill(fd, out);
		if (rc < 0 || out->size != 0 || waited == CREATE_WAIT_MS)
			break;
		nanosleep(&tick, NULL);
	}
	if (rc < 0)
		close(fd);
	return rc;
}

int shmring__region_unlink(const struct shmring_uri *u)
{
	return shm_unlink(u->path) < 0 ? -errno : 0;
}

void shmring__region_close(struct shmring_region *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
