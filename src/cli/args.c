/* SPDX-License-Identifier: MIT */
/*
 * src/cli/args.c - option values shared by the subcommands (see args.h).
 */
#include "cli/args.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
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
