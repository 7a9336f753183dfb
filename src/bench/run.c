/* SPDX-License-Identifier: MIT */
/*
 * src/bench/run.c - the whole run: every selected mechanism, mode and size,
 * each bracketed by plain floor measurements, measured again once when the
 * floor moved under it (the host re-placed the vCPUs); then the ratios
 * between mechanisms, each from its own figures measured back to back.
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

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

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
	/* Floors that moved say the figure straddled two placements: over
	 * either floor the ratio would mix them. */
	if (r->status != SHMRING_BENCH_OK || f <= 0 || r->br.moved)
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

bool shmring_bench_same_placement(const struct shmring_bench_bracket *a,
				  const struct shmring_bench_bracket *b)
{
	const char *pa = shmring_bench_bracket_placement(a);

	return (strcmp(pa, "near") == 0 || strcmp(pa, "far") == 0) &&
	       strcmp(pa, shmring_bench_bracket_placement(b)) == 0;
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
	/* By the bare floor: the timed one carries the harness's own work per
	 * round trip and jitters past the threshold in one placement, which
	 * left good figures out as "moved". */
	b->moved = floors_moved(b->plain_before, b->plain_after);
	return 0;
}

/* What one timed sample costs on its own (back-to-back timestamps and
 * histogram updates, as the round-trip loop does them: the median gap) and
 * the timer's step (the least gap that is not zero: a guest's time-stamp
 * counter may advance many ticks at a time, which no figure can be finer
 * than). */
static void timer_facts(struct shmring_bench_run *run)
{
	struct shmring_bench_hist *h = malloc(sizeof(*h));
	uint64_t step = UINT64_MAX;

	run->timer_overhead_ns = run->timer_step_ns = 0;
	if (!h)
		return;
	shmring_bench_hist_reset(h);
	uint64_t prev = shmring_bench_ticks();
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t t = shmring_bench_ticks();

		shmring_bench_hist_record(h, t - prev);
		if (t != prev && t - prev < step)
			step = t - prev;
		prev = t;
	}
	run->timer_overhead_ns =
		shmring_bench_ticks_to_ns((uint64_t)shmring_bench_hist_percentile(h, 50));
	if (step != UINT64_MAX)
		run->timer_step_ns = shmring_bench_ticks_to_ns(step);
	free(h);
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
	shmring_bench_progress("\r\033[K[%3zu/%zu %3.0fs] %s %s %u B%s", i + 1, n,
			       (double)(shmring_bench_mono_ns() - t0) / 1e9, m->name,
			       mode_name(mode), size, what);
}

static int measure_bracketed(const struct shmring_bench_cfg *cfg,
			     const struct shmring_bench_mech *m, unsigned mode, unsigned size,
			     struct shmring_bench_floor_now *now, struct shmring_bench_result *res)
{
	int rc = shmring_bench_measure(cfg, m, mode, size, res);

	/* A failure may have taken seconds (up to its watchdog): the next
	 * figure's floor before is taken afresh, not the one from before it. */
	if (rc == 0 && res->status == SHMRING_BENCH_FAILED)
		return shmring_bench_floors(cfg, &now->timed, &now->plain);
	if (rc || res->status != SHMRING_BENCH_OK)
		return rc;
	return shmring_bench_bracket_close(cfg, now, &res->br);
}

/* ------------------------------------------ ratios, measured back to back */

/*
 * The comparisons a run makes, when both mechanisms are in it: shmring's
 * SPSC ring against each peer ring doing the same job (single messages and
 * bursts), a ring created poll-only against the default one and the peers
 * (what giving up parking buys), its dense slot layout against the stamped
 * one (whether dropping the stamps pays depends on the size and on bursts),
 * its blocking form
 * against the raw futex, and against the pipe (the kernel's plainest
 * channel). Each in both tests and at every size that both of its
 * mechanisms measured.
 */
static const struct {
	const char *a, *b;
} compared[] = {
	{"shmring-spsc", "dpdk-ring"},
	{"shmring-spsc", "ck-ring"},
	{"shmring-spsc", "boost-spsc"},
	{"shmring-spsc-lane", "shmring-spsc"},
	{"shmring-spsc-lane", "boost-spsc"},
	{"shmring-spsc-lane-send", "shmring-spsc-lane"},
	{"shmring-spsc-poll", "shmring-spsc"},
	{"shmring-spsc-poll", "dpdk-ring"},
	{"shmring-spsc-poll", "ck-ring"},
	{"shmring-spsc-poll", "boost-spsc"},
	{"shmring-spsc-lane-poll", "shmring-spsc-lane"},
	{"shmring-spsc-lane-poll-slip", "shmring-spsc-lane-poll"},
	{"shmring-spsc-lane-poll-slip", "boost-spsc"},
	{"shmring-spsc-batch", "dpdk-ring-batch"},
	{"shmring-spsc-batch", "boost-spsc-batch"},
	{"shmring-spsc-dense", "shmring-spsc"},
	{"shmring-spsc-duplex", "shmring-spsc"},
	{"shmring-spsc-duplex-lane", "shmring-spsc-lane"},
	{"shmring-spsc-dense-batch", "shmring-spsc-batch"},
	{"shmring-spsc-dense-batch", "boost-spsc-batch"},
	{"shmring-spsc-block", "futex"},
	{"shmring-spsc", "pipe"},
};

enum { PL_NEAR, PL_FAR, PL_N };
static const char *const pl_name[PL_N] = {"near", "far"};

/* The figures of one side of a comparison, by placement. */
struct side {
	double v[PL_N][SHMRING_BENCH_RATIO_MAX_ROUNDS];
	double floor[PL_N][SHMRING_BENCH_RATIO_MAX_ROUNDS];
	unsigned n[PL_N];
	unsigned moved; /* figures whose floors moved: in no placement */
};

static const struct shmring_bench_mech *chosen(const struct shmring_bench_mech *const *mechs,
					       size_t nmechs, const char *name)
{
	for (size_t i = 0; i < nmechs; i++)
		if (strcmp(mechs[i]->name, name) == 0)
			return mechs[i];
	return NULL;
}

/* The main pass's figure, so that a comparison runs only where both ran. */
static const struct shmring_bench_result *figure(const struct shmring_bench_run *run,
						 const struct shmring_bench_mech *m, unsigned mode,
						 unsigned size)
{
	for (size_t i = 0; i < run->nres; i++)
		if (run->res[i].mech == m && run->res[i].mode == mode && run->res[i].size == size)
			return &run->res[i];
	return NULL;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The placement with the most figures of both sides (near on a tie), or
 * -1 when none holds one of each. */
static int common_placement(const struct side *a, const struct side *b)
{
	int best = -1;
	unsigned most = 0;

	for (int p = 0; p < PL_N; p++) {
		unsigned both = a->n[p] < b->n[p] ? a->n[p] : b->n[p];

		if (both > most) {
			most = both;
			best = p;
		}
	}
	return best;
}

/* One figure of a comparison, bracketed like every figure; filed under its
 * placement. 0, or -errno when the harness failed; *failed with the reason
 * when the measurement did. */
static int one_figure(const struct shmring_bench_cfg *cfg, const struct shmring_bench_mech *m,
		      unsigned mode, unsigned size, struct shmring_bench_floor_now *now,
		      struct side *sd, struct shmring_bench_ratio *ra)
{
	struct shmring_bench_result r;
	int rc = measure_bracketed(cfg, m, mode, size, now, &r);

	if (rc == 0 && r.status != SHMRING_BENCH_OK) {
		ra->status = r.status;
		/* The name first: which of the two failed; then as much of why as fits. */
		snprintf(ra->why, sizeof(ra->why), "%s: %.160s", m->name, r.why);
	} else if (rc == 0) {
		const char *pl = shmring_bench_bracket_placement(&r.br);
		int p = strcmp(pl, "near") == 0 ? PL_NEAR : strcmp(pl, "far") == 0 ? PL_FAR : -1;

		if (p < 0) {
			sd->moved++;
		} else {
			sd->v[p][sd->n[p]] = mode == SHMRING_BENCH_RTT ? r.p50 : r.msgs_per_s;
			sd->floor[p][sd->n[p]++] = shmring_bench_bracket_plain(&r.br);
		}
	}
	shmring_bench_result_free(&r);
	return rc;
}

static void compare_progress(const struct shmring_bench_cfg *cfg, size_t k, size_t n,
			     uint64_t t0, const struct shmring_bench_ratio *ra, unsigned round)
{
	if (!cfg->progress)
		return;
	shmring_bench_progress("\r\033[K[ratio %zu/%zu %3.0fs] %s / %s %s %u B, round %u", k + 1,
			       n, (double)(shmring_bench_mono_ns() - t0) / 1e9, ra->a->name,
			       ra->b->name, mode_name(ra->mode), ra->size, round + 1);
}

/* Rounds of A then B until a placement holds both (after the least rounds
 * that give a median some footing), or the rounds run out. */
static int compare_one(const struct shmring_bench_cfg *cfg, struct shmring_bench_floor_now *now,
		       struct shmring_bench_ratio *ra, size_t k, size_t n, uint64_t t0)
{
	unsigned most = cfg->ratio_rounds < SHMRING_BENCH_RATIO_MAX_ROUNDS
				? cfg->ratio_rounds
				: SHMRING_BENCH_RATIO_MAX_ROUNDS;
	struct side *a = calloc(2, sizeof(*a)), *b = a + 1;
	int rc = 0, p = -1;

	if (!a)
		return -ENOMEM;
	ra->status = SHMRING_BENCH_OK;
	for (unsigned round = 0; round < most && rc == 0; round++) {
		compare_progress(cfg, k, n, t0, ra, round);
		rc = one_figure(cfg, ra->a, ra->mode, ra->size, now, a, ra);
		if (rc == 0 && ra->status == SHMRING_BENCH_OK)
			rc = one_figure(cfg, ra->b, ra->mode, ra->size, now, b, ra);
		if (rc || ra->status != SHMRING_BENCH_OK)
			break;
		ra->rounds = round + 1;
		p = common_placement(a, b);
		if (p >= 0 && ra->rounds >= SHMRING_BENCH_RATIO_MIN_ROUNDS)
			break;
	}
	if (rc == 0 && ra->status == SHMRING_BENCH_OK && p < 0) {
		ra->status = SHMRING_BENCH_UNKNOWN;
		snprintf(ra->why, sizeof(ra->why),
			 "placement changed: in %u round(s), %s near %u, far %u, moved %u; "
			 "%s near %u, far %u, moved %u",
			 ra->rounds, ra->a->name, a->n[PL_NEAR], a->n[PL_FAR], a->moved,
			 ra->b->name, b->n[PL_NEAR], b->n[PL_FAR], b->moved);
	} else if (rc == 0 && ra->status == SHMRING_BENCH_OK) {
		double fl[2 * SHMRING_BENCH_RATIO_MAX_ROUNDS];
		unsigned nf = 0;

		for (unsigned i = 0; i < a->n[p]; i++)
			fl[nf++] = a->floor[p][i];
		for (unsigned i = 0; i < b->n[p]; i++)
			fl[nf++] = b->floor[p][i];
		ra->placement = pl_name[p];
		ra->a_figures = a->n[p];
		ra->b_figures = b->n[p];
		ra->a_value = median(a->v[p], a->n[p]);
		ra->b_value = median(b->v[p], b->n[p]);
		ra->floor_plain = median(fl, nf);
		ra->ratio = ra->b_value > 0 ? ra->a_value / ra->b_value : 0;
	}
	free(a);
	return rc;
}

/* Every comparison whose two mechanisms the run has and measured (OK) in
 * the main pass, in the order of the list, test and size. */
static int compare_all(const struct shmring_bench_cfg *cfg,
		       const struct shmring_bench_mech *const *mechs, size_t nmechs,
		       struct shmring_bench_run *run, struct shmring_bench_floor_now *now,
		       uint64_t t0)
{
	static const unsigned modes[] = {SHMRING_BENCH_RTT, SHMRING_BENCH_TPUT};
	size_t cap = sizeof(compared) / sizeof(compared[0]) * 2 * cfg->nsizes;
	int rc = 0;

	if (cfg->ratio_rounds == 0)
		return 0;
	run->ratios = calloc(cap ? cap : 1, sizeof(*run->ratios));
	if (!run->ratios)
		return -ENOMEM;
	for (size_t c = 0; c < sizeof(compared) / sizeof(compared[0]); c++) {
		const struct shmring_bench_mech *a = chosen(mechs, nmechs, compared[c].a);
		const struct shmring_bench_mech *b = chosen(mechs, nmechs, compared[c].b);

		for (unsigned md = 0; a && b && md < 2; md++)
			for (unsigned si = 0; si < cfg->nsizes; si++) {
				const struct shmring_bench_result *fa =
					figure(run, a, modes[md], cfg->sizes[si]);
				const struct shmring_bench_result *fb =
					figure(run, b, modes[md], cfg->sizes[si]);

				if (!fa || !fb || fa->status != SHMRING_BENCH_OK ||
				    fb->status != SHMRING_BENCH_OK)
					continue;
				run->ratios[run->nratios++] = (struct shmring_bench_ratio){
					.a = a, .b = b, .mode = modes[md], .size = cfg->sizes[si]};
			}
	}
	for (size_t k = 0; k < run->nratios && rc == 0; k++)
		rc = compare_one(cfg, now, &run->ratios[k], k, run->nratios, t0);
	return rc;
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
	timer_facts(run);
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
					/* The second figure stands, and so does a
					 * failure of it: a check that failed once
					 * fails the mechanism (it was dropped, and
					 * the first figure shown as good). */
					if (again.status == SHMRING_BENCH_OK ||
					    again.status == SHMRING_BENCH_FAILED) {
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

	rc = compare_all(cfg, mechs, nmechs, run, &floor_now, t0);
	if (cfg->progress) {
		shmring_bench_progress("\r\033[K");
	}
	if (rc)
		return rc;
	run->wall_s = (double)(shmring_bench_mono_ns() - t0) / 1e9;
	return 0;
}

void shmring_bench_run_free(struct shmring_bench_run *run)
{
	for (size_t i = 0; run->res && i < run->nres; i++)
		shmring_bench_result_free(&run->res[i]);
	free(run->res);
	free(run->ratios);
	memset(run, 0, sizeof(*run));
}
