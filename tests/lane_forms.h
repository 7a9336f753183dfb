/* SPDX-License-Identifier: MIT */
/*
 * tests/lane_forms.h - every form of the SPSC consumer's one-message
 * receive of an 8-byte message, for the tests that must hold through each:
 * the lane's inline calls, the handle's inline forms (<shmring/shmring.h>)
 * and the library's own calls.
 */
#ifndef SHMRING_TESTS_LANE_FORMS_H
#define SHMRING_TESTS_LANE_FORMS_H

#include "shmring/lane.h"

/* The handle's four (FORM_HANDLE_8 on) need no lane: l may be NULL. */
enum { FORM_LANE, FORM_LANE_U64, FORM_HANDLE_8, FORM_HANDLE_U64, FORM_LIB, FORM_LIB_U64 };

static inline int recv_form(shmring_t *r, struct shmring_lane *l, int form, uint64_t *v)
{
	switch (form) {
	case FORM_LANE:
		return shmring_lane_try_recv(l, v);
	case FORM_LANE_U64:
		return shmring_lane_try_recv_u64(l, v);
	case FORM_HANDLE_8:
		return shmring_try_recv(r, v);
	case FORM_HANDLE_U64:
		return shmring_try_recv_u64(r, v);
	case FORM_LIB:
		return (shmring_try_recv)(r, v);
	default:
		return (shmring_try_recv_u64)(r, v);
	}
}

#endif /* SHMRING_TESTS_LANE_FORMS_H */
