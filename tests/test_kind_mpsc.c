/* SPDX-License-Identifier: MIT */
/*
 * test_kind_mpsc: the MPSC ring through the public API: stress with threads and
 * processes, oversubscription, zero-copy and roles (see tests/kind_tests.h).
 */
#define KT_KIND SHMRING_KIND_MPSC
#define KT_TAG "mpsc"
#include "kind_tests.h"
