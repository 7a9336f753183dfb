/* SPDX-License-Identifier: MIT */
/*
 * src/cli/args.h - parsing of option values, shared by every subcommand, so
 * that a size, a count or a time means the same thing (and overflows the
 * same way: never silently) wherever the tool takes one.
 */
#ifndef SHMRING_CLI_ARGS_H
#define SHMRING_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A non-negative integer: decimal, or hexadecimal after 0x (a leading 0 is
 * not octal: "010" is ten), then an optional binary multiplier k, m, g or t
 * (any case, 2^10 .. 2^40), optionally followed by "i" and/or "B" ("4k",
 * "4K", "4KiB", "64B"). No sign, no spaces. 0, -EINVAL (not such a number)
 * or -ERANGE (it does not fit in 64 bits, suffix included).
 */
int shmring_cli_parse_u64(const char *s, uint64_t *out);

/*
 * A non-negative decimal number of units (unit_ns nanoseconds each, e.g.
 * 1000000 for milliseconds; a fraction is allowed: "0.5"), rounded to the
 * nearest nanosecond. 0, -EINVAL or -ERANGE (more than 2^64 - 1 ns).
 */
int shmring_cli_parse_time(const char *s, uint64_t unit_ns, uint64_t *ns);

/*
 * The candidate closest to word by edit distance (insertions, deletions,
 * substitutions and swaps of two neighbours), if it is close enough to be
 * what was meant (at most a third of its length, and at least one edit
 * allowed) or starts with word; NULL otherwise.
 */
const char *shmring_cli_nearest(const char *word, const char *const *cands, size_t n);

/*
 * getopt_long() for subcommand cmd ("stat"), with the tool's own messages:
 * an unknown option ("shmring stat: unknown option '--jsn'; did you mean
 * '--json'?"), an ambiguous abbreviation or a missing value is said on
 * stderr with the "shmring CMD:" prefix, followed by "see 'shmring CMD
 * --help'", and returns '?' (the caller exits 2). Otherwise as
 * getopt_long(). Set optind to 0 before the first call of a subcommand.
 */
int shmring_cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
		       const struct option *longopts);

/*
 * What is wrong with a ring name the library refused as malformed (-EINVAL)
 * or of an unknown scheme (-EPROTONOSUPPORT), in words a user can act on
 * ("a POSIX name starts with '/': did you mean '/orders'?"); buf holds the
 * text. NULL when the name looks well-formed (the error was about
 * something else).
 */
const char *shmring_cli_name_problem(const char *name, char *buf, size_t size);

/* A number from 1 to hi, decimal or 0x-hex, as the library's names take one
 * (a System V key, ftok()'s project ID), into *v: whether s is one. */
bool shmring_cli_name_number(const char *s, uint64_t hi, uint64_t *v);

/*
 * A name found in a directory, as a terminal may be shown it: into dst
 * (size bytes, cut there), each control character (C0, DEL, C1) and each
 * byte that is not of well-formed UTF-8 written as \xNN, so that a name
 * somebody chose cannot move the cursor or rewrite the screen. dst.
 */
char *shmring_cli_printable(char *dst, size_t size, const char *src);

/* The longest ring name the library takes (shmring/shmring.h): a file: or
 * sysv:@ name, a path of SHMRING_PATH_MAX bytes with its scheme and a
 * project ID ("sysv:@" PATH "#0xff"). */
#define SHMRING_CLI_NAME_MAX (SHMRING_PATH_MAX + 16)

/* Room for shmring_cli_printable() of any ring name. */
#define SHMRING_CLI_PRINTABLE_MAX (4 * SHMRING_CLI_NAME_MAX + 1)

/* Room for an error message that quotes two names of the longest kind (a
 * bridge's FROM and TO; a name and the directory it lacks) with the words
 * around them, so that the reason at its end is never cut off. */
#define SHMRING_CLI_ERR_MAX (2 * SHMRING_CLI_NAME_MAX + 512)

#endif /* SHMRING_CLI_ARGS_H */
