/* SPDX-License-Identifier: MIT */
/*
 * fuzz_msg: the message ring's record decoder and every receive path over a
 * forged segment. A valid header (one of the four producer/consumer modes,
 * a small record area) is built from the first bytes; the producer and
 * consumer positions, the participant table and the record area come from
 * the input as they are (see fuzz_common.h for the format); then up to 16
 * operations run: receive bursts and bulks into buffers of various sizes,
 * peek/release, sweep, recovery with a fake judge, drained, cancel (close),
 * sends, reservations, taking over a side, and pokes that change shared words
 * between calls as a hostile peer would.
 *
 * Any return code is fine. A crash, an access past the record area (it ends
 * at a PROT_NONE page), a sanitizer report, a hang or a broken contract (a
 * count above what was asked, a record longer than its buffer, a pointer
 * outside the area) is a finding.
 */
#include "fuzz_common.h"
#include "ringbuf/msg.h"

struct fz {
	struct fuzz_cfg c;
	struct shmring_hdr h;
	void *base;
	unsigned char *area;
	uint64_t cap;
	uint32_t max_len;
	struct shmring_msgring tx, rx;
	bool tx_ok, rx_ok; /* the side attached */
	struct shmring_judge judge;
	struct fuzz_judge_ctx jctx;
};

/* A side's view, as a handle that took entry `owner` sets it up. */
static void view(struct fz *z, struct shmring_msgring *v, uint32_t owner)
{
	struct shmring_part *me = &shmring__parts(z->base)[owner];

	shmring__msg_view(v, z->base, &z->h, owner, me, atomic_load(&me->gen));
}

/*
 * The producer (consumer) side of a new handle: a view, then attach. A side
 * whose attach refuses the segment is not used (the open would fail).
 */
static void take_tx(struct fz *z, bool attach)
{
	view(z, &z->tx, z->c.tx_owner);
	z->tx_ok = !attach || shmring__msg_attach_producer(&z->tx) == 0;
}

static void take_rx(struct fz *z, bool attach)
{
	view(z, &z->rx, z->c.rx_owner);
	z->rx_ok = !attach || shmring__msg_attach_consumer(&z->rx) == 0;
}

/* Buffer capacity i of a receive, by mode. */
static size_t rx_cap(const struct fz *z, unsigned mode, unsigned i, uint8_t salt)
{
	switch (mode & 3) {
	case 0:
		return z->max_len;
	case 1:
		return 0;
	case 2:
		return (i * 37u + salt) % (z->max_len + 1u);
	default:
		return z->max_len / 2;
	}
}

static void op_recv(struct fz *z, const uint8_t *op, bool all)
{
	struct shmring_msgvec m[8];
	size_t want[8];
	unsigned n = 1 + (op[1] & 7);
	int k;

	for (unsigned i = 0; i < n; i++) {
		want[i] = rx_cap(z, op[1] >> 3, i, op[2]);
		/* Exactly the capacity, so ASan sees a byte too many. */
		m[i].buf = malloc(want[i] ? want[i] : 1);
		m[i].len = want[i];
		m[i].type = 0;
		if (!m[i].buf)
			abort();
	}
	k = shmring__msg_recv(&z->rx, m, n, all);
	FUZZ_CHECK(k <= (int)n);
	FUZZ_CHECK(k >= 0 || k == -EMSGSIZE || k == -EUCLEAN);
	FUZZ_CHECK(!all || k <= 0 || k == (int)n);
	for (int i = 0; i < k; i++) {
		FUZZ_CHECK(m[i].len <= want[i]);
		FUZZ_CHECK(m[i].len <= z->max_len);
	}
	for (unsigned i = 0; i < n; i++)
		free(m[i].buf);
}

/* A pointer the library hands out must lie in the area, with its length. */
static void check_in_area(const struct fz *z, const void *p, size_t len)
{
	const unsigned char *b = p;

	FUZZ_CHECK(b >= z->area + SHMRING_REC_HDR);
	FUZZ_CHECK(len <= z->max_len);
	FUZZ_CHECK((uint64_t)(b - z->area) + len <= z->cap);
}

static void op_peek(struct fz *z, const uint8_t *op)
{
	size_t len = 0;
	uint32_t type = 0;
	const void *p = shmring__msg_peek(&z->rx, &len, &type);

	if (!p)
		return;
	check_in_area(z, p, len);
	(void)fuzz_touch(p, len);
	if (op[1] & 1)
		(void)shmring__msg_release(&z->rx);
}

static void op_send(struct fz *z, const uint8_t *op, bool all)
{
	struct shmring_msgvec m[4];
	unsigned n = 1 + (op[1] & 3);
	int k;

	if (z->tx.held)
		return; /* the handle refuses sends while a reservation is held */
	for (unsigned i = 0; i < n; i++) {
		size_t len = ((op[1] >> 2) * (i + 1u) * 13u + op[2]) % (z->max_len + 1u);

		if ((op[3] & 0x80) && i == n - 1)
			len = z->max_len + 1u; /* one too large: -EMSGSIZE or a shorter burst */
		m[i].buf = malloc(len ? len : 1);
		if (!m[i].buf)
			abort();
		memset(m[i].buf, op[3], len);
		m[i].len = len;
		m[i].type = op[3];
	}
	k = shmring__msg_send(&z->tx, m, n, all);
	FUZZ_CHECK(k <= (int)n);
	FUZZ_CHECK(k >= 0 || k == -EMSGSIZE || k == -EUCLEAN);
	FUZZ_CHECK(!all || k <= 0 || k == (int)n);
	for (unsigned i = 0; i < n; i++)
		free(m[i].buf);
}

static void op_reserve(struct fz *z, const uint8_t *op)
{
	size_t len = ((size_t)op[1] | (size_t)op[2] << 8) % (z->max_len + 2u);
	bool held = z->tx.held;
	void *p = shmring__msg_reserve(&z->tx, len);

	if (!p)
		return;
	FUZZ_CHECK(!held && len <= z->max_len);
	check_in_area(z, p, len);
	memset(p, op[3], len);
	if (op[3] & 1)
		(void)shmring__msg_commit(&z->tx, op[3]);
}

/* Where the consumers are: the shared position with many, else ours. */
static uint64_t rx_head(const struct fz *z)
{
	return z->rx.mc ? atomic_load(&shmring__cons_side(z->base)->pos) : z->rx.pos;
}

/* A peer's store between two calls: a shared position, a claim range, a
 * record word near the consumer head (where a forged value matters most) or
 * anywhere in the area. */
static void op_poke(struct fz *z, const uint8_t *op)
{
	uint64_t val = z->c.poke[op[3] & 1];
	unsigned sel = (op[3] >> 1) & 7;
	uint64_t word = ((uint64_t)op[1] | (uint64_t)op[2] << 8) % (z->cap / 8);

	switch (sel) {
	case 0:
		atomic_store(&shmring__prod_side(z->base)->pos, val);
		break;
	case 1:
		atomic_store(&shmring__cons_side(z->base)->pos, val);
		break;
	case 2:
		atomic_store(&shmring__cons_side(z->base)->done, val);
		break;
	case 3: /* a participant entry's claim range */
		fuzz_poke_claim(z->base, &z->c, op, val);
		break;
	case 4: { /* the info word of the record at the consumer head */
		uint32_t info = (uint32_t)op[1] | (uint32_t)op[2] << 8;

		if (op[3] & 0x10)
			info |= SHMRING_REC_PAD;
		if (op[3] & 0x20)
			info = (uint32_t)val;
		memcpy(z->area + (rx_head(z) & (z->cap - 1) & ~(uint64_t)15) + 8, &info, 4);
		break;
	}
	case 5: { /* a record stamp near the consumer head: its position and a state */
		uint64_t p = (rx_head(z) & ~(uint64_t)15) + 16 * (uint64_t)(int64_t)(int8_t)op[2];
		uint64_t stamp = p | (op[1] & 15);

		memcpy(z->area + (p & (z->cap - 1)), &stamp, 8);
		break;
	}
	default: /* an 8-byte word of the record area */
		memcpy(z->area + word * 8, &val, 8);
		break;
	}
}

/* What a waiter asks when held back. */
static void op_recover(struct fz *z, const uint8_t *op)
{
	uint64_t pos = 0;
	uint32_t holder = UINT32_MAX;
	bool tx = op[1] & 1;
	int rc;

	z->jctx.calls = 0;
	rc = tx ? shmring__msg_recover_tx(&z->tx, &z->judge, &pos, &holder)
		: shmring__msg_recover_rx(&z->rx, &z->judge, &pos, &holder);
	fuzz_check_recover(rc, holder, &z->jctx, &z->c);
}

/* What close does with a side's reservation or peek. */
static void cancel(struct fz *z, bool tx)
{
	struct shmring_msgring *v = tx ? &z->tx : &z->rx;

	if (v->held)
		shmring__msg_cancel(v);
	FUZZ_CHECK(!v->held);
}

static void run_op(struct fz *z, const uint8_t *op)
{
	unsigned code = op[0] % FUZZ_MSG_OP_COUNT;
	bool tx_side = code == FUZZ_MSG_SEND_BURST || code == FUZZ_MSG_SEND_BULK ||
		       code == FUZZ_MSG_RESERVE || code == FUZZ_MSG_COMMIT ||
		       ((code == FUZZ_MSG_SWEEP || code == FUZZ_MSG_RECOVER ||
			 code == FUZZ_MSG_CANCEL) && (op[1] & 1));

	if (code != FUZZ_MSG_POKE && code != FUZZ_MSG_ATTACH && !(tx_side ? z->tx_ok : z->rx_ok))
		return; /* a side the segment refused at attach */
	switch (code) {
	case FUZZ_MSG_RECV_BURST:
		op_recv(z, op, false);
		break;
	case FUZZ_MSG_RECV_BULK:
		op_recv(z, op, true);
		break;
	case FUZZ_MSG_PEEK:
		op_peek(z, op);
		break;
	case FUZZ_MSG_RELEASE:
		(void)shmring__msg_release(&z->rx);
		break;
	case FUZZ_MSG_SWEEP:
		(void)shmring__msg_sweep(op[1] & 1 ? &z->tx : &z->rx);
		break;
	case FUZZ_MSG_SEND_BURST:
		op_send(z, op, false);
		break;
	case FUZZ_MSG_SEND_BULK:
		op_send(z, op, true);
		break;
	case FUZZ_MSG_RESERVE:
		op_reserve(z, op);
		break;
	case FUZZ_MSG_COMMIT:
		(void)shmring__msg_commit(&z->tx, op[1]);
		break;
	case FUZZ_MSG_POKE:
		op_poke(z, op);
		break;
	case FUZZ_MSG_ATTACH:
		/* A new handle takes over a side, after the old one closed
		 * (cancel) or died (its claims are left to recovery). */
		if ((op[3] & 1) && ((op[1] & 1) ? z->tx_ok : z->rx_ok))
			cancel(z, op[1] & 1);
		if (op[1] & 1)
			take_tx(z, true);
		else
			take_rx(z, true);
		break;
	case FUZZ_MSG_RECOVER:
		op_recover(z, op);
		break;
	case FUZZ_MSG_DRAINED:
		(void)shmring__msg_drained(&z->rx);
		break;
	case FUZZ_MSG_CANCEL:
		cancel(z, op[1] & 1);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	uint32_t flags;
	uint64_t maxmax;

	memset(&z, 0, sizeof(z));
	fuzz_cfg_read(&z.c, data, size);
	z.cap = UINT64_C(64) << (z.c.cap_sel % 7); /* 64 .. 4096 bytes */
	maxmax = z.cap / 2 - SHMRING_REC_HDR;      /* two of the largest fit */
	z.max_len = z.c.size_sel == 255 ? (uint32_t)maxmax : 1 + (uint32_t)(z.c.size_sel % maxmax);
	flags = (z.c.kind & 1 ? SHMRING_HDR_MULTI_PRODUCER : 0) |
		(z.c.kind & 2 ? SHMRING_HDR_MULTI_CONSUMER : 0);
	if (!fuzz_header(&z.h, SHMRING_KIND_MSG, flags, z.cap, z.max_len, z.c.nparts))
		abort(); /* every selector gives a valid geometry */
	z.base = fuzz_segment(&z.h, &z.c, data, size, z.cap, &z.judge, &z.jctx);
	z.area = (unsigned char *)z.base + z.h.slots_off;

	take_tx(&z, !(z.c.flags & FUZZ_F_FRESH_TX));
	take_rx(&z, !(z.c.flags & FUZZ_F_FRESH_RX));
	for (unsigned i = 0; i < FUZZ_OPS; i++)
		run_op(&z, z.c.ops[i]);
	return 0;
}
