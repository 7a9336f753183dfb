/* SPDX-License-Identifier: MIT */
/*
 * src/bench/mech_sock.c - messages that leave shared memory: shmring's socket
 * channels (unix:, tcp:), raw ZeroMQ PUSH/PULL over TCP loopback, and
 * `shmring bridge` between two rings over TCP or ZeroMQ.
 *
 * shmring-unix, shmring-tcp: the receiving side of each direction creates
 *   the channel (it listens) and the sending side opens it (connects),
 *   retrying until the listener is there; blocking send and receive.
 * zmq: each side binds a PULL for the direction it receives and connects a
 *   PUSH to the other's; one frame per message.
 * bridge-tcp, bridge-zmq: each direction is ring -> bridge -> wire ->
 *   bridge -> ring, as between two hosts: the sides send into and receive
 *   from ordinary rings, and the client's process runs the two bridges of
 *   each direction in threads (not pinned: bridges are processes of their
 *   own in real use), each with its own ZeroMQ context or connection.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <shmring/shmring.h>

#include "bench.h"
#include "../cli/bridge.h"
#include "pair.h"

#ifdef SHMRING_HAVE_ZMQ
#include <zmq.h>
#endif

/*
 * A TCP port on loopback, free when asked (the caller listens on it at once).
 * Taken below the kernel's ephemeral ports (ip_local_port_range, from 32768
 * unless set otherwise), from which every connect() on the machine is given
 * its local port: a port the kernel chose here and this process released
 * could be given to another program's connection before the caller listens
 * on it, and the listen then fails with EEXIST (seen in the test suite
 * beside tests that connect). Each call looks through ports of its own,
 * TRIES past the last call's, from a start spread by the pid, so one
 * bench's two ports differ and two benches rarely meet.
 */
static int free_port(char *why, size_t wl)
{
	enum { LOW = 20000, SPAN = 12000, TRIES = 256 };
	static _Atomic unsigned next;
	const unsigned start = (unsigned)getpid() * 61u + atomic_fetch_add(&next, TRIES);
	int err = EADDRINUSE;

	for (unsigned i = 0; i < TRIES; i++) {
		const int port = LOW + (int)((start + i) % SPAN);
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons((uint16_t)port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool ok;

		if (s < 0) {
			err = errno;
			break;
		}
		ok = bind(s, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (!ok)
			err = errno;
		close(s);
		if (ok)
			return port;
		if (err != EADDRINUSE)
			break;
	}
	snprintf(why, wl, "no free TCP port on loopback: %s", strerror(err));
	return -err;
}

/* --------------------------------------------- shmring-unix, shmring-tcp */

struct chan_priv {
	char uri[2][108]; /* direction d's channel */
};

struct chan_local {
	shmring_t *tx, *rx;
};

static int chan_setup(struct shmring_bench_chan *c, bool tcp, char *why, size_t wl)
{
	struct chan_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	c->priv = p;
	for (int d = 0; d < 2; d++) {
		if (tcp) {
			int port = free_port(why, wl);

			if (port < 0)
				return port;
			snprintf(p->uri[d], sizeof(p->uri[d]), "tcp:127.0.0.1:%d", port);
		} else {
			char name[64];

			/* Abstract: nothing in the file system to clean up. */
			shmring_bench_name(name, sizeof(name), d ? "-1" : "-0");
			snprintf(p->uri[d], sizeof(p->uri[d]), "unix:@%s", name + 1);
		}
	}
	return 0;
}

static int chan_unix_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return chan_setup(c, false, why, wl);
}

static int chan_tcp_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return chan_setup(c, true, why, wl);
}

static void chan_detach(struct shmring_bench_chan *c);

static int chan_attach(struct shmring_bench_chan *c)
{
	const struct chan_priv *p = c->priv;
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = c->size,
				 .capacity = shmring_bench_ring_capacity(SHMRING_KIND_SPSC, c->size)};
	struct chan_local *l = calloc(1, sizeof(*l));
	int in = 1 - c->side, rc = 0;
	bool rtt = c->mode == SHMRING_BENCH_RTT;

	if (!l)
		return -ENOMEM;
	c->scratch = l;
	/* Listen for what comes to this side first, then connect out. */
	if (rtt || c->side == 0)
		rc = shmring_create(p->uri[in], &o, SHMRING_CONSUMER, &l->rx);
	while (rc == 0 && (rtt || c->side == 1)) {
		rc = shmring_open(p->uri[c->side], SHMRING_PRODUCER, &l->tx);
		if (rc != -ENOENT && rc != -ECONNREFUSED)
			break;
		if ((rc = shmring_bench_spin()) != 0)
			break;
		usleep(1000); /* the other side has not listened yet */
	}
	if (rc < 0)
		chan_detach(c); /* a failed attach is not detached */
	return rc;
}

static void chan_detach(struct shmring_bench_chan *c)
{
	struct chan_local *l = c->scratch;

	if (l) {
		shmring_close(l->tx);
		shmring_close(l->rx);
	}
	free(l);
	c->scratch = NULL;
}

static void chan_teardown(struct shmring_bench_chan *c)
{
	free(c->priv);
	c->priv = NULL;
}

/* A blocking call that gives up with the watchdog: -ETIMEDOUT then. For
 * the channels here and the bridges' end rings below. */
static int send_watched(shmring_t *tx, const void *msg)
{
	for (;;) {
		int rc = shmring_send(tx, msg, shmring_deadline_in(100000000));

		if (rc != -ETIMEDOUT)
			return rc;
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	}
}

static int recv_watched(shmring_t *rx, void *msg)
{
	for (;;) {
		int rc = shmring_recv(rx, msg, shmring_deadline_in(100000000));

		if (rc != -ETIMEDOUT)
			return rc;
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	}
}

static int chan_send(struct shmring_bench_chan *c, const void *msg)
{
	return send_watched(((const struct chan_local *)c->scratch)->tx, msg);
}

static int chan_recv(struct shmring_bench_chan *c, void *msg)
{
	return recv_watched(((const struct chan_local *)c->scratch)->rx, msg);
}

const struct shmring_bench_mech shmring_bench_mech_shmring_unix = {
	.name = "shmring-unix",
	.desc = "shmring socket channel unix:@NAME (SOCK_SEQPACKET), blocking calls",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.max_size = SHMRING_MAX_SLOT_SIZE,
	.setup = chan_unix_setup,
	.attach = chan_attach,
	.send = chan_send,
	.recv = chan_recv,
	.detach = chan_detach,
	.teardown = chan_teardown,
};

const struct shmring_bench_mech shmring_bench_mech_shmring_tcp = {
	.name = "shmring-tcp",
	.desc = "shmring socket channel tcp:127.0.0.1:PORT (framed, TCP_NODELAY), blocking calls",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.max_size = SHMRING_MAX_SLOT_SIZE,
	.setup = chan_tcp_setup,
	.attach = chan_attach,
	.send = chan_send,
	.recv = chan_recv,
	.detach = chan_detach,
	.teardown = chan_teardown,
};

#ifdef SHMRING_HAVE_ZMQ
/* ---------------------------------------------------------------- zmq */

struct zmq_priv {
	int port[2]; /* direction d's PULL binds here */
};

struct zmq_local {
	void *ctx, *push, *pull;
};

static int zmq_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	struct zmq_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	c->priv = p;
	for (int d = 0; d < 2; d++)
		if ((p->port[d] = free_port(why, wl)) < 0)
			return p->port[d];
	return 0;
}

static void *zsock(void *ctx, int type)
{
	int hwm = 1000, timeo = 100, zero = 0, ivl = 10;
	void *s = zmq_socket(ctx, type);

	if (!s)
		return NULL;
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeo, sizeof(timeo));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeo, sizeof(timeo));
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	/* A PUSH that connects before the peer binds tries again soon. */
	zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
	return s;
}

static int zmq_attach(struct shmring_bench_chan *c)
{
	const struct zmq_priv *p = c->priv;
	struct zmq_local *l = calloc(1, sizeof(*l));
	char ep[64];

	if (!l)
		return -ENOMEM;
	c->scratch = l;
	/* Contexts do not cross fork: each process makes its own. */
	l->ctx = zmq_ctx_new();
	if (!l->ctx)
		return -errno;
	l->pull = zsock(l->ctx, ZMQ_PULL);
	l->push = zsock(l->ctx, ZMQ_PUSH);
	if (!l->pull || !l->push)
		return -errno;
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", p->port[1 - c->side]);
	if (zmq_bind(l->pull, ep) != 0)
		return -errno;
	snprintf(ep, sizeof(ep), "tcp://127.0.0.1:%d", p->port[c->side]);
	if (zmq_connect(l->push, ep) != 0)
		return -errno;
	return 0;
}

static void zmq_detach(struct shmring_bench_chan *c)
{
	struct zmq_local *l = c->scratch;

	if (l) {
		/* What the PUSH still queues (the producer's last messages)
		 * goes out before the context ends, within a bound in case the
		 * peer is gone. */
		int linger = 2000;

		if (l->push) {
			zmq_setsockopt(l->push, ZMQ_LINGER, &linger, sizeof(linger));
			zmq_close(l->push);
		}
		if (l->pull)
			zmq_close(l->pull);
		if (l->ctx)
			zmq_ctx_term(l->ctx);
	}
	free(l);
	c->scratch = NULL;
}

static void zmq_teardown(struct shmring_bench_chan *c)
{
	free(c->priv);
	c->priv = NULL;
}

static int zmq_b_send(struct shmring_bench_chan *c, const void *msg)
{
	const struct zmq_local *l = c->scratch;

	for (;;) {
		int rc;

		if (zmq_send(l->push, msg, c->size, 0) == (int)c->size)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	}
}

static int zmq_b_recv(struct shmring_bench_chan *c, void *msg)
{
	const struct zmq_local *l = c->scratch;

	for (;;) {
		int n = zmq_recv(l->pull, msg, c->size, 0), rc;

		if (n == (int)c->size)
			return 0;
		if (n >= 0)
			return -EMSGSIZE;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((rc = shmring_bench_spin()) != 0)
			return rc;
	}
}

const struct shmring_bench_mech shmring_bench_mech_zmq = {
	.name = "zmq",
	.desc = "ZeroMQ PUSH/PULL over TCP loopback, one frame per message",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = zmq_setup,
	.attach = zmq_attach,
	.send = zmq_b_send,
	.recv = zmq_b_recv,
	.detach = zmq_detach,
	.teardown = zmq_teardown,
};
#endif

/* ---------------------------------------------- bridge-tcp, bridge-zmq */

/* Direction d: ring in[d] -> bridge -> wire[d] -> bridge -> ring out[d]. */
struct bridge_priv {
	bool zmq;
	char in[2][64], out[2][64];
	int obj[4];
	char wire_from[2][96], wire_to[2][96]; /* the receiving and sending bridges' ends */
};

struct bridge_thread {
	struct shmring_bridge *b;
	pthread_t t;
	bool started;
};

struct bridge_local {
	shmring_t *tx, *rx;
	atomic_int stop[2]; /* the receiving bridges', the sending bridges' */
	struct bridge_thread th[4]; /* direction d: receiving 2d, sending 2d + 1 */
};

static void bridge_teardown(struct shmring_bench_chan *c)
{
	struct bridge_priv *p = c->priv;

	if (p)
		for (int i = 0; i < 4; i++)
			if (p->obj[i] >= 0) {
				shmring_unlink(i < 2 ? p->in[i] : p->out[i - 2]);
				shmring_bench_obj_forget(p->obj[i]);
			}
	free(p);
	c->priv = NULL;
}

static int bridge_setup(struct shmring_bench_chan *c, bool zmq, char *why, size_t wl)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = c->size,
				 .capacity = shmring_bench_ring_capacity(SHMRING_KIND_SPSC, c->size)};
	struct bridge_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->zmq = zmq;
	for (int i = 0; i < 4; i++)
		p->obj[i] = -1;
	for (int i = 0; i < 4; i++) {
		char *uri = i < 2 ? p->in[i] : p->out[i - 2];
		shmring_t *h;
		int rc;

		shmring_bench_name(uri, 64, i < 2 ? "-in" : "-out");
		rc = shmring_create(uri, &o, SHMRING_OBSERVER, &h);
		if (rc < 0) {
			snprintf(why, wl, "shmring_create %s: %s", uri, shmring_strerror(rc));
			bridge_teardown(c);
			return rc;
		}
		p->obj[i] = shmring_bench_obj_add(SHMRING_BENCH_OBJ_SHM, uri, 0);
		shmring_close(h);
	}
	for (int d = 0; d < 2; d++) {
		int port = free_port(why, wl);

		if (port < 0) {
			bridge_teardown(c);
			return port;
		}
		if (zmq) {
			snprintf(p->wire_from[d], sizeof(p->wire_from[d]),
				 "zmq+tcp://127.0.0.1:%d?bind", port);
			snprintf(p->wire_to[d], sizeof(p->wire_to[d]), "zmq+tcp://127.0.0.1:%d",
				 port);
		} else {
			snprintf(p->wire_from[d], sizeof(p->wire_from[d]), "tcp:127.0.0.1:%d", port);
			snprintf(p->wire_to[d], sizeof(p->wire_to[d]), "tcp:127.0.0.1:%d", port);
		}
	}
	return 0;
}

static int bridge_tcp_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return bridge_setup(c, false, why, wl);
}

#ifdef SHMRING_HAVE_ZMQ
static int bridge_zmq_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return bridge_setup(c, true, why, wl);
}
#endif

static void *bridge_main(void *arg)
{
	struct bridge_thread *t = arg;
	cpu_set_t all;

	/* Any CPU: the thread was born pinned with the client. */
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE && i < (int)sysconf(_SC_NPROCESSORS_ONLN); i++)
		CPU_SET(i, &all);
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	shmring_bridge_run(t->b);
	return NULL;
}

static int bridge_start(struct bridge_local *l, unsigned i, const char *from, const char *to)
{
	struct bridge_thread *t = &l->th[i];
	struct shmring_bridge_opts o = {.from = from, .to = to, .drain_ns = 50000000,
					.connect_ns = 5000000000u, .stop = &l->stop[i % 2]};
	sigset_t all, old;
	char err[600];
	int rc = shmring_bridge_open(&o, &t->b, err, sizeof(err));

	if (rc < 0)
		return rc;
	/* The watchdog's and the run's signals are for the client's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&t->t, NULL, bridge_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	t->started = rc == 0;
	return rc;
}

/* The sending bridges first, so that their END reaches a receiver. */
static void bridge_stop(struct bridge_local *l)
{
	for (int side = 1; side >= 0; side--) {
		atomic_store_explicit(&l->stop[side], 1, memory_order_relaxed);
		for (int i = side; i < 4; i += 2) {
			if (l->th[i].started)
				pthread_join(l->th[i].t, NULL);
			shmring_bridge_close(l->th[i].b);
			l->th[i] = (struct bridge_thread){0};
		}
	}
}

static void bridge_detach(struct shmring_bench_chan *c);

static int bridge_attach(struct shmring_bench_chan *c)
{
	const struct bridge_priv *p = c->priv;
	struct bridge_local *l = calloc(1, sizeof(*l));
	bool rtt = c->mode == SHMRING_BENCH_RTT;
	int rc = 0;

	if (!l)
		return -ENOMEM;
	c->scratch = l;
	if (c->side == 0) {
		/* Both bridges of each direction in use: the receiving one
		 * first, so that the sending one finds it listening. */
		for (int d = rtt ? 0 : 1; d < 2 && rc == 0; d++) {
			rc = bridge_start(l, 2 * d, p->wire_from[d], p->out[d]);
			if (rc == 0)
				rc = bridge_start(l, 2 * d + 1, p->in[d], p->wire_to[d]);
		}
	}
	if (rc == 0 && (rtt || c->side == 1))
		rc = shmring_open(p->in[c->side], SHMRING_PRODUCER, &l->tx);
	if (rc == 0 && (rtt || c->side == 0))
		rc = shmring_open(p->out[1 - c->side], SHMRING_CONSUMER, &l->rx);
	if (rc < 0)
		bridge_detach(c); /* a failed attach is not detached */
	return rc;
}

static void bridge_detach(struct shmring_bench_chan *c)
{
	struct bridge_local *l = c->scratch;

	if (!l)
		return;
	shmring_close(l->tx);
	shmring_close(l->rx);
	bridge_stop(l);
	free(l);
	c->scratch = NULL;
}

/* Rings at both ends: the client's and the server's own blocking calls. */
static int bridge_send(struct shmring_bench_chan *c, const void *msg)
{
	return send_watched(((const struct bridge_local *)c->scratch)->tx, msg);
}

static int bridge_recv(struct shmring_bench_chan *c, void *msg)
{
	return recv_watched(((const struct bridge_local *)c->scratch)->rx, msg);
}

const struct shmring_bench_mech shmring_bench_mech_bridge_tcp = {
	.name = "bridge-tcp",
	.desc = "ring -> shmring bridge -> tcp: channel -> shmring bridge -> ring (bridges in "
		"threads)",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	/* The bridge's header travels in the channel's record with the message. */
	.max_size = SHMRING_MAX_SLOT_SIZE - SHMRING_BRIDGE_HDR,
	.setup = bridge_tcp_setup,
	.attach = bridge_attach,
	.send = bridge_send,
	.recv = bridge_recv,
	.detach = bridge_detach,
	.teardown = bridge_teardown,
};

#ifdef SHMRING_HAVE_ZMQ
const struct shmring_bench_mech shmring_bench_mech_bridge_zmq = {
	.name = "bridge-zmq",
	.desc = "ring -> shmring bridge -> ZeroMQ PUSH/PULL over TCP -> shmring bridge -> ring "
		"(bridges in threads)",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = bridge_zmq_setup,
	.attach = bridge_attach,
	.send = bridge_send,
	.recv = bridge_recv,
	.detach = bridge_detach,
	.teardown = bridge_teardown,
};
#endif
