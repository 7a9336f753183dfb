/* SPDX-License-Identifier: MIT */
/*
 * src/region_fd.c - regions that are files: POSIX shared memory (shm_open,
 * a file on /dev/shm's tmpfs), regular files, and memfds.
 */
#include "src/internal.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define CREATE_WAIT_MS 1000 /* as long as an opener waits for the header */
#define SHM_DIR "/dev/shm" /* where glibc's shm_open() opens names */

static bool on_hugetlbfs(int fd, uint64_t *page)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) < 0 || fs.f_type != HUGETLBFS_MAGIC)
		return false;
	*page = (uint64_t)fs.f_bsize;
	return true;
}

/* Whether fd's pages are memory: tmpfs (/dev/shm, a file: ring there). */
bool shmring__fd_on_tmpfs(int fd)
{
	struct statfs fs;

	return fstatfs(fd, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

/* The file's birth time in seconds, or -1 where its file system keeps none. */
static int64_t born(int fd)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) < 0 || !(sx.stx_mask & STATX_BTIME))
		return -1;
	return (int64_t)sx.stx_btime.tv_sec;
}

int shmring__fd_fill(int fd, uint32_t scheme, struct shmring_region *out)
{
	struct stat st;
	uint64_t page;

	if (fstat(fd, &st) < 0)
		return -errno;
	/* A device, pipe or socket is never a ring, whatever its bytes say. */
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	out->scheme = scheme;
	out->fd = fd;
	out->shmid = -1;
	out->base = NULL;
	out->size = (uint64_t)st.st_size;
	out->owner_uid = (uint32_t)st.st_uid;
	out->mode = (uint32_t)st.st_mode & 07777;
	out->huge = on_hugetlbfs(fd, &page);
	out->born_s = born(fd);
	out->key.scheme = scheme;
	out->key.dev = (uint64_t)st.st_dev;
	out->key.ino = (uint64_t)st.st_ino;
	return 0;
}

/*
 * Reserve the pages, so that a full tmpfs or disk is an error now and not a
 * SIGBUS on first touch. Where fallocate is not supported, compare the free
 * space and set the length.
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

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

/* Size and reserve a new file of a named backend: huge pages only where the
 * file is on hugetlbfs. */
static int size_named(int fd, const struct shmring_region_opts *o)
{
	uint64_t page, size = o->size;
	int rc;

	if (on_hugetlbfs(fd, &page)) {
		size = round_up(size, page);
		rc = reserve(fd, size);
		/* hugetlbfs runs out of reserved pages, not of disk. */
		return rc == -ENOSPC ? -ENOMEM : rc;
	}
	if (o->huge && !o->huge_fallback)
		return -EOPNOTSUPP;
	/* tmpfs's size limit (by default half of memory, often set to all
	 * of it for /dev/shm) does not keep the reservation within what is
	 * free: more would have the out-of-memory killer end some process. */
	if (shmring__fd_on_tmpfs(fd) && (rc = shmring__region_memory_fits(size)) < 0)
		return rc;
	return reserve(fd, size);
}

/* Whether what is at path now is a FIFO, socket or device (not followed). */
static bool special_at(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) ||
					 S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode));
}

static int open_name(const struct shmring_uri *u, int flags, mode_t mode)
{
	int fd;

	if (u->scheme == SHMRING_SCHEME_POSIX) {
		char path[sizeof(SHM_DIR) + SHMRING_PATH_MAX + 1];

		/* As for file: below; anyone may make a FIFO in the directory
		 * shm_open() opens in. */
		snprintf(path, sizeof(path), SHM_DIR "%s", u->path);
		if (!(flags & O_CREAT) && special_at(path)) {
			errno = EBADF;
			return -1;
		}
		fd = shm_open(u->path, flags, mode);

		/* glibc folds a directory's EISDIR into EINVAL; the name was
		 * checked when the URI was parsed, so EINVAL here is that. */
		if (fd < 0 && errno == EINVAL)
			errno = EISDIR;
		return fd;
	}
	/* A FIFO, socket or device is never a ring (shmring__fd_fill() says
	 * -EBADF too), and is refused before it is opened where that can be
	 * told: opening a FIFO makes us its reader and writer for a moment (a
	 * writer waiting in open() would go on), a terminal could become ours,
	 * and a socket's open fails with ENXIO, which reads as a host name
	 * that does not resolve. */
	if (!(flags & O_CREAT) && special_at(u->path)) {
		errno = EBADF;
		return -1;
	}
	/* file: exactly the file named, never one a symbolic link leads to;
	 * a socket put there since the look above is one too. */
	fd = open(u->path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, mode);
	if (fd < 0 && errno == ENXIO)
		errno = EBADF;
	return fd;
}

int shmring__fd_unlink(const struct shmring_uri *u)
{
	if (u->scheme == SHMRING_SCHEME_POSIX)
		return shm_unlink(u->path) < 0 ? -errno : 0;
	return unlink(u->path) < 0 ? -errno : 0;
}

int shmring__fd_huge_possible(const struct shmring_uri *u)
{
	char dir[SHMRING_PATH_MAX + 1];
	struct statfs fs;
	char *slash;

	if (u->scheme == SHMRING_SCHEME_POSIX)
		return -EOPNOTSUPP; /* tmpfs under /dev/shm has no explicit huge pages */
	if (u->scheme != SHMRING_SCHEME_FILE)
		return 0;
	/* The file's directory: the file itself may not exist yet. */
	snprintf(dir, sizeof(dir), "%s", u->path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	if (slash == dir)
		slash++; /* a file in / */
	*slash = '\0';
	if (statfs(dir, &fs) == 0 && fs.f_type != HUGETLBFS_MAGIC)
		return -EOPNOTSUPP;
	return 0;
}

static int create_memfd(const struct shmring_uri *u, const struct shmring_region_opts *o,
			struct shmring_region *out)
{
	char label[SHMRING_LABEL_MAX + 16];
	uint64_t size = o->size, page = 0;
	unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	int fd, rc;

	snprintf(label, sizeof(label), "shmring%s%.64s", u->path[0] ? "-" : "", u->path);
	fd = o->huge ? memfd_create(label, flags | MFD_HUGETLB) : -1;
	if (fd >= 0 && on_hugetlbfs(fd, &page))
		size = round_up(size, page);
	if (fd >= 0 && (rc = reserve(fd, size)) < 0) {
		close(fd);
		fd = -1;
		errno = rc == -ENOSPC ? ENOMEM : -rc;
	}
	if (o->huge && fd < 0) {
		if (!o->huge_fallback)
			return errno == EINVAL ? -EOPNOTSUPP : -errno;
		size = o->size;
	}
	if (fd < 0) {
		/* Normal pages (asked for, or the fallback): what no mount
		 * limits comes out of the machine's memory. */
		if ((rc = shmring__region_memory_fits(size)) < 0)
			return rc;
		fd = memfd_create(label, flags);
		if (fd < 0)
			return -errno;
		rc = reserve(fd, size);
		if (rc < 0) {
			close(fd);
			return rc;
		}
	}
	/*
	 * Nobody may shrink or grow it (a shrink would make every mapper
	 * fault), nor add seals later (a write seal would refuse new mappers).
	 */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0 ||
	    fchmod(fd, (mode_t)o->mode) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = shmring__fd_fill(fd, SHMRING_SCHEME_MEMFD, out);
	if (rc < 0)
		close(fd);
	return rc;
}

int shmring__fd_create(const struct shmring_uri *u, const struct shmring_region_opts *o,
		       struct shmring_region *out)
{
	int fd, rc = 0;

	if (u->scheme == SHMRING_SCHEME_MEMFD)
		return create_memfd(u, o, out);
	if (u->scheme == SHMRING_SCHEME_POSIX && o->huge && !o->huge_fallback)
		return -EOPNOTSUPP; /* tmpfs under /dev/shm has no explicit huge pages */
	if (o->replace && (rc = shmring__fd_unlink(u)) < 0 && rc != -ENOENT)
		return rc;
	fd = open_name(u, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)o->mode);
	if (fd < 0)
		return -errno;
	/* Held until the header is published (shmring__region_made()). A
	 * judge's look may hold it shared for a moment; one held past the
	 * wait leaves this creator judged by the object's age alone. */
	(void)shmring__flock_wait(fd, LOCK_EX, SHMRING__LOCK_WAIT_NS);
	rc = 0;
	/* open applies the umask; the caller asked for exactly `mode`. */
	if (fchmod(fd, (mode_t)o->mode) < 0)
		rc = -errno;
	if (rc == 0)
		rc = size_named(fd, o);
	if (rc == 0)
		rc = shmring__fd_fill(fd, u->scheme, out);
	if (rc < 0) {
		shmring__fd_unlink(u);
		close(fd);
	}
	return rc;
}

/*
 * A creator makes the object and then reserves its space, so an opener can
 * see it with length 0 for a moment: wait for the length (up to the same
 * second an opener waits for the header). Still 0 after that means a creator
 * that died or a foreign empty object; the caller reports it.
 */
int shmring__fd_open(const struct shmring_uri *u, bool nowait, struct shmring_region *out)
{
	const struct timespec tick = {.tv_nsec = 1000000};
	int fd = open_name(u, O_RDWR | O_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	for (int waited = 0;; waited++) {
		rc = shmring__fd_fill(fd, u->scheme, out);
		if (rc < 0 || out->size != 0 || nowait || waited == CREATE_WAIT_MS)
			break;
		nanosleep(&tick, NULL);
	}
	if (rc < 0)
		close(fd);
	return rc;
}

/* Which backend a received descriptor is: a memfd must be sealed. */
int shmring__region_from_fd(int fd, struct shmring_region *out)
{
	char link[64], path[32];
	uint32_t scheme = SHMRING_SCHEME_FILE;
	ssize_t n;
	int seals = 0, rc;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (strncmp(link, "/memfd:", 7) == 0) {
		scheme = SHMRING_SCHEME_MEMFD;
		seals = fcntl(fd, F_GET_SEALS);
		if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
			close(fd);
			return -EPERM;
		}
	} else if (strncmp(link, "/dev/shm/", 9) == 0) {
		scheme = SHMRING_SCHEME_POSIX;
	}
	rc = shmring__fd_fill(fd, scheme, out);
	/* Empty and sealed against growing: no creator can still be reserving
	 * its space (the wait for one), so it never holds a ring. */
	if (rc == 0 && scheme == SHMRING_SCHEME_MEMFD && out->size == 0 && (seals & F_SEAL_GROW))
		rc = -SHMRING_ETRUNCATED;
	if (rc < 0)
		close(fd);
	return rc;
}
