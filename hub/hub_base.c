/*
 * hub_base.c - the ground the hub's engine files stand on, calling none of
 * them: opening and closing the hub, what one message makes it say, the
 * meta names it keeps per origin (pulled, damaged, resign), its members as
 * the machine reads them (bound origin, branch), and the REFUSE 10 asks.
 */
#include "hub_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

msgpack_sbuffer *hub_out_next(struct kt_hub_out *o, int to_all)
{
	kt_assert(o->n < KT_HUB_OUT_MAX);
	o->m[o->n].to_all = to_all;
	return &o->m[o->n++].msg;
}

void hub_damaged_name(char out[32], uint64_t origin)
{
	snprintf(out, 32, "damaged:%016llx", (unsigned long long)origin);
}

void hub_resign_name(char out[48], uint64_t origin, uint64_t seq)
{
	snprintf(out, 48, "resign:%016llx:%016llx", (unsigned long long)origin,
		 (unsigned long long)seq);
}

void hub_pulled_name(char out[32], uint64_t origin)
{
	snprintf(out, 32, "pulled:%016llx", (unsigned long long)origin);
}

const char hub_sig_damaged[] = "the push's signature does not verify";

int kt_hub_init(const char *dir, const char *listen, struct kt_err *err)
{
	return kt_store_init_hub(dir, listen, err);
}

int kt_hub_open(struct kt_hub *h, const char *dir, struct kt_err *err)
{
	struct kt_bytes b;
	MDB_txn *txn;
	uint64_t merged;
	int rc;

	h->scratch_map = 0;
	h->w = NULL;
	memset(&h->inv, 0, sizeof(h->inv));
	if ((rc = kt_store_open_as(&h->st, dir, 1, err)) != 0)
		return rc;
	h->w = kt_malloc(sizeof(*h->w));
	if ((rc = kt_store_rdtxn(&h->st, &txn, err)) != 0)
		goto fail;
	rc = kt_meta_get(&h->st, txn, KT_HUB_META_MERGED, &b);
	h->inv.head = kt_log_last(&h->st, txn);
	mdb_txn_abort(txn);
	if (rc == KT_ENOTFOUND) {
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
	kt_hub_close(h);
	return rc;
}

void kt_hub_close(struct kt_hub *h)
{
	kt_store_close(&h->st);
	free(h->w);
	h->w = NULL;
}

uint64_t kt_hub_head(struct kt_hub *h)
{
	MDB_txn *txn;
	uint64_t head;

	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return 0;
	head = kt_log_last(&h->st, txn);
	mdb_txn_abort(txn);
	return head;
}

int hub_member(struct kt_hub *h, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES],
		  uint64_t *origin, int *revoked)
{
	struct kt_member m;

	if (kt_member_get(&h->st, txn, key, &m) != 0)
		return -1;
	*origin = m.origin;
	*revoked = m.revoked;
	return 0;
}

void kt_hub_branch_of(struct kt_hub *h, const uint8_t key[KT_PUBKEY_BYTES], char *out,
		      size_t cap, int *revoked)
{
	struct kt_member m;
	MDB_txn *txn;

	out[0] = '\0';
	if (revoked != NULL)
		*revoked = 0;
	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return;
	if (kt_member_get(&h->st, txn, key, &m) == 0 && m.branch_len < cap) {
		memcpy(out, m.branch, m.branch_len);
		out[m.branch_len] = '\0';
		if (revoked != NULL)
			*revoked = m.revoked;
	}
	mdb_txn_abort(txn);
}

/* The seqs of hub_ask_resign's marks, up to cap (the room in its out). */
struct resigns {
	uint64_t seqs[KT_HUB_OUT_MAX];
	uint32_t n, cap;
};

static int resign_seen(void *ctx, const char *name, size_t n, struct kt_bytes v)
{
	struct resigns *r = ctx;
	char q[17];

	(void)v;
	if (n != HUB_RESIGN_NAME_BYTES || r->n >= r->cap)
		return 1;
	memcpy(q, name + HUB_RESIGN_NAME_BYTES - 16, 16);
	q[16] = '\0';
	r->seqs[r->n++] = strtoull(q, NULL, 16);
	return 0;
}

/* The prefix of origin's "resign:" marks: "resign:<origin 16 hex>:". */
static void resign_prefix(char out[48], uint64_t origin)
{
	hub_resign_name(out, origin, 0);
	out[HUB_RESIGN_NAME_BYTES - 16] = '\0';
}

/*
 * REFUSE 10 to origin for each push of it whose signature the hub holds
 * damaged, lowest first, as many as out has room for but one.
 */
void hub_ask_resign(struct kt_hub *h, MDB_txn *txn, uint64_t origin, struct kt_hub_out *out)
{
	struct resigns r = { { 0 }, 0, 0 };
	char prefix[48];

	if (out->n + 1 >= KT_HUB_OUT_MAX)
		return;
	r.cap = KT_HUB_OUT_MAX - 1 - out->n;
	resign_prefix(prefix, origin);
	kt_meta_each(&h->st, txn, prefix, resign_seen, &r); /* bounded by the room in out */
	for (uint32_t i = 0; i < r.n; i++)
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_RESIGN, r.seqs[i], "the hub's copy of "
			      "the signature of this change is damaged: sign it again");
}

static int resign_counted(void *ctx, const char *name, size_t n, struct kt_bytes v)
{
	(void)name;
	(void)v;
	if (n != HUB_RESIGN_NAME_BYTES)
		return 1;
	(*(uint64_t *)ctx)++;
	return 0;
}

uint64_t kt_hub_resign_count(struct kt_hub *h, MDB_txn *txn, uint64_t origin)
{
	char prefix[48];
	uint64_t n = 0;

	resign_prefix(prefix, origin);
	kt_meta_each(&h->st, txn, prefix, resign_counted, &n); /* bounded by that origin's marks */
	return n;
}

uint64_t hub_bound_origin(struct kt_hub *h, const uint8_t *key, struct kt_hub_out *out)
{
	MDB_txn *txn;
	uint64_t origin = 0;
	int revoked = 1;

	if (kt_store_rdtxn(&h->st, &txn, NULL) == 0) {
		if (hub_member(h, txn, key, &origin, &revoked) != 0 || revoked)
			origin = 0;
		mdb_txn_abort(txn);
	}
	if (origin == 0)
		kt_msg_refuse(hub_out_next(out, 0), KT_REFUSE_UNKNOWN, 0, "say hello first");
	return origin;
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

uint64_t kt_hub_pulled(struct kt_hub *h, MDB_txn *txn, uint64_t origin)
{
	return kt_hub_origin_u64(h, txn, "pulled", origin);
}

uint64_t kt_hub_contact(struct kt_hub *h, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES])
{
	struct kt_member m;

	if (kt_member_get(&h->st, txn, key, &m) != 0)
		return 0;
	return m.contact_ms;
}

void kt_hub_origin_branch(struct kt_hub *h, uint64_t origin, char *out, size_t cap)
{
	char okey[KT_META_KEY_NAME_BYTES];
	uint8_t key[KT_PUBKEY_BYTES];
	struct kt_bytes v;
	MDB_txn *txn;
	int got;

	snprintf(out, cap, "?");
	kt_meta_key_name(okey, origin);
	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return;
	got = kt_meta_get(&h->st, txn, okey, &v) == 0 && v.n == KT_PUBKEY_BYTES;
	if (got)
		memcpy(key, v.p, sizeof(key));
	mdb_txn_abort(txn);
	if (got)
		kt_hub_branch_of(h, key, out, cap, NULL);
}
