/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cmd_ring.c - create, rm and stat.
 */
#include "cli/cli.h"
#include "shmring/shmring.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Parse a size with an optional k/m/g (binary) suffix. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

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

int shmring_cmd_create(int argc, char **argv)
{
	static const struct option lo[] = {
		{"kind", required_argument, 0, 'k'}, {"slot-size", required_argument, 0, 's'},
		{"capacity", required_argument, 0, 'c'}, {"mode", required_argument, 0, 'm'},
		{"force", no_argument, 0, 'f'},      {"prefault", no_argument, 0, 'p'},
		{"multi-producer", no_argument, 0, 'P'}, {"multi-consumer", no_argument, 0, 'C'},
		{"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 64, .capacity = 4096};
	uint64_t v;
	shmring_t *r;
	int c, rc;

	optind = 1;
	bool capacity_set = false;

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
			if (parse_size(optarg, &v) < 0 || v == 0 || v > SHMRING_MAX_SLOT_SIZE) {
				fprintf(stderr, "shmring create: slot size must be 1..%u bytes\n",
					SHMRING_MAX_SLOT_SIZE);
				return 2;
			}
			o.slot_size = (uint32_t)v;
			break;
		case 'c':
			if (parse_size(optarg, &v) < 0 || v < 2 || v > SHMRING_MAX_CAPACITY ||
			    (v & (v - 1))) {
				fprintf(stderr, "shmring create: capacity must be a power of two, "
						"2..%llu slots (msg: bytes)\n",
					(unsigned long long)SHMRING_MAX_CAPACITY);
				return 2;
			}
			o.capacity = v;
			capacity_set = true;
			break;
		case 'm': {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);

			if (*end || end == optarg || m > 0777) {
				fprintf(stderr, "shmring create: mode must be octal, e.g. 0600\n");
				return 2;
			}
			o.mode = (uint32_t)m;
			break;
		}
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
		case 'h':
			printf("usage: shmring create [--kind spsc|mpsc|spmc|mpmc|msg] "
			       "[--slot-size BYTES] [--capacity N] [--multi-producer] "
			       "[--multi-consumer] [--mode OCTAL] [--force] [--prefault] NAME\n\n"
			       "Create a ring (default: spsc, 64-byte slots, 4096 slots, mode 0600).\n"
			       "For --kind msg, --slot-size is the largest record and --capacity the "
			       "bytes of the record area\n(default 1 MiB); --multi-producer and "
			       "--multi-consumer allow many of each (the fixed kinds imply them).\n"
			       "--force replaces an existing ring of that name; --prefault touches "
			       "every page now.\n");
			return 0;
		default:
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
		shmring_cli_error(argv[optind], rc);
		return 1;
	}
	shmring_close(r);
	return 0;
}

int shmring_cmd_rm(int argc, char **argv)
{
	int status = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: shmring rm NAME...\n\nRemove rings by name; processes that have "
		       "them open keep using them.\n");
		return argc < 2 ? 2 : 0;
	}
	for (int i = 1; i < argc; i++) {
		int rc = shmring_unlink(argv[i]);

		if (rc < 0) {
			shmring_cli_error(argv[i], rc);
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

static void stat_json(const char *name, const struct shmring_info *in, uint64_t count)
{
	char kb[16];

	printf("{\"name\":\"%s\",\"kind\":\"%s\",\"layout_version\":%u,\"capacity\":%" PRIu64
	       ",\"slot_size\":%u,\"slot_stride\":%u,\"total_size\":%" PRIu64
	       ",\"creator_uid\":%u,\"creator_pid\":%u,\"ctime_ns\":%" PRIu64
	       ",\"produced\":%" PRIu64 ",\"consumed\":%" PRIu64 ",\"count\":%" PRIu64
	       ",\"full_waits\":%" PRIu64 ",\"empty_waits\":%" PRIu64 ",\"wakes\":%" PRIu64
	       ",\"producers\":%u,\"consumers\":%u}\n",
	       name, kind_label(in, kb, sizeof(kb)), in->layout_version, in->capacity, in->slot_size,
	       in->slot_stride, in->total_size, in->creator_uid, in->creator_pid, in->ctime_ns,
	       in->produced, in->consumed, count, in->full_waits, in->empty_waits, in->wakes,
	       in->producers, in->consumers);
}

int shmring_cmd_stat(int argc, char **argv)
{
	struct shmring_info in;
	bool json = false;
	int status = 0, named = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: shmring stat [--json] NAME...\n\nShow each ring's header, "
			       "positions, live participants and wait counters.\n");
			return 0;
		}
	}
	for (int i = 1; i < argc; i++) {
		shmring_t *r;
		int rc;

		if (!strcmp(argv[i], "--json"))
			continue;
		named++;
		rc = shmring_open(argv[i], SHMRING_OBSERVER, &r);
		if (rc == 0)
			rc = shmring_info(r, &in);
		if (rc < 0) {
			shmring_cli_error(argv[i], rc);
			status = 1;
			continue;
		}
		if (json) {
			stat_json(argv[i], &in, shmring_count(r));
		} else {
			char kb[16];

			printf("%s\n", argv[i]);
			printf("  kind          %s (layout v%u)\n", kind_label(&in, kb, sizeof(kb)),
			       in.layout_version);
			if (in.kind == SHMRING_KIND_MSG)
				printf("  capacity      %" PRIu64 " bytes of records of up to %u bytes, "
				       "%" PRIu64 " bytes mapped\n", in.capacity, in.slot_size,
				       in.total_size);
			else
				printf("  capacity      %" PRIu64 " slots of %u bytes (stride %u), %" PRIu64
				       " bytes mapped\n", in.capacity, in.slot_size, in.slot_stride,
				       in.total_size);
			printf("  created       ");
			print_time(in.ctime_ns);
			printf(" by uid %u pid %u\n", in.creator_uid, in.creator_pid);
			printf("  positions     produced %" PRIu64 ", consumed %" PRIu64
			       ", in ring %" PRIu64 "\n", in.produced, in.consumed, shmring_count(r));
			printf("  participants  %u producer(s), %u consumer(s) alive\n",
			       in.producers, in.consumers);
			printf("  waits         full %" PRIu64 ", empty %" PRIu64 ", wakes %" PRIu64
			       "\n", in.full_waits, in.empty_waits, in.wakes);
		}
		shmring_close(r);
	}
	if (!named) {
		fprintf(stderr, "usage: shmring stat [--json] NAME...\n");
		return 2;
	}
	return status;
}
