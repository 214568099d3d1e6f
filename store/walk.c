/*
 * store/walk.c - reads every page of an LMDB store, in a child process, to
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WALK_SECONDS 600 /* a child still walking after this long is stopped */

/*
 * The page format of LMDB 0.9 (mdb.c: MDB_page, MDB_node, MDB_meta, MDB_db),
 * read from the file itself: what the cursor walk cannot see, the bounds a
 * writer trusts (mp_lower, mp_upper, node offsets), is checked page by page
 * from the current meta page's roots.
 */
#define PAGEHDRSZ 16
#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define P_LEAF2 0x20
#define P_SUBP 0x40
#define F_BIGDATA 0x01
#define F_SUBDATA 0x02
#define F_DUPDATA 0x04
#define P_INVALID UINT64_MAX
#define MDB_MAGIC_WORD 0xBEEFC0DEu

struct pages {
	const uint8_t *map;
	uint64_t psize, last;  /* page size; the last page in use */
	uint8_t *seen;         /* a bit per page */
	const char *why;       /* the first damage met */
	uint64_t branch, leaf, overflow, entries; /* counted in the tree being walked */
};

static uint16_t u16_at(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t u32_at(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t u64_at(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Marks page pg used; 0, or -1 (why set) when it is out of the file or used twice. */
static int take(struct pages *ps, uint64_t pg)
{
	if (pg < 2 || pg > ps->last)
		return ps->why = "a page number out of the file", -1;
	if (ps->seen[pg / 8] & (1u << (pg % 8)))
		return ps->why = "a page used twice", -1;
	ps->seen[pg / 8] |= (uint8_t)(1u << (pg % 8));
	return 0;
}

/* Checks the subtree at page pg, depth of depth (1: the root), of a tree depth deep. */
static int tree(struct pages *ps, uint64_t pg, unsigned depth, unsigned want, int main_db,
		int free_db);

static int leaf_node(struct pages *ps, const uint8_t *node, uint64_t room, int main_db,
		     int free_db)
{
	uint16_t flags = u16_at(node + 4), ksize = u16_at(node + 6);
	uint64_t dsize = (uint64_t)u16_at(node) | (uint64_t)u16_at(node + 2) << 16;
	const uint8_t *data = node + 8 + ksize;

	if (flags & F_DUPDATA)
		return ps->why = "a duplicate-data node in a table that has none", -1;
	if (flags & F_BIGDATA) {
		uint64_t ov, n;
		const uint8_t *op;

		if (8 + (uint64_t)ksize + 8 > room)
			return ps->why = "a node past its page", -1;
		ov = u64_at(data);
		if (ov < 2 || ov > ps->last)
			return ps->why = "an overflow page number out of the file", -1;
		op = ps->map + ov * ps->psize;
		n = u32_at(op + 12);
		if (u64_at(op) != ov || !(u16_at(op + 10) & P_OVERFLOW) || n == 0 ||
		    ov + n - 1 > ps->last || dsize > n * ps->psize - PAGEHDRSZ)
			return ps->why = "an overflow page that does not match its node", -1;
		for (uint64_t i = 0; i < n; i++)
			if (take(ps, ov + i) != 0)
				return -1;
		ps->overflow += n;
		data = op + PAGEHDRSZ;
	} else if (8 + (uint64_t)ksize + dsize > room) {
		return ps->why = "a node past its page", -1;
	}
	if (free_db) { /* a list of free pages: its count, then the pages */
		uint64_t n = dsize >= 8 ? u64_at(data) : 0;

		if (dsize < 8 || (n + 1) * 8 > dsize)
			return ps->why = "a free-page list of a wrong size", -1;
		for (uint64_t i = 1; i <= n; i++)
			if (u64_at(data + 8 * i) < 2 || u64_at(data + 8 * i) > ps->last)
				return ps->why = "a free page out of the file", -1;
	}
	if (main_db && (flags & F_SUBDATA)) { /* a named table: its tree */
		struct pages sub = *ps;
		uint64_t root;
		unsigned want;

		if (dsize != 48)
			return ps->why = "a table record of a wrong size", -1;
		want = u16_at(data + 6);
		root = u64_at(data + 40);
		sub.branch = sub.leaf = sub.overflow = sub.entries = 0;
		if (root != P_INVALID && (want == 0 || tree(&sub, root, 1, want, 0, 0) != 0))
			return ps->why = sub.why ? sub.why : "an empty table with a root", -1;
		if (root != P_INVALID && (sub.branch != u64_at(data + 8) ||
					  sub.leaf != u64_at(data + 16) ||
					  sub.overflow != u64_at(data + 24) ||
					  sub.entries != u64_at(data + 32)))
			return ps->why = "a table whose pages or entries are not the ones it counts", -1;
	}
	return 0;
}

static int tree(struct pages *ps, uint64_t pg, unsigned depth, unsigned want, int main_db,
		int free_db)
{
	const uint8_t *p;
	uint16_t flags, lower, upper;
	uint32_t n;

	if (depth > want || depth > 32 || take(ps, pg) != 0)
		return ps->why ? -1 : (ps->why = "a tree deeper than it says", -1);
	p = ps->map + pg * ps->psize;
	flags = u16_at(p + 10);
	lower = u16_at(p + 12);
	upper = u16_at(p + 14);
	if (u64_at(p) != pg)
		return ps->why = "a page whose header names another page", -1;
	if ((flags & (P_LEAF2 | P_SUBP | P_OVERFLOW)) || !(flags & (P_BRANCH | P_LEAF)) ||
	    ((flags & P_BRANCH) && (flags & P_LEAF)))
		return ps->why = "a page of no kind a table holds", -1;
	if (lower < PAGEHDRSZ || (lower & 1) || upper > ps->psize || lower > upper ||
	    (upper & 1))
		return ps->why = "a page whose free-space bounds are wrong", -1;
	n = (uint32_t)(lower - PAGEHDRSZ) / 2;
	if (n == 0 || ((flags & P_LEAF) != 0) != (depth == want))
		return ps->why = "a page of the wrong kind for its depth", -1;
	if (flags & P_BRANCH)
		ps->branch++;
	else
		ps->leaf++;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t ptr = u16_at(p + PAGEHDRSZ + 2 * i);
		const uint8_t *node = p + ptr;
		uint64_t room;

		if (ptr < upper || (uint64_t)ptr + 8 > ps->psize || (ptr & 1))
			return ps->why = "a node outside its page's used space", -1;
		room = ps->psize - ptr;
		if (8 + (uint64_t)u16_at(node + 6) > room)
			return ps->why = "a key past its page", -1;
		if (flags & P_BRANCH) {
			uint64_t child = (uint64_t)u16_at(node) | (uint64_t)u16_at(node + 2) << 16 |
					 (uint64_t)u16_at(node + 4) << 32;

			if (tree(ps, child, depth + 1, want, main_db, free_db) != 0)
				return -1;
		} else {
			ps->entries++;
			if (leaf_node(ps, node, room, main_db, free_db) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * Checks every page of the store's file reachable from its current meta
 * page (only that the file holds every page the meta page names, when
 * meta_only); NULL when whole, else what is wrong.
 */
static const char *pages_check(const char *dir, int meta_only)
{
	static char why[160];
	char path[4200];
	struct stat sb;
	const uint8_t *m0, *m1, *meta;
	struct pages ps;
	const char *res = NULL;
	uint8_t *map;
	int fd;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &sb) != 0 || sb.st_size < 2 * 4096) {
		if (fd >= 0)
			close(fd);
		return "its file cannot be read";
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return "its file cannot be mapped";
	ps = (struct pages){ .map = map };
	ps.psize = u32_at(map + PAGEHDRSZ + 24); /* mm_dbs[FREE_DBI].md_pad: the page size */
	m0 = map + PAGEHDRSZ;
	m1 = ps.psize >= 4096 && ps.psize <= 65536 && (uint64_t)sb.st_size >= 2 * ps.psize ?
	     map + ps.psize + PAGEHDRSZ : NULL;
	if (m1 == NULL || u32_at(m0) != MDB_MAGIC_WORD || u32_at(m1) != MDB_MAGIC_WORD) {
		res = "its meta pages are damaged";
		goto out;
	}
	meta = u64_at(m1 + 128) > u64_at(m0 + 128) ? m1 : m0; /* the later transaction */
	ps.last = u64_at(meta + 120);
	if (ps.last < 1 || (ps.last + 1) * ps.psize > (uint64_t)sb.st_size) {
		res = "its meta page names pages past the file";
		goto out;
	}
	if (meta_only)
		goto out;
	ps.seen = calloc(ps.last / 8 + 1, 1);
	for (int db = 0; db < 2 && res == NULL && ps.seen != NULL; db++) {
		const uint8_t *d = meta + 24 + 48 * db; /* mm_dbs[FREE_DBI], mm_dbs[MAIN_DBI] */
		uint64_t root = u64_at(d + 40);
		unsigned want = u16_at(d + 6);

		ps.branch = ps.leaf = ps.overflow = ps.entries = 0;
		ps.why = NULL;
		if (root == P_INVALID)
			continue;
		if (want == 0 || tree(&ps, root, 1, want, db == 1, db == 0) != 0) {
			snprintf(why, sizeof(why), "in the pages of the %s: %s",
				 db ? "main table" : "free-page table",
				 ps.why ? ps.why : "a root with no depth");
			res = why;
		} else if (ps.branch != u64_at(d + 8) || ps.leaf != u64_at(d + 16) ||
			   ps.overflow != u64_at(d + 24) || ps.entries != u64_at(d + 32)) {
			snprintf(why, sizeof(why), "in the pages of the %s: other pages or entries "
				 "than it counts", db ? "main table" : "free-page table");
			res = why;
		}
	}
	free(ps.seen);
out:
	munmap(map, (size_t)sb.st_size);
	return res;
}
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
	{
		/* A file cut short first: LMDB's own reads would die past its end. */
		const char *why = pages_check(dir, 1);

		if (why != NULL) {
			SAY("table (pages)\nbad %s\n", why);
			return 1;
		}
	}
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
	mdb_txn_abort(txn);
	{
		const char *why = pages_check(dir, 0);

		if (why != NULL) {
			SAY("table (pages)\nbad %s\n", why);
			return 1;
		}
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
			if (strcmp(table, "(pages)") == 0)
				snprintf(msg, cap, "its structure is damaged %s", line + 4);
			else
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
