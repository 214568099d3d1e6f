/*
 * cmd_conflicts.c - `kt-node conflicts`: concurrent writes of one field,
 * with both values, both branches (by name, as the hub names them, else by
 * node id) and both times.  An ordinary
 * edit of the field (the winner kept, the loser restored, or a new value)
 * resolves one.
 */
#include "cli.h"
#include "store_int.h"
#include "hlc.h"
#include "when.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define CKEY_BYTES (KT_ID_BYTES + 2 + 2 * KT_VER_BYTES)

static json_t *side(struct kt_cli *cli, MDB_txn *txn, const struct kt_field *f,
		    const uint8_t *ver, const uint8_t *val, size_t n)
{
	struct kt_version v;
	struct kt_val x;
	char origin[17], when[32], text[KT_VALUE_BYTES_MAX + 1], branch[KT_BRANCH_NAME_BYTES];
	time_t t;

	kt_version_get(&v, ver);
	snprintf(origin, sizeof(origin), "%016llx", (unsigned long long)v.origin);
	kt_store_branch_of(&cli->st, txn, v.origin, branch, sizeof(branch));
	t = (time_t)(kt_hlc_ms(v.hlc) / 1000);
	kt_when_text((int64_t)t, when, sizeof(when));
	text[0] = '\0';
	if (n > 0 && kt_val_unpack(val, n, &x, NULL) == 0)
		kt_schema_format(f, &x, text, sizeof(text));
	return json_pack("{s:s, s:s, s:s, s:s}", "node", origin, "branch", branch, "time", when,
			 "value", text);
}

static json_t *one(struct kt_cli *cli, MDB_txn *txn, const MDB_val *k, const MDB_val *v)
{
	const uint8_t *key = k->mv_data, *d = v->mv_data;
	struct kt_id id;
	struct kt_rec r;
	const struct kt_field *f;
	char idt[KT_ID_TEXT_BYTES], owner[KT_ID_TEXT_BYTES], name[16];
	uint32_t ll;
	json_t *o;

	if (k->mv_size != CKEY_BYTES || v->mv_size < 4)
		return NULL;
	ll = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	if (ll > v->mv_size - 4)
		return NULL;
	memcpy(id.b, key, KT_ID_BYTES);
	kt_rec_init(&r);
	kt_store_load(&cli->st, txn, &id, &r, NULL);
	f = kt_schema_field(r.type, kt_be16_get(key + KT_ID_BYTES));
	snprintf(name, sizeof(name), "f%u", kt_be16_get(key + KT_ID_BYTES));
	kt_id_format(&id, idt);
	kt_id_format(&r.owner, owner);
	o = json_pack("{s:s, s:s, s:s, s:s}", "record", idt, "type",
		      kt_schema_type_name(r.type), "client", owner, "field", f ? f->name : name);
	json_object_set_new(o, "versions", json_pack("[o, o]",
		side(cli, txn, f, key + KT_ID_BYTES + 2, d + 4, ll),
		side(cli, txn, f, key + KT_ID_BYTES + 2 + KT_VER_BYTES, d + 4 + ll,
		     v->mv_size - 4 - ll)));
	json_object_set_new(o, "winner", json_integer(1)); /* the higher version wins */
	json_object_set_new(o, "kind", json_string("field"));
	kt_rec_release(&r);
	return o;
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
	int json = 0, c;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	json_t *arr;
	int rc;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_open(cli) || kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return cli->open ? kt_cli_fail(cli) : 1;
	arr = json_array();
	mdb_cursor_open(txn, cli->st.conflicts, &cur);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		json_t *o = one(cli, txn, &k, &v), *a, *b;

		if (o == NULL)
			continue;
		a = json_array_get(json_object_get(o, "versions"), 0);
		b = json_array_get(json_object_get(o, "versions"), 1);
		if (!json) {
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
		json_array_append_new(arr, o);
	}
	mdb_cursor_close(cur);
	kt_cli_merge_cycles(cli, txn, arr, !json);
	mdb_txn_abort(txn);
	if (json)
		kt_cli_print_json(arr);
	else
		json_decref(arr);
	return 0;
}
