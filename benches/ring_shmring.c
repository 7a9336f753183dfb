/* SPDX-License-Identifier: MIT */
/*
 * benches/ring_shmring.c - shmring's SPSC ring through the public API: one
 * thread sending and receiving, bulk, and the two-thread pair.
 */

#include "rings.h"

#include "ringbuf/atomics.h"

#include <shmring/shmring.h>

#include <stdio.h>
#include <stdlib.h>

static int ring_create(const char *name, uint32_t slot, unsigned role, shmring_t **out)
{
	const struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC,
	    .slot_size = slot,
	    .capacity = BENCH_CAPACITY,
	    /* Page faults belong to the first lap, not to the figure. */
	    .flags = SHMRING_CREATE_PREFAULT,
	};
	return shmring_create(name, &o, role, out);
}

static void fail_rc(shmring_gb_state *st, const char *what, int rc)
{
	char msg[160];
	snprintf(msg, sizeof msg, "%s: %s", what, shmring_strerror(rc));
	shmring_gb_fail(st, msg);
}

/* --- One thread ---------------------------------------------------------- */

void bench_shmring_op(shmring_gb_state *st, void *arg)
{
	const uint32_t slot = (uint32_t)shmring_gb_range(st, 0);
	alignas(64) unsigned char in[BENCH_MAX_SLOT], out[BENCH_MAX_SLOT];
	char name[64];
	shmring_t *h;
	uint64_t seq = 0;

	(void)arg;
	bench_ring_name(name, sizeof name);
	int rc = ring_create(name, slot, SHMRING_PRODUCER | SHMRING_CONSUMER, &h);
	if (rc != 0) {
		fail_rc(st, "shmring_create", rc);
		return;
	}
	memset(in, 0xa5, sizeof in);
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++, seq++) {
			bench_msg_stamp(in, seq);
			if ((rc = shmring_try_send(h, in)) != 0) {
				fail_rc(st, "shmring_try_send into an empty ring", rc);
				break;
			}
			if ((rc = shmring_try_recv(h, out)) != 0) {
				fail_rc(st, "shmring_try_recv after a send", rc);
				break;
			}
			if (bench_msg_seq(out) != seq) {
				shmring_gb_fail(st, "received a message other than the one sent");
				break;
			}
		}
	}
	const int64_t iters = (int64_t)shmring_gb_iterations(st);
	shmring_gb_set_items_processed(st, iters);
	shmring_gb_set_bytes_processed(st, iters * slot);
	shmring_close(h);
	shmring_unlink(name);
}

void bench_shmring_bulk(shmring_gb_state *st, void *arg)
{
	const uint32_t slot = *(const uint32_t *)arg;
	const unsigned burst = (unsigned)shmring_gb_range(st, 0);
	static alignas(64) unsigned char in[BENCH_MAX_BULK * BENCH_MAX_SLOT];
	static alignas(64) unsigned char out[BENCH_MAX_BULK * BENCH_MAX_SLOT];
	char name[64];
	shmring_t *h;

	bench_ring_name(name, sizeof name);
	int rc = ring_create(name, slot, SHMRING_PRODUCER | SHMRING_CONSUMER, &h);
	if (rc != 0) {
		fail_rc(st, "shmring_create", rc);
		return;
	}
	for (unsigned i = 0; i < burst; i++)
		bench_msg_stamp(in + (size_t)i * slot, i);
	unsigned char *last = out + (size_t)(burst - 1) * slot;
	uint64_t seq = 0;
	for (uint64_t n; (n = shmring_gb_batch(st)) != 0;) {
		for (uint64_t i = 0; i < n; i++, seq++) {
			/* The first message carries the iteration, so a stale batch shows. */
			bench_msg_stamp(in, seq);
			if (shmring_try_send_bulk(h, in, burst) != burst) {
				shmring_gb_fail(st, "shmring_try_send_bulk into an empty ring");
				break;
			}
			if (shmring_try_recv_bulk(h, out, burst) != burst) {
				shmring_gb_fail(st, "shmring_try_recv_bulk after a send");
				break;
			}
			if (bench_msg_seq(out) != seq ||
			    (burst > 1 && bench_msg_seq(last) != burst - 1)) {
				shmring_gb_fail(st, "received messages other than the ones sent");
				break;
			}
		}
	}
	const int64_t msgs = (int64_t)shmring_gb_iterations(st) * burst;
	shmring_gb_set_items_processed(st, msgs);
	shmring_gb_set_bytes_processed(st, msgs * slot);
	shmring_close(h);
	shmring_unlink(name);
}

/* --- Two threads ---------------------------------------------------------- */

struct shm_pair {
	char name[2][64];     /* [0] a->b, [1] b->a */
	shmring_t *end[2][2]; /* [side][0] its sending end, [side][1] its receiving end */
};

static int pair_setup(struct bench_pair *p)
{
	struct shm_pair *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return -ENOMEM;
	bench_ring_name(s->name[0], sizeof s->name[0]);
	bench_ring_name(s->name[1], sizeof s->name[1]);
	/* Side 0 creates both rings and keeps its own ends of them. */
	rc = ring_create(s->name[0], p->slot, SHMRING_PRODUCER, &s->end[0][0]);
	if (rc != 0)
		goto out_free;
	rc = ring_create(s->name[1], p->slot, SHMRING_CONSUMER, &s->end[0][1]);
	if (rc != 0)
		goto out_first;
	p->ring = s;
	return 0;

out_first:
	shmring_close(s->end[0][0]);
	shmring_unlink(s->name[0]);
out_free:
	free(s);
	return rc;
}

static int pair_attach(struct bench_pair *p, int side)
{
	struct shm_pair *s = p->ring;
	int rc;

	if (side == 0)
		return 0; /* its ends came with creation */
	rc = shmring_open(s->name[0], SHMRING_CONSUMER, &s->end[1][1]);
	if (rc != 0)
		return rc;
	rc = shmring_open(s->name[1], SHMRING_PRODUCER, &s->end[1][0]);
	if (rc != 0) {
		shmring_close(s->end[1][1]);
		s->end[1][1] = NULL;
	}
	return rc;
}

static void pair_detach(struct bench_pair *p, int side)
{
	struct shm_pair *s = p->ring;

	shmring_close(s->end[side][0]);
	shmring_close(s->end[side][1]);
	s->end[side][0] = s->end[side][1] = NULL;
}

static void pair_teardown(struct bench_pair *p)
{
	struct shm_pair *s = p->ring;

	shmring_unlink(s->name[0]);
	shmring_unlink(s->name[1]);
	free(s);
	p->ring = NULL;
}

static inline int spin_send(struct bench_pair *p, shmring_t *h, const void *msg)
{
	int rc;
	while ((rc = shmring_try_send(h, msg)) == -EAGAIN) {
		if (bench_pair_stopped(p))
			return -1;
		shmring__cpu_relax();
	}
	if (rc != 0) {
		bench_pair_abort(p, "shmring_try_send failed");
		return -1;
	}
	return 0;
}

static inline int spin_recv(struct bench_pair *p, shmring_t *h, void *msg, uint64_t seq)
{
	int rc;
	while ((rc = shmring_try_recv(h, msg)) == -EAGAIN) {
		if (bench_pair_stopped(p))
			return -1;
		shmring__cpu_relax();
	}
	if (rc != 0) {
		bench_pair_abort(p, "shmring_try_recv failed");
		return -1;
	}
	if (bench_msg_seq(msg) != seq) {
		bench_pair_abort(p, "message lost, repeated or out of order");
		return -1;
	}
	return 0;
}

static int pair_stream(struct bench_pair *p, int side, uint64_t first, uint64_t n)
{
	struct shm_pair *s = p->ring;
	alignas(64) unsigned char msg[BENCH_MAX_SLOT] = {0};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg, i);
			if (spin_send(p, s->end[0][0], msg) != 0)
				return -1;
		} else if (spin_recv(p, s->end[1][1], msg, i) != 0) {
			return -1;
		}
	}
	return 0;
}

static int pair_pingpong(struct bench_pair *p, int side, uint64_t first, uint64_t n)
{
	struct shm_pair *s = p->ring;
	shmring_t *tx = s->end[side][0], *rx = s->end[side][1];
	alignas(64) unsigned char msg[BENCH_MAX_SLOT] = {0};

	for (uint64_t i = first; i < first + n; i++) {
		if (side == 0) {
			bench_msg_stamp(msg, i);
			if (spin_send(p, tx, msg) != 0 || spin_recv(p, rx, msg, i) != 0)
				return -1;
		} else if (spin_recv(p, rx, msg, i) != 0 || spin_send(p, tx, msg) != 0) {
			return -1;
		}
	}
	return 0;
}

const struct bench_pair_impl bench_pair_shmring = {
    .name = "shmring",
    .setup = pair_setup,
    .attach = pair_attach,
    .detach = pair_detach,
    .teardown = pair_teardown,
    .stream = pair_stream,
    .pingpong = pair_pingpong,
};
