/* SPDX-License-Identifier: MIT */
/*
 * src/bench/rings.c - the transports' common part (rings.h): making and
 * opening rings, and the shared part of every line of the list.
 */
#include <errno.h>
#include <stdlib.h>

#include "rings.h"

int shmring_bench_rings_create(const struct shmring_bench_ring_line *l, unsigned n, unsigned size,
			       unsigned hints, void **priv, char *why, size_t wl)
{
	struct shmring_bench_rings *r = calloc(1, sizeof(*r));
	int rc;

	*priv = NULL;
	if (!r)
		return -ENOMEM;
	r->t = l->t;
	r->o = &l->o;
	r->n = n;
	r->size = size;
	r->hints = hints;
	r->obj[0] = r->obj[1] = -1;
	rc = r->t->create(r, why, wl);
	if (rc) {
		free(r);
		return rc;
	}
	*priv = r;
	return 0;
}

void shmring_bench_rings_destroy(void **priv)
{
	struct shmring_bench_rings *r = *priv;

	if (!r)
		return;
	r->t->destroy(r);
	free(r);
	*priv = NULL;
}

int shmring_bench_ring_open(const struct shmring_bench_rings *r, unsigned i, bool producer,
			    bool block, struct shmring_bench_ring_end **out)
{
	struct shmring_bench_ring_end *e = calloc(1, sizeof(*e));

	*out = e;
	if (!e)
		return -ENOMEM;
	e->r = r;
	e->i = i;
	e->producer = producer;
	e->block = block;
	return r->t->open(e);
}

void shmring_bench_ring_close(struct shmring_bench_ring_end *e)
{
	if (!e)
		return;
	e->r->t->close(e);
	free(e);
}

#define LINE(id, transport, opts, mstyle, mbatch, ...)                                             \
	const struct shmring_bench_ring_line shmring_bench_ring_line_##id = {                      \
		.t = &shmring_bench_transport_##transport,                                         \
		.o = {SHMRING_BENCH_UNPAREN opts},                                                 \
		.style = SHMRING_BENCH_RING_##mstyle,                                              \
		.batch = (mbatch),                                                                 \
	};
SHMRING_BENCH_RINGS(LINE)
_Static_assert(SHMRING_BENCH_BATCH <= SHMRING_BENCH_RING_MAX_BATCH,
	       "batch above the bursts' buffers");
