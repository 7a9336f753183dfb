/* SPDX-License-Identifier: MIT */
/*
 * tests/test_bench_json.c - `shmring bench` as a user runs it: --json parses
 * (with a small JSON reader below, no dependency) and every result object
 * has every documented key; --csv has one column per key on every line; the
 * floor and the busy-poll SPSC ring are measured; usage errors exit 2.
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static const char *const keys[] = {
	"mechanism", "description", "test", "size", "status", "reason", "samples",
	"rtt_p50_ns", "rtt_p90_ns", "rtt_p99_ns", "rtt_p999_ns", "rtt_max_ns", "rtt_mean_ns",
	"msgs_per_s", "mb_per_s", "cpu_ns_per_msg", "floor_ns", "floor_before_ns",
	"floor_after_ns", "floor_plain_ns", "floor_plain_before_ns", "floor_plain_after_ns",
	"x_floor", "x_floor_plain", "x_pipe", "placement", "floor_moved", "retried",
	"cpu_client", "cpu_server", "hist_precision",
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
	return out;
}

/* ------------------------------------------------- a small JSON reader */

struct obj {
	char keys[64][32];
	char val[64][128]; /* strings unquoted; numbers, true/false/null as text */
	unsigned n;
};

struct reader {
	const char *p;
	struct obj objs[256];
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
			if (r->nobjs == 256)
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

static void test_reader_itself(void **state)
{
	(void)state;
	assert_int_equal(parse(&rd, "[{\"a\": 1, \"b\": \"x\\\"y\", \"c\": null}]"), 0);
	assert_string_equal(get(&rd.objs[0], "b"), "x\"y");
	assert_int_not_equal(parse(&rd, "[{\"a\": 1,}]"), 0);
	assert_int_not_equal(parse(&rd, "[{\"a\": 1}"), 0);
	assert_int_not_equal(parse(&rd, "[{\"a\": nul}]"), 0);
}

static void test_json(void **state)
{
	int status;
	char *out = run_tool("--duration 5 --sizes 8,64 --no-retry --json", &status);
	bool floor_ok = false, spsc_ok = false, spsc_tput = false;

	(void)state;
	assert_int_equal(status, 0);
	if (parse(&rd, out) != 0) {
		print_error("not JSON near: %.80s\n", rd.p);
		fail();
	}
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

		assert_true(!strcmp(st, "ok") || !strcmp(st, "skipped"));
		if (!strcmp(st, "ok") && !strcmp(test, "rtt")) {
			assert_string_not_equal(get(o, "rtt_p50_ns"), "null");
			assert_string_not_equal(get(o, "rtt_p99_ns"), "null");
			assert_string_not_equal(get(o, "rtt_p999_ns"), "null");
			assert_string_not_equal(get(o, "x_floor"), "null");
			assert_string_equal(get(o, "msgs_per_s"), "null");
		}
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
	free(out);
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
	/* floor rtt, floor tput (skipped), pipe x2, ring x2, plus the header */
	assert_int_equal(lines, 7);
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
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_itself),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
