/*
 * store/read.c - reading records back, walking them, the digest and the
 * node's facts for status.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

void kt_rec_init(struct kt_rec *r)
{
	memset(r, 0, sizeof(*r));
}

void kt_rec_release(struct kt_rec *r)
{
	if (r == NULL)
		return;
	free(r->fields);
	free(r->elems);
	if (r->plain != NULL) {
		sodium_memzero(r->plain, r->plain_cap);
		free(r->plain);
	}
	kt_rec_init(r);
}

/*
 * A value load_entry met sealed: its type is PENDING and s, n are the
 * sealed bytes in the map, opened once the record's every entry is in
 * (open_sealed), so the owner's key is made once and the buffer once.
 */
#define PENDING 0xff

static struct kt_rfield *more_field(struct kt_rec *r)
{
	if (r->nfields == r->cap_fields) {
		r->cap_fields = r->cap_fields ? r->cap_fields * 2 : 32;
		r->fields = kt_realloc(r->fields, r->cap_fields * sizeof(*r->fields));
	}
	return &r->fields[r->nfields++];
}

static struct kt_relem *more_elem(struct kt_rec *r)
{
	if (r->nelems == r->cap_elems) {
		r->cap_elems = r->cap_elems ? r->cap_elems * 2 : 16;
		r->elems = kt_realloc(r->elems, r->cap_elems * sizeof(*r->elems));
	}
	return &r->elems[r->nelems++];
}

/* Adds one state entry of the record to r. */
static int load_entry(struct kt_rec *r, const MDB_val *key, const MDB_val *v, size_t *sealed,
		      struct kt_err *err)
{
	const uint8_t *k = key->mv_data, *d = v->mv_data;
	uint16_t field = kt_be16_get(k + KT_ID_BYTES);

	if (key->mv_size == KT_RECKEY_BYTES) {
		struct kt_relem *e;

		if (v->mv_size == 1 && d[0] == KT_ELEM_REMOVED)
			return 0; /* tombstone */
		if (v->mv_size < 2 || d[0] != KT_ELEM_LIVE) /* a flipped state byte or a cut value */
			return kt_err_set(err, KT_ECORRUPT, "bad stored set element");
		e = more_elem(r);
		e->field = field;
		memcpy(e->tag, k + KT_ID_BYTES + 2, KT_TAG_BYTES_SET);
		if (kt_rest_sealed(d + 1, v->mv_size - 1)) {
			e->v = (struct kt_val){ PENDING, 0, (const char *)d + 1,
						(uint32_t)(v->mv_size - 1) };
			*sealed += v->mv_size - 1;
			return 0;
		}
		return kt_val_unpack(d + 1, v->mv_size - 1, &e->v, err);
	}
	if (field == KT_F_HEAD) {
		if (v->mv_size != 1 + KT_ID_BYTES)
			return kt_err_set(err, KT_ECORRUPT, "bad record head");
		r->type = d[0];
		memcpy(r->owner.b, d + 1, KT_ID_BYTES);
		return 0;
	}
	if (field == KT_F_ALIAS) {
		if (v->mv_size == 2 * KT_VER_BYTES + KT_ID_BYTES)
			memcpy(r->alias.b, d + 2 * KT_VER_BYTES, KT_ID_BYTES);
		return 0;
	}
	if (v->mv_size <= 2 * KT_VER_BYTES)
		return kt_err_set(err, KT_ECORRUPT, "bad stored field");
	{
		struct kt_rfield *f = more_field(r);

		f->field = field;
		kt_version_get(&f->ver, d);
		kt_version_get(&f->base, d + KT_VER_BYTES);
		if (kt_rest_sealed(d + 2 * KT_VER_BYTES, v->mv_size - 2 * KT_VER_BYTES)) {
			f->v = (struct kt_val){ PENDING, 0, (const char *)d + 2 * KT_VER_BYTES,
						(uint32_t)(v->mv_size - 2 * KT_VER_BYTES) };
			*sealed += v->mv_size - 2 * KT_VER_BYTES;
			return 0;
		}
		return kt_val_unpack(d + 2 * KT_VER_BYTES, v->mv_size - 2 * KT_VER_BYTES,
				     &f->v, err);
	}
}

/* Opens one pending value v (sealed at nonce) into plain + *at and decodes it. */
static int open_one(struct kt_val *v, const uint8_t nonce[KT_NONCE_BYTES],
		    const uint8_t key[KT_KEY_BYTES], uint8_t *plain, size_t *at, struct kt_err *err)
{
	size_t n;
	int rc;

	if ((rc = kt_rest_open(plain + *at, (const uint8_t *)v->s, v->n, nonce, key, &n, err)) != 0)
		return rc;
	rc = kt_val_unpack(plain + *at, n, v, err);
	*at += n;
	return rc;
}

/* Opens r's pending values (sealed bytes in all) into r->plain under the owner's key. */
static int open_sealed(struct kt_store *st, MDB_txn *txn, struct kt_rec *r, size_t sealed,
		       struct kt_err *err)
{
	uint8_t key[KT_KEY_BYTES], nonce[KT_NONCE_BYTES];
	size_t at = 0;
	int rc;

	if (sealed > r->plain_cap) {
		if (r->plain != NULL) {
			sodium_memzero(r->plain, r->plain_cap);
			free(r->plain);
		}
		r->plain_cap = sealed;
		r->plain = kt_malloc(sealed);
	}
	if ((rc = kt_rest_key(st, txn, &r->owner, NULL, key, NULL)) != 0) {
		char idt[KT_ID_TEXT_BYTES];

		kt_id_format(&r->id, idt);
		return kt_err_set(err, KT_ECORRUPT, "the values of '%s' are sealed under a data key "
				  "that %s", idt, rc == KT_ENOTFOUND ? "this node does not hold"
				  : "does not open with this node's chain key");
	}
	for (uint32_t i = 0; i < r->nfields && rc == 0; i++)
		if (r->fields[i].v.t == PENDING) {
			kt_rest_nonce_lww(nonce, &r->id, r->fields[i].field, &r->fields[i].ver);
			rc = open_one(&r->fields[i].v, nonce, key, r->plain, &at, err);
		}
	for (uint32_t i = 0; i < r->nelems && rc == 0; i++)
		if (r->elems[i].v.t == PENDING) {
			kt_rest_nonce_elem(nonce, &r->id, r->elems[i].field, r->elems[i].tag);
			rc = open_one(&r->elems[i].v, nonce, key, r->plain, &at, err);
		}
	sodium_memzero(key, sizeof(key));
	return rc;
}

int kt_store_load(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		  struct kt_rec *r, struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, KT_F_HEAD, NULL), k }, v;
	MDB_cursor *cur;
	char idt[KT_ID_TEXT_BYTES];
	size_t sealed = 0;
	uint8_t *plain = r->plain;
	size_t plain_cap = r->plain_cap;
	int rc;

	/* The opened values of the last load are wiped; their buffer is kept for this one. */
	if (plain != NULL)
		sodium_memzero(plain, plain_cap);
	r->plain = NULL;
	kt_rec_release(r);
	r->plain = plain;
	r->plain_cap = plain_cap;
	r->id = *id;
	if ((rc = mdb_cursor_open(txn, st->rec, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_KEY);
	if (rc == MDB_NOTFOUND) {
		mdb_cursor_close(cur);
		kt_id_format(id, idt);
		return kt_err_set(err, KT_ENOTFOUND, kt_is_erased(st, txn, id) ?
				  "client '%s' was erased" : "unknown id '%s'", idt);
	}
	while (rc == 0 && key.mv_size >= KT_ID_BYTES + 2 &&
	       memcmp(key.mv_data, id->b, KT_ID_BYTES) == 0) {
		if ((rc = load_entry(r, &key, &v, &sealed, err)) != 0)
			break;
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc < 0 && rc > -100 ? rc : kt_mdb_err(err, rc, "read a record");
	if (sealed > 0 && (rc = open_sealed(st, txn, r, sealed, err)) != 0) {
		r->nfields = r->nelems = 0; /* no value is left half read */
		return rc;
	}
	if (!kt_id_is_zero(&r->alias))
		kt_store_alias_of(st, txn, id, &r->alias); /* the standing card of a cycle is not merged */
	return 0;
}

const struct kt_val *kt_rec_get(const struct kt_rec *r, uint16_t field)
{
	for (uint32_t i = 0; i < r->nfields; i++)
		if (r->fields[i].field == field)
			return r->fields[i].v.t == KT_V_NIL ? NULL : &r->fields[i].v;
	return NULL;
}

const struct kt_val *kt_rec_phone_e164(const struct kt_rec *r)
{
	const struct kt_rfield *phone = NULL, *copy = NULL;

	for (uint32_t i = 0; i < r->nfields; i++) {
		if (r->fields[i].field == KT_CLIENT_PHONE)
			phone = &r->fields[i];
		else if (r->fields[i].field == KT_CLIENT_PHONE_E164)
			copy = &r->fields[i];
	}
	if (phone == NULL || copy == NULL || copy->v.t != KT_V_STR ||
	    kt_version_cmp(&phone->ver, &copy->ver) != 0)
		return NULL;
	return &copy->v;
}

int kt_store_owned(struct kt_store *st, MDB_txn *txn, const struct kt_id *owner,
		   uint8_t type, kt_id_fn fn, void *ctx, struct kt_err *err)
{
	uint8_t k[KT_ID_BYTES + 1];
	MDB_val key = { type ? sizeof(k) : KT_ID_BYTES, k }, v;
	MDB_cursor *cur;
	int rc;

	memcpy(k, owner->b, KT_ID_BYTES);
	k[KT_ID_BYTES] = type;
	if ((rc = mdb_cursor_open(txn, st->own, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size == 2 * KT_ID_BYTES + 1 &&
	       memcmp(key.mv_data, k, type ? sizeof(k) : KT_ID_BYTES) == 0) {
		struct kt_id id;

		memcpy(id.b, (uint8_t *)key.mv_data + KT_ID_BYTES + 1, KT_ID_BYTES);
		if ((rc = fn(ctx, &id, ((uint8_t *)key.mv_data)[KT_ID_BYTES])) != 0) {
			mdb_cursor_close(cur);
			return rc; /* fn's word */
		}
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : kt_mdb_err(err, rc, "read a client's records");
}

uint8_t kt_kind_letter(uint8_t type)
{
	switch (type) {
	case KT_T_CATALOGUE: return 'c';
	case KT_T_STAFF: return 's';
	case KT_T_AUDIT: return 'u';
	default: return 0;
	}
}

/*
 * Walks idx keys prefix[0..np) id[16], from the id after from (NULL: the
 * first), calling fn(ctx, id, type); a key of another size is "a damaged
 * catalogue (staff, audit) index entry".
 */
static int idx_walk(struct kt_store *st, MDB_txn *txn, const uint8_t *prefix, size_t np,
		    const struct kt_id *from, uint8_t type, kt_id_fn fn, void *ctx,
		    struct kt_err *err)
{
	const char *what = kt_schema_type_name(type);
	uint8_t k[2 + 2 * KT_ID_BYTES];
	MDB_val key = { np, k }, v;
	MDB_cursor *cur;
	int rc, out = 0;

	kt_assert(np + KT_ID_BYTES <= sizeof(k));
	memcpy(k, prefix, np);
	if (from != NULL) {
		memcpy(k + np, from->b, KT_ID_BYTES);
		key.mv_size = np + KT_ID_BYTES;
	}
	if ((rc = mdb_cursor_open(txn, st->idx, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size >= np && memcmp(key.mv_data, prefix, np) == 0) {
		struct kt_id id;

		if (key.mv_size != np + KT_ID_BYTES) {
			out = kt_err_set(err, KT_ECORRUPT, "a damaged %s index entry", what);
			break;
		}
		memcpy(id.b, (uint8_t *)key.mv_data + np, KT_ID_BYTES);
		if ((from == NULL || memcmp(id.b, from->b, KT_ID_BYTES) != 0) &&
		    (out = fn(ctx, &id, type)) != 0)
			break;
		if (kt_interrupted) {
			out = kt_err_set(err, KT_EINTR, "interrupted");
			break;
		}
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (out == 0 && rc != 0 && rc != MDB_NOTFOUND)
		out = kt_mdb_err(err, rc, "read an index");
	return out;
}

int kt_store_kind(struct kt_store *st, MDB_txn *txn, uint8_t type, const struct kt_id *after,
		  kt_id_fn fn, void *ctx, struct kt_err *err)
{
	uint8_t k[2] = { kt_kind_letter(type), 0x00 };

	if (k[0] == 0)
		return kt_err_set(err, KT_EINVAL, "records of type %d are not indexed by kind", type);
	return idx_walk(st, txn, k, sizeof(k), after, type, fn, ctx, err);
}

int kt_store_catalogue(struct kt_store *st, MDB_txn *txn, kt_id_fn fn, void *ctx,
		       struct kt_err *err)
{
	return kt_store_kind(st, txn, KT_T_CATALOGUE, NULL, fn, ctx, err);
}

int kt_store_audits_of(struct kt_store *st, MDB_txn *txn, const struct kt_id *card,
		       kt_id_fn fn, void *ctx, struct kt_err *err)
{
	uint8_t k[1 + KT_ID_BYTES] = { 'a' };

	memcpy(k + 1, card->b, KT_ID_BYTES);
	return idx_walk(st, txn, k, sizeof(k), NULL, KT_T_AUDIT, fn, ctx, err);
}

/* The smallest key after every key of record id: id + 1 as a 128-bit number. */
static int next_id(uint8_t *k)
{
	for (int i = KT_ID_BYTES - 1; i >= 0; i--)
		if (++k[i] != 0)
			return 0;
	return -1;
}

int kt_store_each(struct kt_store *st, MDB_txn *txn, uint8_t type, kt_id_fn fn, void *ctx,
		  struct kt_err *err)
{
	uint8_t k[KT_ID_BYTES + 2] = { 0 };
	MDB_val key = { sizeof(k), k }, v;
	MDB_cursor *cur;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->rec, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0) {
		struct kt_id id;

		if (kt_interrupted) {
			mdb_cursor_close(cur);
			return kt_err_set(err, KT_EINTR, "interrupted");
		}
		memcpy(id.b, key.mv_data, KT_ID_BYTES);
		if (key.mv_size == KT_ID_BYTES + 2 &&
		    kt_be16_get((uint8_t *)key.mv_data + KT_ID_BYTES) == 0 &&
		    v.mv_size >= 1 && (type == 0 || ((uint8_t *)v.mv_data)[0] == type) &&
		    (rc = fn(ctx, &id, ((uint8_t *)v.mv_data)[0])) != 0) {
			mdb_cursor_close(cur);
			return rc; /* fn's word */
		}
		memcpy(k, id.b, KT_ID_BYTES);
		memset(k + KT_ID_BYTES, 0, 2);
		if (next_id(k) != 0)
			break;
		key.mv_size = sizeof(k);
		key.mv_data = k;
		rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : kt_mdb_err(err, rc, "read the records");
}

static void digest_entry(struct kt_digest *d, const MDB_val *key, const MDB_val *v)
{
	const uint8_t *k = key->mv_data, *x = v->mv_data;
	struct kt_id id, other;
	struct kt_version ver;
	uint16_t field = kt_be16_get(k + KT_ID_BYTES);

	memcpy(id.b, k, KT_ID_BYTES);
	if (key->mv_size == KT_RECKEY_BYTES && v->mv_size >= 1) {
		kt_digest_elem(d, &id, field, k + KT_ID_BYTES + 2, x[0]);
	} else if (field == KT_F_HEAD && v->mv_size == 1 + KT_ID_BYTES) {
		memcpy(other.b, x + 1, KT_ID_BYTES);
		kt_digest_record(d, &id, x[0], &other);
	} else if (field == KT_F_ALIAS && v->mv_size == 2 * KT_VER_BYTES + KT_ID_BYTES) {
		kt_version_get(&ver, x);
		memcpy(other.b, x + 2 * KT_VER_BYTES, KT_ID_BYTES);
		kt_digest_alias(d, &id, &other, &ver);
	} else if (v->mv_size >= KT_VER_BYTES) {
		kt_version_get(&ver, x);
		kt_digest_lww(d, &id, field, &ver);
	}
}

int kt_store_digest(struct kt_store *st, uint8_t out[KT_HASH_BYTES], struct kt_err *err)
{
	MDB_txn *txn;
	int rc;

	if ((rc = kt_store_rdtxn(st, &txn, err)) != 0)
		return rc;
	rc = kt_store_digest_in(st, txn, out, err);
	mdb_txn_abort(txn);
	return rc;
}

int kt_store_digest_in(struct kt_store *st, MDB_txn *txn, uint8_t out[KT_HASH_BYTES],
		       struct kt_err *err)
{
	struct kt_digest d;
	MDB_cursor *cur;
	MDB_val key, v;
	int rc;

	kt_digest_init(&d);
	if ((rc = mdb_cursor_open(txn, st->rec, &cur)) != 0)
		goto fail;
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT))
		digest_entry(&d, &key, &v);
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND || (rc = mdb_cursor_open(txn, st->shred, &cur)) != 0)
		goto fail;
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		struct kt_id id;

		if (key.mv_size != KT_ID_BYTES)
			continue;
		memcpy(id.b, key.mv_data, KT_ID_BYTES);
		kt_digest_shred(&d, &id);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND)
		goto fail;
	kt_digest_final(&d, out);
	return 0;
fail:
	return kt_mdb_err(err, rc, "compute the digest");
}

int kt_store_info(struct kt_store *st, struct kt_store_info *info, struct kt_err *err)
{
	MDB_txn *txn;
	MDB_stat ms;
	MDB_envinfo ei;
	MDB_val k = { 6, "branch" }, v;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = kt_store_rdtxn(st, &txn, err)) != 0)
		return rc;
	info->node_id = st->node_id;
	if ((rc = kt_store_state(st, txn, err)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	info->seq = st->w_seq;
	info->hlc = st->w_hlc;
	if (mdb_get(txn, st->meta, &k, &v) == 0 && v.mv_size <= KT_BRANCH_BYTES_MAX)
		memcpy(info->branch, v.mv_data, v.mv_size);
	if (mdb_stat(txn, st->log, &ms) == 0)
		info->changes = ms.ms_entries;
	if (mdb_stat(txn, st->own, &ms) == 0)
		info->records = ms.ms_entries;
	mdb_env_info(st->env, &ei);
	mdb_env_stat(st->env, &ms);
	info->map_bytes = ei.me_mapsize;
	info->used_bytes = (uint64_t)(ei.me_last_pgno + 1) * ms.ms_psize;
	mdb_txn_abort(txn);
	return 0;
}
