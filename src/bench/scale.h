/* SPDX-License-Identifier: MIT */
/*
 * src/bench/scale.h - `shmring bench --scaling`: one-way throughput against
 * the number of producer processes, for the many-producer rings (shmring
 * MPSC, MPMC and message rings, DPDK rte_ring MP/MC, Concurrency Kit ck_ring
 * MPSC/MPMC), and a record-size sweep of the message ring.
 *
 * Every producer and every consumer is its own process, forked by the
 * parent, which only orchestrates: it waits until every child has attached
 * (a start barrier in shared memory), lets them run a warm-up and a timed
 * window, stops the producers, and checks the tallies. Consumers are pinned
 * to the first CPU of the pair and producers to the second ("split"), or the
 * processes are dealt over both CPUs in turn ("spread").
 *
 * Each message carries its producer's id and sequence number (word 0, and
 * the first word of every 64-byte line) and the shared pattern elsewhere
 * (payload.h). A consumer checks every message in full, that each
 * producer's sequence numbers rise (one consumer: rise by exactly one), and
 * keeps per-producer counts and sums; the parent then checks that every
 * message each producer sent was received exactly once. A transport that
 * loses, repeats, reorders or tears a message fails the measurement.
 */
#ifndef SHMRING_BENCH_SCALE_H
#define SHMRING_BENCH_SCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

#define SHMRING_BENCH_SCALE_MAX_PRODUCERS 48u /* shmring's participant table holds 62 */
#define SHMRING_BENCH_SCALE_MAX_CONSUMERS 8u
#define SHMRING_BENCH_SCALE_MAX_LIST 8u
/* Producer id in the top bits of word 0, sequence number in the rest. */
#define SHMRING_BENCH_SCALE_ID_SHIFT 48

enum shmring_bench_scale_flags {
	SHMRING_BENCH_SCALE_PEER = 1u << 0, /* not shmring: a peer ring */
	SHMRING_BENCH_SCALE_WAIT = 1u << 1, /* yields or blocks on full/empty (else busy-polls) */
	SHMRING_BENCH_SCALE_MSG = 1u << 2,  /* variable-length records: also the size sweep */
	SHMRING_BENCH_SCALE_SPSC = 1u << 3, /* one producer and one consumer only: every
					       figure is skipped, with the reason */
};

enum shmring_bench_scale_placement {
	SHMRING_BENCH_SPLIT = 0,  /* consumers on cpu[0], producers on cpu[1] */
	SHMRING_BENCH_SPREAD = 1, /* every process on cpu[0], cpu[1], cpu[0], ... in turn */
};

struct shmring_bench_scale_cfg {
	struct shmring_bench_cfg base; /* CPUs, times, floor chunks, sizes, retry, progress */
	unsigned producers[SHMRING_BENCH_SCALE_MAX_LIST];
	unsigned nproducers;
	unsigned consumers[SHMRING_BENCH_SCALE_MAX_LIST];
	unsigned nconsumers;
	/* The message ring's record-size sweep: one consumer, these producers. */
	unsigned msg_sizes[SHMRING_BENCH_MAX_SIZES];
	unsigned nmsg_sizes;
	unsigned msg_producers[SHMRING_BENCH_SCALE_MAX_LIST];
	unsigned nmsg_producers;
	unsigned placement; /* enum shmring_bench_scale_placement */
	/* How long after the window the transport may take to deliver what is
	 * still queued before the run is cut off (0: the window's length, at
	 * least 2 s). A collapsed busy-polling ring can take minutes. */
	uint64_t drain_ns;
};

struct shmring_bench_scale_mech;

/*
 * One process's view of the transport. setup fills shm/priv in the parent
 * before fork; each child then has a copy and calls attach with its role.
 */
struct shmring_bench_scale_end {
	const struct shmring_bench_scale_mech *mech;
	unsigned size;      /* message bytes, a multiple of 8 */
	unsigned producers; /* how many of each the run has */
	unsigned consumers;
	bool producer;      /* this process's role (children only) */
	unsigned index;     /* its index among its role */
	void *shm;          /* shared mapping made before fork, or NULL */
	size_t shm_len;
	void *priv;         /* mechanism state made in setup */
	void *local;        /* per-process state made in attach */
	uint64_t deadline_ns; /* cached deadline for blocking calls (see give_up) */
	void *ctl;          /* the run's control page (scale.c) */
};

/*
 * A transport for the scaling runs, one table entry each (scale_mechs.c,
 * built from the list of rings in rings.h).
 * send: wait in the mechanism's own way until the message is in; 0,
 *   -ECANCELED when shmring_bench_scale_give_up() said so, other -errno.
 * recv: wait likewise until a message of size bytes arrives; 0, -EAGAIN
 *   when give_up() said so (the caller then checks whether the run is
 *   over), -EBADMSG for a record of the wrong length, other -errno.
 * try_recv: one attempt, never waits: 0 or -EAGAIN (the final drain).
 * attach and detach may be NULL: nothing to do in the child.
 * max_consumers 1 means a single-consumer ring; 0 means any number.
 */
struct shmring_bench_scale_mech {
	const char *name;
	const char *desc;
	unsigned flags;         /* enum shmring_bench_scale_flags */
	unsigned max_consumers;
	unsigned max_size;      /* 0: any the harness sends */
	const void *arg;
	int (*setup)(struct shmring_bench_scale_end *e, char *why, size_t wl);
	int (*attach)(struct shmring_bench_scale_end *e);
	int (*send)(struct shmring_bench_scale_end *e, const void *msg);
	int (*recv)(struct shmring_bench_scale_end *e, void *msg);
	int (*try_recv)(struct shmring_bench_scale_end *e, void *msg);
	void (*detach)(struct shmring_bench_scale_end *e);
	void (*teardown)(struct shmring_bench_scale_end *e);
};

extern const struct shmring_bench_scale_mech *const shmring_bench_scale_mechs[];
extern const size_t shmring_bench_scale_nmechs;

/*
 * True when a waiting call should give up: the run was aborted (a child
 * failed, the watchdog fired) or, for a consumer, every producer has
 * finished. Cheap (two relaxed loads of lines that rarely change): call it on
 * every failed attempt.
 */
bool shmring_bench_scale_give_up(const struct shmring_bench_scale_end *e);

/* A deadline for blocking calls, refreshed by the callers on -ETIMEDOUT, so
 * that a parked process looks at give_up() this often. */
#define SHMRING_BENCH_SCALE_POLL_NS 20000000ull

enum shmring_bench_scale_test {
	SHMRING_BENCH_SCALE_PRODUCERS = 1, /* throughput against the producer count */
	SHMRING_BENCH_SCALE_RECORDS = 2,   /* message ring: throughput against record size */
};

struct shmring_bench_scale_result {
	const struct shmring_bench_scale_mech *mech;
	unsigned test;      /* enum shmring_bench_scale_test */
	unsigned size, producers, consumers;
	int status;         /* enum shmring_bench_status */
	char why[SHMRING_BENCH_WHY];
	uint64_t msgs;      /* received in the window, all consumers */
	uint64_t sent;      /* sent in the whole run (warm-up, window, stop), all producers */
	double window_s;
	double msgs_per_s, mb_per_s;
	double cpu_ns_per_msg; /* CPU time of every child over the window, per message */
	double min_share;   /* least-served producer's messages / the mean producer's */
	struct shmring_bench_bracket br; /* the floors around the figure */
	bool stalled;       /* cut off after the window with messages still queued:
			       the rate stands, the rest was not checked */
	double x_one;       /* vs the same row at its fewest producers (0: that one
			       failed, or ran in another placement) */
	double x_peer;      /* shmring rows: vs the best peer doing the same job; 0 none */
	const char *best_peer;
	bool peer_elsewhere; /* the best peer's figure is in another placement: no x_peer */
};

struct shmring_bench_scale_run {
	struct shmring_bench_scale_result *res;
	size_t nres;
	double wall_s;
};

/* Measure one configuration without floor brackets; fills *res. 0, or a
 * negative errno when the harness itself failed. */
int shmring_bench_scale_measure(const struct shmring_bench_scale_cfg *cfg,
				const struct shmring_bench_scale_mech *m, unsigned test,
				unsigned size, unsigned producers, unsigned consumers,
				struct shmring_bench_scale_result *res);

int shmring_bench_scale_run_all(const struct shmring_bench_scale_cfg *cfg,
				const struct shmring_bench_scale_mech *const *mechs, size_t nmechs,
				struct shmring_bench_scale_run *run);
void shmring_bench_scale_run_free(struct shmring_bench_scale_run *run);

void shmring_bench_scale_report_table(FILE *f, const struct shmring_bench_scale_cfg *cfg,
				      const struct shmring_bench_scale_run *run);
void shmring_bench_scale_report_json(FILE *f, const struct shmring_bench_scale_cfg *cfg,
				     const struct shmring_bench_scale_run *run);
void shmring_bench_scale_report_csv(FILE *f, const struct shmring_bench_scale_cfg *cfg,
				    const struct shmring_bench_scale_run *run);
int shmring_bench_scale_plot(const char *dir, const struct shmring_bench_scale_cfg *cfg,
			     const struct shmring_bench_scale_run *run);

#endif /* SHMRING_BENCH_SCALE_H */
