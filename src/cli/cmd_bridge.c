/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cmd_bridge.c - `shmring bridge FROM TO`: forward messages between
 * a ring, a socket channel and (when built with libzmq) ZeroMQ, with the
 * counts of what was forwarded, lost and repeated said at exit and kept in
 * a status object that `shmring stat bridge:NAME` shows. The engine is
 * bridge.c.
 */
#include "cli/args.h"
#include "cli/bridge.h"
#include "cli/cli.h"
#include "cli/probe.h"
#include "shmring/shmring.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static atomic_int stop_flag;
static sigjmp_buf bus_jmp;
static struct shmring_bridge *volatile bus_bridge; /* once opened, for a SIGBUS */

static void on_stop(int sig)
{
	(void)sig;
	atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

/* The tool's words for a ring that does not open, where they say more than
 * the library's (a semaphore at the name, a missing directory). */
static const char *open_why(const char *uri, int err, char *buf, size_t size)
{
	const char *why = shmring_cli_error_text("bridge", uri, err, buf, size);

	return strcmp(why, shmring_strerror(err)) ? why : NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shmring bridge [--name NAME] [--count N] [--timeout SECONDS]\n"
		"                      [--connect-timeout SECONDS] [--drain SECONDS]%s FROM TO\n\n"
		"Forward every message from FROM to TO, one at a time: when TO is full the\n"
		"bridge stops reading FROM, so producers feel the back-pressure.\n\n"
		"FROM and TO are each one of:\n"
		"  a ring          /NAME, posix:/NAME, sysv:KEY, file:/PATH ... (made with\n"
		"                  'shmring create'): the bridge is its consumer (FROM) or\n"
		"                  producer (TO); fixed slots or a message ring's records\n"
		"  unix:/PATH, unix:@NAME, tcp:HOST:PORT\n"
		"                  a socket channel: as FROM the bridge listens, as TO it\n"
		"                  connects (again, with backoff, when the listener goes).\n"
		"                  The socket file a FROM unix:/PATH bridge binds goes when\n"
		"                  it exits (--count, --timeout, SIGINT, SIGTERM, an\n"
		"                  error), unless another listener has taken the path\n"
		"                  since; one a killed bridge left (SIGKILL, or another\n"
		"                  signal it does not catch) is taken over by the next\n"
		"                  bridge there ('shmring rm --force unix:/PATH' removes\n"
		"                  it)\n",
		shmring_bridge_have_zmq() ? "\n                      [--hwm N] [--max-size BYTES] [--raw]" : "");
	if (shmring_bridge_have_zmq())
		fprintf(f,
			"  zmq+tcp://HOST:PORT       ZeroMQ PULL (FROM) or PUSH (TO)\n"
			"  zmq-sub+tcp://HOST:PORT   ZeroMQ SUB, subscribed to everything (FROM)\n"
			"  zmq-pub+tcp://HOST:PORT   ZeroMQ PUB (TO; drops what no subscriber keeps\n"
			"                            up with: the receivers count it lost)\n"
			"                  HOST '*' binds, any other connects; '?bind' or '?connect'\n"
			"                  after the address says which. Other ZeroMQ transports\n"
			"                  (ipc://...) work the same way.\n");
	fprintf(f,
		"\nEvery message sent to a socket channel%s carries a 32-byte header: the\n"
		"sending bridge's session and a sequence number. The receiving bridge counts\n"
		"each sender's gaps as lost and its repeats as duplicates (dropped), so what\n"
		"was in flight when either side restarted is delivered or counted, never\n"
		"silently gone. A ring receives the payload alone. A bridge that reconnects\n"
		"to a socket channel first sends its last records again (replayed).\n\n"
		"options:\n"
		"  --name NAME        keep counts and every sender's sequence in the status\n"
		"                     object bridge:NAME ('shmring stat bridge:NAME'); it\n"
		"                     stays after exit, and a bridge restarted with the\n"
		"                     same name resumes it: 'shmring ls' lists it, 'shmring\n"
		"                     rm bridge:NAME' removes it when no bridge runs by\n"
		"                     that name, and 'shmring gc' leaves it (without\n"
		"                     --name: bridge:PID, removed at exit; one a killed\n"
		"                     bridge left is stale, and gc removes it)\n"
		"  -n, --count N      stop after forwarding N messages\n"
		"  -t, --timeout SECONDS\n"
		"                     stop after SECONDS without a message (exit 1 when\n"
		"                     --count was not reached)\n"
		"  --connect-timeout SECONDS\n"
		"                     how long the first connection to a socket channel may\n"
		"                     take (default 5); later ones are retried forever\n"
		"  --drain SECONDS    on SIGINT/SIGTERM, keep forwarding what FROM holds for\n"
		"                     at most this long (default 2), then stop\n",
		shmring_bridge_have_zmq() ? " or ZeroMQ" : "");
	if (shmring_bridge_have_zmq())
		fprintf(f,
			"  --hwm N            ZeroMQ high-water marks, in messages (default 1000)\n"
			"  --max-size BYTES   to ZeroMQ: the longest message sent; a longer one is\n"
			"                     dropped and counted lost, and a ZeroMQ FROM closes\n"
			"                     the connection of a peer that sends one (default: no\n"
			"                     limit; from ZeroMQ to a ring or socket channel, what\n"
			"                     TO takes, always)\n"
			"  --raw              to ZeroMQ: the payload alone, for consumers that are\n"
			"                     not bridges (their losses cannot be counted)\n");
	fprintf(f,
		"  -h, --help         this text\n\n"
		"At exit (SIGINT and SIGTERM drain first, then exit 0) it prints on standard\n"
		"error: forwarded=N lost=N duplicates=N reconnects=N errors=N in_doubt=N ...\n"
		"(in_doubt: messages a killed bridge was putting into TO at its death).\n");
}

static int parse_secs(const char *opt, const char *arg, uint64_t *ns)
{
	int rc = shmring_cli_parse_time(arg, 1000000000u, ns);

	if (rc < 0 || *ns == 0) {
		fprintf(stderr, "shmring bridge: %s '%s': %s; seconds, more than 0 (e.g. 0.5)\n",
			opt, arg, rc == -ERANGE ? "too large" : "not valid");
		return 2;
	}
	return 0;
}

/* A ZeroMQ option's number in 1..most, of `unit`: 0, or 2 (said). */
static int parse_upto(const char *opt, const char *arg, uint64_t most, const char *unit,
		      uint64_t *v)
{
	int rc = shmring_cli_parse_u64(arg, v);

	if (rc < 0 || *v == 0 || *v > most) {
		fprintf(stderr, "shmring bridge: %s '%s': not valid; %s, 1..%" PRIu64 "\n", opt, arg,
			unit, most);
		return 2;
	}
	return 0;
}

static void say_counts(FILE *f, const char *from, const char *to,
		       const struct shmring_bridge_counts *c)
{
	fprintf(f, "shmring bridge: %s -> %s: forwarded=%" PRIu64 " lost=%" PRIu64
		   " duplicates=%" PRIu64 " reconnects=%" PRIu64 " errors=%" PRIu64
		   " in_doubt=%" PRIu64 " unsequenced=%" PRIu64 " senders=%" PRIu64
		   " restarts=%" PRIu64 " replayed=%" PRIu64 "\n",
		from, to, c->forwarded, c->lost, c->duplicates, c->reconnects, c->errors,
		c->in_doubt, c->unsequenced, c->senders, c->restarts, c->replayed);
}

int shmring_cmd_bridge(int argc, char **argv)
{
	static const struct option lo[] = {{"name", required_argument, 0, 'N'},
					   {"count", required_argument, 0, 'n'},
					   {"timeout", required_argument, 0, 't'},
					   {"connect-timeout", required_argument, 0, 'C'},
					   {"drain", required_argument, 0, 'D'},
					   {"hwm", required_argument, 0, 'H'},
					   {"max-size", required_argument, 0, 'M'},
					   {"raw", no_argument, 0, 'R'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	struct shmring_bridge_opts o = {
		.drain_ns = 2000000000u, .stop = &stop_flag, .open_why = open_why};
	struct sigaction sa = {.sa_handler = on_stop};
	struct shmring_bridge_counts cnt;
	struct shmring_bridge *b;
	char err[SHMRING_CLI_ERR_MAX], pidname[32];
	uint64_t v;
	int c, rc;

	optind = 0;
	while ((c = shmring_cli_getopt("bridge", argc, argv, "n:t:h", lo)) != -1) {
		switch (c) {
		case 'N':
			if (!shmring_bridge_name_ok(optarg)) {
				fprintf(stderr, "shmring bridge: --name '%s': 1..64 characters of "
						"[A-Za-z0-9._-]\n", optarg);
				return 2;
			}
			o.name = optarg;
			o.persist = true;
			break;
		case 'n':
			rc = shmring_cli_parse_u64(optarg, &o.count);
			if (rc < 0 || o.count == 0) {
				fprintf(stderr, "shmring bridge: --count '%s': %s; a count of messages, "
						"more than 0\n",
					optarg, rc == -ERANGE ? "too large" : "not valid");
				return 2;
			}
			break;
		case 't':
			if (parse_secs("--timeout", optarg, &o.idle_ns))
				return 2;
			break;
		case 'C':
			if (parse_secs("--connect-timeout", optarg, &o.connect_ns))
				return 2;
			break;
		case 'D':
			if (parse_secs("--drain", optarg, &o.drain_ns))
				return 2;
			break;
		case 'H':
		case 'M':
		case 'R':
			if (!shmring_bridge_have_zmq()) {
				fprintf(stderr, "shmring bridge: --%s: this shmring was built without "
						"ZeroMQ\n", c == 'H' ? "hwm" : c == 'M' ? "max-size" : "raw");
				return 2;
			}
			if (c == 'R') {
				o.raw = true;
				break;
			}
			if (c == 'M') {
				if (parse_upto("--max-size", optarg, UINT64_C(1) << 30, "bytes", &v))
					return 2;
				o.zmq_max = (size_t)v;
				break;
			}
			if (parse_upto("--hwm", optarg, 1000000000u, "messages", &v))
				return 2;
			o.hwm = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: shmring bridge [options] FROM TO (see --help)%s\n",
			argc - optind < 2 ? ": FROM and TO are needed" : ": too many arguments");
		return 2;
	}
	o.from = argv[optind];
	o.to = argv[optind + 1];
	if (!o.name) {
		snprintf(pidname, sizeof(pidname), "%d", (int)getpid());
		o.name = pidname;
	}
	/* Before anything can block: a signal during a connect retry stops it. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (sigsetjmp(bus_jmp, 1)) {
		/* A ring truncated under us (SIGBUS): the library was stopped
		 * half-way, so touch no ring again and leave at once, as the
		 * tool's own handler does; but not leaving this run's status
		 * object behind, which only a killed bridge leaves (stale). */
		fprintf(stderr, "shmring bridge: %s -> %s: a ring's segment shrank under us (SIGBUS: "
				"another process truncated it); stopping\n", o.from, o.to);
		if (bus_bridge) {
			shmring_bridge_get_counts(bus_bridge, &cnt);
			say_counts(stderr, o.from, o.to, &cnt);
			shmring_bridge_remove_sock_file(bus_bridge);
		}
		if (!o.persist) {
			snprintf(err, sizeof(err), "/" SHMRING_BRIDGE_STATUS_PREFIX "%s", o.name);
			shm_unlink(err);
		}
		_exit(1);
	}
	shmring_cli_bus_arm(&bus_jmp);
	rc = shmring_bridge_open(&o, &b, err, sizeof(err));
	if (rc == -ECANCELED) {
		/* SIGINT or SIGTERM while the first connection was tried: a
		 * stop, as once running, with nothing taken from FROM. */
		shmring_cli_bus_arm(NULL);
		fprintf(stderr, "shmring bridge: %s\n", err);
		return 0;
	}
	if (rc < 0) {
		const char *uri = !strncmp(err, o.from, strlen(o.from)) ? o.from : o.to;
		char why[256];

		shmring_cli_bus_arm(NULL);

		/* A malformed ring name, said precisely (the error starts
		 * with the URI it is about). */
		if ((rc == -EINVAL || rc == -EPROTONOSUPPORT) && strncmp(uri, "zmq", 3) != 0 &&
		    !strncmp(err, uri, strlen(uri)) &&
		    err[strlen(uri)] == ':' && shmring_cli_name_problem(uri, why, sizeof(why)))
			fprintf(stderr, "shmring bridge: %s: %s\n", uri, why);
		/* A ring's name that is not a regular file (a device, FIFO,
		 * socket, directory or symbolic link), or a segment that is
		 * empty, all zero or shorter than a header: said what it is,
		 * as the other commands say it, not as a bare errno or the
		 * library's "full or empty, or still being created". */
		else if ((rc == -EBADF || rc == -ELOOP || rc == -EISDIR || rc == -ENXIO ||
			  rc == -EAGAIN || rc == -SHMRING_ETRUNCATED || rc == -SHMRING_EBADMAGIC) &&
			 shmring_cli_scheme(uri) != SHMRING_CLI_OTHER &&
			 !strncmp(err, uri, strlen(uri)) && err[strlen(uri)] == ':')
			shmring_cli_error("bridge", uri, rc);
		else
			fprintf(stderr, "shmring bridge: %s\n", err);
		return 1;
	}
	bus_bridge = b;
	rc = shmring_bridge_run(b);
	if (rc < 0)
		fprintf(stderr, "shmring bridge: %s\n", shmring_bridge_error(b));
	/* The END first: a reconnection it makes is counted. */
	shmring_bridge_end(b);
	shmring_bridge_get_counts(b, &cnt);
	shmring_cli_bus_arm(NULL);
	shmring_bridge_close(b);
	say_counts(stderr, o.from, o.to, &cnt);
	return rc < 0 ? 1 : 0;
}
