/* SPDX-License-Identifier: MIT */
/*
 * test_failure_forge: a hostile peer rewrites the claim ranges of live
 * participants of a message ring with many producers and consumers while
 * they run, then stops; the ring must flow again.
 *
 * Three producer and two consumer threads, each with its own handle (its own
 * participant entry), send and receive with 200 ms deadlines; they count
 * what they see, and the main thread asserts. A forger
 * thread writes, through a second mapping of the segment, for a second a
 * round: ranges near the live positions (of any alignment, up to a quarter
 * of the ring long), now and then the REPAIR mark flipped on a range or a
 * new generation. Each forgery may cost a dropped
 * send (-SHMRING_EDROPPED), a repaired record, even a torn one (a repair
 * misled by forged ranges can fill bytes a live producer is writing; the
 * forger could as well write payloads), but not the ring: once it stops,
 * records must flow again. A forged range on a live producer that covered
 * another producer's dropped claim used to stop every participant for good
 * (consumers waited for the covering producer, which waited for room).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "ringbuf/layout.h"

#define NPROD 3
#define NCONS 2
#define ROUNDS 10
#define FORGE_NS 1000000000ull     /* forging, each round */
#define FLOW_WAIT_NS 10000000000ull /* longest wait for the ring to flow again */
#define FLOWING 1000u               /* records received after the forger stopped */

struct run {
	const char *name;
	_Atomic int phase; /* 0: forging, 1: after, 2: stop */
	_Atomic uint64_t received_after;
	_Atomic uint64_t hard_errors; /* anything but a count, a timeout, a drop, corrupt */
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void *producer(void *arg)
{
	struct run *run = arg;
	unsigned char buf[64];
	unsigned seed = (unsigned)(uintptr_t)&buf;
	shmring_t *r;

	if (shmring_open(run->name, SHMRING_PRODUCER, &r) != 0) {
		atomic_fetch_add(&run->hard_errors, 1);
		return NULL;
	}
	memset(buf, 0x5a, sizeof(buf));
	while (atomic_load(&run->phase) < 2) {
		int rc = shmring_msg_send(r, buf, 16 + rand_r(&seed) % 40, 1,
					  shmring_deadline_in(200000000));

		if (rc < 0 && rc != -ETIMEDOUT && rc != -SHMRING_EDROPPED &&
		    rc != -SHMRING_ECORRUPT && !(rc == -EPIPE && atomic_load(&run->phase) == 2))
			atomic_fetch_add(&run->hard_errors, 1);
	}
	if (shmring_close(r) != 0)
		atomic_fetch_add(&run->hard_errors, 1);
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *run = arg;
	unsigned char buf[64];
	shmring_t *r;

	if (shmring_open(run->name, SHMRING_CONSUMER, &r) != 0) {
		atomic_fetch_add(&run->hard_errors, 1);
		return NULL;
	}
	while (atomic_load(&run->phase) < 2) {
		ssize_t k = shmring_msg_recv(r, buf, sizeof(buf), NULL,
					     shmring_deadline_in(200000000));

		if (k >= 0 && atomic_load(&run->phase) == 1)
			atomic_fetch_add(&run->received_after, 1);
		else if (k < 0 && k != -ETIMEDOUT && k != -SHMRING_ECORRUPT &&
			 !(k == -EPIPE && atomic_load(&run->phase) == 2))
			atomic_fetch_add(&run->hard_errors, 1);
	}
	if (shmring_close(r) != 0)
		atomic_fetch_add(&run->hard_errors, 1);
	return NULL;
}

/* One forgery on a random entry among the first few (those in use). */
static void forge_one(unsigned char *seg, unsigned *seed)
{
	struct shmring_part *p = &shmring__parts(seg)[rand_r(seed) % 8];
	struct shmring_side *side = rand_r(seed) % 2 ? shmring__prod_side(seg)
						      : shmring__cons_side(seg);
	uint64_t base = atomic_load(&side->pos), a;

	switch (rand_r(seed) % 16) {
	case 0:
		atomic_fetch_xor(&p->claim_end, SHMRING_CLAIM_REPAIR);
		break;
	case 1:
		atomic_fetch_add(&p->gen, 1);
		break;
	default: /* a range near the position, of any alignment */
		a = base - (uint64_t)(rand_r(seed) % 256);
		atomic_store(&p->claim_end, a + (uint64_t)(rand_r(seed) % 1024));
		atomic_store(&p->claim_pos, a);
		break;
	}
}

static void one_round(unsigned round)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_MSG, .slot_size = 64, .capacity = 4096,
				 .recovery_ns = 5000000,
				 .flags = SHMRING_CREATE_MULTI_PRODUCER |
					  SHMRING_CREATE_MULTI_CONSUMER};
	struct run run = {.name = test_ring_name("forge")};
	pthread_t th[NPROD + NCONS];
	unsigned seed = round * 7919u + 1u;
	unsigned char *seg;
	uint64_t end;
	size_t len = 0;
	shmring_t *c;

	assert_int_equal(shmring_create(run.name, &o, 0, &c), 0);
	seg = test_map_shm(run.name, &len);
	assert_non_null(seg);
	for (unsigned i = 0; i < NPROD; i++)
		assert_int_equal(pthread_create(&th[i], NULL, producer, &run), 0);
	for (unsigned i = 0; i < NCONS; i++)
		assert_int_equal(pthread_create(&th[NPROD + i], NULL, consumer, &run), 0);
	usleep(50000);
	for (end = now_ns() + FORGE_NS; now_ns() < end;) {
		forge_one(seg, &seed);
		usleep(rand_r(&seed) % 200);
	}
	atomic_store(&run.phase, 1);
	for (end = now_ns() + FLOW_WAIT_NS;
	     atomic_load(&run.received_after) < FLOWING && now_ns() < end;)
		usleep(10000);
	atomic_store(&run.phase, 2);
	for (unsigned i = 0; i < NPROD + NCONS; i++)
		pthread_join(th[i], NULL);
	print_message("round %u: %llu received after the forger stopped\n", round,
		      (unsigned long long)atomic_load(&run.received_after));
	assert_true(atomic_load(&run.received_after) >= FLOWING);
	assert_int_equal(atomic_load(&run.hard_errors), 0);
	munmap(seg, len);
	assert_int_equal(shmring_close(c), 0);
	assert_int_equal(shmring_unlink(run.name), 0);
}

static void test_forged_ranges_flow_again(void **state)
{
	(void)state;
	for (unsigned round = 0; round < ROUNDS; round++)
		one_round(round);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_ranges_flow_again),
	};

	alarm(300);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
