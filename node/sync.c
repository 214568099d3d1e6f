/*
 * sync.c - the node's replication state machine (see sync.h), shaped like
 * TigerBeetle's replica: a step (one message, or a tick) runs in one
 * transaction of the store, one function per message kind, time passed in,
 * state in struct kt_sync, and kt_sync_invariants() checked at the end of
 * every step, before its transaction commits.
 */
#include "proto/stub.h"
#include "sync.h"
#include "hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

void kt_sync_out_init(struct kt_sync_out *o)
{
	o->n = 0;
	for (int i = 0; i < KT_SYNC_OUT_MAX; i++)
		msgpack_sbuffer_init(&o->msg[i]);
}

void kt_sync_out_release(struct kt_sync_out *o)
{
	for (int i = 0; i < KT_SYNC_OUT_MAX; i++)
		msgpack_sbuffer_destroy(&o->msg[i]);
	o->n = 0;
}

static msgpack_sbuffer *next(struct kt_sync_out *o)
{
	kt_assert(o->n < KT_SYNC_OUT_MAX);
	return &o->msg[o->n++];
}

/* The node's own last seq as txn sees it. */
static uint64_t local_seq(struct kt_sync *s, MDB_txn *txn)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t seq = 0, pos;

	kt_store_origin_head(s->st, txn, s->st->node_id, &seq, hash, &pos);
	return seq;
}

uint64_t kt_sync_local_seq(struct kt_sync *s)
{
	MDB_txn *txn;
	uint64_t seq;

	if (kt_store_rdtxn(s->st, &txn, NULL) != 0)
		return 0;
	seq = local_seq(s, txn);
	mdb_txn_abort(txn);
	return seq;
}

int kt_sync_init(struct kt_sync *s, struct kt_store *st, struct kt_err *err)
{
	char cpk[41], csk[41];
	MDB_txn *txn;
	int rc;

	memset(s, 0, sizeof(*s));
	s->st = st;
	rc = kt_identity_read(st->dir, "node.key", s->pk, s->sk, cpk, csk, err);
	sodium_memzero(csk, sizeof(csk));
	if (rc != 0 || (rc = kt_store_rdtxn(st, &txn, err)) != 0)
		return rc;
	kt_meta_u64(st, txn, "cursor", &s->cursor);
	s->own = local_seq(s, txn);
	mdb_txn_abort(txn);
	kt_chain_check(s->check, st->chain_key);
	s->push = kt_calloc(KT_PUSH_CHANGES_MAX, sizeof(*s->push));
	s->clock_offset = st->clock_offset;
	s->seen.cursor = s->cursor;
	s->seen.own = s->own;
	return 0;
}

void kt_sync_release(struct kt_sync *s)
{
	static const char *const names[] = { "acked", "last_sync" };
	uint64_t vals[] = { s->acked, s->acked_ms }; /* last sync: the hub's last ack */

	if (s->ack_dirty)
		kt_meta_save_u64(s->st, names, vals, 2, NULL); /* best effort: status reads it */
	sodium_memzero(s->sk, sizeof(s->sk));
	free(s->push);
	s->push = NULL;
}

int kt_sync_idle(struct kt_sync *s)
{
	return s->ready && !s->pulling && !s->refetching && s->pushed == 0 && s->cursor >= s->head &&
	       s->acked >= kt_sync_local_seq(s);
}

void kt_sync_connect(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out)
{
	s->ready = 0;
	s->pushed = 0;
	s->pulling = 0;
	s->refetching = 0;
	s->refetch_ms = 0;
	s->sent_ms = now_ms;
	kt_msg_hello(next(out), s->st->node_id, s->pk, s->check);
}

/* ---- invariants ---- */

#define BROKEN(...) (snprintf(why, cap, __VA_ARGS__), KT_SYNC_EBROKEN)

int kt_sync_invariants(const struct kt_sync *s, char *why, size_t cap)
{
	if (s->cursor < s->seen.cursor)
		return BROKEN("the cursor moved back from %llu to %llu",
			      (unsigned long long)s->seen.cursor, (unsigned long long)s->cursor);
	if (s->own < s->seen.own)
		return BROKEN("the own seq moved back from %llu to %llu",
			      (unsigned long long)s->seen.own, (unsigned long long)s->own);
	if (!s->rebased && s->acked < s->seen.acked)
		return BROKEN("acked moved back from %llu to %llu", (unsigned long long)s->seen.acked,
			      (unsigned long long)s->acked);
	if (!s->rebased && s->head < s->seen.head)
		return BROKEN("the hub's head moved back from %llu to %llu",
			      (unsigned long long)s->seen.head, (unsigned long long)s->head);
	if (s->pushed > s->own)
		return BROKEN("pushed %llu past the own seq %llu", (unsigned long long)s->pushed,
			      (unsigned long long)s->own);
	if (s->push_n > KT_PUSH_CHANGES_MAX || s->napplied > KT_BATCH_PUSHES_MAX)
		return BROKEN("a push of %u changes, or %u pushes applied", s->push_n, s->napplied);
	for (uint32_t i = 0; i < s->napplied; i++) {
		const struct kt_sync_applied *a = &s->applied[i];

		if (memcmp(a->hash, a->held, KT_HASH_BYTES) != 0)
			return BROKEN("change %llu of origin %016llx applied, but its chain entry "
				      "is another hash", (unsigned long long)a->seq,
				      (unsigned long long)a->origin);
	}
	return 0;
}

/* The values the next step's invariants compare with. */
static void seen_now(struct kt_sync *s)
{
	s->seen.cursor = s->cursor;
	s->seen.own = s->own;
	s->seen.acked = s->acked;
	s->seen.head = s->head;
	s->rebased = 0;
}

/* ---- a step: one message or a tick, in one transaction ---- */

/*
 * The transaction a step runs in: a reader when it writes nothing, a
 * writer of meta values (acked, the clock) committed durably, or the
 * store's writer for applying pulled changes, committed lazily (the hub
 * has them again).
 */
enum { TX_READ, TX_WRITE, TX_INGEST };

struct step {
	struct kt_sync *s;
	const struct kt_msg *m;   /* NULL: a tick */
	uint64_t now_ms;
	struct kt_sync_out *out;
	int tx;
	MDB_txn *txn;
	int told_void;            /* the VOID in out is the store's void_run */
	struct kt_sync before;    /* the machine as the step found it */
};

static int tx_open(struct step *t, struct kt_err *err)
{
	int rc;

	if (t->tx == TX_INGEST)
		return kt_store_wbegin(t->s->st, &t->txn, err);
	if (t->tx == TX_READ)
		return kt_store_rdtxn(t->s->st, &t->txn, err);
	if ((rc = kt_txn_begin(t->s->st->env, 0, &t->txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	return 0;
}

static int tx_commit(struct step *t, struct kt_err *err)
{
	int rc;

	if (t->tx == TX_INGEST)
		return kt_store_wcommit_lazy(t->s->st, t->txn, err);
	if (t->tx == TX_READ) {
		mdb_txn_abort(t->txn);
		return 0;
	}
	if ((rc = kt_txn_commit(t->txn)) != 0) /* a failed commit frees the transaction */
		return kt_mdb_err(err, rc, "save the node's state");
	return 0;
}

/* Puts one signed push of up to max own changes from seq `from` in out; returns how many. */
static uint32_t push_from(struct step *t, uint64_t from, uint32_t max)
{
	struct kt_sync *s = t->s;
	uint8_t sig[KT_SIG_BYTES], in[KT_SIG_INPUT_BYTES], hash[KT_HASH_BYTES];
	struct kt_msg_push p = { .origin = s->st->node_id, .first_seq = from, .sig = sig,
				 .nchanges = 0, .changes = s->push };

	kt_assert(max <= KT_PUSH_CHANGES_MAX);
	for (uint64_t seq = from; p.nchanges < max; seq++) {
		uint64_t pos;

		if (kt_chain_get(s->st, t->txn, s->st->node_id, seq, hash, &pos) != 0 ||
		    kt_log_get(s->st, t->txn, pos, &s->push[p.nchanges]) != 0)
			break;
		p.nchanges++;
	}
	s->push_n = p.nchanges;
	if (p.nchanges > 0) {
		kt_msg_sig_input(in, p.origin, p.first_seq + p.nchanges - 1, hash);
		crypto_sign_detached(sig, NULL, in, sizeof(in), s->sk);
		kt_msg_push(next(t->out), &p);
	}
	return p.nchanges;
}

/* Sends one signed push of own changes after those in flight; 1 when it sent one. */
static int push_one(struct step *t)
{
	struct kt_sync *s = t->s;
	uint64_t from = (s->pushed > s->acked ? s->pushed : s->acked) + 1;
	uint32_t n = push_from(t, from, KT_PUSH_CHANGES_MAX);

	if (n == 0)
		return 0;
	if (s->pushed <= s->acked)
		s->sent_ms = t->now_ms; /* the oldest unanswered request */
	s->pushed = from + n - 1;
	return 1;
}

/*
 * Keeps up to KT_SYNC_PUSH_WINDOW pushes in flight, leaving room in out for
 * a pull.  The hub answers each in order; a refused one (a gap) starts the
 * window over from the seq the hub expects.
 */
static void push_more(struct step *t)
{
	struct kt_sync *s = t->s;

	if (!s->ready)
		return;
	/* Bounded: at most KT_SYNC_OUT_MAX - 1 pushes. */
	while (t->out->n + 1 < KT_SYNC_OUT_MAX &&
	       (s->pushed <= s->acked ||
		s->pushed - s->acked < (uint64_t)KT_SYNC_PUSH_WINDOW * KT_PUSH_CHANGES_MAX) &&
	       push_one(t) == 1)
		;
}

static void send_pull(struct step *t)
{
	struct kt_sync *s = t->s;

	kt_msg_pull(next(t->out), s->cursor, KT_SYNC_CREDIT, s->own);
	s->pulled_from = s->cursor;
	s->pulling = 1;
	s->sent_ms = t->now_ms;
}

static void ask(struct step *t)
{
	if (!t->s->pulling && t->s->cursor < t->s->head)
		send_pull(t);
}

static void first_hole(void *ctx, const struct kt_hole *h)
{
	struct kt_hole *out = ctx;

	if (out->origin == 0)
		*out = *h;
}

/*
 * Once caught up, a node holding withheld changes asks for the first of
 * them again: at once in a session and when a pull made or a refetch filled
 * one, else every KT_SYNC_REFETCH_MS.  The hub sends it whole once its
 * branch has sent it again.
 */
static void ask_refetch(struct step *t)
{
	struct kt_sync *s = t->s;
	struct kt_hole h = { 0, 0, 0, 0 };

	if (!s->ready || s->pulling || s->refetching || s->cursor < s->head ||
	    t->out->n >= KT_SYNC_OUT_MAX || (s->refetch_ms != 0 && !s->holes_moved &&
					     t->now_ms - s->refetch_ms < KT_SYNC_REFETCH_MS))
		return;
	/* Looked at now, found or not: the store is read at most once a period, not per message. */
	s->holes_moved = 0;
	s->refetch_ms = t->now_ms;
	if (kt_store_holes_in(s->st, t->txn, 1, first_hole, &h) <= 0)
		return;
	kt_msg_refetch(next(t->out), h.origin, h.first, h.last);
	s->refetching = 1;
}

/* Keeps what the hub holds and when, for `kt-node status` (a TX_WRITE step). */
static int remember_ack(struct step *t, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	int rc;

	kt_assert(t->tx == TX_WRITE);
	if ((rc = kt_meta_put_u64(s->st, t->txn, "acked", s->acked)) != 0 ||
	    (rc = kt_meta_put_u64(s->st, t->txn, "last_sync", s->acked_ms)) != 0)
		return kt_mdb_err(err, rc, "save the node's state");
	s->saved_ms = t->now_ms;
	s->ack_dirty = 0;
	return 0;
}

/* ---- pulled batches ---- */

/*
 * Checks one pulled push: its origin's key is the one pinned on first sight
 * (meta "key:<origin>", pinned here), and the origin's signature covers the
 * hash of its last change, which vouches for the whole chain before it (of
 * a withheld push: the hash it names).  *sig_ok says whether it does; a
 * push whose signature does not verify is refused (KT_EREFUSED) unless
 * sig_ok is given.  The last change's seq and hash go to *a.  Returns 0, or
 * an error.
 */
static int check_push(struct step *t, const struct kt_msg_push *p, int *sig_ok,
		      struct kt_sync_applied *a, struct kt_err *err)
{
	struct kt_store *st = t->s->st;
	struct kt_change *c = &st->w_change; /* the store's scratch: ingest comes after */
	uint8_t key[KT_PUBKEY_BYTES], in[KT_SIG_INPUT_BYTES];
	char name[KT_META_KEY_NAME_BYTES];
	size_t n;
	int rc;

	kt_meta_key_name(name, p->origin);
	a->origin = p->origin;
	if (p->withheld_hash != NULL) {
		memcpy(a->hash, p->withheld_hash, KT_HASH_BYTES);
		a->seq = p->withheld_last;
	} else {
		const struct kt_bytes *last = &p->changes[p->nchanges - 1];

		/* A stub (a change of an erased client) names its hash itself. */
		if ((rc = kt_entry_decode(c, a->hash, last->p, last->n, err)) != 0)
			return rc;
		a->seq = c->seq;
	}
	rc = kt_meta_copy(st, t->txn, name, key, sizeof(key), &n);
	if ((rc == 0 && (n != KT_PUBKEY_BYTES || memcmp(key, p->key, KT_PUBKEY_BYTES) != 0)) ||
	    rc == KT_ETOOBIG)
		return kt_err_set(err, KT_EREFUSED, "the key of node %016llx changed: batch refused",
				  (unsigned long long)p->origin);
	if (rc == KT_ENOTFOUND && (rc = kt_meta_put(st, t->txn, name, p->key,
						    KT_PUBKEY_BYTES)) != 0)
		return kt_mdb_err(err, rc, "pin a node's key");
	if (p->branch != NULL && (rc = kt_origin_branch_put(st, t->txn, p->origin, p->branch,
							    p->branch_len, err)) != 0)
		return rc;
	kt_msg_sig_input(in, p->origin, a->seq, a->hash);
	if (crypto_sign_verify_detached(p->sig, in, sizeof(in), p->key) == 0) {
		if (sig_ok != NULL)
			*sig_ok = 1;
		return 0;
	}
	if (sig_ok != NULL) {
		*sig_ok = p->withheld_hash == NULL &&
			  kt_store_hole_vouches(st, t->txn, p->origin, a->seq, a->hash);
		return 0;
	}
	return kt_err_set(err, KT_EREFUSED, "a push of node %016llx is not signed by it: batch "
			  "refused", (unsigned long long)p->origin);
}

/* Reads back the chain entry of the last change of each push applied (kt_sync_invariants). */
static void read_back(struct step *t)
{
	struct kt_sync *s = t->s;

	for (uint32_t i = 0; i < s->napplied; i++) {
		struct kt_sync_applied *a = &s->applied[i];

		if (kt_chain_get(s->st, t->txn, a->origin, a->seq, a->held, NULL) != 0)
			memset(a->held, 0, KT_HASH_BYTES);
	}
}

/*
 * Checks and ingests a batch's pushes in the step's transaction, in order.
 * Changes run in one threaded ingest up to each withheld push, which is
 * kept as a hole (store.h).  In a refetch a push that does not check is
 * passed over (its hole stays open, asked for again later) rather than
 * refusing the rest.
 */
static int ingest_pushes(struct step *t, int refetch, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	const struct kt_msg *m = t->m;
	uint32_t done = 0; /* m->changes before this are ingested, or passed over */
	int rc = 0;

	for (uint32_t i = 0; i < m->npushes; i++) {
		const struct kt_msg_push *p = &m->pushes[i];
		struct kt_sync_applied *a = &s->applied[s->napplied];
		uint32_t at = (uint32_t)(p->changes - m->changes);
		int sig_ok = 0, whole = p->withheld_hash == NULL;

		/*
		 * A withheld push whose hash is unsigned is a hole all the same:
		 * the origin's next change vouches for it (store.h).  A whole
		 * push is taken when it is signed, or (a refetch) when its last
		 * change is the one a vouched-for hole holds the hash of.
		 */
		if ((rc = check_push(t, p, refetch || !whole ? &sig_ok : NULL, a, err)) != 0)
			return rc;
		if (whole && (sig_ok || !refetch)) {
			s->napplied++; /* signed (else check_push refused it) */
			continue;
		}
		if (at > done && (rc = kt_store_ingest_batch(s->st, t->txn, m->changes + done,
							       at - done, err)) != 0)
			return rc;
		done = at + p->nchanges;
		if (!whole) {
			struct kt_hole h = { p->origin, p->withheld_first, p->withheld_last,
					     p->withheld_at };

			if ((rc = kt_store_hole_put(s->st, t->txn, &h, p->withheld_hash, sig_ok,
						    err)) != 0)
				return rc;
			s->holes_moved = 1; /* asked for once the pull is done, not a period later */
		}
	}
	if (m->nchanges > done)
		rc = kt_store_ingest_batch(s->st, t->txn, m->changes + done, m->nchanges - done, err);
	if (rc == 0 && s->st->w_filled)
		rc = kt_store_void_retry(s->st, t->txn, err); /* changes that came before their key */
	if (rc == 0)
		read_back(t);
	return rc;
}

/* The answer to a REFETCH: ingested, the cursor left where it is. */
static int apply_refetch(struct step *t, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	long before;
	int rc;

	s->refetching = 0;
	if (t->m->nchanges == 0)
		return 0; /* still withheld, or nothing there */
	before = kt_store_holes_in(s->st, t->txn, 0, NULL, NULL);
	if ((rc = ingest_pushes(t, 1, err)) == 0) /* the next, now: */
		s->holes_moved = kt_store_holes_in(s->st, t->txn, 0, NULL, NULL) < before;
	return rc;
}

/* Applies a pulled batch and moves the cursor (meta "cursor"), in the step's transaction. */
static int apply_batch(struct step *t, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	const struct kt_msg *m = t->m;
	int rc;

	if (m->last <= s->cursor || m->a > s->cursor + 1)
		return 0; /* nothing new (a late answer to an earlier pull, a heartbeat), or past a gap */
	if (m->npushes == 0) {
		/*
		 * Only our own pushes, left out: the cursor moves in memory and is
		 * saved with the next batch that brings changes (a cursor saved
		 * behind only makes a restarted node ask again for what it holds).
		 */
		s->cursor = m->last;
		return 0;
	}
	kt_assert(t->tx == TX_INGEST);
	if ((rc = ingest_pushes(t, 0, err)) != 0)
		return rc;
	if ((rc = kt_meta_put_u64(s->st, t->txn, "cursor", m->last)) != 0 ||
	    (rc = kt_meta_put_u64(s->st, t->txn, "last_sync", t->now_ms)) != 0)
		return kt_mdb_err(err, rc, "move the cursor");
	s->cursor = m->last; /* a power cut may undo it: the hub has it again */
	return 0;
}

/* ---- the handlers, one per message kind ---- */

/*
 * The hub's copy of this node's change at the acked seq must be the one the
 * node holds.  It is not when the node wrote under seqs the hub already held
 * from it: a PC restored from an older backup and written to before its
 * first sync.  Going on would leave two histories under one name, each side
 * refusing the other's; the node stops and says what happened instead.
 */
static int same_history(struct step *t, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	const struct kt_msg *m = t->m;
	uint8_t held[KT_HASH_BYTES];

	if (m->hash == NULL || s->own < m->b)
		return 0; /* nothing acked, or a node that holds fewer: it pulls the rest back */
	if (kt_chain_get(s->st, t->txn, s->st->node_id, m->b, held, NULL) == 0 &&
	    memcmp(held, m->hash, KT_HASH_BYTES) == 0)
		return 0;
	return kt_store_fork_err(err, m->b);
}

/* How far the node's last own change is stamped past hub_ms (0: not past it). */
static uint64_t own_ahead(struct step *t, uint64_t hub_ms)
{
	struct kt_store *st = t->s->st;
	struct kt_change *c = &st->w_change;
	uint8_t hash[KT_HASH_BYTES];
	uint64_t seq, pos;
	struct kt_bytes b;

	kt_store_origin_head(st, t->txn, st->node_id, &seq, hash, &pos);
	if (seq == 0 || kt_log_get(st, t->txn, pos, &b) != 0 ||
	    kt_change_decode(c, b.p, b.n, NULL) != 0 || kt_hlc_ms(c->hlc) <= hub_ms ||
	    kt_change_above_base(c))
		return 0;
	return kt_hlc_ms(c->hlc) - hub_ms;
}

static int on_welcome(struct step *t, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	const struct kt_msg *m = t->m;
	int rc;

	if ((rc = same_history(t, err)) != 0) {
		/*
		 * Shown to the hub too: its change at the acked seq, which the
		 * hub refuses as other bytes under a seq it holds, and logs.
		 */
		push_from(t, m->b, 1);
		return rc;
	}
	s->ready = 1;
	s->acked = m->b;
	s->head = m->c;
	s->rebased = 1; /* the hub says where it stands */
	/*
	 * Takes the hub's clock as the chain's: the store keeps its offset from
	 * the store's wall clock (which stamps writes; now_ms only drives
	 * timers), stored when it moves by more than a second, so an offline
	 * node keeps the last correction.
	 */
	if ((rc = kt_store_clock_learn(s->st, t->txn, m->a, &s->clock_offset)) != 0)
		return kt_mdb_err(err, rc, "save the node's state");
	s->tell_cursor = s->cursor >= s->head; /* caught up: it says so, for the hub's status */
	s->ahead_ms = own_ahead(t, m->a);
	return 0;
}

static int on_ack(struct step *t, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	const struct kt_msg *m = t->m;

	if (m->a == s->st->node_id && m->b >= s->acked)
		s->acked = m->b;
	s->acked_ms = t->now_ms;
	if (s->acked >= s->pushed)
		s->pushed = 0; /* nothing in flight */
	else
		s->sent_ms = t->now_ms; /* the next push is now the oldest unanswered */
	if (t->tx == TX_WRITE)
		return remember_ack(t, err);
	s->ack_dirty = 1; /* saved by a tick within the second, or on release */
	return 0;
}

static int on_refuse(struct step *t, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	const struct kt_msg *m = t->m;

	if (m->a == KT_REFUSE_RESIGN) {
		/* The hub's copy of a signature is damaged: that change again, signed. */
		if (m->b > 0 && m->b <= s->own && t->out->n < KT_SYNC_OUT_MAX)
			push_from(t, m->b, 1);
		return 0;
	}
	s->pushed = 0;
	if (m->a == KT_REFUSE_GAP && m->b > 0) {
		/*
		 * Not a failure: the hub expects the changes from there (a push
		 * lost on the way), or asks for them again (its copy is
		 * damaged); push_more sends them.
		 */
		s->acked = m->b - 1;
		s->rebased = 1;
		return 0;
	}
	return kt_err_set(err, KT_EREFUSED, "the hub refused: %.*s", (int)m->reason.n,
			  (const char *)m->reason.p);
}

static int on_batch(struct step *t, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	const struct kt_msg *m = t->m;
	int rc;

	if (s->refetching && m->last <= s->cursor)
		return apply_refetch(t, err);
	if (m->c == 0)
		s->pulling = 0; /* the last batch answering the pull */
	else
		s->sent_ms = t->now_ms; /* the answer is flowing */
	if (m->b > s->head)
		s->head = m->b;
	rc = apply_batch(t, err);
	/*
	 * A one-shot sync ends once idle and never pulls again: it tells the
	 * hub where the pull left it, so `kt-hub status` is not behind.
	 */
	if (rc == 0 && m->c == 0 && s->one_shot && s->cursor > s->pulled_from &&
	    s->cursor >= s->head)
		s->tell_cursor = 1;
	return rc;
}

static int on_notify(struct step *t, struct kt_err *err)
{
	(void)err;
	if (t->m->a > t->s->head)
		t->s->head = t->m->a;
	return 0;
}

typedef int (*handler_fn)(struct step *t, struct kt_err *err);
static const handler_fn handlers[] = {
	[KT_MSG_WELCOME] = on_welcome, [KT_MSG_ACK] = on_ack, [KT_MSG_REFUSE] = on_refuse,
	[KT_MSG_BATCH] = on_batch, [KT_MSG_NOTIFY] = on_notify,
};

static handler_fn handler_of(uint8_t type)
{
	return type < sizeof(handlers) / sizeof(handlers[0]) ? handlers[type] : NULL;
}

/* The transaction message m needs: a writer only when it writes. */
static int tx_of(const struct kt_sync *s, const struct kt_msg *m, uint64_t now_ms)
{
	switch (m->type) {
	case KT_MSG_WELCOME:
		return TX_WRITE; /* the hub's clock, when it moved */
	case KT_MSG_ACK:
		return now_ms - s->saved_ms >= KT_SYNC_ACK_SAVE_MS ? TX_WRITE : TX_READ;
	case KT_MSG_BATCH:
		return m->npushes > 0 ? TX_INGEST : TX_READ;
	default:
		return TX_READ;
	}
}

/*
 * Tells the hub the first run of void changes the store met (for its log;
 * every void change stays in `status`), once: the store's void_run, or the
 * run this transaction met, which its commit makes the void_run.
 */
static void tell_void(struct step *t)
{
	struct kt_store *st = t->s->st;
	const struct kt_void_run *v = st->void_run.first != 0 ? &st->void_run :
				      t->tx == TX_INGEST && st->w_void.first != 0 ? &st->w_void :
				      NULL;

	if (v == NULL)
		return;
	kt_msg_void(next(t->out), v->origin, v->first, v->last, v->reason);
	t->told_void = 1;
}

/* What every message leads to once handled: pushes, a pull, a refetch. */
static void after_msg(struct step *t)
{
	struct kt_sync *s = t->s;

	tell_void(t);
	push_more(t);
	ask(t);
	ask_refetch(t);
	if (s->tell_cursor && !s->pulling && t->out->n < KT_SYNC_OUT_MAX)
		send_pull(t);
	s->tell_cursor = 0;
}

static int on_tick(struct step *t, struct kt_err *err)
{
	struct kt_sync *s = t->s;
	int rc;

	if (t->tx == TX_WRITE && (rc = remember_ack(t, err)) != 0)
		return rc;
	push_more(t);
	ask(t);
	if (s->refetching && t->now_ms - s->refetch_ms > KT_SYNC_RESEND_MS)
		s->refetching = 0; /* unanswered: asked again later */
	ask_refetch(t);
	if (t->out->n == 0 && !s->pulling && !s->pushed &&
	    t->now_ms - s->sent_ms > KT_SYNC_HEARTBEAT_MS) {
		/*
		 * A heartbeat: an idle node asks anyway, so a hub that restarted
		 * (and forgot who listens for its notices) hears from it, and a
		 * notice lost on the way costs at most this long.
		 */
		send_pull(t);
	}
	return 0;
}

/*
 * One try at a step, in one transaction: its writes and what it sends are
 * made together, and kt_sync_invariants holds before anything commits.  A
 * handler's error aborts the transaction and keeps what it put in out (a
 * fork is shown to the hub).
 */
static int step_once(void *ctx, struct kt_err *err)
{
	struct step *t = ctx;
	struct kt_sync *s = t->s;
	char why[160];
	int rc;

	*s = t->before; /* a try the map was too small for left nothing behind */
	t->out->n = 0;
	t->told_void = 0;
	if ((rc = tx_open(t, err)) != 0)
		return rc;
	s->own = local_seq(s, t->txn);
	s->napplied = 0;
	if (t->m != NULL && (rc = handler_of(t->m->type)(t, err)) == 0)
		after_msg(t);
	else if (t->m == NULL)
		rc = on_tick(t, err);
	if (rc == 0 && (rc = kt_sync_invariants(s, why, sizeof(why))) != 0) {
		t->out->n = 0;
		kt_err_set(err, KT_SYNC_EBROKEN, "sync: a bug: %s; stopped, nothing of it written",
			   why);
	}
	if (rc != 0) {
		mdb_txn_abort(t->txn);
		if (rc != KT_SYNC_EBROKEN)
			s->napplied = 0; /* aborted: nothing of the batch was applied */
		return rc;
	}
	if ((rc = tx_commit(t, err)) != 0) {
		*s = t->before; /* nothing of the step holds */
		t->out->n = 0;
		return rc;
	}
	if (t->told_void)
		s->st->void_run.first = 0;
	s->st->clock_offset = s->clock_offset;
	seen_now(s);
	return 0;
}

static int step_run(struct step *t, struct kt_err *err)
{
	t->before = *t->s;
	return kt_store_retry(t->s->st, step_once, t, err); /* a full map grows */
}

int kt_sync_handle(struct kt_sync *s, const uint8_t *msg, size_t len, uint64_t now_ms,
		   struct kt_sync_out *out, struct kt_err *err)
{
	struct kt_msg *m = kt_malloc(sizeof(*m));
	struct step *t = kt_malloc(sizeof(*t));
	int rc;

	out->n = 0;
	rc = kt_msg_decode(m, msg, len, err);
	if (rc == 0 && handler_of(m->type) == NULL)
		rc = kt_err_set(err, KT_EINVAL, "unexpected message of type %d", m->type);
	if (rc == 0) {
		*t = (struct step){ .s = s, .m = m, .now_ms = now_ms, .out = out,
				    .tx = tx_of(s, m, now_ms) };
		rc = step_run(t, err);
	}
	kt_msg_release(m);
	free(m);
	free(t);
	return rc;
}

int kt_sync_tick(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out,
		 struct kt_err *err)
{
	struct step *t;
	char why[160];
	int rc;

	out->n = 0;
	if (!s->ready || ((s->pushed || s->pulling) && now_ms - s->sent_ms > KT_SYNC_RESEND_MS)) {
		if (now_ms - s->sent_ms > KT_SYNC_RESEND_MS || s->sent_ms == 0)
			kt_sync_connect(s, now_ms, out); /* start over: hello again */
		if ((rc = kt_sync_invariants(s, why, sizeof(why))) != 0) {
			out->n = 0;
			return kt_err_set(err, rc, "sync: a bug: %s; stopped", why);
		}
		return 0;
	}
	t = kt_malloc(sizeof(*t));
	*t = (struct step){ .s = s, .now_ms = now_ms, .out = out,
			    .tx = s->ack_dirty && now_ms - s->saved_ms >= KT_SYNC_ACK_SAVE_MS ?
				  TX_WRITE : TX_READ };
	rc = step_run(t, err);
	free(t);
	return rc;
}
