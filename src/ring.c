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
	/* Acquire: pairs with the release in init_segment(). */
	while ((m = shmring__load_acquire(magic)) == 0) {
		const unsigned char *p = base;
		bool blank = true;

		for (size_t i = 0; i < sizeof(*h) && blank; i++)
			blank = p[i] == 0;
		if (!blank)
			return -SHMRING_EBADMAGIC;
		if (shmring__now_ns() >= deadline)
			return -EAGAIN;
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

static int attach(shmring_t *r, unsigned role)
{
	struct shmring_part *parts = shmring__parts(r->base);
	int rc;

	r->role = role;
	shmring__spsc_view(&r->tx, r->base, &r->hdr);
	shmring__spsc_view(&r->rx, r->base, &r->hdr);
	if (role & SHMRING_PRODUCER) {
		rc = shmring__part_claim(&parts[SHMRING_PART_SOLE_PRODUCER], SHMRING_PRODUCER);
		if (rc < 0)
			return rc;
		r->part[0] = SHMRING_PART_SOLE_PRODUCER;
		shmring__spsc_attach_producer(&r->tx);
	}
	if (role & SHMRING_CONSUMER) {
		rc = shmring__part_claim(&parts[SHMRING_PART_SOLE_CONSUMER], SHMRING_CONSUMER);
		if (rc < 0) {
			release_parts(r);
			return rc;
		}
		r->part[1] = SHMRING_PART_SOLE_CONSUMER;
		shmring__spsc_attach_consumer(&r->rx);
	}
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
	r->not_full = (struct shmring_ec){.seq = &nf->seq, .waiters = &nf->waiters};
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
	uint32_t kind, mode;
	int rc;

	if (!opts || !out || !role_ok(role))
		return -EINVAL;
	*out = NULL;
	rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	kind = opts->kind ? opts->kind : SHMRING_KIND_SPSC;
	if (kind != SHMRING_KIND_SPSC)
		return -EINVAL;
	if (opts->flags & ~(uint32_t)(SHMRING_CREATE_PREFAULT | SHMRING_CREATE_REPLACE))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
		if (opts->reserved[i])
			return -EINVAL;
	mode = opts->mode ? opts->mode : SHMRING_DEFAULT_MODE;
	if (mode & ~0777u)
		return -EINVAL;
	rc = shmring__geometry(opts->capacity, opts->slot_size, 0, &g);
	if (rc < 0)
		return rc;
	rc = shmring__region_create(&u, g.total_size, mode, opts->flags & SHMRING_CREATE_REPLACE,
				    &rg);
	if (rc < 0)
		return rc;
	a = (struct create_arg){.kind = kind, .flags = opts->flags, .g = &g};
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

	if (!out || !role_ok(role))
		return -EINVAL;
	*out = NULL;
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

int shmring_close(shmring_t *r)
{
	if (!r)
		return 0;
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

/* --- Moving messages ----------------------------------------------------- */

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
		shmring__ec_notify(&r->not_full, &r->rx.cons->wakes);
	return k;
}

int shmring_try_send(shmring_t *r, const void *msg)
{
	if (SHMRING_UNLIKELY(!(r->role & SHMRING_PRODUCER)))
		return -EPERM;
	return send_n(r, msg, 1, true) ? 0 : -EAGAIN;
}

int shmring_try_recv(shmring_t *r, void *msg)
{
	if (SHMRING_UNLIKELY(!(r->role & SHMRING_CONSUMER)))
		return -EPERM;
	return recv_n(r, msg, 1, true) ? 0 : -EAGAIN;
}

unsigned shmring_try_send_bulk(shmring_t *r, const void *msgs, unsigned n)
{
	return (r->role & SHMRING_PRODUCER) ? send_n(r, msgs, n, true) : 0;
}

unsigned shmring_try_send_burst(shmring_t *r, const void *msgs, unsigned n)
{
	return (r->role & SHMRING_PRODUCER) ? send_n(r, msgs, n, false) : 0;
}

unsigned shmring_try_recv_bulk(shmring_t *r, void *msgs, unsigned n)
{
	return (r->role & SHMRING_CONSUMER) ? recv_n(r, msgs, n, true) : 0;
}

unsigned shmring_try_recv_burst(shmring_t *r, void *msgs, unsigned n)
{
	return (r->role & SHMRING_CONSUMER) ? recv_n(r, msgs, n, false) : 0;
}

/* One blocking operation: what shmring__wait() retries. */
struct op {
	shmring_t *r;
	void *buf;
	unsigned n;
	bool all;
};

static int attempt_send(void *ctx)
{
	struct op *o = ctx;
	unsigned k = send_n(o->r, o->buf, o->n, o->all);

	if (k)
		return (int)k;
	return o->r->tx.corrupt ? -SHMRING_ECORRUPT : 0;
}

static int attempt_recv(void *ctx)
{
	struct op *o = ctx;

	return (int)recv_n(o->r, o->buf, o->n, o->all);
}

static int blocking_send(shmring_t *r, const void *msgs, unsigned n, bool all, uint64_t deadline)
{
	struct op o = {.r = r, .buf = (void *)(uintptr_t)msgs, .n = n, .all = all};

	if (!(r->role & SHMRING_PRODUCER))
		return -EPERM;
	if (n == 0 || n > INT32_MAX || (all && n > r->hdr.capacity))
		return -EINVAL;
	return shmring__wait(&r->wait, &r->not_full, attempt_send, &o, deadline,
			     &r->tx.prod->waits);
}

static int blocking_recv(shmring_t *r, void *msgs, unsigned n, bool all, uint64_t deadline)
{
	struct op o = {.r = r, .buf = msgs, .n = n, .all = all};

	if (!(r->role & SHMRING_CONSUMER))
		return -EPERM;
	if (n == 0 || n > INT32_MAX || (all && n > r->hdr.capacity))
		return -EINVAL;
	return shmring__wait(&r->wait, &r->not_empty, attempt_recv, &o, deadline,
			     &r->rx.cons->waits);
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
