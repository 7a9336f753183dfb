/* SPDX-License-Identifier: MIT */
/*
 * examples/robust_mutex.c - a process dies holding a named robust mutex; the
 * next locker is told (-EOWNERDEAD), repairs what the mutex protects, and
 * marks the mutex consistent, after which it works as before.
 *
 * The mutex guards two account balances in shared memory whose sum must
 * stay 100. A child takes the mutex, moves money half-way (debits one
 * account, then is SIGKILLed before crediting the other) and the parent
 * picks up the pieces.
 *
 *   ./robust_mutex
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <shmring/sync.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct accounts {
	int a, b; /* a + b == 100 whenever the mutex is free */
};

static int fail(const char *what, int rc)
{
	fprintf(stderr, "robust_mutex: %s: %s\n", what, shmring_strerror(rc));
	return 1;
}

int main(void)
{
	struct accounts *acc =
	    mmap(NULL, sizeof(*acc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shmring_mutex_t *m;
	char name[64];
	int rc, pipefd[2], status;
	char c;
	pid_t child;

	if (acc == MAP_FAILED || pipe(pipefd) < 0) {
		perror("robust_mutex");
		return 1;
	}
	acc->a = 100;
	acc->b = 0;
	snprintf(name, sizeof(name), "posix:/robust-mutex-%d", (int)getpid());
	rc = shmring_mutex_create(name, NULL, &m);
	if (rc < 0)
		return fail(name, rc);
	shmring_mutex_close(m);
	printf("created %s; accounts a=%d b=%d\n", name, acc->a, acc->b);
	fflush(stdout);

	child = fork();
	if (child == 0) {
		/* Another process opens the mutex by name. */
		if (shmring_mutex_open(name, NULL, &m) < 0 || shmring_mutex_lock(m) < 0)
			_exit(1);
		acc->a -= 10; /* half of a transfer ... */
		printf("child %d: holds the mutex, debited a (a=%d b=%d), now waits to be killed\n",
		       (int)getpid(), acc->a, acc->b);
		fflush(stdout);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause(); /* ... never finished */
	}
	if (child < 0 || read(pipefd[0], &c, 1) != 1) {
		perror("robust_mutex");
		return 1;
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	printf("parent: child %d killed with SIGKILL while holding the mutex\n", (int)child);

	if ((rc = shmring_mutex_open(name, NULL, &m)) < 0)
		return fail("open", rc);
	/* Within about 10 ms the locker finds the owner dead and takes over. */
	rc = shmring_mutex_timedlock(m, shmring_deadline_in(UINT64_C(5000000000)));
	printf("parent: lock -> %d (%s)\n", rc, shmring_strerror(rc));
	if (rc == -EOWNERDEAD) {
		/* We hold the mutex; the state may be half-updated. Repair it. */
		printf("parent: previous owner died; accounts a=%d b=%d (sum %d)\n", acc->a, acc->b,
		       acc->a + acc->b);
		if (acc->a + acc->b != 100)
			acc->b = 100 - acc->a; /* finish the transfer */
		printf("parent: repaired: a=%d b=%d\n", acc->a, acc->b);
		if ((rc = shmring_mutex_consistent(m)) < 0)
			return fail("consistent", rc);
	} else if (rc < 0) {
		return fail("lock", rc);
	}
	if ((rc = shmring_mutex_unlock(m)) < 0)
		return fail("unlock", rc);

	/* Repaired: the mutex works as before. */
	rc = shmring_mutex_timedlock(m, shmring_deadline_in(UINT64_C(1000000000)));
	printf("parent: lock again -> %d (%s)\n", rc, shmring_strerror(rc));
	if (rc < 0)
		return fail("lock again", rc);
	shmring_mutex_unlock(m);
	shmring_mutex_close(m);
	shmring_mutex_unlink(name);
	printf("done: a=%d b=%d\n", acc->a, acc->b);
	return acc->a + acc->b == 100 ? 0 : 1;
}
