/* SPDX-License-Identifier: MIT */
/*
 * examples/consumer.c - receive and check numbered messages from a ring.
 *
 *   ./consumer /demo 1000000 [timeout-seconds]
 *
 * Waits up to 10 s (or the given timeout) for the ring to appear and for each
 * message; checks every message is the next in sequence and intact. Exits 0
 * when all arrived in order, 1 otherwise. Removes the ring at the end.
 */
#define _POSIX_C_SOURCE 200809L
#include <shmring/shmring.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct msg {
	uint64_t seq;
	uint64_t check;
};

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "/shmring-demo";
	uint64_t count = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;
	uint64_t timeout_ns = (argc > 3 ? strtoull(argv[3], NULL, 0) : 10) * 1000000000ull;
	uint64_t deadline = shmring_deadline_in(timeout_ns);
	shmring_t *r = NULL;
	int rc;

	/* The producer may not have created the ring yet. */
	while ((rc = shmring_open(name, SHMRING_CONSUMER, &r)) == -ENOENT ||
	       rc == -EAGAIN) {
		if (shmring_clock_ns() >= deadline)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	if (rc < 0) {
		fprintf(stderr, "consumer: %s: %s\n", name, shmring_strerror(rc));
		return 1;
	}
	if (shmring_slot_size(r) != sizeof(struct msg)) {
		fprintf(stderr, "consumer: %s has %u-byte slots, need %zu\n", name,
			shmring_slot_size(r), sizeof(struct msg));
		shmring_close(r);
		return 1;
	}
	for (uint64_t i = 0; i < count; i++) {
		struct msg m;

		rc = shmring_recv(r, &m, shmring_deadline_in(timeout_ns));
		if (rc < 0) {
			fprintf(stderr, "consumer: message %" PRIu64 ": %s\n", i,
				shmring_strerror(rc));
			shmring_close(r);
			return 1;
		}
		if (m.seq != i || m.check != i * UINT64_C(0x9e3779b97f4a7c15)) {
			fprintf(stderr, "consumer: message %" PRIu64 " is wrong: seq %" PRIu64
				" check %#" PRIx64 "\n", i, m.seq, m.check);
			shmring_close(r);
			return 1;
		}
	}
	printf("consumer: received %" PRIu64 " messages in order from %s\n", count, name);
	shmring_close(r);
	shmring_unlink(name);
	return 0;
}
