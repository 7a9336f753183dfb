/* SPDX-License-Identifier: MIT */
/*
 * src/cli/sync_show.h - the named synchronization objects as ls and stat
 * show them: their names for each type and implementation, the state in a
 * word, and the JSON object and text block of shmring_sync_stat()'s answer.
 */
#ifndef SHMRING_CLI_SYNC_SHOW_H
#define SHMRING_CLI_SYNC_SHOW_H

#include "shmring/shmring.h"

#include <stddef.h>

/* "sem", "event", "mutex", "cond" (the JSON "type"); "unknown" else. */
const char *shmring_cli_sync_type(const struct shmring_sync_info *in);

/* "sem-futex", "sem-posix", "sem-sysv", "event-manual", "event-auto",
 * "mutex", "cond" (ls's KIND). */
const char *shmring_cli_sync_kind(const struct shmring_sync_info *in);

/* The state in a few words, for ls's STATE column: "count 3", "set",
 * "clear", "free", "held by tid 1234 (dead)", "seq 7", ... */
const char *shmring_cli_sync_state(const struct shmring_sync_info *in, char *buf, size_t size);

/* The waiters for ls's WAITERS column: "2", "?" (cannot be told), "yes"/"no"
 * (a mutex). */
const char *shmring_cli_sync_waiters(const struct shmring_sync_info *in, char *buf,
				     size_t size);

/* One JSON object for the object named name (no newline). */
void shmring_cli_sync_json(const char *name, const struct shmring_sync_info *in);

/* stat's text block. */
void shmring_cli_sync_text(const char *name, const struct shmring_sync_info *in);

#endif /* SHMRING_CLI_SYNC_SHOW_H */
