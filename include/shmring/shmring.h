/* SPDX-License-Identifier: MIT */
/*
 * shmring.h - the umbrella header: include this one.
 */
#ifndef SHMRING_SHMRING_H
#define SHMRING_SHMRING_H

#include "common.h"
#include "ring.h"
#include "sync.h"

#endif /* SHMRING_SHMRING_H */
