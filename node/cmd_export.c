/*
 * cmd_export.c - `export`: every record as one deterministic JSON document
 * (`export --csv` is cmd_export_csv.c's).
 *
 * Export streams: the envelope, then each record in id order as
 * kt_card_json() renders it (sorted keys, compact), so two converged nodes
 * print the same bytes and a million records never sit in memory at once.
 */
#include "cli.h"
#include "card.h"
#include "consent.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char export_usage[] =
	"usage: kt-node -d DIR export [--json]\n"
	"       kt-node -d DIR export --csv --out FOLDER\n"
	"       kt-node -d DIR export --marketing [--json]\n"
	"\n"
	"Prints every record of this node (client cards, visits, patch tests,\n"
	"assessments, care plans, feedback, loyalty points), sorted by id, as one\n"
	"line of JSON: {\"format\":\"kartoteka-export\",\"version\":1,\"records\":[...]}.\n"
	"Two nodes holding the same changes print the same bytes.  `import` reads\n"
	"the output back into another node, keeping the ids: the backup format.\n"
	"--csv writes client cards and visits for a spreadsheet instead, as two files\n"
	"in FOLDER (made when missing; one holding either file is refused):\n"
	"clients.csv (id, every client field, merged_into) and visits.csv (id,\n"
	"client: her card's id, name, every visit field).  UTF-8 with a BOM, CRLF,\n"
	"cells quoted as RFC 4180 says; the separator is ';' when the node's country\n"
	"writes decimals with a comma (RU, MD, RO, UA, BY, KZ, most of Europe; amounts\n"
	"then have a decimal comma too), else ','; a list's entries are joined by\n"
	"\"; \".  `import FOLDER/clients.csv`, then `import FOLDER/visits.csv`, read\n"
	"them back with their ids.  Other records are in the JSON export only.\n"
	"--marketing prints a mailing list instead: the clients whose marketing consent\n"
	"is given (client consent; a card merged into another is listed as that card),\n"
	"with their contacts only, as {\"format\":\"kartoteka-marketing\",\"version\":1,\n"
	"\"clients\":[{\"id\",\"name\",\"phone\",\"email\",\"birthday\",\"consent\":\n"
	"{\"date\",\"version\"}}]}, sorted by id; a client without it is left out.\n"
	"  --json        (the default) print JSON\n"
	"  --csv         write clients.csv and visits.csv\n"
	"  --out FOLDER  where --csv writes\n"
	"  --marketing   only clients who consented to marketing, contacts only\n"
	"example: kt-node -d /var/lib/kartoteka export --json > backup.json\n"
	"         kt-node -d /var/lib/kartoteka export --csv --out ~/kartoteka-csv\n";

struct export_ctx {
	struct kt_cli *cli;
	MDB_txn *txn;
	size_t n;
};

static int export_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct export_ctx *e = ctx;
	struct kt_rec r;
	json_t *o;
	int rc;

	if (type == KT_T_STAFF || type == KT_T_AUDIT)
		return 0; /* accounts and reads are not the cards' data: `staff list`, `audit` */
	kt_rec_init(&r);
	if (kt_store_load(&e->cli->st, e->txn, id, &r, &e->cli->err) != 0) {
		kt_rec_release(&r);
		return -1;
	}
	o = kt_card_json(&r); /* copies the values out before the txn ends */
	kt_rec_release(&r);
	if (e->n++ > 0)
		fputc(',', stdout);
	rc = json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	if (rc != 0)
		return kt_err_set(&e->cli->err, KT_EIO, "cannot write: %s", strerror(errno));
	return 0;
}

struct marketing {
	struct kt_cli *cli;
	MDB_txn *txn;
	size_t n;
};

/* One card of the mailing list, when her marketing consent is given. */
static int marketing_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	static const char *const contacts[] = { "name", "phone", "email", "birthday" };
	struct marketing *m = ctx;
	struct kt_consents cs = { 0 };
	const struct kt_consent *c;
	char buf[KT_VALUE_BYTES_MAX + 1], idt[KT_ID_TEXT_BYTES];
	struct kt_id to;
	struct kt_rec r;
	json_t *o;
	int rc;

	(void)type;
	if (kt_store_alias_of(&m->cli->st, m->txn, id, &to))
		return 0; /* listed as the card it was merged into */
	if ((rc = kt_consents_load(&m->cli->st, m->txn, id, &cs, &m->cli->err)) != 0)
		return rc;
	c = kt_consent_current(cs.c, cs.n, KT_CONSENT_MARKETING);
	if (c == NULL || !c->given) {
		kt_consents_release(&cs);
		return 0;
	}
	kt_rec_init(&r);
	if ((rc = kt_store_load(&m->cli->st, m->txn, id, &r, &m->cli->err)) != 0) {
		kt_rec_release(&r);
		kt_consents_release(&cs);
		return rc;
	}
	o = json_object();
	kt_id_format(id, idt);
	json_object_set_new(o, "id", json_string(idt));
	for (size_t i = 0; i < sizeof(contacts) / sizeof(contacts[0]); i++) {
		kt_card_text(&r, contacts[i], buf, sizeof(buf));
		json_object_set_new(o, contacts[i], buf[0] ? json_string(buf) : json_null());
	}
	json_object_set_new(o, "consent",
			    json_pack("{s:s?, s:s?}", "date", c->date[0] ? c->date : NULL,
				      "version", c->version[0] ? c->version : NULL));
	kt_rec_release(&r);
	kt_consents_release(&cs);
	if (m->n++ > 0)
		fputc(',', stdout);
	rc = json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	if (rc != 0)
		return kt_err_set(&m->cli->err, KT_EIO, "cannot write: %s", strerror(errno));
	kt_cli_audit(m->cli, "export", KT_P_CONTACTS, id);
	return 0;
}

/* export --marketing: the mailing list (see the usage). */
static int export_marketing(struct kt_cli *cli)
{
	struct marketing m = { cli, NULL, 0 };
	int rc;

	if (kt_cli_act(cli, "export", KT_CAN_EXPORT))
		return 1;
	if (kt_store_rdtxn(&cli->st, &m.txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_err_clear(&cli->err);
	fputs("{\"format\":\"kartoteka-marketing\",\"version\":1,\"clients\":[", stdout);
	rc = kt_store_each(&cli->st, m.txn, KT_T_CLIENT, marketing_one, &m, &cli->err);
	mdb_txn_abort(m.txn);
	if (rc == 0)
		fputs("]}\n", stdout);
	if (fflush(stdout) != 0 && rc == 0)
		return kt_cli_failf("export: cannot write: %s", strerror(errno));
	if (rc != 0)
		return kt_cli_failf("export: %s", cli->err.msg[0] ? cli->err.msg
				    : "cannot read the store");
	return 0;
}

int cmd_export(struct kt_cli *cli, int argc, char **argv)
{
	struct export_ctx e = { cli, NULL, 0 };
	int rc;

	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ "csv", KT_OPT_FLAG, 'c', 0 },
		{ "out", KT_OPT_VALUE, 'o', 0 },
		{ "marketing", KT_OPT_FLAG, 'm', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "export", export_usage, opts, argc, argv);
	const char *out = NULL;
	int csv = 0, json = 0, marketing = 0, c;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON: json = 1; break;
		case 'c': csv = 1; break;
		case 'o': out = o->arg; break;
		case 'm': marketing = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (csv && json)
		return kt_cli_failf("export: --csv or --json, not both");
	if (marketing && (csv || out != NULL))
		return kt_cli_failf("export: --marketing prints JSON; --csv is for the whole export");
	if (marketing)
		return export_marketing(cli);
	if (csv != (out != NULL))
		return kt_cli_failf(csv ? "export: --csv writes two files: --csv --out FOLDER"
				    : "export: --out is for --csv (JSON goes to stdout)");
	if (csv)
		return kt_cli_export_csv(cli, out);
	if (kt_cli_act(cli, "export", KT_CAN_EXPORT))
		return 1;
	if (kt_store_rdtxn(&cli->st, &e.txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_err_clear(&cli->err);
	kt_cli_audit_all(cli, "export", KT_P_CARD, NULL);
	fputs("{\"format\":\"kartoteka-export\",\"version\":1,\"records\":[", stdout);
	rc = kt_store_each(&cli->st, e.txn, 0, export_one, &e, &cli->err);
	mdb_txn_abort(e.txn);
	/* On failure the document stays unclosed, so no reader takes it as whole. */
	if (rc == 0)
		fputs("]}\n", stdout);
	if (fflush(stdout) != 0 && rc == 0)
		return kt_cli_failf("export: cannot write: %s", strerror(errno));
	if (rc != 0)
		return kt_cli_failf("export: %s", cli->err.msg[0] ? cli->err.msg
				    : "cannot read the store");
	return 0;
}
