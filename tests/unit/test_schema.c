/*
 * test_schema.c - the field table and what users may type for each field:
 * every value type, its limits at max and max + 1, and the calendar.
 */
#include "t.h"
#include "proto/schema.h"
#include "proto/limits.h"

#include <stdlib.h>

static char scratch[KT_VALUE_BYTES_MAX + 1];
static struct kt_err err;

static const struct kt_field *field(int type, const char *name)
{
	const struct kt_field *f = kt_schema_field_named(type, name);

	if (f == NULL) {
		fprintf(stderr, "no field '%s' in type %d\n", name, type);
		abort();
	}
	return f;
}

static int parse(int type, const char *name, const char *text, struct kt_val *v)
{
	return kt_schema_parse(field(type, name), text, v, scratch, &err);
}

/* Parses and checks the value is the text itself, as a string. */
static void parses_as_itself(int type, const char *name, const char *text)
{
	struct kt_val v;

	T_EQ_INT(parse(type, name, text, &v), 0);
	T_EQ_INT(v.t, KT_V_STR);
	T_CHECK(v.n == strlen(text) && memcmp(v.s, text, v.n) == 0);
}

static void refused(int type, const char *name, const char *text, int code)
{
	struct kt_val v;
	int rc = parse(type, name, text, &v);

	if (rc != code)
		fprintf(stderr, "'%s' for '%s': %d, expected %d\n", text, name, rc, code);
	T_EQ_INT(rc, code);
	T_CHECK(err.msg[0] != '\0');
}

static void test_lookup_by_number_and_name(void)
{
	const struct kt_field *f = kt_schema_field_named(KT_T_CLIENT, "allergies");
	const struct kt_field *all[64];
	size_t n;

	T_CHECK(f != NULL && f->merge == KT_M_SET && f->num == 15 && f->rtype == KT_T_CLIENT);
	T_CHECK(kt_schema_field(KT_T_CLIENT, 15) == f);
	T_EQ_STR(kt_schema_field(KT_T_CLIENT, 1)->name, "name");
	T_EQ_INT(kt_schema_field(KT_T_CLIENT, 4)->vtype, KT_VT_DATE);
	T_EQ_INT(kt_schema_field(KT_T_VISIT, 5)->vtype, KT_VT_MONEY);
	T_EQ_STR(kt_schema_field(KT_T_VISIT, 1)->name, "date");
	/* The same name in two types is two fields. */
	T_CHECK(kt_schema_field_named(KT_T_CLIENT, "sensitivity") !=
		kt_schema_field_named(KT_T_ASSESS, "sensitivity"));
	T_EQ_INT(kt_schema_field_named(KT_T_ASSESS, "sensitivity")->vtype, KT_VT_INT);
	T_CHECK(kt_schema_field_named(KT_T_CLIENT, "colour") == NULL);
	T_CHECK(kt_schema_field_named(KT_T_CLIENT, "Name") == NULL); /* names are exact */
	T_CHECK(kt_schema_field(KT_T_VISIT, 999) == NULL);
	T_CHECK(kt_schema_field(KT_T_CLIENT, 0) == NULL);
	T_CHECK(kt_schema_field(KT_T_CLIENT, KT_F_ALIAS) == NULL);
	T_CHECK(kt_schema_field(0, 1) == NULL);
	T_CHECK(kt_schema_field(KT_T_MAX + 1, 1) == NULL);
	T_EQ_INT(kt_schema_field_named(KT_T_POINTS, "delta")->merge, KT_M_ONCE);
	/* Every field is found again by its number and its name. */
	for (int t = 1; t <= KT_T_MAX; t++) {
		uint16_t last = 0;

		n = kt_schema_fields(t, all, 64);
		T_CHECK(n > 0 && n < 64);
		for (size_t i = 0; i < n; i++) {
			T_CHECK(all[i]->rtype == t);
			T_CHECK(all[i]->num > last); /* number order, no number twice */
			last = all[i]->num;
			T_CHECK(kt_schema_field(t, all[i]->num) == all[i]);
			T_CHECK(kt_schema_field_named(t, all[i]->name) == all[i]);
		}
	}
	T_EQ_INT(kt_schema_fields(KT_T_CLIENT, all, 3), 3); /* capped */
	T_EQ_INT(kt_schema_fields(KT_T_CLIENT, all, 64), 23);
}

/* The search column, and the order kt_schema_search's binary search needs. */
static void test_search_column(void)
{
	const struct kt_field *all[64];

	for (int t = 1; t <= KT_T_MAX; t++) {
		size_t n = kt_schema_fields(t, all, 64);

		for (size_t i = 1; i < n; i++)
			T_CHECK(all[i - 1]->num < all[i]->num);
		for (size_t i = 0; i < n; i++)
			T_EQ_INT(kt_schema_search(t, all[i]->num), all[i]->search);
	}
	T_EQ_INT(kt_schema_search(KT_T_CLIENT, KT_CLIENT_NAME), KT_S_WORDS);
	T_EQ_INT(kt_schema_search(KT_T_CLIENT, KT_CLIENT_PHONE), KT_S_PHONE);
	T_EQ_INT(kt_schema_search(KT_T_CLIENT, KT_CLIENT_EMAIL), KT_S_EMAIL);
	T_EQ_INT(kt_schema_search(KT_T_CLIENT, KT_CLIENT_BIRTHDAY), KT_S_DAY);
	T_EQ_INT(kt_schema_search(KT_T_CLIENT, KT_CLIENT_PHONE_E164), KT_S_PHONE_COPY);
	T_EQ_INT(kt_schema_search(KT_T_CLIENT, 15), KT_S_NONE);    /* allergies */
	T_EQ_INT(kt_schema_search(KT_T_VISIT, 1), KT_S_NONE);      /* a visit's date */
	T_EQ_INT(kt_schema_search(KT_T_CLIENT, 999), KT_S_NONE);   /* a field of a later build */
	T_EQ_INT(kt_schema_searched(KT_T_CLIENT, KT_S_PHONE)->num, KT_CLIENT_PHONE);
	T_CHECK(kt_schema_searched(KT_T_VISIT, KT_S_PHONE) == NULL);
}

static void test_type_names(void)
{
	static const char *names[] = { NULL, "client", "visit", "patch_test", "assessment",
				       "plan", "feedback", "points", "catalogue", "staff", "audit",
				       "consent" };

	for (int t = 1; t <= KT_T_MAX; t++) {
		T_EQ_STR(kt_schema_type_name(t), names[t]);
		T_EQ_INT(kt_schema_type_parse(names[t]), t);
	}
	T_EQ_INT(kt_schema_type_parse("care_plan"), KT_T_PLAN);
	T_EQ_INT(kt_schema_type_parse("catalog"), KT_T_CATALOGUE);
	T_EQ_INT(kt_schema_type_parse("nonsense"), 0);
	T_EQ_INT(kt_schema_type_parse(""), 0);
	T_EQ_STR(kt_schema_type_name(0), "unknown");
	T_EQ_STR(kt_schema_type_name(KT_T_MAX + 1), "unknown");
	T_EQ_STR(kt_schema_type_name(-1), "unknown");
}

static void test_text_and_phone(void)
{
	parses_as_itself(KT_T_CLIENT, "name", "Анна Иванова");
	parses_as_itself(KT_T_CLIENT, "name", "Ștefania Popescu");
	parses_as_itself(KT_T_CLIENT, "name", "王小明");
	parses_as_itself(KT_T_CLIENT, "notes", "line one\nline two\ttab");
	parses_as_itself(KT_T_CLIENT, "phone", "+7 (912) 345-67-89");
	parses_as_itself(KT_T_CLIENT, "phone", "8 912 345 67 89");
	{
		/* A client's name says something: not empty, not only blanks or signs (issue 13). */
		static const char *const blank[] = { "", " ", "   ", "\xc2\xa0", "\xe3\x80\x80",
						     "\xe2\x80\x8b", "-", "...", "\xe2\x80\x94" };
		struct kt_val v;

		for (size_t i = 0; i < sizeof(blank) / sizeof(blank[0]); i++)
			T_CHECK(parse(KT_T_CLIENT, "name", blank[i], &v) != 0);
		parses_as_itself(KT_T_CLIENT, "name", "A");
		parses_as_itself(KT_T_CLIENT, "name", "7");
	}
}

static void test_dates(void)
{
	parses_as_itself(KT_T_CLIENT, "birthday", "1990-05-17");
	parses_as_itself(KT_T_CLIENT, "birthday", "2024-02-29"); /* leap day */
	parses_as_itself(KT_T_CLIENT, "birthday", "2000-02-29"); /* divisible by 400 */
	parses_as_itself(KT_T_VISIT, "date", "2026-12-31");
	parses_as_itself(KT_T_VISIT, "date", "2026-01-01");
	refused(KT_T_CLIENT, "birthday", "2026-02-29", KT_EINVAL); /* not a leap year */
	refused(KT_T_CLIENT, "birthday", "1900-02-29", KT_EINVAL); /* divisible by 100 */
	refused(KT_T_CLIENT, "birthday", "2026-02-30", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026-04-31", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026-13-01", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026-00-10", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026-01-00", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026-01-32", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "26-1-1", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026-1-1", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026-01-1x", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026/01/10", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "10.01.2026", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026-01-10 ", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "+026-01-10", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "2026-+1-10", KT_EINVAL);
	refused(KT_T_CLIENT, "birthday", "yesterday", KT_EINVAL);
	refused(KT_T_PATCH, "valid_until", "2026-02-30", KT_EINVAL);
}

static void test_date_round_trip_over_many_days(void)
{
	int32_t d, prev = 0;
	char out[11];
	int y, m, dd;

	T_EQ_INT(kt_date_parse("1970-01-01", &d), 0);
	T_EQ_INT(d, 0);
	T_EQ_INT(kt_date_parse("2000-03-01", &d), 0);
	T_EQ_INT(d, 11017);
	T_EQ_INT(kt_date_parse("1969-12-31", &d), 0);
	T_EQ_INT(d, -1);
	kt_date_format(0, out);
	T_EQ_STR(out, "1970-01-01");
	kt_date_format(20513, out);
	T_EQ_STR(out, "2026-03-01");
	/* Every day from 1900-01-01 to 2199-12-31. */
	T_EQ_INT(kt_date_parse("1900-01-01", &d), 0);
	for (int32_t day = d; day <= 84005; day++) {
		kt_date_format(day, out);
		T_EQ_INT(kt_date_parse(out, &d), 0);
		if (d != day) {
			fprintf(stderr, "day %d formats as %s, parses as %d\n", day, out, d);
			T_CHECK(0);
			break;
		}
		kt_date_ymd(day, &y, &m, &dd);
		T_CHECK(m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
		if (day > -25567)
			T_EQ_INT(d, prev + 1);
		prev = d;
	}
	kt_date_format(84005, out);
	T_EQ_STR(out, "2199-12-31");
	/* Leap days exist exactly in leap years. */
	for (int yr = 1900; yr <= 2200; yr++) {
		char s[32];
		int leap = (yr % 4 == 0 && yr % 100 != 0) || yr % 400 == 0;

		snprintf(s, sizeof(s), "%04d-02-29", yr);
		T_EQ_INT(kt_date_parse(s, &d) == 0, leap);
	}
	T_EQ_INT(kt_date_parse("1899-12-31", &d), -1); /* outside the range we accept */
	T_EQ_INT(kt_date_parse("2201-01-01", &d), -1);
	T_EQ_INT(kt_date_parse("", &d), -1);
}

static void test_ints_in_range(void)
{
	struct kt_val v;

	T_EQ_INT(parse(KT_T_VISIT, "rating", "1", &v), 0); /* min */
	T_EQ_INT(v.t, KT_V_INT);
	T_EQ_INT(v.i, 1);
	T_EQ_INT(parse(KT_T_VISIT, "rating", "5", &v), 0); /* max */
	T_EQ_INT(v.i, 5);
	refused(KT_T_VISIT, "rating", "0", KT_EINVAL);      /* min - 1 */
	refused(KT_T_VISIT, "rating", "6", KT_EINVAL);      /* max + 1 */
	refused(KT_T_VISIT, "rating", "-1", KT_EINVAL);
	refused(KT_T_VISIT, "rating", "good", KT_EINVAL);
	refused(KT_T_VISIT, "rating", "4.5", KT_EINVAL);
	refused(KT_T_VISIT, "rating", " 4", KT_EINVAL);
	refused(KT_T_VISIT, "rating", "4 ", KT_EINVAL);
	refused(KT_T_VISIT, "rating", "99999999999999999999999", KT_EINVAL);
	T_EQ_INT(parse(KT_T_ASSESS, "hydration", "0", &v), 0);
	T_EQ_INT(v.i, 0);
	T_EQ_INT(parse(KT_T_ASSESS, "hydration", "10", &v), 0);
	T_EQ_INT(v.i, 10);
	refused(KT_T_ASSESS, "hydration", "11", KT_EINVAL);
	refused(KT_T_ASSESS, "hydration", "-1", KT_EINVAL);
	/* The ledger's delta: within KT_POINTS_DELTA_MAX either way, and never 0. */
	T_EQ_INT(parse(KT_T_POINTS, "delta", "-150", &v), 0);
	T_EQ_INT(v.i, -150);
	T_EQ_INT(parse(KT_T_POINTS, "delta", "1000000000", &v), 0); /* max */
	T_CHECK(v.i == KT_POINTS_DELTA_MAX);
	T_EQ_INT(parse(KT_T_POINTS, "delta", "-1000000000", &v), 0); /* min */
	T_CHECK(v.i == -KT_POINTS_DELTA_MAX);
	refused(KT_T_POINTS, "delta", "1000000001", KT_EINVAL);
	T_EQ_STR(err.msg, "'delta' wants a whole number from -1000000000 to 1000000000, not "
		 "'1000000001'");
	refused(KT_T_POINTS, "delta", "-1000000001", KT_EINVAL);
	refused(KT_T_POINTS, "delta", "9223372036854775807", KT_EINVAL);
	refused(KT_T_POINTS, "delta", "-9223372036854775808", KT_EINVAL);
	refused(KT_T_POINTS, "delta", "0", KT_EINVAL);
	T_EQ_STR(err.msg, "a points entry of 0 changes nothing ('delta' wants a whole number "
		 "from -1000000000 to 1000000000 other than 0)");
	refused(KT_T_POINTS, "delta", "-0", KT_EINVAL);
	refused(KT_T_POINTS, "delta", "9223372036854775808", KT_EINVAL);
	refused(KT_T_POINTS, "delta", "-9223372036854775809", KT_EINVAL);
	refused(KT_T_POINTS, "delta", "12abc", KT_EINVAL);
}

static void test_money(void)
{
	struct kt_val v;
	char out[32];
	const struct kt_field *amount = field(KT_T_VISIT, "amount");
	static const struct { const char *in; int64_t minor; } ok[] = {
		{ "1500", 150000 }, { "1500.5", 150050 }, { "1500.50", 150050 },
		{ "1500,50", 150050 }, { "0", 0 }, { "0.01", 1 }, { "0.1", 10 },
		{ "007", 700 }, { "1000000000", 100000000000LL },
	};
	/* A visit's amount is what she paid: never negative (issue 13), at most 10^9. */
	static const char *bad[] = { "-20", "-5.05", "-0.01", "1000000000.01",
				     "1.234", "1500.", ".5", "-", "", "abc", "1 500",
				     "1e3", "+5", "1500.5.0", "--5", "12,345.67",
				     "99999999999999999999" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		T_EQ_INT(parse(KT_T_VISIT, "amount", ok[i].in, &v), 0);
		T_EQ_INT(v.t, KT_V_INT);
		if (v.i != ok[i].minor)
			fprintf(stderr, "'%s' is %lld minor units\n", ok[i].in, (long long)v.i);
		T_CHECK(v.i == ok[i].minor);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i][0] == '\0')
			continue; /* empty clears the field: tested below */
		refused(KT_T_VISIT, "amount", bad[i], KT_EINVAL);
	}
	v = (struct kt_val){ .t = KT_V_INT, .i = -505 };
	kt_schema_format(amount, &v, out, sizeof(out));
	T_EQ_STR(out, "-5.05");
	v.i = -50;
	kt_schema_format(amount, &v, out, sizeof(out));
	T_EQ_STR(out, "-0.50");
	v.i = 150050;
	kt_schema_format(amount, &v, out, sizeof(out));
	T_EQ_STR(out, "1500.50");
	v.i = 0;
	kt_schema_format(amount, &v, out, sizeof(out));
	T_EQ_STR(out, "0.00");
	v.i = INT64_MIN;
	kt_schema_format(amount, &v, out, sizeof(out));
	T_EQ_STR(out, "-92233720368547758.08");
	/*
	 * What is formatted parses back to the same amount; a negative one (a
	 * store from before amounts were bounded) is shown, and refused as input.
	 */
	for (int64_t x = -100000; x <= 100000; x += 37) {
		struct kt_val back;

		v.i = x;
		kt_schema_format(amount, &v, out, sizeof(out));
		T_EQ_INT(kt_schema_parse(amount, out, &back, scratch, &err), x < 0 ? KT_EINVAL : 0);
		T_CHECK(x < 0 || back.i == x);
	}
}

static void test_bools(void)
{
	struct kt_val v;
	char out[8];
	static const char *yes[] = { "yes", "YES", "Yes", "true", "TRUE", "1", "y", "Y", "да" };
	static const char *no[] = { "no", "NO", "false", "False", "0", "n", "N", "нет" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		T_EQ_INT(parse(KT_T_CLIENT, "consent_photos", yes[i], &v), 0);
		T_EQ_INT(v.t, KT_V_BOOL);
		T_EQ_INT(v.i, 1);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		T_EQ_INT(parse(KT_T_CLIENT, "consent_marketing", no[i], &v), 0);
		T_EQ_INT(v.t, KT_V_BOOL);
		T_EQ_INT(v.i, 0);
	}
	refused(KT_T_CLIENT, "consent_photos", "maybe", KT_EINVAL);
	refused(KT_T_CLIENT, "consent_photos", "2", KT_EINVAL);
	refused(KT_T_CLIENT, "consent_photos", "yess", KT_EINVAL);
	v = (struct kt_val){ .t = KT_V_BOOL, .i = 1 };
	kt_schema_format(field(KT_T_CLIENT, "consent_photos"), &v, out, sizeof(out));
	T_EQ_STR(out, "yes");
	v.i = 0;
	kt_schema_format(field(KT_T_CLIENT, "consent_photos"), &v, out, sizeof(out));
	T_EQ_STR(out, "no");
}

static void test_enums_fold_case(void)
{
	struct kt_val v;

	T_EQ_INT(parse(KT_T_CLIENT, "gender", "Female", &v), 0);
	T_EQ_INT(v.t, KT_V_STR);
	T_CHECK(v.n == 6 && memcmp(v.s, "female", 6) == 0);
	T_EQ_INT(parse(KT_T_CLIENT, "skin_type", "COMBINATION", &v), 0);
	T_CHECK(v.n == 11 && memcmp(v.s, "combination", 11) == 0);
	T_EQ_INT(parse(KT_T_CLIENT, "skin_type", "normal", &v), 0); /* the first word */
	T_CHECK(v.n == 6 && memcmp(v.s, "normal", 6) == 0);
	T_EQ_INT(parse(KT_T_CLIENT, "skin_type", "sensitive", &v), 0); /* the last word */
	T_CHECK(v.n == 9 && memcmp(v.s, "sensitive", 9) == 0);
	T_EQ_INT(parse(KT_T_FEEDBACK, "status", "In_Progress", &v), 0);
	T_CHECK(v.n == 11 && memcmp(v.s, "in_progress", 11) == 0);
	T_EQ_INT(parse(KT_T_PATCH, "status", "PASSED", &v), 0);
	T_CHECK(v.n == 6 && memcmp(v.s, "passed", 6) == 0);
	refused(KT_T_CLIENT, "gender", "robot", KT_EINVAL);
	refused(KT_T_CLIENT, "gender", "fem", KT_EINVAL);      /* a prefix of a word */
	refused(KT_T_CLIENT, "gender", "females", KT_EINVAL);  /* a word and more */
	refused(KT_T_CLIENT, "gender", "female|male", KT_EINVAL);
	refused(KT_T_CLIENT, "gender", "|", KT_EINVAL);
	refused(KT_T_CLIENT, "skin_type", "dry ", KT_EINVAL);
	refused(KT_T_CLIENT, "skin_type",
		"combinationcombinationcombinationcombination", KT_EINVAL);
}

static void test_ids(void)
{
	parses_as_itself(KT_T_POINTS, "visit", "01ARYZ6S41TSV4RRFFQ69G5FAV");
	refused(KT_T_POINTS, "visit", "not-an-id", KT_EINVAL);
	refused(KT_T_POINTS, "visit", "01ARYZ6S41TSV4RRFFQ69G5FA", KT_EINVAL);
	refused(KT_T_POINTS, "visit", "81ARYZ6S41TSV4RRFFQ69G5FAV", KT_EINVAL);
	refused(KT_T_POINTS, "visit", "01ARYZ6S41TSV4RRFFQ69G5FAU", KT_EINVAL);
}

static void test_emails(void)
{
	parses_as_itself(KT_T_CLIENT, "email", "anna@example.com");
	parses_as_itself(KT_T_CLIENT, "email", "Анна@пример.рф");
	refused(KT_T_CLIENT, "email", "no-at-sign", KT_EINVAL);
	refused(KT_T_CLIENT, "email", "a@b@c", KT_EINVAL);
	refused(KT_T_CLIENT, "email", "anna @example.com", KT_EINVAL);
	refused(KT_T_CLIENT, "email", "anna@example.com\n", KT_EINVAL);
	refused(KT_T_CLIENT, "email", "anna\t@example.com", KT_EINVAL);
}

static void test_value_size_at_max_and_over(void)
{
	char *big = malloc(KT_VALUE_BYTES_MAX + 2);
	struct kt_val v;

	memset(big, 'x', KT_VALUE_BYTES_MAX + 1);
	big[KT_VALUE_BYTES_MAX] = '\0';
	T_EQ_INT(parse(KT_T_CLIENT, "notes", big, &v), 0);
	T_EQ_INT(v.n, KT_VALUE_BYTES_MAX);
	T_EQ_INT(parse(KT_T_CLIENT, "allergies", big, &v), 0);
	big[KT_VALUE_BYTES_MAX] = 'x';
	big[KT_VALUE_BYTES_MAX + 1] = '\0';
	refused(KT_T_CLIENT, "notes", big, KT_ETOOBIG);
	refused(KT_T_CLIENT, "allergies", big, KT_ETOOBIG);
	refused(KT_T_VISIT, "rating", big, KT_ETOOBIG);
	/* At max in multi-byte letters: bytes count, not letters. */
	for (int i = 0; i + 2 <= KT_VALUE_BYTES_MAX; i += 2)
		memcpy(big + i, "я", 2);
	big[KT_VALUE_BYTES_MAX] = '\0';
	T_EQ_INT(parse(KT_T_CLIENT, "notes", big, &v), 0);
	memcpy(big + KT_VALUE_BYTES_MAX - 1, "\xd1\x8f", 3); /* one byte over */
	refused(KT_T_CLIENT, "notes", big, KT_ETOOBIG);
	free(big);
}

static void test_invalid_utf8_is_refused(void)
{
	static const char *bad[] = {
		"bad \xff byte",
		"\xc0\xaf",          /* overlong '/' */
		"\xe0\x80\xaf",      /* overlong, three bytes */
		"\xed\xa0\x80",      /* a surrogate */
		"\xf4\x90\x80\x80",  /* past U+10FFFF */
		"cut \xd0",          /* truncated sequence */
		"\xe2\x82",
		"\x80 lone continuation",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		refused(KT_T_CLIENT, "notes", bad[i], KT_EINVAL);
		refused(KT_T_CLIENT, "allergies", bad[i], KT_EINVAL);
		refused(KT_T_CLIENT, "phone", bad[i], KT_EINVAL);
	}
}

static void test_empty_clears_an_lww_field_but_is_no_set_element(void)
{
	/* Not the name: a card's name cannot be cleared (test_text_and_phone). */
	static const char *lww[] = { "birthday", "gender", "consent_photos", "email", "phone" };
	struct kt_val v;

	for (size_t i = 0; i < sizeof(lww) / sizeof(lww[0]); i++) {
		memset(&v, 0xee, sizeof(v));
		T_EQ_INT(parse(KT_T_CLIENT, lww[i], "", &v), 0);
		T_EQ_INT(v.t, KT_V_NIL);
	}
	T_EQ_INT(parse(KT_T_VISIT, "amount", "", &v), 0);
	T_EQ_INT(v.t, KT_V_NIL);
	T_EQ_INT(parse(KT_T_VISIT, "rating", "", &v), 0);
	T_EQ_INT(v.t, KT_V_NIL);
	T_EQ_INT(parse(KT_T_POINTS, "visit", "", &v), 0);
	T_EQ_INT(v.t, KT_V_NIL);
	refused(KT_T_CLIENT, "allergies", "", KT_EINVAL);
	refused(KT_T_CLIENT, "tags", "", KT_EINVAL);
	refused(KT_T_ASSESS, "photos", "", KT_EINVAL);
}

static void test_format(void)
{
	char out[64];
	struct kt_val v;
	const struct kt_field *rating = field(KT_T_VISIT, "rating");

	v = (struct kt_val){ .t = KT_V_NIL };
	out[0] = 'x';
	T_EQ_INT(kt_schema_format(rating, &v, out, sizeof(out)), 0);
	T_EQ_STR(out, "");
	v = (struct kt_val){ .t = KT_V_INT, .i = -42 };
	T_EQ_INT(kt_schema_format(rating, &v, out, sizeof(out)), 3);
	T_EQ_STR(out, "-42");
	T_EQ_INT(kt_schema_format(NULL, &v, out, sizeof(out)), 3); /* an unknown field */
	v = (struct kt_val){ .t = KT_V_STR, .s = "hello world", .n = 5 };
	T_EQ_INT(kt_schema_format(NULL, &v, out, sizeof(out)), 5);
	T_EQ_STR(out, "hello");
	v = (struct kt_val){ .t = KT_V_BIN, .s = "\x01\xab\xff", .n = 3 };
	T_EQ_INT(kt_schema_format(NULL, &v, out, sizeof(out)), 6);
	T_EQ_STR(out, "01abff");
	/* Output is cut to the buffer and always terminated. */
	v = (struct kt_val){ .t = KT_V_STR, .s = "hello world", .n = 11 };
	T_EQ_INT(kt_schema_format(NULL, &v, out, 6), 5);
	T_EQ_STR(out, "hello");
	v = (struct kt_val){ .t = KT_V_BIN, .s = "\x01\xab\xff", .n = 3 };
	T_EQ_INT(kt_schema_format(NULL, &v, out, 6), 4);
	T_EQ_STR(out, "01ab");
	T_EQ_INT(kt_schema_format(NULL, &v, out, 0), 0);
}

int main(void)
{
	T_RUN(test_lookup_by_number_and_name);
	T_RUN(test_search_column);
	T_RUN(test_type_names);
	T_RUN(test_text_and_phone);
	T_RUN(test_dates);
	T_RUN(test_date_round_trip_over_many_days);
	T_RUN(test_ints_in_range);
	T_RUN(test_money);
	T_RUN(test_bools);
	T_RUN(test_enums_fold_case);
	T_RUN(test_ids);
	T_RUN(test_emails);
	T_RUN(test_value_size_at_max_and_over);
	T_RUN(test_invalid_utf8_is_refused);
	T_RUN(test_empty_clears_an_lww_field_but_is_no_set_element);
	T_RUN(test_format);
	T_DONE();
}
