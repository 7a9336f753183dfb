/* SPDX-License-Identifier: MIT */
/*
 * fuzz_header: header validation and the real open path over a segment
 * image. The input is the whole segment, header first.
 *
 *   1. shmring__hdr_validate() on a copy of the first 256 bytes (zero-filled
 *      when the input is shorter), with the input's size as the segment's.
 *   2. A checksum of 0 in the input means "seal it for me": the header's
 *      creator_uid becomes ours and its checksum is computed, so that
 *      mutations get past the checksum to the checks behind it (the seeds
 *      are stored that way). Any other value is used as it is.
 *   3. When the header passes, shmring__indices_validate() over a heap copy
 *      of exactly total_size bytes (never more than the input has).
 *   4. The image goes into a POSIX shm object of the input's size, which is
 *      opened as observer, producer, consumer and both; what opens is asked
 *      for its info, participants and count and tries receives (a burst and
 *      one message) and a send (never blocking); then both ends of a duplex
 *      and an observer of both (shmring_duplex_open(); a duplex's direction
 *      1 header is sealed as the first one is), likewise; then everything
 *      is closed and the object unlinked. Fixed-slot rings of both slot layouts
 *      (stamped, and dense: SHMRING_FEAT_DENSE_SLOTS) are among the seeds.
 *
 * Any return code is fine; crashes, hangs and sanitizer reports are not. An
 * image whose magic is zero (or too short to have one) skips the open: the
 * opener would wait a second for a creator to finish it.
 */
#include <errno.h>
#include <fcntl.h>

#include "fuzz_common.h" /* FUZZ_CHECK */
#include "shmring/shmring.h"

static void check_indices(const uint8_t *data, size_t size, const struct shmring_hdr *h)
{
	unsigned char *seg;

	FUZZ_CHECK(h->total_size <= size); /* what validation promised */
	/* Exactly total_size bytes: a read past the segment is an ASan report. */
	seg = aligned_alloc(SHMRING_SPACING, (size_t)(h->total_size + SHMRING_SPACING - 1) /
						     SHMRING_SPACING * SHMRING_SPACING);
	if (!seg)
		abort();
	memcpy(seg, data, (size_t)h->total_size);
	memcpy(seg, h, sizeof(*h));
	(void)shmring__indices_validate(seg, h);
	free(seg);
}

/* What a handle can be asked without blocking. */
static void exercise(shmring_t *r, unsigned role)
{
	struct shmring_info info;
	struct shmring_participant parts[8];
	uint32_t size = shmring_slot_size(r);
	unsigned char *buf;
	int n;

	FUZZ_CHECK(shmring_info(r, &info) == 0);
	/* Validation lets the dense layout through on SPSC rings only. */
	FUZZ_CHECK(!(info.flags & SHMRING_CREATE_DENSE) || info.kind == SHMRING_KIND_SPSC);
	if (role == SHMRING_OBSERVER) {
		/* What `shmring stat` shows; it reads /proc per participant,
		 * so once per input. */
		n = shmring_participants(r, parts, 8);
		FUZZ_CHECK(n <= 8);
		(void)shmring_count(r);
	}
	if (size == 0 || size > SHMRING_MAX_SLOT_SIZE)
		return;
	buf = malloc(4 * (size_t)size); /* exactly four slots / one record */
	if (!buf)
		abort();
	memset(buf, 0x5a, 4 * (size_t)size);
	if (info.kind == SHMRING_KIND_MSG) {
		uint32_t type;
		size_t len;
		const void *p;

		if (role & SHMRING_CONSUMER) {
			for (int i = 0; i < 4; i++) {
				ssize_t got = shmring_msg_try_recv(r, buf, size, &type);

				FUZZ_CHECK(got <= (ssize_t)size);
			}
			p = shmring_msg_peek(r, &len, &type);
			if (p) {
				FUZZ_CHECK(len <= size);
				(void)shmring_msg_release(r);
			}
		}
		if (role & SHMRING_PRODUCER)
			(void)shmring_msg_try_send(r, buf, size < 24 ? size : 24, 7);
	} else {
		if (role & SHMRING_CONSUMER) {
			FUZZ_CHECK(shmring_try_recv_burst(r, buf, 4) <= 4);
			(void)shmring_try_recv(r, buf); /* the one-message path */
			if (shmring_peek(r))
				(void)shmring_release(r);
		}
		if (role & SHMRING_PRODUCER)
			(void)shmring_try_send(r, buf);
	}
	free(buf);
}

static bool write_object(const char *name, const uint8_t *img, size_t size)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0 && errno == EEXIST) { /* left by an earlier run killed mid-input */
		shm_unlink(name);
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return false;
	for (size_t off = 0; off < size;) {
		ssize_t k = write(fd, img + off, size - off);

		if (k <= 0) {
			close(fd);
			shm_unlink(name);
			return false;
		}
		off += (size_t)k;
	}
	close(fd);
	return true;
}

/* Both ends of a duplex and an observer of both, open at once; what opens
 * is exercised as any handle. */
static void duplex_path(const char *name)
{
	static const unsigned ends[] = {SHMRING_DUPLEX_A, SHMRING_DUPLEX_B, SHMRING_DUPLEX_OBSERVE};
	shmring_t *tx[3] = {NULL, NULL, NULL}, *rx[3] = {NULL, NULL, NULL};

	for (unsigned i = 0; i < 3; i++) {
		if (shmring_duplex_open(name, ends[i], NULL, &tx[i], &rx[i]) < 0) {
			FUZZ_CHECK(tx[i] == NULL && rx[i] == NULL);
			continue;
		}
		exercise(tx[i], ends[i] == SHMRING_DUPLEX_OBSERVE ? SHMRING_OBSERVER
								  : SHMRING_PRODUCER);
		exercise(rx[i], ends[i] == SHMRING_DUPLEX_OBSERVE ? SHMRING_OBSERVER
								  : SHMRING_CONSUMER);
	}
	for (unsigned i = 3; i-- > 0;) {
		shmring_close(rx[i]);
		shmring_close(tx[i]);
	}
}

/* A duplex's direction 1 header, where the sealed direction 0 says it is,
 * sealed as direction 0 was when its check is 0. */
static void seal_direction1(uint8_t *img, size_t size, const struct shmring_hdr *h0)
{
	struct shmring_hdr h1;
	uint64_t off;

	if (!(h0->features & SHMRING_FEAT_DUPLEX))
		return;
	off = h0->slots_off / 2;
	if (off > size || size - off < sizeof(h1))
		return;
	memcpy(&h1, img + off, sizeof(h1));
	if (h1.check != 0)
		return;
	h1.creator_uid = h0->creator_uid;
	h1.check = shmring__hdr_checksum(&h1);
	memcpy(img + off, &h1, sizeof(h1));
}

static void open_path(const uint8_t *data, size_t size, const struct shmring_hdr *sealed)
{
	static const unsigned roles[] = {SHMRING_OBSERVER, SHMRING_PRODUCER, SHMRING_CONSUMER,
					 SHMRING_PRODUCER | SHMRING_CONSUMER};
	static unsigned counter;
	shmring_t *r[4] = {NULL, NULL, NULL, NULL};
	uint64_t magic = 0;
	uint8_t *img;
	char name[64];

	if (size < sizeof(magic))
		return;
	img = malloc(size);
	if (!img)
		abort();
	memcpy(img, data, size);
	if (sealed) {
		memcpy(img, sealed, size < sizeof(*sealed) ? size : sizeof(*sealed));
		seal_direction1(img, size, sealed);
	}
	memcpy(&magic, img, sizeof(magic));
	if (magic == 0) { /* the opener would wait for a creator */
		free(img);
		return;
	}
	snprintf(name, sizeof(name), "/shmring-fuzz-%d-%u", (int)getpid(), counter++);
	if (!write_object(name, img, size)) {
		free(img);
		return;
	}
	free(img);
	/* All four open at once: later opens share the first one's mapping. */
	for (unsigned i = 0; i < 4; i++)
		if (shmring_open(name, roles[i], &r[i]) == 0)
			exercise(r[i], roles[i]);
		else
			FUZZ_CHECK(r[i] == NULL);
	duplex_path(name);
	for (unsigned i = 4; i-- > 0;)
		shmring_close(r[i]);
	shm_unlink(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shmring_hdr raw, h;
	bool seal;

	memset(&raw, 0, sizeof(raw));
	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	(void)shmring__hdr_validate(&raw, size);
	h = raw;
	seal = raw.check == 0;
	if (seal) {
		h.creator_uid = (uint32_t)geteuid();
		h.check = shmring__hdr_checksum(&h);
	}
	if (shmring__hdr_validate(&h, size) == 0)
		check_indices(data, size, &h);
	open_path(data, size, seal ? &h : NULL);
	return 0;
}
