/* SPDX-License-Identifier: MIT */
/*
 * src/cli/bridge.c - the engine of `shmring bridge` (see bridge.h).
 *
 * One loop takes a message from FROM and puts it into TO, never holding more
 * than that one message: when TO is full the loop stops reading FROM, so
 * back-pressure reaches the producers (a ring fills, a socket's buffers fill,
 * a ZeroMQ PUSH reaches its high-water mark). A message peeked from a ring
 * is released only once TO has it, so a bridge killed at any moment leaves
 * it in the ring for the next one.
 *
 * The receiving side checks each sender's sequence in a status object in
 * shared memory (bridge:NAME), which `shmring stat` reads and which outlives
 * a killed bridge: a restarted one resumes every sender's sequence, so the
 * messages that were in flight when it died show as a gap (lost, counted)
 * when the sender's next message comes, never as silence. Around each put
 * into TO the object records which message is being put: a bridge killed
 * right there cannot know, at its restart, whether that one message got in,
 * and counts it as in doubt.
 */
/* Beside this file: the bench tests build it without the tool's paths. */
#include "args.h" /* SHMRING_CLI_ERR_MAX */
#include "bridge.h"
#include "utf8.h"
#include "shmring/shmring.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef SHMRING_HAVE_ZMQ
#include <zmq.h>
#endif

#define SLICE_NS UINT64_C(100000000)      /* longest single wait: stop is checked after it */
#define BACKOFF_MIN_NS UINT64_C(20000)
#define BACKOFF_MAX_NS UINT64_C(1000000)  /* a full ring is polled at least this often */
#define RECONNECT_MIN_NS UINT64_C(10000000)
#define RECONNECT_MAX_NS UINT64_C(1000000000)
#define SOCK_RECORDS UINT64_C(1048576)    /* a socket channel listener's record area */

/* ---------------------------------------------------------- status object */

#define BSTAT_MAGIC UINT64_C(0x3154534242484d53) /* "SMHBBST1" as bytes, little-endian */
#define BSTAT_VERSION 1u
#define BSTAT_SESSIONS 64u
#define BSTAT_PREFIX "/" SHMRING_BRIDGE_STATUS_PREFIX
/* flags: made by a bridge without --name, which removes it as it exits and
 * which no later run resumes: one left behind is stale. */
#define BSTAT_TRANSIENT 1u
#define BSTAT_NAME_MAX 64u

enum { C_FORWARDED, C_LOST, C_DUPS, C_RECONNECTS, C_ERRORS, C_IN_DOUBT, C_UNSEQ, C_SENDERS,
       C_RESTARTS, C_REPLAYED, C_N };

/* One sender seen by a receiving bridge. */
struct bstat_sess {
	_Atomic uint64_t id;        /* the sender's session (0: free entry) */
	_Atomic uint64_t next;      /* the sequence number expected next */
	_Atomic uint64_t delivered;
	_Atomic uint64_t lost;
	_Atomic uint64_t dups;
	_Atomic uint64_t last_ns;   /* CLOCK_REALTIME of its last message */
	_Atomic uint32_t ended;     /* its END came */
	uint32_t reserved0;
	uint64_t reserved;
};

/*
 * The status object, in /dev/shm (shmring-bridge.NAME). Written by the one
 * bridge that holds its lock (flock), read by anyone: every value that
 * changes is a relaxed atomic, read once and checked by the reader.
 */
struct bstat {
	uint64_t magic;
	uint32_t version;
	uint32_t size;              /* sizeof(struct bstat) */
	_Atomic uint32_t pid;       /* the bridge running it, or that ran it last */
	_Atomic uint32_t flags;     /* BSTAT_TRANSIENT (0 in objects made before it) */
	_Atomic uint64_t started_ns; /* CLOCK_REALTIME of its start */
	char from[256], to[256];
	_Atomic uint64_t c[C_N];
	/* The message being put into TO (receiving side). */
	_Atomic uint32_t pend_valid;
	_Atomic uint32_t pend_sess;
	_Atomic uint64_t pend_seq;
	/* Sending side: this run's session and the last sequence sent. */
	_Atomic uint64_t session;
	_Atomic uint64_t seq;
	uint64_t reserved[8];
	struct bstat_sess s[BSTAT_SESSIONS];
};

static_assert(sizeof(struct bstat_sess) == 64, "a session entry is 64 bytes");

static uint64_t ld(const _Atomic uint64_t *p)
{
	/* Relaxed: statistics and state written by one process; a reader takes
	 * a snapshot, and a restarted bridge reads after its predecessor died. */
	return atomic_load_explicit(p, memory_order_relaxed);
}

static void st(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed); /* as in ld() */
}

static void add(_Atomic uint64_t *p, uint64_t v)
{
	st(p, ld(p) + v); /* one writer */
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};

	nanosleep(&ts, NULL);
}

bool shmring_bridge_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > BSTAT_NAME_MAX || !strcmp(n, ".") || !strcmp(n, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && !strchr("._-", n[i]))
			return false;
	return true;
}

/* ---------------------------------------------------------------- the wire */

static void le_put(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t le_get(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void hdr_write(unsigned char *p, const struct shmring_bridge_hdr *h)
{
	le_put(p, SHMRING_BRIDGE_MAGIC, 8);
	le_put(p + 8, h->session, 8);
	le_put(p + 16, h->seq, 8);
	le_put(p + 24, h->type, 4);
	le_put(p + 28, h->flags, 2);
	le_put(p + 30, 1, 2);
}

/* A header read from the wire, checked once: true when it is one of ours. */
static bool hdr_read(const unsigned char *p, size_t len, struct shmring_bridge_hdr *h)
{
	if (len < SHMRING_BRIDGE_HDR || le_get(p, 8) != SHMRING_BRIDGE_MAGIC)
		return false;
	h->magic = SHMRING_BRIDGE_MAGIC;
	h->session = le_get(p + 8, 8);
	h->seq = le_get(p + 16, 8);
	h->type = (uint32_t)le_get(p + 24, 4);
	h->flags = (uint16_t)le_get(p + 28, 2);
	h->version = (uint16_t)le_get(p + 30, 2);
	/* Session 0 and sequence 0 are never sent, nor sequence 2^64 - 1 (a
	 * sender's count never gets there; the next expected would wrap to 0);
	 * unknown flags and versions are not ours to interpret. */
	return h->version == 1 && h->session != 0 && h->seq != 0 && h->seq != UINT64_MAX &&
	       (h->flags & ~(SHMRING_BRIDGE_END | SHMRING_BRIDGE_REPLAY)) == 0;
}

/* -------------------------------------------------------------- endpoints */

enum ep_kind { EP_RING = 1, EP_SOCK, EP_ZMQ };

struct ep {
	enum ep_kind kind;
	const char *uri;
	bool from;
	shmring_t *r;
	bool msg;          /* a record ring or channel (lengths vary, a type) */
	bool mc;           /* a ring of many consumers: close releases a peek */
	size_t max;        /* largest payload; a fixed ring's exact size */
	uint64_t capacity;
	int bell;          /* FROM ring: its socket doorbell, or -1 */
	/* A unix:/PATH listener: the socket file it bound, removed at close */
	bool sock_file;
	pid_t sock_pid;    /* the process that bound it */
	dev_t sock_dev;
	ino_t sock_ino;
	/* ZeroMQ */
	void *z;
	void *mon;         /* its connection events (PAIR): a connecting socket
			    * or a PUSH TO; else NULL */
	bool zrep;         /* a PUSH TO that replays its window to a new peer */
	bool zdown;        /* zrep: a peer went and none has come back yet */
	bool zreplay;      /* zrep: one came back: send the window again first */
	bool zshaking;     /* connected, its handshake not done yet */
	bool zsaid;        /* a failed handshake was reported once */
	int ztimeo;        /* the send (TO) or receive (FROM) timeout set now */
	uint64_t zlook;    /* when the events were looked at last */
	int ztype;
	bool bind;
	char zaddr[300];
};

/* One message between FROM and TO. */
struct msg {
	const unsigned char *p;
	size_t len;
	uint32_t type;
	bool seqd;         /* it carries a bridge header */
	struct shmring_bridge_hdr h;
	bool held;         /* peeked from a FROM ring: release once TO has it */
};

struct shmring_bridge {
	struct shmring_bridge_opts o;
	struct ep from, to;
	struct bstat *st;
	bool st_shared;    /* st is the mapped status object (else malloc'd) */
	bool st_mine;      /* ours to remove at close (unless persistent) */
	int st_fd;
	char st_path[96];
	unsigned char *buf; /* a copied message, with room for a header first */
	size_t bufcap;
	bool pend_on;      /* the message being put is a sender's: mark it */
	uint64_t session;  /* this run's, when it stamps messages */
	uint64_t seq;
	bool stamped;      /* sent at least one message of its own session */
	bool end_done;     /* shmring_bridge_end() has run */
	bool said_misfit;  /* a message TO cannot take was reported */
	void *zctx;
	/* A socket channel TO: the last records sent, whole, to send again
	 * after a reconnection (what the old connection's buffers held). */
	unsigned char *rp;
	size_t rp_rec;       /* bytes per record */
	uint64_t rp_n;       /* records kept */
	uint64_t rp_head;    /* records sent so far */
	uint64_t rp_count;   /* records kept now (< rp_n) */
	size_t *rp_len;
	uint32_t *rp_type;
	char err[SHMRING_CLI_ERR_MAX]; /* "URI: reason", or two URIs and why */
#ifdef SHMRING_HAVE_ZMQ
	zmq_msg_t zf[2];
	int nzf;
#endif
};

bool shmring_bridge_have_zmq(void)
{
#ifdef SHMRING_HAVE_ZMQ
	return true;
#else
	return false;
#endif
}

static int fail(struct shmring_bridge *b, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct shmring_bridge *b, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
	return rc;
}

static bool is_sock(const char *uri)
{
	return !strncmp(uri, "unix:", 5) || !strncmp(uri, "tcp:", 4);
}

/* "zmq+", "zmq-pub+", "zmq-sub+": the socket type and the address after it. */
static int zmq_scheme(const char *uri, int *type, const char **addr)
{
	static const struct {
		const char *p;
		int type;
	} s[] = {{"zmq+", 1}, {"zmq-pub+", 2}, {"zmq-sub+", 3}};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (!strncmp(uri, s[i].p, strlen(s[i].p))) {
			*type = s[i].type;
			*addr = uri + strlen(s[i].p);
			return 1;
		}
	return 0;
}

/*
 * Remove the socket file a unix:/PATH listener of ours bound (the library
 * leaves it), and nothing else: not in a child that inherited the handle,
 * and not when the path is now another file (a listener made with
 * SHMRING_CREATE_REPLACE took it). Called while the listener still
 * answers: a creator takes over only a socket file whose listener is
 * gone, so none can bind its own at the path between the look and the
 * unlink (one with SHMRING_CREATE_REPLACE still can, in that instant).
 */
static void sock_file_remove(struct ep *e)
{
	const char *path = e->uri + 5; /* "unix:" */
	struct stat st;

	if (!e->sock_file || e->sock_pid != getpid())
		return;
	e->sock_file = false;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == e->sock_dev &&
	    st.st_ino == e->sock_ino)
		unlink(path);
}

static void ep_close(struct ep *e)
{
	sock_file_remove(e);
	shmring_close(e->r); /* closes the doorbell socket too */
	e->r = NULL;
	e->bell = -1;
#ifdef SHMRING_HAVE_ZMQ
	if (e->mon)
		zmq_close(e->mon);
	if (e->z)
		zmq_close(e->z);
#endif
	e->z = e->mon = NULL;
}

static int ring_learn(struct shmring_bridge *b, struct ep *e)
{
	struct shmring_info in;
	int rc = shmring_info(e->r, &in);

	if (rc < 0)
		return fail(b, rc, "%s: %s", e->uri, shmring_strerror(rc));
	e->msg = in.kind == SHMRING_KIND_MSG;
	e->mc = (in.flags & SHMRING_CREATE_MULTI_CONSUMER) != 0;
	e->max = in.slot_size;
	e->capacity = in.capacity;
	return 0;
}

static int open_ring(struct shmring_bridge *b, struct ep *e)
{
	unsigned role = e->from ? SHMRING_CONSUMER : SHMRING_PRODUCER;
	int rc = shmring_open(e->uri, role, &e->r);

	if (rc == -EBUSY)
		return fail(b, rc, "%s: this ring allows one %s, and a live process is it", e->uri,
			    e->from ? "consumer" : "producer");
	if (rc == -SHMRING_EKIND) {
		/* The library's word guesses at a synchronization object; a
		 * duplex (an observer may open its direction 0) is said so. */
		struct shmring_info in;
		shmring_t *o;
		bool duplex = false;

		if (shmring_open(e->uri, SHMRING_OBSERVER, &o) == 0) {
			duplex = shmring_info(o, &in) == 0 && (in.flags & SHMRING_CREATE_DUPLEX);
			shmring_close(o);
		}
		if (duplex)
			return fail(b, rc, "%s: a duplex: its two ends belong to the programs that "
					   "take them (shmring_duplex_open()), not to a bridge", e->uri);
	}
	if (rc < 0 && b->o.open_why) {
		char buf[sizeof(b->err)];
		const char *why = b->o.open_why(e->uri, rc, buf, sizeof(buf));

		if (why)
			return fail(b, rc, "%s: %s", e->uri, why);
	}
	if (rc == -ENOENT)
		return fail(b, rc, "%s: no such ring (make it with 'shmring create')", e->uri);
	if (rc < 0)
		return fail(b, rc, "%s: %s", e->uri, shmring_strerror(rc));
	rc = ring_learn(b, e);
	if (rc < 0)
		return rc;
	/* A socket doorbell wakes the loop without signals (the engine also
	 * runs in threads); without one (another user's ring, a late entry)
	 * the loop polls with a short backoff instead. */
	if (e->from && shmring_doorbell_register_fd(e->r, &e->bell) < 0)
		e->bell = -1;
	return 0;
}

/* ------------------------------------------------ one channel, two names */

/*
 * Where a socket channel or a ZeroMQ endpoint meets its peer, as the kernel
 * sees it: a TCP port and the addresses its host stands for, a Unix socket's
 * file with the links and directories of its path resolved, or an abstract
 * name. The names alone tell too little: tcp:localhost:P reaches a listener
 * on tcp:127.0.0.1:P, and one on tcp:0.0.0.0:P (or ZeroMQ's host "*") takes
 * in every address of this host.
 */
#define WHERE_ADDRS 32

enum where_kind { W_TEXT, W_TCP, W_PATH, W_ABSTRACT };

struct waddr {
	int family; /* AF_INET or AF_INET6: an IPv4-mapped IPv6 address is IPv4 */
	unsigned char a[16];
};

struct where {
	enum where_kind kind;
	char port[16];
	char host[256];
	struct waddr addr[WHERE_ADDRS];
	int naddr; /* -1: the host is no address known here (compared as text) */
	char name[PATH_MAX];
};

static void waddr_of(const struct sockaddr *sa, struct waddr *w)
{
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};

	memset(w, 0, sizeof(*w));
	if (sa->sa_family == AF_INET) {
		w->family = AF_INET;
		memcpy(w->a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return;
	}
	w->family = AF_INET6;
	memcpy(w->a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	if (!memcmp(w->a, mapped, 12)) {
		w->family = AF_INET;
		memmove(w->a, w->a + 12, 4);
		memset(w->a + 4, 0, 12);
	}
}

static bool waddr_eq(const struct waddr *x, const struct waddr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, 16);
}

static bool waddr_any(const struct waddr *w)
{
	static const unsigned char zero[16];

	return !memcmp(w->a, zero, 16);
}

/* Whether w is an address of this host: a loopback one, or an interface's. */
static bool waddr_local(const struct waddr *w, const struct ifaddrs *ifs)
{
	static const unsigned char one[16] = {[15] = 1};

	if (w->family == AF_INET ? w->a[0] == 127 : !memcmp(w->a, one, 16))
		return true;
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		struct waddr x;

		if (!i->ifa_addr ||
		    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		waddr_of(i->ifa_addr, &x);
		if (waddr_eq(&x, w))
			return true;
	}
	return false;
}

/*
 * Whether x and y, on one port, are one socket: one address, or a wildcard
 * (which a listener binds to take in every address of this host, and which
 * Linux connects to as this host) and a wildcard or an address of this
 * host. An IPv4 wildcard takes in IPv4 alone; an IPv6 one both, as neither
 * the library nor ZeroMQ sets IPV6_V6ONLY.
 */
static bool waddr_meet(const struct waddr *x, const struct waddr *y, const struct ifaddrs *ifs)
{
	if (waddr_eq(x, y))
		return true;
	if (waddr_any(x) && (x->family == AF_INET6 || y->family == AF_INET))
		return waddr_any(y) || waddr_local(y, ifs);
	if (waddr_any(y) && (y->family == AF_INET6 || x->family == AF_INET))
		return waddr_any(x) || waddr_local(x, ifs);
	return false;
}

static void waddr_add(struct where *w, const struct waddr *a)
{
	for (int i = 0; i < w->naddr; i++)
		if (waddr_eq(&w->addr[i], a))
			return;
	if (w->naddr < WHERE_ADDRS)
		w->addr[w->naddr++] = *a;
}

/*
 * The addresses w->host stands for: "*" both wildcards; a name or address
 * as the resolver has it; else (ZeroMQ binds to one) the addresses of the
 * network interface of that name.
 */
static void where_resolve(struct where *w, const struct ifaddrs *ifs)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res;
	struct waddr a;

	w->naddr = 0;
	if (!strcmp(w->host, "*")) {
		memset(&a, 0, sizeof(a));
		a.family = AF_INET;
		waddr_add(w, &a);
		a.family = AF_INET6;
		waddr_add(w, &a);
		return;
	}
	if (getaddrinfo(w->host, NULL, &hints, &res) == 0) {
		for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
			if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) {
				waddr_of(ai->ai_addr, &a);
				waddr_add(w, &a);
			}
		freeaddrinfo(res);
	}
	for (const struct ifaddrs *i = ifs; w->naddr == 0 && i; i = i->ifa_next)
		if (i->ifa_addr && !strcmp(i->ifa_name, w->host) &&
		    (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6)) {
			waddr_of(i->ifa_addr, &a);
			waddr_add(w, &a);
		}
	if (w->naddr == 0)
		w->naddr = -1;
}

/* "HOST:PORT" or "[V6]:PORT", n bytes, into w: false when it is neither. A
 * decimal port is kept as its number (a leading zero says nothing). */
static bool where_hostport(struct where *w, const char *p, size_t n)
{
	const char *end = p + n, *colon = NULL, *h = p;
	size_t hl, pl;

	for (const char *c = p; c < end; c++)
		if (*c == ':')
			colon = c;
	if (!colon)
		return false;
	hl = (size_t)(colon - p);
	pl = (size_t)(end - colon - 1);
	if (hl >= 2 && p[0] == '[' && p[hl - 1] == ']') {
		h = p + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(w->host) || pl == 0 || pl >= sizeof(w->port))
		return false;
	memcpy(w->host, h, hl);
	w->host[hl] = '\0';
	memcpy(w->port, colon + 1, pl);
	w->port[pl] = '\0';
	if (strspn(w->port, "0123456789") == pl)
		snprintf(w->port, sizeof(w->port), "%llu", strtoull(w->port, NULL, 10));
	w->kind = W_TCP;
	return true;
}

/* A name of n bytes, as it is. */
static void where_name(struct where *w, enum where_kind kind, const char *p, size_t n)
{
	if (n >= sizeof(w->name))
		n = sizeof(w->name) - 1;
	memcpy(w->name, p, n);
	w->name[n] = '\0';
	w->kind = kind;
}

/*
 * A socket file's path of n bytes, its links and directories resolved as
 * far as they exist: the whole (a link to the socket, or the socket a
 * listener left), else the directory with the last name as it is (a
 * listener's socket is made at open), else the path as given.
 */
static void where_path(struct where *w, const char *p, size_t n)
{
	char path[PATH_MAX], dir[PATH_MAX];
	const char *d = ".", *base;
	char *slash;
	size_t dl, bl;

	where_name(w, W_PATH, p, n);
	memcpy(path, w->name, strlen(w->name) + 1);
	if (realpath(path, dir)) {
		memcpy(w->name, dir, strlen(dir) + 1);
		return;
	}
	slash = strrchr(path, '/');
	base = path;
	if (slash) {
		*slash = '\0';
		base = slash + 1;
		d = path[0] ? path : "/";
	}
	if (!realpath(d, dir))
		return;
	dl = strcmp(dir, "/") ? strlen(dir) : 0;
	bl = strlen(base);
	if (dl + 1 + bl >= sizeof(w->name))
		return;
	memcpy(w->name, dir, dl);
	w->name[dl] = '/';
	memcpy(w->name + dl + 1, base, bl + 1);
}

/* Where uri meets its peer (uri: a socket channel or a ZeroMQ endpoint). */
static void where_of(const char *uri, struct where *w)
{
	const char *a;
	int type;
	size_t n;

	w->naddr = 0;
	if (!strncmp(uri, "tcp:", 4)) {
		if (!where_hostport(w, uri + 4, strlen(uri + 4)))
			where_name(w, W_TEXT, uri, strlen(uri));
		return;
	}
	if (!strncmp(uri, "unix:@", 6)) {
		where_name(w, W_ABSTRACT, uri + 6, strlen(uri + 6));
		return;
	}
	if (!strncmp(uri, "unix:", 5)) {
		where_path(w, uri + 5, strlen(uri + 5));
		return;
	}
	/* ZeroMQ: the address, without ?bind or ?connect (anything else is
	 * compared as written). */
	if (!zmq_scheme(uri, &type, &a))
		a = uri;
	n = strcspn(a, "?");
	if (!strncmp(a, "tcp://", 6)) {
		const char *hp = a + 6;

		/* "SOURCE;HOST:PORT" connects from SOURCE: the peer is HOST. */
		for (const char *c = hp; c < a + n; c++)
			if (*c == ';')
				hp = c + 1;
		if (where_hostport(w, hp, (size_t)(a + n - hp)))
			return;
	} else if (!strncmp(a, "ipc://@", 7)) {
		where_name(w, W_ABSTRACT, a + 7, n - 7);
		return;
	} else if (!strncmp(a, "ipc://", 6)) {
		where_path(w, a + 6, n - 6);
		return;
	}
	where_name(w, W_TEXT, a, n);
}

/* Whether f and t (W_TCP) are one socket; why: the address they share. */
static bool tcp_meet(struct where *f, struct where *t, char *why, size_t whylen)
{
	struct ifaddrs *ifs = NULL;
	bool same = false;

	if (strcmp(f->port, t->port))
		return false;
	if (getifaddrs(&ifs) != 0)
		ifs = NULL;
	where_resolve(f, ifs);
	where_resolve(t, ifs);
	if (f->naddr < 0 || t->naddr < 0) {
		/* A name nobody here resolves: only the same name is sure. */
		same = !strcasecmp(f->host, t->host);
		snprintf(why, whylen, "both are port %s of %s", f->port, f->host);
	}
	for (int i = 0; !same && i < f->naddr; i++)
		for (int j = 0; !same && j < t->naddr; j++) {
			const struct waddr *x = &f->addr[i], *y = &t->addr[j];
			const struct waddr *shown = waddr_any(y) ? x : y;
			char s[INET6_ADDRSTRLEN];

			if (!waddr_meet(x, y, ifs))
				continue;
			same = true;
			inet_ntop(shown->family, shown->a, s, sizeof(s));
			if (waddr_any(shown))
				snprintf(why, whylen,
					 "both are port %s of every address of this host", f->port);
			else
				snprintf(why, whylen, "both are port %s of %s%s", f->port, s,
					 waddr_any(x) || waddr_any(y) || waddr_local(shown, ifs)
						 ? ", an address of this host"
						 : "");
		}
	if (ifs)
		freeifaddrs(ifs);
	return same;
}

/*
 * FROM and TO are one socket channel or one ZeroMQ endpoint (bound by one,
 * connected to by the other, by any of its names): what goes out comes back
 * in. why: what they share, for the message.
 */
static bool same_channel(const char *from, const char *to, char *why, size_t whylen)
{
	struct where *f, *t;
	const char *fa, *ta;
	bool same = false;
	int fs, ts;

	if (!(is_sock(from) && is_sock(to)) &&
	    !(zmq_scheme(from, &fs, &fa) && zmq_scheme(to, &ts, &ta)))
		return false;
	f = malloc(sizeof(*f));
	t = malloc(sizeof(*t));
	if (f && t) {
		where_of(from, f);
		where_of(to, t);
	}
	if (!f || !t) {
		/* Out of memory: the names alone, as they are. */
		same = !strcmp(from, to);
		snprintf(why, whylen, "one name");
	} else if (f->kind != t->kind) {
		same = false;
	} else if (f->kind == W_TCP) {
		same = tcp_meet(f, t, why, whylen);
	} else {
		const char *what = f->kind == W_PATH	   ? "the socket file "
				   : f->kind == W_ABSTRACT ? "the abstract socket @"
							   : "";

		same = !strcmp(f->name, t->name);
		snprintf(why, whylen, "both are %s%s", what, f->name);
	}
	free(f);
	free(t);
	return same;
}

/*
 * FROM and TO the same ring, maybe by two names (posix:/x and /x, two
 * System V names of one key): every message forwarded would come back to be
 * forwarded again, for ever. A header's creation time and creator tell a
 * ring from any other.
 */
static bool same_ring(const struct ep *a, const struct ep *c)
{
	struct shmring_info x, y;

	return a->kind == EP_RING && c->kind == EP_RING && shmring_info(a->r, &x) == 0 &&
	       shmring_info(c->r, &y) == 0 && x.ctime_ns == y.ctime_ns &&
	       x.creator_pid == y.creator_pid && x.creator_uid == y.creator_uid &&
	       x.backend == y.backend && x.total_size == y.total_size;
}

/* A connecting socket channel (TO): one attempt. */
static int sock_connect(struct shmring_bridge *b, struct ep *e)
{
	int rc = shmring_open(e->uri, SHMRING_PRODUCER, &e->r);

	if (rc < 0)
		return rc;
	rc = ring_learn(b, e);
	if (rc < 0) {
		ep_close(e);
		return rc;
	}
	return 0;
}

/* Errors that another attempt may cure: nobody listening yet, or gone. */
static bool transient(int rc)
{
	return rc == -ECONNREFUSED || rc == -ENOENT || rc == -EPIPE || rc == -ECONNRESET ||
	       rc == -ETIMEDOUT || rc == -EAGAIN || rc == -EHOSTUNREACH || rc == -ENETUNREACH ||
	       rc == -ECONNABORTED;
}

static bool stopping(const struct shmring_bridge *b)
{
	return b->o.stop && atomic_load_explicit(b->o.stop, memory_order_relaxed);
}

/* Connect, retrying what may cure itself until deadline (or stop). */
static int sock_connect_retry(struct shmring_bridge *b, struct ep *e, uint64_t deadline)
{
	uint64_t wait = RECONNECT_MIN_NS;

	for (;;) {
		int rc = sock_connect(b, e);

		if (rc == 0 || !transient(rc))
			return rc;
		if (shmring_clock_ns() >= deadline || stopping(b))
			return rc;
		sleep_ns(wait);
		wait = wait * 2 > RECONNECT_MAX_NS ? RECONNECT_MAX_NS : wait * 2;
	}
}

static int open_sock(struct shmring_bridge *b, struct ep *e, size_t peer_max)
{
	int rc;

	if (e->from) {
		/* The listener: records of the largest message TO takes, with
		 * the header before it, from any number of sending bridges. */
		struct shmring_opts o = {.kind = SHMRING_KIND_MSG,
					 .slot_size = (uint32_t)(peer_max + SHMRING_BRIDGE_HDR),
					 .capacity = SOCK_RECORDS,
					 .flags = SHMRING_CREATE_MULTI_PRODUCER};

		if (peer_max + SHMRING_BRIDGE_HDR > SHMRING_MAX_SLOT_SIZE)
			return fail(b, -EMSGSIZE,
				    "%s: messages of %zu bytes and the bridge's %u-byte header exceed "
				    "a socket channel's largest message (%u bytes)",
				    e->uri, peer_max, SHMRING_BRIDGE_HDR, SHMRING_MAX_SLOT_SIZE);
		/* A socket file a killed bridge left at unix:/PATH: the
		 * library takes it over when nobody listens. */
		rc = shmring_create(e->uri, &o, SHMRING_CONSUMER, &e->r);
		if (rc == -EEXIST && !strncmp(e->uri, "tcp:", 4))
			return fail(b, rc, "%s: the address is already in use (another listener, "
					   "or a connection that holds the port)", e->uri);
		if (rc < 0)
			return fail(b, rc, "%s: %s", e->uri, shmring_strerror(rc));
		/* The file just bound is ours to remove at close: which file
		 * it is, so that another one at the path later is left. */
		if (!strncmp(e->uri, "unix:/", 6)) {
			struct stat st;

			if (lstat(e->uri + 5, &st) == 0 && S_ISSOCK(st.st_mode)) {
				e->sock_file = true;
				e->sock_pid = getpid();
				e->sock_dev = st.st_dev;
				e->sock_ino = st.st_ino;
			}
		}
		return ring_learn(b, e);
	}
	rc = sock_connect_retry(b, e, shmring_clock_ns() + b->o.connect_ns);
	if (rc < 0 && transient(rc) && stopping(b))
		return fail(b, -ECANCELED, "%s: stopped before a connection was made: nothing "
					   "forwarded", e->uri);
	if (rc < 0)
		return fail(b, rc, "%s: %s%s", e->uri, shmring_strerror(rc),
			    transient(rc) ? " (nobody listening there: start the receiving bridge "
					    "first, or give a longer --connect-timeout)"
					  : "");
	if (!e->msg)
		return fail(b, -SHMRING_EKIND, "%s: the listener is not a bridge's (fixed-size "
					       "messages)", e->uri);
	return 0;
}

#ifdef SHMRING_HAVE_ZMQ
/* The endpoint's send or receive timeout, set only when it changes (the
 * hot path sets the same one every time). */
static void ztimeout(struct ep *e, uint64_t wait_ns)
{
	int t = (int)(wait_ns / 1000000u);

	if (t != e->ztimeo) {
		zmq_setsockopt(e->z, e->from ? ZMQ_RCVTIMEO : ZMQ_SNDTIMEO, &t, sizeof(t));
		e->ztimeo = t;
	}
}

static int open_zmq(struct shmring_bridge *b, struct ep *e, int scheme, const char *addr)
{
	static const char *const names[] = {"", "zmq+", "zmq-pub+", "zmq-sub+"};
	int hwm = b->o.hwm ? (int)b->o.hwm : 1000, timeo = (int)(SLICE_NS / 1000000), zero = 0;
	const char *q = strchr(addr, '?');
	size_t alen = q ? (size_t)(q - addr) : strlen(addr);
	const char *host, *to_addr;
	int rc, to_scheme;

	if (scheme == 2 && e->from)
		return fail(b, -EINVAL, "%s: a PUB socket only sends: receive with zmq-sub+%.*s",
			    e->uri, (int)alen, addr);
	if (scheme == 3 && !e->from)
		return fail(b, -EINVAL, "%s: a SUB socket only receives: publish with zmq-pub+%.*s",
			    e->uri, (int)alen, addr);
	if (alen >= sizeof(e->zaddr) || !strstr(addr, "://"))
		return fail(b, -EINVAL, "%s: not a ZeroMQ endpoint: %sTRANSPORT://ADDRESS, e.g. "
					"%stcp://127.0.0.1:5555 (or tcp://*:5555 to bind)",
			    e->uri, names[scheme], names[scheme]);
	memcpy(e->zaddr, addr, alen);
	e->zaddr[alen] = '\0';
	if (q && strcmp(q, "?bind") && strcmp(q, "?connect"))
		return fail(b, -EINVAL, "%s: unknown option '%s' (?bind or ?connect)", e->uri, q);
	/* Bind to a wildcard host or when asked; connect otherwise. */
	host = strstr(e->zaddr, "://") + 3;
	e->bind = q ? !strcmp(q, "?bind") : (host[0] == '*');
	if (!strncmp(e->zaddr, "tcp://", 6) && strrchr(host, ':')) {
		/* libzmq takes any number as a port, modulo 65536 ("-5",
		 * "99999" bind or connect to another port than written). */
		const char *port = strrchr(host, ':') + 1;
		size_t n = strspn(port, "0123456789");
		unsigned long v = 0;

		for (size_t i = 0; i < n && v <= 65535; i++)
			v = v * 10 + (unsigned long)(port[i] - '0');
		if (!(e->bind && !strcmp(port, "*")) &&
		    (!n || port[n] || v > 65535 || (v == 0 && !e->bind)))
			return fail(b, -EINVAL, "%s: not a TCP port: '%s' (1..65535%s)", e->uri,
				    port, e->bind ? "; 0 or * binds any free one" : "");
	}
	if (!b->zctx && !(b->zctx = zmq_ctx_new()))
		return fail(b, -errno, "%s: zmq_ctx_new: %s", e->uri, zmq_strerror(errno));
	e->ztype = scheme == 1 ? (e->from ? ZMQ_PULL : ZMQ_PUSH) : scheme == 2 ? ZMQ_PUB : ZMQ_SUB;
	e->z = zmq_socket(b->zctx, e->ztype);
	if (!e->z)
		return fail(b, -errno, "%s: zmq_socket: %s", e->uri, zmq_strerror(errno));
	/* Bounded queues: a full one blocks the sender (PUSH) for at most a
	 * slice at a time, and the loop stops reading FROM meanwhile. */
	zmq_setsockopt(e->z, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(e->z, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(e->z, ZMQ_SNDTIMEO, &timeo, sizeof(timeo));
	zmq_setsockopt(e->z, ZMQ_RCVTIMEO, &timeo, sizeof(timeo));
	e->ztimeo = timeo;
	zmq_setsockopt(e->z, ZMQ_LINGER, &zero, sizeof(zero));
	if (e->from && (b->o.zmq_max || !zmq_scheme(b->o.to, &to_scheme, &to_addr))) {
		/* No ring or socket channel takes a record above the largest
		 * slot, and a ZeroMQ TO none above --max-size: ZeroMQ closes
		 * the connection of a peer that sends a longer frame (the
		 * header frame aside) rather than holding it, up to the
		 * high-water mark of them, for us to drop. */
		int64_t most = (int64_t)(b->o.zmq_max ? b->o.zmq_max : SHMRING_MAX_SLOT_SIZE);

		most += SHMRING_BRIDGE_HDR;
		zmq_setsockopt(e->z, ZMQ_MAXMSGSIZE, &most, sizeof(most));
	}
	if (e->ztype == ZMQ_SUB)
		zmq_setsockopt(e->z, ZMQ_SUBSCRIBE, "", 0);
	e->zrep = e->ztype == ZMQ_PUSH && !b->o.raw;
	if (e->zrep) {
		/* Messages queue only to a live connection, and its going and
		 * coming are watched: what the dead one held is sent again,
		 * first, on the next (see to_zmq_events()). */
		int one = 1;

		zmq_setsockopt(e->z, ZMQ_IMMEDIATE, &one, sizeof(one));
	}
	if (e->zrep || !e->bind) {
		/* A connecting socket's events are watched too: ZeroMQ gives
		 * up on a connection whose handshake failed (see zmq_watch()). */
		char mon[64];

		snprintf(mon, sizeof(mon), "inproc://shmring-bridge-%p", (void *)e);
		if (zmq_socket_monitor(e->z, mon, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED |
							  ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0 ||
		    !(e->mon = zmq_socket(b->zctx, ZMQ_PAIR)) || zmq_connect(e->mon, mon) != 0)
			return fail(b, -errno, "%s: zmq_socket_monitor: %s", e->uri,
				    zmq_strerror(errno));
	}
	rc = e->bind ? zmq_bind(e->z, e->zaddr) : zmq_connect(e->z, e->zaddr);
	if (rc != 0)
		return fail(b, -errno, "%s: cannot %s %s: %s", e->uri, e->bind ? "bind" : "connect",
			    e->zaddr, zmq_strerror(errno));
	e->msg = true;
	e->max = !e->from && b->o.zmq_max ? b->o.zmq_max : SIZE_MAX;
	return 0;
}
#endif

static int open_ep(struct shmring_bridge *b, struct ep *e, size_t peer_max)
{
	const char *addr;
	int scheme;

	if (zmq_scheme(e->uri, &scheme, &addr)) {
		e->kind = EP_ZMQ;
#ifdef SHMRING_HAVE_ZMQ
		return open_zmq(b, e, scheme, addr);
#else
		(void)peer_max;
		return fail(b, -EPROTONOSUPPORT, "%s: this shmring was built without ZeroMQ "
						 "(libzmq was not found, or SHMRING_WITH_ZMQ was off)",
			    e->uri);
#endif
	}
	if (is_sock(e->uri)) {
		e->kind = EP_SOCK;
		return open_sock(b, e, peer_max);
	}
	e->kind = EP_RING;
	return open_ring(b, e);
}

/* ------------------------------------------------------- the status object */

static int bstat_lock(int fd)
{
	/* A reader (`shmring stat`) takes the lock shared for a moment. */
	for (int i = 0; i < 50; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -errno;
		sleep_ns(2000000);
	}
	return -EBUSY;
}

/* Whether fd is still the object of that name (not removed meanwhile). */
static bool bstat_named(int fd, const char *path)
{
	struct stat a, c;
	int fd2 = shm_open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	bool same;

	if (fd2 < 0)
		return false;
	same = fstat(fd, &a) == 0 && fstat(fd2, &c) == 0 && a.st_dev == c.st_dev &&
	       a.st_ino == c.st_ino;
	close(fd2);
	return same;
}

static bool bstat_valid(const struct bstat *s, size_t size)
{
	return size >= sizeof(*s) && s->magic == BSTAT_MAGIC && s->version == BSTAT_VERSION &&
	       s->size == sizeof(*s);
}

static void bstat_init(struct bstat *s)
{
	memset(s, 0, sizeof(*s));
	s->version = BSTAT_VERSION;
	s->size = sizeof(*s);
	s->magic = BSTAT_MAGIC;
}

static int open_status(struct shmring_bridge *b)
{
	struct stat sb;
	void *p;
	int rc;

	if (!b->o.name) {
		b->st = calloc(1, sizeof(*b->st));
		if (!b->st)
			return fail(b, -ENOMEM, "out of memory");
		bstat_init(b->st);
		return 0;
	}
	if (!shmring_bridge_name_ok(b->o.name))
		return fail(b, -EINVAL, "--name '%s': 1..%u characters of [A-Za-z0-9._-]", b->o.name,
			    BSTAT_NAME_MAX);
	snprintf(b->st_path, sizeof(b->st_path), BSTAT_PREFIX "%s", b->o.name);
	for (int tries = 0;; tries++) {
		b->st_fd = shm_open(b->st_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0600);
		if (b->st_fd < 0)
			return fail(b, -errno, "bridge:%s: %s", b->o.name, strerror(errno));
		rc = bstat_lock(b->st_fd);
		/* `shmring rm` and `gc` remove the name holding the lock: an
		 * object opened before and locked after is nobody's to see
		 * any more, so the name is opened again (made anew). */
		if (rc < 0 || bstat_named(b->st_fd, b->st_path) || tries == 10)
			break;
		close(b->st_fd);
	}
	if (rc == -EBUSY)
		return fail(b, rc, "bridge:%s: another bridge runs by this name", b->o.name);
	if (rc < 0 || fstat(b->st_fd, &sb) != 0)
		return fail(b, rc < 0 ? rc : -errno, "bridge:%s: %s", b->o.name,
			    strerror(rc < 0 ? -rc : errno));
	if (!S_ISREG(sb.st_mode) || (sb.st_size != 0 && sb.st_size != (off_t)sizeof(struct bstat)))
		return fail(b, -EEXIST, "bridge:%s: /dev/shm%s is not a bridge's status object",
			    b->o.name, b->st_path);
	if (sb.st_size == 0 && ftruncate(b->st_fd, sizeof(struct bstat)) != 0)
		return fail(b, -errno, "bridge:%s: %s", b->o.name, strerror(errno));
	p = mmap(NULL, sizeof(struct bstat), PROT_READ | PROT_WRITE, MAP_SHARED, b->st_fd, 0);
	if (p == MAP_FAILED)
		return fail(b, -errno, "bridge:%s: %s", b->o.name, strerror(errno));
	b->st = p;
	b->st_shared = true;
	b->st_mine = sb.st_size == 0;
	if (sb.st_size == 0 || (!b->o.persist && bstat_valid(b->st, (size_t)sb.st_size))) {
		b->st_mine = true;
		bstat_init(b->st);
	} else if (!bstat_valid(b->st, (size_t)sb.st_size)) {
		return fail(b, -EEXIST, "bridge:%s: /dev/shm%s is not a bridge's status object",
			    b->o.name, b->st_path);
	} else {
		/* Resume. A message that was being put into TO when the last
		 * run died may or may not have got in: say so, and expect the
		 * one after it from that sender. */
		b->st_mine = true;
		add(&b->st->c[C_RESTARTS], 1);
		if (atomic_load_explicit(&b->st->pend_valid, memory_order_relaxed)) {
			uint32_t i = atomic_load_explicit(&b->st->pend_sess, memory_order_relaxed);

			add(&b->st->c[C_IN_DOUBT], 1);
			if (i < BSTAT_SESSIONS && ld(&b->st->s[i].next) == ld(&b->st->pend_seq))
				st(&b->st->s[i].next, ld(&b->st->pend_seq) + 1);
			atomic_store_explicit(&b->st->pend_valid, 0, memory_order_relaxed);
		}
	}
	atomic_store_explicit(&b->st->pid, (uint32_t)getpid(), memory_order_relaxed);
	atomic_store_explicit(&b->st->flags, b->o.persist ? 0 : BSTAT_TRANSIENT,
			      memory_order_relaxed);
	st(&b->st->started_ns, realtime_ns());
	return 0;
}

/* The entry of sender id, made (or taken from the stalest) when new. */
static struct bstat_sess *sess_get(struct shmring_bridge *b, uint64_t id, bool *fresh)
{
	struct bstat_sess *victim = NULL;

	for (uint32_t i = 0; i < BSTAT_SESSIONS; i++) {
		struct bstat_sess *s = &b->st->s[i];
		uint64_t sid = ld(&s->id);

		if (sid == id) {
			*fresh = false;
			return s;
		}
		/* Free first, then ended, then the longest silent. */
		if (!victim || (sid == 0 && ld(&victim->id) != 0) ||
		    (ld(&victim->id) != 0 && atomic_load_explicit(&s->ended, memory_order_relaxed) >
						      atomic_load_explicit(&victim->ended,
									   memory_order_relaxed)) ||
		    (ld(&victim->id) != 0 &&
		     atomic_load_explicit(&s->ended, memory_order_relaxed) ==
			     atomic_load_explicit(&victim->ended, memory_order_relaxed) &&
		     ld(&s->last_ns) < ld(&victim->last_ns)))
			victim = s;
	}
	memset((void *)victim, 0, sizeof(*victim));
	st(&victim->id, id);
	add(&b->st->c[C_SENDERS], 1);
	*fresh = true;
	return victim;
}

/* ----------------------------------------------------------------- FROM */

#ifdef SHMRING_HAVE_ZMQ
/* One connection event of e. */
static void zmq_event(struct shmring_bridge *b, struct ep *e, uint16_t what)
{
	if (what == ZMQ_EVENT_CONNECTED) {
		e->zshaking = true;
	} else if (what == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
		e->zshaking = false;
		if (e->zrep) {
			e->zreplay = e->zdown;
			e->zdown = false;
			if (e->zreplay)
				add(&b->st->c[C_RECONNECTS], 1);
		}
	} else if (what == ZMQ_EVENT_DISCONNECTED) {
		if (e->zrep)
			e->zdown = true;
		if (e->zshaking && !e->bind) {
			/* ZeroMQ ends a connection whose handshake failed and
			 * never tries it again: a peer that is no matching
			 * ZeroMQ socket, or our own socket (a connect to a
			 * loopback port nobody listens on can pick that port
			 * as its source). Connect again, after a pause, so that
			 * the listener that comes finds us. */
			if (!e->zsaid)
				fprintf(stderr, "shmring bridge: %s: a connection's ZeroMQ handshake "
						"failed (a peer that is not a matching ZeroMQ socket, or "
						"the connect reached itself): connecting again\n",
					e->uri);
			e->zsaid = true;
			zmq_disconnect(e->z, e->zaddr);
			sleep_ns(RECONNECT_MIN_NS);
			if (zmq_connect(e->z, e->zaddr) != 0)
				fprintf(stderr, "shmring bridge: %s: cannot connect %s again: %s\n",
					e->uri, e->zaddr, zmq_strerror(errno));
		}
		e->zshaking = false;
	}
}

/* Take e's connection events, waiting up to wait_ns for one while a PUSH TO
 * has no peer: 0, or -EAGAIN (it still has none). */
static int zmq_watch(struct shmring_bridge *b, struct ep *e, uint64_t wait_ns)
{
	e->zlook = shmring_clock_ns();
	for (;;) {
		zmq_msg_t ev, addr;
		int flags = e->zdown ? 0 : ZMQ_DONTWAIT, timeo = (int)(wait_ns / 1000000u);
		uint16_t what;

		zmq_setsockopt(e->mon, ZMQ_RCVTIMEO, &timeo, sizeof(timeo));
		zmq_msg_init(&ev);
		if (zmq_msg_recv(&ev, e->mon, flags) < 0) {
			zmq_msg_close(&ev);
			return e->zdown ? -EAGAIN : 0;
		}
		/* An event is two frames: 6 bytes (event, value), the address. */
		what = zmq_msg_size(&ev) >= 2 ? (uint16_t)le_get(zmq_msg_data(&ev), 2) : 0;
		if (zmq_msg_more(&ev)) {
			zmq_msg_init(&addr);
			zmq_msg_recv(&addr, e->mon, 0);
			zmq_msg_close(&addr);
		}
		zmq_msg_close(&ev);
		zmq_event(b, e, what);
	}
}
#endif

/* Release what a FROM ring lent us, once TO has it (or it was dropped). */
static void from_done(struct shmring_bridge *b, struct msg *m)
{
	if (m->held) {
		if (b->from.msg)
			shmring_msg_release(b->from.r);
		else
			shmring_release(b->from.r);
		m->held = false;
	}
#ifdef SHMRING_HAVE_ZMQ
	for (int i = 0; i < b->nzf; i++)
		zmq_msg_close(&b->zf[i]);
	b->nzf = 0;
#endif
}

/* Split a received record into header and payload. */
static void parse_prefixed(struct msg *m, const unsigned char *p, size_t len, uint32_t type)
{
	m->seqd = hdr_read(p, len, &m->h);
	if (m->seqd) {
		m->p = p + SHMRING_BRIDGE_HDR;
		m->len = len - SHMRING_BRIDGE_HDR;
		m->type = m->h.type;
	} else {
		m->p = p;
		m->len = len;
		m->type = type;
	}
}

/* Wait for a FROM ring to have something, at most wait_ns. */
static void ring_wait(struct shmring_bridge *b, uint64_t wait_ns, uint64_t *backoff)
{
	struct ep *e = &b->from;

	if (e->bell >= 0) {
		char c[64];
		int rc = shmring_doorbell_arm(e->r);

		if (rc != 0)
			return; /* something to read already (or an error the next read says) */
		if (poll(&(struct pollfd){.fd = e->bell, .events = POLLIN}, 1,
			 (int)(wait_ns / 1000000u) + 1) > 0)
			while (recv(e->bell, c, sizeof(c), MSG_DONTWAIT) > 0)
				;
		return;
	}
	*backoff = *backoff ? *backoff * 2 : BACKOFF_MIN_NS;
	if (*backoff > BACKOFF_MAX_NS)
		*backoff = BACKOFF_MAX_NS;
	sleep_ns(*backoff < wait_ns ? *backoff : wait_ns);
}

/*
 * Take the next message from FROM, waiting at most wait_ns: 1 (in *m), 0
 * (nothing yet), or -errno (the bridge cannot go on).
 */
static int from_get(struct shmring_bridge *b, struct msg *m, uint64_t wait_ns)
{
	struct ep *e = &b->from;
	uint64_t deadline = shmring_deadline_in(wait_ns), backoff = 0;

	memset(m, 0, sizeof(*m));
	if (e->kind == EP_RING) {
		for (;;) {
			ssize_t n;

			if (e->msg) {
				size_t len;
				uint32_t type;
				const void *p = shmring_msg_peek(e->r, &len, &type);

				if (p) {
					*m = (struct msg){.p = p, .len = len, .type = type, .held = true};
					return 1;
				}
			} else {
				const void *p = shmring_peek(e->r);

				if (p) {
					*m = (struct msg){.p = p, .len = e->max, .held = true};
					return 1;
				}
			}
			/* NULL: empty, or a record the ring cannot give (a copying
			 * receive says which, and takes it when it can). */
			if (shmring_count(e->r) > 0) {
				uint32_t type = 0;

				n = e->msg ? shmring_msg_try_recv(e->r, b->buf + SHMRING_BRIDGE_HDR,
								  e->max, &type)
					   : shmring_try_recv(e->r, b->buf + SHMRING_BRIDGE_HDR);
				if (n >= 0) {
					*m = (struct msg){.p = b->buf + SHMRING_BRIDGE_HDR,
							  .len = e->msg ? (size_t)n : e->max,
							  .type = type};
					return 1;
				}
				if (n != -EAGAIN && n != -EPIPE)
					return fail(b, (int)n, "%s: %s", e->uri,
						    shmring_strerror((int)n));
			}
			if (shmring_clock_ns() >= deadline)
				return 0;
			ring_wait(b, deadline - shmring_clock_ns(), &backoff);
		}
	}
	if (e->kind == EP_SOCK) {
		uint32_t type = 0;
		ssize_t n = shmring_msg_recv(e->r, b->buf, b->bufcap, &type, deadline);

		if (n >= 0) {
			parse_prefixed(m, b->buf, (size_t)n, type);
			return 1;
		}
		if (n == -ETIMEDOUT || n == -EAGAIN) /* -EAGAIN: asked not to wait */
			return 0;
		if (n == -EPIPE) {
			/* No sender connected now: wait for the next. */
			sleep_ns(wait_ns < 10000000 ? wait_ns : 10000000);
			return 0;
		}
		return fail(b, (int)n, "%s: %s", e->uri, shmring_strerror((int)n));
	}
#ifdef SHMRING_HAVE_ZMQ
	{
		int more = 0;

		if (e->mon && shmring_clock_ns() - e->zlook > 1000000)
			zmq_watch(b, e, 0);
		zmq_msg_init(&b->zf[0]);
		b->nzf = 1;
		/* What is queued already is taken without touching the
		 * timeout; only an empty queue waits. */
		if (zmq_msg_recv(&b->zf[0], e->z, ZMQ_DONTWAIT) < 0 &&
		    (errno != EAGAIN || (ztimeout(e, wait_ns), zmq_msg_recv(&b->zf[0], e->z, 0) < 0))) {
			int err = errno;

			from_done(b, m);
			if (err == EAGAIN || err == EINTR)
				return 0;
			return fail(b, -err, "%s: %s", e->uri, zmq_strerror(err));
		}
		more = zmq_msg_more(&b->zf[0]);
		if (!more) {
			/* One frame: a plain ZeroMQ producer's message. */
			*m = (struct msg){.p = zmq_msg_data(&b->zf[0]), .len = zmq_msg_size(&b->zf[0])};
			return 1;
		}
		zmq_msg_init(&b->zf[1]);
		b->nzf = 2;
		/* The rest of a multipart message is already here. */
		if (zmq_msg_recv(&b->zf[1], e->z, 0) < 0) {
			from_done(b, m);
			return 0;
		}
		m->seqd = hdr_read(zmq_msg_data(&b->zf[0]), zmq_msg_size(&b->zf[0]), &m->h);
		if (!m->seqd || zmq_msg_size(&b->zf[0]) != SHMRING_BRIDGE_HDR ||
		    zmq_msg_more(&b->zf[1])) {
			/* Not ours: drop all of it, and say so. */
			while (zmq_msg_more(&b->zf[1])) {
				zmq_msg_close(&b->zf[1]);
				zmq_msg_init(&b->zf[1]);
				if (zmq_msg_recv(&b->zf[1], e->z, 0) < 0)
					break;
			}
			from_done(b, m);
			add(&b->st->c[C_ERRORS], 1);
			add(&b->st->c[C_LOST], 1);
			fprintf(stderr, "shmring bridge: %s: a multipart message that is not a "
					"bridge's: dropped (counted lost)\n", e->uri);
			return 0;
		}
		m->p = zmq_msg_data(&b->zf[1]);
		m->len = zmq_msg_size(&b->zf[1]);
		m->type = m->h.type;
		return 1;
	}
#else
	return fail(b, -EPROTONOSUPPORT, "built without ZeroMQ");
#endif
}

/* ------------------------------------------------------------------- TO */

#ifdef SHMRING_HAVE_ZMQ
/*
 * A ZeroMQ TO's connection events. For a PUSH, a peer that goes takes what
 * its connection held (ZMQ_IMMEDIATE: nothing more queues until one is
 * back); when one comes back, the window of the last records sent goes
 * again, marked REPLAY, before anything new, so the receiver gets what was
 * lost in order and drops what it has. 0, -EAGAIN (no peer yet: waited up
 * to wait_ns), -ECANCELED (stopping during a replay) or -errno.
 */
static int to_zmq_events(struct shmring_bridge *b, uint64_t wait_ns)
{
	struct ep *e = &b->to;
	int rc = zmq_watch(b, e, wait_ns);

	if (rc < 0)
		return rc;
	if (!e->zreplay)
		return 0;
	for (uint64_t j = 0; j < b->rp_count; j++) {
		uint64_t i = (b->rp_head - b->rp_count + j) % b->rp_n;
		unsigned char *p = b->rp + i * b->rp_rec;
		int timeo = (int)(SLICE_NS / 1000000u);

		p[28] |= SHMRING_BRIDGE_REPLAY; /* the flags' low byte */
		ztimeout(e, (uint64_t)timeo * 1000000u);
		while (zmq_send(e->z, p, SHMRING_BRIDGE_HDR, ZMQ_SNDMORE) < 0) {
			if ((errno != EAGAIN && errno != EINTR))
				return -errno;
			if (stopping(b))
				return -ECANCELED;
		}
		if (zmq_send(e->z, p + SHMRING_BRIDGE_HDR, b->rp_len[i] - SHMRING_BRIDGE_HDR, 0) < 0)
			return -errno;
	}
	e->zreplay = false;
	return 0;
}
#endif

/* Put m into TO once: 0, -EAGAIN (full now: the caller waits and tries
 * again), -EPIPE (a socket channel lost its listener), -EMSGSIZE (it can
 * never fit: rejected), or another -errno. */
static int to_put_once(struct shmring_bridge *b, const struct msg *m, uint64_t wait_ns)
{
	struct ep *e = &b->to;
	int rc;

	if (e->kind == EP_RING) {
		if (e->msg) {
			if (m->len > e->max)
				return -EMSGSIZE;
			return shmring_msg_try_send(e->r, m->p, m->len, m->type);
		}
		if (m->len != e->max)
			return -EMSGSIZE;
		return shmring_try_send(e->r, m->p);
	}
	if (e->kind == EP_SOCK) {
		uint64_t i = b->rp_head % b->rp_n;
		unsigned char *p = b->rp + i * b->rp_rec;

		/* Also within a record of the window, sized for the listener
		 * of the first connection: one that came back taking larger
		 * records (another receiver, or a lie) makes no more room. */
		if (m->len + SHMRING_BRIDGE_HDR > e->max || m->len + SHMRING_BRIDGE_HDR > b->rp_rec)
			return -EMSGSIZE;
		/* One record, the header then the payload, built where it is
		 * kept for a replay. */
		memmove(p + SHMRING_BRIDGE_HDR, m->p, m->len);
		hdr_write(p, &m->h);
		rc = shmring_msg_send(e->r, p, m->len + SHMRING_BRIDGE_HDR, m->type,
				      shmring_deadline_in(wait_ns));
		if (rc == 0) {
			b->rp_len[i] = m->len + SHMRING_BRIDGE_HDR;
			b->rp_type[i] = m->type;
			b->rp_head++;
			/* One slot stays out of the window: the next record is
			 * built there, never over one a replay would send. */
			if (b->rp_count < b->rp_n - 1)
				b->rp_count++;
		}
		return rc == -ETIMEDOUT ? -EAGAIN : rc;
	}
#ifdef SHMRING_HAVE_ZMQ
	{
		unsigned char *h = NULL, hb[SHMRING_BRIDGE_HDR];
		uint64_t i = 0;

		/* The events, at least every millisecond: a peer's going is
		 * seen long before ZeroMQ reconnects (100 ms), so nothing new
		 * goes out on a new connection before the replay. */
		if (e->mon && (e->zdown || e->zreplay || shmring_clock_ns() - e->zlook > 1000000)) {
			rc = to_zmq_events(b, wait_ns);
			if (rc < 0)
				return rc;
		}
		/* Never past --max-size, nor past a record of the window
		 * (sized above for the longest FROM gives). */
		if (m->len > e->max || (b->rp && m->len > b->rp_rec - SHMRING_BRIDGE_HDR))
			return -EMSGSIZE;
		ztimeout(e, wait_ns);
		if (!b->o.raw) {
			/* The header, kept with the payload for a replay. */
			i = b->rp ? b->rp_head % b->rp_n : 0;
			/* Not b->buf: a record that came from a socket channel
			 * without a header of its own starts there. */
			h = b->rp ? b->rp + i * b->rp_rec : hb;
			hdr_write(h, &m->h);
			/* The high-water mark is checked at the first frame; the
			 * rest of a multipart message then always goes. */
			if (zmq_send(e->z, h, SHMRING_BRIDGE_HDR, ZMQ_SNDMORE) < 0)
				return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
		} else if (m->h.flags & SHMRING_BRIDGE_END) {
			return 0; /* a raw stream has no END */
		}
		if (zmq_send(e->z, m->p, m->len, 0) < 0)
			return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
		if (b->rp && h) {
			memcpy(h + SHMRING_BRIDGE_HDR, m->p, m->len);
			b->rp_len[i] = m->len + SHMRING_BRIDGE_HDR;
			b->rp_head++;
			/* One slot stays out of the window: the next record is
			 * built there, never over one a replay would send. */
			if (b->rp_count < b->rp_n - 1)
				b->rp_count++;
		}
		return 0;
	}
#else
	return -EPROTONOSUPPORT;
#endif
}

/* Send the kept records again, oldest first, marked REPLAY: 0, -EPIPE
 * (gone again), -ECANCELED (stopping; or past deadline, the one a closing
 * bridge gives), or another -errno. */
static int replay(struct shmring_bridge *b, uint64_t deadline)
{
	for (uint64_t j = 0; j < b->rp_count; j++) {
		uint64_t i = (b->rp_head - b->rp_count + j) % b->rp_n;
		unsigned char *p = b->rp + i * b->rp_rec;
		int rc;

		/* A listener that came back taking shorter records: what it
		 * cannot take is not sent again. A receiving bridge that never
		 * had it counts it lost at the next number. */
		if (b->rp_len[i] > b->to.max)
			continue;
		p[28] |= SHMRING_BRIDGE_REPLAY; /* the flags' low byte */
		do {
			if (deadline == SHMRING_NO_DEADLINE ? stopping(b)
							    : shmring_clock_ns() >= deadline)
				return -ECANCELED;
			rc = shmring_msg_send(b->to.r, p, b->rp_len[i], b->rp_type[i],
					      shmring_deadline_in(SLICE_NS));
		} while (rc == -ETIMEDOUT);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Connect again (until deadline) and send the kept records again. */
static int reconnect_replay(struct shmring_bridge *b, uint64_t deadline)
{
	int rc;

	ep_close(&b->to);
	rc = sock_connect_retry(b, &b->to, deadline);
	if (rc < 0)
		return rc;
	add(&b->st->c[C_RECONNECTS], 1);
	return replay(b, deadline);
}

/* A socket channel TO lost its listener: connect again, with backoff, until
 * it works or the bridge stops. */
static int to_reconnect(struct shmring_bridge *b)
{
	int rc;

	while ((rc = reconnect_replay(b, SHMRING_NO_DEADLINE)) == -EPIPE)
		;
	return rc;
}

/*
 * Closing, the END found that a socket channel TO lost its listener since
 * our last message (nothing tells a sender while FROM is quiet), so what
 * the old connection held may be gone. Within wait_ns: connect again, send
 * the kept records again, then the END, so that the tail arrives or is
 * counted lost, never silent. 0, -EAGAIN, or -errno.
 */
static int end_after_reconnect(struct shmring_bridge *b, const struct msg *end, uint64_t wait_ns)
{
	int rc = reconnect_replay(b, shmring_clock_ns() + wait_ns);

	return rc < 0 ? rc : to_put_once(b, end, wait_ns);
}

/*
 * Put m into TO, waiting while it is full until deadline: 0 (it is in), 1
 * (still full at the deadline, or stopping during a reconnect: it is not),
 * or -errno (fatal). A message TO can never take is rejected: counted
 * lost and an error, said once, and 2 (the loop goes on).
 */
static int to_put(struct shmring_bridge *b, const struct msg *m0, uint64_t deadline)
{
	struct msg again = *m0;
	const struct msg *m = m0;
	uint64_t backoff = 0;

	for (;;) {
		uint64_t now = shmring_clock_ns(), slice;
		int rc;

		slice = deadline > now ? deadline - now : 0;
		if (slice > SLICE_NS)
			slice = SLICE_NS;
		/* Only an attempt that may succeed is in doubt if we die in it:
		 * not the waits between attempts on a full TO. */
		if (b->pend_on) {
			atomic_store_explicit(&b->st->pend_valid, 1, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst); /* the mark precedes the put */
		}
		rc = to_put_once(b, m, slice);
		if (rc == 0)
			return 0; /* the caller records the outcome, then clears the mark */
		if (b->pend_on) {
			atomic_signal_fence(memory_order_seq_cst);
			atomic_store_explicit(&b->st->pend_valid, 0, memory_order_relaxed);
		}
		if (rc == -EMSGSIZE) {
			size_t most = b->to.max;

			add(&b->st->c[C_ERRORS], 1);
			add(&b->st->c[C_LOST], 1);
			if (b->to.kind == EP_SOCK)
				most = (most < b->rp_rec ? most : b->rp_rec) - SHMRING_BRIDGE_HDR;
			if (!b->said_misfit)
				fprintf(stderr, "shmring bridge: %s: a message of %zu bytes does not fit "
						"(%s %zu bytes): dropped, counted lost (said once)\n",
					b->to.uri, m->len,
					b->to.kind == EP_RING && !b->to.msg ? "slots are" : "at most",
					most);
			b->said_misfit = true;
			return 2;
		}
		if (rc == -EPIPE && b->to.kind == EP_SOCK) {
			rc = to_reconnect(b);
			if (rc < 0)
				return stopping(b) ? 1 : fail(b, rc, "%s: %s", b->to.uri,
							      shmring_strerror(rc));
			/* The old connection may have taken it after all. */
			again.h.flags |= SHMRING_BRIDGE_REPLAY;
			m = &again;
			continue;
		}
		if (rc == -ECANCELED)
			return 1; /* stopping during a replay */
		if (rc == -EPIPE && b->to.kind == EP_RING) {
			/* The consumers a producer saw have all gone: the ring
			 * keeps what we put until one comes back; wait. */
			rc = -EAGAIN;
		}
		if (rc != -EAGAIN)
			return fail(b, rc, "%s: %s", b->to.uri, shmring_strerror(rc));
		if (shmring_clock_ns() >= deadline || (stopping(b) && deadline == SHMRING_NO_DEADLINE))
			return 1;
		if (b->to.kind == EP_RING) {
			backoff = backoff ? backoff * 2 : BACKOFF_MIN_NS;
			if (backoff > BACKOFF_MAX_NS)
				backoff = BACKOFF_MAX_NS;
			sleep_ns(backoff);
		}
	}
}

/* --------------------------------------------------------------- the loop */

/* Whether m goes on to TO (false: a duplicate or an END, counted). */
static bool accept_seq(struct shmring_bridge *b, const struct msg *m, struct bstat_sess **out)
{
	bool fresh;
	struct bstat_sess *s = sess_get(b, m->h.session, &fresh);
	uint64_t next;

	if (fresh)
		/* A subscriber joins a stream where it is; anyone else expects
		 * the sender's first message. */
		st(&s->next, b->from.ztype == 3 /* ZMQ_SUB */ ? m->h.seq : 1);
	next = ld(&s->next);
	st(&s->last_ns, realtime_ns());
	if (m->h.flags & SHMRING_BRIDGE_END) {
		if (m->h.seq >= next) {
			add(&s->lost, m->h.seq - next + 1);
			add(&b->st->c[C_LOST], m->h.seq - next + 1);
			st(&s->next, m->h.seq + 1);
		}
		atomic_store_explicit(&s->ended, 1, memory_order_relaxed);
		*out = s;
		return false;
	}
	if (m->h.seq < next) {
		if (m->h.flags & SHMRING_BRIDGE_REPLAY) {
			add(&b->st->c[C_REPLAYED], 1);
		} else {
			add(&s->dups, 1);
			add(&b->st->c[C_DUPS], 1);
		}
		return false;
	}
	if (m->h.seq > next) {
		add(&s->lost, m->h.seq - next);
		add(&b->st->c[C_LOST], m->h.seq - next);
		st(&s->next, m->h.seq);
	}
	*out = s;
	return true;
}

/* Whether TO carries bridge headers on (a socket channel, ZeroMQ unless raw). */
static bool to_sequenced(const struct shmring_bridge *b)
{
	return b->to.kind == EP_SOCK || (b->to.kind == EP_ZMQ && !b->o.raw);
}

/*
 * Forward one message: 0 forwarded, 2 not forwarded but done with
 * (a duplicate, an END, a message TO can never take: each counted), 1 TO
 * stayed full until the deadline of a stop (a message held in a FROM ring
 * stays there for the next run; any other is counted lost here), -errno
 * fatal.
 */
static int forward(struct shmring_bridge *b, struct msg *m, uint64_t deadline)
{
	struct bstat_sess *s = NULL;
	bool end = m->seqd && (m->h.flags & SHMRING_BRIDGE_END);
	int rc;

	if (m->seqd) {
		bool go = accept_seq(b, m, &s);

		/* An END goes on through a relay, so the far end counts too. */
		if (!go && !(end && to_sequenced(b)))
			return 2;
	} else {
		add(&b->st->c[C_UNSEQ], b->from.kind == EP_RING ? 0 : 1);
		/* Our own sequence for what we send on. */
		m->h = (struct shmring_bridge_hdr){.session = b->session, .seq = b->seq + 1,
						   .type = m->type};
	}
	if (s) {
		/* Which message is going into TO, for a restart to judge;
		 * to_put() marks it valid around each attempt. */
		atomic_store_explicit(&b->st->pend_sess, (uint32_t)(s - b->st->s),
				      memory_order_relaxed);
		st(&b->st->pend_seq, m->h.seq);
		b->pend_on = true;
	}
	rc = to_put(b, m, deadline);
	b->pend_on = false;
	if (rc == 1 && !m->held && !end) {
		/* Stopping with TO full: taken from a socket, it is lost now;
		 * its sender's next number must not count it again. */
		add(&b->st->c[C_LOST], 1);
		if (s)
			add(&s->lost, 1);
		fprintf(stderr, "shmring bridge: %s: full when stopping: a message taken from %s is "
				"lost (counted)\n", b->to.uri, b->from.uri);
	}
	if (s) {
		atomic_signal_fence(memory_order_seq_cst); /* the put precedes the outcome */
		if (rc == 0 && !end)
			add(&s->delivered, 1);
		if (rc == 0 || rc == 2 || (rc == 1 && !end))
			st(&s->next, m->h.seq + 1);
		atomic_store_explicit(&b->st->pend_valid, 0, memory_order_relaxed);
	}
	if (rc != 0)
		return rc;
	if (end)
		return 2;
	if (!m->seqd && m->h.session == b->session) {
		b->seq++;
		b->stamped = true;
		st(&b->st->seq, b->seq);
	}
	add(&b->st->c[C_FORWARDED], 1);
	return 0;
}

int shmring_bridge_run(struct shmring_bridge *b)
{
	uint64_t last = shmring_clock_ns(), done = 0, drain_until = 0;

	for (;;) {
		struct msg m;
		uint64_t now = shmring_clock_ns(), wait, deadline;
		int rc;

		if (!drain_until && stopping(b))
			drain_until = now + b->o.drain_ns;
		if (b->o.count && done >= b->o.count)
			return 0;
		if (drain_until && now >= drain_until)
			return 0;
		if (!drain_until && b->o.idle_ns && now - last >= b->o.idle_ns) {
			if (b->o.count)
				return fail(b, -ETIMEDOUT, "no message for %.3g s: forwarded %" PRIu64
							   " of %" PRIu64,
					    (double)b->o.idle_ns / 1e9, done, b->o.count);
			return 0;
		}
		wait = drain_until ? 0 : SLICE_NS;
		if (!drain_until && b->o.idle_ns && b->o.idle_ns - (now - last) < wait)
			wait = b->o.idle_ns - (now - last);
		rc = from_get(b, &m, wait);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			if (drain_until)
				return 0; /* FROM is drained */
			continue;
		}
		last = shmring_clock_ns();
		deadline = drain_until ? drain_until : SHMRING_NO_DEADLINE;
		rc = forward(b, &m, deadline);
		if (rc < 0) {
			from_done(b, &m);
			return rc;
		}
		if (rc == 1) {
			/* Stopping with TO full: a peek is left unreleased, for
			 * the next consumer of the ring (forward() counted any
			 * other message lost) - but closing a handle of a ring
			 * of many consumers releases what it peeked. */
			if (m.held && b->from.mc) {
				add(&b->st->c[C_LOST], 1);
				fprintf(stderr, "shmring bridge: %s: full when stopping: a message "
						"taken from %s is lost (counted)\n",
					b->to.uri, b->from.uri);
			}
			m.held = false;
			from_done(b, &m);
			return 0;
		}
		from_done(b, &m);
		if (rc == 0)
			done++;
	}
}

/* --------------------------------------------------------- open and close */

int shmring_bridge_open(const struct shmring_bridge_opts *o, struct shmring_bridge **out,
			char *err, size_t errlen)
{
	struct shmring_bridge *b = calloc(1, sizeof(*b));
	const char *ta;
	char why[PATH_MAX + 64];
	size_t from_max;
	int rc, ts;

	*out = NULL;
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->o = *o;
	if (same_channel(o->from, o->to, why, sizeof(why))) {
		snprintf(err, errlen, "%s and %s are the same channel (%s): every message would "
				      "come back to be forwarded again", o->from, o->to, why);
		free(b);
		return -EINVAL;
	}
	if (o->zmq_max && !zmq_scheme(o->to, &ts, &ta)) {
		snprintf(err, errlen, "--max-size applies to a ZeroMQ TO only: %s has a size of "
				      "its own", o->to);
		free(b);
		return -EINVAL;
	}
	if (o->raw && !zmq_scheme(o->to, &ts, &ta)) {
		snprintf(err, errlen, "--raw applies to a ZeroMQ TO only: %s is none (a ring "
				      "takes the payload alone, a socket channel always the "
				      "header too)", o->to);
		free(b);
		return -EINVAL;
	}
	if (o->hwm && !zmq_scheme(o->from, &ts, &ta) && !zmq_scheme(o->to, &ts, &ta)) {
		snprintf(err, errlen, "--hwm applies to ZeroMQ only: neither %s nor %s is a "
				      "ZeroMQ endpoint", o->from, o->to);
		free(b);
		return -EINVAL;
	}
	if (!b->o.connect_ns)
		b->o.connect_ns = 5000000000u;
	b->st_fd = -1;
	b->from = (struct ep){.uri = o->from, .from = true, .bell = -1};
	b->to = (struct ep){.uri = o->to, .bell = -1};
	if (getrandom(&b->session, sizeof(b->session), 0) != (ssize_t)sizeof(b->session))
		b->session = realtime_ns() ^ ((uint64_t)getpid() << 32);
	b->session |= 1; /* never 0 */
	rc = open_status(b);
	/* TO first: a FROM listener sizes its records by what TO takes; then
	 * FROM, and TO's check of FROM's size. */
	if (rc == 0 && !is_sock(o->to))
		rc = open_ep(b, &b->to, 0);
	if (rc == 0)
		rc = open_ep(b, &b->from, b->to.kind == EP_RING ? b->to.max : SHMRING_MAX_SLOT_SIZE -
							  SHMRING_BRIDGE_HDR);
	from_max = b->from.kind == EP_SOCK ? b->from.max - SHMRING_BRIDGE_HDR : b->from.max;
	if (rc == 0 && is_sock(o->to))
		rc = open_ep(b, &b->to, from_max);
	if (rc == 0 && same_ring(&b->from, &b->to))
		rc = fail(b, -EINVAL, "%s and %s are the same ring: every message would come back "
				      "to be forwarded again, for ever", o->from, o->to);
	if (rc == 0 && b->from.kind != EP_ZMQ && b->to.kind == EP_RING) {
		/* Sizes that can never go through are a mistake said now. */
		if (!b->to.msg && (b->from.msg ? from_max < b->to.max && b->from.kind == EP_RING
					       : from_max != b->to.max))
			rc = fail(b, -SHMRING_EMISMATCH, "%s carries %s%zu-byte messages, and %s has "
							 "%zu-byte slots",
				  o->from, b->from.msg ? "up to " : "", from_max, o->to, b->to.max);
		else if (b->to.msg && !b->from.msg && from_max > b->to.max)
			rc = fail(b, -SHMRING_EMISMATCH, "%s carries %zu-byte messages, and %s takes "
							 "records of at most %zu bytes",
				  o->from, from_max, o->to, b->to.max);
	}
	if (rc == 0 && b->to.kind == EP_SOCK && from_max + SHMRING_BRIDGE_HDR > b->to.max)
		rc = fail(b, -SHMRING_EMISMATCH, "%s carries messages of up to %zu bytes; with the "
						 "bridge's %u-byte header they exceed what %s takes "
						 "(%zu bytes)",
			  o->from, from_max, SHMRING_BRIDGE_HDR, o->to, b->to.max);
	if (rc == 0) {
		size_t a = b->from.max == SIZE_MAX ? 0 : b->from.max;
		/* --max-size bounds what goes to ZeroMQ, not what is read. */
		size_t c = b->to.kind == EP_ZMQ ? 0 : b->to.max;

		b->bufcap = (a > c ? a : c) + SHMRING_BRIDGE_HDR;
		if (b->bufcap < SHMRING_MAX_SLOT_SIZE + SHMRING_BRIDGE_HDR)
			b->bufcap = SHMRING_MAX_SLOT_SIZE + SHMRING_BRIDGE_HDR;
		b->buf = malloc(b->bufcap);
		if (!b->buf)
			rc = fail(b, -ENOMEM, "out of memory");
	}
	if (rc == 0 && (b->to.kind == EP_SOCK || (b->to.mon && from_max != SIZE_MAX))) {
		/* Up to 16384 records or 8 MiB: about what the buffers of a
		 * loopback or LAN connection hold at both ends. */
		/* To ZeroMQ: the header before the longest record FROM gives,
		 * which from a socket channel may be one without a header of
		 * its own (from.max, not from_max). */
		b->rp_rec = (b->to.kind == EP_SOCK ? b->to.max : b->from.max + SHMRING_BRIDGE_HDR);
		b->rp_rec = (b->rp_rec + 15) & ~(size_t)15;
		b->rp_n = (8u << 20) / b->rp_rec;
		if (b->rp_n > 16384)
			b->rp_n = 16384;
		if (b->rp_n < 16)
			b->rp_n = 16;
		b->rp = malloc(b->rp_n * b->rp_rec);
		b->rp_len = calloc(b->rp_n, sizeof(*b->rp_len));
		b->rp_type = calloc(b->rp_n, sizeof(*b->rp_type));
		if (!b->rp || !b->rp_len || !b->rp_type)
			rc = fail(b, -ENOMEM, "out of memory");
	}
	if (rc == 0 && b->st_shared) {
		snprintf(b->st->from, sizeof(b->st->from), "%s", o->from);
		snprintf(b->st->to, sizeof(b->st->to), "%s", o->to);
	}
	if (rc == 0)
		st(&b->st->session, b->session);
	if (rc < 0) {
		snprintf(err, errlen, "%s", b->err);
		b->stamped = false;
		shmring_bridge_close(b);
		return rc;
	}
	*out = b;
	return 0;
}

static void bstat_counts(const struct bstat *s, struct shmring_bridge_counts *c)
{
	*c = (struct shmring_bridge_counts){
		.forwarded = ld(&s->c[C_FORWARDED]),   .lost = ld(&s->c[C_LOST]),
		.duplicates = ld(&s->c[C_DUPS]),       .reconnects = ld(&s->c[C_RECONNECTS]),
		.errors = ld(&s->c[C_ERRORS]),         .in_doubt = ld(&s->c[C_IN_DOUBT]),
		.unsequenced = ld(&s->c[C_UNSEQ]),     .senders = ld(&s->c[C_SENDERS]),
		.restarts = ld(&s->c[C_RESTARTS]),     .replayed = ld(&s->c[C_REPLAYED]),
	};
}

void shmring_bridge_get_counts(const struct shmring_bridge *b, struct shmring_bridge_counts *c)
{
	bstat_counts(b->st, c);
}

const char *shmring_bridge_error(const struct shmring_bridge *b)
{
	return b->err;
}

void shmring_bridge_end(struct shmring_bridge *b)
{
	if (b->end_done)
		return;
	b->end_done = true;
	/* A sending bridge says where its session ended, so that the receiver
	 * counts a lost tail too. Best effort, within the drain time. */
	if (b->stamped && to_sequenced(b) && (b->to.r || b->to.z)) {
		struct msg end = {.p = (const unsigned char *)"", .len = 0};
		uint64_t wait = b->o.drain_ns ? b->o.drain_ns : SLICE_NS;
		int rc;

		end.h = (struct shmring_bridge_hdr){.session = b->session, .seq = b->seq,
						    .flags = SHMRING_BRIDGE_END};
		rc = to_put_once(b, &end, wait);
		if (rc == -EPIPE && b->to.kind == EP_SOCK)
			rc = end_after_reconnect(b, &end, wait);
		if (rc == -EAGAIN)
			fprintf(stderr, "shmring bridge: %s: could not send the end of this session "
					"(full)\n", b->to.uri);
	}
}

void shmring_bridge_remove_sock_file(struct shmring_bridge *b)
{
	sock_file_remove(&b->from);
}

void shmring_bridge_close(struct shmring_bridge *b)
{
	if (!b)
		return;
	shmring_bridge_end(b);
#ifdef SHMRING_HAVE_ZMQ
	if (b->to.z && b->o.drain_ns) {
		/* What ZeroMQ still queues goes out within the drain time. */
		int linger = (int)(b->o.drain_ns / 1000000u);

		zmq_setsockopt(b->to.z, ZMQ_LINGER, &linger, sizeof(linger));
	}
	for (int i = 0; i < b->nzf; i++)
		zmq_msg_close(&b->zf[i]);
#endif
	ep_close(&b->from);
	ep_close(&b->to);
#ifdef SHMRING_HAVE_ZMQ
	if (b->zctx)
		zmq_ctx_term(b->zctx);
#endif
	if (b->st_shared) {
		if (b->st_mine && !b->o.persist)
			shm_unlink(b->st_path);
		munmap(b->st, sizeof(*b->st));
	} else {
		free(b->st);
	}
	if (b->st_fd >= 0)
		close(b->st_fd); /* and the lock with it */
	free(b->buf);
	free(b->rp);
	free(b->rp_len);
	free(b->rp_type);
	free(b);
}

/* ------------------------------------------------------------------ stat */

/* A JSON string; the status object's strings are the writer's: a byte that
 * is not of well-formed UTF-8 is written as U+FFFD. */
static void json_str(const char *s)
{
	putchar('"');
	while (*s) {
		unsigned char c = (unsigned char)*s;
		size_t n = shmring_cli_utf8_len((const unsigned char *)s);

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else if (n == 0)
			fputs("\\ufffd", stdout);
		else
			fwrite(s, 1, n, stdout);
		s += n ? n : 1;
	}
	putchar('"');
}

/*
 * bridge:NAME's status object, mapped for reading: 0 with *fd and *s, or
 * -EINVAL (not a bridge's name), -ENOENT, -EBADMSG (the name holds
 * something else; a FIFO there is never waited on), another -errno.
 */
static int bstat_map(const char *name, int *fd, struct bstat **s)
{
	char path[96];
	struct stat sb;
	void *p;
	int rc;

	if (!shmring_bridge_name_ok(name))
		return -EINVAL;
	snprintf(path, sizeof(path), BSTAT_PREFIX "%s", name);
	*fd = shm_open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	if (*fd < 0)
		return -errno;
	rc = fstat(*fd, &sb) != 0 ? -errno : 0;
	if (rc == 0 && (!S_ISREG(sb.st_mode) || sb.st_size != (off_t)sizeof(**s)))
		rc = -EBADMSG;
	p = rc == 0 ? mmap(NULL, sizeof(**s), PROT_READ, MAP_SHARED, *fd, 0) : MAP_FAILED;
	if (rc == 0 && p == MAP_FAILED)
		rc = -errno;
	if (rc == 0 && !bstat_valid(p, sizeof(**s))) {
		munmap(p, sizeof(**s));
		rc = -EBADMSG;
	}
	if (rc < 0) {
		close(*fd);
		return rc;
	}
	*s = p;
	return 0;
}

/* Whether a bridge holds the object: its lock, taken shared for a moment,
 * says (fd must hold no lock of its own). */
static bool bstat_running(int fd)
{
	int lk = flock(fd, LOCK_SH | LOCK_NB);
	bool running = lk != 0 && errno == EWOULDBLOCK;

	if (lk == 0)
		flock(fd, LOCK_UN);
	return running;
}

static void bstat_info(const struct bstat *s, int fd, bool running, struct shmring_bridge_info *in)
{
	struct stat sb;

	memset(in, 0, sizeof(*in));
	in->running = running;
	in->transient = atomic_load_explicit(&s->flags, memory_order_relaxed) & BSTAT_TRANSIENT;
	in->pid = atomic_load_explicit(&s->pid, memory_order_relaxed);
	in->started_ns = ld(&s->started_ns);
	if (fstat(fd, &sb) == 0) {
		in->uid = sb.st_uid;
		in->mode = sb.st_mode & 07777;
	}
	/* The strings are the writer's; bound them here. */
	memcpy(in->from, s->from, sizeof(s->from));
	memcpy(in->to, s->to, sizeof(s->to));
	bstat_counts(s, &in->c);
	for (uint32_t i = 0; i < BSTAT_SESSIONS; i++)
		if (ld(&s->s[i].id) && !atomic_load_explicit(&s->s[i].ended, memory_order_relaxed))
			in->open_senders++;
}

const char *shmring_bridge_state(bool running, bool transient)
{
	return running ? "running" : transient ? "stale" : "kept";
}

int shmring_bridge_look(const char *name, struct shmring_bridge_info *in)
{
	struct bstat *s;
	int fd, rc = bstat_map(name, &fd, &s);

	if (rc < 0)
		return rc;
	bstat_info(s, fd, bstat_running(fd), in);
	munmap(s, sizeof(*s));
	close(fd);
	return 0;
}

int shmring_bridge_remove(const char *name, bool stale_only, struct shmring_bridge_info *in)
{
	char path[96];
	struct bstat *s;
	int fd, rc = bstat_map(name, &fd, &s);

	if (rc < 0)
		return rc;
	/* Its lock, held while the name goes: a bridge that starts meanwhile
	 * waits for it, and then makes the object anew (see open_status()). */
	rc = bstat_lock(fd);
	bstat_info(s, fd, rc == -EBUSY, in);
	snprintf(path, sizeof(path), BSTAT_PREFIX "%s", name);
	if (rc == 0 && stale_only && !(in->transient && bstat_named(fd, path)))
		rc = -ECANCELED;
	else if (rc == 0 && !bstat_named(fd, path))
		rc = -ENOENT; /* removed, or replaced, meanwhile: not ours to remove */
	if (rc == 0 && shm_unlink(path) != 0)
		rc = -errno;
	munmap(s, sizeof(*s));
	close(fd); /* and the lock with it */
	return rc;
}

int shmring_bridge_stat(const char *name, bool json)
{
	static const char *const keys[C_N] = {"forwarded", "lost", "duplicates", "reconnects",
					      "errors", "in_doubt", "unsequenced", "senders",
					      "restarts", "replayed"};
	char from[257], to[257];
	struct bstat *s;
	bool running, transient;
	int fd, rc = bstat_map(name, &fd, &s);

	if (rc == -EINVAL) {
		fprintf(stderr, "shmring stat: bridge:%s: a bridge's name is 1..%u characters of "
				"[A-Za-z0-9._-]\n", name, BSTAT_NAME_MAX);
		return 1;
	}
	if (rc < 0) {
		const char *why = rc == -EBADMSG ? "not a bridge's status object"
				  : rc == -ELOOP   ? "a symbolic link (never followed), not a "
						     "bridge's status object"
						   : strerror(-rc);

		if (rc == -ENOENT)
			why = "no such bridge (none runs with --name by that name, and none left "
			      "its status behind)";
		fprintf(stderr, "shmring stat: bridge:%s: %s\n", name, why);
		return 1;
	}
	running = bstat_running(fd);
	transient = atomic_load_explicit(&s->flags, memory_order_relaxed) & BSTAT_TRANSIENT;
	/* The strings are the writer's; bound them here. */
	memcpy(from, s->from, 256);
	memcpy(to, s->to, 256);
	from[256] = to[256] = '\0';
	if (json) {
		printf("{\"type\":\"bridge\",\"name\":");
		json_str(name);
		printf(",\"pid\":%u,\"running\":%s,\"state\":\"%s\",\"from\":",
		       atomic_load_explicit(&s->pid, memory_order_relaxed),
		       running ? "true" : "false", shmring_bridge_state(running, transient));
		json_str(from);
		printf(",\"to\":");
		json_str(to);
		for (int i = 0; i < C_N; i++)
			printf(",\"%s\":%" PRIu64, keys[i], ld(&s->c[i]));
		printf(",\"session\":\"%016" PRIx64 "\",\"sent_seq\":%" PRIu64 ",\"sessions\":[",
		       ld(&s->session), ld(&s->seq));
	} else {
		printf("bridge:%s  pid %u (%s)\n  from %s\n  to   %s\n", name,
		       atomic_load_explicit(&s->pid, memory_order_relaxed),
		       running     ? "running"
		       : transient ? "not running; stale: left by a bridge without --name"
				   : "not running; kept: a bridge started by this name resumes it",
		       from, to);
		printf("  ");
		for (int i = 0; i < C_N; i++)
			printf("%s%s %" PRIu64, i ? ", " : "", keys[i], ld(&s->c[i]));
		printf("\n  own session %016" PRIx64 ", last sequence sent %" PRIu64 "\n",
		       ld(&s->session), ld(&s->seq));
	}
	for (uint32_t i = 0, n = 0; i < BSTAT_SESSIONS; i++) {
		const struct bstat_sess *e = &s->s[i];
		uint64_t id = ld(&e->id);
		uint32_t ended = atomic_load_explicit(&e->ended, memory_order_relaxed);

		if (!id)
			continue;
		if (json)
			printf("%s{\"session\":\"%016" PRIx64 "\",\"next\":%" PRIu64
			       ",\"delivered\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"duplicates\":%" PRIu64
			       ",\"ended\":%s}",
			       n ? "," : "", id, ld(&e->next), ld(&e->delivered), ld(&e->lost),
			       ld(&e->dups), ended ? "true" : "false");
		else
			printf("  sender %016" PRIx64 ": next %" PRIu64 ", delivered %" PRIu64
			       ", lost %" PRIu64 ", duplicates %" PRIu64 "%s\n",
			       id, ld(&e->next), ld(&e->delivered), ld(&e->lost), ld(&e->dups),
			       ended ? ", ended" : "");
		n++;
	}
	if (json)
		printf("]}"); /* the caller ends it (a line, or an array's comma) */
	munmap(s, sizeof(*s));
	close(fd);
	return 0;
}
