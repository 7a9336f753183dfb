/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cli.h - subcommands of the shmring tool. Each takes argv with the
 * subcommand name in argv[0] and returns the process exit status:
 * 0 success, 1 failure, 2 usage error.
 */
#ifndef SHMRING_CLI_H
#define SHMRING_CLI_H

#include <setjmp.h>

int shmring_cmd_create(int argc, char **argv);
int shmring_cmd_rm(int argc, char **argv);
int shmring_cmd_stat(int argc, char **argv);
int shmring_cmd_ls(int argc, char **argv);
int shmring_cmd_gc(int argc, char **argv);
int shmring_cmd_put(int argc, char **argv);
int shmring_cmd_get(int argc, char **argv);
int shmring_cmd_bench(int argc, char **argv);
int shmring_cmd_stress(int argc, char **argv);
int shmring_cmd_bridge(int argc, char **argv);

/* Print "shmring <cmd>: <name>: <the library's description of err>" to stderr;
 * for a malformed name, what is wrong with it. */
void shmring_cli_error(const char *cmd, const char *what, int err);
/* What shmring_cli_error() says after the name: a text of the tool's, in buf
 * (size bytes), or the library's. */
const char *shmring_cli_error_text(const char *cmd, const char *what, int err, char *buf,
				   size_t size);

/*
 * SIGBUS: a ring's segment (POSIX shm or a file: neither can be sealed) may
 * be shrunk by any process that can write it, and the next read of a page
 * beyond its new end raises SIGBUS. main() installs one handler for every
 * command: unless a recovery point is armed in the faulting thread, it
 * writes "shmring CMD[: NAME]: the ring's segment shrank under us ..." to
 * stderr and exits with status 1 (async-signal-safe: write(2), _exit(2)).
 */

/* The name the message gives (a ring the command works on), or NULL; a
 * printable copy is kept. */
void shmring_cli_bus_name(const char *name);

/* Arm (jb) or disarm (NULL) a recovery point in the calling thread: a
 * SIGBUS then disarms it and siglongjmp()s to jb (set with sigsetjmp(jb,
 * 1)), and the command reports it itself. */
void shmring_cli_bus_arm(sigjmp_buf *jb);

#endif /* SHMRING_CLI_H */
