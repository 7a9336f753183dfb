/* SPDX-License-Identifier: MIT */
/*
 * src/ring_fixed.c - sending and receiving on the fixed-slot kinds (SPSC,
 * MPSC, SPMC, MPMC): copies, bulk and burst, blocking and timed forms,
 * zero-copy.
 */
#include "src/internal.h"
#include "src/sock.h"

#include <string.h>

/*
 * Consumers tell parked producers about freed space in batches (see
 * shmring__ec_notify_batched()), and at once when they find the ring empty.
 */
static inline void freed(shmring_t *r, uint64_t units, _Atomic uint64_t *wakes)
{
	shmring__ec_notify_batched(&r->not_full, units, r->nf_batch, wakes);
	/* The wakes may be pending now: the lane's next empty receive comes
	 * here, to flush them (rx_nothing()). */
	r->rx.quiet = 0;
	r->rx_waiting = false;
}

/*
 * The SPSC producer's sends since the last count, by whichever path (the
 * lane's short send, the library's single, bulk and zero-copy sends): each
 * counted once towards the next look at the peers (shmring__peer_busy()),
 * by the position. Where the lane reached look_at, look_at moves on by the
 * sends left until that look, and the limit with it.
 */
static void spsc_count(shmring_t *r)
{
	struct shmring_lane *l = &r->tx;
	uint64_t n = l->pos - r->tx_look_from;

	/* Counted as calls: a count past any pace's is as good as it. */
	shmring__peer_busy(r, n < (1u << 20) ? (unsigned)n : 1u << 20);
	r->tx_look_from = l->pos;
	if (l->pos < l->look_at)
		return;
	l->look_at = l->pos + (r->busy_tries > r->busy ? r->busy_tries - r->busy : 1) - 1;
	if (l->limit > l->look_at)
		l->limit = l->look_at;
}

/* After SPSC sends that moved something: wake sleepers and armed
 * doorbells, and count them. */
static void spsc_sent(shmring_t *r)
{
	shmring__ec_notify(&r->not_empty, &r->tx.prod->wakes);
	shmring__bells(r);
	spsc_count(r);
}

/* The SPSC fast paths: taken only when r->fast says the checks passed. */
static inline unsigned send_n(shmring_t *r, const void *msgs, unsigned n, bool all)
{
	unsigned k = shmring__spsc_send(&r->tx, msgs, n, all);

	if (k)
		spsc_sent(r);
	return k;
}

static inline unsigned recv_n(shmring_t *r, void *msgs, unsigned n, bool all)
{
	unsigned k = shmring__spsc_recv(&r->rx, msgs, n, all);

	if (k)
		freed(r, k, &r->rx.cons->wakes);
	return k;
}

/* The other fixed kinds, through their per-kind entry points. */
static unsigned send_multi(shmring_t *r, const void *msgs, unsigned n, bool all)
{
	/* One message, the most common call, by its own entry point. */
	unsigned k = n == 1 ? r->ops.send1(&r->mtx, msgs) : r->ops.send(&r->mtx, msgs, n, all);

	if (k) {
		shmring__sent(r, &r->mtx.prod->wakes);
		if (SHMRING_UNLIKELY(r->stall_since))
			shmring__stall_end(r);
	}
	return k;
}

static unsigned recv_multi(shmring_t *r, void *msgs, unsigned n, bool all)
{
	/* As in send_multi(). */
	unsigned k = n == 1 ? r->ops.recv1(&r->mrx, msgs) : r->ops.recv(&r->mrx, msgs, n, all);

	/* Skipped slots consumed on the way free room too, even when no
	 * message came with them. */
	if (r->mrx.freed)
		freed(r, r->mrx.freed, &r->mrx.cons->wakes);
	if (k && SHMRING_UNLIKELY(r->stall_since))
		shmring__stall_end(r);
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

/* Any fixed kind, checks done. Inlined into every caller: a one-message
 * call then reaches the kind's entry point without a call of its own. */
static inline SHMRING_ALWAYS_INLINE unsigned send_any(shmring_t *r, const void *msgs, unsigned n,
						      bool all)
{
	unsigned k = r->hdr.kind == SHMRING_KIND_SPSC ? send_n(r, msgs, n, all)
						       : send_multi(r, msgs, n, all);

	shmring__moved(r, k);
	return k;
}

static inline SHMRING_ALWAYS_INLINE unsigned recv_any(shmring_t *r, void *msgs, unsigned n,
						      bool all)
{
	unsigned k = r->hdr.kind == SHMRING_KIND_SPSC ? recv_n(r, msgs, n, all)
						       : recv_multi(r, msgs, n, all);

	shmring__moved(r, k);
	return k;
}

/*
 * A shared index found impossible by this call: report it once and forget
 * it, so that a handle recovers as soon as the state is valid again.
 */
static bool tx_corrupt(shmring_t *r)
{
	bool c = r->tx.corrupt || r->mtx.corrupt;

	r->tx.corrupt = r->mtx.corrupt = false;
	return c;
}

static bool rx_corrupt(shmring_t *r)
{
	bool c = r->rx.corrupt || r->mrx.corrupt;

	r->rx.corrupt = r->mrx.corrupt = false;
	return c;
}

/*
 * A lane's answers of its own since the library's last count as the tries
 * they were towards the next look at the peers (shmring__peer_idle()); the
 * library's answer rc, if -EAGAIN (nothing to flush, nothing corrupt, the
 * peers there), grants the lane the next ones: full (empty) answers it
 * gives on its own (shmring__lane_again()) until the library's next look,
 * none for a loop slow enough to look on every call.
 */
static void lane_quiet_take(shmring_t *r, struct shmring_lane *l, uint32_t *granted)
{
	r->idle += *granted - l->quiet;
	l->quiet = *granted = 0;
}

static int lane_quiet_grant(shmring_t *r, struct shmring_lane *l, uint32_t *granted, int rc)
{
	if (rc == -EAGAIN && l->go)
		l->quiet = *granted = shmring__idle_grant(r);
	return rc;
}

/* The library's full send and empty receive. A full ring's polls that
 * reached the library at look_at go back to the lane's short path. */
static int tx_nothing(shmring_t *r)
{
	if (r->tx.go && r->tx.pos >= r->tx.look_at)
		spsc_count(r);
	lane_quiet_take(r, &r->tx, &r->tx_quiet_granted);
	return lane_quiet_grant(r, &r->tx, &r->tx_quiet_granted,
				shmring__tx_nothing(r, tx_corrupt(r)));
}

/*
 * The first of a wait's empty answers (none since a receive through freed())
 * begins with a full fence. Not for ordering: on x86 it waits until this
 * thread's buffered stores are in their lines. Those are typically a
 * request just sent on another ring, whose answer the thread now polls for:
 * left in the store buffer while the thread spun here, they reached a far
 * peer about 20 ns later in busy MPSC and MPMC round trips; near, the fence
 * costs about 5 ns (docs/BENCHMARKS.md, "The busy round trips' wait for
 * their own request").
 */
static int rx_nothing(shmring_t *r)
{
	if (SHMRING_UNLIKELY(!r->rx_waiting)) {
		r->rx_waiting = true;
		shmring__fence_full();
	}
	lane_quiet_take(r, &r->rx, &r->rx_quiet_granted);
	return lane_quiet_grant(r, &r->rx, &r->rx_quiet_granted,
				shmring__rx_nothing(r, rx_corrupt(r)));
}

/* The dropped count of a claim repaired under us, before and after. */
static uint64_t dropped(const shmring_t *r)
{
	return r->mtx.dropped;
}

/*
 * One message on a handle that passed tx_check(): 0, -EPIPE, or
 * -SHMRING_EDROPPED (a claim repaired under us); -EAGAIN where the ring is
 * full, before anything is reported for it.
 */
static int send_one(shmring_t *r, const void *msg)
{
	uint64_t d;

	if (shmring__tx_gone(r))
		return -EPIPE;
	d = dropped(r);
	if (!send_any(r, msg, 1, true))
		return -EAGAIN;
	return dropped(r) != d ? -SHMRING_EDROPPED : 0;
}

/* try_send() when its fast path does not apply: every kind, every check. */
static SHMRING_NOINLINE int send_general(shmring_t *r, const void *msg)
{
	int rc;

	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_TX)) {
		if (shmring__tx_gone(r))
			return -EPIPE;
		if (!shmring__spsc_send1(&r->tx, msg))
			return tx_nothing(r);
		spsc_sent(r);
		return 0;
	}
	if (SHMRING_UNLIKELY(r->sock))
		return shmring__sock_try_send(r, msg);
	rc = tx_check(r);
	if (rc)
		return rc;
	rc = send_one(r, msg);
	return rc == -EAGAIN ? tx_nothing(r) : rc;
}

/* After a fast send found a sleeper or an armed doorbell. */
static SHMRING_NOINLINE int sent_wake(shmring_t *r)
{
	shmring__ec_notify(&r->not_empty, &r->tx.prod->wakes);
	shmring__bells(r);
	return 0;
}

/*
 * The most common call, an SPSC producer sending one message while the ring
 * has room and its consumer is there, is the lane's short path
 * (shmring/lane.h), written so that it makes no call and keeps no frame:
 * every other case (and every failure) goes to send_general() before
 * anything is published, and a sleeper or an armed doorbell to sent_wake()
 * after. In a tight loop each instruction here is a share of the message
 * rate (docs/BENCHMARKS.md).
 */
int(shmring_try_send)(shmring_t *r, const void *msg)
{
	int k = shmring__lane_send(&r->tx, msg);

	if (SHMRING_LIKELY(SHMRING__LANE_ANSWER(k)))
		return k;
	return k == SHMRING__LANE_WAKE ? sent_wake(r) : send_general(r, msg);
}

/*
 * A receive during the consumer's slip (shmring_set_slip(), begun by the
 * lane, which hands every receive here meanwhile): -EAGAIN without a look
 * at the ring while a producer is there, the last one giving the lane its
 * short path back. As an empty answer does, it gives producers asleep for
 * room what was freed, and now and then looks for dead peers. 0 where the
 * slip is over (the producers gone: their messages are taken, then
 * end-of-stream) and the receive goes on.
 */
static int slipped(shmring_t *r)
{
	int rc;

	shmring__flush_freed(r);
	/* Relaxed (presence): as the lane's empty answer reads it. */
	if (SHMRING_LANE_LIVE(atomic_load_explicit(r->rx.presence, memory_order_relaxed)) == 0) {
		shmring__fast_update(r);
		return 0;
	}
	rc = shmring__peer_idle(r, SHMRING_CONSUMER);
	if (--r->rx.slipping == 0)
		shmring__fast_update(r);
	return rc < 0 ? rc : -EAGAIN;
}

/* try_recv() when its fast path does not apply. */
static SHMRING_NOINLINE int recv_general(shmring_t *r, void *msg)
{
	int rc;

	if (SHMRING_UNLIKELY(r->rx.slipping != 0) && (rc = slipped(r)) != 0)
		return rc;
	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_RX)) {
		if (!shmring__spsc_recv1(&r->rx, msg))
			return rx_nothing(r);
		freed(r, 1, &r->rx.cons->wakes);
		return 0;
	}
	if (SHMRING_UNLIKELY(r->sock))
		return shmring__sock_try_recv(r, msg);
	rc = rx_check(r);
	if (rc)
		return rc;
	return recv_any(r, msg, 1, true) ? 0 : rx_nothing(r);
}

/* After a fast receive found producers asleep for room. */
static SHMRING_NOINLINE int received_wake(shmring_t *r)
{
	freed(r, 1, &r->rx.cons->wakes);
	return 0;
}

/* As shmring_try_send(): the SPSC consumer's one message, the lane's short
 * path; an empty ring and everything else go to recv_general(). */
int(shmring_try_recv)(shmring_t *r, void *msg)
{
	int k = shmring__lane_recv(&r->rx, msg);

	if (SHMRING_LIKELY(SHMRING__LANE_ANSWER(k)))
		return k;
	return k == SHMRING__LANE_WAKE ? received_wake(r) : recv_general(r, msg);
}

/* Slots wider than the caller's 8 bytes, on a handle that would copy them. */
static bool wider_than_8(const shmring_t *r, unsigned role)
{
	return r->hdr.slot_size > 8 && (r->role & role) && r->hdr.kind != SHMRING_KIND_MSG;
}

/* As shmring_try_send(r, &v) where that reads no further than v. */
int(shmring_try_send_u64)(shmring_t *r, uint64_t v)
{
	int k = shmring__lane_send_u64(&r->tx, v);

	/* 8-byte slots at a stride the by-value path does not know (a
	 * duplex's, go 1): the pointer path's short send. */
	if (k == SHMRING__LANE_SLOW && r->tx.go == 1)
		k = shmring__lane_send(&r->tx, &v);

	if (SHMRING_LIKELY(SHMRING__LANE_ANSWER(k)))
		return k;
	if (k == SHMRING__LANE_WAKE)
		return sent_wake(r);
	return wider_than_8(r, SHMRING_PRODUCER) ? -EMSGSIZE : send_general(r, &v);
}

/* As shmring_try_recv(r, v) where that writes no further than *v; a
 * message narrower than 8 bytes leaves the rest of *v zero. */
int(shmring_try_recv_u64)(shmring_t *r, uint64_t *v)
{
	uint64_t m = 0;
	int k = shmring__lane_recv_u64(&r->rx, v);

	/* As in the send: the pointer path's short receive; where it is not
	 * taken, SLOW on 8-byte slots at their own stride is an empty ring. */
	if (k == SHMRING__LANE_SLOW && r->rx.go == 1)
		k = shmring__lane_recv(&r->rx, v);
	else if (k == SHMRING__LANE_SLOW && r->rx.go == 8)
		k = shmring__lane_nothing(&r->rx, r->rx.pos);

	if (SHMRING_LIKELY(SHMRING__LANE_ANSWER(k)))
		return k;
	if (k == SHMRING__LANE_WAKE)
		return received_wake(r);
	if (wider_than_8(r, SHMRING_CONSUMER))
		return -EMSGSIZE;
	k = recv_general(r, &m);
	if (k == 0)
		*v = m;
	return k;
}

/* An inline short path of shmring/lane.h published and found someone to wake. */
int shmring_lane_wake(struct shmring_lane *l)
{
	shmring_t *r;

	if (!l)
		return -EINVAL;
	r = l->ring;
	return l == &r->tx ? sent_wake(r) : received_wake(r);
}

/* Why a burst or bulk moved nothing (looked at only then): a bulk above the
 * capacity never moves, and -EAGAIN would have the caller retry it for
 * ever; otherwise what the side's look found. */
static int none_why(const shmring_t *r, unsigned n, bool all, int found)
{
	return all && n > r->hdr.capacity ? -EINVAL : found;
}

static unsigned try_send_many(shmring_t *r, const void *msgs, unsigned n, bool all)
{
	unsigned k;
	int rc;

	if (!r)
		return 0;
	if (!msgs || n == 0)
		return shmring__why(r, SHMRING__TX, 0, -EINVAL);
	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_TX)) {
		if (shmring__tx_gone(r))
			return shmring__why(r, SHMRING__TX, 0, -EPIPE);
		k = send_n(r, msgs, n, all);
	} else {
		if (SHMRING_UNLIKELY(r->sock))
			return shmring__sock_try_send_many(r, msgs, n, all);
		rc = tx_check(r);
		if (rc == 0 && shmring__tx_gone(r))
			rc = -EPIPE;
		if (rc)
			return shmring__why(r, SHMRING__TX, 0, rc);
		k = send_any(r, msgs, n, all);
	}
	return shmring__why(r, SHMRING__TX, k, k ? 0 : none_why(r, n, all, tx_nothing(r)));
}

/*
 * A bulk receive that moved nothing because fewer than n are left, once
 * every producer has gone: nothing more will come, so it would wait (or
 * answer -EAGAIN) for ever. It takes what is left, as a read of a pipe
 * does, and the next call says end-of-stream. The count; 0 otherwise. Only
 * after a receive that moved nothing.
 */
static unsigned recv_left(shmring_t *r, void *msgs, unsigned n, bool all)
{
	if (!all || n < 2 || !shmring__rx_orphaned(r))
		return 0;
	return recv_any(r, msgs, n, false);
}
static unsigned try_recv_many(shmring_t *r, void *msgs, unsigned n, bool all)
{
	unsigned k;
	int rc;

	if (!r)
		return 0;
	if (!msgs || n == 0)
		return shmring__why(r, SHMRING__RX, 0, -EINVAL);
	if (SHMRING_LIKELY(r->fast & SHMRING__FAST_RX)) {
		k = recv_n(r, msgs, n, all);
	} else {
		if (SHMRING_UNLIKELY(r->sock))
			return shmring__sock_try_recv_many(r, msgs, n, all);
		rc = rx_check(r);
		if (rc)
			return shmring__why(r, SHMRING__RX, 0, rc);
		k = recv_any(r, msgs, n, all);
	}
	if (SHMRING_UNLIKELY(!k))
		k = recv_left(r, msgs, n, all);
	return shmring__why(r, SHMRING__RX, k, k ? 0 : none_why(r, n, all, rx_nothing(r)));
}

unsigned shmring_try_send_bulk(shmring_t *r, const void *msgs, unsigned n)
{
	return try_send_many(r, msgs, n, true);
}

unsigned shmring_try_send_burst(shmring_t *r, const void *msgs, unsigned n)
{
	return try_send_many(r, msgs, n, false);
}

unsigned shmring_try_recv_bulk(shmring_t *r, void *msgs, unsigned n)
{
	return try_recv_many(r, msgs, n, true);
}

unsigned shmring_try_recv_burst(shmring_t *r, void *msgs, unsigned n)
{
	return try_recv_many(r, msgs, n, false);
}

int shmring_last_error(const shmring_t *r, enum shmring_role side)
{
	if (!r || (side != SHMRING_PRODUCER && side != SHMRING_CONSUMER))
		return -EINVAL;
	return r->why[side == SHMRING_PRODUCER ? SHMRING__TX : SHMRING__RX];
}

/* One blocking operation: what shmring__wait() retries. */
struct op {
	shmring_t *r;
	void *buf;
	unsigned n;
	bool all;
};

/* The attempts and the blocking calls are inlined into each call, as
 * shmring__block() makes the first attempt: a call that needs no wait runs
 * straight through to the kind's entry point. */
static inline SHMRING_ALWAYS_INLINE int attempt_send(void *ctx)
{
	struct op *o = ctx;
	unsigned k;

	if (shmring__tx_gone(o->r))
		return -EPIPE;
	k = send_any(o->r, o->buf, o->n, o->all);
	if (k)
		return (int)k;
	return tx_corrupt(o->r) ? -SHMRING_ECORRUPT : 0;
}

static inline SHMRING_ALWAYS_INLINE int attempt_recv(void *ctx)
{
	struct op *o = ctx;
	unsigned k = recv_any(o->r, o->buf, o->n, o->all);
	int rc;

	if (k)
		return (int)k;
	shmring__flush_freed(o->r); /* we may park: give producers what we freed */
	if (rx_corrupt(o->r))
		return -SHMRING_ECORRUPT;
	rc = shmring__rx_eos(o->r);
	if (rc == 0 && (k = recv_left(o->r, o->buf, o->n, o->all)) != 0)
		return (int)k;
	return rc;
}

static inline SHMRING_ALWAYS_INLINE int blocking_send(shmring_t *r, const void *msgs, unsigned n,
						   bool all, uint64_t deadline)
{
	struct op o = {.r = r, .buf = (void *)(uintptr_t)msgs, .n = n, .all = all};
	int rc;

	if (!r || !msgs)
		return -EINVAL;
	if (SHMRING_UNLIKELY(r->sock))
		return shmring__sock_send_many(r, msgs, n, all, deadline);
	rc = tx_check(r);

	if (rc)
		return rc;
	if (n == 0 || n > INT32_MAX || (all && n > r->hdr.capacity))
		return -EINVAL;
	return shmring__block(r, SHMRING_PRODUCER, attempt_send, &o, deadline);
}

static inline SHMRING_ALWAYS_INLINE int blocking_recv(shmring_t *r, void *msgs, unsigned n,
						   bool all, uint64_t deadline)
{
	struct op o = {.r = r, .buf = msgs, .n = n, .all = all};
	int rc;

	if (!r || !msgs)
		return -EINVAL;
	if (SHMRING_UNLIKELY(r->sock))
		return shmring__sock_recv_many(r, msgs, n, all, deadline);
	rc = rx_check(r);

	if (rc)
		return rc;
	if (n == 0 || n > INT32_MAX || (all && n > r->hdr.capacity))
		return -EINVAL;
	return shmring__block(r, SHMRING_CONSUMER, attempt_recv, &o, deadline);
}

/*
 * One message beyond the lane's short path, the blocking way (whose first
 * attempt comes before any of the wait is set up). Out of line, so that the
 * lane's path in shmring_send() keeps a frame of its own size.
 */
static SHMRING_NOINLINE int send_rest(shmring_t *r, const void *msg, uint64_t deadline)
{
	uint64_t d = dropped(r);
	int rc = blocking_send(r, msg, 1, true, deadline);

	if (rc < 0)
		return rc;
	return dropped(r) != d ? -SHMRING_EDROPPED : 0;
}

/* As send_rest(). */
static SHMRING_NOINLINE int recv_rest(shmring_t *r, void *msg, uint64_t deadline)
{
	int rc = blocking_recv(r, msg, 1, true, deadline);

	return rc < 0 ? rc : 0;
}

/* One message: where the ring has room, the lane's short path, as
 * shmring_try_send() takes it; everything else send_rest(). */
int shmring_send(shmring_t *r, const void *msg, uint64_t deadline)
{
	int k = shmring__lane_send(&r->tx, msg);

	if (SHMRING_LIKELY(k == SHMRING__LANE_DONE))
		return 0;
	if (k == SHMRING__LANE_WAKE)
		return sent_wake(r);
	return send_rest(r, msg, deadline);
}

int shmring_recv(shmring_t *r, void *msg, uint64_t deadline)
{
	int k = shmring__lane_recv(&r->rx, msg);

	if (SHMRING_LIKELY(k == SHMRING__LANE_DONE))
		return 0;
	if (k == SHMRING__LANE_WAKE)
		return received_wake(r);
	return recv_rest(r, msg, deadline);
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

/* --- Zero-copy ----------------------------------------------------------- */

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
	int rc;

	if (!r)
		return 0;
	rc = !slots || n == 0 ? -EINVAL : r->sock ? -EOPNOTSUPP : zc_tx_check(r);
	if (rc)
		return shmring__why(r, SHMRING__TX, 0, rc);
	if (r->hdr.kind != SHMRING_KIND_SPSC) {
		if (!r->mtx.held && shmring__tx_gone(r))
			return shmring__why(r, SHMRING__TX, 0, -EPIPE);
		k = r->ops.reserve(&r->mtx, n, slots);
	} else if (r->spsc_tx_held) {
		/* Free space only grows: this returns the held slots again. */
		return shmring__why(r, SHMRING__TX,
				    shmring__spsc_reserve(&r->tx, n < r->spsc_tx_held ? n : r->spsc_tx_held,
							  slots),
				    -EAGAIN);
	} else {
		if (shmring__tx_gone(r))
			return shmring__why(r, SHMRING__TX, 0, -EPIPE);
		k = shmring__spsc_reserve(&r->tx, n, slots);
		r->spsc_tx_held = k;
		shmring__fast_update(r);
	}
	return shmring__why(r, SHMRING__TX, k, k ? 0 : tx_nothing(r));
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
	if (SHMRING_UNLIKELY(r->sock))
		return -EOPNOTSUPP;
	rc = zc_tx_check(r);
	if (rc)
		return rc;
	if (r->hdr.kind != SHMRING_KIND_SPSC) {
		rc = r->ops.commit(&r->mtx, n);
		if (rc == 0 || rc == -SHMRING_EDROPPED) {
			shmring__sent(r, &r->mtx.prod->wakes);
			shmring__moved(r, n);
		}
		return rc;
	}
	if (r->spsc_tx_held == 0 || n > r->spsc_tx_held)
		return -EINVAL;
	r->spsc_tx_held = 0;
	if (n == 0) { /* all given back: nothing was claimed in shared memory */
		shmring__fast_update(r);
		return 0;
	}
	shmring__spsc_commit(&r->tx, n);
	/* Counted from the reservation's position before fast_update() moves
	 * the count's start to here: commits look at the consumers as copies
	 * do, every so many (spsc_count()). */
	spsc_sent(r);
	shmring__fast_update(r);
	shmring__moved(r, n);
	return 0;
}

int shmring_commit(shmring_t *r)
{
	return shmring_commit_burst(r, 1);
}

unsigned shmring_peek_burst(shmring_t *r, unsigned n, const void **slots)
{
	unsigned k;
	int rc;

	if (!r)
		return 0;
	rc = !slots || n == 0 ? -EINVAL : r->sock ? -EOPNOTSUPP : zc_rx_check(r);
	if (rc)
		return shmring__why(r, SHMRING__RX, 0, rc);
	if (r->hdr.kind != SHMRING_KIND_SPSC) {
		k = r->ops.peek(&r->mrx, n, slots);
		if (r->mrx.freed) /* skipped slots passed on the way */
			freed(r, r->mrx.freed, &r->mrx.cons->wakes);
		if (k && SHMRING_UNLIKELY(r->stall_since))
			shmring__stall_end(r);
	} else if (r->spsc_rx_held) {
		return shmring__why(r, SHMRING__RX,
				    shmring__spsc_peek(&r->rx, n < r->spsc_rx_held ? n : r->spsc_rx_held,
						       slots),
				    -EAGAIN);
	} else {
		k = shmring__spsc_peek(&r->rx, n, slots);
		r->spsc_rx_held = k;
		shmring__fast_update(r);
	}
	return shmring__why(r, SHMRING__RX, k, k ? 0 : rx_nothing(r));
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
	if (SHMRING_UNLIKELY(r->sock))
		return -EOPNOTSUPP;
	rc = zc_rx_check(r);
	if (rc)
		return rc;
	if (r->hdr.kind != SHMRING_KIND_SPSC) {
		rc = r->ops.release(&r->mrx, n);
		if (rc == 0 && r->mrx.freed)
			freed(r, r->mrx.freed, &r->mrx.cons->wakes);
		if (rc == 0)
			shmring__moved(r, n);
		return rc;
	}
	if (r->spsc_rx_held == 0 || n > r->spsc_rx_held)
		return -EINVAL;
	r->spsc_rx_held = 0;
	if (n == 0) { /* all left in the ring, for the next receive */
		shmring__fast_update(r);
		return 0;
	}
	shmring__spsc_release(&r->rx, n);
	shmring__fast_update(r);
	freed(r, n, &r->rx.cons->wakes);
	shmring__moved(r, n);
	return 0;
}

int shmring_release(shmring_t *r)
{
	return shmring_release_burst(r, 1);
}
