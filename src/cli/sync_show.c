/* SPDX-License-Identifier: MIT */
/*
 * src/cli/sync_show.c - the named synchronization objects as ls and stat
 * show them (see sync_show.h).
 */
#include "cli/sync_show.h"
#include "bench/bench.h" /* shmring_bench_json_str() */
#include "cli/probe.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

const char *shmring_cli_sync_type(const struct shmring_sync_info *in)
{
	switch (in->type) {
	case SHMRING_SYNC_TYPE_SEM:
		return "sem";
	case SHMRING_SYNC_TYPE_EVENT:
		return "event";
	case SHMRING_SYNC_TYPE_MUTEX:
		return "mutex";
	case SHMRING_SYNC_TYPE_COND:
		return "cond";
	default:
		return "unknown";
	}
}

static const char *impl_name(uint32_t impl)
{
	switch (impl) {
	case SHMRING_SEM_FUTEX:
		return "futex";
	case SHMRING_SEM_POSIX:
		return "posix";
	case SHMRING_SEM_SYSV:
		return "sysv";
	default:
		return "unknown";
	}
}

const char *shmring_cli_sync_kind(const struct shmring_sync_info *in)
{
	switch (in->type) {
	case SHMRING_SYNC_TYPE_SEM:
		return in->impl == SHMRING_SEM_POSIX  ? "sem-posix"
		       : in->impl == SHMRING_SEM_SYSV ? "sem-sysv"
						      : "sem-futex";
	case SHMRING_SYNC_TYPE_EVENT:
		return (in->flags & SHMRING_SYNC_INFO_MANUAL) ? "event-manual" : "event-auto";
	default:
		return shmring_cli_sync_type(in);
	}
}

static const char *holder_name(uint32_t h)
{
	switch (h) {
	case SHMRING_SYNC_HOLDER_ALIVE:
		return "alive";
	case SHMRING_SYNC_HOLDER_DEAD:
		return "dead";
	case SHMRING_SYNC_HOLDER_UNKNOWN:
		return "unknown";
	default:
		return "none";
	}
}

const char *shmring_cli_sync_state(const struct shmring_sync_info *in, char *buf, size_t size)
{
	switch (in->type) {
	case SHMRING_SYNC_TYPE_SEM:
		snprintf(buf, size, "count %" PRIu32, in->value);
		break;
	case SHMRING_SYNC_TYPE_EVENT:
		snprintf(buf, size, "%s", in->value ? "set" : "clear");
		break;
	case SHMRING_SYNC_TYPE_MUTEX:
		if (in->flags & SHMRING_SYNC_INFO_NOTRECOVERABLE)
			snprintf(buf, size, "not recoverable");
		else if (!in->value)
			snprintf(buf, size, "free");
		else
			snprintf(buf, size, "held by tid %" PRIu32 " (%s)%s", in->holder_tid,
				 holder_name(in->holder_state),
				 (in->flags & SHMRING_SYNC_INFO_OWNER_DIED) ? ", owner died" : "");
		break;
	case SHMRING_SYNC_TYPE_COND:
		snprintf(buf, size, "seq %" PRIu32, in->seq);
		break;
	default:
		snprintf(buf, size, "?");
		break;
	}
	return buf;
}

const char *shmring_cli_sync_waiters(const struct shmring_sync_info *in, char *buf,
				     size_t size)
{
	if (in->flags & SHMRING_SYNC_INFO_WAITERS_UNKNOWN)
		snprintf(buf, size, "?");
	else if (in->type == SHMRING_SYNC_TYPE_MUTEX)
		snprintf(buf, size, "%s", in->waiters ? "yes" : "no");
	else
		snprintf(buf, size, "%" PRIu32, in->waiters);
	return buf;
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

void shmring_cli_sync_json(const char *name, const struct shmring_sync_info *in)
{
	char user[64];

	printf("{\"name\":");
	shmring_bench_json_str(stdout, name);
	printf(",\"type\":\"%s\",\"kind\":\"%s\"", shmring_cli_sync_type(in),
	       shmring_cli_sync_kind(in));
	if (in->type == SHMRING_SYNC_TYPE_SEM)
		printf(",\"impl\":\"%s\"", impl_name(in->impl));
	printf(",\"value\":%" PRIu32 ",\"waiters\":", in->value);
	if (in->flags & SHMRING_SYNC_INFO_WAITERS_UNKNOWN)
		printf("null");
	else
		printf("%" PRIu32, in->waiters);
	switch (in->type) {
	case SHMRING_SYNC_TYPE_EVENT:
		printf(",\"set\":%s,\"manual\":%s,\"seq\":%" PRIu32, tf(in->value != 0),
		       tf((in->flags & SHMRING_SYNC_INFO_MANUAL) != 0), in->seq);
		break;
	case SHMRING_SYNC_TYPE_MUTEX:
		printf(",\"locked\":%s,\"holder\":\"%s\",\"holder_tid\":%" PRIu32
		       ",\"holder_pid\":%" PRIu32 ",\"owner_died\":%s,\"not_recoverable\":%s"
		       ",\"seq\":%" PRIu32,
		       tf(in->value != 0), holder_name(in->holder_state), in->holder_tid,
		       in->holder_pid, tf((in->flags & SHMRING_SYNC_INFO_OWNER_DIED) != 0),
		       tf((in->flags & SHMRING_SYNC_INFO_NOTRECOVERABLE) != 0), in->seq);
		break;
	case SHMRING_SYNC_TYPE_COND:
		printf(",\"seq\":%" PRIu32, in->seq);
		break;
	default:
		break;
	}
	printf(",\"creator_uid\":%" PRIu32 ",\"creator_pid\":%" PRIu32 ",\"ctime_ns\":%" PRIu64
	       ",\"owner_uid\":%" PRIu32 ",\"owner\":",
	       in->creator_uid, in->creator_pid, in->ctime_ns, in->owner_uid);
	shmring_bench_json_str(stdout, shmring_cli_user(in->owner_uid, user, sizeof(user)));
	printf(",\"mode\":\"%04" PRIo32 "\"}", in->mode);
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

static void text_mutex(const struct shmring_sync_info *in)
{
	printf("  type          robust mutex\n");
	if (in->flags & SHMRING_SYNC_INFO_NOTRECOVERABLE)
		printf("  state         not recoverable: unlocked after its owner died without "
		       "being made consistent (remove it and create it again)\n");
	else if (!in->value)
		printf("  state         free\n");
	if (in->value && !(in->flags & SHMRING_SYNC_INFO_NOTRECOVERABLE)) {
		printf("  state         held by thread %" PRIu32, in->holder_tid);
		if (in->holder_pid)
			printf(" of process %" PRIu32, in->holder_pid);
		switch (in->holder_state) {
		case SHMRING_SYNC_HOLDER_ALIVE:
			printf(", alive\n");
			break;
		case SHMRING_SYNC_HOLDER_DEAD:
			printf(", dead: the next locker takes it over (EOWNERDEAD)\n");
			break;
		default:
			printf(", which cannot be judged from here (another pid namespace)\n");
			break;
		}
	}
	if (in->flags & SHMRING_SYNC_INFO_OWNER_DIED)
		printf("  repair        its owner died before: taken over, not yet made "
		       "consistent\n");
	printf("  waiters       %s\n", in->waiters ? "someone may be waiting" : "none");
	printf("  wake-ups      %" PRIu32 "\n", in->seq);
}

void shmring_cli_sync_text(const char *name, const struct shmring_sync_info *in)
{
	char user[64];

	printf("%s\n", name);
	switch (in->type) {
	case SHMRING_SYNC_TYPE_SEM:
		printf("  type          semaphore (%s)\n",
		       in->impl == SHMRING_SEM_POSIX  ? "POSIX named semaphore"
		       : in->impl == SHMRING_SEM_SYSV ? "System V semaphore set"
						      : "futex, in a shmring segment");
		printf("  count         %" PRIu32 "\n", in->value);
		break;
	case SHMRING_SYNC_TYPE_EVENT:
		printf("  type          event, %s reset\n",
		       (in->flags & SHMRING_SYNC_INFO_MANUAL) ? "manual" : "auto");
		printf("  state         %s; sets so far %" PRIu32 "\n",
		       in->value ? "set" : "clear", in->seq);
		break;
	case SHMRING_SYNC_TYPE_MUTEX:
		text_mutex(in);
		break;
	case SHMRING_SYNC_TYPE_COND:
		printf("  type          condition variable\n");
		printf("  signals       %" PRIu32 " (signals and broadcasts so far)\n", in->seq);
		break;
	default:
		printf("  type          unknown (%" PRIu32 ")\n", in->type);
		break;
	}
	if (in->type != SHMRING_SYNC_TYPE_MUTEX) {
		if (in->flags & SHMRING_SYNC_INFO_WAITERS_UNKNOWN)
			printf("  waiters       unknown (a POSIX semaphore does not tell)\n");
		else
			printf("  waiters       %" PRIu32 "\n", in->waiters);
	}
	printf("  created       ");
	print_time(in->ctime_ns);
	printf(" by uid %" PRIu32, in->creator_uid);
	if (in->creator_pid)
		printf(" pid %" PRIu32, in->creator_pid);
	printf("\n  owner         %s, mode %04" PRIo32 "\n",
	       shmring_cli_user(in->owner_uid, user, sizeof(user)), in->mode);
}
