/* SPDX-License-Identifier: MIT */
/*
 * src/sync_handle.c - create, open, dup and close for the handles of the
 * one-page synchronization objects (see sync_handle.h).
 */
#include "src/sync_handle.h"

#include <stdlib.h>

static void *handle_new(const struct shmring_sync_type *t)
{
	return calloc(1, t->size);
}

int shmring__sync_handle_create(const struct shmring_sync_type *t, const char *uri,
				const struct shmring_sync_opts *opts, void **out)
{
	struct shmring_sync_opts o = opts ? *opts : (struct shmring_sync_opts){0};
	struct shmring_sync_create c;
	struct shmring_uri u;
	void *h;
	int rc;

	if (out)
		*out = NULL;
	if (!out)
		return -EINVAL;
	rc = shmring__sync_opts_check(opts, t->create_flags);
	if (rc == 0 && (o.impl || o.value > t->max_value))
		rc = -EINVAL;
	if (rc == 0)
		rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	h = handle_new(t);
	if (!h)
		return -ENOMEM;
	c = (struct shmring_sync_create){
		.kind = t->kind, .mode = o.mode ? o.mode : 0600,
		.hdr_flags = t->hdr_flags ? t->hdr_flags(&o) : 0,
		.replace = o.flags & SHMRING_SYNC_REPLACE, .init = t->init, .value = o.value,
	};
	rc = shmring__syncobj_create(&u, &c, (struct shmring_syncobj *)h);
	if (rc < 0) {
		free(h);
		return rc;
	}
	t->setup(h);
	*out = h;
	return 0;
}

int shmring__sync_handle_open(const struct shmring_sync_type *t, const char *uri,
			      const struct shmring_sync_open_opts *opts, void **out)
{
	struct shmring_uri u;
	uint32_t flags;
	void *h;
	int rc;

	if (out)
		*out = NULL;
	if (!out)
		return -EINVAL;
	rc = shmring__sync_open_flags(opts, SHMRING_SYNC_ANY_OWNER | SHMRING_SYNC_NOWAIT, &flags);
	if (rc == 0)
		rc = shmring__uri_parse(uri, &u);
	if (rc < 0)
		return rc;
	h = handle_new(t);
	if (!h)
		return -ENOMEM;
	rc = shmring__syncobj_open(&u, t->kind, flags, (struct shmring_syncobj *)h);
	if (rc < 0) {
		free(h);
		return rc;
	}
	t->setup(h);
	*out = h;
	return 0;
}

int shmring__sync_handle_dup(const struct shmring_sync_type *t, const void *h, void **out)
{
	void *d;

	if (out)
		*out = NULL;
	if (!h || !out)
		return -EINVAL;
	d = handle_new(t);
	if (!d)
		return -ENOMEM;
	shmring__syncobj_dup((const struct shmring_syncobj *)h, (struct shmring_syncobj *)d);
	/* Set up afresh: a fork child may be in another pid namespace. */
	t->setup(d);
	*out = d;
	return 0;
}

int shmring__sync_handle_close(void *h)
{
	if (!h)
		return 0;
	shmring__syncobj_close((struct shmring_syncobj *)h);
	free(h);
	return 0;
}
