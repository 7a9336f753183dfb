/* SPDX-License-Identifier: MIT */
/*
 * src/sock.h - the socket channel: a handle whose messages travel over an
 * AF_UNIX SOCK_SEQPACKET or TCP connection instead of shared memory (see
 * "Socket channels" in shmring/ring.h and docs/INTERNALS.md).
 *
 * The wire format and its checks are pure functions (a buffer in, a verdict
 * out: src/sock_proto.c), so that tests/fuzz/fuzz_frame.c drives them
 * without sockets; src/sock.c is the runtime.
 */
#ifndef SHMRING_SRC_SOCK_H
#define SHMRING_SRC_SOCK_H

#include "shmring/shmring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --- Names (src/uri.c) --------------------------------------------------- */

#define SHMRING_SOCK_HOST_MAX 255u /* tcp: host name or address */
#define SHMRING_SOCK_UNIX_MAX 107u /* unix: bytes of the path or abstract name */

struct shmring_sock_uri {
	uint32_t transport; /* SHMRING_TRANSPORT_UNIX or _TCP */
	bool abstract;      /* unix:@name: the abstract namespace */
	uint16_t port;      /* tcp: 1..65535 */
	char name[SHMRING_SOCK_HOST_MAX + 1]; /* unix: path or abstract name; tcp: host */
};

/* Whether uri names a socket channel ("unix:" or "tcp:"). */
bool shmring__sock_scheme(const char *uri);

/* Parse "unix:/path", "unix:@name" or "tcp:HOST:PORT": 0 or -EINVAL. */
int shmring__sock_uri_parse(const char *uri, struct shmring_sock_uri *out);

/* Whether uri is an "auto:" URI (open only). */
bool shmring__uri_is_auto(const char *uri);

/*
 * Split "auto:RING?fallback=SOCKET" into its two URIs (each NUL-terminated,
 * at most cap - 1 bytes): 0, -EINVAL (malformed, too long, or the fallback
 * not a socket URI) or -ENOENT (not an auto: URI).
 */
int shmring__uri_auto_split(const char *uri, char *ring, size_t ring_cap, char *fallback,
			    size_t fb_cap);

/* --- Wire format (src/sock_proto.c) -------------------------------------- */

#define SHMRING_SOCK_MAGIC UINT32_C(0x6b736873) /* "shsk", little-endian */
#define SHMRING_SOCK_VERSION 1u
#define SHMRING_SOCK_HELLO_LEN 40u
#define SHMRING_SOCK_FRAME_HDR 8u  /* tcp frame: u32 length, u32 type */
#define SHMRING_SOCK_PACKET_HDR 4u /* unix MSG packet: u32 type */

enum shmring_sock_hello_type {
	SHMRING_SOCK_HELLO = 1,  /* connector -> listener: what it expects */
	SHMRING_SOCK_ACCEPT = 2, /* listener -> connector: what it serves */
	SHMRING_SOCK_REFUSE = 3, /* listener -> connector: why not (error) */
};

/* One handshake message, decoded. */
struct shmring_sock_hello {
	uint32_t version;
	uint32_t type;      /* enum shmring_sock_hello_type */
	uint32_t kind;      /* HELLO: expected (0: any); ACCEPT: the channel's */
	uint32_t slot_size; /* likewise: bytes per message / largest record */
	uint32_t role;      /* the sender's role */
	uint32_t flags;     /* ACCEPT: SHMRING_CREATE_MULTI_* in effect */
	uint32_t error;     /* REFUSE: a positive errno */
	uint64_t capacity;  /* HELLO: expected (0: any); ACCEPT: the channel's */
};

/* What a listener serves. */
struct shmring_sock_params {
	uint32_t kind, slot_size, flags, role;
	uint64_t capacity;
};

void shmring__sock_hello_encode(const struct shmring_sock_hello *h,
				uint8_t out[SHMRING_SOCK_HELLO_LEN]);

/* Decode len bytes a peer sent as a handshake: 0, -EPROTO (not one: wrong
 * length, magic, type or reserved bytes) or -SHMRING_EVERSION. */
int shmring__sock_hello_decode(const uint8_t *buf, size_t len, struct shmring_sock_hello *out);

/*
 * Listener: a decoded HELLO against what it serves. 0 (accept), or the
 * negative errno to refuse with: -EPROTO (not a HELLO), -EPERM (a role it
 * does not take), -SHMRING_EKIND, -SHMRING_EMISMATCH (slot size or capacity),
 * -EBUSY (a second producer where the kind allows one: sole_busy).
 */
int shmring__sock_hello_check(const struct shmring_sock_hello *h,
			      const struct shmring_sock_params *me, bool sole_busy);

/*
 * Connector: the listener's decoded answer to `asked`. 0 (accepted: the
 * channel's geometry is in *got), the listener's refusal (one of the errors
 * of shmring__sock_hello_check() or -EUSERS) or -EPROTO (anything else).
 */
int shmring__sock_reply_check(const struct shmring_sock_hello *reply,
			      const struct shmring_sock_hello *asked,
			      struct shmring_sock_params *got);

/*
 * One TCP frame at buf[0..len): its whole size (> 0; payload length and type
 * in *plen, *type), 0 (incomplete: read more) or -EPROTO (a length above
 * slot_size, or not exactly slot_size on a fixed kind: the stream cannot be
 * read past it).
 */
long shmring__sock_frame_parse(const uint8_t *buf, size_t len, uint32_t slot_size, bool fixed,
			       uint32_t *plen, uint32_t *type);

/* Write a frame header for a payload of plen bytes. */
void shmring__sock_frame_header(uint8_t out[SHMRING_SOCK_FRAME_HDR], uint32_t plen, uint32_t type);

/*
 * One SEQPACKET packet received with MSG_TRUNC (got: its real length): 0 if
 * it is a message of the channel (fixed: exactly slot_size bytes; MSG: the
 * type and 0..slot_size bytes), -EPROTO otherwise.
 */
int shmring__sock_packet_check(size_t got, uint32_t slot_size, bool fixed);

/* --- The runtime (src/sock.c) -------------------------------------------- */

struct shmring_sock;

int shmring__sock_create(const char *uri, const struct shmring_opts *opts, uint32_t kind,
			 uint32_t multi, unsigned role, shmring_t **out);
/* Also auto: URIs and opts->fallback. */
int shmring__sock_open(const char *uri, unsigned role, const struct shmring_open_opts *opts,
		       shmring_t **out);
int shmring__sock_close(shmring_t *r);
int shmring__sock_unlink(const char *uri);
int shmring__sock_info(shmring_t *r, struct shmring_info *info);
uint64_t shmring__sock_count(shmring_t *r);

/* The public calls on a socket handle, with their contracts (ring.h). */
int shmring__sock_try_send(shmring_t *r, const void *msg);
int shmring__sock_try_recv(shmring_t *r, void *msg);
unsigned shmring__sock_try_send_many(shmring_t *r, const void *msgs, unsigned n, bool all);
unsigned shmring__sock_try_recv_many(shmring_t *r, void *msgs, unsigned n, bool all);
int shmring__sock_send_many(shmring_t *r, const void *msgs, unsigned n, bool all,
			    uint64_t deadline);
int shmring__sock_recv_many(shmring_t *r, void *msgs, unsigned n, bool all, uint64_t deadline);

int shmring__sock_msg_try_send(shmring_t *r, const void *buf, size_t len, uint32_t type);
ssize_t shmring__sock_msg_try_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type);
int shmring__sock_msg_send(shmring_t *r, const void *buf, size_t len, uint32_t type,
			   uint64_t deadline);
ssize_t shmring__sock_msg_recv(shmring_t *r, void *buf, size_t cap, uint32_t *type,
			       uint64_t deadline);
unsigned shmring__sock_msg_try_send_many(shmring_t *r, const struct shmring_msgvec *v,
					 unsigned n, bool all);
unsigned shmring__sock_msg_try_recv_many(shmring_t *r, struct shmring_msgvec *v, unsigned n,
					 bool all);

#endif /* SHMRING_SRC_SOCK_H */
