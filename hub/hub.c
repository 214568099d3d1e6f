/*
 * hub.c - the hub's sync state machine (see hub.h and proto/PROTOCOL.md,
 * "Sync"): enrolling members, the chain's check value, and kt_hub_handle,
 * which hands each message kind to its one handler (HELLO and VOID here,
 * PUSH in hub_push.c, PULL and REFETCH in hub_serve.c).
 */
#include "hub_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

/* A revoked key enrolled again is let back in, under its origin and branch. */
static int enroll_again(struct kt_hub *h, MDB_txn *txn, const uint8_t *key, struct kt_err *err)
{
	struct kt_member m;
	int rc;

	if (kt_member_get(&h->st, txn, key, &m) != 0 || !kt_member_fits(&m) || !m.revoked) {
		mdb_txn_abort(txn);
		return kt_err_set(err, KT_EEXIST, "this key is already enrolled");
	}
	m.revoked = 0;
	if ((rc = kt_member_put(&h->st, txn, key, &m, 0)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "enroll again");
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "enroll again");
	return 0;
}

int kt_hub_enroll(struct kt_hub *h, const char *branch, const uint8_t key[KT_PUBKEY_BYTES],
		  struct kt_err *err)
{
	size_t n = strlen(branch);
	struct kt_member m = { 0, 0, 0, branch, n };
	MDB_txn *txn;
	int rc;

	if (n == 0 || n > KT_BRANCH_BYTES_MAX)
		return kt_err_set(err, KT_EINVAL, "bad branch name '%s'", branch);
	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	rc = kt_member_put(&h->st, txn, key, &m, 1);
	if (rc == MDB_KEYEXIST)
		return enroll_again(h, txn, key, err);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "enroll");
	}
	if ((rc = kt_txn_commit(txn)) != 0) /* a failed commit frees the transaction */
		return kt_mdb_err(err, rc, "enroll");
	return 0;
}

int kt_hub_admits(struct kt_hub *h, const uint8_t key[KT_PUBKEY_BYTES])
{
	MDB_txn *txn;
	uint64_t origin;
	int revoked, ok;

	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return 0;
	ok = hub_member(h, txn, key, &origin, &revoked) == 0 && !revoked;
	mdb_txn_abort(txn);
	return ok;
}

/*
 * The chain's check value is kept twice (meta "chain_check" and
 * "chain_check.2"), each copy followed by 16 bytes of BLAKE2b of it, so one
 * flipped byte in either is told and the other copy stands: a damaged
 * value would otherwise refuse every branch of the chain at hello.
 */
#define CHECK_REC_BYTES (2 * KT_CHAIN_CHECK_BYTES)
static const char *const check_names[2] = { KT_HUB_META_CHAIN_CHECK, KT_HUB_META_CHAIN_CHECK ".2" };

static void check_rec(uint8_t rec[CHECK_REC_BYTES], const uint8_t check[KT_CHAIN_CHECK_BYTES])
{
	memcpy(rec, check, KT_CHAIN_CHECK_BYTES);
	crypto_generichash(rec + KT_CHAIN_CHECK_BYTES, KT_CHAIN_CHECK_BYTES, check,
			   KT_CHAIN_CHECK_BYTES, NULL, 0);
}

/* 1 with a whole copy in out, 0 when none is held, -1 when every copy held is damaged. */
static int check_read(struct kt_hub *h, MDB_txn *txn, uint8_t out[KT_CHAIN_CHECK_BYTES])
{
	int held = 0;

	for (int i = 0; i < 2; i++) {
		uint8_t want[CHECK_REC_BYTES];
		struct kt_bytes v;

		if (kt_meta_get(&h->st, txn, check_names[i], &v) != 0)
			continue;
		held = 1;
		if (v.n == KT_CHAIN_CHECK_BYTES && i == 0) { /* kept before it had a sum */
			memcpy(out, v.p, KT_CHAIN_CHECK_BYTES);
			return 1;
		}
		if (v.n != CHECK_REC_BYTES)
			continue;
		check_rec(want, v.p);
		if (memcmp(want, v.p, CHECK_REC_BYTES) == 0) {
			memcpy(out, v.p, KT_CHAIN_CHECK_BYTES);
			return 1;
		}
	}
	return held ? -1 : 0;
}

static int check_write(struct kt_hub *h, MDB_txn *txn, const uint8_t check[KT_CHAIN_CHECK_BYTES])
{
	uint8_t rec[CHECK_REC_BYTES];
	int rc = 0;

	check_rec(rec, check);
	for (int i = 0; i < 2 && rc == 0; i++)
		rc = kt_meta_put(&h->st, txn, check_names[i], rec, sizeof(rec));
	return rc;
}

int kt_hub_chain_check(struct kt_hub *h, uint8_t out[KT_CHAIN_CHECK_BYTES])
{
	MDB_txn *txn;
	int rc;

	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return -1;
	rc = check_read(h, txn, out);
	mdb_txn_abort(txn);
	return rc;
}

int kt_hub_chain_check_mend(struct kt_hub *h, struct kt_err *err)
{
	uint8_t check[KT_CHAIN_CHECK_BYTES], rec[CHECK_REC_BYTES];
	MDB_txn *txn;
	int rc, mended = 0;

	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	if (check_read(h, txn, check) != 1) {
		mdb_txn_abort(txn);
		return 0; /* none (not founded), or no whole copy: verify says so */
	}
	check_rec(rec, check);
	for (int i = 0; i < 2; i++) {
		struct kt_bytes v;

		if (kt_meta_get(&h->st, txn, check_names[i], &v) != 0 || v.n != sizeof(rec) ||
		    memcmp(v.p, rec, sizeof(rec)) != 0)
			mended++;
	}
	if (mended == 0) {
		mdb_txn_abort(txn);
		return 0;
	}
	if ((rc = check_write(h, txn, check)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "mend the chain's check value");
	}
	if ((rc = kt_txn_commit(txn)) != 0) /* a failed commit frees the transaction */
		return kt_mdb_err(err, rc, "mend the chain's check value");
	return mended;
}

/* hub_ask_resign in a read transaction of its own. */
static void ask_resign_now(struct kt_hub *h, uint64_t origin, struct kt_hub_out *out)
{
	MDB_txn *txn;

	if (out->n + 1 >= KT_HUB_OUT_MAX || kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return;
	hub_ask_resign(h, txn, origin, out);
	mdb_txn_abort(txn);
}

/*
 * The chain key a hello's node holds must be the chain's: the first hello
 * with a check value founds it (kept in meta), and a node that holds
 * another (joined without an invite, or with one made outside the chain)
 * is refused before it can push a change nobody else could open.
 */
static int same_chain(struct kt_hub *h, MDB_txn *txn, const uint8_t *check,
		      struct kt_hub_out *out, struct kt_err *err)
{
	uint8_t held[KT_CHAIN_CHECK_BYTES];
	int rc = check_read(h, txn, held);

	if (rc == 0) {
		if ((rc = check_write(h, txn, check)) != 0)
			return kt_mdb_err(err, rc, "found the chain");
		return 0;
	}
	if (rc < 0) {
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_DAMAGED, 0, "the hub's store is "
			      "damaged (its chain check value): the chain's IT person runs kt-hub "
			      "verify");
		return kt_err_set(err, KT_ECORRUPT, "both copies of the chain's check value are "
				  "damaged: restore the hub from a backup");
	}
	if (memcmp(held, check, KT_CHAIN_CHECK_BYTES) == 0)
		return 0;
	kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_CHAIN_KEY, 0,
		      "this node holds another chain key than the chain's: join again with an "
		      "invite from a branch of the chain (kt-node invite, kt-node join --invite)");
	return kt_err_set(err, KT_EREFUSED, "refused: the node holds another chain key than the "
			  "chain's (it joined without an invite, or with one made outside the chain)");
}

/* A hello's protocol version and fields: 0, or an error with a REFUSE queued. */
static int hello_valid(const uint8_t *key, const struct kt_msg *m, struct kt_hub_out *out,
		       struct kt_err *err)
{
	if (m->a < KT_PROTO_VERSION || m->check == NULL) {
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_VERSION, 0, "this node's kt-node is "
			      "older than the hub: update it to the chain's version");
		return kt_err_set(err, KT_EREFUSED, "refused: the node speaks protocol version "
				  "%llu, older than %d", (unsigned long long)m->a, KT_PROTO_VERSION);
	}
	if (m->a != KT_PROTO_VERSION || memcmp(m->key, key, KT_PUBKEY_BYTES) != 0 || m->b == 0) {
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_BAD, 0, "bad hello");
		return kt_err_set(err, KT_EINVAL, "bad hello");
	}
	return 0;
}

/*
 * In txn: binds key to origin m->b on first sight and notes the contact,
 * pins origin -> key for the pushes a pull serves, and reads what the hub
 * holds of the origin (a damaged change: it sends it again, from there).
 */
static int hello_record(struct kt_hub *h, MDB_txn *txn, const uint8_t *key,
			const struct kt_msg *m, struct kt_member *mb, uint64_t now,
			uint64_t *acked, uint8_t hash[KT_HASH_BYTES], struct kt_err *err)
{
	char okey[KT_META_KEY_NAME_BYTES];
	uint64_t pos, bad;
	int rc;

	kt_meta_key_name(okey, m->b);
	if ((rc = kt_meta_put(&h->st, txn, okey, key, KT_PUBKEY_BYTES)) != 0)
		return kt_mdb_err(err, rc, "record a node's key");
	mb->origin = m->b;
	mb->contact_ms = now;
	if ((rc = kt_member_put(&h->st, txn, key, mb, 0)) != 0 ||
	    (rc = kt_store_origin_head(&h->st, txn, m->b, acked, hash, &pos)) != 0)
		return kt_mdb_err(err, rc, "record a hello");
	bad = kt_hub_damaged(h, txn, m->b);
	if (bad != 0 && bad <= *acked) {
		*acked = bad - 1;
		if (*acked > 0 && kt_chain_get(&h->st, txn, m->b, *acked, hash, NULL) != 0)
			*acked = 0;
	}
	return 0;
}

/* HELLO: one write transaction (the binding, the contact, the chain founded). */
static int on_hello(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		    struct kt_hub_out *out, struct kt_err *err)
{
	uint8_t hash[KT_HASH_BYTES];
	struct kt_member mb;
	uint64_t acked = 0, head;
	MDB_txn *txn;
	int rc, was_bound;

	if ((rc = hello_valid(key, m, out, err)) != 0)
		return rc;
	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	if (kt_member_get(&h->st, txn, key, &mb) != 0 || !kt_member_fits(&mb) || mb.revoked ||
	    (mb.origin != 0 && mb.origin != m->b)) {
		mdb_txn_abort(txn);
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_UNKNOWN, 0, "not enrolled for this node");
		return kt_err_set(err, KT_EREFUSED, "hello from a key not enrolled for origin "
				  "%016llx", (unsigned long long)m->b);
	}
	was_bound = mb.origin == m->b;
	if ((rc = same_chain(h, txn, m->check, out, err)) != 0 ||
	    (rc = hello_record(h, txn, key, m, &mb, now, &acked, hash, err)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	head = kt_log_last(&h->st, txn);
	if ((rc = kt_txn_commit(txn)) != 0 && /* a failed commit frees the transaction */
	    (kt_mdb_err(err, rc, "record a hello") != KT_ENOSPC || !was_bound))
		return err->code;
	/*
	 * On a full disk a node already bound to its key is still welcomed (its
	 * contact time waits): it pulls, and its push is told the disk is full.
	 */
	kt_msg_welcome(hub_out_next(out, 0), now, acked, head, hash);
	ask_resign_now(h, m->b, out); /* a damaged signature: signed again at once */
	return 0;
}

/*
 * VOID: a node kept changes without effect (their seal does not open, their
 * client's key is not held, or they name a record under another type or
 * owner): the hub cannot open a seal, so it hears of it from the node and
 * puts it in its log by branch, origin and seqs.  Writes nothing.
 */
static int on_void(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		   struct kt_hub_out *out, struct kt_err *err)
{
	static const char *const why[] = { "", "their seal does not open",
					   "their client's data key does not open",
					   "they name a record under another client or type" };
	char by[KT_BRANCH_BYTES_MAX + 1], of[KT_BRANCH_BYTES_MAX + 1];
	uint64_t origin = hub_bound_origin(h, key, out);

	(void)now;
	if (origin == 0)
		return kt_err_set(err, KT_EREFUSED, "void report from a key that did not say hello");
	hub_seen_origin(h, origin);
	kt_hub_branch_of(h, key, by, sizeof(by), NULL);
	kt_hub_origin_branch(h, m->a, of, sizeof(of));
	snprintf(out->note, sizeof(out->note), "void changes: branch %s keeps changes %llu-%llu "
		 "of branch %s (origin %016llx) without effect: %s", by,
		 (unsigned long long)m->b, (unsigned long long)m->last, of,
		 (unsigned long long)m->a, why[m->c]);
	return 0;
}

/*
 * A node the hub holds a damaged change of is asked to send it again as
 * soon as it speaks (a daemon pulls every 2 s): a REFUSE gap naming that
 * seq, which makes it push from there, and the push puts it back.
 */
static void ask_resend(struct kt_hub *h, const uint8_t *key, struct kt_hub_out *out)
{
	uint64_t origin = 0, bad = 0;
	MDB_txn *txn;
	int revoked = 1;

	if (out->n >= KT_HUB_OUT_MAX || kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return;
	if (hub_member(h, txn, key, &origin, &revoked) == 0 && !revoked && origin != 0) {
		bad = kt_hub_damaged(h, txn, origin);
		/* A signature first: the node answers it at once, and a gap ends its turn. */
		if (out->n + 1 < KT_HUB_OUT_MAX)
			hub_ask_resign(h, txn, origin, out);
	}
	mdb_txn_abort(txn);
	if (origin == 0 || revoked)
		return;
	if (bad != 0 && out->n < KT_HUB_OUT_MAX)
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_GAP, bad, "the hub's copy of this "
			      "change is damaged: send it again");
}

/* PULL: the batches, then what the node is asked to send or sign again. */
static int on_pull(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		   struct kt_hub_out *out, struct kt_err *err)
{
	int rc = hub_on_pull(h, key, m, now, out, err);

	if (rc == 0)
		ask_resend(h, key, out);
	return rc;
}

static int on_other(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		    struct kt_hub_out *out, struct kt_err *err)
{
	(void)h;
	(void)key;
	(void)now;
	kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_BAD, 0, "not a message for the hub");
	return kt_err_set(err, KT_EINVAL, "message of type %d is not for the hub", m->type);
}

/* One handler per message kind the hub hears; every other kind is on_other's. */
typedef int (*handler_fn)(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m,
			  uint64_t now, struct kt_hub_out *out, struct kt_err *err);
static const handler_fn handlers[KT_MSG_REFETCH + 1] = {
	[KT_MSG_HELLO] = on_hello,
	[KT_MSG_PUSH] = hub_on_push,
	[KT_MSG_PULL] = on_pull,
	[KT_MSG_VOID] = on_void,
	[KT_MSG_REFETCH] = hub_on_refetch,
};

struct handling {
	struct kt_hub *h;
	const uint8_t *key;
	const struct kt_msg *m;
	uint64_t now_ms;
	struct kt_hub_out *out;
};

/*
 * One try at a decoded message.  A try whose transaction met a full map
 * wrote nothing and what it queued is dropped, so it runs again whole.
 */
static int dispatch(void *ctx, struct kt_err *err)
{
	struct handling *d = ctx;
	handler_fn fn = d->m->type < sizeof(handlers) / sizeof(handlers[0]) ? handlers[d->m->type]
									     : NULL;

	d->out->n = 0;
	d->out->note[0] = '\0';
	return (fn != NULL ? fn : on_other)(d->h, d->key, d->m, d->now_ms, d->out, err);
}

int kt_hub_handle(struct kt_hub *h, const uint8_t key[KT_PUBKEY_BYTES], const uint8_t *msg,
		  size_t len, uint64_t now_ms, struct kt_hub_out *out, struct kt_err *err)
{
	struct kt_msg *m = &h->w->msg;
	struct handling hd = { h, key, m, now_ms, out };
	int rc = kt_msg_decode(m, msg, len, err);

	out->n = 0;
	out->note[0] = '\0';
	h->inv.origin = 0;
	h->inv.applied = 0;
	h->inv.batch_pushes = h->inv.batch_changes = h->inv.push_changes = 0;
	if (rc != 0)
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_BAD, 0, "malformed message");
	else
		rc = kt_store_retry(&h->st, dispatch, &hd, err); /* a full map grows */
	kt_msg_release(m);
	h->inv.out_n = out->n;
	hub_check(h);
	return rc;
}
