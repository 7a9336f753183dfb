/* SPDX-License-Identifier: MIT */
/*
 * src/cli/args.c - option values shared by the subcommands (see args.h).
 */
#include "cli/args.h"
#include "cli/utf8.h"
#include "shmring/shmring.h"
#include "sock.h" /* shmring__sock_uri_parse(): what a socket channel's name is */

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int digit(char c, unsigned base)
{
	unsigned d;

	if (c >= '0' && c <= '9')
		d = (unsigned)(c - '0');
	else if (c >= 'a' && c <= 'f')
		d = (unsigned)(c - 'a') + 10;
	else if (c >= 'A' && c <= 'F')
		d = (unsigned)(c - 'A') + 10;
	else
		return -1;
	return d < base ? (int)d : -1;
}

int shmring_cli_parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10, shift = 0;
	uint64_t v = 0;
	bool too_big = false;
	const char *p;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* Parsed by hand: strtoull() would take a sign ("-1" is 2^64 - 1)
	 * and leading spaces, and reads a leading 0 as octal. */
	for (p = s; digit(*p, base) >= 0; p++) {
		unsigned d = (unsigned)digit(*p, base);

		if (v > (UINT64_MAX - d) / base)
			too_big = true;
		else
			v = v * base + d;
	}
	if (p == s)
		return -EINVAL;
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	case 't': case 'T': shift = 40; p++; break;
	default: break;
	}
	if (shift && *p == 'i')
		p++;
	if (*p == 'B' || *p == 'b')
		p++;
	if (*p)
		return -EINVAL;
	/* Only a well-formed number is "too large": garbage stays garbage. */
	if (too_big || (shift && v > UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int shmring_cli_parse_time(const char *s, uint64_t unit_ns, uint64_t *ns)
{
	char *end;
	double v;

	/* strtod() also takes signs, spaces, "inf", "nan" and hex floats:
	 * a time here is digits and at most one point. */
	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E'))
			return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || !(v >= 0))
		return -EINVAL;
	v *= (double)unit_ns;
	if (errno == ERANGE || !(v < 18446744073709551616.0))
		return -ERANGE;
	v = floor(v + 0.5);
	if (!(v < 18446744073709551616.0))
		return -ERANGE;
	*ns = (uint64_t)v;
	return 0;
}

/* Damerau-Levenshtein (optimal string alignment) distance, for short words. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[33][33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *shmring_cli_nearest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	if (!word || !*word)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, cands[i]);
		size_t allowed = strlen(cands[i]) / 3;

		if (allowed < 1)
			allowed = 1;
		if (strlen(word) >= 2 && !strncmp(cands[i], word, strlen(word)))
			d = 0; /* an abbreviation: "st" for "stat" or "stress" */
		if (d <= allowed && d < best_d) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}

/* The long option names, for a suggestion; n is how many fit in names. */
static size_t long_names(const struct option *lo, const char **names, size_t max)
{
	size_t n = 0;

	for (; lo && lo->name && n < max; lo++)
		names[n++] = lo->name;
	return n;
}

int shmring_cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
		       const struct option *longopts)
{
	const char *names[64], *near, *bad;
	char word[64];
	int c, at;

	opterr = 0; /* getopt's own messages would name the subcommand as the program */
	at = optind ? optind : 1;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	/* glibc moves past the offending word; with permutation it is the
	 * last one consumed, which optind - 1 names (at when it stood still). */
	bad = optind > at && optind - 1 < argc ? argv[optind - 1] : argv[at < argc ? at : argc - 1];
	if (optopt && optopt < 256 && !(bad[0] == '-' && bad[1] == '-')) {
		if (strchr(shortopts, optopt))
			fprintf(stderr, "shmring %s: option '-%c' needs a value\n", cmd, optopt);
		else
			fprintf(stderr, "shmring %s: unknown option '-%c'\n", cmd, optopt);
	} else if (bad[0] == '-' && bad[1] == '-') {
		size_t len = strcspn(bad + 2, "=");
		bool known = false;

		snprintf(word, sizeof(word), "%.*s", (int)len, bad + 2); /* truncates */
		for (const struct option *o = longopts; o && o->name; o++)
			if (!strcmp(o->name, word))
				known = true;
		if (known && bad[2 + len] == '=')
			fprintf(stderr, "shmring %s: option '--%s' takes no value\n", cmd, word);
		else if (known || optopt)
			fprintf(stderr, "shmring %s: option '--%s' needs a value\n", cmd, word);
		else {
			/* An abbreviation of several names is ambiguous, not unknown. */
			size_t n = long_names(longopts, names, sizeof(names) / sizeof(names[0]));
			int prefixed = 0;

			for (size_t i = 0; i < n; i++)
				prefixed += !strncmp(names[i], word, len);
			if (prefixed > 1 && len) {
				fprintf(stderr, "shmring %s: option '--%s' is ambiguous\n", cmd, word);
			} else {
				near = shmring_cli_nearest(word, names, n);
				fprintf(stderr, "shmring %s: unknown option '--%s'", cmd, word);
				if (near)
					fprintf(stderr, "; did you mean '--%s'?", near);
				fprintf(stderr, "\n");
			}
		}
	} else {
		fprintf(stderr, "shmring %s: unknown option '%s'\n", cmd, bad);
	}
	fprintf(stderr, "see 'shmring %s --help'\n", cmd);
	return '?';
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* A "." or ".." component in a path. */
static bool dot_component(const char *p)
{
	for (const char *c = p; *c; c++)
		if (*c == '/' && c[1] == '.' &&
		    (c[2] == '/' || c[2] == '\0' || (c[2] == '.' && (c[3] == '/' || c[3] == '\0'))))
			return true;
	return false;
}

/* Whether s has a control character (as the library's URI parser sees one). */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static const char *path_problem(const char *scheme, const char *p, char *buf, size_t size)
{
	if (p[0] != '/')
		snprintf(buf, size, "a %s path must be absolute (start with '/')", scheme);
	else if (dot_component(p))
		snprintf(buf, size, "a %s path may not have '.' or '..' components", scheme);
	else if (strlen(p) > SHMRING_PATH_MAX)
		snprintf(buf, size, "a %s path is at most %u bytes", scheme, SHMRING_PATH_MAX);
	else if (p[strlen(p) - 1] == '/')
		snprintf(buf, size, "a %s path names a file, not a directory", scheme);
	else if (has_control(p))
		snprintf(buf, size, "a %s path may not contain control characters", scheme);
	else
		return NULL;
	return buf;
}

static const char *posix_problem(const char *n, char *buf, size_t size)
{
	size_t len;

	if (n[0] != '/') {
		snprintf(buf, size, "a POSIX ring name starts with '/': did you mean '/%.60s'?", n);
		return buf;
	}
	len = strlen(n + 1);
	if (len == 0 || !strcmp(n, "/.") || !strcmp(n, "/.."))
		snprintf(buf, size, "a POSIX ring name needs a name after the '/' (not '.' or '..')");
	else if (strchr(n + 1, '/'))
		snprintf(buf, size, "a POSIX ring name is one component: no '/' after the first "
				    "(for a file, use file:/PATH)");
	else if (len > 200)
		snprintf(buf, size, "a POSIX ring name is at most 200 characters after the '/'");
	else {
		for (const char *c = n + 1; *c; c++)
			if (!name_char(*c)) {
				snprintf(buf, size, "a POSIX ring name uses only letters, digits, "
						    "'.', '_' and '-'");
				return buf;
			}
		return NULL;
	}
	return buf;
}

bool shmring_cli_name_number(const char *s, uint64_t hi, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		int d = digit(*s, base);

		if (d < 0)
			return false;
		v = v * base + (unsigned)d;
		if (v > hi)
			return false;
	}
	*out = v;
	return v >= 1;
}

static bool num_ok(const char *s, uint64_t hi)
{
	uint64_t v;

	return shmring_cli_name_number(s, hi, &v);
}

const char *shmring_cli_name_problem(const char *name, char *buf, size_t size)
{
	const char *colon = strchr(name, ':');
	size_t len = colon ? (size_t)(colon - name) : 0;

	if (!name[0]) {
		snprintf(buf, size, "empty ring name");
		return buf;
	}
	if (name[0] == '/' || !colon)
		return posix_problem(name, buf, size);
	if (len == 5 && !strncmp(name, "posix", 5))
		return posix_problem(colon + 1, buf, size);
	if (len == 4 && !strncmp(name, "file", 4))
		return path_problem("file:", colon + 1, buf, size);
	if (len == 4 && !strncmp(name, "sysv", 4)) {
		if (colon[1] == '@') {
			const char *hash = strrchr(colon + 2, '#');

			/* ftok()'s project ID: the library takes 1..255, decimal
			 * or 0x-hex. */
			if (hash && !num_ok(hash + 1, 255)) {
				snprintf(buf, size, "a sysv:@/PATH#ID name's ID is 1..255 (decimal "
						    "or 0x-hex), not '%.16s'", hash + 1);
				return buf;
			}
			return path_problem("sysv:@", colon + 2, buf, size);
		}
		if (num_ok(colon + 1, UINT32_MAX))
			return NULL;
		snprintf(buf, size, "a System V name is sysv:KEY (1..0xffffffff, decimal or "
				    "0x-hex) or sysv:@/PATH[#ID] (ID 1..255)");
		return buf;
	}
	if ((len == 5 && !strncmp(name, "memfd", 5)) || (len == 4 && !strncmp(name, "anon", 4))) {
		snprintf(buf, size, "memfd: takes a label of up to 64 letters, digits, '.', '_' "
				    "or '-'; anon: takes none");
		return buf;
	}
	if ((len == 4 && !strncmp(name, "unix", 4)) || (len == 3 && !strncmp(name, "tcp", 3))) {
		struct shmring_sock_uri su;

		/* put and bridge take a socket channel (get is refused one
		 * by the library): a malformed one is that, not "no segment". */
		if (shmring__sock_uri_parse(name, &su) < 0) {
			snprintf(buf, size, "not a socket channel's name: unix:/PATH (absolute, at "
					    "most %u bytes), unix:@NAME or tcp:HOST:PORT (PORT "
					    "1..65535)", SHMRING_SOCK_UNIX_MAX);
			return buf;
		}
		snprintf(buf, size, "a socket channel (unix:/PATH, unix:@NAME, tcp:HOST:PORT) is "
				    "no segment to create, remove or show: it lives in the program "
				    "that listens on it, and producers connect to it");
		return buf;
	}
	if (len == 4 && !strncmp(name, "auto", 4)) {
		snprintf(buf, size, "auto:/NAME?fallback=unix:/PATH (or tcp:HOST:PORT) opens a "
				    "ring, or that socket channel where there is none; create, rm "
				    "and stat take the ring's own name");
		return buf;
	}
	snprintf(buf, size, "unknown scheme '%.*s:' (posix:, sysv:, file:, memfd:, anon:)",
		 (int)(len > 32 ? 32 : len), name);
	return buf;
}

char *shmring_cli_printable(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t at = 0;

	if (size == 0)
		return dst;
	while (*p) {
		size_t n = shmring_cli_utf8_len(p);
		bool ctl = shmring_cli_utf8_control(p, n);

		if (n == 0 || ctl) {
			for (size_t i = 0; i < (n ? n : 1); i++) {
				if (at + 4 >= size)
					goto out;
				snprintf(dst + at, size - at, "\\x%02x", p[i]);
				at += 4;
			}
			p += n ? n : 1;
			continue;
		}
		if (at + n >= size)
			break;
		memcpy(dst + at, p, n);
		at += n;
		p += n;
	}
out:
	dst[at] = 0;
	return dst;
}
