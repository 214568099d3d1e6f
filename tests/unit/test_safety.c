/*
 * test_safety.c - the safety check at the chair as a library (node/safety.h):
 * what it refuses, over merge groups and the catalogue, and that it fails
 * closed on what it cannot read (damaged entries written straight into LMDB).
 */
#include "t.h"
#include "card.h"
#include "hlc.h"
#include "safety.h"
#include "store_int.h"

#include <stdlib.h>
#include <sys/stat.h>

static char tmpdir[256];
static struct kt_store st;
static struct kt_safety_rules rules = { 0, "", 6, 0 };

static void rm_rf(const char *p)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", p);
}

/* Writes a new record of type (owner NULL: it owns itself) with FIELD=VALUE pairs. */
static struct kt_id put(uint8_t type, const struct kt_id *owner, const char *const *kv)
{
	static struct kt_draft d;
	struct kt_err err;
	struct kt_id id;

	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, type, &id, 1, owner);
	for (; *kv != NULL; kv++) {
		const struct kt_field *f;
		char name[64];
		const char *eq = strchr(*kv, '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - *kv), *kv);
		f = kt_schema_field_named(type, name);
		T_CHECK(f != NULL);
		T_CHECK(kt_draft_field(&d, name, eq + 1, f && f->merge == KT_M_SET ? KT_OP_ADD :
				       KT_OP_SET, &err) == 0);
	}
	T_CHECK(kt_store_write(&st, &d, 1, NULL, &err) == 0);
	return id;
}

static void merge(const struct kt_id *keep, const struct kt_id *other)
{
	static struct kt_draft d;
	struct kt_err err;

	kt_draft_alias(&d, other, keep);
	T_CHECK(kt_store_write(&st, &d, 1, NULL, &err) == 0);
}

/* Runs the check; returns 1 refused, 0 goes ahead, -1 an error (fail closed). */
static int check(const struct kt_id *c, const char *services, const char *products,
		 char *why, size_t cap)
{
	struct kt_safety_verdict v;
	struct kt_err err = { 0 };
	MDB_txn *txn;
	int rc;

	T_CHECK(kt_store_rdtxn(&st, &txn, &err) == 0);
	rc = kt_safety_visit(&st, txn, c, services, products, &rules, &v, &err);
	mdb_txn_abort(txn);
	if (why != NULL)
		snprintf(why, cap, "%s", rc ? err.msg : v.why);
	return rc != 0 ? -1 : v.refused;
}

static void test_word_forms_and_lists(void)
{
	const char *a[] = { "name=Анна", "allergies=латекс", "allergies=масло чайного дерева",
			    NULL };
	const char *b[] = { "name=Вера", "allergies=latex, nuts", NULL };
	struct kt_id x = put(KT_T_CLIENT, NULL, a), y = put(KT_T_CLIENT, NULL, b);
	char why[1024];

	T_EQ_INT(check(&x, "Латексная маска", "", why, sizeof(why)), 1);
	T_CHECK(strstr(why, "латекс") != NULL);
	T_EQ_INT(check(&x, "Маска с латексом", "", NULL, 0), 1);
	T_EQ_INT(check(&x, "Массаж", "Перчатки латексные", NULL, 0), 1);
	T_EQ_INT(check(&x, "Маска с маслом чайного дерева", "", NULL, 0), 1);
	T_EQ_INT(check(&x, "Маска с маслом дерева", "", NULL, 0), 0);
	T_EQ_INT(check(&y, "Latex mask", "", NULL, 0), 1);
	T_EQ_INT(check(&y, "nut scrub", "", NULL, 0), 1);
	T_EQ_INT(check(&y, "Latexfree mask", "", NULL, 0), 0);
}

/*
 * A card whose allergies were stored by an older version, one element
 * "latex, nuts" (no splitting then): written op by op, past kt_draft_field.
 */
static struct kt_id put_unsplit(const char *name, const char *field, const char *value)
{
	static struct kt_draft d;
	struct kt_err err;
	struct kt_id id;

	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, KT_T_CLIENT, &id, 1, NULL);
	T_CHECK(kt_draft_field(&d, "name", name, KT_OP_SET, &err) == 0);
	memset(&d.ops[d.nops], 0, sizeof(d.ops[0]));
	memset(&d.vals[d.nops], 0, sizeof(d.vals[0]));
	d.ops[d.nops].field = kt_schema_field_named(KT_T_CLIENT, field)->num;
	d.ops[d.nops].kind = KT_OP_ADD;
	d.vals[d.nops].t = KT_V_STR;
	d.vals[d.nops].s = value;
	d.vals[d.nops].n = (uint32_t)strlen(value);
	d.nops++;
	T_CHECK(kt_store_write(&st, &d, 1, NULL, &err) == 0);
	return id;
}

static void test_values_stored_whole_are_checked_part_by_part(void)
{
	struct kt_id a = put_unsplit("Old", "allergies", "latex, nuts");
	struct kt_id b = put_unsplit("Older", "allergies", "латекс; орехи");
	struct kt_id c = put_unsplit("Oldest", "contraindications", "диабет, беременность");
	struct kt_safety_card g;
	struct kt_err err;
	MDB_txn *txn;
	const char *cat[] = { "name=Пилинг кислотный", "kind=service",
			      "contraindications=беременность", NULL };

	T_EQ_INT(check(&a, "Latex mask", "", NULL, 0), 1);
	T_EQ_INT(check(&a, "Nut scrub", "", NULL, 0), 1);
	T_EQ_INT(check(&a, "Массаж", "", NULL, 0), 0);
	T_EQ_INT(check(&b, "Скраб с орехами", "", NULL, 0), 1);
	T_EQ_INT(check(&b, "Маска", "Перчатки латексные", NULL, 0), 1);
	put(KT_T_CATALOGUE, NULL, cat);
	T_EQ_INT(check(&c, "Пилинг кислотный", "", NULL, 0), 1);
	memset(&g, 0, sizeof(g));
	T_CHECK(kt_store_rdtxn(&st, &txn, &err) == 0);
	T_EQ_INT(kt_safety_load(&st, txn, &a, &g, &err), 0);
	mdb_txn_abort(txn);
	T_EQ_INT(g.nitems, 2); /* shown as two allergies too */
	kt_safety_release(&g);
}

/* Allergies as staff type them: with notes, or several joined by 'и' or '/'. */
static void test_entries_with_notes_and_joins(void)
{
	const char *a[] = { "name=Notes", "allergies=латекс (сыпь, отёк)", "allergies=никель - уши",
			    "allergies=парфюм: сильная реакция", "allergies=орехи и мёд",
			    "allergies=хна/басма", "allergies=perfume or fragrance",
			    "allergies=[пыльца]", NULL };
	const char *b[] = { "name=Joined", "contraindications=диабет и беременность", NULL };
	const char *c[] = { "name=Preamble", "allergies=аллергия на латекс",
			    "allergies=подозрение на никель", "allergies=хна 2023",
			    "allergies=allergic to nuts", "allergies=alergie la parfum",
			    "allergies=2023", NULL };
	const char *cat[] = { "name=Пилинг миндальный", "kind=service",
			      "contraindications=беременность (любой срок)", NULL };
	struct kt_id x = put(KT_T_CLIENT, NULL, a), y = put(KT_T_CLIENT, NULL, b), z;

	T_EQ_INT(check(&x, "Латексная маска", "", NULL, 0), 1);  /* the note is not needed */
	T_EQ_INT(check(&x, "Серьги никелевые", "", NULL, 0), 1);
	T_EQ_INT(check(&x, "Массаж", "Масло с парфюмом", NULL, 0), 1);
	T_EQ_INT(check(&x, "Медовое обёртывание", "", NULL, 0), 1);
	T_EQ_INT(check(&x, "Скраб ореховый", "", NULL, 0), 1);
	T_EQ_INT(check(&x, "Окрашивание бровей басмой", "", NULL, 0), 1);
	T_EQ_INT(check(&x, "Окрашивание бровей хной", "", NULL, 0), 1);
	T_EQ_INT(check(&x, "Massage", "fragrance oil", NULL, 0), 1);
	T_EQ_INT(check(&x, "Маска с пыльцой", "", NULL, 0), 1); /* all in brackets: itself */
	T_EQ_INT(check(&x, "Массаж", "Масло виноградной косточки", NULL, 0), 0);
	T_EQ_INT(check(&x, "Сыпь", "", NULL, 0), 0); /* a note's word is not an allergy */
	put(KT_T_CATALOGUE, NULL, cat);
	T_EQ_INT(check(&y, "Пилинг миндальный", "", NULL, 0), 1);
	z = put(KT_T_CLIENT, NULL, c);
	T_EQ_INT(check(&z, "Латексная маска", "", NULL, 0), 1);
	T_EQ_INT(check(&z, "Серьги никелевые", "", NULL, 0), 1);
	T_EQ_INT(check(&z, "Брови хной", "", NULL, 0), 1);
	T_EQ_INT(check(&z, "Nut scrub", "", NULL, 0), 1);
	T_EQ_INT(check(&z, "Cremă parfumată", "", NULL, 0), 1);
	T_EQ_INT(check(&z, "Массаж 2023", "", NULL, 0), 1); /* "2023" alone is itself */
	T_EQ_INT(check(&z, "Массаж", "Реакция кожи", NULL, 0), 0); /* the preamble is not the allergy */
}

/* One allergy as typed against one visit: 1 refused, 0 goes ahead. */
static int allergy_vs(const char *allergy, const char *services)
{
	const char *kv[] = { "name=Typed", NULL, NULL };
	char a[600];
	struct kt_id c;

	snprintf(a, sizeof(a), "allergies=%s", allergy);
	kv[1] = a;
	c = put(KT_T_CLIENT, NULL, kv);
	return check(&c, services, "", NULL, 0);
}

/* A second tester's entries: qualifiers, labels, brackets and separators (issue 11). */
static void test_entries_as_typed_round_two(void)
{
	static const char *const refused[][2] = {
		{ "latex allergy", "Latex mask" }, { "latex sensitivity", "Latex mask" },
		{ "severe latex", "Latex mask" }, { "possible latex", "Latex mask" },
		{ "sensitive to latex", "Latex mask" }, { "reacts to latex", "Latex mask" },
		{ "сильная аллергия на латекс", "Латексная маска" },
		{ "у клиентки аллергия на латекс", "Латексная маска" },
		{ "возможно латекс", "Латексная маска" }, { "на латекс", "Латексная маска" },
		{ "латекс сыпь", "Латексная маска" }, { "латекс!!! сильная", "Латексная маска" },
		{ "латекс 2023г", "Латексная маска" }, { "латекс с 2019 года", "Латексная маска" },
		{ "латекс с детства", "Латексная маска" }, { "латекс -сыпь", "Латексная маска" },
		{ "латекс- сыпь", "Латексная маска" }, { "аллергия: латекс", "Латексная маска" },
		{ "allergy: latex", "Latex mask" }, { "alergie: latex", "Latex mask" },
		{ "Аллергия - латекс", "Латексная маска" }, { "крем: латекс", "Латексная маска" },
		{ "косметика - ланолин", "Крем с ланолином" }, { "латекс - орехи", "Ореховый скраб" },
		{ "латекс — орехи", "Ореховый скраб" }, { "латекс – орехи", "Ореховый скраб" },
		{ "перчатки (латекс)", "Латексная маска" },
		{ "орехи (особенно миндаль)", "Миндальный пилинг" },
		{ "nuts (esp. almond)", "Almond scrub" },
		{ "эфирные масла (лаванда, мята)", "Мятный скраб" },
		{ "латекс (сыпь", "Латексная маска" }, { "latex (suspected", "Latex mask" },
		{ "латекс. орехи", "Ореховый скраб" }, { "латекс.орехи", "Ореховый скраб" },
		{ "латекс • орехи", "Ореховый скраб" }, { "латекс · орехи", "Ореховый скраб" },
		{ "latex…nuts", "Nut scrub" }, { "латекс\tорехи", "Ореховый скраб" },
		{ "латекс и/или орехи", "Ореховый скраб" }, { "latex and/or nuts", "Nut scrub" },
		{ "латекс, а также орехи", "Ореховый скраб" },
		{ "латекс, также орехи", "Ореховый скраб" },
		{ "латекс, кроме того орехи", "Ореховый скраб" }, { "latex, nuts etc", "Nut scrub" },
		{ "аллергия на латекс и на орехи", "Ореховый скраб" },
		{ "1) латекс 2) орехи", "Ореховый скраб" }, { "- латекс - орехи", "Ореховый скраб" },
		{ "ягоды годжи", "Маска с ягодами годжи" },
		/* a third tester's: signs, invisible and look-alike letters, wordings */
		{ "lanolin", "Pure Lanolin\u2122 balm" }, { "латекс", "Маска с латексом\u2122" },
		{ "латекс", "Латекс\u21161" }, { "латекс", "Латекс2" },
		{ "латекс\u00b2", "Латексная маска" }, { "латекс\u2460", "Латексная маска" },
		{ "латекс", "Маска с ла\u00adтексом" }, { "латекс", "Маска с ла\u200bтексом" },
		{ "латекс", "Маска с лaтексом" }, { "латекс", "Маска с латeксом" },
		{ "ла\u00adтекс", "Латексная маска" },
		{ "не переносит латекс", "Маска с латексом" }, { "нельзя латекс", "Маска с латексом" },
		{ "латекс нельзя", "Маска с латексом" }, { "без латекса", "Маска с латексом" },
		{ "исключить латекс", "Маска с латексом" }, { "избегать латекса", "Маска с латексом" },
		{ "раздражение от латекса", "Маска с латексом" },
		{ "анафилаксия на латекс", "Маска с латексом" },
		{ "у неё аллергия на латекс", "Маска с латексом" },
		{ "no latex", "Latex mask" }, { "avoid latex", "Latex mask" },
		{ "can't use latex", "Latex mask" }, { "latex-sensitive", "Latex mask" },
		{ "fără latex", "Mască cu latex" }, { "nu tolerează latex", "Mască cu latex" },
		{ "sensibilitate la latex", "Mască cu latex" }, { "evitați latexul", "Mască cu latex" },
		{ "pregnant", "Pregnancy massage" }, { "pregnancy", "Massage for pregnant women" },
	};
	static const char *const ahead[][2] = {
		{ "латекс сыпь", "Сыпучая пудра" }, { "аллергия на латекс", "Аллергопроба" },
		{ "латекс (сыпь)", "Массаж" }, { "2023", "Массаж" },
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (allergy_vs(refused[i][0], refused[i][1]) != 1) {
			fprintf(stderr, "  '%s' should refuse '%s'\n", refused[i][0], refused[i][1]);
			T_CHECK(0);
		}
	for (size_t i = 0; i < sizeof(ahead) / sizeof(ahead[0]); i++)
		if (allergy_vs(ahead[i][0], ahead[i][1]) != 0) {
			fprintf(stderr, "  '%s' should not refuse '%s'\n", ahead[i][0], ahead[i][1]);
			T_CHECK(0);
		}
}

static void test_merge_group_is_one_card(void)
{
	const char *k[] = { "name=Keep", NULL };
	const char *o[] = { "name=Other", "allergies=никель", "staff_alert=careful",
			    "medications=варфарин", NULL };
	const char *z[] = { "name=Third", "contraindications=беременность", NULL };
	struct kt_id keep = put(KT_T_CLIENT, NULL, k), other = put(KT_T_CLIENT, NULL, o);
	struct kt_id third = put(KT_T_CLIENT, NULL, z);
	const char *pt[] = { "subject=никель", "status=passed", NULL };
	struct kt_safety_card g;
	struct kt_err err;
	MDB_txn *txn;

	put(KT_T_PATCH, &other, pt);
	T_EQ_INT(check(&keep, "Серьги никель", "", NULL, 0), 0);
	merge(&keep, &other);
	merge(&other, &third); /* a card merged into a merged card: two levels */
	T_EQ_INT(check(&keep, "Серьги никель", "", NULL, 0), 1);
	T_EQ_INT(check(&other, "Серьги никель", "", NULL, 0), 1);
	T_EQ_INT(check(&third, "Серьги никель", "", NULL, 0), 1);
	memset(&g, 0, sizeof(g));
	T_CHECK(kt_store_rdtxn(&st, &txn, &err) == 0);
	T_EQ_INT(kt_safety_load(&st, txn, &third, &g, &err), 0);
	mdb_txn_abort(txn);
	T_CHECK(kt_id_cmp(&g.root, &keep) == 0);
	T_EQ_INT(g.nids, 3);
	T_EQ_INT(g.npatches, 1);
	T_EQ_INT(g.nitems, 4); /* никель, careful, варфарин, беременность */
	kt_safety_release(&g);
}

static void test_catalogue_conditions_and_patch_tests(void)
{
	const char *cat[] = { "name=Пилинг", "kind=service", "contraindications=беременность",
			      "medications=изотретиноин", NULL };
	const char *dye[] = { "name=Hair dye", "kind=service", "patch_test=yes",
			      "substances=PPD", NULL };
	const char *p[] = { "name=P", "contraindications=беременность, 12 недель", NULL };
	const char *m[] = { "name=M", "medications=изотретиноин 20 мг", NULL };
	const char *n[] = { "name=N", NULL };
	struct kt_id cp, cm, cn;
	const char *failed[] = { "subject=PPD", "status=failed", "date=2026-11-01", NULL };
	const char *passed[] = { "subject=hair dye", "status=passed", "date=2026-11-20",
				 "valid_until=2027-05-20", NULL };
	const char *old[] = { "subject=hair dye", "status=passed", "date=2026-01-02",
			      "valid_until=2026-07-02", NULL };
	const char *ppd_again[] = { "subject=ppd", "status=passed", "date=2026-11-25", NULL };
	const char *laser[] = { "name=Лазерная эпиляция", "kind=service",
				"contraindications=лактация", NULL };
	const char *l[] = { "name=L", "contraindications=период лактации", NULL };
	struct kt_id cl;

	put(KT_T_CATALOGUE, NULL, cat);
	put(KT_T_CATALOGUE, NULL, dye);
	cp = put(KT_T_CLIENT, NULL, p);
	cm = put(KT_T_CLIENT, NULL, m);
	cn = put(KT_T_CLIENT, NULL, n);
	T_EQ_INT(check(&cp, "Пилинг", "", NULL, 0), 1);
	T_EQ_INT(check(&cm, "Пилинг лица", "", NULL, 0), 1);
	T_EQ_INT(check(&cn, "Пилинг", "", NULL, 0), 0);
	T_EQ_INT(check(&cn, "Hair dye", "", NULL, 0), 1);   /* none on record */
	put(KT_T_PATCH, &cn, old);
	T_EQ_INT(check(&cn, "Hair dye", "", NULL, 0), 1);   /* expired */
	put(KT_T_PATCH, &cn, failed);
	T_EQ_INT(check(&cn, "Hair dye", "", NULL, 0), 1);   /* its substance failed */
	put(KT_T_PATCH, &cn, passed);
	/* a failed test of an ingredient stands though the service's name passed later */
	T_EQ_INT(check(&cn, "Hair dye", "", NULL, 0), 1);
	put(KT_T_PATCH, &cn, ppd_again);
	T_EQ_INT(check(&cn, "Hair dye", "", NULL, 0), 0);   /* PPD tested again: passed */
	T_EQ_INT(check(&cm, "Массаж", "", NULL, 0), 0);     /* not in the catalogue */
	put(KT_T_CATALOGUE, NULL, laser);
	cl = put(KT_T_CLIENT, NULL, l);
	T_EQ_INT(check(&cl, "Лазерная эпиляция", "", NULL, 0), 1);
	T_EQ_INT(check(&cl, "Эпиляция лазером", "", NULL, 0), 1);  /* an entry's words in any order */
	T_EQ_INT(check(&cl, "Эпиляция (лазер), ноги", "", NULL, 0), 1);
	T_EQ_INT(check(&cl, "Эпиляция воском", "", NULL, 0), 0);   /* not all its words */
	/* its words must be in one service, not gathered from two */
	T_EQ_INT(check(&cl, "Эпиляция воском, Лазерная коррекция", "", NULL, 0), 0);
	T_EQ_INT(check(&cl, "Маникюр, Эпиляция лазерная", "", NULL, 0), 1);
	{
		/* a condition that is all "noise" words still meets hers; words joined or apart */
		const char *peel[] = { "name=Химический пилинг", "kind=service",
				       "contraindications=анафилаксия", NULL };
		const char *gel[] = { "name=Покрытие гель-лак", "kind=service",
				      "substances=метакрилат", NULL };
		const char *an[] = { "name=An", "contraindications=анафилаксия в анамнезе", NULL };
		const char *me[] = { "name=Me", "allergies=метакрилат", NULL };
		struct kt_id ca, cmeta;

		put(KT_T_CATALOGUE, NULL, peel);
		put(KT_T_CATALOGUE, NULL, gel);
		ca = put(KT_T_CLIENT, NULL, an);
		cmeta = put(KT_T_CLIENT, NULL, me);
		T_EQ_INT(check(&ca, "Химический пилинг", "", NULL, 0), 1);
		T_EQ_INT(check(&cmeta, "Покрытие гельлак", "", NULL, 0), 1);
		T_EQ_INT(check(&cmeta, "Покрытие гель лак", "", NULL, 0), 1);
	}
}

/* A passed patch test with no valid_until holds for patch_test_months from its date. */
static void test_patch_test_without_valid_until_expires(void)
{
	const char *brow[] = { "name=Окрашивание бровей", "kind=service", "patch_test=yes",
			       "substances=хна; парафенилендиамин", NULL };
	const char *n[] = { "name=Brows", NULL };
	const char *recent[] = { "subject=хна", "status=passed", "date=2026-10-01", NULL };
	const char *old[] = { "subject=хна", "status=passed", "date=2019-03-01", NULL };
	const char *undated[] = { "subject=хна", "status=passed", NULL };
	const char *failed[] = { "subject=парафенилендиамин", "status=failed",
				 "date=2026-11-01", NULL };
	const char *pending[] = { "subject=хна", "status=pending", "date=2026-12-02", NULL };
	struct kt_id a = put(KT_T_CLIENT, NULL, n), b = put(KT_T_CLIENT, NULL, n);
	struct kt_id c = put(KT_T_CLIENT, NULL, n), e = put(KT_T_CLIENT, NULL, n);
	struct kt_safety_patch p;
	char until[11];

	put(KT_T_CATALOGUE, NULL, brow);
	put(KT_T_PATCH, &a, recent);
	T_EQ_INT(check(&a, "Окрашивание бровей", "", NULL, 0), 0); /* 2026-10-01 + 6 months */
	put(KT_T_PATCH, &b, old);
	T_EQ_INT(check(&b, "Окрашивание бровей", "", NULL, 0), 1); /* expired in 2019 */
	put(KT_T_PATCH, &c, undated);
	T_EQ_INT(check(&c, "Окрашивание бровей", "", NULL, 0), 1); /* nothing says it holds */
	put(KT_T_PATCH, &e, failed);
	put(KT_T_PATCH, &e, recent); /* earlier than the failure, another substance */
	T_EQ_INT(check(&e, "Окрашивание бровей", "", NULL, 0), 1);
	put(KT_T_PATCH, &a, pending); /* retested today, no result yet */
	T_EQ_INT(check(&a, "Окрашивание бровей", "", NULL, 0), 1);
	memset(&p, 0, sizeof(p));
	strcpy(p.status, "passed");
	strcpy(p.date, "2026-08-31");
	T_EQ_STR(kt_safety_patch_state(&p, &rules, until), "valid");
	T_EQ_STR(until, "2027-02-28");
	strcpy(p.until, "2026-12-01");
	T_EQ_STR(kt_safety_patch_state(&p, &rules, until), "EXPIRED");
	p.date[0] = p.until[0] = '\0';
	T_EQ_STR(kt_safety_patch_state(&p, &rules, until), "EXPIRED");
	T_EQ_STR(until, "");
}

/* Overwrites the stored value of the first set element of id's field with bytes. */
static void damage_element_with(const struct kt_id *id, uint16_t field, const uint8_t *bad,
				size_t nbad)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, field, NULL), k }, v;
	MDB_cursor *cur;
	MDB_txn *txn;

	T_CHECK(mdb_txn_begin(st.env, NULL, 0, &txn) == 0);
	T_CHECK(mdb_cursor_open(txn, st.rec, &cur) == 0);
	T_CHECK(mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE) == 0);
	T_CHECK(key.mv_size == KT_RECKEY_BYTES && memcmp(key.mv_data, id->b, KT_ID_BYTES) == 0);
	v.mv_size = nbad;
	v.mv_data = (void *)bad;
	T_CHECK(mdb_cursor_put(cur, &key, &v, MDB_CURRENT) == 0);
	mdb_cursor_close(cur);
	T_CHECK(mdb_txn_commit(txn) == 0);
}

static void damage_element(const struct kt_id *id, uint16_t field)
{
	static const uint8_t bad[] = { KT_ELEM_LIVE, 0xa3, 0xff, 0xfe, 'x' }; /* not UTF-8 */

	damage_element_with(id, field, bad, sizeof(bad));
}

/* Replaces the value of scalar field of record id with packed bytes (its version kept). */
static void damage_field(const struct kt_id *id, uint16_t field, const uint8_t *packed,
			 size_t n)
{
	uint8_t k[KT_RECKEY_BYTES], buf[2 * KT_VER_BYTES + 64];
	MDB_val key = { kt_reckey(k, id, field, NULL), k }, v;
	MDB_txn *txn;

	T_CHECK(n <= 64);
	T_CHECK(mdb_txn_begin(st.env, NULL, 0, &txn) == 0);
	T_CHECK(mdb_get(txn, st.rec, &key, &v) == 0 && v.mv_size > 2 * KT_VER_BYTES);
	memcpy(buf, v.mv_data, 2 * KT_VER_BYTES);
	memcpy(buf + 2 * KT_VER_BYTES, packed, n);
	v.mv_data = buf;
	v.mv_size = 2 * KT_VER_BYTES + n;
	T_CHECK(mdb_put(txn, st.rec, &key, &v, 0) == 0);
	T_CHECK(mdb_txn_commit(txn) == 0);
}

/*
 * Damage to what decides a patch-test service: a failed test whose subject
 * is no longer a string, or empty, or not UTF-8, must not vanish (an older
 * pass would clear the service); a catalogue entry's patch_test that is no
 * yes/no; an allergy element emptied.  Each refuses as damage.
 */
static void test_fails_closed_on_damaged_patch_tests(void)
{
	static const uint8_t as_int[] = { 0x05 }, empty[] = { 0xa0 }, blank[] = { 0xa1, ' ' };
	static const uint8_t not_utf8[] = { 0xa2, 0xff, 0xfe }, yes_text[] = { 0xa3, 'y', 'e', 's' };
	const uint8_t *bad[] = { as_int, empty, blank, not_utf8 };
	size_t nbad[] = { 1, 1, 2, 3 };
	const char *cat[] = { "name=Биотату хной", "kind=service", "patch_test=yes",
			      "substances=хна", NULL };
	const char *n[] = { "name=Tattoo", NULL };
	const char *pass[] = { "subject=хна", "status=passed", "date=2026-11-01", NULL };
	const char *fail[] = { "subject=хна", "status=failed", "date=2026-11-20", NULL };
	uint16_t subject = kt_schema_field_named(KT_T_PATCH, "subject")->num;
	uint16_t pt = kt_schema_field_named(KT_T_CATALOGUE, "patch_test")->num;
	struct kt_id entry = put(KT_T_CATALOGUE, NULL, cat), c, f;
	char why[1024];

	for (size_t i = 0; i < 4; i++) {
		c = put(KT_T_CLIENT, NULL, n);
		put(KT_T_PATCH, &c, pass);
		f = put(KT_T_PATCH, &c, fail);
		T_EQ_INT(check(&c, "Биотату хной", "", NULL, 0), 1);
		damage_field(&f, subject, bad[i], nbad[i]);
		T_EQ_INT(check(&c, "Биотату хной", "", why, sizeof(why)), -1);
		T_CHECK(strstr(why, "subject") != NULL);
	}
	c = put(KT_T_CLIENT, NULL, n);
	damage_field(&entry, pt, yes_text, sizeof(yes_text));
	T_EQ_INT(check(&c, "Биотату хной", "", why, sizeof(why)), -1);
	T_CHECK(strstr(why, "patch_test") != NULL);
	damage_field(&entry, pt, as_int, sizeof(as_int));
	T_EQ_INT(check(&c, "Биотату хной", "", NULL, 0), -1);
	damage_field(&entry, pt, (const uint8_t[]){ 0xc2 }, 1); /* false again: goes ahead */
	T_EQ_INT(check(&c, "Биотату хной", "", NULL, 0), 0);
}

/* Puts or deletes one raw key of dbi. */
static void raw_put(MDB_dbi dbi, const void *k, size_t nk, int del)
{
	MDB_val key = { nk, (void *)k }, v = { 0, NULL };
	MDB_txn *txn;

	T_CHECK(mdb_txn_begin(st.env, NULL, 0, &txn) == 0);
	T_CHECK((del ? mdb_del(txn, dbi, &key, NULL) : mdb_put(txn, dbi, &key, &v, 0)) == 0);
	T_CHECK(mdb_txn_commit(txn) == 0);
}

/*
 * What a flipped byte can do to a stored allergy: turn its state byte into
 * no state, cut its value, empty it.  Each must refuse, never read as
 * "removed"; a catalogue index entry naming no record refuses every visit
 * as damage, not as an unknown client; a lost merge index entry still
 * leaves a merged-away card in its own group.
 */
static void test_fails_closed_on_flipped_bytes(void)
{
	static const uint8_t flipped[] = { 9, 0xa6, 'l', 'a', 't', 'e', 'x' };
	static const uint8_t cut[] = { KT_ELEM_LIVE };
	static const uint8_t empty[] = { 0 }, empty_str[] = { KT_ELEM_LIVE, 0xa0 };
	static const uint8_t blank_str[] = { KT_ELEM_LIVE, 0xa2, ' ', ' ' };
	const uint8_t *bad[] = { flipped, cut, empty, empty_str, blank_str };
	size_t nbad[] = { sizeof(flipped), sizeof(cut), 0, sizeof(empty_str), sizeof(blank_str) };
	const char *c[] = { "name=Flip", "allergies=latex", NULL };
	const char *k[] = { "name=Keep Index", NULL };
	const char *o[] = { "name=Other Index", "allergies=никель", NULL };
	uint16_t allergies = kt_schema_field_named(KT_T_CLIENT, "allergies")->num;
	struct kt_id keep = put(KT_T_CLIENT, NULL, k), other = put(KT_T_CLIENT, NULL, o), ghost;
	uint8_t ck[2 + KT_ID_BYTES] = { 'c', 0x00 }, mk[2 * KT_ID_BYTES];
	char why[1024];

	for (size_t i = 0; i < 5; i++) {
		struct kt_id d = put(KT_T_CLIENT, NULL, c);

		T_EQ_INT(check(&d, "Latex mask", "", NULL, 0), 1);
		damage_element_with(&d, allergies, bad[i], nbad[i]);
		T_EQ_INT(check(&d, "Latex mask", "", why, sizeof(why)), -1);
		T_CHECK(strstr(why, i < 3 ? "bad stored set element" : "damaged allergies") != NULL);
	}
	kt_id_new(&ghost, kt_wall_ms());
	memcpy(ck + 2, ghost.b, KT_ID_BYTES);
	raw_put(st.idx, ck, sizeof(ck), 0);
	T_EQ_INT(check(&keep, "Массаж", "", why, sizeof(why)), -1);
	T_CHECK(strstr(why, "not in the store") != NULL);
	raw_put(st.idx, ck, sizeof(ck), 1);
	merge(&keep, &other);
	T_EQ_INT(check(&keep, "Серьги никель", "", NULL, 0), 1);
	memcpy(mk, keep.b, KT_ID_BYTES);
	memcpy(mk + KT_ID_BYTES, other.b, KT_ID_BYTES);
	raw_put(st.merged, mk, sizeof(mk), 1); /* the index entry is lost */
	T_EQ_INT(check(&other, "Серьги никель", "", NULL, 0), 1); /* her own card still counts */
	/*
	 * Two branches merged two cards into each other, or three around three
	 * cards: the latest merge's card stands (store.h, kt_store_alias_of),
	 * and the check reads the whole group from either card.
	 */
	{
		const char *p[] = { "name=P Loop", "allergies=латекс", NULL };
		const char *q[] = { "name=Q Loop", NULL }, *r3[] = { "name=R Loop", NULL };
		struct kt_id cp = put(KT_T_CLIENT, NULL, p), cq = put(KT_T_CLIENT, NULL, q);
		struct kt_id cr = put(KT_T_CLIENT, NULL, r3), to;
		MDB_txn *txn;

		merge(&cp, &cq); /* Q into P */
		merge(&cq, &cp); /* P into Q, later: P's merge closed the cycle, P stands */
		kt_store_rdtxn(&st, &txn, NULL);
		T_EQ_INT(kt_store_alias_of(&st, txn, &cp, &to), 0);
		T_EQ_INT(kt_store_alias_of(&st, txn, &cq, &to), 1);
		T_CHECK(kt_id_cmp(&to, &cp) == 0);
		T_EQ_INT(kt_store_merge_cycles(&st, txn, NULL, NULL, NULL), 1);
		mdb_txn_abort(txn);
		T_EQ_INT(check(&cq, "Латексная маска", "", why, sizeof(why)), 1);
		T_EQ_INT(check(&cp, "Латексная маска", "", why, sizeof(why)), 1);
		T_EQ_INT(check(&cr, "Латексная маска", "", why, sizeof(why)), 0);
		merge(&cr, &cp); /* P into R: a path now, R stands */
		kt_store_rdtxn(&st, &txn, NULL);
		T_EQ_INT(kt_store_alias_of(&st, txn, &cr, &to), 0);
		T_EQ_INT(kt_store_merge_cycles(&st, txn, NULL, NULL, NULL), 0);
		mdb_txn_abort(txn);
		T_EQ_INT(check(&cr, "Латексная маска", "", why, sizeof(why)), 1);
		merge(&cq, &cr); /* R into Q: the cycle P -> R -> Q -> P, R's merge the latest */
		kt_store_rdtxn(&st, &txn, NULL);
		T_EQ_INT(kt_store_alias_of(&st, txn, &cr, &to), 0);
		T_EQ_INT(kt_store_alias_of(&st, txn, &cp, &to), 1);
		T_EQ_INT(kt_store_alias_of(&st, txn, &cq, &to), 1);
		T_EQ_INT(kt_store_merge_cycles(&st, txn, NULL, NULL, NULL), 1);
		mdb_txn_abort(txn);
		for (int i = 0; i < 3; i++)
			T_EQ_INT(check(i == 0 ? &cp : i == 1 ? &cq : &cr, "Латексная маска", "", why,
				       sizeof(why)), 1);
	}
}

static void test_fails_closed_on_what_it_cannot_read(void)
{
	const char *c[] = { "name=Damaged", "allergies=латекс", NULL };
	const char *n[] = { "name=Fine", NULL };
	struct kt_id d = put(KT_T_CLIENT, NULL, c), f = put(KT_T_CLIENT, NULL, n), none;
	uint8_t k[2 + 5] = { 'c', 0x00, 1, 2, 3, 4, 5 };
	MDB_val key = { sizeof(k), k }, v = { 0, NULL };
	char why[1024];
	MDB_txn *txn;

	T_EQ_INT(check(&d, "Массаж", "", NULL, 0), 0);
	damage_element(&d, kt_schema_field_named(KT_T_CLIENT, "allergies")->num);
	T_EQ_INT(check(&d, "Массаж", "", why, sizeof(why)), -1);
	T_CHECK(strstr(why, "damaged allergies") != NULL);
	kt_id_new(&none, kt_wall_ms());
	T_EQ_INT(check(&none, "Массаж", "", why, sizeof(why)), -1); /* no such card */
	/* A damaged catalogue index entry: every check fails closed. */
	T_EQ_INT(check(&f, "Массаж", "", NULL, 0), 0);
	T_CHECK(mdb_txn_begin(st.env, NULL, 0, &txn) == 0);
	T_CHECK(mdb_put(txn, st.idx, &key, &v, 0) == 0);
	T_CHECK(mdb_txn_commit(txn) == 0);
	T_EQ_INT(check(&f, "Массаж", "", why, sizeof(why)), -1);
	T_CHECK(strstr(why, "catalogue") != NULL);
	T_CHECK(mdb_txn_begin(st.env, NULL, 0, &txn) == 0);
	T_CHECK(mdb_del(txn, st.idx, &key, NULL) == 0);
	T_CHECK(mdb_txn_commit(txn) == 0);
	T_EQ_INT(check(&f, "Массаж", "", NULL, 0), 0);
}

int main(void)
{
	char dir[300];
	struct kt_err err;

	kt_crypto_init();
	T_CHECK(kt_date_parse("2026-12-02", &rules.today) == 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/kt-test-safety-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/n", tmpdir);
	if (kt_store_init(dir, "Centre", "RU", &err) != 0 || kt_store_open(&st, dir, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	T_RUN(test_word_forms_and_lists);
	T_RUN(test_values_stored_whole_are_checked_part_by_part);
	T_RUN(test_entries_with_notes_and_joins);
	T_RUN(test_entries_as_typed_round_two);
	T_RUN(test_merge_group_is_one_card);
	T_RUN(test_catalogue_conditions_and_patch_tests);
	T_RUN(test_patch_test_without_valid_until_expires);
	T_RUN(test_fails_closed_on_what_it_cannot_read);
	T_RUN(test_fails_closed_on_flipped_bytes);
	T_RUN(test_fails_closed_on_damaged_patch_tests);
	kt_store_close(&st);
	rm_rf(tmpdir);
	T_DONE();
}
