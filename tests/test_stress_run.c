/* SPDX-License-Identifier: MIT */
/*
 * tests/test_stress_run.c - `shmring stress` end to end, one scenario per
 * test (the scenario is argv[1]):
 *
 *   kinds    every kind the tool lists, a few thousand messages per producer
 *            with the default process counts, plus each wait mode on one kind,
 *            a --duration run, and the usage errors of single-role kinds
 *   oversub  16 producers and 4 consumers (as the kind allows) on 2 CPUs,
 *            with blocking waits
 *   inject   the verifier's self-test: each injected fault (lose, dup,
 *            reorder, tear) must fail the run and be counted exactly once
 *   signal   SIGINT mid-run: exit 130, a clean verdict of what was sent, and
 *            the ring removed; the ring removed too when the reader of the
 *            tool's output goes away mid-run (exit 130); and, with the ring's
 *            segment truncated by another process mid-run, one report of it,
 *            exit 1 and the ring removed; a run SIGKILLed mid-run, then a
 *            run on the same --name, which replaces the stale ring
 *   long     every kind for 4 s, and the oversubscribed set for 4 s
 *   kill     --kill on every kind (producers, consumers, both): every message
 *            delivered once, or dropped with a dead consumer's claim exactly
 *            as the ring counted; a killed producer's last message never
 *            reported invalid (issue 7, item 11)
 *   stop     --stop on every kind: paused processes hold others back but
 *            nothing is lost, repaired or duplicated
 *
 * Every run must leave no ring behind. The summary is read from --json.
 */
#include "helpers.h"

#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>

#define OUT_MAX (64 * 1024)

static char tool[4096];
static char out_path[128], err_path[128];
static int failures;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);             \
			printf(__VA_ARGS__);                                               \
			printf("\n");                                                      \
			failures++;                                                        \
		}                                                                          \
	} while (0)

/* What the test knows of each kind's roles; a kind it does not know yet is
 * run with the tool's defaults only. */
struct kind {
	char name[32];
	bool multi_prod, multi_cons;
};

static const struct {
	const char *name;
	bool mp, mc;
} known[] = {
	{"spsc", false, false}, {"mpsc", true, false}, {"spmc", false, true},
	{"mpmc", true, true},   {"msg", true, true},
};

static struct kind kinds[16];
static int nkinds;

/* Run the tool with args (NULL-terminated after "stress"); its stdout into
 * out. Returns the exit status, or -1 if it had to be killed. */
static int run_tool(char *const *args, unsigned timeout_ms, char *out, size_t outsz)
{
	char *argv[40];
	char err[OUT_MAX];
	int n = 0, st;
	pid_t pid;

	argv[n++] = tool;
	argv[n++] = "stress";
	for (; *args && n < 39; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = test_spawn(argv, out_path, err_path);
	st = pid < 0 ? -1 : test_wait_pid(pid, timeout_ms);
	if (test_read_file(out_path, out, outsz) < 0)
		out[0] = '\0';
	if (st != 0 && test_read_file(err_path, err, sizeof(err)) > 0) {
		/* Only the end: progress lines are many. */
		size_t len = strlen(err);

		printf("  (stderr of the run, tail) %s", len > 2000 ? err + len - 2000 : err);
	}
	return st;
}

/* The unsigned number after "key": in a flat JSON object. */
static bool json_u64(const char *js, const char *key, uint64_t *v)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(js, pat);
	if (!p)
		return false;
	*v = strtoull(p + strlen(pat), NULL, 10);
	return true;
}

static bool json_true(const char *js, const char *key)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "\"%s\":true", key);
	return strstr(js, pat) != NULL;
}

static uint64_t field(const char *js, const char *key)
{
	uint64_t v = UINT64_MAX;

	CHECK(json_u64(js, key, &v), "no \"%s\" in the summary: %s", key, js);
	return v;
}

static bool ring_gone(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	return access(path, F_OK) != 0;
}

/* Wait (up to 20 s, stretched in sanitizer builds) until the run on name
 * has sent a message: its ring made and its handlers in place. */
static bool run_under_way(const char *name)
{
	for (int waited = 0; waited < 20000 * (int)TEST_SLOWDOWN; waited += 10) {
		struct shmring_info in;
		shmring_t *r;
		bool sent = false;

		if (shmring_open(name, SHMRING_OBSERVER, &r) == 0) {
			sent = shmring_info(r, &in) == 0 && in.produced > 0;
			shmring_close(r);
		}
		if (sent)
			return true;
		test_sleep_ms(10);
	}
	return false;
}

/* Wait (as long) until no participant of the ring at name is alive. */
static bool participants_gone(const char *name)
{
	for (int waited = 0; waited < 20000 * (int)TEST_SLOWDOWN; waited += 10) {
		struct shmring_participant p[64];
		shmring_t *r;
		int n, alive = 0;

		if (shmring_open(name, SHMRING_OBSERVER, &r) != 0)
			return false;
		n = shmring_participants(r, p, 64);
		for (int i = 0; i < n; i++)
			alive += p[i].state == SHMRING_PART_ALIVE;
		shmring_close(r);
		if (n >= 0 && alive == 0)
			return true;
		test_sleep_ms(10);
	}
	return false;
}

static void load_kinds(void)
{
	char *args[] = {"--list-kinds", NULL};
	char out[4096], *save = NULL;

	CHECK(run_tool(args, 10000, out, sizeof(out)) == 0, "--list-kinds failed");
	for (char *line = strtok_r(out, "\n", &save); line && nkinds < 16;
	     line = strtok_r(NULL, "\n", &save)) {
		struct kind *k = &kinds[nkinds++];

		snprintf(k->name, sizeof(k->name), "%s", line);
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(known[i].name, line)) {
				k->multi_prod = known[i].mp;
				k->multi_cons = known[i].mc;
			}
	}
	if (!nkinds)
		test_skip("the tool lists no ring kind");
	printf("kinds:");
	for (int i = 0; i < nkinds; i++)
		printf(" %s", kinds[i].name);
	printf("\n");
}

/*
 * Run `stress --kind kind [pre...] --json --quiet --name name [extra...]`
 * (pre and extra NULL-terminated, either may be NULL), printing the command
 * line and what it wrote; its exit status, its JSON summary into out.
 */
static int run_json(const char *kind, char *const *pre, const char *name, char *const *extra,
		    unsigned timeout_ms, char *out, size_t outsz)
{
	char *args[40];
	int n = 0, st;

	args[n++] = "--kind";
	args[n++] = (char *)kind;
	for (; pre && *pre; pre++)
		args[n++] = *pre;
	args[n++] = "--json";
	args[n++] = "--quiet";
	args[n++] = "--name";
	args[n++] = (char *)name;
	for (; extra && *extra && n < 38; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	printf("stress");
	for (int i = 0; i < n; i++)
		printf(" %s", args[i]);
	printf("\n");
	st = run_tool(args, timeout_ms, out, outsz);
	printf("  -> exit %d: %s", st, out);
	return st;
}

/* What every run that must pass shows: exit 0, an ok verdict, no violation
 * and no failed process. */
static void check_verdict_ok(int st, const char *out)
{
	CHECK(st == 0, "exit status %d", st);
	CHECK(json_true(out, "ok"), "verdict not ok");
	CHECK(field(out, "lost") == 0, "lost");
	CHECK(field(out, "duplicated") == 0, "duplicated");
	CHECK(field(out, "out_of_order") == 0, "out of order");
	CHECK(field(out, "torn") == 0, "torn");
	CHECK(field(out, "invalid") == 0, "invalid");
	CHECK(field(out, "crashed") == 0 && field(out, "hung") == 0, "processes failed");
}

/*
 * One clean run: exit 0, no violation, and with --count, exactly
 * producers x count sent and received. extra: more options, NULL-terminated.
 */
static void expect_clean(const char *kind, const char *count, const char *duration,
			 char *const *extra, unsigned timeout_ms)
{
	const char *name = test_ring_name("stress");
	char *pre[5];
	char out[OUT_MAX];
	int n = 0;
	uint64_t producers;

	if (count) {
		pre[n++] = "--count";
		pre[n++] = (char *)count;
	}
	if (duration) {
		pre[n++] = "--duration";
		pre[n++] = (char *)duration;
	}
	pre[n] = NULL;
	check_verdict_ok(run_json(kind, pre, name, extra, timeout_ms, out, sizeof(out)), out);
	producers = field(out, "producers");
	if (count) {
		uint64_t want = producers * strtoull(count, NULL, 10);

		CHECK(field(out, "sent") == want, "sent %" PRIu64 ", want %" PRIu64,
		      field(out, "sent"), want);
		CHECK(field(out, "received") == want, "received %" PRIu64 ", want %" PRIu64,
		      field(out, "received"), want);
	} else {
		CHECK(field(out, "sent") > 0, "nothing sent in a --duration run");
		CHECK(field(out, "received") == field(out, "sent"), "received != sent");
	}
	CHECK(ring_gone(name), "ring %s left behind", name);
}

/* Options for a kind with n producers and m consumers where it allows many,
 * into buf; how many (at most 4). */
static int roles(const struct kind *k, const char *n, const char *m, char **buf)
{
	int i = 0;

	if (k->multi_prod) {
		buf[i++] = "--producers";
		buf[i++] = (char *)n;
	}
	if (k->multi_cons) {
		buf[i++] = "--consumers";
		buf[i++] = (char *)m;
	}
	return i;
}

/* Append the NULL-terminated list more to args (n so far) and terminate it. */
static void append(char **args, int n, char *const *more)
{
	while (*more)
		args[n++] = *more++;
	args[n] = NULL;
}

/* Run the tool with args for a usage error: exit 2, with want in what it
 * said on stderr and "too large" only when that is what is wrong. */
static void expect_usage(char *const *args, const char *want)
{
	char out[OUT_MAX], err[OUT_MAX];
	int st = run_tool(args, 10000, out, sizeof(out));

	if (test_read_file(err_path, err, sizeof(err)) < 0)
		err[0] = '\0';
	CHECK(st == 2, "stress %s %s: exit %d, not 2 (usage)", args[0], args[1], st);
	CHECK(strstr(err, want) != NULL, "stress %s %s: \"%s\" not in: %s", args[0], args[1],
	      want, err);
	if (!strstr(want, "too large"))
		CHECK(strstr(err, "too large") == NULL, "stress %s %s: said \"too large\": %s",
		      args[0], args[1], err);
}

static void scenario_kinds(void)
{
	static const char *const waits[] = {"spin", "yield", "park"};
	const char *rich = kinds[0].name;

	for (int i = 0; i < nkinds; i++) {
		expect_clean(kinds[i].name, "3000", NULL, NULL, 90000);
		if (kinds[i].multi_prod && kinds[i].multi_cons)
			rich = kinds[i].name;
	}
	/* Each wait strategy on the kind with the most roles available. */
	for (size_t w = 0; w < sizeof(waits) / sizeof(waits[0]); w++) {
		char *extra[] = {"--wait", (char *)waits[w], NULL};

		expect_clean(rich, "1000", NULL, extra, 90000);
	}
	expect_clean(rich, NULL, "1", NULL, 60000);

	/* A single-role kind says so, as a usage error. */
	for (int i = 0; i < nkinds; i++) {
		char *p2[] = {"--kind", kinds[i].name, "--producers", "2", "--count", "10", NULL};
		char *c2[] = {"--kind", kinds[i].name, "--consumers", "2", "--count", "10", NULL};
		char out[OUT_MAX];

		if (!kinds[i].multi_prod)
			CHECK(run_tool(p2, 10000, out, sizeof(out)) == 2,
			      "%s accepted 2 producers", kinds[i].name);
		if (!kinds[i].multi_cons)
			CHECK(run_tool(c2, 10000, out, sizeof(out)) == 2,
			      "%s accepted 2 consumers", kinds[i].name);
	}
	/*
	 * What the ring cannot be is a usage error said before anything is
	 * forked: more processes of a shared role than the participant table
	 * holds (each one past it failed the run, "the ring's participant
	 * table is full"), a record area too small for two records or a
	 * capacity past the most (exit 1, "invalid argument"), a --name the
	 * processes cannot open (memfd: ran into "no such ring") or a
	 * malformed one; and 0 seconds is not "too large".
	 */
	{
		static const char *const cases[][10] = {
			{"--producers", "62", "--consumers", "2", "--count", "1", "room for 62"},
			{"--sweep", "1,64", "--count", "1", "room for 62"},
			{"--kind", "msg", "--capacity", "64", "--count", "1", "two of its largest"},
			{"--capacity", "2g", "--count", "1", "at most"},
			{"--name", "memfd:x", "--count", "1", "by its name"},
			{"--name", "unix:/tmp/x", "--count", "1", "socket channel"},
			{"--name", "noslash", "--count", "1", "starts with '/'"},
			{"--duration", "0", "positive number of seconds"},
			{"--stall", "0", "--count", "1", "positive number of seconds"},
			{"--stop-for", "0", "--count", "1", "positive number of seconds"},
			/* A timeout the run cannot end within: its kills were
			 * reported as the ring's losses (exit 1, FAIL). */
			{"--duration", "2", "--timeout", "1", "longer than --duration (2 s)"},
			{"--duration", "1", "--timeout", "1", "longer than --duration (1 s)"},
			{"--timeout", "3", "longer than the default --duration (5 s)"},
			{"--duration", "1", "--stop", "1", "--timeout", "3",
			 "longer than --duration plus --stop-for (3 s)"},
			{"--count", "1000", "--stop", "1", "--stop-for", "4", "--timeout", "4",
			 "longer than --stop-for (4 s)"},
			/* Counts whose total wrapped ("sent 757602 of 0"). */
			{"--producers", "16", "--count", "1152921504606846976", "--duration", "1",
			 "more than 2^64 - 1 messages in all (too large)"},
			{"--sweep", "1,2", "--count", "0x8000000000000000", "--duration", "1",
			 "x 2 producers is more than 2^64 - 1 messages in all (too large)"},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char *args[10];
			int n = 0;

			while (n < 9 && cases[i][n + 1])
				args[n] = (char *)cases[i][n], n++;
			args[n] = NULL;
			expect_usage(args, cases[i][n]);
		}
	}
	/* A --sweep list with an item left out is a usage error, not a
	 * shorter sweep; an item with a sign or a space is one too, as for
	 * --producers. */
	{
		static const char *const sweeps[] = {"1,", "1,,2", ",1", "", " 3", "+3", "1, 2",
						     "2 ", "-1", "1,+2"};

		for (size_t i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++) {
			char *args[] = {"--sweep", (char *)sweeps[i], "--count", "10", NULL};
			char out[OUT_MAX];

			CHECK(run_tool(args, 10000, out, sizeof(out)) == 2,
			      "--sweep '%s' was not a usage error", sweeps[i]);
		}
	}
}

static void scenario_oversub(void)
{
	static const char *const waits[] = {"park", "adaptive"};
	int ran = 0;

	for (int i = 0; i < nkinds; i++) {
		if (!kinds[i].multi_prod && !kinds[i].multi_cons)
			continue;
		for (size_t w = 0; w < sizeof(waits) / sizeof(waits[0]); w++) {
			char *extra[12];

			append(extra, roles(&kinds[i], "16", "4", extra),
			       (char *[]){"--wait", (char *)waits[w], NULL});
			expect_clean(kinds[i].name, "5000", NULL, extra, 120000);
			ran++;
		}
	}
	if (!ran)
		test_skip("no kind with many producers or consumers is available yet");
}

static void scenario_inject(void)
{
	static const struct {
		const char *fault, *counter;
	} faults[] = {
		{"lose", "lost"},
		{"dup", "duplicated"},
		{"reorder", "out_of_order"},
		{"tear", "torn"},
	};
	static const char *const counters[] = {"lost", "duplicated", "out_of_order", "torn",
					       "invalid"};

	for (int i = 0; i < nkinds; i++) {
		for (size_t f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
			const char *name = test_ring_name("inject");
			char *args[] = {"--kind", kinds[i].name, "--count", "2000",
					"--inject", (char *)faults[f].fault, "--json",
					"--quiet", "--seed", "42", "--name", (char *)name, NULL};
			char out[OUT_MAX];
			int st;

			printf("stress --kind %s --count 2000 --inject %s\n", kinds[i].name,
			       faults[f].fault);
			st = run_tool(args, 90000, out, sizeof(out));
			printf("  -> exit %d: %s", st, out);
			CHECK(st == 1, "--inject %s on %s: exit %d, want 1", faults[f].fault,
			      kinds[i].name, st);
			CHECK(!json_true(out, "ok"), "verdict ok despite --inject");
			CHECK(json_true(out, "injected"), "the fault was never made");
			/* Exactly the injected fault, once, and nothing else. */
			for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++)
				CHECK(field(out, counters[c]) ==
					      (strcmp(counters[c], faults[f].counter) ? 0u : 1u),
				      "--inject %s on %s: %s = %" PRIu64, faults[f].fault,
				      kinds[i].name, counters[c], field(out, counters[c]));
			CHECK(ring_gone(name), "ring %s left behind after a failed run", name);
		}
	}
	/* The largest count one producer may have: reorder holds a message
	 * from the first half of it, which wrapped to nothing. */
	{
		const char *name = test_ring_name("inject");
		char *args[] = {"--kind", kinds[0].name, "--producers", "1", "--consumers", "1",
				"--count", "18446744073709551615", "--duration", "1",
				"--inject", "reorder", "--json", "--quiet", "--name", (char *)name,
				NULL};
		char out[OUT_MAX];
		int st = run_tool(args, 60000, out, sizeof(out));

		printf("stress --kind %s --count 2^64 - 1 --duration 1 --inject reorder\n"
		       "  -> exit %d: %s", kinds[0].name, st, out);
		CHECK(st == 1 && json_true(out, "injected") && field(out, "out_of_order") == 1,
		      "--inject reorder with --count 2^64 - 1: exit %d", st);
		CHECK(ring_gone(name), "ring %s left behind after a failed run", name);
	}
}

/*
 * Start the run argv on name (in its own process group when group), signal
 * it (or its group) once it is under way, and check that it ended as an
 * interrupt: exit 130, clean, its ring removed.
 */
static void interrupted_run(char *const argv[], const char *name, bool group, int sig)
{
	char out[OUT_MAX];
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if ((group && setsid() < 0) || fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	CHECK(run_under_way(name), "the run on %s never sent", name);
	kill(group ? -pid : pid, sig);
	st = test_wait_pid(pid, 30000 * TEST_SLOWDOWN);
	test_read_file(out_path, out, sizeof(out));
	printf("  -> exit %d: %s", st, out);
	CHECK(st == 130, "exit %d after %s, want 130", st, strsignal(sig));
	CHECK(json_true(out, "interrupted"), "not marked interrupted");
	CHECK(field(out, "lost") == 0 && field(out, "duplicated") == 0, "violations");
	CHECK(field(out, "sent") > 0 && field(out, "received") == field(out, "sent"),
	      "sent/received");
	CHECK(ring_gone(name), "ring %s left behind after %s", name, strsignal(sig));
}

static void scenario_signal(void)
{
	const char *name = test_ring_name("sigint");
	char *argv[] = {tool, "stress", "--kind", kinds[nkinds - 1].name, "--duration", "60",
			"--json", "--quiet", "--name", (char *)name, NULL};

	printf("stress --kind %s --duration 60, SIGINT once under way\n", kinds[nkinds - 1].name);
	interrupted_run(argv, name, false, SIGINT);
}

/*
 * SIGTERM to the whole process group (timeout(1), kill -TERM -PGID, a service
 * manager's stop) ends the run as SIGINT does: exit 130, clean. Its
 * children took the signal's default and died of it, and the run blamed
 * the ring ("consumer 0 was killed by signal 15", messages lost).
 */
static void scenario_group_term(void)
{
	const char *name = test_ring_name("groupterm");
	char *argv[] = {tool, "stress", "--kind", "mpmc", "--producers", "2", "--consumers", "2",
			"--duration", "60", "--json", "--quiet", "--name", (char *)name, NULL};

	printf("stress --kind mpmc --duration 60 in its own process group, SIGTERM to the group\n");
	interrupted_run(argv, name, true, SIGTERM);
}

/*
 * A run with --name SIGKILLed mid-run cannot remove its ring (its children
 * die with it): a run on the same name replaces the stale ring and passes,
 * with no cleanup in between.
 */
static void scenario_killed_restart(void)
{
	const char *name = test_ring_name("killed");
	char *argv[] = {tool,      "stress",      "--kind",     "mpmc",       "--producers",
	                "2",       "--consumers", "2",          "--duration", "60",
	                "--quiet", "--name",      (char *)name, NULL};
	char *pre[] = {"--producers", "2", "--consumers", "2", "--count", "2000", NULL};
	char out[OUT_MAX];
	pid_t pid;
	int st;

	printf("stress --name %s SIGKILLed under way, then run again on the name\n", name);
	pid = test_spawn(argv, out_path, err_path);
	CHECK(pid > 0, "spawn");
	CHECK(run_under_way(name), "the run on %s never sent", name);
	kill(pid, SIGKILL);
	st = test_wait_pid(pid, 30000 * TEST_SLOWDOWN);
	CHECK(!ring_gone(name), "no ring left by the killed run (exit %d)", st);
	CHECK(participants_gone(name), "the killed run's children live on"); /* they die with it */
	check_verdict_ok(run_json("mpmc", pre, name, NULL, 60000, out, sizeof(out)), out);
	CHECK(field(out, "received") == 4000, "received %" PRIu64 ", want 4000",
	      field(out, "received"));
	CHECK(ring_gone(name), "ring %s left behind", name);
}

/*
 * The reader of the progress lines goes away mid-run (`shmring stress |
 * head -2`): the next progress line ends the run as an interrupt does, the
 * ring is removed, and the tool exits 130, as an interrupted run (its
 * report cannot be written): within seconds, not at the end of its 60 s.
 */
static void scenario_pipe_closed(void)
{
	const char *name = test_ring_name("sigpipe");
	char *argv[] = {tool,	  "stress", "--kind", kinds[nkinds - 1].name, "--duration", "60",
			"--name", (char *)name, NULL};
	uint64_t t0 = test_now_ns(), until = t0 + 20000000000ull * TEST_SLOWDOWN;
	char got[4096];
	size_t len = 0;
	int p[2], st;
	pid_t pid;

	printf("stress --kind %s --duration 60, its output's reader gone after a progress line\n",
	       kinds[nkinds - 1].name);
	CHECK(pipe(p) == 0, "pipe");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDOUT_FILENO) < 0 || dup2(p[1], STDERR_FILENO) < 0)
			_exit(126);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	CHECK(pid > 0, "fork");
	close(p[1]);
	/* Until a progress line shows the run under way (its ring created). */
	got[0] = 0;
	while (!strstr(got, " sent ") && len + 1 < sizeof(got) && test_now_ns() < until) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(p[0], got + len, sizeof(got) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		got[len] = 0;
	}
	CHECK(strstr(got, " sent "), "no progress line came: %s", got);
	CHECK(!ring_gone(name), "ring %s not there while the run goes on", name);
	close(p[0]);
	st = test_wait_pid(pid, 30000 * TEST_SLOWDOWN);
	printf("  -> exit %d after %.1f s\n", st, (double)(test_now_ns() - t0) / 1e9);
	CHECK(st == 130, "exit %d with its output's reader gone, want 130", st);
	CHECK(ring_gone(name), "ring %s left behind with its output's reader gone", name);
}

/*
 * Another process truncates the ring's segment mid-run, so every read past
 * its new end raises SIGBUS: the run stops within seconds, fails (exit 1,
 * "shrank" in the summary), says so once (its children say nothing) and
 * removes the ring.
 */
static void scenario_shrink(void)
{
	const char *name = test_ring_name("shrink");
	char *argv[] = {tool,	  "stress", "--kind", "mpmc", "--producers", "4", "--duration",
			"60", "--json", "--quiet", "--name", (char *)name, NULL};
	char out[OUT_MAX], err[OUT_MAX], seg[256];
	uint64_t t0;
	pid_t pid;
	int st;

	printf("stress --kind mpmc --duration 60, its segment truncated once under way\n");
	snprintf(seg, sizeof(seg), "/dev/shm%s", name);
	pid = test_spawn(argv, out_path, err_path);
	CHECK(pid > 0, "spawn");
	CHECK(run_under_way(name), "the run on %s never sent", name);
	t0 = test_now_ns();
	CHECK(truncate(seg, 4096) == 0, "truncate %s: %s", seg, strerror(errno));
	st = test_wait_pid(pid, 30000 * TEST_SLOWDOWN);
	test_read_file(out_path, out, sizeof(out));
	if (test_read_file(err_path, err, sizeof(err)) < 0)
		err[0] = '\0';
	printf("  -> exit %d after %.1f s: %s", st, (double)(test_now_ns() - t0) / 1e9, out);
	CHECK(st == 1, "exit %d after the segment shrank, want 1", st);
	CHECK(json_true(out, "shrank"), "not marked shrank");
	CHECK(strstr(out, "segment shrank"), "the summary does not say the segment shrank");
	CHECK(!strstr(err, "shrank"), "a child reported the shrink itself: %s", err);
	CHECK(ring_gone(name), "ring %s left behind after its segment shrank", name);
}

/*
 * A run with faults: exit 0 and a clean verdict, every planned fault made
 * or reported as not made, and the accounting closed: what was sent was
 * verified or dropped with a dead consumer's claim.
 */
static void expect_faults(const char *kind, char *const *extra, bool kills, unsigned want)
{
	const char *name = test_ring_name("fault");
	char out[OUT_MAX];

	check_verdict_ok(
	    run_json(kind, NULL, name, extra, 120000 * TEST_SLOWDOWN, out, sizeof(out)), out);
	CHECK(field(out, "repair_mismatch") == 0, "repairs do not match the losses");
	CHECK(field(out, "live_repaired") == 0, "a live process's claim was repaired");
	CHECK(field(out, "drain_gave_up") == 0, "a consumer gave up draining");
	CHECK(json_true(out, "ring_counts"), "the ring's repair counts were not read");
	CHECK(field(out, "sent") > 0, "nothing sent");
	if (kills) {
		CHECK(field(out, "killed") + field(out, "faults_missed") == want,
		      "killed %" PRIu64 " + missed %" PRIu64 ", want %u", field(out, "killed"),
		      field(out, "faults_missed"), want);
		CHECK(field(out, "killed") >= 1, "nothing was killed");
		CHECK(field(out, "recorded") + field(out, "dropped") == field(out, "sent"),
		      "recorded %" PRIu64 " + dropped %" PRIu64 " != sent %" PRIu64,
		      field(out, "recorded"), field(out, "dropped"), field(out, "sent"));
		/* Each dropped message went with the claim of a consumer
		 * killed in a receive: one at most each. */
		CHECK(field(out, "dropped") <= field(out, "died_receiving"),
		      "dropped %" PRIu64 " with %" PRIu64 " consumers killed in a receive",
		      field(out, "dropped"), field(out, "died_receiving"));
	} else {
		CHECK(field(out, "stopped") + field(out, "faults_missed") == want,
		      "stopped %" PRIu64 " + missed %" PRIu64 ", want %u", field(out, "stopped"),
		      field(out, "faults_missed"), want);
		CHECK(field(out, "stopped") >= 1, "nothing was stopped");
		CHECK(field(out, "received") == field(out, "sent"), "received != sent");
		CHECK(field(out, "prod_repairs") == 0 && field(out, "cons_repairs") == 0,
		      "a stopped process's claim was repaired");
	}
	CHECK(json_u64(out, "longest_gap_ns", &(uint64_t){0}), "no longest_gap_ns");
	CHECK(json_u64(out, "stall_max_ns", &(uint64_t){0}), "no stall_max_ns");
	/* At most every consumer that ran (replacements of killed ones too). */
	CHECK(field(out, "end_of_stream") <=
		  field(out, "consumers") + field(out, "killed_consumers"),
	      "end_of_stream %" PRIu64 " above the consumers that ran",
	      field(out, "end_of_stream"));
	CHECK(ring_gone(name), "ring %s left behind", name);
}

static void scenario_kill(void)
{
	for (int i = 0; i < nkinds; i++) {
		char *extra[20];

		/* Small rings wrap often, so dead consumers' claims get in the
		 * producers' way and are repaired during the run. */
		append(extra, roles(&kinds[i], "4", "2", extra),
		       (char *[]){"--duration", "2", "--kill", "2", "--victims", "both",
				  "--recovery-ms", "5", "--stall", "5", NULL});
		expect_faults(kinds[i].name, extra, true, 2);
		if (kinds[i].multi_prod) {
			/* Many producers, three of them killed mid-send. */
			char *more[] = {"--producers", "8", "--duration", "2", "--kill", "3",
					"--recovery-ms", "5", "--stall", "5", NULL};

			expect_faults(kinds[i].name, more, true, 3);
		}
	}
}

static void scenario_stop(void)
{
	for (int i = 0; i < nkinds; i++) {
		char *extra[20];

		append(extra, roles(&kinds[i], "4", "2", extra),
		       (char *[]){"--duration", "2", "--stop", "2", "--victims", "both",
				  "--stop-for", "0.5", "--recovery-ms", "1", NULL});
		expect_faults(kinds[i].name, extra, false, 2);
	}
}

static void scenario_long(void)
{
	for (int i = 0; i < nkinds; i++) {
		expect_clean(kinds[i].name, NULL, "4", NULL, 120000);
		if (kinds[i].multi_prod || kinds[i].multi_cons) {
			char *extra[12];

			append(extra, roles(&kinds[i], "16", "4", extra),
			       (char *[]){"--wait", "park", NULL});
			expect_clean(kinds[i].name, NULL, "4", extra, 120000);
		}
	}
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "kinds";

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_build_tool("shmring", tool, sizeof(tool));
	snprintf(out_path, sizeof(out_path), "/tmp/shmt-stress-%d.out", (int)getpid());
	snprintf(err_path, sizeof(err_path), "/tmp/shmt-stress-%d.err", (int)getpid());
	load_kinds();
	if (!strcmp(what, "kinds"))
		scenario_kinds();
	else if (!strcmp(what, "oversub"))
		scenario_oversub();
	else if (!strcmp(what, "inject"))
		scenario_inject();
	else if (!strcmp(what, "signal")) {
		scenario_signal();
		scenario_group_term();
		scenario_pipe_closed();
		scenario_shrink();
		scenario_killed_restart();
	}
	else if (!strcmp(what, "long"))
		scenario_long();
	else if (!strcmp(what, "kill"))
		scenario_kill();
	else if (!strcmp(what, "stop"))
		scenario_stop();
	else {
		printf("unknown scenario '%s'\n", what);
		return 1;
	}
	unlink(out_path);
	unlink(err_path);
	printf("%s: %s\n", what, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
