/* SPDX-License-Identifier: MIT */
/*
 * benches/rings.h - the rings measured, each in its own file: shmring and,
 * where their Debian packages are installed, DPDK rte_ring and Concurrency
 * Kit ck_ring. The same operations, messages and capacity for each, so their
 * rows read side by side.
 *
 * *_op:   one thread sends one message and receives it back, per iteration;
 *         argument 0 is the message size (8 or 64 bytes).
 * *_bulk: the same with all-or-nothing batches; arg points at the uint32_t
 *         message size, argument 0 is the batch length.
 */
#ifndef SHMRING_BENCHES_RINGS_H
#define SHMRING_BENCHES_RINGS_H

#include "harness.h"

void bench_shmring_op(shmring_gb_state *st, void *arg);
void bench_shmring_bulk(shmring_gb_state *st, void *arg);
extern const struct bench_pair_impl bench_pair_shmring;

#ifdef SHMRING_HAVE_DPDK_RING
void bench_rte_op(shmring_gb_state *st, void *arg);
void bench_rte_bulk(shmring_gb_state *st, void *arg);
extern const struct bench_pair_impl bench_pair_rte;
#endif

#ifdef SHMRING_HAVE_CK
/* ck_ring has no bulk operation. */
void bench_ck_op(shmring_gb_state *st, void *arg);
extern const struct bench_pair_impl bench_pair_ck;
#endif

#endif /* SHMRING_BENCHES_RINGS_H */
