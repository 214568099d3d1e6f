/*
 * bench_safety.c - section 6 of `make bench` (see bench.c): the safety check
 * at the chair (kt_safety_visit) on a merge group of three cards, and its
 * word match alone, by stems and by folds.
 */
#include "bench.h"
#include "safety.h"
#include "proto/schema.h"

#include <stdio.h>
#include <string.h>

/* ---- 6. the safety check at the chair ---- */

static struct kt_id put_record(struct build *b, uint8_t type, const struct kt_id *owner,
			       const char *const *kv)
{
	static struct kt_draft d;
	struct kt_err err;
	struct kt_id id;

	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, type, &id, 1, owner);
	for (; *kv != NULL; kv += 2) {
		const struct kt_field *f = kt_schema_field_named(type, kv[0]);

		if (f == NULL || kt_draft_field(&d, kv[0], kv[1], f->merge == KT_M_SET ?
						KT_OP_ADD : KT_OP_SET, &err) != 0)
			die("safety bench: field %s='%s'", kv[0], kv[1]);
	}
	if (kt_store_write(&b->st, &d, 1, NULL, &err) != 0)
		die("safety bench: kt_store_write: %s", err.msg);
	return id;
}

static void merge_into(struct build *b, const struct kt_id *keep, const struct kt_id *other)
{
	static struct kt_draft d;
	struct kt_err err;

	kt_draft_alias(&d, other, keep);
	if (kt_store_write(&b->st, &d, 1, NULL, &err) != 0)
		die("safety bench: merge: %s", err.msg);
}

/* One timed kt_safety_visit in its own read transaction; returns its verdict. */
static int timed_check(struct build *b, const struct kt_id *c, const char *services,
		       const char *products, const struct kt_safety_rules *rules,
		       struct samples *s)
{
	struct kt_safety_verdict v;
	struct kt_err err;
	MDB_txn *txn;
	uint64_t t0 = kt_mono_ns();
	int rc;

	if (kt_store_rdtxn(&b->st, &txn, &err) != 0)
		die("safety bench: rdtxn: %s", err.msg);
	rc = kt_safety_visit(&b->st, txn, c, services, products, rules, &v, &err);
	mdb_txn_abort(txn);
	sample_add(s, kt_mono_ns() - t0);
	if (rc != 0)
		die("safety bench: kt_safety_visit: %s", err.msg);
	return v.refused;
}

void safety_checks(void)
{
	static const char *const keep[] = { "name", "Анна Безопасная", "allergies",
					    "латекс, масло чайного дерева", NULL };
	static const char *const other[] = { "name", "Анна Б.", "allergies", "никель; хна",
					     "medications", "изотретиноин 20 мг",
					     "staff_alert", "сильные реакции", NULL };
	static const char *const third[] = { "name", "Anna B", "allergies", "nuts, parfum",
					     "contraindications", "беременность", NULL };
	static const char *const pt[] = { "subject", "краска для волос", "status", "passed",
					  "date", "2026-11-20", NULL };
	const char *go = "Маска увлажняющая с гиалуроновой кислотой, массаж лица",
		   *stop = "Пилинг 7 и маска с маслом чайного дерева";
	int n = quick ? 2000 : 10000, words = quick ? 20000 : 100000;
	struct samples sg, ss, sw;
	struct kt_id k, o, t;
	struct build b;
	struct kt_safety_rules rules = { 0, "", KT_SAFETY_PATCH_MONTHS, 0 };
	uint64_t t0;
	int hits = 0;

	memset(&b, 0, sizeof(b));
	store_make(&b, "safety", 1);
	for (int i = 0; i < CATALOGUE_ENTRIES; i++) {
		char name[64], subst[96];
		const char *kv[] = { "name", name, "kind", "service", "substances", subst,
				     "contraindications", "беременность, розацеа",
				     "medications", "изотретиноин", "patch_test",
				     i % 10 == 0 ? "yes" : "no", NULL };

		snprintf(name, sizeof(name), "Процедура %d", i);
		snprintf(subst, sizeof(subst), "вещество %d, экстракт %d", i, i + 1);
		if (i == 7)
			snprintf(name, sizeof(name), "Пилинг 7");
		put_record(&b, KT_T_CATALOGUE, NULL, kv);
	}
	k = put_record(&b, KT_T_CLIENT, NULL, keep);
	o = put_record(&b, KT_T_CLIENT, NULL, other);
	t = put_record(&b, KT_T_CLIENT, NULL, third);
	put_record(&b, KT_T_PATCH, &o, pt);
	merge_into(&b, &k, &o);
	merge_into(&b, &k, &t);
	kt_date_parse("2026-12-02", &rules.today);
	samples_init(&sg, (size_t)n);
	samples_init(&ss, (size_t)n);
	for (int i = 0; i < n; i++) {
		if (timed_check(&b, &k, go, "", &rules, &sg) != 0)
			die("safety bench: a visit that should go ahead was refused");
		if (timed_check(&b, &t, stop, "", &rules, &ss) != 1)
			die("safety bench: a visit that should be refused went ahead");
	}
	fset("safety_go_p50_us", pct_us(&sg, 50));
	fset("safety_go_p99_us", pct_us(&sg, 99));
	fset("safety_stop_p50_us", pct_us(&ss, 50));
	fset("safety_stop_p99_us", pct_us(&ss, 99));
	samples_release(&sg);
	samples_release(&ss);
	samples_init(&sw, 2);
	t0 = kt_mono_ns();
	for (int i = 0; i < words; i++)
		hits += kt_text_stem_phrase_in("масло чайного дерева", stop);
	sample_add(&sw, kt_mono_ns() - t0);
	t0 = kt_mono_ns();
	for (int i = 0; i < words; i++)
		hits -= kt_text_phrase_in("масло чайного дерева", stop); /* "маслом": no */
	sample_add(&sw, kt_mono_ns() - t0);
	if (hits != words)
		die("safety bench: the phrase was found %d times of %d by stems and folds",
		    hits, words);
	fset("stem_match_us", (double)sw.v[0] / 1e3 / words);
	fset("fold_match_us", (double)sw.v[1] / 1e3 / words);
	samples_release(&sw);
	store_free(&b);
}
