/*
 * store/conflict.c - concurrent writes of one field, kept for review.
 *
 * When an LWW write meets a current value that was written without seeing
 * it (merge.h: kt_merge_is_conflict), both versions are recorded, with both
 * values where the replica can read them (a node; the hub records versions
 * only).  Nothing is lost: the loser's value stays readable here until a
 * later ordinary write of the field, made on top of the winner, resolves
 * the conflict.
 *
 *   conflicts  id[16] field u16 BE low version[16] high version[16]
 *              -> u32 BE length of the low value, low value, high value
 *              (packed msgpack scalars; empty at the hub)
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CKEY_BYTES (KT_ID_BYTES + 2 + 2 * KT_VER_BYTES)

int kt_conflict_note(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		     uint16_t field, const struct kt_version *a, const uint8_t *aval,
		     size_t alen, const struct kt_version *b, const struct kt_val *bval,
		     struct kt_err *err)
{
	uint8_t k[CKEY_BYTES], buf[2 * KT_STORED_BYTES_MAX + 4], packed[KT_STORED_BYTES_MAX];
	struct kt_fbuf fb = { packed, 0, sizeof(packed) };
	const struct kt_version *lo = a, *hi = b;
	const uint8_t *lv = aval, *hv;
	size_t ll = alen, hl;
	msgpack_packer pk;
	MDB_val key = { sizeof(k), k }, v;
	int rc;

	if (bval != NULL) {
		kt_fbuf_init(&fb, packed, sizeof(packed), &pk);
		kt_val_pack(&pk, bval);
	}
	hv = packed;
	hl = fb.n;
	if (kt_version_cmp(a, b) > 0) { /* keys hold the lower version first */
		lo = b, hi = a, lv = packed, ll = fb.n, hv = aval, hl = alen;
	}
	memcpy(k, id->b, KT_ID_BYTES);
	kt_be16_put(k + KT_ID_BYTES, field);
	kt_version_put(k + KT_ID_BYTES + 2, lo);
	kt_version_put(k + KT_ID_BYTES + 2 + KT_VER_BYTES, hi);
	kt_be32_put(buf, (uint32_t)ll);
	memcpy(buf + 4, lv, ll);
	memcpy(buf + 4 + ll, hv, hl);
	v.mv_size = 4 + ll + hl;
	v.mv_data = buf;
	if ((rc = mdb_put(txn, st->conflicts, &key, &v, 0)) != 0)
		return kt_mdb_err(err, rc, "record a conflict");
	return 0;
}

int kt_conflict_resolve(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			uint16_t field, const struct kt_version *upto, struct kt_err *err)
{
	uint8_t k[KT_ID_BYTES + 2];
	MDB_val key = { sizeof(k), k }, v;
	MDB_cursor *cur;
	int rc;

	memcpy(k, id->b, KT_ID_BYTES);
	kt_be16_put(k + KT_ID_BYTES, field);
	if ((rc = mdb_cursor_open(txn, st->conflicts, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	/* Bounded: the conflicts of one field. */
	while (rc == 0 && key.mv_size == CKEY_BYTES && memcmp(key.mv_data, k, sizeof(k)) == 0) {
		struct kt_version hi;

		kt_version_get(&hi, (uint8_t *)key.mv_data + sizeof(k) + KT_VER_BYTES);
		if (kt_version_cmp(&hi, upto) <= 0) {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				break;
			rc = mdb_cursor_get(cur, &key, &v, MDB_GET_CURRENT);
			if (rc == MDB_NOTFOUND || rc == EINVAL)
				rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
			continue;
		}
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : kt_mdb_err(err, rc, "resolve a conflict");
}

void kt_store_branch_of(struct kt_store *st, MDB_txn *txn, uint64_t origin, char *out,
			size_t cap)
{
	kt_origin_branch(st, txn, origin, out, cap);
	if (out[0] == '\0')
		snprintf(out, cap, "%016llx", (unsigned long long)origin);
}

/* One conflicts entry (key k, value v) as c; -1 when it is damaged. */
static int conflict_read(struct kt_store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
			 struct kt_conflict *c)
{
	const uint8_t *key = k->mv_data, *d = v->mv_data;
	uint32_t ll;

	if (k->mv_size != CKEY_BYTES || v->mv_size < 4)
		return -1;
	ll = kt_be32_get(d);
	if (ll > v->mv_size - 4)
		return -1;
	memset(c, 0, sizeof(*c));
	memcpy(c->id.b, key, KT_ID_BYTES);
	c->field = kt_be16_get(key + KT_ID_BYTES);
	kt_version_get(&c->lo, key + KT_ID_BYTES + 2);
	kt_version_get(&c->hi, key + KT_ID_BYTES + 2 + KT_VER_BYTES);
	if (ll > 0 && kt_val_unpack(d + 4, ll, &c->lo_val, NULL) != 0)
		c->lo_val.t = KT_V_NIL;
	if (v->mv_size - 4 - ll > 0 &&
	    kt_val_unpack(d + 4 + ll, v->mv_size - 4 - ll, &c->hi_val, NULL) != 0)
		c->hi_val.t = KT_V_NIL;
	kt_store_branch_of(st, txn, c->lo.origin, c->lo_branch, sizeof(c->lo_branch));
	kt_store_branch_of(st, txn, c->hi.origin, c->hi_branch, sizeof(c->hi_branch));
	return 0;
}

/*
 * Calls fn for each decoded conflict from the entry at or after key (the
 * first when key->mv_size is 0) while the entry's key starts with the
 * first n bytes of prefix.  Bounded by the table.
 */
static int conflicts_walk(struct kt_store *st, MDB_txn *txn, MDB_val *key, const uint8_t *prefix,
			  size_t n, kt_conflict_fn fn, void *ctx, struct kt_err *err)
{
	MDB_val v;
	MDB_cursor *cur;
	struct kt_conflict c;
	int rc, stop = 0;

	if ((rc = mdb_cursor_open(txn, st->conflicts, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, key, &v, key->mv_size ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0 && stop == 0 && key->mv_size >= n &&
	       (n == 0 || memcmp(key->mv_data, prefix, n) == 0)) { /* memcmp may not take NULL */
		if (conflict_read(st, txn, key, &v, &c) == 0)
			stop = fn(ctx, &c);
		rc = mdb_cursor_get(cur, key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (stop != 0)
		return stop;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : kt_mdb_err(err, rc, "read the conflicts");
}

int kt_store_conflicts_of(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			  kt_conflict_fn fn, void *ctx, struct kt_err *err)
{
	MDB_val key = { KT_ID_BYTES, (void *)id->b };

	/* Bounded: the conflicts of one record, a few per field at most. */
	return conflicts_walk(st, txn, &key, id->b, KT_ID_BYTES, fn, ctx, err);
}

int kt_store_conflicts(struct kt_store *st, MDB_txn *txn, kt_conflict_fn fn, void *ctx,
		       struct kt_err *err)
{
	MDB_val key = { 0, NULL };

	return conflicts_walk(st, txn, &key, NULL, 0, fn, ctx, err);
}

uint64_t kt_store_conflict_count(struct kt_store *st, MDB_txn *txn)
{
	MDB_stat ms;

	return mdb_stat(txn, st->conflicts, &ms) == 0 ? ms.ms_entries : 0;
}
