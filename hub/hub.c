/*
 * hub.c - the hub's store and its sync state machine (see hub.h and
 * proto/PROTOCOL.md, "Sync").
 */
#include "hub.h"
#include "store_int.h"
#include "hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

void kt_hub_out_init(struct kt_hub_out *o)
{
	o->n = 0;
	for (int i = 0; i < KT_HUB_OUT_MAX; i++)
		msgpack_sbuffer_init(&o->m[i].msg);
}

void kt_hub_out_release(struct kt_hub_out *o)
{
	for (int i = 0; i < KT_HUB_OUT_MAX; i++)
		msgpack_sbuffer_destroy(&o->m[i].msg);
	o->n = 0;
}

static msgpack_sbuffer *out_next(struct kt_hub_out *o, int to_all)
{
	kt_assert(o->n < KT_HUB_OUT_MAX);
	o->m[o->n].to_all = to_all;
	return &o->m[o->n++].msg;
}

/* meta "damaged:<origin>": the lowest seq of the origin the hub found damaged. */
static void damaged_name(char out[32], uint64_t origin)
{
	snprintf(out, 32, "damaged:%016llx", (unsigned long long)origin);
}

/*
 * meta "resign:<origin>:<seq>" (16 hex each; empty value): a push of origin
 * ending at seq whose stored signature is damaged, its changes whole.
 */
#define RESIGN_NAME_BYTES 40
static void resign_name(char out[48], uint64_t origin, uint64_t seq)
{
	snprintf(out, 48, "resign:%016llx:%016llx", (unsigned long long)origin,
		 (unsigned long long)seq);
}

/* What push_intact says of a push whose changes are whole and whose signature is not. */
static const char sig_damaged[] = "the push's signature does not verify";

int kt_hub_init(const char *dir, const char *listen, struct kt_err *err)
{
	return kt_store_init_hub(dir, listen, err);
}

int kt_hub_open(struct kt_hub *h, const char *dir, struct kt_err *err)
{
	MDB_txn *txn;
	uint64_t merged;
	int rc;

	h->scratch_map = 0;
	if ((rc = kt_store_open_as(&h->st, dir, 1, err)) != 0)
		return rc;
	if ((rc = kt_store_rdtxn(&h->st, &txn, err)) != 0)
		goto fail;
	rc = mdb_get(txn, h->st.meta, &(MDB_val){ strlen(KT_HUB_META_MERGED), KT_HUB_META_MERGED },
		     &(MDB_val){ 0, NULL });
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND) {
		/* A hub made before the merge ran behind ingest merged as it stored. */
		static const char *const names[] = { KT_HUB_META_MERGED };

		merged = kt_hub_head(h);
		rc = kt_meta_save_u64(&h->st, names, &merged, 1, err);
	} else if (rc != 0) {
		rc = kt_mdb_err(err, rc, "read the merge position");
	}
	if (rc == 0)
		return 0;
fail:
	kt_store_close(&h->st);
	return rc;
}

void kt_hub_close(struct kt_hub *h)
{
	kt_store_close(&h->st);
}

uint64_t kt_hub_head(struct kt_hub *h)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t head = 0;

	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return 0;
	if (mdb_cursor_open(txn, h->st.log, &cur) == 0) {
		if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
			head = kt_be64_get(k.mv_data);
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return head;
}

/* A member's record: origin[8] revoked[1] last_contact[8] branch... */
#define MEMBER_FIXED 17

int kt_hub_enroll(struct kt_hub *h, const char *branch, const uint8_t key[KT_PUBKEY_BYTES],
		  struct kt_err *err)
{
	uint8_t rec[MEMBER_FIXED + KT_BRANCH_BYTES_MAX];
	size_t n = strlen(branch);
	MDB_val k = { KT_PUBKEY_BYTES, (void *)key }, v = { MEMBER_FIXED + n, rec };
	MDB_txn *txn;
	int rc;

	if (n == 0 || n > KT_BRANCH_BYTES_MAX)
		return kt_err_set(err, KT_EINVAL, "bad branch name '%s'", branch);
	memset(rec, 0, MEMBER_FIXED);
	memcpy(rec + MEMBER_FIXED, branch, n);
	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	rc = mdb_put(txn, h->st.members, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		MDB_val cur;
		uint8_t back[MEMBER_FIXED + KT_BRANCH_BYTES_MAX];

		/* A revoked key enrolled again is let back in, under its origin and branch. */
		if (mdb_get(txn, h->st.members, &k, &cur) == 0 && cur.mv_size >= MEMBER_FIXED &&
		    cur.mv_size <= sizeof(back) && ((uint8_t *)cur.mv_data)[8]) {
			memcpy(back, cur.mv_data, cur.mv_size);
			back[8] = 0;
			cur.mv_data = back;
			if ((rc = mdb_put(txn, h->st.members, &k, &cur, 0)) != 0) {
				mdb_txn_abort(txn);
				return kt_mdb_err(err, rc, "enroll again");
			}
			if ((rc = kt_txn_commit(txn)) != 0)
				return kt_mdb_err(err, rc, "enroll again");
			return 0;
		}
		mdb_txn_abort(txn);
		return kt_err_set(err, KT_EEXIST, "this key is already enrolled");
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "enroll");
	}
	if ((rc = kt_txn_commit(txn)) != 0) /* a failed commit frees the transaction */
		return kt_mdb_err(err, rc, "enroll");
	return 0;
}

/* Reads a member: 0 with origin and revoked, or -1 when the key is unknown. */
static int member(struct kt_hub *h, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES],
		  uint64_t *origin, int *revoked)
{
	MDB_val k = { KT_PUBKEY_BYTES, (void *)key }, v;

	if (mdb_get(txn, h->st.members, &k, &v) != 0 || v.mv_size < MEMBER_FIXED)
		return -1;
	*origin = kt_be64_get(v.mv_data);
	*revoked = ((uint8_t *)v.mv_data)[8];
	return 0;
}

int kt_hub_admits(struct kt_hub *h, const uint8_t key[KT_PUBKEY_BYTES])
{
	MDB_txn *txn;
	uint64_t origin;
	int revoked, ok;

	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return 0;
	ok = member(h, txn, key, &origin, &revoked) == 0 && !revoked;
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
		MDB_val k = { strlen(check_names[i]), (void *)check_names[i] }, v;
		uint8_t want[CHECK_REC_BYTES];

		if (mdb_get(txn, h->st.meta, &k, &v) != 0)
			continue;
		held = 1;
		if (v.mv_size == KT_CHAIN_CHECK_BYTES && i == 0) { /* kept before it had a sum */
			memcpy(out, v.mv_data, KT_CHAIN_CHECK_BYTES);
			return 1;
		}
		if (v.mv_size != CHECK_REC_BYTES)
			continue;
		check_rec(want, v.mv_data);
		if (memcmp(want, v.mv_data, CHECK_REC_BYTES) == 0) {
			memcpy(out, v.mv_data, KT_CHAIN_CHECK_BYTES);
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
		MDB_val k = { strlen(check_names[i]), (void *)check_names[i] }, v;

		if (mdb_get(txn, h->st.meta, &k, &v) != 0 || v.mv_size != sizeof(rec) ||
		    memcmp(v.mv_data, rec, sizeof(rec)) != 0)
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

void kt_hub_branch_of(struct kt_hub *h, const uint8_t key[KT_PUBKEY_BYTES], char *out,
		      size_t cap, int *revoked)
{
	MDB_val k = { KT_PUBKEY_BYTES, (void *)key }, v;
	MDB_txn *txn;

	out[0] = '\0';
	if (revoked != NULL)
		*revoked = 0;
	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return;
	if (mdb_get(txn, h->st.members, &k, &v) == 0 && v.mv_size >= MEMBER_FIXED &&
	    v.mv_size - MEMBER_FIXED < cap) {
		memcpy(out, (uint8_t *)v.mv_data + MEMBER_FIXED, v.mv_size - MEMBER_FIXED);
		out[v.mv_size - MEMBER_FIXED] = '\0';
		if (revoked != NULL)
			*revoked = ((uint8_t *)v.mv_data)[8];
	}
	mdb_txn_abort(txn);
}

/*
 * REFUSE 10 to origin for each push of it whose signature the hub holds
 * damaged, lowest first, as many as out has room for but one.
 */
static void ask_resign(struct kt_hub *h, uint64_t origin, struct kt_hub_out *out)
{
	char name[48];
	MDB_val k, v;
	MDB_cursor *cur;
	MDB_txn *txn;
	uint64_t seqs[KT_HUB_OUT_MAX];
	uint32_t n = 0;
	int rc;

	if (out->n + 1 >= KT_HUB_OUT_MAX || kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return;
	resign_name(name, origin, 0);
	k = (MDB_val){ RESIGN_NAME_BYTES - 16, name };
	if (mdb_cursor_open(txn, h->st.meta, &cur) == 0) {
		/* Bounded by the room in out. */
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		     rc == 0 && out->n + n + 1 < KT_HUB_OUT_MAX && k.mv_size == RESIGN_NAME_BYTES &&
		     memcmp(k.mv_data, name, RESIGN_NAME_BYTES - 16) == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			char q[17];

			memcpy(q, (char *)k.mv_data + RESIGN_NAME_BYTES - 16, 16);
			q[16] = '\0';
			seqs[n++] = strtoull(q, NULL, 16);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	for (uint32_t i = 0; i < n; i++)
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_RESIGN, seqs[i], "the hub's copy of the "
			      "signature of this change is damaged: sign it again");
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
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_DAMAGED, 0, "the hub's store is damaged "
			      "(its chain check value): the chain's IT person runs kt-hub verify");
		return kt_err_set(err, KT_ECORRUPT, "both copies of the chain's check value are "
				  "damaged: restore the hub from a backup");
	}
	if (memcmp(held, check, KT_CHAIN_CHECK_BYTES) == 0)
		return 0;
	kt_msg_refuse(out_next(out, 0), KT_REFUSE_CHAIN_KEY, 0,
		      "this node holds another chain key than the chain's: join again with an "
		      "invite from a branch of the chain (kt-node invite, kt-node join --invite)");
	return kt_err_set(err, KT_EREFUSED, "refused: the node holds another chain key than the "
			  "chain's (it joined without an invite, or with one made outside the chain)");
}

static int hello(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		 struct kt_hub_out *out, struct kt_err *err)
{
	MDB_val k = { KT_PUBKEY_BYTES, (void *)key }, v;
	uint8_t rec[MEMBER_FIXED + KT_BRANCH_BYTES_MAX], hash[KT_HASH_BYTES];
	char okey[KT_META_KEY_NAME_BYTES];
	uint64_t acked = 0, pos;
	MDB_txn *txn;
	int rc, was_bound;

	if (m->a < KT_PROTO_VERSION || m->check == NULL) {
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_VERSION, 0, "this node's kt-node is older "
			      "than the hub: update it to the chain's version");
		return kt_err_set(err, KT_EREFUSED, "refused: the node speaks protocol version "
				  "%llu, older than %d", (unsigned long long)m->a, KT_PROTO_VERSION);
	}
	if (m->a != KT_PROTO_VERSION || memcmp(m->key, key, KT_PUBKEY_BYTES) != 0 || m->b == 0) {
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_BAD, 0, "bad hello");
		return kt_err_set(err, KT_EINVAL, "bad hello");
	}
	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	rc = mdb_get(txn, h->st.members, &k, &v);
	if (rc != 0 || v.mv_size < MEMBER_FIXED || v.mv_size > sizeof(rec) ||
	    ((uint8_t *)v.mv_data)[8] != 0 ||
	    (kt_be64_get(v.mv_data) != 0 && kt_be64_get(v.mv_data) != m->b)) {
		mdb_txn_abort(txn);
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_UNKNOWN, 0, "not enrolled for this node");
		return kt_err_set(err, KT_EREFUSED, "hello from a key not enrolled for origin "
				  "%016llx", (unsigned long long)m->b);
	}
	memcpy(rec, v.mv_data, v.mv_size);
	if ((rc = same_chain(h, txn, m->check, out, err)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	kt_meta_key_name(okey, m->b); /* origin -> key, for the pushes a pull serves */
	if ((rc = kt_meta_put(&h->st, txn, okey, key, KT_PUBKEY_BYTES)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "record a node's key");
	}
	was_bound = kt_be64_get(rec) == m->b;
	kt_be64_put(rec, m->b);               /* bind the key to its node on first sight */
	kt_be64_put(rec + 9, now);            /* last contact */
	v.mv_data = rec;
	if ((rc = mdb_put(txn, h->st.members, &k, &v, 0)) != 0 ||
	    (rc = kt_store_origin_head(&h->st, txn, m->b, &acked, hash, &pos)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "record a hello");
	}
	{
		/* A damaged change of this node: it sends it again, from there. */
		uint64_t bad = kt_hub_damaged(h, txn, m->b);

		if (bad != 0 && bad <= acked) {
			acked = bad - 1;
			if (acked > 0 && kt_chain_get(&h->st, txn, m->b, acked, hash, NULL) != 0)
				acked = 0;
		}
	}
	if ((rc = kt_txn_commit(txn)) != 0 && /* a failed commit frees the transaction */
	    (kt_mdb_err(err, rc, "record a hello") != KT_ENOSPC || !was_bound))
		return err->code;
	/*
	 * On a full disk a node already bound to its key is still welcomed (its
	 * contact time waits): it pulls, and its push is told the disk is full.
	 */
	kt_msg_welcome(out_next(out, 0), now, acked, kt_hub_head(h), hash);
	ask_resign(h, m->b, out); /* a damaged signature: signed again at once */
	return 0;
}

/* The origin bound to key, or 0 (with a REFUSE queued) when it may not push. */
static uint64_t bound_origin(struct kt_hub *h, const uint8_t *key, struct kt_hub_out *out)
{
	MDB_txn *txn;
	uint64_t origin = 0;
	int revoked = 1;

	if (kt_store_rdtxn(&h->st, &txn, NULL) == 0) {
		if (member(h, txn, key, &origin, &revoked) != 0 || revoked)
			origin = 0;
		mdb_txn_abort(txn);
	}
	if (origin == 0)
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_UNKNOWN, 0, "say hello first");
	return origin;
}

/* Checks the push's signature over its last change with the node's key. */
static int push_signed(const struct kt_msg_push *p, const uint8_t *key)
{
	uint8_t hash[KT_HASH_BYTES], in[KT_SIG_INPUT_BYTES];
	const struct kt_bytes *last = &p->changes[p->nchanges - 1];

	kt_hash(hash, last->p, last->n);
	kt_msg_sig_input(in, p->origin, p->first_seq + p->nchanges - 1, hash);
	return crypto_sign_verify_detached(p->sig, in, sizeof(in), key) == 0;
}

/* meta "pulled:<node id>": the hub seq a node had applied at its last pull. */
static void pulled_name(char out[32], uint64_t origin)
{
	snprintf(out, 32, "pulled:%016llx", (unsigned long long)origin);
}

/* Stores the not-yet-held changes of a verified push and its signature, durably. */
struct ahead {
	uint64_t n, most; /* changes stamped past the bound, and the farthest, in ms */
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

static int store_push(struct kt_hub *h, const struct kt_msg_push *p, uint32_t skip,
		      uint64_t now, struct ahead *ahead, struct kt_err *err)
{
	uint8_t k[8], rec[16 + KT_SIG_BYTES];
	MDB_val key = { 8, k }, v = { sizeof(rec), rec };
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
	{
		/* A node caught up before its push is caught up after it (status). */
		char name[32];
		uint64_t pulled = 0;

		pulled_name(name, p->origin);
		if (kt_meta_u64(&h->st, txn, name, &pulled) == 0 && pulled + 1 == first &&
		    (rc = kt_meta_put_u64(&h->st, txn, name, h->st.w_logpos)) != 0) {
			mdb_txn_abort(txn);
			return kt_mdb_err(err, rc, "record a push");
		}
	}
	if (ahead->n > 0) { /* counted for `kt-hub status`, with the push */
		uint64_t had = kt_hub_origin_u64(h, txn, "ahead", p->origin);
		char name[32];

		snprintf(name, sizeof(name), "ahead:%016llx", (unsigned long long)p->origin);
		if ((rc = kt_meta_put_u64(&h->st, txn, name, had + ahead->n)) != 0) {
			mdb_txn_abort(txn);
			return kt_mdb_err(err, rc, "record a push");
		}
	}
	kt_be64_put(k, h->st.w_logpos);
	kt_be64_put(rec, p->origin);
	kt_be64_put(rec + 8, first);
	memcpy(rec + 16, p->sig, KT_SIG_BYTES);
	if ((rc = mdb_put(txn, h->st.pushes, &key, &v, MDB_APPEND)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "record a push");
	}
	return kt_store_wcommit(&h->st, txn, err);
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
		kt_hash(hash, p->changes[i].p, p->changes[i].n);
		if (kt_chain_get(&h->st, txn, p->origin, seq, held, NULL) == 0 &&
		    memcmp(held, hash, KT_HASH_BYTES) != 0) {
			kt_msg_refuse(out_next(out, 0), KT_REFUSE_CHAIN, seq, "the hub holds another "
				      "change under this seq: this node's history forked");
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


/*
 * The origin of a damaged change sent it again (its hello was answered
 * with the seq before the damage): a signed push, which the hub checked,
 * whose first change from the damaged seq follows the hash the hub holds
 * before it.  Its bytes and hashes go back in place of the damaged ones,
 * at the log positions the hub's pushes give them, in one transaction;
 * the stored signatures verify again, and the mark is cleared.
 */
static int empty_state(struct kt_hub *h, MDB_txn *txn);
static int mend_one(struct kt_hub *h, uint64_t from);

/* Whether the log's bytes at pos are b, or a copy of b damaged in a few bytes. */
static int holds_copy(struct kt_hub *h, MDB_txn *txn, uint64_t pos, const struct kt_bytes *b)
{
	uint8_t lk[8];
	MDB_val v;
	uint32_t differ = 0;

	kt_be64_put(lk, pos);
	if (pos == 0 || mdb_get(txn, h->st.log, &(MDB_val){ 8, lk }, &v) != 0 || v.mv_size != b->n)
		return 0;
	for (uint32_t i = 0; i < b->n && differ <= 8; i++)
		differ += ((const uint8_t *)v.mv_data)[i] != b->p[i];
	return differ <= 8; /* another change differs in its ids, clock and nonce */
}

/*
 * The log position of origin's change seq, whose true bytes b its origin
 * sent again: the chain's, when the log holds b there (or a copy damaged in
 * a few bytes); else the one after the change before (after), or before the
 * change after, found the same way.  0: none.
 */
static uint64_t copy_at(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t seq,
			const struct kt_bytes *b, uint64_t after)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t pos = 0, next = 0;

	if (kt_chain_get(&h->st, txn, origin, seq, hash, &pos) == 0 && holds_copy(h, txn, pos, b))
		return pos;
	pos = 0;
	if (after != 0 && holds_copy(h, txn, after + 1, b))
		return after + 1;
	if (kt_chain_get(&h->st, txn, origin, seq + 1, hash, &next) == 0 && next > 1 &&
	    holds_copy(h, txn, next - 1, b))
		return next - 1;
	{
		/* The chain cannot place it: the pushes of origin are searched (a rare repair). */
		MDB_cursor *cur;
		MDB_val k, v;
		int rc;

		if (mdb_cursor_open(txn, h->st.pushes, &cur) != 0)
			return 0;
		/* Bounded by the pushes the hub holds, and each by KT_PUSH_CHANGES_MAX. */
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && pos == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			uint64_t last = k.mv_size == 8 ? kt_be64_get(k.mv_data) : 0, first;

			if (v.mv_size != 16 + KT_SIG_BYTES || kt_be64_get(v.mv_data) != origin)
				continue;
			first = kt_be64_get((uint8_t *)v.mv_data + 8);
			if (first == 0 || first > last || last - first >= KT_PUSH_CHANGES_MAX)
				first = last; /* its own first seq is damaged: its last at least */
			for (uint64_t at = first; at <= last && pos == 0; at++)
				if (holds_copy(h, txn, at, b))
					pos = at;
		}
		mdb_cursor_close(cur);
		return pos;
	}
}

static int read_push(struct kt_hub *h, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		     struct kt_msg_push *p, struct kt_bytes *ch, uint32_t cap);
static int push_intact(struct kt_hub *h, MDB_txn *txn, const struct kt_msg_push *p,
		       uint64_t *bad_seq, const char **what);

/*
 * After a repair of origin's changes at hub seqs lo..hi, in txn: each push
 * record there whose changes are now whole but whose signature is damaged
 * is marked to be signed again.  Bounded by the records in lo..hi.
 */
static void resign_check(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t lo,
			 uint64_t hi)
{
	static struct kt_bytes ch[KT_PUSH_CHANGES_MAX];
	struct kt_msg_push p;
	uint8_t lk[8];
	MDB_val k = { 8, lk }, v;
	MDB_cursor *cur;
	int rc;

	if (mdb_cursor_open(txn, h->st.pushes, &cur) != 0)
		return;
	kt_be64_put(lk, lo);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && k.mv_size == 8 &&
	     v.mv_size == 16 + KT_SIG_BYTES && kt_be64_get((uint8_t *)v.mv_data + 8) <= hi;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *what = NULL;
		uint64_t seq = 0;
		char name[48];

		if (kt_be64_get(v.mv_data) != origin ||
		    read_push(h, txn, &k, &v, &p, ch, KT_PUSH_CHANGES_MAX) != 0 ||
		    push_intact(h, txn, &p, &seq, &what) == 0 || what != sig_damaged)
			continue;
		resign_name(name, origin, seq);
		kt_meta_put(&h->st, txn, name, "", 0); /* best effort: found again when served */
	}
	mdb_cursor_close(cur);
}

static int repair(struct kt_hub *h, const struct kt_msg_push *p, uint64_t held,
		  struct kt_hub_out *out, struct kt_err *err)
{
	static const uint8_t zero[KT_HASH_BYTES];
	uint8_t prev[KT_HASH_BYTES], hash[KT_HASH_BYTES], seen[KT_HASH_BYTES];
	uint64_t last = p->first_seq + p->nchanges - 1, to = last < held ? last : held, bad, n = 0;
	uint64_t lowest = UINT64_MAX, highest = 0, merged = 0, pos_before = 0;
	struct kt_change *c = &h->st.w_change;
	char name[32];
	MDB_txn *txn;
	int rc;

	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	bad = kt_hub_damaged(h, txn, p->origin);
	if (bad == 0 || bad < p->first_seq || bad > to) {
		mdb_txn_abort(txn);
		return 0;
	}
	if (bad > 1 && kt_chain_get(&h->st, txn, p->origin, bad - 1, prev, &pos_before) != 0)
		goto cannot;
	memcpy(seen, bad > 1 ? prev : zero, KT_HASH_BYTES);
	if (bad >= p->first_seq && bad <= to && bad > 1 &&
	    kt_change_decode(c, p->changes[bad - p->first_seq].p,
			     p->changes[bad - p->first_seq].n, NULL) == 0 &&
	    memcmp(c->prev, prev, KT_HASH_BYTES) != 0) {
		/* The chain's hash of the change before: damaged, when the log's bytes there are it. */
		uint8_t lk[8], lh[KT_HASH_BYTES];
		MDB_val lv;

		kt_be64_put(lk, pos_before);
		if (mdb_get(txn, h->st.log, &(MDB_val){ 8, lk }, &lv) != 0)
			goto cannot;
		kt_hash(lh, lv.mv_data, lv.mv_size);
		if (memcmp(lh, c->prev, KT_HASH_BYTES) != 0 ||
		    kt_chain_put(&h->st, txn, p->origin, bad - 1, lh, pos_before, NULL) != 0)
			goto cannot;
		memcpy(seen, lh, KT_HASH_BYTES);
	}
	for (uint64_t seq = bad; seq <= to; seq++) {
		const struct kt_bytes *b = &p->changes[seq - p->first_seq];
		uint64_t pos;
		uint8_t lk[8];

		if (kt_change_decode(c, b->p, b->n, NULL) != 0 || c->seq != seq ||
		    c->origin != p->origin || memcmp(c->prev, seen, KT_HASH_BYTES) != 0 ||
		    (pos = copy_at(h, txn, p->origin, seq, b, pos_before)) == 0)
			goto cannot;
		pos_before = pos;
		kt_chain_get(&h->st, txn, p->origin, seq, hash, NULL);
		kt_hash(seen, b->p, b->n);
		if (memcmp(seen, hash, KT_HASH_BYTES) == 0) {
			MDB_val k = { 8, lk }, v;
			uint64_t at = 0;

			kt_be64_put(lk, pos);
			if (mdb_get(txn, h->st.log, &k, &v) == 0 && v.mv_size == b->n &&
			    memcmp(v.mv_data, b->p, b->n) == 0 &&
			    kt_chain_get(&h->st, txn, p->origin, seq, hash, &at) == 0 && at == pos)
				continue; /* whole */
		}
		kt_be64_put(lk, pos);
		if ((rc = mdb_put(txn, h->st.log, &(MDB_val){ 8, lk },
				  &(MDB_val){ b->n, (void *)b->p }, 0)) != 0 ||
		    (rc = kt_chain_put(&h->st, txn, p->origin, seq, seen, pos, err)) != 0) {
			mdb_txn_abort(txn);
			return rc < 0 ? rc : kt_mdb_err(err, rc, "repair a change");
		}
		if (pos < lowest)
			lowest = pos;
		if (pos > highest)
			highest = pos;
		n++;
	}
	if (n > 0)
		resign_check(h, txn, p->origin, lowest, highest);
	damaged_name(name, p->origin);
	mdb_del(txn, h->st.meta, &(MDB_val){ strlen(name), name }, NULL);
	/*
	 * The merge passed over (or read wrongly) what was damaged: the merged
	 * state is derived again from the mended log, behind serving.
	 */
	if (n > 0 && kt_meta_u64(&h->st, txn, KT_HUB_META_MERGED, &merged) == 0 &&
	    lowest <= merged && (rc = empty_state(h, txn)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "empty the merged state");
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "repair a change");
	if (n > 0)
		mend_one(h, lowest); /* the push record around them, when its origin or seq is damaged */
	snprintf(out->note, sizeof(out->note), "repaired: %llu damaged change%s of origin %016llx "
		 "put back from its own copy (it sent seqs %llu-%llu again)", (unsigned long long)n,
		 n == 1 ? "" : "s",
		 (unsigned long long)p->origin, (unsigned long long)bad, (unsigned long long)to);
	return 0;
cannot:
	mdb_txn_abort(txn);
	snprintf(out->note, sizeof(out->note), "damaged store: change %llu of origin %016llx "
		 "cannot be put back from the push it sent (restore the hub from a backup, or "
		 "see README)", (unsigned long long)bad, (unsigned long long)p->origin);
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
	uint8_t hash[KT_HASH_BYTES], lk[8], rec[16 + KT_SIG_BYTES];
	char name[48];
	MDB_txn *txn;
	MDB_val v;
	int rc;

	resign_name(name, p->origin, want);
	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	if (mdb_get(txn, h->st.meta, &(MDB_val){ strlen(name), name }, &v) != 0 ||
	    kt_chain_get(&h->st, txn, p->origin, want, hash, &pos) != 0) {
		mdb_txn_abort(txn);
		return 0;
	}
	kt_be64_put(lk, pos);
	if (mdb_get(txn, h->st.pushes, &(MDB_val){ 8, lk }, &v) == 0 && v.mv_size == sizeof(rec) &&
	    kt_be64_get(v.mv_data) == p->origin) {
		memcpy(rec, v.mv_data, 16);
		memcpy(rec + 16, p->sig, KT_SIG_BYTES);
		if ((rc = mdb_put(txn, h->st.pushes, &(MDB_val){ 8, lk },
				  &(MDB_val){ sizeof(rec), rec }, 0)) != 0) {
			mdb_txn_abort(txn);
			return kt_mdb_err(err, rc, "put a signature back");
		}
		snprintf(out->note, sizeof(out->note), "repaired: the damaged signature of the push "
			 "ending at change %llu of origin %016llx, signed again by its branch",
			 (unsigned long long)want, (unsigned long long)p->origin);
	}
	mdb_del(txn, h->st.meta, &(MDB_val){ strlen(name), name }, NULL);
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "put a signature back");
	return 0;
}

static int push(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		struct kt_hub_out *out, struct kt_err *err)
{
	const struct kt_msg_push *p = &m->pushes[0];
	uint8_t hash[KT_HASH_BYTES];
	uint64_t origin = bound_origin(h, key, out), held = 0, pos;
	struct ahead ahead = { 0, 0 };
	MDB_txn *txn;
	int rc;

	if (origin == 0 || origin != p->origin)
		return kt_err_set(err, KT_EREFUSED, "push from a key not bound to origin %016llx",
				  (unsigned long long)p->origin);
	if (kt_store_rdtxn(&h->st, &txn, err) != 0)
		return KT_EIO;
	kt_store_origin_head(&h->st, txn, origin, &held, hash, &pos);
	mdb_txn_abort(txn);
	if (p->first_seq > held + 1) {
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_GAP, held + 1, "gap: push from the expected seq");
		return kt_err_set(err, KT_EREFUSED, "gap: origin %016llx pushed %llu, expected %llu",
				  (unsigned long long)origin, (unsigned long long)p->first_seq,
				  (unsigned long long)held + 1);
	}
	if (!push_signed(p, key)) {
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_SIG, held + 1, "bad signature");
		return kt_err_set(err, KT_EREFUSED, "bad signature on a push of origin %016llx",
				  (unsigned long long)origin);
	}
	if ((rc = same_as_held(h, p, held >= p->first_seq + p->nchanges - 1 ? p->nchanges :
			       (uint32_t)(held + 1 - p->first_seq), out, err)) != 0 ||
	    (p->first_seq <= held && (rc = repair(h, p, held, out, err)) != 0) ||
	    (p->first_seq <= held && (rc = resign(h, p, out, err)) != 0))
		return rc;
	if (p->first_seq + p->nchanges - 1 > held &&
	    (rc = store_push(h, p, (uint32_t)(held + 1 - p->first_seq), now, &ahead, err)) != 0) {
		if (rc == KT_ENOSPC)
			kt_msg_refuse(out_next(out, 0), KT_REFUSE_FULL, held + 1, "the hub's disk is "
				      "full: this branch keeps its changes and sends them once the "
				      "chain's IT person frees space at the hub");
		else
			kt_msg_refuse(out_next(out, 0), KT_REFUSE_CHAIN, held + 1, err->msg);
		return rc;
	}
	if (p->first_seq + p->nchanges - 1 > held) {
		note_ahead(p, &ahead, out);
		held = p->first_seq + p->nchanges - 1;
	}
	kt_msg_ack(out_next(out, 0), origin, held);
	kt_msg_notify(out_next(out, 1), kt_hub_head(h));
	ask_resign(h, origin, out); /* a signature a repair found damaged too */
	return 0;
}

/* Reads the changes of one recorded push (log positions first..last) into p. */
static int read_push(struct kt_hub *h, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		     struct kt_msg_push *p, struct kt_bytes *ch, uint32_t cap)
{
	uint64_t last = kt_be64_get(k->mv_data), first;
	uint8_t lk[8];

	if (v->mv_size != 16 + KT_SIG_BYTES)
		return -1;
	p->origin = kt_be64_get(v->mv_data);
	first = kt_be64_get((uint8_t *)v->mv_data + 8);
	p->sig = (const uint8_t *)v->mv_data + 16;
	{
		char name[KT_META_KEY_NAME_BYTES];
		MDB_val nk = { 0, name }, nv;

		kt_meta_key_name(name, p->origin);
		nk.mv_size = strlen(name);
		p->key = mdb_get(txn, h->st.meta, &nk, &nv) == 0 && nv.mv_size == KT_PUBKEY_BYTES
			 ? nv.mv_data : NULL;
		p->branch = NULL;
		p->branch_len = 0;
		if (p->key != NULL &&
		    mdb_get(txn, h->st.members, &(MDB_val){ KT_PUBKEY_BYTES, (void *)p->key },
			    &nv) == 0 && nv.mv_size > MEMBER_FIXED &&
		    nv.mv_size - MEMBER_FIXED <= KT_BRANCH_BYTES_MAX) {
			p->branch = (const char *)nv.mv_data + MEMBER_FIXED;
			p->branch_len = (uint32_t)(nv.mv_size - MEMBER_FIXED);
		}
	}
	p->changes = ch;
	p->nchanges = 0;
	p->withheld_hash = NULL;
	p->first_seq = first; /* here: the hub seq of its first change (a BATCH does not send it) */
	if (last < first || last - first + 1 > cap)
		return -1;
	for (uint64_t pos = first; pos <= last; pos++) {
		MDB_val key = { 8, lk }, val;

		kt_be64_put(lk, pos);
		if (mdb_get(txn, h->st.log, &key, &val) != 0)
			return -1;
		ch[p->nchanges++] = (struct kt_bytes){ val.mv_data, (uint32_t)val.mv_size };
	}
	return 0;
}

/*
 * Whether a recorded push, as read_push gave it, is what its origin sent:
 * each change decodes, its hash is the one the hub's chain holds for its
 * seq, it follows the change before it (the chain's, for the first), and
 * the origin's signature covers the last.  A flipped byte in a change, the
 * chain or the signature fails here instead of at every pulling node.
 * Returns 0, or -1 with the damaged change's seq and what is wrong.
 */
static int push_intact(struct kt_hub *h, MDB_txn *txn, const struct kt_msg_push *p,
		       uint64_t *bad_seq, const char **what)
{
	static const uint8_t zero[KT_HASH_BYTES];
	struct kt_change *c = &h->st.w_change;
	uint8_t hash[KT_HASH_BYTES], held[KT_HASH_BYTES], prev[KT_HASH_BYTES];
	uint8_t in[KT_SIG_INPUT_BYTES];
	uint64_t seq = 0, at = 0;
	int behind = 0;

	memset(hash, 0, sizeof(hash));
	*bad_seq = 0;
	for (uint32_t i = 0; i < p->nchanges; i++) {
		if (kt_change_decode(c, p->changes[i].p, p->changes[i].n, NULL) != 0 ||
		    c->origin != p->origin || (i > 0 && c->seq != seq + 1)) {
			*bad_seq = i > 0 ? seq + 1 : 0;
			*what = "a change does not decode";
			return -1;
		}
		seq = c->seq;
		*bad_seq = seq;
		if (i == 0 && seq > 1 && kt_chain_get(&h->st, txn, p->origin, seq - 1, prev, NULL) != 0) {
			*what = "the chain lacks the change before it";
			return -1;
		}
		if (memcmp(c->prev, i == 0 ? (seq == 1 ? zero : prev) : hash, KT_HASH_BYTES) != 0) {
			*what = "it does not follow the change before it";
			if (i > 0 || seq == 1)
				return -1;
			behind = 1; /* the chain's entry before may be the damaged one: the signature tells */
		}
		kt_hash(hash, p->changes[i].p, p->changes[i].n);
		if (kt_chain_get(&h->st, txn, p->origin, seq, held, &at) != 0 ||
		    memcmp(held, hash, KT_HASH_BYTES) != 0) {
			*what = "its bytes are not the ones the hash chain holds";
			return -1;
		}
		if (at != p->first_seq + i) {
			*what = "the hash chain's entry for it names another log position";
			return -1;
		}
	}
	kt_msg_sig_input(in, p->origin, seq, hash);
	if (p->key == NULL || crypto_sign_verify_detached(p->sig, in, sizeof(in), p->key) != 0) {
		if (!behind)
			*what = sig_damaged;
		return -1;
	}
	/*
	 * Signed whole: its first change's prev is the true hash of the change
	 * before, so a chain entry that disagrees is the damaged one (mend_push
	 * puts it right); this push goes out whole.
	 */
	return 0;
}

/*
 * The seq of origin's change at hub seq pos, from the chain (whose log
 * positions rise with seq): a binary search over 1..the origin's head, so
 * O(log n) reads.  0: none there.
 */
static uint64_t origin_seq_at(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t pos)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t lo = 1, hi = 0, at;

	if (kt_store_origin_head(&h->st, txn, origin, &hi, hash, &at) != 0)
		return 0;
	while (lo <= hi) { /* at most 64 steps */
		uint64_t mid = lo + (hi - lo) / 2;

		if (kt_chain_get(&h->st, txn, origin, mid, hash, &at) != 0)
			return 0;
		if (at == pos)
			return mid;
		if (at < pos)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}

/*
 * Makes p, a push read_push found damaged (or could not read whole: its
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
	uint8_t in[KT_SIG_INPUT_BYTES], lk[8], cand[2][KT_HASH_BYTES];
	uint64_t seq = 0;
	int have[2] = { 0, 0 }, ok = -1;
	MDB_val v;

	/*
	 * The push's last seq, from three witnesses any of which may be the
	 * damaged one: the chain's positions, and its first and last changes'
	 * own headers; two that agree win, else the chain.
	 */
	{
		uint64_t by_chain = origin_seq_at(h, txn, p->origin, last), by_last = 0, by_first = 0;

		for (int end = 0; end < 2; end++) {
			uint64_t pos = end ? from : last;

			kt_be64_put(lk, pos);
			if (mdb_get(txn, h->st.log, &(MDB_val){ 8, lk }, &v) == 0 &&
			    kt_change_decode(&h->st.w_change, v.mv_data, v.mv_size, NULL) == 0 &&
			    h->st.w_change.origin == p->origin) {
				if (end)
					by_first = h->st.w_change.seq + (last - from);
				else
					by_last = h->st.w_change.seq;
			}
		}
		if (by_chain != 0 && (by_chain == by_last || by_chain == by_first ||
				      (by_last == 0 && by_first == 0)))
			seq = by_chain;
		else if (by_last != 0 && by_last == by_first)
			seq = by_last;
		else
			seq = by_chain != 0 ? by_chain : by_last != 0 ? by_last : by_first;
	}
	if (seq == 0 || seq < last - from + 1 || p->key == NULL)
		return -1;
	have[0] = kt_chain_get(&h->st, txn, p->origin, seq, cand[0], NULL) == 0;
	kt_be64_put(lk, last);
	if (mdb_get(txn, h->st.log, &(MDB_val){ 8, lk }, &v) == 0) {
		kt_hash(cand[1], v.mv_data, v.mv_size);
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

uint64_t kt_hub_origin_u64(struct kt_hub *h, MDB_txn *txn, const char *what, uint64_t origin)
{
	char name[48];
	uint64_t v = 0;

	snprintf(name, sizeof(name), "%s:%016llx", what, (unsigned long long)origin);
	kt_meta_u64(&h->st, txn, name, &v);
	return v;
}

uint64_t kt_hub_damaged(struct kt_hub *h, MDB_txn *txn, uint64_t origin)
{
	return kt_hub_origin_u64(h, txn, "damaged", origin);
}

uint64_t kt_hub_resign_count(struct kt_hub *h, MDB_txn *txn, uint64_t origin)
{
	char name[48];
	MDB_val k, v;
	MDB_cursor *cur;
	uint64_t n = 0;
	int rc;

	resign_name(name, origin, 0);
	k = (MDB_val){ RESIGN_NAME_BYTES - 16, name };
	if (mdb_cursor_open(txn, h->st.meta, &cur) != 0)
		return 0;
	/* Bounded by the marks of that origin. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == RESIGN_NAME_BYTES &&
	     memcmp(k.mv_data, name, RESIGN_NAME_BYTES - 16) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		n++;
	mdb_cursor_close(cur);
	return n;
}

void kt_hub_origin_branch(struct kt_hub *h, uint64_t origin, char *out, size_t cap)
{
	char okey[KT_META_KEY_NAME_BYTES];
	uint8_t key[KT_PUBKEY_BYTES];
	MDB_txn *txn;
	MDB_val v;
	int got;

	snprintf(out, cap, "?");
	kt_meta_key_name(okey, origin);
	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return;
	got = mdb_get(txn, h->st.meta, &(MDB_val){ strlen(okey), okey }, &v) == 0 &&
	      v.mv_size == KT_PUBKEY_BYTES;
	if (got)
		memcpy(key, v.mv_data, sizeof(key));
	mdb_txn_abort(txn);
	if (got)
		kt_hub_branch_of(h, key, out, cap, NULL);
}

/* Marks seq of origin damaged (the lowest is kept), so its next hello resends from there. */
static void mark_damaged(struct kt_hub *h, uint64_t origin, uint64_t seq)
{
	char name[32];
	const char *const names[] = { name };
	uint64_t had = 0;
	MDB_txn *txn;

	if (seq == 0)
		seq = 1;
	if (kt_store_rdtxn(&h->st, &txn, NULL) == 0) {
		had = kt_hub_damaged(h, txn, origin);
		mdb_txn_abort(txn);
	}
	if (had != 0 && had <= seq)
		return;
	damaged_name(name, origin);
	kt_meta_save_u64(&h->st, names, &seq, 1, NULL); /* best effort: found again next time */
}

/* Marks the push of origin ending at seq last to be signed again (REFUSE 10). */
static void mark_resign(struct kt_hub *h, uint64_t origin, uint64_t last)
{
	char name[48];
	MDB_txn *txn;

	resign_name(name, origin, last);
	if (kt_txn_begin(h->st.env, 0, &txn) != 0)
		return;
	if (kt_meta_put(&h->st, txn, name, "", 0) != 0)
		mdb_txn_abort(txn);
	else
		kt_txn_commit(txn); /* best effort: found again next time */
}

/* A push found damaged: its origin is asked to send again, or to sign again. */
static void mark_push(struct kt_hub *h, uint64_t origin, const char *what, uint64_t resend,
		      uint64_t last)
{
	if (what == sig_damaged && last != 0)
		mark_resign(h, origin, last);
	else
		mark_damaged(h, origin, resend);
}

/*
 * The enrolled origin whose chain places a change at hub seq pos: each
 * origin the hub holds a key for (meta "key:<origin>"), searched by
 * origin_seq_at.  Bounded by the branches.  0: none.
 */
static uint64_t origin_at(struct kt_hub *h, MDB_txn *txn, uint64_t pos)
{
	MDB_val k = { 4, "key:" }, v;
	MDB_cursor *cur;
	uint64_t found = 0;
	int rc;

	if (mdb_cursor_open(txn, h->st.meta, &cur) != 0)
		return 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && found == 0 && k.mv_size == 20 && memcmp(k.mv_data, "key:", 4) == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char o[17];
		uint64_t origin;

		memcpy(o, (char *)k.mv_data + 4, 16);
		o[16] = '\0';
		origin = strtoull(o, NULL, 16);
		if (origin_seq_at(h, txn, origin, pos) != 0)
			found = origin;
	}
	mdb_cursor_close(cur);
	return found;
}

/*
 * Mends, in txn, what the log itself tells of the push recorded at k/v
 * (hub seqs first..its key): the record's origin and first hub seq when
 * its changes decode as consecutive changes of one origin, each naming the
 * hash of the one before; and the chain's entries for them -- the log
 * position of each whose hash is the one its bytes have, and the hash too
 * when the origin's signature covers the last bytes, which proves them all.
 * Returns how many records and entries it rewrote, or an LMDB error.
 */
static int mend_push(struct kt_hub *h, MDB_txn *txn, MDB_cursor *cur, MDB_val *k,
		     const MDB_val *v, uint64_t first)
{
	static struct kt_bytes ch[KT_PUSH_CHANGES_MAX];
	struct kt_change *c = &h->st.w_change;
	uint64_t last = kt_be64_get(k->mv_data), origin = 0, seq0 = 0;
	uint8_t rec[16 + KT_SIG_BYTES], hash[KT_HASH_BYTES], prev[KT_HASH_BYTES];
	uint8_t in[KT_SIG_INPUT_BYTES];
	struct kt_msg_push p;
	MDB_val fixed = { sizeof(rec), rec };
	int rc, n = 0, linked = 1, proven;

	if (last < first || last - first >= KT_PUSH_CHANGES_MAX)
		return 0;
	memcpy(rec, v->mv_data, sizeof(rec));
	/* The origin and first seq as the changes say, each linked to the one before. */
	for (uint64_t pos = first; pos <= last && linked; pos++) {
		uint8_t lk[8];
		MDB_val lv;

		kt_be64_put(lk, pos);
		if (mdb_get(txn, h->st.log, &(MDB_val){ 8, lk }, &lv) != 0 ||
		    kt_change_decode(c, lv.mv_data, lv.mv_size, NULL) != 0 ||
		    (pos > first && (c->origin != origin || c->seq != seq0 + (pos - first) ||
				     memcmp(c->prev, prev, KT_HASH_BYTES) != 0))) {
			linked = 0;
			break;
		}
		if (pos == first) {
			origin = c->origin;
			seq0 = c->seq;
		}
		kt_hash(prev, lv.mv_data, lv.mv_size);
		ch[pos - first] = (struct kt_bytes){ lv.mv_data, (uint32_t)lv.mv_size };
	}
	if (!linked || origin == 0) {
		/*
		 * The log is damaged there too (its origin sends it again); a
		 * record's origin that names no branch is told by the chain.
		 */
		char name[KT_META_KEY_NAME_BYTES];
		MDB_val kv;
		uint64_t by_chain;

		kt_meta_key_name(name, kt_be64_get(rec));
		if (mdb_get(txn, h->st.meta, &(MDB_val){ strlen(name), name }, &kv) == 0)
			return 0;
		by_chain = 0;
		/* One change whose header and chain entry agree names it; else the chain alone. */
		for (uint64_t pos = first; pos <= last && by_chain == 0; pos++) {
			uint8_t lk[8], held[KT_HASH_BYTES];
			uint64_t at = 0;
			MDB_val lv;

			kt_be64_put(lk, pos);
			if (mdb_get(txn, h->st.log, &(MDB_val){ 8, lk }, &lv) == 0 &&
			    kt_change_decode(c, lv.mv_data, lv.mv_size, NULL) == 0 &&
			    kt_chain_get(&h->st, txn, c->origin, c->seq, held, &at) == 0 && at == pos)
				by_chain = c->origin;
		}
		if (by_chain == 0 && (by_chain = origin_at(h, txn, last)) == 0)
			return 0;
		kt_be64_put(rec, by_chain);
		kt_be64_put(rec + 8, first);
		return (rc = mdb_cursor_put(cur, k, &fixed, MDB_CURRENT)) != 0 ? -rc : 1;
	}
	if (kt_be64_get(rec) != origin) {
		/*
		 * The changes name another origin than the record: believed only
		 * for an enrolled origin, over a record's origin that is not one
		 * (a flipped bit in a change's header names no branch).
		 */
		char name[KT_META_KEY_NAME_BYTES];
		MDB_val kv;

		kt_meta_key_name(name, origin);
		if (mdb_get(txn, h->st.meta, &(MDB_val){ strlen(name), name }, &kv) != 0)
			return 0;
		kt_meta_key_name(name, kt_be64_get(rec));
		if (mdb_get(txn, h->st.meta, &(MDB_val){ strlen(name), name }, &kv) == 0)
			return 0;
	}
	if (kt_be64_get(rec) != origin || kt_be64_get(rec + 8) != first) {
		kt_be64_put(rec, origin);
		kt_be64_put(rec + 8, first);
		if ((rc = mdb_cursor_put(cur, k, &fixed, MDB_CURRENT)) != 0)
			return -rc;
		n++;
	}
	if (read_push(h, txn, k, &fixed, &p, ch, KT_PUSH_CHANGES_MAX) != 0)
		return n;
	kt_msg_sig_input(in, origin, seq0 + (last - first), prev);
	proven = p.key != NULL && crypto_sign_verify_detached(p.sig, in, sizeof(in), p.key) == 0;
	if (proven && seq0 > 1 && kt_change_decode(c, ch[0].p, ch[0].n, NULL) == 0) {
		/* The change before, as this signed push names it: its chain hash mended. */
		uint8_t held[KT_HASH_BYTES];
		uint64_t at;

		if (kt_chain_get(&h->st, txn, origin, seq0 - 1, held, &at) == 0 &&
		    memcmp(held, c->prev, KT_HASH_BYTES) != 0) {
			if ((rc = kt_chain_put(&h->st, txn, origin, seq0 - 1, c->prev, at, NULL)) != 0)
				return rc < 0 ? -MDB_PANIC : -rc;
			n++;
		}
	}
	for (uint64_t pos = first; pos <= last; pos++) {
		uint8_t held[KT_HASH_BYTES];
		uint64_t at = 0, seq = seq0 + (pos - first);
		int have;

		kt_hash(hash, ch[pos - first].p, ch[pos - first].n);
		have = kt_chain_get(&h->st, txn, origin, seq, held, &at) == 0;
		if (have && at == pos && memcmp(held, hash, KT_HASH_BYTES) == 0)
			continue;
		if (!proven && !(have && memcmp(held, hash, KT_HASH_BYTES) == 0))
			continue; /* which of hash and bytes is damaged: the origin tells */
		if ((rc = kt_chain_put(&h->st, txn, origin, seq, hash, pos, NULL)) != 0)
			return rc < 0 ? -MDB_PANIC : -rc;
		n++;
	}
	return n;
}

/*
 * mend_push for the one push record holding hub seq from, in a write
 * transaction of its own: what serving found damaged is mended at once when
 * the log can tell (a chain entry's position, a record's origin), so the
 * next answer sends it whole.  Best effort; returns how many it rewrote.
 */
static int mend_one(struct kt_hub *h, uint64_t from)
{
	uint8_t lk[8];
	MDB_val k = { 8, lk }, v, pk, pv;
	MDB_cursor *cur;
	MDB_txn *txn;
	uint64_t first = 1;
	int n = 0;

	if (from == 0 || kt_txn_begin(h->st.env, 0, &txn) != 0)
		return 0;
	kt_be64_put(lk, from);
	if (mdb_cursor_open(txn, h->st.pushes, &cur) == 0) {
		/* Where it starts is where the record before ends, not what its own (maybe damaged) says. */
		if (mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0 && k.mv_size == 8 &&
		    v.mv_size == 16 + KT_SIG_BYTES) {
			uint8_t key[8];

			memcpy(key, k.mv_data, 8);
			if (mdb_cursor_get(cur, &pk, &pv, MDB_PREV) == 0 && pk.mv_size == 8)
				first = kt_be64_get(pk.mv_data) + 1;
			k = (MDB_val){ 8, key };
			if (mdb_cursor_get(cur, &k, &v, MDB_SET_KEY) == 0)
				n = mend_push(h, txn, cur, &k, &v, first);
		}
		mdb_cursor_close(cur);
	}
	if (n > 0 && kt_txn_commit(txn) == 0)
		return n;
	if (n <= 0)
		mdb_txn_abort(txn);
	return 0;
}

int kt_hub_mend_pushes(struct kt_hub *h, struct kt_err *err)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	uint64_t expect = 1;
	int rc, mended = 0;

	if ((rc = kt_txn_begin(h->st.env, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write transaction");
	if ((rc = mdb_cursor_open(txn, h->st.pushes, &cur)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "read the pushes");
	}
	/*
	 * Bounded by the pushes: a push starts where the one before ended, and
	 * its changes say their origin and seqs (mend_push).
	 */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint64_t last = k.mv_size == 8 ? kt_be64_get(k.mv_data) : 0;
		int n;

		if (v.mv_size != 16 + KT_SIG_BYTES || last < expect) {
			expect = last + 1;
			continue;
		}
		if ((n = mend_push(h, txn, cur, &k, &v, expect)) < 0) {
			rc = -n;
			break;
		}
		mended += n;
		expect = last + 1;
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "mend the pushes");
	}
	if (mended == 0) {
		mdb_txn_abort(txn);
		return 0;
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "mend the pushes");
	return mended;
}

int kt_hub_verify(struct kt_hub *h, uint64_t *pushes, kt_hub_damage_fn fn, void *ctx,
		  struct kt_err *err)
{
	static struct kt_bytes ch[KT_PUSH_CHANGES_MAX];
	struct kt_msg_push p;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	uint64_t expect = 1;
	int rc, bad = 0;

	*pushes = 0;
	if ((rc = kt_store_rdtxn(&h->st, &txn, err)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, h->st.pushes, &cur)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "read the pushes");
	}
	/* Bounded by the pushes the hub holds: each read once (Ctrl-C ends it). */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !kt_interrupted;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint64_t last = k.mv_size == 8 ? kt_be64_get(k.mv_data) : 0, seq = 0, resend = 0;
		uint64_t first = v.mv_size == 16 + KT_SIG_BYTES ?
				 kt_be64_get((uint8_t *)v.mv_data + 8) : 0;
		const char *what = NULL;

		(*pushes)++;
		if (first != expect || last < first) {
			what = "the pushes do not cover the log in order";
		} else if (read_push(h, txn, &k, &v, &p, ch, KT_PUSH_CHANGES_MAX) != 0) {
			what = "a change of the push is missing";
		} else if (push_intact(h, txn, &p, &seq, &what) != 0) {
			/*
			 * Sent again from the push's first change, as the chain places
			 * it; the change named is the damaged one when its seq fits.
			 */
			resend = origin_seq_at(h, txn, p.origin, first);
			if (resend != 0 && (seq < resend || seq > resend + (last - first)))
				seq = resend;
			seq = seq ? seq : 1;
		}
		if (what != NULL) {
			uint64_t origin = v.mv_size >= 8 ? kt_be64_get(v.mv_data) : 0;

			bad++;
			if (origin != 0)
				mark_push(h, origin, what, resend != 0 ? resend : seq, seq);
			if (fn != NULL)
				fn(ctx, first, last, origin, seq, what);
		}
		expect = last + 1;
	}
	mdb_cursor_close(cur);
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

/* One slice of kt_hub_verify_state: up to 5,000 changes of the log from *next, in one transaction. */
struct replay {
	struct kt_store *to;
	MDB_cursor *cur;   /* on the hub's log, in a read transaction of its own */
	uint64_t next;     /* the hub seq this slice starts at */
	uint64_t end;      /* the hub seq after the slice (0: the log ended) */
};

static int replay_slice(void *ctx, struct kt_err *err)
{
	struct replay *r = ctx;
	uint8_t k[8];
	MDB_val key = { 8, k }, v;
	MDB_txn *wtxn;
	uint64_t n = 0;
	int rc;

	if ((rc = kt_store_wbegin(r->to, &wtxn, err)) != 0)
		return rc;
	kt_be64_put(k, r->next);
	r->end = 0;
	for (rc = mdb_cursor_get(r->cur, &key, &v, MDB_SET_RANGE); rc == 0 && n < 5000;
	     rc = mdb_cursor_get(r->cur, &key, &v, MDB_NEXT), n++) {
		if (kt_interrupted) {
			mdb_txn_abort(wtxn);
			return kt_err_set(err, KT_EINTR, "interrupted");
		}
		if ((rc = kt_store_ingest_log(r->to, wtxn, v.mv_data, v.mv_size, err)) != 0) {
			mdb_txn_abort(wtxn); /* KT_EFULL: kt_store_retry grows the map and runs it again */
			return rc;
		}
	}
	if (rc == 0 && key.mv_size == 8)
		r->end = kt_be64_get(key.mv_data); /* the first of the next slice */
	else if (rc != MDB_NOTFOUND) {
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
		mdb_env_set_mapsize(t.st.env, h->scratch_map);
	if ((rc = kt_store_rdtxn(&h->st, &rtxn, err)) != 0)
		goto out;
	r = (struct replay){ &t.st, NULL, 1, 0 };
	if ((rc = mdb_cursor_open(rtxn, h->st.log, &r.cur)) != 0) {
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
	mdb_cursor_close(r.cur);
	mdb_txn_abort(rtxn);
	if (rc == 0 && (rc = kt_hub_digest(&t, b, err)) == 0)
		*same = memcmp(a, b, KT_HASH_BYTES) == 0;
out:
	kt_hub_close(&t);
	return rc;
}

/* Empties the merged state in txn: the merge derives it again from the log. */
static int empty_state(struct kt_hub *h, MDB_txn *txn)
{
	MDB_dbi state[] = { h->st.rec, h->st.own, h->st.idx, h->st.shred, h->st.tokens,
			    h->st.merged, h->st.conflicts };
	int rc = 0;

	for (size_t i = 0; i < sizeof(state) / sizeof(state[0]) && rc == 0; i++)
		rc = mdb_drop(txn, state[i], 0); /* emptied, kept open */
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
	if ((rc = empty_state(h, txn)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "empty the merged state");
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "empty the merged state");
	return kt_hub_catch_up(h, err); /* the log is the truth: derived again from it */
}

/*
 * Keeps what `kt-hub status` shows of a node that pulls: how far it has
 * pulled, and when it was last heard from (a daemon says hello once and then
 * pulls, every 2 s when idle).  A durable write only when the cursor moved
 * or the contact on record is KT_HUB_CONTACT_SAVE_MS old, so 1,000 idle
 * branches cost ~30 commits a second, not 500.  Best effort: a failed write
 * only leaves status behind.
 */

static void note_contact(struct kt_hub *h, const uint8_t *key, uint64_t origin,
			 uint64_t cursor, uint64_t now)
{
	uint8_t rec[MEMBER_FIXED + KT_BRANCH_BYTES_MAX];
	MDB_val k = { KT_PUBKEY_BYTES, (void *)key }, v;
	char name[32];
	uint64_t pulled, seen;
	MDB_txn *txn;

	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return;
	pulled = kt_hub_pulled(h, txn, origin);
	seen = kt_hub_contact(h, txn, key);
	mdb_txn_abort(txn);
	if (pulled == cursor && now >= seen && now - seen < KT_HUB_CONTACT_SAVE_MS)
		return;
	if (kt_txn_begin(h->st.env, 0, &txn) != 0)
		return;
	pulled_name(name, origin);
	if (kt_meta_put_u64(&h->st, txn, name, cursor) != 0 ||
	    mdb_get(txn, h->st.members, &k, &v) != 0 || v.mv_size < MEMBER_FIXED ||
	    v.mv_size > sizeof(rec)) {
		mdb_txn_abort(txn);
		return;
	}
	memcpy(rec, v.mv_data, v.mv_size); /* as it is now: a revocation stays */
	kt_be64_put(rec + 9, now);
	v.mv_data = rec;
	if (mdb_put(txn, h->st.members, &k, &v, 0) != 0) {
		mdb_txn_abort(txn);
		return;
	}
	kt_txn_commit(txn); /* a failed commit frees the transaction */
}

uint64_t kt_hub_contact(struct kt_hub *h, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES])
{
	MDB_val k = { KT_PUBKEY_BYTES, (void *)key }, v;

	if (mdb_get(txn, h->st.members, &k, &v) != 0 || v.mv_size < MEMBER_FIXED)
		return 0;
	return kt_be64_get((uint8_t *)v.mv_data + 9);
}

uint64_t kt_hub_pulled(struct kt_hub *h, MDB_txn *txn, uint64_t origin)
{
	return kt_hub_origin_u64(h, txn, "pulled", origin);
}

/*
 * Whether the puller holds its own push ending at hub seq last: it said it
 * holds its changes up to seq own.  A node restored from an old backup
 * holds less, and gets its own later changes back.
 */
static int held_by(struct kt_hub *h, MDB_txn *txn, uint64_t last, uint64_t own)
{
	uint8_t lk[8];
	MDB_val k = { 8, lk }, v;

	kt_be64_put(lk, last);
	return mdb_get(txn, h->st.log, &k, &v) == 0 &&
	       kt_change_decode(&h->st.w_change, v.mv_data, v.mv_size, NULL) == 0 &&
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
 * Puts the push recorded at k/v (hub seqs from..its key) in p for a BATCH,
 * its changes in ch (room for cap): whole when push_intact holds, else
 * withheld (wh holds its hash), and d notes the first damage met.
 * Returns 0 (whole or withheld), or -1 when it can be neither: the answer
 * stops before it and the rest waits for the origin to send it again.
 */
static int serve_push(struct kt_hub *h, MDB_txn *txn, MDB_val *k, MDB_val *v, uint64_t from,
		      int refetch, struct kt_msg_push *p, struct kt_bytes *ch, uint32_t cap,
		      uint8_t wh[KT_HASH_BYTES], struct damage *d)
{
	uint64_t last = kt_be64_get(k->mv_data), seq = 0;
	const char *what = NULL;
	int held;

	if (read_push(h, txn, k, v, p, ch, cap) != 0)
		what = "a change of the push is missing";
	else if (push_intact(h, txn, p, &seq, &what) == 0)
		return 0;
	if (what == sig_damaged && refetch)
		held = 2; /* whole changes: a node that holds the hash the next change named takes them */
	else
		held = withhold(h, txn, from, last, p, wh) == 0;
	if (d->from == 0) {
		/* Resent from the push's first change: a damaged change may name a wrong seq. */
		*d = (struct damage){ from, kt_be64_get(v->mv_data), seq, seq,
				      what == sig_damaged ? seq : 0, last, what, held != 0 };
		if (held == 1) {
			d->resend = p->withheld_first;
			if (seq < p->withheld_first || seq > p->withheld_last)
				d->seq = p->withheld_first;
		}
	}
	return held ? 0 : -1;
}

/* Logs the damage an answer met and marks its origin to send it again. */
static void note_damage(struct kt_hub *h, const struct damage *d, struct kt_hub_out *out)
{
	char br[KT_BRANCH_BYTES_MAX + 1];

	kt_hub_origin_branch(h, d->origin, br, sizeof(br));
	if (mend_one(h, d->at) > 0) {
		/* The log told what was damaged: the next answer (the node asks again) sends it whole. */
		snprintf(out->note, sizeof(out->note), "damaged store: hub seq %llu, change %llu of "
			 "branch %s (origin %016llx): %s; mended from the log",
			 (unsigned long long)d->from, (unsigned long long)d->seq, br,
			 (unsigned long long)d->origin, d->what);
		return;
	}
	mark_push(h, d->origin, d->what, d->resend, d->last);
	snprintf(out->note, sizeof(out->note), "damaged store: hub seq %llu, change %llu of "
		 "branch %s (origin %016llx): %s; %s, and that branch is asked to send it again "
		 "at its next sync", (unsigned long long)d->from, (unsigned long long)d->seq, br,
		 (unsigned long long)d->origin, d->what,
		 d->withheld ? "sent withheld (the rest goes on)" : "not served");
	if (!d->withheld)
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_DAMAGED, d->from, out->note);
}

static int pull(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		struct kt_hub_out *out, struct kt_err *err)
{
	static struct kt_bytes ch[KT_BATCH_CHANGES_MAX];
	static uint8_t wh[KT_BATCH_PUSHES_MAX][KT_HASH_BYTES];
	struct kt_msg_push ps[KT_BATCH_PUSHES_MAX];
	uint64_t credit = m->b < 1 ? 1 : m->b, covered = m->a, sent = 0, bytes = 0, head;
	uint8_t k[8];
	MDB_val key_v = { 8, k }, v;
	MDB_cursor *cur;
	MDB_txn *txn;
	uint32_t n = 0, used = 0;
	int rc, mine = 1;
	uint64_t origin = bound_origin(h, key, out), applied = m->a;
	struct damage dmg = { 0, 0, 0, 0, 0, 0, NULL, 0 };

	if (origin == 0)
		return kt_err_set(err, KT_EREFUSED, "pull from a key that did not say hello");
	head = kt_hub_head(h);
	if ((rc = kt_store_rdtxn(&h->st, &txn, err)) != 0)
		return rc;
	kt_be64_put(k, m->a + 1);
	mdb_cursor_open(txn, h->st.pushes, &cur);
	rc = mdb_cursor_get(cur, &key_v, &v, MDB_SET_RANGE);
	/*
	 * Up to KT_PULL_BATCHES_MAX batches, sent back to back so the node applies
	 * one while the next is on the wire: each of whole pushes, until
	 * KT_PULL_BATCH_CHANGES, the push count or the size cap; all of them until
	 * the credit.  The node's own pushes it holds are covered but left out.
	 * Every batch but the last says more = 1.
	 */
	for (uint32_t b = 0; b < KT_PULL_BATCHES_MAX; b++) {
		uint64_t in_batch = 0, first = covered + 1;

		n = used = 0;
		bytes = 0;
		while (rc == 0 && n < KT_BATCH_PUSHES_MAX && bytes < KT_MSG_BYTES_MAX / 2 &&
		       (in_batch == 0 || (in_batch < KT_PULL_BATCH_CHANGES && sent < credit))) {
			uint64_t last = kt_be64_get(key_v.mv_data), from;

			if (v.mv_size != 16 + KT_SIG_BYTES) {
				rc = MDB_NOTFOUND; /* a damaged record ends the answer */
				break;
			}
			from = kt_be64_get((uint8_t *)v.mv_data + 8);
			if ((from > last || from == 0 || from <= covered) && covered < last &&
			    (in_batch > 0 || covered > m->a))
				from = covered + 1; /* its first seq is damaged: it starts where the last ended */
			else if (from > last || from == 0) {
				rc = MDB_NOTFOUND; /* where it starts cannot be told: the answer ends */
				break;
			}
			if (in_batch == 0 && from < first)
				first = from; /* the cursor fell inside a push: resend it whole */
			if (kt_be64_get(v.mv_data) != origin || !held_by(h, txn, last, m->c)) {
				mine = 0; /* a change the node has to apply: the run of its own ends */
				if (serve_push(h, txn, &key_v, &v, from, 0, &ps[n], ch + used,
					       (uint32_t)(sizeof(ch) / sizeof(ch[0])) - used, wh[n],
					       &dmg) != 0) {
					rc = MDB_NOTFOUND; /* served up to the damage, never past it */
					break;
				}
				for (uint32_t i = 0; i < ps[n].nchanges; i++)
					bytes += ps[n].changes[i].n;
				used += ps[n++].nchanges;
			}
			in_batch += last - from + 1;
			sent += last - from + 1;
			covered = last;
			if (mine)
				applied = last; /* its own push, left out: it holds it */
			rc = mdb_cursor_get(cur, &key_v, &v, MDB_NEXT);
		}
		kt_msg_batch(out_next(out, 0), first, covered, head, ps, n,
			     rc == 0 && sent < credit && b + 1 < KT_PULL_BATCHES_MAX);
		if (rc != 0 || sent >= credit)
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	/*
	 * What status shows as pulled: the node's cursor, and past it the run of
	 * its own pushes this answer covers (it holds them, so it stands there
	 * once the answer arrives; a node that only pushed never asks again).
	 */
	note_contact(h, key, origin, applied, now);
	if (dmg.from != 0)
		note_damage(h, &dmg, out);
	return 0;
}

/*
 * REFETCH: the pushes holding changes m->b..m->last of origin m->a again,
 * found by the chain's log positions (so a hub restored or rebuilt, whose
 * hub seqs differ, finds them too), in one BATCH up to the batch's limits,
 * for a node that was sent them withheld; its own pushes are left out.
 * The node's cursor is not moved by it.
 */
static int refetch(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m,
		   struct kt_hub_out *out, struct kt_err *err)
{
	static struct kt_bytes ch[KT_BATCH_CHANGES_MAX];
	static uint8_t wh[KT_BATCH_PUSHES_MAX][KT_HASH_BYTES];
	struct kt_msg_push ps[KT_BATCH_PUSHES_MAX];
	uint64_t origin = bound_origin(h, key, out), lo = 0, hi = 0, first, covered, bytes = 0;
	struct damage dmg = { 0, 0, 0, 0, 0, 0, NULL, 0 };
	uint8_t k[8], hash[KT_HASH_BYTES];
	MDB_val key_v = { 8, k }, v;
	MDB_cursor *cur;
	MDB_txn *txn;
	uint32_t n = 0, used = 0;
	int rc;

	if (origin == 0)
		return kt_err_set(err, KT_EREFUSED, "refetch from a key that did not say hello");
	if ((rc = kt_store_rdtxn(&h->st, &txn, err)) != 0)
		return rc;
	if (kt_chain_get(&h->st, txn, m->a, m->b, hash, &lo) != 0 ||
	    kt_chain_get(&h->st, txn, m->a, m->last, hash, &hi) != 0 || hi < lo || lo == 0) {
		lo = 1; /* the hub does not hold them (yet): an empty answer */
		hi = 0;
	}
	first = lo;
	covered = lo - 1;
	kt_be64_put(k, lo);
	mdb_cursor_open(txn, h->st.pushes, &cur);
	rc = mdb_cursor_get(cur, &key_v, &v, MDB_SET_RANGE);
	/* Bounded by the batch's limits: pushes, changes and bytes. */
	while (rc == 0 && n < KT_BATCH_PUSHES_MAX && bytes < KT_MSG_BYTES_MAX / 2) {
		uint64_t last = kt_be64_get(key_v.mv_data), from;

		if (v.mv_size != 16 + KT_SIG_BYTES || (from = kt_be64_get(
			(uint8_t *)v.mv_data + 8)) > last || from == 0 || from > hi ||
		    used + (last - from + 1) > KT_BATCH_CHANGES_MAX)
			break;
		if (from < first)
			first = from;
		if (kt_be64_get(v.mv_data) != origin) {
			if (serve_push(h, txn, &key_v, &v, from, 1, &ps[n], ch + used,
				       KT_BATCH_CHANGES_MAX - used, wh[n], &dmg) != 0)
				break;
			for (uint32_t i = 0; i < ps[n].nchanges; i++)
				bytes += ps[n].changes[i].n;
			used += ps[n++].nchanges;
		}
		covered = last;
		rc = mdb_cursor_get(cur, &key_v, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	kt_msg_batch(out_next(out, 0), first, covered < first ? first - 1 : covered,
		     kt_hub_head(h), ps, n, 0);
	if (dmg.from != 0)
		note_damage(h, &dmg, out);
	return 0;
}

/*
 * Merges the log after `merged` in txn, up to max changes: *pos is where it
 * stopped.  Returns 0, or an error (a gap in the log stops the merge).
 */
static int merge_log(struct kt_store *st, MDB_txn *txn, uint64_t merged, uint64_t max,
		     uint64_t *pos, uint64_t *done, struct kt_err *err)
{
	uint8_t k[8];
	MDB_val key = { 8, k }, v;
	MDB_cursor *cur;
	int rc;

	*pos = merged;
	*done = 0;
	if ((rc = mdb_cursor_open(txn, st->log, &cur)) != 0)
		return kt_mdb_err(err, rc, "read the log");
	kt_be64_put(k, merged + 1);
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_KEY);
	while (rc == 0 && *done < max) {
		if (kt_interrupted) {
			rc = kt_err_set(err, KT_EINTR, "interrupted");
			break;
		}
		if (key.mv_size != 8 || kt_be64_get(key.mv_data) != *pos + 1) {
			rc = kt_err_set(err, KT_ECORRUPT, "the log skips from %llu",
					(unsigned long long)*pos);
			break;
		}
		(*pos)++;
		(*done)++;
		/*
		 * The change was checked when it was stored; one damaged since
		 * (it does not decode) is passed over, as nodes are sent it
		 * withheld, and merged when its origin sends it again (repair).
		 */
		if (kt_change_decode(&st->w_change, v.mv_data, v.mv_size, NULL) == 0 &&
		    (rc = kt_store_merge(st, txn, &st->w_change, NULL, 1, err)) != 0)
			break;
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND && *pos > merged)
		rc = 0; /* the end of the log */
	else if (rc == MDB_NOTFOUND)
		rc = kt_err_set(err, KT_ECORRUPT, "the log lacks change %llu",
				(unsigned long long)merged + 1);
	else if (rc > 0 || rc < -100)
		rc = kt_mdb_err(err, rc, "read the log");
	return rc;
}

/*
 * The merge behind ingest.  One try: the log after meta "merged", up to
 * max changes, decoded and merged on metadata, and the new position, in
 * one transaction.  A try that met a full map wrote nothing and runs again.
 */
struct merging {
	struct kt_hub *h;
	uint32_t max;
	uint64_t done, left;
};

static int merge_some(void *ctx, struct kt_err *err)
{
	static const char *const names[] = { KT_HUB_META_MERGED };
	struct merging *mg = ctx;
	struct kt_store *st = &mg->h->st;
	uint64_t merged = 0, pos = 0;
	MDB_txn *txn;
	int rc;

	mg->done = mg->left = 0;
	if ((rc = kt_store_wbegin(st, &txn, err)) != 0)
		return rc;
	if ((rc = kt_meta_u64(st, txn, KT_HUB_META_MERGED, &merged)) != 0) {
		mdb_txn_abort(txn);
		return kt_mdb_err(err, rc, "read the merge position");
	}
	if (merged >= st->w_logpos) {
		mdb_txn_abort(txn);
		return 0;
	}
	rc = merge_log(st, txn, merged, mg->max, &pos, &mg->done, err);
	if (rc == 0 && (rc = kt_meta_put_u64(st, txn, names[0], pos)) != 0)
		rc = kt_mdb_err(err, rc, "save the merge position");
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	mg->left = st->w_logpos - pos;
	return kt_store_wcommit_lazy(st, txn, err); /* undone by a power cut: merged again */
}

int kt_hub_merge(struct kt_hub *h, uint32_t max, uint64_t *left, struct kt_err *err)
{
	struct merging mg = { h, max, 0, 0 };
	int rc = kt_store_retry(&h->st, merge_some, &mg, err);

	if (left != NULL)
		*left = mg.left;
	return rc;
}

int kt_hub_catch_up(struct kt_hub *h, struct kt_err *err)
{
	uint64_t left = 1;
	int rc = 0;

	/* Bounded: each round merges KT_HUB_MERGE_SLICE changes or ends the log. */
	while (rc == 0 && left > 0)
		rc = kt_hub_merge(h, KT_HUB_MERGE_SLICE, &left, err);
	return rc;
}

uint64_t kt_hub_merge_lag(struct kt_hub *h, MDB_txn *txn)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t head = 0, merged = 0;

	if (mdb_cursor_open(txn, h->st.log, &cur) == 0) {
		if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
			head = kt_be64_get(k.mv_data);
		mdb_cursor_close(cur);
	}
	kt_meta_u64(&h->st, txn, KT_HUB_META_MERGED, &merged);
	return head > merged ? head - merged : 0;
}

int kt_hub_digest(struct kt_hub *h, uint8_t out[KT_HASH_BYTES], struct kt_err *err)
{
	uint64_t merged = 0, pos, done;
	MDB_txn *txn;
	int rc = kt_hub_catch_up(h, err);

	if (rc != KT_ENOSPC)
		return rc != 0 ? rc : kt_store_digest(&h->st, out, err);
	/*
	 * A full disk: the merge is made in a transaction that is never
	 * committed, and the digest read inside it, so the digest is the same
	 * and nothing is written.
	 */
	if ((rc = kt_store_wbegin(&h->st, &txn, err)) != 0)
		return rc;
	if ((rc = kt_meta_u64(&h->st, txn, KT_HUB_META_MERGED, &merged)) != 0)
		rc = kt_mdb_err(err, rc, "read the merge position");
	else if (merged < h->st.w_logpos)
		rc = merge_log(&h->st, txn, merged, UINT64_MAX, &pos, &done, err);
	if (rc == 0)
		rc = kt_store_digest_in(&h->st, txn, out, err);
	mdb_txn_abort(txn);
	h->st.w_voided = 0;
	return rc;
}

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
/*
 * A node kept changes without effect (their seal does not open, their
 * client's key is not held, or they name a record under another type or
 * owner): the hub cannot open a seal, so it hears of it from the node and
 * puts it in its log by branch, origin and seqs.
 */
static int void_report(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m,
		       struct kt_hub_out *out, struct kt_err *err)
{
	static const char *const why[] = { "", "their seal does not open",
					   "their client's data key does not open",
					   "they name a record under another client or type" };
	char by[KT_BRANCH_BYTES_MAX + 1], of[KT_BRANCH_BYTES_MAX + 1];
	uint64_t origin = bound_origin(h, key, out);

	if (origin == 0)
		return kt_err_set(err, KT_EREFUSED, "void report from a key that did not say hello");
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
	if (member(h, txn, key, &origin, &revoked) == 0 && !revoked)
		bad = kt_hub_damaged(h, txn, origin);
	mdb_txn_abort(txn);
	if (origin == 0 || revoked)
		return;
	/* A signature first: the node answers it at once, and a gap ends its turn. */
	ask_resign(h, origin, out);
	if (bad != 0 && out->n < KT_HUB_OUT_MAX)
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_GAP, bad, "the hub's copy of this "
			      "change is damaged: send it again");
}

static int dispatch(void *ctx, struct kt_err *err)
{
	struct handling *d = ctx;
	int rc;

	d->out->n = 0;
	d->out->note[0] = '\0';
	switch (d->m->type) {
	case KT_MSG_HELLO:
		return hello(d->h, d->key, d->m, d->now_ms, d->out, err);
	case KT_MSG_PUSH:
		return push(d->h, d->key, d->m, d->now_ms, d->out, err);
	case KT_MSG_PULL:
		if ((rc = pull(d->h, d->key, d->m, d->now_ms, d->out, err)) == 0)
			ask_resend(d->h, d->key, d->out);
		return rc;
	case KT_MSG_VOID:
		return void_report(d->h, d->key, d->m, d->out, err);
	case KT_MSG_REFETCH:
		return refetch(d->h, d->key, d->m, d->out, err);
	default:
		kt_msg_refuse(out_next(d->out, 0), KT_REFUSE_BAD, 0, "not a message for the hub");
		return kt_err_set(err, KT_EINVAL, "message of type %d is not for the hub",
				  d->m->type);
	}
}

int kt_hub_handle(struct kt_hub *h, const uint8_t key[KT_PUBKEY_BYTES], const uint8_t *msg,
		  size_t len, uint64_t now_ms, struct kt_hub_out *out, struct kt_err *err)
{
	struct kt_msg *m = kt_malloc(sizeof(*m));
	struct handling hd = { h, key, m, now_ms, out };
	int rc = kt_msg_decode(m, msg, len, err);

	out->n = 0;
	out->note[0] = '\0';
	if (rc != 0)
		kt_msg_refuse(out_next(out, 0), KT_REFUSE_BAD, 0, "malformed message");
	else
		rc = kt_store_retry(&h->st, dispatch, &hd, err); /* a full map grows */
	kt_msg_release(m);
	free(m);
	return rc;
}

void kt_hub_peers_init(struct kt_hub_peers *ps, size_t cap)
{
	ps->n = 0;
	ps->cap = cap == 0 || cap > KT_HUB_PEERS_MAX ? KT_HUB_PEERS_MAX : cap;
}

static size_t peer_at(const struct kt_hub_peers *ps, const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].n == n && memcmp(ps->p[i].id, id, n) == 0)
			return i;
	return ps->n;
}

int kt_hub_peers_has(const struct kt_hub_peers *ps, const uint8_t *id, size_t n)
{
	return peer_at(ps, id, n) < ps->n;
}

void kt_hub_peers_heard(struct kt_hub_peers *ps, const uint8_t *id, size_t n, uint64_t now_ms)
{
	size_t i = peer_at(ps, id, n);

	if (n == 0 || n > KT_HUB_PEER_ID_BYTES)
		return;
	if (i == ps->n && ps->n == ps->cap) {
		size_t oldest = 0;

		for (size_t k = 1; k < ps->n; k++)
			if (ps->p[k].heard_ms < ps->p[oldest].heard_ms)
				oldest = k;
		i = oldest; /* full: the one heard longest ago makes room */
	} else if (i == ps->n) {
		ps->n++;
	}
	memcpy(ps->p[i].id, id, n);
	ps->p[i].n = n;
	ps->p[i].heard_ms = now_ms;
}

void kt_hub_peers_forget(struct kt_hub_peers *ps, const uint8_t *id, size_t n)
{
	size_t i = peer_at(ps, id, n);

	if (i < ps->n)
		ps->p[i] = ps->p[--ps->n];
}

size_t kt_hub_peers_sweep(struct kt_hub_peers *ps, uint64_t now_ms)
{
	size_t gone = 0;

	for (size_t i = 0; i < ps->n;)
		if (now_ms - ps->p[i].heard_ms > KT_HUB_PEER_IDLE_MS) {
			ps->p[i] = ps->p[--ps->n];
			gone++;
		} else {
			i++;
		}
	return gone;
}
