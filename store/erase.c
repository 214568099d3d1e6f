/*
 * store/erase.c - what a shred leaves behind, swept at the commit of the
 * transaction that applied it (docs/PRIVACY.md, "Erasure"): her changes in
 * the log become stubs (proto/stub.h), and every entry naming her in the
 * indexes (idx, bday), the blind tokens, the merged cards and the conflicts
 * goes; store/apply.c has purged her records and her data key already.  A
 * change to an erased client that comes later is stored as a stub (the
 * node's and the hub's ingest, store/ingest.c) or, merged behind at the hub, redacted here,
 * and counted (meta "erased_dropped").  After a sweep the store is due a
 * rewrite into a fresh file (store/rewrite.c: LMDB keeps freed pages'
 * bytes).  Also her merge group, for `client erase`.
 */
#include "store_int.h"
#include "proto/stub.h"

#include <stdlib.h>
#include <string.h>

struct kt_erasing {
	struct kt_id *owners;      /* shredded in this transaction */
	size_t nowners, cap_owners;
	struct drop { uint64_t origin, seq; } *drops; /* merged changes dropped, to redact */
	size_t ndrops, cap_drops;
};

static struct kt_erasing *erasing(struct kt_store *st)
{
	if (st->w_erase == NULL)
		st->w_erase = kt_calloc(1, sizeof(*st->w_erase));
	return st->w_erase;
}

void kt_erase_reset(struct kt_store *st)
{
	st->w_erased_dropped = 0;
	if (st->w_erase != NULL)
		st->w_erase->nowners = st->w_erase->ndrops = 0;
}

void kt_erase_release(struct kt_store *st)
{
	if (st->w_erase != NULL) {
		free(st->w_erase->owners);
		free(st->w_erase->drops);
	}
	free(st->w_erase);
	st->w_erase = NULL;
}

void kt_erase_note_shred(struct kt_store *st, const struct kt_id *owner)
{
	struct kt_erasing *e = erasing(st);

	if (e->nowners == e->cap_owners) {
		e->cap_owners = e->cap_owners ? 2 * e->cap_owners : 8;
		e->owners = kt_realloc(e->owners, e->cap_owners * sizeof(*e->owners));
	}
	e->owners[e->nowners++] = *owner;
}

void kt_erase_note_drop(struct kt_store *st, const struct kt_change *c)
{
	struct kt_erasing *e = erasing(st);

	if (e->ndrops == e->cap_drops) {
		e->cap_drops = e->cap_drops ? 2 * e->cap_drops : 8;
		e->drops = kt_realloc(e->drops, e->cap_drops * sizeof(*e->drops));
	}
	e->drops[e->ndrops].origin = c->origin;
	e->drops[e->ndrops++].seq = c->seq;
	st->w_erased_dropped++;
}

int kt_is_erased(struct kt_store *st, MDB_txn *txn, const struct kt_id *owner)
{
	MDB_val key = { KT_ID_BYTES, (void *)owner->b }, v;

	return mdb_get(txn, st->shred, &key, &v) == 0;
}

int kt_store_erased(struct kt_store *st, MDB_txn *txn, const struct kt_id *id)
{
	return kt_is_erased(st, txn, id);
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, KT_ID_BYTES);
}

static int among(const struct kt_erasing *e, const uint8_t *id)
{
	return bsearch(id, e->owners, e->nowners, sizeof(e->owners[0]), cmp_id) != NULL;
}

/* A redaction found by the log walk: where, and the stub that takes its place. */
struct redaction {
	uint64_t pos;
	uint8_t stub[KT_STUB_BYTES];
};

/*
 * Every whole change in the log owned by an owner of e, but the shreds,
 * into *out (free it): one walk over the log, each header decoded.
 */
static int find_changes(struct kt_store *st, MDB_txn *txn, const struct kt_erasing *e,
			struct redaction **out, size_t *n, struct kt_err *err)
{
	struct kt_change *c = kt_malloc(sizeof(*c));
	struct kt_log_cur cur;
	struct kt_bytes b;
	size_t cap = 0;
	uint64_t at;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = kt_log_open(st, txn, &cur)) != 0) {
		free(c);
		return kt_mdb_err(err, rc, "read the log");
	}
	/* Bounded by the log; erasures are rare, and each is one walk. */
	for (rc = kt_log_seek(&cur, 1, &at, &b); rc == 0; rc = kt_log_next(&cur, &at, &b)) {
		uint8_t hash[KT_HASH_BYTES];

		if (kt_stub_is(b.p, b.n) || kt_change_decode(c, b.p, b.n, NULL) != 0 ||
		    !among(e, c->owner.b) || kt_change_is_shred(c))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = kt_realloc(*out, cap * sizeof(**out));
		}
		kt_hash(hash, b.p, b.n);
		(*out)[*n].pos = at;
		kt_stub_encode(c, hash, (*out)[(*n)++].stub);
	}
	kt_log_close(&cur);
	free(c);
	return rc == KT_ENOTFOUND ? 0 : kt_mdb_err(err, rc, "read the log");
}

/* Her changes in the log made stubs, in place. */
static int redact_log(struct kt_store *st, MDB_txn *txn, const struct kt_erasing *e,
		      struct kt_err *err)
{
	struct redaction *r;
	size_t n;
	int rc = find_changes(st, txn, e, &r, &n, err);

	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = kt_log_put(st, txn, r[i].pos, r[i].stub, KT_STUB_BYTES)) != 0)
			rc = kt_mdb_err(err, rc, "redact a change");
	free(r);
	return rc;
}

/* The log position of origin's change seq, read from the chain (0: none). */
static uint64_t chain_pos(struct kt_store *st, MDB_txn *txn, uint64_t origin, uint64_t seq)
{
	uint8_t k[16];
	MDB_val key = { sizeof(k), k }, v;

	kt_be64_put(k, origin);
	kt_be64_put(k + 8, seq);
	if (mdb_get(txn, st->chain, &key, &v) != 0 || v.mv_size != KT_HASH_BYTES + 8)
		return 0;
	return kt_be64_get((uint8_t *)v.mv_data + KT_HASH_BYTES);
}

/* The changes the merge dropped (the hub's, stored before her shred was merged) made stubs. */
static int redact_drops(struct kt_store *st, MDB_txn *txn, const struct kt_erasing *e,
			struct kt_err *err)
{
	struct kt_change *c = kt_malloc(sizeof(*c));
	int rc = 0;

	for (size_t i = 0; i < e->ndrops && rc == 0; i++) {
		uint8_t hash[KT_HASH_BYTES], stub[KT_STUB_BYTES];
		struct kt_bytes b;
		uint64_t pos;

		if ((pos = chain_pos(st, txn, e->drops[i].origin, e->drops[i].seq)) == 0 ||
		    kt_log_get(st, txn, pos, &b) != 0 || kt_stub_is(b.p, b.n) ||
		    kt_change_decode(c, b.p, b.n, NULL) != 0)
			continue;
		kt_hash(hash, b.p, b.n);
		kt_stub_encode(c, hash, stub);
		if ((rc = kt_log_put(st, txn, pos, stub, sizeof(stub))) != 0)
			rc = kt_mdb_err(err, rc, "redact a change");
	}
	free(c);
	return rc;
}

/*
 * Deletes each entry of dbi whose key names an owner of e: in its last 16
 * bytes (idx, bday, tokens), or in its first 16 too (both: merged).  One
 * walk over the table.
 */
static int sweep_table(struct kt_store *st, MDB_txn *txn, MDB_dbi dbi, int both,
		       struct kt_err *err)
{
	const struct kt_erasing *e = st->w_erase;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		const uint8_t *p = k.mv_data;
		int hers = k.mv_size >= KT_ID_BYTES &&
			   (among(e, p + k.mv_size - KT_ID_BYTES) || (both && among(e, p)));

		rc = hers ? kt_cursor_del_next(cur, &k, &v) : mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : kt_mdb_err(err, rc, "purge an erased client's entries");
}

/* Deletes the conflicts of records that have no head any more (purged). */
static int sweep_conflicts(struct kt_store *st, MDB_txn *txn, struct kt_err *err)
{
	uint8_t rk[KT_RECKEY_BYTES];
	MDB_val k, v, hv;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, st->conflicts, &cur);

	if (rc != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;) {
		struct kt_id id;
		MDB_val key;

		if (k.mv_size < KT_ID_BYTES) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
			continue;
		}
		memcpy(id.b, k.mv_data, KT_ID_BYTES);
		key = (MDB_val){ kt_reckey(rk, &id, KT_F_HEAD, NULL), rk };
		rc = mdb_get(txn, st->rec, &key, &hv) == MDB_NOTFOUND ?
			kt_cursor_del_next(cur, &k, &v) : mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : kt_mdb_err(err, rc, "purge an erased client's conflicts");
}

int kt_erase_sweep(struct kt_store *st, MDB_txn *txn, struct kt_err *err)
{
	struct kt_erasing *e = st->w_erase;
	uint64_t n = 0;
	int rc = 0;

	if (st->w_erased_dropped > 0 &&
	    ((rc = kt_meta_u64(st, txn, KT_META_ERASED_DROPPED, &n)) != 0 ||
	     (rc = kt_meta_put_u64(st, txn, KT_META_ERASED_DROPPED, n + st->w_erased_dropped)) != 0))
		return kt_mdb_err(err, rc, "count the changes to erased clients");
	if (e == NULL || (e->nowners == 0 && e->ndrops == 0))
		return 0;
	qsort(e->owners, e->nowners, sizeof(e->owners[0]), cmp_id);
	if (e->nowners > 0 &&
	    ((rc = redact_log(st, txn, e, err)) != 0 ||
	     (rc = sweep_table(st, txn, st->idx, 0, err)) != 0 ||
	     (rc = sweep_table(st, txn, st->bday, 0, err)) != 0 ||
	     (rc = sweep_table(st, txn, st->tokens, 0, err)) != 0 ||
	     (rc = sweep_table(st, txn, st->merged, 1, err)) != 0 ||
	     (rc = sweep_conflicts(st, txn, err)) != 0))
		return rc;
	if ((rc = redact_drops(st, txn, e, err)) != 0)
		return rc;
	if ((rc = kt_meta_put_u64(st, txn, KT_META_REWRITE_DUE, 1)) != 0)
		return kt_mdb_err(err, rc, "note the store's rewrite");
	st->w_swept = 1;
	return 0;
}

uint64_t kt_store_erased_dropped(struct kt_store *st, MDB_txn *txn)
{
	uint64_t n = 0;

	kt_meta_u64(st, txn, KT_META_ERASED_DROPPED, &n);
	return n;
}

/* ---- her merge group, for `client erase` ---- */

struct group {
	struct kt_id *ids;
	size_t n, cap;
};

static int in_group(const struct group *g, const struct kt_id *id)
{
	for (size_t i = 0; i < g->n; i++)
		if (kt_id_cmp(&g->ids[i], id) == 0)
			return 1;
	return 0;
}

static int group_add(struct group *g, const struct kt_id *id)
{
	if (in_group(g, id))
		return 0;
	if (g->n == g->cap)
		return KT_ETOOBIG;
	g->ids[g->n++] = *id;
	return 0;
}

int kt_store_erase_group(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			 struct kt_id *out, size_t cap, size_t *n, struct kt_err *err)
{
	struct group g = { out, 0, cap };
	struct kt_id merged[64];
	int rc = group_add(&g, id);

	/* Bounded: each card is walked once, and the group by cap. */
	for (size_t at = 0; at < g.n && rc == 0; at++) {
		struct kt_id card = g.ids[at], to;
		struct kt_version ver;
		size_t m = 0;

		if (kt_store_alias_reg(st, txn, &card, &to, &ver) == 1 &&
		    kt_store_is_client(st, txn, &to))
			rc = group_add(&g, &to);
		if (rc == 0 && (rc = kt_store_merged_into(st, txn, &card, merged, 64, &m, err)) != 0)
			break;
		if (m > 64)
			rc = KT_ETOOBIG;
		for (size_t i = 0; i < m && i < 64 && rc == 0; i++)
			if (kt_store_is_client(st, txn, &merged[i]))
				rc = group_add(&g, &merged[i]);
	}
	*n = g.n;
	if (rc == KT_ETOOBIG)
		return kt_err_set(err, KT_ETOOBIG, "her merge group holds more than %zu cards", cap);
	return rc;
}
