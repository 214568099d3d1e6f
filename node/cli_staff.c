/*
 * cli_staff.c - who a command acts as, and what she may do (cli.h:
 * kt_cli_act, kt_cli_write and the checks; staff.h, roles.h).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define FOUNDER_META "founder"
#define FOUNDER_NAME "admin"

static const struct {
	int can;
	const char *words;
} can_words[] = {
	{ KT_CAN_FIND, "find clients" },
	{ KT_CAN_REPORT, "see reports" },
	{ KT_CAN_EXPORT, "export the cards" },
	{ KT_CAN_IMPORT, "import" },
	{ KT_CAN_REVIEW, "review conflicts, duplicates and merges" },
	{ KT_CAN_STAFF, "manage staff accounts" },
	{ KT_CAN_AUDIT, "read the audit" },
	{ KT_CAN_ERASE, "erase a client" },
	{ KT_CAN_DOSSIER, "make a client's dossier" },
	{ KT_CAN_CATALOGUE, "change the catalogue" },
	{ KT_CAN_NODE, "change this node" },
	{ KT_CAN_CHAIN, "manage staff of every branch" },
};

/* The founding account's id (meta "founder"): 0, or 1 when the node has none. */
static int founder(struct kt_cli *cli, struct kt_id *id)
{
	MDB_txn *txn;
	size_t n = 0;
	int rc;

	if (kt_store_rdtxn(&cli->st, &txn, NULL) != 0)
		return 1;
	rc = kt_meta_copy(&cli->st, txn, FOUNDER_META, id->b, KT_ID_BYTES, &n);
	mdb_txn_abort(txn);
	return rc != 0 || n != KT_ID_BYTES;
}

int kt_cli_found(struct kt_cli *cli, const char *name, const char *role, const char *hash,
		 struct kt_id *id)
{
	static struct kt_draft d;
	char branch[KT_BRANCH_BYTES_MAX + 1];

	kt_cli_branch(cli, branch, sizeof(branch));
	kt_id_new(id, kt_store_now(&cli->st));
	if (kt_staff_draft(&d, id, name, role, branch, hash, &cli->err) != 0)
		return kt_cli_failf("the founding account: %s", cli->err.msg);
	if (kt_store_write_noting(&cli->st, &d, 1, FOUNDER_META, id->b, KT_ID_BYTES, NULL,
				  &cli->err) != 0)
		return kt_cli_failf("cannot make the founding account: %s", cli->err.msg);
	return 0;
}

int kt_cli_logins_open(struct kt_cli *cli)
{
	struct kt_staff me;
	struct kt_id fid;
	MDB_txn *txn;
	int open = 1;

	if (founder(cli, &fid))
		return 1; /* made before staff: its founding account comes open */
	if (kt_store_rdtxn(&cli->st, &txn, NULL) != 0)
		return 1;
	if (kt_staff_load(&cli->st, txn, &fid, &me, NULL) == 0)
		open = me.pass[0] == '\0' && !me.disabled;
	mdb_txn_abort(txn);
	return open;
}

int kt_cli_staff(struct kt_cli *cli, const char *who, const struct kt_id *id,
		 struct kt_staff *out)
{
	char branch[KT_BRANCH_BYTES_MAX + 1];
	MDB_txn *txn;
	int rc;

	kt_cli_branch(cli, branch, sizeof(branch));
	if ((rc = kt_store_rdtxn(&cli->st, &txn, &cli->err)) != 0)
		return rc;
	rc = who != NULL ? kt_staff_find(&cli->st, txn, who, branch, out, &cli->err)
			 : kt_staff_load(&cli->st, txn, id, out, &cli->err);
	mdb_txn_abort(txn);
	return rc;
}

/* Who is named, as an account; 0 or 1 (said). */
static int whom(struct kt_cli *cli, const char *cmd, const char *who, const struct kt_id *fid)
{
	if (kt_cli_staff(cli, who, fid, &cli->me) != 0)
		return kt_cli_failf("%s: %s", cmd, cli->err.msg);
	if (who == NULL && cli->me.pass[0])
		return kt_cli_failf("%s: say who acts: --as NAME (or KT_STAFF=NAME), with the "
				    "passphrase in KT_PASS or typed", cmd);
	return 0;
}

/* The passphrase of who acts, checked; 0 or 1 (said). */
static int prove(struct kt_cli *cli, const char *cmd)
{
	char pass[KT_STAFF_PASS_MAX + 2], what[KT_STAFF_NAME_BYTES_MAX + 32];
	struct kt_secret_ask ask = { cmd, what, NULL, "KT_PASS", "KT_PASS=...", 0, 1,
				     KT_STAFF_PASS_MAX };
	int ok;

	if (cli->me.pass[0] == '\0')
		return 0;
	snprintf(what, sizeof(what), "passphrase of %s", cli->me.name);
	if (kt_cli_secret(&ask, pass, sizeof(pass)))
		return 1;
	ok = kt_staff_check(&cli->me, pass, strlen(pass));
	sodium_memzero(pass, sizeof(pass));
	return ok ? 0 : kt_cli_failf("%s: wrong passphrase for %s", cmd, cli->me.name);
}

static int login(struct kt_cli *cli, const char *cmd)
{
	const char *who = cli->as != NULL ? cli->as : getenv("KT_STAFF");
	struct kt_id fid;

	if (who != NULL && who[0] == '\0')
		who = NULL;
	/* A node made before staff accounts: its founding account now. */
	if (founder(cli, &fid) && kt_cli_found(cli, FOUNDER_NAME, "manager", NULL, &fid))
		return 1;
	if (whom(cli, cmd, who, &fid))
		return 1;
	if (cli->me.disabled)
		return kt_cli_failf("%s: the account of %s is disabled", cmd, cli->me.name);
	if (cli->me.role == 0)
		return kt_cli_failf("%s: the account of %s has no role", cmd, cli->me.name);
	if (prove(cli, cmd))
		return 1;
	cli->rights = kt_role_rights(cli->me.role,
				     kt_staff_granted(&cli->me, kt_cli_today(cli)));
	cli->st.author = cli->me.id;
	cli->st.has_author = 1;
	cli->acting = 1;
	return 0;
}

static const char *can_text(int can)
{
	for (size_t i = 0; i < sizeof(can_words) / sizeof(can_words[0]); i++)
		if (can & can_words[i].can)
			return can_words[i].words;
	return "do that";
}

int kt_cli_act(struct kt_cli *cli, const char *cmd, int can)
{
	char who[160];
	int missing;

	if (kt_cli_open(cli) || (!cli->acting && login(cli, cmd)))
		return 1;
	missing = can & ~cli->rights.can;
	if (missing == 0)
		return 0;
	missing &= -missing; /* the first one missing */
	return kt_cli_failf("%s: %s (%s) may not %s (%s may)", cmd, cli->me.name,
			    kt_role_name(cli->me.role), can_text(missing),
			    kt_role_who(0, 0, missing, who, sizeof(who)));
}

int kt_cli_may_read(const struct kt_cli *cli, int mask)
{
	return cli->acting && (cli->rights.reads & mask) == mask;
}

int kt_cli_refuse_read(struct kt_cli *cli, const char *cmd, int mask)
{
	char who[160], parts[96];
	int missing = mask & ~cli->rights.reads;

	return kt_cli_failf("%s: %s (%s) may not read %s (%s may)", cmd, cli->me.name,
			    kt_role_name(cli->me.role),
			    kt_schema_parts_text(missing, parts, sizeof(parts)),
			    kt_role_who(missing, 0, 0, who, sizeof(who)));
}

/* The one line for a write of field num of type the role may not make. */
static int refuse_write(struct kt_cli *cli, const char *cmd, uint8_t type, uint16_t num,
			int part)
{
	const struct kt_field *f = kt_schema_field(type, num);
	char who[160], what[128];

	if (type == KT_T_CLIENT)
		snprintf(what, sizeof(what), "%s", f != NULL ? f->name : "this field");
	else
		snprintf(what, sizeof(what), "%s records", kt_schema_type_name(type));
	return kt_cli_failf("%s: %s (%s) may not write %s (%s may)", cmd, cli->me.name,
			    kt_role_name(cli->me.role), what,
			    kt_role_who(part, 1, 0, who, sizeof(who)));
}

int kt_cli_may_write(struct kt_cli *cli, const struct kt_draft *d, size_t n, const char *cmd)
{
	kt_assert(cli->acting);
	for (size_t k = 0; k < n; k++)
		for (uint32_t i = 0; i < d[k].nops; i++) {
			const struct kt_op *op = &d[k].ops[i];
			int part;

			if (op->kind != KT_OP_SET && op->kind != KT_OP_ADD && op->kind != KT_OP_DEL)
				continue; /* keys, tokens: the store's; a merge is KT_CAN_REVIEW */
			part = kt_schema_part(d[k].type, op->field);
			if ((cli->rights.writes & part) != part)
				return refuse_write(cli, cmd, d[k].type, op->field, part);
		}
	return 0;
}

int kt_cli_write(struct kt_cli *cli, struct kt_draft *d, size_t n, const char *cmd)
{
	if (kt_cli_may_write(cli, d, n, cmd))
		return 1;
	if (kt_store_write(&cli->st, d, n, NULL, &cli->err) != 0)
		return kt_cli_fail(cli);
	return 0;
}
