/* SPDX-License-Identifier: MIT */
/*
 * src/peers.c - what a handle does about the other participants of its
 * ring: notices the ones that died (and reaps them), repairs their claims
 * when they are in its way, tells end-of-stream and EPIPE, and keeps the
 * segment's record of who held whom back and for how long.
 *
 * None of it runs on the fast path. A blocking call runs shmring__peer_check()
 * once per recovery period while it waits (sync/wait.c); try calls run it
 * after a run of fruitless calls, at most once per period
 * (shmring__peer_idle()); the presence words that say end-of-stream and EPIPE
 * are read on every empty receive and every send, one load of a line that is
 * only written on attach, detach and repair.
 */
#include "src/internal.h"

#define IDLE_TRIES 256u /* the most fruitless try calls between looks at the clock */
/*
 * The most sends that move something between two looks at the clock. A
 * count cannot see a loop slow down: after a fast run of sends, the next
 * look comes that many sends later however slow they have become, so this
 * bounds how many a dead consumer is sent after such a change of pace.
 * Each look costs a tight loop a call into the library and a clock read
 * (docs/BENCHMARKS.md, "Sends that look at the consumers").
 */
#define BUSY_SENDS 1024u
#define REPAIRS_PER_CHECK 64 /* claims one check repairs before it lets the caller go on */

bool shmring__judge_dead(void *ctx, uint32_t idx, uint32_t gen, unsigned gen_bits)
{
	shmring_t *r = ctx;

	return shmring__part_dead(r->base, &r->live, idx, gen, gen_bits);
}

uint64_t shmring__recovery_ns(const shmring_t *r)
{
	return r->recovery_ns ? r->recovery_ns : r->hdr.recovery_ns;
}

/* The longest a stale waiters word is silenced: the default period. */
#define QUIET_MAX_NS SHMRING_DEFAULT_RECOVERY_NS

void shmring__recovery_apply(shmring_t *r)
{
	uint64_t ns = shmring__recovery_ns(r);

	/*
	 * A sleeper re-checks its peers once per period. A wake that found
	 * nobody silences a stale waiters word for as long, but never more
	 * than QUIET_MAX_NS: the word's park count (15 bits) wraps after 32768
	 * parks, and a new waiter whose word came round to the silenced one
	 * must not be left to sleep out a long period (seen with 60 s periods:
	 * ~650k parks a minute in a ping-pong). 32768 parks, each a futex
	 * call, take far longer than 5 ms.
	 */
	r->not_empty.max_sleep_ns = r->not_full.max_sleep_ns = ns;
	r->not_empty.quiet_ns = r->not_full.quiet_ns = ns < QUIET_MAX_NS ? ns : QUIET_MAX_NS;
}

void shmring__flush_freed(shmring_t *r)
{
	if (SHMRING_UNLIKELY(shmring__ec_has_pending(&r->not_full)))
		shmring__ec_flush(&r->not_full, &shmring__cons_side(r->base)->wakes);
}

/* --- Who holds whom back ------------------------------------------------- */

static void stall_begin(shmring_t *r, unsigned side, uint64_t pos, uint32_t holder, uint64_t now)
{
	if (r->stall_since && r->stall_pos == pos)
		return;
	r->stall_pos = pos;
	r->stall_since = now;
	/* Relaxed, all: a description for `shmring stat`; the last writer wins. */
	shmring__store_relaxed(&r->ctl->stall_pos, pos);
	shmring__store_relaxed(&r->ctl->stall_part, holder);
	shmring__store_relaxed(&r->ctl->stall_side, side);
	shmring__store_relaxed(&r->ctl->stall_since_ns, now);
}

void shmring__stall_end(shmring_t *r)
{
	uint64_t now = shmring__now_ns(), took = now - r->stall_since;
	/* Relaxed, all: statistics. */
	uint64_t max = shmring__load_relaxed(&r->ctl->stall_max_ns);

	while (took > max && !atomic_compare_exchange_weak_explicit(&r->ctl->stall_max_ns, &max, took,
								    memory_order_relaxed,
								    memory_order_relaxed))
		;
	if (shmring__load_relaxed(&r->ctl->stall_pos) == r->stall_pos)
		shmring__store_relaxed(&r->ctl->stall_since_ns, 0);
	r->stall_since = 0;
}

/* --- Recovery ------------------------------------------------------------ */

/*
 * SPSC holds no claims, but its stamps are shared memory too: the stamp of
 * the group at the consumer's position may only publish that position or
 * later ones of its group; or, the consumer past the group's first slot,
 * be its position (those before it published, nothing since); or, at the
 * first slot, be the last of the group a lap of groups before (consumed), or
 * zero before the first lap. One slot a group: the position's stamp, the
 * one a lap before, or zero. Anything else would make the consumer wait for
 * ever, and so would any stamp short of ours where the producer published
 * its position past ours (it publishes only what it stamped). The dense
 * layout's producer position, likewise, only from the consumer's to a
 * capacity past it.
 */
static int spsc_stamp_check(const struct shmring_lane *v)
{
	uint64_t s, p, end, first, lap;

	if (v->dense) {
		/* Dense: no stamps; the producer's position may only be from
		 * ours to a capacity past it. Relaxed: compared only. */
		s = shmring__load_relaxed(&v->prod->pos);
		return s - v->pos <= v->capacity ? 0 : -SHMRING_ECORRUPT;
	}
	/* A-pub: pairs with R-pub wherever the producer publishes its
	 * position: the stamps below it are visible to the read below. */
	p = shmring__load_acquire(&v->prod->pos);
	/* Relaxed: compared only; the payload is read after A-stamp. */
	s = shmring__load_relaxed(shmring__lane_stamp(v, v->pos));
	end = shmring__lane_end(v, v->pos);
	first = end - v->group;
	lap = (v->mask + 1) * v->group; /* positions a lap of groups holds */

	if (shmring__lane_published(s, v->pos, end))
		return 0;
	/* The producer published past us (by at most a ring), yet our stamp
	 * says not yet: a stamp rewritten after it was published. Waiting
	 * would wait for ever, behind messages that are there. A position
	 * behind ours is a producer's that died before publishing, or lags. */
	if (p - v->pos - 1 < v->capacity)
		return -SHMRING_ECORRUPT;
	/* Likewise a later group published while ours says not yet: one
	 * producer stamps in order. Acquire (A-stamp): the stamps before that
	 * one, ours among them, are visible to the load of ours after it. */
	if (shmring__lane_published(shmring__load_acquire(shmring__lane_stamp(v, end)), end,
				    shmring__lane_end(v, end)) &&
	    !shmring__lane_published(shmring__load_relaxed(shmring__lane_stamp(v, v->pos)), v->pos,
				     end))
		return -SHMRING_ECORRUPT;
	if (v->pos != first)
		return s == v->pos ? 0 : -SHMRING_ECORRUPT;
	if (first >= lap ? s == end - lap : s == 0)
		return 0;
	return -SHMRING_ECORRUPT;
}

/* Consumer side: 1 repaired, 0 nothing in the way, -EAGAIN held back by a
 * live claim (*pos, *holder), -SHMRING_ECORRUPT. */
static int recover_rx(shmring_t *r, uint64_t *pos, uint32_t *holder)
{
	switch (r->hdr.kind) {
	case SHMRING_KIND_SPSC:
		return spsc_stamp_check(&r->rx);
	case SHMRING_KIND_MSG:
		return shmring__msg_recover_rx(&r->qrx, &r->judge, pos, holder);
	default:
		return shmring__mring_recover_rx(&r->mrx, &r->judge, pos, holder);
	}
}

/* Producer side: the same, for claims of consumers. */
static int recover_tx(shmring_t *r, uint64_t *pos, uint32_t *holder)
{
	switch (r->hdr.kind) {
	case SHMRING_KIND_SPSC:
		return 0;
	case SHMRING_KIND_MSG:
		return shmring__msg_recover_tx(&r->qtx, &r->judge, pos, holder);
	default:
		return shmring__mring_recover_tx(&r->mtx, &r->judge, pos, holder);
	}
}

bool shmring__rx_drained(shmring_t *r)
{
	switch (r->hdr.kind) {
	case SHMRING_KIND_SPSC:
		return !shmring__spsc_ready(&r->rx, 0);
	case SHMRING_KIND_MSG:
		return shmring__msg_drained(&r->qrx);
	default:
		return shmring__mring_drained(&r->mrx);
	}
}

/* --- Presence ------------------------------------------------------------ */

static _Atomic uint64_t *presence_word(shmring_t *r, uint32_t role)
{
	return role == SHMRING_PRODUCER ? &r->ctl->producers : &r->ctl->consumers;
}

bool shmring__presence_none(shmring_t *r, uint32_t role, uint64_t seen)
{
	uint32_t live[2];
	uint32_t n;

	shmring__part_scan(r->base, &r->hdr, &r->live, live, false);
	n = role == SHMRING_PRODUCER ? live[0] : live[1];
	if (n == 0) {
		/* Acquire: pairs with the release in shmring__part_release()
		 * (an entry seen free): what its owner did before it left,
		 * its last messages, is visible to what the caller does next. */
		atomic_thread_fence(memory_order_acquire);
		return true;
	}
	/*
	 * A live participant holds an entry from its claim until its release,
	 * so the word is wrong: put back what the table shows, unless the
	 * word moved meanwhile (then the next look decides). Relaxed: a count
	 * only; what the participants publish is ordered by its own words.
	 */
	atomic_compare_exchange_strong_explicit(presence_word(r, role), &seen,
	                                        SHMRING_PRESENCE_EVER | n, memory_order_relaxed,
	                                        memory_order_relaxed);
	return false;
}

/*
 * A count above the table's: a participant that died between giving its
 * entry back and taking itself off the count (SIGKILL in
 * shmring__part_release()), or a forged word. Nobody would ever reap it,
 * and the other side would never see end-of-stream or EPIPE: lower it to
 * the live entries of that role. The word is read before the table, so a
 * participant counted in it is in the table too (it claims its entry
 * before it counts itself). A participant leaving while we count may take
 * itself off after we lowered the word, which leaves it one low; a word
 * showing none is never believed without the table
 * (shmring__presence_none()), which puts it back.
 */
static void presence_settle(shmring_t *r, uint64_t seen[2], const uint32_t live[2])
{
	for (int i = 0; i < 2; i++) {
		uint64_t fixed = (seen[i] & ~(uint64_t)UINT32_MAX) | live[i];

		if (SHMRING_PRESENCE_LIVE(seen[i]) <= live[i])
			continue;
		/* Release: as a leaving participant's own decrement
		 * (presence_sub() in participants.c). */
		atomic_compare_exchange_strong_explicit(
		    presence_word(r, i == 0 ? SHMRING_PRODUCER : SHMRING_CONSUMER), &seen[i], fixed,
		    memory_order_release, memory_order_relaxed);
	}
}

/*
 * A stamped SPSC ring drained by its stamps after its producers left: an
 * end only if what they left agrees, as spsc_stamp_check() judges it (a
 * producer publishes its position over stamped messages only, and at
 * close its last). Otherwise the stamps were forged under us, and
 * end-of-stream would drop the messages the ring still counts without a
 * word.
 */
static int spsc_eos_check(const shmring_t *r)
{
	if (r->hdr.kind != SHMRING_KIND_SPSC || r->rx.dense)
		return 0;
	return spsc_stamp_check(&r->rx);
}

/* The consumer view's verdict of its last call: the positions it just
 * judged impossible (shmring__mring_drained(), shmring__msg_drained()). */
static bool rx_view_corrupt(const shmring_t *r)
{
	switch (r->hdr.kind) {
	case SHMRING_KIND_SPSC:
		return false; /* spsc_eos_check() judges it below */
	case SHMRING_KIND_MSG:
		return r->qrx.corrupt;
	default:
		return r->mrx.corrupt;
	}
}

int shmring__rx_eos(shmring_t *r)
{
	/* Acquire: pairs with the release in the producers' leaving (presence
	 * count): their last messages are visible before they are gone. */
	uint64_t p = shmring__load_acquire(&r->ctl->producers);

	if (SHMRING_LIKELY(!shmring__rx_left(r, p)))
		return 0;
	if (!shmring__rx_drained(r)) {
		/*
		 * Not drained because the positions are impossible (a message
		 * ring's producer position off the record alignment, or more
		 * than an area from ours): with no producer left nobody will
		 * publish them right, and waiting would be for ever. A
		 * producer that attached since may have moved them: the next
		 * look judges again. Acquire: as above.
		 */
		if (rx_view_corrupt(r) && shmring__presence_none(r, SHMRING_PRODUCER, p) &&
		    shmring__load_acquire(&r->ctl->producers) == p)
			return -SHMRING_ECORRUPT;
		return 0;
	}
	if (shmring__presence_none(r, SHMRING_PRODUCER, p)) {
		int rc;

		/*
		 * The word said none, but it may have been low while a
		 * producer was still here (a count settled as someone left,
		 * or forged): one that sent and left between the look above
		 * and the table's scan left messages the look did not see.
		 * The scan made them visible (shmring__presence_none()):
		 * look again.
		 */
		if (!shmring__rx_drained(r))
			return 0;
		rc = spsc_eos_check(r);

		/* A producer that attached since may have sent and published:
		 * not an end, and not a forgery; the next look judges again.
		 * Acquire: as above. */
		if (rc < 0 && (!shmring__rx_drained(r) ||
			       shmring__load_acquire(&r->ctl->producers) != p))
			return 0;
		return rc < 0 ? rc : -EPIPE;
	}
	return 0;
}

bool shmring__rx_orphaned(shmring_t *r)
{
	/* Acquire: as in shmring__rx_eos(): their last messages are visible
	 * before they are gone. */
	uint64_t p = shmring__load_acquire(&r->ctl->producers);

	return shmring__rx_left(r, p) && shmring__presence_none(r, SHMRING_PRODUCER, p);
}

void shmring__peer_reap(shmring_t *r)
{
	/* Acquire, both: pair with the release in shmring__presence_add(): an
	 * attacher counted in a word has its entry visible to the scan below,
	 * which must come after (presence_settle()). */
	uint64_t seen[2] = {shmring__load_acquire(&r->ctl->producers),
	                    shmring__load_acquire(&r->ctl->consumers)};
	uint32_t live[2];

	if (shmring__part_scan(r->base, &r->hdr, &r->live, live, true)) {
		/* Someone died: sleepers may now be at end-of-stream or EPIPE. */
		shmring__ec_notify_fenced(&r->not_empty, NULL);
		shmring__ec_notify_fenced(&r->not_full, NULL);
	}
	presence_settle(r, seen, live);
}

int shmring__peer_check(shmring_t *r, unsigned side)
{
	uint64_t now = shmring__now_ns(), pos = 0;
	uint32_t holder = UINT32_MAX;
	int rc = 0, progress = 0;

	/* Every look, a blocked call's included, puts off the next one a try
	 * call or a timed-out call would take (r->next_check). */
	r->next_check = now + shmring__recovery_ns(r);
	shmring__peer_reap(r);
	for (int i = 0; i < REPAIRS_PER_CHECK; i++) {
		rc = side == SHMRING_CONSUMER ? recover_rx(r, &pos, &holder)
					      : recover_tx(r, &pos, &holder);
		if (rc <= 0)
			break;
		progress = 1;
	}
	if (progress) {
		/* A repair frees what it repaired for everyone waiting on it. */
		if (side == SHMRING_CONSUMER)
			shmring__ec_notify_fenced(&r->not_empty, NULL);
		else
			shmring__ec_notify_fenced(&r->not_full, NULL);
	}
	if (r->hdr.kind == SHMRING_KIND_MSG && (r->qrx.moved || r->qtx.moved))
		/* A repair or its sweep gave producers room. */
		shmring__ec_notify_fenced(&r->not_full, NULL);
	if (rc == -EAGAIN) {
		stall_begin(r, side, pos, holder, now);
		rc = 0;
	} else if (r->stall_since) {
		shmring__stall_end(r);
	}
	if (rc < 0)
		return rc;
	if (side == SHMRING_CONSUMER) {
		rc = shmring__rx_eos(r);
		if (rc < 0)
			return rc;
	} else if (shmring__tx_gone(r)) {
		return -EPIPE;
	}
	return progress;
}

/*
 * The fruitless calls until the next look at the clock, from the pace of
 * the last r->idle of them (now - r->idle_at): as many as take about a
 * quarter of the recovery deadline, from 1 to IDLE_TRIES. A loop that spins
 * looks every IDLE_TRIES calls (a clock read costs it nothing it would
 * notice); one that polls every few milliseconds, or sleeps in its own event
 * loop between calls, looks on each call once a look has seen that pace.
 * Either notices a death within about the deadline, as a blocked call does;
 * counted calls alone took IDLE_TRIES times the loop's period (2.6 s at 10 ms
 * a call). A count cannot see a loop slow down: one that spun and then polls
 * every 20 ms looks next IDLE_TRIES calls on (about 5 s), and at its pace
 * from then on (ring.h says so, and points to shmring_peers_check()).
 */
static unsigned paced(const shmring_t *r, unsigned calls, uint64_t *at, uint64_t now,
		      unsigned most)
{
	uint64_t dt = now - *at, n;

	*at = now;
	n = dt ? (uint64_t)calls * (shmring__recovery_ns(r) / 4) / dt : most;
	return n < 1 ? 1 : n > most ? most : (unsigned)n;
}

static void idle_pace(shmring_t *r, uint64_t now)
{
	r->idle_tries = paced(r, r->idle, &r->idle_at, now, IDLE_TRIES);
}

uint32_t shmring__idle_grant(const shmring_t *r)
{
	return r->idle_tries > 1 ? r->idle_tries - 1 : 0;
}

int shmring__peer_idle(shmring_t *r, unsigned side)
{
	uint64_t now;

	if (++r->idle < r->idle_tries)
		return 0;
	now = shmring__now_ns();
	idle_pace(r, now);
	r->idle = 0;
	if (now < r->next_check)
		return 0;
	return shmring__peer_check(r, side);
}

void shmring__peer_busy_look(shmring_t *r)
{
	uint64_t now = shmring__now_ns();

	r->busy_tries = paced(r, r->busy, &r->busy_at, now, BUSY_SENDS);
	r->busy = 0;
	if (now < r->next_check)
		return;
	/* The look of shmring__peer_check() less its repairs: nothing holds a
	 * send back that just moved something. */
	r->next_check = now + shmring__recovery_ns(r);
	shmring__peer_reap(r);
}

/* --- What the send and receive files share ------------------------------- */

int shmring__tx_nothing(shmring_t *r, bool corrupt)
{
	int rc;

	if (corrupt)
		return -SHMRING_ECORRUPT;
	rc = shmring__peer_idle(r, SHMRING_PRODUCER);
	return rc < 0 ? rc : -EAGAIN;
}

int shmring__rx_nothing(shmring_t *r, bool corrupt)
{
	int rc;

	shmring__flush_freed(r); /* we stop here: give producers what we freed */
	if (corrupt)
		return -SHMRING_ECORRUPT;
	rc = shmring__rx_eos(r);
	if (rc < 0)
		return rc;
	rc = shmring__peer_idle(r, SHMRING_CONSUMER);
	return rc < 0 ? rc : -EAGAIN;
}

/* One blocking call: its side and its attempt, for the wait's callbacks. */
struct blocking {
	shmring_t *r;
	unsigned side;
	shmring_attempt_fn attempt;
	void *op;
};

static int block_attempt(void *ctx)
{
	const struct blocking *b = ctx;

	return b->attempt(b->op);
}

static int block_check(void *ctx)
{
	const struct blocking *b = ctx;

	return shmring__peer_check(b->r, b->side);
}

/*
 * A blocking call that timed out. Its wait looks at the peers once per
 * recovery period of its own, so a run of calls each shorter than that
 * (a short or past deadline in a loop) would never look: no end-of-stream,
 * no EPIPE, a dead peer's claim never repaired. Like a run of fruitless try
 * calls, it looks when the handle's next look is due, at most once per
 * period; what the look moved gets one more attempt.
 */
static int timed_out(shmring_t *r, unsigned side, shmring_attempt_fn attempt, void *op)
{
	uint64_t now = shmring__now_ns();
	int rc;

	if (now < r->next_check)
		return -ETIMEDOUT;
	rc = shmring__peer_check(r, side);
	if (rc > 0)
		rc = attempt(op);
	return rc == 0 ? -ETIMEDOUT : rc;
}

int shmring__block_wait(shmring_t *r, unsigned side, shmring_attempt_fn attempt, void *op,
			uint64_t deadline)
{
	struct blocking b = {.r = r, .side = side, .attempt = attempt, .op = op};
	struct shmring_wait_ops ops = {.attempt = block_attempt,
				       .check = block_check,
				       .ctx = &b,
				       .check_ns = shmring__recovery_ns(r)};
	bool tx = side == SHMRING_PRODUCER;
	int rc = shmring__wait(&r->wait, tx ? &r->not_full : &r->not_empty, &ops, deadline,
			       tx ? &shmring__prod_side(r->base)->waits
				  : &shmring__cons_side(r->base)->waits);

	if (rc == -ETIMEDOUT)
		rc = timed_out(r, side, attempt, op);
	if (r->stall_since)
		shmring__stall_end(r);
	return rc;
}
