/* SPDX-License-Identifier: MIT */
/*
 * src/cli/probe.c - what a name stands for (see probe.h): the object as the
 * OS shows it, the library's view of it, and the "stale" rule.
 */
#include "cli/args.h"
#include "cli/probe.h"
#include "internal.h" /* shmring__flock_wait(): the object's lock, as the library takes it */
#include "ringbuf/layout.h" /* SHMRING_MAGIC, SHMRING_SYNC_MAGIC: what a segment holds */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 4096
#define SETTLED_NS (2 * 1000000000ull)

static const struct {
	const char *prefix;
	enum shmring_cli_scheme scheme;
} schemes[] = {
	{"posix:", SHMRING_CLI_POSIX}, {"sysv:", SHMRING_CLI_SYSV}, {"file:", SHMRING_CLI_FILE},
	{"memfd:", SHMRING_CLI_MEMFD}, {"anon:", SHMRING_CLI_ANON},
};

enum shmring_cli_scheme shmring_cli_scheme(const char *uri)
{
	if (uri[0] == '/')
		return SHMRING_CLI_POSIX;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncmp(uri, schemes[i].prefix, strlen(schemes[i].prefix)))
			return schemes[i].scheme;
	return SHMRING_CLI_OTHER;
}

const char *shmring_cli_scheme_name(enum shmring_cli_scheme s)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (schemes[i].scheme == s)
			return schemes[i].prefix; /* "posix:" */
	return "unknown:";
}

uint64_t shmring_cli_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* The part after "scheme:"; the bare "/name" is POSIX. */
static const char *uri_arg(const char *uri)
{
	const char *colon = uri[0] == '/' ? NULL : strchr(uri, ':');

	return colon ? colon + 1 : uri;
}

/* Classify the bytes read from the object's start. */
static void judge_head(struct shmring_cli_object *o, const unsigned char *head, size_t n)
{
	uint64_t magic;

	o->head_len = n;
	o->all_zero = true;
	for (size_t i = 0; i < n; i++) {
		if (head[i]) {
			o->all_zero = false;
			break;
		}
	}
	if (n < sizeof(magic))
		return;
	memcpy(&magic, head, sizeof(magic));
	o->magic = magic == SHMRING_MAGIC;
	o->sync_magic = magic == SHMRING_SYNC_MAGIC;
	o->zero_magic = magic == 0;
}

/* What a file that is not a regular one is, in words: "a FIFO (named
 * pipe)", or with `not` "a FIFO (named pipe), not a shmring segment". */
static const char *type_name(mode_t mode, bool not)
{
	if (S_ISFIFO(mode))
		return not ? "a FIFO (named pipe), not a shmring segment" : "a FIFO (named pipe)";
	if (S_ISSOCK(mode))
		return not ? "a socket, not a shmring segment" : "a socket";
	if (S_ISDIR(mode))
		return not ? "a directory, not a shmring segment" : "a directory";
	if (S_ISLNK(mode))
		return not ? "a symbolic link (never followed), not a shmring segment"
			   : "a symbolic link";
	if (S_ISCHR(mode))
		return not ? "a character device, not a shmring segment" : "a character device";
	if (S_ISBLK(mode))
		return not ? "a block device, not a shmring segment" : "a block device";
	return not ? "not a regular file: not a shmring segment" : "not a regular file";
}

static void look_stat(const struct stat *st, struct shmring_cli_object *o)
{
	o->regular = S_ISREG(st->st_mode);
	o->type = o->regular ? NULL : type_name(st->st_mode, false);
	o->not_ring = o->regular ? NULL : type_name(st->st_mode, true);
	o->link = S_ISLNK(st->st_mode);
	o->dir = S_ISDIR(st->st_mode);
	o->size = (uint64_t)st->st_size;
	o->id[0] = (uint64_t)st->st_dev;
	o->id[1] = (uint64_t)st->st_ino;
	/* A creator changes the times while it sets the object up (size, mode). */
	o->changed_ns = ts_ns(&st->st_ctim) > ts_ns(&st->st_mtim) ? ts_ns(&st->st_ctim)
								  : ts_ns(&st->st_mtim);
}

/*
 * A POSIX or file object at path: lstat first, and only a regular file is
 * opened (never following a link, never waiting: O_NONBLOCK), so that a
 * FIFO, socket, device or directory of that name is told apart and never
 * hangs the tool or is touched; then fstat, and pread its start (pread, not
 * mmap: a file shrunk meanwhile gives a short read, not SIGBUS).
 */
/*
 * Whether this user may not unlink path (st: its lstat): its directory
 * must be writable and searchable, and a sticky one (/dev/shm, /tmp) lets
 * only the file's owner, the directory's owner or root remove it.
 */
static bool path_unremovable(const char *path, const struct stat *st)
{
	char dir[SHMRING_PATH_MAX + 1];
	const char *slash = strrchr(path, '/');
	size_t len = slash == path ? 1 : (size_t)(slash - path);
	struct stat ds;
	uid_t me = geteuid();

	if (!slash || len > SHMRING_PATH_MAX)
		return false; /* not a path the tool judges: the removal will say */
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (stat(dir, &ds) < 0)
		return false;
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0)
		return true;
	return me != 0 && (ds.st_mode & S_ISVTX) && st->st_uid != me && ds.st_uid != me;
}

static void look_path(const char *path, struct shmring_cli_object *o)
{
	unsigned char head[HEAD_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if (lstat(path, &st) < 0) {
		o->err = -errno;
		return;
	}
	o->unremovable = path_unremovable(path, &st);
	if (!S_ISREG(st.st_mode)) {
		o->seen = true;
		look_stat(&st, o);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		o->err = -errno;
		return;
	}
	if (fstat(fd, &st) < 0) {
		o->err = -errno;
		close(fd);
		return;
	}
	o->seen = true;
	look_stat(&st, o);
	n = o->regular && o->size ? pread(fd, head, sizeof(head), 0) : 0;
	judge_head(o, head, n > 0 ? (size_t)n : 0);
	close(fd);
}

/* "KEY" (decimal or 0x-hex, 1..0xffffffff) or "@/path[#ID]": the key, or 0
 * when the name is not one the tool can read (the library then says why). */
key_t shmring_cli_sysv_key(const char *arg)
{
	uint64_t v = 1;

	if (arg[0] == '@') {
		char path[SHMRING_PATH_MAX + 1];
		const char *hash = strrchr(arg, '#');
		size_t len = hash ? (size_t)(hash - arg - 1) : strlen(arg + 1);
		key_t k;

		if (len == 0 || len > SHMRING_PATH_MAX ||
		    (hash && !shmring_cli_name_number(hash + 1, 255, &v)))
			return 0;
		memcpy(path, arg + 1, len);
		path[len] = '\0';
		k = ftok(path, (int)v);
		return k == (key_t)-1 ? 0 : k;
	}
	return shmring_cli_name_number(arg, UINT32_MAX, &v) ? (key_t)(uint32_t)v : 0;
}

static void look_sysv(const char *arg, struct shmring_cli_object *o)
{
	struct shmid_ds ds;
	key_t key = shmring_cli_sysv_key(arg);
	void *at;
	int id;

	if (!key)
		return; /* a name the library will refuse */
	id = shmget(key, 0, 0);
	if (id < 0 || shmctl(id, IPC_STAT, &ds) < 0) {
		o->err = -errno;
		/* A segment this user may not read: its owner or creator
		 * could still remove it, but one who made it unreadable to
		 * themselves is rare; taken as another user's. */
		o->unremovable = id >= 0 && errno == EACCES && geteuid() != 0;
		return;
	}
	o->regular = true;
	o->size = (uint64_t)ds.shm_segsz;
	o->id[0] = (uint64_t)(uint32_t)id;
	o->changed_ns = (uint64_t)ds.shm_ctime * 1000000000u;
	at = shmat(id, NULL, SHM_RDONLY);
	if (at == (void *)-1) {
		o->err = -errno;
		return;
	}
	o->seen = true;
	/* A segment is whole pages: its first bytes up to its size are there. */
	judge_head(o, at, o->size < HEAD_MAX ? (size_t)o->size : HEAD_MAX);
	shmdt(at);
}

#define OBJECT_PATH_MAX (sizeof(SHMRING_CLI_SHM_DIR) + SHMRING_CLI_POSIX_NAME_MAX + 1)

/* The file a posix: or file: name is, in buf (size OBJECT_PATH_MAX for
 * posix:); NULL where the name has none. */
static const char *object_path(const char *uri, char *buf, size_t size)
{
	const char *arg = uri_arg(uri);

	switch (shmring_cli_scheme(uri)) {
	case SHMRING_CLI_POSIX:
		/* shm_open()'s file: SHM_DIR "/NAME" (a name the library
		 * takes; the others are left to it to refuse: "/." and "/.."
		 * are no file in SHM_DIR but the directory and its parent). */
		if (arg[0] == '/' && arg[1] && !strchr(arg + 1, '/') && strcmp(arg, "/.") &&
		    strcmp(arg, "/..") && strlen(arg) <= SHMRING_CLI_POSIX_NAME_MAX) {
			snprintf(buf, size, "%s%s", SHMRING_CLI_SHM_DIR, arg);
			return buf;
		}
		return NULL;
	case SHMRING_CLI_FILE:
		return arg[0] == '/' ? arg : NULL;
	default:
		return NULL;
	}
}

void shmring_cli_object_look(const char *uri, struct shmring_cli_object *o)
{
	char buf[OBJECT_PATH_MAX];
	const char *path = object_path(uri, buf, sizeof(buf));

	memset(o, 0, sizeof(*o));
	o->scheme = shmring_cli_scheme(uri);
	if (path)
		look_path(path, o);
	else if (o->scheme == SHMRING_CLI_SYSV)
		look_sysv(uri_arg(uri), o);
	if (o->seen && (o->size == 0 || o->all_zero)) {
		struct shmring_uri u;

		o->in_making = shmring__uri_parse(uri, &u) == 0 && shmring__region_in_making(&u);
	}
}

bool shmring_cli_object_settled(const struct shmring_cli_object *o)
{
	return shmring_cli_realtime_ns() > o->changed_ns + SETTLED_NS;
}

const char *shmring_cli_open_failure(int err, const struct shmring_cli_object *o, char *buf,
				     size_t size)
{
	if (!o->seen)
		return NULL;
	if (o->in_making && (err == -EAGAIN || err == -SHMRING_ETRUNCATED))
		return "still being created: its creator, alive, holds it (stopped, or slow "
		       "to write the header)";
	if (o->size == 0 &&
	    (err == -EAGAIN || err == -SHMRING_ETRUNCATED || err == -SHMRING_EBADMAGIC))
		return "empty file (still, after waiting for its creator): not a ring, or its "
		       "creator died before writing the header";
	/* Only while it is still all zero: bytes there now are a creator that
	 * has just finished, which the library's "still being created" says. */
	if (err == -EAGAIN && o->all_zero)
		return "the creator never finished writing the header (all zero after waiting "
		       "for it): not a ring, or its creator died while creating it";
	if (err == -SHMRING_ETRUNCATED) {
		snprintf(buf, size, "%s: the file has %" PRIu64 " bytes; a process shrank it "
				    "(ftruncate), or it is not a ring",
			 shmring_strerror(err), o->size);
		return buf;
	}
	return NULL;
}

struct shmring_participant *shmring_cli_participants(shmring_t *r, const struct shmring_info *in,
						     int *n, int *err)
{
	unsigned max = in->max_participants ? in->max_participants : 1;
	struct shmring_participant *p;

	*n = 0;
	*err = 0;
	if (max > 65536) /* a header field: bounded by the library, but be sure */
		max = 65536;
	p = calloc(max, sizeof(*p));
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	*n = shmring_participants(r, p, max);
	if (*n < 0) {
		*err = *n;
		*n = 0;
		free(p);
		return NULL;
	}
	return p;
}

enum shmring_cli_use shmring_cli_use_of(const struct shmring_info *in, uint64_t count,
					const struct shmring_participant *p, int np)
{
	bool alive = false, dead = false, consumer_came = in->consumers_gone;

	for (int i = 0; i < np; i++) {
		if (p[i].state != SHMRING_PART_DEAD && p[i].state != SHMRING_PART_REAPED) {
			alive = true; /* alive, or in another pid namespace: cannot be judged */
			continue;
		}
		dead = true;
		if (p[i].role & SHMRING_CONSUMER)
			consumer_came = true;
	}
	if (alive)
		return SHMRING_CLI_LIVE;
	if (!dead && !in->producers_gone && !in->consumers_gone)
		return SHMRING_CLI_UNUSED;
	if (count && !consumer_came)
		return SHMRING_CLI_WAITING;
	return SHMRING_CLI_STALE;
}

const char *shmring_cli_use_name(enum shmring_cli_use u)
{
	switch (u) {
	case SHMRING_CLI_UNUSED:
		return "unused";
	case SHMRING_CLI_LIVE:
		return "live";
	case SHMRING_CLI_WAITING:
		return "waiting";
	case SHMRING_CLI_STALE:
		return "stale";
	}
	return "?";
}

/* The object says it is not a ring: why, or NULL when it may be one. */
static const char *not_a_ring(const struct shmring_cli_object *o)
{
	if (!o->regular)
		return o->not_ring;
	if (o->size == 0)
		return "empty: not a shmring segment";
	if (o->head_len < 8)
		return "too short to be a shmring segment";
	if (o->magic || o->sync_magic)
		return NULL;
	if (o->all_zero)
		return "all zero: not a shmring segment, or a ring whose creator has not "
		       "written its header (still creating it, or died)";
	return "not a shmring segment";
}

#define SYNC_LOOK_FLAGS (SHMRING_SYNC_ANY_OWNER | SHMRING_SYNC_NOWAIT)

/* A segment with the synchronization objects' magic. */
static void look_sync_segment(struct shmring_cli_look *lk)
{
	lk->err = shmring_sync_stat(lk->uri, SYNC_LOOK_FLAGS, &lk->sync);
	if (lk->err == -ENOENT)
		lk->what = SHMRING_CLI_NONE; /* removed meanwhile */
	else
		lk->what = lk->err == 0 ? SHMRING_CLI_SYNC : SHMRING_CLI_BAD_SYNC;
}

/*
 * No segment of that name: a POSIX named or a System V semaphore may have
 * it. true when something was found (or the look failed), false when there
 * is nothing of the sort (then the ring's way says what the name is).
 */
static bool look_sync_semaphore(struct shmring_cli_look *lk)
{
	int rc;

	if (lk->obj.scheme != SHMRING_CLI_POSIX && lk->obj.scheme != SHMRING_CLI_SYSV)
		return false;
	rc = shmring_sync_stat(lk->uri, SYNC_LOOK_FLAGS, &lk->sync);
	if (rc == -ENOENT || rc == -EINVAL || rc == -EPROTONOSUPPORT)
		return false;
	lk->err = rc;
	if (rc == 0) {
		lk->what = SHMRING_CLI_SYNC;
	} else if (rc == -SHMRING_EBADMAGIC || rc == -SHMRING_ETRUNCATED) {
		lk->what = SHMRING_CLI_NOT_RING;
		lk->why = lk->obj.scheme == SHMRING_CLI_POSIX
				  ? "its semaphore file (sem.NAME in /dev/shm) is not a POSIX "
				    "semaphore: not a regular file of the size of a sem_t"
				  : "a System V semaphore set of another program";
	} else {
		lk->what = SHMRING_CLI_UNKNOWN;
	}
	return true;
}

/*
 * A duplex is in use while either direction is (an end that closed one of
 * its handles still uses the other): the more alive of direction 0's use
 * (d0) and direction 1's. A direction 1 that cannot be looked at counts as
 * live, so nothing removes what could not be judged.
 */
static enum shmring_cli_use duplex_use(const char *uri, const struct shmring_open_opts *oo,
				       enum shmring_cli_use d0)
{
	static const int rank[] = {[SHMRING_CLI_STALE] = 0, [SHMRING_CLI_UNUSED] = 1,
				   [SHMRING_CLI_WAITING] = 2, [SHMRING_CLI_LIVE] = 3};
	enum shmring_cli_use d1 = SHMRING_CLI_LIVE;
	struct shmring_participant *p;
	struct shmring_info in;
	shmring_t *h0, *h1;
	int np = 0, perr = 0;

	if (shmring_duplex_open(uri, SHMRING_DUPLEX_OBSERVE, oo, &h0, &h1) < 0)
		return SHMRING_CLI_LIVE;
	if (shmring_info(h1, &in) == 0) {
		p = shmring_cli_participants(h1, &in, &np, &perr);
		if (!perr)
			d1 = shmring_cli_use_of(&in, shmring_count(h1), p, np);
		free(p);
	}
	shmring_close(h0);
	shmring_close(h1);
	return rank[d1] > rank[d0] ? d1 : d0;
}

enum shmring_cli_use shmring_cli_ring_use(const char *uri, const struct shmring_info *in,
					  uint64_t count, const struct shmring_participant *p,
					  int np)
{
	const struct shmring_open_opts oo = {.flags = SHMRING_OPEN_ANY_OWNER | SHMRING_OPEN_NOWAIT};
	enum shmring_cli_use use = shmring_cli_use_of(in, count, p, np);

	return (in->flags & SHMRING_CREATE_DUPLEX) ? duplex_use(uri, &oo, use) : use;
}

void shmring_cli_look(const char *uri, struct shmring_cli_look *lk)
{
	const struct shmring_open_opts oo = {.flags = SHMRING_OPEN_ANY_OWNER | SHMRING_OPEN_NOWAIT};
	shmring_t *r;
	int rc;

	memset(lk, 0, sizeof(*lk));
	lk->uri = uri;
	shmring_cli_object_look(uri, &lk->obj);
	if (lk->obj.err == -ENOENT && look_sync_semaphore(lk))
		return;
	if (lk->obj.err == -ENOENT) {
		/* The library's word on the name: a malformed one is -EINVAL. */
		rc = shmring_open_ex(uri, SHMRING_OBSERVER, &oo, &r);
		if (rc == 0)
			shmring_close(r); /* made just now: still nothing to show */
		lk->err = rc == 0 ? -ENOENT : rc;
		lk->what = lk->err == -ENOENT ? SHMRING_CLI_NONE : SHMRING_CLI_UNKNOWN;
		return;
	}
	if (lk->obj.err) {
		lk->what = SHMRING_CLI_UNKNOWN;
		lk->err = lk->obj.err;
		return;
	}
	if (lk->obj.seen && (lk->why = not_a_ring(&lk->obj))) {
		lk->what = SHMRING_CLI_NOT_RING;
		return;
	}
	if (lk->obj.seen && lk->obj.sync_magic) {
		look_sync_segment(lk);
		return;
	}
	rc = shmring_open_ex(uri, SHMRING_OBSERVER, &oo, &r);
	if (rc == -SHMRING_EKIND && shmring_sync_stat(uri, SYNC_LOOK_FLAGS, &lk->sync) == 0) {
		/* A synchronization object the tool could not look at itself. */
		lk->what = SHMRING_CLI_SYNC;
		return;
	}
	if (rc == 0)
		rc = shmring_info(r, &lk->in);
	else
		r = NULL;
	if (rc < 0) {
		shmring_close(r);
		lk->err = rc;
		if (rc == -ENOENT)
			lk->what = SHMRING_CLI_NONE;
		else if (lk->obj.seen)
			lk->what = SHMRING_CLI_BAD_RING;
		else if (rc == -SHMRING_EBADMAGIC)
			lk->what = SHMRING_CLI_NOT_RING;
		else
			lk->what = SHMRING_CLI_UNKNOWN;
		return;
	}
	lk->what = SHMRING_CLI_RING;
	lk->r = r;
	lk->count = shmring_count(r);
	lk->p = shmring_cli_participants(r, &lk->in, &lk->np, &lk->perr);
	/* A table that cannot be read cannot show anyone dead: never stale. */
	lk->use = lk->perr ? SHMRING_CLI_LIVE
			   : shmring_cli_ring_use(uri, &lk->in, lk->count, lk->p, lk->np);
}

void shmring_cli_look_done(struct shmring_cli_look *lk)
{
	free(lk->p);
	lk->p = NULL;
	if (lk->r)
		shmring_close(lk->r);
	lk->r = NULL;
}

/* Whether two looks that both saw an object saw the same one. */
static bool same_object(const struct shmring_cli_object *a, const struct shmring_cli_object *b)
{
	return a->seen && b->seen && a->id[0] == b->id[0] && a->id[1] == b->id[1];
}

int shmring_cli_remove_seen(const char *uri, const struct shmring_cli_object *seen)
{
	struct shmring_cli_object now;
	struct shmring_map_key judged = {0};

	if (seen->seen) {
		/* Only the object seen: the library looks at the name again
		 * right before the unlink (a System V segment goes by its id). */
		if (seen->scheme == SHMRING_CLI_SYSV)
			judged.ino = seen->id[0];
		else
			judged = (struct shmring_map_key){.dev = seen->id[0], .ino = seen->id[1]};
		return shmring__unlink_judged(uri, &judged);
	}
	shmring_cli_object_look(uri, &now);
	if (now.err == -ENOENT)
		return -ENOENT;
	return shmring_unlink(uri);
}

int shmring_cli_remove_stale(const char *uri, const struct shmring_cli_object *seen)
{
	char buf[OBJECT_PATH_MAX];
	const char *path = object_path(uri, buf, sizeof(buf));
	struct shmring_cli_look again;
	struct stat st;
	int fd, rc;

	if (!path)
		return shmring_cli_remove_seen(uri, seen); /* System V: no lock */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !seen->seen || (uint64_t)st.st_dev != seen->id[0] ||
	    (uint64_t)st.st_ino != seen->id[1]) {
		close(fd);
		return -ESTALE;
	}
	/* Exclusive: each process that takes a role joins under the shared
	 * lock (the library's open), so none joins between the look below
	 * and the unlink. A joiner holds it for microseconds. */
	rc = shmring__flock_wait(fd, LOCK_EX, SHMRING__LOCK_WAIT_NS);
	if (rc < 0 && !shmring__flock_none(rc)) {
		close(fd);
		return rc; /* -EBUSY: held throughout */
	}
	shmring_cli_look(uri, &again);
	if (again.what == SHMRING_CLI_NONE)
		rc = -ENOENT;
	else if (again.what != SHMRING_CLI_RING || !same_object(&again.obj, seen))
		rc = -ESTALE;
	else if (again.use != SHMRING_CLI_STALE)
		rc = -EADDRINUSE;
	else
		rc = shmring_cli_remove_seen(uri, seen);
	shmring_cli_look_done(&again);
	close(fd); /* and the lock with it */
	return rc;
}

int shmring_cli_remove_sync(const char *uri, const struct shmring_cli_object *seen,
			    const struct shmring_sync_info *in)
{
	struct shmring_cli_object now;

	shmring_cli_object_look(uri, &now);
	if (in->impl == SHMRING_SEM_POSIX || in->impl == SHMRING_SEM_SYSV) {
		/* A segment of that name would be removed in its place. */
		if (now.seen || (now.err && now.err != -ENOENT))
			return -ESTALE;
	} else {
		if (now.err == -ENOENT)
			return -ENOENT;
		if (seen->seen && now.seen && !same_object(&now, seen))
			return -ESTALE;
	}
	/* Removes the object of whichever implementation has the name (any
	 * type: an event, mutex or condition variable is a segment too). */
	return shmring_sem_unlink(uri);
}

int shmring_cli_remove_any(const char *uri)
{
	int rc = shmring_unlink(uri);

	if (rc == -ENOENT)
		rc = shmring_sem_unlink(uri); /* a POSIX named or System V semaphore */
	return rc;
}

static const char *const kind_names[] = {
	[SHMRING_KIND_SPSC] = "spsc", [SHMRING_KIND_MPSC] = "mpsc", [SHMRING_KIND_SPMC] = "spmc",
	[SHMRING_KIND_MPMC] = "mpmc", [SHMRING_KIND_MSG] = "msg",
};

const char *shmring_cli_kind_name(uint32_t kind)
{
	if (kind < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[kind])
		return kind_names[kind];
	return "unknown";
}

/* The index of s in a table of names: 0, or -EINVAL. */
static int name_parse(const char *const *names, uint32_t n, const char *s, uint32_t *out)
{
	for (uint32_t k = 0; k < n; k++) {
		if (names[k] && !strcmp(s, names[k])) {
			*out = k;
			return 0;
		}
	}
	return -EINVAL;
}

int shmring_cli_kind_parse(const char *s, uint32_t *kind)
{
	return name_parse(kind_names, sizeof(kind_names) / sizeof(kind_names[0]), s, kind);
}

static const char *const notifier_names[] = {
	[SHMRING_NOTIFIER_FUTEX] = "futex", [SHMRING_NOTIFIER_PSEM] = "psem",
	[SHMRING_NOTIFIER_SYSVSEM] = "sysvsem",
};

const char *shmring_cli_notifier_name(uint32_t notifier)
{
	return notifier < sizeof(notifier_names) / sizeof(notifier_names[0]) ? notifier_names[notifier]
									      : "unknown";
}

int shmring_cli_notifier_parse(const char *s, uint32_t *notifier)
{
	return name_parse(notifier_names, sizeof(notifier_names) / sizeof(notifier_names[0]), s,
			  notifier);
}

const char *shmring_cli_kind_label(const struct shmring_info *in, char *buf, size_t size)
{
	if (in->flags & SHMRING_CREATE_DUPLEX)
		return "spsc-duplex";
	if (in->kind != SHMRING_KIND_MSG)
		return shmring_cli_kind_name(in->kind);
	snprintf(buf, size, "msg-%s%s", (in->flags & SHMRING_CREATE_MULTI_PRODUCER) ? "mp" : "sp",
		 (in->flags & SHMRING_CREATE_MULTI_CONSUMER) ? "mc" : "sc");
	return buf;
}

const char *shmring_cli_user(uint32_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res && res->pw_name)
		snprintf(buf, size, "%s", res->pw_name);
	else
		snprintf(buf, size, "%u", uid);
	return buf;
}
