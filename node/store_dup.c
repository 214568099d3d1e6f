/*
 * store_dup.c - duplicate candidates from blind tokens, and card aliases.
 *
 * Reads only metadata (the tokens table, record heads, alias registers), so
 * a node and the hub -- which holds no keys -- list the same pairs.
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

int kt_store_alias_of(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, struct kt_id *to)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, KT_F_ALIAS, NULL), k }, v;

	memset(to, 0, sizeof(*to));
	if (mdb_get(txn, st->rec, &key, &v) == 0 && v.mv_size == 2 * KT_VER_BYTES + KT_ID_BYTES)
		memcpy(to->b, (uint8_t *)v.mv_data + 2 * KT_VER_BYTES, KT_ID_BYTES);
	return !kt_id_is_zero(to);
}

int kt_store_merged_into(struct kt_store *st, MDB_txn *txn, const struct kt_id *kept,
			 struct kt_id *out, size_t cap, size_t *n, struct kt_err *err)
{
	MDB_val k = { KT_ID_BYTES, (void *)kept->b }, v;
	MDB_cursor *cur;
	int rc;

	*n = 0;
	if ((rc = mdb_cursor_open(txn, st->merged, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == 2 * KT_ID_BYTES && memcmp(k.mv_data, kept->b, KT_ID_BYTES) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (*n < cap)
			memcpy(out[*n].b, (uint8_t *)k.mv_data + KT_ID_BYTES, KT_ID_BYTES);
		(*n)++;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : kt_mdb_err(err, rc, "read the merged cards");
}

int kt_store_is_client(struct kt_store *st, MDB_txn *txn, const struct kt_id *id)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, 0, NULL), k }, v;

	return mdb_get(txn, st->rec, &key, &v) == 0 && v.mv_size >= 1 &&
	       ((uint8_t *)v.mv_data)[0] == KT_T_CLIENT;
}

static int cmp_pair(const void *x, const void *y)
{
	const struct kt_pair *p = x, *q = y;
	int c = kt_id_cmp(&p->a, &q->a);

	return c ? c : kt_id_cmp(&p->b, &q->b);
}

static void add_pair(struct kt_pair **out, size_t *n, size_t *cap, const struct kt_id *x,
		     const struct kt_id *y)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*out = kt_realloc(*out, *cap * sizeof(**out));
	}
	(*out)[*n].a = kt_id_cmp(x, y) < 0 ? *x : *y;
	(*out)[*n].b = kt_id_cmp(x, y) < 0 ? *y : *x;
	(*n)++;
}

size_t kt_store_duplicates(struct kt_store *st, MDB_txn *txn, struct kt_pair **out)
{
	struct kt_id group[KT_TOKEN_GROUP_MAX], to;
	uint8_t tok[KT_TOKEN_BYTES] = { 0 };
	size_t n = 0, cap = 0, g = 0, d = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	*out = NULL;
	if (mdb_cursor_open(txn, st->tokens, &cur) != 0)
		return 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); ; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int same = rc == 0 && k.mv_size == KT_TOKEN_BYTES + KT_ID_BYTES &&
			   memcmp(k.mv_data, tok, KT_TOKEN_BYTES) == 0;

		if (!same) { /* a group ends: pair its cards */
			for (size_t i = 0; i < g; i++)
				for (size_t j = i + 1; j < g; j++)
					add_pair(out, &n, &cap, &group[i], &group[j]);
			g = 0;
			if (rc != 0 || k.mv_size != KT_TOKEN_BYTES + KT_ID_BYTES)
				break;
			memcpy(tok, k.mv_data, KT_TOKEN_BYTES);
		}
		memcpy(group[g].b, (uint8_t *)k.mv_data + KT_TOKEN_BYTES, KT_ID_BYTES);
		if (g < KT_TOKEN_GROUP_MAX && kt_store_is_client(st, txn, &group[g]) &&
		    !kt_store_alias_of(st, txn, &group[g], &to))
			g++;
	}
	mdb_cursor_close(cur);
	if (n > 1)
		qsort(*out, n, sizeof(**out), cmp_pair);
	for (size_t i = 0; i < n; i++) /* a pair sharing both phone and email once */
		if (i == 0 || cmp_pair(&(*out)[i], &(*out)[d - 1]) != 0)
			(*out)[d++] = (*out)[i];
	return d;
}
