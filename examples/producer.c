/* SPDX-License-Identifier: MIT */
/*
 * examples/producer.c - send numbered messages into a ring.
 *
 *   shell 1:  ./producer /demo 1000000      (creates /demo if needed)
 *   shell 2:  ./consumer /demo 1000000
 *
 * Each message is 16 bytes: a sequence number and its check value. The
 * producer blocks (adaptive wait) when the ring is full.
 */
#define _POSIX_C_SOURCE 200809L
#include <shmring/shmring.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

struct msg {
	uint64_t seq;
	uint64_t check;
};

int main(int argc, char **argv)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = sizeof(struct msg),
				 .capacity = 4096};
	const char *name = argc > 1 ? argv[1] : "/shmring-demo";
	uint64_t count = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;
	shmring_t *r;
	int rc;

	rc = shmring_create(name, &o, SHMRING_PRODUCER, &r);
	if (rc == -EEXIST)
		rc = shmring_open(name, SHMRING_PRODUCER, &r);
	if (rc < 0) {
		fprintf(stderr, "producer: %s: %s\n", name, shmring_strerror(rc));
		return 1;
	}
	if (shmring_slot_size(r) != sizeof(struct msg)) {
		fprintf(stderr, "producer: %s has %u-byte slots, need %zu\n", name,
			shmring_slot_size(r), sizeof(struct msg));
		shmring_close(r);
		return 1;
	}
	for (uint64_t i = 0; i < count; i++) {
		struct msg m = {.seq = i, .check = i * UINT64_C(0x9e3779b97f4a7c15)};

		rc = shmring_send(r, &m, SHMRING_NO_DEADLINE);
		if (rc < 0) {
			fprintf(stderr, "producer: send: %s\n", shmring_strerror(rc));
			shmring_close(r);
			return 1;
		}
	}
	printf("producer: sent %" PRIu64 " messages to %s\n", count, name);
	shmring_close(r);
	return 0;
}
