/*
 * cmd_record.c - visit add (with the safety checks at the chair) and the
 * generic record add/edit/show for patch tests, assessments, care plans,
 * feedback and loyalty points.
 *
 * Safety, offline: every path here that writes a visit's services or
 * products used (visit add, record edit of a visit) runs the check of
 * node/safety.h, which says what is refused and why; a refusal is one line,
 * and --override REASON [--by NAME] records the visit with the reason and
 * who gave it, kept as recorded.
 */
#include "cli.h"
#include "hlc.h"
#include "points.h"
#include "salon.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static const char visit_usage[] =
	"usage: kt-node -d DIR visit add CLIENT_ID --service NAME [--service NAME]...\n"
	"                  [--amount N] [--date DATE] [--future] [--set FIELD=VALUE]...\n"
	"                  [--override REASON] [--by NAME]\n"
	"\n"
	"Records a visit; prints its id.  Refused when a service or product used names\n"
	"one of the client's allergies or contraindications (by word stems, over all\n"
	"her merged cards), when a catalogue entry it names contains one of her\n"
	"allergies or is ruled out by one of her contraindications or medications, or\n"
	"needs a patch test and hers is missing, failed, pending or expired (see\n"
	"`catalog --help`); --override REASON goes on and records the reason and who\n"
	"gave it (--by NAME, else $USER).  A list value typed with commas is several.\n"
	"Fields: date branch specialist services amount currency products_used\n"
	"products_sold result rating (1-5).  Defaults: today, this branch, the\n"
	"currency setting.  A date is YYYY-MM-DD, or as the branch's country writes\n"
	"it (DD.MM.YYYY in RU, MD, RO...; YYYY/MM/DD or YYYY年MM月DD日 in CN...); a\n"
	"visit is recorded on its day or after: one dated after today is refused\n"
	"unless --future (entered ahead on purpose, at most 366 days).  --override is\n"
	"for the safety check only.\n"
	"example: kt-node -d DIR visit add 01JD3Q5ZK8W6T9V2M4N7P0R1S3 --service 'Facial "
	"cleansing' --amount 2500 --set specialist=Olga\n";

static const char record_usage[] =
	"usage: kt-node -d DIR record add TYPE CLIENT_ID [--set FIELD=VALUE]... [--add FIELD=VALUE]...\n"
	"       kt-node -d DIR record edit ID [--set FIELD=VALUE]... [--add/--remove FIELD=VALUE]...\n"
	"                  [--future] [--override REASON] [--by NAME]   (visits: see below)\n"
	"       kt-node -d DIR record show ID [--json]\n"
	"\n"
	"TYPE and its fields:\n"
	"  patch_test  date branch subject by status(pending|passed|failed) valid_until\n"
	"              (default: today, pending, valid for patch_test_months months)\n"
	"  assessment  date branch hydration oiliness pigmentation wrinkles acne\n"
	"              sensitivity (0-10) notes; photos (list)\n"
	"  plan        goal procedures frequency start status(open|done|cancelled) notes\n"
	"  feedback    branch kind(praise|complaint|wish) text status(open|in_progress|\n"
	"              resolved) resolution follow_up\n"
	"  points      delta (-1000000000 to 1000000000, not 0) reason visit date\n"
	"              (written once: a correction is a new entry; default: today).\n"
	"              An entry that would take the balance of her whole merge group\n"
	"              below zero is refused, unless --override REASON (recorded on\n"
	"              the entry with who gave it: --by NAME, else $USER)\n"
	"Dates are YYYY-MM-DD, or as the branch's country writes them (DD.MM.YYYY in\n"
	"RU, MD, RO...; YYYY/MM/DD or YYYY年MM月DD日 in CN...).  The date of a visit,\n"
	"patch test or assessment is not after today unless --future is given (at\n"
	"most 366 days ahead); valid_until, start and follow_up may be any day.\n"
	"Visits are recorded with `visit add`, which runs the safety check; an edit of\n"
	"a visit's services or products_used runs it again (--override REASON goes on).\n"
	"example: kt-node -d DIR record add patch_test 01JD3Q5ZK8W6T9V2M4N7P0R1S3 "
	"--set subject='hair dye' --set status=passed\n";

/* Adds field=value unless the user gave the field; the value must outlive the write. */
static int default_field(struct kt_cli *cli, struct kt_draft *d, const char *name,
			 const char *value)
{
	if (kt_draft_has(d, name) || value == NULL || value[0] == '\0')
		return 0;
	if (kt_draft_field(d, name, value, KT_OP_SET, &cli->err) != 0)
		return kt_cli_fail(cli);
	return 0;
}

/*
 * Whether who acts may read record r, and what of it: a card's parts she
 * may not read are dropped, an account's passphrase hash is never shown.
 * A read of a card or of a record of hers is audited.  0, or 1 (said).
 */
static int show_allowed(struct kt_cli *cli, struct kt_rec *r)
{
	int part = r->type == KT_T_CLIENT ? KT_P_CONTACTS : kt_schema_part(r->type, 1);

	if (!kt_cli_may_read(cli, part))
		return kt_cli_refuse_read(cli, "record show", part);
	if (r->type == KT_T_CLIENT) {
		kt_card_keep(r, cli->rights.reads);
		kt_cli_audit(cli, "show", cli->rights.reads & KT_P_CARD, &r->id);
	} else if (kt_schema_owner_type(r->type) == KT_T_CLIENT) {
		kt_cli_audit(cli, "show", part, &r->owner);
	} else if (r->type == KT_T_STAFF) {
		uint16_t pass = kt_schema_field_named(KT_T_STAFF, "pass")->num;
		uint32_t k = 0;

		for (uint32_t i = 0; i < r->nfields; i++)
			if (r->fields[i].field != pass)
				r->fields[k++] = r->fields[i];
		r->nfields = k;
	}
	return 0;
}

static const char *draft_text(const struct kt_draft *d, const char *name)
{
	static char buf[KT_VALUE_BYTES_MAX + 1];
	const struct kt_field *f = kt_schema_field_named(d->type, name);

	for (uint32_t i = 0; f != NULL && i < d->nops; i++)
		if (d->ops[i].field == f->num && d->vals[i].t == KT_V_STR) {
			snprintf(buf, sizeof(buf), "%.*s", (int)d->vals[i].n, d->vals[i].s);
			return buf;
		}
	return "";
}

/* ---- safety at the chair (the rules are node/safety.h's) ---- */

/* Whether an override reason says something: not empty, not only blanks. */
static int reason_given(const char *r)
{
	return r != NULL && kt_text_says_something(r);
}

/* Whether --override or --by was given empty (said, 1): the chair's and the points' rule. */
static int override_refused(const char *override, const char *by)
{
	if (override != NULL && !reason_given(override))
		return kt_cli_failf("an override needs a reason: --override 'REASON'");
	if (by != NULL && !reason_given(by))
		return kt_cli_failf("--by needs the name of who gives the override");
	return 0;
}

/*
 * An override is written only by --override, as the check's answer, and
 * kept as recorded: a --set of its fields would mark a visit no check
 * refused, or wipe the mark of one it did.  Returns 1 (printed) when d sets
 * them.
 */
static int override_fields_set(const struct kt_draft *d, const char *cmd)
{
	if (!kt_draft_has(d, "override_reason") && !kt_draft_has(d, "override_by"))
		return 0;
	return kt_cli_failf("%s: override_reason and override_by are written by --override "
			    "REASON [--by NAME] and kept as recorded", cmd);
}

/*
 * Runs the safety check for a visit of client giving services and products
 * (either may be "").  When it refuses, or cannot read what it needs (fail
 * closed), the write goes on only with an override: its reason and who
 * gave it (by, else $USER) are added to draft d and a warning is printed.
 * Returns 0 to go on, or the exit code 1 after printing why it stopped.
 */
/*
 * The check of one visit: its client, services, products used and date
 * (patch tests are judged on the visit's day; "" means today).  A refused
 * visit goes on only with override; an edit of a visit that carries an
 * override already (prev_reason, prev_by: "" when none) keeps it and adds
 * the new one after "; ", so nothing recorded is lost.
 */
static int chair_check(struct kt_cli *cli, struct kt_draft *d, const struct kt_id *client,
		       const char *services, const char *products, const char *date,
		       const char *prev_reason, const char *prev_by, const char *override,
		       const char *by)
{
	static char reason_all[KT_VALUE_BYTES_MAX + 1], by_all[KT_VALUE_BYTES_MAX + 1];
	static struct kt_settings set;
	struct kt_salon_verdict v;
	struct kt_err err = { 0 };

	if (override_refused(override, by))
		return 1;
	kt_cli_settings(cli, &set);
	v.conceal = !kt_cli_may_read(cli, KT_P_HEALTH);
	if (kt_salon_chair_check(&cli->st, NULL, &set, kt_cli_today(cli), client, services,
				 products, date, &v, &err) != 0)
		return kt_cli_failf("%s", err.msg); /* no such client: nothing to override */
	if (!v.refused)
		return 0;
	if (override == NULL)
		return kt_cli_failf("visit refused: %s (to go on, add --override REASON)", v.why);
	if (by == NULL)
		by = reason_given(getenv("USER")) ? getenv("USER") : "unknown";
	if ((size_t)snprintf(reason_all, sizeof(reason_all), "%s%s%s", prev_reason,
			     prev_reason[0] ? "; " : "", override) >= sizeof(reason_all) ||
	    (size_t)snprintf(by_all, sizeof(by_all), "%s%s%s", prev_by, prev_by[0] ? "; " : "",
			     by) >= sizeof(by_all))
		return kt_cli_failf("the visit's overrides would go over %d bytes",
				    KT_VALUE_BYTES_MAX);
	if (kt_draft_field(d, "override_reason", reason_all, KT_OP_SET, &cli->err) ||
	    kt_draft_field(d, "override_by", by_all, KT_OP_SET, &cli->err))
		return kt_cli_fail(cli);
	fprintf(stderr, "warning: %s; recorded with override by %s: %s\n", v.why, by, override);
	return 0;
}

/* ---- visit add ---- */

struct visit_opts {
	char services[KT_VALUE_BYTES_MAX + 1];
	const char *amount, *date, *override, *by;
	int future; /* --future: dated ahead of today on purpose */
};

/*
 * Reads visit add's options into o and d, the client's id into *client
 * (d's owner is set from it).  Returns -1 to go on, else the exit code.
 */
static int visit_parse(struct kt_cli *cli, struct kt_draft *d, struct visit_opts *o,
		       struct kt_id *client, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "service", KT_OPT_VALUE, 's', 1 },
		{ "amount", KT_OPT_VALUE, 'a', 0 },
		{ "date", KT_OPT_VALUE, 't', 0 },
		{ "future", KT_OPT_FLAG, 'f', 0 },
		{ "override", KT_OPT_VALUE, 'o', 0 },
		{ "by", KT_OPT_VALUE, 'b', 0 },
		KT_CLI_SET_OPT,
		KT_CLI_ADD_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *op = kt_cli_opts(cli, "visit add", visit_usage, opts, argc, argv);
	size_t n = 0;
	int c;

	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case KT_CLI_SET: case KT_CLI_ADD:
			if (kt_cli_field_value(cli, d, c, op->arg))
				return 1;
			break;
		case 'f':
			o->future = 1;
			break;
		case 's': {
			int k = snprintf(o->services + n, sizeof(o->services) - n, "%s%s",
					 n ? ", " : "", op->arg);
			if (k < 0 || (size_t)k >= sizeof(o->services) - n)
				return kt_cli_failf("visit add: services over %d bytes",
						    KT_VALUE_BYTES_MAX);
			n += (size_t)k;
			break;
		}
		case 'a': o->amount = op->arg; break;
		case 't': o->date = op->arg; break;
		case 'o': o->override = op->arg; break;
		case 'b': o->by = op->arg; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(op, 0, 1, NULL))
		return kt_opts_exit(c);
	if (op->nargs < 1)
		return kt_cli_failf("visit add: which client? (visit add CLIENT_ID --service NAME)");
	if (kt_cli_id(op->args[0], client) != 0)
		return 1;
	d->owner = *client;
	return -1;
}

/*
 * Whether the draft sets field name to nothing (--set date=, --date ''):
 * a new record would then go without it.
 */
static int sets_empty(const struct kt_draft *d, const char *name)
{
	const struct kt_field *f = kt_schema_field_named(d->type, name);

	for (uint32_t i = 0; f != NULL && i < d->nops; i++)
		if (d->ops[i].field == f->num && d->ops[i].kind == KT_OP_SET &&
		    d->vals[i].t == KT_V_NIL)
			return 1;
	return 0;
}

/*
 * What a new record cannot go without, given empty: a visit's, patch
 * test's, assessment's or points entry's date (left out, it is today) and
 * a points entry's delta.  1 (said) when refused.
 */
static int refuse_empty(const struct kt_draft *d, const char *cmd)
{
	const char *type = d->type == KT_T_VISIT ? "a visit" : d->type == KT_T_PATCH ? "a patch test"
			   : d->type == KT_T_ASSESS ? "an assessment" : "a points entry";

	if ((d->type == KT_T_VISIT || d->type == KT_T_PATCH || d->type == KT_T_ASSESS ||
	     d->type == KT_T_POINTS) && sets_empty(d, "date"))
		return kt_cli_failf("%s: %s needs its date (leave the date out for today)", cmd,
				    type);
	if (d->type == KT_T_POINTS && sets_empty(d, "delta"))
		return kt_cli_failf("%s: a points entry needs its delta (--set delta=N)", cmd);
	return 0;
}

static int visit_add(struct kt_cli *cli, int argc, char **argv)
{
	static struct kt_draft d;
	static struct visit_opts o;
	static char today[11], branch[KT_BRANCH_BYTES_MAX + 1];
	static struct kt_settings set;
	static char services[KT_VALUE_BYTES_MAX + 1], products[KT_VALUE_BYTES_MAX + 1];
	char idt[KT_ID_TEXT_BYTES];
	struct kt_id id, client = { 0 };
	int rc;

	/* The client's id may come after the options: visit_parse() gives it to d. */
	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, KT_T_VISIT, &id, 1, &client);
	if ((rc = visit_parse(cli, &d, &o, &client, argc, argv)) >= 0)
		return rc;
	if ((o.services[0] && kt_draft_field(&d, "services", o.services, KT_OP_SET, &cli->err)) ||
	    (o.amount && kt_draft_field(&d, "amount", o.amount, KT_OP_SET, &cli->err)))
		return kt_cli_fail(cli);
	if (o.date && kt_cli_draft_field(cli, &d, "date", o.date, KT_OP_SET) != 0)
		return 1;
	if (!kt_draft_has(&d, "services"))
		return kt_cli_failf("visit add: --service NAME is required");
	if (override_fields_set(&d, "visit add") || refuse_empty(&d, "visit add"))
		return 1;
	if (kt_cli_act(cli, "visit add", 0))
		return 1;
	kt_cli_today_text(cli, today);
	kt_cli_branch(cli, branch, sizeof(branch));
	kt_cli_settings(cli, &set);
	if (default_field(cli, &d, "date", today) || default_field(cli, &d, "branch", branch) ||
	    default_field(cli, &d, "currency", set.currency) ||
	    kt_cli_check_dates(cli, &d, o.future, "visit add"))
		return 1;
	snprintf(services, sizeof(services), "%s", draft_text(&d, "services"));
	snprintf(products, sizeof(products), "%s", draft_text(&d, "products_used"));
	if (kt_cli_may_write(cli, &d, 1, "visit add") ||
	    chair_check(cli, &d, &client, services, products, draft_text(&d, "date"), "", "",
			o.override, o.by) != 0)
		return 1;
	if (kt_cli_write(cli, &d, 1, "visit add"))
		return 1;
	kt_id_format(&id, idt);
	printf("%s\n", idt);
	return 0;
}

int cmd_visit(struct kt_cli *cli, int argc, char **argv)
{
	/* visit add reads its own options, -d and --help among them. */
	int rc = kt_cli_group(argc, argv, visit_usage);

	if (rc >= 0)
		return rc;
	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return kt_cli_failf("visit: expected 'visit add CLIENT_ID --service NAME'");
	return visit_add(cli, argc - 1, argv + 1);
}

/* ---- record add, edit, show ---- */

static int record_defaults(struct kt_cli *cli, struct kt_draft *d)
{
	static char today[11], branch[KT_BRANCH_BYTES_MAX + 1], until[11];
	static struct kt_settings set;

	if (refuse_empty(d, "record add"))
		return 1;
	kt_cli_today_text(cli, today);
	kt_cli_branch(cli, branch, sizeof(branch));
	switch (d->type) {
	case KT_T_PATCH:
		if (!kt_draft_has(d, "subject"))
			return kt_cli_failf("record add: a patch_test needs --set subject=...");
		if (default_field(cli, d, "date", today) || default_field(cli, d, "branch", branch) ||
		    default_field(cli, d, "status", "pending"))
			return 1;
		kt_cli_settings(cli, &set);
		kt_salon_patch_until(&set, draft_text(d, "date"), until);
		return default_field(cli, d, "valid_until", until);
	case KT_T_ASSESS:
		return default_field(cli, d, "date", today) || default_field(cli, d, "branch", branch);
	case KT_T_PLAN:
		return default_field(cli, d, "start", today) || default_field(cli, d, "status", "open");
	case KT_T_FEEDBACK:
		if (!kt_draft_has(d, "kind"))
			return kt_cli_failf("record add: feedback needs --set kind=praise|complaint|wish");
		return default_field(cli, d, "branch", branch) || default_field(cli, d, "status", "open");
	case KT_T_POINTS:
		if (!kt_draft_has(d, "delta"))
			return kt_cli_failf("record add: points need --set delta=N");
		return default_field(cli, d, "date", today);
	}
	return 0;
}

/* The delta draft d sets (record add points requires one). */
static long long draft_delta(const struct kt_draft *d)
{
	const struct kt_field *f = kt_schema_field_named(d->type, "delta");

	for (uint32_t i = 0; f != NULL && i < d->nops; i++)
		if (d->ops[i].field == f->num && d->vals[i].t == KT_V_INT)
			return d->vals[i].i;
	return 0;
}

/*
 * The ledger's rule (node/points.h) on a new points entry d of client: an
 * entry that would take the balance of her merge group below zero goes on
 * only with override, whose reason and giver (by, else $USER) are added to
 * d.  Returns 0 to write, or 1 after printing why not.
 */
static int points_check(struct kt_cli *cli, struct kt_draft *d, const struct kt_id *client,
			const char *override, const char *by)
{
	char why[160];
	kt_points_total balance;
	MDB_txn *txn;
	int rc;

	if (override_refused(override, by))
		return 1;
	if (override_fields_set(d, "record add"))
		return 1;
	if ((rc = kt_store_rdtxn(&cli->st, &txn, &cli->err)) == 0) {
		rc = kt_points_balance(&cli->st, txn, client, &balance, &cli->err);
		mdb_txn_abort(txn);
	}
	if (rc != 0)
		return kt_cli_failf("record add: cannot read her points balance: %s", cli->err.msg);
	if (!kt_points_refused(balance, draft_delta(d), why, sizeof(why)))
		return 0;
	if (override == NULL)
		return kt_cli_failf("points entry refused: %s (to go on, add --override REASON)",
				    why);
	if (by == NULL)
		by = reason_given(getenv("USER")) ? getenv("USER") : "unknown";
	if (kt_draft_field(d, "override_reason", override, KT_OP_SET, &cli->err) ||
	    kt_draft_field(d, "override_by", by, KT_OP_SET, &cli->err))
		return kt_cli_fail(cli);
	fprintf(stderr, "warning: %s; recorded with override by %s: %s\n", why, by, override);
	return 0;
}

static int record_add(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "future", KT_OPT_FLAG, 'f', 0 },
		{ "override", KT_OPT_VALUE, 'o', 0 },
		{ "by", KT_OPT_VALUE, 'b', 0 },
		KT_CLI_SET_OPT,
		KT_CLI_ADD_OPT,
		{ NULL, 0, 0, 0 },
	};
	static struct kt_draft d;
	static struct kt_cli_fields fields;
	struct kt_opts *o = kt_cli_opts(cli, "record add", record_usage, opts, argc, argv);
	char idt[KT_ID_TEXT_BYTES];
	struct kt_id id, client;
	const char *override = NULL, *by = NULL;
	int type, c, future = 0;

	fields.n = 0;
	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'f':
			future = 1;
			break;
		case 'o':
			override = o->arg;
			break;
		case 'b':
			by = o->arg;
			break;
		case KT_CLI_SET: case KT_CLI_ADD:
			if (kt_cli_fields_keep(&fields, c, o->arg))
				return 1;
			break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 2, NULL))
		return kt_opts_exit(c);
	if (o->nargs < 2)
		return kt_cli_failf("record add: usage: record add TYPE CLIENT_ID --set FIELD=VALUE...");
	argv = o->args - 1; /* argv[1] TYPE, argv[2] CLIENT_ID, as below */
	type = kt_schema_type_parse(argv[1]);
	if (type == KT_T_VISIT)
		return kt_cli_failf("record add: record visits with 'visit add' (it checks allergies)");
	if (type == KT_T_CATALOGUE)
		return kt_cli_failf("record add: add catalogue entries with 'catalog add'");
	if (type == KT_T_CONSENT)
		return kt_cli_failf("record add: record a consent with 'client consent ID --purpose "
				    "P --give|--withdraw'");
	if (type == 0 || type == KT_T_CLIENT)
		return kt_cli_failf("record add: unknown record type '%s' (patch_test, assessment, "
				    "plan, feedback, points)", argv[1]);
	if (kt_cli_id(argv[2], &client) != 0)
		return 1;
	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, (uint8_t)type, &id, 1, &client);
	if (kt_cli_fields_apply(cli, &fields, &d))
		return 1;
	if ((override != NULL || by != NULL) && type != KT_T_POINTS)
		return kt_cli_failf("record add: --override and --by are for points entries (a "
				    "visit's override goes on visit add)");
	if (kt_cli_act(cli, "record add", 0) || record_defaults(cli, &d) ||
	    kt_cli_check_dates(cli, &d, future, "record add"))
		return 1;
	if (kt_cli_may_write(cli, &d, 1, "record add") ||
	    (type == KT_T_POINTS && points_check(cli, &d, &client, override, by) != 0))
		return 1;
	if (kt_cli_write(cli, &d, 1, "record add"))
		return 1;
	kt_id_format(&id, idt);
	printf("%s\n", idt);
	return 0;
}

/* Loads record id (its head, owner and fields) into r; prints the error on failure. */
static int record_load(struct kt_cli *cli, const struct kt_id *id, struct kt_rec *r,
		       MDB_txn **txn)
{
	if (kt_cli_act(cli, "record", 0))
		return -1;
	if (kt_store_rdtxn(&cli->st, txn, &cli->err) != 0)
		return kt_cli_fail(cli), -1;
	kt_rec_init(r);
	if (kt_store_load(&cli->st, *txn, id, r, &cli->err) != 0) {
		kt_rec_release(r);
		mdb_txn_abort(*txn);
		return kt_cli_fail(cli), -1;
	}
	return 0;
}

/* Whether the draft writes a field the chair reads as chair (KT_CH_SERVICES, ...). */
static int draft_touches(const struct kt_draft *d, uint8_t chair)
{
	for (uint32_t i = 0; i < d->nops; i++) {
		const struct kt_field *f = kt_schema_field(d->type, d->ops[i].field);

		if (f != NULL && f->chair == chair)
			return 1;
	}
	return 0;
}

/*
 * An edit of a visit's services or products used runs the safety check on
 * the visit as it will be: the new values where the edit gives them, the
 * stored ones elsewhere.
 */
static int visit_edit_check(struct kt_cli *cli, struct kt_draft *d, const struct kt_rec *r,
			    const char *override, const char *by)
{
	static char services[KT_VALUE_BYTES_MAX + 1], products[KT_VALUE_BYTES_MAX + 1];

	static char date[16], prev_reason[KT_VALUE_BYTES_MAX + 1], prev_by[KT_VALUE_BYTES_MAX + 1];

	int32_t day, today = kt_cli_today(cli);

	if (kt_draft_has(d, "date"))
		snprintf(date, sizeof(date), "%s", draft_text(d, "date"));
	else
		kt_card_text(r, "date", date, sizeof(date));
	if (kt_draft_has(d, "date") && date[0] == '\0')
		return kt_cli_failf("record edit: a visit keeps a date (--set date=YYYY-MM-DD)");
	if (!draft_touches(d, KT_CH_SERVICES) && !draft_touches(d, KT_CH_PRODUCTS) &&
	    (!kt_draft_has(d, "date") || kt_date_parse(date, &day) != 0 || day < today))
		return 0; /* a date moved to today or later judges the patch tests again */
	kt_card_text(r, "override_reason", prev_reason, sizeof(prev_reason));
	kt_card_text(r, "override_by", prev_by, sizeof(prev_by));
	if (draft_touches(d, KT_CH_SERVICES))
		snprintf(services, sizeof(services), "%s", draft_text(d, "services"));
	else
		kt_card_text(r, "services", services, sizeof(services));
	if (draft_touches(d, KT_CH_PRODUCTS))
		snprintf(products, sizeof(products), "%s", draft_text(d, "products_used"));
	else
		kt_card_text(r, "products_used", products, sizeof(products));
	return chair_check(cli, d, &r->owner, services, products, date, prev_reason, prev_by,
			   override, by);
}

static int record_edit(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "future", KT_OPT_FLAG, 'f', 0 },
		{ "override", KT_OPT_VALUE, 'o', 0 },
		{ "by", KT_OPT_VALUE, 'b', 0 },
		KT_CLI_SET_OPT,
		KT_CLI_ADD_OPT,
		KT_CLI_REMOVE_OPT,
		{ NULL, 0, 0, 0 },
	};
	static struct kt_draft d;
	static struct kt_cli_fields fields;
	struct kt_opts *o = kt_cli_opts(cli, "record edit", record_usage, opts, argc, argv);
	const char *override = NULL, *by = NULL;
	struct kt_rec r;
	struct kt_id id;
	MDB_txn *txn;
	int rc, c, future = 0;

	fields.n = 0;
	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'f': future = 1; break;
		case 'o': override = o->arg; break;
		case 'b': by = o->arg; break;
		case KT_CLI_SET: case KT_CLI_ADD: case KT_CLI_REMOVE:
			if (kt_cli_fields_keep(&fields, c, o->arg))
				return 1;
			break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 1, NULL))
		return kt_opts_exit(c);
	if (o->nargs < 1)
		return kt_cli_failf("record edit: which record? (record edit ID --set FIELD=VALUE)");
	if (kt_cli_id(o->args[0], &id) != 0 || record_load(cli, &id, &r, &txn) != 0)
		return 1;
	kt_draft_start(&d, r.type, &id, 0, NULL);
	rc = r.type == KT_T_CONSENT
		     ? kt_cli_failf("record edit: a consent is kept as recorded; a change of mind is a "
				    "new one (client consent ID --purpose P --give|--withdraw)")
		     : kt_cli_fields_apply(cli, &fields, &d);
	if (rc == 0 && (override != NULL || by != NULL) && r.type != KT_T_VISIT)
		rc = kt_opts_fail(o, "%s is for a visit only", override != NULL ? "--override" :
				  "--by");
	if (rc == 0 && d.nops == 0)
		rc = kt_cli_failf("record edit: nothing to change (use --set, --add or --remove)");
	if (rc == 0 && r.type == KT_T_VISIT && override_fields_set(&d, "record edit"))
		rc = 1;
	if (rc == 0 && kt_cli_check_dates(cli, &d, future, "record edit"))
		rc = 1;
	if (rc == 0 && r.type == KT_T_PATCH && kt_draft_has(&d, "subject")) {
		char *key = kt_text_words_key(draft_text(&d, "subject"));

		if (key == NULL)
			rc = kt_cli_failf("record edit: a patch test needs a subject (what was tested)");
		free(key);
	}
	if (rc == 0)
		rc = kt_cli_may_write(cli, &d, 1, "record edit");
	if (rc == 0 && r.type == KT_T_VISIT)
		rc = visit_edit_check(cli, &d, &r, override, by);
	kt_rec_release(&r);
	mdb_txn_abort(txn); /* r's values borrowed from it until here */
	if (rc == 0)
		rc = kt_cli_write(cli, &d, 1, "record edit");
	return rc;
}

/*
 * The fields of r as a person reads them, one a line in the schema's order:
 * numbers as numbers, money with its two decimals, yes/no, a list as its
 * entries joined by commas, dates as dates (kt_card_text); a field number
 * this build does not know as "f<number>".  Control characters a stored
 * value holds are shown, not obeyed (kt_cli_text).
 */
static void print_fields(const struct kt_rec *r)
{
	static char buf[4 * KT_VALUE_BYTES_MAX];
	const struct kt_field *fs[64];
	size_t n = kt_schema_fields(r->type, fs, 64);
	char name[16];

	for (size_t i = 0; i < n; i++) {
		kt_card_text(r, fs[i]->name, buf, sizeof(buf));
		if (buf[0] == '\0')
			continue;
		printf("  %-16s ", fs[i]->name);
		kt_cli_text(buf);
		printf("\n");
	}
	for (uint32_t i = 0; i < r->nfields + r->nelems; i++) {
		uint16_t num = i < r->nfields ? r->fields[i].field : r->elems[i - r->nfields].field;
		const struct kt_val *v = i < r->nfields ? &r->fields[i].v
							: &r->elems[i - r->nfields].v;

		if (kt_schema_field(r->type, num) != NULL || v->t == KT_V_NIL)
			continue;
		snprintf(name, sizeof(name), "f%u", num);
		kt_schema_format(NULL, v, buf, sizeof(buf));
		printf("  %-16s ", name);
		kt_cli_text(buf);
		printf("\n");
	}
}

static int record_show(struct kt_cli *cli, int argc, char **argv)
{
	struct kt_rec r;
	struct kt_id id;
	MDB_txn *txn;
	char idt[KT_ID_TEXT_BYTES];
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *op = kt_cli_opts(cli, "record show", record_usage, opts, argc, argv);
	int json = 0, c;

	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END)
		return kt_opts_exit(c);
	if (op->nargs != 1)
		return kt_cli_failf("record show: usage: record show ID [--json]");
	argv = op->args - 1; /* argv[1] is the ID, as below */
	if (kt_cli_id(argv[1], &id) != 0 || kt_cli_act(cli, "record show", 0))
		return 1;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_rec_init(&r);
	if (kt_store_load(&cli->st, txn, &id, &r, &cli->err) != 0) {
		mdb_txn_abort(txn);
		return kt_cli_fail(cli);
	}
	if (show_allowed(cli, &r) != 0) {
		kt_rec_release(&r);
		mdb_txn_abort(txn);
		return 1;
	}
	if (json) {
		kt_cli_print_json(kt_card_json(&r));
	} else {
		kt_id_format(&r.id, idt);
		printf("%s %s", kt_schema_type_name(r.type), idt);
		if (!kt_schema_self_owned(r.type)) {
			kt_id_format(&r.owner, idt);
			printf(" of client %s", idt);
		}
		printf("\n");
		print_fields(&r);
	}
	kt_rec_release(&r);
	mdb_txn_abort(txn); /* r's values borrowed from it until here */
	return 0;
}

int cmd_record(struct kt_cli *cli, int argc, char **argv)
{
	/* Each subcommand reads its own options, -d and --help among them. */
	int rc = kt_cli_group(argc, argv, record_usage);

	if (rc >= 0)
		return rc;
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return record_add(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "edit") == 0)
		return record_edit(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return record_show(cli, argc - 1, argv + 1);
	return kt_cli_failf("record: expected add, edit or show (see record --help)");
}
