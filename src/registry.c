/* SPDX-License-Identifier: MIT */
/*
 * src/registry.c - the process-local registry of mapped rings.
 *
 * A second open of the same object in one process shares the first mapping.
 * Lookups are lock-free: an RCU hash table (liburcu, "bulletproof" flavour,
 * which needs no thread registration and so suits a library). Insertions and
 * removals are serialised by a mutex, so a mapping in the table always has a
 * live reference; a mapping whose last reference goes is removed from the
 * table, and unmapped only after a grace period, so a lock-free reader that
 * found it a moment earlier never touches unmapped memory.
 */
#include "src/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/mman.h>
#include <unistd.h>
#include <urcu-bp.h>
#include <urcu/rculfhash.h>

struct shmring_map {
	struct cds_lfht_node node;
	struct shmring_map_key key;
	_Atomic long refs;
	void *base;
	uint64_t size;
	struct shmring_map_info info;
	/* Written by init before the mapping enters the table, read-only
	 * after: the table's mutex publishes it to every later open. */
	_Alignas(8) unsigned char seen[SHMRING__MAP_SEEN_BYTES];
};

static struct cds_lfht *table;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
	/* Fixed size, no resize worker: a process maps a handful of rings. */
	table = cds_lfht_new(64, 64, 64, 0, NULL);
	/* urcu-bp keeps a registry of reader threads; keep it consistent across fork. */
	pthread_atfork(urcu_bp_before_fork, urcu_bp_after_fork_parent, urcu_bp_after_fork_child);
}

static unsigned long key_hash(const struct shmring_map_key *k)
{
	uint64_t x = k->dev * UINT64_C(0x9e3779b97f4a7c15) ^ k->ino ^ ((uint64_t)k->scheme << 56);

	x ^= x >> 31;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	return (unsigned long)(x ^ (x >> 29));
}

static int key_match(struct cds_lfht_node *node, const void *arg)
{
	const struct shmring_map *m = caa_container_of(node, struct shmring_map, node);
	const struct shmring_map_key *k = arg;

	return m->key.scheme == k->scheme && m->key.dev == k->dev && m->key.ino == k->ino;
}

/* Take a reference unless the count already reached zero (being removed). */
static bool ref_get(struct shmring_map *m)
{
	/* Relaxed: the count only decides ownership; the mapping's contents
	 * were published by the mutex that inserted it. */
	long r = atomic_load_explicit(&m->refs, memory_order_relaxed);

	while (r > 0)
		if (atomic_compare_exchange_weak_explicit(&m->refs, &r, r + 1, memory_order_acquire,
							  memory_order_relaxed))
			return true;
	return false;
}

static struct shmring_map *lookup(const struct shmring_map_key *k)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *node;
	struct shmring_map *m = NULL;

	urcu_bp_read_lock();
	cds_lfht_lookup(table, key_hash(k), key_match, k, &it);
	node = cds_lfht_iter_get_node(&it);
	if (node) {
		m = caa_container_of(node, struct shmring_map, node);
		if (!ref_get(m))
			m = NULL;
	}
	urcu_bp_read_unlock();
	return m;
}

/*
 * How the kernel names the mapping at base in /proc/PID/maps (what a judge of
 * liveness compares another process's maps against: for System V and
 * anonymous memory there is no file to stat; a file: ring's name too, see
 * struct shmring_maps_id) and the page size it uses.
 */
static void probe(void *base, struct shmring_map_info *mi)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool ours = false;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		unsigned maj, min;
		unsigned long long ino;
		unsigned kb;
		int end = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %llu%n", &lo, &hi, &maj, &min, &ino, &end) ==
		    5) {
			if (ours)
				break; /* the next mapping */
			ours = lo == (unsigned long)(uintptr_t)base;
			if (ours) {
				mi->maps.dev = makedev(maj, min);
				mi->maps.ino = ino;
				if (mi->scheme == SHMRING_SCHEME_FILE)
					shmring__maps_name(line + end, mi->maps.name,
							   sizeof(mi->maps.name));
			}
		} else if (ours && sscanf(line, "KernelPageSize: %u kB", &kb) == 1) {
			mi->page_size = kb * 1024u;
			break;
		}
	}
	fclose(f);
}

/* Populate and lock len bytes from base, as `how` asks: 0 or -errno. */
static int prepare(void *base, uint64_t len, unsigned how)
{
	int rc = 0;

	if (how & SHMRING__MAP_POPULATE)
		rc = shmring__region_populate(base, len);
	if (rc == 0 && (how & SHMRING__MAP_MLOCK) && mlock(base, (size_t)len) < 0)
		rc = -errno;
	return rc;
}

int shmring__map_get(struct shmring_region *rg, unsigned how, shmring_map_init_fn init, void *arg,
		     struct shmring_map **out)
{
	struct shmring_map *m;
	uint64_t used = 0;
	void *base;
	int rc;

	pthread_once(&table_once, table_init);
	if (!table) {
		shmring__region_close(rg);
		return -ENOMEM;
	}
	pthread_mutex_lock(&table_lock);
	/* Anonymous memory is never found by name; anything else may already
	 * be mapped by another handle of this process. */
	m = rg->scheme == SHMRING_SCHEME_ANON ? NULL : lookup(&rg->key);
	if (m) {
		/* The object's size now (the region was just opened), not when
		 * we mapped it: a peer with write access may have shrunk it
		 * since (posix and file: objects have no seals). A handle over
		 * the lost pages would fault at its first touch; a fresh
		 * mapping's validation refuses it too. */
		bool shrunk = rg->size < m->size;

		pthread_mutex_unlock(&table_lock);
		/* Validated as a first open would (outside the lock: it may wait
		 * for a magic), for this region's owner: the header seen when we
		 * mapped it proves nothing about the segment now. */
		rc = shrunk ? -SHMRING_ETRUNCATED
			    : init(m->base, m->size, rg, arg, m->seen, true, &used);
		shmring__region_close(rg);
		/* Populated when it was first mapped; locked for each opener. */
		if (rc == 0)
			rc = prepare(m->base, used, how & SHMRING__MAP_MLOCK);
		if (rc < 0) {
			shmring__map_put(m);
			return rc;
		}
		*out = m;
		return 0;
	}
	rc = -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto fail;
	rc = shmring__region_map(rg, &base);
	if (rc < 0)
		goto fail;
	/* Faulted in and locked: the segment the header describes, never
	 * more of the object (a peer may have grown it, or sent a longer one);
	 * a fresh object whole, before its header is written. */
	used = rg->size;
	if (how & SHMRING__MAP_FRESH)
		rc = prepare(base, used, how);
	if (rc == 0)
		rc = init(base, rg->size, rg, arg, m->seen, false, &used);
	if (rc == 0 && !(how & SHMRING__MAP_FRESH))
		rc = prepare(base, used, how);
	if (rc < 0) {
		shmring__region_unmap(rg->scheme, base, rg->size);
		goto fail;
	}
	m->key = rg->key;
	m->base = base;
	m->size = rg->size;
	m->info = (struct shmring_map_info){
		.scheme = rg->scheme, .fd = rg->fd, .owner_uid = rg->owner_uid, .mode = rg->mode,
		.page_size = (uint32_t)sysconf(_SC_PAGESIZE),
		.maps = {.dev = rg->key.dev, .ino = rg->key.ino},
	};
	rg->fd = -1; /* kept with the mapping */
	probe(base, &m->info);
	atomic_init(&m->refs, 1);
	cds_lfht_node_init(&m->node);
	urcu_bp_read_lock();
	cds_lfht_add(table, key_hash(&m->key), &m->node);
	urcu_bp_read_unlock();
	pthread_mutex_unlock(&table_lock);
	*out = m;
	return 0;
fail:
	pthread_mutex_unlock(&table_lock);
	free(m);
	shmring__region_close(rg);
	return rc;
}

void shmring__map_ref(struct shmring_map *m)
{
	/* Relaxed: the caller already holds a reference, so the count cannot
	 * reach zero under it. */
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void shmring__map_put(struct shmring_map *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&table_lock);
	/* Acq_rel: the last owner sees every other owner's use of the mapping
	 * as finished before it unmaps. */
	if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) {
		pthread_mutex_unlock(&table_lock);
		return;
	}
	urcu_bp_read_lock();
	cds_lfht_del(table, &m->node);
	urcu_bp_read_unlock();
	pthread_mutex_unlock(&table_lock);
	/* Readers that found the node before the removal are gone after this. */
	urcu_bp_synchronize_rcu();
	shmring__region_unmap(m->info.scheme, m->base, m->size);
	if (m->info.fd >= 0)
		close(m->info.fd);
	free(m);
}

void *shmring__map_base(const struct shmring_map *m)
{
	return m->base;
}

uint64_t shmring__map_size(const struct shmring_map *m)
{
	return m->size;
}

const void *shmring__map_seen(const struct shmring_map *m)
{
	return m->seen;
}

const struct shmring_map_info *shmring__map_info(const struct shmring_map *m)
{
	return &m->info;
}
