/*
 * cmd_staff.c - `staff`: the chain's staff accounts (staff.h) and their
 * roles (roles.h).  Accounts replicate, so a member of staff logs in at
 * any branch.  A manager manages the accounts of her own branch and may
 * not make head-office ones; head office manages every branch's.
 */
#include "cli.h"
#include "hlc.h"
#include "text.h"
#include "dates.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static const char staff_usage[] =
	"usage: kt-node -d DIR staff add NAME --role ROLE [--branch B] [--pass-file F]\n"
	"       kt-node -d DIR staff list [--json]\n"
	"       kt-node -d DIR staff disable NAME | staff enable NAME\n"
	"       kt-node -d DIR staff passwd [NAME] [--pass-file F]\n"
	"       kt-node -d DIR staff grant NAME (--until DATE | --revoke) --reason TEXT\n"
	"\n"
	"Staff accounts of the whole chain.  ROLE is reception, cosmetologist,\n"
	"manager or head_office (what each may read and write: README, Privacy).\n"
	"--branch is her branch (default this node's); a manager adds and disables\n"
	"accounts of her own branch, head office any.  The new passphrase or PIN (4\n"
	"to 1024 bytes) is F's first line, else $KT_NEW_PASS, else typed twice.\n"
	"`staff passwd` changes her own passphrase, or (manager) another's.\n"
	"`staff grant` lets a head-office account open cards, as a cosmetologist\n"
	"does, up to DATE (a manager's decision, audited with its reason).\n"
	"NAME is a name (case and accents ignored) or an account's id.\n"
	"example: kt-node -d DIR --as admin staff add 'Мария Ким' --role cosmetologist\n";

/* A new passphrase, hashed into hash; 0 or 1 (said). */
static int new_pass(const char *cmd, const char *file, char hash[KT_STAFF_HASH_BYTES])
{
	struct kt_secret_ask a = { cmd, "new passphrase", file, "KT_NEW_PASS", "--pass-file FILE",
				   1, KT_STAFF_PASS_MIN, KT_STAFF_PASS_MAX };
	char pass[KT_STAFF_PASS_MAX + 2];
	struct kt_err err;
	int rc;

	if (kt_cli_secret(&a, pass, sizeof(pass)))
		return 1;
	rc = kt_staff_hash(pass, strlen(pass), hash, &err);
	sodium_memzero(pass, sizeof(pass));
	return rc != 0 ? kt_cli_failf("%s: %s", cmd, err.msg) : 0;
}

/* Whether who acts may manage an account of branch (and role); 0 or 1 (said). */
static int may_manage(struct kt_cli *cli, const char *cmd, const char *branch, int role)
{
	char here[KT_BRANCH_BYTES_MAX + 1];

	if (cli->rights.can & KT_CAN_CHAIN)
		return 0;
	kt_cli_branch(cli, here, sizeof(here));
	if (strcmp(branch, here) != 0)
		return kt_cli_failf("%s: a manager manages the accounts of her own branch (%s), "
				    "not of %s (head office may)", cmd, here,
				    branch[0] ? branch : "every branch");
	if (role == KT_ROLE_HEAD_OFFICE)
		return kt_cli_failf("%s: a manager may not make or change a head_office account "
				    "(head office may)", cmd);
	return 0;
}

static int find(struct kt_cli *cli, const char *name, struct kt_staff *s)
{
	return kt_cli_staff(cli, name, NULL, s);
}

/* The account NAME names; 0 or 1 (said). */
static int account(struct kt_cli *cli, const char *cmd, const char *name, struct kt_staff *s)
{
	return find(cli, name, s) != 0 ? kt_cli_failf("%s: %s", cmd, cli->err.msg) : 0;
}

static int staff_add(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "role", KT_OPT_VALUE, 'r', 0 },
		{ "branch", KT_OPT_VALUE, 'b', 0 },
		{ "pass-file", KT_OPT_VALUE, 'p', 0 },
		{ NULL, 0, 0, 0 },
	};
	static struct kt_draft d;
	struct kt_opts *o = kt_cli_opts(cli, "staff add", staff_usage, opts, argc, argv);
	const char *role = NULL, *pfile = NULL, *name;
	char branch[KT_BRANCH_BYTES_MAX + 1] = "", hash[KT_STAFF_HASH_BYTES], idt[KT_ID_TEXT_BYTES];
	struct kt_staff other;
	struct kt_id id;
	int c, given = 0, rc;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'r': role = o->arg; break;
		case 'b': snprintf(branch, sizeof(branch), "%s", o->arg); given = 1; break;
		case 'p': pfile = o->arg; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 1, 1, "NAME"))
		return kt_opts_exit(c);
	name = o->args[0];
	if (role == NULL)
		return kt_cli_failf("staff add: --role is required (reception, cosmetologist, "
				    "manager or head_office)");
	if (kt_role_parse(role) == 0)
		return kt_cli_failf("staff add: unknown role '%.40s' (reception, cosmetologist, "
				    "manager or head_office)", role);
	if (name[0] == '\0' || strlen(name) > KT_STAFF_NAME_BYTES_MAX ||
	    !kt_text_valid(name, strlen(name)) || !kt_text_says_something(name))
		return kt_cli_failf("staff add: bad name '%.60s'", name);
	if (strlen(branch) > KT_BRANCH_BYTES_MAX || !kt_text_valid(branch, strlen(branch)))
		return kt_cli_failf("staff add: bad branch name");
	if (kt_cli_act(cli, "staff add", KT_CAN_STAFF))
		return 1;
	if (!given)
		kt_cli_branch(cli, branch, sizeof(branch));
	if (may_manage(cli, "staff add", branch, kt_role_parse(role)))
		return 1;
	if ((rc = find(cli, name, &other)) == 0 || rc == KT_EEXIST) {
		kt_id_format(&other.id, idt);
		return kt_cli_failf("staff add: there is an account '%s' already (%s)", other.name,
				    rc == 0 ? idt : cli->err.msg);
	}
	if (rc != KT_ENOTFOUND)
		return kt_cli_failf("staff add: %s", cli->err.msg);
	if (new_pass("staff add", pfile, hash))
		return 1;
	kt_id_new(&id, kt_store_now(&cli->st));
	rc = kt_staff_draft(&d, &id, name, role, branch, hash, &cli->err) != 0
		     ? kt_cli_failf("staff add: %s", cli->err.msg)
		     : kt_cli_write(cli, &d, 1, "staff add");
	sodium_memzero(hash, sizeof(hash));
	if (rc)
		return 1;
	kt_id_format(&id, idt);
	printf("%s\n", idt);
	return 0;
}

static json_t *staff_json(const struct kt_staff *s)
{
	char idt[KT_ID_TEXT_BYTES], day[11];
	json_t *o;

	kt_id_format(&s->id, idt);
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "id", idt, "name", s->name, "role",
		      s->role ? kt_role_name(s->role) : "", "branch", s->branch, "disabled",
		      s->disabled, "has_passphrase", s->pass[0] != '\0');
	if (s->grant_until >= 0) {
		kt_date_format(s->grant_until, day);
		json_object_set_new(o, "grant_until", json_string(day));
	}
	return o;
}

static int list_one(void *ctx, const struct kt_staff *s)
{
	json_array_append_new(ctx, staff_json(s));
	return 0;
}

static int staff_list(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = { KT_CLI_JSON_OPT, { NULL, 0, 0, 0 } };
	struct kt_opts *o = kt_cli_opts(cli, "staff list", staff_usage, opts, argc, argv);
	json_t *a, *it;
	MDB_txn *txn;
	int c, json = 0, rc;
	size_t i;

	while ((c = kt_opts_next(o)) >= 0)
		if (c == KT_CLI_JSON)
			json = 1;
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, "staff list", KT_CAN_STAFF))
		return 1;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	a = json_array();
	rc = kt_staff_each(&cli->st, txn, list_one, a, &cli->err);
	mdb_txn_abort(txn);
	if (rc != 0) {
		json_decref(a);
		return kt_cli_fail(cli);
	}
	if (json) {
		kt_cli_print_json(a);
		return 0;
	}
	json_array_foreach(a, i, it) {
		const char *gu = json_string_value(json_object_get(it, "grant_until"));

		printf("%s  %-13s %-14s ", json_string_value(json_object_get(it, "id")),
		       json_string_value(json_object_get(it, "role")),
		       json_string_value(json_object_get(it, "branch")));
		kt_cli_text(json_string_value(json_object_get(it, "name")));
		if (json_is_true(json_object_get(it, "disabled")))
			printf("  [disabled]");
		if (!json_is_true(json_object_get(it, "has_passphrase")))
			printf("  [no passphrase]");
		if (gu != NULL)
			printf("  [cards until %s]", gu);
		printf("\n");
	}
	json_decref(a);
	return 0;
}

/* One field of account NAME set to value; 0 or 1 (said). */
static int staff_set(struct kt_cli *cli, const struct kt_staff *s, const char *field,
		     const char *value, const char *cmd)
{
	static struct kt_draft d;

	kt_draft_start(&d, KT_T_STAFF, &s->id, 0, NULL);
	if (kt_draft_field(&d, field, value, KT_OP_SET, &cli->err) != 0)
		return kt_cli_failf("%s: %s", cmd, cli->err.msg);
	return kt_cli_write(cli, &d, 1, cmd);
}

static int staff_able(struct kt_cli *cli, int argc, char **argv, int disable)
{
	const char *cmd = disable ? "staff disable" : "staff enable";
	struct kt_opts *o = kt_cli_opts(cli, cmd, staff_usage, NULL, argc, argv);
	struct kt_staff s;
	int c;

	while ((c = kt_opts_next(o)) >= 0)
		;
	if (c != KT_OPTS_END || kt_opts_args(o, 1, 1, "NAME"))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, cmd, KT_CAN_STAFF) || account(cli, cmd, o->args[0], &s) ||
	    may_manage(cli, cmd, s.branch, s.role))
		return 1;
	if (disable && kt_id_cmp(&s.id, &cli->me.id) == 0)
		return kt_cli_failf("%s: you may not disable your own account", cmd);
	if (s.disabled == disable)
		return kt_cli_failf("%s: the account of %s is %s already", cmd, s.name,
				    disable ? "disabled" : "enabled");
	if (staff_set(cli, &s, "disabled", disable ? "yes" : "no", cmd))
		return 1;
	printf("%s %s\n", s.name, disable ? "disabled" : "enabled");
	return 0;
}

static int staff_passwd(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = { { "pass-file", KT_OPT_VALUE, 'p', 0 },
					      { NULL, 0, 0, 0 } };
	struct kt_opts *o = kt_cli_opts(cli, "staff passwd", staff_usage, opts, argc, argv);
	const char *pfile = NULL;
	char hash[KT_STAFF_HASH_BYTES];
	struct kt_staff s;
	int c, rc;

	while ((c = kt_opts_next(o)) >= 0)
		if (c == 'p')
			pfile = o->arg;
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 1, NULL))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, "staff passwd", 0))
		return 1;
	s = cli->me;
	if (o->nargs == 1 && (account(cli, "staff passwd", o->args[0], &s)))
		return 1;
	if (kt_id_cmp(&s.id, &cli->me.id) != 0 &&
	    (kt_cli_act(cli, "staff passwd", KT_CAN_STAFF) ||
	     may_manage(cli, "staff passwd", s.branch, s.role)))
		return 1;
	if (new_pass("staff passwd", pfile, hash))
		return 1;
	rc = staff_set(cli, &s, "pass", hash, "staff passwd");
	sodium_memzero(hash, sizeof(hash));
	if (rc)
		return 1;
	printf("passphrase of %s changed\n", s.name);
	return 0;
}

static int staff_grant(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = { { "until", KT_OPT_VALUE, 'u', 0 },
					      { "revoke", KT_OPT_FLAG, 'x', 0 },
					      { "reason", KT_OPT_VALUE, 'r', 0 },
					      { NULL, 0, 0, 0 } };
	struct kt_opts *o = kt_cli_opts(cli, "staff grant", staff_usage, opts, argc, argv);
	const char *until = NULL, *reason = NULL;
	char iso[11] = "";
	struct kt_staff s;
	int c, revoke = 0;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'u': until = o->arg; break;
		case 'x': revoke = 1; break;
		case 'r': reason = o->arg; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 1, 1, "NAME"))
		return kt_opts_exit(c);
	if ((until == NULL) == !revoke)
		return kt_cli_failf("staff grant: --until DATE or --revoke");
	if (reason == NULL || !kt_text_says_something(reason))
		return kt_cli_failf("staff grant: --reason TEXT is required (it is audited)");
	if (kt_cli_act(cli, "staff grant", KT_CAN_STAFF) ||
	    account(cli, "staff grant", o->args[0], &s))
		return 1;
	if (s.role != KT_ROLE_HEAD_OFFICE)
		return kt_cli_failf("staff grant: %s is %s: a grant is for head_office accounts",
				    s.name, kt_role_name(s.role));
	if (cli->me.role != KT_ROLE_MANAGER)
		return kt_cli_failf("staff grant: a grant is a manager's (you are %s)",
				    kt_role_name(cli->me.role));
	if (until != NULL &&
	    kt_dates_read(kt_dates_form(cli->st.country), "until", until, iso, &cli->err) != 0)
		return kt_cli_failf("staff grant: %s", cli->err.msg);
	if (staff_set(cli, &s, "grant_until", iso, "staff grant"))
		return 1;
	kt_cli_audit_reason(cli, revoke ? "revoke" : "grant", 0, &s.id, reason);
	if (revoke)
		printf("%s may no longer open cards\n", s.name);
	else
		printf("%s may open cards until %s\n", s.name, iso);
	return 0;
}

int cmd_staff(struct kt_cli *cli, int argc, char **argv)
{
	/* Each subcommand reads its own options, -d, --as and --help among them. */
	int rc = kt_cli_group(argc, argv, staff_usage);

	if (rc >= 0)
		return rc;
	argc--, argv++;
	if (strcmp(argv[0], "add") == 0)
		return staff_add(cli, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return staff_list(cli, argc, argv);
	if (strcmp(argv[0], "disable") == 0)
		return staff_able(cli, argc, argv, 1);
	if (strcmp(argv[0], "enable") == 0)
		return staff_able(cli, argc, argv, 0);
	if (strcmp(argv[0], "passwd") == 0)
		return staff_passwd(cli, argc, argv);
	if (strcmp(argv[0], "grant") == 0)
		return staff_grant(cli, argc, argv);
	return kt_cli_failf("staff: expected add, list, disable, enable, passwd or grant (see "
			    "staff --help)");
}
