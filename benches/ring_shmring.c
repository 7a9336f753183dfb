/* SPDX-License-Identifier: MIT */
/*
 * benches/ring_shmring.c - every shmring ring kind through the public API:
 * one thread sending and receiving (copying, bulk, and zero-copy), and the
 * two-thread pair. A kind is the benchmark's argument (struct bench_kind);
 * the message ring carries records of the slot size.
 */

#include "rings.h"

#include "ringbuf/atomics.h"

#include <shmring/shmring.h>

#include <stdio.h>
#include <stdlib.h>

const struct bench_kind bench_kinds[BENCH_NKINDS] = {
    {SHMRING_KIND_SPSC, "spsc", 0, 0, false}, {SHMRING_KIND_MPSC, "mpsc", 0, 0, false},
    {SHMRING_KIND_SPMC, "spmc", 0, 0, false}, {SHMRING_KIND_MPMC, "mpmc", 0, 0, false},
    {SHMRING_KIND_MSG, "msg", 0, 0, false},
};

const struct bench_kind bench_kinds_block[BENCH_NKINDS] = {
    {SHMRING_KIND_SPSC, "spsc", 0, 0, true}, {SHMRING_KIND_MPSC, "mpsc", 0, 0, true},
    {SHMRING_KIND_SPMC, "spmc", 0, 0, true}, {SHMRING_KIND_MPMC, "mpmc", 0, 0, true},
    {SHMRING_KIND_MSG, "msg", 0, 0, true},
};

const struct bench_kind bench_kind_spsc_poll = {SHMRING_KIND_SPSC, "spsc-poll",
                                                SHMRING_CREATE_POLL_ONLY, 0, false};
const struct bench_kind bench_kind_spsc_dense = {SHMRING_KIND_SPSC, "spsc-dense",
                                                 SHMRING_CREATE_DENSE, 0, false};
const struct bench_kind bench_kind_spsc_slip = {SHMRING_KIND_SPSC, "spsc-slip", 0, BENCH_SLIP,
                                                false};
const struct bench_kind bench_kind_spsc_poll_slip = {SHMRING_KIND_SPSC, "spsc-poll-slip",
                                                     SHMRING_CREATE_POLL_ONLY, BENCH_SLIP, false};

static bool is_msg(const struct bench_kind *k)
{
	return k->kind == SHMRING_KIND_MSG;
}

/* BENCH_CAPACITY slots; for the message ring, the bytes of as many records. */
static uint64_t kind_capacity(const struct bench_kind *k, uint32_t slot)
{
	if (!is_msg(k))
		return BENCH_CAPACITY;
	uint64_t want = BENCH_CAPACITY * shmring_msg_span(slot), cap = SHMRING_MSG_MIN_CAPACITY;
	while (cap < want)
		cap <<= 1;
	return cap;
}

static int ring_create(const struct bench_kind *k, const char *name, uint32_t slot,
                       unsigned role, shmring_t **out)
{
	const struct shmring_opts o = {
	    .kind = k->kind,
	    .slot_size = slot,
	    .capacity = kind_capacity(k, slot),
	    /* Page faults belong to the first lap, not to the figure. */
	    .flags = SHMRING_CREATE_PREFAULT | k->flags,
	};
	return shmring_create(name, &o, role, out);
}

/*
 * The blocking calls' deadline in the block/ rows, set once before the
 * loop: a call whose ring has room (a message) answers at its first
 * attempt, before it looks at the deadline, so only a call that would wait
 * finds it passed (-ETIMEDOUT, a failed benchmark, never a hang).
 */
static uint64_t block_deadline;

/* One message in or out by copy, as 0 / -EAGAIN / -errno, for either family. */
BENCH_INLINE int tx1(const struct bench_kind *k, shmring_t *h, const void *msg, uint32_t slot)
{
	if (k->block)
		return is_msg(k) ? shmring_msg_send(h, msg, slot, 0, block_deadline)
		                 : shmring_send(h, msg, block_deadline);
	return is_msg(k) ? shmring_msg_try_send(h, msg, slot, 0) : shmring_try_send(h, msg);
}

BENCH_INLINE int rx1(const struct bench_kind *k, shmring_t *h, void *msg, uint32_t slot)
{
	if (!is_msg(k))
		return k->block ? shmring_recv(h, msg, block_deadline) : shmring_try_recv(h, msg);
	const ssize_t n = k->block ? shmring_msg_recv(h, msg, slot, NULL, block_deadline)
	                           : shmring_msg_try_recv(h, msg, slot, NULL);
	return n < 0 ? (int)n : (size_t)n == slot ? 0 : -EBADMSG;
}

/* The loops (benches/loops.h): arg is the kind; the size is the message's. */
#define LOOP_RING                       "shmring"
#define LOOP_END                        shmring_t *
#define LOOP_SEND(arg, e, m, esize, mt) tx1(arg, e, (m)->b, esize)
#define LOOP_RECV(arg, e, m, esize, mt) rx1(arg, e, (m)->b, esize)
#define LOOP_TX(p, side)                (((struct shm_pair *)(p)->ring)->end[side][0])
#define LOOP_RX(p, side)                (((struct shm_pair *)(p)->ring)->end[side][1])
#define LOOP_MT(p)                      false
#include "loops.h"

/* A ring of this kind with both roles on one handle, for one thread. */
static shmring_t *one_thread_ring(shmring_gb_state *st, const struct bench_kind *k,
                                  uint32_t slot, char *name, size_t len)
{
	shmring_t *h = NULL;

	bench_ring_name(name, len);
	int rc = ring_create(k, name, slot, SHMRING_PRODUCER | SHMRING_CONSUMER, &h);
	if (rc != 0) {
		loop_fail(st, "create", rc);
		return NULL;
	}
	return h;
}

/* After a one-thread run: its counters (msgs messages an iteration, when
 * not set already), and the ring gone. */
static void one_thread_done(shmring_gb_state *st, shmring_t *h, const char *name, unsigned msgs,
                            uint32_t slot)
{
	if (msgs)
		bench_count(st, msgs, slot);
	shmring_close(h);
	shmring_unlink(name);
}

/* --- One thread ---------------------------------------------------------- */

void bench_shmring_op(shmring_gb_state *st, void *arg)
{
	const struct bench_kind *k = arg;
	const uint32_t slot = (uint32_t)shmring_gb_range(st, 0);
	char name[64];

	shmring_t *h = one_thread_ring(st, k, slot, name, sizeof name);
	if (!h)
		return;
	block_deadline = shmring_deadline_in(1000000000u);
	loop_op(st, k, h, slot, false);
	one_thread_done(st, h, name, 0, slot);
}

/* Zero-copy: the message is written into the slot and read from it in place. */
void bench_shmring_zc(shmring_gb_state *st, void *arg)
{
	const struct bench_kind *k = arg;
	const uint32_t slot = (uint32_t)shmring_gb_range(st, 0);
	char name[64];
	uint64_t seq = 0;

	shmring_t *h = one_thread_ring(st, k, slot, name, sizeof name);
	if (!h)
		return;
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++, seq++) {
			void *w = is_msg(k) ? shmring_msg_reserve(h, slot) : shmring_reserve(h);
			if (!w) {
				shmring_gb_fail(st, "reserve in an empty ring");
				break;
			}
			bench_msg_stamp(w, seq);
			if ((is_msg(k) ? shmring_msg_commit(h, 0) : shmring_commit(h)) != 0) {
				shmring_gb_fail(st, "commit after a reserve");
				break;
			}
			size_t len = slot;
			const void *r = is_msg(k) ? shmring_msg_peek(h, &len, NULL) : shmring_peek(h);
			if (!r || len != slot || bench_msg_seq(r) != seq) {
				shmring_gb_fail(st, "peek did not show the message committed");
				break;
			}
			if ((is_msg(k) ? shmring_msg_release(h) : shmring_release(h)) != 0) {
				shmring_gb_fail(st, "release after a peek");
				break;
			}
		}
	}
	one_thread_done(st, h, name, 1, slot);
}

/* All-or-nothing batches by copy; the message ring through its msgvec form. */
void bench_shmring_bulk(shmring_gb_state *st, void *arg)
{
	const struct bench_bulk_arg *a = arg;
	const struct bench_kind *k = a->kind;
	const uint32_t slot = a->slot;
	const unsigned burst = (unsigned)shmring_gb_range(st, 0);
	static alignas(64) unsigned char in[BENCH_MAX_BULK * BENCH_MAX_SLOT];
	static alignas(64) unsigned char out[BENCH_MAX_BULK * BENCH_MAX_SLOT];
	static struct shmring_msgvec vin[BENCH_MAX_BULK], vout[BENCH_MAX_BULK];
	char name[64];

	shmring_t *h = one_thread_ring(st, k, slot, name, sizeof name);
	if (!h)
		return;
	for (unsigned i = 0; i < burst; i++) {
		bench_msg_stamp(in + (size_t)i * slot, i);
		vin[i] = (struct shmring_msgvec){.buf = in + (size_t)i * slot, .len = slot};
	}
	unsigned char *last = out + (size_t)(burst - 1) * slot;
	uint64_t seq = 0;
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++, seq++) {
			/* The first message carries the iteration, so a stale batch shows. */
			bench_msg_stamp(in, seq);
			unsigned sent, got;
			if (is_msg(k)) {
				sent = shmring_msg_try_send_bulk(h, vin, burst);
				for (unsigned j = 0; j < burst; j++)
					vout[j] = (struct shmring_msgvec){
					    .buf = out + (size_t)j * slot, .len = slot};
				got = sent == burst ? shmring_msg_try_recv_bulk(h, vout, burst) : 0;
			} else {
				sent = shmring_try_send_bulk(h, in, burst);
				got = sent == burst ? shmring_try_recv_bulk(h, out, burst) : 0;
			}
			if (sent != burst || got != burst) {
				shmring_gb_fail(st, "bulk send or receive of an empty ring failed");
				break;
			}
			if (bench_msg_seq(out) != seq ||
			    (burst > 1 && bench_msg_seq(last) != burst - 1)) {
				shmring_gb_fail(st, "received messages other than the ones sent");
				break;
			}
		}
	}
	one_thread_done(st, h, name, burst, slot);
}

/* Zero-copy batches (fixed kinds): reserve_burst/commit_burst, peek_burst/release_burst. */
void bench_shmring_zc_bulk(shmring_gb_state *st, void *arg)
{
	const struct bench_bulk_arg *a = arg;
	const uint32_t slot = a->slot;
	const unsigned burst = (unsigned)shmring_gb_range(st, 0);
	void *w[BENCH_MAX_BULK];
	const void *r[BENCH_MAX_BULK];
	char name[64];

	shmring_t *h = one_thread_ring(st, a->kind, slot, name, sizeof name);
	if (!h)
		return;
	uint64_t seq = 0;
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		bool ok = true;
		for (uint64_t i = 0; i < n && ok; i++, seq++) {
			if (shmring_reserve_burst(h, burst, w) != burst) {
				shmring_gb_fail(st, "reserve_burst in an empty ring");
				break;
			}
			for (unsigned j = 0; j < burst; j++)
				bench_msg_stamp(w[j], seq + j);
			if (shmring_commit_burst(h, burst) != 0 ||
			    shmring_peek_burst(h, burst, r) != burst) {
				shmring_gb_fail(st, "commit_burst or peek_burst failed");
				break;
			}
			for (unsigned j = 0; j < burst && ok; j++)
				ok = bench_msg_seq(r[j]) == seq + j;
			if (!ok) {
				shmring_gb_fail(st, "peeked messages other than the ones committed");
				break;
			}
			if (shmring_release_burst(h, burst) != 0) {
				shmring_gb_fail(st, "release_burst after a peek");
				break;
			}
		}
	}
	one_thread_done(st, h, name, burst, slot);
}

/* --- Two threads ---------------------------------------------------------- */

int bench_shmring_pair_setup(struct bench_pair *p)
{
	const struct bench_kind *k = p->impl->arg;
	struct shm_pair *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return -ENOMEM;
	bench_ring_name(s->name[0], sizeof s->name[0]);
	bench_ring_name(s->name[1], sizeof s->name[1]);
	/* Side 0 creates both rings and keeps its own ends of them. */
	rc = ring_create(k, s->name[0], p->slot, SHMRING_PRODUCER, &s->end[0][0]);
	if (rc != 0)
		goto out_free;
	rc = ring_create(k, s->name[1], p->slot, SHMRING_CONSUMER, &s->end[0][1]);
	if (rc != 0)
		goto out_first;
	p->ring = s;
	return 0;

out_first:
	shmring_close(s->end[0][0]);
	shmring_unlink(s->name[0]);
out_free:
	free(s);
	return rc;
}

int bench_shmring_pair_attach(struct bench_pair *p, int side)
{
	const struct bench_kind *k = p->impl->arg;
	struct shm_pair *s = p->ring;
	int rc = 0;

	if (side == 1) { /* side 0's ends came with creation */
		rc = shmring_open(s->name[0], SHMRING_CONSUMER, &s->end[1][1]);
		if (rc != 0)
			return rc;
		rc = shmring_open(s->name[1], SHMRING_PRODUCER, &s->end[1][0]);
		if (rc != 0) {
			shmring_close(s->end[1][1]);
			s->end[1][1] = NULL;
			return rc;
		}
	}
	/* Each side's receiving end slips where the row's kind asks. */
	if (k->slip && (rc = shmring_set_slip(s->end[side][1], k->slip)) != 0)
		bench_shmring_pair_detach(p, side);
	return rc;
}

void bench_shmring_pair_detach(struct bench_pair *p, int side)
{
	struct shm_pair *s = p->ring;

	shmring_close(s->end[side][0]);
	shmring_close(s->end[side][1]);
	s->end[side][0] = s->end[side][1] = NULL;
	s->lane[side][0] = s->lane[side][1] = NULL; /* went with their handles */
}

void bench_shmring_pair_teardown(struct bench_pair *p)
{
	struct shm_pair *s = p->ring;

	shmring_unlink(s->name[0]);
	shmring_unlink(s->name[1]);
	free(s);
	p->ring = NULL;
}

#define SHM_PAIR(kind, pname)                                                                      \
	{                                                                                          \
		.name = pname, .arg = (kind), .setup = bench_shmring_pair_setup,                   \
		.attach = bench_shmring_pair_attach, .detach = bench_shmring_pair_detach,          \
		.teardown = bench_shmring_pair_teardown, .chunk = loop_chunk,                      \
	}

/* "shmring" is the SPSC ring, the name earlier results carry. */
const struct bench_pair_impl bench_pair_shmring[BENCH_NKINDS] = {
    SHM_PAIR(&bench_kinds[0], "shmring"),      SHM_PAIR(&bench_kinds[1], "shmring-mpsc"),
    SHM_PAIR(&bench_kinds[2], "shmring-spmc"), SHM_PAIR(&bench_kinds[3], "shmring-mpmc"),
    SHM_PAIR(&bench_kinds[4], "shmring-msg"),
};

const struct bench_pair_impl bench_pair_shmring_poll =
    SHM_PAIR(&bench_kind_spsc_poll, "shmring-poll");
const struct bench_pair_impl bench_pair_shmring_dense =
    SHM_PAIR(&bench_kind_spsc_dense, "shmring-dense");
const struct bench_pair_impl bench_pair_shmring_slip =
    SHM_PAIR(&bench_kind_spsc_slip, "shmring-slip");
