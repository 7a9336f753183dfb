/* SPDX-License-Identifier: MIT */
/*
 * tests/sock_helpers.h - what the socket channel tests share: channel names
 * no other test uses (a unix path under /tmp removed at exit, an abstract
 * name, a free loopback TCP port) and a raw client that speaks the wire
 * format by hand (src/sock.h) to misbehave on purpose.
 */
#ifndef SHMRING_TESTS_SOCK_HELPERS_H
#define SHMRING_TESTS_SOCK_HELPERS_H

#include "helpers.h"
#include "src/sock.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

enum { TS_UNIX, TS_ABSTRACT, TS_TCP };

#define TS_MAX_PATHS 64

struct ts_paths {
	pid_t owner;
	int n;
	char path[TS_MAX_PATHS][108];
};

static inline struct ts_paths *ts__paths(void)
{
	static struct ts_paths p;

	return &p;
}

static inline void ts__unlink_all(void)
{
	struct ts_paths *p = ts__paths();

	if (p->owner != getpid())
		return;
	for (int i = 0; i < p->n; i++)
		unlink(p->path[i]);
}

/* A loopback TCP port nobody listens on now. */
static inline unsigned ts_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	if (!port) {
		fprintf(stderr, "ts_free_port: %s\n", strerror(errno));
		abort();
	}
	return port;
}

/* A channel name of transport t for this test ("unix:/tmp/...",
 * "unix:@...", "tcp:127.0.0.1:PORT"); valid until the process ends. */
static inline const char *ts_uri(int t, const char *tag)
{
	static char uris[TS_MAX_PATHS][160];
	static int next;
	struct ts_paths *p = ts__paths();
	const char *prefix = getenv("SHMRING_TEST_PREFIX");
	char *u = uris[next++ % TS_MAX_PATHS];

	if (!prefix || !*prefix)
		prefix = "shmt";
	if (p->owner != getpid()) {
		p->owner = getpid();
		p->n = 0;
		atexit(ts__unlink_all);
	}
	if (t == TS_UNIX) {
		snprintf(p->path[p->n % TS_MAX_PATHS], sizeof(p->path[0]), "/tmp/%s-%d-%s-%d.sock",
			 prefix, (int)getpid(), tag, p->n);
		snprintf(u, 160, "unix:%s", p->path[p->n % TS_MAX_PATHS]);
		p->n++;
	} else if (t == TS_ABSTRACT) {
		snprintf(u, 160, "unix:@%s-%d-%s-%d", prefix, (int)getpid(), tag, next);
	} else {
		snprintf(u, 160, "tcp:127.0.0.1:%u", ts_free_port());
	}
	return u;
}

static inline const char *ts_name(int t)
{
	return t == TS_UNIX ? "unix" : t == TS_ABSTRACT ? "unix-abstract" : "tcp";
}

/* --- A raw client ------------------------------------------------------------ */

/* Connect to the listener of uri with a plain socket: the fd or -errno. */
static inline int ts_raw_connect(const char *uri)
{
	struct shmring_sock_uri u;
	int fd;

	if (shmring__sock_uri_parse(uri, &u) < 0)
		return -EINVAL;
	if (u.transport == SHMRING_TRANSPORT_UNIX) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		socklen_t len;

		fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (u.abstract) {
			memcpy(sa.sun_path + 1, u.name, strlen(u.name));
			len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(u.name));
		} else {
			strcpy(sa.sun_path, u.name);
			len = sizeof(sa);
		}
		if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
			int rc = -errno;

			close(fd);
			return rc;
		}
		return fd;
	}
	{
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(u.port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			int rc = -errno;

			close(fd);
			return rc;
		}
		return fd;
	}
}

/* Send a producer's handshake and read the answer: 0 (accepted) or the
 * refusal. */
static inline int ts_raw_hello(int fd)
{
	struct shmring_sock_hello h = {.version = SHMRING_SOCK_VERSION, .type = SHMRING_SOCK_HELLO,
				       .role = SHMRING_PRODUCER};
	struct shmring_sock_hello a;
	struct shmring_sock_params got;
	uint8_t b[SHMRING_SOCK_HELLO_LEN];
	size_t n = 0;

	shmring__sock_hello_encode(&h, b);
	if (send(fd, b, sizeof(b), MSG_NOSIGNAL) != (ssize_t)sizeof(b))
		return -errno;
	while (n < sizeof(b)) {
		ssize_t k = recv(fd, b + n, sizeof(b) - n, 0);

		if (k <= 0)
			return -EPROTO;
		n += (size_t)k;
	}
	if (shmring__sock_hello_decode(b, n, &a) < 0)
		return -EPROTO;
	return shmring__sock_reply_check(&a, &h, &got);
}

/* Wait up to ms for the other end to close fd: true if it did. */
static inline bool ts_raw_closed(int fd, unsigned ms)
{
	uint64_t end = test_now_ns() + (uint64_t)ms * 1000000u;
	char b[256];

	while (test_now_ns() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t k;

		if (poll(&p, 1, 10) <= 0)
			continue;
		k = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
	return false;
}

#endif /* SHMRING_TESTS_SOCK_HELPERS_H */
