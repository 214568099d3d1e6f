/*
 * store/chain.c - the log and the hash chain under every apply: the write
 * transaction's state (begin, commit), the chain check of each change,
 * the log append, and what the store withholds (holes) or cannot open
 * (void changes).  store/apply.c and store/ingest.c stand on it.
 */
#include "store_int.h"
#include "hlc.h"
#include "proto/stub.h"

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
		return kt_mdb_code(rc);
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	rc = mdb_cursor_get(cur, &key, &v, rc == 0 ? MDB_PREV : MDB_LAST);
	if (rc == 0 && key.mv_size == 16 && kt_be64_get(key.mv_data) == origin &&
	    v.mv_size == KT_HASH_BYTES + 8) {
		*seq = kt_be64_get((uint8_t *)key.mv_data + 8);
		memcpy(hash, v.mv_data, KT_HASH_BYTES);
		*logpos = kt_be64_get((uint8_t *)v.mv_data + KT_HASH_BYTES);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : kt_mdb_code(rc);
}

/* The clock of the change at log position pos (0 when there is none). */
static uint64_t logged_hlc(struct kt_store *st, MDB_txn *txn, uint64_t pos)
{
	uint8_t k[8];
	MDB_val key = { 8, k }, v;

	uint8_t hash[KT_HASH_BYTES];

	kt_be64_put(k, pos);
	/* A stub keeps its change's clock (a node's own change redacted by an erasure). */
	if (pos == 0 || mdb_get(txn, st->log, &key, &v) != 0 ||
	    kt_entry_decode(&st->w_change, hash, v.mv_data, v.mv_size, NULL) != 0)
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
	st->w_swept = 0;
	kt_erase_reset(st);
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
	if ((rc = kt_erase_sweep(st, txn, err)) != 0) { /* what a shred leaves (erase.c) */
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "commit");
	if (st->w_swept)
		st->rewrite_due = 1; /* store/rewrite.c, at the next chance */
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

struct pairs {
	int (*fn)(void *ctx, uint64_t a, uint64_t b, const MDB_val *v);
	void *ctx;
};

/* One meta entry of kt_meta_pairs: its two numbers read from its name. */
static int pair_one(void *ctx, const char *name, size_t n, struct kt_bytes v)
{
	struct pairs *p = ctx;
	MDB_val mv = { v.n, (void *)v.p };
	char a[17], b[17];

	if (n != 38)
		return 1; /* not of the kind: the walk ends */
	memcpy(a, name + 5, 16);
	memcpy(b, name + 22, 16);
	a[16] = b[16] = '\0';
	return p->fn(p->ctx, strtoull(a, NULL, 16), strtoull(b, NULL, 16), &mv) != 0;
}

/*
 * Calls fn(ctx, a, b, value) for each meta entry "<prefix><16 hex>:<16 hex>"
 * (prefix: 5 bytes, "void:" or "hole:") in key order, in txn, until fn
 * returns non-zero: kt_meta_each (store/log.c) with the name read.  Bounded
 * by the entries of that kind.  Returns 0 or an error code.
 */
int kt_meta_pairs(struct kt_store *st, MDB_txn *txn, const char *prefix,
		  int (*fn)(void *ctx, uint64_t a, uint64_t b, const MDB_val *v), void *ctx)
{
	struct pairs p = { fn, ctx };

	return kt_meta_each(st, txn, prefix, pair_one, &p);
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

/* kt_meta_pairs over prefix in a read transaction of its own: how many l counted, or -1. */
static long list_pairs(struct listing *l, const char *prefix,
		       int (*one)(void *ctx, uint64_t a, uint64_t b, const MDB_val *v))
{
	int rc;

	if (kt_store_rdtxn(l->st, &l->txn, NULL) != 0)
		return -1;
	rc = kt_meta_pairs(l->st, l->txn, prefix, one, l);
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
		return kt_mdb_code(rc);
	if (v.mv_size != KT_HASH_BYTES + 8)
		return KT_ECORRUPT;
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
int kt_chain_admit(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
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
	if (rc != 0 && rc != KT_ENOTFOUND)
		return kt_mdb_err(err, rc, "read the hash chain");
	fills = rc == 0; /* the true change of a withheld one: it fills the hole */
	if (c->seq == 1) {
		if (memcmp(c->prev, zero, KT_HASH_BYTES) != 0)
			return kt_err_set(err, KT_ECORRUPT, "change 1 of origin %016llx names a "
					  "previous change", (unsigned long long)c->origin);
	} else {
		rc = kt_chain_get(st, txn, c->origin, c->seq - 1, held, &pos);
		if (rc == KT_ENOTFOUND)
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
		rc = KT_ENOTFOUND; /* signed now: it takes the unsigned one's place */
	else if (rc == 0 && !is_signed)
		return 0; /* nothing unsigned replaces what is held */
	if (rc == 0)
		return memcmp(held, hash, KT_HASH_BYTES) == 0 ? 0 :
			kt_err_set(err, KT_ECORRUPT, "change %llu of origin %016llx, withheld by "
				   "the hub, differs from the one held",
				   (unsigned long long)h->last, (unsigned long long)h->origin);
	if (rc != KT_ENOTFOUND)
		return kt_mdb_err(err, rc, "read the hash chain");
	if (h->first > 1 && (rc = kt_chain_get(st, txn, h->origin, h->first - 1, held, NULL)) != 0)
		return rc == KT_ENOTFOUND ?
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

long kt_store_holes_in(struct kt_store *st, MDB_txn *txn, uint32_t max,
		       void (*fn)(void *ctx, const struct kt_hole *h), void *ctx)
{
	struct listing l = { st, txn, max, 0, NULL, fn, ctx };

	return kt_meta_pairs(st, txn, "hole:", hole_one, &l) == 0 ? l.n : -1;
}

int kt_log_append(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
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
	st->w_last_valid = 0; /* kt_log_append sets it again; a re-key rewrites the chain */
	if ((rc = mdb_put(txn, st->chain, &key, &val, 0)) != 0)
		return kt_mdb_err(err, rc, "extend the hash chain");
	return 0;
}
