/* SPDX-License-Identifier: MIT */
/*
 * src/bench/mech_ring.c - the rings of the list (rings.h) as mechanisms of
 * `shmring bench`: shmring's own rings and the peer rings, through their
 * transports.
 *
 * One code serves every line: busy-poll on the try_ calls with a pause, the
 * transport's blocking calls, or bursts (throughput only). A round trip uses
 * two rings, one per direction; both are created by the parent before fork
 * and opened by each process after, as unrelated processes would.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "pair.h"
#include "rings.h"

/* A process's ends, and for bursts the messages send held back and those a
 * burst brought in that recv has not handed out yet. */
struct ring_handles {
	struct shmring_bench_ring_end *tx; /* producer on direction `side` */
	struct shmring_bench_ring_end *rx; /* consumer on direction 1 - side */
	unsigned char *txbuf, *rxbuf;
	unsigned txn, rxn, rxpos;
};

static const struct shmring_bench_ring_line *line_of(const struct shmring_bench_chan *c)
{
	return c->mech->arg;
}

static void ring_teardown(struct shmring_bench_chan *c)
{
	shmring_bench_rings_destroy(&c->priv);
}

static int ring_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return shmring_bench_rings_create(line_of(c), 2, c->size, 0, &c->priv, why, wl);
}

static int ring_attach(struct shmring_bench_chan *c)
{
	const struct shmring_bench_ring_line *l = line_of(c);
	bool block = l->style == SHMRING_BENCH_RING_BLOCK;
	struct ring_handles *h = calloc(1, sizeof(*h));
	int rc;

	if (!h)
		return -ENOMEM;
	c->scratch = h;
	if (l->batch) {
		h->txbuf = malloc((size_t)l->batch * c->size);
		h->rxbuf = malloc((size_t)l->batch * c->size);
		if (!h->txbuf || !h->rxbuf)
			return -ENOMEM;
	}
	rc = shmring_bench_ring_open(c->priv, (unsigned)c->side, true, block, &h->tx);
	if (rc == 0)
		rc = shmring_bench_ring_open(c->priv, (unsigned)(1 - c->side), false, block, &h->rx);
	return rc;
}

static void ring_detach(struct shmring_bench_chan *c)
{
	struct ring_handles *h = c->scratch;

	if (!h)
		return;
	shmring_bench_ring_close(h->tx);
	shmring_bench_ring_close(h->rx);
	free(h->txbuf);
	free(h->rxbuf);
	free(h);
	c->scratch = NULL;
}

/* Bursts: push out every held message, spinning while the ring is full. */
static int batch_flush(struct shmring_bench_chan *c)
{
	struct ring_handles *h = c->scratch;
	const struct shmring_bench_transport *t = h->tx->r->t;
	unsigned done = 0;
	int rc;

	while (done < h->txn) {
		int k = t->try_send_burst(h->tx, h->txbuf + (size_t)done * c->size, h->txn - done);

		if (k < 0)
			return k;
		if (k == 0 && (rc = shmring_bench_spin()) != 0)
			return rc;
		done += (unsigned)k;
	}
	h->txn = 0;
	return 0;
}

static int batch_send(struct shmring_bench_chan *c, const void *msg)
{
	struct ring_handles *h = c->scratch;

	memcpy(h->txbuf + (size_t)h->txn * c->size, msg, c->size);
	if (++h->txn < line_of(c)->batch)
		return 0;
	return batch_flush(c);
}

static int batch_recv(struct shmring_bench_chan *c, void *msg)
{
	struct ring_handles *h = c->scratch;
	const struct shmring_bench_transport *t = h->rx->r->t;
	int rc;

	while (h->rxpos == h->rxn) {
		int k = t->try_recv_burst(h->rx, h->rxbuf, line_of(c)->batch);

		if (k < 0)
			return k;
		if (k) {
			h->rxn = (unsigned)k;
			h->rxpos = 0;
			break;
		}
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	}
	memcpy(msg, h->rxbuf + (size_t)h->rxpos++ * c->size, c->size);
	return 0;
}

static int ring_send(struct shmring_bench_chan *c, const void *msg)
{
	const struct shmring_bench_ring_line *l = line_of(c);
	struct ring_handles *h = c->scratch;
	int rc;

	if (l->batch)
		return batch_send(c, msg);
	if (l->style == SHMRING_BENCH_RING_BLOCK)
		return l->t->send(h->tx, msg, c->deadline_ns);
	while ((rc = l->t->try_send(h->tx, msg)) == -EAGAIN)
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	return rc;
}

static int ring_recv(struct shmring_bench_chan *c, void *msg)
{
	const struct shmring_bench_ring_line *l = line_of(c);
	struct ring_handles *h = c->scratch;
	int rc;

	if (l->batch)
		return batch_recv(c, msg);
	if (l->style == SHMRING_BENCH_RING_BLOCK)
		return l->t->recv(h->rx, msg, c->deadline_ns);
	while ((rc = l->t->try_recv(h->rx, msg)) == -EAGAIN)
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	return rc;
}

/*
 * The mechanisms: the lines of the list marked PAIR or PAIR_FLOOR,
 * shmring_bench_mech_<id> (mechs.c puts them in its table). Bursts measure
 * throughput only, as a sender that holds messages back cannot take part in
 * a round trip.
 */
#define PAIR_MECH(id, transport, opts, style, batch, pair, pname, pdesc, ...)                      \
	SHMRING_BENCH_PICK(pair, PAIR)(const struct shmring_bench_mech shmring_bench_mech_##id = { \
		.name = pname,                                                                     \
		.desc = pdesc,                                                                     \
		.modes = (batch) ? SHMRING_BENCH_TPUT : SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,    \
		.max_size = SHMRING_BENCH_MAX_SIZE_##transport,                              \
		.why_not_rtt = (batch) ? SHMRING_BENCH_WHY_BATCH : NULL,                           \
		.floor_rtt = SHMRING_BENCH_FLOOR_RTT(pair),                                        \
		.arg = &shmring_bench_ring_line_##id,                                              \
		.setup = ring_setup,                                                               \
		.attach = ring_attach,                                                             \
		.send = ring_send,                                                                 \
		.recv = ring_recv,                                                                 \
		.detach = ring_detach,                                                             \
		.teardown = ring_teardown,                                                         \
		.flush = (batch) ? batch_flush : NULL,                                             \
	};)
SHMRING_BENCH_RINGS(PAIR_MECH)
