/* SPDX-License-Identifier: MIT */
/*
 * src/bench/plot.c - `--plot DIR`: what both kinds of run share (the
 * directory, each picture's data and script, running gnuplot on them), and
 * the two-process run's pictures: per message size, a latency CDF of every
 * mechanism on a log axis and a bar chart of one-way throughput. The data
 * and the gnuplot scripts are written in any case, so that pictures can be
 * made elsewhere when gnuplot is not installed here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "hist.h"
#include "timing.h"

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (n && access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* Choose a terminal gnuplot has: PNG (cairo or gd), else SVG. */
static void plot_terminal(FILE *g, const char *stem)
{
	fprintf(g,
		"if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
		"  set terminal pngcairo size 1100,700 font ',10'; set output '%s.png'\n"
		"} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {\n"
		"  set terminal png size 1100,700; set output '%s.png'\n"
		"} else {\n"
		"  set terminal svg size 1100,700; set output '%s.svg'\n"
		"} }\n",
		stem, stem, stem);
}

static int gnuplot(const char *dir, const char *script)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* The tool ignores SIGPIPE, and exec keeps what is ignored. */
		signal(SIGPIPE, SIG_DFL);
		if (chdir(dir) != 0)
			_exit(127);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int say_err(const char *dir, int rc)
{
	fprintf(stderr, "shmring bench: --plot %s: %s\n", dir, strerror(-rc));
	return rc;
}

int shmring_bench_plot_begin(struct shmring_bench_plot *p, const char *dir)
{
	char path[4096];

	p->dir = dir;
	p->list = NULL;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return say_err(dir, -errno);
	snprintf(path, sizeof(path), "%s/plots.list", dir);
	p->list = fopen(path, "w+");
	if (!p->list)
		return say_err(dir, -errno);
	return 0;
}

int shmring_bench_plot_open(struct shmring_bench_plot *p, const char *stem, FILE **dat,
			    FILE **gp)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.dat", p->dir, stem);
	*dat = fopen(path, "w");
	if (!*dat)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s.gp", p->dir, stem);
	*gp = fopen(path, "w");
	if (!*gp) {
		int rc = -errno;

		fclose(*dat);
		return rc;
	}
	plot_terminal(*gp, stem);
	fprintf(p->list, "%s.gp\n", stem);
	return 0;
}

int shmring_bench_plot_end(struct shmring_bench_plot *p, int rc)
{
	char path[4096], line[256];
	unsigned made = 0, failed = 0;

	if (rc) {
		fclose(p->list);
		return say_err(p->dir, rc);
	}
	if (!in_path("gnuplot")) {
		fclose(p->list);
		fprintf(stderr,
			"shmring bench: gnuplot is not installed: no pictures. The data and "
			"gnuplot scripts are in %s/ (run `gnuplot NAME.gp` there).\n",
			p->dir);
		return -ENOENT;
	}
	rewind(p->list);
	while (fgets(line, sizeof(line), p->list)) {
		line[strcspn(line, "\n")] = 0;
		if (gnuplot(p->dir, line) == 0)
			made++;
		else
			failed++;
	}
	fclose(p->list);
	snprintf(path, sizeof(path), "%s/plots.list", p->dir);
	remove(path);
	fprintf(stderr, "shmring bench: %u picture(s) in %s/%s\n", made, p->dir,
		failed ? " (gnuplot failed on some; scripts kept there)" : "");
	return failed ? -EIO : 0;
}

/* ---------------------------------------------- the two-process pictures */

static bool has_mode_size(const struct shmring_bench_run *run, unsigned mode, unsigned size)
{
	for (size_t i = 0; i < run->nres; i++)
		if (run->res[i].status == SHMRING_BENCH_OK && run->res[i].mode == mode &&
		    run->res[i].size == size)
			return true;
	return false;
}

static int write_cdf(struct shmring_bench_plot *pl, const struct shmring_bench_run *run,
		     unsigned size)
{
	char stem[64];
	FILE *d, *g;
	unsigned blocks = 0;
	int rc;

	snprintf(stem, sizeof(stem), "rtt_cdf_%uB", size);
	rc = shmring_bench_plot_open(pl, stem, &d, &g);
	if (rc)
		return rc;
	fprintf(g, "set title 'Round trip between two processes, %u B messages (%s)'\n"
		   "set logscale x\nset format x '%%.0s%%c'\nset xlabel 'round trip (ns)'\n"
		   "set ylabel 'fraction of round trips at most x'\nset yrange [0:1]\n"
		   "set key outside right\nset grid\nplot ",
		size, "shmring bench");
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];
		const struct shmring_bench_hist *h = r->hist;
		uint64_t seen = 0;

		if (r->status != SHMRING_BENCH_OK || r->mode != SHMRING_BENCH_RTT ||
		    r->size != size || !h || !h->total)
			continue;
		/* gnuplot blocks are separated by two blank lines. */
		fprintf(d, "%s# %s\n", blocks ? "\n\n" : "", r->mech->name);
		for (unsigned b = 0; b < SHMRING_BENCH_HIST_BUCKETS; b++) {
			uint64_t low, width;

			if (!h->count[b])
				continue;
			seen += h->count[b];
			shmring_bench_hist_bucket(b, &low, &width);
			fprintf(d, "%.1f %.6f\n",
				shmring_bench_ticks_to_ns(low + width - 1),
				(double)seen / (double)h->total);
		}
		fprintf(g, "%s'%s.dat' index %u using 1:2 with steps lw 2 title '%s'",
			blocks ? ", \\\n     " : "", stem, blocks, r->mech->name);
		blocks++;
	}
	fprintf(g, "\n");
	fclose(d);
	fclose(g);
	return 0;
}

static int write_bars(struct shmring_bench_plot *pl, const struct shmring_bench_run *run,
		      unsigned size)
{
	char stem[64];
	FILE *d, *g;
	int rc;

	snprintf(stem, sizeof(stem), "throughput_%uB", size);
	rc = shmring_bench_plot_open(pl, stem, &d, &g);
	if (rc)
		return rc;
	fprintf(d, "# mechanism msgs_per_s mb_per_s\n");
	for (size_t i = 0; i < run->nres; i++) {
		const struct shmring_bench_result *r = &run->res[i];

		if (r->status == SHMRING_BENCH_OK && r->mode == SHMRING_BENCH_TPUT &&
		    r->size == size)
			fprintf(d, "\"%s\" %.1f %.3f\n", r->mech->name, r->msgs_per_s, r->mb_per_s);
	}
	fprintf(g, "set title 'One-way throughput between two processes, %u B messages'\n"
		   "set logscale y\nset ylabel 'messages per second'\nset style fill solid 0.7\n"
		   "set boxwidth 0.7\nset xtics rotate by -40\nset grid ytics\nunset key\n"
		   "set yrange [1:*]\n"
		   "plot '%s.dat' using 0:2:xtic(1) with boxes\n",
		size, stem);
	fclose(d);
	fclose(g);
	return 0;
}

int shmring_bench_plot(const char *dir, const struct shmring_bench_cfg *cfg,
		       const struct shmring_bench_run *run)
{
	struct shmring_bench_plot pl;
	int rc = shmring_bench_plot_begin(&pl, dir);

	if (rc)
		return rc;
	for (unsigned s = 0; s < cfg->nsizes && rc == 0; s++) {
		if (has_mode_size(run, SHMRING_BENCH_RTT, cfg->sizes[s]))
			rc = write_cdf(&pl, run, cfg->sizes[s]);
		if (rc == 0 && has_mode_size(run, SHMRING_BENCH_TPUT, cfg->sizes[s]))
			rc = write_bars(&pl, run, cfg->sizes[s]);
	}
	return shmring_bench_plot_end(&pl, rc);
}
