/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cmd_ls.c - `shmring ls` and `shmring gc`: every ring and named
 * synchronization object on the machine (POSIX segments and named
 * semaphores in /dev/shm, System V segments and semaphore sets, and the
 * files and directories named), and every bridge's status object, what each
 * holds and who uses it; gc removes the stale rings (see
 * shmring_cli_use_of() for the rule) and the stale bridge status objects
 * (see bridge.h), and never a synchronization object.
 */
#include "bench/bench.h" /* shmring_bench_json_str() */
#include "cli/args.h"
#include "cli/bridge.h"
#include "cli/cli.h"
#include "cli/probe.h"
#include "cli/sync_show.h"
#include "shmring/shmring.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHM_DIR SHMRING_CLI_SHM_DIR
#define SYSV_LIST "/proc/sysvipc/shm"
#define SYSV_SEM_LIST "/proc/sysvipc/sem"
#define PSEM_PREFIX "sem." /* glibc's file of the POSIX named semaphore /NAME: sem.NAME */
/* gc leaves a ring younger than this: its creator may still be attaching. */
#define GC_YOUNG_NS (2 * 1000000000ull)
#define PIDS_SHOWN 4 /* pids listed per column in the text table */
#define MATCH_MAX 16

/* --match patterns: a name is looked at when it matches one (or none is given). */
struct match {
	const char *pat[MATCH_MAX];
	char lit[MATCH_MAX][NAME_MAX + 8]; /* a literal name in the form listed */
	int n;
};

/*
 * A pattern without wildcards that names a ring as the other commands take
 * it, written the way ls lists it: "/NAME" as "posix:/NAME", and a System
 * V key in any base, or by its key file (sysv:@/PATH#ID), as the zero-padded
 * hex of the list ("sysv:0x00001234").
 * Else the pattern as given.
 */
static const char *match_literal(const char *pat, char *buf, size_t size)
{
	key_t key;

	if (strpbrk(pat, "*?[\\"))
		return pat;
	if (pat[0] == '/' && strlen(pat) + sizeof("posix:") <= size) {
		snprintf(buf, size, "posix:%s", pat);
		return buf;
	}
	if (strncmp(pat, "sysv:", 5) == 0 && (key = shmring_cli_sysv_key(pat + 5)) != 0) {
		snprintf(buf, size, "sysv:0x%08" PRIx32, (uint32_t)key);
		return buf;
	}
	return pat;
}

static int match_add(const char *cmd, struct match *m, const char *pat)
{
	if (m->n == MATCH_MAX) {
		fprintf(stderr, "shmring %s: at most %d --match patterns\n", cmd, MATCH_MAX);
		return 2;
	}
	/* A literal that no listed name can ever be is a mistake, said. */
	if (!*pat) {
		fprintf(stderr, "shmring %s: --match '': an empty pattern matches no name\n", cmd);
		return 2;
	}
	if (!strncmp(pat, "sysv:", 5) && !strpbrk(pat, "*?[\\") &&
	    shmring_cli_sysv_key(pat + 5) == 0) {
		fprintf(stderr, "shmring %s: --match '%s': not a System V key (decimal or 0x hex, "
				"1..0xffffffff, or @PATH[#ID] of an existing file)\n",
			cmd, pat);
		return 2;
	}
	m->pat[m->n] = match_literal(pat, m->lit[m->n], sizeof(m->lit[m->n]));
	m->n++;
	return 0;
}

static bool matches(const struct match *m, const char *uri)
{
	for (int i = 0; i < m->n; i++)
		if (fnmatch(m->pat[i], uri, 0) == 0)
			return true;
	return m->n == 0;
}

/* The names to look at, in order, each with whether it was named on the
 * command line (then "not a ring" is an error, not silence). */
struct name {
	char *uri;
	char *shown; /* what errors call it: the path given, or the URI */
	char *alt;   /* /dev/shm/sem.NAME: posix:/NAME, the POSIX semaphore it may be */
	bool named;
};

struct names {
	struct name *v;
	size_t n, cap;
};

static int names_add(struct names *s, const char *uri, const char *shown, const char *alt,
		     bool named)
{
	struct name *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct name *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n];
	e->uri = strdup(uri);
	e->shown = strdup(shown ? shown : uri);
	e->alt = alt ? strdup(alt) : NULL;
	e->named = named;
	if (!e->uri || !e->shown || (alt && !e->alt)) {
		free(e->uri);
		free(e->shown);
		free(e->alt);
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].uri);
		free(s->v[i].shown);
		free(s->v[i].alt);
	}
	free(s->v);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A name the library takes after "posix:/": [A-Za-z0-9._-]{1,200}, not . or .. */
static bool posix_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > 200 || !strcmp(n, ".") || !strcmp(n, ".."))
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '.' || *n == '_' || *n == '-'))
			return false;
	return true;
}

/* The regular files of dir (not recursive, links not followed), sorted. */
static int dir_files(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;
	int rc = 0;

	*n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "",
				     e->d_name) >= sizeof(path) ||
		    lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[*n] = strdup(e->d_name))) {
			rc = -ENOMEM;
			break;
		}
		(*n)++;
	}
	closedir(d);
	if (v)
		qsort(v, *n, sizeof(*v), by_name);
	*out = v;
	return rc;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every POSIX segment whose name the library can open; sem.NAME may also
 * be the POSIX named semaphore posix:/NAME. */
static int add_posix(struct names *s)
{
	char **v, uri[256], alt[256];
	size_t n;
	int rc = dir_files(SHM_DIR, &v, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *sem = v[i] + strlen(PSEM_PREFIX);
		bool psem = !strncmp(v[i], PSEM_PREFIX, strlen(PSEM_PREFIX)) && posix_name_ok(sem);

		if (!posix_name_ok(v[i]))
			continue;
		snprintf(uri, sizeof(uri), "posix:/%s", v[i]);
		if (psem)
			snprintf(alt, sizeof(alt), "posix:/%s", sem);
		rc = names_add(s, uri, NULL, psem ? alt : NULL, false);
	}
	strv_free(v, n);
	return rc == -ENOENT ? 0 : rc; /* no /dev/shm: no POSIX rings */
}

static int by_key(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct keys {
	uint32_t *v;
	size_t n, cap;
};

/*
 * The keys of a /proc/sysvipc list (IPC_PRIVATE ones have no name: a ring's
 * notifier set among them); sems: only the sets of two semaphores, the size
 * of shmring's. 0 or -ENOMEM.
 */
static int read_keys(const char *list, bool sems, struct keys *k)
{
	FILE *f = fopen(list, "re");
	char line[512];
	int rc = 0;

	if (!f)
		return 0; /* no System V IPC in this kernel or namespace */
	if (!fgets(line, sizeof(line), f)) /* the header line */
		line[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		long long key; /* printed as a signed int */
		unsigned long long nsems = 0;
		int got = sscanf(line, "%lld %*d %*o %llu", &key, &nsems);

		if (got < 1 || key == 0 || (sems && (got != 2 || nsems != 2)))
			continue;
		if (k->n == k->cap) {
			size_t cap = k->cap ? k->cap * 2 : 32;
			uint32_t *nk = realloc(k->v, cap * sizeof(*nk));

			if (!nk) {
				rc = -ENOMEM;
				break;
			}
			k->v = nk;
			k->cap = cap;
		}
		k->v[k->n++] = (uint32_t)key;
	}
	fclose(f);
	return rc;
}

/* Every System V segment and semaphore set of two with a key, once per key
 * (a segment and a set with one key: the name is the segment's). */
static int add_sysv(struct names *s)
{
	struct keys k = {0};
	char uri[32];
	int rc = read_keys(SYSV_LIST, false, &k);

	if (rc == 0)
		rc = read_keys(SYSV_SEM_LIST, true, &k);
	if (k.v)
		qsort(k.v, k.n, sizeof(*k.v), by_key);
	for (size_t i = 0; rc == 0 && i < k.n; i++) {
		if (i && k.v[i] == k.v[i - 1])
			continue;
		snprintf(uri, sizeof(uri), "sysv:0x%08" PRIx32, k.v[i]);
		rc = names_add(s, uri, NULL, NULL, false);
	}
	free(k.v);
	return rc;
}

/* A file or directory named on the command line: 0, or 1 (said why). */
static int add_path(const char *cmd, struct names *s, const char *arg)
{
	char real[PATH_MAX], uri[PATH_MAX + 8];
	const char *path = arg;
	struct stat st;

	/* A file: ring's name, as ls lists it and the other commands take it. */
	if (!strncmp(arg, "file:", 5))
		path = arg + 5;
	if (!realpath(path, real) || stat(real, &st) < 0) {
		enum shmring_cli_scheme sc = shmring_cli_scheme(arg);
		int e = errno;

		/* A ring's own name ("/orders", "sysv:KEY") is no path. */
		if (e == ENOENT && (sc == SHMRING_CLI_POSIX || sc == SHMRING_CLI_SYSV) &&
		    path == arg)
			fprintf(stderr, "shmring %s: %s: no such file or directory (PATH is a "
					"file or directory; a ring by its name: --match %s)\n",
				cmd, arg, arg);
		else
			fprintf(stderr, "shmring %s: %s: %s\n", cmd, arg, strerror(e));
		return 1;
	}
	if (S_ISREG(st.st_mode)) {
		snprintf(uri, sizeof(uri), "file:%s", real);
		if (names_add(s, uri, arg, NULL, true) < 0)
			goto nomem;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		char **v;
		size_t n;
		int rc = dir_files(real, &v, &n);

		for (size_t i = 0; rc == 0 && i < n; i++) {
			if ((size_t)snprintf(uri, sizeof(uri), "file:%s/%s",
					     strcmp(real, "/") ? real : "", v[i]) < sizeof(uri))
				rc = names_add(s, uri, NULL, NULL, false);
		}
		strv_free(v, n);
		if (rc == -ENOMEM)
			goto nomem;
		if (rc < 0) {
			fprintf(stderr, "shmring %s: %s: %s\n", cmd, arg, strerror(-rc));
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "shmring %s: %s: not a regular file or a directory\n", cmd, arg);
	return 1;
nomem:
	fprintf(stderr, "shmring %s: out of memory\n", cmd);
	return 1;
}

/* Everything ls and gc look at: 0, 1 (some path failed, said) or 2 (no memory). */
static int gather(const char *cmd, struct names *s, char **paths, int npaths)
{
	int status = 0;

	if (add_posix(s) < 0 || add_sysv(s) < 0) {
		fprintf(stderr, "shmring %s: out of memory\n", cmd);
		return 2;
	}
	for (int i = 0; i < npaths; i++)
		status |= add_path(cmd, s, paths[i]);
	return status;
}

/* Whether a look found something ls shows. */
static bool shown(const struct shmring_cli_look *lk)
{
	return lk->what == SHMRING_CLI_RING || lk->what == SHMRING_CLI_BAD_RING ||
	       lk->what == SHMRING_CLI_SYNC || lk->what == SHMRING_CLI_BAD_SYNC;
}

/*
 * What one name is; *lk is filled (and must be freed) when it is to be
 * shown: a ring or a synchronization object, or a segment that carries
 * either's mark but fails. A name given on the command line that is neither
 * is an error. A file sem.NAME in /dev/shm that is nothing of the sort as
 * posix:/sem.NAME is looked at as posix:/NAME, a POSIX named semaphore
 * (only: under that name, anything else is listed as itself).
 */
static bool look_one(const char *cmd, const struct names *s, size_t i, const struct match *m,
		     struct shmring_cli_look *lk, int *status)
{
	const struct name *e = &s->v[i];
	bool alt = e->alt && matches(m, e->alt);
	shmring_cli_bus_name(e->shown); /* the ring a SIGBUS's message names */
	if (matches(m, e->uri)) {
		shmring_cli_look(e->uri, lk);
		if (shown(lk))
			return true;
		if (e->named) {
			char b[SHMRING_CLI_PRINTABLE_MAX];

			fprintf(stderr, "shmring %s: %s: %s\n", cmd,
				shmring_cli_printable(b, sizeof(b), e->shown),
				lk->why ? lk->why : shmring_strerror(lk->err));
			*status = 1;
		}
		alt = alt && lk->what == SHMRING_CLI_NOT_RING;
		shmring_cli_look_done(lk);
	}
	if (!alt)
		return false;
	shmring_cli_look(e->alt, lk);
	if (lk->what == SHMRING_CLI_SYNC && lk->sync.impl == SHMRING_SEM_POSIX)
		return true;
	shmring_cli_look_done(lk);
	return false;
}

/* "12s", "5m", "3h", "2d". */
static const char *age(char *buf, size_t size, uint64_t ctime_ns)
{
	uint64_t now = shmring_cli_realtime_ns();
	uint64_t s = now > ctime_ns ? (now - ctime_ns) / 1000000000u : 0;

	if (s < 120)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 120 * 60)
		snprintf(buf, size, "%" PRIu64 "m", s / 60);
	else if (s < 48 * 3600)
		snprintf(buf, size, "%" PRIu64 "h", s / 3600);
	else
		snprintf(buf, size, "%" PRIu64 "d", s / 86400);
	return buf;
}

static bool is_dead(const struct shmring_participant *p)
{
	return p->state == SHMRING_PART_DEAD || p->state == SHMRING_PART_REAPED;
}

/* "N (pid,pid,...)" of the entries alive (dead: the others). */
static const char *pids(char *buf, size_t size, const struct shmring_cli_look *lk, bool dead)
{
	unsigned n = 0, shown = 0;
	size_t at;

	for (int i = 0; i < lk->np; i++)
		n += is_dead(&lk->p[i]) == dead;
	at = (size_t)snprintf(buf, size, "%u", n);
	for (int i = 0; i < lk->np && at < size; i++) {
		if (is_dead(&lk->p[i]) != dead)
			continue;
		if (shown == PIDS_SHOWN) {
			at += (size_t)snprintf(buf + at, size - at, ",...");
			break;
		}
		at += (size_t)snprintf(buf + at, size - at, "%s%u", shown ? "," : " (",
				       lk->p[i].pid);
		shown++;
	}
	if (shown && at < size)
		snprintf(buf + at, size - at, ")");
	return buf;
}

static void json_pids(const struct shmring_cli_look *lk, bool dead)
{
	bool first = true;

	printf("[");
	for (int i = 0; i < lk->np; i++) {
		if (is_dead(&lk->p[i]) != dead)
			continue;
		printf("%s%u", first ? "" : ",", lk->p[i].pid);
		first = false;
	}
	printf("]");
}

static void ls_json(const struct shmring_cli_look *lk, bool first)
{
	char kb[16], user[64];
	const struct shmring_info *in = &lk->in;

	printf("%s", first ? "" : ",");
	if (lk->what == SHMRING_CLI_SYNC) {
		shmring_cli_sync_json(lk->uri, &lk->sync);
		return;
	}
	printf("{\"name\":");
	shmring_bench_json_str(stdout, lk->uri);
	if (lk->what != SHMRING_CLI_RING) {
		printf(",\"error\":");
		shmring_bench_json_str(stdout, shmring_strerror(lk->err));
		printf(",\"type\":\"%s\"}", lk->what == SHMRING_CLI_BAD_SYNC ? "sync" : "ring");
		return;
	}
	printf(",\"type\":\"ring\",\"kind\":\"%s\",\"capacity\":%" PRIu64
	       ",\"slot_size\":%u,\"count\":%" PRIu64
	       ",\"alive\":",
	       shmring_cli_kind_label(in, kb, sizeof(kb)), in->capacity, in->slot_size, lk->count);
	json_pids(lk, false);
	printf(",\"dead\":");
	json_pids(lk, true);
	printf(",\"owner_uid\":%u,\"owner\":", in->owner_uid);
	shmring_bench_json_str(stdout, shmring_cli_user(in->owner_uid, user, sizeof(user)));
	printf(",\"mode\":\"%04o\",\"ctime_ns\":%" PRIu64 ",\"use\":\"%s\",\"stale\":%s}", in->mode,
	       in->ctime_ns, shmring_cli_use_name(lk->use),
	       lk->use == SHMRING_CLI_STALE ? "true" : "false");
}

/* One row of the text table, as cells. */
enum { C_NAME, C_KIND, C_CAP, C_SLOT, C_FILL, C_ALIVE, C_DEAD, C_OWNER, C_MODE, C_AGE, C_USE,
       NCOL };

static const char *const heads[NCOL] = {"NAME", "KIND",  "CAPACITY", "SLOT", "FILL", "ALIVE",
					"DEAD", "OWNER", "MODE",     "AGE",  "USE"};

struct row {
	char cell[NCOL][96];
	char *error; /* for a ring the library refuses: the rest of the line */
	char *last;  /* when set, the last column's text (longer than a cell) */
};

static void ls_row(const struct shmring_cli_look *lk, struct row *w)
{
	const struct shmring_info *in = &lk->in;
	char kb[16];
	bool msg = in->kind == SHMRING_KIND_MSG;

	memset(w, 0, sizeof(*w));
	shmring_cli_printable(w->cell[C_NAME], sizeof(w->cell[0]), lk->uri);
	if (lk->what != SHMRING_CLI_RING) {
		w->error = (char *)shmring_strerror(lk->err);
		return;
	}
	snprintf(w->cell[C_KIND], sizeof(w->cell[0]), "%s",
		 shmring_cli_kind_label(in, kb, sizeof(kb)));
	/* A message ring counts bytes, not messages: say so. */
	snprintf(w->cell[C_CAP], sizeof(w->cell[0]), "%" PRIu64 "%s", in->capacity, msg ? "B" : "");
	snprintf(w->cell[C_SLOT], sizeof(w->cell[0]), "%u", in->slot_size);
	snprintf(w->cell[C_FILL], sizeof(w->cell[0]), "%" PRIu64 "/%" PRIu64 "%s", lk->count,
		 in->capacity, msg ? "B" : "");
	pids(w->cell[C_ALIVE], sizeof(w->cell[0]), lk, false);
	pids(w->cell[C_DEAD], sizeof(w->cell[0]), lk, true);
	shmring_cli_user(in->owner_uid, w->cell[C_OWNER], sizeof(w->cell[0]));
	snprintf(w->cell[C_MODE], sizeof(w->cell[0]), "%04o", in->mode);
	age(w->cell[C_AGE], sizeof(w->cell[0]), in->ctime_ns);
	snprintf(w->cell[C_USE], sizeof(w->cell[0]), "%s", shmring_cli_use_name(lk->use));
}

/* The synchronization objects' table: its own columns. */
enum { S_NAME, S_KIND, S_STATE, S_WAITERS, S_OWNER, S_MODE, S_AGE, SNCOL };
_Static_assert((int)SNCOL <= (int)NCOL, "a row holds either table's cells");

static const char *const sync_heads[SNCOL] = {"NAME",  "KIND", "STATE", "WAITERS",
					      "OWNER", "MODE", "AGE"};

static void sync_row(const struct shmring_cli_look *lk, struct row *w)
{
	const struct shmring_sync_info *in = &lk->sync;

	memset(w, 0, sizeof(*w));
	shmring_cli_printable(w->cell[S_NAME], sizeof(w->cell[0]), lk->uri);
	if (lk->what != SHMRING_CLI_SYNC) {
		w->error = (char *)shmring_strerror(lk->err);
		return;
	}
	snprintf(w->cell[S_KIND], sizeof(w->cell[0]), "%s", shmring_cli_sync_kind(in));
	shmring_cli_sync_state(in, w->cell[S_STATE], sizeof(w->cell[0]));
	shmring_cli_sync_waiters(in, w->cell[S_WAITERS], sizeof(w->cell[0]));
	shmring_cli_user(in->owner_uid, w->cell[S_OWNER], sizeof(w->cell[0]));
	snprintf(w->cell[S_MODE], sizeof(w->cell[0]), "%04o", in->mode);
	age(w->cell[S_AGE], sizeof(w->cell[0]), in->ctime_ns);
}

static void ls_table(const char *const *head, int ncol, const struct row *rows, size_t n)
{
	size_t width[NCOL];

	for (int c = 0; c < ncol; c++)
		width[c] = strlen(head[c]);
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < ncol; c++)
			if (strlen(rows[i].cell[c]) > width[c])
				width[c] = strlen(rows[i].cell[c]);
	for (int c = 0; c < ncol; c++)
		printf("%-*s%s", c + 1 < ncol ? (int)width[c] : 0, head[c],
		       c + 1 < ncol ? "  " : "\n");
	for (size_t i = 0; i < n; i++) {
		if (rows[i].error) {
			printf("%-*s  error: %s\n", (int)width[0], rows[i].cell[0],
			       rows[i].error);
			continue;
		}
		for (int c = 0; c < ncol; c++)
			printf("%-*s%s", c + 1 < ncol ? (int)width[c] : 0,
			       c + 1 == ncol && rows[i].last ? rows[i].last : rows[i].cell[c],
			       c + 1 < ncol ? "  " : "\n");
	}
}

/* ----------------------------------------------- bridges' status objects */

/* The bridges' status objects, one table of their own. */
enum { B_NAME, B_STATE, B_PID, B_FORWARDED, B_LOST, B_OWNER, B_MODE, B_STARTED, B_ROUTE, BNCOL };
_Static_assert((int)BNCOL <= (int)NCOL, "a row holds the bridges' cells");

static const char *const bridge_heads[BNCOL] = {"NAME", "STATE", "PID",	    "FORWARDED",
						"LOST", "OWNER", "MODE",    "STARTED",
						"FROM -> TO"};

/*
 * The NAMEs of the files SHM_DIR/shmring-bridge.NAME whose bridge:NAME the
 * patterns match, sorted (what is in them is looked at later). 0 or
 * -ENOMEM; an SHM_DIR that cannot be read has none.
 */
static int bridge_names(const struct match *m, char ***out, size_t *n)
{
	const size_t plen = strlen(SHMRING_BRIDGE_STATUS_PREFIX);
	char **v = NULL, uri[NAME_MAX + 8];
	size_t nv, k = 0;
	int rc = dir_files(SHM_DIR, &v, &nv);

	for (size_t i = 0; i < nv; i++) {
		bool keep = !strncmp(v[i], SHMRING_BRIDGE_STATUS_PREFIX, plen) && v[i][plen];

		if (keep) {
			snprintf(uri, sizeof(uri), "bridge:%s", v[i] + plen);
			keep = matches(m, uri);
		}
		if (keep) {
			memmove(v[i], v[i] + plen, strlen(v[i] + plen) + 1);
			v[k++] = v[i];
		} else {
			free(v[i]);
		}
	}
	*out = v;
	*n = k;
	return rc == -ENOMEM ? rc : 0;
}

static void bridge_row(const char *name, const struct shmring_bridge_info *in, struct row *w)
{
	const size_t rl = 4 * (strlen(in->from) + strlen(in->to)) + 5;
	char ago[16];

	memset(w, 0, sizeof(*w));
	memcpy(w->cell[B_NAME], "bridge:", 7);
	shmring_cli_printable(w->cell[B_NAME] + 7, sizeof(w->cell[0]) - 7, name);
	snprintf(w->cell[B_STATE], sizeof(w->cell[0]), "%s",
		 shmring_bridge_state(in->running, in->transient));
	snprintf(w->cell[B_PID], sizeof(w->cell[0]), "%u", in->pid);
	snprintf(w->cell[B_FORWARDED], sizeof(w->cell[0]), "%" PRIu64, in->c.forwarded);
	snprintf(w->cell[B_LOST], sizeof(w->cell[0]), "%" PRIu64, in->c.lost);
	shmring_cli_user(in->uid, w->cell[B_OWNER], sizeof(w->cell[0]));
	snprintf(w->cell[B_MODE], sizeof(w->cell[0]), "%04o", in->mode);
	snprintf(w->cell[B_STARTED], sizeof(w->cell[0]), "%s ago",
		 age(ago, sizeof(ago), in->started_ns));
	/* FROM and TO are up to 256 bytes each: more than a cell. */
	w->last = malloc(rl);
	if (w->last) {
		size_t n = strlen(shmring_cli_printable(w->last, rl, in->from));

		memcpy(w->last + n, " -> ", 5);
		shmring_cli_printable(w->last + n + 4, rl - n - 4, in->to);
	}
}

static void bridge_json(const char *name, const struct shmring_bridge_info *in, bool first)
{
	const struct shmring_bridge_counts *c = &in->c;
	char uri[NAME_MAX + 8], user[64];

	snprintf(uri, sizeof(uri), "bridge:%s", name);
	printf("%s{\"name\":", first ? "" : ",");
	shmring_bench_json_str(stdout, uri);
	printf(",\"type\":\"bridge\",\"state\":\"%s\",\"running\":%s,\"pid\":%u,\"from\":",
	       shmring_bridge_state(in->running, in->transient), in->running ? "true" : "false",
	       in->pid);
	shmring_bench_json_str(stdout, in->from);
	printf(",\"to\":");
	shmring_bench_json_str(stdout, in->to);
	printf(",\"forwarded\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"duplicates\":%" PRIu64
	       ",\"reconnects\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"in_doubt\":%" PRIu64
	       ",\"unsequenced\":%" PRIu64 ",\"senders\":%" PRIu64 ",\"restarts\":%" PRIu64
	       ",\"replayed\":%" PRIu64,
	       c->forwarded, c->lost, c->duplicates, c->reconnects, c->errors, c->in_doubt,
	       c->unsequenced, c->senders, c->restarts, c->replayed);
	printf(",\"owner_uid\":%u,\"owner\":", in->uid);
	shmring_bench_json_str(stdout, shmring_cli_user(in->uid, user, sizeof(user)));
	printf(",\"mode\":\"%04o\",\"started_ns\":%" PRIu64 "}", in->mode, in->started_ns);
}

static void ls_usage(FILE *f)
{
	fprintf(f, "usage: shmring ls [--json] [--match PATTERN]... [PATH...]\n\n"
		   "List every ring, named synchronization object (semaphore, event, mutex,\n"
		   "condition variable) and bridge's status object on the machine: the POSIX\n"
		   "segments in " SHM_DIR ", the POSIX named semaphores there\n"
		   "(" SHM_DIR "/sem.NAME, listed as posix:/NAME), the System V segments and\n"
		   "semaphore sets of shmring's with a key, and each file PATH (file: names) and\n"
		   "each regular file in each directory PATH (not recursive). Other objects are\n"
		   "not listed; a segment that carries the shmring mark but that the library\n"
		   "refuses is listed with the reason. Objects of other users are listed when\n"
		   "they can be read. A POSIX named semaphore carries no mark: those of other\n"
		   "programs are listed too.\n\n"
		   "Rings: NAME (its URI), KIND, CAPACITY (slots; msg: bytes), SLOT (bytes;\n"
		   "msg: the largest record), FILL (in the ring / capacity), ALIVE and DEAD (the\n"
		   "participants, with pids), OWNER, MODE, AGE (since creation), and USE:\n"
		   "  live     a participant is alive (or in another pid namespace)\n"
		   "  unused   nobody has attached to it in a role yet (a new ring)\n"
		   "  waiting  nobody is alive, and messages wait for a first consumer\n"
		   "  stale    participants attached once, and none of them is alive\n"
		   "Synchronization objects, in a second table: NAME, KIND (sem-futex, sem-posix,\n"
		   "sem-sysv, event-manual, event-auto, mutex, cond), STATE (a semaphore's count,\n"
		   "an event set or clear, a mutex free or held by a thread, alive or dead, a\n"
		   "condition variable's signal count), WAITERS (? where it cannot be told),\n"
		   "OWNER, MODE, AGE.\n"
		   "Bridges' status objects ('shmring bridge', " SHM_DIR "/shmring-bridge.NAME),\n"
		   "in a third table: NAME (bridge:NAME), STATE, PID (the bridge running it, or\n"
		   "that ran it last), FORWARDED, LOST, OWNER, MODE, STARTED (its last run's\n"
		   "start), FROM -> TO. STATE is one of:\n"
		   "  running  a bridge holds it now\n"
		   "  kept     made by --name and kept after the bridge: a bridge started by that\n"
		   "           name resumes every sender's sequence from it ('shmring rm\n"
		   "           bridge:NAME' removes it)\n"
		   "  stale    left by a bridge without --name that did not exit: no run resumes\n"
		   "           it ('shmring gc' removes it)\n\n"
		   "      --json           one JSON array, an object a name: \"type\" is \"ring\"\n"
		   "                       (with \"stale\": true or false), \"sem\", \"event\",\n"
		   "                       \"mutex\" or \"cond\" (as 'shmring stat --json' shows\n"
		   "                       them), or \"bridge\" (with \"state\", \"running\",\n"
		   "                       \"pid\", \"from\", \"to\" and the counts); a refused\n"
		   "                       one: \"name\", \"error\" and \"type\" (\"ring\" or\n"
		   "                       \"sync\")\n"
		   "  -m, --match PATTERN  only names (URIs) that match the shell pattern, e.g.\n"
		   "                       'posix:/myapp-*' (several: any of them); a name\n"
		   "                       without wildcards as the other commands take it\n"
		   "                       ('/NAME', 'sysv:KEY' in decimal or hex) matches\n"
		   "                       that object; an empty pattern, or a sysv: one\n"
		   "                       without wildcards that is no key, is refused\n");
}

/* What ls and gc take, parsed once for both. */
struct scan {
	bool json, dry;
	struct match match;
	struct names names;
};

/*
 * Parse ls's or gc's options (gc also takes --dry-run) and gather the names:
 * -1 to go on, or the exit status (the usage shown, or an error said).
 * *status is 1 when a PATH could not be looked at.
 */
static int scan_start(const char *cmd, int argc, char **argv, void (*usage)(FILE *),
		      struct scan *sc, int *status)
{
	static const struct option lo[] = {{"json", no_argument, 0, 'j'},
					   {"match", required_argument, 0, 'm'},
					   {"dry-run", no_argument, 0, 'n'},
					   {"help", no_argument, 0, 'h'},
					   {0, 0, 0, 0}};
	struct option mine[5];
	bool gc = !strcmp(cmd, "gc");
	int c, n = 0;

	/* ls has no --dry-run: leave it out of what getopt (and its
	 * suggestions) know. */
	for (const struct option *o = lo; o->name; o++)
		if (gc || o->val != 'n')
			mine[n++] = *o;
	mine[n] = (struct option){0, 0, 0, 0};
	memset(sc, 0, sizeof(*sc));
	optind = 0;
	while ((c = shmring_cli_getopt(cmd, argc, argv, gc ? "nm:h" : "m:h", mine)) != -1) {
		switch (c) {
		case 'j':
			sc->json = true;
			break;
		case 'n':
			sc->dry = true;
			break;
		case 'm':
			if (match_add(cmd, &sc->match, optarg))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	*status = gather(cmd, &sc->names, argv + optind, argc - optind);
	if (*status == 2) {
		names_free(&sc->names);
		return 1;
	}
	return -1;
}

int shmring_cmd_ls(int argc, char **argv)
{
	struct scan sc;
	struct names *s = &sc.names;
	struct row *rows = NULL, *srows = NULL, *brows = NULL;
	size_t nrows = 0, nsync = 0, nb = 0, nbrows = 0;
	char **bn = NULL;
	int rc, status = 0;

	rc = scan_start("ls", argc, argv, ls_usage, &sc, &status);
	if (rc >= 0)
		return rc;
	if (bridge_names(&sc.match, &bn, &nb) < 0 ||
	    (!sc.json && s->n &&
	     (!(rows = calloc(s->n, sizeof(*rows))) || !(srows = calloc(s->n, sizeof(*srows))))) ||
	    (!sc.json && nb && !(brows = calloc(nb, sizeof(*brows))))) {
		fprintf(stderr, "shmring ls: out of memory\n");
		free(rows);
		free(srows);
		strv_free(bn, nb);
		names_free(s);
		return 1;
	}
	if (sc.json)
		printf("[");
	for (size_t i = 0; i < s->n; i++) {
		struct shmring_cli_look lk;
		bool sync;

		if (!look_one("ls", s, i, &sc.match, &lk, &status))
			continue;
		sync = lk.what == SHMRING_CLI_SYNC || lk.what == SHMRING_CLI_BAD_SYNC;
		if (sc.json)
			ls_json(&lk, nrows + nsync == 0);
		else if (sync)
			sync_row(&lk, &srows[nsync]);
		else
			ls_row(&lk, &rows[nrows]);
		*(sync ? &nsync : &nrows) += 1;
		shmring_cli_look_done(&lk);
	}
	for (size_t i = 0; i < nb; i++) {
		struct shmring_bridge_info in;

		/* What is not a bridge's status object (a FIFO, another
		 * program's file of that name) is not listed, as ever. */
		if (shmring_bridge_look(bn[i], &in) < 0)
			continue;
		if (sc.json)
			bridge_json(bn[i], &in, nrows + nsync + nbrows == 0);
		else
			bridge_row(bn[i], &in, &brows[nbrows]);
		nbrows++;
	}
	if (sc.json) {
		printf("]\n");
	} else {
		/* The rings' table, as ever (headings alone when there is
		 * nothing at all); the synchronization objects' and the
		 * bridges' after it. */
		if (nrows || (!nsync && !nbrows))
			ls_table(heads, NCOL, rows, nrows);
		if (nrows && nsync)
			printf("\n");
		if (nsync)
			ls_table(sync_heads, SNCOL, srows, nsync);
		if ((nrows || nsync) && nbrows)
			printf("\n");
		if (nbrows)
			ls_table(bridge_heads, BNCOL, brows, nbrows);
	}
	for (size_t i = 0; i < nbrows && brows; i++)
		free(brows[i].last);
	free(rows);
	free(srows);
	free(brows);
	strv_free(bn, nb);
	names_free(s);
	return status;
}

static void gc_usage(FILE *f)
{
	fprintf(f, "usage: shmring gc [--dry-run] [--json] [--match PATTERN]... [PATH...]\n\n"
		   "Remove the stale rings among those 'shmring ls' lists (the same PATH\n"
		   "arguments): rings that participants attached to once and none of whose\n"
		   "participants is alive, even with messages left in them. Never removed: a\n"
		   "ring with a participant alive or in another pid namespace, one that nobody\n"
		   "has attached to yet (as 'shmring create' leaves it), one whose messages wait\n"
		   "for a first consumer, one created less than 2 s ago, and one the library\n"
		   "refuses. A ring is judged again under its lock, which each process taking\n"
		   "a role holds while it attaches: one that attached meanwhile keeps the ring.\n"
		   "A System V segment has no lock: a process that attaches between the look\n"
		   "and the removal keeps its mapping of the removed segment. A ring whose lock\n"
		   "stays held (a process stopped while attaching) is not removed, and said so.\n"
		   "Synchronization objects (semaphores, events,\n"
		   "mutexes, condition variables) are never removed: nothing records who uses\n"
		   "them ('shmring rm' removes one by name). A bridge's status object is removed\n"
		   "when stale (left by a bridge without --name that did not exit: no run\n"
		   "resumes it), never when kept by --name: it holds every sender's sequence,\n"
		   "which a bridge started by that name resumes ('shmring rm bridge:NAME'\n"
		   "removes it).\n\n"
		   "  -n, --dry-run        say what would be removed, remove nothing\n"
		   "      --json           one JSON array: {\"name\", \"removed\" (or\n"
		   "                       \"would_remove\"), \"dead\": [pids], and \"error\" when\n"
		   "                       removing failed}; a bridge's \"name\" is bridge:NAME\n"
		   "  -m, --match PATTERN  only names (URIs) that match the shell pattern, e.g.\n"
		   "                       'posix:/myapp-*' (several: any of them); a name\n"
		   "                       without wildcards as the other commands take it\n"
		   "                       ('/NAME', 'sysv:KEY' in decimal or hex) matches\n"
		   "                       that object; an empty pattern, or a sysv: one\n"
		   "                       without wildcards that is no key, is refused\n\n"
		   "Each removal is one line on standard output. With nothing stale to remove,\n"
		   "nothing is printed (--json: []) and the exit status is 0. Exit status 1: a\n"
		   "removal failed, or a PATH could not be looked at; 2 usage.\n");
}

int shmring_cmd_gc(int argc, char **argv)
{
	struct scan sc;
	struct names *s = &sc.names;
	bool first = true;
	char **bn = NULL;
	size_t nb = 0;
	int rc, status = 0;

	rc = scan_start("gc", argc, argv, gc_usage, &sc, &status);
	if (rc >= 0)
		return rc;
	if (bridge_names(&sc.match, &bn, &nb) < 0) {
		fprintf(stderr, "shmring gc: out of memory\n");
		names_free(s);
		return 1;
	}
	if (sc.json)
		printf("[");
	for (size_t i = 0; i < s->n; i++) {
		struct shmring_cli_look lk;
		char dead[96], shown[SHMRING_CLI_PRINTABLE_MAX];
		int err = 0;

		if (!look_one("gc", s, i, &sc.match, &lk, &status))
			continue;
		/* Synchronization objects are never stale: nothing records who
		 * uses them. */
		if (lk.what != SHMRING_CLI_RING || lk.use != SHMRING_CLI_STALE ||
		    shmring_cli_realtime_ns() < lk.in.ctime_ns + GC_YOUNG_NS) {
			shmring_cli_look_done(&lk);
			continue;
		}
		pids(dead, sizeof(dead), &lk, true);
		/* Our own handle goes first: the name is what is removed. */
		shmring_close(lk.r);
		lk.r = NULL;
		if (!sc.dry)
			err = shmring_cli_remove_stale(lk.uri, &lk.obj);
		if (err == -EADDRINUSE || err == -ENOENT) {
			shmring_cli_look_done(&lk);
			continue; /* joined since the look, or removed by another */
		}
		shmring_cli_printable(shown, sizeof(shown), lk.uri);
		if (err < 0) {
			fprintf(stderr, "shmring gc: %s: %s\n", shown,
				err == -ESTALE ? "another object took that name meanwhile; not "
						"removed"
				: err == -EBUSY ? "a process holds its lock (one joining it, or "
						  "stopped while joining); not removed"
						: shmring_strerror(err));
			status = 1;
		}
		if (sc.json) {
			printf("%s{\"name\":", first ? "" : ",");
			shmring_bench_json_str(stdout, lk.uri);
			printf(",\"%s\":%s,\"dead\":", sc.dry ? "would_remove" : "removed",
			       err < 0 ? "false" : "true");
			json_pids(&lk, true);
			if (err < 0) {
				printf(",\"error\":");
				shmring_bench_json_str(stdout, err == -ESTALE  ? "replaced meanwhile"
							       : err == -EBUSY ? "locked by a joiner"
									       : shmring_strerror(err));
			}
			printf("}");
			first = false;
		} else if (err == 0) {
			printf("%s %s: participants dead %s\n", sc.dry ? "would remove" : "removed",
			       shown, dead);
		}
		shmring_cli_look_done(&lk);
	}
	for (size_t i = 0; i < nb; i++) {
		struct shmring_bridge_info in;
		int err = 0;

		/* A stale one only: a kept one holds every sender's sequence,
		 * which a bridge restarted by its name resumes. */
		if (shmring_bridge_look(bn[i], &in) < 0 || in.running || !in.transient)
			continue;
		if (!sc.dry) {
			err = shmring_bridge_remove(bn[i], true, &in);
			/* Run again, taken by a bridge of that name, or gone,
			 * since the look: not stale any more. */
			if (err == -EBUSY || err == -ECANCELED || err == -ENOENT)
				continue;
		}
		if (err < 0) {
			fprintf(stderr, "shmring gc: bridge:%s: %s\n", bn[i], strerror(-err));
			status = 1;
		}
		if (sc.json) {
			printf("%s{\"name\":\"bridge:%s\",\"%s\":%s,\"dead\":[%u]",
			       first ? "" : ",", bn[i], sc.dry ? "would_remove" : "removed",
			       err < 0 ? "false" : "true", in.pid);
			if (err < 0) {
				printf(",\"error\":");
				shmring_bench_json_str(stdout, strerror(-err));
			}
			printf("}");
			first = false;
		} else if (err == 0) {
			printf("%s bridge:%s: stale, left by a bridge without --name that did "
			       "not exit (pid %u)\n",
			       sc.dry ? "would remove" : "removed", bn[i], in.pid);
		}
	}
	if (sc.json)
		printf("]\n");
	strv_free(bn, nb);
	names_free(s);
	return status;
}
