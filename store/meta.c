/*
 * store/meta.c - the programs' reads and writes of the node's own state by
 * key (store.h, "meta" and "log"): meta values by name as bytes or text, a
 * meta value saved in a transaction of its own, a log entry by position,
 * the withheld changes (holes) in the caller's transaction, and the hub's
 * clock taken as the chain's.  kt-node's commands and its sync machine
 * call these instead of reading LMDB tables themselves.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

int kt_meta_get(struct kt_store *st, MDB_txn *txn, const char *name, void *out, size_t cap,
		size_t *n)
{
	MDB_val k = { strlen(name), (void *)name }, v;
	int rc = mdb_get(txn, st->meta, &k, &v);

	*n = 0;
	if (rc != 0)
		return rc;
	if (v.mv_size > cap)
		return MDB_BAD_VALSIZE;
	memcpy(out, v.mv_data, v.mv_size);
	*n = v.mv_size;
	return 0;
}

int kt_meta_text(struct kt_store *st, MDB_txn *txn, const char *name, char *out, size_t cap)
{
	size_t n;
	int rc;

	kt_assert(cap > 0);
	rc = kt_meta_get(st, txn, name, out, cap - 1, &n);
	out[rc == 0 ? n : 0] = '\0';
	return rc;
}

int kt_meta_save(struct kt_store *st, const char *name, const void *p, size_t n)
{
	MDB_txn *txn;
	int rc;

	if ((rc = kt_txn_begin(st->env, 0, &txn)) != 0)
		return rc;
	if ((rc = kt_meta_put(st, txn, name, p, n)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return kt_txn_commit(txn); /* a failed commit frees the transaction */
}

int kt_log_get(struct kt_store *st, MDB_txn *txn, uint64_t pos, struct kt_bytes *out)
{
	uint8_t lk[8];
	MDB_val k = { sizeof(lk), lk }, v;
	int rc;

	kt_be64_put(lk, pos);
	out->p = NULL;
	out->n = 0;
	if ((rc = mdb_get(txn, st->log, &k, &v)) != 0)
		return rc;
	if (v.mv_size > KT_CHANGE_BYTES_MAX)
		return MDB_CORRUPTED;
	out->p = v.mv_data;
	out->n = (uint32_t)v.mv_size;
	return 0;
}

int kt_store_clock_learn(struct kt_store *st, MDB_txn *txn, uint64_t hub_ms, int64_t *offset)
{
	int64_t off = (int64_t)(hub_ms - st->clock()), d = off - st->clock_offset;

	*offset = st->clock_offset;
	if (d > -1000 && d < 1000)
		return 0;
	*offset = off;
	return kt_meta_put_u64(st, txn, "clock_offset", (uint64_t)off);
}
