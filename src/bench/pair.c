/* SPDX-License-Identifier: MIT */
#include "pair.h"
#include "payload.h"
#include "shmring/shmring.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <unistd.h>

volatile sig_atomic_t shmring_bench_expired;

static volatile sig_atomic_t child_pid;
static pid_t owner_pid;

#define MAX_OBJS 64

struct obj {
	volatile sig_atomic_t used;
	enum shmring_bench_obj kind;
	int id;
	char name[96];
};

static struct obj objs[MAX_OBJS];
static unsigned name_counter;

void shmring_bench_say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

const char *shmring_bench_err_text(int err)
{
	if ((err == -ETIMEDOUT || err == -ECANCELED) && shmring_bench_expired)
		return "timed out (watchdog)";
	if (err == -ECANCELED)
		return "gave up: another process of the run failed";
	return strerror(-err);
}

int shmring_bench_size_skip(unsigned max_size, unsigned size, char *why, size_t wl)
{
	if (max_size && size > max_size) {
		shmring_bench_say(why, wl, "messages above %u B do not fit", max_size);
		return 1;
	}
	if (size < 8 || size % 8 || size > SHMRING_BENCH_MAX_MSG) {
		shmring_bench_say(why, wl, "the harness sends multiples of 8 B up to %u B",
		                  SHMRING_BENCH_MAX_MSG);
		return 1;
	}
	return 0;
}

int shmring_bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return -errno;
	return 0;
}

void *shmring_bench_shared_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void shmring_bench_shared_unmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

static void on_alarm(int sig)
{
	(void)sig;
	shmring_bench_expired = 1;
}

static void remove_obj(struct obj *o)
{
	switch (o->kind) {
	case SHMRING_BENCH_OBJ_SHM:
		/* Not shm_unlink(): a ring's System V notifier set (sysvsem)
		 * lives apart from its segment, and only shmring_unlink()
		 * removes it too (no allocation: safe in the handler). */
		shmring_unlink(o->name);
		break;
	case SHMRING_BENCH_OBJ_PATH:
		unlink(o->name);
		break;
	case SHMRING_BENCH_OBJ_MQ:
		mq_unlink(o->name);
		break;
	case SHMRING_BENCH_OBJ_SEM:
		sem_unlink(o->name);
		break;
	case SHMRING_BENCH_OBJ_SYSV_MSG:
		msgctl(o->id, IPC_RMID, NULL);
		break;
	case SHMRING_BENCH_OBJ_SYSV_SEM:
		semctl(o->id, 0, IPC_RMID);
		break;
	}
	o->used = 0;
}

void shmring_bench_priv_free(void **priv, const int *obj, unsigned n)
{
	for (unsigned i = 0; obj && i < n; i++)
		shmring_bench_obj_remove(obj[i]);
	free(*priv);
	*priv = NULL;
}

void shmring_bench_obj_remove_all(void)
{
	/* Only the process that made the objects removes them: a child that
	 * inherited the table must not pull names from under the parent. */
	if (getpid() != owner_pid)
		return;
	for (unsigned i = 0; i < MAX_OBJS; i++)
		if (objs[i].used)
			remove_obj(&objs[i]);
}

static void on_terminate(int sig)
{
	pid_t c = (pid_t)child_pid;

	if (c > 0 && getpid() == owner_pid)
		kill(c, SIGKILL);
	shmring_bench_obj_remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

int shmring_bench_signals_init(void)
{
	struct sigaction sa;

	owner_pid = getpid();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking call must return EINTR when the watchdog
	 * fires, so that a stuck transport fails instead of hanging. */
	sa.sa_handler = on_alarm;
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return -errno;
	sa.sa_handler = on_terminate;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return 0;
}

void shmring_bench_watchdog(unsigned seconds)
{
	shmring_bench_expired = 0;
	alarm(seconds);
}

void shmring_bench_set_child(pid_t pid)
{
	child_pid = pid;
}

void shmring_bench_name(char *buf, size_t len, const char *suffix)
{
	snprintf(buf, len, "/shmring-bench-%ld-%u%s", (long)getpid(), name_counter++,
		 suffix ? suffix : "");
}

int shmring_bench_obj_add(enum shmring_bench_obj kind, const char *name, int id)
{
	for (int i = 0; i < MAX_OBJS; i++) {
		if (objs[i].used)
			continue;
		objs[i].kind = kind;
		objs[i].id = id;
		snprintf(objs[i].name, sizeof(objs[i].name), "%s", name ? name : "");
		/* Filled in before it is marked used, for the signal handler. */
		atomic_signal_fence(memory_order_seq_cst);
		objs[i].used = 1;
		return i;
	}
	return -ENOSPC;
}

void shmring_bench_obj_forget(int handle)
{
	if (handle >= 0 && handle < MAX_OBJS)
		objs[handle].used = 0;
}

void shmring_bench_obj_remove(int handle)
{
	if (handle >= 0 && handle < MAX_OBJS && objs[handle].used)
		remove_obj(&objs[handle]);
}

bool shmring_bench_setup_stopped(int rc, int *status, char *why, size_t wl)
{
	if (rc == 0)
		return false;
	*status = rc > 0 ? SHMRING_BENCH_SKIPPED : SHMRING_BENCH_FAILED;
	if (rc < 0 && !why[0])
		snprintf(why, wl, "setup: %s", strerror(-rc));
	return true;
}
