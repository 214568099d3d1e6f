/*
 * bench_search.c - sections 3 and 4 of `make bench` (see bench.c):
 * kt_store_find() and kt_store_load() in-process, and a whole
 * `kt-node client find` process.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- 3: find and show ---- */

static uint64_t timed_find(struct build *b, const char *q, struct kt_id *out, int *got)
{
	struct kt_err err;
	MDB_txn *txn;
	uint64_t t = kt_mono_ns();

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("kt_store_rdtxn: %s", err.msg);
	*got = kt_store_find(&b->st, txn, q, out, KT_FIND_RESULTS_MAX, NULL, &err);
	mdb_txn_abort(txn);
	t = kt_mono_ns() - t;
	if (*got < 0)
		die("kt_store_find '%s': %s", q, err.msg);
	return t;
}

static uint64_t timed_load(struct build *b, const struct kt_id *id, struct kt_rec *r)
{
	struct kt_err err;
	MDB_txn *txn;
	uint64_t t = kt_mono_ns();
	int rc;

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("kt_store_rdtxn: %s", err.msg);
	rc = kt_store_load(&b->st, txn, id, r, &err);
	mdb_txn_abort(txn); /* r's values borrow from txn: only counts are read below */
	t = kt_mono_ns() - t;
	if (rc != 0)
		die("kt_store_load: %s", err.msg);
	if (r->type != KT_T_CLIENT || r->nfields < 3)
		die("kt_store_load: a card came back with type %u and %u fields",
		    (unsigned)r->type, (unsigned)r->nfields);
	return t;
}

static int has_id(const struct kt_id *ids, int n, const struct kt_id *id)
{
	for (int i = 0; i < n; i++)
		if (kt_id_cmp(&ids[i], id) == 0)
			return 1;
	return 0;
}

/* A query made in advance, so a second pass can replay it. */
struct query {
	char q[192];
	uint64_t k;   /* the card it was made from */
	int kind;
};

static struct query *make_queries(struct build *b, int n)
{
	struct query *qs = kt_calloc((size_t)n, sizeof(*qs));
	struct card c;

	for (int i = 0; i < n; i++) {
		struct query *q = &qs[i];

		q->kind = i % Q_KINDS;
		if (q->kind == Q_NAME) {
			q->k = draw_named(b->n, &c);
			query_name(&c, q->q, sizeof(q->q));
			continue;
		}
		q->k = rnd() % b->n;
		card_make(q->k, &c);
		if (q->kind == Q_PHONE)
			query_phone(q->k, i / Q_KINDS, q->q, sizeof(q->q));
		else
			query_email(&c, (i / Q_KINDS) % 2, q->q, sizeof(q->q));
	}
	return qs;
}

/* Runs one query; returns 1 on a miss (an empty answer, or the wrong card). */
static int run_query(struct build *b, const struct query *q, uint64_t *ns)
{
	struct kt_id found[KT_FIND_RESULTS_MAX];
	int got;

	*ns = timed_find(b, q->q, found, &got);
	if (got == 0 || (q->kind != Q_NAME && !has_id(found, got, &b->ids[q->k]))) {
		if (getenv("KT_BENCH_VERBOSE") != NULL)
			fprintf(stderr, "bench:   miss: %s query '%s' (%d found)\n",
				qkind_name[q->kind], q->q, got);
		return 1;
	}
	return 0;
}

/* Major page faults so far: each one a read from disk. */
static uint64_t majflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage: %s", strerror(errno));
	return (uint64_t)ru.ru_majflt;
}

/* Begin and abort of an empty read txn: the floor under every find and load. */
static void rdtxn_floor(struct build *b, const char *label)
{
	struct samples s;
	struct kt_err err;
	char key[64];

	samples_init(&s, (size_t)P->queries);
	for (int i = 0; i < P->queries; i++) {
		MDB_txn *txn;
		uint64_t t = kt_mono_ns();

		if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
			die("kt_store_rdtxn: %s", err.msg);
		mdb_txn_abort(txn);
		sample_add(&s, kt_mono_ns() - t);
	}
	snprintf(key, sizeof(key), "rdtxn_p50_us_%s", label);
	fset(key, pct_us(&s, 50));
	snprintf(key, sizeof(key), "rdtxn_p99_us_%s", label);
	fset(key, pct_us(&s, 99));
	samples_release(&s);
}

static void fset_pcts(const char *what, const char *label, struct samples *s)
{
	char key[96];

	snprintf(key, sizeof(key), "%s_p50_us_%s", what, label);
	fset(key, pct_us(s, 50));
	snprintf(key, sizeof(key), "%s_p99_us_%s", what, label);
	fset(key, pct_us(s, 99));
}

static void fset_label(const char *fmt, const char *label, double v)
{
	char key[96];

	snprintf(key, sizeof(key), fmt, label);
	fset(key, v);
}

/* The first pass over fresh queries: the figures of record, per kind too. */
static void finds_first(struct build *b, const struct query *qs, const char *label)
{
	struct samples all, per[Q_KINDS];
	int misses[Q_KINDS] = { 0 }, total = 0;
	uint64_t f0 = majflt(), ns;
	char key[96];

	samples_init(&all, (size_t)P->queries);
	for (int k = 0; k < Q_KINDS; k++)
		samples_init(&per[k], (size_t)P->queries);
	for (int i = 0; i < P->queries; i++) {
		check_interrupt();
		misses[qs[i].kind] += run_query(b, &qs[i], &ns);
		sample_add(&all, ns);
		sample_add(&per[qs[i].kind], ns);
	}
	fset_label("find_majflt_%s", label, (double)(majflt() - f0));
	fset_pcts("find", label, &all);
	for (int k = 0; k < Q_KINDS; k++) {
		snprintf(key, sizeof(key), "find_%s", qkind_name[k]);
		fset_pcts(key, label, &per[k]);
		snprintf(key, sizeof(key), "find_%s_misses_%%s", qkind_name[k]);
		fset_label(key, label, misses[k]);
		total += misses[k];
		samples_release(&per[k]);
	}
	fset_label("find_misses_%s", label, total);
	fprintf(stderr, "bench:   find at %s: p50 %.1f us, p99 %.1f us, %d misses\n", label,
		pct_us(&all, 50), pct_us(&all, 99), total);
	samples_release(&all);
}

/* The same queries again at once: their pages are in memory now. */
static void finds_replay(struct build *b, const struct query *qs, const char *label)
{
	struct samples all;
	uint64_t f0 = majflt(), ns;
	int misses = 0;

	samples_init(&all, (size_t)P->queries);
	for (int i = 0; i < P->queries; i++) {
		check_interrupt();
		misses += run_query(b, &qs[i], &ns);
		sample_add(&all, ns);
	}
	if (misses != 0)
		die("%d replayed queries missed", misses);
	fset_label("find_warm_majflt_%s", label, (double)(majflt() - f0));
	fset_pcts("find_warm", label, &all);
	samples_release(&all);
}

static void finds(struct build *b, const char *label)
{
	struct query *qs = make_queries(b, P->queries);

	finds_first(b, qs, label);
	finds_replay(b, qs, label);
	free(qs);
}

/* Loads of random clients, then the same clients again (warm). */
static void loads(struct build *b, const char *label)
{
	uint64_t *ks = kt_malloc(sizeof(uint64_t) * (size_t)P->queries), f0;
	struct samples s;
	struct kt_rec r;

	kt_rec_init(&r);
	for (int i = 0; i < P->queries; i++)
		ks[i] = rnd() % b->n;
	for (int pass = 0; pass < 2; pass++) {
		samples_init(&s, (size_t)P->queries);
		f0 = majflt();
		for (int i = 0; i < P->queries; i++) {
			check_interrupt();
			sample_add(&s, timed_load(b, &b->ids[ks[i]], &r));
		}
		fset_label(pass ? "show_warm_majflt_%s" : "show_majflt_%s", label,
			   (double)(majflt() - f0));
		fset_pcts(pass ? "show_warm" : "show", label, &s);
		samples_release(&s);
	}
	kt_rec_release(&r);
	free(ks);
}

/*
 * An extra case outside the brief's mix: "surname-prefix first-name", two
 * words, so the search walks one word's index and reads each hit's name.
 */
static void two_word_finds(struct build *b, const char *label)
{
	struct kt_id found[KT_FIND_RESULTS_MAX];
	struct samples s;
	struct card c;
	char q[256], pre[96];
	int got, empty = 0;

	samples_init(&s, (size_t)P->two_word_queries);
	for (int i = 0; i < P->two_word_queries; i++) {
		check_interrupt();
		draw_named(b->n, &c);
		query_name(&c, pre, sizeof(pre));
		snprintf(q, sizeof(q), "%s %s", pre, c.first);
		sample_add(&s, timed_find(b, q, found, &got));
		empty += got == 0;
	}
	fset_pcts("find_two_words", label, &s);
	snprintf(q, sizeof(q), "find_two_words_misses_%s", label);
	fset(q, empty);
	samples_release(&s);
}

void lookups(struct build *b, const char *label)
{
	rdtxn_floor(b, label);
	finds(b, label);
	loads(b, label);
	two_word_finds(b, label);
}

/* ---- 4: a whole kt-node process ---- */

const char *kt_node_path(void)
{
	const char *p = getenv("KT_NODE");

	return p != NULL && p[0] != '\0' ? p : "bin/kt-node";
}

/* Runs argv[0] with stdout and stderr to /dev/null; returns its wall time. */
static uint64_t spawn_timed(char **argv)
{
	const char *bin = argv[0];
	posix_spawn_file_actions_t fa;
	uint64_t t;
	pid_t pid;
	int rc, status;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0)) != 0)
		die("posix_spawn_file_actions: %s", strerror(rc));
	t = kt_mono_ns();
	if ((rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ)) != 0)
		die("cannot run '%s': %s", bin, strerror(rc));
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid '%s': %s", bin, strerror(errno));
	t = kt_mono_ns() - t;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[1024] = "";
		size_t n = 0;

		for (int i = 0; argv[i] != NULL && i < 8 && n < sizeof(line); i++) /* 6 at most */
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "",
					      argv[i]);
		die("'%s' failed (wait status %d)", line, status);
	}
	return t;
}

static uint64_t spawn_find(const char *bin, const char *dir, const char *q)
{
	char *argv[] = { (char *)bin, "-d", (char *)dir, "client", "find", (char *)q, NULL };

	return spawn_timed(argv);
}

/* The floor under any process: posix_spawn + exit of /bin/true. */
static void spawn_floor(void)
{
	char *argv[] = { "/bin/true", NULL };
	struct samples s;

	if (access(argv[0], X_OK) != 0)
		return;
	samples_init(&s, (size_t)P->spawns);
	for (int i = 0; i < P->spawns; i++)
		sample_add(&s, spawn_timed(argv));
	fset("process_true_p50_ms", pct_us(&s, 50) / 1e3);
	fset("process_true_p99_ms", pct_us(&s, 99) / 1e3);
	samples_release(&s);
}

void process_finds(struct build *b, const char *label)
{
	const char *bin = kt_node_path();
	struct samples s;
	struct card c;
	char q[96], key[96];

	snprintf(key, sizeof(key), "process_find_p50_ms_%s", label);
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "bench:   no '%s' (make bin/kt-node): process finds skipped\n", bin);
		json_object_set_new(fig, key, json_null());
		return;
	}
	spawn_floor();
	samples_init(&s, (size_t)P->spawns);
	for (int i = 0; i < P->spawns; i++) {
		check_interrupt();
		draw_named(b->n, &c);
		query_name(&c, q, sizeof(q));
		sample_add(&s, spawn_find(bin, b->dir, q));
	}
	fset(key, pct_us(&s, 50) / 1e3);
	snprintf(key, sizeof(key), "process_find_p99_ms_%s", label);
	fset(key, pct_us(&s, 99) / 1e3);
	samples_release(&s);
}
