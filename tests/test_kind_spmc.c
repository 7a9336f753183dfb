/* SPDX-License-Identifier: MIT */
/*
 * test_kind_spmc: the SPMC ring through the public API: stress with threads and
 * processes, oversubscription, zero-copy and roles (see tests/kind_tests.h).
 */
#define KT_KIND SHMRING_KIND_SPMC
#define KT_TAG "spmc"
#include "kind_tests.h"
