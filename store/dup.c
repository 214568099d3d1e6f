/*
 * store/dup.c - duplicate candidates from blind tokens, and card aliases.
 *
 * Reads only metadata (the tokens table, record heads, alias registers), so
 * a node and the hub -- which holds no keys -- list the same pairs.
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

static int alias_reg(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, struct kt_id *to,
		     struct kt_version *ver);

int kt_store_alias_reg(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, struct kt_id *to,
		       struct kt_version *ver)
{
	return alias_reg(st, txn, id, to, ver);
}

static int alias_reg(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, struct kt_id *to,
		     struct kt_version *ver)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, KT_F_ALIAS, NULL), k }, v;

	memset(to, 0, sizeof(*to));
	if (mdb_get(txn, st->rec, &key, &v) == 0 && v.mv_size == 2 * KT_VER_BYTES + KT_ID_BYTES) {
		memcpy(to->b, (uint8_t *)v.mv_data + 2 * KT_VER_BYTES, KT_ID_BYTES);
		kt_version_get(ver, v.mv_data);
	}
	return !kt_id_is_zero(to);
}

int kt_store_alias_of(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, struct kt_id *to)
{
	struct kt_version top, v;
	struct kt_id top_id = *id, at, next;

	if (!alias_reg(st, txn, id, to, &top))
		return 0;
	at = *to;
	/* Bounded: a merge path longer than this is not a cycle through id. */
	for (int hop = 0; hop < KT_ALIAS_HOPS_MAX; hop++) {
		if (kt_id_cmp(&at, id) == 0) {
			if (kt_id_cmp(&top_id, id) != 0)
				return 1;
			memset(to, 0, sizeof(*to)); /* id's merge closed the cycle: it stands */
			return 0;
		}
		if (!alias_reg(st, txn, &at, &next, &v))
			return 1; /* the path ends at a card that stands */
		if (kt_version_cmp(&v, &top) > 0) {
			top = v;
			top_id = at;
		}
		at = next;
	}
	return 1;
}

int kt_store_alias_root(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			struct kt_id *root)
{
	struct kt_id to;
	int hops = 0;

	*root = *id;
	/* Bounded: kt_store_alias_of never loops (a cycle has a card that stands). */
	while (hops < KT_ALIAS_HOPS_MAX && kt_store_alias_of(st, txn, root, &to)) {
		*root = to;
		hops++;
	}
	return hops;
}

int kt_store_merge_cycles(struct kt_store *st, MDB_txn *txn, kt_cycle_fn fn, void *ctx,
			  struct kt_err *err)
{
	MDB_val k, v;
	MDB_cursor *cur;
	int rc, n = 0;

	if ((rc = mdb_cursor_open(txn, st->merged, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	/* Each merged card once: the one of a cycle that stands names the cycle. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct kt_id m, to, members[KT_ALIAS_HOPS_MAX];
		struct kt_version ver;
		size_t nm = 0;

		if (k.mv_size != 2 * KT_ID_BYTES)
			continue;
		memcpy(m.b, (uint8_t *)k.mv_data + KT_ID_BYTES, KT_ID_BYTES);
		if (!alias_reg(st, txn, &m, &to, &ver) || kt_store_alias_of(st, txn, &m, &to))
			continue; /* not merged, or merged for good */
		members[nm++] = m;
		alias_reg(st, txn, &m, &to, &ver);
		while (nm < KT_ALIAS_HOPS_MAX && kt_id_cmp(&to, &m) != 0) {
			members[nm++] = to;
			if (!alias_reg(st, txn, &members[nm - 1], &to, &ver))
				break;
		}
		n++;
		if (fn != NULL)
			fn(ctx, members, nm);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "read the merged cards");
	return n;
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
	MDB_val key = { kt_reckey(k, id, KT_F_HEAD, NULL), k }, v;

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
