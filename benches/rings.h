/* SPDX-License-Identifier: MIT */
/*
 * benches/rings.h - the rings measured, each in its own file: shmring (every
 * kind) and, where their Debian packages are installed, DPDK rte_ring (SP/SC
 * and MP/MC), Concurrency Kit ck_ring (SPSC and MPMC) and
 * boost::lockfree::spsc_queue (SPSC only). The same
 * operations, messages and capacity for each, so their rows read side by side.
 *
 * *_op:      one thread sends one message and receives it back, per
 *            iteration; argument 0 is the message size (8 or 64 bytes).
 * *_zc:      the same, writing and reading the message in place.
 * *_bulk:    all-or-nothing batches; arg names the kind and message size,
 *            argument 0 is the batch length.
 * *_zc_bulk: zero-copy batches.
 */
#ifndef SHMRING_BENCHES_RINGS_H
#define SHMRING_BENCHES_RINGS_H

#include "harness.h"

#include <shmring/shmring.h>

struct shmring_lane;

/* A shmring ring kind (enum shmring_kind), its short name, and the
 * SHMRING_CREATE_* flags its rings are created with besides prefaulting. */
struct bench_kind {
	uint32_t kind;
	const char *name;
	uint32_t flags;
	uint32_t slip; /* the consumers' shmring_set_slip() (0: none) */
	bool block;    /* one thread's op/ by the blocking calls (the block/ rows) */
};
/* The slip of the rows that have one: about 2.6 us at a pause per answer. */
#define BENCH_SLIP 128u
#define BENCH_NKINDS 5
/* spsc, mpsc, spmc, mpmc, msg (records of the slot size). */
extern const struct bench_kind bench_kinds[BENCH_NKINDS];
/* The same kinds, sending and receiving by shmring_send()/shmring_recv()
 * (the message ring's shmring_msg_send()/_recv()) in one thread. */
extern const struct bench_kind bench_kinds_block[BENCH_NKINDS];
/* The SPSC ring created poll-only (SHMRING_CREATE_POLL_ONLY), and with
 * dense slots (SHMRING_CREATE_DENSE); the SPSC ring with consumers that
 * slip (BENCH_SLIP), created by default and poll-only: pairs only. */
extern const struct bench_kind bench_kind_spsc_poll, bench_kind_spsc_dense;
extern const struct bench_kind bench_kind_spsc_slip, bench_kind_spsc_poll_slip;

struct bench_bulk_arg {
	const struct bench_kind *kind; /* NULL for the peers */
	uint32_t slot;
	bool mt; /* peers: the multi-producer / multi-consumer calls */
};

/* arg: const struct bench_kind * (op, zc) or const struct bench_bulk_arg * (bulk). */
void bench_shmring_op(shmring_gb_state *st, void *arg);
void bench_shmring_zc(shmring_gb_state *st, void *arg);
void bench_shmring_bulk(shmring_gb_state *st, void *arg);
void bench_shmring_zc_bulk(shmring_gb_state *st, void *arg); /* fixed-slot kinds */
extern const struct bench_pair_impl bench_pair_shmring[BENCH_NKINDS];
extern const struct bench_pair_impl bench_pair_shmring_poll, bench_pair_shmring_dense;
extern const struct bench_pair_impl bench_pair_shmring_slip;

/* The two rings of a shmring pair and each side's ends of them; the lanes
 * (shmring/lane.h) of those ends where the pair sends through them. */
struct shm_pair {
	char name[2][64];                /* [0] a->b, [1] b->a */
	shmring_t *end[2][2];            /* [side][0] its sending end, [side][1] its receiving end */
	struct shmring_lane *lane[2][2]; /* the same ends' lanes (SPSC through lanes) */
};

/* A shmring pair's life, shared by the kinds and the lanes. */
int bench_shmring_pair_setup(struct bench_pair *p);
int bench_shmring_pair_attach(struct bench_pair *p, int side);
void bench_shmring_pair_detach(struct bench_pair *p, int side);
void bench_shmring_pair_teardown(struct bench_pair *p);
/* A shmring pair's attach, then this side's sending end's lane, and its
 * receiving end's where recv; 0 or -errno (the ends closed again). */
int bench_shmring_lanes_attach(struct bench_pair *p, int side, bool recv);
/* Messages one at a time, a word of each its signal, nothing else
 * (benches/ring_bare.c): the streams' bound, the round trips' reference;
 * bare_duplex lays the cells out as a duplex does, round trips only. */
extern const struct bench_pair_impl bench_pair_bare, bench_pair_bare_duplex;
/* The SPSC ring with both sides sending and receiving through lanes. */
extern const struct bench_pair_impl bench_pair_shmring_lane;
extern const struct bench_pair_impl bench_pair_shmring_lane_poll;
extern const struct bench_pair_impl bench_pair_shmring_lane_poll_slip;
/* The same ring with inline sends and the library's receives. */
extern const struct bench_pair_impl bench_pair_shmring_lane_send;

#ifdef SHMRING_HAVE_DPDK_RING
/* op: arg NULL for SP/SC, non-NULL for MP/MC; bulk: struct bench_bulk_arg. */
void bench_rte_op(shmring_gb_state *st, void *arg);
void bench_rte_bulk(shmring_gb_state *st, void *arg);
extern const struct bench_pair_impl bench_pair_rte;    /* SP/SC */
extern const struct bench_pair_impl bench_pair_rte_mt; /* MP/MC */
#endif

#ifdef SHMRING_HAVE_CK
/* ck_ring has no bulk operation and no zero-copy receive. op: arg NULL for
 * SPSC, non-NULL for MPMC. */
void bench_ck_op(shmring_gb_state *st, void *arg);
extern const struct bench_pair_impl bench_pair_ck;      /* SPSC */
extern const struct bench_pair_impl bench_pair_ck_mpmc; /* MPMC */
#endif

#ifdef SHMRING_HAVE_BOOST
/* One producer and one consumer only. op: arg unused. */
void bench_boost_op(shmring_gb_state *st, void *arg);
extern const struct bench_pair_impl bench_pair_boost;
#endif

#endif /* SHMRING_BENCHES_RINGS_H */
