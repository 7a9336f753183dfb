/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/layout.h - the shared-memory layout of a ring segment.
 *
 * This file is a contract between processes that may run different builds:
 * fixed-width fields, offsets instead of pointers, explicit padding and a
 * static_assert on every offset. Any change to it bumps
 * SHMRING_LAYOUT_VERSION.
 *
 *   0      struct shmring_hdr       immutable after creation, integrity-checked
 *   256    struct shmring_side      producer side (written by producers)
 *   384    struct shmring_side      consumer side (written by consumers)
 *   512    struct shmring_waitword  "not empty" eventcount (consumers sleep here)
 *   640    struct shmring_waitword  "not full" eventcount (producers sleep here)
 *   768    struct shmring_ctl       presence of each role, repair counters, stalls
 *   896    struct shmring_part[max_participants], 128 bytes each
 *   slots_off (128-aligned)  capacity * slot_stride bytes of slots
 *
 * Each side and each wait word has 128 bytes to itself: x86's adjacent-line
 * prefetcher pulls cache lines in pairs, so 64-byte spacing would still let
 * the producer's and consumer's hot words ping-pong together.
 *
 * A fixed slot is an 8-byte sequence stamp followed by the payload. In an
 * SPSC ring only the producer writes a slot: the stamp of position p is p + 1
 * once the payload is in place, so zero-filled memory reads as "empty" and a
 * slot from the previous lap never matches. The multi-producer and
 * multi-consumer fixed kinds (MPSC, SPMC, MPMC) use the same slot shape with a
 * different stamp, the slot word below; the record ring (MSG) lays out
 * variable-length records in the slot area instead (struct shmring_rec).
 * One layout version covers all of them: the kind tells a reader which
 * applies, and a reader that does not know a kind refuses the segment.
 *
 * Version 2 (failure semantics): participant entries carry a generation, the
 * claim they hold (so a claim left by a dead process can be found and
 * repaired) and where they are parked; the slot word names its owner with a
 * generation; a control block counts live producers and consumers (for
 * end-of-stream and EPIPE) and every repair.
 *
 * Version 5: a participant entry is claimed in two steps, the owner word
 * carrying SHMRING_OWNER_CLAIMING until the rest of the entry is written, so
 * a judge never compares a new owner's pid with the start time of the
 * entry's previous owner (or with none).
 *
 * Version 6: a waiter commits to sleep by setting a bit in the waiters word,
 * and notifiers make the wake call only for a committed sleeper; a build of
 * version 5 would leave a version-6 sleeper unwoken.
 *
 * Version 7: the slots of a plain SPSC ring of up to 16-byte messages lie
 * in groups of three under one stamp (SHMRING_FEAT_GROUPED_SLOTS), where
 * version 6 gave each its own.
 *
 * Version 8: a participant entry names the process image that took it
 * (`image`), so that a process judging an entry with its own pid tells one
 * held by another copy of the library in it (alive) from one left by the
 * image it replaced with execve() (dead); version 7 judged both dead. The
 * many-producer fixed-slot publish is a store over the producer's own
 * CLAIMED word, where version 7 made it a CAS.
 *
 * Version 9: a group of slots of up to 8 bytes holds seven under its stamp
 * (one line), where version 8 held three (two groups a line); slots of 9 to
 * 16 bytes stay three to a group of 64 bytes.
 */
#ifndef SHMRING_RINGBUF_LAYOUT_H
#define SHMRING_RINGBUF_LAYOUT_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SHMRING_MAGIC UINT64_C(0x31474e4952484d53) /* "SHMRING1" little-endian */
/* The magic of a synchronization object (src/syncobj.h), at the same offset:
 * a ring open that finds it says "another kind", not "not ours". */
#define SHMRING_SYNC_MAGIC UINT64_C(0x31434e5953484d53) /* "SHMSYNC1" */
#define SHMRING_LAYOUT_VERSION 9u
#define SHMRING_CACHELINE 64u
#define SHMRING_SPACING 128u /* distance between independently written words */
#define SHMRING_STAMP_SIZE 8u
/* An SPSC side attaches only at positions below this: 2^63 messages are
 * never sent, so higher ones were forged, and from them a ring would run
 * past 2^64, where positions wrap and neither a stamp (position + 1, 0 is
 * empty), nor a group (position / 7 or 3) nor the producer's saturated room
 * limit (shmring/lane.h) holds. The other kinds (bytes, for a message
 * ring) open only with every position below it (shmring__indices_validate()):
 * past 2^64 the message ring's scrub() misses words naming the next lap, and
 * positions compared with < and > read as corrupt. */
#define SHMRING_POS_MAX (UINT64_C(1) << 63)
#define SHMRING_DEFAULT_PARTICIPANTS 64u
#define SHMRING_MAX_PARTICIPANTS 4096u

/* Feature bits: what a reader must understand to use the segment. */
#define SHMRING_FEAT_STAMPED_SLOTS (UINT64_C(1) << 0)
/* Nobody may park: notifiers skip the waiters word (SHMRING_CREATE_POLL_ONLY). */
#define SHMRING_FEAT_POLL_ONLY (UINT64_C(1) << 1)
/*
 * SPSC only, in place of STAMPED_SLOTS (SHMRING_CREATE_DENSE): payloads back
 * to back at a stride of the slot size rounded up to 8, no stamps; the
 * producer's position, published after every send, says what is there.
 */
#define SHMRING_FEAT_DENSE_SLOTS (UINT64_C(1) << 2)
/*
 * SPSC only, with STAMPED_SLOTS (shmring_duplex_create()): the segment holds
 * two SPSC rings, one per direction, whose slots alternate: slot i of
 * direction 0, slot i of direction 1, slot i + 1 of direction 0, ... So a
 * request and its reply share a cache line where slots are at most 32 bytes
 * (8-byte payloads: two exchanges per line), and a round trip moves one line
 * where two rings move two. Each direction is a whole ring (header, sides,
 * wait words, control block, participant table) whose slot stride is twice
 * the plain ring's:
 *
 *   0      direction 0: header ... participants   (C bytes: a plain ring's slots_off)
 *   C      direction 1: header ... participants   (C bytes)
 *   2C     slots: d0[0] d1[0] d0[1] d1[1] ...      (capacity * 2 * stride)
 *
 * Direction 0's header has direction 0, slots_off 2C; direction 1's (at C)
 * direction 1, slots_off C + stride (relative to its own header), and
 * total_size the bytes from its header to the segment's end. Builds that
 * predate the bit refuse the segment (an unknown feature); the layout of
 * each direction is that of version 6, so the version stays.
 */
#define SHMRING_FEAT_DUPLEX (UINT64_C(1) << 3)
/*
 * Every SPSC ring with STAMPED_SLOTS, without DUPLEX, whose slots are at
 * most 16 bytes, and only such a ring (version 7 on): the slots lie in
 * groups of one line (64 bytes), each an 8-byte stamp and then the group's
 * payloads: SHMRING_GROUP_SLOTS_8 of them at a pitch of 8 bytes (slots of
 * up to 8), or SHMRING_GROUP_SLOTS_16 at 16 (shmring__group_slots()). The
 * group of position p is p / that many (modulo the number of groups), and
 * its stamp is the newest position of the group published, plus one: the
 * stamp of p + 1 published position p and every earlier one of its group.
 * The number of groups is the smallest power of two above (capacity +
 * per - 2) / per, per the slots a group, so that no position a producer
 * may write (less than a capacity past the consumer's) lies a lap of
 * groups ahead of one the consumer is reading. Seven 8-byte messages share
 * a line where a stamp per slot leaves four. Such a ring always has the
 * bit, and no other has it.
 */
#define SHMRING_FEAT_GROUPED_SLOTS (UINT64_C(1) << 4)
#define SHMRING_GROUP_SLOTS_8 7u  /* slots of up to 8 bytes a group (version 9 on) */
#define SHMRING_GROUP_SLOTS_16 3u /* slots of 9 to 16 bytes a group */
#define SHMRING_GROUP_MAX_SLOT 16u /* the largest slot grouped */
#define SHMRING_FEATURES_KNOWN                                                                    \
	(SHMRING_FEAT_STAMPED_SLOTS | SHMRING_FEAT_POLL_ONLY | SHMRING_FEAT_DENSE_SLOTS |          \
	 SHMRING_FEAT_DUPLEX | SHMRING_FEAT_GROUPED_SLOTS)

struct shmring_hdr {
	uint64_t magic;             /*   0: SHMRING_MAGIC, stored last at creation */
	uint32_t version;           /*   8: SHMRING_LAYOUT_VERSION */
	uint32_t hdr_size;          /*  12: sizeof(struct shmring_hdr) */
	uint64_t features;          /*  16: SHMRING_FEAT_* */
	uint32_t kind;              /*  24: enum shmring_kind */
	uint32_t flags;             /*  28: creation flags, informational */
	uint64_t capacity;          /*  32: slots, power of two */
	uint32_t slot_size;         /*  40: payload bytes per slot */
	uint32_t slot_stride;       /*  44: bytes per slot, stamp included */
	uint32_t cacheline;         /*  48: SHMRING_SPACING used for this layout */
	uint32_t max_participants;  /*  52: entries in the participant table */
	uint32_t creator_uid;       /*  56 */
	uint32_t creator_pid;       /*  60 */
	uint64_t ctime_ns;          /*  64: CLOCK_REALTIME at creation */
	uint64_t total_size;        /*  72: bytes of the whole segment */
	uint64_t prod_off;          /*  80 */
	uint64_t cons_off;          /*  88 */
	uint64_t wait_off;          /*  96: two wait words, not-empty then not-full */
	uint64_t part_off;          /* 104 */
	uint64_t slots_off;         /* 112 */
	uint64_t recovery_ns;       /* 120: default recovery deadline (see shmring_ctl) */
	uint32_t notifier;          /* 128: SHMRING_HDR_NOTIFY_*: how sleepers are woken */
	int32_t semid;              /* 132: SHMRING_HDR_NOTIFY_SYSVSEM: the semaphore set
				     *      (0: not empty, 1: not full); else 0 */
	uint32_t direction;         /* 136: SHMRING_FEAT_DUPLEX: this ring's direction
				     *      (0 or 1); else 0 */
	uint32_t reserved0;         /* 140: zero */
	uint64_t reserved[13];      /* 144: zero; room for later versions */
	uint64_t check;             /* 248: FNV-1a 64 over bytes [0, 248) */
};

/*
 * One side of the ring. `pos` is the side's free-running position: the next
 * message a producer will write / a consumer will read. The counters are
 * written only on slow paths.
 */
struct shmring_side {
	_Atomic uint64_t pos;       /*   0 */
	_Atomic uint64_t waits;     /*   8: times this side parked */
	_Atomic uint64_t wakes;     /*  16: futex wakes this side made */
	_Atomic uint64_t done;      /*  24: MSG with many consumers, consumer side
				     *      only: every record below it is released
				     *      (pos is then the claim position); else 0 */
	uint64_t reserved[12];      /*  32 */
};

/*
 * An eventcount: sleepers wait on `seq`; wakers bump it only if someone
 * sleeps. `waiters`: the low 16 bits count the waiters parked or about to
 * park (announced); bit 31 (SHMRING_EC_SLEEP) is set by a waiter committing
 * to sleep and cleared by the notifier that wakes it; bits 16-30 count
 * commits (a generation), so a notifier can tell a new sleeper from a word
 * left behind by a waiter that was killed while parked (sync/eventcount.h).
 * `pending` gathers units freed by every consumer while producers sleep
 * (batched not-full wake-ups).
 */
struct shmring_waitword {
	_Atomic uint32_t seq;       /*   0: futex word */
	_Atomic uint32_t waiters;   /*   4: sleep << 31 | commits << 16 | waiting */
	_Atomic uint32_t pending;   /*   8: units freed since the last wake */
	uint32_t reserved0;         /*  12 */
	uint64_t psem[4];           /*  16: SHMRING_HDR_NOTIFY_PSEM: a process-shared
				     *      POSIX semaphore (sem_t) sleepers wait on */
	uint32_t reserved[20];      /*  48 */
};

/* How sleepers on a wait word are woken (chosen at creation). */
#define SHMRING_HDR_NOTIFY_FUTEX 0u   /* the eventcount's futex sequence */
#define SHMRING_HDR_NOTIFY_PSEM 1u    /* a POSIX semaphore in the wait word */
#define SHMRING_HDR_NOTIFY_SYSVSEM 2u /* a System V semaphore set */
#define SHMRING_WAITERS_COUNT(w) ((w) & 0xffffu)
#define SHMRING_WAITERS_ONE (UINT32_C(1) | (UINT32_C(1) << 16)) /* added by a park */

/*
 * The control block: what every participant may need to know about the
 * others, written only on attach, detach, repair and stall (never per
 * message), so it stays in every reader's cache.
 *
 * producers / consumers: the live handles of each role in the low 32 bits,
 * and SHMRING_PRESENCE_EVER once one has attached. Incremented on attach,
 * decremented on close or by the one process that reaps a dead participant
 * (the CAS that marks its entry reaped decides which). A side whose peers
 * were present once and are all gone sees end-of-stream (consumers, once
 * the ring is drained) or EPIPE (producers).
 *
 * The repair counters are the segment's own record of what recovery did;
 * the stall fields describe the oldest claim a waiter found in its way.
 */
struct shmring_ctl {
	_Atomic uint64_t producers;      /*   0: SHMRING_PRESENCE_* */
	_Atomic uint64_t consumers;      /*   8 */
	_Atomic uint64_t prod_repairs;   /*  16: claims of dead producers repaired */
	_Atomic uint64_t cons_repairs;   /*  24: claims of dead consumers released */
	_Atomic uint64_t skipped;        /*  32: slots / records consumers dropped as skipped */
	_Atomic uint64_t cancelled;      /*  40: reservations cancelled (close) */
	_Atomic uint64_t reaped;         /*  48: dead participants reaped */
	_Atomic uint64_t stall_pos;      /*  56: position a waiter is held back at */
	_Atomic uint64_t stall_since_ns; /*  64: CLOCK_MONOTONIC when it was first seen; 0: none */
	_Atomic uint64_t stall_max_ns;   /*  72: longest stall that ended */
	_Atomic uint32_t stall_part;     /*  80: participant index holding the claim */
	_Atomic uint32_t stall_side;     /*  84: SHMRING_PRODUCER or SHMRING_CONSUMER held back */
	_Atomic uint64_t bells;          /*  88: bit i: participant i has an armed doorbell */
	_Atomic uint64_t bell_signals;   /*  96: doorbell signals sent */
	uint64_t reserved[3];            /* 104 */
};
#define SHMRING_PRESENCE_EVER (UINT64_C(1) << 32)
#define SHMRING_PRESENCE_LIVE(v) ((uint32_t)(v))
/* Peers were here once and none is left. The bits above the flag are never
 * set by a participant; a word that has them was written by someone else,
 * and they must not keep it from saying "gone". */
#define SHMRING_PRESENCE_GONE(v)                                                                   \
	(SHMRING_PRESENCE_LIVE(v) == 0 && ((v) & SHMRING_PRESENCE_EVER) != 0)
#define SHMRING_DEFAULT_RECOVERY_NS UINT64_C(5000000)
#define SHMRING_MIN_RECOVERY_NS UINT64_C(100000)
#define SHMRING_MAX_RECOVERY_NS UINT64_C(60000000000)

/*
 * A participant: a process attached in a role. `owner` is 0 when free, else
 * (pid << 32) | (role << 24) | flags | tag, claimed by CAS; SHMRING_OWNER_REAPED
 * marks an owner found dead and already subtracted from the presence counts
 * (set by CAS, so exactly one process does it). SHMRING_OWNER_CLAIMING marks
 * an entry its claimer is still filling in: the claimer takes the entry with
 * the flag set, writes the fields below, then clears the flag by CAS
 * (release). start_time is the process's start time in clock ticks (from
 * /proc/PID/stat) so that a recycled pid is not mistaken for the original
 * owner; it is compared only once the flag is clear (before that it may be the
 * previous owner's), and 0 means the claimer could not read it. Without a
 * start time to compare, an owner is judged by its pid alone: alive, not a
 * zombie, and mapping the segment. pidns is the inode of the owner's pid
 * namespace: a process in another namespace cannot judge the pid and treats
 * the owner as alive.
 *
 * image names the process image the owner ran when it took the entry: a
 * hash of the random bytes the kernel gives each execve() (AT_RANDOM), the
 * same in every copy of the library one image loads, another after the
 * next execve(); 0 where the claimer had none. Like start_time it is
 * written while the flag is set and compared only once it is clear.
 *
 * gen counts the claims of the entry; its low 16 bits go into the slot words
 * the owner stamps, so an old claim never names a later owner of the entry.
 *
 * claim_pos / claim_end: the range of ring positions the owner is claiming
 * or holds (empty when equal). Stored before the CAS that takes the range
 * (release, A/R-intent), so whoever sees a shared position moved sees who
 * moved it; cleared when a CAS attempt fails. A claim is over when its slots
 * are published (FULL / COMMITTED) or released, so a stale range never
 * covers a position that still waits on this owner. With a message ring,
 * SHMRING_CLAIM_REPAIR in claim_end marks a repair in progress (the repairer
 * in the low bits), so only one process writes over a dead claim.
 *
 * parked: SHMRING_PARKED_* while the owner sleeps on an eventcount, so that
 * whoever reaps a dead owner also takes its count off that eventcount.
 */
struct shmring_part {
	_Atomic uint64_t owner;      /*   0 */
	_Atomic uint64_t start_time; /*   8 */
	_Atomic uint64_t attach_ns;  /*  16: CLOCK_REALTIME when attached */
	_Atomic uint64_t pidns;      /*  24: pid namespace inode of the owner */
	_Atomic uint32_t gen;        /*  32 */
	_Atomic uint32_t parked;     /*  36: SHMRING_PARKED_* */
	_Atomic uint32_t uid;        /*  40: owner's effective uid */
	_Atomic uint32_t bell;       /*  44: doorbell: signal number | SHMRING_BELL_* */
	_Atomic uint64_t claim_pos;  /*  48 */
	_Atomic uint64_t claim_end;  /*  56 */
	_Atomic uint32_t bell_token; /*  64: the value the doorbell's signal carries */
	uint32_t reserved0;          /*  68 */
	_Atomic uint64_t image;      /*  72: the owner's process image (below) */
	uint64_t reserved[6];        /*  80 */
};

#define SHMRING_PART_PID(o) ((uint32_t)((o) >> 32))
#define SHMRING_PART_ROLE(o) ((uint32_t)(((o) >> 24) & 0xffu))
#define SHMRING_OWNER_REAPED (UINT64_C(1) << 23)
#define SHMRING_OWNER_CLAIMING (UINT64_C(1) << 22)
#define SHMRING_OWNER_TAG_MASK (SHMRING_OWNER_CLAIMING - 1)
#define SHMRING_PARKED_NONE 0u
#define SHMRING_PARKED_NOT_EMPTY 1u
#define SHMRING_PARKED_NOT_FULL 2u
#define SHMRING_CLAIM_REPAIR (UINT64_C(1) << 63)
/* bell: the low 8 bits are the signal number; a registered doorbell has
 * REGISTERED, an armed one (a signal is wanted) ARMED too. Only the first
 * 64 entries can hold a doorbell (the `bells` mask). */
#define SHMRING_BELL_SIGNO(b) ((b) & 0xffu)
#define SHMRING_BELL_REGISTERED (UINT32_C(1) << 8)
#define SHMRING_BELL_ARMED (UINT32_C(1) << 9)
/* A socket doorbell: no signal (signal number 0); the waiter's socket is
 * bound to the abstract Unix address "shmring-bell-" and bell_token in 8
 * hex digits. A build that predates it reads signal 0 as forged and rings
 * nothing (its waiter wakes at its own timeout), so the layout version
 * stays. */
#define SHMRING_BELL_SOCKET (UINT32_C(1) << 10)
#define SHMRING_BELL_MAX_PARTS 64u

/* Fixed entries of the table: a single-producer or single-consumer kind
 * claims its one producer / consumer entry here, so two processes racing to
 * attach in that role cannot both win. */
#define SHMRING_PART_SOLE_PRODUCER 0u
#define SHMRING_PART_SOLE_CONSUMER 1u
/* A role a kind allows many of takes any free entry from here on; its index
 * is the owner stamped in the slots it claims. */
#define SHMRING_PART_FIRST_SHARED 2u

#define SHMRING_HDR_CHECKED_BYTES offsetof(struct shmring_hdr, check)
#define SHMRING_PROD_OFF 256u
#define SHMRING_CONS_OFF 384u
#define SHMRING_WAIT_OFF 512u
#define SHMRING_CTL_OFF 768u
#define SHMRING_PART_OFF 896u

static_assert(sizeof(struct shmring_hdr) == 256, "header is 256 bytes");
static_assert(offsetof(struct shmring_hdr, version) == 8, "layout");
static_assert(offsetof(struct shmring_hdr, hdr_size) == 12, "layout");
static_assert(offsetof(struct shmring_hdr, features) == 16, "layout");
static_assert(offsetof(struct shmring_hdr, kind) == 24, "layout");
static_assert(offsetof(struct shmring_hdr, flags) == 28, "layout");
static_assert(offsetof(struct shmring_hdr, capacity) == 32, "layout");
static_assert(offsetof(struct shmring_hdr, slot_size) == 40, "layout");
static_assert(offsetof(struct shmring_hdr, slot_stride) == 44, "layout");
static_assert(offsetof(struct shmring_hdr, cacheline) == 48, "layout");
static_assert(offsetof(struct shmring_hdr, max_participants) == 52, "layout");
static_assert(offsetof(struct shmring_hdr, creator_uid) == 56, "layout");
static_assert(offsetof(struct shmring_hdr, creator_pid) == 60, "layout");
static_assert(offsetof(struct shmring_hdr, ctime_ns) == 64, "layout");
static_assert(offsetof(struct shmring_hdr, total_size) == 72, "layout");
static_assert(offsetof(struct shmring_hdr, prod_off) == 80, "layout");
static_assert(offsetof(struct shmring_hdr, cons_off) == 88, "layout");
static_assert(offsetof(struct shmring_hdr, wait_off) == 96, "layout");
static_assert(offsetof(struct shmring_hdr, part_off) == 104, "layout");
static_assert(offsetof(struct shmring_hdr, slots_off) == 112, "layout");
static_assert(offsetof(struct shmring_hdr, notifier) == 128, "layout");
static_assert(offsetof(struct shmring_hdr, semid) == 132, "layout");
static_assert(offsetof(struct shmring_hdr, direction) == 136, "layout");
static_assert(offsetof(struct shmring_hdr, reserved0) == 140, "layout");
static_assert(offsetof(struct shmring_hdr, reserved) == 144, "layout");
static_assert(offsetof(struct shmring_hdr, check) == 248, "layout");
static_assert(sizeof(struct shmring_side) == SHMRING_SPACING, "one side per 128 bytes");
static_assert(offsetof(struct shmring_side, waits) == 8, "layout");
static_assert(offsetof(struct shmring_side, wakes) == 16, "layout");
static_assert(offsetof(struct shmring_side, done) == 24, "layout");
static_assert(offsetof(struct shmring_side, reserved) == 32, "layout");
static_assert(sizeof(struct shmring_waitword) == SHMRING_SPACING, "one wait word per 128 bytes");
static_assert(offsetof(struct shmring_waitword, waiters) == 4, "layout");
static_assert(offsetof(struct shmring_waitword, pending) == 8, "layout");
static_assert(offsetof(struct shmring_waitword, psem) == 16, "layout");
static_assert(offsetof(struct shmring_hdr, recovery_ns) == 120, "layout");
static_assert(sizeof(struct shmring_ctl) == SHMRING_SPACING, "control block is 128 bytes");
static_assert(offsetof(struct shmring_ctl, consumers) == 8, "layout");
static_assert(offsetof(struct shmring_ctl, prod_repairs) == 16, "layout");
static_assert(offsetof(struct shmring_ctl, cons_repairs) == 24, "layout");
static_assert(offsetof(struct shmring_ctl, skipped) == 32, "layout");
static_assert(offsetof(struct shmring_ctl, cancelled) == 40, "layout");
static_assert(offsetof(struct shmring_ctl, reaped) == 48, "layout");
static_assert(offsetof(struct shmring_ctl, stall_pos) == 56, "layout");
static_assert(offsetof(struct shmring_ctl, stall_since_ns) == 64, "layout");
static_assert(offsetof(struct shmring_ctl, stall_max_ns) == 72, "layout");
static_assert(offsetof(struct shmring_ctl, stall_part) == 80, "layout");
static_assert(offsetof(struct shmring_ctl, stall_side) == 84, "layout");
static_assert(offsetof(struct shmring_ctl, bells) == 88, "layout");
static_assert(offsetof(struct shmring_ctl, bell_signals) == 96, "layout");
static_assert(offsetof(struct shmring_ctl, reserved) == 104, "layout");
/* One entry per 128 bytes: owners write their claim range on every claim. */
static_assert(sizeof(struct shmring_part) == SHMRING_SPACING, "layout");
static_assert(offsetof(struct shmring_part, start_time) == 8, "layout");
static_assert(offsetof(struct shmring_part, attach_ns) == 16, "layout");
static_assert(offsetof(struct shmring_part, pidns) == 24, "layout");
static_assert(offsetof(struct shmring_part, gen) == 32, "layout");
static_assert(offsetof(struct shmring_part, parked) == 36, "layout");
static_assert(offsetof(struct shmring_part, uid) == 40, "layout");
static_assert(offsetof(struct shmring_part, claim_pos) == 48, "layout");
static_assert(offsetof(struct shmring_part, claim_end) == 56, "layout");
static_assert(offsetof(struct shmring_part, bell) == 44, "layout");
static_assert(offsetof(struct shmring_part, bell_token) == 64, "layout");
static_assert(offsetof(struct shmring_part, image) == 72, "layout");
static_assert(offsetof(struct shmring_part, reserved) == 80, "layout");
static_assert(SHMRING_PROD_OFF == sizeof(struct shmring_hdr), "layout");
static_assert(SHMRING_CONS_OFF == SHMRING_PROD_OFF + SHMRING_SPACING, "layout");
static_assert(SHMRING_WAIT_OFF == SHMRING_CONS_OFF + SHMRING_SPACING, "layout");
static_assert(SHMRING_CTL_OFF == SHMRING_WAIT_OFF + 2 * SHMRING_SPACING, "layout");
static_assert(SHMRING_PART_OFF == SHMRING_CTL_OFF + SHMRING_SPACING, "layout");
/* Lock-free 64-bit atomics are what makes these words usable across processes. */
static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");

/*
 * Header flags that are part of the contract (the other creation flags are
 * informational). For SHMRING_KIND_MSG they choose one or many producers and
 * consumers; the fixed kinds imply them (MPSC: MP, SPMC: MC, MPMC: both) and
 * the creator records the implied bits. Equal to SHMRING_CREATE_MULTI_*.
 */
#define SHMRING_HDR_MULTI_PRODUCER (1u << 2)
#define SHMRING_HDR_MULTI_CONSUMER (1u << 3)

/*
 * The slot word of the multi fixed kinds (MPSC, SPMC, MPMC): the first 8 bytes
 * of a slot, in place of the SPSC stamp.
 *
 *   bits 63..32  lap of the position the state is for (position >> log2
 *                capacity, low 32 bits; laps compare modulo 2^32)
 *   bits 31..28  phase: FREE, CLAIMED (a producer is writing), FULL
 *                (published), SKIPPED (a claim repaired or cancelled: no
 *                message, consumers drop the slot), READING (a consumer is
 *                reading)
 *   bits 27..12  generation of the owner's participant entry (low 16 bits)
 *   bits 11..0   owner: the participant-table index of the process that
 *                claimed the slot (CLAIMED, FULL, READING), 0 when FREE or
 *                SKIPPED
 *
 * Zero-filled memory is FREE for lap 0. (lap << 4 | phase) orders the states
 * a slot goes through: FREE(L) < CLAIMED(L) < FULL(L) < SKIPPED(L) <
 * READING(L) < FREE(L + 1); a slot is FULL or SKIPPED, never both. A
 * consumer that releases position p stores FREE(lap(p) + 1). In MPSC the
 * single consumer never writes a slot back: producers learn free space from
 * the consumer position, as in SPSC, and a slot goes from FULL(L) or
 * SKIPPED(L) straight to CLAIMED(L + 1).
 *
 * A producer publishes FULL over its own CLAIMED word, which it looks at
 * first: a claim that recovery turned into SKIPPED meanwhile (its owner was
 * judged dead, which a live one is only from a forged table) is dropped by
 * the owner, not published (ringbuf/mring.h says what a late store can do).
 */
#define SHMRING_SLOT_FREE 0u
#define SHMRING_SLOT_CLAIMED 1u
#define SHMRING_SLOT_FULL 2u
#define SHMRING_SLOT_SKIPPED 3u
#define SHMRING_SLOT_READING 4u
#define SHMRING_SLOT_LAP_SHIFT 32
#define SHMRING_SLOT_PHASE_SHIFT 28
#define SHMRING_SLOT_GEN_SHIFT 12
#define SHMRING_SLOT_GEN_MASK 0xffffu
#define SHMRING_SLOT_OWNER_MASK 0xfffu
static_assert(SHMRING_MAX_PARTICIPANTS - 1 <= SHMRING_SLOT_OWNER_MASK, "owner fits the slot word");

/*
 * A record of the message ring (SHMRING_KIND_MSG). The slot area is
 * `capacity` bytes (a power of two) of records, each a 16-byte header and its
 * payload padded to 16 bytes; a record never wraps: when the next one does not
 * fit before the end, the producer claims the rest of the area too and marks
 * it with a padding record. Positions are free-running byte offsets, always
 * multiples of 16.
 *
 * `stamp` is the record's own position with its state in the low four bits,
 * so a header left from an earlier lap, or bytes of an earlier payload, never
 * read as the record now expected there (up to a payload forged to hold that
 * exact value: a consumer bound-checks whatever it reads anyway). A producer
 * fills `info` and `type` and the payload and stores `stamp` last (COMMITTED).
 * With many producers it first stores CLAIMED with `info` already set, so the
 * claim names its owner and its size; with many consumers a consumer stores
 * READING on claim and RELEASED when done.
 */
struct shmring_rec {
	_Atomic uint64_t stamp;     /*   0: position | SHMRING_REC_* */
	_Atomic uint32_t info;      /*   8: payload length | owner << 17 | PAD */
	_Atomic uint32_t type;      /*  12: the sender's type word */
};

#define SHMRING_REC_CLAIMED 1u
#define SHMRING_REC_COMMITTED 2u
#define SHMRING_REC_READING 3u
#define SHMRING_REC_RELEASED 4u
/* A record (or padding) whose producer died or cancelled it: `info` gives
 * its extent as for a committed one; consumers drop it. */
#define SHMRING_REC_SKIPPED 5u
/* Sixteen bytes of filler written by recovery over a claim whose producer
 * died before stamping it: no header fields, the next record follows. */
#define SHMRING_REC_FILLER 6u
#define SHMRING_REC_STATE_MASK 0xfu
#define SHMRING_REC_HDR 16u
#define SHMRING_REC_ALIGN 16u
#define SHMRING_REC_LEN_MASK 0x1ffffu       /* 17 bits: 0..65536 */
#define SHMRING_REC_OWNER_SHIFT 17
#define SHMRING_REC_PAD (UINT32_C(1) << 31) /* padding up to the end of the area */
#define SHMRING_REC_MIN_AREA 64u

static_assert(sizeof(struct shmring_rec) == SHMRING_REC_HDR, "record header is 16 bytes");
static_assert(offsetof(struct shmring_rec, info) == 8, "layout");
static_assert(offsetof(struct shmring_rec, type) == 12, "layout");
static_assert(SHMRING_REC_ALIGN > SHMRING_REC_STATE_MASK, "states fit below the alignment");
static_assert((SHMRING_MAX_PARTICIPANTS - 1) >> (31 - SHMRING_REC_OWNER_SHIFT) == 0,
	      "owner fits below the PAD bit");

/* Geometry of a ring, computed identically at create and at validate. */
struct shmring_geometry {
	uint64_t capacity;
	uint32_t slot_size;
	uint32_t slot_stride;
	uint32_t max_participants;
	uint64_t slots_off;
	uint64_t total_size;
};

/* Where the parts of a mapped, validated segment are. No pointers are stored
 * in shared memory; these are computed per process from the offsets. */
static inline struct shmring_side *shmring__prod_side(void *base)
{
	return (struct shmring_side *)((char *)base + SHMRING_PROD_OFF);
}
static inline struct shmring_side *shmring__cons_side(void *base)
{
	return (struct shmring_side *)((char *)base + SHMRING_CONS_OFF);
}
static inline struct shmring_waitword *shmring__not_empty(void *base)
{
	return (struct shmring_waitword *)((char *)base + SHMRING_WAIT_OFF);
}
static inline struct shmring_waitword *shmring__not_full(void *base)
{
	return (struct shmring_waitword *)((char *)base + SHMRING_WAIT_OFF + SHMRING_SPACING);
}
static inline struct shmring_ctl *shmring__ctl(void *base)
{
	return (struct shmring_ctl *)((char *)base + SHMRING_CTL_OFF);
}
static inline struct shmring_part *shmring__parts(void *base)
{
	return (struct shmring_part *)((char *)base + SHMRING_PART_OFF);
}

/*
 * Compute the geometry of a fixed-slot ring; 0 or -EINVAL (capacity not a
 * power of two, out-of-range sizes).
 */
int shmring__geometry(uint64_t capacity, uint32_t slot_size, uint32_t max_participants,
		      struct shmring_geometry *g);

/*
 * The same for any kind. For SHMRING_KIND_MSG, capacity is the bytes of the
 * record area (a power of two, SHMRING_MSG_MIN_CAPACITY..SHMRING_MAX_CAPACITY)
 * and slot_size the largest payload, with room for two of the largest records
 * (so a record plus the padding before it always fits an empty ring); the
 * stride is the record alignment.
 */
int shmring__geometry_kind(uint32_t kind, uint64_t capacity, uint32_t slot_size,
			   uint32_t max_participants, struct shmring_geometry *g);

/* Make a fixed-slot geometry the dense SPSC layout's (SHMRING_FEAT_DENSE_SLOTS):
 * no stamp, the stride the slot size rounded up to 8. */
void shmring__geometry_dense(struct shmring_geometry *g);

/* Make a fixed-slot geometry of at most SHMRING_GROUP_MAX_SLOT bytes the
 * grouped SPSC layout's (SHMRING_FEAT_GROUPED_SLOTS): slot_stride the bytes
 * of a group. */
void shmring__geometry_grouped(struct shmring_geometry *g);

/* The slots a group of a grouped ring of slot_size-byte slots holds. */
static inline uint32_t shmring__group_slots(uint32_t slot_size)
{
	return slot_size <= 8 ? SHMRING_GROUP_SLOTS_8 : SHMRING_GROUP_SLOTS_16;
}

/* The number of groups of a grouped ring of capacity slots, per a group. */
uint64_t shmring__groups(uint64_t capacity, uint32_t per);

/*
 * Make a plain SPSC geometry that of one direction of a duplex
 * (SHMRING_FEAT_DUPLEX): slots_off and total_size relative to that
 * direction's header, the stride doubled. Direction 1's header lies at the
 * plain geometry's slots_off (C above): *block gets it.
 */
void shmring__geometry_duplex(struct shmring_geometry *g, uint32_t direction, uint64_t *block);

/* The SHMRING_HDR_MULTI_* bits in effect for a validated header. */
uint32_t shmring__hdr_multi(const struct shmring_hdr *h);

/* Bytes a record of `len` payload bytes takes in a message ring. */
static inline uint64_t shmring__rec_span(uint64_t len)
{
	return SHMRING_REC_HDR + ((len + SHMRING_REC_ALIGN - 1) & ~(uint64_t)(SHMRING_REC_ALIGN - 1));
}

/* FNV-1a 64 over the checked part of the header. */
uint64_t shmring__hdr_checksum(const struct shmring_hdr *h);

/* Fill a zeroed header for `g`; the caller stores the magic last. An SPSC
 * ring of slots up to SHMRING_GROUP_MAX_SLOT is grouped: g is then the
 * grouped geometry (shmring__geometry_grouped()), or the caller takes the
 * bit off (a dense ring, a duplex). */
void shmring__hdr_init(struct shmring_hdr *h, uint32_t kind, uint32_t flags,
		       const struct shmring_geometry *g, uint32_t uid, uint32_t pid,
		       uint64_t ctime_ns);

/*
 * Validate a header copy against the size of the segment it came from
 * (seg_size bytes). Returns 0 or a negative SHMRING_E* errno. Reads only the
 * copy, never the segment, so a writer racing with it cannot change what was
 * checked.
 */
int shmring__hdr_validate(const struct shmring_hdr *h, uint64_t seg_size);

/*
 * Validate the live indices of a mapped segment whose header passed
 * shmring__hdr_validate(): 0 or -EUCLEAN (consumer past producer, more than
 * capacity in flight; for the kinds other than SPSC, a position at or past
 * SHMRING_POS_MAX). For a ring in use by others this is a sanity check of
 * a snapshot, not a proof.
 */
int shmring__indices_validate(void *base, const struct shmring_hdr *h);

#endif /* SHMRING_RINGBUF_LAYOUT_H */
