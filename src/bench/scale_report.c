/* SPDX-License-Identifier: MIT */
/*
 * src/bench/scale_report.c - reports of `shmring bench --scaling`: readable
 * matrices (one row per transport, one column per producer count or record
 * size), JSON and CSV with one object per figure and every key in each, and
 * the line plots.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scale.h"
#include "timing.h"

static const char *test_name(unsigned test)
{
	return test == SHMRING_BENCH_SCALE_PRODUCERS ? "producers" : "records";
}

static const char *wait_name(const struct shmring_bench_scale_mech *m)
{
	if (!(m->flags & SHMRING_BENCH_SCALE_WAIT))
		return "busy";
	return (m->flags & SHMRING_BENCH_SCALE_PEER) ? "yield" : "block";
}

static const struct shmring_bench_scale_result *
find(const struct shmring_bench_scale_run *run, const struct shmring_bench_scale_mech *m,
     unsigned test, unsigned size, unsigned p, unsigned c)
{
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_scale_result *r = &run->res[i];

		if (r->mech == m && r->test == test && r->size == size && r->producers == p &&
		    r->consumers == c)
			return r;
	}
	return NULL;
}

static const struct shmring_bench_scale_result *
find_name(const struct shmring_bench_scale_run *run, const char *name, unsigned test,
	  unsigned size, unsigned p, unsigned c)
{
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_scale_result *r = &run->res[i];

		if (r->status == SHMRING_BENCH_OK && strcmp(r->mech->name, name) == 0 &&
		    r->test == test && r->size == size && r->producers == p && r->consumers == c)
			return r;
	}
	return NULL;
}

/* One cell: the rate with its placement's initial (n near, f far, m moved). */
static void cell(char *b, size_t n, const struct shmring_bench_scale_result *r, bool bytes)
{
	char v[12];

	if (!r || r->status == SHMRING_BENCH_SKIPPED) {
		snprintf(b, n, "-");
		return;
	}
	if (r->status == SHMRING_BENCH_FAILED) {
		snprintf(b, n, "FAILED");
		return;
	}
	if (bytes)
		snprintf(v, sizeof(v), "%.0f", r->mb_per_s);
	else
		shmring_bench_fmt_count(v, sizeof(v), r->msgs_per_s);
	snprintf(b, n, "%s %c%s", v, shmring_bench_bracket_placement(&r->br)[0],
		 r->stalled ? "!" : "");
}

/* Distinct mechanisms of the run, in order of appearance. */
static size_t mechs_of(const struct shmring_bench_scale_run *run, unsigned test,
		       const struct shmring_bench_scale_mech **out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_scale_mech *m = run->res[i].mech;
		bool seen = run->res[i].test != test;

		for (size_t j = 0; j < n && !seen; j++)
			seen = out[j] == m;
		if (!seen && n < cap)
			out[n++] = m;
	}
	return n;
}

static void floors_line(FILE *f, const struct shmring_bench_scale_run *run, unsigned test,
			unsigned size, unsigned consumers)
{
	double lo = 0, hi = 0, tlo = 0, thi = 0;
	unsigned moved = 0;

	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_scale_result *r = &run->res[i];
		double b = shmring_bench_bracket_plain(&r->br), t = shmring_bench_bracket_floor(&r->br);

		if (r->status != SHMRING_BENCH_OK || r->test != test ||
		    (test == SHMRING_BENCH_SCALE_PRODUCERS &&
		     (r->size != size || r->consumers != consumers)))
			continue;
		if (b > 0 && (lo == 0 || b < lo))
			lo = b;
		if (b > hi)
			hi = b;
		if (t > 0 && (tlo == 0 || t < tlo))
			tlo = t;
		if (t > thi)
			thi = t;
		moved += r->br.moved;
	}
	if (hi <= 0)
		return;
	char a[16], b2[16], c[16], d[16];

	shmring_bench_fmt_ns(a, sizeof(a), lo);
	shmring_bench_fmt_ns(b2, sizeof(b2), hi);
	shmring_bench_fmt_ns(c, sizeof(c), tlo);
	shmring_bench_fmt_ns(d, sizeof(d), thi);
	fprintf(f, "  floor around these figures: bare %s..%s, timed %s..%s%s\n", a, b2, c, d,
		moved ? " (some moved: marked m)" : "");
}

static void producers_matrix(FILE *f, const struct shmring_bench_scale_cfg *cfg,
			     const struct shmring_bench_scale_run *run, unsigned size,
			     unsigned consumers)
{
	const struct shmring_bench_scale_mech *ms[64];
	size_t nm = mechs_of(run, SHMRING_BENCH_SCALE_PRODUCERS, ms, 64);
	unsigned pmax = cfg->producers[cfg->nproducers - 1];
	char sz[16];
	bool header = false;

	shmring_bench_fmt_size(sz, sizeof(sz), size);
	for (size_t i = 0; i < nm; i++) {
		char c[24];
		bool any = false;

		for (unsigned p = 0; p < cfg->nproducers; p++)
			any |= find(run, ms[i], SHMRING_BENCH_SCALE_PRODUCERS, size,
				    cfg->producers[p], consumers) != NULL;
		if (!any)
			continue;
		if (!header) {
			fprintf(f, "\nProducer scaling, %s messages, %u consumer%s: messages/s "
				   "(all consumers)\n%-22s",
				sz, consumers, consumers == 1 ? "" : "s", "mechanism");
			for (unsigned p = 0; p < cfg->nproducers; p++) {
				snprintf(c, sizeof(c), "%uP", cfg->producers[p]);
				fprintf(f, " %10s", c);
			}
			fprintf(f, " %7s %8s %9s  %s\n", "max/1P", "fairness", "cpu/msg",
				"vs best peer (worst P)");
			header = true;
		}
		fprintf(f, "%-22s", ms[i]->name);
		const struct shmring_bench_scale_result *last = NULL;
		double worst = 0;
		const char *worst_peer = NULL;
		unsigned worst_p = 0, elsewhere = 0;

		for (unsigned p = 0; p < cfg->nproducers; p++) {
			const struct shmring_bench_scale_result *r =
				find(run, ms[i], SHMRING_BENCH_SCALE_PRODUCERS, size,
				     cfg->producers[p], consumers);

			cell(c, sizeof(c), r, false);
			fprintf(f, " %10s", c);
			if (r && r->status == SHMRING_BENCH_OK) {
				last = r;
				elsewhere += r->peer_elsewhere;
				if (r->x_peer > 0 && (worst <= 0 || r->x_peer < worst)) {
					worst = r->x_peer;
					worst_peer = r->best_peer;
					worst_p = r->producers;
				}
			}
		}
		char x1[16], fair[16], cpu[16];

		shmring_bench_fmt_ratio(x1, sizeof(x1),
					last && last->producers == pmax ? last->x_one : 0);
		/* Fairness and CPU at the largest count, or "-": never another
		 * count's under that heading. */
		if (last && last->producers != pmax)
			last = NULL;
		shmring_bench_fmt_ratio(fair, sizeof(fair), last ? last->min_share : 0);
		if (last)
			shmring_bench_fmt_ns(cpu, sizeof(cpu), last->cpu_ns_per_msg);
		else
			snprintf(cpu, sizeof(cpu), "-");
		fprintf(f, " %7s %8s %9s", x1, fair, cpu);
		if (worst > 0)
			fprintf(f, "  %.3g x %s at %uP%s", worst, worst_peer, worst_p,
				elsewhere ? " (of the counts in one placement)" : "");
		else if (elsewhere)
			fprintf(f, "  unknown (placement changed)");
		fputc('\n', f);
	}
	if (header)
		floors_line(f, run, SHMRING_BENCH_SCALE_PRODUCERS, size, consumers);
}

static void records_matrix(FILE *f, const struct shmring_bench_scale_cfg *cfg,
			   const struct shmring_bench_scale_run *run)
{
	const struct shmring_bench_scale_mech *ms[64];
	size_t nm = mechs_of(run, SHMRING_BENCH_SCALE_RECORDS, ms, 64);
	char c[24];

	if (!nm)
		return;
	fprintf(f, "\nMessage ring, record-size sweep, 1 consumer: MB/s of payload\n%-22s %4s",
		"mechanism", "prod");
	for (unsigned s = 0; s < cfg->nmsg_sizes; s++) {
		shmring_bench_fmt_size(c, sizeof(c), cfg->msg_sizes[s]);
		fprintf(f, " %9s", c);
	}
	fprintf(f, "  msgs/s at the smallest\n");
	for (unsigned p = 0; p < cfg->nmsg_producers; p++)
		for (size_t i = 0; i < nm; i++) {
			const struct shmring_bench_scale_result *first = NULL;

			fprintf(f, "%-22s %4u", ms[i]->name, cfg->msg_producers[p]);
			for (unsigned s = 0; s < cfg->nmsg_sizes; s++) {
				const struct shmring_bench_scale_result *r =
					find(run, ms[i], SHMRING_BENCH_SCALE_RECORDS,
					     cfg->msg_sizes[s], cfg->msg_producers[p], 1);

				cell(c, sizeof(c), r, true);
				fprintf(f, " %9s", c);
				if (!first && r && r->status == SHMRING_BENCH_OK)
					first = r;
			}
			if (first)
				shmring_bench_fmt_count(c, sizeof(c), first->msgs_per_s);
			fprintf(f, "  %s\n", first ? c : "-");
		}
	floors_line(f, run, SHMRING_BENCH_SCALE_RECORDS, 0, 1);
}

static void failures(FILE *f, const struct shmring_bench_scale_run *run)
{
	bool header = false;

	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_scale_result *r = &run->res[i];
		bool seen = false;

		if (r->status == SHMRING_BENCH_OK && !r->stalled)
			continue;
		/* One skip line per mechanism and reason, not per figure. */
		for (size_t j = 0; j < i && !seen && r->status == SHMRING_BENCH_SKIPPED; j++)
			seen = run->res[j].status == SHMRING_BENCH_SKIPPED &&
			       run->res[j].mech == r->mech && strcmp(run->res[j].why, r->why) == 0;
		if (seen)
			continue;
		if (!header) {
			fprintf(f, "\nNot measured, failed, or cut off\n");
			header = true;
		}
		fprintf(f, "  %-22s %-9s %6u B %2uP %uC  %s: %s\n", r->mech->name,
			test_name(r->test), r->size, r->producers, r->consumers,
			r->status == SHMRING_BENCH_FAILED	? "FAILED"
			: r->status == SHMRING_BENCH_SKIPPED ? "skipped"
							     : "cut off",
			r->why);
	}
}

/* A ratio of two figures of one placement (near, far), or unknown when
 * their floors say they were not. */
static void key_ratio(FILE *f, const char *what, double x, const char *placement)
{
	if (x > 0)
		fprintf(f, "  %-64s %6.3g x  %s\n", what, x, placement);
	else
		fprintf(f, "  %-64s unknown (placement changed)\n", what);
}

static void key_ratios(FILE *f, const struct shmring_bench_scale_cfg *cfg,
		       const struct shmring_bench_scale_run *run)
{
	static const char *const keep[] = {"shmring-mpmc-adaptive", "shmring-mpmc-block",
					   "shmring-mpmc"};
	unsigned p1 = cfg->producers[0], pn = cfg->producers[cfg->nproducers - 1];
	bool header = false;
	char what[160];

	if (cfg->nproducers < 2)
		return;
	for (unsigned s = 0; s < cfg->base.nsizes; s++)
		for (unsigned c = 0; c < cfg->nconsumers; c++)
			for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
				unsigned size = cfg->base.sizes[s], cons = cfg->consumers[c];
				const struct shmring_bench_scale_result *a =
					find_name(run, keep[k], SHMRING_BENCH_SCALE_PRODUCERS,
						  size, p1, cons);
				const struct shmring_bench_scale_result *b =
					find_name(run, keep[k], SHMRING_BENCH_SCALE_PRODUCERS,
						  size, pn, cons);

				if (!a || !b || a->msgs_per_s <= 0)
					continue;
				if (!header) {
					fprintf(f, "\nIn this run\n");
					header = true;
				}
				snprintf(what, sizeof(what), "%s %u B, %uC: %uP / %uP", keep[k],
					 size, cons, pn, p1);
				key_ratio(f, what,
					  shmring_bench_same_placement(&a->br, &b->br) ? b->msgs_per_s / a->msgs_per_s : 0,
					  shmring_bench_bracket_placement(&a->br));
			}
	/* Each shmring transport against the best peer doing the same job:
	 * the worst such ratio over every figure it has. */
	const struct shmring_bench_scale_mech *ms[64];
	size_t nm = mechs_of(run, SHMRING_BENCH_SCALE_PRODUCERS, ms, 64);

	for (size_t i = 0; i < nm; i++) {
		const struct shmring_bench_scale_result *worst = NULL;
		unsigned elsewhere = 0, compared = 0;

		if (ms[i]->flags & SHMRING_BENCH_SCALE_PEER)
			continue;
		for (size_t j = 0; j < run->nres; j++) {
			const struct shmring_bench_scale_result *r = &run->res[j];

			if (r->mech != ms[i] || r->status != SHMRING_BENCH_OK)
				continue;
			elsewhere += r->peer_elsewhere;
			if (r->x_peer > 0) {
				compared++;
				if (!worst || r->x_peer < worst->x_peer)
					worst = r;
			}
		}
		if (!worst && !elsewhere)
			continue;
		if (!header) {
			fprintf(f, "\nIn this run\n");
			header = true;
		}
		/* A worst case over some figures only is said to be so: the
		 * one left out may be the worst. */
		if (!worst) {
			snprintf(what, sizeof(what), "%s / best peer, worst case", ms[i]->name);
			key_ratio(f, what, 0, "");
			continue;
		}
		snprintf(what, sizeof(what), "%s / best peer, worst case (%u B %uP %uC, %s)%s",
			 ms[i]->name, worst->size, worst->producers, worst->consumers,
			 worst->best_peer,
			 elsewhere ? ", over the figures whose best peer ran in their placement"
				   : "");
		key_ratio(f, what, worst->x_peer, shmring_bench_bracket_placement(&worst->br));
		if (elsewhere)
			fprintf(f, "    (%u of %u figures compared; the others: unknown, the best "
				   "peer in another placement)\n",
				compared, compared + elsewhere);
	}
}

void shmring_bench_scale_report_table(FILE *f, const struct shmring_bench_scale_cfg *cfg,
				      const struct shmring_bench_scale_run *run)
{
	size_t failed = 0;

	fprintf(f, "shmring bench --scaling: %s; %.0f ms per figure after %.0f ms warm-up; "
		   "%.1f s in all\n",
		cfg->placement == SHMRING_BENCH_SPREAD
			? "every process pinned, dealt over the two CPUs in turn"
			: "consumers pinned to the first CPU, producers to the second",
		(double)cfg->base.run_ns / 1e6, (double)cfg->base.warm_ns / 1e6, run->wall_s);
	fprintf(f, "CPUs %d and %d; each producer and consumer its own process; every message "
		   "checked (producer id, sequence, payload)\n",
		cfg->base.cpu[0], cfg->base.cpu[1]);
	shmring_bench_machine_line(f);
	for (unsigned s = 0; s < cfg->base.nsizes; s++)
		for (unsigned c = 0; c < cfg->nconsumers; c++)
			producers_matrix(f, cfg, run, cfg->base.sizes[s], cfg->consumers[c]);
	records_matrix(f, cfg, run);
	failures(f, run);
	key_ratios(f, cfg, run);
	for (size_t i = 0; i < run->nres; i++)
		failed += run->res[i].status == SHMRING_BENCH_FAILED;
	fprintf(f, "\nCells: rate and placement (n near, f far, by the bare floor below or above "
		   "%.0f ns; m: the bare floor moved more than %.1fx across the figure; !: still "
		   "delivering long after the window\n(a collapse): cut off, the messages left "
		   "unchecked).\n"
		   "max/1P: the largest producer count against the smallest, same transport. "
		   "fairness: the least-served producer's\nshare against an even share, at the "
		   "largest count. cpu/msg: CPU time of every process per message, there.\n"
		   "vs best peer: against the fastest peer ring of the same job and wait class "
		   "(busy-poll, or yield/block), lowest over producer counts.\n"
		   "Every ratio (max/1P, vs best peer, \"In this run\") is of two figures in one "
		   "placement, or left out (\"-\", \"unknown\").\n",
		SHMRING_BENCH_NEAR_NS, SHMRING_BENCH_MOVED_RATIO);
	if (failed)
		fprintf(f, "%zu measurement(s) FAILED.\n", failed);
}

/* ------------------------------------------------------------ JSON, CSV */

static void row_fields(const void *ctx, size_t i, struct shmring_bench_row *w)
{
	const struct shmring_bench_scale_cfg *cfg = ((const void *const *)ctx)[0];
	const struct shmring_bench_scale_run *run = ((const void *const *)ctx)[1];
	struct shmring_bench_scale_result none;
	const struct shmring_bench_scale_result *r = &none;

	if (i < run->nres) {
		r = &run->res[i];
	} else {
		memset(&none, 0, sizeof(none));
		none.mech = shmring_bench_scale_mechs[0];
		none.test = SHMRING_BENCH_SCALE_PRODUCERS;
	}
	bool ok = r->status == SHMRING_BENCH_OK;

	shmring_bench_row_str(w, "mechanism", r->mech->name);
	shmring_bench_row_str(w, "description", r->mech->desc);
	shmring_bench_row_str(w, "test", test_name(r->test));
	shmring_bench_row_str(w, "wait", wait_name(r->mech));
	shmring_bench_row_bool(w, "peer", r->mech->flags & SHMRING_BENCH_SCALE_PEER, true);
	shmring_bench_row_int(w, "size", r->size, true);
	shmring_bench_row_int(w, "producers", r->producers, true);
	shmring_bench_row_int(w, "consumers", r->consumers, true);
	shmring_bench_row_str(w, "status", shmring_bench_status_name(r->status));
	shmring_bench_row_str(w, "reason", ok && !r->stalled ? NULL : r->why);
	shmring_bench_row_bool(w, "stalled", r->stalled, ok);
	shmring_bench_row_int(w, "msgs", (double)r->msgs, ok);
	shmring_bench_row_int(w, "sent", (double)r->sent, ok);
	shmring_bench_row_num(w, "window_s", r->window_s, ok);
	shmring_bench_row_num(w, "msgs_per_s", r->msgs_per_s, ok);
	shmring_bench_row_num(w, "mb_per_s", r->mb_per_s, ok);
	shmring_bench_row_num(w, "cpu_ns_per_msg", r->cpu_ns_per_msg, ok && r->msgs);
	shmring_bench_row_num(w, "min_share", r->min_share, ok);
	shmring_bench_row_num(w, "x_one_producer", r->x_one, ok && r->x_one > 0);
	shmring_bench_row_num(w, "x_best_peer", r->x_peer, ok && r->x_peer > 0);
	shmring_bench_row_str(w, "best_peer", ok && r->x_peer > 0 ? r->best_peer : NULL);
	shmring_bench_row_floors(w, &r->br, ok);
	shmring_bench_row_placement(w, &r->br, ok);
	shmring_bench_row_str(w, "pinning", cfg->placement == SHMRING_BENCH_SPREAD ? "spread"
										 : "split");
	shmring_bench_row_int(w, "cpu_a", cfg->base.cpu[0], true);
	shmring_bench_row_int(w, "cpu_b", cfg->base.cpu[1], true);
	shmring_bench_row_machine(w);
}

void shmring_bench_scale_report_json(FILE *f, const struct shmring_bench_scale_cfg *cfg,
				     const struct shmring_bench_scale_run *run)
{
	const void *ctx[2] = {cfg, run};

	shmring_bench_write_rows(f, SHMRING_BENCH_JSON, row_fields, ctx, run->nres);
}

void shmring_bench_scale_report_csv(FILE *f, const struct shmring_bench_scale_cfg *cfg,
				    const struct shmring_bench_scale_run *run)
{
	const void *ctx[2] = {cfg, run};

	shmring_bench_write_rows(f, SHMRING_BENCH_CSV, row_fields, ctx, run->nres);
}

/* ---------------------------------------------------------------- plots */

/* Throughput against producers, one line per transport, for one size and
 * consumer count; busy-polling transports solid, waiting ones dashed. */
static int plot_producers(struct shmring_bench_plot *pl, const struct shmring_bench_scale_cfg *cfg,
			  const struct shmring_bench_scale_run *run, unsigned size,
			  unsigned consumers)
{
	const struct shmring_bench_scale_mech *ms[64];
	size_t nm = mechs_of(run, SHMRING_BENCH_SCALE_PRODUCERS, ms, 64);
	char stem[64];
	unsigned blocks = 0;
	FILE *d, *g;
	int rc;

	snprintf(stem, sizeof(stem), "scaling_%uB_%uc", size, consumers);
	rc = shmring_bench_plot_open(pl, stem, &d, &g);
	if (rc)
		return rc;
	fprintf(g, "set title 'Producer scaling between processes, %u B messages, %u consumer%s "
		   "(shmring bench --scaling)'\n"
		   "set logscale x 2\nset logscale y\nset xlabel 'producer processes'\n"
		   "set ylabel 'messages per second (all consumers)'\nset xtics (",
		size, consumers, consumers == 1 ? "" : "s");
	for (unsigned p = 0; p < cfg->nproducers; p++)
		fprintf(g, "%s%u", p ? ", " : "", cfg->producers[p]);
	fprintf(g, ")\nset key outside right\nset grid\nplot ");
	for (size_t i = 0; i < nm; i++) {
		bool any = false;

		for (unsigned p = 0; p < cfg->nproducers; p++) {
			const struct shmring_bench_scale_result *r =
				find(run, ms[i], SHMRING_BENCH_SCALE_PRODUCERS, size,
				     cfg->producers[p], consumers);

			if (!r || r->status != SHMRING_BENCH_OK)
				continue;
			if (!any)
				fprintf(d, "%s# %s\n", blocks ? "\n\n" : "", ms[i]->name);
			any = true;
			fprintf(d, "%u %.1f\n", r->producers, r->msgs_per_s);
		}
		if (!any)
			continue;
		fprintf(g, "%s'%s.dat' index %u using 1:2 with linespoints lw 2 dt %d title '%s'",
			blocks ? ", \\\n     " : "", stem, blocks,
			(ms[i]->flags & SHMRING_BENCH_SCALE_WAIT) ? 2 : 1, ms[i]->name);
		blocks++;
	}
	fprintf(g, "%s\n", blocks ? "" : "NaN notitle");
	fclose(d);
	fclose(g);
	return 0;
}

static int plot_records(struct shmring_bench_plot *pl, const struct shmring_bench_scale_cfg *cfg,
			const struct shmring_bench_scale_run *run)
{
	const struct shmring_bench_scale_mech *ms[64];
	size_t nm = mechs_of(run, SHMRING_BENCH_SCALE_RECORDS, ms, 64);
	const char *stem = "msg_records";
	unsigned blocks = 0;
	FILE *d, *g;
	int rc;

	if (!nm)
		return 0;
	rc = shmring_bench_plot_open(pl, stem, &d, &g);
	if (rc)
		return rc;
	fprintf(g, "set title 'Message ring between processes, payload throughput against record "
		   "size (shmring bench --scaling)'\n"
		   "set logscale x 2\nset logscale y\nset xlabel 'record payload (bytes)'\n"
		   "set ylabel 'MB/s of payload'\nset key outside right\nset grid\nplot ");
	for (unsigned p = 0; p < cfg->nmsg_producers; p++)
		for (size_t i = 0; i < nm; i++) {
			bool any = false;

			for (unsigned s = 0; s < cfg->nmsg_sizes; s++) {
				const struct shmring_bench_scale_result *r =
					find(run, ms[i], SHMRING_BENCH_SCALE_RECORDS,
					     cfg->msg_sizes[s], cfg->msg_producers[p], 1);

				if (!r || r->status != SHMRING_BENCH_OK)
					continue;
				if (!any)
					fprintf(d, "%s# %s %uP\n", blocks ? "\n\n" : "",
						ms[i]->name, cfg->msg_producers[p]);
				any = true;
				fprintf(d, "%u %.3f\n", r->size, r->mb_per_s);
			}
			if (!any)
				continue;
			fprintf(g,
				"%s'%s.dat' index %u using 1:2 with linespoints lw 2 title '%s, %u "
				"producer%s'",
				blocks ? ", \\\n     " : "", stem, blocks, ms[i]->name,
				cfg->msg_producers[p], cfg->msg_producers[p] == 1 ? "" : "s");
			blocks++;
		}
	fprintf(g, "%s\n", blocks ? "" : "NaN notitle");
	fclose(d);
	fclose(g);
	return 0;
}

int shmring_bench_scale_plot(const char *dir, const struct shmring_bench_scale_cfg *cfg,
			     const struct shmring_bench_scale_run *run)
{
	struct shmring_bench_plot pl;
	int rc = shmring_bench_plot_begin(&pl, dir);

	if (rc)
		return rc;
	for (unsigned s = 0; s < cfg->base.nsizes && rc == 0; s++)
		for (unsigned c = 0; c < cfg->nconsumers && rc == 0; c++)
			rc = plot_producers(&pl, cfg, run, cfg->base.sizes[s], cfg->consumers[c]);
	if (rc == 0)
		rc = plot_records(&pl, cfg, run);
	return shmring_bench_plot_end(&pl, rc);
}
