/* SPDX-License-Identifier: MIT */
/*
 * benches/density_main.c - shmring_density: does a denser SPSC slot layout
 * move small messages faster? (issue 12, item 2)
 *
 * An 8-byte message with its 8-byte stamp fills 16 bytes, so a cache line
 * carries 4 messages where a peer ring's carries 8; a 64-byte message with
 * its stamp takes a 128-byte slot, two lines. Three layouts, each a pure SPSC
 * core over heap memory (no eventcount, no fences, no library around it), so
 * only the layout differs, and three references:
 *
 *   stamped   the current layout: the real ringbuf/spsc.h core
 *             (shmring__spsc_send / shmring__spsc_recv), a stamp per slot,
 *             consumer position published per receive call.
 *   dense     payloads back to back; the producer and consumer indices on
 *             lines of their own, each side keeping a cached copy of the
 *             other's and reloading it only when the copy says full / empty
 *             (the Lamport / ck_ring / boost spsc_queue family).
 *   linestamp payloads packed 7 to a 64-byte line, the line's first word a
 *             stamp (position + 1 of the newest message in the line), the
 *             consumer position published per receive call as in stamped:
 *             the current protocol at 7 messages a line instead of 4.
 *             8-byte messages only (a 64-byte message fills a line).
 *   packed    stamped with the stamp and payload back to back (stride
 *             size + 8 rounded to 8: 72 bytes for 64-byte messages, where
 *             the current layout takes 128), so slots share lines.
 *             64-byte messages only (at 8 bytes it is stamped).
 *   stamped+F, dense+F
 *             stamped and dense with a full fence after every call that
 *             moved something, on both sides, as the library's eventcount
 *             (F-notify) adds today: whether a layout changes what the fence
 *             costs, read in the same placement.
 *   api       the library itself, as a user calls it: an anon: SPSC ring,
 *             shmring_try_send / shmring_try_recv (batch: the _burst forms),
 *             one handle per thread. Ties the cores above to what users get.
 *
 * Each is driven by two threads pinned to two CPUs, 4096-message capacity
 * (linestamp: 586 lines of 7, room for 4095), in two loops: single (one
 * message per call, a pause when full or empty: a user's loop) and batch
 * (bursts of up to 32).
 * Every message carries its sequence number and the consumer checks it.
 * Payloads are copied by the same shmring__copy() the stamped core uses
 * (fixed-size moves for 8 and 64 bytes), so copying costs the same in all.
 *
 * The host moves the two vCPUs between near and far cores every few
 * seconds, which changes every figure here ~3x. So each round measures the
 * one-line floor (round trip of one bounced cache line, as benches/harness.c
 * does) before and after it, runs every combination once in an order that
 * rotates from round to round, and a ratio between layouts is meant to be
 * read within one round: same placement. A round whose floor moved by more
 * than a third is flagged "moved".
 *
 *   shmring_density [rounds [messages]]     defaults: 5 rounds, 2^20 messages
 *
 * Prints one line per round and combination: M msg/s over the whole run
 * (mean) and of its median chunk of 4096 messages (chunk: the rate while
 * both threads run, which a preemption of a few ms does not drag down), and
 * how many times the two threads were preempted during the run (on a
 * machine shared with other work the means mean little when that count is
 * high); then per placement (near: floor < 150 ns; far: otherwise) the
 * median of each combination and the median of its per-round ratio to
 * stamped, over the rounds whose floor did not move. A run that takes over
 * 3 s (other spinners on the same CPUs) is abandoned and left out; one that
 * received no message at all in that time, or a message out of order, ends
 * the program with status 2.
 */
#include "ringbuf/spsc.h"

#include <shmring/shmring.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define CAPACITY   4096u
#define BATCH      32u
#define SPACING    128u /* independently written words sit this far apart (line pairs) */
#define LINE       64u
#define PER_LINE   7u   /* linestamp: messages per line, after the stamp */
#define LS_LINES   586u /* linestamp: 586 lines, room for 4095 messages */
#define MAX_MSG    64u
#define MAX_ROUNDS 64
#define NEAR_NS    150.0 /* floors below this are "near" placement */
#define RUN_CHUNK  4096u /* messages per timed chunk of a run */
#define MAX_CHUNKS 4096u

enum layout { STAMPED, DENSE, LINESTAMP, PACKED, STAMPED_F, DENSE_F, API, NLAYOUTS };
enum mode { SINGLE, BURST, NMODES };

static const char *const layout_name[NLAYOUTS] = {"stamped",   "dense",   "linestamp", "packed",
                                                  "stamped+F", "dense+F", "api"};
static const char *const mode_name[NMODES] = {"single", "batch32"};
static const unsigned sizes[] = {8, 64};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *zalloc(size_t size)
{
	size_t rounded = (size + SPACING - 1) / SPACING * SPACING;
	void *p = aligned_alloc(SPACING, rounded);

	if (!p) {
		fprintf(stderr, "shmring_density: out of memory\n");
		exit(1);
	}
	memset(p, 0, rounded);
	return p;
}

/* --- The shared state of every layout ------------------------------------------- */

/* The memory one run shares between the two threads, fresh (zeroed) for each run. */
struct shared {
	struct shmring_side *prod; /* stamped: the producer's side (observers' position) */
	struct shmring_side *cons; /* stamped, linestamp: the consumer's published position */
	_Atomic uint64_t *head;    /* dense: producer index, a line pair of its own */
	_Atomic uint64_t *tail;    /* dense: consumer index, likewise */
	unsigned char *slots;
	size_t slots_size;
};

/* --- dense: Lamport with cached indices ------------------------------------------- */

struct dense {
	_Atomic uint64_t *head, *tail;
	unsigned char *buf;
	uint64_t pos;   /* this side's index */
	uint64_t cache; /* the other side's, as last read */
	uint32_t size;
};

static inline unsigned dense_send(struct dense *d, const unsigned char *src, unsigned n)
{
	uint64_t room = CAPACITY - (d->pos - d->cache);

	if (room < n) {
		/* Acquire: pairs with the consumer's release of tail; its reads of
		 * those slots are done before we overwrite them. */
		d->cache = atomic_load_explicit(d->tail, memory_order_acquire);
		room = CAPACITY - (d->pos - d->cache);
		if (room == 0)
			return 0;
		if (room < n)
			n = (unsigned)room;
	}
	for (unsigned i = 0; i < n; i++)
		shmring__copy(d->buf + ((d->pos + i) & (CAPACITY - 1)) * d->size,
		              src + (size_t)i * d->size, d->size);
	d->pos += n;
	/* Release: the payloads are visible before the index that covers them. */
	atomic_store_explicit(d->head, d->pos, memory_order_release);
	return n;
}

static inline unsigned dense_recv(struct dense *d, unsigned char *dst, unsigned n)
{
	uint64_t avail = d->cache - d->pos;

	if (avail < n) {
		/* Acquire: pairs with the producer's release of head. */
		d->cache = atomic_load_explicit(d->head, memory_order_acquire);
		avail = d->cache - d->pos;
		if (avail == 0)
			return 0;
		if (avail < n)
			n = (unsigned)avail;
	}
	for (unsigned i = 0; i < n; i++)
		shmring__copy(dst + (size_t)i * d->size,
		              d->buf + ((d->pos + i) & (CAPACITY - 1)) * d->size, d->size);
	d->pos += n;
	/* Release: our reads of the slots finish before the producer reuses them. */
	atomic_store_explicit(d->tail, d->pos, memory_order_release);
	return n;
}

/* --- linestamp: 7 messages and a stamp per line -------------------------------------- */

struct linestamp {
	unsigned char *lines;
	struct shmring_side *cons;
	uint64_t pos;        /* this side's position */
	uint64_t peer_cache; /* producer: the consumer position last read */
	uint32_t line, slot; /* where pos falls: line index, message within it */
};

static inline _Atomic uint64_t *ls_stamp(const struct linestamp *l, uint32_t line)
{
	return (_Atomic uint64_t *)(void *)(l->lines + (size_t)line * LINE);
}

static inline unsigned char *ls_msg(const struct linestamp *l, uint32_t line, uint32_t slot)
{
	return l->lines + (size_t)line * LINE + 8u * (1u + slot);
}

/* Move on by k messages, all within the current line. */
static inline void ls_advance(struct linestamp *l, uint32_t k)
{
	l->pos += k;
	l->slot += k;
	if (l->slot == PER_LINE) {
		l->slot = 0;
		l->line = l->line + 1 == LS_LINES ? 0 : l->line + 1;
	}
}

/*
 * Room is counted a line short of the lines: a line's stamp speaks for the
 * whole line, so the producer may start a line's next lap only once the
 * consumer has left all of it (else the new stamp would cover the slots the
 * consumer has yet to read from the old lap). 586 * 7 - 7 = 4095 messages.
 */
static inline unsigned ls_send(struct linestamp *l, const unsigned char *src, unsigned n)
{
	const uint64_t cap = (uint64_t)LS_LINES * PER_LINE - PER_LINE;
	uint64_t room = cap - (l->pos - l->peer_cache);

	if (room < n) {
		/* Acquire: pairs with the consumer's release of its position. */
		l->peer_cache = atomic_load_explicit(&l->cons->pos, memory_order_acquire);
		room = cap - (l->pos - l->peer_cache);
		if (room == 0)
			return 0;
		if (room < n)
			n = (unsigned)room;
	}
	for (unsigned done = 0; done < n;) {
		uint32_t line = l->line, k = PER_LINE - l->slot;

		if (k > n - done)
			k = n - done;
		if (k == 1)
			shmring__copy(ls_msg(l, line, l->slot), src + 8u * done, 8);
		else
			memcpy(ls_msg(l, line, l->slot), src + 8u * done, 8u * k);
		ls_advance(l, k);
		done += k;
		/* Release: the line's messages up to pos are visible with its
		 * stamp: one stamp store per line touched. */
		atomic_store_explicit(ls_stamp(l, line), l->pos, memory_order_release);
	}
	return n;
}

static inline unsigned ls_recv(struct linestamp *l, unsigned char *dst, unsigned n)
{
	unsigned got = 0;

	while (got < n) {
		/* Acquire: pairs with the producer's release of the stamp. A
		 * stamp is the position + 1 of the newest message in the line,
		 * so it covers ours once it exceeds our position; a stamp from
		 * the previous lap is below the line's first position. */
		uint64_t s = atomic_load_explicit(ls_stamp(l, l->line), memory_order_acquire);
		unsigned k;

		if (s <= l->pos)
			break;
		k = (unsigned)(s - l->pos);
		if (k > n - got)
			k = n - got;
		if (k == 1)
			shmring__copy(dst + 8u * got, ls_msg(l, l->line, l->slot), 8);
		else
			memcpy(dst + 8u * got, ls_msg(l, l->line, l->slot), 8u * k);
		ls_advance(l, k);
		got += k;
	}
	if (got)
		/* Release: our reads finish before the producer reuses the slots. */
		atomic_store_explicit(&l->cons->pos, l->pos, memory_order_release);
	return got;
}

/* --- One side of one run ------------------------------------------------------------- */

struct run {
	enum layout layout;
	enum mode mode;
	unsigned size;
	uint64_t messages;
	struct shared *sh;
	shmring_t *api[2]; /* API: the producer's and the consumer's handle */
	/* results */
	uint64_t deadline; /* CLOCK_MONOTONIC ns: give up (a busy machine) */
	_Atomic bool stop; /* either side gave up */
	uint64_t ns;       /* the consumer's clock, first message to last */
	double *chunk_ns;  /* ns per message of each chunk (MAX_CHUNKS) */
	size_t nchunks;
	int bad;           /* the consumer saw a message out of order */
	uint64_t got;      /* messages the consumer received */
	long preempted[2]; /* involuntary context switches: producer, consumer */
};

/*
 * A pause while full or empty. Now and then it looks at the clock: two
 * spinning threads need both CPUs at once, and on a machine shared with
 * other spinners a run can crawl for minutes; past its deadline it stops.
 */
static inline bool paused(struct run *run, unsigned *spins)
{
	shmring__cpu_relax();
	if (++*spins % 4096 != 0)
		return true;
	/* Relaxed: a flag whose value is all that matters. */
	if (atomic_load_explicit(&run->stop, memory_order_relaxed))
		return false;
	if (now_ns() > run->deadline) {
		atomic_store_explicit(&run->stop, true, memory_order_relaxed);
		return false;
	}
	return true;
}

/* One side's endpoint of the run's layout, and how it moves up to n messages. */
struct endpoint {
	const struct run *run;
	shmring_t *h;
	struct shmring_lane sv;
	struct dense dv;
	struct linestamp lv;
};

static void endpoint_init(struct endpoint *e, const struct run *run, int side)
{
	const struct shared *sh = run->sh;

	memset(e, 0, sizeof *e);
	e->run = run;
	e->h = run->api[side];
	switch (run->layout) {
	case STAMPED:
	case STAMPED_F:
	case PACKED:
		/* The view shmring__spsc_view() would build over a mapped ring:
		 * stamp + payload, stride a power of two up to a line, whole
		 * lines above (ringbuf/header.c). */
		e->sv.slots = sh->slots;
		e->sv.prod = sh->prod;
		e->sv.cons = sh->cons;
		e->sv.capacity = CAPACITY;
		e->sv.mask = CAPACITY - 1;
		e->sv.size = run->size;
		e->sv.stride = run->size + SHMRING_STAMP_SIZE <= 16   ? 16
		               : run->size + SHMRING_STAMP_SIZE <= 32 ? 32
		               : run->size + SHMRING_STAMP_SIZE <= 64 ? 64
		                                                      : 128;
		if (run->layout == PACKED) /* stamp and payload back to back */
			e->sv.stride = (run->size + SHMRING_STAMP_SIZE + 7u) & ~7u;
		e->sv.group = 1; /* a stamp per slot */
		e->sv.pitch = e->sv.stride;
		break;
	case DENSE:
	case DENSE_F:
		e->dv.head = sh->head;
		e->dv.tail = sh->tail;
		e->dv.buf = sh->slots;
		e->dv.size = run->size;
		break;
	case LINESTAMP:
		e->lv.lines = sh->slots;
		e->lv.cons = sh->cons;
		break;
	default:
		break;
	}
}

/*
 * The +F layouts add what the library's send and receive calls do around
 * the core today: a full fence after every call that moved something (the
 * eventcount's F-notify on both sides, sync/eventcount.h), so that the fence's
 * cost can be read against each layout in the same placement.
 */
static inline unsigned with_fence(unsigned k)
{
	if (k)
		atomic_thread_fence(memory_order_seq_cst);
	return k;
}

static inline unsigned ep_send(struct endpoint *e, const unsigned char *src, unsigned n)
{
	switch (e->run->layout) {
	case STAMPED:
	case PACKED:
		return shmring__spsc_send(&e->sv, src, n, n == 1);
	case STAMPED_F:
		return with_fence(shmring__spsc_send(&e->sv, src, n, n == 1));
	case DENSE:
		return dense_send(&e->dv, src, n);
	case DENSE_F:
		return with_fence(dense_send(&e->dv, src, n));
	case API:
		return n == 1 ? shmring_try_send(e->h, src) == 0
		              : shmring_try_send_burst(e->h, src, n);
	default:
		return ls_send(&e->lv, src, n);
	}
}

static inline unsigned ep_recv(struct endpoint *e, unsigned char *dst, unsigned n)
{
	switch (e->run->layout) {
	case STAMPED:
	case PACKED:
		return shmring__spsc_recv(&e->sv, dst, n, n == 1);
	case STAMPED_F:
		return with_fence(shmring__spsc_recv(&e->sv, dst, n, n == 1));
	case DENSE:
		return dense_recv(&e->dv, dst, n);
	case DENSE_F:
		return with_fence(dense_recv(&e->dv, dst, n));
	case API:
		return n == 1 ? shmring_try_recv(e->h, dst) == 0
		              : shmring_try_recv_burst(e->h, dst, n);
	default:
		return ls_recv(&e->lv, dst, n);
	}
}

static void stamp_seq(unsigned char *msg, uint64_t seq)
{
	memcpy(msg, &seq, sizeof seq);
}

static uint64_t msg_seq(const unsigned char *msg)
{
	uint64_t seq;

	memcpy(&seq, msg, sizeof seq);
	return seq;
}

/*
 * The loops, specialised per layout and size by the compiler through the
 * always-inline calls above (the switch is on values fixed for the run).
 */
static void produce(struct run *run)
{
	alignas(64) unsigned char buf[BATCH * MAX_MSG];
	const unsigned want = run->mode == SINGLE ? 1 : BATCH;
	struct endpoint e;
	uint64_t i = 0;
	unsigned spins = 0;

	endpoint_init(&e, run, 0);
	memset(buf, 0xa5, sizeof buf);
	while (i < run->messages) {
		unsigned n = run->messages - i < want ? (unsigned)(run->messages - i) : want, k;

		for (unsigned j = 0; j < n; j++)
			stamp_seq(buf + (size_t)j * run->size, i + j);
		while ((k = ep_send(&e, buf, n)) == 0)
			if (!paused(run, &spins))
				return;
		i += k;
		/* A partial burst: the rest goes again with its own numbers. */
	}
}

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The consumer also reads the clock once per RUN_CHUNK messages: a chunk hit by
 * a preemption (the machine is shared) takes far longer than the others, so
 * the median chunk gives the rate while both threads run, and the whole
 * run's mean what a user on this machine would see. Both are reported.
 */
static void consume(struct run *run)
{
	alignas(64) unsigned char buf[BATCH * MAX_MSG];
	const unsigned want = run->mode == SINGLE ? 1 : BATCH;
	struct endpoint e;
	uint64_t i = 0, t0 = 0, next = RUN_CHUNK, last = 0, last_i = 0;
	unsigned spins = 0;
	size_t nchunks = 0;

	endpoint_init(&e, run, 1);
	while (i < run->messages) {
		unsigned k;

		while ((k = ep_recv(&e, buf, want)) == 0)
			if (!paused(run, &spins)) {
				run->got = i;
				return;
			}
		if (i == 0)
			last = t0 = now_ns();
		for (unsigned j = 0; j < k; j++) {
			if (msg_seq(buf + (size_t)j * run->size) != i + j) {
				run->bad = 1;
				run->got = i + j;
				return;
			}
		}
		i += k;
		if (i >= next) {
			uint64_t t = now_ns();

			if (nchunks < MAX_CHUNKS)
				run->chunk_ns[nchunks++] =
				    (double)(t - last) / (double)(i - last_i);
			last = t;
			last_i = i;
			next = (i / RUN_CHUNK + 1) * RUN_CHUNK;
		}
	}
	run->ns = now_ns() - t0;
	run->nchunks = nchunks;
	run->got = i;
}

/* --- Two threads: jobs and the floor --------------------------------------------------- */

enum job_kind { JOB_NONE, JOB_FLOOR, JOB_RUN, JOB_QUIT };

struct pair {
	alignas(SPACING) _Atomic uint64_t go;   /* job generation, bumped by the main thread */
	alignas(SPACING) _Atomic uint64_t done; /* the worker's last finished generation */
	alignas(SPACING) _Atomic int arrived;   /* start barrier of a run */
	enum job_kind kind;
	struct run *run;
	uint64_t floor_base;
	alignas(SPACING) _Atomic uint64_t line; /* the bounced line of the floor */
};

/* rounds round trips over one line (as benches/harness.c's floor_bounce). */
static void floor_bounce(_Atomic uint64_t *w, int side, uint64_t base, uint64_t rounds)
{
	/* Relaxed: the word is the only data, and relaxed costs the same
	 * cache-line transfer a ring pays. */
	for (uint64_t i = 0; i < rounds; i++) {
		const uint64_t ping = base + 2 * i + 1;

		if (side == 0) {
			atomic_store_explicit(w, ping, memory_order_relaxed);
			while (atomic_load_explicit(w, memory_order_relaxed) != ping + 1)
				shmring__cpu_relax();
		} else {
			while (atomic_load_explicit(w, memory_order_relaxed) != ping)
				shmring__cpu_relax();
			atomic_store_explicit(w, ping + 1, memory_order_relaxed);
		}
	}
}

/* The median of 8 chunks of 128 round trips after 64 to warm up, in ns (side 0). */
static double floor_probe(struct pair *p, int side)
{
	enum { WARM = 64, CHUNKS = 8, CHUNK = 128 };
	uint64_t base = p->floor_base;
	double ns[CHUNKS];

	floor_bounce(&p->line, side, base, WARM);
	base += 2 * WARM;
	for (int c = 0; c < CHUNKS; c++) {
		uint64_t t0 = now_ns();

		floor_bounce(&p->line, side, base, CHUNK);
		base += 2 * CHUNK;
		ns[c] = (double)(now_ns() - t0) / CHUNK;
	}
	qsort(ns, CHUNKS, sizeof ns[0], cmp_double);
	return (ns[CHUNKS / 2 - 1] + ns[CHUNKS / 2]) / 2;
}

/* This thread's involuntary context switches so far. */
static long preemptions(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nivcsw : 0;
}

static void barrier(struct pair *p)
{
	atomic_fetch_add(&p->arrived, 1);
	while (atomic_load(&p->arrived) < 2)
		shmring__cpu_relax();
}

/* The worker: the consumer of every run, side 1 of every floor. */
static void *worker(void *arg)
{
	struct pair *p = arg;
	uint64_t seen = 0;

	for (;;) {
		uint64_t g;

		while ((g = atomic_load(&p->go)) == seen)
			shmring__cpu_relax();
		seen = g;
		switch (p->kind) {
		case JOB_FLOOR:
			floor_probe(p, 1);
			break;
		case JOB_RUN:
			barrier(p);
			p->run->preempted[1] = -preemptions();
			consume(p->run);
			p->run->preempted[1] += preemptions();
			break;
		default:
			atomic_store(&p->done, g);
			return NULL;
		}
		atomic_store(&p->done, g);
	}
}

static void start(struct pair *p, enum job_kind kind, struct run *run)
{
	p->kind = kind;
	p->run = run;
	atomic_store(&p->arrived, 0);
	atomic_fetch_add(&p->go, 1);
}

static void finish(struct pair *p)
{
	uint64_t g = atomic_load(&p->go);

	while (atomic_load(&p->done) != g)
		shmring__cpu_relax();
}

static double floor_job(struct pair *p)
{
	double ns;

	start(p, JOB_FLOOR, NULL);
	ns = floor_probe(p, 0);
	finish(p);
	p->floor_base += 2 * (64 + 8 * 128);
	return ns;
}

static void shared_reset(struct shared *sh)
{
	memset(sh->prod, 0, sizeof *sh->prod);
	memset(sh->cons, 0, sizeof *sh->cons);
	atomic_store(sh->head, 0);
	atomic_store(sh->tail, 0);
	memset(sh->slots, 0, sh->slots_size);
}

/* Runs of a run longer than this are abandoned (a machine busy with other spinners). */
#define RUN_LIMIT_NS UINT64_C(3000000000)

/* What one run measured. */
struct result {
	double mean;    /* M msg/s over the whole run; 0: abandoned; -1: out of order;
			 * -3: abandoned without a message received */
	double chunk;   /* M msg/s of the median chunk */
	long preempted; /* involuntary context switches of both threads */
};

/*
 * API: a ring of the library, through its public calls (shmring_try_send /
 * shmring_try_recv, and the _burst forms): an anon: SPSC ring of 4096 slots,
 * a producer handle and a consumer handle (shmring_dup), each used by one
 * thread. 0 or -errno.
 */
static int api_open(unsigned size, shmring_t *h[2])
{
	struct shmring_opts o = {
	    .kind = SHMRING_KIND_SPSC, .slot_size = size, .capacity = CAPACITY};
	int rc = shmring_create("anon:", &o, SHMRING_PRODUCER, &h[0]);

	if (rc == 0 && (rc = shmring_dup(h[0], SHMRING_CONSUMER, &h[1])) != 0)
		shmring_close(h[0]);
	return rc;
}

/* One run, producer here, consumer on the worker. */
static struct result run_job(struct pair *p, struct shared *sh, enum layout l, enum mode m,
                             unsigned size, uint64_t messages)
{
	static double chunk_ns[MAX_CHUNKS];
	struct run run = {.layout = l,
	                  .mode = m,
	                  .size = size,
	                  .messages = messages,
	                  .sh = sh,
	                  .chunk_ns = chunk_ns};
	struct result res = {0, 0, 0};

	shared_reset(sh);
	if (l == API && api_open(size, run.api) != 0) {
		res.mean = -2;
		return res;
	}
	run.deadline = now_ns() + RUN_LIMIT_NS;
	start(p, JOB_RUN, &run);
	barrier(p);
	run.preempted[0] = -preemptions();
	produce(&run);
	run.preempted[0] += preemptions();
	finish(p);
	if (l == API) {
		shmring_close(run.api[1]);
		shmring_close(run.api[0]);
	}
	res.preempted = run.preempted[0] + run.preempted[1];
	if (run.bad) {
		res.mean = -1;
		return res;
	}
	if (atomic_load(&run.stop) || run.ns == 0) {
		/* Other spinners can slow a run past its deadline, but not
		 * stop every message for 3 s: the layout's code is stuck. */
		if (run.got == 0)
			res.mean = -3;
		return res;
	}
	res.mean = (double)messages * 1e3 / (double)run.ns;
	if (run.nchunks > 0) {
		qsort(chunk_ns, run.nchunks, sizeof chunk_ns[0], cmp_double);
		res.chunk = 1e3 / chunk_ns[run.nchunks / 2];
	}
	return res;
}

/* --- Main ------------------------------------------------------------------------------ */

static int pin(pthread_t t, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(t, sizeof set, &set);
}

/* A combination measured: layout x mode x size (linestamp: 8 bytes only). */
struct combo {
	enum layout layout;
	enum mode mode;
	unsigned size;
};

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof v[0], cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static struct result res[MAX_ROUNDS][NLAYOUTS * NMODES * NSIZES];
	static double fl[MAX_ROUNDS][2];
	static bool moved[MAX_ROUNDS];
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	uint64_t messages = argc > 2 ? strtoull(argv[2], NULL, 0) : (UINT64_C(1) << 20);
	struct combo combos[NLAYOUTS * NMODES * NSIZES];
	int ncombos = 0, cpus[2], ncpu = 0;
	struct pair *p = zalloc(sizeof *p);
	struct shared sh;
	cpu_set_t set;
	pthread_t t;

	if (rounds < 1 || rounds > MAX_ROUNDS || messages < BATCH) {
		fprintf(stderr, "usage: shmring_density [rounds (1..%d) [messages (>= %u)]]\n",
		        MAX_ROUNDS, BATCH);
		return 2;
	}
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && ncpu < 2; c++)
			if (CPU_ISSET(c, &set))
				cpus[ncpu++] = c;
	if (ncpu < 2) {
		fprintf(stderr, "shmring_density: needs two CPUs\n");
		return 77;
	}
	for (unsigned s = 0; s < NSIZES; s++)
		for (int m = 0; m < NMODES; m++)
			for (int l = 0; l < NLAYOUTS; l++)
				if ((l != LINESTAMP || sizes[s] == 8) && (l != PACKED || sizes[s] != 8))
					combos[ncombos++] =
					    (struct combo){(enum layout)l, (enum mode)m, sizes[s]};
	sh.prod = zalloc(sizeof *sh.prod);
	sh.cons = zalloc(sizeof *sh.cons);
	sh.head = zalloc(SPACING);
	sh.tail = zalloc(SPACING);
	sh.slots_size = (size_t)CAPACITY * 128; /* the largest: stamped 64-byte slots */
	sh.slots = zalloc(sh.slots_size);
	if (pthread_create(&t, NULL, worker, p) != 0 || pin(pthread_self(), cpus[0]) != 0 ||
	    pin(t, cpus[1]) != 0) {
		fprintf(stderr, "shmring_density: cannot start or pin the threads\n");
		return 1;
	}
	printf("# shmring_density: %d rounds, %llu messages a run, capacity %u (linestamp %u), "
	       "CPUs %d and %d; M msg/s\n",
	       rounds, (unsigned long long)messages, CAPACITY, LS_LINES * PER_LINE - PER_LINE,
	       cpus[0], cpus[1]);
	for (int r = 0; r < rounds; r++) {
		fl[r][0] = floor_job(p);
		printf("round %d floor %.0f ns\n", r + 1, fl[r][0]);
		for (int i = 0; i < ncombos; i++) {
			/* Rotate the order so that no combination always runs first. */
			int c = (i + r) % ncombos;
			struct result v = run_job(p, &sh, combos[c].layout, combos[c].mode,
			                          combos[c].size, messages);

			if (v.mean == -2) {
				fprintf(stderr, "shmring_density: cannot create an anon: ring\n");
				return 1;
			}
			if (v.mean == -3) {
				fprintf(stderr,
				        "shmring_density: %s %s %uB: no message received in "
				        "%.0f s\n",
				        layout_name[combos[c].layout], mode_name[combos[c].mode],
				        combos[c].size, (double)RUN_LIMIT_NS / 1e9);
				return 2;
			}
			if (v.mean < 0) {
				fprintf(stderr,
				        "shmring_density: %s %s %uB: a message arrived out "
				        "of order\n",
				        layout_name[combos[c].layout], mode_name[combos[c].mode],
				        combos[c].size);
				return 2;
			}
			res[r][c] = v;
		}
		fl[r][1] = floor_job(p);
		moved[r] = fl[r][1] > fl[r][0] * 4 / 3 || fl[r][0] > fl[r][1] * 4 / 3;
		for (int c = 0; c < ncombos; c++)
			printf(
			    "round %d  %-10s %-7s %2uB mean %7.1f chunk %7.1f  preempted %ld%s\n",
			    r + 1, layout_name[combos[c].layout], mode_name[combos[c].mode],
			    combos[c].size, res[r][c].mean, res[r][c].chunk, res[r][c].preempted,
			    res[r][c].mean == 0 ? " (abandoned after 3 s)" : "");
		printf("round %d floor %.0f -> %.0f ns%s\n", r + 1, fl[r][0], fl[r][1],
		       moved[r] ? " (moved: left out of the medians)" : "");
		fflush(stdout);
	}
	start(p, JOB_QUIT, NULL);
	pthread_join(t, NULL);

	/* Medians per placement over the rounds whose floor held still. */
	for (int near = 1; near >= 0; near--) {
		double f[MAX_ROUNDS];
		int n = 0;

		for (int r = 0; r < rounds; r++)
			if (!moved[r] && ((fl[r][0] + fl[r][1]) / 2 < NEAR_NS) == near)
				f[n++] = (fl[r][0] + fl[r][1]) / 2;
		if (n == 0) {
			printf("%s: no round\n", near ? "near" : "far");
			continue;
		}
		printf("%s (%d rounds, floor median %.0f ns): medians of M msg/s (whole run, "
		       "median chunk), each x stamped (median of per-round ratios)\n",
		       near ? "near" : "far", n, median(f, n));
		for (int c = 0; c < ncombos; c++) {
			double mean[MAX_ROUNDS], chunk[MAX_ROUNDS], rm[MAX_ROUNDS], rc[MAX_ROUNDS];
			int base = -1, k = 0;

			for (int b = 0; b < ncombos; b++)
				if (combos[b].layout == STAMPED &&
				    combos[b].mode == combos[c].mode &&
				    combos[b].size == combos[c].size)
					base = b;
			for (int r = 0; r < rounds; r++) {
				if (moved[r] || ((fl[r][0] + fl[r][1]) / 2 < NEAR_NS) != near ||
				    res[r][c].chunk == 0 || res[r][base].chunk == 0)
					continue;
				rm[k] = res[r][c].mean / res[r][base].mean;
				rc[k] = res[r][c].chunk / res[r][base].chunk;
				mean[k] = res[r][c].mean;
				chunk[k++] = res[r][c].chunk;
			}
			if (k == 0) {
				printf("  %-10s %-7s %2uB  (no complete run)\n",
				       layout_name[combos[c].layout], mode_name[combos[c].mode],
				       combos[c].size);
				continue;
			}
			printf("  %-10s %-7s %2uB  mean %7.1f x%.2f   chunk %7.1f x%.2f\n",
			       layout_name[combos[c].layout], mode_name[combos[c].mode],
			       combos[c].size, median(mean, k), median(rm, k), median(chunk, k),
			       median(rc, k));
		}
	}
	return 0;
}
