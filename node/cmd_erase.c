/*
 * cmd_erase.c - `client erase ID --reason TEXT`: the erasure of a client
 * across the chain (docs/PRIVACY.md, "Erasure").  One SHRED change per
 * card of her merge group (her card, every card merged into it, the card
 * it is merged into, and so on) in one transaction; every replica that
 * applies them purges her records, index entries, tokens and data key,
 * and makes her changes in its log stubs (store/erase.c), and her later
 * changes from an offline branch are dropped and counted.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The most cards one erasure takes: a merge group is a few cards. */
#define ERASE_GROUP_MAX 256
/* The longest reason kept (it goes into the audit record). */
#define ERASE_REASON_MAX 1024

static const char erase_usage[] =
	"usage: kt-node -d DIR client erase ID --reason TEXT [--json]\n"
	"\n"
	"Erases a client at every branch and at the hub: her card, visits, patch tests,\n"
	"assessments, plans, feedback and points, her data key, index entries and\n"
	"duplicate tokens, and every card merged with hers.  Her changes in every log\n"
	"become stubs that keep only ids, times and hashes; a change to her made later at\n"
	"a branch that had not heard of the erasure is dropped and counted.  What stays\n"
	"is the marker (her ids in the shred table) and the audit record of who erased\n"
	"her and why.  It cannot be undone.  --reason is required (why she is erased,\n"
	"e.g. her written request).\n"
	"example: kt-node -d DIR client erase 01JD3Q5ZK8W6T9V2M4N7P0R1S3 --reason 'request 2026-12-01'\n";

/*
 * What one erasure is asked to do: the card named, why, and the cards of
 * her merge group written.  The reason travels with it so the audit record
 * of the erasure (the staff helper's part) can keep it.
 */
struct erasure {
	struct kt_id id;
	const char *reason;
	struct kt_id group[ERASE_GROUP_MAX];
	size_t n;
};

/* Whether reason holds anything but blanks. */
static int said(const char *reason)
{
	for (const char *p = reason; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 1;
	return 0;
}

static int parse(struct kt_cli *cli, int argc, char **argv, struct erasure *e, int *json)
{
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ "reason", KT_OPT_VALUE, 'r', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "client erase", erase_usage, opts, argc, argv);
	int c;

	e->reason = NULL;
	while ((c = kt_opts_next(o)) >= 0)
		if (c == KT_CLI_JSON)
			*json = 1;
		else if (c == 'r')
			e->reason = o->arg;
	if (c != KT_OPTS_END || kt_opts_args(o, 1, 1, "ID"))
		return kt_opts_exit(c);
	if (e->reason == NULL || !said(e->reason))
		return kt_cli_failf("client erase: --reason TEXT is required (why she is erased)");
	if (strlen(e->reason) > ERASE_REASON_MAX)
		return kt_cli_failf("client erase: the reason is over %d bytes", ERASE_REASON_MAX);
	if (kt_cli_id(o->args[0], &e->id) != 0)
		return 1;
	return -1;
}

/* Her merge group, read in one transaction: 0, or the exit code (said). */
static int find_group(struct kt_cli *cli, struct erasure *e)
{
	char idt[KT_ID_TEXT_BYTES];
	MDB_txn *txn;
	int rc = 0;

	kt_id_format(&e->id, idt);
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	if (kt_store_erased(&cli->st, txn, &e->id))
		rc = kt_cli_failf("client erase: client '%s' is already erased", idt);
	else if (!kt_store_is_client(&cli->st, txn, &e->id))
		rc = kt_cli_failf("client erase: no client '%s'", idt);
	else if (kt_store_erase_group(&cli->st, txn, &e->id, e->group, ERASE_GROUP_MAX, &e->n,
				      &cli->err) != 0)
		rc = kt_cli_fail(cli);
	mdb_txn_abort(txn);
	return rc;
}

/* One SHRED change per card of the group, in one transaction. */
static int write_shreds(struct kt_cli *cli, const struct erasure *e)
{
	struct kt_draft *d = calloc(e->n, sizeof(*d));
	int rc;

	if (d == NULL)
		return kt_cli_failf("client erase: out of memory");
	for (size_t i = 0; i < e->n; i++) {
		d[i].type = KT_T_CLIENT;
		d[i].id = e->group[i];
		d[i].owner = e->group[i];
		d[i].nops = 1;
		d[i].ops[0].kind = KT_OP_SHRED;
		d[i].ops[0].field = 0;
	}
	/* Who erased her, when, why, and every card of the group: in the same transaction. */
	for (size_t i = 0; i < e->n; i++)
		kt_cli_audit_reason(cli, "erase", KT_P_CARD, &e->group[i], e->reason);
	rc = kt_cli_audit_write(cli, d, e->n);
	free(d);
	return rc;
}

static void print_done(const struct erasure *e, int json)
{
	char idt[KT_ID_TEXT_BYTES];
	json_t *o, *ids;

	if (!json) {
		for (size_t i = 0; i < e->n; i++) {
			kt_id_format(&e->group[i], idt);
			printf("erased %s\n", idt);
		}
		return;
	}
	ids = json_array();
	for (size_t i = 0; i < e->n; i++) {
		kt_id_format(&e->group[i], idt);
		json_array_append_new(ids, json_string(idt));
	}
	kt_id_format(&e->id, idt);
	o = json_pack("{s:s, s:o, s:s}", "id", idt, "erased", ids, "reason", e->reason);
	kt_cli_print_json(o);
}

int kt_cli_erase(struct kt_cli *cli, int argc, char **argv)
{
	static struct erasure e;
	int json = 0, rc = parse(cli, argc, argv, &e, &json);

	if (rc >= 0)
		return rc;
	if (kt_cli_act(cli, "client erase", KT_CAN_ERASE))
		return 1;
	if ((rc = find_group(cli, &e)) != 0)
		return rc;
	if ((rc = write_shreds(cli, &e)) != 0)
		return rc;
	print_done(&e, json);
	return 0;
}

void kt_cli_erased_status(struct kt_cli *cli, json_t *o)
{
	uint64_t n = 0;
	MDB_txn *txn;

	if (kt_store_rdtxn(&cli->st, &txn, NULL) == 0) {
		n = kt_store_erased_dropped(&cli->st, txn);
		mdb_txn_abort(txn);
	}
	if (o != NULL)
		json_object_set_new(o, "erased_dropped", json_integer((json_int_t)n));
	else if (n > 0)
		printf("erased:    %llu changes to erased clients dropped (made where her "
		       "erasure had not arrived yet)\n", (unsigned long long)n);
}

int kt_cli_rewrite_tick(struct kt_cli *cli)
{
	int rc = kt_store_rewrite(&cli->st, 1, &cli->err);

	if (rc == 0)
		fprintf(stderr, "kt-node: erasure: the store is rewritten into a fresh file\n");
	else if (rc < 0)
		fprintf(stderr, "kt-node: erasure: %s\n", cli->err.msg);
	return cli->st.env == NULL ? -1 : 0;
}
