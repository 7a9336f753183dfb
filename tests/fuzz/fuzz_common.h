/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_common.h - what the ring fuzzers (fuzz_msg, fuzz_mring) and
 * the seed generator share: the input format of a forged segment, the guard
 * page arena a segment is built in, a fake judge for recovery, and the
 * checks of what a peer's poke or a recovery may do (fuzz_header uses only
 * FUZZ_CHECK).
 *
 * Input of fuzz_msg and fuzz_mring (little-endian; missing bytes read as 0,
 * extra bytes are ignored):
 *
 *   0    u8      kind: fuzz_mring: % 4 picks SPSC, MPSC, SPMC, MPMC;
 *                fuzz_msg: bit 0 many producers, bit 1 many consumers
 *   1    u8      capacity selector (see each target)
 *   2    u8      slot size / largest record selector
 *   3    u8      participant entries - 2 (% 7: 2..8)
 *   4    u8      participant index of the producer view (low nibble) and
 *                of the consumer view (high nibble), modulo the entries
 *   5    u16     dead mask: the fake judge calls entry i dead when bit i is set
 *   7    u8      flags: FUZZ_F_* (fuzz_mring, SPSC: FUZZ_F_DENSE picks the
 *                dense slot layout)
 *   8    u64[2]  values the POKE operation writes
 *   24   u8[16][4]  operations: opcode, a, b, c
 *   88   u64     producer side pos
 *   96   u64     consumer side pos
 *   104  u64     consumer side done
 *   112  the participant entries, FUZZ_PART_BYTES each: their fields up to
 *        `reserved` (which stays zero)
 *   ...  the slot or record area, as many bytes as it has
 *
 * Everything after the header fields is copied into the segment as it is
 * (forged state); the header itself is built by shmring__hdr_init() from the
 * selectors, so it is always valid, as it is for a mapped ring whose peers
 * may only forge what they can write.
 *
 * The slot or record area ends exactly at the end of a mapping, followed by a
 * PROT_NONE page: an access past it is a SIGSEGV, which libFuzzer reports.
 */
#ifndef SHMRING_TESTS_FUZZ_COMMON_H
#define SHMRING_TESTS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringbuf/claims.h"
#include "ringbuf/layout.h"
#include "shmring/ring.h"
#include "shmring/common.h" /* SHMRING_ECORRUPT */

#define FUZZ_OPS 16
#define FUZZ_OFF_POKE 8
#define FUZZ_OFF_OPS 24
#define FUZZ_OFF_PROD_POS 88
#define FUZZ_OFF_CONS_POS 96
#define FUZZ_OFF_CONS_DONE 104
#define FUZZ_OFF_PARTS 112
#define FUZZ_MAX_PARTS 8u
#define FUZZ_PART_BYTES offsetof(struct shmring_part, reserved)

/* flags (byte 7) */
#define FUZZ_F_FRESH_TX (1u << 0) /* producer view not attached: it starts at 0 */
#define FUZZ_F_FRESH_RX (1u << 1) /* consumer view not attached: it starts at 0 */
#define FUZZ_F_DENSE (1u << 2)    /* fuzz_mring, SPSC: the dense slot layout
				   * (SHMRING_FEAT_DENSE_SLOTS); ignored elsewhere */

/* Opcodes (the first byte of an operation, modulo the count). */
enum fuzz_msg_op {
	FUZZ_MSG_RECV_BURST, /* a: count - 1 (low 3 bits), buffer sizes (bits 3-4); b: salt */
	FUZZ_MSG_RECV_BULK,  /* as above */
	FUZZ_MSG_PEEK,       /* a bit 0: release at once */
	FUZZ_MSG_RELEASE,
	FUZZ_MSG_SWEEP,      /* a bit 0: as the producer */
	FUZZ_MSG_SEND_BURST, /* a: count - 1 (low 2 bits), length factor; b: salt; c: fill,
			      * bit 7: the last one too large */
	FUZZ_MSG_SEND_BULK,  /* as above */
	FUZZ_MSG_RESERVE,    /* a, b: length; c: fill, bit 0: commit at once */
	FUZZ_MSG_COMMIT,     /* a: type */
	FUZZ_MSG_POKE,       /* c bit 0: which value, bits 1-3: what (see op_poke()) */
	FUZZ_MSG_ATTACH,     /* a bit 0: the producer side, else the consumer side;
			      * c bit 0: the old view closes (cancel) first, else it dies */
	FUZZ_MSG_RECOVER,    /* a bit 0: the producer side, else the consumer side */
	FUZZ_MSG_DRAINED,
	FUZZ_MSG_CANCEL,     /* as RECOVER (what close does) */
	FUZZ_MSG_OP_COUNT
};

enum fuzz_mring_op {
	FUZZ_MRING_SEND_BURST, /* a: count - 1 (low 3 bits); b: fill; c bit 0 (SPSC):
				* one at a time (shmring__spsc_send1/_recv1) */
	FUZZ_MRING_SEND_BULK,
	FUZZ_MRING_RECV_BURST, /* a: count - 1 (low 3 bits); c bit 0 as above */
	FUZZ_MRING_RECV_BULK,
	FUZZ_MRING_RESERVE,    /* a: count - 1; b: fill; c bit 0: commit at once */
	FUZZ_MRING_COMMIT,     /* a bit 0: b & 7 + 1 of them, else all held */
	FUZZ_MRING_PEEK,       /* a: count - 1; c bit 0: release at once */
	FUZZ_MRING_RELEASE,    /* as COMMIT */
	FUZZ_MRING_POKE,       /* c bit 0: which value, bits 1-3: what (see op_poke()) */
	FUZZ_MRING_ATTACH,     /* a bit 0: the producer side, else the consumer side;
				* c bit 0: the old view closes (cancel) first, else it dies */
	FUZZ_MRING_RECOVER,    /* as ATTACH */
	FUZZ_MRING_AVAILABLE,  /* SPSC: a: at most; c bit 0: then a bulk receive of
				* what it reported */
	FUZZ_MRING_DRAINED,    /* SPSC: what close asks (spsc_ready) and what count
				* reads (spsc_produced) */
	FUZZ_MRING_CANCEL,     /* as ATTACH (what close does) */
	FUZZ_MRING_OP_COUNT
};

/* fuzz_mring: the slot sizes byte 2 picks from. */
static const uint32_t fuzz_slot_sizes[] = {1, 4, 8, 12, 16, 24, 32, 56, 64, 100};
#define FUZZ_SLOT_SIZES (sizeof(fuzz_slot_sizes) / sizeof(fuzz_slot_sizes[0]))

/* An invariant of the library's contract failed: report it as a crash. */
#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: contract violated: %s\n", __FILE__, __LINE__, \
				#cond);                                                    \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* Reading the input: short inputs read as zero-extended. */
static inline uint64_t fuzz_le(const uint8_t *d, size_t n, size_t off, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		if (off + i < n)
			v |= (uint64_t)d[off + i] << (8 * i);
	return v;
}

static inline void fuzz_copy(void *dst, const uint8_t *d, size_t n, size_t off, size_t len)
{
	size_t k = off < n ? n - off : 0;

	if (k > len)
		k = len;
	if (k)
		memcpy(dst, d + off, k);
}

/* The configuration bytes, decoded. */
struct fuzz_cfg {
	uint8_t kind, cap_sel, size_sel;
	uint32_t nparts;
	uint32_t tx_owner, rx_owner;
	uint32_t dead_mask;
	uint8_t flags;
	uint64_t poke[2];
	uint8_t ops[FUZZ_OPS][4];
};

static inline void fuzz_cfg_read(struct fuzz_cfg *c, const uint8_t *d, size_t n)
{
	c->kind = (uint8_t)fuzz_le(d, n, 0, 1);
	c->cap_sel = (uint8_t)fuzz_le(d, n, 1, 1);
	c->size_sel = (uint8_t)fuzz_le(d, n, 2, 1);
	c->nparts = 2 + (uint32_t)fuzz_le(d, n, 3, 1) % 7;
	c->tx_owner = ((uint32_t)fuzz_le(d, n, 4, 1) & 0xf) % c->nparts;
	c->rx_owner = ((uint32_t)fuzz_le(d, n, 4, 1) >> 4) % c->nparts;
	c->dead_mask = (uint32_t)fuzz_le(d, n, 5, 2);
	c->flags = (uint8_t)fuzz_le(d, n, 7, 1);
	c->poke[0] = fuzz_le(d, n, FUZZ_OFF_POKE, 8);
	c->poke[1] = fuzz_le(d, n, FUZZ_OFF_POKE + 8, 8);
	for (unsigned i = 0; i < FUZZ_OPS; i++)
		for (unsigned j = 0; j < 4; j++)
			c->ops[i][j] = (uint8_t)fuzz_le(d, n, FUZZ_OFF_OPS + 4 * i + j, 1);
}

/* Where the area starts in the input. */
static inline size_t fuzz_area_off(const struct fuzz_cfg *c)
{
	return FUZZ_OFF_PARTS + (size_t)c->nparts * FUZZ_PART_BYTES;
}

/* Copy the forged shared state of input d into segment base (header set). */
static inline void fuzz_forge(void *base, const struct shmring_hdr *h, const struct fuzz_cfg *c,
			      const uint8_t *d, size_t n, uint64_t area_bytes)
{
	struct shmring_side *ps = shmring__prod_side(base), *cs = shmring__cons_side(base);

	atomic_store(&ps->pos, fuzz_le(d, n, FUZZ_OFF_PROD_POS, 8));
	atomic_store(&cs->pos, fuzz_le(d, n, FUZZ_OFF_CONS_POS, 8));
	atomic_store(&cs->done, fuzz_le(d, n, FUZZ_OFF_CONS_DONE, 8));
	for (uint32_t i = 0; i < c->nparts; i++)
		fuzz_copy(&shmring__parts(base)[i], d, n, FUZZ_OFF_PARTS + i * FUZZ_PART_BYTES,
			  FUZZ_PART_BYTES);
	fuzz_copy((char *)base + h->slots_off, d, n, fuzz_area_off(c), area_bytes);
}

/* Serialise a segment's state in the same format (the seed generator). */
static inline size_t fuzz_dump(uint8_t *out, size_t cap, const uint8_t cfg[FUZZ_OFF_PROD_POS],
			       void *base, const struct shmring_hdr *h, uint32_t nparts,
			       uint64_t area_bytes)
{
	size_t need = FUZZ_OFF_PARTS + nparts * FUZZ_PART_BYTES + area_bytes;
	uint64_t pos[3] = {atomic_load(&shmring__prod_side(base)->pos),
			   atomic_load(&shmring__cons_side(base)->pos),
			   atomic_load(&shmring__cons_side(base)->done)};

	if (need > cap)
		return 0;
	memcpy(out, cfg, FUZZ_OFF_PROD_POS);
	for (unsigned i = 0; i < 3; i++)
		for (unsigned b = 0; b < 8; b++)
			out[FUZZ_OFF_PROD_POS + 8 * i + b] = (uint8_t)(pos[i] >> (8 * b));
	for (uint32_t i = 0; i < nparts; i++)
		memcpy(out + FUZZ_OFF_PARTS + i * FUZZ_PART_BYTES, &shmring__parts(base)[i],
		       FUZZ_PART_BYTES);
	memcpy(out + FUZZ_OFF_PARTS + nparts * FUZZ_PART_BYTES, (char *)base + h->slots_off,
	       area_bytes);
	return need;
}

/*
 * The arena: one mapping per process with PROT_NONE pages at both ends. A
 * segment of `bytes` is placed so that it ends where the trailing guard page
 * begins, and is zeroed first.
 */
#define FUZZ_ARENA_BYTES (256u * 1024u)

static inline void *fuzz_arena(size_t bytes)
{
	static unsigned char *end;
	long page = sysconf(_SC_PAGESIZE);

	if (!end) {
		size_t len = FUZZ_ARENA_BYTES + 2 * (size_t)page;
		unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			abort();
		if (mprotect(m, (size_t)page, PROT_NONE) < 0 ||
		    mprotect(m + (size_t)page + FUZZ_ARENA_BYTES, (size_t)page, PROT_NONE) < 0)
			abort();
		end = m + (size_t)page + FUZZ_ARENA_BYTES;
	}
	if (bytes > FUZZ_ARENA_BYTES || (bytes & 15))
		abort(); /* a harness bug: a segment keeps 16-byte alignment */
	memset(end - bytes, 0, bytes);
	return end - bytes;
}

/*
 * A header for a ring of this geometry; false if it is refused. dense: the
 * dense slot layout, as shmring_create() makes it with SHMRING_CREATE_DENSE
 * (the dense geometry, SHMRING_FEAT_DENSE_SLOTS in place of
 * SHMRING_FEAT_STAMPED_SLOTS, the checksum computed again).
 */
static inline bool fuzz_header_layout(struct shmring_hdr *h, uint32_t kind, uint32_t flags,
				      uint64_t capacity, uint32_t size, uint32_t nparts,
				      bool dense)
{
	struct shmring_geometry g;

	if (shmring__geometry_kind(kind, capacity, size, nparts, &g) < 0)
		return false;
	if (dense)
		shmring__geometry_dense(&g);
	/* As shmring_create(): the small slots of a stamped SPSC ring lie in
	 * groups, and shmring__hdr_init() marks them so. */
	else if (kind == SHMRING_KIND_SPSC && size <= SHMRING_GROUP_MAX_SLOT)
		shmring__geometry_grouped(&g);
	shmring__hdr_init(h, kind, flags, &g, 0, 0, 0);
	if (dense) {
		h->features &= ~(SHMRING_FEAT_STAMPED_SLOTS | SHMRING_FEAT_GROUPED_SLOTS);
		h->features |= SHMRING_FEAT_DENSE_SLOTS;
		h->check = shmring__hdr_checksum(h);
	}
	return shmring__hdr_validate(h, g.total_size) == 0;
}

/* The same, stamped slots. */
static inline bool fuzz_header(struct shmring_hdr *h, uint32_t kind, uint32_t flags,
			       uint64_t capacity, uint32_t size, uint32_t nparts)
{
	return fuzz_header_layout(h, kind, flags, capacity, size, nparts, false);
}

/* The fake judge: an entry is dead when its bit is set in the dead mask, or
 * when the generation of the claim is not the entry's. */
struct fuzz_judge_ctx {
	struct shmring_part *parts;
	uint32_t nparts;
	uint32_t dead_mask;
	unsigned calls;
};

static inline bool fuzz_judge_dead(void *ctx, uint32_t idx, uint32_t gen, unsigned gen_bits)
{
	struct fuzz_judge_ctx *j = ctx;
	uint32_t mask = gen_bits >= 32 ? UINT32_MAX : (UINT32_C(1) << gen_bits) - 1;

	FUZZ_CHECK(idx < j->nparts); /* the core asks only about entries that exist */
	j->calls++;
	if (j->dead_mask & (UINT32_C(1) << idx))
		return true;
	return ((atomic_load(&j->parts[idx].gen) ^ gen) & mask) != 0;
}

static inline void fuzz_judge_init(struct shmring_judge *j, struct fuzz_judge_ctx *ctx, void *base,
				   const struct fuzz_cfg *c)
{
	ctx->parts = shmring__parts(base);
	ctx->nparts = c->nparts;
	ctx->dead_mask = c->dead_mask;
	ctx->calls = 0;
	memset(j, 0, sizeof(*j));
	j->dead = fuzz_judge_dead;
	j->ctx = ctx;
	j->parts = shmring__parts(base);
	j->ctl = shmring__ctl(base);
	j->nparts = c->nparts;
}

/*
 * The segment of a target: header h (already built and valid) at the start
 * of an arena segment of h->slots_off + area_bytes bytes, so that the slot
 * or record area ends where the guard page begins; then the forged state of
 * input d, and the fake judge over its participant table.
 */
static inline void *fuzz_segment(const struct shmring_hdr *h, const struct fuzz_cfg *c,
				 const uint8_t *d, size_t n, uint64_t area_bytes,
				 struct shmring_judge *j, struct fuzz_judge_ctx *jctx)
{
	void *base = fuzz_arena(h->slots_off + area_bytes);

	memcpy(base, h, sizeof(*h));
	fuzz_forge(base, h, c, d, n, area_bytes);
	fuzz_judge_init(j, jctx, base, c);
	return base;
}

/* A peer's store into a participant entry's claim range: entry op[1], its
 * end (op[2] bit 0) or its start. */
static inline void fuzz_poke_claim(void *base, const struct fuzz_cfg *c, const uint8_t *op,
				   uint64_t val)
{
	struct shmring_part *p = &shmring__parts(base)[op[1] % c->nparts];

	if (op[2] & 1)
		atomic_store(&p->claim_end, val);
	else
		atomic_store(&p->claim_pos, val);
}

/* What a recovery call may answer, whatever was forged: done, progress,
 * wait on a holder that exists (or none named), or corrupt; and it asks
 * the judge a bounded number of times. */
static inline void fuzz_check_recover(int rc, uint32_t holder, const struct fuzz_judge_ctx *jctx,
				      const struct fuzz_cfg *c)
{
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == -EAGAIN || rc == -SHMRING_ECORRUPT);
	FUZZ_CHECK(rc != -EAGAIN || holder == UINT32_MAX || holder < c->nparts);
	FUZZ_CHECK(jctx->calls <= 2 * c->nparts + 2); /* bounded */
}

/* Touch every byte of a region the library handed out (reads past it fault
 * on the guard page or are reported by ASan). */
static inline unsigned fuzz_touch(const void *p, size_t len)
{
	const volatile unsigned char *b = p;
	unsigned s = 0;

	for (size_t i = 0; i < len; i++)
		s += b[i];
	return s;
}

#endif /* SHMRING_TESTS_FUZZ_COMMON_H */
