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
 * Names (one URI selects where the ring lives; shmring_create() and
 * shmring_open() take any of them):
 *   "posix:/name" or "/name"  POSIX shared memory (shm_open), /dev/shm/name.
 *                             1..200 characters of [A-Za-z0-9._-] after the
 *                             slash, not "." or "..".
 *   "sysv:KEY"                System V shared memory (shmget) with key KEY,
 *                             decimal or 0x-hex, 1..0xffffffff.
 *   "sysv:@/path" "sysv:@/path#ID"
 *                             the key ftok(path, ID) makes of an existing
 *                             file (ID 1..255, default 1).
 *   "file:/path"              a regular file mapped MAP_SHARED: the ring
 *                             outlives every process (and, flushed, a reboot;
 *                             see shmring_set_flush()). An absolute path of
 *                             at most SHMRING_PATH_MAX bytes without "." or
 *                             ".." components.
 *   "memfd:" "memfd:LABEL"    create only: an anonymous file (memfd_create),
 *                             sealed so that nobody can shrink or grow it. It
 *                             has no name anyone can open; hand it to another
 *                             process with shmring_fd_send()/shmring_fd_recv()
 *                             (LABEL, [A-Za-z0-9._-]{0,64}, only shows in
 *                             /proc/PID/fd).
 *   "anon:"                   create only: shared anonymous memory, inherited
 *                             by children across fork() (see shmring_dup()).
 *   Unlinking: shm_unlink, IPC_RMID, unlink(2); memfd and anon rings go with
 *   their last mapping and have nothing to unlink (-EINVAL).
 *
 * Socket channels: the same calls over a connection, where shared memory
 * cannot reach (another container, another host). shmring_create() listens,
 * shmring_open() connects; see "Socket channels" below for what differs.
 *   "unix:/path"              AF_UNIX SOCK_SEQPACKET (one packet per message)
 *                             bound at an absolute path of at most 107 bytes;
 *                             shmring_unlink() removes the socket file
 *                             (-ENOTSOCK if the path is something else).
 *                             create replaces a socket file that nobody
 *                             listens on (a listener that died), and with
 *                             SHMRING_CREATE_REPLACE any socket file (a live
 *                             listener keeps its connections and is reached
 *                             by no new one); anything else is -EEXIST.
 *                             The look is a connect: a live listener counts
 *                             it in sock_refused (it sends no hello).
 *   "unix:@name"              the same in the abstract namespace: no file,
 *                             the name goes with the listener.
 *   "tcp:HOST:PORT"           TCP (length-prefixed frames, TCP_NODELAY);
 *                             HOST a name, an IPv4 address or [IPv6],
 *                             PORT decimal 1..65535; create binds HOST (0.0.0.0:
 *                             every interface). Nothing to unlink (-EINVAL).
 *   "auto:RING?fallback=SOCKET"
 *                             open only (create, unlink: -EINVAL): the ring RING
 *                             (any name above) when it opens, else the
 *                             socket channel SOCKET (see struct
 *                             shmring_open_opts.fallback); shmring_info()
 *                             tells which (transport).
 *
 * Processes and fork: a handle belongs to the process that opened it. A
 * child created by fork() inherits the mapping but not the roles: it takes
 * its own handle with shmring_dup() and may only close the inherited ones
 * (closing one in the child gives nothing back that the parent holds).
 *
 * Concurrency contract, for every call below unless it says otherwise:
 *   - Handles are not shared between threads: each thread that sends or
 *     receives uses its own handle (open the ring again; the mapping is shared
 *     inside the process). A handle may move between threads with external
 *     synchronisation. A handle with both roles is one handle: one thread at
 *     a time uses either side (two threads, one a side, open a handle each).
 *     "Thread-safe" below means with respect to other handles; a call on a
 *     handle another thread is using is not, unless it says so.
 *   - Send calls need a handle opened with SHMRING_PRODUCER, receive calls one
 *     opened with SHMRING_CONSUMER; otherwise they return -EPERM.
 *   - try_* calls never block. A call that moves a message makes no system
 *     call beyond the futex wake of a sleeping peer; a run of calls that move
 *     nothing checks the peers (a few system calls) at most once per recovery
 *     deadline (see "Failure"). The others may block according to the
 *     handle's wait policy; they are not async-signal-safe.
 *   - Calls for fixed slots on a message ring, or message calls on a
 *     fixed-slot ring, return -SHMRING_EKIND (0 / NULL for forms that return a
 *     count or a pointer).
 *   - A shared position found impossible (a corrupt segment) makes the call
 *     that found it return -SHMRING_ECORRUPT (count forms: 0); the next call
 *     looks again, so a handle works as soon as the state is valid.
 *
 * Kinds and how many of each role they allow at a time:
 *   SPSC  1 producer, 1 consumer      MPSC  many producers, 1 consumer
 *   SPMC  1 producer, many consumers  MPMC  many producers, many consumers
 *   MSG   variable-length records; 1 or many of each, chosen at creation.
 * Every message goes to exactly one consumer. Each producer's messages reach
 * any one consumer in the order it sent them. With many producers, a producer
 * that is preempted (or stopped) between claiming a slot and publishing it
 * holds back consumers of that slot, and of the slots after it, until it runs
 * again: claims are ordered, publication is not. With many consumers, one
 * preempted between claiming and releasing a slot likewise holds back
 * producers once the ring wraps to that slot.
 *
 * Failure: a ring survives its participants.
 *   - Every process attached in a role has an entry in the ring's participant
 *     table (pid, process start time, pid namespace, a generation). A process
 *     is judged dead when its pid is gone, is a zombie, or now belongs to a
 *     process with another start time. A process in another pid namespace
 *     cannot be judged and counts as alive; so does a stopped one.
 *   - A claim (a slot or record taken but not yet published or released) of a
 *     dead process is repaired when it is in someone's way: a producer's
 *     claim becomes a skipped slot that consumers drop, a consumer's claim is
 *     released (its message is lost). Waiters check the owners of what holds
 *     them back at least once per recovery deadline (the ring's, set at
 *     create; a handle may set its own), so they move on within about that
 *     long after the death. A live owner's claim is never taken, however
 *     long it is stopped. Each repair is counted (shmring_info()).
 *     A producer whose claim was repaired anyway (it was judged dead while
 *     alive, which takes a forged participant table) gets -SHMRING_EDROPPED
 *     from its publish, and the message is not delivered.
 *   - End-of-stream: once producers have been attached and all of them have
 *     gone (closed or died) and the ring is drained, receive calls return
 *     -EPIPE instead of waiting (count forms return 0); a producer that
 *     attaches later lets consumers go on. Once the consumers a producer
 *     handle has seen attached have all gone, its send calls return -EPIPE
 *     (count forms 0); SIGPIPE is never raised. A producer handle that has
 *     not seen a consumer yet may fill the ring for one to come (a producer
 *     restarted while its consumer is away). A death is noticed by a blocked call within the recovery
 *     deadline, and by try calls (or timed calls that time out) in a loop
 *     at about the same pace (a count of fruitless calls paced to a loop
 *     that spun looks again at most 256 calls on, however slow they
 *     become); a consumer's death also by a producer whose sends still find
 *     room (the send after the look is -EPIPE; a count of sends paced to a
 *     fast run looks again at most 1024 sends on, however slow they
 *     become). A loop that slows down (a back-off after spinning) and
 *     wants the deadline's pace calls shmring_peers_check() now and then.
 */
/*
 * Socket channels ("unix:" and "tcp:" names): the ring's calls over
 * connections, with these differences.
 *   - Roles: the handle shmring_create() returns is the listener and the
 *     consumer (role exactly SHMRING_CONSUMER); each shmring_open() is one
 *     connection and one producer (role exactly SHMRING_PRODUCER). Other
 *     roles are -EOPNOTSUPP. The listener takes as many producers as the
 *     kind allows: SPSC, SPMC and MSG without MULTI_PRODUCER one at a time
 *     (a second open is refused with -EBUSY until the first has closed),
 *     the others up to 1024 connections (-EUSERS beyond, and for any
 *     connection while the listener's process has no descriptor left).
 *   - Messages: the kind and slot size are the ring's (fixed kinds exactly
 *     slot_size bytes, MSG 0..slot_size bytes and a type; -EMSGSIZE as on a
 *     ring). capacity is recorded and checked by shmring_open_ex(), but the
 *     kernel's socket buffers bound what is in flight: a try send returns
 *     -EAGAIN and a blocking one sleeps when they are full.
 *   - Opening checks the channel in a handshake: the listener refuses a
 *     connector that expects another kind (-SHMRING_EKIND), slot size or
 *     capacity (-SHMRING_EMISMATCH), a role it does not take (-EPERM), a
 *     second producer of a single-producer kind (-EBUSY). A peer that is no
 *     shmring listener is -EPROTO (-SHMRING_EVERSION: another protocol
 *     version), one that closes the connection without an answer (a
 *     listener going away) -ECONNRESET, one that does not answer within
 *     5 s -ETIMEDOUT; nobody
 *     there is -ENOENT (unix: no socket file) or -ECONNREFUSED, a tcp: host
 *     name that does not resolve -ENXIO. The listener
 *     accepts and checks connections in a thread of its own (started by
 *     create, stopped by close), so an open never waits for the consumer
 *     to call in.
 *   - A connection that sends what is not the channel's (a frame longer
 *     than slot_size, bytes that are no frame, a stream that stops inside
 *     a frame, a wrong handshake) is closed and counted (shmring_info():
 *     sock_errors, sock_refused); the listener goes on with the others.
 *   - End-of-stream: once producers have connected and all have closed (or
 *     died: the kernel closes their sockets) and what they sent is
 *     received, receives return -EPIPE (count forms 0); a producer that
 *     connects later lets the consumer go on. A producer's sends return
 *     -EPIPE once the listener has closed its connection; SIGPIPE is never
 *     raised.
 *   - Each producer's messages arrive in the order it sent them; the
 *     listener serves its connections in turn. Bulk receives are all or
 *     nothing as on a ring: what a bulk found too few of stays in the
 *     handle for the next receive. A send the socket took only part of is
 *     finished by the handle before anything else it sends; close waits up
 *     to 5 s for it.
 *   - Blocking and timed calls sleep in the kernel until the deadline
 *     (poll, epoll, or the receive itself with a receive timeout); the
 *     wait policy does not apply.
 *   - Not on a socket handle: zero-copy (reserve and peek calls return
 *     NULL or 0, commit and release -EOPNOTSUPP), shmring_dup(),
 *     shmring_fd_send(), shmring_flush(), shmring_set_flush(),
 *     shmring_set_recovery() and shmring_participants() (-EOPNOTSUPP), and
 *     doorbells (-EPERM). shmring_count() is what the listener holds
 *     received but not yet taken.
 */
#ifndef SHMRING_RING_H
#define SHMRING_RING_H

#include "common.h"

#include <sys/types.h> /* ssize_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shmring shmring_t;

/* Ring kinds, recorded in the segment header at creation. */
enum shmring_kind {
	SHMRING_KIND_SPSC = 1, /* one producer, one consumer, fixed-size slots */
	SHMRING_KIND_MPSC = 2, /* many producers, one consumer, fixed-size slots */
	SHMRING_KIND_SPMC = 3, /* one producer, many consumers, fixed-size slots */
	SHMRING_KIND_MPMC = 4, /* many producers, many consumers, fixed-size slots */
	SHMRING_KIND_MSG = 5,  /* variable-length records; see the MULTI flags */
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
	/* Unlink an existing ring of that name first. Only a ring, or a segment
	 * that is empty or whose magic is zero and every byte past the header
	 * too (a creator that died before its header) is removed; anything
	 * else is refused and left as it is:
	 * -SHMRING_EKIND (a synchronization object), -SHMRING_EBADMAGIC
	 * (another program's data; a FIFO, socket, device, directory or
	 * symbolic link under the name). */
	SHMRING_CREATE_REPLACE = 1u << 1,
	/* SHMRING_KIND_MSG: allow many producers / many consumers (default one
	 * of each). The fixed kinds imply them; giving one a fixed kind does not
	 * allow is -EINVAL. */
	SHMRING_CREATE_MULTI_PRODUCER = 1u << 2,
	SHMRING_CREATE_MULTI_CONSUMER = 1u << 3,
	/* Open-or-create: when a ring of that name exists, open it instead.
	 * It must have the kind, slot size, capacity and MULTI flags asked for:
	 * -SHMRING_EKIND / -SHMRING_EMISMATCH otherwise. A segment of that
	 * name whose creator died before publishing its header (still all zero
	 * after the creator's grace second, or whole but for its magic; a
	 * duplex's also zero but for its direction 1 header) is replaced; one
	 * whose header is zero but not the rest is another program's:
	 * -SHMRING_EBADMAGIC. A creator holds its new object's lock (flock)
	 * until its header is published, and an object whose lock is held is
	 * never taken for a dead creator's (POSIX and file: names); nor is a
	 * System V segment whose maker lives and is attached to it, nor a
	 * segment made less than two seconds ago (where the file system keeps
	 * birth times). Only the segment judged is removed: several processes
	 * taking the name over at once take turns on its lock, and open the
	 * first one's new ring rather than refuse it. A name a live creator
	 * holds for longer than open-or-create's rounds (about eight seconds)
	 * is -EAGAIN (still being created, as an open says).
	 * Named backends only. */
	SHMRING_CREATE_OPEN_EXISTING = 1u << 4,
	/* Explicit huge pages (hugetlb): memfd, anon, sysv, and file: on a
	 * hugetlbfs mount. Without HUGE_FALLBACK, -ENOMEM when too few huge
	 * pages are reserved (/proc/sys/vm/nr_hugepages) and -EOPNOTSUPP on
	 * posix: (tmpfs) and on a file outside hugetlbfs. The size is rounded
	 * up to whole huge pages. */
	SHMRING_CREATE_HUGE = 1u << 5,
	/* With HUGE: use normal pages when huge ones cannot be had
	 * (shmring_info().page_size tells which were used). */
	SHMRING_CREATE_HUGE_FALLBACK = 1u << 6,
	/* Lock the creator's mapping in memory (mlock): -ENOMEM / -EPERM
	 * when RLIMIT_MEMLOCK does not allow it. */
	SHMRING_CREATE_MLOCK = 1u << 7,
	/* Poll-only: no participant may park, so neither side ever looks for
	 * sleepers. Blocking and timed calls spin, then yield; the default
	 * wait policy is SHMRING_WAIT_YIELD, and asking for ADAPTIVE or PARK
	 * (shmring_set_wait()) or a doorbell is -EOPNOTSUPP. For pinned
	 * busy-polling processes with CPUs to spare, like io_uring's SQPOLL. */
	SHMRING_CREATE_POLL_ONLY = 1u << 8,
	/* SHMRING_KIND_SPSC only (-EINVAL otherwise): the dense slot layout.
	 * Payloads lie back to back (the slot size rounded up to 8 bytes
	 * each) with no per-slot stamp, and the producer publishes its
	 * position with every send. Batches and small messages move fewer
	 * cache lines; a single 64-byte message at a time moves more (the
	 * position's line with each one): docs/BENCHMARKS.md has the figures.
	 * The calls, their results and the failure semantics are the same;
	 * the inline paths of shmring/lane.h hand every call to the library.
	 * Readers built before this flag refuse such a ring (-SHMRING_EVERSION). */
	SHMRING_CREATE_DENSE = 1u << 9,
	/* Reported, not chosen here: shmring_info() sets it on either
	 * direction of a duplex (shmring_duplex_create()); shmring_create()
	 * refuses it (-EINVAL). */
	SHMRING_CREATE_DUPLEX = 1u << 10,
};

#define SHMRING_MAX_SLOT_SIZE 65536u
#define SHMRING_PATH_MAX 1024u /* longest path of a file: or sysv:@ name */
#define SHMRING_MAX_CAPACITY (1ull << 30)
#define SHMRING_DEFAULT_MODE 0600

/*
 * Fixed kinds: slot_size bytes per message, capacity slots.
 * SHMRING_KIND_MSG: capacity is the bytes of the record area (a power of two,
 * SHMRING_MSG_MIN_CAPACITY..SHMRING_MAX_CAPACITY) and slot_size the largest
 * record payload (records carry 0..slot_size bytes). A record takes 16 bytes
 * of header plus its payload rounded up to 16, and the area must hold two of
 * the largest (see shmring_msg_span()).
 */
#define SHMRING_MSG_MIN_CAPACITY 64u

struct shmring_opts {
	uint32_t kind;      /* enum shmring_kind; 0 means SPSC */
	uint32_t slot_size; /* bytes per message (MSG: largest payload), 1..SHMRING_MAX_SLOT_SIZE */
	uint64_t capacity;  /* slots (MSG: bytes), a power of two, 2..SHMRING_MAX_CAPACITY */
	uint32_t mode;      /* permission bits; 0 means SHMRING_DEFAULT_MODE */
	uint32_t flags;     /* enum shmring_create_flags */
	uint64_t recovery_ns; /* recovery deadline (see "Failure" below); 0 means
			       * SHMRING_DEFAULT_RECOVERY_NS, else 100 us..60 s */
	uint32_t notifier;    /* enum shmring_notifier: how sleepers are woken */
	uint32_t reserved0;   /* must be zero */
	uint64_t reserved[2]; /* must be zero */
};

/*
 * How a process parked on an empty (full) ring is woken, chosen at creation
 * for every participant. Each keeps the sleeper count of the eventcount, so
 * a sender makes a system call only when someone sleeps.
 *   FUTEX    the eventcount's own futex word (default; the fastest).
 *   PSEM     a process-shared POSIX semaphore (sem_init) in the segment.
 *   SYSVSEM  a System V semaphore set made at create (semget), for where
 *            futexes are not available to the participants; removed by
 *            shmring_unlink(). Named backends only (-EOPNOTSUPP on memfd:
 *            and anon:, whose rings have no unlink to remove the set).
 */
enum shmring_notifier {
	SHMRING_NOTIFIER_FUTEX = 0,
	SHMRING_NOTIFIER_PSEM = 1,
	SHMRING_NOTIFIER_SYSVSEM = 2,
};

/* The default recovery deadline: 5 ms. */
#define SHMRING_DEFAULT_RECOVERY_NS UINT64_C(5000000)

/*
 * Create a ring; creation is exclusive (-EEXIST if the name is taken) unless
 * SHMRING_CREATE_REPLACE or SHMRING_CREATE_OPEN_EXISTING. Space is reserved
 * before the header is written (fallocate on tmpfs and files), so a full
 * /dev/shm or disk fails here with -ENOSPC instead of a SIGBUS later, and a
 * ring whose pages are memory (memfd, anon, System V, tmpfs) larger than the
 * memory available with the free swap with -ENOMEM. The permission bits are exactly opts->mode (the umask does not apply). role
 * as for shmring_open(). On success *out is a new handle.
 * Errors: -EINVAL (bad name, options or role), -EEXIST, -ENOSPC, -EACCES,
 * -ENOMEM, -EMFILE, -EOPNOTSUPP (an option the backend cannot do),
 * -EPROTONOSUPPORT (an unknown scheme), with REPLACE -SHMRING_EKIND and
 * -SHMRING_EBADMAGIC (what has the name is not a ring: left alone), and with
 * OPEN_EXISTING those of shmring_open_ex(). Thread-safe.
 */
SHMRING_API int shmring_create(const char *uri, const struct shmring_opts *opts, unsigned role,
			       shmring_t **out);

/*
 * Open an existing ring. The header is validated before anything else is read
 * from the segment: -ENOENT (no such ring), -SHMRING_EBADMAGIC,
 * -SHMRING_EVERSION, -SHMRING_ECHECK, -SHMRING_EGEOMETRY, -SHMRING_ETRUNCATED,
 * -SHMRING_ECORRUPT, -SHMRING_EOWNER, -SHMRING_EFOREIGN (another user's
 * ring; see shmring_open_ex()), -EAGAIN (the creator has not finished
 * initialising the header). A name (POSIX or file:) that is not a regular
 * file is never opened: -EBADF (a FIFO, socket or device), -EISDIR (a
 * directory), -ELOOP (a symbolic link: none is followed). A role the kind
 * does not allow a second time (a second live producer on an SPSC ring)
 * gives -EBUSY; the slot of a process that died is taken over. A role the
 * kind allows many of takes a free entry of the participant table
 * (SHMRING_DEFAULT_PARTICIPANTS entries, two of which are kept for the
 * single roles): -EUSERS when none is left. Each
 * handle takes its own entry, also within one process. A second open of the
 * same ring in one process shares its mapping and validates it as the first
 * did; a header other than the one the first open validated (the segment was
 * rewritten since) is -SHMRING_ECHECK. Thread-safe.
 */
SHMRING_API int shmring_open(const char *uri, unsigned role, shmring_t **out);

/* Open flags (struct shmring_open_opts). */
enum shmring_open_flags {
	SHMRING_OPEN_PREFAULT = 1u << 0,  /* map with every page present (MAP_POPULATE) */
	SHMRING_OPEN_MLOCK = 1u << 1,     /* lock this process's mapping in memory */
	SHMRING_OPEN_ANY_OWNER = 1u << 2, /* allow a ring created by another user */
	SHMRING_OPEN_NOWAIT = 1u << 3,    /* a creator still writing the ring: -EAGAIN at once */
};

struct shmring_open_opts {
	uint32_t flags;     /* enum shmring_open_flags */
	uint32_t kind;      /* the kind expected (-SHMRING_EKIND if another); 0: any */
	uint32_t slot_size; /* expected slot size (-SHMRING_EMISMATCH if another); 0: any */
	uint32_t reserved0; /* must be zero */
	uint64_t capacity;  /* expected capacity (-SHMRING_EMISMATCH if another); 0: any */
	uint64_t reserved[3]; /* must be zero */
	/* added with the socket channels: a socket channel URI ("unix:..." or
	 * "tcp:...") to open instead when the ring does not open (-ENOENT,
	 * -EACCES, -EPERM, -SHMRING_EFOREIGN): the same program runs where
	 * shared memory cannot reach. NULL: none. An "auto:" URI's fallback
	 * wins. */
	const char *fallback;
};

/*
 * shmring_open() with options (NULL: none). shmring_open() itself refuses a
 * ring whose segment belongs to another user than the caller's effective
 * user (-SHMRING_EFOREIGN); SHMRING_OPEN_ANY_OWNER allows it (the segment's
 * permissions still apply). Errors as for shmring_open(), plus
 * -SHMRING_EFOREIGN, -SHMRING_EKIND, -SHMRING_EMISMATCH, and -ENOMEM or
 * -EPERM from MLOCK. Thread-safe.
 */
SHMRING_API int shmring_open_ex(const char *uri, unsigned role,
				const struct shmring_open_opts *opts, shmring_t **out);

/*
 * A new handle on r's ring in the calling process, with its own role, as
 * shmring_open() would give: the way to a second handle on a memfd or anon
 * ring, and the way a child after fork() attaches to what it inherited. It
 * takes the header r's open validated and checks the shared indices, as an
 * open does (-SHMRING_ECORRUPT). Thread-safe.
 */
SHMRING_API int shmring_dup(shmring_t *r, unsigned role, shmring_t **out);

/*
 * A duplex: two SPSC rings in one segment, one each way, for request and
 * reply. Slot i of one direction lies next to slot i of the other, so where
 * a slot is at most 32 bytes (payloads of up to 24) a request and its reply
 * share a cache line, as do the next exchange's: a round trip moves about
 * one line where two rings move two (docs/BENCHMARKS.md). The price is
 * density: each direction has half the messages per line of a plain ring,
 * and two streams flowing both ways at once write the same lines (for that,
 * use two rings).
 *
 * End A sends on direction 0 and receives on direction 1, end B the other
 * way; *tx is the end's producer handle, *rx its consumer handle.
 * SHMRING_DUPLEX_OBSERVE takes no role: *tx observes direction 0, *rx
 * direction 1 (for tools: create without attaching, look at both). Each is an
 * ordinary SPSC handle in every respect (every call of this header, the
 * lanes of shmring/lane.h, blocking waits, end-of-stream and EPIPE when the
 * other end goes, shmring_info(), which reports SHMRING_CREATE_DUPLEX and
 * the direction), closed on its own with shmring_close(). One process at a
 * time holds each end (a second is -EBUSY, as for an SPSC role).
 *
 * shmring_duplex_create(): as shmring_create() with opts (kind 0 or
 * SHMRING_KIND_SPSC, capacity and slot size per direction; not
 * SHMRING_CREATE_DENSE or the multi flags: -EINVAL; not the System V
 * notifier: -EOPNOTSUPP), taking end. shmring_duplex_open(): as
 * shmring_open_ex() (opts may be NULL; a socket or auto: URI is
 * -EOPNOTSUPP). shmring_duplex_dup(): the end's handles from any handle r on
 * the duplex (as shmring_dup(): memfd, anon, after fork()). A segment that
 * is not a duplex is -SHMRING_EKIND. shmring_open() of a duplex gives
 * direction 0, as an observer only (a role: -SHMRING_EKIND). On failure
 * *tx and *rx are NULL. Thread-safe.
 */
enum shmring_duplex_end {
	SHMRING_DUPLEX_A = 0,
	SHMRING_DUPLEX_B = 1,
	SHMRING_DUPLEX_OBSERVE = 2,
};
SHMRING_API int shmring_duplex_create(const char *uri, const struct shmring_opts *opts,
				      unsigned end, shmring_t **tx, shmring_t **rx);
SHMRING_API int shmring_duplex_open(const char *uri, unsigned end,
				    const struct shmring_open_opts *opts, shmring_t **tx,
				    shmring_t **rx);
SHMRING_API int shmring_duplex_dup(shmring_t *r, unsigned end, shmring_t **tx, shmring_t **rx);

/*
 * Hand a ring to another process over a Unix-domain socket (SCM_RIGHTS):
 * shmring_fd_send() sends the descriptor of r's segment (posix, file and
 * memfd rings; -EOPNOTSUPP for sysv and anon) as one message on the
 * connected socket sock; shmring_fd_recv() receives one such message and
 * opens the ring in role, validating it as shmring_open_ex() does with opts
 * (NULL: none; the owner check is skipped, the sender chose to share; a
 * fallback is -EINVAL, before anything is received: a descriptor has no
 * name to fall back from). A
 * memfd not sealed against shrinking is refused (-EPERM), so no peer can
 * make this process's accesses to a memfd ring fault; a posix or file
 * ring's descriptor its sender can shrink, as anyone with write access to
 * its name can (see "Truncation" below). A descriptor that is not a regular
 * file is -EBADF, one of a segment that holds no ring (all zero included:
 * nobody is still creating it) -SHMRING_EBADMAGIC, a message that is not shmring_fd_send()'s -EPROTO (it is
 * consumed), a sender that closed the connection -ECONNRESET. Both block on
 * the socket unless it is non-blocking (-EAGAIN). Thread-safe.
 */
SHMRING_API int shmring_fd_send(shmring_t *r, int sock);
SHMRING_API int shmring_fd_recv(int sock, unsigned role, const struct shmring_open_opts *opts,
				shmring_t **out);

/*
 * Close a handle: its role is released and, when it was the process's last
 * handle on that ring, the mapping is released once no thread can still be
 * looking it up. Messages in the ring stay there. NULL is accepted.
 * Zero-copy state still held: a peek is released (with many consumers; with
 * one, the messages stay for the next consumer); a reservation is cancelled:
 * with one producer it is simply never published, with many its claimed
 * slots (records) become skipped ones that consumers drop (counted in
 * shmring_info().cancelled). Nothing held is ever published with what an
 * earlier message left in the slot. Whoever waits on what close gives back,
 * or on the role leaving (end-of-stream, EPIPE), is woken. With a flush
 * policy (shmring_set_flush()) the ring is msynced first. A handle inherited
 * across fork() and closed in the child gives back only the child's memory.
 * Always 0. Thread-safe with respect to other handles. The handle is freed:
 * any later use of r, a second close included, is undefined, as after
 * free().
 */
SHMRING_API int shmring_close(shmring_t *r);

/*
 * Truncation: a process with write access that shrinks a POSIX shared-memory
 * segment or a file under its mappers makes their next access to the lost
 * pages fault (SIGBUS); neither offers a seal against it (memfd rings are
 * sealed, System V segments cannot shrink). Open refuses a segment shorter
 * than its header says (-SHMRING_ETRUNCATED), and `shmring stat` reports it.
 */

/* Remove a ring's name; mappings still open stay valid. Thread-safe. */
SHMRING_API int shmring_unlink(const char *uri);

/* --- Waiting ----------------------------------------------------------- */

enum shmring_wait_mode {
	SHMRING_WAIT_ADAPTIVE = 0, /* spin, then yield, then park on a futex (default) */
	SHMRING_WAIT_SPIN = 1,     /* spin with a pause instruction only, a look after each */
	SHMRING_WAIT_YIELD = 2,    /* spin briefly, then sched_yield() in a loop */
	SHMRING_WAIT_PARK = 3,     /* park after a 1 us look, an attempt every 0.25 us (and the
				    * 2 us re-check of every sleeper) */
};

struct shmring_wait {
	uint32_t mode;     /* enum shmring_wait_mode */
	uint32_t reserved; /* must be zero */
	uint64_t spin_ns;  /* ADAPTIVE/YIELD: longest spin before the next phase; 0 = default;
			    * longer than any wait (up to UINT64_MAX): until the deadline */
};

/* Set the handle's wait policy. Not thread-safe on one handle. */
SHMRING_API int shmring_set_wait(shmring_t *r, const struct shmring_wait *w);

/*
 * A slip for an SPSC consumer that trades latency for throughput. When a
 * one-message receive (shmring_try_recv(), shmring_try_recv_u64(), the
 * lane's inline calls) finds the ring empty after SHMRING_LANE_SLIP_RUN (16)
 * messages or more in a row, the consumer has caught up with a stream; the
 * next `answers` such receives then answer -EAGAIN without looking at the
 * ring, so that the producer gets ahead. A consumer that reads the slot
 * the producer is writing takes its cache line from it, once a message
 * while it keeps up; with a head start the two work on different lines (a
 * stream of 64-byte messages between two threads far apart: about 45 ->
 * 27 ns a message, docs/BENCHMARKS.md). The cost is latency: a message
 * sent during a slip waits for its end, up to `answers` calls (with a
 * pause between calls, about 20-40 ns each). A round trip, where each
 * message follows an empty receive, never slips; blocking and bulk
 * receives never wait for a slip; a producer that leaves ends it (the
 * messages left are taken, then end-of-stream). During a slip the inline
 * calls hand each receive to the library, which gives its answers; a call
 * ends a slip under way. 0 (the default) turns it off; at most 65535. -EINVAL (no handle, too many answers), -ENOTSUP (a
 * socket channel), -SHMRING_EKIND (not SPSC), -EPERM (not a consumer),
 * -EOPNOTSUPP (the dense layout). Not thread-safe on one handle.
 */
SHMRING_API int shmring_set_slip(shmring_t *r, uint32_t answers);

/* --- Durability (file: rings) -------------------------------------------- */

enum shmring_flush_mode {
	SHMRING_FLUSH_NONE = 0,  /* default: the kernel writes back when it likes */
	SHMRING_FLUSH_CLOSE = 1, /* msync at shmring_close() */
	SHMRING_FLUSH_EVERY = 2, /* msync after every `every` messages this handle moves
				  * (a bulk or burst call flushes once, at its end), and
				  * at close */
};

/*
 * A ring in a file survives every process without flushing: what a process
 * wrote is in the page cache when it dies. Flushing (msync MS_SYNC of the
 * whole ring) makes it survive a crash of the machine too, at the cost
 * measured in docs/BENCHMARKS.md. On the other backends memory does not
 * outlive the machine and flushing does nothing. 0 or -EINVAL (unknown
 * mode, EVERY with every 0, another mode with every not 0). Not
 * thread-safe on one handle.
 */
SHMRING_API int shmring_set_flush(shmring_t *r, uint32_t mode, uint32_t every);

/* msync the ring now: 0 or -errno. Thread-safe. */
SHMRING_API int shmring_flush(shmring_t *r);

/* --- Doorbell: a real-time signal when messages arrive ------------------ */

/*
 * For consumers that wait in their own event loop (signalfd + epoll) or on
 * sigtimedwait() rather than in shmring's calls. A consumer handle
 * registers a real-time signal number (SIGRTMIN..SIGRTMAX; shmring uses no
 * signal of its own) and a token; the signal must already be blocked in the
 * calling thread (and should be in every thread of the process: a thread
 * that does not block it may take the signal, which the wait then misses),
 * or -EINVAL. Only a process of the
 * ring's owner user may register (-EPERM), and only in one of the first 64
 * participant entries (-EUSERS).
 *
 * The consumer arms the doorbell before it sleeps: shmring_doorbell_arm()
 * returns 1 when there is something to read already (messages, or
 * end-of-stream to be reported by the next receive), 0 when it is armed and
 * the loop may sleep. A producer that publishes a message after that sends
 * the registered signal once, carrying the token in si_value.sival_int
 * (SI_QUEUE), and disarms it; more messages send nothing more until the
 * consumer arms again, so the signal rate is bounded by the consumer's
 * drains. A signal may come with nothing left to read (a message consumed
 * before it arrived): read until -EAGAIN, then arm. A producer that dies
 * sends nothing: a loop that must learn of it sleeps at most the recovery
 * deadline at a time (a poll timeout) and arms again on waking; the arm
 * then looks at the producers as a blocked receive does, and returns 1 for
 * the end-of-stream the next receive reports.
 *
 * Who is signalled: only a registered consumer that is alive (its pid, start
 * time and pid namespace, and its mapping of this ring, are checked, as for
 * recovery), runs as the signalling process's effective user, and catches
 * or ignores that signal (a forged signal number never ends a process).
 * Registration gives the signal a handler that does nothing where it has
 * its default action, so that a thread that does not block it is not ended
 * by it either; the handler stays after unregistration. The signal goes through its pidfd, so a recycled pid is never
 * signalled (without pidfds, sigqueue() after a fresh check of the start
 * time). A dead registrant is reaped and taken off. Which process an entry
 * names is what the segment says: a peer with write access to it can forge
 * an entry naming another process of that user that maps this ring (an
 * observer, say) and catches or ignores that signal, which then gets it: a
 * spurious wake-up, never a death. A forged entry naming any other process
 * signals nobody.
 *
 * shmring_doorbell_wait() arms and waits with sigtimedwait() for the
 * registered signal until there is something to read (0) or the deadline
 * (-ETIMEDOUT); each sleep lasts at most the recovery deadline. It takes any
 * pending instance of that signal number, so give each ring its own signal
 * number in a process, or use a signalfd and dispatch on the token.
 *
 * None of these is async-signal-safe; they are for synchronous signal
 * handling (signalfd, sigtimedwait), not for signal handlers. Not
 * thread-safe on one handle. close() unregisters.
 */
SHMRING_API int shmring_doorbell_register(shmring_t *r, int signo, int token);

/*
 * A socket doorbell, for event loops that cannot take signals: the same
 * arm-then-one-wake contract as the signal doorbell, but the wake is one
 * byte on a socket that *fd receives: a non-blocking, close-on-exec
 * AF_UNIX datagram socket bound to an abstract address (a fixed prefix and
 * a random token kept in the participant entry). Poll it for reading
 * (epoll, poll, zmq_poll...), read it until -EAGAIN (the byte carries
 * nothing), receive until the ring is empty, then shmring_doorbell_arm()
 * again. A producer never blocks on it: a full socket buffer already holds
 * a byte. Who is rung is judged as for signals (a live consumer of the
 * ring's owner user). Abstract addresses belong to a network namespace:
 * producers in another one (another container) cannot ring it, and its
 * waiter wakes only at its own timeout. Any local process may send the
 * socket a byte: a spurious wake, never a missed one. The socket belongs
 * to the handle: unregister and
 * close() close it; do not close it yourself. Registering again (either
 * kind) replaces the registration. shmring_doorbell_wait() waits on the
 * socket. 0, or the errors of shmring_doorbell_register() (-EINVAL for a
 * NULL fd) and of socket(2) and bind(2). Not thread-safe on one handle.
 */
SHMRING_API int shmring_doorbell_register_fd(shmring_t *r, int *fd);
SHMRING_API int shmring_doorbell_unregister(shmring_t *r);
SHMRING_API int shmring_doorbell_arm(shmring_t *r);
SHMRING_API int shmring_doorbell_wait(shmring_t *r, uint64_t deadline);

/* --- Fixed-slot send and receive (SPSC, MPSC, SPMC, MPMC) -------------- */

/*
 * Copy one message of slot_size bytes in/out. 0 on success, -EAGAIN when the
 * ring is full/empty, -EPIPE when the other side has gone (see "Failure"
 * above), -SHMRING_ECORRUPT when this call found a shared index impossible
 * (reported once; the next call looks again), -SHMRING_EDROPPED (send, many
 * producers) when the claim was repaired before it was published, -EPERM
 * without the role, -EBUSY while the handle holds a zero-copy reservation
 * (send) or peek (receive), -SHMRING_EKIND on a message ring. The
 * one-message calls (these, the _u64 and blocking forms below) are the
 * per-message path and do not check r or msg for NULL: both must be valid,
 * msg pointing to slot_size bytes.
 */
SHMRING_API int shmring_try_send(shmring_t *r, const void *msg);
SHMRING_API int shmring_try_recv(shmring_t *r, void *msg);

/*
 * 8-byte messages by value: as shmring_try_send(r, &v) and
 * shmring_try_recv(r, v), with -EMSGSIZE on a ring whose slots are wider
 * than 8 bytes (where those would read or write past the 8 bytes). Slots
 * narrower than 8 bytes carry the first slot_size bytes of v, and a message
 * received from one fills the first bytes of *v and leaves the rest zero;
 * *v is written only on success. In C11 these are inline, and so are the
 * two calls above for a message of type uint64_t or int64_t
 * (shmring/lane.h says when the latter take the by-value form).
 */
SHMRING_API int shmring_try_send_u64(shmring_t *r, uint64_t v);
SHMRING_API int shmring_try_recv_u64(shmring_t *r, uint64_t *v);

/*
 * Blocking forms: wait, by the handle's policy, until the message fits or one
 * arrives, or until deadline (absolute CLOCK_MONOTONIC ns;
 * SHMRING_NO_DEADLINE waits forever). Signals do not interrupt the wait.
 * 0 on success, -ETIMEDOUT, -EPIPE (the other side has gone; noticed within
 * the recovery deadline), -SHMRING_ECORRUPT, -SHMRING_EDROPPED (as above),
 * -EPERM. While it waits, the call checks its peers once per recovery
 * deadline and repairs the claims of dead ones in its way.
 */
SHMRING_API int shmring_send(shmring_t *r, const void *msg, uint64_t deadline);
SHMRING_API int shmring_recv(shmring_t *r, void *msg, uint64_t deadline);

/*
 * Bulk: all n messages (contiguous, slot_size bytes each) or none; but a
 * bulk receive once every producer has gone takes what is left (fewer than
 * n: nothing more can come), as a read of a pipe does.
 * Burst: as many as fit / are available, up to n. Return the count moved
 * (0 also without the role, while holding a reservation/peek, on a message
 * ring: shmring_last_error() says why). A bulk of more than the capacity
 * never succeeds (returns 0; shmring_last_error(): -EINVAL). With many
 * producers (consumers), the messages of one call occupy consecutive
 * positions: no other producer's (consumer's) message falls between them.
 */
SHMRING_API unsigned shmring_try_send_bulk(shmring_t *r, const void *msgs, unsigned n);
SHMRING_API unsigned shmring_try_send_burst(shmring_t *r, const void *msgs, unsigned n);
SHMRING_API unsigned shmring_try_recv_bulk(shmring_t *r, void *msgs, unsigned n);
SHMRING_API unsigned shmring_try_recv_burst(shmring_t *r, void *msgs, unsigned n);

/*
 * Why the last call of one side of this handle that answers with a count
 * or a pointer moved nothing: the burst and bulk sends and receives,
 * reserve and peek (and their burst forms), and the message ring's
 * reserve, peek, burst and bulk calls. side is SHMRING_PRODUCER or
 * SHMRING_CONSUMER. Returns the -errno its one-message form would have
 * returned: -EAGAIN (full, empty), -EPIPE (no consumer left, end-of-stream),
 * -SHMRING_ECORRUPT, -EPERM (without the role), -EBUSY (a reservation or
 * peek held), -SHMRING_EKIND, -EMSGSIZE, -EINVAL (nothing asked for, or a
 * bulk that never can move: above the capacity), -EOPNOTSUPP (zero-copy on a socket channel); 0
 * when that call moved something, or before any such call; -EINVAL for a
 * NULL handle or another side. Nothing is consumed to find out: a consumer
 * that peeks learns end-of-stream here.
 */
SHMRING_API int shmring_last_error(const shmring_t *r, enum shmring_role side);

/*
 * Blocking bulk and burst: a bulk waits until all n move (n <= capacity, else
 * -EINVAL), or receiving, until every producer has gone: then it takes what
 * is left, fewer than n, and the next call returns -EPIPE; a burst waits
 * until at least one moves. Return the count moved,
 * or -ETIMEDOUT, -EPIPE, -EPERM, -EINVAL (also a NULL handle or msgs, n of
 * 0, n above INT32_MAX, which the count could not return), -EBUSY, -SHMRING_EKIND, -SHMRING_ECORRUPT. A send count includes
 * messages whose claim was repaired before they were published (many
 * producers; see "Failure" above for what causes it).
 */
SHMRING_API int shmring_send_bulk(shmring_t *r, const void *msgs, unsigned n, uint64_t deadline);
SHMRING_API int shmring_send_burst(shmring_t *r, const void *msgs, unsigned n, uint64_t deadline);
SHMRING_API int shmring_recv_bulk(shmring_t *r, void *msgs, unsigned n, uint64_t deadline);
SHMRING_API int shmring_recv_burst(shmring_t *r, void *msgs, unsigned n, uint64_t deadline);

/* --- Fixed-slot zero-copy ----------------------------------------------- */

/*
 * Producer side: shmring_reserve() returns the payload area (slot_size bytes)
 * of the next slot, to be filled in place, or NULL when the ring is full,
 * without the producer role, or on a message ring. shmring_commit() publishes
 * it: 0, or -EINVAL when nothing is reserved. Until the commit, the handle
 * holds the reservation: reserve calls return it again (reserve_burst: the
 * held slots, at most n) and copying sends return -EBUSY.
 *
 * shmring_reserve_burst() reserves up to n consecutive slots and stores their
 * payload addresses in slots[0..k) (consecutive positions, but the addresses
 * jump back to the start of the slot area where the ring wraps); it returns
 * k, 0 when full. shmring_commit_burst(r, m) publishes the first m of them in
 * order. With one producer (SPSC, SPMC) m may be less than k: the rest is
 * given back (all of it when m is 0). With many producers (MPSC, MPMC) the slots are claimed for this
 * handle, consumers wait for them, and m must equal k (-EINVAL otherwise,
 * nothing done). shmring_commit() is shmring_commit_burst(r, 1).
 *
 * Never blocks, no system call beyond waking a sleeping consumer. Not
 * async-signal-safe. A reservation of a producer that dies is lost; with many
 * producers its claim is repaired (see "Failure"). With many producers,
 * commit returns -SHMRING_EDROPPED if any reserved slot was repaired before
 * the commit (the others are published). reserve returns NULL too once the
 * consumers have gone.
 */
SHMRING_API void *shmring_reserve(shmring_t *r);
SHMRING_API int shmring_commit(shmring_t *r);
SHMRING_API unsigned shmring_reserve_burst(shmring_t *r, unsigned n, void **slots);
SHMRING_API int shmring_commit_burst(shmring_t *r, unsigned n);

/*
 * Consumer side: shmring_peek() returns the payload of the next message in
 * place (slot_size bytes, read-only) or NULL when the ring is empty, without
 * the consumer role, or on a message ring (shmring_last_error() says which,
 * and end-of-stream or a corrupt ring besides); shmring_release() gives the slot
 * back to producers: 0, or -EINVAL when nothing is peeked. While a peek is
 * held, peek calls return it again and copying receives return -EBUSY.
 *
 * shmring_peek_burst() / shmring_release_burst(): up to n consecutive
 * messages, addresses as for reserve_burst. With one consumer (SPSC, MPSC)
 * releasing fewer than peeked (none included) leaves the rest in the ring; with many
 * consumers (SPMC, MPMC) the peeked messages are claimed by this handle and m
 * must equal the count peeked (-EINVAL otherwise, nothing done).
 *
 * The memory stays valid and unchanged until the release. Never blocks.
 */
SHMRING_API const void *shmring_peek(shmring_t *r);
SHMRING_API int shmring_release(shmring_t *r);
SHMRING_API unsigned shmring_peek_burst(shmring_t *r, unsigned n, const void **slots);
SHMRING_API int shmring_release_burst(shmring_t *r, unsigned n);

/* --- Message ring (SHMRING_KIND_MSG) ------------------------------------- */

/*
 * Records of 0..slot_size bytes, each with a 32-bit type chosen by the
 * sender. Each record goes to exactly one consumer, whole. Calls below on a
 * fixed-slot ring return -SHMRING_EKIND (0 / NULL for count and pointer
 * forms); without the role, -EPERM (0 / NULL). Same handle rules as above.
 */

/* Bytes one record of len payload bytes takes in the record area
 * (UINT64_MAX where that would not fit 64 bits). */
SHMRING_API uint64_t shmring_msg_span(size_t len);

/*
 * The one-record calls below do not check r or buf for NULL (the
 * per-message path): r must be a handle, and buf may be NULL only when len
 * (cap) is 0; so may a struct shmring_msgvec's buf only with len 0.
 *
 * Send one record: 0, -EAGAIN (not enough room now), -EMSGSIZE (len above the
 * ring's largest record), -EBUSY (a reservation is held), -EPIPE (the
 * consumers have gone), -SHMRING_ECORRUPT, -SHMRING_EDROPPED (as for the
 * fixed kinds). Never blocks.
 */
SHMRING_API int shmring_msg_try_send(shmring_t *r, const void *buf, size_t len, uint32_t type);

/*
 * Receive one record into buf (cap bytes): its length (>= 0), -EAGAIN (empty),
 * -EMSGSIZE (cap too small: the record stays in the ring; with many
 * consumers another one may take it), -EBUSY (a peek is held),
 * -SHMRING_ECORRUPT (the record's header is impossible; the ring cannot be
 * read past it), -EPIPE (end-of-stream). *type receives the record's type when type is not NULL.
 * Never blocks.
 */
SHMRING_API ssize_t shmring_msg_try_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type);

/* Blocking forms, waiting by the handle's policy until deadline: as above,
 * plus -ETIMEDOUT; peers are checked as for the fixed kinds. */
SHMRING_API int shmring_msg_send(shmring_t *r, const void *buf, size_t len, uint32_t type,
				 uint64_t deadline);
SHMRING_API ssize_t shmring_msg_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type,
				     uint64_t deadline);

/*
 * Zero-copy send: shmring_msg_reserve() returns len bytes to fill in place
 * (NULL: full, len too large, no role, wrong kind, or a reservation already
 * held), and shmring_msg_commit() publishes them with type: 0 or -EINVAL
 * (nothing reserved). With many producers the space is claimed at reserve:
 * consumers reach later records only after this one is committed, so commit
 * soon. Records commit in claim order from the consumers' view.
 * With many consumers, another consumer may have probed these bytes as a
 * record header a lap earlier (a claim it then lost) or probe them now (its
 * position went stale while it was preempted), and with many producers
 * another producer may look at them as the stamp where its claim starts
 * (its position went stale a lap ago): it rejects what it reads, and
 * the hardware gives plain stores no trouble, but in C11 terms (and to TSan)
 * a plain store there races with that atomic load. The copying sends write
 * such payloads with relaxed 8-byte atomic stores for this reason; a
 * zero-copy writer that wants to be race-free to the letter does the same
 * (the buffer is 16-byte aligned and padded to 16 bytes).
 */
SHMRING_API void *shmring_msg_reserve(shmring_t *r, size_t len);
SHMRING_API int shmring_msg_commit(shmring_t *r, uint32_t type);

/*
 * Zero-copy receive: shmring_msg_peek() returns the next record in place with
 * its length and type (NULL when empty, no role, wrong kind, or a corrupt
 * record: shmring_msg_try_recv() tells which); it stays valid until
 * shmring_msg_release() (0 or -EINVAL when nothing is peeked). A second peek
 * before the release returns the same record. With many consumers the
 * record is claimed by this handle at peek, and another consumer whose
 * position went stale may still probe these bytes as a record header (a
 * compare-exchange that fails: harmless, but TSan counts it as a write); a
 * zero-copy reader that wants to be race-free to the letter copies the
 * payload with word-sized (8-byte) atomic loads, as the copying receives do
 * (the payload is 16-byte aligned and padded to 16 bytes).
 */
SHMRING_API const void *shmring_msg_peek(shmring_t *r, size_t *len, uint32_t *type);
SHMRING_API int shmring_msg_release(shmring_t *r);

/* One record for the burst and bulk calls. */
struct shmring_msgvec {
	void *buf;     /* send: the payload; receive: where to put it */
	size_t len;    /* send: payload bytes; receive: in, buf's capacity; out, the length */
	uint32_t type; /* send: in; receive: out */
};

/*
 * Burst: send / receive as many of v[0..n) as possible, in order; return the
 * count. A send burst stops at the first record that does not fit now or is
 * too large; a receive burst stops before a record whose buffer is too small
 * (it stays in the ring) or at a corrupt one. Bulk: all n or none (0), but
 * a bulk receive once every producer has gone takes what is left (fewer
 * than n: nothing more can come), as a read of a pipe does; a
 * bulk that never can move (a send whose records' shmring_msg_span()s
 * together pass the area, a receive of more records than the area holds at
 * an empty record's span each) returns 0 with shmring_last_error() -EINVAL.
 * The records of one call occupy consecutive positions of the ring. Never
 * block; shmring_last_error() says why nothing moved.
 */
SHMRING_API unsigned shmring_msg_try_send_burst(shmring_t *r, const struct shmring_msgvec *v,
						unsigned n);
SHMRING_API unsigned shmring_msg_try_recv_burst(shmring_t *r, struct shmring_msgvec *v,
						unsigned n);
SHMRING_API unsigned shmring_msg_try_send_bulk(shmring_t *r, const struct shmring_msgvec *v,
					       unsigned n);
SHMRING_API unsigned shmring_msg_try_recv_bulk(shmring_t *r, struct shmring_msgvec *v,
					       unsigned n);

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
	uint64_t full_waits; /* times a producer committed to park on a full ring */
	uint64_t empty_waits; /* times a consumer committed to park on an empty ring */
	uint64_t wakes;      /* futex wake calls made by either side (at most one per park) */
	uint32_t producers;  /* live producer participants */
	uint32_t consumers;  /* live consumer participants */
	/* added with the multi kinds: */
	uint32_t flags;      /* SHMRING_CREATE_MULTI_*, _POLL_ONLY and _DENSE in effect for this ring */
	uint32_t group_slots; /* fixed slots: how many lie in one slot_stride (7 or 3 in
			       * an SPSC ring grouped under stamps, else 1); MSG: 0 */
	uint64_t released;   /* MSG with many consumers: bytes released to producers */
	/* added with failure recovery (layout 2): */
	uint64_t recovery_ns;   /* the ring's recovery deadline */
	uint64_t prod_repairs;  /* claims of dead producers turned into skipped slots */
	uint64_t cons_repairs;  /* claims of dead consumers released (messages lost) */
	uint64_t skipped;       /* skipped slots / records dropped by consumers */
	uint64_t cancelled;     /* reservations cancelled by close */
	uint64_t reaped;        /* dead participants found and reaped */
	uint64_t stall_pos;     /* position a waiter is held back at by a claim */
	uint64_t stall_ns;      /* for how long (0: nobody is held back now) */
	uint64_t stall_max_ns;  /* the longest such stall that ended */
	uint32_t stall_pid;     /* pid holding that claim (0: unknown) */
	uint32_t stall_side;    /* SHMRING_PRODUCER or SHMRING_CONSUMER: who is held back */
	bool producers_gone;    /* producers attached once and none is left */
	bool consumers_gone;    /* consumers attached once and none is left */
	/* added with the backends: */
	uint32_t backend;       /* enum shmring_backend */
	uint32_t page_size;     /* bytes per page of this process's mapping */
	uint32_t owner_uid;     /* the segment's owner, as the OS reports it */
	uint32_t mode;          /* the segment's permission bits */
	/* added with the notifiers and the doorbell (layout 3): */
	uint32_t notifier;      /* enum shmring_notifier */
	uint32_t reserved1;
	uint64_t bell_signals;  /* doorbell signals sent to consumers */
	/* added with the unfenced fast path (layout 4): */
	uint64_t late_wakes;    /* this handle: sleeps that ended on their short
				 * first timeout rather than a wake, with the wait
				 * over: wake-ups a notifier missed, or answers
				 * that came just then (shmring(7)) */
	/* added with the socket channels: */
	uint32_t transport;     /* enum shmring_transport */
	uint32_t sock_conns;    /* listener: connections served now */
	uint64_t sock_accepted; /* listener: connections accepted (handshake passed) */
	uint64_t sock_refused;  /* listener: connections refused at the handshake */
	uint64_t sock_errors;   /* listener: connections closed for what they sent */
	/* added with the duplex: */
	uint32_t direction;     /* SHMRING_CREATE_DUPLEX: this ring's direction
				 * (0: end A sends on it, 1: end B does); else 0 */
	uint32_t reserved2;
};

/*
 * What a handle's messages travel through. On a socket channel the fields
 * of struct shmring_info that describe a segment are 0 (backend, page_size,
 * total_size, owner_uid, mode, ...); produced and consumed count the
 * messages this handle sent and received, producers the live connections.
 */
enum shmring_transport {
	SHMRING_TRANSPORT_SHM = 1,  /* a ring in shared memory */
	SHMRING_TRANSPORT_UNIX = 2, /* unix: AF_UNIX SOCK_SEQPACKET */
	SHMRING_TRANSPORT_TCP = 3,  /* tcp: */
};

/* Where a ring lives (the URI scheme it was opened by). */
enum shmring_backend {
	SHMRING_BACKEND_POSIX = 1,
	SHMRING_BACKEND_SYSV = 2,
	SHMRING_BACKEND_FILE = 3,
	SHMRING_BACKEND_MEMFD = 4,
	SHMRING_BACKEND_ANON = 5,
};

/* One entry of the participant table, as shmring_participants() reports it. */
struct shmring_participant {
	uint32_t index;     /* entry in the table (the owner stamped in claims) */
	uint32_t pid;
	uint32_t role;      /* SHMRING_PRODUCER and/or SHMRING_CONSUMER */
	uint32_t gen;       /* claims of this entry so far */
	uint32_t state;     /* enum shmring_part_state */
	uint32_t parked;    /* 1: asleep waiting for messages, 2: for room, 0: not */
	uint64_t attach_ns; /* CLOCK_REALTIME when it attached */
	uint64_t claim_pos; /* the range of its latest claim ... */
	uint64_t claim_end; /* ... [claim_pos, claim_end) (empty when equal): held
			     * while those positions are not yet published
			     * (producer) or released (consumer) */
};

enum shmring_part_state {
	SHMRING_PART_ALIVE = 1,   /* running or stopped: its claims are never taken */
	SHMRING_PART_DEAD = 2,    /* exited; its claims are repaired when in the way */
	SHMRING_PART_REAPED = 3,  /* exited and already subtracted from the counts */
	SHMRING_PART_UNKNOWN = 4, /* in another pid namespace: treated as alive */
};

/*
 * Copy up to n occupied entries of the participant table into out[]; returns
 * how many were copied (0..n) or -EINVAL. Each entry's state is judged now
 * (a system call or two per entry). Each entry is read once into a snapshot
 * whose state is the one judged for the pid it reports; an entry whose owner
 * changed under every one of a few reads is left out, and one still being
 * claimed reports 0 for gen, parked, attach_ns and its claim range (the
 * previous owner's may still be there). An entry marked reaped is judged
 * again too: one whose process still runs with the entry's start time and
 * maps the ring (a mark forged on a live participant's entry) reports ALIVE.
 * Thread-safe.
 */
SHMRING_API int shmring_participants(shmring_t *r, struct shmring_participant *out, unsigned n);

/*
 * Set this handle's recovery deadline (0: back to the ring's own). Not
 * thread-safe on one handle. 0 or -EINVAL (outside 100 us..60 s).
 */
SHMRING_API int shmring_set_recovery(shmring_t *r, uint64_t recovery_ns);

/*
 * Look at the peers now, as a waiting call does: reap participants that
 * died and repair what they held. For a program that sends or receives only
 * now and then (between reads of its own input, say), which a send that
 * finds room or a receive that finds a message does not tell of a death
 * until its next paced look. 0; -EPIPE: a producer handle whose consumers
 * (once one attached) have all gone, or a consumer handle at end-of-stream
 * (every producer gone, nothing left); -SHMRING_ECORRUPT; -EINVAL (NULL);
 * -EOPNOTSUPP (a socket channel: its calls see the peer's close). An
 * observer handle only reaps: 0. Not thread-safe on one handle.
 */
SHMRING_API int shmring_peers_check(shmring_t *r);

/*
 * For a message ring, capacity is bytes, slot_size the largest payload,
 * slot_stride the record alignment, and produced/consumed (and
 * shmring_count()) are byte positions, padding included. With many producers,
 * produced counts claims, some perhaps not yet published; with many
 * consumers, consumed counts claims, some perhaps still being read.
 */

/* Fill *info from the handle's ring (any role). Thread-safe (with respect to
 * other handles: the handle's own counts are read as they are). */
SHMRING_API int shmring_info(shmring_t *r, struct shmring_info *info);

/* Messages (MSG: bytes) in the ring now (a snapshot). Thread-safe, as
 * shmring_info(). This and the two below return 0 for a NULL handle. */
SHMRING_API uint64_t shmring_count(shmring_t *r);

/* The ring's slot size in bytes. Thread-safe, even on a handle in use. */
SHMRING_API uint32_t shmring_slot_size(const shmring_t *r);

/* The ring's capacity in slots (MSG: bytes). Thread-safe, even on a handle
 * in use. */
SHMRING_API uint64_t shmring_capacity(const shmring_t *r);

#ifdef __cplusplus
}
#endif

#endif /* SHMRING_RING_H */
