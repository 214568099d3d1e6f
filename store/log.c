/*
 * store/log.c - the store's tables as the hub reads and mends them, by
 * position and by name: log entries by log position (one, the last, a walk
 * from one), meta entries as bytes (get, delete, a walk over a prefix),
 * the derived state emptied for a rebuild, and the map set by hand.
 */
#include "store_int.h"

#include <string.h>

int kt_log_get(struct kt_store *st, MDB_txn *txn, uint64_t pos, struct kt_bytes *out)
{
	uint8_t k[8];
	MDB_val v;
	int rc;

	kt_be64_put(k, pos);
	if ((rc = mdb_get(txn, st->log, &(MDB_val){ 8, k }, &v)) != 0)
		return kt_mdb_code(rc);
	*out = (struct kt_bytes){ v.mv_data, (uint32_t)v.mv_size };
	return 0;
}

int kt_log_put(struct kt_store *st, MDB_txn *txn, uint64_t pos, const uint8_t *p, size_t n)
{
	uint8_t k[8];

	kt_be64_put(k, pos);
	return kt_mdb_code(mdb_put(txn, st->log, &(MDB_val){ 8, k }, &(MDB_val){ n, (void *)p }, 0));
}

uint64_t kt_log_last(struct kt_store *st, MDB_txn *txn)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t last = 0;

	if (mdb_cursor_open(txn, st->log, &cur) != 0)
		return 0;
	if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
		last = kt_be64_get(k.mv_data);
	mdb_cursor_close(cur);
	return last;
}

int kt_log_open(struct kt_store *st, MDB_txn *txn, struct kt_log_cur *c)
{
	return kt_mdb_code(mdb_cursor_open(txn, st->log, &c->cur));
}

/* The entry the cursor stands on after op: its position (0: a key of another size) and bytes. */
static int log_at(struct kt_log_cur *c, MDB_val *k, MDB_cursor_op op, uint64_t *at,
		  struct kt_bytes *b)
{
	MDB_val v;
	int rc = mdb_cursor_get(c->cur, k, &v, op);

	if (rc != 0)
		return kt_mdb_code(rc);
	*at = k->mv_size == 8 ? kt_be64_get(k->mv_data) : 0;
	*b = (struct kt_bytes){ v.mv_data, (uint32_t)v.mv_size };
	return 0;
}

int kt_log_seek(struct kt_log_cur *c, uint64_t pos, uint64_t *at, struct kt_bytes *b)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb };

	kt_be64_put(kb, pos);
	return log_at(c, &k, MDB_SET_RANGE, at, b);
}

int kt_log_next(struct kt_log_cur *c, uint64_t *at, struct kt_bytes *b)
{
	MDB_val k;

	return log_at(c, &k, MDB_NEXT, at, b);
}

void kt_log_close(struct kt_log_cur *c)
{
	if (c->cur != NULL)
		mdb_cursor_close(c->cur);
	c->cur = NULL;
}

int kt_meta_get(struct kt_store *st, MDB_txn *txn, const char *name, struct kt_bytes *out)
{
	MDB_val v;
	int rc = mdb_get(txn, st->meta, &(MDB_val){ strlen(name), (void *)name }, &v);

	if (rc == 0)
		*out = (struct kt_bytes){ v.mv_data, (uint32_t)v.mv_size };
	return kt_mdb_code(rc);
}

int kt_meta_del(struct kt_store *st, MDB_txn *txn, const char *name)
{
	return kt_mdb_code(mdb_del(txn, st->meta, &(MDB_val){ strlen(name), (void *)name }, NULL));
}

int kt_meta_each(struct kt_store *st, MDB_txn *txn, const char *prefix, kt_meta_fn fn, void *ctx)
{
	size_t n = strlen(prefix);
	MDB_val k = { n, (void *)prefix }, v;
	MDB_cursor *cur;
	int rc, stop = 0;

	if ((rc = mdb_cursor_open(txn, st->meta, &cur)) != 0)
		return kt_mdb_code(rc);
	/* Bounded by the entries under prefix, or fn's word. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size >= n && memcmp(k.mv_data, prefix, n) == 0 &&
	     (stop = fn(ctx, k.mv_data, k.mv_size,
			(struct kt_bytes){ v.mv_data, (uint32_t)v.mv_size })) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		;
	mdb_cursor_close(cur);
	if (stop != 0)
		return stop > 0 ? 0 : stop;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : kt_mdb_code(rc);
}

int kt_store_drop_state(struct kt_store *st, MDB_txn *txn)
{
	MDB_dbi state[] = { st->rec, st->own, st->idx, st->shred, st->tokens, st->merged,
			    st->conflicts };
	int rc = 0;

	for (size_t i = 0; i < sizeof(state) / sizeof(state[0]) && rc == 0; i++)
		rc = mdb_drop(txn, state[i], 0); /* emptied, kept open */
	return kt_mdb_code(rc);
}

int kt_store_set_map(struct kt_store *st, size_t bytes)
{
	return kt_mdb_code(mdb_env_set_mapsize(st->env, bytes));
}
