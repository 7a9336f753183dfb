/* SPDX-License-Identifier: MIT */
/*
 * src/uri.c - ring names. One URI-style name selects the backend (see
 * "Names" in shmring/ring.h); a bare "/name" is POSIX shared memory.
 */
#include "src/internal.h"
#include "src/sock.h"

#include <stdlib.h>
#include <string.h>

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* "/name": one component of name characters, not "." or "..". */
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
	memcpy(out->path, p, n + 1);
	return 0;
}

/*
 * An absolute path without "." or ".." components and without control
 * characters, at most SHMRING_PATH_MAX bytes: the ring is exactly the file
 * named, never one a relative or climbing path happens to reach.
 */
static int parse_path(const char *p, char *out)
{
	size_t n = strlen(p);

	if (p[0] != '/' || n > SHMRING_PATH_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return -EINVAL;
		if (p[i] != '/')
			continue;
		/* A component starts at i + 1: refuse "." and "..". */
		if (p[i + 1] == '.' && (p[i + 2] == '/' || p[i + 2] == '\0'))
			return -EINVAL;
		if (p[i + 1] == '.' && p[i + 2] == '.' && (p[i + 3] == '/' || p[i + 3] == '\0'))
			return -EINVAL;
	}
	if (n > 1 && p[n - 1] == '/')
		return -EINVAL; /* a directory, not a file */
	memcpy(out, p, n + 1);
	return 0;
}

/* A decimal (or, with hex, 0x-hex) number in [lo, hi], nothing else. */
static int parse_num(const char *s, bool hex, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	int base = 10;

	if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		/* strtoull() would take a second prefix: "0x0x10" is no number. */
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			return -EINVAL;
	}
	if (!((*s >= '0' && *s <= '9') || (base == 16 && ((*s >= 'a' && *s <= 'f') ||
							  (*s >= 'A' && *s <= 'F')))))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno || *end || *v < lo || *v > hi)
		return -EINVAL;
	return 0;
}

/* "KEY", "@/path" or "@/path#ID". */
static int parse_sysv(const char *p, struct shmring_uri *out)
{
	uint64_t v;
	int rc;

	out->scheme = SHMRING_SCHEME_SYSV;
	if (p[0] != '@') {
		rc = parse_num(p, true, 1, UINT32_MAX, &v);
		out->key = (uint32_t)v;
		return rc;
	}
	{
		const char *hash = strrchr(p + 1, '#');
		char path[SHMRING_PATH_MAX + 1];
		size_t n = hash ? (size_t)(hash - (p + 1)) : strlen(p + 1);

		out->proj = 1;
		if (hash) {
			rc = parse_num(hash + 1, true, 1, 255, &v);
			if (rc < 0)
				return rc;
			out->proj = (uint32_t)v;
		}
		if (n > SHMRING_PATH_MAX)
			return -EINVAL;
		memcpy(path, p + 1, n);
		path[n] = '\0';
		rc = parse_path(path, out->path);
		if (rc < 0)
			return rc;
		out->key_from_path = true;
	}
	return 0;
}

/* "" or a label of up to 64 name characters. */
static int parse_label(const char *p, uint32_t scheme, struct shmring_uri *out)
{
	size_t n = strlen(p);

	if (n > SHMRING_LABEL_MAX || (scheme == SHMRING_SCHEME_ANON && n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!name_char_ok(p[i]))
			return -EINVAL;
	out->scheme = scheme;
	memcpy(out->path, p, n + 1);
	return 0;
}

static bool scheme_is(const char *uri, size_t len, const char *name)
{
	return strlen(name) == len && strncmp(uri, name, len) == 0;
}

int shmring__uri_parse(const char *uri, struct shmring_uri *out)
{
	const char *colon, *rest;
	size_t len;

	if (!uri || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (uri[0] == '/')
		return parse_posix(uri, out);
	colon = strchr(uri, ':');
	if (!colon || colon == uri)
		return -EINVAL;
	len = (size_t)(colon - uri);
	rest = colon + 1;
	if (scheme_is(uri, len, "posix"))
		return parse_posix(rest, out);
	if (scheme_is(uri, len, "sysv"))
		return parse_sysv(rest, out);
	if (scheme_is(uri, len, "file")) {
		out->scheme = SHMRING_SCHEME_FILE;
		return parse_path(rest, out->path);
	}
	if (scheme_is(uri, len, "memfd"))
		return parse_label(rest, SHMRING_SCHEME_MEMFD, out);
	if (scheme_is(uri, len, "anon"))
		return parse_label(rest, SHMRING_SCHEME_ANON, out);
	for (const char *c = uri; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '+' ||
		      *c == '-'))
			return -EINVAL;
	return -EPROTONOSUPPORT;
}

/* --- Socket channels (see src/sock.h) ------------------------------------ */

bool shmring__sock_scheme(const char *uri)
{
	return uri && (strncmp(uri, "unix:", 5) == 0 || strncmp(uri, "tcp:", 4) == 0);
}

static bool host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == ':';
}

/* "HOST:PORT" or "[V6]:PORT": a host of name characters (an IPv6 address
 * only in brackets) and a decimal port 1..65535. */
static int parse_tcp(const char *p, struct shmring_sock_uri *out)
{
	const char *colon = strrchr(p, ':'), *h = p;
	size_t n;
	uint64_t port;

	if (!colon || colon == p || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	if (parse_num(colon + 1, false, 1, 65535, &port) < 0)
		return -EINVAL;
	n = (size_t)(colon - p);
	if (p[0] == '[') {
		if (n < 3 || p[n - 1] != ']')
			return -EINVAL;
		h = p + 1;
		n -= 2;
	}
	if (n == 0 || n > SHMRING_SOCK_HOST_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!host_char_ok(h[i]) || (h[i] == ':' && p[0] != '['))
			return -EINVAL;
	out->transport = SHMRING_TRANSPORT_TCP;
	out->port = (uint16_t)port;
	memcpy(out->name, h, n);
	out->name[n] = '\0';
	return 0;
}

int shmring__sock_uri_parse(const char *uri, struct shmring_sock_uri *out)
{
	const char *p;
	size_t n;

	if (!uri || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (strncmp(uri, "tcp:", 4) == 0)
		return parse_tcp(uri + 4, out);
	if (strncmp(uri, "unix:", 5) != 0)
		return -EINVAL;
	p = uri + 5;
	n = strlen(p);
	out->transport = SHMRING_TRANSPORT_UNIX;
	if (p[0] == '@') {
		/* An abstract name: name characters (and slashes), no NUL. */
		if (n < 2 || n - 1 > SHMRING_SOCK_UNIX_MAX - 1)
			return -EINVAL;
		for (size_t i = 1; i < n; i++)
			if (!name_char_ok(p[i]) && p[i] != '/')
				return -EINVAL;
		out->abstract = true;
		memcpy(out->name, p + 1, n);
		return 0;
	}
	{
		char path[SHMRING_PATH_MAX + 1];

		/* sun_path holds the path and its NUL. */
		if (n > SHMRING_SOCK_UNIX_MAX || parse_path(p, path) < 0 || n < 2)
			return -EINVAL;
		memcpy(out->name, path, n + 1);
	}
	return 0;
}

#define AUTO_FALLBACK "?fallback="

bool shmring__uri_is_auto(const char *uri)
{
	return uri && strncmp(uri, "auto:", 5) == 0;
}

int shmring__uri_auto_split(const char *uri, char *ring, size_t ring_cap, char *fallback,
			    size_t fb_cap)
{
	const char *q;
	size_t rn, fn;

	if (!uri || strncmp(uri, "auto:", 5) != 0)
		return -ENOENT;
	uri += 5;
	q = strstr(uri, AUTO_FALLBACK);
	if (!q)
		return -EINVAL;
	rn = (size_t)(q - uri);
	q += strlen(AUTO_FALLBACK);
	fn = strlen(q);
	if (rn == 0 || rn >= ring_cap || fn >= fb_cap || !shmring__sock_scheme(q) ||
	    strstr(q, AUTO_FALLBACK))
		return -EINVAL;
	memcpy(ring, uri, rn);
	ring[rn] = '\0';
	memcpy(fallback, q, fn + 1);
	return 0;
}
