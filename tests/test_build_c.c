/* SPDX-License-Identifier: MIT */
/*
 * test_build_c: the C half of the header build test (see test_build_cxx.cpp).
 * Compiled as strict ISO C11 without _GNU_SOURCE, with only the public
 * include directory on the path. It reports the sizes and offsets of the
 * public structures as C lays them out, for the C++ half to compare.
 */
#include <shmring/common.h>
#include <shmring/ring.h>
#include <shmring/shmring.h>

#include <stddef.h>

size_t test_build_c_layout(int what);
int test_build_c_inline(shmring_t *r);

/* Sizes and offsets of the public structures as this compiler lays them out in C. */
size_t test_build_c_layout(int what)
{
	switch (what) {
	case 0:
		return sizeof(struct shmring_opts);
	case 1:
		return sizeof(struct shmring_wait);
	case 2:
		return sizeof(struct shmring_info);
	case 3:
		return offsetof(struct shmring_opts, reserved);
	case 4:
		return offsetof(struct shmring_info, consumers);
	case 5:
		return offsetof(struct shmring_wait, spin_ns);
	case 6:
		return sizeof(enum shmring_role);
	default:
		return 0;
	}
}

/* The inline copy calls of C11 compile cleanly here too (not run). */
int test_build_c_inline(shmring_t *r)
{
	uint64_t u = 1;
	int64_t s = -1;
	int rc = shmring_try_send(r, &u) | shmring_try_send(r, &s) | shmring_try_send_u64(r, u);

	return rc | shmring_try_recv(r, &u) | shmring_try_recv(r, &s) |
	       shmring_try_recv_u64(r, &u) | (shmring_try_send)(r, &u);
}
