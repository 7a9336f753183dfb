/* SPDX-License-Identifier: MIT */
/*
 * src/bench/mech_fd.c - the kernel mechanisms that move bytes through file
 * descriptors: anonymous pipe, named FIFO, Unix stream/datagram/seqpacket
 * socket pairs, TCP over loopback, and eventfd.
 *
 * fd[] holds, for direction d (messages sent by side d), its read end in
 * fd[2d] and its write end in fd[2d+1]; a socket serves both directions of
 * its side, so it appears twice. After fork each side closes what it does
 * not use, so that a peer's death reads as end-of-file instead of a hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "pair.h"

static int wr_fd(const struct shmring_bench_chan *c)
{
	return c->fd[2 * c->side + 1];
}

static int rd_fd(const struct shmring_bench_chan *c)
{
	return c->fd[2 * (1 - c->side)];
}

static void close_fds(struct shmring_bench_chan *c, int keep_a, int keep_b)
{
	for (int i = 0; i < 4; i++) {
		int fd = c->fd[i];

		if (fd < 0 || fd == keep_a || fd == keep_b)
			continue;
		close(fd);
		/* The same descriptor may sit in two entries: forget it in all. */
		for (int j = i; j < 4; j++)
			if (c->fd[j] == fd)
				c->fd[j] = -1;
	}
}

static int fd_attach(struct shmring_bench_chan *c)
{
	close_fds(c, wr_fd(c), rd_fd(c));
	return 0;
}

static void fd_detach(struct shmring_bench_chan *c)
{
	close_fds(c, -1, -1);
}

static void fd_teardown(struct shmring_bench_chan *c)
{
	close_fds(c, -1, -1);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	int rc;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if ((rc = shmring_bench_call_failed()) != 0)
				return rc;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	int rc;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if ((rc = shmring_bench_call_failed()) != 0)
				return rc;
			continue;
		}
		if (n == 0)
			return -EPIPE; /* the peer closed its end */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int stream_send(struct shmring_bench_chan *c, const void *msg)
{
	return write_all(wr_fd(c), msg, c->size);
}

static int stream_recv(struct shmring_bench_chan *c, void *msg)
{
	return read_all(rd_fd(c), msg, c->size);
}

/* Datagram and seqpacket keep message boundaries: one call, whole message. */
static int packet_send(struct shmring_bench_chan *c, const void *msg)
{
	int rc;

	for (;;) {
		ssize_t n = send(wr_fd(c), msg, c->size, 0);

		if (n == (ssize_t)c->size)
			return 0;
		if (n >= 0)
			return -EMSGSIZE;
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	}
}

static int packet_recv(struct shmring_bench_chan *c, void *msg)
{
	int rc;

	for (;;) {
		ssize_t n = recv(rd_fd(c), msg, c->size, MSG_TRUNC);

		if (n == (ssize_t)c->size)
			return 0;
		if (n == 0)
			return -EPIPE;
		if (n > 0)
			return -EMSGSIZE;
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	}
}

/* -------------------------------------------------------------------- pipe */

static int pipe_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	int p[2], q[2];

	(void)why;
	(void)wl;
	if (pipe(p) != 0)
		return -errno;
	if (pipe(q) != 0) {
		int e = -errno;

		close(p[0]);
		close(p[1]);
		return e;
	}
	c->fd[0] = p[0];
	c->fd[1] = p[1];
	c->fd[2] = q[0];
	c->fd[3] = q[1];
	return 0;
}

const struct shmring_bench_mech shmring_bench_mech_pipe = {
	.name = "pipe",
	.desc = "anonymous pipe, one per direction",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = pipe_setup,
	.attach = fd_attach,
	.send = stream_send,
	.recv = stream_recv,
	.detach = fd_detach,
	.teardown = fd_teardown,
};

/* -------------------------------------------------------------------- FIFO */

struct fifo_priv {
	char path[2][128];
	int obj[2];
};

static void fifo_teardown(struct shmring_bench_chan *c)
{
	struct fifo_priv *f = c->priv;

	close_fds(c, -1, -1);
	shmring_bench_priv_free(&c->priv, f ? f->obj : NULL, 2);
}

static int fifo_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	struct fifo_priv *f = calloc(1, sizeof(*f));
	const char *dir = getenv("TMPDIR");

	if (!f)
		return -ENOMEM;
	f->obj[0] = f->obj[1] = -1;
	c->priv = f;
	if (!dir || !*dir)
		dir = "/tmp";
	for (int d = 0; d < 2; d++) {
		char name[64];

		shmring_bench_name(name, sizeof(name), d ? "-fifo1" : "-fifo0");
		snprintf(f->path[d], sizeof(f->path[d]), "%s%s", dir, name);
		if (mkfifo(f->path[d], 0600) != 0) {
			int e = -errno;

			snprintf(why, wl, "mkfifo %s: %s", f->path[d], strerror(-e));
			fifo_teardown(c);
			return e;
		}
		f->obj[d] = shmring_bench_obj_add(SHMRING_BENCH_OBJ_PATH, f->path[d], 0);
	}
	return 0;
}

static int open_retry(const char *path, int flags)
{
	int rc;

	for (;;) {
		int fd = open(path, flags | O_CLOEXEC);

		if (fd >= 0)
			return fd;
		if ((rc = shmring_bench_call_failed()) != 0)
			return rc;
	}
}

static int fifo_attach(struct shmring_bench_chan *c)
{
	struct fifo_priv *f = c->priv;
	int s = c->side, w, r;

	/* Opening a FIFO blocks until the other end opens it: side 0 opens
	 * its write end first and side 1 its read end first, so the two
	 * processes meet on the same FIFO each time and never deadlock. */
	if (s == 0) {
		w = open_retry(f->path[0], O_WRONLY);
		if (w < 0)
			return w;
		r = open_retry(f->path[1], O_RDONLY);
	} else {
		r = open_retry(f->path[0], O_RDONLY);
		if (r < 0)
			return r;
		w = open_retry(f->path[1], O_WRONLY);
	}
	if (r < 0 || w < 0) {
		if (r >= 0)
			close(r);
		if (w >= 0)
			close(w);
		return r < 0 ? r : w;
	}
	c->fd[2 * s + 1] = w;
	c->fd[2 * (1 - s)] = r;
	return 0;
}

const struct shmring_bench_mech shmring_bench_mech_fifo = {
	.name = "fifo",
	.desc = "named FIFO (mkfifo), one per direction",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = fifo_setup,
	.attach = fifo_attach,
	.send = stream_send,
	.recv = stream_recv,
	.detach = fd_detach,
	.teardown = fifo_teardown,
};

/* ------------------------------------------------------ Unix socket pairs */

static void pair_to_fds(struct shmring_bench_chan *c, const int sv[2])
{
	/* Side 0 writes direction 0 and reads direction 1 on sv[0]. */
	c->fd[1] = c->fd[2] = sv[0];
	c->fd[3] = c->fd[0] = sv[1];
}

static int sockpair_setup(struct shmring_bench_chan *c, int type, char *why, size_t wl)
{
	int sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) {
		int e = -errno;

		snprintf(why, wl, "socketpair: %s", strerror(-e));
		return e;
	}
	if (type != SOCK_STREAM && c->size > 32768) {
		/* A datagram must fit the socket buffer whole. */
		int buf = (int)c->size * 4;

		for (int i = 0; i < 2; i++) {
			setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
			setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		}
	}
	pair_to_fds(c, sv);
	return 0;
}

static int ustream_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return sockpair_setup(c, SOCK_STREAM, why, wl);
}

static int udgram_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return sockpair_setup(c, SOCK_DGRAM, why, wl);
}

static int useqpacket_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	return sockpair_setup(c, SOCK_SEQPACKET, why, wl);
}

const struct shmring_bench_mech shmring_bench_mech_unix_stream = {
	.name = "unix-stream",
	.desc = "Unix stream socketpair",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = ustream_setup,
	.attach = fd_attach,
	.send = stream_send,
	.recv = stream_recv,
	.detach = fd_detach,
	.teardown = fd_teardown,
};

const struct shmring_bench_mech shmring_bench_mech_unix_dgram = {
	.name = "unix-dgram",
	.desc = "Unix datagram socketpair",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = udgram_setup,
	.attach = fd_attach,
	.send = packet_send,
	.recv = packet_recv,
	.detach = fd_detach,
	.teardown = fd_teardown,
};

const struct shmring_bench_mech shmring_bench_mech_unix_seqpacket = {
	.name = "unix-seqpacket",
	.desc = "Unix seqpacket socketpair",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = useqpacket_setup,
	.attach = fd_attach,
	.send = packet_send,
	.recv = packet_recv,
	.detach = fd_detach,
	.teardown = fd_teardown,
};

/* --------------------------------------------------------------------- TCP */

static int tcp_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1, e = 0;
	int l = -1, sv[2] = {-1, -1};

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) != 0)
		goto fail;
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A connect to a listening loopback socket completes from the backlog,
	 * so one process can make both ends before the fork. */
	if (sv[0] < 0 || connect(sv[0], (struct sockaddr *)&a, sizeof(a)) != 0)
		goto fail;
	sv[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (sv[1] < 0)
		goto fail;
	close(l);
	for (int i = 0; i < 2; i++)
		setsockopt(sv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pair_to_fds(c, sv);
	return 0;
fail:
	e = -errno;
	snprintf(why, wl, "TCP loopback: %s", strerror(-e));
	if (l >= 0)
		close(l);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	return e;
}

const struct shmring_bench_mech shmring_bench_mech_tcp = {
	.name = "tcp",
	.desc = "TCP over loopback, TCP_NODELAY",
	.modes = SHMRING_BENCH_RTT | SHMRING_BENCH_TPUT,
	.setup = tcp_setup,
	.attach = fd_attach,
	.send = stream_send,
	.recv = stream_recv,
	.detach = fd_detach,
	.teardown = fd_teardown,
};

/* ----------------------------------------------------------------- eventfd */

static int efd_setup(struct shmring_bench_chan *c, char *why, size_t wl)
{
	int a = eventfd(0, EFD_CLOEXEC);
	int b = a < 0 ? -1 : eventfd(0, EFD_CLOEXEC);

	if (b < 0) {
		int e = -errno;

		if (a >= 0)
			close(a);
		snprintf(why, wl, "eventfd: %s", strerror(-e));
		return e;
	}
	c->fd[0] = c->fd[1] = a;
	c->fd[2] = c->fd[3] = b;
	return 0;
}

/* An eventfd carries one 64-bit counter: the message is its value (the
 * sequence number, never 0). */
static int efd_send(struct shmring_bench_chan *c, const void *msg)
{
	return write_all(wr_fd(c), msg, 8);
}

static int efd_recv(struct shmring_bench_chan *c, void *msg)
{
	return read_all(rd_fd(c), msg, 8);
}

const struct shmring_bench_mech shmring_bench_mech_eventfd = {
	.name = "eventfd",
	.desc = "eventfd, one per direction; the value is the message",
	.modes = SHMRING_BENCH_RTT,
	.max_size = 8,
	.why_not_tput = "an eventfd adds up writes that were not read yet: no message stream",
	.setup = efd_setup,
	.attach = fd_attach,
	.send = efd_send,
	.recv = efd_recv,
	.detach = fd_detach,
	.teardown = fd_teardown,
};
