/* test_schema.c - the field table and what users may type for each field. */
#include "t.h"
#include "proto/schema.h"
#include "proto/limits.h"

#include <stdlib.h>

static char scratch[KT_VALUE_BYTES_MAX + 1];

static int parse(int type, const char *field, const char *text, struct kt_val *v)
{
	struct kt_err err;

	return kt_schema_parse(kt_schema_field_named(type, field), text, v, scratch, &err);
}

static void test_lookup(void)
{
	const struct kt_field *f = kt_schema_field_named(KT_T_CLIENT, "allergies");

	T_CHECK(f != NULL && f->merge == KT_M_SET && f->num == 15);
	T_CHECK(kt_schema_field(KT_T_CLIENT, 15) == f);
	T_CHECK(kt_schema_field_named(KT_T_CLIENT, "colour") == NULL);
	T_CHECK(kt_schema_field(KT_T_VISIT, 999) == NULL);
	T_EQ_INT(kt_schema_type_parse("patch_test"), KT_T_PATCH);
	T_EQ_INT(kt_schema_type_parse("nonsense"), 0);
	T_EQ_STR(kt_schema_type_name(KT_T_POINTS), "points");
	T_EQ_INT(kt_schema_field_named(KT_T_POINTS, "delta")->merge, KT_M_ONCE);
}

static void test_dates(void)
{
	struct kt_val v;
	int32_t d;
	char out[11];

	T_EQ_INT(parse(KT_T_CLIENT, "birthday", "2024-02-29", &v), 0);
	T_CHECK(parse(KT_T_CLIENT, "birthday", "2026-02-29", &v) != 0);
	T_CHECK(parse(KT_T_CLIENT, "birthday", "2026-02-30", &v) != 0);
	T_CHECK(parse(KT_T_CLIENT, "birthday", "2026-13-01", &v) != 0);
	T_CHECK(parse(KT_T_CLIENT, "birthday", "26-1-1", &v) != 0);
	T_CHECK(parse(KT_T_CLIENT, "birthday", "2026-01-1x", &v) != 0);
	for (int32_t day = -25000; day < 80000; day += 7) {
		kt_date_format(day, out);
		T_EQ_INT(kt_date_parse(out, &d), 0);
		T_EQ_INT(d, day);
	}
}

static void test_numbers_money_bools_enums(void)
{
	struct kt_val v;
	char out[32];

	T_EQ_INT(parse(KT_T_VISIT, "rating", "1", &v), 0);
	T_EQ_INT(parse(KT_T_VISIT, "rating", "5", &v), 0);
	T_CHECK(parse(KT_T_VISIT, "rating", "0", &v) != 0);
	T_CHECK(parse(KT_T_VISIT, "rating", "6", &v) != 0);
	T_CHECK(parse(KT_T_VISIT, "rating", "good", &v) != 0);
	T_EQ_INT(parse(KT_T_VISIT, "amount", "1500", &v), 0);
	T_EQ_INT(v.i, 150000);
	T_EQ_INT(parse(KT_T_VISIT, "amount", "1500.5", &v), 0);
	T_EQ_INT(v.i, 150050);
	T_EQ_INT(parse(KT_T_VISIT, "amount", "1500,50", &v), 0);
	T_EQ_INT(v.i, 150050);
	T_CHECK(parse(KT_T_VISIT, "amount", "1.234", &v) != 0);
	T_CHECK(parse(KT_T_VISIT, "amount", "abc", &v) != 0);
	v = (struct kt_val){ .t = KT_V_INT, .i = -505 };
	kt_schema_format(kt_schema_field_named(KT_T_VISIT, "amount"), &v, out, sizeof(out));
	T_EQ_STR(out, "-5.05");
	T_EQ_INT(parse(KT_T_CLIENT, "consent_photos", "YES", &v), 0);
	T_EQ_INT(v.i, 1);
	T_EQ_INT(parse(KT_T_CLIENT, "consent_photos", "нет", &v), 0);
	T_EQ_INT(v.i, 0);
	T_CHECK(parse(KT_T_CLIENT, "consent_photos", "maybe", &v) != 0);
	T_EQ_INT(parse(KT_T_CLIENT, "gender", "Female", &v), 0);
	T_CHECK(v.n == 6 && memcmp(v.s, "female", 6) == 0);
	T_CHECK(parse(KT_T_CLIENT, "gender", "robot", &v) != 0);
	T_EQ_INT(parse(KT_T_POINTS, "visit", "01JD3Q5ZK8W6T9V2M4N7P0R1S3", &v), 0);
	T_CHECK(parse(KT_T_POINTS, "visit", "not-an-id", &v) != 0);
	T_CHECK(parse(KT_T_CLIENT, "email", "no-at-sign", &v) != 0);
	T_CHECK(parse(KT_T_CLIENT, "email", "a@b@c", &v) != 0);
}

static void test_text_limits_and_utf8(void)
{
	char *big = malloc(KT_VALUE_BYTES_MAX + 2);
	struct kt_val v;
	struct kt_err err;

	memset(big, 'x', KT_VALUE_BYTES_MAX + 1);
	big[KT_VALUE_BYTES_MAX] = '\0';
	T_EQ_INT(parse(KT_T_CLIENT, "notes", big, &v), 0);
	big[KT_VALUE_BYTES_MAX] = 'x';
	big[KT_VALUE_BYTES_MAX + 1] = '\0';
	T_EQ_INT(kt_schema_parse(kt_schema_field_named(KT_T_CLIENT, "notes"), big, &v, scratch,
				 &err), KT_ETOOBIG);
	T_CHECK(parse(KT_T_CLIENT, "notes", "bad \xff byte", &v) != 0);
	T_EQ_INT(parse(KT_T_CLIENT, "notes", "", &v), 0);
	T_EQ_INT(v.t, KT_V_NIL); /* an empty value clears a field */
	T_CHECK(parse(KT_T_CLIENT, "allergies", "", &v) != 0); /* but is no list item */
	free(big);
}

int main(void)
{
	T_RUN(test_lookup);
	T_RUN(test_dates);
	T_RUN(test_numbers_money_bools_enums);
	T_RUN(test_text_limits_and_utf8);
	T_DONE();
}
