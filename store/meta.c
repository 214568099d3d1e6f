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

/*
 * One meta key "hole:<origin 16 hex>:<last 16 hex>" -> first, hub seq (8
 * bytes big-endian each) as h; 1 when it is a hole still open (its chain
 * entry is a hole's), else 0.
 */
static int open_hole(struct kt_store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		     struct kt_hole *h)
{
	char a[17], b[17];
	uint8_t held[KT_HASH_BYTES];
	uint64_t pos;

	if (v->mv_size != 16)
		return 0;
	memcpy(a, (const char *)k->mv_data + 5, 16);
	memcpy(b, (const char *)k->mv_data + 22, 16);
	a[16] = b[16] = '\0';
	h->origin = strtoull(a, NULL, 16);
	h->last = strtoull(b, NULL, 16);
	h->first = kt_be64_get(v->mv_data);
	h->hub_at = kt_be64_get((const uint8_t *)v->mv_data + 8);
	return kt_chain_get(st, txn, h->origin, h->last, held, &pos) == 0 &&
	       (pos == KT_CHAIN_HOLE || pos == KT_CHAIN_HOLE_UNSIGNED);
}

long kt_store_holes_in(struct kt_store *st, MDB_txn *txn, uint32_t max,
		       void (*fn)(void *ctx, const struct kt_hole *h), void *ctx)
{
	MDB_val k = { 5, "hole:" }, v;
	MDB_cursor *cur;
	long n = 0;
	int rc;

	if (mdb_cursor_open(txn, st->meta, &cur) != 0)
		return -1;
	/* Bounded by the holes kept: one meta entry each. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == 38 && memcmp(k.mv_data, "hole:", 5) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct kt_hole h;

		if (!open_hole(st, txn, &k, &v, &h))
			continue;
		if (fn != NULL && (max == 0 || (uint64_t)n < max))
			fn(ctx, &h);
		n++;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? n : -1;
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
