/* SPDX-License-Identifier: MIT */
/*
 * test_cli_io: `shmring put` and `shmring get` on every named backend and
 * on the SPSC, MPMC and MSG kinds: lines and --binary records round trip
 * exactly; a line longer than the largest message is an error naming it
 * (nothing cut, the lines before it sent); slots too small for the framing
 * are refused; get -n and --timeout; get ends at end-of-stream (producers
 * closed, or SIGKILLed); put fails when the consumers have gone and when
 * --timeout runs out; get refuses a slot put did not frame and leaves it,
 * and says so when the stamps its producer left were forged; stat opens a
 * small live ring a lap on; another user's ring only with --any-owner; put
 * with its input closed fails; put and get on an empty or all-zero segment
 * say which. Skipped (77) when the tool is not built.
 */
#include "test_cli_run.h"

#include "ringbuf/layout.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>

struct kind {
	const char *name;
	const char *const args[8]; /* create's options for it */
};

static const struct kind kinds[] = {
	{"spsc", {"--kind", "spsc", "-s", "24", "-c", "8", NULL}},
	{"mpmc", {"--kind", "mpmc", "-s", "24", "-c", "8", NULL}},
	{"msg", {"--kind", "msg", "-s", "20", "-c", "256", NULL}},
};

static void create(const char *name, const struct kind *k)
{
	const char *args[12] = {"create"};
	int n = 1;

	for (int i = 0; k->args[i]; i++)
		args[n++] = k->args[i];
	args[n++] = name;
	args[n] = NULL;
	if (test_wait_pid(cli_start(NULL, cli_out_path, cli_err_path, args), 60000) != 0) {
		test_read_file(cli_err_path, cli_err, sizeof(cli_err));
		fail_msg("create %s %s: %s", k->name, name, cli_err);
	}
}

/* Lines of 0..20 bytes (the largest message of every kind above: 24 - 4 and
 * 20), an empty one among them, the last without its newline. */
static const char lines[] = "first\n\n0123456789abcdefghij\nfour four\nx\nsixth line\nlast";
static const char lines_out[] = "first\n\n0123456789abcdefghij\nfour four\nx\nsixth line\nlast\n";

/* Records with zeros and newlines in them, 4-byte little-endian lengths. */
static const unsigned char records[] = {3, 0, 0, 0, 'a', 0, '\n', 0, 0, 0, 0, 20, 0, 0, 0,
					0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
					16, 17, 18, 19, 1, 0, 0, 0, 0xff};

/* put then get, before and after the producer closed, on every backend and kind. */
static void test_round_trip(void **state)
{
	const char *in_lines = cli_write_file("lines", lines, strlen(lines));
	char lines_path[600], rec_path[600];

	(void)state;
	snprintf(lines_path, sizeof(lines_path), "%s", in_lines);
	snprintf(rec_path, sizeof(rec_path), "%s", cli_write_file("records", records,
								  sizeof(records)));
	for (int b = 0; b < CLI_BACKENDS; b++) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			const char *name = cli_ring_name(b, kinds[k].name);

			create(name, &kinds[k]);
			/* The ring holds all seven: the producer needs no consumer. */
			if (cli_run_in(lines_path, "put", name, NULL) != 0)
				fail_msg("put %s %s: %s", kinds[k].name, name, cli_err);
			assert_int_equal(cli_run("get", name, NULL), 0);
			if (strcmp(cli_out, lines_out))
				fail_msg("get %s %s gave \"%s\"", kinds[k].name, name, cli_out);
			assert_string_equal(cli_err, "");
			/* Binary records, exactly. */
			assert_int_equal(cli_run_in(rec_path, "put", "--binary", name, NULL), 0);
			assert_int_equal(cli_run("get", "--binary", name, NULL), 0);
			assert_memory_equal(cli_out, records, sizeof(records));
			assert_int_equal(test_read_file(cli_out_path, cli_out, sizeof(cli_out)),
					 (ssize_t)sizeof(records));
			assert_int_equal(cli_run("rm", name, NULL), 0);
		}
	}
}

/* A line longer than the largest message: an error naming it; the lines
 * before it are sent, nothing is cut. Slots too small are refused. */
static void test_too_long(void **state)
{
	static const char in[] = "ok 1\nok 2\n0123456789abcdefghijK\nnever\n";
	static const unsigned char rec[] = {21, 0, 0, 0};
	const char *path = cli_write_file("long", in, strlen(in));
	char p[600];

	(void)state;
	snprintf(p, sizeof(p), "%s", path);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *name = cli_ring_name((int)k, kinds[k].name);

		create(name, &kinds[k]);
		assert_int_equal(cli_run_in(p, "put", name, NULL), 1);
		cli_assert_contains(cli_err, "shmring put: ");
		cli_assert_contains(cli_err, "line 3: 21 bytes, more than the ring's largest message "
					     "(20 bytes)");
		assert_int_equal(cli_run("get", "-t", "0.5", name, NULL), 0);
		assert_string_equal(cli_out, "ok 1\nok 2\n");
		/* A record that says it is too long. */
		assert_int_equal(cli_run_in(cli_write_file("longrec", rec, sizeof(rec)), "put",
					    "--binary", name, NULL),
				 1);
		cli_assert_contains(cli_err, "record 1: 21 bytes");
		/* A record cut short by the end of the input. */
		assert_int_equal(cli_run_in(cli_write_file("cutrec", "\5\0\0\0ab", 6), "put",
					    "--binary", name, NULL),
				 1);
		cli_assert_contains(cli_err, "record 1: the input ends inside it (2 bytes of 5)");
		/* ... and inside its length field, after a whole record: it has
		 * no length to say (it read "1 bytes of 0"). */
		assert_int_equal(cli_run_in(cli_write_file("cutlen", "\2\0\0\0ab\1\0", 8), "put",
					    "--binary", name, NULL),
				 1);
		cli_assert_contains(cli_err, "record 2: the input ends inside its 4-byte length "
					     "(2 bytes of it)");
		assert_int_equal(cli_run("get", "-b", "-t", "0.5", name, NULL), 0);
		assert_memory_equal(cli_out, "\2\0\0\0ab", 6);
		assert_int_equal(cli_run("rm", name, NULL), 0);
	}
	{
		const char *name = test_ring_name("tiny");

		assert_int_equal(cli_run("create", "-s", "4", name, NULL), 0);
		assert_int_equal(cli_run_in(p, "put", name, NULL), 1);
		cli_assert_contains(cli_err, "slots of 4 bytes are too small");
		assert_int_equal(cli_run("get", name, NULL), 1);
		cli_assert_contains(cli_err, "too small");
	}
}

/* get -n stops after COUNT; end-of-stream and --timeout end the wait (exit 1
 * only with -n and fewer than COUNT). */
static void test_count_and_timeout(void **state)
{
	static const char in[] = "1\n2\n3\n4\n5\n";
	const char *name = cli_file_name("count");
	const char *never = test_ring_name("never");
	char p[600];
	uint64_t t0;

	(void)state;
	snprintf(p, sizeof(p), "%s", cli_write_file("five", in, strlen(in)));
	assert_int_equal(cli_run("create", "-s", "16", "-c", "8", name, NULL), 0);
	assert_int_equal(cli_run_in(p, "put", name, NULL), 0);
	assert_int_equal(cli_run("get", "-n", "3", name, NULL), 0);
	assert_string_equal(cli_out, "1\n2\n3\n");
	/* put has gone: the stream ends after 5, before the count. */
	assert_int_equal(cli_run("get", "--count", "4", name, NULL), 1);
	assert_string_equal(cli_out, "4\n5\n");
	cli_assert_contains(cli_err, "end of stream");
	cli_assert_contains(cli_err, "got 2 of 4");
	assert_int_equal(cli_run("get", "-n", "0", name, NULL), 0);
	assert_string_equal(cli_out, "");
	assert_int_equal(cli_run("get", name, NULL), 0);
	assert_string_equal(cli_out, "");

	/* No producer has ever attached: get waits, until --timeout. */
	assert_int_equal(cli_run("create", never, NULL), 0);
	t0 = test_now_ns();
	assert_int_equal(cli_run("get", "-n", "1", "--timeout", "0.3", never, NULL), 1);
	cli_assert_contains(cli_err, "got 0 of 1");
	assert_true(test_now_ns() - t0 >= 300000000u);
	assert_int_equal(cli_run("get", "-t", "0.3", never, NULL), 0);
	assert_string_equal(cli_out, "");
	assert_int_equal(cli_run("get", "-t", "0", never, NULL), 2);
	assert_int_equal(cli_run("get", "-n", "x", never, NULL), 2);

	/* put --timeout: a ring of 2 slots and no consumer takes 2 lines. */
	{
		const char *small = test_ring_name("small");

		assert_int_equal(cli_run("create", "-s", "16", "-c", "2", small, NULL), 0);
		assert_int_equal(cli_run_in(p, "put", "--timeout", "0.2", small, NULL), 1);
		cli_assert_contains(cli_err, "line 3: no room within 0.2 s");
		assert_int_equal(cli_run("get", small, NULL), 0);
		assert_string_equal(cli_out, "1\n2\n");
	}
}

/* Send "x" and "y" as put frames them, on backend *(int *)arg's ring (2: a
 * message ring). */
static int send_x_y(shmring_t *r, void *arg)
{
	unsigned char slot[24] = {1, 0, 0, 0, 'x'};

	for (int i = 0; i < 2; i++) {
		slot[4] = (unsigned char)('x' + i);
		if ((*(int *)arg == 2 ? shmring_msg_send(r, slot + 4, 1, 0, SHMRING_NO_DEADLINE)
				      : shmring_send(r, slot, SHMRING_NO_DEADLINE)) != 0)
			return -1;
	}
	return 0;
}

/* get started first ends at end-of-stream: once put has closed, and once a
 * producer has been SIGKILLed. */
static void test_end_of_stream(void **state)
{
	static const char in[] = "a\nb\nc\n";
	char p[600], out_path[600], err_path[600];
	static char out[4096];

	(void)state;
	snprintf(p, sizeof(p), "%s", cli_write_file("abc", in, strlen(in)));
	snprintf(out_path, sizeof(out_path), "%s/eos.out", cli_dir);
	snprintf(err_path, sizeof(err_path), "%s/eos.err", cli_dir);
	for (int b = 0; b < CLI_BACKENDS; b++) {
		const char *name = cli_ring_name(b, "eos");
		const char *args[] = {"get", name, NULL};
		pid_t get;

		create(name, &kinds[b]);
		get = cli_start(NULL, out_path, err_path, args);
		test_sleep_ms(100);
		assert_int_equal(cli_run_in(p, "put", name, NULL), 0);
		assert_int_equal(test_wait_pid(get, 10000), 0);
		test_read_file(out_path, out, sizeof(out));
		assert_string_equal(out, in);

		/* A producer that sent two messages, alive while get drains
		 * them, then SIGKILLed: get writes them and ends. */
		{
			int st;
			pid_t prod = test_fork_participant(name, SHMRING_PRODUCER, send_x_y, &b);

			assert_true(prod > 0);
			get = cli_start(NULL, out_path, err_path, args);
			test_sleep_ms(300);
			/* The producer lives: get waits for more. */
			assert_int_equal(waitpid(get, &st, WNOHANG), 0);
			kill(prod, SIGKILL);
			assert_int_equal(waitpid(prod, &st, 0), prod);
		}
		assert_int_equal(test_wait_pid(get, 10000), 0);
		test_read_file(out_path, out, sizeof(out));
		assert_string_equal(out, "x\ny\n");
		assert_int_equal(cli_run("rm", name, NULL), 0);
	}
}

/* Start `shmring args...` reading a new FIFO <dir>/TAG-fifo (opened by the
 * caller), its output to TAG.out and TAG.err: the paths in fifo, err, out
 * (600 bytes each). */
static pid_t put_on_fifo(const char *tag, const char *const args[], char *fifo, char *err,
			 char *out)
{
	snprintf(fifo, 600, "%s/%s-fifo", cli_dir, tag);
	snprintf(err, 600, "%s/%s.err", cli_dir, tag);
	snprintf(out, 600, "%s/%s.out", cli_dir, tag);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	return cli_start(fifo, out, err, args);
}

/* put fails (exit 1) when the consumer it has seen goes. */
static void test_put_epipe(void **state)
{
	const char *name = test_ring_name("epipe");
	const char *args[] = {"put", name, NULL};
	char fifo[600], err_path[600], out_path[600];
	static char err[4096];
	unsigned char slot[64];
	shmring_t *c;
	pid_t put;
	int fd;

	(void)state;
	assert_int_equal(cli_run("create", name, NULL), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
	put = put_on_fifo("epipe", args, fifo, err_path, out_path);
	fd = open(fifo, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "one\n", 4), 4);
	assert_int_equal(shmring_recv(c, slot, shmring_deadline_in(10000000000ull)), 0);
	assert_memory_equal(slot, "\3\0\0\0one", 7);
	shmring_close(c);
	assert_int_equal(write(fd, "two\n", 4), 4);
	close(fd);
	assert_int_equal(test_wait_pid(put, 10000), 1);
	test_read_file(err_path, err, sizeof(err));
	cli_assert_contains(err, "the consumers have gone; line 2 not sent");
}

/*
 * put whose input idles after a fast run, and whose consumer is killed
 * meanwhile: it says so and exits 1 while it waits for input (its sends
 * that find room would tell only up to 1024 sends later, and an idle put
 * sends nothing).
 */
static void test_put_idle_epipe(void **state)
{
	const char *name = test_ring_name("idle-epipe");
	const char *args[] = {"put", name, NULL};
	char fifo[600], err_path[600], out_path[600], text[500 * 4];
	static char err[4096];
	int fd, ready[2], st;
	pid_t put, cons;
	uint64_t t0;

	(void)state;
	assert_int_equal(cli_run("create", "-c", "4096", name, NULL), 0);
	assert_int_equal(pipe(ready), 0);
	cons = fork();
	assert_true(cons >= 0);
	if (cons == 0) {
		unsigned char slot[64];
		shmring_t *c;

		alarm(30);
		if (shmring_open(name, SHMRING_CONSUMER, &c) < 0)
			_exit(1);
		for (int i = 0; i < 500; i++)
			if (shmring_recv(c, slot, shmring_deadline_in(10000000000ull)) < 0)
				_exit(2);
		(void)!write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	put = put_on_fifo("idle", args, fifo, err_path, out_path);
	fd = open(fifo, O_WRONLY);
	assert_true(fd >= 0);
	for (int i = 0; i < 500; i++)
		memcpy(text + 4 * i, "abc\n", 4);
	assert_int_equal(write(fd, text, sizeof(text)), (ssize_t)sizeof(text));
	assert_int_equal(read(ready[0], text, 1), 1);
	close(ready[0]);
	kill(cons, SIGKILL);
	assert_int_equal(waitpid(cons, &st, 0), cons);
	t0 = test_now_ns();
	st = test_wait_pid(put, 5000); /* the input stays open, and idle */
	close(fd);
	test_read_file(err_path, err, sizeof(err));
	print_message("put: exit %d %.0f ms after its consumer's death: %s", st,
		      (double)(test_now_ns() - t0) / 1e6, err);
	assert_int_equal(st, 1);
	cli_assert_contains(err, "the consumers have gone while the input was idle; 500 lines sent");
}

/*
 * get whose reader has gone (`shmring get NAME | head -1`): a write error
 * said, exit 1, not death by SIGPIPE; with one consumer (spsc, msg) the
 * message it could not write stays in the ring for the next get (on a
 * message ring the close consumed it); with many it is lost, and said so.
 */
static void test_get_reader_gone(void **state)
{
	static const char in[] = "one\ntwo\nthree\n";
	char in_path[600];

	(void)state;
	snprintf(in_path, sizeof(in_path), "%s", cli_write_file("gone", in, strlen(in)));
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *name = cli_ring_name((int)k, kinds[k].name);
		bool one = strcmp(kinds[k].name, "mpmc") != 0;
		int fds[2], err, st;
		pid_t pid;

		create(name, &kinds[k]);
		assert_int_equal(cli_run_in(in_path, "put", name, NULL), 0);
		assert_int_equal(pipe(fds), 0);
		fflush(stdout);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			err = open(cli_err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			close(fds[0]); /* the reader, gone before anything is written */
			if (err < 0 || dup2(fds[1], 1) < 0 || dup2(err, 2) < 0)
				_exit(126);
			execl(cli_tool, cli_tool, "get", name, (char *)NULL);
			_exit(127);
		}
		close(fds[0]);
		close(fds[1]);
		st = test_wait_pid(pid, 10000);
		test_read_file(cli_err_path, cli_err, sizeof(cli_err));
		if (st != 1)
			fail_msg("get %s with its reader gone: exit %d (%s)", kinds[k].name, st,
				 cli_err);
		cli_assert_contains(cli_err, "cannot write to standard output");
		cli_assert_contains(cli_err, one ? "message 1 left in the ring"
						 : "message 1 lost (claimed from a ring of many consumers)");
		assert_int_equal(cli_run("get", "-n", "1", "-t", "1", name, NULL), 0);
		if (strcmp(cli_out, one ? "one\n" : "two\n"))
			fail_msg("%s: the next get had \"%s\"", kinds[k].name, cli_out);
		assert_int_equal(cli_run("rm", name, NULL), 0);
	}
}

/* A slot that put did not frame: get stops with an error and leaves it. */
static void test_foreign_slot(void **state)
{
	const char *name = test_ring_name("foreign");
	struct shmring_opts o = {.slot_size = 8, .capacity = 8};
	unsigned char slot[8] = {0xff, 0xff, 0, 0, 'a'};
	shmring_t *p;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_try_send(p, slot), 0);
	assert_int_equal(cli_run("get", name, NULL), 1);
	cli_assert_contains(cli_err, "message 1: its length field says 65535 bytes");
	cli_assert_contains(cli_err, "left in the ring");
	assert_int_equal(shmring_count(p), 1);
	shmring_close(p);
	/* With many consumers the peek claimed it and get's close released
	 * it: said as lost (it was said "left in the ring", and was gone). */
	o.kind = SHMRING_KIND_MPMC;
	o.flags = SHMRING_CREATE_REPLACE;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	assert_int_equal(shmring_try_send(p, slot), 0);
	assert_int_equal(cli_run("get", name, NULL), 1);
	cli_assert_contains(cli_err, "message 1: its length field says 65535 bytes");
	cli_assert_contains(cli_err, "lost (claimed from a ring of many consumers)");
	assert_int_equal(shmring_count(p), 0);
	shmring_close(p);
}

/*
 * A live ring of fewer slots than the producer's publication period whose
 * producer has written a lap past the slot (group) before the consumer:
 * the consumer is past the producer's published position, and the stamp
 * there is the next lap's. stat opens it as the healthy ring it is, where
 * it was refused as corrupt (grouped: 4 slots, 6 positions a lap of
 * groups; a stamp per slot: any capacity below 64).
 */
static void test_stat_lapped_small(void **state)
{
	static const uint32_t sizes[] = {8, 16, 32};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const char *name = test_ring_name("lapped");
		struct shmring_opts o = {.slot_size = sizes[i], .capacity = 4};
		unsigned char m[32] = {0};
		shmring_t *p, *c;

		assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &c), 0);
		for (int k = 0; k < 3; k++)
			assert_int_equal((shmring_try_send)(p, m), 0);
		for (int k = 0; k < 3; k++)
			assert_int_equal((shmring_try_recv)(c, m), 0);
		for (int k = 0; k < 4; k++)
			assert_int_equal((shmring_try_send)(p, m), 0);
		assert_int_equal(shmring_count(c), 4);
		if (cli_run("stat", name, NULL) != 0)
			fail_msg("stat of a live %u-byte ring: %s", sizes[i], cli_err);
		cli_assert_contains(cli_out, name);
		shmring_close(c);
		shmring_close(p);
	}
}

/*
 * get over a group stamp forged behind it after the producer closed: the
 * consumer at position 1, the producer's 0-2 under one stamp, forged to 1
 * (position 0 alone published). get polled for ever (with --timeout: exit
 * 0, the two messages the ring still counted never named); it says the
 * ring is corrupt and exits 1, and takes both once the stamp is back.
 */
static void test_get_forged_stamp(void **state)
{
	const char *name = test_ring_name("forged");
	struct shmring_opts o = {.slot_size = 8, .capacity = 8};
	unsigned char m[8] = {1, 0, 0, 0, 'a'};
	_Atomic uint64_t *stamp;
	struct stat st;
	shmring_t *p;
	void *base;
	int fd;

	(void)state;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &p), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal((shmring_try_send)(p, m), 0);
	assert_int_equal(cli_run("get", "-n", "1", name, NULL), 0);
	assert_string_equal(cli_out, "a\n");
	shmring_close(p);
	fd = shm_open(name, O_RDWR, 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(base != MAP_FAILED);
	assert_true(((struct shmring_hdr *)base)->features & SHMRING_FEAT_GROUPED_SLOTS);
	stamp = (_Atomic uint64_t *)(void *)((char *)base + ((struct shmring_hdr *)base)->slots_off);
	assert_int_equal(atomic_load(stamp), 3);
	atomic_store(stamp, 1);
	assert_int_equal(cli_run("get", "--timeout", "5", name, NULL), 1);
	cli_assert_contains(cli_err, name);
	cli_assert_contains(cli_err, "corrupt");
	assert_string_equal(cli_out, "");
	atomic_store(stamp, 3);
	assert_int_equal(cli_run("get", "--timeout", "5", name, NULL), 0);
	assert_string_equal(cli_out, "a\na\n");
	munmap(base, (size_t)st.st_size);
}

/* A ring another user created (mode 0666): put and get refuse it and name
 * --any-owner, which attaches to it. */
static void test_any_owner(void **state)
{
	const char *name = test_ring_name("owner");
	const char *in = cli_write_file("owner-in", "hello\n", 6);
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip(); /* another user to create it is root's to be */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 24,
					 .capacity = 8, .mode = 0666};
		shmring_t *r;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		if (shmring_create(name, &o, SHMRING_OBSERVER, &r) < 0)
			_exit(4);
		shmring_close(r);
		_exit(0);
	}
	assert_int_equal(test_wait_pid(pid, 10000), 0);
	assert_int_equal(cli_run_in(in, "put", name, NULL), 1);
	cli_assert_contains(cli_err, "belongs to another user; --any-owner attaches to it");
	assert_int_equal(cli_run("get", "-n", "1", name, NULL), 1);
	cli_assert_contains(cli_err, "--any-owner");
	assert_int_equal(cli_run_in(in, "put", "--any-owner", name, NULL), 0);
	assert_int_equal(cli_run("get", "-a", "-n", "1", name, NULL), 0);
	assert_string_equal(cli_out, "hello\n");
	assert_int_equal(cli_run("rm", name, NULL), 0);
}

/* put with its standard input closed: a read error, not an empty input. */
static void test_put_stdin_closed(void **state)
{
	const char *name = test_ring_name("closedin");
	char *argv[] = {cli_tool, "put", (char *)name, NULL};
	pid_t pid;

	(void)state;
	assert_int_equal(cli_run("create", name, NULL), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int err = open(cli_err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (err < 0 || dup2(err, 2) < 0)
			_exit(126);
		close(0);
		execv(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(test_wait_pid(pid, 10000), 1);
	assert_true(test_read_file(cli_err_path, cli_err, sizeof(cli_err)) > 0);
	cli_assert_contains(cli_err, "cannot read standard input");
	assert_int_equal(cli_run("rm", name, NULL), 0);
}

/*
 * put and get on an empty and on an all-zero segment say which, as stat
 * does, after the library's wait for a creator: they said the library's
 * "full or empty, or still being created".
 */
static void test_not_a_ring(void **state)
{
	static const char *const cmds[] = {"put", "get"};
	const char *empty = test_ring_name("empty");
	const char *zero = test_ring_name("zero");

	(void)state;
	assert_true(test_zero_shm(empty, 0));
	assert_true(test_zero_shm(zero, 4096));
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		assert_int_equal(cli_run(cmds[c], empty, NULL), 1);
		cli_assert_contains(cli_err, empty);
		cli_assert_contains(cli_err, "empty file (still, after waiting for its creator): "
					     "not a ring, or its creator died before writing the "
					     "header");
		cli_assert_lacks(cli_err, "full or empty");
		assert_int_equal(cli_run(cmds[c], zero, NULL), 1);
		cli_assert_contains(cli_err, zero);
		cli_assert_contains(cli_err, "the creator never finished writing the header (all "
					     "zero after waiting for it)");
		cli_assert_lacks(cli_err, "full or empty");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_round_trip, test_teardown_names),
		cmocka_unit_test_teardown(test_too_long, test_teardown_names),
		cmocka_unit_test_teardown(test_count_and_timeout, test_teardown_names),
		cmocka_unit_test_teardown(test_end_of_stream, test_teardown_names),
		cmocka_unit_test_teardown(test_put_epipe, test_teardown_names),
		cmocka_unit_test_teardown(test_get_reader_gone, test_teardown_names),
		cmocka_unit_test_teardown(test_foreign_slot, test_teardown_names),
		cmocka_unit_test_teardown(test_stat_lapped_small, test_teardown_names),
		cmocka_unit_test_teardown(test_get_forged_stamp, test_teardown_names),
		cmocka_unit_test_teardown(test_any_owner, test_teardown_names),
		cmocka_unit_test_teardown(test_put_stdin_closed, test_teardown_names),
		cmocka_unit_test_teardown(test_put_idle_epipe, test_teardown_names),
		cmocka_unit_test_teardown(test_not_a_ring, test_teardown_names),
	};

	srand((unsigned)getpid() ^ (unsigned)test_now_ns());
	cli_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
