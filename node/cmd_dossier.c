/*
 * cmd_dossier.c - `client dossier ID [--json]`: everything this node holds
 * about a client, for her request of access (GDPR art. 15) or of
 * portability (art. 20): every card of her merge group, every record they
 * own (visits, patch tests, assessments, care plans, feedback, points,
 * consents), her consents with their history, the open conflicts of those
 * records (a value a branch wrote that lost is held too), and her access
 * log: every audit record that names one of her cards or every card (an
 * export).  A manager's (KT_CAN_DOSSIER); the dossier is itself a read,
 * audited as "dossier" over every card of the group.
 *
 * The cards and records are in the export's record format (card.h,
 * kt_card_json), so `import` reads them back at another node.
 */
#include "cli.h"
#include "consent.h"
#include "when.h"

#include <stdlib.h>
#include <string.h>

static const char dossier_usage[] =
	"usage: kt-node -d DIR client dossier ID [--json]\n"
	"\n"
	"Prints everything this node holds about a client, for her request of access\n"
	"or portability: every card of her merge group (cards merged into hers, and\n"
	"hers into another), every record of those cards (visits, patch tests,\n"
	"assessments, care plans, feedback, loyalty points, consents), her consents\n"
	"with their history, the open conflicts of those records, and her access log\n"
	"(every recorded read of her cards at any branch, exports included).\n"
	"--json prints it as one object: {\"format\": \"kartoteka-dossier\", \"version\":\n"
	"1, \"client\", \"made\": {\"at_ms\", \"by\", \"by_id\", \"branch\"}, \"cards\": [...],\n"
	"\"records\": [...], \"consents\": {\"current\", \"history\"}, \"conflicts\": [...],\n"
	"\"access_log\": [...]}; cards and records are in export's format, so `import`\n"
	"reads them.  Managers only; the dossier is itself audited (\"dossier\").\n"
	"example: kt-node -d DIR client dossier 01JD3Q5ZK8W6T9V2M4N7P0R1S4 --json > dossier.json\n";

struct dossier {
	struct kt_cli *cli;
	MDB_txn *txn;
	json_t *records, *conflicts, *log;
	const struct kt_id *card; /* the card being walked */
	int failed;
};

static int record_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct dossier *x = ctx;
	struct kt_rec r;

	if (type == KT_T_CLIENT)
		return 0; /* the card owns itself: it is among the cards */
	kt_rec_init(&r);
	if (kt_store_load(&x->cli->st, x->txn, id, &r, &x->cli->err) != 0) {
		kt_rec_release(&r);
		x->failed = 1;
		return -1; /* a dossier that leaves a record out is no dossier */
	}
	json_array_append_new(x->records, kt_card_json(&r));
	kt_rec_release(&r);
	return 0;
}

static int conflict_one(void *ctx, const struct kt_conflict *c)
{
	struct dossier *x = ctx;
	char idt[KT_ID_TEXT_BYTES], name[16], mine[KT_VALUE_BYTES_MAX + 1],
		other[KT_VALUE_BYTES_MAX + 1];
	struct kt_rec r;
	const struct kt_field *f = NULL;

	kt_rec_init(&r);
	if (kt_store_load(&x->cli->st, x->txn, &c->id, &r, NULL) == 0)
		f = kt_schema_field(r.type, c->field);
	kt_rec_release(&r);
	kt_id_format(&c->id, idt);
	snprintf(name, sizeof(name), "f%u", c->field);
	kt_schema_format(f, &c->hi_val, mine, sizeof(mine));
	kt_schema_format(f, &c->lo_val, other, sizeof(other));
	json_array_append_new(x->conflicts,
			      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "record", idt, "field",
					f ? f->name : name, "value", mine, "branch", c->hi_branch,
					"other_value", other, "other_branch", c->lo_branch));
	return 0;
}

static int audit_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct dossier *x = ctx;
	struct kt_rec r;

	(void)type;
	kt_rec_init(&r);
	if (kt_store_load(&x->cli->st, x->txn, id, &r, NULL) == 0 && r.type == KT_T_AUDIT)
		json_array_append_new(x->log, kt_cli_audit_json(&r));
	kt_rec_release(&r);
	return 0;
}

static int by_key(const void *a, const void *b, const char *key)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, key)),
		      json_string_value(json_object_get(*(json_t *const *)b, key)));
}

static int by_id(const void *a, const void *b)
{
	return by_key(a, b, "id");
}

/* Sorts an array of objects by "id" and drops repeats (a read of two of her cards). */
static void sort_unique(json_t *a)
{
	size_t n = json_array_size(a), i;
	json_t **v = kt_calloc(n ? n : 1, sizeof(*v)), *it;

	json_array_foreach(a, i, it)
		v[i] = json_incref(it);
	qsort(v, n, sizeof(*v), by_id);
	json_array_clear(a);
	for (i = 0, it = NULL; i < n; i++) {
		if (it != NULL && by_id(&v[i], &it) == 0) {
			json_decref(v[i]);
		} else {
			it = v[i]; /* the array holds it from here */
			json_array_append_new(a, v[i]);
		}
	}
	free(v);
}

/*
 * Keeps in an audit record's cards (an array of id texts) only hers,
 * ids[0..n), and the zero id of an export: the other clients a read named
 * with her (a birthdays list) are theirs, not part of her dossier.
 */
static void only_hers(json_t *cards, const struct kt_id *ids, size_t n)
{
	size_t i = 0;

	while (i < json_array_size(cards)) {
		struct kt_id id;
		int keep = 0;

		if (kt_id_parse(&id, json_string_value(json_array_get(cards, i))) == 0) {
			keep = kt_id_is_zero(&id);
			for (size_t k = 0; k < n && !keep; k++)
				keep = kt_id_cmp(&id, &ids[k]) == 0;
		}
		if (keep)
			i++;
		else
			json_array_remove(cards, i);
	}
}

/* Every record the cards own, their conflicts and the reads of them, into x. */
static int gather(struct dossier *x, const struct kt_id *ids, size_t n, json_t *cards)
{
	struct kt_cli *cli = x->cli;
	struct kt_id every;
	size_t i;
	json_t *it;

	memset(&every, 0, sizeof(every));
	for (size_t k = 0; k < n; k++) {
		struct kt_rec r;

		kt_rec_init(&r);
		if (kt_store_load(&cli->st, x->txn, &ids[k], &r, &cli->err) != 0) {
			kt_rec_release(&r);
			return -1;
		}
		json_array_append_new(cards, kt_card_json(&r));
		kt_rec_release(&r);
		if (kt_store_owned(&cli->st, x->txn, &ids[k], 0, record_one, x, &cli->err) != 0 ||
		    x->failed)
			return -1;
		if (kt_store_audits_of(&cli->st, x->txn, &ids[k], audit_one, x, &cli->err) < 0)
			return -1;
	}
	if (kt_store_audits_of(&cli->st, x->txn, &every, audit_one, x, &cli->err) < 0)
		return -1;
	sort_unique(cards);
	sort_unique(x->records);
	sort_unique(x->log);
	json_array_foreach(x->log, i, it)
		only_hers(json_object_get(it, "clients"), ids, n);
	/* The open conflicts of each card and record. */
	json_array_foreach(cards, i, it) {
		struct kt_id id;

		if (kt_id_parse(&id, json_string_value(json_object_get(it, "id"))) == 0 &&
		    kt_store_conflicts_of(&cli->st, x->txn, &id, conflict_one, x, &cli->err) != 0)
			return -1;
	}
	json_array_foreach(x->records, i, it) {
		struct kt_id id;

		if (kt_id_parse(&id, json_string_value(json_object_get(it, "id"))) == 0 &&
		    kt_store_conflicts_of(&cli->st, x->txn, &id, conflict_one, x, &cli->err) != 0)
			return -1;
	}
	return 0;
}

/* A JSON value of a record's fields as one line of text. */
static void print_value(json_t *v)
{
	size_t i;
	json_t *it;

	if (json_is_string(v))
		kt_cli_text(json_string_value(v));
	else if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		printf("%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_array(v))
		json_array_foreach(v, i, it) {
			printf("%s", i ? ", " : "");
			print_value(it);
		}
}

static void print_record(json_t *r)
{
	json_t *fields = json_object_get(r, "fields"), *v;
	const char *k, *m = json_string_value(json_object_get(r, "merged_into"));
	const char *owner = json_string_value(json_object_get(r, "client"));

	printf("  %s %s", json_string_value(json_object_get(r, "type")),
	       json_string_value(json_object_get(r, "id")));
	if (owner != NULL)
		printf(" (card %s)", owner);
	if (m != NULL)
		printf(" (merged into %s)", m);
	printf("\n");
	json_object_foreach(fields, k, v) {
		printf("    %-18s ", k);
		print_value(v);
		printf("\n");
	}
}

static void print_log(json_t *log)
{
	size_t i;
	json_t *it;
	char when[64];

	printf("\nAccess log (%zu reads recorded):\n", json_array_size(log));
	json_array_foreach(log, i, it) {
		kt_when_text((int64_t)(json_integer_value(json_object_get(it, "at_ms")) / 1000), when,
			     sizeof(when));
		printf("  %s  ", when);
		kt_cli_pad(json_string_value(json_object_get(it, "branch")), 12);
		kt_cli_pad(json_string_value(json_object_get(it, "staff")), 20);
		printf("%-9s %s", json_string_value(json_object_get(it, "what")),
		       json_string_value(json_object_get(it, "parts")));
		if (json_is_true(json_object_get(it, "all")))
			printf(" (every card)");
		if (json_string_length(json_object_get(it, "reason")) > 0) {
			printf("  reason: ");
			kt_cli_text(json_string_value(json_object_get(it, "reason")));
		}
		printf("\n");
	}
}

static void print_text(struct kt_cli *cli, MDB_txn *txn, json_t *doc, const struct kt_consents *s)
{
	json_t *cards = json_object_get(doc, "cards"), *recs = json_object_get(doc, "records");
	json_t *cf = json_object_get(doc, "conflicts"), *made = json_object_get(doc, "made"), *it;
	char when[64];
	size_t i;

	kt_when_text((int64_t)(json_integer_value(json_object_get(made, "at_ms")) / 1000), when,
		     sizeof(when));
	printf("Dossier of client %s, made %s by ", json_string_value(json_object_get(doc, "client")),
	       when);
	kt_cli_text(json_string_value(json_object_get(made, "by")));
	printf(" at ");
	kt_cli_text(json_string_value(json_object_get(made, "branch")));
	printf("\nEverything this node holds about her (--json: the same, machine-readable).\n");
	printf("\nCards (%zu):\n", json_array_size(cards));
	json_array_foreach(cards, i, it)
		print_record(it);
	printf("\nRecords (%zu):\n", json_array_size(recs));
	json_array_foreach(recs, i, it)
		print_record(it);
	kt_cli_consents_print(cli, txn, s);
	printf("\nOpen conflicts (%zu)%s\n", json_array_size(cf), json_array_size(cf) ? ":" : "");
	json_array_foreach(cf, i, it) {
		printf("  %s %s: ", json_string_value(json_object_get(it, "record")),
		       json_string_value(json_object_get(it, "field")));
		kt_cli_text(json_string_value(json_object_get(it, "value")));
		printf(" (");
		kt_cli_text(json_string_value(json_object_get(it, "branch")));
		printf("), also ");
		kt_cli_text(json_string_value(json_object_get(it, "other_value")));
		printf(" (");
		kt_cli_text(json_string_value(json_object_get(it, "other_branch")));
		printf(")\n");
	}
	print_log(json_object_get(doc, "access_log"));
}

int kt_cli_dossier(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "client dossier", dossier_usage, opts, argc, argv);
	struct dossier x = { .cli = cli };
	struct kt_consents s = { 0 };
	char branch[KT_BRANCH_BYTES_MAX + 1], me[KT_ID_TEXT_BYTES], idt[KT_ID_TEXT_BYTES];
	struct kt_id id, *ids;
	size_t n = 0;
	int json = 0, c, rc;
	json_t *doc, *cards;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 1, NULL))
		return kt_opts_exit(c);
	if (o->nargs < 1)
		return kt_cli_failf("client dossier: whose? (client dossier ID [--json])");
	if (kt_cli_id(o->args[0], &id) != 0 || kt_cli_act(cli, "client dossier", KT_CAN_DOSSIER))
		return 1;
	if (kt_store_rdtxn(&cli->st, &x.txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	if (!kt_store_is_client(&cli->st, x.txn, &id)) {
		rc = kt_store_erased(&cli->st, x.txn, &id)
			     ? kt_cli_failf("client dossier: client '%s' was erased: nothing of hers "
					    "is held but the audit's ids (audit --client %s)",
					    o->args[0], o->args[0])
			     : kt_cli_failf("client dossier: no client '%s'", o->args[0]);
		mdb_txn_abort(x.txn);
		return rc;
	}
	ids = kt_calloc(KT_CONSENT_GROUP_MAX, sizeof(*ids));
	rc = kt_store_erase_group(&cli->st, x.txn, &id, ids, KT_CONSENT_GROUP_MAX, &n, &cli->err);
	if (rc == 0)
		rc = kt_consents_load(&cli->st, x.txn, &id, &s, &cli->err);
	x.records = json_array();
	x.conflicts = json_array();
	x.log = json_array();
	cards = json_array();
	if (rc == 0)
		rc = gather(&x, ids, n, cards);
	if (rc != 0) {
		rc = kt_cli_failf("client dossier: cannot read all she has: %s",
				  cli->err.msg[0] ? cli->err.msg : "the store");
		json_decref(cards);
		json_decref(x.records);
		json_decref(x.conflicts);
		json_decref(x.log);
		goto done;
	}
	kt_cli_branch(cli, branch, sizeof(branch));
	kt_id_format(&cli->me.id, me);
	kt_id_format(&id, idt);
	doc = json_object();
	json_object_set_new(doc, "format", json_string("kartoteka-dossier"));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "client", json_string(idt));
	json_object_set_new(doc, "made",
			    json_pack("{s:I, s:s, s:s, s:s}", "at_ms",
				      (json_int_t)kt_store_now(&cli->st), "by", cli->me.name, "by_id",
				      me, "branch", branch));
	json_object_set_new(doc, "cards", cards);
	json_object_set_new(doc, "records", x.records);
	json_object_set_new(doc, "consents", kt_consents_json(&cli->st, x.txn, &s));
	json_object_set_new(doc, "conflicts", x.conflicts);
	json_object_set_new(doc, "access_log", x.log);
	if (json)
		kt_cli_print_json(json_incref(doc));
	else
		print_text(cli, x.txn, doc, &s);
	json_decref(doc);
	for (size_t k = 0; k < n; k++)
		kt_cli_audit(cli, "dossier", KT_P_CARD, &ids[k]);
done:
	kt_consents_release(&s);
	free(ids);
	mdb_txn_abort(x.txn);
	return rc;
}
