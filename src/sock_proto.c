/* SPDX-License-Identifier: MIT */
/*
 * src/sock_proto.c - the socket channel's wire format: the handshake and
 * the TCP frame. Pure functions over buffers (no system call, no state), so
 * that the fuzzer drives exactly what a listener and a connector run on what
 * a peer sent. Everything on the wire is little-endian.
 *
 * Handshake message (SHMRING_SOCK_HELLO_LEN bytes):
 *   0 u32 magic   4 u16 version   6 u16 type   8 u32 kind   12 u32 slot_size
 *   16 u32 role   20 u32 flags    24 u32 error 28 u32 reserved (0)
 *   32 u64 capacity
 * TCP frame: u32 payload length, u32 type, payload. A unix (SEQPACKET)
 * packet is the payload itself on the fixed kinds, and u32 type + payload on
 * the message kind.
 */
#include "src/sock.h"

#include <errno.h>
#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void shmring__sock_hello_encode(const struct shmring_sock_hello *h,
				uint8_t out[SHMRING_SOCK_HELLO_LEN])
{
	memset(out, 0, SHMRING_SOCK_HELLO_LEN);
	put32(out, SHMRING_SOCK_MAGIC);
	out[4] = (uint8_t)h->version;
	out[5] = (uint8_t)(h->version >> 8);
	out[6] = (uint8_t)h->type;
	out[7] = (uint8_t)(h->type >> 8);
	put32(out + 8, h->kind);
	put32(out + 12, h->slot_size);
	put32(out + 16, h->role);
	put32(out + 20, h->flags);
	put32(out + 24, h->error);
	put32(out + 32, (uint32_t)h->capacity);
	put32(out + 36, (uint32_t)(h->capacity >> 32));
}

int shmring__sock_hello_decode(const uint8_t *buf, size_t len, struct shmring_sock_hello *out)
{
	if (len != SHMRING_SOCK_HELLO_LEN || get32(buf) != SHMRING_SOCK_MAGIC)
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	out->version = (uint32_t)buf[4] | (uint32_t)buf[5] << 8;
	if (out->version != SHMRING_SOCK_VERSION)
		return -SHMRING_EVERSION;
	out->type = (uint32_t)buf[6] | (uint32_t)buf[7] << 8;
	if (out->type < SHMRING_SOCK_HELLO || out->type > SHMRING_SOCK_REFUSE || get32(buf + 28))
		return -EPROTO;
	out->kind = get32(buf + 8);
	out->slot_size = get32(buf + 12);
	out->role = get32(buf + 16);
	out->flags = get32(buf + 20);
	out->error = get32(buf + 24);
	out->capacity = (uint64_t)get32(buf + 32) | (uint64_t)get32(buf + 36) << 32;
	return 0;
}

int shmring__sock_hello_check(const struct shmring_sock_hello *h,
			      const struct shmring_sock_params *me, bool sole_busy)
{
	if (h->type != SHMRING_SOCK_HELLO || h->flags || h->error)
		return -EPROTO;
	/* The listener takes the role it does not play; one role per peer. */
	if (h->role != (me->role == SHMRING_CONSUMER ? SHMRING_PRODUCER : SHMRING_CONSUMER))
		return -EPERM;
	if (h->kind && h->kind != me->kind)
		return -SHMRING_EKIND;
	if ((h->slot_size && h->slot_size != me->slot_size) ||
	    (h->capacity && h->capacity != me->capacity))
		return -SHMRING_EMISMATCH;
	return sole_busy ? -EBUSY : 0;
}

/* The refusals a listener may send; anything else is a broken peer. */
static bool refusal_ok(uint32_t e)
{
	return e == EPROTO || e == EPERM || e == SHMRING_EKIND || e == SHMRING_EMISMATCH ||
	       e == EBUSY || e == EUSERS || e == SHMRING_EVERSION;
}

int shmring__sock_reply_check(const struct shmring_sock_hello *reply,
			      const struct shmring_sock_hello *asked,
			      struct shmring_sock_params *got)
{
	if (reply->type == SHMRING_SOCK_REFUSE)
		return refusal_ok(reply->error) ? -(int)reply->error : -EPROTO;
	if (reply->type != SHMRING_SOCK_ACCEPT || reply->error)
		return -EPROTO;
	if (reply->kind < SHMRING_KIND_SPSC || reply->kind > SHMRING_KIND_MSG ||
	    reply->slot_size == 0 || reply->slot_size > SHMRING_MAX_SLOT_SIZE ||
	    reply->capacity == 0 || reply->capacity > SHMRING_MAX_CAPACITY ||
	    (reply->flags & ~(uint32_t)(SHMRING_CREATE_MULTI_PRODUCER |
					SHMRING_CREATE_MULTI_CONSUMER)))
		return -EPROTO;
	if (reply->role != (asked->role == SHMRING_PRODUCER ? SHMRING_CONSUMER : SHMRING_PRODUCER))
		return -EPROTO;
	/* An accept of something else than asked for is a broken listener. */
	if ((asked->kind && asked->kind != reply->kind) ||
	    (asked->slot_size && asked->slot_size != reply->slot_size) ||
	    (asked->capacity && asked->capacity != reply->capacity))
		return -EPROTO;
	*got = (struct shmring_sock_params){.kind = reply->kind, .slot_size = reply->slot_size,
					    .flags = reply->flags, .role = reply->role,
					    .capacity = reply->capacity};
	return 0;
}

long shmring__sock_frame_parse(const uint8_t *buf, size_t len, uint32_t slot_size, bool fixed,
			       uint32_t *plen, uint32_t *type)
{
	uint32_t n;

	if (len < SHMRING_SOCK_FRAME_HDR)
		return 0;
	/* Read once; judged before anything is read past the header. */
	n = get32(buf);
	if (n > slot_size || (fixed && n != slot_size))
		return -EPROTO;
	if (len - SHMRING_SOCK_FRAME_HDR < n)
		return 0;
	*plen = n;
	*type = get32(buf + 4);
	return (long)(SHMRING_SOCK_FRAME_HDR + n);
}

void shmring__sock_frame_header(uint8_t out[SHMRING_SOCK_FRAME_HDR], uint32_t plen, uint32_t type)
{
	put32(out, plen);
	put32(out + 4, type);
}

int shmring__sock_packet_check(size_t got, uint32_t slot_size, bool fixed)
{
	if (fixed)
		return got == slot_size ? 0 : -EPROTO;
	return got >= SHMRING_SOCK_PACKET_HDR && got - SHMRING_SOCK_PACKET_HDR <= slot_size
		       ? 0
		       : -EPROTO;
}
