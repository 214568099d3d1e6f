/*
 * salon.c - the salon's rules as a library (see salon.h): the check at
 * the chair, patch tests, segments and birthdays.  The report's sums are
 * in salon_report.c.  Nothing here prints.
 */
#include "salon.h"
#include "card.h"
#include "dates.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the check at the chair ---- */

void kt_salon_safety_rules(const struct kt_settings *s, int32_t today,
			   struct kt_safety_rules *r)
{
	r->today = today;
	r->legacy_patch = s->patch_test_services;
	r->patch_months = s->patch_test_months;
	r->conceal_medications = 0;
}

int kt_salon_chair_check(struct kt_store *st, MDB_txn *txn, const struct kt_settings *s,
			 int32_t today, const struct kt_id *client, const char *services,
			 const char *products, const char *date, struct kt_salon_verdict *v,
			 struct kt_err *err)
{
	struct kt_safety_rules rules;
	struct kt_safety_verdict sv;
	struct kt_err e = { 0 };
	int32_t day;
	int rc;

	int conceal = v->conceal;

	memset(v, 0, sizeof(*v));
	v->conceal = conceal;
	kt_salon_safety_rules(s, today, &rules);
	rules.conceal_medications = conceal;
	if (date != NULL && date[0] && kt_date_parse(date, &day) == 0)
		rules.today = day;
	if (txn != NULL)
		rc = kt_safety_visit(st, txn, client, services, products, &rules, &sv, &e);
	else if ((rc = kt_store_rdtxn(st, &txn, &e)) == 0) {
		rc = kt_safety_visit(st, txn, client, services, products, &rules, &sv, &e);
		mdb_txn_abort(txn);
	}
	if (rc == KT_ENOTFOUND) {
		if (err != NULL)
			*err = e;
		return rc;
	}
	if (rc != 0) {
		v->refused = v->unreadable = 1;
		snprintf(v->why, sizeof(v->why), "the safety check cannot read what it needs "
			 "(%s)", e.msg);
		return 0;
	}
	v->refused = sv.refused;
	if (sv.refused)
		snprintf(v->why, sizeof(v->why), "%s", sv.why);
	return 0;
}

/* ---- patch tests ---- */

void kt_salon_patch_until(const struct kt_settings *s, const char *date, char out[11])
{
	kt_safety_add_months(date, s->patch_test_months, out);
}

/* ---- segments ---- */

struct visit_scan {
	struct kt_store *st;
	MDB_txn *txn;
	int32_t today;
	int count;
	int32_t last;
	uint32_t windows; /* bit k: a visit between 30k and 30k+29 days ago */
};

static int scan_visit(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct visit_scan *s = ctx;
	struct kt_rec r;
	const struct kt_val *v;
	char date[11];
	int32_t d;

	(void)type;
	kt_rec_init(&r);
	if (kt_store_load(s->st, s->txn, id, &r, NULL) == 0 &&
	    (v = kt_card_get(&r, "date")) != NULL && v->t == KT_V_STR && v->n == 10) {
		memcpy(date, v->s, 10);
		date[10] = '\0';
		if (kt_date_parse(date, &d) == 0) {
			int32_t age = s->today - d;

			s->count++;
			if (s->count == 1 || d > s->last)
				s->last = d;
			if (age >= 0 && age < 24 * 30)
				s->windows |= 1u << (age / 30);
		}
	}
	kt_rec_release(&r);
	return 0;
}

/* segment_regular_months as the rule reads it: 1 to 24 windows, else the default. */
static int regular_months(const struct kt_settings *s)
{
	const struct kt_setting_def *d = kt_settings_find("segment_regular_months");

	if (s->segment_regular_months >= d->lo && s->segment_regular_months <= d->hi)
		return s->segment_regular_months;
	return atoi(d->def);
}

int kt_salon_segment(struct kt_store *st, MDB_txn *txn, const struct kt_settings *s,
		     int32_t today, const struct kt_id *client, struct kt_salon_segment *out,
		     struct kt_err *err)
{
	struct visit_scan v = { st, txn, today, 0, 0, 0 };
	int rc = kt_store_owned(st, txn, client, KT_T_VISIT, scan_visit, &v, err);
	uint32_t every = (1u << regular_months(s)) - 1;

	out->visits = v.count;
	out->last = v.last;
	if (v.count == 0)
		out->segment = KT_SEGMENT_POTENTIAL;
	else if (v.today - v.last > s->segment_lost_months * 30)
		out->segment = KT_SEGMENT_LOST;
	else if (v.count >= 2 && (v.windows & every) == every)
		out->segment = KT_SEGMENT_REGULAR;
	else if (v.count == 1)
		out->segment = KT_SEGMENT_NEW;
	else
		out->segment = KT_SEGMENT_ACTIVE;
	return rc;
}

static const char *const segment_names[KT_SEGMENT_COUNT] = {
	[KT_SEGMENT_POTENTIAL] = "potential",
	[KT_SEGMENT_LOST] = "lost",
	[KT_SEGMENT_REGULAR] = "regular",
	[KT_SEGMENT_NEW] = "new",
	[KT_SEGMENT_ACTIVE] = "active",
};

const char *kt_salon_segment_name(enum kt_segment seg)
{
	kt_assert(seg < KT_SEGMENT_COUNT);
	return segment_names[seg];
}

int kt_salon_segment_named(const char *name)
{
	for (int i = 0; i < KT_SEGMENT_COUNT; i++)
		if (strcmp(segment_names[i], name) == 0)
			return i;
	return -1;
}

/* ---- birthdays ---- */

struct bday_ctx {
	struct kt_store *st;
	MDB_txn *txn;
	int year;
	char on[11];
	struct kt_salon_birthday *v;
	size_t n, cap;
};

/* Whether the card id was merged into a card that has a birthday of its own. */
static int joined_one_with_birthday(struct bday_ctx *b, const struct kt_id *id)
{
	struct kt_id root;
	struct kt_rec r;
	int has;

	if (kt_store_alias_root(b->st, b->txn, id, &root) <= 0)
		return 0;
	kt_rec_init(&r);
	has = kt_store_load(b->st, b->txn, &root, &r, NULL) == 0 &&
	      kt_rec_get(&r, KT_CLIENT_BIRTHDAY) != NULL;
	kt_rec_release(&r);
	return has;
}

static int bday_gather(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct bday_ctx *b = ctx;
	struct kt_salon_birthday *e;
	struct kt_rec r;

	(void)type;
	if (joined_one_with_birthday(b, id))
		return 0; /* listed as the card it joined */
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->v = kt_realloc(b->v, b->cap * sizeof(*b->v));
	}
	e = &b->v[b->n++];
	memset(e, 0, sizeof(*e));
	e->id = *id;
	memcpy(e->on, b->on, sizeof(e->on));
	kt_rec_init(&r);
	if (kt_store_load(b->st, b->txn, id, &r, NULL) == 0) {
		kt_card_text(&r, "name", e->name, sizeof(e->name));
		kt_card_text(&r, "birthday", e->born, sizeof(e->born));
	}
	kt_rec_release(&r);
	e->turns = b->year - atoi(e->born);
	return 0;
}

static int by_name_id(const void *a, const void *b)
{
	const struct kt_salon_birthday *x = a, *y = b;
	int c = kt_salon_name_cmp(x->name, y->name);

	return c ? c : kt_id_cmp(&x->id, &y->id);
}

size_t kt_salon_birthdays(struct kt_store *st, MDB_txn *txn, int32_t today, long days,
			  struct kt_salon_birthday **out)
{
	struct bday_ctx b = { st, txn, 0, "", NULL, 0, 0 };

	for (long k = 0; k <= days; k++) {
		int32_t day = today + (int32_t)k;
		size_t first = b.n;
		int m, d;

		kt_date_ymd(day, &b.year, &m, &d);
		kt_date_format(day, b.on);
		kt_store_birthdays_on(st, txn, m, d, bday_gather, &b, NULL);
		if (!(m == 2 && d == 29) && kt_dates_birthday_on(2, 29, day))
			kt_store_birthdays_on(st, txn, 2, 29, bday_gather, &b, NULL);
		if (b.n - first > 1)
			qsort(b.v + first, b.n - first, sizeof(*b.v), by_name_id);
	}
	*out = b.v;
	return b.n;
}

int kt_salon_name_cmp(const char *a, const char *b)
{
	char *fa, *fb;
	int c;

	a = a ? a : "";
	b = b ? b : "";
	fa = kt_text_fold(a, strlen(a));
	fb = kt_text_fold(b, strlen(b));
	c = fa && fb ? strcmp(fa, fb) : 0;
	free(fa);
	free(fb);
	return c ? c : strcmp(a, b);
}
