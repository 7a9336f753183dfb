/* SPDX-License-Identifier: MIT */
/*
 * benches/loops.h - the loops every ring runs, written once: one thread
 * sending a message and taking it back (op), and the two-thread stream and
 * round trip of struct bench_pair_impl. A ring file says how one message
 * goes into and out of its ring, then includes this header, which makes its
 * loops from those calls:
 *
 *   LOOP_RING                the ring's name in failure messages ("rte_ring")
 *   LOOP_END                 the type of one end of a ring, as the calls take it
 *   LOOP_SEND(arg, e, m, esize, mt)  one attempt to put message m (struct
 *                            bench_msg *) into end e: 0, -EAGAIN while the
 *                            ring is full, another negative errno on failure
 *   LOOP_RECV(arg, e, m, esize, mt)  one attempt to take a message out of e
 *                            into m, likewise (-EAGAIN while empty)
 *   LOOP_TX(p, side), LOOP_RX(p, side)  the end a side of pair p sends on
 *                            and receives from (side 0 sends on a->b)
 *   LOOP_MT(p)               whether pair p uses the multi-producer /
 *                            multi-consumer calls
 *
 * arg is the implementation's own argument (a shmring kind, say). esize (8
 * or 64) and mt are constants at every call, as they would be in a program
 * built around the ring, so each loop is specialised for them.
 */
#ifndef SHMRING_BENCHES_LOOPS_H
#define SHMRING_BENCHES_LOOPS_H

#include "harness.h"

#include "ringbuf/atomics.h"

#include <shmring/shmring.h>

#include <stdio.h>

/* --- One thread ---------------------------------------------------------- */

static inline void loop_fail(shmring_gb_state *st, const char *what, int rc)
{
	char msg[160];
	snprintf(msg, sizeof msg, "%s %s: %s", LOOP_RING, what, shmring_strerror(rc));
	shmring_gb_fail(st, msg);
}

/* Send each message into the empty ring and take it straight back. */
BENCH_INLINE void loop_op_sized(shmring_gb_state *st, const void *arg, LOOP_END e, unsigned esize,
                                bool mt)
{
	alignas(64) struct bench_msg in, out;
	uint64_t seq = 0;
	int rc;

	(void)arg; /* not every ring's calls take it */
	(void)mt;
	memset(&in, 0xa5, sizeof in);
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++, seq++) {
			bench_msg_stamp(in.b, seq);
			if ((rc = LOOP_SEND(arg, e, &in, esize, mt)) != 0) {
				loop_fail(st, "send into an empty ring", rc);
				break;
			}
			if ((rc = LOOP_RECV(arg, e, &out, esize, mt)) != 0) {
				loop_fail(st, "receive after a send", rc);
				break;
			}
			if (bench_msg_seq(out.b) != seq) {
				shmring_gb_fail(st, "received a message other than the one sent");
				break;
			}
		}
	}
}

/* The op benchmark on end e of a ring of esize-byte messages, with its counters. */
static inline void loop_op(shmring_gb_state *st, const void *arg, LOOP_END e, unsigned esize,
                           bool mt)
{
	if (mt)
		esize == 8 ? loop_op_sized(st, arg, e, 8, true)
		           : loop_op_sized(st, arg, e, 64, true);
	else
		esize == 8 ? loop_op_sized(st, arg, e, 8, false)
		           : loop_op_sized(st, arg, e, 64, false);
	bench_count(st, 1, esize);
}

/* --- Two threads ---------------------------------------------------------- */

/* Send (send) or receive message m on end e, spinning with a pause while the
 * ring is full or empty; a received message must carry sequence number seq. */
BENCH_INLINE int loop_spin(struct bench_pair *p, LOOP_END e, struct bench_msg *m, unsigned esize,
                           bool mt, bool send, uint64_t seq)
{
	int rc;
	(void)mt;
	while ((rc = send ? LOOP_SEND(p->impl->arg, e, m, esize, mt)
	                  : LOOP_RECV(p->impl->arg, e, m, esize, mt)) == -EAGAIN) {
		if (bench_pair_stopped(p))
			return -1;
		shmring__cpu_relax();
	}
	if (rc != 0) {
		bench_pair_abort(p, send ? "send failed" : "receive failed");
		return -1;
	}
	if (!send && bench_msg_seq(m->b) != seq) {
		bench_pair_abort(p, "message lost, repeated or out of order");
		return -1;
	}
	return 0;
}

#define loop_spin_send(p, e, m, esize, mt)      loop_spin(p, e, m, esize, mt, true, 0)
#define loop_spin_recv(p, e, m, esize, seq, mt) loop_spin(p, e, m, esize, mt, false, seq)

BENCH_INLINE int loop_stream_sized(struct bench_pair *p, int side, uint64_t first, uint64_t n,
                                   unsigned esize, bool mt)
{
	alignas(64) struct bench_msg msg = {{0}};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg.b, i);
			if (loop_spin_send(p, LOOP_TX(p, 0), &msg, esize, mt) != 0)
				return -1;
		} else if (loop_spin_recv(p, LOOP_RX(p, 1), &msg, esize, i, mt) != 0) {
			return -1;
		}
	}
	return 0;
}

BENCH_INLINE int loop_pingpong_sized(struct bench_pair *p, int side, uint64_t first, uint64_t n,
                                     unsigned esize, bool mt)
{
	LOOP_END tx = LOOP_TX(p, side);
	LOOP_END rx = LOOP_RX(p, side);
	alignas(64) struct bench_msg msg = {{0}};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg.b, i);
			if (loop_spin_send(p, tx, &msg, esize, mt) != 0 ||
			    loop_spin_recv(p, rx, &msg, esize, i, mt) != 0)
				return -1;
		} else if (loop_spin_recv(p, rx, &msg, esize, i, mt) != 0 ||
		           loop_spin_send(p, tx, &msg, esize, mt) != 0) {
			return -1;
		}
	}
	return 0;
}

/* One chunk of p's mode in the loop specialised for its message size and calls. */
BENCH_INLINE int loop_chunk_sized(struct bench_pair *p, int side, uint64_t first, uint64_t n,
                                  unsigned esize, bool mt)
{
	return p->mode == BENCH_STREAM ? loop_stream_sized(p, side, first, n, esize, mt)
	                               : loop_pingpong_sized(p, side, first, n, esize, mt);
}

/* struct bench_pair_impl's chunk. */
static inline int loop_chunk(struct bench_pair *p, int side, uint64_t first, uint64_t n)
{
	if (LOOP_MT(p))
		return p->slot == 8 ? loop_chunk_sized(p, side, first, n, 8, true)
		                    : loop_chunk_sized(p, side, first, n, 64, true);
	return p->slot == 8 ? loop_chunk_sized(p, side, first, n, 8, false)
	                    : loop_chunk_sized(p, side, first, n, 64, false);
}

#endif /* SHMRING_BENCHES_LOOPS_H */
