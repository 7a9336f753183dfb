/* SPDX-License-Identifier: MIT */
/*
 * src/region_sysv.c - System V shared memory regions (shmget/shmat), named by
 * a key or by ftok() of a path.
 */
#include "src/internal.h"

#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

int shmring__sysv_key(const struct shmring_uri *u, key_t *key)
{
	if (u->scheme != SHMRING_SCHEME_SYSV)
		return -EINVAL;
	if (!u->key_from_path) {
		*key = (key_t)u->key;
		return 0;
	}
	*key = ftok(u->path, (int)u->proj);
	if (*key == (key_t)-1)
		return -errno;
	/* ftok's key 0 would be IPC_PRIVATE: an object nobody could open. */
	return *key == IPC_PRIVATE ? -EINVAL : 0;
}

static int fill(int shmid, struct shmring_region *out)
{
	struct shmid_ds ds;

	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		return shmring__sysv_errno();
	out->scheme = SHMRING_SCHEME_SYSV;
	out->fd = -1;
	out->shmid = shmid;
	out->base = NULL;
	out->size = (uint64_t)ds.shm_segsz;
	out->owner_uid = (uint32_t)ds.shm_perm.uid;
	out->mode = (uint32_t)ds.shm_perm.mode & 0777;
	out->huge = false; /* the mapping tells (see registry.c) */
	/* Made then: nothing here changes a segment's ctime later (IPC_SET). */
	out->born_s = (int64_t)ds.shm_ctime;
	out->key.scheme = SHMRING_SCHEME_SYSV;
	out->key.dev = 0;
	out->key.ino = (uint64_t)shmid;
	return 0;
}

int shmring__sysv_unlink(const struct shmring_uri *u)
{
	key_t key;
	int id, rc = shmring__sysv_key(u, &key);

	if (rc < 0)
		return rc;
	id = shmget(key, 0, 0);
	if (id < 0)
		return -errno;
	return shmctl(id, IPC_RMID, NULL) < 0 ? shmring__sysv_errno() : 0;
}

int shmring__sysv_create(const struct shmring_uri *u, const struct shmring_region_opts *o,
			 struct shmring_region *out)
{
	int flags = IPC_CREAT | IPC_EXCL | (int)(o->mode & 0777);
	key_t key;
	int id = -1, rc = shmring__sysv_key(u, &key);

	if (rc < 0)
		return rc;
	if (o->replace && (rc = shmring__sysv_unlink(u)) < 0 && rc != -ENOENT)
		return rc;
	/* A System V segment is zero-filled, sized and charged at shmget: there
	 * is no sparse length to reserve. shmget applies no umask. */
	if (o->huge)
		id = shmget(key, (size_t)o->huge_size, flags | SHM_HUGETLB);
	if (id < 0 && o->huge && (errno == EEXIST || !o->huge_fallback))
		return errno == EPERM ? -EPERM : -errno;
	/* Normal pages come out of the machine's memory as they are touched;
	 * shmget's own check (the overcommit rule) counts all of it, not what
	 * is free. A key taken is -EEXIST first, as the create below says it
	 * (open-or-create opens it). */
	if (id < 0 && shmget(key, 0, 0) >= 0)
		return -EEXIST;
	if (id < 0 && (rc = shmring__region_memory_fits(o->size)) < 0)
		return rc;
	if (id < 0)
		id = shmget(key, (size_t)o->size, flags);
	if (id < 0)
		return errno == EINVAL ? -ENOSPC : -errno; /* above SHMMAX */
	rc = fill(id, out);
	if (rc < 0)
		shmctl(id, IPC_RMID, NULL);
	return rc;
}

int shmring__sysv_open(const struct shmring_uri *u, struct shmring_region *out)
{
	key_t key;
	int id, rc = shmring__sysv_key(u, &key);

	if (rc < 0)
		return rc;
	id = shmget(key, 0, 0);
	if (id < 0)
		return -errno;
	return fill(id, out);
}
