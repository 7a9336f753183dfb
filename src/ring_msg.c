/* SPDX-License-Identifier: MIT */
/*
 * src/ring_msg.c - sending and receiving on the message ring
 * (SHMRING_KIND_MSG): copies, bursts and bulks, blocking and timed forms,
 * zero-copy.
 */
#include "src/internal.h"
#include "src/sock.h"

uint64_t shmring_msg_span(size_t len)
{
	/* Past this the span does not fit 64 bits (it wrapped to 0 or 16). */
	if ((uint64_t)len > UINT64_MAX - SHMRING_REC_HDR - (SHMRING_REC_ALIGN - 1))
		return UINT64_MAX;
	return shmring__rec_span(len);
}

static int msg_tx_check(const shmring_t *r)
{
	if (r->hdr.kind != SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	if (!(r->role & SHMRING_PRODUCER))
		return -EPERM;
	return r->qtx.held ? -EBUSY : 0;
}

static int msg_rx_check(const shmring_t *r)
{
	if (r->hdr.kind != SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	if (!(r->role & SHMRING_CONSUMER))
		return -EPERM;
	return r->qrx.held ? -EBUSY : 0;
}

/* A view's corrupt flag, reported once (see ring_fixed.c). */
static bool corrupt_once(struct shmring_msgring *v)
{
	bool c = v->corrupt;

	v->corrupt = false;
	return c;
}

/* Checks done: send m[0..n); the count, or 0 / -EMSGSIZE / -EPIPE. */
static int msg_send_n(shmring_t *r, const struct shmring_msgvec *m, unsigned n, bool all)
{
	int k;

	if (shmring__tx_gone(r))
		return -EPIPE;
	k = shmring__msg_send(&r->qtx, m, n, all);
	if (SHMRING_UNLIKELY(r->qtx.moved))
		/* Our sweep moved the release watermark: others may fit now. */
		shmring__ec_notify(&r->not_full, &r->qtx.prod->wakes);
	if (k > 0) {
		shmring__sent(r, &r->qtx.prod->wakes);
		if (SHMRING_UNLIKELY(r->stall_since))
			shmring__stall_end(r);
		shmring__moved(r, (uint64_t)k);
	}
	return k;
}

/* Checks done: receive into m[0..n); the count, or 0 / -EMSGSIZE / -EUCLEAN. */
static int msg_recv_n(shmring_t *r, struct shmring_msgvec *m, unsigned n, bool all)
{
	int k = shmring__msg_recv(&r->qrx, m, n, all);

	/* Room for producers comes when the watermark moves, which skipped
	 * records alone may do. */
	if (r->qrx.moved)
		shmring__ec_notify_batched(&r->not_full, k > 0 ? (uint64_t)k : 1, r->nf_batch,
					   &r->qrx.cons->wakes);
	if (k > 0 && SHMRING_UNLIKELY(r->stall_since))
		shmring__stall_end(r);
	if (k > 0)
		shmring__moved(r, (uint64_t)k);
	return k;
}

static int msg_tx_nothing(shmring_t *r)
{
	return shmring__tx_nothing(r, corrupt_once(&r->qtx));
}

static int msg_rx_nothing(shmring_t *r)
{
	return shmring__rx_nothing(r, corrupt_once(&r->qrx));
}

/*
 * A burst or bulk call's answer k, its checks passed (a count, 0, or the
 * core's -errno): the count, and why nothing moved for
 * shmring_last_error(). A receive that moved nothing looks for the peers
 * whatever the reason; a send only where the ring was full.
 */
static unsigned msg_moved(shmring_t *r, unsigned side, int k)
{
	int why = k;

	if (side == SHMRING__RX && k <= 0) {
		int rc = msg_rx_nothing(r);

		why = k < 0 ? k : rc;
	} else if (side == SHMRING__TX && k == 0) {
		why = msg_tx_nothing(r);
	}
	return shmring__why(r, side, k > 0 ? (unsigned)k : 0, why);
}

int shmring_msg_try_send(shmring_t *r, const void *buf, size_t len, uint32_t type)
{
	struct shmring_msgvec m = {.buf = (void *)(uintptr_t)buf, .len = len, .type = type};
	uint64_t d;
	int rc;

	if (SHMRING_UNLIKELY(r->sock))
		return shmring__sock_msg_try_send(r, buf, len, type);
	rc = msg_tx_check(r);
	if (rc)
		return rc;
	d = r->qtx.dropped;
	rc = msg_send_n(r, &m, 1, true);
	if (rc > 0)
		return r->qtx.dropped != d ? -SHMRING_EDROPPED : 0;
	return rc < 0 ? rc : msg_tx_nothing(r);
}

ssize_t shmring_msg_try_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type)
{
	struct shmring_msgvec m = {.buf = buf, .len = cap, .type = 0};
	int rc;

	if (SHMRING_UNLIKELY(r->sock))
		return shmring__sock_msg_try_recv(r, buf, cap, type);
	rc = msg_rx_check(r);
	if (rc)
		return rc;
	rc = msg_recv_n(r, &m, 1, true);
	if (rc <= 0) {
		if (rc == -EUCLEAN)
			corrupt_once(&r->qrx);
		return rc < 0 ? rc : msg_rx_nothing(r);
	}
	if (type)
		*type = m.type;
	return (ssize_t)m.len;
}

struct msg_op {
	shmring_t *r;
	struct shmring_msgvec m;
};

static int attempt_msg_send(void *ctx)
{
	struct msg_op *o = ctx;
	int k = msg_send_n(o->r, &o->m, 1, true);

	if (k)
		return k;
	return corrupt_once(&o->r->qtx) ? -SHMRING_ECORRUPT : 0;
}

static int attempt_msg_recv(void *ctx)
{
	struct msg_op *o = ctx;
	int k = msg_recv_n(o->r, &o->m, 1, true);

	if (k)
		return k;
	shmring__flush_freed(o->r);
	if (corrupt_once(&o->r->qrx))
		return -SHMRING_ECORRUPT;
	return shmring__rx_eos(o->r);
}

int shmring_msg_send(shmring_t *r, const void *buf, size_t len, uint32_t type, uint64_t deadline)
{
	struct msg_op o = {.r = r, .m = {.buf = (void *)(uintptr_t)buf, .len = len, .type = type}};
	uint64_t d;
	int rc;

	if (SHMRING_UNLIKELY(r->sock))
		return shmring__sock_msg_send(r, buf, len, type, deadline);
	rc = msg_tx_check(r);
	if (rc)
		return rc;
	if (len > r->hdr.slot_size)
		return -EMSGSIZE;
	d = r->qtx.dropped;
	rc = shmring__block(r, SHMRING_PRODUCER, attempt_msg_send, &o, deadline);
	if (rc < 0)
		return rc;
	return r->qtx.dropped != d ? -SHMRING_EDROPPED : 0;
}

ssize_t shmring_msg_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type, uint64_t deadline)
{
	struct msg_op o = {.r = r, .m = {.buf = buf, .len = cap, .type = 0}};
	int rc;

	if (SHMRING_UNLIKELY(r->sock))
		return shmring__sock_msg_recv(r, buf, cap, type, deadline);
	rc = msg_rx_check(r);
	if (rc)
		return rc;
	rc = shmring__block(r, SHMRING_CONSUMER, attempt_msg_recv, &o, deadline);
	if (rc < 0)
		return rc;
	if (type)
		*type = o.m.type;
	return (ssize_t)o.m.len;
}

void *shmring_msg_reserve(shmring_t *r, size_t len)
{
	void *p;
	int rc;

	if (!r)
		return NULL;
	rc = r->sock ? -EOPNOTSUPP : msg_tx_check(r);
	if (rc == 0 && shmring__tx_gone(r))
		rc = -EPIPE;
	if (rc) {
		shmring__why(r, SHMRING__TX, 0, rc);
		return NULL;
	}
	p = shmring__msg_reserve(&r->qtx, len);
	shmring__why(r, SHMRING__TX, p != NULL,
		     p ? 0 : len > r->hdr.slot_size ? -EMSGSIZE : msg_tx_nothing(r));
	return p;
}

int shmring_msg_commit(shmring_t *r, uint32_t type)
{
	int rc;

	if (!r)
		return -EINVAL;
	if (SHMRING_UNLIKELY(r->sock))
		return -EOPNOTSUPP;
	if (r->hdr.kind != SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	if (!(r->role & SHMRING_PRODUCER))
		return -EPERM;
	rc = shmring__msg_commit(&r->qtx, type);
	if (rc == 0 || rc == -SHMRING_EDROPPED) {
		shmring__sent(r, &r->qtx.prod->wakes);
		shmring__moved(r, 1);
	}
	return rc;
}

const void *shmring_msg_peek(shmring_t *r, size_t *len, uint32_t *type)
{
	const void *p;

	if (!r)
		return NULL;
	if (r->sock || r->hdr.kind != SHMRING_KIND_MSG || !(r->role & SHMRING_CONSUMER)) {
		shmring__why(r, SHMRING__RX, 0,
			     r->sock				 ? -EOPNOTSUPP
			     : r->hdr.kind != SHMRING_KIND_MSG ? -SHMRING_EKIND
							       : -EPERM);
		return NULL;
	}
	p = shmring__msg_peek(&r->qrx, len, type);
	if (r->qrx.moved) /* skipped records passed on the way */
		shmring__ec_notify_batched(&r->not_full, 1, r->nf_batch, &r->qrx.cons->wakes);
	shmring__why(r, SHMRING__RX, p != NULL, p ? 0 : msg_rx_nothing(r));
	if (p && SHMRING_UNLIKELY(r->stall_since))
		shmring__stall_end(r);
	return p;
}

int shmring_msg_release(shmring_t *r)
{
	int rc;

	if (!r)
		return -EINVAL;
	if (SHMRING_UNLIKELY(r->sock))
		return -EOPNOTSUPP;
	if (r->hdr.kind != SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	if (!(r->role & SHMRING_CONSUMER))
		return -EPERM;
	rc = shmring__msg_release(&r->qrx);
	if (rc == 0 && r->qrx.moved)
		shmring__ec_notify_batched(&r->not_full, 1, r->nf_batch, &r->qrx.cons->wakes);
	if (rc == 0)
		shmring__moved(r, 1);
	return rc;
}

/*
 * A bulk that moved nothing and never can (looked at only then): records
 * whose spans together pass the area (a send), or more records than the
 * area ever holds, each taking at least an empty record's span (a
 * receive). -EAGAIN would have the caller retry it for ever.
 */
static bool msg_bulk_never(const shmring_t *r, const struct shmring_msgvec *v, unsigned n,
			   unsigned side)
{
	uint64_t cap = r->hdr.capacity, sum = 0;

	if (side == SHMRING__RX)
		return n > cap / shmring__rec_span(0);
	/* Each len is at most the record limit here (else -EMSGSIZE), so
	 * neither a span nor the sum up to the area wraps. */
	for (unsigned i = 0; i < n && sum <= cap; i++)
		sum += shmring__rec_span(v[i].len);
	return sum > cap;
}

/*
 * The burst (all false) and bulk forms of a send: a burst's count is
 * clamped to what the core's int return holds, a bulk past it is refused.
 */
static unsigned msg_try_send_many(shmring_t *r, const struct shmring_msgvec *v, unsigned n,
				  bool all)
{
	int k;

	if (!r)
		return 0;
	if (r->sock && v)
		return shmring__sock_msg_try_send_many(r, v, n, all);
	/* Nothing asked for (n of 0) is -EINVAL, as for the fixed kinds. */
	k = !v || n == 0 || (all && n > INT32_MAX) ? -EINVAL : msg_tx_check(r);
	if (k)
		return shmring__why(r, SHMRING__TX, 0, k);
	k = msg_send_n(r, v, n > INT32_MAX ? INT32_MAX : n, all);
	if (k == 0 && all && msg_bulk_never(r, v, n, SHMRING__TX))
		return shmring__why(r, SHMRING__TX, 0, -EINVAL);
	return msg_moved(r, SHMRING__TX, k);
}

/* The burst and bulk forms of a receive, the count as for a send. */
static unsigned msg_try_recv_many(shmring_t *r, struct shmring_msgvec *v, unsigned n, bool all)
{
	int k;

	if (!r)
		return 0;
	if (r->sock && v)
		return shmring__sock_msg_try_recv_many(r, v, n, all);
	/* Nothing asked for (n of 0) is -EINVAL, as for the fixed kinds. */
	k = !v || n == 0 || (all && n > INT32_MAX) ? -EINVAL : msg_rx_check(r);
	if (k)
		return shmring__why(r, SHMRING__RX, 0, k);
	k = msg_recv_n(r, v, n > INT32_MAX ? INT32_MAX : n, all);
	if (k == 0 && all && msg_bulk_never(r, v, n, SHMRING__RX))
		return shmring__why(r, SHMRING__RX, 0, -EINVAL);
	/* A bulk short of n once every producer has gone: what is left, as
	 * the fixed kinds' bulk takes it. */
	if (k == 0 && all && n > 1 && shmring__rx_orphaned(r))
		k = msg_recv_n(r, v, n > INT32_MAX ? INT32_MAX : n, false);
	return msg_moved(r, SHMRING__RX, k);
}

unsigned shmring_msg_try_send_burst(shmring_t *r, const struct shmring_msgvec *v, unsigned n)
{
	return msg_try_send_many(r, v, n, false);
}

unsigned shmring_msg_try_send_bulk(shmring_t *r, const struct shmring_msgvec *v, unsigned n)
{
	return msg_try_send_many(r, v, n, true);
}

unsigned shmring_msg_try_recv_burst(shmring_t *r, struct shmring_msgvec *v, unsigned n)
{
	return msg_try_recv_many(r, v, n, false);
}

unsigned shmring_msg_try_recv_bulk(shmring_t *r, struct shmring_msgvec *v, unsigned n)
{
	return msg_try_recv_many(r, v, n, true);
}
