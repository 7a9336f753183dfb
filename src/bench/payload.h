/* SPDX-License-Identifier: MIT */
/*
 * src/bench/payload.h - the pattern every benchmark message carries, so that
 * both ends can prove each message arrived whole, once and in order.
 *
 * A message is size/8 little 64-bit words. Word 0, and the first word of
 * every later 64-byte line, hold the message's sequence number; the other
 * words hold a fixed pseudo-random pattern made before fork (the same in both
 * processes). A lost, repeated or reordered message shows in word 0; a torn
 * copy shows as a line stamped with another sequence number; corruption shows
 * in the pattern. Stamping costs one store per cache line; checking reads
 * every word once.
 */
#ifndef SHMRING_BENCH_PAYLOAD_H
#define SHMRING_BENCH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

/* Set in a sequence number to ask the peer to stop (it is echoed back). */
#define SHMRING_BENCH_SEQ_STOP (UINT64_C(1) << 62)
#define SHMRING_BENCH_MAX_MSG 65536u

/* Make the shared pattern; 0 or -ENOMEM. Call before fork. */
int shmring_bench_payload_init(void);

/* A new message buffer of size bytes holding the pattern, 64-byte aligned;
 * NULL when out of memory. Free with free(). */
void *shmring_bench_payload_new(unsigned size);

/* A new buffer to receive into: size bytes holding none of the pattern (so
 * that nothing a transport left unwritten passes the check), 64-byte
 * aligned; NULL when out of memory. Free with free(). */
void *shmring_bench_payload_new_rx(unsigned size);

/* Stamp msg (made by payload_new) with seq. */
void shmring_bench_payload_stamp(void *msg, unsigned size, uint64_t seq);

/* The sequence number in word 0. */
uint64_t shmring_bench_payload_seq(const void *msg);

/* 0 when msg is message seq intact, else -EBADMSG with the first fault
 * described in why. */
int shmring_bench_payload_check(const void *msg, unsigned size, uint64_t seq, char *why,
				size_t whylen);

#endif /* SHMRING_BENCH_PAYLOAD_H */
