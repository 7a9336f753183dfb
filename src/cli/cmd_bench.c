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
#include <unistd.h>

#include "bench/bench.h"

#define MS 1000000ull

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shmring bench [options]\n"
		"\n"
		"Round-trip latency and one-way throughput between two processes pinned to\n"
		"two CPUs: the cache-line floor, shmring's rings, kernel IPC mechanisms and\n"
		"peer rings, each figure next to the floor measured around it.\n"
		"\n"
		"  --quick          8 and 64 B, 250 ms per figure (the default; < 1 minute)\n"
		"  --full           8 B, 64 B, 1 KiB and 64 KiB, 1 s per figure\n"
		"  --sizes LIST     message sizes, e.g. 8,64,1K,64K (multiples of 8, <= 64K)\n"
		"  --duration MS    time per figure (warm-up is a fifth of it on top)\n"
		"  --only LIST      run only these mechanisms (comma-separated; see --list)\n"
		"  --skip LIST      leave these mechanisms out\n"
		"  --rtt-only       round trips only\n"
		"  --tput-only      throughput only\n"
		"  --cpus A,B       the two CPUs (default: the first two this process may use)\n"
		"  --no-retry       do not measure again when the floor moved\n"
		"  --json           a JSON array of results on stdout instead of the table\n"
		"  --csv            CSV on stdout instead of the table\n"
		"  --plot DIR       also draw latency CDFs and throughput bars into DIR (gnuplot)\n"
		"  --list           list the mechanisms built into this binary\n"
		"  -h, --help       this help\n"
		"\n"
		"Exit status: 0 all measured, 1 a measurement failed, 2 usage.\n");
}

static int parse_size(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k') {
		v *= 1024;
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	} else if (*end == 'B' || *end == 'b') {
		end++;
	}
	if (*end || v < 8 || v % 8 || v > 65536)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_sizes(const char *arg, struct shmring_bench_cfg *cfg)
{
	char *copy = strdup(arg), *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	cfg->nsizes = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (cfg->nsizes == SHMRING_BENCH_MAX_SIZES ||
		    parse_size(t, &cfg->sizes[cfg->nsizes]) != 0) {
			fprintf(stderr, "shmring bench: bad size '%s' (multiples of 8 from 8 to "
					"64K, at most %d)\n",
				t, SHMRING_BENCH_MAX_SIZES);
			rc = -EINVAL;
			break;
		}
		cfg->nsizes++;
	}
	free(copy);
	return rc == 0 && cfg->nsizes == 0 ? -EINVAL : rc;
}

static int parse_cpus(const char *arg, struct shmring_bench_cfg *cfg)
{
	char *end;
	long a = strtol(arg, &end, 10), b;

	if (end == arg || *end != ',')
		return -EINVAL;
	b = strtol(end + 1, &end, 10);
	if (*end || a < 0 || b < 0 || a >= CPU_SETSIZE || b >= CPU_SETSIZE)
		return -EINVAL;
	cfg->cpu[0] = (int)a;
	cfg->cpu[1] = (int)b;
	return 0;
}

/* Mark the mechanisms named in LIST in sel[] with val; -EINVAL for a name
 * this binary does not have. */
static int select_list(const char *arg, bool *sel, bool val)
{
	char *copy = strdup(arg), *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (size_t i = 0; i < shmring_bench_nmechs; i++) {
			if (strcmp(shmring_bench_mechs[i]->name, t) == 0) {
				sel[i] = val;
				found = true;
			}
		}
		if (!found) {
			fprintf(stderr, "shmring bench: no mechanism '%s' in this build "
					"(see shmring bench --list)\n",
				t);
			rc = -EINVAL;
		}
	}
	free(copy);
	return rc;
}

static void list_mechs(void)
{
	for (size_t i = 0; i < shmring_bench_nmechs; i++) {
		const struct shmring_bench_mech *m = shmring_bench_mechs[i];

		printf("%-22s %-14s %s\n", m->name,
		       (m->modes & SHMRING_BENCH_TPUT) ? "rtt,throughput" : "rtt", m->desc);
	}
#ifndef SHMRING_HAVE_DPDK_RING
	printf("%-22s %-14s %s\n", "(dpdk-ring)", "-", "not built: DPDK (libdpdk) not found");
#endif
#ifndef SHMRING_HAVE_CK
	printf("%-22s %-14s %s\n", "(ck-ring)", "-",
	       "not built: Concurrency Kit (ck) not found");
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
		cfg->cpu[1] = cfg->cpu[0];
		fprintf(stderr, "shmring bench: only CPU %d is available: both processes share "
				"it, and busy-polling figures mean little\n",
			cfg->cpu[0]);
	}
	return 0;
}

static void set_times(struct shmring_bench_cfg *cfg, unsigned long long run_ms)
{
	cfg->run_ns = run_ms * MS;
	cfg->warm_ns = cfg->run_ns / 5;
}

int shmring_cmd_bench(int argc, char **argv)
{
	enum { O_QUICK = 256, O_FULL, O_SIZES, O_DURATION, O_ONLY, O_SKIP, O_CPUS, O_JSON, O_CSV,
	       O_PLOT, O_LIST, O_NORETRY, O_RTT, O_TPUT };
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct shmring_bench_cfg cfg;
	struct shmring_bench_run run;
	const struct shmring_bench_mech *chosen[64];
	bool sel[64], only_given = false, full = false, json = false, csv = false;
	bool sizes_given = false, cpus_given = false;
	const char *plot_dir = NULL, *only = NULL, *skip = NULL;
	unsigned long long duration_ms = 0;
	size_t n = 0;
	int opt, rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT;
	cfg.retry = true;
	optind = 0; /* glibc: start afresh, whatever the dispatcher parsed */
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_QUICK:
			full = false;
			break;
		case O_FULL:
			full = true;
			break;
		case O_SIZES:
			if (parse_sizes(optarg, &cfg) != 0)
				return 2;
			sizes_given = true;
			break;
		case O_DURATION: {
			char *end;

			duration_ms = strtoull(optarg, &end, 10);
			if (*end || duration_ms == 0 || duration_ms > 600000) {
				fprintf(stderr, "shmring bench: bad --duration '%s' (1..600000 "
						"ms)\n",
					optarg);
				return 2;
			}
			break;
		}
		case O_ONLY:
			only = optarg;
			only_given = true;
			break;
		case O_SKIP:
			skip = optarg;
			break;
		case O_CPUS:
			if (parse_cpus(optarg, &cfg) != 0) {
				fprintf(stderr, "shmring bench: bad --cpus '%s' (A,B)\n", optarg);
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
			list_mechs();
			return 0;
		case O_NORETRY:
			cfg.retry = false;
			break;
		case O_RTT:
			cfg.modes = SHMRING_BENCH_RTT;
			break;
		case O_TPUT:
			cfg.modes = SHMRING_BENCH_TPUT;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
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
	if (shmring_bench_nmechs > 64)
		return 1;

	if (!sizes_given) {
		static const unsigned quick[] = {8, 64}, all[] = {8, 64, 1024, 65536};
		const unsigned *s = full ? all : quick;

		cfg.nsizes = full ? 4 : 2;
		memcpy(cfg.sizes, s, cfg.nsizes * sizeof(*s));
	}
	set_times(&cfg, duration_ms ? duration_ms : full ? 1000 : 250);
	cfg.floor_chunks = full ? 64 : 24;
	if (!cpus_given && default_cpus(&cfg) != 0) {
		fprintf(stderr, "shmring bench: cannot read this process's CPUs\n");
		return 1;
	}
	if (cpus_given && cfg.cpu[0] == cfg.cpu[1])
		fprintf(stderr, "shmring bench: both processes on CPU %d: busy-polling figures "
				"mean little\n",
			cfg.cpu[0]);

	for (size_t i = 0; i < shmring_bench_nmechs; i++)
		sel[i] = !only_given;
	if (only && select_list(only, sel, true) != 0)
		return 2;
	if (skip && select_list(skip, sel, false) != 0)
		return 2;
	for (size_t i = 0; i < shmring_bench_nmechs; i++)
		if (sel[i])
			chosen[n++] = shmring_bench_mechs[i];
	if (n == 0) {
		fprintf(stderr, "shmring bench: no mechanism selected\n");
		return 2;
	}
	cfg.progress = isatty(STDERR_FILENO);

	rc = shmring_bench_run_all(&cfg, chosen, n, &run);
	if (rc) {
		fprintf(stderr, "\nshmring bench: %s\n", strerror(-rc));
		shmring_bench_run_free(&run);
		return 1;
	}
	if (json)
		shmring_bench_report_json(stdout, &cfg, &run);
	else if (csv)
		shmring_bench_report_csv(stdout, &cfg, &run);
	else
		shmring_bench_report_table(stdout, &cfg, &run);
	fflush(stdout);
	if (plot_dir)
		shmring_bench_plot(plot_dir, &cfg, &run);

	rc = 0;
	for (size_t i = 0; i < run.nres; i++)
		if (run.res[i].status == SHMRING_BENCH_FAILED)
			rc = 1;
	shmring_bench_run_free(&run);
	return rc;
}
