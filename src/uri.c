/* SPDX-License-Identifier: MIT */
/*
 * src/uri.c - ring names. One URI-style name selects the backend; this build
 * knows POSIX shared memory ("posix:/name", or a bare "/name").
 */
#include "src/internal.h"

#include <string.h>

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static int parse_posix(const char *p, struct shmring_uri *out)
{
	size_t n;

	if (p[0] != '/')
		return -EINVAL;
	n = strlen(p + 1);
	if (n == 0 || n > SHMRING_NAME_MAX)
		return -EINVAL;
	if (strcmp(p + 1, ".") == 0 || strcmp(p + 1, "..") == 0)
		return -EINVAL;
	for (size_t i = 1; i <= n; i++)
		if (!name_char_ok(p[i]))
			return -EINVAL;
	out->scheme = SHMRING_SCHEME_POSIX;
	memcpy(out->path, p, n + 2);
	return 0;
}

int shmring__uri_parse(const char *uri, struct shmring_uri *out)
{
	const char *colon;

	if (!uri || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (uri[0] == '/')
		return parse_posix(uri, out);
	colon = strchr(uri, ':');
	if (!colon || colon == uri)
		return -EINVAL;
	if ((size_t)(colon - uri) == 5 && strncmp(uri, "posix", 5) == 0)
		return parse_posix(colon + 1, out);
	for (const char *c = uri; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return -EINVAL;
	return -EPROTONOSUPPORT;
}
