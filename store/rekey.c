/*
 * store/rekey.c - a node that carded clients before it joined a chain takes
 * the chain's key: its log is re-sealed under the new key, once, in place.
 *
 * A standalone node's changes have never left it, so they can be rewritten
 * without anyone noticing: each keeps its origin, seq, hlc, ops and values
 * (so versions, tags and the state stay as they are), while what depended on
 * the old chain key is made again -- the KEY op (the client's data key wrapped
 * by the chain key), the TOKEN ops (blind tokens are keyed by it), and so the
 * seal (the header is its additional data) and the hash chain.  The keys and
 * tokens tables follow.  One LMDB write transaction does it all; the key file
 * is switched after the commit, and kt_store_open() finishes a switch a crash
 * interrupted (meta "rekey" holds the hash of the key the store is under).
 */
#include <string.h>
#include <stdlib.h>
#include <sodium.h>
#include "store_int.h"
#include "text.h"

struct rekey {
	struct kt_store *st;
	MDB_txn *txn;
	const uint8_t *nk;   /* the new chain key */
	struct kt_change *c;
	struct kt_val *vals;
	uint8_t wrapped[KT_WRAPPED_KEY_BYTES];
	uint8_t tokens[KT_OPS_MAX][KT_TOKEN_BYTES];
	uint8_t head[KT_HASH_BYTES];     /* the new chain's last hash */
	uint8_t old_head[KT_HASH_BYTES]; /* the old chain's, to check the log as read */
	msgpack_sbuffer out;
};

/*
 * The change's TOKEN ops made again under the new key: the store writes one
 * per phone or email SET that has one, in op order (kt_blind_token_of), and
 * each is indexed as apply does.
 */
static int new_tokens(struct rekey *r, struct kt_err *err)
{
	struct kt_change *c = r->c;
	uint32_t vi = 0, nt = 0, ti = 0;

	if (c->type != KT_T_CLIENT)
		return 0;
	for (uint32_t i = 0; i < c->nops; i++) {
		const struct kt_op *op = &c->ops[i];

		if (op->kind == KT_OP_SET && nt < KT_OPS_MAX &&
		    kt_blind_token_op(r->st, c->ops, c->nops, i, &r->vals[vi], r->nk,
				      r->tokens[nt]) == 0)
			nt++;
		vi += op->kind == KT_OP_SET || op->kind == KT_OP_ADD;
	}
	for (uint32_t i = 0; i < c->nops; i++) {
		int rc;

		if (c->ops[i].kind != KT_OP_TOKEN)
			continue;
		if (ti >= nt)
			return kt_err_set(err, KT_ECORRUPT, "change %llu has a token for no value",
					  (unsigned long long)c->seq);
		c->ops[i].arg = r->tokens[ti++];
		if ((rc = kt_token_put(r->st, r->txn, c->ops[i].arg, &c->owner, err)) != 0)
			return rc;
	}
	return 0;
}

/* Re-seals the change at log position pos; bytes are a copy of the old one. */
static int rekey_one(struct rekey *r, uint64_t pos, const uint8_t *bytes, size_t len,
		     struct kt_err *err)
{
	struct kt_change *c = r->c;
	uint8_t dk[KT_KEY_BYTES], hash[KT_HASH_BYTES], lk[8];
	uint8_t *plain = NULL;
	MDB_val key, val;
	int rc, has_by = 0;

	if ((rc = kt_change_decode(c, bytes, len, err)) != 0)
		return rc;
	if (c->origin != r->st->node_id)
		return kt_err_set(err, KT_EINVAL, "this node holds changes of another branch "
				  "(origin %016llx): it already belongs to a chain",
				  (unsigned long long)c->origin);
	if (c->seq != pos || memcmp(c->prev, r->old_head, KT_HASH_BYTES) != 0)
		return kt_err_set(err, KT_ECORRUPT, "the log breaks its hash chain at change %llu",
				  (unsigned long long)c->seq);
	for (uint32_t i = 0; i < c->nops; i++)
		if (c->ops[i].kind == KT_OP_SHRED)
			return kt_err_set(err, KT_EINVAL, "this node has erased a client: it cannot "
					  "be re-keyed (join with a fresh node and import)");
	if ((rc = kt_owner_key(r->st, r->txn, c, dk, err)) != 0)
		return rc; /* under the old chain key: the keys table is rewritten last */
	plain = kt_malloc(c->payload_len ? c->payload_len : 1);
	if ((rc = kt_change_open_by(c, dk, plain, r->vals, &c->by, &has_by, err)) != 0)
		goto done;
	c->has_by = (uint8_t)has_by; /* the author stays, sealed again with the values */
	for (uint32_t i = 0; i < c->nops; i++)
		if (c->ops[i].kind == KT_OP_KEY) {
			kt_key_wrap(r->wrapped, dk, &c->owner, r->nk);
			c->ops[i].arg = r->wrapped;
		}
	if ((rc = new_tokens(r, err)) != 0)
		goto done;
	memcpy(c->prev, r->head, KT_HASH_BYTES);
	if ((rc = kt_change_encode(c, r->vals, dk, &r->out, err)) != 0)
		goto done;
	kt_hash(hash, r->out.data, r->out.size);
	kt_be64_put(lk, pos);
	key = (MDB_val){ 8, lk };
	val = (MDB_val){ r->out.size, r->out.data };
	if ((rc = mdb_put(r->txn, r->st->log, &key, &val, 0)) != 0) {
		rc = kt_mdb_err(err, rc, "rewrite the log");
		goto done;
	}
	if ((rc = kt_chain_put(r->st, r->txn, c->origin, c->seq, hash, pos, err)) != 0)
		goto done;
	memcpy(r->head, hash, KT_HASH_BYTES);
	kt_hash(r->old_head, bytes, len);
done:
	sodium_memzero(dk, sizeof(dk));
	if (plain != NULL) {
		sodium_memzero(plain, c->payload_len);
		free(plain);
	}
	return rc;
}

/* Every client's data key wrapped again, under the new chain key. */
static int rewrap_keys(struct rekey *r, struct kt_err *err)
{
	MDB_cursor *cur;
	MDB_val key, v;
	int rc;

	if ((rc = mdb_cursor_open(r->txn, r->st->keys, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST);
	while (rc == 0) {
		struct kt_id owner;
		uint8_t dk[KT_KEY_BYTES], w[KT_WRAPPED_KEY_BYTES];
		MDB_val nv = { sizeof(w), w };

		if (key.mv_size != KT_ID_BYTES || v.mv_size != KT_WRAPPED_KEY_BYTES) {
			mdb_cursor_close(cur);
			return kt_err_set(err, KT_ECORRUPT, "a client's key is damaged");
		}
		memcpy(owner.b, key.mv_data, KT_ID_BYTES);
		if ((rc = kt_key_unwrap(dk, v.mv_data, &owner, r->st->chain_key, err)) != 0) {
			mdb_cursor_close(cur);
			return rc;
		}
		kt_key_wrap(w, dk, &owner, r->nk);
		sodium_memzero(dk, sizeof(dk));
		if ((rc = mdb_cursor_put(cur, &key, &nv, MDB_CURRENT)) != 0) {
			mdb_cursor_close(cur);
			return kt_mdb_err(err, rc, "store a client's key");
		}
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : kt_mdb_err(err, rc, "read the clients' keys");
}

struct rekey_ctx {
	struct kt_store *st;
	const uint8_t *nk;
};

static int rekey_once(void *ctx, struct kt_err *err)
{
	struct kt_store *st = ((struct rekey_ctx *)ctx)->st;
	const uint8_t *nk = ((struct rekey_ctx *)ctx)->nk;
	struct rekey r;
	uint8_t nkh[KT_HASH_BYTES];
	uint8_t last[KT_HASH_BYTES];
	uint64_t pos = 0, seq = 0, logpos = 0;
	MDB_stat ms;
	MDB_txn *txn;
	int rc;

	memset(&r, 0, sizeof(r));
	r.st = st;
	r.nk = nk;
	r.c = kt_malloc(sizeof(*r.c));
	r.vals = kt_malloc(sizeof(*r.vals) * KT_OPS_MAX);
	msgpack_sbuffer_init(&r.out);
	if ((rc = kt_store_wbegin(st, &txn, err)) != 0)
		goto out;
	r.txn = txn;
	if ((rc = kt_store_origin_head(st, txn, st->node_id, &seq, last, &logpos)) != 0 ||
	    (rc = mdb_stat(txn, st->log, &ms)) != 0) {
		rc = kt_mdb_err(err, rc, "read the log");
		goto abort;
	}
	if (logpos != seq || ms.ms_entries != seq) {
		rc = kt_err_set(err, KT_EINVAL, "this node holds changes of other branches: it "
				"already belongs to a chain");
		goto abort;
	}
	if ((rc = mdb_drop(txn, st->tokens, 0)) != 0) {
		rc = kt_mdb_err(err, rc, "clear the blind tokens");
		goto abort;
	}
	while (rc == 0 && pos < seq) { /* bounded by the log's length */
		uint8_t lk[8], *copy;
		MDB_val key = { 8, lk }, v;

		kt_be64_put(lk, ++pos);
		if ((rc = mdb_get(txn, st->log, &key, &v)) != 0) {
			rc = kt_err_set(err, KT_ECORRUPT, "the log has no change at %llu",
					(unsigned long long)pos);
			break;
		}
		copy = kt_malloc(v.mv_size);
		memcpy(copy, v.mv_data, v.mv_size);
		rc = rekey_one(&r, pos, copy, v.mv_size, err);
		free(copy);
	}
	if (rc == 0)
		rc = rewrap_keys(&r, err);
	if (rc != 0)
		goto abort;
	kt_hash(nkh, nk, KT_KEY_BYTES);
	if ((rc = kt_meta_put(st, txn, "rekey", nkh, sizeof(nkh))) != 0) {
		rc = kt_mdb_err(err, rc, "record the new key");
		goto abort;
	}
	if ((rc = kt_store_wcommit(st, txn, err)) != 0)
		goto out;
	memcpy(st->chain_key, nk, KT_KEY_BYTES);
	goto out;
abort:
	mdb_txn_abort(txn);
out:
	msgpack_sbuffer_destroy(&r.out);
	free(r.c);
	free(r.vals);
	return rc;
}

int kt_store_rekey(struct kt_store *st, const uint8_t nk[KT_KEY_BYTES], struct kt_err *err)
{
	struct rekey_ctx c = { st, nk };

	return kt_store_retry(st, rekey_once, &c, err);
}
