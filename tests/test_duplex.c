/* SPDX-License-Identifier: MIT */
/*
 * tests/test_duplex.c - the duplex (shmring_duplex_create()): two SPSC rings
 * in one segment with their slots interleaved. The layout in the headers, in
 * shmring_info() and in the memory itself; what is refused (options, ends,
 * plain opens in a role, forged headers of either direction); request and
 * reply between processes through every call form and the lanes, across
 * many laps; the other end killed (-EPIPE both ways, a new end attaches
 * without cleanup); anon rings across fork and file rings reopened; a
 * creator killed between its two headers.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "ringbuf/layout.h"

#include <shmring/lane.h>

#define MS UINT64_C(1000000)

static struct shmring_opts opts_of(uint32_t slot, uint64_t capacity)
{
	return (struct shmring_opts){.kind = SHMRING_KIND_SPSC, .slot_size = slot,
				     .capacity = capacity};
}

/* The end's two handles, created. */
static void make(const char *name, uint32_t slot, uint64_t capacity, unsigned end,
		 shmring_t **tx, shmring_t **rx)
{
	struct shmring_opts o = opts_of(slot, capacity);

	assert_int_equal(shmring_duplex_create(name, &o, end, tx, rx), 0);
	assert_non_null(*tx);
	assert_non_null(*rx);
}

/* Map a posix segment by name, read-write, for looking at and forging it. */
static unsigned char *map_raw(const char *name, size_t *size)
{
	unsigned char *p = test_map_shm(name, size);

	assert_non_null(p);
	return p;
}

/* The layout: headers, information, and where the messages land. */
static void test_layout(void **state)
{
	const char *name = test_ring_name("layout");
	shmring_t *tx, *rx, *btx, *brx;
	struct shmring_info ia, ib;
	const struct shmring_hdr *h0, *h1;
	unsigned char *raw;
	size_t size;
	uint64_t v;

	(void)state;
	make(name, 8, 64, SHMRING_DUPLEX_A, &tx, &rx);
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &btx, &brx), 0);
	assert_int_equal(shmring_info(tx, &ia), 0);
	assert_int_equal(shmring_info(rx, &ib), 0);
	assert_true(ia.flags & SHMRING_CREATE_DUPLEX);
	assert_true(ib.flags & SHMRING_CREATE_DUPLEX);
	assert_int_equal(ia.direction, 0);
	assert_int_equal(ib.direction, 1);
	assert_int_equal(ia.kind, SHMRING_KIND_SPSC);
	assert_int_equal(ia.capacity, 64);
	assert_int_equal(ia.slot_size, 8);
	assert_int_equal(ia.slot_stride, 32); /* twice a plain ring's 16 */
	assert_int_equal(ib.slot_stride, 32);
	assert_int_equal(shmring_info(btx, &ib), 0);
	assert_int_equal(ib.direction, 1); /* end B sends on direction 1 */

	raw = map_raw(name, &size);
	h0 = (const struct shmring_hdr *)(void *)raw;
	assert_true(h0->features & SHMRING_FEAT_DUPLEX);
	assert_int_equal(h0->direction, 0);
	assert_int_equal(h0->total_size, size);
	h1 = (const struct shmring_hdr *)(void *)(raw + h0->slots_off / 2);
	assert_int_equal(h1->direction, 1);
	assert_int_equal(h0->slots_off / 2 + h1->slots_off, h0->slots_off + 16);
	assert_int_equal(h0->slots_off / 2 + h1->total_size, size);

	/* A request and its reply share a line: slot i of each direction side by side. */
	for (uint64_t i = 0; i < 70; i++) {
		const unsigned char *line = raw + h0->slots_off + (i % 64) * 32;

		v = 1000 + i;
		assert_int_equal(shmring_try_send(tx, &v), 0);
		assert_int_equal(*(const uint64_t *)(const void *)line, i + 1); /* stamp */
		assert_int_equal(*(const uint64_t *)(const void *)(line + 8), 1000 + i);
		assert_int_equal(shmring_try_recv(brx, &v), 0);
		assert_int_equal(v, 1000 + i);
		v = 5000 + i;
		assert_int_equal(shmring_try_send(btx, &v), 0);
		assert_int_equal(*(const uint64_t *)(const void *)(line + 16), i + 1);
		assert_int_equal(*(const uint64_t *)(const void *)(line + 24), 5000 + i);
		assert_int_equal(shmring_try_recv(rx, &v), 0);
		assert_int_equal(v, 5000 + i);
	}
	assert_int_equal(shmring_try_recv(rx, &v), -EAGAIN);
	assert_int_equal(shmring_try_recv(brx, &v), -EAGAIN);
	/* The library's own by-value calls (not the inline ones) on a duplex. */
	assert_int_equal((shmring_try_send_u64)(tx, 77), 0);
	assert_int_equal((shmring_try_recv_u64)(brx, &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal((shmring_try_recv_u64)(brx, &v), -EAGAIN);
	munmap(raw, size);
	shmring_close(btx);
	shmring_close(brx);
	shmring_close(tx);
	shmring_close(rx);
}

/* Each direction fills to its own capacity, independently of the other. */
static void test_full_each_way(void **state)
{
	const char *name = test_ring_name("full");
	shmring_t *tx, *rx, *btx, *brx;
	uint64_t v;

	(void)state;
	make(name, 8, 16, SHMRING_DUPLEX_A, &tx, &rx);
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &btx, &brx), 0);
	for (v = 0; v < 16; v++)
		assert_int_equal(shmring_try_send(tx, &v), 0);
	assert_int_equal(shmring_try_send(tx, &v), -EAGAIN);
	for (v = 100; v < 116; v++)
		assert_int_equal(shmring_try_send(btx, &v), 0);
	assert_int_equal(shmring_try_send(btx, &v), -EAGAIN);
	assert_int_equal(shmring_count(tx), 16);
	assert_int_equal(shmring_count(brx), 16);
	for (uint64_t i = 0; i < 16; i++) {
		assert_int_equal(shmring_try_recv(brx, &v), 0);
		assert_int_equal(v, i);
		assert_int_equal(shmring_try_recv(rx, &v), 0);
		assert_int_equal(v, 100 + i);
	}
	shmring_close(btx);
	shmring_close(brx);
	shmring_close(tx);
	shmring_close(rx);
}

/* End B closes after end A has polled its empty direction for a while
 * (the short path answers such polls itself): A drains B's last message,
 * then reads end-of-stream at once, by value and through its lane; its
 * sends, having seen B there, get EPIPE. */
static void test_polled_then_closed(void **state)
{
	const char *name = test_ring_name("polled");
	shmring_t *tx, *rx, *btx, *brx;
	struct shmring_lane *lr;
	uint64_t v = 0;

	(void)state;
	make(name, 8, 16, SHMRING_DUPLEX_A, &tx, &rx);
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &btx, &brx), 0);
	assert_int_equal(shmring_lane_get(rx, SHMRING_CONSUMER, &lr), 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(shmring_try_recv_u64(rx, &v), -EAGAIN);
		assert_int_equal(shmring_lane_try_recv(lr, &v), -EAGAIN);
	}
	assert_int_equal(shmring_try_send_u64(btx, 7), 0);
	assert_int_equal(shmring_try_send_u64(btx, 8), 0);
	assert_int_equal(shmring_try_send_u64(tx, 1), 0); /* A sees B there */
	shmring_close(btx);
	shmring_close(brx);
	assert_int_equal(shmring_try_recv_u64(rx, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(shmring_lane_try_recv(lr, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(shmring_try_recv_u64(rx, &v), -EPIPE);
	assert_int_equal(shmring_lane_try_recv(lr, &v), -EPIPE);
	assert_int_equal(shmring_try_send_u64(tx, 9), -EPIPE);
	shmring_close(tx);
	shmring_close(rx);
}

/* Created without an end, as a tool would: both directions observed, no
 * role taken, so the ends that come later see no peer gone. */
static void test_observe(void **state)
{
	const char *name = test_ring_name("observe");
	struct shmring_opts o = opts_of(8, 64);
	shmring_t *d0, *d1, *tx, *rx, *btx, *brx;
	struct shmring_info i0, i1;
	uint64_t v = 3;

	(void)state;
	assert_int_equal(shmring_duplex_create(name, &o, SHMRING_DUPLEX_OBSERVE, &d0, &d1), 0);
	assert_int_equal(shmring_info(d0, &i0), 0);
	assert_int_equal(shmring_info(d1, &i1), 0);
	assert_int_equal(i0.direction, 0);
	assert_int_equal(i1.direction, 1);
	assert_int_equal(i0.producers + i0.consumers + i1.producers + i1.consumers, 0);
	assert_int_equal(shmring_try_send(d0, &v), -EPERM);
	assert_int_equal(shmring_try_recv(d1, &v), -EPERM);
	shmring_close(d0);
	shmring_close(d1);
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_A, NULL, &tx, &rx), 0);
	assert_int_equal(shmring_try_send(tx, &v), 0);
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &btx, &brx), 0);
	assert_int_equal(shmring_try_recv(brx, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_OBSERVE, NULL, &d0, &d1), 0);
	assert_int_equal(shmring_info(d0, &i0), 0);
	assert_int_equal(shmring_info(d1, &i1), 0);
	assert_int_equal(i0.producers, 1);
	assert_int_equal(i0.consumed, 1);
	assert_int_equal(i1.consumers, 1);
	shmring_close(d0);
	shmring_close(d1);
	shmring_close(btx);
	shmring_close(brx);
	shmring_close(tx);
	shmring_close(rx);
}

/* What is refused, with which error. */
static void test_refused(void **state)
{
	const char *name = test_ring_name("refused"), *plain = test_ring_name("plain");
	struct shmring_opts o = opts_of(8, 64);
	shmring_t *tx = (shmring_t *)&o, *rx = (shmring_t *)&o, *r, *tx2, *rx2;
	struct shmring_info in;

	(void)state;
	/* Options a duplex has no place for. */
	o.flags = SHMRING_CREATE_DENSE;
	assert_int_equal(shmring_duplex_create(name, &o, SHMRING_DUPLEX_A, &tx, &rx), -EINVAL);
	assert_null(tx);
	assert_null(rx);
	o = opts_of(8, 64);
	o.kind = SHMRING_KIND_MPSC;
	assert_int_equal(shmring_duplex_create(name, &o, SHMRING_DUPLEX_A, &tx, &rx), -EINVAL);
	o = opts_of(8, 64);
	o.notifier = SHMRING_NOTIFIER_SYSVSEM;
	assert_int_equal(shmring_duplex_create(name, &o, SHMRING_DUPLEX_A, &tx, &rx),
			 -EOPNOTSUPP);
	o = opts_of(8, 64);
	assert_int_equal(shmring_duplex_create(name, &o, 3, &tx, &rx), -EINVAL);
	assert_int_equal(shmring_duplex_create(name, &o, SHMRING_DUPLEX_A, &tx, &tx), -EINVAL);
	assert_int_equal(shmring_duplex_create(name, &o, SHMRING_DUPLEX_A, NULL, &rx), -EINVAL);
	assert_int_equal(shmring_duplex_create(name, NULL, SHMRING_DUPLEX_A, &tx, &rx), -EINVAL);
	assert_int_equal(shmring_duplex_create("unix:/tmp/shmring-duplex-no", &o,
					       SHMRING_DUPLEX_A, &tx, &rx),
			 -EOPNOTSUPP);
	assert_int_equal(shmring_duplex_open("tcp:127.0.0.1:1", SHMRING_DUPLEX_A, NULL, &tx, &rx),
			 -EOPNOTSUPP);
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_A, NULL, &tx, &rx), -ENOENT);
	/* The flag is reported, never chosen through shmring_create(). */
	o.flags = SHMRING_CREATE_DUPLEX;
	assert_int_equal(shmring_create(plain, &o, SHMRING_OBSERVER, &r), -EINVAL);

	/* A plain ring is not a duplex, and a duplex is not a plain ring. */
	o = opts_of(8, 64);
	assert_int_equal(shmring_create(plain, &o, SHMRING_PRODUCER, &r), 0);
	assert_int_equal(shmring_duplex_open(plain, SHMRING_DUPLEX_A, NULL, &tx, &rx),
			 -SHMRING_EKIND);
	assert_int_equal(shmring_duplex_dup(r, SHMRING_DUPLEX_B, &tx, &rx), -SHMRING_EKIND);
	shmring_close(r);
	make(name, 8, 64, SHMRING_DUPLEX_A, &tx, &rx);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &r), -SHMRING_EKIND);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &r), -SHMRING_EKIND);
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), 0); /* direction 0 */
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.direction, 0);
	assert_true(in.flags & SHMRING_CREATE_DUPLEX);
	assert_int_equal(shmring_dup(r, SHMRING_CONSUMER, &tx2), -SHMRING_EKIND);
	shmring_close(r);
	/* Nor does a dup of a handle the duplex calls made take a role: an
	 * observer's would hold half of end B (and B's process could not
	 * take it), an end's the other end's side. Observing is open to all. */
	{
		shmring_t *d0, *d1, *h = NULL;

		assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_OBSERVE, NULL, &d0, &d1),
				 0);
		assert_int_equal(shmring_dup(d0, SHMRING_CONSUMER, &h), -SHMRING_EKIND);
		assert_int_equal(shmring_dup(d1, SHMRING_PRODUCER, &h), -SHMRING_EKIND);
		assert_int_equal(shmring_dup(tx, SHMRING_CONSUMER, &h), -SHMRING_EKIND);
		assert_int_equal(shmring_dup(rx, SHMRING_PRODUCER, &h), -SHMRING_EKIND);
		assert_null(h);
		assert_int_equal(shmring_dup(d1, SHMRING_OBSERVER, &h), 0);
		assert_int_equal(shmring_info(h, &in), 0);
		assert_int_equal(in.direction, 1);
		shmring_close(h);
		shmring_close(d0);
		shmring_close(d1);
	}
	assert_int_equal(shmring_open(name, SHMRING_OBSERVER, &r), 0);
	/* Open-or-create of a plain ring finds the duplex: not what it asked for. */
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_create(name, &o, SHMRING_PRODUCER, &tx2), -SHMRING_EKIND);
	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &tx2), -SHMRING_EMISMATCH);
	/* ... and that of a duplex finds it: the other end. */
	assert_int_equal(shmring_duplex_create(name, &o, SHMRING_DUPLEX_B, &tx2, &rx2), 0);
	shmring_close(tx2);
	shmring_close(rx2);
	/* One process at a time holds an end. */
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_A, NULL, &tx2, &rx2), -EBUSY);
	assert_null(tx2);
	assert_null(rx2);
	/* Another shape asked for. */
	{
		struct shmring_open_opts oo = {.slot_size = 16};

		assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, &oo, &tx2, &rx2),
				 -SHMRING_EMISMATCH);
		oo = (struct shmring_open_opts){.kind = SHMRING_KIND_MPSC};
		assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, &oo, &tx2, &rx2),
				 -EINVAL);
	}
	shmring_close(r);
	shmring_close(tx);
	shmring_close(rx);
	assert_int_equal(shmring_unlink(name), 0);
}

/* Forge one field of a header at off, checksum recomputed; the duplex must
 * not open (err), and must open again once restored. */
static void forge(const char *name, unsigned char *raw, size_t off, size_t field, uint64_t value,
		  unsigned width, int err)
{
	struct shmring_hdr *h = (struct shmring_hdr *)(void *)(raw + off);
	struct shmring_hdr saved = *h;
	shmring_t *tx, *rx;

	if (width == 4)
		memcpy((unsigned char *)h + field, &(uint32_t){(uint32_t)value}, 4);
	else
		memcpy((unsigned char *)h + field, &value, 8);
	h->check = shmring__hdr_checksum(h);
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &tx, &rx), err);
	assert_null(tx);
	assert_null(rx);
	*h = saved;
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &tx, &rx), 0);
	shmring_close(tx);
	shmring_close(rx);
}

/* Forged headers of either direction: refused, nothing mapped past the end. */
static void test_forged(void **state)
{
	const char *name = test_ring_name("forged");
	shmring_t *tx, *rx;
	unsigned char *raw;
	size_t size, b;
	const struct shmring_hdr *h0;

	(void)state;
	make(name, 24, 256, SHMRING_DUPLEX_A, &tx, &rx);
	shmring_close(tx);
	shmring_close(rx);
	raw = map_raw(name, &size);
	h0 = (const struct shmring_hdr *)(void *)raw;
	b = (size_t)(h0->slots_off / 2);
	/* Direction 0. */
	forge(name, raw, 0, offsetof(struct shmring_hdr, direction), 1, 4, -SHMRING_EGEOMETRY);
	forge(name, raw, 0, offsetof(struct shmring_hdr, direction), 7, 4, -SHMRING_EGEOMETRY);
	forge(name, raw, 0, offsetof(struct shmring_hdr, features), SHMRING_FEAT_STAMPED_SLOTS, 8,
	      -SHMRING_EGEOMETRY); /* a plain ring of a duplex's size */
	forge(name, raw, 0, offsetof(struct shmring_hdr, features),
	      SHMRING_FEAT_DENSE_SLOTS | SHMRING_FEAT_DUPLEX, 8, -SHMRING_EGEOMETRY);
	forge(name, raw, 0, offsetof(struct shmring_hdr, kind), SHMRING_KIND_MPSC, 4,
	      -SHMRING_EGEOMETRY);
	forge(name, raw, 0, offsetof(struct shmring_hdr, slots_off), h0->slots_off + 128, 8,
	      -SHMRING_EGEOMETRY);
	forge(name, raw, 0, offsetof(struct shmring_hdr, capacity), 512, 8, -SHMRING_EGEOMETRY);
	forge(name, raw, 0, offsetof(struct shmring_hdr, reserved0), 1, 4, -SHMRING_EGEOMETRY);
	/* Direction 1: each of its own fields, and fields that disagree with
	 * direction 0's while valid for a ring of their own. */
	forge(name, raw, b, offsetof(struct shmring_hdr, direction), 0, 4, -SHMRING_EGEOMETRY);
	forge(name, raw, b, offsetof(struct shmring_hdr, slots_off),
	      ((const struct shmring_hdr *)(void *)(raw + b))->slots_off + 32, 8,
	      -SHMRING_EGEOMETRY);
	forge(name, raw, b, offsetof(struct shmring_hdr, total_size), size, 8, -SHMRING_EGEOMETRY);
	forge(name, raw, b, offsetof(struct shmring_hdr, features), SHMRING_FEAT_STAMPED_SLOTS, 8,
	      -SHMRING_EGEOMETRY);
	forge(name, raw, b, offsetof(struct shmring_hdr, ctime_ns), 1, 8, -SHMRING_EGEOMETRY);
	forge(name, raw, b, offsetof(struct shmring_hdr, recovery_ns), 1, 8, -SHMRING_EGEOMETRY);
	forge(name, raw, b, offsetof(struct shmring_hdr, version), 99, 4, -SHMRING_EVERSION);
	/* A direction 1 that never got its header. */
	{
		unsigned char saved[256];

		memcpy(saved, raw + b, sizeof(saved));
		memset(raw + b, 0, sizeof(saved));
		assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &tx, &rx),
				 -EAGAIN);
		memcpy(raw + b, saved, sizeof(saved));
	}
	/* A direction bit on a plain ring. */
	{
		const char *plain = test_ring_name("forged-plain");
		struct shmring_opts o = opts_of(8, 64);
		shmring_t *r;
		unsigned char *p;
		size_t psize;

		assert_int_equal(shmring_create(plain, &o, SHMRING_OBSERVER, &r), 0);
		shmring_close(r);
		p = map_raw(plain, &psize);
		((struct shmring_hdr *)(void *)p)->direction = 1;
		((struct shmring_hdr *)(void *)p)->check =
			shmring__hdr_checksum((struct shmring_hdr *)(void *)p);
		assert_int_equal(shmring_open(plain, SHMRING_CONSUMER, &r), -SHMRING_EGEOMETRY);
		munmap(p, psize);
	}
	munmap(raw, size);
}

/* --- Between processes ------------------------------------------------------ */

enum { FORM_TRY, FORM_BLOCK, FORM_LANE, FORM_BULK, FORM_U64 };

/* End B: echo count messages of slot bytes back, each with its first word
 * plus one, through form; exit 0 when all matched. */
static int echo_b(shmring_t *tx, shmring_t *rx, uint32_t slot, uint64_t count, int form)
{
	unsigned char buf[64 * 24], *m = buf;
	struct shmring_lane *ltx = NULL, *lrx = NULL;

	if (form == FORM_LANE && (shmring_lane_get(tx, SHMRING_PRODUCER, &ltx) < 0 ||
				  shmring_lane_get(rx, SHMRING_CONSUMER, &lrx) < 0))
		return 10;
	for (uint64_t i = 0; i < count;) {
		unsigned n = 1;
		int rc;

		switch (form) {
		case FORM_TRY:
			while ((rc = shmring_try_recv(rx, m)) == -EAGAIN)
				;
			break;
		case FORM_BLOCK:
			rc = shmring_recv(rx, m, SHMRING_NO_DEADLINE);
			break;
		case FORM_LANE:
			while ((rc = shmring_lane_try_recv(lrx, m)) == -EAGAIN)
				;
			break;
		case FORM_U64: {
			uint64_t w = 0;

			while ((rc = shmring_try_recv_u64(rx, &w)) == -EAGAIN)
				;
			memcpy(m, &w, 8);
			break;
		}
		default:
			rc = shmring_recv_burst(rx, m, 64, SHMRING_NO_DEADLINE);
			if (rc > 0)
				n = (unsigned)rc;
		}
		if (rc < 0)
			return 11;
		for (unsigned k = 0; k < n; k++, i++) {
			unsigned char *at = m + (size_t)k * slot;
			uint64_t w;

			memcpy(&w, at, 8);
			if (w != i * 3 + 1 || (slot > 8 && at[slot - 1] != (unsigned char)i))
				return 12;
			w++;
			memcpy(at, &w, 8);
		}
		switch (form) {
		case FORM_TRY:
			while ((rc = shmring_try_send(tx, m)) == -EAGAIN)
				;
			break;
		case FORM_BLOCK:
			rc = shmring_send(tx, m, SHMRING_NO_DEADLINE);
			break;
		case FORM_LANE:
			while ((rc = shmring_lane_try_send(ltx, m)) == -EAGAIN)
				;
			break;
		case FORM_U64: {
			uint64_t w;

			memcpy(&w, m, 8);
			while ((rc = shmring_try_send_u64(tx, w)) == -EAGAIN)
				;
			break;
		}
		default:
			/* Room for them all: end A keeps at most a ring in flight. */
			rc = shmring_send_bulk(tx, m, n, SHMRING_NO_DEADLINE) == (int)n ? 0 : -EIO;
		}
		if (rc < 0)
			return 13;
	}
	return 0;
}

/* End A's side of the same exchange. */
static void request_a(shmring_t *tx, shmring_t *rx, uint32_t slot, uint64_t count)
{
	unsigned char m[24] = {0};

	for (uint64_t i = 0; i < count; i++) {
		uint64_t w = i * 3 + 1;

		memcpy(m, &w, 8);
		if (slot > 8)
			m[slot - 1] = (unsigned char)i;
		assert_int_equal(shmring_send(tx, m, SHMRING_NO_DEADLINE), 0);
		assert_int_equal(shmring_recv(rx, m, SHMRING_NO_DEADLINE), 0);
		memcpy(&w, m, 8);
		assert_int_equal(w, i * 3 + 2);
	}
}

static void exchange(uint32_t slot, uint64_t capacity, int form, uint64_t count)
{
	const char *name = test_ring_name("echo");
	shmring_t *tx, *rx;
	pid_t pid;
	int status;

	make(name, slot, capacity, SHMRING_DUPLEX_A, &tx, &rx);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		shmring_t *btx, *brx;
		int rc;

		alarm(120);
		rc = shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &btx, &brx);
		_exit(rc < 0 ? 9 : echo_b(btx, brx, slot, count, form));
	}
	if (form == FORM_BULK) {
		/* Bursts: a window of requests in flight at a time. */
		unsigned char m[24] = {0};
		uint64_t sent = 0, got = 0;

		while (got < count) {
			while (sent < count && sent - got < capacity) {
				uint64_t w = sent * 3 + 1;

				memcpy(m, &w, 8);
				if (slot > 8)
					m[slot - 1] = (unsigned char)sent;
				if (shmring_try_send(tx, m) < 0)
					break;
				sent++;
			}
			while (shmring_try_recv(rx, m) == 0) {
				uint64_t w;

				memcpy(&w, m, 8);
				assert_int_equal(w, got * 3 + 2);
				got++;
			}
		}
	} else if (form == FORM_U64) {
		/* By value both ways, polling (end A's side as end B's). */
		for (uint64_t i = 0; i < count; i++) {
			uint64_t w = 0;
			int rc;

			while ((rc = shmring_try_send_u64(tx, i * 3 + 1)) == -EAGAIN)
				;
			assert_int_equal(rc, 0);
			while ((rc = shmring_try_recv_u64(rx, &w)) == -EAGAIN)
				;
			assert_int_equal(rc, 0);
			assert_int_equal(w, i * 3 + 2);
		}
	} else {
		request_a(tx, rx, slot, count);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	shmring_close(tx);
	shmring_close(rx);
}

static void test_echo_try(void **state)
{
	(void)state;
	exchange(8, 16, FORM_TRY, 200000 / TEST_MSG_DIVISOR);
	exchange(24, 64, FORM_TRY, 100000 / TEST_MSG_DIVISOR);
}

static void test_echo_block(void **state)
{
	(void)state;
	exchange(8, 4, FORM_BLOCK, 20000 / TEST_MSG_DIVISOR);
	exchange(17, 8, FORM_BLOCK, 20000 / TEST_MSG_DIVISOR);
}

static void test_echo_lane(void **state)
{
	(void)state;
	exchange(8, 32, FORM_LANE, 200000 / TEST_MSG_DIVISOR);
	exchange(16, 32, FORM_LANE, 100000 / TEST_MSG_DIVISOR);
}

/* 8-byte messages by value (shmring_try_send_u64(), shmring_try_recv_u64()):
 * a duplex's slots have a stamp each, which those calls take in their
 * out-of-line tails. */
static void test_echo_u64(void **state)
{
	(void)state;
	exchange(8, 16, FORM_U64, 200000 / TEST_MSG_DIVISOR);
}

static void test_echo_bulk(void **state)
{
	(void)state;
	exchange(8, 64, FORM_BULK, 200000 / TEST_MSG_DIVISOR);
	exchange(24, 128, FORM_BULK, 100000 / TEST_MSG_DIVISOR);
}

/* End B killed: both of end A's handles see it go (-EPIPE from a blocked
 * receive and from a send), and a new end B attaches without cleanup and
 * finds every request sent before the -EPIPE. */
static void test_end_killed(void **state)
{
	const char *name = test_ring_name("killed");
	shmring_t *tx, *rx, *btx, *brx;
	uint64_t v = 7, last;
	pid_t pid;
	int p[2], status, rc = 0;
	char c;

	(void)state;
	make(name, 8, 16, SHMRING_DUPLEX_A, &tx, &rx);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		if (shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &btx, &brx) < 0)
			_exit(9);
		if (write(p[1], "x", 1) != 1)
			_exit(8);
		pause();
		_exit(0);
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(shmring_try_send(tx, &v), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* Blocked in a receive when the reply will never come. */
	assert_int_equal(shmring_recv(rx, &v, test_now_ns() + 10000 * MS), -EPIPE);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* The request still sits in direction 0. Sends move on until one sees
	 * the consumer gone: the producer's next look at its peers, or at the
	 * latest the send that has to wait for room. */
	for (v = 8; v < 8 + 15 && (rc = shmring_try_send(tx, &v)) == 0; v++)
		;
	if (v < 8 + 15)
		assert_int_equal(rc, -EPIPE);
	else
		assert_int_equal(shmring_send(tx, &v, test_now_ns() + 10000 * MS), -EPIPE);
	last = v;
	/* A new end B: attaches with the dead one's entries reaped, finds the
	 * requests committed before and after the kill. */
	assert_int_equal(shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &btx, &brx), 0);
	for (uint64_t i = 7; i < last; i++) {
		assert_int_equal(shmring_try_recv(brx, &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(shmring_try_recv(brx, &v), -EAGAIN);
	v = 8;
	assert_int_equal(shmring_try_send(btx, &v), 0);
	assert_int_equal(shmring_try_recv(rx, &v), 0);
	assert_int_equal(v, 8);
	close(p[0]);
	close(p[1]);
	shmring_close(btx);
	shmring_close(brx);
	shmring_close(tx);
	shmring_close(rx);
}

/* Anonymous memory: the child takes end B from what it inherited. */
static void test_anon_fork(void **state)
{
	struct shmring_opts o = opts_of(8, 64);
	shmring_t *tx, *rx;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(shmring_duplex_create("anon:", &o, SHMRING_DUPLEX_A, &tx, &rx), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		shmring_t *btx, *brx;

		alarm(60);
		if (shmring_duplex_dup(rx, SHMRING_DUPLEX_B, &btx, &brx) < 0)
			_exit(9);
		_exit(echo_b(btx, brx, 8, 10000, FORM_BLOCK));
	}
	request_a(tx, rx, 8, 10000);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* In one process, too: a second end A is refused while this one lives. */
	{
		shmring_t *t2, *r2;

		assert_int_equal(shmring_duplex_dup(tx, SHMRING_DUPLEX_A, &t2, &r2), -EBUSY);
	}
	shmring_close(tx);
	shmring_close(rx);
}

/* A memfd duplex handed over a socket: the receiver opens it as an
 * observer and takes end B from that handle. */
static void test_memfd_handed(void **state)
{
	struct shmring_opts o = opts_of(8, 64);
	shmring_t *tx, *rx;
	int sv[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(shmring_duplex_create("memfd:duplex", &o, SHMRING_DUPLEX_A, &tx, &rx), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		shmring_t *obs, *btx, *brx, *no;

		alarm(60);
		close(sv[0]);
		/* In a role, the plain receive refuses a duplex. */
		if (shmring_fd_recv(sv[1], SHMRING_CONSUMER, NULL, &no) != -SHMRING_EKIND)
			_exit(7);
		if (shmring_fd_recv(sv[1], SHMRING_OBSERVER, NULL, &obs) < 0)
			_exit(8);
		if (shmring_duplex_dup(obs, SHMRING_DUPLEX_B, &btx, &brx) < 0)
			_exit(9);
		shmring_close(obs);
		_exit(echo_b(btx, brx, 8, 1000, FORM_BLOCK));
	}
	close(sv[1]);
	assert_int_equal(shmring_fd_send(tx, sv[0]), 0);
	assert_int_equal(shmring_fd_send(rx, sv[0]), 0);
	request_a(tx, rx, 8, 1000);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(sv[0]);
	shmring_close(tx);
	shmring_close(rx);
}

/* A file ring keeps both directions' messages across closes. */
static void test_file_reopen(void **state)
{
	char path[256], uri[300];
	struct shmring_opts o = opts_of(8, 64);
	shmring_t *tx, *rx;
	uint64_t v;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/shmring-test-duplex-%d", (int)getpid());
	snprintf(uri, sizeof(uri), "file:%s", path);
	unlink(path);
	assert_int_equal(shmring_duplex_create(uri, &o, SHMRING_DUPLEX_A, &tx, &rx), 0);
	v = 11;
	assert_int_equal(shmring_try_send(tx, &v), 0);
	shmring_close(tx);
	shmring_close(rx);
	assert_int_equal(shmring_duplex_open(uri, SHMRING_DUPLEX_B, NULL, &tx, &rx), 0);
	assert_int_equal(shmring_try_recv(rx, &v), 0);
	assert_int_equal(v, 11);
	v = 12;
	assert_int_equal(shmring_try_send(tx, &v), 0);
	shmring_close(tx);
	shmring_close(rx);
	assert_int_equal(shmring_duplex_open(uri, SHMRING_DUPLEX_A, NULL, &tx, &rx), 0);
	assert_int_equal(shmring_try_recv(rx, &v), 0);
	assert_int_equal(v, 12);
	shmring_close(tx);
	shmring_close(rx);
	assert_int_equal(shmring_unlink(uri), 0);
}

/*
 * A creator killed between publishing direction 1's header and direction
 * 0's leaves a segment zero but for direction 1's header: as with a plain
 * ring whose creator died before its header, open-or-create and replace
 * take the name over. Data anywhere else is another program's, and stays.
 */
static void test_creator_died_between_headers(void **state)
{
	char path[256], uri[300];
	struct shmring_opts o = opts_of(8, 64);
	struct shmring_hdr h0;
	unsigned char *seg, *left;
	shmring_t *tx, *rx;
	size_t size;
	uint64_t v, block;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/shmring-test-duplex-died-%d", (int)getpid());
	snprintf(uri, sizeof(uri), "file:%s", path);
	unlink(path);
	assert_int_equal(shmring_duplex_create(uri, &o, SHMRING_DUPLEX_OBSERVE, &tx, &rx), 0);
	shmring_close(tx);
	shmring_close(rx);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	size = (size_t)lseek(fd, 0, SEEK_END);
	seg = malloc(size);
	left = calloc(1, size);
	assert_non_null(seg);
	assert_non_null(left);
	assert_int_equal(pread(fd, seg, size, 0), (ssize_t)size);
	close(fd);
	memcpy(&h0, seg, sizeof(h0));
	block = h0.slots_off / 2;
	memcpy(left + block, seg + block, sizeof(h0));

	assert_true(test_write_file(path, left, size));
	assert_int_equal(shmring_duplex_open(uri, SHMRING_DUPLEX_A, NULL, &tx, &rx), -EAGAIN);
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_duplex_create(uri, &o, SHMRING_DUPLEX_A, &tx, &rx), 0);
	v = 21;
	assert_int_equal(shmring_try_send(tx, &v), 0);
	shmring_close(tx);
	shmring_close(rx);
	assert_int_equal(shmring_duplex_open(uri, SHMRING_DUPLEX_B, NULL, &tx, &rx), 0);
	assert_int_equal(shmring_try_recv(rx, &v), 0);
	assert_int_equal(v, 21);
	shmring_close(tx);
	shmring_close(rx);

	assert_true(test_write_file(path, left, size));
	o.flags = SHMRING_CREATE_REPLACE;
	assert_int_equal(shmring_duplex_create(uri, &o, SHMRING_DUPLEX_A, &tx, &rx), 0);
	shmring_close(tx);
	shmring_close(rx);

	/* Killed a moment later: direction 0's header written but for its
	 * magic, which goes last. */
	memcpy(left + 8, seg + 8, sizeof(h0) - 8);
	assert_true(test_write_file(path, left, size));
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_duplex_create(uri, &o, SHMRING_DUPLEX_A, &tx, &rx), 0);
	shmring_close(tx);
	shmring_close(rx);
	memset(left + 8, 0, sizeof(h0) - 8);
	o.flags = SHMRING_CREATE_REPLACE;

	/* One more byte anywhere else: not what a creator leaves. */
	left[size - 1] = 1;
	assert_true(test_write_file(path, left, size));
	assert_int_equal(shmring_duplex_create(uri, &o, SHMRING_DUPLEX_A, &tx, &rx),
			 -SHMRING_EBADMAGIC);
	o.flags = SHMRING_CREATE_OPEN_EXISTING;
	assert_int_equal(shmring_duplex_create(uri, &o, SHMRING_DUPLEX_A, &tx, &rx),
			 -SHMRING_EBADMAGIC);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	free(seg);
	free(left);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_full_each_way),
		cmocka_unit_test(test_observe),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_echo_try),
		cmocka_unit_test(test_echo_block),
		cmocka_unit_test(test_echo_lane),
		cmocka_unit_test(test_echo_u64),
		cmocka_unit_test(test_echo_bulk),
		cmocka_unit_test(test_end_killed),
		cmocka_unit_test(test_polled_then_closed),
		cmocka_unit_test(test_anon_fork),
		cmocka_unit_test(test_memfd_handed),
		cmocka_unit_test(test_file_reopen),
		cmocka_unit_test(test_creator_died_between_headers),
	};

	return cmocka_run_group_tests(tests, NULL, test_teardown_names);
}
