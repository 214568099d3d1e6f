/*
 * bench.c - `make bench`: Kartoteka's figures and this machine's raw LMDB
 * limits, measured in the same run, each of ours also as a ratio to its
 * limit.  A benchmark, not a test: it prints figures and asserts nothing.
 *
 *   bench [--quick]     --quick: 100k cards only, fewer iterations
 *
 * Sections: raw LMDB; durable writes (one per transaction, 1,000 per
 * transaction); find and show latency at 100k and 1M cards, in-process and
 * as a whole `kt-node client find` process; store bytes per card with 5
 * visits.  The last line repeats the figures as JSON ("BENCH_JSON {...}").
 */
#include "store.h"
#include "card.h"
#include "hlc.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char root[256];
static json_t *figures;
static int quick;

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench: %s: %s\n", what, msg);
	exit(1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* p-th percentile (0-100) of n samples, sorting them. */
static double pct(uint64_t *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_u64);
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)v[i < n ? i : n - 1];
}

static void fig(const char *name, double v)
{
	json_object_set_new(figures, name, json_real(v));
}

/* ---- raw LMDB ---- */

static MDB_env *raw_env(const char *name, MDB_dbi *dbi)
{
	char dir[512];
	MDB_env *env;
	MDB_txn *txn;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	if (mkdir(dir, 0700) != 0)
		die("mkdir", dir);
	mdb_env_create(&env);
	mdb_env_set_mapsize(env, 4ull << 30);
	if (mdb_env_open(env, dir, 0, 0600) != 0)
		die("raw env", dir);
	mdb_txn_begin(env, NULL, 0, &txn);
	mdb_dbi_open(txn, NULL, 0, dbi);
	mdb_txn_commit(txn);
	return env;
}

static void raw_commits(void)
{
	int n = quick ? 1000 : 3000;
	uint64_t *lat = kt_malloc(sizeof(uint64_t) * (size_t)n), t0 = kt_mono_ns();
	uint8_t k[16], v[200] = { 0 };
	MDB_dbi dbi;
	MDB_env *env = raw_env("raw1", &dbi);

	for (int i = 0; i < n; i++) {
		MDB_txn *txn;
		MDB_val key = { 16, k }, val = { 200, v };
		uint64_t t = kt_mono_ns();

		kt_random(k, 16);
		mdb_txn_begin(env, NULL, 0, &txn);
		mdb_put(txn, dbi, &key, &val, 0);
		mdb_txn_commit(txn);
		lat[i] = kt_mono_ns() - t;
	}
	fig("raw_commits_per_s", n / ((kt_mono_ns() - t0) / 1e9));
	fig("raw_commit_p50_us", pct(lat, (size_t)n, 50) / 1e3);
	fig("raw_commit_p99_us", pct(lat, (size_t)n, 99) / 1e3);
	printf("raw LMDB: durable commits, 1 put each     %8.0f /s  (commit p50 %.0f us, p99 %.0f us)\n",
	       json_real_value(json_object_get(figures, "raw_commits_per_s")),
	       json_real_value(json_object_get(figures, "raw_commit_p50_us")),
	       json_real_value(json_object_get(figures, "raw_commit_p99_us")));
	mdb_env_close(env);
	free(lat);
}

static void raw_batches(int ordered)
{
	int batches = ordered ? (quick ? 100 : 200) : (quick ? 50 : 100);
	uint8_t k[16], v[200] = { 0 };
	uint64_t seq = 0, t0 = kt_mono_ns();
	MDB_dbi dbi;
	MDB_env *env = raw_env(ordered ? "rawa" : "rawr", &dbi);

	for (int b = 0; b < batches; b++) {
		MDB_txn *txn;

		mdb_txn_begin(env, NULL, 0, &txn);
		for (int i = 0; i < 1000; i++) {
			MDB_val key = { 16, k }, val = { 200, v };

			if (ordered) {
				memset(k, 0, 8);
				kt_be64_put(k + 8, ++seq);
			} else {
				kt_random(k, 16);
			}
			if (mdb_put(txn, dbi, &key, &val, ordered ? MDB_APPEND : 0) != 0)
				die("raw put", "failed");
		}
		mdb_txn_commit(txn);
	}
	fig(ordered ? "raw_append_puts_per_s" : "raw_random_puts_per_s",
	    batches * 1000.0 / ((kt_mono_ns() - t0) / 1e9));
	printf("raw LMDB: 1,000 %s puts per txn   %8.0f /s\n",
	       ordered ? "ordered MDB_APPEND" : "random-key        ",
	       json_real_value(json_object_get(figures, ordered ? "raw_append_puts_per_s"
								: "raw_random_puts_per_s")));
	mdb_env_close(env);
}

/* ---- generated cards: every field follows from the card's number ---- */

static const char *firsts[] = { "Анна", "Мария", "Елена", "Ольга", "Ștefania", "Ioana",
				"Andreea", "Mihaela", "小明", "丽", "Wei", "Li" };
static const char *syl1[] = { "Ива", "Пет", "Смир", "Куз", "Сок", "Лебе", "Коз", "Нов",
			      "Pop", "Ion", "Dum", "Stan", "Gheo", "Rad", "Mar", "Con" };
static const char *syl2[] = { "но", "ро", "ле", "ме", "ка", "ти", "са", "да" };
static const char *syl3[] = { "ва", "ова", "ина", "escu", "eanu", "ache" };

static void surname(uint64_t k, char *out, size_t cap)
{
	if (k % 12 >= 8) { /* Chinese: a one-character surname */
		static const char *zh[] = { "王", "李", "张", "刘", "陈", "杨", "黄", "赵" };

		snprintf(out, cap, "%s", zh[(k / 12) % 8]);
		return;
	}
	snprintf(out, cap, "%s%s%s", syl1[(k / 12) % 16], syl2[(k / 192) % 8],
		 syl3[(k / 1536) % 6]);
}

struct card {
	char name[96], phone[32], email[48];
};

static void card(uint64_t k, struct card *c)
{
	char sur[48];

	surname(k, sur, sizeof(sur));
	snprintf(c->name, sizeof(c->name), "%s %s", firsts[k % 12], sur);
	snprintf(c->phone, sizeof(c->phone), "+7 (9%02u) %03u-%02u-%02u",
		 (unsigned)(k / 10000000) % 100, (unsigned)(k / 10000) % 1000,
		 (unsigned)(k / 100) % 100, (unsigned)k % 100);
	snprintf(c->email, sizeof(c->email), "client%llu@example.ru", (unsigned long long)k);
}

static struct kt_draft drafts[KT_BATCH_MAX];
static struct card cards[KT_BATCH_MAX];
static struct kt_id *ids; /* every card's id, by number */
static uint64_t ncards;

static void open_store(struct kt_store *st, const char *name)
{
	char dir[512];
	struct kt_err err;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	if (kt_store_init(dir, "Bench", "RU", &err) != 0 || kt_store_open(st, dir, &err) != 0)
		die("store", err.msg);
}

/* Adds cards up to `upto`, 1,000 per durable transaction; returns changes/s. */
static double add_cards(struct kt_store *st, uint64_t upto)
{
	struct kt_err err;
	uint64_t t0 = kt_mono_ns(), from = ncards;

	ids = kt_realloc(ids, sizeof(*ids) * upto);
	while (ncards < upto) {
		size_t n = 0;

		for (; n < KT_BATCH_MAX && ncards < upto; n++, ncards++) {
			kt_id_new(&ids[ncards], kt_wall_ms());
			card(ncards, &cards[n]);
			kt_draft_start(&drafts[n], KT_T_CLIENT, &ids[ncards], 1, NULL);
			if (kt_draft_field(&drafts[n], "name", cards[n].name, KT_OP_SET, &err) ||
			    kt_draft_field(&drafts[n], "phone", cards[n].phone, KT_OP_SET, &err) ||
			    kt_draft_field(&drafts[n], "email", cards[n].email, KT_OP_SET, &err))
				die("draft", err.msg);
		}
		if (kt_store_write(st, drafts, n, NULL, &err) != 0)
			die("write", err.msg);
	}
	return (double)(ncards - from) / ((kt_mono_ns() - t0) / 1e9);
}

/* Adds `n` visits to random cards, 1,000 per transaction; returns changes/s. */
static double add_visits(struct kt_store *st, uint64_t n, int per_card)
{
	static char dates[KT_BATCH_MAX][11];
	struct kt_err err;
	uint64_t t0 = kt_mono_ns(), done = 0;

	while (done < n) {
		size_t b = 0;

		for (; b < KT_BATCH_MAX && done < n; b++, done++) {
			struct kt_id id;
			uint64_t k = per_card ? done / (uint64_t)per_card : (uint64_t)rand() % ncards;

			kt_id_new(&id, kt_wall_ms());
			kt_draft_start(&drafts[b], KT_T_VISIT, &id, 1, &ids[k]);
			snprintf(dates[b], sizeof(dates[b]), "2026-%02u-%02u",
				 (unsigned)(1 + done % 12), (unsigned)(1 + done % 28));
			if (kt_draft_field(&drafts[b], "date", dates[b], KT_OP_SET, &err) ||
			    kt_draft_field(&drafts[b], "services", "Hydrating facial", KT_OP_SET, &err) ||
			    kt_draft_field(&drafts[b], "amount", "2500", KT_OP_SET, &err) ||
			    kt_draft_field(&drafts[b], "specialist", "Olga", KT_OP_SET, &err))
				die("draft", err.msg);
		}
		if (kt_store_write(st, drafts, b, NULL, &err) != 0)
			die("write", err.msg);
	}
	return (double)n / ((kt_mono_ns() - t0) / 1e9);
}

/* One durable write per transaction: an edit of a random card. */
static void single_writes(struct kt_store *st)
{
	int n = quick ? 500 : 2000;
	uint64_t *lat = kt_malloc(sizeof(uint64_t) * (size_t)n), t0 = kt_mono_ns();
	struct kt_err err;
	char note[64];
	double rate, raw = json_real_value(json_object_get(figures, "raw_commits_per_s"));

	for (int i = 0; i < n; i++) {
		uint64_t t = kt_mono_ns();

		kt_draft_start(&drafts[0], KT_T_CLIENT, &ids[(uint64_t)rand() % ncards], 0, NULL);
		snprintf(note, sizeof(note), "prefers mornings %d", i);
		if (kt_draft_field(&drafts[0], "notes", note, KT_OP_SET, &err) ||
		    kt_store_write(st, drafts, 1, NULL, &err) != 0)
			die("single write", err.msg);
		lat[i] = kt_mono_ns() - t;
	}
	rate = n / ((kt_mono_ns() - t0) / 1e9);
	fig("single_writes_per_s", rate);
	fig("single_write_p50_us", pct(lat, (size_t)n, 50) / 1e3);
	fig("single_write_p99_us", pct(lat, (size_t)n, 99) / 1e3);
	printf("ours: durable changes, 1 per txn          %8.0f /s  (p50 %.0f us, p99 %.0f us)"
	       "  = %.2f x raw commits  [target >= 0.5]\n", rate,
	       pct(lat, (size_t)n, 50) / 1e3, pct(lat, (size_t)n, 99) / 1e3, rate / raw);
	fig("single_ratio_to_raw", rate / raw);
	free(lat);
}

/* ---- find and show ---- */

/* A query for card k: a surname prefix, her phone written another way, or her email. */
static void query(uint64_t k, int kind, char *out, size_t cap)
{
	struct card c;
	char sur[48];

	card(k, &c);
	if (kind == 0) { /* the first four letters of her surname */
		size_t i = 0;
		int chars = 0;

		surname(k, sur, sizeof(sur));
		for (; sur[i] && chars <= 4; i++)
			if (((unsigned char)sur[i] & 0xc0) != 0x80 && ++chars > 4)
				break;
		snprintf(out, cap, "%.*s", (int)i, sur);
	} else if (kind == 1) {
		snprintf(out, cap, "8 9%02u %03u %02u %02u", (unsigned)(k / 10000000) % 100,
			 (unsigned)(k / 10000) % 1000, (unsigned)(k / 100) % 100, (unsigned)k % 100);
	} else {
		snprintf(out, cap, "CLIENT%llu@Example.RU", (unsigned long long)k);
	}
}

static void lookups(struct kt_store *st, const char *label)
{
	int n = quick ? 1000 : 3000, misses = 0;
	uint64_t *lf = kt_malloc(sizeof(uint64_t) * (size_t)n);
	uint64_t *ls = kt_malloc(sizeof(uint64_t) * (size_t)n);
	struct kt_id found[KT_FIND_RESULTS_MAX];
	struct kt_err err;
	struct kt_rec r;
	char q[128], key[64];
	unsigned seed;

	kt_rec_init(&r);
	/*
	 * Warm-up: one unmeasured pass over the same queries, so the figures are
	 * of a node in use (its store in the page cache), not of the first
	 * minutes after a million cards were written.
	 */
	seed = (unsigned)rand();
	srand(seed);
	for (int i = 0; i < n; i++) {
		uint64_t k = (uint64_t)rand() % ncards;
		MDB_txn *txn;

		query(k, i % 3, q, sizeof(q));
		kt_store_rdtxn(st, &txn, NULL);
		kt_store_find(st, txn, q, found, KT_FIND_RESULTS_MAX, &err);
		kt_store_load(st, txn, &ids[k], &r, &err);
		mdb_txn_abort(txn);
	}
	srand(seed); /* the measured pass asks the same queries */
	for (int i = 0; i < n; i++) {
		uint64_t k = (uint64_t)rand() % ncards, t;
		MDB_txn *txn;
		int got;

		query(k, i % 3, q, sizeof(q));
		t = kt_mono_ns();
		kt_store_rdtxn(st, &txn, NULL);
		got = kt_store_find(st, txn, q, found, KT_FIND_RESULTS_MAX, &err);
		mdb_txn_abort(txn);
		lf[i] = kt_mono_ns() - t;
		misses += got <= 0;
		t = kt_mono_ns();
		kt_store_rdtxn(st, &txn, NULL);
		if (kt_store_load(st, txn, &ids[k], &r, &err) != 0)
			die("load", err.msg);
		mdb_txn_abort(txn);
		ls[i] = kt_mono_ns() - t;
	}
	kt_rec_release(&r);
	printf("ours: at %s cards, in-process (a read txn each): find p50 %.1f us, p99 %.1f us"
	       "  [target p99 < 100 us at 1M]; show (load a card) p50 %.1f us, p99 %.1f us%s\n",
	       label, pct(lf, (size_t)n, 50) / 1e3, pct(lf, (size_t)n, 99) / 1e3,
	       pct(ls, (size_t)n, 50) / 1e3, pct(ls, (size_t)n, 99) / 1e3,
	       misses ? "  (SOME QUERIES FOUND NOTHING)" : "");
	snprintf(key, sizeof(key), "find_p50_us_%s", label);
	fig(key, pct(lf, (size_t)n, 50) / 1e3);
	snprintf(key, sizeof(key), "find_p99_us_%s", label);
	fig(key, pct(lf, (size_t)n, 99) / 1e3);
	snprintf(key, sizeof(key), "show_p50_us_%s", label);
	fig(key, pct(ls, (size_t)n, 50) / 1e3);
	snprintf(key, sizeof(key), "show_p99_us_%s", label);
	fig(key, pct(ls, (size_t)n, 99) / 1e3);
	free(lf);
	free(ls);
}

/* The whole `kt-node client find` process, as a receptionist runs it. */
static void process_find(const char *store, const char *label)
{
	int n = quick ? 20 : 50;
	uint64_t *lat = kt_malloc(sizeof(uint64_t) * (size_t)n);
	char dir[512], q[128], key[64];

	if (access("bin/kt-node", X_OK) != 0) {
		printf("ours: kt-node process: skipped (no bin/kt-node here)\n");
		free(lat);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%s", root, store);
	for (int i = 0; i < n; i++) {
		char *argv[] = { "bin/kt-node", "-d", dir, "client", "find", q, NULL };
		posix_spawn_file_actions_t fa;
		uint64_t t;
		pid_t pid;
		int status;

		query((uint64_t)rand() % ncards, 0, q, sizeof(q));
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
		t = kt_mono_ns();
		if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
			die("spawn", "bin/kt-node");
		waitpid(pid, &status, 0);
		lat[i] = kt_mono_ns() - t;
		posix_spawn_file_actions_destroy(&fa);
	}
	printf("ours: at %s cards, `kt-node client find` process: p50 %.1f ms, p99 %.1f ms\n",
	       label, pct(lat, (size_t)n, 50) / 1e6, pct(lat, (size_t)n, 99) / 1e6);
	snprintf(key, sizeof(key), "process_find_p50_ms_%s", label);
	fig(key, pct(lat, (size_t)n, 50) / 1e6);
	snprintf(key, sizeof(key), "process_find_p99_ms_%s", label);
	fig(key, pct(lat, (size_t)n, 99) / 1e6);
	free(lat);
}

/* ---- store size ---- */

static void bytes_per_card(void)
{
	struct kt_store st;
	struct kt_store_info info;
	struct kt_err err;
	uint64_t keep = ncards, n = quick ? 2000 : 10000;
	struct kt_id *keep_ids = ids;

	ids = NULL;
	ncards = 0;
	double vr;

	open_store(&st, "size");
	add_cards(&st, n);
	vr = add_visits(&st, n * 5, 5);
	printf("ours: durable changes, 1,000 per txn: visits of just-carded clients, "
	       "as an import writes them (owners in time order)  %8.0f /s  = %.2f x raw "
	       "appends  [target >= 100,000]\n", vr,
	       vr / json_real_value(json_object_get(figures, "raw_append_puts_per_s")));
	fig("batch_ordered_visits_per_s", vr);
	kt_store_info(&st, &info, &err);
	printf("ours: store bytes per card with 5 visits   %8.0f B  (%llu cards, %.1f MiB)\n",
	       (double)info.used_bytes / (double)n, (unsigned long long)n,
	       info.used_bytes / 1048576.0);
	fig("bytes_per_card_5_visits", (double)info.used_bytes / (double)n);
	kt_store_close(&st);
	free(ids);
	ids = keep_ids;
	ncards = keep;
}

int main(int argc, char **argv)
{
	struct kt_store st;
	double rate, vrate;
	uint64_t t0 = kt_mono_ns();
	char cmd[300];

	quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	kt_crypto_init();
	srand(7);
	figures = json_object();
	snprintf(root, sizeof(root), "%s/kt-bench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(root) == NULL)
		die("mkdtemp", root);
	printf("Kartoteka benchmark (%s run), in %s\n\n", quick ? "quick" : "full", root);
	raw_commits();
	raw_batches(1);
	raw_batches(0);
	printf("\n");
	bytes_per_card();
	open_store(&st, "main");
	rate = add_cards(&st, 100000);
	fig("batch_cards_per_s", rate);
	printf("ours: durable changes, 1,000 per txn: new cards (name, phone, email)  %8.0f /s"
	       "  = %.2f x raw random puts, %.2f x raw appends  [target >= 100,000]\n", rate,
	       rate / json_real_value(json_object_get(figures, "raw_random_puts_per_s")),
	       rate / json_real_value(json_object_get(figures, "raw_append_puts_per_s")));
	vrate = add_visits(&st, quick ? 20000 : 100000, 0);
	fig("batch_visits_per_s", vrate);
	printf("ours: durable changes, 1,000 per txn: visits                           %8.0f /s"
	       "  = %.2f x raw random puts, %.2f x raw appends  [target >= 100,000]\n", vrate,
	       vrate / json_real_value(json_object_get(figures, "raw_random_puts_per_s")),
	       vrate / json_real_value(json_object_get(figures, "raw_append_puts_per_s")));
	single_writes(&st);
	lookups(&st, "100k");
	process_find("main", "100k");
	if (!quick) {
		rate = add_cards(&st, 1000000);
		printf("ours: growing to 1M cards ran at %.0f changes/s\n", rate);
		fig("batch_cards_per_s_to_1M", rate);
		lookups(&st, "1M");
		process_find("main", "1M");
	}
	kt_store_close(&st);
	printf("\n(%.0f s)\nBENCH_JSON ", (kt_mono_ns() - t0) / 1e9);
	json_dumpf(figures, stdout, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(6));
	printf("\n");
	json_decref(figures);
	free(ids);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : 1;
}
