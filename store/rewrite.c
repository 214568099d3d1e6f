/*
 * store/rewrite.c - the store written again into a fresh file after an
 * erasure (docs/PRIVACY.md, "Erasure": the rewrite).  LMDB leaves the bytes
 * of freed pages, and the stale bytes inside pages still in use, in
 * data.mdb; a compacting copy (mdb_env_copy2, MDB_CP_COMPACT) copies each
 * page whole, stale bytes and all.  So every named table is put, entry by
 * entry in key order (MDB_APPEND), into a new environment, whose pages
 * LMDB fills from zeroed memory (no MDB_NOMEMINIT), and the new file is
 * renamed over data.mdb.
 *
 * Who holds the store: every opener takes a shared open-file-description
 * lock (F_OFD_SETLKW, F_RDLCK) on one byte of lock.mdb far past the range
 * LMDB locks itself (byte 0), before LMDB opens the environment, and
 * holds it until it closes.  The rewrite upgrades it to an exclusive lock
 * without waiting (F_OFD_SETLK, F_WRLCK: POSIX record locks convert
 * atomically, and a refused upgrade keeps the shared lock), so it runs only
 * while no other process (or other open of this process) holds the store;
 * otherwise it stays due (meta "rewrite_due", in the old file) and is tried
 * again at the next close or daemon tick.  A crash before the rename
 * leaves the old file whole, the flag set and a folder rewrite.tmp that
 * the next open removes; after the rename the new file is the store (it
 * never holds the flag).
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_AT (1ll << 40)      /* the byte of lock.mdb the store's openers lock */
#define COPY_TXN_PUTS 50000      /* entries put per transaction of the copy */

static int lock_op(int fd, short type, int wait)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = LOCK_AT, .l_len = 1 };
	int rc;

	do
		rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
	while (rc != 0 && errno == EINTR && wait);
	return rc;
}

static void tmp_path(char *out, size_t cap, const char *dir, const char *name)
{
	snprintf(out, cap, "%s/rewrite.tmp%s%s", dir, name[0] ? "/" : "", name);
}

/* Removes what a rewrite that stopped left (its folder), when no rewrite runs. */
static void tmp_remove(const char *dir)
{
	char p[4200];

	tmp_path(p, sizeof(p), dir, "data.mdb");
	unlink(p);
	tmp_path(p, sizeof(p), dir, "lock.mdb");
	unlink(p);
	tmp_path(p, sizeof(p), dir, "");
	rmdir(p);
}

int kt_store_lock_take(struct kt_store *st, const char *dir, struct kt_err *err)
{
	char p[4200];
	int fd;

	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return kt_err_set(err, KT_EIO, "cannot open '%s': %s", p, strerror(errno));
	if (lock_op(fd, F_RDLCK, 1) != 0) {
		close(fd);
		return kt_err_set(err, KT_EIO, "cannot lock '%s': %s", p, strerror(errno));
	}
	st->lock_fd1 = fd + 1;
	tmp_remove(dir); /* held shared: no rewrite is running */
	return 0;
}

void kt_store_lock_drop(struct kt_store *st)
{
	if (st->lock_fd1 > 0)
		close(st->lock_fd1 - 1);
	st->lock_fd1 = 0;
}

/* Copies table name of txn's environment into the new environment dst. */
static int copy_table(MDB_txn *txn, MDB_env *dst, const char *name, MDB_txn **wtxn)
{
	unsigned keep = MDB_REVERSEKEY | MDB_DUPSORT | MDB_INTEGERKEY | MDB_DUPFIXED |
			MDB_INTEGERDUP | MDB_REVERSEDUP, fl = 0;
	MDB_dbi sd, dd;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t puts = 0;
	int rc, meta = strcmp(name, "meta") == 0;

	if ((rc = mdb_dbi_open(txn, name, 0, &sd)) != 0 || (rc = mdb_dbi_flags(txn, sd, &fl)) != 0 ||
	    (rc = mdb_dbi_open(*wtxn, name, (fl & keep) | MDB_CREATE, &dd)) != 0 ||
	    (rc = mdb_cursor_open(txn, sd, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (meta && k.mv_size == strlen(KT_META_REWRITE_DUE) &&
		    memcmp(k.mv_data, KT_META_REWRITE_DUE, k.mv_size) == 0)
			continue; /* done by this very rewrite */
		if ((rc = mdb_put(*wtxn, dd, &k, &v, fl & MDB_DUPSORT ? MDB_APPENDDUP : MDB_APPEND)) != 0)
			break;
		if (++puts % COPY_TXN_PUTS == 0 &&
		    ((rc = kt_txn_commit(*wtxn)) != 0 || (rc = mdb_txn_begin(dst, NULL, 0, wtxn)) != 0)) {
			*wtxn = NULL;
			break;
		}
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Every named table of st, in order, into the environment dst (empty). */
static int copy_all(struct kt_store *st, MDB_env *dst)
{
	MDB_txn *txn, *wtxn = NULL;
	MDB_cursor *cur;
	MDB_dbi main;
	MDB_val k, v;
	int rc;

	if ((rc = kt_txn_begin(st->env, MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &main)) != 0 || (rc = mdb_cursor_open(txn, main, &cur)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = mdb_txn_begin(dst, NULL, 0, &wtxn)) != 0)
		wtxn = NULL;
	/* The main table holds the names of the others (bounded: mdb_env_set_maxdbs). */
	for (rc = rc != 0 ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char name[128];

		if (k.mv_size == 0 || k.mv_size >= sizeof(name)) {
			rc = MDB_INCOMPATIBLE;
			break;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		if ((rc = copy_table(txn, dst, name, &wtxn)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		rc = wtxn != NULL ? kt_txn_commit(wtxn) : MDB_PANIC;
	else if (wtxn != NULL)
		mdb_txn_abort(wtxn);
	return rc;
}

/* Writes the fresh file into dir/rewrite.tmp: 0 or an LMDB or errno code. */
static int write_fresh(struct kt_store *st, const char *tmp)
{
	MDB_envinfo info;
	MDB_env *dst;
	int rc;

	if (mkdir(tmp, 0700) != 0)
		return errno;
	if ((rc = mdb_env_create(&dst)) != 0)
		return rc;
	mdb_env_info(st->env, &info);
	mdb_env_set_maxdbs(dst, 64);
	mdb_env_set_mapsize(dst, info.me_mapsize);
	if ((rc = mdb_env_open(dst, tmp, MDB_NOTLS, 0600)) == 0 && (rc = copy_all(st, dst)) == 0)
		rc = mdb_env_sync(dst, 1);
	mdb_env_close(dst);
	return rc;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Whether the store is due a rewrite: this process swept, or meta says so. */
static int due(struct kt_store *st)
{
	uint64_t flag = 0;
	MDB_txn *txn;

	if (st->rewrite_due)
		return 1;
	if (kt_txn_begin(st->env, MDB_RDONLY, &txn) != 0)
		return 0;
	kt_meta_u64(st, txn, KT_META_REWRITE_DUE, &flag);
	mdb_txn_abort(txn);
	return flag != 0;
}

int kt_rewrite_fresh(struct kt_store *st, struct kt_err *err)
{
	char tmp[4200], from[4200], to[4200];
	int rc;

	if (st->env == NULL || st->lock_fd1 <= 0 || !due(st))
		return 1;
	if (lock_op(st->lock_fd1 - 1, F_WRLCK, 0) != 0)
		return 1; /* another holds the store: later */
	tmp_remove(st->dir);
	tmp_path(tmp, sizeof(tmp), st->dir, "");
	tmp_path(from, sizeof(from), st->dir, "data.mdb");
	snprintf(to, sizeof(to), "%s/data.mdb", st->dir);
	if ((rc = write_fresh(st, tmp)) != 0 || (rename(from, to) != 0 && (rc = errno) != 0)) {
		tmp_remove(st->dir);
		lock_op(st->lock_fd1 - 1, F_RDLCK, 0);
		return kt_mdb_err(err, rc, "rewrite the store after an erasure");
	}
	sync_dir(st->dir);
	tmp_remove(st->dir);
	st->rewrite_due = 0;
	mdb_env_close(st->env); /* it maps the old file, gone now */
	st->env = NULL;
	return 0;
}

void kt_rewrite_unlock(struct kt_store *st)
{
	if (st->lock_fd1 > 0)
		lock_op(st->lock_fd1 - 1, F_RDLCK, 0);
}
