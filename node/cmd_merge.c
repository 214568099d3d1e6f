/*
 * cmd_merge.c - duplicate clients and merging cards.
 *
 * Duplicates are found from the blind tokens every card change carries
 * (a keyed hash of the normalised phone or email, proto/PROTOCOL.md): two
 * cards that carried one token are candidates.  The tokens replicate with
 * the changes, so every node that holds the same changes lists the same
 * candidates, and so can the hub, which never sees a phone.
 *
 * `client merge KEEP OTHER` writes an alias change on OTHER: every node
 * then shows OTHER's visits and records under KEEP, and finds KEEP where it
 * found OTHER.  Nothing is moved or lost: `client unmerge OTHER` writes the
 * alias back to nothing and each card has its own values and visits again.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int write_alias(struct kt_cli *cli, const struct kt_id *other, const struct kt_id *to)
{
	static struct kt_draft d;
	static struct kt_id target;

	target = *to;
	kt_draft_alias(&d, other, &target);
	if (kt_cli_write(cli, &d, 1, "client merge"))
		return 1;
	return 0;
}

static const char merge_usage[] =
	"usage: kt-node -d DIR client merge KEEP_ID OTHER_ID\n"
	"       kt-node -d DIR client unmerge OTHER_ID\n"
	"\n"
	"merge shows OTHER's visits and records under KEEP at every node, and finds KEEP\n"
	"where OTHER was found; nothing is moved.  unmerge gives each card back its own.\n"
	"example: kt-node -d DIR client merge 01JD3Q5ZK8W6T9V2M4N7P0R1S4 01JD3Q5ZK8W6T9V2M4N7P0R1S5\n";

/*
 * The positional words of `client merge` or `unmerge` (no options of its
 * own): *argc and *argv as they were, argv[1..] the ids.  Returns -1 to go
 * on, else the exit code.
 */
static int ids_only(struct kt_cli *cli, const char *cmd, int *argc, char ***argv)
{
	struct kt_opts *o = kt_cli_opts(cli, cmd, merge_usage, NULL, *argc, *argv);
	int c;

	while ((c = kt_opts_next(o)) >= 0)
		;
	if (c != KT_OPTS_END)
		return kt_opts_exit(c);
	*argc = o->nargs + 1;
	*argv = o->args - 1;
	return -1;
}

int kt_cli_merge(struct kt_cli *cli, int argc, char **argv)
{
	struct kt_id keep, other, to;
	MDB_txn *txn;
	const char *why = NULL;
	int rc;

	if ((rc = ids_only(cli, "client merge", &argc, &argv)) >= 0)
		return rc;
	if (argc != 3)
		return kt_cli_failf("client merge: usage: client merge KEEP_ID OTHER_ID");
	if (kt_cli_id(argv[1], &keep) != 0 || kt_cli_id(argv[2], &other) != 0 ||
	    kt_cli_act(cli, "client merge", KT_CAN_REVIEW))
		return 1;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	if (kt_id_cmp(&keep, &other) == 0)
		why = "a card cannot be merged into itself";
	else if (!kt_store_is_client(&cli->st, txn, &keep) ||
		 !kt_store_is_client(&cli->st, txn, &other))
		why = "both ids must be client cards on this node";
	else if (kt_store_alias_of(&cli->st, txn, &keep, &to))
		why = "KEEP is itself merged into another card: merge into that one";
	else if (kt_store_alias_of(&cli->st, txn, &other, &to))
		why = "OTHER is already merged: unmerge it first";
	mdb_txn_abort(txn);
	if (why != NULL)
		return kt_cli_failf("client merge: %s", why);
	return write_alias(cli, &other, &keep);
}

int kt_cli_unmerge(struct kt_cli *cli, int argc, char **argv)
{
	struct kt_id other, to, none;
	struct kt_version ver;
	MDB_txn *txn;
	int merged, rc;

	if ((rc = ids_only(cli, "client unmerge", &argc, &argv)) >= 0)
		return rc;
	if (argc != 2)
		return kt_cli_failf("client unmerge: usage: client unmerge OTHER_ID");
	if (kt_cli_id(argv[1], &other) != 0 || kt_cli_act(cli, "client unmerge", KT_CAN_REVIEW))
		return 1;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	/* Its own merge, also one a cycle of merges overrode (kt_store_alias_of). */
	merged = kt_store_alias_reg(&cli->st, txn, &other, &to, &ver);
	mdb_txn_abort(txn);
	if (!merged)
		return kt_cli_failf("client unmerge: '%s' is not merged into another card", argv[1]);
	memset(&none, 0, sizeof(none));
	return write_alias(cli, &other, &none);
}

/* ---- duplicates ---- */

static json_t *brief(struct kt_cli *cli, MDB_txn *txn, const struct kt_id *id)
{
	struct kt_rec r;
	char idt[KT_ID_TEXT_BYTES], name[512], phone[128], email[256], br[128];
	json_t *o;

	kt_rec_init(&r);
	kt_store_load(&cli->st, txn, id, &r, NULL);
	kt_id_format(id, idt);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", idt,
		      "name", kt_card_text(&r, "name", name, sizeof(name)),
		      "phone", kt_card_text(&r, "phone", phone, sizeof(phone)),
		      "email", kt_card_text(&r, "email", email, sizeof(email)),
		      "home_branch", kt_card_text(&r, "home_branch", br, sizeof(br)));
	kt_rec_release(&r);
	return o;
}

int cmd_duplicates(struct kt_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-node -d DIR duplicates [--json]\n"
		"\n"
		"Lists pairs of cards that carry the same phone or email (compared by blind\n"
		"tokens, so the hub can list them too without seeing either).  Join a pair with\n"
		"`client merge KEEP OTHER`; undo a wrong merge with `client unmerge OTHER`.\n"
		"example: kt-node -d DIR duplicates --json\n";
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "duplicates", usage, opts, argc, argv);
	int json = 0, c;
	struct kt_pair *p;
	MDB_txn *txn;
	json_t *arr;
	size_t n;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, "duplicates", KT_CAN_REVIEW))
		return 1;
	arr = json_array();
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return json_decref(arr), kt_cli_fail(cli);
	n = kt_store_duplicates(&cli->st, txn, &p);
	for (size_t i = 0; i < n; i++) {
		json_t *a, *b;

		a = brief(cli, txn, &p[i].a);
		b = brief(cli, txn, &p[i].b);
		if (!json) { /* cells by display columns (kt_cli_pad) */
			printf("%s  ", json_string_value(json_object_get(a, "id")));
			kt_cli_pad(json_string_value(json_object_get(a, "name")), 28);
			kt_cli_pad(json_string_value(json_object_get(a, "phone")), 18);
			printf(" <->  %s  ", json_string_value(json_object_get(b, "id")));
			kt_cli_pad(json_string_value(json_object_get(b, "name")), 28);
			kt_cli_text(json_string_value(json_object_get(b, "phone")));
			printf("\n");
		}
		json_array_append_new(arr, json_pack("{s:o, s:o}", "a", a, "b", b));
	}
	free(p);
	mdb_txn_abort(txn);
	if (json)
		kt_cli_print_json(arr);
	else
		json_decref(arr);
	return 0;
}
