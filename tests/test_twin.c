/* SPDX-License-Identifier: MIT */
/*
 * test_twin: a process that loads two copies of the library (this program's
 * static one and the shared one, dlopen()ed with its own symbols), and one
 * that replaces its image with execve(). An entry that names our own pid
 * and that no handle of this copy took is alive while it names our process
 * image (the other copy holds it): never taken over, its claims never
 * repaired. One left by the image execve() replaced is dead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "shmring/shmring.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The other copy's calls. */
struct twin {
	void *dl;
	int (*open)(const char *, unsigned, shmring_t **);
	int (*close)(shmring_t *);
	void *(*reserve)(shmring_t *);
	int (*commit)(shmring_t *);
	int (*try_send)(shmring_t *, const void *);
};

static struct twin twin;

static bool sym(void *fn, size_t size, const char *name)
{
	void *p = dlsym(twin.dl, name);

	if (!p || size != sizeof(p)) {
		print_message("dlsym %s: %s\n", name, p ? "unexpected size" : dlerror());
		return false;
	}
	memcpy(fn, &p, sizeof(p));
	return true;
}

static int twin_setup(void **state)
{
	const char *dir = getenv("SHMRING_BUILD_DIR");
	char path[4096];

	(void)state;
	if (!dir) {
		print_message("SHMRING_BUILD_DIR is not set: no shared library to load\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/libshmring.so", dir);
	/* Local: this program exports none of the library's symbols, so the
	 * copy's calls resolve to its own definitions and its statics (what
	 * its handles hold) are its own, as with a copy linked into another
	 * shared object. */
	twin.dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!twin.dl) {
		print_message("dlopen %s: %s\n", path, dlerror());
		return -1;
	}
	/* Function pointers from dlsym()'s object pointers, as POSIX has
	 * it: copied, not cast. */
	if (!sym(&twin.open, sizeof(twin.open), "shmring_open") ||
	    !sym(&twin.close, sizeof(twin.close), "shmring_close") ||
	    !sym(&twin.reserve, sizeof(twin.reserve), "shmring_reserve") ||
	    !sym(&twin.commit, sizeof(twin.commit), "shmring_commit") ||
	    !sym(&twin.try_send, sizeof(twin.try_send), "shmring_try_send"))
		return -1;
	/* Really another copy, not this program's functions again. */
	if (twin.open == shmring_open) {
		print_message("%s: the same shmring_open() as this program's\n", path);
		return -1;
	}
	return 0;
}

static shmring_t *create(const char *name, uint32_t kind, unsigned role)
{
	struct shmring_opts o = {.kind = kind,
				 .slot_size = 8,
				 .capacity = 16,
				 .recovery_ns = 1000000}; /* 1 ms: a repair would come soon */
	shmring_t *r = NULL;

	assert_int_equal(shmring_create(name, &o, role, &r), 0);
	return r;
}

/* The entry of our pid that the other copy holds, listed by this one. */
static void assert_listed_alive(shmring_t *r, pid_t pid)
{
	struct shmring_participant p[8];
	int n = shmring_participants(r, p, 8), found = 0;

	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		if (p[i].pid == (uint32_t)pid && (p[i].role & SHMRING_PRODUCER)) {
			assert_int_equal(p[i].state, SHMRING_PART_ALIVE);
			found++;
		}
	assert_int_equal(found, 1);
}

/* The sole producer of an SPSC ring, held by the other copy: busy here. */
static void test_twin_holds_role(void **state)
{
	const char *name = test_ring_name("twinrole");
	shmring_t *obs = create(name, SHMRING_KIND_SPSC, SHMRING_OBSERVER);
	shmring_t *b = NULL, *a = NULL;
	uint64_t v = 7;

	(void)state;
	assert_int_equal(twin.open(name, SHMRING_PRODUCER, &b), 0);
	assert_int_equal(twin.try_send(b, &v), 0);
	assert_listed_alive(obs, getpid());
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &a), -EBUSY);
	assert_int_equal(twin.close(b), 0);
	/* Given back: ours to take now. */
	assert_int_equal(shmring_open(name, SHMRING_PRODUCER, &a), 0);
	assert_int_equal(shmring_close(a), 0);
	assert_int_equal(shmring_close(obs), 0);
	assert_int_equal(shmring_unlink(name), 0);
}

/*
 * A claim the other copy holds on an MPSC ring (a reservation not yet
 * committed): this copy's consumer waits past the recovery deadline many
 * times over and repairs nothing; the commit then lands and is received.
 */
static void test_twin_claim_kept(void **state)
{
	const char *name = test_ring_name("twinclaim");
	shmring_t *rx = create(name, SHMRING_KIND_MPSC, SHMRING_CONSUMER);
	shmring_t *b = NULL;
	struct shmring_info info;
	uint64_t v = 0, *slot;

	(void)state;
	assert_non_null(twin.open); /* loaded by the test before */
	assert_int_equal(twin.open(name, SHMRING_PRODUCER, &b), 0);
	slot = (uint64_t *)twin.reserve(b);
	assert_non_null(slot);
	*slot = 0x7717;
	assert_int_equal(shmring_recv(rx, &v, shmring_deadline_in(50 * 1000000ull)), -ETIMEDOUT);
	assert_int_equal(shmring_info(rx, &info), 0);
	assert_int_equal(info.prod_repairs, 0);
	assert_int_equal(info.reaped, 0);
	assert_int_equal(twin.commit(b), 0);
	assert_int_equal(shmring_recv(rx, &v, shmring_deadline_in(1000 * 1000000ull)), 0);
	assert_int_equal(v, 0x7717);
	assert_int_equal(twin.close(b), 0);
	assert_int_equal(shmring_close(rx), 0);
	assert_int_equal(shmring_unlink(name), 0);
}

/*
 * After execve() the same pid runs another image: the entry the old one
 * left (its handle never closed) is dead to the new one, which takes the
 * role over.
 */
static void test_exec_leaves_entry(void **state)
{
	const char *name = test_ring_name("twinexec");
	shmring_t *obs = create(name, SHMRING_KIND_SPSC, SHMRING_OBSERVER);
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		shmring_t *p = NULL;
		char *argv[] = {(char *)"test_twin", (char *)"--reopen", (char *)name, NULL};

		if (shmring_open(name, SHMRING_PRODUCER, &p) != 0)
			_exit(2);
		execv("/proc/self/exe", argv);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(shmring_close(obs), 0);
	assert_int_equal(shmring_unlink(name), 0);
}

/* The new image of test_exec_leaves_entry(): 0 when it takes the role. */
static int reopen(const char *name)
{
	shmring_t *p = NULL;
	int rc = shmring_open(name, SHMRING_PRODUCER, &p);

	if (rc != 0) {
		fprintf(stderr, "reopen after execve: %d\n", rc);
		return 1;
	}
	return shmring_close(p) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	/* The fork first: each copy registers liburcu-bp's fork handlers, and
	 * a second registration deadlocks fork() (docs/INTERNALS.md). */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_leaves_entry),
		cmocka_unit_test_setup(test_twin_holds_role, twin_setup),
		cmocka_unit_test(test_twin_claim_kept),
	};

	if (argc == 3 && strcmp(argv[1], "--reopen") == 0)
		return reopen(argv[2]);
	/* The copy stays loaded to the end: its process-wide tables are
	 * reachable from its data, as a loaded library's are. */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
