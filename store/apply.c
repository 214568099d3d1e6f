/*
 * store/apply.c - the one path that applies a change to the store: the
 * merge rules of proto/merge.h on the LMDB state (layout in store.h), over
 * the chain check and log append of store/chain.c.
 */
#include "store_int.h"
#include "hlc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static const struct kt_val nil_val;

/*
 * The at-rest key of the change being merged (store/rest.c), made at its
 * first value to seal; a node's merge has one, the hub's (no values) none.
 */
struct rest_ctx {
	const struct kt_change *c;
	int have;
	uint8_t key[KT_KEY_BYTES];
};

/* The key of r for field of its change: NULL when the value stays clear; *rc an error. */
static const uint8_t *rest_for(struct kt_store *st, MDB_txn *txn, struct rest_ctx *r,
			       uint16_t field, int *rc, struct kt_err *err)
{
	*rc = 0;
	if (r == NULL || kt_rest_clear(r->c->type, field))
		return NULL;
	if (!r->have) {
		if ((*rc = kt_rest_key(st, txn, &r->c->owner, r->c, r->key, err)) != 0)
			return NULL;
		r->have = 1;
	}
	return r->key;
}
/*
 * Records of the chain-wide kinds are indexed by kind, so each is listed
 * without a walk over every record: idx 'c' 0x00 id a catalogue entry (the
 * safety check lists them), 's' a staff account (each command finds who
 * acts), 'u' an audit record (ids are ULIDs, so `audit --since` seeks).
 * Never removed: an entry is retired, an account disabled, a read stays.
 */
static int kind_index(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, uint8_t type)
{
	uint8_t k[2 + KT_ID_BYTES] = { kt_kind_letter(type), 0x00 };
	MDB_val key = { sizeof(k), k }, v = { 0, NULL };

	if (k[0] == 0)
		return 0;
	memcpy(k + 2, id->b, KT_ID_BYTES);
	return mdb_put(txn, st->idx, &key, &v, 0);
}

/*
 * An audit record's card read: idx 'a' card[16] audit id[16], so the reads
 * of one card are one range (kt_store_audits_of).  The value is the card's
 * id as text (kt_id_format); one that does not parse is kept in the record
 * and not indexed.
 */
static int audit_index(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		       const struct kt_op *op, const struct kt_val *val)
{
	uint8_t k[1 + 2 * KT_ID_BYTES] = { 'a' };
	MDB_val key = { sizeof(k), k }, v = { 0, NULL };
	char text[KT_ID_TEXT_BYTES];
	struct kt_id card;

	if (val == NULL || c->type != KT_T_AUDIT ||
	    kt_schema_search(c->type, op->field) != KT_S_AUDIT || val->t != KT_V_STR ||
	    val->n != KT_ID_TEXT_BYTES - 1)
		return 0;
	memcpy(text, val->s, KT_ID_TEXT_BYTES - 1);
	text[KT_ID_TEXT_BYTES - 1] = '\0';
	if (kt_id_parse(&card, text) != 0)
		return 0;
	memcpy(k + 1, card.b, KT_ID_BYTES);
	memcpy(k + 1 + KT_ID_BYTES, c->id.b, KT_ID_BYTES);
	return mdb_put(txn, st->idx, &key, &v, 0);
}

/*
 * Writes the record head and the owner index the first time a record is
 * seen, and returns 1 then: a record with no head has no state at all (every
 * change that leaves state passes here first), so its fields need no reads.
 */
static int ensure_head(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		       struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES], hv[1 + KT_ID_BYTES], ok[2 * KT_ID_BYTES + 1];
	MDB_val key = { kt_reckey(k, &c->id, KT_F_HEAD, NULL), k }, v = { sizeof(hv), hv };
	int rc;

	hv[0] = c->type;
	memcpy(hv + 1, c->owner.b, KT_ID_BYTES);
	/* One descent: a head already there comes back in v, untouched. */
	rc = mdb_put(txn, st->rec, &key, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		if (v.mv_size != sizeof(hv) || memcmp(v.mv_data, hv, sizeof(hv)) != 0)
			return kt_err_set(err, KT_ECORRUPT, "change %llu of origin %016llx "
					  "disagrees with its record's type or owner",
					  (unsigned long long)c->seq,
					  (unsigned long long)c->origin);
		return 0;
	}
	if (rc != 0)
		return kt_mdb_err(err, rc, "write a record");
	memcpy(ok, c->owner.b, KT_ID_BYTES);
	ok[KT_ID_BYTES] = c->type;
	memcpy(ok + KT_ID_BYTES + 1, c->id.b, KT_ID_BYTES);
	key.mv_size = sizeof(ok);
	key.mv_data = ok;
	v.mv_size = 0;
	v.mv_data = NULL;
	if ((rc = mdb_put(txn, st->own, &key, &v, 0)) != 0)
		return kt_mdb_err(err, rc, "index a record by client");
	if ((rc = kind_index(st, txn, &c->id, c->type)) != 0)
		return kt_mdb_err(err, rc, "index a record by kind");
	return 1;
}

/*
 * A write meets the field's current value: concurrent writes are kept as a
 * conflict; a write made on top of the current winner resolves the field's
 * conflicts.  Write-once fields never conflict.
 */
static int review(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		  const struct kt_op *op, const MDB_val *v, const struct kt_val *val, int res,
		  const uint8_t *rkey, struct kt_err *err)
{
	const struct kt_field *f = kt_schema_field(c->type, op->field);
	struct kt_version cur, cur_base, in = { c->hlc, c->origin };
	uint8_t copy[KT_STORED_BYTES_MAX];
	size_t n = v->mv_size - 2 * KT_VER_BYTES;

	if (f != NULL && f->merge == KT_M_ONCE)
		return 0;
	kt_version_get(&cur, v->mv_data);
	kt_version_get(&cur_base, (uint8_t *)v->mv_data + KT_VER_BYTES);
	if (kt_merge_is_conflict(&cur, &cur_base, &in, &op->base)) {
		memcpy(copy, (uint8_t *)v->mv_data + 2 * KT_VER_BYTES, n < sizeof(copy) ? n : 0);
		return kt_conflict_note(st, txn, &c->id, op->field, &cur, copy,
					n < sizeof(copy) ? n : 0, &in, val, rkey, err);
	}
	if (res == KT_LWW_WIN && kt_version_cmp(&op->base, &cur) >= 0)
		return kt_conflict_resolve(st, txn, &c->id, op->field, &op->base, err);
	return 0;
}

static int apply_lww(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		     const struct kt_op *op, const struct kt_val *val, int fresh,
		     struct rest_ctx *rest, struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES], buf[KT_STORED_BYTES_MAX], packed[KT_STORED_BYTES_MAX];
	uint8_t nonce[KT_NONCE_BYTES];
	const uint8_t *rkey;
	MDB_val key = { kt_reckey(k, &c->id, op->field, NULL), k }, v;
	struct kt_version in = { c->hlc, c->origin }, cur;
	const struct kt_field *f = kt_schema_field(c->type, op->field);
	struct kt_val old;
	struct kt_fbuf fb;
	msgpack_packer pk;
	int rc, res, had, phone;

	rkey = rest_for(st, txn, val != NULL ? rest : NULL, op->field, &rc, err);
	if (rc != 0)
		return rc;
	rc = fresh == 1 ? MDB_NOTFOUND : mdb_get(txn, st->rec, &key, &v);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "read a field");
	had = rc == 0 && v.mv_size > 2 * KT_VER_BYTES;
	if (had)
		kt_version_get(&cur, v.mv_data);
	res = (f != NULL && f->merge == KT_M_ONCE) ? kt_merge_once(had ? &cur : NULL, &in)
						   : kt_merge_lww(had ? &cur : NULL, &in);
	if (had && (rc = review(st, txn, c, op, &v, val, res, rkey, err)) != 0)
		return rc;
	if (had && (rc = mdb_get(txn, st->rec, &key, &v)) != 0) /* review may have moved it */
		return kt_mdb_err(err, rc, "read a field");
	if (res != KT_LWW_WIN)
		return 0;
	phone = val != NULL && c->type == KT_T_CLIENT &&
		(op->field == KT_CLIENT_PHONE || op->field == KT_CLIENT_PHONE_E164);
	if (val == NULL)
		val = &nil_val; /* metadata only (the hub): versions, no values */
	else if (phone) {
		/*
		 * The entries of the phone and copy as they were; a field written
		 * for the first time changes none (a copy counts only beside its
		 * phone), so a new card's write skips this read.
		 */
		if (had && (rc = kt_index_phone(st, txn, &c->id, 1, 0, NULL, err)) != 0)
			return rc;
	} else if (kt_index_field(c->type, op->field)) {
		memset(&old, 0, sizeof(old));
		if (had && kt_val_unpack((uint8_t *)v.mv_data + 2 * KT_VER_BYTES,
					 v.mv_size - 2 * KT_VER_BYTES, &old, err) != 0)
			return KT_ECORRUPT;
		if ((rc = kt_index_update(st, txn, &c->id, op->field, &old, val, err)) != 0)
			return rc;
	}
	kt_version_put(buf, &in);
	kt_version_put(buf + KT_VER_BYTES, &op->base);
	if (rkey != NULL) { /* sealed at rest where it stands: (record, field, version) */
		kt_fbuf_init(&fb, packed, sizeof(packed) - 2 * KT_VER_BYTES - KT_REST_OVERHEAD, &pk);
		kt_val_pack(&pk, val);
		kt_rest_nonce_lww(nonce, &c->id, op->field, &in);
		fb.n = kt_rest_seal(buf + 2 * KT_VER_BYTES, packed, fb.n, nonce, rkey);
		sodium_memzero(packed, fb.n);
	} else {
		kt_fbuf_init(&fb, buf + 2 * KT_VER_BYTES, sizeof(buf) - 2 * KT_VER_BYTES, &pk);
		kt_val_pack(&pk, val);
	}
	v.mv_size = 2 * KT_VER_BYTES + fb.n;
	v.mv_data = buf;
	if ((rc = mdb_put(txn, st->rec, &key, &v, 0)) != 0)
		return kt_mdb_err(err, rc, "write a field");
	if (phone)
		return kt_index_phone(st, txn, &c->id, 0, op->field, val, err);
	return 0;
}

/*
 * Sets one element's state, keeping its value when it has one: sealed
 * under rkey (not NULL) where it stands, (record, field, tag).
 */
static int put_elem(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		    uint16_t field, const uint8_t *tag, int add, const struct kt_val *val,
		    const uint8_t *rkey, struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES], buf[KT_STORED_BYTES_MAX], packed[KT_STORED_BYTES_MAX];
	uint8_t nonce[KT_NONCE_BYTES];
	MDB_val key = { kt_reckey(k, id, field, tag), k }, v;
	enum kt_elem cur = KT_ELEM_ABSENT, nx;
	struct kt_fbuf fb;
	msgpack_packer pk;
	int rc = mdb_get(txn, st->rec, &key, &v);

	if (rc != 0 && rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "read a set element");
	if (rc == 0 && v.mv_size >= 1)
		cur = ((uint8_t *)v.mv_data)[0];
	nx = add ? kt_merge_elem_add(cur) : kt_merge_elem_del(cur);
	if (nx == cur)
		return 0;
	buf[0] = (uint8_t)nx;
	fb.n = 0;
	if (nx == KT_ELEM_LIVE && rkey != NULL && val != NULL) {
		kt_fbuf_init(&fb, packed, sizeof(packed) - 1 - KT_REST_OVERHEAD, &pk);
		kt_val_pack(&pk, val);
		kt_rest_nonce_elem(nonce, id, field, tag);
		fb.n = kt_rest_seal(buf + 1, packed, fb.n, nonce, rkey);
		sodium_memzero(packed, fb.n);
	} else if (nx == KT_ELEM_LIVE) {
		kt_fbuf_init(&fb, buf + 1, sizeof(buf) - 1, &pk);
		kt_val_pack(&pk, val != NULL ? val : &nil_val);
	}
	v.mv_size = 1 + fb.n;
	v.mv_data = buf;
	if ((rc = mdb_put(txn, st->rec, &key, &v, 0)) != 0)
		return kt_mdb_err(err, rc, "write a set element");
	return 0;
}

static int alias_link(struct kt_store *st, MDB_txn *txn, const uint8_t *target,
		      const struct kt_id *id, int del);

static int apply_alias(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		       const struct kt_op *op, struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES], buf[2 * KT_VER_BYTES + KT_ID_BYTES];
	MDB_val key = { kt_reckey(k, &c->id, KT_F_ALIAS, NULL), k }, v;
	struct kt_version in = { c->hlc, c->origin }, cur;
	int rc = mdb_get(txn, st->rec, &key, &v);

	if (rc != 0 && rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "read an alias");
	if (rc == 0 && v.mv_size == sizeof(buf)) {
		kt_version_get(&cur, v.mv_data);
		if (kt_merge_lww(&cur, &in) != KT_LWW_WIN)
			return 0;
		/* The card leaves the card it was merged into. */
		if ((rc = alias_link(st, txn, (uint8_t *)v.mv_data + 2 * KT_VER_BYTES, &c->id,
				     1)) != 0)
			return kt_mdb_err(err, rc, "unlink an alias");
	}
	kt_version_put(buf, &in);
	kt_version_put(buf + KT_VER_BYTES, &op->base);
	memcpy(buf + 2 * KT_VER_BYTES, op->arg, KT_ID_BYTES);
	v.mv_size = sizeof(buf);
	v.mv_data = buf;
	if ((rc = mdb_put(txn, st->rec, &key, &v, 0)) != 0 ||
	    (rc = alias_link(st, txn, op->arg, &c->id, 0)) != 0)
		return kt_mdb_err(err, rc, "write an alias");
	return 0;
}

/* The merged dbi: kept card[16] merged card[16] -> empty, for `client show`. */
static int alias_link(struct kt_store *st, MDB_txn *txn, const uint8_t *target,
		      const struct kt_id *id, int del)
{
	static const uint8_t zero[KT_ID_BYTES];
	uint8_t k[2 * KT_ID_BYTES];
	MDB_val key = { sizeof(k), k }, v = { 0, NULL };
	int rc;

	if (memcmp(target, zero, KT_ID_BYTES) == 0)
		return 0; /* an unmerge links to nothing */
	memcpy(k, target, KT_ID_BYTES);
	memcpy(k + KT_ID_BYTES, id->b, KT_ID_BYTES);
	rc = del ? mdb_del(txn, st->merged, &key, NULL) : mdb_put(txn, st->merged, &key, &v, 0);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Indexes a blind token of a client: token[16] client[16] -> empty. */
int kt_token_put(struct kt_store *st, MDB_txn *txn, const uint8_t token[KT_TOKEN_BYTES],
		 const struct kt_id *client, struct kt_err *err)
{
	uint8_t k[KT_TOKEN_BYTES + KT_ID_BYTES];
	MDB_val key = { sizeof(k), k }, v = { 0, NULL };
	int rc;

	memcpy(k, token, KT_TOKEN_BYTES);
	memcpy(k + KT_TOKEN_BYTES, client->b, KT_ID_BYTES);
	if ((rc = mdb_put(txn, st->tokens, &key, &v, 0)) != 0)
		return kt_mdb_err(err, rc, "index a blind token");
	return 0;
}

static int apply_key(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		     const struct kt_op *op, struct kt_err *err)
{
	MDB_val key = { KT_ID_BYTES, (void *)c->owner.b };
	MDB_val v = { op->arg_len, (void *)op->arg };
	int rc = mdb_put(txn, st->keys, &key, &v, MDB_NOOVERWRITE);

	if (rc != 0 && rc != MDB_KEYEXIST)
		return kt_mdb_err(err, rc, "store a client's key");
	return 0;
}

/* Deletes every state entry of record id, unindexing the card's fields. */
static int purge_record(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			uint8_t type, struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, KT_F_HEAD, NULL), k }, v;
	MDB_cursor *cur;
	struct kt_val nil = { 0 }, old;
	int rc = mdb_cursor_open(txn, st->rec, &cur);

	if (rc != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	/* Bounded: one record holds at most its fields and set elements. */
	while (rc == 0 && key.mv_size >= KT_ID_BYTES + 2 &&
	       memcmp(key.mv_data, id->b, KT_ID_BYTES) == 0) {
		uint16_t field = kt_be16_get((uint8_t *)key.mv_data + KT_ID_BYTES);

		if (key.mv_size == KT_ID_BYTES + 2 && kt_index_field(type, field) &&
		    v.mv_size > 2 * KT_VER_BYTES &&
		    kt_val_unpack((uint8_t *)v.mv_data + 2 * KT_VER_BYTES,
				  v.mv_size - 2 * KT_VER_BYTES, &old, NULL) == 0 &&
		    (rc = kt_index_update(st, txn, id, field, &old, &nil, err)) != 0)
			break;
		rc = kt_cursor_del_next(cur, &key, &v);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc < 0 && rc > -100 ? rc : kt_mdb_err(err, rc, "purge a record");
	return 0;
}

static int apply_shred(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		       struct kt_err *err)
{
	MDB_val key = { KT_ID_BYTES, (void *)c->owner.b }, v = { 0, NULL };
	MDB_cursor *cur;
	int rc;

	if ((rc = mdb_put(txn, st->shred, &key, &v, 0)) != 0)
		return kt_mdb_err(err, rc, "record an erasure");
	kt_rest_forget_owner(st, &c->owner); /* her key goes: so does its at-rest key */
	kt_erase_note_shred(st, &c->owner); /* her log, indexes, tokens: at commit (erase.c) */
	mdb_del(txn, st->keys, &key, NULL);
	if ((rc = mdb_cursor_open(txn, st->own, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size == 2 * KT_ID_BYTES + 1 &&
	       memcmp(key.mv_data, c->owner.b, KT_ID_BYTES) == 0) {
		struct kt_id id;
		uint8_t type = ((uint8_t *)key.mv_data)[KT_ID_BYTES];

		memcpy(id.b, (uint8_t *)key.mv_data + KT_ID_BYTES + 1, KT_ID_BYTES);
		if ((rc = purge_record(st, txn, &id, type, err)) != 0)
			break;
		rc = kt_cursor_del_next(cur, &key, &v);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc < 0 && rc > -100 ? rc : kt_mdb_err(err, rc, "erase a client");
	return 0;
}

static int is_shredded(struct kt_store *st, MDB_txn *txn, const struct kt_id *owner)
{
	MDB_val key = { KT_ID_BYTES, (void *)owner->b }, v;

	return mdb_get(txn, st->shred, &key, &v) == 0;
}

/* Whether op i names a field an earlier op of the change also names. */
static int repeats(const struct kt_change *c, uint32_t i)
{
	for (uint32_t k = 0; k < i; k++)
		if (c->ops[k].field == c->ops[i].field)
			return 1;
	return 0;
}

static int apply_ops(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		     const struct kt_val *vals, int fresh, struct kt_err *err)
{
	struct rest_ctx rest = { c, 0, { 0 } };
	uint32_t vi = 0;
	uint8_t tag[KT_TAG_BYTES_SET];
	const uint8_t *rkey;
	int rc = 0;

	for (uint32_t i = 0; i < c->nops && rc == 0; i++) {
		const struct kt_op *op = &c->ops[i];

		switch (op->kind) {
		case KT_OP_SET:
			/*
			 * A later SET of a field the change already set is the same
			 * version, so it never wins (kt_merge_lww: the same write);
			 * skipped, so one (record, field, version) names one value and
			 * its seal at rest one plaintext (store/rest.c).
			 */
			if (repeats(c, i)) {
				vi += vals != NULL;
				break;
			}
			rc = apply_lww(st, txn, c, op, vals ? &vals[vi++] : NULL, fresh,
				       st->rest_off ? NULL : &rest, err);
			break;
		case KT_OP_ADD:
			kt_tag_make(tag, c->origin, c->seq, i);
			rkey = rest_for(st, txn, vals && !st->rest_off ? &rest : NULL, op->field, &rc,
					err);
			if (rc == 0)
				rc = put_elem(st, txn, &c->id, op->field, tag, 1,
					      vals ? &vals[vi] : NULL, rkey, err);
			if (rc == 0 && (rc = audit_index(st, txn, c, op, vals ? &vals[vi] : NULL)) != 0)
				rc = kt_mdb_err(err, rc, "index an audit record");
			vi += vals != NULL;
			break;
		case KT_OP_DEL:
			for (uint32_t t = 0; t < op->arg_len / KT_TAG_BYTES_SET && rc == 0; t++)
				rc = put_elem(st, txn, &c->id, op->field,
					      op->arg + t * KT_TAG_BYTES_SET, 0, NULL, NULL, err);
			break;
		case KT_OP_ALIAS:
			rc = apply_alias(st, txn, c, op, err);
			break;
		case KT_OP_KEY: /* a data key only a node can use: the hub (no vals) keeps none */
			rc = vals != NULL ? apply_key(st, txn, c, op, err) : 0;
			break;
		case KT_OP_TOKEN:
			rc = kt_token_put(st, txn, op->arg, &c->owner, err);
			break;
		default: /* SHRED is handled before */
			break;
		}
	}
	sodium_memzero(rest.key, sizeof(rest.key));
	return rc;
}

int kt_store_append(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		    const uint8_t hash[KT_HASH_BYTES], const uint8_t *bytes, size_t len,
		    struct kt_err *err)
{
	int rc = kt_chain_admit(st, txn, c, hash, err);

	if (rc != 0)
		return rc; /* 1: already held */
	return kt_log_append(st, txn, c, hash, bytes, len, err);
}

int kt_store_merge(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		   const struct kt_val *vals, int remote, struct kt_err *err)
{
	int rc;

	if (c->origin != st->node_id && c->hlc > st->w_hlc) {
		uint64_t next;

		/* A received clock moves ours, within the drift bound (hlc.h). */
		if (kt_hlc_recv(st->w_hlc, c->hlc, kt_store_now(st), &next) == 0) {
			st->w_hlc = next;
			st->w_hlc_dirty = 1;
		}
	}
	if (kt_merge_shred_drops(is_shredded(st, txn, &c->owner))) {
		if (remote && !(c->nops > 0 && c->ops[0].kind == KT_OP_SHRED))
			kt_erase_note_drop(st, c); /* redacted and counted at commit (erase.c) */
		return 0;
	}
	for (uint32_t i = 0; i < c->nops; i++)
		if (c->ops[i].kind == KT_OP_SHRED)
			return apply_shred(st, txn, c, err);
	if ((rc = ensure_head(st, txn, c, err)) == KT_ECORRUPT && remote) {
		/*
		 * Only a tampered origin writes a record under another type or
		 * owner (its own store refuses it): every replica voids the change
		 * the same way, and the chain goes on.  ensure_head wrote nothing.
		 */
		return kt_store_void_note(st, txn, c, KT_VOID_RECORD, err);
	}
	if (rc < 0)
		return rc;
	return apply_ops(st, txn, c, vals, rc == 1, err);
}

int kt_store_apply(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		   const struct kt_val *vals, const uint8_t hash[KT_HASH_BYTES],
		   const uint8_t *bytes, size_t len, struct kt_err *err)
{
	int rc = kt_store_append(st, txn, c, hash, bytes, len, err);

	if (rc != 0)
		return rc > 0 ? 0 : rc; /* already applied: nothing to do */
	return kt_store_merge(st, txn, c, vals, 0, err);
}

int kt_owner_key(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		 uint8_t dk[KT_KEY_BYTES], struct kt_err *err)
{
	MDB_val key = { KT_ID_BYTES, (void *)c->owner.b }, v;
	const uint8_t *wrapped = NULL;

	/* The change that carries its owner's key (her first) needs no look-up. */
	for (uint32_t i = 0; wrapped == NULL && i < c->nops; i++)
		if (c->ops[i].kind == KT_OP_KEY)
			wrapped = c->ops[i].arg;
	if (wrapped == NULL && mdb_get(txn, st->keys, &key, &v) == 0 &&
	    v.mv_size == KT_WRAPPED_KEY_BYTES)
		wrapped = v.mv_data;
	if (wrapped == NULL)
		return kt_err_set(err, KT_ENOTFOUND, "no data key for change %llu of origin "
				  "%016llx", (unsigned long long)c->seq,
				  (unsigned long long)c->origin);
	return kt_key_unwrap(dk, wrapped, &c->owner, st->chain_key, err);
}
