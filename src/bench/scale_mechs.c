/* SPDX-License-Identifier: MIT */
/*
 * src/bench/scale_mechs.c - the rings of the list (rings.h) as transports
 * of the scaling runs, and their table: shmring's many-producer rings and
 * the peer rings, through their transports.
 *
 * One code serves every line: busy-poll on the try_ calls with a pause,
 * sched_yield() between attempts, or the transport's blocking calls under a
 * deadline refreshed while the run goes on. The ring is created by the
 * parent and opened by each child, as unrelated processes would.
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>

#include "pair.h"
#include "rings.h"
#include "scale.h"
#include "timing.h"

static const struct shmring_bench_ring_line *line_of(const struct shmring_bench_scale_end *e)
{
	return e->mech->arg;
}

static void sring_teardown(struct shmring_bench_scale_end *e)
{
	shmring_bench_rings_destroy(&e->priv);
}

/* The rings are made for what will use them: many producers or consumers
 * when the run has them. The peers run in their multi-producer form
 * throughout (their names say -mp). */
static int sring_setup(struct shmring_bench_scale_end *e, char *why, size_t wl)
{
	unsigned hints = 0;

	if (e->producers > 1 || (e->mech->flags & SHMRING_BENCH_SCALE_PEER))
		hints |= SHMRING_BENCH_RING_MP;
	if (e->consumers > 1)
		hints |= SHMRING_BENCH_RING_MC;
	return shmring_bench_rings_create(line_of(e), 1, e->size, hints, &e->priv, why, wl);
}

static int sring_attach(struct shmring_bench_scale_end *e)
{
	struct shmring_bench_ring_end *end = NULL;
	int rc = shmring_bench_ring_open(e->priv, 0, e->producer,
					 line_of(e)->style == SHMRING_BENCH_RING_BLOCK, &end);

	e->local = end;
	return rc;
}

static void sring_detach(struct shmring_bench_scale_end *e)
{
	shmring_bench_ring_close(e->local);
	e->local = NULL;
}

/* One failed attempt: wait the line's way; false when it is time to stop. */
static bool wait_once(struct shmring_bench_scale_end *e)
{
	if (shmring_bench_scale_give_up(e))
		return false;
	if (line_of(e)->style == SHMRING_BENCH_RING_YIELD)
		sched_yield();
	else
		shmring_bench_relax();
	return true;
}

/* After a blocking call timed out: stop, or wait again for another while. */
static bool again(struct shmring_bench_scale_end *e)
{
	if (shmring_bench_scale_give_up(e))
		return false;
	e->deadline_ns = shmring_bench_mono_ns() + SHMRING_BENCH_SCALE_POLL_NS;
	return true;
}

static int sring_send(struct shmring_bench_scale_end *e, const void *msg)
{
	const struct shmring_bench_transport *t = line_of(e)->t;
	int rc;

	if (line_of(e)->style != SHMRING_BENCH_RING_BLOCK) {
		while ((rc = t->try_send(e->local, msg)) == -EAGAIN)
			if (!wait_once(e))
				return -ECANCELED;
		return rc;
	}
	/* The deadline is refreshed only when it passes, so the clock is read
	 * only when a call had to wait that long. */
	do {
		rc = t->send(e->local, msg, e->deadline_ns);
	} while (rc == -ETIMEDOUT && again(e));
	return rc == -ETIMEDOUT ? -ECANCELED : rc;
}

static int sring_recv(struct shmring_bench_scale_end *e, void *msg)
{
	const struct shmring_bench_transport *t = line_of(e)->t;
	int rc;

	if (line_of(e)->style != SHMRING_BENCH_RING_BLOCK) {
		while ((rc = t->try_recv(e->local, msg)) == -EAGAIN)
			if (!wait_once(e))
				return -EAGAIN;
		return rc;
	}
	do {
		rc = t->recv(e->local, msg, e->deadline_ns);
	} while (rc == -ETIMEDOUT && again(e));
	return rc == -ETIMEDOUT ? -EAGAIN : rc;
}

static int sring_try_recv(struct shmring_bench_scale_end *e, void *msg)
{
	return line_of(e)->t->try_recv(e->local, msg);
}

/* The transports: the lines of the list with a section, scale_<id>. */
#define SECTION_FLAGS_BUSY_RING 0
#define SECTION_FLAGS_BUSY_PEER SHMRING_BENCH_SCALE_PEER
#define SECTION_FLAGS_BUSY_MSG SHMRING_BENCH_SCALE_MSG
#define SECTION_FLAGS_WAIT_RING SHMRING_BENCH_SCALE_WAIT
#define SECTION_FLAGS_WAIT_PEER (SHMRING_BENCH_SCALE_PEER | SHMRING_BENCH_SCALE_WAIT)
#define SECTION_FLAGS_WAIT_MSG (SHMRING_BENCH_SCALE_MSG | SHMRING_BENCH_SCALE_WAIT)
#define SECTION_FLAGS_NONE 0

#define SCALE_MECH(id, transport, opts, style, batch, pair, pname, pdesc, section, sname, sdesc,   \
		   maxc, smax)                                                                     \
	static const struct shmring_bench_scale_mech scale_##id = {                                \
		.name = sname,                                                                     \
		.desc = sdesc,                                                                     \
		.flags = SECTION_FLAGS_##section |                                                 \
			 (SHMRING_BENCH_SPSC_ONLY_##transport ? SHMRING_BENCH_SCALE_SPSC : 0),     \
		.max_consumers = (maxc),                                                           \
		.max_size = (smax) ? (smax) : SHMRING_BENCH_MAX_SIZE_##transport,                  \
		.arg = &shmring_bench_ring_line_##id,                                              \
		.setup = sring_setup,                                                              \
		.attach = sring_attach,                                                            \
		.send = sring_send,                                                                \
		.recv = sring_recv,                                                                \
		.try_recv = sring_try_recv,                                                        \
		.detach = sring_detach,                                                            \
		.teardown = sring_teardown,                                                        \
	};                                                                                         \
	_Static_assert((SHMRING_BENCH_RING_##style == SHMRING_BENCH_RING_BUSY) ==                  \
			       !(SECTION_FLAGS_##section & SHMRING_BENCH_SCALE_WAIT),              \
		       #id ": its section says how it waits");
#define SCALE_MECH_IF(id, transport, opts, style, batch, pair, pname, pdesc, section, ...)         \
	SHMRING_BENCH_SECOND(SHMRING_BENCH_NONE_##section, SHMRING_BENCH_KEEP, ~)(                 \
		SCALE_MECH(id, transport, opts, style, batch, pair, pname, pdesc, section,         \
			   __VA_ARGS__))
#define SHMRING_BENCH_NONE_NONE ~, SHMRING_BENCH_SKIP
SHMRING_BENCH_RINGS(SCALE_MECH_IF)

/* In report order, section by section (rings.h). */
#define SCALE_PTR(want, id, transport, opts, style, batch, pair, pname, pdesc, section, ...)      \
	SHMRING_BENCH_PICK(section, want)(&scale_##id, )
#define PTR_BUSY_RING(...) SCALE_PTR(BUSY_RING, __VA_ARGS__)
#define PTR_BUSY_PEER(...) SCALE_PTR(BUSY_PEER, __VA_ARGS__)
#define PTR_BUSY_MSG(...) SCALE_PTR(BUSY_MSG, __VA_ARGS__)
#define PTR_WAIT_RING(...) SCALE_PTR(WAIT_RING, __VA_ARGS__)
#define PTR_WAIT_PEER(...) SCALE_PTR(WAIT_PEER, __VA_ARGS__)
#define PTR_WAIT_MSG(...) SCALE_PTR(WAIT_MSG, __VA_ARGS__)

const struct shmring_bench_scale_mech *const shmring_bench_scale_mechs[] = {
	SHMRING_BENCH_RINGS(PTR_BUSY_RING) SHMRING_BENCH_RINGS(PTR_BUSY_PEER)
	SHMRING_BENCH_RINGS(PTR_BUSY_MSG) SHMRING_BENCH_RINGS(PTR_WAIT_RING)
	SHMRING_BENCH_RINGS(PTR_WAIT_PEER) SHMRING_BENCH_RINGS(PTR_WAIT_MSG)
};

const size_t shmring_bench_scale_nmechs =
	sizeof(shmring_bench_scale_mechs) / sizeof(shmring_bench_scale_mechs[0]);
