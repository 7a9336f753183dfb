/* SPDX-License-Identifier: MIT */
/*
 * src/sync_handle.h - the handles of the one-page synchronization objects
 * (events, mutexes, condition variables): create, open, dup and close said
 * once. Each handle type starts with its struct shmring_syncobj and is
 * described by a struct shmring_sync_type.
 */
#ifndef SHMRING_SRC_SYNC_HANDLE_H
#define SHMRING_SRC_SYNC_HANDLE_H

#include "src/syncobj.h"

struct shmring_sync_type {
	uint32_t kind;         /* SHMRING_SYNC_KIND_* */
	size_t size;           /* of the handle, whose first member is the syncobj */
	uint32_t create_flags; /* SHMRING_SYNC_* a create may ask for */
	uint32_t max_value;    /* the largest opts->value (0: none allowed) */
	/* The header flags for these creation options (NULL: none). */
	uint32_t (*hdr_flags)(const struct shmring_sync_opts *o);
	/* Writes the initial state of a new object (NULL: all zero). */
	void (*init)(void *state, const struct shmring_sync_create *c);
	/* Fills in the handle's own fields once its object is mapped. */
	void (*setup)(void *handle);
};

/* Each: 0 or -errno; *out is a new handle (NULL on failure). */
int shmring__sync_handle_create(const struct shmring_sync_type *t, const char *uri,
				const struct shmring_sync_opts *opts, void **out);
int shmring__sync_handle_open(const struct shmring_sync_type *t, const char *uri,
			      const struct shmring_sync_open_opts *opts, void **out);
int shmring__sync_handle_dup(const struct shmring_sync_type *t, const void *h, void **out);
int shmring__sync_handle_close(void *h);

#endif /* SHMRING_SRC_SYNC_HANDLE_H */
