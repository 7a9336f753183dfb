/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cmd_ring.c - create, and rm (of rings, of named synchronization
 * objects and of bridges' status objects).
 */
#include "cli/args.h"
#include "cli/bridge.h"
#include "cli/cli.h"
#include "cli/probe.h"
#include "shmring/shmring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		"usage: shmring create [OPTIONS] NAME\n\n"
		"Create a ring (default: spsc, 64-byte slots, 4096 slots, mode 0600). NAME is\n"
		"posix:/NAME (or /NAME), sysv:KEY, sysv:@/PATH[#ID] or file:/ABSOLUTE/PATH.\n"
		"memfd: and anon: rings live only as long as a process maps them: the tool\n"
		"would drop one as it exits, so it refuses them (create them in the program\n"
		"that uses them).\n\n"
		"  -k, --kind KIND        spsc, mpsc, spmc, mpmc or msg\n"
		"  -s, --slot-size BYTES  bytes per message (msg: the largest record)\n"
		"  -c, --capacity N       slots, a power of two (msg: bytes of the record area,\n"
		"                         default 1 MiB)\n"
		"  -P, --multi-producer   msg: allow many producers (the fixed kinds imply it)\n"
		"  -C, --multi-consumer   msg: allow many consumers (the fixed kinds imply it)\n"
		"  -m, --mode OCTAL       permission bits, exactly (no umask); someone must have\n"
		"                         read and write (every open is read-write)\n"
		"      --recovery-ms MS   how soon (" RECOVERY_RANGE ", default %.0f) waiters check\n"
		"                         whether the owner of a claim that holds them back has\n"
		"                         died, and repair it\n"
		"      --exclusive        fail if NAME exists (the default)\n"
		"      --open-existing    if NAME exists, succeed when it has this kind, slot\n"
		"                         size, capacity, multiplicity, slot layout (--dense,\n"
		"                         --duplex or not), notifier and --poll-only or not;\n"
		"                         else fail\n"
		"      --replace, -f, --force\n"
		"                         remove an existing ring of that name first (only a\n"
		"                         ring, or a segment left empty or all zero by a\n"
		"                         creator that died: anything else under the name is\n"
		"                         refused)\n"
		"      --huge             explicit huge pages: sysv:, or file: on a hugetlbfs\n"
		"                         mount; needs pages reserved in /proc/sys/vm/nr_hugepages\n"
		"      --huge-fallback    --huge, or normal pages when huge ones cannot be had\n"
		"  -p, --prefault         touch every page now, so none is allocated later\n"
		"      --notifier N       how sleepers are woken: futex (the default), psem (a\n"
		"                         POSIX semaphore) or sysvsem (a System V semaphore set,\n"
		"                         removed with the ring)\n"
		"      --poll-only        nobody may park: senders never look for sleepers;\n"
		"                         blocking calls spin, then yield (for pinned,\n"
		"                         busy-polling processes with CPUs to spare)\n"
		"      --dense            spsc only: payloads back to back, no per-slot stamp\n"
		"                         (fewer cache lines for bursts and small messages)\n"
		"      --duplex           spsc only: two rings in one segment, one each way,\n"
		"                         slots interleaved so a request and its reply share a\n"
		"                         cache line; programs take an end with\n"
		"                         shmring_duplex_open() (capacity and slot size per\n"
		"                         direction); not with --dense or --notifier sysvsem\n"
		"Sizes take k, m, g (binary).\n",
		(double)SHMRING_DEFAULT_RECOVERY_NS / 1e6);
}

/* What a failed create means, when the library's word alone would not say. */
static void create_failed(const char *name, const struct shmring_opts *o, bool duplex, int rc)
{
	if ((o->flags & SHMRING_CREATE_HUGE) && rc == -ENOMEM) {
		fprintf(stderr, "shmring create: %s: not enough huge pages: none (or too few) are "
				"reserved (see /proc/sys/vm/nr_hugepages); --huge-fallback uses "
				"normal pages then\n", name);
		return;
	}
	if ((o->flags & SHMRING_CREATE_HUGE) && rc == -EOPNOTSUPP) {
		fprintf(stderr, "shmring create: %s: huge pages are not available there: use "
				"sysv:, or file: on a hugetlbfs mount\n", name);
		return;
	}
	if ((o->flags & SHMRING_CREATE_REPLACE) &&
	    (rc == -SHMRING_EBADMAGIC || rc == -SHMRING_EKIND)) {
		struct shmring_cli_object ob;
		const char *what = "data that is not a shmring segment (another program's)";

		shmring_cli_object_look(name, &ob);
		if (rc == -SHMRING_EKIND)
			what = "a synchronization object ('shmring rm' removes it)";
		else if (ob.seen && ob.not_ring)
			what = ob.not_ring;
		fprintf(stderr, "shmring create: %s: --replace removes only a ring: the name is "
				"taken by %s; nothing removed\n", name, what);
		return;
	}
	if ((o->flags & SHMRING_CREATE_OPEN_EXISTING) &&
	    (rc == -SHMRING_EMISMATCH || (duplex && rc == -SHMRING_EKIND))) {
		/* The library's word names capacity, slot size and multiplicity;
		 * a ring that differs only in its slot layout would read as a
		 * puzzle, so look. */
		struct shmring_info in;
		shmring_t *r;

		if (shmring_open(name, SHMRING_OBSERVER, &r) == 0) {
			bool ok = shmring_info(r, &in) == 0;
			bool dense = ok && (in.flags & SHMRING_CREATE_DENSE);
			bool is_duplex = ok && (in.flags & SHMRING_CREATE_DUPLEX);

			shmring_close(r);
			if (ok && is_duplex != duplex) {
				fprintf(stderr, "shmring create: %s: the ring exists %s a duplex "
						"(--duplex was %sgiven)\n", name,
					is_duplex ? "as" : "and is not", is_duplex ? "not " : "");
				return;
			}
			if (dense != !!(o->flags & SHMRING_CREATE_DENSE)) {
				fprintf(stderr, "shmring create: %s: the ring exists %s dense "
						"slots (--dense was %sgiven)\n", name,
					dense ? "with" : "without", dense ? "not " : "");
				return;
			}
			/* The library compares these too. */
			if (ok && in.notifier != o->notifier) {
				fprintf(stderr, "shmring create: %s: the ring exists with the %s "
						"notifier (asked: %s)\n", name,
					shmring_cli_notifier_name(in.notifier),
					shmring_cli_notifier_name(o->notifier));
				return;
			}
			if (ok && !!(in.flags & SHMRING_CREATE_POLL_ONLY) !=
					  !!(o->flags & SHMRING_CREATE_POLL_ONLY)) {
				bool po = in.flags & SHMRING_CREATE_POLL_ONLY;

				fprintf(stderr, "shmring create: %s: the ring exists %s "
						"--poll-only (--poll-only was %sgiven)\n", name,
					po ? "with" : "without", po ? "not " : "");
				return;
			}
		}
	}
	shmring_cli_error("create", name, rc);
}

int shmring_cmd_create(int argc, char **argv)
{
	enum { OPT_RECOVERY = 256, OPT_EXCL, OPT_EXISTING, OPT_HUGE, OPT_HUGE_FB, OPT_NOTIFIER,
	       OPT_POLL_ONLY, OPT_DENSE, OPT_DUPLEX };
	static const struct option lo[] = {
		{"kind", required_argument, 0, 'k'}, {"slot-size", required_argument, 0, 's'},
		{"capacity", required_argument, 0, 'c'}, {"mode", required_argument, 0, 'm'},
		{"force", no_argument, 0, 'f'},      {"replace", no_argument, 0, 'f'},
		{"prefault", no_argument, 0, 'p'},
		{"multi-producer", no_argument, 0, 'P'}, {"multi-consumer", no_argument, 0, 'C'},
		{"recovery-ms", required_argument, 0, OPT_RECOVERY},
		{"exclusive", no_argument, 0, OPT_EXCL},
		{"open-existing", no_argument, 0, OPT_EXISTING},
		{"huge", no_argument, 0, OPT_HUGE},  {"huge-fallback", no_argument, 0, OPT_HUGE_FB},
		{"notifier", required_argument, 0, OPT_NOTIFIER},
		{"poll-only", no_argument, 0, OPT_POLL_ONLY},
		{"dense", no_argument, 0, OPT_DENSE},
		{"duplex", no_argument, 0, OPT_DUPLEX},
		{"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 64, .capacity = 4096};
	bool capacity_set = false, exclusive = false, duplex = false;
	enum shmring_cli_scheme scheme;
	struct shmring_info in;
	const char *name;
	uint64_t v;
	shmring_t *r;
	int c, rc;

	optind = 0;
	while ((c = shmring_cli_getopt("create", argc, argv, "k:s:c:m:fpPCh", lo)) != -1) {
		switch (c) {
		case 'k':
			if (shmring_cli_kind_parse(optarg, &o.kind) < 0) {
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
		case OPT_EXCL:
			exclusive = true;
			break;
		case OPT_EXISTING:
			o.flags |= SHMRING_CREATE_OPEN_EXISTING;
			break;
		case OPT_HUGE_FB: /* a way of asking for huge pages */
			o.flags |= SHMRING_CREATE_HUGE | SHMRING_CREATE_HUGE_FALLBACK;
			break;
		case OPT_HUGE:
			o.flags |= SHMRING_CREATE_HUGE;
			break;
		case OPT_POLL_ONLY:
			o.flags |= SHMRING_CREATE_POLL_ONLY;
			break;
		case OPT_DENSE:
			o.flags |= SHMRING_CREATE_DENSE;
			break;
		case OPT_DUPLEX:
			duplex = true;
			break;
		case OPT_NOTIFIER:
			if (shmring_cli_notifier_parse(optarg, &o.notifier) < 0) {
				fprintf(stderr, "shmring create: unknown notifier '%s' "
						"(futex, psem, sysvsem)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			create_usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: shmring create [OPTIONS] NAME (see --help)\n");
		return 2;
	}
	if ((exclusive && (o.flags & (SHMRING_CREATE_REPLACE | SHMRING_CREATE_OPEN_EXISTING))) ||
	    (o.flags & SHMRING_CREATE_REPLACE && o.flags & SHMRING_CREATE_OPEN_EXISTING)) {
		fprintf(stderr, "shmring create: --exclusive, --open-existing and --replace "
				"exclude each other\n");
		return 2;
	}
	/* The library's word for this would be a bare "invalid argument", and
	 * the kind may have come before or after --dense: say which it is. */
	if ((o.flags & SHMRING_CREATE_DENSE) && o.kind != SHMRING_KIND_SPSC) {
		fprintf(stderr, "shmring create: --dense is for spsc rings only (not %s)\n",
			shmring_cli_kind_name(o.kind));
		return 2;
	}
	if (duplex && (o.kind != SHMRING_KIND_SPSC || (o.flags & SHMRING_CREATE_DENSE) ||
		       o.notifier == SHMRING_NOTIFIER_SYSVSEM)) {
		fprintf(stderr, "shmring create: --duplex is two spsc rings with stamped slots: "
				"not with %s%s\n",
			o.kind != SHMRING_KIND_SPSC ? "--kind "
			: (o.flags & SHMRING_CREATE_DENSE) ? "--dense"
							   : "--notifier sysvsem",
			o.kind != SHMRING_KIND_SPSC ? shmring_cli_kind_name(o.kind) : "");
		return 2;
	}
	/* The library's word for these would be a bare "invalid argument"
	 * (exit 1): say which option the kind does not take. */
	if (o.kind != SHMRING_KIND_MSG &&
	    (o.flags & (SHMRING_CREATE_MULTI_PRODUCER | SHMRING_CREATE_MULTI_CONSUMER))) {
		bool many_p = o.kind == SHMRING_KIND_MPSC || o.kind == SHMRING_KIND_MPMC;
		bool many_c = o.kind == SHMRING_KIND_SPMC || o.kind == SHMRING_KIND_MPMC;

		if (((o.flags & SHMRING_CREATE_MULTI_PRODUCER) && !many_p) ||
		    ((o.flags & SHMRING_CREATE_MULTI_CONSUMER) && !many_c)) {
			bool p = (o.flags & SHMRING_CREATE_MULTI_PRODUCER) && !many_p;

			fprintf(stderr, "shmring create: --multi-%s: an %s ring has one %s (the "
					"fixed kinds imply their multiplicity: --kind %s)\n",
				p ? "producer" : "consumer", shmring_cli_kind_name(o.kind),
				p ? "producer" : "consumer",
				p ? (many_c ? "mpmc" : "mpsc") : (many_p ? "mpmc" : "spmc"));
			return 2;
		}
	}
	if (o.kind == SHMRING_KIND_MSG && !capacity_set)
		o.capacity = 1u << 20;
	if (o.kind == SHMRING_KIND_MSG && (o.capacity < SHMRING_MSG_MIN_CAPACITY ||
					  o.capacity < 2 * shmring_msg_span(o.slot_size))) {
		uint64_t need = 2 * shmring_msg_span(o.slot_size);

		fprintf(stderr, "shmring create: a msg ring's record area (--capacity %llu bytes) "
				"must hold two of its largest records (--slot-size %u): %llu "
				"bytes at least\n",
			(unsigned long long)o.capacity, o.slot_size,
			(unsigned long long)(need < SHMRING_MSG_MIN_CAPACITY
						     ? SHMRING_MSG_MIN_CAPACITY : need));
		return 2;
	}
	name = argv[optind];
	scheme = shmring_cli_scheme(name);
	if (scheme == SHMRING_CLI_MEMFD || scheme == SHMRING_CLI_ANON) {
		fprintf(stderr, "shmring create: %s: %s ring has no name to open it by and goes "
				"with its last mapping, which would be the tool's as it exits; "
				"create it in the program that uses it\n",
			name, scheme == SHMRING_CLI_MEMFD ? "a memfd" : "an anon");
		return 2;
	}
	if (duplex) {
		shmring_t *d1;

		/* Both directions observed: the ends attach later. */
		rc = shmring_duplex_create(name, &o, SHMRING_DUPLEX_OBSERVE, &r, &d1);
		if (rc == 0)
			shmring_close(d1);
	} else {
		rc = shmring_create(name, &o, SHMRING_OBSERVER, &r);
	}
	if (rc < 0) {
		create_failed(name, &o, duplex, rc);
		return 1;
	}
	if ((o.flags & SHMRING_CREATE_HUGE_FALLBACK) && shmring_info(r, &in) == 0 &&
	    in.page_size <= (uint32_t)sysconf(_SC_PAGESIZE))
		fprintf(stderr, "shmring create: %s: no huge pages to be had: made with %u-byte "
				"pages\n", name, in.page_size);
	shmring_close(r);
	return 0;
}

static void rm_usage(FILE *f)
{
	fprintf(f, "usage: shmring rm [--force] NAME...\n\n"
		   "Remove rings and named synchronization objects (semaphores, events, mutexes,\n"
		   "condition variables) by name (posix:, sysv: and file: names); processes that\n"
		   "have them open keep using them, except a System V semaphore set, which goes\n"
		   "at once. Each name is first looked at (a ring opened as an observer, a\n"
		   "synchronization object as 'shmring stat' sees it) and removed the way its\n"
		   "kind is: the segment or file, a POSIX named semaphore with sem_unlink(), a\n"
		   "System V semaphore set with IPC_RMID. An object that is neither (another\n"
		   "program's, or an empty one) is refused, and so is a name that is not a\n"
		   "regular file (a FIFO, socket, device, directory or symbolic link: never\n"
		   "opened, a link never followed). A segment that carries the shmring\n"
		   "mark but that the library refuses (a corrupt header, another layout\n"
		   "version) is removed, with a note. memfd: and anon: objects have no name:\n"
		   "they go with their last mapping.\n"
		   "bridge:NAME (or /shmring-bridge.NAME, its POSIX name) removes a bridge's\n"
		   "status object ('shmring bridge --name NAME'), and with it the counts and\n"
		   "every sender's sequence: a bridge started again by that name begins afresh,\n"
		   "and a note says how many senders had not ended their session. Refused while\n"
		   "a bridge runs by that name, even with --force.\n\n"
		   "  -f, --force  remove each name without looking at what it is (a System V\n"
		   "               semaphore set of another program is still left alone; a\n"
		   "               symbolic link is removed itself, never what it points to;\n"
		   "               bridge:NAME is still refused while a bridge runs by it)\n\n"
		   "Exit status: 0 when every name was removed; 1 when one was not (the others\n"
		   "are still removed), a name that does not exist included ('no such ring',\n"
		   "with --force too); 2 usage.\n");
}

static int rm_one(const char *name, bool force);

/*
 * The bridge NAME of bridge:NAME, or of the POSIX name of its status object
 * (/shmring-bridge.NAME, posix:/shmring-bridge.NAME) when a bridge's status
 * object is there (a ring may have such a name too); else NULL.
 */
static const char *bridge_of(const char *name)
{
	const size_t plen = strlen(SHMRING_BRIDGE_STATUS_PREFIX);
	struct shmring_bridge_info in;
	const char *p = name;

	if (!strncmp(name, "bridge:", 7))
		return name + 7;
	if (!strncmp(p, "posix:", 6))
		p += 6;
	if (p[0] != '/' || strncmp(p + 1, SHMRING_BRIDGE_STATUS_PREFIX, plen) ||
	    shmring_bridge_look(p + 1 + plen, &in) != 0)
		return NULL;
	return p + 1 + plen;
}

/*
 * Remove a bridge's status object, named arg: not while a bridge runs by
 * that name, even forced (the running bridge would go on writing where
 * nobody sees it, and the next run would not resume it). 0 or 1.
 */
static int rm_bridge(const char *arg, const char *bridge, bool force)
{
	struct shmring_bridge_info in;
	char posix[128];
	int rc = shmring_bridge_remove(bridge, false, &in);

	if (rc == 0 && in.open_senders && !in.transient) {
		const char *its = in.open_senders == 1 ? "its" : "their";

		fprintf(stderr, "shmring rm: %s: removed; note: %u sender%s had not ended %s "
				"session: a bridge started again by this name counts %s earlier "
				"messages lost, and may deliver %s last ones again\n",
			arg, in.open_senders, in.open_senders == 1 ? "" : "s", its, its, its);
	}
	if (rc == 0)
		return 0;
	if ((rc == -EBADMSG && force) || rc == -ELOOP) {
		/* Something else under the name (a FIFO, a file of another
		 * program): --force removes it as any name, unlooked at. A
		 * symbolic link (never followed) too; without --force, it is
		 * said as rm says one. */
		snprintf(posix, sizeof(posix), "posix:/" SHMRING_BRIDGE_STATUS_PREFIX "%s", bridge);
		return rm_one(posix, force);
	}
	if (rc == -EBUSY)
		fprintf(stderr, "shmring rm: %s: a bridge runs by this name (pid %u); not removed: "
				"stop it first (a bridge without --name removes it as it exits)\n",
			arg, in.pid);
	else if (rc == -EINVAL)
		fprintf(stderr, "shmring rm: %s: a bridge's name is 1..64 characters of "
				"[A-Za-z0-9._-]\n", arg);
	else if (rc == -ENOENT)
		fprintf(stderr, "shmring rm: %s: no such bridge (no status object by that name)\n",
			arg);
	else if (rc == -EBADMSG)
		fprintf(stderr, "shmring rm: %s: not a bridge's status object; not removed "
				"(--force removes it)\n", arg);
	else
		fprintf(stderr, "shmring rm: %s: %s\n", arg, strerror(-rc));
	return 1;
}

/* Remove one name; 0 or 1 (the exit status for it). */
static int rm_one(const char *name, bool force)
{
	enum shmring_cli_scheme scheme = shmring_cli_scheme(name);
	struct shmring_cli_look lk;
	const char *bridge = !strncmp(name, "bridge:", 7) || !force ? bridge_of(name) : NULL;
	int rc;

	if (bridge)
		return rm_bridge(name, bridge, force);
	if (scheme == SHMRING_CLI_MEMFD || scheme == SHMRING_CLI_ANON) {
		fprintf(stderr, "shmring rm: %s: %s ring has no name to remove: it goes with "
				"its last mapping\n", name,
			scheme == SHMRING_CLI_MEMFD ? "a memfd" : "an anon");
		return 1;
	}
	if (force) {
		struct shmring_cli_object o;

		/* unlink() removes a symbolic link itself, never what it
		 * points to: say so, as the name was not looked at. */
		shmring_cli_object_look(name, &o);
		rc = shmring_cli_remove_any(name);
		if (rc < 0) {
			shmring_cli_error("rm", name, rc);
			return 1;
		}
		if (o.seen && o.link)
			fprintf(stderr, "shmring rm: %s: removed the symbolic link itself, not what "
					"it points to\n", name);
		return 0;
	}
	shmring_cli_look(name, &lk);
	shmring_cli_look_done(&lk);
	switch (lk.what) {
	case SHMRING_CLI_NOT_RING:
		if (!lk.obj.seen && lk.obj.scheme == SHMRING_CLI_SYSV) {
			/* The library removes no set but its own, even forced. */
			fprintf(stderr, "shmring rm: %s: %s; not removed (ipcrm(1) removes it)\n",
				name, lk.why ? lk.why : shmring_strerror(lk.err));
			return 1;
		}
		fprintf(stderr, "shmring rm: %s: %s; not removed (%s)\n", name,
			lk.why ? lk.why : shmring_strerror(lk.err),
			lk.obj.dir ? "rm removes no directory"
			: lk.obj.unremovable ? "this user may not remove it"
			: lk.obj.link ? "--force removes the link itself, never what it points to"
				      : "--force removes it");
		return 1;
	case SHMRING_CLI_UNKNOWN:
		if (lk.obj.scheme == SHMRING_CLI_OTHER || lk.err == -EINVAL ||
		    lk.err == -EPROTONOSUPPORT) {
			shmring_cli_error("rm", name, lk.err);
			return 1;
		}
		if (lk.err == -ENAMETOOLONG) {
			/* No object can have the name: --force would fail too.
			 * The library's limit, where the name passes it. */
			char buf[SHMRING_CLI_ERR_MAX];
			const char *why = shmring_cli_name_problem(name, buf, sizeof(buf));

			fprintf(stderr, "shmring rm: %s: %s\n", name,
				why ? why : "a part of the path is longer than a file name can be");
			return 1;
		}
		fprintf(stderr, "shmring rm: %s: cannot tell whether it is a ring or a "
				"synchronization object: %s; not removed (%s)\n", name,
			shmring_strerror(lk.err),
			lk.obj.unremovable ? "this user may not remove it"
					   : "--force removes it without looking");
		return 1;
	case SHMRING_CLI_NONE:
		shmring_cli_error("rm", name, lk.err);
		return 1;
	case SHMRING_CLI_BAD_RING:
	case SHMRING_CLI_RING:
	case SHMRING_CLI_BAD_SYNC:
	case SHMRING_CLI_SYNC:
		break;
	}
	if (lk.what == SHMRING_CLI_SYNC)
		rc = shmring_cli_remove_sync(name, &lk.obj, &lk.sync);
	else
		rc = shmring_cli_remove_seen(name, &lk.obj);
	if (rc == -ESTALE) {
		fprintf(stderr, "shmring rm: %s: another object took that name while it was being "
				"looked at; not removed\n", name);
		return 1;
	}
	if (rc < 0) {
		shmring_cli_error("rm", name, rc);
		return 1;
	}
	if (lk.what == SHMRING_CLI_BAD_RING || lk.what == SHMRING_CLI_BAD_SYNC)
		fprintf(stderr, "shmring rm: %s: removed; note: it carries the shmring mark but the "
				"library refuses it: %s\n", name, shmring_strerror(lk.err));
	return 0;
}

int shmring_cmd_rm(int argc, char **argv)
{
	static const struct option lo[] = {
		{"force", no_argument, 0, 'f'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	bool force = false;
	int c, status = 0;

	optind = 0;
	while ((c = shmring_cli_getopt("rm", argc, argv, "fh", lo)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			rm_usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: shmring rm [--force] NAME... (see --help)\n");
		return 2;
	}
	for (int i = optind; i < argc; i++)
		status |= rm_one(argv[i], force);
	return status;
}
