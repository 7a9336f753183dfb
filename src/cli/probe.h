/* SPDX-License-Identifier: MIT */
/*
 * src/cli/probe.h - what a name stands for, as stat, rm, ls and gc see it:
 * the object the OS shows (size, age, its first bytes) before the library
 * is asked, then the library's view (a ring opened as an observer, info,
 * participants; or a named synchronization object, as shmring_sync_stat()
 * sees it), and one rule for a "stale" ring that ls shows and gc removes.
 */
#ifndef SHMRING_CLI_PROBE_H
#define SHMRING_CLI_PROBE_H

#include "shmring/shmring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The scheme of a URI as the tool tells them apart. */
enum shmring_cli_scheme {
	SHMRING_CLI_OTHER = 0, /* unknown to the tool: left to the library */
	SHMRING_CLI_POSIX,
	SHMRING_CLI_SYSV,
	SHMRING_CLI_FILE,
	SHMRING_CLI_MEMFD,
	SHMRING_CLI_ANON,
};

enum shmring_cli_scheme shmring_cli_scheme(const char *uri);

/* Where shm_open() keeps POSIX objects (glibc on Linux): /NAME is the file
 * SHMRING_CLI_SHM_DIR "/NAME"; names longer than a file name are never
 * looked for there. */
#define SHMRING_CLI_SHM_DIR "/dev/shm"
#define SHMRING_CLI_POSIX_NAME_MAX 256

/* The scheme's name ("posix", ...), for messages and JSON. */
const char *shmring_cli_scheme_name(enum shmring_cli_scheme s);

/* What the OS shows of the object a URI names. */
struct shmring_cli_object {
	enum shmring_cli_scheme scheme;
	bool seen;           /* it exists and its start could be read */
	int err;             /* why not seen: -ENOENT, -EACCES, ... (0: not looked at) */
	bool regular;        /* a regular file or a shared-memory segment */
	const char *type;    /* else what it is: "a FIFO (named pipe)", "a directory",
			      * "a symbolic link" (never followed), ... */
	const char *not_ring; /* the same, "..., not a shmring segment" */
	bool link;            /* it is a symbolic link */
	bool dir;             /* it is a directory */
	bool unremovable;     /* this user may not remove it: the directory's
			       * permissions (posix:, file:), or a System V
			       * segment this user may not even read */
	uint64_t size;       /* bytes */
	uint64_t changed_ns; /* CLOCK_REALTIME of its last change (size, mode, creation) */
	uint64_t id[2];      /* identity: device and inode, or the System V id */
	size_t head_len;     /* bytes read from its start, up to 4096 */
	bool magic;          /* it starts with the shmring magic */
	bool sync_magic;     /* ... with the synchronization objects' magic */
	bool zero_magic;     /* its first 8 bytes are zero */
	bool all_zero;       /* every byte read is zero */
	bool in_making;      /* empty or all zero, and its creator holds it: the
			      * object's lock, or a System V segment's maker
			      * alive and attached (the library's judgement) */
};

/*
 * Look at the object (POSIX, System V and file names; the others are left
 * unseen with err 0). Never maps the object read-write and never waits: an
 * object that is not a regular file (a FIFO, socket, device, directory or
 * symbolic link) is seen by lstat alone, never opened nor followed.
 */
void shmring_cli_object_look(const char *uri, struct shmring_cli_object *o);

/* Whether the object is older than a creation takes (the library waits a
 * second for a creator; twice that leaves no doubt). */
bool shmring_cli_object_settled(const struct shmring_cli_object *o);

/*
 * Why opening the object failed with err, in the terms of what o (looked at
 * after the failure) shows, where the library's word is too vague: an empty
 * file (-EAGAIN, -SHMRING_ETRUNCATED or -SHMRING_EBADMAGIC), a header still
 * all zero after the library's wait for its creator (-EAGAIN: "full or
 * empty, or still being created" says nothing of that), or a file shorter
 * than a header (-SHMRING_ETRUNCATED, with its size). The text (in buf,
 * size bytes, or static), or NULL when o does not explain err. The one
 * judgement of every command (shmring_cli_error_text(), stat).
 */
const char *shmring_cli_open_failure(int err, const struct shmring_cli_object *o, char *buf,
				     size_t size);

/* What a name turned out to be. */
enum shmring_cli_what {
	SHMRING_CLI_NONE,     /* no such object (err says why) */
	SHMRING_CLI_NOT_RING, /* an object that is not a shmring segment (why) */
	SHMRING_CLI_RING,     /* a ring, open as an observer (r, in, p) */
	SHMRING_CLI_BAD_RING, /* the shmring magic, but the library refuses it (err) */
	SHMRING_CLI_UNKNOWN,  /* cannot be looked at (err) */
	SHMRING_CLI_SYNC,     /* a synchronization object (sync) */
	SHMRING_CLI_BAD_SYNC, /* the synchronization objects' magic, refused (err) */
};

/* How a ring is used now (see shmring_cli_use_of()). */
enum shmring_cli_use {
	SHMRING_CLI_UNUSED = 0, /* nobody has attached in a role yet */
	SHMRING_CLI_LIVE,       /* some participant is alive (or cannot be judged) */
	SHMRING_CLI_WAITING,    /* nobody alive; messages wait for a first consumer */
	SHMRING_CLI_STALE,      /* participants attached once, and none is alive */
};

struct shmring_cli_look {
	const char *uri;
	enum shmring_cli_what what;
	int err;
	const char *why;
	struct shmring_cli_object obj;
	shmring_t *r;
	struct shmring_info in;
	uint64_t count;                 /* shmring_count() */
	struct shmring_participant *p;  /* the participant table, np entries */
	int np;
	int perr;                       /* the table could not be read */
	enum shmring_cli_use use;
	struct shmring_sync_info sync;  /* SHMRING_CLI_SYNC */
};

/*
 * Look at a name: the object, then (when it carries the magic, or the tool
 * does not know the scheme) the library's open as an observer with
 * SHMRING_OPEN_ANY_OWNER | SHMRING_OPEN_NOWAIT; an object with the
 * synchronization objects' magic, and a posix: or sysv: name without a
 * segment (a POSIX named or System V semaphore may have it), goes to
 * shmring_sync_stat() with SHMRING_SYNC_ANY_OWNER | SHMRING_SYNC_NOWAIT.
 * Free with shmring_cli_look_done().
 */
void shmring_cli_look(const char *uri, struct shmring_cli_look *lk);
void shmring_cli_look_done(struct shmring_cli_look *lk);

/*
 * The participant table as the library judges it now: *n entries (NULL when
 * there are none or it cannot be read: *err says which).
 */
struct shmring_participant *shmring_cli_participants(shmring_t *r, const struct shmring_info *in,
						     int *n, int *err);

/*
 * The rule of ls and gc. LIVE: an entry of the table is alive, or in another
 * pid namespace (it cannot be judged). UNUSED: nobody has ever attached in a
 * role (a ring just made by `shmring create`). WAITING: nobody is alive, and
 * messages (count) wait for a consumer that has never attached: a ring
 * filled for a reader to come. STALE: participants attached once (an entry
 * dead or reaped, or the library's producers_gone / consumers_gone) and none
 * is alive.
 */
enum shmring_cli_use shmring_cli_use_of(const struct shmring_info *in, uint64_t count,
					const struct shmring_participant *p, int np);
/* The key of a System V name after "sysv:" ("KEY" in decimal or 0x-hex, or
 * "@/path[#ID]" by ftok()), or 0 when it names none the tool can read. */
key_t shmring_cli_sysv_key(const char *arg);

/* The same for the ring at uri whose info, count and table these are: a
 * duplex's is the more alive of its two directions' (as ls and gc judge). */
enum shmring_cli_use shmring_cli_ring_use(const char *uri, const struct shmring_info *in,
					  uint64_t count, const struct shmring_participant *p,
					  int np);
const char *shmring_cli_use_name(enum shmring_cli_use u);

/*
 * Unlink the name if it still names the object seen (same identity): 0,
 * -ESTALE when another object has taken the name meanwhile, or the
 * library's error.
 */
int shmring_cli_remove_seen(const char *uri, const struct shmring_cli_object *seen);
/*
 * gc's removal of a ring judged stale: under the object's exclusive lock,
 * judged again, and unlinked if it is still the object seen and still
 * stale: 0, -ESTALE (another object has the name), -ENOENT (removed
 * meanwhile), -EADDRINUSE (the same ring, no longer stale: someone joined
 * it since the look), -EBUSY (its lock stayed held: someone is joining it
 * now), or the library's error (an unexpected one from flock()). System V segments have no lock:
 * as shmring_cli_remove_seen().
 */
int shmring_cli_remove_stale(const char *uri, const struct shmring_cli_object *seen);

/*
 * The same for a synchronization object seen as *in (the right removal for
 * its kind: the segment's name, sem_unlink() for a POSIX named semaphore,
 * IPC_RMID for a System V set): 0, -ESTALE (a segment now has the name of a
 * POSIX or System V semaphore, or another object took it), or the library's
 * error.
 */
int shmring_cli_remove_sync(const char *uri, const struct shmring_cli_object *seen,
			    const struct shmring_sync_info *in);

/* A name a ring or a synchronization object may have, removed without
 * looking (rm --force): the ring's way first, then a semaphore's. */
int shmring_cli_remove_any(const char *uri);

/* "spsc" ... "msg" for a kind, "unknown" for another number; parse: 0 or -EINVAL. */
const char *shmring_cli_kind_name(uint32_t kind);
int shmring_cli_kind_parse(const char *s, uint32_t *kind);

/* "futex", "psem", "sysvsem" for a notifier; parse: 0 or -EINVAL. */
const char *shmring_cli_notifier_name(uint32_t notifier);
int shmring_cli_notifier_parse(const char *s, uint32_t *notifier);

/* "spsc", or for a message ring "msg-spsc" (its producer/consumer counts). */
const char *shmring_cli_kind_label(const struct shmring_info *in, char *buf, size_t size);

/* The user name of uid, or its number, into buf. */
const char *shmring_cli_user(uint32_t uid, char *buf, size_t size);

/* CLOCK_REALTIME in nanoseconds. */
uint64_t shmring_cli_realtime_ns(void);

#endif /* SHMRING_CLI_PROBE_H */
