/* SPDX-License-Identifier: MIT */
/*
 * test_msg_ring: the message ring (SHMRING_KIND_MSG) through the public API,
 * in one process: every record size from 0 to the largest across many
 * wrap-arounds, for each producer/consumer mode; records too large; buffers
 * too small; bursts and bulks; zero-copy; reservations of several producers
 * committed out of order reach the consumer in claim order, untorn; corrupt
 * record headers give -EUCLEAN, never a read out of bounds; creation rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "ringbuf/layout.h"

static shmring_t *msg_create(const char *name, uint64_t capacity, uint32_t max, uint32_t flags)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_MSG, .slot_size = max, .capacity = capacity,
				 .flags = flags};
	shmring_t *r;

	assert_int_equal(shmring_create(name, &o, SHMRING_OBSERVER, &r), 0);
	return r;
}

static void fill(unsigned char *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(seed * 31u + i * 7u);
}

static void check(const unsigned char *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != (unsigned char)(seed * 31u + i * 7u))
			fail_msg("byte %zu of record %u differs", i, seed);
}

static const uint32_t modes[] = {
	0, SHMRING_CREATE_MULTI_PRODUCER, SHMRING_CREATE_MULTI_CONSUMER,
	SHMRING_CREATE_MULTI_PRODUCER | SHMRING_CREATE_MULTI_CONSUMER,
};

/* Every size 0..max, several laps, with 0..2 records in flight. */
static void test_every_size(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 4; m++) {
		const char *name = test_ring_name("msg-sizes");
		const uint32_t max = 200;
		shmring_t *own = msg_create(name, 1024, max, modes[m]), *tx, *rx;
		unsigned char out[256], in[256];
		unsigned sent = 0, got = 0;

		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		for (unsigned lap = 0; lap < 7; lap++) {
			for (uint32_t len = 0; len <= max; len++, sent++) {
				fill(out, len, sent);
				assert_int_equal(shmring_msg_try_send(tx, out, len, sent), 0);
				/* Keep (lap % 3) records in flight. */
				while (sent + 1 - got > lap % 3) {
					uint32_t type;
					ssize_t n = shmring_msg_try_recv(rx, in, sizeof(in), &type);
					uint32_t want = (uint32_t)(got % (max + 1));

					assert_int_equal(n, want);
					assert_int_equal(type, got);
					check(in, (size_t)n, got);
					got++;
				}
			}
		}
		while (got < sent) {
			uint32_t type;
			ssize_t n = shmring_msg_try_recv(rx, in, sizeof(in), &type);

			assert_int_equal(n, got % (max + 1));
			check(in, (size_t)n, got++);
		}
		assert_int_equal(shmring_msg_try_recv(rx, in, sizeof(in), NULL), -EAGAIN);
		assert_int_equal(shmring_count(own), 0);
		shmring_close(tx);
		shmring_close(rx);
		shmring_close(own);
	}
}

/* Sizes and buffers: -EMSGSIZE both ways; the record stays. */
static void test_sizes(void **state)
{
	const char *name = test_ring_name("msg-emsgsize");
	shmring_t *own = msg_create(name, 4096, 100, 0), *tx, *rx;
	unsigned char buf[200] = {0};
	uint32_t type = 0;

	(void)state;
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
	assert_int_equal(shmring_msg_try_send(tx, buf, 101, 1), -EMSGSIZE);
	assert_int_equal(shmring_msg_send(tx, buf, 101, 1, SHMRING_NO_DEADLINE), -EMSGSIZE);
	assert_null(shmring_msg_reserve(tx, 101));
	assert_int_equal(shmring_msg_try_send(tx, buf, 100, 7), 0);
	assert_int_equal(shmring_msg_try_send(tx, buf, 0, 8), 0);
	assert_int_equal(shmring_msg_try_recv(rx, buf, 99, &type), -EMSGSIZE);
	assert_int_equal(shmring_msg_try_recv(rx, buf, 100, &type), 100);
	assert_int_equal(type, 7);
	assert_int_equal(shmring_msg_try_recv(rx, NULL, 0, &type), 0);
	assert_int_equal(type, 8);
	assert_int_equal(shmring_msg_recv(rx, buf, 100, &type, shmring_deadline_in(1000000)),
			 -ETIMEDOUT);
	assert_int_equal(shmring_msg_span(0), 16);
	assert_int_equal(shmring_msg_span(1), 32);
	assert_int_equal(shmring_msg_span(16), 32);
	/* The largest that fits, then no wrap to a small span. */
	assert_true(shmring_msg_span(SIZE_MAX - 31) == UINT64_MAX - 15);
	assert_true(shmring_msg_span(SIZE_MAX - 30) == UINT64_MAX);
	assert_true(shmring_msg_span(SIZE_MAX) == UINT64_MAX);
	shmring_close(tx);
	shmring_close(rx);
	shmring_close(own);
}

static void test_burst_bulk(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 4; m++) {
		const char *name = test_ring_name("msg-burst");
		/* 512 bytes: eight records of 48 bytes (64 each) fill it. */
		shmring_t *own = msg_create(name, 512, 64, modes[m]), *tx, *rx;
		unsigned char data[10][48], in[10][64];
		struct shmring_msgvec v[10], r[10];

		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		for (unsigned i = 0; i < 10; i++) {
			fill(data[i], 48, i);
			v[i] = (struct shmring_msgvec){.buf = data[i], .len = 48, .type = i};
		}
		assert_int_equal(shmring_msg_try_send_bulk(tx, v, 10), 0);
		assert_int_equal(shmring_msg_try_send_burst(tx, v, 10), 8);
		assert_int_equal(shmring_msg_try_send_burst(tx, v, 1), 0);
		/* Receive: bulk of 9 fails, burst stops before a small buffer. */
		for (unsigned i = 0; i < 10; i++)
			r[i] = (struct shmring_msgvec){.buf = in[i], .len = i == 3 ? 40 : 64};
		assert_int_equal(shmring_msg_try_recv_bulk(rx, r, 9), 0);
		assert_int_equal(shmring_msg_try_recv_burst(rx, r, 10), 3);
		for (unsigned i = 0; i < 3; i++) {
			assert_int_equal(r[i].len, 48);
			assert_int_equal(r[i].type, i);
			check(in[i], 48, i);
		}
		r[0] = (struct shmring_msgvec){.buf = in[0], .len = 64};
		r[1] = (struct shmring_msgvec){.buf = in[1], .len = 64};
		assert_int_equal(shmring_msg_try_recv_bulk(rx, r, 2), 2);
		assert_int_equal(r[0].type, 3);
		assert_int_equal(r[1].type, 4);
		/* Room again: a bulk across the wrap. */
		assert_int_equal(shmring_msg_try_send_bulk(tx, v, 4), 4);
		for (unsigned i = 0; i < 10; i++)
			r[i] = (struct shmring_msgvec){.buf = in[i], .len = 64};
		assert_int_equal(shmring_msg_try_recv_burst(rx, r, 10), 7);
		assert_int_equal(r[2].type, 7);
		assert_int_equal(r[3].type, 0);
		check(in[6], 48, 3);
		assert_int_equal(shmring_count(own), 0);
		shmring_close(tx);
		shmring_close(rx);
		shmring_close(own);
	}
}

/* A burst is planned against the room the consumer has given back, not
 * the room the producer last knew of: after records sent and received one
 * at a time (the producer's cached watermark left behind), a burst that
 * fits the emptied ring goes whole. */
static void test_burst_after_drain(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 4; m++) {
		const char *name = test_ring_name("msg-drain");
		shmring_t *own = msg_create(name, 256, 100, modes[m]), *tx, *rx;
		unsigned char in[128] = {0};
		struct shmring_msgvec v[4];

		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		for (unsigned i = 0; i < 15; i++) {
			assert_int_equal(shmring_msg_try_send(tx, in, 0, i), 0);
			assert_int_equal(shmring_msg_try_recv(rx, in, sizeof(in), NULL), 0);
		}
		assert_int_equal(shmring_count(own), 0);
		for (unsigned i = 0; i < 4; i++)
			v[i] = (struct shmring_msgvec){.buf = in, .len = 0, .type = i};
		/* Four records of 16 bytes in an empty ring of 256. */
		assert_int_equal(shmring_msg_try_send_burst(tx, v, 4), 4);
		assert_int_equal(shmring_count(own), 4 * 16); /* bytes, on a message ring */
		shmring_close(tx);
		shmring_close(rx);
		shmring_close(own);
	}
}

static void test_zero_copy(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 4; m++) {
		const char *name = test_ring_name("msg-zc");
		shmring_t *own = msg_create(name, 256, 48, modes[m]), *tx, *rx;
		unsigned char buf[64];
		size_t len;
		uint32_t type;
		const void *p;
		void *w;

		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		assert_int_equal(shmring_msg_commit(tx, 0), -EINVAL);
		assert_int_equal(shmring_msg_release(rx), -EINVAL);
		assert_null(shmring_msg_peek(rx, &len, &type));
		for (unsigned i = 0; i < 20; i++) { /* laps of the 256-byte area */
			size_t n = (i * 13) % 49;

			w = shmring_msg_reserve(tx, n);
			assert_non_null(w);
			assert_null(shmring_msg_reserve(tx, 1));
			assert_int_equal(shmring_msg_try_send(tx, buf, 1, 0), -EBUSY);
			fill(w, n, i);
			assert_null(shmring_msg_peek(rx, &len, &type));
			assert_int_equal(shmring_msg_commit(tx, 100 + i), 0);
			p = shmring_msg_peek(rx, &len, &type);
			assert_non_null(p);
			assert_ptr_equal(shmring_msg_peek(rx, NULL, NULL), p);
			assert_int_equal(len, n);
			assert_int_equal(type, 100 + i);
			check(p, n, i);
			assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), NULL), -EBUSY);
			assert_int_equal(shmring_msg_release(rx), 0);
		}
		assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), NULL), -EAGAIN);
		shmring_close(tx);
		shmring_close(rx);
		shmring_close(own);
	}
}

/*
 * Several producers reserve in turn and commit in the opposite order: the
 * consumer sees nothing until the first claim is committed, then every
 * record in claim order, whole.
 */
static void test_interleaved_reservations(void **state)
{
	const char *name = test_ring_name("msg-interleave");
	shmring_t *own = msg_create(name, 4096, 256, SHMRING_CREATE_MULTI_PRODUCER), *tx[5], *rx;
	unsigned char *w[5], buf[256];

	(void)state;
	for (unsigned round = 0; round < 40; round++) {
		for (unsigned i = 0; i < 5; i++)
			assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx[i]), 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		for (unsigned i = 0; i < 5; i++) {
			w[i] = shmring_msg_reserve(tx[i], 40 * i + round);
			assert_non_null(w[i]);
			fill(w[i], 40 * i + round, i + round);
		}
		for (unsigned i = 5; i-- > 1;) {
			assert_int_equal(shmring_msg_commit(tx[i], i), 0);
			assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), NULL), -EAGAIN);
		}
		assert_int_equal(shmring_msg_commit(tx[0], 0), 0);
		for (unsigned i = 0; i < 5; i++) {
			uint32_t type;

			assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), &type),
					 40 * i + round);
			assert_int_equal(type, i);
			check(buf, 40 * i + round, i + round);
		}
		for (unsigned i = 0; i < 5; i++)
			shmring_close(tx[i]);
		shmring_close(rx);
	}
	shmring_close(own);
}

/* Map the segment ourselves, as a faulty or hostile process would. */
static unsigned char *map_raw(const char *name, size_t *size)
{
	char path[300];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(p != MAP_FAILED);
	*size = (size_t)st.st_size;
	return p;
}

static void test_corrupt(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 4; m++) {
		/* info values that must never be followed: too long, crossing the end,
		 * padding where none can be. */
		const uint32_t bad_info[] = {101, SHMRING_REC_LEN_MASK, 96 | (5u << 17), SHMRING_REC_PAD};

		for (unsigned b = 0; b < 4; b++) {
			const char *name = test_ring_name("msg-corrupt");
			shmring_t *own = msg_create(name, 256, 100, modes[m]), *tx, *rx;
			struct shmring_hdr *h;
			struct shmring_rec *rec;
			unsigned char buf[128] = {0}, *seg;
			size_t size;
			uint64_t at = b == 2 ? 192 : 0; /* offset of the record we damage */

			assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
			assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
			if (at) { /* move to offset 192: three 48-byte records, received */
				for (int i = 0; i < 3; i++) {
					assert_int_equal(shmring_msg_try_send(tx, buf, 48, 0), 0);
					assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), NULL), 48);
				}
			}
			assert_int_equal(shmring_msg_try_send(tx, buf, 16, 1), 0);
			seg = map_raw(name, &size);
			h = (struct shmring_hdr *)(void *)seg;
			rec = (struct shmring_rec *)(void *)(seg + h->slots_off + at);
			assert_int_equal(atomic_load(&rec->stamp), at | SHMRING_REC_COMMITTED);
			atomic_store(&rec->info, bad_info[b]);
			assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), NULL), -EUCLEAN);
			assert_null(shmring_msg_peek(rx, NULL, NULL));
			assert_int_equal(shmring_msg_recv(rx, buf, sizeof(buf), NULL, SHMRING_NO_DEADLINE),
					 -EUCLEAN);
			munmap(seg, size);
			shmring_close(tx);
			shmring_close(rx);
			shmring_close(own);
		}
	}
}

/*
 * Many consumers: a peer rewrites the length of a record under a peek. The
 * release's sweep must not carry the release watermark past the consumers'
 * claim position (the producer would write over records not yet read, and
 * every receive would be -SHMRING_ECORRUPT for good): the record after it
 * waits, the records behind it are delivered, and the ring goes on.
 */
static void test_release_length_forged(void **state)
{
	(void)state;
	for (unsigned m = 2; m < 4; m++) {
		const char *name = test_ring_name("msg-rel-forged");
		shmring_t *own = msg_create(name, 1024, 200, modes[m]), *tx, *rx;
		struct shmring_hdr *h;
		struct shmring_side *cs;
		struct shmring_rec *rec;
		unsigned char buf[256], *seg;
		const char *want[] = {"BBBB", "CCCC"};
		uint32_t type;
		size_t size, len;

		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		assert_int_equal(shmring_msg_try_send(tx, "AAAA", 4, 1), 0);
		assert_int_equal(shmring_msg_try_send(tx, "BBBB", 4, 2), 0);
		assert_int_equal(shmring_msg_try_send(tx, "CCCC", 4, 3), 0);
		assert_non_null(shmring_msg_peek(rx, &len, &type));
		assert_int_equal(len, 4);
		seg = map_raw(name, &size);
		h = (struct shmring_hdr *)(void *)seg;
		cs = shmring__cons_side(seg);
		rec = (struct shmring_rec *)(void *)(seg + h->slots_off);
		atomic_store(&rec->info, 200u); /* within the largest: it decodes */
		assert_int_equal(shmring_msg_release(rx), 0);
		assert_true(atomic_load(&cs->done) <= atomic_load(&cs->pos));
		for (int i = 0; i < 2; i++) {
			assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), &type), 4);
			assert_memory_equal(buf, want[i], 4);
		}
		for (int i = 0; i < 100; i++) {
			assert_int_equal(shmring_msg_try_send(tx, "later", 5, 9), 0);
			assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), &type), 5);
		}
		assert_true(atomic_load(&cs->done) <= atomic_load(&cs->pos));
		munmap(seg, size);
		shmring_close(tx);
		shmring_close(rx);
		shmring_close(own);
	}
}

/* Receive until something other than -EAGAIN comes back, for up to 2 s. */
static ssize_t recv_until_told(shmring_t *rx, shmring_t *tx, unsigned char *buf, size_t size)
{
	ssize_t n = -EAGAIN;

	for (int i = 0; i < 2000 && n == -EAGAIN; i++) {
		(void)shmring_msg_try_send(tx, "world", 5, 2); /* -EAGAIN once full */
		n = shmring_msg_try_recv(rx, buf, size, NULL);
		usleep(1000);
	}
	return n;
}

/* A blocking receive says -SHMRING_ECORRUPT (not a timeout); then close. */
static void corrupt_then_close(shmring_t *own, shmring_t *tx, shmring_t *rx, unsigned char *seg,
			       size_t size)
{
	unsigned char buf[128];

	assert_int_equal(shmring_msg_recv(rx, buf, sizeof(buf), NULL, shmring_deadline_in(2000000000)),
			 -SHMRING_ECORRUPT);
	munmap(seg, size);
	shmring_close(tx);
	shmring_close(rx);
	shmring_close(own);
}

/*
 * One producer: a peer forges a record at the empty head (a zero-length
 * one, which is delivered), and the consumer, past it, stands between the
 * producer's records. Or it moves the consumer position up to the
 * producer's, and the producer writes over the records not yet read. Both
 * used to leave the consumer waiting for ever (-EAGAIN, or a blocking
 * receive that never returned); the producer's position, published past a
 * head where no record is, now says -SHMRING_ECORRUPT.
 */
static void test_head_forged_one_producer(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 4; m += 2) {
		const char *name = test_ring_name("msg-head-forged");
		shmring_t *own = msg_create(name, 1024, 64, modes[m]), *tx, *rx;
		struct shmring_hdr *h;
		struct shmring_rec *rec;
		unsigned char buf[128], *seg;
		uint64_t head;
		size_t size;

		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		assert_int_equal(shmring_msg_try_send(tx, "hello", 5, 1), 0);
		assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), NULL), 5);
		seg = map_raw(name, &size);
		h = (struct shmring_hdr *)(void *)seg;
		head = atomic_load(&shmring__prod_side(seg)->pos);
		rec = (struct shmring_rec *)(void *)(seg + h->slots_off + (head & 1023));
		atomic_store(&rec->info, 0u);
		atomic_store(&rec->stamp, head | SHMRING_REC_COMMITTED);
		assert_int_equal(shmring_msg_try_recv(rx, buf, sizeof(buf), NULL), 0);
		assert_int_equal(recv_until_told(rx, tx, buf, sizeof(buf)), -SHMRING_ECORRUPT);
		corrupt_then_close(own, tx, rx, seg, size);
		assert_int_equal(shmring_unlink(name), 0);
		if (m)
			continue;

		/* The consumer position moved up to the producer's: the
		 * producer laps the records still to be read. */
		own = msg_create(name, 1024, 64, modes[m]);
		assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &tx), 0);
		assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &rx), 0);
		for (int i = 0; i < 5; i++)
			assert_int_equal(shmring_msg_try_send(tx, "early", 5, 1), 0);
		seg = map_raw(name, &size);
		atomic_store(&shmring__cons_side(seg)->pos,
			     atomic_load(&shmring__prod_side(seg)->pos));
		for (int i = 0; i < 40; i++)
			(void)shmring_msg_try_send(tx, "later", 5, 1);
		corrupt_then_close(own, tx, rx, seg, size);
	}
}

static void test_create_rules(void **state)
{
	const char *name = test_ring_name("msg-rules");
	struct shmring_opts o = {.kind = SHMRING_KIND_MSG, .slot_size = 100, .capacity = 256};
	struct shmring_info in;
	shmring_t *r, *p1, *p2;
	unsigned char buf[16] = {0};
	void *slot;

	(void)state;
	/* Two of the largest records (128 bytes each) must fit. */
	o.slot_size = 113;
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	o.slot_size = 112;
	o.capacity = 200;
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	o.capacity = 32;
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	/* Fixed kinds: the multi flags they imply, none other. */
	o = (struct shmring_opts){.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 16,
				  .flags = SHMRING_CREATE_MULTI_PRODUCER};
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	o.kind = SHMRING_KIND_MPSC;
	o.flags = SHMRING_CREATE_MULTI_CONSUMER;
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);
	o.flags = SHMRING_CREATE_MULTI_PRODUCER;
	assert_int_equal(shmring_create(name, &o, 0, &r), 0);
	shmring_close(r);
	assert_int_equal(shmring_unlink(name), 0);
	o.kind = 6;
	assert_int_equal(shmring_create(name, &o, 0, &r), -EINVAL);

	/* A single-producer message ring: one producer at a time; fixed calls refused. */
	r = msg_create(name, 256, 100, SHMRING_CREATE_MULTI_CONSUMER);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.kind, SHMRING_KIND_MSG);
	assert_int_equal(in.flags, SHMRING_CREATE_MULTI_CONSUMER);
	assert_int_equal(in.capacity, 256);
	assert_int_equal(in.slot_size, 100);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p1), 0);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p2), -EBUSY);
	assert_int_equal(shmring_try_send(p1, buf), -SHMRING_EKIND);
	assert_int_equal(shmring_send(p1, buf, SHMRING_NO_DEADLINE), -SHMRING_EKIND);
	assert_int_equal(shmring_try_send_burst(p1, buf, 1), 0);
	assert_null(shmring_reserve(p1));
	assert_int_equal(shmring_commit(p1), -SHMRING_EKIND);
	assert_int_equal(shmring_try_recv(r, buf), -SHMRING_EKIND);
	/* Observers may not send or receive records. */
	assert_int_equal(shmring_msg_try_send(r, buf, 1, 0), -EPERM);
	assert_int_equal(shmring_msg_try_recv(r, buf, 16, NULL), -EPERM);
	slot = shmring_msg_reserve(p1, 16);
	assert_non_null(slot);
	/* Closing with a reservation held by the one producer drops it. */
	shmring_close(p1);
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &p2), 0);
	assert_int_equal(shmring_msg_try_send(p2, buf, 3, 9), 0);
	assert_int_equal(shmring_open(name, SHMRING_CONSUMER, &p1), 0);
	assert_int_equal(shmring_msg_try_recv(p1, buf, 16, NULL), 3);
	assert_int_equal(shmring_info(r, &in), 0);
	assert_int_equal(in.producers, 1);
	assert_int_equal(in.consumers, 1);
	assert_int_equal(in.produced, 32);
	assert_int_equal(in.consumed, 32);
	assert_int_equal(in.released, 32);
	shmring_close(p1);
	shmring_close(p2);
	shmring_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_every_size, test_teardown_names),
		cmocka_unit_test_teardown(test_sizes, test_teardown_names),
		cmocka_unit_test_teardown(test_burst_bulk, test_teardown_names),
		cmocka_unit_test_teardown(test_burst_after_drain, test_teardown_names),
		cmocka_unit_test_teardown(test_zero_copy, test_teardown_names),
		cmocka_unit_test_teardown(test_interleaved_reservations, test_teardown_names),
		cmocka_unit_test_teardown(test_corrupt, test_teardown_names),
		cmocka_unit_test_teardown(test_release_length_forged, test_teardown_names),
		cmocka_unit_test_teardown(test_head_forged_one_producer, test_teardown_names),
		cmocka_unit_test_teardown(test_create_rules, test_teardown_names),
	};

	return cmocka_run_group_tests_name("msg_ring", tests, NULL, NULL);
}
