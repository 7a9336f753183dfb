/* SPDX-License-Identifier: MIT */
/*
 * src/bench/rings.h - the rings both kinds of run measure, and the one list
 * of their mechanisms.
 *
 * A transport is one ring family behind one interface: shmring's rings (by
 * kind, with a wait policy, a notifier or the doorbell), DPDK rte_ring,
 * Concurrency Kit ck_ring and boost::lockfree::spsc_queue. The parent
 * creates n rings before fork; each process opens the one it uses, as a
 * producer or a consumer, as unrelated processes would. The loops of `shmring bench` (mech_ring.c: busy-poll,
 * blocking calls, bursts) and of `shmring bench --scaling` (scale_mechs.c:
 * busy-poll, sched_yield(), blocking calls) are written once over it.
 *
 * SHMRING_BENCH_RINGS below has one line per ring mechanism, from which both
 * tables are built: adding a ring, a wait policy or a peer ring is one line
 * (and, for a new family, its transport).
 */
#ifndef SHMRING_BENCH_RINGS_H
#define SHMRING_BENCH_RINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <shmring/shmring.h>

/* Who will use the rings: more than one producer, more than one consumer. */
enum { SHMRING_BENCH_RING_MP = 1u << 0, SHMRING_BENCH_RING_MC = 1u << 1 };

/* How a mechanism waits when its ring is full or empty. */
enum shmring_bench_ring_style {
	SHMRING_BENCH_RING_BUSY,  /* the try_ calls, with a pause between attempts */
	SHMRING_BENCH_RING_YIELD, /* the try_ calls, sched_yield() between attempts */
	SHMRING_BENCH_RING_BLOCK, /* the transport's blocking calls */
};

/* Which sides of a line's rings go through lanes. */
#define SHMRING_BENCH_LANE_BOTH 1u
#define SHMRING_BENCH_LANE_SEND 2u

/* A shmring ring's options (the peers have none). */
struct shmring_bench_ring_opts {
	uint32_t kind;     /* enum shmring_kind */
	uint32_t wait;     /* enum shmring_wait_mode of the blocking calls */
	uint32_t notifier; /* enum shmring_notifier */
	unsigned bell;     /* blocking receive by the doorbell: BELL_WAIT or BELL_EPOLL */
	unsigned lane;     /* SPSC: single messages through the inline path (shmring/lane.h):
			    * SHMRING_BENCH_LANE_BOTH or _SEND (sends alone); 0: none */
	uint32_t flags;    /* SHMRING_CREATE_* of the ring's layout (SPSC: _DENSE, _DUPLEX) */
	uint32_t slip;     /* SPSC consumers: shmring_set_slip() answers (0: none) */
};

#define SHMRING_BENCH_BELL_WAIT 1u  /* shmring_doorbell_wait() (sigtimedwait) */
#define SHMRING_BENCH_BELL_EPOLL 2u /* a signalfd in an epoll loop */

/* The most messages one burst moves. */
#define SHMRING_BENCH_RING_MAX_BATCH 64u

struct shmring_bench_transport;

/* n rings made by the parent before fork (copied by it). */
struct shmring_bench_rings {
	const struct shmring_bench_transport *t;
	const struct shmring_bench_ring_opts *o;
	unsigned n, size, hints; /* hints: SHMRING_BENCH_RING_MP | _MC */
	void *shm;               /* the peers: one shared mapping of n rings */
	size_t shm_len;
	char uri[2][64];         /* shmring: the rings' names */
	int obj[2];              /* and their handles in the registry of named objects */
};

/* One process's end of ring i. */
struct shmring_bench_ring_end {
	const struct shmring_bench_rings *r;
	unsigned i;
	bool producer;
	bool block;  /* will use the blocking calls: set the wait policy */
	void *ring;  /* the transport's handle */
	void *local; /* the transport's per-process state */
};

/*
 * A ring family. create: 0, -errno, or 1 to skip with why. try_send and
 * try_recv: 0, -EAGAIN, or -errno (-EBADMSG for a record of another length
 * than r->size). send and recv (NULL: no blocking form) wait until deadline
 * (CLOCK_MONOTONIC ns): then -ETIMEDOUT. The bursts (NULL: none) move up to
 * n messages of contiguous buffer: how many, or -EBADMSG.
 */
struct shmring_bench_transport {
	int (*create)(struct shmring_bench_rings *r, char *why, size_t wl);
	void (*destroy)(struct shmring_bench_rings *r);
	int (*open)(struct shmring_bench_ring_end *e);
	void (*close)(struct shmring_bench_ring_end *e);
	int (*try_send)(struct shmring_bench_ring_end *e, const void *msg);
	int (*try_recv)(struct shmring_bench_ring_end *e, void *msg);
	int (*send)(struct shmring_bench_ring_end *e, const void *msg, uint64_t deadline_ns);
	int (*recv)(struct shmring_bench_ring_end *e, void *msg, uint64_t deadline_ns);
	int (*try_send_burst)(struct shmring_bench_ring_end *e, const void *msgs, unsigned n);
	int (*try_recv_burst)(struct shmring_bench_ring_end *e, void *msgs, unsigned n);
};

/* Each transport's largest message, SHMRING_BENCH_MAX_SIZE_<transport>:
 * 0 = no limit of its own. */
#define SHMRING_BENCH_MAX_SIZE_shmring SHMRING_MAX_SLOT_SIZE
#define SHMRING_BENCH_MAX_SIZE_dpdk 0u
#define SHMRING_BENCH_MAX_SIZE_ck 0u
#define SHMRING_BENCH_MAX_SIZE_boost 0u

/* Each transport's reach, SHMRING_BENCH_SPSC_ONLY_<transport>: 1 for a queue
 * of one producer and one consumer, which the scaling runs (many producers,
 * or many consumers) list as skipped. */
#define SHMRING_BENCH_SPSC_ONLY_shmring 0
#define SHMRING_BENCH_SPSC_ONLY_dpdk 0
#define SHMRING_BENCH_SPSC_ONLY_ck 0
#define SHMRING_BENCH_SPSC_ONLY_boost 1

extern const struct shmring_bench_transport shmring_bench_transport_shmring;
#ifdef SHMRING_HAVE_DPDK_RING
extern const struct shmring_bench_transport shmring_bench_transport_dpdk;
#endif
#ifdef SHMRING_HAVE_CK
extern const struct shmring_bench_transport shmring_bench_transport_ck;
#endif
#ifdef SHMRING_HAVE_BOOST
extern const struct shmring_bench_transport shmring_bench_transport_boost;
#endif

/* Create n rings of size-byte messages for a line of the list into *priv
 * (a struct shmring_bench_rings, freed by shmring_bench_rings_destroy,
 * which clears it); as create. */
struct shmring_bench_ring_line;
int shmring_bench_rings_create(const struct shmring_bench_ring_line *l, unsigned n, unsigned size,
			       unsigned hints, void **priv, char *why, size_t wl);
void shmring_bench_rings_destroy(void **priv);
/* Open ring i of r into a fresh *out (closed and freed by ring_close). */
int shmring_bench_ring_open(const struct shmring_bench_rings *r, unsigned i, bool producer,
			    bool block, struct shmring_bench_ring_end **out);
void shmring_bench_ring_close(struct shmring_bench_ring_end *e);

/* What one line of the list gives both kinds of run. */
struct shmring_bench_ring_line {
	const struct shmring_bench_transport *t;
	struct shmring_bench_ring_opts o;
	unsigned style; /* enum shmring_bench_ring_style */
	unsigned batch; /* > 0: bursts of up to this many (`shmring bench`, throughput only) */
};

/*
 * The list, one line per ring mechanism:
 *   X(id, transport, (options), style, batch,
 *     pair, name, description,            - in `shmring bench`: PAIR, PAIR_FLOOR
 *                                           (its round trip also set against
 *                                           the floor) or NOPAIR
 *     section, name, description,         - in --scaling: its section or NONE
 *     max consumers, max size)            - --scaling: 1 single-consumer, 0 any;
 *                                           largest message, 0 the transport's
 * `shmring bench` runs them in this order; --scaling by section: busy-polling
 * shmring rings (BUSY_RING), peers (BUSY_PEER), the message ring (BUSY_MSG),
 * then those that yield or block in the same order (WAIT_*). MPSC, SPMC and
 * MPMC run in `shmring bench` with one producer and one consumer: the cost
 * of their many-party protocol against SPSC; their scaling with many
 * processes is --scaling. The peers run in --scaling in their
 * multi-producer form throughout, except a single-producer single-consumer
 * queue (SHMRING_BENCH_SPSC_ONLY_<transport>), which is listed there as
 * skipped.
 */
#define SHMRING_BENCH_BATCH 32u

#ifdef SHMRING_HAVE_DPDK_RING
#define SHMRING_BENCH_IF_DPDK(...) __VA_ARGS__
#else
#define SHMRING_BENCH_IF_DPDK(...)
#endif
#ifdef SHMRING_HAVE_CK
#define SHMRING_BENCH_IF_CK(...) __VA_ARGS__
#else
#define SHMRING_BENCH_IF_CK(...)
#endif
#ifdef SHMRING_HAVE_BOOST
#define SHMRING_BENCH_IF_BOOST(...) __VA_ARGS__
#else
#define SHMRING_BENCH_IF_BOOST(...)
#endif

#define SHMRING_BENCH_RINGS(X)                                                                     \
	X(spsc, shmring, (.kind = SHMRING_KIND_SPSC), BUSY, 0, PAIR_FLOOR, "shmring-spsc",         \
	  "shmring SPSC ring, busy-poll (try_send/try_recv with pause)", NONE, NULL, NULL, 0, 0)   \
	X(spsc_lane, shmring, (.kind = SHMRING_KIND_SPSC, .lane = SHMRING_BENCH_LANE_BOTH), BUSY, 0, PAIR_FLOOR,         \
	  "shmring-spsc-lane",                                                                     \
	  "shmring SPSC ring, busy-poll, the calls inline (shmring/lane.h)", NONE, NULL, NULL, 0,  \
	  0)                                                                                       \
	X(spsc_lane_send, shmring, (.kind = SHMRING_KIND_SPSC, .lane = SHMRING_BENCH_LANE_SEND),   \
	  BUSY, 0, PAIR_FLOOR, "shmring-spsc-lane-send",                                           \
	  "shmring SPSC ring, busy-poll, the sends inline, the receives the library's",           \
	  NONE, NULL, NULL, 0, 0)                                                                  \
	X(spsc_poll, shmring, (.kind = SHMRING_KIND_SPSC, .flags = SHMRING_CREATE_POLL_ONLY), BUSY, \
	  0, PAIR_FLOOR, "shmring-spsc-poll",                                                      \
	  "shmring SPSC ring created poll-only (SHMRING_CREATE_POLL_ONLY: nobody parks), busy-poll", \
	  NONE, NULL, NULL, 0, 0)                                                                  \
	X(spsc_lane_poll, shmring,                                                                 \
	  (.kind = SHMRING_KIND_SPSC, .flags = SHMRING_CREATE_POLL_ONLY, .lane = SHMRING_BENCH_LANE_BOTH), BUSY, 0,      \
	  PAIR_FLOOR,                                                                              \
	  "shmring-spsc-lane-poll", "shmring SPSC ring created poll-only, busy-poll, the calls inline", \
	  NONE, NULL, NULL, 0, 0)                                                                  \
	X(spsc_lane_poll_slip, shmring,                                                            \
	  (.kind = SHMRING_KIND_SPSC, .flags = SHMRING_CREATE_POLL_ONLY, .lane = SHMRING_BENCH_LANE_BOTH, .slip = 128),  \
	  BUSY, 0, PAIR_FLOOR, "shmring-spsc-lane-poll-slip",                                      \
	  "shmring SPSC ring created poll-only, busy-poll, the calls inline, the consumer slips "  \
	  "128 answers once it catches up (shmring_set_slip)",                                     \
	  NONE, NULL, NULL, 0, 0)                                                                  \
	X(spsc_duplex, shmring, (.kind = SHMRING_KIND_SPSC, .flags = SHMRING_CREATE_DUPLEX), BUSY, \
	  0, PAIR_FLOOR, "shmring-spsc-duplex",                                                    \
	  "shmring SPSC duplex (both directions in one segment, slots interleaved), busy-poll",    \
	  NONE, NULL, NULL, 0, 0)                                                                  \
	X(spsc_duplex_lane, shmring,                                                               \
	  (.kind = SHMRING_KIND_SPSC, .flags = SHMRING_CREATE_DUPLEX, .lane = SHMRING_BENCH_LANE_BOTH), BUSY, 0,         \
	  PAIR_FLOOR,                                                                              \
	  "shmring-spsc-duplex-lane", "shmring SPSC duplex, busy-poll, the calls inline",          \
	  NONE, NULL, NULL, 0, 0)                                                                  \
	X(spsc_adaptive, shmring, (.kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_ADAPTIVE),      \
	  BLOCK, 0, PAIR, "shmring-spsc-adaptive",                                                 \
	  "shmring SPSC ring, blocking calls, adaptive wait (spin, yield, park)", NONE, NULL,      \
	  NULL, 0, 0)                                                                              \
	X(spsc_block, shmring, (.kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK), BLOCK, 0,   \
	  PAIR, "shmring-spsc-block",                                                              \
	  "shmring SPSC ring, blocking calls, park-only wait (a 1 us look, then the futex)",       \
	  NONE, NULL, NULL, 0, 0)                                                                  \
	X(spsc_psem, shmring,                                                                      \
	  (.kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK,                                   \
	   .notifier = SHMRING_NOTIFIER_PSEM),                                                     \
	  BLOCK, 0, PAIR, "shmring-spsc-psem",                                                     \
	  "shmring SPSC ring, blocking calls, park on a POSIX semaphore (psem notifier)", NONE,    \
	  NULL, NULL, 0, 0)                                                                        \
	X(spsc_sysvsem, shmring,                                                                   \
	  (.kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK,                                   \
	   .notifier = SHMRING_NOTIFIER_SYSVSEM),                                                  \
	  BLOCK, 0, PAIR, "shmring-spsc-sysvsem",                                                  \
	  "shmring SPSC ring, blocking calls, park on a System V semaphore (sysvsem notifier)",    \
	  NONE, NULL, NULL, 0, 0)                                                                  \
	X(spsc_doorbell, shmring,                                                                  \
	  (.kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK, .bell = SHMRING_BENCH_BELL_WAIT), \
	  BLOCK, 0, PAIR, "shmring-spsc-doorbell",                                                 \
	  "shmring SPSC ring, receive by the signal doorbell (sigtimedwait)", NONE, NULL, NULL, 0, \
	  0)                                                                                       \
	X(spsc_doorbell_epoll, shmring,                                                            \
	  (.kind = SHMRING_KIND_SPSC, .wait = SHMRING_WAIT_PARK, .bell = SHMRING_BENCH_BELL_EPOLL), \
	  BLOCK, 0, PAIR, "shmring-spsc-doorbell-epoll",                                           \
	  "shmring SPSC ring, receive by the signal doorbell (signalfd in epoll)", NONE, NULL,     \
	  NULL, 0, 0)                                                                              \
	X(spsc_batch, shmring, (.kind = SHMRING_KIND_SPSC), BUSY, SHMRING_BENCH_BATCH, PAIR,       \
	  "shmring-spsc-batch",                                                                    \
	  "shmring SPSC ring, bursts of 32 (try_send_burst/try_recv_burst), busy-poll", NONE,      \
	  NULL, NULL, 0, 0)                                                                        \
	X(spsc_dense, shmring, (.kind = SHMRING_KIND_SPSC, .flags = SHMRING_CREATE_DENSE), BUSY,   \
	  0, PAIR, "shmring-spsc-dense",                                                           \
	  "shmring SPSC ring, dense slots (SHMRING_CREATE_DENSE), busy-poll", NONE, NULL, NULL, 0, \
	  0)                                                                                       \
	X(spsc_dense_batch, shmring, (.kind = SHMRING_KIND_SPSC, .flags = SHMRING_CREATE_DENSE),   \
	  BUSY, SHMRING_BENCH_BATCH, PAIR, "shmring-spsc-dense-batch",                             \
	  "shmring SPSC ring, dense slots, bursts of 32, busy-poll", NONE, NULL, NULL, 0, 0)       \
	X(mpsc, shmring, (.kind = SHMRING_KIND_MPSC), BUSY, 0, PAIR, "shmring-mpsc",               \
	  "shmring MPSC ring (one producer here), busy-poll", BUSY_RING, "shmring-mpsc",           \
	  "shmring MPSC ring, busy-poll (try_send/try_recv with pause)", 1, 0)                     \
	X(mpsc_adaptive, shmring, (.kind = SHMRING_KIND_MPSC, .wait = SHMRING_WAIT_ADAPTIVE),      \
	  BLOCK, 0, PAIR, "shmring-mpsc-adaptive",                                                 \
	  "shmring MPSC ring, blocking calls, adaptive wait", WAIT_RING, "shmring-mpsc-adaptive",  \
	  "shmring MPSC ring, blocking calls, adaptive wait (spin, yield, park)", 1, 0)            \
	X(mpsc_block, shmring, (.kind = SHMRING_KIND_MPSC, .wait = SHMRING_WAIT_PARK), BLOCK, 0,   \
	  NOPAIR, NULL, NULL, WAIT_RING, "shmring-mpsc-block",                                     \
	  "shmring MPSC ring, blocking calls, park-only wait (a 1 us look, then the futex)", 1, 0) \
	X(mpsc_batch, shmring, (.kind = SHMRING_KIND_MPSC), BUSY, SHMRING_BENCH_BATCH, PAIR,       \
	  "shmring-mpsc-batch", "shmring MPSC ring, bursts of 32, busy-poll", NONE, NULL, NULL, 0, \
	  0)                                                                                       \
	X(spmc, shmring, (.kind = SHMRING_KIND_SPMC), BUSY, 0, PAIR, "shmring-spmc",               \
	  "shmring SPMC ring (one consumer here), busy-poll", NONE, NULL, NULL, 0, 0)              \
	X(spmc_adaptive, shmring, (.kind = SHMRING_KIND_SPMC, .wait = SHMRING_WAIT_ADAPTIVE),      \
	  BLOCK, 0, PAIR, "shmring-spmc-adaptive",                                                 \
	  "shmring SPMC ring, blocking calls, adaptive wait", NONE, NULL, NULL, 0, 0)              \
	X(spmc_batch, shmring, (.kind = SHMRING_KIND_SPMC), BUSY, SHMRING_BENCH_BATCH, PAIR,       \
	  "shmring-spmc-batch", "shmring SPMC ring, bursts of 32, busy-poll", NONE, NULL, NULL, 0, \
	  0)                                                                                       \
	X(mpmc, shmring, (.kind = SHMRING_KIND_MPMC), BUSY, 0, PAIR, "shmring-mpmc",               \
	  "shmring MPMC ring (one of each here), busy-poll", BUSY_RING, "shmring-mpmc",            \
	  "shmring MPMC ring, busy-poll (try_send/try_recv with pause)", 0, 0)                     \
	X(mpmc_adaptive, shmring, (.kind = SHMRING_KIND_MPMC, .wait = SHMRING_WAIT_ADAPTIVE),      \
	  BLOCK, 0, PAIR, "shmring-mpmc-adaptive",                                                 \
	  "shmring MPMC ring, blocking calls, adaptive wait", WAIT_RING, "shmring-mpmc-adaptive",  \
	  "shmring MPMC ring, blocking calls, adaptive wait (spin, yield, park)", 0, 0)            \
	X(mpmc_block, shmring, (.kind = SHMRING_KIND_MPMC, .wait = SHMRING_WAIT_PARK), BLOCK, 0,   \
	  NOPAIR, NULL, NULL, WAIT_RING, "shmring-mpmc-block",                                     \
	  "shmring MPMC ring, blocking calls, park-only wait (a 1 us look, then the futex)", 0, 0) \
	X(mpmc_batch, shmring, (.kind = SHMRING_KIND_MPMC), BUSY, SHMRING_BENCH_BATCH, PAIR,       \
	  "shmring-mpmc-batch", "shmring MPMC ring, bursts of 32, busy-poll", NONE, NULL, NULL, 0, \
	  0)                                                                                       \
	X(msg, shmring, (.kind = SHMRING_KIND_MSG), BUSY, 0, PAIR, "shmring-msg",                  \
	  "shmring message ring (records of the message size), busy-poll", BUSY_MSG,               \
	  "shmring-msg",                                                                           \
	  "shmring message ring (variable-length records; many producers when the run has "        \
	  "them), busy-poll",                                                                      \
	  0, 0)                                                                                    \
	X(msg_adaptive, shmring, (.kind = SHMRING_KIND_MSG, .wait = SHMRING_WAIT_ADAPTIVE), BLOCK, \
	  0, PAIR, "shmring-msg-adaptive", "shmring message ring, blocking calls, adaptive wait",  \
	  WAIT_MSG, "shmring-msg-adaptive",                                                        \
	  "shmring message ring, blocking calls, adaptive wait (spin, yield, park)", 0, 0)         \
	X(msg_batch, shmring, (.kind = SHMRING_KIND_MSG), BUSY, SHMRING_BENCH_BATCH, PAIR,         \
	  "shmring-msg-batch", "shmring message ring, bursts of 32 records, busy-poll", NONE,      \
	  NULL, NULL, 0, 0)                                                                        \
	SHMRING_BENCH_IF_DPDK(                                                                     \
	    X(dpdk, dpdk, (.kind = 0), BUSY, 0, PAIR, "dpdk-ring",                                 \
	      "DPDK rte_ring SP/SC in shared memory (no EAL), busy-poll", BUSY_PEER,               \
	      "dpdk-ring-mp",                                                                      \
	      "DPDK rte_ring MP enqueue, SC (one consumer) or MC dequeue, in shared memory "       \
	      "(no EAL), busy-poll",                                                               \
	      0, 0)                                                                                \
	    X(dpdk_yield, dpdk, (.kind = 0), YIELD, 0, NOPAIR, NULL, NULL, WAIT_PEER,              \
	      "dpdk-ring-mp-yield",                                                                \
	      "DPDK rte_ring MP enqueue, SC or MC dequeue, sched_yield() on full/empty", 0, 0)     \
	    X(dpdk_batch, dpdk, (.kind = 0), BUSY, SHMRING_BENCH_BATCH, PAIR, "dpdk-ring-batch",   \
	      "DPDK rte_ring SP/SC in shared memory, bursts of 32 (burst_elem), busy-poll", NONE,  \
	      NULL, NULL, 0, 0))                                                                   \
	SHMRING_BENCH_IF_CK(                                                                       \
	    X(ck, ck, (.kind = 0), BUSY, 0, PAIR, "ck-ring",                                       \
	      "Concurrency Kit ck_ring SPSC in shared memory, values inline, busy-poll",           \
	      BUSY_PEER, "ck-ring-mp",                                                             \
	      "Concurrency Kit ck_ring MPSC (one consumer) or MPMC, values inline in shared "      \
	      "memory, busy-poll",                                                                 \
	      0, 1024)                                                                             \
	    X(ck_yield, ck, (.kind = 0), YIELD, 0, NOPAIR, NULL, NULL, WAIT_PEER,                  \
	      "ck-ring-mp-yield",                                                                  \
	      "Concurrency Kit ck_ring MPSC or MPMC, values inline, sched_yield() on full/empty",  \
	      0, 1024))                                                                            \
	SHMRING_BENCH_IF_BOOST(                                                                    \
	    X(boost, boost, (.kind = 0), BUSY, 0, PAIR, "boost-spsc",                              \
	      "boost::lockfree::spsc_queue in shared memory (fixed capacity, placement-new), "     \
	      "busy-poll",                                                                         \
	      BUSY_PEER, "boost-spsc",                                                             \
	      "boost::lockfree::spsc_queue (one producer and one consumer only)", 0, 0)            \
	    X(boost_batch, boost, (.kind = 0), BUSY, SHMRING_BENCH_BATCH, PAIR,                    \
	      "boost-spsc-batch",                                                                  \
	      "boost::lockfree::spsc_queue in shared memory, bursts of 32 (push/pop of arrays), "  \
	      "busy-poll",                                                                         \
	      NONE, NULL, NULL, 0, 0))

/* Every line's shared part, shmring_bench_ring_line_<id> (rings.c). */
#define SHMRING_BENCH_RING_LINE_DECL(id, ...)                                                      \
	extern const struct shmring_bench_ring_line shmring_bench_ring_line_##id;
SHMRING_BENCH_RINGS(SHMRING_BENCH_RING_LINE_DECL)
#undef SHMRING_BENCH_RING_LINE_DECL

/*
 * Picking lines: SHMRING_BENCH_PICK(column, wanted)(x) is x when the line's
 * column (PAIR/NOPAIR, or a section) is the one wanted, else nothing; a
 * PAIR_FLOOR line is a PAIR line.
 */
#define SHMRING_BENCH_KEEP(...) __VA_ARGS__
#define SHMRING_BENCH_SKIP(...)
#define SHMRING_BENCH_SECOND_(a, b, ...) b
#define SHMRING_BENCH_SECOND(...) SHMRING_BENCH_SECOND_(__VA_ARGS__)
#define SHMRING_BENCH_PICK(col, want)                                                              \
	SHMRING_BENCH_SECOND(SHMRING_BENCH_SAME_##col##_##want, SHMRING_BENCH_SKIP, ~)
#define SHMRING_BENCH_SAME_PAIR_PAIR ~, SHMRING_BENCH_KEEP
#define SHMRING_BENCH_SAME_PAIR_FLOOR_PAIR ~, SHMRING_BENCH_KEEP
#define SHMRING_BENCH_SAME_BUSY_RING_BUSY_RING ~, SHMRING_BENCH_KEEP
#define SHMRING_BENCH_SAME_BUSY_PEER_BUSY_PEER ~, SHMRING_BENCH_KEEP
#define SHMRING_BENCH_SAME_BUSY_MSG_BUSY_MSG ~, SHMRING_BENCH_KEEP
#define SHMRING_BENCH_SAME_WAIT_RING_WAIT_RING ~, SHMRING_BENCH_KEEP
#define SHMRING_BENCH_SAME_WAIT_PEER_WAIT_PEER ~, SHMRING_BENCH_KEEP
#define SHMRING_BENCH_SAME_WAIT_MSG_WAIT_MSG ~, SHMRING_BENCH_KEEP

/* A PAIR line's round trip set against the floor: true for PAIR_FLOOR. */
#define SHMRING_BENCH_FLOOR_RTT(pair) SHMRING_BENCH_FLOOR_RTT_##pair
#define SHMRING_BENCH_FLOOR_RTT_PAIR false
#define SHMRING_BENCH_FLOOR_RTT_PAIR_FLOOR true

/* Parentheses off a column: (a, b) -> a, b. */
#define SHMRING_BENCH_UNPAREN(...) __VA_ARGS__

#endif /* SHMRING_BENCH_RINGS_H */
