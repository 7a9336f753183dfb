// SPDX-License-Identifier: MIT
// src/bench/peer_boost.cc - boost::lockfree::spsc_queue for the benchmarks,
// behind the C interface of peer_boost.h: one queue type per element size,
// constructed in place in memory the caller maps (shared between processes
// in `shmring bench`, between threads in benches/).

#include "peer_boost.h"

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

namespace
{

// A message of S bytes as one element. Words, not bytes, so that boost's
// element copy moves 8 bytes at a time, as a C program's struct would.
template <unsigned S> struct msg {
	std::uint64_t w[S / 8];
};

// The depth rule of every ring in the bench (ring_peers.c, peer_capacity):
// 4096 slots, halved while a ring would pass 8 MiB.
constexpr unsigned depth(unsigned size)
{
	unsigned cap = 4096;

	while (cap > 2 && static_cast<std::size_t>(cap) * size > (8u << 20))
		cap >>= 1;
	return cap;
}

template <unsigned S>
using queue = boost::lockfree::spsc_queue<msg<S>, boost::lockfree::capacity<depth(S)>>;

template <unsigned S> struct ops {
	using Q = queue<S>;
	using E = msg<S>;

	// What makes a queue usable from another process: no pointer inside
	// (the fixed-capacity form holds its array inline), indices that are
	// lock-free atomics rather than a lock in some process's memory, and
	// elements that a byte copy moves (memory written by C code is read as
	// E below, which is sound for an implicit-lifetime type like this one).
	static_assert(std::atomic<std::size_t>::is_always_lock_free,
		      "spsc_queue's indices must be lock-free to work across processes");
	static_assert(std::is_trivially_copyable<E>::value && sizeof(E) == S,
		      "an element is the message's bytes, nothing more");
	static_assert(alignof(Q) <= 64, "the callers align queues to 64 bytes or more");

	static void init(void *mem)
	{
		::new (mem) Q();
	}

	static bool try_push(void *q, const void *m)
	{
		return static_cast<Q *>(q)->push(*static_cast<const E *>(m));
	}

	static bool try_pop(void *q, void *m)
	{
		// consume_one copies straight into the caller's buffer: no E on the
		// stack, which for 64 KiB elements would cost a second copy.
		return static_cast<Q *>(q)->consume_one(
			[m](const E &e) { std::memcpy(m, &e, sizeof(E)); });
	}

	static unsigned push_burst(void *q, const void *m, unsigned n)
	{
		return static_cast<unsigned>(static_cast<Q *>(q)->push(static_cast<const E *>(m), n));
	}

	static unsigned pop_burst(void *q, void *m, unsigned n)
	{
		return static_cast<unsigned>(static_cast<Q *>(q)->pop(static_cast<E *>(m), n));
	}

	static constexpr struct shmring_bench_boost_ops table = {
		S, depth(S), sizeof(Q), alignof(Q), init, try_push, try_pop, push_burst, pop_burst,
	};
};

} // namespace

extern "C" const struct shmring_bench_boost_ops *shmring_bench_boost_for_size(unsigned size)
{
	switch (size) {
	case 8:
		return &ops<8>::table;
	case 64:
		return &ops<64>::table;
	case 1024:
		return &ops<1024>::table;
	case 65536:
		return &ops<65536>::table;
	default:
		return nullptr;
	}
}
