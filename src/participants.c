/* SPDX-License-Identifier: MIT */
/*
 * src/participants.c - the participant table: which processes are attached to
 * a ring, in which role, whether they are still alive, and what is done when
 * one of them is not.
 *
 * Judging a process (shmring__part_state):
 *   - an entry whose owner carries SHMRING_OWNER_REAPED is dead and counted;
 *   - an owner in another pid namespace cannot be judged from here: its pid
 *     means another process in ours. It counts as alive (UNKNOWN), never dead
 *     by mistake. Without /proc a process names its namespace through a
 *     pidfd (Linux 6.11); where neither can, its entry records none (0) and
 *     is judged as if it shared ours;
 *   - an entry still being filled in (SHMRING_OWNER_CLAIMING: its start
 *     time may still be the previous owner's) or whose start time is 0 (its
 *     claimer could not read one, or the entry is forged) has no start time
 *     to compare, and is judged by its pid alone: dead once that pid is gone,
 *     a zombie or a process that does not map this segment, alive as long as
 *     it is none of these. There is no grace period: a claimer that died
 *     half-way is dead at once; a forged entry naming a live process that
 *     maps the segment holds its entry for as long as that process lives;
 *   - an entry naming our own pid is alive while a handle of ours holds
 *     it (held_has()) or while it names our process image (image_self()),
 *     which another copy of the library loaded in this process took; else
 *     it is dead: /proc would find us alive and mapping the segment
 *     whatever the entry says;
 *   - where /proc is another pid namespace's (a namespace of our own with
 *     no /proc mounted for it), the pidfd alone: gone is dead, anything
 *     else alive;
 *   - otherwise the pid is opened as a pidfd and checked once against
 *     /proc/PID/stat (the same start time, so a recycled pid is never
 *     mistaken for the owner; not a zombie, unless the pidfd says threads
 *     other than the main one still run) and /proc/PID/maps (the process
 *     maps this very segment, so a forged entry naming some live process -
 *     pid 1, say - holds nothing). The verdict and the pidfd are cached
 *     per entry; later checks poll the pidfd (readable once the process
 *     has exited), one system call, and a live verdict is made afresh
 *     after SHMRING_REJUDGE_NS (a process that ran execve() lives on
 *     without the segment).
 *   A stopped or traced process is alive: nothing here looks at its state
 *   beyond "exited".
 */
#include "src/internal.h"
#include "ringbuf/mix.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static _Atomic uint32_t claim_tag;

/*
 * The entries this process holds or is taking: the segment as the kernel
 * names it (device and inode), the table's place in it and the entry's
 * index, not its address, for one process may map one segment twice (a
 * POSIX name and a file: path to the same object are two mappings); and our
 * owner word (its tag differs between our claims). Whether we hold an entry
 * is asked without the device: a file reached through an overlay and
 * through its upper directory is named by two, and the owner word's tag
 * tells two segments with one inode number apart. An entry
 * that names our own pid is judged here, not in /proc, which finds us alive
 * and mapping the segment: a word forged with our pid, or one left where no
 * handle of ours holds it, would otherwise hold its role, its claims and the
 * other side's end-of-stream for as long as we live. Such an entry is dead.
 * A mutex, kept across fork(); the child holds none of its parent's entries
 * (they name the parent's pid).
 */
struct held_entry {
	uint64_t dev, ino, off; /* the table's segment and place in it */
	uint32_t idx;
	uint64_t owner;
};

static struct held_entry *held;
static size_t held_n, held_cap;
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t held_once = PTHREAD_ONCE_INIT;

static void held_prepare(void)
{
	pthread_mutex_lock(&held_lock);
}

static void held_parent(void)
{
	pthread_mutex_unlock(&held_lock);
}

/* Our pid, kept here: a peer check compares every entry with it, and
 * getpid() is a system call, which the fast path makes none of. */
static _Atomic pid_t self_pid;

/* Our time namespace's boot-time offset, and whether it is read yet
 * (boot_offset_get()). */
static _Atomic int64_t boot_offset;
static _Atomic bool boot_offset_known;

static void held_child(void)
{
	held_n = 0;
	/* Relaxed: the child has one thread until it makes more, and
	 * pthread_create() orders this store before them. */
	atomic_store_explicit(&self_pid, getpid(), memory_order_relaxed);
	/* Relaxed: as self_pid. Read again at first use: we may be the first
	 * process of a time namespace our parent made (boot_offset_get()). */
	atomic_store_explicit(&boot_offset_known, false, memory_order_relaxed);
	pthread_mutex_unlock(&held_lock);
}

/*
 * Our process image (layout.h, `image`): a hash of the bytes the kernel
 * gives each execve() (AT_RANDOM), so every copy of the library this image
 * loads computes the same value and the image execve() puts in our place
 * another. The C library keeps its stack guard and pointer guard in those
 * bytes, and the entry is readable by every peer: each half goes through a
 * bijective mixer keyed by the other, so the value says nothing about
 * either half on its own. 0: no such bytes (the entry then names no image).
 */
static uint64_t self_image;

static uint64_t image_compute(void)
{
	const unsigned char *r = (const unsigned char *)(uintptr_t)getauxval(AT_RANDOM);
	uint64_t a, b, v;

	if (!r)
		return 0;
	memcpy(&a, r, sizeof(a));
	memcpy(&b, r + 8, sizeof(b));
	v = shmring__mix64(a ^ shmring__mix64(b ^ UINT64_C(0x9e3779b97f4a7c15)));
	return v ? v : 1;
}

static void held_init(void)
{
	/* Set once here, before pthread_once() returns to any thread; a fork
	 * child runs the same image and keeps it. */
	self_image = image_compute();
	/* Relaxed: pthread_once() orders this store before every return
	 * from it, in every thread. */
	atomic_store_explicit(&self_pid, getpid(), memory_order_relaxed);
	pthread_atfork(held_prepare, held_parent, held_child);
}

/* Our process image, 0 if unknown. */
static uint64_t image_self(void)
{
	pthread_once(&held_once, held_init);
	return self_image;
}

/* Our pid without a system call. */
static pid_t held_self(void)
{
	pthread_once(&held_once, held_init);
	/* Relaxed: written before pthread_once() returned, or by the fork's
	 * child handler in this same (then only) thread. */
	return atomic_load_explicit(&self_pid, memory_order_relaxed);
}

/* Whether record h is entry idx of the table c judges (any_dev: on any
 * device that names the segment's inode). */
static bool held_is(const struct held_entry *h, const struct shmring_livecache *c, uint32_t idx,
		    bool any_dev)
{
	return h->idx == idx && h->ino == c->id.ino && h->off == c->off &&
	       (any_dev || h->dev == c->id.dev);
}

/* Record that we hold (or are taking) entry idx of c's table as owner. 0 or
 * -ENOMEM. */
static int held_add(const struct shmring_livecache *c, uint32_t idx, uint64_t owner)
{
	int rc = 0;

	pthread_once(&held_once, held_init);
	pthread_mutex_lock(&held_lock);
	if (held_n == held_cap) {
		size_t cap = held_cap ? 2 * held_cap : 16;
		struct held_entry *n = realloc(held, cap * sizeof(*n));

		if (n) {
			held = n;
			held_cap = cap;
		}
	}
	if (held_n < held_cap)
		held[held_n++] = (struct held_entry){
			.dev = c->id.dev, .ino = c->id.ino, .off = c->off, .idx = idx,
			.owner = owner};
	else
		rc = -ENOMEM;
	pthread_mutex_unlock(&held_lock);
	return rc;
}

/* Forget the record of entry idx held as owner (nothing if there is none),
 * or with every_owner, every record of it: it holds another process's word,
 * so no handle of ours holds it. */
static void held_drop(const struct shmring_livecache *c, uint32_t idx, uint64_t owner,
		      bool every_owner)
{
	pthread_once(&held_once, held_init);
	pthread_mutex_lock(&held_lock);
	for (size_t i = 0; i < held_n;)
		if (every_owner ? held_is(&held[i], c, idx, false)
				: held_is(&held[i], c, idx, true) && held[i].owner == owner)
			held[i] = held[--held_n];
		else
			i++;
	pthread_mutex_unlock(&held_lock);
}

static bool held_has(const struct shmring_livecache *c, uint32_t idx, uint64_t owner)
{
	bool found = false;

	pthread_once(&held_once, held_init);
	pthread_mutex_lock(&held_lock);
	for (size_t i = 0; i < held_n && !found; i++)
		found = held_is(&held[i], c, idx, true) && held[i].owner == owner;
	pthread_mutex_unlock(&held_lock);
	return found;
}

/*
 * What /proc adds to every start time it shows us, in clock ticks: our time
 * namespace's boot-time offset (time_namespaces(7); 0 in the initial one).
 * Two processes in two time namespaces read one process's start time apart
 * by the difference of their offsets, so each takes its own off: the start
 * times recorded and compared are the initial namespace's. timens_offsets
 * shows the namespace our children get, ours unless we left them a new one
 * (unshare(CLONE_NEWTIME)); then ours is the one we were in, taken to be the
 * initial namespace. The kernel adds the offset in nanoseconds and divides
 * after, so an offset that is not a whole number of ticks leaves a tick of
 * difference (shmring__same_start() allows it), and a negative one larger
 * than a process's start wraps its sum around 2^64 (undone here). Read at
 * first use and again after a fork: the first child after
 * unshare(CLONE_NEWTIME) is in another namespace than its parent.
 */
static int64_t boot_offset_read(void)
{
	struct stat ours, children;
	long long sec, nsec;
	long tck = sysconf(_SC_CLK_TCK);
	int64_t off = 0;
	char line[128];
	FILE *f;

	if (tck <= 0 || stat("/proc/self/ns/time", &ours) != 0 ||
	    stat("/proc/self/ns/time_for_children", &children) != 0 ||
	    ours.st_ino != children.st_ino)
		return 0; /* no time namespaces, or the file shows our children's */
	f = fopen("/proc/self/timens_offsets", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "boottime %lld %lld", &sec, &nsec) == 2)
			off = sec * tck + nsec / (1000000000 / tck);
	fclose(f);
	return off;
}

static int64_t boot_offset_get(void)
{
	int64_t off;

	pthread_once(&held_once, held_init); /* for held_child() after a fork */
	/* Acquire: pairs with the release below, the offset before the flag. */
	if (atomic_load_explicit(&boot_offset_known, memory_order_acquire))
		/* Relaxed: ordered by the acquire of the flag. */
		return atomic_load_explicit(&boot_offset, memory_order_relaxed);
	off = boot_offset_read();
	/* Relaxed: racing readers of one process store the same value. */
	atomic_store_explicit(&boot_offset, off, memory_order_relaxed);
	/* Release: pairs with the acquire above. */
	atomic_store_explicit(&boot_offset_known, true, memory_order_release);
	return off;
}

static int proc_stat_at(const char *path, char *state, uint64_t *start)
{
	char buf[1024];
	const char *p;
	unsigned long long st = 0;
	int64_t off;
	ssize_t n;
	long tck;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields resume
	 * after the last ')'. The state is field 3, starttime field 22. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -ENOENT;
	*state = p[2];
	/* p is at the ')' that ends field 2: each step moves to the space
	 * before the next field. */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &st) != 1)
		return -ENOENT;
	off = boot_offset_get();
	tck = sysconf(_SC_CLK_TCK);
	/* A start time and a negative offset summed below 0: the sum wrapped
	 * to near 2^64 ns before the kernel divided it into ticks. No start
	 * time in ticks comes near half of that. */
	if (off < 0 && tck > 0 && st > UINT64_MAX / (1000000000u / (uint64_t)tck) / 2)
		st -= UINT64_MAX / (1000000000u / (uint64_t)tck);
	*start = (uint64_t)((int64_t)st - off);
	return 0;
}

int shmring__proc_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	return proc_stat_at(path, state, start);
}

uint64_t shmring__thread_start_time(void)
{
	char state;
	uint64_t start;

	/* thread-self, not /proc/TID: right also where /proc is another pid
	 * namespace's. */
	return proc_stat_at("/proc/thread-self/stat", &state, &start) == 0 ? start : 0;
}

bool shmring__same_start(uint64_t a, uint64_t b)
{
	return a - b + 1 <= 2;
}

uint64_t shmring__proc_start_time(pid_t pid)
{
	char state;
	uint64_t start;

	return shmring__proc_stat(pid, &state, &start) == 0 ? start : 0;
}

/*
 * Whether /proc shows our own pid namespace: a process in a pid namespace
 * of its own that did not mount a /proc for it (unshare -p without
 * --mount-proc) reads its ancestor's, where its pids name other processes.
 * /proc/self is named there by our pid in that namespace, here by getpid().
 */
bool shmring__proc_is_ours(void)
{
	char link[32];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);

	if (n <= 0)
		return false;
	link[n] = '\0';
	return strtol(link, NULL, 10) == (long)getpid();
}

/* The pidfd ioctl that opens a process's pid namespace (Linux 6.11). */
#define PIDFD_IOCTL_PID_NAMESPACE _IO(0xFF, 5)

uint64_t shmring__pidns_self(void)
{
	struct stat st;
	int fd, ns;

	if (stat("/proc/self/ns/pid", &st) == 0)
		return (uint64_t)st.st_ino;
	/* No /proc (a sandbox, a namespace that mounted none): ask a pidfd. */
	fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0)
		return 0;
	ns = ioctl(fd, PIDFD_IOCTL_PID_NAMESPACE, 0);
	close(fd);
	if (ns < 0)
		return 0;
	fd = fstat(ns, &st);
	close(ns);
	return fd == 0 ? (uint64_t)st.st_ino : 0;
}

void shmring__maps_name(const char *rest, char *name, size_t size)
{
	const char *path = rest + strspn(rest, " \t");
	size_t len = strcspn(path, "\n");
	const char *base = path;

	name[0] = '\0';
	if (path[len] != '\n')
		return; /* a line longer than the buffer: the name is not all there */
	for (const char *q = path; q < path + len; q++)
		if (*q == '/')
			base = q + 1;
	len -= (size_t)(base - path);
	if (len == 0 || len >= size)
		return;
	memcpy(name, base, len);
	name[len] = '\0';
}

/*
 * Whether the maps file at path shows segment id: 1 yes, 0 no, -1 cannot
 * tell (no permission to read it). A shared mapping of the same inode and
 * file name on another device counts where id has a name (a file: ring
 * reached through an overlay and through its upper directory, which /proc
 * names by two devices: a process on the other path was judged dead).
 */
static int maps_file_has(const char *path, const struct shmring_maps_id *id)
{
	char line[512], name[sizeof(id->name)];
	FILE *f;
	int found = 0;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char perms[8];
		unsigned maj, min;
		unsigned long long i;
		size_t len = strlen(line);
		int end = 0;

		if (sscanf(line, "%*s %7s %*s %x:%x %llu%n", perms, &maj, &min, &i, &end) == 4 &&
		    i == id->ino) {
			if (makedev(maj, min) == id->dev) {
				found = 1;
				break;
			}
			if (id->name[0] && perms[3] == 's') {
				shmring__maps_name(line + end, name, sizeof(name));
				if (strcmp(name, id->name) == 0) {
					found = 1;
					break;
				}
			}
		}
		/* A line longer than the buffer: skip its rest. */
		while (len && line[len - 1] != '\n' && fgets(line, sizeof(line), f))
			len = strlen(line);
	}
	if (ferror(f))
		found = -1;
	fclose(f);
	return found;
}

int shmring__maps_segment(pid_t pid, const struct shmring_maps_id *id)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	return maps_file_has(path, id);
}

/*
 * The same for a process whose main thread has exited while others run
 * (pthread_exit() in main()): /proc shows its leader a zombie with no maps,
 * so the maps are another thread's, the first that can tell.
 */
static int maps_segment_threads(pid_t pid, const struct shmring_maps_id *id)
{
	char path[96];
	struct dirent *d;
	DIR *dir;
	int m = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (m == 0 && (d = readdir(dir)))
		if (d->d_name[0] != '.' && strtol(d->d_name, NULL, 10) != (long)pid) {
			snprintf(path, sizeof(path), "/proc/%d/task/%.24s/maps", (int)pid,
				 d->d_name);
			m = maps_file_has(path, id);
		}
	closedir(dir);
	return m;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int shmring__live_init(struct shmring_livecache *c, uint32_t n, const struct shmring_maps_id *id,
		       uint64_t off)
{
	c->e = calloc(n, sizeof(*c->e));
	if (!c->e)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		c->e[i].pidfd = -1;
	c->n = n;
	c->id = *id;
	c->off = off;
	c->pidns = shmring__pidns_self();
	c->proc_ours = shmring__proc_is_ours();
	return 0;
}

void shmring__live_free(struct shmring_livecache *c)
{
	if (!c->e)
		return;
	for (uint32_t i = 0; i < c->n; i++)
		if (c->e[i].pidfd >= 0)
			close(c->e[i].pidfd);
	free(c->e);
	c->e = NULL;
}

/* Has the process behind a pidfd exited? */
bool shmring__pidfd_exited(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

/* Judge (pid, start) afresh; start 0: nothing to compare the process's
 * start time with. May leave an open pidfd in *fd. */
static uint32_t judge_fresh(const struct shmring_livecache *c, pid_t pid, uint64_t start, int *fd)
{
	char state;
	uint64_t now_start;
	int m;

	*fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (*fd < 0) {
		if (errno == ESRCH)
			return SHMRING_PART_DEAD;
		/* No pidfds (an old kernel, a sandbox): ask kill(). */
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return SHMRING_PART_DEAD;
	}
	/* Another namespace's /proc says nothing about our pid: the pidfd (or
	 * kill()) said it is there, and that is all we can tell. */
	if (!c->proc_ours)
		return (*fd >= 0 && shmring__pidfd_exited(*fd)) ? SHMRING_PART_DEAD : SHMRING_PART_ALIVE;
	/* After the pidfd is open, the pid cannot be recycled under it. */
	if (shmring__proc_stat(pid, &state, &now_start) < 0)
		return (*fd >= 0 && shmring__pidfd_exited(*fd)) ? SHMRING_PART_DEAD : SHMRING_PART_ALIVE;
	if (start && !shmring__same_start(now_start, start))
		return SHMRING_PART_DEAD; /* the pid now names another process */
	if (state == 'Z' || state == 'X') {
		/*
		 * A zombie leader: the process has exited and its parent has
		 * not reaped it yet, or only its main thread has exited and
		 * others run on. The pidfd tells which: it is readable once
		 * the last thread has exited. Without one, a zombie is taken
		 * for a process that has exited.
		 */
		if (*fd < 0 || shmring__pidfd_exited(*fd))
			return SHMRING_PART_DEAD;
		m = maps_segment_threads(pid, &c->id);
	} else {
		m = shmring__maps_segment(pid, &c->id);
	}
	if (m == 0 && c->id.ino)
		return SHMRING_PART_DEAD; /* alive, but not attached to this ring */
	return SHMRING_PART_ALIVE;
}

/* Whether entry p changed owner (a claim finished counts) or start time
 * since we read them; start 0: the start time was not read. */
static bool entry_moved(struct shmring_part *p, uint64_t owner, uint64_t start)
{
	/* Acquire: as in shmring__part_state(). */
	if (shmring__load_acquire(&p->owner) != owner)
		return true;
	/* Relaxed: after the acquire above. */
	return start && shmring__load_relaxed(&p->start_time) != start;
}

/* PID_MAX_LIMIT on 64-bit kernels: no pid is larger in any namespace. */
#define PID_LIMIT (1 << 22)

uint32_t shmring__part_state(void *base, struct shmring_livecache *c, uint32_t idx)
{
	/* Acquire: pairs with the release CAS that ends a claim in take(): the
	 * start time and namespace written before it come with the word. */
	uint64_t owner = shmring__load_acquire(&shmring__parts(base)[idx].owner);

	return shmring__part_state_of(base, c, idx, owner, NULL);
}

uint32_t shmring__part_state_of(void *base, struct shmring_livecache *c, uint32_t idx,
                                uint64_t owner, bool *moved)
{
	struct shmring_part *p = &shmring__parts(base)[idx];
	/* Relaxed, both: after the caller's acquire of owner; a later owner's values read
	 * here are caught by entry_moved(). While the claim is being written
	 * they may be the previous owner's: not compared then. */
	uint64_t start = shmring__load_relaxed(&p->start_time);
	uint64_t ns = shmring__load_relaxed(&p->pidns);
	struct shmring_live *e = c->e ? &c->e[idx] : NULL;
	pid_t pid = (pid_t)SHMRING_PART_PID(owner);
	uint32_t st;
	int fd = -1;

	if (owner == 0)
		return 0;
	if (owner & SHMRING_OWNER_REAPED)
		return SHMRING_PART_REAPED;
	if (owner & SHMRING_OWNER_CLAIMING)
		start = ns = 0; /* judged by the pid alone (layout.h) */
	/* No pid namespace has pids past the kernel's limit (2^22): forged,
	 * whichever namespace the entry names. */
	if (pid <= 0 || pid > PID_LIMIT)
		return SHMRING_PART_DEAD;
	if (ns && c->pidns && ns != c->pidns)
		return SHMRING_PART_UNKNOWN;
	/* Ours only if a handle of ours took it (held_add() came before the
	 * claim's CAS, held_drop() after the release's); one that did is
	 * judged as any other below (the doorbells use what that caches).
	 * One we did not take is alive if it names our image and our start
	 * time, complete (start is 0 while CLAIMING: both may be the previous
	 * owner's until then): a copy of the library we do not share a
	 * record with holds it. The start time tells us from an earlier
	 * process of our pid forked from the same image (a fork keeps the
	 * image). */
	if (pid == held_self() && !held_has(c, idx, owner & ~SHMRING_OWNER_CLAIMING)) {
		/* Relaxed: after the caller's acquire of owner; a later owner's
		 * value is caught by entry_moved() below. */
		uint64_t image = shmring__load_relaxed(&p->image);
		bool other_copy = start && image && image == image_self() &&
				  shmring__same_start(shmring__proc_start_time(0), start);

		if (entry_moved(p, owner, start)) {
			if (moved)
				*moved = true;
			return SHMRING_PART_ALIVE;
		}
		return other_copy ? SHMRING_PART_ALIVE : SHMRING_PART_DEAD;
	}
	if (e && e->owner == owner && e->start == start && e->state) {
		if (e->state == SHMRING_PART_ALIVE && e->pidfd >= 0 && shmring__pidfd_exited(e->pidfd))
			e->state = SHMRING_PART_DEAD;
		/* A live verdict stands while the pidfd says the process runs,
		 * but not for ever: a process that runs execve() runs on with
		 * our segment unmapped and its claims abandoned. */
		if (e->state != SHMRING_PART_ALIVE ||
		    shmring_clock_ns() - e->judged_ns < SHMRING_REJUDGE_NS)
			return e->state;
	}
	st = judge_fresh(c, pid, start, &fd);
	if (st == SHMRING_PART_DEAD && entry_moved(p, owner, start)) {
		/* Taken, or its claim finished, while we read it: judge it next time. */
		if (fd >= 0)
			close(fd);
		if (moved)
			*moved = true;
		return SHMRING_PART_ALIVE;
	}
	/* A pidfd serves a live verdict only (it tells when that process
	 * exits): kept for any other, a table forged to name live processes
	 * that do not map the ring would hold one for each of its entries. */
	if ((!e || st != SHMRING_PART_ALIVE) && fd >= 0) {
		close(fd);
		fd = -1;
	}
	if (!e)
		return st;
	if (e->pidfd >= 0)
		close(e->pidfd);
	*e = (struct shmring_live){
		.owner = owner, .start = start, .pidfd = fd, .state = st, .judged_ns = shmring_clock_ns()};
	/* Without a pidfd, or while the claim is being written, a live
	 * verdict cannot be kept: judge again next time. */
	if (st == SHMRING_PART_ALIVE && (fd < 0 || start == 0))
		e->state = 0;
	return st;
}

uint32_t shmring__part_reaped_state(void *base, const struct shmring_livecache *c, uint32_t idx,
				   uint64_t owner)
{
	struct shmring_part *p = &shmring__parts(base)[idx];
	/* Relaxed, both: after the caller's acquire of owner; the caller reads
	 * the owner word again after. */
	uint64_t start = shmring__load_relaxed(&p->start_time);
	uint64_t ns = shmring__load_relaxed(&p->pidns);
	pid_t pid = (pid_t)SHMRING_PART_PID(owner);
	uint32_t st;
	int fd;

	/* Nothing to tell a live owner by: the entry stands as reaped. */
	if (pid <= 0 || !start || !c->id.ino || !c->proc_ours || (ns && ns != c->pidns))
		return SHMRING_PART_REAPED;
	st = judge_fresh(c, pid, start, &fd);
	if (fd >= 0)
		close(fd);
	return st == SHMRING_PART_ALIVE ? SHMRING_PART_ALIVE : SHMRING_PART_REAPED;
}

static bool state_dead(uint32_t st)
{
	return st == SHMRING_PART_DEAD || st == SHMRING_PART_REAPED;
}

bool shmring__part_dead(void *base, struct shmring_livecache *c, uint32_t idx, uint32_t gen,
			unsigned gen_bits)
{
	struct shmring_part *p = &shmring__parts(base)[idx];
	uint32_t mask = gen_bits >= 32 ? UINT32_MAX : (UINT32_C(1) << gen_bits) - 1;

	if (idx >= c->n)
		return false; /* not a participant index: nothing to judge, never repair */
	/* Relaxed: a free entry or another generation means the claimer left
	 * it (a closing handle gives its claims back first); re-read below. */
	if (shmring__load_relaxed(&p->owner) == 0)
		return true;
	/* Relaxed: as above. */
	if ((shmring__load_relaxed(&p->gen) & mask) != (gen & mask))
		return true;
	return state_dead(shmring__part_state(base, c, idx));
}

/* Presence of a role in the control block. */
static _Atomic uint64_t *presence(void *base, uint32_t role)
{
	struct shmring_ctl *ctl = shmring__ctl(base);

	return role == SHMRING_PRODUCER ? &ctl->producers : &ctl->consumers;
}

void shmring__presence_add(void *base, uint32_t role)
{
	_Atomic uint64_t *w = presence(base, role);
	/* Release: a peer that sees us present also sees the entry we took. */
	uint64_t old = atomic_fetch_add_explicit(w, 1, memory_order_release);

	if (!(old & SHMRING_PRESENCE_EVER))
		/* Relaxed: the flag only ever goes from 0 to 1. */
		atomic_fetch_or_explicit(w, SHMRING_PRESENCE_EVER, memory_order_relaxed);
}

static void presence_sub(void *base, uint32_t role)
{
	_Atomic uint64_t *w = presence(base, role);
	/* Relaxed: a first guess for the CAS. */
	uint64_t old = shmring__load_relaxed(w);

	/* Release: whatever the leaving side published (its last messages)
	 * happens before a peer sees it gone (acquire in the peers). Never
	 * below zero, even against a forged count. */
	while (SHMRING_PRESENCE_LIVE(old) != 0 &&
	       !atomic_compare_exchange_weak_explicit(w, &old, old - 1, memory_order_release,
						      memory_order_relaxed))
		;
}

/*
 * Take a dead owner's entry off the books: the one process whose CAS marks it
 * REAPED subtracts it from the presence count and its parked count from the
 * eventcount it slept on. Returns true for that process.
 */
static bool reap(void *base, struct shmring_part *p, uint64_t owner)
{
	uint32_t parked, role = SHMRING_PART_ROLE(owner);

	/* Acq_rel: the winner alone does the accounting below. */
	if (!atomic_compare_exchange_strong_explicit(&p->owner, &owner, owner | SHMRING_OWNER_REAPED,
						     memory_order_acq_rel, memory_order_relaxed))
		return false;
	shmring__bell_clear(base, (uint32_t)(p - shmring__parts(base)));
	/* A claimer that died filling its entry in was never counted present. */
	if ((role & SHMRING_PRODUCER) && !(owner & SHMRING_OWNER_CLAIMING))
		presence_sub(base, SHMRING_PRODUCER);
	if ((role & SHMRING_CONSUMER) && !(owner & SHMRING_OWNER_CLAIMING))
		presence_sub(base, SHMRING_CONSUMER);
	/* Relaxed: the dead owner wrote it last; exchange so it counts once. */
	parked = atomic_exchange_explicit(&p->parked, 0, memory_order_relaxed);
	if (parked == SHMRING_PARKED_NOT_EMPTY || parked == SHMRING_PARKED_NOT_FULL) {
		struct shmring_waitword *ww = parked == SHMRING_PARKED_NOT_EMPTY
						      ? shmring__not_empty(base)
						      : shmring__not_full(base);
		/* Relaxed, the load and the CAS both ways: as the waiter's own
		 * decrement in shmring__ec_cancel(); a failed CAS tries again
		 * with the word it saw. */
		uint32_t w = shmring__load_relaxed(&ww->waiters);

		while (SHMRING_EC_WAITING(w) != 0 &&
		       !atomic_compare_exchange_weak_explicit(&ww->waiters, &w, w - 1,
							      memory_order_relaxed,
							      memory_order_relaxed))
			;
	}
	shmring__count(&shmring__ctl(base)->reaped, 1);
	return true;
}

uint32_t shmring__part_scan(void *base, const struct shmring_hdr *h, struct shmring_livecache *c,
                           uint32_t live[2], bool reap_dead)
{
	struct shmring_part *parts = shmring__parts(base);
	uint32_t n = 0;

	if (live)
		live[0] = live[1] = 0;
	for (uint32_t i = 0; i < h->max_participants; i++) {
		/* Relaxed: a hint; the state below re-reads the entry, and
		 * reap() decides with a CAS. */
		uint64_t owner = shmring__load_relaxed(&parts[i].owner);
		uint32_t st, role = SHMRING_PART_ROLE(owner);

		if (owner == 0 || (owner & SHMRING_OWNER_REAPED))
			continue;
		if (!reap_dead && !(role & (SHMRING_PRODUCER | SHMRING_CONSUMER)))
			continue; /* nothing to count, nothing to reap */
		st = shmring__part_state(base, c, i);
		if (reap_dead && st == SHMRING_PART_DEAD && reap(base, &parts[i], owner))
			n++;
		if (live && (st == SHMRING_PART_ALIVE || st == SHMRING_PART_UNKNOWN)) {
			live[0] += (role & SHMRING_PRODUCER) != 0;
			live[1] += (role & SHMRING_CONSUMER) != 0;
		}
	}
	return n;
}

static uint64_t owner_word(uint32_t role)
{
	pid_t pid = getpid();
	/* Relaxed: the tag only has to differ between claims of this process. */
	uint32_t tag = atomic_fetch_add_explicit(&claim_tag, 1, memory_order_relaxed);

	return ((uint64_t)(uint32_t)pid << 32) | ((uint64_t)(role & 0xffu) << 24) |
	       (tag & SHMRING_OWNER_TAG_MASK);
}

/*
 * Take entry p if it holds `cur` right now: 1 on success, 0 if not, -ENOMEM.
 * Two steps (layout.h): the entry is ours with SHMRING_OWNER_CLAIMING from
 * the first CAS, and judged by our pid alone until the second clears it, so
 * a judge never compares us with the start time the previous owner left.
 * Recorded as ours (held_add()) before the first, so that a judge in this
 * process never finds our word unrecorded.
 */
static int take(void *base, const struct shmring_livecache *c, uint32_t idx, uint64_t cur,
		uint64_t mine)
{
	struct shmring_part *p = &shmring__parts(base)[idx];
	uint64_t start = shmring__proc_start_time(0);
	uint64_t claiming = mine | SHMRING_OWNER_CLAIMING;

	if (held_add(c, idx, mine) < 0)
		return -ENOMEM;
	/* Acq_rel: on success our later stores follow the claim. */
	if (!atomic_compare_exchange_strong_explicit(&p->owner, &cur, claiming,
						     memory_order_acq_rel, memory_order_relaxed)) {
		held_drop(c, idx, mine, false);
		return 0;
	}
	/* Release fence: pairs with the acquire fence in
	 * shmring_participants(): a reader that loads one of the fields
	 * written below then finds the owner word changed on its re-read. */
	atomic_thread_fence(memory_order_release);
	/* Relaxed, all: published by the release CAS below. A new generation
	 * makes every claim stamped under the old one the old owner's, never
	 * ours. */
	shmring__store_relaxed(&p->start_time, start);
	shmring__store_relaxed(&p->attach_ns, realtime_ns());
	atomic_fetch_add_explicit(&p->gen, 1, memory_order_relaxed);
	shmring__store_relaxed(&p->pidns, c->pidns);
	shmring__store_relaxed(&p->image, image_self());
	shmring__store_relaxed(&p->uid, (uint32_t)geteuid());
	shmring__store_relaxed(&p->parked, 0);
	shmring__store_relaxed(&p->bell, 0);
	shmring__store_relaxed(&p->claim_end, shmring__load_relaxed(&p->claim_pos));
	/* Release: pairs with the acquire of the owner word in
	 * shmring__part_state(). A CAS, not a store: only a judge that found
	 * us dead (a forged table, or a pid gone) changes the word meanwhile,
	 * and then the entry is not ours. */
	if (atomic_compare_exchange_strong_explicit(&p->owner, &claiming, mine,
						    memory_order_release, memory_order_relaxed))
		return 1;
	held_drop(c, idx, mine, false);
	return 0;
}

/*
 * Try to take entry i for `mine`: free, reaped, or dead (reaped first). 0,
 * or -EBUSY while a live (or unjudgeable) process holds it.
 */
static int claim_one(void *base, struct shmring_livecache *c, uint32_t i, uint64_t mine)
{
	struct shmring_part *p = &shmring__parts(base)[i];

	for (int tries = 0; tries < 8; tries++) {
		/* Relaxed: take() decides with a CAS. */
		uint64_t cur = shmring__load_relaxed(&p->owner);
		uint32_t st;

		if (cur == 0 || (cur & SHMRING_OWNER_REAPED)) {
			int rc = take(base, c, i, cur, mine);

			if (rc != 0)
				return rc < 0 ? rc : 0;
			continue;
		}
		st = shmring__part_state(base, c, i);
		if (state_dead(st)) {
			reap(base, p, cur); /* a no-op when a peer reaped it first */
			continue;
		}
		/*
		 * Alive, or judged while the word changed under the judge (a
		 * peer reaping the dead owner, or the owner leaving): only an
		 * owner word still the one judged means a live holder.
		 * Relaxed: as above.
		 */
		if (shmring__load_relaxed(&p->owner) == cur)
			return -EBUSY;
	}
	return -EBUSY;
}

int shmring__part_claim(void *base, struct shmring_livecache *c, uint32_t idx, uint32_t role)
{
	return claim_one(base, c, idx, owner_word(role));
}

int shmring__part_claim_any(void *base, const struct shmring_hdr *h, struct shmring_livecache *c,
			    uint32_t role)
{
	struct shmring_part *parts = shmring__parts(base);
	uint64_t mine = owner_word(role);

	/* First the free entries: no liveness checks, no system calls. */
	for (uint32_t i = SHMRING_PART_FIRST_SHARED; i < h->max_participants; i++) {
		int rc;

		/* Relaxed: a hint; take() decides. */
		if (shmring__load_relaxed(&parts[i].owner) != 0)
			continue;
		rc = take(base, c, i, 0, mine);
		if (rc != 0)
			return rc < 0 ? rc : (int)i;
	}
	/*
	 * Then entries of processes that died, those with no claim left first:
	 * a dead claim's range is what recovery reads to know its extent.
	 */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = SHMRING_PART_FIRST_SHARED; i < h->max_participants; i++) {
			/* Relaxed, both: a preference, not a decision. */
			uint64_t cp = shmring__load_relaxed(&parts[i].claim_pos);
			uint64_t ce = shmring__load_relaxed(&parts[i].claim_end);

			if (pass == 0 && cp != ce)
				continue;
			int rc = claim_one(base, c, i, mine);

			if (rc != -EBUSY)
				return rc < 0 ? rc : (int)i;
		}
	return -EUSERS;
}

void shmring__part_release(void *base, const struct shmring_livecache *c, uint32_t idx,
			   uint32_t role, bool present)
{
	struct shmring_part *p = &shmring__parts(base)[idx];
	/* Relaxed: the CAS below decides. */
	uint64_t cur = shmring__load_relaxed(&p->owner), mine = cur;

	if (SHMRING_PART_PID(cur) != (uint32_t)held_self()) {
		held_drop(c, idx, 0, true);
		return; /* reaped and taken over: only a forged table does that */
	}
	shmring__bell_clear(base, idx);
	/* Relaxed: the entry becomes free only with the CAS below. */
	shmring__store_relaxed(&p->claim_end, shmring__load_relaxed(&p->claim_pos));
	shmring__store_relaxed(&p->start_time, 0);
	/* Relaxed: as start_time. A word later forged with our pid over this
	 * entry names no image of ours. */
	shmring__store_relaxed(&p->image, 0);
	/*
	 * Release: whatever this participant did happens before the entry is
	 * seen free. If someone judged us dead and reaped the entry, they took
	 * us off the counts already.
	 */
	if (atomic_compare_exchange_strong_explicit(&p->owner, &cur, 0, memory_order_release,
						    memory_order_relaxed) &&
	    !(cur & SHMRING_OWNER_REAPED) && present)
		presence_sub(base, role);
	/* After the entry is seen free (see shmring__part_state_of()). */
	held_drop(c, idx, mine & ~(SHMRING_OWNER_REAPED | SHMRING_OWNER_CLAIMING), false);
}
