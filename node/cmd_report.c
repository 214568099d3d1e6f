/*
 * cmd_report.c - `kt-node report`: the head-office view, at any node of
 * the chain (every node holds every branch's cards): clients per home
 * branch, visits and revenue per branch per month, segments per branch,
 * birthdays this week (today and the six days after, by the rule of
 * kt_dates_birthday_on(), as `birthdays`: soonest first, namesakes of a day
 * by name, then id), open conflicts and duplicate
 * candidates.  Months are the visits' dates, which are the local dates of
 * the branches that recorded them.
 */
#include "cli.h"
#include "dates.h"

#include <stdlib.h>
#include <string.h>

struct report {
	struct kt_cli *cli;
	MDB_txn *txn;
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

static int one_client(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct report *r = ctx;
	struct kt_rec c;
	struct kt_id to;
	char branch[128], born[16], name[256], idt[KT_ID_TEXT_BYTES];
	int32_t last, d;
	int visits, by = 0, bm = 0, bd = 0;
	const char *seg;

	(void)type;
	if (kt_store_alias_of(&r->cli->st, r->txn, id, &to))
		return 0;
	kt_rec_init(&c);
	if (kt_store_load(&r->cli->st, r->txn, id, &c, NULL) == 0) {
		kt_card_text(&c, "home_branch", branch, sizeof(branch));
		if (!branch[0])
			strcpy(branch, "(none)");
		bump(r->clients, branch, 1);
		seg = kt_cli_segment(r->cli, r->txn, id, &visits, &last);
		bump(child(r->segments, branch), seg, 1);
		kt_card_text(&c, "birthday", born, sizeof(born));
		if (born[0] && kt_date_parse(born, &d) == 0)
			kt_date_ymd(d, &by, &bm, &bd);
		for (int k = 0; born[0] && bm > 0 && k < 7; k++) {
			char day[11];

			kt_date_format(r->today + k, day);
			if (kt_dates_birthday_on(bm, bd, r->today + k)) {
				kt_id_format(id, idt);
				json_array_append_new(r->birthdays, json_pack("{s:s, s:s, s:s, s:s}",
					"id", idt, "name", kt_card_text(&c, "name", name, sizeof(name)),
					"on", day, "branch", branch));
			}
		}
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
	if (kt_store_load(&r->cli->st, r->txn, id, &v, NULL) == 0) {
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

/* Birthdays of the week: soonest first, namesakes of a day by name, then id. */
static int by_day_name_id(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	int c = strcmp(str_of(x, "on"), str_of(y, "on"));

	if (c == 0)
		c = kt_cli_name_cmp(str_of(x, "name"), str_of(y, "name"));
	return c ? c : strcmp(str_of(x, "id"), str_of(y, "id"));
}

/* A month's line: by branch, then month (oldest first), then currency. */
static int by_branch_month(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	int c = strcmp(str_of(x, "branch"), str_of(y, "branch"));

	if (c == 0)
		c = strcmp(str_of(x, "month"), str_of(y, "month"));
	return c ? c : strcmp(str_of(x, "currency"), str_of(y, "currency"));
}

/* A new array of the entries of a (an array or an object's values) sorted by cmp. */
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
	return out;
}

static void print_text(json_t *o)
{
	const char *k;
	json_t *v, *it;
	size_t i;

	printf("Clients per home branch:\n");
	json_object_foreach(json_object_get(o, "clients_per_branch"), k, v) {
		printf("  ");
		kt_cli_pad(k, 20); /* a branch named in Cyrillic or Chinese keeps the column */
		printf("%lld\n", (long long)json_integer_value(v));
	}
	printf("\nSegments per branch:\n");
	json_object_foreach(json_object_get(o, "segments_per_branch"), k, v) {
		const char *s;
		json_t *n;
		int first = 1;

		printf("  ");
		kt_cli_pad(k, 20);
		json_object_foreach(v, s, n) {
			printf("%s%s %lld", first ? "" : " ", s, (long long)json_integer_value(n));
			first = 0;
		}
		printf("\n");
	}
	printf("\nVisits and revenue per branch per month:\n");
	json_array_foreach(json_object_get(o, "visits_per_branch_month"), i, it) {
		json_int_t rev = json_integer_value(json_object_get(it, "revenue_minor"));

		printf("  ");
		kt_cli_pad(json_string_value(json_object_get(it, "branch")), 20);
		printf("%s  %5lld visits  %12lld.%02lld %s\n",
		       json_string_value(json_object_get(it, "month")),
		       (long long)json_integer_value(json_object_get(it, "visits")),
		       (long long)(rev / 100), (long long)llabs(rev % 100),
		       json_string_value(json_object_get(it, "currency")));
	}
	printf("\nBirthdays this week:%s\n",
	       json_array_size(json_object_get(o, "birthdays_this_week")) ? "" : " none");
	json_array_foreach(json_object_get(o, "birthdays_this_week"), i, it) {
		printf("  %s  ", json_string_value(json_object_get(it, "on")));
		kt_cli_text(json_string_value(json_object_get(it, "name")));
		printf(" (");
		kt_cli_text(json_string_value(json_object_get(it, "branch")));
		printf(")\n");
	}
	printf("\nOpen conflicts: %lld\nDuplicate candidates: %lld\n",
	       (long long)json_integer_value(json_object_get(o, "open_conflicts")),
	       (long long)json_integer_value(json_object_get(o, "duplicate_candidates")));
}

int cmd_report(struct kt_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-node -d DIR report [--json]\n"
		"\n"
		"The head-office view of the whole chain, at any node: clients per home\n"
		"branch, segments per branch, visits and revenue per branch per month,\n"
		"birthdays this week, open conflicts and duplicate candidates.\n"
		"example: kt-node -d DIR report --json\n";
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *op = kt_cli_opts(cli, "report", usage, opts, argc, argv);
	int json = 0, c;
	struct report r = { cli, NULL, 0, NULL, NULL, NULL, NULL };
	json_t *o, *months, *birthdays;
	MDB_stat ms;
	int cycles;

	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(op, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_open(cli) || kt_store_rdtxn(&cli->st, &r.txn, &cli->err) != 0)
		return cli->open ? kt_cli_fail(cli) : 1;
	r.today = kt_cli_today(cli);
	r.clients = json_object();
	r.segments = json_object();
	r.months = json_object();
	r.birthdays = json_array();
	kt_store_each(&cli->st, r.txn, KT_T_CLIENT, one_client, &r, NULL);
	kt_store_each(&cli->st, r.txn, KT_T_VISIT, one_visit, &r, NULL);
	months = sorted(r.months, by_branch_month);
	json_decref(r.months);
	birthdays = sorted(r.birthdays, by_day_name_id); /* they came in the order of the ids */
	json_decref(r.birthdays);
	mdb_stat(r.txn, cli->st.conflicts, &ms);
	cycles = kt_store_merge_cycles(&cli->st, r.txn, NULL, NULL, NULL); /* listed by conflicts too */
	o = json_pack("{s:o, s:o, s:o, s:o, s:I, s:I}", "clients_per_branch", r.clients,
		      "segments_per_branch", r.segments, "visits_per_branch_month", months,
		      "birthdays_this_week", birthdays, "open_conflicts",
		      (json_int_t)ms.ms_entries + (cycles > 0 ? cycles : 0), "duplicate_candidates",
		      (json_int_t)kt_cli_duplicate_count(cli, r.txn));
	mdb_txn_abort(r.txn);
	if (json)
		kt_cli_print_json(o);
	else {
		print_text(o);
		json_decref(o);
	}
	return 0;
}
