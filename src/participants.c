/* SPDX-License-Identifier: MIT */
/*
 * src/participants.c - the participant table: which processes are attached to
 * a ring, in which role, and whether they are still alive.
 */
#include "src/internal.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic uint32_t claim_tag;

/*
 * Read a process's state letter and start time (clock ticks since boot) from
 * /proc/PID/stat. 0, or -1 if there is no such process to read.
 */
static int proc_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024];
	const char *p;
	unsigned long long st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields resume
	 * after the last ')'. The state is field 3, starttime field 22. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	*state = p[2];
	p++;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	*start = (p && sscanf(p, " %llu", &st) == 1) ? st : 0;
	return 0;
}

uint64_t shmring__proc_start_time(pid_t pid)
{
	char state;
	uint64_t start;

	return proc_stat(pid, &state, &start) == 0 ? start : 0;
}

bool shmring__part_alive(const struct shmring_part *p)
{
	/* Acquire: pairs with the release stores in shmring__part_claim(). */
	uint64_t owner = shmring__load_acquire(&p->owner);
	uint64_t start = shmring__load_acquire(&p->start_time);
	pid_t pid;
	uint64_t now_start;
	char state;

	if (owner == 0)
		return false;
	pid = (pid_t)SHMRING_PART_PID(owner);
	if (pid <= 0)
		return false;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	if (proc_stat(pid, &state, &now_start) < 0)
		return true; /* no /proc to ask: kill() said it exists */
	/* A zombie has exited: its parent just has not reaped it yet. */
	if (state == 'Z' || state == 'X')
		return false;
	if (start == 0)
		return true; /* being filled in by a live process */
	/* A different start time: the pid was recycled by another process. */
	return now_start == 0 || now_start == start;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t owner_word(uint32_t role)
{
	pid_t pid = getpid();
	/* Relaxed: the tag only has to differ between claims of this process. */
	uint32_t tag = atomic_fetch_add_explicit(&claim_tag, 1, memory_order_relaxed) & 0xffffffu;

	return ((uint64_t)(uint32_t)pid << 32) | ((uint64_t)(role & 0xffu) << 24) | tag;
}

/* Take entry p if it is free right now: true on success. */
static bool try_take(struct shmring_part *p, uint64_t mine, uint64_t *cur)
{
	*cur = 0;
	/* Acq_rel: on success our later stores follow the claim; on failure we
	 * read the owner that the caller compares against. */
	if (!atomic_compare_exchange_strong_explicit(&p->owner, cur, mine, memory_order_acq_rel,
						     memory_order_acquire))
		return false;
	p->attach_ns = realtime_ns();
	/* Release: a reader that sees the start time sees a complete entry. */
	shmring__store_release(&p->start_time, shmring__proc_start_time(getpid()));
	return true;
}

int shmring__part_claim(struct shmring_part *p, uint32_t role)
{
	uint64_t mine = owner_word(role);

	for (int tries = 0; tries < 8; tries++) {
		uint64_t cur;

		if (try_take(p, mine, &cur))
			return 0;
		if (shmring__part_alive(p))
			return -EBUSY;
		/* The owner died: free its entry (unless someone beat us to it)
		 * and try again. */
		atomic_compare_exchange_strong_explicit(&p->owner, &cur, 0, memory_order_acq_rel,
							memory_order_relaxed);
	}
	return -EBUSY;
}

int shmring__part_claim_any(void *base, const struct shmring_hdr *h, uint32_t role)
{
	struct shmring_part *parts = shmring__parts(base);
	uint64_t mine = owner_word(role);

	/* First the free entries: no liveness checks, no system calls. */
	for (uint32_t i = SHMRING_PART_FIRST_SHARED; i < h->max_participants; i++) {
		uint64_t cur;

		/* Relaxed: a hint; try_take() decides. */
		if (shmring__load_relaxed(&parts[i].owner) == 0 && try_take(&parts[i], mine, &cur))
			return (int)i;
	}
	/* Then entries of processes that died. */
	for (uint32_t i = SHMRING_PART_FIRST_SHARED; i < h->max_participants; i++)
		if (shmring__part_claim(&parts[i], role) == 0)
			return (int)i;
	return -EUSERS;
}

void shmring__part_release(struct shmring_part *p)
{
	/* Relaxed: the entry becomes free only with the release below. */
	shmring__store_relaxed(&p->start_time, 0);
	/* Release: whatever this participant did happens before the entry is
	 * seen free. */
	shmring__store_release(&p->owner, 0);
}

uint32_t shmring__part_count(void *base, const struct shmring_hdr *h, uint32_t role)
{
	struct shmring_part *parts = shmring__parts(base);
	uint32_t n = 0;

	for (uint32_t i = 0; i < h->max_participants; i++) {
		/* Acquire: as in shmring__part_alive(). */
		uint64_t owner = shmring__load_acquire(&parts[i].owner);

		if (owner && (SHMRING_PART_ROLE(owner) & role) && shmring__part_alive(&parts[i]))
			n++;
	}
	return n;
}
