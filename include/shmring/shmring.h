/* SPDX-License-Identifier: MIT */
/*
 * shmring.h - the umbrella header: include this one.
 */
#ifndef SHMRING_SHMRING_H
#define SHMRING_SHMRING_H

#include "common.h"
#include "ring.h"
#include "sync.h"

/* C11 with atomics: the SPSC short paths inline (shmring/lane.h). */
#if !defined(__cplusplus) && defined(__GNUC__) && defined(__STDC_VERSION__) && \
	__STDC_VERSION__ >= 201112L && !defined(__STDC_NO_ATOMICS__)
#include "lane.h"
#endif

#endif /* SHMRING_SHMRING_H */
