/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/msg.h - the message ring: variable-length records (layout.h,
 * struct shmring_rec) with one or many producers and one or many consumers,
 * chosen at creation.
 *
 *   Producers  one: a private position, published after the records.
 *              many: record the intent (claims.h) in the participant entry,
 *              claim bytes with a CAS on the producer position, then stamp
 *              each record CLAIMED (its size and owner in `info`) with a CAS
 *              from the stale stamp it replaces.
 *              Either way a producer fills `info`, `type` and the payload and
 *              stores the stamp COMMITTED last (with many producers a CAS
 *              from exactly its CLAIMED stamp).
 *   Consumers  one: a private position, published after each receive (the
 *              producers' free-space watermark, as in SPSC).
 *              many: record the intent, claim whole records with a CAS on
 *              the consumer position, stamp READING, copy out, stamp
 *              RELEASED, then advance the release watermark `done` over
 *              every released record at its head (any consumer, and a
 *              producer short of room, may do it).
 *   Skipped    a SKIPPED record (a claim recovery repaired, or a reservation
 *              cancelled at close; `info` gives its extent) and a FILLER
 *              (16 bytes recovery wrote over a claim whose extent was never
 *              stamped; with many consumers, only inside a repairer's own
 *              claim, passed by the sweep) are consumed like records but
 *              deliver nothing; each
 *              SKIPPED record is counted once in ctl->skipped, by the
 *              consumer that takes it. A receive goes on past them, so n
 *              records means n real ones; a receive that finds only these
 *              takes them and returns 0.
 *
 * A record that would cross the end of the area is preceded by a padding
 * record (PAD in `info`) that runs to the end; the producer claims both at
 * once. The largest record is at most half the area, so padding plus record
 * always fit an empty ring.
 *
 * Orderings, by label (each pair names its partner):
 *   R-commit (producer stores/CASes COMMITTED) A-commit (consumer loads the
 *       stamp): header fields and payload are visible before the record is.
 *   R-cons   (one consumer stores its pos)     A-cons (producer loads it):
 *       the consumer's reads are done before the producer reuses the bytes.
 *   R-rel    (consumer stores RELEASED)        A-rel  (a sweeper loads it),
 *   R-done   (sweeper advances `done`)         A-cons (producer loads `done`):
 *       the same, through the sweeper.
 *   R-ppos   (one producer stores its pos)     A-ppos (end-of-stream and
 *       recovery load it): every record below it is committed and visible.
 *   R-intent (a claimer stores its range, then takes it with a release CAS
 *       on the shared position)                A-intent (recovery loads the
 *       position, then the ranges; claims.h): whoever sees the position
 *       moved sees who moved it.
 *   R-repair (recovery and cancel write SKIPPED, FILLER or RELEASED, by a
 *       CAS from the exact stamp judged wherever another process may write
 *       the same word; release, acquire too where they read `info`) pairs
 *       with A-commit / A-rel like the stores they stand in for.
 *   W-claim / W-read (CLAIMED, READING, release): whoever sees the stamp sees
 *       the position the claiming CAS advanced, and with CLAIMED the `info`
 *       stored before it (recovery reads the extent and owner there).
 *   F-sweep: after storing RELEASED, a consumer runs a full fence before it
 *       sweeps. Two consumers releasing neighbouring records out of order
 *       could otherwise each miss the other's release (store-buffer order)
 *       and both stop, leaving the watermark short.
 *
 * Recovery (slow paths; liveness asked through struct shmring_judge, so the
 * core stays pure). A producer that dies between its claim and its commit
 * holds back every consumer at its record; a consumer that dies between its
 * claim and its release holds back producers once they wrap to it.
 *   - A CLAIMED record names its owner in `info`. The owner still holds it
 *     only while its entry's range covers the record (the entry may have been
 *     freed or taken over since); if it does not, or the judge says the owner
 *     is dead, the stamp goes CLAIMED -> SKIPPED by a CAS (the owner's late
 *     commit then fails: -SHMRING_EDROPPED).
 *   - A position taken but never stamped holds an older stamp, size unknown.
 *     Its claimer is among the producers whose range covers it (A-intent);
 *     when they are all dead, the dead claim is filled with FILLER stamps,
 *     one every 16 bytes, up to the nearest of: the dead ranges' ends, the
 *     start of any other producer's range, the producer position, and the
 *     first position that already carries its own stamp; so no position a
 *     live producer holds is ever written. A repairer writes only bytes it
 *     alone may write: one consumer fills its own head (nobody else may pass
 *     it); one of many first takes the dead range as its own receive claim
 *     (intent marked SHMRING_CLAIM_REPAIR, CAS on the consumer position)
 *     and fills it behind the consumers, the sweep passing the fillers. A
 *     repairer that dies mid-way leaves the rest to its successor (one
 *     consumer) or to the producers it holds back (many: a dead consumer's
 *     repair claim is filled by shmring__msg_recover_tx()).
 *   - A dead consumer's claim is released by a CAS to RELEASED (the record
 *     is lost, counted in ctl->cons_repairs) and swept.
 *   - A live owner's claim is never taken, however long it is stopped: the
 *     caller learns where it is held and by whom (-EAGAIN).
 *
 * Untrusted memory: a stamp is compared with the exact value expected at
 * that position, so stale headers and old payload bytes never match (short
 * of a payload forged to hold that value); every position read from shared
 * memory (producer and consumer positions, `done`, claim ranges) is checked
 * for the record alignment and to lie within a capacity of what it is
 * compared with before anything is addressed through it; a length is checked
 * against the ring's largest record and the end of the area before anything
 * is read through it; `info` is re-checked when the copy is made. What is
 * found impossible makes the call return -EUCLEAN (or nothing) with the
 * view's `corrupt` set. `corrupt` and `moved` describe the last call only, so
 * a handle recovers when the state becomes valid again.
 */
#ifndef SHMRING_RINGBUF_MSG_H
#define SHMRING_RINGBUF_MSG_H

#include "ringbuf/atomics.h"
#include "ringbuf/claims.h"
#include "ringbuf/layout.h"
#include "shmring/ring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One side's process-local view of a message ring. */
struct shmring_msgring {
	unsigned char *area;
	struct shmring_side *prod;
	struct shmring_side *cons;
	struct shmring_ctl *ctl;
	struct shmring_part *me; /* this side's participant entry; NULL: side not taken */
	uint64_t mask;
	uint64_t capacity;   /* bytes of the record area */
	uint32_t max_len;    /* largest payload */
	uint32_t owner;      /* participant index, stamped in claims */
	uint32_t gen;        /* the entry's generation (records carry no
			      * generation: the claim range stands in for it) */
	bool mp, mc;
	bool corrupt;        /* the last call found a shared index or record impossible */
	bool moved;          /* the last call advanced the producers' free-space
			      * watermark (consumer position or `done`): parked
			      * producers may have room */
	bool held;           /* zero-copy: a reservation or a peek is held */
	bool held_rx;        /* what is held: a peek (true) or a reservation */
	uint64_t pos;        /* a single side's next position */
	uint64_t peer_cache; /* producer: the free-space watermark last read */
	uint64_t held_pos;   /* zero-copy: the held record's position */
	uint64_t held_end;   /* zero-copy: the position after it */
	uint32_t held_len;
	uint32_t held_type;
	uint64_t dropped;    /* producer: records of this handle found repaired
			      * (SKIPPED or filled over) when it came to stamp them */
	uint64_t intent_end; /* many producers: the claim_end we stored; a repairer
			      * that judged us dead changes it */
	uint64_t claimed;    /* many producers: where our last claim moved the
			      * position; it never goes below that */
};

/*
 * Set up a view. owner: the participant index this side stamps; me: its
 * entry (NULL for a side the handle has not taken); gen: the generation
 * under which the entry was taken.
 */
void shmring__msg_view(struct shmring_msgring *v, void *base, const struct shmring_hdr *h,
		       uint32_t owner, struct shmring_part *me, uint32_t gen);

/*
 * Take over a side. 0, or -SHMRING_ECORRUPT (v->corrupt set) when a shared
 * position is misaligned or out of reach of the other side's: the handle
 * must not be used (the open should fail). With one producer, resumes after
 * the last record committed from the consumers' watermark on, wherever its
 * predecessor's published position lies within reach (a position inside a
 * record or past the last one was forged); a record there that cannot be
 * decoded, or consumers' claims past the records, are corruption too. With
 * one consumer, at its published position.
 */
int shmring__msg_attach_producer(struct shmring_msgring *v);
int shmring__msg_attach_consumer(struct shmring_msgring *v);

/*
 * Send records m[0..n) (all: n or none). Returns the count sent; when none
 * was, 0 (no room), -EMSGSIZE (the first record, or for all any record, is
 * larger than the ring allows) or -EUCLEAN (a shared position is
 * impossible). With many producers, a record whose claim recovery repaired
 * before it was committed is counted in v->dropped (and in the count sent:
 * it was handed over, and will not be delivered).
 */
int shmring__msg_send(struct shmring_msgring *v, const struct shmring_msgvec *m, unsigned n,
		      bool all);

/*
 * Receive up to n records into m[] (m[i].len: in, the buffer's capacity; out,
 * the record's length). Returns the count; when none, 0 (empty, or only
 * skipped records and fillers, which are taken), -EMSGSIZE (the first record
 * does not fit its buffer) or -EUCLEAN (corrupt record or position).
 */
int shmring__msg_recv(struct shmring_msgring *v, struct shmring_msgvec *m, unsigned n, bool all);

/*
 * Zero-copy: see shmring_msg_reserve() and friends in shmring/ring.h.
 * reserve returns NULL when there is no room, the length is too large, a
 * position is corrupt (v->corrupt) or, with many producers, the claim was
 * repaired before it could be stamped (counted in v->dropped). commit
 * returns 0, -EINVAL (nothing held) or -SHMRING_EDROPPED (many producers:
 * recovery made the record SKIPPED meanwhile; counted in v->dropped, never
 * delivered). peek returns NULL when empty (skipped records and fillers at
 * the head are taken meanwhile) or corrupt.
 */
void *shmring__msg_reserve(struct shmring_msgring *v, size_t len);
int shmring__msg_commit(struct shmring_msgring *v, uint32_t type);
const void *shmring__msg_peek(struct shmring_msgring *v, size_t *len, uint32_t *type);
int shmring__msg_release(struct shmring_msgring *v);

/*
 * Advance the release watermark over released records (many consumers
 * only; false otherwise). True when it moved (parked producers may have
 * room; v->moved is set too).
 */
bool shmring__msg_sweep(struct shmring_msgring *v);

/*
 * Consumer side, slow path, many producers only (0 otherwise, and 0 while
 * the view holds a peek): what holds the consumer head back (one consumer:
 * the handle's position; many: the shared one). Returns
 *   1        a dead producer's claim at the head was repaired (SKIPPED, or
 *            filled with FILLER; counted in ctl->prod_repairs): receive
 *            again (and call again if it is still empty: each call repairs
 *            at the head only);
 *   0        nothing to repair: nothing claimed there, the record is
 *            committed or skipped, or the state moved meanwhile;
 *   -EAGAIN  a live (or unjudgeable) process holds position *stall_pos
 *            (its participant index in *holder);
 *   -SHMRING_ECORRUPT  a position, a stamp or `info` is impossible
 *            (v->corrupt set).
 * Never blocks; asks j->dead() about each entry at most once.
 */
int shmring__msg_recover_rx(struct shmring_msgring *v, const struct shmring_judge *j,
			    uint64_t *stall_pos, uint32_t *holder);

/*
 * Producer side, slow path, many consumers only (0 otherwise): the release
 * watermark is held at a record a consumer claimed and never released. A
 * dead consumer's records are released (lost: ctl->cons_repairs counts the
 * messages) and swept. Returns 1 (the watermark moved or records were
 * released: send again; v->moved says whether producers have room now), 0
 * (nothing held: the ring is full of unclaimed records, or the state moved
 * meanwhile), -EAGAIN (a live consumer holds *stall_pos, its entry in
 * *holder) or -SHMRING_ECORRUPT.
 */
int shmring__msg_recover_tx(struct shmring_msgring *v, const struct shmring_judge *j,
			    uint64_t *stall_pos, uint32_t *holder);

/*
 * Consumer: true when nothing committed, skipped or claimed lies past the
 * consumer head (for end-of-stream: once no producer is left, nothing more
 * can come). False, with v->corrupt set, when the positions are impossible.
 */
bool shmring__msg_drained(struct shmring_msgring *v);

/*
 * At close: give up what the view holds. A reservation with many producers
 * becomes SKIPPED (a CAS from its CLAIMED stamp; counted in ctl->cancelled),
 * with one producer it is dropped (never published, so never the previous
 * lap's bytes; counted too); a peek with many consumers is released as by
 * shmring__msg_release(), with one the record stays for the next consumer
 * (what the peek passed before it is published as consumed; v->moved tells
 * whether producers got room). The view's intent is cleared.
 */
void shmring__msg_cancel(struct shmring_msgring *v);

#endif /* SHMRING_RINGBUF_MSG_H */
