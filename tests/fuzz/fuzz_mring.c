/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mring: the fixed-slot kinds over a forged segment: SPSC through
 * shmring__spsc_*, MPSC, SPMC and MPMC through their shmring__mring_ops. A
 * valid header (small capacity, one of a few slot sizes) is built from the
 * first bytes; the positions, the participant table and the slot words and
 * payloads come from the input as they are (see fuzz_common.h); then up to
 * 16 operations run: sends and receives (burst and bulk), reserve/commit,
 * peek/release, recovery with a fake judge, drained, cancel (close), taking
 * over a side, and pokes that change shared words between calls.
 *
 * SPSC runs in either slot layout: FUZZ_F_DENSE (flags byte) picks the dense
 * one (SHMRING_FEAT_DENSE_SLOTS: no stamps, the producer's position says
 * what is published). Its pokes then also write plausible producer and
 * consumer positions (near the other side's head, a lap off or not), and
 * after the operations an honest producer takes over from the liar: with the
 * consumer's own word its own again, the consumer's view, whatever it was
 * made to believe, must recover (see dense_recovers()).
 *
 * Any return value is fine. A crash, an access past the slot area (it ends
 * at a PROT_NONE page), a sanitizer report, a hang or a broken contract (a
 * count above what was asked, a slot pointer outside the area, more
 * available than the capacity; in the dense layout a view that believes a
 * position outside its window or one nobody published, a send that does not
 * publish, a view that does not recover) is a finding.
 */
#include "fuzz_common.h"
#include "ringbuf/mring.h"
#include "ringbuf/spsc.h"
#include "shmring/ring.h"

#define MAX_BATCH 8u

struct fz {
	struct fuzz_cfg c;
	struct shmring_hdr h;
	void *base;
	unsigned char *slots;
	uint64_t cap;
	uint64_t area;
	bool spsc;
	bool dense; /* SPSC in the dense slot layout */
	struct shmring_mring_ops ops;
	/* SPSC: the views, and what the handle holds (ring.c keeps these) */
	struct shmring_lane stx, srx;
	unsigned stx_held, srx_held;
	/* the multi kinds */
	struct shmring_mring mtx, mrx;
	struct shmring_judge judge;
	struct fuzz_judge_ctx jctx;
};

/* A side's view, as a handle that took entry `owner` sets it up. */
static void view(struct fz *z, struct shmring_mring *v, uint32_t owner)
{
	struct shmring_part *me = &shmring__parts(z->base)[owner];

	shmring__mring_view(v, z->base, &z->h, owner, me, atomic_load(&me->gen));
}

static void take_tx(struct fz *z, bool attach)
{
	if (z->spsc) {
		shmring__spsc_view(&z->stx, z->base, &z->h);
		FUZZ_CHECK(z->stx.dense == z->dense);
		z->stx_held = 0;
		if (attach) {
			shmring__spsc_attach_producer(&z->stx);
			/* Dense: it resumes within a capacity of the consumer's
			 * word, and says so. */
			if (z->dense) {
				FUZZ_CHECK(z->stx.peer_cache ==
					   atomic_load(&shmring__cons_side(z->base)->pos));
				FUZZ_CHECK(z->stx.pos - z->stx.peer_cache <= z->cap);
				FUZZ_CHECK(atomic_load(&shmring__prod_side(z->base)->pos) ==
					   z->stx.pos);
			}
		}
		return;
	}
	view(z, &z->mtx, z->c.tx_owner);
	if (attach)
		shmring__mring_attach_producer(&z->mtx, z->ops.mp);
}

static void take_rx(struct fz *z, bool attach)
{
	if (z->spsc) {
		shmring__spsc_view(&z->srx, z->base, &z->h);
		z->srx_held = 0;
		if (attach)
			shmring__spsc_attach_consumer(&z->srx);
		return;
	}
	view(z, &z->mrx, z->c.rx_owner);
	if (attach)
		shmring__mring_attach_consumer(&z->mrx, z->ops.mc);
}

static bool tx_held(const struct fz *z)
{
	return z->spsc ? z->stx_held != 0 : z->mtx.held != 0;
}

static bool rx_held(const struct fz *z)
{
	return z->spsc ? z->srx_held != 0 : z->mrx.held != 0;
}

/* A payload pointer the library hands out: a slot's, past its word (dense:
 * the slot's start). */
static void check_slot(const struct fz *z, const void *p)
{
	const unsigned char *b = p;
	uint64_t off;

	FUZZ_CHECK(b >= z->slots);
	off = (uint64_t)(b - z->slots);
	FUZZ_CHECK(off < z->area);
	if (z->stx.group > 1) { /* grouped: one of the group's payloads */
		uint64_t in = off % z->h.slot_stride - SHMRING_STAMP_SIZE;

		FUZZ_CHECK(in % z->stx.pitch == 0 && in / z->stx.pitch < z->stx.group);
	} else {
		FUZZ_CHECK(off % z->h.slot_stride == (z->dense ? 0 : SHMRING_STAMP_SIZE));
	}
	FUZZ_CHECK(off + z->h.slot_size <= z->area);
}

/* Dense: the producer publishes its position with every call that sent. */
static void check_published(const struct fz *z)
{
	if (z->dense)
		FUZZ_CHECK(atomic_load(&shmring__prod_side(z->base)->pos) == z->stx.pos);
}

/* The one-message paths of ring_fixed.c (shmring__spsc_send1/_recv1) need
 * an attached view: they store through its published word. */
static bool one_at_a_time(const struct fz *z, const uint8_t *op, bool tx)
{
	return z->spsc && (op[3] & 1) && (tx ? z->stx.published : z->srx.published) != NULL;
}

static void op_send(struct fz *z, const uint8_t *op, bool all)
{
	unsigned n = 1 + (op[1] & 7);
	size_t bytes = (size_t)n * z->h.slot_size;
	unsigned char *src;
	unsigned k;

	if (tx_held(z))
		return; /* the handle refuses sends while slots are reserved */
	src = malloc(bytes);
	if (!src)
		abort();
	memset(src, op[2], bytes);
	if (one_at_a_time(z, op, true)) {
		for (k = 0; k < n; k++) {
			if (!shmring__spsc_send1(&z->stx, src + (size_t)k * z->h.slot_size))
				break;
			check_published(z);
		}
		all = false;
	} else if (z->spsc) {
		k = shmring__spsc_send(&z->stx, src, n, all);
		if (k)
			check_published(z);
	} else {
		k = z->ops.send(&z->mtx, src, n, all);
	}
	FUZZ_CHECK(k <= n);
	FUZZ_CHECK(!all || k == 0 || k == n);
	free(src);
}

static void op_recv(struct fz *z, const uint8_t *op, bool all)
{
	unsigned n = 1 + (op[1] & 7);
	/* Exactly n slots, so ASan sees a byte too many. */
	unsigned char *dst = malloc((size_t)n * z->h.slot_size);
	unsigned k;

	if (!dst)
		abort();
	if (rx_held(z)) {
		free(dst);
		return; /* the handle refuses receives while slots are peeked */
	}
	if (one_at_a_time(z, op, false)) {
		for (k = 0; k < n; k++)
			if (!shmring__spsc_recv1(&z->srx, dst + (size_t)k * z->h.slot_size))
				break;
		all = false;
	} else {
		k = z->spsc ? shmring__spsc_recv(&z->srx, dst, n, all)
			    : z->ops.recv(&z->mrx, dst, n, all);
	}
	FUZZ_CHECK(k <= n);
	FUZZ_CHECK(!all || k == 0 || k == n);
	free(dst);
}

static void op_reserve(struct fz *z, const uint8_t *op)
{
	void *slots[MAX_BATCH];
	unsigned n = 1 + (op[1] & 7), k;

	if (z->spsc) {
		if (z->stx_held) /* ring.c: the held slots again */
			n = n < z->stx_held ? n : z->stx_held;
		k = shmring__spsc_reserve(&z->stx, n, slots);
		if (!z->stx_held)
			z->stx_held = k;
	} else {
		k = z->ops.reserve(&z->mtx, n, slots);
	}
	FUZZ_CHECK(k <= n);
	for (unsigned i = 0; i < k; i++) {
		check_slot(z, slots[i]);
		memset(slots[i], op[2], z->h.slot_size);
	}
	if (k && (op[3] & 1)) {
		if (z->spsc) {
			shmring__spsc_commit(&z->stx, z->stx_held);
			z->stx_held = 0;
			check_published(z);
		} else {
			(void)z->ops.commit(&z->mtx, z->mtx.held);
		}
	}
}

static void op_commit(struct fz *z, const uint8_t *op)
{
	unsigned n = op[1] & 1 ? 1 + (op[2] & 7) : 0;

	if (z->spsc) {
		if (!n)
			n = z->stx_held;
		if (n == 0 || n > z->stx_held)
			return; /* ring.c: -EINVAL */
		shmring__spsc_commit(&z->stx, n);
		z->stx_held = 0;
		check_published(z);
		return;
	}
	(void)z->ops.commit(&z->mtx, n ? n : z->mtx.held);
}

static void op_peek(struct fz *z, const uint8_t *op)
{
	const void *slots[MAX_BATCH];
	unsigned n = 1 + (op[1] & 7), k;

	if (z->spsc) {
		if (z->srx_held)
			n = n < z->srx_held ? n : z->srx_held;
		k = shmring__spsc_peek(&z->srx, n, slots);
		if (!z->srx_held)
			z->srx_held = k;
	} else {
		k = z->ops.peek(&z->mrx, n, slots);
	}
	FUZZ_CHECK(k <= n);
	for (unsigned i = 0; i < k; i++) {
		check_slot(z, slots[i]);
		(void)fuzz_touch(slots[i], z->h.slot_size);
	}
	if (k && (op[3] & 1)) {
		if (z->spsc) {
			shmring__spsc_release(&z->srx, z->srx_held);
			z->srx_held = 0;
		} else {
			(void)z->ops.release(&z->mrx, z->mrx.held);
		}
	}
}

static void op_release(struct fz *z, const uint8_t *op)
{
	unsigned n = op[1] & 1 ? 1 + (op[2] & 7) : 0;

	if (z->spsc) {
		if (!n)
			n = z->srx_held;
		if (n == 0 || n > z->srx_held)
			return; /* ring.c: -EINVAL */
		shmring__spsc_release(&z->srx, n);
		z->srx_held = 0;
		return;
	}
	(void)z->ops.release(&z->mrx, n ? n : z->mrx.held);
}

/* Where the consumers (producers) are: the shared position with many, else
 * the view's own. */
static uint64_t rx_head(const struct fz *z)
{
	if (z->spsc)
		return z->srx.pos;
	return z->ops.mc ? atomic_load(&shmring__cons_side(z->base)->pos) : z->mrx.pos;
}

static uint64_t tx_head(const struct fz *z)
{
	if (z->spsc)
		return z->stx.pos;
	return z->ops.mp ? atomic_load(&shmring__prod_side(z->base)->pos) : z->mtx.pos;
}

/*
 * The slot word of position q = head + (int8)b: a plausible state for it
 * (SPSC: the stamp of q, a lap off or not; the multi kinds: a phase of a
 * lap near q's, with owner and generation from val). Dense SPSC has no slot
 * words: the plausible lie is a position, q a lap off or not, in the word
 * the other side reads: the producer's near the consumer's head (rx), the
 * consumer's near the producer's (tx).
 */
/* The word that stamps position q: its slot's, or its group's (grouped). */
static unsigned char *slot_word(const struct fz *z, uint64_t q)
{
	if (z->spsc && !z->dense)
		return (unsigned char *)shmring__lane_stamp(&z->stx, q);
	return z->slots + (q & (z->cap - 1)) * z->h.slot_stride;
}

static void poke_near(struct fz *z, uint64_t head, const uint8_t *op, uint64_t val, bool rx)
{
	uint64_t q = head + (uint64_t)(int64_t)(int8_t)op[2];
	int64_t laps = (int64_t)((op[1] >> 3) & 3) - 1; /* -1 .. 2 */
	uint64_t w;

	if (z->dense) {
		w = q + (uint64_t)laps * z->cap;
		atomic_store(rx ? &shmring__prod_side(z->base)->pos
				: &shmring__cons_side(z->base)->pos, w);
		return;
	}
	if (z->spsc) {
		w = q + 1 + (uint64_t)laps * z->cap;
	} else {
		uint64_t lap = (q / z->cap) + (uint64_t)laps;

		w = lap << SHMRING_SLOT_LAP_SHIFT | (uint64_t)(op[1] & 7) << SHMRING_SLOT_PHASE_SHIFT |
		    (val & ((UINT64_C(1) << SHMRING_SLOT_PHASE_SHIFT) - 1));
	}
	memcpy(slot_word(z, q), &w, 8);
}

/* A peer's store between two calls: a slot word, a payload word, a shared
 * position or a claim range. */
static void op_poke(struct fz *z, const uint8_t *op)
{
	uint64_t val = z->c.poke[op[3] & 1];
	unsigned sel = (op[3] >> 1) & 7;
	uint64_t word = ((uint64_t)op[1] | (uint64_t)op[2] << 8) % (z->area / 8);

	switch (sel) {
	case 0:
		atomic_store(&shmring__prod_side(z->base)->pos, val);
		break;
	case 1:
		atomic_store(&shmring__cons_side(z->base)->pos, val);
		break;
	case 2: /* a participant entry's claim range */
		fuzz_poke_claim(z->base, &z->c, op, val);
		break;
	case 3: /* the slot word of a slot (of a group, grouped) */
		memcpy(slot_word(z, op[1]), &val, 8);
		break;
	case 4: /* a slot word near the consumer head */
	case 5: /* a slot word near the producer head */
		poke_near(z, sel == 4 ? rx_head(z) : tx_head(z), op, val, sel == 4);
		break;
	default: /* any 8-byte word of the slot area */
		memcpy(z->slots + word * 8, &val, 8);
		break;
	}
}

/*
 * SPSC: what the consumer can see; never more than asked nor than the
 * capacity, and (c bit 0) a bulk receive of what it reported gets it all,
 * peer words untouched in between. Dense: exactly what its view believes.
 */
static void op_available(struct fz *z, const uint8_t *op)
{
	uint64_t k = shmring__spsc_available(&z->srx, op[1]);
	unsigned char *dst;

	FUZZ_CHECK(k <= op[1]);
	FUZZ_CHECK(k <= z->cap);
	if (z->dense)
		FUZZ_CHECK(k == (op[1] < z->srx.peer_cache - z->srx.pos
					 ? op[1]
					 : z->srx.peer_cache - z->srx.pos));
	if (!k || !(op[3] & 1) || z->srx_held)
		return;
	dst = malloc((size_t)k * z->h.slot_size);
	if (!dst)
		abort();
	FUZZ_CHECK(shmring__spsc_recv(&z->srx, dst, (unsigned)k, true) == k);
	free(dst);
}

/* SPSC: what close asks of the consumer (anything left?) and what count
 * reads of the producer; dense: within a capacity of the consumer's word. */
static void op_spsc_drained(struct fz *z)
{
	bool drained = !shmring__spsc_ready(&z->srx, 0);
	uint64_t produced = shmring__spsc_produced(&z->stx);

	if (!drained)
		FUZZ_CHECK(shmring__spsc_available(&z->srx, 1) == 1);
	if (z->dense)
		FUZZ_CHECK(produced - atomic_load(&shmring__cons_side(z->base)->pos) <= z->cap);
}

/* What a waiter asks when held back (never while this side holds slots:
 * the handle refuses blocking calls then). */
static void op_recover(struct fz *z, const uint8_t *op)
{
	uint64_t pos = 0;
	uint32_t holder = UINT32_MAX;
	bool tx = op[1] & 1;
	int rc;

	if (z->spsc || (tx ? tx_held(z) : rx_held(z)))
		return; /* SPSC holds no claims (its stamp check is in src/) */
	z->jctx.calls = 0;
	rc = tx ? shmring__mring_recover_tx(&z->mtx, &z->judge, &pos, &holder)
		: shmring__mring_recover_rx(&z->mrx, &z->judge, &pos, &holder);
	fuzz_check_recover(rc, holder, &z->jctx, &z->c);
}

/* What close does with a side's held slots. */
static void cancel(struct fz *z, bool tx)
{
	if (z->spsc) {
		if (tx)
			z->stx_held = 0;
		else
			z->srx_held = 0;
		return;
	}
	shmring__mring_cancel(tx ? &z->mtx : &z->mrx, z->ops.mp, z->ops.mc);
	FUZZ_CHECK((tx ? z->mtx.held : z->mrx.held) == 0);
}

static void run_op(struct fz *z, const uint8_t *op)
{
	switch (op[0] % FUZZ_MRING_OP_COUNT) {
	case FUZZ_MRING_SEND_BURST:
		op_send(z, op, false);
		break;
	case FUZZ_MRING_SEND_BULK:
		op_send(z, op, true);
		break;
	case FUZZ_MRING_RECV_BURST:
		op_recv(z, op, false);
		break;
	case FUZZ_MRING_RECV_BULK:
		op_recv(z, op, true);
		break;
	case FUZZ_MRING_RESERVE:
		op_reserve(z, op);
		break;
	case FUZZ_MRING_COMMIT:
		op_commit(z, op);
		break;
	case FUZZ_MRING_PEEK:
		op_peek(z, op);
		break;
	case FUZZ_MRING_RELEASE:
		op_release(z, op);
		break;
	case FUZZ_MRING_POKE:
		op_poke(z, op);
		break;
	case FUZZ_MRING_ATTACH:
		if (op[3] & 1)
			cancel(z, op[1] & 1);
		if (op[1] & 1)
			take_tx(z, true);
		else
			take_rx(z, true);
		break;
	case FUZZ_MRING_DRAINED:
		if (z->spsc)
			op_spsc_drained(z);
		else
			(void)shmring__mring_drained(&z->mrx);
		break;
	case FUZZ_MRING_CANCEL:
		cancel(z, op[1] & 1);
		break;
	case FUZZ_MRING_RECOVER:
		op_recover(z, op);
		break;
	case FUZZ_MRING_AVAILABLE:
		if (z->spsc)
			op_available(z, op);
		break;
	}
}

/*
 * Dense, after every operation: the consumer believes a producer position
 * from its own to a capacity past it, and only one the producer's word held
 * (the one it believed before, or what is there now: no operation of the
 * consumer writes that word); the producer is never more than a capacity
 * past the consumer position it believes.
 */
static void check_dense_views(const struct fz *z, uint64_t old_cache, const uint8_t *op)
{
	if (!z->dense)
		return;
	FUZZ_CHECK(z->srx.peer_cache - z->srx.pos <= z->cap);
	FUZZ_CHECK(z->stx.pos - z->stx.peer_cache <= z->cap);
	if (op[0] % FUZZ_MRING_OP_COUNT != FUZZ_MRING_ATTACH) /* a new view starts anew */
		FUZZ_CHECK(z->srx.peer_cache == old_cache ||
			   z->srx.peer_cache == atomic_load(&shmring__prod_side(z->base)->pos));
}

/* The message at position q, as the honest producer of dense_recovers()
 * writes it: every byte the same, from q. */
static uint8_t honest_byte(uint64_t q)
{
	return (uint8_t)(q * 0x9d + (q >> 8) + 0x35);
}

static void honest_fill(const struct fz *z, unsigned char *buf, uint64_t from, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		memset(buf + (size_t)i * z->h.slot_size, honest_byte(from + i), z->h.slot_size);
}

static void honest_check(const struct fz *z, const unsigned char *buf, uint64_t from, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (uint32_t b = 0; b < z->h.slot_size; b++)
			FUZZ_CHECK(buf[(size_t)i * z->h.slot_size + b] == honest_byte(from + i));
}

/*
 * Dense, after the operations: the hostile peer stops lying. What close does
 * with held slots is done, the consumer's word is its own position again,
 * the corrupt flags are reported and forgotten (ring_fixed.c), and an honest
 * producer takes over. The consumer keeps its view, whatever the lies made
 * it believe (within its window, checked above). Then:
 *   - the producer resumes within a capacity of the consumer and fills the
 *     ring exactly (a capacity past the consumer);
 *   - the consumer sees exactly a capacity and receives it, the messages
 *     the honest producer wrote intact (those before it are whatever the
 *     segment held);
 *   - two laps more, sends and receives interleaved in batches of 1..8 (one
 *     at a time too), move exactly what the positions say, every message
 *     intact;
 *   - nothing is found corrupt on the way.
 */
static void dense_recovers(struct fz *z)
{
	struct shmring_side *cs = shmring__cons_side(z->base);
	/* A capacity, or a batch of 8 where the capacity is smaller. */
	unsigned char *buf = malloc((size_t)(z->cap < 8 ? 8 : z->cap) * z->h.slot_size);
	uint64_t c, p, next;

	if (!buf)
		abort();
	z->stx_held = z->srx_held = 0;
	atomic_store(&cs->pos, z->srx.pos);
	take_tx(z, true);
	z->stx.corrupt = z->srx.corrupt = false;
	c = z->srx.pos;
	p = z->stx.pos;
	FUZZ_CHECK(p - c <= z->cap);

	/* Fill. */
	next = p;
	for (;;) {
		unsigned n = (unsigned)(z->cap < 8 ? z->cap : 8), k;

		honest_fill(z, buf, next, n);
		k = shmring__spsc_send(&z->stx, buf, n, false);
		check_published(z);
		if (k == 0)
			break;
		next += k;
	}
	FUZZ_CHECK(next == c + z->cap);
	FUZZ_CHECK(z->stx.pos == c + z->cap);

	/* Drain. */
	FUZZ_CHECK(shmring__spsc_available(&z->srx, z->cap) == z->cap);
	FUZZ_CHECK(shmring__spsc_recv(&z->srx, buf, (unsigned)z->cap, true) == z->cap);
	FUZZ_CHECK(z->srx.pos == c + z->cap);
	FUZZ_CHECK(atomic_load(&cs->pos) == z->srx.pos);
	honest_check(z, buf + (size_t)(p - c) * z->h.slot_size, p, (unsigned)(c + z->cap - p));

	/* Two laps more, interleaved. */
	for (unsigned i = 0; z->srx.pos - c < 3 * z->cap; i++) { /* positions wrap */
		unsigned n = 1 + i % 8, m = 1 + (i * 5 + 3) % 8, k, want;
		bool one = i % 3 == 2;
		uint64_t room = z->cap - (z->stx.pos - z->srx.pos);

		FUZZ_CHECK(i < 8 * z->cap); /* it moves */
		honest_fill(z, buf, z->stx.pos, n);
		if (one) {
			for (k = 0; k < n; k++)
				if (!shmring__spsc_send1(&z->stx, buf + (size_t)k * z->h.slot_size))
					break;
		} else {
			k = shmring__spsc_send(&z->stx, buf, n, false);
		}
		FUZZ_CHECK(k == (n < room ? n : room));
		check_published(z);

		want = (unsigned)(z->stx.pos - z->srx.pos);
		want = m < want ? m : want;
		next = z->srx.pos;
		if (one && z->srx.published) {
			for (k = 0; k < m; k++)
				if (!shmring__spsc_recv1(&z->srx, buf + (size_t)k * z->h.slot_size))
					break;
		} else {
			k = shmring__spsc_recv(&z->srx, buf, m, false);
		}
		FUZZ_CHECK(k == want);
		honest_check(z, buf, next, k);
	}
	FUZZ_CHECK(!z->stx.corrupt && !z->srx.corrupt);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t kinds[] = {SHMRING_KIND_SPSC, SHMRING_KIND_MPSC, SHMRING_KIND_SPMC,
					 SHMRING_KIND_MPMC};
	struct shmring_hdr probe = {0};
	struct fz z;

	memset(&z, 0, sizeof(z));
	fuzz_cfg_read(&z.c, data, size);
	probe.kind = kinds[z.c.kind % 4];
	z.cap = UINT64_C(2) << (z.c.cap_sel % 8); /* 2 .. 256 slots */
	z.spsc = probe.kind == SHMRING_KIND_SPSC;
	z.dense = z.spsc && (z.c.flags & FUZZ_F_DENSE);
	/* The implied multi flags, as shmring_create() records them. */
	if (!fuzz_header_layout(&z.h, probe.kind, shmring__hdr_multi(&probe), z.cap,
				fuzz_slot_sizes[z.c.size_sel % FUZZ_SLOT_SIZES], z.c.nparts,
				z.dense))
		abort(); /* every selector gives a valid geometry */
	if (!z.spsc && !shmring__mring_ops(probe.kind, &z.ops))
		abort();
	z.area = ((z.h.features & SHMRING_FEAT_GROUPED_SLOTS)
			  ? shmring__groups(z.cap, shmring__group_slots(z.h.slot_size))
			  : z.cap) *
		 z.h.slot_stride;
	z.base = fuzz_segment(&z.h, &z.c, data, size, z.area, &z.judge, &z.jctx);
	z.slots = (unsigned char *)z.base + z.h.slots_off;

	take_tx(&z, !(z.c.flags & FUZZ_F_FRESH_TX));
	take_rx(&z, !(z.c.flags & FUZZ_F_FRESH_RX));
	for (unsigned i = 0; i < FUZZ_OPS; i++) {
		uint64_t old_cache = z.srx.peer_cache;

		run_op(&z, z.c.ops[i]);
		check_dense_views(&z, old_cache, z.c.ops[i]);
	}
	if (z.dense)
		dense_recovers(&z);
	return 0;
}
