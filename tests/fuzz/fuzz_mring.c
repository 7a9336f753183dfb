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
 * Any return value is fine. A crash, an access past the slot area (it ends
 * at a PROT_NONE page), a sanitizer report, a hang or a broken contract (a
 * count above what was asked, a slot pointer outside the area) is a finding.
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
		z->stx_held = 0;
		if (attach)
			shmring__spsc_attach_producer(&z->stx);
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

/* A payload pointer the library hands out: a slot's, past its word. */
static void check_slot(const struct fz *z, const void *p)
{
	const unsigned char *b = p;
	uint64_t off;

	FUZZ_CHECK(b >= z->slots);
	off = (uint64_t)(b - z->slots);
	FUZZ_CHECK(off < z->area);
	FUZZ_CHECK(off % z->h.slot_stride == SHMRING_STAMP_SIZE);
	FUZZ_CHECK(off + z->h.slot_size <= z->area);
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
	k = z->spsc ? shmring__spsc_send(&z->stx, src, n, all) : z->ops.send(&z->mtx, src, n, all);
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
	k = z->spsc ? shmring__spsc_recv(&z->srx, dst, n, all) : z->ops.recv(&z->mrx, dst, n, all);
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
 * lap near q's, with owner and generation from val).
 */
static void poke_near(struct fz *z, uint64_t head, const uint8_t *op, uint64_t val)
{
	uint64_t q = head + (uint64_t)(int64_t)(int8_t)op[2];
	int64_t laps = (int64_t)((op[1] >> 3) & 3) - 1; /* -1 .. 2 */
	uint64_t w;

	if (z->spsc) {
		w = q + 1 + (uint64_t)laps * z->cap;
	} else {
		uint64_t lap = (q / z->cap) + (uint64_t)laps;

		w = lap << SHMRING_SLOT_LAP_SHIFT | (uint64_t)(op[1] & 7) << SHMRING_SLOT_PHASE_SHIFT |
		    (val & ((UINT64_C(1) << SHMRING_SLOT_PHASE_SHIFT) - 1));
	}
	memcpy(z->slots + (q & (z->cap - 1)) * z->h.slot_stride, &w, 8);
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
	case 3: /* the slot word of a slot */
		memcpy(z->slots + (op[1] % z->cap) * z->h.slot_stride, &val, 8);
		break;
	case 4: /* a slot word near the consumer head */
	case 5: /* a slot word near the producer head */
		poke_near(z, sel == 4 ? rx_head(z) : tx_head(z), op, val);
		break;
	default: /* any 8-byte word of the slot area */
		memcpy(z->slots + word * 8, &val, 8);
		break;
	}
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
		if (!z->spsc)
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
			FUZZ_CHECK(shmring__spsc_available(&z->srx, op[1]) <= op[1]);
		break;
	}
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
	/* The implied multi flags, as shmring_create() records them. */
	if (!fuzz_header(&z.h, probe.kind, shmring__hdr_multi(&probe), z.cap,
			 fuzz_slot_sizes[z.c.size_sel % FUZZ_SLOT_SIZES],
			 z.c.nparts))
		abort(); /* every selector gives a valid geometry */
	z.spsc = probe.kind == SHMRING_KIND_SPSC;
	if (!z.spsc && !shmring__mring_ops(probe.kind, &z.ops))
		abort();
	z.area = z.cap * z.h.slot_stride;
	z.base = fuzz_segment(&z.h, &z.c, data, size, z.area, &z.judge, &z.jctx);
	z.slots = (unsigned char *)z.base + z.h.slots_off;

	take_tx(&z, !(z.c.flags & FUZZ_F_FRESH_TX));
	take_rx(&z, !(z.c.flags & FUZZ_F_FRESH_RX));
	for (unsigned i = 0; i < FUZZ_OPS; i++)
		run_op(&z, z.c.ops[i]);
	return 0;
}
