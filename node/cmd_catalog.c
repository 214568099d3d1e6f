/*
 * cmd_catalog.c - `catalog`: the chain's catalogue of services and
 * products, which the safety check at the chair reads (node/safety.h).
 *
 * An entry is a replicated record like a card (type catalogue, owning
 * itself), so every branch has the chain's rules from its first sync.  Its
 * fields are in proto/schema.c: name, kind (service or product),
 * substances, contraindications and medications that rule it out,
 * patch_test (yes: a valid patch test is needed), follow_up_days,
 * skin_types, problem_zones, price, aliases (other names staff type for
 * it), retired (kept and still checked, hidden from `catalog list`).
 * An entry is named by its id or by its name (case and accents ignored).
 */
#include "cli.h"
#include "hlc.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static const char catalog_usage[] =
	"usage: kt-node -d DIR catalog add (--service NAME | --product NAME) [--set F=V]... [--add F=V]...\n"
	"       kt-node -d DIR catalog edit ID|NAME [--set F=V]... [--add F=V]... [--remove F=V]...\n"
	"       kt-node -d DIR catalog show ID|NAME [--json]\n"
	"       kt-node -d DIR catalog list [--all] [--json]\n"
	"       kt-node -d DIR catalog import FILE.csv [--skip-bad]\n"
	"\n"
	"The chain's services and products, checked at the chair: a visit naming an\n"
	"entry (its name or an alias) is refused when one of its substances is one of\n"
	"the client's allergies, one of its contraindications or medications is hers,\n"
	"or it needs a patch test (patch_test=yes) and hers is missing, not passed or\n"
	"expired.  Entries replicate to every branch.  Fields:\n"
	"  name kind(service|product) price follow_up_days patch_test(yes|no)\n"
	"  retired(yes|no); lists: substances contraindications medications aliases\n"
	"  skin_types problem_zones (a list value may hold several entries: 'a, b')\n"
	"`catalog list` hides retired entries unless --all.  `catalog import` reads a\n"
	"CSV whose header row names these fields (one entry a row).\n"
	"example: kt-node -d DIR catalog add --service 'Пилинг' --add "
	"contraindications='беременность' --add medications='изотретиноин'\n";

/* The words key of s[0..n) (kt_text_words_key), or NULL. */
static char *key_of(const char *s, size_t n)
{
	char *t = kt_strndup(s, n), *k = kt_text_words_key(t);

	free(t);
	return k;
}

struct by_name {
	struct kt_cli *cli;
	MDB_txn *txn;
	char *want;        /* folded */
	struct kt_id hit;
	int found;
	struct kt_err *err;
};

static int name_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct by_name *b = ctx;
	const struct kt_val *v;
	struct kt_rec r;
	char *f = NULL;
	int rc;

	(void)type;
	kt_rec_init(&r);
	if ((rc = kt_store_load(&b->cli->st, b->txn, id, &r, b->err)) == 0 &&
	    (v = kt_card_get(&r, "name")) != NULL && v->t == KT_V_STR &&
	    (f = key_of(v->s, v->n)) != NULL && strcmp(f, b->want) == 0) {
		b->hit = *id;
		b->found++;
	}
	free(f);
	kt_rec_release(&r);
	return rc;
}

/*
 * The catalogue entry named by arg: an id, or a name compared folded.
 * Returns 0 with *id set (found = 1), 0 with found = 0, or an error.
 */
static int entry_named(struct kt_cli *cli, MDB_txn *txn, const char *arg, struct kt_id *id,
		       int *found)
{
	struct by_name b = { cli, txn, NULL, { { 0 } }, 0, &cli->err };
	int rc;

	*found = 0;
	if (kt_id_parse(id, arg) == 0) {
		struct kt_rec r;

		kt_rec_init(&r);
		*found = kt_store_load(&cli->st, txn, id, &r, NULL) == 0 &&
			 r.type == KT_T_CATALOGUE;
		kt_rec_release(&r);
		if (*found)
			return 0;
	}
	if ((b.want = kt_text_words_key(arg)) == NULL)
		return kt_err_set(&cli->err, KT_EINVAL, "'%s' is no name (it needs a letter or "
				  "digit, in UTF-8)", arg);
	rc = kt_store_catalogue(&cli->st, txn, name_one, &b, &cli->err);
	free(b.want);
	if (rc == 0 && b.found > 1)
		return kt_err_set(&cli->err, KT_EEXIST, "%d catalogue entries are named '%s': "
				  "use the id (catalog list)", b.found, arg);
	*found = b.found;
	*id = b.hit;
	return rc;
}

/* entry_named in a read transaction of its own; prints the error (returns 1). */
static int lookup(struct kt_cli *cli, const char *arg, struct kt_id *id, int *found)
{
	MDB_txn *txn;
	int rc;

	if (kt_cli_act(cli, "catalog", 0))
		return 1;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	rc = entry_named(cli, txn, arg, id, found);
	mdb_txn_abort(txn);
	return rc != 0 ? kt_cli_fail(cli) : 0;
}

static int catalog_add(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "service", KT_OPT_VALUE, 's', 0 },
		{ "product", KT_OPT_VALUE, 'p', 0 },
		KT_CLI_SET_OPT,
		KT_CLI_ADD_OPT,
		{ NULL, 0, 0, 0 },
	};
	static struct kt_draft d;
	struct kt_opts *o = kt_cli_opts(cli, "catalog add", catalog_usage, opts, argc, argv);
	const char *name = NULL, *kind = NULL;
	char idt[KT_ID_TEXT_BYTES];
	struct kt_id id, other;
	int c, found;

	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, KT_T_CATALOGUE, &id, 1, NULL);
	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_SET: case KT_CLI_ADD:
			if (kt_cli_field_value(cli, &d, c, o->arg))
				return 1;
			break;
		case 's': case 'p':
			if (name != NULL)
				return kt_cli_failf("catalog add: one --service or --product an entry");
			kind = c == 's' ? "service" : "product";
			name = o->arg;
			break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (name == NULL)
		return kt_cli_failf("catalog add: --service NAME or --product NAME is required");
	if (kt_draft_has(&d, "name") || kt_draft_has(&d, "kind"))
		return kt_cli_failf("catalog add: the name and kind come from --service/--product");
	if (kt_draft_field(&d, "name", name, KT_OP_SET, &cli->err) ||
	    kt_draft_field(&d, "kind", kind, KT_OP_SET, &cli->err))
		return kt_cli_fail(cli);
	if (lookup(cli, name, &other, &found) != 0)
		return 1;
	if (found) {
		kt_id_format(&other, idt);
		return kt_cli_failf("catalog add: '%s' is in the catalogue already: %s (use "
				    "catalog edit)", name, idt);
	}
	if (kt_cli_act(cli, "catalog", KT_CAN_CATALOGUE) || kt_cli_write(cli, &d, 1, "catalog"))
		return 1;
	kt_id_format(&id, idt);
	printf("%s\n", idt);
	return 0;
}

static int catalog_edit(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		KT_CLI_SET_OPT,
		KT_CLI_ADD_OPT,
		KT_CLI_REMOVE_OPT,
		{ NULL, 0, 0, 0 },
	};
	static struct kt_draft d;
	static struct kt_cli_fields fields;
	struct kt_opts *o = kt_cli_opts(cli, "catalog edit", catalog_usage, opts, argc, argv);
	struct kt_id id;
	int c, found;

	fields.n = 0;
	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_SET: case KT_CLI_ADD: case KT_CLI_REMOVE:
			if (kt_cli_fields_keep(&fields, c, o->arg))
				return 1;
			break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 1, NULL))
		return kt_opts_exit(c);
	if (o->nargs < 1)
		return kt_cli_failf("catalog edit: which entry? (catalog edit ID|NAME --set F=V)");
	argv = o->args - 1; /* argv[1] is the ID or NAME, as below */
	if (lookup(cli, argv[1], &id, &found) != 0)
		return 1;
	if (!found)
		return kt_cli_failf("catalog edit: no catalogue entry '%s' (catalog list)", argv[1]);
	kt_draft_start(&d, KT_T_CATALOGUE, &id, 0, NULL);
	if (kt_cli_fields_apply(cli, &fields, &d))
		return 1;
	if (d.nops == 0)
		return kt_cli_failf("catalog edit: nothing to change (use --set, --add or --remove)");
	for (uint32_t i = 0; i < fields.n; i++) { /* a new name must not be another entry's */
		const char *v = fields.v[i];
		struct kt_id other;
		char idt[KT_ID_TEXT_BYTES];

		if (fields.key[i] == KT_CLI_SET && strcmp(v, "kind=") == 0)
			return kt_cli_failf("catalog edit: an entry's kind is service or product");
		if (fields.key[i] != KT_CLI_SET || strncmp(v, "name=", 5) != 0)
			continue;
		if (lookup(cli, v + 5, &other, &found) != 0)
			return 1;
		if (found && kt_id_cmp(&other, &id) != 0) {
			kt_id_format(&other, idt);
			return kt_cli_failf("catalog edit: '%s' is another entry's name: %s",
					    v + 5, idt);
		}
	}
	if (kt_cli_act(cli, "catalog", KT_CAN_CATALOGUE) || kt_cli_write(cli, &d, 1, "catalog"))
		return 1;
	return 0;
}

struct listing {
	struct kt_cli *cli;
	MDB_txn *txn;
	int all;
	json_t *out; /* array of entries, as kt_card_json */
};

static int list_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct listing *l = ctx;
	const struct kt_val *ret;
	struct kt_rec r;
	int rc;

	(void)type;
	kt_rec_init(&r);
	if ((rc = kt_store_load(&l->cli->st, l->txn, id, &r, &l->cli->err)) == 0) {
		ret = kt_card_get(&r, "retired");
		if (l->all || ret == NULL || ret->t != KT_V_BOOL || !ret->i)
			json_array_append_new(l->out, kt_card_json(&r));
	}
	kt_rec_release(&r);
	return rc;
}

static void print_entry_line(json_t *e)
{
	static const char *lists[] = { "substances", "contraindications", "medications" };
	json_t *f = json_object_get(e, "fields"), *v, *pt = json_object_get(f, "patch_test");
	const char *kind = json_string_value(json_object_get(f, "kind"));
	const char *name = json_string_value(json_object_get(f, "name"));
	size_t i;

	printf("%s  ", json_string_value(json_object_get(e, "id")));
	kt_cli_pad(kind ? kind : "-", 7);
	kt_cli_text(name ? name : "(no name)");
	if (json_is_true(pt))
		printf("  [patch test]");
	if (json_is_true(json_object_get(f, "retired")))
		printf("  [retired]");
	for (size_t k = 0; k < 3; k++) {
		json_t *a = json_object_get(f, lists[k]);

		if (json_array_size(a) == 0)
			continue;
		printf("  %s:", lists[k]);
		json_array_foreach(a, i, v) {
			printf("%s ", i ? "," : "");
			kt_cli_text(json_string_value(v));
		}
	}
	printf("\n");
}

static int catalog_list(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ "all", KT_OPT_FLAG, 'a', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "catalog list", catalog_usage, opts, argc, argv);
	struct listing l = { cli, NULL, 0, NULL };
	int json = 0, rc, c;
	size_t i;
	json_t *e;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		case 'a': l.all = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, "catalog list", 0))
		return 1;
	if (kt_store_rdtxn(&cli->st, &l.txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	l.out = json_array();
	rc = kt_store_catalogue(&cli->st, l.txn, list_one, &l, &cli->err);
	mdb_txn_abort(l.txn);
	if (rc != 0) {
		json_decref(l.out);
		return kt_cli_fail(cli);
	}
	if (json) {
		kt_cli_print_json(l.out);
		return 0;
	}
	if (json_array_size(l.out) == 0)
		printf("the catalogue is empty (catalog add --service NAME)\n");
	json_array_foreach(l.out, i, e)
		print_entry_line(e);
	json_decref(l.out);
	return 0;
}

static int catalog_show(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *op = kt_cli_opts(cli, "catalog show", catalog_usage, opts, argc, argv);
	int json = 0, found, c;
	struct kt_rec r;
	struct kt_id id;
	MDB_txn *txn;
	json_t *o;

	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END)
		return kt_opts_exit(c);
	if (op->nargs != 1)
		return kt_cli_failf("catalog show: usage: catalog show ID|NAME [--json]");
	argv = op->args - 1; /* argv[1] is the ID or NAME, as below */
	if (lookup(cli, argv[1], &id, &found) != 0)
		return 1;
	if (!found)
		return kt_cli_failf("catalog show: no catalogue entry '%s' (catalog list)", argv[1]);
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_rec_init(&r);
	if (kt_store_load(&cli->st, txn, &id, &r, &cli->err) != 0) {
		mdb_txn_abort(txn);
		return kt_cli_fail(cli);
	}
	o = kt_card_json(&r);
	kt_rec_release(&r);
	mdb_txn_abort(txn);
	if (json)
		kt_cli_print_json(o);
	else {
		print_entry_line(o);
		json_decref(o);
	}
	return 0;
}

int cmd_catalog(struct kt_cli *cli, int argc, char **argv)
{
	/* Each subcommand reads its own options, -d and --help among them. */
	int rc = kt_cli_group(argc, argv, catalog_usage);

	if (rc >= 0)
		return rc;
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return catalog_add(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "edit") == 0)
		return catalog_edit(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return catalog_list(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return catalog_show(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return kt_cli_import_as(cli, argc - 1, argv + 1, KT_T_CATALOGUE);
	return kt_cli_failf("catalog: expected add, edit, show, list or import (see catalog --help)");
}
