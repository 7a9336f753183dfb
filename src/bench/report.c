/* SPDX-License-Identifier: MIT */
/*
 * src/bench/report.c - the readable table, JSON and CSV.
 *
 * JSON and CSV carry the same fields for every row, null (empty in CSV)
 * where a field does not apply, so that a consumer never has to guess.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "hist.h"
#include "timing.h"

static const char *test_name(unsigned mode)
{
	return mode == SHMRING_BENCH_RTT ? "rtt" : "throughput";
}

static const char *status_name(int st)
{
	return st == SHMRING_BENCH_OK ? "ok" : st == SHMRING_BENCH_SKIPPED ? "skipped" : "failed";
}

void shmring_bench_fmt_ns(char *b, size_t n, double ns)
{
	if (ns < 1e3)
		snprintf(b, n, "%.0f ns", ns);
	else if (ns < 1e4)
		snprintf(b, n, "%.2f us", ns / 1e3);
	else if (ns < 1e6)
		snprintf(b, n, "%.1f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(b, n, "%.2f ms", ns / 1e6);
	else
		snprintf(b, n, "%.2f s", ns / 1e9);
}

void shmring_bench_fmt_size(char *b, size_t n, unsigned size)
{
	if (size >= 1024 && size % 1024 == 0)
		snprintf(b, n, "%u KiB", size / 1024);
	else
		snprintf(b, n, "%u B", size);
}

void shmring_bench_fmt_count(char *b, size_t n, double v)
{
	if (v < 1e3)
		snprintf(b, n, "%.0f", v);
	else if (v < 1e6)
		snprintf(b, n, "%.1f k", v / 1e3);
	else if (v < 1e9)
		snprintf(b, n, "%.2f M", v / 1e6);
	else
		snprintf(b, n, "%.2f G", v / 1e9);
}

void shmring_bench_fmt_ratio(char *b, size_t n, double x)
{
	if (x <= 0)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.3g", x);
}

static const struct shmring_bench_result *find(const struct shmring_bench_run *run,
					       const char *name, unsigned mode, unsigned size)
{
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];

		if (r->status == SHMRING_BENCH_OK && r->mode == mode && r->size == size &&
		    strcmp(r->mech->name, name) == 0)
			return r;
	}
	return NULL;
}

static void place(char *b, size_t n, const struct shmring_bench_result *r)
{
	snprintf(b, n, "%s%s", shmring_bench_result_placement(r), r->retried ? " (2nd)" : "");
}

static void rtt_rows(FILE *f, const struct shmring_bench_run *run)
{
	fprintf(f, "\nRound trip, two processes (p50..max of %s)\n",
		"every round trip in the window");
	fprintf(f, "%-22s %6s %9s %9s %9s %9s %9s %7s %6s %7s %9s %7s %7s  %s\n", "mechanism",
		"size", "p50", "p90", "p99", "p99.9", "max", "x floor", "x bare", "x pipe", "cpu/rt",
		"floor", "bare", "placement");
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];
		char sz[16], a[5][16], xf[16], xb[16], xp[16], cpu[16], fl[16], fb[16], pl[32];

		if (r->mode != SHMRING_BENCH_RTT || r->status == SHMRING_BENCH_SKIPPED)
			continue;
		shmring_bench_fmt_size(sz, sizeof(sz), r->size);
		if (r->status == SHMRING_BENCH_FAILED) {
			fprintf(f, "%-22s %6s FAILED: %s\n", r->mech->name, sz, r->why);
			continue;
		}
		shmring_bench_fmt_ns(a[0], sizeof(a[0]), r->p50);
		shmring_bench_fmt_ns(a[1], sizeof(a[1]), r->p90);
		shmring_bench_fmt_ns(a[2], sizeof(a[2]), r->p99);
		shmring_bench_fmt_ns(a[3], sizeof(a[3]), r->p999);
		shmring_bench_fmt_ns(a[4], sizeof(a[4]), r->max);
		shmring_bench_fmt_ratio(xf, sizeof(xf), shmring_bench_result_x_floor(r));
		shmring_bench_fmt_ratio(xb, sizeof(xb), shmring_bench_result_x_plain(r));
		shmring_bench_fmt_ratio(xp, sizeof(xp), r->x_pipe);
		shmring_bench_fmt_ns(cpu, sizeof(cpu), r->cpu_ns_per_msg);
		shmring_bench_fmt_ns(fl, sizeof(fl), shmring_bench_result_floor(r));
		shmring_bench_fmt_ns(fb, sizeof(fb), shmring_bench_result_plain_floor(r));
		place(pl, sizeof(pl), r);
		fprintf(f, "%-22s %6s %9s %9s %9s %9s %9s %7s %6s %7s %9s %7s %7s  %s\n",
			r->mech->name, sz, a[0], a[1], a[2], a[3], a[4], xf, xb, xp, cpu, fl, fb, pl);
	}
}

static void tput_rows(FILE *f, const struct shmring_bench_run *run)
{
	fprintf(f, "\nOne-way throughput, two processes\n");
	fprintf(f, "%-22s %6s %10s %10s %10s %7s %7s %7s %7s  %s\n", "mechanism", "size",
		"msgs/s", "MB/s", "cpu/msg", "x floor", "x pipe", "floor", "bare", "placement");
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];
		char sz[16], mps[16], mbs[16], cpu[16], xf[16], xp[16], fl[16], fb[16], pl[32];

		if (r->mode != SHMRING_BENCH_TPUT || r->status == SHMRING_BENCH_SKIPPED)
			continue;
		shmring_bench_fmt_size(sz, sizeof(sz), r->size);
		if (r->status == SHMRING_BENCH_FAILED) {
			fprintf(f, "%-22s %6s FAILED: %s\n", r->mech->name, sz, r->why);
			continue;
		}
		shmring_bench_fmt_count(mps, sizeof(mps), r->msgs_per_s);
		snprintf(mbs, sizeof(mbs), "%.1f", r->mb_per_s);
		shmring_bench_fmt_ns(cpu, sizeof(cpu), r->cpu_ns_per_msg);
		shmring_bench_fmt_ratio(xf, sizeof(xf), shmring_bench_result_x_floor(r));
		shmring_bench_fmt_ratio(xp, sizeof(xp), r->x_pipe);
		shmring_bench_fmt_ns(fl, sizeof(fl), shmring_bench_result_floor(r));
		shmring_bench_fmt_ns(fb, sizeof(fb), shmring_bench_result_plain_floor(r));
		place(pl, sizeof(pl), r);
		fprintf(f, "%-22s %6s %10s %10s %10s %7s %7s %7s %7s  %s\n", r->mech->name, sz, mps,
			mbs, cpu, xf, xp, fl, fb, pl);
	}
}

static void skipped_rows(FILE *f, const struct shmring_bench_run *run)
{
	bool header = false;

	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];
		bool seen = false;
		char sz[16];

		if (r->status != SHMRING_BENCH_SKIPPED)
			continue;
		/* One line per mechanism, mode and reason, not per size. */
		for (size_t j = 0; j < i && !seen; j++) {
			const struct shmring_bench_result *q = &run->res[j];

			seen = q->status == SHMRING_BENCH_SKIPPED && q->mech == r->mech &&
			       q->mode == r->mode && strcmp(q->why, r->why) == 0;
		}
		if (seen)
			continue;
		if (!header) {
			fprintf(f, "\nNot measured\n");
			header = true;
		}
		shmring_bench_fmt_size(sz, sizeof(sz), r->size);
		fprintf(f, "  %-22s %-10s from %-7s %s\n", r->mech->name, test_name(r->mode), sz,
			r->why);
	}
}

static void compare(FILE *f, const char *what, const struct shmring_bench_result *a,
		    const struct shmring_bench_result *b, double x, const char *target)
{
	if (!a || !b || x <= 0)
		return;
	fprintf(f, "  %-52s %6.3g x%s%s%s\n", what, x, target ? "   (target " : "",
		target ? target : "", target ? ")" : "");
}

static void key_ratios(FILE *f, const struct shmring_bench_run *run)
{
	const struct shmring_bench_result *spsc = find(run, "shmring-spsc", SHMRING_BENCH_RTT, 8);
	const struct shmring_bench_result *blk =
		find(run, "shmring-spsc-block", SHMRING_BENCH_RTT, 8);
	const struct shmring_bench_result *fut = find(run, "futex", SHMRING_BENCH_RTT, 8);
	const struct shmring_bench_result *dpdk = find(run, "dpdk-ring", SHMRING_BENCH_RTT, 8);
	const struct shmring_bench_result *ck = find(run, "ck-ring", SHMRING_BENCH_RTT, 8);
	const struct shmring_bench_result *tr = find(run, "shmring-spsc", SHMRING_BENCH_TPUT, 8);
	const struct shmring_bench_result *tp = find(run, "pipe", SHMRING_BENCH_TPUT, 8);

	if (!spsc && !blk && !tr)
		return;
	fprintf(f, "\nIn this run (8 B)\n");
	compare(f, "shmring-spsc round trip p50 / floor around it", spsc, spsc,
		spsc ? shmring_bench_result_x_floor(spsc) : 0, "<= 1.25");
	compare(f, "shmring-spsc round trip p50 / bare-loop floor", spsc, spsc,
		spsc ? shmring_bench_result_x_plain(spsc) : 0, NULL);
	/* Ring against ring: each p50 over the floor measured around it, so a
	 * placement change between the two figures does not count as a win. */
	compare(f, "shmring-spsc / dpdk-ring round trip (x floor each)", spsc, dpdk,
		spsc && dpdk ? shmring_bench_result_x_floor(spsc) /
				       shmring_bench_result_x_floor(dpdk)
			     : 0,
		"<= 0.55");
	compare(f, "shmring-spsc / ck-ring round trip (x floor each)", spsc, ck,
		spsc && ck ? shmring_bench_result_x_floor(spsc) / shmring_bench_result_x_floor(ck)
			   : 0,
		NULL);
	compare(f, "shmring-spsc-block round trip p50 / raw futex p50", blk, fut,
		blk && fut ? blk->p50 / fut->p50 : 0, "<= 1.1");
	compare(f, "shmring-spsc throughput / pipe throughput", tr, tp,
		tr && tp ? tr->msgs_per_s / tp->msgs_per_s : 0, NULL);
}

void shmring_bench_report_table(FILE *f, const struct shmring_bench_cfg *cfg,
				const struct shmring_bench_run *run)
{
	size_t moved = 0, failed = 0;

	fprintf(f, "shmring bench: client/consumer on CPU %d, server/producer on CPU %d; "
		   "%.0f ms per figure after %.0f ms warm-up; %.1f s in all\n",
		cfg->cpu[0], cfg->cpu[1], (double)cfg->run_ns / 1e6, (double)cfg->warm_ns / 1e6,
		run->wall_s);
	if (shmring_bench_use_tsc)
		fprintf(f, "timer: TSC at %.3f GHz (invariant)", 1.0 / shmring_bench_ns_per_tick);
	else
		fprintf(f, "timer: clock_gettime(CLOCK_MONOTONIC)");
	fprintf(f, ", one timed sample costs ~%.0f ns; percentiles within %.2f%%\n",
		run->timer_overhead_ns, SHMRING_BENCH_HIST_PRECISION * 100);
	fprintf(f, "floor: one cache line bounced between the two CPUs before and after each "
		   "figure, timed like the figures (floor) and as a bare loop (bare)\n");
	rtt_rows(f, run);
	tput_rows(f, run);
	skipped_rows(f, run);
	key_ratios(f, run);
	for (size_t i = 0; i < run->nres; i++) {
		moved += run->res[i].status == SHMRING_BENCH_OK && run->res[i].moved;
		failed += run->res[i].status == SHMRING_BENCH_FAILED;
	}
	fprintf(f, "\nx floor, x bare: p50 / floor, / bare floor (throughput: time per message / "
		   "floor); x pipe: vs the pipe, same test and size\n(throughput: higher is "
		   "faster). "
		   "cpu: CPU time of both processes per round trip or message. placement: near "
		   "or far (bare floor below or above %.0f ns);\n"
		   "\"moved\": the floor changed more than %.1fx across the figure (measured once "
		   "more, \"(2nd)\").\n",
		SHMRING_BENCH_NEAR_NS, SHMRING_BENCH_MOVED_RATIO);
	if (moved)
		fprintf(f, "%zu figure(s) flagged \"moved\": read them against their own floor "
			   "only.\n",
			moved);
	if (failed)
		fprintf(f, "%zu measurement(s) FAILED.\n", failed);
}

/* ------------------------------------------------------------------ JSON */

void shmring_bench_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v, bool valid)
{
	if (valid && isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
}

/* The fields of a row, in order; JSON and CSV share this list. */
enum field_kind { F_STR, F_NUM, F_BOOL, F_INT };
struct field {
	const char *key;
	enum field_kind kind;
	const char *s; /* F_STR; NULL = null */
	double v;
	bool valid;
};

#define NFIELDS 31

static void row_fields(const struct shmring_bench_cfg *cfg, const struct shmring_bench_result *r,
		       struct field *fl)
{
	bool ok = r->status == SHMRING_BENCH_OK;
	bool rtt = ok && r->mode == SHMRING_BENCH_RTT;
	bool tput = ok && r->mode == SHMRING_BENCH_TPUT;
	double fl_ns = shmring_bench_result_floor(r);
	double bare_ns = shmring_bench_result_plain_floor(r);
	unsigned i = 0;

#define STR(k, val) fl[i++] = (struct field){(k), F_STR, (val), 0, (val) != NULL}
#define NUM(k, val, ok_) fl[i++] = (struct field){(k), F_NUM, NULL, (double)(val), (ok_)}
#define INT(k, val, ok_) fl[i++] = (struct field){(k), F_INT, NULL, (double)(val), (ok_)}
#define BOOL(k, val, ok_) fl[i++] = (struct field){(k), F_BOOL, NULL, (val) ? 1.0 : 0.0, (ok_)}
	STR("mechanism", r->mech->name);
	STR("description", r->mech->desc);
	STR("test", test_name(r->mode));
	INT("size", r->size, true);
	STR("status", status_name(r->status));
	STR("reason", r->status == SHMRING_BENCH_OK ? NULL : r->why);
	INT("samples", r->samples, ok);
	NUM("rtt_p50_ns", r->p50, rtt);
	NUM("rtt_p90_ns", r->p90, rtt);
	NUM("rtt_p99_ns", r->p99, rtt);
	NUM("rtt_p999_ns", r->p999, rtt);
	NUM("rtt_max_ns", r->max, rtt);
	NUM("rtt_mean_ns", r->mean, rtt);
	NUM("msgs_per_s", r->msgs_per_s, tput);
	NUM("mb_per_s", r->mb_per_s, tput);
	NUM("cpu_ns_per_msg", r->cpu_ns_per_msg, ok);
	NUM("floor_ns", fl_ns, ok && fl_ns > 0);
	NUM("floor_before_ns", r->floor_before, ok && r->floor_before > 0);
	NUM("floor_after_ns", r->floor_after, ok && r->floor_after > 0);
	NUM("floor_plain_ns", bare_ns, ok && bare_ns > 0);
	NUM("floor_plain_before_ns", r->plain_before, ok && r->plain_before > 0);
	NUM("floor_plain_after_ns", r->plain_after, ok && r->plain_after > 0);
	NUM("x_floor", shmring_bench_result_x_floor(r), ok && fl_ns > 0);
	NUM("x_floor_plain", shmring_bench_result_x_plain(r), ok && bare_ns > 0);
	NUM("x_pipe", r->x_pipe, ok && r->x_pipe > 0);
	STR("placement", ok ? shmring_bench_result_placement(r) : NULL);
	BOOL("floor_moved", r->moved, ok);
	BOOL("retried", r->retried, ok);
	INT("cpu_client", cfg->cpu[0], true);
	INT("cpu_server", cfg->cpu[1], true);
	NUM("hist_precision", SHMRING_BENCH_HIST_PRECISION, rtt);
	/* Every row has every field: a miscount here is a bug. */
	if (i != NFIELDS)
		abort();
#undef STR
#undef NUM
#undef INT
#undef BOOL
}

void shmring_bench_report_json(FILE *f, const struct shmring_bench_cfg *cfg,
			       const struct shmring_bench_run *run)
{
	struct field fl[NFIELDS];

	fputs("[\n", f);
	for (size_t i = 0; i < run->nres; i++) {
		row_fields(cfg, &run->res[i], fl);
		fputs("  {", f);
		for (unsigned k = 0; k < NFIELDS; k++) {
			fprintf(f, "%s\"%s\": ", k ? ", " : "", fl[k].key);
			if (!fl[k].valid)
				fputs("null", f);
			else if (fl[k].kind == F_STR)
				shmring_bench_json_str(f, fl[k].s);
			else if (fl[k].kind == F_BOOL)
				fputs(fl[k].v != 0 ? "true" : "false", f);
			else if (fl[k].kind == F_INT)
				fprintf(f, "%.0f", fl[k].v);
			else
				json_num(f, fl[k].v, true);
		}
		fprintf(f, "}%s\n", i + 1 < run->nres ? "," : "");
	}
	fputs("]\n", f);
}

/* ------------------------------------------------------------------- CSV */

void shmring_bench_csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void shmring_bench_report_csv(FILE *f, const struct shmring_bench_cfg *cfg,
			      const struct shmring_bench_run *run)
{
	struct field fl[NFIELDS];
	struct shmring_bench_result none;

	memset(&none, 0, sizeof(none));
	none.mech = shmring_bench_mechs[0];
	row_fields(cfg, &none, fl);
	for (unsigned k = 0; k < NFIELDS; k++)
		fprintf(f, "%s%s", k ? "," : "", fl[k].key);
	fputc('\n', f);
	for (size_t i = 0; i < run->nres; i++) {
		row_fields(cfg, &run->res[i], fl);
		for (unsigned k = 0; k < NFIELDS; k++) {
			if (k)
				fputc(',', f);
			if (!fl[k].valid)
				continue;
			if (fl[k].kind == F_STR)
				shmring_bench_csv_str(f, fl[k].s);
			else if (fl[k].kind == F_BOOL)
				fputs(fl[k].v != 0 ? "true" : "false", f);
			else if (fl[k].kind == F_INT)
				fprintf(f, "%.0f", fl[k].v);
			else
				fprintf(f, "%.6g", fl[k].v);
		}
		fputc('\n', f);
	}
}
