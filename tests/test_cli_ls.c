/* SPDX-License-Identifier: MIT */
/*
 * test_cli_ls: the tool's ls, gc, rm and stat on rings of every named
 * backend (posix, sysv with a random key, file in a temporary directory):
 * rings whose participants died show as stale and gc removes them, a ring
 * with a live participant or with messages waiting for a first consumer is
 * left; rm refuses objects that are not rings (and removes them with
 * --force); option misuse is a usage error (2) with the "shmring CMD:"
 * prefix; stat --json of several names is one array; stat --watch
 * refreshes until SIGINT, refuses at once a name that can never be there
 * and waits for one that is not there yet; create's new options. A REAPED bit forged on a
 * live participant's entry does not make gc remove its ring. Skipped (77)
 * when the tool is not built.
 */
#include "test_cli_run.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "ringbuf/layout.h" /* the participant table, to forge an entry */

static const char *backend_names[CLI_BACKENDS] = {"posix", "sysv", "file"};

/* The URI ls prints for a name: "posix:/x" for "/x", else the name. */
static const char *listed(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", name[0] == '/' ? "posix:" : "", name);
	return buf;
}

/* Run `ls --json --match URI` (with the temporary directory as a PATH);
 * return the object of that ring in cli_out or NULL. */
static const char *ls_one(const char *name)
{
	char uri[700], want[760];

	listed(name, uri, sizeof(uri));
	assert_int_equal(cli_run("ls", "--json", "--match", uri, cli_dir, NULL), 0);
	if (cli_json_top_count(cli_out) < 0)
		fail_msg("ls --json is not one JSON array: %s", cli_out);
	snprintf(want, sizeof(want), "{\"name\":\"%s\"", uri);
	return strstr(cli_out, want);
}

static void test_misuse(void **state)
{
	static const char *cmds[] = {"create", "rm", "stat", "ls", "gc", "put", "get"};

	(void)state;
	assert_int_equal(cli_run("stat", "--jsn", "/x", NULL), 2);
	cli_assert_contains(cli_err, "shmring stat: unknown option '--jsn'");
	cli_assert_contains(cli_err, "did you mean '--json'?");
	assert_string_equal(cli_out, "");
	assert_int_equal(cli_run("rm", "--jsn", NULL), 2);
	cli_assert_contains(cli_err, "shmring rm: unknown option '--jsn'");
	assert_int_equal(cli_run("rm", "--frce", "/x", NULL), 2);
	cli_assert_contains(cli_err, "did you mean '--force'?");
	assert_int_equal(cli_run("ls", "--jsn", NULL), 2);
	cli_assert_contains(cli_err, "shmring ls: unknown option '--jsn'");
	assert_int_equal(cli_run("gc", "--dryrun", NULL), 2);
	cli_assert_contains(cli_err, "did you mean '--dry-run'?");
	assert_int_equal(cli_run("put", "-x", "/x", NULL), 2);
	cli_assert_contains(cli_err, "shmring put: unknown option '-x'");
	assert_int_equal(cli_run("get", "--count", NULL), 2);
	cli_assert_contains(cli_err, "shmring get: option '--count' needs a value");
	assert_int_equal(cli_run("stat", "--json=1", "/x", NULL), 2);
	cli_assert_contains(cli_err, "takes no value");
	assert_int_equal(cli_run("stat", "--watch", "0", "/x", NULL), 2);
	cli_assert_contains(cli_err, "shmring stat: --watch");
	assert_int_equal(cli_run("stress", "--bogus", NULL), 2);
	cli_assert_contains(cli_err, "shmring stress: unknown option '--bogus'");
	assert_int_equal(cli_run("bench", "--bogus", NULL), 2);
	cli_assert_contains(cli_err, "shmring bench: unknown option '--bogus'");
	assert_int_equal(cli_run("bench", "--quick", "--full", NULL), 2);
	cli_assert_contains(cli_err, "choose one");
	assert_int_equal(cli_run("bench", "--sizes", "8,64,8", NULL), 2);
	cli_assert_contains(cli_err, "given twice");
	/* A name no object can have: said so, not "--force removes it". */
	{
		char name[1200] = "file:/tmp/";

		memset(name + 10, 'a', 300);
		assert_int_equal(cli_run("rm", name, NULL), 1);
		cli_assert_contains(cli_err, "longer than a file name can be");
		cli_assert_lacks(cli_err, "--force");
		memset(name + 10, 'a', 1100);
		assert_int_equal(cli_run("rm", name, NULL), 1);
		cli_assert_contains(cli_err, "at most 1024 bytes");
		cli_assert_lacks(cli_err, "--force");
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "usage: shmring %s", cmds[i]);
		if (cli_run(cmds[i], "-h", NULL) != 0 || !strstr(cli_out, want))
			fail_msg("%s -h: %s", cmds[i], cli_out);
		if (cli_run(cmds[i], "--help", NULL) != 0 || !strstr(cli_out, want))
			fail_msg("%s --help: %s", cmds[i], cli_out);
	}
	assert_int_equal(cli_run("-V", NULL), 0);
	cli_assert_contains(cli_out, shmring_version());
	assert_int_equal(cli_run("--help", NULL), 0);
	cli_assert_contains(cli_out, "ls ");
	cli_assert_contains(cli_out, "gc ");
	cli_assert_contains(cli_out, "put ");
	cli_assert_contains(cli_out, "get ");
	assert_int_equal(cli_run("sl", NULL), 2);
	cli_assert_contains(cli_err, "unknown command 'sl'");
	/* Patterns that no listed name can ever match. */
	assert_int_equal(cli_run("ls", "--match", "", NULL), 2);
	cli_assert_contains(cli_err, "an empty pattern matches no name");
	assert_int_equal(cli_run("gc", "--match", "sysv:99999999999999999999", NULL), 2);
	cli_assert_contains(cli_err, "not a System V key");
	assert_int_equal(cli_run("gc", "--dry-run", "--match", "sysv:*", NULL), 0);
	/* A ring by descriptor has no name to be found by. */
	assert_int_equal(cli_run("stat", "memfd:x", NULL), 1);
	cli_assert_contains(cli_err, "a memfd ring has no name");
	assert_int_equal(cli_run("get", "anon:", NULL), 1);
	cli_assert_contains(cli_err, "an anon ring has no name");
}

/* A ring of each backend made by the tool is listed, unused. */
static void test_ls_backends(void **state)
{
	(void)state;
	for (int b = 0; b < CLI_BACKENDS; b++) {
		const char *name = cli_ring_name(b, "ls");
		const char *obj;
		char uri[700];

		if (cli_run("create", "--kind", "mpmc", "-s", "32", "-c", "16", name, NULL) != 0)
			fail_msg("create %s: %s", name, cli_err);
		obj = ls_one(name);
		if (!obj)
			fail_msg("%s not listed: %s", name, cli_out);
		cli_assert_contains(obj, "\"kind\":\"mpmc\",\"capacity\":16,\"slot_size\":32");
		cli_assert_contains(obj, "\"use\":\"unused\",\"stale\":false");
		/* The text table has the ring under its URI. */
		listed(name, uri, sizeof(uri));
		assert_int_equal(cli_run("ls", "--match", uri, cli_dir, NULL), 0);
		cli_assert_contains(cli_out, "NAME");
		cli_assert_contains(cli_out, uri);
		cli_assert_contains(cli_out, "unused");
		/* A pattern without wildcards is a name as create takes it:
		 * "/NAME", and a System V key in decimal too. */
		assert_int_equal(cli_run("ls", "--match", name, cli_dir, NULL), 0);
		cli_assert_contains(cli_out, uri);
		if (b == 1) {
			char dec[32];

			snprintf(dec, sizeof(dec), "sysv:%lu", strtoul(name + 5, NULL, 16));
			assert_int_equal(cli_run("gc", "--dry-run", "--match", dec, NULL), 0);
			assert_int_equal(cli_run("ls", "--match", dec, cli_dir, NULL), 0);
			cli_assert_contains(cli_out, uri);
		}
		/* The name as a PATH: a file: ring's name is its file (it was
		 * "No such file or directory"); a POSIX or System V ring's is
		 * no path, and the error says how to ask for it. */
		if (b == 2) {
			assert_int_equal(cli_run("ls", name, NULL), 0);
			cli_assert_contains(cli_out, uri);
		} else {
			assert_int_equal(cli_run("ls", name, NULL), 1);
			cli_assert_contains(cli_err, "a ring by its name: --match");
		}
		/* stat shows the backend. */
		assert_int_equal(cli_run("stat", name, NULL), 0);
		cli_assert_contains(cli_out, "backend ");
		cli_assert_contains(cli_out, backend_names[b]);
		assert_int_equal(cli_run("rm", name, NULL), 0);
		assert_string_equal(cli_err, "");
		obj = ls_one(name);
		assert_null(obj);
	}
	/* A file named on the command line that is not a ring is an error. */
	{
		const char *junk = cli_write_file("junk.txt", "not a ring at all\n", 18);

		assert_int_equal(cli_run("ls", "--match", "file:*", junk, NULL), 1);
		cli_assert_contains(cli_err, "shmring ls: ");
		cli_assert_contains(cli_err, "junk.txt: not a shmring segment");
		unlink(junk);
	}
	/* A ring whose file name is not UTF-8: the byte went into the JSON
	 * as it was, and the whole listing was no JSON a reader takes. */
	{
		char path[600], uri[700];

		snprintf(path, sizeof(path), "%s/bad\xff" "name", cli_dir);
		snprintf(uri, sizeof(uri), "file:%s", path);
		if (cli_run("create", uri, NULL) != 0)
			fail_msg("create %s: %s", uri, cli_err);
		assert_int_equal(cli_run("ls", "--json", cli_dir, NULL), 0);
		cli_assert_contains(cli_out, "/bad\\ufffdname\"");
		assert_null(strchr(cli_out, '\xff'));
		/* The table shows each byte that is not UTF-8 and each control
		 * character of a name found in the directory escaped: a name
		 * somebody chose moved the terminal's cursor, raw. */
		{
			char esc[600];

			snprintf(esc, sizeof(esc), "%s/e\033[2J\302\233x", cli_dir);
			assert_int_equal(rename(path, esc), 0);
			snprintf(path, sizeof(path), "%s", esc);
		}
		assert_int_equal(cli_run("ls", cli_dir, NULL), 0);
		cli_assert_contains(cli_out, "/e\\x1b[2J\\xc2\\x9bx ");
		assert_null(strchr(cli_out, '\033'));
		assert_null(strchr(cli_out, '\302'));
		unlink(path);
	}
}

/* Send *(int *)arg messages of 3 bytes, put's framing. */
static int send_some(shmring_t *r, void *arg)
{
	char msg[32] = {3, 0, 0, 0, 'a', 'b', 'c'};

	for (int i = 0; i < *(int *)arg; i++)
		if (shmring_try_send(r, msg) != 0)
			return -1;
	return 0;
}

/* A child attaches to name as a producer (sending `send` messages first)
 * and is SIGKILLed; returns its pid. */
static pid_t producer_dies(const char *name, int send)
{
	pid_t pid = test_fork_participant(name, SHMRING_PRODUCER, send_some, &send);

	if (pid < 0)
		fail_msg("the producer child of %s did not attach", name);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

/*
 * Per backend: a ring whose producer was SIGKILLed is stale and gc removes
 * it; one with a live consumer (this process) is not; one whose dead
 * producer left messages for a consumer that never came waits, and stays.
 */
static void test_stale_and_gc(void **state)
{
	const char *stale[CLI_BACKENDS], *live[CLI_BACKENDS], *waiting[CLI_BACKENDS];
	shmring_t *cons[CLI_BACKENDS];
	pid_t dead[CLI_BACKENDS];
	char uri[700], want[800];

	uint64_t created;

	(void)state;
	created = test_now_ns();
	for (int b = 0; b < CLI_BACKENDS; b++) {
		stale[b] = cli_ring_name(b, "stale");
		live[b] = cli_ring_name(b, "live");
		waiting[b] = cli_ring_name(b, "waiting");
		assert_int_equal(cli_run("create", "-s", "32", "-c", "8", stale[b], NULL), 0);
		assert_int_equal(cli_run("create", "-s", "32", "-c", "8", live[b], NULL), 0);
		assert_int_equal(cli_run("create", "-s", "32", "-c", "8", waiting[b], NULL), 0);
		dead[b] = producer_dies(stale[b], 0);
		producer_dies(waiting[b], 2);
		assert_int_equal(shmring_open(live[b], SHMRING_CONSUMER, &cons[b]), 0);
	}
	for (int b = 0; b < CLI_BACKENDS; b++) {
		const char *obj = ls_one(stale[b]);

		if (!obj)
			fail_msg("%s not listed: %s", stale[b], cli_out);
		snprintf(want, sizeof(want), "\"alive\":[],\"dead\":[%d]", (int)dead[b]);
		cli_assert_contains(obj, want);
		cli_assert_contains(obj, "\"use\":\"stale\",\"stale\":true");
		obj = ls_one(live[b]);
		assert_non_null(obj);
		snprintf(want, sizeof(want), "\"alive\":[%d]", (int)getpid());
		cli_assert_contains(obj, want);
		cli_assert_contains(obj, "\"use\":\"live\",\"stale\":false");
		obj = ls_one(waiting[b]);
		assert_non_null(obj);
		cli_assert_contains(obj, "\"count\":2,");
		cli_assert_contains(obj, "\"use\":\"waiting\",\"stale\":false");
		/* The text form marks it. */
		assert_int_equal(cli_run("ls", "--match", listed(stale[b], uri, sizeof(uri)),
					 cli_dir, NULL),
				 0);
		cli_assert_contains(cli_out, "stale");
	}
	/* Too young for gc (under 2 s): a creator may still be attaching. Only
	 * while they are young, which a slow (sanitizer) run may have let pass. */
	for (int b = 0; b < CLI_BACKENDS; b++) {
		uint64_t t0 = test_now_ns();

		assert_int_equal(cli_run("gc", "--dry-run", "--match",
					 listed(stale[b], uri, sizeof(uri)), cli_dir, NULL),
				 0);
		if (t0 - created < 1500000000ull && test_now_ns() - created < 1900000000ull)
			assert_string_equal(cli_out, "");
		else
			print_message("young-ring check skipped: the setup took %.1f s\n",
				      (double)(t0 - created) / 1e9);
	}
	test_sleep_ms(2100);
	for (int b = 0; b < CLI_BACKENDS; b++) {
		char m1[700], m2[700];

		listed(live[b], m1, sizeof(m1));
		listed(waiting[b], m2, sizeof(m2));
		listed(stale[b], uri, sizeof(uri));
		assert_int_equal(cli_run("gc", "--dry-run", "--match", uri, "--match", m1, "--match",
					 m2, cli_dir, NULL),
				 0);
		snprintf(want, sizeof(want), "would remove %s", uri);
		cli_assert_contains(cli_out, want);
		cli_assert_lacks(cli_out, m1);
		cli_assert_lacks(cli_out, m2);
		assert_int_equal(cli_run("gc", "--json", "--match", uri, "--match", m1, "--match", m2,
					 cli_dir, NULL),
				 0);
		if (cli_json_top_count(cli_out) != 1)
			fail_msg("gc --json: not an array of one: %s", cli_out);
		cli_assert_contains(cli_out, "\"removed\":true");
		cli_assert_contains(cli_out, uri);
		/* Gone, and the others are still there. */
		{
			shmring_t *r;

			assert_int_equal(shmring_open(stale[b], SHMRING_OBSERVER, &r), -ENOENT);
			assert_int_equal(shmring_open(live[b], SHMRING_OBSERVER, &r), 0);
			shmring_close(r);
			assert_int_equal(shmring_open(waiting[b], SHMRING_OBSERVER, &r), 0);
			shmring_close(r);
		}
	}
	for (int b = 0; b < CLI_BACKENDS; b++) {
		shmring_close(cons[b]);
		assert_int_equal(cli_run("rm", live[b], waiting[b], NULL), 0);
	}
}

/*
 * A REAPED bit forged on the entry of a live producer (a child that maps the
 * ring): ls shows it alive and the ring live, and gc leaves the ring. Once
 * the child is killed, the ring is stale and gc removes it.
 */
static void test_gc_forged_reaped(void **state)
{
	const char *name = test_ring_name("reaped");
	char uri[700];
	const char *obj;
	size_t size = 0;
	unsigned char *base;
	shmring_t *obs;
	struct shmring_participant p;
	pid_t child;

	(void)state;
	listed(name, uri, sizeof(uri));
	assert_int_equal(cli_run("create", "-s", "32", "-c", "8", name, NULL), 0);
	child = test_fork_participant(name, SHMRING_PRODUCER, NULL, NULL);
	assert_true(child > 0);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &obs), 0);
	assert_int_equal(shmring_participants(obs, &p, 1), 1);
	assert_int_equal(p.pid, (uint32_t)child);
	shmring_close(obs);
	base = test_map_shm(name, &size);
	assert_non_null(base);
	atomic_fetch_or(&shmring__parts(base)[p.index].owner, SHMRING_OWNER_REAPED);
	munmap(base, size);
	test_sleep_ms(2100); /* past gc's young-ring grace */
	obj = ls_one(name);
	assert_non_null(obj);
	cli_assert_contains(obj, "\"use\":\"live\",\"stale\":false");
	assert_int_equal(cli_run("gc", "--match", uri, cli_dir, NULL), 0);
	assert_string_equal(cli_out, "");
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &obs), 0);
	shmring_close(obs);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(cli_run("gc", "--match", uri, cli_dir, NULL), 0);
	cli_assert_contains(cli_out, "removed ");
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &obs), -ENOENT);
}

/* A descriptor of the object behind a posix: or file: name. */
static int object_fd(const char *name)
{
	return strncmp(name, "file:", 5) ? shm_open(name, O_RDONLY, 0)
					 : open(cli_path(name), O_RDONLY | O_CLOEXEC);
}

/* The child's side of test_gc_joining(): a consumer that opens the name
 * once told to, and exits 0 if it got the ring of 16 slots (1: another). */
static int join_capacity(const char *name, int go)
{
	struct shmring_info in;
	shmring_t *r;
	char c;

	int rc = -ENOENT;

	if (read(go, &c, 1) != 1)
		return 2;
	/* Between the removal and the new ring the name is free: again. */
	for (int i = 0; i < 5000 && rc == -ENOENT; i++)
		if ((rc = shmring_open(name, SHMRING_CONSUMER, &r)) == -ENOENT)
			usleep(1000);
	if (rc != 0)
		return 2;
	return shmring_info(r, &in) == 0 && in.capacity == 16 ? 0 : 1;
}

/*
 * gc and joiners take turns on the ring's lock (POSIX and file names). A
 * stale ring whose lock a joiner holds is not removed, and said so. A
 * process whose open finds the lock held by a remover, which then removes
 * the name and another ring takes it, opens that other ring: the one it
 * first found is gone for everyone.
 */
static void test_gc_joining(void **state)
{
	(void)state;
	for (int b = 0; b < CLI_BACKENDS; b++) {
		const char *name = cli_ring_name(b, "joining");
		char uri[700];
		int fd, go[2], st;
		shmring_t *r;
		pid_t child;

		if (b == 1)
			continue; /* System V: no lock (gc's page says so) */
		listed(name, uri, sizeof(uri));
		assert_int_equal(cli_run("create", "-s", "32", "-c", "8", name, NULL), 0);
		producer_dies(name, 0);
		test_sleep_ms(2100); /* past gc's young-ring grace */
		fd = object_fd(name);
		assert_true(fd >= 0);
		assert_int_equal(flock(fd, LOCK_SH), 0); /* a joiner, stopped */
		assert_int_equal(cli_run("gc", "--match", uri, cli_dir, NULL), 1);
		cli_assert_contains(cli_err, "holds its lock");
		assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), 0);
		shmring_close(r);
		/* Now the remover's hold, with a consumer opening under it. */
		assert_int_equal(flock(fd, LOCK_EX), 0);
		assert_int_equal(pipe(go), 0);
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			close(fd); /* the remover's lock is the parent's alone */
			_exit(join_capacity(name, go[0]));
		}
		assert_int_equal(write(go[1], "g", 1), 1);
		test_sleep_ms(30); /* its open waits on the lock (for up to 200 ms) */
		/* In this process, at once: the wait is not to run out first. */
		assert_int_equal(shmring_unlink(name), 0);
		{
			struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 32,
						 .capacity = 16};
			shmring_t *obs;

			assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &obs), 0);
			shmring_close(obs);
		}
		close(fd); /* and the lock with it */
		assert_int_equal(waitpid(child, &st, 0), child);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) != 0)
			fail_msg("%s: the joiner %s", name,
				 WEXITSTATUS(st) == 1 ? "took the removed ring" : "could not open");
		close(go[0]);
		close(go[1]);
		assert_int_equal(cli_run("rm", name, NULL), 0);
	}
}

/* `shmring rm NAME` (with --force when force) run as user 65534: its exit
 * status, cli_err what it said. */
static int rm_as_nobody(const char *name, bool force)
{
	char *argv[] = {cli_tool, "rm", force ? "--force" : (char *)name, (char *)name, NULL};
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int err = open(cli_err_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (err < 0 || dup2(err, 2) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(126);
		if (!force)
			argv[3] = NULL;
		execv(argv[0], argv);
		_exit(127);
	}
	pid = test_wait_pid(pid, 20000);
	if (test_read_file(cli_err_path, cli_err, sizeof(cli_err)) < 0)
		cli_err[0] = '\0';
	return pid;
}

/* Another user's rings, where this one may not remove them: rm says so
 * rather than offer --force, which fails the same way (and says why). */
static void test_rm_other_users(void **state)
{
	const char *names[2] = {test_ring_name("rootonly"), cli_sysv_name()};

	(void)state;
	if (geteuid() != 0)
		skip(); /* another user is root's to be */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(cli_run("create", "--mode", "0600", names[i], NULL), 0);
		assert_int_equal(rm_as_nobody(names[i], false), 1);
		cli_assert_contains(cli_err, "not removed (this user may not remove it)");
		assert_int_equal(rm_as_nobody(names[i], true), 1);
		cli_assert_contains(cli_err, i == 0 ? "permission denied" : "not permitted");
		assert_int_equal(cli_run("stat", names[i], NULL), 0);
		assert_int_equal(cli_run("rm", names[i], NULL), 0);
	}
}

/* Objects that are not rings: rm refuses them, --force removes them. */
static void test_rm_not_a_ring(void **state)
{
	const char *junk = test_ring_name("junk");
	const char *empty = test_ring_name("empty");
	const char *sysv = cli_sysv_name();
	const char *file = cli_file_name("junk");
	char bytes[4096];
	int fd, id;
	shmring_t *r;

	(void)state;
	memset(bytes, 'x', sizeof(bytes));
	fd = shm_open(junk, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, sizeof(bytes)), (ssize_t)sizeof(bytes));
	close(fd);
	fd = shm_open(empty, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	id = shmget((key_t)strtoul(sysv + 5, NULL, 16), 4096, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	cli_write_file(strrchr(file, '/') + 1, bytes, 100);

	assert_int_equal(cli_run("rm", junk, NULL), 1);
	cli_assert_contains(cli_err, "shmring rm: ");
	cli_assert_contains(cli_err, "not a shmring segment");
	cli_assert_contains(cli_err, "--force");
	assert_int_equal(cli_run("rm", empty, NULL), 1);
	cli_assert_contains(cli_err, "empty");
	assert_int_equal(cli_run("rm", sysv, NULL), 1);
	cli_assert_contains(cli_err, "all zero");
	assert_int_equal(cli_run("rm", file, NULL), 1);
	cli_assert_contains(cli_err, "not a shmring segment");
	/* Still there; ls does not list them. */
	fd = shm_open(junk, O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_true(shmget((key_t)strtoul(sysv + 5, NULL, 16), 0, 0) >= 0);
	assert_int_equal(access(cli_path(file), F_OK), 0);
	assert_int_equal(cli_run("ls", "--json", "--match", "*junk*", "--match", sysv, cli_dir, NULL),
			 0);
	assert_string_equal(cli_out, "[]\n");

	assert_int_equal(cli_run("rm", "--force", junk, empty, sysv, file, NULL), 0);
	assert_string_equal(cli_err, "");
	assert_true(shm_open(junk, O_RDONLY, 0) < 0 && errno == ENOENT);
	assert_true(shm_open(empty, O_RDONLY, 0) < 0 && errno == ENOENT);
	assert_true(shmget((key_t)strtoul(sysv + 5, NULL, 16), 0, 0) < 0);
	assert_true(access(cli_path(file), F_OK) < 0);

	/* A segment named by a key file and a hex project ID, as the library
	 * takes it: looked at, so refused with the way to remove it. */
	{
		const char *keyfile = cli_write_file("keyfile", bytes, 1);
		char name[700];
		key_t k;

		k = ftok(keyfile, 0x10);
		assert_true(k != (key_t)-1);
		id = shmget(k, 4096, IPC_CREAT | IPC_EXCL | 0600);
		assert_true(id >= 0);
		{
			char *at = shmat(id, NULL, 0);

			assert_true(at != (void *)-1);
			memset(at, 'x', 64);
			shmdt(at);
		}
		snprintf(name, sizeof(name), "sysv:@%s#0x10", keyfile);
		assert_int_equal(cli_run("rm", name, NULL), 1);
		cli_assert_contains(cli_err, "not a shmring segment");
		cli_assert_contains(cli_err, "--force removes it");
		assert_int_equal(cli_run("rm", "--force", name, NULL), 0);
		assert_true(shmget(k, 0, 0) < 0);
		/* A ring so named: --match takes the name as rm does. */
		assert_int_equal(cli_run("create", name, NULL), 0);
		assert_int_equal(cli_run("ls", "--json", "--match", name, NULL), 0);
		snprintf(name, sizeof(name), "\"name\":\"sysv:0x%08x\"", (unsigned)k);
		cli_assert_contains(cli_out, name);
		snprintf(name, sizeof(name), "sysv:@%s#16", keyfile);
		assert_int_equal(cli_run("rm", name, NULL), 0);
	}

	/* Ours, but refused by the library (a header byte changed): ls lists
	 * it with the reason, rm removes it with a note. */
	for (int b = 0; b < CLI_BACKENDS; b++) {
		const char *name = cli_ring_name(b, "corrupt");
		char uri[700], want[760];
		struct shmring_opts o = {.slot_size = 8, .capacity = 8};
		unsigned char *base;

		assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), 0);
		shmring_close(r);
		if (b == 1) {
			int sid = shmget((key_t)strtoul(name + 5, NULL, 16), 0, 0);

			base = shmat(sid, NULL, 0);
			assert_true(base != (void *)-1);
			base[40] ^= 0x5a;
			shmdt(base);
		} else {
			fd = b == 0 ? shm_open(name, O_RDWR, 0) : open(cli_path(name), O_RDWR);
			assert_true(fd >= 0);
			assert_int_equal(pread(fd, bytes, 1, 40), 1);
			bytes[0] ^= 0x5a;
			assert_int_equal(pwrite(fd, bytes, 1, 40), 1);
			close(fd);
		}
		assert_true(shmring_open(name, SHMRING_OBSERVER, &r) < 0);
		listed(name, uri, sizeof(uri));
		assert_int_equal(cli_run("ls", "--json", "--match", uri, cli_dir, NULL), 0);
		snprintf(want, sizeof(want), "{\"name\":\"%s\",\"error\":", uri);
		cli_assert_contains(cli_out, want);
		assert_int_equal(cli_run("rm", name, NULL), 0);
		cli_assert_contains(cli_err, "removed; note:");
		assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), -ENOENT);
	}
	/* Nothing to remove for the anonymous kinds. */
	assert_int_equal(cli_run("rm", "memfd:x", NULL), 1);
	cli_assert_contains(cli_err, "shmring rm: memfd:x: a memfd ring has no name");
	assert_int_equal(cli_run("rm", "anon:", NULL), 1);
	cli_assert_contains(cli_err, "anon");
}

/* stat --json of several names: one array, failures as error objects. */
static void test_stat_json_array(void **state)
{
	const char *a = test_ring_name("arr-a");
	const char *b = cli_file_name("arr-b");
	const char *missing = test_ring_name("arr-missing");
	char want[700];

	(void)state;
	assert_int_equal(cli_run("create", a, NULL), 0);
	assert_int_equal(cli_run("create", "--kind", "msg", b, NULL), 0);
	assert_int_equal(cli_run("stat", "--json", a, b, NULL), 0);
	assert_int_equal(cli_json_top_count(cli_out), 2);
	snprintf(want, sizeof(want), "\"name\":\"%s\"", a);
	cli_assert_contains(cli_out, want);
	snprintf(want, sizeof(want), "\"name\":\"%s\"", b);
	cli_assert_contains(cli_out, want);
	cli_assert_contains(cli_out, "\"backend\":\"file\"");
	cli_assert_contains(cli_out, "\"backend\":\"posix\"");
	assert_int_equal(cli_run("stat", "--json", a, missing, b, NULL), 1);
	assert_int_equal(cli_json_top_count(cli_out), 3);
	snprintf(want, sizeof(want), "{\"name\":\"%s\",\"error\":\"no such ring\"}", missing);
	cli_assert_contains(cli_out, want);
	cli_assert_contains(cli_err, missing);
	/* One name: one object, as before. */
	assert_int_equal(cli_run("stat", "--json", a, NULL), 0);
	assert_true(cli_out[0] == '{');
	assert_int_equal(cli_json_top_count(cli_out), 1);
	assert_int_equal(cli_run("rm", a, b, NULL), 0);
}

/* stat --watch: refreshes (a blank line between, not a terminal) until
 * SIGINT, then exit 0; SIGTERM too; exit 1 where the last refresh failed. */
/* Wait (up to 10 s, stretched in sanitizer builds) until the file at path
 * holds needle at least n times: whether it came to. */
static bool file_shows(const char *path, const char *needle, int n)
{
	static char buf[1 << 16];

	for (int waited = 0; waited < 10000 * (int)TEST_SLOWDOWN; waited += 10) {
		int seen = 0;

		if (test_read_file(path, buf, sizeof(buf)) > 0)
			for (const char *p = buf; (p = strstr(p, needle)); p++)
				seen++;
		if (seen >= n)
			return true;
		test_sleep_ms(10);
	}
	return false;
}

static void test_stat_watch(void **state)
{
	const char *name = test_ring_name("watch");
	const char *args[] = {"stat", "--watch", "0.2", name, NULL};
	char out_path[600], err_path[600];
	static char out[1 << 16];
	int sigs[] = {SIGINT, SIGTERM};

	(void)state;
	assert_int_equal(cli_run("create", name, NULL), 0);
	snprintf(out_path, sizeof(out_path), "%s/watch.out", cli_dir);
	snprintf(err_path, sizeof(err_path), "%s/watch.err", cli_dir);
	for (int i = 0; i < 2; i++) {
		pid_t pid;

		unlink(out_path); /* the last run's refreshes are not this one's */
		pid = cli_start(NULL, out_path, err_path, args);

		/* Refreshed twice (its handlers are in place from the first). */
		if (!file_shows(out_path, "  kind ", 2)) {
			kill(pid, SIGKILL);
			fail_msg("stat --watch did not refresh twice");
		}
		kill(pid, sigs[i]);
		assert_int_equal(test_wait_pid(pid, 10000), 0);
		assert_true(test_read_file(out_path, out, sizeof(out)) > 0);
		cli_assert_contains(out, "\n\n");
		cli_assert_lacks(out, "\033[H");
	}
	/* The exit status is the last refresh's: with the ring gone, 1. */
	assert_int_equal(cli_run("rm", name, NULL), 0);
	{
		pid_t pid;

		unlink(err_path);
		pid = cli_start(NULL, out_path, err_path, args);
		assert_true(file_shows(err_path, "no such ring", 1));
		kill(pid, SIGINT);
		assert_int_equal(test_wait_pid(pid, 10000), 1);
	}
}

/*
 * stat --watch on a name that can never be there (malformed, of an unknown
 * scheme, empty, a socket channel, memfd:) says so once and exits 2 at once,
 * also beside a good name: it said it again every refresh, for ever. A
 * well-formed name that is not there yet is watched until it appears.
 */
static void test_stat_watch_names(void **state)
{
	static const char *const never[] = {"foo:bar", "", "bad name", "file:rel", "memfd:x",
					    "unix:/tmp/shmt-nobody", "bridge:../x", "bridge:",
					    "sysv:0", "sysv:0x0x1"};
	const char *good = test_ring_name("watch-good");
	const char *later = test_ring_name("watch-later");
	const char *args[] = {"stat", "--watch", "0.1", NULL, NULL, NULL};

	(void)state;
	assert_int_equal(cli_run("create", good, NULL), 0);
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		for (int with_good = 0; with_good < 2; with_good++) {
			const char *seen;
			int st, n = 0;

			args[3] = with_good ? good : never[i];
			args[4] = with_good ? never[i] : NULL;
			st = test_wait_pid(cli_start(NULL, cli_out_path, cli_err_path, args),
					   5000 * TEST_SLOWDOWN);
			test_read_file(cli_out_path, cli_out, sizeof(cli_out));
			test_read_file(cli_err_path, cli_err, sizeof(cli_err));
			if (st != 2)
				fail_msg("stat --watch '%s': exit %d (-1: it went on); stderr: %s",
					 never[i], st, cli_err);
			for (seen = cli_err; (seen = strstr(seen, "shmring stat: ")); seen++)
				n++;
			if (n != 1)
				fail_msg("stat --watch '%s': said %d times: %s", never[i], n,
					 cli_err);
			assert_string_equal(cli_out, "");
		}
	}

	/* Not there at first: "no such ring", then shown once it is made;
	 * the exit status is the last refresh's. */
	args[3] = later;
	args[4] = NULL;
	{
		char out_path[600], err_path[600];
		pid_t pid;

		/* Its own files: cli_run() below writes the usual ones. */
		snprintf(out_path, sizeof(out_path), "%s/watch-later.out", cli_dir);
		snprintf(err_path, sizeof(err_path), "%s/watch-later.err", cli_dir);
		unlink(out_path);
		unlink(err_path);
		pid = cli_start(NULL, out_path, err_path, args);
		assert_true(file_shows(err_path, "no such ring", 1));
		assert_int_equal(cli_run("create", later, NULL), 0);
		assert_true(file_shows(out_path, "  kind ", 1));
		kill(pid, SIGINT);
		assert_int_equal(test_wait_pid(pid, 10000), 0);
		test_read_file(out_path, cli_out, sizeof(cli_out));
		test_read_file(err_path, cli_err, sizeof(cli_err));
		cli_assert_contains(cli_err, "no such ring");
		cli_assert_contains(cli_out, "  kind ");
	}

	/* A System V ring by its key: watched and shown like any other (every
	 * sysv:KEY was taken for a malformed name), and stress runs on one. */
	{
		const char *sysv = cli_sysv_name();
		pid_t pid;

		assert_int_equal(cli_run("create", sysv, NULL), 0);
		args[3] = sysv;
		unlink(cli_out_path);
		pid = cli_start(NULL, cli_out_path, cli_err_path, args);
		assert_true(file_shows(cli_out_path, "  kind ", 1));
		kill(pid, SIGINT);
		assert_int_equal(test_wait_pid(pid, 10000), 0);
		test_read_file(cli_out_path, cli_out, sizeof(cli_out));
		cli_assert_contains(cli_out, "  kind ");
		assert_int_equal(cli_run("rm", sysv, NULL), 0);
		assert_int_equal(cli_run("stress", "--quiet", "--kind", "spsc", "--count", "10",
					 "--name", sysv, NULL),
				 0);
	}
}

/* create: every scheme it can name, the new options, and what it refuses. */
static void test_create_options(void **state)
{
	const char *name = test_ring_name("opts");
	const char *sysv = cli_sysv_name();
	shmring_t *r;

	(void)state;
	assert_int_equal(cli_run("create", "-c", "16", name, NULL), 0);
	assert_int_equal(cli_run("create", "--open-existing", "-c", "16", name, NULL), 0);
	assert_int_equal(cli_run("create", "--open-existing", "-c", "32", name, NULL), 1);
	cli_assert_contains(cli_err, "shmring create: ");
	assert_int_equal(cli_run("create", "--exclusive", "-c", "16", name, NULL), 1);
	cli_assert_contains(cli_err, "already exists");
	assert_int_equal(cli_run("create", "--exclusive", "--replace", name, NULL), 2);
	assert_int_equal(cli_run("create", "--open-existing", "--replace", name, NULL), 2);
	assert_int_equal(cli_run("create", "--replace", "-c", "32", name, NULL), 0);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), 0);
	assert_int_equal(shmring_capacity(r), 32);
	shmring_close(r);
	/* Huge pages on tmpfs: not there. */
	assert_int_equal(cli_run("create", "--huge", "--replace", name, NULL), 1);
	cli_assert_contains(cli_err, "huge pages are not available");
	/* On sysv: without reserved huge pages, said so; the fallback works. */
	if (cli_run("create", "--huge", sysv, NULL) == 1) {
		cli_assert_contains(cli_err, "/proc/sys/vm/nr_hugepages");
		assert_int_equal(cli_run("create", "--huge-fallback", sysv, NULL), 0);
		cli_assert_contains(cli_err, "no huge pages to be had");
	}
	assert_int_equal(shmring_open(sysv, SHMRING_OBSERVER, &r), 0);
	shmring_close(r);
	assert_int_equal(cli_run("create", "--prefault", "--replace", name, NULL), 0);
	/* The notifier and --poll-only are compared too: a mismatch there was
	 * said as one of capacity, slot size or multiplicity, which agreed. */
	assert_int_equal(cli_run("create", "--replace", "--notifier", "psem", name, NULL), 0);
	assert_int_equal(cli_run("create", "--open-existing", "--notifier", "psem", name, NULL), 0);
	assert_int_equal(cli_run("create", "--open-existing", name, NULL), 1);
	cli_assert_contains(cli_err, "the ring exists with the psem notifier (asked: futex)");
	assert_int_equal(cli_run("create", "--replace", "--poll-only", name, NULL), 0);
	assert_int_equal(cli_run("create", "--open-existing", name, NULL), 1);
	cli_assert_contains(cli_err, "the ring exists with --poll-only");
	/* No name to keep them by. */
	assert_int_equal(cli_run("create", "memfd:x", NULL), 2);
	cli_assert_contains(cli_err, "shmring create: memfd:x: a memfd ring");
	assert_int_equal(cli_run("create", "anon:", NULL), 2);
	cli_assert_contains(cli_err, "anon");
	assert_int_equal(cli_run("rm", name, sysv, NULL), 0);
}

/*
 * A duplex: created by the tool, listed and shown with both directions;
 * put and get refuse it by name; gc leaves it while either direction is in
 * use (end A killed, end B still sending on direction 1) and removes it
 * once neither is.
 */
static void test_duplex(void **state)
{
	const char *name = test_ring_name("duplex");
	char uri[700], want[760];
	shmring_t *tx, *rx, *btx, *brx;
	const char *obj;
	uint64_t created;
	pid_t a;
	int p[2];
	char c;

	(void)state;
	/* Refused, naming the option that clashes and no other. */
	assert_int_equal(cli_run("create", "--duplex", "--dense", name, NULL), 2);
	cli_assert_contains(cli_err, "not with --dense");
	assert_null(strstr(cli_err, "--kind"));
	assert_int_equal(cli_run("create", "--duplex", "-k", "mpsc", name, NULL), 2);
	cli_assert_contains(cli_err, "not with --kind mpsc");
	assert_int_equal(cli_run("create", "--duplex", "--notifier", "sysvsem", name, NULL), 2);
	cli_assert_contains(cli_err, "not with --notifier sysvsem");
	created = test_now_ns();
	assert_int_equal(cli_run("create", "--duplex", "-s", "8", "-c", "64", name, NULL), 0);
	obj = ls_one(name);
	if (!obj)
		fail_msg("%s not listed: %s", name, cli_out);
	cli_assert_contains(obj, "\"kind\":\"spsc-duplex\"");
	assert_int_equal(cli_run("stat", name, NULL), 0);
	cli_assert_contains(cli_out, "direction 1 (end B sends)");
	assert_int_equal(cli_run("stat", "--json", name, NULL), 0);
	cli_assert_contains(cli_out, "\"duplex\":true,\"direction\":0,\"direction1\":{");
	assert_int_equal(cli_run("get", name, NULL), 1);
	cli_assert_contains(cli_err, "a duplex");

	/* End A in a child that is killed; end B here keeps only its sending
	 * handle: direction 0 has nobody alive, direction 1 its producer. */
	assert_int_equal(pipe(p), 0);
	a = fork();
	assert_true(a >= 0);
	if (a == 0) {
		alarm(60);
		if (shmring_duplex_open(name, SHMRING_DUPLEX_A, NULL, &tx, &rx) < 0 ||
		    write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &btx, &brx), 0);
	shmring_close(brx);
	kill(a, SIGKILL);
	assert_int_equal(waitpid(a, NULL, 0), a);
	while (test_now_ns() - created < 2100000000ull)
		test_sleep_ms(50);
	listed(name, uri, sizeof(uri));
	obj = ls_one(name);
	if (!obj)
		fail_msg("%s not listed: %s", name, cli_out);
	cli_assert_contains(obj, "\"use\":\"live\"");
	/* stat judges as ls and gc do (it said "stale", from direction 0). */
	assert_int_equal(cli_run("stat", "--json", name, NULL), 0);
	cli_assert_contains(cli_out, "\"use\":\"live\"");
	assert_int_equal(cli_run("stat", name, NULL), 0);
	cli_assert_contains(cli_out, "alive; all consumers have gone; live\n");
	assert_int_equal(cli_run("gc", "--dry-run", "--match", uri, cli_dir, NULL), 0);
	assert_string_equal(cli_out, "");
	/* End B goes too: stale in both directions, and gc removes it. */
	shmring_close(btx);
	assert_int_equal(cli_run("gc", "--match", uri, cli_dir, NULL), 0);
	snprintf(want, sizeof(want), "%s", uri);
	cli_assert_contains(cli_out, want);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &tx), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_misuse),
		cmocka_unit_test_teardown(test_ls_backends, test_teardown_names),
		cmocka_unit_test_teardown(test_stale_and_gc, test_teardown_names),
		cmocka_unit_test_teardown(test_gc_forged_reaped, test_teardown_names),
		cmocka_unit_test_teardown(test_gc_joining, test_teardown_names),
		cmocka_unit_test_teardown(test_rm_not_a_ring, test_teardown_names),
		cmocka_unit_test_teardown(test_rm_other_users, test_teardown_names),
		cmocka_unit_test_teardown(test_stat_json_array, test_teardown_names),
		cmocka_unit_test_teardown(test_stat_watch, test_teardown_names),
		cmocka_unit_test_teardown(test_stat_watch_names, test_teardown_names),
		cmocka_unit_test_teardown(test_create_options, test_teardown_names),
		cmocka_unit_test_teardown(test_duplex, test_teardown_names),
	};

	srand((unsigned)getpid() ^ (unsigned)test_now_ns());
	cli_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
