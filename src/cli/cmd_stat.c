/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cmd_stat.c - `shmring stat`: a ring's header, positions,
 * participants and counters, or a named synchronization object's state
 * (shmring_sync_stat()), once or refreshed (--watch), as text or JSON.
 */
#include "bench/bench.h" /* shmring_bench_json_str() */
#include "cli/args.h"
#include "cli/bridge.h"
#include "cli/cli.h"
#include "cli/probe.h"
#include "cli/sync_show.h"
#include "shmring/shmring.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *backend_name(uint32_t b)
{
	static const char *const names[] = {
		[SHMRING_BACKEND_POSIX] = "posix", [SHMRING_BACKEND_SYSV] = "sysv",
		[SHMRING_BACKEND_FILE] = "file",   [SHMRING_BACKEND_MEMFD] = "memfd",
		[SHMRING_BACKEND_ANON] = "anon",
	};

	return b < sizeof(names) / sizeof(names[0]) && names[b] ? names[b] : "unknown";
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

/*
 * Whether a participant the library judges alive is stopped (SIGSTOP, or
 * under a debugger) now: such a process keeps its claims however long it is
 * stopped, so it is what a user looks for behind a stall. Read from
 * /proc/PID/stat (the state after the command's closing parenthesis); an
 * entry in another pid namespace is UNKNOWN, never asked.
 */
static bool part_stopped(const struct shmring_participant *p)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	if (p->state != SHMRING_PART_ALIVE || p->pid == 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%u/stat", p->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && (rp[2] == 'T' || rp[2] == 't');
}

/* The state column: the library's verdict, and "stopped" for a live one. */
static const char *part_label(const struct shmring_participant *p)
{
	return part_stopped(p) ? "stopped" : state_label(p->state);
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

/* A duplex's direction 1 (d1, with count1 in it): its live figures. */
struct reverse {
	struct shmring_info in;
	uint64_t count;
};

static void stat_json(const char *name, const struct shmring_info *in, uint64_t count,
		      const struct shmring_participant *p, int np, int perr, const char *use,
		      const struct reverse *d1, const char *end)
{
	char kb[16], user[64];

	printf("{\"name\":");
	shmring_bench_json_str(stdout, name);
	printf(",\"type\":\"ring\",\"kind\":\"%s\",\"layout_version\":%u,\"capacity\":%" PRIu64
	       ",\"slot_size\":%u,\"slot_stride\":%u,\"group_slots\":%u,\"total_size\":%" PRIu64
	       ",\"creator_uid\":%u,\"creator_pid\":%u,\"ctime_ns\":%" PRIu64
	       ",\"produced\":%" PRIu64 ",\"consumed\":%" PRIu64 ",\"count\":%" PRIu64
	       ",\"full_waits\":%" PRIu64 ",\"empty_waits\":%" PRIu64 ",\"wakes\":%" PRIu64,
	       shmring_cli_kind_label(in, kb, sizeof(kb)), in->layout_version, in->capacity,
	       in->slot_size, in->slot_stride, in->group_slots, in->total_size, in->creator_uid,
	       in->creator_pid, in->ctime_ns,
	       in->produced, in->consumed, count, in->full_waits, in->empty_waits, in->wakes);
	printf(",\"recovery_ns\":%" PRIu64 ",\"max_participants\":%u,\"producers_gone\":%s"
	       ",\"consumers_gone\":%s,\"prod_repairs\":%" PRIu64 ",\"cons_repairs\":%" PRIu64
	       ",\"skipped\":%" PRIu64 ",\"cancelled\":%" PRIu64 ",\"reaped\":%" PRIu64,
	       in->recovery_ns, in->max_participants, in->producers_gone ? "true" : "false",
	       in->consumers_gone ? "true" : "false", in->prod_repairs, in->cons_repairs,
	       in->skipped, in->cancelled, in->reaped);
	printf(",\"backend\":\"%s\",\"page_size\":%u,\"owner_uid\":%u,\"owner\":",
	       backend_name(in->backend), in->page_size, in->owner_uid);
	shmring_bench_json_str(stdout, shmring_cli_user(in->owner_uid, user, sizeof(user)));
	printf(",\"notifier\":\"%s\",\"bell_signals\":%" PRIu64 ",\"poll_only\":%s"
	       ",\"dense\":%s",
	       shmring_cli_notifier_name(in->notifier), in->bell_signals,
	       (in->flags & SHMRING_CREATE_POLL_ONLY) ? "true" : "false",
	       (in->flags & SHMRING_CREATE_DENSE) ? "true" : "false");
	printf(",\"mode\":\"%04o\",\"use\":\"%s\"", in->mode, use);
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
			       "\"stopped\":%s,\"parked\":\"%s\",\"gen\":%u,\"attach_ns\":%" PRIu64
			       ",\"claim_pos\":%" PRIu64 ",\"claim_end\":%" PRIu64 "}",
			       i ? "," : "", p[i].index, p[i].pid, role_label(p[i].role),
			       state_label(p[i].state), part_stopped(&p[i]) ? "true" : "false",
			       parked_label(p[i].parked), p[i].gen,
			       p[i].attach_ns, p[i].claim_pos, p[i].claim_end);
		printf("]");
	}
	if (d1)
		printf(",\"duplex\":true,\"direction\":0,\"direction1\":{\"produced\":%" PRIu64
		       ",\"consumed\":%" PRIu64 ",\"count\":%" PRIu64 ",\"full_waits\":%" PRIu64
		       ",\"empty_waits\":%" PRIu64 ",\"wakes\":%" PRIu64 ",\"producers_gone\":%s"
		       ",\"consumers_gone\":%s,\"producers\":%u,\"consumers\":%u}",
		       d1->in.produced, d1->in.consumed, d1->count, d1->in.full_waits,
		       d1->in.empty_waits, d1->in.wakes, d1->in.producers_gone ? "true" : "false",
		       d1->in.consumers_gone ? "true" : "false", d1->in.producers,
		       d1->in.consumers);
	/* Last, as before the failure fields: "consumers" closes the object. */
	printf(",\"producers\":%u,\"consumers\":%u}%s", in->producers, in->consumers, end);
}

/* The participant holding pid, for the stall line: its state or NULL. */
static const char *pid_state(const struct shmring_participant *p, int np, uint32_t pid)
{
	for (int i = 0; i < np; i++)
		if (p[i].pid == pid)
			return part_label(&p[i]);
	return NULL;
}

static void stat_text(const char *name, const struct shmring_info *in, uint64_t count,
		      const struct shmring_participant *p, int np, int perr, const char *use,
		      const struct reverse *rev)
{
	char kb[16], d1[32], d2[32], user[64];

	printf("%s\n", name);
	printf("  kind          %s (layout v%u)\n", shmring_cli_kind_label(in, kb, sizeof(kb)),
	       in->layout_version);
	if (in->kind == SHMRING_KIND_MSG)
		printf("  capacity      %" PRIu64 " bytes of records of up to %u bytes, %" PRIu64
		       " bytes mapped\n", in->capacity, in->slot_size, in->total_size);
	else if (in->group_slots > 1)
		printf("  capacity      %" PRIu64 " slots of %u bytes (stride %u: %u slots to a "
		       "stamp), %" PRIu64 " bytes mapped\n", in->capacity, in->slot_size,
		       in->slot_stride, in->group_slots, in->total_size);
	else
		printf("  capacity      %" PRIu64 " slots of %u bytes (stride %u%s), %" PRIu64
		       " bytes mapped\n", in->capacity, in->slot_size, in->slot_stride,
		       (in->flags & SHMRING_CREATE_DENSE) ? "; dense slots, no stamps" : "",
		       in->total_size);
	printf("  created       ");
	print_time(in->ctime_ns);
	printf(" by uid %u pid %u\n", in->creator_uid, in->creator_pid);
	printf("  backend       %s, %u-byte pages, owner %s, mode %04o\n",
	       backend_name(in->backend), in->page_size,
	       shmring_cli_user(in->owner_uid, user, sizeof(user)), in->mode);
	printf("  notifier      %s; doorbell signals sent %" PRIu64 "%s\n",
	       shmring_cli_notifier_name(in->notifier), in->bell_signals,
	       (in->flags & SHMRING_CREATE_POLL_ONLY) ? "; poll-only (nobody parks)" : "");
	printf("  positions     produced %" PRIu64 ", consumed %" PRIu64 ", in ring %" PRIu64
	       "\n", in->produced, in->consumed, count);
	printf("  participants  %u producer(s), %u consumer(s) alive%s%s; %s\n", in->producers,
	       in->consumers, in->producers_gone ? "; all producers have gone" : "",
	       in->consumers_gone ? "; all consumers have gone" : "", use);
	printf("  waits         full %" PRIu64 ", empty %" PRIu64 ", wakes %" PRIu64 "\n",
	       in->full_waits, in->empty_waits, in->wakes);
	if (rev) {
		/* The lines above are direction 0's (end A sends on it). */
		printf("  duplex        above: direction 0 (end A sends); direction 1 (end B "
		       "sends): produced %" PRIu64 ", consumed %" PRIu64 ", in ring %" PRIu64
		       "; %u producer(s), %u consumer(s) alive%s%s; waits full %" PRIu64
		       ", empty %" PRIu64 ", wakes %" PRIu64 "\n",
		       rev->in.produced, rev->in.consumed, rev->count, rev->in.producers,
		       rev->in.consumers, rev->in.producers_gone ? "; all producers have gone" : "",
		       rev->in.consumers_gone ? "; all consumers have gone" : "",
		       rev->in.full_waits, rev->in.empty_waits, rev->in.wakes);
	}
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
		       role_label(p[i].role), part_label(&p[i]), parked_label(p[i].parked));
		if (p[i].claim_end != p[i].claim_pos)
			printf("[%" PRIu64 ", %" PRIu64 ")\n", p[i].claim_pos, p[i].claim_end);
		else
			printf("-\n");
	}
}

/* --- stat: what the object says before the library is asked ------------- */

/*
 * An open waits (up to a second) for a creator that is still writing the
 * header, and cannot tell one that died from one that is slow. The object's
 * times can: a creator changes them while it sets the object up (size,
 * mode), and the library's own wait is a second, so an object last changed
 * more than 2 s ago whose header is still zero will never get one. Only
 * then does stat judge it without asking the library.
 */
static const char *judge_early(const struct shmring_cli_object *o)
{
	/* A FIFO, socket, device, directory or link: never a ring. */
	if (o->seen && o->not_ring)
		return o->not_ring;
	if (!o->seen || !shmring_cli_object_settled(o))
		return NULL;
	if (o->in_making)
		return "still being created: its creator, alive, holds it (stopped, or slow to "
		       "write the header)";
	if (o->size == 0)
		return "empty file: not a ring, or its creator died before writing the header";
	if (o->head_len >= 8 && o->all_zero)
		return "the creator never finished writing the header (all zero): not a ring, "
		       "or its creator died while creating it";
	if (o->zero_magic)
		return "not a shmring segment (no magic: not a ring, or its creator died while "
		       "writing the header)";
	return NULL;
}

/* The open failed: say why, as every command does (in the terms of what
 * the object shows where the library's word is vague: see
 * shmring_cli_open_failure()); the text said (in buf, size bytes, or
 * static). */
static const char *open_failed(const char *name, int rc, char *buf, size_t size)
{
	const char *why = shmring_cli_error_text("stat", name, rc, buf, size);

	fprintf(stderr, "shmring stat: %s: %s\n", name, why);
	return why;
}

/* A peer may shrink the segment under the mapping at any time (POSIX shm
 * and files have no seals): reading it then raises SIGBUS, which stat
 * reports itself, naming the ring (the tool's handler jumps back here). */
static sigjmp_buf bus_jmp;

static volatile sig_atomic_t stop_watch;

static void on_stop(int sig)
{
	(void)sig;
	stop_watch = 1;
}

static void stat_usage(FILE *f)
{
	fprintf(f, "usage: shmring stat [--json] [--watch SECONDS] NAME...\n\n"
		   "Show each ring's header, positions, participants (who is attached in which\n"
		   "role, alive or dead, and which claim each holds), wait counters, the repairs\n"
		   "made after participants died, and who holds the others back now (the stall)\n"
		   "and the longest such stall so far. For a named synchronization object, what\n"
		   "it is (a semaphore and its implementation, an event, a robust mutex, a\n"
		   "condition variable) and its state: a semaphore's count, an event set or\n"
		   "clear, a mutex free or held (by which thread, and whether that thread is\n"
		   "alive or died holding it), the waiters, who created it when, its owner and\n"
		   "mode; nothing is changed and no role is taken. Objects of other users are\n"
		   "shown too. bridge:NAME shows a bridge's state (running, kept or stale: see\n"
		   "'shmring ls'), counts and senders (shmring bridge --name NAME; bridge:PID\n"
		   "without --name).\n\n"
		   "  --json             one JSON object, whose \"type\" is \"ring\", \"sem\",\n"
		   "                     \"event\", \"mutex\" or \"cond\" (a bridge: \"bridge\"\n"
		   "                     and its counts); for several names, one\n"
		   "                     array of them (a name that fails is {\"name\": ...,\n"
		   "                     \"error\": ...})\n"
		   "  -w, --watch SECONDS\n"
		   "                     show again every SECONDS (fractions allowed) until\n"
		   "                     interrupted (SIGINT, SIGTERM; the exit status is the\n"
		   "                     last refresh's: 1 if a name failed there); on a\n"
		   "                     terminal in place, else each refresh after a blank line.\n"
		   "                     A name that is not there yet is shown once it appears;\n"
		   "                     one that never can (malformed, a socket channel, memfd:\n"
		   "                     or anon:) is refused at once, exit 2\n");
}

/* A failed name in a JSON array. */
static void json_error(const char *name, const char *why, bool last)
{
	printf("{\"name\":");
	shmring_bench_json_str(stdout, name);
	printf(",\"error\":");
	shmring_bench_json_str(stdout, why);
	printf("}%s", last ? "" : ",");
}

/*
 * A synchronization object's name (its segment has their magic), or one a
 * semaphore may have (a posix: or sysv: name without a segment): what
 * shmring_sync_stat() says. 1: ask the ring's way.
 */
static int sync_first(const char *name, const struct shmring_cli_object *o,
		      struct shmring_sync_info *si)
{
	int rc;

	bool semaphore = o->err == -ENOENT &&
			 (o->scheme == SHMRING_CLI_POSIX || o->scheme == SHMRING_CLI_SYSV);

	if (!(o->seen && o->sync_magic) && !semaphore)
		return 1;
	rc = shmring_sync_stat(name, SHMRING_SYNC_ANY_OWNER, si);
	if (!o->seen && (rc == -ENOENT || rc == -EINVAL || rc == -EPROTONOSUPPORT))
		return 1; /* nothing: the ring's way says so in its words */
	return rc;
}

/* A duplex's direction 1, observed: 0 or -errno. */
static int reverse_of(const char *name, const struct shmring_open_opts *oo, struct reverse *d1)
{
	shmring_t *h0, *h1;
	int rc = shmring_duplex_open(name, SHMRING_DUPLEX_OBSERVE, oo, &h0, &h1);

	if (rc < 0)
		return rc;
	rc = shmring_info(h1, &d1->in);
	d1->count = shmring_count(h1);
	shmring_close(h0);
	shmring_close(h1);
	return rc;
}

/* Show every name once: 0, or 1 (some name failed). A SIGBUS ends the
 * tool there, with status 1. */
static int stat_all(char **names, int n, bool json)
{
	const struct shmring_open_opts oo = {.flags = SHMRING_OPEN_ANY_OWNER};
	bool array = json && n > 1;
	struct shmring_info in;
	int status = 0;

	if (array)
		printf("[");
	for (int i = 0; i < n; i++) {
		struct shmring_participant *volatile p = NULL;
		shmring_t *volatile r = NULL;
		struct shmring_sync_info si;
		struct shmring_cli_object o;
		struct reverse d1;
		bool sync = false, have_d1;
		const char *early, *why, *use, *end = array ? (i + 1 < n ? "," : "") : "\n";
		char wbuf[SHMRING_CLI_ERR_MAX];
		int rc, np = 0, perr = 0;

		if (!strncmp(names[i], "bridge:", 7)) {
			/* A bridge's status object (shmring bridge --name). */
			if (shmring_bridge_stat(names[i] + 7, json) != 0) {
				if (array)
					json_error(names[i], "no such bridge", i + 1 == n);
				status = 1;
			} else if (json) {
				printf("%s", end);
			}
			continue;
		}
		shmring_cli_object_look(names[i], &o);
		early = judge_early(&o);
		if (early) {
			fprintf(stderr, "shmring stat: %s: %s\n", names[i], early);
			if (array)
				json_error(names[i], early, i + 1 == n);
			status = 1;
			continue;
		}
		if (sigsetjmp(bus_jmp, 1)) {
			/* The library may have been stopped half-way through
			 * anything: report, and touch nothing of it again. */
			shmring_cli_bus_arm(NULL);
			fprintf(stderr, "shmring stat: %s: the segment was truncated while being "
					"read (SIGBUS): a process shrank it; nothing more is read\n",
				names[i]);
			if (array)
				printf("]\n");
			/* The library was left mid-call (a handle half-made,
			 * a lock perhaps held): leave at once, as the tool's
			 * own handler does, running no exit handlers over it. */
			fflush(stdout);
			_exit(1);
		}
		shmring_cli_bus_arm(&bus_jmp);
		rc = sync_first(names[i], &o, &si);
		if (rc <= 0) {
			sync = true;
		} else {
			shmring_t *h;

			rc = shmring_open_ex(names[i], SHMRING_OBSERVER, &oo, &h);
			r = rc == 0 ? h : NULL;
			/* A synchronization object the look did not see as one
			 * (it appeared meanwhile). */
			if (rc == -SHMRING_EKIND &&
			    shmring_sync_stat(names[i], SHMRING_SYNC_ANY_OWNER, &si) == 0) {
				sync = true;
				rc = 0;
			}
		}
		if (sync) {
			/* si is a copy: nothing shared is read from here on. */
			shmring_cli_bus_arm(NULL);
			if (rc < 0) {
				why = shmring_cli_error_text("stat", names[i], rc, wbuf, sizeof(wbuf));
				fprintf(stderr, "shmring stat: %s: %s\n", names[i], why);
				if (array)
					json_error(names[i], why, i + 1 == n);
				status = 1;
				continue;
			}
			if (json) {
				shmring_cli_sync_json(names[i], &si);
				printf("%s", end);
			} else {
				shmring_cli_sync_text(names[i], &si);
			}
			continue;
		}
		memset(&in, 0, sizeof(in));
		if (rc == 0)
			rc = shmring_info(r, &in);
		if (rc < 0) {
			shmring_cli_bus_arm(NULL);
			why = open_failed(names[i], rc, wbuf, sizeof(wbuf));
			if (array)
				json_error(names[i], why, i + 1 == n);
			shmring_close(r);
			status = 1;
			continue;
		}
		p = shmring_cli_participants(r, &in, &np, &perr);
		have_d1 = (in.flags & SHMRING_CREATE_DUPLEX) && reverse_of(names[i], &oo, &d1) == 0;
		use = perr < 0 ? NULL
			       : shmring_cli_use_name(shmring_cli_ring_use(names[i], &in,
									   shmring_count(r), p, np));
		if (json)
			stat_json(names[i], &in, shmring_count(r), p, np, perr, use ? use : "unknown",
				  have_d1 ? &d1 : NULL, end);
		else
			stat_text(names[i], &in, shmring_count(r), p, np, perr,
				  use ? use : "use unknown",
				  have_d1 ? &d1 : NULL);
		shmring_cli_bus_arm(NULL);
		free(p);
		shmring_close(r);
	}
	if (array)
		printf("]\n");
	return status;
}

/*
 * Whether a --watch name can never show anything, said on stderr: one
 * malformed (or of a scheme stat cannot show: a socket channel, an auto:
 * name), or a memfd: or anon: ring, which has no name to be found by.
 * bridge:NAME is the bridge's (any well-formed such name may appear).
 */
static bool watch_name_problem(const char *name)
{
	enum shmring_cli_scheme s = shmring_cli_scheme(name);
	const char *why;
	char buf[256];

	if (!strncmp(name, "bridge:", 7)) {
		if (shmring_bridge_name_ok(name + 7))
			return false;
		fprintf(stderr, "shmring stat: %s: a bridge's name is 1..64 characters of "
				"[A-Za-z0-9._-]\n", name);
		return true;
	}
	if (s == SHMRING_CLI_MEMFD || s == SHMRING_CLI_ANON) {
		fprintf(stderr, "shmring stat: %s: %s ring has no name to be shown by: it "
				"lives in the process that made it\n",
			name, s == SHMRING_CLI_MEMFD ? "a memfd" : "an anon");
		return true;
	}
	why = shmring_cli_name_problem(name, buf, sizeof(buf));
	if (why)
		fprintf(stderr, "shmring stat: %s: %s\n", name, why);
	return why != NULL;
}

/* Sleep ns unless a stop signal comes first. */
static void watch_sleep(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
			      .tv_nsec = (long)(ns % 1000000000u)};

	while (!stop_watch && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int shmring_cmd_stat(int argc, char **argv)
{
	static const struct option lo[] = {{"json", no_argument, 0, 'j'},
					   {"watch", required_argument, 0, 'w'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	struct sigaction stop = {.sa_handler = on_stop};
	bool json = false, watch = false, tty;
	int status = 0;
	uint64_t every = 0;
	int c;

	optind = 0;
	while ((c = shmring_cli_getopt("stat", argc, argv, "w:h", lo)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'w':
			if (shmring_cli_parse_time(optarg, 1000000000u, &every) < 0 || every == 0 ||
			    every > 86400ull * 1000000000u) {
				fprintf(stderr, "shmring stat: --watch '%s': not valid; seconds, "
						"more than 0 and at most a day (e.g. 0.5)\n", optarg);
				return 2;
			}
			watch = true;
			break;
		case 'h':
			stat_usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: shmring stat [--json] [--watch SECONDS] NAME... "
				"(see --help)\n");
		return 2;
	}
	if (!watch) {
		return stat_all(argv + optind, argc - optind, json);
	}
	/* A malformed name never comes to exist: said once, not at every
	 * refresh for ever. A well-formed one that does not exist yet is
	 * watched, as it may appear. */
	for (int i = optind; i < argc; i++) {
		if (watch_name_problem(argv[i]))
			return 2;
	}
	/* No SA_RESTART: the signal ends the sleep at once. */
	sigemptyset(&stop.sa_mask);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	tty = isatty(STDOUT_FILENO);
	/* The exit status is the last refresh's: a watch whose names have all
	 * gone (or never were) did not succeed. */
	for (int round = 0; !stop_watch; round++) {
		if (tty)
			printf("\033[H\033[J");
		else if (round)
			printf("\n");
		status = stat_all(argv + optind, argc - optind, json);
		/* Each refresh must reach its reader now, and a reader that
		 * has gone ends the watch (main() says so). */
		if (fflush(stdout) != 0 || ferror(stdout))
			return 1;
		watch_sleep(every);
	}
	return status;
}
