/* SPDX-License-Identifier: MIT */
/*
 * src/bench/run.c - the whole run: every selected mechanism, mode and size,
 * each bracketed by plain floor measurements, measured again once when the
 * floor moved under it (the host re-placed the vCPUs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "hist.h"
#include "pair.h"
#include "timing.h"

static double mid(double a, double b)
{
	if (a > 0 && b > 0)
		return (a + b) / 2;
	return a > 0 ? a : b;
}

double shmring_bench_bracket_floor(const struct shmring_bench_bracket *b)
{
	return mid(b->floor_before, b->floor_after);
}

double shmring_bench_bracket_plain(const struct shmring_bench_bracket *b)
{
	return mid(b->plain_before, b->plain_after);
}

static double x_of(const struct shmring_bench_result *r, double f)
{
	if (r->status != SHMRING_BENCH_OK || f <= 0)
		return 0;
	if (r->mode == SHMRING_BENCH_RTT)
		return r->p50 / f;
	/* Throughput: the time per message, in floor round trips. */
	return r->msgs_per_s > 0 ? 1e9 / r->msgs_per_s / f : 0;
}

double shmring_bench_result_x_floor(const struct shmring_bench_result *r)
{
	return x_of(r, shmring_bench_bracket_floor(&r->br));
}

double shmring_bench_result_x_plain(const struct shmring_bench_result *r)
{
	return x_of(r, shmring_bench_bracket_plain(&r->br));
}

/* A timed floor this far above the bare one was not a floor: another
 * process held one of the two CPUs for most of the short window. */
#define FLOOR_SANE_RATIO 4.0
#define FLOOR_TRIES 3

int shmring_bench_floors(const struct shmring_bench_cfg *cfg, double *timed, double *plain)
{
	struct shmring_bench_cfg short_cfg = *cfg;
	int rc = 0;

	/* Short: a twenty-fifth of a figure, 5 ms at least; long enough for
	 * thousands of round trips, short next to a placement. */
	short_cfg.run_ns = cfg->run_ns / 25 > 5000000u ? cfg->run_ns / 25 : 5000000u;
	short_cfg.warm_ns = short_cfg.run_ns / 4;
	for (int t = 0; t < FLOOR_TRIES; t++) {
		struct shmring_bench_result r;

		rc = shmring_bench_floor(cfg, plain);
		if (rc)
			return rc;
		rc = shmring_bench_measure(&short_cfg, &shmring_bench_mech_floor,
					   SHMRING_BENCH_RTT, 8, &r);
		if (rc == 0 && r.status != SHMRING_BENCH_OK) {
			fprintf(stderr, "shmring bench: floor: %s\n", r.why);
			rc = -EIO;
		}
		if (rc == 0)
			*timed = r.p50;
		shmring_bench_result_free(&r);
		if (rc || *timed < *plain * FLOOR_SANE_RATIO)
			break;
	}
	return rc;
}

const char *shmring_bench_bracket_placement(const struct shmring_bench_bracket *b)
{
	/* The bare loop's figure, as the near/far ranges are known for it. */
	double f = shmring_bench_bracket_plain(b);

	if (f <= 0)
		return "unknown";
	if (b->moved)
		return "moved";
	return f < SHMRING_BENCH_NEAR_NS ? "near" : "far";
}

static bool floors_moved(double a, double b)
{
	if (a <= 0 || b <= 0)
		return false;
	return (a > b ? a / b : b / a) > SHMRING_BENCH_MOVED_RATIO;
}

int shmring_bench_bracket_close(const struct shmring_bench_cfg *cfg,
				struct shmring_bench_floor_now *now,
				struct shmring_bench_bracket *b)
{
	int rc;

	b->floor_before = now->timed;
	b->plain_before = now->plain;
	rc = shmring_bench_floors(cfg, &now->timed, &now->plain);
	if (rc)
		return rc;
	b->floor_after = now->timed;
	b->plain_after = now->plain;
	b->moved = floors_moved(b->floor_before, b->floor_after) ||
		   floors_moved(b->plain_before, b->plain_after);
	return 0;
}

/* What one timed sample costs on its own: back-to-back timestamps and
 * histogram updates, as the round-trip loop does them. */
static double timer_overhead_ns(void)
{
	struct shmring_bench_hist *h = malloc(sizeof(*h));
	double ns = 0;

	if (!h)
		return 0;
	shmring_bench_hist_reset(h);
	uint64_t prev = shmring_bench_ticks();
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t t = shmring_bench_ticks();

		shmring_bench_hist_record(h, t - prev);
		prev = t;
	}
	ns = shmring_bench_ticks_to_ns((uint64_t)shmring_bench_hist_percentile(h, 50));
	free(h);
	return ns;
}

static const char *mode_name(unsigned mode)
{
	return mode == SHMRING_BENCH_RTT ? "round trip" : "throughput";
}

static void progress(const struct shmring_bench_cfg *cfg, size_t i, size_t n, uint64_t t0,
		     const struct shmring_bench_mech *m, unsigned mode, unsigned size,
		     const char *what)
{
	if (!cfg->progress)
		return;
	fprintf(stderr, "\r\033[K[%3zu/%zu %3.0fs] %s %s %u B%s", i + 1, n,
		(double)(shmring_bench_mono_ns() - t0) / 1e9, m->name, mode_name(mode), size,
		what);
	fflush(stderr);
}

static int measure_bracketed(const struct shmring_bench_cfg *cfg,
			     const struct shmring_bench_mech *m, unsigned mode, unsigned size,
			     struct shmring_bench_floor_now *now, struct shmring_bench_result *res)
{
	int rc = shmring_bench_measure(cfg, m, mode, size, res);

	if (rc || res->status != SHMRING_BENCH_OK)
		return rc;
	return shmring_bench_bracket_close(cfg, now, &res->br);
}

int shmring_bench_run_all(const struct shmring_bench_cfg *cfg,
			  const struct shmring_bench_mech *const *mechs, size_t nmechs,
			  struct shmring_bench_run *run)
{
	static const unsigned modes[] = {SHMRING_BENCH_RTT, SHMRING_BENCH_TPUT};
	size_t total = nmechs * 2 * cfg->nsizes, k = 0;
	uint64_t t0 = shmring_bench_mono_ns();
	struct shmring_bench_floor_now floor_now = {0, 0};
	int rc;

	memset(run, 0, sizeof(*run));
	rc = shmring_bench_init();
	if (rc)
		return rc;
	run->res = calloc(total ? total : 1, sizeof(*run->res));
	if (!run->res)
		return -ENOMEM;
	rc = shmring_bench_pin(cfg->cpu[0]);
	if (rc)
		return rc;
	run->timer_overhead_ns = timer_overhead_ns();
	rc = shmring_bench_floors(cfg, &floor_now.timed, &floor_now.plain);
	if (rc)
		return rc;

	for (size_t mi = 0; mi < nmechs; mi++) {
		for (unsigned md = 0; md < 2; md++) {
			if (!(cfg->modes & modes[md]))
				continue;
			for (unsigned si = 0; si < cfg->nsizes; si++, k++) {
				const struct shmring_bench_mech *m = mechs[mi];
				struct shmring_bench_result *res = &run->res[run->nres++];
				unsigned size = cfg->sizes[si];

				progress(cfg, k, total, t0, m, modes[md], size, "");
				rc = measure_bracketed(cfg, m, modes[md], size, &floor_now, res);
				if (rc)
					return rc;
				if (res->br.moved && cfg->retry) {
					struct shmring_bench_result again;

					memset(&again, 0, sizeof(again));

					progress(cfg, k, total, t0, m, modes[md], size,
						 " (floor moved: again)");
					/* A fresh floor just before, not the one from
					 * the other placement. */
					rc = shmring_bench_floors(cfg, &floor_now.timed,
								  &floor_now.plain);
					if (rc == 0)
						rc = measure_bracketed(cfg, m, modes[md], size,
								       &floor_now, &again);
					if (rc) {
						shmring_bench_result_free(&again);
						return rc;
					}
					if (again.status == SHMRING_BENCH_OK) {
						shmring_bench_result_free(res);
						*res = again;
					} else {
						shmring_bench_result_free(&again);
					}
					res->br.retried = true;
				}
			}
		}
	}
	if (cfg->progress) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}

	/* Ratios against the pipe, same mode and size. */
	for (size_t i = 0; i < run->nres; i++) {
		struct shmring_bench_result *r = &run->res[i];

		if (r->status != SHMRING_BENCH_OK)
			continue;
		for (size_t j = 0; j < run->nres; j++) {
			const struct shmring_bench_result *p = &run->res[j];

			if (p->status != SHMRING_BENCH_OK || strcmp(p->mech->name, "pipe") != 0 ||
			    p->mode != r->mode || p->size != r->size)
				continue;
			if (r->mode == SHMRING_BENCH_RTT && p->p50 > 0)
				r->x_pipe = r->p50 / p->p50;
			else if (r->mode == SHMRING_BENCH_TPUT && p->msgs_per_s > 0)
				r->x_pipe = r->msgs_per_s / p->msgs_per_s;
		}
	}
	run->wall_s = (double)(shmring_bench_mono_ns() - t0) / 1e9;
	return 0;
}

void shmring_bench_run_free(struct shmring_bench_run *run)
{
	for (size_t i = 0; run->res && i < run->nres; i++)
		shmring_bench_result_free(&run->res[i]);
	free(run->res);
	memset(run, 0, sizeof(*run));
}
