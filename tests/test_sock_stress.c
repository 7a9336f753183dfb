/* SPDX-License-Identifier: MIT */
/*
 * test_sock_stress: the ring stress body (tests/stress_body.h) over socket
 * channels. The listener is the consumer in this process; several producer
 * processes (fork) open the channel by its URI and send through the
 * blocking single, burst and bulk forms (by their index). Every message is
 * checked byte by byte, counted once in a shared table, and in order per
 * producer; once the producers have gone, the listener gets end-of-stream.
 *
 * usage: test_sock_stress TRANSPORT [--scale N]
 *   TRANSPORT: unix or tcp. Per configuration, 4 producers x 50000 messages
 *   (label fast); --scale 5 makes it 10^6 (label stress).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sock_helpers.h"
#include "stress_body.h"

static int transport = TS_UNIX;

/* Run cfg over a fresh channel; the consumer uses form cons_form. */
static int sock_run(const struct sb_cfg *cfg, unsigned cons_form, const char *tag)
{
	struct shmring_opts o = {.kind = cfg->kind, .slot_size = cfg->slot_size,
				 .capacity = cfg->capacity, .flags = cfg->flags};
	size_t shsize = sizeof(struct sb_shared) + (size_t)cfg->producers * cfg->count;
	const char *uri = ts_uri(transport, tag);
	struct sb_ctx ctx[SB_MAX_THREADS], cons;
	pid_t pids[SB_MAX_THREADS];
	struct sb_shared *sh;
	struct shmring_info in;
	shmring_t *rx;
	uint64_t missing = 0, t0 = shmring_clock_ns();
	uint8_t buf[SHMRING_MAX_SLOT_SIZE];
	int rc, status;

	sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	rc = shmring_create(uri, &o, SHMRING_CONSUMER, &rx);
	if (rc < 0) {
		fprintf(stderr, "%s: create %s: %s\n", tag, uri, shmring_strerror(rc));
		munmap(sh, shsize);
		return rc;
	}
	for (unsigned i = 0; i < cfg->producers; i++) {
		ctx[i] = (struct sb_ctx){.cfg = cfg, .sh = sh, .name = uri, .producer = true,
					 .index = i};
		pids[i] = fork();
		if (pids[i] == 0) {
			sb_participate(&ctx[i]);
			_exit(0);
		}
	}
	/* End-of-stream comes once the producers that connected have all
	 * gone: wait for every one to connect, or the first to finish could
	 * end the stream before the last has connected. */
	for (uint64_t end = shmring_clock_ns() + 20000000000ull;
	     shmring_info(rx, &in) == 0 && in.sock_accepted < cfg->producers &&
	     shmring_clock_ns() < end;)
		test_sleep_ms(1);
	cons = (struct sb_ctx){.cfg = cfg, .sh = sh, .name = uri, .index = cons_form};
	sb_consume(&cons, rx);
	for (unsigned i = 0; i < cfg->producers; i++) {
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			sb_fail(sh, "a producer process failed", i, (uint64_t)status);
	}
	/* Every producer has gone: end-of-stream. */
	rc = cfg->kind == SHMRING_KIND_MSG
		     ? (int)shmring_msg_recv(rx, buf, sizeof(buf), NULL, shmring_deadline_in(5000000000ull))
		     : shmring_recv(rx, buf, shmring_deadline_in(5000000000ull));
	if (rc != -EPIPE)
		sb_fail(sh, "no end-of-stream", 0, (uint64_t)-rc);
	shmring_info(rx, &in);
	if (in.sock_accepted != cfg->producers || in.sock_errors || in.sock_refused)
		sb_fail(sh, "connections miscounted", (unsigned)in.sock_accepted, in.sock_errors);
	missing = sb_missing(cfg, sh);
	fprintf(stderr, "%s over %s: %u producer processes, %llu msgs in %.2f s\n", tag,
		ts_name(transport), cfg->producers,
		(unsigned long long)((uint64_t)cfg->producers * cfg->count),
		(double)(shmring_clock_ns() - t0) / 1e9);
	shmring_close(rx);
	shmring_unlink(uri);
	rc = sb_verdict(sh, tag, missing);
	munmap(sh, shsize);
	return rc;
}

static void run(uint32_t kind, uint32_t flags, uint32_t slot, unsigned producers,
		unsigned cons_form, const char *tag)
{
	struct sb_cfg c = {.kind = kind, .flags = flags, .slot_size = slot, .capacity = 4096,
			   .producers = producers, .consumers = 1, .count = sb_scale(50000),
			   .processes = true, .blocking = true, .no_zero_copy = true,
			   .wait_mode = SHMRING_WAIT_ADAPTIVE};

	if (kind == SHMRING_KIND_MSG)
		c.capacity = 1 << 16;
	assert_int_equal(sock_run(&c, cons_form, tag), 0);
}

/* Many producers, the consumer on single receives, then bursts, then bulks. */
static void test_mpsc(void **state)
{
	(void)state;
	run(SHMRING_KIND_MPSC, 0, 32, 4, 0, "mpsc-single");
	run(SHMRING_KIND_MPMC, 0, 100, 3, 1, "mpmc-burst");
	run(SHMRING_KIND_MPSC, 0, 16, 3, 2, "mpsc-bulk");
}

/* One producer (the kind's limit). */
static void test_spsc(void **state)
{
	(void)state;
	run(SHMRING_KIND_SPSC, 0, 64, 1, 1, "spsc");
}

/* Records of every size 0..max with types. */
static void test_msg(void **state)
{
	(void)state;
	run(SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_PRODUCER, 1000, 4, 0, "msg-single");
	run(SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_PRODUCER, 200, 3, 1, "msg-burst");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mpsc),
		cmocka_unit_test(test_spsc),
		cmocka_unit_test(test_msg),
	};

	if (argc > 1 && !strcmp(argv[1], "tcp"))
		transport = TS_TCP;
	sb_parse_args(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
