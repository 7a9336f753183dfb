/* SPDX-License-Identifier: MIT */
/*
 * src/ring.c - the public ring API: create, open, close, send, receive.
 */
#include "src/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define INIT_WAIT_NS 1000000000u /* how long an open waits for a creator to finish */
/* A producer parked on a full ring re-checks this often even unwoken: wakes
 * for freed space are batched, and a consumer may stop short of a batch. */
#define NOT_FULL_MAX_SLEEP_NS 10000000u

/* --- Opening ------------------------------------------------------------- */

struct create_arg {
	uint32_t kind;
	uint32_t flags;
	const struct shmring_geometry *g;
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int init_segment(void *base, uint64_t size, const struct shmring_region *rg, void *arg)
{
	const struct create_arg *a = arg;
	struct shmring_hdr h;
	_Atomic uint64_t *magic = (_Atomic uint64_t *)base;

	(void)rg;
	if (size < a->g->total_size)
		return -SHMRING_ETRUNCATED;
	shmring__hdr_init(&h, a->kind, a->flags, a->g, (uint32_t)geteuid(), (uint32_t)getpid(),
			  realtime_ns());
	/* Everything but the magic, which announces a complete header. */
	memcpy((char *)base + sizeof(h.magic), (const char *)&h + sizeof(h.magic),
	       sizeof(h) - sizeof(h.magic));
	/* Release: pairs with the acquire in read_header(). */
	shmring__store_release(magic, h.magic);
	return 0;
}

/* Copy the header out of the segment once the creator has published it. */
static int read_header(void *base, uint64_t size, struct shmring_hdr *h)
{
	_Atomic uint64_t *magic = (_Atomic uint64_t *)base;
	uint64_t deadline = shmring__now_ns() + INIT_WAIT_NS;
	uint64_t m;

	if (size < sizeof(*h))
		return -SHMRING_ETRUNCATED;
	/*
	 * Acquire: pairs with the release in init_segment(). A zero magic means
	 * the creator is still writing the rest of the header (so its other
	 * bytes prove nothing yet): wait. Only once the wait is over, judge
	 * them: all zero is a creator that never finished, anything else is
	 * not a shmring segment.
	 */
	while ((m = shmring__load_acquire(magic)) == 0) {
		if (shmring__now_ns() >= deadline) {
			const unsigned char *p = base;

			for (size_t i = 0; i < sizeof(*h); i++)
				if (p[i])
					return -SHMRING_EBADMAGIC;
			return -EAGAIN;
		}
		usleep(1000);
	}
	memcpy(h, base, sizeof(*h));
	h->magic = m;
	return 0;
}

static int validate_segment(void *base, uint64_t size, const struct shmring_region *rg, void *arg)
{
	struct shmring_hdr h;
	int rc = read_header(base, size, &h);

	(void)arg;
	if (rc < 0)
		return rc;
	rc = shmring__hdr_validate(&h, size);
	if (rc < 0)
		return rc;
	if (h.creator_uid != rg->owner_uid)
		return -SHMRING_EOWNER;
	return shmring__indices_validate(base, &h);
}

static void release_parts(shmring_t *r)
{
	for (int i = 0; i < 2; i++)
		if (r->part[i] >= 0)
			shmring__part_release(&shmring__parts(r->base)[r->part[i]]);
	r->part[0] = r->part[1] = -1;
}

/* Claim the participant entry for one role: the fixed entry of a single
 * role, or any shared one. Returns the index or -errno. */
static int claim_role(shmring_t *r, unsigned role, bool many)
{
	struct shmring_part *parts = shmring__parts(r->base);
	uint32_t sole = role == SHMRING_PRODUCER ? SHMRING_PART_SOLE_PRODUCER
						 : SHMRING_PART_SOLE_CONSUMER;
	int rc;

	if (many)
		return shmring__part_claim_any(r->base, &r->hdr, role);
	rc = shmring__part_claim(&parts[sole], role);
	return rc < 0 ? rc : (int)sole;
}

/* Which copy paths may skip the checks: SPSC with the role and nothing held. */
static void fast_update(shmring_t *r)
{
	r->fast = 0;
	if (r->hdr.kind != SHMRING_KIND_SPSC)
		return;
	if ((r->role & SHMRING_PRODUCER) && !r->spsc_tx_held)
		r->fast |= SHMRING__FAST_TX;
	if ((r->role & SHMRING_CONSUMER) && !r->spsc_rx_held)
		r->fast |= SHMRING__FAST_RX;
}

/* The participant index a side stamps (0 for a side not taken). */
static uint32_t owner_of(int part)
{
	return part < 0 ? 0 : (uint32_t)part;
}

static int attach(shmring_t *r, unsigned role)
{
	uint32_t kind = r->hdr.kind;
	int rc;

	r->role = role;
	r->multi = shmring__hdr_multi(&r->hdr);
	if (kind != SHMRING_KIND_SPSC && kind != SHMRING_KIND_MSG &&
	    !shmring__mring_ops(kind, &r->ops))
		return -SHMRING_EVERSION;
	if (role & SHMRING_PRODUCER) {
		rc = claim_role(r, SHMRING_PRODUCER, r->multi & SHMRING_HDR_MULTI_PRODUCER);
		if (rc < 0)
			return rc;
		r->part[0] = rc;
	}
	if (role & SHMRING_CONSUMER) {
		rc = claim_role(r, SHMRING_CONSUMER, r->multi & SHMRING_HDR_MULTI_CONSUMER);
		if (rc < 0) {
			release_parts(r);
			return rc;
		}
		r->part[1] = rc;
	}
	/* Each side stamps its own entry's index in what it claims. */
	if (kind == SHMRING_KIND_SPSC) {
		shmring__spsc_view(&r->tx, r->base, &r->hdr);
		shmring__spsc_view(&r->rx, r->base, &r->hdr);
		if (role & SHMRING_PRODUCER)
			shmring__spsc_attach_producer(&r->tx);
		if (role & SHMRING_CONSUMER)
			shmring__spsc_attach_consumer(&r->rx);
	} else if (kind == SHMRING_KIND_MSG) {
		shmring__msg_view(&r->qtx, r->base, &r->hdr, owner_of(r->part[0]));
		shmring__msg_view(&r->qrx, r->base, &r->hdr, owner_of(r->part[1]));
		if (role & SHMRING_PRODUCER)
			shmring__msg_attach_producer(&r->qtx);
		if (role & SHMRING_CONSUMER)
			shmring__msg_attach_consumer(&r->qrx);
	} else {
		shmring__mring_view(&r->mtx, r->base, &r->hdr, owner_of(r->part[0]));
		shmring__mring_view(&r->mrx, r->base, &r->hdr, owner_of(r->part[1]));
		if (role & SHMRING_PRODUCER)
			shmring__mring_attach_producer(&r->mtx, r->ops.mp);
		if (role & SHMRING_CONSUMER)
			shmring__mring_attach_consumer(&r->mrx, r->ops.mc);
	}
	fast_update(r);
	return 0;
}

static int handle_new(struct shmring_map *m, unsigned role, shmring_t **out)
{
	shmring_t *r = calloc(1, sizeof(*r));
	struct shmring_waitword *ne, *nf;
	int rc;

	if (!r) {
		shmring__map_put(m);
		return -ENOMEM;
	}
	r->map = m;
	r->base = shmring__map_base(m);
	r->part[0] = r->part[1] = -1;
	/* The header is immutable once published and was validated from a copy;
	 * take a fresh copy and re-check it, so nothing later re-reads shared
	 * memory for geometry. */
	memcpy(&r->hdr, r->base, sizeof(r->hdr));
	rc = shmring__hdr_validate(&r->hdr, shmring__map_size(m));
	if (rc == 0)
		rc = attach(r, role);
	if (rc < 0) {
		shmring__map_put(m);
		free(r);
		return rc;
	}
	ne = shmring__not_empty(r->base);
	nf = shmring__not_full(r->base);
	r->not_empty = (struct shmring_ec){.seq = &ne->seq, .waiters = &ne->waiters};
	r->not_full = (struct shmring_ec){.seq = &nf->seq, .waiters = &nf->waiters,
					  .max_sleep_ns = NOT_FULL_MAX_SLEEP_NS};
	/* An eighth of the ring per wake: producers wake to room for a run of
	 * sends, and the consumer makes one futex call per that many. */
	r->nf_batch = r->hdr.kind == SHMRING_KIND_MSG
			      ? r->hdr.capacity / (8 * shmring_msg_span(r->hdr.slot_size))
			      : r->hdr.capacity / 8;
	if (r->nf_batch == 0)
		r->nf_batch = 1;
	shmring__waiter_init(&r->wait, SHMRING_WAIT_ADAPTIVE, 0);
	*out = r;
	return 0;
}

static bool role_ok(unsigned role)
{
	return (role & ~(unsigned)(SHMRING_PRODUCER | SHMRING_CONSUMER)) == 0;
}

int shmring_create(const char *uri, const struct shmring_opts *opts, unsigned role,
		   shmring_t **out)
{
	struct shmring_uri u;
	struct shmring_geometry g;
	struct shmring_region rg;
	struct shmring_map *m;
	struct create_arg a;
	uint32_t kind, mode, flags;
	int rc;

	if (out)
		*out = NULL; /* a failed create never leaves a handle */
	if (!opts || !out || !role_ok(role))
		return -EINVAL;
	rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	kind = opts->kind ? opts->kind : SHMRING_KIND_SPSC;
	if (kind < SHMRING_KIND_SPSC || kind > SHMRING_KIND_MSG)
		return -EINVAL;
	if (opts->flags & ~(uint32_t)(SHMRING_CREATE_PREFAULT | SHMRING_CREATE_REPLACE |
				      SHMRING_CREATE_MULTI_PRODUCER |
				      SHMRING_CREATE_MULTI_CONSUMER))
		return -EINVAL;
	flags = opts->flags;
	if (kind != SHMRING_KIND_MSG) {
		/* The fixed kinds imply their multi bits; asking for others is an error. */
		struct shmring_hdr probe = {.kind = kind};
		uint32_t implied = shmring__hdr_multi(&probe);

		if (flags & (SHMRING_HDR_MULTI_PRODUCER | SHMRING_HDR_MULTI_CONSUMER) & ~implied)
			return -EINVAL;
		flags |= implied;
	}
	for (size_t i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
		if (opts->reserved[i])
			return -EINVAL;
	mode = opts->mode ? opts->mode : SHMRING_DEFAULT_MODE;
	if (mode & ~0777u)
		return -EINVAL;
	rc = shmring__geometry_kind(kind, opts->capacity, opts->slot_size, 0, &g);
	if (rc < 0)
		return rc;
	rc = shmring__region_create(&u, g.total_size, mode, opts->flags & SHMRING_CREATE_REPLACE,
				    &rg);
	if (rc < 0)
		return rc;
	a = (struct create_arg){.kind = kind, .flags = flags, .g = &g};
	rc = shmring__map_get(&rg, opts->flags & SHMRING_CREATE_PREFAULT, init_segment, &a, &m);
	if (rc == 0)
		rc = handle_new(m, role, out);
	if (rc < 0)
		shmring__region_unlink(&u);
	return rc;
}

int shmring_open(const char *uri, unsigned role, shmring_t **out)
{
	struct shmring_uri u;
	struct shmring_region rg;
	struct shmring_map *m;
	int rc;

	if (out)
		*out = NULL; /* a failed open never leaves a handle */
	if (!out || !role_ok(role))
		return -EINVAL;
	rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	rc = shmring__region_open(&u, &rg);
	if (rc < 0)
		return rc;
	rc = shmring__map_get(&rg, false, validate_segment, NULL, &m);
	if (rc < 0)
		return rc;
	return handle_new(m, role, out);
}

/* What a handle still holds at close: see shmring_close() in ring.h. */
static void drop_held(shmring_t *r)
{
	if (r->hdr.kind == SHMRING_KIND_MSG) {
		if (r->qtx.held && r->qtx.mp)
			shmring__msg_commit(&r->qtx, 0);
		if (r->qrx.held)
			shmring__msg_release(&r->qrx);
	} else if (r->hdr.kind != SHMRING_KIND_SPSC) {
		if (r->mtx.held && r->ops.mp)
			r->ops.commit(&r->mtx, r->mtx.held);
		if (r->mrx.held && r->ops.mc)
			r->ops.release(&r->mrx, r->mrx.held);
	}
}

int shmring_close(shmring_t *r)
{
	if (!r)
		return 0;
	drop_held(r);
	release_parts(r);
	shmring__map_put(r->map);
	free(r);
	return 0;
}

int shmring_unlink(const char *uri)
{
	struct shmring_uri u;
	int rc = shmring__uri_parse(uri, &u);

	return rc < 0 ? rc : shmring__region_unlink(&u);
}

int shmring_set_wait(shmring_t *r, const struct shmring_wait *w)
{
	if (!r || !w || w->mode > SHMRING_WAIT_PARK || w->reserved)
		return -EINVAL;
	shmring__waiter_init(&r->wait, w->mode, w->spin_ns);
	return 0;
}

/* --- Moving messages: fixed slots ---------------------------------------- */

/*
 * Consumers tell parked producers about freed space in batches (see
 * shmring__ec_notify_batched()): one wake per nf_batch units freed, and at
 * once when a consumer finds the ring empty.
 */
static inline void freed(shmring_t *r, uint64_t units, _Atomic uint64_t *wakes)
{
	shmring__ec_notify_batched(&r->not_full, &r->nf_pending, units, r->nf_batch, wakes);
}

static inline void drained(shmring_t *r, _Atomic uint64_t *wakes)
{
	if (SHMRING_UNLIKELY(r->nf_pending))
		shmring__ec_flush(&r->not_full, &r->nf_pending, wakes);
}

/* The SPSC fast paths: taken only when r->fast says the checks passed. */
static inline unsigned send_n(shmring_t *r, const void *msgs, unsigned n, bool all)
{
	unsigned k = shmring__spsc_send(&r->tx, msgs, n, all);

	if (k)
		shmring__ec_notify(&r->not_empty, &r->tx.prod->wakes);
	return k;
}

static inline unsigned recv_n(shmring_t *r, void *msgs, unsigned n, bool all)
{
	unsigned k = shmring__spsc_recv(&r->rx, msgs, n, all);

	if (k)
		freed(r, k, &r->rx.cons->wakes);
	else
		drained(r, &r->rx.cons->wakes);
	return k;
}

/* The other fixed kinds, through their per-kind entry points. */
static unsigned send_multi(shmring_t *r, const void *msgs, unsigned n, bool all)
{
	unsigned k = r->ops.send(&r->mtx, msgs, n, all);

	if (k)
		shmring__ec_notify(&r->not_empty, &r->mtx.prod->wakes);
	return k;
}

static unsigned recv_multi(shmring_t *r, void *msgs, unsigned n, bool all)
{
	unsigned k = r->ops.recv(&r->mrx, msgs, n, all);

	if (k)
		freed(r, k, &r->mrx.cons->wakes);
	else
		drained(r, &r->mrx.cons->wakes);
	return k;
}

/* Why a fixed-slot send (receive) cannot run on this handle; 0 if it can. */
static int tx_check(const shmring_t *r)
{
	if (r->hdr.kind == SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	if (!(r->role & SHMRING_PRODUCER))
		return -EPERM;
	if (r->spsc_tx_held || r->mtx.held)
		return -EBUSY;
	return 0;
}

static int rx_check(const shmring_t *r)
{
	if (r->hdr.kind == SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	if (!(r->role & SHMRING_CONSUMER))
		return -EPERM;
	if (r->spsc_rx_held || r->mrx.held)
		return -EBUSY;
	return 0;
}

/* Any fixed kind, checks done. */
static unsigned send_any(shmring_t *r, const void *msgs, unsigned n, bool all)
{
	return r->hdr.kind == SHMRING_KIND_SPSC ? send_n(r, msgs, n, all)
						 : send_multi(r, msgs, n, all);
}

static unsigned recv_any(shmring_t *r, void *msgs, unsigned n, bool all)
{
	return r->hdr.kind == SHMRING_KIND_SPSC ? recv_n(r, msgs, n, all)
						 : recv_multi(r, msgs, n, all);
}

static unsigned try_send_slow(shmring_t *r, const void *msgs, unsigned n, bool all, int *rc)
{
	*rc = tx_check(r);
	return *rc ? 0 : send_any(r, msgs, n, all);
}

static unsigned try_recv_slow(shmring_t *r, void *msgs, unsigned n, bool all, int *rc)
{
	*rc = rx_check(r);
	return *rc ? 0 : recv_any(r, msgs, n, all);
}

int shmring_try_send(shmring_t *r, const void *msg)
{
	int rc;

	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_TX))
		return send_n(r, msg, 1, true) ? 0 : -EAGAIN;
	if (try_send_slow(r, msg, 1, true, &rc))
		return 0;
	return rc ? rc : -EAGAIN;
}

int shmring_try_recv(shmring_t *r, void *msg)
{
	int rc;

	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_RX))
		return recv_n(r, msg, 1, true) ? 0 : -EAGAIN;
	if (try_recv_slow(r, msg, 1, true, &rc))
		return 0;
	return rc ? rc : -EAGAIN;
}

unsigned shmring_try_send_bulk(shmring_t *r, const void *msgs, unsigned n)
{
	int rc;

	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_TX))
		return send_n(r, msgs, n, true);
	return try_send_slow(r, msgs, n, true, &rc);
}

unsigned shmring_try_send_burst(shmring_t *r, const void *msgs, unsigned n)
{
	int rc;

	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_TX))
		return send_n(r, msgs, n, false);
	return try_send_slow(r, msgs, n, false, &rc);
}

unsigned shmring_try_recv_bulk(shmring_t *r, void *msgs, unsigned n)
{
	int rc;

	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_RX))
		return recv_n(r, msgs, n, true);
	return try_recv_slow(r, msgs, n, true, &rc);
}

unsigned shmring_try_recv_burst(shmring_t *r, void *msgs, unsigned n)
{
	int rc;

	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_RX))
		return recv_n(r, msgs, n, false);
	return try_recv_slow(r, msgs, n, false, &rc);
}

/* One blocking operation: what shmring__wait() retries. */
struct op {
	shmring_t *r;
	void *buf;
	unsigned n;
	bool all;
};

static bool tx_corrupt(const shmring_t *r)
{
	return r->tx.corrupt || r->mtx.corrupt || r->qtx.corrupt;
}

static bool rx_corrupt(const shmring_t *r)
{
	return r->rx.corrupt || r->mrx.corrupt || r->qrx.corrupt;
}

static int attempt_send(void *ctx)
{
	struct op *o = ctx;
	unsigned k = send_any(o->r, o->buf, o->n, o->all);

	if (k)
		return (int)k;
	return tx_corrupt(o->r) ? -SHMRING_ECORRUPT : 0;
}

static int attempt_recv(void *ctx)
{
	struct op *o = ctx;
	unsigned k = recv_any(o->r, o->buf, o->n, o->all);

	if (k)
		return (int)k;
	return rx_corrupt(o->r) ? -SHMRING_ECORRUPT : 0;
}

static int blocking_send(shmring_t *r, const void *msgs, unsigned n, bool all, uint64_t deadline)
{
	struct op o = {.r = r, .buf = (void *)(uintptr_t)msgs, .n = n, .all = all};
	int rc = tx_check(r);

	if (rc)
		return rc;
	if (n == 0 || n > INT32_MAX || (all && n > r->hdr.capacity))
		return -EINVAL;
	return shmring__wait(&r->wait, &r->not_full, attempt_send, &o, deadline,
			     &shmring__prod_side(r->base)->waits);
}

static int blocking_recv(shmring_t *r, void *msgs, unsigned n, bool all, uint64_t deadline)
{
	struct op o = {.r = r, .buf = msgs, .n = n, .all = all};
	int rc = rx_check(r);

	if (rc)
		return rc;
	if (n == 0 || n > INT32_MAX || (all && n > r->hdr.capacity))
		return -EINVAL;
	return shmring__wait(&r->wait, &r->not_empty, attempt_recv, &o, deadline,
			     &shmring__cons_side(r->base)->waits);
}

int shmring_send(shmring_t *r, const void *msg, uint64_t deadline)
{
	int rc = blocking_send(r, msg, 1, true, deadline);

	return rc < 0 ? rc : 0;
}

int shmring_recv(shmring_t *r, void *msg, uint64_t deadline)
{
	int rc = blocking_recv(r, msg, 1, true, deadline);

	return rc < 0 ? rc : 0;
}

int shmring_send_bulk(shmring_t *r, const void *msgs, unsigned n, uint64_t deadline)
{
	return blocking_send(r, msgs, n, true, deadline);
}

int shmring_send_burst(shmring_t *r, const void *msgs, unsigned n, uint64_t deadline)
{
	return blocking_send(r, msgs, n, false, deadline);
}

int shmring_recv_bulk(shmring_t *r, void *msgs, unsigned n, uint64_t deadline)
{
	return blocking_recv(r, msgs, n, true, deadline);
}

int shmring_recv_burst(shmring_t *r, void *msgs, unsigned n, uint64_t deadline)
{
	return blocking_recv(r, msgs, n, false, deadline);
}

/* --- Zero-copy: fixed slots ---------------------------------------------- */

/* Like tx_check()/rx_check(), but holding is allowed. */
static int zc_tx_check(const shmring_t *r)
{
	if (r->hdr.kind == SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	return (r->role & SHMRING_PRODUCER) ? 0 : -EPERM;
}

static int zc_rx_check(const shmring_t *r)
{
	if (r->hdr.kind == SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	return (r->role & SHMRING_CONSUMER) ? 0 : -EPERM;
}

unsigned shmring_reserve_burst(shmring_t *r, unsigned n, void **slots)
{
	unsigned k;

	if (!r || !slots || n == 0 || zc_tx_check(r))
		return 0;
	if (r->hdr.kind != SHMRING_KIND_SPSC)
		return r->ops.reserve(&r->mtx, n, slots);
	if (r->spsc_tx_held)
		/* Free space only grows: this returns the held slots again. */
		return shmring__spsc_reserve(&r->tx, n < r->spsc_tx_held ? n : r->spsc_tx_held,
					     slots);
	k = shmring__spsc_reserve(&r->tx, n, slots);
	r->spsc_tx_held = k;
	fast_update(r);
	return k;
}

void *shmring_reserve(shmring_t *r)
{
	void *slot;

	return shmring_reserve_burst(r, 1, &slot) ? slot : NULL;
}

int shmring_commit_burst(shmring_t *r, unsigned n)
{
	int rc;

	if (!r)
		return -EINVAL;
	rc = zc_tx_check(r);
	if (rc)
		return rc;
	if (r->hdr.kind != SHMRING_KIND_SPSC) {
		rc = r->ops.commit(&r->mtx, n);
		if (rc == 0)
			shmring__ec_notify(&r->not_empty, &r->mtx.prod->wakes);
		return rc;
	}
	if (n == 0 || n > r->spsc_tx_held)
		return -EINVAL;
	shmring__spsc_commit(&r->tx, n);
	r->spsc_tx_held = 0;
	fast_update(r);
	shmring__ec_notify(&r->not_empty, &r->tx.prod->wakes);
	return 0;
}

int shmring_commit(shmring_t *r)
{
	return shmring_commit_burst(r, 1);
}

unsigned shmring_peek_burst(shmring_t *r, unsigned n, const void **slots)
{
	unsigned k;

	if (!r || !slots || n == 0 || zc_rx_check(r))
		return 0;
	if (r->hdr.kind != SHMRING_KIND_SPSC)
		return r->ops.peek(&r->mrx, n, slots);
	if (r->spsc_rx_held)
		return shmring__spsc_peek(&r->rx, n < r->spsc_rx_held ? n : r->spsc_rx_held, slots);
	k = shmring__spsc_peek(&r->rx, n, slots);
	r->spsc_rx_held = k;
	fast_update(r);
	return k;
}

const void *shmring_peek(shmring_t *r)
{
	const void *slot;

	return shmring_peek_burst(r, 1, &slot) ? slot : NULL;
}

int shmring_release_burst(shmring_t *r, unsigned n)
{
	int rc;

	if (!r)
		return -EINVAL;
	rc = zc_rx_check(r);
	if (rc)
		return rc;
	if (r->hdr.kind != SHMRING_KIND_SPSC) {
		rc = r->ops.release(&r->mrx, n);
		if (rc == 0)
			freed(r, n, &r->mrx.cons->wakes);
		return rc;
	}
	if (n == 0 || n > r->spsc_rx_held)
		return -EINVAL;
	shmring__spsc_release(&r->rx, n);
	r->spsc_rx_held = 0;
	fast_update(r);
	freed(r, n, &r->rx.cons->wakes);
	return 0;
}

int shmring_release(shmring_t *r)
{
	return shmring_release_burst(r, 1);
}

/* --- Message ring -------------------------------------------------------- */

uint64_t shmring_msg_span(size_t len)
{
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

/* Checks done: send m[0..n); the count, or 0 / -EMSGSIZE. */
static int msg_send_n(shmring_t *r, const struct shmring_msgvec *m, unsigned n, bool all)
{
	int k = shmring__msg_send(&r->qtx, m, n, all);

	if (k > 0)
		shmring__ec_notify(&r->not_empty, &r->qtx.prod->wakes);
	return k;
}

/* Checks done: receive into m[0..n); the count, or 0 / -EMSGSIZE / -EUCLEAN. */
static int msg_recv_n(shmring_t *r, struct shmring_msgvec *m, unsigned n, bool all)
{
	int k = shmring__msg_recv(&r->qrx, m, n, all);

	if (k > 0)
		freed(r, (uint64_t)k, &r->qrx.cons->wakes);
	else if (k == 0)
		drained(r, &r->qrx.cons->wakes);
	return k;
}

int shmring_msg_try_send(shmring_t *r, const void *buf, size_t len, uint32_t type)
{
	struct shmring_msgvec m = {.buf = (void *)(uintptr_t)buf, .len = len, .type = type};
	int rc = msg_tx_check(r);

	if (rc)
		return rc;
	rc = msg_send_n(r, &m, 1, true);
	return rc > 0 ? 0 : rc < 0 ? rc : -EAGAIN;
}

ssize_t shmring_msg_try_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type)
{
	struct shmring_msgvec m = {.buf = buf, .len = cap, .type = 0};
	int rc = msg_rx_check(r);

	if (rc)
		return rc;
	rc = msg_recv_n(r, &m, 1, true);
	if (rc <= 0)
		return rc < 0 ? rc : -EAGAIN;
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
	return o->r->qtx.corrupt ? -SHMRING_ECORRUPT : 0;
}

static int attempt_msg_recv(void *ctx)
{
	struct msg_op *o = ctx;
	int k = msg_recv_n(o->r, &o->m, 1, true);

	if (k)
		return k;
	return o->r->qrx.corrupt ? -SHMRING_ECORRUPT : 0;
}

int shmring_msg_send(shmring_t *r, const void *buf, size_t len, uint32_t type, uint64_t deadline)
{
	struct msg_op o = {.r = r, .m = {.buf = (void *)(uintptr_t)buf, .len = len, .type = type}};
	int rc = msg_tx_check(r);

	if (rc)
		return rc;
	if (len > r->hdr.slot_size)
		return -EMSGSIZE;
	rc = shmring__wait(&r->wait, &r->not_full, attempt_msg_send, &o, deadline,
			   &shmring__prod_side(r->base)->waits);
	return rc < 0 ? rc : 0;
}

ssize_t shmring_msg_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type, uint64_t deadline)
{
	struct msg_op o = {.r = r, .m = {.buf = buf, .len = cap, .type = 0}};
	int rc = msg_rx_check(r);

	if (rc)
		return rc;
	rc = shmring__wait(&r->wait, &r->not_empty, attempt_msg_recv, &o, deadline,
			   &shmring__cons_side(r->base)->waits);
	if (rc < 0)
		return rc;
	if (type)
		*type = o.m.type;
	return (ssize_t)o.m.len;
}

void *shmring_msg_reserve(shmring_t *r, size_t len)
{
	if (!r || msg_tx_check(r))
		return NULL;
	return shmring__msg_reserve(&r->qtx, len);
}

int shmring_msg_commit(shmring_t *r, uint32_t type)
{
	int rc;

	if (!r)
		return -EINVAL;
	if (r->hdr.kind != SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	if (!(r->role & SHMRING_PRODUCER))
		return -EPERM;
	rc = shmring__msg_commit(&r->qtx, type);
	if (rc == 0)
		shmring__ec_notify(&r->not_empty, &r->qtx.prod->wakes);
	return rc;
}

const void *shmring_msg_peek(shmring_t *r, size_t *len, uint32_t *type)
{
	if (!r || r->hdr.kind != SHMRING_KIND_MSG || !(r->role & SHMRING_CONSUMER))
		return NULL;
	return shmring__msg_peek(&r->qrx, len, type);
}

int shmring_msg_release(shmring_t *r)
{
	int rc;

	if (!r)
		return -EINVAL;
	if (r->hdr.kind != SHMRING_KIND_MSG)
		return -SHMRING_EKIND;
	if (!(r->role & SHMRING_CONSUMER))
		return -EPERM;
	rc = shmring__msg_release(&r->qrx);
	if (rc == 0)
		freed(r, 1, &r->qrx.cons->wakes);
	return rc;
}

unsigned shmring_msg_try_send_burst(shmring_t *r, const struct shmring_msgvec *v, unsigned n)
{
	int k;

	if (!r || !v || msg_tx_check(r))
		return 0;
	if (n > INT32_MAX)
		n = INT32_MAX; /* the count must fit the int the core returns */
	k = msg_send_n(r, v, n, false);
	return k > 0 ? (unsigned)k : 0;
}

unsigned shmring_msg_try_send_bulk(shmring_t *r, const struct shmring_msgvec *v, unsigned n)
{
	int k;

	if (!r || !v || n > INT32_MAX || msg_tx_check(r))
		return 0;
	k = msg_send_n(r, v, n, true);
	return k > 0 ? (unsigned)k : 0;
}

unsigned shmring_msg_try_recv_burst(shmring_t *r, struct shmring_msgvec *v, unsigned n)
{
	int k;

	if (!r || !v || msg_rx_check(r))
		return 0;
	if (n > INT32_MAX)
		n = INT32_MAX; /* the count must fit the int the core returns */
	k = msg_recv_n(r, v, n, false);
	return k > 0 ? (unsigned)k : 0;
}

unsigned shmring_msg_try_recv_bulk(shmring_t *r, struct shmring_msgvec *v, unsigned n)
{
	int k;

	if (!r || !v || n > INT32_MAX || msg_rx_check(r))
		return 0;
	k = msg_recv_n(r, v, n, true);
	return k > 0 ? (unsigned)k : 0;
}

/* --- Information --------------------------------------------------------- */

uint64_t shmring_count(shmring_t *r)
{
	/* Relaxed: a snapshot for display; no data is read through it. */
	uint64_t prod = shmring__load_relaxed(&shmring__prod_side(r->base)->pos);
	uint64_t cons = shmring__load_relaxed(&shmring__cons_side(r->base)->pos);

	if (cons >= prod)
		return 0;
	return prod - cons > r->hdr.capacity ? r->hdr.capacity : prod - cons;
}

int shmring_info(shmring_t *r, struct shmring_info *info)
{
	struct shmring_side *prod, *cons;

	if (!r || !info)
		return -EINVAL;
	prod = shmring__prod_side(r->base);
	cons = shmring__cons_side(r->base);
	memset(info, 0, sizeof(*info));
	info->kind = r->hdr.kind;
	info->layout_version = r->hdr.version;
	info->capacity = r->hdr.capacity;
	info->slot_size = r->hdr.slot_size;
	info->slot_stride = r->hdr.slot_stride;
	info->cacheline = r->hdr.cacheline;
	info->creator_uid = r->hdr.creator_uid;
	info->creator_pid = r->hdr.creator_pid;
	info->max_participants = r->hdr.max_participants;
	info->ctime_ns = r->hdr.ctime_ns;
	info->total_size = r->hdr.total_size;
	/* Relaxed, all: live statistics, each read once for display. */
	info->produced = shmring__load_relaxed(&prod->pos);
	info->consumed = shmring__load_relaxed(&cons->pos);
	info->full_waits = shmring__load_relaxed(&prod->waits);
	info->empty_waits = shmring__load_relaxed(&cons->waits);
	info->wakes = shmring__load_relaxed(&prod->wakes) + shmring__load_relaxed(&cons->wakes);
	info->producers = shmring__part_count(r->base, &r->hdr, SHMRING_PRODUCER);
	info->consumers = shmring__part_count(r->base, &r->hdr, SHMRING_CONSUMER);
	info->flags = r->multi;
	/* Relaxed: a statistic, as above. */
	info->released = shmring__load_relaxed(&cons->done);
	return 0;
}

uint32_t shmring_slot_size(const shmring_t *r)
{
	return r->hdr.slot_size;
}

uint64_t shmring_capacity(const shmring_t *r)
{
	return r->hdr.capacity;
}
