/* sync.c - the node's replication state machine (see sync.h). */
#include "sync.h"
#include "store_int.h"
#include "hlc.h"

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
	mdb_txn_abort(txn);
	kt_chain_check(s->check, st->chain_key);
	return 0;
}

static int remember_ack(struct kt_sync *s, uint64_t now_ms, struct kt_err *err);

void kt_sync_release(struct kt_sync *s)
{
	if (s->ack_dirty)
		remember_ack(s, s->acked_ms, NULL); /* best effort: status reads it */
	sodium_memzero(s->sk, sizeof(s->sk));
}

uint64_t kt_sync_local_seq(struct kt_sync *s)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t seq = 0, pos;
	MDB_txn *txn;

	if (kt_store_rdtxn(s->st, &txn, NULL) != 0)
		return 0;
	kt_store_origin_head(s->st, txn, s->st->node_id, &seq, hash, &pos);
	mdb_txn_abort(txn);
	return seq;
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

static void send_pull(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out)
{
	kt_msg_pull(next(out), s->cursor, KT_SYNC_CREDIT, kt_sync_local_seq(s));
	s->pulled_from = s->cursor;
	s->pulling = 1;
	s->sent_ms = now_ms;
}

static void ask(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out)
{
	if (!s->pulling && s->cursor < s->head)
		send_pull(s, now_ms, out);
}

/* Puts one signed push of up to max own changes from seq `from` in out; returns how many. */
static int push_from(struct kt_sync *s, uint64_t from, uint32_t max, struct kt_sync_out *out,
		     struct kt_err *err)
{
	static struct kt_bytes ch[KT_PUSH_CHANGES_MAX];
	uint8_t sig[KT_SIG_BYTES], in[KT_SIG_INPUT_BYTES], hash[KT_HASH_BYTES];
	struct kt_msg_push p = { .origin = s->st->node_id, .first_seq = from, .sig = sig,
				 .nchanges = 0, .changes = ch };
	MDB_txn *txn;
	int rc;

	if ((rc = kt_store_rdtxn(s->st, &txn, err)) != 0)
		return rc;
	for (uint64_t seq = from; p.nchanges < max; seq++) {
		uint64_t pos;
		uint8_t lp[8];
		MDB_val lk = { 8, lp }, lv;

		if (kt_chain_get(s->st, txn, s->st->node_id, seq, hash, &pos) != 0)
			break;
		kt_be64_put(lp, pos);
		if (mdb_get(txn, s->st->log, &lk, &lv) != 0)
			break;
		ch[p.nchanges++] = (struct kt_bytes){ lv.mv_data, (uint32_t)lv.mv_size };
	}
	if (p.nchanges > 0) {
		kt_msg_sig_input(in, p.origin, p.first_seq + p.nchanges - 1, hash);
		crypto_sign_detached(sig, NULL, in, sizeof(in), s->sk);
		kt_msg_push(next(out), &p);
	}
	mdb_txn_abort(txn);
	return (int)p.nchanges;
}

/* Sends one signed push of own changes after those in flight; 1 when it sent one. */
static int push_one(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out,
		    struct kt_err *err)
{
	uint64_t from = (s->pushed > s->acked ? s->pushed : s->acked) + 1;
	int n = push_from(s, from, KT_PUSH_CHANGES_MAX, out, err);

	if (n <= 0)
		return n;
	if (s->pushed <= s->acked)
		s->sent_ms = now_ms; /* the oldest unanswered request */
	s->pushed = from + (uint64_t)n - 1;
	return 1;
}

/*
 * Keeps up to KT_SYNC_PUSH_WINDOW pushes in flight, leaving room in out for
 * a pull.  The hub answers each in order; a refused one (a gap) starts the
 * window over from the seq the hub expects.
 */
static int push_more(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out,
		     struct kt_err *err)
{
	int rc = 1;

	if (!s->ready)
		return 0;
	while (rc == 1 && out->n + 1 < KT_SYNC_OUT_MAX &&
	       (s->pushed <= s->acked ||
		s->pushed - s->acked < (uint64_t)KT_SYNC_PUSH_WINDOW * KT_PUSH_CHANGES_MAX))
		rc = push_one(s, now_ms, out, err);
	return rc < 0 ? rc : 0;
}

/*
 * Checks one pulled push: its origin's key is the one pinned on first sight
 * (meta "key:<origin>", pinned here), and the origin's signature covers the
 * hash of its last change, which vouches for the whole chain before it (of
 * a withheld push: the hash it names).  *sig_ok says whether it does; a
 * push whose signature does not verify is refused (KT_EREFUSED) unless
 * sig_ok is given.  Returns 0, or an error.
 */
static int check_push(struct kt_sync *s, MDB_txn *txn, const struct kt_msg_push *p,
		      int *sig_ok, struct kt_err *err)
{
	struct kt_change *c = &s->st->w_change; /* the store's scratch: ingest comes after */
	uint8_t hash[KT_HASH_BYTES], in[KT_SIG_INPUT_BYTES];
	char name[KT_META_KEY_NAME_BYTES];
	uint64_t seq;
	MDB_val k, v;
	int rc;

	kt_meta_key_name(name, p->origin);
	k.mv_size = strlen(name);
	k.mv_data = name;
	if (p->withheld_hash != NULL) {
		memcpy(hash, p->withheld_hash, KT_HASH_BYTES);
		seq = p->withheld_last;
	} else {
		const struct kt_bytes *last = &p->changes[p->nchanges - 1];

		if ((rc = kt_change_decode(c, last->p, last->n, err)) != 0)
			return rc;
		kt_hash(hash, last->p, last->n);
		seq = c->seq;
	}
	rc = mdb_get(txn, s->st->meta, &k, &v);
	if (rc == 0 && (v.mv_size != KT_PUBKEY_BYTES ||
			memcmp(v.mv_data, p->key, KT_PUBKEY_BYTES) != 0))
		return kt_err_set(err, KT_EREFUSED, "the key of node %016llx changed: batch refused",
				  (unsigned long long)p->origin);
	if (rc == MDB_NOTFOUND && (rc = kt_meta_put(s->st, txn, name, p->key,
						    KT_PUBKEY_BYTES)) != 0)
		return kt_mdb_err(err, rc, "pin a node's key");
	if (p->branch != NULL && (rc = kt_origin_branch_put(s->st, txn, p->origin, p->branch,
							    p->branch_len, err)) != 0)
		return rc;
	kt_msg_sig_input(in, p->origin, seq, hash);
	if (crypto_sign_verify_detached(p->sig, in, sizeof(in), p->key) == 0) {
		if (sig_ok != NULL)
			*sig_ok = 1;
		return 0;
	}
	if (sig_ok != NULL) {
		*sig_ok = p->withheld_hash == NULL &&
			  kt_store_hole_vouches(s->st, txn, p->origin, seq, hash);
		return 0;
	}
	return kt_err_set(err, KT_EREFUSED, "a push of node %016llx is not signed by it: batch "
			  "refused", (unsigned long long)p->origin);
}

/*
 * Checks and ingests a batch's pushes in txn, in order.  Changes run in one
 * threaded ingest up to each withheld push, which is kept as a hole
 * (store.h).  In a refetch a push that does not check is passed over (its
 * hole stays open, asked for again later) rather than refusing the rest.
 */
static int ingest_pushes(struct kt_sync *s, MDB_txn *txn, const struct kt_msg *m, int refetch,
			 struct kt_err *err)
{
	uint32_t done = 0; /* m->changes before this are ingested, or passed over */
	int rc = 0;

	for (uint32_t i = 0; i < m->npushes; i++) {
		const struct kt_msg_push *p = &m->pushes[i];
		uint32_t at = (uint32_t)(p->changes - m->changes);
		int sig_ok = 0, whole = p->withheld_hash == NULL;

		/*
		 * A withheld push whose hash is unsigned is a hole all the same:
		 * the origin's next change vouches for it (store.h).  A whole
		 * push is taken when it is signed, or (a refetch) when its last
		 * change is the one a vouched-for hole holds the hash of.
		 */
		if ((rc = check_push(s, txn, p, refetch || !whole ? &sig_ok : NULL, err)) != 0)
			return rc;
		if (whole && (sig_ok || !refetch))
			continue; /* signed (else check_push refused it) */
		if (at > done && (rc = kt_store_ingest_batch(s->st, txn, m->changes + done,
							       at - done, err)) != 0)
			return rc;
		done = at + p->nchanges;
		if (!whole) {
			struct kt_hole h = { p->origin, p->withheld_first, p->withheld_last,
					     p->withheld_at };

			if ((rc = kt_store_hole_put(s->st, txn, &h, p->withheld_hash, sig_ok,
						    err)) != 0)
				return rc;
			s->holes_moved = 1; /* asked for once the pull is done, not a period later */
		}
	}
	if (m->nchanges > done)
		rc = kt_store_ingest_batch(s->st, txn, m->changes + done, m->nchanges - done, err);
	if (rc == 0 && s->st->w_filled)
		rc = kt_store_void_retry(s->st, txn, err); /* changes that came before their key */
	return rc;
}

/* The answer to a REFETCH: ingested, the cursor left where it is. */
static int apply_refetch(struct kt_sync *s, const struct kt_msg *m, struct kt_err *err)
{
	long before = kt_store_holes(s->st, 0, NULL, NULL);
	MDB_txn *txn;
	int rc;

	s->refetching = 0;
	if (m->nchanges == 0)
		return 0; /* still withheld, or nothing there */
	if ((rc = kt_store_wbegin(s->st, &txn, err)) != 0)
		return rc;
	if ((rc = ingest_pushes(s, txn, m, 1, err)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = kt_store_wcommit_lazy(s->st, txn, err)) == 0)
		s->holes_moved = kt_store_holes(s->st, 0, NULL, NULL) < before; /* the next, now */
	return rc;
}

/* Applies a pulled batch and moves the cursor, in one transaction. */
static int apply_batch(struct kt_sync *s, const struct kt_msg *m, uint64_t now_ms,
		       struct kt_err *err)
{
	MDB_txn *txn;
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
	if ((rc = kt_store_wbegin(s->st, &txn, err)) != 0)
		return rc;
	rc = ingest_pushes(s, txn, m, 0, err);
	if (rc == 0 && ((rc = kt_meta_put_u64(s->st, txn, "cursor", m->last)) != 0 ||
			(rc = kt_meta_put_u64(s->st, txn, "last_sync", now_ms)) != 0))
		rc = kt_mdb_err(err, rc, "move the cursor");
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = kt_store_wcommit_lazy(s->st, txn, err)) == 0)
		s->cursor = m->last; /* a power cut may undo it: the hub has it again */
	return rc;
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
static void ask_refetch(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out)
{
	struct kt_hole h = { 0, 0, 0, 0 };

	if (!s->ready || s->pulling || s->refetching || s->cursor < s->head ||
	    out->n >= KT_SYNC_OUT_MAX || (s->refetch_ms != 0 && !s->holes_moved &&
					  now_ms - s->refetch_ms < KT_SYNC_REFETCH_MS))
		return;
	/* Looked at now, found or not: the store is read at most once a period, not per message. */
	s->holes_moved = 0;
	s->refetch_ms = now_ms;
	if (kt_store_holes(s->st, 1, first_hole, &h) <= 0)
		return;
	kt_msg_refetch(next(out), h.origin, h.first, h.last);
	s->refetching = 1;
}

/* Keeps what the hub holds and when, for `kt-node status`. */
static int remember_ack(struct kt_sync *s, uint64_t now_ms, struct kt_err *err)
{
	static const char *const names[] = { "acked", "last_sync" };
	uint64_t vals[] = { s->acked, s->acked_ms }; /* last sync: the hub's last ack */
	int rc = kt_meta_save_u64(s->st, names, vals, 2, err);

	if (rc == 0) {
		s->saved_ms = now_ms;
		s->ack_dirty = 0;
	}
	return rc;
}

/*
 * Takes the hub's clock as the chain's: the offset from the store's wall
 * clock (which stamps writes; now_ms only drives timers) moves this node's HLC
 * (kt_store_now) and its drift bound.  Stored when it moves by more than a
 * second, so an offline node keeps the last correction.
 */
static int learn_clock(struct kt_sync *s, int64_t offset, struct kt_err *err)
{
	static const char *const names[] = { "clock_offset" };
	uint64_t vals[] = { (uint64_t)offset };
	int64_t d = offset - s->st->clock_offset;
	int rc;

	if (d > -1000 && d < 1000)
		return 0;
	if ((rc = kt_meta_save_u64(s->st, names, vals, 1, err)) == 0)
		s->st->clock_offset = offset;
	return rc;
}

/*
 * The hub's copy of this node's change at the acked seq must be the one the
 * node holds.  It is not when the node wrote under seqs the hub already held
 * from it: a PC restored from an older backup and written to before its
 * first sync.  Going on would leave two histories under one name, each side
 * refusing the other's; the node stops and says what happened instead.
 */
static int same_history(struct kt_sync *s, const struct kt_msg *m, struct kt_err *err)
{
	uint8_t held[KT_HASH_BYTES];
	MDB_txn *txn;
	int rc;

	if (m->hash == NULL || kt_sync_local_seq(s) < m->b)
		return 0; /* nothing acked, or a node that holds fewer: it pulls the rest back */
	if (kt_store_rdtxn(s->st, &txn, err) != 0)
		return err->code;
	rc = kt_chain_get(s->st, txn, s->st->node_id, m->b, held, NULL);
	mdb_txn_abort(txn);
	if (rc == 0 && memcmp(held, m->hash, KT_HASH_BYTES) == 0)
		return 0;
	return kt_store_fork_err(err, m->b);
}

/* How far the node's last own change is stamped past hub_ms (0: not past it). */
static uint64_t own_ahead(struct kt_sync *s, uint64_t hub_ms)
{
	uint8_t hash[KT_HASH_BYTES], lk[8];
	uint64_t seq, pos, ahead = 0;
	MDB_val k = { 8, lk }, v;
	MDB_txn *txn;

	if (kt_store_rdtxn(s->st, &txn, NULL) != 0)
		return 0;
	kt_store_origin_head(s->st, txn, s->st->node_id, &seq, hash, &pos);
	kt_be64_put(lk, pos);
	if (seq > 0 && mdb_get(txn, s->st->log, &k, &v) == 0 &&
	    kt_change_decode(&s->st->w_change, v.mv_data, v.mv_size, NULL) == 0 &&
	    kt_hlc_ms(s->st->w_change.hlc) > hub_ms && !kt_change_above_base(&s->st->w_change))
		ahead = kt_hlc_ms(s->st->w_change.hlc) - hub_ms;
	mdb_txn_abort(txn);
	return ahead;
}

static int on_msg(struct kt_sync *s, const struct kt_msg *m, uint64_t now_ms,
		  struct kt_sync_out *out, struct kt_err *err)
{
	int rc = 0;

	switch (m->type) {
	case KT_MSG_WELCOME:
		if ((rc = same_history(s, m, err)) != 0) {
			/*
			 * Shown to the hub too: its change at the acked seq, which the
			 * hub refuses as other bytes under a seq it holds, and logs.
			 */
			struct kt_err ignored;

			push_from(s, m->b, 1, out, &ignored);
			return rc;
		}
		s->ready = 1;
		s->acked = m->b;
		s->head = m->c;
		rc = learn_clock(s, (int64_t)(m->a - s->st->clock()), err);
		s->tell_cursor = s->cursor >= s->head; /* caught up: it says so, for the hub's status */
		s->ahead_ms = own_ahead(s, m->a);
		break;
	case KT_MSG_ACK:
		if (m->a == s->st->node_id && m->b >= s->acked)
			s->acked = m->b;
		s->acked_ms = now_ms;
		if (s->acked >= s->pushed)
			s->pushed = 0; /* nothing in flight */
		else
			s->sent_ms = now_ms; /* the next push is now the oldest unanswered */
		if (now_ms - s->saved_ms >= KT_SYNC_ACK_SAVE_MS)
			rc = remember_ack(s, now_ms, err);
		else
			s->ack_dirty = 1; /* saved by a tick within the second, or on release */
		break;
	case KT_MSG_REFUSE:
		if (m->a == KT_REFUSE_RESIGN) {
			/* The hub's copy of a signature is damaged: that change again, signed. */
			if (m->b > 0 && m->b <= kt_sync_local_seq(s) && out->n < KT_SYNC_OUT_MAX)
				rc = push_from(s, m->b, 1, out, err) < 0 ? err->code : 0;
			break;
		}
		s->pushed = 0;
		if (m->a == KT_REFUSE_GAP && m->b > 0) {
			/*
			 * Not a failure: the hub expects the changes from there (a push
			 * lost on the way), or asks for them again (its copy is
			 * damaged); push_more sends them.
			 */
			s->acked = m->b - 1;
			break;
		}
		rc = kt_err_set(err, KT_EREFUSED, "the hub refused: %.*s", (int)m->reason.n,
				(const char *)m->reason.p);
		break;
	case KT_MSG_BATCH:
		if (s->refetching && m->last <= s->cursor) {
			rc = apply_refetch(s, m, err);
			break;
		}
		if (m->c == 0)
			s->pulling = 0; /* the last batch answering the pull */
		else
			s->sent_ms = now_ms; /* the answer is flowing */
		if (m->b > s->head)
			s->head = m->b;
		rc = apply_batch(s, m, now_ms, err);
		/*
		 * A one-shot sync ends once idle and never pulls again: it tells the
		 * hub where the pull left it, so `kt-hub status` is not behind.
		 */
		if (rc == 0 && m->c == 0 && s->one_shot && s->cursor > s->pulled_from &&
		    s->cursor >= s->head)
			s->tell_cursor = 1;
		break;
	case KT_MSG_NOTIFY:
		if (m->a > s->head)
			s->head = m->a;
		break;
	default:
		return kt_err_set(err, KT_EINVAL, "unexpected message of type %d", m->type);
	}
	if (rc == 0 && s->st->void_run.first != 0) {
		/* Told once, for the hub's log; every void change stays in `status`. */
		const struct kt_void_run *v = &s->st->void_run;

		kt_msg_void(next(out), v->origin, v->first, v->last, v->reason);
		s->st->void_run.first = 0;
	}
	if (rc == 0 && (rc = push_more(s, now_ms, out, err)) == 0) {
		ask(s, now_ms, out);
		ask_refetch(s, now_ms, out);
	}
	if (rc == 0 && s->tell_cursor && !s->pulling && out->n < KT_SYNC_OUT_MAX)
		send_pull(s, now_ms, out);
	s->tell_cursor = 0;
	return rc;
}

struct handling {
	struct kt_sync *s;
	const struct kt_msg *m;
	uint64_t now_ms;
	struct kt_sync_out *out;
};

/* One try at a message: its writes happen before anything is sent, so it can run again. */
static int handle_once(void *ctx, struct kt_err *err)
{
	struct handling *h = ctx;

	h->out->n = 0;
	return on_msg(h->s, h->m, h->now_ms, h->out, err);
}

int kt_sync_handle(struct kt_sync *s, const uint8_t *msg, size_t len, uint64_t now_ms,
		   struct kt_sync_out *out, struct kt_err *err)
{
	struct kt_msg *m = kt_malloc(sizeof(*m));
	struct handling h = { s, m, now_ms, out };
	int rc;

	out->n = 0;
	rc = kt_msg_decode(m, msg, len, err);
	if (rc == 0)
		rc = kt_store_retry(s->st, handle_once, &h, err); /* a full map grows */
	kt_msg_release(m);
	free(m);
	return rc;
}

int kt_sync_tick(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out,
		 struct kt_err *err)
{
	out->n = 0;
	if (!s->ready || ((s->pushed || s->pulling) && now_ms - s->sent_ms > KT_SYNC_RESEND_MS)) {
		if (now_ms - s->sent_ms > KT_SYNC_RESEND_MS || s->sent_ms == 0)
			kt_sync_connect(s, now_ms, out); /* start over: hello again */
		return 0;
	}
	if (s->ack_dirty && now_ms - s->saved_ms >= KT_SYNC_ACK_SAVE_MS &&
	    remember_ack(s, now_ms, err) != 0)
		return err->code;
	if (push_more(s, now_ms, out, err) != 0)
		return err->code;
	ask(s, now_ms, out);
	if (s->refetching && now_ms - s->refetch_ms > KT_SYNC_RESEND_MS)
		s->refetching = 0; /* unanswered: asked again later */
	ask_refetch(s, now_ms, out);
	if (out->n == 0 && !s->pulling && !s->pushed && now_ms - s->sent_ms > KT_SYNC_HEARTBEAT_MS) {
		/*
		 * A heartbeat: an idle node asks anyway, so a hub that restarted
		 * (and forgot who listens for its notices) hears from it, and a
		 * notice lost on the way costs at most this long.
		 */
		send_pull(s, now_ms, out);
	}
	return 0;
}
