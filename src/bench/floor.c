/* SPDX-License-Identifier: MIT */
/*
 * src/bench/floor.c - the floor: one cache line bounced between the two
 * processes. Nothing between two CPUs can answer faster, so every other
 * figure is read against it.
 *
 * Two forms: the `floor` mechanism, timed through the same harness as every
 * other mechanism (per-round-trip timestamps, payload check), and the plain
 * floor that brackets each measurement: a bare loop timed per chunk of
 * round trips, so that it carries no timing overhead at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "pair.h"
#include "timing.h"

#define LINE_BYTES 256u

/* The line holds (seq << 1) | turn: turn 0 = a message for the server, 1 = the
 * reply. Starting at 1 means "the client's turn". */
static int floor_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	(void)why;
	(void)wl;
	c->shm = shmring_bench_shared_map(LINE_BYTES);
	if (!c->shm)
		return -ENOMEM;
	c->shm_len = LINE_BYTES;
	atomic_store_explicit((_Atomic uint64_t *)c->shm, 1, memory_order_relaxed);
	return 0;
}

static int floor_attach(struct shmring_bench_chan *c)
{
	(void)c;
	return 0;
}

static int floor_send(struct shmring_bench_chan *c, const void *msg)
{
	uint64_t seq;

	memcpy(&seq, msg, sizeof(seq));
	/* Release: like any real transport, a message is published after it
	 * is written (a plain store on x86, so the floor stays a floor). */
	atomic_store_explicit((_Atomic uint64_t *)c->shm, (seq << 1) | (unsigned)c->side,
			      memory_order_release);
	return 0;
}

static int floor_recv(struct shmring_bench_chan *c, void *msg)
{
	_Atomic uint64_t *line = c->shm;
	uint64_t want = (unsigned)(1 - c->side), v;

	/* Acquire: pairs with the peer's release in floor_send. */
	while (((v = atomic_load_explicit(line, memory_order_acquire)) & 1u) != want) {
		if (shmring_bench_expired)
			return -ETIMEDOUT;
		shmring_bench_relax();
	}
	v >>= 1;
	memcpy(msg, &v, sizeof(v));
	return 0;
}

static void floor_detach(struct shmring_bench_chan *c)
{
	(void)c;
}

static void floor_teardown(struct shmring_bench_chan *c)
{
	shmring_bench_shared_unmap(c->shm, c->shm_len);
	c->shm = NULL;
}

const struct shmring_bench_mech shmring_bench_mech_floor = {
	.name = "floor",
	.desc = "one shared cache line bounced between the two processes",
	.modes = SHMRING_BENCH_RTT,
	.max_size = 8,
	.why_not_tput = "a single cache line is the latency floor, not a queue",
	.setup = floor_setup,
	.attach = floor_attach,
	.send = floor_send,
	.recv = floor_recv,
	.detach = floor_detach,
	.teardown = floor_teardown,
};

/* ------------------------------------------------------------ plain floor */

#define CHUNK 256u
#define WARM_CHUNKS 8u
#define STOP_BIT (UINT64_C(1) << 63)

static void plain_server(_Atomic uint64_t *line)
{
	for (;;) {
		/* Acquire/release as in floor_send/recv; a plain mov on x86. */
		uint64_t v = atomic_load_explicit(line, memory_order_acquire);

		if (v & 1u) {
			atomic_store_explicit(line, v + 1, memory_order_release);
			if (v & STOP_BIT)
				return;
		} else if (shmring_bench_expired) {
			return;
		}
		shmring_bench_relax();
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int shmring_bench_floor(const struct shmring_bench_cfg *cfg, double *ns)
{
	unsigned chunks = cfg->floor_chunks ? cfg->floor_chunks : 16;
	double *mean = calloc(chunks, sizeof(*mean));
	_Atomic uint64_t *line = shmring_bench_shared_map(LINE_BYTES);
	int rc = 0, status;
	pid_t pid;

	if (!mean || !line) {
		rc = -ENOMEM;
		goto out;
	}
	rc = shmring_bench_init();
	if (rc == 0)
		rc = shmring_bench_pin(cfg->cpu[0]);
	if (rc)
		goto out;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		shmring_bench_watchdog(10);
		if (shmring_bench_pin(cfg->cpu[1]) == 0)
			plain_server(line);
		_exit(0);
	}
	shmring_bench_set_child(pid);
	shmring_bench_watchdog(10);
	uint64_t v = 1;
	for (unsigned ch = 0; ch < WARM_CHUNKS + chunks && rc == 0; ch++) {
		uint64_t t0 = shmring_bench_ticks();

		for (unsigned i = 0; i < CHUNK; i++, v += 2) {
			/* Release/acquire as in floor_send/recv. */
			atomic_store_explicit(line, v, memory_order_release);
			while (atomic_load_explicit(line, memory_order_acquire) != v + 1) {
				if (shmring_bench_expired) {
					rc = -ETIMEDOUT;
					break;
				}
				shmring_bench_relax();
			}
			if (rc)
				break;
		}
		if (ch >= WARM_CHUNKS)
			mean[ch - WARM_CHUNKS] =
				shmring_bench_ticks_to_ns(shmring_bench_ticks() - t0) / CHUNK;
	}
	if (rc == 0) {
		/* Release: the stop request; the server answers it and leaves. */
		atomic_store_explicit(line, v | STOP_BIT, memory_order_release);
	} else {
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		kill(pid, SIGKILL);
	shmring_bench_set_child(0);
	shmring_bench_watchdog(0);
	if (rc == 0) {
		/* The median chunk: a preemption or a placement flip inside one
		 * chunk does not move it. */
		qsort(mean, chunks, sizeof(*mean), cmp_double);
		*ns = mean[chunks / 2];
	}
out:
	free(mean);
	shmring_bench_shared_unmap((void *)line, LINE_BYTES);
	return rc;
}
