/*
 * cmd_conflicts.c - `kt-node conflicts`: concurrent writes of one field,
 * with both values, both branches (by name, as the hub names them, else by
 * node id) and both times.  An ordinary
 * edit of the field (the winner kept, the loser restored, or a new value)
 * resolves one.
 */
#include "cli.h"
#include "hlc.h"
#include "when.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static json_t *side(const struct kt_field *f, const struct kt_version *v,
		    const struct kt_val *x, const char *branch)
{
	char origin[17], when[32], text[KT_VALUE_BYTES_MAX + 1];
	time_t t;

	snprintf(origin, sizeof(origin), "%016llx", (unsigned long long)v->origin);
	t = (time_t)(kt_hlc_ms(v->hlc) / 1000);
	kt_when_text((int64_t)t, when, sizeof(when));
	kt_schema_format(f, x, text, sizeof(text)); /* "" for a value it cannot read */
	return json_pack("{s:s, s:s, s:s, s:s}", "node", origin, "branch", branch, "time", when,
			 "value", text);
}

static json_t *one(struct kt_cli *cli, MDB_txn *txn, const struct kt_conflict *c)
{
	struct kt_rec r;
	const struct kt_field *f;
	char idt[KT_ID_TEXT_BYTES], owner[KT_ID_TEXT_BYTES], name[16];
	json_t *o;

	kt_rec_init(&r);
	kt_store_load(&cli->st, txn, &c->id, &r, NULL);
	f = kt_schema_field(r.type, c->field);
	snprintf(name, sizeof(name), "f%u", c->field);
	kt_id_format(&c->id, idt);
	kt_id_format(&r.owner, owner);
	o = json_pack("{s:s, s:s, s:s, s:s}", "record", idt, "type",
		      kt_schema_type_name(r.type), "client", owner, "field", f ? f->name : name);
	json_object_set_new(o, "versions", json_pack("[o, o]",
		side(f, &c->lo, &c->lo_val, c->lo_branch),
		side(f, &c->hi, &c->hi_val, c->hi_branch)));
	json_object_set_new(o, "winner", json_integer(1)); /* the higher version wins */
	json_object_set_new(o, "kind", json_string("field"));
	kt_rec_release(&r);
	return o;
}

struct listing {
	struct kt_cli *cli;
	MDB_txn *txn;
	json_t *arr;
	int json;
};

/* One open conflict: printed (unless --json) and kept in l->arr. */
static int list_one(void *ctx, const struct kt_conflict *c)
{
	struct listing *l = ctx;
	json_t *o = one(l->cli, l->txn, c), *a, *b;

	a = json_array_get(json_object_get(o, "versions"), 0);
	b = json_array_get(json_object_get(o, "versions"), 1);
	if (!l->json) {
		printf("%s %s.%s: '", json_string_value(json_object_get(o, "record")),
		       json_string_value(json_object_get(o, "type")),
		       json_string_value(json_object_get(o, "field")));
		kt_cli_text(json_string_value(json_object_get(b, "value")));
		printf("' (branch ");
		kt_cli_text(json_string_value(json_object_get(b, "branch")));
		printf(", %s) won over '", json_string_value(json_object_get(b, "time")));
		kt_cli_text(json_string_value(json_object_get(a, "value")));
		printf("' (branch ");
		kt_cli_text(json_string_value(json_object_get(a, "branch")));
		printf(", %s)\n", json_string_value(json_object_get(a, "time")));
	}
	json_array_append_new(l->arr, o);
	return 0;
}

/* Each cycle of merges, for review (cli.h). */
int kt_cli_merge_cycles(struct kt_cli *cli, MDB_txn *txn, json_t *arr, int print)
{
	size_t from = json_array_size(arr);
	int n = kt_store_merge_cycles(&cli->st, txn, kt_cli_cycle_json, arr, &cli->err);

	for (size_t i = from; print && i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i), *ids = json_object_get(o, "cards");
		const char *keep = json_string_value(json_object_get(o, "stands"));

		printf("cards %s", keep);
		for (size_t k = 1; k < json_array_size(ids); k++)
			printf("%s%s", k + 1 == json_array_size(ids) ? " and " : ", ",
			       json_string_value(json_array_get(ids, k)));
		printf(" were merged into each other at branches at once: %s stands, the others "
		       "show merged into it; to keep that, run client unmerge %s; to keep them "
		       "apart, unmerge each of them\n", keep, keep);
	}
	return n;
}

int cmd_conflicts(struct kt_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-node -d DIR conflicts [--json]\n"
		"\n"
		"Lists fields two branches wrote without seeing each other's write: the\n"
		"record, the field, both values with their branch and time (the later one\n"
		"won).  An ordinary edit of the field resolves it (keep the winner, restore\n"
		"the other value, or type a new one).  Cards merged into each other at\n"
		"branches at once are listed too, with the one that stands.\n"
		"example: kt-node -d DIR client edit ID --set notes='agreed text'\n";
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "conflicts", usage, opts, argc, argv);
	struct listing l = { cli, NULL, NULL, 0 };
	int c;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON: l.json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, "conflicts", KT_CAN_REVIEW))
		return 1;
	if (kt_store_rdtxn(&cli->st, &l.txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	l.arr = json_array();
	/* A table that cannot be read lists what it could, as before: nothing. */
	kt_store_conflicts(&cli->st, l.txn, list_one, &l, &cli->err);
	kt_cli_merge_cycles(cli, l.txn, l.arr, !l.json);
	mdb_txn_abort(l.txn);
	if (l.json)
		kt_cli_print_json(l.arr);
	else
		json_decref(l.arr);
	return 0;
}
