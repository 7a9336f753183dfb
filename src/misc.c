/* SPDX-License-Identifier: MIT */
/*
 * src/misc.c - version, error strings and clock helpers.
 */
#include "src/internal.h"

#include <limits.h>
#include <string.h>

#define STR2(x) #x
#define STR(x) STR2(x)

const char *shmring_version(void)
{
	return STR(SHMRING_VERSION_MAJOR) "." STR(SHMRING_VERSION_MINOR) "." STR(
		SHMRING_VERSION_PATCH);
}

const char *shmring_strerror(int err)
{
	/* -INT_MIN does not exist: no errno is that large anyway. */
	if (err == INT_MIN)
		return "unknown error";
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case SHMRING_EBADMAGIC:
		return "not a shmring segment (bad magic)";
	case SHMRING_EVERSION:
		return "not supported: a URI scheme this build lacks, or a segment layout "
		       "version, ring kind or feature this library does not know";
	case SHMRING_ECHECK:
		return "segment header is corrupt (integrity check failed)";
	case SHMRING_EGEOMETRY:
		return "segment header has impossible sizes or offsets";
	case SHMRING_ETRUNCATED:
		return "segment is shorter than its header says (truncated)";
	case SHMRING_ECORRUPT:
		return "ring positions or slot stamps are corrupt (the segment was damaged or forged)";
	case SHMRING_EOWNER:
		return "permission denied, or header owner differs from the segment owner";
	case SHMRING_EKIND:
		return "ring is of another kind (or a ring and a synchronisation object were "
		       "taken for each other)";
	case SHMRING_EMISMATCH:
		return "ring exists with another capacity, slot size or producer/consumer "
		       "multiplicity than asked for";
	case SHMRING_EFOREIGN:
		return "ring belongs to another user (open it with SHMRING_OPEN_ANY_OWNER to "
		       "allow that)";
	case EOPNOTSUPP:
		return "not supported for this ring: its home, transport or mode does not offer "
		       "it (huge pages outside hugetlbfs, a descriptor of a sysv or anon ring, "
		       "zero-copy or a role other than listener-consumer and connection-producer "
		       "on a socket channel, parking on a poll-only ring)";
	case EIDRM:
		return "the System V semaphore set (a ring's notifier, or a semaphore) has been "
		       "removed";
	case EPROTO:
		return "protocol error: the peer broke the protocol (a socket channel's "
		       "handshake or message that is not the channel's, or a socket that did "
		       "not carry a ring descriptor)";
	case ENOENT:
		return "no such ring";
	case ENXIO:
		return "no such host: a tcp: channel's host name does not resolve";
	case EEXIST:
		return "a ring or object of that name already exists";
	case EBUSY:
		return "that role is already taken by a live process";
	case EAGAIN:
		return "ring is full or empty, or still being created";
	case ETIMEDOUT:
		return "timed out";
	case EPERM:
		return "operation not permitted: the system's permissions refuse it, or the handle "
		       "was not opened in the role this needs";
	case EINVAL:
		return "invalid argument (name, sizes, role or flags)";
	case ENOSPC:
		return "no space left for the segment";
	case EPIPE:
		return "the other side has gone: every producer (or every consumer) closed or died";
	case SHMRING_EDROPPED:
		return "a claim of this handle was repaired by a peer that judged its owner dead "
		       "(or the reservation was cancelled): the message was dropped";
	case EUSERS:
		return "the ring's participant table is full";
	case EOWNERDEAD:
		return "the mutex's owner died holding it: it is held now, and what it protects "
		       "may need repair (shmring_mutex_consistent())";
	case ENOTRECOVERABLE:
		return "the mutex was unlocked without repair after its owner died: not "
		       "recoverable";
	case ENOLCK:
		return "the mutex could not be locked again after the condition wait: not held";
	case EOVERFLOW:
		return "the semaphore is at its largest count";
	default:
		break;
	}
	/* strerror() may build "Unknown error N" in a per-thread buffer that the
	 * next call reuses; the description table is static. */
	{
		const char *d = strerrordesc_np(err);

		return d ? d : "unknown error";
	}
}

uint64_t shmring_clock_ns(void)
{
	return shmring__now_ns();
}

uint64_t shmring_deadline_in(uint64_t timeout_ns)
{
	uint64_t now = shmring__now_ns();

	return timeout_ns > UINT64_MAX - now ? SHMRING_NO_DEADLINE : now + timeout_ns;
}
