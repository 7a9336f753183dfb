/* SPDX-License-Identifier: MIT */
/*
 * src/cli/bridge.h - `shmring bridge`: forward messages from one endpoint to
 * another (a ring, a socket channel, a ZeroMQ socket), accounting for every
 * message. The engine is here so that `shmring bench` runs it in threads as
 * well as the command does in a process.
 *
 * Wire: every message a bridge sends to a socket channel or ZeroMQ carries
 * a 32-byte header (struct shmring_bridge_hdr): the sending bridge's session
 * (random, one per run) and a sequence number counting from 1, so that the
 * receiving bridge finds gaps (lost) and repeats (duplicates) per sender. A
 * sender that stops cleanly sends an END header with its last sequence, so
 * that a lost tail is counted too. Over ZeroMQ the header is a frame of its
 * own before the payload; over a socket channel it prefixes the payload.
 */
#ifndef SHMRING_CLI_BRIDGE_H
#define SHMRING_CLI_BRIDGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHMRING_BRIDGE_MAGIC UINT64_C(0x31474452424d4853) /* "SHMBRDG1" little-endian */
#define SHMRING_BRIDGE_HDR 32u
#define SHMRING_BRIDGE_END 1u    /* flags: the session ends; seq is its last message */
#define SHMRING_BRIDGE_REPLAY 2u /* flags: sent again after a reconnection */

/* The header, little-endian on the wire. */
struct shmring_bridge_hdr {
	uint64_t magic;
	uint64_t session;
	uint64_t seq;
	uint32_t type;  /* the record's type (message rings), else 0 */
	uint16_t flags; /* SHMRING_BRIDGE_END, SHMRING_BRIDGE_REPLAY */
	uint16_t version; /* 1 */
};

/* What a bridge did, since its status object was made (restarts included). */
struct shmring_bridge_counts {
	uint64_t forwarded;   /* messages put into TO */
	uint64_t lost;        /* gaps in senders' sequences, and what could not be
			       * put into TO before the bridge stopped */
	uint64_t duplicates;  /* repeats of a sequence number already delivered */
	uint64_t reconnects;  /* socket channel connections made again */
	uint64_t errors;      /* failed calls and rejected messages (wrong size,
			       * bad header): each is counted in lost too */
	uint64_t in_doubt;    /* a restart found a message half put into TO:
			       * delivered or not, nobody can tell */
	uint64_t unsequenced; /* received without a bridge header (a plain
			       * ZeroMQ or socket producer): not checked */
	uint64_t senders;     /* sessions seen */
	uint64_t restarts;    /* runs that resumed this status object */
	uint64_t replayed;    /* messages a sender sent again after reconnecting
			       * that had already arrived: dropped, as expected */
};

struct shmring_bridge_opts {
	const char *from, *to;
	/* Status object bridge:NAME (NULL: none). persist: keep it at exit,
	 * and resume its sequences and counts at the next start. */
	const char *name;
	bool persist;
	uint64_t count;      /* stop after forwarding this many; 0: no limit */
	uint64_t idle_ns;    /* stop after this long without a message; 0: never */
	uint64_t connect_ns; /* deadline for the first connection of a socket channel */
	uint64_t drain_ns;   /* at stop: how long to keep draining FROM into TO */
	unsigned hwm;        /* ZeroMQ high-water marks (messages); 0: 1000 */
	size_t zmq_max;      /* ZeroMQ TO: the longest message sent (longer: dropped,
			      * counted lost); 0: no limit */
	bool raw;            /* ZeroMQ TO: the payload alone, no header frame */
	const atomic_int *stop; /* becomes nonzero: drain, then stop */
	/* The caller's words for a ring FROM or TO that does not open, given
	 * its name and the -errno (NULL: the engine's own, or it has none). */
	const char *(*open_why)(const char *uri, int err, char *buf, size_t size);
};

struct shmring_bridge;

/* Whether this build speaks ZeroMQ. */
bool shmring_bridge_have_zmq(void);

/*
 * Open both ends and the status object. 0, or -errno with a readable
 * reason in err (the URI first); *out is NULL then. -ECANCELED: o->stop
 * was set while the first connection to a socket channel was tried.
 */
int shmring_bridge_open(const struct shmring_bridge_opts *o, struct shmring_bridge **out,
			char *err, size_t errlen);

/*
 * Forward until stopped (o->stop), --count or the idle timeout. 0, or
 * -errno (the reason in shmring_bridge_error()): -ETIMEDOUT when the idle
 * timeout ended a run that had a count to reach.
 */
int shmring_bridge_run(struct shmring_bridge *b);

void shmring_bridge_get_counts(const struct shmring_bridge *b, struct shmring_bridge_counts *c);
const char *shmring_bridge_error(const struct shmring_bridge *b);

/*
 * A sending bridge: send the END header, connecting again first (and
 * sending the kept records again) where a socket channel's listener went;
 * such a reconnection is counted. Once; close does it if not done.
 */
void shmring_bridge_end(struct shmring_bridge *b);

/* shmring_bridge_end(), then close both ends; the status object goes
 * unless persistent, and so does the socket file a unix:/PATH FROM bound
 * (only that file: not one another listener has put at the path since).
 * NULL is accepted. */
void shmring_bridge_close(struct shmring_bridge *b);

/* Of what close does, only the removal of that socket file, touching no
 * ring or socket: for a bridge the library was stopped in half-way
 * (SIGBUS), which is never closed. */
void shmring_bridge_remove_sock_file(struct shmring_bridge *b);

/* `shmring stat bridge:NAME`: print the status object; 0, or 1 (said why). */
/* Whether a bridge's name (bridge:NAME) is one: 1..64 characters of
 * [A-Za-z0-9._-], not "." or "..". */
bool shmring_bridge_name_ok(const char *n);

int shmring_bridge_stat(const char *name, bool json);

/*
 * The status object bridge:NAME is the POSIX shared memory object of this
 * prefix and NAME (/dev/shm/shmring-bridge.NAME). One made by --name stays
 * after the bridge, on purpose: every sender's expected sequence number is
 * in it, so that a restart by that name delivers each message once and
 * counts each gap. One made without --name (NAME: the pid) goes as the
 * bridge exits; one left behind (the bridge killed) is stale, as no run
 * resumes it.
 */
#define SHMRING_BRIDGE_STATUS_PREFIX "shmring-bridge."

/* A status object as `shmring ls`, `rm` and `gc` see it. */
struct shmring_bridge_info {
	bool running;        /* a bridge holds it now */
	bool transient;      /* made without --name: stale unless running */
	uint32_t pid;        /* the bridge running it, or that ran it last */
	uint64_t started_ns; /* CLOCK_REALTIME of the last run's start */
	uint32_t uid, mode;  /* the object's owner and permission bits */
	char from[257], to[257];
	struct shmring_bridge_counts c;
	uint32_t open_senders; /* senders seen whose END has not come */
};

/* "running", "stale" (transient, not running) or "kept". */
const char *shmring_bridge_state(bool running, bool transient);

/*
 * Look at bridge:NAME's status object: 0, or -EINVAL (not a bridge's name),
 * -ENOENT (none), -EBADMSG (something else has the name), another -errno.
 */
int shmring_bridge_look(const char *name, struct shmring_bridge_info *in);

/*
 * Remove bridge:NAME's status object, holding its lock meanwhile: 0, or
 * -EBUSY (a bridge runs by that name: *in says which), -ECANCELED
 * (stale_only, and it is not stale), or an error of shmring_bridge_look().
 * *in is filled whenever the object was found.
 */
int shmring_bridge_remove(const char *name, bool stale_only, struct shmring_bridge_info *in);

#endif /* SHMRING_CLI_BRIDGE_H */
