/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cmd_stress.c - `shmring stress`: options, the summary, --sweep.
 * The run itself is in stress_run.c, the verifier in stress_verify.c.
 */
#include "bench/bench.h" /* shmring_bench_json_str() */
#include "cli/args.h"
#include "cli/probe.h"
#include "cli/stress.h"
#include "ringbuf/layout.h" /* the participant table's size and its fixed entries */

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PRODUCERS 16u
#define DEFAULT_CONSUMERS 2u
#define DEFAULT_DURATION_NS (5 * 1000000000ull)
#define DEFAULT_STALL_NS (10 * 1000000000ull)
#define DEFAULT_BITMAP_LIMIT (UINT64_C(1) << 26)
#define DEFAULT_STOP_MAX_NS (2 * 1000000000ull)
#define MAX_SWEEP 16

static const char *const wait_names[] = {"adaptive", "spin", "yield", "park"};
static const char *const inject_names[] = {"none", "lose", "dup", "reorder", "tear"};
/* --victims, indexed by the role bits */
static const char *const victim_names[] = {"none", "producers", "consumers", "both"};

static void usage(FILE *f)
{
	size_t n;
	const struct shmring_stress_kind *k = shmring_stress_kinds(&n);

	fprintf(f,
		"usage: shmring stress [--kind KIND] [--producers N] [--consumers M]\n"
		"                      [--count N | --duration SECONDS] [OPTIONS]\n\n"
		"Run N producer processes and M consumer processes on one ring and prove that\n"
		"no message was lost, duplicated, reordered (per producer, per consumer) or torn.\n"
		"Every message carries its producer, a sequence number, a payload of random\n"
		"length and a checksum. Progress goes to stderr once a second; the summary to\n"
		"stdout. Exit status: 0 clean, 1 any violation or failed process, 2 usage,\n"
		"130 interrupted (clean so far).\n\n"
		"  --kind KIND          ring kind, one of:");
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s", k[i].name);
	fprintf(f,
		" (default mpmc)\n"
		"  --producers N        producer processes (default %u; 1 for single-producer kinds)\n"
		"  --consumers M        consumer processes (default %u; 1 for single-consumer kinds)\n"
		"                       (of the roles a kind allows many of, %u at most in all:\n"
		"                       the ring's participant table holds no more)\n"
		"  --count N            messages per producer (N x producers: 2^64 - 1 at most)\n"
		"  --duration SECONDS   send for this long (default 5 when --count is not given;\n"
		"                       with both, whichever ends first)\n"
		"  --slot-size BYTES    fixed kinds: slot size; msg: largest record (>= %u)\n"
		"  --capacity N         fixed kinds: slots; msg: bytes of record area (power of 2)\n"
		"  --wait MODE          adaptive (default), spin, yield or park\n"
		"  --seed N             payload seed (default: from the clock; printed)\n"
		"  --name NAME          ring name (default: /shmring-stress-PID-N); a stale ring\n"
		"                       of that name (no participant alive) is replaced\n"
		"  --keep               leave the ring in place at the end\n"
		"  --stall SECONDS      no message for this long while draining: give up and\n"
		"                       report the rest lost; 5 s later, kill what still\n"
		"                       runs as hung (default 10)\n"
		"  --timeout SECONDS    kill the run after this long: more than the duration\n"
		"                       (plus --stop-for with --stop; default: that + 60,\n"
		"                       none with --count alone)\n"
		"  --bitmap-limit N     sequence numbers per producer checked one by one\n"
		"                       (default %" PRIu64 "); past it: counts and a multiset hash\n"
		"  --sweep LIST         run once per producer count in LIST (e.g. 1,2,4,8,16)\n"
		"                       and print a throughput table\n"
		"  --json               summary as JSON\n"
		"  --quiet              no progress lines\n"
		"  --list-kinds         print the kinds this build can stress, one per line\n"
		"  --inject FAULT       self-test of the verifier, not of the ring: one consumer\n"
		"                       loses, duplicates, reorders or tears one message after\n"
		"                       receiving it (lose|dup|reorder|tear); the run must fail\n"
		"\nFaults in the ring's participants (see docs/STRESS.md, \"Faults\"):\n"
		"  --kill N             SIGKILL N processes at random moments of the run; every\n"
		"                       message must then be delivered once or be counted lost\n"
		"                       by the ring's repair of a dead consumer's claim\n"
		"  --stop N             SIGSTOP N processes at random moments, SIGCONT each after\n"
		"                       a random pause; nothing may be lost or repaired\n"
		"  --victims WHO        producers (default), consumers or both; a killed\n"
		"                       consumer is replaced by a new one\n"
		"  --stop-for SECONDS   longest pause (default 2; pauses are a tenth of it to\n"
		"                       all of it); --stall is raised past it\n"
		"  --recovery-ms MS     the ring's recovery deadline (default: the library's)\n\n"
		"Short forms: -k --kind, -p --producers, -c --consumers, -n --count,\n"
		"-d --duration, -s --slot-size, -C --capacity, -h --help.\n",
		DEFAULT_PRODUCERS, DEFAULT_CONSUMERS,
		SHMRING_DEFAULT_PARTICIPANTS - SHMRING_PART_FIRST_SHARED, SHMRING_STRESS_HDR,
		DEFAULT_BITMAP_LIMIT);
}

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "shmring stress: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see --help)\n");
	va_end(ap);
	return -EINVAL;
}

/* Positive seconds, at most about 116 days: -EINVAL for 0 (not "too
 * large"), -ERANGE past the most. */
static int parse_seconds(const char *s, uint64_t *ns)
{
	int rc = shmring_cli_parse_time(s, 1000000000u, ns);

	if (rc == 0 && *ns == 0)
		rc = -EINVAL;
	if (rc == 0 && *ns > 10000000ull * 1000000000u)
		rc = -ERANGE;
	return rc;
}

static const char *too_large(int rc)
{
	return rc == -ERANGE ? " (too large)" : "";
}

/* A count of faults (--kill, --stop). */
#define MAX_FAULTS 1000u

static int parse_name(const char *s, const char *const *names, size_t n, uint32_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i])) {
			*out = (uint32_t)i;
			return 0;
		}
	return -EINVAL;
}

/* Each item as --producers takes it: no sign, no spaces. */
static int parse_sweep(const char *s, unsigned *list, unsigned *n)
{
	char *copy = strdup(s), *item = copy, *comma;
	int rc = copy ? 0 : -ENOMEM;

	*n = 0;
	while (rc == 0) {
		uint64_t v;

		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		/* An empty item ("1,", "1,,2") is one left out, not skipped. */
		rc = shmring_cli_parse_u64(item, &v);
		if (rc == 0 && (v < 1 || v > SHMRING_STRESS_MAX_PRODUCERS || *n == MAX_SWEEP))
			rc = -EINVAL;
		if (rc == 0)
			list[(*n)++] = (unsigned)v;
		if (!comma)
			break;
		item = comma + 1;
	}
	free(copy);
	return rc;
}

/*
 * A ring the library would refuse to create (which it says as a bare
 * "invalid argument", once the processes are forked): a capacity past the
 * most, or a record area that does not hold two of the largest records.
 */
static bool geometry_problem(const struct shmring_stress_cfg *cfg)
{
	if (cfg->capacity > SHMRING_MAX_CAPACITY) {
		bad("--capacity must be at most %llu, not %" PRIu64,
		    (unsigned long long)SHMRING_MAX_CAPACITY, cfg->capacity);
		return true;
	}
	if (cfg->kind->records && (cfg->capacity < SHMRING_MSG_MIN_CAPACITY ||
				   cfg->capacity < 2 * shmring_msg_span(cfg->slot_size))) {
		uint64_t need = 2 * shmring_msg_span(cfg->slot_size);

		if (need < SHMRING_MSG_MIN_CAPACITY)
			need = SHMRING_MSG_MIN_CAPACITY;
		bad("a %s ring's record area (--capacity %" PRIu64 " bytes) must hold two of "
		    "its largest records (--slot-size %u): %" PRIu64 " bytes at least",
		    cfg->kind->name, cfg->capacity, cfg->slot_size, need);
		return true;
	}
	return false;
}

/*
 * Whether producers and the consumers (and the replacements of killed
 * ones) overflow the ring's participant table: a role the kind allows many
 * of takes a shared entry each, of SHMRING_DEFAULT_PARTICIPANTS less the
 * fixed ones; a process that finds none fails the run ("the ring's
 * participant table is full").
 */
static bool too_many(const struct shmring_stress_cfg *cfg, unsigned producers)
{
	const unsigned room = SHMRING_DEFAULT_PARTICIPANTS - SHMRING_PART_FIRST_SHARED;
	bool many_p = cfg->kind->records ? producers > 1 : cfg->kind->multi_prod;
	bool many_c = cfg->kind->records ? cfg->consumers > 1 : cfg->kind->multi_cons;
	unsigned need = (many_p ? producers : 0) + (many_c ? cfg->consumers : 0);

	if (need <= room)
		return false;
	bad("the ring's participant table has room for %u producers and consumers (of a role "
	    "the kind allows many of): %u producers and %u consumers of %s need %u", room,
	    producers, cfg->consumers, cfg->kind->name, need);
	return true;
}

/* The run's totals (messages sent, the summary's "of N") are counted in 64
 * bits: a --count whose total does not fit would wrap. */
static bool too_much(const struct shmring_stress_cfg *cfg, unsigned producers)
{
	if (cfg->count <= UINT64_MAX / producers)
		return false;
	bad("--count %" PRIu64 " x %u producers is more than 2^64 - 1 messages in all (too large)",
	    cfg->count, producers);
	return true;
}

/* --name: one the processes can open by name, and a well-formed ring's
 * (what is wrong with a malformed one is said before anything is made). */
static bool name_problem(const char *name)
{
	enum shmring_cli_scheme s = shmring_cli_scheme(name);
	const char *why;
	char buf[256];

	if (s == SHMRING_CLI_MEMFD || s == SHMRING_CLI_ANON) {
		bad("--name %s: every process opens the ring by its name, and %s ring has "
		    "none", name, s == SHMRING_CLI_MEMFD ? "a memfd:" : "an anon:");
		return true;
	}
	why = shmring_cli_name_problem(name, buf, sizeof(buf));
	if (why || s == SHMRING_CLI_OTHER) {
		bad("--name %s: %s", name, why ? why : "not a ring's name");
		return true;
	}
	return false;
}

/*
 * Whether --timeout kills the run before it can end: the producers send for
 * the whole duration, and a process that --stop pauses (as late as 80% of
 * the run) may stay stopped for all of --stop-for. Those kills would be
 * reported as the ring's losses. Without --timeout, sets the default: a
 * minute past both.
 */
static bool timeout_problem(struct shmring_stress_cfg *cfg, bool timeout_set, bool duration_set)
{
	uint64_t busy = cfg->duration_ns + (cfg->stop ? cfg->stop_max_ns : 0);
	const char *what;

	if (!timeout_set) {
		if (cfg->duration_ns)
			cfg->timeout_ns = busy + 60 * 1000000000ull;
		return false;
	}
	if (cfg->timeout_ns > busy)
		return false;
	if (!cfg->stop)
		what = duration_set ? "--duration" : "the default --duration";
	else
		what = cfg->duration_ns ? "--duration plus --stop-for" : "--stop-for";
	bad("--timeout %g s must be longer than %s (%g s): otherwise the timeout kills the run, "
	    "and the messages its kills cut off are reported lost",
	    (double)cfg->timeout_ns / 1e9, what, (double)busy / 1e9);
	return true;
}

/* --- Summary -------------------------------------------------------------- */

/* Consumers that ran: replacements of killed ones included. */
static unsigned consumer_count(const struct shmring_stress_cfg *cfg,
			       const struct shmring_stress_result *r)
{
	return r->consumer_slots ? r->consumer_slots : cfg->consumers;
}

static const char *verdict(const struct shmring_stress_result *res)
{
	if (res->aborted)
		return "ABORTED";
	if (!shmring_stress_clean(res))
		return "FAIL";
	return res->interrupted ? "INTERRUPTED" : "PASS";
}

static void print_json(const struct shmring_stress_cfg *cfg, const struct shmring_stress_result *r)
{
	printf("{\"kind\":\"%s\",\"ring\":", cfg->kind->name);
	shmring_bench_json_str(stdout, r->ring);
	printf(",\"producers\":%u,\"consumers\":%u,\"slot_size\":%u,\"capacity\":%" PRIu64
	       ",\"wait\":\"%s\",\"seed\":%" PRIu64 ",\"count\":%" PRIu64 ",\"duration_s\":%.3f",
	       cfg->producers, cfg->consumers, cfg->slot_size, cfg->capacity,
	       wait_names[cfg->wait_mode], cfg->seed, cfg->count, (double)cfg->duration_ns / 1e9);
	printf(",\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"recorded\":%" PRIu64
	       ",\"seconds\":%.6f,\"msgs_per_s\":%.0f",
	       r->sent, r->taken, r->recorded, r->seconds, r->msgs_per_s);
	printf(",\"lost\":%" PRIu64 ",\"duplicated\":%" PRIu64 ",\"out_of_order\":%" PRIu64
	       ",\"torn\":%" PRIu64 ",\"invalid\":%" PRIu64 ",\"bitmap_bits\":%" PRIu64
	       ",\"hashed\":%s",
	       r->lost, r->duplicated, r->out_of_order, r->torn, r->invalid, r->bitmap_bits,
	       r->hashed ? "true" : "false");
	printf(",\"full_waits\":%" PRIu64 ",\"empty_waits\":%" PRIu64 ",\"wakes\":%" PRIu64,
	       r->full_waits, r->empty_waits, r->wakes);
	printf(",\"crashed\":%u,\"hung\":%u,\"drain_gave_up\":%u,\"end_of_stream\":%u"
	       ",\"interrupted\":%s,\"aborted\":%s,\"shrank\":%s",
	       r->crashed, r->hung, r->drain_gave_up, r->end_of_stream,
	       r->interrupted ? "true" : "false",
	       r->aborted ? "true" : "false", r->shrank ? "true" : "false");
	printf(",\"kill\":%u,\"stop\":%u,\"victims\":\"%s\",\"stop_for_s\":%.3f"
	       ",\"killed\":%u,\"killed_producers\":%u,\"killed_consumers\":%u,\"stopped\":%u"
	       ",\"faults_missed\":%u",
	       cfg->kill, cfg->stop, victim_names[cfg->victims & 3], (double)cfg->stop_max_ns / 1e9,
	       r->killed, r->killed_producers, r->killed_consumers, r->stopped, r->faults_missed);
	printf(",\"last_delivered\":%" PRIu64 ",\"last_never_sent\":%" PRIu64
	       ",\"salvaged\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"repair_mismatch\":%" PRIu64
	       ",\"live_repaired\":%" PRIu64,
	       r->last_delivered, r->last_never_sent, r->salvaged, r->dropped, r->repair_mismatch,
	       r->live_repaired);
	printf(",\"ring_counts\":%s,\"prod_repairs\":%" PRIu64 ",\"cons_repairs\":%" PRIu64
	       ",\"skipped\":%" PRIu64 ",\"cancelled\":%" PRIu64 ",\"reaped\":%" PRIu64
	       ",\"died_receiving\":%u,\"stall_max_ns\":%" PRIu64
	       ",\"longest_gap_ns\":%" PRIu64,
	       r->ring_counts ? "true" : "false", r->prod_repairs, r->cons_repairs, r->skipped,
	       r->cancelled, r->reaped, r->died_receiving, r->stall_max_ns, r->longest_gap_ns);
	printf(",\"per_consumer\":[");
	for (unsigned c = 0; c < consumer_count(cfg, r); c++)
		printf("%s%" PRIu64, c ? "," : "", r->per_consumer[c]);
	printf("],\"inject\":\"%s\",\"injected\":%s,\"verdict\":\"%s\",\"ok\":%s,\"why\":",
	       inject_names[cfg->inject], r->injected ? "true" : "false", verdict(r),
	       shmring_stress_clean(r) ? "true" : "false");
	shmring_bench_json_str(stdout, r->why);
	printf("}");
}

static void print_text(const struct shmring_stress_cfg *cfg, const struct shmring_stress_result *r)
{
	printf("shmring stress: %s ring %s: %u producer(s), %u consumer(s), %s %u x %" PRIu64
	       ", wait %s, seed %" PRIu64 "\n",
	       cfg->kind->name, r->ring, cfg->producers, cfg->consumers,
	       cfg->kind->records ? "records up to" : "slots of", cfg->slot_size, cfg->capacity,
	       wait_names[cfg->wait_mode], cfg->seed);
	printf("  sent       %" PRIu64, r->sent);
	if (cfg->count)
		printf(" of %" PRIu64 " (%u x %" PRIu64 ")", cfg->count * cfg->producers,
		       cfg->producers, cfg->count);
	printf("\n  received   %" PRIu64 " in %.3f s: %.0f msg/s (", r->taken, r->seconds,
	       r->msgs_per_s);
	for (unsigned c = 0; c < consumer_count(cfg, r); c++)
		printf("%sconsumer %u: %" PRIu64, c ? ", " : "", c, r->per_consumer[c]);
	printf(")\n  verified   lost %" PRIu64 ", duplicated %" PRIu64 ", out of order %" PRIu64
	       ", torn %" PRIu64 ", invalid %" PRIu64 "\n",
	       r->lost, r->duplicated, r->out_of_order, r->torn, r->invalid);
	printf("             (each of the first %" PRIu64 " sequence numbers per producer "
	       "checked one by one%s)\n",
	       r->bitmap_bits, r->hashed ? "; the rest by count and multiset hash" : "");
	if (r->ring_counts)
		printf("  ring       full waits %" PRIu64 ", empty waits %" PRIu64 ", wakes %" PRIu64
		       "\n", r->full_waits, r->empty_waits, r->wakes);
	else
		printf("  ring       (the ring's counters could not be read)\n");
	printf("  processes  %u crashed or failed, %u hung, %u consumer(s) gave up draining, "
	       "%u stopped at end-of-stream\n",
	       r->crashed, r->hung, r->drain_gave_up, r->end_of_stream);
	if (cfg->inject)
		printf("  inject     %s (self-test of the verifier: FAIL is the expected verdict)\n",
		       inject_names[cfg->inject]);
	if (cfg->kill || cfg->stop) {
		printf("  faults     killed %u (%u producer(s), %u consumer(s)%s), stopped %u "
		       "(pauses up to %.2f s)",
		       r->killed, r->killed_producers, r->killed_consumers,
		       r->killed_consumers ? ", each replaced" : "", r->stopped,
		       (double)cfg->stop_max_ns / 1e9);
		if (r->faults_missed)
			printf(", %u not made (the run ended first, or no %s at work)",
			       r->faults_missed, victim_names[cfg->victims & 3]);
		printf("\n");
		if (r->killed)
			printf("  accounted  killed producers' last message: %" PRIu64 " delivered, %"
			       PRIu64 " never sent; salvaged from killed consumers %" PRIu64
			       "; dropped with dead consumers' claims %" PRIu64 "\n",
			       r->last_delivered, r->last_never_sent, r->salvaged, r->dropped);
		printf("  repairs    ");
		if (r->ring_counts)
			printf("producer claims %" PRIu64 " (skipped %" PRIu64 "), consumer claims "
			       "%" PRIu64 " (consumers killed in a receive: %u), cancelled %" PRIu64
			       ", reaped %" PRIu64,
			       r->prod_repairs, r->skipped, r->cons_repairs, r->died_receiving,
			       r->cancelled, r->reaped);
		else
			printf("(the ring's counters could not be read)");
		printf("; mismatches %" PRIu64 ", live claims repaired %" PRIu64 "\n",
		       r->repair_mismatch, r->live_repaired);
	}
	printf("  held back  longest wait of a consumer that ended with a message %.2f ms; "
	       "the ring's longest stall behind a claim %.2f ms\n",
	       (double)r->longest_gap_ns / 1e6, (double)r->stall_max_ns / 1e6);
	printf("shmring stress: %s%s%s\n", verdict(r), r->why[0] ? ": " : "", r->why);
}

static int exit_status(const struct shmring_stress_result *r)
{
	if (r->aborted || (r->setup_err && r->interrupted))
		return 130;
	if (!shmring_stress_clean(r))
		return 1;
	return r->interrupted ? 130 : 0;
}

static int sweep(struct shmring_stress_cfg cfg, const unsigned *list, unsigned n, bool json)
{
	struct shmring_stress_result *res = calloc(n, sizeof(*res));
	int status = 0;

	if (!res) {
		fprintf(stderr, "shmring stress: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		cfg.producers = list[i];
		if (!cfg.quiet)
			fprintf(stderr, "shmring stress: sweep: %u producer(s)\n", list[i]);
		shmring_stress_run(&cfg, &res[i]);
		/* A failure stands over an interrupt of a later run (130 is
		 * "clean so far"), which stands over a pass. */
		if (status != 1 && exit_status(&res[i]) != 0)
			status = exit_status(&res[i]);
		if (res[i].interrupted || res[i].setup_err) {
			n = i + 1;
			break;
		}
	}
	if (json) {
		printf("{\"sweep\":[");
		for (unsigned i = 0; i < n; i++) {
			cfg.producers = list[i];
			if (i)
				printf(",");
			print_json(&cfg, &res[i]);
		}
		printf("]}\n");
	} else {
		printf("shmring stress --sweep: %s, %u consumer(s), %s %u x %" PRIu64
		       ", wait %s, %s\n",
		       cfg.kind->name, cfg.consumers, cfg.kind->records ? "records up to" : "slots of",
		       cfg.slot_size, cfg.capacity, wait_names[cfg.wait_mode],
		       cfg.count ? "fixed count" : "fixed duration");
		printf("%9s %14s %14s %12s %12s %12s  %s\n", "producers", "msg/s", "per producer",
		       "full waits", "empty waits", "wakes", "verdict");
		for (unsigned i = 0; i < n; i++)
			printf("%9u %14.0f %14.0f %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "  %s%s%s\n",
			       list[i], res[i].msgs_per_s, res[i].msgs_per_s / list[i],
			       res[i].full_waits, res[i].empty_waits, res[i].wakes,
			       verdict(&res[i]), res[i].why[0] ? ": " : "", res[i].why);
	}
	free(res);
	return status;
}

/* --- The command ---------------------------------------------------------- */

enum {
	OPT_KEEP = 256, OPT_STALL, OPT_TIMEOUT, OPT_BITMAP, OPT_SWEEP, OPT_JSON, OPT_QUIET,
	OPT_LIST, OPT_INJECT, OPT_SEED, OPT_NAME, OPT_WAIT, OPT_KILL, OPT_STOP, OPT_VICTIMS,
	OPT_STOP_FOR, OPT_RECOVERY,
};

int shmring_cmd_stress(int argc, char **argv)
{
	static const struct option lo[] = {
		{"kind", required_argument, 0, 'k'},      {"producers", required_argument, 0, 'p'},
		{"consumers", required_argument, 0, 'c'}, {"count", required_argument, 0, 'n'},
		{"duration", required_argument, 0, 'd'},  {"slot-size", required_argument, 0, 's'},
		{"capacity", required_argument, 0, 'C'},  {"wait", required_argument, 0, OPT_WAIT},
		{"seed", required_argument, 0, OPT_SEED}, {"name", required_argument, 0, OPT_NAME},
		{"keep", no_argument, 0, OPT_KEEP},       {"stall", required_argument, 0, OPT_STALL},
		{"timeout", required_argument, 0, OPT_TIMEOUT},
		{"bitmap-limit", required_argument, 0, OPT_BITMAP},
		{"sweep", required_argument, 0, OPT_SWEEP}, {"json", no_argument, 0, OPT_JSON},
		{"quiet", no_argument, 0, OPT_QUIET},     {"list-kinds", no_argument, 0, OPT_LIST},
		{"inject", required_argument, 0, OPT_INJECT}, {"help", no_argument, 0, 'h'},
		{"kill", required_argument, 0, OPT_KILL}, {"stop", required_argument, 0, OPT_STOP},
		{"victims", required_argument, 0, OPT_VICTIMS},
		{"stop-for", required_argument, 0, OPT_STOP_FOR},
		{"recovery-ms", required_argument, 0, OPT_RECOVERY},
		{0, 0, 0, 0}};
	struct shmring_stress_cfg cfg = {.stall_ns = DEFAULT_STALL_NS,
					 .bitmap_limit = DEFAULT_BITMAP_LIMIT,
					 .victims = SHMRING_PRODUCER,
					 .stop_max_ns = DEFAULT_STOP_MAX_NS};
	struct shmring_stress_result res;
	uint64_t producers = 0, consumers = 0, slot = 0, cap = 0, nkill = 0, nstop = 0;
	unsigned list[MAX_SWEEP], nsweep = 0;
	bool json = false, have_seed = false, timeout_set = false, stall_set = false;
	bool duration_set = false, list_kinds = false;
	const char *kind = "mpmc";
	uint32_t u = 0;
	int c, rc, prc;

	optind = 0;
	while ((c = shmring_cli_getopt("stress", argc, argv, "k:p:c:n:d:s:C:h", lo)) != -1) {
		rc = 0;
		prc = 0;
		switch (c) {
		case 'k':
			kind = optarg;
			break;
		case 'p':
			if ((prc = shmring_cli_parse_u64(optarg, &producers)) < 0 || producers < 1 ||
			    producers > SHMRING_STRESS_MAX_PRODUCERS)
				rc = bad("--producers must be 1..256, not '%s'%s", optarg, too_large(prc));
			break;
		case 'c':
			if ((prc = shmring_cli_parse_u64(optarg, &consumers)) < 0 || consumers < 1 ||
			    consumers > SHMRING_STRESS_MAX_CONSUMERS)
				rc = bad("--consumers must be 1..64, not '%s'%s", optarg, too_large(prc));
			break;
		case 'n':
			if ((prc = shmring_cli_parse_u64(optarg, &cfg.count)) < 0 || cfg.count < 1)
				rc = bad("--count must be a positive number, not '%s'%s", optarg, too_large(prc));
			break;
		case 'd':
			if ((prc = parse_seconds(optarg, &cfg.duration_ns)) < 0)
				rc = bad("--duration must be a positive number of seconds, not '%s'%s",
					 optarg, too_large(prc));
			duration_set = true;
			break;
		case 's':
			if ((prc = shmring_cli_parse_u64(optarg, &slot)) < 0 || slot < SHMRING_STRESS_HDR ||
			    slot > SHMRING_MAX_SLOT_SIZE)
				rc = bad("--slot-size must be 24..65536 bytes (a message's header "
					 "takes 24), not '%s'%s", optarg, too_large(prc));
			break;
		case 'C':
			if ((prc = shmring_cli_parse_u64(optarg, &cap)) < 0 || cap < 2 || (cap & (cap - 1)))
				rc = bad("--capacity must be a power of two, not '%s'%s", optarg, too_large(prc));
			break;
		case OPT_WAIT:
			if (parse_name(optarg, wait_names, 4, &cfg.wait_mode) < 0)
				rc = bad("--wait must be adaptive, spin, yield or park, not '%s'%s",
					 optarg, too_large(prc));
			break;
		case OPT_SEED:
			if ((prc = shmring_cli_parse_u64(optarg, &cfg.seed)) < 0)
				rc = bad("--seed must be a number, not '%s'%s", optarg, too_large(prc));
			have_seed = true;
			break;
		case OPT_NAME:
			cfg.name = optarg;
			break;
		case OPT_KEEP:
			cfg.keep = true;
			break;
		case OPT_KILL:
			if ((prc = shmring_cli_parse_u64(optarg, &nkill)) < 0 || nkill > MAX_FAULTS)
				rc = bad("--kill must be a count of processes, 0..%u, not '%s'%s",
					 MAX_FAULTS, optarg, too_large(prc));
			break;
		case OPT_STOP:
			if ((prc = shmring_cli_parse_u64(optarg, &nstop)) < 0 || nstop > MAX_FAULTS)
				rc = bad("--stop must be a count of processes, 0..%u, not '%s'%s",
					 MAX_FAULTS, optarg, too_large(prc));
			break;
		case OPT_VICTIMS:
			if (parse_name(optarg, victim_names, 4, &cfg.victims) < 0 || !cfg.victims)
				rc = bad("--victims must be producers, consumers or both, not '%s'",
					 optarg);
			break;
		case OPT_STOP_FOR:
			if ((prc = parse_seconds(optarg, &cfg.stop_max_ns)) < 0 ||
			    cfg.stop_max_ns > 600 * 1000000000ull)
				rc = bad("--stop-for must be a positive number of seconds, at most "
					 "600, not '%s'%s", optarg, too_large(prc));
			break;
		case OPT_RECOVERY:
			prc = shmring_cli_parse_time(optarg, 1000000, &cfg.recovery_ns);
			if (prc < 0 || cfg.recovery_ns < 100000 || cfg.recovery_ns > 60000000000ull)
				rc = bad("--recovery-ms must be 0.1..60000 milliseconds, not '%s'%s",
					 optarg, too_large(prc));
			break;
		case OPT_STALL:
			stall_set = true;
			if ((prc = parse_seconds(optarg, &cfg.stall_ns)) < 0)
				rc = bad("--stall must be a positive number of seconds, not '%s'%s",
					 optarg, too_large(prc));
			break;
		case OPT_TIMEOUT:
			if ((prc = parse_seconds(optarg, &cfg.timeout_ns)) < 0)
				rc = bad("--timeout must be a positive number of seconds, not '%s'%s",
					 optarg, too_large(prc));
			timeout_set = true;
			break;
		case OPT_BITMAP:
			if ((prc = shmring_cli_parse_u64(optarg, &cfg.bitmap_limit)) < 0 || cfg.bitmap_limit < 1)
				rc = bad("--bitmap-limit must be a positive number, not '%s'%s", optarg, too_large(prc));
			break;
		case OPT_SWEEP:
			if ((prc = parse_sweep(optarg, list, &nsweep)) < 0)
				rc = bad("--sweep takes up to 16 producer counts 1..256 separated by "
					 "commas, not '%s'%s", optarg, too_large(prc));
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_QUIET:
			cfg.quiet = true;
			break;
		case OPT_LIST:
			list_kinds = true;
			break;
		case OPT_INJECT:
			if (parse_name(optarg, inject_names, 5, &u) < 0)
				rc = bad("--inject must be lose, dup, reorder or tear, not '%s'%s",
					 optarg, too_large(prc));
			cfg.inject = (enum shmring_stress_inject)u;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
		if (rc < 0)
			return 2;
	}
	if (optind != argc) {
		bad("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	/* After every option was read, as bench --list: a mistake after it
	 * is a usage error, not ignored. */
	if (list_kinds) {
		size_t n;
		const struct shmring_stress_kind *k = shmring_stress_kinds(&n);

		for (size_t i = 0; i < n; i++)
			printf("%s\n", k[i].name);
		return 0;
	}
	cfg.kind = shmring_stress_kind_find(kind);
	if (!cfg.kind) {
		bad("unknown or unsupported ring kind '%s' (--list-kinds)", kind);
		return 2;
	}
	/* Single-producer and single-consumer kinds: 1 is the default and the
	 * only value; saying otherwise is a mistake worth an error. */
	if (!cfg.kind->multi_prod && (producers > 1 || nsweep)) {
		fprintf(stderr, "shmring stress: a %s ring has exactly one producer: use "
				"--producers 1%s\n", kind, nsweep ? " and no --sweep" : "");
		return 2;
	}
	if (!cfg.kind->multi_cons && consumers > 1) {
		fprintf(stderr, "shmring stress: a %s ring has exactly one consumer: use "
				"--consumers 1\n", kind);
		return 2;
	}
	cfg.producers = (unsigned)(producers ? producers
					     : cfg.kind->multi_prod ? DEFAULT_PRODUCERS : 1);
	cfg.consumers = (unsigned)(consumers ? consumers
					     : cfg.kind->multi_cons ? DEFAULT_CONSUMERS : 1);
	cfg.slot_size = (uint32_t)(slot ? slot : cfg.kind->def_slot);
	cfg.capacity = cap ? cap : cfg.kind->def_cap;
	if (geometry_problem(&cfg))
		return 2;
	for (unsigned i = 0; i < (nsweep ? nsweep : 1); i++)
		if (too_many(&cfg, nsweep ? list[i] : cfg.producers) ||
		    too_much(&cfg, nsweep ? list[i] : cfg.producers))
			return 2;
	if (cfg.name && name_problem(cfg.name))
		return 2;
	if (!cfg.count && !cfg.duration_ns)
		cfg.duration_ns = DEFAULT_DURATION_NS;
	if (!have_seed)
		cfg.seed = shmring_clock_ns() ^ ((uint64_t)getpid() << 32);
	if (nsweep && cfg.keep) {
		bad("%s", "--keep and --sweep do not go together (every run makes its own ring)");
		return 2;
	}
	if (nsweep && cfg.name) {
		bad("%s", "--name and --sweep do not go together (every run makes its own ring)");
		return 2;
	}
	cfg.kill = (unsigned)nkill;
	cfg.stop = (unsigned)nstop;
	if ((cfg.kill || cfg.stop) && cfg.inject) {
		bad("%s", "--inject tests the verifier alone: not with --kill or --stop");
		return 2;
	}
	if (shmring_stress_consumer_slots(&cfg) <
	    cfg.consumers + ((cfg.victims & SHMRING_CONSUMER) ? cfg.kill : 0)) {
		bad("each killed consumer is replaced: %u consumers and %u kills make more than "
		    "%u", cfg.consumers, cfg.kill, SHMRING_STRESS_MAX_CONSUMERS);
		return 2;
	}
	/* A stopped producer may hold the consumers back for its whole pause:
	 * that is no stall. */
	if (cfg.stop && cfg.stall_ns < cfg.stop_max_ns + 2000000000ull) {
		if (stall_set && !cfg.quiet)
			fprintf(stderr, "shmring stress: --stall raised to %.1f s, past --stop-for\n",
				(double)(cfg.stop_max_ns + 2000000000ull) / 1e9);
		cfg.stall_ns = cfg.stop_max_ns + 2000000000ull;
	}
	if (timeout_problem(&cfg, timeout_set, duration_set))
		return 2;
	if (nsweep)
		return sweep(cfg, list, nsweep, json);

	rc = shmring_stress_run(&cfg, &res);
	if (rc < 0 && !json) {
		fprintf(stderr, "shmring stress: %s\n", res.why);
		return exit_status(&res);
	}
	if (json) {
		print_json(&cfg, &res);
		printf("\n");
	} else {
		print_text(&cfg, &res);
	}
	return exit_status(&res);
}
