/* SPDX-License-Identifier: MIT */
/*
 * src/syncobj.h - the synchronisation objects' segment (shmring/sync.h): one
 * page holding a header and the state of one object, and the private
 * interfaces the sync_*.c files share.
 *
 * The header's magic sits where a ring's does (offset 0, 64 bits) and
 * differs from it, so that each side recognises the other: a ring opened as
 * a synchronisation object is -SHMRING_EKIND here, and ring open answers
 * -SHMRING_EKIND when it finds SHMRING_SYNC_MAGIC. As for rings, the creator
 * writes everything else first and the magic last (release); an opener
 * copies the header after an acquire of a non-zero magic, validates the copy
 * and never reads the header again.
 */
#ifndef SHMRING_SRC_SYNCOBJ_H
#define SHMRING_SRC_SYNCOBJ_H

#include "shmring/sync.h"
#include "src/internal.h"
#include "sync/futex.h"

#include <assert.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* SHMRING_SYNC_MAGIC is in ringbuf/layout.h, next to the ring's. */
static_assert(SHMRING_SYNC_MAGIC != SHMRING_MAGIC, "rings and sync objects tell apart");

#define SHMRING_SYNC_LAYOUT_VERSION 1u
#define SHMRING_SYNC_SEGMENT_SIZE 4096u /* the whole object: one page */
#define SHMRING_SYNC_STATE_OFF 128u     /* the state, after the header */

/* What an object is (struct shmring_sync_hdr.kind). */
enum shmring_sync_kind {
	SHMRING_SYNC_KIND_SEM = 1,
	SHMRING_SYNC_KIND_EVENT = 2,
	SHMRING_SYNC_KIND_MUTEX = 3,
	SHMRING_SYNC_KIND_COND = 4,
};

/* Header flags (struct shmring_sync_hdr.flags). */
#define SHMRING_SYNC_HDR_MANUAL 1u /* events: manual reset */
#define SHMRING_SYNC_HDR_KNOWN SHMRING_SYNC_HDR_MANUAL

struct shmring_sync_hdr {
	uint64_t magic;       /*   0: SHMRING_SYNC_MAGIC, stored last at creation */
	uint32_t version;     /*   8: SHMRING_SYNC_LAYOUT_VERSION */
	uint32_t hdr_size;    /*  12: sizeof(struct shmring_sync_hdr) */
	uint32_t kind;        /*  16: enum shmring_sync_kind */
	uint32_t flags;       /*  20: SHMRING_SYNC_HDR_* */
	uint32_t creator_uid; /*  24 */
	uint32_t creator_pid; /*  28 */
	uint64_t ctime_ns;    /*  32: CLOCK_REALTIME at creation */
	uint64_t total_size;  /*  40: SHMRING_SYNC_SEGMENT_SIZE */
	uint64_t state_off;   /*  48: SHMRING_SYNC_STATE_OFF */
	uint64_t reserved[8]; /*  56: zero */
	uint64_t check;       /* 120: FNV-1a 64 over bytes [0, 120) */
};
static_assert(offsetof(struct shmring_sync_hdr, magic) == 0, "magic where a ring's is");
static_assert(offsetof(struct shmring_sync_hdr, version) == 8, "layout");
static_assert(offsetof(struct shmring_sync_hdr, kind) == 16, "layout");
static_assert(offsetof(struct shmring_sync_hdr, creator_uid) == 24, "layout");
static_assert(offsetof(struct shmring_sync_hdr, ctime_ns) == 32, "layout");
static_assert(offsetof(struct shmring_sync_hdr, total_size) == 40, "layout");
static_assert(offsetof(struct shmring_sync_hdr, state_off) == 48, "layout");
static_assert(offsetof(struct shmring_sync_hdr, reserved) == 56, "layout");
static_assert(offsetof(struct shmring_sync_hdr, check) == 120, "layout");
static_assert(sizeof(struct shmring_sync_hdr) == SHMRING_SYNC_STATE_OFF, "layout");
#define SHMRING_SYNC_HDR_CHECKED_BYTES offsetof(struct shmring_sync_hdr, check)

/*
 * A futex semaphore. count is the futex word; waiters counts the processes
 * (threads) asleep or about to sleep on it, so that a post makes a system
 * call only when someone may sleep.
 */
struct shmring_sync_sem {
	_Atomic uint32_t count;   /*   0: units, futex word */
	_Atomic uint32_t waiters; /*   4 */
	uint32_t reserved[30];    /*   8 */
};
static_assert(offsetof(struct shmring_sync_sem, count) == 0, "layout");
static_assert(offsetof(struct shmring_sync_sem, waiters) == 4, "layout");
static_assert(sizeof(struct shmring_sync_sem) == 128, "layout");

/* An event: state = sets << 1 | flag, the futex word. */
struct shmring_sync_event {
	_Atomic uint32_t state;   /*   0 */
	_Atomic uint32_t waiters; /*   4 */
	uint32_t reserved[30];    /*   8 */
};
static_assert(offsetof(struct shmring_sync_event, state) == 0, "layout");
static_assert(offsetof(struct shmring_sync_event, waiters) == 4, "layout");
static_assert(sizeof(struct shmring_sync_event) == 128, "layout");
#define SHMRING_EVENT_SET 1u
#define SHMRING_EVENT_SEQ_ONE 2u

/*
 * A robust mutex. owner: 0 when free, else the owner's thread id in the high
 * 32 bits, the low SHMRING_MUTEX_START_BITS bits of its start time (clock
 * ticks since boot) in bits 3.., and the flags in bits 0..2. seq is the
 * futex word lockers sleep on; an unlock that finds WAITERS bumps it and
 * wakes one. pidns is the pid namespace (inode of /proc/self/ns/pid) every
 * process that opened the mutex shares, or SHMRING_MUTEX_NS_MANY once two
 * have: an owner is judged only by a locker of its own namespace.
 */
struct shmring_sync_mutex {
	_Atomic uint64_t owner; /*   0 */
	_Atomic uint32_t seq;   /*   8: futex word */
	uint32_t reserved0;     /*  12 */
	_Atomic uint64_t pidns; /*  16 */
	uint64_t reserved[13];  /*  24 */
};
static_assert(offsetof(struct shmring_sync_mutex, owner) == 0, "layout");
static_assert(offsetof(struct shmring_sync_mutex, seq) == 8, "layout");
static_assert(offsetof(struct shmring_sync_mutex, pidns) == 16, "layout");
static_assert(sizeof(struct shmring_sync_mutex) == 128, "layout");

#define SHMRING_MUTEX_WAITERS UINT64_C(1)        /* someone may sleep: unlock wakes */
#define SHMRING_MUTEX_OWNER_DIED UINT64_C(2)     /* taken over from a dead owner */
#define SHMRING_MUTEX_NOTRECOVERABLE UINT64_C(4) /* unlocked without repair: for good */
#define SHMRING_MUTEX_FLAGS UINT64_C(7)
#define SHMRING_MUTEX_START_BITS 29u
#define SHMRING_MUTEX_START_MASK ((UINT64_C(1) << SHMRING_MUTEX_START_BITS) - 1)
#define SHMRING_MUTEX_TID(o) ((uint32_t)((o) >> 32))
#define SHMRING_MUTEX_START(o) (((o) >> 3) & SHMRING_MUTEX_START_MASK)
/* Who owns: everything but the flags. */
#define SHMRING_MUTEX_IDENT(o) ((o) & ~SHMRING_MUTEX_FLAGS)
#define SHMRING_MUTEX_NS_MANY UINT64_MAX

/* A condition variable: seq is the futex word, bumped by every signal. */
struct shmring_sync_cond {
	_Atomic uint32_t seq;     /*   0 */
	_Atomic uint32_t waiters; /*   4 */
	uint32_t reserved[30];    /*   8 */
};
static_assert(offsetof(struct shmring_sync_cond, seq) == 0, "layout");
static_assert(offsetof(struct shmring_sync_cond, waiters) == 4, "layout");
static_assert(sizeof(struct shmring_sync_cond) == 128, "layout");

/* The most bytes a kind's state takes from state_off: what a creator writes
 * before its magic, the rest of the page staying zero. */
#define SHMRING_SYNC_STATE_MAX 128u
static_assert(SHMRING_SYNC_STATE_OFF + SHMRING_SYNC_STATE_MAX <= SHMRING_SYNC_SEGMENT_SIZE,
	      "state fits");

/* --- Objects in a segment (src/sync_obj.c) ----------------------------- */

/* A mapped, validated object: what every futex-based handle holds. */
struct shmring_syncobj {
	struct shmring_map *map;
	struct shmring_sync_hdr hdr; /* validated private copy: never re-read */
	void *state;                 /* the state block in the mapping */
};

/* Validated creation options. */
struct shmring_sync_create {
	uint32_t kind;
	uint32_t hdr_flags;  /* SHMRING_SYNC_HDR_* */
	uint32_t mode;
	bool replace;
	/* Writes the initial state (the segment is zero-filled). */
	void (*init)(void *state, const struct shmring_sync_create *c);
	uint32_t value;      /* for init */
};

/*
 * Check the parts of struct shmring_sync_opts every kind shares; allowed:
 * the flags this kind may take. 0 or -EINVAL.
 */
int shmring__sync_opts_check(const struct shmring_sync_opts *o, uint32_t allowed);

/* The open flags, checked: 0 or -EINVAL. allowed as above. */
int shmring__sync_open_flags(const struct shmring_sync_open_opts *o, uint32_t allowed,
			     uint32_t *flags);

/* Create an object named u (exclusive unless c->replace). */
int shmring__syncobj_create(const struct shmring_uri *u, const struct shmring_sync_create *c,
			    struct shmring_syncobj *out);

/* Open the object named u, expecting kind (0: any kind, for
 * shmring_sync_stat()); flags: SHMRING_SYNC_*. */
int shmring__syncobj_open(const struct shmring_uri *u, uint32_t kind, uint32_t flags,
			  struct shmring_syncobj *out);

/* Another reference on o's mapping, in *out. */
void shmring__syncobj_dup(const struct shmring_syncobj *o, struct shmring_syncobj *out);
void shmring__syncobj_close(struct shmring_syncobj *o);

/* Remove the name of a futex object (any kind, not checked). */
int shmring__syncobj_unlink(const char *uri);

/* Whether a shared-memory object / segment of that name exists: 1, 0, or
 * -errno when it cannot be told. */
int shmring__syncobj_exists(const struct shmring_uri *u);

/*
 * Before a semaphore of a scheme's own (POSIX, System V) is made under u:
 * 0 when no shared-memory object has the name, or (replace) it was a
 * synchronization object's segment, now removed; -EEXIST when one has it
 * and replace is not asked; -SHMRING_EKIND / -SHMRING_EBADMAGIC when it is
 * a ring's or something else (left in place); -errno when it cannot be told.
 */
int shmring__syncobj_make_room(const struct shmring_uri *u, bool replace);

/*
 * Sleep on *word while it holds `expected`, until woken or deadline: 0
 * (woken, or the word changed), -ETIMEDOUT (the deadline has passed, by
 * shmring__now_ns()). Signals are absorbed. One futex wait per call (plus
 * retries after signals).
 */
int shmring__sync_sleep(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline);

/*
 * The longest one sleep of a semaphore's, an event's or a condition
 * variable's waiter lasts before it looks at the word again. A waker that
 * dies between its change of the word and its futex wake (or a wake lost
 * any other way) would otherwise leave a waiter asleep beside a unit, a set
 * flag or a signal until its deadline, or for ever.
 */
#define SHMRING_SYNC_RECHECK_NS UINT64_C(100000000)

/*
 * shmring__sync_sleep() for at most SHMRING_SYNC_RECHECK_NS: 0 (woken, the
 * word changed, or the slice is over with the deadline still ahead: look
 * again), -ETIMEDOUT (the deadline has passed).
 */
int shmring__sync_sleep_slice(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline);

/*
 * Judge the thread named by a mutex's owner word o (src/sync_mutex.c), as a
 * locker does: 1 dead (no such thread, a zombie, another start time, a
 * forged id, a thread whose process no longer maps the mutex's segment: mi,
 * as /proc/PID/maps names it; NULL: not looked at), 0 alive, -1 cannot be judged (obj_ns, the
 * namespace the mutex records, is not self_ns, or self_ns is unknown). Reads
 * /proc and opens a pidfd; never sends a signal.
 */
int shmring__mutex_judge(uint64_t obj_ns, uint64_t self_ns, uint64_t o,
			 const struct shmring_map_info *mi);

/* --- Semaphores (src/sync_sem*.c) ------------------------------------------- */

/* A POSIX semaphore this process opened, shared by the handles dup made. */
struct shmring_psem {
	_Atomic long refs;
	sem_t *sem;
};

struct shmring_sem {
	uint32_t impl;               /* enum shmring_sem_impl */
	uint32_t flags;              /* SHMRING_SYNC_UNDO */
	struct shmring_syncobj obj;  /* SHMRING_SEM_FUTEX */
	struct shmring_sync_sem *st; /* ... its state */
	struct shmring_psem *psem;   /* SHMRING_SEM_POSIX */
	int semid;                   /* SHMRING_SEM_SYSV */
};

#define SHMRING_SYSV_MARKER 0x5352 /* "SR": the second semaphore of our sets */
#define SHMRING_SYSV_SEM_MAX 32767 /* SEMVMX */

/* POSIX named semaphores (src/sync_sem_posix.c). */
int shmring__psem_create(const struct shmring_uri *u, uint32_t mode, uint32_t value, bool replace,
			 struct shmring_psem **out);
/* 0, or -ENOENT when there is no such semaphore, or why it is refused. */
int shmring__psem_open(const struct shmring_uri *u, uint32_t flags, struct shmring_psem **out);
void shmring__psem_put(struct shmring_psem *p);
/* Whether /dev/shm/sem.NAME exists: 1, 0 or -errno. */
int shmring__psem_exists(const struct shmring_uri *u);
/* Whether the file of a POSIX named semaphore of that name (if any) may be
 * removed to replace it: 0, or -SHMRING_EBADMAGIC when it is no semaphore
 * (not a regular file of the size of a sem_t), or -errno. */
int shmring__psem_replaceable(const struct shmring_uri *u);
int shmring__psem_unlink(const struct shmring_uri *u);
int shmring__psem_post(struct shmring_psem *p);
int shmring__psem_trywait(struct shmring_psem *p);
int shmring__psem_wait(struct shmring_psem *p, uint64_t deadline);
int shmring__psem_value(struct shmring_psem *p, uint32_t *value);

/* System V semaphore sets (src/sync_sem_sysv.c). */
int shmring__ssem_create(const struct shmring_uri *u, uint32_t mode, uint32_t value, bool replace,
			 int *semid);
int shmring__ssem_open(const struct shmring_uri *u, uint32_t flags, int *semid);
/* Removes only a set of ours (-SHMRING_EBADMAGIC otherwise). */
int shmring__ssem_unlink(const struct shmring_uri *u);
/* Whether a semaphore set with that key exists: 1, 0 or -errno. */
int shmring__ssem_exists(const struct shmring_uri *u);
/* Whether a POSIX or System V semaphore holds u's name: 1, 0 or -errno.
 * Its file (set) lies apart from where a segment of that name goes, so a
 * ring or a segment-based object created there would hide it. */
int shmring__sem_beside(const struct shmring_uri *u);
/* Remove the semaphore beside u's name for a replacing create: 0 (also
 * when it has gone meanwhile), -SHMRING_EBADMAGIC when it is no semaphore of
 * ours (another program's file or set stays), or -errno. */
int shmring__sem_beside_remove(const struct shmring_uri *u);
int shmring__ssem_post(int semid, bool undo);
int shmring__ssem_trywait(int semid, bool undo);
int shmring__ssem_wait(int semid, bool undo, uint64_t deadline);
int shmring__ssem_value(int semid, uint32_t *value);

#endif /* SHMRING_SRC_SYNCOBJ_H */
