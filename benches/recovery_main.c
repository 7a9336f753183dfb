/* SPDX-License-Identifier: MIT */
/*
 * benches/recovery_main.c - how long a producer's death holds consumers back.
 *
 * Each round: a victim process reserves a slot of an MPMC ring (its claim, at
 * position p) and tells the parent; the parent sends a message (position
 * p + 1), kills the victim with SIGKILL, notes the time, and receives with a
 * blocking call. The claim at p holds the receive back until the parent's
 * peer check finds the victim dead and skips p; the time from the kill to the
 * message is printed as percentiles over the rounds.
 *
 *   shmring_recovery [--rounds N] [--recovery-ms MS] [--json]
 */
#define _GNU_SOURCE /* kill(), SIGKILL in strict C11 */
#include "shmring/shmring.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, unsigned n, double p)
{
	unsigned i = (unsigned)(p * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

/* The victim: reserve one slot, say so, and wait to be killed. */
static void victim(const char *name, int ready_fd)
{
	shmring_t *r;
	char c = 1;

	if (shmring_open(name, SHMRING_PRODUCER, &r) < 0 || !shmring_reserve(r))
		_exit(2);
	if (write(ready_fd, &c, 1) != 1)
		_exit(3);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	unsigned rounds = 100;
	uint64_t recovery_ms = 5;
	bool json = false;
	char name[64];
	struct shmring_opts o = {.kind = SHMRING_KIND_MPMC, .slot_size = 8, .capacity = 1024};
	shmring_t *prod, *cons;
	uint64_t *took;
	struct shmring_info info;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--recovery-ms") && i + 1 < argc)
			recovery_ms = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else {
			fprintf(stderr, "usage: %s [--rounds N] [--recovery-ms MS] [--json]\n",
				argv[0]);
			return 2;
		}
	}
	if (rounds == 0 || recovery_ms == 0 || recovery_ms > 60000) {
		fprintf(stderr, "%s: rounds and recovery-ms must be positive (ms <= 60000)\n",
			argv[0]);
		return 2;
	}
	took = calloc(rounds, sizeof(*took));
	snprintf(name, sizeof(name), "/shmring-recovery-%d", (int)getpid());
	o.recovery_ns = recovery_ms * 1000000u;
	rc = shmring_create(name, &o, SHMRING_PRODUCER, &prod);
	if (rc == 0)
		rc = shmring_open(name, SHMRING_CONSUMER, &cons);
	if (rc < 0 || !took) {
		fprintf(stderr, "%s: %s\n", argv[0], shmring_strerror(rc));
		return 1;
	}
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t msg = i, got = 0, t0;
		int fds[2];
		char c;
		pid_t pid;

		if (pipe(fds) < 0)
			return 1;
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			victim(name, fds[1]);
		}
		close(fds[1]);
		if (pid < 0 || read(fds[0], &c, 1) != 1) {
			fprintf(stderr, "%s: victim failed to claim a slot\n", argv[0]);
			return 1;
		}
		close(fds[0]);
		if (shmring_send(prod, &msg, shmring_deadline_in(1000000000u)) < 0)
			return 1;
		kill(pid, SIGKILL);
		t0 = shmring_clock_ns();
		rc = shmring_recv(cons, &got, shmring_deadline_in(10000000000u));
		took[i] = shmring_clock_ns() - t0;
		waitpid(pid, NULL, 0);
		if (rc < 0 || got != msg) {
			fprintf(stderr, "%s: round %u: recv %s, got %llu\n", argv[0], i,
				shmring_strerror(rc), (unsigned long long)got);
			return 1;
		}
	}
	shmring_info(cons, &info);
	qsort(took, rounds, sizeof(*took), cmp_u64);
	if (json)
		printf("{\"rounds\":%u,\"recovery_ns\":%llu,\"p50_ns\":%llu,\"p90_ns\":%llu,"
		       "\"max_ns\":%llu,\"prod_repairs\":%llu,\"skipped\":%llu}\n",
		       rounds, (unsigned long long)o.recovery_ns,
		       (unsigned long long)pct(took, rounds, 0.5),
		       (unsigned long long)pct(took, rounds, 0.9),
		       (unsigned long long)took[rounds - 1], (unsigned long long)info.prod_repairs,
		       (unsigned long long)info.skipped);
	else
		printf("death to consumer moving on, %u kills, recovery deadline %llu ms:\n"
		       "  p50 %.2f ms  p90 %.2f ms  max %.2f ms  (repairs %llu, skipped %llu)\n",
		       rounds, (unsigned long long)recovery_ms, pct(took, rounds, 0.5) / 1e6,
		       pct(took, rounds, 0.9) / 1e6, took[rounds - 1] / 1e6,
		       (unsigned long long)info.prod_repairs, (unsigned long long)info.skipped);
	shmring_close(prod);
	shmring_close(cons);
	shmring_unlink(name);
	free(took);
	return info.prod_repairs == rounds ? 0 : 1;
}
