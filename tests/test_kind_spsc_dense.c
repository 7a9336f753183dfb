/* SPDX-License-Identifier: MIT */
/*
 * test_kind_spsc_dense: the SPSC ring in its dense slot layout
 * (SHMRING_CREATE_DENSE) through the public API: the same stress with threads
 * and processes, oversubscription, zero-copy and roles as every kind (see
 * tests/kind_tests.h).
 */
#define KT_KIND SHMRING_KIND_SPSC
#define KT_TAG "spsc-dense"
#define KT_FLAGS SHMRING_CREATE_DENSE
#include "kind_tests.h"
