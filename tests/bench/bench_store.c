/*
 * bench_store.c - sections 1, 2 and 5 of `make bench` (see bench.c): raw
 * LMDB in fresh environments, our durable writes (one edit per transaction,
 * batches of new cards), and store bytes per client with 5 visits; and the
 * stores the other sections search, built from generated cards.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Raw LMDB: the record shape of LIMITS.md, and a map no run can fill. */
#define RAW_KEY_BYTES 16
#define RAW_VALUE_BYTES 200
#define RAW_PUTS_PER_TXN 1000
#define RAW_MAP_BYTES (4ull << 30)

/* ---- 1. raw LMDB ---- */

static void raw_env(const char *name, MDB_env **env, MDB_dbi *dbi)
{
	char dir[4200];
	MDB_txn *txn;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	if (mkdir(dir, 0700) != 0)
		die("cannot make '%s': %s", dir, strerror(errno));
	mdb_ok(mdb_env_create(env), "mdb_env_create");
	mdb_ok(mdb_env_set_mapsize(*env, RAW_MAP_BYTES), "mdb_env_set_mapsize");
	mdb_ok(mdb_env_open(*env, dir, 0, 0600), "mdb_env_open (raw)"); /* 0: durable */
	mdb_ok(mdb_txn_begin(*env, NULL, 0, &txn), "mdb_txn_begin (raw)");
	mdb_ok(mdb_dbi_open(txn, NULL, 0, dbi), "mdb_dbi_open (raw)");
	mdb_ok(mdb_txn_commit(txn), "mdb_txn_commit (raw)");
}

static void rand_key(uint8_t k[RAW_KEY_BYTES])
{
	kt_be64_put(k, rnd());
	kt_be64_put(k + 8, rnd());
}

/* (a) One 16-byte key, 200-byte value per durable transaction. */
void raw_single(void)
{
	uint8_t k[RAW_KEY_BYTES], v[RAW_VALUE_BYTES];
	uint64_t limit = (uint64_t)(P->raw_seconds * 1e9), t0, ns;
	struct samples commit, txl;
	MDB_env *env;
	MDB_dbi dbi;
	int i;

	raw_env("raw-single", &env, &dbi);
	samples_init(&commit, (size_t)P->raw_commits);
	samples_init(&txl, (size_t)P->raw_commits);
	memset(v, 'v', sizeof(v));
	t0 = kt_mono_ns();
	for (i = 0; i < P->raw_commits && kt_mono_ns() - t0 < limit; i++) {
		MDB_val key = { sizeof(k), k }, val = { sizeof(v), v };
		MDB_txn *txn;
		uint64_t t1, t2;

		check_interrupt();
		rand_key(k);
		t1 = kt_mono_ns();
		mdb_ok(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin (raw single)");
		mdb_ok(mdb_put(txn, dbi, &key, &val, 0), "mdb_put (raw single)");
		t2 = kt_mono_ns();
		mdb_ok(mdb_txn_commit(txn), "mdb_txn_commit (raw single)");
		ns = kt_mono_ns();
		sample_add(&commit, ns - t2);
		sample_add(&txl, ns - t1);
	}
	ns = kt_mono_ns() - t0;
	fset("raw_commits_n", i);
	fset("raw_commits_per_s", i / (ns / 1e9));
	fset("raw_commit_p50_us", pct_us(&commit, 50));
	fset("raw_commit_p99_us", pct_us(&commit, 99));
	fset("raw_txn_p50_us", pct_us(&txl, 50));
	fset("raw_txn_p99_us", pct_us(&txl, 99));
	fprintf(stderr, "bench:   raw 1 put/commit: %.0f commits/s, commit p50 %.0f us\n",
		fget("raw_commits_per_s"), fget("raw_commit_p50_us"));
	mdb_env_close(env);
	samples_release(&commit);
	samples_release(&txl);
}

/* (b) 1,000 ordered MDB_APPEND puts per commit, or (c) 1,000 random puts. */
void raw_batches(int append)
{
	const char *tag = append ? "raw_append" : "raw_random";
	int batches = append ? P->append_batches : P->random_batches;
	uint8_t k[RAW_KEY_BYTES], v[RAW_VALUE_BYTES];
	uint64_t seq = 0, t0, ns, w0 = io_wchar();
	struct samples commit;
	char name[64];
	MDB_env *env;
	MDB_dbi dbi;

	raw_env(append ? "raw-append" : "raw-random", &env, &dbi);
	samples_init(&commit, (size_t)batches);
	memset(v, 'v', sizeof(v));
	memset(k, 0, sizeof(k));
	t0 = kt_mono_ns();
	for (int b = 0; b < batches; b++) {
		MDB_txn *txn;
		uint64_t t;

		check_interrupt();
		mdb_ok(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin (raw batch)");
		for (int i = 0; i < RAW_PUTS_PER_TXN; i++) {
			MDB_val key = { sizeof(k), k }, val = { sizeof(v), v };

			if (append)
				kt_be64_put(k + 8, ++seq);
			else
				rand_key(k);
			mdb_ok(mdb_put(txn, dbi, &key, &val, append ? MDB_APPEND : 0),
			       "mdb_put (raw batch)");
		}
		t = kt_mono_ns();
		mdb_ok(mdb_txn_commit(txn), "mdb_txn_commit (raw batch)");
		sample_add(&commit, kt_mono_ns() - t);
	}
	ns = kt_mono_ns() - t0;
	snprintf(name, sizeof(name), "%s_puts_per_s", tag);
	fset(name, (double)batches * RAW_PUTS_PER_TXN / (ns / 1e9));
	fprintf(stderr, "bench:   %s: %.0f puts/s\n", tag, fget(name));
	snprintf(name, sizeof(name), "%s_commit_p50_ms", tag);
	fset(name, pct_us(&commit, 50) / 1e3);
	snprintf(name, sizeof(name), "%s_commit_p99_ms", tag);
	fset(name, pct_us(&commit, 99) / 1e3);
	snprintf(name, sizeof(name), "%s_write_bytes_per_put", tag);
	fset(name, (double)(io_wchar() - w0) / ((double)batches * RAW_PUTS_PER_TXN));
	mdb_env_close(env);
	samples_release(&commit);
}

/* ---- building stores ---- */

static struct kt_draft drafts[KT_BATCH_MAX];
static struct card cards[KT_BATCH_MAX]; /* the texts drafts borrow */
static char notes[KT_BATCH_MAX][96];    /* each card's health notes, sealed at rest */

void store_make(struct build *b, const char *name, uint64_t cap)
{
	struct kt_err err;

	snprintf(b->dir, sizeof(b->dir), "%s/%s", root, name);
	if (kt_store_init(b->dir, "Bench", "RU", &err) != 0)
		die("kt_store_init '%s': %s", b->dir, err.msg);
	if (kt_store_open(&b->st, b->dir, &err) != 0)
		die("kt_store_open '%s': %s", b->dir, err.msg);
	b->ids = kt_calloc(cap, sizeof(*b->ids));
	b->n = 0;
	b->cap = cap;
}

void store_free(struct build *b)
{
	kt_store_close(&b->st);
	free(b->ids);
	b->ids = NULL;
}

static void draft_set(struct kt_draft *d, const char *field, const char *text)
{
	struct kt_err err;

	if (kt_draft_field(d, field, text, KT_OP_SET, &err) != 0)
		die("kt_draft_field %s='%s': %s", field, text, err.msg);
}

/* Drafts cards [b->n, b->n + n) into drafts[]; their texts go to cards[]. */
static void draft_cards(struct build *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t k = b->n + i;

		kt_id_new(&b->ids[k], kt_wall_ms());
		card_make(k, &cards[i]);
		kt_draft_start(&drafts[i], KT_T_CLIENT, &b->ids[k], 1, NULL);
		draft_set(&drafts[i], "name", cards[i].name);
		draft_set(&drafts[i], "phone", cards[i].phone);
		draft_set(&drafts[i], "email", cards[i].email);
		/* A health value, as a real card has: sealed at rest, so show opens one. */
		snprintf(notes[i], sizeof(notes[i]), "Чувствительная кожа, карта %llu",
			 (unsigned long long)k);
		draft_set(&drafts[i], "health_notes", notes[i]);
	}
}

/*
 * Adds cards until b->n reaches upto, KT_BATCH_MAX per kt_store_write().
 * Returns the ns spent inside kt_store_write (drafting excluded); each
 * batch's time goes to lat when it has room.
 */
static uint64_t build_cards(struct build *b, uint64_t upto, struct samples *lat)
{
	uint64_t in_store = 0, batches = 0;
	struct kt_err err;

	kt_assert(upto <= b->cap);
	while (b->n < upto) { /* bounded: each pass adds at least one card */
		size_t n = upto - b->n < KT_BATCH_MAX ? (size_t)(upto - b->n) : KT_BATCH_MAX;
		uint64_t t;

		check_interrupt();
		draft_cards(b, n);
		t = kt_mono_ns();
		if (kt_store_write(&b->st, drafts, n, NULL, &err) != 0)
			die("kt_store_write of %zu cards at %llu: %s", n,
			    (unsigned long long)b->n, err.msg);
		t = kt_mono_ns() - t;
		in_store += t;
		if (lat != NULL && lat->n < lat->cap)
			sample_add(lat, t);
		b->n += n;
		if (++batches % 100 == 0)
			fprintf(stderr, "bench:   %llu cards\n", (unsigned long long)b->n);
	}
	return in_store;
}

/* Sum of entries over the store's databases: LMDB puts per card, roughly. */
static uint64_t store_entries(struct build *b)
{
	MDB_dbi dbis[] = { b->st.meta, b->st.log, b->st.chain, b->st.rec, b->st.own,
			   b->st.idx, b->st.bday, b->st.keys, b->st.shred, b->st.tokens,
			   b->st.merged };
	struct kt_err err;
	uint64_t sum = 0;
	MDB_txn *txn;
	MDB_stat ms;

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("kt_store_rdtxn: %s", err.msg);
	for (size_t i = 0; i < N_OF(dbis); i++) {
		mdb_ok(mdb_stat(txn, dbis[i], &ms), "mdb_stat");
		sum += ms.ms_entries;
	}
	mdb_txn_abort(txn);
	return sum;
}

/* 2(b): the first CARDS_SMALL cards of a fresh store, 1,000 per transaction. */
void batch_writes(struct build *b)
{
	struct samples lat;
	uint64_t t0 = kt_mono_ns(), w0 = io_wchar(), in_store, e0 = store_entries(b);
	double rate;

	samples_init(&lat, CARDS_SMALL / KT_BATCH_MAX + 1);
	in_store = build_cards(b, CARDS_SMALL, &lat);
	rate = (double)b->n / (in_store / 1e9);
	fset("batch_cards_per_s", rate);
	fset("batch_cards_per_s_with_drafting", (double)b->n / ((kt_mono_ns() - t0) / 1e9));
	fset("batch_p50_ms", pct_us(&lat, 50) / 1e3);
	fset("batch_p99_ms", pct_us(&lat, 99) / 1e3);
	fset("batch_ratio_to_raw_append", rate / fget("raw_append_puts_per_s"));
	fset("batch_ratio_to_raw_random", rate / fget("raw_random_puts_per_s"));
	fset("batch_lmdb_entries_per_card", (double)(store_entries(b) - e0) / (double)b->n);
	fset("batch_write_bytes_per_card", (double)(io_wchar() - w0) / (double)b->n);
	fset_bool("target_batch_ok", rate >= 100000);
	fprintf(stderr, "bench:   %.0f cards/s in kt_store_write\n", rate);
	samples_release(&lat);
}

/* 3: growing the store to CARDS_LARGE, the build rate on the way. */
void grow_to_large(struct build *b)
{
	struct samples lat;
	uint64_t from = b->n, in_store, t0 = kt_mono_ns();

	samples_init(&lat, CARDS_LARGE / KT_BATCH_MAX + 1);
	in_store = build_cards(b, CARDS_LARGE, &lat);
	fset("build_to_1M_cards_per_s", (double)(b->n - from) / (in_store / 1e9));
	fset("build_to_1M_cards_per_s_with_drafting",
	     (double)(b->n - from) / ((kt_mono_ns() - t0) / 1e9));
	fset("build_to_1M_batch_p50_ms", pct_us(&lat, 50) / 1e3);
	fset("build_to_1M_batch_p99_ms", pct_us(&lat, 99) / 1e3);
	samples_release(&lat);
}

/* ---- 2(a): one durable `client edit` per transaction ---- */

void single_writes(struct build *b)
{
	int n = P->single_writes;
	struct samples lat;
	struct kt_err err;
	char note[128];
	uint64_t t0 = kt_mono_ns();
	double rate;

	samples_init(&lat, (size_t)n);
	for (int i = 0; i < n; i++) {
		uint64_t t;

		check_interrupt();
		snprintf(note, sizeof(note), "prefers morning appointments; call before 10 (%d)", i);
		t = kt_mono_ns();
		kt_draft_start(&drafts[0], KT_T_CLIENT, &b->ids[rnd() % b->n], 0, NULL);
		draft_set(&drafts[0], "notes", note);
		if (kt_store_write(&b->st, drafts, 1, NULL, &err) != 0)
			die("kt_store_write (one edit): %s", err.msg);
		sample_add(&lat, kt_mono_ns() - t);
	}
	rate = n / ((kt_mono_ns() - t0) / 1e9);
	fset("single_writes_n", n);
	fset("single_writes_per_s", rate);
	fset("single_write_p50_us", pct_us(&lat, 50));
	fset("single_write_p99_us", pct_us(&lat, 99));
	fset("single_ratio_to_raw_commits", rate / fget("raw_commits_per_s"));
	fset("single_p50_ratio_to_raw_txn_p50", pct_us(&lat, 50) / fget("raw_txn_p50_us"));
	fset_bool("target_single_ok", rate / fget("raw_commits_per_s") >= 0.5);
	fprintf(stderr, "bench:   %.0f single writes/s, p50 %.0f us\n", rate, pct_us(&lat, 50));
	samples_release(&lat);
}

/* ---- 5: store bytes per client with 5 visits ---- */

static const char *services[] = { "Hydrating facial", "Чистка лица", "Peeling chimic",
				  "Массаж лица", "Microdermabrasion", "Биоревитализация" };

/* Visit round `round` of clients [from, from + n), in a scattered order. */
static void draft_visits(struct build *b, int round, uint64_t from, size_t n)
{
	static char dates[KT_BATCH_MAX][11], amounts[KT_BATCH_MAX][16];

	for (size_t i = 0; i < n; i++) {
		/* 7919 is prime and does not divide SIZE_CLIENTS: a permutation. */
		uint64_t k = ((from + i) * 7919u) % b->n;
		struct kt_id id;

		kt_id_new(&id, kt_wall_ms());
		kt_draft_start(&drafts[i], KT_T_VISIT, &id, 1, &b->ids[k]);
		snprintf(dates[i], sizeof(dates[i]), "2026-%02u-%02u", (unsigned)(1 + round * 2),
			 (unsigned)(1 + k % 28));
		snprintf(amounts[i], sizeof(amounts[i]), "%u.%02u", (unsigned)(1500 + k % 3000),
			 (unsigned)(k % 2) * 50);
		draft_set(&drafts[i], "date", dates[i]);
		draft_set(&drafts[i], "services", services[(k + (uint64_t)round) % N_OF(services)]);
		draft_set(&drafts[i], "amount", amounts[i]);
	}
}

static uint64_t add_visits(struct build *b)
{
	struct kt_err err;
	uint64_t in_store = 0;

	for (int round = 0; round < SIZE_VISITS_EACH; round++)
		for (uint64_t from = 0; from < b->n; from += KT_BATCH_MAX) {
			size_t n = b->n - from < KT_BATCH_MAX ? (size_t)(b->n - from) : KT_BATCH_MAX;
			uint64_t t;

			check_interrupt();
			draft_visits(b, round, from, n);
			t = kt_mono_ns();
			if (kt_store_write(&b->st, drafts, n, NULL, &err) != 0)
				die("kt_store_write of %zu visits: %s", n, err.msg);
			in_store += kt_mono_ns() - t;
		}
	return in_store;
}

/* Pages each database holds, as bytes per client. */
static void size_breakdown(struct build *b, size_t psize)
{
	struct { const char *name; MDB_dbi dbi; } dbs[] = {
		{ "log", b->st.log }, { "rec", b->st.rec }, { "idx", b->st.idx },
		{ "own", b->st.own }, { "chain", b->st.chain }, { "tokens", b->st.tokens },
		{ "keys", b->st.keys },
	};
	struct kt_err err;
	MDB_txn *txn;
	MDB_stat ms;
	char key[64];

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("kt_store_rdtxn: %s", err.msg);
	for (size_t i = 0; i < N_OF(dbs); i++) {
		mdb_ok(mdb_stat(txn, dbs[i].dbi, &ms), "mdb_stat");
		snprintf(key, sizeof(key), "size_%s_bytes_per_client", dbs[i].name);
		fset(key, (double)(ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages) *
				  (double)psize / (double)b->n);
		snprintf(key, sizeof(key), "size_%s_entries", dbs[i].name);
		fset(key, (double)ms.ms_entries);
	}
	mdb_txn_abort(txn);
}

void bytes_per_client(void)
{
	struct build b;
	struct kt_store_info info;
	struct kt_err err;
	MDB_envinfo ei;
	MDB_stat ms;
	uint64_t t;
	double bytes;

	memset(&b, 0, sizeof(b));
	store_make(&b, "size", SIZE_CLIENTS);
	build_cards(&b, SIZE_CLIENTS, NULL);
	t = add_visits(&b);
	fset("size_visit_changes_per_s", (double)(b.n * SIZE_VISITS_EACH) / (t / 1e9));
	mdb_ok(mdb_env_info(b.st.env, &ei), "mdb_env_info");
	mdb_ok(mdb_env_stat(b.st.env, &ms), "mdb_env_stat");
	bytes = (double)(ei.me_last_pgno + 1) * ms.ms_psize;
	if (kt_store_info(&b.st, &info, &err) != 0)
		die("kt_store_info: %s", err.msg);
	if (info.used_bytes != (uint64_t)bytes)
		die("kt_store_info used_bytes %llu differs from mdb_env_info's %.0f",
		    (unsigned long long)info.used_bytes, bytes);
	fset("size_clients", (double)b.n);
	fset("size_changes", (double)info.changes);
	fset("bytes_per_client_5_visits", bytes / (double)b.n);
	size_breakdown(&b, ms.ms_psize);
	store_free(&b);
}
