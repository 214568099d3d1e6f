/*
 * hub_serve.c - PULL and REFETCH: batches of whole pushes read back from
 * the log, each checked against the chain and its origin's signature
 * before it goes out; a damaged one is sent withheld or stops the answer,
 * is mended from the log when the log can tell, and its origin is asked
 * to send it again.
 */
#include "hub_int.h"
#include "proto/stub.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>

/*
 * The last seq of the push at hub seqs from..last, from three witnesses any
 * of which may be the damaged one: the chain's positions, and its first and
 * last changes' own headers; two that agree win, else the chain.  0: none.
 */
static uint64_t withheld_seq(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t from,
			     uint64_t last)
{
	uint64_t by_chain = hub_origin_seq_at(h, txn, origin, last), by_last = 0, by_first = 0;
	struct kt_bytes v;

	for (int end = 0; end < 2; end++) {
		uint64_t pos = end ? from : last;

		uint8_t hash[KT_HASH_BYTES];

		if (kt_log_get(&h->st, txn, pos, &v) == 0 &&
		    kt_entry_decode(&h->st.w_change, hash, v.p, v.n, NULL) == 0 &&
		    h->st.w_change.origin == origin) {
			if (end)
				by_first = h->st.w_change.seq + (last - from);
			else
				by_last = h->st.w_change.seq;
		}
	}
	if (by_chain != 0 && (by_chain == by_last || by_chain == by_first ||
			      (by_last == 0 && by_first == 0)))
		return by_chain;
	if (by_last != 0 && by_last == by_first)
		return by_last;
	return by_chain != 0 ? by_chain : by_last != 0 ? by_last : by_first;
}

/*
 * Makes p, a push hub_read_push found damaged (or could not read whole: its
 * origin, key and signature are set), withheld: the origin seqs of hub
 * seqs from..last, and the hash of the last change -- the one the origin's
 * signature covers, the chain's or else that of the bytes the log holds.
 * A node keeps the hash as the end of that origin's chain and goes on
 * (msg.h).  When no held hash verifies (the signature is damaged too), the
 * chain's hash goes unsigned: the node takes it only once the origin's next
 * change, which is signed, names it as the one before.  Returns 0, or -1
 * when the push's seqs or any hash cannot be told.
 */
static int withhold(struct kt_hub *h, MDB_txn *txn, uint64_t from, uint64_t last,
		    struct kt_msg_push *p, uint8_t hash[KT_HASH_BYTES])
{
	uint8_t in[KT_SIG_INPUT_BYTES], cand[2][KT_HASH_BYTES];
	uint64_t seq = withheld_seq(h, txn, p->origin, from, last);
	int have[2] = { 0, 0 }, ok = -1;
	struct kt_bytes v;

	if (seq == 0 || seq < last - from + 1 || p->key == NULL)
		return -1;
	have[0] = kt_chain_get(&h->st, txn, p->origin, seq, cand[0], NULL) == 0;
	if (kt_log_get(&h->st, txn, last, &v) == 0) {
		kt_entry_hash(cand[1], v.p, v.n);
		have[1] = 1;
	}
	for (int way = 0; way < 2 && ok < 0; way++) {
		kt_msg_sig_input(in, p->origin, seq, cand[way]);
		if (have[way] && crypto_sign_verify_detached(p->sig, in, sizeof(in), p->key) == 0)
			ok = way;
	}
	if (ok < 0 && (ok = have[0] ? 0 : have[1] ? 1 : -1) < 0)
		return -1;
	memcpy(hash, cand[ok], KT_HASH_BYTES);
	p->withheld_hash = hash;
	p->withheld_first = seq - (last - from);
	p->withheld_last = seq;
	p->withheld_at = from;
	p->nchanges = 0;
	return 0;
}

/*
 * Whether the puller holds its own push ending at hub seq last: it said it
 * holds its changes up to seq own.  A node restored from an old backup
 * holds less, and gets its own later changes back.
 */
static int held_by(struct kt_hub *h, MDB_txn *txn, uint64_t last, uint64_t own)
{
	uint8_t hash[KT_HASH_BYTES];
	struct kt_bytes v;

	return kt_log_get(&h->st, txn, last, &v) == 0 &&
	       kt_entry_decode(&h->st.w_change, hash, v.p, v.n, NULL) == 0 &&
	       h->st.w_change.seq <= own;
}

/* The first damaged push an answer met, for the hub's log. */
struct damage {
	uint64_t from, origin, seq; /* its first hub seq (0: none met), origin, change */
	uint64_t resend;            /* the seq its origin is asked to send again from */
	uint64_t last;              /* the last seq of its push (0: not known) */
	uint64_t at;                /* its record's key: the hub seq of its last change */
	const char *what;
	int withheld;               /* 1: sent withheld; 0: the answer stopped before it */
};

/*
 * Puts the push recorded as r (hub seqs from..r->last) in p for a BATCH,
 * its changes in ch (room for cap): whole when hub_push_intact holds, else
 * withheld (wh holds its hash), and d notes the first damage met.
 * Returns 0 (whole or withheld), or -1 when it can be neither: the answer
 * stops before it and the rest waits for the origin to send it again.
 */
static int serve_push(struct kt_hub *h, MDB_txn *txn, const struct kt_push_rec *r,
		      uint64_t from, int refetch, struct kt_msg_push *p, struct kt_bytes *ch,
		      uint32_t cap, uint8_t wh[KT_HASH_BYTES], struct damage *d)
{
	uint64_t seq = 0;
	const char *what = NULL;
	int held;

	if (hub_read_push(h, txn, r, p, ch, cap) != 0)
		what = "a change of the push is missing";
	else if (hub_push_intact(h, txn, p, &seq, &what) == 0)
		return 0;
	if (what == hub_sig_damaged && refetch)
		held = 2; /* whole changes: a node that holds the hash the next change named takes them */
	else
		held = withhold(h, txn, from, r->last, p, wh) == 0;
	if (d->from == 0) {
		/* Resent from the push's first change: a damaged change may name a wrong seq. */
		*d = (struct damage){ from, r->origin, seq, seq, what == hub_sig_damaged ? seq : 0,
				      r->last, what, held != 0 };
		if (held == 1) {
			d->resend = p->withheld_first;
			if (seq < p->withheld_first || seq > p->withheld_last)
				d->seq = p->withheld_first;
		}
	}
	return held ? 0 : -1;
}

/*
 * Logs the damage an answer met, in out's note, after mending it in txn
 * when the log can tell, else marking its origin to send it again (txn
 * NULL: no write could begin).  br: the origin's branch.  Returns whether
 * it wrote in txn.
 */
static int note_damage(struct kt_hub *h, MDB_txn *txn, const struct damage *d, const char *br,
		       struct kt_hub_out *out)
{
	if (txn != NULL && hub_mend_one_in(h, txn, d->at) > 0) {
		/* The log told what was damaged: the next answer (the node asks again) sends it whole. */
		snprintf(out->note, sizeof(out->note), "damaged store: hub seq %llu, change %llu of "
			 "branch %s (origin %016llx): %s; mended from the log",
			 (unsigned long long)d->from, (unsigned long long)d->seq, br,
			 (unsigned long long)d->origin, d->what);
		return 1;
	}
	if (txn != NULL)
		hub_mark_push_in(h, txn, d->origin, d->what, d->resend, d->last);
	snprintf(out->note, sizeof(out->note), "damaged store: hub seq %llu, change %llu of "
		 "branch %s (origin %016llx): %s; %s, and that branch is asked to send it again "
		 "at its next sync", (unsigned long long)d->from, (unsigned long long)d->seq, br,
		 (unsigned long long)d->origin, d->what,
		 d->withheld ? "sent withheld (the rest goes on)" : "not served");
	if (!d->withheld)
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_DAMAGED, d->from, out->note);
	return txn != NULL;
}

/*
 * Keeps what `kt-hub status` shows of a node that pulls, in txn: how far it
 * has pulled, and when it was last heard from (a daemon says hello once
 * and then pulls, every 2 s when idle).  Returns whether it wrote; a
 * member record it cannot write back leaves both as they were.
 */
static int note_contact(struct kt_hub *h, MDB_txn *txn, const uint8_t *key, uint64_t origin,
			uint64_t cursor, uint64_t now)
{
	struct kt_member m;
	char name[32];

	if (kt_member_get(&h->st, txn, key, &m) != 0 || !kt_member_fits(&m))
		return 0;
	hub_pulled_name(name, origin);
	if (kt_meta_put_u64(&h->st, txn, name, cursor) != 0)
		return 0;
	m.contact_ms = now; /* as it is now: a revocation stays */
	kt_member_put(&h->st, txn, key, &m, 0);
	return 1;
}

/*
 * What an answer leaves behind, in one write transaction: the contact
 * (contact set) and the damage it met (d->from != 0).  A durable write only
 * when the cursor moved or the contact on record is KT_HUB_CONTACT_SAVE_MS
 * old (the caller tells), so 1,000 idle branches cost ~30 commits a
 * second, not 500.  Best effort: a failed write only leaves status behind,
 * and the damage is found again.
 */
static void answered(struct kt_hub *h, const uint8_t *key, uint64_t origin, uint64_t cursor,
		     uint64_t now, int contact, const struct damage *d, struct kt_hub_out *out)
{
	char br[KT_BRANCH_BYTES_MAX + 1];
	MDB_txn *txn = NULL;
	int wrote = 0;

	if (d->from != 0)
		kt_hub_origin_branch(h, d->origin, br, sizeof(br));
	if ((contact || d->from != 0) && kt_txn_begin(h->st.env, 0, &txn) != 0)
		txn = NULL;
	if (contact && txn != NULL)
		wrote |= note_contact(h, txn, key, origin, cursor, now);
	if (d->from != 0)
		wrote |= note_damage(h, txn, d, br, out);
	if (txn != NULL && wrote)
		kt_txn_commit(txn); /* a failed commit frees the transaction */
	else if (txn != NULL)
		mdb_txn_abort(txn);
}

/* The state of one PULL's answer, over its batches. */
struct answer {
	const struct kt_msg *m;
	uint64_t origin, credit, covered, sent, applied, head;
	int mine;                 /* still in the run of the node's own pushes */
	struct damage dmg;
};

/*
 * Adds the push recorded as r to batch b of the answer (its n pushes, used
 * changes and bytes so far): 0, or MDB_NOTFOUND when the answer ends there.
 */
static int answer_push(struct kt_hub *h, MDB_txn *txn, struct answer *a,
		       const struct kt_push_rec *r, uint64_t in_batch, uint64_t *first, uint32_t *n,
		       uint32_t *used, uint64_t *bytes)
{
	struct kt_hub_work *w = h->w;
	uint64_t from = r->first;

	if (!r->whole)
		return MDB_NOTFOUND; /* a damaged record ends the answer */
	if ((from > r->last || from == 0 || from <= a->covered) && a->covered < r->last &&
	    (in_batch > 0 || a->covered > a->m->a))
		from = a->covered + 1; /* its first seq is damaged: it starts where the last ended */
	else if (from > r->last || from == 0)
		return MDB_NOTFOUND; /* where it starts cannot be told: the answer ends */
	if (in_batch == 0 && from < *first)
		*first = from; /* the cursor fell inside a push: resend it whole */
	if (r->origin != a->origin || !held_by(h, txn, r->last, a->m->c)) {
		struct kt_msg_push *p = &w->ps[*n];

		a->mine = 0; /* a change the node has to apply: the run of its own ends */
		if (serve_push(h, txn, r, from, 0, p, w->batch_ch + *used,
			       KT_BATCH_CHANGES_MAX - *used, w->wh[*n], &a->dmg) != 0)
			return MDB_NOTFOUND; /* served up to the damage, never past it */
		for (uint32_t i = 0; i < p->nchanges; i++)
			*bytes += p->changes[i].n;
		*used += p->nchanges;
		(*n)++;
	}
	a->sent += r->last - from + 1;
	a->covered = r->last;
	if (a->mine)
		a->applied = r->last; /* its own push, left out: it holds it */
	return 0;
}

/* Notes a BATCH's counts for the invariants. */
static void batch_built(struct kt_hub *h, uint32_t n, uint32_t used)
{
	if (n > h->inv.batch_pushes)
		h->inv.batch_pushes = n;
	if (used > h->inv.batch_changes)
		h->inv.batch_changes = used;
}

/*
 * Up to KT_PULL_BATCHES_MAX batches, sent back to back so the node applies
 * one while the next is on the wire: each of whole pushes, until
 * KT_PULL_BATCH_CHANGES, the push count or the size cap; all of them until
 * the credit.  The node's own pushes it holds are covered but left out.
 * Every batch but the last says more = 1.
 */
static void answer_pull(struct kt_hub *h, MDB_txn *txn, struct answer *a, struct kt_hub_out *out)
{
	struct kt_push_cur cur = { NULL };
	struct kt_push_rec r;
	int rc = kt_push_open(&h->st, txn, &cur);

	if (rc == 0)
		rc = kt_push_seek(&cur, a->m->a + 1, &r);
	for (uint32_t b = 0; b < KT_PULL_BATCHES_MAX; b++) {
		uint64_t in_batch = 0, first = a->covered + 1, bytes = 0;
		uint32_t n = 0, used = 0;

		while (rc == 0 && n < KT_BATCH_PUSHES_MAX && bytes < KT_MSG_BYTES_MAX / 2 &&
		       (in_batch == 0 ||
			(in_batch < KT_PULL_BATCH_CHANGES && a->sent < a->credit))) {
			uint64_t before = a->sent;

			if ((rc = answer_push(h, txn, a, &r, in_batch, &first, &n, &used, &bytes)) != 0)
				break;
			in_batch += a->sent - before;
			rc = kt_push_next(&cur, &r);
		}
		batch_built(h, n, used);
		kt_msg_batch(hub_out_next(out, 0), first, a->covered, a->head, h->w->ps, n,
			     rc == 0 && a->sent < a->credit && b + 1 < KT_PULL_BATCHES_MAX);
		if (rc != 0 || a->sent >= a->credit)
			break;
	}
	kt_push_close(&cur);
}

int hub_on_pull(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		struct kt_hub_out *out, struct kt_err *err)
{
	struct answer a = { m, 0, m->b < 1 ? 1 : m->b, m->a, 0, m->a, 0, 1,
			    { 0, 0, 0, 0, 0, 0, NULL, 0 } };
	uint64_t pulled, seen;
	MDB_txn *txn;
	int rc, contact;

	if ((a.origin = hub_bound_origin(h, key, out)) == 0)
		return kt_err_set(err, KT_EREFUSED, "pull from a key that did not say hello");
	hub_seen_origin(h, a.origin);
	if ((rc = kt_store_rdtxn(&h->st, &txn, err)) != 0)
		return rc;
	a.head = kt_log_last(&h->st, txn);
	answer_pull(h, txn, &a, out);
	pulled = kt_hub_pulled(h, txn, a.origin);
	seen = kt_hub_contact(h, txn, key);
	mdb_txn_abort(txn);
	/*
	 * What status shows as pulled: the node's cursor, and past it the run of
	 * its own pushes this answer covers (it holds them, so it stands there
	 * once the answer arrives; a node that only pushed never asks again).
	 */
	contact = !(pulled == a.applied && now >= seen && now - seen < KT_HUB_CONTACT_SAVE_MS);
	if (contact)
		hub_seen_pulled(h, a.origin, a.applied); /* the node's word: it may stand lower */
	answered(h, key, a.origin, a.applied, now, contact, &a.dmg, out);
	return 0;
}

/*
 * The pushes of REFETCH, in txn, from the one holding hub seq lo up to hi,
 * into one BATCH up to the batch's limits (pushes, changes and bytes); the
 * node's own (origin's) are left out.
 */
static void answer_refetch(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t lo,
			   uint64_t hi, struct damage *dmg, struct kt_hub_out *out)
{
	struct kt_hub_work *w = h->w;
	struct kt_push_cur cur = { NULL };
	struct kt_push_rec r;
	uint64_t first = lo, covered = lo - 1, bytes = 0;
	uint32_t n = 0, used = 0;
	int rc = kt_push_open(&h->st, txn, &cur);

	if (rc == 0)
		rc = kt_push_seek(&cur, lo, &r);
	while (rc == 0 && n < KT_BATCH_PUSHES_MAX && bytes < KT_MSG_BYTES_MAX / 2) {
		if (!r.whole || r.first > r.last || r.first == 0 || r.first > hi ||
		    used + (r.last - r.first + 1) > KT_BATCH_CHANGES_MAX)
			break;
		if (r.first < first)
			first = r.first;
		if (r.origin != origin) {
			if (serve_push(h, txn, &r, r.first, 1, &w->ps[n], w->batch_ch + used,
				       KT_BATCH_CHANGES_MAX - used, w->wh[n], dmg) != 0)
				break;
			for (uint32_t i = 0; i < w->ps[n].nchanges; i++)
				bytes += w->ps[n].changes[i].n;
			used += w->ps[n++].nchanges;
		}
		covered = r.last;
		rc = kt_push_next(&cur, &r);
	}
	kt_push_close(&cur);
	batch_built(h, n, used);
	kt_msg_batch(hub_out_next(out, 0), first, covered < first ? first - 1 : covered,
		     kt_log_last(&h->st, txn), w->ps, n, 0);
}

/*
 * REFETCH: the pushes holding changes m->b..m->last of origin m->a again,
 * found by the chain's log positions (so a hub restored or rebuilt, whose
 * hub seqs differ, finds them too), in one BATCH up to the batch's limits,
 * for a node that was sent them withheld; its own pushes are left out.
 * The node's cursor is not moved by it.
 */
int hub_on_refetch(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		   struct kt_hub_out *out, struct kt_err *err)
{
	uint64_t origin = hub_bound_origin(h, key, out), lo = 0, hi = 0;
	struct damage dmg = { 0, 0, 0, 0, 0, 0, NULL, 0 };
	uint8_t hash[KT_HASH_BYTES];
	MDB_txn *txn;
	int rc;

	if (origin == 0)
		return kt_err_set(err, KT_EREFUSED, "refetch from a key that did not say hello");
	hub_seen_origin(h, origin);
	if ((rc = kt_store_rdtxn(&h->st, &txn, err)) != 0)
		return rc;
	if (kt_chain_get(&h->st, txn, m->a, m->b, hash, &lo) != 0 ||
	    kt_chain_get(&h->st, txn, m->a, m->last, hash, &hi) != 0 || hi < lo || lo == 0) {
		lo = 1; /* the hub does not hold them (yet): an empty answer */
		hi = 0;
	}
	answer_refetch(h, txn, origin, lo, hi, &dmg, out);
	mdb_txn_abort(txn);
	answered(h, key, origin, 0, now, 0, &dmg, out);
	return 0;
}
