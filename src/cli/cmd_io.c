/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cmd_io.c - `shmring put` and `shmring get`: a ring as a pipe
 * between shell commands, lines or length-prefixed records, on every kind
 * and backend. What a kill at any moment may cost is bounded and said in
 * the help: put never reports a line it did not send, get never releases a
 * message before it is written.
 */
#include "cli/args.h"
#include "cli/cli.h"
#include "shmring/shmring.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define LEN_BYTES 4u /* the length before each record, and in each fixed slot */
#define READ_CHUNK 65536u
#define IDLE_SLEEP_MAX_NS 2000000u /* get's longest sleep on an empty ring */
#define PEEKS_PER_LOOK 256 /* a run of fruitless peeks lets the library check its peers */

static uint32_t le32_get(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void le32_put(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/*
 * The largest message put and get carry on this ring: a record's payload
 * on a message ring, the slot less its length field on a fixed one; 0 and
 * a message when the slots are too small for any.
 */
static int largest(const char *cmd, const char *name, const struct shmring_info *in, size_t *max)
{
	if (in->kind == SHMRING_KIND_MSG) {
		*max = in->slot_size;
		return 0;
	}
	if (in->slot_size <= LEN_BYTES) {
		fprintf(stderr, "shmring %s: %s: slots of %u bytes are too small: put and get keep "
				"each message's length in the first %u bytes of its slot, so slots "
				"need %u bytes at least\n",
			cmd, name, in->slot_size, LEN_BYTES, LEN_BYTES + 1);
		return -EINVAL;
	}
	*max = in->slot_size - LEN_BYTES;
	return 0;
}

/* name is a duplex (an observer may open it as its direction 0). */
static bool is_duplex(const char *name)
{
	struct shmring_info in;
	shmring_t *r;
	bool yes;

	if (shmring_open(name, SHMRING_OBSERVER, &r) < 0)
		return false;
	yes = shmring_info(r, &in) == 0 && (in.flags & SHMRING_CREATE_DUPLEX);
	shmring_close(r);
	return yes;
}

/* Open name in role (flags: SHMRING_OPEN_*) and learn its geometry: 0, or 1
 * (said why). */
static int open_ring(const char *cmd, const char *name, unsigned role, uint32_t flags,
		     shmring_t **r, struct shmring_info *in, size_t *max)
{
	const struct shmring_open_opts oo = {.flags = flags};
	int rc = shmring_open_ex(name, role, &oo, r);

	if (rc < 0) {
		*r = NULL;
		if (rc == -EBUSY)
			fprintf(stderr, "shmring %s: %s: this ring allows one %s, and a live process "
					"is it\n",
				cmd, name, role == SHMRING_PRODUCER ? "producer" : "consumer");
		else if (rc == -SHMRING_EFOREIGN)
			fprintf(stderr, "shmring %s: %s: the ring belongs to another user; "
					"--any-owner attaches to it (its permissions still "
					"apply)\n", cmd, name);
		else if (rc == -SHMRING_EKIND && is_duplex(name))
			fprintf(stderr, "shmring %s: %s: a duplex: its two ends belong to the "
					"programs that take them (shmring_duplex_open())\n",
				cmd, name);
		else
			shmring_cli_error(cmd, name, rc);
		return 1;
	}
	rc = shmring_info(*r, in);
	if (rc < 0) {
		shmring_cli_error(cmd, name, rc);
		shmring_close(*r);
		return 1;
	}
	if (largest(cmd, name, in, max) < 0) {
		shmring_close(*r);
		return 1;
	}
	return 0;
}

/* A value of --timeout: 0 or 2 (said why). */
static int parse_timeout(const char *cmd, const char *arg, uint64_t *ns)
{
	int rc = shmring_cli_parse_time(arg, 1000000000u, ns);

	if (rc < 0 || *ns == 0) {
		fprintf(stderr, "shmring %s: --timeout '%s': %s; seconds, more than 0 (e.g. 0.5)\n",
			cmd, arg, rc == -ERANGE ? "too large" : "not valid");
		return 2;
	}
	return 0;
}

/* --- put ----------------------------------------------------------------- */

/*
 * Standard input, buffered by hand. A regular file is read with pread at
 * our own position, and its offset is moved past each message only once
 * the message is sent: a put killed at any moment leaves the offset of the
 * shared open file just after the last message it sent (or the one before,
 * if the kill fell between the send and the move), so the next put on that
 * open file goes on from there.
 */
struct input {
	int fd;
	bool seekable;
	off_t next;    /* seekable: the file position of buf[end] */
	off_t sent;    /* seekable: the file position just after the last sent */
	unsigned char *buf;
	size_t cap, start, end;
	bool eof;
	shmring_t *watch; /* looked at while the input is idle (NULL: none) */
	int idle_ms;      /* how often */
};

/*
 * Wait for input that is not there yet, looking at the ring's consumers
 * every in->idle_ms: a line now and then says nothing of a death for up to
 * 1024 sends after a fast run (shmring_peers_check()). 0 (input, or its
 * end), -EPIPE (the consumers have gone) or -errno.
 */
static int input_wait(struct input *in)
{
	struct pollfd p = {.fd = in->fd, .events = POLLIN};

	if (in->seekable || !in->watch)
		return 0;
	for (;;) {
		int n = poll(&p, 1, in->idle_ms);

		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return 0; /* the read says what is wrong */
		if (n == 0) {
			int rc = shmring_peers_check(in->watch);

			if (rc == -EPIPE)
				return rc;
		}
	}
}

static int input_init(struct input *in, size_t need)
{
	struct stat st;

	memset(in, 0, sizeof(*in));
	in->fd = STDIN_FILENO;
	in->cap = need + READ_CHUNK;
	in->buf = malloc(in->cap);
	if (!in->buf)
		return -ENOMEM;
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		in->next = lseek(in->fd, 0, SEEK_CUR);
		in->seekable = in->next >= 0;
		in->sent = in->next;
	}
	return 0;
}

/* Read more into the buffer: 0 (maybe at EOF now) or -errno. */
static int input_fill(struct input *in)
{
	ssize_t n;

	if (in->start && in->end == in->cap) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	n = input_wait(in);
	if (n < 0)
		return (int)n;
	do {
		n = in->seekable ? pread(in->fd, in->buf + in->end, in->cap - in->end, in->next)
				 : read(in->fd, in->buf + in->end, in->cap - in->end);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		in->eof = true;
	in->end += (size_t)n;
	if (in->seekable)
		in->next += n;
	return 0;
}

/* The message at the start of the buffer was sent: pass its bytes. */
static void input_sent(struct input *in, size_t bytes)
{
	in->start += bytes;
	if (in->start == in->end)
		in->start = in->end = 0;
	if (in->seekable) {
		in->sent += (off_t)bytes;
		lseek(in->fd, in->sent, SEEK_SET);
	}
}

/*
 * The next line (without its newline) or record: 1 and *msg, *len, *used
 * (the input bytes it takes); 0 at the end; -EMSGSIZE (longer than max:
 * *len is its length when known, else 0); -EPROTO (a record cut short by
 * the end of input: *len what it says, *used what is there); -errno.
 */
static int input_next(struct input *in, bool binary, size_t max, const unsigned char **msg,
		      size_t *len, size_t *used)
{
	for (;;) {
		size_t have = in->end - in->start;
		const unsigned char *p = in->buf + in->start;
		int rc;

		if (binary && have >= LEN_BYTES) {
			*len = le32_get(p);
			if (*len > max)
				return -EMSGSIZE;
			if (have >= LEN_BYTES + *len) {
				*msg = p + LEN_BYTES;
				*used = LEN_BYTES + *len;
				return 1;
			}
		} else if (!binary) {
			const unsigned char *nl = memchr(p, '\n', have);

			if (nl && (size_t)(nl - p) <= max) {
				*msg = p;
				*len = (size_t)(nl - p);
				*used = *len + 1;
				return 1;
			}
			if (nl || have > max) {
				*len = nl ? (size_t)(nl - p) : 0;
				return -EMSGSIZE;
			}
		}
		if (in->eof) {
			if (!have)
				return 0;
			if (binary) {
				*len = have >= LEN_BYTES ? le32_get(p) : 0;
				*used = have;
				return -EPROTO;
			}
			*msg = p; /* a last line without its newline */
			*len = *used = have;
			return 1;
		}
		rc = input_fill(in);
		if (rc < 0)
			return rc;
	}
}

static void put_usage(FILE *f)
{
	fprintf(f,
		"usage: shmring put [--binary] [--any-owner] [--timeout SECONDS] NAME\n\n"
		"Send each line of standard input, without its newline, as one message (the\n"
		"last line may lack its newline). put attaches as a producer, waits while the\n"
		"ring is full, and ends at the end of its input (exit 0). It fails (exit 1)\n"
		"when the consumers have gone (on a ring in shared memory also while its input\n"
		"is idle: it looks at them as a waiting call does), when --timeout runs out,\n"
		"and at a line longer than the ring's largest message (it names the line;\n"
		"nothing is cut). The consumers it fails for are those it has seen attached:\n"
		"on a ring whose consumers all died before it attached, it fills the ring for\n"
		"one to come and waits there, as a FIFO's writer waits for a reader\n"
		"(--timeout bounds that wait).\n\n"
		"Framing: on a msg ring each line is one record of its length. A fixed slot\n"
		"carries the message's length (4 bytes, little-endian) and then its bytes,\n"
		"zero-padded: messages of up to SLOT-SIZE - 4 bytes, on slots of 5 bytes or\n"
		"more. 'shmring get' reads both back.\n\n"
		"When standard input is a regular file, put moves its offset past each\n"
		"message once it is sent: a put killed and run again on the same open file\n"
		"(e.g. 'exec 3<FILE' and 'shmring put NAME <&3') goes on where it stopped;\n"
		"the message whose send a kill interrupted is sent again, and one sent just\n"
		"before the kill, whose offset move it prevented, is sent twice.\n\n"
		"  -b, --binary           the input is records: a 4-byte little-endian length,\n"
		"                         then that many bytes\n"
		"  -a, --any-owner        attach to a ring another user created (without it,\n"
		"                         such a ring is refused, so that a ring planted under\n"
		"                         the name is not taken for one's own)\n"
		"  -t, --timeout SECONDS  fail when a message finds no room for this long\n");
}

/* Send one message; 0 or the library's error. */
static int put_one(shmring_t *r, const struct shmring_info *in, unsigned char *slot,
		   const unsigned char *msg, size_t len, uint64_t timeout_ns)
{
	uint64_t deadline = timeout_ns ? shmring_deadline_in(timeout_ns) : SHMRING_NO_DEADLINE;

	if (in->kind == SHMRING_KIND_MSG)
		return shmring_msg_send(r, msg, len, 0, deadline);
	le32_put(slot, (uint32_t)len);
	memcpy(slot + LEN_BYTES, msg, len);
	/* Zero the rest: a slot must not carry the previous message's tail. */
	memset(slot + LEN_BYTES + len, 0, in->slot_size - LEN_BYTES - len);
	return shmring_send(r, slot, deadline);
}

int shmring_cmd_put(int argc, char **argv)
{
	static const struct option lo[] = {{"binary", no_argument, 0, 'b'},
					   {"any-owner", no_argument, 0, 'a'},
					   {"timeout", required_argument, 0, 't'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	const char *name, *what;
	unsigned char *slot = NULL;
	uint64_t timeout_ns = 0, line = 0;
	uint32_t open_flags = 0;
	struct shmring_info info;
	struct input input;
	bool binary = false;
	shmring_t *r = NULL;
	size_t max;
	int c, rc, status = 0;

	optind = 0;
	while ((c = shmring_cli_getopt("put", argc, argv, "bat:h", lo)) != -1) {
		switch (c) {
		case 'b':
			binary = true;
			break;
		case 'a':
			open_flags |= SHMRING_OPEN_ANY_OWNER;
			break;
		case 't':
			if (parse_timeout("put", optarg, &timeout_ns))
				return 2;
			break;
		case 'h':
			put_usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: shmring put [--binary] [--any-owner] [--timeout SECONDS] "
				"NAME (see --help)\n");
		return 2;
	}
	name = argv[optind];
	shmring_cli_bus_name(name);
	what = binary ? "record" : "line";
	if (open_ring("put", name, SHMRING_PRODUCER, open_flags, &r, &info, &max))
		return 1;
	if (input_init(&input, max + LEN_BYTES + 1) < 0 || !(slot = malloc(info.slot_size))) {
		fprintf(stderr, "shmring put: out of memory\n");
		status = 1;
		goto out;
	}
	/* A socket channel's sends see the peer's close themselves. */
	if (info.transport == SHMRING_TRANSPORT_SHM) {
		input.watch = r;
		input.idle_ms = (int)(info.recovery_ns / 1000000u);
		input.idle_ms = input.idle_ms < 50 ? 50 : input.idle_ms > 1000 ? 1000 : input.idle_ms;
	}
	for (;;) {
		const unsigned char *msg;
		size_t len = 0, used = 0;

		rc = input_next(&input, binary, max, &msg, &len, &used);
		if (rc == 0)
			break;
		line++;
		if (rc == -EMSGSIZE) {
			if (len)
				fprintf(stderr, "shmring put: %s: %s %" PRIu64 ": %zu bytes, more than "
						"the ring's largest message (%zu bytes); not sent\n",
					name, what, line, len, max);
			else
				fprintf(stderr, "shmring put: %s: %s %" PRIu64 ": longer than the "
						"ring's largest message (%zu bytes); not sent\n",
					name, what, line, max);
			status = 1;
			break;
		}
		if (rc == -EPROTO) {
			/* Cut inside its length field, the record has no length
			 * to say ("1 bytes of 0" it read). */
			if (used < LEN_BYTES)
				fprintf(stderr, "shmring put: %s: record %" PRIu64 ": the input ends "
						"inside its %u-byte length (%zu bytes of it); not "
						"sent\n",
					name, line, LEN_BYTES, used);
			else
				fprintf(stderr, "shmring put: %s: record %" PRIu64 ": the input ends "
						"inside it (%zu bytes of %zu); not sent\n",
					name, line, used - LEN_BYTES, len);
			status = 1;
			break;
		}
		if (rc == -EPIPE) {
			fprintf(stderr, "shmring put: %s: the consumers have gone while the input "
					"was idle; %" PRIu64 " %ss sent\n", name, line - 1, what);
			status = 1;
			break;
		}
		if (rc < 0) {
			fprintf(stderr, "shmring put: cannot read standard input: %s\n",
				strerror(-rc));
			status = 1;
			break;
		}
		rc = put_one(r, &info, slot, msg, len, timeout_ns);
		if (rc < 0) {
			if (rc == -ETIMEDOUT)
				fprintf(stderr, "shmring put: %s: %s %" PRIu64 ": no room within "
						"%.3g s; not sent\n",
					name, what, line, (double)timeout_ns / 1e9);
			else if (rc == -EPIPE)
				fprintf(stderr, "shmring put: %s: the consumers have gone; %s %" PRIu64
						" not sent\n", name, what, line);
			else
				fprintf(stderr, "shmring put: %s: %s %" PRIu64 ": %s; not sent\n",
					name, what, line, shmring_strerror(rc));
			status = 1;
			break;
		}
		input_sent(&input, used);
	}
out:
	free(slot);
	free(input.buf);
	shmring_close(r);
	return status;
}

/* --- get ----------------------------------------------------------------- */

/* Write all of iov[0..n), whatever the descriptor takes at a time: 0 or -errno. */
static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t k = writev(fd, iov, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			poll(&p, 1, -1);
			continue;
		}
		if (k < 0)
			return -errno;
		for (; n > 0 && (size_t)k >= iov->iov_len; iov++, n--)
			k -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

/* The next message in place, or NULL; fixed slots: *len from the slot's
 * length field, which may be impossible (> max: the caller says so). */
static const unsigned char *get_peek(shmring_t *r, const struct shmring_info *in, size_t *len)
{
	const unsigned char *p;
	uint32_t type;

	if (in->kind == SHMRING_KIND_MSG)
		return shmring_msg_peek(r, len, &type);
	p = shmring_peek(r);
	if (!p)
		return NULL;
	*len = le32_get(p);
	return p + LEN_BYTES;
}

static int get_release(shmring_t *r, const struct shmring_info *in)
{
	return in->kind == SHMRING_KIND_MSG ? shmring_msg_release(r) : shmring_release(r);
}

static void get_usage(FILE *f)
{
	fprintf(f,
		"usage: shmring get [--binary] [--any-owner] [-n COUNT] [--timeout SECONDS] NAME\n\n"
		"Attach as a consumer and write each message to standard output followed by a\n"
		"newline, until end-of-stream: producers attached, all of them have gone\n"
		"(closed or died) and the ring is drained (exit 0). With no producer yet, get\n"
		"waits for one. An empty ring is polled (up to 2 ms apart).\n\n"
		"Each message is written (one write) before it is released from the ring, so\n"
		"on a ring with one consumer (spsc, mpsc, msg) a get killed at any moment\n"
		"loses nothing: a message written just before the kill, and not yet released,\n"
		"is written again by the next get (at most one message per kill). With many\n"
		"consumers (spmc, mpmc, msg --multi-consumer) a message is claimed before it\n"
		"is written, and the claim of a get that dies is released by the library:\n"
		"that message is lost. A write that fails (standard output full, or its reader\n"
		"gone: 'shmring get NAME | head -1') ends get with exit 1, saying which message\n"
		"it could not write; the same rule says whether it stays in the ring.\n\n"
		"Framing as 'shmring put' writes it: a msg ring's records as they are; a fixed\n"
		"slot's first 4 bytes (little-endian) give the message's length. A slot whose\n"
		"length is impossible was not written by put: get stops there with an error\n"
		"and leaves it in the ring (with many consumers it was claimed to be read:\n"
		"lost, as the same rule says).\n\n"
		"  -b, --binary           write records: a 4-byte little-endian length, then\n"
		"                         the bytes (what 'shmring put --binary' reads)\n"
		"  -a, --any-owner        attach to a ring another user created (without it,\n"
		"                         such a ring is refused, so that a ring planted under\n"
		"                         the name is not taken for one's own)\n"
		"  -n, --count COUNT      stop after COUNT messages; exit 1 when the stream ends\n"
		"                         before COUNT came\n"
		"  -t, --timeout SECONDS  stop once no message has come for this long: exit 0,\n"
		"                         or 1 when -n was given and fewer came\n");
}

int shmring_cmd_get(int argc, char **argv)
{
	static const struct option lo[] = {{"binary", no_argument, 0, 'b'},
					   {"any-owner", no_argument, 0, 'a'},
					   {"count", required_argument, 0, 'n'},
					   {"timeout", required_argument, 0, 't'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	uint64_t timeout_ns = 0, count = 0, got = 0, idle_since, sleep_ns = 0;
	uint32_t open_flags = 0;
	bool binary = false, counted = false, many;
	struct shmring_info info;
	const char *name;
	shmring_t *r = NULL;
	size_t max;
	int c, rc, status = 0;

	optind = 0;
	while ((c = shmring_cli_getopt("get", argc, argv, "ban:t:h", lo)) != -1) {
		switch (c) {
		case 'b':
			binary = true;
			break;
		case 'a':
			open_flags |= SHMRING_OPEN_ANY_OWNER;
			break;
		case 'n':
			rc = shmring_cli_parse_u64(optarg, &count);
			if (rc < 0) {
				fprintf(stderr, "shmring get: -n '%s': %s; a count of messages\n",
					optarg, rc == -ERANGE ? "too large" : "not valid");
				return 2;
			}
			counted = true;
			break;
		case 't':
			if (parse_timeout("get", optarg, &timeout_ns))
				return 2;
			break;
		case 'h':
			get_usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: shmring get [--binary] [--any-owner] [-n COUNT] "
				"[--timeout SECONDS] NAME (see --help)\n");
		return 2;
	}
	name = argv[optind];
	shmring_cli_bus_name(name);
	/* SIGPIPE is ignored (main()): a reader that went away is a write
	 * error said below, with which message it was. */
	if (open_ring("get", name, SHMRING_CONSUMER, open_flags, &r, &info, &max))
		return 1;
	/* With many consumers a message is claimed at the peek, and the close
	 * below releases a claim held: that message is lost (see the help). */
	many = info.kind == SHMRING_KIND_SPMC || info.kind == SHMRING_KIND_MPMC ||
	       (info.flags & SHMRING_CREATE_MULTI_CONSUMER);
	idle_since = shmring_clock_ns();
	while (!counted || got < count) {
		const unsigned char *msg;
		unsigned char head[LEN_BYTES];
		struct iovec iov[2];
		size_t len = 0;

		msg = get_peek(r, &info, &len);
		for (int i = 1; !msg && i < PEEKS_PER_LOOK; i++)
			msg = get_peek(r, &info, &len);
		if (!msg) {
			/* Why the peeks found nothing, as the library judged it
			 * (nothing is taken to ask): end-of-stream, an error such
			 * as a ring forged under us, or empty for now. */
			rc = shmring_last_error(r, SHMRING_CONSUMER);
			if (rc == -EPIPE) {
				if (counted) {
					fprintf(stderr, "shmring get: %s: end of stream (the producers "
							"have gone): got %" PRIu64 " of %" PRIu64 "\n",
						name, got, count);
					status = 1;
				}
				break;
			}
			if (rc < 0 && rc != -EAGAIN) {
				shmring_cli_error("get", name, rc);
				status = 1;
				break;
			}

			if (timeout_ns && shmring_clock_ns() - idle_since >= timeout_ns) {
				if (counted) {
					fprintf(stderr, "shmring get: %s: no message for %.3g s: got %" PRIu64
							" of %" PRIu64 "\n",
						name, (double)timeout_ns / 1e9, got, count);
					status = 1;
				}
				break;
			}
			sleep_ns = sleep_ns ? sleep_ns * 2 : 20000;
			if (sleep_ns > IDLE_SLEEP_MAX_NS)
				sleep_ns = IDLE_SLEEP_MAX_NS;
			nanosleep(&(struct timespec){.tv_nsec = (long)sleep_ns}, NULL);
			continue;
		}
		sleep_ns = 0;
		if (len > max) {
			fprintf(stderr, "shmring get: %s: message %" PRIu64 ": its length field says "
					"%zu bytes, more than a slot holds (%zu): not framed by "
					"'shmring put'; %s\n",
				name, got + 1, len, max,
				many ? "lost (claimed from a ring of many consumers)"
				     : "left in the ring");
			status = 1;
			break;
		}
		le32_put(head, (uint32_t)len);
		iov[binary ? 1 : 0] = (struct iovec){.iov_base = (void *)msg, .iov_len = len};
		iov[binary ? 0 : 1] = binary ? (struct iovec){.iov_base = head, .iov_len = LEN_BYTES}
					     : (struct iovec){.iov_base = "\n", .iov_len = 1};
		rc = write_all(STDOUT_FILENO, iov, 2);
		if (rc < 0) {
			fprintf(stderr, "shmring get: cannot write to standard output: %s; message "
					"%" PRIu64 " %s\n",
				strerror(-rc), got + 1,
				many ? "lost (claimed from a ring of many consumers)"
				     : "left in the ring");
			status = 1;
			break;
		}
		rc = get_release(r, &info);
		if (rc < 0) {
			shmring_cli_error("get", name, rc);
			status = 1;
			break;
		}
		got++;
		idle_since = shmring_clock_ns();
	}
	shmring_close(r);
	return status;
}
