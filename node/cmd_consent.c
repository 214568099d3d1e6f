/*
 * cmd_consent.c - `client consent`: a consent given or withdrawn, as a
 * record of its own (node/consent.h); and the consents block of `client
 * show`.
 */
#include "cli.h"
#include "consent.h"
#include "dates.h"
#include "hlc.h"
#include "text.h"

#include <string.h>

static const char consent_usage[] =
	"usage: kt-node -d DIR client consent ID --purpose health|marketing|photos\n"
	"                  (--give --version V | --withdraw [--version V])\n"
	"                  [--date DATE] [--note TEXT]\n"
	"\n"
	"Records that the client gave or withdrew a consent: processing of her health\n"
	"data, marketing (messages, offers, birthday greetings) or photos.  Each is a\n"
	"record of its own, written once, with its day (--date, default today; not\n"
	"after today), the version of the text she agreed to (--version, as 2026-01:\n"
	"letters, digits, '.', '-', '_', at most 32; needed to give; a withdrawal\n"
	"takes the version of the consent it withdraws), who recorded it (the account\n"
	"acting) and this branch.  Prints the new record's id.\n"
	"The consent that holds is the latest of its purpose by date, then version,\n"
	"then the order written; without any record, the card's old consent_photos and\n"
	"consent_marketing fields count.  `client show` lists them with their history;\n"
	"`birthdays --marketing` and `export --marketing` leave out clients whose\n"
	"marketing consent is not given.  Reception, cosmetologists and managers may\n"
	"record consents.\n"
	"example: kt-node -d DIR client consent 01JD3Q5ZK8W6T9V2M4N7P0R1S4 --purpose marketing "
	"--give --version 2026-01\n";

/* Whether v is a text version as typed: 1..32 bytes of [A-Za-z0-9._-]. */
static int version_ok(const char *v)
{
	size_t n = strlen(v);

	return n >= 1 && n <= KT_CONSENT_VERSION_BYTES_MAX &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/*
 * The card id as a client, with her consents: 0, or 1 (said: no such
 * client, an erased one, not a client).
 */
static int client_consents(struct kt_cli *cli, const struct kt_id *id, const char *idtext,
			   struct kt_consents *s)
{
	MDB_txn *txn;
	int rc;

	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	rc = kt_consents_load(&cli->st, txn, id, s, &cli->err);
	if (rc == KT_ENOTFOUND)
		rc = kt_store_erased(&cli->st, txn, id)
			     ? kt_cli_failf("client consent: client '%s' was erased", idtext)
			     : kt_cli_failf("client consent: no client '%s'", idtext);
	else if (rc != 0)
		rc = kt_cli_failf("client consent: cannot read her consents: %s", cli->err.msg);
	mdb_txn_abort(txn);
	return rc;
}

int kt_cli_consent(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "purpose", KT_OPT_VALUE, 'p', 0 },
		{ "give", KT_OPT_FLAG, 'g', 0 },
		{ "withdraw", KT_OPT_FLAG, 'w', 0 },
		{ "version", KT_OPT_VALUE, 'v', 0 },
		{ "date", KT_OPT_VALUE, 'D', 0 },
		{ "note", KT_OPT_VALUE, 'n', 0 },
		{ NULL, 0, 0, 0 },
	};
	static struct kt_draft d;
	static char version[KT_CONSENT_VERSION_BYTES_MAX + 1], day[11];
	struct kt_opts *o = kt_cli_opts(cli, "client consent", consent_usage, opts, argc, argv);
	const char *purpose = NULL, *date = NULL, *note = NULL, *ver = NULL;
	char idt[KT_ID_TEXT_BYTES], branch[KT_BRANCH_BYTES_MAX + 1], by[KT_ID_TEXT_BYTES];
	struct kt_consents s = { 0 };
	const struct kt_consent *cur;
	struct kt_id client, id;
	int give = 0, withdraw = 0, p, c, rc;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'p': purpose = o->arg; break;
		case 'g': give = 1; break;
		case 'w': withdraw = 1; break;
		case 'v': ver = o->arg; break;
		case 'D': date = o->arg; break;
		case 'n': note = o->arg; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 1, NULL))
		return kt_opts_exit(c);
	if (o->nargs < 1)
		return kt_cli_failf("client consent: which client? (client consent ID --purpose P "
				    "--give --version V)");
	if (purpose == NULL)
		return kt_cli_failf("client consent: --purpose health, marketing or photos is "
				    "required");
	if ((p = kt_consent_purpose_parse(purpose)) == 0)
		return kt_cli_failf("client consent: unknown purpose '%.40s' (want health, "
				    "marketing or photos)", purpose);
	if (give == withdraw)
		return kt_cli_failf(give ? "client consent: --give or --withdraw, not both"
				    : "client consent: say --give or --withdraw");
	if (ver != NULL && !version_ok(ver))
		return kt_cli_failf("client consent: bad --version '%.40s' (want 1 to %d letters, "
				    "digits, '.', '-' or '_', as 2026-01)", ver,
				    KT_CONSENT_VERSION_BYTES_MAX);
	if (give && ver == NULL)
		return kt_cli_failf("client consent: --give needs --version V, the version of the "
				    "text she agreed to (as 2026-01)");
	if (note != NULL && (strlen(note) > KT_CONSENT_NOTE_BYTES_MAX ||
			     !kt_text_valid(note, strlen(note))))
		return kt_cli_failf("client consent: a --note is at most %d bytes of UTF-8",
				    KT_CONSENT_NOTE_BYTES_MAX);
	if (kt_cli_id(o->args[0], &client) != 0)
		return 1;
	if (kt_cli_act(cli, "client consent", 0))
		return 1;
	/* The day she gave or withdrew it: in the branch's form, not after today. */
	if (date == NULL) {
		kt_cli_today_text(cli, day);
	} else {
		int32_t when;

		if (kt_dates_read(kt_dates_form(cli->st.country), "date", date, day, &cli->err) != 0)
			return kt_cli_failf("client consent: %s", cli->err.msg);
		if (kt_date_parse(day, &when) != 0)
			return kt_cli_failf("client consent: bad --date '%.40s'", date);
		if (when > kt_cli_today(cli))
			return kt_cli_failf("client consent: --date %s is after today: a consent is "
					    "recorded once she has given or withdrawn it", day);
	}
	if (client_consents(cli, &client, o->args[0], &s))
		return 1;
	cur = kt_consent_current(s.c, s.n, p);
	snprintf(version, sizeof(version), "%s", ver != NULL ? ver
			 : cur != NULL ? cur->version : "");
	kt_consents_release(&s);
	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, KT_T_CONSENT, &id, 1, &client);
	kt_cli_branch(cli, branch, sizeof(branch));
	kt_id_format(&cli->me.id, by);
	if (kt_draft_field(&d, "purpose", kt_consent_purpose_name(p), KT_OP_SET, &cli->err) ||
	    kt_draft_field(&d, "state", give ? "given" : "withdrawn", KT_OP_SET, &cli->err) ||
	    kt_draft_field(&d, "date", day, KT_OP_SET, &cli->err) ||
	    (version[0] && kt_draft_field(&d, "version", version, KT_OP_SET, &cli->err)) ||
	    kt_draft_field(&d, "recorded_by", by, KT_OP_SET, &cli->err) ||
	    (branch[0] && kt_draft_field(&d, "branch", branch, KT_OP_SET, &cli->err)) ||
	    (note != NULL && note[0] &&
	     kt_draft_field(&d, "note", note, KT_OP_SET, &cli->err)))
		return kt_cli_failf("client consent: %s", cli->err.msg);
	if ((rc = kt_cli_write(cli, &d, 1, "client consent")) != 0)
		return rc;
	kt_id_format(&id, idt);
	printf("%s\n", idt);
	return 0;
}

/* One consent as a line of the consents block. */
static void print_one(struct kt_cli *cli, MDB_txn *txn, const struct kt_consent *c,
		      const char *indent)
{
	json_t *o = kt_consent_json(&cli->st, txn, c);
	const char *name = json_string_value(json_object_get(o, "recorded_by_name"));

	printf("%s%-10s %-9s %s", indent, kt_consent_purpose_name(c->purpose),
	       c->given ? "given" : "withdrawn", c->date[0] ? c->date : "undated");
	if (c->version[0]) {
		printf(", version ");
		kt_cli_text(c->version);
	}
	if (c->legacy) {
		printf(" (from the card's consent_%s field)",
		       c->purpose == KT_CONSENT_PHOTOS ? "photos" : "marketing");
	} else {
		printf(", by ");
		kt_cli_text(name != NULL ? name : json_string_value(json_object_get(o, "recorded_by")));
		if (c->branch[0]) {
			printf(" at ");
			kt_cli_text(c->branch);
		}
	}
	if (c->note != NULL) {
		printf(": ");
		kt_cli_text(c->note);
	}
	printf("\n");
	json_decref(o);
}

void kt_cli_consents_print(struct kt_cli *cli, MDB_txn *txn, const struct kt_consents *s)
{
	size_t past = 0;

	printf("\nConsents:\n");
	for (int p = 1; p <= KT_CONSENT_PURPOSES; p++) {
		const struct kt_consent *c = kt_consent_current(s->c, s->n, p);

		if (c != NULL)
			print_one(cli, txn, c, "  ");
		else
			printf("  %-10s none recorded\n", kt_consent_purpose_name(p));
	}
	for (size_t i = 0; i < s->n; i++)
		if (kt_consent_current(s->c, s->n, s->c[i].purpose) != &s->c[i]) {
			if (past++ == 0)
				printf("  history (oldest first):\n");
			print_one(cli, txn, &s->c[i], "    ");
		}
}
