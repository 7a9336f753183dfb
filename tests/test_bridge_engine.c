/* SPDX-License-Identifier: MIT */
/*
 * test_bridge_engine: the engine of `shmring bridge` (src/cli/bridge.c) in
 * threads, between message rings, with every record length 0..max and its
 * type carried through:
 *   - msg ring -> bridge -> tcp: channel -> bridge -> msg ring;
 *   - msg ring -> bridge -> ZeroMQ PUSH/PULL -> bridge -> msg ring (when
 *     built with ZeroMQ), and a fixed-slot ring into a message ring;
 *   - back-pressure: with nobody reading the last ring, the first one fills
 *     and stays full (nothing is buffered without bound), and everything
 *     arrives once a reader comes;
 *   - the counts: forwarded, nothing lost or duplicated, one sender;
 *   - a connecting ZeroMQ endpoint whose handshake failed (ZeroMQ gives it
 *     up) connects again: a listener that comes after reaches it;
 *   - a ZeroMQ frame longer than any ring takes closes its sender's
 *     connection; a shorter one that does not fit is counted lost;
 *   - a socket channel's listener back with shorter records: the bridge
 *     goes on, dropping what no longer fits.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "src/cli/bridge.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#ifdef SHMRING_HAVE_ZMQ
#include <zmq.h>
#endif

#define MAXLEN 200u

struct runner {
	struct shmring_bridge *b;
	pthread_t t;
	int rc;
};

static atomic_int stop;

static void *run(void *arg)
{
	struct runner *r = arg;

	r->rc = shmring_bridge_run(r->b);
	return NULL;
}

/* The tests' options; start_with() runs a bridge with them. */
static struct shmring_bridge_opts opts(const char *from, const char *to)
{
	return (struct shmring_bridge_opts){.from = from, .to = to, .drain_ns = 200000000,
					    .connect_ns = 5000000000u, .stop = &stop};
}

static void start_with(struct runner *r, const struct shmring_bridge_opts *o)
{
	char err[600];
	int rc = shmring_bridge_open(o, &r->b, err, sizeof(err));

	if (rc < 0)
		fail_msg("bridge %s -> %s: %s", o->from, o->to, err);
	assert_int_equal(pthread_create(&r->t, NULL, run, r), 0);
}

static void start(struct runner *r, const char *from, const char *to)
{
	struct shmring_bridge_opts o = opts(from, to);

	start_with(r, &o);
}

static void finish(struct runner *r, struct shmring_bridge_counts *c)
{
	pthread_join(r->t, NULL);
	if (r->rc != 0)
		fail_msg("bridge: %s", shmring_bridge_error(r->b));
	shmring_bridge_get_counts(r->b, c);
	shmring_bridge_close(r->b);
}

static shmring_t *make_msg(const char *name, unsigned role)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_MSG, .slot_size = MAXLEN, .capacity = 4096,
				 .flags = SHMRING_CREATE_REPLACE};
	shmring_t *r;

	assert_int_equal(shmring_create(name, &o, role, &r), 0);
	return r;
}

static void fill(unsigned char *b, size_t len, uint32_t i)
{
	for (size_t k = 0; k < len; k++)
		b[k] = (unsigned char)(i * 31 + k);
}

/* A -> bridge -> wire -> bridge -> B; n records of every length, sent
 * while nothing reads B until sent records fill A (back-pressure). */
static void through(const char *wire_in, const char *wire_out, unsigned n)
{
	const char *a = test_ring_name("bra"), *bn = test_ring_name("brb");
	shmring_t *tx = make_msg(a, SHMRING_PRODUCER), *rx = make_msg(bn, SHMRING_CONSUMER);
	struct runner r1, r2;
	struct shmring_bridge_counts c1, c2;
	unsigned char buf[MAXLEN], want[MAXLEN];
	unsigned sent = 0, got = 0;

	atomic_store(&stop, 0);
	start(&r2, wire_in, bn);
	start(&r1, a, wire_out);
	/* Nobody reads B: B, the wire's buffers and A fill up, and then A
	 * stays full (nothing is buffered without bound). */
	for (uint64_t last = test_now_ns(); sent < n && test_now_ns() - last < 500000000;) {
		size_t len = sent % (MAXLEN + 1);

		fill(buf, len, sent);
		if (shmring_msg_try_send(tx, buf, len, 1000 + sent) != 0) {
			test_sleep_ms(1);
			continue;
		}
		sent++;
		last = test_now_ns();
	}
	printf("with nobody reading: %u of %u records sent, then the source stayed full\n", sent,
	       n);
	assert_true(sent < n);
	/* A reader comes: everything arrives, in order, whole, typed. */
	while (got < n) {
		uint32_t type;
		ssize_t len;

		while (sent < n) {
			size_t l = sent % (MAXLEN + 1);

			fill(buf, l, sent);
			if (shmring_msg_try_send(tx, buf, l, 1000 + sent) != 0)
				break;
			sent++;
		}
		len = shmring_msg_recv(rx, buf, sizeof(buf), &type, shmring_deadline_in(100000000));
		if (len == -ETIMEDOUT)
			continue;
		assert_int_equal(len, got % (MAXLEN + 1));
		assert_int_equal(type, 1000 + got);
		fill(want, (size_t)len, got);
		assert_memory_equal(buf, want, (size_t)len);
		got++;
	}
	atomic_store(&stop, 1);
	finish(&r1, &c1);
	finish(&r2, &c2);
	assert_int_equal(c1.forwarded, n);
	assert_int_equal(c2.forwarded, n);
	assert_int_equal(c2.lost, 0);
	assert_int_equal(c2.duplicates, 0);
	assert_int_equal(c2.senders, 1);
	assert_int_equal(c2.errors, 0);
	shmring_close(tx);
	shmring_close(rx);
}

static shmring_t *tcp_listener(const char *uri, uint32_t slot)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_MSG, .slot_size = slot, .capacity = 1 << 20,
				 .flags = SHMRING_CREATE_MULTI_PRODUCER};
	shmring_t *r = NULL;
	int rc;

	/* The old listener's port, again (its bridge may still be closing). */
	for (int i = 0; (rc = shmring_create(uri, &o, SHMRING_CONSUMER, &r)) == -EEXIST && i < 100; i++)
		test_sleep_ms(20);
	assert_int_equal(rc, 0);
	return r;
}

/* A listener on a loopback port the kernel picks: its fd, the port in *port. */
static int fake_listen(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	assert_int_equal(listen(fd, 4), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Below the ephemeral range (32768-60999 by default), with room for the
 * offsets the tests add: a connect elsewhere on the machine never takes it
 * as its source port, which would keep a listener from binding it. */
static int free_port(void)
{
	return 20000 + (int)((unsigned)getpid() * 7919u % 12000u);
}

static void test_tcp(void **state)
{
	char in[64], out[64];

	(void)state;
	snprintf(in, sizeof(in), "tcp:127.0.0.1:%d", free_port());
	snprintf(out, sizeof(out), "tcp:127.0.0.1:%d", free_port());
	through(in, out, 200000);
}

static void test_zmq(void **state)
{
	char in[64], out[64];

	(void)state;
	if (!shmring_bridge_have_zmq())
		skip();
	snprintf(in, sizeof(in), "zmq+tcp://127.0.0.1:%d?bind", free_port() + 1);
	snprintf(out, sizeof(out), "zmq+tcp://127.0.0.1:%d", free_port() + 1);
	through(in, out, 200000);
}

/* Fixed slots of 64 bytes into a message ring of records up to 200. */
static void test_fixed_into_msg(void **state)
{
	const char *a = test_ring_name("brf"), *bn = test_ring_name("brm");
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 64, .capacity = 64,
				 .flags = SHMRING_CREATE_REPLACE};
	shmring_t *tx, *rx = make_msg(bn, SHMRING_CONSUMER);
	struct shmring_bridge_counts c;
	struct runner r;
	unsigned char m[64], buf[MAXLEN];

	(void)state;
	assert_int_equal(shmring_create(a, &o, SHMRING_PRODUCER, &tx), 0);
	atomic_store(&stop, 0);
	start(&r, a, bn);
	for (uint32_t i = 0; i < 1000; i++) {
		uint32_t type = 7;
		ssize_t len;

		fill(m, sizeof(m), i);
		assert_int_equal(shmring_send(tx, m, shmring_deadline_in(5000000000ull)), 0);
		len = shmring_msg_recv(rx, buf, sizeof(buf), &type, shmring_deadline_in(5000000000ull));
		assert_int_equal(len, 64);
		assert_int_equal(type, 0);
		assert_memory_equal(buf, m, 64);
	}
	atomic_store(&stop, 1);
	finish(&r, &c);
	assert_int_equal(c.forwarded, 1000);
	shmring_close(tx);
	shmring_close(rx);
}

/*
 * A sender that is not a bridge, writing the header as docs/INTERNALS.md
 * describes it (magic "SHMBRDG1", session, sequence, type, flags, version,
 * little-endian): the receiving bridge takes it as a sequenced message and
 * passes the payload alone. The constant was "SMHBRDG1" on the wire, so
 * such a record went through whole, header and all, as unsequenced.
 */
static void le_put(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void test_documented_header(void **state)
{
	const char *bn = test_ring_name("brh");
	shmring_t *rx = make_msg(bn, SHMRING_CONSUMER), *tx = NULL;
	struct shmring_bridge_counts c;
	struct runner r;
	unsigned char rec[SHMRING_BRIDGE_HDR + 3], buf[MAXLEN];
	uint32_t type = 0;
	char in[64];
	ssize_t len;

	(void)state;
	snprintf(in, sizeof(in), "tcp:127.0.0.1:%d", free_port() + 2);
	atomic_store(&stop, 0);
	start(&r, in, bn);
	assert_int_equal(shmring_open(in, SHMRING_PRODUCER, &tx), 0);
	memcpy(rec, "SHMBRDG1", 8);
	le_put(rec + 8, 0x5eed, 8); /* session */
	le_put(rec + 16, 1, 8);     /* sequence */
	le_put(rec + 24, 77, 4);    /* type */
	le_put(rec + 28, 0, 2);     /* flags */
	le_put(rec + 30, 1, 2);     /* version */
	memcpy(rec + SHMRING_BRIDGE_HDR, "abc", 3);
	assert_int_equal(shmring_msg_send(tx, rec, sizeof(rec), 0, shmring_deadline_in(5000000000ull)),
			 0);
	len = shmring_msg_recv(rx, buf, sizeof(buf), &type, shmring_deadline_in(5000000000ull));
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(type, 77);
	shmring_close(tx);
	atomic_store(&stop, 1);
	finish(&r, &c);
	assert_int_equal(c.forwarded, 1);
	assert_int_equal(c.senders, 1);
	assert_int_equal(c.unsequenced, 0);
	assert_int_equal(c.lost, 0);
	shmring_close(rx);
}

/* A record with the documented header: session 0x5eed, sequence seq. */
static void send_sequenced(shmring_t *tx, uint64_t seq)
{
	unsigned char rec[SHMRING_BRIDGE_HDR + 3];

	memcpy(rec, "SHMBRDG1", 8);
	le_put(rec + 8, 0x5eed, 8);
	le_put(rec + 16, seq, 8);
	le_put(rec + 24, 77, 4);
	le_put(rec + 28, 0, 2);
	le_put(rec + 30, 1, 2);
	memcpy(rec + SHMRING_BRIDGE_HDR, "abc", 3);
	assert_int_equal(shmring_msg_send(tx, rec, sizeof(rec), 0, shmring_deadline_in(5000000000ull)),
			 0);
}

/*
 * A sender's sequence never reaches 2^64 - 1. A record that says it did
 * made the next expected number wrap to 0: a count of 2^64 - 3 lost, and
 * every number the sender had already sent was taken as new (a repeat of
 * 1 went on). It is not a header of ours: forwarded as it came,
 * unsequenced.
 */
static void test_sequence_at_the_top(void **state)
{
	const char *bn = test_ring_name("brt");
	shmring_t *rx = make_msg(bn, SHMRING_CONSUMER), *tx = NULL;
	struct shmring_bridge_counts c;
	struct runner r;
	unsigned char buf[MAXLEN];
	uint32_t type = 0;
	unsigned got = 0;
	char in[64];

	(void)state;
	snprintf(in, sizeof(in), "tcp:127.0.0.1:%d", free_port() + 3);
	atomic_store(&stop, 0);
	start(&r, in, bn);
	assert_int_equal(shmring_open(in, SHMRING_PRODUCER, &tx), 0);
	send_sequenced(tx, 1);
	send_sequenced(tx, 2);
	send_sequenced(tx, UINT64_MAX);
	send_sequenced(tx, 1);
	while (shmring_msg_recv(rx, buf, sizeof(buf), &type, shmring_deadline_in(500000000ull)) >= 0)
		got++;
	shmring_close(tx);
	atomic_store(&stop, 1);
	finish(&r, &c);
	assert_int_equal(got, 3);
	assert_int_equal(c.forwarded, 3);
	assert_int_equal(c.unsequenced, 1);
	assert_int_equal(c.duplicates, 1);
	assert_int_equal(c.lost, 0);
	shmring_close(rx);
}

/*
 * ZeroMQ into a socket channel whose listener comes back taking larger
 * records than the first one did (another receiving bridge, or a peer that
 * lies): the bridge keeps its window of records sized for the first, and a
 * message that fits the new listener but not that window was copied into it
 * anyway, over the records after it (past the buffer at its end). Now it is
 * rejected, counted lost, and the bridge goes on.
 */
#ifdef SHMRING_HAVE_ZMQ
/* A ZeroMQ socket of type that drops what it holds when closed. */
static void *zsock(void *ctx, int type)
{
	void *z = zmq_socket(ctx, type);
	int zero = 0;

	assert_non_null(z);
	zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof(zero));
	return z;
}

/* Send small messages through zmq until one arrives in rx: its length
 * (header and payload). */
static ssize_t until_one(void *push, shmring_t *rx, unsigned char *buf, size_t cap)
{
	for (int i = 0; i < 100; i++) {
		ssize_t len;

		assert_int_equal(zmq_send(push, "hi", 2, 0), 2);
		len = shmring_msg_recv(rx, buf, cap, NULL, shmring_deadline_in(50000000));
		if (len >= 0)
			return len;
	}
	fail_msg("nothing came through");
	return -1;
}

/* One message of up to cap bytes from a ring or a PULL socket within 50 ms:
 * its length, or < 0. */
static ssize_t from_ring(void *src, void *buf, size_t cap)
{
	return shmring_msg_recv(src, buf, cap, NULL, shmring_deadline_in(50000000));
}

static ssize_t from_pull(void *src, void *buf, size_t cap)
{
	int tmo = 50;

	zmq_setsockopt(src, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	return zmq_recv(src, buf, cap, 0);
}

/* A 1 MiB frame into a bridge's ZeroMQ FROM that takes less: the connection
 * is closed under it; the sender connects again and what it sends next
 * ("b") arrives, from recv. */
static void huge_then_small(void *push, ssize_t (*recv)(void *, void *, size_t), void *src)
{
	static unsigned char huge[1 << 20];
	char got[8];
	ssize_t n = -1;

	assert_int_equal(zmq_send(push, huge, sizeof(huge), 0), (int)sizeof(huge));
	for (int i = 0; i < 100 && n != 1; i++) {
		assert_int_equal(zmq_send(push, "b", 1, 0), 1);
		n = recv(src, got, sizeof(got));
	}
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 'b');
}
#endif

static void test_zmq_into_grown_listener(void **state)
{
#ifdef SHMRING_HAVE_ZMQ
	static unsigned char big[60000], buf[65536];
	struct shmring_bridge_counts c;
	struct runner r;
	char in[96], out[64], addr[48];
	shmring_t *rx;
	void *ctx, *push;
	ssize_t len;

	(void)state;
	if (!shmring_bridge_have_zmq())
		skip();
	snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%d", free_port() + 3);
	snprintf(in, sizeof(in), "zmq+%s?bind", addr);
	snprintf(out, sizeof(out), "tcp:127.0.0.1:%d", free_port() + 4);
	rx = tcp_listener(out, 100);
	atomic_store(&stop, 0);
	start(&r, in, out);
	ctx = zmq_ctx_new();
	push = zsock(ctx, ZMQ_PUSH);
	assert_int_equal(zmq_connect(push, addr), 0);
	assert_int_equal(until_one(push, rx, buf, sizeof(buf)), SHMRING_BRIDGE_HDR + 2);
	/* The listener goes and comes back with room for 65536-byte records. */
	shmring_close(rx);
	rx = tcp_listener(out, 65536);
	assert_int_equal(until_one(push, rx, buf, sizeof(buf)), SHMRING_BRIDGE_HDR + 2);
	while (shmring_msg_recv(rx, buf, sizeof(buf), NULL, shmring_deadline_in(200000000)) >= 0)
		; /* the other small ones */
	/* 60000 bytes: more than the window's records of the first listener. */
	memset(big, 0x5a, sizeof(big));
	assert_int_equal(zmq_send(push, big, sizeof(big), 0), (int)sizeof(big));
	assert_int_equal(zmq_send(push, "hi", 2, 0), 2);
	/* Rejected: the next to arrive is the small one after it. */
	len = shmring_msg_recv(rx, buf, sizeof(buf), NULL, shmring_deadline_in(5000000000ull));
	assert_int_equal(len, SHMRING_BRIDGE_HDR + 2);
	zmq_close(push);
	zmq_ctx_term(ctx);
	atomic_store(&stop, 1);
	finish(&r, &c);
	assert_int_equal(c.errors, 1);
	assert_true(c.lost >= 1);
	shmring_close(rx);
#else
	(void)state;
	skip();
#endif
}

/*
 * A socket channel into ZeroMQ, with records as long as the listener takes
 * and no bridge header (a sender that is no bridge): each is kept in the
 * window for a replay with the header the bridge adds before it. The
 * window's records were sized for the payload of a record that has a
 * header, so such a record was written 32 bytes past its place (past the
 * buffer at the window's last place: ASan's heap-buffer-overflow).
 */
static void test_sock_into_zmq_whole_records(void **state)
{
#ifdef SHMRING_HAVE_ZMQ
	static unsigned char rec[65536], got[65536];
	struct shmring_bridge_counts c;
	struct runner r;
	char in[64], out[96], addr[48];
	shmring_t *tx = NULL;
	void *ctx, *pull;
	int timeo = 5000;
	uint32_t slot;

	(void)state;
	if (!shmring_bridge_have_zmq())
		skip();
	snprintf(in, sizeof(in), "tcp:127.0.0.1:%d", free_port() + 5);
	snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%d", free_port() + 6);
	snprintf(out, sizeof(out), "zmq+%s", addr);
	ctx = zmq_ctx_new();
	pull = zsock(ctx, ZMQ_PULL);
	zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeo, sizeof(timeo));
	assert_int_equal(zmq_bind(pull, addr), 0);
	atomic_store(&stop, 0);
	start(&r, in, out);
	assert_int_equal(shmring_open(in, SHMRING_PRODUCER, &tx), 0);
	slot = shmring_slot_size(tx);
	assert_true(slot <= sizeof(rec));
	memset(rec, 0x11, slot);
	/* More than the window holds (8 MiB of such records): every place of
	 * it is written, the last one too. */
	for (unsigned i = 0; i < 8u * 1048576 / slot + 2; i++) {
		int more = 0;
		size_t ml = sizeof(more);

		rec[0] = (unsigned char)i;
		assert_int_equal(shmring_msg_send(tx, rec, slot, 0, shmring_deadline_in(5000000000ull)),
				 0);
		assert_int_equal(zmq_recv(pull, got, sizeof(got), 0), SHMRING_BRIDGE_HDR);
		assert_int_equal(zmq_getsockopt(pull, ZMQ_RCVMORE, &more, &ml), 0);
		assert_true(more);
		assert_int_equal(zmq_recv(pull, got, sizeof(got), 0), (int)slot);
		assert_int_equal(got[0], (unsigned char)i);
	}
	shmring_close(tx);
	atomic_store(&stop, 1);
	finish(&r, &c);
	assert_int_equal(c.errors, 0);
	zmq_close(pull);
	zmq_ctx_term(ctx);
#else
	(void)state;
	skip();
#endif
}

/*
 * A socket channel into a ZeroMQ PUB (no replay window): the header the
 * bridge sends was written into its receive buffer, where the payload of a
 * record that came without a header of its own starts, over its first 32
 * bytes.
 */
static void test_sock_into_pub_payload(void **state)
{
#ifdef SHMRING_HAVE_ZMQ
	static const char text[] = "a record from a sender that is no bridge, with no header";
	unsigned char got[256];
	struct shmring_bridge_counts c;
	struct runner r;
	char in[64], out[96], addr[48];
	shmring_t *tx = NULL;
	void *ctx, *sub;
	int timeo = 50, n = -1;

	(void)state;
	if (!shmring_bridge_have_zmq())
		skip();
	snprintf(in, sizeof(in), "tcp:127.0.0.1:%d", free_port() + 7);
	snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%d", free_port() + 8);
	snprintf(out, sizeof(out), "zmq-pub+%s?bind", addr);
	atomic_store(&stop, 0);
	start(&r, in, out);
	ctx = zmq_ctx_new();
	sub = zsock(ctx, ZMQ_SUB);
	zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeo, sizeof(timeo));
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	assert_int_equal(zmq_connect(sub, addr), 0);
	assert_int_equal(shmring_open(in, SHMRING_PRODUCER, &tx), 0);
	/* Until the subscription has reached the publisher. */
	for (int i = 0; i < 200 && n < 0; i++) {
		assert_int_equal(shmring_msg_send(tx, text, sizeof(text), 0,
						  shmring_deadline_in(5000000000ull)),
				 0);
		if (zmq_recv(sub, got, sizeof(got), 0) == SHMRING_BRIDGE_HDR)
			n = zmq_recv(sub, got, sizeof(got), 0);
	}
	assert_int_equal(n, (int)sizeof(text));
	assert_memory_equal(got, text, sizeof(text));
	shmring_close(tx);
	atomic_store(&stop, 1);
	finish(&r, &c);
	zmq_close(sub);
	zmq_ctx_term(ctx);
#else
	(void)state;
	skip();
#endif
}

/*
 * ZeroMQ gives up for good on a connection whose handshake failed: a
 * listener that is no matching ZeroMQ socket, or the connecting socket
 * itself (a connect to a loopback port nobody listens on that picked that
 * very port as its source: seen as a bridge restarted on the far side).
 * A fake listener answers each connecting bridge with the greeting of a
 * socket of its own type, then goes; a real one binds the port after it.
 * The bridge connects again and the message arrives, both ways.
 */
#ifdef SHMRING_HAVE_ZMQ
/* Take one connection on ls and greet it as a ZMTP 3.0 socket of type
 * ("PUSH" or "PULL", four letters), then close both. */
static void fake_greet(int ls, const char *type)
{
	unsigned char g[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0, 'N', 'U', 'L', 'L'};
	unsigned char ready[28] = {0x04, 26, 5, 'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k',
				   'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0, 4};
	struct pollfd p = {.fd = ls, .events = POLLIN};
	int c;

	memcpy(ready + 24, type, 4);
	assert_int_equal(poll(&p, 1, 5000), 1);
	c = accept(ls, NULL, NULL);
	assert_true(c >= 0);
	assert_int_equal(write(c, g, sizeof(g)), (ssize_t)sizeof(g));
	assert_int_equal(write(c, ready, sizeof(ready)), (ssize_t)sizeof(ready));
	test_sleep_ms(100);
	close(c);
	close(ls);
}
#endif

static void test_zmq_handshake_failed(void **state)
{
#ifdef SHMRING_HAVE_ZMQ
	const char *a = test_ring_name("bhsa"), *bn = test_ring_name("bhsb");
	shmring_t *tx = make_msg(a, SHMRING_PRODUCER), *rx = make_msg(bn, SHMRING_CONSUMER);
	struct shmring_bridge_counts c;
	struct runner r1, r2;
	char out[64], in[64], addr_out[48], addr_in[48];
	unsigned char got[64];
	void *ctx, *pull, *push;
	int ls_out, ls_in, port_out, port_in, timeo = 5000, n;

	(void)state;
	if (!shmring_bridge_have_zmq())
		skip();
	ls_out = fake_listen(&port_out);
	ls_in = fake_listen(&port_in);
	snprintf(addr_out, sizeof(addr_out), "tcp://127.0.0.1:%d", port_out);
	snprintf(addr_in, sizeof(addr_in), "tcp://127.0.0.1:%d", port_in);
	snprintf(out, sizeof(out), "zmq+%s", addr_out);
	snprintf(in, sizeof(in), "zmq+%s", addr_in);
	atomic_store(&stop, 0);
	start(&r1, a, out); /* a PUSH, greeted as by a PUSH */
	start(&r2, in, bn); /* a PULL, greeted as by a PULL */
	fake_greet(ls_out, "PUSH");
	fake_greet(ls_in, "PULL");
	ctx = zmq_ctx_new();
	pull = zsock(ctx, ZMQ_PULL);
	push = zsock(ctx, ZMQ_PUSH);
	zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeo, sizeof(timeo));
	zmq_setsockopt(push, ZMQ_SNDTIMEO, &timeo, sizeof(timeo));
	assert_int_equal(zmq_bind(pull, addr_out), 0);
	assert_int_equal(zmq_bind(push, addr_in), 0);
	/* Out: a record into A reaches the PULL, header then payload. */
	assert_int_equal(shmring_msg_send(tx, "out", 3, 5, shmring_deadline_in(1000000000)), 0);
	assert_int_equal(zmq_recv(pull, got, sizeof(got), 0), SHMRING_BRIDGE_HDR);
	assert_int_equal(zmq_recv(pull, got, sizeof(got), 0), 3);
	assert_memory_equal(got, "out", 3);
	/* In: a message from the PUSH reaches B. */
	assert_int_equal(zmq_send(push, "in", 2, 0), 2);
	n = (int)shmring_msg_recv(rx, got, sizeof(got), NULL, shmring_deadline_in(5000000000ull));
	assert_int_equal(n, 2);
	assert_memory_equal(got, "in", 2);
	atomic_store(&stop, 1);
	finish(&r1, &c);
	finish(&r2, &c);
	zmq_close(pull);
	zmq_close(push);
	zmq_ctx_term(ctx);
	shmring_close(tx);
	shmring_close(rx);
#else
	(void)state;
	skip();
#endif
}

/*
 * A ZeroMQ FROM into a ring takes frames up to the largest record any ring
 * or socket channel takes (65536 bytes, and a bridge header's 32): a longer
 * one closes its sender's connection in ZeroMQ, never reaching the bridge
 * (nor its memory, up to the high-water mark of them); a shorter one that
 * does not fit this ring is dropped and counted lost, as before.
 */
static void test_zmq_frame_over_largest(void **state)
{
#ifdef SHMRING_HAVE_ZMQ
	static unsigned char big[65536];
	const char *bn = test_ring_name("bmax");
	shmring_t *rx = make_msg(bn, SHMRING_CONSUMER);
	struct shmring_bridge_counts c;
	struct runner r;
	char in[96], addr[48];
	unsigned char got[MAXLEN];
	void *ctx, *push;
	int port;
	ssize_t n = -1;

	(void)state;
	if (!shmring_bridge_have_zmq())
		skip();
	close(fake_listen(&port));
	snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%d", port);
	snprintf(in, sizeof(in), "zmq+%s?bind", addr);
	atomic_store(&stop, 0);
	start(&r, in, bn);
	ctx = zmq_ctx_new();
	push = zsock(ctx, ZMQ_PUSH);
	assert_int_equal(zmq_connect(push, addr), 0);
	/* 65536 bytes: taken, too long for this ring: counted lost. */
	assert_int_equal(zmq_send(push, big, 65536, 0), 65536);
	assert_int_equal(zmq_send(push, "a", 1, 0), 1);
	n = shmring_msg_recv(rx, got, sizeof(got), NULL, shmring_deadline_in(5000000000ull));
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 'a');
	huge_then_small(push, from_ring, rx);
	zmq_close(push);
	zmq_ctx_term(ctx);
	atomic_store(&stop, 1);
	finish(&r, &c);
	assert_int_equal(c.lost, 1);
	shmring_close(rx);
#else
	(void)state;
	skip();
#endif
}

/*
 * A ZeroMQ-to-ZeroMQ relay with --max-size: a message longer than it is
 * dropped and counted lost, the next one goes on; a frame far longer makes
 * ZeroMQ close the sender's connection instead of queueing it (never seen,
 * never counted), and the sender's next messages arrive once it is back.
 */
static void test_zmq_relay_max_size(void **state)
{
#ifdef SHMRING_HAVE_ZMQ
	unsigned char big[128] = {0};
	struct shmring_bridge_opts o;
	struct shmring_bridge_counts c;
	struct runner r;
	char in[96], out[96], ain[48], aout[48], got[8];
	void *ctx, *push, *pull;
	int pin, pout, n = -1, tmo = 50;

	(void)state;
	if (!shmring_bridge_have_zmq())
		skip();
	close(fake_listen(&pin));
	close(fake_listen(&pout));
	snprintf(ain, sizeof(ain), "tcp://127.0.0.1:%d", pin);
	snprintf(aout, sizeof(aout), "tcp://127.0.0.1:%d", pout);
	snprintf(in, sizeof(in), "zmq+%s?bind", ain);
	snprintf(out, sizeof(out), "zmq+%s?bind", aout);
	o = opts(in, out);
	o.zmq_max = 100;
	o.raw = true;
	atomic_store(&stop, 0);
	start_with(&r, &o);
	ctx = zmq_ctx_new();
	push = zsock(ctx, ZMQ_PUSH);
	pull = zsock(ctx, ZMQ_PULL);
	zmq_setsockopt(pull, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	assert_int_equal(zmq_connect(pull, aout), 0);
	assert_int_equal(zmq_connect(push, ain), 0);
	/* 100 bytes go, 101 are counted lost, the next one goes. */
	assert_int_equal(zmq_send(push, big, 100, 0), 100);
	assert_int_equal(zmq_send(push, big, 101, 0), 101);
	assert_int_equal(zmq_send(push, "a", 1, 0), 1);
	for (int i = 0; i < 100 && n < 0; i++)
		n = zmq_recv(pull, big, sizeof(big), 0);
	assert_int_equal(n, 100);
	n = zmq_recv(pull, got, sizeof(got), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 'a');
	huge_then_small(push, from_pull, pull);
	zmq_close(push);
	zmq_close(pull);
	zmq_ctx_term(ctx);
	atomic_store(&stop, 1);
	finish(&r, &c);
	assert_int_equal(c.lost, 1);
#else
	(void)state;
	skip();
#endif
}

/*
 * A socket channel TO whose listener comes back taking shorter records:
 * the kept records it cannot take are not sent again (a receiving bridge
 * counts them lost by their numbers if it never had them), a new message
 * too long for it is dropped and counted lost, and the bridge goes on.
 */
static void test_sock_into_shrunk_listener(void **state)
{
	const char *a = test_ring_name("bshr");
	shmring_t *tx = make_msg(a, SHMRING_PRODUCER), *rx;
	struct shmring_bridge_counts c;
	struct runner r;
	char out[64];
	unsigned char buf[MAXLEN + SHMRING_BRIDGE_HDR], want[MAXLEN];
	int port;

	(void)state;
	close(fake_listen(&port));
	snprintf(out, sizeof(out), "tcp:127.0.0.1:%d", port);
	rx = tcp_listener(out, MAXLEN + SHMRING_BRIDGE_HDR);
	atomic_store(&stop, 0);
	start(&r, a, out);
	fill(want, 100, 1);
	for (uint32_t i = 0; i < 10; i++) {
		assert_int_equal(shmring_msg_send(tx, want, 100, i, shmring_deadline_in(1000000000)),
				 0);
		assert_int_equal(shmring_msg_recv(rx, buf, sizeof(buf), NULL,
						  shmring_deadline_in(5000000000ull)),
				 SHMRING_BRIDGE_HDR + 100);
	}
	/* Back with records of 64 bytes: 32 of payload after the header. */
	shmring_close(rx);
	rx = tcp_listener(out, 64);
	assert_int_equal(shmring_msg_send(tx, "small1", 6, 0, shmring_deadline_in(1000000000)), 0);
	assert_int_equal(shmring_msg_send(tx, want, 100, 0, shmring_deadline_in(1000000000)), 0);
	assert_int_equal(shmring_msg_send(tx, "small2", 6, 0, shmring_deadline_in(1000000000)), 0);
	for (int k = 1; k <= 2; k++) {
		ssize_t n = shmring_msg_recv(rx, buf, sizeof(buf), NULL,
					     shmring_deadline_in(5000000000ull));

		assert_int_equal(n, SHMRING_BRIDGE_HDR + 6);
		assert_memory_equal(buf + SHMRING_BRIDGE_HDR, k == 1 ? "small1" : "small2", 6);
	}
	atomic_store(&stop, 1);
	finish(&r, &c);
	assert_int_equal(c.lost, 1);
	assert_int_equal(c.forwarded, 12);
	shmring_close(rx);
	shmring_close(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tcp, test_teardown_names),
		cmocka_unit_test_teardown(test_zmq, test_teardown_names),
		cmocka_unit_test_teardown(test_fixed_into_msg, test_teardown_names),
		cmocka_unit_test_teardown(test_documented_header, test_teardown_names),
		cmocka_unit_test_teardown(test_sequence_at_the_top, test_teardown_names),
		cmocka_unit_test_teardown(test_zmq_into_grown_listener, test_teardown_names),
		cmocka_unit_test_teardown(test_sock_into_zmq_whole_records, test_teardown_names),
		cmocka_unit_test_teardown(test_sock_into_pub_payload, test_teardown_names),
		cmocka_unit_test_teardown(test_zmq_handshake_failed, test_teardown_names),
		cmocka_unit_test_teardown(test_zmq_frame_over_largest, test_teardown_names),
		cmocka_unit_test_teardown(test_sock_into_shrunk_listener, test_teardown_names),
		cmocka_unit_test_teardown(test_zmq_relay_max_size, test_teardown_names),
	};

	alarm(100);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
