/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cmd_ring.c - create, rm and stat.
 */
#include "bench/bench.h" /* shmring_bench_json_str() */
#include "cli/args.h"
#include "cli/cli.h"
#include "shmring/shmring.h"

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const kind_names[] = {
	[SHMRING_KIND_SPSC] = "spsc", [SHMRING_KIND_MPSC] = "mpsc", [SHMRING_KIND_SPMC] = "spmc",
	[SHMRING_KIND_MPMC] = "mpmc", [SHMRING_KIND_MSG] = "msg",
};

static const char *kind_name(uint32_t kind)
{
	if (kind < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[kind])
		return kind_names[kind];
	return "unknown";
}

static int parse_kind(const char *s, uint32_t *kind)
{
	for (uint32_t k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++) {
		if (kind_names[k] && !strcmp(s, kind_names[k])) {
			*kind = k;
			return 0;
		}
	}
	return -EINVAL;
}

/* "spsc", or for a message ring "msg" with its producer/consumer counts. */
static const char *kind_label(const struct shmring_info *in, char *buf, size_t size)
{
	if (in->kind != SHMRING_KIND_MSG)
		return kind_name(in->kind);
	snprintf(buf, size, "msg-%s%s", (in->flags & SHMRING_CREATE_MULTI_PRODUCER) ? "mp" : "sp",
		 (in->flags & SHMRING_CREATE_MULTI_CONSUMER) ? "mc" : "sc");
	return buf;
}

/* "what 'arg': why", the one shape of every value error of create. */
static int bad_value(const char *opt, const char *arg, int rc, const char *want)
{
	fprintf(stderr, "shmring create: --%s '%s': %s; %s\n", opt, arg,
		rc == -ERANGE ? "too large (it does not fit in 64 bits)" : "not valid", want);
	return 2;
}

static int parse_mode(const char *s, uint32_t *mode)
{
	char *end;
	unsigned long m;

	if (!s || *s < '0' || *s > '7')
		return -EINVAL;
	errno = 0;
	m = strtoul(s, &end, 8);
	if (errno || *end || m > 0777)
		return -EINVAL;
	*mode = (uint32_t)m;
	return 0;
}

#define RECOVERY_RANGE "0.1..60000 ms"

static void create_usage(FILE *f)
{
	fprintf(f,
		"usage: shmring create [--kind spsc|mpsc|spmc|mpmc|msg] [--slot-size BYTES]\n"
		"                      [--capacity N] [--multi-producer] [--multi-consumer]\n"
		"                      [--mode OCTAL] [--recovery-ms MS] [--force] [--prefault] "
		"NAME\n\n"
		"Create a ring (default: spsc, 64-byte slots, 4096 slots, mode 0600).\n"
		"For --kind msg, --slot-size is the largest record and --capacity the bytes of\n"
		"the record area (default 1 MiB); --multi-producer and --multi-consumer allow\n"
		"many of each (the fixed kinds imply them). Sizes take k, m, g (binary).\n"
		"--mode must give someone read and write (every open is read-write).\n"
		"--recovery-ms is how soon (" RECOVERY_RANGE ", default %.0f) waiters check\n"
		"whether the owner of a claim that holds them back has died, and repair it.\n"
		"--force replaces an existing ring of that name; --prefault touches every page "
		"now.\n",
		(double)SHMRING_DEFAULT_RECOVERY_NS / 1e6);
}

int shmring_cmd_create(int argc, char **argv)
{
	enum { OPT_RECOVERY = 256 };
	static const struct option lo[] = {
		{"kind", required_argument, 0, 'k'}, {"slot-size", required_argument, 0, 's'},
		{"capacity", required_argument, 0, 'c'}, {"mode", required_argument, 0, 'm'},
		{"force", no_argument, 0, 'f'},      {"prefault", no_argument, 0, 'p'},
		{"multi-producer", no_argument, 0, 'P'}, {"multi-consumer", no_argument, 0, 'C'},
		{"recovery-ms", required_argument, 0, OPT_RECOVERY},
		{"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 64, .capacity = 4096};
	bool capacity_set = false;
	uint64_t v;
	shmring_t *r;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:s:c:m:fpPCh", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (parse_kind(optarg, &o.kind) < 0) {
				fprintf(stderr, "shmring create: unknown kind '%s' "
						"(spsc, mpsc, spmc, mpmc, msg)\n", optarg);
				return 2;
			}
			break;
		case 's':
			rc = shmring_cli_parse_u64(optarg, &v);
			if (rc < 0 || v == 0 || v > SHMRING_MAX_SLOT_SIZE) {
				char want[64];

				snprintf(want, sizeof(want), "slot size must be 1..%u bytes",
					 SHMRING_MAX_SLOT_SIZE);
				return bad_value("slot-size", optarg, rc, want);
			}
			o.slot_size = (uint32_t)v;
			break;
		case 'c':
			rc = shmring_cli_parse_u64(optarg, &v);
			if (rc < 0 || v < 2 || v > SHMRING_MAX_CAPACITY || (v & (v - 1))) {
				char want[96];

				snprintf(want, sizeof(want), "capacity must be a power of two, "
					 "2..%llu slots (msg: bytes)",
					 (unsigned long long)SHMRING_MAX_CAPACITY);
				return bad_value("capacity", optarg, rc, want);
			}
			o.capacity = v;
			capacity_set = true;
			break;
		case 'm':
			if (parse_mode(optarg, &o.mode) < 0) {
				fprintf(stderr, "shmring create: --mode '%s': mode must be octal "
						"permission bits, e.g. 0600\n", optarg);
				return 2;
			}
			/* The library reads 0 as "the default", and every open is
			 * read-write: 0000 (or any mode without both r and w for
			 * someone) would make a ring nobody can open. */
			if ((o.mode & 0600) != 0600 && (o.mode & 0060) != 0060 &&
			    (o.mode & 0006) != 0006) {
				fprintf(stderr, "shmring create: --mode %04o: nobody could open "
						"that ring (every open needs read and write); "
						"use e.g. 0600 or 0660\n", o.mode);
				return 2;
			}
			break;
		case 'f':
			o.flags |= SHMRING_CREATE_REPLACE;
			break;
		case 'p':
			o.flags |= SHMRING_CREATE_PREFAULT;
			break;
		case 'P':
			o.flags |= SHMRING_CREATE_MULTI_PRODUCER;
			break;
		case 'C':
			o.flags |= SHMRING_CREATE_MULTI_CONSUMER;
			break;
		case OPT_RECOVERY:
			rc = shmring_cli_parse_time(optarg, 1000000, &o.recovery_ns);
			if (rc < 0 || o.recovery_ns < 100000 || o.recovery_ns > 60000000000ull)
				return bad_value("recovery-ms", optarg, rc,
						 "the recovery deadline must be " RECOVERY_RANGE);
			break;
		case 'h':
			create_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "shmring create: see 'shmring create --help'\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: shmring create [OPTIONS] NAME (see --help)\n");
		return 2;
	}
	if (o.kind == SHMRING_KIND_MSG && !capacity_set)
		o.capacity = 1u << 20;
	rc = shmring_create(argv[optind], &o, SHMRING_OBSERVER, &r);
	if (rc < 0) {
		shmring_cli_error("create", argv[optind], rc);
		return 1;
	}
	shmring_close(r);
	return 0;
}

int shmring_cmd_rm(int argc, char **argv)
{
	int status = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: shmring rm NAME...\n\nRemove rings by name; processes that have "
		       "them open keep using them.\n");
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: shmring rm NAME... (see --help)\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int rc = shmring_unlink(argv[i]);

		if (rc < 0) {
			shmring_cli_error("rm", argv[i], rc);
			status = 1;
		}
	}
	return status;
}

static void print_time(uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s", buf);
}

/* A duration for people: "850 ns", "12.3 us", "5.00 ms", "1.50 s". */
static const char *dur(char *buf, size_t size, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, size, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, size, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, size, "%.2f ms", (double)ns / 1e6);
	else
		snprintf(buf, size, "%.2f s", (double)ns / 1e9);
	return buf;
}

static const char *role_label(uint32_t role)
{
	switch (role & (SHMRING_PRODUCER | SHMRING_CONSUMER)) {
	case SHMRING_PRODUCER:
		return "producer";
	case SHMRING_CONSUMER:
		return "consumer";
	case SHMRING_PRODUCER | SHMRING_CONSUMER:
		return "both";
	default:
		return "observer";
	}
}

static const char *state_label(uint32_t state)
{
	switch (state) {
	case SHMRING_PART_ALIVE:
		return "alive";
	case SHMRING_PART_DEAD:
		return "dead";
	case SHMRING_PART_REAPED:
		return "reaped";
	case SHMRING_PART_UNKNOWN:
		return "unknown";
	default:
		return "?";
	}
}

static const char *parked_label(uint32_t parked)
{
	return parked == 1 ? "messages" : parked == 2 ? "room" : "no";
}

/* Who waits at the stall: the side held back, not the holder. */
static const char *side_label(uint32_t side)
{
	return side == SHMRING_CONSUMER ? "consumers"
	       : side == SHMRING_PRODUCER ? "producers"
					  : "none";
}

/* The participant table as the library judges it now (NULL, 0 when it has
 * none or it cannot be read: *err says which). */
static struct shmring_participant *participants(shmring_t *r, const struct shmring_info *in,
						int *n, int *err)
{
	unsigned max = in->max_participants ? in->max_participants : 1;
	struct shmring_participant *p;

	*n = 0;
	*err = 0;
	if (max > 65536) /* a header field: bounded by the library, but be sure */
		max = 65536;
	p = calloc(max, sizeof(*p));
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	*n = shmring_participants(r, p, max);
	if (*n < 0) {
		*err = *n;
		*n = 0;
		free(p);
		return NULL;
	}
	return p;
}

static void stat_json(const char *name, const struct shmring_info *in, uint64_t count,
		      const struct shmring_participant *p, int np, int perr)
{
	char kb[16];

	printf("{\"name\":");
	shmring_bench_json_str(stdout, name);
	printf(",\"kind\":\"%s\",\"layout_version\":%u,\"capacity\":%" PRIu64
	       ",\"slot_size\":%u,\"slot_stride\":%u,\"total_size\":%" PRIu64
	       ",\"creator_uid\":%u,\"creator_pid\":%u,\"ctime_ns\":%" PRIu64
	       ",\"produced\":%" PRIu64 ",\"consumed\":%" PRIu64 ",\"count\":%" PRIu64
	       ",\"full_waits\":%" PRIu64 ",\"empty_waits\":%" PRIu64 ",\"wakes\":%" PRIu64,
	       kind_label(in, kb, sizeof(kb)), in->layout_version, in->capacity, in->slot_size,
	       in->slot_stride, in->total_size, in->creator_uid, in->creator_pid, in->ctime_ns,
	       in->produced, in->consumed, count, in->full_waits, in->empty_waits, in->wakes);
	printf(",\"recovery_ns\":%" PRIu64 ",\"max_participants\":%u,\"producers_gone\":%s"
	       ",\"consumers_gone\":%s,\"prod_repairs\":%" PRIu64 ",\"cons_repairs\":%" PRIu64
	       ",\"skipped\":%" PRIu64 ",\"cancelled\":%" PRIu64 ",\"reaped\":%" PRIu64,
	       in->recovery_ns, in->max_participants, in->producers_gone ? "true" : "false",
	       in->consumers_gone ? "true" : "false", in->prod_repairs, in->cons_repairs,
	       in->skipped, in->cancelled, in->reaped);
	printf(",\"stall_side\":\"%s\",\"stall_pos\":%" PRIu64 ",\"stall_ns\":%" PRIu64
	       ",\"stall_pid\":%u,\"stall_max_ns\":%" PRIu64,
	       in->stall_ns ? side_label(in->stall_side) : "none", in->stall_pos, in->stall_ns,
	       in->stall_pid, in->stall_max_ns);
	printf(",\"participants\":");
	if (perr < 0) {
		printf("null");
	} else {
		printf("[");
		for (int i = 0; i < np; i++)
			printf("%s{\"index\":%u,\"pid\":%u,\"role\":\"%s\",\"state\":\"%s\","
			       "\"parked\":\"%s\",\"gen\":%u,\"attach_ns\":%" PRIu64
			       ",\"claim_pos\":%" PRIu64 ",\"claim_end\":%" PRIu64 "}",
			       i ? "," : "", p[i].index, p[i].pid, role_label(p[i].role),
			       state_label(p[i].state), parked_label(p[i].parked), p[i].gen,
			       p[i].attach_ns, p[i].claim_pos, p[i].claim_end);
		printf("]");
	}
	/* Last, as before the failure fields: "consumers" closes the object. */
	printf(",\"producers\":%u,\"consumers\":%u}\n", in->producers, in->consumers);
}

/* The participant holding pid, for the stall line: its state or NULL. */
static const char *pid_state(const struct shmring_participant *p, int np, uint32_t pid)
{
	for (int i = 0; i < np; i++)
		if (p[i].pid == pid)
			return state_label(p[i].state);
	return NULL;
}

static void stat_text(const char *name, const struct shmring_info *in, uint64_t count,
		      const struct shmring_participant *p, int np, int perr)
{
	char kb[16], d1[32], d2[32];

	printf("%s\n", name);
	printf("  kind          %s (layout v%u)\n", kind_label(in, kb, sizeof(kb)),
	       in->layout_version);
	if (in->kind == SHMRING_KIND_MSG)
		printf("  capacity      %" PRIu64 " bytes of records of up to %u bytes, %" PRIu64
		       " bytes mapped\n", in->capacity, in->slot_size, in->total_size);
	else
		printf("  capacity      %" PRIu64 " slots of %u bytes (stride %u), %" PRIu64
		       " bytes mapped\n", in->capacity, in->slot_size, in->slot_stride,
		       in->total_size);
	printf("  created       ");
	print_time(in->ctime_ns);
	printf(" by uid %u pid %u\n", in->creator_uid, in->creator_pid);
	printf("  positions     produced %" PRIu64 ", consumed %" PRIu64 ", in ring %" PRIu64
	       "\n", in->produced, in->consumed, count);
	printf("  participants  %u producer(s), %u consumer(s) alive%s%s\n", in->producers,
	       in->consumers, in->producers_gone ? "; all producers have gone" : "",
	       in->consumers_gone ? "; all consumers have gone" : "");
	printf("  waits         full %" PRIu64 ", empty %" PRIu64 ", wakes %" PRIu64 "\n",
	       in->full_waits, in->empty_waits, in->wakes);
	printf("  recovery      deadline %s\n", dur(d1, sizeof(d1), in->recovery_ns));
	printf("  repairs       producer claims %" PRIu64 " (slots skipped %" PRIu64
	       "), consumer claims %" PRIu64 " (messages lost), cancelled %" PRIu64
	       ", dead reaped %" PRIu64 "\n",
	       in->prod_repairs, in->skipped, in->cons_repairs, in->cancelled, in->reaped);
	if (in->stall_ns) {
		const char *st = pid_state(p, np, in->stall_pid);

		printf("  stall         %s held back at position %" PRIu64 " for %s by ",
		       side_label(in->stall_side), in->stall_pos, dur(d1, sizeof(d1), in->stall_ns));
		if (in->stall_pid)
			printf("pid %u (%s)", in->stall_pid, st ? st : "not in the table");
		else
			printf("an unknown process");
		printf("; longest before: %s\n", dur(d2, sizeof(d2), in->stall_max_ns));
	} else {
		printf("  stall         none now; longest so far %s\n",
		       dur(d2, sizeof(d2), in->stall_max_ns));
	}
	if (perr < 0) {
		printf("  table         cannot be read: %s\n", shmring_strerror(perr));
		return;
	}
	if (!np) {
		printf("  table         empty\n");
		return;
	}
	printf("  table         %5s %8s %-8s %-7s %-8s %s\n", "index", "pid", "role", "state",
	       "parked", "claim");
	for (int i = 0; i < np; i++) {
		printf("                %5u %8u %-8s %-7s %-8s ", p[i].index, p[i].pid,
		       role_label(p[i].role), state_label(p[i].state), parked_label(p[i].parked));
		if (p[i].claim_end != p[i].claim_pos)
			printf("[%" PRIu64 ", %" PRIu64 ")\n", p[i].claim_pos, p[i].claim_end);
		else
			printf("-\n");
	}
}

/* --- stat: what the file in /dev/shm says before the library is asked ---- */

/* The /dev/shm name of a POSIX ring URI, or NULL for another scheme. */
static const char *posix_path(const char *uri)
{
	if (!strncmp(uri, "posix:", 6))
		uri += 6;
	return uri[0] == '/' && uri[1] && !strchr(uri + 1, '/') ? uri : NULL;
}

struct seg_look {
	bool seen;      /* the object could be opened and examined */
	bool old;       /* its creation is long over (see below) */
	uint64_t size;
	bool zero_magic;
	bool all_zero;  /* the first page (or all of a smaller file) is zero */
};

/*
 * An open waits (up to a second) for a creator that is still writing the
 * header, and cannot tell one that died from one that is slow. The file's
 * times can: a creator changes them while it sets the object up (size,
 * mode), and the library's own wait is a second, so a file last changed
 * more than 2 s ago whose header is still zero will never get one. Only
 * then does stat judge it without asking the library.
 */
#define SETTLED_NS (2 * 1000000000ull)

static void look_at(const char *uri, struct seg_look *lk)
{
	const char *path = posix_path(uri);
	unsigned char page[4096];
	struct timespec now;
	struct stat st;
	uint64_t changed;
	ssize_t n;
	int fd;

	memset(lk, 0, sizeof(*lk));
	if (!path)
		return;
	fd = shm_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	lk->seen = true;
	lk->size = (uint64_t)st.st_size;
	changed = (uint64_t)st.st_ctim.tv_sec * 1000000000u + (uint64_t)st.st_ctim.tv_nsec;
	if ((uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec > changed)
		changed = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &now);
	lk->old = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec > changed + SETTLED_NS;
	/* pread, not mmap: a file shrunk meanwhile gives a short read, not SIGBUS. */
	n = lk->size ? pread(fd, page, sizeof(page), 0) : 0;
	close(fd);
	if (n >= 8) {
		lk->zero_magic = true;
		lk->all_zero = true;
		for (ssize_t i = 0; i < n; i++) {
			if (page[i]) {
				lk->all_zero = false;
				if (i < 8)
					lk->zero_magic = false;
				break;
			}
		}
	}
}

/* A message for what the file shows, when it settles the matter, else NULL. */
static const char *judge_early(const struct seg_look *lk)
{
	if (!lk->seen || !lk->old)
		return NULL;
	if (lk->size == 0)
		return "empty file: not a ring, or its creator died before writing the header";
	if (lk->all_zero)
		return "the creator never finished writing the header (all zero): not a ring, "
		       "or its creator died while creating it";
	if (lk->zero_magic)
		return "not a shmring segment (no magic: not a ring, or its creator died while "
		       "writing the header)";
	return NULL;
}

/* The open failed: say why in the terms of what the file shows. */
static void open_failed(const char *name, int rc, const struct seg_look *lk)
{
	const char *early = NULL;

	if (lk->seen && lk->size == 0 &&
	    (rc == -EAGAIN || rc == -SHMRING_ETRUNCATED || rc == -SHMRING_EBADMAGIC))
		early = "empty file (still, after waiting for its creator): not a ring, or its "
			"creator died before writing the header";
	else if (rc == -EAGAIN)
		early = "the creator never finished writing the header (all zero after waiting "
			"for it): not a ring, or its creator died while creating it";
	if (early) {
		fprintf(stderr, "shmring stat: %s: %s\n", name, early);
		return;
	}
	if (rc == -SHMRING_ETRUNCATED && lk->seen) {
		fprintf(stderr, "shmring stat: %s: %s: the file has %" PRIu64 " bytes; a "
				"process shrank it (ftruncate), or it is not a ring\n",
			name, shmring_strerror(rc), lk->size);
		return;
	}
	shmring_cli_error("stat", name, rc);
}

/* A peer may shrink the segment under the mapping at any time (POSIX shm
 * has no seals): reading it then raises SIGBUS, which stat reports. */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_bus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void stat_usage(FILE *f)
{
	fprintf(f, "usage: shmring stat [--json] NAME...\n\n"
		   "Show each ring's header, positions, participants (who is attached in which\n"
		   "role, alive or dead, and which claim each holds), wait counters, the repairs\n"
		   "made after participants died, and who holds the others back now (the stall)\n"
		   "and the longest such stall so far.\n");
}

int shmring_cmd_stat(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_bus}, old;
	struct shmring_info in;
	bool json = false;
	int status = 0, named = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			stat_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "shmring stat: unknown option '%s' (see --help)\n", argv[i]);
			return 2;
		} else {
			named++;
		}
	}
	if (!named) {
		fprintf(stderr, "usage: shmring stat [--json] NAME... (see --help)\n");
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	for (int i = 1; i < argc; i++) {
		struct shmring_participant *volatile p = NULL;
		shmring_t *volatile r = NULL;
		struct seg_look lk;
		const char *early;
		int rc, np = 0, perr = 0;

		if (!strcmp(argv[i], "--json"))
			continue;
		look_at(argv[i], &lk);
		early = judge_early(&lk);
		if (early) {
			fprintf(stderr, "shmring stat: %s: %s\n", argv[i], early);
			status = 1;
			continue;
		}
		if (sigsetjmp(bus_jmp, 1)) {
			/* The library may have been stopped half-way through
			 * anything: report, and touch nothing of it again. */
			bus_armed = 0;
			fprintf(stderr, "shmring stat: %s: the segment was truncated while being "
					"read (SIGBUS): a process shrank it; nothing more is read\n",
				argv[i]);
			fflush(stdout);
			status = 1;
			break;
		}
		bus_armed = 1;
		{
			shmring_t *h;

			rc = shmring_open(argv[i], SHMRING_OBSERVER, &h);
			r = rc == 0 ? h : NULL;
		}
		memset(&in, 0, sizeof(in));
		if (rc == 0)
			rc = shmring_info(r, &in);
		if (rc < 0) {
			bus_armed = 0;
			open_failed(argv[i], rc, &lk);
			shmring_close(r);
			status = 1;
			continue;
		}
		p = participants(r, &in, &np, &perr);
		if (json)
			stat_json(argv[i], &in, shmring_count(r), p, np, perr);
		else
			stat_text(argv[i], &in, shmring_count(r), p, np, perr);
		bus_armed = 0;
		free(p);
		shmring_close(r);
	}
	sigaction(SIGBUS, &old, NULL);
	return status;
}
