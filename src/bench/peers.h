/* SPDX-License-Identifier: MIT */
/*
 * src/bench/peers.h - the peer rings' drivers, shared by the two-process
 * mechanisms (mech_peers.c, where they live) and the scaling transports
 * (scale_peers.c): DPDK rte_ring and Concurrency Kit ck_ring placed in
 * shared memory made before fork, with the same depth rule as shmring's
 * rings so that the comparison is fair.
 */
#ifndef SHMRING_BENCH_PEERS_H
#define SHMRING_BENCH_PEERS_H

#include <stdbool.h>
#include <stddef.h>

/* Slots of a peer ring of size-byte messages: 4096, halved while above 8 MiB. */
unsigned shmring_bench_peer_capacity(unsigned size);

/* Ring i of a mapping of n equal, page-aligned rings. */
void *shmring_bench_peer_ring(void *shm, size_t len, unsigned n, unsigned i);

#ifdef SHMRING_HAVE_DPDK_RING
/* DPDK's headers are not ours to hold to these warnings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wundef"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <rte_ring.h>
#include <rte_ring_elem.h>
#pragma GCC diagnostic pop

/*
 * n rte_rings of size-byte elements (the _elem API), each with these
 * rte_ring flags (RING_F_SP_ENQ | RING_F_SC_DEQ, or 0 for MP/MC), in one
 * shared mapping: *shm and *len. 0; 1 to skip, with why; or -errno.
 */
int shmring_bench_rte_map(unsigned size, unsigned n, unsigned flags, void **shm, size_t *len,
			  char *why, size_t wl);
#endif

#ifdef SHMRING_HAVE_CK
/* Which of ck_ring's calls: one producer and one consumer, many producers
 * and one consumer, or many of both. */
enum shmring_bench_ck_mode { SHMRING_BENCH_CK_SPSC, SHMRING_BENCH_CK_MPSC, SHMRING_BENCH_CK_MPMC };

/* n ck_rings holding size-byte messages inline (typed rings, one type per
 * size: 8, 64, 1024 and 65536 B), as shmring_bench_rte_map. */
int shmring_bench_ck_map(unsigned size, unsigned n, void **shm, size_t *len, char *why,
			 size_t wl);
/* One attempt to put or take a message on the ring at base: true when done. */
bool shmring_bench_ck_put(void *base, unsigned size, enum shmring_bench_ck_mode mode,
			  const void *msg);
bool shmring_bench_ck_get(void *base, unsigned size, enum shmring_bench_ck_mode mode, void *msg);
#endif

#endif /* SHMRING_BENCH_PEERS_H */
