/* SPDX-License-Identifier: MIT */
/*
 * src/ring.c - a ring's life: create, open (attach in a role), close, and
 * what a handle tells about its ring. Moving messages is in ring_fixed.c and
 * ring_msg.c; what is done about peers that die or stop, in peers.c.
 */
#include "src/internal.h"
#include "src/sock.h"
#include "src/syncobj.h"

#include <assert.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


/* --- Opening ------------------------------------------------------------- */

struct create_arg {
	uint32_t kind;
	uint32_t flags;
	uint32_t notifier;
	uint64_t features; /* SHMRING_FEAT_* beyond the default */
	int32_t semid; /* SYSVSEM: the set made for this ring */
	uint64_t ctime_ns; /* the header's creation time; 0: now */
	uint64_t recovery_ns;
	const struct shmring_geometry *g; /* a plain ring's, also for a duplex */
	bool duplex;   /* two directions (SHMRING_FEAT_DUPLEX) */
};

static_assert(SHMRING_NOTIFIER_FUTEX == SHMRING_HDR_NOTIFY_FUTEX &&
		      SHMRING_NOTIFIER_PSEM == SHMRING_HDR_NOTIFY_PSEM &&
		      SHMRING_NOTIFIER_SYSVSEM == SHMRING_HDR_NOTIFY_SYSVSEM,
	      "the public notifier values are the header's");
static_assert(sizeof(sem_t) <= sizeof(((struct shmring_waitword *)0)->psem),
	      "a sem_t fits its place in the wait word");

/*
 * What the open that mapped a ring validated (or its create wrote), kept
 * with the mapping (shmring__map_seen()): the header at the mapping's start
 * and, for a duplex, direction 1's (zero otherwise). Every handle takes its
 * header from here.
 */
struct seen_hdrs {
	struct shmring_hdr h[2];
};
static_assert(sizeof(struct seen_hdrs) <= SHMRING__MAP_SEEN_BYTES, "the headers fit");
static_assert(sizeof(struct shmring_hdr) == 256, "no padding: headers compare bytewise");

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Write one ring's header (and its semaphores) at base, magic last; *out
 * gets the header. */
static int init_ring(void *base, const struct create_arg *a, const struct shmring_geometry *g,
		     uint32_t direction, uint64_t ctime_ns, struct shmring_hdr *out)
{
	struct shmring_hdr h;

	shmring__hdr_init(&h, a->kind, a->flags, g, (uint32_t)geteuid(), (uint32_t)getpid(),
			  ctime_ns);
	h.recovery_ns = a->recovery_ns;
	h.notifier = a->notifier;
	h.features &= ~SHMRING_FEAT_GROUPED_SLOTS;
	h.features |= a->features; /* grouped where create_args() said */
	if (a->features & SHMRING_FEAT_DENSE_SLOTS)
		h.features &= ~SHMRING_FEAT_STAMPED_SLOTS; /* one slot layout or the other */
	h.direction = direction;
	h.semid = a->semid;
	h.check = shmring__hdr_checksum(&h);
	if (a->notifier == SHMRING_HDR_NOTIFY_PSEM &&
	    (sem_init((sem_t *)(void *)shmring__not_empty(base)->psem, 1, 0) < 0 ||
	     sem_init((sem_t *)(void *)shmring__not_full(base)->psem, 1, 0) < 0))
		return -errno;
	shmring__segment_publish(base, &h, sizeof(h));
	*out = h;
	return 0;
}

static int init_segment(void *base, uint64_t size, const struct shmring_region *rg, void *arg,
			void *seen, bool again, uint64_t *used)
{
	const struct create_arg *a = arg;
	struct seen_hdrs *sh = seen;
	struct shmring_geometry g0 = *a->g, g1 = *a->g;
	uint64_t block, now = a->ctime_ns ? a->ctime_ns : realtime_ns();
	int rc;

	(void)rg;
	/* An exclusive create's object is new: a mapping of it already here
	 * is some other segment, never to be written over. */
	if (again)
		return -EEXIST;
	if (!a->duplex) {
		*used = a->g->total_size;
		return size < a->g->total_size ? -SHMRING_ETRUNCATED
					       : init_ring(base, a, a->g, 0, now, &sh->h[0]);
	}
	shmring__geometry_duplex(&g0, 0, &block);
	shmring__geometry_duplex(&g1, 1, &block);
	if (size < g0.total_size)
		return -SHMRING_ETRUNCATED;
	*used = g0.total_size;
	/* Direction 1 first: an opener waits for direction 0's magic (A-magic
	 * in shmring__segment_read()), published last. */
	rc = init_ring((char *)base + block, a, &g1, 1, now, &sh->h[1]);
	return rc < 0 ? rc : init_ring(base, a, &g0, 0, now, &sh->h[0]);
}

/* The header's feature bits a creator chooses (an opener may ask for them). */
#define CHOSEN_FEATURES (SHMRING_FEAT_POLL_ONLY | SHMRING_FEAT_DENSE_SLOTS | SHMRING_FEAT_DUPLEX)

/* What an opener asks of the ring beyond a valid header. */
struct want {
	uint32_t flags;     /* SHMRING_OPEN_* */
	uint32_t kind;      /* 0: any */
	uint32_t slot_size; /* 0: any */
	uint64_t capacity;  /* 0: any */
	int64_t multi;      /* SHMRING_HDR_MULTI_* expected; -1: any */
	int64_t notifier;   /* SHMRING_HDR_NOTIFY_* expected; -1: any */
	int64_t features;   /* CHOSEN_FEATURES expected, exactly; -1: any */
	bool any_owner;     /* the owner may be another user */
};

union semun_arg {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/*
 * The System V set a header names must be one made for this ring by its
 * creator: two semaphores, created by the ring's creator, without a key
 * (semget(IPC_PRIVATE): a keyed set is some program's named set, never a
 * ring's), in the second the header's creation time names (the creator
 * takes that time from the set it made: set_ctime()), and within
 * SEMSET_AFTER_S seconds after the kernel made the segment (rg->born_s,
 * where the backend keeps it): the creator makes the set right after the
 * segment. The header's time is the creator's word, which a peer that
 * rewrote the header also rewrites; the segment's birth is the kernel's.
 * So our posts (and an unlink's IPC_RMID) never reach a named set, nor a
 * set made when the segment was not being made. Nothing in a set can name
 * its ring more closely: its semaphores' values are the posts, and anyone
 * who may post may change them. A creator before this check read its
 * clock after making the set, at most a second later on anything but a
 * huge ring populated at create: one second either way is taken.
 */
#define SEMSET_AFTER_S 2

static int check_semset(const struct shmring_hdr *h, const struct shmring_region *rg)
{
	struct semid_ds ds;
	union semun_arg arg = {.buf = &ds};
	uint64_t made = h->ctime_ns / 1000000000u;

	if (semctl(h->semid, 0, IPC_STAT, arg) < 0)
		return errno == EINVAL ? -EIDRM : -errno;
	if (ds.sem_nsems != 2)
		return -SHMRING_EGEOMETRY;
	if (ds.sem_perm.cuid != h->creator_uid)
		return -SHMRING_EOWNER;
	if (ds.sem_perm.__key != IPC_PRIVATE)
		return -SHMRING_EGEOMETRY;
	if (ds.sem_ctime < 0 || (uint64_t)ds.sem_ctime > made || made - (uint64_t)ds.sem_ctime > 1)
		return -SHMRING_EGEOMETRY;
	/* The set is made after the segment, but the two times come from
	 * coarse clocks: a second before is taken too. */
	if (rg->born_s >= 0 &&
	    (ds.sem_ctime + 1 < rg->born_s || ds.sem_ctime - rg->born_s > SEMSET_AFTER_S))
		return -SHMRING_EGEOMETRY;
	return 0;
}

/*
 * The header's creation time for a ring whose System V set is semid: now,
 * within the second the kernel recorded as the set's creation (sem_ctime),
 * which check_semset() compares. 0, or -errno.
 */
static int set_ctime(int semid, uint64_t *ctime_ns)
{
	struct semid_ds ds;
	union semun_arg arg = {.buf = &ds};
	uint64_t now = realtime_ns(), made;

	if (semctl(semid, 0, IPC_STAT, arg) < 0)
		return -errno;
	if (ds.sem_ctime < 0)
		return -SHMRING_EGEOMETRY;
	made = (uint64_t)ds.sem_ctime * 1000000000u;
	/* The same clock, read a moment later: in the same second but for a
	 * second's edge, or a clock stepped meanwhile. */
	if (now < made)
		now = made;
	else if (now - made >= 1000000000u)
		now = made + 999999999u;
	*ctime_ns = now;
	return 0;
}

/* Where a duplex's direction 1 begins, from direction 0's validated header
 * (whose slots begin after both directions' tables: twice the offset). */
static uint64_t duplex_block(const struct shmring_hdr *h0)
{
	return h0->slots_off / 2;
}

/* The two directions of a duplex are one ring's halves: the same shape,
 * the same creator. */
static bool duplex_same(const struct shmring_hdr *h0, const struct shmring_hdr *h1)
{
	return h1->direction == 1 && h1->features == h0->features && h1->kind == h0->kind &&
	       h1->capacity == h0->capacity && h1->slot_size == h0->slot_size &&
	       h1->max_participants == h0->max_participants && h1->notifier == h0->notifier &&
	       h1->creator_uid == h0->creator_uid && h1->ctime_ns == h0->ctime_ns;
}

/* A duplex whose direction 0 (h0, at base) is valid: its direction 1 (*h1)
 * must be the other half of the same ring. */
static int duplex_validate(void *base, uint64_t size, const struct shmring_hdr *h0,
			   struct shmring_hdr *h1)
{
	uint64_t off = duplex_block(h0);
	int rc;

	if (h0->direction != 0)
		return -SHMRING_EGEOMETRY;
	/* Published before direction 0's magic, which the caller acquired. */
	rc = shmring__segment_read((char *)base + off, size - off, h1, sizeof(*h1), true);
	if (rc == 0)
		rc = shmring__hdr_validate(h1, size - off);
	if (rc == 0 && !duplex_same(h0, h1))
		rc = -SHMRING_EGEOMETRY;
	return rc;
}

/*
 * The header(s) of a ring being opened, read once and validated: on a fresh
 * mapping they become what its handles take (seen); on one this process had
 * already they must be what it saw then. The shared indices are each
 * handle's to check (handle_new()): they move, the header never does.
 */
static int validate_segment(void *base, uint64_t size, const struct shmring_region *rg, void *arg,
			    void *seen, bool again, uint64_t *used)
{
	const struct want *w = arg;
	struct seen_hdrs sh;
	struct shmring_hdr *h = &sh.h[0];
	int rc;

	memset(&sh, 0, sizeof(sh));
	/* Another user's segment is not even read unless that was allowed. */
	if (!w->any_owner && rg->owner_uid != (uint32_t)geteuid())
		return -SHMRING_EFOREIGN;
	rc = shmring__segment_read(base, size, h, sizeof(*h), w->flags & SHMRING_OPEN_NOWAIT);
	if (rc < 0)
		return rc;
	rc = shmring__hdr_validate(h, size);
	if (rc < 0)
		return rc;
	if (h->creator_uid != rg->owner_uid)
		return -SHMRING_EOWNER;
	if (h->notifier == SHMRING_HDR_NOTIFY_SYSVSEM && (rc = check_semset(h, rg)) < 0)
		return rc;
	if ((h->features & SHMRING_FEAT_DUPLEX) &&
	    (rc = duplex_validate(base, size, h, &sh.h[1])) < 0)
		return rc;
	*used = h->total_size; /* validated: within size */
	/* Written once, by the creator, before we mapped it: a header that
	 * differs from the one we saw was rewritten since, and our handles
	 * (which use the one we saw) would not be on the ring it describes. */
	if (again)
		return memcmp(&sh, seen, sizeof(sh)) != 0 ? -SHMRING_ECHECK : 0;
	memcpy(seen, &sh, sizeof(sh));
	return 0;
}

/* present: the roles were counted present (attach got that far). */
static void release_parts(shmring_t *r, bool present)
{
	static const uint32_t roles[2] = {SHMRING_PRODUCER, SHMRING_CONSUMER};

	for (int i = 0; i < 2; i++)
		if (r->part[i] >= 0)
			shmring__part_release(r->base, &r->live, (uint32_t)r->part[i], roles[i],
					      present);
	r->part[0] = r->part[1] = -1;
}

/* Claim the participant entry for one role: the fixed entry of a single
 * role, or any shared one. Returns the index or -errno. */
static int claim_role(shmring_t *r, unsigned role, bool many)
{
	uint32_t sole = role == SHMRING_PRODUCER ? SHMRING_PART_SOLE_PRODUCER
						 : SHMRING_PART_SOLE_CONSUMER;
	int rc;

	if (many)
		return shmring__part_claim_any(r->base, &r->hdr, &r->live, role);
	rc = shmring__part_claim(r->base, &r->live, sole, role);
	return rc < 0 ? rc : (int)sole;
}

/* A lane's go where its checks hold: the payload size, which the by-value
 * paths of shmring/lane.h take to mean grouped slots, SHMRING_LANE_GROUP_8
 * bytes a group, when it is 8; 8-byte slots laid out otherwise (a duplex's,
 * a ring of a stamp per slot) get 1, which the by-value paths hand to the
 * pointer paths. */
static uint32_t lane_go(const shmring_t *r)
{
	if (r->hdr.features & SHMRING_FEAT_DENSE_SLOTS)
		return 0; /* the short paths are the stamped layout's */
	if (r->hdr.slot_size == 8 && !(r->hdr.features & SHMRING_FEAT_GROUPED_SLOTS))
		return 1;
	return r->hdr.slot_size;
}

/* Which copy paths may skip the checks: SPSC with the role and nothing held.
 * The lanes' go says the same to the short paths (the producer's also needs
 * a consumer seen, see shmring__tx_gone()). */
void shmring__fast_update(shmring_t *r)
{
	r->fast = 0;
	r->tx.go = r->rx.go = 0;
	r->rx.slipping = 0; /* a slip ends where go is set again */
	/* The lane's next send goes to the library, which sets look_at. */
	r->tx.look_at = r->tx.limit = 0;
	r->tx_look_from = r->tx.pos;
	/* Flushing counts messages: not on the fast paths. */
	if (r->hdr.kind != SHMRING_KIND_SPSC || r->flush_every)
		return;
	if ((r->role & SHMRING_PRODUCER) && !r->spsc_tx_held)
		r->fast |= SHMRING__FAST_TX;
	if ((r->role & SHMRING_CONSUMER) && !r->spsc_rx_held)
		r->fast |= SHMRING__FAST_RX;
	r->tx.go = (r->fast & SHMRING__FAST_TX) && r->saw_consumers ? lane_go(r) : 0;
	r->rx.go = r->fast & SHMRING__FAST_RX ? lane_go(r) : 0;
}

/* The shared words an SPSC handle's lanes look at (shmring/lane.h). */
static void lanes_setup(shmring_t *r)
{
	r->tx.ring = r->rx.ring = r;
	r->tx.presence = &r->ctl->consumers;
	r->tx.waiters = &shmring__not_empty(r->base)->waiters;
	r->tx.bells = &r->ctl->bells;
	r->rx.presence = &r->ctl->producers;
	r->rx.waiters = &shmring__not_full(r->base)->waiters;
	r->tx.poll_only = r->rx.poll_only = (r->hdr.features & SHMRING_FEAT_POLL_ONLY) != 0;
	/* A duplex's slot holds both directions' halves: a line ahead of
	 * either side's is the other direction's (or the next slot's other
	 * half), never its own data. */
	r->tx.no_ahead = r->rx.no_ahead = (r->hdr.features & SHMRING_FEAT_DUPLEX) != 0;
}

static_assert(SHMRING_LANE_LIVE(0xfedcba9876543210ull) ==
		      SHMRING_PRESENCE_LIVE(0xfedcba9876543210ull),
	      "lane.h: another presence word");
static_assert(SHMRING_LANE_WAITING(0xfedcba98u) == SHMRING_EC_WAITING(0xfedcba98u),
	      "lane.h: another waiters word");
static_assert(offsetof(struct shmring_side, pos) == SHMRING_LANE_SIDE_POS,
	      "lane.h: a side's position is elsewhere");
static_assert(offsetof(struct shmring, tx) == 0 &&
		      offsetof(struct shmring, rx) == sizeof(struct shmring_lane),
	      "lane.h: a handle begins with its producer's lane, then its consumer's");

/* Whether r has a lane for role: 0, or why not (a socket channel, another
 * kind, the role not taken). */
static int lane_refusal(const shmring_t *r, unsigned role)
{
	if (r->sock)
		return -ENOTSUP;
	if (r->hdr.kind != SHMRING_KIND_SPSC)
		return -SHMRING_EKIND;
	if (!(r->role & role))
		return -EPERM;
	return 0;
}

int shmring_lane_get_abi(shmring_t *r, unsigned role, unsigned abi, struct shmring_lane **out)
{
	int rc;

	if (!r || !out || (role != SHMRING_PRODUCER && role != SHMRING_CONSUMER))
		return -EINVAL;
	if (abi != SHMRING_LANE_ABI)
		return -EPROTO;
	if ((rc = lane_refusal(r, role)) != 0)
		return rc;
	*out = role == SHMRING_PRODUCER ? &r->tx : &r->rx;
	return 0;
}

/* The participant index a side stamps (0 for a side not taken), its entry
 * and the entry's generation. */
static uint32_t owner_of(int part)
{
	return part < 0 ? 0 : (uint32_t)part;
}

static struct shmring_part *entry_of(shmring_t *r, int part)
{
	return part < 0 ? NULL : &shmring__parts(r->base)[part];
}

static uint32_t gen_of(shmring_t *r, int part)
{
	/* Relaxed: our own entry's generation, set by our claim. */
	return part < 0 ? 0 : shmring__load_relaxed(&shmring__parts(r->base)[part].gen);
}

/*
 * The private positions attach took, each read from shared memory once: in
 * bounds, or the handle is refused. The open validated the shared ones
 * before (shmring__indices_validate()), but a peer may rewrite them between
 * that look and attach's own, and a position attach keeps is never read
 * from shared memory again. A side not taken, or shared by many (claimed
 * with CAS and checked at each use), holds 0.
 */
static bool attached_in_bounds(const shmring_t *r)
{
	uint64_t tx, cache, rx;

	switch (r->hdr.kind) {
	case SHMRING_KIND_SPSC:
		tx = r->tx.pos, cache = r->tx.peer_cache, rx = r->rx.pos;
		break;
	case SHMRING_KIND_MSG:
		tx = r->qtx.pos, cache = r->qtx.peer_cache, rx = r->qrx.pos;
		break;
	default:
		tx = r->mtx.pos, cache = r->mtx.peer_cache, rx = r->mrx.pos;
		break;
	}
	return (tx | cache | rx) < SHMRING_POS_MAX;
}

static int attach(shmring_t *r, unsigned role)
{
	uint32_t kind = r->hdr.kind;
	int rc;

	r->role = role;
	r->multi = shmring__hdr_multi(&r->hdr);
	if (kind != SHMRING_KIND_SPSC && kind != SHMRING_KIND_MSG &&
	    !shmring__mring_ops(kind, &r->ops))
		return -SHMRING_EVERSION;
	if (role & SHMRING_PRODUCER) {
		rc = claim_role(r, SHMRING_PRODUCER, r->multi & SHMRING_HDR_MULTI_PRODUCER);
		if (rc < 0)
			return rc;
		r->part[0] = rc;
	}
	if (role & SHMRING_CONSUMER) {
		rc = claim_role(r, SHMRING_CONSUMER, r->multi & SHMRING_HDR_MULTI_CONSUMER);
		if (rc < 0) {
			release_parts(r, false);
			return rc;
		}
		r->part[1] = rc;
	}
	/* Each side stamps its own entry's index in what it claims. */
	if (kind == SHMRING_KIND_SPSC) {
		shmring__spsc_view(&r->tx, r->base, &r->hdr);
		shmring__spsc_view(&r->rx, r->base, &r->hdr);
		if (role & SHMRING_PRODUCER)
			shmring__spsc_attach_producer(&r->tx);
		if (role & SHMRING_CONSUMER)
			shmring__spsc_attach_consumer(&r->rx);
	} else if (kind == SHMRING_KIND_MSG) {
		shmring__msg_view(&r->qtx, r->base, &r->hdr, owner_of(r->part[0]),
				  entry_of(r, r->part[0]), gen_of(r, r->part[0]));
		shmring__msg_view(&r->qrx, r->base, &r->hdr, owner_of(r->part[1]),
				  entry_of(r, r->part[1]), gen_of(r, r->part[1]));
		rc = (role & SHMRING_PRODUCER) ? shmring__msg_attach_producer(&r->qtx) : 0;
		if (rc == 0 && (role & SHMRING_CONSUMER))
			rc = shmring__msg_attach_consumer(&r->qrx);
		if (rc < 0) {
			release_parts(r, false);
			return rc;
		}
	} else {
		shmring__mring_view(&r->mtx, r->base, &r->hdr, owner_of(r->part[0]),
				    entry_of(r, r->part[0]), gen_of(r, r->part[0]));
		shmring__mring_view(&r->mrx, r->base, &r->hdr, owner_of(r->part[1]),
				    entry_of(r, r->part[1]), gen_of(r, r->part[1]));
		rc = (role & SHMRING_PRODUCER) ? shmring__mring_attach_producer(&r->mtx, r->ops.mp)
					       : 0;
		if (rc == 0 && (role & SHMRING_CONSUMER))
			rc = shmring__mring_attach_consumer(&r->mrx, r->ops.mc);
		if (rc < 0) {
			release_parts(r, false);
			return rc;
		}
	}
	if (!attached_in_bounds(r)) {
		release_parts(r, false);
		return -SHMRING_ECORRUPT;
	}
	if (kind == SHMRING_KIND_SPSC)
		lanes_setup(r);
	/* Present only once the side is set up: a peer that sees us may count
	 * on our messages. */
	if (role & SHMRING_PRODUCER)
		shmring__presence_add(r->base, SHMRING_PRODUCER);
	if (role & SHMRING_CONSUMER) {
		shmring__presence_add(r->base, SHMRING_CONSUMER);
		/* Acquire: pairs with the release in shmring__presence_add(), as
		 * every other load of the word; only its flag is kept here. */
		(void)shmring__rx_left(r, shmring__load_acquire(&r->ctl->producers));
	}
	shmring__fast_update(r);
	return 0;
}

/* The eventcounts of a handle: shared words, our own parked mark, periods. */
static void ec_setup(shmring_t *r)
{
	struct shmring_waitword *ne = shmring__not_empty(r->base);
	struct shmring_waitword *nf = shmring__not_full(r->base);
	struct shmring_part *prod = entry_of(r, r->part[0]), *cons = entry_of(r, r->part[1]);

	r->not_empty = (struct shmring_ec){.seq = &ne->seq, .waiters = &ne->waiters,
					   .pending = &ne->pending,
					   .mark = cons ? &cons->parked : NULL,
					   .mark_value = SHMRING_PARKED_NOT_EMPTY};
	r->not_full = (struct shmring_ec){.seq = &nf->seq, .waiters = &nf->waiters,
					  .pending = &nf->pending,
					  .mark = prod ? &prod->parked : NULL,
					  .mark_value = SHMRING_PARKED_NOT_FULL};
	r->not_empty.notifier = r->not_full.notifier = r->hdr.notifier;
	r->not_empty.psem = ne->psem;
	r->not_full.psem = nf->psem;
	r->not_empty.semid = r->not_full.semid = r->hdr.semid;
	r->not_empty.semnum = 0;
	r->not_full.semnum = 1;
	r->not_empty.poll_only = r->not_full.poll_only =
		r->hdr.features & SHMRING_FEAT_POLL_ONLY;
	shmring__recovery_apply(r);
}

/* What the opener asked for that the header (already validated) may not
 * be: checked on every handle, also on a mapping the process had already. */
static int check_want(const shmring_t *r, const struct shmring_map_info *mi, const struct want *w)
{
	if (!w)
		return 0;
	if (!w->any_owner && mi->owner_uid != (uint32_t)geteuid())
		return -SHMRING_EFOREIGN;
	if (w->kind && w->kind != r->hdr.kind)
		return -SHMRING_EKIND;
	if ((w->slot_size && w->slot_size != r->hdr.slot_size) ||
	    (w->capacity && w->capacity != r->hdr.capacity) ||
	    (w->multi >= 0 && (uint32_t)w->multi != shmring__hdr_multi(&r->hdr)) ||
	    (w->notifier >= 0 && (uint32_t)w->notifier != r->hdr.notifier) ||
	    (w->features >= 0 && (uint64_t)w->features != (r->hdr.features & CHOSEN_FEATURES)))
		return -SHMRING_EMISMATCH;
	return 0;
}

/*
 * What a handle's header says about where it is: a plain ring's at the
 * mapping's start; a duplex's direction 0 there and direction 1 at off; a
 * duplex's roles only to the duplex calls (duplex_end), others may observe.
 */
static int check_view(const shmring_t *r, uint64_t off, unsigned role, bool duplex_end)
{
	bool duplex = r->hdr.features & SHMRING_FEAT_DUPLEX;

	if (off ? !duplex || r->hdr.direction != 1 : r->hdr.direction != 0)
		return -SHMRING_EGEOMETRY;
	if (duplex && !duplex_end && role != SHMRING_OBSERVER)
		return -SHMRING_EKIND;
	return 0;
}

/* A handle in role on the ring at off in a mapping (whose reference it takes
 * over): the mapping's ring, or a duplex's direction (duplex_end). */
static int handle_new(struct shmring_map *m, uint64_t off, unsigned role, const struct want *w,
		      bool duplex_end, shmring_t **out)
{
	shmring_t *r = calloc(1, sizeof(*r));
	const struct shmring_map_info *mi = shmring__map_info(m);
	int rc;

	if (!r) {
		shmring__map_put(m);
		return -ENOMEM;
	}
	r->map = m;
	r->view_off = off;
	r->duplex_end = duplex_end;
	r->base = (char *)shmring__map_base(m) + off;
	r->ctl = shmring__ctl(r->base);
	r->part[0] = r->part[1] = -1;
	r->pid = getpid();
	/* The header the mapping's open validated (or its create wrote): no
	 * handle reads one from shared memory. A duplex's direction 1 is the
	 * only ring at an offset. */
	r->hdr = ((const struct seen_hdrs *)shmring__map_seen(m))->h[off ? 1 : 0];
	rc = check_view(r, off, role, duplex_end);
	/* The positions now, for every handle (a dup's too): they move, and a
	 * peer may have forged them since any earlier look. */
	if (rc == 0)
		rc = shmring__indices_validate(r->base, &r->hdr);
	if (rc == 0)
		rc = check_want(r, mi, w);
	if (rc == 0)
		rc = shmring__live_init(&r->live, r->hdr.max_participants, &mi->maps, off);
	if (rc == 0)
		rc = attach(r, role);
	if (rc < 0) {
		shmring__live_free(&r->live);
		shmring__map_put(m);
		free(r);
		return rc;
	}
	r->judge = (struct shmring_judge){.dead = shmring__judge_dead, .ctx = r,
					  .parts = shmring__parts(r->base), .ctl = r->ctl,
					  .nparts = r->hdr.max_participants};
	ec_setup(r);
	/* An eighth of the ring per wake at most: producers wake to room for a
	 * run of sends, and the consumer makes one futex call per that many. */
	r->nf_batch = r->hdr.kind == SHMRING_KIND_MSG
			      ? r->hdr.capacity / (8 * shmring_msg_span(r->hdr.slot_size))
			      : r->hdr.capacity / 8;
	if (r->nf_batch == 0)
		r->nf_batch = 1;
	shmring__waiter_init(&r->wait,
			     r->not_empty.poll_only ? SHMRING_WAIT_YIELD : SHMRING_WAIT_ADAPTIVE, 0);
	/* A consumer killed before we came is still counted until someone
	 * reaps it: our first send would take it for one we saw, and get
	 * -EPIPE once it is reaped, where a producer restarted before its
	 * consumer may fill the ring for the consumer to come. */
	if (role & SHMRING_PRODUCER) {
		shmring__peer_reap(r);
		/* A consumer present now, the dead ones reaped, is one we saw:
		 * its death is -EPIPE even before our first send (a look that
		 * reaped it first took us for a producer that never saw one). */
		(void)shmring__tx_gone(r);
	}
	*out = r;
	return 0;
}

static bool role_ok(unsigned role)
{
	return (role & ~(unsigned)(SHMRING_PRODUCER | SHMRING_CONSUMER)) == 0;
}

static int want_from(const struct shmring_open_opts *o, struct want *w)
{
	*w = (struct want){.multi = -1, .notifier = -1, .features = -1};
	if (!o)
		return 0;
	if (o->flags & ~(uint32_t)(SHMRING_OPEN_PREFAULT | SHMRING_OPEN_MLOCK |
				   SHMRING_OPEN_ANY_OWNER | SHMRING_OPEN_NOWAIT))
		return -EINVAL;
	if (o->reserved0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i])
			return -EINVAL;
	*w = (struct want){.flags = o->flags, .kind = o->kind, .slot_size = o->slot_size,
			   .capacity = o->capacity, .multi = -1, .notifier = -1, .features = -1,
			   .any_owner = o->flags & SHMRING_OPEN_ANY_OWNER};
	return 0;
}

static unsigned map_how(uint32_t open_flags)
{
	return ((open_flags & SHMRING_OPEN_PREFAULT) ? SHMRING__MAP_POPULATE : 0) |
	       ((open_flags & SHMRING_OPEN_MLOCK) ? SHMRING__MAP_MLOCK : 0);
}

/*
 * The handles an open or create hands back: one in a role, or a duplex's
 * pair (the end's sending and receiving directions).
 */
struct take {
	bool duplex;
	unsigned role;   /* plain: the role; duplex: enum shmring_duplex_end */
	shmring_t **out; /* plain: the handle; duplex: the sending direction */
	shmring_t **rx;  /* duplex: the receiving direction */
};

/*
 * A duplex end's two handles on a mapping (whose reference it takes over):
 * end A sends on direction 0 and receives on direction 1, end B the other
 * way round, SHMRING_DUPLEX_OBSERVE observes both. Direction 0's header (the
 * mapping's, validated when it was mapped) says where direction 1 lies; each
 * handle then checks its own header against it.
 */
static int duplex_pair(struct shmring_map *m, unsigned end, const struct want *w,
		       shmring_t **tx, shmring_t **rx)
{
	struct shmring_hdr h0;
	struct want w1 = w ? *w : (struct want){.multi = -1, .notifier = -1, .features = -1};
	uint64_t off[2];
	unsigned roles[2] = {SHMRING_PRODUCER, SHMRING_CONSUMER};
	int rc;

	h0 = ((const struct seen_hdrs *)shmring__map_seen(m))->h[0];
	if (!(h0.features & SHMRING_FEAT_DUPLEX) || h0.direction != 0) {
		shmring__map_put(m);
		return -SHMRING_EKIND; /* not a duplex */
	}
	off[0] = 0;
	off[1] = duplex_block(&h0);
	/* Direction 1 must be the ring direction 0 is. */
	w1.kind = SHMRING_KIND_SPSC;
	w1.slot_size = h0.slot_size;
	w1.capacity = h0.capacity;
	w1.notifier = h0.notifier;
	w1.features = (int64_t)(h0.features & CHOSEN_FEATURES);
	shmring__map_ref(m); /* one reference each */
	if (end == SHMRING_DUPLEX_OBSERVE) {
		/* Direction 0 in *tx, 1 in *rx, neither taking a role. */
		end = 0;
		roles[0] = roles[1] = SHMRING_OBSERVER;
	}
	/* Direction 0 against what the caller asked, direction 1 against that. */
	rc = handle_new(m, off[end], roles[0], end == 0 ? w : &w1, true, tx);
	if (rc < 0) {
		shmring__map_put(m);
		return rc;
	}
	rc = handle_new(m, off[1 - end], roles[1], end == 0 ? &w1 : w, true, rx);
	if (rc < 0) {
		shmring_close(*tx);
		*tx = NULL;
	}
	return rc;
}

/* Take what t asks for on a mapping (whose reference it takes over). */
static int take_handles(struct shmring_map *m, const struct want *w, const struct take *t)
{
	if (t->duplex)
		return duplex_pair(m, t->role, w, t->out, t->rx);
	return handle_new(m, 0, t->role, w, false, t->out);
}

/*
 * Map a region and take handles on it, validating what w asks. With u (the
 * name it was opened by), one that takes a role joins under the object's
 * shared lock (shmring__region_join()), once the segment is validated
 * (never while it waits for a creator): a remover of stale rings either
 * sees it or removed the name first; -ESTALE then (nothing else here says
 * it), and the caller looks at the name again.
 */
static int open_region(struct shmring_region *rg, const struct want *w, const struct take *t,
		       const struct shmring_uri *u)
{
	bool joins = u && (t->duplex ? t->role != SHMRING_DUPLEX_OBSERVE
				     : t->role != SHMRING_OBSERVER);
	struct shmring_map_key key = rg->key; /* the mapping takes the region over */
	struct shmring_map *m;
	int lock = -1;
	int rc = shmring__map_get(rg, map_how(w->flags), validate_segment, (void *)w, &m);

	if (rc < 0)
		return rc;
	if (joins &&
	    (rc = shmring__region_join(u, &key, w->flags & SHMRING_OPEN_NOWAIT, &lock)) < 0) {
		shmring__map_put(m);
		return rc;
	}
	rc = take_handles(m, w, t);
	if (lock >= 0)
		close(lock); /* joined: a remover judges with us in the table */
	return rc;
}

/* Open the object u names and take t's handles; a name that moved under a
 * joiner is opened again (another ring may have it now). */
static int open_uri(const struct shmring_uri *u, const struct want *w, const struct take *t)
{
	for (int round = 0;; round++) {
		struct shmring_region rg;
		int rc = shmring__region_open(u, w->flags & SHMRING_OPEN_NOWAIT, &rg);

		if (rc == 0)
			rc = open_region(&rg, w, t, u);
		if (rc != -ESTALE)
			return rc;
		if (round == 8)
			return -ENOENT; /* removed and made again, each time */
	}
}

int shmring_open_ex(const char *uri, unsigned role, const struct shmring_open_opts *opts,
		    shmring_t **out)
{
	struct shmring_uri u;
	struct want w;
	int rc;

	if (out)
		*out = NULL; /* a failed open never leaves a handle */
	if (!out || !role_ok(role))
		return -EINVAL;
	rc = want_from(opts, &w);
	if (rc == 0 && (shmring__sock_scheme(uri) || shmring__uri_is_auto(uri) ||
			(opts && opts->fallback)))
		return shmring__sock_open(uri, role, opts, out);
	if (rc == 0)
		rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	return open_uri(&u, &w, &(struct take){.role = role, .out = out});
}

int shmring_open(const char *uri, unsigned role, shmring_t **out)
{
	return shmring_open_ex(uri, role, NULL, out);
}

/* Validated creation options: the kind, the flags in effect, the geometry. */
static int create_args(const struct shmring_opts *opts, bool duplex, struct create_arg *a,
		       struct shmring_geometry *g)
{
	bool grouped;
	uint32_t kind = opts->kind ? opts->kind : SHMRING_KIND_SPSC;
	uint32_t flags = opts->flags & (SHMRING_CREATE_MULTI_PRODUCER |
					SHMRING_CREATE_MULTI_CONSUMER);
	int rc;

	if (kind < SHMRING_KIND_SPSC || kind > SHMRING_KIND_MSG)
		return -EINVAL;
	if (opts->recovery_ns && (opts->recovery_ns < SHMRING_MIN_RECOVERY_NS ||
				  opts->recovery_ns > SHMRING_MAX_RECOVERY_NS))
		return -EINVAL;
	if (opts->flags & ~(uint32_t)(SHMRING_CREATE_PREFAULT | SHMRING_CREATE_REPLACE |
				      SHMRING_CREATE_MULTI_PRODUCER |
				      SHMRING_CREATE_MULTI_CONSUMER | SHMRING_CREATE_OPEN_EXISTING |
				      SHMRING_CREATE_HUGE | SHMRING_CREATE_HUGE_FALLBACK |
				      SHMRING_CREATE_MLOCK | SHMRING_CREATE_POLL_ONLY |
				      SHMRING_CREATE_DENSE))
		return -EINVAL;
	if ((opts->flags & SHMRING_CREATE_DENSE) && kind != SHMRING_KIND_SPSC)
		return -EINVAL;
	if ((opts->flags & SHMRING_CREATE_HUGE_FALLBACK) && !(opts->flags & SHMRING_CREATE_HUGE))
		return -EINVAL;
	if ((opts->flags & SHMRING_CREATE_REPLACE) && (opts->flags & SHMRING_CREATE_OPEN_EXISTING))
		return -EINVAL;
	if (kind != SHMRING_KIND_MSG) {
		/* The fixed kinds imply their multi bits; asking for others is an error. */
		struct shmring_hdr probe = {.kind = kind};
		uint32_t implied = shmring__hdr_multi(&probe);

		if (flags & ~implied)
			return -EINVAL;
		flags |= implied;
	}
	for (size_t i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
		if (opts->reserved[i])
			return -EINVAL;
	if (opts->reserved0 || opts->notifier > SHMRING_NOTIFIER_SYSVSEM)
		return -EINVAL;
	if ((opts->mode ? opts->mode : SHMRING_DEFAULT_MODE) & ~0777u)
		return -EINVAL;
	rc = shmring__geometry_kind(kind, opts->capacity, opts->slot_size, 0, g);
	if (rc < 0)
		return rc;
	if (opts->flags & SHMRING_CREATE_DENSE)
		shmring__geometry_dense(g);
	/* Small slots of a plain stamped SPSC ring lie in groups. */
	grouped = kind == SHMRING_KIND_SPSC && !(opts->flags & SHMRING_CREATE_DENSE) && !duplex &&
		  opts->slot_size <= SHMRING_GROUP_MAX_SLOT;
	if (grouped)
		shmring__geometry_grouped(g);
	*a = (struct create_arg){.kind = kind, .flags = flags, .g = g, .notifier = opts->notifier,
				 .features = ((opts->flags & SHMRING_CREATE_POLL_ONLY)
						      ? SHMRING_FEAT_POLL_ONLY
						      : 0) |
					     ((opts->flags & SHMRING_CREATE_DENSE)
						      ? SHMRING_FEAT_DENSE_SLOTS
						      : 0) |
					     (grouped ? SHMRING_FEAT_GROUPED_SLOTS : 0),
				 .recovery_ns = opts->recovery_ns ? opts->recovery_ns
								  : SHMRING_DEFAULT_RECOVERY_NS};
	return 0;
}

/*
 * Open-or-create found the name taken: open what is there, if it is the ring
 * asked for. -ENOENT (removed meanwhile) and -EAGAIN (a creator that never
 * finished: the caller replaces it) are for the caller to act on.
 */
static int open_existing(const struct shmring_uri *u, const struct create_arg *a,
			 const struct take *t)
{
	struct want w = {.kind = a->kind, .slot_size = a->g->slot_size,
			 .capacity = a->g->capacity, .multi = (int64_t)a->flags,
			 .notifier = a->notifier,
			 .features = (int64_t)(a->features & CHOSEN_FEATURES)};

	return open_uri(u, &w, t);
}

/* A duplex's creation options on top of create_args(): one SPSC ring per
 * direction, stamped; a System V set per ring is not made for two. */
static int duplex_args(struct create_arg *a, uint64_t *size)
{
	struct shmring_geometry g0 = *a->g;
	uint64_t block;

	if (a->kind != SHMRING_KIND_SPSC || (a->features & SHMRING_FEAT_DENSE_SLOTS))
		return -EINVAL;
	if (a->notifier == SHMRING_HDR_NOTIFY_SYSVSEM)
		return -EOPNOTSUPP;
	a->duplex = true;
	a->features |= SHMRING_FEAT_DUPLEX;
	shmring__geometry_duplex(&g0, 0, &block);
	*size = g0.total_size;
	return 0;
}

/*
 * Whether the object u names is what a creator that died before its header
 * was published left: a header all zero, or whole but for its magic, which
 * shmring__segment_publish() stores last (its checksum then holds with the
 * magic put in); after it, zero, or zero but for a duplex's direction 1
 * header at its place, which the creator publishes before direction 0's
 * (init_segment()). 1, 0 (data there is another program's), -ENOENT, or
 * -errno. Never waits.
 */
static int creator_died(const struct shmring_uri *u)
{
	struct shmring_hdr h;
	unsigned char *b = (unsigned char *)&h;
	uint64_t at = 0;
	int rc = shmring__region_read(u, 0, &h, sizeof(h));
	size_t i = 0;

	if (rc < 0)
		return rc;
	memset(b + rc, 0, sizeof(h) - (size_t)rc);
	while (i < sizeof(h) && !b[i])
		i++;
	if (i < sizeof(h)) {
		if (rc != (int)sizeof(h) || h.magic != 0)
			return 0;
		h.magic = SHMRING_MAGIC;
		if (shmring__hdr_validate(&h, UINT64_MAX) < 0)
			return 0;
	}
	rc = shmring__region_zero_from(u, sizeof(h), &at);
	if (rc != 0)
		return rc;
	/* Direction 1 begins on a spacing boundary; its magic's first bytes
	 * may be zero. The object's size is not judged here: only what lies in
	 * it. */
	at -= at % SHMRING_SPACING;
	rc = shmring__region_read(u, at, &h, sizeof(h));
	if (rc < 0)
		return rc;
	if (rc != (int)sizeof(h) || shmring__hdr_validate(&h, UINT64_MAX) < 0 ||
	    !(h.features & SHMRING_FEAT_DUPLEX) || h.direction != 1 ||
	    h.slots_off - h.slot_stride / 2 != at)
		return 0;
	return shmring__region_zero_from(u, at + sizeof(h), NULL);
}

/* The object u names now: its identity (device and inode, or System V id)
 * in *k and its birth time in *born_s (-1: unknown); false if none. */
static bool object_look(const struct shmring_uri *u, struct shmring_map_key *k, int64_t *born_s)
{
	struct shmring_region rg;

	if (shmring__region_open(u, true, &rg) < 0)
		return false;
	*k = rg.key;
	*born_s = rg.born_s;
	shmring__region_close(&rg);
	return true;
}

/*
 * Whether the object at u was made within the last two seconds (the
 * kernel's birth time, in whole seconds; false where the file system keeps
 * none): by a creator still inside the grace second every opener gives it.
 * Open-or-create takes such an object for a dead creator's only once it is
 * older: one made by another creator racing us, after it removed the one
 * whose creator did die, is that creator's ring in the making.
 */
static bool object_young(const struct shmring_uri *u)
{
	struct shmring_map_key k;
	int64_t born;

	return object_look(u, &k, &born) && born >= 0 && (int64_t)time(NULL) - born < 2;
}

/* Whether the object at u begins with a zero word (no magic, yet). */
static bool first_word_zero(const struct shmring_uri *u)
{
	uint64_t head = 0;

	return shmring__region_read(u, 0, &head, sizeof(head)) >= 0 && head == 0;
}

/*
 * Whether the object at u, judged a dead creator's (died) or not, is a
 * racing creator's ring in the making: young, and a dead creator's look
 * (died), or its header being written (zero past it), or published (the
 * magic). Another program's data, young or not, is none of these.
 */
static bool in_the_making(const struct shmring_uri *u, bool died)
{
	uint64_t head = 0;
	int n;

	if (!object_young(u))
		return false;
	if (died)
		return true;
	/* A creator publishes its magic last: the word is zero or the magic.
	 * Anything else there is another program's data, young or not. */
	n = shmring__region_read(u, 0, &head, sizeof(head));
	if (n == (int)sizeof(head) && head == SHMRING_MAGIC)
		return true;
	return n >= 0 && head == 0 &&
	       shmring__region_zero_from(u, sizeof(struct shmring_hdr), NULL) == 1;
}

/* shmring_create() and shmring_duplex_create(): what t asks for. */
static int create_take(const char *uri, const struct shmring_opts *opts, const struct take *t)
{
	struct shmring_uri u;
	struct shmring_geometry g;
	struct shmring_region rg;
	struct shmring_region_opts ro;
	struct shmring_map *m;
	struct create_arg a;
	uint64_t size;
	bool or_open, named, making = false;
	int rc;

	if (!opts)
		return -EINVAL;
	if (shmring__uri_is_auto(uri))
		return -EINVAL; /* open only */
	rc = shmring__sock_scheme(uri) ? 0 : shmring__uri_parse(uri, &u);
	if (rc == 0)
		rc = create_args(opts, t->duplex, &a, &g);
	if (rc < 0)
		return rc;
	size = g.total_size;
	if (t->duplex && (rc = duplex_args(&a, &size)) < 0)
		return rc;
	if (shmring__sock_scheme(uri))
		return t->duplex ? -EOPNOTSUPP
				 : shmring__sock_create(uri, opts, a.kind, a.flags, t->role, t->out);
	or_open = opts->flags & SHMRING_CREATE_OPEN_EXISTING;
	named = u.scheme != SHMRING_SCHEME_MEMFD && u.scheme != SHMRING_SCHEME_ANON;
	if (!named && (opts->flags & (SHMRING_CREATE_OPEN_EXISTING | SHMRING_CREATE_REPLACE)))
		return -EINVAL; /* nothing named to find or replace */
	if (!named && a.notifier == SHMRING_HDR_NOTIFY_SYSVSEM)
		return -EOPNOTSUPP; /* no unlink would ever remove the set */
	/* One name, one object (shmring__sem_beside()): a ring neither opens
	 * nor replaces a semaphore. */
	rc = named ? shmring__sem_beside(&u) : 0;
	if (rc != 0)
		return rc > 0 ? -EEXIST : rc;
	ro = (struct shmring_region_opts){
		.size = size, .mode = opts->mode ? opts->mode : SHMRING_DEFAULT_MODE,
		.replace = opts->flags & SHMRING_CREATE_REPLACE,
		.huge = opts->flags & SHMRING_CREATE_HUGE,
		.huge_fallback = opts->flags & SHMRING_CREATE_HUGE_FALLBACK,
	};
	/* Replacing goes through shmring_unlink(), which also removes what the
	 * old ring had outside its segment (a System V notifier set). Huge
	 * pages where there can be none are refused first: the old ring must
	 * not go for a create that cannot succeed. */
	if (ro.replace && ro.huge && !ro.huge_fallback &&
	    (rc = shmring__region_huge_possible(&u, size)) < 0)
		return rc;
	/* Nor more memory than there is, the old ring's given back. */
	if (ro.replace && !ro.huge && (rc = shmring__region_replace_fits(&u, size)) < 0)
		return rc;
	if (ro.replace) {
		/* Only a ring (or a segment whose creator died before its
		 * header) is replaced: never another program's data, which
		 * may start with zeros too. */
		rc = shmring__region_replaceable(&u, SHMRING_MAGIC, sizeof(struct shmring_hdr));
		if (rc == -SHMRING_EBADMAGIC && creator_died(&u) == 1)
			rc = 0;
		if (rc < 0)
			return rc;
		rc = shmring_unlink(uri);
		if (rc < 0 && rc != -ENOENT)
			return rc;
		ro.replace = false;
	}
	/* Open-or-create races other creators and removers: a few rounds. A
	 * name a live creator still holds after them is -EAGAIN, as an open of
	 * it says (still being created), not -EEXIST. */
	for (int round = 0;; round++) {
		rc = shmring__region_create(&u, &ro, &rg);
		if (rc == -EEXIST && making && round == 8)
			rc = -EAGAIN;
		if (rc != -EEXIST || !or_open || round == 8)
			break;
		making = false;
		rc = open_existing(&u, &a, t);
		/* No header, or no whole one (a creator that died reserving
		 * the space, on a file system without fallocate()). */
		if (rc == -EAGAIN || rc == -SHMRING_EBADMAGIC || rc == -SHMRING_ETRUNCATED) {
			int opened = rc;
			struct shmring_map_key judged;
			int64_t born;
			bool seen = object_look(&u, &judged, &born);

			/* A creator that holds the object's lock lives, however
			 * long it takes or is stopped: its ring, a later round.
			 * Only an object with no magic yet can be one: another
			 * program may lock its own file. */
			if (first_word_zero(&u) && shmring__region_in_making(&u)) {
				making = true;
				continue;
			}
			/* Still no magic after the creator's grace second: it died
			 * while creating, and left the rest zero as reserved. Take
			 * the name over; data past the header is another
			 * program's, and stays. */
			rc = creator_died(&u);
			if (rc >= 0 && in_the_making(&u, rc == 1)) {
				making = true;
				continue; /* a creator racing us: its ring, next round */
			}
			if (rc == 0)
				return opened == -SHMRING_ETRUNCATED ? opened : -SHMRING_EBADMAGIC;
			if (rc < 0 && rc != -ENOENT)
				return rc;
			/* Only the object judged: one a racing creator put
			 * there since is its ring in the making. Whatever
			 * came of it, the next round looks at the name again. */
			if (seen)
				shmring__region_unlink_judged(&u, &judged);
		} else if (rc != -ENOENT) {
			return rc;
		}
	}
	if (rc < 0)
		return rc;
	if (a.notifier == SHMRING_HDR_NOTIFY_SYSVSEM) {
		a.semid = semget(IPC_PRIVATE, 2, IPC_CREAT | (int)ro.mode);
		rc = a.semid < 0 ? -errno : set_ctime(a.semid, &a.ctime_ns);
		if (rc < 0) {
			if (a.semid >= 0)
				semctl(a.semid, 0, IPC_RMID);
			shmring__region_close(&rg);
			shmring__region_unlink(&u);
			return rc;
		}
	}
	rc = shmring__map_get(&rg,
			      SHMRING__MAP_FRESH |
				      ((opts->flags & SHMRING_CREATE_PREFAULT) ? SHMRING__MAP_POPULATE : 0) |
				      ((opts->flags & SHMRING_CREATE_MLOCK) ? SHMRING__MAP_MLOCK : 0),
			      init_segment, &a, &m);
	if (rc == 0) {
		shmring__region_made(shmring__map_info(m)->fd); /* published */
		rc = take_handles(m, NULL, t);
	}
	if (rc < 0 && named)
		shmring__region_unlink(&u);
	if (rc < 0 && a.notifier == SHMRING_HDR_NOTIFY_SYSVSEM)
		semctl(a.semid, 0, IPC_RMID);
	return rc;
}

int shmring_create(const char *uri, const struct shmring_opts *opts, unsigned role,
		   shmring_t **out)
{
	if (out)
		*out = NULL; /* a failed create never leaves a handle */
	if (!out || !role_ok(role))
		return -EINVAL;
	return create_take(uri, opts, &(struct take){.role = role, .out = out});
}

static bool end_ok(unsigned end)
{
	return end == SHMRING_DUPLEX_A || end == SHMRING_DUPLEX_B || end == SHMRING_DUPLEX_OBSERVE;
}

/* A failed duplex call leaves no handle; 0 if the arguments are usable. */
static int duplex_outs(unsigned end, shmring_t **tx, shmring_t **rx)
{
	if (tx)
		*tx = NULL;
	if (rx)
		*rx = NULL;
	return tx && rx && tx != rx && end_ok(end) ? 0 : -EINVAL;
}

int shmring_duplex_create(const char *uri, const struct shmring_opts *opts, unsigned end,
			  shmring_t **tx, shmring_t **rx)
{
	int rc = duplex_outs(end, tx, rx);

	return rc < 0 ? rc
		      : create_take(uri, opts,
				    &(struct take){.duplex = true, .role = end, .out = tx, .rx = rx});
}

int shmring_duplex_open(const char *uri, unsigned end, const struct shmring_open_opts *opts,
			shmring_t **tx, shmring_t **rx)
{
	struct shmring_uri u;
	struct want w;
	int rc = duplex_outs(end, tx, rx);

	if (rc == 0)
		rc = want_from(opts, &w);
	if (rc == 0 && opts && (opts->fallback || (opts->kind && opts->kind != SHMRING_KIND_SPSC)))
		rc = -EINVAL;
	if (rc == 0 && (shmring__sock_scheme(uri) || shmring__uri_is_auto(uri)))
		rc = -EOPNOTSUPP; /* a duplex lives in shared memory only */
	if (rc == 0)
		rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	return open_uri(&u, &w, &(struct take){.duplex = true, .role = end, .out = tx, .rx = rx});
}

int shmring_duplex_dup(shmring_t *r, unsigned end, shmring_t **tx, shmring_t **rx)
{
	int rc = duplex_outs(end, tx, rx);

	if (rc == 0 && !r)
		rc = -EINVAL;
	if (rc == 0 && r->sock)
		rc = -EOPNOTSUPP;
	if (rc < 0)
		return rc;
	shmring__map_ref(r->map);
	return duplex_pair(r->map, end, NULL, tx, rx);
}

int shmring_dup(shmring_t *r, unsigned role, shmring_t **out)
{
	if (out)
		*out = NULL;
	if (!r || !out || !role_ok(role))
		return -EINVAL;
	if (r->sock)
		return -EOPNOTSUPP;
	shmring__map_ref(r->map);
	/* The same ring: a duplex's direction stays the one r is on. A role
	 * there comes only with an end (shmring_duplex_dup()): a dup in one
	 * would hold half of an end, and the end's process could not take it. */
	return handle_new(r->map, r->view_off, role, NULL, false, out);
}

/*
 * What a handle still holds at close (see shmring_close() in ring.h): a
 * reservation is cancelled (with many producers the claimed slots become
 * skipped slots that consumers drop; never published with what an earlier lap
 * left there), a peek is released. Either wakes whoever waits on it.
 */
static void drop_held(shmring_t *r)
{
	if (r->hdr.kind == SHMRING_KIND_MSG) {
		if (r->qtx.held)
			shmring__msg_cancel(&r->qtx);
		if (r->qrx.held)
			shmring__msg_cancel(&r->qrx);
	} else if (r->hdr.kind != SHMRING_KIND_SPSC) {
		if (r->mtx.held)
			shmring__mring_cancel(&r->mtx, r->ops.mp, r->ops.mc);
		if (r->mrx.held)
			shmring__mring_cancel(&r->mrx, r->ops.mp, r->ops.mc);
	}
	/* An SPSC reservation or peek claims nothing in shared memory. */
}

int shmring_close(shmring_t *r)
{
	if (!r)
		return 0;
	if (r->sock)
		return shmring__sock_close(r);
	/* A handle inherited across fork() names the parent's entries and
	 * claims: the child gives back only its own memory. */
	if (r->pid == getpid()) {
		drop_held(r);
		if (r->hdr.kind == SHMRING_KIND_SPSC && (r->role & SHMRING_PRODUCER) && !r->tx.dense)
			/* Relaxed: for observers, as in ringbuf/spsc.h (a dense
			 * producer's position is published already). */
			shmring__store_relaxed(&r->tx.prod->pos, r->tx.pos);
		shmring__flush_freed(r);
		if (r->flush_mode != SHMRING_FLUSH_NONE)
			shmring_flush(r);
		release_parts(r, true);
		/* Our going may be end-of-stream or EPIPE for someone asleep,
		 * and what we cancelled or released lets others move. */
		shmring__ec_notify_fenced(&r->not_empty, NULL);
		shmring__ec_notify_fenced(&r->not_full, NULL);
	}
	shmring__bell_close(r);
	shmring__live_free(&r->live);
	shmring__map_put(r->map);
	free(r);
	return 0;
}

/*
 * A System V notifier set goes with its ring: the set the header names,
 * where the header is valid and the set is the ring's (check_semset()).
 * Only the header is read, so the set goes too with a ring that would not
 * open (its positions forged, a participant table beyond repair, the
 * segment truncated after its header: validated as if whole).
 */
static void unlink_semset(const struct shmring_uri *u, const struct shmring_map_key *judged)
{
	struct shmring_region rg;
	struct shmring_hdr h;
	void *base;

	if (u->scheme == SHMRING_SCHEME_MEMFD || u->scheme == SHMRING_SCHEME_ANON ||
	    shmring__region_open(u, true, &rg) < 0)
		return;
	/* Only the judged ring's set: the name may reach another since. */
	if (judged && (rg.key.dev != judged->dev || rg.key.ino != judged->ino)) {
		shmring__region_close(&rg);
		return;
	}
	if (shmring__region_map(&rg, &base) == 0) {
		if (shmring__segment_read(base, rg.size, &h, sizeof(h), true) == 0 &&
		    shmring__hdr_validate(&h, UINT64_MAX) == 0 && h.creator_uid == rg.owner_uid &&
		    h.notifier == SHMRING_HDR_NOTIFY_SYSVSEM && check_semset(&h, &rg) == 0)
			semctl(h.semid, 0, IPC_RMID);
		shmring__region_unmap(rg.scheme, base, rg.size);
	}
	shmring__region_close(&rg);
}

int shmring__unlink_judged(const char *uri, const struct shmring_map_key *judged)
{
	struct shmring_uri u;
	int rc = shmring__uri_parse(uri, &u);

	/* Looked at before the set goes (the set is found through the name)
	 * and again right before the unlink. */
	if (rc == 0)
		rc = shmring__region_names(&u, judged);
	if (rc < 0)
		return rc;
	unlink_semset(&u, judged);
	return shmring__region_unlink_held(&u, judged);
}

int shmring_unlink(const char *uri)
{
	struct shmring_uri u;
	int rc;

	if (shmring__sock_scheme(uri))
		return shmring__sock_unlink(uri);
	if (shmring__uri_is_auto(uri))
		return -EINVAL; /* open only, as for create: name the ring or the socket */
	rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	unlink_semset(&u, NULL);
	return shmring__region_unlink(&u);
}

int shmring_set_wait(shmring_t *r, const struct shmring_wait *w)
{
	if (!r || !w || w->mode > SHMRING_WAIT_PARK || w->reserved)
		return -EINVAL;
	if (r->not_empty.poll_only &&
	    (w->mode == SHMRING_WAIT_ADAPTIVE || w->mode == SHMRING_WAIT_PARK))
		return -EOPNOTSUPP; /* a poll-only ring: nobody may park */
	shmring__waiter_init(&r->wait, w->mode, w->spin_ns);
	return 0;
}

int shmring_set_slip(shmring_t *r, uint32_t answers)
{
	int rc;

	if (!r || answers > UINT16_MAX)
		return -EINVAL;
	if ((rc = lane_refusal(r, SHMRING_CONSUMER)) != 0)
		return rc;
	if (r->hdr.features & SHMRING_FEAT_DENSE_SLOTS)
		return -EOPNOTSUPP; /* its receives do not take the lane's path */
	r->rx.slip = (uint16_t)answers;
	r->rx.peer_cache = r->rx.pos; /* a run counts from here */
	shmring__fast_update(r);      /* a slip under way ends */
	return 0;
}

int shmring_set_flush(shmring_t *r, uint32_t mode, uint32_t every)
{
	if (!r || mode > SHMRING_FLUSH_EVERY || (mode == SHMRING_FLUSH_EVERY) != (every != 0))
		return -EINVAL;
	if (r->sock)
		return -EOPNOTSUPP;
	r->flush_mode = mode;
	r->flush_every = every;
	r->flush_count = 0;
	shmring__fast_update(r);
	return 0;
}

int shmring_flush(shmring_t *r)
{
	if (!r)
		return -EINVAL;
	if (r->sock)
		return -EOPNOTSUPP;
	/* The whole mapping: a duplex's directions share its slot lines. */
	return msync(shmring__map_base(r->map), (size_t)shmring__map_size(r->map), MS_SYNC) < 0
		       ? -errno
		       : 0;
}

void shmring__flush_moved(shmring_t *r, uint64_t n)
{
	r->flush_count += n;
	if (r->flush_count >= r->flush_every) {
		r->flush_count = 0;
		shmring_flush(r);
	}
}

/* --- Handing a ring to another process ----------------------------------- */

/* The one byte of payload that says what the descriptor is. */
#define FD_TAG 'R'

int shmring_fd_send(shmring_t *r, int sock)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	char tag = FD_TAG;
	struct iovec iov = {.iov_base = &tag, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			     .msg_controllen = sizeof(c.buf)};
	struct cmsghdr *cm;
	int fd;
	ssize_t n;

	if (!r)
		return -EINVAL;
	if (r->sock)
		return -EOPNOTSUPP;
	fd = shmring__map_info(r->map)->fd;
	if (fd < 0)
		return -EOPNOTSUPP; /* sysv, anon: no descriptor */
	memset(&c, 0, sizeof(c));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04 /* Linux 6.5: the sender's pidfd, on SO_PASSPIDFD */
#endif

/*
 * The descriptor of one received message: exactly one, tagged. Room for the
 * credentials and the pidfd that a socket with SO_PASSCRED or SO_PASSPIDFD
 * also receives (they came first and crowded the descriptor out); every
 * descriptor that is not the ring's (a pidfd, a second one) is closed.
 */
static int recv_fd(int sock)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
			 CMSG_SPACE(4 * sizeof(int))];
	} c;
	char tag = 0;
	struct iovec iov = {.iov_base = &tag, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			     .msg_controllen = sizeof(c.buf)};
	int fd = -1, fds = 0, type = 0;
	socklen_t len = sizeof(type);
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET ||
		    (cm->cmsg_type != SCM_RIGHTS && cm->cmsg_type != SCM_PIDFD))
			continue; /* credentials: nothing to close */
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int got;

			memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (cm->cmsg_type == SCM_RIGHTS && fds++ == 0)
				fd = got;
			else
				close(got);
		}
	}
	/* End of file on a stream or packet connection (where an empty
	 * packet reads the same); on a datagram socket, an empty message. */
	if (n == 0 && fds == 0 &&
	    (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM))
		return -ECONNRESET; /* the sender went away */
	/* MSG_TRUNC: a datagram or packet longer than the tag, not ours; more
	 * than one descriptor is not shmring_fd_send()'s either. */
	if (fds != 1 || n != 1 || tag != FD_TAG || (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
		if (fd >= 0)
			close(fd);
		return -EPROTO;
	}
	return fd;
}

int shmring_fd_recv(int sock, unsigned role, const struct shmring_open_opts *opts,
		    shmring_t **out)
{
	struct shmring_region rg;
	struct want w;
	int fd, rc;

	if (out)
		*out = NULL;
	if (!out || !role_ok(role))
		return -EINVAL;
	/* A descriptor has no name to fall back from: a fallback asked for
	 * here is a mistake, said before anything is taken from the socket. */
	if (opts && opts->fallback)
		return -EINVAL;
	rc = want_from(opts, &w);
	if (rc < 0)
		return rc;
	w.any_owner = true; /* the sender chose to share it */
	/* Nobody creates what a sender hands over: no wait for a creator, and
	 * a segment without a header (all zero) is no ring. */
	w.flags |= SHMRING_OPEN_NOWAIT;
	fd = recv_fd(sock);
	if (fd < 0)
		return fd;
	rc = shmring__region_from_fd(fd, &rg);
	if (rc == 0)
		rc = open_region(&rg, &w, &(struct take){.role = role, .out = out}, NULL);
	return rc == -EAGAIN ? -SHMRING_EBADMAGIC : rc;
}

int shmring_set_recovery(shmring_t *r, uint64_t recovery_ns)
{
	if (!r || (recovery_ns && (recovery_ns < SHMRING_MIN_RECOVERY_NS ||
				   recovery_ns > SHMRING_MAX_RECOVERY_NS)))
		return -EINVAL;
	if (r->sock)
		return -EOPNOTSUPP;
	r->recovery_ns = recovery_ns;
	shmring__recovery_apply(r);
	return 0;
}

int shmring_peers_check(shmring_t *r)
{
	int rc = 0;

	if (!r)
		return -EINVAL;
	if (r->sock)
		return -EOPNOTSUPP;
	if (r->role & SHMRING_PRODUCER)
		rc = shmring__peer_check(r, SHMRING_PRODUCER);
	if (rc >= 0 && (r->role & SHMRING_CONSUMER))
		rc = shmring__peer_check(r, SHMRING_CONSUMER);
	if (!(r->role & (SHMRING_PRODUCER | SHMRING_CONSUMER)))
		shmring__peer_reap(r);
	return rc < 0 ? rc : 0;
}

/* --- Information --------------------------------------------------------- */

/* Where the producers are: an SPSC producer publishes its position only
 * now and then (ringbuf/spsc.h), the stamps past it say the rest. */
static uint64_t produced(shmring_t *r)
{
	if (r->hdr.kind != SHMRING_KIND_SPSC)
		/* Relaxed: a snapshot for display; no data is read through it. */
		return shmring__load_relaxed(&shmring__prod_side(r->base)->pos);
	if (r->role & SHMRING_PRODUCER)
		return r->tx.pos;
	return shmring__spsc_produced(&r->tx);
}

uint64_t shmring_count(shmring_t *r)
{
	uint64_t prod, cons;

	if (!r)
		return 0;
	if (r->sock)
		return shmring__sock_count(r);
	prod = produced(r);
	/* Relaxed: a snapshot for display; no data is read through it. */
	cons = shmring__load_relaxed(&shmring__cons_side(r->base)->pos);

	if (cons >= prod)
		return 0;
	return prod - cons > r->hdr.capacity ? r->hdr.capacity : prod - cons;
}

/*
 * The longest a stall of this ring can have lasted: its age (CLOCK_REALTIME
 * since its creation, from the validated header) and a minute for the clock
 * being set meanwhile. UINT64_MAX where the creation time is not in the past.
 */
static uint64_t age_bound(const shmring_t *r)
{
	struct timespec ts;
	uint64_t real;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return UINT64_MAX;
	real = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return real > r->hdr.ctime_ns ? real - r->hdr.ctime_ns + 60000000000u : UINT64_MAX;
}

int shmring_info(shmring_t *r, struct shmring_info *info)
{
	struct shmring_side *prod, *cons;
	struct shmring_ctl *ctl;
	uint64_t since, now, pres, age;
	uint32_t part, side, live[2];

	if (!r || !info)
		return -EINVAL;
	if (r->sock)
		return shmring__sock_info(r, info);
	prod = shmring__prod_side(r->base);
	cons = shmring__cons_side(r->base);
	ctl = r->ctl;
	memset(info, 0, sizeof(*info));
	info->kind = r->hdr.kind;
	info->transport = SHMRING_TRANSPORT_SHM;
	info->layout_version = r->hdr.version;
	info->capacity = r->hdr.capacity;
	info->slot_size = r->hdr.slot_size;
	info->slot_stride = r->hdr.slot_stride;
	if (r->hdr.kind != SHMRING_KIND_MSG)
		info->group_slots = (r->hdr.features & SHMRING_FEAT_GROUPED_SLOTS)
					    ? shmring__group_slots(r->hdr.slot_size)
					    : 1;
	info->cacheline = r->hdr.cacheline;
	info->creator_uid = r->hdr.creator_uid;
	info->creator_pid = r->hdr.creator_pid;
	info->max_participants = r->hdr.max_participants;
	info->ctime_ns = r->hdr.ctime_ns;
	info->total_size = r->hdr.total_size;
	info->recovery_ns = r->hdr.recovery_ns;
	info->backend = shmring__map_info(r->map)->scheme;
	info->page_size = shmring__map_info(r->map)->page_size;
	info->owner_uid = shmring__map_info(r->map)->owner_uid;
	info->mode = shmring__map_info(r->map)->mode;
	info->notifier = r->hdr.notifier;
	/* Relaxed, this and every load below: live statistics and states,
	 * each read once for display; the snapshot orders nothing. */
	info->bell_signals = shmring__load_relaxed(&ctl->bell_signals);
	info->late_wakes = r->wait.late_wakes;
	info->produced = produced(r);
	info->consumed = shmring__load_relaxed(&cons->pos);
	info->full_waits = shmring__load_relaxed(&prod->waits);
	info->empty_waits = shmring__load_relaxed(&cons->waits);
	info->wakes = shmring__load_relaxed(&prod->wakes) + shmring__load_relaxed(&cons->wakes);
	shmring__part_scan(r->base, &r->hdr, &r->live, live, false);
	info->producers = live[0];
	info->consumers = live[1];
	info->flags = r->multi |
		      ((r->hdr.features & SHMRING_FEAT_POLL_ONLY) ? SHMRING_CREATE_POLL_ONLY : 0) |
		      ((r->hdr.features & SHMRING_FEAT_DENSE_SLOTS) ? SHMRING_CREATE_DENSE : 0) |
		      ((r->hdr.features & SHMRING_FEAT_DUPLEX) ? SHMRING_CREATE_DUPLEX : 0);
	info->direction = r->hdr.direction;
	info->released = shmring__load_relaxed(&cons->done);
	info->prod_repairs = shmring__load_relaxed(&ctl->prod_repairs);
	info->cons_repairs = shmring__load_relaxed(&ctl->cons_repairs);
	info->skipped = shmring__load_relaxed(&ctl->skipped);
	info->cancelled = shmring__load_relaxed(&ctl->cancelled);
	info->reaped = shmring__load_relaxed(&ctl->reaped);
	age = age_bound(r);
	info->stall_max_ns = shmring__load_relaxed(&ctl->stall_max_ns);
	if (info->stall_max_ns > age)
		info->stall_max_ns = 0; /* longer than the ring has been: forged */
	/* A word that says none is left is believed where the table agrees
	 * (shmring__presence_none()): here the counts just taken. */
	pres = shmring__load_relaxed(&ctl->producers);
	info->producers_gone = SHMRING_PRESENCE_GONE(pres) && info->producers == 0;
	pres = shmring__load_relaxed(&ctl->consumers);
	info->consumers_gone = SHMRING_PRESENCE_GONE(pres) && info->consumers == 0;
	since = shmring__load_relaxed(&ctl->stall_since_ns);
	now = shmring__now_ns();
	side = shmring__load_relaxed(&ctl->stall_side);
	/* A stall of a side that is none, or older than the ring: forged. */
	if (since && since <= now && now - since <= age &&
	    (side == SHMRING_PRODUCER || side == SHMRING_CONSUMER)) {
		info->stall_pos = shmring__load_relaxed(&ctl->stall_pos);
		info->stall_ns = now - since;
		info->stall_side = side;
		part = shmring__load_relaxed(&ctl->stall_part);
		if (part < r->hdr.max_participants)
			info->stall_pid = SHMRING_PART_PID(
				shmring__load_relaxed(&shmring__parts(r->base)[part].owner));
	}
	return 0;
}

/*
 * One entry of the table, read once into *out: the owner word, the fields,
 * the state judged for that very word, and the owner word again; an entry
 * whose word changed meanwhile is read again (a few times), so that a pid
 * is never reported with the state of another owner, nor with fields a
 * later claimer is writing. false: free, or changing under every read.
 */
static bool participant_snapshot(shmring_t *r, struct shmring_part *e, uint32_t i,
                                 struct shmring_participant *out)
{
	for (int tries = 0; tries < 4; tries++) {
		/* Acquire: pairs with the release CAS that ends a claim (take() in
		 * participants.c): the fields written before it come with it. */
		uint64_t owner = shmring__load_acquire(&e->owner);
		bool moved = false;
		uint32_t st, parked;
		struct shmring_participant p;

		if (!owner)
			return false;
		/* Relaxed, all: after the acquire above; checked against the
		 * owner word read again below. */
		p = (struct shmring_participant){
		    .index = i,
		    .pid = SHMRING_PART_PID(owner),
		    .role = SHMRING_PART_ROLE(owner) & (SHMRING_PRODUCER | SHMRING_CONSUMER),
		    .gen = shmring__load_relaxed(&e->gen),
		    .attach_ns = shmring__load_relaxed(&e->attach_ns),
		    .claim_pos = shmring__load_relaxed(&e->claim_pos),
		    .claim_end = shmring__load_relaxed(&e->claim_end) & ~SHMRING_CLAIM_REPAIR,
		};
		parked = shmring__load_relaxed(&e->parked);
		st = shmring__part_state_of(r->base, &r->live, i, owner, &moved);
		if (st == SHMRING_PART_REAPED)
			st = shmring__part_reaped_state(r->base, &r->live, i, owner);
		/* Acquire fence: the loads above come before the owner's re-read
		 * (pairs with the release fence after the claiming CAS in take()). */
		atomic_thread_fence(memory_order_acquire);
		if (moved || shmring__load_relaxed(&e->owner) != owner)
			continue;
		if (!st)
			return false;
		/* Only the values the interface has; a forged one reads as not parked. */
		p.parked = parked == SHMRING_PARKED_NOT_EMPTY || parked == SHMRING_PARKED_NOT_FULL
		               ? parked
		               : 0;
		p.state = st;
		if (owner & SHMRING_OWNER_CLAIMING) {
			/* Being claimed: the fields may still be the previous owner's. */
			p.gen = p.parked = 0;
			p.attach_ns = p.claim_pos = p.claim_end = 0;
		}
		*out = p;
		return true;
	}
	return false;
}

int shmring_participants(shmring_t *r, struct shmring_participant *out, unsigned n)
{
	struct shmring_part *parts;
	unsigned k = 0;

	if (!r || (!out && n))
		return -EINVAL;
	if (r->sock)
		return -EOPNOTSUPP;
	parts = shmring__parts(r->base);
	for (uint32_t i = 0; i < r->hdr.max_participants && k < n; i++)
		if (participant_snapshot(r, &parts[i], i, &out[k]))
			k++;
	return (int)k;
}

uint32_t shmring_slot_size(const shmring_t *r)
{
	return r ? r->hdr.slot_size : 0;
}

uint64_t shmring_capacity(const shmring_t *r)
{
	return r ? r->hdr.capacity : 0;
}
