/* SPDX-License-Identifier: MIT */
/*
 * src/cli/stress.h - `shmring stress`: many producer processes and several
 * consumer processes on one ring, and a verifier that proves nothing was
 * lost, duplicated, reordered per producer or torn.
 *
 * Pieces:
 *   cmd_stress.c     options, help, the summary (text and JSON), --sweep
 *   stress_run.c     the parent: ring, shared result area, fork, watch, reap,
 *                    and the faults of --kill and --stop
 *   stress_msg.c     ring kinds, the message format, building and checking
 *   stress_verify.c  what a consumer records per message, and the final merge
 *
 * The parent maps one anonymous shared area before fork (struct
 * shmring_stress_area); each child writes only its own part of it, and the
 * parent reads it while the run goes (progress) and after every child has
 * exited (verdict). Because the area is inherited across fork it sits at the
 * same address in every process, so plain pointers into it are fine here; the
 * ring itself is opened by name in each child, like any unrelated process.
 */
#ifndef SHMRING_CLI_STRESS_H
#define SHMRING_CLI_STRESS_H

#include "shmring/shmring.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Entry point of the `shmring stress` sub-command; argv[0] is "stress". */
int shmring_cmd_stress(int argc, char **argv);

#define SHMRING_STRESS_MAX_PRODUCERS 256u
#define SHMRING_STRESS_MAX_CONSUMERS 64u
/* Total bytes of seen-sequence bitmaps the parent will map (see
 * shmring_stress_bitmap_bits()); past it the exact check gives way to counts
 * and a multiset hash. */
#define SHMRING_STRESS_BITMAP_BUDGET (UINT64_C(1) << 30)

/* --- Ring kinds ---------------------------------------------------------- */

struct shmring_stress_kind {
	const char *name;
	uint32_t kind;    /* enum shmring_kind */
	bool multi_prod;  /* more than one producer allowed */
	bool multi_cons;  /* more than one consumer allowed */
	bool records;     /* variable-length records (msg) rather than fixed slots */
	uint32_t def_slot; /* default --slot-size */
	uint64_t def_cap;  /* default --capacity */
};

/* The kinds this build can stress, in a stable order; *n gets the count. */
const struct shmring_stress_kind *shmring_stress_kinds(size_t *n);
const struct shmring_stress_kind *shmring_stress_kind_find(const char *name);

/* --- Configuration and result ------------------------------------------ */

enum shmring_stress_inject {
	SHMRING_STRESS_INJECT_NONE = 0,
	/* One consumer (the first to take enough messages) ... */
	SHMRING_STRESS_INJECT_LOSE,    /* ... forgets one message it received */
	SHMRING_STRESS_INJECT_DUP,     /* ... records one twice */
	SHMRING_STRESS_INJECT_REORDER, /* ... records one after a later one of its producer */
	SHMRING_STRESS_INJECT_TEAR,    /* ... flips a byte of one before checking it */
};

struct shmring_stress_cfg {
	const struct shmring_stress_kind *kind;
	unsigned producers;
	unsigned consumers;
	uint32_t slot_size;    /* fixed kinds: bytes per slot; msg: largest record */
	uint64_t capacity;     /* fixed kinds: slots; msg: bytes of record area */
	uint32_t wait_mode;    /* enum shmring_wait_mode */
	uint64_t seed;
	uint64_t count;        /* messages per producer; 0: until the duration ends */
	uint64_t duration_ns;  /* 0: until every producer sent count */
	uint64_t stall_ns;     /* no progress for this long: a consumer stops draining,
				* and the parent (after a grace) calls the run hung */
	uint64_t timeout_ns;   /* the whole run, start to last exit; 0: automatic */
	uint64_t bitmap_limit; /* most sequence numbers per producer tracked exactly */
	const char *name;      /* ring name; NULL: a unique one */
	bool keep;             /* leave the ring's name in place at the end */
	bool quiet;            /* no progress lines */
	enum shmring_stress_inject inject;
	/* Faults in the ring's participants (--kill, --stop): */
	unsigned kill;         /* SIGKILL this many processes at random moments */
	unsigned stop;         /* SIGSTOP this many, each SIGCONT after a pause */
	uint32_t victims;      /* SHMRING_PRODUCER and/or SHMRING_CONSUMER */
	uint64_t stop_max_ns;  /* pauses are random in [stop_max_ns / 10, stop_max_ns] */
	uint64_t recovery_ns;  /* the ring's recovery deadline; 0: the library's default */
};

/* Killed consumers are replaced (a ring with no consumer would stall the
 * run), each by a new consumer slot: slots the run needs at most. */
unsigned shmring_stress_consumer_slots(const struct shmring_stress_cfg *cfg);

struct shmring_stress_result {
	/* what was moved */
	uint64_t sent;        /* messages the producers report sent (with the last
			       * message of a killed producer when it arrived) */
	uint64_t taken;       /* messages the consumers took from the ring */
	uint64_t recorded;    /* messages the verifier saw (differs with --inject) */
	uint64_t per_consumer[SHMRING_STRESS_MAX_CONSUMERS];
	unsigned consumer_slots; /* consumers that ran, replacements included */
	double seconds;       /* go to the last message taken */
	double msgs_per_s;
	/* violations */
	uint64_t lost, duplicated, out_of_order, torn, invalid;
	/* how the check was made */
	uint64_t bitmap_bits; /* sequence numbers per producer checked one by one */
	bool hashed;          /* some producer went past the bitmap */
	/* the ring's own counters at the end */
	uint64_t full_waits, empty_waits, wakes;
	uint64_t prod_repairs, cons_repairs, skipped, cancelled, reaped;
	uint64_t stall_max_ns;    /* the ring's longest stall behind a claim */
	bool ring_counts;         /* the figures above could be read */
	/* faults (--kill, --stop) and how every message is accounted for */
	unsigned killed, killed_producers, killed_consumers, stopped;
	unsigned faults_missed;   /* moments with no process left to hit */
	uint64_t last_delivered;  /* a killed producer's last message: it arrived */
	uint64_t last_never_sent; /* ... it did not: never committed, not lost */
	uint64_t salvaged;        /* held by a consumer when it was killed: recorded for it */
	uint64_t dropped;         /* lost with a dead consumer's claim, as the ring counted */
	unsigned died_receiving;  /* consumers killed in a receive: each may have had a
				   * claim, repaired or never (it is in nobody's way) */
	uint64_t repair_mismatch; /* repairs the ring counted that match no message */
	uint64_t live_repaired;   /* a live producer's claim repaired (-SHMRING_EDROPPED) */
	uint64_t longest_gap_ns;  /* longest wait of a consumer that ended with a message */
	/* processes */
	unsigned crashed;     /* children that died by a signal or exited non-zero */
	unsigned hung;        /* children killed because they stopped making progress */
	unsigned drain_gave_up; /* consumers that stopped waiting for missing messages */
	unsigned end_of_stream; /* consumers that stopped at end-of-stream (-EPIPE) */
	bool interrupted;     /* SIGINT/SIGTERM/SIGHUP */
	bool aborted;         /* a second one: children killed, no verdict */
	bool shrank;          /* the ring's segment shrank (SIGBUS): stopped, no verdict */
	bool injected;        /* the --inject fault was made */
	bool inject_missed;   /* --inject asked for, but no consumer made it */
	int setup_err;        /* < 0: the run could not start (ring, memory, fork) */
	char ring[224];       /* the ring's name */
	char why[256];        /* first problem seen, for the summary */
};

/*
 * Run one stress test as configured, filling *res. Returns 0 when the run
 * happened (res says whether it was clean), or a negative errno when it could
 * not start (then res->why says why). Prints progress to stderr unless quiet.
 * Not thread-safe: it owns SIGINT, SIGTERM, SIGHUP and the process's children.
 */
int shmring_stress_run(const struct shmring_stress_cfg *cfg, struct shmring_stress_result *res);

/* True when the result shows no violation, no failed child and no drain given up;
 * processes killed by --kill are not failures. */
bool shmring_stress_clean(const struct shmring_stress_result *res);

/* --- Messages (stress_msg.c) -------------------------------------------- */

/*
 * Every message starts with this header, stored little-endian-native with
 * memcpy (no alignment assumed): producer id, payload length, sequence number,
 * then a checksum over every other byte of the message (header fields,
 * payload, and for fixed slots the padding up to the slot's end).
 */
#define SHMRING_STRESS_HDR 24u

struct shmring_stress_hdr {
	uint32_t producer;
	uint32_t len; /* payload bytes after the header */
	uint64_t seq;
	uint64_t sum;
};

/*
 * Fill buf with message seq of producer: a payload of pseudo-random length
 * (0..room-HDR, now and then exactly 0 or the maximum) and content derived
 * from (seed, producer, seq). Fixed slots (records false) fill all room bytes
 * and pad after the payload; records end at the payload. Returns the
 * message's length in bytes. room >= SHMRING_STRESS_HDR.
 */
size_t shmring_stress_build(void *buf, size_t room, bool records, uint64_t seed,
			    uint32_t producer, uint64_t seq);

/*
 * Check a received message of n bytes (room: the slot size or the largest
 * record). Fills *h from the header either way. 0 when whole, -EBADMSG when
 * the length field or the checksum is wrong (a torn or corrupt message).
 */
int shmring_stress_check(const void *buf, size_t n, size_t room, bool records,
			 struct shmring_stress_hdr *h);

/* The record type carried with each msg-kind record: a function of the
 * producer and sequence number, so a wrong type is caught too. */
uint32_t shmring_stress_type(uint32_t producer, uint64_t seq);

/* A 64-bit value per (seed, producer, seq) for the multiset hash. */
uint64_t shmring_stress_mix(uint64_t seed, uint32_t producer, uint64_t seq);

/* --- The shared area and the verifier (stress_verify.c) ----------------- */

/* One per producer, written by that producer only (own 128-byte line). */
struct shmring_stress_prod {
	_Atomic uint64_t sent; /* messages sent so far; final once done is set */
	_Atomic uint32_t done;
	int32_t err;           /* < 0: why it stopped early */
	/* One past the sequence number being sent: stored before the send, as
	 * sent is stored after it. A producer killed between the two leaves
	 * trying = sent + 1, and message `sent` may or may not have gone out. */
	_Atomic uint64_t trying;
	uint64_t dropped_live; /* sends that returned -SHMRING_EDROPPED (then resent) */
	uint64_t epipe;        /* sends that found no consumer attached (then retried) */
	uint8_t pad[88];
};

/* One per consumer, written by that consumer only (own 128-byte line). */
struct shmring_stress_cons {
	_Atomic uint64_t taken;   /* messages taken from the ring */
	_Atomic uint64_t last_ns; /* CLOCK_MONOTONIC of the last one */
	_Atomic uint32_t done;
	int32_t err;
	uint64_t recorded;        /* messages the verifier recorded */
	uint64_t torn, invalid;   /* messages failing the check / naming no producer */
	uint32_t drain_gave_up;
	uint32_t end_of_stream;   /* stopped at -EPIPE: every producer gone, drained */
	uint64_t max_gap_ns;      /* longest wait that ended with a message */
	uint8_t pad[64];
};

/* Per (consumer, producer): what that consumer saw of that producer. */
struct shmring_stress_rec {
	uint64_t count;       /* messages recorded */
	uint64_t next;        /* one past the highest sequence number seen (0: none) */
	uint64_t dup;         /* seen twice by this consumer */
	uint64_t ooo;         /* arrived after a later one of the same producer */
	uint64_t beyond;      /* sequence numbers >= bitmap_bits: counted ... */
	uint64_t beyond_hash; /* ... and summed through shmring_stress_mix() */
	uint64_t pad[2];
};

/*
 * What a consumer has in hand, kept (when consumers may be killed) so that
 * the parent can finish the job for one that died: a message received into
 * its inbox but not yet recorded is recorded for it, and one it died
 * recording is put back to the state before and recorded again. States, in
 * the order a consumer goes through them for each message:
 */
enum shmring_stress_hand {
	SHMRING_STRESS_IDLE = 0,      /* nothing in hand */
	SHMRING_STRESS_RECEIVING = 1, /* a receive into the inbox is under way; the
				       * inbox header was spoiled first, so a whole
				       * message there arrived in this receive */
	SHMRING_STRESS_HOLDING = 2,   /* the inbox holds a message (len, type) */
	SHMRING_STRESS_RECORDING = 3, /* recording it; the fields below hold what
				       * recording changes, as it was before */
};

struct shmring_stress_journal {
	_Atomic uint32_t state; /* enum shmring_stress_hand */
	uint32_t len;       /* the inbox message's length ... */
	uint32_t type;      /* ... and record type */
	uint32_t producer;  /* RECORDING: the producer entry below belongs to; */
	uint32_t has_rec;   /*   0 when the message named no producer */
	uint32_t has_word;  /*   the bitmap word below is saved */
	uint64_t word_at;   /*   index of that word in the bitmap array */
	uint64_t word;
	uint64_t recorded, torn, invalid; /* the consumer's counters before */
	struct shmring_stress_rec rec;    /* the (consumer, producer) entry before */
};

struct shmring_stress_ctl {
	_Atomic uint32_t go;    /* parent: everyone start */
	_Atomic uint32_t stop;  /* parent: producers stop sending */
	_Atomic uint32_t abort; /* parent: everyone stop now */
	_Atomic uint32_t ready; /* children that have opened the ring */
	_Atomic uint32_t producers_done;
	_Atomic uint32_t inject_claimed; /* --inject: the consumer that makes the fault */
	uint64_t start_ns;      /* written before go is set */
	_Atomic uint32_t injected; /* --inject: the fault was made */
	_Atomic uint32_t killed;   /* parent: processes killed so far (--kill) */
	uint8_t pad[88];
};

struct shmring_stress_area {
	struct shmring_stress_ctl *ctl;
	struct shmring_stress_prod *prod; /* [producers] */
	struct shmring_stress_cons *cons; /* [consumers] */
	struct shmring_stress_rec *rec;   /* [consumers][producers] */
	uint64_t *bitmap;                 /* [consumers][producers][words] */
	struct shmring_stress_journal *journal; /* [consumers] */
	uint8_t *inbox;                   /* [consumers][inbox_stride]: where each receives */
	size_t inbox_stride;
	uint64_t words;                   /* bitmap words per (consumer, producer) */
	unsigned producers, consumers;    /* consumers: slots, replacements included */
	bool journaled;                   /* consumers keep their journal up to date */
	uint64_t seed;
	void *base;
	size_t size;
};

/*
 * Sequence numbers per producer to track exactly for this configuration:
 * the count (rounded up to 64) when known, else the limit; lowered so that all
 * bitmaps together stay within SHMRING_STRESS_BITMAP_BUDGET.
 */
uint64_t shmring_stress_bitmap_bits(const struct shmring_stress_cfg *cfg);

/* Map the shared area (zeroed; bitmap pages are touched only when used),
 * with an inbox of room bytes per consumer slot; journaled: consumers keep
 * their journal (only needed when they may be killed). 0 or -ENOMEM. */
int shmring_stress_area_map(struct shmring_stress_area *a, unsigned producers, unsigned consumers,
			    uint64_t bitmap_bits, uint64_t seed, size_t room, bool journaled);
void shmring_stress_area_unmap(struct shmring_stress_area *a);

/*
 * Consumer c records one received message of n bytes (only read). type is
 * the record type for the msg kind (ignored for fixed slots). Only consumer c
 * calls this for c (or the parent, once c is dead); it writes only c's part
 * of the area. When the area is journaled, the journal goes RECORDING before
 * the first change and IDLE after the last.
 */
void shmring_stress_record(struct shmring_stress_area *a, unsigned c, const void *buf, size_t n,
			   size_t room, bool records, uint32_t type);

/*
 * Set a journal's state (enum shmring_stress_hand) so that the parent, after
 * a kill, finds it in program order with the changes it guards: the compiler
 * may not move stores across it (SIGKILL stops the process between two
 * instructions; the parent reads after waitpid()).
 */
void shmring_stress_hand(struct shmring_stress_journal *j, uint32_t state);

/* The ring's repair figures the verifier checks the deliveries against. */
struct shmring_stress_ring_counts {
	bool known;              /* read from the ring; else the checks are skipped */
	bool deaths;             /* some child died (killed, crashed or hung): else
				  * every repair took a live process's claim */
	uint64_t prod_repairs;   /* dead producers' claims turned into skipped slots */
	uint64_t cons_repairs;   /* dead consumers' claims released: messages lost */
	uint64_t skipped;        /* skipped slots consumers dropped */
	uint64_t cancelled;      /* reservations cancelled by close */
	bool consumer_claims;    /* consumers claim before they copy (many consumers):
				  * a dead one's claim loses its message */
};

/*
 * After every child has exited, before the verdict: for each consumer whose
 * journal is not IDLE (it died with a message in hand), record what it held
 * (HOLDING), or undo and redo what it was recording (RECORDING). Returns how
 * many messages were recorded so; RECEIVING ones are left to the verifier.
 */
uint64_t shmring_stress_salvage(struct shmring_stress_area *a, size_t room, bool records);

/*
 * After every child has exited (and the salvage): merge what the consumers
 * recorded against what the producers sent, adding lost, duplicated,
 * out_of_order, torn, invalid, recorded and hashed into *res, and, with
 * faults, last_delivered, last_never_sent, salvaged, dropped, died_receiving,
 * repair_mismatch and live_repaired, checked against the ring's counts
 * (NULL: none).
 */
void shmring_stress_verify(const struct shmring_stress_area *a, size_t room, bool records,
			   const struct shmring_stress_ring_counts *ring,
			   struct shmring_stress_result *res);

#endif /* SHMRING_CLI_STRESS_H */
