/* SPDX-License-Identifier: MIT */
/*
 * src/region.c - where a ring lives: the backends behind one interface
 * (region_fd.c: posix, file, memfd; region_sysv.c: System V), anonymous
 * shared memory, and mapping any of them.
 */
#include "src/internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

static bool fd_scheme(uint32_t scheme)
{
	return scheme == SHMRING_SCHEME_POSIX || scheme == SHMRING_SCHEME_FILE ||
	       scheme == SHMRING_SCHEME_MEMFD;
}

static int create_anon(const struct shmring_region_opts *o, struct shmring_region *out)
{
	void *base = MAP_FAILED;
	uint64_t size = o->size;

	if (o->huge)
		base = mmap(NULL, (size_t)o->huge_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (base == MAP_FAILED && o->huge && !o->huge_fallback)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	if (base != MAP_FAILED) {
		size = o->huge_size;
	} else {
		/* Normal pages (asked for, or the fallback; huge ones come
		 * out of their own pool, which says -ENOMEM itself). */
		int rc = shmring__region_memory_fits(size);

		if (rc < 0)
			return rc;
		base = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED)
			return -errno;
	}
	*out = (struct shmring_region){
		.scheme = SHMRING_SCHEME_ANON, .fd = -1, .shmid = -1, .base = base,
		.size = size, .huge = size != o->size, .owner_uid = (uint32_t)geteuid(), .mode = o->mode,
		.born_s = -1,
		/* Nobody else can name it: the address is identity enough. */
		.key = {.scheme = SHMRING_SCHEME_ANON, .ino = (uint64_t)(uintptr_t)base},
	};
	return 0;
}

/* A figure of /proc/meminfo in bytes ("Hugepagesize:"), or dflt. */
static uint64_t meminfo(const char *key, uint64_t dflt)
{
	FILE *f = fopen("/proc/meminfo", "re");
	size_t len = strlen(key);
	char line[128];
	unsigned long long kb;
	uint64_t v = dflt;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && sscanf(line + len, " %llu kB", &kb) == 1) {
			v = kb > UINT64_MAX / 1024u ? UINT64_MAX : (uint64_t)kb * 1024u;
			break;
		}
	if (f)
		fclose(f);
	return v;
}

/* The default huge page size (what MAP_HUGETLB and SHM_HUGETLB use). */
static uint64_t huge_page_size(void)
{
	return meminfo("Hugepagesize:", 2048u * 1024u);
}

/*
 * Normal pages of memory (memfd, anon, System V, tmpfs files such as POSIX
 * shm's) come out of what the machine has: more than is available with the
 * free swap would have the kernel's out-of-memory killer end some process
 * (this one, or another) as the pages are reserved or touched. -ENOMEM
 * instead, up front.
 */
int shmring__region_memory_fits(uint64_t size)
{
	uint64_t avail = meminfo("MemAvailable:", UINT64_MAX);
	uint64_t swap = meminfo("SwapFree:", 0);

	if (avail == UINT64_MAX || swap > UINT64_MAX - avail)
		return 0; /* no figure to judge by */
	return size > avail + swap ? -ENOMEM : 0;
}

static int plain_open(const struct shmring_uri *u);

int shmring__region_replace_fits(const struct shmring_uri *u, uint64_t size)
{
	uint64_t old = 0;

	if (u->scheme == SHMRING_SCHEME_SYSV) {
		struct shmid_ds ds;
		key_t key;
		int id;

		if (shmring__sysv_key(u, &key) < 0)
			return 0; /* the create says what is wrong */
		id = shmget(key, 0, 0);
		if (id >= 0 && shmctl(id, IPC_STAT, &ds) == 0)
			old = (uint64_t)ds.shm_segsz;
	} else if (u->scheme == SHMRING_SCHEME_POSIX || u->scheme == SHMRING_SCHEME_FILE) {
		struct stat st;
		int fd = plain_open(u);
		bool memory = fd >= 0 && shmring__fd_on_tmpfs(fd);

		if (memory && fstat(fd, &st) == 0)
			old = (uint64_t)st.st_size;
		if (fd >= 0)
			close(fd);
		/* Nothing there (the create checks for itself), or not memory
		 * (on disk, huge pages). */
		if (!memory)
			return 0;
	} else {
		return 0;
	}
	return shmring__region_memory_fits(size > old ? size - old : 0);
}

int shmring__region_create(const struct shmring_uri *u, const struct shmring_region_opts *o,
			   struct shmring_region *out)
{
	struct shmring_region_opts h = *o;

	if (o->size > SIZE_MAX / 2)
		return -ENOMEM;
	h.huge_size = o->size;
	if (o->huge) {
		uint64_t page = huge_page_size();

		h.huge_size = (o->size + page - 1) / page * page;
	}
	if (u->scheme == SHMRING_SCHEME_SYSV)
		return shmring__sysv_create(u, &h, out);
	if (u->scheme == SHMRING_SCHEME_ANON)
		return create_anon(&h, out);
	return shmring__fd_create(u, &h, out);
}

int shmring__region_open(const struct shmring_uri *u, bool nowait, struct shmring_region *out)
{
	if (u->scheme == SHMRING_SCHEME_SYSV)
		return shmring__sysv_open(u, out);
	if (u->scheme == SHMRING_SCHEME_MEMFD || u->scheme == SHMRING_SCHEME_ANON)
		return -ENOENT; /* no name anyone can open */
	return shmring__fd_open(u, nowait, out);
}

/* Free huge pages now (HugePages_Free); -1 where /proc/meminfo says none. */
static long huge_pages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	long n = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

int shmring__region_huge_possible(const struct shmring_uri *u, uint64_t size)
{
	uint64_t page;
	long free_pages;

	if (fd_scheme(u->scheme))
		return shmring__fd_huge_possible(u);
	if (u->scheme != SHMRING_SCHEME_SYSV)
		return 0;
	/* A segment on huge pages takes them from the reserved pool when it
	 * is made: too few free now is the -ENOMEM shmget() would give. Others
	 * may take pages between this look and the create; then the create
	 * fails as it would have. */
	free_pages = huge_pages_free();
	page = huge_page_size();
	if (free_pages >= 0 && (uint64_t)free_pages < (size + page - 1) / page)
		return -ENOMEM;
	return 0;
}

int shmring__region_unlink(const struct shmring_uri *u)
{
	if (u->scheme == SHMRING_SCHEME_SYSV)
		return shmring__sysv_unlink(u);
	if (!fd_scheme(u->scheme) || u->scheme == SHMRING_SCHEME_MEMFD)
		return -EINVAL; /* nothing named to remove */
	return shmring__fd_unlink(u);
}

/* Whether descriptor fd is the object k, as fstat() sees it now. */
static bool fd_is(int fd, const struct shmring_map_key *k)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == k->dev &&
	       (uint64_t)st.st_ino == k->ino;
}

/* Whether u's name reaches the object k now. */
static int name_is(const struct shmring_uri *u, const struct shmring_map_key *k)
{
	int fd = plain_open(u);
	bool same;

	if (fd < 0)
		return fd;
	same = fd_is(fd, k);
	close(fd);
	return same ? 0 : -ESTALE;
}

/*
 * Two processes that judged one object dead each remove it by its name; the
 * second would remove what the first made there meanwhile. They take turns
 * on the object's exclusive lock (flock) and look at the name again under
 * it: the second finds the name gone or another object's. A System V
 * segment goes by its id, which a new segment at the key does not share.
 */
int shmring__flock_wait(int fd, int op, uint64_t wait_ns)
{
	const struct timespec tick = {.tv_nsec = 1000000};
	uint64_t end = shmring_clock_ns() + wait_ns;

	while (flock(fd, op | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (shmring_clock_ns() >= end)
			return -EBUSY;
		nanosleep(&tick, NULL);
	}
	return 0;
}

void shmring__region_made(int fd)
{
	if (fd >= 0)
		flock(fd, LOCK_UN);
}

bool shmring__region_in_making(const struct shmring_uri *u)
{
	bool held;
	int fd;

	if (u->scheme == SHMRING_SCHEME_SYSV) {
		struct shmid_ds ds;
		uint64_t start;
		key_t key;
		char state;
		int id;

		/* No lock: the process that made the segment, alive and still
		 * attached to it (a dead one detached). Another process's
		 * attach while its creator's pid names someone else reads so
		 * too, for the moment: the next round looks again. */
		if (shmring__sysv_key(u, &key) < 0 || (id = shmget(key, 0, 0)) < 0 ||
		    shmctl(id, IPC_STAT, &ds) < 0 || ds.shm_nattch == 0)
			return false;
		return shmring__proc_stat(ds.shm_cpid, &state, &start) == 0 && state != 'Z';
	}
	if (!fd_scheme(u->scheme) || u->scheme == SHMRING_SCHEME_MEMFD)
		return false;
	fd = plain_open(u);
	if (fd < 0)
		return false;
	/* Shared: two judges looking at once do not see each other. A
	 * taker's exclusive hold (shmring__region_unlink_judged()) reads as
	 * held too, and it is: the next look finds its outcome. */
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd); /* and our shared lock with it */
	return held;
}

int shmring__region_join(const struct shmring_uri *u, const struct shmring_map_key *k, bool nowait,
			 int *lock)
{
	int fd, rc;

	*lock = -1;
	if (!fd_scheme(u->scheme) || u->scheme == SHMRING_SCHEME_MEMFD)
		return 0;
	fd = plain_open(u);
	/* Gone, or now something that is no ring's file (a FIFO, a link): the
	 * name reaches another object. */
	if (fd == -ENOENT || fd == -SHMRING_EBADMAGIC)
		return -ESTALE;
	if (fd < 0)
		return 0; /* no descriptor to lock by: joined as without locks */
	if (!fd_is(fd, k)) {
		close(fd);
		return -ESTALE;
	}
	if (shmring__flock_wait(fd, LOCK_SH, nowait ? 0 : SHMRING__LOCK_WAIT_NS) < 0) {
		close(fd);
		fd = -1; /* joined without the lock, the name looked at all the same */
	}
	/* Under the lock: a remover that held it before us removed the name.
	 * What cannot be looked at (no descriptor left) is taken as ours. */
	rc = name_is(u, k);
	if (rc == -ESTALE || rc == -ENOENT) {
		if (fd >= 0)
			close(fd);
		return -ESTALE;
	}
	*lock = fd;
	return 0;
}

/* The System V segment judged (by its id) while it still has u's key. */
static int sysv_names(const struct shmring_uri *u, const struct shmring_map_key *judged)
{
	struct shmid_ds ds;
	key_t key;
	int rc;

	if ((rc = shmring__sysv_key(u, &key)) < 0)
		return rc;
	if (judged->ino > INT32_MAX)
		return -ESTALE;
	if (shmctl((int)judged->ino, IPC_STAT, &ds) < 0)
		return shmring__sysv_errno();
	return ds.shm_perm.__key == key ? 0 : -ESTALE; /* else removed already */
}

int shmring__region_names(const struct shmring_uri *u, const struct shmring_map_key *judged)
{
	if (u->scheme == SHMRING_SCHEME_SYSV)
		return sysv_names(u, judged);
	if (!fd_scheme(u->scheme) || u->scheme == SHMRING_SCHEME_MEMFD)
		return -EINVAL; /* nothing named */
	return name_is(u, judged);
}

int shmring__region_unlink_held(const struct shmring_uri *u, const struct shmring_map_key *judged)
{
	int rc = shmring__region_names(u, judged);

	if (rc < 0)
		return rc;
	if (u->scheme == SHMRING_SCHEME_SYSV)
		return shmctl((int)judged->ino, IPC_RMID, NULL) < 0 ? shmring__sysv_errno() : 0;
	return shmring__fd_unlink(u);
}

int shmring__region_unlink_judged(const struct shmring_uri *u,
				  const struct shmring_map_key *judged)
{
	int fd, rc;

	if (u->scheme == SHMRING_SCHEME_SYSV)
		return shmring__region_unlink_held(u, judged); /* no lock: by its id */
	if (!fd_scheme(u->scheme) || u->scheme == SHMRING_SCHEME_MEMFD)
		return -EINVAL; /* nothing named to remove */
	fd = plain_open(u);
	if (fd < 0)
		return fd;
	rc = fd_is(fd, judged) ? 0 : -ESTALE;
	if (rc == 0)
		rc = shmring__flock_wait(fd, LOCK_EX, SHMRING__LOCK_WAIT_NS);
	/* No locks here: removed as before the locks, by the look at the
	 * name alone. */
	if (shmring__flock_none(rc))
		rc = 0;
	if (rc == 0)
		rc = name_is(u, judged);
	if (rc == 0)
		rc = shmring__fd_unlink(u);
	close(fd); /* and the lock with it */
	return rc;
}

/*
 * The object u names, for reading (not System V): a descriptor, -ENOENT, or
 * -errno. Never waits (O_NONBLOCK) and never follows a symbolic link; what
 * is not a regular file (a FIFO, socket, device, directory, a link at a
 * file: path) is -SHMRING_EBADMAGIC, and is not opened where that could be
 * told first.
 */
static int plain_open(const struct shmring_uri *u)
{
	struct stat st;
	int fd;

	if (u->scheme == SHMRING_SCHEME_FILE) {
		if (lstat(u->path, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return -SHMRING_EBADMAGIC;
		fd = open(u->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	} else {
		fd = shm_open(u->path, O_RDONLY | O_NONBLOCK, 0);
	}
	if (fd < 0)
		return errno == ELOOP ? -SHMRING_EBADMAGIC : -errno;
	if (fstat(fd, &st) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -SHMRING_EBADMAGIC;
	}
	return fd;
}

/* A System V segment u names, attached read-only: 0 or -errno. */
static int sysv_attach_ro(const struct shmring_uri *u, void **at, uint64_t *size)
{
	struct shmid_ds ds;
	key_t key;
	int id, rc = shmring__sysv_key(u, &key);

	if (rc < 0)
		return rc;
	id = shmget(key, 0, 0);
	if (id < 0)
		return -errno;
	if (shmctl(id, IPC_STAT, &ds) < 0)
		return shmring__sysv_errno();
	*at = shmat(id, NULL, SHM_RDONLY);
	if (*at == (void *)-1)
		return shmring__sysv_errno();
	*size = (uint64_t)ds.shm_segsz;
	return 0;
}

/* The index of the first byte of p[0..n) that is not zero, or n. */
static size_t first_nonzero(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && !p[i])
		i++;
	return i;
}

/*
 * Whether every byte of the object u names from offset `from` to its end is
 * zero: 1, 0 (the first byte that is not at *nonzero, where given),
 * -ENOENT, or -errno. A System V segment is attached read-only (its
 * untouched pages read as zero), a file read in pieces.
 */
int shmring__region_zero_from(const struct shmring_uri *u, uint64_t from, uint64_t *nonzero)
{
	unsigned char buf[16384];
	uint64_t off = from;
	size_t i;
	int fd, rc = 1;

	if (u->scheme == SHMRING_SCHEME_SYSV) {
		uint64_t size;
		void *at;

		rc = sysv_attach_ro(u, &at, &size);
		if (rc < 0)
			return rc;
		i = from >= size ? 0 : first_nonzero((const unsigned char *)at + from, size - from);
		rc = from >= size || i == size - from;
		if (!rc && nonzero)
			*nonzero = from + i;
		shmdt(at);
		return rc;
	}
	fd = plain_open(u);
	if (fd < 0)
		return fd;
	for (;;) {
		/* Holes read as zero: skip them, so that a sparse object of any
		 * length is judged by the bytes it holds. */
		off_t data = lseek(fd, (off_t)off, SEEK_DATA);
		ssize_t n;

		if (data < 0 && errno == ENXIO)
			break; /* nothing but a hole from off to the end */
		if (data > (off_t)off)
			off = (uint64_t)data;
		n = pread(fd, buf, sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				rc = -errno;
			break;
		}
		i = first_nonzero(buf, (size_t)n);
		if (i < (size_t)n) {
			rc = 0;
			if (nonzero)
				*nonzero = off + i;
			break;
		}
		off += (uint64_t)n;
	}
	close(fd);
	return rc;
}

int shmring__region_read(const struct shmring_uri *u, uint64_t off, void *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (u->scheme == SHMRING_SCHEME_SYSV) {
		uint64_t size;
		void *at;
		int rc = sysv_attach_ro(u, &at, &size);

		if (rc < 0)
			return rc;
		n = off >= size ? 0 : size - off < len ? (ssize_t)(size - off) : (ssize_t)len;
		memcpy(buf, (const unsigned char *)at + off, (size_t)n);
		shmdt(at);
		return (int)n;
	}
	fd = plain_open(u);
	if (fd < 0)
		return fd;
	do
		n = pread(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	close(fd);
	return n < 0 ? -errno : (int)n;
}

/* Up to 8 bytes from the start of the object u names: how many into
 * *head (the rest zero), -ENOENT, or -errno. */
static int region_head(const struct shmring_uri *u, uint64_t *head)
{
	*head = 0;
	return shmring__region_read(u, 0, head, sizeof(*head));
}

int shmring__region_replaceable(const struct shmring_uri *u, uint64_t magic, uint64_t zero_from)
{
	uint64_t head;
	int n;

	if (u->scheme != SHMRING_SCHEME_POSIX && u->scheme != SHMRING_SCHEME_FILE &&
	    u->scheme != SHMRING_SCHEME_SYSV)
		return 0; /* no name: nothing there to replace */
	n = region_head(u, &head);
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return n;
	if (head == magic)
		return 0;
	/* Fewer bytes than a magic, or a zero magic: empty, or a creator that
	 * died before its header, which wrote nothing past the header either
	 * (its space was reserved zero); data there is another program's. */
	if (head == 0) {
		n = zero_from ? shmring__region_zero_from(u, zero_from, NULL) : 1;
		if (n == -ENOENT)
			return 0;
		return n < 0 ? n : n ? 0 : -SHMRING_EBADMAGIC;
	}
	if (n == (int)sizeof(head) && (head == SHMRING_MAGIC || head == SHMRING_SYNC_MAGIC))
		return -SHMRING_EKIND; /* the other kind of shmring segment */
	return -SHMRING_EBADMAGIC;
}

void shmring__region_close(struct shmring_region *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->base)
		shmring__region_unmap(r->scheme, r->base, r->size);
	r->base = NULL;
}

void shmring__region_unmap(uint32_t scheme, void *base, uint64_t size)
{
	if (scheme == SHMRING_SCHEME_SYSV)
		shmdt(base);
	else
		munmap(base, (size_t)size);
}

int shmring__region_populate(void *b, uint64_t len)
{
	/* For writing: MAP_POPULATE maps a shared file's pages read-only, so
	 * every first write would still fault. */
	if (madvise(b, (size_t)len, MADV_POPULATE_WRITE) < 0)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	return 0;
}

int shmring__region_map(struct shmring_region *rg, void **base)
{
	void *b;

	if (rg->size == 0)
		return -EAGAIN; /* its creator never reserved the space (yet) */
	if (rg->size > SIZE_MAX)
		return -SHMRING_ETRUNCATED;
	if (rg->scheme == SHMRING_SCHEME_ANON) {
		b = rg->base;
		rg->base = NULL; /* the mapping is the caller's now */
	} else if (rg->scheme == SHMRING_SCHEME_SYSV) {
		b = shmat(rg->shmid, NULL, 0);
		if (b == (void *)-1) /* removed since it was opened: not there */
			return shmring__sysv_errno();
	} else {
		b = mmap(NULL, (size_t)rg->size, PROT_READ | PROT_WRITE, MAP_SHARED, rg->fd, 0);
		if (b == MAP_FAILED)
			return -errno;
	}
	*base = b;
	return 0;
}

/* --- A segment's header: published last, read once ----------------------- */

#define INIT_WAIT_NS 1000000000u /* how long an open waits for a creator to finish */

void shmring__segment_publish(void *base, const void *hdr, size_t len)
{
	_Atomic uint64_t *magic = (_Atomic uint64_t *)base;
	uint64_t m;

	memcpy(&m, hdr, sizeof(m));
	/* Everything but the magic, which announces a complete header. */
	memcpy((char *)base + sizeof(m), (const char *)hdr + sizeof(m), len - sizeof(m));
	/* Release: pairs with the acquire in shmring__segment_read(); what the
	 * creator wrote into the segment before comes with it. */
	shmring__store_release(magic, m);
}

int shmring__segment_read(const void *base, uint64_t size, void *hdr, size_t len, bool nowait)
{
	_Atomic uint64_t *magic = (_Atomic uint64_t *)base;
	uint64_t deadline = shmring__now_ns() + (nowait ? 0 : INIT_WAIT_NS);
	uint64_t m;

	if (size < len)
		return -SHMRING_ETRUNCATED;
	/*
	 * Acquire: pairs with the release in shmring__segment_publish(). A zero
	 * magic means the creator is still writing the rest of the header (so
	 * its other bytes prove nothing yet): wait. Only once the wait is over,
	 * judge them: all zero is a creator that never finished, anything else
	 * is not a shmring segment.
	 */
	while ((m = shmring__load_acquire(magic)) == 0) {
		if (shmring__now_ns() >= deadline) {
			const unsigned char *p = base;

			for (size_t i = 0; i < len; i++)
				if (p[i])
					return -SHMRING_EBADMAGIC;
			return -EAGAIN;
		}
		usleep(1000);
	}
	memcpy(hdr, base, len);
	memcpy(hdr, &m, sizeof(m));
	return 0;
}
