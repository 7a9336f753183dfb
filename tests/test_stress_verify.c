/* SPDX-License-Identifier: MIT */
/*
 * tests/test_stress_verify.c - the message format and the verifier of
 * `shmring stress`, in one process and without a ring: every one-bit
 * corruption of a message is caught; the bits tracked exactly do not wrap
 * for a count or a limit near 2^64; the merge finds a loss, a duplicate
 * within one consumer and across two, a reorder, a message never sent, a
 * producer id out of range, and (past the bitmap) a loss, an extra, and a
 * loss and an extra that cancel in the count. With faults: a killed
 * producer's last message (arrived or not: never invalid, never lost), what
 * a killed consumer held or was recording (salvaged, counted once), a whole
 * message in the inbox of one killed while receiving, and the ring's repair
 * counts matched against the messages missing.
 */
#include "cli/stress.h"
#include "helpers.h"

#include <inttypes.h>

static int failures;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);             \
			printf(__VA_ARGS__);                                               \
			printf("\n");                                                      \
			failures++;                                                        \
		}                                                                          \
	} while (0)

#define SEED 0x1234u
#define ROOM 64u

static void test_format(void)
{
	static const size_t rooms[] = {24, 25, 31, 64, 100, 4096};
	uint8_t buf[4096];
	struct shmring_stress_hdr h;
	unsigned lens_zero = 0, lens_max = 0;

	for (size_t r = 0; r < sizeof(rooms) / sizeof(rooms[0]); r++) {
		for (int records = 0; records < 2; records++) {
			for (uint64_t seq = 0; seq < 2000; seq++) {
				size_t n = shmring_stress_build(buf, rooms[r], records, SEED, 3, seq);

				CHECK(records ? n >= SHMRING_STRESS_HDR && n <= rooms[r]
					      : n == rooms[r],
				      "length %zu in room %zu", n, rooms[r]);
				CHECK(shmring_stress_check(buf, n, rooms[r], records, &h) == 0,
				      "fresh message %" PRIu64 " fails its check", seq);
				CHECK(h.producer == 3 && h.seq == seq, "header");
				lens_zero += h.len == 0;
				lens_max += h.len == rooms[r] - SHMRING_STRESS_HDR;
				/* The wrong length for a record, or for a slot. */
				if (records && n < rooms[r])
					CHECK(shmring_stress_check(buf, n + 1, rooms[r], true, &h) < 0,
					      "record with a byte too many accepted");
				if (!records)
					CHECK(shmring_stress_check(buf, n - 1, rooms[r], false, &h) <
						      0, "short slot accepted");
			}
		}
	}
	CHECK(lens_zero > 100 && lens_max > 100, "edges: %u empty, %u full", lens_zero, lens_max);
}

/* Every single-bit flip of a message, anywhere in it, is caught. */
static void test_every_bit(void)
{
	uint8_t buf[256];
	struct shmring_stress_hdr h;

	for (int records = 0; records < 2; records++) {
		for (uint64_t seq = 0; seq < 64; seq++) {
			size_t n = shmring_stress_build(buf, sizeof(buf), records, SEED, 1, seq);

			for (size_t i = 0; i < n * 8; i++) {
				buf[i / 8] ^= (uint8_t)(1u << (i % 8));
				CHECK(shmring_stress_check(buf, n, sizeof(buf), records, &h) < 0,
				      "flip of bit %zu of message %" PRIu64 " (%zu bytes) missed", i,
				      seq, n);
				buf[i / 8] ^= (uint8_t)(1u << (i % 8));
			}
		}
	}
}

/* The bits tracked exactly: the count or the limit rounded up to 64, within
 * the budget, whatever the count or the limit (near 2^64 they wrapped to 64
 * bits: only the first 64 messages checked one by one). */
static void test_bitmap_bits(void)
{
	static const struct {
		uint64_t count, limit, want;
	} cases[] = {
		{0, 100, 128},
		{100, UINT64_C(1) << 26, 128},
		{0, UINT64_MAX, SHMRING_STRESS_BITMAP_BUDGET * 8},
		{0, UINT64_MAX - 62, SHMRING_STRESS_BITMAP_BUDGET * 8},
		{UINT64_MAX, UINT64_C(1) << 26, UINT64_C(1) << 26},
		{UINT64_MAX, UINT64_MAX, SHMRING_STRESS_BITMAP_BUDGET * 8},
		{UINT64_MAX - 62, UINT64_MAX, SHMRING_STRESS_BITMAP_BUDGET * 8},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shmring_stress_cfg cfg = {.producers = 1, .consumers = 1,
						 .count = cases[i].count,
						 .bitmap_limit = cases[i].limit};
		uint64_t got = shmring_stress_bitmap_bits(&cfg);

		CHECK(got == cases[i].want,
		      "count %" PRIu64 ", limit %" PRIu64 ": %" PRIu64 " bits, want %" PRIu64,
		      cases[i].count, cases[i].limit, got, cases[i].want);
	}
}

struct fixture {
	struct shmring_stress_area a;
	struct shmring_stress_result res;
};

static void setup(struct fixture *f, unsigned producers, unsigned consumers, uint64_t bits,
		  uint64_t sent)
{
	memset(f, 0, sizeof(*f));
	if (shmring_stress_area_map(&f->a, producers, consumers, bits, SEED, ROOM, true) < 0) {
		printf("cannot map the area\n");
		exit(1);
	}
	for (unsigned p = 0; p < producers; p++)
		atomic_store(&f->a.prod[p].sent, sent);
}

static void give(struct fixture *f, unsigned consumer, uint32_t producer, uint64_t seq)
{
	uint8_t buf[ROOM];
	size_t n = shmring_stress_build(buf, ROOM, false, SEED, producer, seq);

	shmring_stress_record(&f->a, consumer, buf, n, ROOM, false, 0);
}

/* Deliver 0..sent-1 of every producer, round-robin over the first ncons
 * consumers, in order, skipping (producer, seq) skip_p/skip_s. */
static void give_some(struct fixture *f, unsigned ncons, uint64_t sent, unsigned skip_p,
		      uint64_t skip_s)
{
	unsigned c = 0;

	for (uint64_t s = 0; s < sent; s++)
		for (unsigned p = 0; p < f->a.producers; p++) {
			if (p == skip_p && s == skip_s)
				continue;
			give(f, c, p, s);
			c = (c + 1) % ncons;
		}
}

static void give_all(struct fixture *f, uint64_t sent, unsigned skip_p, uint64_t skip_s)
{
	give_some(f, f->a.consumers, sent, skip_p, skip_s);
}

static void verdict(struct fixture *f, const char *what, uint64_t lost, uint64_t dup,
		    uint64_t ooo, uint64_t torn, uint64_t invalid)
{
	struct shmring_stress_result *r = &f->res;

	shmring_stress_verify(&f->a, ROOM, false, NULL, r);
	printf("%-40s lost %" PRIu64 " dup %" PRIu64 " ooo %" PRIu64 " torn %" PRIu64
	       " invalid %" PRIu64 "%s\n",
	       what, r->lost, r->duplicated, r->out_of_order, r->torn, r->invalid,
	       r->hashed ? " (hashed)" : "");
	CHECK(r->lost == lost && r->duplicated == dup && r->out_of_order == ooo &&
		      r->torn == torn && r->invalid == invalid,
	      "%s: want lost %" PRIu64 " dup %" PRIu64 " ooo %" PRIu64 " torn %" PRIu64
	      " invalid %" PRIu64,
	      what, lost, dup, ooo, torn, invalid);
	shmring_stress_area_unmap(&f->a);
}

static void test_merge(void)
{
	struct fixture f;
	uint8_t buf[ROOM];
	size_t n;

	setup(&f, 3, 2, 256, 200);
	give_all(&f, 200, 99, 0);
	verdict(&f, "clean", 0, 0, 0, 0, 0);

	setup(&f, 3, 2, 256, 200);
	give_all(&f, 200, 1, 77);
	verdict(&f, "one lost", 1, 0, 0, 0, 0);

	setup(&f, 3, 2, 256, 200);
	give_all(&f, 200, 99, 0);
	give(&f, 0, 2, 10);
	give(&f, 1, 2, 10);
	/* One repeat is within the consumer that had it; the other is across
	 * consumers, and that consumer also sees it after later ones. */
	verdict(&f, "dup within and across consumers", 0, 2, 1, 0, 0);

	setup(&f, 1, 1, 256, 200);
	give(&f, 0, 0, 1);
	give(&f, 0, 0, 0);
	for (uint64_t s = 2; s < 200; s++)
		give(&f, 0, 0, s);
	verdict(&f, "reordered", 0, 0, 1, 0, 0);

	setup(&f, 1, 2, 256, 200);
	give_all(&f, 200, 99, 0);
	give(&f, 1, 0, 230); /* within the bitmap, but never sent */
	give(&f, 1, 7, 3);   /* no such producer */
	verdict(&f, "never sent / no such producer", 0, 0, 0, 0, 2);

	setup(&f, 1, 1, 256, 200);
	for (uint64_t s = 0; s < 200; s++) {
		n = shmring_stress_build(buf, ROOM, false, SEED, 0, s);
		if (s == 50)
			buf[40] ^= 1;
		shmring_stress_record(&f.a, 0, buf, n, ROOM, false, 0);
	}
	verdict(&f, "torn (counted once)", 0, 0, 0, 1, 0);

	/* Past the bitmap (64 bits, 1000 sent): count and multiset hash. */
	setup(&f, 2, 2, 64, 1000);
	give_all(&f, 1000, 99, 0);
	verdict(&f, "past the bitmap: clean", 0, 0, 0, 0, 0);
	CHECK(f.res.hashed, "hash path not taken");

	setup(&f, 2, 2, 64, 1000);
	give_all(&f, 1000, 1, 500);
	verdict(&f, "past the bitmap: one lost", 1, 0, 0, 0, 0);

	/* 500 missing, 501 twice: the count balances, the sum does not. The
	 * second 501 repeats the last one: a duplicate, no reorder (no
	 * reorder brings the last one again; it counted as both). */
	setup(&f, 1, 1, 64, 1000);
	for (uint64_t s = 0; s < 1000; s++)
		give(&f, 0, 0, s == 500 ? 501 : s);
	verdict(&f, "past the bitmap: lost + extra cancel", 1, 1, 0, 0, 0);

	/* 501 twice with 502 between: the second one is behind a later one,
	 * out of order as well as repeated. */
	setup(&f, 1, 1, 64, 1000);
	for (uint64_t s = 0; s < 1000; s++)
		give(&f, 0, 0, s == 500 ? 501 : s == 501 ? 502 : s == 502 ? 501 : s);
	verdict(&f, "past the bitmap: a repeat behind a later one", 1, 1, 1, 0, 0);
}

/* The verdict with the ring's counts, for the fault cases. */
static void verdict_faults(struct fixture *f, const char *what,
			   const struct shmring_stress_ring_counts *ring, uint64_t lost,
			   uint64_t dropped, uint64_t salvaged, uint64_t mismatch)
{
	struct shmring_stress_result *r = &f->res;

	for (unsigned p = 0; p < f->a.producers; p++)
		r->sent += atomic_load(&f->a.prod[p].sent);
	r->salvaged += shmring_stress_salvage(&f->a, ROOM, false);
	shmring_stress_verify(&f->a, ROOM, false, ring, r);
	printf("%-40s sent %" PRIu64 " recorded %" PRIu64 " lost %" PRIu64 " dup %" PRIu64
	       " invalid %" PRIu64 " dropped %" PRIu64 " salvaged %" PRIu64 " mismatch %" PRIu64
	       " (last: %" PRIu64 " delivered, %" PRIu64 " never sent)\n",
	       what, r->sent, r->recorded, r->lost, r->duplicated, r->invalid, r->dropped,
	       r->salvaged, r->repair_mismatch, r->last_delivered, r->last_never_sent);
	CHECK(r->lost == lost && r->dropped == dropped && r->salvaged == salvaged &&
		      r->repair_mismatch == mismatch && r->duplicated == 0 && r->invalid == 0 &&
		      r->torn == 0 && r->out_of_order == 0,
	      "%s: want lost %" PRIu64 " dropped %" PRIu64 " salvaged %" PRIu64
	      " mismatch %" PRIu64, what, lost, dropped, salvaged, mismatch);
	shmring_stress_area_unmap(&f->a);
}

/* Consumer c's journal and inbox as a consumer leaves them. */
static void in_hand(struct fixture *f, unsigned c, uint32_t state, uint32_t producer,
		    uint64_t seq)
{
	uint8_t *inbox = f->a.inbox + (size_t)c * f->a.inbox_stride;

	memset(inbox, 0xff, SHMRING_STRESS_HDR);
	if (producer != UINT32_MAX)
		f->a.journal[c].len = (uint32_t)shmring_stress_build(inbox, ROOM, false, SEED,
								     producer, seq);
	f->a.journal[c].state = state;
}

/* Two producers of 200 each, two consumers that received them all; producer
 * 1 was killed trying message 201 (whether the ring published it, the test
 * decides). */
static void killed_producer(struct fixture *f)
{
	setup(f, 2, 2, 256, 200);
	atomic_store(&f->a.prod[1].trying, 201);
	give_all(f, 200, 99, 0);
}

/* The same, all delivered but message (1, 77): consumer 1 was killed
 * receiving it, its inbox whole or (the copy cut short) spoiled. */
static void killed_receiving(struct fixture *f, bool whole)
{
	setup(f, 2, 2, 256, 200);
	give_all(f, 200, 1, 77);
	in_hand(f, 1, SHMRING_STRESS_RECEIVING, whole ? 1 : UINT32_MAX, whole ? 77 : 0);
}

static void test_faults(void)
{
	struct shmring_stress_ring_counts ring = {
		.known = true, .deaths = true, .consumer_claims = true};
	struct shmring_stress_ring_counts one = ring;
	struct fixture f;

	/* Issue 7, item 11: the producer was killed after the ring published
	 * message 200 and before it counted it (trying 201, sent 200). */
	killed_producer(&f);
	give(&f, 0, 1, 200);
	verdict_faults(&f, "killed producer: last one arrived", &ring, 0, 0, 0, 0);
	CHECK(f.res.last_delivered == 1 && f.res.sent == 401, "last message not counted sent");

	killed_producer(&f);
	verdict_faults(&f, "killed producer: last one never sent", &ring, 0, 0, 0, 0);
	CHECK(f.res.last_never_sent == 1 && f.res.sent == 400, "never-sent message counted");

	/* One of its claims repaired by the ring: its last message, never sent. */
	one.prod_repairs = 1;
	one.skipped = 1;
	killed_producer(&f);
	verdict_faults(&f, "killed producer: its claim repaired", &one, 0, 0, 0, 0);
	/* ... but two repairs for one death is one too many. */
	one.prod_repairs = 2;
	one.skipped = 2;
	killed_producer(&f);
	verdict_faults(&f, "producer repairs beyond the deaths", &one, 0, 0, 0, 1);

	/* A killed consumer (slot 2; the others got the rest) held message
	 * (1, 77): recorded for it. */
	setup(&f, 2, 3, 256, 200);
	give_some(&f, 2, 200, 1, 77);
	in_hand(&f, 2, SHMRING_STRESS_HOLDING, 1, 77);
	verdict_faults(&f, "killed consumer holding one", &ring, 0, 0, 1, 0);

	/* ... or was half-way through recording it: undone, then redone. */
	setup(&f, 2, 3, 256, 200);
	give_some(&f, 2, 200, 1, 77);
	in_hand(&f, 2, SHMRING_STRESS_HOLDING, 1, 77);
	{
		/* Record it, then roll the bookkeeping back to RECORDING
		 * with only part of the changes made. */
		struct shmring_stress_journal *j = &f.a.journal[2];
		uint8_t *inbox = f.a.inbox + 2 * f.a.inbox_stride;

		shmring_stress_record(&f.a, 2, inbox, j->len, ROOM, false, 0);
		j->state = SHMRING_STRESS_RECORDING;
		f.a.cons[2].recorded = j->recorded; /* the counter not yet bumped */
	}
	verdict_faults(&f, "killed consumer while recording", &ring, 0, 0, 1, 0);

	/* Killed while receiving, a whole message in its inbox, no repair:
	 * the ring handed it over before the kill. */
	killed_receiving(&f, true);
	verdict_faults(&f, "inbox whole, no repair", &ring, 0, 0, 1, 0);

	/* The same with one consumer repair: lost with its claim instead. */
	one = ring;
	one.cons_repairs = 1;
	killed_receiving(&f, true);
	verdict_faults(&f, "inbox whole, its claim repaired", &one, 0, 1, 0, 0);

	/* Killed mid-copy (the inbox spoiled), claim repaired: dropped. */
	killed_receiving(&f, false);
	verdict_faults(&f, "partial copy, claim repaired", &one, 0, 1, 0, 0);

	/* ... its claim never in anyone's way (not repaired): dropped too. */
	one.cons_repairs = 0;
	killed_receiving(&f, false);
	verdict_faults(&f, "partial copy, claim not repaired", &one, 0, 1, 0, 0);

	/* ... but one consumer killed in a receive explains one message, not two. */
	killed_receiving(&f, false);
	f.a.bitmap[(1 * 2 + 0) * f.a.words + 0] &= ~UINT64_C(1); /* (0, 0) gone too */
	f.a.bitmap[(0 * 2 + 0) * f.a.words + 0] &= ~UINT64_C(1);
	verdict_faults(&f, "two missing, one dead receiver", &one, 1, 1, 0, 0);

	/* One consumer (no claims): a killed consumer loses nothing. */
	one.consumer_claims = false;
	killed_receiving(&f, false);
	verdict_faults(&f, "one consumer: missing is lost", &one, 1, 0, 0, 0);
	one.consumer_claims = true;

	/* Two repairs, one consumer killed in a receive: one too many. */
	one.cons_repairs = 2;
	killed_receiving(&f, false);
	verdict_faults(&f, "repairs beyond dead receivers", &one, 0, 1, 0, 1);

	/* Missing with no repair to explain it: lost. */
	setup(&f, 2, 2, 256, 200);
	give_all(&f, 200, 1, 77);
	verdict_faults(&f, "missing, nothing repaired", &ring, 1, 0, 0, 0);

	/* A repair, nothing missing: the ring counted a loss that was not. */
	one = ring;
	one.cons_repairs = 1;
	setup(&f, 2, 2, 256, 200);
	give_all(&f, 200, 99, 0);
	verdict_faults(&f, "repair with nothing missing", &one, 0, 0, 0, 1);

	/* Repairs although nobody died: live claims repaired. */
	one.deaths = false;
	setup(&f, 2, 2, 256, 200);
	give_all(&f, 200, 99, 0);
	shmring_stress_verify(&f.a, ROOM, false, &one, &f.res);
	CHECK(f.res.live_repaired == 1, "repair without a death not reported");
	shmring_stress_area_unmap(&f.a);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_format();
	test_every_bit();
	test_bitmap_bits();
	test_merge();
	test_faults();
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
