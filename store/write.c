/*
 * store/write.c - the local write path: drafts become changes (seq, clock,
 * hash chain, bases, sealed payload) and go through kt_store_apply() in one
 * durable transaction; a full map is grown and the write retried.
 */
#include "store_int.h"
#include "text.h"
#include "phone.h"
#include "hlc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

/* Per-call scratch: the last client key used, and buffers ops point into. */
struct wctx {
	struct kt_id key_owner;
	uint8_t dk[KT_KEY_BYTES];
	int have_dk;
	uint8_t wrapped[KT_WRAPPED_KEY_BYTES];
	uint8_t tokens[2][KT_TOKEN_BYTES];
	char e164[KT_PHONE_BYTES];   /* the phone's normalised copy (derive_phone) */
	uint8_t *tags[KT_OPS_MAX];
	msgpack_sbuffer out;
};

static void wctx_release(struct wctx *w)
{
	for (size_t i = 0; i < KT_OPS_MAX; i++) {
		free(w->tags[i]);
		w->tags[i] = NULL;
	}
	sodium_memzero(w->dk, sizeof(w->dk));
	w->have_dk = 0;
}

static int record_head(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		       uint8_t *type, struct kt_id *owner)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, KT_F_HEAD, NULL), k }, v;
	int rc = mdb_get(txn, st->rec, &key, &v);

	if (rc != 0)
		return rc;
	if (v.mv_size != 1 + KT_ID_BYTES)
		return MDB_CORRUPTED;
	*type = ((uint8_t *)v.mv_data)[0];
	memcpy(owner->b, (uint8_t *)v.mv_data + 1, KT_ID_BYTES);
	return 0;
}

static int client_key(struct kt_store *st, MDB_txn *txn, struct wctx *w,
		      const struct kt_id *owner, struct kt_err *err)
{
	MDB_val key = { KT_ID_BYTES, (void *)owner->b }, v;
	int rc;

	if (w->have_dk && kt_id_cmp(&w->key_owner, owner) == 0)
		return 0;
	rc = mdb_get(txn, st->keys, &key, &v);
	if (rc != 0 || v.mv_size != KT_WRAPPED_KEY_BYTES)
		return kt_err_set(err, KT_ENOTFOUND, "no data key for the client");
	if ((rc = kt_key_unwrap(w->dk, v.mv_data, owner, st->chain_key, err)) != 0)
		return rc;
	w->key_owner = *owner;
	w->have_dk = 1;
	return 0;
}

/* Checks the record exists (or not, for a new one) and settles its owner. */
static int settle_record(struct kt_store *st, MDB_txn *txn, struct kt_draft *d,
			 struct kt_err *err)
{
	char idt[KT_ID_TEXT_BYTES]; /* formatted only for messages: off the hot path */
	struct kt_id owner;
	uint8_t type;
	int rc = record_head(st, txn, &d->id, &type, &owner);

	if (d->create) {
		if (rc == 0) {
			kt_id_format(&d->id, idt);
			return kt_err_set(err, KT_EEXIST, "record '%s' already exists", idt);
		}
		if (kt_schema_self_owned(d->type)) {
			d->owner = d->id;
			return 0;
		}
		rc = record_head(st, txn, &d->owner, &type, &owner);
		if (rc != 0 || type != kt_schema_owner_type(d->type)) {
			kt_id_format(&d->owner, idt);
			return kt_err_set(err, KT_ENOTFOUND, "unknown %s '%s'",
					  kt_schema_owner_type(d->type) == KT_T_STAFF
						  ? "staff account" : "client", idt);
		}
		return 0;
	}
	if (rc != 0) {
		kt_id_format(&d->id, idt);
		return kt_err_set(err, KT_ENOTFOUND, kt_is_erased(st, txn, &d->id) ?
				  "client '%s' was erased" : "unknown id '%s'", idt);
	}
	if (type != d->type) {
		kt_id_format(&d->id, idt);
		return kt_err_set(err, KT_EINVAL, "'%s' is a %s, not a %s", idt,
				  kt_schema_type_name(type), kt_schema_type_name(d->type));
	}
	d->owner = owner;
	return 0;
}

static int set_base(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		    struct kt_op *op, struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, op->field, NULL), k }, v;
	int rc = mdb_get(txn, st->rec, &key, &v);

	memset(&op->base, 0, sizeof(op->base));
	if (rc == 0 && v.mv_size >= KT_VER_BYTES)
		kt_version_get(&op->base, v.mv_data);
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "read a field");
	return 0;
}

/*
 * Whether the stored element (entry key k, value v) folds to the same text
 * as want (folded already); a sealed one is opened under rkey (its owner's
 * at-rest key, made at the first sealed one met: *have).
 */
static int same_folded(struct kt_store *st, MDB_txn *txn, const struct kt_id *owner,
		       const MDB_val *k, const MDB_val *v, const char *want, int *have,
		       uint8_t rkey[KT_KEY_BYTES])
{
	const uint8_t *p = (uint8_t *)v->mv_data + 1, *kb = k->mv_data;
	uint8_t plain[KT_STORED_BYTES_MAX], nonce[KT_NONCE_BYTES];
	size_t n = v->mv_size - 1;
	struct kt_val sv;
	struct kt_id id;
	char *f;
	int same;

	if (v->mv_size < 2 || ((uint8_t *)v->mv_data)[0] != KT_ELEM_LIVE)
		return 0;
	if (kt_rest_sealed(p, n)) {
		if (n > sizeof(plain) ||
		    (!*have && kt_rest_key(st, txn, owner, NULL, rkey, NULL) != 0))
			return 0;
		*have = 1;
		memcpy(id.b, kb, KT_ID_BYTES);
		kt_rest_nonce_elem(nonce, &id, kt_be16_get(kb + KT_ID_BYTES), kb + KT_ID_BYTES + 2);
		if (kt_rest_open(plain, p, n, nonce, rkey, &n, NULL) != 0)
			return 0;
		p = plain;
	}
	same = kt_val_unpack(p, n, &sv, NULL) == 0 && sv.t == KT_V_STR &&
	       (f = kt_text_fold(sv.s, sv.n)) != NULL;
	if (same) {
		same = strcmp(f, want) == 0;
		free(f);
	}
	if (p == plain)
		sodium_memzero(plain, n);
	return same;
}

/* Finds the live tags of the element to remove; refuses when there is none. */
static int del_tags(struct kt_store *st, MDB_txn *txn, const struct kt_draft *d,
		    struct kt_op *op, const struct kt_val *val, struct wctx *w, size_t i,
		    struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, &d->id, op->field, NULL), k }, v;
	MDB_cursor *cur;
	char *want = kt_text_fold(val->s, val->n);
	const struct kt_field *f = kt_schema_field(d->type, op->field);
	uint8_t rkey[KT_KEY_BYTES];
	uint32_t n = 0;
	int rc, have = 0;

	if (want == NULL)
		return kt_err_set(err, KT_EINVAL, "value to remove is not valid UTF-8");
	w->tags[i] = kt_malloc((size_t)KT_DEL_TAGS_MAX * KT_TAG_BYTES_SET);
	if ((rc = mdb_cursor_open(txn, st->rec, &cur)) != 0) {
		free(want);
		return kt_mdb_err(err, rc, "open a cursor");
	}
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && n < KT_DEL_TAGS_MAX && key.mv_size == KT_RECKEY_BYTES &&
	       memcmp(key.mv_data, k, KT_ID_BYTES + 2) == 0) {
		if (same_folded(st, txn, &d->owner, &key, &v, want, &have, rkey))
			memcpy(w->tags[i] + (size_t)n++ * KT_TAG_BYTES_SET,
			       (uint8_t *)key.mv_data + KT_ID_BYTES + 2, KT_TAG_BYTES_SET);
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	sodium_memzero(rkey, sizeof(rkey));
	if (n == 0)
		rc = kt_err_set(err, KT_ENOTFOUND, "'%.*s' is not in %s", (int)val->n, val->s,
				f ? f->name : "the set");
	else
		rc = 0;
	free(want);
	op->arg = w->tags[i];
	op->arg_len = n * KT_TAG_BYTES_SET;
	return rc;
}

/* Appends an op with an argument, refusing past KT_OPS_MAX. */
static int extra_op(struct kt_draft *d, uint8_t kind, const uint8_t *arg, uint32_t len,
		    struct kt_err *err)
{
	if (d->nops >= KT_OPS_MAX)
		return kt_err_set(err, KT_ETOOBIG, "too many changes in one write (limit %d)",
				  KT_OPS_MAX);
	memset(&d->ops[d->nops], 0, sizeof(d->ops[0]));
	d->ops[d->nops].kind = kind;
	d->ops[d->nops].arg = arg;
	d->ops[d->nops].arg_len = len;
	d->nops++;
	return 0;
}

int kt_sets_field(const struct kt_op *ops, uint32_t n, uint16_t field)
{
	for (uint32_t i = 0; i < n; i++)
		if (ops[i].kind == KT_OP_SET && ops[i].field == field)
			return 1;
	return 0;
}

int kt_blind_token_of(struct kt_store *st, uint16_t field, const struct kt_val *v,
		      const uint8_t ck[KT_KEY_BYTES], uint8_t out[KT_TOKEN_BYTES])
{
	char norm[KT_VALUE_BYTES_MAX + 1], *f;
	int search = kt_schema_search(KT_T_CLIENT, field); /* the schema says which carry one */

	if (v->t != KT_V_STR ||
	    (search != KT_S_PHONE && search != KT_S_EMAIL && search != KT_S_PHONE_COPY))
		return -1;
	if (search == KT_S_PHONE_COPY) {
		char e164[KT_PHONE_BYTES];

		if (v->n >= sizeof(e164))
			return -1;
		memcpy(e164, v->s, v->n); /* a value borrows its bytes: no NUL after them */
		e164[v->n] = '\0';
		kt_phone_digits(e164, norm, sizeof(norm)); /* the digits, as kt_phone_key gives */
		if (norm[0] == '\0')
			return -1;
		search = KT_S_PHONE; /* the phone's token, as one made from the phone itself */
	} else if (search == KT_S_PHONE) {
		kt_phone_key(st, v->s, v->n, norm, sizeof(norm));
	} else {
		if ((f = kt_text_fold(v->s, v->n)) == NULL)
			return -1;
		snprintf(norm, sizeof(norm), "%s", f);
		free(f);
	}
	kt_blind_token(out, search == KT_S_PHONE ? "phone" : "email", norm, ck);
	return 0;
}

int kt_blind_token_op(struct kt_store *st, const struct kt_op *ops, uint32_t nops, uint32_t i,
		      const struct kt_val *v, const uint8_t ck[KT_KEY_BYTES],
		      uint8_t out[KT_TOKEN_BYTES])
{
	if (ops[i].kind != KT_OP_SET)
		return -1;
	if (kt_schema_search(KT_T_CLIENT, ops[i].field) == KT_S_PHONE &&
	    kt_sets_field(ops, nops, kt_schema_searched(KT_T_CLIENT, KT_S_PHONE_COPY)->num))
		return -1; /* the normalised copy carries the phone's token */
	return kt_blind_token_of(st, ops[i].field, v, ck, out);
}

/*
 * Adds to a client draft that sets the phone its normalised copy
 * (KT_CLIENT_PHONE_E164, proto/schema.c): the phone in E.164 under this
 * branch's country, or nothing (clearing a copy an earlier phone left) when
 * it does not parse (an empty copy also tells that the phone carries no
 * blind token, kt_blind_token_op).  A draft that gives the copy itself (an
 * import of an export, which kept the origin's) keeps it when it is a
 * reading of the draft's phone in the copy's own country
 * (kt_phone_is_reading); a copy with no phone, or of another number (a
 * hand-made sheet), is made again here.  The copy is written once, where
 * the phone is typed, so a branch in another country never reads the
 * number again under its own.
 */
static int derive_phone(struct kt_store *st, struct kt_draft *d, struct wctx *w,
			struct kt_err *err)
{
	char ascii[KT_PHONE_TEXT_MAX + 1];
	struct kt_val *pv = NULL, *copy = NULL;
	struct kt_op *op;

	if (d->type != KT_T_CLIENT || st->no_phone_copy)
		return 0;
	for (uint32_t i = 0; i < d->nops; i++) {
		if (d->ops[i].kind == KT_OP_SET && d->ops[i].field == KT_CLIENT_PHONE && pv == NULL)
			pv = &d->vals[i];
		if (d->ops[i].kind == KT_OP_SET && d->ops[i].field == KT_CLIENT_PHONE_E164 &&
		    copy == NULL)
			copy = &d->vals[i];
	}
	if (pv == NULL && copy == NULL)
		return 0;
	ascii[0] = '\0';
	if (pv != NULL && pv->t == KT_V_STR && pv->n <= KT_PHONE_TEXT_MAX)
		kt_text_phone_ascii(pv->s, pv->n, ascii, sizeof(ascii));
	if (copy != NULL && copy->t == KT_V_STR && copy->n < KT_PHONE_BYTES && ascii[0]) {
		memcpy(w->e164, copy->s, copy->n);
		w->e164[copy->n] = '\0';
		if (kt_phone_is_reading(ascii, w->e164))
			return 0; /* the origin's copy of this very phone: kept */
	}
	/* This branch's reading: for a phone, or instead of a copy that is none of it. */
	w->e164[0] = '\0';
	if (ascii[0] && kt_phone_key(st, pv->s, pv->n, w->e164 + 1, sizeof(w->e164) - 1) == 1)
		w->e164[0] = '+'; /* E.164 is + and its digits (the key, parsed once) */
	else
		w->e164[0] = '\0';
	if (copy == NULL) {
		if (d->nops >= KT_OPS_MAX)
			return kt_err_set(err, KT_ETOOBIG, "too many changes in one write (limit %d)",
					  KT_OPS_MAX);
		op = &d->ops[d->nops];
		memset(op, 0, sizeof(*op));
		op->kind = KT_OP_SET;
		op->field = KT_CLIENT_PHONE_E164;
		copy = &d->vals[d->nops++];
	}
	memset(copy, 0, sizeof(*copy));
	if (w->e164[0]) {
		copy->t = KT_V_STR;
		copy->s = w->e164;
		copy->n = (uint32_t)strlen(w->e164);
	} else {
		copy->t = KT_V_NIL;
	}
	return 0;
}

/* Blind index tokens for the hub's duplicate detection, and a new card's key. */
static int add_extras(struct kt_store *st, struct kt_draft *d, struct wctx *w,
		      struct kt_err *err)
{
	uint32_t n = d->nops;
	int rc = 0;

	for (uint32_t i = 0; d->type == KT_T_CLIENT && i < n && rc == 0; i++) {
		int slot = d->ops[i].field == KT_CLIENT_EMAIL ? 1 : 0;

		if (kt_blind_token_op(st, d->ops, n, i, &d->vals[i], st->chain_key,
				      w->tokens[slot]) == 0)
			rc = extra_op(d, KT_OP_TOKEN, w->tokens[slot], KT_TOKEN_BYTES, err);
	}
	if (rc == 0 && d->create && kt_schema_self_owned(d->type)) {
		kt_key_new(w->dk);
		w->key_owner = d->owner;
		w->have_dk = 1;
		kt_key_wrap(w->wrapped, w->dk, &d->owner, st->chain_key);
		rc = extra_op(d, KT_OP_KEY, w->wrapped, KT_WRAPPED_KEY_BYTES, err);
	}
	return rc;
}

static int prepare_ops(struct kt_store *st, MDB_txn *txn, struct kt_draft *d,
		       struct wctx *w, struct kt_err *err)
{
	int rc = 0;

	for (uint32_t i = 0; i < d->nops && rc == 0; i++) {
		struct kt_op *op = &d->ops[i];

		if (op->kind == KT_OP_SET && d->create)
			memset(&op->base, 0, sizeof(op->base)); /* a new record: nothing to overwrite */
		else if (op->kind == KT_OP_SET)
			rc = set_base(st, txn, &d->id, op, err);
		else if (op->kind == KT_OP_DEL)
			rc = del_tags(st, txn, d, op, &d->vals[i], w, i, err);
		else if (op->kind == KT_OP_ALIAS)
			rc = set_base(st, txn, &d->id, op, err);
	}
	return rc;
}

static int write_one(struct kt_store *st, MDB_txn *txn, struct kt_draft *d,
		     struct wctx *w, struct kt_change *c, struct kt_val *vals,
		     struct kt_err *err)
{
	uint8_t hash[KT_HASH_BYTES];
	uint32_t nv = 0;
	int rc;

	if ((rc = settle_record(st, txn, d, err)) != 0 ||
	    (rc = derive_phone(st, d, w, err)) != 0 ||
	    (rc = prepare_ops(st, txn, d, w, err)) != 0 ||
	    (rc = add_extras(st, d, w, err)) != 0 ||
	    (rc = client_key(st, txn, w, &d->owner, err)) != 0)
		return rc;
	memset(c, 0, offsetof(struct kt_change, ops));
	c->origin = st->node_id;
	c->seq = ++st->w_seq;
	c->hlc = st->w_hlc = kt_hlc_now(st->w_hlc, kt_store_now(st));
	/*
	 * A write wins over the version it replaced, whatever the clocks say: a
	 * PC whose clock ran a day ahead before its first sync stamped that
	 * version in the future, and an edit made on top of it (its base) must
	 * not lose to it until real time catches up.  Only this change is
	 * stamped past the base; the node's own clock stays (hlc.h: a remote
	 * clock beyond the drift bound never moves it).
	 */
	for (uint32_t i = 0; i < d->nops; i++)
		if ((d->ops[i].kind == KT_OP_SET || d->ops[i].kind == KT_OP_ALIAS) &&
		    d->ops[i].base.hlc >= c->hlc)
			c->hlc = d->ops[i].base.hlc + 1;
	c->type = d->type;
	c->id = d->id;
	c->owner = d->owner;
	memcpy(c->prev, st->w_head, KT_HASH_BYTES);
	c->nops = d->nops;
	memcpy(c->ops, d->ops, d->nops * sizeof(d->ops[0]));
	c->has_by = st->has_author;
	c->by = st->author;
	for (uint32_t i = 0; i < d->nops; i++)
		if (d->ops[i].kind == KT_OP_SET || d->ops[i].kind == KT_OP_ADD)
			vals[nv++] = d->vals[i];
	if ((rc = kt_change_encode(c, vals, w->dk, &w->out, err)) != 0)
		return rc;
	kt_hash(hash, w->out.data, w->out.size);
	rc = kt_store_apply(st, txn, c, vals, hash, (uint8_t *)w->out.data, w->out.size, err);
	if (rc == 0)
		memcpy(st->w_head, hash, KT_HASH_BYTES);
	return rc;
}

struct write_note {
	const char *name; /* a meta value written in the same transaction, or NULL */
	const void *val;
	size_t len;
};

static int write_batch(struct kt_store *st, struct kt_draft *d, size_t n, uint64_t *seq_out,
		       const struct write_note *note, struct kt_err *err)
{
	struct kt_change *c = kt_malloc(sizeof(*c));
	struct kt_val *vals = kt_malloc(sizeof(*vals) * KT_OPS_MAX);
	struct wctx w;
	MDB_txn *txn;
	int rc;

	memset(&w, 0, sizeof(w));
	msgpack_sbuffer_init(&w.out);
	if ((rc = kt_store_wbegin(st, &txn, err)) != 0)
		goto done;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = write_one(st, txn, &d[i], &w, c, vals, err);
		for (size_t t = 0; t < KT_OPS_MAX; t++) {
			free(w.tags[t]);
			w.tags[t] = NULL;
		}
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		goto done;
	}
	if (note != NULL && note->name != NULL &&
	    (rc = kt_meta_put(st, txn, note->name, note->val, note->len)) != 0) {
		mdb_txn_abort(txn);
		rc = kt_mdb_err(err, rc, "note the write");
		goto done;
	}
	if (seq_out != NULL)
		*seq_out = st->w_seq;
	rc = kt_store_wcommit(st, txn, err);
done:
	wctx_release(&w);
	msgpack_sbuffer_destroy(&w.out);
	free(c);
	free(vals);
	return rc;
}

struct write_ctx {
	struct kt_store *st;
	struct kt_draft *d;
	size_t n;
	uint64_t *seq_out;
	struct write_note note;
	uint32_t nops[KT_BATCH_MAX];
};

static int write_once(void *ctx, struct kt_err *err)
{
	struct write_ctx *w = ctx;

	for (size_t i = 0; i < w->n; i++)
		w->d[i].nops = w->nops[i]; /* drop the extra ops a failed try added */
	return write_batch(w->st, w->d, w->n, w->seq_out, &w->note, err);
}

int kt_store_write(struct kt_store *st, struct kt_draft *d, size_t n, uint64_t *seq_out,
		   struct kt_err *err)
{
	return kt_store_write_noting(st, d, n, NULL, NULL, 0, seq_out, err);
}

int kt_store_write_noting(struct kt_store *st, struct kt_draft *d, size_t n, const char *name,
			  const void *val, size_t len, uint64_t *seq_out, struct kt_err *err)
{
	struct write_ctx w = { st, d, n, seq_out, { name, val, len }, { 0 } };

	kt_assert(n <= KT_BATCH_MAX);
	for (size_t i = 0; i < n; i++)
		w.nops[i] = d[i].nops;
	return kt_store_retry(st, write_once, &w, err);
}
