/*
 * bench.h - what the files of `make bench` share (bench.c has the overview
 * and says which file holds which section): how much a run does, the
 * figures and samples, the generated cards and the stores built of them.
 *
 * A benchmark, not a library: every call either succeeds or ends the run
 * through die(), which removes the temporary folder first.
 */
#ifndef KT_BENCH_H
#define KT_BENCH_H

#include "store.h"
#include "text.h"
#include "card.h"
#include "hlc.h"
#include "id.h"
#include "proto/limits.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define CARDS_SMALL 100000ull
#define CARDS_LARGE 1000000ull
#define SIZE_CLIENTS 10000ull
#define SIZE_VISITS_EACH 5
#define CATALOGUE_ENTRIES 200

/* How much each section does; --quick trades precision for time. */
struct plan {
	int raw_commits;       /* 1-put commits, at most ... */
	double raw_seconds;    /* ... or for this long */
	int append_batches, random_batches;
	int single_writes;
	int queries;           /* finds, and as many loads */
	int two_word_queries;  /* the extra multi-word case */
	int spawns;            /* kt-node processes */
};

/* bench.c: the run's plan, mode, temporary folder and figures. */
extern const struct plan *P;
extern int quick;
extern char root[4096];   /* the temporary folder; "" until made */
extern json_t *fig;       /* every figure, for the report and BENCH_JSON */

/* bench.c: failing (cleans up, exits 1), interrupts, figures. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void check_interrupt(void);
void mdb_ok(int rc, const char *what);
void fset(const char *name, double v);
void fset_bool(const char *name, int v);
double fget(const char *name);

/* bench.c: latencies in ns, and their percentiles in µs. */
struct samples {
	uint64_t *v; /* ns */
	size_t n, cap;
	int sorted;
};

void samples_init(struct samples *s, size_t cap);
void samples_release(struct samples *s);
void sample_add(struct samples *s, uint64_t ns);
double pct_us(struct samples *s, double p);
uint64_t io_wchar(void);
uint64_t mix(uint64_t x);
uint64_t rnd(void);

/* bench_cards.c: card k's fields, and queries that should find a card. */
struct card {
	char name[192], phone[32], email[96];
	char sur[64];    /* the surname as written, for queries */
	char first[64];  /* the given name as written */
	const char *latin; /* the given name in Latin letters, for the email */
};

enum { Q_NAME, Q_PHONE, Q_EMAIL, Q_KINDS };
extern const char *qkind_name[Q_KINDS];

void card_make(uint64_t k, struct card *c);
uint64_t draw_named(uint64_t n, struct card *c);
void query_name(const struct card *c, char *out, size_t cap);
void query_phone(uint64_t k, int way, char *out, size_t cap);
void query_email(const struct card *c, int upper, char *out, size_t cap);

/* bench_store.c: a store under root, and sections 1, 2 and 5. */
struct build {
	struct kt_store st;
	char dir[4200];
	struct kt_id *ids; /* card k's id */
	uint64_t n, cap;
};

void store_make(struct build *b, const char *name, uint64_t cap);
void store_free(struct build *b);
void raw_single(void);
void raw_batches(int append);
void batch_writes(struct build *b);
void grow_to_large(struct build *b);
void single_writes(struct build *b);
void bytes_per_client(void);

/* bench_search.c: sections 3 and 4. */
void lookups(struct build *b, const char *label);
void process_finds(struct build *b, const char *label);
const char *kt_node_path(void);

/* bench_safety.c: section 6. */
void safety_checks(void);

/* bench_audit.c: section 7, what the audit adds to a read of a card at label ("100k"). */
void audited_reads(struct build *b, const char *label);

#endif
