/* SPDX-License-Identifier: MIT */
/*
 * test_attach_race: a position a peer forges while an open is under way,
 * between the open's validation of the shared positions and the attach that
 * takes its side's position into the handle. The handle's private position
 * is never read from shared memory again, so one taken out of bounds would
 * stay: an MPSC consumer attached at 2^63 published positions past every
 * producer's and the ring failed for good, even after the word was put
 * back. Every kind's opener now refuses it (-SHMRING_ECORRUPT), and opens
 * again once the word is repaired.
 *
 * The peer's write is timed by a call the library makes between the two
 * looks: its owner check (geteuid()), which this program defines. The test
 * asserts that the write happened, so a library that stopped making the
 * call there fails here rather than passing without a race.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "helpers.h"
#include "src/internal.h"

static _Atomic uint64_t *forge_at; /* the word the peer rewrites */
static uint64_t forge_to;
static int forge_call;             /* the call that writes (0: none) */
static int calls;                  /* geteuid() calls since armed */
static bool forged;

/* The peer's write, on the library's forge_call-th owner check. */
uid_t geteuid(void)
{
	if (forge_call && ++calls == forge_call) {
		atomic_store(forge_at, forge_to);
		forged = true;
	}
	return (uid_t)syscall(SYS_geteuid);
}

struct race_case {
	const char *tag;
	uint32_t kind;
	unsigned role;  /* the role opened while the peer forges */
	bool cons_word; /* the consumer's position forged (else the producer's) */
	int want;       /* the open's result */
};

/* One 8-byte message in and out, whatever the kind: 0, or what failed. */
static int put(shmring_t *r, uint32_t kind, uint64_t v)
{
	return kind == SHMRING_KIND_MSG ? shmring_msg_try_send(r, &v, sizeof(v), 0)
					: shmring_try_send(r, &v);
}

static int take(shmring_t *r, uint32_t kind, uint64_t *v)
{
	ssize_t n;

	if (kind != SHMRING_KIND_MSG)
		return shmring_try_recv(r, v);
	n = shmring_msg_try_recv(r, v, sizeof(*v), NULL);
	return n == (ssize_t)sizeof(*v) ? 0 : n < 0 ? (int)n : -EMSGSIZE;
}

/*
 * A ring of c->kind, 64 slots of 8 bytes (a message ring: 1 KiB of
 * records of up to 8), held by the other role, with two
 * messages in it; c->role opened while a peer forges c's position to 2^63
 * between validation and attach, then again once it is put back.
 */
static void race_one(const struct race_case *c)
{
	const char *name = test_ring_name(c->tag);
	struct shmring_opts o = {.kind = c->kind, .slot_size = 8,
				 .capacity = c->kind == SHMRING_KIND_MSG ? 1024 : 64};
	unsigned other_role = c->role == SHMRING_CONSUMER ? SHMRING_PRODUCER : SHMRING_CONSUMER;
	shmring_t *h = NULL, *tx, *rx, *other;
	uint64_t saved, v = 7;
	size_t size = 0;
	void *base;
	int rc;

	assert_int_equal(shmring_create(name, &o, other_role, &other), 0);
	tx = other_role == SHMRING_PRODUCER ? other : NULL;
	if (!tx)
		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(put(tx, c->kind, v), 0);
	assert_int_equal(put(tx, c->kind, v), 0);
	if (tx != other)
		shmring_close(tx);
	base = test_map_shm(name, &size);
	assert_non_null(base);
	forge_at = c->cons_word ? &shmring__cons_side(base)->pos : &shmring__prod_side(base)->pos;
	saved = atomic_load(forge_at);
	forge_to = SHMRING_POS_MAX;

	/* The first owner check is the mapping's, before the positions are
	 * validated; the second lies between validation and attach. */
	calls = 0;
	forged = false;
	forge_call = 2;
	rc = shmring_open(name, c->role, &h);
	forge_call = 0;
	print_message("%s: open with its position forged after validation: %d (%s)\n", c->tag,
		      rc, shmring_strerror(rc));
	assert_true(forged);
	assert_int_equal(rc, c->want);
	if (rc == 0)
		shmring_close(h);
	else
		assert_null(h);

	/* Repaired: the open succeeds and every message comes, in order. */
	atomic_store(forge_at, saved);
	assert_int_equal(shmring_open(name, c->role, &h), 0);
	tx = c->role == SHMRING_PRODUCER ? h : other;
	rx = c->role == SHMRING_PRODUCER ? other : h;
	assert_int_equal(put(tx, c->kind, 9), 0);
	for (int i = 0; i < 3; i++) {
		v = 0;
		assert_int_equal(take(rx, c->kind, &v), 0);
		assert_int_equal(v, i < 2 ? 7 : 9);
	}
	assert_int_equal(take(rx, c->kind, &v), -EAGAIN);
	shmring_close(h);
	shmring_close(other);
	munmap(base, size);
	shmring_unlink(name);
}

/*
 * Each side a single process takes from the shared position at attach. An
 * SPSC producer resumes from the consumer's position and the stamps, so a
 * forged producer position is seen through there.
 */
static const struct race_case cases[] = {
	{"spsc-cons", SHMRING_KIND_SPSC, SHMRING_CONSUMER, true, -SHMRING_ECORRUPT},
	{"spsc-prod", SHMRING_KIND_SPSC, SHMRING_PRODUCER, false, 0},
	{"mpsc-cons", SHMRING_KIND_MPSC, SHMRING_CONSUMER, true, -SHMRING_ECORRUPT},
	{"spmc-prod", SHMRING_KIND_SPMC, SHMRING_PRODUCER, false, -SHMRING_ECORRUPT},
	{"msg-cons", SHMRING_KIND_MSG, SHMRING_CONSUMER, true, -SHMRING_ECORRUPT},
	{"msg-prod", SHMRING_KIND_MSG, SHMRING_PRODUCER, false, -SHMRING_ECORRUPT},
};

static void test_forged_between_validation_and_attach(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		race_one(&cases[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_forged_between_validation_and_attach,
				      test_teardown_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
