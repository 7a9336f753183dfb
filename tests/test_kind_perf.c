/* SPDX-License-Identifier: MIT */
/*
 * test_kind_perf: throughput of every ring kind through the public API, next
 * to SPSC and next to the cache-line floor measured around each figure.
 *
 *   test_kind_perf [seconds-per-figure]      (label perf; 0.3 s by default)
 *
 * For each kind, with 8-byte messages (MSG: 8-byte records), 4096 slots
 * (MSG: 64 KiB):
 *   1 thread   send one, receive one, in a loop (the cost of the calls with
 *              the lines in cache), and the same with bursts of 32;
 *   2 threads  one producer on CPU 0, one consumer on CPU 1, busy-polling
 *              with the try calls: messages per second, one way.
 * The floor is the round trip of one cache line bounced between the same two
 * CPUs, measured just before and just after each two-thread figure (the
 * host moves the vCPUs, and the floor with them); a figure
 * whose floor moved by more than 1.5x between the two is marked '*'.
 * Not a pass/fail test: it prints and exits 0 (77 with fewer than 2 CPUs).
 */
#include "helpers.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#define CAP 4096u
#define MSG_AREA 65536u
#define BURST 32u

static double seconds = 0.3;

struct kind {
	const char *name;
	uint32_t kind, flags;
};

static const struct kind kinds[] = {
	{"spsc", SHMRING_KIND_SPSC, 0},
	{"mpsc", SHMRING_KIND_MPSC, 0},
	{"spmc", SHMRING_KIND_SPMC, 0},
	{"mpmc", SHMRING_KIND_MPMC, 0},
	{"msg-spsc", SHMRING_KIND_MSG, 0},
	{"msg-mpsc", SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_PRODUCER},
	{"msg-spmc", SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_CONSUMER},
	{"msg-mpmc", SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_PRODUCER | SHMRING_CREATE_MULTI_CONSUMER},
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* --- The floor: one line bounced between CPU 0 and CPU 1 ---------------- */

static _Alignas(128) _Atomic uint64_t ball;
#define FLOOR_ROUNDS 200000u

static void *floor_peer(void *arg)
{
	(void)arg;
	pin(1);
	for (uint64_t i = 1; i <= FLOOR_ROUNDS; i++) {
		while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i - 1)
			;
		atomic_store_explicit(&ball, 2 * i, memory_order_release);
	}
	return NULL;
}

/* Round trip of the line, ns. */
static double floor_ns(void)
{
	pthread_t t;
	uint64_t t0;

	atomic_store(&ball, 0);
	pthread_create(&t, NULL, floor_peer, NULL);
	pin(0);
	t0 = shmring_clock_ns();
	for (uint64_t i = 1; i <= FLOOR_ROUNDS; i++) {
		atomic_store_explicit(&ball, 2 * i - 1, memory_order_release);
		while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i)
			;
	}
	t0 = shmring_clock_ns() - t0;
	pthread_join(t, NULL);
	return (double)t0 / FLOOR_ROUNDS;
}

/* --- Sending and receiving, any kind ------------------------------------- */

static bool is_msg(const struct kind *k)
{
	return k->kind == SHMRING_KIND_MSG;
}

static unsigned send_some(const struct kind *k, shmring_t *r, const uint64_t *v, unsigned n)
{
	if (!is_msg(k))
		return n == 1 ? shmring_try_send(r, v) == 0 : shmring_try_send_burst(r, v, n);
	if (n == 1)
		return shmring_msg_try_send(r, v, 8, 0) == 0;
	{
		struct shmring_msgvec mv[BURST];

		for (unsigned i = 0; i < n; i++)
			mv[i] = (struct shmring_msgvec){.buf = (void *)(uintptr_t)&v[i], .len = 8};
		return shmring_msg_try_send_burst(r, mv, n);
	}
}

static unsigned recv_some(const struct kind *k, shmring_t *r, uint64_t *v, unsigned n)
{
	if (!is_msg(k))
		return n == 1 ? shmring_try_recv(r, v) == 0 : shmring_try_recv_burst(r, v, n);
	if (n == 1)
		return shmring_msg_try_recv(r, v, 8, NULL) == 8;
	{
		struct shmring_msgvec mv[BURST];

		for (unsigned i = 0; i < n; i++)
			mv[i] = (struct shmring_msgvec){.buf = &v[i], .len = 8};
		return shmring_msg_try_recv_burst(r, mv, n);
	}
}

static shmring_t *make(const struct kind *k, const char **name)
{
	struct shmring_opts o = {.kind = k->kind, .slot_size = 8,
				 .capacity = is_msg(k) ? MSG_AREA : CAP, .flags = k->flags};
	shmring_t *r;

	*name = test_ring_name(k->name);
	if (shmring_create(*name, &o, SHMRING_OBSERVER, &r) < 0) {
		fprintf(stderr, "create %s failed\n", k->name);
		exit(1);
	}
	return r;
}

/* One thread: n messages through, in batches of `batch`; ns per message. */
static double one_thread(const struct kind *k, unsigned batch)
{
	const char *name;
	shmring_t *own = make(k, &name), *tx, *rx;
	uint64_t v[BURST] = {0}, n = 0, t0, deadline;

	shmring_open(name, SHMRING_PRODUCER, &tx);
	shmring_open(name, SHMRING_CONSUMER, &rx);
	pin(0);
	t0 = shmring_clock_ns();
	deadline = t0 + (uint64_t)(seconds * 1e9);
	do {
		for (unsigned rep = 0; rep < 1024; rep++) {
			unsigned s = send_some(k, tx, v, batch), g = recv_some(k, rx, v, batch);

			if (s != batch || g != batch) {
				fprintf(stderr, "%s: one thread moved %u/%u\n", k->name, s, g);
				exit(1);
			}
			n += batch;
		}
	} while (shmring_clock_ns() < deadline);
	t0 = shmring_clock_ns() - t0;
	shmring_close(tx);
	shmring_close(rx);
	shmring_close(own);
	return (double)t0 / (double)n;
}

struct two {
	const struct kind *k;
	const char *name;
	uint64_t count;
	unsigned batch;
};

static void *producer(void *arg)
{
	struct two *t = arg;
	shmring_t *tx;
	uint64_t v[BURST], i = 0;

	pin(0);
	shmring_open(t->name, SHMRING_PRODUCER, &tx);
	while (i < t->count) {
		unsigned n = t->count - i < t->batch ? (unsigned)(t->count - i) : t->batch;

		for (unsigned j = 0; j < n; j++)
			v[j] = i + j;
		i += send_some(t->k, tx, v, n);
	}
	shmring_close(tx);
	return NULL;
}

/* Two threads: messages per second, one way. */
static double two_threads(const struct kind *k, unsigned batch, uint64_t count)
{
	struct two t = {.k = k, .count = count, .batch = batch};
	shmring_t *own = make(k, &t.name), *rx;
	pthread_t th;
	uint64_t v[BURST], i = 0, t0;

	shmring_open(t.name, SHMRING_CONSUMER, &rx);
	pthread_create(&th, NULL, producer, &t);
	pin(1);
	t0 = shmring_clock_ns();
	while (i < count) {
		unsigned g = recv_some(k, rx, v, batch);

		for (unsigned j = 0; j < g; j++)
			if (v[j] != i + j) {
				fprintf(stderr, "%s: got %llu, want %llu\n", k->name,
					(unsigned long long)v[j], (unsigned long long)(i + j));
				exit(1);
			}
		i += g;
	}
	t0 = shmring_clock_ns() - t0;
	pthread_join(th, NULL);
	shmring_close(rx);
	shmring_close(own);
	return (double)count / ((double)t0 / 1e9);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		seconds = strtod(argv[1], NULL);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		test_skip("needs two CPUs");
	printf("%-9s %10s %10s | %12s %6s %12s %6s  (floor ns before/after)\n", "kind",
	       "1thr ns/msg", "1thr b32", "2thr Mmsg/s", "x", "2thr b32", "x");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = &kinds[i];
		double s1 = one_thread(k, 1), s32 = one_thread(k, BURST);
		/* Size the two-thread runs from a short probe. */
		double probe = two_threads(k, 1, 200000);
		uint64_t n1 = (uint64_t)(probe * seconds) + 1000;
		double f0 = floor_ns(), t1 = two_threads(k, 1, n1), f1 = floor_ns();
		double probe32 = two_threads(k, BURST, 200000);
		uint64_t n32 = (uint64_t)(probe32 * seconds) + 1000;
		double f2 = floor_ns(), t32 = two_threads(k, BURST, n32), f3 = floor_ns();
		/* x: messages per floor round trip, i.e. throughput x floor. */
		printf("%-9s %10.1f %10.1f | %12.1f %6.1f%s %11.1f %6.1f%s  (%.0f/%.0f, %.0f/%.0f)\n",
		       k->name, s1, s32, t1 / 1e6, t1 * (f0 + f1) / 2e9,
		       (f0 > 1.5 * f1 || f1 > 1.5 * f0) ? "*" : " ", t32 / 1e6,
		       t32 * (f2 + f3) / 2e9, (f2 > 1.5 * f3 || f3 > 1.5 * f2) ? "*" : " ", f0, f1,
		       f2, f3);
		fflush(stdout);
	}
	printf("x = messages moved per floor round trip (throughput x floor RTT)\n");
	return 0;
}
