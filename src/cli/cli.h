/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cli.h - subcommands of the shmring tool. Each takes argv with the
 * subcommand name in argv[0] and returns the process exit status:
 * 0 success, 1 failure, 2 usage error.
 */
#ifndef SHMRING_CLI_H
#define SHMRING_CLI_H

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

#endif /* SHMRING_CLI_H */
