/* SPDX-License-Identifier: MIT */
/*
 * tests/package/consumer.c - a program outside the project that uses an
 * installed (or add_subdirectory()'d) shmring: creates a ring named with its
 * pid, sends one message to itself and receives it, closes and unlinks the
 * ring. Exit 0 when every step did what it should, 1 otherwise. Built by
 * tests/check_package.sh through CMake and through pkg-config.
 */
#define _POSIX_C_SOURCE 200809L
#include <shmring/shmring.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, int rc)
{
	fprintf(stderr, "consumer: %s: %s\n", what, rc ? shmring_strerror(rc) : "wrong result");
	return 1;
}

int main(void)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 16};
	const char *prefix = getenv("SHMRING_TEST_PREFIX");
	uint64_t out = UINT64_C(0x73686d72696e6721), in = 0;
	char name[96], version[32];
	shmring_t *r, *gone;
	int rc;

	/* The header and the library linked are the same version. */
	snprintf(version, sizeof(version), "%d.%d.%d", SHMRING_VERSION_MAJOR,
		 SHMRING_VERSION_MINOR, SHMRING_VERSION_PATCH);
	if (strcmp(version, shmring_version()) != 0) {
		fprintf(stderr, "consumer: header %s, library %s\n", version, shmring_version());
		return 1;
	}

	snprintf(name, sizeof(name), "/%s-pkg-%d", prefix && *prefix ? prefix : "shmring",
		 (int)getpid());
	rc = shmring_create(name, &o, SHMRING_PRODUCER | SHMRING_CONSUMER, &r);
	if (rc < 0)
		return fail("create", rc);
	if ((rc = shmring_try_send(r, &out)) < 0) {
		shmring_close(r);
		shmring_unlink(name);
		return fail("send", rc);
	}
	rc = shmring_try_recv(r, &in);
	if (rc < 0 || in != out) {
		shmring_close(r);
		shmring_unlink(name);
		return fail("recv", rc < 0 ? rc : 0);
	}
	if ((rc = shmring_close(r)) < 0) {
		shmring_unlink(name);
		return fail("close", rc);
	}
	if ((rc = shmring_unlink(name)) < 0)
		return fail("unlink", rc);
	rc = shmring_open(name, SHMRING_OBSERVER, &gone);
	if (rc != -ENOENT) {
		if (rc == 0)
			shmring_close(gone);
		return fail("open after unlink", rc);
	}
	printf("consumer: shmring %s: %s sent, received, closed, unlinked\n", shmring_version(),
	       name);
	return 0;
}
