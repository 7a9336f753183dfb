/* SPDX-License-Identifier: MIT */
/*
 * test_msg_recover: failure recovery and hostile positions in the message
 * ring core (ringbuf/msg.c), in one process over a mapped block (no system
 * calls in the code under test), with a fake judge that answers from a table:
 *   - forged producer, consumer and release positions (misaligned, 8 bytes
 *     before the end of the area, out of reach) give -EUCLEAN or nothing,
 *     never a crash or a read past the area, which ends at a PROT_NONE page
 *     (run it under ASan too);
 *   - a single producer's published position forged within reach (inside a
 *     record, past a gap) is not resumed from: the committed records say
 *     where it stands, and none is written over;
 *   - positions at or past 2^63 are refused at open: a ring forged just
 *     below 2^64 ran across it and received a record nobody sent;
 *   - a producer holding a reservation blocks consumers; recovery waits for
 *     it while it lives, makes it SKIPPED once it is dead; its late commit
 *     fails with -SHMRING_EDROPPED and is never delivered;
 *   - a claim never stamped is filled with FILLER (within the dead claim
 *     only, across the end of the area, with and without an entry covering
 *     it), and a repairer that dies mid-repair is itself repaired; a live
 *     producer's claim whose range is marked REPAIR (forged) is filled at
 *     once, not waited for; a producer whose claim was taken, or that finds
 *     no room, shows no range (a forged one would hold consumers back);
 *   - a dead consumer's claim is released and producers get room;
 *   - a single producer that restarts under many consumers leaves the
 *     records they claimed and have not released alone;
 *   - cancelling a reservation gives SKIPPED (many producers) or nothing
 *     (one producer), never a stale duplicate; a cancelled peek is released;
 *   - end-of-stream (drained) and the counters in the control block;
 *   - many threads, some of which "die" holding claims, lose nothing else.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "ringbuf/claims.h"
#include "ringbuf/layout.h"
#include "ringbuf/msg.h"

#define PAGE 4096u
#define MAXP 64u
#define MP SHMRING_CREATE_MULTI_PRODUCER
#define MC SHMRING_CREATE_MULTI_CONSUMER

/* Participant entries the tests use. */
#define P_SOLE 0u /* the single producer */
#define C_SOLE 1u /* the single consumer */
#define P_A 2u
#define P_B 3u
#define C_C 4u
#define C_D 5u
#define P_E 6u

struct ring {
	unsigned char *map;
	size_t map_len;
	unsigned char *base;
	struct shmring_hdr *h;
	struct shmring_part *parts;
	struct shmring_ctl *ctl;
	struct shmring_judge j;
	uint32_t flags;
	uint64_t cap;
	_Atomic bool dead[MAXP];
	_Atomic unsigned asked;
};

/* Anonymous shared memory, so that forked children share it too. */
static void *shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	memset(p, 0, n);
	return p;
}

static bool fake_dead(void *ctx, uint32_t idx, uint32_t gen, unsigned gen_bits)
{
	struct ring *r = ctx;

	(void)gen;
	(void)gen_bits;
	atomic_fetch_add(&r->asked, 1);
	return idx < MAXP && atomic_load(&r->dead[idx]);
}

/*
 * A message ring of `cap` bytes whose record area ends exactly where the
 * mapping does, followed by a PROT_NONE page: any access past the area
 * faults (and ASan reports it).
 */
static struct ring *ring_make(uint64_t cap, uint32_t max_len, uint32_t flags)
{
	struct ring *r = shared_alloc(sizeof(*r)); /* shared with forked children */
	struct shmring_geometry g;
	uint32_t np;

	for (np = 24; np <= 512; np++) {
		assert_int_equal(shmring__geometry_kind(SHMRING_KIND_MSG, cap, max_len, np, &g), 0);
		if (g.slots_off + cap == g.total_size)
			break;
	}
	assert_true(np <= 512);
	r->map_len = g.total_size + PAGE;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(r->map != MAP_FAILED);
	assert_int_equal(mprotect(r->map + g.total_size, PAGE, PROT_NONE), 0);
	r->base = r->map;
	r->h = (struct shmring_hdr *)(void *)r->base;
	shmring__hdr_init(r->h, SHMRING_KIND_MSG, flags, &g, 0, 0, 0);
	assert_int_equal(shmring__hdr_validate(r->h, g.total_size), 0);
	r->parts = shmring__parts(r->base);
	r->ctl = shmring__ctl(r->base);
	r->flags = flags;
	r->cap = cap;
	r->j = (struct shmring_judge){.dead = fake_dead, .ctx = r, .parts = r->parts,
				      .ctl = r->ctl, .nparts = np < MAXP ? np : MAXP};
	/* Entries in use: the sole ones and a few shared ones, each with its role. */
	for (uint32_t i = 0; i < r->j.nparts && i <= P_E; i++) {
		uint32_t role = (i == C_SOLE || i == C_C || i == C_D) ? SHMRING_CONSUMER
								       : SHMRING_PRODUCER;

		atomic_store(&r->parts[i].owner,
			     ((uint64_t)(1000 + i) << 32) | ((uint64_t)role << 24) | 1u);
		atomic_store(&r->parts[i].gen, 1u);
	}
	assert_true(r->j.nparts > P_E);
	return r;
}

static void ring_free(struct ring *r)
{
	munmap(r->map, r->map_len);
	munmap(r, sizeof(*r));
}

static void view(struct ring *r, struct shmring_msgring *v, uint32_t idx)
{
	shmring__msg_view(v, r->base, r->h, idx, &r->parts[idx], atomic_load(&r->parts[idx].gen));
}

/* A producer / consumer view, attached (the entry: the sole one or idx). */
static void producer(struct ring *r, struct shmring_msgring *v, uint32_t idx)
{
	view(r, v, (r->flags & MP) ? idx : P_SOLE);
	assert_int_equal(shmring__msg_attach_producer(v), 0);
}

static void consumer(struct ring *r, struct shmring_msgring *v, uint32_t idx)
{
	view(r, v, (r->flags & MC) ? idx : C_SOLE);
	assert_int_equal(shmring__msg_attach_consumer(v), 0);
}

static struct shmring_rec *rec(struct ring *r, uint64_t pos)
{
	return (struct shmring_rec *)(void *)(r->base + r->h->slots_off + (pos & (r->cap - 1)));
}

static uint64_t stamp(struct ring *r, uint64_t pos)
{
	return atomic_load(&rec(r, pos)->stamp);
}

static void fill(unsigned char *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(seed * 29u + i * 11u + 3u);
}

static bool same(const unsigned char *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != (unsigned char)(seed * 29u + i * 11u + 3u))
			return false;
	return true;
}

/* Send one record of `len` bytes whose type and contents are `seed`. */
static int send1(struct shmring_msgring *v, size_t len, unsigned seed)
{
	unsigned char buf[1024];
	struct shmring_msgvec m = {.buf = buf, .len = len, .type = seed};

	fill(buf, len, seed);
	return shmring__msg_send(v, &m, 1, true);
}

/* Receive one record: its type (the seed), checked; -1 when none (rc in *rc). */
static long recv1(struct shmring_msgring *v, int *rc)
{
	unsigned char buf[1024];
	struct shmring_msgvec m = {.buf = buf, .len = sizeof(buf), .type = 0};
	int k = shmring__msg_recv(v, &m, 1, true);

	if (rc)
		*rc = k;
	if (k != 1)
		return -1;
	if (!same(buf, m.len, m.type))
		fail_msg("record %u is torn", m.type);
	return (long)m.type;
}

/* Claim [pos, pos + bytes) for entry idx by hand, as a producer that dies
 * right after its CAS would: intent, CAS, nothing stamped. */
static uint64_t claim_by_hand(struct ring *r, uint32_t idx, uint64_t bytes)
{
	_Atomic uint64_t *pp = &shmring__prod_side(r->base)->pos;
	uint64_t t = atomic_load(pp);

	shmring__claim_intent(&r->parts[idx], t, t + bytes);
	assert_true(atomic_compare_exchange_strong(pp, &t, t + bytes));
	return t;
}

static bool range_empty(struct ring *r, uint32_t idx)
{
	return atomic_load(&r->parts[idx].claim_pos) == atomic_load(&r->parts[idx].claim_end);
}

/*
 * Entry idx changes hands: its owner died and a new, live process took the
 * entry (shmring__part_claim_any() takes a dead one when the table is full),
 * with an empty range and a new generation.
 */
static void take_over(struct ring *r, uint32_t idx)
{
	atomic_store(&r->parts[idx].claim_end, atomic_load(&r->parts[idx].claim_pos));
	atomic_fetch_add(&r->parts[idx].gen, 1);
	atomic_store(&r->dead[idx], false);
}

static const uint32_t modes[] = {0, MP, MC, MP | MC};

/* --- Hostile positions ------------------------------------------------------ */

enum field { F_PROD, F_CONS, F_DONE, F_N };
enum op {
	OP_ATTACH_TX, OP_ATTACH_RX, OP_SEND, OP_RESERVE, OP_RECV, OP_PEEK, OP_SWEEP,
	OP_DRAINED, OP_RECOVER_RX, OP_RECOVER_TX, OP_N
};
static const char *const op_names[] = {"attach_tx", "attach_rx", "send", "reserve", "recv",
				       "peek", "sweep", "drained", "recover_rx", "recover_tx"};
static const char *const field_names[] = {"prod->pos", "cons->pos", "cons->done"};

/* Must `op` detect a forged `f` (misaligned: only the alignment; else any)? */
static bool must_detect(uint32_t mode, enum field f, bool misaligned, enum op op)
{
	bool mp = mode & MP, mc = mode & MC;

	switch (f) {
	case F_PROD:
		switch (op) {
		case OP_ATTACH_TX: return !mp;
		case OP_ATTACH_RX: return !mc;
		case OP_SEND: case OP_RESERVE: return mp;
		case OP_DRAINED: return true;
		case OP_RECOVER_RX: return mp;
		default: return false;
		}
	case F_CONS:
		switch (op) {
		/* A producer of many reads the watermark at attach for its
		 * alignment only; its distance is judged at the first send. */
		case OP_ATTACH_TX: return !mp || (!mc && misaligned);
		case OP_ATTACH_RX: return !mc;
		case OP_SEND: case OP_RESERVE: return !mc;
		case OP_RECV: case OP_PEEK: return mc;
		case OP_DRAINED: return mc;
		case OP_RECOVER_RX: return mc && mp;
		case OP_RECOVER_TX: return mc;
		default: return false;
		}
	case F_DONE:
		if (!mc)
			return false;
		switch (op) {
		case OP_ATTACH_TX: return misaligned;
		case OP_SEND: case OP_RESERVE: case OP_RECV: case OP_PEEK: case OP_RECOVER_TX:
			return true;
		case OP_SWEEP: return misaligned;
		default: return false;
		}
	default:
		return false;
	}
}

/* Run op on ring r (already forged); whether it reported corruption. */
static bool run_op(struct ring *r, struct shmring_msgring *tx, struct shmring_msgring *rx,
		   enum op op)
{
	struct shmring_msgring v;
	unsigned char buf[256];
	struct shmring_msgvec m = {.buf = buf, .len = sizeof(buf)};
	uint64_t pos = 0;
	uint32_t holder = 0;
	int rc;

	switch (op) {
	case OP_ATTACH_TX:
		view(r, &v, (r->flags & MP) ? P_E : P_SOLE);
		rc = shmring__msg_attach_producer(&v);
		assert_true(rc == 0 || (rc == -EUCLEAN && v.corrupt));
		/* Even if a caller went on after a failed attach: no crash. */
		send1(&v, 40, 1);
		return rc == -EUCLEAN;
	case OP_ATTACH_RX:
		view(r, &v, (r->flags & MC) ? C_D : C_SOLE);
		rc = shmring__msg_attach_consumer(&v);
		assert_true(rc == 0 || (rc == -EUCLEAN && v.corrupt));
		shmring__msg_recv(&v, &m, 1, false);
		return rc == -EUCLEAN;
	case OP_SEND:
		rc = send1(tx, 40, 7);
		assert_true(rc == 0 || rc == 1 || rc == -EUCLEAN);
		assert_true((rc == -EUCLEAN) == tx->corrupt);
		return rc == -EUCLEAN;
	case OP_RESERVE: {
		void *p = shmring__msg_reserve(tx, 40);

		if (p) {
			memset(p, 0x5a, 40);
			assert_false(tx->corrupt);
			shmring__msg_commit(tx, 1);
		}
		return tx->corrupt;
	}
	case OP_RECV:
		rc = shmring__msg_recv(rx, &m, 1, false);
		assert_true(rc == 0 || rc == 1 || rc == -EUCLEAN);
		assert_true((rc == -EUCLEAN) == rx->corrupt);
		return rc == -EUCLEAN;
	case OP_PEEK: {
		size_t len;
		const void *p = shmring__msg_peek(rx, &len, NULL);

		if (p) {
			assert_false(rx->corrupt);
			shmring__msg_release(rx);
		}
		return rx->corrupt;
	}
	case OP_SWEEP:
		shmring__msg_sweep(rx);
		return rx->corrupt;
	case OP_DRAINED: {
		bool d = shmring__msg_drained(rx);

		assert_false(d && rx->corrupt);
		return rx->corrupt;
	}
	case OP_RECOVER_RX:
		rc = shmring__msg_recover_rx(rx, &r->j, &pos, &holder);
		assert_true(rc >= -EUCLEAN);
		assert_true((rc == -EUCLEAN) == rx->corrupt);
		return rc == -EUCLEAN;
	case OP_RECOVER_TX:
		rc = shmring__msg_recover_tx(tx, &r->j, &pos, &holder);
		assert_true((rc == -EUCLEAN) == tx->corrupt);
		return rc == -EUCLEAN;
	default:
		return false;
	}
}

/*
 * Every forged position, for every mode and every operation: the record
 * area ends at a PROT_NONE page, so a header straddling its end faults.
 */
static void test_hostile_positions(void **state)
{
	(void)state;
	for (unsigned mi = 0; mi < 4; mi++) {
		uint32_t mode = modes[mi];

		for (int f = 0; f < F_N; f++) {
			for (int bad = 0; bad < 8; bad++) {
				for (int op = 0; op < OP_N; op++) {
					struct ring *r = ring_make(1024, 200, mode);
					struct shmring_msgring tx, rx;
					struct shmring_side *ps = shmring__prod_side(r->base);
					struct shmring_side *cs = shmring__cons_side(r->base);
					_Atomic uint64_t *w = f == F_PROD ? &ps->pos
							      : f == F_CONS ? &cs->pos : &cs->done;
					uint64_t real, forged;
					bool misaligned = bad < 5, got;
					int n = 0;

					producer(r, &tx, P_A);
					consumer(r, &rx, C_C);
					/* Laps of traffic, then a full ring less two records:
					 * the producer has to read the watermark again. */
					for (int i = 0; i < 40; i++) {
						assert_int_equal(send1(&tx, 40 + i, (unsigned)i), 1);
						assert_int_equal(recv1(&rx, NULL), i);
					}
					while (send1(&tx, 40, 100) == 1)
						n++;
					assert_true(n > 4);
					assert_int_equal(recv1(&rx, NULL), 100);
					assert_int_equal(recv1(&rx, NULL), 100);
					real = atomic_load(w);
					if (f == F_DONE && !(mode & MC))
						real = 0;
					switch (bad) {
					case 0: /* 8 bytes before the end of the area */
						forged = r->cap - 8;
						break;
					case 1: /* the same, in the lap of the real position */
						forged = (real | (r->cap - 1)) - 7;
						break;
					case 2:
						forged = real + 8;
						break;
					case 3:
						forged = real + 4;
						break;
					case 4:
						forged = 5 * r->cap - 8;
						break;
					case 5: /* aligned, out of reach */
						forged = real + 2 * r->cap;
						break;
					case 6:
						forged = real - 2 * r->cap;
						break;
					default:
						forged = UINT64_MAX & ~UINT64_C(15);
						break;
					}
					atomic_store(w, forged);
					got = run_op(r, &tx, &rx, (enum op)op);
					if (must_detect(mode, (enum field)f, misaligned, (enum op)op) && !got)
						fail_msg("mode %u, %s = %#llx (was %#llx): %s did not "
							 "report corruption",
							 mode, field_names[f], (unsigned long long)forged,
							 (unsigned long long)real, op_names[op]);
					/* Whatever it was, everything else copes too. */
					for (int o = 0; o < OP_N; o++)
						run_op(r, &tx, &rx, (enum op)o);
					ring_free(r);
				}
			}
		}
	}
}

/* The index check at open finds a misaligned position in a message ring. */
static void test_indices_validate(void **state)
{
	(void)state;
	for (unsigned mi = 0; mi < 4; mi++) {
		for (int f = 0; f < F_N; f++) {
			struct ring *r = ring_make(1024, 200, modes[mi]);
			struct shmring_side *ps = shmring__prod_side(r->base);
			struct shmring_side *cs = shmring__cons_side(r->base);
			_Atomic uint64_t *w = f == F_PROD ? &ps->pos : f == F_CONS ? &cs->pos : &cs->done;

			assert_int_equal(shmring__indices_validate(r->base, r->h), 0);
			atomic_store(w, 8);
			if (f != F_DONE || (modes[mi] & MC))
				assert_int_equal(shmring__indices_validate(r->base, r->h), -EUCLEAN);
			ring_free(r);
		}
	}
}

/*
 * One producer: the position its predecessor published is forged within
 * reach of the consumers'. Three committed records R0..R2 of 64 bytes from
 * t (with many consumers, R0 peeked: the release watermark stays at t);
 * the published position t + 192 becomes
 *   0: t + 80, inside R1: the new producer resumed there, cleared R1's and
 *      R2's stamps and wrote its header over R1's payload;
 *   1: t + 256, past a gap: consumers waited at t + 192 for ever while the
 *      producer filled the ring past it;
 *   2: t + 64 and 3: t - 64, positions a producer could have published;
 *   4: t + 64 with R1's length impossible: R1 can be neither delivered nor
 *      written over, so the attach reports corruption.
 * Now the records from the watermark on say where the producer stands: it
 * resumes at t + 192, and every record arrives once, intact.
 */
static void test_forged_producer_position(void **state)
{
	(void)state;
	for (unsigned mi = 0; mi < 2; mi++) {
		for (unsigned how = 0; how < 5; how++) {
			static const int64_t forge[] = {80, 256, 64, -64, 64};
			struct ring *r = ring_make(1024, 200, mi ? MC : 0);
			struct shmring_msgring a, a2, c, d;
			_Atomic uint64_t *pp = &shmring__prod_side(r->base)->pos;
			const unsigned char *peeked = NULL;
			unsigned seq = 0;
			uint64_t t;
			size_t len;
			int rc;

			producer(r, &a, P_SOLE);
			consumer(r, &c, C_C);
			if (mi)
				consumer(r, &d, C_D);
			for (; seq < 20; seq++) {
				assert_int_equal(send1(&a, 48, seq), 1);
				assert_int_equal(recv1(&c, NULL), (long)seq);
			}
			t = a.pos;
			for (unsigned i = 0; i < 3; i++)
				assert_int_equal(send1(&a, 48, seq + i), 1);
			assert_int_equal(atomic_load(pp), t + 192);
			if (mi) {
				peeked = shmring__msg_peek(&d, &len, NULL);
				assert_non_null(peeked);
				assert_int_equal(d.held_pos, t);
			}
			if (how == 4) /* a length above the largest, 200 */
				atomic_store(&rec(r, t + 64)->info, 201u);
			atomic_store(pp, t + (uint64_t)forge[how]);
			view(r, &a2, P_SOLE);
			rc = shmring__msg_attach_producer(&a2);
			if (how == 4) {
				assert_int_equal(rc, -EUCLEAN);
				assert_true(a2.corrupt);
				for (unsigned i = 0; i < 3; i++) {
					uint64_t st = mi && !i ? SHMRING_REC_READING
							       : SHMRING_REC_COMMITTED;

					assert_int_equal(stamp(r, t + 64 * i), (t + 64 * i) | st);
				}
				assert_int_equal(atomic_load(pp), t + 64);
				ring_free(r);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_int_equal(a2.pos, t + 192);
			assert_int_equal(atomic_load(pp), t + 192);
			assert_int_equal(send1(&a2, 48, seq + 3), 1);
			if (mi) {
				assert_true(same(peeked, 48, seq));
				assert_int_equal(shmring__msg_release(&d), 0);
			} else {
				assert_int_equal(recv1(&c, NULL), (long)seq);
			}
			for (unsigned i = 1; i < 4; i++)
				assert_int_equal(recv1(&c, NULL), (long)seq + i);
			assert_int_equal(recv1(&c, &rc), -1);
			assert_int_equal(rc, 0);
			assert_false(c.corrupt);
			assert_true(shmring__msg_drained(&c));
			ring_free(r);
		}
	}
}

/* --- Producers that die ------------------------------------------------------ */

/*
 * A producer dies holding a reservation (CLAIMED): consumers wait while it
 * lives, get the records after it once it is dead; its late commit fails.
 */
/* Many producers, one consumer or many: the producer position moved back
 * under committed records, to the first (where a handle that has not
 * claimed yet stands) or the second. A send, by the handle that claimed
 * them or by another, says corrupt and overwrites nothing; the consumer
 * receives every record. */
static void test_prod_moved_back(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		for (uint64_t back = 0; back <= 64; back += 64) {
			struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
			_Atomic uint64_t *pp = &shmring__prod_side(r->base)->pos;
			struct shmring_msgring a, b, c;
			uint64_t t;

			producer(r, &a, P_A);
			producer(r, &b, P_B);
			consumer(r, &c, mc ? C_C : C_SOLE);
			t = atomic_load(pp);
			for (unsigned i = 0; i < 3; i++)
				assert_int_equal(send1(&a, 48, i), 1);
			assert_int_equal(atomic_load(pp), t + 192);
			atomic_store(pp, t + back);
			assert_int_equal(send1(&a, 48, 7), -EUCLEAN);
			assert_true(a.corrupt);
			assert_int_equal(send1(&b, 48, 8), -EUCLEAN);
			assert_true(b.corrupt);
			assert_int_equal(atomic_load(pp), t + back);
			for (unsigned i = 0; i < 3; i++)
				assert_int_equal(stamp(r, t + 64 * i),
						 (t + 64 * i) | SHMRING_REC_COMMITTED);
			for (unsigned i = 0; i < 3; i++)
				assert_int_equal(recv1(&c, NULL), (long)i);
			ring_free(r);
		}
	}
}

/*
 * Many producers: the position moved back into the middle of a record (no
 * stamp there to tell) is refused by a producer whose own last claim ended
 * past it, and the records stay whole.
 */
static void test_prod_moved_back_mid_record(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		for (uint64_t back = 16; back <= 176; back += 80) {
			struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
			_Atomic uint64_t *pp = &shmring__prod_side(r->base)->pos;
			struct shmring_msgring a, c;
			uint64_t t;

			producer(r, &a, P_A);
			consumer(r, &c, mc ? C_C : C_SOLE);
			t = atomic_load(pp);
			for (unsigned i = 0; i < 3; i++)
				assert_int_equal(send1(&a, 48, i), 1);
			atomic_store(pp, t + back);
			assert_int_equal(send1(&a, 48, 7), -EUCLEAN);
			assert_true(a.corrupt);
			assert_null(shmring__msg_reserve(&a, 8));
			assert_true(a.corrupt);
			assert_int_equal(atomic_load(pp), t + back);
			for (unsigned i = 0; i < 3; i++)
				assert_int_equal(recv1(&c, NULL), (long)i);
			ring_free(r);
		}
	}
}

static void test_dead_producer_claimed(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
		struct shmring_msgring a, b, c;
		uint64_t pos = 0, at;
		uint32_t holder = 0;
		unsigned asked;
		void *w;
		int rc;

		producer(r, &a, P_A);
		producer(r, &b, P_B);
		consumer(r, &c, C_C);
		assert_int_equal(send1(&a, 10, 1), 1);
		assert_int_equal(recv1(&c, NULL), 1);
		w = shmring__msg_reserve(&a, 50);
		assert_non_null(w);
		fill(w, 50, 99);
		at = a.held_pos;
		assert_int_equal(stamp(r, at), at | SHMRING_REC_CLAIMED);
		assert_int_equal(send1(&b, 20, 2), 1);
		assert_int_equal(send1(&b, 30, 3), 1);
		assert_int_equal(recv1(&c, &rc), -1);
		assert_int_equal(rc, 0);
		assert_false(shmring__msg_drained(&c));

		/* Alive: wait, and change nothing. */
		asked = atomic_load(&r->asked);
		assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), -EAGAIN);
		assert_int_equal(pos, at);
		assert_int_equal(holder, P_A);
		assert_true(atomic_load(&r->asked) > asked);
		assert_int_equal(stamp(r, at), at | SHMRING_REC_CLAIMED);
		assert_int_equal(atomic_load(&r->ctl->prod_repairs), 0);
		assert_int_equal(recv1(&c, &rc), -1);

		/* Dead: SKIPPED, counted, and the consumer goes on. */
		atomic_store(&r->dead[P_A], true);
		assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 1);
		assert_int_equal(stamp(r, at), at | SHMRING_REC_SKIPPED);
		assert_int_equal(atomic_load(&r->ctl->prod_repairs), 1);
		assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 0);
		assert_int_equal(recv1(&c, NULL), 2);
		assert_int_equal(recv1(&c, NULL), 3);
		assert_int_equal(atomic_load(&r->ctl->skipped), 1);
		assert_int_equal(recv1(&c, &rc), -1);
		assert_int_equal(rc, 0);
		assert_true(shmring__msg_drained(&c));

		/* The owner was only misjudged: its late commit is dropped. */
		assert_int_equal(shmring__msg_commit(&a, 5), -SHMRING_EDROPPED);
		assert_int_equal(a.dropped, 1);
		assert_int_equal(stamp(r, at), at | (mc ? SHMRING_REC_RELEASED : SHMRING_REC_SKIPPED));
		assert_int_equal(recv1(&c, &rc), -1);
		assert_int_equal(rc, 0);
		assert_int_equal(atomic_load(&r->ctl->skipped), 1);
		/* Everybody goes on. */
		atomic_store(&r->dead[P_A], false);
		assert_int_equal(send1(&a, 7, 6), 1);
		assert_int_equal(recv1(&c, NULL), 6);
		ring_free(r);
	}
}

/* A CLAIMED record whose owner's entry no longer covers it (freed or taken
 * over) is repaired without asking about the entry's new owner. */
static void test_claimed_entry_taken_over(void **state)
{
	struct ring *r = ring_make(1024, 200, MP);
	struct shmring_msgring a, b, c;
	uint64_t pos, at;
	uint32_t holder;

	(void)state;
	producer(r, &a, P_A);
	producer(r, &b, P_B);
	consumer(r, &c, C_SOLE);
	assert_non_null(shmring__msg_reserve(&a, 30));
	at = a.held_pos;
	assert_int_equal(send1(&b, 20, 2), 1);
	/* The entry is taken by a new process: a new generation, an empty range. */
	atomic_store(&r->parts[P_A].claim_end, atomic_load(&r->parts[P_A].claim_pos));
	atomic_fetch_add(&r->parts[P_A].gen, 1);
	assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 1);
	assert_int_equal(stamp(r, at), at | SHMRING_REC_SKIPPED);
	assert_int_equal(recv1(&c, NULL), 2);
	ring_free(r);
}

/*
 * A producer dies between its CAS and its first stamp: the length is
 * unknown. Recovery fills the dead claim with FILLER stamps, exactly over
 * the claim, and consumers go on.
 */
static void test_unstamped_claim(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		for (unsigned wrap = 0; wrap < 2; wrap++) {
			struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
			struct shmring_msgring a, b, c;
			uint64_t pos = 0, t, b0;
			uint32_t holder = 0;
			int rc;

			producer(r, &a, P_A);
			producer(r, &b, P_B);
			consumer(r, &c, C_C);
			/* Move to 48 bytes before the end of the area when wrapping. */
			if (wrap) {
				for (unsigned i = 0; i < 61; i++) {
					assert_int_equal(send1(&b, 0, i), 1);
					assert_int_equal(recv1(&c, NULL), i);
				}
				assert_int_equal(atomic_load(&shmring__prod_side(r->base)->pos),
						 r->cap - 48);
			}
			t = claim_by_hand(r, P_A, 96);
			b0 = t + 96;
			assert_int_equal(send1(&b, 20, 500), 1);
			assert_int_equal(send1(&b, 40, 501), 1);
			assert_int_equal(stamp(r, b0), b0 | SHMRING_REC_COMMITTED);
			assert_int_equal(recv1(&c, &rc), -1);
			assert_int_equal(rc, 0);

			assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), -EAGAIN);
			assert_int_equal(pos, t);
			assert_int_equal(holder, P_A);
			assert_true(stamp(r, t) != (t | SHMRING_REC_FILLER));
			atomic_store(&r->dead[P_A], true);
			assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 1);
			for (uint64_t q = t; q < b0; q += 16)
				assert_int_equal(stamp(r, q), q | SHMRING_REC_FILLER);
			assert_int_equal(stamp(r, b0), b0 | SHMRING_REC_COMMITTED);
			assert_true(range_empty(r, P_A));
			assert_true(range_empty(r, mc ? C_C : C_SOLE));
			assert_int_equal(atomic_load(&r->ctl->prod_repairs), 1);
			if (mc) { /* taken as the repairer's claim, passed by the sweep */
				assert_int_equal(atomic_load(&shmring__cons_side(r->base)->pos), b0);
				assert_int_equal(atomic_load(&shmring__cons_side(r->base)->done), b0);
			}
			assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 0);
			assert_int_equal(recv1(&c, NULL), 500);
			assert_int_equal(recv1(&c, NULL), 501);
			assert_int_equal(atomic_load(&r->ctl->skipped), 0); /* fillers are not records */
			assert_true(shmring__msg_drained(&c));
			/* The ring goes on across the repaired bytes. */
			for (unsigned i = 0; i < 40; i++) {
				assert_int_equal(send1(&b, 60, 600 + i), 1);
				assert_int_equal(recv1(&c, NULL), 600 + i);
			}
			ring_free(r);
		}
	}
}

/*
 * No entry covers the dead claim any more (its entry was reaped and taken
 * over): the fill runs to the next record that names itself, or to the
 * producer position when nothing follows.
 */
static void test_unstamped_no_entry(void **state)
{
	(void)state;
	for (unsigned follow = 0; follow < 2; follow++) {
		struct ring *r = ring_make(1024, 200, MP | MC);
		struct shmring_msgring b, c;
		uint64_t pos, t;
		uint32_t holder;

		producer(r, &b, P_B);
		consumer(r, &c, C_C);
		assert_int_equal(send1(&b, 5, 1), 1);
		assert_int_equal(recv1(&c, NULL), 1);
		t = claim_by_hand(r, P_A, 128);
		atomic_store(&r->parts[P_A].claim_end, atomic_load(&r->parts[P_A].claim_pos));
		if (follow)
			assert_int_equal(send1(&b, 33, 2), 1);
		assert_false(shmring__msg_drained(&c));
		assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 1);
		for (uint64_t q = t; q < t + 128; q += 16)
			assert_int_equal(stamp(r, q), q | SHMRING_REC_FILLER);
		if (follow)
			assert_int_equal(recv1(&c, NULL), 2);
		assert_int_equal(recv1(&c, NULL), -1);
		assert_true(shmring__msg_drained(&c));
		ring_free(r);
	}
}

/*
 * The fill stays inside the dead claim: a live producer's claim after it,
 * not stamped yet, is never written, even when a stale range of a producer
 * that died between storing its intent and its (failed) CAS covers both.
 */
static void test_fill_bounded(void **state)
{
	struct ring *r = ring_make(1024, 200, MP);
	struct shmring_msgring c;
	uint64_t pos, t, tb, old;
	uint32_t holder;
	int rc;

	(void)state;
	consumer(r, &c, C_SOLE);
	t = claim_by_hand(r, P_A, 64);
	tb = claim_by_hand(r, P_B, 48); /* B, alive, is about to stamp */
	assert_int_equal(tb, t + 64);
	/* E stored an intent from an old producer position and died. */
	shmring__claim_intent(&r->parts[P_E], t, t + 160);
	old = stamp(r, tb);
	atomic_store(&r->dead[P_A], true);
	atomic_store(&r->dead[P_E], true);
	assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 1);
	for (uint64_t q = t; q < tb; q += 16)
		assert_int_equal(stamp(r, q), q | SHMRING_REC_FILLER);
	assert_int_equal(stamp(r, tb), old);
	assert_int_equal(recv1(&c, &rc), -1);
	/* Now B holds the head: alive, so the consumer waits. */
	assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), -EAGAIN);
	assert_int_equal(pos, tb);
	assert_int_equal(holder, P_B);
	/* B goes on as if it had been preempted: it stamps, writes, commits. */
	{
		struct shmring_rec *h = rec(r, tb);
		uint64_t s = atomic_load(&h->stamp);

		atomic_store(&h->info, 20u | (P_B << SHMRING_REC_OWNER_SHIFT));
		assert_true(atomic_compare_exchange_strong(&h->stamp, &s, tb | SHMRING_REC_CLAIMED));
		fill((unsigned char *)h + 16, 20, 77);
		atomic_store(&h->type, 77u);
		atomic_store(&h->stamp, tb | SHMRING_REC_COMMITTED);
	}
	assert_int_equal(recv1(&c, NULL), 77);
	ring_free(r);
}

/*
 * A repairer that dies mid-repair. One consumer: its successor finds the
 * rest unstamped and fills it. Many: the repairer had taken the dead range
 * as its own claim (REPAIR); producers held back by it fill the rest.
 */
static void test_repairer_dies(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
		struct shmring_side *cs = shmring__cons_side(r->base);
		struct shmring_msgring a, c;
		uint64_t pos, t;
		uint32_t holder;
		unsigned sent = 0;
		int rc;

		producer(r, &a, P_B);
		consumer(r, &c, C_C);
		t = claim_by_hand(r, P_A, 96);
		atomic_store(&r->dead[P_A], true);
		assert_int_equal(send1(&a, 12, 9), 1);
		/* The repairer stamped two fillers and died. */
		atomic_store(&rec(r, t)->stamp, t | SHMRING_REC_FILLER);
		atomic_store(&rec(r, t + 16)->stamp, (t + 16) | SHMRING_REC_FILLER);
		if (!mc) {
			assert_int_equal(recv1(&c, &rc), -1);
			assert_int_equal(rc, 0);
			assert_int_equal(c.pos, t + 32);
			assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 1);
			for (uint64_t q = t + 32; q < t + 96; q += 16)
				assert_int_equal(stamp(r, q), q | SHMRING_REC_FILLER);
			assert_int_equal(recv1(&c, NULL), 9);
			ring_free(r);
			continue;
		}
		/* Many consumers: D took [t, t + 96) for the repair. */
		shmring__claim_intent(&r->parts[C_D], t, (t + 96) | SHMRING_CLAIM_REPAIR);
		atomic_store(&cs->pos, t + 96);
		assert_int_equal(recv1(&c, NULL), 9);
		assert_int_equal(atomic_load(&cs->done), t + 32); /* the fillers were swept */
		while (send1(&a, 40, 100 + sent) == 1)
			sent++;
		assert_int_equal(shmring__msg_recover_tx(&a, &r->j, &pos, &holder), -EAGAIN);
		assert_int_equal(pos, t + 32);
		assert_int_equal(holder, C_D);
		atomic_store(&r->dead[C_D], true);
		assert_int_equal(shmring__msg_recover_tx(&a, &r->j, &pos, &holder), 1);
		assert_true(a.moved);
		for (uint64_t q = t + 32; q < t + 96; q += 16)
			assert_int_equal(stamp(r, q), q | SHMRING_REC_FILLER);
		assert_int_equal(atomic_load(&cs->done), t + 96 + 32);
		assert_int_equal(atomic_load(&r->ctl->cons_repairs), 0); /* no message lost */
		for (unsigned i = 0; i < sent; i++)
			assert_int_equal(recv1(&c, NULL), 100 + i);
		assert_int_equal(send1(&a, 40, 999), 1);
		assert_int_equal(recv1(&c, NULL), 999);
		ring_free(r);
	}
}

/*
 * Many producers and consumers: D, repairing A's dead unstamped claim, took
 * it as its own (REPAIR range, consumer position moved past it) and died
 * having stamped none or two of its fillers; then D's entry was taken over,
 * so no range covers the rest. Producers held back there fill it and go on,
 * and no message is lost. (It used to be called corrupt, for ever.)
 */
static void test_repairer_taken_over(void **state)
{
	(void)state;
	for (unsigned filled = 0; filled <= 2; filled += 2) {
		struct ring *r = ring_make(1024, 200, MP | MC);
		struct shmring_side *cs = shmring__cons_side(r->base);
		struct shmring_msgring a, c;
		uint64_t pos, t;
		uint32_t holder;
		unsigned sent = 0;

		producer(r, &a, P_B);
		consumer(r, &c, C_C);
		t = claim_by_hand(r, P_A, 96);
		atomic_store(&r->dead[P_A], true);
		assert_int_equal(send1(&a, 12, 9), 1);
		shmring__claim_intent(&r->parts[C_D], t, (t + 96) | SHMRING_CLAIM_REPAIR);
		atomic_store(&cs->pos, t + 96);
		for (unsigned i = 0; i < filled; i++)
			atomic_store(&rec(r, t + 16 * i)->stamp, (t + 16 * i) | SHMRING_REC_FILLER);
		atomic_store(&r->dead[C_D], true);
		take_over(r, C_D);
		assert_int_equal(recv1(&c, NULL), 9);
		assert_int_equal(atomic_load(&cs->done), t + 16 * filled);
		while (send1(&a, 40, 100 + sent) == 1)
			sent++;
		assert_int_equal(shmring__msg_recover_tx(&a, &r->j, &pos, &holder), 1);
		for (uint64_t q = t; q < t + 96; q += 16)
			assert_int_equal(stamp(r, q), q | SHMRING_REC_FILLER);
		assert_int_equal(atomic_load(&cs->done), t + 96 + 32);
		assert_int_equal(atomic_load(&r->ctl->cons_repairs), 0);
		for (unsigned i = 0; i < sent; i++)
			assert_int_equal(recv1(&c, NULL), 100 + i);
		assert_int_equal(send1(&a, 40, 999), 1);
		assert_int_equal(recv1(&c, NULL), 999);
		ring_free(r);
	}
}

/*
 * A live producer's range marked REPAIR by someone who is not repairing it
 * (a forged table): its owner writes nothing more in the claim (it sees the
 * mark), so recovery fills the unstamped part at once rather than waiting
 * for the owner to claim again or leave. Unmarked, the live claim is waited
 * for as before.
 */
static void test_forged_mark_live(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
		struct shmring_msgring b, c;
		uint64_t pos = 0, t;
		uint32_t holder = 0;

		producer(r, &b, P_B);
		consumer(r, &c, C_C);
		t = claim_by_hand(r, P_A, 96);
		assert_int_equal(send1(&b, 20, 500), 1);
		assert_int_equal(recv1(&c, NULL), -1);
		assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), -EAGAIN);
		assert_int_equal(pos, t);
		assert_int_equal(holder, P_A);
		atomic_fetch_or(&r->parts[P_A].claim_end, SHMRING_CLAIM_REPAIR);
		assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 1);
		for (uint64_t q = t; q < t + 96; q += 16)
			assert_int_equal(stamp(r, q), q | SHMRING_REC_FILLER);
		assert_true(range_empty(r, P_A));
		assert_false(atomic_load(&r->dead[P_A])); /* judged by its mark alone */
		assert_int_equal(recv1(&c, NULL), 500);
		assert_true(shmring__msg_drained(&c));
		ring_free(r);
	}
}

/*
 * Forgeries in the middle of a real send: the first record's payload is read
 * from a page that faults, and the fault handler changes the sender's range
 * (marks it REPAIR, or moves its end as a forger would), then lets the read
 * go on. The first record commits (it was stamped before); the second is
 * dropped unwritten, and the sender's entry then shows no range.
 */
static struct ring *fault_ring;
static unsigned char *fault_page;
static _Atomic unsigned fault_count;
static bool fault_marks; /* else the range's end moves */

static void forge_on_fault(int sig, siginfo_t *si, void *uc)
{
	unsigned char *a = si->si_addr;

	(void)uc;
	if (a < fault_page || a >= fault_page + PAGE) {
		signal(sig, SIG_DFL); /* another fault: let it crash */
		return;
	}
	atomic_fetch_add(&fault_count, 1);
	if (fault_marks)
		atomic_fetch_or(&fault_ring->parts[P_A].claim_end, SHMRING_CLAIM_REPAIR);
	else
		atomic_fetch_add(&fault_ring->parts[P_A].claim_end, 16);
	if (mprotect(fault_page, PAGE, PROT_READ | PROT_WRITE) != 0)
		signal(sig, SIG_DFL);
}

/* a sends records 10 and 11, forged while it copies record 10 (see above);
 * the position of the dropped record 11. */
static uint64_t send_forged(struct ring *r, struct shmring_msgring *a, bool marks)
{
	struct sigaction sa = {.sa_sigaction = forge_on_fault, .sa_flags = SA_SIGINFO}, old;
	unsigned char second[24];
	struct shmring_msgvec m[2] = {{.len = 40, .type = 10},
				      {.buf = second, .len = sizeof(second), .type = 11}};
	uint64_t t = atomic_load(&shmring__prod_side(r->base)->pos);

	fault_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(fault_page != MAP_FAILED);
	m[0].buf = fault_page;
	fill(fault_page, 40, 10);
	fill(second, sizeof(second), 11);
	assert_int_equal(mprotect(fault_page, PAGE, PROT_NONE), 0);
	fault_ring = r;
	fault_marks = marks;
	atomic_store(&fault_count, 0);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	assert_int_equal(shmring__msg_send(a, m, 2, true), 2);
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
	munmap(fault_page, PAGE);
	assert_int_equal(atomic_load(&fault_count), 1);
	assert_int_equal(a->dropped, 1);
	assert_true(range_empty(r, P_A));
	t += shmring__rec_span(40);
	/* The second record's bytes: unstamped. */
	assert_true((stamp(r, t) & ~(uint64_t)SHMRING_REC_STATE_MASK) != t);
	return t;
}

/* Marked: the next producer's record after the dropped one still arrives. */
static void test_forged_mark_sends(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
		struct shmring_msgring a, b, c;
		uint64_t pos;
		uint32_t holder;
		int rc;

		producer(r, &a, P_A);
		producer(r, &b, P_B);
		consumer(r, &c, C_C);
		send_forged(r, &a, true);
		assert_int_equal(send1(&b, 20, 12), 1);
		assert_int_equal(recv1(&c, NULL), 10);
		assert_int_equal(recv1(&c, &rc), -1);
		assert_int_equal(rc, 0);
		assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 1);
		assert_int_equal(recv1(&c, NULL), 12);
		assert_true(shmring__msg_drained(&c));
		/* The sender goes on with a new claim. */
		assert_int_equal(send1(&a, 30, 13), 1);
		assert_int_equal(recv1(&c, NULL), 13);
		ring_free(r);
	}
}

/*
 * The range moved, and another live producer's range forged to cover the
 * dropped record once the ring is full: that producer, finding no room,
 * shows no range any more, and the consumers get past. (Before, it waited
 * for room that only the consumers could make, and they waited for it.)
 */
static void test_forged_range_full(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
		struct shmring_msgring a, b, c;
		uint64_t pos, t;
		uint32_t holder;
		unsigned sent = 0;
		int rc;

		producer(r, &a, P_A);
		producer(r, &b, P_B);
		consumer(r, &c, C_C);
		t = send_forged(r, &a, false);
		assert_int_equal(recv1(&c, NULL), 10);
		while (send1(&b, 40, 100 + sent) == 1)
			sent++;
		assert_true(sent > 4);
		shmring__claim_intent(&r->parts[P_B], t, t + 32);
		assert_int_equal(recv1(&c, &rc), -1);
		assert_int_equal(rc, 0);
		assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), -EAGAIN);
		assert_int_equal(holder, P_B);
		assert_int_equal(send1(&b, 40, 999), 0); /* still full */
		assert_true(range_empty(r, P_B));
		assert_int_equal(shmring__msg_recover_rx(&c, &r->j, &pos, &holder), 1);
		for (unsigned i = 0; i < sent; i++)
			assert_int_equal(recv1(&c, NULL), 100 + i);
		assert_true(shmring__msg_drained(&c));
		ring_free(r);
	}
}

/*
 * One producer, many consumers: an unstamped position below the consumers'
 * position that no range covers can only be forged (no consumer repairs
 * where one producer writes): recovery says -EUCLEAN and writes nothing.
 */
static void test_uncovered_unstamped_one_producer(void **state)
{
	struct ring *r = ring_make(1024, 200, MC);
	struct shmring_side *cs = shmring__cons_side(r->base);
	struct shmring_msgring a, c;
	uint64_t pos, t;
	uint32_t holder;
	unsigned sent = 0;

	(void)state;
	producer(r, &a, P_SOLE);
	consumer(r, &c, C_C);
	assert_int_equal(send1(&a, 48, 1), 1);
	t = atomic_load(&cs->pos);
	atomic_store(&rec(r, t)->stamp, 0); /* as if never stamped */
	atomic_store(&cs->pos, t + 64);     /* and claimed by a consumer gone */
	while (send1(&a, 48, 10 + sent) == 1)
		sent++;
	assert_int_equal(shmring__msg_recover_tx(&a, &r->j, &pos, &holder), -EUCLEAN);
	assert_int_equal(stamp(r, t), 0);
	ring_free(r);
}

/*
 * Forged bytes inside a claim that name its positions do not make a live
 * producer think it was repaired: only its own entry tells it that. (An
 * earlier lap's payload leaves no such word: consumers scrub them. One at
 * the claim's first position is its own case: the claim says corrupt,
 * test_prod_moved_back.) Payload tails are completed to whole words, so no
 * torn word of an old stamp is left behind.
 */
static void test_stale_bytes_name_position(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
		struct shmring_msgring a, c;
		uint64_t t;
		unsigned char *pay;
		void *w;

		producer(r, &a, P_A);
		consumer(r, &c, C_C);
		t = atomic_load(&shmring__prod_side(r->base)->pos);
		for (uint64_t q = t + 16; q < t + 64; q += 16)
			atomic_store(&rec(r, q)->stamp, q | SHMRING_REC_FILLER);
		assert_int_equal(send1(&a, 40, 3), 1);
		assert_int_equal(a.dropped, 0);
		/* 40 bytes of payload: the word holding bytes 40..47 is zero-completed. */
		pay = (unsigned char *)rec(r, t) + 16;
		for (int i = 40; i < 48; i++)
			assert_int_equal(pay[i], 0);
		assert_int_equal(recv1(&c, NULL), 3);
		atomic_store(&rec(r, t + 80)->stamp, (t + 80) | SHMRING_REC_FILLER);
		w = shmring__msg_reserve(&a, 13);
		assert_non_null(w);
		pay = w;
		for (int i = 8; i < 16; i++)
			assert_int_equal(pay[i], 0);
		fill(w, 13, 4);
		assert_int_equal(shmring__msg_commit(&a, 4), 0);
		assert_int_equal(recv1(&c, NULL), 4);
		assert_int_equal(a.dropped, 0);
		ring_free(r);
	}
}

/*
 * A payload holding words that name positions of the next lap (small
 * numbers do: a counter of 0x2f22 names position 0x2f20 as COMMITTED) is
 * not read as a header there once it is consumed. Record R0 carries, at
 * every 16-byte boundary of its payload, the stamp and info of a plausible
 * 8-byte record one lap later; the producer then stops with its next header
 * position on one of them (t + 1056). Before consumers scrubbed what they consumed, the
 * consumer received a record no producer had sent (CI: "recv: -117" when the
 * forged state was RELEASED, a torn record when it was COMMITTED).
 */
static void test_payload_names_next_lap(void **state)
{
	(void)state;
	for (unsigned mi = 0; mi < 4; mi++) {
		struct ring *r = ring_make(1024, 200, modes[mi]);
		struct shmring_msgring a, c;
		uint64_t buf[24]; /* 192 bytes of payload: span 208 */
		struct shmring_msgvec m = {.buf = buf, .len = sizeof(buf), .type = 77};
		uint64_t t;
		int rc;

		producer(r, &a, P_A);
		consumer(r, &c, C_C);
		t = atomic_load(&shmring__prod_side(r->base)->pos);
		for (unsigned w = 0; w < 24; w += 2) {
			uint64_t q = t + 16 + 8 * w; /* a 16-byte boundary inside R0 */

			buf[w] = (q + 1024) | SHMRING_REC_COMMITTED;
			buf[w + 1] = 8u | ((uint64_t)P_A << SHMRING_REC_OWNER_SHIFT) |
				     ((uint64_t)99 << 32); /* info: 8 bytes; type 99 */
		}
		assert_int_equal(shmring__msg_send(&a, &m, 1, true), 1);
		{
			struct shmring_msgvec got = {.buf = (unsigned char[256]){0}, .len = 256};

			assert_int_equal(shmring__msg_recv(&c, &got, 1, true), 1);
			assert_int_equal(got.type, 77);
		}
		/* Spans 208 x 3 and 192 to the end of the area, then 32: the next
		 * header at t + 1056, where R0's payload said "a record of 8
		 * bytes" one lap earlier. */
		for (unsigned i = 0; i < 5; i++) {
			assert_int_equal(send1(&a, i < 3 ? 192 : i == 3 ? 176 : 8, 10 + i), 1);
			assert_int_equal(recv1(&c, NULL), 10 + i);
		}
		assert_int_equal(atomic_load(&shmring__prod_side(r->base)->pos), t + 1056);
		/* Nothing was sent there: nothing to receive, no corruption. */
		assert_int_equal(recv1(&c, &rc), -1);
		assert_int_equal(rc, 0);
		assert_false(c.corrupt);
		/* And the next real record comes through. */
		assert_int_equal(send1(&a, 8, 5), 1);
		assert_int_equal(recv1(&c, NULL), 5);
		ring_free(r);
	}
}

/*
 * Positions from SHMRING_POS_MAX (2^63) on were never reached by sending,
 * and are refused at open. Forged to 2^64 - 1024 (all three, stamps clear:
 * a consistent ring) they were accepted, and the ring then ran across
 * 2^64: scrub() kept a payload word naming the next lap's position (its
 * "later" was a smaller number) and the consumer received a record no
 * producer had sent (type 99, every mode); a producer of many whose last
 * claim ended below 2^64 got -EUCLEAN from every send once another had
 * claimed across it; a consumer of many got -EUCLEAN while another held a
 * peek across it. Just below the bound the ring runs on past 2^63 as
 * anywhere else (test_payload_names_next_lap's records, nothing else
 * received).
 */
static void test_positions_at_the_top(void **state)
{
	static const uint64_t top[] = {UINT64_C(0) - 1024, SHMRING_POS_MAX,
				       UINT64_MAX & ~UINT64_C(15)};

	(void)state;
	for (unsigned mi = 0; mi < 4; mi++) {
		struct ring *r = ring_make(1024, 200, modes[mi]);
		struct shmring_side *ps = shmring__prod_side(r->base);
		struct shmring_side *cs = shmring__cons_side(r->base);
		struct shmring_msgring a, c;
		uint64_t buf[24]; /* 192 bytes of payload: span 208 */
		struct shmring_msgvec m = {.buf = buf, .len = sizeof(buf), .type = 77};
		uint64_t t = SHMRING_POS_MAX - 1024;
		int rc;

		for (size_t k = 0; k < sizeof(top) / sizeof(top[0]); k++) {
			/* All three, a consistent ring; then each alone. */
			atomic_store(&ps->pos, top[k]);
			atomic_store(&cs->pos, top[k]);
			atomic_store(&cs->done, (modes[mi] & MC) ? top[k] : 0);
			assert_int_equal(shmring__indices_validate(r->base, r->h), -EUCLEAN);
			for (int f = 0; f < F_N; f++) {
				atomic_store(&ps->pos, f == F_PROD ? top[k] : 0);
				atomic_store(&cs->pos, f == F_CONS ? top[k] : 0);
				atomic_store(&cs->done, f == F_DONE ? top[k] : 0);
				assert_int_equal(shmring__indices_validate(r->base, r->h),
						 f == F_DONE && !(modes[mi] & MC) ? 0 : -EUCLEAN);
			}
		}
		atomic_store(&ps->pos, t);
		atomic_store(&cs->pos, t);
		atomic_store(&cs->done, (modes[mi] & MC) ? t : 0);
		assert_int_equal(shmring__indices_validate(r->base, r->h), 0);
		producer(r, &a, P_A);
		consumer(r, &c, C_C);
		for (unsigned w = 0; w < 24; w += 2) {
			uint64_t q = t + 16 + 8 * w;

			buf[w] = (q + 1024) | SHMRING_REC_COMMITTED;
			buf[w + 1] = 8u | ((uint64_t)P_A << SHMRING_REC_OWNER_SHIFT) |
				     ((uint64_t)99 << 32);
		}
		assert_int_equal(shmring__msg_send(&a, &m, 1, true), 1);
		{
			struct shmring_msgvec got = {.buf = (unsigned char[256]){0}, .len = 256};

			assert_int_equal(shmring__msg_recv(&c, &got, 1, true), 1);
			assert_int_equal(got.type, 77);
		}
		for (unsigned i = 0; i < 5; i++) {
			assert_int_equal(send1(&a, i < 3 ? 192 : i == 3 ? 176 : 8, 10 + i), 1);
			assert_int_equal(recv1(&c, NULL), 10 + i);
		}
		assert_int_equal(atomic_load(&ps->pos), t + 1056);
		assert_int_equal(recv1(&c, &rc), -1);
		assert_int_equal(rc, 0);
		assert_false(c.corrupt);
		assert_int_equal(send1(&a, 8, 5), 1);
		assert_int_equal(recv1(&c, NULL), 5);
		assert_true(shmring__msg_drained(&c));
		assert_false(c.corrupt);
		ring_free(r);
	}
}

/* --- Consumers that die ------------------------------------------------------ */

/*
 * One consumer dies after reading a record and before publishing its
 * position (here: the position put back). A record whose payload has words
 * that name later positions was changed by the consumer (those words cleared)
 * before it died; it had marked the record first, so the successor passes it
 * as a dead consumer's, counted lost, and receives the next one. (It used to
 * get the record with those words zeroed.) A record with no such word is
 * received again, intact. One producer or many, a copying receive or a peek.
 */
static void test_consumer_dies_after_read(void **state)
{
	(void)state;
	for (unsigned mode = 0; mode < 8; mode++) {
		bool mp = mode & 1, peek = mode & 2, lookalike = mode & 4;
		struct ring *r = ring_make(1024, 200, mp ? MP : 0);
		struct shmring_side *cs = shmring__cons_side(r->base);
		struct shmring_msgring a, c, c2;
		uint64_t buf[24], t;
		struct shmring_msgvec m = {.buf = buf, .len = sizeof(buf), .type = 77};
		uint64_t got[32];
		struct shmring_msgvec g = {.buf = got, .len = sizeof(got)};
		bool lost = lookalike;

		producer(r, &a, P_A);
		consumer(r, &c, C_C);
		t = atomic_load(&shmring__prod_side(r->base)->pos);
		for (unsigned w = 0; w < 24; w++)
			buf[w] = lookalike ? (t + 16 + 8 * w + 1024) | SHMRING_REC_COMMITTED
					   : 0x0101010101010101u * w;
		assert_int_equal(shmring__msg_send(&a, &m, 1, true), 1);
		assert_int_equal(send1(&a, 40, 5), 1);
		if (peek) {
			size_t len;

			assert_non_null(shmring__msg_peek(&c, &len, NULL));
			assert_int_equal(shmring__msg_release(&c), 0);
		} else {
			assert_int_equal(shmring__msg_recv(&c, &g, 1, true), 1);
			assert_memory_equal(got, buf, sizeof(buf));
		}
		assert_int_equal(atomic_load(&cs->pos), t + 208);
		atomic_store(&cs->pos, t); /* it died before publishing */
		consumer(r, &c2, C_C);
		if (lost) {
			assert_int_equal(recv1(&c2, NULL), 5);
			assert_int_equal(atomic_load(&r->ctl->cons_repairs), 1);
		} else {
			g.len = sizeof(got);
			assert_int_equal(shmring__msg_recv(&c2, &g, 1, true), 1);
			assert_int_equal(g.len, sizeof(buf));
			assert_int_equal(g.type, 77);
			assert_memory_equal(got, buf, sizeof(buf));
			assert_int_equal(recv1(&c2, NULL), 5);
			assert_int_equal(atomic_load(&r->ctl->cons_repairs), 0);
		}
		assert_int_equal(recv1(&c2, NULL), -1);
		assert_false(c2.corrupt);
		ring_free(r);
	}
}

static void test_dead_consumer(void **state)
{
	(void)state;
	for (unsigned mp = 0; mp < 2; mp++) {
		for (unsigned how = 0; how < 3; how++) {
			struct ring *r = ring_make(1024, 200, MC | (mp ? MP : 0));
			struct shmring_msgring a, c, d;
			uint64_t pos = 99;
			uint32_t holder = 0;
			unsigned sent = 0;
			size_t len;

			producer(r, &a, P_A);
			consumer(r, &c, C_C);
			consumer(r, &d, C_D);
			assert_int_equal(send1(&a, 48, sent++), 1);
			if (how == 1) {
				/* C claims (its CAS) and dies before READING. */
				_Atomic uint64_t *cp = &shmring__cons_side(r->base)->pos;
				uint64_t h = atomic_load(cp);

				shmring__claim_intent(&r->parts[C_C], h, h + 64);
				assert_true(atomic_compare_exchange_strong(cp, &h, h + 64));
			} else {
				/* C peeks (READING) and dies. */
				assert_non_null(shmring__msg_peek(&c, &len, NULL));
			}
			while (send1(&a, 48, sent) == 1)
				sent++;
			for (unsigned i = 1; i < sent; i++)
				assert_int_equal(recv1(&d, NULL), i);
			assert_int_equal(send1(&a, 48, sent), 0);
			if (how < 2) {
				assert_int_equal(shmring__msg_recover_tx(&a, &r->j, &pos, &holder),
						 -EAGAIN);
				assert_int_equal(pos, 0);
				assert_int_equal(holder, C_C);
				assert_int_equal(stamp(r, 0), how ? SHMRING_REC_COMMITTED
								  : SHMRING_REC_READING);
				assert_int_equal(send1(&a, 48, sent), 0);
				atomic_store(&r->dead[C_C], true);
			} else {
				/* C released, but died before its sweep. */
				atomic_store(&rec(r, 0)->stamp, 0 | SHMRING_REC_RELEASED);
			}
			assert_int_equal(shmring__msg_recover_tx(&a, &r->j, &pos, &holder), 1);
			assert_true(a.moved);
			assert_int_equal(atomic_load(&r->ctl->cons_repairs), how < 2 ? 1 : 0);
			assert_int_equal(atomic_load(&shmring__cons_side(r->base)->done),
					 atomic_load(&shmring__cons_side(r->base)->pos));
			assert_int_equal(send1(&a, 48, sent), 1);
			assert_int_equal(recv1(&d, NULL), sent);
			assert_int_equal(shmring__msg_recover_tx(&a, &r->j, &pos, &holder), 0);
			ring_free(r);
		}
	}
}

/*
 * Many consumers: C dies holding a claim (a peek, or a claim it never
 * stamped) and its entry is taken over, so no range covers the claim any
 * more, while D, alive, holds a peek of the next record. Recovery releases
 * C's record and stops at D's claim: D's peek stays READING and intact, and
 * nothing is counted lost but C's record. (It used to release up to the
 * consumer position, D's record among them: the producer wrote over the
 * peek and later sends failed.)
 */
static void test_dead_consumer_taken_over(void **state)
{
	(void)state;
	for (unsigned mp = 0; mp < 2; mp++) {
		for (unsigned how = 0; how < 2; how++) {
			struct ring *r = ring_make(1024, 200, MC | (mp ? MP : 0));
			struct shmring_side *cs = shmring__cons_side(r->base);
			struct shmring_msgring a, c, d;
			uint64_t pos = 99, p1;
			uint32_t holder = 0;
			unsigned sent = 2;
			const unsigned char *held;
			size_t len;
			long got;

			producer(r, &a, P_A);
			consumer(r, &c, C_C);
			consumer(r, &d, C_D);
			assert_int_equal(send1(&a, 48, 0), 1);
			assert_int_equal(send1(&a, 48, 1), 1);
			if (how) {
				/* C claims record 0 (its CAS) and dies before READING. */
				uint64_t h = atomic_load(&cs->pos);

				shmring__claim_intent(&r->parts[C_C], h, h + 64);
				assert_true(atomic_compare_exchange_strong(&cs->pos, &h, h + 64));
			} else {
				assert_non_null(shmring__msg_peek(&c, &len, NULL));
			}
			held = shmring__msg_peek(&d, &len, NULL);
			assert_non_null(held);
			assert_int_equal(len, 48);
			p1 = d.held_pos;
			assert_int_equal(p1, 64);
			atomic_store(&r->dead[C_C], true);
			take_over(r, C_C);
			while (send1(&a, 48, sent) == 1)
				sent++;
			assert_int_equal(shmring__msg_recover_tx(&a, &r->j, &pos, &holder), 1);
			assert_int_equal(atomic_load(&r->ctl->cons_repairs), 1);
			assert_int_equal(stamp(r, p1), p1 | SHMRING_REC_READING);
			assert_int_equal(atomic_load(&cs->done), p1);
			assert_true(same(held, 48, 1));
			/* D's live claim holds the watermark now: wait for D. */
			assert_int_equal(shmring__msg_recover_tx(&a, &r->j, &pos, &holder),
					 -EAGAIN);
			assert_int_equal(pos, p1);
			assert_int_equal(holder, C_D);
			while (send1(&a, 48, sent) == 1)
				sent++;
			assert_true(same(held, 48, 1));
			assert_int_equal(shmring__msg_release(&d), 0);
			while (send1(&a, 48, sent) == 1)
				sent++;
			for (unsigned i = 2; i < sent; i++) {
				got = recv1(&d, NULL);
				assert_int_equal(got, i);
			}
			assert_int_equal(recv1(&d, NULL), -1);
			assert_int_equal(atomic_load(&r->ctl->cons_repairs), 1);
			ring_free(r);
		}
	}
}

/*
 * One producer, many consumers: a producer that attaches (a restart) while
 * consumer C holds a peek of record A and D has received record B behind it
 * (released, not swept: the release watermark waits at A). The attach used
 * to clear stamp words up to a capacity past the consumers' claim position,
 * not past the release watermark: it zeroed words of C's peeked payload and
 * B's RELEASED stamp, so the watermark stopped at B for good and every
 * later send failed (-EUCLEAN) on an empty ring; with C dead, recovery
 * found A's READING stamp gone and called the ring corrupt. Now the peek
 * stays intact and the ring goes on; a dead C's record is released.
 */
static void test_producer_restart_many_consumers(void **state)
{
	(void)state;
	for (unsigned dead = 0; dead < 2; dead++) {
		struct ring *r = ring_make(1024, 200, MC);
		struct shmring_msgring a, a2, c, d;
		struct shmring_side *cs = shmring__cons_side(r->base);
		const unsigned char *peeked;
		uint64_t at_a, at_b, pos = 0;
		uint32_t holder = 0;
		unsigned seq = 0;
		size_t len = 0;

		producer(r, &a, P_SOLE);
		consumer(r, &c, C_C);
		consumer(r, &d, C_D);
		/* A lap and a half of traffic first: positions past the first lap. */
		for (; seq < 24; seq++) {
			assert_int_equal(send1(&a, 48, seq), 1);
			assert_int_equal(recv1(&d, NULL), (long)seq);
		}
		for (unsigned i = 0; i < 3; i++)
			assert_int_equal(send1(&a, 48, seq + i), 1);
		peeked = shmring__msg_peek(&c, &len, NULL);
		assert_non_null(peeked);
		assert_int_equal(len, 48);
		at_a = c.held_pos;
		assert_int_equal(recv1(&d, NULL), (long)seq + 1);
		at_b = at_a + 64;
		assert_int_equal(stamp(r, at_b), at_b | SHMRING_REC_RELEASED);
		assert_int_equal(atomic_load(&cs->done), at_a);
		if (dead)
			atomic_store(&r->dead[C_C], true); /* C dies holding its peek */
		/* The producer restarts: a new view attaches, the old one is gone. */
		producer(r, &a2, P_SOLE);
		assert_int_equal(a2.pos, at_a + 192);
		assert_true(same(peeked, 48, seq));
		assert_int_equal(stamp(r, at_a), at_a | SHMRING_REC_READING);
		assert_int_equal(stamp(r, at_b), at_b | SHMRING_REC_RELEASED);
		if (!dead) {
			assert_int_equal(shmring__msg_release(&c), 0);
			assert_int_equal(atomic_load(&cs->done), at_b + 64);
		}
		assert_int_equal(recv1(&d, NULL), (long)seq + 2);
		seq += 3;
		/* Laps of traffic: a dead C's record is released once the ring
		 * fills up to it; nothing else is ever refused. */
		for (unsigned i = 0; i < 48; i++, seq++) {
			int rc = send1(&a2, 48, seq);

			if (rc == 0) {
				assert_true(dead);
				assert_int_equal(shmring__msg_recover_tx(&a2, &r->j, &pos, &holder),
						 1);
				rc = send1(&a2, 48, seq);
			}
			assert_int_equal(rc, 1);
			assert_int_equal(recv1(&d, NULL), (long)seq);
		}
		assert_int_equal(atomic_load(&r->ctl->cons_repairs), dead);
		assert_int_equal(atomic_load(&cs->done), atomic_load(&cs->pos));
		ring_free(r);
	}
}

/* --- Close ------------------------------------------------------------------- */

static void test_cancel_many(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
		struct shmring_msgring a, b, c;
		uint64_t at;
		void *w;
		int rc;

		producer(r, &a, P_A);
		producer(r, &b, P_B);
		consumer(r, &c, C_C);
		w = shmring__msg_reserve(&a, 30);
		assert_non_null(w);
		fill(w, 30, 1);
		at = a.held_pos;
		assert_false(range_empty(r, P_A));
		assert_int_equal(send1(&b, 30, 2), 1);
		shmring__msg_cancel(&a);
		assert_false(a.held);
		assert_true(range_empty(r, P_A));
		assert_int_equal(stamp(r, at), at | SHMRING_REC_SKIPPED);
		assert_int_equal(atomic_load(&r->ctl->cancelled), 1);
		assert_int_equal(recv1(&c, NULL), 2);
		assert_int_equal(recv1(&c, &rc), -1);
		assert_int_equal(rc, 0);
		assert_int_equal(atomic_load(&r->ctl->skipped), 1);
		assert_true(shmring__msg_drained(&c));
		ring_free(r);
	}
}

/*
 * One producer: a cancelled reservation is never published, and what lay in
 * its place a lap before is not delivered again; padding before it is.
 */
static void test_cancel_single(void **state)
{
	(void)state;
	for (unsigned mi = 0; mi < 2; mi++) {
		for (unsigned pad = 0; pad < 2; pad++) {
			struct ring *r = ring_make(256, 64, modes[mi * 2]); /* 0 or MC */
			struct shmring_msgring a, a2, c;
			unsigned seq = 0;
			void *w;
			int rc;

			producer(r, &a, P_SOLE);
			consumer(r, &c, C_C);
			/* A lap of 48-byte records (64 bytes each), all received;
			 * then stop 32 bytes before the end for the padded case. */
			for (unsigned i = 0; i < 4 + pad * 3; i++) {
				assert_int_equal(send1(&a, 48, seq), 1);
				assert_int_equal(recv1(&c, NULL), (long)seq++);
			}
			if (pad) {
				assert_int_equal(send1(&a, 16, seq), 1);
				assert_int_equal(recv1(&c, NULL), (long)seq++);
				assert_int_equal(a.pos & (r->cap - 1), 224);
			}
			w = shmring__msg_reserve(&a, 48);
			assert_non_null(w);
			memset(w, 0xee, 48);
			shmring__msg_cancel(&a);
			assert_int_equal(atomic_load(&r->ctl->cancelled), 1);
			assert_int_equal(recv1(&c, &rc), -1);
			assert_int_equal(rc, 0);
			assert_true(shmring__msg_drained(&c));
			/* The next producer of the ring, and one record, once. */
			producer(r, &a2, P_SOLE);
			assert_int_equal(send1(&a2, 48, 1000), 1);
			assert_int_equal(recv1(&c, NULL), 1000);
			assert_int_equal(recv1(&c, &rc), -1);
			assert_int_equal(rc, 0);
			ring_free(r);
		}
	}
}

/* A held peek at cancel: with many consumers it is released (producers get
 * the room); with one the record stays for the next consumer, as a fixed
 * ring's does (shmring_close() in ring.h). */
static void test_cancel_peek(void **state)
{
	(void)state;
	for (unsigned mi = 0; mi < 4; mi++) {
		struct ring *r = ring_make(256, 64, modes[mi]);
		struct shmring_msgring a, c;
		bool many = modes[mi] & MC;
		unsigned sent = 0;
		size_t len;

		producer(r, &a, P_A);
		consumer(r, &c, C_C);
		while (send1(&a, 48, sent) == 1)
			sent++;
		assert_non_null(shmring__msg_peek(&c, &len, NULL));
		c.moved = false;
		shmring__msg_cancel(&c);
		assert_false(c.held);
		assert_int_equal(c.moved, many);
		assert_int_equal(send1(&a, 48, sent), many ? 1 : 0);
		for (unsigned i = many ? 1 : 0; i < sent + many; i++)
			assert_int_equal(recv1(&c, NULL), i);
		ring_free(r);
	}
}

/* Skipped records alone are taken by a receive that then returns 0, and a
 * peek goes on past them to the record after. */
static void test_skipped_only(void **state)
{
	(void)state;
	for (unsigned mc = 0; mc < 2; mc++) {
		struct ring *r = ring_make(1024, 200, MP | (mc ? MC : 0));
		struct shmring_msgring a, c;
		uint64_t h0;
		size_t len;
		uint32_t type;
		const void *p;
		int rc;

		producer(r, &a, P_A);
		consumer(r, &c, C_C);
		assert_non_null(shmring__msg_reserve(&a, 10));
		shmring__msg_cancel(&a);
		h0 = atomic_load(&shmring__cons_side(r->base)->pos);
		assert_false(shmring__msg_drained(&c));
		assert_int_equal(recv1(&c, &rc), -1);
		assert_int_equal(rc, 0);
		assert_true(c.moved);
		assert_int_equal(atomic_load(&shmring__cons_side(r->base)->pos), h0 + 32);
		assert_true(shmring__msg_drained(&c));
		if (mc)
			assert_int_equal(atomic_load(&shmring__cons_side(r->base)->done), h0 + 32);
		/* Skipped then a record: a peek shows the record. */
		assert_non_null(shmring__msg_reserve(&a, 10));
		shmring__msg_cancel(&a);
		assert_int_equal(send1(&a, 21, 42), 1);
		p = shmring__msg_peek(&c, &len, &type);
		assert_non_null(p);
		assert_int_equal(len, 21);
		assert_int_equal(type, 42);
		assert_true(same(p, 21, 42));
		assert_int_equal(shmring__msg_release(&c), 0);
		assert_int_equal(atomic_load(&r->ctl->skipped), 2);
		assert_true(shmring__msg_drained(&c));
		ring_free(r);
	}
}

/* --- Many threads, many processes ------------------------------------------ */

#define T_PROD 4u
#define T_CONS 3u
#define T_PER 20000u
#define T_DIE_EVERY 997u

struct shared {
	struct ring *r;
	unsigned nprod, ncons;
	bool deaths;
	_Atomic unsigned prod_done;
	_Atomic uint64_t received;
	_Atomic uint64_t died_claimed;   /* deaths holding a CLAIMED record */
	_Atomic uint64_t died_unstamped; /* deaths between the CAS and the stamp */
	_Atomic uint64_t errors;
	_Atomic int err_claimed;
	char err[200];
	_Atomic unsigned char seen[T_PROD][T_PER];
};

/* Fail from a thread or a child process: recorded, checked by the parent. */
static void t_fail(struct shared *s, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&s->errors, 1);
	if (atomic_exchange(&s->err_claimed, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

#define CHECK(s, cond, ...)                    \
	do {                                   \
		if (!(cond)) {                 \
			t_fail(s, __VA_ARGS__); \
			return;                \
		}                              \
	} while (0)

/* Where a participant is stuck, or what it found corrupt: positions, stamps at
 * the consumer head (or at the release watermark), claim ranges. */
static void t_stuck(struct shared *s, const char *who, uint64_t h, int rc, uint64_t pos,
		    uint32_t holder)
{
	struct ring *r = s->r;
	char ranges[160] = "";

	for (uint32_t i = 0; i < r->j.nparts; i++)
		if (atomic_load(&r->parts[i].claim_pos) != atomic_load(&r->parts[i].claim_end))
			snprintf(ranges + strlen(ranges), sizeof(ranges) - strlen(ranges),
				 " %u:[%llu,%llu)", i,
				 (unsigned long long)atomic_load(&r->parts[i].claim_pos),
				 (unsigned long long)atomic_load(&r->parts[i].claim_end));
	t_fail(s, "%s at %llu: cons %llu prod %llu done %llu, stamp %#llx, next %#llx, "
		  "info %#x; recover %d at %llu by %u; ranges%s",
	       who, (unsigned long long)h,
	       (unsigned long long)atomic_load(&shmring__cons_side(r->base)->pos),
	       (unsigned long long)atomic_load(&shmring__prod_side(r->base)->pos),
	       (unsigned long long)atomic_load(&shmring__cons_side(r->base)->done),
	       (unsigned long long)stamp(r, h), (unsigned long long)stamp(r, h + 16),
	       atomic_load(&rec(r, h)->info), rc, (unsigned long long)pos, holder, ranges);
}

/* The entry of producer `id` comes back as a new process: a new generation,
 * an empty range (what src/ does when it takes over a dead entry). */
static void t_reincarnate(struct ring *r, uint32_t idx, struct shmring_msgring *v)
{
	atomic_store(&r->parts[idx].claim_end, atomic_load(&r->parts[idx].claim_pos));
	atomic_fetch_add(&r->parts[idx].gen, 1);
	atomic_store(&r->dead[idx], false);
	view(r, v, idx);
	(void)shmring__msg_attach_producer(v);
}

/* Wait until the consumers passed position pos (a repair happened). */
static void t_wait_passed(struct shared *s, uint64_t pos)
{
	uint64_t since = test_now_ns();

	while (atomic_load(&shmring__cons_side(s->r->base)->pos) <= pos) {
		if (test_now_ns() - since > UINT64_C(10000000000)) {
			t_stuck(s, "dead producer stuck", pos, 0, 0, 0);
			return;
		}
		sched_yield();
	}
}

/* Die between the CAS and the first stamp: claim 96 bytes by hand. */
static void t_die_unstamped(struct shared *s, uint32_t idx)
{
	struct ring *r = s->r;
	_Atomic uint64_t *pp = &shmring__prod_side(r->base)->pos;
	_Atomic uint64_t *wm = (r->flags & MC) ? &shmring__cons_side(r->base)->done
					       : &shmring__cons_side(r->base)->pos;

	for (;;) {
		uint64_t t = atomic_load(pp);

		if (t + 96 - atomic_load(wm) > r->cap) {
			sched_yield();
			continue;
		}
		shmring__claim_intent(&r->parts[idx], t, t + 96);
		if (atomic_compare_exchange_strong_explicit(pp, &t, t + 96, memory_order_release,
							    memory_order_relaxed)) {
			atomic_store(&r->dead[idx], true);
			t_wait_passed(s, t);
			return;
		}
		shmring__claim_clear(&r->parts[idx]);
	}
}

static void t_producer(struct shared *s, unsigned id)
{
	struct ring *r = s->r;
	struct shmring_msgring v;
	uint32_t idx = 8 + id;
	unsigned form = id % 3; /* 0: send one, 1: reserve/commit, 2: bursts */
	unsigned died_at = UINT32_MAX;
	uint64_t idle_since = 0;

	view(r, &v, idx);
	CHECK(s, shmring__msg_attach_producer(&v) == 0, "producer attach");
	for (unsigned i = 0; i < T_PER;) {
		unsigned char buf[4][72];
		struct shmring_msgvec m[4];
		unsigned n = form == 2 ? 1 + i % 4 : 1;
		int k;

		if (s->deaths && id == s->nprod - 1 && i % T_DIE_EVERY == T_DIE_EVERY - 1 &&
		    died_at != i) {
			died_at = i;
			if ((i / T_DIE_EVERY) % 2) {
				void *w;

				while (!(w = shmring__msg_reserve(&v, 30)))
					sched_yield();
				/* Word stores, as the commits below (see ring.h): a
				 * stale consumer may probe these bytes. */
				for (size_t b = 0; b < 32; b += 8)
					atomic_store_explicit((_Atomic uint64_t *)w + b / 8,
					                      0xddddddddddddddddull, memory_order_relaxed);
				atomic_store(&r->dead[idx], true);
				t_wait_passed(s, v.held_pos);
				atomic_fetch_add(&s->died_claimed, 1);
			} else {
				t_die_unstamped(s, idx);
				atomic_fetch_add(&s->died_unstamped, 1);
			}
			t_reincarnate(r, idx, &v); /* the dead view is dropped as it is */
		}
		if (n > T_PER - i)
			n = T_PER - i;
		for (unsigned j = 0; j < n; j++) {
			m[j] = (struct shmring_msgvec){.buf = buf[j], .len = 8 + (i + j) * 7 % 41,
						       .type = id << 24 | (i + j)};
			fill(buf[j], m[j].len, m[j].type);
		}
		if (form == 1) {
			void *w = shmring__msg_reserve(&v, m[0].len);

			k = 0;
			if (w) {
				/* With many consumers, word stores (see ring.h). */
				_Atomic uint64_t *ww = w;

				memset(buf[0] + m[0].len, 0, 8);
				for (size_t b = 0; b < m[0].len; b += 8) {
					uint64_t x;

					memcpy(&x, buf[0] + b, 8);
					atomic_store_explicit(&ww[b / 8], x, memory_order_relaxed);
				}
				CHECK(s, shmring__msg_commit(&v, m[0].type) == 0, "commit %u/%u", id, i);
				k = 1;
			}
			CHECK(s, !v.corrupt, "reserve found corruption");
		} else {
			k = shmring__msg_send(&v, m, n, form == 0);
			CHECK(s, k >= 0, "send: %d", k);
		}
		CHECK(s, v.dropped == 0, "a live producer's record was dropped");
		if (k > 0) {
			i += (unsigned)k;
			idle_since = 0;
			continue;
		}
		{
			uint64_t pos = 0;
			uint32_t holder = 0;
			int rc = 0;

			if (r->flags & MC)
				rc = shmring__msg_recover_tx(&v, &r->j, &pos, &holder);
			CHECK(s, rc == 0 || rc == 1 || rc == -EAGAIN, "recover_tx: %d", rc);
			if (!idle_since) {
				idle_since = test_now_ns();
			} else if (test_now_ns() - idle_since > UINT64_C(10000000000)) {
				t_stuck(s, "producer stuck", atomic_load(&shmring__cons_side(r->base)->done),
					rc, pos, holder);
				return;
			}
		}
		sched_yield();
	}
	atomic_fetch_add(&s->prod_done, 1);
}

/*
 * A zero-copy reader's copy with many consumers: relaxed 8-byte atomic loads
 * (ring.h), since a consumer whose position went stale may still try a
 * compare-exchange on these bytes (it fails; TSan counts it as a write). The
 * payload is 8-byte aligned and padded to 16 bytes.
 */
static void copy_words(unsigned char *dst, const void *src, size_t len)
{
	const _Atomic uint64_t *w = src;

	for (size_t b = 0; b < len; b += 8) {
		uint64_t x = atomic_load_explicit(&w[b / 8], memory_order_relaxed);

		memcpy(dst + b, &x, len - b < 8 ? len - b : 8);
	}
}

static void t_consumer(struct shared *s, unsigned id)
{
	uint64_t idle_since = 0;
	struct ring *r = s->r;
	struct shmring_msgring v;
	uint32_t idx = (r->flags & MC) ? 30 + id : C_SOLE;
	bool peek = id % 2;

	atomic_store(&r->parts[idx].owner,
		     ((uint64_t)(2000 + id) << 32) | ((uint64_t)SHMRING_CONSUMER << 24) | 1u);
	view(r, &v, idx);
	CHECK(s, shmring__msg_attach_consumer(&v) == 0, "consumer attach");
	for (;;) {
		unsigned char buf[4][64];
		struct shmring_msgvec m[4];
		int k;

		if (peek) {
			size_t len;
			uint32_t type;
			const void *p = shmring__msg_peek(&v, &len, &type);

			k = 0;
			if (p) {
				CHECK(s, len <= 64, "peek: length %zu", len);
				copy_words(buf[0], p, len);
				m[0] = (struct shmring_msgvec){.buf = buf[0], .len = len, .type = type};
				CHECK(s, shmring__msg_release(&v) == 0, "release");
				k = 1;
			}
			CHECK(s, !v.corrupt, "peek found corruption");
		} else {
			for (int i = 0; i < 4; i++)
				m[i] = (struct shmring_msgvec){.buf = buf[i], .len = sizeof(buf[i])};
			k = shmring__msg_recv(&v, m, 4, false);
			if (k < 0) {
				/* The record at our head, and who claims what. */
				t_stuck(s, k == -SHMRING_ECORRUPT ? "recv: corrupt record" : "recv failed",
					v.pos, k, 0, 0);
				return;
			}
		}
		for (int i = 0; i < k; i++) {
			unsigned p = m[i].type >> 24, q = m[i].type & 0xffffff;

			CHECK(s, p < T_PROD && q < T_PER, "record type %#x", m[i].type);
			CHECK(s, same(buf[i], m[i].len, m[i].type), "torn record %u/%u", p, q);
			CHECK(s, atomic_fetch_add(&s->seen[p][q], 1) == 0, "record %u/%u twice", p, q);
			atomic_fetch_add(&s->received, 1);
		}
		if (k > 0) {
			idle_since = 0;
			continue;
		}
		{
			uint64_t pos = 0;
			uint32_t holder = 0;
			int rc = shmring__msg_recover_rx(&v, &r->j, &pos, &holder);

			CHECK(s, rc == 0 || rc == 1 || rc == -EAGAIN, "recover_rx: %d", rc);
			if (!idle_since) {
				idle_since = test_now_ns();
			} else if (test_now_ns() - idle_since > UINT64_C(10000000000)) {
				t_stuck(s, "consumer stuck",
					(r->flags & MC) ? atomic_load(&shmring__cons_side(r->base)->pos)
							: v.pos,
					rc, pos, holder);
				return;
			}
		}
		if (atomic_load(&s->prod_done) == s->nprod && shmring__msg_drained(&v))
			break;
		CHECK(s, !v.corrupt, "drained found corruption");
		sched_yield();
	}
}

struct targ {
	struct shared *s;
	unsigned id;
	bool prod;
};

static void *t_main(void *arg)
{
	struct targ *a = arg;

	if (a->prod)
		t_producer(a->s, a->id);
	else
		t_consumer(a->s, a->id);
	return NULL;
}

static void t_run(uint32_t flags, bool processes, bool deaths)
{
	struct shared *s = shared_alloc(sizeof(*s));
	unsigned n;
	pthread_t th[T_PROD + T_CONS];
	pid_t pid[T_PROD + T_CONS];
	struct targ a[T_PROD + T_CONS];

	s->r = ring_make(1024, 64, flags);
	s->nprod = (flags & MP) ? T_PROD : 1;
	s->ncons = (flags & MC) ? T_CONS : 1;
	s->deaths = deaths && (flags & MP);
	for (unsigned i = 0; i < T_PROD; i++)
		atomic_store(&s->r->parts[8 + i].owner,
			     ((uint64_t)(3000 + i) << 32) | ((uint64_t)SHMRING_PRODUCER << 24) | 1u);
	n = s->nprod + s->ncons;
	for (unsigned i = 0; i < n; i++) {
		a[i] = (struct targ){.s = s, .id = i < s->ncons ? i : i - s->ncons,
				     .prod = i >= s->ncons};
		if (!processes) {
			assert_int_equal(pthread_create(&th[i], NULL, t_main, &a[i]), 0);
			continue;
		}
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			t_main(&a[i]);
			_exit(0);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (!processes) {
			pthread_join(th[i], NULL);
		} else {
			int st;

			assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
			assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
	}
	if (atomic_load(&s->errors))
		fail_msg("flags %#x %s: %s", flags, processes ? "processes" : "threads", s->err);
	assert_int_equal(atomic_load(&s->received), s->nprod * T_PER);
	for (unsigned id = 0; id < s->nprod; id++)
		for (unsigned i = 0; i < T_PER; i++)
			assert_int_equal(atomic_load(&s->seen[id][i]), 1);
	/* Every death repaired, each CLAIMED one skipped once; no consumer
	 * ever judged dead. */
	assert_int_equal(atomic_load(&s->r->ctl->skipped), atomic_load(&s->died_claimed));
	assert_true(atomic_load(&s->r->ctl->prod_repairs) >=
		    atomic_load(&s->died_claimed) + atomic_load(&s->died_unstamped));
	assert_int_equal(atomic_load(&s->r->ctl->cons_repairs), 0);
	if (s->deaths)
		assert_true(atomic_load(&s->died_claimed) > 0 && atomic_load(&s->died_unstamped) > 0);
	ring_free(s->r);
	munmap(s, sizeof(*s));
}

static void test_concurrent(void **state)
{
	/* TSan follows no synchronisation between processes: threads only. */
#if defined(__SANITIZE_THREAD__) || defined(SHMRING_SANITIZE_thread)
	const unsigned kinds = 1;
#else
	const unsigned kinds = 2;
#endif

	(void)state;
	for (unsigned mi = 0; mi < 4; mi++)
		for (unsigned processes = 0; processes < kinds; processes++)
			for (unsigned deaths = 0; deaths < 2; deaths++)
				t_run(modes[mi], processes, deaths);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_positions),
		cmocka_unit_test(test_indices_validate),
		cmocka_unit_test(test_forged_producer_position),
		cmocka_unit_test(test_prod_moved_back),
		cmocka_unit_test(test_prod_moved_back_mid_record),
		cmocka_unit_test(test_dead_producer_claimed),
		cmocka_unit_test(test_claimed_entry_taken_over),
		cmocka_unit_test(test_unstamped_claim),
		cmocka_unit_test(test_unstamped_no_entry),
		cmocka_unit_test(test_fill_bounded),
		cmocka_unit_test(test_repairer_dies),
		cmocka_unit_test(test_repairer_taken_over),
		cmocka_unit_test(test_forged_mark_live),
		cmocka_unit_test(test_forged_mark_sends),
		cmocka_unit_test(test_forged_range_full),
		cmocka_unit_test(test_uncovered_unstamped_one_producer),
		cmocka_unit_test(test_stale_bytes_name_position),
		cmocka_unit_test(test_payload_names_next_lap),
		cmocka_unit_test(test_positions_at_the_top),
		cmocka_unit_test(test_consumer_dies_after_read),
		cmocka_unit_test(test_dead_consumer),
		cmocka_unit_test(test_dead_consumer_taken_over),
		cmocka_unit_test(test_producer_restart_many_consumers),
		cmocka_unit_test(test_cancel_many),
		cmocka_unit_test(test_cancel_single),
		cmocka_unit_test(test_cancel_peek),
		cmocka_unit_test(test_skipped_only),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests_name("msg_recover", tests, NULL, NULL);
}
