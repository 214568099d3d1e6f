/*
 * base.c - the store's ground floor: its error family, the byte codecs of
 * keys and versions, the meta table, and transactions (begin, the one
 * commit, read transactions, the retry that grows the map).
 *
 * Every other store file may call these; this file calls none of them, so
 * the store's files form no circle (tests/floors/check.py checks it).
 */
#include "store.h"
#include "store_int.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

/*
 * The folder of the store this process opened last, for the one line a
 * full disk gets (a process opens one store; the hub's verify a scratch
 * one beside it, on the same disk).
 */
static char disk_dir[4096];

void kt_store_disk_note(const char *dir)
{
	if (!disk_dir[0] && strlen(dir) < sizeof(disk_dir))
		snprintf(disk_dir, sizeof(disk_dir), "%s", dir);
}

volatile sig_atomic_t kt_interrupted;

/*
 * Whether the disk under disk_dir is full.  LMDB reports a write the disk
 * could not take whole as EIO (a short pwrite sets no errno), so EIO with
 * less than KT_DISK_FULL_BYTES free is taken as a full disk; EIO with room
 * left is a failing disk and is said as such.
 */
#define KT_DISK_FULL_BYTES (64ull << 20)
static int disk_full(int rc)
{
	struct statvfs fs;

	if (rc == ENOSPC || rc == EDQUOT)
		return 1;
	return rc == EIO && disk_dir[0] && statvfs(disk_dir, &fs) == 0 &&
	       (uint64_t)fs.f_bavail * fs.f_frsize < KT_DISK_FULL_BYTES;
}

/*
 * The LMDB or errno code kt_mdb_code last made a KT_E* code of, and that
 * code, for kt_mdb_err's words.
 */
static __thread int mdb_last, mdb_last_code;

static int is_kt_code(int rc)
{
	return rc <= KT_OK && rc >= KT_EINTR;
}

int kt_mdb_code(int rc)
{
	int code;

	if (is_kt_code(rc))
		return rc;
	switch (rc) {
	case MDB_NOTFOUND:
		code = KT_ENOTFOUND;
		break;
	case MDB_KEYEXIST:
		code = KT_EEXIST;
		break;
	case MDB_MAP_FULL:
		code = KT_EFULL;
		break;
	case MDB_BAD_VALSIZE:
		code = KT_ETOOBIG;
		break;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		code = KT_ECORRUPT;
		break;
	default:
		code = disk_full(rc) ? KT_ENOSPC : KT_EIO;
	}
	mdb_last = rc;
	mdb_last_code = code;
	return code;
}

/*
 * The LMDB code whose words say a KT_E* code: the one it was made of when
 * it was the last mapped, else LMDB's code of that kind (a value of the
 * wrong size the store found itself is MDB_CORRUPTED, as LMDB says it).
 */
static int raw_of(int code)
{
	if (code == mdb_last_code)
		return mdb_last;
	switch (code) {
	case KT_ENOTFOUND:
		return MDB_NOTFOUND;
	case KT_EEXIST:
		return MDB_KEYEXIST;
	case KT_ETOOBIG:
		return MDB_BAD_VALSIZE;
	case KT_ECORRUPT:
		return MDB_CORRUPTED;
	}
	return EIO;
}

int kt_mdb_err(struct kt_err *err, int rc, const char *what)
{
	int code = kt_mdb_code(rc), raw = is_kt_code(rc) ? raw_of(rc) : rc;

	if (code == KT_EFULL)
		return kt_err_set(err, KT_EFULL, "store is full while %s", what);
	if (code == KT_ENOSPC)
		return kt_err_set(err, KT_ENOSPC, "disk full in %s: free space and run again "
				  "(nothing was lost; reading works meanwhile)", disk_dir);
	return kt_err_set(err, KT_EIO, "cannot %s: %s", what, mdb_strerror(raw));
}

static int fbuf_write(void *data, const char *buf, size_t len)
{
	struct kt_fbuf *f = data;

	if (len > f->cap - f->n)
		return -1;
	memcpy(f->p + f->n, buf, len);
	f->n += len;
	return 0;
}

void kt_fbuf_init(struct kt_fbuf *f, uint8_t *p, size_t cap, msgpack_packer *pk)
{
	f->p = p;
	f->n = 0;
	f->cap = cap;
	msgpack_packer_init(pk, f, fbuf_write);
}

void kt_version_put(uint8_t *b, const struct kt_version *v)
{
	kt_be64_put(b, v->hlc);
	kt_be64_put(b + 8, v->origin);
}

void kt_version_get(struct kt_version *v, const uint8_t *b)
{
	v->hlc = kt_be64_get(b);
	v->origin = kt_be64_get(b + 8);
}

size_t kt_reckey(uint8_t *k, const struct kt_id *id, uint16_t field, const uint8_t *tag)
{
	memcpy(k, id->b, KT_ID_BYTES);
	kt_be16_put(k + KT_ID_BYTES, field);
	if (tag == NULL)
		return KT_ID_BYTES + 2;
	memcpy(k + KT_ID_BYTES + 2, tag, KT_TAG_BYTES_SET);
	return KT_ID_BYTES + 2 + KT_TAG_BYTES_SET;
}

static int meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, MDB_val *v)
{
	MDB_val k = { strlen(name), (void *)name };

	return mdb_get(txn, dbi, &k, v);
}

int kt_meta_u64(struct kt_store *st, MDB_txn *txn, const char *name, uint64_t *out)
{
	MDB_val v;
	int rc = meta_get(txn, st->meta, name, &v);

	*out = 0;
	if (rc == 0 && v.mv_size == 8)
		*out = kt_be64_get(v.mv_data);
	return rc == MDB_NOTFOUND ? 0 : kt_mdb_code(rc);
}

int kt_meta_put(struct kt_store *st, MDB_txn *txn, const char *name, const void *p, size_t n)
{
	MDB_val k = { strlen(name), (void *)name }, v = { n, (void *)p };

	return kt_mdb_code(mdb_put(txn, st->meta, &k, &v, 0));
}

int kt_meta_put_u64(struct kt_store *st, MDB_txn *txn, const char *name, uint64_t x)
{
	uint8_t b[8];

	kt_be64_put(b, x);
	return kt_meta_put(st, txn, name, b, 8);
}

int kt_meta_save_u64(struct kt_store *st, const char *const *names, const uint64_t *vals, int n,
		     struct kt_err *err)
{
	MDB_txn *txn;
	int rc;

	if ((rc = kt_txn_begin(st->env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	for (int i = 0; i < n; i++)
		if ((rc = kt_meta_put_u64(st, txn, names[i], vals[i])) != 0) {
			mdb_txn_abort(txn);
			return kt_mdb_err(err, rc, "save the node's state");
		}
	if ((rc = kt_txn_commit(txn)) != 0) /* a failed commit frees the transaction */
		return kt_mdb_err(err, rc, "save the node's state");
	return 0;
}

void kt_meta_key_name(char out[KT_META_KEY_NAME_BYTES], uint64_t origin)
{
	snprintf(out, KT_META_KEY_NAME_BYTES, "key:%016llx", (unsigned long long)origin);
}

int kt_origin_branch_put(struct kt_store *st, MDB_txn *txn, uint64_t origin, const char *name,
			 size_t n, struct kt_err *err)
{
	char k[32];
	MDB_val key = { 0, k }, v;
	int rc;

	if (n == 0 || n > KT_BRANCH_BYTES_MAX)
		return 0;
	snprintf(k, sizeof(k), "branch:%016llx", (unsigned long long)origin);
	key.mv_size = strlen(k);
	if (mdb_get(txn, st->meta, &key, &v) == 0 && v.mv_size == n && memcmp(v.mv_data, name, n) == 0)
		return 0; /* as held: no page dirtied */
	if ((rc = kt_meta_put(st, txn, k, name, n)) != 0)
		return kt_mdb_err(err, rc, "keep a branch's name");
	return 0;
}

void kt_origin_branch(struct kt_store *st, MDB_txn *txn, uint64_t origin, char *out, size_t cap)
{
	char k[32];
	MDB_val key = { 0, k }, v;

	out[0] = '\0';
	if (st->node_id == origin) {
		MDB_val bk = { 6, "branch" };

		if (mdb_get(txn, st->meta, &bk, &v) == 0 && v.mv_size < cap) {
			memcpy(out, v.mv_data, v.mv_size);
			out[v.mv_size] = '\0';
		}
		return;
	}
	snprintf(k, sizeof(k), "branch:%016llx", (unsigned long long)origin);
	key.mv_size = strlen(k);
	if (mdb_get(txn, st->meta, &key, &v) == 0 && v.mv_size < cap) {
		memcpy(out, v.mv_data, v.mv_size);
		out[v.mv_size] = '\0';
	}
}

/* ---- opening ---- */

int kt_store_setting(struct kt_store *st, MDB_txn *txn, const char *name, char *out,
		     size_t cap)
{
	char key[80];
	MDB_val v;

	snprintf(key, sizeof(key), "set:%s", name);
	if (meta_get(txn, st->meta, key, &v) != 0 || v.mv_size >= cap)
		return -1;
	memcpy(out, v.mv_data, v.mv_size);
	out[v.mv_size] = '\0';
	return 0;
}

int kt_store_set_setting(struct kt_store *st, const char *name, const char *value,
			 struct kt_err *err)
{
	char key[80];
	MDB_txn *txn;
	int rc;

	if (strlen(value) >= KT_SETTING_BYTES_MAX || strlen(name) > 64)
		return kt_err_set(err, KT_ETOOBIG, "setting too long");
	snprintf(key, sizeof(key), "set:%s", name);
	if ((rc = kt_txn_begin(st->env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	if ((rc = kt_meta_put(st, txn, key, value, strlen(value))) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "save the setting");
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "commit the setting");
	return 0;
}

/*
 * Deletes the entry cur is at and moves cur to the one after it, as
 * MDB_GET_CURRENT after a delete does, or MDB_NEXT when LMDB leaves cur
 * past the deleted entry (MDB_NOTFOUND or EINVAL there).  Returns 0 with
 * (key, v) the next entry, MDB_NOTFOUND at the end, or an LMDB error.
 */
int kt_cursor_del_next(MDB_cursor *cur, MDB_val *key, MDB_val *v)
{
	int rc = mdb_cursor_del(cur, 0);

	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(cur, key, v, MDB_GET_CURRENT);
	if (rc == MDB_NOTFOUND || rc == EINVAL)
		rc = mdb_cursor_get(cur, key, v, MDB_NEXT);
	return rc;
}

/* ---- transactions ---- */

int kt_txn_begin(MDB_env *env, unsigned flags, MDB_txn **txn)
{
	int rc = mdb_txn_begin(env, NULL, flags, txn);

	/*
	 * Another process grew the map past ours.  Adopting exactly what it
	 * holds loses the race with a writer still growing it, so map twice
	 * that (the file is not extended by a larger map) and try again.
	 */
	for (int tries = 0; rc == MDB_MAP_RESIZED && tries < 8; tries++) {
		MDB_envinfo ei;
		MDB_stat ms;
		size_t used;

		if (mdb_env_info(env, &ei) != 0 || mdb_env_stat(env, &ms) != 0)
			break;
		used = ((size_t)ei.me_last_pgno + 1) * ms.ms_psize;
		if (mdb_env_set_mapsize(env, used * 2 > ei.me_mapsize ? used * 2
								 : ei.me_mapsize * 2) != 0)
			break;
		rc = mdb_txn_begin(env, NULL, flags, txn);
	}
	return kt_mdb_code(rc);
}

int kt_txn_commit(MDB_txn *txn)
{
	return kt_mdb_code(mdb_txn_commit(txn));
}

int kt_store_rdtxn(struct kt_store *st, MDB_txn **txn, struct kt_err *err)
{
	int rc = kt_txn_begin(st->env, MDB_RDONLY, txn);

	if (rc != 0)
		return kt_mdb_err(err, rc, "begin a read transaction");
	return 0;
}

static int grow_map(struct kt_store *st, struct kt_err *err)
{
	MDB_envinfo info;
	int rc;

	mdb_env_info(st->env, &info);
	if (info.me_mapsize >= KT_MAP_BYTES_MAX)
		return kt_err_set(err, KT_EFULL, "store is full at %zu MiB: free disk space or "
				  "move the data folder to a larger disk, then retry",
				  info.me_mapsize >> 20);
	if ((rc = mdb_env_set_mapsize(st->env, info.me_mapsize * 2)) != 0)
		return kt_err_set(err, KT_EFULL, "cannot grow the store to %zu MiB: %s",
				  (info.me_mapsize * 2) >> 20, mdb_strerror(rc));
	return 0;
}

int kt_store_retry(struct kt_store *st, int (*once)(void *ctx, struct kt_err *err), void *ctx,
		   struct kt_err *err)
{
	int rc = once(ctx, err);

	for (int tries = 0; rc == KT_EFULL && tries < 24; tries++) { /* 2^24 x 64 MiB > 1 TiB */
		if ((rc = grow_map(st, err)) != 0)
			return rc; /* at the maximum, or the map cannot grow: says what to do */
		rc = once(ctx, err);
	}
	return rc;
}
