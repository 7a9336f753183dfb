/* SPDX-License-Identifier: MIT */
/*
 * src/sock.c - the socket channel: a shmring_t whose messages travel over
 * AF_UNIX SOCK_SEQPACKET or TCP connections (see "Socket channels" in
 * shmring/ring.h, the wire format in src/sock_proto.c, and
 * docs/INTERNALS.md).
 *
 * The listener (shmring_create) is the consumer. A thread of its own accepts
 * connections and runs their handshakes, so that an open never waits for
 * the consumer to call in; connections that pass are handed over (a queue
 * under a mutex and an eventfd) to the data path, which runs in the
 * caller's receive calls only: an epoll set over the connections, served in
 * turn. Each connector (shmring_open) is one producer on one socket.
 *
 * Costs, against the raw socket: a single send is one send(2) (unix) or one
 * sendmsg(2) of header and payload (tcp); bursts and bulks one
 * sendmmsg(2)/sendmsg(2) per 64 messages. A receive is one recv(2) from a
 * connection known readable (unix; recvmmsg(2) for bursts) or a copy out
 * of a 64 KiB read buffer (tcp); the listener asks epoll only when no
 * connection is known readable, and every 32 messages when it has several.
 * A blocking receive on a single-producer channel sleeps in recv(2) itself
 * (SO_RCVTIMEO for a deadline), as a plain reader does; otherwise an empty
 * channel costs a recv(2) that finds nothing and an epoll_wait(2) before
 * the one that takes the message.
 */
#include "src/internal.h"
#include "src/sock.h"

#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define SOCK_BACKLOG 128 /* connections the kernel holds before the acceptor takes them */
#define SOCK_DIR_LOCK_NS UINT64_C(2000000000) /* a create's wait for its directory's turn */
#define SOCK_HANDSHAKE_NS UINT64_C(5000000000) /* an open's, and a pending accept's */
#define SOCK_CLOSE_NS UINT64_C(5000000000)     /* close finishing a partial send */
#define SOCK_MAX_CONNS 1024u
#define SOCK_PENDING_MAX 64u /* handshakes in progress at once */
#define SOCK_ACCEPT_RETRY_NS UINT64_C(100000000) /* accept again, out of descriptors */
/* With SOCK_PENDING_MAX handshakes pending, one that has waited this long
 * makes room for a new connection. */
#define SOCK_EVICT_NS UINT64_C(500000000)
#define SOCK_RBUF 65536u     /* tcp read buffer */
#define SOCK_BATCH 64u       /* messages per sendmmsg/recvmmsg/sendmsg */
#define SOCK_FAIR 32u        /* messages between looks for other readable connections */
/*
 * A connection its listener has closed takes writes until the listener's
 * kernel answers one with a reset: a message sent in between is taken and
 * lost without a word, and when it is a sender's last (a bridge's END)
 * nothing follows to fail. A send that comes this long after the one before
 * first asks the kernel whether the listener's close has come (one poll());
 * the sends of a stream skip the look and learn of a close from the errors
 * of the sends after it.
 */
#define SOCK_QUIET_NS UINT64_C(50000)

/* --- Buffers --------------------------------------------------------------- */

/* Bytes [off, len) of p are in use. */
struct sbuf {
	uint8_t *p;
	size_t off, len, cap;
};

/* Room for `more` bytes after len: 0 or -ENOMEM. */
static int sbuf_room(struct sbuf *b, size_t more)
{
	if (b->off == b->len)
		b->off = b->len = 0;
	if (b->cap - b->len >= more)
		return 0;
	if (b->off) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= more)
			return 0;
	}
	if (more > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	{
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap - b->len < more)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	return 0;
}

static int sbuf_put(struct sbuf *b, const void *d, size_t n)
{
	int rc = sbuf_room(b, n);

	if (rc == 0 && n) {
		memcpy(b->p + b->len, d, n);
		b->len += n;
	}
	return rc;
}

static void sbuf_free(struct sbuf *b)
{
	free(b->p);
	*b = (struct sbuf){0};
}

/* --- Messages in and out --------------------------------------------------- */

/* Where the messages of one call come from or go to. */
struct msgs {
	uint8_t *base;              /* fixed kinds: n slots of slot_size bytes */
	struct shmring_msgvec *v;   /* MSG */
	unsigned n;
};

static void *msg_buf(const struct msgs *m, uint32_t slot, unsigned i, size_t *len)
{
	if (m->v) {
		*len = m->v[i].len;
		return m->v[i].buf;
	}
	*len = slot;
	return m->base + (size_t)i * slot;
}

static uint32_t msg_type(const struct msgs *m, unsigned i)
{
	return m->v ? m->v[i].type : 0;
}

/* --- State ----------------------------------------------------------------- */

struct conn {
	int fd;
	bool ready;     /* readable for all we know (epoll said so, no EAGAIN since) */
	bool eof;       /* tcp: the peer closed; what rb holds is still served */
	struct sbuf rb; /* tcp: bytes received, not yet taken */
	uint32_t timeo_ms; /* its SO_RCVTIMEO now (0: none) */
};

struct shmring_sock {
	uint32_t transport;
	bool listener;
	bool fixed;     /* a fixed kind: every message slot_size bytes */
	struct shmring_sock_params p;
	/* The atomics below are counts and looks read by another thread
	 * (shmring_info(), the acceptor, a look without the mutex); what they
	 * count is handed over under `mu` or stays in the caller's thread, so
	 * none of them publishes data. */
	_Atomic uint64_t moved; /* messages sent / received by this handle */

	/* Connector. */
	int fd;
	atomic_bool gone; /* the listener closed our connection */
	uint64_t last_send_ns; /* when con_send() last ran (SOCK_QUIET_NS) */
	struct sbuf out; /* taken by a send, not yet written: tcp bytes, unix
			  * records of u32 length + packet */

	/* Listener: shared with the acceptor thread. */
	int lfd, epfd, evfd, stopfd;
	pthread_t thr;
	bool thr_on;
	pthread_mutex_t mu;
	int *q;          /* connections handed over (mu) */
	unsigned qn, qcap;
	_Atomic unsigned queued; /* qn, for a look without the mutex */
	_Atomic uint64_t accepted, refused, errors;
	int sole_dup;    /* acceptor: the single producer's socket (a dup), -1 */

	/* Listener: the data path (the caller's thread). */
	struct conn **conns;
	unsigned nconns, conncap, cur;
	_Atomic unsigned nconns_seen; /* nconns, for shmring_info() */
	unsigned since_look;
	bool saw_producer;
	struct sbuf stash; /* received, not yet taken: tcp frames */
	_Atomic unsigned stash_n;
	uint8_t *scratch;  /* unix MSG: a record's bytes past a short buffer */
	struct shmring_msgvec *kept; /* MSG bulk: the caller's vector as given, put back
				      * when the bulk takes none */
	unsigned nkept;               /* its room, in entries */
};

static bool many_producers(const struct shmring_sock *s)
{
	return s->p.flags & SHMRING_CREATE_MULTI_PRODUCER;
}

static uint64_t now_ns(void)
{
	return shmring__now_ns();
}

/* Milliseconds until deadline for poll/epoll (rounded up; -1: forever). */
static int ms_until(uint64_t deadline)
{
	uint64_t now, ms;

	if (deadline == SHMRING_NO_DEADLINE)
		return -1;
	now = now_ns();
	if (deadline <= now)
		return 0;
	ms = (deadline - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* --- Addresses ------------------------------------------------------------- */

static socklen_t unix_addr(const struct shmring_sock_uri *u, struct sockaddr_un *sa)
{
	size_t n = strlen(u->name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (u->abstract) {
		memcpy(sa->sun_path + 1, u->name, n);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	}
	memcpy(sa->sun_path, u->name, n + 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

static int tcp_resolve(const struct shmring_sock_uri *u, bool passive, struct addrinfo **res)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)};
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", (unsigned)u->port);
	rc = getaddrinfo(u->name, port, &hints, res);
	if (rc == 0)
		return 0;
	if (rc == EAI_SYSTEM)
		return -errno;
	if (rc == EAI_AGAIN)
		return -EAGAIN;
	if (rc == EAI_MEMORY)
		return -ENOMEM;
	return -ENXIO; /* no such host: not -ENOENT, which says nobody listens */
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* Each message goes out at once: the channel batches where the
	 * caller does (bursts), never by waiting. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* --- The handle ------------------------------------------------------------ */

static void sock_free(struct shmring_sock *s)
{
	if (s->conns) {
		for (unsigned i = 0; i < s->nconns; i++) {
			close_fd(&s->conns[i]->fd);
			sbuf_free(&s->conns[i]->rb);
			free(s->conns[i]);
		}
		free(s->conns);
	}
	for (unsigned i = 0; i < s->qn; i++)
		close(s->q[i]);
	free(s->q);
	close_fd(&s->fd);
	close_fd(&s->lfd);
	close_fd(&s->epfd);
	close_fd(&s->evfd);
	close_fd(&s->stopfd);
	close_fd(&s->sole_dup);
	sbuf_free(&s->out);
	sbuf_free(&s->stash);
	free(s->scratch);
	free(s->kept);
	free(s);
}

static struct shmring_sock *sock_new(uint32_t transport)
{
	struct shmring_sock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->transport = transport;
	s->fd = s->lfd = s->epfd = s->evfd = s->stopfd = s->sole_dup = -1;
	return s;
}

static int handle_new(struct shmring_sock *s, unsigned role, shmring_t **out)
{
	shmring_t *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->sock = s;
	r->pid = getpid();
	r->role = role;
	r->part[0] = r->part[1] = -1;
	r->hdr.kind = s->p.kind;
	r->hdr.slot_size = s->p.slot_size;
	r->hdr.capacity = s->p.capacity;
	s->fixed = s->p.kind != SHMRING_KIND_MSG;
	shmring__waiter_init(&r->wait, SHMRING_WAIT_ADAPTIVE, 0);
	*out = r;
	return 0;
}

/* --- Listener: the acceptor thread ----------------------------------------- */

/* A connection whose handshake has not come in yet. */
struct pending {
	int fd;
	uint64_t deadline;
	size_t got;
	uint8_t b[SHMRING_SOCK_HELLO_LEN];
};

/* Whether the other end of connection fd has closed it (its close, or its
 * kernel's reset, has come), without waiting. */
static bool peer_closed(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Single-producer kinds: is the producer connected now still there? */
static bool sole_busy(struct shmring_sock *s)
{
	if (many_producers(s) || s->sole_dup < 0)
		return false;
	if (peer_closed(s->sole_dup)) {
		close_fd(&s->sole_dup);
		return false;
	}
	return true;
}

static void reply(int fd, const struct shmring_sock_hello *h)
{
	uint8_t b[SHMRING_SOCK_HELLO_LEN];

	shmring__sock_hello_encode(h, b);
	/* A fresh socket has room for it; one that has none is a peer that
	 * sent more than a handshake, whose open fails on its own. */
	(void)!send(fd, b, sizeof(b), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* The hello of pd is complete (len bytes): accept or refuse it. */
static void judge(struct shmring_sock *s, struct pending *pd, size_t len)
{
	struct shmring_sock_hello h, a = {.version = SHMRING_SOCK_VERSION};
	int rc = shmring__sock_hello_decode(pd->b, len, &h);
	uint64_t one = 1;

	if (rc == 0)
		rc = shmring__sock_hello_check(&h, &s->p, false);
	if (rc == 0 && h.role == SHMRING_PRODUCER && sole_busy(s))
		rc = -EBUSY;
	/* Sequentially consistent (the default), both: a limit, judged on the
	 * latest counts; each is stored by the one thread that owns it. */
	if (rc == 0 && atomic_load(&s->queued) + atomic_load(&s->nconns_seen) >= SOCK_MAX_CONNS)
		rc = -EUSERS;
	/* The sole producer's duplicate is what keeps the next one out
	 * (sole_busy()): without it (no descriptor left) the connection is
	 * refused as one too many, not taken unguarded. */
	if (rc == 0 && !many_producers(s) &&
	    (s->sole_dup = fcntl(pd->fd, F_DUPFD_CLOEXEC, 0)) < 0)
		rc = -EUSERS;
	if (rc < 0) {
		a.type = SHMRING_SOCK_REFUSE;
		a.error = (uint32_t)-rc;
		/* Counted before the peer hears of it. */
		atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
		reply(pd->fd, &a);
		close_fd(&pd->fd);
		return;
	}
	a = (struct shmring_sock_hello){.version = SHMRING_SOCK_VERSION,
					.type = SHMRING_SOCK_ACCEPT, .kind = s->p.kind,
					.slot_size = s->p.slot_size, .role = s->p.role,
					.flags = s->p.flags, .capacity = s->p.capacity};

	pthread_mutex_lock(&s->mu);
	if (s->qn == s->qcap) {
		unsigned cap = s->qcap ? s->qcap * 2 : 16;
		int *q = realloc(s->q, cap * sizeof(*q));

		if (!q) {
			pthread_mutex_unlock(&s->mu);
			close_fd(&s->sole_dup);
			close_fd(&pd->fd);
			atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
			return;
		}
		s->q = q;
		s->qcap = cap;
	}
	/* Blocking from now on: every receive says MSG_DONTWAIT but the one
	 * that sleeps on a sole producer's socket (lst_sole_wait()). */
	fcntl(pd->fd, F_SETFL, 0);
	/* Queued before the answer, both under the mutex: a producer that
	 * has its answer is in the queue or taken, never neither (the
	 * consumer's end-of-stream looks at both). */
	s->q[s->qn++] = pd->fd;
	/* Sequentially consistent: the data path's look without the mutex
	 * (lst_recv(), lst_eos()) sees it no later than the answer below; the
	 * queue itself is handed over under the mutex (take_queued()). */
	atomic_store(&s->queued, s->qn);
	/* Relaxed: a statistic. */
	atomic_fetch_add_explicit(&s->accepted, 1, memory_order_relaxed);
	reply(pd->fd, &a);
	pthread_mutex_unlock(&s->mu);
	pd->fd = -1;
	(void)!write(s->evfd, &one, sizeof(one));
}

/* Read what came of pd's hello: true when pd is done with (judged or closed). */
static bool pending_read(struct shmring_sock *s, struct pending *pd)
{
	ssize_t n;

	if (s->transport == SHMRING_TRANSPORT_UNIX) {
		/* One packet; MSG_TRUNC gives its real length, so a longer
		 * one is refused rather than cut to size. */
		n = recv(pd->fd, pd->b, sizeof(pd->b), MSG_DONTWAIT | MSG_TRUNC);
		if (n > 0) {
			judge(s, pd, (size_t)n);
			return true;
		}
	} else {
		n = recv(pd->fd, pd->b + pd->got, sizeof(pd->b) - pd->got, MSG_DONTWAIT);
		if (n > 0) {
			pd->got += (size_t)n;
			if (pd->got < sizeof(pd->b))
				return false;
			judge(s, pd, pd->got);
			return true;
		}
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	/* Gone (or an empty packet) before a whole handshake. */
	atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
	close_fd(&pd->fd);
	return true;
}

/*
 * With every pending slot taken, the one whose hello has been awaited
 * longest, if that is SOCK_EVICT_NS or more: its index, or np. *at: when
 * one will be (the oldest's time), for the poll's timeout.
 */
static unsigned evictable(const struct pending *pd, unsigned np, uint64_t now, uint64_t *at)
{
	unsigned old = 0;

	*at = SHMRING_NO_DEADLINE;
	if (np < SOCK_PENDING_MAX)
		return np;
	for (unsigned i = 1; i < np; i++)
		if (pd[i].deadline < pd[old].deadline)
			old = i;
	/* deadline = accepted at + SOCK_HANDSHAKE_NS */
	*at = pd[old].deadline - SOCK_HANDSHAKE_NS + SOCK_EVICT_NS;
	return now >= *at ? old : np;
}

static void *acceptor(void *arg)
{
	struct shmring_sock *s = arg;
	struct pending pd[SOCK_PENDING_MAX];
	struct pollfd pf[2 + SOCK_PENDING_MAX];
	unsigned np = 0;
	uint64_t accept_at = 0; /* out of descriptors: no accept before */

	for (;;) {
		uint64_t now = now_ns(), next = SHMRING_NO_DEADLINE, evict_at;
		bool can_accept;
		int k;

		/* A peer that never finishes its handshake is refused. */
		for (unsigned i = 0; i < np;) {
			if (now >= pd[i].deadline) {
				atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
				close_fd(&pd[i].fd);
				pd[i] = pd[--np];
				continue;
			}
			if (pd[i].deadline < next)
				next = pd[i].deadline;
			i++;
		}
		/*
		 * Full of peers that connected and never spoke (a flood): a
		 * new connection takes the place of the oldest once it has
		 * waited SOCK_EVICT_NS, so that a producer's handshake still
		 * gets through instead of waiting in the backlog until its
		 * own deadline.
		 */
		can_accept = evictable(pd, np, now, &evict_at) != np || np < SOCK_PENDING_MAX;
		if (!can_accept && evict_at < next)
			next = evict_at;
		if (now < accept_at) {
			if (can_accept && accept_at < next)
				next = accept_at;
			can_accept = false;
		}
		pf[0] = (struct pollfd){.fd = s->stopfd, .events = POLLIN};
		pf[1] = (struct pollfd){.fd = s->lfd, .events = can_accept ? POLLIN : 0};
		for (unsigned i = 0; i < np; i++)
			pf[2 + i] = (struct pollfd){.fd = pd[i].fd, .events = POLLIN};
		k = poll(pf, 2 + np, ms_until(next));
		if (k < 0 && errno != EINTR)
			break;
		if (k <= 0)
			continue;
		if (pf[0].revents)
			break;
		/* Downwards, so that the one moved into a finished entry's
		 * place has been looked at already. */
		for (unsigned i = np; i-- > 0;)
			if (pf[2 + i].revents && pending_read(s, &pd[i]))
				pd[i] = pd[--np];
		while (pf[1].revents & POLLIN) {
			unsigned old = evictable(pd, np, now_ns(), &evict_at);
			int fd;

			if (np == SOCK_PENDING_MAX && old == np)
				break; /* none has waited long enough yet */
			fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0) {
				/* The connection stays in the backlog, and the
				 * listening socket readable: polling it again at
				 * once would spin until a descriptor is free. */
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
				    errno == ENOMEM)
					accept_at = now_ns() + SOCK_ACCEPT_RETRY_NS;
				break;
			}
			if (old < np) {
				/* Its hello may have come since the poll: judged
				 * then; else refused, as at its deadline. */
				if (!pending_read(s, &pd[old])) {
					/* Relaxed: a statistic. */
					atomic_fetch_add_explicit(&s->refused, 1,
								  memory_order_relaxed);
					close_fd(&pd[old].fd);
				}
				pd[old] = pd[--np];
			}
			pd[np++] = (struct pending){.fd = fd, .deadline = now_ns() + SOCK_HANDSHAKE_NS};
		}
	}
	for (unsigned i = 0; i < np; i++)
		close_fd(&pd[i].fd);
	return NULL;
}

/* --- Listener: creating it ------------------------------------------------- */

/* Whether the socket file at sa has nobody listening on it (a listener that
 * died left it): a connect is refused. A live listener sees one connection
 * that leaves without a hello. */
static bool unix_stale(const struct sockaddr_un *sa, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool stale;

	if (fd < 0)
		return false;
	stale = connect(fd, (const struct sockaddr *)sa, len) < 0 && errno == ECONNREFUSED;
	close(fd);
	return stale;
}

/* Creators of unix:/path listeners in one directory take turns: a lock on
 * the directory of path (absolute: the name's parser sees to it). -1 (no
 * turn) where it cannot be opened, or when another process has held it for
 * SOCK_DIR_LOCK_NS: one that holds it for good (it need not be ours) makes
 * creates go on without turns, not hang. */
static int unix_dir_lock(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t n = (size_t)(strrchr(path, '/') - path);
	int fd;

	snprintf(dir, sizeof(dir), "%.*s", (int)(n ? n : 1), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (uint64_t end = now_ns() + SOCK_DIR_LOCK_NS; flock(fd, LOCK_EX | LOCK_NB) < 0;) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || now_ns() >= end) {
			close(fd);
			return -1;
		}
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	return fd;
}

/* bind(): 0, -EEXIST for a name in use, else -errno. */
static int unix_bind(int fd, const struct sockaddr_un *sa, socklen_t len)
{
	if (bind(fd, (const struct sockaddr *)sa, len) == 0)
		return 0;
	return errno == EADDRINUSE ? -EEXIST : -errno;
}

/*
 * Bind and listen on a unix: name. A socket file that nobody listens on is
 * a dead listener's and is replaced, as is any socket file with REPLACE;
 * anything else under the path is left alone (-EEXIST). The look, the
 * unlink, the bind and the listen are made in the directory's turn, so
 * that two creators do not both take a stale file for theirs, and none
 * takes one that another has bound and not yet listened on.
 */
static int listen_unix(struct shmring_sock *s, const struct shmring_sock_uri *u,
		       const struct shmring_opts *opts, bool *bound)
{
	struct sockaddr_un sa;
	socklen_t len = unix_addr(u, &sa);
	struct stat st;
	int rc, dfd = -1;

	s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0)
		return -errno;
	if (!u->abstract)
		dfd = unix_dir_lock(u->name);
	rc = unix_bind(s->lfd, &sa, len);
	if (rc == -EEXIST && !u->abstract && lstat(u->name, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    ((opts->flags & SHMRING_CREATE_REPLACE) || unix_stale(&sa, len))) {
		unlink(u->name);
		rc = unix_bind(s->lfd, &sa, len);
	}
	if (rc == 0 && !u->abstract) {
		*bound = true;
		if (chmod(u->name, opts->mode ? opts->mode : SHMRING_DEFAULT_MODE) < 0)
			rc = -errno;
	}
	if (rc == 0 && listen(s->lfd, SOCK_BACKLOG) < 0)
		rc = -errno;
	if (dfd >= 0)
		close(dfd); /* the turn ends */
	return rc;
}

static int listen_tcp(struct shmring_sock *s, const struct shmring_sock_uri *u)
{
	struct addrinfo *res, *ai;
	int rc = tcp_resolve(u, true, &res), one = 1;

	if (rc < 0)
		return rc;
	rc = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		s->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (s->lfd < 0) {
			rc = -errno;
			continue;
		}
		/* A restarted listener binds its port again at once, with
		 * the old connections still in TIME_WAIT. */
		setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s->lfd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(s->lfd, SOCK_BACKLOG) == 0) {
			rc = 0;
			break;
		}
		rc = errno == EADDRINUSE ? -EEXIST : -errno;
		close_fd(&s->lfd);
	}
	freeaddrinfo(res);
	return rc;
}

static int start_listener(struct shmring_sock *s)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	sigset_t all, old;
	int rc;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->epfd < 0 || s->evfd < 0 || s->stopfd < 0)
		return -errno;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) < 0)
		return -errno;
	if (s->transport == SHMRING_TRANSPORT_UNIX && !s->fixed) {
		s->scratch = malloc(s->p.slot_size);
		if (!s->scratch)
			return -ENOMEM;
	}
	rc = pthread_mutex_init(&s->mu, NULL);
	if (rc)
		return -rc;
	/* The thread takes no signals: they stay the application's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thr, NULL, acceptor, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_mutex_destroy(&s->mu);
		return -rc;
	}
	s->thr_on = true;
	return 0;
}

int shmring__sock_create(const char *uri, const struct shmring_opts *opts, uint32_t kind,
			 uint32_t multi, unsigned role, shmring_t **out)
{
	struct shmring_sock_uri u;
	struct shmring_sock *s;
	bool bound = false; /* a socket file of ours is there, to unlink at a failure */
	int rc = shmring__sock_uri_parse(uri, &u);

	if (rc < 0)
		return rc;
	if (role != SHMRING_CONSUMER)
		return -EOPNOTSUPP; /* the listener is the consumer */
	if ((opts->flags & ~(uint32_t)(SHMRING_CREATE_REPLACE | SHMRING_CREATE_MULTI_PRODUCER |
				       SHMRING_CREATE_MULTI_CONSUMER)) ||
	    opts->notifier != SHMRING_NOTIFIER_FUTEX)
		return -EOPNOTSUPP; /* options of a segment */
	s = sock_new(u.transport);
	if (!s)
		return -ENOMEM;
	s->listener = true;
	s->fixed = kind != SHMRING_KIND_MSG;
	s->p = (struct shmring_sock_params){.kind = kind, .slot_size = opts->slot_size,
					    .flags = multi & (SHMRING_CREATE_MULTI_PRODUCER |
							      SHMRING_CREATE_MULTI_CONSUMER),
					    .role = SHMRING_CONSUMER, .capacity = opts->capacity};
	rc = u.transport == SHMRING_TRANSPORT_UNIX ? listen_unix(s, &u, opts, &bound)
						   : listen_tcp(s, &u);
	if (rc == 0)
		rc = start_listener(s);
	if (rc == 0)
		rc = handle_new(s, role, out);
	if (rc < 0) {
		if (s->thr_on) {
			uint64_t one = 1;

			(void)!write(s->stopfd, &one, sizeof(one));
			pthread_join(s->thr, NULL);
			pthread_mutex_destroy(&s->mu);
		}
		sock_free(s);
		if (bound)
			unlink(u.name);
	}
	return rc;
}

/* --- Listener: connections ------------------------------------------------- */

/* A connection the listener cannot keep: shut down, not only closed, as in
 * conn_drop(): the acceptor may hold a duplicate (a sole producer's), and
 * the producer must see its connection end (EPIPE), not send into it. */
static void conn_refuse(struct shmring_sock *s, int fd)
{
	shutdown(fd, SHUT_RDWR);
	close(fd);
	atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
}

static void conn_add(struct shmring_sock *s, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};
	struct conn *c;

	if (s->nconns == s->conncap) {
		unsigned cap = s->conncap ? s->conncap * 2 : 16;
		struct conn **a = realloc(s->conns, cap * sizeof(*a));

		if (!a) {
			conn_refuse(s, fd);
			return;
		}
		s->conns = a;
		s->conncap = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		conn_refuse(s, fd);
		return;
	}
	c->fd = fd;
	c->ready = true; /* it may have sent already */
	ev.data.ptr = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		conn_refuse(s, fd);
		free(c);
		return;
	}
	s->conns[s->nconns++] = c;
	/* Relaxed: a copy for other threads' counts; nconns is this thread's. */
	atomic_store_explicit(&s->nconns_seen, s->nconns, memory_order_relaxed);
	s->saw_producer = true;
}

/* Take the connections the acceptor handed over. */
static void take_queued(struct shmring_sock *s)
{
	uint64_t v;

	/* The eventfd first: a hand-over after this read writes it again. */
	(void)!read(s->evfd, &v, sizeof(v));
	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < s->qn; i++)
		conn_add(s, s->q[i]);
	s->qn = 0;
	/* Sequentially consistent, as the acceptor's store; under the mutex. */
	atomic_store(&s->queued, 0);
	pthread_mutex_unlock(&s->mu);
}

/* Drop connection i; error: for what it sent (counted). */
static void conn_drop(struct shmring_sock *s, unsigned i, bool error)
{
	struct conn *c = s->conns[i];

	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	/* Shut down, not only closed: the acceptor may hold a duplicate,
	 * and the producer must see its connection end. */
	shutdown(c->fd, SHUT_RDWR);
	close(c->fd);
	sbuf_free(&c->rb);
	free(c);
	s->conns[i] = s->conns[--s->nconns];
	/* Relaxed, both: counts for other threads (see conn_add()). */
	atomic_store_explicit(&s->nconns_seen, s->nconns, memory_order_relaxed);
	if (s->cur >= s->nconns)
		s->cur = 0;
	if (error)
		atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
}

/* Mark the connections epoll reports readable; 0, or -ETIMEDOUT when
 * nothing came before deadline (0: just look). */
static int lst_poll(struct shmring_sock *s, uint64_t deadline, bool look)
{
	struct epoll_event ev[SOCK_BATCH];
	int n = epoll_wait(s->epfd, ev, SOCK_BATCH, look ? 0 : ms_until(deadline));

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr)
			((struct conn *)ev[i].data.ptr)->ready = true;
		else
			take_queued(s); /* reads the eventfd, which would stay readable */
	}
	s->since_look = 0;
	if (n == 0 && !look && deadline != SHMRING_NO_DEADLINE && now_ns() >= deadline)
		return -ETIMEDOUT;
	return 0;
}

/* --- Listener: taking messages --------------------------------------------- */

/*
 * Take whole frames from b into m[i..): the new i. *err: -EPROTO (a frame
 * that is not the channel's), -EMSGSIZE (the next record is longer than its
 * buffer: it stays in b), else unchanged.
 */
static unsigned take_frames(struct shmring_sock *s, struct sbuf *b, const struct msgs *m,
			    unsigned i, int *err)
{
	while (i < m->n) {
		uint32_t plen, type;
		long f = shmring__sock_frame_parse(b->p + b->off, b->len - b->off, s->p.slot_size,
						   s->fixed, &plen, &type);
		size_t cap;
		void *dst;

		if (f == 0)
			break;
		if (f < 0) {
			*err = -EPROTO;
			break;
		}
		dst = msg_buf(m, s->p.slot_size, i, &cap);
		if (plen > cap) {
			*err = -EMSGSIZE;
			break;
		}
		memcpy(dst, b->p + b->off + SHMRING_SOCK_FRAME_HDR, plen);
		if (m->v) {
			m->v[i].len = plen;
			m->v[i].type = type;
		}
		b->off += (size_t)f;
		i++;
	}
	return i;
}

/* Put m[from..to) back in front of the stash (a bulk that found too few). */
static int stash_unget(struct shmring_sock *s, const struct msgs *m, unsigned from, unsigned to)
{
	struct sbuf nb = {0};
	int rc = 0;

	for (unsigned i = from; i < to && rc == 0; i++) {
		uint8_t h[SHMRING_SOCK_FRAME_HDR];
		size_t len;
		const void *p = msg_buf(m, s->p.slot_size, i, &len);

		shmring__sock_frame_header(h, (uint32_t)len, msg_type(m, i));
		rc = sbuf_put(&nb, h, sizeof(h));
		if (rc == 0)
			rc = sbuf_put(&nb, p, len);
	}
	if (rc == 0)
		rc = sbuf_put(&nb, s->stash.p + s->stash.off, s->stash.len - s->stash.off);
	if (rc < 0) {
		sbuf_free(&nb);
		return rc;
	}
	sbuf_free(&s->stash);
	s->stash = nb;
	/* Relaxed: a count for shmring_count(); the stash is this thread's. */
	atomic_fetch_add_explicit(&s->stash_n, to - from, memory_order_relaxed);
	return 0;
}

/* unix: one record received past its buffer (type, then len bytes in buf
 * and the rest in scratch) waits in the stash. */
static void stash_record(struct shmring_sock *s, uint32_t type, const void *buf, size_t cap,
			 size_t len)
{
	uint8_t h[SHMRING_SOCK_FRAME_HDR];

	shmring__sock_frame_header(h, (uint32_t)len, type);
	if (sbuf_room(&s->stash, sizeof(h) + len) < 0)
		return; /* out of memory: the record is lost, as a connection error */
	sbuf_put(&s->stash, h, sizeof(h));
	sbuf_put(&s->stash, buf, cap);
	sbuf_put(&s->stash, s->scratch, len - cap);
	/* Relaxed: as in stash_unget(). */
	atomic_fetch_add_explicit(&s->stash_n, 1, memory_order_relaxed);
}

/* A SEQPACKET read of 0 bytes: the end of the connection, or an empty
 * packet (not a message of any kind). */
static int unix_zero(int fd)
{
	return peer_closed(fd) ? -EPIPE : -EPROTO;
}

/*
 * unix: receive into m[i..) from c: the new i. *st: 0 (m is full), -EAGAIN,
 * -EPIPE (closed), -EPROTO (a packet that is not the channel's), -EMSGSIZE.
 * wait: MSG_DONTWAIT, or MSG_WAITFORONE to sleep until something comes.
 * A sleep a signal ends is -EAGAIN, not restarted: the socket's receive
 * timeout (SO_RCVTIMEO) would start again in full, and signals that come
 * more often than it would keep the caller past its deadline for ever.
 */
static unsigned unix_recv(struct shmring_sock *s, struct conn *c, const struct msgs *m,
			  unsigned i, int *st, int wait)
{
	struct mmsghdr mh[SOCK_BATCH];
	struct iovec iov[SOCK_BATCH][3];
	uint8_t types[SOCK_BATCH][SHMRING_SOCK_PACKET_HDR];
	uint32_t slot = s->p.slot_size;
	unsigned want = m->n - i < SOCK_BATCH ? m->n - i : SOCK_BATCH, j;
	int n;

	if (s->fixed && want == 1) {
		ssize_t k;

		do
			k = recv(c->fd, m->base + (size_t)i * slot, slot,
				 (wait & MSG_DONTWAIT) | MSG_TRUNC);
		while (k < 0 && errno == EINTR && (wait & MSG_DONTWAIT));
		if (k < 0) {
			*st = errno == EAGAIN || errno == EINTR ? -EAGAIN : -EPIPE;
			return i;
		}
		if (k == 0) {
			*st = unix_zero(c->fd);
			return i;
		}
		*st = shmring__sock_packet_check((size_t)k, slot, true);
		return *st ? i : i + 1;
	}
	memset(mh, 0, sizeof(mh[0]) * want);
	for (j = 0; j < want; j++) {
		size_t cap;
		void *p = msg_buf(m, slot, i + j, &cap);

		mh[j].msg_hdr.msg_iov = iov[j];
		if (s->fixed) {
			iov[j][0] = (struct iovec){.iov_base = p, .iov_len = slot};
			mh[j].msg_hdr.msg_iovlen = 1;
			continue;
		}
		iov[j][0] = (struct iovec){.iov_base = types[j], .iov_len = sizeof(types[j])};
		iov[j][1] = (struct iovec){.iov_base = p, .iov_len = cap < slot ? cap : slot};
		mh[j].msg_hdr.msg_iovlen = 2;
		if (cap < slot) {
			/* The rest of a longer record lands in scratch: one
			 * such buffer per call, so it ends the batch. */
			iov[j][2] = (struct iovec){.iov_base = s->scratch, .iov_len = slot - cap};
			mh[j].msg_hdr.msg_iovlen = 3;
			want = j + 1;
			break;
		}
	}
	do
		n = want == 1 ? (int)recvmsg(c->fd, &mh[0].msg_hdr, (wait & MSG_DONTWAIT) | MSG_TRUNC)
			      : recvmmsg(c->fd, mh, want, wait | MSG_TRUNC, NULL);
	while (n < 0 && errno == EINTR && (wait & MSG_DONTWAIT));
	if (n < 0) {
		*st = errno == EAGAIN || errno == EINTR ? -EAGAIN : -EPIPE;
		return i;
	}
	if (want == 1)
		mh[0].msg_len = (unsigned)n, n = 1;
	for (j = 0; j < (unsigned)n; j++) {
		size_t len = mh[j].msg_len, cap;
		void *p;
		uint32_t type;

		if (len == 0) {
			*st = unix_zero(c->fd);
			return i;
		}
		if (shmring__sock_packet_check(len, slot, s->fixed) < 0) {
			*st = -EPROTO;
			return i;
		}
		if (s->fixed) {
			i++;
			continue;
		}
		p = msg_buf(m, slot, i, &cap);
		len -= SHMRING_SOCK_PACKET_HDR;
		type = (uint32_t)types[j][0] | (uint32_t)types[j][1] << 8 |
		       (uint32_t)types[j][2] << 16 | (uint32_t)types[j][3] << 24;
		if (len > cap) {
			stash_record(s, type, p, cap, len);
			*st = -EMSGSIZE;
			return i;
		}
		m->v[i].len = len;
		m->v[i].type = type;
		i++;
	}
	*st = i == m->n ? 0 : -EAGAIN;
	if (*st == -EAGAIN && (unsigned)n == want)
		*st = 0; /* a full batch: there may be more, come back */
	return i;
}

/* tcp: as unix_recv(), through the connection's read buffer. */
static unsigned tcp_recv(struct shmring_sock *s, struct conn *c, const struct msgs *m,
			 unsigned i, int *st, int wait)
{
	size_t room = SOCK_RBUF > SHMRING_SOCK_FRAME_HDR + s->p.slot_size
			      ? SOCK_RBUF
			      : SHMRING_SOCK_FRAME_HDR + s->p.slot_size;

	for (;;) {
		int err = 0;
		ssize_t n;

		i = take_frames(s, &c->rb, m, i, &err);
		if (err) {
			*st = err;
			return i;
		}
		if (i == m->n) {
			*st = 0;
			return i;
		}
		if (c->eof) {
			/* A stream that stops inside a frame is an error. */
			*st = c->rb.len > c->rb.off ? -EPROTO : -EPIPE;
			return i;
		}
		if (sbuf_room(&c->rb, room) < 0) {
			*st = -EPIPE;
			return i;
		}
		n = recv(c->fd, c->rb.p + c->rb.len, c->rb.cap - c->rb.len,
			 wait & MSG_DONTWAIT);
		if (n > 0) {
			c->rb.len += (size_t)n;
			/* Slept once: the rest of a frame is not waited for
			 * here, or a peer trickling bytes would hold the
			 * caller past its deadline (each receive restarts
			 * SO_RCVTIMEO); the caller sleeps again if it may. */
			wait = MSG_DONTWAIT;
		} else if (n == 0) {
			c->eof = true;
		} else if (errno != EINTR || !(wait & MSG_DONTWAIT)) {
			*st = errno == EAGAIN || errno == EINTR ? -EAGAIN : -EPIPE;
			return i;
		}
	}
}

/* Receive into m[i..) from the connections in turn: the new i. */
static unsigned conns_recv(struct shmring_sock *s, const struct msgs *m, unsigned i, bool look,
			   int *err)
{
	bool looked = false;

	while (i < m->n && s->nconns) {
		unsigned k, start = i;
		struct conn *c = NULL;
		int st = 0;

		/* Others may be readable too: ask epoll now and then. */
		if (look && !looked && s->nconns > 1 && s->since_look >= SOCK_FAIR) {
			lst_poll(s, 0, true);
			looked = true;
		}
		for (k = 0; k < s->nconns; k++) {
			unsigned idx = (s->cur + k) % s->nconns;

			if (s->conns[idx]->ready) {
				s->cur = idx;
				c = s->conns[idx];
				break;
			}
		}
		if (!c) {
			if (!look || looked)
				break;
			lst_poll(s, 0, true);
			looked = true;
			continue;
		}
		i = s->transport == SHMRING_TRANSPORT_UNIX ? unix_recv(s, c, m, i, &st, MSG_DONTWAIT)
							   : tcp_recv(s, c, m, i, &st, MSG_DONTWAIT);
		s->since_look += i - start;
		if (st == -EMSGSIZE) {
			*err = st;
			break; /* this connection's next record first, next time */
		}
		if (st == -EPROTO || st == -EPIPE) {
			conn_drop(s, s->cur, st == -EPROTO);
			continue;
		}
		if (st == -EAGAIN)
			c->ready = false;
		/* In turn: the next call starts with the next connection. */
		s->cur = (s->cur + 1) % s->nconns;
	}
	return i;
}

static bool lst_eos(struct shmring_sock *s)
{
	/* queued: sequentially consistent, against the acceptor's store before
	 * its answer; stash_n: relaxed, this thread's own count. */
	return s->saw_producer && s->nconns == 0 && atomic_load(&s->queued) == 0 &&
	       atomic_load_explicit(&s->stash_n, memory_order_relaxed) == 0;
}

/* Receive into m: the count, or when none: -EAGAIN, -EPIPE, -EMSGSIZE. */
static int lst_recv(struct shmring_sock *s, const struct msgs *m, bool all, bool look)
{
	int err = 0;
	unsigned i;

	/* A MSG bulk writes lengths and types into the caller's vector as it
	 * takes records; one that takes none leaves the vector as given, as a
	 * ring's does. */
	if (all && m->v && m->n > 1) {
		if (m->n > s->nkept) {
			struct shmring_msgvec *k = realloc(s->kept, m->n * sizeof(*k));

			if (!k)
				return -ENOMEM;
			s->kept = k;
			s->nkept = m->n;
		}
		memcpy(s->kept, m->v, m->n * sizeof(*m->v));
	}
	/* Relaxed: a look; take_queued() takes the queue under the mutex. */
	if (atomic_load_explicit(&s->queued, memory_order_relaxed))
		take_queued(s);
	i = take_frames(s, &s->stash, m, 0, &err);
	if (i)
		/* Relaxed: as in stash_unget(). */
		atomic_fetch_sub_explicit(&s->stash_n, i, memory_order_relaxed);
	if (!err && i < m->n)
		i = conns_recv(s, m, i, look, &err);
	/* A bulk short of n puts back what it took, unless every producer has
	 * gone (nothing more will come): then it takes what is left, as a
	 * read of a pipe does, and the next call says end-of-stream. */
	/* queued: as in lst_eos(). */
	if (all && i < m->n && i &&
	    !(s->saw_producer && s->nconns == 0 && atomic_load(&s->queued) == 0)) {
		if (stash_unget(s, m, 0, i) < 0)
			return -ENOMEM;
		if (m->v)
			memcpy(m->v, s->kept, i * sizeof(*m->v));
		i = 0;
	}
	if (i) {
		atomic_fetch_add_explicit(&s->moved, i, memory_order_relaxed);
		return (int)i;
	}
	if (err)
		return err;
	return lst_eos(s) ? -EPIPE : -EAGAIN;
}

/*
 * The one connection of a single-producer channel, nothing kept, one
 * message: sleep in the receive itself, as a plain socket reader does (one
 * system call per message). The producer's going ends the receive, and no
 * other can connect before it has gone.
 */
static bool lst_sole_wait(struct shmring_sock *s, const struct msgs *m)
{
	/* Relaxed, both: looks, as in lst_recv(). */
	return m->n == 1 && !many_producers(s) && s->nconns == 1 &&
	       !atomic_load_explicit(&s->queued, memory_order_relaxed) &&
	       !atomic_load_explicit(&s->stash_n, memory_order_relaxed);
}

/*
 * Bound that receive by the deadline with SO_RCVTIMEO: the largest of a few
 * steps that fits in what is left, so that calls with the same relative
 * deadline keep one value and set it once. 0, or 1: under a millisecond
 * left (a try, then epoll, which also take what is there past a deadline).
 */
static int sole_timeo(struct conn *c, uint64_t deadline)
{
	static const uint32_t steps[] = {60000, 10000, 5000, 2000, 1000, 500, 200, 100,
					 50, 20, 10, 5, 2, 1};
	uint32_t ms = 0;

	if (deadline != SHMRING_NO_DEADLINE) {
		uint64_t now = now_ns(), left;
		unsigned i = 0;

		left = now < deadline ? (deadline - now) / 1000000 : 0;
		while (i < sizeof(steps) / sizeof(steps[0]) && steps[i] > left)
			i++;
		if (i == sizeof(steps) / sizeof(steps[0]))
			return 1;
		ms = steps[i];
	}
	if (ms != c->timeo_ms) {
		struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

		if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
			return 1;
		c->timeo_ms = ms;
	}
	return 0;
}

static int lst_recv_wait(struct shmring_sock *s, const struct msgs *m, bool all,
			 uint64_t deadline)
{
	for (;;) {
		int rc;

		if (lst_sole_wait(s, m) && sole_timeo(s->conns[0], deadline) == 0) {
			struct conn *c = s->conns[0];
			int st = 0;
			unsigned i = s->transport == SHMRING_TRANSPORT_UNIX
					     ? unix_recv(s, c, m, 0, &st, MSG_WAITFORONE)
					     : tcp_recv(s, c, m, 0, &st, MSG_WAITFORONE);

			if (i) {
				/* Relaxed: a statistic. */
				atomic_fetch_add_explicit(&s->moved, i, memory_order_relaxed);
				return (int)i;
			}
			if (st == -EMSGSIZE)
				return st;
			if (st == -EPROTO || st == -EPIPE)
				conn_drop(s, 0, st == -EPROTO);
			continue;
		}
		/* No look of its own: when nothing is known readable, the
		 * wait below is the look. */
		rc = lst_recv(s, m, all, false);

		if (rc != -EAGAIN)
			return rc;
		rc = lst_poll(s, deadline, false);
		if (rc < 0)
			return rc;
	}
}

/* --- Connector: sending ---------------------------------------------------- */

/* Finish what earlier sends left: 0, -EAGAIN, -EPIPE. */
static int out_flush(struct shmring_sock *s)
{
	while (s->out.off < s->out.len) {
		uint8_t *p = s->out.p + s->out.off;
		size_t len = s->out.len - s->out.off;
		ssize_t n;

		if (s->transport == SHMRING_TRANSPORT_UNIX) {
			uint32_t plen;

			memcpy(&plen, p, sizeof(plen));
			n = send(s->fd, p + sizeof(plen), plen, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n >= 0)
				n = (ssize_t)(sizeof(plen) + plen);
		} else {
			n = send(s->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return -EAGAIN;
			/* Relaxed: a flag the sending thread reads and shmring_info()
			 * shows; it publishes nothing. */
			atomic_store_explicit(&s->gone, true, memory_order_relaxed);
			return -EPIPE;
		}
		s->out.off += (size_t)n;
	}
	s->out.off = s->out.len = 0;
	return 0;
}

/* Keep m[i..n) for out_flush(), the first `skip` bytes of m[i]'s wire form
 * already written. */
static int out_keep(struct shmring_sock *s, const struct msgs *m, unsigned i, unsigned n,
		    size_t skip)
{
	int rc = 0;

	for (; i < n && rc == 0; i++) {
		size_t len;
		const uint8_t *p = msg_buf(m, s->p.slot_size, i, &len);
		uint8_t h[SHMRING_SOCK_FRAME_HDR];
		size_t hl;

		if (s->transport == SHMRING_TRANSPORT_UNIX) {
			uint32_t plen = (uint32_t)len + (s->fixed ? 0 : SHMRING_SOCK_PACKET_HDR);
			uint32_t type = msg_type(m, i);

			rc = sbuf_put(&s->out, &plen, sizeof(plen));
			if (rc == 0 && !s->fixed)
				rc = sbuf_put(&s->out, (uint8_t[4]){(uint8_t)type,
								   (uint8_t)(type >> 8),
								   (uint8_t)(type >> 16),
								   (uint8_t)(type >> 24)},
					      4);
			if (rc == 0)
				rc = sbuf_put(&s->out, p, len);
			continue;
		}
		shmring__sock_frame_header(h, (uint32_t)len, msg_type(m, i));
		hl = sizeof(h);
		if (skip < hl)
			rc = sbuf_put(&s->out, h + skip, hl - skip);
		if (rc == 0)
			rc = sbuf_put(&s->out, p + (skip > hl ? skip - hl : 0),
				      len - (skip > hl ? skip - hl : 0));
		skip = 0;
	}
	return rc;
}

/* One sendmmsg/sendmsg of m[i..i+k): messages fully written, or -errno;
 * *part: bytes of the next one written (tcp). */
static int send_batch(struct shmring_sock *s, const struct msgs *m, unsigned i, unsigned k,
		      size_t *part)
{
	struct iovec iov[2 * SOCK_BATCH];
	uint8_t hdr[SOCK_BATCH][SHMRING_SOCK_FRAME_HDR];
	unsigned j;
	ssize_t n;

	*part = 0;
	if (s->transport == SHMRING_TRANSPORT_UNIX) {
		struct mmsghdr mh[SOCK_BATCH];

		if (s->fixed && k == 1) {
			do
				n = send(s->fd, m->base + (size_t)i * s->p.slot_size, s->p.slot_size,
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			while (n < 0 && errno == EINTR);
			return n < 0 ? -errno : 1;
		}
		memset(mh, 0, sizeof(mh[0]) * k);
		for (j = 0; j < k; j++) {
			size_t len;
			void *p = msg_buf(m, s->p.slot_size, i + j, &len);
			uint32_t type = msg_type(m, i + j);

			mh[j].msg_hdr.msg_iov = &iov[2 * j];
			if (s->fixed) {
				iov[2 * j] = (struct iovec){.iov_base = p, .iov_len = len};
				mh[j].msg_hdr.msg_iovlen = 1;
				continue;
			}
			memcpy(hdr[j], (uint8_t[4]){(uint8_t)type, (uint8_t)(type >> 8),
						    (uint8_t)(type >> 16), (uint8_t)(type >> 24)},
			       4);
			iov[2 * j] = (struct iovec){.iov_base = hdr[j], .iov_len = 4};
			iov[2 * j + 1] = (struct iovec){.iov_base = p, .iov_len = len};
			mh[j].msg_hdr.msg_iovlen = 2;
		}
		do
			n = k == 1 ? sendmsg(s->fd, &mh[0].msg_hdr, MSG_DONTWAIT | MSG_NOSIGNAL)
				   : sendmmsg(s->fd, mh, k, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		return k == 1 ? 1 : (int)n;
	}
	{
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2 * k};
		size_t left;

		for (j = 0; j < k; j++) {
			size_t len;
			void *p = msg_buf(m, s->p.slot_size, i + j, &len);

			shmring__sock_frame_header(hdr[j], (uint32_t)len, msg_type(m, i + j));
			iov[2 * j] = (struct iovec){.iov_base = hdr[j], .iov_len = SHMRING_SOCK_FRAME_HDR};
			iov[2 * j + 1] = (struct iovec){.iov_base = p, .iov_len = len};
		}
		do
			n = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		left = (size_t)n;
		for (j = 0; j < k; j++) {
			size_t w = SHMRING_SOCK_FRAME_HDR + iov[2 * j + 1].iov_len;

			if (left < w) {
				*part = left;
				break;
			}
			left -= w;
		}
		return (int)j;
	}
}

/*
 * Send m: the count taken (written, or kept for out_flush() after part of
 * it was written), or when none: -EAGAIN, -EPIPE, -EMSGSIZE.
 */
static int con_send(struct shmring_sock *s, const struct msgs *m, bool all)
{
	unsigned i = 0, n = m->n;
	uint64_t now = now_ns();
	int rc;

	/* Relaxed, the flag's every use: see out_flush(). */
	if (atomic_load_explicit(&s->gone, memory_order_relaxed))
		return -EPIPE;
	/* After a quiet spell, the look of SOCK_QUIET_NS. */
	if (now - s->last_send_ns >= SOCK_QUIET_NS && peer_closed(s->fd)) {
		atomic_store_explicit(&s->gone, true, memory_order_relaxed);
		return -EPIPE;
	}
	s->last_send_ns = now;
	if (m->v) {
		/* A burst stops before the first record too large, a bulk
		 * takes none. */
		for (unsigned j = 0; j < n; j++)
			if (m->v[j].len > s->p.slot_size) {
				if (all || j == 0)
					return -EMSGSIZE;
				n = j;
				break;
			}
	}
	rc = out_flush(s);
	if (rc < 0)
		return rc;
	while (i < n) {
		unsigned k = n - i < SOCK_BATCH ? n - i : SOCK_BATCH;
		size_t part;

		rc = send_batch(s, m, i, k, &part);
		if (rc < 0) {
			if (rc != -EAGAIN) {
				/* Relaxed: see out_flush(). */
				atomic_store_explicit(&s->gone, true, memory_order_relaxed);
				rc = -EPIPE;
			}
			if (i == 0)
				return rc;
			rc = 0;
		}
		i += (unsigned)rc;
		if (part || (all && (unsigned)rc < k)) {
			/* The socket took part: the rest of this message (and
			 * of a bulk) is ours to finish. */
			if (out_keep(s, m, i, all ? n : i + 1, part) < 0)
				return i ? (int)i : -ENOMEM;
			i = all ? n : i + 1;
			break;
		}
		if ((unsigned)rc < k)
			break;
	}
	if (i == 0)
		return -EAGAIN;
	/* Relaxed: a statistic. */
	atomic_fetch_add_explicit(&s->moved, i, memory_order_relaxed);
	return (int)i;
}

static int con_send_wait(struct shmring_sock *s, const struct msgs *m, bool all,
			 uint64_t deadline)
{
	for (;;) {
		int rc = con_send(s, m, all);
		struct pollfd p = {.fd = s->fd, .events = POLLOUT};

		if (rc != -EAGAIN)
			return rc;
		rc = ms_until(deadline);
		if (rc == 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, rc) < 0 && errno != EINTR)
			return -errno;
	}
}

/* --- Connector: opening ---------------------------------------------------- */

static int connect_unix(const struct shmring_sock_uri *u, uint64_t deadline)
{
	struct sockaddr_un sa;
	socklen_t len = unix_addr(u, &sa);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), rc;

	if (fd < 0)
		return -errno;
	/* A non-blocking unix connect says EAGAIN while the listener's
	 * backlog is full: its acceptor drains it soon. */
	while ((rc = connect(fd, (struct sockaddr *)&sa, len)) < 0 &&
	       (errno == EAGAIN || errno == EINTR) && now_ns() < deadline)
		poll(NULL, 0, 1);
	if (rc < 0) {
		/* EPROTOTYPE: a socket of another type listens there, not a
		 * channel (and not SHMRING_EKIND, which has its number). */
		rc = errno == EAGAIN ? -ETIMEDOUT : errno == EPROTOTYPE ? -EPROTO : -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* A connect to a loopback port nobody listens on can pick that very port as
 * its source (TCP simultaneous open) and reach itself: our own hello would
 * come back as the answer, and while the socket lives the listener it waits
 * for cannot bind. Such a socket is a refusal. */
static bool connected_to_self(int fd)
{
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);

	if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) < 0)
		return false;
	return ml == pl && memcmp(&me, &peer, ml) == 0;
}

static int connect_tcp(const struct shmring_sock_uri *u, uint64_t deadline)
{
	struct addrinfo *res, *ai;
	int rc = tcp_resolve(u, false, &res), fd = -1;

	if (rc < 0)
		return rc;
	rc = -ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd p;
		int err = 0;
		socklen_t el = sizeof(err);

		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			if (errno != EINPROGRESS) {
				rc = -errno;
				close_fd(&fd);
				continue;
			}
			p = (struct pollfd){.fd = fd, .events = POLLOUT};
			while ((rc = poll(&p, 1, ms_until(deadline))) < 0 && errno == EINTR)
				;
			if (rc != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
				rc = rc == 0 ? -ETIMEDOUT : err ? -err : -ECONNREFUSED;
				close_fd(&fd);
				continue;
			}
		}
		if (!connected_to_self(fd))
			break;
		rc = -ECONNREFUSED;
		close_fd(&fd);
	}
	freeaddrinfo(res);
	if (fd < 0)
		return rc;
	set_nodelay(fd);
	return fd;
}

/* Send our hello and read the listener's answer before deadline. */
static int handshake(struct shmring_sock *s, const struct shmring_sock_hello *asked,
		     uint64_t deadline)
{
	uint8_t b[SHMRING_SOCK_HELLO_LEN];
	struct shmring_sock_hello h;
	size_t got = 0;
	ssize_t n;
	int rc;

	shmring__sock_hello_encode(asked, b);
	do
		n = send(s->fd, b, sizeof(b), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(b))
		return n < 0 ? -errno : -EPROTO;
	for (;;) {
		struct pollfd p = {.fd = s->fd, .events = POLLIN};

		rc = poll(&p, 1, ms_until(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		if (s->transport == SHMRING_TRANSPORT_UNIX)
			n = recv(s->fd, b, sizeof(b), MSG_DONTWAIT | MSG_TRUNC);
		else
			n = recv(s->fd, b + got, sizeof(b) - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* Closed without an answer: a listener going away (or one that
		 * refused us before it could say why); whoever retries may
		 * find it back. */
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		if (s->transport == SHMRING_TRANSPORT_UNIX) {
			got = (size_t)n;
			break;
		}
		got += (size_t)n;
		if (got == sizeof(b))
			break;
	}
	rc = shmring__sock_hello_decode(b, got, &h);
	if (rc < 0)
		return rc;
	return shmring__sock_reply_check(&h, asked, &s->p);
}

static int con_open(const char *uri, unsigned role, const struct shmring_open_opts *o,
		    shmring_t **out)
{
	struct shmring_sock_uri u;
	struct shmring_sock_hello asked = {.version = SHMRING_SOCK_VERSION,
					   .type = SHMRING_SOCK_HELLO, .role = SHMRING_PRODUCER};
	uint64_t deadline = now_ns() + SOCK_HANDSHAKE_NS;
	struct shmring_sock *s;
	int rc = shmring__sock_uri_parse(uri, &u);

	if (rc < 0)
		return rc;
	if (role != SHMRING_PRODUCER)
		return -EOPNOTSUPP; /* a connection is a producer */
	if (o && (o->flags & (SHMRING_OPEN_PREFAULT | SHMRING_OPEN_MLOCK)))
		return -EOPNOTSUPP; /* options of a mapping */
	if (o) {
		asked.kind = o->kind;
		asked.slot_size = o->slot_size;
		asked.capacity = o->capacity;
	}
	s = sock_new(u.transport);
	if (!s)
		return -ENOMEM;
	rc = u.transport == SHMRING_TRANSPORT_UNIX ? connect_unix(&u, deadline)
						   : connect_tcp(&u, deadline);
	if (rc >= 0) {
		s->fd = rc;
		rc = handshake(s, &asked, deadline);
	}
	if (rc == 0)
		rc = handle_new(s, role, out);
	if (rc < 0)
		sock_free(s);
	return rc;
}

/* Ring open errors after which a fallback socket is tried: the ring is not
 * there, or not for us. */
static bool fallback_on(int rc)
{
	return rc == -ENOENT || rc == -EACCES || rc == -EPERM || rc == -SHMRING_EFOREIGN;
}

int shmring__sock_open(const char *uri, unsigned role, const struct shmring_open_opts *opts,
		       shmring_t **out)
{
	char ring[SHMRING_PATH_MAX + 32], fb[SHMRING_PATH_MAX + 32];
	const char *fallback = opts ? opts->fallback : NULL;
	int rc = shmring__uri_auto_split(uri, ring, sizeof(ring), fb, sizeof(fb));

	if (rc == 0) {
		uri = ring;
		fallback = fb;
	} else if (rc != -ENOENT) {
		return rc;
	}
	if (!shmring__sock_scheme(uri)) {
		struct shmring_open_opts o;

		if (fallback && !shmring__sock_scheme(fallback))
			return -EINVAL;
		if (opts) {
			o = *opts;
			o.fallback = NULL;
		}
		rc = shmring_open_ex(uri, role, opts ? &o : NULL, out);
		if (rc == 0 || !fallback || !fallback_on(rc))
			return rc;
		uri = fallback;
	}
	return con_open(uri, role, opts, out);
}

/* --- Life and information --------------------------------------------------- */

int shmring__sock_close(shmring_t *r)
{
	struct shmring_sock *s = r->sock;

	if (r->pid != getpid()) {
		/* Inherited across fork(): the parent's sockets and thread
		 * are not ours to end; only our copies of the descriptors
		 * go (no shutdown, which would end them for the parent). */
		s->thr_on = false;
		sock_free(s);
		free(r);
		return 0;
	}
	if (s->listener) {
		uint64_t one = 1;

		(void)!write(s->stopfd, &one, sizeof(one));
		pthread_join(s->thr, NULL);
		pthread_mutex_destroy(&s->mu);
		for (unsigned i = 0; i < s->nconns; i++)
			shutdown(s->conns[i]->fd, SHUT_RDWR);
		for (unsigned i = 0; i < s->qn; i++)
			shutdown(s->q[i], SHUT_RDWR);
	} else if (s->out.len > s->out.off && !atomic_load(&s->gone)) { /* see out_flush() */
		uint64_t deadline = now_ns() + SOCK_CLOSE_NS;

		while (out_flush(s) == -EAGAIN && now_ns() < deadline) {
			struct pollfd p = {.fd = s->fd, .events = POLLOUT};

			poll(&p, 1, ms_until(deadline));
		}
	}
	sock_free(s);
	free(r);
	return 0;
}

int shmring__sock_unlink(const char *uri)
{
	struct shmring_sock_uri u;
	struct stat st;
	int rc = shmring__sock_uri_parse(uri, &u);

	if (rc < 0)
		return rc;
	if (u.transport != SHMRING_TRANSPORT_UNIX || u.abstract)
		return -EINVAL; /* nothing named to remove */
	if (lstat(u.name, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	return unlink(u.name) < 0 ? -errno : 0;
}

int shmring__sock_info(shmring_t *r, struct shmring_info *info)
{
	struct shmring_sock *s = r->sock;
	/* Relaxed, every load here: a snapshot of counts (shmring_info()). */
	uint64_t moved = atomic_load_explicit(&s->moved, memory_order_relaxed);

	memset(info, 0, sizeof(*info));
	info->kind = s->p.kind;
	info->capacity = s->p.capacity;
	info->slot_size = s->p.slot_size;
	info->slot_stride = s->p.slot_size;
	info->group_slots = s->p.kind == SHMRING_KIND_MSG ? 0 : 1;
	info->flags = s->p.flags;
	info->transport = s->transport;
	if (s->listener) {
		info->creator_pid = (uint32_t)r->pid;
		info->creator_uid = (uint32_t)geteuid();
		info->consumed = moved;
		info->consumers = 1;
		info->producers = atomic_load_explicit(&s->nconns_seen, memory_order_relaxed);
		info->sock_conns = info->producers;
		info->sock_accepted = atomic_load_explicit(&s->accepted, memory_order_relaxed);
		info->sock_refused = atomic_load_explicit(&s->refused, memory_order_relaxed);
		info->sock_errors = atomic_load_explicit(&s->errors, memory_order_relaxed);
		info->producers_gone = info->sock_accepted && !info->producers &&
				       !atomic_load(&s->queued);
	} else {
		info->produced = moved;
		info->producers = 1;
		info->consumers_gone = atomic_load_explicit(&s->gone, memory_order_relaxed);
		info->consumers = info->consumers_gone ? 0 : 1;
	}
	return 0;
}

uint64_t shmring__sock_count(shmring_t *r)
{
	/* Relaxed: a count, as in stash_unget(). */
	return atomic_load_explicit(&r->sock->stash_n, memory_order_relaxed);
}

/* --- The public calls ------------------------------------------------------- */

/* Why this handle cannot send (receive) on its channel; 0 if it can. */
static int tx_check(const shmring_t *r, bool msg)
{
	if ((r->hdr.kind == SHMRING_KIND_MSG) != msg)
		return -SHMRING_EKIND;
	return r->sock->listener ? -EPERM : 0;
}

static int rx_check(const shmring_t *r, bool msg)
{
	if ((r->hdr.kind == SHMRING_KIND_MSG) != msg)
		return -SHMRING_EKIND;
	return r->sock->listener ? 0 : -EPERM;
}

/* A many-message call's answer rc (a count or -errno, checks included): the
 * count, and why nothing moved for shmring_last_error(). */
static unsigned many_moved(shmring_t *r, unsigned side, int rc)
{
	return shmring__why(r, side, rc > 0 ? (unsigned)rc : 0, rc < 0 ? rc : -EAGAIN);
}

/* A bulk larger than the capacity never succeeds on a ring; nor here. */
static bool bulk_too_big(const shmring_t *r, unsigned n, bool all)
{
	return all && n > r->hdr.capacity;
}

int shmring__sock_try_send(shmring_t *r, const void *msg)
{
	struct msgs m = {.base = (uint8_t *)(uintptr_t)msg, .n = 1};
	int rc = tx_check(r, false);

	if (rc)
		return rc;
	rc = con_send(r->sock, &m, true);
	return rc < 0 ? rc : 0;
}

int shmring__sock_try_recv(shmring_t *r, void *msg)
{
	struct msgs m = {.base = msg, .n = 1};
	int rc = rx_check(r, false);

	if (rc)
		return rc;
	rc = lst_recv(r->sock, &m, true, true);
	return rc < 0 ? rc : 0;
}

unsigned shmring__sock_try_send_many(shmring_t *r, const void *msgs, unsigned n, bool all)
{
	struct msgs m = {.base = (uint8_t *)(uintptr_t)msgs, .n = n};
	int rc;

	rc = tx_check(r, false); /* msgs and n: checked by the caller */
	if (rc == 0 && bulk_too_big(r, n, all))
		rc = -EINVAL; /* as on a ring: never room for it */
	if (rc == 0)
		rc = con_send(r->sock, &m, all);
	return many_moved(r, SHMRING__TX, rc);
}

unsigned shmring__sock_try_recv_many(shmring_t *r, void *msgs, unsigned n, bool all)
{
	struct msgs m = {.base = msgs, .n = n};
	int rc;

	rc = rx_check(r, false); /* msgs and n: checked by the caller */
	if (rc == 0 && bulk_too_big(r, n, all))
		rc = -EINVAL; /* as on a ring: never that many in it */
	if (rc == 0)
		rc = lst_recv(r->sock, &m, all, true);
	return many_moved(r, SHMRING__RX, rc);
}

int shmring__sock_send_many(shmring_t *r, const void *msgs, unsigned n, bool all,
			    uint64_t deadline)
{
	struct msgs m = {.base = (uint8_t *)(uintptr_t)msgs, .n = n};
	int rc = tx_check(r, false);

	if (rc)
		return rc;
	if (!msgs || n == 0 || n > INT32_MAX || bulk_too_big(r, n, all))
		return -EINVAL;
	return con_send_wait(r->sock, &m, all, deadline);
}

int shmring__sock_recv_many(shmring_t *r, void *msgs, unsigned n, bool all, uint64_t deadline)
{
	struct msgs m = {.base = msgs, .n = n};
	int rc = rx_check(r, false);

	if (rc)
		return rc;
	if (!msgs || n == 0 || n > INT32_MAX || bulk_too_big(r, n, all))
		return -EINVAL;
	return lst_recv_wait(r->sock, &m, all, deadline);
}

int shmring__sock_msg_try_send(shmring_t *r, const void *buf, size_t len, uint32_t type)
{
	struct shmring_msgvec v = {.buf = (void *)(uintptr_t)buf, .len = len, .type = type};
	struct msgs m = {.v = &v, .n = 1};
	int rc = tx_check(r, true);

	if (rc)
		return rc;
	rc = con_send(r->sock, &m, true);
	return rc < 0 ? rc : 0;
}

ssize_t shmring__sock_msg_try_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type)
{
	struct shmring_msgvec v = {.buf = buf, .len = cap};
	struct msgs m = {.v = &v, .n = 1};
	int rc = rx_check(r, true);

	if (rc)
		return rc;
	rc = lst_recv(r->sock, &m, true, true);
	if (rc < 0)
		return rc;
	if (type)
		*type = v.type;
	return (ssize_t)v.len;
}

int shmring__sock_msg_send(shmring_t *r, const void *buf, size_t len, uint32_t type,
			   uint64_t deadline)
{
	struct shmring_msgvec v = {.buf = (void *)(uintptr_t)buf, .len = len, .type = type};
	struct msgs m = {.v = &v, .n = 1};
	int rc = tx_check(r, true);

	if (rc)
		return rc;
	rc = con_send_wait(r->sock, &m, true, deadline);
	return rc < 0 ? rc : 0;
}

ssize_t shmring__sock_msg_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type,
			       uint64_t deadline)
{
	struct shmring_msgvec v = {.buf = buf, .len = cap};
	struct msgs m = {.v = &v, .n = 1};
	int rc = rx_check(r, true);

	if (rc)
		return rc;
	rc = lst_recv_wait(r->sock, &m, true, deadline);
	if (rc < 0)
		return rc;
	if (type)
		*type = v.type;
	return (ssize_t)v.len;
}

unsigned shmring__sock_msg_try_send_many(shmring_t *r, const struct shmring_msgvec *v,
					 unsigned n, bool all)
{
	struct msgs m = {.v = (struct shmring_msgvec *)(uintptr_t)v, .n = n};
	int rc;

	rc = n == 0 || n > INT32_MAX ? -EINVAL : tx_check(r, true);
	if (rc == 0)
		rc = con_send(r->sock, &m, all);
	return many_moved(r, SHMRING__TX, rc);
}

unsigned shmring__sock_msg_try_recv_many(shmring_t *r, struct shmring_msgvec *v, unsigned n,
					 bool all)
{
	struct msgs m = {.v = v, .n = n};
	int rc;

	rc = n == 0 || n > INT32_MAX ? -EINVAL : rx_check(r, true);
	if (rc == 0)
		rc = lst_recv(r->sock, &m, all, true);
	return many_moved(r, SHMRING__RX, rc);
}
