/* SPDX-License-Identifier: MIT */
/*
 * tests/stress_body.h - one stress body for every ring kind, used by the thin
 * tests/test_kind_*.c and test_msg_*.c files.
 *
 * N producers and M consumers (threads, or forked processes that open the
 * ring by name) move P x COUNT messages. Each message carries its producer
 * and sequence number and a payload derived from both (fixed kinds: the
 * slot's bytes; message ring: the record's length, type and bytes), so a
 * consumer checks every byte it gets. Every consumer counts each (producer,
 * sequence) it receives in a table shared by all (an anonymous shared
 * mapping, so forked consumers count there too) and checks that each
 * producer's messages reach it in increasing order. At the end the table
 * must hold exactly one of each: nothing lost, nothing duplicated.
 *
 * Producers and consumers rotate through the API's forms by their index:
 * single copies, bursts, bulks and zero-copy. With `blocking`, the copy forms
 * are the blocking calls (parking on the eventcount); otherwise they are the
 * try forms with a sched_yield() between attempts.
 *
 * The environment variable SHMRING_STRESS_SCALE, or a --scale N argument
 * given to the test program, multiplies the message counts (label stress
 * runs the same programs scaled up).
 */
#ifndef SHMRING_TESTS_STRESS_BODY_H
#define SHMRING_TESTS_STRESS_BODY_H

#include "helpers.h"
#include "ringbuf/mix.h"
#include <shmring/shmring.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SB_MAX_THREADS 64
#define SB_BATCH 8u
#define SB_OP_NS 20000000000ull /* one operation may wait this long before it counts as hung */

struct sb_cfg {
	uint32_t kind;          /* SHMRING_KIND_* */
	uint32_t flags;         /* creation flags (MSG: SHMRING_CREATE_MULTI_*; SPSC: _DENSE) */
	uint32_t slot_size;     /* fixed: bytes per slot (>= 16); MSG: largest record */
	uint64_t capacity;      /* fixed: slots; MSG: bytes */
	unsigned producers, consumers;
	uint64_t count;         /* messages per producer (scaled) */
	bool processes;         /* fork instead of threads */
	bool blocking;          /* blocking calls (park) instead of try + yield */
	bool no_zero_copy;      /* skip the zero-copy forms (they never block) */
	uint32_t wait_mode;     /* enum shmring_wait_mode for every handle */
};

/* What every participant shares: lives in a MAP_SHARED anonymous mapping. */
struct sb_shared {
	_Atomic uint64_t received;  /* messages received, over all consumers */
	_Atomic uint64_t errors;    /* checks that failed */
	_Atomic uint64_t timeouts;  /* operations that waited past SB_OP_NS */
	char first_error[256];
	_Atomic int error_claimed;
	_Atomic uint32_t producers_in; /* producers attached so far (sb_attached()) */
	_Atomic uint8_t seen[];     /* producers x count */
};

static unsigned sb_scale_arg;

/* Call from main(): picks up --scale N. */
static inline void sb_parse_args(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--scale"))
			sb_scale_arg = (unsigned)strtoul(argv[i + 1], NULL, 0);
}

static inline uint64_t sb_scale(uint64_t n)
{
	const char *e = getenv("SHMRING_STRESS_SCALE");
	unsigned s = sb_scale_arg ? sb_scale_arg : e ? (unsigned)strtoul(e, NULL, 0) : 1;

	n = n * (s ? s : 1) / TEST_SLOWDOWN; /* the sanitizers slow a run 5-50x */
	return n < 200 ? 200 : n;
}

static inline void sb_fail(struct sb_shared *sh, const char *what, unsigned p, uint64_t seq)
{
	/* Relaxed: statistics, read after every participant has finished. */
	atomic_fetch_add_explicit(&sh->errors, 1, memory_order_relaxed);
	if (atomic_exchange_explicit(&sh->error_claimed, 1, memory_order_relaxed) == 0)
		snprintf(sh->first_error, sizeof(sh->first_error), "%s (producer %u, seq %llu)",
			 what, p, (unsigned long long)seq);
}

/* --- Fixed slots: [producer << 40 | seq][check][bytes...] --------------- */

static inline void sb_fill_fixed(void *slot, uint32_t size, unsigned p, uint64_t seq)
{
	unsigned char *b = slot;
	uint64_t w0 = ((uint64_t)p << 40) | seq, w1 = shmring__mix64(w0);

	memcpy(b, &w0, 8);
	memcpy(b + 8, &w1, 8);
	for (uint32_t i = 16; i < size; i++)
		b[i] = (unsigned char)((w1 >> ((i % 8) * 8)) ^ i);
}

/* Check a slot; returns its producer and sequence, or false. */
static inline bool sb_check_fixed(const void *slot, uint32_t size, unsigned *p, uint64_t *seq)
{
	const unsigned char *b = slot;
	uint64_t w0, w1;

	memcpy(&w0, b, 8);
	memcpy(&w1, b + 8, 8);
	if (w1 != shmring__mix64(w0))
		return false;
	for (uint32_t i = 16; i < size; i++)
		if (b[i] != (unsigned char)((w1 >> ((i % 8) * 8)) ^ i))
			return false;
	*p = (unsigned)(w0 >> 40);
	*seq = w0 & ((UINT64_C(1) << 40) - 1);
	return true;
}

/* --- Records: type = producer << 24 | seq & 0xffffff; length and bytes from both */

static inline size_t sb_rec_len(uint32_t max, unsigned p, uint64_t seq)
{
	uint64_t h = shmring__mix64(((uint64_t)p << 40) | seq);

	/* Mostly small records, some of every size up to the largest. */
	return (h >> 8) % 4 == 0 ? (size_t)(h % (max + 1u)) : (size_t)(h % (max < 64 ? max + 1u : 65u));
}

static inline uint32_t sb_rec_type(unsigned p, uint64_t seq)
{
	return ((uint32_t)p << 24) | (uint32_t)(seq & 0xffffffu);
}

static inline void sb_fill_rec(void *buf, size_t len, unsigned p, uint64_t seq)
{
	unsigned char *b = buf;
	uint64_t h = shmring__mix64((((uint64_t)p << 40) | seq) ^ UINT64_C(0x5555));

	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)((h >> ((i % 8) * 8)) + i);
}

static inline bool sb_check_rec(const void *buf, size_t len, uint32_t max, unsigned p,
				uint64_t seq)
{
	const unsigned char *b = buf;
	uint64_t h = shmring__mix64((((uint64_t)p << 40) | seq) ^ UINT64_C(0x5555));

	if (len != sb_rec_len(max, p, seq))
		return false;
	for (size_t i = 0; i < len; i++)
		if (b[i] != (unsigned char)((h >> ((i % 8) * 8)) + i))
			return false;
	return true;
}

/* --- Participants -------------------------------------------------------- */

struct sb_ctx {
	const struct sb_cfg *cfg;
	struct sb_shared *sh;
	const char *name;
	unsigned index; /* producer or consumer number */
	bool producer;
	int rc;         /* 0, or why the participant could not run */
};

static inline shmring_t *sb_open(struct sb_ctx *c, unsigned role)
{
	struct shmring_wait w = {.mode = c->cfg->wait_mode};
	shmring_t *r = NULL;
	int rc;

	/* A participant table slot may still be in the hands of a thread that
	 * is closing; shmring_open() never waits, so retry briefly. */
	for (int tries = 0; (rc = shmring_open(c->name, role, &r)) == -EUSERS && tries < 1000; tries++)
		usleep(1000);
	if (rc < 0) {
		c->rc = rc;
		sb_fail(c->sh, "open failed", c->index, (uint64_t)-rc);
		return NULL;
	}
	shmring_set_wait(r, &w);
	return r;
}

static inline void sb_timed_out(struct sb_ctx *c, int rc)
{
	if (rc == -ETIMEDOUT)
		/* Relaxed: a statistic. */
		atomic_fetch_add_explicit(&c->sh->timeouts, 1, memory_order_relaxed);
	sb_fail(c->sh, rc == -ETIMEDOUT ? "operation hung" : "operation failed", c->index,
		(uint64_t)-rc);
}

static inline void sb_produce_fixed(struct sb_ctx *c, shmring_t *r)
{
	const struct sb_cfg *cfg = c->cfg;
	uint32_t sz = cfg->slot_size;
	unsigned char *buf = malloc((size_t)sz * SB_BATCH);
	unsigned form = c->index % (cfg->no_zero_copy ? 3u : 4u);
	uint64_t seq = 0;

	while (seq < cfg->count) {
		unsigned n = cfg->count - seq < SB_BATCH ? (unsigned)(cfg->count - seq) : SB_BATCH;
		int rc = 0;

		if (n > cfg->capacity)
			n = (unsigned)cfg->capacity; /* a bulk larger than the ring never fits */

		if (form == 3) { /* zero-copy */
			void *slots[SB_BATCH];
			unsigned k = shmring_reserve_burst(r, n, slots);

			if (!k) {
				sched_yield();
				continue;
			}
			for (unsigned i = 0; i < k; i++)
				sb_fill_fixed(slots[i], sz, c->index, seq + i);
			if ((rc = shmring_commit_burst(r, k)) != 0) {
				sb_timed_out(c, rc);
				break;
			}
			seq += k;
			continue;
		}
		if (form == 0)
			n = 1;
		for (unsigned i = 0; i < n; i++)
			sb_fill_fixed(buf + (size_t)i * sz, sz, c->index, seq + i);
		if (cfg->blocking) {
			uint64_t dl = shmring_deadline_in(SB_OP_NS);

			if (form == 0)
				rc = (rc = shmring_send(r, buf, dl)) == 0 ? 1 : rc;
			else if (form == 1)
				rc = shmring_send_burst(r, buf, n, dl);
			else
				rc = shmring_send_bulk(r, buf, n, dl);
			if (rc < 0) {
				sb_timed_out(c, rc);
				break;
			}
			seq += form == 0 ? 1 : (unsigned)rc;
		} else {
			unsigned k = form == 0 ? (shmring_try_send(r, buf) == 0)
				   : form == 1 ? shmring_try_send_burst(r, buf, n)
					       : shmring_try_send_bulk(r, buf, n);

			if (!k)
				sched_yield();
			seq += k;
		}
	}
	free(buf);
}

static inline void sb_produce_msg(struct sb_ctx *c, shmring_t *r)
{
	const struct sb_cfg *cfg = c->cfg;
	uint32_t max = cfg->slot_size;
	unsigned char *buf = malloc((size_t)max * SB_BATCH + 16);
	unsigned form = c->index % (cfg->no_zero_copy ? 3u : 4u);
	uint64_t seq = 0;

	while (seq < cfg->count) {
		unsigned n = cfg->count - seq < SB_BATCH ? (unsigned)(cfg->count - seq) : SB_BATCH;
		struct shmring_msgvec v[SB_BATCH];

		if (form == 3) { /* zero-copy */
			size_t len = sb_rec_len(max, c->index, seq);
			void *p = shmring_msg_reserve(r, len);
			int rc;

			if (!p) {
				sched_yield();
				continue;
			}
			if (cfg->flags &
			    (SHMRING_CREATE_MULTI_CONSUMER | SHMRING_CREATE_MULTI_PRODUCER)) {
				/* Word stores, as ring.h asks with many consumers
				 * or producers (see shmring_msg_reserve()). */
				_Atomic uint64_t *w = p;

				sb_fill_rec(buf, len, c->index, seq);
				memset(buf + len, 0, 8);
				for (size_t i = 0; i < len; i += 8) {
					uint64_t x;

					memcpy(&x, buf + i, 8);
					atomic_store_explicit(&w[i / 8], x, memory_order_relaxed);
				}
			} else {
				sb_fill_rec(p, len, c->index, seq);
			}
			if ((rc = shmring_msg_commit(r, sb_rec_type(c->index, seq))) != 0) {
				sb_timed_out(c, rc);
				break;
			}
			seq++;
			continue;
		}
		if (form == 0 || (form == 1 && cfg->blocking))
			n = 1;
		if (form == 2 && n > cfg->capacity / (2 * shmring_msg_span(max)))
			/* a bulk must fit the ring, padding included, to ever succeed */
			n = (unsigned)(cfg->capacity / (2 * shmring_msg_span(max)));
		for (unsigned i = 0; i < n; i++) {
			v[i].buf = buf + (size_t)i * max;
			v[i].len = sb_rec_len(max, c->index, seq + i);
			v[i].type = sb_rec_type(c->index, seq + i);
			sb_fill_rec(v[i].buf, v[i].len, c->index, seq + i);
		}
		if (n == 1 && cfg->blocking) {
			int rc = shmring_msg_send(r, v[0].buf, v[0].len, v[0].type,
						  shmring_deadline_in(SB_OP_NS));

			if (rc < 0) {
				sb_timed_out(c, rc);
				break;
			}
			seq++;
		} else {
			unsigned k = n == 1 ? (shmring_msg_try_send(r, v[0].buf, v[0].len, v[0].type) == 0)
				   : form == 1 ? shmring_msg_try_send_burst(r, v, n)
					       : shmring_msg_try_send_bulk(r, v, n);

			if (!k && cfg->blocking) {
				/* No blocking bulk for records: park for the first. */
				int rc = shmring_msg_send(r, v[0].buf, v[0].len, v[0].type,
							  shmring_deadline_in(SB_OP_NS));

				if (rc < 0) {
					sb_timed_out(c, rc);
					break;
				}
				k = 1;
			} else if (!k) {
				sched_yield();
			}
			seq += k;
		}
	}
	free(buf);
}

/* Count one received message and check its order for this consumer. */
static inline void sb_seen(struct sb_ctx *c, uint64_t *last, unsigned p, uint64_t seq)
{
	const struct sb_cfg *cfg = c->cfg;

	if (p >= cfg->producers || seq >= cfg->count) {
		sb_fail(c->sh, "message from nowhere", p, seq);
		return;
	}
	if (last[p] != UINT64_MAX && seq <= last[p])
		sb_fail(c->sh, "producer order broken", p, seq);
	last[p] = seq;
	/* Relaxed: counted; read after every participant has finished. */
	if (atomic_fetch_add_explicit(&c->sh->seen[p * cfg->count + seq], 1, memory_order_relaxed))
		sb_fail(c->sh, "duplicate", p, seq);
	/* Relaxed: the end condition; nothing else is published through it. */
	atomic_fetch_add_explicit(&c->sh->received, 1, memory_order_relaxed);
}

static inline void sb_seen_fixed(struct sb_ctx *c, uint64_t *last, const void *slot)
{
	unsigned p;
	uint64_t seq;

	if (!sb_check_fixed(slot, c->cfg->slot_size, &p, &seq)) {
		sb_fail(c->sh, "torn or corrupt payload", 0, 0);
		return;
	}
	sb_seen(c, last, p, seq);
}

static inline void sb_seen_rec(struct sb_ctx *c, uint64_t *last, const void *buf, size_t len,
			       uint32_t type)
{
	unsigned p = type >> 24;
	uint64_t lo = type & 0xffffffu, seq;

	if (p >= c->cfg->producers) {
		sb_fail(c->sh, "record type from nowhere", p, lo);
		return;
	}
	/* The smallest sequence above the last one seen with these low bits. */
	seq = last[p] == UINT64_MAX ? lo : ((last[p] & ~UINT64_C(0xffffff)) | lo);
	if (last[p] != UINT64_MAX && seq <= last[p])
		seq += UINT64_C(1) << 24;
	if (!sb_check_rec(buf, len, c->cfg->slot_size, p, seq)) {
		sb_fail(c->sh, "torn or corrupt record", p, seq);
		return;
	}
	sb_seen(c, last, p, seq);
}

static inline bool sb_all_in(const struct sb_ctx *c)
{
	/* Relaxed: the end condition. */
	return atomic_load_explicit(&c->sh->received, memory_order_relaxed) ==
	       (uint64_t)c->cfg->producers * c->cfg->count;
}

/* A producer has attached (call after its open, before it sends). */
static inline void sb_attached(struct sb_ctx *c)
{
	/* Relaxed: a start signal; the ring orders the messages. */
	atomic_fetch_add_explicit(&c->sh->producers_in, 1, memory_order_relaxed);
}

static inline void sb_consume(struct sb_ctx *c, shmring_t *r)
{
	const struct sb_cfg *cfg = c->cfg;
	bool msg = cfg->kind == SHMRING_KIND_MSG;
	size_t unit = cfg->slot_size;
	unsigned char *buf = malloc(unit * SB_BATCH + 1);
	uint64_t *last = malloc(sizeof(*last) * cfg->producers);
	unsigned form = c->index % (cfg->no_zero_copy ? 3u : 4u);
	uint64_t idle_since = 0;

	/*
	 * End-of-stream comes once the producers that attached have all gone:
	 * wait for every one to attach, or the first to finish could end the
	 * stream before the last has attached (processes start slowly under
	 * TSan). A producer that never attaches fails the run on its own.
	 */
	/* Relaxed: as in sb_attached(). */
	for (uint64_t end = shmring_clock_ns() + SB_OP_NS;
	     atomic_load_explicit(&c->sh->producers_in, memory_order_relaxed) < cfg->producers &&
	     shmring_clock_ns() < end;)
		usleep(1000);

	for (unsigned i = 0; i < cfg->producers; i++)
		last[i] = UINT64_MAX;
	while (!sb_all_in(c)) {
		unsigned got = 0;

		if (form == 3) { /* zero-copy */
			if (msg) {
				size_t len;
				uint32_t type;
				const void *p = shmring_msg_peek(r, &len, &type);

				if (p) {
					sb_seen_rec(c, last, p, len, type);
					shmring_msg_release(r);
					got = 1;
				}
			} else {
				const void *slots[SB_BATCH];

				got = shmring_peek_burst(r, SB_BATCH, slots);
				for (unsigned i = 0; i < got; i++)
					sb_seen_fixed(c, last, slots[i]);
				if (got)
					shmring_release_burst(r, got);
			}
		} else if (msg) {
			struct shmring_msgvec v[SB_BATCH];
			unsigned n = form == 0 ? 1 : form == 1 ? SB_BATCH : 2;

			for (unsigned i = 0; i < n; i++)
				v[i] = (struct shmring_msgvec){.buf = buf + i * unit, .len = unit};
			if (n == 1 && cfg->blocking) {
				ssize_t len = shmring_msg_recv(r, buf, unit, &v[0].type,
							       shmring_deadline_in(20000000));

				if (len >= 0) {
					v[0].len = (size_t)len;
					got = 1;
				} else if (len == -EPIPE) {
					break; /* end-of-stream: the verifier counts what came */
				} else if (len != -ETIMEDOUT) {
					sb_timed_out(c, (int)len);
					break;
				}
			} else if (n == 1) {
				ssize_t len = shmring_msg_try_recv(r, buf, unit, &v[0].type);

				if (len >= 0) {
					v[0].len = (size_t)len;
					got = 1;
				}
			} else {
				got = form == 1 ? shmring_msg_try_recv_burst(r, v, n)
						: shmring_msg_try_recv_bulk(r, v, n);
				if (!got && form == 2) /* a bulk of 2 when 1 is left */
					got = shmring_msg_try_recv_burst(r, v, 1);
				if (!got && cfg->blocking) {
					/* No blocking burst for records: park for one. */
					ssize_t len = shmring_msg_recv(r, buf, unit, &v[0].type,
								       shmring_deadline_in(20000000));

					if (len >= 0) {
						v[0].len = (size_t)len;
						got = 1;
					} else if (len == -EPIPE) {
						break; /* end-of-stream */
					}
				}
			}
			for (unsigned i = 0; i < got; i++)
				sb_seen_rec(c, last, v[i].buf, v[i].len, v[i].type);
		} else {
			unsigned n = form == 0 ? 1 : form == 1 ? SB_BATCH : 2;

			if (cfg->blocking) {
				uint64_t dl = shmring_deadline_in(20000000);
				int rc = form == 0   ? shmring_recv(r, buf, dl)
					 : form == 1 ? shmring_recv_burst(r, buf, n, dl)
						     : shmring_recv_bulk(r, buf, n, dl);

				if (form == 0 && rc == 0)
					rc = 1;
				if (rc > 0)
					got = (unsigned)rc;
				else if (rc == -EPIPE)
					break; /* end-of-stream: the verifier counts what came */
				else if (rc != -ETIMEDOUT) {
					sb_timed_out(c, rc);
					break;
				}
				if (!got && form == 2)
					got = shmring_try_recv_burst(r, buf, 1);
			} else {
				got = form == 0 ? (shmring_try_recv(r, buf) == 0)
				    : form == 1 ? shmring_try_recv_burst(r, buf, n)
						: shmring_try_recv_bulk(r, buf, n);
				if (!got && form == 2)
					got = shmring_try_recv_burst(r, buf, 1);
			}
			for (unsigned i = 0; i < got; i++)
				sb_seen_fixed(c, last, buf + i * unit);
		}
		if (got) {
			idle_since = 0;
		} else {
			uint64_t now = shmring_clock_ns();

			if (!idle_since)
				idle_since = now;
			else if (now - idle_since > SB_OP_NS) {
				sb_timed_out(c, -ETIMEDOUT);
				break;
			}
			if (!cfg->blocking)
				sched_yield();
		}
	}
	free(last);
	free(buf);
}

static inline void sb_participate(struct sb_ctx *c)
{
	shmring_t *r = sb_open(c, c->producer ? SHMRING_PRODUCER : SHMRING_CONSUMER);

	if (!r)
		return;
	if (c->producer)
		sb_attached(c);
	if (c->producer && c->cfg->kind == SHMRING_KIND_MSG)
		sb_produce_msg(c, r);
	else if (c->producer)
		sb_produce_fixed(c, r);
	else
		sb_consume(c, r);
	shmring_close(r);
}

static inline void *sb_thread(void *arg)
{
	sb_participate(arg);
	return NULL;
}

/* After every participant has been joined or waited for: the messages not
 * received exactly once. */
static inline uint64_t sb_missing(const struct sb_cfg *cfg, struct sb_shared *sh)
{
	uint64_t missing = 0;

	for (uint64_t i = 0; i < (uint64_t)cfg->producers * cfg->count; i++)
		/* Relaxed: every writer has been joined or waited for. */
		if (atomic_load_explicit(&sh->seen[i], memory_order_relaxed) != 1)
			missing++;
	return missing;
}

/* A run's verdict: 0, or -1 after saying what went wrong first. */
static inline int sb_verdict(struct sb_shared *sh, const char *tag, uint64_t missing)
{
	/* Relaxed: read after every participant has finished. */
	uint64_t errors = atomic_load_explicit(&sh->errors, memory_order_relaxed);

	if (!errors && !missing)
		return 0;
	fprintf(stderr, "%s: FAILED: %llu errors, %llu not received exactly once; first: %s\n",
		tag, (unsigned long long)errors, (unsigned long long)missing, sh->first_error);
	return -1;
}

/*
 * Run one stress configuration. Returns 0 when every message arrived exactly
 * once, intact and in order per producer; prints what went wrong otherwise.
 */
static inline int sb_run(const struct sb_cfg *cfg, const char *tag)
{
	struct shmring_opts o = {.kind = cfg->kind, .slot_size = cfg->slot_size,
				 .capacity = cfg->capacity, .flags = cfg->flags};
	unsigned total = cfg->producers + cfg->consumers;
	size_t shsize = sizeof(struct sb_shared) + (size_t)cfg->producers * cfg->count;
	struct sb_ctx ctx[SB_MAX_THREADS];
	pthread_t th[SB_MAX_THREADS];
	pid_t pids[SB_MAX_THREADS];
	struct sb_shared *sh;
	const char *name = test_ring_name(tag);
	shmring_t *owner;
	uint64_t missing = 0, t0 = shmring_clock_ns();
	int rc, status = 0;

	if (total > SB_MAX_THREADS)
		return -EINVAL;
	sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	o.flags |= SHMRING_CREATE_REPLACE;
	rc = shmring_create(name, &o, SHMRING_OBSERVER, &owner);
	if (rc < 0) {
		fprintf(stderr, "%s: create: %s\n", tag, shmring_strerror(rc));
		munmap(sh, shsize);
		return rc;
	}
	for (unsigned i = 0; i < total; i++) {
		ctx[i] = (struct sb_ctx){.cfg = cfg, .sh = sh, .name = name,
					 .producer = i < cfg->producers,
					 .index = i < cfg->producers ? i : i - cfg->producers};
		if (cfg->processes) {
			pids[i] = fork();
			if (pids[i] == 0) {
				sb_participate(&ctx[i]);
				_exit(0);
			}
		} else {
			pthread_create(&th[i], NULL, sb_thread, &ctx[i]);
		}
	}
	for (unsigned i = 0; i < total; i++) {
		if (cfg->processes) {
			waitpid(pids[i], &status, 0);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				sb_fail(sh, "a participant process failed", i, (uint64_t)status);
		} else {
			pthread_join(th[i], NULL);
		}
	}
	missing = sb_missing(cfg, sh);
	{
		struct shmring_info in;

		shmring_info(owner, &in);
		fprintf(stderr,
			"%s: %u producers x %u consumers (%s, %s), %llu msgs in %.2f s; "
			"full waits %llu, empty waits %llu, wakes %llu; reaped %llu, repairs %llu/%llu\n",
			tag, cfg->producers, cfg->consumers, cfg->processes ? "processes" : "threads",
			cfg->blocking ? "blocking" : "try+yield",
			(unsigned long long)((uint64_t)cfg->producers * cfg->count),
			(double)(shmring_clock_ns() - t0) / 1e9, (unsigned long long)in.full_waits,
			(unsigned long long)in.empty_waits, (unsigned long long)in.wakes,
			(unsigned long long)in.reaped, (unsigned long long)in.prod_repairs,
			(unsigned long long)in.cons_repairs);
	}
	shmring_close(owner);
	shmring_unlink(name);
	rc = sb_verdict(sh, tag, missing);
	munmap(sh, shsize);
	return rc;
}

#endif /* SHMRING_TESTS_STRESS_BODY_H */
