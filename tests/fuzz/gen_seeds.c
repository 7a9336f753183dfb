/* SPDX-License-Identifier: MIT */
/*
 * gen_seeds: writes the seed corpus of the fuzzers (tests/fuzz/corpus/) from
 * real rings. Each seed ring is created through the public API, used by a
 * producer and a consumer handle (laps of sends and receives, some messages
 * left in flight, sometimes a reservation or a peek left held), and its
 * segment is then copied out while the handles are still open:
 *
 *   corpus/fuzz_header/<seed>  the whole segment, checksum field zeroed (the
 *                              target seals it, see fuzz_header.c); a few
 *                              with their slot layout bits and geometry
 *                              changed, valid or not (header_variants())
 *   corpus/fuzz_msg/<seed>     message rings, in fuzz_common.h's format
 *   corpus/fuzz_mring/<seed>   fixed-slot rings, likewise
 *   corpus/fuzz_frame/<seed>   socket channel streams, packets, handshakes
 *                              and names, from the channel's own encoders
 *
 * Usage: fuzz_gen_seeds CORPUS_DIR (its four subdirectories must exist).
 * Run it again only when the layout or the input format changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "shmring/shmring.h"
#include "src/sock.h"

#define NPARTS 4u /* entries dumped: the sole ones and two shared */

struct seed {
	const char *name;
	uint32_t kind;
	uint32_t flags;    /* MSG: SHMRING_CREATE_MULTI_*; SPSC: SHMRING_CREATE_DENSE,
			    * _POLL_ONLY */
	uint64_t capacity; /* slots, MSG: bytes */
	uint32_t size;     /* slot size, MSG: largest record */
	unsigned laps;     /* full laps sent and received first */
	unsigned left;     /* then this many left in flight */
	bool hold_tx;      /* a reservation held (a producer dying mid-claim) */
	bool hold_rx;      /* a peek held (a consumer dying mid-read) */
	bool header;       /* also a fuzz_header seed */
	unsigned script;   /* which operation script */
	unsigned len;      /* MSG: every record this long (0: lengths vary) */
};

static const struct seed seeds[] = {
	{"spsc-empty", SHMRING_KIND_SPSC, 0, 8, 8, 0, 0, false, false, false, 0, 0},
	{"spsc-wrapped", SHMRING_KIND_SPSC, 0, 16, 24, 3, 5, false, false, true, 0, 0},
	{"spsc-held", SHMRING_KIND_SPSC, 0, 8, 8, 1, 3, true, true, false, 1, 0},
	/* Grouped slots (8 and 16 bytes), left mid-group. */
	{"spsc-grouped-wrapped", SHMRING_KIND_SPSC, 0, 32, 8, 3, 7, false, false, true, 0, 0},
	{"spsc-grouped16-held", SHMRING_KIND_SPSC, 0, 16, 16, 2, 4, true, true, false, 1, 0},
	/* The dense slot layout (SHMRING_CREATE_DENSE): stride 8 (1-byte
	 * slots), 16 (8 and 12), 24 and 104 (100, the ring full). */
	{"spsc-dense-empty", SHMRING_KIND_SPSC, SHMRING_CREATE_DENSE, 8, 8, 0, 0, false, false,
	 false, 0, 0},
	{"spsc-dense-wrapped", SHMRING_KIND_SPSC, SHMRING_CREATE_DENSE, 16, 24, 3, 5, false, false,
	 true, 0, 0},
	{"spsc-dense-held", SHMRING_KIND_SPSC, SHMRING_CREATE_DENSE, 8, 8, 1, 3, true, true, false,
	 1, 0},
	{"spsc-dense-small", SHMRING_KIND_SPSC, SHMRING_CREATE_DENSE, 64, 1, 2, 40, false, false,
	 false, 0, 0},
	{"spsc-dense-full", SHMRING_KIND_SPSC, SHMRING_CREATE_DENSE, 4, 100, 1, 4, false, false,
	 false, 1, 0},
	{"spsc-dense-poll", SHMRING_KIND_SPSC, SHMRING_CREATE_DENSE | SHMRING_CREATE_POLL_ONLY, 32,
	 12, 2, 10, false, false, true, 0, 0},
	{"mpsc-wrapped", SHMRING_KIND_MPSC, 0, 16, 16, 2, 7, false, false, true, 0, 0},
	{"mpsc-claim", SHMRING_KIND_MPSC, 0, 8, 8, 1, 2, true, false, false, 1, 0},
	{"spmc-wrapped", SHMRING_KIND_SPMC, 0, 16, 12, 2, 9, false, false, true, 0, 0},
	{"spmc-reading", SHMRING_KIND_SPMC, 0, 8, 8, 1, 4, false, true, false, 1, 0},
	{"mpmc-wrapped", SHMRING_KIND_MPMC, 0, 32, 32, 2, 20, false, false, true, 0, 0},
	{"mpmc-held", SHMRING_KIND_MPMC, 0, 8, 4, 3, 3, true, true, false, 1, 0},
	{"mpmc-full", SHMRING_KIND_MPMC, 0, 4, 64, 1, 4, false, false, false, 0, 0},
	{"msg-spsc", SHMRING_KIND_MSG, 0, 256, 40, 3, 4, false, false, true, 0, 0},
	{"msg-spsc-held", SHMRING_KIND_MSG, 0, 128, 24, 2, 2, true, true, false, 1, 0},
	{"msg-mpsc-claim", SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_PRODUCER, 256, 48, 2, 3, true,
	 false, false, 1, 0},
	{"msg-spmc-reading", SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_CONSUMER, 256, 48, 2, 4, false,
	 true, false, 1, 0},
	{"msg-mpmc", SHMRING_KIND_MSG,
	 SHMRING_CREATE_MULTI_PRODUCER | SHMRING_CREATE_MULTI_CONSUMER, 512, 100, 2, 5, false,
	 false, true, 0, 0},
	{"msg-mpmc-held", SHMRING_KIND_MSG,
	 SHMRING_CREATE_MULTI_PRODUCER | SHMRING_CREATE_MULTI_CONSUMER, 128, 40, 3, 2, true, true,
	 true, 1, 0},
	{"msg-small-pad", SHMRING_KIND_MSG, SHMRING_CREATE_MULTI_CONSUMER, 64, 16, 5, 1, false,
	 false, false, 0, 0},
	/* The consumer head at the last record of the area, one more after
	 * the wrap: a length one byte off reads past the end. */
	{"msg-head-at-end", SHMRING_KIND_MSG, 0, 128, 48, 1, 2, false, false, false, 0, 16},
	{"msg-mpmc-head-at-end", SHMRING_KIND_MSG,
	 SHMRING_CREATE_MULTI_PRODUCER | SHMRING_CREATE_MULTI_CONSUMER, 128, 48, 1, 2, false,
	 false, false, 0, 16},
};

/* Operation scripts: {opcode, a, b, c}. */
static const uint8_t msg_scripts[2][FUZZ_OPS][4] = {
	{
		{FUZZ_MSG_RECV_BURST, 0x07, 0, 0},   {FUZZ_MSG_PEEK, 0, 0, 0},
		{FUZZ_MSG_RELEASE, 0, 0, 0},          {FUZZ_MSG_RECV_BULK, 0x01, 0, 0},
		{FUZZ_MSG_SWEEP, 0, 0, 0},            {FUZZ_MSG_SEND_BURST, 0x0d, 5, 0x11},
		{FUZZ_MSG_RESERVE, 20, 0, 0x21},      {FUZZ_MSG_RECV_BURST, 0x0f, 0, 0},
		{FUZZ_MSG_RECV_BURST, 0x17, 3, 0},    {FUZZ_MSG_ATTACH, 0, 0, 0},
		{FUZZ_MSG_RECV_BURST, 0x1f, 0, 0},    {FUZZ_MSG_SEND_BULK, 0x03, 9, 0x42},
		{FUZZ_MSG_PEEK, 1, 0, 0},             {FUZZ_MSG_SWEEP, 1, 0, 0},
		{FUZZ_MSG_SEND_BURST, 0x80, 0, 0x80}, {FUZZ_MSG_RECV_BURST, 0x07, 0, 0},
	},
	{
		{FUZZ_MSG_RECOVER, 0, 0, 0},          {FUZZ_MSG_RECOVER, 1, 0, 0},
		{FUZZ_MSG_RECV_BURST, 0x07, 0, 0},    {FUZZ_MSG_POKE, 0, 0, 0x08},
		{FUZZ_MSG_RECV_BURST, 0x07, 0, 0},    {FUZZ_MSG_RESERVE, 8, 0, 0x00},
		{FUZZ_MSG_COMMIT, 5, 0, 0},           {FUZZ_MSG_PEEK, 0, 0, 0},
		{FUZZ_MSG_POKE, 1, 0, 0x09},          {FUZZ_MSG_RELEASE, 0, 0, 0},
		{FUZZ_MSG_ATTACH, 1, 0, 0},           {FUZZ_MSG_SEND_BURST, 0x07, 1, 0x33},
		{FUZZ_MSG_RECOVER, 0, 0, 0},          {FUZZ_MSG_RECV_BULK, 0x03, 0, 0},
		{FUZZ_MSG_SWEEP, 0, 0, 0},            {FUZZ_MSG_RECV_BURST, 0x07, 0, 0},
	},
};

static const uint8_t mring_scripts[2][FUZZ_OPS][4] = {
	{
		{FUZZ_MRING_RECV_BURST, 0x07, 0, 0},  {FUZZ_MRING_PEEK, 0x01, 0, 0},
		{FUZZ_MRING_RELEASE, 0, 0, 0},         {FUZZ_MRING_RECV_BULK, 0x02, 0, 0},
		{FUZZ_MRING_SEND_BURST, 0x03, 0x5a, 0}, {FUZZ_MRING_RESERVE, 0x01, 0x33, 1},
		{FUZZ_MRING_AVAILABLE, 8, 0, 0},       {FUZZ_MRING_RECV_BURST, 0x07, 0, 0},
		{FUZZ_MRING_ATTACH, 0, 0, 0},          {FUZZ_MRING_ATTACH, 1, 0, 0},
		{FUZZ_MRING_SEND_BULK, 0x07, 0x11, 0}, {FUZZ_MRING_PEEK, 0x07, 0, 1},
		{FUZZ_MRING_SEND_BURST, 0x07, 0x22, 0}, {FUZZ_MRING_RECV_BULK, 0x00, 0, 0},
		{FUZZ_MRING_RESERVE, 0x02, 0x44, 0},   {FUZZ_MRING_COMMIT, 0, 0, 0},
	},
	{
		{FUZZ_MRING_RECOVER, 0, 0, 0},         {FUZZ_MRING_RECOVER, 1, 0, 0},
		{FUZZ_MRING_RECV_BURST, 0x07, 0, 0},  {FUZZ_MRING_POKE, 0, 0, 0x06},
		{FUZZ_MRING_RECV_BURST, 0x07, 0, 0},  {FUZZ_MRING_SEND_BURST, 0x01, 0x77, 0},
		{FUZZ_MRING_POKE, 1, 0, 0x01},         {FUZZ_MRING_SEND_BURST, 0x01, 0x78, 0},
		{FUZZ_MRING_RECOVER, 0, 0, 0},         {FUZZ_MRING_PEEK, 0x03, 0, 0},
		{FUZZ_MRING_RELEASE, 0x01, 0x01, 0},   {FUZZ_MRING_RESERVE, 0x03, 0x12, 0},
		{FUZZ_MRING_COMMIT, 0x01, 0x02, 0},    {FUZZ_MRING_COMMIT, 0, 0, 0},
		{FUZZ_MRING_RECOVER, 1, 0, 0},         {FUZZ_MRING_RECV_BURST, 0x07, 0, 0},
	},
};

static unsigned log2u(uint64_t v)
{
	unsigned l = 0;

	while ((UINT64_C(1) << l) < v)
		l++;
	return l;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "gen_seeds: %s: %s\n", what, shmring_strerror(rc));
	exit(1);
}

static void write_file(const char *dir, const char *sub, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "gen_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/*
 * fuzz_header seeds next to a real image (check zeroed): its slot layout
 * bits changed, so that validation meets every combination of
 * SHMRING_FEAT_STAMPED_SLOTS and _DENSE_SLOTS, each with both geometries,
 * and the dense bit on kinds other than SPSC. All of them are refused
 * (-SHMRING_EGEOMETRY) before the segment's size is looked at, so only the
 * header is kept (the corpus stays small); the valid dense rings are real
 * seeds above.
 */
struct variant {
	const char *from; /* the seed whose image is changed */
	const char *name;
	uint64_t features;
	bool dense_geometry; /* the stride and size of the dense layout */
};

static const struct variant variants[] = {
	{"spsc-wrapped", "spsc-dense-bit-stamped-geometry", SHMRING_FEAT_DENSE_SLOTS, false},
	{"spsc-wrapped", "spsc-no-slot-layout", 0, false},
	{"spsc-dense-wrapped", "spsc-dense-and-stamped",
	 SHMRING_FEAT_DENSE_SLOTS | SHMRING_FEAT_STAMPED_SLOTS, true},
	{"spsc-dense-wrapped", "spsc-stamped-bit-dense-geometry", SHMRING_FEAT_STAMPED_SLOTS, true},
	{"spsc-dense-wrapped", "spsc-dense-no-slot-layout", 0, true},
	{"mpsc-wrapped", "mpsc-dense", SHMRING_FEAT_DENSE_SLOTS, true},
	{"mpmc-wrapped", "mpmc-dense-and-stamped",
	 SHMRING_FEAT_DENSE_SLOTS | SHMRING_FEAT_STAMPED_SLOTS, false},
	{"msg-spsc", "msg-dense", SHMRING_FEAT_DENSE_SLOTS, false},
	{"spsc-wrapped", "spsc-stamped-not-grouped", SHMRING_FEAT_STAMPED_SLOTS, false},
	{"mpsc-wrapped", "mpsc-grouped",
	 SHMRING_FEAT_STAMPED_SLOTS | SHMRING_FEAT_GROUPED_SLOTS, false},
};

static void header_variants(const char *dir, const char *from, const unsigned char *img,
			    size_t n)
{
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const struct variant *v = &variants[i];
		unsigned char *out;
		struct shmring_hdr h;

		if (strcmp(v->from, from) != 0)
			continue;
		out = malloc(n);
		if (!out)
			die("malloc", -ENOMEM);
		memcpy(out, img, n);
		memcpy(&h, out, sizeof(h));
		h.features &= ~(SHMRING_FEAT_STAMPED_SLOTS | SHMRING_FEAT_DENSE_SLOTS |
				SHMRING_FEAT_GROUPED_SLOTS);
		h.features |= v->features;
		if (h.kind != SHMRING_KIND_MSG) {
			struct shmring_geometry g;
			int rc = shmring__geometry_kind(h.kind, h.capacity, h.slot_size,
							h.max_participants, &g);

			if (rc < 0)
				die("geometry", rc);
			if (v->dense_geometry)
				shmring__geometry_dense(&g);
			h.slot_stride = g.slot_stride;
			h.total_size = g.total_size;
		}
		memcpy(out, &h, sizeof(h)); /* the check stays 0: the target seals it */
		write_file(dir, "fuzz_header", v->name, out, sizeof(h));
		free(out);
	}
}

static void send_one(const struct seed *s, shmring_t *tx, unsigned i)
{
	unsigned char buf[SHMRING_MAX_SLOT_SIZE];
	int rc;

	if (s->kind == SHMRING_KIND_MSG) {
		size_t len = s->len ? s->len : (i * 7u) % (s->size + 1u);

		memset(buf, (int)(0x41 + i % 26), len);
		rc = shmring_msg_try_send(tx, buf, len, i);
	} else {
		memset(buf, (int)(0x41 + i % 26), s->size);
		rc = shmring_try_send(tx, buf);
	}
	if (rc < 0)
		die("send", rc);
}

static void recv_one(const struct seed *s, shmring_t *rx)
{
	unsigned char buf[SHMRING_MAX_SLOT_SIZE];
	int rc;

	if (s->kind == SHMRING_KIND_MSG) {
		ssize_t n = shmring_msg_try_recv(rx, buf, sizeof(buf), NULL);

		rc = n < 0 ? (int)n : 0;
	} else {
		rc = shmring_try_recv(rx, buf);
	}
	if (rc < 0)
		die("recv", rc);
}

/* How many messages of this seed make a lap without filling a MSG ring. */
static unsigned per_lap(const struct seed *s)
{
	uint64_t span;

	if (s->kind != SHMRING_KIND_MSG)
		return (unsigned)s->capacity;
	if (s->len) /* one short of the area: the head ends a record before the end */
		return (unsigned)(s->capacity / shmring__rec_span(s->len));
	span = shmring__rec_span(s->size) + SHMRING_REC_ALIGN; /* with room for padding */
	return (unsigned)(s->capacity / span);
}

/* The segment of a POSIX object, read-only; st gets its size. */
static unsigned char *map_segment(const char *name, struct stat *st)
{
	unsigned char *seg;
	int fd = shm_open(name, O_RDONLY, 0);

	if (fd < 0 || fstat(fd, st) < 0)
		die("shm_open", -errno);
	seg = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (seg == MAP_FAILED)
		die("mmap", -errno);
	close(fd);
	return seg;
}

static void make_seed(const char *dir, const struct seed *s)
{
	struct shmring_opts o = {.kind = s->kind, .slot_size = s->size, .capacity = s->capacity,
				 .flags = s->flags | SHMRING_CREATE_REPLACE};
	bool multi_tx = s->kind == SHMRING_KIND_MPSC || s->kind == SHMRING_KIND_MPMC ||
			(s->flags & SHMRING_CREATE_MULTI_PRODUCER);
	bool multi_rx = s->kind == SHMRING_KIND_SPMC || s->kind == SHMRING_KIND_MPMC ||
			(s->flags & SHMRING_CREATE_MULTI_CONSUMER);
	char name[64];
	shmring_t *own, *tx, *rx;
	unsigned sent = 0, lap = per_lap(s);
	struct stat st;
	unsigned char *seg, *out;
	uint8_t cfg[FUZZ_OFF_PROD_POS] = {0};
	struct shmring_hdr h;
	size_t n;
	int rc;

	snprintf(name, sizeof(name), "/shmring-fuzz-gen-%d", (int)getpid());
	rc = shmring_create(name, &o, SHMRING_OBSERVER, &own);
	if (rc < 0)
		die("create", rc);
	if ((rc = shmring_open(name, SHMRING_PRODUCER, &tx)) < 0 ||
	    (rc = shmring_open(name, SHMRING_CONSUMER, &rx)) < 0)
		die("open", rc);
	for (unsigned l = 0; l < s->laps; l++) {
		for (unsigned i = 0; i < lap - 1; i++)
			send_one(s, tx, sent++);
		for (unsigned i = 0; i < lap - 1; i++)
			recv_one(s, rx);
	}
	for (unsigned i = 0; i < s->left && i < lap; i++)
		send_one(s, tx, sent++);
	if (s->hold_rx) {
		if (s->kind == SHMRING_KIND_MSG) {
			size_t len;

			if (!shmring_msg_peek(rx, &len, NULL))
				die("peek", -EAGAIN);
		} else if (!shmring_peek(rx)) {
			die("peek", -EAGAIN);
		}
	}
	if (s->hold_tx) {
		void *p = s->kind == SHMRING_KIND_MSG ? shmring_msg_reserve(tx, s->size / 2)
						      : shmring_reserve(tx);

		if (!p)
			die("reserve", -EAGAIN);
		memset(p, 0x7e, s->kind == SHMRING_KIND_MSG ? s->size / 2 : s->size);
	}

	/* The segment as it is now, handles still open. */
	seg = map_segment(name, &st);
	memcpy(&h, seg, sizeof(h));

	if (s->header) {
		unsigned char *img = malloc((size_t)st.st_size);

		if (!img)
			die("malloc", -ENOMEM);
		memcpy(img, seg, (size_t)st.st_size);
		memset(img + offsetof(struct shmring_hdr, check), 0, sizeof(h.check));
		write_file(dir, "fuzz_header", s->name, img, (size_t)st.st_size);
		header_variants(dir, s->name, img, (size_t)st.st_size);
		free(img);
	}

	if (s->kind == SHMRING_KIND_MSG) {
		uint64_t maxmax = s->capacity / 2 - SHMRING_REC_HDR;

		cfg[0] = (uint8_t)((s->flags & SHMRING_CREATE_MULTI_PRODUCER ? 1 : 0) |
				   (s->flags & SHMRING_CREATE_MULTI_CONSUMER ? 2 : 0));
		cfg[1] = (uint8_t)(log2u(s->capacity) - 6);
		cfg[2] = s->size == maxmax ? 255 : (uint8_t)(s->size - 1);
		memcpy(cfg + FUZZ_OFF_OPS, msg_scripts[s->script], sizeof(msg_scripts[0]));
	} else {
		unsigned i = 0;

		while (i < FUZZ_SLOT_SIZES && fuzz_slot_sizes[i] != s->size)
			i++;
		if (i == FUZZ_SLOT_SIZES)
			die("slot size not in fuzz_slot_sizes", -EINVAL);
		cfg[0] = (uint8_t)(s->kind - SHMRING_KIND_SPSC);
		cfg[1] = (uint8_t)(log2u(s->capacity) - 1);
		cfg[2] = (uint8_t)i;
		if (s->flags & SHMRING_CREATE_DENSE)
			cfg[7] |= FUZZ_F_DENSE;
		memcpy(cfg + FUZZ_OFF_OPS, mring_scripts[s->script], sizeof(mring_scripts[0]));
	}
	cfg[3] = NPARTS - 2;
	/* The fuzzer's views take the entries the handles have: the sole
	 * ones, or the first shared ones (producer first). */
	cfg[4] = (uint8_t)((multi_tx ? SHMRING_PART_FIRST_SHARED : SHMRING_PART_SOLE_PRODUCER) |
			   (multi_rx ? (multi_tx ? SHMRING_PART_FIRST_SHARED + 1
						 : SHMRING_PART_FIRST_SHARED)
				     : SHMRING_PART_SOLE_CONSUMER) << 4);
	/* Held claims: their owners are dead to the judge. */
	if (s->hold_tx || s->hold_rx)
		cfg[5] = (uint8_t)((1u << (cfg[4] & 0xf)) | (1u << (cfg[4] >> 4)));
	/* Values a poke writes: a position one record / slot on, and garbage. */
	{
		uint64_t pos = atomic_load(&shmring__cons_side(seg)->pos) +
			       (s->kind == SHMRING_KIND_MSG ? SHMRING_REC_ALIGN : 1);
		uint64_t junk = UINT64_C(0xdeadbeefcafef00d);

		memcpy(cfg + FUZZ_OFF_POKE, &pos, 8);
		memcpy(cfg + FUZZ_OFF_POKE + 8, &junk, 8);
	}
	{
		uint64_t area = s->kind == SHMRING_KIND_MSG ? h.capacity
							    : h.capacity * h.slot_stride;
		size_t cap = FUZZ_OFF_PARTS + NPARTS * FUZZ_PART_BYTES + area;

		out = malloc(cap);
		if (!out)
			die("malloc", -ENOMEM);
		n = fuzz_dump(out, cap, cfg, seg, &h, NPARTS, area);
		if (!n)
			die("dump", -EINVAL);
		write_file(dir, s->kind == SHMRING_KIND_MSG ? "fuzz_msg" : "fuzz_mring", s->name,
			   out, n);
		free(out);
	}
	munmap(seg, (size_t)st.st_size);
	shmring_close(rx);
	shmring_close(tx);
	shmring_close(own);
	shmring_unlink(name);
}

/*
 * corpus/fuzz_frame/: what socket channel peers send, made by the encoders a
 * channel uses (src/sock_proto.c), behind fuzz_frame's five selector bytes
 * (mode, kind, slot size, chunk).
 */
static size_t frame_sel(uint8_t *b, uint8_t mode, uint32_t kind, uint32_t slot, uint8_t chunk)
{
	b[0] = mode;
	b[1] = (uint8_t)(kind - 1);
	b[2] = (uint8_t)(slot - 1);
	b[3] = (uint8_t)((slot - 1) >> 8);
	b[4] = chunk;
	return 5;
}

static size_t frame_put(uint8_t *b, uint32_t len, uint32_t type, uint8_t fill)
{
	shmring__sock_frame_header(b, len, type);
	memset(b + SHMRING_SOCK_FRAME_HDR, fill, len);
	return SHMRING_SOCK_FRAME_HDR + len;
}

static void frame_seeds(const char *dir)
{
	static const char *names[] = {"unix:/run/app/ring.sock", "unix:@app-ring",
				      "tcp:127.0.0.1:7000", "tcp:[::1]:7000",
				      "auto:/ring?fallback=unix:/run/app/ring.sock",
				      "auto:file:/var/lib/ring?fallback=tcp:db.example:9000"};
	struct shmring_sock_hello h = {.version = SHMRING_SOCK_VERSION, .type = SHMRING_SOCK_HELLO,
				       .role = SHMRING_PRODUCER};
	uint8_t b[4096];
	size_t n;

	/* TCP streams: fixed slots; records of several sizes, the last cut
	 * short; a length past the maximum. */
	n = frame_sel(b, 0, SHMRING_KIND_MPSC, 24, 5);
	for (unsigned i = 0; i < 6; i++)
		n += frame_put(b + n, 24, 0, (uint8_t)i);
	write_file(dir, "fuzz_frame", "tcp-fixed", b, n);
	n = frame_sel(b, 0, SHMRING_KIND_MSG, 100, 7);
	for (unsigned i = 0; i < 6; i++)
		n += frame_put(b + n, i * 19, 1000 + i, (uint8_t)i);
	n += frame_put(b + n, 50, 7, 9) - 20;
	write_file(dir, "fuzz_frame", "tcp-msg-cut", b, n);
	n = frame_sel(b, 0, SHMRING_KIND_MSG, 16, 3);
	n += frame_put(b + n, 16, 1, 1);
	n += frame_put(b + n, 17, 1, 1);
	write_file(dir, "fuzz_frame", "tcp-too-long", b, n);
	/* Unix packets: [u8 length][packet]. */
	n = frame_sel(b, 1, SHMRING_KIND_MSG, 32, 0);
	for (unsigned len = 0; len < 40; len += 6) {
		b[n++] = (uint8_t)len;
		memset(b + n, 0x5a, len);
		n += len;
	}
	write_file(dir, "fuzz_frame", "unix-packets", b, n);
	/* Handshakes: a producer's hello, one asking for another kind, a
	 * consumer's; an accept and a refusal as a connector reads them. */
	n = frame_sel(b, 2, SHMRING_KIND_MPSC, 64, 0);
	shmring__sock_hello_encode(&h, b + n);
	write_file(dir, "fuzz_frame", "hello", b, n + SHMRING_SOCK_HELLO_LEN);
	h.kind = SHMRING_KIND_SPSC;
	h.slot_size = 64;
	h.capacity = 128;
	shmring__sock_hello_encode(&h, b + n);
	write_file(dir, "fuzz_frame", "hello-asking", b, n + SHMRING_SOCK_HELLO_LEN);
	h = (struct shmring_sock_hello){.version = SHMRING_SOCK_VERSION,
					.type = SHMRING_SOCK_ACCEPT, .kind = SHMRING_KIND_MSG,
					.slot_size = 64, .role = SHMRING_CONSUMER,
					.flags = SHMRING_CREATE_MULTI_PRODUCER, .capacity = 4096};
	n = frame_sel(b, 3, SHMRING_KIND_MSG, 64, 0x63);
	shmring__sock_hello_encode(&h, b + n);
	write_file(dir, "fuzz_frame", "accept", b, n + SHMRING_SOCK_HELLO_LEN);
	h = (struct shmring_sock_hello){.version = SHMRING_SOCK_VERSION,
					.type = SHMRING_SOCK_REFUSE, .error = EBUSY};
	shmring__sock_hello_encode(&h, b + n);
	write_file(dir, "fuzz_frame", "refuse", b, n + SHMRING_SOCK_HELLO_LEN);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char name[32];

		n = frame_sel(b, 4, 1, 1, 0);
		memcpy(b + n, names[i], strlen(names[i]));
		snprintf(name, sizeof(name), "name%zu", i + 1);
		write_file(dir, "fuzz_frame", name, b, n + strlen(names[i]));
	}
}

/*
 * A duplex (both directions in one segment), with messages in flight each
 * way, for fuzz_header: both headers' checks zeroed, so the target seals
 * them and mutations reach the checks behind.
 */
static void duplex_seed(const char *dir)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_SPSC, .slot_size = 8, .capacity = 8,
				 .flags = SHMRING_CREATE_REPLACE};
	shmring_t *d0, *d1, *atx, *arx, *btx, *brx;
	unsigned char *seg, *img;
	struct shmring_hdr h;
	struct stat st;
	char name[64];
	uint64_t v;
	int rc;

	snprintf(name, sizeof(name), "/shmring-fuzz-gen-duplex-%d", (int)getpid());
	rc = shmring_duplex_create(name, &o, SHMRING_DUPLEX_OBSERVE, &d0, &d1);
	if (rc == 0)
		rc = shmring_duplex_open(name, SHMRING_DUPLEX_A, NULL, &atx, &arx);
	if (rc == 0)
		rc = shmring_duplex_open(name, SHMRING_DUPLEX_B, NULL, &btx, &brx);
	if (rc < 0)
		die("duplex", rc);
	/* Eleven requests answered (a lap and some), then three more each way. */
	for (v = 0; v < 11; v++)
		if (shmring_try_send(atx, &v) < 0 || shmring_try_recv(brx, &v) < 0 ||
		    shmring_try_send(btx, &v) < 0 || shmring_try_recv(arx, &v) < 0)
			die("duplex exchange", -EIO);
	for (v = 0; v < 3; v++)
		if (shmring_try_send(atx, &v) < 0 || shmring_try_send(btx, &v) < 0)
			die("duplex send", -EIO);
	seg = map_segment(name, &st);
	img = malloc((size_t)st.st_size);
	if (!img)
		die("malloc", -ENOMEM);
	memcpy(img, seg, (size_t)st.st_size);
	memcpy(&h, img, sizeof(h));
	memset(img + offsetof(struct shmring_hdr, check), 0, sizeof(h.check));
	memset(img + h.slots_off / 2 + offsetof(struct shmring_hdr, check), 0, sizeof(h.check));
	write_file(dir, "fuzz_header", "spsc-duplex", img, (size_t)st.st_size);
	free(img);
	munmap(seg, (size_t)st.st_size);
	shmring_close(atx);
	shmring_close(arx);
	shmring_close(btx);
	shmring_close(brx);
	shmring_close(d0);
	shmring_close(d1);
	shmring_unlink(name);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		make_seed(argv[1], &seeds[i]);
	duplex_seed(argv[1]);
	frame_seeds(argv[1]);
	return 0;
}
