/* SPDX-License-Identifier: MIT */
/*
 * fuzz_frame: what a socket channel reads from a peer (src/sock_proto.c),
 * and the names that select one (src/uri.c).
 *
 * Input: byte 0 picks the mode (% 5), byte 1 the kind (% 5 + 1), bytes 2-3
 * the slot size (little-endian, % SHMRING_MAX_SLOT_SIZE + 1), byte 4 a chunk
 * size for streams (% 16 + 1); the rest is what the peer sent.
 *
 *   0 TCP stream: the frames of the whole stream, and again as a reader
 *     that gets it chunk by chunk (partial reads) keeping the unparsed
 *     bytes: both must see the same frames and the same verdict; every
 *     frame is exactly header + length, within slot_size (exactly
 *     slot_size on a fixed kind), and never reaches past the input.
 *   1 unix packets: the rest as packets of [u8 length][bytes]; each verdict
 *     is a message of the channel or -EPROTO, as the rules say.
 *   2 handshake at the listener: decode, then the check against a listener
 *     of that kind and size; the verdict is one of the documented errors,
 *     and an accepted hello asked for nothing else than the listener has.
 *   3 handshake answer at the connector: decode, then the check against
 *     what a connector asked (from the selectors): an accept it takes
 *     describes a valid channel that is the one asked for.
 *   4 names: the rest as a "unix:"/"tcp:" URI and as an "auto:" URI.
 */
#include "fuzz_common.h" /* FUZZ_CHECK */
#include "src/sock.h"

#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct frame {
	size_t off;
	uint32_t plen, type;
};

#define MAX_FRAMES 4096

static void check_frame(long f, uint32_t plen, uint32_t slot, bool fixed, size_t left)
{
	FUZZ_CHECK(f == (long)(SHMRING_SOCK_FRAME_HDR + plen));
	FUZZ_CHECK((size_t)f <= left);
	FUZZ_CHECK(plen <= slot && (!fixed || plen == slot));
}

static void mode_stream(const uint8_t *d, size_t n, uint32_t slot, bool fixed, size_t chunk)
{
	static struct frame whole[MAX_FRAMES];
	static uint8_t rb[1u << 17];
	size_t off = 0, nw = 0, got = 0, have = 0, roff = 0, nc = 0;
	long end = 0, f;
	uint32_t plen, type;
	unsigned sum = 0;

	/* The whole stream at once. */
	while (nw < MAX_FRAMES) {
		f = shmring__sock_frame_parse(d + off, n - off, slot, fixed, &plen, &type);
		FUZZ_CHECK(f >= 0 || f == -EPROTO);
		if (f <= 0) {
			end = f;
			break;
		}
		check_frame(f, plen, slot, fixed, n - off);
		sum += fuzz_touch(d + off + SHMRING_SOCK_FRAME_HDR, plen);
		whole[nw++] = (struct frame){.off = off, .plen = plen, .type = type};
		off += (size_t)f;
	}
	if (nw == MAX_FRAMES || n > sizeof(rb))
		return;
	/* Chunk by chunk, as reads return them. */
	while (got < n) {
		size_t k = n - got < chunk ? n - got : chunk;

		memcpy(rb + have, d + got, k);
		have += k;
		got += k;
		for (;;) {
			f = shmring__sock_frame_parse(rb + roff, have - roff, slot, fixed, &plen,
						      &type);
			if (f < 0) {
				/* The same frame the whole stream stopped at. */
				FUZZ_CHECK(end < 0 && nc == nw);
				return;
			}
			if (f == 0)
				break;
			check_frame(f, plen, slot, fixed, have - roff);
			FUZZ_CHECK(nc < nw && whole[nc].plen == plen && whole[nc].type == type);
			FUZZ_CHECK(memcmp(rb + roff, d + whole[nc].off, (size_t)f) == 0);
			roff += (size_t)f;
			nc++;
		}
	}
	FUZZ_CHECK(nc == nw && end == 0);
	(void)sum;
}

static void mode_packets(const uint8_t *d, size_t n, uint32_t slot, bool fixed)
{
	size_t off = 0;

	while (off < n) {
		size_t len = d[off++];
		int rc;

		if (len > n - off)
			len = n - off;
		rc = shmring__sock_packet_check(len, slot, fixed);
		if (fixed)
			FUZZ_CHECK((rc == 0) == (len == slot));
		else
			FUZZ_CHECK((rc == 0) == (len >= SHMRING_SOCK_PACKET_HDR &&
						 len - SHMRING_SOCK_PACKET_HDR <= slot));
		FUZZ_CHECK(rc == 0 || rc == -EPROTO);
		off += len;
	}
}

static void mode_hello(const uint8_t *d, size_t n, uint32_t kind, uint32_t slot, uint8_t sel)
{
	struct shmring_sock_hello h, h2;
	struct shmring_sock_params me = {.kind = kind, .slot_size = slot, .flags = 0,
					 .role = SHMRING_CONSUMER, .capacity = 64};
	uint8_t b[SHMRING_SOCK_HELLO_LEN];
	int rc = shmring__sock_hello_decode(d, n, &h);

	if (rc < 0) {
		FUZZ_CHECK(rc == -EPROTO || rc == -SHMRING_EVERSION);
		return;
	}
	FUZZ_CHECK(n == SHMRING_SOCK_HELLO_LEN);
	/* What decodes encodes back to the same bytes. */
	shmring__sock_hello_encode(&h, b);
	FUZZ_CHECK(memcmp(b, d, sizeof(b)) == 0);
	FUZZ_CHECK(shmring__sock_hello_decode(b, sizeof(b), &h2) == 0);
	FUZZ_CHECK(memcmp(&h, &h2, sizeof(h)) == 0);
	rc = shmring__sock_hello_check(&h, &me, sel & 1);
	FUZZ_CHECK(rc == 0 || rc == -EPROTO || rc == -EPERM || rc == -SHMRING_EKIND ||
		   rc == -SHMRING_EMISMATCH || rc == -EBUSY);
	if (rc == 0) {
		FUZZ_CHECK(h.type == SHMRING_SOCK_HELLO && h.role == SHMRING_PRODUCER);
		FUZZ_CHECK(!h.kind || h.kind == kind);
		FUZZ_CHECK(!h.slot_size || h.slot_size == slot);
		FUZZ_CHECK(!h.capacity || h.capacity == me.capacity);
		FUZZ_CHECK(!(sel & 1));
	}
}

static void mode_reply(const uint8_t *d, size_t n, uint32_t kind, uint32_t slot, uint8_t sel)
{
	struct shmring_sock_hello h, asked = {.version = SHMRING_SOCK_VERSION,
					      .type = SHMRING_SOCK_HELLO,
					      .role = SHMRING_PRODUCER,
					      .kind = (sel & 1) ? kind : 0,
					      .slot_size = (sel & 2) ? slot : 0,
					      .capacity = (sel & 4) ? 1u << (sel >> 3) : 0};
	struct shmring_sock_params got;
	int rc = shmring__sock_hello_decode(d, n, &h);

	if (rc < 0)
		return;
	memset(&got, 0xee, sizeof(got));
	rc = shmring__sock_reply_check(&h, &asked, &got);
	FUZZ_CHECK(rc == 0 || rc == -EPROTO || rc == -EPERM || rc == -SHMRING_EKIND ||
		   rc == -SHMRING_EMISMATCH || rc == -EBUSY || rc == -EUSERS ||
		   rc == -SHMRING_EVERSION);
	if (rc != 0)
		return;
	FUZZ_CHECK(got.kind >= SHMRING_KIND_SPSC && got.kind <= SHMRING_KIND_MSG);
	FUZZ_CHECK(got.slot_size >= 1 && got.slot_size <= SHMRING_MAX_SLOT_SIZE);
	FUZZ_CHECK(got.capacity >= 1 && got.capacity <= SHMRING_MAX_CAPACITY);
	FUZZ_CHECK(got.role == SHMRING_CONSUMER);
	FUZZ_CHECK(!asked.kind || asked.kind == got.kind);
	FUZZ_CHECK(!asked.slot_size || asked.slot_size == got.slot_size);
	FUZZ_CHECK(!asked.capacity || asked.capacity == got.capacity);
}

static void mode_names(const uint8_t *d, size_t n)
{
	char uri[2048], ring[1100], fb[400];
	struct shmring_sock_uri u;
	size_t len = n < sizeof(uri) - 1 ? n : sizeof(uri) - 1;
	int rc;

	memcpy(uri, d, len);
	uri[len] = '\0';
	rc = shmring__sock_uri_parse(uri, &u);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		size_t k = strnlen(u.name, sizeof(u.name));

		FUZZ_CHECK(k < sizeof(u.name) && k >= 1);
		FUZZ_CHECK(shmring__sock_scheme(uri));
		if (u.transport == SHMRING_TRANSPORT_UNIX)
			/* sun_path holds it (with its NUL, or after the 0 of
			 * an abstract name). */
			FUZZ_CHECK(k <= SHMRING_SOCK_UNIX_MAX && (u.abstract || u.name[0] == '/'));
		else
			FUZZ_CHECK(u.transport == SHMRING_TRANSPORT_TCP && u.port >= 1);
	}
	rc = shmring__uri_auto_split(uri, ring, sizeof(ring), fb, sizeof(fb));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT);
	if (rc == 0) {
		FUZZ_CHECK(strnlen(ring, sizeof(ring)) < sizeof(ring) && ring[0]);
		FUZZ_CHECK(strnlen(fb, sizeof(fb)) < sizeof(fb) && shmring__sock_scheme(fb));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode = (uint8_t)fuzz_le(data, size, 0, 1) % 5;
	uint32_t kind = (uint32_t)fuzz_le(data, size, 1, 1) % 5 + 1;
	uint32_t slot = (uint32_t)fuzz_le(data, size, 2, 2) % SHMRING_MAX_SLOT_SIZE + 1;
	size_t chunk = (size_t)fuzz_le(data, size, 4, 1) % 16 + 1;
	uint8_t sel = (uint8_t)fuzz_le(data, size, 4, 1);
	const uint8_t *d = size > 5 ? data + 5 : data + size;
	size_t n = size > 5 ? size - 5 : 0;
	bool fixed = kind != SHMRING_KIND_MSG;

	switch (mode) {
	case 0: mode_stream(d, n, slot, fixed, chunk); break;
	case 1: mode_packets(d, n, slot, fixed); break;
	case 2: mode_hello(d, n, kind, slot, sel); break;
	case 3: mode_reply(d, n, kind, slot, sel); break;
	default: mode_names(d, n); break;
	}
	return 0;
}
