/* SPDX-License-Identifier: MIT */
/*
 * shmring/common.h - export macro, version, error codes and clock helpers
 * shared by every part of the public API.
 *
 * Error convention: control-plane calls return 0 or a negative errno; bulk and
 * burst calls return a count (or a negative errno where documented); predicates
 * return bool. There is no global error state.
 */
#ifndef SHMRING_COMMON_H
#define SHMRING_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SHMRING_STATIC_DEFINE)
#define SHMRING_API
#elif defined(__GNUC__)
#define SHMRING_API __attribute__((visibility("default")))
#else
#define SHMRING_API
#endif

#define SHMRING_VERSION_MAJOR 0
#define SHMRING_VERSION_MINOR 1
#define SHMRING_VERSION_PATCH 0

/* Version of the library actually linked, as "MAJOR.MINOR.PATCH". */
SHMRING_API const char *shmring_version(void);

/*
 * Errors specific to opening a segment. Each is a plain errno value, so that
 * callers can test for it by name and strerror() still says something; the
 * library's own wording for each is available through shmring_strerror().
 */
#define SHMRING_EBADMAGIC  EBADMSG         /* not a shmring segment (magic) */
#define SHMRING_EVERSION   EPROTONOSUPPORT /* unsupported layout version */
#define SHMRING_ECHECK     EILSEQ          /* integrity check of the header failed */
#define SHMRING_EGEOMETRY  ERANGE          /* capacity, slot size or offsets impossible */
#define SHMRING_ETRUNCATED ENODATA         /* segment shorter than its header says */
#define SHMRING_ECORRUPT   EUCLEAN         /* a shared index is impossible */
#define SHMRING_EOWNER     EACCES          /* header owner differs from the segment's owner */
#define SHMRING_EKIND      EPROTOTYPE      /* ring kind differs from the one asked for */
#define SHMRING_EMISMATCH  EDOM            /* capacity or slot size differ from those asked for */
#define SHMRING_EFOREIGN   EREMOTE         /* the segment belongs to another user */
/* A claim of this handle was repaired by a peer that judged its owner dead
 * (or the handle's reservation was cancelled): the message was dropped. */
#define SHMRING_EDROPPED   ECANCELED

/*
 * A readable description of a negative (or positive) errno as returned by
 * this library, with the segment-specific meanings above. Never NULL; the
 * string is static. Thread-safe.
 */
SHMRING_API const char *shmring_strerror(int err);

/* Deadlines are absolute CLOCK_MONOTONIC nanoseconds. */
#define SHMRING_NO_DEADLINE UINT64_MAX

/* CLOCK_MONOTONIC in nanoseconds. Thread-safe, async-signal-safe. */
SHMRING_API uint64_t shmring_clock_ns(void);

/* The deadline timeout_ns from now (saturating). Thread-safe. */
SHMRING_API uint64_t shmring_deadline_in(uint64_t timeout_ns);

#ifdef __cplusplus
}
#endif

#endif /* SHMRING_COMMON_H */
