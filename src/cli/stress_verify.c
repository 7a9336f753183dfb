/* SPDX-License-Identifier: MIT */
/*
 * src/cli/stress_verify.c - the verifier of `shmring stress`.
 *
 * Each consumer keeps, for each producer, a bitmap of the sequence numbers it
 * received and the highest one so far. A sequence number arriving twice at one
 * consumer is a duplicate; one arriving below the highest so far (and not a
 * duplicate) is out of order: per producer, per consumer, a ring must deliver
 * in sending order. When every process has exited, the parent ORs the
 * consumers' bitmaps per producer: a bit set in two consumers is a duplicate
 * across consumers, a bit below the producer's final count set nowhere is a
 * lost message, a bit at or above it names a message never sent (invalid).
 *
 * Bitmaps cost a bit per message per consumer, so they cover the first
 * bitmap_bits sequence numbers of each producer (all of them with --count,
 * unless the budget below says otherwise). Past that, a consumer counts each
 * message and adds shmring_stress_mix(seq) to a sum; the parent compares count
 * and sum with those of the sequence numbers the producer sent. A loss and a
 * duplicate that cancel in the count still change the sum, except with
 * probability about 2^-64.
 *
 * Faults (--kill, --stop; see docs/STRESS.md, "Faults"). A producer stores
 * `trying` before each send and `sent` after it: one killed in between
 * leaves message `sent` in doubt, and it counts as sent exactly when some
 * consumer got it. A consumer receives into its inbox in the shared area
 * and keeps a journal of what it has in hand (struct shmring_stress_journal):
 * for one that was killed, the parent records what it held, or undoes and
 * redoes what it was recording (shmring_stress_salvage()). One killed while
 * receiving may have a whole message in its inbox that the ring did or did
 * not hand over (the kill came before or after the release): such a message
 * is either delivered to the dead consumer or lost with its claim, and the
 * ring's count of repaired consumer claims says how many were lost. So the
 * messages missing everywhere must be exactly those the ring counted lost
 * (repairs, and claims of dead consumers still unrepaired at the end), give
 * or take the ones in such inboxes; anything else missing is lost, and a
 * repair that matches no missing message is a mismatch.
 */
#include "cli/stress.h"

#include <assert.h>
#include <string.h>
#include <sys/mman.h>

static_assert(sizeof(struct shmring_stress_prod) == 128, "one 128-byte line per producer");
static_assert(sizeof(struct shmring_stress_cons) == 128, "one 128-byte line per consumer");
static_assert(sizeof(struct shmring_stress_ctl) == 128, "control block on its own line");
static_assert(sizeof(struct shmring_stress_rec) == 64, "records on whole lines");
static_assert(sizeof(struct shmring_stress_journal) % 64 == 0, "journals on whole lines");

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

uint64_t shmring_stress_bitmap_bits(const struct shmring_stress_cfg *cfg)
{
	uint64_t limit = cfg->bitmap_limit ? cfg->bitmap_limit : 64;
	uint64_t want = cfg->count ? cfg->count : limit;
	uint64_t pairs = (uint64_t)cfg->producers * shmring_stress_consumer_slots(cfg);
	uint64_t budget = SHMRING_STRESS_BITMAP_BUDGET * 8 / pairs / 64 * 64;

	/* Rounded up last, below the budget: a count or a limit near 2^64
	 * rounded up first wrapped to a bitmap of 64 bits. */
	if (want > limit)
		want = limit;
	if (want > budget)
		want = budget;
	want = round_up(want, 64);
	return want < 64 ? 64 : want;
}

unsigned shmring_stress_consumer_slots(const struct shmring_stress_cfg *cfg)
{
	unsigned n = cfg->consumers;

	if (cfg->victims & SHMRING_CONSUMER)
		n += cfg->kill;
	return n < SHMRING_STRESS_MAX_CONSUMERS ? n : SHMRING_STRESS_MAX_CONSUMERS;
}

int shmring_stress_area_map(struct shmring_stress_area *a, unsigned producers, unsigned consumers,
			    uint64_t bitmap_bits, uint64_t seed, size_t room, bool journaled)
{
	size_t stride = round_up(room ? room : 1, 64);
	size_t off_prod = sizeof(struct shmring_stress_ctl);
	size_t off_cons = off_prod + producers * sizeof(struct shmring_stress_prod);
	size_t off_journal = off_cons + consumers * sizeof(struct shmring_stress_cons);
	size_t off_inbox = off_journal + consumers * sizeof(struct shmring_stress_journal);
	size_t off_rec = off_inbox + consumers * stride;
	size_t off_bits = round_up(off_rec + (size_t)consumers * producers *
					       sizeof(struct shmring_stress_rec), 4096);
	uint64_t words = bitmap_bits / 64;
	size_t size = off_bits + (size_t)(words * consumers * producers * 8);
	uint8_t *base;

	memset(a, 0, sizeof(*a));
	/* Shared so the parent sees what children write; NORESERVE because a
	 * --duration run sizes bitmaps for the worst case and touches only the
	 * pages it uses. */
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (base == MAP_FAILED)
		return -ENOMEM;
	a->base = base;
	a->size = size;
	a->ctl = (struct shmring_stress_ctl *)(void *)base;
	a->prod = (struct shmring_stress_prod *)(void *)(base + off_prod);
	a->cons = (struct shmring_stress_cons *)(void *)(base + off_cons);
	a->journal = (struct shmring_stress_journal *)(void *)(base + off_journal);
	a->inbox = base + off_inbox;
	a->inbox_stride = stride;
	a->journaled = journaled;
	a->rec = (struct shmring_stress_rec *)(void *)(base + off_rec);
	a->bitmap = (uint64_t *)(void *)(base + off_bits);
	a->words = words;
	a->producers = producers;
	a->consumers = consumers;
	a->seed = seed;
	return 0;
}

void shmring_stress_area_unmap(struct shmring_stress_area *a)
{
	if (a->base)
		munmap(a->base, a->size);
	memset(a, 0, sizeof(*a));
}

/*
 * The journal's state is what the parent reads after a kill: the compiler
 * must not move the changes it guards across it (a SIGKILL stops the
 * process between two instructions; the hardware keeps its own stores in
 * order for the parent, which reads them after waitpid()).
 */
void shmring_stress_hand(struct shmring_stress_journal *j, uint32_t state)
{
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&j->state, state, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
}

static uint64_t *word_of(struct shmring_stress_area *a, unsigned c, uint32_t producer, uint64_t seq)
{
	return &a->bitmap[((size_t)c * a->producers + producer) * a->words + seq / 64];
}

/* Save what recording h will change, then say RECORDING. */
static void journal_begin(struct shmring_stress_area *a, unsigned c,
			  const struct shmring_stress_hdr *h)
{
	struct shmring_stress_journal *j = &a->journal[c];
	struct shmring_stress_cons *cs = &a->cons[c];

	j->recorded = cs->recorded;
	j->torn = cs->torn;
	j->invalid = cs->invalid;
	j->producer = h->producer;
	j->has_rec = h->producer < a->producers;
	j->has_word = j->has_rec && h->seq < a->words * 64;
	if (j->has_rec)
		j->rec = a->rec[(size_t)c * a->producers + h->producer];
	if (j->has_word) {
		uint64_t *w = word_of(a, c, h->producer, h->seq);

		j->word_at = (uint64_t)(w - a->bitmap);
		j->word = *w;
	}
	shmring_stress_hand(j, SHMRING_STRESS_RECORDING);
}

void shmring_stress_record(struct shmring_stress_area *a, unsigned c, const void *buf, size_t n,
			   size_t room, bool records, uint32_t type)
{
	struct shmring_stress_cons *cs = &a->cons[c];
	struct shmring_stress_hdr h;
	struct shmring_stress_rec *rec;
	uint64_t *word, bit;
	bool bad;

	bad = shmring_stress_check(buf, n, room, records, &h) < 0;
	if (!bad && records && type != shmring_stress_type(h.producer, h.seq))
		bad = true;
	if (a->journaled)
		journal_begin(a, c, &h);
	cs->recorded++;
	if (bad)
		cs->torn++;
	if (h.producer >= a->producers) {
		/* A torn message's header may be anything: counted as torn only. */
		if (!bad)
			cs->invalid++;
		goto out;
	}
	/* A torn message whose header still names a producer is entered under
	 * that sequence number too, so that a tear is reported as torn rather
	 * than as torn and lost. */
	rec = &a->rec[(size_t)c * a->producers + h.producer];
	rec->count++;
	if (h.seq < a->words * 64) {
		word = word_of(a, c, h.producer, h.seq);
		bit = UINT64_C(1) << (h.seq % 64);
		if (*word & bit) {
			rec->dup++;
		} else {
			*word |= bit;
			if (h.seq < rec->next)
				rec->ooo++;
		}
	} else {
		/* Past the bitmap a repeat cannot be told from a reorder here,
		 * but for a repeat of the last one (no reorder brings that one
		 * twice); the parent's count and sum catch the repeat. */
		if (h.seq + 1 < rec->next)
			rec->ooo++;
		rec->beyond++;
		rec->beyond_hash += shmring_stress_mix(a->seed, h.producer, h.seq);
	}
	if (h.seq >= rec->next)
		rec->next = h.seq + 1;
out:
	if (a->journaled)
		shmring_stress_hand(&a->journal[c], SHMRING_STRESS_IDLE);
}

static uint8_t *inbox_of(const struct shmring_stress_area *a, unsigned c)
{
	return a->inbox + (size_t)c * a->inbox_stride;
}

uint64_t shmring_stress_salvage(struct shmring_stress_area *a, size_t room, bool records)
{
	uint64_t n = 0;

	for (unsigned c = 0; c < a->consumers; c++) {
		struct shmring_stress_journal *j = &a->journal[c];
		struct shmring_stress_cons *cs = &a->cons[c];

		/* Relaxed: the journal's owner is dead or done. */
		switch (atomic_load_explicit(&j->state, memory_order_relaxed)) {
		case SHMRING_STRESS_RECORDING:
			/* Killed half-way: back to the state before, then again. */
			cs->recorded = j->recorded;
			cs->torn = j->torn;
			cs->invalid = j->invalid;
			if (j->has_rec)
				a->rec[(size_t)c * a->producers + j->producer] = j->rec;
			if (j->has_word && j->word_at < (uint64_t)a->consumers * a->producers * a->words)
				a->bitmap[j->word_at] = j->word;
			/* fall through */
		case SHMRING_STRESS_HOLDING:
			if (j->len > room) /* only a consumer's own bug could do this */
				j->len = (uint32_t)room;
			shmring_stress_record(a, c, inbox_of(a, c), j->len, room, records, j->type);
			n++;
			break;
		default:
			break;
		}
	}
	return n;
}

/* A whole message in the inbox of a consumer killed while receiving: it
 * arrived in that receive (the header was spoiled before). */
static bool inbox_message(const struct shmring_stress_area *a, unsigned c, size_t room,
			  bool records, struct shmring_stress_hdr *h)
{
	const uint8_t *m = inbox_of(a, c);
	uint32_t len;

	if (a->journal[c].state != SHMRING_STRESS_RECEIVING || room < SHMRING_STRESS_HDR)
		return false;
	memcpy(&len, m + 4, 4);
	if (len > room - SHMRING_STRESS_HDR)
		return false;
	return shmring_stress_check(m, records ? SHMRING_STRESS_HDR + len : room, room, records,
				    h) == 0 &&
	       h->producer < a->producers;
}

/* Whether some consumer recorded (producer, seq); only within the bitmap. */
static bool recorded_anywhere(const struct shmring_stress_area *a, uint32_t p, uint64_t seq)
{
	if (seq >= a->words * 64)
		return false;
	for (unsigned c = 0; c < a->consumers; c++)
		if (a->bitmap[((size_t)c * a->producers + p) * a->words + seq / 64] &
		    (UINT64_C(1) << (seq % 64)))
			return true;
	return false;
}

/* Missing messages, split: those in a dead consumer's inbox, and the rest. */
struct missing {
	uint64_t in_inbox, elsewhere;
	uint64_t beyond_salvaged; /* inbox messages past the bitmap, taken as delivered */
};

static bool is_inbox_message(const struct shmring_stress_hdr *cand, unsigned ncand, uint32_t p,
			     uint64_t seq)
{
	for (unsigned i = 0; i < ncand; i++)
		if (cand[i].producer == p && cand[i].seq == seq)
			return true;
	return false;
}

static void verify_producer(const struct shmring_stress_area *a, unsigned p,
			    const struct shmring_stress_hdr *cand, unsigned ncand,
			    struct missing *miss, struct shmring_stress_result *res)
{
	uint64_t sent = atomic_load_explicit(&a->prod[p].sent, memory_order_acquire);
	uint64_t trying = atomic_load_explicit(&a->prod[p].trying, memory_order_acquire);
	uint64_t bits = a->words * 64, exact, top;
	uint64_t want_n, want_sum = 0, got_n = 0, got_sum = 0;

	for (unsigned c = 0; c < a->consumers; c++) {
		const struct shmring_stress_rec *rec = &a->rec[(size_t)c * a->producers + p];

		got_n += rec->beyond;
		got_sum += rec->beyond_hash;
	}
	/* Message `sent` is in doubt when the producer stopped between its
	 * send and counting it (killed, or its send failed): it was sent
	 * exactly when it arrived somewhere. */
	if (trying == sent + 1) {
		bool arrived = recorded_anywhere(a, p, sent) || is_inbox_message(cand, ncand, p, sent);

		if (!arrived && sent >= bits && got_n > (sent > bits ? sent - bits : 0)) {
			/* Past the bitmap: the count has one more, the sum says which. */
			uint64_t sum = 0;

			for (uint64_t s = bits; s <= sent; s++)
				sum += shmring_stress_mix(a->seed, p, s);
			arrived = got_sum == sum;
		}
		if (arrived) {
			sent++;
			res->last_delivered++;
		} else {
			res->last_never_sent++;
		}
	}
	exact = sent < bits ? sent : bits;
	top = exact;
	/* Scan only as far as some consumer got: the pages above were never
	 * touched, and reading them would make the kernel allocate them. */
	for (unsigned c = 0; c < a->consumers; c++) {
		const struct shmring_stress_rec *rec = &a->rec[(size_t)c * a->producers + p];

		if (rec->next > top)
			top = rec->next < bits ? rec->next : bits;
		res->duplicated += rec->dup;
		res->out_of_order += rec->ooo;
	}
	for (uint64_t w = 0; w < (top + 63) / 64; w++) {
		uint64_t any = 0, expect, gone;
		unsigned ones = 0;

		if ((w + 1) * 64 <= exact)
			expect = UINT64_MAX;
		else if (w * 64 >= exact)
			expect = 0;
		else
			expect = (UINT64_C(1) << (exact - w * 64)) - 1;
		for (unsigned c = 0; c < a->consumers; c++) {
			uint64_t x = a->bitmap[((size_t)c * a->producers + p) * a->words + w];

			any |= x;
			ones += (unsigned)__builtin_popcountll(x);
		}
		res->duplicated += ones - (unsigned)__builtin_popcountll(any);
		res->invalid += (unsigned)__builtin_popcountll(any & ~expect);
		gone = expect & ~any;
		for (unsigned i = 0; i < ncand && gone; i++) {
			uint64_t s = cand[i].seq;

			if (cand[i].producer == p && s / 64 == w && (gone & (UINT64_C(1) << (s % 64)))) {
				gone &= ~(UINT64_C(1) << (s % 64));
				miss->in_inbox++;
			}
		}
		miss->elsewhere += (unsigned)__builtin_popcountll(gone);
	}
	for (unsigned i = 0; i < ncand; i++) {
		if (cand[i].producer != p)
			continue;
		if (cand[i].seq >= sent) {
			res->invalid++; /* whole, but never sent */
		} else if (cand[i].seq >= bits) {
			/* Past the bitmap: taken as delivered there. */
			got_n++;
			got_sum += shmring_stress_mix(a->seed, p, cand[i].seq);
			miss->beyond_salvaged++;
		}
	}
	want_n = sent > bits ? sent - bits : 0;
	for (uint64_t s = bits; s < sent; s++)
		want_sum += shmring_stress_mix(a->seed, p, s);
	if (want_n || got_n)
		res->hashed = true;
	if (got_n < want_n) {
		miss->elsewhere += want_n - got_n;
	} else if (got_n > want_n) {
		res->duplicated += got_n - want_n;
	} else if (got_sum != want_sum) {
		/* Same count, other members: at least one lost and one extra. */
		miss->elsewhere++;
		res->duplicated++;
	}
	res->sent += sent - atomic_load_explicit(&a->prod[p].sent, memory_order_acquire);
	res->live_repaired += a->prod[p].dropped_live;
}

void shmring_stress_verify(const struct shmring_stress_area *a, size_t room, bool records,
			   const struct shmring_stress_ring_counts *ring,
			   struct shmring_stress_result *res)
{
	struct shmring_stress_hdr cand[SHMRING_STRESS_MAX_CONSUMERS];
	struct missing miss = {0, 0, 0};
	uint64_t low = 0, high = 0, explained, need, in_inbox_lost;
	unsigned ncand = 0;

	/* Whole messages in the inboxes of consumers killed while receiving,
	 * unless another consumer got them too (then the ring had not let go
	 * of them yet, and handed them on: delivered once). */
	for (unsigned c = 0; c < a->consumers && ncand < SHMRING_STRESS_MAX_CONSUMERS; c++) {
		struct shmring_stress_hdr h;

		if (inbox_message(a, c, room, records, &h) && !recorded_anywhere(a, h.producer, h.seq))
			cand[ncand++] = h;
	}
	for (unsigned p = 0; p < a->producers; p++)
		verify_producer(a, p, cand, ncand, &miss, res);
	/*
	 * Messages lost with dead consumers' claims (L): with many consumers,
	 * each consumer killed in a receive may have held one claim, which the
	 * ring repairs (counted) when it gets in a producer's way, or never,
	 * so R <= L <= max(R, those consumers); with one consumer there are no
	 * claims, and L = R (0). The messages missing everywhere (M) and those
	 * in dead consumers' inboxes (K) that were lost make up L: M is
	 * explained up to the most L can be, the rest is lost; what the ring
	 * counted beyond M comes from the inboxes, and beyond that matches
	 * nothing.
	 */
	for (unsigned c = 0; c < a->consumers; c++)
		if (a->journal[c].state == SHMRING_STRESS_RECEIVING)
			res->died_receiving++;
	if (ring && ring->known && ring->deaths) {
		low = high = ring->cons_repairs;
		if (ring->consumer_claims) {
			/* At most one claim (one message) per consumer killed
			 * in a receive: repairs past that match nothing. */
			high = res->died_receiving;
			if (low > high) {
				res->repair_mismatch += low - high;
				low = high;
			}
		}
	}
	explained = miss.elsewhere < high ? miss.elsewhere : high;
	res->lost += miss.elsewhere - explained;
	need = low > explained ? low - explained : 0;
	in_inbox_lost = miss.in_inbox < need ? miss.in_inbox : need;
	res->repair_mismatch += need - in_inbox_lost;
	res->dropped += explained + in_inbox_lost;
	/* The rest of those inbox messages reached the consumer before it
	 * died: delivered, and verified now (their checksums held). */
	res->salvaged += miss.in_inbox - in_inbox_lost + miss.beyond_salvaged;
	res->recorded += miss.in_inbox - in_inbox_lost + miss.beyond_salvaged;
	if (ring && ring->known && !ring->deaths) {
		/* Nobody died: a repair took the claim of a live process. */
		res->live_repaired += ring->prod_repairs + ring->cons_repairs;
	} else if (ring && ring->known) {
		/* Each repaired producer claim was a killed producer's last
		 * message, never delivered; each skipped slot came from a
		 * repair or a cancelled reservation. */
		if (ring->prod_repairs > res->last_never_sent)
			res->repair_mismatch += ring->prod_repairs - res->last_never_sent;
		if (ring->skipped > ring->prod_repairs + ring->cancelled)
			res->repair_mismatch += ring->skipped - ring->prod_repairs - ring->cancelled;
	}
	for (unsigned c = 0; c < a->consumers; c++) {
		res->torn += a->cons[c].torn;
		res->invalid += a->cons[c].invalid;
		res->recorded += a->cons[c].recorded;
	}
	res->bitmap_bits = a->words * 64;
}
