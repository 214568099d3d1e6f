/*
 * cmd_report.c - `kt-node report`: the head-office view, at any node of
 * the chain (every node holds every branch's cards).  The sums are the
 * salon's (salon_report.c, kt_salon_report); this file prints them.
 */
#include "cli.h"
#include "salon.h"

#include <stdlib.h>

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

/* The report's rows that name a client (her birthday this week) are reads of her card. */
static void audit_named(struct kt_cli *cli, json_t *o)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(o, "birthdays_this_week"), i, it) {
		struct kt_id id;

		if (kt_id_parse(&id, json_string_value(json_object_get(it, "id"))) == 0)
			kt_cli_audit(cli, "report", KT_P_CONTACTS, &id);
	}
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
	struct kt_settings set;
	int json = 0, c;
	MDB_txn *txn;
	json_t *o;

	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(op, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, "report", KT_CAN_REPORT))
		return 1;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_settings_load(&cli->st, txn, &set);
	o = kt_salon_report(&cli->st, txn, &set, kt_cli_today(cli));
	mdb_txn_abort(txn);
	audit_named(cli, o);
	if (json)
		kt_cli_print_json(o);
	else {
		print_text(o);
		json_decref(o);
	}
	return 0;
}
