/*
 * hub_mend.c - the hub's store checked and mended: damaged pushes marked
 * for their origin to send or sign again, push records and chain entries
 * mended from what the log itself tells, kt-hub verify (the pushes, and
 * the merged state derived again in a scratch store) and kt-hub rebuild.
 */
#include "hub_int.h"
#include "proto/stub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

/* Marks seq of origin damaged in txn (the lowest is kept), so its next hello resends from there. */
static void mark_damaged_in(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t seq)
{
	char name[32];
	uint64_t had;

	if (seq == 0)
		seq = 1;
	had = kt_hub_damaged(h, txn, origin);
	if (had != 0 && had <= seq)
		return;
	hub_damaged_name(name, origin);
	kt_meta_put_u64(&h->st, txn, name, seq); /* best effort: found again next time */
}

void hub_mark_push_in(struct kt_hub *h, MDB_txn *txn, uint64_t origin, const char *what,
		      uint64_t resend, uint64_t last)
{
	char name[48];

	if (what == hub_sig_damaged && last != 0) {
		hub_resign_name(name, origin, last); /* signed again: REFUSE 10 */
		kt_meta_put(&h->st, txn, name, "", 0);
	} else {
		mark_damaged_in(h, txn, origin, resend);
	}
}

void hub_mark_push(struct kt_hub *h, uint64_t origin, const char *what, uint64_t resend,
		   uint64_t last)
{
	MDB_txn *txn;

	if (kt_txn_begin(h->st.env, 0, &txn) != 0)
		return;
	hub_mark_push_in(h, txn, origin, what, resend, last);
	kt_txn_commit(txn); /* best effort: found again next time */
}

/* The origin of a "key:<origin>" name whose origin's chain places a change at hub seq pos. */
struct placing {
	struct kt_hub *h;
	MDB_txn *txn;
	uint64_t pos, found;
};

static int origin_placed(void *ctx, const char *name, size_t n, struct kt_bytes v)
{
	struct placing *pl = ctx;
	uint64_t origin;
	char o[17];

	(void)v;
	if (n != 20)
		return 1;
	memcpy(o, name + 4, 16);
	o[16] = '\0';
	origin = strtoull(o, NULL, 16);
	if (hub_origin_seq_at(pl->h, pl->txn, origin, pl->pos) != 0)
		pl->found = origin;
	return pl->found != 0;
}

/*
 * The enrolled origin whose chain places a change at hub seq pos: each
 * origin the hub holds a key for (meta "key:<origin>"), searched by
 * hub_origin_seq_at.  Bounded by the branches.  0: none.
 */
static uint64_t origin_at(struct kt_hub *h, MDB_txn *txn, uint64_t pos)
{
	struct placing pl = { h, txn, pos, 0 };

	kt_meta_each(&h->st, txn, "key:", origin_placed, &pl);
	return pl.found;
}

/* Whether the hub holds a key for origin (it is enrolled and said hello). */
static int has_key(struct kt_hub *h, MDB_txn *txn, uint64_t origin)
{
	char name[KT_META_KEY_NAME_BYTES];
	struct kt_bytes kv;

	kt_meta_key_name(name, origin);
	return kt_meta_get(&h->st, txn, name, &kv) == 0;
}

/*
 * The origin and first seq of the changes at hub seqs first..last as they
 * say, each linked to the one before (the hash of the last in prev, their
 * bytes in ch): 1, or 0 when they do not link.
 */
static int linked_run(struct kt_hub *h, MDB_txn *txn, uint64_t first, uint64_t last,
		      uint64_t *origin, uint64_t *seq0, uint8_t prev[KT_HASH_BYTES],
		      struct kt_bytes *ch)
{
	struct kt_change *c = &h->st.w_change;

	*origin = *seq0 = 0;
	for (uint64_t pos = first; pos <= last; pos++) {
		struct kt_bytes lv;

		uint8_t hash[KT_HASH_BYTES];

		if (kt_log_get(&h->st, txn, pos, &lv) != 0 ||
		    kt_entry_decode(c, hash, lv.p, lv.n, NULL) != 0 ||
		    (pos > first && (c->origin != *origin || c->seq != *seq0 + (pos - first) ||
				     memcmp(c->prev, prev, KT_HASH_BYTES) != 0)))
			return 0;
		if (pos == first) {
			*origin = c->origin;
			*seq0 = c->seq;
		}
		memcpy(prev, hash, KT_HASH_BYTES);
		ch[pos - first] = lv;
	}
	return 1;
}

/*
 * The log is damaged under the record r too (its origin sends it again): a
 * record's origin that names no branch is told by the chain, from one
 * change whose header and chain entry agree, else the chain alone.
 * Returns 1 when it rewrote the record, 0, or a negative KT_E* code.
 */
static int mend_origin(struct kt_hub *h, MDB_txn *txn, struct kt_push_cur *cur,
		       const struct kt_push_rec *r, uint64_t first)
{
	struct kt_change *c = &h->st.w_change;
	struct kt_push_rec fixed = *r;
	uint64_t by_chain = 0;
	int rc;

	if (has_key(h, txn, r->origin))
		return 0;
	for (uint64_t pos = first; pos <= r->last && by_chain == 0; pos++) {
		uint8_t held[KT_HASH_BYTES];
		uint64_t at = 0;
		struct kt_bytes lv;

		if (kt_log_get(&h->st, txn, pos, &lv) == 0 &&
		    kt_entry_decode(c, held, lv.p, lv.n, NULL) == 0 &&
		    kt_chain_get(&h->st, txn, c->origin, c->seq, held, &at) == 0 && at == pos)
			by_chain = c->origin;
	}
	if (by_chain == 0 && (by_chain = origin_at(h, txn, r->last)) == 0)
		return 0;
	fixed.origin = by_chain;
	fixed.first = first;
	return (rc = kt_push_update(cur, &fixed)) != 0 ? kt_mdb_code(rc) : 1;
}

/*
 * The chain's entries for a signed push p (origin, its first change seq0,
 * at hub seqs first..last, bytes in ch), in txn: the entry before it when
 * the push names another hash for it (proven), and for each change the log
 * position, and the hash when proven.  Returns how many it rewrote, or a
 * negative KT_E* code.
 */
static int mend_chain(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t seq0,
		      uint64_t first, uint64_t last, const struct kt_bytes *ch, int proven)
{
	struct kt_change *c = &h->st.w_change;
	uint8_t hash[KT_HASH_BYTES], held[KT_HASH_BYTES];
	uint64_t at;
	int rc, n = 0;

	if (proven && seq0 > 1 && kt_entry_decode(c, hash, ch[0].p, ch[0].n, NULL) == 0 &&
	    kt_chain_get(&h->st, txn, origin, seq0 - 1, held, &at) == 0 &&
	    memcmp(held, c->prev, KT_HASH_BYTES) != 0) {
		/* The change before, as this signed push names it: its chain hash mended. */
		if ((rc = kt_chain_put(&h->st, txn, origin, seq0 - 1, c->prev, at, NULL)) != 0)
			return rc < 0 ? rc : KT_EIO;
		n++;
	}
	for (uint64_t pos = first; pos <= last; pos++) {
		uint64_t seq = seq0 + (pos - first);
		int have;

		at = 0;
		kt_entry_hash(hash, ch[pos - first].p, ch[pos - first].n);
		have = kt_chain_get(&h->st, txn, origin, seq, held, &at) == 0;
		if (have && at == pos && memcmp(held, hash, KT_HASH_BYTES) == 0)
			continue;
		if (!proven && !(have && memcmp(held, hash, KT_HASH_BYTES) == 0))
			continue; /* which of hash and bytes is damaged: the origin tells */
		if ((rc = kt_chain_put(&h->st, txn, origin, seq, hash, pos, NULL)) != 0)
			return rc < 0 ? rc : KT_EIO;
		n++;
	}
	return n;
}

/*
 * Mends, in txn, what the log itself tells of the push recorded as r (hub
 * seqs first..r->last; the walk cur stands on it): the record's origin and
 * first hub seq when its changes decode as consecutive changes of one
 * origin, each naming the hash of the one before; and the chain's entries
 * for them -- the log position of each whose hash is the one its bytes
 * have, and the hash too when the origin's signature covers the last
 * bytes, which proves them all.  Returns how many records and entries it
 * rewrote, or a negative KT_E* code.
 */
static int mend_push(struct kt_hub *h, MDB_txn *txn, struct kt_push_cur *cur,
		     const struct kt_push_rec *r, uint64_t first)
{
	struct kt_bytes *ch = h->w->push_ch;
	uint64_t last = r->last, origin = 0, seq0 = 0;
	uint8_t sig[KT_SIG_BYTES], prev[KT_HASH_BYTES], in[KT_SIG_INPUT_BYTES];
	struct kt_push_rec fixed;
	struct kt_msg_push p;
	int rc, n = 0, proven;

	if (last < first || last - first >= KT_PUSH_CHANGES_MAX)
		return 0;
	memcpy(sig, r->sig, sizeof(sig)); /* the record is rewritten under it */
	fixed = (struct kt_push_rec){ last, r->origin, r->first, sig, 1 };
	if (!linked_run(h, txn, first, last, &origin, &seq0, prev, ch) || origin == 0)
		return mend_origin(h, txn, cur, &fixed, first);
	/*
	 * The changes name another origin than the record: believed only for an
	 * enrolled origin, over a record's origin that is not one (a flipped bit
	 * in a change's header names no branch).
	 */
	if (fixed.origin != origin && (!has_key(h, txn, origin) || has_key(h, txn, fixed.origin)))
		return 0;
	if (fixed.origin != origin || fixed.first != first) {
		fixed.origin = origin;
		fixed.first = first;
		if ((rc = kt_push_update(cur, &fixed)) != 0)
			return kt_mdb_code(rc);
		n++;
	}
	if (hub_read_push(h, txn, &fixed, &p, ch, KT_PUSH_CHANGES_MAX) != 0)
		return n;
	kt_msg_sig_input(in, origin, seq0 + (last - first), prev);
	proven = p.key != NULL && crypto_sign_verify_detached(p.sig, in, sizeof(in), p.key) == 0;
	if ((rc = mend_chain(h, txn, origin, seq0, first, last, ch, proven)) < 0)
		return rc;
	return n + rc;
}

int hub_mend_one_in(struct kt_hub *h, MDB_txn *txn, uint64_t from)
{
	struct kt_push_cur cur;
	struct kt_push_rec r, before;
	uint64_t first = 1;
	int n = 0;

	if (from == 0 || kt_push_open(&h->st, txn, &cur) != 0)
		return 0;
	/* Where it starts is where the record before ends, not what its own (maybe damaged) says. */
	if (kt_push_seek(&cur, from, &r) == 0 && r.last != 0 && r.whole) {
		if (kt_push_prev(&cur, &before) == 0 && before.last != 0)
			first = before.last + 1;
		if (kt_push_seek(&cur, r.last, &r) == 0)
			n = mend_push(h, txn, &cur, &r, first);
	}
	kt_push_close(&cur);
	return n;
}

/*
 * hub_mend_one_in in a write transaction of its own: what serving found
 * damaged is mended at once when the log can tell (a chain entry's
 * position, a record's origin), so the next answer sends it whole.  Best
 * effort; returns how many it rewrote.
 */
int hub_mend_one(struct kt_hub *h, uint64_t from)
{
	MDB_txn *txn;
	int n;

	if (from == 0 || kt_txn_begin(h->st.env, 0, &txn) != 0)
		return 0;
	n = hub_mend_one_in(h, txn, from);
	if (n > 0 && kt_txn_commit(txn) == 0)
		return n;
	if (n <= 0)
		mdb_txn_abort(txn);
	return 0;
}

/* Every push record mended in txn, as mend_push does: how many, or a negative KT_E* code. */
static int mend_all(struct kt_hub *h, MDB_txn *txn, struct kt_push_cur *cur)
{
	struct kt_push_rec r;
	uint64_t expect = 1;
	int rc, mended = 0;

	/*
	 * Bounded by the pushes: a push starts where the one before ended, and
	 * its changes say their origin and seqs (mend_push).
	 */
	for (rc = kt_push_first(cur, &r); rc == 0; rc = kt_push_next(cur, &r)) {
		int n;

		if (!r.whole || r.last < expect) {
			expect = r.last + 1;
			continue;
		}
		if ((n = mend_push(h, txn, cur, &r, expect)) < 0)
			return n;
		mended += n;
		expect = r.last + 1;
	}
	return rc == MDB_NOTFOUND ? mended : kt_mdb_code(rc);
}

int kt_hub_mend_pushes(struct kt_hub *h, struct kt_err *err)
{
	struct kt_push_cur cur;
	MDB_txn *txn;
	int rc, mended;

	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	if ((rc = kt_push_open(&h->st, txn, &cur)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "read the pushes");
	}
	mended = mend_all(h, txn, &cur);
	kt_push_close(&cur);
	if (mended < 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, mended, "mend the pushes");
	}
	if (mended == 0) {
		mdb_txn_abort(txn);
		return 0;
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "mend the pushes");
	return mended;
}

/*
 * What is wrong with the push recorded as r, whose first hub seq should be
 * expect (NULL: whole), with the damaged change's seq and the seq its
 * origin sends again from.
 */
static const char *push_fault(struct kt_hub *h, MDB_txn *txn, const struct kt_push_rec *r,
			      uint64_t expect, uint64_t *seq, uint64_t *resend)
{
	struct kt_msg_push p;
	uint64_t first = r->whole ? r->first : 0;
	const char *what = NULL;

	*seq = *resend = 0;
	if (first != expect || r->last < first)
		return "the pushes do not cover the log in order";
	if (hub_read_push(h, txn, r, &p, h->w->push_ch, KT_PUSH_CHANGES_MAX) != 0)
		return "a change of the push is missing";
	if (hub_push_intact(h, txn, &p, seq, &what) == 0)
		return NULL;
	/*
	 * Sent again from the push's first change, as the chain places it; the
	 * change named is the damaged one when its seq fits.
	 */
	*resend = hub_origin_seq_at(h, txn, p.origin, first);
	if (*resend != 0 && (*seq < *resend || *seq > *resend + (r->last - first)))
		*seq = *resend;
	*seq = *seq ? *seq : 1;
	return what;
}

int kt_hub_verify(struct kt_hub *h, uint64_t *pushes, kt_hub_damage_fn fn, void *ctx,
		  struct kt_err *err)
{
	struct kt_push_cur cur;
	struct kt_push_rec r;
	MDB_txn *txn;
	uint64_t expect = 1;
	int rc, bad = 0;

	*pushes = 0;
	if ((rc = kt_store_rdtxn(&h->st, &txn, err)) != 0)
		return rc;
	if ((rc = kt_push_open(&h->st, txn, &cur)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "read the pushes");
	}
	/* Bounded by the pushes the hub holds: each read once (Ctrl-C ends it). */
	for (rc = kt_push_first(&cur, &r); rc == 0 && !kt_interrupted; rc = kt_push_next(&cur, &r)) {
		uint64_t seq, resend, first = r.whole ? r.first : 0;
		const char *what = push_fault(h, txn, &r, expect, &seq, &resend);

		(*pushes)++;
		if (what != NULL) {
			bad++;
			if (r.origin != 0)
				hub_mark_push(h, r.origin, what, resend != 0 ? resend : seq, seq);
			if (fn != NULL)
				fn(ctx, first, r.last, r.origin, seq, what);
		}
		expect = r.last + 1;
	}
	kt_push_close(&cur);
	mdb_txn_abort(txn);
	if (kt_interrupted)
		return kt_err_set(err, KT_EINTR, "interrupted");
	if (rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "read the pushes");
	if (bad == 0 && expect != kt_hub_head(h) + 1) {
		if (fn != NULL)
			fn(ctx, expect, kt_hub_head(h), 0, 0, "the log holds changes no push covers");
		bad++;
	}
	return bad;
}

/* One slice of kt_hub_verify_state: up to 5,000 changes of the log from next, in one transaction. */
struct replay {
	struct kt_store *to;
	struct kt_log_cur cur; /* on the hub's log, in a read transaction of its own */
	uint64_t next;         /* the hub seq this slice starts at */
	uint64_t end;          /* the hub seq after the slice (0: the log ended) */
};

static int replay_slice(void *ctx, struct kt_err *err)
{
	struct replay *r = ctx;
	struct kt_bytes b;
	MDB_txn *wtxn;
	uint64_t n = 0, at = 0;
	int rc;

	if ((rc = kt_store_wbegin(r->to, &wtxn, err)) != 0)
		return rc;
	r->end = 0;
	for (rc = kt_log_seek(&r->cur, r->next, &at, &b); rc == 0 && n < 5000;
	     rc = kt_log_next(&r->cur, &at, &b), n++) {
		if (kt_interrupted) {
			mdb_txn_abort(wtxn);
			return kt_err_set(err, KT_EINTR, "interrupted");
		}
		if ((rc = kt_store_ingest_log(r->to, wtxn, b.p, b.n, err)) != 0) {
			mdb_txn_abort(wtxn); /* KT_EFULL: kt_store_retry grows the map and runs it again */
			return rc;
		}
	}
	if (rc == 0)
		r->end = at; /* the first of the next slice (0: a key of another size) */
	else if (rc != KT_ENOTFOUND) {
		mdb_txn_abort(wtxn);
		return kt_mdb_err(err, rc, "read the log");
	}
	return kt_store_wcommit(r->to, wtxn, err);
}

int kt_hub_verify_state(struct kt_hub *h, const char *scratch, int *same, struct kt_err *err)
{
	struct kt_hub t;
	struct replay r;
	uint8_t a[KT_HASH_BYTES], b[KT_HASH_BYTES];
	MDB_txn *rtxn;
	int rc;

	*same = 0;
	if ((rc = kt_hub_digest(h, a, err)) != 0 || (rc = kt_hub_init(scratch, "tcp://x:1", err)) != 0 ||
	    (rc = kt_hub_open(&t, scratch, err)) != 0)
		return rc;
	if (h->scratch_map != 0)
		kt_store_set_map(&t.st, h->scratch_map);
	if ((rc = kt_store_rdtxn(&h->st, &rtxn, err)) != 0)
		goto out;
	r = (struct replay){ &t.st, { NULL }, 1, 0 };
	if ((rc = kt_log_open(&h->st, rtxn, &r.cur)) != 0) {
		mdb_txn_abort(rtxn);
		rc = kt_mdb_err(err, rc, "read the log");
		goto out;
	}
	/*
	 * The log again, in order, into an empty store, a slice a transaction;
	 * a slice that fills the scratch store's map runs again in a larger one.
	 * Bounded by the log: each slice moves on, or fails.
	 */
	do {
		if ((rc = kt_store_retry(&t.st, replay_slice, &r, err)) != 0)
			break;
		r.next = r.end;
	} while (r.end != 0);
	kt_log_close(&r.cur);
	mdb_txn_abort(rtxn);
	if (rc == 0 && (rc = kt_hub_digest(&t, b, err)) == 0)
		*same = memcmp(a, b, KT_HASH_BYTES) == 0;
out:
	kt_hub_close(&t);
	return rc;
}

int hub_empty_state(struct kt_hub *h, MDB_txn *txn)
{
	int rc = kt_store_drop_state(&h->st, txn);

	if (rc == 0)
		rc = kt_meta_put_u64(&h->st, txn, KT_HUB_META_MERGED, 0);
	if (rc == 0)
		rc = kt_meta_put_u64(&h->st, txn, "voided", 0);
	return rc;
}

int kt_hub_rebuild(struct kt_hub *h, struct kt_err *err)
{
	MDB_txn *txn;
	int rc;

	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	if ((rc = hub_empty_state(h, txn)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "empty the merged state");
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "empty the merged state");
	return kt_hub_catch_up(h, err); /* the log is the truth: derived again from it */
}
