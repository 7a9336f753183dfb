/* SPDX-License-Identifier: MIT */
/*
 * test_sock: the socket channels (unix:, unix:@ and tcp: on loopback)
 * through the ring's calls, each test over every transport:
 *   - fixed kinds: single, burst, bulk, try and blocking; every byte;
 *   - MSG: every size 0..max with types, -EMSGSIZE leaving the record;
 *   - end-of-stream once the producers closed (or were killed) and all is
 *     received, -EPIPE for a producer's first send after the listener
 *     closed, timed receives;
 *   - the handshake: another kind, slot size or capacity, a second
 *     producer of a single-producer kind, a consumer role: refused with
 *     their errors, and counted by the listener;
 *   - bad peers (raw sockets): a wrong handshake, a handshake cut short, a
 *     frame longer than the maximum, a frame cut short then closed, garbage:
 *     each connection closed and counted while a good producer is served;
 *   - a tcp producer trickling a frame a byte at a time: a timed receive
 *     still ends at its deadline, and so does one while the process takes
 *     a signal every 10 ms; the listener out of descriptors with a
 *     connection waiting: its acceptor does not spin, and takes the
 *     connection once it can;
 *   - a tcp producer whose connect reaches itself (no listener on a port
 *     of the ephemeral range): refused, not its own hello read back;
 *   - a unix: listener killed -9: its socket file is taken by the next
 *     create; a live one's is refused unless REPLACE, a plain file never;
 *   - auto: fallback (and the open option), unlink, names, info.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/resource.h>

#include "sock_helpers.h"

static const int transports[] = {TS_UNIX, TS_ABSTRACT, TS_TCP};
#define FOR_EACH_TRANSPORT(t) for (unsigned t##_i = 0, t = transports[0]; t##_i < 3; \
				   t##_i++, t = t##_i < 3 ? transports[t##_i] : 0)

static shmring_t *listen_on(const char *uri, uint32_t kind, uint32_t slot, uint64_t cap,
			    uint32_t flags)
{
	struct shmring_opts o = {.kind = kind, .slot_size = slot, .capacity = cap, .flags = flags};
	shmring_t *r = NULL;

	assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r), 0);
	return r;
}

static shmring_t *connect_to(const char *uri)
{
	shmring_t *r = NULL;

	assert_int_equal(shmring_open(uri, SHMRING_PRODUCER, &r), 0);
	return r;
}

static void fill(uint8_t *b, uint32_t size, uint64_t seq)
{
	for (uint32_t i = 0; i < size; i++)
		b[i] = (uint8_t)(test_check(seq) >> (8 * (i % 8))) ^ (uint8_t)i;
}

static void check(const uint8_t *b, uint32_t size, uint64_t seq)
{
	for (uint32_t i = 0; i < size; i++)
		assert_int_equal(b[i], (uint8_t)(test_check(seq) >> (8 * (i % 8))) ^ (uint8_t)i);
}

static uint64_t in_1s(void)
{
	return shmring_deadline_in(1000000000ull * TEST_SLOWDOWN);
}

/* Receive one message (blocking, 1 s), -EPIPE at end-of-stream. */
static void recv_one(shmring_t *rx, uint8_t *buf, uint32_t slot, uint64_t seq)
{
	assert_int_equal(shmring_recv(rx, buf, in_1s()), 0);
	check(buf, slot, seq);
}

static void test_fixed(void **state)
{
	(void)state;
	FOR_EACH_TRANSPORT(t)
	{
		const uint32_t slot = 48;
		const char *uri = ts_uri(t, "fixed");
		shmring_t *rx = listen_on(uri, SHMRING_KIND_MPSC, slot, 64, 0);
		shmring_t *tx = connect_to(uri);
		uint8_t b[16 * 48], got[16 * 48];
		struct shmring_info in;
		uint64_t seq = 0, rseq = 0;
		int rc;

		assert_int_equal(shmring_info(tx, &in), 0);
		assert_int_equal(in.transport, t == TS_TCP ? SHMRING_TRANSPORT_TCP
							 : SHMRING_TRANSPORT_UNIX);
		assert_int_equal(in.kind, SHMRING_KIND_MPSC);
		assert_int_equal(in.slot_size, slot);
		assert_int_equal(in.capacity, 64);
		assert_int_equal(shmring_slot_size(tx), slot);
		/* Empty: try says so, a timed receive times out. */
		assert_int_equal(shmring_try_recv(rx, got), -EAGAIN);
		/* Roles: a producer does not receive, the listener does not send. */
		assert_int_equal(shmring_try_recv(tx, got), -EPERM);
		assert_int_equal(shmring_try_send(rx, b), -EPERM);
		assert_int_equal(shmring_msg_try_send(tx, b, 1, 0), -SHMRING_EKIND);
		/* Single, try and blocking. */
		fill(b, slot, seq);
		assert_int_equal(shmring_try_send(tx, b), 0);
		seq++;
		fill(b, slot, seq);
		assert_int_equal(shmring_send(tx, b, in_1s()), 0);
		seq++;
		recv_one(rx, got, slot, rseq++);
		recv_one(rx, got, slot, rseq++);
		/* Bursts and bulks, every form against every other. */
		for (unsigned round = 0; round < 50; round++) {
			unsigned n = 1 + round % 16;

			for (unsigned i = 0; i < n; i++)
				fill(b + i * slot, slot, seq + i);
			switch (round % 4) {
			case 0: rc = (int)shmring_try_send_burst(tx, b, n); break;
			case 1: rc = (int)shmring_try_send_bulk(tx, b, n); break;
			case 2: rc = shmring_send_burst(tx, b, n, in_1s()); break;
			default: rc = shmring_send_bulk(tx, b, n, in_1s()); break;
			}
			assert_int_equal(rc, (int)n);
			seq += n;
			while (rseq < seq) {
				unsigned want = (unsigned)(seq - rseq);

				switch (round % 3) {
				case 0: rc = shmring_recv_burst(rx, got, want, in_1s()); break;
				case 1: rc = shmring_recv_bulk(rx, got, want, in_1s()); break;
				default: rc = shmring_recv(rx, got, in_1s()) == 0 ? 1 : -1; break;
				}
				assert_true(rc > 0);
				for (int i = 0; i < rc; i++)
					check(got + (size_t)i * slot, slot, rseq + (uint64_t)i);
				rseq += (uint64_t)rc;
			}
		}
		/* A bulk that finds too few takes none and leaves them. */
		for (unsigned i = 0; i < 3; i++)
			fill(b + i * slot, slot, seq + i);
		assert_int_equal(shmring_send_bulk(tx, b, 3, in_1s()), 3);
		seq += 3;
		{
			uint64_t end = test_now_ns() + 2000000000ull * TEST_SLOWDOWN;
			unsigned k = 0;

			while (k == 0 && test_now_ns() < end) {
				assert_int_equal(shmring_try_recv_bulk(rx, got, 5), 0);
				k = shmring_count(rx) == 3 ? 1 : 0;
				if (!k)
					test_sleep_ms(1);
			}
			assert_int_equal(shmring_count(rx), 3);
		}
		assert_int_equal(shmring_recv_bulk(rx, got, 3, in_1s()), 3);
		for (unsigned i = 0; i < 3; i++)
			check(got + i * slot, slot, rseq + i);
		rseq += 3;
		/* A bulk above the capacity never moves, and says -EINVAL, as on
		 * a ring (not -EAGAIN, to be retried for ever). */
		assert_int_equal(shmring_try_send_bulk(tx, b, 65), 0);
		assert_int_equal(shmring_last_error(tx, SHMRING_PRODUCER), -EINVAL);
		assert_int_equal(shmring_try_recv_bulk(rx, got, 65), 0);
		assert_int_equal(shmring_last_error(rx, SHMRING_CONSUMER), -EINVAL);
		/* Zero-copy is not there on a socket. */
		assert_null(shmring_reserve(tx));
		assert_int_equal(shmring_commit(tx), -EOPNOTSUPP);
		assert_null(shmring_peek(rx));
		assert_int_equal(shmring_release(rx), -EOPNOTSUPP);
		assert_int_equal(shmring_dup(rx, SHMRING_CONSUMER, &(shmring_t *){NULL}), -EOPNOTSUPP);
		/* Counters. */
		assert_int_equal(shmring_info(rx, &in), 0);
		assert_int_equal(in.consumed, rseq);
		assert_int_equal(in.sock_accepted, 1);
		assert_int_equal(in.sock_conns, 1);
		assert_int_equal(in.sock_errors, 0);
		assert_int_equal(shmring_info(tx, &in), 0);
		assert_int_equal(in.produced, seq);
		/* The producer goes: end-of-stream once drained. */
		fill(b, slot, seq);
		assert_int_equal(shmring_send(tx, b, in_1s()), 0);
		seq++;
		shmring_close(tx);
		recv_one(rx, got, slot, rseq++);
		assert_int_equal(shmring_recv(rx, got, in_1s()), -EPIPE);
		assert_int_equal(shmring_try_recv(rx, got), -EPIPE);
		assert_int_equal(shmring_info(rx, &in), 0);
		assert_true(in.producers_gone);
		/* A producer that comes later lets the consumer go on. */
		tx = connect_to(uri);
		fill(b, slot, seq);
		assert_int_equal(shmring_send(tx, b, in_1s()), 0);
		recv_one(rx, got, slot, seq++);
		/* Once it has gone, a bulk of more than is left takes what is
		 * left (it waited until its deadline), then end-of-stream. */
		for (unsigned i = 0; i < 3; i++)
			fill(b + i * slot, slot, seq + i);
		assert_int_equal(shmring_send_bulk(tx, b, 3, in_1s()), 3);
		shmring_close(tx);
		assert_int_equal(shmring_recv_bulk(rx, got, 5, in_1s()), 3);
		for (unsigned i = 0; i < 3; i++)
			check(got + i * slot, slot, seq + i);
		assert_int_equal(shmring_recv_bulk(rx, got, 5, in_1s()), -EPIPE);
		shmring_close(rx);
		shmring_unlink(uri);
	}
}

static void test_msg(void **state)
{
	(void)state;
	FOR_EACH_TRANSPORT(t)
	{
		const uint32_t max = 300;
		const char *uri = ts_uri(t, "msg");
		shmring_t *rx = listen_on(uri, SHMRING_KIND_MSG, max, 4096,
					  SHMRING_CREATE_MULTI_PRODUCER);
		shmring_t *tx = connect_to(uri);
		uint8_t b[8 * 301], got[8 * 301];
		struct shmring_msgvec v[8], w[8];
		uint32_t type = 0;
		ssize_t n;

		/* Every size, single sends and receives, the type kept. */
		for (uint32_t len = 0; len <= max; len++) {
			fill(b, len, len);
			if (len % 2)
				assert_int_equal(shmring_msg_try_send(tx, b, len, 1000 + len), 0);
			else
				assert_int_equal(shmring_msg_send(tx, b, len, 1000 + len, in_1s()), 0);
			n = shmring_msg_recv(rx, got, sizeof(got), &type, in_1s());
			assert_int_equal(n, (ssize_t)len);
			assert_int_equal(type, 1000 + len);
			check(got, len, len);
		}
		assert_int_equal(shmring_msg_try_send(tx, b, max + 1, 0), -EMSGSIZE);
		assert_int_equal(shmring_msg_send(tx, b, max + 1, 0, in_1s()), -EMSGSIZE);
		assert_int_equal(shmring_try_send(tx, b), -SHMRING_EKIND);
		/* A buffer too small: -EMSGSIZE, and the record stays first. */
		fill(b, 200, 7);
		assert_int_equal(shmring_msg_send(tx, b, 200, 7, in_1s()), 0);
		fill(b, 10, 8);
		assert_int_equal(shmring_msg_send(tx, b, 10, 8, in_1s()), 0);
		{
			uint64_t end = test_now_ns() + 2000000000ull * TEST_SLOWDOWN;

			while ((n = shmring_msg_try_recv(rx, got, 100, &type)) == -EAGAIN &&
			       test_now_ns() < end)
				test_sleep_ms(1);
		}
		assert_int_equal(n, -EMSGSIZE);
		assert_int_equal(shmring_msg_try_recv(rx, got, 100, &type), -EMSGSIZE);
		n = shmring_msg_recv(rx, got, sizeof(got), &type, in_1s());
		assert_int_equal(n, 200);
		assert_int_equal(type, 7);
		check(got, 200, 7);
		n = shmring_msg_recv(rx, got, sizeof(got), &type, in_1s());
		assert_int_equal(n, 10);
		check(got, 10, 8);
		/* Bursts and bulks. */
		for (unsigned round = 0; round < 40; round++) {
			unsigned k = 1 + round % 8, sent, rcvd = 0;

			for (unsigned i = 0; i < k; i++) {
				v[i] = (struct shmring_msgvec){.buf = b + i * 301,
							       .len = (round * 37 + i * 91) % (max + 1),
							       .type = round * 100 + i};
				fill(v[i].buf, (uint32_t)v[i].len, round * 100 + i);
			}
			sent = round % 2 ? shmring_msg_try_send_bulk(tx, v, k)
					 : shmring_msg_try_send_burst(tx, v, k);
			assert_int_equal(sent, k);
			while (rcvd < k) {
				unsigned got_n;
				uint64_t end = test_now_ns() + 2000000000ull * TEST_SLOWDOWN;

				do {
					for (unsigned i = 0; i < k - rcvd; i++)
						w[i] = (struct shmring_msgvec){.buf = got + i * 301,
									       .len = 301};
					got_n = round % 2 ? shmring_msg_try_recv_burst(rx, w, k - rcvd)
							  : shmring_msg_try_recv_bulk(rx, w, k - rcvd);
				} while (!got_n && test_now_ns() < end);
				assert_true(got_n > 0);
				for (unsigned i = 0; i < got_n; i++) {
					assert_int_equal(w[i].len, v[rcvd + i].len);
					assert_int_equal(w[i].type, v[rcvd + i].type);
					check(w[i].buf, (uint32_t)w[i].len, round * 100 + rcvd + i);
				}
				rcvd += got_n;
			}
		}
		/* A bulk of 3 with 2 there takes none and leaves the vector as
		 * given (lengths are capacities going in); then a bulk of 2
		 * takes both. */
		fill(b, 40, 41);
		assert_int_equal(shmring_msg_send(tx, b, 40, 41, in_1s()), 0);
		fill(b, 50, 42);
		assert_int_equal(shmring_msg_send(tx, b, 50, 42, in_1s()), 0);
		{
			uint64_t end = test_now_ns() + 100000000ull;
			unsigned got_n = 0;

			while (test_now_ns() < end) {
				for (unsigned i = 0; i < 3; i++)
					w[i] = (struct shmring_msgvec){.buf = got + i * 301, .len = 301,
								       .type = 12345};
				assert_int_equal(shmring_msg_try_recv_bulk(rx, w, 3), 0);
				for (unsigned i = 0; i < 3; i++) {
					assert_int_equal(w[i].len, 301);
					assert_int_equal(w[i].type, 12345);
				}
			}
			end = test_now_ns() + 2000000000ull * TEST_SLOWDOWN;
			while (!(got_n = shmring_msg_try_recv_bulk(rx, w, 2)) && test_now_ns() < end)
				test_sleep_ms(1);
			assert_int_equal(got_n, 2);
			assert_int_equal(w[0].len, 40);
			assert_int_equal(w[0].type, 41);
			check(w[0].buf, 40, 41);
			assert_int_equal(w[1].len, 50);
			check(w[1].buf, 50, 42);
		}
		assert_null(shmring_msg_reserve(tx, 1));
		assert_int_equal(shmring_msg_commit(tx, 0), -EOPNOTSUPP);
		assert_null(shmring_msg_peek(rx, &(size_t){0}, &type));
		assert_int_equal(shmring_msg_release(rx), -EOPNOTSUPP);
		shmring_close(tx);
		assert_int_equal(shmring_msg_recv(rx, got, sizeof(got), &type, in_1s()), -EPIPE);
		shmring_close(rx);
		shmring_unlink(uri);
	}
}

static void test_epipe_timeout(void **state)
{
	(void)state;
	FOR_EACH_TRANSPORT(t)
	{
		const char *uri = ts_uri(t, "epipe");
		shmring_t *rx = listen_on(uri, SHMRING_KIND_SPSC, 16, 16, 0);
		shmring_t *tx = connect_to(uri);
		uint8_t b[16] = {1};
		uint64_t t0 = test_now_ns(), end;
		int rc;

		/* A timed receive times out. */
		assert_int_equal(shmring_recv(rx, b, shmring_deadline_in(50000000)), -ETIMEDOUT);
		assert_true(test_now_ns() - t0 >= 50000000);
		assert_int_equal(shmring_recv_burst(rx, b, 1, shmring_deadline_in(1000000)),
				 -ETIMEDOUT);
		/* Past deadlines still take what is there. */
		assert_int_equal(shmring_send(tx, b, 0), 0);
		end = test_now_ns() + 2000000000ull * TEST_SLOWDOWN;
		while ((rc = shmring_recv(rx, b, 0)) == -ETIMEDOUT && test_now_ns() < end)
			;
		assert_int_equal(rc, 0);
		/* The listener goes, having read everything (its close is a
		 * FIN, not a reset, and the kernel would take a write): the
		 * first send after a quiet spell sees the close and ends with
		 * -EPIPE, the message not taken into a dead connection (and no
		 * SIGPIPE kills us). */
		shmring_close(rx);
		test_sleep_ms(20 * TEST_SLOWDOWN);
		assert_int_equal(shmring_try_send(tx, b), -EPIPE);
		assert_int_equal(shmring_send(tx, b, in_1s()), -EPIPE);
		assert_int_equal(shmring_try_send_burst(tx, b, 1), 0);
		{
			struct shmring_info in;

			assert_int_equal(shmring_info(tx, &in), 0);
			assert_true(in.consumers_gone);
		}
		shmring_close(tx);
		/* A full socket: a timed send times out. */
		rx = listen_on(uri, SHMRING_KIND_SPSC, 16, 16, SHMRING_CREATE_REPLACE);
		tx = connect_to(uri);
		/* TCP moves what is queued on to the reader's buffer for a
		 * while: full means full three times 10 ms apart. */
		for (int fulls = 0; fulls < 3;) {
			rc = shmring_try_send(tx, b);
			if (rc == -EAGAIN) {
				fulls++;
				test_sleep_ms(10);
			} else {
				assert_int_equal(rc, 0);
				fulls = 0;
			}
		}
		/* TCP may still collapse the reader's queue and make room now
		 * and then: a timed send either gets in or times out, in time. */
		end = test_now_ns() + 5000000000ull * TEST_SLOWDOWN;
		do {
			t0 = test_now_ns();
			rc = shmring_send(tx, b, shmring_deadline_in(30000000));
		} while (rc == 0 && test_now_ns() < end);
		assert_int_equal(rc, -ETIMEDOUT);
		assert_true(test_now_ns() - t0 >= 30000000);
		shmring_close(tx);
		shmring_close(rx);
		shmring_unlink(uri);
	}
}

static void test_handshake(void **state)
{
	(void)state;
	FOR_EACH_TRANSPORT(t)
	{
		const char *uri = ts_uri(t, "hello");
		shmring_t *rx = listen_on(uri, SHMRING_KIND_SPSC, 32, 128, 0);
		shmring_t *tx = NULL, *tx2 = NULL;
		struct shmring_open_opts o = {.kind = SHMRING_KIND_MPSC};
		struct shmring_info in;
		uint64_t end;

		assert_int_equal(shmring_open_ex(uri, SHMRING_PRODUCER, &o, &tx), -SHMRING_EKIND);
		assert_null(tx);
		o = (struct shmring_open_opts){.kind = SHMRING_KIND_SPSC, .slot_size = 64};
		assert_int_equal(shmring_open_ex(uri, SHMRING_PRODUCER, &o, &tx), -SHMRING_EMISMATCH);
		o = (struct shmring_open_opts){.capacity = 256};
		assert_int_equal(shmring_open_ex(uri, SHMRING_PRODUCER, &o, &tx), -SHMRING_EMISMATCH);
		o = (struct shmring_open_opts){.kind = SHMRING_KIND_SPSC, .slot_size = 32,
					       .capacity = 128};
		assert_int_equal(shmring_open_ex(uri, SHMRING_PRODUCER, &o, &tx), 0);
		/* SPSC: one producer at a time. */
		assert_int_equal(shmring_open(uri, SHMRING_PRODUCER, &tx2), -EBUSY);
		shmring_close(tx);
		end = test_now_ns() + 2000000000ull * TEST_SLOWDOWN;
		while (shmring_open(uri, SHMRING_PRODUCER, &tx2) == -EBUSY && test_now_ns() < end)
			test_sleep_ms(1);
		assert_non_null(tx2);
		shmring_close(tx2);
		/* Roles a socket does not take. */
		assert_int_equal(shmring_open(uri, SHMRING_CONSUMER, &tx), -EOPNOTSUPP);
		assert_int_equal(shmring_open(uri, SHMRING_PRODUCER | SHMRING_CONSUMER, &tx),
				 -EOPNOTSUPP);
		{
			/* A raw peer asking for the consumer role is refused. */
			struct shmring_sock_hello h = {.version = SHMRING_SOCK_VERSION,
						       .type = SHMRING_SOCK_HELLO,
						       .role = SHMRING_CONSUMER};
			uint8_t b[SHMRING_SOCK_HELLO_LEN];
			int fd = ts_raw_connect(uri);

			assert_true(fd >= 0);
			shmring__sock_hello_encode(&h, b);
			assert_int_equal(send(fd, b, sizeof(b), MSG_NOSIGNAL), (ssize_t)sizeof(b));
			assert_true(ts_raw_closed(fd, 2000 * TEST_SLOWDOWN));
			close(fd);
		}
		assert_int_equal(shmring_info(rx, &in), 0);
		assert_int_equal(in.sock_refused, 5);
		assert_int_equal(in.sock_accepted, 2);
		/* Nobody there. */
		shmring_close(rx);
		assert_int_equal(shmring_open(uri, SHMRING_PRODUCER, &tx),
				 t == TS_UNIX ? -ECONNREFUSED : -ECONNREFUSED);
		shmring_unlink(uri);
		if (t == TS_UNIX)
			assert_int_equal(shmring_open(uri, SHMRING_PRODUCER, &tx), -ENOENT);
	}
	{
		/* Options of a segment, roles of a listener. */
		struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 8};
		const char *uri = ts_uri(TS_ABSTRACT, "opts");
		shmring_t *r = NULL;

		assert_int_equal(shmring_create(uri, &o, SHMRING_PRODUCER, &r), -EOPNOTSUPP);
		o.flags = SHMRING_CREATE_HUGE;
		assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r), -EOPNOTSUPP);
		o.flags = 0;
		o.slot_size = 0;
		assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r), -EINVAL);
		o.slot_size = 8;
		assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r), 0);
		{
			shmring_t *r2 = NULL;

			assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r2), -EEXIST);
		}
		assert_int_equal(shmring_set_recovery(r, 1000000), -EOPNOTSUPP);
		assert_int_equal(shmring_flush(r), -EOPNOTSUPP);
		assert_int_equal(shmring_participants(r, NULL, 0), -EOPNOTSUPP);
		assert_int_equal(shmring_fd_send(r, 0), -EOPNOTSUPP);
		assert_int_equal(shmring_set_flush(r, SHMRING_FLUSH_NONE, 0), -EOPNOTSUPP);
		assert_int_equal(shmring_doorbell_register(r, SIGRTMIN, 1), -EPERM);
		assert_int_equal(shmring_count(r), 0);
		assert_int_equal(shmring_unlink(uri), -EINVAL);
		shmring_close(r);
	}
}

/* A producer killed (SIGKILL) is a producer gone: the kernel closes its
 * socket, the consumer gets what it sent and then end-of-stream. */
static void test_killed_producer(void **state)
{
	(void)state;
	FOR_EACH_TRANSPORT(t)
	{
		const char *uri = ts_uri(t, "kill");
		shmring_t *rx = listen_on(uri, SHMRING_KIND_MSG, 64, 1024, 0);
		uint8_t b[64];
		uint32_t type;
		pid_t pid;
		int status;

		pid = fork();
		if (pid == 0) {
			shmring_t *tx;

			if (shmring_open(uri, SHMRING_PRODUCER, &tx) < 0)
				_exit(1);
			for (uint32_t i = 0; i < 10; i++)
				if (shmring_msg_send(tx, &i, sizeof(i), i, in_1s()) < 0)
					_exit(2);
			raise(SIGKILL);
			_exit(3);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		for (uint32_t i = 0; i < 10; i++) {
			uint32_t v;

			assert_int_equal(shmring_msg_recv(rx, b, sizeof(b), &type, in_1s()), 4);
			memcpy(&v, b, 4);
			assert_int_equal(v, i);
			assert_int_equal(type, i);
		}
		assert_int_equal(shmring_msg_recv(rx, b, sizeof(b), &type, in_1s()), -EPIPE);
		shmring_close(rx);
		shmring_unlink(uri);
	}
}

/* --- Bad peers ----------------------------------------------------------------- */

struct bad_ctx {
	const char *uri;
	int transport;
	uint32_t slot;
	uint64_t count;
	_Atomic int done;
	_Atomic int failed;
	char why[128];
};

static void bad_fail(struct bad_ctx *c, const char *why)
{
	if (atomic_exchange(&c->failed, 1) == 0)
		snprintf(c->why, sizeof(c->why), "%s", why);
}

static void *good_producer(void *arg)
{
	struct bad_ctx *c = arg;
	shmring_t *tx = NULL;
	uint8_t b[64];

	if (shmring_open(c->uri, SHMRING_PRODUCER, &tx) < 0) {
		bad_fail(c, "good producer: open");
		return NULL;
	}
	for (uint64_t i = 0; i < c->count; i++) {
		fill(b, c->slot, i);
		if (shmring_send(tx, b, shmring_deadline_in(10000000000ull)) != 0) {
			bad_fail(c, "good producer: send");
			break;
		}
		if (i % 64 == 0)
			test_sleep_ms(1); /* spread over the bad peers' time */
	}
	shmring_close(tx);
	return NULL;
}

/* One bad peer after another, each waited for until the listener closes it. */
static void *bad_peers(void *arg)
{
	struct bad_ctx *c = arg;
	bool tcp = c->transport == TS_TCP;
	uint8_t junk[512];
	int fd;

	memset(junk, 0xa5, sizeof(junk));
	/* A wrong handshake. */
	fd = ts_raw_connect(c->uri);
	if (fd < 0 || send(fd, junk, SHMRING_SOCK_HELLO_LEN, MSG_NOSIGNAL) < 0 ||
	    !ts_raw_closed(fd, 5000))
		bad_fail(c, "wrong handshake not closed");
	close(fd);
	/* A handshake cut short, then gone. */
	fd = ts_raw_connect(c->uri);
	if (fd < 0 || send(fd, junk, 7, MSG_NOSIGNAL) < 0)
		bad_fail(c, "short handshake");
	close(fd);
	/* A frame longer than the maximum. */
	fd = ts_raw_connect(c->uri);
	if (fd < 0 || ts_raw_hello(fd) != 0) {
		bad_fail(c, "oversized: handshake");
	} else {
		uint8_t f[SHMRING_SOCK_FRAME_HDR + 128];

		shmring__sock_frame_header(f, c->slot + 1, 0);
		memset(f + SHMRING_SOCK_FRAME_HDR, 1, 128);
		if (tcp)
			send(fd, f, SHMRING_SOCK_FRAME_HDR + c->slot + 1, MSG_NOSIGNAL);
		else
			send(fd, f, c->slot + 1, MSG_NOSIGNAL);
		if (!ts_raw_closed(fd, 5000))
			bad_fail(c, "oversized frame: not closed");
	}
	close(fd);
	/* A frame cut short, then gone. */
	fd = ts_raw_connect(c->uri);
	if (fd < 0 || ts_raw_hello(fd) != 0) {
		bad_fail(c, "truncated: handshake");
	} else {
		uint8_t f[SHMRING_SOCK_FRAME_HDR + 4];

		shmring__sock_frame_header(f, c->slot, 0);
		memset(f + SHMRING_SOCK_FRAME_HDR, 2, 4);
		send(fd, f, sizeof(f), MSG_NOSIGNAL);
	}
	close(fd);
	/* Garbage after a good handshake. */
	fd = ts_raw_connect(c->uri);
	if (fd < 0 || ts_raw_hello(fd) != 0) {
		bad_fail(c, "garbage: handshake");
	} else {
		send(fd, junk, tcp ? sizeof(junk) : 3, MSG_NOSIGNAL);
		if (!ts_raw_closed(fd, 5000))
			bad_fail(c, "garbage: not closed");
	}
	close(fd);
	/* An empty packet (unix) or a zero-length frame of a fixed kind. */
	fd = ts_raw_connect(c->uri);
	if (fd < 0 || ts_raw_hello(fd) != 0) {
		bad_fail(c, "empty: handshake");
	} else {
		uint8_t f[SHMRING_SOCK_FRAME_HDR];

		shmring__sock_frame_header(f, 0, 0);
		send(fd, f, tcp ? sizeof(f) : 0, MSG_NOSIGNAL);
		if (!ts_raw_closed(fd, 5000))
			bad_fail(c, "empty: not closed");
	}
	close(fd);
	atomic_store(&c->done, 1);
	return NULL;
}

static void test_bad_peers(void **state)
{
	(void)state;
	FOR_EACH_TRANSPORT(t)
	{
		struct bad_ctx c = {.uri = ts_uri(t, "bad"), .transport = t, .slot = 40,
				    .count = 2000};
		shmring_t *rx = listen_on(c.uri, SHMRING_KIND_MPSC, c.slot, 64, 0);
		pthread_t good, bad;
		uint64_t next = 0, end = test_now_ns() + 30000000000ull * TEST_SLOWDOWN;
		struct shmring_info in = {0};
		uint8_t b[64];

		pthread_create(&good, NULL, good_producer, &c);
		pthread_create(&bad, NULL, bad_peers, &c);
		/* Serve everyone until the good producer's messages are all in
		 * and the bad peers have been dealt with. */
		while (test_now_ns() < end) {
			int rc = shmring_recv(rx, b, shmring_deadline_in(10000000));

			if (rc == 0) {
				check(b, c.slot, next);
				next++;
			}
			shmring_info(rx, &in);
			if (next == c.count && atomic_load(&c.done) && in.sock_errors >= 4 &&
			    in.sock_refused >= 2)
				break;
		}
		pthread_join(good, NULL);
		pthread_join(bad, NULL);
		if (atomic_load(&c.failed))
			fail_msg("%s: %s", ts_name(t), c.why);
		assert_int_equal(next, c.count);
		assert_int_equal(in.sock_refused, 2);
		assert_int_equal(in.sock_errors, 4);
		assert_int_equal(in.sock_accepted, 5);
		assert_int_equal(shmring_recv(rx, b, in_1s()), -EPIPE);
		shmring_close(rx);
		shmring_unlink(c.uri);
	}
}

/* A producer that sends one frame a byte every 50 ms, until told to stop. */
struct trickle_ctx {
	int fd;
	uint32_t slot;
	atomic_int stop;
};

static void *trickler(void *arg)
{
	struct trickle_ctx *c = arg;
	uint8_t f[SHMRING_SOCK_FRAME_HDR + 256] = {0};

	shmring__sock_frame_header(f, c->slot, 0);
	for (size_t i = 0; i < SHMRING_SOCK_FRAME_HDR + c->slot && !atomic_load(&c->stop); i++) {
		if (send(c->fd, f + i, 1, MSG_NOSIGNAL) != 1)
			break;
		test_sleep_ms(50);
	}
	return NULL;
}

static void test_trickle(void **state)
{
	const char *uri = ts_uri(TS_TCP, "trickle");
	struct trickle_ctx c = {.slot = 256};
	shmring_t *rx = listen_on(uri, SHMRING_KIND_SPSC, c.slot, 16, 0);
	uint8_t b[256];
	pthread_t th;
	uint64_t t0;
	int rc;

	(void)state;
	c.fd = ts_raw_connect(uri);
	assert_true(c.fd >= 0);
	assert_int_equal(ts_raw_hello(c.fd), 0);
	pthread_create(&th, NULL, trickler, &c);
	/* Each byte ends one sleep in the receive; the deadline ends them all
	 * (the whole frame takes over 13 s). */
	t0 = test_now_ns();
	rc = shmring_recv(rx, b, shmring_deadline_in(200000000));
	assert_int_equal(rc, -ETIMEDOUT);
	assert_true(test_now_ns() - t0 < 200000000 + 1000000000ull * TEST_SLOWDOWN);
	atomic_store(&c.stop, 1);
	pthread_join(th, NULL);
	close(c.fd);
	shmring_close(rx);
}

/* Signals the main thread with SIGUSR1 every 10 ms until stop (or a time
 * limit, so that a receive that never ends makes the test fail, not hang). */
struct pester_ctx {
	pthread_t target;
	atomic_int stop;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void *pester(void *arg)
{
	struct pester_ctx *c = arg;
	uint64_t end = test_now_ns() + 3000000000ull * TEST_SLOWDOWN;

	while (!atomic_load(&c->stop) && test_now_ns() < end) {
		pthread_kill(c->target, SIGUSR1);
		test_sleep_ms(10);
	}
	return NULL;
}

/*
 * A timed receive that sleeps in the receive itself (one producer,
 * SO_RCVTIMEO) while the process takes a signal every 10 ms, handled with
 * SA_RESTART (a socket receive with a timeout fails with EINTR all the
 * same): it still ends at its deadline, never interrupted.
 */
static void test_signals(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART}, old;

	(void)state;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	FOR_EACH_TRANSPORT(t)
	{
		for (int msg = 0; msg < 2; msg++) {
			const char *uri = ts_uri(t, "signals");
			shmring_t *rx = listen_on(uri, msg ? SHMRING_KIND_MSG : SHMRING_KIND_SPSC,
						  16, msg ? 4096 : 16, 0);
			shmring_t *tx = connect_to(uri);
			struct pester_ctx c = {.target = pthread_self()};
			uint8_t b[16];
			pthread_t th;
			uint64_t t0;
			int rc;

			assert_int_equal(pthread_create(&th, NULL, pester, &c), 0);
			t0 = test_now_ns();
			rc = msg ? (int)shmring_msg_recv(rx, b, sizeof(b), NULL,
							 shmring_deadline_in(300000000))
				 : shmring_recv(rx, b, shmring_deadline_in(300000000));
			t0 = test_now_ns() - t0;
			atomic_store(&c.stop, 1);
			pthread_join(th, NULL);
			assert_int_equal(rc, -ETIMEDOUT);
			if (t0 >= 300000000 + 1000000000ull * TEST_SLOWDOWN)
				fail_msg("%s: a 300 ms receive took %" PRIu64 " ms", uri,
					 t0 / 1000000);
			shmring_close(tx);
			shmring_close(rx);
			shmring_unlink(uri);
		}
	}
	sigaction(SIGUSR1, &old, NULL);
}

static double cpu_s(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
	       (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* Lower the descriptor limit so that n more descriptors can be opened, and
 * not one more; the limit before in *old, for setrlimit() to restore. */
static void fds_left(int n, struct rlimit *old)
{
	struct rlimit low;
	int next = open("/dev/null", O_RDONLY | O_CLOEXEC); /* the lowest free number */

	assert_true(next >= 0);
	close(next);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, old), 0);
	low = (struct rlimit){.rlim_cur = (rlim_t)(next + n), .rlim_max = old->rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
}

static void test_out_of_fds(void **state)
{
	const char *uri = ts_uri(TS_ABSTRACT, "nofd");
	shmring_t *rx = listen_on(uri, SHMRING_KIND_MPSC, 16, 16, 0);
	struct rlimit old;
	double cpu;
	int fd;

	(void)state;
	/* Room for the raw client's socket and not one more: the acceptor's
	 * accept fails with EMFILE, the connection waits in the backlog. */
	fds_left(1, &old);
	fd = ts_raw_connect(uri);
	assert_true(fd >= 0);
	test_sleep_ms(100);
	cpu = cpu_s();
	test_sleep_ms(1000);
	cpu = cpu_s() - cpu;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	if (cpu > 0.3)
		fail_msg("acceptor spun out of descriptors: %.2f s of CPU in 1 s", cpu);
	/* Descriptors again: the waiting connection is taken. */
	assert_int_equal(ts_raw_hello(fd), 0);
	close(fd);
	shmring_close(rx);
}

/*
 * A single producer's channel whose acceptor cannot duplicate the producer's
 * socket (no descriptor left): the duplicate is what keeps a second producer
 * out, and without it the connection was taken all the same, and a second
 * producer let in too. It is refused (-EUSERS); with descriptors back, a
 * producer is taken and a second one is -EBUSY.
 */
static void test_sole_dup_out_of_fds(void **state)
{
	const char *uri = ts_uri(TS_ABSTRACT, "nodup");
	shmring_t *rx = listen_on(uri, SHMRING_KIND_SPSC, 8, 16, 0), *tx, *tx2 = NULL;
	struct rlimit old;
	uint64_t v = 7;
	int fd, rc;

	(void)state;
	/* Room for the raw client's socket and the accepted one, not for the
	 * duplicate. */
	fds_left(2, &old);
	fd = ts_raw_connect(uri);
	assert_true(fd >= 0);
	rc = ts_raw_hello(fd);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	print_message("a sole producer the acceptor cannot hold: %d (%s)\n", rc, strerror(-rc));
	assert_int_equal(rc, -EUSERS);
	close(fd);
	/* Descriptors again: one producer, and only one. */
	tx = connect_to(uri);
	assert_int_equal(shmring_open(uri, SHMRING_PRODUCER, &tx2), -EBUSY);
	assert_null(tx2);
	assert_int_equal(shmring_send(tx, &v, shmring_deadline_in(1000000000)), 0);
	v = 0;
	assert_int_equal(shmring_recv(rx, &v, shmring_deadline_in(1000000000)), 0);
	assert_int_equal(v, 7);
	shmring_close(tx);
	shmring_close(rx);
}

/*
 * A flood of peers that connect and never speak: with every pending slot of
 * the acceptor taken, a producer waited in the backlog behind them until its
 * open timed out (-ETIMEDOUT after 5 s). The oldest silent one now makes
 * room once it has waited half a second.
 */
static void test_silent_flood(void **state)
{
	enum { SILENT = 100 };
	const char *uri = ts_uri(TS_ABSTRACT, "flood");
	shmring_t *rx = listen_on(uri, SHMRING_KIND_MPSC, 16, 16, 0), *tx = NULL;
	int fds[SILENT];
	struct shmring_info in;
	uint8_t b[16] = {7};
	uint64_t t0;
	double ms;
	int rc;

	(void)state;
	for (int i = 0; i < SILENT; i++) {
		fds[i] = ts_raw_connect(uri);
		assert_true(fds[i] >= 0);
	}
	t0 = test_now_ns();
	rc = shmring_open(uri, SHMRING_PRODUCER, &tx);
	ms = (double)(test_now_ns() - t0) / 1e6;
	print_message("open behind %d silent peers: %d after %.0f ms\n", SILENT, rc, ms);
	assert_int_equal(rc, 0);
	/* Not scaled by TEST_SLOWDOWN: the silent peers' 5 s handshake period
	 * is what let it in before, and a timer, not the CPU, lets it in now. */
	assert_true(ms < 4000.0);
	assert_int_equal(shmring_send(tx, b, in_1s()), 0);
	assert_int_equal(shmring_recv(rx, b, in_1s()), 0);
	assert_int_equal(b[0], 7);
	assert_int_equal(shmring_info(rx, &in), 0);
	assert_int_equal(in.sock_accepted, 1);
	assert_true(in.sock_refused > 0);
	for (int i = 0; i < SILENT; i++)
		close(fds[i]);
	shmring_close(tx);
	shmring_close(rx);
}

/* A tcp producer opening a loopback port nobody listens on, again and again,
 * as a bridge does while its listener restarts: now and then the kernel
 * gives the connect that very port as its source, and the socket reaches
 * itself. That is a refusal like the others, not our own hello read back as
 * the listener's answer (-EPROTO), and the socket must not stay to hold the
 * port the listener will bind. The kernel's sources for one destination run
 * through the even ports of its range; an even port is taken, and enough
 * opens to pass them all twice. */
static void test_tcp_self_connect(void **state)
{
	unsigned lo = 32768, hi = 60999, port = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	char uri[64];
	long opens, refused = 0;
	int rc = -ECONNREFUSED;

	(void)state;
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	srand((unsigned)getpid());
	for (int i = 0; i < 100 && !port; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		unsigned p = (lo + (unsigned)rand() % (hi - lo + 1)) & ~1u;
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		assert_true(fd >= 0);
		a.sin_port = htons((uint16_t)p);
		if (p >= lo && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			port = p;
		close(fd);
	}
	assert_true(port != 0);
	snprintf(uri, sizeof(uri), "tcp:127.0.0.1:%u", port);
	opens = (long)(hi - lo + 2); /* twice the even ports */
	for (long i = 0; i < opens && rc == -ECONNREFUSED; i++) {
		shmring_t *tx = NULL;

		rc = shmring_open(uri, SHMRING_PRODUCER, &tx);
		refused += rc == -ECONNREFUSED;
		if (rc == 0)
			shmring_close(tx);
	}
	print_message("%s: %ld opens refused of %ld\n", uri, refused, opens);
	assert_int_equal(rc, -ECONNREFUSED);
}

/* --- Fallback, names ------------------------------------------------------------ */

static void test_fallback(void **state)
{
	const char *ring = test_ring_name("auto");
	const char *uri = ts_uri(TS_UNIX, "auto");
	char autouri[512];
	shmring_t *rx, *tx = NULL, *ring_rx;
	struct shmring_info in;
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 16, .capacity = 16};
	struct shmring_open_opts oo = {.fallback = uri};
	uint8_t b[16] = {9};

	(void)state;
	snprintf(autouri, sizeof(autouri), "auto:%s?fallback=%s", ring, uri);
	rx = listen_on(uri, SHMRING_KIND_MPSC, 16, 16, 0);
	/* No ring: the socket. */
	assert_int_equal(shmring_open(autouri, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_info(tx, &in), 0);
	assert_int_equal(in.transport, SHMRING_TRANSPORT_UNIX);
	assert_int_equal(shmring_send(tx, b, in_1s()), 0);
	assert_int_equal(shmring_recv(rx, b, in_1s()), 0);
	shmring_close(tx);
	assert_int_equal(shmring_open_ex(ring, SHMRING_PRODUCER, &oo, &tx), 0);
	assert_int_equal(shmring_info(tx, &in), 0);
	assert_int_equal(in.transport, SHMRING_TRANSPORT_UNIX);
	shmring_close(tx);
	/* The ring exists: the ring. */
	assert_int_equal(shmring_create(ring, &o, SHMRING_CONSUMER, &ring_rx), 0);
	assert_int_equal(shmring_open(autouri, SHMRING_PRODUCER, &tx), 0);
	assert_int_equal(shmring_info(tx, &in), 0);
	assert_int_equal(in.transport, SHMRING_TRANSPORT_SHM);
	assert_int_equal(shmring_send(tx, b, in_1s()), 0);
	assert_int_equal(shmring_recv(ring_rx, b, in_1s()), 0);
	shmring_close(tx);
	assert_int_equal(shmring_open_ex(ring, SHMRING_PRODUCER, &oo, &tx), 0);
	assert_int_equal(shmring_info(tx, &in), 0);
	assert_int_equal(in.transport, SHMRING_TRANSPORT_SHM);
	shmring_close(tx);
	/* The ring there but not what was asked: its error, no fallback. */
	oo.kind = SHMRING_KIND_SPSC;
	assert_int_equal(shmring_open_ex(ring, SHMRING_PRODUCER, &oo, &tx), -SHMRING_EKIND);
	shmring_close(ring_rx);
	shmring_unlink(ring);
	/* Malformed. */
	assert_int_equal(shmring_open("auto:/x", SHMRING_PRODUCER, &tx), -EINVAL);
	assert_int_equal(shmring_open("auto:/x?fallback=/y", SHMRING_PRODUCER, &tx), -EINVAL);
	oo = (struct shmring_open_opts){.fallback = "/notasocket"};
	assert_int_equal(shmring_open_ex(ring, SHMRING_PRODUCER, &oo, &tx), -EINVAL);
	assert_int_equal(shmring_create(autouri, &o, SHMRING_CONSUMER, &tx), -EINVAL);
	/* Nor unlinked: a known scheme (not -EPROTONOSUPPORT), open only. */
	assert_int_equal(shmring_unlink(autouri), -EINVAL);
	shmring_close(rx);
	assert_int_equal(shmring_unlink(uri), 0);
	assert_int_equal(shmring_unlink(uri), -ENOENT);
}

static void test_names(void **state)
{
	static const char *bad[] = {
		"unix:", "unix:relative", "unix:/a/../b", "unix:@", "unix:@a b",
		"unix:/0123456789012345678901234567890123456789012345678901234567890123456789"
		"01234567890123456789012345678901234567890",
		"tcp:", "tcp:host", "tcp:host:", "tcp::80", "tcp:host:0", "tcp:host:65536",
		"tcp:host:8x", "tcp:host:0x50", "tcp:host:0x0x50", "tcp:a:b:80", "tcp:[::1:80",
		"tcp:[]:80", "tcp:ho st:80",
	};
	static const char *good[] = {"unix:/tmp/x.sock", "unix:@name/x", "tcp:localhost:1",
				     "tcp:127.0.0.1:65535", "tcp:[::1]:80", "tcp:0.0.0.0:9"};
	struct shmring_sock_uri u;
	char path[64];
	int fd;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		shmring_t *r = NULL;

		if (shmring__sock_uri_parse(bad[i], &u) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(shmring_open(bad[i], SHMRING_PRODUCER, &r), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (shmring__sock_uri_parse(good[i], &u) != 0)
			fail_msg("refused %s", good[i]);
	assert_int_equal(shmring__sock_uri_parse("tcp:[::1]:80", &u), 0);
	assert_string_equal(u.name, "::1");
	assert_int_equal(u.port, 80);
	/* unlink removes sockets only. */
	snprintf(path, sizeof(path), "unix:/tmp/shmt-%d-notsock", (int)getpid());
	fd = open(path + 5, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(shmring_unlink(path), -ENOTSOCK);
	unlink(path + 5);
	assert_int_equal(shmring_unlink("tcp:127.0.0.1:9"), -EINVAL);
	/* A host name that does not resolve is -ENXIO, not -ENOENT ("nobody
	 * listening", "no such ring"); .invalid never resolves. -EAGAIN: the
	 * resolver could not answer here. */
	{
		shmring_t *r = NULL;
		int rc = shmring_open("tcp:nohost.invalid:9", SHMRING_PRODUCER, &r);

		if (rc == -EAGAIN)
			print_message("no resolver answered: the -ENXIO check is skipped\n");
		else
			assert_int_equal(rc, -ENXIO);
	}
}

/* A unix: listener killed -9 leaves its socket file: the next create takes
 * the name without REPLACE. A live listener's name is refused (and the look
 * leaves it serving), REPLACE takes it, and a file that is no socket is
 * never touched. */
/* A socket of another type listening at a unix: path is no channel:
 * -EPROTO, not the connect's EPROTOTYPE, which is SHMRING_EKIND's number
 * ("ring of another kind"). */
static void test_other_socket_type(void **state)
{
	const char *uri = ts_uri(TS_UNIX, "othertype");
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM};

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, types[i], 0);
		shmring_t *r = NULL;

		assert_true(fd >= 0 && strlen(uri + 5) < sizeof(sa.sun_path));
		strcpy(sa.sun_path, uri + 5);
		unlink(sa.sun_path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		if (types[i] == SOCK_STREAM)
			assert_int_equal(listen(fd, 4), 0);
		assert_int_equal(shmring_open(uri, SHMRING_PRODUCER, &r), -EPROTO);
		assert_null(r);
		close(fd);
		unlink(sa.sun_path);
	}
}

static void test_stale_socket(void **state)
{
	const char *uri = ts_uri(TS_UNIX, "stale");
	uint8_t b[16], got[16];
	shmring_t *rx, *rx2, *tx, *r = NULL;
	struct stat st;
	int ready[2];
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 16,
					 .capacity = 16};

		if (shmring_create(uri, &o, SHMRING_CONSUMER, &r) != 0)
			_exit(1);
		(void)!write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(lstat(uri + 5, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	rx = listen_on(uri, SHMRING_KIND_SPSC, 16, 16, 0);
	{
		struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 16,
					 .capacity = 16};

		assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r), -EEXIST);
	}
	tx = connect_to(uri);
	fill(b, 16, 1);
	assert_int_equal(shmring_send(tx, b, in_1s()), 0);
	recv_one(rx, got, 16, 1);
	shmring_close(tx);

	rx2 = listen_on(uri, SHMRING_KIND_SPSC, 16, 16, SHMRING_CREATE_REPLACE);
	tx = connect_to(uri);
	fill(b, 16, 2);
	assert_int_equal(shmring_send(tx, b, in_1s()), 0);
	recv_one(rx2, got, 16, 2);
	/* The old listener got nothing more: its one producer closed. */
	assert_int_equal(shmring_try_recv(rx, got), -EPIPE);
	shmring_close(tx);
	shmring_close(rx2);
	shmring_close(rx);

	/* A directory locked for good by someone else: the create waits for
	 * its turn a while, then goes on without it. */
	{
		char dir[160];
		int dfd;

		snprintf(dir, sizeof(dir), "%s", uri + 5);
		*strrchr(dir, '/') = '\0';
		dfd = open(dir, O_RDONLY | O_DIRECTORY);
		assert_true(dfd >= 0);
		assert_int_equal(flock(dfd, LOCK_EX), 0);
		rx = listen_on(uri, SHMRING_KIND_SPSC, 16, 16, 0); /* rx's file, stale */
		tx = connect_to(uri);
		fill(b, 16, 3);
		assert_int_equal(shmring_send(tx, b, in_1s()), 0);
		recv_one(rx, got, 16, 3);
		shmring_close(tx);
		shmring_close(rx);
		close(dfd);
	}

	/* Not a socket: left alone, with REPLACE too. */
	{
		struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 16,
					 .capacity = 16, .flags = SHMRING_CREATE_REPLACE};
		int fd;

		unlink(uri + 5);
		fd = open(uri + 5, O_CREAT | O_WRONLY, 0600);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r), -EEXIST);
		o.flags = 0;
		assert_int_equal(shmring_create(uri, &o, SHMRING_CONSUMER, &r), -EEXIST);
		assert_int_equal(lstat(uri + 5, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		unlink(uri + 5);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),         cmocka_unit_test(test_msg),
		cmocka_unit_test(test_epipe_timeout), cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_killed_producer),
		cmocka_unit_test(test_bad_peers),     cmocka_unit_test(test_trickle),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_out_of_fds),    cmocka_unit_test(test_sole_dup_out_of_fds),
		cmocka_unit_test(test_silent_flood),
		cmocka_unit_test(test_tcp_self_connect), cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_names),         cmocka_unit_test(test_stale_socket),
		cmocka_unit_test(test_other_socket_type),
	};

	signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would end the test: none must come */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
