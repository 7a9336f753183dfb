/* SPDX-License-Identifier: MIT */
/*
 * src/cli/utf8.h - where the tool's text output must be UTF-8 (JSON, and names
 * shown on a terminal): the length of the well-formed sequence at a byte.
 */
#ifndef SHMRING_CLI_UTF8_H
#define SHMRING_CLI_UTF8_H
#include <stdbool.h>
#include <stddef.h>

/* The length of the UTF-8 sequence that the byte lead starts (1..4), or 0
 * for a byte that starts none. */
static inline size_t shmring_cli_utf8_want(unsigned char lead)
{
	return lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2
		: lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
}

/* Whether the well-formed sequence of n bytes at p is a control character:
 * C0, DEL, or C1 (U+0080..U+009F, as UTF-8 0xc2 0x80..0x9f). */
static inline bool shmring_cli_utf8_control(const unsigned char *p, size_t n)
{
	return n == 1 ? p[0] < 0x20 || p[0] == 0x7f : n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

/* The length of the well-formed UTF-8 sequence at p (1..4), or 0. */
static inline size_t shmring_cli_utf8_len(const unsigned char *p)
{
	size_t n = shmring_cli_utf8_want(p[0]);
	/* The second byte's range excludes overlong forms, surrogates and
	 * code points past U+10FFFF. */
	unsigned lo = p[0] == 0xe0 ? 0xa0 : p[0] == 0xf0 ? 0x90 : 0x80;
	unsigned hi = p[0] == 0xed ? 0x9f : p[0] == 0xf4 ? 0x8f : 0xbf;

	for (size_t i = 1; i < n; i++)
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
	return n;
}

#endif /* SHMRING_CLI_UTF8_H */
