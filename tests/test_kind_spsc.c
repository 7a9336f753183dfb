/* SPDX-License-Identifier: MIT */
/*
 * test_kind_spsc: the SPSC ring through the public API: stress with threads and
 * processes, oversubscription, zero-copy and roles (see tests/kind_tests.h).
 */
#define KT_KIND SHMRING_KIND_SPSC
#define KT_TAG "spsc"
#include "kind_tests.h"
