/*
 * cmd_review.c - kt-hub's lists for review: conflicts (fields two branches
 * wrote concurrently, and cycles of merges) and duplicates (cards that
 * share a blind phone or email token), by branch and time; the values stay
 * sealed.
 */
#include "hub_cli.h"
#include "hlc.h"
#include "when.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One side of a conflict: the branch of the writer (from the members) and the time. */
static json_t *conflict_side(struct kt_hub *h, MDB_txn *txn, const struct kt_version *v)
{
	char branch[80], when[64];

	kt_hub_cli_branch_of(h, txn, v->origin, branch, sizeof(branch));
	kt_when_text((int64_t)(kt_hlc_ms(v->hlc) / 1000), when, sizeof(when));
	return json_pack("{s:s, s:s}", "branch", branch, "time", when);
}

struct conflicts {
	struct kt_hub *h;
	MDB_txn *txn;
	json_t *arr;
};

/* A kt_conflict_fn: appends c to the list, the lower version first (the higher one won). */
static int conflict_add(void *ctx, const struct kt_conflict *c)
{
	struct conflicts *cs = ctx;
	struct kt_rec r;
	char idt[KT_ID_TEXT_BYTES], fname[16];
	const struct kt_field *f;

	kt_rec_init(&r);
	kt_store_load(&cs->h->st, cs->txn, &c->id, &r, NULL);
	f = kt_schema_field(r.type, c->field);
	snprintf(fname, sizeof(fname), "f%u", c->field);
	kt_id_format(&c->id, idt);
	json_array_append_new(cs->arr, json_pack("{s:s, s:s, s:s, s:s, s:[o, o]}", "kind", "field",
		"record", idt, "type", kt_schema_type_name(r.type), "field", f ? f->name : fname,
		"versions", conflict_side(cs->h, cs->txn, &c->lo),
		conflict_side(cs->h, cs->txn, &c->hi)));
	kt_rec_release(&r);
	return 0;
}

static const char *text_at(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* The conflicts list as text: a line for each field, then each cycle of merges. */
static void conflicts_print(json_t *arr)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *c = json_array_get(arr, i), *vs = json_object_get(c, "versions");

		if (json_object_get(c, "stands") != NULL) {
			printf("cards merged into each other at branches at once: %s stands, %zu "
			       "cards in the cycle (review at a branch: kt-node conflicts)\n",
			       text_at(c, "stands"), json_array_size(json_object_get(c, "cards")));
			continue;
		}
		printf("%s %s.%s: %s (%s) won over %s (%s)\n", text_at(c, "record"),
		       text_at(c, "type"), text_at(c, "field"),
		       text_at(json_array_get(vs, 1), "branch"),
		       text_at(json_array_get(vs, 1), "time"),
		       text_at(json_array_get(vs, 0), "branch"),
		       text_at(json_array_get(vs, 0), "time"));
	}
}

int kt_hub_cmd_conflicts(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR conflicts [--json]\n\nFields two branches wrote without "
		"seeing each other, by record and field, with\nboth branches and times (values "
		"stay encrypted: see them with kt-node conflicts).\n"
		"example: kt-hub -d HUB conflicts --json\n";
	struct kt_hub h;
	struct conflicts cs = { &h, NULL, NULL };
	int json = 0, rc;
	const char *dir;

	if ((dir = kt_hub_cli_parse_plain(cli, "conflicts", usage, &json, argc, argv, &rc)) == NULL)
		return rc;
	if (kt_hub_cli_open_reading(dir, &h, &cs.txn, 1) != 0)
		return 1;
	cs.arr = json_array();
	/* A damaged table ends the list where it is, as it always has. */
	kt_store_conflicts(&h.st, cs.txn, conflict_add, &cs, NULL);
	kt_store_merge_cycles(&h.st, cs.txn, kt_cli_cycle_json, cs.arr, NULL);
	kt_hub_cli_close_reading(&h, cs.txn);
	if (json) {
		kt_cli_print_json(cs.arr);
		return 0;
	}
	conflicts_print(cs.arr);
	json_decref(cs.arr);
	return 0;
}

/* One card of a duplicate pair: its id and the branch that last wrote its name. */
static json_t *dup_side(struct kt_hub *h, MDB_txn *txn, const struct kt_id *id)
{
	struct kt_version ver;
	char idt[KT_ID_TEXT_BYTES], branch[80] = "";

	if (kt_store_field_version(&h->st, txn, id, KT_CLIENT_NAME, &ver) == 0)
		kt_hub_cli_branch_of(h, txn, ver.origin, branch, sizeof(branch));
	kt_id_format(id, idt);
	return json_pack("{s:s, s:s}", "id", idt, "branch", branch);
}

int kt_hub_cmd_duplicates(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR duplicates [--json]\n\nPairs of client cards that carry the "
		"same phone or email, matched by blind\ntokens (the hub never sees either): their "
		"ids and the branch that wrote each\ncard's name.  A branch joins them with "
		"kt-node client merge.\n"
		"example: kt-hub -d HUB duplicates --json\n";
	int json = 0, rc;
	struct kt_pair *p;
	struct kt_hub h;
	MDB_txn *txn;
	json_t *arr;
	size_t n;
	const char *dir;

	if ((dir = kt_hub_cli_parse_plain(cli, "duplicates", usage, &json, argc, argv, &rc)) == NULL)
		return rc;
	if (kt_hub_cli_open_reading(dir, &h, &txn, 1) != 0)
		return 1;
	arr = json_array();
	n = kt_store_duplicates(&h.st, txn, &p);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:o, s:o}", "a", dup_side(&h, txn, &p[i].a),
						     "b", dup_side(&h, txn, &p[i].b)));
	free(p);
	kt_hub_cli_close_reading(&h, txn);
	if (json) {
		kt_cli_print_json(arr);
		return 0;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *a = json_object_get(json_array_get(arr, i), "a");
		json_t *b = json_object_get(json_array_get(arr, i), "b");

		printf("%s (%s)  <->  %s (%s)\n", text_at(a, "id"), text_at(a, "branch"),
		       text_at(b, "id"), text_at(b, "branch"));
	}
	json_decref(arr);
	return 0;
}
