/*
 * test_store.c - the node store on real LMDB files: three nodes of one
 * chain write concurrently; every interleaving of their changes that keeps
 * each origin's order and causality, with duplicates, gives the same digest
 * and the same export on a fresh replica.  Also: batches ingested on two
 * threads match one change at a time, the hash chain refuses gaps and
 * forgeries, and a refused write changes nothing.  The map's growth is
 * test_store_map.c's.
 */
#include "t.h"
#include "store_harness.h"
#include "card.h"
#include "hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A change as logged: its bytes, origin, and what its origin had seen. */
#define NODES 3
#define CHANGES_MAX 4096
struct logged {
	uint8_t *bytes;
	size_t len;
	int origin;          /* index of the node that wrote it */
	int seen[NODES];     /* changes of each origin its writer had applied */
};
static struct logged changes[CHANGES_MAX];
static int nchanges;
static int own_count[NODES];      /* changes each node wrote */
static int have[NODES][NODES];    /* have[x][y]: y's changes x has applied */
static struct kt_store nodes[NODES];
static int order_of[NODES][CHANGES_MAX]; /* per origin: its changes' indexes */

/* Records the change node x just wrote (the last entry of its log). */
static void capture(int x)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct logged *l = &changes[nchanges];

	kt_assert(nchanges < CHANGES_MAX);
	T_CHECK(kt_store_rdtxn(&nodes[x], &txn, NULL) == 0);
	mdb_cursor_open(txn, nodes[x].log, &cur);
	T_CHECK(mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0);
	l->bytes = kt_malloc(v.mv_size);
	memcpy(l->bytes, v.mv_data, v.mv_size);
	l->len = v.mv_size;
	l->origin = x;
	memcpy(l->seen, have[x], sizeof(l->seen));
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	order_of[x][own_count[x]++] = nchanges++;
	have[x][x]++;
}

static int ingest(struct kt_store *st, const struct logged *l)
{
	struct kt_err err;
	MDB_txn *txn;
	int rc;

	if (kt_store_wbegin(st, &txn, &err) != 0)
		return -1;
	rc = kt_store_ingest(st, txn, l->bytes, l->len, &err);
	if (rc != 0) {
		fprintf(stderr, "ingest: %s\n", err.msg);
		mdb_txn_abort(txn);
		return rc;
	}
	return kt_store_wcommit(st, txn, &err);
}

/* Node x catches up with everything the others wrote. */
static void sync_node(int x)
{
	for (int y = 0; y < NODES; y++)
		for (; y != x && have[x][y] < own_count[y]; have[x][y]++)
			T_EQ_INT(ingest(&nodes[x], &changes[order_of[y][have[x][y]]]), 0);
}

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

#define CLIENTS 6
static struct kt_id client_ids[CLIENTS];
static struct kt_id visit_ids[256];
static int visit_origin[256], visit_index[256], nvisits;
static const char *allergens[] = { "latex", "nuts", "honey", "retinol" };
static const char *names[] = { "Анна Иванова", "Ștefania Popescu", "王小明", "Olga Smirnova" };

static int write1(int x, struct kt_draft *d)
{
	struct kt_err err;
	int rc = kt_store_write(&nodes[x], d, 1, NULL, &err);

	if (rc == 0)
		capture(x);
	else if (rc != KT_ENOTFOUND)
		fprintf(stderr, "write at node %d: %s\n", x, err.msg);
	return rc;
}

/* A live allergy of client c at node x, or NULL. */
static const char *some_allergy(int x, const struct kt_id *c)
{
	static char out[64];
	struct kt_rec r;
	MDB_txn *txn;
	const char *res = NULL;

	kt_rec_init(&r);
	kt_store_rdtxn(&nodes[x], &txn, NULL);
	if (kt_store_load(&nodes[x], txn, c, &r, NULL) == 0)
		for (uint32_t i = 0; i < r.nelems; i++)
			if (r.elems[i].field == 15 && r.elems[i].v.n < sizeof(out)) {
				snprintf(out, sizeof(out), "%.*s", (int)r.elems[i].v.n,
					 r.elems[i].v.s);
				res = out;
				break;
			}
	kt_rec_release(&r);
	mdb_txn_abort(txn);
	return res;
}

static void random_edit(int x)
{
	static struct kt_draft d;
	static char text[64];
	struct kt_id *c = &client_ids[rnd(CLIENTS)];
	struct kt_err err;
	const char *a;
	int k = (int)rnd(7);

	if (k == 0 || k == 1) {
		kt_draft_start(&d, KT_T_CLIENT, c, 0, NULL);
		snprintf(text, sizeof(text), "note %d from %d", (int)rnd(1000), x);
		T_CHECK(kt_draft_field(&d, k ? "notes" : "name", k ? text : names[rnd(4)],
				       KT_OP_SET, &err) == 0);
	} else if (k == 2) {
		kt_draft_start(&d, KT_T_CLIENT, c, 0, NULL);
		T_CHECK(kt_draft_field(&d, "allergies", allergens[rnd(4)], KT_OP_ADD, &err) == 0);
	} else if (k == 3 && (a = some_allergy(x, c)) != NULL) {
		kt_draft_start(&d, KT_T_CLIENT, c, 0, NULL);
		T_CHECK(kt_draft_field(&d, "allergies", a, KT_OP_DEL, &err) == 0);
	} else if (k == 4 && nvisits < 256) {
		struct kt_id id;

		kt_id_new(&id, kt_wall_ms());
		kt_draft_start(&d, KT_T_VISIT, &id, 1, c);
		T_CHECK(kt_draft_field(&d, "date", "2026-11-01", KT_OP_SET, &err) == 0);
		T_CHECK(kt_draft_field(&d, "services", "Facial", KT_OP_SET, &err) == 0);
		if (write1(x, &d) == 0) {
			visit_ids[nvisits] = id;
			visit_origin[nvisits] = x;
			visit_index[nvisits++] = own_count[x] - 1;
		}
		return;
	} else if (k == 5 && nvisits > 0) {
		int v = (int)rnd((uint32_t)nvisits);

		if (have[x][visit_origin[v]] <= visit_index[v])
			return; /* x has not seen this visit yet */
		kt_draft_start(&d, KT_T_VISIT, &visit_ids[v], 0, NULL);
		snprintf(text, sizeof(text), "%d", 1 + (int)rnd(5));
		T_CHECK(kt_draft_field(&d, "rating", text, KT_OP_SET, &err) == 0);
	} else {
		struct kt_id id;

		kt_id_new(&id, kt_wall_ms());
		kt_draft_start(&d, KT_T_POINTS, &id, 1, c);
		int delta = (int)rnd(200) - 50;

		snprintf(text, sizeof(text), "%d", delta != 0 ? delta : 1); /* 0 is no entry */
		T_CHECK(kt_draft_field(&d, "delta", text, KT_OP_SET, &err) == 0);
	}
	write1(x, &d);
}

/* The whole state as text: every record's JSON in id order. */
struct dump { struct kt_store *st; MDB_txn *txn; char *s; size_t n; };
static int dump_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct dump *d = ctx;
	struct kt_rec r;
	char *j;

	(void)type;
	kt_rec_init(&r);
	if (kt_store_load(d->st, d->txn, id, &r, NULL) == 0) {
		json_t *o = kt_card_json(&r);

		j = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
		json_decref(o);
		d->s = kt_realloc(d->s, d->n + strlen(j) + 2);
		memcpy(d->s + d->n, j, strlen(j));
		d->n += strlen(j);
		d->s[d->n++] = '\n';
		d->s[d->n] = '\0';
		free(j);
	}
	kt_rec_release(&r);
	return 0;
}

static char *dump_store(struct kt_store *st)
{
	struct dump d = { st, NULL, kt_strdup(""), 0 };

	kt_store_rdtxn(st, &d.txn, NULL);
	kt_store_each(st, d.txn, 0, dump_one, &d, NULL);
	mdb_txn_abort(d.txn);
	return d.s;
}

/* Applies every change to a fresh replica in a random causal order, with duplicates. */
static void replay(int round, uint8_t digest[KT_HASH_BYTES], char **dump)
{
	struct kt_store r;
	struct kt_err err;
	char name[32];
	int next[NODES] = { 0 }, done = 0;

	snprintf(name, sizeof(name), "replica%d", round);
	make_node(&r, name, "n0");
	/* Bounded: every step applies one change or a duplicate; at most 2n steps. */
	for (int steps = 0; done < nchanges && steps < 4 * CHANGES_MAX; steps++) {
		int o = (int)rnd(NODES), ok = 1;
		const struct logged *l;

		if (done > 0 && rnd(8) == 0) { /* re-send something already applied */
			int y = (int)rnd(NODES);

			if (next[y] > 0)
				T_EQ_INT(ingest(&r, &changes[order_of[y][rnd((uint32_t)next[y])]]), 0);
			continue;
		}
		if (next[o] >= own_count[o])
			continue;
		l = &changes[order_of[o][next[o]]];
		for (int y = 0; y < NODES; y++)
			if (y != o && l->seen[y] > next[y])
				ok = 0; /* its writer had seen changes we have not applied yet */
		if (!ok)
			continue;
		T_EQ_INT(ingest(&r, l), 0);
		next[o]++;
		done++;
	}
	T_EQ_INT(done, nchanges);
	T_CHECK(kt_store_digest(&r, digest, &err) == 0);
	*dump = dump_store(&r);
	kt_store_close(&r);
}

static void test_shuffled_orders_converge(void)
{
	static struct kt_draft d;
	struct kt_err err;
	uint8_t first[KT_HASH_BYTES], dg[KT_HASH_BYTES];
	char *first_dump = NULL, *dump, name[8];
	uint64_t seed = getenv("KT_SEED") ? strtoull(getenv("KT_SEED"), NULL, 10)
					  : (uint64_t)kt_wall_ms();

	rng_state = seed | 1;
	for (int x = 0; x < NODES; x++) {
		snprintf(name, sizeof(name), "n%d", x);
		make_node(&nodes[x], name, x ? "n0" : NULL);
	}
	for (int i = 0; i < CLIENTS; i++) {
		kt_id_new(&client_ids[i], kt_wall_ms());
		kt_draft_start(&d, KT_T_CLIENT, &client_ids[i], 1, NULL);
		T_CHECK(kt_draft_field(&d, "name", names[i % 4], KT_OP_SET, &err) == 0);
		T_CHECK(kt_draft_field(&d, "allergies", "latex", KT_OP_ADD, &err) == 0);
		T_EQ_INT(write1(i % NODES, &d), 0);
	}
	for (int x = 0; x < NODES; x++)
		sync_node(x);
	for (int phase = 0; phase < 4; phase++) { /* offline edits, then a sync */
		for (int e = 0; e < 40; e++)
			random_edit((int)rnd(NODES));
		sync_node((int)rnd(NODES));
	}
	for (int x = 0; x < NODES; x++)
		sync_node(x);
	for (int x = 1; x < NODES; x++) {
		uint8_t a[KT_HASH_BYTES], b[KT_HASH_BYTES];

		kt_store_digest(&nodes[0], a, &err);
		kt_store_digest(&nodes[x], b, &err);
		T_CHECK(memcmp(a, b, KT_HASH_BYTES) == 0);
	}
	for (int round = 0; round < 12; round++) {
		replay(round, dg, &dump);
		if (round == 0) {
			memcpy(first, dg, sizeof(first));
			first_dump = dump;
			continue;
		}
		if (memcmp(first, dg, sizeof(first)) != 0 || strcmp(first_dump, dump) != 0) {
			fprintf(stderr, "replica %d differs: replay with KT_SEED=%llu\n", round,
				(unsigned long long)seed);
			T_CHECK(0);
		}
		free(dump);
	}
	{
		char *live = dump_store(&nodes[0]);

		T_CHECK(strcmp(live, first_dump) == 0);
		free(live);
	}
	T_CHECK(nchanges > 100);
	free(first_dump);
	for (int x = 0; x < NODES; x++)
		kt_store_close(&nodes[x]);
}

static uint64_t void_origin, void_seq;
static int void_reason, voids_seen;

static void void_seen(void *ctx, uint64_t origin, uint64_t seq, int reason)
{
	(void)ctx;
	void_origin = origin;
	void_seq = seq;
	void_reason = reason;
	voids_seen++;
}

static void test_chain_refuses_gap_forgery_and_ignores_duplicates(void)
{
	struct kt_store r;
	struct kt_err err;
	struct logged forged;
	MDB_txn *txn;
	int o = changes[0].origin, n = own_count[o];

	T_CHECK(n >= 3);
	make_node(&r, "chaincheck", "n0");
	/* A gap: the origin's second change before its first. */
	T_CHECK(ingest(&r, &changes[order_of[o][1]]) != 0);
	T_EQ_INT(ingest(&r, &changes[order_of[o][0]]), 0);
	T_EQ_INT(ingest(&r, &changes[order_of[o][0]]), 0); /* a duplicate: ignored */
	/* A forgery: one byte of the second change flipped. */
	forged = changes[order_of[o][1]];
	forged.bytes = kt_malloc(forged.len);
	memcpy(forged.bytes, changes[order_of[o][1]].bytes, forged.len);
	{
		/* In its prev (the hash of change 1): the chain breaks, refused. */
		uint8_t h1[KT_HASH_BYTES], *at;

		kt_hash(h1, changes[order_of[o][0]].bytes, changes[order_of[o][0]].len);
		at = memmem(forged.bytes, forged.len, h1, sizeof(h1));
		T_CHECK(at != NULL);
		if (at != NULL) {
			at[7] ^= 0x10;
			T_CHECK(ingest(&r, &forged) != 0);
			at[7] ^= 0x10;
		}
	}
	/*
	 * In the payload only: the chain holds (the header names the right
	 * prev), the seal does not open.  A void change: kept in the log and the
	 * chain, named by origin and seq, without effect, so the origin's later
	 * changes go on (PROTOCOL.md, "Void change").
	 */
	{
		struct kt_store rv;
		uint8_t a[KT_HASH_BYTES], b[KT_HASH_BYTES];

		make_node(&rv, "voidcheck", "n0");
		T_EQ_INT(ingest(&rv, &changes[order_of[o][0]]), 0);
		forged.bytes[40] ^= 0x10; /* in the header's record id: the seal's data */
		T_EQ_INT(ingest(&rv, &forged), 0);
		forged.bytes[40] ^= 0x10;
		forged.bytes[forged.len - 5] ^= 1; /* in the payload */
		T_CHECK(ingest(&rv, &forged) != 0); /* another change 2: held already */
		T_CHECK(rv.voided == 1);
		voids_seen = 0;
		T_EQ_INT(kt_store_voids(&rv, 0, void_seen, NULL), 1);
		T_CHECK(voids_seen == 1 && void_origin == nodes[o].node_id &&
			void_seq == 2 && void_reason == KT_VOID_SEAL);
		T_EQ_INT(kt_store_digest(&rv, a, &err), 0);
		T_EQ_INT(kt_store_digest(&r, b, &err), 0); /* r holds change 1 only */
		T_CHECK(memcmp(a, b, KT_HASH_BYTES) == 0);
		/* The real change 2 is then other bytes under a held seq: refused. */
		T_CHECK(ingest(&rv, &changes[order_of[o][1]]) != 0);
		kt_store_close(&rv);
	}
	free(forged.bytes);
	T_EQ_INT(ingest(&r, &changes[order_of[o][1]]), 0);
	/* Another change under a seq already held (an origin writing twice): refused. */
	{
		static struct kt_draft d;
		struct kt_store tw;
		struct kt_id id;
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k, v;
		struct logged twin;

		make_node(&tw, "twin", "n0");
		tw.node_id = nodes[o].node_id; /* impersonate origin o's first seq */
		kt_id_new(&id, kt_wall_ms());
		kt_draft_start(&d, KT_T_CLIENT, &id, 1, NULL);
		T_CHECK(kt_draft_field(&d, "name", "Twin", KT_OP_SET, &err) == 0);
		T_EQ_INT(kt_store_write(&tw, &d, 1, NULL, &err), 0);
		kt_store_rdtxn(&tw, &txn, NULL);
		mdb_cursor_open(txn, tw.log, &cur);
		T_EQ_INT(mdb_cursor_get(cur, &k, &v, MDB_LAST), 0);
		twin.bytes = v.mv_data;
		twin.len = v.mv_size;
		T_CHECK(ingest(&r, &twin) != 0);
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
		kt_store_close(&tw);
	}
	/* Nothing refused was logged: the log holds exactly the two good changes. */
	{
		MDB_stat ms;

		kt_store_rdtxn(&r, &txn, NULL);
		mdb_stat(txn, r.log, &ms);
		T_EQ_INT(ms.ms_entries, 2);
		mdb_txn_abort(txn);
	}
	(void)err;
	kt_store_close(&r);
}

static void test_refused_write_changes_nothing(void)
{
	static struct kt_draft d[2];
	struct kt_store st;
	struct kt_err err;
	struct kt_id a, missing;
	uint8_t before[KT_HASH_BYTES], after[KT_HASH_BYTES];
	struct kt_store_info i1, i2;

	make_node(&st, "refuse", NULL);
	kt_id_new(&a, kt_wall_ms());
	kt_draft_start(&d[0], KT_T_CLIENT, &a, 1, NULL);
	T_CHECK(kt_draft_field(&d[0], "name", "Anna", KT_OP_SET, &err) == 0);
	T_EQ_INT(kt_store_write(&st, d, 1, NULL, &err), 0);
	kt_store_digest(&st, before, &err);
	kt_store_info(&st, &i1, &err);
	/* A batch whose second write names an unknown record: neither lands. */
	kt_draft_start(&d[0], KT_T_CLIENT, &a, 0, NULL);
	T_CHECK(kt_draft_field(&d[0], "notes", "first", KT_OP_SET, &err) == 0);
	kt_id_new(&missing, kt_wall_ms());
	kt_draft_start(&d[1], KT_T_CLIENT, &missing, 0, NULL);
	T_CHECK(kt_draft_field(&d[1], "notes", "second", KT_OP_SET, &err) == 0);
	T_EQ_INT(kt_store_write(&st, d, 2, NULL, &err), KT_ENOTFOUND);
	/* Removing an allergy she does not have is refused too. */
	kt_draft_start(&d[0], KT_T_CLIENT, &a, 0, NULL);
	T_CHECK(kt_draft_field(&d[0], "allergies", "latex", KT_OP_DEL, &err) == 0);
	T_EQ_INT(kt_store_write(&st, d, 1, NULL, &err), KT_ENOTFOUND);
	kt_store_digest(&st, after, &err);
	kt_store_info(&st, &i2, &err);
	T_CHECK(memcmp(before, after, KT_HASH_BYTES) == 0);
	T_EQ_INT(i1.changes, i2.changes);
	T_EQ_INT(i1.seq, i2.seq);
	kt_store_close(&st);
}

/*
 * Two cards whose phone is one no phone library reads (eighteen zeros, or
 * "12345"; "7,91235E+10" as Excel rounds a number is refused before),
 * typed identically, are two people
 * as far as anyone knows: never paired as duplicates.  Two cards of one
 * real number, however written, are.
 */
static void test_unparseable_phones_never_pair_cards(void)
{
	static const char *const phones[] = { "000 000 000 000 000 000", "000 000 000 000 000 000",
					      "12345", "12345", "+7 912 345-67-89",
					      "8 (912) 345 67 89" };
	static struct kt_draft d;
	struct kt_id ids[6];
	struct kt_store st;
	struct kt_err err;
	struct kt_pair *pairs;
	MDB_txn *txn;
	size_t n;

	make_node(&st, "dups", NULL);
	for (int i = 0; i < 6; i++) {
		char name[32];

		snprintf(name, sizeof(name), "Client %d", i);
		kt_id_new(&ids[i], kt_wall_ms());
		kt_draft_start(&d, KT_T_CLIENT, &ids[i], 1, NULL);
		T_CHECK(kt_draft_field(&d, "name", name, KT_OP_SET, &err) == 0);
		T_CHECK(kt_draft_field(&d, "phone", phones[i], KT_OP_SET, &err) == 0);
		T_EQ_INT(kt_store_write(&st, &d, 1, NULL, &err), 0);
	}
	T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
	n = kt_store_duplicates(&st, txn, &pairs);
	mdb_txn_abort(txn);
	T_EQ_INT(n, 1);
	if (n == 1) {
		int a = kt_id_cmp(&pairs[0].a, &ids[4]) == 0 || kt_id_cmp(&pairs[0].a, &ids[5]) == 0;
		int b = kt_id_cmp(&pairs[0].b, &ids[4]) == 0 || kt_id_cmp(&pairs[0].b, &ids[5]) == 0;

		T_CHECK(a && b); /* the one real number */
	}
	free(pairs);
	kt_store_close(&st);
}

/*
 * A store whose search index was made by an older build (meta
 * "index_version" another, entries missing or in another form) has it made
 * again at open: names, phones (with their last-digits entries) and emails
 * are found, catalogue entries are kept.
 */
static void test_an_old_index_is_made_again_at_open(void)
{
	static struct kt_draft d;
	struct kt_store st;
	struct kt_err err;
	struct kt_id id, out[4];
	char dir[sizeof(st.dir)];
	MDB_txn *txn;
	MDB_val key = { 13, "index_version" }, v = { 4, "1 RU" };
	int cut;

	make_node(&st, "reindex", NULL);
	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, KT_T_CLIENT, &id, 1, NULL);
	T_CHECK(kt_draft_field(&d, "name", "Siobhan O'Brien", KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d, "phone", "+7 912 345 67 89", KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d, "email", "Siobhan@Example.IE", KT_OP_SET, &err) == 0);
	T_EQ_INT(kt_store_write(&st, &d, 1, NULL, &err), 0);
	/* What an older build left: no entries at all, and its version. */
	T_EQ_INT(mdb_txn_begin(st.env, NULL, 0, &txn), 0);
	T_EQ_INT(mdb_drop(txn, st.idx, 0), 0);
	T_EQ_INT(mdb_put(txn, st.meta, &key, &v, 0), 0);
	T_EQ_INT(mdb_txn_commit(txn), 0);
	T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
	T_EQ_INT(kt_store_find(&st, txn, "obrien", out, 4, &cut, &err), 0);
	mdb_txn_abort(txn);
	snprintf(dir, sizeof(dir), "%s", st.dir);
	kt_store_close(&st);
	T_EQ_INT(kt_store_open(&st, dir, &err), 0);
	T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
	T_EQ_INT(kt_store_find(&st, txn, "obrien", out, 4, &cut, &err), 1);
	T_EQ_INT(kt_store_find(&st, txn, "brien", out, 4, &cut, &err), 1);
	T_EQ_INT(kt_store_find(&st, txn, "8 912 345-67-89", out, 4, &cut, &err), 1);
	T_EQ_INT(kt_store_find(&st, txn, "6789", out, 4, &cut, &err), 1);
	T_EQ_INT(kt_store_find(&st, txn, "siobhan@example.ie", out, 4, &cut, &err), 1);
	T_EQ_INT(kt_id_cmp(&out[0], &id), 0);
	T_EQ_INT(cut, 0);
	T_CHECK(mdb_get(txn, st.meta, &key, &v) == 0 && v.mv_size == 4 &&
		memcmp(v.mv_data, "4 RU", 4) == 0);
	mdb_txn_abort(txn);
	kt_store_close(&st);
}

/* The last change st wrote, as logged (bytes the caller frees). */
static struct logged last_change(struct kt_store *st)
{
	struct logged l = { 0 };
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;

	T_CHECK(kt_store_rdtxn(st, &txn, NULL) == 0);
	mdb_cursor_open(txn, st->log, &cur);
	T_CHECK(mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0);
	l.bytes = kt_malloc(v.mv_size);
	memcpy(l.bytes, v.mv_data, v.mv_size);
	l.len = v.mv_size;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return l;
}

static int found_by(struct kt_store *st, const char *q, const struct kt_id *id)
{
	struct kt_id out[8];
	struct kt_err err;
	MDB_txn *txn;
	int n, hit = 0;

	T_CHECK(kt_store_rdtxn(st, &txn, &err) == 0);
	n = kt_store_find(st, txn, q, out, 8, NULL, &err);
	for (int i = 0; i < n; i++)
		hit |= kt_id_cmp(&out[i], id) == 0;
	mdb_txn_abort(txn);
	return hit;
}

/*
 * A phone's E.164 copy is made where the phone is typed and carried; a node
 * that writes no copy (a build before field 23) and changes the phone
 * leaves the old copy standing, which must then count for nothing: the card
 * is not found by her old number, and her stored copy is not read as hers.
 */
static void test_a_phone_changed_without_its_copy_drops_the_copy(void)
{
	static struct kt_draft d;
	struct kt_store ro, old;
	struct kt_err err;
	struct kt_id id;
	struct kt_logged_pair { struct logged a, b; } x;
	struct kt_rec r;
	MDB_txn *txn;

	make_node(&ro, "copy_ro", NULL);
	make_node(&old, "copy_old", "copy_ro");
	strcpy(ro.country, "RO");
	old.no_phone_copy = 1;
	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, KT_T_CLIENT, &id, 1, NULL);
	T_CHECK(kt_draft_field(&d, "name", "Vechi Test", KT_OP_SET, &err) == 0);
	T_CHECK(kt_draft_field(&d, "phone", "0723 555 666", KT_OP_SET, &err) == 0);
	T_EQ_INT(kt_store_write(&ro, &d, 1, NULL, &err), 0);
	x.a = last_change(&ro);
	T_EQ_INT(ingest(&old, &x.a), 0);
	T_EQ_INT(found_by(&old, "+40 723 555 666", &id), 1); /* the copy RO made */
	kt_draft_start(&d, KT_T_CLIENT, &id, 0, NULL);
	T_CHECK(kt_draft_field(&d, "phone", "+7 912 777 88 99", KT_OP_SET, &err) == 0);
	T_EQ_INT(kt_store_write(&old, &d, 1, NULL, &err), 0);
	x.b = last_change(&old);
	T_EQ_INT(ingest(&ro, &x.b), 0);
	for (int k = 0; k < 2; k++) {
		struct kt_store *st = k ? &ro : &old;

		T_EQ_INT(found_by(st, "+7 912 777 88 99", &id), 1);
		T_EQ_INT(found_by(st, "+40 723 555 666", &id), 0);
		T_EQ_INT(found_by(st, "0723 555 666", &id), 0);
		T_EQ_INT(kt_store_rdtxn(st, &txn, &err), 0);
		kt_rec_init(&r);
		T_EQ_INT(kt_store_load(st, txn, &id, &r, &err), 0);
		T_CHECK(kt_rec_get(&r, KT_CLIENT_PHONE_E164) != NULL); /* kept, as data */
		T_CHECK(kt_rec_phone_e164(&r) == NULL);               /* but not hers */
		kt_rec_release(&r);
		mdb_txn_abort(txn);
	}
	free(x.a.bytes);
	free(x.b.bytes);
	kt_store_close(&ro);
	kt_store_close(&old);
}

/* Ingests ch[0..n) in one transaction with kt_store_ingest_batch; its error into msg. */
static int ingest_batch(struct kt_store *st, const struct kt_bytes *ch, uint32_t n, char *msg)
{
	struct kt_err err;
	MDB_txn *txn;
	int rc;

	if (kt_store_wbegin(st, &txn, &err) != 0)
		return -1;
	if ((rc = kt_store_ingest_batch(st, txn, ch, n, &err)) != 0) {
		snprintf(msg, KT_ERR_MSG_BYTES, "%s", err.msg);
		mdb_txn_abort(txn);
		return rc;
	}
	return kt_store_wcommit(st, txn, &err);
}

/*
 * A batch is ingested on two threads when it is long: whatever the sizes
 * of the batches, and with keys from an earlier batch or from one earlier in
 * the same batch, the store ends as one change at a time leaves it, and a
 * bad change stops the batch with the error one at a time gives.
 */
static void test_batches_on_two_threads_match_one_by_one(void)
{
	static struct kt_bytes ch[CHANGES_MAX];
	static const uint32_t sizes[] = { 1, KT_BATCH_THREADED, 200, 7, KT_BATCH_THREADED - 1, 90 };
	struct kt_store a, b, c;
	struct kt_err err;
	uint8_t da[KT_HASH_BYTES], db[KT_HASH_BYTES], dc[KT_HASH_BYTES];
	char msg_a[KT_ERR_MSG_BYTES] = "", msg_b[KT_ERR_MSG_BYTES] = "", *ja, *jb;
	uint8_t *bad;
	int k = 0, at = KT_BATCH_THREADED + 8;

	T_CHECK(nchanges > 2 * at);
	for (int i = 0; i < nchanges; i++)
		ch[i] = (struct kt_bytes){ changes[i].bytes, (uint32_t)changes[i].len };
	make_node(&a, "batch-a", "n0");
	make_node(&b, "batch-b", "n0");
	make_node(&c, "batch-c", "n0");
	a.batch_test = 1; /* every change made ready by the helper */
	for (int i = 0; i < nchanges; k++) {
		uint32_t n = sizes[k % 6];

		if (n > (uint32_t)(nchanges - i))
			n = (uint32_t)(nchanges - i);
		T_EQ_INT(ingest_batch(&a, ch + i, n, msg_a), 0);
		i += (int)n;
	}
	T_CHECK(a.ready_opened > 0); /* the second thread opened changes */
	T_CHECK(a.pf_done > 0);      /* and brought pages in */
	T_EQ_INT(ingest_batch(&c, ch, (uint32_t)nchanges, msg_a), 0); /* one batch, as it comes */
	T_EQ_INT(ingest_batch(&a, ch, (uint32_t)nchanges, msg_a), 0); /* all held: nothing */
	for (int i = 0; i < nchanges; i++)
		T_EQ_INT(ingest(&b, &changes[i]), 0);
	T_CHECK(kt_store_digest(&a, da, &err) == 0 && kt_store_digest(&b, db, &err) == 0);
	T_CHECK(memcmp(da, db, sizeof(da)) == 0);
	T_CHECK(kt_store_digest(&c, dc, &err) == 0);
	T_CHECK(memcmp(dc, db, sizeof(dc)) == 0);
	ja = dump_store(&a);
	jb = dump_store(&b);
	T_CHECK(strcmp(ja, jb) == 0);
	free(ja);
	free(jb);
	ja = dump_store(&c);
	T_CHECK(strcmp(ja, jb = dump_store(&b)) == 0);
	free(ja);
	free(jb);
	kt_store_close(&c);

	/* A change whose payload was tampered with, in the middle of a long batch. */
	bad = kt_malloc(ch[at].n);
	memcpy(bad, ch[at].p, ch[at].n);
	bad[ch[at].n - 1] ^= 0x40;
	ch[at].p = bad;
	make_node(&c, "batch-d", "n0");
	{
		MDB_txn *txn;
		int rc = 0;

		T_CHECK(kt_store_wbegin(&c, &txn, &err) == 0);
		for (int i = 0; i < 2 * at && rc == 0; i++)
			rc = kt_store_ingest(&c, txn, ch[i].p, ch[i].n, &err);
		T_CHECK(rc != 0);
		snprintf(msg_b, sizeof(msg_b), "%s", err.msg);
		mdb_txn_abort(txn);
	}
	kt_store_close(&c);
	for (int mode = 0; mode < 2; mode++) {
		make_node(&c, mode ? "batch-e" : "batch-f", "n0");
		c.batch_test = mode;
		T_CHECK(kt_store_digest(&c, dc, &err) == 0);
		T_CHECK(ingest_batch(&c, ch, (uint32_t)(2 * at), msg_a) != 0);
		T_EQ_STR(msg_a, msg_b);
		T_CHECK(kt_store_digest(&c, da, &err) == 0);
		T_CHECK(memcmp(da, dc, sizeof(da)) == 0); /* nothing of the batch stayed */
		kt_store_close(&c);
	}
	free(bad);
	kt_store_close(&a);
	kt_store_close(&b);
}

/* Every key of table dbi as hex lines: what no digest covers (the search indexes). */
static char *dump_table(struct kt_store *st, MDB_dbi dbi)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t n = 0;
	char *out = kt_strdup("");

	T_CHECK(kt_store_rdtxn(st, &txn, NULL) == 0);
	mdb_cursor_open(txn, dbi, &cur);
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		out = kt_realloc(out, n + 2 * k.mv_size + 2);
		for (size_t i = 0; i < k.mv_size; i++)
			n += (size_t)sprintf(out + n, "%02x", ((uint8_t *)k.mv_data)[i]);
		out[n++] = '\n';
		out[n] = '\0';
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return out;
}

/*
 * The helper makes index keys ahead (name folds, phone keys, email folds):
 * a batch of new cards and edits of them leaves the same search indexes as
 * one change at a time.
 */
static void test_batch_index_keys_made_ahead(void)
{
	static struct kt_draft d[2];
	static struct kt_bytes ch[512];
	static const char *names2[] = { "Анна Ёлкина", "ÉLODIE Brun", "王小明", "Olga  Smirnova-Ivanova" };
	struct kt_store w, a, b;
	struct kt_err err;
	struct kt_id ids[100];
	char name[64], phone[32], email[64], msg[KT_ERR_MSG_BYTES];
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint32_t n = 0;
	char *ia, *ib;

	make_node(&w, "hints-w", "n0");
	for (int i = 0; i < 100; i++) {
		kt_id_new(&ids[i], kt_wall_ms());
		kt_draft_start(&d[0], KT_T_CLIENT, &ids[i], 1, NULL);
		snprintf(name, sizeof(name), "%s %d", names2[i % 4], i);
		snprintf(phone, sizeof(phone), i % 3 ? "8 912 345-%02d-%02d" : "+44 20 7946 %04d",
			 i, i % 50);
		snprintf(email, sizeof(email), "Client.%d@Example.COM", i);
		T_CHECK(kt_draft_field(&d[0], "name", name, KT_OP_SET, &err) == 0);
		T_CHECK(kt_draft_field(&d[0], "phone", phone, KT_OP_SET, &err) == 0);
		T_CHECK(kt_draft_field(&d[0], "email", email, KT_OP_SET, &err) == 0);
		T_CHECK(kt_store_write(&w, d, 1, NULL, &err) == 0);
	}
	for (int i = 0; i < 100; i += 3) { /* edits: old keys go, new ones come */
		kt_draft_start(&d[0], KT_T_CLIENT, &ids[i], 0, NULL);
		snprintf(name, sizeof(name), "Renamed Клиентка %d", i);
		T_CHECK(kt_draft_field(&d[0], "name", name, KT_OP_SET, &err) == 0);
		T_CHECK(kt_draft_field(&d[0], "phone", "+7 495 000-00-00", KT_OP_SET, &err) == 0);
		T_CHECK(kt_store_write(&w, d, 1, NULL, &err) == 0);
	}
	T_CHECK(kt_store_rdtxn(&w, &txn, NULL) == 0);
	mdb_cursor_open(txn, w.log, &cur);
	for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < 512;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint8_t *copy = kt_malloc(v.mv_size);

		memcpy(copy, v.mv_data, v.mv_size);
		ch[n++] = (struct kt_bytes){ copy, (uint32_t)v.mv_size };
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	T_EQ_INT(n, 134);
	make_node(&a, "hints-a", "n0");
	make_node(&b, "hints-b", "n0");
	a.batch_test = 1;
	/* The cards, then their edits, whose keys the helper reads from the first batch. */
	T_EQ_INT(ingest_batch(&a, ch, 100, msg), 0);
	T_EQ_INT(ingest_batch(&a, ch + 100, n - 100, msg), 0);
	T_EQ_INT(a.ready_opened, n);
	T_CHECK(kt_store_wbegin(&b, &txn, &err) == 0);
	for (uint32_t i = 0; i < n; i++)
		T_EQ_INT(kt_store_ingest(&b, txn, ch[i].p, ch[i].n, &err), 0);
	T_CHECK(kt_store_wcommit(&b, txn, &err) == 0);
	ia = dump_table(&a, a.idx);
	ib = dump_table(&b, b.idx);
	T_EQ_STR(ia, ib);
	T_CHECK(strlen(ia) > 300 * 2 * 20); /* names, phones and emails of 100 cards */
	free(ia);
	free(ib);
	ia = dump_table(&w, w.idx); /* and as the writer indexed them itself */
	ib = dump_table(&b, b.idx);
	T_EQ_STR(ia, ib);
	free(ia);
	free(ib);
	for (uint32_t i = 0; i < n; i++)
		free((void *)ch[i].p);
	kt_store_close(&w);
	kt_store_close(&a);
	kt_store_close(&b);
}

/*
 * The store's boundary speaks one error family: a missing meta value, a
 * value too large to copy and a chain entry of the wrong size come back as
 * KT_ENOTFOUND, KT_ETOOBIG and KT_ECORRUPT, never LMDB's codes, and
 * kt_mdb_err says each in LMDB's words for that kind.
 */
static void test_the_store_answers_in_one_error_family(void)
{
	struct kt_store st;
	struct kt_bytes b;
	struct kt_err err;
	uint8_t key[16], hash[KT_HASH_BYTES], small[2];
	char text[8];
	size_t n;
	MDB_txn *txn;

	make_node(&st, "errors", NULL);
	T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
	T_EQ_INT(kt_meta_get(&st, txn, "no such name", &b), KT_ENOTFOUND);
	T_EQ_INT(kt_meta_copy(&st, txn, "branch", small, sizeof(small), &n), KT_ETOOBIG);
	T_EQ_INT(kt_meta_text(&st, txn, "branch", text, sizeof(text)), 0);
	T_EQ_STR(text, "errors");
	T_EQ_INT(kt_chain_get(&st, txn, st.node_id, 99, hash, NULL), KT_ENOTFOUND);
	T_EQ_INT(kt_log_get(&st, txn, 99, &b), KT_ENOTFOUND);
	mdb_txn_abort(txn);
	kt_be64_put(key, st.node_id);
	kt_be64_put(key + 8, 7);
	T_EQ_INT(kt_txn_begin(st.env, 0, &txn), 0);
	T_EQ_INT(mdb_put(txn, st.chain, &(MDB_val){ 16, key }, &(MDB_val){ 3, "bad" }, 0), 0);
	T_EQ_INT(kt_chain_get(&st, txn, st.node_id, 7, hash, NULL), KT_ECORRUPT);
	T_EQ_INT(kt_mdb_err(&err, KT_ECORRUPT, "read the hash chain"), KT_EIO);
	T_CHECK(strstr(err.msg, "cannot read the hash chain: MDB_CORRUPTED") != NULL);
	T_EQ_INT(kt_mdb_err(&err, MDB_MAP_FULL, "write"), KT_EFULL);
	T_EQ_INT(kt_mdb_err(&err, kt_mdb_code(MDB_MAP_FULL), "write"), KT_EFULL);
	T_EQ_INT(kt_mdb_code(MDB_NOTFOUND), KT_ENOTFOUND);
	T_EQ_INT(kt_mdb_code(MDB_KEYEXIST), KT_EEXIST);
	T_EQ_INT(kt_mdb_code(KT_EINTR), KT_EINTR);
	mdb_txn_abort(txn);
	kt_store_close(&st);
}

int main(void)
{
	if (tmpdir_make("store") != 0)
		return 1;
	T_RUN(test_shuffled_orders_converge);
	T_RUN(test_batches_on_two_threads_match_one_by_one);
	T_RUN(test_batch_index_keys_made_ahead);
	T_RUN(test_chain_refuses_gap_forgery_and_ignores_duplicates);
	T_RUN(test_unparseable_phones_never_pair_cards);
	T_RUN(test_refused_write_changes_nothing);
	T_RUN(test_an_old_index_is_made_again_at_open);
	T_RUN(test_a_phone_changed_without_its_copy_drops_the_copy);
	T_RUN(test_the_store_answers_in_one_error_family);
	for (int i = 0; i < nchanges; i++)
		free(changes[i].bytes);
	return tmpdir_done();
}
