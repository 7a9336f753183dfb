/* SPDX-License-Identifier: MIT */
/*
 * test_kind_mpmc: the MPMC ring through the public API: stress with threads and
 * processes, oversubscription, zero-copy and roles (see tests/kind_tests.h).
 */
#define KT_KIND SHMRING_KIND_MPMC
#define KT_TAG "mpmc"
#include "kind_tests.h"
