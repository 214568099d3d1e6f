/*
 * test_erase.c - erasure: the stub codec (proto/stub.c: every size and
 * type byte checked), the purge a shred makes at a replica (store/erase.c:
 * records, indexes, tokens, merged entries, keys; her changes in the log
 * made stubs whose hashes are the chain's), the rewrite that leaves no
 * stale byte of hers in data.mdb (store/rewrite.c), and a later change to
 * her from another replica stored as a stub and counted, digests equal.
 */
#include "t.h"
#include "store_harness.h"
#include "card.h"
#include "proto/stub.h"
#include "hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sample(struct kt_change *c, uint8_t hash[KT_HASH_BYTES])
{
	memset(c, 0, sizeof(*c));
	c->origin = 0x1122334455667788ull;
	c->seq = 42;
	c->hlc = 0x0102030405060708ull;
	c->type = KT_T_VISIT;
	memset(c->owner.b, 0xab, KT_ID_BYTES);
	memset(c->prev, 0xcd, KT_HASH_BYTES);
	memset(hash, 0xef, KT_HASH_BYTES);
}

static void test_stub_codec(void)
{
	struct kt_change c, d;
	uint8_t hash[KT_HASH_BYTES], got[KT_HASH_BYTES], s[KT_STUB_BYTES + 1], bad[KT_STUB_BYTES];
	struct kt_err err;

	sample(&c, hash);
	kt_stub_encode(&c, hash, s);
	T_CHECK(kt_stub_is(s, KT_STUB_BYTES));
	T_EQ_INT(kt_stub_decode(&d, got, s, KT_STUB_BYTES, &err), 0);
	T_CHECK(d.origin == c.origin && d.seq == c.seq && d.hlc == c.hlc && d.type == c.type);
	T_CHECK(memcmp(d.owner.b, c.owner.b, KT_ID_BYTES) == 0);
	T_CHECK(memcmp(d.prev, c.prev, KT_HASH_BYTES) == 0 && memcmp(got, hash, KT_HASH_BYTES) == 0);
	T_CHECK(kt_change_is_stub(&d) && d.nops == 0 && d.payload == NULL);
	memset(got, 0, sizeof(got));
	kt_entry_hash(got, s, KT_STUB_BYTES);
	T_CHECK(memcmp(got, hash, KT_HASH_BYTES) == 0);
	T_EQ_INT(kt_entry_decode(&d, got, s, KT_STUB_BYTES, &err), 0);
	/* Every size but the one, and every byte of the form flipped, is refused. */
	for (size_t n = 0; n <= KT_STUB_BYTES + 1; n++)
		if (n != KT_STUB_BYTES)
			T_EQ_INT(kt_stub_decode(&d, got, s, n, &err), KT_ECORRUPT);
	for (size_t at = 0; at < KT_STUB_BYTES; at++) {
		memcpy(bad, s, sizeof(bad));
		bad[at] ^= 0x01;
		int rc = kt_stub_decode(&d, got, bad, sizeof(bad), NULL);
		int form = at == 0 || at == 1 || at == 2 || at == 11 || at == 20 || at == 29 ||
			   at == 31 || at == 32 || at == 49 || at == 50 || at == 83 || at == 84 ||
			   at == 12 || at == 13; /* the seq's top two bytes: past 2^48 */

		if (form)
			T_EQ_INT(rc, KT_ECORRUPT);
		else
			T_EQ_INT(rc, 0); /* a value byte: decodes, its hash no longer chains */
	}
	/* Values out of range. */
	c.seq = 0;
	kt_stub_encode(&c, hash, s);
	T_EQ_INT(kt_stub_decode(&d, got, s, KT_STUB_BYTES, NULL), KT_ECORRUPT);
	sample(&c, hash);
	c.seq = 1ull << 48;
	kt_stub_encode(&c, hash, s);
	T_EQ_INT(kt_stub_decode(&d, got, s, KT_STUB_BYTES, NULL), KT_ECORRUPT);
	sample(&c, hash);
	c.origin = 0;
	kt_stub_encode(&c, hash, s);
	T_EQ_INT(kt_stub_decode(&d, got, s, KT_STUB_BYTES, NULL), KT_ECORRUPT);
	sample(&c, hash);
	c.type = 0;
	kt_stub_encode(&c, hash, s);
	T_EQ_INT(kt_stub_decode(&d, got, s, KT_STUB_BYTES, NULL), KT_ECORRUPT);
	/* A change is not a stub: its own decoder says so. */
	T_CHECK(kt_change_decode(&d, s, KT_STUB_BYTES, NULL) != 0);
	T_CHECK(!kt_stub_is((const uint8_t *)"\x92", 1) && !kt_stub_is(s, 0));
}

static struct kt_draft d[4];

static void client(struct kt_store *st, struct kt_id *id, const char *name, const char *phone,
		   const char *allergy)
{
	struct kt_err err;

	kt_id_new(id, kt_wall_ms());
	kt_draft_start(&d[0], KT_T_CLIENT, id, 1, NULL);
	T_CHECK(kt_draft_field(&d[0], "name", name, KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "phone", phone, KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "birthday", "1990-03-04", KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "email", "zoya.rare@example.org", KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "allergies", allergy, KT_OP_ADD, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "health_notes", "Гиперпупырчатость редкая", KT_OP_SET,
			       &err) == 0);
	T_EQ_INT(kt_store_write(st, d, 1, NULL, &err), 0);
}

/* Entries of dbi whose key holds id (its first or last 16 bytes). */
static int naming(struct kt_store *st, MDB_txn *txn, MDB_dbi dbi, const struct kt_id *id)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int n = 0, rc;

	mdb_cursor_open(txn, dbi, &cur);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		n += k.mv_size >= KT_ID_BYTES &&
		     (memcmp(k.mv_data, id->b, KT_ID_BYTES) == 0 ||
		      memcmp((uint8_t *)k.mv_data + k.mv_size - KT_ID_BYTES, id->b, KT_ID_BYTES) == 0);
	mdb_cursor_close(cur);
	(void)st;
	return n;
}

/* Whole changes of owner in the log (shreds aside), and stubs whose hash is not the chain's. */
static void log_of(struct kt_store *st, MDB_txn *txn, const struct kt_id *owner, int *whole,
		   int *stubs, int *bad)
{
	struct kt_log_cur cur;
	struct kt_bytes b;
	struct kt_change *c = malloc(sizeof(*c));
	uint64_t at;
	int rc;

	*whole = *stubs = *bad = 0;
	kt_log_open(st, txn, &cur);
	for (rc = kt_log_seek(&cur, 1, &at, &b); rc == 0; rc = kt_log_next(&cur, &at, &b)) {
		uint8_t hash[KT_HASH_BYTES], held[KT_HASH_BYTES];

		T_EQ_INT(kt_entry_decode(c, hash, b.p, b.n, NULL), 0);
		if (kt_id_cmp(&c->owner, owner) != 0)
			continue;
		if (kt_change_is_stub(c))
			(*stubs)++;
		else if (!(c->nops > 0 && c->ops[0].kind == KT_OP_SHRED))
			(*whole)++;
		*bad += kt_chain_get(st, txn, c->origin, c->seq, held, NULL) != 0 ||
			memcmp(held, hash, KT_HASH_BYTES) != 0;
	}
	kt_log_close(&cur);
	free(c);
}

/* Whether the file dir/data.mdb holds the bytes s. */
static int file_holds(const char *dir, const char *s)
{
	char p[600];
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

static void erase_group(struct kt_store *st, const struct kt_id *id, size_t want)
{
	struct kt_id g[8];
	struct kt_err err;
	MDB_txn *txn;
	size_t n = 0;

	T_EQ_INT(kt_store_rdtxn(st, &txn, &err), 0);
	T_EQ_INT(kt_store_erase_group(st, txn, id, g, 8, &n, &err), 0);
	mdb_txn_abort(txn);
	T_EQ_INT(n, want);
	for (size_t i = 0; i < n && i < 4; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].type = KT_T_CLIENT;
		d[i].id = d[i].owner = g[i];
		d[i].nops = 1;
		d[i].ops[0].kind = KT_OP_SHRED;
	}
	T_EQ_INT(kt_store_write(st, d, n, NULL, &err), 0);
}

static void test_purge_and_rewrite(void)
{
	struct kt_store st;
	struct kt_id x, y, z, visit, found[4];
	struct kt_rec r;
	struct kt_err err;
	MDB_txn *txn;
	char dir[512];
	int whole, stubs, bad;

	make_node(&st, "purge", NULL);
	snprintf(dir, sizeof(dir), "%s/purge", tmpdir);
	client(&st, &x, "Зоя Уникальнова", "+7 912 555-44-33", "ксилофонин");
	client(&st, &y, "Зоя Уникальнова", "+7 912 555-44-33", "латекс");
	client(&st, &z, "Вера Обычная", "+7 912 111-22-33", "пыльца");
	kt_id_new(&visit, kt_wall_ms());
	kt_draft_start(&d[0], KT_T_VISIT, &visit, 1, &x);
	T_CHECK(kt_draft_field(&d[0], "services", "Пилинг Квазарный", KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d[0], "date", "2026-11-01", KT_OP_SET, &err) == 0);
	T_EQ_INT(kt_store_write(&st, d, 1, NULL, &err), 0);
	kt_draft_alias(&d[0], &y, &x);
	T_EQ_INT(kt_store_write(&st, d, 1, NULL, &err), 0);
	erase_group(&st, &x, 2);
	T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
	kt_rec_init(&r);
	T_EQ_INT(kt_store_load(&st, txn, &x, &r, &err), KT_ENOTFOUND);
	T_CHECK(strstr(err.msg, "was erased") != NULL);
	T_EQ_INT(kt_store_load(&st, txn, &visit, &r, &err), KT_ENOTFOUND);
	T_CHECK(kt_store_erased(&st, txn, &x) && kt_store_erased(&st, txn, &y));
	for (int k = 0; k < 2; k++) {
		const struct kt_id *who = k ? &y : &x;

		T_EQ_INT(naming(&st, txn, st.rec, who), 0);
		T_EQ_INT(naming(&st, txn, st.own, who), 0);
		T_EQ_INT(naming(&st, txn, st.idx, who), 0);
		T_EQ_INT(naming(&st, txn, st.bday, who), 0);
		T_EQ_INT(naming(&st, txn, st.tokens, who), 0);
		T_EQ_INT(naming(&st, txn, st.merged, who), 0);
		T_EQ_INT(naming(&st, txn, st.keys, who), 0);
		log_of(&st, txn, who, &whole, &stubs, &bad);
		T_EQ_INT(whole, 0);
		T_EQ_INT(stubs, k ? 2 : 2); /* x: card, visit; y: card, merge */
		T_EQ_INT(bad, 0);
	}
	/* The other client is whole and found. */
	T_EQ_INT(kt_store_load(&st, txn, &z, &r, &err), 0);
	T_EQ_INT(kt_store_find(&st, txn, "Обычная", found, 4, NULL, &err), 1);
	T_EQ_INT(kt_store_find(&st, txn, "Уникальнова", found, 4, NULL, &err), 0);
	T_CHECK(naming(&st, txn, st.tokens, &z) > 0);
	kt_rec_release(&r);
	mdb_txn_abort(txn);
	/* Freed pages keep her bytes until the rewrite at close. */
	T_EQ_INT(file_holds(dir, "Уникальнова"), 1);
	kt_store_close(&st);
	T_EQ_INT(file_holds(dir, "Уникальнова"), 0);
	T_EQ_INT(file_holds(dir, "ксилофонин"), 0);
	T_EQ_INT(file_holds(dir, "Квазарный"), 0);
	T_EQ_INT(file_holds(dir, "Обычная"), 1);
	/* Opened again: the rewritten store is whole, and due no more. */
	T_EQ_INT(kt_store_open(&st, dir, &err), 0);
	T_EQ_INT(kt_store_rewrite(&st, 1, &err), 1);
	T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
	T_EQ_INT(kt_store_find(&st, txn, "Обычная", found, 4, NULL, &err), 1);
	T_CHECK(kt_store_erased(&st, txn, &x));
	mdb_txn_abort(txn);
	kt_store_close(&st);
}

/* Ingests into `to` every entry of `from`'s log after position after; the last position. */
static uint64_t copy_log(struct kt_store *from, struct kt_store *to, uint64_t after)
{
	struct kt_log_cur cur;
	struct kt_bytes b;
	struct kt_err err;
	MDB_txn *rtxn, *wtxn;
	uint64_t at = after;
	int rc;

	T_EQ_INT(kt_store_rdtxn(from, &rtxn, &err), 0);
	T_EQ_INT(kt_store_wbegin(to, &wtxn, &err), 0);
	kt_log_open(from, rtxn, &cur);
	for (rc = kt_log_seek(&cur, after + 1, &at, &b); rc == 0; rc = kt_log_next(&cur, &at, &b))
		T_EQ_INT(kt_store_ingest(to, wtxn, b.p, b.n, &err), 0);
	kt_log_close(&cur);
	mdb_txn_abort(rtxn);
	T_EQ_INT(kt_store_wcommit(to, wtxn, &err), 0);
	return kt_log_last(from, NULL) > 0 ? at : at;
}

static void test_later_change_dropped(void)
{
	struct kt_store a, b;
	struct kt_id x;
	struct kt_err err;
	uint8_t da[KT_HASH_BYTES], db[KT_HASH_BYTES];
	MDB_txn *txn;
	int whole, stubs, bad;

	make_node(&a, "late_a", NULL);
	make_node(&b, "late_b", "late_a");
	client(&a, &x, "Зоя Уникальнова", "+7 912 555-44-33", "ксилофонин");
	copy_log(&a, &b, 0);
	/* a edits her, not knowing b erases her at once */
	kt_draft_start(&d[0], KT_T_CLIENT, &x, 0, NULL);
	T_CHECK(kt_draft_field(&d[0], "notes", "Записка Тыквоедова", KT_OP_SET, &err) == 0);
	T_EQ_INT(kt_store_write(&a, d, 1, NULL, &err), 0);
	erase_group(&b, &x, 1);
	copy_log(&a, &b, 0); /* the edit arrives after her erasure */
	copy_log(&b, &a, 0); /* and the erasure reaches a */
	T_EQ_INT(kt_store_rdtxn(&b, &txn, &err), 0);
	T_EQ_INT(kt_store_erased_dropped(&b, txn), 1);
	log_of(&b, txn, &x, &whole, &stubs, &bad);
	T_EQ_INT(whole, 0);
	T_EQ_INT(stubs, 2);
	T_EQ_INT(bad, 0);
	mdb_txn_abort(txn);
	T_EQ_INT(kt_store_rdtxn(&a, &txn, &err), 0);
	log_of(&a, txn, &x, &whole, &stubs, &bad);
	T_EQ_INT(whole, 0);
	T_EQ_INT(stubs, 2);
	T_EQ_INT(bad, 0);
	mdb_txn_abort(txn);
	T_EQ_INT(kt_store_digest(&a, da, &err), 0);
	T_EQ_INT(kt_store_digest(&b, db, &err), 0);
	T_CHECK(memcmp(da, db, KT_HASH_BYTES) == 0);
	/* a's own log, stubs and all, chains for a third replica. */
	{
		struct kt_store c;
		uint8_t dc[KT_HASH_BYTES];

		make_node(&c, "late_c", "late_a");
		copy_log(&a, &c, 0);
		copy_log(&b, &c, 0);
		T_EQ_INT(kt_store_digest(&c, dc, &err), 0);
		T_CHECK(memcmp(da, dc, KT_HASH_BYTES) == 0);
		kt_store_close(&c);
	}
	kt_store_close(&a);
	kt_store_close(&b);
}

int main(void)
{
	int made = tmpdir_make("erase") == 0;

	if (made) {
		T_RUN(test_stub_codec);
		T_RUN(test_purge_and_rewrite);
		T_RUN(test_later_change_dropped);
	}
	return made ? tmpdir_done() : 1;
}
