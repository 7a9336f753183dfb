/* SPDX-License-Identifier: MIT */
/*
 * fuzz_uri: the ring name parser (src/uri.c) over any bytes. The input,
 * cut at its first NUL, is a URI. Whatever it returns, a URI it accepts must
 * name exactly one backend with a name that keeps the rules of "Names" in
 * shmring/ring.h: a POSIX name is one component of name characters; a file
 * or sysv:@ path is absolute, NUL-terminated within bounds, with no "." or
 * ".." component; a System V key is not IPC_PRIVATE; a memfd label is short.
 */
#include "fuzz_common.h" /* FUZZ_CHECK */
#include "src/internal.h"

#include <string.h>

static bool has_dot_component(const char *p)
{
	for (const char *c = p; *c; c++) {
		if (*c != '/')
			continue;
		if (c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
			return true;
		if (c[1] == '.' && c[2] == '.' && (c[3] == '/' || c[3] == '\0'))
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char uri[SHMRING_PATH_MAX + 64];
	struct shmring_uri u;
	size_t n = size < sizeof(uri) - 1 ? size : sizeof(uri) - 1;
	size_t len;
	int rc;

	memcpy(uri, data, n);
	uri[n] = '\0';
	rc = shmring__uri_parse(uri, &u);
	if (rc < 0) {
		FUZZ_CHECK(rc == -EINVAL || rc == -EPROTONOSUPPORT);
		return 0;
	}
	FUZZ_CHECK(rc == 0);
	len = strnlen(u.path, sizeof(u.path));
	FUZZ_CHECK(len < sizeof(u.path));
	switch (u.scheme) {
	case SHMRING_SCHEME_POSIX:
		FUZZ_CHECK(u.path[0] == '/' && len >= 2 && len <= SHMRING_NAME_MAX + 1);
		FUZZ_CHECK(strchr(u.path + 1, '/') == NULL);
		FUZZ_CHECK(strcmp(u.path, "/.") != 0 && strcmp(u.path, "/..") != 0);
		break;
	case SHMRING_SCHEME_FILE:
		FUZZ_CHECK(u.path[0] == '/' && !has_dot_component(u.path));
		break;
	case SHMRING_SCHEME_SYSV:
		if (u.key_from_path)
			FUZZ_CHECK(u.path[0] == '/' && !has_dot_component(u.path) &&
				   u.proj >= 1 && u.proj <= 255);
		else
			FUZZ_CHECK(u.key != 0);
		break;
	case SHMRING_SCHEME_MEMFD:
	case SHMRING_SCHEME_ANON:
		FUZZ_CHECK(len <= SHMRING_LABEL_MAX && strchr(u.path, '/') == NULL);
		break;
	default:
		FUZZ_CHECK(!"a scheme the parser does not have");
	}
	return 0;
}
