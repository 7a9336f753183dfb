/* SPDX-License-Identifier: MIT */
/*
 * src/bench/bench.h - `shmring bench`: a cross-process IPC benchmark.
 *
 * Every measurement forks one process and runs the two ends of a mechanism on
 * two pinned CPUs: the parent is the client (round trips) or the consumer
 * (throughput) and takes all timings; the child echoes or produces. Each
 * measurement is bracketed by a short measurement of the "floor" (one cache
 * line bounced between the same two processes' CPUs), because the host moves
 * the vCPUs between near and far placement every few seconds.
 *
 * A mechanism is one entry of the table in mechs.c: a name, what it allows,
 * and six calls (setup, attach, send, recv, detach, teardown).
 */
#ifndef SHMRING_BENCH_BENCH_H
#define SHMRING_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Entry point of the `shmring bench` sub-command; argv[0] is "bench". */
int shmring_cmd_bench(int argc, char **argv);

enum shmring_bench_mode {
	SHMRING_BENCH_RTT = 1u << 0,  /* round-trip latency */
	SHMRING_BENCH_TPUT = 1u << 1, /* one-way throughput */
};

#define SHMRING_BENCH_MAX_SIZES 8
#define SHMRING_BENCH_WHY 200

struct shmring_bench_cfg {
	int cpu[2];              /* CPU of the parent (client) and of the child */
	uint64_t warm_ns;        /* warm-up before each measurement */
	uint64_t run_ns;         /* length of each measurement */
	unsigned floor_chunks;   /* bracket floor: chunks of round trips timed */
	unsigned sizes[SHMRING_BENCH_MAX_SIZES];
	unsigned nsizes;
	unsigned modes;          /* enum shmring_bench_mode bits to run */
	bool retry;              /* measure again once when the floor moved */
	bool progress;           /* progress line on stderr */
	unsigned ratio_rounds;   /* most rounds of each back-to-back comparison
				    (run.c); 0: no comparisons */
	uint64_t answer_delay_ns; /* round trips: the server waits this long (on
				     its CPU) before each answer, and every
				     round trip is recorded less it; 0: none */
};

/* The two ends of one mechanism, as seen by one process. */
struct shmring_bench_chan {
	const struct shmring_bench_mech *mech;
	const struct shmring_bench_cfg *cfg;
	unsigned size;      /* message bytes, a multiple of 8 */
	unsigned mode;      /* SHMRING_BENCH_RTT or SHMRING_BENCH_TPUT */
	int side;           /* 0: parent (client/consumer), 1: child */
	pid_t peer;         /* the other process, once forked */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC after which blocking calls give up */
	int fd[4];          /* fd-based mechanisms: rd0, wr0, rd1, wr1 (direction d) */
	void *shm;          /* shared mapping made before fork, or NULL */
	size_t shm_len;
	void *priv;         /* mechanism state, made in setup and copied by fork */
	void *scratch;      /* per-process buffer made in attach */
};

/*
 * A mechanism. Direction d carries messages sent by side d, so in a round
 * trip side 0 sends on direction 0 and receives on direction 1; in a
 * throughput run only direction 1 (child to parent) is used.
 *
 * setup runs in the parent before fork: 0, a negative errno, or a positive
 *   value to skip (with the reason written to why).
 * attach runs in each process after fork (may block until the peer attaches).
 * send/recv move exactly c->size bytes; 0 or a negative errno.
 * detach runs in each process; teardown in the parent after the child exits,
 *   also after a failed attach, and must release everything setup made.
 */
struct shmring_bench_mech {
	const char *name;
	const char *desc;
	unsigned modes;     /* enum shmring_bench_mode bits it can measure */
	unsigned max_size;  /* largest message, 0 = no limit of its own */
	const char *why_not_tput; /* when TPUT is not in modes: why */
	const char *why_not_rtt;  /* when RTT is not in modes: why */
	bool floor_rtt;     /* its round trip is also reported against the floor */
	const void *arg;    /* for families of mechanisms sharing one code */
	int (*setup)(struct shmring_bench_chan *c, char *why, size_t whylen);
	int (*attach)(struct shmring_bench_chan *c);
	int (*send)(struct shmring_bench_chan *c, const void *msg);
	int (*recv)(struct shmring_bench_chan *c, void *msg);
	void (*detach)(struct shmring_bench_chan *c);
	void (*teardown)(struct shmring_bench_chan *c);
	/* Optional: push out what send held back (a batching sender), called
	 * by the producer after its last message, the stop message included. */
	int (*flush)(struct shmring_bench_chan *c);
};

/* Why a batching mechanism measures throughput only. */
#define SHMRING_BENCH_WHY_BATCH                                                                    \
	"a batching sender holds messages back: one round trip would wait for the "                \
	"rest of its batch"

/*
 * Capacity of a shmring ring of size-byte messages, for both kinds of run
 * (ring_shmring.c): fixed kinds 4096 slots, as in the published figures, but
 * at most ~8 MiB a ring; the message ring bytes for 4096 records of this
 * size, within the same bound, and always room for two of the largest.
 */
uint64_t shmring_bench_ring_capacity(uint32_t kind, unsigned size);

/* The floor as a mechanism (floor.c), also used for the brackets. */
extern const struct shmring_bench_mech shmring_bench_mech_floor;

/* The table of every mechanism built into this binary, in report order. */
extern const struct shmring_bench_mech *const shmring_bench_mechs[];
extern const size_t shmring_bench_nmechs;
/* The width of a column of mechanism names: the longest name, 24 at least. */
int shmring_bench_name_width(void);
const struct shmring_bench_mech *shmring_bench_mech_find(const char *name);

enum shmring_bench_status {
	SHMRING_BENCH_OK = 0,
	SHMRING_BENCH_SKIPPED = 1,
	SHMRING_BENCH_FAILED = 2,
	SHMRING_BENCH_UNKNOWN = 3, /* a ratio: no placement held figures of both */
};

struct shmring_bench_hist;

/*
 * The floors measured around one figure, ns: p50 of the `floor` mechanism
 * timed by the same harness (floor_*), and the bare loop with no per-sample
 * timing (plain_*). Ratios are against the timed one: both sides of the
 * ratio then carry the same timing cost. Shared by both kinds of run.
 */
struct shmring_bench_bracket {
	double floor_before, floor_after;
	double plain_before, plain_after;
	bool moved;                   /* the bracketing floors differ > 1.5x */
	bool retried;                 /* measured once more after a move */
};

/* The floors of the moment, carried from one figure to the next. */
struct shmring_bench_floor_now {
	double timed, plain;
};

struct shmring_bench_result {
	const struct shmring_bench_mech *mech;
	unsigned mode;
	unsigned size;
	int status;                   /* enum shmring_bench_status */
	char why[SHMRING_BENCH_WHY];  /* skip or failure reason */
	/* round trips (mode RTT), in ns */
	struct shmring_bench_hist *hist; /* owned; NULL for throughput */
	uint64_t samples;
	double p50, p90, p99, p999, max, mean;
	/* throughput (mode TPUT) */
	uint64_t msgs;
	double msgs_per_s, mb_per_s;
	/* both */
	double cpu_ns_per_msg;        /* both processes; per round trip for RTT */
	struct shmring_bench_bracket br; /* the floors around the figure */
};

/*
 * A ratio between two mechanisms, taken only from figures measured back to
 * back: rounds of A then B, each figure bracketed by the floor (the floor
 * after A is the one before B), until both have figures in one placement
 * (near or far by their floors; a figure whose floor moved counts for
 * neither) or the rounds run out. The ratio is of the medians of each in
 * that placement: round trip p50 over p50 (below 1: A is faster),
 * throughput msgs/s over msgs/s (above 1: A is faster).
 */
#define SHMRING_BENCH_RATIO_MAX_ROUNDS 16
#define SHMRING_BENCH_RATIO_MIN_ROUNDS 2
struct shmring_bench_ratio {
	const struct shmring_bench_mech *a, *b;
	unsigned mode, size;
	int status;                   /* OK; UNKNOWN (placement changed); FAILED; SKIPPED */
	char why[SHMRING_BENCH_WHY];  /* for any status but OK */
	double ratio;                 /* a_value / b_value, when OK */
	double a_value, b_value;      /* medians: p50 ns or msgs/s, in that placement */
	double floor_plain;           /* median bare floor around those figures */
	const char *placement;        /* "near" or "far" when OK, else NULL */
	unsigned rounds;              /* rounds measured */
	unsigned a_figures, b_figures; /* figures of each in that placement */
};

/* Floors that differ by more than this much mean the placement changed. */
#define SHMRING_BENCH_MOVED_RATIO 1.5
/* A timed floor above this many bare floors: the harness weighs (report.c). */
#define SHMRING_BENCH_HEAVY_RATIO 1.5
/* Below this floor round trip the two vCPUs are "near" each other. */
#define SHMRING_BENCH_NEAR_NS 200.0

/* The timed and bare floors around a figure (mean of before and after, or
 * the one measured), 0 when none; "near", "far", "moved" or "unknown". */
double shmring_bench_bracket_floor(const struct shmring_bench_bracket *b);
double shmring_bench_bracket_plain(const struct shmring_bench_bracket *b);
const char *shmring_bench_bracket_placement(const struct shmring_bench_bracket *b);
/* Whether two figures were measured in one placement, near or far (neither
 * moved nor unknown): the only figures whose ratio a run reports. */
bool shmring_bench_same_placement(const struct shmring_bench_bracket *a,
				  const struct shmring_bench_bracket *b);
/* After a figure measured with *now as the floors before it: measure the
 * floors after it into *b and *now, and whether they moved. 0 or -errno. */
int shmring_bench_bracket_close(const struct shmring_bench_cfg *cfg,
				struct shmring_bench_floor_now *now,
				struct shmring_bench_bracket *b);

/* A figure over the floors around it (0 when it has none, or when they
 * moved: the figure then belongs to no one placement). */
double shmring_bench_result_x_floor(const struct shmring_bench_result *r);
double shmring_bench_result_x_plain(const struct shmring_bench_result *r);
void shmring_bench_result_free(struct shmring_bench_result *r);

/*
 * Measure one mechanism in one mode and size, between the two CPUs of cfg,
 * without floor brackets. Fills *res (status SKIPPED or FAILED with a
 * reason, or OK with the figures). 0, or a negative errno when the harness
 * itself failed (no fork, no memory).
 */
int shmring_bench_measure(const struct shmring_bench_cfg *cfg, const struct shmring_bench_mech *m,
			  unsigned mode, unsigned size, struct shmring_bench_result *res);

/*
 * The plain floor: median over cfg->floor_chunks chunks of the mean round
 * trip of one cache line between the two CPUs, with no per-sample timing.
 * 0 and *ns, or a negative errno.
 */
int shmring_bench_floor(const struct shmring_bench_cfg *cfg, double *ns);

/* Both bracket floors (see struct shmring_bench_result); 0 or -errno. */
int shmring_bench_floors(const struct shmring_bench_cfg *cfg, double *timed, double *plain);

/* Run every selected mechanism; see run.c. */
struct shmring_bench_run {
	struct shmring_bench_result *res;
	size_t nres;
	struct shmring_bench_ratio *ratios; /* the back-to-back comparisons */
	size_t nratios;
	double timer_overhead_ns; /* one timed sample, alone */
	double timer_step_ns;     /* the timer's least step seen (0: none seen) */
	double wall_s;
};
int shmring_bench_run_all(const struct shmring_bench_cfg *cfg,
			  const struct shmring_bench_mech *const *mechs, size_t nmechs,
			  struct shmring_bench_run *run);
void shmring_bench_run_free(struct shmring_bench_run *run);

/* Reports (report.c, plot.c). Every report names the machine it ran on. */
void shmring_bench_report_table(FILE *f, const struct shmring_bench_cfg *cfg,
				const struct shmring_bench_run *run);
void shmring_bench_report_json(FILE *f, const struct shmring_bench_cfg *cfg,
			       const struct shmring_bench_run *run);
void shmring_bench_report_csv(FILE *f, const struct shmring_bench_cfg *cfg,
			      const struct shmring_bench_run *run);
/* 0 when pictures were made; -ENOENT when gnuplot is missing (data and
 * scripts are still written); other -errno. Says what it did on stderr. */
int shmring_bench_plot(const char *dir, const struct shmring_bench_cfg *cfg,
		       const struct shmring_bench_run *run);

/* ------------------------------------ shared by the reports of both modes */

void shmring_bench_fmt_ns(char *b, size_t n, double ns);
void shmring_bench_fmt_size(char *b, size_t n, unsigned size);
void shmring_bench_fmt_count(char *b, size_t n, double v);
void shmring_bench_fmt_ratio(char *b, size_t n, double x); /* "-" for x <= 0 */
const char *shmring_bench_status_name(int status); /* "ok", "skipped", "failed" */
/* A JSON string, quoted and escaped, each byte that is not of well-formed UTF-8 as
 * U+FFFD (also used by other commands). */
void shmring_bench_json_str(FILE *f, const char *s);

/* The machine a run is on: CPU model (/proc/cpuinfo), kernel (uname),
 * compiler (__VERSION__) and the commit the tool was built from ("" when
 * the build did not know it). Read once. */
struct shmring_bench_machine {
	char cpu[128], kernel[200], compiler[128], commit[48];
};
const struct shmring_bench_machine *shmring_bench_machine(void);
/* The "machine: ..." line of a table's header. */
void shmring_bench_machine_line(FILE *f);
/* The progress line (printf format) on standard error's descriptor itself,
 * past the tool's filter of what its messages quote: its carriage return
 * and its erase to the end of the line reach the terminal. */
__attribute__((format(printf, 1, 2))) void shmring_bench_progress(const char *fmt, ...);

/*
 * One value of a JSON object or CSV row. Every row of a report has every
 * field, in the same order; an invalid one is null in JSON and empty in CSV,
 * as is a number that is not finite.
 */
enum shmring_bench_field_kind { SHMRING_BENCH_F_STR, SHMRING_BENCH_F_NUM,
				SHMRING_BENCH_F_INT, SHMRING_BENCH_F_BOOL };
struct shmring_bench_field {
	const char *key;
	enum shmring_bench_field_kind kind;
	const char *s; /* SHMRING_BENCH_F_STR */
	double v;
	bool valid;
};
#define SHMRING_BENCH_MAX_FIELDS 48

/* Appends fields to an array, counting them. A string is kept by pointer
 * until the row is written: it must outlive the row function's return. */
struct shmring_bench_row {
	struct shmring_bench_field f[SHMRING_BENCH_MAX_FIELDS];
	unsigned n;
};
void shmring_bench_row_str(struct shmring_bench_row *w, const char *key, const char *s);
void shmring_bench_row_num(struct shmring_bench_row *w, const char *key, double v, bool valid);
void shmring_bench_row_int(struct shmring_bench_row *w, const char *key, double v, bool valid);
void shmring_bench_row_bool(struct shmring_bench_row *w, const char *key, bool v, bool valid);
/* The floors of a figure: floor_ns, floor_before_ns, ..., floor_plain_after_ns. */
void shmring_bench_row_floors(struct shmring_bench_row *w, const struct shmring_bench_bracket *b,
			      bool ok);
/* placement, floor_moved, retried. */
void shmring_bench_row_placement(struct shmring_bench_row *w,
				 const struct shmring_bench_bracket *b, bool ok);
/* machine_cpu, machine_kernel, machine_compiler, machine_commit. */
void shmring_bench_row_machine(struct shmring_bench_row *w);

/* The fields of row i of a report (i == SIZE_MAX: any row, for the CSV
 * header), from the report's own state. */
typedef void shmring_bench_row_fn(const void *ctx, size_t i, struct shmring_bench_row *w);
enum shmring_bench_format { SHMRING_BENCH_JSON, SHMRING_BENCH_CSV };
/* A JSON array of nrows flat objects, or a CSV header and nrows lines. */
void shmring_bench_write_rows(FILE *f, enum shmring_bench_format fmt, shmring_bench_row_fn *fn,
			      const void *ctx, size_t nrows);

/* --plot: the data and gnuplot scripts of a report, then the pictures. */
struct shmring_bench_plot {
	const char *dir;
	FILE *list;       /* the scripts written, one a line */
};
/* Make dir and start the list; 0 or -errno (said on stderr). */
int shmring_bench_plot_begin(struct shmring_bench_plot *p, const char *dir);
/* STEM.dat and STEM.gp in the directory, the script's terminal lines
 * written and its name listed; 0 or -errno. */
int shmring_bench_plot_open(struct shmring_bench_plot *p, const char *stem, FILE **dat,
			    FILE **gp);
/* rc: the first error of writing (said here). Then run gnuplot on every
 * script: 0 when pictures were made, -ENOENT when gnuplot is missing (the
 * data and scripts stay), other -errno. Says what it did on stderr. */
int shmring_bench_plot_end(struct shmring_bench_plot *p, int rc);

#endif /* SHMRING_BENCH_BENCH_H */
