/*
 * test_points.c - the ledger's sums (node/points.h): exact over entries of
 * any int64 delta, as entries written before deltas were bounded may hold,
 * and printed as they are.
 */
#include "t.h"
#include "points.h"
#include "proto/schema.h"

#include <stdint.h>
#include <stdlib.h>

/* A points record holding delta (what a store written before the bound may load). */
static void entry(struct kt_rec *r, struct kt_rfield *f, int64_t delta)
{
	memset(r, 0, sizeof(*r));
	memset(f, 0, sizeof(*f));
	r->type = KT_T_POINTS;
	f->field = kt_schema_field_named(KT_T_POINTS, "delta")->num;
	f->v.t = KT_V_INT;
	f->v.i = delta;
	r->fields = f;
	r->nfields = r->cap_fields = 1;
}

static const char *text(kt_points_total t)
{
	static char buf[48];

	return kt_points_text(t, buf, sizeof(buf));
}

static void test_sums_are_exact_past_int64(void)
{
	struct kt_rec r[4];
	struct kt_rfield f[4];
	json_t *j;
	char *s;

	entry(&r[0], &f[0], INT64_MAX);
	entry(&r[1], &f[1], INT64_MAX);
	T_EQ_STR(text(kt_points_sum(r, 2)), "18446744073709551614"); /* not held at INT64_MAX */
	entry(&r[2], &f[2], INT64_MIN);
	entry(&r[3], &f[3], INT64_MIN);
	T_EQ_STR(text(kt_points_sum(r, 4)), "-2");
	T_EQ_STR(text(kt_points_sum(r + 2, 2)), "-18446744073709551616");
	T_EQ_STR(text(kt_points_sum(r + 2, 1)), "-9223372036854775808");
	T_EQ_STR(text(0), "0");
	T_EQ_STR(text(-150), "-150");
	/* JSON: an integer while it fits, its digits past that. */
	j = kt_points_json(kt_points_sum(r, 1));
	s = json_dumps(j, JSON_ENCODE_ANY);
	T_EQ_STR(s, "9223372036854775807");
	free(s);
	json_decref(j);
	j = kt_points_json(kt_points_sum(r, 2));
	s = json_dumps(j, JSON_ENCODE_ANY);
	T_EQ_STR(s, "\"18446744073709551614\"");
	free(s);
	json_decref(j);
}

static void test_the_rule_says_the_balance_as_it_is(void)
{
	char why[160];

	T_EQ_INT(kt_points_refused(300, -500, why, sizeof(why)), 1);
	T_EQ_STR(why, "the balance is 300 and this entry would make it -200");
	T_EQ_INT(kt_points_refused(0, INT64_MIN, why, sizeof(why)), 1);
	T_EQ_STR(why, "the balance is 0 and this entry would make it -9223372036854775808");
	T_EQ_INT(kt_points_refused(-(kt_points_total)INT64_MAX * 2, -1, why, sizeof(why)), 1);
	T_EQ_STR(why, "the balance is -18446744073709551614 and this entry would make it "
		 "-18446744073709551615");
	T_EQ_INT(kt_points_refused((kt_points_total)INT64_MAX * 2, INT64_MIN, why, sizeof(why)), 0);
	T_EQ_INT(kt_points_refused(0, 100, why, sizeof(why)), 0);
}

int main(void)
{
	T_RUN(test_sums_are_exact_past_int64);
	T_RUN(test_the_rule_says_the_balance_as_it_is);
	T_DONE();
}
