/*
 * test_salon.c - the salon's rules as a library (node/salon.h, settings.h),
 * called straight on a real store in a temporary folder: the settings and
 * their defaults, segments, patch tests, the check at the chair, birthdays
 * and a sum of the report.
 */
#include "t.h"
#include "card.h"
#include "crypto.h"
#include "hlc.h"
#include "salon.h"

#include <stdarg.h>
#include <stdlib.h>

static char tmpdir[256];
static struct kt_store st;
static int32_t today; /* 2026-12-02 */

/*
 * Writes a new record of type (owner NULL: it owns itself) from "FIELD=VALUE"
 * strings ending in NULL; a list field's value is added.  Returns its id.
 */
static struct kt_id rec(uint8_t type, const struct kt_id *owner, ...)
{
	static struct kt_draft d;
	struct kt_err err;
	struct kt_id id;
	const char *kv;
	va_list ap;

	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, type, &id, 1, owner);
	va_start(ap, owner);
	while ((kv = va_arg(ap, const char *)) != NULL) {
		const char *eq = strchr(kv, '=');
		char name[64];
		const struct kt_field *f;

		snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
		f = kt_schema_field_named(type, name);
		T_CHECK(f != NULL);
		T_CHECK(kt_draft_field(&d, name, eq + 1, f && f->merge == KT_M_SET ? KT_OP_ADD
						     : KT_OP_SET, &err) == 0);
	}
	va_end(ap);
	T_CHECK(kt_store_write(&st, &d, 1, NULL, &err) == 0);
	return id;
}

/* A visit of client `ago` days before today. */
static void visit_ago(const struct kt_id *client, int ago)
{
	char date[11], kv[20];

	kt_date_format(today - ago, date);
	snprintf(kv, sizeof(kv), "date=%s", date);
	rec(KT_T_VISIT, client, kv, "services=Маникюр", (const char *)NULL);
}

static const char *segment(const struct kt_id *client, const struct kt_settings *s)
{
	struct kt_salon_segment sg;
	MDB_txn *txn;

	T_CHECK(kt_store_rdtxn(&st, &txn, NULL) == 0);
	T_EQ_INT(kt_salon_segment(&st, txn, s, today, client, &sg, NULL), 0);
	mdb_txn_abort(txn);
	return kt_salon_segment_name(sg.segment);
}

static void test_settings_defaults_and_stored(void)
{
	struct kt_settings s;
	char text[KT_SETTING_BYTES_MAX];

	kt_settings_load(&st, NULL, &s);
	T_EQ_STR(s.country, "RU");
	T_EQ_STR(s.currency, "RUB");
	T_EQ_INT(s.segment_regular_months, 6);
	T_EQ_INT(s.segment_lost_months, 2);
	T_EQ_INT(s.patch_test_months, 6);
	T_EQ_INT(s.birthday_days, 7);
	T_EQ_STR(s.timezone, "");
	T_CHECK(kt_settings_find("no_such_setting") == NULL);
	T_EQ_INT(kt_settings_find("segment_lost_months")->kind, KT_SETTING_NUMBER);
	T_EQ_INT(kt_store_set_setting(&st, "birthday_days", "14", NULL), 0);
	T_EQ_INT(kt_store_set_setting(&st, "currency", "MDL", NULL), 0);
	/* A number's text of 16 bytes or more is read as its default, as it always was. */
	T_EQ_INT(kt_store_set_setting(&st, "patch_test_months", "0000000000000012", NULL), 0);
	kt_settings_load(&st, NULL, &s);
	T_EQ_INT(s.birthday_days, 14);
	T_EQ_STR(s.currency, "MDL");
	T_EQ_INT(s.patch_test_months, 6);
	kt_settings_text(&st, NULL, kt_settings_find("patch_test_months"), text);
	T_EQ_STR(text, "0000000000000012"); /* what config get prints */
	T_EQ_INT(kt_store_set_setting(&st, "patch_test_months", "6", NULL), 0);
}

static void test_segments(void)
{
	struct kt_id none = rec(KT_T_CLIENT, NULL, "name=Ада", (const char *)NULL);
	struct kt_id one = rec(KT_T_CLIENT, NULL, "name=Бэла", (const char *)NULL);
	struct kt_id gone = rec(KT_T_CLIENT, NULL, "name=Вера", (const char *)NULL);
	struct kt_id every = rec(KT_T_CLIENT, NULL, "name=Галя", (const char *)NULL);
	struct kt_id two = rec(KT_T_CLIENT, NULL, "name=Дина", (const char *)NULL);
	struct kt_settings s;

	kt_settings_defaults(&s);
	visit_ago(&one, 10);
	visit_ago(&gone, 100);
	for (int k = 0; k < 6; k++)
		visit_ago(&every, 5 + 30 * k);
	visit_ago(&two, 5);
	visit_ago(&two, 40);
	T_EQ_STR(segment(&none, &s), "potential");
	T_EQ_STR(segment(&one, &s), "new");
	T_EQ_STR(segment(&gone, &s), "lost");
	T_EQ_STR(segment(&every, &s), "regular");
	T_EQ_STR(segment(&two, &s), "active");
	s.segment_lost_months = 4; /* 100 days is not lost then */
	T_EQ_STR(segment(&gone, &s), "new");
	s.segment_regular_months = 99; /* outside 1..24: the default, 6 */
	T_EQ_STR(segment(&every, &s), "regular");
	s.segment_regular_months = 7;
	T_EQ_STR(segment(&every, &s), "active");
	T_EQ_INT(kt_salon_segment_named("lost"), KT_SEGMENT_LOST);
	T_EQ_INT(kt_salon_segment_named("vip"), -1);
}

/* The check of a visit on date; returns 1 refused, 0 goes ahead, or the error. */
static int chair(const struct kt_id *client, const struct kt_settings *s, const char *services,
		 const char *date, char *why, size_t cap)
{
	struct kt_salon_verdict v = { 0 };
	struct kt_err err = { 0 };
	int rc = kt_salon_chair_check(&st, NULL, s, today, client, services, "", date, &v, &err);

	if (why != NULL)
		snprintf(why, cap, "%s", rc ? err.msg : v.why);
	T_EQ_INT(v.unreadable, 0);
	return rc ? -rc : v.refused;
}

static void test_patch_tests_and_the_chair(void)
{
	struct kt_id a = rec(KT_T_CLIENT, NULL, "name=Анна", "allergies=латекс",
			     (const char *)NULL);
	struct kt_id b = rec(KT_T_CLIENT, NULL, "name=Ева", (const char *)NULL), nobody;
	struct kt_settings s;
	char why[KT_SAFETY_WHY_BYTES], until[11];

	kt_settings_defaults(&s);
	kt_salon_patch_until(&s, "2026-08-31", until);
	T_EQ_STR(until, "2027-02-28");
	s.patch_test_months = 3;
	kt_salon_patch_until(&s, "2026-08-31", until);
	T_EQ_STR(until, "2026-11-30");

	kt_settings_defaults(&s);
	T_EQ_INT(chair(&a, &s, "Маска с латексом", "", why, sizeof(why)), 1);
	T_CHECK(strstr(why, "латекс") != NULL);
	T_EQ_INT(chair(&a, &s, "Массаж", "", NULL, 0), 0);
	kt_id_new(&nobody, kt_wall_ms());
	T_EQ_INT(chair(&nobody, &s, "Массаж", "", NULL, 0), -KT_ENOTFOUND);

	/* The legacy setting: her patch test of 2026-06-10 holds patch_test_months. */
	snprintf(s.patch_test_services, sizeof(s.patch_test_services), "Окрашивание");
	T_EQ_INT(chair(&b, &s, "Окрашивание", "", why, sizeof(why)), 1); /* none yet */
	rec(KT_T_PATCH, &b, "subject=Окрашивание", "status=passed", "date=2026-06-10",
	    (const char *)NULL);
	T_EQ_INT(chair(&b, &s, "Окрашивание", "", why, sizeof(why)), 0);
	T_EQ_INT(chair(&b, &s, "Окрашивание", "2026-12-20", why, sizeof(why)), 1);
	T_CHECK(strstr(why, "expired") != NULL);
	s.patch_test_months = 12;
	T_EQ_INT(chair(&b, &s, "Окрашивание", "2026-12-20", NULL, 0), 0);
}

static void test_birthdays_and_a_report_sum(void)
{
	struct kt_id c = rec(KT_T_CLIENT, NULL, "name=Жанна", "home_branch=Report",
			     "birthday=1990-12-04", (const char *)NULL);
	struct kt_salon_birthday *b;
	struct kt_settings s;
	json_t *o, *it, *line = NULL;
	MDB_txn *txn;
	size_t n, i;

	rec(KT_T_VISIT, &c, "date=2026-11-03", "services=Стрижка", "branch=Report",
	    "currency=EUR", "amount=1500", (const char *)NULL);
	rec(KT_T_VISIT, &c, "date=2026-11-20", "services=Стрижка", "branch=Report",
	    "currency=EUR", "amount=2500", (const char *)NULL);
	kt_settings_defaults(&s);
	T_CHECK(kt_store_rdtxn(&st, &txn, NULL) == 0);
	n = kt_salon_birthdays(&st, txn, today, 7, &b);
	T_EQ_INT(n, 1);
	if (n == 1) {
		T_EQ_STR(b[0].on, "2026-12-04");
		T_EQ_STR(b[0].name, "Жанна");
		T_EQ_INT(b[0].turns, 36);
	}
	free(b);
	T_EQ_INT(kt_salon_birthdays(&st, txn, today, 1, &b), 0);
	free(b);

	o = kt_salon_report(&st, txn, &s, today);
	mdb_txn_abort(txn);
	json_array_foreach(json_object_get(o, "visits_per_branch_month"), i, it)
		if (strcmp(json_string_value(json_object_get(it, "branch")), "Report") == 0)
			line = it;
	T_CHECK(line != NULL);
	if (line != NULL) {
		T_EQ_STR(json_string_value(json_object_get(line, "month")), "2026-11");
		T_EQ_STR(json_string_value(json_object_get(line, "currency")), "EUR");
		T_EQ_INT(json_integer_value(json_object_get(line, "visits")), 2);
		T_EQ_INT(json_integer_value(json_object_get(line, "revenue_minor")), 400000);
	}
	T_EQ_INT(json_integer_value(json_object_get(json_object_get(o, "clients_per_branch"),
						    "Report")), 1);
	T_EQ_INT(json_integer_value(json_object_get(json_object_get(json_object_get(o,
		 "segments_per_branch"), "Report"), "active")), 1);
	T_EQ_INT(json_array_size(json_object_get(o, "birthdays_this_week")), 1);
	json_decref(o);
}

/* A new store in a temporary folder into st; 0, or 1 with the error printed. */
static int store_up(void)
{
	const char *tmp = getenv("TMPDIR");
	struct kt_err err;
	char dir[300];

	snprintf(tmpdir, sizeof(tmpdir), "%s/kt-test-salon-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/node", tmpdir);
	if (kt_store_init(dir, "Centre", "RU", &err) == 0 && kt_store_open(&st, dir, &err) == 0)
		return 0;
	fprintf(stderr, "%s\n", err.msg);
	return 1;
}

int main(void)
{
	char rm[300];

	kt_crypto_init();
	T_CHECK(kt_date_parse("2026-12-02", &today) == 0);
	if (store_up() != 0)
		return 1;
	T_RUN(test_settings_defaults_and_stored);
	T_RUN(test_segments);
	T_RUN(test_patch_tests_and_the_chair);
	T_RUN(test_birthdays_and_a_report_sum);
	kt_store_close(&st);
	snprintf(rm, sizeof(rm), "rm -rf '%s'", tmpdir);
	if (system(rm) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	T_DONE();
}
