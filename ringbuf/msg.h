/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/msg.h - the message ring: variable-length records (layout.h,
 * struct shmring_rec) with one or many producers and one or many consumers,
 * chosen at creation.
 *
 *   Producers  one: a private position, published after the records.
 *              many: claim bytes with a CAS on the producer position, then
 *              stamp each record CLAIMED (its size and owner in `info`).
 *              Either way a producer fills `info`, `type` and the payload and
 *              stores the stamp COMMITTED last.
 *   Consumers  one: a private position, published after each receive (the
 *              producers' free-space watermark, as in SPSC).
 *              many: claim whole records with a CAS on the consumer position,
 *              stamp READING, copy out, stamp RELEASED, then advance the
 *              release watermark `done` over every released record at its
 *              head (any consumer, and a producer short of room, may do it).
 *
 * A record that would cross the end of the area is preceded by a padding
 * record (PAD in `info`) that runs to the end; the producer claims both at
 * once. The largest record is at most half the area, so padding plus record
 * always fit an empty ring.
 *
 * Orderings, by label:
 *   R-commit (producer stores COMMITTED)     A-commit (consumer loads the stamp):
 *       header fields and payload are visible before the record is.
 *   R-cons   (one consumer stores its pos)   A-cons (producer loads it):
 *       the consumer's reads are done before the producer reuses the bytes.
 *   R-rel    (consumer stores RELEASED)      A-rel  (a sweeper loads it),
 *   R-done   (sweeper advances `done`)       A-cons (producer loads `done`):
 *       the same, through the sweeper.
 *   W-claim / W-read (CLAIMED, READING, release): whoever sees the stamp sees
 *       the position the claiming CAS advanced.
 *   F-sweep: after storing RELEASED, a consumer runs a full fence before it
 *       sweeps. Two consumers releasing neighbouring records out of order
 *       could otherwise each miss the other's release (store-buffer order)
 *       and both stop, leaving the watermark short.
 *
 * Untrusted memory: a stamp is compared with the exact value expected at
 * that position, so stale headers and old payload bytes never match (short
 * of a payload forged to hold that value); a length is checked against the
 * ring's largest record and the end of the area before anything is read
 * through it; `info` is re-checked when the copy is made, and a record found
 * impossible makes the receive fail with -EUCLEAN and the view corrupt.
 */
#ifndef SHMRING_RINGBUF_MSG_H
#define SHMRING_RINGBUF_MSG_H

#include "ringbuf/atomics.h"
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
	uint64_t mask;
	uint64_t capacity;   /* bytes of the record area */
	uint32_t max_len;    /* largest payload */
	uint32_t owner;      /* participant index, stamped in claims */
	bool mp, mc;
	bool corrupt;        /* a shared index or record was impossible */
	bool held;           /* zero-copy: a reservation or a peek is held */
	uint64_t pos;        /* a single side's next position */
	uint64_t peer_cache; /* producer: the free-space watermark last read */
	uint64_t held_pos;   /* zero-copy: the held record's position */
	uint64_t held_end;   /* zero-copy: the position after it */
	uint32_t held_len;
	uint32_t held_type;
};

void shmring__msg_view(struct shmring_msgring *v, void *base, const struct shmring_hdr *h,
		       uint32_t owner);
void shmring__msg_attach_producer(struct shmring_msgring *v);
void shmring__msg_attach_consumer(struct shmring_msgring *v);

/*
 * Send records m[0..n) (all: n or none). Returns the count sent; when none
 * was, 0 (no room) or -EMSGSIZE (the first record, or for all any record, is
 * larger than the ring allows).
 */
int shmring__msg_send(struct shmring_msgring *v, const struct shmring_msgvec *m, unsigned n,
		      bool all);

/*
 * Receive up to n records into m[] (m[i].len: in, the buffer's capacity; out,
 * the record's length). Returns the count; when none, 0 (empty), -EMSGSIZE
 * (the first record does not fit its buffer) or -EUCLEAN (corrupt record).
 */
int shmring__msg_recv(struct shmring_msgring *v, struct shmring_msgvec *m, unsigned n, bool all);

/* Zero-copy: see shmring_msg_reserve() and friends in shmring/ring.h. */
void *shmring__msg_reserve(struct shmring_msgring *v, size_t len);
int shmring__msg_commit(struct shmring_msgring *v, uint32_t type);
const void *shmring__msg_peek(struct shmring_msgring *v, size_t *len, uint32_t *type);
int shmring__msg_release(struct shmring_msgring *v);

/* Consumers: advance the release watermark over released records (many
 * consumers only; a no-op otherwise). */
void shmring__msg_sweep(struct shmring_msgring *v);

#endif /* SHMRING_RINGBUF_MSG_H */
