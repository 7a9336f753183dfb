/* SPDX-License-Identifier: MIT */
/*
 * src/sync_obj.c - the segment every futex-based synchronisation object
 * lives in: creating it by name, opening and validating it as a ring is
 * validated (src/ring.c), and the futex sleep the objects share.
 */
#include "src/syncobj.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * A creator that died before its magic wrote at most its header and state:
 * everything past them is still zero. Data there is another program's, which
 * replace leaves alone.
 */
#define SYNC_WRITTEN (SHMRING_SYNC_STATE_OFF + SHMRING_SYNC_STATE_MAX)

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* FNV-1a 64, as the ring header's check (ringbuf/header.c). */
static uint64_t hdr_checksum(const struct shmring_sync_hdr *h)
{
	const unsigned char *p = (const unsigned char *)h;
	uint64_t x = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < SHMRING_SYNC_HDR_CHECKED_BYTES; i++) {
		x ^= p[i];
		x *= UINT64_C(0x100000001b3);
	}
	return x;
}

static bool kind_known(uint32_t kind)
{
	return kind >= SHMRING_SYNC_KIND_SEM && kind <= SHMRING_SYNC_KIND_COND;
}

/* The header flags a kind may carry. */
static uint32_t kind_flags(uint32_t kind)
{
	return kind == SHMRING_SYNC_KIND_EVENT ? SHMRING_SYNC_HDR_MANUAL : 0;
}

/* Validate a private copy of the header of a seg_size-byte segment. */
static int hdr_validate(const struct shmring_sync_hdr *h, uint64_t seg_size, uint32_t kind)
{
	if (seg_size < sizeof(*h))
		return -SHMRING_ETRUNCATED;
	/* A ring's magic: a shmring segment, of another kind. */
	if (h->magic == SHMRING_MAGIC)
		return -SHMRING_EKIND;
	if (h->magic != SHMRING_SYNC_MAGIC)
		return -SHMRING_EBADMAGIC;
	if (h->version != SHMRING_SYNC_LAYOUT_VERSION)
		return -SHMRING_EVERSION;
	if (h->check != hdr_checksum(h))
		return -SHMRING_ECHECK;
	/* A valid checksum over what we do not know: a newer writer. */
	if (!kind_known(h->kind) || (h->flags & ~kind_flags(h->kind)))
		return -SHMRING_EVERSION;
	if (h->hdr_size != sizeof(*h) || h->total_size != SHMRING_SYNC_SEGMENT_SIZE ||
	    h->state_off != SHMRING_SYNC_STATE_OFF)
		return -SHMRING_EGEOMETRY;
	for (size_t i = 0; i < sizeof(h->reserved) / sizeof(h->reserved[0]); i++)
		if (h->reserved[i])
			return -SHMRING_EGEOMETRY;
	if (seg_size < h->total_size)
		return -SHMRING_ETRUNCATED;
	if (kind && h->kind != kind)
		return -SHMRING_EKIND;
	return 0;
}

static_assert(sizeof(struct shmring_sync_hdr) <= SHMRING__MAP_SEEN_BYTES, "the header fits");

static int init_segment(void *base, uint64_t size, const struct shmring_region *rg, void *arg,
			void *seen, bool again, uint64_t *used)
{
	const struct shmring_sync_create *c = arg;
	struct shmring_sync_hdr h;

	(void)rg;
	/* An exclusive create's object is new: a mapping of it already here
	 * is some other segment, never to be written over. */
	if (again)
		return -EEXIST;
	if (size < SHMRING_SYNC_SEGMENT_SIZE)
		return -SHMRING_ETRUNCATED;
	*used = SHMRING_SYNC_SEGMENT_SIZE;
	memset(&h, 0, sizeof(h));
	h.magic = SHMRING_SYNC_MAGIC;
	h.version = SHMRING_SYNC_LAYOUT_VERSION;
	h.hdr_size = sizeof(h);
	h.kind = c->kind;
	h.flags = c->hdr_flags;
	h.creator_uid = (uint32_t)geteuid();
	h.creator_pid = (uint32_t)getpid();
	h.ctime_ns = realtime_ns();
	h.total_size = SHMRING_SYNC_SEGMENT_SIZE;
	h.state_off = SHMRING_SYNC_STATE_OFF;
	h.check = hdr_checksum(&h);
	if (c->init)
		c->init((char *)base + SHMRING_SYNC_STATE_OFF, c);
	/* The state written by init comes with the header. */
	shmring__segment_publish(base, &h, sizeof(h));
	memcpy(seen, &h, sizeof(h));
	return 0;
}

struct want {
	uint32_t kind;
	uint32_t flags; /* SHMRING_SYNC_* */
};

/*
 * The header of an object being opened, read once and validated: on a fresh
 * mapping it becomes what its handles take (seen); on one this process had
 * already it must be what it saw then.
 */
static int validate_segment(void *base, uint64_t size, const struct shmring_region *rg, void *arg,
			    void *seen, bool again, uint64_t *used)
{
	const struct want *w = arg;
	struct shmring_sync_hdr h;
	int rc;

	/* Another user's segment is not even read unless that was allowed. */
	if (!(w->flags & SHMRING_SYNC_ANY_OWNER) && rg->owner_uid != (uint32_t)geteuid())
		return -SHMRING_EFOREIGN;
	rc = shmring__segment_read(base, size, &h, sizeof(h), w->flags & SHMRING_SYNC_NOWAIT);
	if (rc == 0)
		rc = hdr_validate(&h, size, w->kind);
	if (rc == 0 && h.creator_uid != rg->owner_uid)
		rc = -SHMRING_EOWNER;
	if (rc < 0)
		return rc;
	*used = h.total_size; /* validated: within size */
	/* Written once, by the creator, before we mapped it: one that differs
	 * from the header we saw was rewritten since. */
	if (again)
		return memcmp(&h, seen, sizeof(h)) != 0 ? -SHMRING_ECHECK : 0;
	memcpy(seen, &h, sizeof(h));
	return 0;
}

/*
 * Make *out of a mapping (whose reference it takes over): its header is the
 * one the open that mapped it validated (shmring__map_seen()), so nothing
 * reads shared memory again for what the object is; what this opener asks
 * of it (the kind, the owner) is checked here.
 */
static int take(struct shmring_map *m, const struct want *w, struct shmring_syncobj *out)
{
	const struct shmring_map_info *mi = shmring__map_info(m);
	void *base = shmring__map_base(m);
	int rc = 0;

	if (!(w->flags & SHMRING_SYNC_ANY_OWNER) && mi->owner_uid != (uint32_t)geteuid())
		rc = -SHMRING_EFOREIGN;
	if (rc == 0) {
		memcpy(&out->hdr, shmring__map_seen(m), sizeof(out->hdr));
		rc = hdr_validate(&out->hdr, shmring__map_size(m), w->kind);
	}
	if (rc == 0 && out->hdr.creator_uid != mi->owner_uid)
		rc = -SHMRING_EOWNER;
	if (rc < 0) {
		shmring__map_put(m);
		return rc;
	}
	out->map = m;
	out->state = (char *)base + SHMRING_SYNC_STATE_OFF;
	return 0;
}

int shmring__syncobj_create(const struct shmring_uri *u, const struct shmring_sync_create *c,
			    struct shmring_syncobj *out)
{
	bool named = u->scheme != SHMRING_SCHEME_MEMFD && u->scheme != SHMRING_SCHEME_ANON;
	struct shmring_region_opts ro = {.size = SHMRING_SYNC_SEGMENT_SIZE, .mode = c->mode,
					 .replace = c->replace};
	struct want w = {.kind = c->kind, .flags = SHMRING_SYNC_ANY_OWNER};
	struct shmring_region rg;
	struct shmring_map *m;
	int rc;

	if (!named && c->replace)
		return -EINVAL; /* nothing named to replace */
	/* Only a synchronization object (or a segment whose creator died
	 * before its header) is replaced: never a ring, nor another
	 * program's data. */
	if (c->replace && (rc = shmring__region_replaceable(u, SHMRING_SYNC_MAGIC, SYNC_WRITTEN)) < 0)
		return rc;
	/* One name, one object (shmring__sem_beside()): a semaphore of another
	 * implementation under the name goes only for replace. */
	rc = named ? shmring__sem_beside(u) : 0;
	if (rc > 0 && c->replace)
		rc = shmring__sem_beside_remove(u);
	if (rc != 0)
		return rc > 0 ? -EEXIST : rc;
	rc = shmring__region_create(u, &ro, &rg);
	if (rc < 0)
		return rc;
	rc = shmring__map_get(&rg, 0, init_segment, (void *)c, &m);
	if (rc == 0) {
		shmring__region_made(shmring__map_info(m)->fd); /* published */
		rc = take(m, &w, out);
	}
	if (rc < 0 && named)
		shmring__region_unlink(u);
	return rc;
}

int shmring__syncobj_open(const struct shmring_uri *u, uint32_t kind, uint32_t flags,
			  struct shmring_syncobj *out)
{
	struct want w = {.kind = kind, .flags = flags};
	struct shmring_region rg;
	struct shmring_map *m;
	int rc = shmring__region_open(u, flags & SHMRING_SYNC_NOWAIT, &rg);

	if (rc < 0)
		return rc;
	rc = shmring__map_get(&rg, 0, validate_segment, &w, &m);
	return rc < 0 ? rc : take(m, &w, out);
}

void shmring__syncobj_dup(const struct shmring_syncobj *o, struct shmring_syncobj *out)
{
	shmring__map_ref(o->map);
	*out = *o;
}

void shmring__syncobj_close(struct shmring_syncobj *o)
{
	shmring__map_put(o->map);
	o->map = NULL;
	o->state = NULL;
}

int shmring__syncobj_unlink(const char *uri)
{
	struct shmring_uri u;
	int rc = shmring__uri_parse(uri, &u);

	return rc < 0 ? rc : shmring__region_unlink(&u);
}

int shmring__syncobj_exists(const struct shmring_uri *u)
{
	if (u->scheme == SHMRING_SCHEME_POSIX) {
		/* O_NONBLOCK: a FIFO under the name must not hold us until
		 * some writer opens it. */
		int fd = shm_open(u->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);

		if (fd >= 0) {
			close(fd);
			return 1;
		}
		return errno == ENOENT ? 0 : (errno == EACCES ? 1 : -errno);
	}
	if (u->scheme == SHMRING_SCHEME_SYSV) {
		key_t key;
		int rc = shmring__sysv_key(u, &key);

		if (rc < 0)
			return rc;
		if (shmget(key, 0, 0) >= 0)
			return 1;
		return errno == ENOENT ? 0 : (errno == EACCES ? 1 : -errno);
	}
	return 0;
}

int shmring__syncobj_make_room(const struct shmring_uri *u, bool replace)
{
	int rc = shmring__syncobj_exists(u);

	if (rc <= 0)
		return rc;
	if (!replace)
		return -EEXIST;
	/* A segment of that name goes only if it is a synchronization object's. */
	rc = shmring__region_replaceable(u, SHMRING_SYNC_MAGIC, SYNC_WRITTEN);
	if (rc == 0 && (rc = shmring__region_unlink(u)) == -ENOENT)
		rc = 0;
	return rc;
}

int shmring__sync_opts_check(const struct shmring_sync_opts *o, uint32_t allowed)
{
	if (!o)
		return 0;
	if (o->flags & ~allowed)
		return -EINVAL;
	if (o->mode & ~0777u)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i])
			return -EINVAL;
	return 0;
}

int shmring__sync_open_flags(const struct shmring_sync_open_opts *o, uint32_t allowed,
			     uint32_t *flags)
{
	*flags = 0;
	if (!o)
		return 0;
	if ((o->flags & ~allowed) || o->reserved0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i])
			return -EINVAL;
	*flags = o->flags;
	return 0;
}

int shmring__sync_sleep(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline)
{
	for (;;) {
		int rc = shmring__futex_wait(word, expected, deadline);

		if (rc == -EINTR) {
			/* A signal: sleep again for the time left (the deadline is
			 * absolute), unless the word moved meanwhile.
			 * Relaxed: the caller re-reads what it waits for. */
			if (shmring__load_relaxed(word) != expected)
				return 0;
			continue;
		}
		if (rc == -ETIMEDOUT) {
			/* Never early by our own clock, whatever the kernel's
			 * rounding. */
			if (shmring__now_ns() < deadline)
				continue;
			return -ETIMEDOUT;
		}
		/* Woken, the word had changed (-EAGAIN), or an error the
		 * caller's next look at the word sorts out. */
		return 0;
	}
}

int shmring__sync_sleep_slice(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline)
{
	uint64_t now = shmring__now_ns();
	int rc;

	/* Past the deadline: a word that keeps changing would otherwise send
	 * the caller round again (-EAGAIN is 0 here) without end. */
	if (deadline <= now)
		return -ETIMEDOUT;
	if (deadline - now <= SHMRING_SYNC_RECHECK_NS)
		return shmring__sync_sleep(word, expected, deadline);
	rc = shmring__sync_sleep(word, expected, now + SHMRING_SYNC_RECHECK_NS);
	return rc == -ETIMEDOUT ? 0 : rc;
}

/* --- Looking at an object: shmring_sync_stat() ------------------------------ */

#define PSEM_DIR "/dev/shm" /* where glibc keeps named semaphores (sync_sem_posix.c) */
#define TID_LIMIT 4194304u  /* PID_MAX_LIMIT: no thread id reaches it */

union stat_semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* The process (thread group) of thread tid, from /proc/TID/status: its id,
 * or 0 when it cannot be told. */
static uint32_t thread_group(uint32_t tid)
{
	char path[64], buf[2048];
	const char *p;
	unsigned long v;
	ssize_t n;
	int fd;

	/* /proc of another pid namespace names another thread by that id. */
	if (tid == 0 || tid >= TID_LIMIT || !shmring__proc_is_ours())
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/status", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "\nTgid:");
	if (!p || sscanf(p + 6, " %lu", &v) != 1 || v == 0 || v >= TID_LIMIT)
		return 0;
	return (uint32_t)v;
}

/* An object in a shmring segment: the header says what it is (validated as
 * an open validates it), the state is read once, word by word. */
static int stat_segment(const struct shmring_uri *u, uint32_t flags, struct shmring_sync_info *in)
{
	const struct shmring_map_info *mi;
	struct shmring_syncobj o;
	int rc = shmring__syncobj_open(u, 0, flags, &o);

	if (rc < 0)
		return rc;
	mi = shmring__map_info(o.map);
	/* The validated private copy of the header: kind is 1..4. */
	in->type = o.hdr.kind;
	in->creator_uid = o.hdr.creator_uid;
	in->creator_pid = o.hdr.creator_pid;
	in->ctime_ns = o.hdr.ctime_ns;
	in->owner_uid = mi->owner_uid;
	in->mode = mi->mode & 0777u;
	/* Relaxed loads: a snapshot; nothing is derived from one word that
	 * another must agree with. */
	switch (o.hdr.kind) {
	case SHMRING_SYNC_KIND_SEM: {
		struct shmring_sync_sem *st = o.state;

		in->impl = SHMRING_SEM_FUTEX;
		in->value = shmring__load_relaxed(&st->count);
		in->waiters = shmring__load_relaxed(&st->waiters);
		break;
	}
	case SHMRING_SYNC_KIND_EVENT: {
		struct shmring_sync_event *st = o.state;
		uint32_t v = shmring__load_relaxed(&st->state);

		in->value = v & SHMRING_EVENT_SET;
		in->seq = v >> 1;
		in->waiters = shmring__load_relaxed(&st->waiters);
		if (o.hdr.flags & SHMRING_SYNC_HDR_MANUAL)
			in->flags |= SHMRING_SYNC_INFO_MANUAL;
		break;
	}
	case SHMRING_SYNC_KIND_MUTEX: {
		struct shmring_sync_mutex *st = o.state;
		/* seq_cst, both: the namespace after the owner word, as a
		 * locker reads them (sync_mutex.c, "Namespaces"). */
		uint64_t w = atomic_load(&st->owner);
		uint64_t ns = atomic_load(&st->pidns);
		uint32_t tid = SHMRING_MUTEX_TID(w);

		in->seq = shmring__load_relaxed(&st->seq);
		in->waiters = (w & SHMRING_MUTEX_WAITERS) ? 1 : 0;
		if (w & SHMRING_MUTEX_OWNER_DIED)
			in->flags |= SHMRING_SYNC_INFO_OWNER_DIED;
		if (w & SHMRING_MUTEX_NOTRECOVERABLE)
			in->flags |= SHMRING_SYNC_INFO_NOTRECOVERABLE;
		if (tid != 0) {
			/* Judged as a locker judges it: an id no thread can
			 * have (a forged word) is a dead holder. */
			int j = shmring__mutex_judge(ns, shmring__pidns_self(), w, mi);

			in->value = 1;
			in->holder_tid = tid;
			in->holder_state = j == 1   ? SHMRING_SYNC_HOLDER_DEAD
					   : j == 0 ? SHMRING_SYNC_HOLDER_ALIVE
						    : SHMRING_SYNC_HOLDER_UNKNOWN;
			if (j == 0)
				in->holder_pid = thread_group(tid);
		}
		break;
	}
	default: {
		struct shmring_sync_cond *st = o.state;

		in->seq = shmring__load_relaxed(&st->seq);
		in->waiters = shmring__load_relaxed(&st->waiters);
		break;
	}
	}
	shmring__syncobj_close(&o);
	return 0;
}

/* A POSIX named semaphore: validated (and mapped) as an open does, its count
 * by sem_getvalue(); owner, mode and time from its file. */
static int stat_psem(const struct shmring_uri *u, uint32_t flags, struct shmring_sync_info *in)
{
	char path[SHMRING_NAME_MAX + 32];
	struct shmring_psem *p;
	struct statx sx;
	int rc = shmring__psem_open(u, flags, &p);

	if (rc < 0)
		return rc;
	rc = shmring__psem_value(p, &in->value);
	shmring__psem_put(p);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), PSEM_DIR "/sem.%s", u->path + 1);
	memset(&sx, 0, sizeof(sx));
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &sx) < 0) {
		struct stat st;

		if (errno != ENOSYS || lstat(path, &st) < 0)
			return -errno;
		sx.stx_uid = st.st_uid;
		sx.stx_mode = (uint16_t)st.st_mode;
		sx.stx_ctime.tv_sec = st.st_ctim.tv_sec;
		sx.stx_ctime.tv_nsec = (uint32_t)st.st_ctim.tv_nsec;
	}
	in->type = SHMRING_SYNC_KIND_SEM;
	in->impl = SHMRING_SEM_POSIX;
	in->flags = SHMRING_SYNC_INFO_WAITERS_UNKNOWN;
	in->owner_uid = sx.stx_uid;
	in->creator_uid = sx.stx_uid; /* sem_open creates it as its caller */
	in->mode = sx.stx_mode & 0777u;
	if (sx.stx_mask & STATX_BTIME)
		in->ctime_ns = (uint64_t)sx.stx_btime.tv_sec * 1000000000u + sx.stx_btime.tv_nsec;
	else
		in->ctime_ns = (uint64_t)sx.stx_ctime.tv_sec * 1000000000u + sx.stx_ctime.tv_nsec;
	return 0;
}

/* A System V set of ours (validated as an open does). The creator is the
 * last process that operated on the marker, which only creation does. */
static int stat_ssem(const struct shmring_uri *u, uint32_t flags, struct shmring_sync_info *in)
{
	struct semid_ds ds;
	union stat_semun arg = {.buf = &ds};
	int id, v, n, pid;
	int rc = shmring__ssem_open(u, flags, &id);

	if (rc < 0)
		return rc;
	if (semctl(id, 0, IPC_STAT, arg) < 0 || (v = semctl(id, 0, GETVAL)) < 0 ||
	    (n = semctl(id, 0, GETNCNT)) < 0 || (pid = semctl(id, 1, GETPID)) < 0)
		return shmring__sysv_errno();
	in->type = SHMRING_SYNC_KIND_SEM;
	in->impl = SHMRING_SEM_SYSV;
	in->value = (uint32_t)v;
	in->waiters = (uint32_t)n;
	in->creator_pid = (uint32_t)pid;
	in->creator_uid = (uint32_t)ds.sem_perm.cuid;
	in->owner_uid = (uint32_t)ds.sem_perm.uid;
	in->mode = (uint32_t)ds.sem_perm.mode & 0777u;
	in->ctime_ns = ds.sem_ctime > 0 ? (uint64_t)ds.sem_ctime * 1000000000u : 0;
	return 0;
}

int shmring_sync_stat(const char *uri, uint32_t flags, struct shmring_sync_info *info)
{
	struct shmring_uri u;
	int rc;

	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (flags & ~(SHMRING_SYNC_ANY_OWNER | SHMRING_SYNC_NOWAIT))
		return -EINVAL;
	rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	/* Which implementation, as shmring_sem_open() decides: a shared-memory
	 * object of that name first, then a semaphore of the scheme's own. */
	rc = shmring__syncobj_exists(&u);
	if (rc == 0 && u.scheme == SHMRING_SCHEME_POSIX)
		rc = stat_psem(&u, flags, info);
	else if (rc == 0 && u.scheme == SHMRING_SCHEME_SYSV)
		rc = stat_ssem(&u, flags, info);
	else if (rc >= 0)
		rc = stat_segment(&u, flags, info);
	if (rc < 0)
		memset(info, 0, sizeof(*info));
	return rc < 0 ? rc : 0;
}
