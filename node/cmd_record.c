/*
 * cmd_record.c - visit add (with the safety checks at the chair) and the
 * generic record add/edit/show for patch tests, assessments, care plans,
 * feedback and loyalty points.
 *
 * Safety, offline: a visit is refused, with one line naming the reason,
 * when its services or products used name one of the client's allergies or
 * contraindications (a case- and accent-insensitive match of the allergy's
 * words, in order, among the visit's words), or when a service listed in
 * the patch_test_services setting is booked and her latest patch test for
 * it is missing, failed, pending or expired.  --override REASON goes on and
 * records the reason and who gave it (--by, else $USER) on the visit.
 */
#include "cli.h"
#include "hlc.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static const char visit_usage[] =
	"usage: kt-node -d DIR visit add CLIENT_ID --service NAME [--service NAME]...\n"
	"                  [--amount N] [--date YYYY-MM-DD] [--set FIELD=VALUE]...\n"
	"                  [--override REASON] [--by NAME]\n"
	"\n"
	"Records a visit; prints its id.  Refused when a service or product used names\n"
	"one of the client's allergies or contraindications, or a service that needs a\n"
	"patch test (config patch_test_services) has no valid one; --override REASON\n"
	"goes on and records the reason and who gave it (--by NAME, else $USER).\n"
	"Fields: date branch specialist services amount currency products_used\n"
	"products_sold result rating (1-5).  Defaults: today, this branch, the\n"
	"currency setting.\n"
	"example: kt-node -d DIR visit add 01JD3Q5ZK8W6T9V2M4N7P0R1S3 --service 'Facial "
	"cleansing' --amount 2500 --set specialist=Olga\n";

static const char record_usage[] =
	"usage: kt-node -d DIR record add TYPE CLIENT_ID [--set FIELD=VALUE]... [--add FIELD=VALUE]...\n"
	"       kt-node -d DIR record edit ID [--set FIELD=VALUE]... [--add/--remove FIELD=VALUE]...\n"
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
	"  points      delta reason visit (written once: a correction is a new entry)\n"
	"Visits are recorded with `visit add`, which checks allergies.\n"
	"example: kt-node -d DIR record add patch_test 01JD3Q5ZK8W6T9V2M4N7P0R1S3 "
	"--set subject='hair dye' --set status=passed\n";

static int opt_field(struct kt_cli *cli, struct kt_draft *d, int argc, char **argv, int *i)
{
	uint8_t kind;
	const char *v;

	if (strcmp(argv[*i], "--set") == 0)
		kind = KT_OP_SET;
	else if (strcmp(argv[*i], "--add") == 0)
		kind = KT_OP_ADD;
	else if (strcmp(argv[*i], "--remove") == 0)
		kind = KT_OP_DEL;
	else
		return 0;
	if ((v = kt_cli_arg(argc, argv, i)) == NULL)
		return -1;
	if (kt_draft_assign(d, v, kind, &cli->err) != 0) {
		kt_cli_fail(cli);
		return -1;
	}
	return 1;
}

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

/* The date `months` months after YYYY-MM-DD text, clamped to the month's end. */
static void add_months(const char *date, int months, char out[11])
{
	int32_t days;
	int y, m, d;

	if (kt_date_parse(date, &days) != 0) {
		out[0] = '\0';
		return;
	}
	kt_date_ymd(days, &y, &m, &d);
	m += months;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	for (; d > 28; d--) {
		char t[16];

		snprintf(t, sizeof(t), "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
		if (kt_date_parse(t, &days) == 0)
			break;
	}
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
}

/* ---- safety at the chair ---- */

struct patch_find {
	struct kt_cli *cli;
	MDB_txn *txn;
	const char *service;
	char date[16], status[32], until[16];
	int found;
};

static int patch_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct patch_find *p = ctx;
	struct kt_rec r;
	char subj[1024], date[16];

	(void)type;
	kt_rec_init(&r);
	if (kt_store_load(&p->cli->st, p->txn, id, &r, NULL) == 0) {
		kt_card_text(&r, "subject", subj, sizeof(subj));
		kt_card_text(&r, "date", date, sizeof(date));
		if ((kt_text_phrase_in(p->service, subj) || kt_text_phrase_in(subj, p->service)) &&
		    (!p->found || strcmp(date, p->date) >= 0)) {
			p->found = 1;
			snprintf(p->date, sizeof(p->date), "%s", date);
			kt_card_text(&r, "status", p->status, sizeof(p->status));
			kt_card_text(&r, "valid_until", p->until, sizeof(p->until));
		}
	}
	kt_rec_release(&r);
	return 0;
}

/* Checks one service that needs a patch test; writes the reason and returns 1 to refuse. */
static int patch_refuses(struct kt_cli *cli, MDB_txn *txn, const struct kt_id *client,
			 const char *service, char *why, size_t cap)
{
	struct patch_find p;
	int32_t until;

	memset(&p, 0, sizeof(p));
	p.cli = cli;
	p.txn = txn;
	p.service = service;
	kt_store_owned(&cli->st, txn, client, KT_T_PATCH, patch_one, &p, NULL);
	if (!p.found)
		snprintf(why, cap, "'%s' needs a patch test and the client has none on record",
			 service);
	else if (strcmp(p.status, "passed") != 0)
		snprintf(why, cap, "'%s' needs a patch test and hers of %s is %s", service,
			 p.date, p.status[0] ? p.status : "pending");
	else if (kt_date_parse(p.until, &until) == 0 && until < kt_cli_today())
		snprintf(why, cap, "'%s' needs a patch test and hers of %s expired on %s",
			 service, p.date, p.until);
	else
		return 0;
	return 1;
}

static int patch_services_refuse(struct kt_cli *cli, MDB_txn *txn, const struct kt_id *client,
				 const char *services, char *why, size_t cap)
{
	char list[KT_SETTING_BYTES_MAX], *save = NULL, *tok;

	kt_cli_setting(cli, "patch_test_services", "", list, sizeof(list));
	for (tok = strtok_r(list, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
		while (*tok == ' ')
			tok++;
		if (*tok && kt_text_phrase_in(tok, services) &&
		    patch_refuses(cli, txn, client, tok, why, cap))
			return 1;
	}
	return 0;
}

/* Returns 1 and the reason when the visit must not go ahead without an override. */
static int safety_refuses(struct kt_cli *cli, MDB_txn *txn, const struct kt_id *client,
			  const char *services, const char *products, char *why, size_t cap)
{
	struct kt_rec c;
	int refused = 0;

	kt_rec_init(&c);
	if (kt_store_load(&cli->st, txn, client, &c, NULL) != 0) {
		kt_rec_release(&c);
		return 0; /* the write itself reports the unknown client */
	}
	for (uint32_t i = 0; i < c.nelems && !refused; i++) {
		const struct kt_relem *e = &c.elems[i];
		char item[KT_VALUE_BYTES_MAX + 1];
		const char *in;

		if ((e->field != 15 && e->field != 16) || e->v.t != KT_V_STR)
			continue;
		snprintf(item, sizeof(item), "%.*s", (int)e->v.n, e->v.s);
		in = kt_text_phrase_in(item, services) ? services :
		     kt_text_phrase_in(item, products) ? products : NULL;
		if (in != NULL) {
			snprintf(why, cap, "the client %s '%.200s', named in '%.300s'",
				 e->field == 15 ? "is allergic to" : "has the contraindication",
				 item, in);
			refused = 1;
		}
	}
	kt_rec_release(&c);
	return refused || patch_services_refuse(cli, txn, client, services, why, cap);
}

/* ---- visit add ---- */

struct visit_opts {
	char services[KT_VALUE_BYTES_MAX + 1];
	const char *amount, *date, *override, *by;
};

static int visit_parse(struct kt_cli *cli, struct kt_draft *d, struct visit_opts *o,
		       int argc, char **argv)
{
	size_t n = 0;
	int r;

	for (int i = 2; i < argc; i++) {
		const char *v;

		if ((r = opt_field(cli, d, argc, argv, &i)) < 0)
			return 1;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--service") && strcmp(argv[i], "--amount") &&
		    strcmp(argv[i], "--date") && strcmp(argv[i], "--override") &&
		    strcmp(argv[i], "--by"))
			return kt_cli_failf("visit add: unknown option '%s'", argv[i]);
		if ((v = kt_cli_arg(argc, argv, &i)) == NULL)
			return 1;
		if (strcmp(argv[i - 1], "--service") == 0) {
			int k = snprintf(o->services + n, sizeof(o->services) - n, "%s%s",
					 n ? ", " : "", v);
			if (k < 0 || (size_t)k >= sizeof(o->services) - n)
				return kt_cli_failf("visit add: services over %d bytes",
						    KT_VALUE_BYTES_MAX);
			n += (size_t)k;
		} else if (strcmp(argv[i - 1], "--amount") == 0) {
			o->amount = v;
		} else if (strcmp(argv[i - 1], "--date") == 0) {
			o->date = v;
		} else if (strcmp(argv[i - 1], "--override") == 0) {
			o->override = v;
		} else {
			o->by = v;
		}
	}
	return 0;
}

static int visit_add(struct kt_cli *cli, int argc, char **argv)
{
	static struct kt_draft d;
	static struct visit_opts o;
	static char today[11], branch[KT_BRANCH_BYTES_MAX + 1], cur[KT_SETTING_BYTES_MAX];
	static char services[KT_VALUE_BYTES_MAX + 1], products[KT_VALUE_BYTES_MAX + 1];
	char why[1024], idt[KT_ID_TEXT_BYTES];
	struct kt_id id, client;
	MDB_txn *txn;
	int refused;

	if (argc < 2 || argv[1][0] == '-')
		return kt_cli_failf("visit add: which client? (visit add CLIENT_ID --service NAME)");
	if (kt_cli_id(argv[1], &client) != 0)
		return 1;
	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, KT_T_VISIT, &id, 1, &client);
	if (visit_parse(cli, &d, &o, argc, argv) != 0)
		return 1;
	if ((o.services[0] && kt_draft_field(&d, "services", o.services, KT_OP_SET, &cli->err)) ||
	    (o.amount && kt_draft_field(&d, "amount", o.amount, KT_OP_SET, &cli->err)) ||
	    (o.date && kt_draft_field(&d, "date", o.date, KT_OP_SET, &cli->err)))
		return kt_cli_fail(cli);
	if (!kt_draft_has(&d, "services"))
		return kt_cli_failf("visit add: --service NAME is required");
	if (kt_cli_open(cli))
		return 1;
	kt_cli_today_text(today);
	kt_cli_branch(cli, branch, sizeof(branch));
	kt_cli_setting(cli, "currency", "RUB", cur, sizeof(cur));
	if (default_field(cli, &d, "date", today) || default_field(cli, &d, "branch", branch) ||
	    default_field(cli, &d, "currency", cur))
		return 1;
	snprintf(services, sizeof(services), "%s", draft_text(&d, "services"));
	snprintf(products, sizeof(products), "%s", draft_text(&d, "products_used"));
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	refused = safety_refuses(cli, txn, &client, services, products, why, sizeof(why));
	mdb_txn_abort(txn);
	if (refused && o.override == NULL)
		return kt_cli_failf("visit refused: %s (to go on, add --override REASON)", why);
	if (refused) {
		if (o.by == NULL)
			o.by = getenv("USER") ? getenv("USER") : "unknown";
		if (kt_draft_field(&d, "override_reason", o.override, KT_OP_SET, &cli->err) ||
		    kt_draft_field(&d, "override_by", o.by, KT_OP_SET, &cli->err))
			return kt_cli_fail(cli);
		fprintf(stderr, "warning: %s; recorded with override by %s: %s\n", why, o.by,
			o.override);
	}
	if (kt_store_write(&cli->st, &d, 1, NULL, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_id_format(&id, idt);
	printf("%s\n", idt);
	return 0;
}

int cmd_visit(struct kt_cli *cli, int argc, char **argv)
{
	if (kt_cli_help(argc, argv, visit_usage))
		return 0;
	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return kt_cli_failf("visit: expected 'visit add CLIENT_ID --service NAME'");
	return visit_add(cli, argc - 1, argv + 1);
}

/* ---- record add, edit, show ---- */

static int record_defaults(struct kt_cli *cli, struct kt_draft *d)
{
	static char today[11], branch[KT_BRANCH_BYTES_MAX + 1], until[11], months[16];

	kt_cli_today_text(today);
	kt_cli_branch(cli, branch, sizeof(branch));
	switch (d->type) {
	case KT_T_PATCH:
		if (!kt_draft_has(d, "subject"))
			return kt_cli_failf("record add: a patch_test needs --set subject=...");
		if (default_field(cli, d, "date", today) || default_field(cli, d, "branch", branch) ||
		    default_field(cli, d, "status", "pending"))
			return 1;
		kt_cli_setting(cli, "patch_test_months", "6", months, sizeof(months));
		add_months(draft_text(d, "date"), atoi(months), until);
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
		return 0;
	}
	return 0;
}

static int record_add(struct kt_cli *cli, int argc, char **argv)
{
	static struct kt_draft d;
	char idt[KT_ID_TEXT_BYTES];
	struct kt_id id, client;
	int type, r;

	if (argc < 3)
		return kt_cli_failf("record add: usage: record add TYPE CLIENT_ID --set FIELD=VALUE...");
	type = kt_schema_type_parse(argv[1]);
	if (type == KT_T_VISIT)
		return kt_cli_failf("record add: record visits with 'visit add' (it checks allergies)");
	if (type == 0 || type == KT_T_CLIENT)
		return kt_cli_failf("record add: unknown record type '%s' (patch_test, assessment, "
				    "plan, feedback, points)", argv[1]);
	if (kt_cli_id(argv[2], &client) != 0)
		return 1;
	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, (uint8_t)type, &id, 1, &client);
	for (int i = 3; i < argc; i++) {
		if ((r = opt_field(cli, &d, argc, argv, &i)) < 0)
			return 1;
		if (r == 0)
			return kt_cli_failf("record add: unknown option '%s'", argv[i]);
	}
	if (kt_cli_open(cli) || record_defaults(cli, &d))
		return 1;
	if (kt_store_write(&cli->st, &d, 1, NULL, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_id_format(&id, idt);
	printf("%s\n", idt);
	return 0;
}

/* Loads the record's head to learn its type; prints the error on failure. */
static int record_type(struct kt_cli *cli, const struct kt_id *id, uint8_t *type)
{
	struct kt_rec r;
	MDB_txn *txn;
	int rc;

	if (kt_cli_open(cli))
		return -1;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli), -1;
	kt_rec_init(&r);
	rc = kt_store_load(&cli->st, txn, id, &r, &cli->err);
	*type = r.type;
	kt_rec_release(&r);
	mdb_txn_abort(txn);
	return rc != 0 ? (kt_cli_fail(cli), -1) : 0;
}

static int record_edit(struct kt_cli *cli, int argc, char **argv)
{
	static struct kt_draft d;
	struct kt_id id;
	uint8_t type;
	int r;

	if (argc < 2)
		return kt_cli_failf("record edit: which record? (record edit ID --set FIELD=VALUE)");
	if (kt_cli_id(argv[1], &id) != 0 || record_type(cli, &id, &type) != 0)
		return 1;
	kt_draft_start(&d, type, &id, 0, NULL);
	for (int i = 2; i < argc; i++) {
		if ((r = opt_field(cli, &d, argc, argv, &i)) < 0)
			return 1;
		if (r == 0)
			return kt_cli_failf("record edit: unknown option '%s'", argv[i]);
	}
	if (d.nops == 0)
		return kt_cli_failf("record edit: nothing to change (use --set, --add or --remove)");
	if (kt_store_write(&cli->st, &d, 1, NULL, &cli->err) != 0)
		return kt_cli_fail(cli);
	return 0;
}

static int record_show(struct kt_cli *cli, int argc, char **argv)
{
	struct kt_rec r;
	struct kt_id id;
	MDB_txn *txn;
	json_t *o, *v;
	const char *k;
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;

	if (argc < 2 || (argc > 2 && !json))
		return kt_cli_failf("record show: usage: record show ID [--json]");
	if (kt_cli_id(argv[1], &id) != 0 || kt_cli_open(cli))
		return 1;
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
	if (json) {
		kt_cli_print_json(o);
		return 0;
	}
	printf("%s %s", json_string_value(json_object_get(o, "type")),
	       json_string_value(json_object_get(o, "id")));
	if (json_object_get(o, "client"))
		printf(" of client %s", json_string_value(json_object_get(o, "client")));
	printf("\n");
	json_object_foreach(json_object_get(o, "fields"), k, v) {
		char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT);

		printf("  %-16s %s\n", k, s ? s : json_string_value(v));
		free(s);
	}
	json_decref(o);
	return 0;
}

int cmd_record(struct kt_cli *cli, int argc, char **argv)
{
	if (kt_cli_help(argc, argv, record_usage))
		return 0;
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return record_add(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "edit") == 0)
		return record_edit(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return record_show(cli, argc - 1, argv + 1);
	return kt_cli_failf("record: expected add, edit or show (see record --help)");
}
