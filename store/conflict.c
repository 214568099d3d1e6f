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
 *              (packed msgpack scalars; empty at the hub; at a node each
 *              sealed at rest as its LWW value is, by its own version,
 *              store/rest.c, unless the field stays clear)
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define CKEY_BYTES (KT_ID_BYTES + 2 + 2 * KT_VER_BYTES)

/*
 * Stored value p[0..n) of version ver sealed under rkey into out when it is
 * clear (a value written before sealing), else copied; returns its length.
 */
static size_t sealed_copy(uint8_t *out, const uint8_t *p, size_t n, const struct kt_id *id,
			  uint16_t field, const struct kt_version *ver, const uint8_t *rkey)
{
	uint8_t nonce[KT_NONCE_BYTES];

	if (rkey == NULL || n == 0 || kt_rest_sealed(p, n)) {
		memcpy(out, p, n);
		return n;
	}
	kt_rest_nonce_lww(nonce, id, field, ver);
	return kt_rest_seal(out, p, n, nonce, rkey);
}

int kt_conflict_note(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		     uint16_t field, const struct kt_version *a, const uint8_t *aval,
		     size_t alen, const struct kt_version *b, const struct kt_val *bval,
		     const uint8_t *rkey, struct kt_err *err)
{
	uint8_t k[CKEY_BYTES], buf[2 * KT_STORED_BYTES_MAX + 4], packed[KT_STORED_BYTES_MAX];
	uint8_t sa[KT_STORED_BYTES_MAX], sb[KT_STORED_BYTES_MAX];
	struct kt_fbuf fb = { packed, 0, sizeof(packed) };
	const struct kt_version *lo = a, *hi = b;
	const uint8_t *lv = aval, *hv;
	size_t ll = alen, hl;
	msgpack_packer pk;
	MDB_val key = { sizeof(k), k }, v;
	int rc;

	if (bval != NULL) {
		kt_fbuf_init(&fb, packed, sizeof(packed) - KT_REST_OVERHEAD, &pk);
		kt_val_pack(&pk, bval);
	}
	if (alen > sizeof(sa) - KT_REST_OVERHEAD)
		alen = 0; /* not a value this store wrote */
	alen = sealed_copy(sa, aval, alen, id, field, a, rkey);
	aval = sa;
	lv = sa;
	ll = alen;
	hl = sealed_copy(sb, packed, fb.n, id, field, b, rkey);
	sodium_memzero(packed, fb.n);
	hv = sb;
	if (kt_version_cmp(a, b) > 0) { /* keys hold the lower version first */
		lo = b, hi = a, lv = sb, ll = hl, hv = aval, hl = alen;
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
	rc = mdb_put(txn, st->conflicts, &key, &v, 0);
	sodium_memzero(sa, sizeof(sa));
	sodium_memzero(sb, sizeof(sb));
	if (rc != 0)
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

/*
 * A kept value p[0..n) of record id's field at version ver into *out: a
 * sealed one opened into plain (room for n) under its owner's at-rest key
 * (*have, key: made at the first); nil when it does not read.
 */
static void conflict_val(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			 uint16_t field, const struct kt_version *ver, const uint8_t *p, size_t n,
			 uint8_t *plain, int *have, uint8_t key[KT_KEY_BYTES], struct kt_val *out)
{
	uint8_t nonce[KT_NONCE_BYTES], hk[KT_RECKEY_BYTES];
	MDB_val k = { kt_reckey(hk, id, KT_F_HEAD, NULL), hk }, hv;
	struct kt_id owner;
	size_t m;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	if (!kt_rest_sealed(p, n)) {
		if (kt_val_unpack(p, n, out, NULL) != 0)
			out->t = KT_V_NIL;
		return;
	}
	if (!*have) {
		if (mdb_get(txn, st->rec, &k, &hv) != 0 || hv.mv_size != 1 + KT_ID_BYTES)
			return;
		memcpy(owner.b, (uint8_t *)hv.mv_data + 1, KT_ID_BYTES);
		if (kt_rest_key(st, txn, &owner, NULL, key, NULL) != 0)
			return;
		*have = 1;
	}
	kt_rest_nonce_lww(nonce, id, field, ver);
	if (kt_rest_open(plain, p, n, nonce, key, &m, NULL) != 0 ||
	    kt_val_unpack(plain, m, out, NULL) != 0)
		memset(out, 0, sizeof(*out));
}

/*
 * One conflicts entry (key k, value v) as c, its sealed values opened into
 * plain (room for two stored values); -1 when it is damaged.
 */
static int conflict_read(struct kt_store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
			 struct kt_conflict *c, uint8_t *plain)
{
	const uint8_t *key = k->mv_data, *d = v->mv_data;
	uint8_t rkey[KT_KEY_BYTES];
	int have = 0;
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
	conflict_val(st, txn, &c->id, c->field, &c->lo, d + 4, ll, plain, &have, rkey, &c->lo_val);
	conflict_val(st, txn, &c->id, c->field, &c->hi, d + 4 + ll, v->mv_size - 4 - ll,
		     plain + KT_STORED_BYTES_MAX, &have, rkey, &c->hi_val);
	sodium_memzero(rkey, sizeof(rkey));
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
	uint8_t *plain = kt_malloc(2 * KT_STORED_BYTES_MAX); /* the values fn sees */
	int rc, stop = 0;

	if ((rc = mdb_cursor_open(txn, st->conflicts, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, key, &v, key->mv_size ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0 && stop == 0 && key->mv_size >= n &&
	       (n == 0 || memcmp(key->mv_data, prefix, n) == 0)) { /* memcmp may not take NULL */
		if (conflict_read(st, txn, key, &v, &c, plain) == 0)
			stop = fn(ctx, &c);
		rc = mdb_cursor_get(cur, key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	sodium_memzero(plain, 2 * KT_STORED_BYTES_MAX);
	free(plain);
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
