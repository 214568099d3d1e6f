/*
 * store/apply.c - the one path that applies a change to the store: the
 * hash chain check, the log append, and the merge rules of proto/merge.h
 * on the LMDB state (layout in store.h).
 */
#include "store_int.h"
#include "hlc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

int kt_store_origin_head(struct kt_store *st, MDB_txn *txn, uint64_t origin, uint64_t *seq,
			 uint8_t hash[KT_HASH_BYTES], uint64_t *logpos)
{
	uint8_t k[16];
	MDB_val key = { 16, k }, v;
	MDB_cursor *cur;
	int rc;

	*seq = 0;
	*logpos = 0;
	memset(hash, 0, KT_HASH_BYTES);
	kt_be64_put(k, origin);
	kt_be64_put(k + 8, UINT64_MAX);
	if ((rc = mdb_cursor_open(txn, st->chain, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	rc = mdb_cursor_get(cur, &key, &v, rc == 0 ? MDB_PREV : MDB_LAST);
	if (rc == 0 && key.mv_size == 16 && kt_be64_get(key.mv_data) == origin &&
	    v.mv_size == KT_HASH_BYTES + 8) {
		*seq = kt_be64_get((uint8_t *)key.mv_data + 8);
		memcpy(hash, v.mv_data, KT_HASH_BYTES);
		*logpos = kt_be64_get((uint8_t *)v.mv_data + KT_HASH_BYTES);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The clock of the change at log position pos (0 when there is none). */
static uint64_t logged_hlc(struct kt_store *st, MDB_txn *txn, uint64_t pos)
{
	uint8_t k[8];
	MDB_val key = { 8, k }, v;

	kt_be64_put(k, pos);
	if (pos == 0 || mdb_get(txn, st->log, &key, &v) != 0 ||
	    kt_change_decode(&st->w_change, v.mv_data, v.mv_size, NULL) != 0)
		return 0;
	return st->w_change.hlc;
}

/*
 * The node's writing state is derived, not stored twice: the log position
 * is the log's last key, the seq and head hash are the chain's last entry
 * for our origin, and the clock is the larger of that change's clock and
 * the "hlc" meta value, which is written only when a received change moved
 * the clock.  A local write thus dirties no meta page.
 */
int kt_store_state(struct kt_store *st, MDB_txn *txn, struct kt_err *err)
{
	MDB_val key, v;
	MDB_cursor *cur;
	uint64_t own_pos, meta_hlc;
	int rc;

	st->w_logpos = 0;
	st->w_hlc_dirty = 0;
	st->w_last_valid = 0;
	st->w_voided = 0;
	st->w_unvoided = 0;
	st->w_filled = 0;
	st->w_void.first = 0;
	{
		MDB_val hk = { 5, "hole:" }, hv;
		MDB_cursor *hc;

		st->w_holes = 0;
		if (mdb_cursor_open(txn, st->meta, &hc) == 0) {
			st->w_holes = mdb_cursor_get(hc, &hk, &hv, MDB_SET_RANGE) == 0 &&
				      hk.mv_size >= 5 && memcmp(hk.mv_data, "hole:", 5) == 0;
			mdb_cursor_close(hc);
		}
	}
	if ((rc = mdb_cursor_open(txn, st->log, &cur)) != 0)
		return kt_mdb_err(err, rc, "read the log");
	if ((rc = mdb_cursor_get(cur, &key, &v, MDB_LAST)) == 0 && key.mv_size == 8)
		st->w_logpos = kt_be64_get(key.mv_data);
	mdb_cursor_close(cur);
	if ((rc != 0 && rc != MDB_NOTFOUND) ||
	    (rc = kt_store_origin_head(st, txn, st->node_id, &st->w_seq, st->w_head,
				       &own_pos)) != 0 ||
	    (rc = kt_meta_u64(st, txn, "hlc", &meta_hlc)) != 0)
		return kt_mdb_err(err, rc, "read the node's state");
	st->w_hlc = logged_hlc(st, txn, own_pos);
	/*
	 * A last own change stamped past the drift bound (a clock that ran
	 * ahead, or a write placed past a base that did) does not carry the
	 * node's clock along with it.
	 */
	if (kt_hlc_ms(st->w_hlc) > kt_store_now(st) + KT_HLC_DRIFT_MAX_MS)
		st->w_hlc = 0;
	if (meta_hlc > st->w_hlc)
		st->w_hlc = meta_hlc;
	return 0;
}

static const struct kt_val nil_val;

int kt_store_wbegin(struct kt_store *st, MDB_txn **txn, struct kt_err *err)
{
	int rc;

	if (kt_interrupted)
		return kt_err_set(err, KT_EINTR, "interrupted: nothing of this write was made");
	rc = kt_txn_begin(st->env, 0, txn);

	if (rc != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	if ((rc = kt_store_state(st, *txn, err)) != 0)
		mdb_txn_abort(*txn);
	return rc;
}

int kt_store_wcommit_lazy(struct kt_store *st, MDB_txn *txn, struct kt_err *err)
{
	int rc;

	/* One flush instead of two; integrity holds, only this commit may be undone. */
	mdb_env_set_flags(st->env, MDB_NOMETASYNC, 1);
	rc = kt_store_wcommit(st, txn, err);
	mdb_env_set_flags(st->env, MDB_NOMETASYNC, 0);
	return rc;
}

int kt_store_wcommit(struct kt_store *st, MDB_txn *txn, struct kt_err *err)
{
	int rc;

	if (st->w_hlc_dirty && (rc = kt_meta_put_u64(st, txn, "hlc", st->w_hlc)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "save the clock");
	}
	if (st->w_voided > 0 || st->w_unvoided > 0) { /* kept for `status`: "voided" */
		uint64_t n;

		if ((rc = kt_meta_u64(st, txn, "voided", &n)) != 0 ||
		    (rc = kt_meta_put_u64(st, txn, "voided", n + st->w_voided -
					  (st->w_unvoided < n + st->w_voided ? st->w_unvoided :
					   n + st->w_voided))) != 0) {
			mdb_txn_abort(txn);
			return kt_mdb_err(err, rc, "count void changes");
		}
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "commit");
	st->voided += st->w_voided; /* counted once the transaction holds */
	st->voided -= st->w_unvoided < st->voided ? st->w_unvoided : st->voided;
	if (st->w_void.first != 0 && st->void_run.first == 0)
		st->void_run = st->w_void; /* the sync state machine tells the hub, once */
	return 0;
}

int kt_store_void_note(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		       int reason, struct kt_err *err)
{
	char name[64];
	uint8_t r = (uint8_t)reason;
	struct kt_void_run *run = &st->w_void;
	int rc;

	snprintf(name, sizeof(name), "void:%016llx:%016llx", (unsigned long long)c->origin,
		 (unsigned long long)c->seq);
	if ((rc = kt_meta_put(st, txn, name, &r, 1)) != 0)
		return kt_mdb_err(err, rc, "keep a void change");
	st->w_voided++;
	if (run->first == 0)
		*run = (struct kt_void_run){ c->origin, c->seq, c->seq, reason };
	else if (run->origin == c->origin && run->last + 1 == c->seq && run->reason == reason)
		run->last = c->seq;
	return 0;
}

const char *kt_void_reason_text(int reason)
{
	switch (reason) {
	case KT_VOID_SEAL: return "its seal does not open (forged, damaged or another chain key)";
	case KT_VOID_KEY: return "its client's data key is not held or does not open with the "
				 "chain key";
	case KT_VOID_RECORD: return "it names a record under another client or type";
	default: return "unknown reason";
	}
}

/*
 * Calls fn(ctx, a, b, value) for each meta entry "<prefix><16 hex>:<16 hex>"
 * (prefix: 5 bytes, "void:" or "hole:") in key order, in txn, until fn
 * returns non-zero.  Bounded by the entries of that kind.  Returns 0, or
 * an LMDB error.
 */
static int meta_pairs(struct kt_store *st, MDB_txn *txn, const char *prefix,
		      int (*fn)(void *ctx, uint64_t a, uint64_t b, const MDB_val *v), void *ctx)
{
	MDB_val k = { 5, (void *)prefix }, v;
	MDB_cursor *cur;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->meta, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == 38 && memcmp(k.mv_data, prefix, 5) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char a[17], b[17];

		memcpy(a, (char *)k.mv_data + 5, 16);
		memcpy(b, (char *)k.mv_data + 22, 16);
		a[16] = b[16] = '\0';
		if (fn(ctx, strtoull(a, NULL, 16), strtoull(b, NULL, 16), &v) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct listing {
	struct kt_store *st;
	MDB_txn *txn;
	uint32_t max;
	long n;
	void (*void_fn)(void *ctx, uint64_t origin, uint64_t seq, int reason);
	void (*hole_fn)(void *ctx, const struct kt_hole *h);
	void *ctx;
};

static int void_one(void *ctx, uint64_t origin, uint64_t seq, const MDB_val *v)
{
	struct listing *l = ctx;

	if (l->void_fn != NULL && (l->max == 0 || (uint64_t)l->n < l->max))
		l->void_fn(l->ctx, origin, seq, v->mv_size == 1 ? ((uint8_t *)v->mv_data)[0] : 0);
	l->n++;
	return 0;
}

/* meta_pairs over prefix in a read transaction of its own: how many l counted, or -1. */
static long list_pairs(struct listing *l, const char *prefix,
		       int (*one)(void *ctx, uint64_t a, uint64_t b, const MDB_val *v))
{
	int rc;

	if (kt_store_rdtxn(l->st, &l->txn, NULL) != 0)
		return -1;
	rc = meta_pairs(l->st, l->txn, prefix, one, l);
	mdb_txn_abort(l->txn);
	return rc == 0 ? l->n : -1;
}

long kt_store_voids(struct kt_store *st, uint32_t max,
		    void (*fn)(void *ctx, uint64_t origin, uint64_t seq, int reason), void *ctx)
{
	struct listing l = { st, NULL, max, 0, fn, NULL, ctx };

	return list_pairs(&l, "void:", void_one);
}

/*
 * A change that does not fit what the store holds of its origin.  When the
 * origin is this very node, the hub holds changes of it the node does not:
 * kt_store_fork_err says what happened and what to do.
 */
static int broken(struct kt_store *st, const struct kt_change *c, const char *what,
		  struct kt_err *err)
{
	if (c->origin == st->node_id)
		return kt_store_fork_err(err, c->seq);
	return kt_err_set(err, KT_ECORRUPT, "change %llu of origin %016llx %s",
			  (unsigned long long)c->seq, (unsigned long long)c->origin, what);
}

int kt_store_fork_err(struct kt_err *err, uint64_t seq)
{
	return kt_err_set(err, KT_ECORRUPT, "the hub holds another change %llu of this node: it "
			  "was restored from a backup and written to before it synced; export what "
			  "was written since, and join again as a new node (see README)",
			  (unsigned long long)seq);
}

int kt_chain_get(struct kt_store *st, MDB_txn *txn, uint64_t origin, uint64_t seq,
		 uint8_t hash[KT_HASH_BYTES], uint64_t *logpos)
{
	uint8_t k[16];
	MDB_val key = { sizeof(k), k }, v;
	int rc;

	kt_be64_put(k, origin);
	kt_be64_put(k + 8, seq);
	if ((rc = mdb_get(txn, st->chain, &key, &v)) != 0)
		return rc;
	if (v.mv_size != KT_HASH_BYTES + 8)
		return MDB_CORRUPTED;
	memcpy(hash, v.mv_data, KT_HASH_BYTES);
	if (logpos != NULL)
		*logpos = kt_be64_get((uint8_t *)v.mv_data + KT_HASH_BYTES);
	return 0;
}

static void hole_name(char out[48], uint64_t origin, uint64_t last)
{
	snprintf(out, 48, "hole:%016llx:%016llx", (unsigned long long)origin,
		 (unsigned long long)last);
}

/*
 * Returns 1 when the store holds this very change (same hash), 0 when it is
 * the next of its origin or fills a hole (the hash the origin signed for a
 * withheld seq), or an error: a gap, a broken chain, or other bytes
 * under a seq it holds (an origin that wrote two changes with one seq, or a
 * forgery).
 */
static int check_chain(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		       const uint8_t hash[KT_HASH_BYTES], struct kt_err *err)
{
	static const uint8_t zero[KT_HASH_BYTES];
	uint8_t held[KT_HASH_BYTES];
	uint64_t pos = 0;
	int rc, fills = 0;

	if (!st->w_holes && st->w_last_valid && st->w_last_origin == c->origin &&
	    c->seq == st->w_last_seq + 1)
		/* the next of the origin whose change came last */
		return memcmp(st->w_last_hash, c->prev, KT_HASH_BYTES) == 0 ? 0 :
			broken(st, c, "does not follow the hash chain", err);
	rc = kt_chain_get(st, txn, c->origin, c->seq, held, &pos);
	if (rc == 0 && pos != KT_CHAIN_HOLE_UNSIGNED && memcmp(held, hash, KT_HASH_BYTES) != 0)
		return broken(st, c, pos == KT_CHAIN_HOLE ? "is not the one its origin signed" :
			      "differs from the one held", err);
	if (rc == 0 && pos != KT_CHAIN_HOLE && pos != KT_CHAIN_HOLE_UNSIGNED)
		return 1;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "read the hash chain");
	fills = rc == 0; /* the true change of a withheld one: it fills the hole */
	if (c->seq == 1) {
		if (memcmp(c->prev, zero, KT_HASH_BYTES) != 0)
			return kt_err_set(err, KT_ECORRUPT, "change 1 of origin %016llx names a "
					  "previous change", (unsigned long long)c->origin);
	} else {
		rc = kt_chain_get(st, txn, c->origin, c->seq - 1, held, &pos);
		if (rc == MDB_NOTFOUND)
			return kt_err_set(err, KT_ECORRUPT, "gap: change %llu of origin %016llx "
					  "arrived before %llu", (unsigned long long)c->seq,
					  (unsigned long long)c->origin,
					  (unsigned long long)c->seq - 1);
		if (rc != 0)
			return kt_mdb_err(err, rc, "read the hash chain");
		if (memcmp(held, c->prev, KT_HASH_BYTES) != 0 && pos != KT_CHAIN_HOLE_UNSIGNED)
			return broken(st, c, "does not follow the hash chain", err);
		/*
		 * A signed change names the hash of the unsigned hole before it:
		 * now that hash is vouched for, and it is the one the change names
		 * (an unsigned hash is only the hub's word).
		 */
		if (pos == KT_CHAIN_HOLE_UNSIGNED &&
		    (rc = kt_chain_put(st, txn, c->origin, c->seq - 1, c->prev, KT_CHAIN_HOLE,
				       err)) != 0)
			return rc;
	}
	if (fills) {
		char name[48];

		hole_name(name, c->origin, c->seq);
		rc = mdb_del(txn, st->meta, &(MDB_val){ strlen(name), name }, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return kt_mdb_err(err, rc, "fill a withheld change");
		st->w_filled = 1;
	}
	return 0;
}

int kt_store_hole_vouches(struct kt_store *st, MDB_txn *txn, uint64_t origin, uint64_t seq,
			  const uint8_t hash[KT_HASH_BYTES])
{
	uint8_t held[KT_HASH_BYTES];
	uint64_t pos;

	return kt_chain_get(st, txn, origin, seq, held, &pos) == 0 && pos == KT_CHAIN_HOLE &&
	       memcmp(held, hash, KT_HASH_BYTES) == 0;
}

int kt_store_hole_put(struct kt_store *st, MDB_txn *txn, const struct kt_hole *h,
		      const uint8_t hash[KT_HASH_BYTES], int is_signed, struct kt_err *err)
{
	uint8_t held[KT_HASH_BYTES], v[16];
	uint64_t pos;
	char name[48];
	int rc;

	rc = kt_chain_get(st, txn, h->origin, h->last, held, &pos);
	if (rc == 0 && pos == KT_CHAIN_HOLE_UNSIGNED && is_signed)
		rc = MDB_NOTFOUND; /* signed now: it takes the unsigned one's place */
	else if (rc == 0 && !is_signed)
		return 0; /* nothing unsigned replaces what is held */
	if (rc == 0)
		return memcmp(held, hash, KT_HASH_BYTES) == 0 ? 0 :
			kt_err_set(err, KT_ECORRUPT, "change %llu of origin %016llx, withheld by "
				   "the hub, differs from the one held",
				   (unsigned long long)h->last, (unsigned long long)h->origin);
	if (rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "read the hash chain");
	if (h->first > 1 && (rc = kt_chain_get(st, txn, h->origin, h->first - 1, held, NULL)) != 0)
		return rc == MDB_NOTFOUND ?
			kt_err_set(err, KT_ECORRUPT, "gap: changes %llu-%llu of origin %016llx "
				   "arrived before %llu", (unsigned long long)h->first,
				   (unsigned long long)h->last, (unsigned long long)h->origin,
				   (unsigned long long)h->first - 1) :
			kt_mdb_err(err, rc, "read the hash chain");
	if ((rc = kt_chain_put(st, txn, h->origin, h->last, hash,
			       is_signed ? KT_CHAIN_HOLE : KT_CHAIN_HOLE_UNSIGNED, err)) != 0)
		return rc;
	kt_be64_put(v, h->first);
	kt_be64_put(v + 8, h->hub_at);
	hole_name(name, h->origin, h->last);
	if ((rc = kt_meta_put(st, txn, name, v, sizeof(v))) != 0)
		return kt_mdb_err(err, rc, "keep a withheld change");
	st->w_holes = 1;
	return 0;
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
	if ((rc = meta_pairs(st, txn, "void:", key_void_one, &kv)) != 0) {
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

static int hole_one(void *ctx, uint64_t origin, uint64_t last, const MDB_val *v)
{
	struct listing *l = ctx;
	uint8_t held[KT_HASH_BYTES];
	struct kt_hole h = { origin, 0, last, 0 };
	uint64_t pos;

	if (v->mv_size != 16 || kt_chain_get(l->st, l->txn, origin, last, held, &pos) != 0 ||
	    (pos != KT_CHAIN_HOLE && pos != KT_CHAIN_HOLE_UNSIGNED))
		return 0; /* filled (or not a hole): nothing to ask for */
	h.first = kt_be64_get(v->mv_data);
	h.hub_at = kt_be64_get((uint8_t *)v->mv_data + 8);
	if (l->hole_fn != NULL && (l->max == 0 || (uint64_t)l->n < l->max))
		l->hole_fn(l->ctx, &h);
	l->n++;
	return 0;
}

long kt_store_holes(struct kt_store *st, uint32_t max,
		    void (*fn)(void *ctx, const struct kt_hole *h), void *ctx)
{
	struct listing l = { st, NULL, max, 0, NULL, fn, ctx };

	return list_pairs(&l, "hole:", hole_one);
}

static int append_log(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		      const uint8_t hash[KT_HASH_BYTES], const uint8_t *bytes, size_t len,
		      struct kt_err *err)
{
	uint8_t lk[8];
	MDB_val key = { 8, lk }, val = { len, (void *)bytes };
	int rc;

	st->w_logpos++;
	kt_be64_put(lk, st->w_logpos);
	if ((rc = mdb_put(txn, st->log, &key, &val, MDB_APPEND)) != 0)
		return kt_mdb_err(err, rc, "append to the log");
	if ((rc = kt_chain_put(st, txn, c->origin, c->seq, hash, st->w_logpos, err)) != 0)
		return rc;
	st->w_last_valid = 1;
	st->w_last_origin = c->origin;
	st->w_last_seq = c->seq;
	memcpy(st->w_last_hash, hash, KT_HASH_BYTES);
	return 0;
}

int kt_chain_put(struct kt_store *st, MDB_txn *txn, uint64_t origin, uint64_t seq,
		 const uint8_t hash[KT_HASH_BYTES], uint64_t logpos, struct kt_err *err)
{
	uint8_t ck[16], cv[KT_HASH_BYTES + 8];
	MDB_val key = { sizeof(ck), ck }, val = { sizeof(cv), cv };
	int rc;

	kt_be64_put(ck, origin);
	kt_be64_put(ck + 8, seq);
	memcpy(cv, hash, KT_HASH_BYTES);
	kt_be64_put(cv + KT_HASH_BYTES, logpos);
	st->w_last_valid = 0; /* append_log sets it again; a re-key rewrites the chain */
	if ((rc = mdb_put(txn, st->chain, &key, &val, 0)) != 0)
		return kt_mdb_err(err, rc, "extend the hash chain");
	return 0;
}

/*
 * The catalogue is listed at every safety check, so its entries are indexed
 * by kind: idx 'c' 0x00 id (store.h), never removed (an entry is retired).
 */
static int catalogue_index(struct kt_store *st, MDB_txn *txn, const struct kt_id *id)
{
	uint8_t k[2 + KT_ID_BYTES] = { 'c', 0x00 };
	MDB_val key = { sizeof(k), k }, v = { 0, NULL };

	memcpy(k + 2, id->b, KT_ID_BYTES);
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
	MDB_val key = { kt_reckey(k, &c->id, 0, NULL), k }, v = { sizeof(hv), hv };
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
	if (c->type == KT_T_CATALOGUE && (rc = catalogue_index(st, txn, &c->id)) != 0)
		return kt_mdb_err(err, rc, "index a catalogue entry");
	return 1;
}

/*
 * A write meets the field's current value: concurrent writes are kept as a
 * conflict; a write made on top of the current winner resolves the field's
 * conflicts.  Write-once fields never conflict.
 */
static int review(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		  const struct kt_op *op, const MDB_val *v, const struct kt_val *val, int res,
		  struct kt_err *err)
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
					n < sizeof(copy) ? n : 0, &in, val, err);
	}
	if (res == KT_LWW_WIN && kt_version_cmp(&op->base, &cur) >= 0)
		return kt_conflict_resolve(st, txn, &c->id, op->field, &op->base, err);
	return 0;
}

static int apply_lww(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		     const struct kt_op *op, const struct kt_val *val, int fresh,
		     struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES], buf[KT_STORED_BYTES_MAX];
	MDB_val key = { kt_reckey(k, &c->id, op->field, NULL), k }, v;
	struct kt_version in = { c->hlc, c->origin }, cur;
	const struct kt_field *f = kt_schema_field(c->type, op->field);
	struct kt_val old;
	struct kt_fbuf fb;
	msgpack_packer pk;
	int rc, res, had, phone;

	/* Two ops of one change may name one field: only the first finds it absent. */
	rc = fresh == 1 ? MDB_NOTFOUND : mdb_get(txn, st->rec, &key, &v);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "read a field");
	had = rc == 0 && v.mv_size > 2 * KT_VER_BYTES;
	if (had)
		kt_version_get(&cur, v.mv_data);
	res = (f != NULL && f->merge == KT_M_ONCE) ? kt_merge_once(had ? &cur : NULL, &in)
						   : kt_merge_lww(had ? &cur : NULL, &in);
	if (had && (rc = review(st, txn, c, op, &v, val, res, err)) != 0)
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
	kt_fbuf_init(&fb, buf + 2 * KT_VER_BYTES, sizeof(buf) - 2 * KT_VER_BYTES, &pk);
	kt_val_pack(&pk, val);
	v.mv_size = 2 * KT_VER_BYTES + fb.n;
	v.mv_data = buf;
	if ((rc = mdb_put(txn, st->rec, &key, &v, 0)) != 0)
		return kt_mdb_err(err, rc, "write a field");
	if (phone)
		return kt_index_phone(st, txn, &c->id, 0, op->field, val, err);
	return 0;
}

/* Sets one element's state, keeping its value when it has one. */
static int put_elem(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		    uint16_t field, const uint8_t *tag, int add, const struct kt_val *val,
		    struct kt_err *err)
{
	uint8_t k[KT_RECKEY_BYTES], buf[KT_STORED_BYTES_MAX];
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
	if (nx == KT_ELEM_LIVE) {
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
	MDB_val key = { kt_reckey(k, id, 0, NULL), k }, v;
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
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		rc = mdb_cursor_get(cur, &key, &v, MDB_GET_CURRENT);
		if (rc == MDB_NOTFOUND || rc == EINVAL)
			rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
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
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		rc = mdb_cursor_get(cur, &key, &v, MDB_GET_CURRENT);
		if (rc == MDB_NOTFOUND || rc == EINVAL)
			rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
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
	uint32_t vi = 0;
	uint8_t tag[KT_TAG_BYTES_SET];
	int rc = 0;

	for (uint32_t i = 0; i < c->nops && rc == 0; i++) {
		const struct kt_op *op = &c->ops[i];

		switch (op->kind) {
		case KT_OP_SET:
			rc = apply_lww(st, txn, c, op, vals ? &vals[vi++] : NULL,
				       fresh && !repeats(c, i), err);
			break;
		case KT_OP_ADD:
			kt_tag_make(tag, c->origin, c->seq, i);
			rc = put_elem(st, txn, &c->id, op->field, tag, 1, vals ? &vals[vi++] : NULL,
				      err);
			break;
		case KT_OP_DEL:
			for (uint32_t t = 0; t < op->arg_len / KT_TAG_BYTES_SET && rc == 0; t++)
				rc = put_elem(st, txn, &c->id, op->field,
					      op->arg + t * KT_TAG_BYTES_SET, 0, NULL, err);
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
	return rc;
}

int kt_store_append(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		    const uint8_t hash[KT_HASH_BYTES], const uint8_t *bytes, size_t len,
		    struct kt_err *err)
{
	int rc = check_chain(st, txn, c, hash, err);

	if (rc != 0)
		return rc; /* 1: already held */
	return append_log(st, txn, c, hash, bytes, len, err);
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
	if (kt_merge_shred_drops(is_shredded(st, txn, &c->owner)))
		return 0;
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
	if (kt_change_decode(&r->c, bytes, len, &err) != 0)
		return; /* ingest decodes it again and says why, in its turn */
	kt_hash(r->hash, bytes, len);
	r->state = KT_READY_DECODED;
	if (!open || (r->c.nops > 0 && r->c.ops[0].kind == KT_OP_SHRED) ||
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
		rc = kt_change_decode(c, r->bytes, r->len, err);
		return rc != 0 ? rc : kt_err_set(err, KT_EINVAL, "change decodes only on a second try");
	}
	/* Its chain is checked first: a change held already is not opened again. */
	if ((rc = check_chain(st, txn, c, r->hash, err)) != 0) {
		rc = rc > 0 ? 0 : rc;
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
		if ((rc = append_log(st, txn, c, r->hash, r->bytes, r->len, err)) == 0)
			rc = kt_store_void_note(st, txn, c, void_reason, err);
	} else if ((rc = append_log(st, txn, c, r->hash, r->bytes, r->len, err)) == 0) {
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

	if ((rc = kt_change_decode(&st->w_change, bytes, len, err)) != 0)
		return rc;
	kt_hash(hash, bytes, len);
	return kt_store_append(st, txn, &st->w_change, hash, bytes, len, err);
}
