/* SPDX-License-Identifier: MIT */
/*
 * benches/ring_lane_send.c - the shmring SPSC ring with its sends through
 * the inline path of shmring/lane.h (shmring_lane_try_send) and its
 * receives through the library's call (shmring_try_recv): the same rings,
 * ends and checks as the "shmring" and "shmring-lane" rows. For a loop
 * that waits for each answer, the receive behind a call held round trips
 * steady where the inline one moved between two states (docs/BENCHMARKS.md).
 */
#include "rings.h"

#include <shmring/lane.h>

/* One type for both ends: the send's is a lane, the receive's a handle. */
#define LOOP_RING "shmring lane send"
#define LOOP_END  void *
#define LOOP_SEND(arg, e, m, esize, mt)                                                            \
	((void)(esize), shmring_lane_try_send((struct shmring_lane *)(e), (m)->b))
#define LOOP_RECV(arg, e, m, esize, mt)                                                            \
	((void)(esize), (shmring_try_recv)((shmring_t *)(e), (m)->b))
#define LOOP_TX(p, side) ((void *)((struct shm_pair *)(p)->ring)->lane[side][0])
#define LOOP_RX(p, side) ((void *)((struct shm_pair *)(p)->ring)->end[side][1])
#define LOOP_MT(p)       false
#include "loops.h"

/* This side's ends, then its sending end's lane. */
static int lane_send_attach(struct bench_pair *p, int side)
{
	return bench_shmring_lanes_attach(p, side, false);
}

/* The SPSC ring as created by default. */
const struct bench_pair_impl bench_pair_shmring_lane_send = {
    .name = "shmring-lane-send",
    .arg = &bench_kinds[0],
    .setup = bench_shmring_pair_setup,
    .attach = lane_send_attach,
    .detach = bench_shmring_pair_detach,
    .teardown = bench_shmring_pair_teardown,
    .chunk = loop_chunk,
};
