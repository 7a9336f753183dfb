/* SPDX-License-Identifier: MIT */
/*
 * epoll_doorbell: one epoll loop serves a ring (its doorbell read from a
 * signalfd), a Unix socket and a timerfd together.
 *
 *   epoll_doorbell [MESSAGES]
 *
 * A forked child produces MESSAGES (default 100000) 8-byte messages into an
 * MPSC ring in bursts, and now and then writes a line on a socketpair. The
 * parent never blocks anywhere but in epoll_wait(): on the doorbell it
 * drains the ring and arms the doorbell again; on the socket it prints the
 * line; every 100 ms the timer prints progress. It ends at the ring's
 * end-of-stream with the socket closed, checks that every message arrived in
 * order, and prints how many signals carried them.
 */
#define _GNU_SOURCE /* signalfd, timerfd, usleep */
#include <shmring/shmring.h>

#include <inttypes.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOKEN 77

static int die(const char *what, int rc)
{
	fprintf(stderr, "epoll_doorbell: %s: %s\n", what, shmring_strerror(rc));
	return 1;
}

static int produce(const char *name, uint64_t n, int sock)
{
	shmring_t *tx;
	int rc = shmring_open(name, SHMRING_PRODUCER, &tx);

	if (rc < 0)
		return die("producer open", rc);
	for (uint64_t i = 0; i < n; i++) {
		rc = shmring_send(tx, &i, SHMRING_NO_DEADLINE);
		if (rc < 0)
			return die("send", rc);
		if (i % 25000 == 0) {
			char line[64];
			int len = snprintf(line, sizeof(line), "producer at %" PRIu64 "\n", i);

			if (write(sock, line, (size_t)len) != len)
				return 1;
		}
		if (i % 512 == 511)
			usleep(100); /* bursts, so the consumer sleeps in between */
	}
	shmring_close(tx);
	close(sock);
	return 0;
}

int main(int argc, char **argv)
{
	struct shmring_opts o = {.kind = SHMRING_KIND_MPSC, .slot_size = 8, .capacity = 1024};
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000, next = 0, signals = 0;
	struct itimerspec tick = {.it_interval = {0, 100000000}, .it_value = {0, 100000000}};
	char name[64];
	shmring_t *rx;
	sigset_t bell;
	int sv[2], sfd, tfd, ep, rc, st, sig = SIGRTMIN + 1;
	bool ring_done = false, sock_done = false;
	pid_t pid;

	snprintf(name, sizeof(name), "/epoll-doorbell-%d", (int)getpid());
	rc = shmring_create(name, &o, SHMRING_CONSUMER, &rx);
	if (rc < 0)
		return die("create", rc);
	/* The doorbell's signal is blocked before any thread or child exists,
	 * and read only through the signalfd. */
	sigemptyset(&bell);
	sigaddset(&bell, sig);
	sigprocmask(SIG_BLOCK, &bell, NULL);
	rc = shmring_doorbell_register(rx, sig, TOKEN);
	if (rc < 0)
		return die("doorbell", rc);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(produce(name, n, sv[1]));
	}
	close(sv[1]);
	sfd = signalfd(-1, &bell, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0 || timerfd_settime(tfd, 0, &tick, NULL) < 0)
		return 1;
	{
		int fds[3] = {sfd, sv[0], tfd};

		for (int i = 0; i < 3; i++) {
			struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};

			if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
				return 1;
		}
	}
	while (!ring_done || !sock_done) {
		struct epoll_event ev[3];
		int k;

		/* Drain what is there, then arm; arming that finds more means
		 * drain again instead of sleeping. */
		while (!ring_done) {
			uint64_t v;

			rc = shmring_try_recv(rx, &v);
			if (rc == 0) {
				if (v != next) {
					fprintf(stderr, "epoll_doorbell: got %" PRIu64 ", expected %" PRIu64 "\n",
						v, next);
					return 1;
				}
				next++;
				continue;
			}
			if (rc == -EPIPE && next == n) {
				ring_done = true;
				break;
			}
			if (rc != -EAGAIN && rc != -EPIPE)
				return die("receive", rc);
			rc = shmring_doorbell_arm(rx);
			if (rc < 0)
				return die("arm", rc);
			if (rc == 0)
				break;
		}
		k = epoll_wait(ep, ev, 3, 1000);
		for (int i = 0; i < k; i++) {
			if (ev[i].data.fd == sfd) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
					if (si.ssi_int == TOKEN)
						signals++;
			} else if (ev[i].data.fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
					printf("timer: %" PRIu64 " messages so far\n", next);
			} else {
				char buf[256];
				ssize_t got = read(sv[0], buf, sizeof(buf) - 1);

				if (got <= 0) {
					sock_done = true;
					epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL);
				} else {
					buf[got] = '\0';
					printf("socket: %s", buf);
				}
			}
		}
	}
	waitpid(pid, &st, 0);
	printf("%" PRIu64 " messages in order, carried by %" PRIu64 " doorbell signals\n", next,
	       signals);
	shmring_close(rx);
	shmring_unlink(name);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
