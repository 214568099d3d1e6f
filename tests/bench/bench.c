/*
 * bench.c - `make bench`: this machine's raw LMDB limits and Kartoteka's
 * figures, measured in one run, each of ours also as a ratio to the raw
 * figure it is bound by.  A benchmark, not a test: it asserts only that
 * every call succeeded and that searches find the cards they were made from.
 *
 *   bench [--quick]    --quick: 100k cards only, fewer iterations (~1 min);
 *                      default: the full run, up to 1M cards (several min)
 *
 * Sections, each timed as a phase:
 *   1. raw LMDB in fresh environments with the default (durable) flags:
 *      1 put per commit; 1,000 MDB_APPEND puts per commit; 1,000 random
 *      puts per commit into a growing database.
 *   2. our durable writes through kt_store_write(): one `client edit` per
 *      transaction; batches of KT_BATCH_MAX new client cards.
 *   3. kt_store_find() and kt_store_load() at 100k and 1M cards, with a read
 *      transaction per call (mdb_txn_begin + mdb_txn_abort, no renew).
 *   4. a whole `kt-node -d DIR client find SURNAME` process (posix_spawn).
 *   5. store bytes per client with 5 visits.
 *   6. the safety check at the chair (kt_safety_visit) in-process, on a
 *      merge group of three cards against a catalogue of CATALOGUE_ENTRIES
 *      entries, and its word match alone, by stems and by folds.
 * Progress goes to stderr while it runs; the report goes to stdout at the
 * end, then the same figures as one line "BENCH_JSON {...}".
 *
 * Stores live in one mkdtemp folder under $TMPDIR (or /tmp), removed at the
 * end, and also when a call fails or the run is interrupted (SIGINT/TERM).
 * Cards are generated from their number alone (card_make), so a query can
 * be rebuilt for any card and its answer checked.
 *
 * Files: bench.c (this one) has the harness (failing and cleaning up,
 * figures, samples, the random numbers), the report and main;
 * bench_store.c sections 1, 2 and 5 and the stores they build;
 * bench_cards.c the generated cards and the queries made from them;
 * bench_search.c sections 3 and 4; bench_safety.c section 6; bench_audit.c
 * section 7 (what the audit adds to a read).  bench.h
 * declares what they share.
 */
#include "bench.h"
#include "crypto.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct plan plan_full = { 3000, 2.0, 200, 100, 2000, 2000, 300, 50 };
static const struct plan plan_quick = { 1000, 1.0, 50, 30, 500, 500, 100, 20 };
const struct plan *P = &plan_full;

int quick;
char root[4096];   /* the temporary folder; "" until made */
json_t *fig;       /* every figure, for the report and BENCH_JSON */
static json_t *phases;    /* seconds per phase, in run order */
static uint64_t phase_t0;
static volatile sig_atomic_t interrupted;

/* ---- failing, cleaning up, figures ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "bench: cannot remove '%s': %s\n", path, strerror(errno));
	return 0;
}

static void cleanup(void)
{
	if (root[0] == '\0')
		return;
	/* 64 fds: our tree is 3 levels deep. */
	if (nftw(root, rm_entry, 64, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "bench: cannot remove '%s': %s\n", root, strerror(errno));
	root[0] = '\0';
}

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	cleanup();
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Called once per batch or query: loops stop at the next step, then clean up. */
void check_interrupt(void)
{
	if (interrupted)
		die("interrupted");
}

void mdb_ok(int rc, const char *what)
{
	if (rc != 0)
		die("%s: %s", what, mdb_strerror(rc));
}

void fset(const char *name, double v)
{
	json_object_set_new(fig, name, isfinite(v) ? json_real(v) : json_null());
}

void fset_bool(const char *name, int v)
{
	json_object_set_new(fig, name, json_boolean(v));
}

/* A figure, or NAN when it was not measured (printed as "n/a"). */
double fget(const char *name)
{
	json_t *j = json_object_get(fig, name);

	return json_is_number(j) ? json_number_value(j) : NAN;
}

static void phase_begin(const char *what)
{
	fprintf(stderr, "bench: %s ...\n", what);
	phase_t0 = kt_mono_ns();
}

static void phase_end(const char *name)
{
	double s = (double)(kt_mono_ns() - phase_t0) / 1e9;

	json_object_set_new(phases, name, json_real(s));
	fprintf(stderr, "bench:   (%s took %.1f s)\n", name, s);
}

/* ---- samples and percentiles ---- */

void samples_init(struct samples *s, size_t cap)
{
	s->v = kt_malloc((cap ? cap : 1) * sizeof(uint64_t));
	s->n = 0;
	s->cap = cap;
	s->sorted = 0;
}

void samples_release(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

void sample_add(struct samples *s, uint64_t ns)
{
	kt_assert(s->n < s->cap);
	s->v[s->n++] = ns;
	s->sorted = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (nearest rank) in µs; NAN with no samples. */
double pct_us(struct samples *s, double p)
{
	size_t i;

	if (s->n == 0)
		return NAN;
	if (!s->sorted)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	s->sorted = 1;
	i = (size_t)ceil(p / 100.0 * (double)s->n);
	i = i > 0 ? i - 1 : 0;
	return (double)s->v[i < s->n ? i : s->n - 1] / 1e3;
}

/* Bytes this process has passed to write(2)-like calls (/proc/self/io wchar). */
uint64_t io_wchar(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	unsigned long long v = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) /* 7 lines */
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

uint64_t mix(uint64_t x) /* splitmix64 */
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rng_state = 20261123;
uint64_t rnd(void)
{
	return mix(rng_state++);
}

/* ---- the report ---- */

static void row(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("  %-52s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static const char *verdict(const char *name)
{
	json_t *j = json_object_get(fig, name);

	return json_is_true(j) ? "MET" : json_is_false(j) ? "MISSED" : "n/a";
}

static void report_raw(void)
{
	printf("1. Raw LMDB on this machine (fresh env, default durable flags)\n");
	row("durable commits, 1 put/txn (16 B key, 200 B val)",
	    "%9.0f /s   commit p50 %.0f us, p99 %.0f us  (%.0f commits)",
	    fget("raw_commits_per_s"), fget("raw_commit_p50_us"), fget("raw_commit_p99_us"),
	    fget("raw_commits_n"));
	row("1,000 ordered MDB_APPEND puts/txn",
	    "%9.0f /s   commit p50 %.2f ms, p99 %.2f ms  (%d batches)",
	    fget("raw_append_puts_per_s"), fget("raw_append_commit_p50_ms"),
	    fget("raw_append_commit_p99_ms"), P->append_batches);
	row("1,000 random-key puts/txn, growing db",
	    "%9.0f /s   commit p50 %.2f ms, p99 %.2f ms  (%d batches, %.0f B written/put)",
	    fget("raw_random_puts_per_s"), fget("raw_random_commit_p50_ms"),
	    fget("raw_random_commit_p99_ms"), P->random_batches,
	    fget("raw_random_write_bytes_per_put"));
}

static void report_writes(void)
{
	printf("\n2. Our durable changes per second (kt_store_write)\n");
	row("(a) 1 change/txn: `client edit` notes=...",
	    "%9.0f /s   p50 %.0f us, p99 %.0f us  (%.0f writes at 100k cards)",
	    fget("single_writes_per_s"), fget("single_write_p50_us"),
	    fget("single_write_p99_us"), fget("single_writes_n"));
	row("    ratio to raw 1-put commits/s",
	    "%9.2f     target >= 0.50: %s  (p50 = %.2f x raw txn p50)",
	    fget("single_ratio_to_raw_commits"), verdict("target_single_ok"),
	    fget("single_p50_ratio_to_raw_txn_p50"));
	row("(b) 1,000 new cards/txn, first 100k cards",
	    "%9.0f /s   batch p50 %.0f ms, p99 %.0f ms  (%.0f /s with drafting)",
	    fget("batch_cards_per_s"), fget("batch_p50_ms"), fget("batch_p99_ms"),
	    fget("batch_cards_per_s_with_drafting"));
	row("    ratio to raw append / raw random puts/s", "%9.2f / %.2f   target >= 100,000/s: %s",
	    fget("batch_ratio_to_raw_append"), fget("batch_ratio_to_raw_random"),
	    verdict("target_batch_ok"));
	row("    LMDB entries written per card", "%9.1f     (%.0f B passed to pwrite per card)",
	    fget("batch_lmdb_entries_per_card"), fget("batch_write_bytes_per_card"));
}

static void report_lookup(const char *label)
{
	char k1[96], k2[96], l[96];

	/* k = -1: all queries; then each kind. */
	for (int k = -1; k < Q_KINDS; k++) {
		const char *what = k < 0 ? "find" : qkind_name[k];

		snprintf(k1, sizeof(k1), "%s%s_p50_us_%s", k < 0 ? "" : "find_", what, label);
		snprintf(k2, sizeof(k2), "%s%s_p99_us_%s", k < 0 ? "" : "find_", what, label);
		if (k < 0)
			snprintf(l, sizeof(l), "find, %d queries (1/3 each kind)", P->queries);
		else
			snprintf(l, sizeof(l), "  %s", k == Q_NAME ? "surname prefix, 3-5 chars"
					       : k == Q_PHONE ? "phone, other formatting"
							      : "email, case varies");
		row(l, "p50 %7.1f us   p99 %7.1f us", fget(k1), fget(k2));
	}
	snprintf(k1, sizeof(k1), "find_misses_%s", label);
	snprintf(k2, sizeof(k2), "find_majflt_%s", label);
	row("  queries with no or wrong answer", "%.0f   (major page faults in the pass: %.0f)",
	    fget(k1), fget(k2));
	snprintf(k1, sizeof(k1), "find_warm_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "find_warm_p99_us_%s", label);
	snprintf(l, sizeof(l), "find_warm_majflt_%s", label);
	row("  same queries replayed at once (warm)", "p50 %7.1f us   p99 %7.1f us   (%.0f faults)",
	    fget(k1), fget(k2), fget(l));
	snprintf(k1, sizeof(k1), "show_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "show_p99_us_%s", label);
	snprintf(l, sizeof(l), "show_majflt_%s", label);
	row("show (kt_store_load of a random client)", "p50 %7.1f us   p99 %7.1f us   (%.0f faults)",
	    fget(k1), fget(k2), fget(l));
	snprintf(k1, sizeof(k1), "show_warm_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "show_warm_p99_us_%s", label);
	row("  same clients again (warm)", "p50 %7.1f us   p99 %7.1f us", fget(k1), fget(k2));
	snprintf(k1, sizeof(k1), "rdtxn_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "rdtxn_p99_us_%s", label);
	row("  (of which read txn begin+abort alone)", "p50 %7.1f us   p99 %7.1f us", fget(k1),
	    fget(k2));
	snprintf(k1, sizeof(k1), "find_two_words_p50_us_%s", label);
	snprintf(k2, sizeof(k2), "find_two_words_p99_us_%s", label);
	snprintf(l, sizeof(l), "find_two_words_misses_%s", label);
	row("extra: 2-word 'Surn FirstName' (not in targets)",
	    "p50 %7.1f us   p99 %7.1f us   (%.0f empty)", fget(k1), fget(k2), fget(l));
}

static void report_search(void)
{
	printf("\n3. Search and show in-process (read txn per call: mdb_txn_begin + "
	       "mdb_txn_abort)\n");
	row("build rate, first 100k cards (batches of 1,000)", "%9.0f cards/s",
	    fget("batch_cards_per_s"));
	printf(" at 100k cards:\n");
	report_lookup("100k");
	if (!quick) {
		row("build rate, 100k -> 1M cards (batches of 1,000)",
		    "%9.0f cards/s  batch p50 %.0f ms, p99 %.0f ms",
		    fget("build_to_1M_cards_per_s"), fget("build_to_1M_batch_p50_ms"),
		    fget("build_to_1M_batch_p99_ms"));
		printf(" at 1M cards:\n");
		report_lookup("1M");
		row("find p99 < 100 us at 1M (first pass)", "%s  (warm replay: %s)",
		    verdict("target_find_ok"), verdict("target_find_warm_ok"));
	} else {
		row("find p99 < 100 us at 1M", "not measured (--quick)");
	}
}

static void report_process(void)
{
	printf("\n4. Whole process: `kt-node -d DIR client find SURNAME` (posix_spawn, %d runs)\n",
	       P->spawns);
	if (json_is_null(json_object_get(fig, "process_find_p50_ms_100k"))) {
		row("", "skipped: no executable '%s' (build it: make bin/kt-node)", kt_node_path());
		return;
	}
	row("at 100k cards", "p50 %.2f ms   p99 %.2f ms", fget("process_find_p50_ms_100k"),
	    fget("process_find_p99_ms_100k"));
	if (!quick)
		row("at 1M cards", "p50 %.2f ms   p99 %.2f ms", fget("process_find_p50_ms_1M"),
		    fget("process_find_p99_ms_1M"));
	row("  (floor: posix_spawn of /bin/true)", "p50 %.2f ms   p99 %.2f ms",
	    fget("process_true_p50_ms"), fget("process_true_p99_ms"));
}

static void report_size(void)
{
	static const char *dbs[] = { "log", "rec", "idx", "own", "chain", "tokens", "keys" };
	char k1[64], k2[64];

	printf("\n5. Store size: %.0f clients x %d visits (%.0f changes), "
	       "(me_last_pgno+1) x pagesize / clients\n",
	       fget("size_clients"), SIZE_VISITS_EACH, fget("size_changes"));
	row("bytes per client with 5 visits", "%9.0f B", fget("bytes_per_client_5_visits"));
	for (size_t i = 0; i < N_OF(dbs); i++) {
		snprintf(k1, sizeof(k1), "size_%s_bytes_per_client", dbs[i]);
		snprintf(k2, sizeof(k2), "size_%s_entries", dbs[i]);
		row(dbs[i], "%9.0f B  (%.0f entries)", fget(k1), fget(k2));
	}
	row("visit changes/s while filling it (1,000/txn)", "%9.0f /s",
	    fget("size_visit_changes_per_s"));
}

static void report_safety(void)
{
	printf("\n6. Safety check at the chair (kt_safety_visit, read txn per call): a group of "
	       "3 merged cards, %d catalogue entries\n", CATALOGUE_ENTRIES);
	row("a visit that goes ahead", "p50 %.1f µs   p99 %.1f µs", fget("safety_go_p50_us"),
	    fget("safety_go_p99_us"));
	row("a visit that is refused", "p50 %.1f µs   p99 %.1f µs", fget("safety_stop_p50_us"),
	    fget("safety_stop_p99_us"));
	row("one phrase match by stems / by folds", "%.2f µs / %.2f µs (%.1fx)",
	    fget("stem_match_us"), fget("fold_match_us"),
	    fget("stem_match_us") / fget("fold_match_us"));
}

static void report_audit(void)
{
	printf("\n7. The audit of reads: a card loaded in a read txn, bare and noted for the "
	       "audit, the notes written in one commit (median of 3 rounds of %.0f reads)\n",
	       fget("audit_reads_100k"));
	row("added per audited read, at 100k cards", "%.2f µs (target <= 5 µs: %s)",
	    fget("audit_added_us_per_read_100k"), verdict("target_audit_ok_100k"));
	row("the one commit of the notes, at 100k", "%.1f ms", fget("audit_flush_ms_100k"));
	if (!quick) {
		row("added per audited read, at 1M cards", "%.2f µs (target <= 5 µs: %s)",
		    fget("audit_added_us_per_read_1M"), verdict("target_audit_ok_1M"));
		row("the one commit of the notes, at 1M", "%.1f ms", fget("audit_flush_ms_1M"));
	}
}

static void report(double total_s)
{
	const char *key;
	json_t *v;

	printf("\n==== Kartoteka benchmark report (%s run) ====\n\n", quick ? "quick" : "full");
	report_raw();
	report_writes();
	report_search();
	report_process();
	report_size();
	report_safety();
	report_audit();
	printf("\nPhases:\n");
	json_object_foreach(phases, key, v)
		row(key, "%7.1f s", json_real_value(v));
	row("total", "%7.1f s", total_s);
}

/* ---- main ---- */

static void make_root(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if (snprintf(root, sizeof(root), "%s/kt-bench-XXXXXX", tmp) >= (int)sizeof(root))
		die("TMPDIR is too long");
	if (mkdtemp(root) == NULL) {
		int e = errno;

		root[0] = '\0';
		die("cannot make a temporary folder under '%s': %s", tmp, strerror(e));
	}
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = 1;
			P = &plan_quick;
		} else {
			fprintf(stderr, "usage: bench [--quick]\n");
			exit(2);
		}
	}
}

static void run_main_store(void)
{
	struct build b;

	memset(&b, 0, sizeof(b));
	store_make(&b, "cards", quick ? CARDS_SMALL : CARDS_LARGE);
	phase_begin("2(b) 100k new cards, 1,000 per txn");
	batch_writes(&b);
	phase_end("build 100k (2b)");
	phase_begin("2(a) one durable edit per txn");
	single_writes(&b);
	phase_end("single writes (2a)");
	phase_begin("3/4 find and show at 100k");
	lookups(&b, "100k");
	process_finds(&b, "100k");
	phase_end("lookups 100k (3, 4)");
	phase_begin("7 audited reads at 100k");
	audited_reads(&b, "100k");
	phase_end("audit 100k (7)");
	if (!quick) {
		phase_begin("3 grow to 1M cards");
		grow_to_large(&b);
		phase_end("build to 1M (3)");
		phase_begin("3/4 find and show at 1M");
		lookups(&b, "1M");
		process_finds(&b, "1M");
		fset_bool("target_find_ok", fget("find_p99_us_1M") < 100);
		fset_bool("target_find_warm_ok", fget("find_warm_p99_us_1M") < 100);
		phase_end("lookups 1M (3, 4)");
		phase_begin("7 audited reads at 1M");
		audited_reads(&b, "1M");
		phase_end("audit 1M (7)");
	}
	store_free(&b);
}

int main(int argc, char **argv)
{
	uint64_t t0 = kt_mono_ns();
	double total;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	kt_crypto_init();
	fig = json_object();
	phases = json_object();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	make_root();
	fprintf(stderr, "bench: %s run in %s (%s)\n", quick ? "quick" : "full", root,
		mdb_version(NULL, NULL, NULL));
	phase_begin("1 raw LMDB");
	raw_single();
	raw_batches(1);
	raw_batches(0);
	phase_end("raw LMDB (1)");
	run_main_store();
	phase_begin("5 bytes per client with 5 visits");
	bytes_per_client();
	phase_end("size (5)");
	phase_begin("6 the safety check");
	safety_checks();
	phase_end("safety check (6)");
	phase_begin("cleanup");
	cleanup();
	phase_end("cleanup");
	total = (double)(kt_mono_ns() - t0) / 1e9;
	report(total);
	json_object_set_new(fig, "mode", json_string(quick ? "quick" : "full"));
	json_object_set_new(fig, "total_s", json_real(total));
	json_object_set(fig, "phase_s", phases);
	printf("\nBENCH_JSON ");
	if (json_dumpf(fig, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6)) != 0)
		die("cannot write the JSON line");
	printf("\n");
	json_decref(fig);
	json_decref(phases);
	return 0;
}
