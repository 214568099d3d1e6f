/*
 * salon_report.c - the head office's sums (salon.h: kt_salon_report):
 * clients per home branch, segments per branch, visits and revenue per
 * branch per month, birthdays this week (today and the six days after, by
 * the rule of kt_dates_birthday_on(), soonest first, namesakes of a day by
 * name, then id), open conflicts and duplicate candidates, as JSON.
 */
#include "salon.h"
#include "card.h"
#include "dates.h"

#include <stdlib.h>
#include <string.h>

#define REPORT_BIRTHDAY_DAYS 7 /* "this week": today and the six days after */

struct report {
	struct kt_store *st;
	MDB_txn *txn;
	const struct kt_settings *set;
	int32_t today;
	json_t *clients, *segments, *months, *birthdays;
};

/* Adds n to o[key] (an integer, created at 0). */
static void bump(json_t *o, const char *key, json_int_t n)
{
	json_t *v = json_object_get(o, key);

	json_object_set_new(o, key, json_integer((v ? json_integer_value(v) : 0) + n));
}

static json_t *child(json_t *o, const char *key)
{
	json_t *c = json_object_get(o, key);

	if (c == NULL) {
		c = json_object();
		json_object_set_new(o, key, c);
	}
	return c;
}

/* The birthdays of client c (id, of home branch) in the report's week. */
static void week_birthdays(struct report *r, const struct kt_id *id, const struct kt_rec *c,
			   const char *branch)
{
	char born[16], name[256], idt[KT_ID_TEXT_BYTES];
	int by = 0, bm = 0, bd = 0;
	int32_t d;

	kt_card_text(c, "birthday", born, sizeof(born));
	if (born[0] && kt_date_parse(born, &d) == 0)
		kt_date_ymd(d, &by, &bm, &bd);
	for (int k = 0; born[0] && bm > 0 && k < REPORT_BIRTHDAY_DAYS; k++) {
		char day[11];

		kt_date_format(r->today + k, day);
		if (kt_dates_birthday_on(bm, bd, r->today + k)) {
			kt_id_format(id, idt);
			json_array_append_new(r->birthdays, json_pack("{s:s, s:s, s:s, s:s}",
				"id", idt, "name", kt_card_text(c, "name", name, sizeof(name)),
				"on", day, "branch", branch));
		}
	}
}

static int one_client(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct report *r = ctx;
	struct kt_salon_segment seg;
	struct kt_rec c;
	struct kt_id to;
	char branch[128];

	(void)type;
	if (kt_store_alias_of(r->st, r->txn, id, &to))
		return 0;
	kt_rec_init(&c);
	if (kt_store_load(r->st, r->txn, id, &c, NULL) == 0) {
		kt_card_text(&c, "home_branch", branch, sizeof(branch));
		if (!branch[0])
			strcpy(branch, "(none)");
		bump(r->clients, branch, 1);
		kt_salon_segment(r->st, r->txn, r->set, r->today, id, &seg, NULL);
		bump(child(r->segments, branch), kt_salon_segment_name(seg.segment), 1);
		week_birthdays(r, id, &c, branch);
	}
	kt_rec_release(&c);
	return 0;
}

static int one_visit(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct report *r = ctx;
	struct kt_rec v;
	const struct kt_val *amount;
	char branch[128], date[16], cur[16], key[200];
	json_t *m;

	(void)type;
	kt_rec_init(&v);
	if (kt_store_load(r->st, r->txn, id, &v, NULL) == 0) {
		kt_card_text(&v, "branch", branch, sizeof(branch));
		kt_card_text(&v, "date", date, sizeof(date));
		kt_card_text(&v, "currency", cur, sizeof(cur));
		snprintf(key, sizeof(key), "%s|%.7s|%s", branch, date, cur);
		m = json_object_get(r->months, key);
		if (m == NULL) {
			m = json_pack("{s:s, s:s%, s:s, s:i, s:I}", "branch", branch, "month", date, 7,
				      "currency", cur, "visits", 0, "revenue_minor", (json_int_t)0);
			json_object_set_new(r->months, key, m);
		}
		bump(m, "visits", 1);
		amount = kt_card_get(&v, "amount");
		if (amount != NULL && amount->t == KT_V_INT)
			bump(m, "revenue_minor", amount->i);
	}
	kt_rec_release(&v);
	return 0;
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* x against y by their text members keys[0], keys[1], ...; a name as kt_salon_name_cmp(). */
static int by_keys(const void *a, const void *b, const char *const *keys)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	int c = 0;

	for (; c == 0 && *keys != NULL; keys++)
		c = strcmp(*keys, "name") == 0 ? kt_salon_name_cmp(str_of(x, *keys), str_of(y, *keys))
					       : strcmp(str_of(x, *keys), str_of(y, *keys));
	return c;
}

/* Birthdays of the week: soonest first, namesakes of a day by name, then id. */
static int by_day_name_id(const void *a, const void *b)
{
	static const char *const keys[] = { "on", "name", "id", NULL };

	return by_keys(a, b, keys);
}

/* A month's line: by branch, then month (oldest first), then currency. */
static int by_branch_month(const void *a, const void *b)
{
	static const char *const keys[] = { "branch", "month", "currency", NULL };

	return by_keys(a, b, keys);
}

/* A new array of the entries of a (an array or an object's values) sorted by cmp; frees a. */
static json_t *sorted(json_t *a, int (*cmp)(const void *, const void *))
{
	size_t n = json_is_array(a) ? json_array_size(a) : json_object_size(a), i = 0;
	json_t **v = kt_malloc(sizeof(*v) * (n + 1)), *out = json_array(), *it;
	const char *k;

	if (json_is_array(a))
		json_array_foreach(a, i, it)
			v[i] = it;
	else
		json_object_foreach(a, k, it)
			v[i++] = it;
	qsort(v, n, sizeof(*v), cmp);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(a);
	return out;
}

/* Open conflicts, and cycles of merges (listed by `conflicts` too). */
static json_int_t open_conflicts(struct kt_store *st, MDB_txn *txn)
{
	int cycles = kt_store_merge_cycles(st, txn, NULL, NULL, NULL);

	return (json_int_t)kt_store_conflict_count(st, txn) + (cycles > 0 ? cycles : 0);
}

static json_int_t duplicate_candidates(struct kt_store *st, MDB_txn *txn)
{
	struct kt_pair *p;
	size_t n = kt_store_duplicates(st, txn, &p);

	free(p);
	return (json_int_t)n;
}

json_t *kt_salon_report(struct kt_store *st, MDB_txn *txn, const struct kt_settings *s,
			int32_t today)
{
	struct report r = { st, txn, s, today, json_object(), json_object(), json_object(),
			    json_array() };
	json_t *months, *birthdays;

	kt_store_each(st, txn, KT_T_CLIENT, one_client, &r, NULL);
	kt_store_each(st, txn, KT_T_VISIT, one_visit, &r, NULL);
	months = sorted(r.months, by_branch_month);
	birthdays = sorted(r.birthdays, by_day_name_id); /* they came in the order of the ids */
	return json_pack("{s:o, s:o, s:o, s:o, s:I, s:I}", "clients_per_branch", r.clients,
			 "segments_per_branch", r.segments, "visits_per_branch_month", months,
			 "birthdays_this_week", birthdays, "open_conflicts",
			 open_conflicts(st, txn), "duplicate_candidates",
			 duplicate_candidates(st, txn));
}
