/*
 * test_rest.c - field values sealed at rest (store/rest.c): the seal binds
 * a value to its record, field and version or tag; a node's rec and
 * conflicts tables hold every value but the search's sealed, and data.mdb
 * holds none of them in clear; loads, set removals by value and conflicts
 * read them back; a store written before sealing opens, is sealed once
 * and, once rewritten, holds none of its old clear values.
 */
#include "t.h"
#include "store_harness.h"
#include "store_int.h"
#include "card.h"
#include "hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_seal_binds_its_position(void)
{
	uint8_t key[KT_KEY_BYTES], other[KT_KEY_BYTES], nonce[KT_NONCE_BYTES], n2[KT_NONCE_BYTES];
	uint8_t sealed[64], plain[64];
	const uint8_t packed[] = { 0xa5, 'h', 'e', 'l', 'l', 'o' };
	struct kt_version v = { 1000, 7 }, w = { 1001, 7 };
	struct kt_id id, id2;
	uint8_t tag[KT_TAG_BYTES_SET];
	size_t n, m;

	kt_key_new(key);
	kt_key_new(other);
	memset(id.b, 1, KT_ID_BYTES);
	memset(id2.b, 2, KT_ID_BYTES);
	kt_rest_nonce_lww(nonce, &id, 5, &v);
	n = kt_rest_seal(sealed, packed, sizeof(packed), nonce, key);
	T_EQ_INT(n, sizeof(packed) + KT_REST_OVERHEAD);
	T_CHECK(kt_rest_sealed(sealed, n) && !kt_rest_sealed(packed, sizeof(packed)));
	T_CHECK(memmem(sealed, n, "hello", 5) == NULL);
	T_EQ_INT(kt_rest_open(plain, sealed, n, nonce, key, &m, NULL), 0);
	T_CHECK(m == sizeof(packed) && memcmp(plain, packed, m) == 0);
	/* The same write sealed again is the same bytes: no nonce is stored. */
	{
		uint8_t again[64];

		kt_rest_seal(again, packed, sizeof(packed), nonce, key);
		T_CHECK(memcmp(again, sealed, n) == 0);
	}
	/* Another record, field, version, kind, key, or a flipped byte: does not open. */
	kt_rest_nonce_lww(n2, &id2, 5, &v);
	T_EQ_INT(kt_rest_open(plain, sealed, n, n2, key, &m, NULL), KT_ECORRUPT);
	kt_rest_nonce_lww(n2, &id, 6, &v);
	T_EQ_INT(kt_rest_open(plain, sealed, n, n2, key, &m, NULL), KT_ECORRUPT);
	kt_rest_nonce_lww(n2, &id, 5, &w);
	T_EQ_INT(kt_rest_open(plain, sealed, n, n2, key, &m, NULL), KT_ECORRUPT);
	kt_version_put(tag, &v);
	kt_rest_nonce_elem(n2, &id, 5, tag);
	T_EQ_INT(kt_rest_open(plain, sealed, n, n2, key, &m, NULL), KT_ECORRUPT);
	T_EQ_INT(kt_rest_open(plain, sealed, n, nonce, other, &m, NULL), KT_ECORRUPT);
	for (size_t at = 1; at < n; at++) {
		sealed[at] ^= 0x20;
		T_EQ_INT(kt_rest_open(plain, sealed, n, nonce, key, &m, NULL), KT_ECORRUPT);
		sealed[at] ^= 0x20;
	}
	for (size_t cut = 0; cut < n; cut++)
		T_EQ_INT(kt_rest_open(plain, sealed, cut, nonce, key, &m, NULL), KT_ECORRUPT);
	/* The fields the search reads stay clear; every other stays sealed. */
	T_CHECK(kt_rest_clear(KT_T_CLIENT, KT_CLIENT_NAME) && kt_rest_clear(KT_T_CLIENT, KT_CLIENT_PHONE) &&
		kt_rest_clear(KT_T_CLIENT, KT_CLIENT_EMAIL) &&
		kt_rest_clear(KT_T_CLIENT, KT_CLIENT_BIRTHDAY) &&
		kt_rest_clear(KT_T_CLIENT, KT_CLIENT_PHONE_E164));
	T_CHECK(!kt_rest_clear(KT_T_CLIENT, kt_schema_field_named(KT_T_CLIENT, "health_notes")->num));
	T_CHECK(!kt_rest_clear(KT_T_CLIENT, kt_schema_field_named(KT_T_CLIENT, "allergies")->num));
	T_CHECK(!kt_rest_clear(KT_T_VISIT, 1) && !kt_rest_clear(KT_T_AUDIT, 5) &&
		!kt_rest_clear(KT_T_STAFF, 1));
}

static struct kt_draft d[2];

#define NOTE "Гиперпупырчатость-XQ7"
#define ALLERGY "пыльца-амброзии-XQ7"
#define MED "варфарин-XQ7"
#define NAME "Зоя Редкозубова"

static void client(struct kt_store *st, struct kt_id *id)
{
	struct kt_err err;

	kt_id_new(id, kt_wall_ms());
	kt_draft_start(&d[0], KT_T_CLIENT, id, 1, NULL);
	T_CHECK(kt_draft_field(&d[0], "name", NAME, KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "phone", "+7 916 555-01-02", KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "allergies", ALLERGY, KT_OP_ADD, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "medications", MED, KT_OP_ADD, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "health_notes", NOTE, KT_OP_SET, &err) == 0);
	T_EQ_INT(kt_store_write(st, d, 1, NULL, &err), 0);
}

static int file_holds(const char *dir, const char *s)
{
	char p[4200];
	FILE *f;
	long n;
	char *buf;
	int hit = 0;

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	if ((f = fopen(p, "rb")) == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	if (fread(buf, 1, (size_t)n, f) == (size_t)n)
		hit = memmem(buf, (size_t)n, s, strlen(s)) != NULL;
	free(buf);
	fclose(f);
	return hit;
}

/* The rec entries of id: sealed and clear values (heads and aliases aside). */
static void count_values(struct kt_store *st, const struct kt_id *id, int *sealed, int *clear)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	*sealed = *clear = 0;
	T_EQ_INT(kt_store_rdtxn(st, &txn, NULL), 0);
	mdb_cursor_open(txn, st->rec, &cur);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kb = k.mv_data, *p = v.mv_data;
		uint16_t field = kt_be16_get(kb + KT_ID_BYTES);
		size_t at = k.mv_size == KT_RECKEY_BYTES ? 1 : 2 * KT_VER_BYTES;

		if (memcmp(kb, id->b, KT_ID_BYTES) != 0 || field == KT_F_HEAD || v.mv_size <= at)
			continue;
		if (kt_rest_sealed(p + at, v.mv_size - at))
			(*sealed)++;
		else
			(*clear)++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
}

/* The card as loaded: its health note, and whether its allergy and medication are there. */
static void check_card(struct kt_store *st, const struct kt_id *id)
{
	struct kt_rec r;
	MDB_txn *txn;
	char note[128] = "";
	int allergy = 0, med = 0;
	const struct kt_val *v;
	struct kt_err err;

	kt_rec_init(&r);
	T_EQ_INT(kt_store_rdtxn(st, &txn, NULL), 0);
	T_EQ_INT(kt_store_load(st, txn, id, &r, &err), 0);
	if ((v = kt_card_get(&r, "health_notes")) != NULL && v->t == KT_V_STR)
		snprintf(note, sizeof(note), "%.*s", (int)v->n, v->s);
	for (uint32_t i = 0; i < r.nelems; i++) {
		allergy += r.elems[i].v.n == strlen(ALLERGY) &&
			   memcmp(r.elems[i].v.s, ALLERGY, r.elems[i].v.n) == 0;
		med += r.elems[i].v.n == strlen(MED) &&
		       memcmp(r.elems[i].v.s, MED, r.elems[i].v.n) == 0;
	}
	T_EQ_STR(note, NOTE);
	T_EQ_INT(allergy, 1);
	T_EQ_INT(med, 1);
	v = kt_card_get(&r, "name");
	T_CHECK(v != NULL && v->n == strlen(NAME) && memcmp(v->s, NAME, v->n) == 0);
	/* A second load into the same record reuses its buffer and reads the same. */
	T_EQ_INT(kt_store_load(st, txn, id, &r, &err), 0);
	v = kt_card_get(&r, "health_notes");
	T_CHECK(v != NULL && v->n == strlen(NOTE) && memcmp(v->s, NOTE, v->n) == 0);
	mdb_txn_abort(txn);
	kt_rec_release(&r);
	T_CHECK(r.plain == NULL);
}

static void test_node_values_sealed(void)
{
	struct kt_store st;
	struct kt_id id, found[2];
	struct kt_err err;
	MDB_txn *txn;
	int sealed, clear;

	make_node(&st, "sealed", NULL);
	client(&st, &id);
	count_values(&st, &id, &sealed, &clear);
	T_EQ_INT(sealed, 3);       /* the note, the allergy, the medication */
	T_EQ_INT(clear, 3);        /* name, phone, its copy */
	check_card(&st, &id);
	T_EQ_INT(file_holds(st.dir, NOTE), 0);
	T_EQ_INT(file_holds(st.dir, ALLERGY), 0);
	T_EQ_INT(file_holds(st.dir, MED), 0);
	T_EQ_INT(file_holds(st.dir, "Редкозубова"), 1); /* the search reads her name */
	/* Found by name and phone as before, from the clear indexes. */
	T_EQ_INT(kt_store_rdtxn(&st, &txn, NULL), 0);
	T_EQ_INT(kt_store_find(&st, txn, "редкоз", found, 2, NULL, &err), 1);
	T_EQ_INT(kt_store_find(&st, txn, "5550102", found, 2, NULL, &err), 1);
	mdb_txn_abort(txn);
	/* A set element removed by its value: the sealed value is opened to match. */
	kt_draft_start(&d[0], KT_T_CLIENT, &id, 0, NULL);
	T_EQ_INT(kt_draft_field(&d[0], "allergies", ALLERGY, KT_OP_DEL, &err), 0);
	T_EQ_INT(kt_store_write(&st, d, 1, NULL, &err), 0);
	kt_draft_start(&d[0], KT_T_CLIENT, &id, 0, NULL);
	T_EQ_INT(kt_draft_field(&d[0], "allergies", "не-было", KT_OP_DEL, &err), 0);
	T_EQ_INT(kt_store_write(&st, d, 1, NULL, &err), KT_ENOTFOUND);
	{
		struct kt_rec r;

		kt_rec_init(&r);
		T_EQ_INT(kt_store_rdtxn(&st, &txn, NULL), 0);
		T_EQ_INT(kt_store_load(&st, txn, &id, &r, &err), 0);
		T_EQ_INT(r.nelems, 1); /* the medication */
		mdb_txn_abort(txn);
		kt_rec_release(&r);
	}
	/* A moved value does not open: the load says so and gives no half record. */
	{
		uint8_t k[KT_RECKEY_BYTES];
		uint16_t f = kt_schema_field_named(KT_T_CLIENT, "health_notes")->num;
		uint16_t g = kt_schema_field_named(KT_T_CLIENT, "notes")->num;
		MDB_val key = { kt_reckey(k, &id, f, NULL), k }, v;
		struct kt_rec r;

		T_EQ_INT(kt_store_wbegin(&st, &txn, &err), 0);
		T_EQ_INT(mdb_get(txn, st.rec, &key, &v), 0);
		key.mv_size = kt_reckey(k, &id, g, NULL);
		T_EQ_INT(mdb_put(txn, st.rec, &key, &v, 0), 0);
		kt_rec_init(&r);
		T_EQ_INT(kt_store_load(&st, txn, &id, &r, &err), KT_ECORRUPT);
		T_EQ_INT(r.nfields, 0);
		mdb_txn_abort(txn);
		kt_rec_release(&r);
	}
	kt_store_close(&st);
}

struct seen {
	int n, one, two;
};

static int is(const struct kt_val *v, const char *s)
{
	return v->t == KT_V_STR && v->n == strlen(s) && memcmp(v->s, s, v->n) == 0;
}

static int saw(void *ctx, const struct kt_conflict *c)
{
	struct seen *x = ctx;

	x->n++;
	x->one += is(&c->lo_val, "первая-XQ8") || is(&c->hi_val, "первая-XQ8");
	x->two += is(&c->lo_val, "вторая-XQ8") || is(&c->hi_val, "вторая-XQ8");
	return 0;
}

/* Two nodes write one field at once: the kept conflict's two values are sealed too. */
static void test_conflict_values_sealed(void)
{
	struct kt_store a, b;
	struct kt_id id;
	struct kt_err err;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int n = 0, rc;
	struct seen s = { 0, 0, 0 };

	make_node(&a, "ca", NULL);
	make_node(&b, "cb", "ca");
	client(&a, &id);
	/* b takes a's log, then both write health_notes without seeing each other. */
	{
		struct kt_log_cur lc;
		struct kt_bytes by;
		uint64_t at;

		T_EQ_INT(kt_store_rdtxn(&a, &txn, NULL), 0);
		kt_log_open(&a, txn, &lc);
		for (rc = kt_log_seek(&lc, 1, &at, &by); rc == 0; rc = kt_log_next(&lc, &at, &by)) {
			MDB_txn *w;

			T_EQ_INT(kt_store_wbegin(&b, &w, &err), 0);
			T_EQ_INT(kt_store_ingest(&b, w, by.p, by.n, &err), 0);
			T_EQ_INT(kt_store_wcommit(&b, w, &err), 0);
		}
		kt_log_close(&lc);
		mdb_txn_abort(txn);
	}
	kt_draft_start(&d[0], KT_T_CLIENT, &id, 0, NULL);
	T_EQ_INT(kt_draft_field(&d[0], "health_notes", "первая-XQ8", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&a, d, 1, NULL, &err), 0);
	kt_draft_start(&d[0], KT_T_CLIENT, &id, 0, NULL);
	T_EQ_INT(kt_draft_field(&d[0], "health_notes", "вторая-XQ8", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&b, d, 1, NULL, &err), 0);
	/* a's last change to b. */
	{
		MDB_val lk, lv;
		MDB_txn *w;

		T_EQ_INT(kt_store_rdtxn(&a, &txn, NULL), 0);
		mdb_cursor_open(txn, a.log, &cur);
		T_EQ_INT(mdb_cursor_get(cur, &lk, &lv, MDB_LAST), 0);
		T_EQ_INT(kt_store_wbegin(&b, &w, &err), 0);
		T_EQ_INT(kt_store_ingest(&b, w, lv.mv_data, lv.mv_size, &err), 0);
		T_EQ_INT(kt_store_wcommit(&b, w, &err), 0);
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
	}
	T_EQ_INT(kt_store_rdtxn(&b, &txn, NULL), 0);
	mdb_cursor_open(txn, b.conflicts, &cur);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = v.mv_data;
		uint32_t ll = kt_be32_get(p);

		n++;
		T_CHECK(ll > 0 && kt_rest_sealed(p + 4, ll));
		T_CHECK(v.mv_size > 4 + ll && kt_rest_sealed(p + 4 + ll, v.mv_size - 4 - ll));
		T_CHECK(memmem(p, v.mv_size, "XQ8", 3) == NULL);
	}
	mdb_cursor_close(cur);
	T_EQ_INT(n, 1);
	T_EQ_INT(kt_store_conflicts_of(&b, txn, &id, saw, &s, &err), 0);
	mdb_txn_abort(txn);
	T_EQ_INT(s.n, 1);
	T_EQ_INT(s.one, 1);
	T_EQ_INT(s.two, 1);
	T_EQ_INT(file_holds(b.dir, "XQ8"), 0);
	kt_store_close(&a);
	kt_store_close(&b);
}

/* A store written before sealing: opened, read, sealed once, rewritten clean. */
static void test_old_store_sealed_at_open(void)
{
	struct kt_store st;
	struct kt_id id;
	struct kt_err err;
	MDB_txn *txn;
	char dir[4096];
	int sealed, clear;
	uint64_t due = 0;

	make_node(&st, "old", NULL);
	snprintf(dir, sizeof(dir), "%s", st.dir);
	st.rest_off = 1;
	client(&st, &id);
	T_EQ_INT(kt_store_wbegin(&st, &txn, &err), 0);
	T_EQ_INT(kt_meta_del(&st, txn, KT_META_REST_VERSION), 0);
	T_EQ_INT(kt_store_wcommit(&st, txn, &err), 0);
	count_values(&st, &id, &sealed, &clear);
	T_EQ_INT(sealed, 0);
	T_EQ_INT(file_holds(dir, NOTE), 1);
	check_card(&st, &id); /* a clear value reads as before */
	kt_store_close(&st);
	/* The next open seals them and leaves the store due a rewrite. */
	T_EQ_INT(kt_store_open(&st, dir, &err), 0);
	count_values(&st, &id, &sealed, &clear);
	T_EQ_INT(sealed, 3);
	check_card(&st, &id);
	T_EQ_INT(kt_store_rdtxn(&st, &txn, NULL), 0);
	T_EQ_INT(kt_meta_u64(&st, txn, KT_META_REWRITE_DUE, &due), 0);
	mdb_txn_abort(txn);
	T_EQ_INT(due, 1);
	kt_store_close(&st); /* the rewrite: no other process holds it */
	T_EQ_INT(file_holds(dir, NOTE), 0);
	T_EQ_INT(file_holds(dir, ALLERGY), 0);
	T_EQ_INT(file_holds(dir, MED), 0);
	T_EQ_INT(kt_store_open(&st, dir, &err), 0);
	check_card(&st, &id);
	count_values(&st, &id, &sealed, &clear);
	T_EQ_INT(sealed, 3);
	kt_store_close(&st);
}

int main(void)
{
	if (tmpdir_make("rest") != 0)
		return 1;
	T_RUN(test_seal_binds_its_position);
	T_RUN(test_node_values_sealed);
	T_RUN(test_conflict_values_sealed);
	T_RUN(test_old_store_sealed_at_open);
	return tmpdir_done();
}
