/* SPDX-License-Identifier: MIT */
/*
 * benches/ring_lane.c - the shmring SPSC ring with every message through the
 * inline path of shmring/lane.h (shmring_lane_try_send/_try_recv): the same
 * rings, ends and checks as the "shmring" rows, the calls compiled into the
 * loop as ck_ring's and rte_ring's are.
 */
#include "rings.h"

#include <shmring/lane.h>

#define LOOP_RING                       "shmring lane"
#define LOOP_END                        struct shmring_lane *
#define LOOP_SEND(arg, e, m, esize, mt) ((void)(esize), shmring_lane_try_send(e, (m)->b))
#define LOOP_RECV(arg, e, m, esize, mt) ((void)(esize), shmring_lane_try_recv(e, (m)->b))
#define LOOP_TX(p, side)                (((struct shm_pair *)(p)->ring)->lane[side][0])
#define LOOP_RX(p, side)                (((struct shm_pair *)(p)->ring)->lane[side][1])
#define LOOP_MT(p)                      false
#include "loops.h"

int bench_shmring_lanes_attach(struct bench_pair *p, int side, bool recv)
{
	struct shm_pair *s = p->ring;
	int rc = bench_shmring_pair_attach(p, side);

	if (rc == 0)
		rc = shmring_lane_get(s->end[side][0], SHMRING_PRODUCER, &s->lane[side][0]);
	if (rc == 0 && recv)
		rc = shmring_lane_get(s->end[side][1], SHMRING_CONSUMER, &s->lane[side][1]);
	if (rc != 0)
		bench_shmring_pair_detach(p, side);
	return rc;
}

/* This side's ends, then both their lanes. */
static int lane_attach(struct bench_pair *p, int side)
{
	return bench_shmring_lanes_attach(p, side, true);
}

#define LANE_PAIR(kind, pname)                                                                     \
	{                                                                                          \
		.name = pname, .arg = (kind), .setup = bench_shmring_pair_setup,                   \
		.attach = lane_attach, .detach = bench_shmring_pair_detach,                        \
		.teardown = bench_shmring_pair_teardown, .chunk = loop_chunk,                      \
	}

/* The SPSC ring, created as by default and poll-only (SHMRING_CREATE_POLL_ONLY). */
const struct bench_pair_impl bench_pair_shmring_lane = LANE_PAIR(&bench_kinds[0], "shmring-lane");
const struct bench_pair_impl bench_pair_shmring_lane_poll =
    LANE_PAIR(&bench_kind_spsc_poll, "shmring-lane-poll");
/* Poll-only with consumers that slip (shmring_set_slip()). */
const struct bench_pair_impl bench_pair_shmring_lane_poll_slip =
    LANE_PAIR(&bench_kind_spsc_poll_slip, "shmring-lane-poll-slip");
