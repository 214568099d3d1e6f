/*
 * hub_push.c - PUSH: a node's changes checked (binding, gap, signature, a
 * fork under a held seq) and stored with their signature, and what a
 * resent push mends: damaged changes put back from their origin's copy
 * (repair), a damaged signature taken again (resign).
 */
#include "hub_int.h"
#include "proto/stub.h"
#include "hlc.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>

/* Checks the push's signature over its last change with the node's key. */
static int push_signed(const struct kt_msg_push *p, const uint8_t *key)
{
	uint8_t hash[KT_HASH_BYTES], in[KT_SIG_INPUT_BYTES];
	const struct kt_bytes *last = &p->changes[p->nchanges - 1];

	kt_entry_hash(hash, last->p, last->n); /* a stub's hash is its own */
	kt_msg_sig_input(in, p->origin, p->first_seq + p->nchanges - 1, hash);
	return crypto_sign_verify_detached(p->sig, in, sizeof(in), key) == 0;
}

/* Changes of a push stamped past the drift bound, and the farthest, in ms. */
struct ahead {
	uint64_t n, most;
};

/* Counts a change just ingested (h->st.w_change) when it is stamped far ahead. */
static void count_ahead(const struct kt_change *c, uint64_t now, struct ahead *a)
{
	if (kt_hlc_ms(c->hlc) <= now + KT_HLC_DRIFT_MAX_MS || kt_change_above_base(c))
		return;
	a->n++;
	if (kt_hlc_ms(c->hlc) - now > a->most)
		a->most = kt_hlc_ms(c->hlc) - now;
}

/*
 * What a stored push moves in meta, in txn: a node caught up before its
 * push is caught up after it (status), and its changes stamped far ahead
 * are counted for `kt-hub status`.  first: the hub seq of its first change.
 */
static int push_meta(struct kt_hub *h, MDB_txn *txn, const struct kt_msg_push *p,
		     uint64_t first, const struct ahead *ahead)
{
	char name[32];
	uint64_t pulled = 0;
	int rc;

	hub_pulled_name(name, p->origin);
	if (kt_meta_u64(&h->st, txn, name, &pulled) == 0 && pulled + 1 == first &&
	    (rc = kt_meta_put_u64(&h->st, txn, name, h->st.w_logpos)) != 0)
		return rc;
	if (ahead->n > 0) {
		uint64_t had = kt_hub_origin_u64(h, txn, "ahead", p->origin);

		snprintf(name, sizeof(name), "ahead:%016llx", (unsigned long long)p->origin);
		if ((rc = kt_meta_put_u64(&h->st, txn, name, had + ahead->n)) != 0)
			return rc;
	}
	return 0;
}

/* Stores the not-yet-held changes of a verified push and its signature, durably. */
static int store_push(struct kt_hub *h, const struct kt_msg_push *p, uint32_t skip,
		      uint64_t now, struct ahead *ahead, struct kt_err *err)
{
	const struct kt_bytes *last = &p->changes[p->nchanges - 1];
	struct kt_push_rec r;
	uint8_t hash[KT_HASH_BYTES];
	uint64_t first;
	MDB_txn *txn;
	int rc;

	if ((rc = kt_store_wbegin(&h->st, &txn, err)) != 0)
		return rc;
	first = h->st.w_logpos + 1;
	/* Each change is decoded once, by its ingest; the clock flag reads that decode. */
	for (uint32_t i = skip; i < p->nchanges && rc == 0; i++)
		if ((rc = kt_store_ingest_log(&h->st, txn, p->changes[i].p, p->changes[i].n,
					      err)) == 0)
			count_ahead(&h->st.w_change, now, ahead);
	if (rc == 0 && h->st.w_logpos != first + (p->nchanges - skip) - 1)
		rc = kt_err_set(err, KT_ECORRUPT, "push holds a change already held");
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	r = (struct kt_push_rec){ h->st.w_logpos, p->origin, first, p->sig, 1 };
	if ((rc = push_meta(h, txn, p, first, ahead)) != 0 ||
	    (rc = kt_push_rec_put(&h->st, txn, &r, 1)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "record a push");
	}
	if ((rc = kt_store_wcommit(&h->st, txn, err)) != 0)
		return rc;
	kt_entry_hash(hash, last->p, last->n);
	hub_seen_applied(h, p->origin, p->first_seq + p->nchanges - 1, hash);
	return 0;
}

/*
 * A resent push may hold changes the hub has: each must be the very change
 * it holds.  Other bytes under a held seq are a fork of the origin's
 * history (a cloned PC, or one restored from a backup and written to):
 * refused, and logged, as neither history may replace the other.
 */
static int same_as_held(struct kt_hub *h, const struct kt_msg_push *p, uint32_t skip,
			struct kt_hub_out *out, struct kt_err *err)
{
	uint8_t held[KT_HASH_BYTES], hash[KT_HASH_BYTES];
	uint64_t bad;
	MDB_txn *txn;
	int rc = 0;

	if (skip == 0 || kt_store_rdtxn(&h->st, &txn, err) != 0)
		return skip == 0 ? 0 : KT_EIO;
	bad = kt_hub_damaged(h, txn, p->origin);
	for (uint32_t i = 0; i < skip && rc == 0; i++) {
		uint64_t seq = p->first_seq + i;

		if (bad != 0 && seq >= bad)
			break; /* what the hub holds from there is damaged: repair() decides */
		kt_entry_hash(hash, p->changes[i].p, p->changes[i].n);
		if (kt_chain_get(&h->st, txn, p->origin, seq, held, NULL) == 0 &&
		    memcmp(held, hash, KT_HASH_BYTES) != 0) {
			kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_CHAIN, seq, "the hub holds "
				      "another change under this seq: this node's history forked");
			rc = kt_err_set(err, KT_EREFUSED, "fork: origin %016llx pushed other bytes "
					"under seq %llu, which the hub holds (a cloned PC, or one "
					"restored from a backup and written to); refused",
					(unsigned long long)p->origin, (unsigned long long)seq);
		}
	}
	mdb_txn_abort(txn);
	return rc;
}

/*
 * Changes stamped far past the hub's clock (a branch PC whose clock ran
 * ahead before its first sync) are stored, as refusing them would stop the
 * origin's chain, but flagged: counted in meta "ahead:<origin>" for
 * `kt-hub status` and said in the log.  Every later edit still wins over
 * them, as a write's clock is above the version it replaced (store/write.c).
 */
static void note_ahead(const struct kt_msg_push *p, const struct ahead *a, struct kt_hub_out *out)
{
	if (a->n == 0)
		return;
	snprintf(out->note, sizeof(out->note), "clock ahead: %llu changes of origin %016llx are "
		 "stamped up to %llu min past the hub's clock (bound %llu min); stored and flagged",
		 (unsigned long long)a->n, (unsigned long long)p->origin,
		 (unsigned long long)(a->most / 60000), (unsigned long long)KT_HLC_DRIFT_MAX_MS / 60000);
}

/* Whether the log's bytes at pos are b, or a copy of b damaged in a few bytes. */
static int holds_copy(struct kt_hub *h, MDB_txn *txn, uint64_t pos, const struct kt_bytes *b)
{
	struct kt_bytes v;
	uint32_t differ = 0;

	if (pos == 0 || kt_log_get(&h->st, txn, pos, &v) != 0 || v.n != b->n)
		return 0;
	for (uint32_t i = 0; i < b->n && differ <= 8; i++)
		differ += v.p[i] != b->p[i];
	return differ <= 8; /* another change differs in its ids, clock and nonce */
}

/* The log position among origin's pushes where the log holds b (a rare repair); 0: none. */
static uint64_t copy_in_pushes(struct kt_hub *h, MDB_txn *txn, uint64_t origin,
			       const struct kt_bytes *b)
{
	struct kt_push_cur cur;
	struct kt_push_rec r;
	uint64_t pos = 0;
	int rc;

	if (kt_push_open(&h->st, txn, &cur) != 0)
		return 0;
	/* Bounded by the pushes the hub holds, and each by KT_PUSH_CHANGES_MAX. */
	for (rc = kt_push_first(&cur, &r); rc == 0 && pos == 0; rc = kt_push_next(&cur, &r)) {
		uint64_t first = r.first;

		if (!r.whole || r.origin != origin)
			continue;
		if (first == 0 || first > r.last || r.last - first >= KT_PUSH_CHANGES_MAX)
			first = r.last; /* its own first seq is damaged: its last at least */
		for (uint64_t at = first; at <= r.last && pos == 0; at++)
			if (holds_copy(h, txn, at, b))
				pos = at;
	}
	kt_push_close(&cur);
	return pos;
}

/*
 * The log position of origin's change seq, whose true bytes b its origin
 * sent again: the chain's, when the log holds b there (or a copy damaged in
 * a few bytes); else the one after the change before (after), or before the
 * change after, found the same way; else searched among origin's pushes.
 * 0: none.
 */
static uint64_t copy_at(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t seq,
			const struct kt_bytes *b, uint64_t after)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t pos = 0, next = 0;

	if (kt_chain_get(&h->st, txn, origin, seq, hash, &pos) == 0 && holds_copy(h, txn, pos, b))
		return pos;
	if (after != 0 && holds_copy(h, txn, after + 1, b))
		return after + 1;
	if (kt_chain_get(&h->st, txn, origin, seq + 1, hash, &next) == 0 && next > 1 &&
	    holds_copy(h, txn, next - 1, b))
		return next - 1;
	return copy_in_pushes(h, txn, origin, b);
}

/*
 * After a repair of origin's changes at hub seqs lo..hi, in txn: each push
 * record there whose changes are now whole but whose signature is damaged
 * is marked to be signed again.  Bounded by the records in lo..hi.
 */
static void resign_check(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t lo,
			 uint64_t hi)
{
	struct kt_bytes *ch = h->w->push_ch;
	struct kt_push_cur cur;
	struct kt_push_rec r;
	struct kt_msg_push p;
	int rc;

	if (kt_push_open(&h->st, txn, &cur) != 0)
		return;
	for (rc = kt_push_seek(&cur, lo, &r); rc == 0 && r.last != 0 && r.whole && r.first <= hi;
	     rc = kt_push_next(&cur, &r)) {
		const char *what = NULL;
		uint64_t seq = 0;
		char name[48];

		if (r.origin != origin ||
		    hub_read_push(h, txn, &r, &p, ch, KT_PUSH_CHANGES_MAX) != 0 ||
		    hub_push_intact(h, txn, &p, &seq, &what) == 0 || what != hub_sig_damaged)
			continue;
		hub_resign_name(name, origin, seq);
		kt_meta_put(&h->st, txn, name, "", 0); /* best effort: found again when served */
	}
	kt_push_close(&cur);
}

/*
 * The origin of a damaged change sent it again (its hello was answered
 * with the seq before the damage): a signed push, which the hub checked,
 * whose first change from the damaged seq follows the hash the hub holds
 * before it.  Its bytes and hashes go back in place of the damaged ones,
 * at the log positions the hub's pushes give them, in one transaction;
 * the stored signatures verify again, and the mark is cleared.
 */
struct mending {
	uint64_t bad, to;              /* the damaged seqs of the push: bad..to */
	uint64_t pos_before;           /* the log position of the change before */
	uint8_t seen[KT_HASH_BYTES];   /* the hash the next change must name */
	uint64_t n, lowest, highest;   /* changes put back, and their log positions */
};

/*
 * The chain's hash of the change before bad: damaged, when the push's first
 * damaged change names another and the log's bytes there are it.  0, or -1
 * when the change cannot be put back.
 */
static int repair_before(struct kt_hub *h, MDB_txn *txn, const struct kt_msg_push *p,
			 struct mending *g)
{
	static const uint8_t zero[KT_HASH_BYTES];
	struct kt_change *c = &h->st.w_change;
	const struct kt_bytes *b = &p->changes[g->bad - p->first_seq];
	uint8_t prev[KT_HASH_BYTES], lh[KT_HASH_BYTES];
	struct kt_bytes lv;

	if (g->bad > 1 && kt_chain_get(&h->st, txn, p->origin, g->bad - 1, prev, &g->pos_before) != 0)
		return -1;
	memcpy(g->seen, g->bad > 1 ? prev : zero, KT_HASH_BYTES);
	if (g->bad <= 1 || kt_change_decode(c, b->p, b->n, NULL) != 0 ||
	    memcmp(c->prev, prev, KT_HASH_BYTES) == 0)
		return 0;
	if (kt_log_get(&h->st, txn, g->pos_before, &lv) != 0)
		return -1;
	kt_hash(lh, lv.p, lv.n);
	if (memcmp(lh, c->prev, KT_HASH_BYTES) != 0 ||
	    kt_chain_put(&h->st, txn, p->origin, g->bad - 1, lh, g->pos_before, NULL) != 0)
		return -1;
	memcpy(g->seen, lh, KT_HASH_BYTES);
	return 0;
}

/*
 * Puts origin's change seq back from b, in txn, when it is not whole: 0,
 * 1 when it cannot be put back, or an error.
 */
static int repair_change(struct kt_hub *h, MDB_txn *txn, const struct kt_msg_push *p,
			 uint64_t seq, struct mending *g, struct kt_err *err)
{
	const struct kt_bytes *b = &p->changes[seq - p->first_seq];
	struct kt_change *c = &h->st.w_change;
	uint8_t hash[KT_HASH_BYTES];
	struct kt_bytes v;
	uint64_t pos, at = 0;
	int rc;

	if (kt_change_decode(c, b->p, b->n, NULL) != 0 || c->seq != seq ||
	    c->origin != p->origin || memcmp(c->prev, g->seen, KT_HASH_BYTES) != 0 ||
	    (pos = copy_at(h, txn, p->origin, seq, b, g->pos_before)) == 0)
		return 1;
	g->pos_before = pos;
	if (kt_chain_get(&h->st, txn, p->origin, seq, hash, NULL) != 0)
		memset(hash, 0, sizeof(hash)); /* none held: not whole */
	kt_hash(g->seen, b->p, b->n);
	if (memcmp(g->seen, hash, KT_HASH_BYTES) == 0 && kt_log_get(&h->st, txn, pos, &v) == 0 &&
	    v.n == b->n && memcmp(v.p, b->p, b->n) == 0 &&
	    kt_chain_get(&h->st, txn, p->origin, seq, hash, &at) == 0 && at == pos)
		return 0; /* whole */
	if ((rc = kt_log_put(&h->st, txn, pos, b->p, b->n)) != 0 ||
	    (rc = kt_chain_put(&h->st, txn, p->origin, seq, g->seen, pos, err)) != 0)
		return rc < 0 ? rc : kt_mdb_err(err, rc, "repair a change");
	if (pos < g->lowest)
		g->lowest = pos;
	if (pos > g->highest)
		g->highest = pos;
	g->n++;
	return 0;
}

static void repair_cannot(const struct kt_msg_push *p, uint64_t bad, struct kt_hub_out *out)
{
	snprintf(out->note, sizeof(out->note), "damaged store: change %llu of origin %016llx "
		 "cannot be put back from the push it sent (restore the hub from a backup, or "
		 "see README)", (unsigned long long)bad, (unsigned long long)p->origin);
}

/*
 * In txn, once the changes are back: the signatures to ask for again, the
 * mark cleared, and the merged state emptied when the merge passed over (or
 * read wrongly) what was damaged (derived again from the mended log).
 */
static int repair_done(struct kt_hub *h, MDB_txn *txn, const struct kt_msg_push *p,
		       const struct mending *g, struct kt_err *err)
{
	uint64_t merged = 0;
	char name[32];
	int rc;

	if (g->n > 0)
		resign_check(h, txn, p->origin, g->lowest, g->highest);
	hub_damaged_name(name, p->origin);
	kt_meta_del(&h->st, txn, name);
	if (g->n > 0 && kt_meta_u64(&h->st, txn, KT_HUB_META_MERGED, &merged) == 0 &&
	    g->lowest <= merged && (rc = hub_empty_state(h, txn)) != 0)
		return kt_mdb_err(err, rc, "empty the merged state");
	return 0;
}

static int repair(struct kt_hub *h, const struct kt_msg_push *p, uint64_t held,
		  struct kt_hub_out *out, struct kt_err *err)
{
	uint64_t last = p->first_seq + p->nchanges - 1;
	struct mending g = { 0, last < held ? last : held, 0, { 0 }, 0, UINT64_MAX, 0 };
	MDB_txn *txn;
	int rc;

	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	g.bad = kt_hub_damaged(h, txn, p->origin);
	if (g.bad == 0 || g.bad < p->first_seq || g.bad > g.to) {
		mdb_txn_abort(txn);
		return 0;
	}
	rc = repair_before(h, txn, p, &g) != 0 ? 1 : 0;
	for (uint64_t seq = g.bad; seq <= g.to && rc == 0; seq++)
		rc = repair_change(h, txn, p, seq, &g, err);
	if (rc == 0)
		rc = repair_done(h, txn, p, &g, err);
	if (rc != 0) {
		mdb_txn_abort(txn);
		if (rc == 1)
			repair_cannot(p, g.bad, out);
		return rc == 1 ? 0 : rc;
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "repair a change");
	if (g.n > 0)
		hub_mend_one(h, g.lowest); /* the push record around them, when its origin or seq is damaged */
	snprintf(out->note, sizeof(out->note), "repaired: %llu damaged change%s of origin %016llx "
		 "put back from its own copy (it sent seqs %llu-%llu again)", (unsigned long long)g.n,
		 g.n == 1 ? "" : "s", (unsigned long long)p->origin, (unsigned long long)g.bad,
		 (unsigned long long)g.to);
	return 0;
}

/*
 * A push whose stored signature is damaged (its changes whole) takes the
 * signature of its origin's resend of exactly its last change, asked for
 * with REFUSE 10: p is signed (push_signed) and its change is the one held
 * (same_as_held), so the new signature covers what the record covers.
 * Returns 0 (also when p is not that resend), or an error.
 */
static int resign(struct kt_hub *h, const struct kt_msg_push *p, struct kt_hub_out *out,
		  struct kt_err *err)
{
	uint64_t pos, want = p->first_seq + p->nchanges - 1;
	uint8_t hash[KT_HASH_BYTES];
	struct kt_push_rec r;
	struct kt_bytes v;
	char name[48];
	MDB_txn *txn;
	int rc;

	hub_resign_name(name, p->origin, want);
	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	if (kt_meta_get(&h->st, txn, name, &v) != 0 ||
	    kt_chain_get(&h->st, txn, p->origin, want, hash, &pos) != 0) {
		mdb_txn_abort(txn);
		return 0;
	}
	if (kt_push_rec_get(&h->st, txn, pos, &r) == 0 && r.whole && r.origin == p->origin) {
		r.sig = p->sig;
		if ((rc = kt_push_rec_put(&h->st, txn, &r, 0)) != 0) {
			mdb_txn_abort(txn);
			return kt_mdb_err(err, rc, "put a signature back");
		}
		snprintf(out->note, sizeof(out->note), "repaired: the damaged signature of the push "
			 "ending at change %llu of origin %016llx, signed again by its branch",
			 (unsigned long long)want, (unsigned long long)p->origin);
	}
	kt_meta_del(&h->st, txn, name);
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "put a signature back");
	return 0;
}

/* The checks before anything is written: a bound key, no gap, a signature that verifies. */
static int push_admitted(struct kt_hub *h, const uint8_t *key, const struct kt_msg_push *p,
			 uint64_t *held, struct kt_hub_out *out, struct kt_err *err)
{
	uint64_t origin = hub_bound_origin(h, key, out), pos;
	uint8_t hash[KT_HASH_BYTES];
	MDB_txn *txn;

	if (origin == 0 || origin != p->origin)
		return kt_err_set(err, KT_EREFUSED, "push from a key not bound to origin %016llx",
				  (unsigned long long)p->origin);
	hub_seen_origin(h, origin);
	if (kt_store_rdtxn(&h->st, &txn, err) != 0)
		return KT_EIO;
	kt_store_origin_head(&h->st, txn, origin, held, hash, &pos);
	mdb_txn_abort(txn);
	if (p->first_seq > *held + 1) {
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_GAP, *held + 1,
			      "gap: push from the expected seq");
		return kt_err_set(err, KT_EREFUSED, "gap: origin %016llx pushed %llu, expected %llu",
				  (unsigned long long)origin, (unsigned long long)p->first_seq,
				  (unsigned long long)*held + 1);
	}
	if (!push_signed(p, key)) {
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_SIG, *held + 1, "bad signature");
		return kt_err_set(err, KT_EREFUSED, "bad signature on a push of origin %016llx",
				  (unsigned long long)origin);
	}
	return 0;
}

/*
 * PUSH.  Up to three write transactions, each whole on its own: a repair
 * of damaged changes the push resends, a signature taken again, and the
 * new changes stored.  They stay apart on purpose: a repair that cannot be
 * done is aborted whole without losing the new changes, and a repair or a
 * signature put back stays done when storing the new changes then meets a
 * full disk (REFUSE 11), as the hub did before they were one machine.
 */
int hub_on_push(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		struct kt_hub_out *out, struct kt_err *err)
{
	const struct kt_msg_push *p = &m->pushes[0];
	uint64_t held = 0, last = p->first_seq + p->nchanges - 1;
	struct ahead ahead = { 0, 0 };
	MDB_txn *txn;
	int rc;

	h->inv.push_changes = p->nchanges;
	if ((rc = push_admitted(h, key, p, &held, out, err)) != 0)
		return rc;
	if ((rc = same_as_held(h, p, held >= last ? p->nchanges :
			       (uint32_t)(held + 1 - p->first_seq), out, err)) != 0 ||
	    (p->first_seq <= held && (rc = repair(h, p, held, out, err)) != 0) ||
	    (p->first_seq <= held && (rc = resign(h, p, out, err)) != 0))
		return rc;
	if (last > held &&
	    (rc = store_push(h, p, (uint32_t)(held + 1 - p->first_seq), now, &ahead, err)) != 0) {
		if (rc == KT_ENOSPC)
			kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_FULL, held + 1, "the hub's disk "
				      "is full: this branch keeps its changes and sends them once the "
				      "chain's IT person frees space at the hub");
		else
			kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_CHAIN, held + 1, err->msg);
		return rc;
	}
	if (last > held) {
		note_ahead(p, &ahead, out);
		held = last;
	}
	kt_msg_ack(hub_out_next(out, 0), p->origin, held);
	kt_msg_notify(hub_out_next(out, 1), kt_hub_head(h));
	if (out->n + 1 < KT_HUB_OUT_MAX && kt_store_rdtxn(&h->st, &txn, NULL) == 0) {
		hub_ask_resign(h, txn, p->origin, out); /* a signature a repair found damaged too */
		mdb_txn_abort(txn);
	}
	return 0;
}
