/* SPDX-License-Identifier: MIT */
/*
 * ringbuf/atomics.h - the few ordering helpers every ring uses, over C11
 * <stdatomic.h>. Call sites say *why* each ordering is needed; in
 * multi-producer code they label the pair (A1 pairs with R1).
 */
#ifndef SHMRING_RINGBUF_ATOMICS_H
#define SHMRING_RINGBUF_ATOMICS_H

#include <stdatomic.h>
#include <stdint.h>

#define shmring__load_acquire(p) atomic_load_explicit((p), memory_order_acquire)
#define shmring__load_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define shmring__store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define shmring__store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)

/*
 * Compare-and-swap, weak (may fail spuriously, so call it in a loop). On
 * failure *expected receives the current value, read relaxed. `order` is the
 * ordering of a successful exchange.
 */
#define shmring__cas_weak(p, expected, desired, order)                                  \
	atomic_compare_exchange_weak_explicit((p), (expected), (desired), (order),      \
					      memory_order_relaxed)

/* A full barrier: orders earlier stores before later loads (StoreLoad). */
static inline void shmring__fence_full(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

/* Stops the compiler, not the CPU, from moving memory accesses across it. */
static inline void shmring__compiler_barrier(void)
{
	atomic_signal_fence(memory_order_seq_cst);
}

/* Tell the CPU we are spinning (frees pipeline resources for the sibling). */
static inline void shmring__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	shmring__compiler_barrier();
#endif
}

#define SHMRING_LIKELY(x) __builtin_expect(!!(x), 1)
#define SHMRING_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* For slow paths split off a fast one, so that it keeps no frame. */
#define SHMRING_NOINLINE __attribute__((noinline))
/* For a loop written once and made several times, each with its own
 * constants (sync/wait.c). */
#define SHMRING_ALWAYS_INLINE __attribute__((always_inline))

#endif /* SHMRING_RINGBUF_ATOMICS_H */
