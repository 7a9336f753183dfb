/* SPDX-License-Identifier: MIT */
/*
 * src/bench/report.c - what the reports of both kinds of run share (number
 * formats, the machine they ran on, the JSON/CSV row writer), then the
 * readable table, JSON and CSV of the two-process run. The scaling run's
 * own are in scale_report.c.
 *
 * JSON and CSV carry the same fields for every row, null (empty in CSV)
 * where a field does not apply, so that a consumer never has to guess.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "../cli/utf8.h"
#include "hist.h"
#include "timing.h"
/* Written at build time for the tool (src/cli/CMakeLists.txt); absent in the
 * test programs that share this file. */
#if defined(__has_include)
#if __has_include("shmring_build_commit.h")
#include "shmring_build_commit.h"
#endif
#endif

int shmring_bench_name_width(void)
{
	size_t w = 24;

	for (size_t i = 0; i < shmring_bench_nmechs; i++) {
		size_t n = strlen(shmring_bench_mechs[i]->name);

		w = n > w ? n : w;
	}
	return (int)w;
}
#define NAME_W shmring_bench_name_width()

static const char *test_name(unsigned mode)
{
	return mode == SHMRING_BENCH_RTT ? "rtt" : "throughput";
}

const char *shmring_bench_status_name(int st)
{
	switch (st) {
	case SHMRING_BENCH_OK:
		return "ok";
	case SHMRING_BENCH_SKIPPED:
		return "skipped";
	case SHMRING_BENCH_UNKNOWN:
		return "unknown";
	default:
		return "failed";
	}
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

/* ---------------------------------------------------------- the machine */

static void cpu_model(char *b, size_t n)
{
	static const char *const keys[] = {"model name", "Model", "cpu model", "cpu"};
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(b, n, "unknown");
	if (!f)
		return;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		bool found = false;

		rewind(f);
		while (!found && fgets(line, sizeof(line), f)) {
			size_t kl = strlen(keys[k]);
			char *v = line + kl;

			if (strncmp(line, keys[k], kl) != 0 || (*v != ' ' && *v != '\t' && *v != ':'))
				continue;
			v = strchr(v, ':');
			if (!v)
				continue;
			v += strspn(v + 1, " \t") + 1;
			v[strcspn(v, "\n")] = 0;
			if (*v) {
				snprintf(b, n, "%s", v);
				found = true;
			}
		}
		if (found)
			break;
	}
	fclose(f);
}

const struct shmring_bench_machine *shmring_bench_machine(void)
{
	static struct shmring_bench_machine m;
	static bool done;
	struct utsname u;

	if (done)
		return &m;
	done = true;
	cpu_model(m.cpu, sizeof(m.cpu));
	if (uname(&u) == 0)
		snprintf(m.kernel, sizeof(m.kernel), "%s %s %s", u.sysname, u.release, u.machine);
	else
		snprintf(m.kernel, sizeof(m.kernel), "unknown");
#if defined(__clang__) || !defined(__GNUC__)
	snprintf(m.compiler, sizeof(m.compiler), "%s", __VERSION__);
#else
	snprintf(m.compiler, sizeof(m.compiler), "gcc %s", __VERSION__);
#endif
#ifdef SHMRING_BUILD_COMMIT
	snprintf(m.commit, sizeof(m.commit), "%s", SHMRING_BUILD_COMMIT);
#endif
	return &m;
}

void shmring_bench_progress(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* One write: a progress line that does not reach the terminal is
	 * no loss, and not retried. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void shmring_bench_machine_line(FILE *f)
{
	const struct shmring_bench_machine *m = shmring_bench_machine();

	fprintf(f, "machine: %s; %s; built with %s%s%s\n", m->cpu, m->kernel, m->compiler,
		m->commit[0] ? " from commit " : "", m->commit);
}

/* ------------------------------------------------------------- the rows */

static void add(struct shmring_bench_row *w, const char *key, enum shmring_bench_field_kind kind,
		const char *s, double v, bool valid)
{
	/* Every row has every field: a row that outgrows the array is a bug. */
	if (w->n == SHMRING_BENCH_MAX_FIELDS)
		abort();
	w->f[w->n++] = (struct shmring_bench_field){key, kind, s, v, valid};
}

void shmring_bench_row_str(struct shmring_bench_row *w, const char *key, const char *s)
{
	add(w, key, SHMRING_BENCH_F_STR, s, 0, s != NULL);
}

void shmring_bench_row_num(struct shmring_bench_row *w, const char *key, double v, bool valid)
{
	add(w, key, SHMRING_BENCH_F_NUM, NULL, v, valid);
}

void shmring_bench_row_int(struct shmring_bench_row *w, const char *key, double v, bool valid)
{
	add(w, key, SHMRING_BENCH_F_INT, NULL, v, valid);
}

void shmring_bench_row_bool(struct shmring_bench_row *w, const char *key, bool v, bool valid)
{
	add(w, key, SHMRING_BENCH_F_BOOL, NULL, v ? 1.0 : 0.0, valid);
}

void shmring_bench_row_floors(struct shmring_bench_row *w, const struct shmring_bench_bracket *b,
			      bool ok)
{
	double fl = shmring_bench_bracket_floor(b), bare = shmring_bench_bracket_plain(b);

	shmring_bench_row_num(w, "floor_ns", fl, ok && fl > 0);
	shmring_bench_row_num(w, "floor_before_ns", b->floor_before, ok && b->floor_before > 0);
	shmring_bench_row_num(w, "floor_after_ns", b->floor_after, ok && b->floor_after > 0);
	shmring_bench_row_num(w, "floor_plain_ns", bare, ok && bare > 0);
	shmring_bench_row_num(w, "floor_plain_before_ns", b->plain_before,
			      ok && b->plain_before > 0);
	shmring_bench_row_num(w, "floor_plain_after_ns", b->plain_after, ok && b->plain_after > 0);
}

void shmring_bench_row_placement(struct shmring_bench_row *w,
				 const struct shmring_bench_bracket *b, bool ok)
{
	shmring_bench_row_str(w, "placement", ok ? shmring_bench_bracket_placement(b) : NULL);
	shmring_bench_row_bool(w, "floor_moved", b->moved, ok);
	shmring_bench_row_bool(w, "retried", b->retried, ok);
}

void shmring_bench_row_machine(struct shmring_bench_row *w)
{
	const struct shmring_bench_machine *m = shmring_bench_machine();

	shmring_bench_row_str(w, "machine_cpu", m->cpu);
	shmring_bench_row_str(w, "machine_kernel", m->kernel);
	shmring_bench_row_str(w, "machine_compiler", m->compiler);
	shmring_bench_row_str(w, "machine_commit", m->commit[0] ? m->commit : NULL);
}

void shmring_bench_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	while (*s) {
		unsigned char ch = (unsigned char)*s;
		size_t n = shmring_cli_utf8_len((const unsigned char *)s);

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else if (n == 0)
			fputs("\\ufffd", f); /* JSON is UTF-8: a byte that is not, replaced */
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
	}
	fputc('"', f);
}

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* One value: null in JSON and nothing in CSV when not valid or not finite. */
static void value(FILE *f, const struct shmring_bench_field *x, bool csv)
{
	bool valid = x->valid && (x->kind == SHMRING_BENCH_F_STR || isfinite(x->v));

	if (!valid) {
		if (!csv)
			fputs("null", f);
	} else if (x->kind == SHMRING_BENCH_F_STR) {
		if (csv)
			csv_str(f, x->s);
		else
			shmring_bench_json_str(f, x->s);
	} else if (x->kind == SHMRING_BENCH_F_BOOL) {
		fputs(x->v != 0 ? "true" : "false", f);
	} else if (x->kind == SHMRING_BENCH_F_INT) {
		fprintf(f, "%.0f", x->v);
	} else {
		fprintf(f, "%.6g", x->v);
	}
}

void shmring_bench_write_rows(FILE *f, enum shmring_bench_format fmt, shmring_bench_row_fn *fn,
			      const void *ctx, size_t nrows)
{
	bool csv = fmt == SHMRING_BENCH_CSV;
	struct shmring_bench_row w;

	if (csv) {
		w.n = 0;
		fn(ctx, SIZE_MAX, &w);
		for (unsigned k = 0; k < w.n; k++)
			fprintf(f, "%s%s", k ? "," : "", w.f[k].key);
		fputc('\n', f);
	} else {
		fputs("[\n", f);
	}
	for (size_t i = 0; i < nrows; i++) {
		w.n = 0;
		fn(ctx, i, &w);
		if (!csv)
			fputs("  {", f);
		for (unsigned k = 0; k < w.n; k++) {
			if (csv)
				fputs(k ? "," : "", f);
			else
				fprintf(f, "%s\"%s\": ", k ? ", " : "", w.f[k].key);
			value(f, &w.f[k], csv);
		}
		fputs(csv ? "\n" : i + 1 < nrows ? "},\n" : "}\n", f);
	}
	if (!csv)
		fputs("]\n", f);
}

/* ------------------------------------------------ the two-process table */

static void place(char *b, size_t n, const struct shmring_bench_result *r)
{
	snprintf(b, n, "%s%s", shmring_bench_bracket_placement(&r->br),
		 r->br.retried ? " (2nd)" : "");
}

/* A figure over its floor: "?" when the bare floors around it moved, as the
 * figure then belongs to neither placement. */
static void x_floor_text(char *b, size_t n, const struct shmring_bench_result *r, double x)
{
	if (r->br.moved)
		snprintf(b, n, "?");
	else
		shmring_bench_fmt_ratio(b, n, x);
}

/* Whether the run has a figure (or a failure) of mode to show: a table
 * with none is left out (--rtt-only, --tput-only). */
static bool has_rows(const struct shmring_bench_run *run, int mode)
{
	for (size_t i = 0; i < run->nres; i++)
		if ((int)run->res[i].mode == mode && run->res[i].status != SHMRING_BENCH_SKIPPED)
			return true;
	return false;
}

static void rtt_rows(FILE *f, const struct shmring_bench_run *run)
{
	if (!has_rows(run, SHMRING_BENCH_RTT))
		return;
	fprintf(f, "\nRound trip, two processes (p50..max of %s)\n",
		"every round trip in the window");
	fprintf(f, "%-*s %6s %9s %9s %9s %9s %9s %7s %6s %9s %7s %7s  %s\n", NAME_W, "mechanism",
		"size", "p50", "p90", "p99", "p99.9", "max", "x floor", "x bare", "cpu/rt", "floor",
		"bare", "placement");
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];
		char sz[16], a[5][16], xf[16], xb[16], cpu[16], fl[16], fb[16], pl[32];

		if (r->mode != SHMRING_BENCH_RTT || r->status == SHMRING_BENCH_SKIPPED)
			continue;
		shmring_bench_fmt_size(sz, sizeof(sz), r->size);
		if (r->status == SHMRING_BENCH_FAILED) {
			fprintf(f, "%-*s %6s FAILED: %s\n", NAME_W, r->mech->name, sz, r->why);
			continue;
		}
		shmring_bench_fmt_ns(a[0], sizeof(a[0]), r->p50);
		shmring_bench_fmt_ns(a[1], sizeof(a[1]), r->p90);
		shmring_bench_fmt_ns(a[2], sizeof(a[2]), r->p99);
		shmring_bench_fmt_ns(a[3], sizeof(a[3]), r->p999);
		shmring_bench_fmt_ns(a[4], sizeof(a[4]), r->max);
		x_floor_text(xf, sizeof(xf), r, shmring_bench_result_x_floor(r));
		x_floor_text(xb, sizeof(xb), r, shmring_bench_result_x_plain(r));
		shmring_bench_fmt_ns(cpu, sizeof(cpu), r->cpu_ns_per_msg);
		shmring_bench_fmt_ns(fl, sizeof(fl), shmring_bench_bracket_floor(&r->br));
		shmring_bench_fmt_ns(fb, sizeof(fb), shmring_bench_bracket_plain(&r->br));
		place(pl, sizeof(pl), r);
		fprintf(f, "%-*s %6s %9s %9s %9s %9s %9s %7s %6s %9s %7s %7s  %s\n", NAME_W, r->mech->name,
			sz, a[0], a[1], a[2], a[3], a[4], xf, xb, cpu, fl, fb, pl);
	}
}

static void tput_rows(FILE *f, const struct shmring_bench_run *run)
{
	if (!has_rows(run, SHMRING_BENCH_TPUT))
		return;
	fprintf(f, "\nOne-way throughput, two processes\n");
	fprintf(f, "%-*s %6s %10s %10s %10s %7s %7s %7s  %s\n", NAME_W, "mechanism", "size", "msgs/s",
		"MB/s", "cpu/msg", "x floor", "floor", "bare", "placement");
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];
		char sz[16], mps[16], mbs[16], cpu[16], xf[16], fl[16], fb[16], pl[32];

		if (r->mode != SHMRING_BENCH_TPUT || r->status == SHMRING_BENCH_SKIPPED)
			continue;
		shmring_bench_fmt_size(sz, sizeof(sz), r->size);
		if (r->status == SHMRING_BENCH_FAILED) {
			fprintf(f, "%-*s %6s FAILED: %s\n", NAME_W, r->mech->name, sz, r->why);
			continue;
		}
		shmring_bench_fmt_count(mps, sizeof(mps), r->msgs_per_s);
		snprintf(mbs, sizeof(mbs), "%.1f", r->mb_per_s);
		shmring_bench_fmt_ns(cpu, sizeof(cpu), r->cpu_ns_per_msg);
		x_floor_text(xf, sizeof(xf), r, shmring_bench_result_x_floor(r));
		shmring_bench_fmt_ns(fl, sizeof(fl), shmring_bench_bracket_floor(&r->br));
		shmring_bench_fmt_ns(fb, sizeof(fb), shmring_bench_bracket_plain(&r->br));
		place(pl, sizeof(pl), r);
		fprintf(f, "%-*s %6s %10s %10s %10s %7s %7s %7s  %s\n", NAME_W, r->mech->name, sz, mps, mbs,
			cpu, xf, fl, fb, pl);
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
		fprintf(f, "  %-*s %-10s from %-7s %s\n", NAME_W, r->mech->name, test_name(r->mode), sz,
			r->why);
	}
}

/* A median of a ratio's side: p50 in ns, or msgs/s. */
static void ratio_value(char *b, size_t n, unsigned mode, double v)
{
	if (mode == SHMRING_BENCH_RTT) {
		shmring_bench_fmt_ns(b, n, v);
	} else {
		char c[16];

		shmring_bench_fmt_count(c, sizeof(c), v);
		snprintf(b, n, "%s/s", c);
	}
}

/* A figure over the floor around it, with the placement it was taken in
 * (a figure whose floors moved has none, and no ratio). */
static void floor_line(FILE *f, const struct shmring_bench_result *r, const char *what,
		       double floor, double x)
{
	char sz[16], v[32], fv[32];

	shmring_bench_fmt_size(sz, sizeof(sz), r->size);
	ratio_value(v, sizeof(v), r->mode, r->p50);
	shmring_bench_fmt_ns(fv, sizeof(fv), floor);
	if (x > 0)
		fprintf(f, "  %-10s %6s  %-*s %-*s %10s %10s %8.3g  %s\n", "round trip", sz,
			NAME_W, r->mech->name, NAME_W, what, v, fv, x, shmring_bench_bracket_placement(&r->br));
	else
		fprintf(f, "  %-10s %6s  %-*s %-*s %10s %10s %8s %s\n", "round trip", sz,
			NAME_W, r->mech->name, NAME_W, what, v, fv, "unknown", "(placement changed)");
}

static void ratio_rows(FILE *f, const struct shmring_bench_run *run)
{
	bool any = false;

	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];

		if (r->status == SHMRING_BENCH_OK && r->mode == SHMRING_BENCH_RTT &&
		    r->mech->floor_rtt) {
			any = true;
			break;
		}
	}
	if (!any && run->nratios == 0)
		return;
	fprintf(f, "\nRatios, each within one placement: A over the floor around it, or A over B "
		   "from figures measured back to back\n(rounds of A then B, the floor around "
		   "each; the medians of the figures in one placement)\n");
	fprintf(f, "  %-10s %6s  %-*s %-*s %10s %10s %8s  %s\n", "test", "size", NAME_W, "A", NAME_W, "B",
		"median A", "median B", "A / B", "placement");
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];

		if (r->status != SHMRING_BENCH_OK || r->mode != SHMRING_BENCH_RTT ||
		    !r->mech->floor_rtt)
			continue;
		floor_line(f, r, "floor (around it)", shmring_bench_bracket_floor(&r->br),
			   shmring_bench_result_x_floor(r));
		floor_line(f, r, "bare floor", shmring_bench_bracket_plain(&r->br),
			   shmring_bench_result_x_plain(r));
	}
	for (size_t i = 0; i < run->nratios; i++) {
		const struct shmring_bench_ratio *ra = &run->ratios[i];
		char sz[16], av[32] = "", bv[32] = "", pl[64];

		shmring_bench_fmt_size(sz, sizeof(sz), ra->size);
		if (ra->status == SHMRING_BENCH_OK) {
			ratio_value(av, sizeof(av), ra->mode, ra->a_value);
			ratio_value(bv, sizeof(bv), ra->mode, ra->b_value);
			snprintf(pl, sizeof(pl), "%s (%u+%u figures, %u round%s)", ra->placement,
				 ra->a_figures, ra->b_figures, ra->rounds, ra->rounds == 1 ? "" : "s");
			fprintf(f, "  %-10s %6s  %-*s %-*s %10s %10s %8.3g  %s\n",
				ra->mode == SHMRING_BENCH_RTT ? "round trip" : "throughput", sz,
				NAME_W, ra->a->name, NAME_W, ra->b->name, av, bv, ra->ratio, pl);
		} else {
			/* One space: "unknown (placement changed)" reads as one. */
			fprintf(f, "  %-10s %6s  %-*s %-*s %10s %10s %8s %s\n",
				ra->mode == SHMRING_BENCH_RTT ? "round trip" : "throughput", sz,
				NAME_W, ra->a->name, NAME_W, ra->b->name, "", "",
				ra->status == SHMRING_BENCH_UNKNOWN ? "unknown" : "FAILED:",
				ra->status == SHMRING_BENCH_UNKNOWN ? "(placement changed)" : ra->why);
		}
	}
	fprintf(f, "  (round trip: p50 over p50, below 1 = A faster; throughput: msgs/s over "
		   "msgs/s, above 1 = A faster)\n");
}

/*
 * Where the floor timed like the figures lies well above the bare one, the
 * bench's own work per round trip (the timestamp, the histogram, the
 * payload's stamp and check, the calls through the table of mechanisms) is
 * a large part of the floor itself, and it is in every timed figure: every
 * x floor is pulled towards 1 there, and x bare is not.
 * Seen near, on a host whose bare floor read 60-65 ns and whose timed
 * floor read 150-165 ns (docs/BENCHMARKS.md).
 */
static void heavy_floor_note(FILE *f, const struct shmring_bench_run *run)
{
	double lo = 0, hi = 0;
	size_t n = 0;

	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];
		double fl = shmring_bench_bracket_floor(&r->br);
		double bare = shmring_bench_bracket_plain(&r->br);

		if (r->status != SHMRING_BENCH_OK || r->br.moved || !(bare > 0) ||
		    !(fl > SHMRING_BENCH_HEAVY_RATIO * bare))
			continue;
		lo = n == 0 || fl / bare < lo ? fl / bare : lo;
		hi = fl / bare > hi ? fl / bare : hi;
		n++;
	}
	if (n)
		fprintf(f,
			"%zu figure(s) had a timed floor %.1f-%.1fx the bare one: there the "
			"bench's own work per round trip is a large\npart of the floor itself, "
			"so x floor understates what each mechanism costs; read x bare.\n",
			n, lo, hi);
}

void shmring_bench_report_table(FILE *f, const struct shmring_bench_cfg *cfg,
				const struct shmring_bench_run *run)
{
	size_t moved = 0, failed = 0;

	fprintf(f, "shmring bench: client/consumer on CPU %d, server/producer on CPU %d; "
		   "%.0f ms per figure after %.0f ms warm-up; %.1f s in all\n",
		cfg->cpu[0], cfg->cpu[1], (double)cfg->run_ns / 1e6, (double)cfg->warm_ns / 1e6,
		run->wall_s);
	if (cfg->answer_delay_ns)
		fprintf(f, "the server waits %.3g us before each answer; round trips are shown "
			   "less that delay\n",
			(double)cfg->answer_delay_ns / 1e3);
	shmring_bench_machine_line(f);
	if (shmring_bench_use_tsc)
		fprintf(f, "timer: TSC at %.3f GHz (invariant)", 1.0 / shmring_bench_ns_per_tick);
	else
		fprintf(f, "timer: clock_gettime(CLOCK_MONOTONIC)");
	if (run->timer_step_ns > 0)
		fprintf(f, ", read in steps of %.1f ns", run->timer_step_ns);
	fprintf(f, "; one timed sample costs ~%.0f ns; percentiles within %.2f%%\n",
		run->timer_overhead_ns, SHMRING_BENCH_HIST_PRECISION * 100);
	fprintf(f, "floor: one cache line bounced between the two CPUs before and after each "
		   "figure, timed like the figures (floor) and as a bare loop (bare)\n");
	rtt_rows(f, run);
	tput_rows(f, run);
	skipped_rows(f, run);
	ratio_rows(f, run);
	for (size_t i = 0; i < run->nres; i++) {
		moved += run->res[i].status == SHMRING_BENCH_OK && run->res[i].br.moved;
		failed += run->res[i].status == SHMRING_BENCH_FAILED;
	}
	for (size_t i = 0; i < run->nratios; i++)
		failed += run->ratios[i].status == SHMRING_BENCH_FAILED;
	fprintf(f, "\nx floor, x bare: p50 / floor, / bare floor (throughput: time per message / "
		   "floor). cpu: CPU time of both processes per round trip\nor message. "
		   "placement: near or far (bare floor below or above %.0f ns); \"moved\": the "
		   "bare floor changed more than %.1fx across the\nfigure (measured once more, "
		   "\"(2nd)\"), and its x floor is \"?\". Mechanisms are compared only under "
		   "\"Ratios\", never across the tables.\n",
		SHMRING_BENCH_NEAR_NS, SHMRING_BENCH_MOVED_RATIO);
	if (moved)
		fprintf(f, "%zu figure(s) flagged \"moved\": they belong to no one placement.\n",
			moved);
	heavy_floor_note(f, run);
	if (failed)
		fprintf(f, "%zu measurement(s) FAILED.\n", failed);
}

/* ------------------------------------------------------------ JSON, CSV */

/*
 * The fields of a row, in order; JSON and CSV share this list. Rows 0..nres-1
 * are the figures ("row": "figure"), the rest the ratios measured back to
 * back ("row": "ratio": mechanism is A, versus is B, the figure fields are
 * A's medians in the ratio's placement, versus_* are B's).
 */
static void row_fields(const void *ctx, size_t i, struct shmring_bench_row *w)
{
	const struct shmring_bench_cfg *cfg = ((const void *const *)ctx)[0];
	const struct shmring_bench_run *run = ((const void *const *)ctx)[1];
	const struct shmring_bench_ratio *ra = NULL;
	struct shmring_bench_result none;
	const struct shmring_bench_result *r = &none;

	memset(&none, 0, sizeof(none));
	none.mech = shmring_bench_mechs[0];
	if (i < run->nres) {
		r = &run->res[i];
	} else if (i != SIZE_MAX && i - run->nres < run->nratios) {
		/* A ratio row: A's medians where a figure row has its figures. */
		ra = &run->ratios[i - run->nres];
		none.mech = ra->a;
		none.mode = ra->mode;
		none.size = ra->size;
		none.status = ra->status;
		none.p50 = ra->a_value;
		none.msgs_per_s = ra->a_value;
	}
	bool ok = r->status == SHMRING_BENCH_OK;
	bool fig = ok && !ra; /* every figure field */
	bool rtt = ok && r->mode == SHMRING_BENCH_RTT;
	bool tput = ok && r->mode == SHMRING_BENCH_TPUT;

	shmring_bench_row_str(w, "mechanism", r->mech->name);
	shmring_bench_row_str(w, "description", r->mech->desc);
	shmring_bench_row_str(w, "test", test_name(r->mode));
	shmring_bench_row_int(w, "size", r->size, true);
	shmring_bench_row_str(w, "row", ra ? "ratio" : "figure");
	shmring_bench_row_str(w, "status", shmring_bench_status_name(r->status));
	/* The row keeps pointers until it is written: the ratio's own reason,
	 * never a copy in `none`, which is gone by then. */
	shmring_bench_row_str(w, "reason",
			      r->status == SHMRING_BENCH_OK ? NULL : ra ? ra->why : r->why);
	shmring_bench_row_int(w, "samples", (double)r->samples, fig);
	shmring_bench_row_num(w, "rtt_p50_ns", r->p50, rtt);
	shmring_bench_row_num(w, "rtt_p90_ns", r->p90, rtt && fig);
	shmring_bench_row_num(w, "rtt_p99_ns", r->p99, rtt && fig);
	shmring_bench_row_num(w, "rtt_p999_ns", r->p999, rtt && fig);
	shmring_bench_row_num(w, "rtt_max_ns", r->max, rtt && fig);
	shmring_bench_row_num(w, "rtt_mean_ns", r->mean, rtt && fig);
	/* Subtracted from every round trip above. */
	shmring_bench_row_num(w, "answer_delay_ns", (double)cfg->answer_delay_ns, rtt);
	shmring_bench_row_num(w, "msgs_per_s", r->msgs_per_s, tput);
	shmring_bench_row_num(w, "mb_per_s", r->mb_per_s, tput && fig);
	shmring_bench_row_num(w, "cpu_ns_per_msg", r->cpu_ns_per_msg, fig);
	if (ra) {
		/* Of a ratio: the median bare floor around the figures it used. */
		shmring_bench_row_num(w, "floor_ns", 0, false);
		shmring_bench_row_num(w, "floor_before_ns", 0, false);
		shmring_bench_row_num(w, "floor_after_ns", 0, false);
		shmring_bench_row_num(w, "floor_plain_ns", ra->floor_plain, ok);
		shmring_bench_row_num(w, "floor_plain_before_ns", 0, false);
		shmring_bench_row_num(w, "floor_plain_after_ns", 0, false);
	} else {
		shmring_bench_row_floors(w, &r->br, fig);
	}
	shmring_bench_row_num(w, "x_floor", shmring_bench_result_x_floor(r),
			      fig && shmring_bench_result_x_floor(r) > 0);
	shmring_bench_row_num(w, "x_floor_plain", shmring_bench_result_x_plain(r),
			      fig && shmring_bench_result_x_plain(r) > 0);
	if (ra)
		shmring_bench_row_str(w, "placement", ok ? ra->placement : NULL);
	else
		shmring_bench_row_str(w, "placement",
				      ok ? shmring_bench_bracket_placement(&r->br) : NULL);
	shmring_bench_row_bool(w, "floor_moved", r->br.moved, fig);
	shmring_bench_row_bool(w, "retried", r->br.retried, fig);
	shmring_bench_row_str(w, "versus", ra ? ra->b->name : NULL);
	shmring_bench_row_num(w, "ratio", ra ? ra->ratio : 0, ra && ok);
	shmring_bench_row_num(w, "versus_rtt_p50_ns", ra ? ra->b_value : 0, ra && rtt);
	shmring_bench_row_num(w, "versus_msgs_per_s", ra ? ra->b_value : 0, ra && tput);
	shmring_bench_row_int(w, "figures", ra ? ra->a_figures : 0, ra && ok);
	shmring_bench_row_int(w, "versus_figures", ra ? ra->b_figures : 0, ra && ok);
	shmring_bench_row_int(w, "rounds", ra ? ra->rounds : 0, ra != NULL);
	shmring_bench_row_int(w, "cpu_client", cfg->cpu[0], true);
	shmring_bench_row_int(w, "cpu_server", cfg->cpu[1], true);
	shmring_bench_row_num(w, "hist_precision", SHMRING_BENCH_HIST_PRECISION, rtt && fig);
	shmring_bench_row_machine(w);
}

void shmring_bench_report_json(FILE *f, const struct shmring_bench_cfg *cfg,
			       const struct shmring_bench_run *run)
{
	const void *ctx[2] = {cfg, run};

	shmring_bench_write_rows(f, SHMRING_BENCH_JSON, row_fields, ctx, run->nres + run->nratios);
}

void shmring_bench_report_csv(FILE *f, const struct shmring_bench_cfg *cfg,
			      const struct shmring_bench_run *run)
{
	const void *ctx[2] = {cfg, run};

	shmring_bench_write_rows(f, SHMRING_BENCH_CSV, row_fields, ctx, run->nres + run->nratios);
}
