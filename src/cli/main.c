/* SPDX-License-Identifier: MIT */
/*
 * src/cli/main.c - the shmring tool: a thin client of the public API.
 */
#include "cli/cli.h"
#include "shmring/shmring.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"create", shmring_cmd_create, "create a ring"},
	{"rm", shmring_cmd_rm, "remove rings by name"},
	{"stat", shmring_cmd_stat, "show a ring's header, positions, participants and counters"},
	{"bench", shmring_cmd_bench, "measure IPC latency and throughput, side by side"},
	{"stress", shmring_cmd_stress, "many producer processes on one ring; verify every message"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: shmring COMMAND [ARGS...]\n\n"
		   "Lock-free rings in shared memory. Rings are named posix:/NAME or /NAME.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'shmring COMMAND --help' describes a command. 'shmring --version' prints "
		   "the version.\n");
}

void shmring_cli_error(const char *what, int err)
{
	fprintf(stderr, "shmring: %s: %s\n", what, shmring_strerror(err));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("shmring %s\n", shmring_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "shmring: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
