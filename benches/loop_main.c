/* SPDX-License-Identifier: MIT */
/*
 * benches/loop_main.c - shmring_loop: one stream between two threads as a
 * program would write it, timed as a whole.
 *
 * A producer thread sends N messages through shmring_lane_try_send(), a
 * consumer thread takes them with shmring_lane_try_recv(), each thread
 * pinned to one of the first two CPUs, each spinning with a pause while
 * the ring is full or empty. No chunks, no medians: the figure is the
 * consumer's time from its first receive to its last over the messages,
 * with the empty and full answers each side saw per message. Every message
 * carries its sequence number in its first and last 8 bytes and the
 * consumer checks both (exit 2 on a mismatch).
 *
 * Options let the consumer do work per message (--work: pauses after each
 * message), wait longer after an empty answer (--empty-pauses) or slip once
 * it has caught up (--slip: shmring_set_slip()), to see how the stream's
 * speed depends on how close the consumer runs behind the producer
 * (docs/BENCHMARKS.md).
 */
#include <shmring/shmring.h>

#include "ringbuf/atomics.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAPACITY 4096u

/* A side's message buffer and the job both threads read are each on lines
 * of their own: a buffer that shared a line with the job, on the consumer's
 * stack, moved that line to the consumer with every message and back to the
 * producer, which reads its lane's address from the job: 64-byte messages
 * far apart took 43-50 ns against 35-36, by where the stack began. */
struct msg {
	/* up to 64 bytes; the sequence number in the first and last word */
	alignas(64) uint64_t w[8];
};

struct job {
	alignas(128) shmring_t *h[2]; /* producer, consumer */
	struct shmring_lane *l[2];    /* their lanes */
	unsigned size;                /* 8 or 64 */
	uint64_t messages;
	unsigned work, empty_pauses, slip;
	int cpu[2];
	uint64_t full, empty, bad; /* answers seen, mismatches */
	int rc[2];                 /* each side's failure, -errno */
	_Atomic bool failed;       /* a side failed: the other stops waiting */
	double ns;
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* The last word of an n-byte message. */
static unsigned last(unsigned size)
{
	return size / 8 - 1;
}

/* A side that fails says so, so that the other stops waiting for it. */
static int fail(struct job *j, int side, int rc)
{
	j->rc[side] = rc;
	/* Relaxed: only the flag's own value matters; rc is read after the join. */
	atomic_store_explicit(&j->failed, true, memory_order_relaxed);
	return rc;
}

/* Whether the other side failed: a full or empty ring then stays so. */
static bool other_failed(struct job *j)
{
	/* Relaxed: as in fail(). */
	return atomic_load_explicit(&j->failed, memory_order_relaxed);
}

/* A pin that fails leaves the thread where the scheduler puts it: the
 * stream still runs, and the header line says which CPUs were asked for. */
static void *producer(void *arg)
{
	struct job *j = arg;
	struct msg m;
	uint64_t full = 0;
	int rc = 0;

	(void)pin(j->cpu[0]);
	memset(&m, 0, sizeof m);
	for (uint64_t i = 0; rc == 0 && i < j->messages; i++) {
		m.w[0] = m.w[last(j->size)] = i;
		while ((rc = shmring_lane_try_send(j->l[0], &m)) == -EAGAIN && !other_failed(j)) {
			full++;
			shmring__cpu_relax();
		}
	}
	j->full = full;
	if (rc != 0 && rc != -EAGAIN) /* -EAGAIN: stopped for the consumer's failure */
		fail(j, 0, rc);
	return NULL;
}

static void consume(struct job *j)
{
	struct msg m;
	uint64_t empty = 0, bad = 0, t0 = 0;
	int rc = 0;

	(void)pin(j->cpu[1]);
	for (uint64_t i = 0; rc == 0 && i < j->messages; i++) {
		while ((rc = shmring_lane_try_recv(j->l[1], &m)) == -EAGAIN && !other_failed(j)) {
			empty++;
			for (unsigned k = 0; k < j->empty_pauses; k++)
				shmring__cpu_relax();
		}
		if (rc != 0)
			break;
		if (i == 0)
			t0 = now_ns();
		bad += m.w[0] != i || m.w[last(j->size)] != i;
		for (unsigned k = 0; k < j->work; k++)
			shmring__cpu_relax();
	}
	j->ns = (double)(now_ns() - t0);
	j->empty = empty;
	j->bad = bad;
	if (rc != 0 && rc != -EAGAIN) /* -EAGAIN: stopped for the producer's failure */
		fail(j, 1, rc);
}

static int run(struct job *j, unsigned flags)
{
	struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = j->size, .capacity = CAPACITY, .flags = flags};
	pthread_t t;
	int rc = shmring_create("anon:", &o, SHMRING_PRODUCER, &j->h[0]);

	if (rc != 0)
		return rc;
	if ((rc = shmring_dup(j->h[0], SHMRING_CONSUMER, &j->h[1])) != 0) {
		shmring_close(j->h[0]);
		return rc;
	}
	if (j->slip && (rc = shmring_set_slip(j->h[1], j->slip)) != 0) {
		shmring_close(j->h[1]);
		shmring_close(j->h[0]);
		return rc;
	}
	j->rc[0] = j->rc[1] = 0;
	atomic_store_explicit(&j->failed, false, memory_order_relaxed); /* no thread yet */
	if ((rc = shmring_lane_get(j->h[0], SHMRING_PRODUCER, &j->l[0])) == 0 &&
	    (rc = shmring_lane_get(j->h[1], SHMRING_CONSUMER, &j->l[1])) == 0) {
		if (pthread_create(&t, NULL, producer, j) != 0) {
			rc = -EAGAIN;
		} else {
			consume(j);
			pthread_join(t, NULL);
			/* The side that failed; the other only stopped. */
			rc = j->rc[0] != 0 ? j->rc[0] : j->rc[1];
		}
	}
	shmring_close(j->h[1]);
	shmring_close(j->h[0]);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shmring_loop [--size 8|64] [--messages N] [--rounds R] [--poll-only]\n"
	           "                    [--work PAUSES] [--empty-pauses PAUSES] [--slip ANSWERS]\n"
	           "  one SPSC stream between two threads on the first two CPUs, through the\n"
	           "  inline calls of shmring/lane.h, timed as a whole: ns a message, and the\n"
	           "  empty (consumer) and full (producer) answers per message.\n"
	           "  --size          message bytes (default 64)\n"
	           "  --messages      messages a round (default 16777216)\n"
	           "  --rounds        rounds (default 3)\n"
	           "  --poll-only     create the ring SHMRING_CREATE_POLL_ONLY\n"
	           "  --work          pauses the consumer spends after each message (default 0)\n"
	           "  --empty-pauses  pauses after each empty answer (default 1)\n"
	           "  --slip          the consumer's shmring_set_slip() answers (default 0)\n");
}

/* A whole number in [lo, hi] from s, or -1. */
static long long number(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	return errno || end == s || *end || v < lo || v > hi ? -1 : v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"size", required_argument, NULL, 's'},
	                                     {"messages", required_argument, NULL, 'n'},
	                                     {"rounds", required_argument, NULL, 'r'},
	                                     {"poll-only", no_argument, NULL, 'p'},
	                                     {"work", required_argument, NULL, 'w'},
	                                     {"empty-pauses", required_argument, NULL, 'e'},
	                                     {"slip", required_argument, NULL, 'l'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct job j = {.size = 64, .messages = UINT64_C(1) << 24, .empty_pauses = 1};
	long long v, rounds = 3;
	unsigned flags = 0;
	int c, ncpu = 0;
	cpu_set_t set;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if ((v = number(optarg, 8, 64)) != 8 && v != 64)
				goto bad;
			j.size = (unsigned)v;
			break;
		case 'n':
			if ((v = number(optarg, 1, INT64_MAX)) < 0)
				goto bad;
			j.messages = (uint64_t)v;
			break;
		case 'r':
			if ((rounds = number(optarg, 1, 1000)) < 0)
				goto bad;
			break;
		case 'p':
			flags |= SHMRING_CREATE_POLL_ONLY;
			break;
		case 'w':
		case 'e':
			if ((v = number(optarg, 0, 1000000)) < 0)
				goto bad;
			*(c == 'w' ? &j.work : &j.empty_pauses) = (unsigned)v;
			break;
		case 'l':
			if ((v = number(optarg, 0, 65535)) < 0)
				goto bad;
			j.slip = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		for (int cpu = 0; cpu < CPU_SETSIZE && ncpu < 2; cpu++)
			if (CPU_ISSET(cpu, &set))
				j.cpu[ncpu++] = cpu;
	if (ncpu < 2) {
		fprintf(stderr, "shmring_loop: needs two CPUs\n");
		return 77;
	}
	printf("# shmring_loop: %u-byte messages, %llu a round, %s ring of %u, CPUs %d and %d, "
	       "work %u, empty pauses %u, slip %u\n",
	       j.size, (unsigned long long)j.messages, flags ? "poll-only" : "default", CAPACITY,
	       j.cpu[0], j.cpu[1], j.work, j.empty_pauses, j.slip);
	for (long long r = 0; r < rounds; r++) {
		int rc = run(&j, flags);

		if (rc != 0) {
			fprintf(stderr, "shmring_loop: %s\n", shmring_strerror(rc));
			return 1;
		}
		if (j.bad) {
			fprintf(stderr, "shmring_loop: %llu messages out of order\n",
			        (unsigned long long)j.bad);
			return 2;
		}
		printf("round %lld: %.1f ns a message, empty %.3f, full %.3f a message\n", r + 1,
		       j.ns / (double)j.messages, (double)j.empty / (double)j.messages,
		       (double)j.full / (double)j.messages);
	}
	return 0;
bad:
	usage(stderr);
	return 2;
}
