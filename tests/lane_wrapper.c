/* SPDX-License-Identifier: MIT */
/*
 * tests/lane_wrapper.c - a program's own loops around the SPSC calls, as a
 * user writes them: small static inline wrappers over shmring_try_send()
 * and shmring_try_recv() of a uint64_t, called from a streaming loop and a
 * ping-pong; one pair is a bare call (q_), the other also counts its misses
 * (c_). tests/check_inline.sh compiles this file and checks that the
 * compiler inlined the wrappers everywhere: a send or receive behind a call writes
 * the call's frame to the caller's stack on every message, and a context
 * on that stack that the other thread reads then moves between the CPUs
 * with each one (docs/BENCHMARKS.md). Compiled, never run.
 */
#include <shmring/shmring.h>

#include <stdint.h>

struct pair {
	shmring_t *a, *b;
};

static long misses_tx, misses_rx;

static inline int q_enq(shmring_t *r, uint64_t v)
{
	return shmring_try_send(r, &v) == 0;
}

static inline int q_deq(shmring_t *r, uint64_t *v)
{
	return shmring_try_recv(r, v) == 0;
}

static inline int c_enq(shmring_t *r, uint64_t v)
{
	int ok = shmring_try_send(r, &v) == 0;

	misses_tx += !ok;
	return ok;
}

static inline int c_deq(shmring_t *r, uint64_t *v)
{
	int ok = shmring_try_recv(r, v) == 0;

	misses_rx += !ok;
	return ok;
}

uint64_t lane_wrapper_produce(const struct pair *p, long n);
uint64_t lane_wrapper_consume(const struct pair *p, long n);
uint64_t lane_wrapper_count_produce(const struct pair *p, long n);
uint64_t lane_wrapper_count_consume(const struct pair *p, long n);
uint64_t lane_wrapper_ping(const struct pair *p, long n);
uint64_t lane_wrapper_pong(const struct pair *p, long n);

uint64_t lane_wrapper_produce(const struct pair *p, long n)
{
	for (long i = 1; i <= n; i++)
		while (!q_enq(p->a, (uint64_t)i))
			__builtin_ia32_pause();
	return 0;
}

uint64_t lane_wrapper_consume(const struct pair *p, long n)
{
	uint64_t v = 0, bad = 0;

	for (long i = 1; i <= n; i++) {
		while (!q_deq(p->a, &v))
			__builtin_ia32_pause();
		bad += v != (uint64_t)i;
	}
	return bad;
}

uint64_t lane_wrapper_count_produce(const struct pair *p, long n)
{
	for (long i = 1; i <= n; i++)
		while (!c_enq(p->a, (uint64_t)i))
			__builtin_ia32_pause();
	for (long i = 1; i <= n; i++)
		while (!c_enq(p->b, (uint64_t)i))
			__builtin_ia32_pause();
	return (uint64_t)misses_tx;
}

uint64_t lane_wrapper_count_consume(const struct pair *p, long n)
{
	uint64_t v = 0, bad = 0;

	for (long i = 1; i <= n; i++) {
		while (!c_deq(p->a, &v))
			__builtin_ia32_pause();
		bad += v != (uint64_t)i;
	}
	for (long i = 1; i <= n; i++) {
		while (!c_deq(p->b, &v))
			__builtin_ia32_pause();
		bad += v != (uint64_t)i;
	}
	return bad + (uint64_t)misses_rx;
}

uint64_t lane_wrapper_ping(const struct pair *p, long n)
{
	uint64_t v = 0, bad = 0;

	for (long i = 1; i <= n; i++) {
		while (!q_enq(p->a, (uint64_t)i))
			__builtin_ia32_pause();
		while (!q_deq(p->b, &v))
			__builtin_ia32_pause();
		bad += v != (uint64_t)i;
	}
	return bad;
}

uint64_t lane_wrapper_pong(const struct pair *p, long n)
{
	uint64_t v = 0;

	for (long i = 0; i < n; i++) {
		while (!q_deq(p->a, &v))
			__builtin_ia32_pause();
		while (!q_enq(p->b, v))
			__builtin_ia32_pause();
	}
	return v;
}
