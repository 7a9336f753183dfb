/* SPDX-License-Identifier: MIT */
/*
 * tests/test_bench_json.c - `shmring bench` as a user runs it: --json parses
 * (with a small JSON reader below, no dependency) and every result object
 * has every documented key; --csv has one column per key on every line; the
 * floor and the busy-poll SPSC ring are measured; every ratio between two
 * mechanisms names the one placement it was taken in, or says it is unknown;
 * usage errors exit 2. The same for `--scaling`: its JSON keys, which rows it
 * makes, its CSV.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "src/internal.h"

static const char *const keys[] = {
	"mechanism", "description", "test", "size", "row", "status", "reason", "samples",
	"rtt_p50_ns", "rtt_p90_ns", "rtt_p99_ns", "rtt_p999_ns", "rtt_max_ns", "rtt_mean_ns",
	"answer_delay_ns", "msgs_per_s", "mb_per_s", "cpu_ns_per_msg", "floor_ns", "floor_before_ns",
	"floor_after_ns", "floor_plain_ns", "floor_plain_before_ns", "floor_plain_after_ns",
	"x_floor", "x_floor_plain", "placement", "floor_moved", "retried", "versus", "ratio",
	"versus_rtt_p50_ns", "versus_msgs_per_s", "figures", "versus_figures", "rounds",
	"cpu_client", "cpu_server", "hist_precision", "machine_cpu", "machine_kernel",
	"machine_compiler", "machine_commit",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char tool[4096];

static int setup(void **state)
{
	const char *dir = getenv("SHMRING_BUILD_DIR");

	(void)state;
	if (!dir) {
		printf("SKIP: SHMRING_BUILD_DIR is not set (run through ctest)\n");
		exit(77);
	}
	snprintf(tool, sizeof(tool), "%s/shmring", dir);
	if (access(tool, X_OK) != 0) {
		printf("SKIP: %s is not built\n", tool);
		exit(77);
	}
	return 0;
}

/* Run the tool with args; its stdout in a malloc'd string; exit status out. */
static char *run_tool(const char *args, int *status)
{
	char cmd[8192];
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	FILE *p;

	assert_non_null(out);
	snprintf(cmd, sizeof(cmd), "'%s' bench %s 2>/dev/null", tool, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	for (;;) {
		if (len + 4096 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		size_t n = fread(out + len, 1, 4096, p);
		if (n == 0)
			break;
		len += n;
	}
	out[len] = 0;
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (*status != 0) {
		/* Say which figures failed, for the log of a failed run. */
		for (char *line = out, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (!nl)
				nl = line + strlen(line) - 1;
			if (memmem(line, (size_t)(nl - line + 1), "failed", 6))
				fprintf(stderr, "bench %s: %.*s\n", args, (int)(nl - line), line);
		}
	}
	return out;
}

/* The tool with args exits 0, and its output has `has` and lacks `lacks`. */
static void tool_shows(const char *args, const char *has, const char *lacks)
{
	int status;
	char *out = run_tool(args, &status);

	assert_int_equal(status, 0);
	assert_non_null(strstr(out, has));
	assert_null(strstr(out, lacks));
	free(out);
}

/* Run the tool with args for a usage error: its exit status, and whether it
 * said why on stderr (a usage error must never be silent). */
static int run_usage_error(const char *args, bool *said)
{
	char cmd[8192], buf[4096];
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' bench %s 2>&1 >/dev/null", tool, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	*said = fread(buf, 1, sizeof(buf), p) > 0;
	while (fread(buf, 1, sizeof(buf), p) > 0)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ------------------------------------------------- a small JSON reader */

struct obj {
	char keys[64][32];
	char val[64][128]; /* strings unquoted; numbers, true/false/null as text */
	unsigned n;
};

struct reader {
	const char *p;
	struct obj objs[512];
	unsigned nobjs;
};

static void ws(struct reader *r)
{
	while (isspace((unsigned char)*r->p))
		r->p++;
}

static int string(struct reader *r, char *out, size_t cap)
{
	size_t n = 0;

	if (*r->p != '"')
		return -1;
	r->p++;
	while (*r->p && *r->p != '"') {
		char c = *r->p++;

		if (c == '\\') {
			c = *r->p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++)
					if (!isxdigit((unsigned char)*r->p++))
						return -1;
				c = '?';
			} else if (!strchr("\"\\/bfnrt", c)) {
				return -1;
			}
		} else if ((unsigned char)c < 0x20) {
			return -1;
		}
		if (out && n + 1 < cap)
			out[n++] = c;
	}
	if (*r->p != '"')
		return -1;
	r->p++;
	if (out)
		out[n] = 0;
	return 0;
}

static int scalar(struct reader *r, char *out, size_t cap)
{
	const char *s = r->p;

	if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4))
		r->p += 4;
	else if (!strncmp(s, "false", 5))
		r->p += 5;
	else {
		char *end;

		strtod(s, &end);
		if (end == s || !(isdigit((unsigned char)*s) || *s == '-'))
			return -1;
		r->p = end;
	}
	snprintf(out, cap, "%.*s", (int)(r->p - s), s);
	return 0;
}

/* The results are an array of flat objects: that is all this reads. */
static int object(struct reader *r, struct obj *o)
{
	if (*r->p != '{')
		return -1;
	r->p++;
	ws(r);
	if (*r->p == '}') {
		r->p++;
		return 0;
	}
	for (;;) {
		if (o->n == 64)
			return -1;
		ws(r);
		if (string(r, o->keys[o->n], sizeof(o->keys[0])))
			return -1;
		ws(r);
		if (*r->p++ != ':')
			return -1;
		ws(r);
		int rc = *r->p == '"' ? string(r, o->val[o->n], sizeof(o->val[0]))
				      : scalar(r, o->val[o->n], sizeof(o->val[0]));
		if (rc)
			return -1;
		o->n++;
		ws(r);
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p++ != '}')
			return -1;
		return 0;
	}
}

static int parse(struct reader *r, const char *text)
{
	r->p = text;
	r->nobjs = 0;
	ws(r);
	if (*r->p++ != '[')
		return -1;
	ws(r);
	if (*r->p == ']') {
		r->p++;
	} else {
		for (;;) {
			ws(r);
			if (r->nobjs == 512)
				return -1;
			memset(&r->objs[r->nobjs], 0, sizeof(r->objs[0]));
			if (object(r, &r->objs[r->nobjs++]))
				return -1;
			ws(r);
			if (*r->p == ',') {
				r->p++;
				continue;
			}
			if (*r->p++ != ']')
				return -1;
			break;
		}
	}
	ws(r);
	return *r->p ? -1 : 0;
}

static const char *get(const struct obj *o, const char *key)
{
	for (unsigned i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return o->val[i];
	return NULL;
}

/* ------------------------------------------------------------- tests */

static struct reader rd;

/* Run the tool, which must succeed; its output is the caller's to free. */
static char *run_ok(const char *args)
{
	int status;
	char *out = run_tool(args, &status);

	assert_int_equal(status, 0);
	return out;
}

/* As run_ok(), and parse its JSON into rd (which points into the text). */
static char *run_json(const char *args)
{
	char *out = run_ok(args);

	if (parse(&rd, out) != 0) {
		print_error("not JSON near: %.80s\n", rd.p);
		fail();
	}
	return out;
}

static void test_reader_itself(void **state)
{
	(void)state;
	assert_int_equal(parse(&rd, "[{\"a\": 1, \"b\": \"x\\\"y\", \"c\": null}]"), 0);
	assert_string_equal(get(&rd.objs[0], "b"), "x\"y");
	assert_int_not_equal(parse(&rd, "[{\"a\": 1,}]"), 0);
	assert_int_not_equal(parse(&rd, "[{\"a\": 1}"), 0);
	assert_int_not_equal(parse(&rd, "[{\"a\": nul}]"), 0);
}

/* A ratio row: taken in one placement, with both medians and the figures
 * behind them, or unknown with nothing but the reason. Never a timing. */
static void check_ratio_row(const struct obj *o)
{
	const char *st = get(o, "status"), *pl = get(o, "placement");

	assert_string_not_equal(get(o, "versus"), "null");
	assert_true(strtod(get(o, "rounds"), NULL) >= 1);
	if (!strcmp(st, "ok")) {
		assert_true(!strcmp(pl, "near") || !strcmp(pl, "far"));
		assert_string_not_equal(get(o, "ratio"), "null");
		assert_true(strtod(get(o, "figures"), NULL) >= 1);
		assert_true(strtod(get(o, "versus_figures"), NULL) >= 1);
		assert_string_not_equal(get(o, "floor_plain_ns"), "null");
		if (!strcmp(get(o, "test"), "rtt"))
			assert_string_not_equal(get(o, "versus_rtt_p50_ns"), "null");
		else
			assert_string_not_equal(get(o, "versus_msgs_per_s"), "null");
	} else {
		if (strcmp(st, "unknown") || strcmp(pl, "null") || strcmp(get(o, "ratio"), "null") ||
		    !strstr(get(o, "reason"), "placement changed")) {
			print_error("ratio %s / %s %s %s B: status %s, placement %s, ratio %s, "
				    "reason: %s\n", get(o, "mechanism"), get(o, "versus"),
				    get(o, "test"), get(o, "size"), st, pl, get(o, "ratio"),
				    get(o, "reason"));
			fail();
		}
	}
	/* Ratios are not figures: no percentiles, no floors of their own. */
	assert_string_equal(get(o, "rtt_p99_ns"), "null");
	assert_string_equal(get(o, "x_floor"), "null");
	assert_string_equal(get(o, "floor_moved"), "null");
}

static void test_json(void **state)
{
	/* One round a ratio: a row of either status (ok where A and B fell in
	 * one placement, else unknown), which is what this test reads; the
	 * rounds are test_table_ratios'. */
	char *out = run_json("--duration 5 --sizes 8,64 --no-retry --ratio-rounds 1 --json");
	bool floor_ok = false, spsc_ok = false, spsc_tput = false;
	unsigned block_futex = 0, spsc_pipe = 0;

	(void)state;
	assert_true(rd.nobjs >= 10);
	for (unsigned i = 0; i < rd.nobjs; i++) {
		const struct obj *o = &rd.objs[i];

		for (size_t k = 0; k < NKEYS; k++) {
			if (!get(o, keys[k])) {
				print_error("object %u (%s) has no key %s\n", i,
					    get(o, "mechanism") ? get(o, "mechanism") : "?", keys[k]);
				fail();
			}
		}
		const char *mech = get(o, "mechanism"), *st = get(o, "status");
		const char *test = get(o, "test");

		if (!strcmp(get(o, "row"), "ratio")) {
			check_ratio_row(o);
			block_futex += !strcmp(mech, "shmring-spsc-block") &&
				       !strcmp(get(o, "versus"), "futex");
			spsc_pipe += !strcmp(mech, "shmring-spsc") && !strcmp(get(o, "versus"), "pipe");
			continue;
		}
		assert_string_equal(get(o, "row"), "figure");
		assert_string_equal(get(o, "versus"), "null");
		assert_string_equal(get(o, "ratio"), "null");
		assert_true(!strcmp(st, "ok") || !strcmp(st, "skipped"));
		if (!strcmp(st, "ok") && !strcmp(test, "rtt")) {
			assert_string_not_equal(get(o, "rtt_p50_ns"), "null");
			assert_string_not_equal(get(o, "rtt_p99_ns"), "null");
			assert_string_not_equal(get(o, "rtt_p999_ns"), "null");
			assert_string_equal(get(o, "msgs_per_s"), "null");
		}
		/* A figure over its floor only when the floors agree on a placement. */
		if (!strcmp(st, "ok") && !strcmp(get(o, "placement"), "moved"))
			assert_string_equal(get(o, "x_floor"), "null");
		else if (!strcmp(st, "ok") && !strcmp(test, "rtt"))
			assert_string_not_equal(get(o, "x_floor"), "null");
		if (!strcmp(st, "ok") && !strcmp(test, "throughput"))
			assert_true(strtod(get(o, "msgs_per_s"), NULL) > 0);
		if (!strcmp(st, "skipped"))
			assert_string_not_equal(get(o, "reason"), "null");
		floor_ok |= !strcmp(mech, "floor") && !strcmp(st, "ok");
		spsc_ok |= !strcmp(mech, "shmring-spsc") && !strcmp(st, "ok") &&
			   !strcmp(test, "rtt");
		spsc_tput |= !strcmp(mech, "shmring-spsc") && !strcmp(st, "ok") &&
			     !strcmp(test, "throughput") && !strcmp(get(o, "size"), "8");
	}
	assert_true(floor_ok);
	assert_true(spsc_ok);
	assert_true(spsc_tput);
	/* Both tests at both sizes, known or not. */
	assert_int_equal(block_futex, 4);
	assert_int_equal(spsc_pipe, 4);
	free(out);
}

/* The readable table: every ratio line names its placement or says it is
 * unknown; none is printed between the figure tables. */
static void test_table_ratios(void **state)
{
	int status;
	char *out = run_tool("--duration 5 --sizes 8 --no-retry --ratio-rounds 3 "
			     "--only floor,shmring-spsc,shmring-spsc-block,futex,pipe",
			     &status);
	const char *sec, *line, *end;
	unsigned ratios = 0;

	(void)state;
	assert_int_equal(status, 0);
	assert_null(strstr(out, "x pipe"));
	/* The timer line names the timer; a counter's least step, above zero. */
	line = strstr(out, "\ntimer: ");
	assert_non_null(line);
	if (strncmp(line, "\ntimer: TSC", 11) == 0) {
		const char *step = strstr(line, "read in steps of ");

		end = strchr(line + 1, '\n');
		assert_true(step != NULL && end != NULL && step < end);
		assert_true(strtod(step + strlen("read in steps of "), NULL) > 0);
	}
	sec = strstr(out, "\nRatios");
	assert_non_null(sec);
	/* The section runs to the first empty line; its rows start with the test. */
	for (line = sec + 1; *line && *line != '\n'; line = *end ? end + 1 : end) {
		char row[512];

		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		snprintf(row, sizeof(row), "%.*s", (int)(end - line), line);
		if (strncmp(row, "  round trip", 12) != 0 && strncmp(row, "  throughput", 12) != 0)
			continue;
		ratios++;
		/* "near (...)", "far (...)" or "unknown (placement changed)" */
		if (!strstr(row, " near") && !strstr(row, " far") &&
		    !strstr(row, "unknown (placement changed)")) {
			print_error("a ratio with no placement: %s\n", row);
			fail();
		}
	}
	/* x floor and x bare of shmring-spsc, then block/futex and spsc/pipe in
	 * both tests. */
	assert_int_equal(ratios, 2 + 4);
	free(out);
	/* One kind of figure asked for: the other table is left out, not
	 * printed empty. */
	tool_shows("--duration 1 --sizes 8 --no-retry --only floor --rtt-only",
		   "\nRound trip, two processes", "One-way throughput");
	tool_shows("--duration 1 --sizes 8 --no-retry --only pipe --tput-only",
		   "\nOne-way throughput, two processes", "Round trip, two processes");
	free(run_tool("--ratio-rounds 99", &status));
	assert_int_equal(status, 2);
	free(run_tool("--scaling --ratio-rounds 2", &status));
	assert_int_equal(status, 2);
}

static void test_csv(void **state)
{
	int status;
	char *out = run_tool("--duration 5 --sizes 8 --only floor,pipe,shmring-spsc --csv", &status);
	unsigned lines = 0;

	(void)state;
	assert_int_equal(status, 0);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned cols = 1;
		bool quoted = false;

		for (char *c = line; *c; c++) {
			if (*c == '"')
				quoted = !quoted;
			else if (*c == ',' && !quoted)
				cols++;
		}
		assert_int_equal(cols, NKEYS);
		if (lines == 0)
			assert_true(!strncmp(line, "mechanism,description,test,size", 31));
		lines++;
	}
	/* floor rtt, floor tput (skipped), pipe x2, ring x2, the ring against
	 * the pipe in both tests, plus the header */
	assert_int_equal(lines, 9);
	free(out);
}

static const char *const scale_keys[] = {
	"mechanism", "description", "test", "wait", "peer", "size", "producers", "consumers",
	"status", "reason", "stalled", "msgs", "sent", "window_s", "msgs_per_s", "mb_per_s",
	"cpu_ns_per_msg", "min_share", "x_one_producer", "x_best_peer", "best_peer", "floor_ns",
	"floor_before_ns", "floor_after_ns", "floor_plain_ns", "floor_plain_before_ns",
	"floor_plain_after_ns", "placement", "floor_moved", "retried", "pinning", "cpu_a",
	"cpu_b", "machine_cpu", "machine_kernel", "machine_compiler", "machine_commit",
};
#define NSCALE_KEYS (sizeof(scale_keys) / sizeof(scale_keys[0]))

static void test_scaling_json(void **state)
{
	int status;
	char *out = run_json("--scaling --producers 1,3 --consumers 1,2 --sizes 8 --duration 5 "
			     "--msg-sizes 64,4K --msg-producers 1,2 --no-retry --json "
			     "--only shmring-mpsc,shmring-mpmc,shmring-mpmc-adaptive,shmring-msg");
	unsigned mpsc_2c = 0, mpmc_2c = 0, records = 0, one_x = 0;

	(void)state;
	for (unsigned i = 0; i < rd.nobjs; i++) {
		const struct obj *o = &rd.objs[i];

		for (size_t k = 0; k < NSCALE_KEYS; k++) {
			if (!get(o, scale_keys[k])) {
				print_error("object %u (%s) has no key %s\n", i,
					    get(o, "mechanism") ? get(o, "mechanism") : "?",
					    scale_keys[k]);
				fail();
			}
		}
		const char *mech = get(o, "mechanism"), *st = get(o, "status");
		const char *test = get(o, "test"), *cons = get(o, "consumers");

		/* Every shmring ring here delivers: nothing fails or is cut off. */
		assert_string_equal(st, "ok");
		assert_string_equal(get(o, "stalled"), "false");
		assert_string_not_equal(get(o, "msgs_per_s"), "null");
		assert_string_not_equal(get(o, "floor_plain_ns"), "null");
		assert_string_equal(get(o, "pinning"), "split");
		assert_string_equal(get(o, "peer"), "false");
		mpsc_2c += !strcmp(mech, "shmring-mpsc") && !strcmp(cons, "2");
		mpmc_2c += !strcmp(mech, "shmring-mpmc") && !strcmp(cons, "2");
		records += !strcmp(test, "records");
		/* Against itself: 1, or null when nothing arrived in a 5 ms window
		 * on a loaded machine (a rate of 0 has no ratio) or when its floors
		 * moved (a figure in no one placement has no ratio). */
		if (!strcmp(test, "producers") && !strcmp(get(o, "producers"), "1"))
			one_x += !strcmp(get(o, "x_one_producer"), "1") ||
				 (!strcmp(get(o, "x_one_producer"), "null") &&
				  (strtod(get(o, "msgs_per_s"), NULL) == 0 ||
				   !strcmp(get(o, "placement"), "moved")));
	}
	/* MPSC is single-consumer: no 2-consumer rows at all. */
	assert_int_equal(mpsc_2c, 0);
	assert_int_equal(mpmc_2c, 2);
	/* Two message mechanisms? Only shmring-msg selected: 2 sizes x 2 counts. */
	assert_int_equal(records, 4);
	/* 8 B: mpsc 1C, mpmc 1C+2C, mpmc-adaptive 1C+2C, msg 1C+2C. */
	assert_int_equal(rd.nobjs, 7 * 2 + 4);
	assert_int_equal(one_x, 7);
	free(out);

	/* The readable table names both parts; CSV has every key as a column. */
	out = run_ok("--scaling --producers 1,2 --consumers 1 --sizes 8 --duration 5 "
		     "--msg-sizes 64 --msg-producers 1 --no-retry --only shmring-msg");
	assert_non_null(strstr(out, "Producer scaling, 8 B messages, 1 consumer"));
	assert_non_null(strstr(out, "record-size sweep"));
	assert_non_null(strstr(out, "floor around these figures"));
	free(out);
	out = run_tool("--scaling --producers 1 --consumers 1 --sizes 8 --duration 5 "
		       "--msg-sizes none --no-retry --only shmring-mpsc --csv",
		       &status);
	assert_int_equal(status, 0);
	unsigned lines = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
		unsigned cols = 1;
		bool quoted = false;

		for (char *c = line; *c; c++) {
			if (*c == '"')
				quoted = !quoted;
			else if (*c == ',' && !quoted)
				cols++;
		}
		assert_int_equal(cols, NSCALE_KEYS);
	}
	assert_int_equal(lines, 2);
	free(out);
}

static void test_usage(void **state)
{
	int status;

	(void)state;
	free(run_tool("--help", &status));
	assert_int_equal(status, 0);
	free(run_tool("--no-such-option", &status));
	assert_int_equal(status, 2);
	free(run_tool("--only no-such-mechanism", &status));
	assert_int_equal(status, 2);
	free(run_tool("--sizes 7", &status));
	assert_int_equal(status, 2);
	free(run_tool("--json --csv", &status));
	assert_int_equal(status, 2);
	char *out = run_tool("--list", &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "shmring-spsc"));
	assert_non_null(strstr(out, "shmring-mpmc-batch"));
	free(out);
	out = run_tool("--scaling --list", &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "shmring-mpmc-adaptive"));
	free(out);
	/* --only and --skip choose what --list shows; a name not built is a
	 * usage error there as in a run. */
	tool_shows("--list --only shmring-spsc,futex", "futex", "shmring-mpmc-batch");
	tool_shows("--scaling --list --skip shmring-mpmc-adaptive", "shmring-mpmc",
		   "shmring-mpmc-adaptive");
	free(run_tool("--list --only no-such-mechanism", &status));
	assert_int_equal(status, 2);
	free(run_tool("--scaling --list --only shmring-spsc", &status));
	assert_int_equal(status, 2);
	free(run_tool("--producers 2", &status)); /* needs --scaling */
	assert_int_equal(status, 2);
	free(run_tool("--scaling --producers 0", &status));
	assert_int_equal(status, 2);
	free(run_tool("--scaling --producers 4,2", &status));
	assert_int_equal(status, 2);
	free(run_tool("--scaling --consumers 99", &status));
	assert_int_equal(status, 2);
	free(run_tool("--scaling --rtt-only", &status));
	assert_int_equal(status, 2);
	free(run_tool("--scaling --only shmring-spsc", &status));
	assert_int_equal(status, 2);
	free(run_tool("--answer-delay soon", &status));
	assert_int_equal(status, 2);
	free(run_tool("--answer-delay 2000000", &status)); /* more than 1 s */
	assert_int_equal(status, 2);
	free(run_tool("--scaling --answer-delay 20", &status));
	assert_int_equal(status, 2);
	/* An empty list or item is a usage error said, never a silent exit 2; a --plot
	 * directory that cannot be made is said at once, before any figure is
	 * measured (not after them, with exit 0). */
	static const char *const said[] = {
		"--sizes ''", "--sizes ,", "--scaling --producers ''", "--scaling --consumers ,",
		"--scaling --msg-sizes ''", "--scaling --msg-producers ''",
		/* An empty item is a usage error, not skipped: "8,,64" is a typo. */
		"--sizes 8,,64", "--sizes 8,", "--only floor,", "--scaling --producers 1,,2",
		"--plot /dev/null/plots --duration 1 --sizes 8 --only floor --rtt-only",
		"--plot /dev/null --duration 1 --sizes 8 --only floor --rtt-only",
		/* CPUs: an empty or signed item was read as CPU 0 (strtol); one
		 * CPU twice, or one this process may not run on, ran every
		 * figure into the watchdog (10 s each, then "Connection timed
		 * out" or "Invalid argument", exit 1). */
		"--cpus 1, --duration 1 --sizes 8 --only floor --rtt-only",
		"--cpus +1,0 --duration 1 --sizes 8 --only floor --rtt-only",
		"--cpus 0,0 --duration 1 --sizes 8 --only floor --rtt-only",
		"--cpus 0,1023 --duration 1 --sizes 8 --only floor --rtt-only",
		"--cpus 0,1,2 --duration 1 --sizes 8 --only floor --rtt-only",
		/* Both "only"s ran the last one given: what the other left out. */
		"--rtt-only --tput-only --duration 1 --sizes 8 --only floor",
		"--tput-only --rtt-only --duration 1 --sizes 8 --only floor",
		/* A selection with no figure of the kind asked for measured
		 * nothing, and said "all measured" (exit 0). */
		"--tput-only --duration 1 --sizes 8 --only eventfd",
	};
	for (size_t i = 0; i < sizeof(said) / sizeof(said[0]); i++) {
		bool why;

		status = run_usage_error(said[i], &why);
		if (status != 2 || !why)
			print_error("bench %s: exit %d, %s\n", said[i], status,
				    why ? "said why" : "said nothing");
		assert_int_equal(status, 2);
		assert_true(why);
	}
}

/*
 * --answer-delay: the server waits before each answer, so a window of
 * --duration holds at most duration / delay round trips (each one took at
 * least the delay); the figures say the delay they are shown less, the
 * table's header says it too. Counts, not times: no speed is asserted.
 */
static void test_answer_delay(void **state)
{
	char *out = run_json("--duration 20 --sizes 8 --rtt-only --no-retry --ratio-rounds 0 "
			     "--only futex,shmring-spsc-block --answer-delay 500 --json");
	unsigned figures = 0;

	(void)state;
	for (unsigned i = 0; i < rd.nobjs; i++) {
		const struct obj *o = &rd.objs[i];
		double samples;

		if (strcmp(get(o, "row"), "figure") || strcmp(get(o, "test"), "rtt") ||
		    strcmp(get(o, "status"), "ok"))
			continue;
		assert_string_equal(get(o, "answer_delay_ns"), "500000");
		samples = strtod(get(o, "samples"), NULL);
		print_message("%s: %.0f round trips in a 20 ms window, answers 500 us late\n",
			      get(o, "mechanism"), samples);
		/* 20 ms / 500 us = 40, and one round trip may straddle the end. */
		assert_true(samples >= 1 && samples <= 41);
		figures++;
	}
	assert_int_equal(figures, 2);
	free(out);
	out = run_ok("--duration 5 --sizes 8 --rtt-only --no-retry --ratio-rounds 0 "
		     "--only futex --answer-delay 3");
	assert_non_null(strstr(out, "the server waits 3 us before each answer"));
	free(out);
	/* Without the option, no delay is subtracted. */
	out = run_json("--duration 5 --sizes 8 --rtt-only --no-retry --ratio-rounds 0 "
		       "--only futex --json");
	for (unsigned i = 0; i < rd.nobjs; i++)
		if (!strcmp(get(&rd.objs[i], "test"), "rtt") &&
		    !strcmp(get(&rd.objs[i], "status"), "ok"))
			assert_string_equal(get(&rd.objs[i], "answer_delay_ns"), "0");
	free(out);
}

/* The System V sets of the rings named /shmring-bench-PID-* there are, up
 * to max, into ids: how many. */
static int bench_semsets(pid_t pid, int *ids, int max)
{
	char prefix[64], uri[300];
	struct dirent *e;
	int n = 0;
	DIR *d = opendir("/dev/shm");

	assert_non_null(d);
	snprintf(prefix, sizeof(prefix), "shmring-bench-%ld-", (long)pid);
	while (n < max && (e = readdir(d))) {
		shmring_t *r;

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(uri, sizeof(uri), "/%s", e->d_name);
		if (shmring_open(uri, SHMRING_OBSERVER, &r) != 0)
			continue;
		if (r->hdr.notifier == SHMRING_HDR_NOTIFY_SYSVSEM)
			ids[n++] = ((struct shmring_hdr *)shmring__map_base(r->map))->semid;
		shmring_close(r);
	}
	closedir(d);
	return n;
}

/*
 * A run interrupted (SIGINT) while rings with the System V notifier are up
 * removes their semaphore sets with them: the handler removed the segments
 * alone, and the sets (IPC_PRIVATE) stayed until reboot.
 */
static void test_interrupted_semset(void **state)
{
	struct semid_ds ds;
	int ids[4], n = 0, left = 0, st;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl(tool, "shmring", "bench", "--only", "shmring-spsc-sysvsem", "--sizes", "8",
		      "--duration", "5000", "--ratio-rounds", "0", "--rtt-only", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 400 && n == 0; i++) {
		nanosleep(&(struct timespec){.tv_nsec = 25000000}, NULL);
		n = bench_semsets(pid, ids, 4);
	}
	/* The pair's rings are made one after the other: all of them now. */
	nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
	if (n > 0)
		n = bench_semsets(pid, ids, 4);
	kill(pid, SIGINT);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (n == 0)
		fail_msg("no ring with a System V notifier seen from the bench");
	for (int i = 0; i < n; i++)
		if (semctl(ids[i], 0, IPC_STAT, &ds) == 0) {
			semctl(ids[i], 0, IPC_RMID);
			left++;
		}
	if (left)
		fail_msg("the interrupted bench left %d of its rings' %d semaphore sets", left, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_itself),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_table_ratios),
		cmocka_unit_test(test_scaling_json),
		cmocka_unit_test(test_answer_delay),
		cmocka_unit_test(test_interrupted_semset),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
