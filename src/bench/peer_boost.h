/* SPDX-License-Identifier: MIT */
/*
 * src/bench/peer_boost.h - boost::lockfree::spsc_queue behind a C interface,
 * for the benchmarks (peer_boost.cc; built only when the boost headers are
 * found and SHMRING_BENCH_PEERS is on).
 *
 * The queue is boost's fixed-capacity form, spsc_queue<T, capacity<N>>:
 * its two indices and its element array live inside the object itself, with
 * no pointer and no allocator, so one constructed by placement-new in a
 * shared mapping works from every process that maps it, wherever it maps.
 * T is a plain array of 8, 64, 1024 or 65536 bytes, one type per size, as
 * boost copies whole elements of a compile-time type.
 *
 * One producer and one consumer, as boost requires: no call here may be
 * made by two producers (or two consumers) at once. None blocks; none makes
 * a system call.
 */
#ifndef SHMRING_BENCH_PEER_BOOST_H
#define SHMRING_BENCH_PEER_BOOST_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The calls for one element size; every pointer is set. */
struct shmring_bench_boost_ops {
	unsigned size;     /* element bytes */
	unsigned capacity; /* elements the queue holds */
	size_t memsize;    /* bytes of one queue, to place at a page-aligned address */
	size_t align;      /* the alignment the queue needs (at most 64) */
	/* Construct a queue in place at mem (memsize bytes, aligned): empty. */
	void (*init)(void *mem);
	/* One message of `size` bytes in or out: false when full or empty. */
	bool (*try_push)(void *q, const void *msg);
	bool (*try_pop)(void *q, void *msg);
	/* Up to n contiguous messages in or out: how many moved. */
	unsigned (*push_burst)(void *q, const void *msgs, unsigned n);
	unsigned (*pop_burst)(void *q, void *msgs, unsigned n);
};

/* The calls for queues of size-byte elements, or NULL when no element type
 * of that size is compiled in (8, 64, 1024 and 65536 B are). */
const struct shmring_bench_boost_ops *shmring_bench_boost_for_size(unsigned size);

#ifdef __cplusplus
}
#endif

#endif /* SHMRING_BENCH_PEER_BOOST_H */
