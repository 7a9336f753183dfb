/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cmd_bench.c - `shmring bench`: options, selection of mechanisms,
 * and the choice of report. The harness itself lives in src/bench/.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/scale.h"
#include "cli/args.h"

#define MS 1000000ull
#define US 1000ull
/* Rounds of A then B behind each ratio: two give a median, two more give a
 * placement flip the chance to flip back. */
#define DEFAULT_RATIO_ROUNDS 4u

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shmring bench [options]\n"
		"\n"
		"Round-trip latency and one-way throughput between two processes pinned to\n"
		"two CPUs: the cache-line floor, shmring's rings, kernel IPC mechanisms and\n"
		"peer rings, each figure next to the floor measured around it.\n"
		"\n"
		"  --quick          8 and 64 B, 250 ms per figure (the default; about 3 minutes)\n"
		"  --full           8 B, 64 B, 1 KiB and 64 KiB, 1 s per figure (not with\n"
		"                   --quick)\n"
		"  --sizes LIST     message sizes, e.g. 8,64,1K,64K (multiples of 8, <= 64K,\n"
		"                   each once)\n"
		"  --duration MS    time per figure (warm-up is a fifth of it on top)\n"
		"  --only LIST      run only these mechanisms (comma-separated; see --list)\n"
		"  --skip LIST      leave these mechanisms out\n"
		"  --rtt-only       round trips only\n"
		"  --tput-only      throughput only\n"
		"  --cpus A,B       two different CPUs this process may use (default: the\n"
		"                   first two)\n"
		"  --no-retry       do not measure again when the floor moved\n"
		"  --ratio-rounds N most rounds (A then B) of each back-to-back comparison\n"
		"                   behind the ratios (default %u, at most %u; 0: none, and\n"
		"                   the Ratios section holds only the round trips of\n"
		"                   shmring-spsc and its variants over their floors)\n"
		"  --answer-delay US the server waits US microseconds (spinning) before each\n"
		"                   answer, so that a client that parks really sleeps; round\n"
		"                   trips are shown less the delay (default 0)\n"
		"  --json           a JSON array of results on stdout instead of the table\n"
		"  --csv            CSV on stdout instead of the table\n"
		"  --plot DIR       also draw latency CDFs and throughput bars into DIR (gnuplot)\n"
		"  --list           list the mechanisms built into this binary (with\n"
		"                   --scaling: those of the scaling runs; with --only or\n"
		"                   --skip: those chosen)\n"
		"  -h, --help       this help\n"
		"\n"
		"Scaling (--scaling): one-way throughput against the number of producer\n"
		"processes for the many-producer rings and peers, each producer and consumer\n"
		"its own process, then the message ring against its record size.\n"
		"  --scaling           run the scaling tests instead of the table above\n"
		"  --producers LIST    producer counts (default 1,2,4,8,16; at most %u)\n"
		"  --consumers LIST    consumer counts (default 1,2; at most %u)\n"
		"  --msg-sizes LIST    record sizes of the message-ring sweep (default\n"
		"                      16,64,256,1K,4K,16K,64K; 'none' to leave it out)\n"
		"  --msg-producers LIST producers of that sweep (default 1,4)\n"
		"  --spread            deal every process over the two CPUs in turn (default:\n"
		"                      consumers on the first CPU, producers on the second)\n"
		"  --sizes, --duration, --only, --skip, --cpus, --no-retry, --json, --csv,\n"
		"  --plot DIR (throughput against producers, and against record size) apply;\n"
		"  the default is 8 and 64 B, 200 ms a figure (--full: 1 s).\n"
		"\n"
		"Exit status: 0 all measured, 1 a measurement failed, 2 usage (a selection\n"
		"that measures nothing included).\n",
		DEFAULT_RATIO_ROUNDS, SHMRING_BENCH_RATIO_MAX_ROUNDS, SHMRING_BENCH_SCALE_MAX_PRODUCERS,
		SHMRING_BENCH_SCALE_MAX_CONSUMERS);
}

/* The next comma-separated item of a list, NULL after the last: empty
 * items are items ("8,,64" names an empty size, which its parser refuses),
 * where strtok_r() would skip them and run what the user did not write. */
static char *list_item(char **rest)
{
	char *t = *rest, *comma;

	if (!t)
		return NULL;
	comma = strchr(t, ',');
	if (comma)
		*comma++ = '\0';
	*rest = comma;
	return t;
}

/* A message size: the shared parser (suffixes, overflow), then 8..65536 in
 * steps of 8. */
static int parse_size(const char *s, unsigned *out)
{
	uint64_t v;

	if (shmring_cli_parse_u64(s, &v) < 0 || v < 8 || v % 8 || v > 65536)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_sizes(const char *arg, struct shmring_bench_cfg *cfg)
{
	char *copy = strdup(arg), *rest = copy;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	cfg->nsizes = 0;
	for (char *t = list_item(&rest); t; t = list_item(&rest)) {
		if (cfg->nsizes == SHMRING_BENCH_MAX_SIZES ||
		    parse_size(t, &cfg->sizes[cfg->nsizes]) != 0) {
			fprintf(stderr, "shmring bench: bad size '%s' (multiples of 8 from 8 to "
					"64K, at most %d)\n",
				t, SHMRING_BENCH_MAX_SIZES);
			rc = -EINVAL;
			break;
		}
		for (unsigned i = 0; i < cfg->nsizes; i++)
			if (cfg->sizes[i] == cfg->sizes[cfg->nsizes]) {
				fprintf(stderr, "shmring bench: --sizes: '%s' is given twice\n", t);
				rc = -EINVAL;
			}
		if (rc)
			break;
		cfg->nsizes++;
	}
	free(copy); /* at least one item was parsed or refused: "" is one */
	return rc;
}

/* A comma-separated list of counts 1..max into out; 'none' (when allowed)
 * is the empty list. */
static int parse_counts(const char *opt, const char *arg, unsigned max, unsigned *out, unsigned *n)
{
	char *copy = strdup(arg), *rest = copy;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	*n = 0;
	for (char *t = list_item(&rest); t; t = list_item(&rest)) {
		uint64_t v;

		if (shmring_cli_parse_u64(t, &v) != 0 || v < 1 || v > max ||
		    *n == SHMRING_BENCH_SCALE_MAX_LIST || (*n && v <= out[*n - 1])) {
			fprintf(stderr, "shmring bench: bad %s '%s' (rising counts 1..%u, at most "
					"%u of them)\n",
				opt, arg, max, SHMRING_BENCH_SCALE_MAX_LIST);
			rc = -EINVAL;
			break;
		}
		out[(*n)++] = (unsigned)v;
	}
	free(copy); /* at least one item was parsed or refused: "" is one */
	return rc;
}

/* --plot DIR: made (or there) and a directory now, before any figure is
 * measured; a run of minutes would otherwise learn it at its end. */
static int plot_dir_ok(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		;
	else if (stat(dir, &st) != 0)
		;
	else if (!S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	else if (access(dir, W_OK | X_OK) != 0)
		;
	else
		return 0;
	fprintf(stderr, "shmring bench: --plot %s: %s\n", dir, strerror(errno));
	return -errno;
}

/* One CPU number of --cpus: decimal digits only (strtol() would take a
 * sign, spaces, and an empty item as 0). */
static int parse_cpu(const char *s, size_t len, int *cpu)
{
	long v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
		if (v >= CPU_SETSIZE)
			return -EINVAL;
	}
	*cpu = (int)v;
	return 0;
}

/* "A,B": two different CPUs, each one this process may run on. 0, or -EINVAL
 * (not two numbers), -EEXIST (the same twice) or -ENXIO (*bad is not
 * allowed). Every figure is set next to a cache line bounced between the
 * two CPUs, which cannot be bounced on one: a pin that fails, or two
 * processes spinning on one CPU, would end each figure in a watchdog's
 * timeout. */
static int parse_cpus(const char *arg, struct shmring_bench_cfg *cfg, int *bad)
{
	const char *comma = strchr(arg, ',');
	cpu_set_t set;
	int cpu[2];

	if (!comma || parse_cpu(arg, (size_t)(comma - arg), &cpu[0]) < 0 ||
	    parse_cpu(comma + 1, strlen(comma + 1), &cpu[1]) < 0)
		return -EINVAL;
	if (cpu[0] == cpu[1])
		return -EEXIST;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int i = 0; i < 2; i++) {
			if (!CPU_ISSET(cpu[i], &set)) {
				*bad = cpu[i];
				return -ENXIO;
			}
		}
	}
	cfg->cpu[0] = cpu[0];
	cfg->cpu[1] = cpu[1];
	return 0;
}

/* The CPUs this process may run on, as "0-3,6" (at most size bytes). */
static const char *allowed_cpus(char *buf, size_t size)
{
	cpu_set_t set;
	size_t n = 0;

	buf[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return "?";
	for (int c = 0; c < CPU_SETSIZE && n < size; c++) {
		int last = c;

		if (!CPU_ISSET(c, &set))
			continue;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set))
			last++;
		n += (size_t)snprintf(buf + n, size - n, last > c ? "%s%d-%d" : "%s%d",
				      n ? "," : "", c, last);
		c = last;
	}
	return buf;
}

/* Mark the mechanisms named in LIST in sel[] with val; -EINVAL for a name
 * this binary does not have. names[0..n) are the table's names. */
static int select_list(const char *arg, const char *const *names, size_t n, const char *hint,
		       bool *sel, bool val)
{
	char *copy = strdup(arg), *rest = copy;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *t = list_item(&rest); t; t = list_item(&rest)) {
		bool found = false;

		for (size_t i = 0; i < n; i++) {
			if (strcmp(names[i], t) == 0) {
				sel[i] = val;
				found = true;
			}
		}
		if (!found) {
			fprintf(stderr, "shmring bench: no mechanism '%s' in this build "
					"(see shmring bench%s --list)\n",
				t, hint);
			rc = -EINVAL;
		}
	}
	free(copy);
	return rc;
}

/* A peer ring this tool was built without, and why. */
static void __attribute__((unused)) list_missing(const char *name, const char *lib)
{
#ifdef SHMRING_BENCH_PEERS
	printf("%-*s %-14s not built: %s not found\n", shmring_bench_name_width(), name, "-", lib);
#else
	(void)lib;
	printf("%-*s %-14s not built: configure with -DSHMRING_BENCH_PEERS=ON\n",
	       shmring_bench_name_width(), name, "-");
#endif
}

static int default_cpus(struct shmring_bench_cfg *cfg)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -errno;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cfg->cpu[n++] = c;
	if (n == 0)
		return -ENODEV;
	if (n == 1) {
		fprintf(stderr, "shmring bench: only CPU %d is available to this process: the "
				"figures need two (each is set next to a cache line bounced "
				"between two CPUs)\n",
			cfg->cpu[0]);
		return -ENXIO;
	}
	return 0;
}

static void set_times(struct shmring_bench_cfg *cfg, unsigned long long run_ms)
{
	cfg->run_ns = run_ms * MS;
	cfg->warm_ns = cfg->run_ns / 5;
}

/* The selected entries of a table of names: --only, then --skip. 0, or 2
 * (usage) after saying why. */
static int choose(const char *only, const char *skip, const char *const *names, size_t n,
		  const char *hint, size_t *chosen, size_t *nchosen)
{
	bool sel[64];

	if (n > 64)
		return 2;
	for (size_t i = 0; i < n; i++)
		sel[i] = !only;
	if (only && select_list(only, names, n, hint, sel, true) != 0)
		return 2;
	if (skip && select_list(skip, names, n, hint, sel, false) != 0)
		return 2;
	*nchosen = 0;
	for (size_t i = 0; i < n; i++)
		if (sel[i])
			chosen[(*nchosen)++] = i;
	if (*nchosen == 0) {
		fprintf(stderr, "shmring bench: no mechanism selected\n");
		return 2;
	}
	return 0;
}

/* The table's mechanisms that --only/--skip choose: their indices in
 * idx[0..*n). 0, or 2 (usage) after saying why, 1 for a table too large. */
static int choose_mechs(const char *only, const char *skip, size_t *idx, size_t *n)
{
	const char *names[64];

	if (shmring_bench_nmechs > 64)
		return 1;
	for (size_t i = 0; i < shmring_bench_nmechs; i++)
		names[i] = shmring_bench_mechs[i]->name;
	return choose(only, skip, names, shmring_bench_nmechs, "", idx, n);
}

/* The same among the scaling runs' mechanisms. */
static int choose_scale_mechs(const char *only, const char *skip, size_t *idx, size_t *n)
{
	const char *names[64];

	if (shmring_bench_scale_nmechs > 64)
		return 1;
	for (size_t i = 0; i < shmring_bench_scale_nmechs; i++)
		names[i] = shmring_bench_scale_mechs[i]->name;
	return choose(only, skip, names, shmring_bench_scale_nmechs, " --scaling", idx, n);
}

/* The mechanisms of the table (with --only/--skip: those chosen, a name not
 * built being a usage error). 0, or 2 after saying why. */
static int list_mechs(const char *only, const char *skip)
{
	size_t idx[64], n = 0;
	int rc = choose_mechs(only, skip, idx, &n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct shmring_bench_mech *m = shmring_bench_mechs[idx[i]];

		const char *modes = m->modes == SHMRING_BENCH_RTT	 ? "rtt"
				    : m->modes == SHMRING_BENCH_TPUT ? "throughput"
								     : "rtt,throughput";

		printf("%-*s %-14s %s\n", shmring_bench_name_width(), m->name, modes, m->desc);
	}
	if (only || skip)
		return 0;
#ifndef SHMRING_HAVE_DPDK_RING
	list_missing("(dpdk-ring)", "DPDK (libdpdk)");
#endif
#ifndef SHMRING_HAVE_CK
	list_missing("(ck-ring)", "Concurrency Kit (ck)");
#endif
#ifndef SHMRING_HAVE_BOOST
	list_missing("(boost-spsc)", "boost::lockfree (libboost-dev)");
#endif
	return 0;
}

/* The same for the scaling runs' mechanisms. */
static int list_scale_mechs(const char *only, const char *skip)
{
	size_t idx[64], n = 0;
	int rc = choose_scale_mechs(only, skip, idx, &n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct shmring_bench_scale_mech *m = shmring_bench_scale_mechs[idx[i]];

		printf("%-24s %-14s %s\n", m->name,
		       (m->flags & SHMRING_BENCH_SCALE_MSG) ? "producers,records" : "producers",
		       m->desc);
	}
	if (only || skip)
		return 0;
#ifndef SHMRING_HAVE_DPDK_RING
	list_missing("(dpdk-ring-mp)", "DPDK (libdpdk)");
#endif
#ifndef SHMRING_HAVE_CK
	list_missing("(ck-ring-mp)", "Concurrency Kit (ck)");
#endif
#ifndef SHMRING_HAVE_BOOST
	list_missing("(boost-spsc)", "boost::lockfree (libboost-dev)");
#endif
	return 0;
}

static int run_table(struct shmring_bench_cfg *cfg, const char *only, const char *skip,
		     bool json, bool csv, const char *plot_dir)
{
	const struct shmring_bench_mech *chosen[64];
	struct shmring_bench_run run;
	size_t idx[64], n = 0;
	int rc = choose_mechs(only, skip, idx, &n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		chosen[i] = shmring_bench_mechs[idx[i]];

	rc = shmring_bench_run_all(cfg, chosen, n, &run);
	if (rc) {
		fprintf(stderr, "\nshmring bench: %s\n", strerror(-rc));
		shmring_bench_run_free(&run);
		return 1;
	}
	if (json)
		shmring_bench_report_json(stdout, cfg, &run);
	else if (csv)
		shmring_bench_report_csv(stdout, cfg, &run);
	else
		shmring_bench_report_table(stdout, cfg, &run);
	fflush(stdout);
	if (plot_dir)
		shmring_bench_plot(plot_dir, cfg, &run);

	rc = 0;
	bool any = false;

	for (size_t i = 0; i < run.nres; i++) {
		if (run.res[i].status == SHMRING_BENCH_FAILED)
			rc = 1;
		any |= run.res[i].status == SHMRING_BENCH_OK;
	}
	for (size_t i = 0; i < run.nratios; i++)
		if (run.ratios[i].status == SHMRING_BENCH_FAILED)
			rc = 1;
	if (rc == 0 && !any) {
		/* Every figure asked for is one the chosen mechanisms have none
		 * of ("Not measured" says why): a selection that measures
		 * nothing, as one that chooses nothing. */
		fprintf(stderr, "shmring bench: nothing measured: the mechanisms chosen have no "
				"figure of the kind asked for\n");
		rc = 2;
	}
	shmring_bench_run_free(&run);
	return rc;
}

static int run_scaling(struct shmring_bench_scale_cfg *cfg, const char *only, const char *skip,
		       bool json, bool csv, const char *plot_dir)
{
	const struct shmring_bench_scale_mech *chosen[64];
	struct shmring_bench_scale_run run;
	size_t idx[64], n = 0;
	int rc = choose_scale_mechs(only, skip, idx, &n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		chosen[i] = shmring_bench_scale_mechs[idx[i]];

	rc = shmring_bench_scale_run_all(cfg, chosen, n, &run);
	if (rc) {
		fprintf(stderr, "\nshmring bench: %s\n", strerror(-rc));
		shmring_bench_scale_run_free(&run);
		return 1;
	}
	if (json)
		shmring_bench_scale_report_json(stdout, cfg, &run);
	else if (csv)
		shmring_bench_scale_report_csv(stdout, cfg, &run);
	else
		shmring_bench_scale_report_table(stdout, cfg, &run);
	fflush(stdout);
	if (plot_dir)
		shmring_bench_scale_plot(plot_dir, cfg, &run);

	rc = 0;
	for (size_t i = 0; i < run.nres; i++)
		if (run.res[i].status == SHMRING_BENCH_FAILED)
			rc = 1;
	shmring_bench_scale_run_free(&run);
	return rc;
}

int shmring_cmd_bench(int argc, char **argv)
{
	enum { O_QUICK = 256, O_FULL, O_SIZES, O_DURATION, O_ONLY, O_SKIP, O_CPUS, O_JSON, O_CSV,
	       O_PLOT, O_LIST, O_NORETRY, O_RTT, O_TPUT, O_SCALING, O_PRODUCERS, O_CONSUMERS,
	       O_MSG_SIZES, O_MSG_PRODUCERS, O_SPREAD, O_RATIO_ROUNDS, O_ANSWER_DELAY };
	static const struct option opts[] = {
		{"quick", no_argument, NULL, O_QUICK},
		{"full", no_argument, NULL, O_FULL},
		{"sizes", required_argument, NULL, O_SIZES},
		{"duration", required_argument, NULL, O_DURATION},
		{"only", required_argument, NULL, O_ONLY},
		{"skip", required_argument, NULL, O_SKIP},
		{"cpus", required_argument, NULL, O_CPUS},
		{"json", no_argument, NULL, O_JSON},
		{"csv", no_argument, NULL, O_CSV},
		{"plot", required_argument, NULL, O_PLOT},
		{"list", no_argument, NULL, O_LIST},
		{"no-retry", no_argument, NULL, O_NORETRY},
		{"rtt-only", no_argument, NULL, O_RTT},
		{"tput-only", no_argument, NULL, O_TPUT},
		{"scaling", no_argument, NULL, O_SCALING},
		{"producers", required_argument, NULL, O_PRODUCERS},
		{"consumers", required_argument, NULL, O_CONSUMERS},
		{"msg-sizes", required_argument, NULL, O_MSG_SIZES},
		{"msg-producers", required_argument, NULL, O_MSG_PRODUCERS},
		{"spread", no_argument, NULL, O_SPREAD},
		{"ratio-rounds", required_argument, NULL, O_RATIO_ROUNDS},
		{"answer-delay", required_argument, NULL, O_ANSWER_DELAY},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct shmring_bench_scale_cfg scfg;
	struct shmring_bench_cfg *cfg = &scfg.base;
	bool full = false, json = false, csv = false, list = false, scaling = false;
	bool quick_given = false;
	bool sizes_given = false, cpus_given = false, modes_given = false;
	bool scale_opt = false, msg_sizes_given = false, table_opt = false;
	const char *plot_dir = NULL, *only = NULL, *skip = NULL;
	unsigned long long duration_ms = 0;
	int opt, rc, bad_cpu = -1;

	memset(&scfg, 0, sizeof(scfg));
	cfg->modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT;
	cfg->retry = true;
	cfg->ratio_rounds = DEFAULT_RATIO_ROUNDS;
	optind = 0; /* glibc: start afresh, whatever the dispatcher parsed */
	while ((opt = shmring_cli_getopt("bench", argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case O_QUICK:
		case O_FULL:
			/* One or the other: the last of both would win unsaid. */
			if (quick_given && full != (opt == O_FULL)) {
				fprintf(stderr, "shmring bench: --quick and --full: choose one\n");
				return 2;
			}
			quick_given = true;
			full = opt == O_FULL;
			break;
		case O_SIZES:
			if (parse_sizes(optarg, cfg) != 0)
				return 2;
			sizes_given = true;
			break;
		case O_DURATION: {
			uint64_t ns;

			if (shmring_cli_parse_time(optarg, MS, &ns) != 0 || ns < MS ||
			    ns > 600000 * MS) {
				fprintf(stderr, "shmring bench: bad --duration '%s' (1..600000 "
						"ms)\n",
					optarg);
				return 2;
			}
			duration_ms = ns / MS;
			break;
		}
		case O_ONLY:
			only = optarg;
			break;
		case O_SKIP:
			skip = optarg;
			break;
		case O_CPUS:
			rc = parse_cpus(optarg, cfg, &bad_cpu);
			if (rc == -EEXIST) {
				fprintf(stderr, "shmring bench: --cpus '%s': the two CPUs must differ "
						"(each figure is set next to a cache line bounced "
						"between them)\n", optarg);
				return 2;
			}
			if (rc == -ENXIO) {
				char cpus[128];

				fprintf(stderr, "shmring bench: --cpus '%s': this process may not run "
						"on CPU %d (it may on %s)\n",
					optarg, bad_cpu, allowed_cpus(cpus, sizeof(cpus)));
				return 2;
			}
			if (rc < 0) {
				fprintf(stderr, "shmring bench: bad --cpus '%s' (A,B: two CPU "
						"numbers)\n", optarg);
				return 2;
			}
			cpus_given = true;
			break;
		case O_JSON:
			json = true;
			break;
		case O_CSV:
			csv = true;
			break;
		case O_PLOT:
			plot_dir = optarg;
			break;
		case O_LIST:
			list = true;
			break;
		case O_NORETRY:
			cfg->retry = false;
			break;
		case O_RTT:
		case O_TPUT:
			/* Each leaves out what the other keeps: both would leave
			 * nothing, not the last one given. */
			if (modes_given &&
			    cfg->modes != (opt == O_RTT ? SHMRING_BENCH_RTT : SHMRING_BENCH_TPUT)) {
				fprintf(stderr, "shmring bench: --rtt-only and --tput-only exclude "
						"each other (without either, both are measured)\n");
				return 2;
			}
			cfg->modes = opt == O_RTT ? SHMRING_BENCH_RTT : SHMRING_BENCH_TPUT;
			modes_given = true;
			break;
		case O_SCALING:
			scaling = true;
			break;
		case O_PRODUCERS:
			if (parse_counts("--producers", optarg, SHMRING_BENCH_SCALE_MAX_PRODUCERS,
					 scfg.producers, &scfg.nproducers) != 0)
				return 2;
			scale_opt = true;
			break;
		case O_CONSUMERS:
			if (parse_counts("--consumers", optarg, SHMRING_BENCH_SCALE_MAX_CONSUMERS,
					 scfg.consumers, &scfg.nconsumers) != 0)
				return 2;
			scale_opt = true;
			break;
		case O_MSG_SIZES: {
			struct shmring_bench_cfg tmp;

			scale_opt = true;
			msg_sizes_given = true;
			if (strcmp(optarg, "none") == 0) {
				scfg.nmsg_sizes = 0;
				break;
			}
			if (parse_sizes(optarg, &tmp) != 0)
				return 2;
			scfg.nmsg_sizes = tmp.nsizes;
			memcpy(scfg.msg_sizes, tmp.sizes, sizeof(tmp.sizes));
			break;
		}
		case O_MSG_PRODUCERS:
			if (parse_counts("--msg-producers", optarg,
					 SHMRING_BENCH_SCALE_MAX_PRODUCERS, scfg.msg_producers,
					 &scfg.nmsg_producers) != 0)
				return 2;
			scale_opt = true;
			break;
		case O_SPREAD:
			scfg.placement = SHMRING_BENCH_SPREAD;
			scale_opt = true;
			break;
		case O_RATIO_ROUNDS: {
			uint64_t v;

			if (shmring_cli_parse_u64(optarg, &v) != 0 ||
			    v > SHMRING_BENCH_RATIO_MAX_ROUNDS) {
				fprintf(stderr, "shmring bench: bad --ratio-rounds '%s' (0..%u)\n",
					optarg, SHMRING_BENCH_RATIO_MAX_ROUNDS);
				return 2;
			}
			cfg->ratio_rounds = (unsigned)v;
			table_opt = true;
			break;
		}
		case O_ANSWER_DELAY: {
			uint64_t ns;

			if (shmring_cli_parse_time(optarg, US, &ns) != 0 || ns > 1000 * MS) {
				fprintf(stderr, "shmring bench: bad --answer-delay '%s' (0..1000000 "
						"us)\n",
					optarg);
				return 2;
			}
			cfg->answer_delay_ns = ns;
			table_opt = true;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shmring bench: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (json && csv) {
		fprintf(stderr, "shmring bench: --json and --csv exclude each other\n");
		return 2;
	}
	if (scaling && modes_given) {
		fprintf(stderr, "shmring bench: --rtt-only and --tput-only have no meaning with "
				"--scaling (it measures throughput)\n");
		return 2;
	}
	if (scaling && table_opt) {
		fprintf(stderr, "shmring bench: --ratio-rounds and --answer-delay have no meaning "
				"with --scaling\n");
		return 2;
	}
	if (!scaling && scale_opt) {
		fprintf(stderr, "shmring bench: --producers, --consumers, --msg-sizes, "
				"--msg-producers and --spread need --scaling\n");
		return 2;
	}
	if (list)
		return scaling ? list_scale_mechs(only, skip) : list_mechs(only, skip);
	if (plot_dir && plot_dir_ok(plot_dir) < 0)
		return 2;

	if (!sizes_given) {
		static const unsigned quick[] = {8, 64}, all[] = {8, 64, 1024, 65536};
		/* Scaling: the two sizes of the issue in either case; --full only
		 * lengthens each figure. */
		const unsigned *s = full && !scaling ? all : quick;

		cfg->nsizes = full && !scaling ? 4 : 2;
		memcpy(cfg->sizes, s, cfg->nsizes * sizeof(*s));
	}
	set_times(cfg, duration_ms ? duration_ms : full ? 1000 : scaling ? 200 : 250);
	cfg->floor_chunks = full ? 64 : 24;
	if (!cpus_given && (rc = default_cpus(cfg)) != 0) {
		if (rc != -ENXIO)
			fprintf(stderr, "shmring bench: cannot read this process's CPUs\n");
		return 1;
	}
	cfg->progress = isatty(STDERR_FILENO);
	if (!scaling)
		return run_table(cfg, only, skip, json, csv, plot_dir);

	if (!scfg.nproducers) {
		static const unsigned p[] = {1, 2, 4, 8, 16};

		scfg.nproducers = 5;
		memcpy(scfg.producers, p, sizeof(p));
	}
	if (!scfg.nconsumers) {
		scfg.nconsumers = 2;
		scfg.consumers[0] = 1;
		scfg.consumers[1] = 2;
	}
	if (!msg_sizes_given) {
		static const unsigned m[] = {16, 64, 256, 1024, 4096, 16384, 65536};

		scfg.nmsg_sizes = 7;
		memcpy(scfg.msg_sizes, m, sizeof(m));
	}
	if (!scfg.nmsg_producers) {
		scfg.nmsg_producers = 2;
		scfg.msg_producers[0] = 1;
		scfg.msg_producers[1] = 4;
	}
	return run_scaling(&scfg, only, skip, json, csv, plot_dir);
}
