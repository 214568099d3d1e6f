/*
 * store/ingest.c - a received change made ready (decoded, hashed, opened
 * with its owner's key) and ingested through store/apply.c, and the void
 * changes applied again once their key has come.
 */
#include "store_int.h"
#include "hlc.h"
#include "proto/stub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
/*
 * The owner's key of c from what is at hand without the write transaction:
 * c's own KEY op, else the keys table as rtxn (a reader, may be NULL) sees it.
 */
static int ready_key(struct kt_store *st, MDB_txn *rtxn, const struct kt_change *c,
		     uint8_t dk[KT_KEY_BYTES])
{
	MDB_val key = { KT_ID_BYTES, (void *)c->owner.b }, v;
	const uint8_t *wrapped = NULL;
	struct kt_err err;

	for (uint32_t i = 0; wrapped == NULL && i < c->nops; i++)
		if (c->ops[i].kind == KT_OP_KEY)
			wrapped = c->ops[i].arg;
	if (wrapped == NULL && rtxn != NULL && mdb_get(rtxn, st->keys, &key, &v) == 0 &&
	    v.mv_size == KT_WRAPPED_KEY_BYTES)
		wrapped = v.mv_data;
	return wrapped != NULL ? kt_key_unwrap(dk, wrapped, &c->owner, st->chain_key, &err) : -1;
}

static void ready_plain(struct kt_ready *r)
{
	if (r->c.payload_len > r->plain_cap) {
		free(r->plain);
		r->plain = kt_malloc(r->c.payload_len);
		r->plain_cap = r->c.payload_len;
	}
}

void kt_ready_make(struct kt_store *st, MDB_txn *rtxn, int open, struct kt_ready *r,
		   const uint8_t *bytes, size_t len)
{
	uint8_t dk[KT_KEY_BYTES];
	struct kt_err err;

	r->bytes = bytes;
	r->len = len;
	r->state = KT_READY_NONE;
	kt_hints_clear(r->hints, &r->nhints);
	if (kt_entry_decode(&r->c, r->hash, bytes, len, &err) != 0)
		return; /* ingest decodes it again and says why, in its turn */
	r->state = KT_READY_DECODED;
	if (!open || kt_change_is_stub(&r->c) || (r->c.nops > 0 && r->c.ops[0].kind == KT_OP_SHRED) ||
	    ready_key(st, rtxn, &r->c, dk) != 0)
		return;
	ready_plain(r);
	if (kt_change_open(&r->c, dk, r->plain, r->vals, &err) == 0) {
		r->state = KT_READY_OPENED;
		kt_index_hints(st, &r->c, r->vals, r->hints, &r->nhints);
	} else
		sodium_memzero(r->plain, r->c.payload_len);
	sodium_memzero(dk, sizeof(dk));
}

void kt_ready_release(struct kt_ready *r)
{
	kt_hints_clear(r->hints, &r->nhints);
	if (r->plain != NULL)
		sodium_memzero(r->plain, r->plain_cap);
	free(r->plain);
	r->plain = NULL;
	r->plain_cap = 0;
}

int kt_ready_ingest(struct kt_store *st, MDB_txn *txn, struct kt_ready *r, struct kt_err *err)
{
	struct kt_change *c = &r->c;
	uint8_t dk[KT_KEY_BYTES];
	int opened = r->state == KT_READY_OPENED, void_reason = 0;
	MDB_val v;
	int rc;

	if (r->state == KT_READY_NONE) { /* the decode failed: again, for its error */
		rc = kt_entry_decode(c, r->hash, r->bytes, r->len, err);
		return rc != 0 ? rc : kt_err_set(err, KT_EINVAL, "change decodes only on a second try");
	}
	/* Its chain is checked first: a change held already is not opened again. */
	if ((rc = kt_chain_admit(st, txn, c, r->hash, err)) != 0) {
		rc = rc > 0 ? 0 : rc;
		goto done;
	}
	if (kt_change_is_stub(c) || kt_erased_arrival(st, txn, c)) {
		rc = kt_append_redacted(st, txn, c, r->hash, r->bytes, r->len, err);
		goto done;
	}
	if (c->nops > 0 && c->ops[0].kind == KT_OP_SHRED) {
		/* An erasure carries no values and its owner's key may be gone. */
		memset(r->vals, 0, sizeof(r->vals[0]));
	} else if (!opened) {
		if (kt_owner_key(st, txn, c, dk, err) != 0) {
			if (mdb_get(txn, st->shred, &(MDB_val){ KT_ID_BYTES, c->owner.b }, &v) != 0)
				void_reason = KT_VOID_KEY;
			/* else her key is destroyed: kt_store_merge drops the change */
			memset(r->vals, 0, sizeof(r->vals[0]));
		} else {
			ready_plain(r);
			opened = 1;
			if (kt_change_open(c, dk, r->plain, r->vals, err) != 0)
				void_reason = KT_VOID_SEAL;
			sodium_memzero(dk, sizeof(dk));
		}
	}
	/*
	 * A change that does not open is void at every replica alike (each
	 * holds the same chain key and keys): kept, chained, without effect,
	 * so one bad branch or one damaged byte cannot stop the chain.
	 */
	if (void_reason != 0) {
		if ((rc = kt_log_append(st, txn, c, r->hash, r->bytes, r->len, err)) == 0)
			rc = kt_store_void_note(st, txn, c, void_reason, err);
	} else if ((rc = kt_log_append(st, txn, c, r->hash, r->bytes, r->len, err)) == 0) {
		st->w_hints = r->hints;
		st->w_nhints = r->nhints;
		rc = kt_store_merge(st, txn, c, r->vals, 1, err);
		st->w_nhints = 0;
	}
done:
	kt_hints_clear(r->hints, &r->nhints);
	if (opened)
		sodium_memzero(r->plain, c->payload_len);
	return rc;
}

int kt_erased_arrival(struct kt_store *st, MDB_txn *txn, const struct kt_change *c)
{
	return !kt_change_is_stub(c) && !kt_change_is_shred(c) && kt_is_erased(st, txn, &c->owner);
}

int kt_append_redacted(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		       const uint8_t hash[KT_HASH_BYTES], const uint8_t *bytes, size_t len,
		       struct kt_err *err)
{
	uint8_t stub[KT_STUB_BYTES];
	int rc;

	if (!kt_change_is_stub(c)) {
		kt_stub_encode(c, hash, stub);
		bytes = stub;
		len = sizeof(stub);
	}
	if ((rc = kt_log_append(st, txn, c, hash, bytes, len, err)) != 0)
		return rc;
	if (kt_is_erased(st, txn, &c->owner))
		st->w_erased_dropped++; /* a change to her made after her erasure: dropped */
	return 0;
}

int kt_store_ingest(struct kt_store *st, MDB_txn *txn, const uint8_t *bytes, size_t len,
		    struct kt_err *err)
{
	if (st->w_ready == NULL)
		st->w_ready = kt_calloc(1, sizeof(*st->w_ready));
	kt_ready_make(st, NULL, 0, st->w_ready, bytes, len);
	return kt_ready_ingest(st, txn, st->w_ready, err);
}

int kt_store_ingest_log(struct kt_store *st, MDB_txn *txn, const uint8_t *bytes, size_t len,
			struct kt_err *err)
{
	uint8_t hash[KT_HASH_BYTES];
	int rc;

	if ((rc = kt_entry_decode(&st->w_change, hash, bytes, len, err)) != 0)
		return rc;
	if (!kt_change_is_stub(&st->w_change) && !kt_erased_arrival(st, txn, &st->w_change))
		return kt_store_append(st, txn, &st->w_change, hash, bytes, len, err);
	if ((rc = kt_chain_admit(st, txn, &st->w_change, hash, err)) != 0)
		return rc; /* 1: already held */
	return kt_append_redacted(st, txn, &st->w_change, hash, bytes, len, err);
}

struct key_voids {
	struct { uint64_t origin, seq; } *list;
	size_t n, cap;
};

static int key_void_one(void *ctx, uint64_t origin, uint64_t seq, const MDB_val *v)
{
	struct key_voids *kv = ctx;

	if (v->mv_size != 1 || ((uint8_t *)v->mv_data)[0] != KT_VOID_KEY)
		return 0;
	if (kv->n == kv->cap) {
		kv->cap = kv->cap ? 2 * kv->cap : 16;
		kv->list = kt_realloc(kv->list, kv->cap * sizeof(*kv->list));
	}
	kv->list[kv->n].origin = origin;
	kv->list[kv->n++].seq = seq;
	return 0;
}

int kt_store_void_retry(struct kt_store *st, MDB_txn *txn, struct kt_err *err)
{
	struct key_voids kv = { NULL, 0, 0 };
	int rc;

	st->w_filled = 0;
	/* Listed first (applying writes to meta); bounded by the void changes kept. */
	if ((rc = kt_meta_pairs(st, txn, "void:", key_void_one, &kv)) != 0) {
		free(kv.list);
		return kt_mdb_err(err, rc, "read the void changes");
	}
	if (st->w_ready == NULL)
		st->w_ready = kt_calloc(1, sizeof(*st->w_ready));
	rc = 0;
	for (size_t i = 0; i < kv.n && rc == 0; i++) {
		struct kt_ready *r = st->w_ready;
		uint8_t hash[KT_HASH_BYTES], lk[8];
		char name[64];
		uint64_t pos;
		MDB_val lv;

		if (kt_chain_get(st, txn, kv.list[i].origin, kv.list[i].seq, hash, &pos) != 0 ||
		    pos == KT_CHAIN_HOLE || pos == KT_CHAIN_HOLE_UNSIGNED)
			continue;
		kt_be64_put(lk, pos);
		if (mdb_get(txn, st->log, &(MDB_val){ 8, lk }, &lv) != 0)
			continue;
		kt_ready_make(st, txn, 1, r, lv.mv_data, lv.mv_size);
		if (r->state != KT_READY_OPENED)
			continue; /* void still: its key is not here, or does not open it */
		snprintf(name, sizeof(name), "void:%016llx:%016llx",
			 (unsigned long long)kv.list[i].origin, (unsigned long long)kv.list[i].seq);
		if ((rc = mdb_del(txn, st->meta, &(MDB_val){ strlen(name), name }, NULL)) != 0) {
			rc = kt_mdb_err(err, rc, "apply a void change");
		} else {
			st->w_unvoided++;
			st->w_hints = r->hints;
			st->w_nhints = r->nhints;
			rc = kt_store_merge(st, txn, &r->c, r->vals, 1, err);
			st->w_nhints = 0;
		}
		kt_hints_clear(r->hints, &r->nhints);
		sodium_memzero(r->plain, r->c.payload_len);
	}
	free(kv.list);
	return rc;
}
