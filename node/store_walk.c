/*
 * store_walk.c - reads every page of an LMDB store, in a child process, to
 * tell a store whose B-tree structure is damaged from a whole one.
 *
 * LMDB keeps no page checksums (lmdb.h, "Caveats"): a flipped bit in a
 * page header or a node header is not an error it reports but wrong
 * offsets it follows, and a process that follows them may read garbage,
 * loop or crash.  The values Kartoteka stores carry their own hashes and
 * signatures; the structure that holds them does not.  So the store is
 * read whole by a child first: it walks every table in key order, checks
 * that the keys come in order and that it meets as many entries as the
 * table says it holds, and touches every byte.  Whatever happens to the
 * child (an LMDB error, a crash, a loop stopped by its alarm) the caller
 * gets one line saying which table, and the store is not written to.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WALK_SECONDS 600 /* a child still walking after this long is stopped */
#define WALK_TABLES 64   /* tables read at most (the stores have 16) */

/* The child: writes "table NAME\n" as it starts each, then "ok\n" or "bad WHAT\n". */
static int walk_child(const char *dir, int fd)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi main_dbi;
	MDB_cursor *names;
	MDB_val k, v;
	char line[256];
	int rc, ntables = 0;
	uint8_t sum = 0;

#define SAY(...) do { int n_ = snprintf(line, sizeof(line), __VA_ARGS__); \
	if (write(fd, line, (size_t)n_) < 0) return 3; } while (0)
	alarm(WALK_SECONDS);
	if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_maxdbs(env, WALK_TABLES)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &main_dbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, main_dbi, &names)) != 0) {
		SAY("cannot %s\n", mdb_strerror(rc));
		return 2;
	}
	/* The main table names the others; bounded by WALK_TABLES. */
	for (rc = mdb_cursor_get(names, &k, &v, MDB_FIRST); rc == 0 && ntables < WALK_TABLES;
	     rc = mdb_cursor_get(names, &k, &v, MDB_NEXT), ntables++) {
		char name[128];
		MDB_dbi dbi;
		MDB_stat stat;
		MDB_cursor *cur;
		MDB_val pk = { 0, NULL }, pv = { 0, NULL }, ek, ev;
		unsigned int flags;
		size_t seen = 0;
		int erc;

		if (k.mv_size == 0 || k.mv_size >= sizeof(name)) {
			SAY("bad a table name of %zu bytes in the main table\n", k.mv_size);
			return 1;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		SAY("table %s\n", name);
		if ((erc = mdb_dbi_open(txn, name, 0, &dbi)) != 0 ||
		    (erc = mdb_dbi_flags(txn, dbi, &flags)) != 0 ||
		    (erc = mdb_stat(txn, dbi, &stat)) != 0 ||
		    (erc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
			SAY("bad %s\n", mdb_strerror(erc));
			return 1;
		}
		/* Bounded: a table holding more entries than it says is damaged. */
		for (erc = mdb_cursor_get(cur, &ek, &ev, MDB_FIRST); erc == 0;
		     erc = mdb_cursor_get(cur, &ek, &ev, MDB_NEXT)) {
			int c = seen == 0 ? 1 : mdb_cmp(txn, dbi, &pk, &ek);

			if (seen > 0 && (c > 0 || (c == 0 && (!(flags & MDB_DUPSORT) ||
							      mdb_dcmp(txn, dbi, &pv, &ev) >= 0)))) {
				SAY("bad its keys are out of order after %zu entries\n", seen);
				return 1;
			}
			for (size_t i = 0; i < ek.mv_size; i++)
				sum ^= ((const uint8_t *)ek.mv_data)[i];
			for (size_t i = 0; i < ev.mv_size; i++)
				sum ^= ((const uint8_t *)ev.mv_data)[i];
			pk = ek;
			pv = ev;
			if (++seen > stat.ms_entries) {
				SAY("bad it holds more entries than the %zu it counts\n",
				    (size_t)stat.ms_entries);
				return 1;
			}
		}
		if (erc != MDB_NOTFOUND) {
			SAY("bad %s after %zu entries\n", mdb_strerror(erc), seen);
			return 1;
		}
		if (seen != stat.ms_entries) {
			SAY("bad it holds %zu entries, not the %zu it counts\n", seen,
			    (size_t)stat.ms_entries);
			return 1;
		}
		mdb_cursor_close(cur);
	}
	if (rc != MDB_NOTFOUND && rc != 0) {
		SAY("table (main)\nbad %s\n", mdb_strerror(rc));
		return 1;
	}
	SAY("ok %u\n", (unsigned)sum); /* the sum only makes every byte read */
	mdb_env_close(env); /* the reader slot goes with the process */
#undef SAY
	return 0;
}

int kt_store_walk(const char *dir, char *msg, size_t cap)
{
	char buf[4096], table[160] = "(main)", *line;
	size_t got = 0;
	int fds[2], status = 0, verdict = 0;
	pid_t pid;

	snprintf(buf, sizeof(buf), "%s/data.mdb", dir);
	msg[0] = '\0';
	if (access(buf, F_OK) != 0)
		return 0; /* no store: opening it says so */
	snprintf(msg, cap, "could not check the store's structure");
	if (pipe(fds) != 0)
		return -1;
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		close(fds[0]);
		if (devnull >= 0) /* LMDB's own assertion text: the caller says it in one line */
			dup2(devnull, STDERR_FILENO);
		_exit(walk_child(dir, fds[1]));
	}
	close(fds[1]);
	/* Bounded by the pipe's end: the child's exit (or its alarm) closes it. */
	for (;;) {
		ssize_t n = read(fds[0], buf + got, sizeof(buf) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(buf) - 1) { /* keep the last lines */
			memmove(buf, buf + got / 2, got - got / 2);
			got -= got / 2;
		}
	}
	close(fds[0]);
	buf[got] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strncmp(line, "table ", 6) == 0) {
			snprintf(table, sizeof(table), "%s", line + 6);
		} else if (strncmp(line, "bad ", 4) == 0) {
			snprintf(msg, cap, "its structure is damaged in table %s: %s", table,
				 line + 4);
			verdict = 1;
		} else if (strncmp(line, "cannot ", 7) == 0) {
			snprintf(msg, cap, "it cannot be opened: %s", line + 7);
			verdict = 1;
		} else if (strncmp(line, "ok", 2) == 0) {
			msg[0] = '\0';
			verdict = 1;
		}
	}
	/*
	 * No verdict: the child died on the way -- by a signal, or by a
	 * sanitizer's exit after the crash it caught.
	 */
	if (WIFSIGNALED(status) || (!verdict && WIFEXITED(status) && WEXITSTATUS(status) != 3)) {
		snprintf(msg, cap, "its structure is damaged in table %s: reading it %s", table,
			 WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? "did not end" :
			 "crashed");
		return 1;
	}
	if (!WIFEXITED(status))
		return -1;
	switch (WEXITSTATUS(status)) {
	case 0:
		return msg[0] == '\0' ? 0 : -1;
	case 1:
		return 1;
	case 2:
		return 1; /* a store LMDB cannot open (a damaged meta page, a bad file) */
	default:
		return -1;
	}
}
