/*
 * hub_store.c - the codec of the hub's two tables, pushes and members
 * (layouts in hub_store.h): the one hub file that calls LMDB on them.
 */
#include "hub_store.h"

#include <string.h>

static void member_decode(struct kt_member *m, const MDB_val *v)
{
	const uint8_t *b = v->mv_data;

	m->origin = kt_be64_get(b);
	m->revoked = b[8];
	m->contact_ms = kt_be64_get(b + 9);
	m->branch = (const char *)b + KT_MEMBER_FIXED;
	m->branch_len = v->mv_size - KT_MEMBER_FIXED;
}

int kt_member_get(struct kt_store *st, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES],
		  struct kt_member *m)
{
	MDB_val k = { KT_PUBKEY_BYTES, (void *)key }, v;
	int rc = mdb_get(txn, st->members, &k, &v);

	if (rc != 0)
		return rc;
	if (v.mv_size < KT_MEMBER_FIXED)
		return MDB_CORRUPTED;
	member_decode(m, &v);
	return 0;
}

int kt_member_put(struct kt_store *st, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES],
		  const struct kt_member *m, int create)
{
	uint8_t rec[KT_MEMBER_FIXED + KT_BRANCH_BYTES_MAX];
	MDB_val k = { KT_PUBKEY_BYTES, (void *)key }, v = { KT_MEMBER_FIXED + m->branch_len, rec };

	if (!kt_member_fits(m))
		return MDB_BAD_VALSIZE;
	kt_be64_put(rec, m->origin);
	rec[8] = (uint8_t)m->revoked;
	kt_be64_put(rec + 9, m->contact_ms);
	memcpy(rec + KT_MEMBER_FIXED, m->branch, m->branch_len); /* before the put: m may borrow */
	return mdb_put(txn, st->members, &k, &v, create ? MDB_NOOVERWRITE : 0);
}

int kt_member_del(struct kt_store *st, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES])
{
	return mdb_del(txn, st->members, &(MDB_val){ KT_PUBKEY_BYTES, (void *)key }, NULL);
}

int kt_member_each(struct kt_store *st, MDB_txn *txn, kt_member_fn fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, stop = 0;

	if ((rc = mdb_cursor_open(txn, st->members, &cur)) != 0)
		return rc;
	/* Bounded by the members, or fn's word. */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && stop == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct kt_member m;

		if (k.mv_size != KT_PUBKEY_BYTES || v.mv_size < KT_MEMBER_FIXED)
			continue;
		member_decode(&m, &v);
		stop = fn(ctx, k.mv_data, &m);
	}
	mdb_cursor_close(cur);
	if (stop != 0)
		return stop;
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static void push_decode(struct kt_push_rec *r, const MDB_val *k, const MDB_val *v)
{
	const uint8_t *b = v->mv_data;

	r->last = k->mv_size == 8 ? kt_be64_get(k->mv_data) : 0;
	r->whole = v->mv_size == KT_PUSH_REC_BYTES;
	r->origin = v->mv_size >= 8 ? kt_be64_get(b) : 0;
	r->first = r->whole ? kt_be64_get(b + 8) : 0;
	r->sig = r->whole ? b + 16 : NULL;
}

static void push_encode(uint8_t rec[KT_PUSH_REC_BYTES], const struct kt_push_rec *r)
{
	kt_be64_put(rec, r->origin);
	kt_be64_put(rec + 8, r->first);
	memcpy(rec + 16, r->sig, KT_SIG_BYTES);
}

int kt_push_rec_get(struct kt_store *st, MDB_txn *txn, uint64_t last, struct kt_push_rec *r)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	int rc;

	kt_be64_put(kb, last);
	if ((rc = mdb_get(txn, st->pushes, &k, &v)) != 0)
		return rc;
	push_decode(r, &k, &v);
	return 0;
}

int kt_push_rec_put(struct kt_store *st, MDB_txn *txn, const struct kt_push_rec *r, int append)
{
	uint8_t kb[8], rec[KT_PUSH_REC_BYTES];

	kt_be64_put(kb, r->last);
	push_encode(rec, r); /* before the put: sig may borrow */
	return mdb_put(txn, st->pushes, &(MDB_val){ 8, kb }, &(MDB_val){ sizeof(rec), rec },
		       append ? MDB_APPEND : 0);
}

int kt_push_rec_del(struct kt_store *st, MDB_txn *txn, uint64_t last)
{
	uint8_t kb[8];

	kt_be64_put(kb, last);
	return mdb_del(txn, st->pushes, &(MDB_val){ 8, kb }, NULL);
}

int kt_push_open(struct kt_store *st, MDB_txn *txn, struct kt_push_cur *c)
{
	return mdb_cursor_open(txn, st->pushes, &c->cur);
}

static int push_move(struct kt_push_cur *c, MDB_val *k, MDB_cursor_op op, struct kt_push_rec *r)
{
	MDB_val v;
	int rc = mdb_cursor_get(c->cur, k, &v, op);

	if (rc == 0)
		push_decode(r, k, &v);
	return rc;
}

int kt_push_first(struct kt_push_cur *c, struct kt_push_rec *r)
{
	MDB_val k;

	return push_move(c, &k, MDB_FIRST, r);
}

int kt_push_seek(struct kt_push_cur *c, uint64_t pos, struct kt_push_rec *r)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb };

	kt_be64_put(kb, pos);
	return push_move(c, &k, MDB_SET_RANGE, r);
}

int kt_push_next(struct kt_push_cur *c, struct kt_push_rec *r)
{
	MDB_val k;

	return push_move(c, &k, MDB_NEXT, r);
}

int kt_push_prev(struct kt_push_cur *c, struct kt_push_rec *r)
{
	MDB_val k;

	return push_move(c, &k, MDB_PREV, r);
}

int kt_push_update(struct kt_push_cur *c, const struct kt_push_rec *r)
{
	uint8_t kb[8], rec[KT_PUSH_REC_BYTES];

	kt_be64_put(kb, r->last);
	push_encode(rec, r);
	return mdb_cursor_put(c->cur, &(MDB_val){ 8, kb }, &(MDB_val){ sizeof(rec), rec },
			      MDB_CURRENT);
}

void kt_push_close(struct kt_push_cur *c)
{
	if (c->cur != NULL)
		mdb_cursor_close(c->cur);
	c->cur = NULL;
}
