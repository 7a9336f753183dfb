/* SPDX-License-Identifier: MIT */
/*
 * shmring/lane.h - the SPSC copy path compiled into the caller.
 *
 * shmring_try_send() and shmring_try_recv() on an SPSC ring take a short
 * path that makes no call and keeps no frame; what is left of their cost in
 * a tight loop is the call itself and the message passed through memory. A
 * lane moves that path into the caller's code: shmring_lane_try_send() and
 * shmring_lane_try_recv() are inline, do what the library's short path does
 * (the same loads, stores and orderings), answer most polls of an empty or
 * full ring themselves (as the library would, see shmring__lane_again()),
 * and call the library for everything else: a consumer that has gone, a
 * sleeper or an armed doorbell to wake, a reservation or peek held,
 * a slot size other than 8, 16, 32 or 64 bytes. So they return exactly what
 * shmring_try_send() and shmring_try_recv() return on the same handle.
 *
 *	struct shmring_lane *tx;
 *	int rc = shmring_lane_get(r, SHMRING_PRODUCER, &tx);
 *	...
 *	while (shmring_lane_try_send(tx, &value) == -EAGAIN)
 *		pause();
 *
 * A lane is part of its handle: it is valid until shmring_close() of that
 * handle, is used by the one thread that uses the handle (both sides of a
 * handle with both roles: one thread at a time), and
 * may be mixed with the handle's other calls (bulk, blocking, zero-copy) in
 * any order. Its fields are the library's: the caller reads none and writes
 * none. The send calls take a producer lane and the receive calls a
 * consumer lane, and the lane is not checked for NULL or for its side (the
 * per-message path): a lane of the other side is undefined behaviour. Everything the inline path reads from shared memory is a stamp it
 * compares with a position it holds or a word it tests for zero; slot
 * addresses come from the lane's own position and the geometry open
 * validated.
 *
 * The inline path knows the segment layout, so it is bound to it:
 * SHMRING_LANE_ABI names the layout version and the version of struct
 * shmring_lane this header was written for, shmring_lane_get() passes it to
 * the library, and a library of another layout or lane version refuses the
 * lane (-EPROTO) instead of letting this code run over a layout it does not
 * know. open already refused a segment of another layout. The handle's own
 * inline calls (at the end) make no such call: the library's soname carries
 * the same number, so a program never loads a library of another one.
 *
 * C11 only (it uses <stdatomic.h>). <shmring/shmring.h> includes it when
 * compiled as C11 by GCC or Clang, for the handle's inline calls at the end.
 */
#ifndef SHMRING_LANE_H
#define SHMRING_LANE_H

#ifdef __cplusplus
#error "shmring/lane.h is C11 only: from C++, call shmring_try_send() and shmring_try_recv()"
#endif

#include "ring.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Layout 9 (the segment), lane structure 7 (a handle begins with its two
 * lanes). The library's soname carries this number. */
#define SHMRING_LANE_ABI 0x0907u

/* The segment facts the inline path uses; the library asserts each against
 * its own definitions at build time. */
#define SHMRING_LANE_STAMP_SIZE 8u                     /* a slot: stamp, payload */
#define SHMRING_LANE_SIDE_POS 0u                       /* a side's position: its first word */
#define SHMRING_LANE_LIVE(presence) ((uint32_t)(presence)) /* live participants */
#define SHMRING_LANE_WAITING(waiters) ((waiters) & 0xffffu) /* announced sleepers */
#define SHMRING_LANE_PUBLISH_EVERY 64u                 /* producer position published */
#define SHMRING_LANE_AHEAD 64u                         /* slots the producer prefetches ahead */
#define SHMRING_LANE_READ_AHEAD 24u                    /* slots the consumer prefetches ahead */
#define SHMRING_LANE_GROUP 3u                          /* slots a stamp, grouped 9-16 bytes */
#define SHMRING_LANE_GROUP8 7u                         /* slots a stamp, grouped up to 8 */
#define SHMRING_LANE_GROUP_8 64u                       /* bytes of a group of 8-byte slots */
#define SHMRING_LANE_LINE 64u                          /* a cache line; groups and slots of up to one never straddle two */
#define SHMRING_LANE_LINE_SLOTS 7u                     /* the most slots a line holds */
#define SHMRING_LANE_SLIP_RUN 16u                      /* messages in a row before a slip (shmring_set_slip()) */

struct shmring_side; /* the segment's per-side words (the library's) */

/* One side of an SPSC ring in one handle. The library's: read only through
 * the functions below. */
struct shmring_lane {
	unsigned char *slots;        /* slot 0 of the segment */
	struct shmring_side *prod;   /* the producer's and the consumer's words */
	struct shmring_side *cons;
	uint64_t mask;               /* groups - 1 (one slot a group: capacity - 1) */
	uint64_t capacity;
	uint32_t stride;             /* bytes per group: its stamp and payloads */
	uint32_t size;               /* payload bytes */
	uint32_t group;              /* slots per group: 1, SHMRING_LANE_GROUP8 or
				      * SHMRING_LANE_GROUP */
	uint32_t pitch;              /* bytes from one payload of a group to the next */
	uint64_t pos;                /* this side's next position */
	uint64_t peer_cache;         /* producer: the consumer position last read;
				      * a dense ring's consumer: the producer's;
				      * a stamped ring's consumer: its position
				      * when it last found the ring empty */
	uint64_t limit;              /* producer: peer_cache + capacity (saturated)
				      * or look_at, whichever is less;
				      * the first position without room by it */
	_Atomic uint64_t *published; /* this side's position as others read it */
	_Atomic uint64_t *presence;  /* the other side's presence word */
	_Atomic uint32_t *waiters;   /* the word the other side announces sleep in */
	_Atomic uint64_t *bells;     /* producer: armed doorbells */
	shmring_t *ring;             /* the handle, for everything not inline */
	uint32_t go;                 /* the payload size (size) where the
				      * handle's checks hold (kind, role, nothing
				      * held, a consumer seen); else 0, and 0
				      * during a consumer's slip */
	bool poll_only;              /* nobody may sleep on this ring */
	bool corrupt;                /* a shared index failed its bounds check */
	bool dense;                  /* the dense layout: no stamps (go is 0) */
	bool no_ahead;               /* a duplex: the lines ahead are the other
				      * direction's too, so none is prefetched */
	uint32_t quiet;              /* empty (consumer) or full (producer)
				      * answers the short path may give before
				      * the library looks again */
	uint16_t slip;               /* consumer: empty answers a slip lasts
				      * (shmring_set_slip()); 0: never slips */
	uint16_t slipping;           /* consumer: answers left in this slip,
				      * the library's to count (go is 0) */
	uint64_t look_at;            /* producer: the position whose send goes
				      * to the library, to look at the peers
				      * now and then; limit never lies past it */
};

/*
 * A handle begins with its producer's lane and then its consumer's (the
 * library asserts both offsets): on an SPSC handle with that side's checks
 * holding, go is set and the short paths run; on every other handle go is 0
 * and every call goes to the library.
 */
#define SHMRING__HANDLE_LANE(r, side) ((struct shmring_lane *)(void *)(r) + (side))

/*
 * The lane of r's producer (role SHMRING_PRODUCER) or consumer
 * (SHMRING_CONSUMER) side in *out. 0, or -EINVAL (NULL argument, role not
 * exactly one of the two), -EPROTO (the library's layout or lane version is
 * not the one this header was written for), -ENOTSUP (a socket channel),
 * -SHMRING_EKIND (not an SPSC ring), -EPERM (the handle lacks the role).
 */
#define shmring_lane_get(r, role, out) shmring_lane_get_abi((r), (role), SHMRING_LANE_ABI, (out))
SHMRING_API int shmring_lane_get_abi(shmring_t *r, unsigned role, unsigned abi,
				     struct shmring_lane **out);

/* After an inline send (receive) that published and found a sleeper or an
 * armed doorbell (a producer asleep for room): wake them. Returns 0
 * (-EINVAL for a NULL lane). */
SHMRING_API int shmring_lane_wake(struct shmring_lane *l);

/* The rest of this header is the inline path itself. */

#define SHMRING_LANE_LIKELY(x) __builtin_expect(!!(x), 1)
#define SHMRING_LANE_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* The short send and receive, inlined into every caller: at -O2 (the
 * default build, RelWithDebInfo) GCC left them functions of their own, and
 * the library's one-message calls paid a call for each message
 * (docs/BENCHMARKS.md). */
#define SHMRING__ALWAYS_INLINE __attribute__((always_inline))

/* What the short path did: sent (received), found the ring full (empty)
 * and answers so itself, did so and found someone to wake, or left
 * everything to the general path without publishing. The first two are
 * the call's result as they stand, and the only ones not above zero. */
enum {
	SHMRING__LANE_DONE = 0,
	SHMRING__LANE_AGAIN = -EAGAIN,
	SHMRING__LANE_WAKE = 1,
	SHMRING__LANE_SLOW = 2
};
#define SHMRING__LANE_ANSWER(k) ((k) <= 0) /* k is the call's result */

/*
 * Slots lie in groups: a stamp, then the group's payloads. A group holds
 * one slot, or a line: SHMRING_LANE_GROUP8 slots of up to 8 bytes (seven
 * 8-byte messages to a line where a stamp each leaves four) or
 * SHMRING_LANE_GROUP of 9 to 16. The stamp is the newest
 * position of its group published, plus one; so position pos is published
 * when its group's stamp lies from pos + 1 to the group's end, the first
 * position of the next group (one slot a group: the stamp is pos + 1).
 * Earlier laps leave smaller stamps, zero-filled memory reads as empty.
 */
static inline uint64_t shmring__lane_group(const struct shmring_lane *l, uint64_t pos)
{
	if (l->group == 1)
		return pos;
	/* Constant divisors, each a multiplication. */
	return l->group == SHMRING_LANE_GROUP8 ? pos / SHMRING_LANE_GROUP8
					       : pos / SHMRING_LANE_GROUP;
}

/* The stamp of pos's group. */
static inline _Atomic uint64_t *shmring__lane_stamp(const struct shmring_lane *l, uint64_t pos)
{
	return (_Atomic uint64_t *)(void *)(l->slots +
					    (shmring__lane_group(l, pos) & l->mask) * l->stride);
}

/* The payload of pos, in the group whose stamp is at stamp. */
static inline unsigned char *shmring__lane_payload(const struct shmring_lane *l, uint64_t pos,
						   _Atomic uint64_t *stamp)
{
	uint64_t first = shmring__lane_group(l, pos) * l->group;

	return (unsigned char *)stamp + SHMRING_LANE_STAMP_SIZE + (pos - first) * l->pitch;
}

/* The first position past pos's group. */
static inline uint64_t shmring__lane_end(const struct shmring_lane *l, uint64_t pos)
{
	return (shmring__lane_group(l, pos) + 1) * l->group;
}

/* Whether a group stamp w publishes pos (end: shmring__lane_end(pos)). */
static inline bool shmring__lane_published(uint64_t w, uint64_t pos, uint64_t end)
{
	return w - (pos + 1) < end - pos;
}

/* The same three where the payload is 8 bytes (go is 8): the slots are
 * then grouped, SHMRING_LANE_GROUP_8 bytes a group, which the library
 * checks before it sets go. */
static inline _Atomic uint64_t *shmring__lane_stamp8(const struct shmring_lane *l, uint64_t pos)
{
	return (_Atomic uint64_t *)(void *)(l->slots + ((pos / SHMRING_LANE_GROUP8) & l->mask) *
							       SHMRING_LANE_GROUP_8);
}

static inline unsigned char *shmring__lane_payload8(uint64_t pos, _Atomic uint64_t *stamp)
{
	return (unsigned char *)stamp + SHMRING_LANE_STAMP_SIZE +
	       (pos % SHMRING_LANE_GROUP8) * SHMRING_LANE_STAMP_SIZE;
}

static inline uint64_t shmring__lane_end8(uint64_t pos)
{
	return (pos / SHMRING_LANE_GROUP8 + 1) * SHMRING_LANE_GROUP8;
}

/* The copy sizes the short paths move inline (no call): false for any
 * other size, which the general path copies. Inlined into a caller whose
 * buffer has one of these sizes, the branches of the others cannot run;
 * GCC's bounds warnings would still name them, so they are off here. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif
static inline bool shmring__copy_fixed(void *dst, const void *src, uint32_t n)
{
	switch (n) {
	case 8:
		memcpy(dst, src, 8);
		return true;
	case 16:
		memcpy(dst, src, 16);
		return true;
	case 32:
		memcpy(dst, src, 32);
		return true;
	case 64:
		memcpy(dst, src, 64);
		return true;
	default:
		return false;
	}
}

/* Payload bytes that share a stamped slot's first line with its stamp.
 * A slot with a longer payload starts on a line (and so its stamp). */
#define SHMRING_LANE_HEAD (SHMRING_LANE_LINE - SHMRING_LANE_STAMP_SIZE)

/* The largest message shmring__copy_in() reads a word at a time. */
#define SHMRING_LANE_WORDS_MAX 256u

/*
 * n bytes of a message from the sender's buffer into shared memory, read 8
 * bytes a load (the last n % 8 bytes, and messages longer than
 * SHMRING_LANE_WORDS_MAX, by memcpy()). A sender has usually just stored a
 * field of the message (a sequence number, a length), and that store is
 * still in its store buffer. A wider load that covers it only in part
 * cannot take its bytes from there: it waits until the store, and every
 * store before it, has reached the cache, among them the last message's,
 * whose slot line may still be on its way back from the consumer. Each
 * message then waits for the last one's line, and a stream moves one line
 * change at a time. An 8-byte load takes its bytes from any store of 8
 * bytes or more that covers it. (Two threads streaming 64-byte messages
 * through the library near, ns a message: about 50 with 16-byte loads,
 * about 25 with these; docs/BENCHMARKS.md.)
 */
static inline void shmring__copy_word(unsigned char *dst, const unsigned char *src)
{
	uint64_t w;

	memcpy(&w, src, 8);
#if defined(__GNUC__)
	/* w is opaque here: the compiler cannot merge the loads of
	 * neighbouring words into one wider load. */
	__asm__("" : "+r"(w));
#endif
	memcpy(dst, &w, 8);
}

static inline void shmring__copy_in(void *dst, const void *src, size_t n)
{
	unsigned char *d = (unsigned char *)dst;
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0;

	if (n > SHMRING_LANE_WORDS_MAX) {
		memcpy(d, s, n);
		return;
	}
	for (; i + 8u <= n; i += 8u)
		shmring__copy_word(d + i, s + i);
	if (i < n)
		memcpy(d + i, s + i, n - i);
}

/* n bytes of a message from the sender's buffer: 8 bytes a load where
 * words (shmring__copy_in()), else as memcpy() reads them. A send that has
 * just claimed its position with a locked instruction (many producers)
 * passes false: that instruction waited for every older store, so a wider
 * load has none to wait for. */
static inline void shmring__copy_from(void *dst, const void *src, size_t n, bool words)
{
	if (words)
		shmring__copy_in(dst, src, n);
	else
		memcpy(dst, src, n);
}

/*
 * A message into its stamped slot, for the sizes shmring__copy_fixed()
 * moves (false for any other), 8 bytes a load (shmring__copy_in()): what
 * lies past the stamp's line first, then what shares that line. The
 * consumer waiting for the message reads the stamp's line again and again;
 * written in address order, that line is taken for the first bytes, then
 * the next line is fetched, and a read of the consumer's meanwhile takes
 * the stamp's line back, to be fetched again for the rest and the stamp.
 * Written last and all at once, it is fetched once a message (a stream of
 * 64-byte messages through the library's send, far: 81-86 -> 59-61 ns a
 * message; docs/BENCHMARKS.md).
 */
static inline bool shmring__fill_fixed(void *payload, const void *src, uint32_t n)
{
	unsigned char *d = (unsigned char *)payload;
	const unsigned char *s = (const unsigned char *)src;

	/* Word by word, each size on its own: a loop shared by the sizes
	 * would cost the 8-byte send a count and a branch. */
	switch (n) {
	case 8:
		shmring__copy_word(d, s);
		return true;
	case 16:
		shmring__copy_word(d + 8, s + 8);
		shmring__copy_word(d, s);
		return true;
	case 32:
		shmring__copy_word(d + 24, s + 24);
		shmring__copy_word(d + 16, s + 16);
		shmring__copy_word(d + 8, s + 8);
		shmring__copy_word(d, s);
		return true;
	case 64:
		shmring__copy_word(d + 56, s + 56); /* past the stamp's line */
		shmring__copy_word(d + 48, s + 48);
		shmring__copy_word(d + 40, s + 40);
		shmring__copy_word(d + 32, s + 32);
		shmring__copy_word(d + 24, s + 24);
		shmring__copy_word(d + 16, s + 16);
		shmring__copy_word(d + 8, s + 8);
		shmring__copy_word(d, s);
		return true;
	default:
		return false;
	}
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* The message at pos is in its slot: stamp it and move on. Producer only. */
static inline void shmring__lane_stamp1(struct shmring_lane *l, _Atomic uint64_t *stamp,
					uint64_t pos)
{
	/* R-stamp: pairs with A-stamp in shmring__lane_ready() and every
	 * receive of ringbuf/spsc.h: the payload before the stamp. */
	atomic_store_explicit(stamp, pos + 1, memory_order_release);
	l->pos = pos + 1;
	if (SHMRING_LANE_UNLIKELY((pos + 1) % SHMRING_LANE_PUBLISH_EVERY == 0))
		/* R-pub: pairs with A-pub in the consumer's stamp check: the
		 * stamps below it are there once it is (a plain store on
		 * x86-64, as relaxed would be). */
		atomic_store_explicit(l->published, pos + 1, memory_order_release);
}

/* The message at pos has been copied out: give its slot back. Consumer only. */
static inline void shmring__lane_taken1(struct shmring_lane *l, uint64_t pos)
{
	l->pos = pos + 1;
	/* R-cons: pairs with A-cons in the producer's room check: our read of
	 * the slot is over before the producer may reuse it. */
	atomic_store_explicit(l->published, pos + 1, memory_order_release);
}

/*
 * The producer asks for a slot's line ahead of time, with intent to write:
 * SHMRING_LANE_AHEAD positions on, or nearer where the ring is nearly
 * full, and not in a line the consumer has yet to finish. By the cached
 * consumer position every slot before limit is free, yet the line of
 * limit - 1 may still hold slots the consumer is reading: taking it for
 * writing takes it from the consumer, which takes it back for its next
 * slot, once per message while the ring stays full. A line holds at most
 * SHMRING_LANE_LINE_SLOTS slots, so every position up to limit minus that
 * many lies in a line the consumer is done with. With
 * fewer free slots than that, it is a position just written, whose line a
 * consumer nearly a ring behind is not reading unless the ring is only a
 * few lines long. Where limit itself is below that many (the first
 * positions of a ring of a few slots), limit minus that many wraps and the
 * position asked for is SHMRING_LANE_AHEAD on, whose address is masked into
 * the ring's slots as every other. The line comes over while this and the
 * next messages are written instead of when the producer reaches it, and
 * a consumer just behind the producer finds each line written whole. It
 * loads nothing and never faults.
 *
 * As short as it is on purpose: a caller's own inline wrapper of a send
 * is inlined only while this path stays small, and a send behind a call
 * costs a tight loop several times its speed (docs/BENCHMARKS.md).
 */
static inline uint64_t shmring__lane_ahead_pos(uint64_t pos, uint64_t limit)
{
	uint64_t last = limit - SHMRING_LANE_LINE_SLOTS;
	uint64_t want = pos + SHMRING_LANE_AHEAD;

	return want < last ? want : last;
}

static inline void shmring__prefetch_write(const void *at)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("prefetchw %0" ::"m"(*(const char *)at));
#else
	__builtin_prefetch(at, 1, 3);
#endif
}

/*
 * A line asked for to read. An instruction of its own on x86: GCC 12
 * dropped the read-ahead's __builtin_prefetch() (behind its test of the
 * stride) from the library's receive and from a program's inline one,
 * where clang kept it; an asm statement stays as written
 * (tests/check_hot_paths.sh).
 */
static inline void shmring__prefetch_read(const void *at)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("prefetcht0 %0" ::"m"(*(const char *)at));
#else
	__builtin_prefetch(at, 0, 3);
#endif
}

/*
 * Whether the slot of payload begins a line (its group's stamp begins one
 * and it is the group's first slot): the producer asks for the line ahead
 * only there, once a line rather than once a message. The slot a fixed
 * number of positions on lies in the line as many lines on as ours, for
 * each line in turn, so every line is still asked for; up to seven slots of
 * 8-byte messages share one, and a producer bound by its own instructions
 * (two threads close together) saves the address and the hint on all but
 * one of them.
 */
static inline bool shmring__lane_line_start(const unsigned char *payload)
{
	return ((uintptr_t)payload & (SHMRING_LANE_LINE - 1)) == SHMRING_LANE_STAMP_SIZE;
}

/* The prefetch of slot ahead's first line, and its second where the slot
 * spans two (a 64-byte payload and its stamp make 72 bytes, in a slot of
 * 128: the largest slot the inline path fills). */
static inline void shmring__lane_prefetch(const struct shmring_lane *l, uint64_t ahead)
{
	const unsigned char *at = (const unsigned char *)shmring__lane_stamp(l, ahead);

	/* A duplex's other producer writes the same lines: taking one for
	 * writing ahead of time takes it from that producer, each time. */
	if (l->no_ahead)
		return;
	shmring__prefetch_write(at);
	if (l->stride > SHMRING_LANE_LINE)
		shmring__prefetch_write(at + SHMRING_LANE_LINE);
}

/*
 * The consumer asks for a line of the slot SHMRING_LANE_READ_AHEAD
 * positions on, to read, where a slot spans two lines (a 64-byte payload
 * after its stamp): the second, which holds the payload's last bytes. A
 * stream of such messages between two threads far apart went from 56-65 to
 * 39-49 ns a message with it (16 to 128 positions on about the same, 8
 * slower than none). The first line (the stamp's) alone gained nothing,
 * both lines less than the second alone; asked for only where the
 * producer's published position shows the slot written, a third of the
 * gain was left, so it is asked for whether or not the producer has
 * reached it. Not for the message the consumer found missing at its last
 * look (peer_cache): a consumer that waits for each message, as in a round
 * trip, has nothing ahead to read, and there the hint cost near round
 * trips of 64-byte messages 4-20 ns in one burst (docs/BENCHMARKS.md). It
 * loads nothing and never faults: the address comes from our position and
 * the geometry.
 */
static inline void shmring__lane_read_ahead(const struct shmring_lane *l, uint64_t pos)
{
	if (l->stride == 2 * SHMRING_LANE_LINE && !l->no_ahead && pos != l->peer_cache)
		shmring__prefetch_read((const unsigned char *)shmring__lane_stamp(
					       l, pos + SHMRING_LANE_READ_AHEAD) +
				       SHMRING_LANE_LINE);
}

/*
 * An answer of -EAGAIN without the library: the ring is empty (full) by
 * the short path's lights. The library's own such answer is -EAGAIN unless
 * the handle has wakes to flush or a corrupt index to report, the peers
 * have gone, or it is time to look for dead ones; after each such look it
 * grants the lane a number of answers of its own (quiet), which it takes
 * back whenever it has something to flush. So: -EAGAIN here while a grant
 * lasts, else the library. A peer that dies is seen within one grant of
 * the library's look, as before it.
 */
static inline int shmring__lane_again(struct shmring_lane *l)
{
	if (l->quiet == 0)
		return SHMRING__LANE_SLOW;
	l->quiet--;
	return SHMRING__LANE_AGAIN;
}

/* The producer's reading of the consumer position c (checked): the cache,
 * and the limit of the room check, saturated rather than let it wrap (a
 * limit past every position is exact there: each has room), and never past
 * look_at. */
static inline void shmring__lane_seen(struct shmring_lane *l, uint64_t c)
{
	uint64_t limit = c > UINT64_MAX - l->capacity ? UINT64_MAX : c + l->capacity;

	l->peer_cache = c;
	l->limit = limit < l->look_at ? limit : l->look_at;
}

/*
 * The producer at its limit: the consumer's position read again, as the
 * library would. Room by it, or the ring full (shmring__lane_again()). A
 * position the library would find impossible (past ours) reads as a full
 * ring here, so the library reports it when the grant runs out. Inline, so
 * that a producer polling a full ring makes no call: a call's frame is
 * written to the caller's stack, whose lines a consumer thread may be
 * reading (a context the two share), and every poll would take them from
 * it (docs/BENCHMARKS.md).
 */
static inline int shmring__lane_refill(struct shmring_lane *l, uint64_t pos, uint64_t *limit)
{
	uint64_t c;

	/*
	 * At look_at (the limit never lies past it): this send goes to the
	 * library, which looks at the peers now and then, so that a consumer
	 * killed while the ring has room is found as a full ring's answers
	 * find it. Through the limit, not a test of its own on every send:
	 * one cost a tight loop 7-15% (docs/BENCHMARKS.md).
	 */
	if (pos >= l->look_at)
		return SHMRING__LANE_SLOW;
	/* A-cons: pairs with R-cons in shmring__lane_taken1() and the
	 * receives of ringbuf/spsc.h: the consumer's reads of the slots below
	 * c are over before we reuse them. */
	c = atomic_load_explicit(
		(_Atomic uint64_t *)(void *)((unsigned char *)l->cons + SHMRING_LANE_SIDE_POS),
		memory_order_acquire);
	if (SHMRING_LANE_UNLIKELY(pos - c >= l->capacity))
		return shmring__lane_again(l);
	shmring__lane_seen(l, c);
	*limit = l->limit; /* above pos: pos is below look_at and c + capacity */
	return SHMRING__LANE_DONE;
}

/*
 * The short send, in two halves around the copy. First: may the message at
 * pos go into its slot? A consumer present, and room by the cached
 * consumer position (pos below limit) or by its position read again
 * (*limit then updated); nothing written. The caller reads pos and limit
 * from the lane once, before this: the compiler may not carry a field it
 * loaded across the shared words' atomic loads and stores, so a field
 * read again after them is loaded again.
 */
static inline int shmring__lane_room(struct shmring_lane *l, uint64_t pos, uint64_t *limit)
{
	/* Relaxed (presence): a send racing the last consumer's close may go
	 * either way, as a write racing a pipe's close does. go first: the
	 * pointers are set only where it is. */
	if (SHMRING_LANE_UNLIKELY(
		    !l->go ||
		    SHMRING_LANE_LIVE(atomic_load_explicit(l->presence, memory_order_relaxed)) == 0))
		return SHMRING__LANE_SLOW;
	return SHMRING_LANE_LIKELY(pos < *limit) ? SHMRING__LANE_DONE
						 : shmring__lane_refill(l, pos, limit);
}

/* Then, the payload in the slot: the stamp and one look for sleepers and
 * doorbells. */
static inline int shmring__lane_sent(struct shmring_lane *l, _Atomic uint64_t *stamp, uint64_t pos)
{
	uint64_t w;

	shmring__lane_stamp1(l, stamp, pos);
	if (l->poll_only)
		return SHMRING__LANE_DONE;
	/* N-light: no fence after the publication; the compiler barrier only
	 * keeps the loads below after the stamp in program order. */
	atomic_signal_fence(memory_order_seq_cst);
	/* Relaxed, both: N-light, pairs with F-wait and S-settle in a waiter
	 * (waiters) and with S-settle in a doorbell's registration (bells;
	 * the armed bits themselves are read after F-notify). */
	w = SHMRING_LANE_WAITING(atomic_load_explicit(l->waiters, memory_order_relaxed)) |
	    atomic_load_explicit(l->bells, memory_order_relaxed);
	return SHMRING_LANE_UNLIKELY(w != 0) ? SHMRING__LANE_WAKE : SHMRING__LANE_DONE;
}

/* The short send of msg (l->size bytes); SHMRING__LANE_SLOW before anything
 * is published for every case it does not take. */
static inline SHMRING__ALWAYS_INLINE int shmring__lane_send(struct shmring_lane *l, const void *msg)
{
	uint64_t pos = l->pos, limit = l->limit;
	_Atomic uint64_t *stamp;
	unsigned char *payload;
	int k = shmring__lane_room(l, pos, &limit);

	if (SHMRING_LANE_UNLIKELY(k != SHMRING__LANE_DONE))
		return k;
	stamp = shmring__lane_stamp(l, pos);
	payload = shmring__lane_payload(l, pos, stamp);
	/* The prefetch before the copy, whose stores the compiler must assume
	 * may change the lane. For a size the library copies (below) it is
	 * issued all the same: a hint, it changes nothing the library sees. */
	if (shmring__lane_line_start(payload))
		shmring__lane_prefetch(l, shmring__lane_ahead_pos(pos, limit));
	if (SHMRING_LANE_UNLIKELY(!shmring__fill_fixed(payload, msg, l->size)))
		return SHMRING__LANE_SLOW;
	return shmring__lane_sent(l, stamp, pos);
}

/*
 * Nothing at the consumer's position: -EAGAIN by shmring__lane_again()
 * while a producer is present, else the library (end-of-stream). A
 * producer that closes is seen at once.
 */
static inline int shmring__lane_empty(struct shmring_lane *l)
{
	/* Relaxed (presence): as in the send's room check; a producer's
	 * leaving is ordered after its last message by the library's acquire
	 * on the general path, which a gone producer sends us to. */
	if (SHMRING_LANE_LIVE(atomic_load_explicit(l->presence, memory_order_relaxed)) == 0)
		return SHMRING__LANE_SLOW;
	return shmring__lane_again(l);
}

/*
 * The consumer looked at pos and found the message missing. A look that
 * comes after SHMRING_LANE_SLIP_RUN messages or more in a row (since the
 * last one that found the ring empty, peer_cache) ends a run of a stream it
 * has caught up with, and starts a slip where the handle asked for one
 * (shmring_set_slip()): the lane hands every receive to the library (go 0),
 * which answers l->slip of them without looking and then gives the short
 * path back. So the receive that looks costs nothing more, and a round
 * trip's polls run as they did.
 */
static inline int shmring__lane_nothing(struct shmring_lane *l, uint64_t pos)
{
	uint64_t run = pos - l->peer_cache;

	l->peer_cache = pos;
	if (SHMRING_LANE_UNLIKELY(l->slip != 0) && run >= SHMRING_LANE_SLIP_RUN) {
		l->slipping = l->slip;
		l->go = 0;
		return SHMRING__LANE_AGAIN;
	}
	return shmring__lane_empty(l);
}

/* The short receive, likewise. First: is the message at pos there? Its
 * group's stamp in *stamp if it is. */
static inline bool shmring__lane_ready(const struct shmring_lane *l, uint64_t pos,
				       _Atomic uint64_t **stamp)
{
	/* go first: the geometry is set only where it is. */
	if (SHMRING_LANE_UNLIKELY(!l->go))
		return false;
	*stamp = shmring__lane_stamp(l, pos);
	/* A-stamp: pairs with R-stamp in shmring__lane_stamp1() and the sends
	 * of ringbuf/spsc.h: the payload is there once the stamp is. */
	return shmring__lane_published(atomic_load_explicit(*stamp, memory_order_acquire), pos,
				       shmring__lane_end(l, pos));
}

/* Then, the payload copied out: the slot given back and one look for
 * producers asleep for room. */
static inline int shmring__lane_received(struct shmring_lane *l, uint64_t pos)
{
	shmring__lane_taken1(l, pos);
	if (l->poll_only)
		return SHMRING__LANE_DONE;
	/* N-light, as in the send: no fence after giving the slot back. */
	atomic_signal_fence(memory_order_seq_cst);
	/* Relaxed, N-light: pairs with F-wait and S-settle in the waiter. */
	return SHMRING_LANE_UNLIKELY(SHMRING_LANE_WAITING(atomic_load_explicit(
		       l->waiters, memory_order_relaxed)) != 0)
		       ? SHMRING__LANE_WAKE
		       : SHMRING__LANE_DONE;
}

/* The short receive into msg (l->size bytes). */
static inline SHMRING__ALWAYS_INLINE int shmring__lane_recv(struct shmring_lane *l, void *msg)
{
	uint64_t pos = l->pos;
	_Atomic uint64_t *stamp;

	if (SHMRING_LANE_UNLIKELY(!shmring__lane_ready(l, pos, &stamp))) {
		if (!l->go)
			return SHMRING__LANE_SLOW;
		return shmring__lane_nothing(l, pos);
	}
	shmring__lane_read_ahead(l, pos);
	if (SHMRING_LANE_UNLIKELY(
		    !shmring__copy_fixed(msg, shmring__lane_payload(l, pos, stamp), l->size)))
		return SHMRING__LANE_SLOW;
	return shmring__lane_received(l, pos);
}

/* As shmring_try_send() on the lane's handle, the common case inline. */
static inline int shmring_lane_try_send(struct shmring_lane *l, const void *msg)
{
	int k = shmring__lane_send(l, msg);

	if (SHMRING_LANE_LIKELY(SHMRING__LANE_ANSWER(k)))
		return k;
	return k == SHMRING__LANE_WAKE ? shmring_lane_wake(l) : shmring_try_send(l->ring, msg);
}

/* As shmring_try_recv() on the lane's handle, the common case inline. */
static inline int shmring_lane_try_recv(struct shmring_lane *l, void *msg)
{
	int k = shmring__lane_recv(l, msg);

	if (SHMRING_LANE_LIKELY(SHMRING__LANE_ANSWER(k)))
		return k;
	return k == SHMRING__LANE_WAKE ? shmring_lane_wake(l) : shmring_try_recv(l->ring, msg);
}

/*
 * 8-byte messages by value. The pointer forms above make the caller keep
 * the message in memory (usually its stack) for every call; these keep it
 * in a register on the common path and put it in memory only out of line,
 * so a tight loop stores nothing but the slot. They return what
 * shmring_try_send_u64() and shmring_try_recv_u64() return on the lane's
 * handle.
 */

/*
 * go 1: 8-byte slots with a stamp each (a duplex's). The by-value calls
 * take them in their out-of-line tails below, the message in registers all
 * the way. Through the pointer path's short calls (a copy through memory),
 * with the tail's result also behind the pointer the library's receive was
 * given, a duplex's round trip by value took 129-164 ns near where it takes
 * 94-118 ns so (docs/BENCHMARKS.md).
 */
static inline int shmring__lane_send1_u64(struct shmring_lane *l, uint64_t v, uint64_t pos,
					  uint64_t limit)
{
	_Atomic uint64_t *stamp = shmring__lane_stamp(l, pos);
	unsigned char *payload = shmring__lane_payload(l, pos, stamp);

	if (shmring__lane_line_start(payload))
		shmring__lane_prefetch(l, shmring__lane_ahead_pos(pos, limit));
	memcpy(payload, &v, 8);
	return shmring__lane_sent(l, stamp, pos);
}

static inline int shmring__lane_recv1_u64(struct shmring_lane *l, uint64_t *v)
{
	uint64_t pos = l->pos;
	_Atomic uint64_t *stamp;

	if (SHMRING_LANE_UNLIKELY(!shmring__lane_ready(l, pos, &stamp)))
		return SHMRING__LANE_SLOW;
	memcpy(v, shmring__lane_payload(l, pos, stamp), 8);
	return shmring__lane_received(l, pos);
}

/* The short send of v; SHMRING__LANE_SLOW before anything is published
 * for every case it does not take (slots other than 8 bytes among them). */
static inline int shmring__lane_send_u64(struct shmring_lane *l, uint64_t v)
{
	uint64_t pos = l->pos, limit = l->limit, group, sub;
	_Atomic uint64_t *stamp;
	unsigned char *payload;
	int k = l->go == 8 ? shmring__lane_room(l, pos, &limit) : SHMRING__LANE_SLOW;

	if (SHMRING_LANE_UNLIKELY(k != SHMRING__LANE_DONE))
		return k;
	group = pos / SHMRING_LANE_GROUP8;
	stamp = (_Atomic uint64_t *)(void *)(l->slots + (group & l->mask) * SHMRING_LANE_GROUP_8);
	sub = pos % SHMRING_LANE_GROUP8;
	payload = (unsigned char *)stamp + SHMRING_LANE_STAMP_SIZE + sub * SHMRING_LANE_STAMP_SIZE;
	/* No line asked for ahead, where the pointer path asks for one.
	 * Over grouped slots the hint (once a group or once a line, to
	 * write or to read) held two threads close together 11-29% below
	 * this send without it, and gained 14-42% only with the two far
	 * apart. Without it the grouped stream is level with a stamp a slot
	 * or ahead of it, but in one state of two threads far apart
	 * (docs/BENCHMARKS.md, "Three slots to a stamp, without the hint").
	 * With seven slots a group, a group a line, the hint once a line
	 * was level with none near and far ("Seven slots to a stamp"). */
	memcpy(payload, &v, 8);
	return shmring__lane_sent(l, stamp, pos);
}

/* The short receive into *v, likewise (*v untouched unless it received). */
static inline int shmring__lane_recv_u64(struct shmring_lane *l, uint64_t *v)
{
	uint64_t pos = l->pos;
	_Atomic uint64_t *stamp;

	/* go first: the geometry is set only where it is. */
	if (SHMRING_LANE_UNLIKELY(l->go != 8))
		return SHMRING__LANE_SLOW;
	stamp = shmring__lane_stamp8(l, pos);
	/* A-stamp, as in shmring__lane_ready(). */
	if (SHMRING_LANE_UNLIKELY(!shmring__lane_published(
		    atomic_load_explicit(stamp, memory_order_acquire), pos, shmring__lane_end8(pos))))
		return SHMRING__LANE_SLOW;
	memcpy(v, shmring__lane_payload8(pos, stamp), 8);
	return shmring__lane_received(l, pos);
}

/* Out of line: the library's receive, its result in registers, so that the
 * caller's *v is written only by the caller and may stay in a register. */
struct shmring__got {
	int rc;
	uint64_t v;
};

/* The library's receive by value, its result in registers: the caller's
 * message is never behind a pointer the library was given, and neither is
 * the out-of-line tail's below. */
static __attribute__((noinline, unused)) struct shmring__got shmring__recv_u64_lib(shmring_t *r)
{
	struct shmring__got g = {0, 0};

	g.rc = shmring_try_recv_u64(r, &g.v);
	return g;
}

/* Neither out-of-line function is marked cold: on a duplex (go 1) every
 * call comes here and on every ring every empty poll does, and a cold
 * function's placement apart and smaller code cost a duplex's round trip
 * by value 18-21 ns near (docs/BENCHMARKS.md). Out of line: after the
 * short receive left k to do (a wake, an empty ring, or the receive
 * itself) on handle r. One call site, as for the send below. */
static __attribute__((noinline, unused)) struct shmring__got
shmring__recv_u64_after(shmring_t *r, int k)
{
	struct shmring__got g = {0, 0};
	struct shmring_lane *l = SHMRING__HANDLE_LANE(r, 1);

	/* go 8: the short receive found the ring empty (it sends nothing
	 * else here). go 1: the receive of a stamp a slot, here. */
	if (k == SHMRING__LANE_SLOW && l->go == 8)
		k = shmring__lane_nothing(l, l->pos);
	else if (k == SHMRING__LANE_SLOW && l->go == 1 &&
		 (k = shmring__lane_recv1_u64(l, &g.v)) == SHMRING__LANE_SLOW)
		k = shmring__lane_nothing(l, l->pos);
	if (SHMRING__LANE_ANSWER(k))
		g.rc = k;
	else if (k == SHMRING__LANE_WAKE)
		g.rc = shmring_lane_wake(l);
	else
		g = shmring__recv_u64_lib(r);
	return g;
}

/* After the short receive: its result, or the library's. A wake leaves *v
 * as the short receive wrote it. */
static inline int shmring__recv_u64_done(shmring_t *r, int k, uint64_t *v)
{
	struct shmring__got g;

	if (SHMRING_LANE_LIKELY(SHMRING__LANE_ANSWER(k)))
		return k;
	g = shmring__recv_u64_after(r, k);
	if (g.rc == 0 && k == SHMRING__LANE_SLOW)
		*v = g.v;
	return g.rc;
}

/* Out of line: after the short send of v left k to do (a wake, or the
 * send itself) on handle r. One call site, so that the inline code stays
 * short enough for callers' own inline wrappers to be inlined too. */
static __attribute__((noinline, unused)) int
shmring__send_u64_after(shmring_t *r, uint64_t v, int k)
{
	struct shmring_lane *l = SHMRING__HANDLE_LANE(r, 0);

	/* go 1: the send of a stamp a slot, here. */
	if (k == SHMRING__LANE_SLOW && l->go == 1 &&
	    (k = shmring__lane_room(l, l->pos, &l->limit)) == SHMRING__LANE_DONE)
		k = shmring__lane_send1_u64(l, v, l->pos, l->limit);
	if (SHMRING__LANE_ANSWER(k))
		return k;
	return k == SHMRING__LANE_WAKE ? shmring_lane_wake(l) : shmring_try_send_u64(r, v);
}

/* As shmring_try_send_u64() on the lane's handle. */
static inline int shmring_lane_try_send_u64(struct shmring_lane *l, uint64_t v)
{
	int k = shmring__lane_send_u64(l, v);

	return SHMRING_LANE_LIKELY(SHMRING__LANE_ANSWER(k)) ? k
							    : shmring__send_u64_after(l->ring, v, k);
}

/* As shmring_try_recv_u64() on the lane's handle. */
static inline int shmring_lane_try_recv_u64(struct shmring_lane *l, uint64_t *v)
{
	return shmring__recv_u64_done(l->ring, shmring__lane_recv_u64(l, v), v);
}

/* The handle's own calls, inline (SHMRING__HANDLE_LANE above). */

/* As shmring_try_send_u64(). */
static inline SHMRING__ALWAYS_INLINE int shmring__try_send_u64_inline(shmring_t *r, uint64_t v)
{
	struct shmring_lane *l = SHMRING__HANDLE_LANE(r, 0);
	int k = shmring__lane_send_u64(l, v);

	return SHMRING_LANE_LIKELY(SHMRING__LANE_ANSWER(k)) ? k : shmring__send_u64_after(r, v, k);
}

/* As shmring_try_recv_u64(). */
static inline SHMRING__ALWAYS_INLINE int shmring__try_recv_u64_inline(shmring_t *r, uint64_t *v)
{
	return shmring__recv_u64_done(r, shmring__lane_recv_u64(SHMRING__HANDLE_LANE(r, 1), v), v);
}

/*
 * As shmring_try_send() and shmring_try_recv() of a message whose type is
 * an 8-byte integer. Where the compiler sees that the message is an object
 * of its own, 8 bytes or fewer from msg to its end (a variable, as a rule),
 * the message is read or written here and goes to the library by value, so
 * its address goes nowhere and the caller may keep it in a register; a
 * ring whose slots are wider than that object is -EMSGSIZE, where the
 * pointer form would read or write past it. Otherwise (an array of them,
 * an object the compiler cannot see) the short path is the same and
 * everything else goes to the library's pointer form.
 */
#define SHMRING__OWN_8(msg) (__builtin_object_size((msg), 0) <= 8)

static inline SHMRING__ALWAYS_INLINE int shmring__try_send_8(shmring_t *r, const void *msg)
{
	uint64_t v;
	int k;

	if (SHMRING_LANE_LIKELY(msg != NULL)) {
		memcpy(&v, msg, 8);
		k = shmring__lane_send_u64(SHMRING__HANDLE_LANE(r, 0), v);
		if (SHMRING_LANE_LIKELY(SHMRING__LANE_ANSWER(k)))
			return k;
		if (SHMRING__OWN_8(msg) || k == SHMRING__LANE_WAKE)
			return shmring__send_u64_after(r, v, k);
	}
	return (shmring_try_send)(r, msg);
}

static inline SHMRING__ALWAYS_INLINE int shmring__try_recv_8(shmring_t *r, void *msg)
{
	uint64_t v;
	int k;

	if (SHMRING_LANE_LIKELY(msg != NULL)) {
		k = shmring__lane_recv_u64(SHMRING__HANDLE_LANE(r, 1), &v);
		if (SHMRING_LANE_LIKELY(k != SHMRING__LANE_SLOW) || SHMRING__OWN_8(msg)) {
			k = shmring__recv_u64_done(r, k, &v);
			if (k == 0)
				memcpy(msg, &v, 8);
			return k;
		}
	}
	return (shmring_try_recv)(r, msg);
}

/*
 * In C11, through <shmring/shmring.h>, the four calls are these inline
 * forms (SHMRING_NO_INLINE before the include turns this off; a call
 * written (shmring_try_send)(r, msg) always reaches the library). The
 * pointer forms take this path for a message of type uint64_t or int64_t
 * and the library's for every other type; by value, a ring whose slots are
 * wider than 8 bytes is -EMSGSIZE, where the library's pointer form would
 * read or write past the caller's 8 bytes.
 */
#ifndef SHMRING_NO_INLINE
#define shmring_try_send_u64(r, v) shmring__try_send_u64_inline((r), (v))
#define shmring_try_recv_u64(r, v) shmring__try_recv_u64_inline((r), (v))
#define shmring_try_send(r, msg)                                                    \
	_Generic((msg), uint64_t *: shmring__try_send_8((r), (const void *)(msg)),  \
		 const uint64_t *: shmring__try_send_8((r), (const void *)(msg)),   \
		 int64_t *: shmring__try_send_8((r), (const void *)(msg)),          \
		 const int64_t *: shmring__try_send_8((r), (const void *)(msg)),    \
		 default: (shmring_try_send)((r), (msg)))
#define shmring_try_recv(r, msg)                                                   \
	_Generic((msg), uint64_t *: shmring__try_recv_8((r), (void *)(msg)),        \
		 int64_t *: shmring__try_recv_8((r), (void *)(msg)),                \
		 default: (shmring_try_recv)((r), (msg)))
#endif

#endif /* SHMRING_LANE_H */
