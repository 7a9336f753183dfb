/* SPDX-License-Identifier: MIT */
/*
 * benches/ring_bare.c - the bare rows: what the hardware gives a message
 * that moves one at a time with nothing around it, measured the way the
 * rings are, so that a ring's figure can be read against it.
 *
 * A bare ring is an array of BENCH_CAPACITY cells and the consumer's
 * position. The cell's last word signals the message and takes the place
 * of a stamp: a 64-byte message is one line whose first seven words are
 * the message's and whose eighth holds the cell's position plus one (the
 * message's own last word is not carried); an 8-byte message is one word
 * (eight to a line) holding the message's sequence number in its high half
 * and the position plus one in its low half. No stamp beside the payload,
 * no index the producer publishes, no presence or sleeper to look at: the
 * receiver waits for the signal of its position, copies, and publishes its
 * position (one store, on a line of its own, as the rings here do), and
 * the sender reads that position only when its cached copy says the array
 * is full.
 *
 * Not a ring anyone could use: a message gives up a word (64 bytes) or
 * half of one (8 bytes) to the signal. A stream through a ring with a stamp
 * moves at least the lines a bare one moves, so the stream rows bound what
 * one message at a time can reach. The round-trip rows are references, not
 * bounds: a round trip's time grows with the number of lines it cycles
 * through (docs/BENCHMARKS.md, "The bare rows"), and the library's rings,
 * 8-byte slots grouped six to a line (layout 8), ran below rtt/bare/slot:8 there.
 *
 *   bare         two arrays, one per direction, as two rings are.
 *   bare-duplex  round trips only: each exchange's request and reply cells
 *                side by side (request i at 2i, its reply at 2i + 1), the
 *                layout of a duplex (shmring_duplex_create()) without its
 *                stamps: four 8-byte exchanges to a line.
 */

#include "rings.h"

#include <stdlib.h>

#define BARE_WORDS (BENCH_MAX_SLOT / 8u)

/* One direction. The cells may lie in memory another direction shares
 * (bare-duplex); each side's own words and the published position are on
 * lines of their own. */
struct bare_one {
	/* the producer's */
	alignas(BENCH_SPACING) uint64_t ppos;
	uint64_t limit; /* the first position without room by the cached position */
	/* the consumer's */
	alignas(BENCH_SPACING) uint64_t cpos;
	alignas(BENCH_SPACING) _Atomic uint64_t published; /* the consumer's position */
	alignas(BENCH_SPACING) _Atomic uint64_t *cells;    /* cell 0 */
	uint32_t pitch;                                    /* words from one cell to the next */
};

/* The memory both directions' cells lie in, and the two directions. */
struct bare_pair {
	_Atomic uint64_t *area;
	struct bare_one *dir[2];
};

static _Atomic uint64_t *bare_cell(const struct bare_one *b, uint64_t pos)
{
	return b->cells + (pos % BENCH_CAPACITY) * b->pitch;
}

/* The signal of position pos: the position plus one, and for a cell of 8
 * bytes the message (seq) in the high half. A cell's earlier laps leave
 * positions smaller by a multiple of BENCH_CAPACITY; zeroed memory reads
 * as nothing sent. */
static inline uint64_t bare_signal(uint64_t pos, uint64_t seq, unsigned esize)
{
	return esize == 8 ? seq << 32 | ((pos + 1) & UINT32_MAX) : pos + 1;
}

static inline bool bare_signalled(uint64_t v, uint64_t pos, unsigned esize)
{
	return esize == 8 ? (v & UINT32_MAX) == ((pos + 1) & UINT32_MAX) : v == pos + 1;
}

/* Word i of a message, read 8 bytes a load as the library's senders read
 * theirs (shmring__copy_word()): a wider load over the caller's last
 * 8-byte store waits for it to reach the cache. */
static inline uint64_t bare_word(const unsigned char *msg, unsigned i)
{
	uint64_t w;

	memcpy(&w, msg + 8u * i, sizeof w);
#if defined(__GNUC__)
	/* w is opaque here: the compiler cannot merge neighbouring loads. */
	__asm__("" : "+r"(w));
#endif
	return w;
}

BENCH_INLINE int bare_send(struct bare_one *b, const struct bench_msg *m, unsigned esize)
{
	const uint64_t pos = b->ppos;

	if (pos >= b->limit) {
		/* Acquire: pairs with the release in bare_recv(): the receiver's
		 * reads of the cells below its position are over before we
		 * write them again. */
		b->limit = atomic_load_explicit(&b->published, memory_order_acquire) +
			   BENCH_CAPACITY;
		if (pos >= b->limit)
			return -EAGAIN;
	}

	_Atomic uint64_t *cell = bare_cell(b, pos);
	const unsigned words = esize / 8u;

	/* Relaxed: the signal's release below orders these before it. */
	for (unsigned i = 0; i + 1 < words; i++)
		atomic_store_explicit(&cell[i], bare_word(m->b, i), memory_order_relaxed);
	/* Release: pairs with the acquire in bare_recv(): the words before
	 * the signal are there once it is. */
	atomic_store_explicit(&cell[words - 1], bare_signal(pos, bare_word(m->b, 0), esize),
			      memory_order_release);
	b->ppos = pos + 1;
	return 0;
}

BENCH_INLINE int bare_recv(struct bare_one *b, struct bench_msg *m, unsigned esize)
{
	const uint64_t pos = b->cpos;
	_Atomic uint64_t *cell = bare_cell(b, pos);
	const unsigned words = esize / 8u;
	uint64_t w[BARE_WORDS];

	/* Acquire: pairs with the release in bare_send(). */
	const uint64_t v = atomic_load_explicit(&cell[words - 1], memory_order_acquire);
	if (!bare_signalled(v, pos, esize))
		return -EAGAIN;
	/* Relaxed: ordered after the signal by its acquire. */
	for (unsigned i = 0; i + 1 < words; i++)
		w[i] = atomic_load_explicit(&cell[i], memory_order_relaxed);
	w[words - 1] = esize == 8 ? v >> 32 : 0;
	memcpy(m->b, w, esize);
	b->cpos = pos + 1;
	/* Release: pairs with the acquire in bare_send(): our reads of the
	 * cell are over before the sender may reuse it. */
	atomic_store_explicit(&b->published, pos + 1, memory_order_release);
	return 0;
}

#define LOOP_RING                       "bare"
#define LOOP_END                        struct bare_one *
#define LOOP_SEND(arg, e, m, esize, mt) bare_send(e, m, esize)
#define LOOP_RECV(arg, e, m, esize, mt) bare_recv(e, m, esize)
#define LOOP_TX(p, side)                (((struct bare_pair *)(p)->ring)->dir[side])
#define LOOP_RX(p, side)                (((struct bare_pair *)(p)->ring)->dir[!(side)])
#define LOOP_MT(p)                      false
#include "loops.h"

static void bare_drop(struct bench_pair *p)
{
	struct bare_pair *s = p->ring;

	if (!s)
		return;
	free(s->dir[0]);
	free(s->dir[1]);
	free((void *)s->area);
	free(s);
	p->ring = NULL;
}

/* interleave: the two directions' cells side by side (bare-duplex), else
 * an array each. */
static int bare_setup(struct bench_pair *p, bool interleave)
{
	const unsigned cell_words = p->slot / 8u;
	struct bare_pair *s = calloc(1, sizeof *s);

	if (!s)
		return -ENOMEM;
	p->ring = s;
	/* Zero-filled: no cell holds a signal before its message is sent. */
	s->area = bench_alloc(2u * BENCH_CAPACITY * cell_words * sizeof(uint64_t));
	s->dir[0] = bench_alloc(sizeof *s->dir[0]);
	s->dir[1] = bench_alloc(sizeof *s->dir[1]);
	if (!s->area || !s->dir[0] || !s->dir[1]) {
		bare_drop(p);
		return -ENOMEM;
	}
	for (int d = 0; d < 2; d++) {
		struct bare_one *b = s->dir[d];

		b->limit = BENCH_CAPACITY;
		b->pitch = interleave ? 2u * cell_words : cell_words;
		b->cells = s->area + (interleave ? (unsigned)d * cell_words
						 : (unsigned)d * BENCH_CAPACITY * cell_words);
	}
	return 0;
}

static int bare_setup_apart(struct bench_pair *p)
{
	return bare_setup(p, false);
}

static int bare_setup_interleaved(struct bench_pair *p)
{
	return bare_setup(p, true);
}

const struct bench_pair_impl bench_pair_bare = {
    .name = "bare",
    .setup = bare_setup_apart,
    .teardown = bare_drop,
    .chunk = loop_chunk,
};

const struct bench_pair_impl bench_pair_bare_duplex = {
    .name = "bare-duplex",
    .setup = bare_setup_interleaved,
    .teardown = bare_drop,
    .chunk = loop_chunk,
};
