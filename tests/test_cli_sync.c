/* SPDX-License-Identifier: MIT */
/*
 * test_cli_sync: the tool's ls, stat, rm and gc on the named synchronization
 * objects (shmring/sync.h), made through the API: a futex semaphore
 * (posix:), a POSIX named semaphore, a System V semaphore with a random key,
 * an event, a mutex, a condition variable, and a semaphore in a file: under
 * the temporary directory. ls lists each with its kind (text and --json),
 * stat shows a semaphore's count after posts and a mutex whose holder was
 * SIGKILLed as held by a dead owner (a forged owner word too, without
 * harm), shmring_sync_stat() agrees, rm removes each the right way (open
 * then gives -ENOENT), gc leaves them alone, a ring's System V notifier set
 * is not listed, and misuse is exit 1 or 2 with the "shmring CMD:" prefix.
 * Skipped (77) when the tool is not built.
 */
#include "test_cli_run.h"
#include "sync_helpers.h"

#include <sys/sem.h>

/* --- Names, removed at exit whatever they hold ------------------------------ */

#define NAMES_MAX 32
static char names[NAMES_MAX][600];
static int nnames;
static pid_t names_owner;

static void names_cleanup(void)
{
	if (names_owner != getpid())
		return;
	for (int i = 0; i < nnames; i++)
		shmring_sem_unlink(names[i]); /* any type, every implementation */
}

/* A fresh name: "posix:/<prefix>-<pid>-<tag>-<n>", a random System V key,
 * or a file in the temporary directory. */
static const char *name_of(const char *scheme, const char *tag)
{
	const char *prefix = getenv("SHMRING_TEST_PREFIX");
	char *slot;

	if (nnames == NAMES_MAX)
		abort();
	if (names_owner != getpid()) {
		names_owner = getpid();
		atexit(names_cleanup);
	}
	slot = names[nnames];
	if (!strcmp(scheme, "sysv")) {
		for (;;) {
			key_t k = (key_t)(0x5d000000u | ((uint32_t)rand() & 0xffffffu));

			if (shmget(k, 0, 0) < 0 && errno == ENOENT && semget(k, 0, 0) < 0 &&
			    errno == ENOENT) {
				snprintf(slot, sizeof(names[0]), "sysv:0x%08x", (unsigned)k);
				break;
			}
		}
	} else if (!strcmp(scheme, "file")) {
		snprintf(slot, sizeof(names[0]), "file:%s/%s-%d", cli_dir, tag, nnames);
	} else {
		snprintf(slot, sizeof(names[0]), "posix:/%s-%d-%s-%d",
			 prefix && *prefix ? prefix : "shmt", (int)getpid(), tag, nnames);
	}
	nnames++;
	return slot;
}

/* The object of name in an ls or stat JSON array (or NULL). */
static const char *json_obj(const char *out, const char *name)
{
	char want[700];

	snprintf(want, sizeof(want), "{\"name\":\"%s\"", name);
	return strstr(out, want);
}

/* The part of one JSON object (up to its closing brace: our objects nest
 * none) in a static buffer. */
static const char *obj_text(const char *obj)
{
	static char buf[2048];
	const char *end = strchr(obj, '}');
	size_t n = end ? (size_t)(end - obj + 1) : strlen(obj);

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, obj, n);
	buf[n] = '\0';
	return buf;
}

/* Run the tool with an argument vector; cli_out and cli_err hold what it
 * wrote. Its exit status. */
static int run_args(const char *const *args)
{
	int st = test_wait_pid(cli_start(NULL, cli_out_path, cli_err_path, args), 60000);

	if (test_read_file(cli_out_path, cli_out, sizeof(cli_out)) < 0)
		cli_out[0] = '\0';
	if (test_read_file(cli_err_path, cli_err, sizeof(cli_err)) < 0)
		cli_err[0] = '\0';
	return st;
}

/* --- The objects ------------------------------------------------------------- */

enum { FSEM, PSEM, SSEM, EVENT, MUTEX, COND, FILESEM, NOBJ };

static const char *obj_name[NOBJ];
static const char *const obj_type[NOBJ] = {"sem", "sem", "sem", "event", "mutex", "cond", "sem"};
static const char *const obj_kind[NOBJ] = {"sem-futex", "sem-posix", "sem-sysv", "event-manual",
					   "mutex", "cond", "sem-futex"};
static shmring_sem_t *sems[NOBJ];
static shmring_event_t *event;
static shmring_mutex_t *mutex;
static shmring_cond_t *cond;

static void make_objects(void)
{
	struct shmring_sync_opts o = {0};

	obj_name[FSEM] = name_of("posix", "fsem");
	obj_name[PSEM] = name_of("posix", "psem");
	obj_name[SSEM] = name_of("sysv", NULL);
	obj_name[EVENT] = name_of("posix", "event");
	obj_name[MUTEX] = name_of("posix", "mutex");
	obj_name[COND] = name_of("posix", "cond");
	obj_name[FILESEM] = name_of("file", "fsem");
	assert_int_equal(shmring_sem_create(obj_name[FSEM], NULL, &sems[FSEM]), 0);
	o.impl = SHMRING_SEM_POSIX;
	o.value = 2;
	assert_int_equal(shmring_sem_create(obj_name[PSEM], &o, &sems[PSEM]), 0);
	o.impl = SHMRING_SEM_SYSV;
	o.value = 5;
	o.mode = 0640;
	assert_int_equal(shmring_sem_create(obj_name[SSEM], &o, &sems[SSEM]), 0);
	memset(&o, 0, sizeof(o));
	o.flags = SHMRING_SYNC_MANUAL_RESET;
	assert_int_equal(shmring_event_create(obj_name[EVENT], &o, &event), 0);
	assert_int_equal(shmring_mutex_create(obj_name[MUTEX], NULL, &mutex), 0);
	assert_int_equal(shmring_cond_create(obj_name[COND], NULL, &cond), 0);
	assert_int_equal(shmring_sem_create(obj_name[FILESEM], NULL, &sems[FILESEM]), 0);
}

static void close_objects(void)
{
	for (int i = 0; i < NOBJ; i++) {
		shmring_sem_close(sems[i]);
		sems[i] = NULL;
	}
	shmring_event_close(event);
	shmring_mutex_close(mutex);
	shmring_cond_close(cond);
	event = NULL;
	mutex = NULL;
	cond = NULL;
}

/* ls --json of our objects (the --match patterns of each, and the temporary
 * directory as a PATH): exit 0 and one JSON array. */
static void ls_ours(bool json)
{
	const char *args[40];
	int n = 0;

	args[n++] = "ls";
	if (json)
		args[n++] = "--json";
	for (int i = 0; i < NOBJ; i++) {
		args[n++] = "--match";
		args[n++] = obj_name[i];
	}
	args[n++] = cli_dir;
	args[n] = NULL;
	assert_int_equal(run_args(args), 0);
	if (json && cli_json_top_count(cli_out) != NOBJ)
		fail_msg("ls --json: not an array of %d: %s", NOBJ, cli_out);
}

/* Each kind is listed with its type and kind; text too. */
static void test_ls(void **state)
{
	char want[200];

	(void)state;
	make_objects();
	ls_ours(true);
	for (int i = 0; i < NOBJ; i++) {
		const char *obj = json_obj(cli_out, obj_name[i]);

		if (!obj)
			fail_msg("%s not listed: %s", obj_name[i], cli_out);
		obj = obj_text(obj);
		snprintf(want, sizeof(want), "\"type\":\"%s\",\"kind\":\"%s\"", obj_type[i],
			 obj_kind[i]);
		cli_assert_contains(obj, want);
	}
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[PSEM])), "\"value\":2");
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[PSEM])), "\"waiters\":null");
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[SSEM])), "\"value\":5");
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[SSEM])), "\"mode\":\"0640\"");
	snprintf(want, sizeof(want), "\"creator_pid\":%d", (int)getpid());
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[SSEM])), want);
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[MUTEX])), "\"locked\":false");
	/* Text: the second table, with the kinds. */
	ls_ours(false);
	cli_assert_contains(cli_out, "STATE");
	cli_assert_contains(cli_out, "WAITERS");
	for (int i = 0; i < NOBJ; i++) {
		cli_assert_contains(cli_out, obj_name[i]);
		cli_assert_contains(cli_out, obj_kind[i]);
	}
	cli_assert_contains(cli_out, "count 5");
	cli_assert_lacks(cli_out, "CAPACITY"); /* no ring among them: no rings' table */
}

/* stat: a semaphore's count after posts; an event set; text and JSON; the
 * library's view agrees. */
static void test_stat(void **state)
{
	struct shmring_sync_info in;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(shmring_sem_post(sems[FSEM]), 0);
	assert_int_equal(shmring_sem_post(sems[PSEM]), 0);
	assert_int_equal(shmring_sem_post(sems[SSEM]), 0);
	assert_int_equal(shmring_event_set(event), 0);
	assert_int_equal(cli_run("stat", obj_name[FSEM], NULL), 0);
	cli_assert_contains(cli_out, "semaphore (futex");
	cli_assert_contains(cli_out, "count         3\n");
	assert_int_equal(cli_run("stat", "--json", obj_name[FSEM], NULL), 0);
	assert_int_equal(cli_json_top_count(cli_out), 1);
	cli_assert_contains(cli_out, "\"type\":\"sem\",\"kind\":\"sem-futex\",\"impl\":\"futex\","
				     "\"value\":3,\"waiters\":0");
	assert_int_equal(cli_run("stat", "--json", obj_name[PSEM], obj_name[SSEM],
				 obj_name[EVENT], obj_name[COND], obj_name[FILESEM], NULL),
			 0);
	assert_int_equal(cli_json_top_count(cli_out), 5);
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[PSEM])), "\"value\":3");
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[SSEM])), "\"value\":6");
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[EVENT])),
			    "\"set\":true,\"manual\":true");
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[COND])), "\"type\":\"cond\"");
	cli_assert_contains(obj_text(json_obj(cli_out, obj_name[FILESEM])), "\"value\":0");
	assert_int_equal(cli_run("stat", obj_name[EVENT], obj_name[SSEM], NULL), 0);
	cli_assert_contains(cli_out, "event, manual reset");
	cli_assert_contains(cli_out, "System V semaphore set");
	cli_assert_contains(cli_out, "count         6\n");
	/* The library. */
	assert_int_equal(shmring_sync_stat(obj_name[FSEM], 0, &in), 0);
	assert_int_equal(in.type, SHMRING_SYNC_TYPE_SEM);
	assert_int_equal(in.impl, SHMRING_SEM_FUTEX);
	assert_int_equal(in.value, 3);
	assert_int_equal(in.creator_pid, (uint32_t)getpid());
	assert_int_equal(in.owner_uid, (uint32_t)geteuid());
	assert_int_equal(in.mode, 0600);
	assert_int_equal(shmring_sync_stat(obj_name[PSEM], 0, &in), 0);
	assert_int_equal(in.impl, SHMRING_SEM_POSIX);
	assert_true(in.flags & SHMRING_SYNC_INFO_WAITERS_UNKNOWN);
	assert_int_equal(shmring_sync_stat(obj_name[EVENT], SHMRING_SYNC_NOWAIT, &in), 0);
	assert_int_equal(in.type, SHMRING_SYNC_TYPE_EVENT);
	assert_int_equal(in.value, 1);
	assert_true(in.flags & SHMRING_SYNC_INFO_MANUAL);
	assert_int_equal(shmring_sync_stat(obj_name[FSEM], 1u << 20, &in), -EINVAL);
	assert_int_equal(shmring_sync_stat(obj_name[FSEM], 0, NULL), -EINVAL);
	/* stat took nothing: the count is as it was. */
	{
		uint32_t v;

		assert_int_equal(shmring_sem_value(sems[FSEM], &v), 0);
		assert_int_equal(v, 3);
	}
	/* A ring and sync objects in one array. */
	{
		const char *ring = test_ring_name("mixed");

		assert_int_equal(cli_run("create", ring, NULL), 0);
		assert_int_equal(cli_run("stat", "--json", ring, obj_name[MUTEX], NULL), 0);
		assert_int_equal(cli_json_top_count(cli_out), 2);
		cli_assert_contains(cli_out, "\"backend\":\"posix\"");
		cli_assert_contains(cli_out, "\"type\":\"mutex\"");
		assert_int_equal(shmring_sync_stat(ring, 0, &in), -SHMRING_EKIND);
		assert_int_equal(cli_run("rm", ring, NULL), 0);
	}
	assert_int_equal(shmring_sync_stat(test_ring_name("none"), 0, &in), -ENOENT);
}

/* A mutex: held by this thread (alive, our pid), then by a SIGKILLed child
 * (dead), then with a forged owner word. */
static int child_locks(void *arg)
{
	int fd = *(int *)arg;
	shmring_mutex_t *m;

	if (shmring_mutex_open(obj_name[MUTEX], NULL, &m) != 0 || shmring_mutex_lock(m) != 0)
		return SH_CFAIL(1, "cannot lock %s", obj_name[MUTEX]);
	if (write(fd, "x", 1) != 1)
		return 1;
	for (;;)
		pause();
}

static void test_mutex(void **state)
{
	struct shmring_sync_info in;
	char want[200], path[600], c;
	int fds[2];
	pid_t pid;

	(void)state;
	assert_int_equal(shmring_mutex_lock(mutex), 0);
	assert_int_equal(shmring_sync_stat(obj_name[MUTEX], 0, &in), 0);
	assert_int_equal(in.type, SHMRING_SYNC_TYPE_MUTEX);
	assert_int_equal(in.value, 1);
	assert_int_equal(in.holder_state, SHMRING_SYNC_HOLDER_ALIVE);
	assert_int_equal(in.holder_tid, (uint32_t)getpid()); /* the main thread */
	assert_int_equal(in.holder_pid, (uint32_t)getpid());
	assert_int_equal(cli_run("stat", "--json", obj_name[MUTEX], NULL), 0);
	snprintf(want, sizeof(want), "\"locked\":true,\"holder\":\"alive\",\"holder_tid\":%d",
		 (int)getpid());
	cli_assert_contains(cli_out, want);
	assert_int_equal(shmring_mutex_unlock(mutex), 0);

	assert_int_equal(pipe(fds), 0);
	pid = sh_fork(child_locks, &fds[1], 20);
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	kill(pid, SIGKILL);
	assert_int_equal(sh_join(pid, 10), 128 + SIGKILL);
	assert_int_equal(cli_run("stat", obj_name[MUTEX], NULL), 0);
	snprintf(want, sizeof(want), "held by thread %d", (int)pid);
	cli_assert_contains(cli_out, want);
	cli_assert_contains(cli_out, "dead");
	assert_int_equal(cli_run("stat", "--json", obj_name[MUTEX], NULL), 0);
	snprintf(want, sizeof(want), "\"locked\":true,\"holder\":\"dead\",\"holder_tid\":%d",
		 (int)pid);
	cli_assert_contains(cli_out, want);
	ls_ours(false);
	cli_assert_contains(cli_out, "(dead)");
	/* The looks changed nothing: the next locker takes it over. */
	assert_int_equal(shmring_mutex_trylock(mutex), -EOWNERDEAD);
	assert_int_equal(shmring_sync_stat(obj_name[MUTEX], 0, &in), 0);
	assert_true(in.flags & SHMRING_SYNC_INFO_OWNER_DIED);
	assert_int_equal(in.holder_state, SHMRING_SYNC_HOLDER_ALIVE);
	assert_int_equal(shmring_mutex_consistent(mutex), 0);
	assert_int_equal(shmring_mutex_unlock(mutex), 0);

	/* Forged: a thread id no thread can have, and stray bits. */
	{
		uint64_t forged = (UINT64_C(0xffffffff) << 32) | UINT64_C(0x7fffff8) | 1u;
		int fd;

		snprintf(path, sizeof(path), "/dev/shm/%s", obj_name[MUTEX] + 7);
		fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, &forged, sizeof(forged), 128), (ssize_t)sizeof(forged));
		assert_int_equal(shmring_sync_stat(obj_name[MUTEX], 0, &in), 0);
		assert_int_equal(in.holder_tid, 0xffffffffu);
		assert_int_equal(in.holder_state, SHMRING_SYNC_HOLDER_DEAD);
		assert_int_equal(in.holder_pid, 0);
		assert_int_equal(cli_run("stat", obj_name[MUTEX], NULL), 0);
		cli_assert_contains(cli_out, "dead");
		forged = 0;
		assert_int_equal(pwrite(fd, &forged, sizeof(forged), 128), (ssize_t)sizeof(forged));
		close(fd);
	}
}

/* gc leaves them; a ring's System V notifier is not listed. */
static void test_gc_and_notifier(void **state)
{
	const char *ring = test_ring_name("notified");
	const char *sring = cli_sysv_name();
	const char *args[40];
	int n = 0;

	(void)state;
	args[n++] = "gc";
	args[n++] = "--json";
	for (int i = 0; i < NOBJ; i++) {
		args[n++] = "--match";
		args[n++] = obj_name[i];
	}
	args[n++] = cli_dir;
	args[n] = NULL;
	assert_int_equal(run_args(args), 0);
	assert_string_equal(cli_out, "[]\n");
	for (int i = 0; i < NOBJ; i++)
		assert_int_equal(shmring_sync_stat(obj_name[i], 0, &(struct shmring_sync_info){0}),
				 0);
	assert_int_equal(cli_run("create", "--notifier", "sysvsem", ring, NULL), 0);
	assert_int_equal(cli_run("create", "--notifier", "sysvsem", sring, NULL), 0);
	assert_int_equal(cli_run("ls", "--json", "--match", "sysv:*", "--match", ring, NULL), 0);
	assert_true(cli_json_top_count(cli_out) >= 0);
	cli_assert_lacks(cli_out, "sysv:0x00000000");
	{
		char want[200];

		/* The sysv: ring is listed as a ring, once. */
		snprintf(want, sizeof(want), "{\"name\":\"%s\",\"type\":\"ring\"", sring);
		cli_assert_contains(cli_out, want);
		cli_assert_lacks(strstr(cli_out, want) + 1, want);
	}
	assert_int_equal(cli_run("rm", ring, sring, NULL), 0);
}

/* rm removes each kind; open then says -ENOENT. */
static void test_rm(void **state)
{
	shmring_sem_t *s;
	shmring_event_t *e;
	shmring_mutex_t *m;
	shmring_cond_t *c;

	(void)state;
	close_objects();
	for (int i = 0; i < NOBJ; i++) {
		if (cli_run("rm", obj_name[i], NULL) != 0)
			fail_msg("rm %s: %s", obj_name[i], cli_err);
		assert_string_equal(cli_err, "");
	}
	assert_int_equal(shmring_sem_open(obj_name[FSEM], NULL, &s), -ENOENT);
	assert_int_equal(shmring_sem_open(obj_name[PSEM], NULL, &s), -ENOENT);
	assert_int_equal(shmring_sem_open(obj_name[SSEM], NULL, &s), -ENOENT);
	assert_int_equal(shmring_sem_open(obj_name[FILESEM], NULL, &s), -ENOENT);
	assert_int_equal(shmring_event_open(obj_name[EVENT], NULL, &e), -ENOENT);
	assert_int_equal(shmring_mutex_open(obj_name[MUTEX], NULL, &m), -ENOENT);
	assert_int_equal(shmring_cond_open(obj_name[COND], NULL, &c), -ENOENT);
	{
		key_t k = (key_t)strtoul(obj_name[SSEM] + 5, NULL, 16);

		assert_true(semget(k, 0, 0) < 0 && errno == ENOENT);
	}
	/* ls no longer lists them. */
	assert_int_equal(cli_run("ls", "--json", "--match", obj_name[FSEM], "--match",
				 obj_name[PSEM], "--match", obj_name[SSEM], cli_dir, NULL),
			 0);
	assert_string_equal(cli_out, "[]\n");
	/* Removed again: no such thing. */
	assert_int_equal(cli_run("rm", obj_name[PSEM], NULL), 1);
	cli_assert_contains(cli_err, "shmring rm: ");
	/* --force too, for each kind of semaphore. */
	{
		struct shmring_sync_opts o = {.impl = SHMRING_SEM_POSIX};

		assert_int_equal(shmring_sem_create(obj_name[PSEM], &o, &s), 0);
		shmring_sem_close(s);
		o.impl = SHMRING_SEM_SYSV;
		assert_int_equal(shmring_sem_create(obj_name[SSEM], &o, &s), 0);
		shmring_sem_close(s);
		assert_int_equal(shmring_event_create(obj_name[EVENT], NULL, &e), 0);
		shmring_event_close(e);
		assert_int_equal(cli_run("rm", "--force", obj_name[PSEM], obj_name[SSEM],
					 obj_name[EVENT], NULL),
				 0);
		assert_int_equal(shmring_sem_open(obj_name[PSEM], NULL, &s), -ENOENT);
		assert_int_equal(shmring_sem_open(obj_name[SSEM], NULL, &s), -ENOENT);
		assert_int_equal(shmring_event_open(obj_name[EVENT], NULL, &e), -ENOENT);
	}
}

/* Misuse, and objects that only look like ours. */
static void test_misuse(void **state)
{
	const char *foreign = name_of("sysv", NULL);
	const char *notsem = name_of("posix", "notsem");
	key_t k = (key_t)strtoul(foreign + 5, NULL, 16);
	struct shmring_sync_info in;
	char path[600];
	int id, fd;

	(void)state;
	assert_int_equal(cli_run("stat", NULL), 2);
	cli_assert_contains(cli_err, "usage: shmring stat");
	assert_int_equal(cli_run("rm", NULL), 2);
	cli_assert_contains(cli_err, "usage: shmring rm");
	assert_int_equal(cli_run("ls", "--match", NULL), 2);
	cli_assert_contains(cli_err, "shmring ls: ");
	assert_int_equal(cli_run("stat", "--jsn", obj_name[FSEM], NULL), 2);
	cli_assert_contains(cli_err, "shmring stat: unknown option '--jsn'");
	assert_int_equal(cli_run("stat", "posix:/a/b", NULL), 1);
	cli_assert_contains(cli_err, "shmring stat: posix:/a/b: ");
	/* Another program's System V set of two: not ours, left alone. */
	id = semget(k, 2, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	assert_int_equal(semctl(id, 1, SETVAL, 7), 0); /* not our marker */
	assert_int_equal(shmring_sync_stat(foreign, 0, &in), -SHMRING_EBADMAGIC);
	assert_int_equal(cli_run("stat", foreign, NULL), 1);
	cli_assert_contains(cli_err, "shmring stat: ");
	assert_int_equal(cli_run("rm", foreign, NULL), 1);
	cli_assert_contains(cli_err, "shmring rm: ");
	cli_assert_contains(cli_err, "another program");
	assert_int_equal(cli_run("ls", "--json", "--match", foreign, NULL), 0);
	assert_string_equal(cli_out, "[]\n");
	assert_true(semget(k, 0, 0) == id);
	semctl(id, 0, IPC_RMID);
	/* A file sem.NAME that is no semaphore (the wrong size). */
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", notsem + 7);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	/* Longer than a sem_t (a shorter one is -SHMRING_ETRUNCATED). */
	assert_int_equal(write(fd, "0123456789012345678901234567890123456789", 40), 40);
	close(fd);
	assert_int_equal(shmring_sync_stat(notsem, 0, &in), -SHMRING_EBADMAGIC);
	assert_int_equal(cli_run("rm", notsem, NULL), 1);
	cli_assert_contains(cli_err, "shmring rm: ");
	cli_assert_contains(cli_err, "--force");
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(cli_run("rm", "--force", notsem, NULL), 0);
	assert_true(access(path, F_OK) < 0);
	/* A missing name, as a ring's. */
	assert_int_equal(cli_run("stat", "--json", obj_name[FSEM], NULL), 1);
	cli_assert_contains(cli_err, "shmring stat: ");
}

/* One name, one object: a ring is not made where a POSIX named or a System
 * V semaphore has the name (their file or set lies apart from a segment),
 * and put and get say what the name is. */
static void test_ring_over_semaphore(void **state)
{
	const char *sem_names[2] = {name_of("posix", "oversem"), name_of("sysv", NULL)};
	const uint32_t impls[2] = {SHMRING_SEM_POSIX, SHMRING_SEM_SYSV};

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct shmring_sync_opts o = {.impl = impls[i]};
		shmring_sem_t *s;

		assert_int_equal(shmring_sem_create(sem_names[i], &o, &s), 0);
		assert_int_equal(cli_run("create", sem_names[i], NULL), 1);
		cli_assert_contains(cli_err, "the name is taken by a semaphore, not a ring");
		assert_int_equal(cli_run("create", "--open-existing", sem_names[i], NULL), 1);
		cli_assert_contains(cli_err, "the name is taken by a semaphore, not a ring");
		assert_int_equal(cli_run("get", "-n", "1", sem_names[i], NULL), 1);
		cli_assert_contains(cli_err, "a semaphore, not a ring");
		/* The bridge, too, names what is there (its engine has no
		 * words of its own for it). */
		assert_int_equal(cli_run("bridge", "--timeout", "1", sem_names[i],
					 "unix:/nonexistent-dir/b.sock", NULL),
				 1);
		cli_assert_contains(cli_err, "a semaphore, not a ring");
		assert_int_equal(cli_run("stat", sem_names[i], NULL), 0);
		cli_assert_lacks(cli_out, "capacity");
		assert_int_equal(shmring_sem_close(s), 0);
		assert_int_equal(cli_run("rm", sem_names[i], NULL), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ls),
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_mutex),
		cmocka_unit_test(test_gc_and_notifier),
		cmocka_unit_test(test_rm),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_ring_over_semaphore),
	};

	srand((unsigned)getpid() ^ (unsigned)test_now_ns());
	alarm(120);
	cli_setup();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
