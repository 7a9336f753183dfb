/* SPDX-License-Identifier: MIT */
/*
 * src/cli/main.c - the shmring tool: a thin client of the public API.
 */
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/probe.h"
#include "cli/utf8.h"
#include "shmring/shmring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"create", shmring_cmd_create, "create a ring"},
	{"rm", shmring_cmd_rm, "remove rings and synchronization objects by name"},
	{"ls", shmring_cmd_ls, "list every ring (and which are stale) and synchronization object"},
	{"gc", shmring_cmd_gc, "remove the stale rings (every participant dead)"},
	{"stat", shmring_cmd_stat,
	 "show a ring's header, positions, participants and counters, or a sync object's state"},
	{"put", shmring_cmd_put, "send each line (or record) of standard input as a message"},
	{"get", shmring_cmd_get, "write each message to standard output"},
	{"bench", shmring_cmd_bench, "measure IPC latency and throughput, side by side"},
	{"stress", shmring_cmd_stress, "many producer processes on one ring; verify every message"},
	{"bridge", shmring_cmd_bridge,
	 "forward messages between rings, socket channels and ZeroMQ, counting every loss"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: shmring COMMAND [ARGS...]\n\n"
		   "Lock-free rings in shared memory. Rings are named posix:/NAME (or /NAME),\n"
		   "sysv:KEY, sysv:@/PATH[#ID] or file:/ABSOLUTE/PATH; so are the named\n"
		   "synchronization objects (semaphores, events, robust mutexes, condition\n"
		   "variables: shmring/sync.h), which ls, stat and rm know too.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'shmring COMMAND --help' (or 'shmring help COMMAND') describes a command.\n"
		   "'shmring --version' (-V) prints the version.\n");
}

/*
 * A name whose path part is missing: a file: ring's directory, or the file
 * a sysv:@ key is made from (ftok). What is missing, into buf, or NULL.
 */
static const char *missing_path(const char *cmd, const char *what, int err, char *buf,
				size_t size)
{
	char path[SHMRING_PATH_MAX + 1];
	const char *arg, *end;
	struct stat st;
	size_t len;
	int gone;

	if (err != -ENOENT && err != -ENOTDIR)
		return NULL;
	if (!strncmp(what, "file:/", 6)) {
		arg = what + 5;
		end = strrchr(arg, '/');
		len = end == arg ? 1 : (size_t)(end - arg);
		if (len > SHMRING_PATH_MAX)
			return NULL;
		memcpy(path, arg, len);
		path[len] = '\0';
		gone = stat(path, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
		if (gone != ENOENT && gone != ENOTDIR)
			return NULL; /* the directory is there: the file is not */
		snprintf(buf, size, "%s: the directory %.*s %s",
			 !strcmp(cmd, "create") ? "cannot create the file" : "no such ring",
			 (int)len, path,
			 gone == ENOENT ? "does not exist" : "is not a directory (or part of its "
							     "path is not)");
		return buf;
	}
	if (!strncmp(what, "sysv:@", 6)) {
		arg = what + 6;
		end = strrchr(arg, '#');
		len = end ? (size_t)(end - arg) : strlen(arg);
		if (len == 0 || len > SHMRING_PATH_MAX)
			return NULL;
		memcpy(path, arg, len);
		path[len] = '\0';
		if (stat(path, &st) == 0)
			return NULL;
		snprintf(buf, size, "the key file %.*s does not exist (sysv:@PATH makes its key "
			 "from an existing file, with ftok(3))", (int)len, path);
		return buf;
	}
	return NULL;
}

const char *shmring_cli_error_text(const char *cmd, const char *what, int err, char *buf,
				   size_t size)
{
	const char *why = NULL;

	/* The library's "invalid argument" for a name, said precisely; and
	 * its "not supported" for a socket channel or an auto: name, which
	 * would otherwise read as a backend's (huge pages, descriptors). */
	if (err == -EOPNOTSUPP && !strcmp(cmd, "get") &&
	    (!strncmp(what, "unix:", 5) || !strncmp(what, "tcp:", 4)))
		/* A connection to a socket channel only sends. */
		why = "a socket channel's messages go to the program that listens on it; one "
		      "that connects only sends (put can, get cannot)";
	else if (err == -EOPNOTSUPP && !strcmp(cmd, "get") && !strncmp(what, "auto:", 5))
		/* No ring by that name: the library took the fallback. */
		why = "no such ring, and its fallback is a socket channel, whose messages go to "
		      "the program that listens on it; one that connects only sends (put can, "
		      "get cannot)";
	/* A ring by descriptor has no name to find it by. */
	if (err == -ENOENT && (shmring_cli_scheme(what) == SHMRING_CLI_MEMFD ||
			       shmring_cli_scheme(what) == SHMRING_CLI_ANON))
		why = shmring_cli_scheme(what) == SHMRING_CLI_MEMFD
			      ? "a memfd ring has no name to be found by: it lives in the process "
				"that made it and those it passes its descriptor to"
			      : "an anon ring has no name to be found by: it lives in the process "
				"that made it and its children";
	/* The library's word names its open flag; the tool's commands other
	 * than put and get (which say --any-owner) only look or refuse. */
	if (err == -SHMRING_EFOREIGN)
		why = "it belongs to another user (its creator is not this user)";
	if (!why && (err == -EINVAL || err == -EPROTONOSUPPORT ||
		     (err == -EOPNOTSUPP && shmring_cli_scheme(what) == SHMRING_CLI_OTHER)))
		why = shmring_cli_name_problem(what, buf, size);
	if (!why)
		why = missing_path(cmd, what, err, buf, size);
	/* An empty or all-zero segment, or one shorter than a header: the
	 * library's "full or empty, or still being created" and "truncated"
	 * said in the terms of what the object shows now. */
	if (!why && (err == -EAGAIN || err == -SHMRING_ETRUNCATED || err == -SHMRING_EBADMAGIC) &&
	    shmring_cli_scheme(what) != SHMRING_CLI_OTHER) {
		struct shmring_cli_object o;

		shmring_cli_object_look(what, &o);
		why = shmring_cli_open_failure(err, &o, buf, size);
	}
	/* A socket channel nobody listens on: no socket file (-ENOENT, which
	 * reads "no such ring") or a refused connection. */
	if (!why && (err == -ENOENT || err == -ECONNREFUSED) &&
	    (!strncmp(what, "unix:", 5) || !strncmp(what, "tcp:", 4)))
		why = err == -ENOENT && !strncmp(what, "unix:/", 6)
			      ? "nobody listens there (no socket file): start the program that "
				"listens on it first"
			      : "nobody listens there: start the program that listens on it first";
	/* The library's word for a name that is not a regular file (a FIFO,
	 * socket, device, directory, or a symbolic link it does not follow):
	 * say what it is. */
	if (!why && (err == -EBADF || err == -ELOOP || err == -EISDIR || err == -ENXIO ||
		     err == -EINVAL || err == -EEXIST)) {
		struct shmring_cli_object o;

		shmring_cli_object_look(what, &o);
		if (o.seen && o.not_ring && err == -EEXIST) {
			snprintf(buf, size, "the name is taken by %s", o.not_ring);
			why = buf;
		} else if (o.seen && err == -EEXIST && o.sync_magic) {
			why = "the name is taken by a synchronization object, not a ring";
		} else if (o.seen && err == -EEXIST && !o.magic && !o.zero_magic &&
			   o.head_len >= 8) {
			why = "the name is taken by a file that is not a shmring segment "
			      "(another program's)";
		} else if (o.seen && o.not_ring) {
			why = o.not_ring;
		}
	}
	/* No segment, yet the name taken (or not a ring's): a POSIX named or
	 * System V semaphore, whose file or set lies apart, holds it. */
	if (!why && (err == -EEXIST || err == -ENOENT)) {
		struct shmring_cli_look lk;

		shmring_cli_look(what, &lk);
		if (lk.what == SHMRING_CLI_SYNC && !lk.obj.seen)
			why = err == -EEXIST ? "the name is taken by a semaphore, not a ring"
					     : "a semaphore, not a ring";
		shmring_cli_look_done(&lk);
	}
	return why ? why : shmring_strerror(err);
}

void shmring_cli_error(const char *cmd, const char *what, int err)
{
	char buf[SHMRING_CLI_ERR_MAX];

	fprintf(stderr, "shmring %s: %s: %s\n", cmd, what,
		shmring_cli_error_text(cmd, what, err, buf, sizeof(buf)));
}

/*
 * A standard descriptor that is closed would be handed to the next file the
 * tool opens: with stdout closed, `stat` would print into the ring's own
 * segment. Hold each closed one with /dev/null, opened the other way round:
 * write-only for standard input and read-only for the outputs, so that using
 * them still fails (and is reported) instead of reading nothing or writing
 * into nothing (`put` with its input closed would send nothing and succeed).
 */
static void hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor: fd itself, as those below it
		 * are open by now. */
		got = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (got > fd) {
			dup2(got, fd);
			close(got);
		}
	}
}

/*
 * Standard error goes through this filter: its messages quote names and
 * values from the command line, and a byte that would reach a terminal as a
 * control (C0 but newline and tab, DEL, C1) or is no well-formed UTF-8 is
 * written as \xNN, so that an argument cannot move the cursor or rewrite
 * the screen. The C library hands a long message over in pieces: a
 * sequence that a piece cuts is held for the next one (and escaped at exit
 * if none completes it). Each piece leaves in one write(), so that another
 * process's lines on the same descriptor do not land inside it. (The
 * bench's progress line, which is the tool's own text, goes to the
 * descriptor itself: shmring_bench_progress().)
 */
static unsigned char err_held[4];
static size_t err_nheld;

/* Escape len bytes at p into out (room for 4 * len): its length. Unless
 * last, a sequence cut at the end is held in err_held instead. */
static size_t err_escape(char *out, const unsigned char *p, size_t len, bool last)
{
	const unsigned char *end = p + len;
	size_t at = 0;

	while (p < end) {
		size_t left = (size_t)(end - p), want = shmring_cli_utf8_want(*p), n;
		unsigned char q[4] = {0};
		bool ctl, cut = !last && want > left;

		for (size_t i = 1; cut && i < left; i++)
			cut = p[i] >= 0x80 && p[i] <= 0xbf;
		if (cut) {
			memcpy(err_held, p, left);
			err_nheld = left;
			break;
		}
		/* Zero past the end fails a sequence that the end cuts. */
		memcpy(q, p, left < 4 ? left : 4);
		n = shmring_cli_utf8_len(q);
		ctl = shmring_cli_utf8_control(p, n) && *p != '\n' && *p != '\t';
		if (n == 0 || ctl) {
			for (size_t i = 0; i < (n ? n : 1); i++)
				at += (size_t)snprintf(out + at, 5, "\\x%02x", p[i]);
			p += n ? n : 1;
		} else {
			memcpy(out + at, p, n);
			at += n;
			p += n;
		}
	}
	return at;
}

static int err_put(const char *out, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = write(STDERR_FILENO, out + done, len - done);

		if (w < 0 && errno != EINTR)
			return -1;
		done += w > 0 ? (size_t)w : 0;
	}
	return 0;
}

static ssize_t err_write(void *cookie, const char *buf, size_t size)
{
	size_t len = err_nheld + size;
	unsigned char *in = malloc(len ? len : 1);
	char *out = malloc(4 * len + 1);
	int rc = -1;

	(void)cookie;
	if (in && out) {
		memcpy(in, err_held, err_nheld);
		memcpy(in + err_nheld, buf, size);
		err_nheld = 0;
		rc = err_put(out, err_escape(out, in, len, false));
	}
	free(in);
	free(out);
	return rc < 0 ? -1 : (ssize_t)size;
}

/* A sequence cut at the very end, escaped. */
static void err_flush_held(void)
{
	char out[4 * sizeof(err_held) + 1];
	size_t n = err_nheld;

	err_nheld = 0;
	(void)err_put(out, err_escape(out, err_held, n, true));
}

static void filter_stderr(void)
{
	FILE *f = fopencookie(NULL, "w", (cookie_io_functions_t){.write = err_write});

	if (f && setvbuf(f, NULL, _IONBF, 0) == 0) {
		stderr = f;
		atexit(err_flush_held);
	}
}

/* What was printed must have reached stdout: a full disk, a closed
 * descriptor or a reader that went away is a failure, even for a command
 * that did everything else. */
static int check_output(const char *cmd, int status)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	/* A write that failed earlier took its errno with it, and the stream
	 * dropped what it could not write: this flush had nothing left to
	 * fail on. A pipe whose reader went away still says so (POLLERR on
	 * its write end). */
	if (!errno && poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
		errno = EPIPE;
	fprintf(stderr, "shmring%s%s: cannot write to standard output%s%s\n", cmd ? " " : "",
		cmd ? cmd : "", errno ? ": " : "", errno ? strerror(errno) : "");
	return status ? status : 1;
}

/* --- SIGBUS: one handler for every command (see cli.h) ------------------- */

static const char *bus_cmd;
static const char *volatile bus_ring;
static _Thread_local sigjmp_buf *volatile bus_jump;

void shmring_cli_bus_name(const char *name)
{
	/* Printable here: the handler writes it to stderr past the filter. */
	static char printable[SHMRING_CLI_PRINTABLE_MAX];

	bus_ring = NULL; /* no name while it is being written */
	if (name)
		bus_ring = shmring_cli_printable(printable, sizeof(printable), name);
}

void shmring_cli_bus_arm(sigjmp_buf *jb)
{
	bus_jump = jb;
}

static void bus_write(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	while (n) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void on_bus(int sig)
{
	sigjmp_buf *jb = bus_jump;
	const char *ring = bus_ring;

	(void)sig;
	if (jb) {
		bus_jump = NULL;
		siglongjmp(*jb, 1);
	}
	bus_write("shmring ");
	bus_write(bus_cmd ? bus_cmd : "");
	if (ring) {
		bus_write(": ");
		bus_write(ring);
	}
	bus_write(": the ring's segment shrank under us (SIGBUS: another process truncated "
		  "it); stopping\n");
	_exit(1);
}

static void bus_install(const char *cmd)
{
	struct sigaction sa = {.sa_handler = on_bus};

	bus_cmd = cmd;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* The command called name, or NULL. */
static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* Run command c with its own arguments (argv[0] is its name). */
static int run_command(const struct command *c, int argc, char **argv)
{
	bus_install(c->name);
	return check_output(c->name, c->run(argc, argv));
}

/* A name that is no command, with the nearest command's, then the usage. */
static void unknown_command(const char *prefix, const char *name)
{
	const char *names[sizeof(commands) / sizeof(commands[0])];
	const char *near;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		names[i] = commands[i].name;
	near = shmring_cli_nearest(name, names, sizeof(names) / sizeof(names[0]));
	fprintf(stderr, "shmring: %sunknown command '%s'", prefix, name);
	if (near)
		fprintf(stderr, "; did you mean '%s'?", near);
	fprintf(stderr, "\n\n");
	usage(stderr);
}

int main(int argc, char **argv)
{
	const struct command *c;

	hold_std_fds();
	filter_stderr();
	/*
	 * A reader that went away (`shmring stat -w 1 /X | head -3`, `shmring
	 * ls | head -1`) is a write error, said (check_output(), or the
	 * command itself: get says which message was left in the ring) with a
	 * failing exit status; SIGPIPE would kill the tool with nothing said
	 * (exit 141). Ignored once here, for every command. A child that execs another program sets it back to SIG_DFL first,
	 * as exec keeps a signal ignored (src/bench/plot.c); stress catches it
	 * during a run, to end the run as an interrupt does (stress_run.c).
	 */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc == 2 || (argc == 3 && (!strcmp(argv[2], "help") || !strcmp(argv[2], "--help") ||
						!strcmp(argv[2], "-h")))) {
			usage(stdout);
			return check_output(NULL, 0);
		}
		/* shmring help COMMAND: as shmring COMMAND --help. */
		if (argc == 3 && (c = find_command(argv[2])) != NULL) {
			char *help[] = {argv[2], "--help", NULL};

			return run_command(c, 2, help);
		}
		if (argc > 3) {
			fprintf(stderr, "shmring: %s takes one command name\n\n", argv[1]);
			usage(stderr);
		} else {
			unknown_command("help: ", argv[2]);
		}
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		if (argc > 2) {
			fprintf(stderr, "shmring: %s takes no arguments ('%s')\n", argv[1], argv[2]);
			return 2;
		}
		printf("shmring %s\n", shmring_version());
		return check_output(NULL, 0);
	}
	if ((c = find_command(argv[1])) != NULL)
		return run_command(c, argc - 1, argv + 1);
	if (argv[1][0] == '-') {
		fprintf(stderr, "shmring: unknown option '%s' (options come after the command)\n\n",
			argv[1]);
		usage(stderr);
		return 2;
	}
	unknown_command("", argv[1]);
	return 2;
}
