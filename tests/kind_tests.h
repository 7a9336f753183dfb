/* SPDX-License-Identifier: MIT */
/*
 * tests/kind_tests.h - the tests every fixed-slot kind runs, instantiated by
 * a thin file per kind (test_kind_spsc.c, test_kind_mpsc.c, ...) that
 * defines KT_KIND and KT_TAG (and KT_FLAGS, creation flags such as
 * SHMRING_CREATE_DENSE, where it has some) and includes this:
 *
 *   - stress (tests/stress_body.h): the kind's largest allowed set of
 *     producers and consumers, as threads with try calls, as threads with
 *     blocking calls, and as forked processes;
 *   - oversubscription: 16 producers and 4 consumers (or as many as the kind
 *     allows) on the machine's CPUs, blocking, threads and processes;
 *   - zero-copy: reserve/commit and peek/release, partial commits and
 *     releases, holding rules;
 *   - roles: single roles are exclusive (-EBUSY), shared roles take table
 *     entries until -EUSERS.
 */
#ifndef SHMRING_TESTS_KIND_TESTS_H
#define SHMRING_TESTS_KIND_TESTS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stress_body.h"

#if !defined(KT_KIND) || !defined(KT_TAG)
#error "define KT_KIND and KT_TAG before including kind_tests.h"
#endif

#ifndef KT_FLAGS
#define KT_FLAGS 0u
#endif

#define KT_MP (KT_KIND == SHMRING_KIND_MPSC || KT_KIND == SHMRING_KIND_MPMC)
#define KT_MC (KT_KIND == SHMRING_KIND_SPMC || KT_KIND == SHMRING_KIND_MPMC)

static unsigned kt_producers(unsigned want)
{
	return KT_MP ? want : 1;
}

static unsigned kt_consumers(unsigned want)
{
	return KT_MC ? want : 1;
}

static void kt_stress(unsigned np, unsigned nc, bool processes, bool blocking, uint64_t count,
		      uint64_t capacity, uint32_t slot, const char *what)
{
	struct sb_cfg c = {.kind = KT_KIND, .flags = KT_FLAGS, .slot_size = slot, .capacity = capacity,
			   .producers = kt_producers(np), .consumers = kt_consumers(nc),
			   .count = sb_scale(count), .processes = processes, .blocking = blocking,
			   .no_zero_copy = blocking, .wait_mode = SHMRING_WAIT_ADAPTIVE};
	char tag[64];

	snprintf(tag, sizeof(tag), "%s-%s", KT_TAG, what);
	assert_int_equal(sb_run(&c, tag), 0);
}

static void test_stress_threads_try(void **state)
{
	(void)state;
	kt_stress(4, 4, false, false, 200000, 64, 24, "thr-try");
	kt_stress(3, 2, false, false, 50000, 4, 100, "thr-try-tiny");
}

static void test_stress_threads_blocking(void **state)
{
	(void)state;
	kt_stress(4, 3, false, true, 200000, 256, 16, "thr-blk");
}

static void test_stress_processes(void **state)
{
	(void)state;
	kt_stress(4, 4, true, false, 200000, 128, 32, "proc-try");
	kt_stress(3, 3, true, true, 100000, 64, 16, "proc-blk");
}

/* More producers and consumers than CPUs: spinning would starve the thread
 * that holds a claim, so this must finish through parking. */
static void test_oversubscribed(void **state)
{
	(void)state;
	unsigned nc = KT_MP ? 4 : 16; /* SPMC: one producer, so 16 consumers */

	kt_stress(16, nc, false, true, 20000, 64, 24, "over-thr");
	kt_stress(16, nc, true, true, 20000, 64, 24, "over-proc");
}

static shmring_t *kt_create(const char *name, uint64_t capacity, uint32_t slot)
{
	struct shmring_opts o = {.kind = KT_KIND, .slot_size = slot, .capacity = capacity,
				 .flags = KT_FLAGS};
	shmring_t *r;

	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), 0);
	return r;
}

static void test_zero_copy(void **state)
{
	const char *name = test_ring_name(KT_TAG "-zc");
	shmring_t *own = kt_create(name, 8, 32), *tx, *rx;
	void *slots[16];
	const void *in[16];
	unsigned char msg[32];
	unsigned k;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_null(shmring_peek(rx));
	assert_int_equal(shmring_release(rx), -EINVAL);
	assert_int_equal(shmring_commit(tx), -EINVAL);

	/* One slot: reserve, fill in place, commit. A held reservation comes
	 * back on a second reserve, and copying sends wait for the commit. */
	slots[0] = shmring_reserve(tx);
	assert_non_null(slots[0]);
	assert_ptr_equal(shmring_reserve(tx), slots[0]);
	memset(msg, 7, sizeof(msg));
	assert_int_equal(shmring_try_send(tx, msg), -EBUSY);
	assert_int_equal(shmring_try_send_burst(tx, msg, 1), 0);
	memset(slots[0], 0xab, 32);
	assert_null(shmring_peek(rx));
	assert_int_equal(shmring_commit(tx), 0);
	assert_int_equal(shmring_commit(tx), -EINVAL);
	in[0] = shmring_peek(rx);
	assert_non_null(in[0]);
	assert_ptr_equal(shmring_peek(rx), in[0]);
	assert_int_equal(((const unsigned char *)in[0])[31], 0xab);
	assert_int_equal(shmring_try_recv(rx, msg), -EBUSY);
	assert_int_equal(shmring_release(rx), 0);
	assert_int_equal(shmring_try_recv(rx, msg), -EAGAIN);

	/* A burst up to the capacity (8), across the wrap; then full. */
	k = shmring_reserve_burst(tx, 16, slots);
	assert_int_equal(k, 8);
	for (unsigned i = 0; i < k; i++)
		memset(slots[i], (int)i, 32);
	assert_int_equal(shmring_reserve_burst(tx, 16, slots), 8); /* the held ones again */
	if (KT_MP) {
		/* Many producers: the claim is ours, all of it must be published. */
		assert_int_equal(shmring_commit_burst(tx, 3), -EINVAL);
		assert_int_equal(shmring_commit_burst(tx, 0), -EINVAL);
		assert_int_equal(shmring_commit_burst(tx, 8), 0);
	} else {
		/* One producer: every slot given back (it was -EINVAL, and the
		 * reservation stayed held), then publish 3, give 5 back. */
		assert_int_equal(shmring_commit_burst(tx, 0), 0);
		assert_int_equal(shmring_commit_burst(tx, 0), -EINVAL); /* nothing held */
		assert_int_equal(shmring_count(own), 0);
		assert_int_equal(shmring_reserve_burst(tx, 16, slots), 8);
		for (unsigned i = 0; i < 8; i++)
			memset(slots[i], (int)i, 32);
		assert_int_equal(shmring_commit_burst(tx, 3), 0);
		assert_int_equal(shmring_reserve_burst(tx, 16, slots), 5);
		for (unsigned i = 0; i < 5; i++)
			memset(slots[i], (int)(i + 3), 32);
		assert_int_equal(shmring_commit_burst(tx, 5), 0);
	}
	assert_null(shmring_reserve(tx));
	assert_int_equal(shmring_try_send(tx, msg), -EAGAIN);
	k = shmring_peek_burst(rx, 16, in);
	assert_int_equal(k, 8);
	for (unsigned i = 0; i < k; i++)
		assert_int_equal(((const unsigned char *)in[i])[5], i);
	if (KT_MC) {
		assert_int_equal(shmring_release_burst(rx, 2), -EINVAL);
		assert_int_equal(shmring_release_burst(rx, 0), -EINVAL);
		assert_int_equal(shmring_release_burst(rx, 8), 0);
	} else {
		/* One consumer: none released, all 8 stay; then release 2, the
		 * other 6 stay. */
		assert_int_equal(shmring_release_burst(rx, 0), 0);
		assert_int_equal(shmring_release_burst(rx, 0), -EINVAL); /* nothing held */
		assert_int_equal(shmring_count(own), 8);
		assert_int_equal(shmring_peek_burst(rx, 16, in), 8);
		assert_int_equal(((const unsigned char *)in[0])[5], 0);
		assert_int_equal(shmring_release_burst(rx, 2), 0);
		assert_int_equal(shmring_try_recv_burst(rx, msg, 1), 1);
		assert_int_equal(msg[0], 2);
		assert_int_equal(shmring_peek_burst(rx, 16, in), 5);
		assert_int_equal(((const unsigned char *)in[0])[0], 3);
		assert_int_equal(shmring_release_burst(rx, 5), 0);
	}
	assert_int_equal(shmring_count(own), 0);
	/* Copy forms still work after zero-copy. */
	assert_int_equal(shmring_try_send(tx, msg), 0);
	assert_int_equal(shmring_try_recv(rx, msg), 0);
	/* No role: NULL / -EPERM. */
	assert_null(shmring_reserve(rx));
	assert_null(shmring_peek(tx));
	assert_int_equal(shmring_commit(rx), -EPERM);
	assert_int_equal(shmring_release(tx), -EPERM);
	shmring_close(tx);
	shmring_close(rx);
	shmring_close(own);
}

static void test_roles(void **state)
{
	const char *name = test_ring_name(KT_TAG "-roles");
	shmring_t *own = kt_create(name, 16, 8), *h[80], *extra;
	struct shmring_info in;
	unsigned n = 0;
	int rc;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &h[n++]), 0);
	rc = shmring_open(name, SHMRING_PRODUCER, &extra);
	if (KT_MP) {
		assert_int_equal(rc, 0);
		shmring_close(extra);
	} else {
		assert_int_equal(rc, -EBUSY);
	}
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &h[n++]), 0);
	rc = shmring_open(name, SHMRING_CONSUMER, &extra);
	if (KT_MC) {
		assert_int_equal(rc, 0);
		shmring_close(extra);
	} else {
		assert_int_equal(rc, -EBUSY);
	}
	if (KT_MP || KT_MC) {
		/* Shared roles fill the table (2 fixed + 62 shared entries by
		 * default), then -EUSERS; a closed handle frees its entry. */
		unsigned role = KT_MP ? SHMRING_PRODUCER : SHMRING_CONSUMER;

		while ((rc = shmring_open(name, role, &h[n])) == 0 && n < 79)
			n++;
		assert_int_equal(rc, -EUSERS);
		assert_int_equal(n, KT_MP && KT_MC ? 62 : 63);
		shmring_close(h[--n]);
		assert_int_equal(shmring_open(name, role, &h[n++]), 0);
	}
	assert_int_equal(shmring_info(own, &in), 0);
	assert_int_equal(in.kind, KT_KIND);
	assert_int_equal(in.flags, (KT_MP ? SHMRING_CREATE_MULTI_PRODUCER : 0) |
					   (KT_MC ? SHMRING_CREATE_MULTI_CONSUMER : 0) | KT_FLAGS);
	assert_int_equal(in.producers + in.consumers, n);
	while (n)
		shmring_close(h[--n]);
	/* The message calls are for message rings only. */
	assert_int_equal(shmring_msg_try_send(own, "x", 1, 0), -SHMRING_EKIND);
	assert_null(shmring_msg_reserve(own, 1));
	shmring_close(own);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_zero_copy, test_teardown_names),
		cmocka_unit_test_teardown(test_roles, test_teardown_names),
		cmocka_unit_test_teardown(test_stress_threads_try, test_teardown_names),
		cmocka_unit_test_teardown(test_stress_threads_blocking, test_teardown_names),
		cmocka_unit_test_teardown(test_stress_processes, test_teardown_names),
		cmocka_unit_test_teardown(test_oversubscribed, test_teardown_names),
	};

	sb_parse_args(argc, argv);
	return cmocka_run_group_tests_name(KT_TAG, tests, NULL, NULL);
}

#endif /* SHMRING_TESTS_KIND_TESTS_H */
