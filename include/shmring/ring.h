/* SPDX-License-Identifier: MIT */
/*
 * shmring/ring.h - named lock-free rings in shared memory.
 *
 * A ring is created once by name (a URI, see below) and opened by any number
 * of unrelated processes. Each open returns a handle that carries the
 * process-local side of the ring (its cached indices and wait policy) and a
 * role: producer, consumer, both, or neither (an observer that may only read
 * the ring's information).
 *
 * Names
 *   "posix:/name" or "/name"   POSIX shared memory (shm_open), /dev/shm/name.
 *   A name is 1..200 characters of [A-Za-z0-9._-] after the slash.
 *
 * Concurrency contract, for every call below unless it says otherwise:
 *   - Handles are not shared between threads: each thread that sends or
 *     receives uses its own handle (open the ring again; the mapping is shared
 *     inside the process). A handle may move between threads with external
 *     synchronisation.
 *   - Send calls need a handle opened with SHMRING_PRODUCER, receive calls one
 *     opened with SHMRING_CONSUMER; otherwise they return -EPERM.
 *   - try_* calls never block and make no system call. The others may block
 *     according to the handle's wait policy; they are not async-signal-safe.
 */
#ifndef SHMRING_RING_H
#define SHMRING_RING_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shmring shmring_t;

/* Ring kinds, recorded in the segment header at creation. */
enum shmring_kind {
	SHMRING_KIND_SPSC = 1, /* one producer, one consumer, fixed-size slots */
};

/* Roles asked for at open; a kind allows a bounded number of each. */
enum shmring_role {
	SHMRING_OBSERVER = 0,
	SHMRING_PRODUCER = 1u << 0,
	SHMRING_CONSUMER = 1u << 1,
};

/* Creation flags. */
enum shmring_create_flags {
	SHMRING_CREATE_PREFAULT = 1u << 0, /* touch every page at create (MAP_POPULATE) */
	SHMRING_CREATE_REPLACE = 1u << 1,  /* unlink an existing ring of that name first */
};

#define SHMRING_MAX_SLOT_SIZE 65536u
#define SHMRING_MAX_CAPACITY (1ull << 30)
#define SHMRING_DEFAULT_MODE 0600

struct shmring_opts {
	uint32_t kind;      /* enum shmring_kind; 0 means SPSC */
	uint32_t slot_size; /* bytes per message, 1..SHMRING_MAX_SLOT_SIZE */
	uint64_t capacity;  /* slots, a power of two, 2..SHMRING_MAX_CAPACITY */
	uint32_t mode;      /* permission bits; 0 means SHMRING_DEFAULT_MODE */
	uint32_t flags;     /* enum shmring_create_flags */
	uint64_t reserved[4]; /* must be zero */
};

/*
 * Create a ring; creation is always exclusive (-EEXIST if the name is taken,
 * unless SHMRING_CREATE_REPLACE). Space is reserved before the header is
 * written, so a full /dev/shm fails here with -ENOSPC instead of a SIGBUS
 * later. role as for shmring_open(). On success *out is a new handle.
 * Errors: -EINVAL (bad name, options or role), -EEXIST, -ENOSPC, -EACCES,
 * -ENOMEM, -EMFILE, -EPROTONOSUPPORT (scheme not built in), other -errno from
 * the OS. Thread-safe.
 */
SHMRING_API int shmring_create(const char *uri, const struct shmring_opts *opts, unsigned role,
			       shmring_t **out);

/*
 * Open an existing ring. The header is validated before anything else is read
 * from the segment: -ENOENT (no such ring), SHMRING_EBADMAGIC,
 * SHMRING_EVERSION, SHMRING_ECHECK, SHMRING_EGEOMETRY, SHMRING_ETRUNCATED,
 * SHMRING_ECORRUPT, SHMRING_EOWNER, -EAGAIN (the creator has not finished
 * initialising the header). A role the kind does not allow a second time (a
 * second live producer on an SPSC ring) gives -EBUSY; the slot of a process
 * that died is taken over. A second open of the same ring in one process
 * shares its mapping. Thread-safe.
 */
SHMRING_API int shmring_open(const char *uri, unsigned role, shmring_t **out);

/*
 * Close a handle: its role is released and, when it was the process's last
 * handle on that ring, the mapping is released once no thread can still be
 * looking it up. Messages in the ring stay there. NULL is accepted.
 * Thread-safe with respect to other handles.
 */
SHMRING_API int shmring_close(shmring_t *r);

/* Remove a ring's name; mappings still open stay valid. Thread-safe. */
SHMRING_API int shmring_unlink(const char *uri);

/* --- Waiting ----------------------------------------------------------- */

enum shmring_wait_mode {
	SHMRING_WAIT_ADAPTIVE = 0, /* spin, then yield, then park on a futex (default) */
	SHMRING_WAIT_SPIN = 1,     /* spin with a pause instruction only */
	SHMRING_WAIT_YIELD = 2,    /* spin briefly, then sched_yield() in a loop */
	SHMRING_WAIT_PARK = 3,     /* park on the futex at once */
};

struct shmring_wait {
	uint32_t mode;     /* enum shmring_wait_mode */
	uint32_t reserved; /* must be zero */
	uint64_t spin_ns;  /* ADAPTIVE/YIELD: longest spin before the next phase; 0 = default */
};

/* Set the handle's wait policy. Not thread-safe on one handle. */
SHMRING_API int shmring_set_wait(shmring_t *r, const struct shmring_wait *w);

/* --- Fixed-slot send and receive --------------------------------------- */

/*
 * Copy one message of slot_size bytes in/out. 0 on success, -EAGAIN when the
 * ring is full/empty, -EPERM without the role.
 */
SHMRING_API int shmring_try_send(shmring_t *r, const void *msg);
SHMRING_API int shmring_try_recv(shmring_t *r, void *msg);

/*
 * Blocking forms: wait, by the handle's policy, until the message fits or one
 * arrives, or until deadline (absolute CLOCK_MONOTONIC ns;
 * SHMRING_NO_DEADLINE waits forever). Signals do not interrupt the wait.
 * 0 on success, -ETIMEDOUT, -EPERM.
 */
SHMRING_API int shmring_send(shmring_t *r, const void *msg, uint64_t deadline);
SHMRING_API int shmring_recv(shmring_t *r, void *msg, uint64_t deadline);

/*
 * Bulk: all n messages (contiguous, slot_size bytes each) or none.
 * Burst: as many as fit / are available, up to n. Return the count moved.
 * A bulk of more than the capacity never succeeds (returns 0).
 */
SHMRING_API unsigned shmring_try_send_bulk(shmring_t *r, const void *msgs, unsigned n);
SHMRING_API unsigned shmring_try_send_burst(shmring_t *r, const void *msgs, unsigned n);
SHMRING_API unsigned shmring_try_recv_bulk(shmring_t *r, void *msgs, unsigned n);
SHMRING_API unsigned shmring_try_recv_burst(shmring_t *r, void *msgs, unsigned n);

/*
 * Blocking bulk and burst: a bulk waits until all n move (n <= capacity, else
 * -EINVAL); a burst waits until at least one moves. Return the count moved,
 * or -ETIMEDOUT, -EPERM, -EINVAL.
 */
SHMRING_API int shmring_send_bulk(shmring_t *r, const void *msgs, unsigned n, uint64_t deadline);
SHMRING_API int shmring_send_burst(shmring_t *r, const void *msgs, unsigned n, uint64_t deadline);
SHMRING_API int shmring_recv_bulk(shmring_t *r, void *msgs, unsigned n, uint64_t deadline);
SHMRING_API int shmring_recv_burst(shmring_t *r, void *msgs, unsigned n, uint64_t deadline);

/* --- Information ------------------------------------------------------- */

struct shmring_info {
	uint32_t kind;
	uint32_t layout_version;
	uint64_t capacity;
	uint32_t slot_size;
	uint32_t slot_stride;
	uint32_t cacheline;
	uint32_t creator_uid;
	uint32_t creator_pid;
	uint32_t max_participants;
	uint64_t ctime_ns;   /* CLOCK_REALTIME at creation */
	uint64_t total_size; /* bytes mapped */
	/* live values, read without stopping the ring: */
	uint64_t produced;   /* producer position (messages sent since creation) */
	uint64_t consumed;   /* consumer position (messages received since creation) */
	uint64_t full_waits; /* times a producer parked on a full ring */
	uint64_t empty_waits; /* times a consumer parked on an empty ring */
	uint64_t wakes;      /* futex wake calls made by either side */
	uint32_t producers;  /* live producer participants */
	uint32_t consumers;  /* live consumer participants */
};

/* Fill *info from the handle's ring (any role). Thread-safe. */
SHMRING_API int shmring_info(shmring_t *r, struct shmring_info *info);

/* Messages in the ring now (a snapshot). Thread-safe. */
SHMRING_API uint64_t shmring_count(shmring_t *r);

/* The ring's slot size in bytes. Thread-safe. */
SHMRING_API uint32_t shmring_slot_size(const shmring_t *r);

/* The ring's capacity in slots. Thread-safe. */
SHMRING_API uint64_t shmring_capacity(const shmring_t *r);

#ifdef __cplusplus
}
#endif

#endif /* SHMRING_RING_H */
