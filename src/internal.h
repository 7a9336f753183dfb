/* SPDX-License-Identifier: MIT */
/*
 * src/internal.h - the runtime's private interfaces: names, regions, the
 * process-local registry of mappings and the participant table.
 */
#ifndef SHMRING_SRC_INTERNAL_H
#define SHMRING_SRC_INTERNAL_H

#include "ringbuf/layout.h"
#include "ringbuf/msg.h"
#include "ringbuf/mring.h"
#include "ringbuf/spsc.h"
#include "shmring/shmring.h"
#include "sync/eventcount.h"
#include "sync/wait.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --- Names (src/uri.c) --------------------------------------------------- */

enum shmring_scheme {
	SHMRING_SCHEME_POSIX = 1,
};

#define SHMRING_NAME_MAX 200

struct shmring_uri {
	uint32_t scheme;
	char path[SHMRING_NAME_MAX + 2]; /* POSIX: "/name" */
};

/* Parse "posix:/name" or "/name"; 0, -EINVAL (malformed) or
 * -EPROTONOSUPPORT (a scheme this build does not have). */
int shmring__uri_parse(const char *uri, struct shmring_uri *out);

/* --- Regions (src/region_posix.c) ---------------------------------------- */

/* Identity of a mapped object, for sharing one mapping inside a process. */
struct shmring_map_key {
	uint32_t scheme;
	uint64_t dev;
	uint64_t ino;
};

/* An open, not yet mapped, region. */
struct shmring_region {
	int fd;
	uint64_t size; /* bytes, as the OS reports them */
	uint32_t owner_uid;
	struct shmring_map_key key;
};

/* Create exclusively with `size` bytes reserved (not just a sparse length):
 * -EEXIST, -ENOSPC, -EACCES, ... On failure nothing is left behind. */
int shmring__region_create(const struct shmring_uri *u, uint64_t size, uint32_t mode,
			   bool replace, struct shmring_region *out);
int shmring__region_open(const struct shmring_uri *u, struct shmring_region *out);
int shmring__region_unlink(const struct shmring_uri *u);
void shmring__region_close(struct shmring_region *r);

/* --- Registry of mappings (src/registry.c) ------------------------------- */

struct shmring_map;

/*
 * Find the process's mapping of the region, or map it (with `init` run on a
 * fresh mapping; it validates or initialises the segment and may fail). Takes
 * a reference. Closes the region's fd either way.
 */
typedef int (*shmring_map_init_fn)(void *base, uint64_t size, const struct shmring_region *rg,
				   void *arg);
int shmring__map_get(struct shmring_region *rg, bool populate, shmring_map_init_fn init, void *arg,
		     struct shmring_map **out);
void shmring__map_put(struct shmring_map *m);
void *shmring__map_base(const struct shmring_map *m);
uint64_t shmring__map_size(const struct shmring_map *m);

/* --- Participants (src/participants.c) ----------------------------------- */

/* This process's start time in clock ticks since boot (0 if unknown). */
uint64_t shmring__proc_start_time(pid_t pid);

/* Whether the participant entry's owner is still running. */
bool shmring__part_alive(const struct shmring_part *p);

/* Claim entry `idx` for `role`: 0, or -EBUSY if a live process holds it. */
int shmring__part_claim(struct shmring_part *p, uint32_t role);

/* Claim any shared entry (index >= SHMRING_PART_FIRST_SHARED), free ones
 * first, then those of dead processes: the index, or -EUSERS. */
int shmring__part_claim_any(void *base, const struct shmring_hdr *h, uint32_t role);
void shmring__part_release(struct shmring_part *p);

/* Live participants holding `role`, over the whole table. */
uint32_t shmring__part_count(void *base, const struct shmring_hdr *h, uint32_t role);

/* --- The handle (src/ring.c) --------------------------------------------- */

/* Bits of shmring.fast: the SPSC copy paths may run without further checks. */
#define SHMRING__FAST_TX 1u /* SPSC, producer role, no reservation held */
#define SHMRING__FAST_RX 2u /* SPSC, consumer role, no peek held */

struct shmring {
	struct shmring_map *map;
	void *base;
	struct shmring_hdr hdr; /* validated private copy: never re-read */
	unsigned role;
	unsigned fast;          /* SHMRING__FAST_*: the one test on the SPSC fast path */
	int part[2];            /* claimed participant entries, -1 if none */
	struct shmring_spsc tx; /* producer side view (SPSC) */
	struct shmring_spsc rx; /* consumer side view (SPSC) */
	struct shmring_ec not_empty;
	struct shmring_ec not_full;
	struct shmring_waiter wait;
	uint64_t nf_pending;    /* units freed since parked producers were last woken */
	uint64_t nf_batch;      /* wake them once this many are pending */
	unsigned spsc_tx_held;  /* SPSC zero-copy: slots reserved / peeked */
	unsigned spsc_rx_held;
	uint32_t multi;         /* SHMRING_HDR_MULTI_* in effect */
	struct shmring_mring_ops ops; /* MPSC, SPMC, MPMC */
	struct shmring_mring mtx;
	struct shmring_mring mrx;
	struct shmring_msgring qtx; /* MSG */
	struct shmring_msgring qrx;
};

#endif /* SHMRING_SRC_INTERNAL_H */
