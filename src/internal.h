/* SPDX-License-Identifier: MIT */
/*
 * src/internal.h - the runtime's private interfaces: names, regions, the
 * process-local registry of mappings and the participant table.
 */
#ifndef SHMRING_SRC_INTERNAL_H
#define SHMRING_SRC_INTERNAL_H

#include "ringbuf/claims.h"
#include "ringbuf/layout.h"
#include "ringbuf/msg.h"
#include "ringbuf/mring.h"
#include "ringbuf/spsc.h"
#include "shmring/shmring.h"
#include "sync/eventcount.h"
#include "sync/wait.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --- Names (src/uri.c) --------------------------------------------------- */

/* Values of enum shmring_backend. */
enum shmring_scheme {
	SHMRING_SCHEME_POSIX = SHMRING_BACKEND_POSIX,
	SHMRING_SCHEME_SYSV = SHMRING_BACKEND_SYSV,
	SHMRING_SCHEME_FILE = SHMRING_BACKEND_FILE,
	SHMRING_SCHEME_MEMFD = SHMRING_BACKEND_MEMFD,
	SHMRING_SCHEME_ANON = SHMRING_BACKEND_ANON,
};

#define SHMRING_NAME_MAX 200 /* posix: characters after the slash */
#define SHMRING_LABEL_MAX 64 /* memfd: label characters */

struct shmring_uri {
	uint32_t scheme;
	uint32_t key;       /* sysv: the key (unless key_from_path) */
	uint32_t proj;      /* sysv:@path#ID: the ftok project id */
	bool key_from_path; /* sysv: key = ftok(path, proj) */
	char path[SHMRING_PATH_MAX + 1]; /* posix "/name", file and sysv:@ path,
					  * memfd label */
};

/* Parse a ring URI; 0, -EINVAL (malformed) or -EPROTONOSUPPORT (an unknown
 * scheme). */
int shmring__uri_parse(const char *uri, struct shmring_uri *out);

/* --- Regions (src/region*.c) --------------------------------------------- */

/* Identity of a mapped object, for sharing one mapping inside a process. */
struct shmring_map_key {
	uint32_t scheme;
	uint64_t dev;
	uint64_t ino;
};

/* Region creation flags (from enum shmring_create_flags). */
struct shmring_region_opts {
	uint64_t size;  /* bytes the ring needs */
	uint32_t mode;  /* permission bits, exactly */
	bool replace;   /* remove an existing object of that name first */
	bool huge;      /* hugetlb pages ... */
	bool huge_fallback; /* ... or normal ones when they cannot be had */
	uint64_t huge_size; /* size rounded up to whole huge pages (set by
			     * shmring__region_create()) */
};

/*
 * An open, not yet mapped, region. One of fd (posix, file, memfd), shmid
 * (sysv) or base (anon: mapped at creation) is set.
 */
struct shmring_region {
	uint32_t scheme;
	int fd;             /* -1: none */
	int shmid;          /* -1: none */
	void *base;         /* anon: the mapping; NULL otherwise */
	uint64_t size;      /* bytes, as the OS reports them */
	uint32_t owner_uid;
	uint32_t mode;      /* permission bits */
	bool huge;          /* backed by hugetlb pages */
	int64_t born_s;     /* when the kernel made the object, in seconds
			     * (its birth time; sysv: shm_ctime); -1: unknown */
	struct shmring_map_key key;
};

/*
 * Create exclusively with o->size bytes reserved where the backend can
 * (fallocate: not just a sparse length): -EEXIST, -ENOSPC, -EACCES,
 * -EOPNOTSUPP (huge pages where the backend has none), -ENOMEM (too few huge
 * pages) ... On failure nothing is left behind.
 */
int shmring__region_create(const struct shmring_uri *u, const struct shmring_region_opts *o,
			   struct shmring_region *out);

/* Open an existing region by name (not memfd/anon: -ENOENT). nowait: an
 * object its creator has not sized yet is -EAGAIN at once. */
int shmring__region_open(const struct shmring_uri *u, bool nowait, struct shmring_region *out);

/* A region from a descriptor (taken over: closed on failure too): a regular
 * file, posix or memfd; a memfd must be sealed against shrinking (-EPERM). */
int shmring__region_from_fd(int fd, struct shmring_region *out);

/* -EOPNOTSUPP where explicit huge pages can never be had for u (POSIX shared
 * memory; a file outside hugetlbfs), -ENOMEM where a System V segment of
 * size bytes would find too few free now, known before anything is created
 * or removed; else 0 (other failures are left to the create). */
int shmring__region_huge_possible(const struct shmring_uri *u, uint64_t size);
/* Whether size bytes of normal pages of memory (memfd:, anon:, sysv:,
 * tmpfs files) can be had now (available memory and free swap): 0, or
 * -ENOMEM. */
int shmring__region_memory_fits(uint64_t size);
/* The same for a ring of size bytes that replaces the object u names, whose
 * pages its removal gives back: known before the old one goes. */
int shmring__region_replace_fits(const struct shmring_uri *u, uint64_t size);
/* Whether fd's pages are memory (tmpfs). */
bool shmring__fd_on_tmpfs(int fd);

int shmring__region_unlink(const struct shmring_uri *u);
/* The -errno of a call on a System V id that shmget() (or an earlier look)
 * gave: one removed since (EINVAL, EIDRM) is not there, -ENOENT. */
static inline int shmring__sysv_errno(void)
{
	return errno == EINVAL || errno == EIDRM ? -ENOENT : -errno;
}
/*
 * Unlink u only while it names the object judged, never one that another
 * process made there since: 0, -ESTALE (another object has the name now),
 * -ENOENT, -EBUSY (someone else held the object's lock throughout), -errno.
 */
int shmring__region_unlink_judged(const struct shmring_uri *u,
				  const struct shmring_map_key *judged);
/*
 * Whether u names the object judged now: 0, -ESTALE, -ENOENT, -errno. A
 * System V segment is judged by its id (judged->ino): removed already when
 * its key is gone.
 */
int shmring__region_names(const struct shmring_uri *u, const struct shmring_map_key *judged);
/* Unlink u while it names the object judged, without its lock (held by the
 * caller, or none to take): the look comes right before the unlink. */
int shmring__region_unlink_held(const struct shmring_uri *u, const struct shmring_map_key *judged);
/*
 * As shmring__region_unlink_judged(), for a caller that holds the object's
 * lock already (or that has none to take): the look at the name comes right
 * before the unlink, and a System V segment goes by its id. The ring's own
 * System V semaphore set goes with it. For the tool's rm and gc.
 */
int shmring__unlink_judged(const char *uri, const struct shmring_map_key *judged);
/*
 * A creator holds its new object's lock (flock, exclusive) from its create
 * until its header is published: a judge that finds the lock held knows a
 * live process is making the ring, however long it is stopped.
 * shmring__flock_wait(): flock(fd, op) retried for up to wait_ns (0 or
 * -errno; -EBUSY when still held); shmring__fd_create() takes the lock,
 * shmring__region_made() lets it go (fd: the mapping's; -1: none), and
 * shmring__region_in_making() says whether the object at u is so held now
 * (POSIX and file: names), or, for a System V segment, which has no lock,
 * whether the process that made it lives and is still attached to it.
 */
#define SHMRING__LOCK_WAIT_NS 200000000ull /* how long a lock is waited for */
int shmring__flock_wait(int fd, int op, uint64_t wait_ns);
/* Whether flock()'s -errno rc means no lock is to be had there (NFS takes an
 * exclusive one only on a descriptor open for writing, and some file
 * systems have none): the caller goes on as without locks. */
static inline bool shmring__flock_none(int rc)
{
	return rc == -EBADF || rc == -ENOLCK || rc == -EOPNOTSUPP || rc == -EINVAL;
}
void shmring__region_made(int fd);
bool shmring__region_in_making(const struct shmring_uri *u);
/*
 * A process taking a role on the object k that u named holds a shared lock
 * on it while it joins; a remover of stale rings holds the exclusive one
 * while it judges again and removes, so a joiner is either seen by that
 * judgement or finds the name gone. 0 with *lock the descriptor that holds
 * it (close() lets it go), or -1 where none is to be had (System V, memfd,
 * no locks on the file system, one held past SHMRING__LOCK_WAIT_NS, or
 * held at all with nowait); -ESTALE: u names another object now, or none.
 */
int shmring__region_join(const struct shmring_uri *u, const struct shmring_map_key *k, bool nowait,
			 int *lock);
void shmring__region_close(struct shmring_region *r);

/*
 * Whether the object u names may be removed to replace it with a segment
 * whose header starts with magic (SHMRING_MAGIC, SHMRING_SYNC_MAGIC): 0 when
 * there is none, or it carries magic, or it is empty or its magic is zero (a
 * creator that died before its header) and, where zero_from is not 0, every
 * byte from zero_from on is zero too; -SHMRING_EKIND when it carries the
 * other shmring magic; -SHMRING_EBADMAGIC for anything else (another
 * program's data; a FIFO, socket, device, directory or symbolic link);
 * -errno when it cannot be looked at (-EACCES). Never waits.
 */
int shmring__region_replaceable(const struct shmring_uri *u, uint64_t magic, uint64_t zero_from);

/* Whether every byte of the object u names (posix, file or sysv) from
 * offset from to its end is zero: 1, 0 (the offset of the first byte that is
 * not in *nonzero, where given), -ENOENT, or -errno. Never waits. */
int shmring__region_zero_from(const struct shmring_uri *u, uint64_t from, uint64_t *nonzero);

/* Up to len bytes at offset off of the object u names (posix, file or
 * sysv, opened as for shmring__region_zero_from()) into buf: how many,
 * -ENOENT, or -errno. Never waits. */
int shmring__region_read(const struct shmring_uri *u, uint64_t off, void *buf, size_t len);

/*
 * A segment's header (a ring's or a synchronization object's; its first 8
 * bytes are the magic): publish writes len bytes of hdr with the magic last
 * (release); read waits up to a second (nowait: not at all) for a non-zero
 * magic (acquire) and copies len bytes: 0, -SHMRING_ETRUNCATED (size < len),
 * -EAGAIN (still all zero: a creator that never finished) or
 * -SHMRING_EBADMAGIC (a zero magic before other bytes).
 */
void shmring__segment_publish(void *base, const void *hdr, size_t len);
int shmring__segment_read(const void *base, uint64_t size, void *hdr, size_t len, bool nowait);

/* Map an open region (anon: take its mapping): 0 or -errno. */
int shmring__region_map(struct shmring_region *rg, void **base);
/* Fault in len bytes from b for writing: 0, -EOPNOTSUPP or -errno. */
int shmring__region_populate(void *b, uint64_t len);
void shmring__region_unmap(uint32_t scheme, void *base, uint64_t size);

/* The backend-specific parts (src/region_fd.c, src/region_sysv.c). */
int shmring__fd_create(const struct shmring_uri *u, const struct shmring_region_opts *o,
		       struct shmring_region *out);
int shmring__fd_open(const struct shmring_uri *u, bool nowait, struct shmring_region *out);
int shmring__fd_fill(int fd, uint32_t scheme, struct shmring_region *out);
int shmring__fd_unlink(const struct shmring_uri *u);
int shmring__fd_huge_possible(const struct shmring_uri *u);
int shmring__sysv_create(const struct shmring_uri *u, const struct shmring_region_opts *o,
			 struct shmring_region *out);
int shmring__sysv_open(const struct shmring_uri *u, struct shmring_region *out);
int shmring__sysv_unlink(const struct shmring_uri *u);
/* The System V key a sysv: URI names (its key, or ftok of its path): 0,
 * -EINVAL (not a sysv: URI, or ftok's key 0) or ftok's -errno. */
int shmring__sysv_key(const struct shmring_uri *u, key_t *key);

/* --- Registry of mappings (src/registry.c) ------------------------------- */

struct shmring_map;

/* How to map: populate / mlock this process's mapping. FRESH: an object
 * this call just made (its whole length is ours): populated and locked
 * before init, so that a failure there publishes no header an opener could
 * take before the object is removed. */
#define SHMRING__MAP_POPULATE 1u
#define SHMRING__MAP_MLOCK 2u
#define SHMRING__MAP_FRESH 4u

/*
 * What the open that mapped a segment validated (a ring's header, a duplex's
 * two, a synchronization object's): kept with the mapping, it is what every
 * handle on it takes, so no handle reads a header from shared memory again.
 */
#define SHMRING__MAP_SEEN_BYTES 512u

/*
 * Find the process's mapping of the region, or map it. `init` runs on every
 * open and may fail: on a fresh mapping (again false) it validates or
 * initialises the segment and writes what it validated to seen; on one the
 * process had (again true: seen holds what that first open wrote, size is
 * the mapping's) it validates the segment as a first open would, for the
 * region just opened, and refuses a header that is not the one in seen (the
 * segment changed under us). On success *used is how many bytes from base
 * the segment's header says it takes (at most size): what SHMRING__MAP_POPULATE
 * and SHMRING__MAP_MLOCK cover, however much longer the object is. Takes a
 * reference. Closes the region either way
 * (a descriptor is kept with the mapping, for shmring_fd_send()).
 */
typedef int (*shmring_map_init_fn)(void *base, uint64_t size, const struct shmring_region *rg,
				   void *arg, void *seen, bool again, uint64_t *used);
int shmring__map_get(struct shmring_region *rg, unsigned how, shmring_map_init_fn init, void *arg,
		     struct shmring_map **out);
/* Another reference on a mapping held. */
void shmring__map_ref(struct shmring_map *m);
void shmring__map_put(struct shmring_map *m);
void *shmring__map_base(const struct shmring_map *m);
uint64_t shmring__map_size(const struct shmring_map *m);
/* What init wrote to seen (SHMRING__MAP_SEEN_BYTES), immutable since. */
const void *shmring__map_seen(const struct shmring_map *m);

/* What the process knows of a mapping, beyond where it is. */
/*
 * A segment as /proc/PID/maps names it: what a judge of liveness looks for
 * in another process's maps (participants.c). name: the file's last path
 * component, for a file: ring only ("" otherwise): a file reached through
 * an overlay and through its upper directory is named by two devices, and
 * a shared mapping of the same inode and name on another device is it.
 */
struct shmring_maps_id {
	uint64_t dev, ino;
	char name[256];
};

struct shmring_map_info {
	uint32_t scheme;
	int fd;             /* the object's descriptor, -1: none (sysv, anon) */
	uint32_t page_size;
	uint32_t owner_uid;
	uint32_t mode;
	struct shmring_maps_id maps; /* the object in /proc/PID/maps */
};
const struct shmring_map_info *shmring__map_info(const struct shmring_map *m);

/* --- Participants (src/participants.c) ----------------------------------- */

/* How long a live verdict stands before it is made afresh (participants.c). */
#define SHMRING_REJUDGE_NS UINT64_C(1000000000)

/* What a process knows of one table entry's owner (see participants.c). */
struct shmring_live {
	uint64_t owner;  /* the owner word judged */
	uint64_t start;  /* its start time */
	int pidfd;       /* -1: none */
	uint32_t state;  /* enum shmring_part_state, 0: judge again */
	uint64_t judged_ns; /* when (shmring_clock_ns()) */
	uint32_t same_user; /* doorbell: 0 not looked at, 1 runs as our user, 2 not */
	uint32_t sig_ok;    /* doorbell: the signal it was last found to take
			     * (blocked, ignored or caught); 0: none yet */
};

struct shmring_livecache {
	struct shmring_live *e; /* one per table entry */
	uint32_t n;
	struct shmring_maps_id id; /* the segment, as /proc/PID/maps names it */
	uint64_t off;           /* the table's ring in it (a duplex has two) */
	uint64_t pidns;         /* our pid namespace */
	bool proc_ours;         /* /proc shows that namespace (its pids are ours) */
};

int shmring__live_init(struct shmring_livecache *c, uint32_t n, const struct shmring_maps_id *id,
		       uint64_t off);
void shmring__live_free(struct shmring_livecache *c);

/*
 * A process's (or thread's) state letter and start time from /proc/PID/stat
 * (pid 0: ours, whatever namespace /proc shows): clock ticks since boot as
 * the initial time namespace counts them, whichever namespace we are in
 * (participants.c). 0, or -errno (-ENOENT: unreadable).
 */
int shmring__proc_stat(pid_t pid, char *state, uint64_t *start);

/*
 * Whether process (or thread) pid maps the segment id: 1 yes, 0 no, -1
 * cannot tell (no permission to read its maps).
 */
int shmring__maps_segment(pid_t pid, const struct shmring_maps_id *id);

/* The last path component of what follows the inode on a maps line, in
 * name ("" when it is not all there or does not fit). */
void shmring__maps_name(const char *rest, char *name, size_t size);

/*
 * Whether two start times from shmring__proc_stat() name one process: equal
 * within a tick (one read in a time namespace whose offset is not a whole
 * number of ticks may differ by one). Pids are not reused within a tick.
 */
bool shmring__same_start(uint64_t a, uint64_t b);

/* Whether the process behind pidfd fd has exited (one poll). */
bool shmring__pidfd_exited(int fd);

/* Process pid's start time as shmring__proc_stat() gives it; 0 if unknown. */
uint64_t shmring__proc_start_time(pid_t pid);
uint64_t shmring__pidns_self(void);

/* The calling thread's start time, as shmring__proc_stat() gives a
 * thread's (whatever namespace /proc shows); 0 if unknown. */
uint64_t shmring__thread_start_time(void);

/* Whether /proc shows our pid namespace, so that /proc/PID names our pid
 * PID (not so in a pid namespace that did not mount a /proc of its own). */
bool shmring__proc_is_ours(void);

/* Judge entry idx now: 0 (free) or enum shmring_part_state. */
uint32_t shmring__part_state(void *base, struct shmring_livecache *c, uint32_t idx);

/*
 * Judge entry idx as holding owner, a word the caller loaded with acquire
 * (and nothing else of the entry before it): 0 (owner 0) or the state of
 * that owner. moved (may be NULL): set when the judgement found the entry
 * holding another word than owner meanwhile (the state is then ALIVE, a
 * guess: judge again).
 */
uint32_t shmring__part_state_of(void *base, struct shmring_livecache *c, uint32_t idx,
                                uint64_t owner, bool *moved);

/*
 * For a report only (shmring_participants(), and so ls and gc): the entry
 * idx, whose owner word `owner` carries SHMRING_OWNER_REAPED, judged afresh.
 * ALIVE when its process still runs with the entry's start time and maps the
 * segment, else REAPED. A reap judged it dead and the dead stay dead, so only
 * a bit forged on a live participant's entry (or a pid reused within a clock
 * tick by a process that maps the ring) reads alive. Claims are never judged
 * this way: a process that ran execve() was reaped for mapping nothing, and
 * its abandoned claims stay repairable should it map the ring again.
 */
uint32_t shmring__part_reaped_state(void *base, const struct shmring_livecache *c, uint32_t idx,
				   uint64_t owner);

/* struct shmring_judge's callback: is the claimer (idx, gen) gone? */
bool shmring__part_dead(void *base, struct shmring_livecache *c, uint32_t idx, uint32_t gen,
			unsigned gen_bits);

/* Claim entry idx for role: 0, or -EBUSY if a live process holds it (a dead
 * holder is reaped and replaced). */
int shmring__part_claim(void *base, struct shmring_livecache *c, uint32_t idx, uint32_t role);

/* Claim any shared entry (index >= SHMRING_PART_FIRST_SHARED), free ones
 * first, then those of processes that died: the index, or -EUSERS. */
int shmring__part_claim_any(void *base, const struct shmring_hdr *h, struct shmring_livecache *c,
			    uint32_t role);

/* Give an entry back; present: its role was counted present and leaves. */
void shmring__part_release(void *base, const struct shmring_livecache *c, uint32_t idx,
			   uint32_t role, bool present);

/* A role joins the presence count (after its entry is claimed). */
void shmring__presence_add(void *base, uint32_t role);

/*
 * One pass over the participant table: the live (or unjudgeable) entries of
 * each role counted into live[0] (producers) and live[1] (consumers) where
 * live is given, and the dead taken off the books where reap_dead is set.
 * Returns how many this call reaped.
 */
uint32_t shmring__part_scan(void *base, const struct shmring_hdr *h, struct shmring_livecache *c,
                           uint32_t live[2], bool reap_dead);

/* --- The handle (src/ring.c) --------------------------------------------- */

/* Bits of shmring.fast: the SPSC copy paths may run without further checks. */
#define SHMRING__FAST_TX 1u /* SPSC, producer role, no reservation held */
#define SHMRING__FAST_RX 2u /* SPSC, consumer role, no peek held */

struct shmring {
	struct shmring_lane tx; /* producer side view (SPSC); first, then rx: */
	struct shmring_lane rx; /* consumer side view (SPSC); see shmring/lane.h */
	struct shmring_map *map;
	void *base;             /* this ring's header: the mapping's start, or a
				 * duplex's direction 1 further on (view_off) */
	uint64_t view_off;      /* base - the mapping's start */
	bool duplex_end;        /* taken through the duplex calls: a duplex's
				 * roles are open to it */
	pid_t pid;              /* the process the handle belongs to */
	int bell_signo;         /* doorbell registered with this signal (0: none;
				 * SHMRING__BELL_SOCK: a socket doorbell) */
	int bell_token;
	int bell_sock;          /* socket doorbell: the waiter's socket */
	int bell_tx;            /* socket that rings socket doorbells, plus one
				 * (0: not made yet) */
	uint32_t flush_mode;    /* enum shmring_flush_mode */
	uint32_t flush_every;   /* SHMRING_FLUSH_EVERY: messages per msync ... */
	uint64_t flush_count;   /* ... and how many moved since the last */
	struct shmring_hdr hdr; /* validated private copy: never re-read */
	unsigned role;
	unsigned fast;          /* SHMRING__FAST_*: the one test on the SPSC fast path */
	int part[2];            /* claimed participant entries, -1 if none */
	struct shmring_ec not_empty;
	struct shmring_ec not_full;
	struct shmring_waiter wait;
	struct shmring_ctl *ctl;
	uint64_t nf_batch;      /* wake parked producers once this many units are freed */
	uint64_t recovery_ns;   /* the deadline in force for this handle */
	uint64_t next_check;    /* when try calls and timed-out blocking calls
				 * next look at the peers (every look sets it) */
	unsigned idle;          /* fruitless try calls since the last look at
				 * the clock (shmring__peer_idle()) */
	unsigned idle_tries;    /* the fruitless calls between two looks at
				 * the clock, paced to the caller's loop (0:
				 * none yet; look at the next) */
	uint64_t idle_at;       /* when the clock was last looked at */
	unsigned busy;          /* sends that moved something since the last
				 * look at the clock (shmring__peer_busy()) */
	unsigned busy_tries;    /* such sends between two looks, paced as the
				 * fruitless calls are (0: look at the next) */
	uint64_t busy_at;       /* when they last looked at the clock */
	uint32_t rx_quiet_granted; /* the lane's last grant of empty answers */
	uint32_t tx_quiet_granted; /* the lane's last grant of full answers */
	uint64_t tx_look_from;     /* the lane's position at its last look_at */
	bool rx_waiting;        /* an empty answer since the last receive
				 * (ring_fixed.c: rx_nothing()) */
	bool saw_consumers;     /* a consumer was attached while we were */
	bool saw_producers;     /* consumer: the producers' word showed one
				 * ever attached (shmring__rx_left()) */
	uint64_t stall_pos;     /* the claim this handle is held back by ... */
	uint64_t stall_since;   /* ... since (CLOCK_MONOTONIC ns; 0: not held back) */
	struct shmring_livecache live;
	struct shmring_judge judge;
	unsigned spsc_tx_held;  /* SPSC zero-copy: slots reserved / peeked */
	unsigned spsc_rx_held;
	int why[2];             /* shmring_last_error(): why the last count- or
				 * pointer-returning call of a side (SHMRING__TX,
				 * SHMRING__RX) moved nothing; 0 if it moved some */
	uint32_t multi;         /* SHMRING_HDR_MULTI_* in effect */
	struct shmring_mring_ops ops; /* MPSC, SPMC, MPMC */
	struct shmring_mring mtx;
	struct shmring_mring mrx;
	struct shmring_msgring qtx; /* MSG */
	struct shmring_msgring qrx;
	struct shmring_sock *sock;  /* a socket channel (src/sock.c): no segment,
				     * fast stays 0, the public calls dispatch */
};

/* Shared by the ring files (ring.c, ring_fixed.c, ring_msg.c, peers.c). */
void shmring__fast_update(shmring_t *r);

/* --- Doorbell (src/doorbell.c) ------------------------------------------ */

/* bell_signo of a handle whose doorbell is a socket. */
#define SHMRING__BELL_SOCK (-1)

/* Close the doorbell sockets a handle holds (close). */
void shmring__bell_close(shmring_t *r);

/* Signal the armed doorbells among the entries in mask. */
void shmring__bells_ring(shmring_t *r, uint64_t mask);

/* Take entry idx's doorbell off (unregister, close, reap). */
void shmring__bell_clear(void *base, uint32_t idx);

/* The sides of shmring_t.why. */
#define SHMRING__TX 0
#define SHMRING__RX 1

/* A count- or pointer-returning call on side moved k: why not (rc) where k
 * is 0, for shmring_last_error(). Returns k. */
static inline unsigned shmring__why(shmring_t *r, unsigned side, unsigned k, int rc)
{
	r->why[side] = k ? 0 : rc;
	return k;
}

/*
 * After the notify of a publication: ring registered doorbells. Relaxed and
 * unfenced, like the notify (N-light): a registration waits out the settle
 * time before its first arming looks at the ring (S-settle in doorbell.c's
 * publish()), and shmring__bells_ring() fences before it reads the armed
 * bits (F-notify, against F-arm).
 */
static inline void shmring__bells(shmring_t *r)
{
	uint64_t mask;

	if (r->not_empty.poll_only)
		return;
	mask = shmring__load_relaxed(&r->ctl->bells);
	if (SHMRING_UNLIKELY(mask != 0))
		shmring__bells_ring(r, mask);
}

/* n messages moved by this handle: msync when its flush policy says so. */
void shmring__flush_moved(shmring_t *r, uint64_t n);

static inline void shmring__moved(shmring_t *r, uint64_t n)
{
	if (SHMRING_UNLIKELY(r->flush_every) && n)
		shmring__flush_moved(r, n);
}

/* --- Peers (src/peers.c) ------------------------------------------------- */

/* struct shmring_judge's callback for a handle. */
bool shmring__judge_dead(void *ctx, uint32_t idx, uint32_t gen, unsigned gen_bits);

/* The recovery deadline in force, and making the eventcounts follow it. */
uint64_t shmring__recovery_ns(const shmring_t *r);
void shmring__recovery_apply(shmring_t *r);

/* Wake parked producers for units freed and still pending. */
void shmring__flush_freed(shmring_t *r);

/*
 * Look at the peers of one side (SHMRING_PRODUCER: what holds our sends
 * back; SHMRING_CONSUMER: our receives): reap the dead, repair their claims
 * in our way, record a stall. > 0: something moved, try again; 0: nothing;
 * -EPIPE: the other side has gone (consumers: and the ring is drained);
 * -SHMRING_ECORRUPT.
 */
int shmring__peer_check(shmring_t *r, unsigned side);

/* After a fruitless try call: shmring__peer_check() now and then. */
int shmring__peer_idle(shmring_t *r, unsigned side);
/* The fruitless answers a lane may give on its own before the library's next
 * (shmring__peer_idle()'s pace, less the library's own). */
uint32_t shmring__idle_grant(const shmring_t *r);

/*
 * After sends that moved something (n of them, counted as calls): now and
 * then, paced as shmring__peer_idle() is, a look at the clock, and once a
 * recovery deadline the dead peers reaped, so that a consumer killed while
 * the ring still has room is noticed as a full ring's answers notice it:
 * the next send is -EPIPE. The sends' own result stands.
 */
void shmring__peer_busy_look(shmring_t *r);

static inline void shmring__peer_busy(shmring_t *r, unsigned n)
{
	r->busy += n;
	if (SHMRING_UNLIKELY(r->busy >= r->busy_tries))
		shmring__peer_busy_look(r);
}

/* After a send that moved something: wake sleepers and armed doorbells,
 * and count it towards the next look (shmring__peer_busy()). */
static inline void shmring__sent(shmring_t *r, _Atomic uint64_t *wakes)
{
	shmring__ec_notify(&r->not_empty, wakes);
	shmring__bells(r);
	shmring__peer_busy(r, 1);
}

/* End the stall this handle recorded. */
void shmring__stall_end(shmring_t *r);

/*
 * A try call that moved nothing: why, as an error. corrupt: the call found a
 * shared index impossible. Producer: -EAGAIN (full for now), -EPIPE,
 * -SHMRING_ECORRUPT; consumer: the same with -EPIPE at end-of-stream. Both
 * run the peer check now and then.
 */
int shmring__tx_nothing(shmring_t *r, bool corrupt);
int shmring__rx_nothing(shmring_t *r, bool corrupt);

/*
 * Wait by the handle's policy for attempt(op) to succeed on one side
 * (SHMRING_PRODUCER: room; SHMRING_CONSUMER: messages), checking peers once
 * per recovery deadline. attempt's result, -ETIMEDOUT, -EPIPE, ...
 * shmring__block_wait() is the part after a first attempt that found
 * nothing; shmring__block() makes that attempt inline, so that a call that
 * needs no wait (most do) runs the caller's attempt without an indirect
 * call or any of the wait's set-up.
 */
int shmring__block_wait(shmring_t *r, unsigned side, shmring_attempt_fn attempt, void *op,
			uint64_t deadline);

static inline SHMRING_ALWAYS_INLINE int shmring__block(shmring_t *r, unsigned side,
						       shmring_attempt_fn attempt, void *op,
						       uint64_t deadline)
{
	int rc = attempt(op);

	if (rc == 0)
		return shmring__block_wait(r, side, attempt, op, deadline);
	/* As every wait ends: a stall this handle reported is over. */
	if (SHMRING_UNLIKELY(r->stall_since))
		shmring__stall_end(r);
	return rc;
}

/*
 * Consumer: the producers' presence word p (just read) says that producers
 * were here and none is left. The word's "ever attached" flag is never
 * cleared by a participant, but a peer may clear it, and a consumer would
 * then wait for a first producer for ever once the real ones had gone: the
 * handle remembers the flag once seen (as a producer remembers its
 * consumers, saw_consumers). The caller still asks the participant table
 * (shmring__presence_none()) before it believes the word.
 */
static inline bool shmring__rx_left(shmring_t *r, uint64_t p)
{
	if (p & SHMRING_PRESENCE_EVER)
		r->saw_producers = true;
	return SHMRING_PRESENCE_LIVE(p) == 0 && r->saw_producers;
}

/* Consumer: nothing published or claimed ahead of us. */
bool shmring__rx_drained(shmring_t *r);

/* Consumer, after an empty receive: -EPIPE at end-of-stream, else 0. */
int shmring__rx_eos(shmring_t *r);

/* Consumer: producers were here and none is left (whether or not their
 * messages are all taken): nothing more will come. Slow, as
 * shmring__presence_none() when the word says none. */
bool shmring__rx_orphaned(shmring_t *r);

/*
 * The presence word of role (read as `seen`) says none is left: whether the
 * participant table agrees (no live or unjudgeable entry in that role). A
 * word that disagrees (forged, or lowered by a race of the repair in
 * shmring__peer_check()) is set back to what the table shows. Slow: judges
 * the table's entries; only ever called when the word says none.
 */
bool shmring__presence_none(shmring_t *r, uint32_t role, uint64_t seen);

/*
 * Reap the dead participants (their entries marked, their counts taken
 * off) and lower a presence word above the live entries of its role: the
 * first half of every peer check, and what a producer does as it attaches,
 * so that a consumer killed before it came is not one it saw
 * (shmring__tx_gone()). Slow: judges the table's entries.
 */
void shmring__peer_reap(shmring_t *r);

/*
 * Producer: the consumers this handle has seen have all gone (send gets
 * -EPIPE). A handle that never saw a consumer may fill the ring for one yet
 * to come (a producer restarted while its consumer is away). One load while
 * a consumer is present; a word that shows none is checked against the
 * participant table (shmring__presence_none()) before a send believes it.
 */
static inline bool shmring__tx_gone(shmring_t *r)
{
	/* Relaxed: a send racing the last consumer's close may go either way,
	 * as a write racing a pipe's close does. */
	uint64_t c = shmring__load_relaxed(&r->ctl->consumers);

	if (SHMRING_LIKELY(SHMRING_PRESENCE_LIVE(c) != 0)) {
		if (SHMRING_UNLIKELY(!r->saw_consumers)) {
			r->saw_consumers = true; /* written once, not by every send */
			shmring__fast_update(r);
		}
		return false;
	}
	return r->saw_consumers && shmring__presence_none(r, SHMRING_CONSUMER, c);
}

#endif /* SHMRING_SRC_INTERNAL_H */
