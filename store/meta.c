/*
 * store/meta.c - the programs' reads and writes of the node's own state by
 * name (store.h, "meta"): meta values copied out as bytes or text, a meta
 * value saved in a transaction of its own, and the hub's clock taken as
 * the chain's.  kt-node's commands and its sync machine call these instead
 * of reading LMDB tables themselves (the log by position is store/log.c).
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

int kt_meta_copy(struct kt_store *st, MDB_txn *txn, const char *name, void *out, size_t cap,
		 size_t *n)
{
	struct kt_bytes v;
	int rc = kt_meta_get(st, txn, name, &v);

	*n = 0;
	if (rc != 0)
		return rc;
	if (v.n > cap)
		return KT_ETOOBIG;
	memcpy(out, v.p, v.n);
	*n = v.n;
	return 0;
}

int kt_meta_text(struct kt_store *st, MDB_txn *txn, const char *name, char *out, size_t cap)
{
	size_t n;
	int rc;

	kt_assert(cap > 0);
	rc = kt_meta_copy(st, txn, name, out, cap - 1, &n);
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

int kt_store_clock_learn(struct kt_store *st, MDB_txn *txn, uint64_t hub_ms, int64_t *offset)
{
	int64_t off = (int64_t)(hub_ms - st->clock()), d = off - st->clock_offset;

	*offset = st->clock_offset;
	if (d > -1000 && d < 1000)
		return 0;
	*offset = off;
	return kt_meta_put_u64(st, txn, "clock_offset", (uint64_t)off);
}
