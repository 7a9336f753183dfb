/* SPDX-License-Identifier: MIT */
/*
 * examples/pingpong_fork.c - a round trip between a parent and a forked child
 * through two SPSC rings, timed.
 *
 *   ./pingpong_fork [round-trips]
 */
#define _POSIX_C_SOURCE 200809L
#include <shmring/shmring.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int open_pair(const char *rx, const char *tx, shmring_t **in, shmring_t **out)
{
	int rc = shmring_open(rx, SHMRING_CONSUMER, in);

	if (rc == 0)
		rc = shmring_open(tx, SHMRING_PRODUCER, out);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000;
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 64};
	char ping[64], pong[64];
	shmring_t *in, *out, *tmp;
	uint64_t t0, v;
	int rc, status;
	pid_t child;

	snprintf(ping, sizeof(ping), "/pingpong-%d-ping", (int)getpid());
	snprintf(pong, sizeof(pong), "/pingpong-%d-pong", (int)getpid());
	if ((rc = shmring_create(ping, &o, SHMRING_OBSERVER, &tmp)) < 0) {
		fprintf(stderr, "pingpong: %s: %s\n", ping, shmring_strerror(rc));
		return 1;
	}
	shmring_close(tmp);
	if ((rc = shmring_create(pong, &o, SHMRING_OBSERVER, &tmp)) < 0) {
		fprintf(stderr, "pingpong: %s: %s\n", pong, shmring_strerror(rc));
		shmring_unlink(ping);
		return 1;
	}
	shmring_close(tmp);

	child = fork();
	if (child == 0) {
		/* The child opens the rings by name in its own roles. */
		if (open_pair(ping, pong, &in, &out) < 0)
			_exit(1);
		for (uint64_t i = 0; i < n; i++) {
			if (shmring_recv(in, &v, SHMRING_NO_DEADLINE) < 0 || v != i ||
			    shmring_send(out, &v, SHMRING_NO_DEADLINE) < 0)
				_exit(1);
		}
		_exit(0);
	}
	if (child < 0 || (rc = open_pair(pong, ping, &in, &out)) < 0) {
		fprintf(stderr, "pingpong: cannot start: %s\n", shmring_strerror(rc));
		shmring_unlink(ping);
		shmring_unlink(pong);
		return 1;
	}
	t0 = shmring_clock_ns();
	for (uint64_t i = 0; i < n; i++) {
		if (shmring_send(out, &i, SHMRING_NO_DEADLINE) < 0 ||
		    shmring_recv(in, &v, SHMRING_NO_DEADLINE) < 0 || v != i) {
			fprintf(stderr, "pingpong: round trip %" PRIu64 " failed\n", i);
			break;
		}
	}
	printf("pingpong: %" PRIu64 " round trips, %.1f ns each (mean, adaptive wait)\n", n,
	       (double)(shmring_clock_ns() - t0) / (double)n);
	waitpid(child, &status, 0);
	shmring_close(in);
	shmring_close(out);
	shmring_unlink(ping);
	shmring_unlink(pong);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
