/* SPDX-License-Identifier: MIT */
/*
 * tests/test_cli_run.h - running the shmring tool from the test_cli_*
 * programs: its output and errors captured in files, its input from a file,
 * in the foreground with a time limit or in the background; names of every
 * backend that are removed at exit (POSIX through helpers.h, System V
 * segments and files here).
 */
#ifndef SHMRING_TESTS_CLI_RUN_H
#define SHMRING_TESTS_CLI_RUN_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/ipc.h>
#include <sys/shm.h>

#include "helpers.h"

static char cli_tool[4096];
static char cli_dir[] = "/tmp/shmring-test-cli-XXXXXX";
static char cli_out_path[512], cli_err_path[512];
static char cli_out[1 << 16], cli_err[1 << 14];

#define CLI_MAX_KEYS 64
static key_t cli_keys[CLI_MAX_KEYS];
static int cli_nkeys;
static pid_t cli_owner;
static bool cli_dir_made;

/* Remove every System V segment handed out, and the temporary directory. */
static inline void cli_cleanup(void)
{
	char cmd[600];

	if (cli_owner != getpid())
		return;
	for (int i = 0; i < cli_nkeys; i++) {
		int id = shmget(cli_keys[i], 0, 0);

		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	}
	if (cli_dir_made) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cli_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", cli_dir);
	}
}

/* The tool (or skip), a temporary directory, cleanup at exit. */
static inline void cli_setup(void)
{
	test_build_tool("shmring", cli_tool, sizeof(cli_tool));
	if (!mkdtemp(cli_dir)) {
		perror("mkdtemp");
		exit(1);
	}
	cli_dir_made = true;
	cli_owner = getpid();
	atexit(cli_cleanup);
	snprintf(cli_out_path, sizeof(cli_out_path), "%s/.out", cli_dir);
	snprintf(cli_err_path, sizeof(cli_err_path), "%s/.err", cli_dir);
}

/* A System V key no segment has, removed at exit: "sysv:0x...". */
static inline const char *cli_sysv_name(void)
{
	static char names[CLI_MAX_KEYS][32];

	if (cli_nkeys == CLI_MAX_KEYS)
		abort();
	for (;;) {
		/* Random in 0x5e000000..0x5effffff: never 0 (IPC_PRIVATE). */
		key_t k = (key_t)(0x5e000000u | ((uint32_t)rand() & 0xffffffu));

		if (shmget(k, 0, 0) < 0 && errno == ENOENT) {
			cli_keys[cli_nkeys] = k;
			snprintf(names[cli_nkeys], sizeof(names[0]), "sysv:0x%08x", (unsigned)k);
			return names[cli_nkeys++];
		}
	}
}

/* "file:<tmpdir>/<tag>-<n>" (removed with the directory at exit). */
static inline const char *cli_file_name(const char *tag)
{
	static char names[256][600];
	static int n;

	if (n == 256)
		abort();
	snprintf(names[n], sizeof(names[0]), "file:%s/%s-%d", cli_dir, tag, n);
	return names[n++];
}

#define CLI_BACKENDS 3 /* the named ones: posix, sysv, file */

/* A fresh name on backend b (0 posix, 1 sysv, 2 file), removed at exit. */
static inline const char *cli_ring_name(int b, const char *tag)
{
	switch (b) {
	case 0:
		return test_ring_name(tag);
	case 1:
		return cli_sysv_name();
	default:
		return cli_file_name(tag);
	}
}

/* The path of a file: name. */
static inline const char *cli_path(const char *file_uri)
{
	return file_uri + 5;
}

/*
 * Start the tool with args (NULL-terminated), stdin from in_path (or
 * /dev/null), stdout and stderr to out_path and err_path. Returns the pid.
 */
static inline pid_t cli_start(const char *in_path, const char *out_path, const char *err_path,
		       const char *const *args)
{
	char *argv[32];
	int argc = 0;
	pid_t pid;

	argv[argc++] = cli_tool;
	for (int i = 0; args[i] && argc < 31; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	assert_true(pid > 0);
	return pid;
}

static inline int cli_vrun(const char *in_path, const char *arg, va_list ap)
{
	const char *args[32];
	int n = 0, st;

	for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
		args[n++] = a;
	args[n] = NULL;
	st = test_wait_pid(cli_start(in_path, cli_out_path, cli_err_path, args), 60000);
	if (test_read_file(cli_out_path, cli_out, sizeof(cli_out)) < 0)
		cli_out[0] = '\0';
	if (test_read_file(cli_err_path, cli_err, sizeof(cli_err)) < 0)
		cli_err[0] = '\0';
	return st;
}

/* Run `shmring args...` (NULL-terminated) to its end; cli_out and cli_err
 * hold what it wrote; returns its exit status. */
static inline int cli_run(const char *arg, ...)
{
	va_list ap;
	int st;

	va_start(ap, arg);
	st = cli_vrun(NULL, arg, ap);
	va_end(ap);
	return st;
}

/* The same with standard input from the file in_path. */
static inline int cli_run_in(const char *in_path, const char *arg, ...)
{
	va_list ap;
	int st;

	va_start(ap, arg);
	st = cli_vrun(in_path, arg, ap);
	va_end(ap);
	return st;
}

/* Write len bytes to a new file <tmpdir>/<tag>; returns its path (static). */
static inline const char *cli_write_file(const char *tag, const void *data, size_t len)
{
	static char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", cli_dir, tag);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

#define cli_assert_contains(hay, needle)                                                      \
	do {                                                                                   \
		if (!strstr((hay), (needle)))                                                  \
			fail_msg("expected \"%s\" in: %s", (needle), (hay));                 \
	} while (0)

#define cli_assert_lacks(hay, needle)                                                         \
	do {                                                                                   \
		if (strstr((hay), (needle)))                                                   \
			fail_msg("did not expect \"%s\" in: %s", (needle), (hay));           \
	} while (0)

/*
 * Minimal JSON check: s is one array (or object) on one line with balanced
 * brackets outside strings; returns how many top-level elements the array
 * has (1 for an object), or -1 when it is not well formed.
 */
static inline int cli_json_top_count(const char *s)
{
	int depth = 0, count = 0;
	bool in_str = false, array = s[0] == '[';

	if (s[0] != '[' && s[0] != '{')
		return -1;
	for (const char *p = s; *p && *p != '\n'; p++) {
		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p == '"') {
			in_str = true;
		} else if (*p == '[' || *p == '{') {
			if (depth == 1 && array && *p == '{')
				count++;
			depth++;
		} else if (*p == ']' || *p == '}') {
			if (--depth < 0)
				return -1;
			if (depth == 0 && p[1] != '\n' && p[1] != '\0')
				return -1;
		}
	}
	if (depth || in_str)
		return -1;
	return array ? count : 1;
}

#endif /* SHMRING_TESTS_CLI_RUN_H */
