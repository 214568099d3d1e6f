/*
 * cmd_audit.c - `audit`: who read which cards, when and where, from the
 * audit records of every branch (record type audit, audit.c; they
 * replicate like any change, so head office sees reads made offline too).
 */
#include "cli.h"
#include "card.h"
#include "dates.h"
#include "when.h"

#include <stdlib.h>
#include <string.h>

static const char audit_usage[] =
	"usage: kt-node -d DIR audit [--client ID] [--staff NAME] [--since DATE]\n"
	"                            [--limit N] [--json]\n"
	"\n"
	"Lists the reads of client cards made at every branch, oldest first: when,\n"
	"where, by whom, what (show, export, report, birthdays, dossier, erase,\n"
	"grant), the parts read (contacts, safety, health, visits, feedback,\n"
	"loyalty) and the cards.  --client: the reads of one card (an export, which\n"
	"reads every card, is listed too); --staff: of one account; --since: from\n"
	"that day on; --limit: at most N records (default 1000).  Managers and head\n"
	"office may read the audit.\n"
	"example: kt-node -d DIR audit --client 01JD3Q5ZK8W6T9V2M4N7P0R1S4\n";

/* The card an export's audit record names: the zero id, "every card". */
#define EVERY "00000000000000000000000000"

struct filter {
	struct kt_cli *cli;
	MDB_txn *txn;
	int by_staff;
	struct kt_id staff;
	int by_client;
	struct kt_id client;
	uint64_t since_ms;
	long limit, n;
	json_t *out;
};

json_t *kt_cli_audit_json(const struct kt_rec *r)
{
	static const char *const texts[] = { "what", "parts", "branch", "staff", "reason" };
	json_t *o = json_object(), *cards = json_array();
	char idt[KT_ID_TEXT_BYTES], buf[KT_VALUE_BYTES_MAX + 1];
	const struct kt_val *all = kt_card_get(r, "all");
	const struct kt_field *cf = kt_schema_field_named(KT_T_AUDIT, "clients");

	kt_id_format(&r->id, idt);
	json_object_set_new(o, "id", json_string(idt));
	kt_id_format(&r->owner, idt);
	json_object_set_new(o, "staff_id", json_string(idt));
	json_object_set_new(o, "at_ms", json_integer((json_int_t)kt_id_ms(&r->id)));
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		kt_card_text(r, texts[i], buf, sizeof(buf));
		json_object_set_new(o, texts[i], json_string(buf));
	}
	json_object_set_new(o, "all", json_boolean(all != NULL && all->t == KT_V_BOOL && all->i));
	for (uint32_t i = 0; i < r->nelems; i++)
		if (r->elems[i].field == cf->num && r->elems[i].v.t == KT_V_STR)
			json_array_append_new(cards, json_stringn(r->elems[i].v.s, r->elems[i].v.n));
	json_object_set_new(o, "clients", cards);
	return o;
}

static int one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct filter *f = ctx;
	struct kt_rec r;

	(void)type;
	if (f->n >= f->limit)
		return 1;
	if (kt_id_ms(id) < f->since_ms)
		return 0;
	kt_rec_init(&r);
	if (kt_store_load(&f->cli->st, f->txn, id, &r, NULL) == 0 && r.type == KT_T_AUDIT &&
	    (!f->by_staff || kt_id_cmp(&r.owner, &f->staff) == 0)) {
		json_array_append_new(f->out, kt_cli_audit_json(&r));
		f->n++;
	}
	kt_rec_release(&r);
	return 0;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
		      json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

/* Sorts an array of audit objects by id, which is time order. */
static void json_array_sort_by_id(json_t *a)
{
	size_t n = json_array_size(a);
	json_t **v = kt_calloc(n ? n : 1, sizeof(*v)), *it;
	size_t i;

	json_array_foreach(a, i, it)
		v[i] = json_incref(it);
	qsort(v, n, sizeof(*v), by_id);
	json_array_clear(a);
	for (i = 0; i < n; i++)
		json_array_append_new(a, v[i]);
	free(v);
}

static void print_line(json_t *it)
{
	char when[64];
	json_t *cards = json_object_get(it, "clients");
	size_t i, n = json_array_size(cards);
	json_t *c;

	kt_when_text((int64_t)(json_integer_value(json_object_get(it, "at_ms")) / 1000), when,
		     sizeof(when));
	printf("%s  ", when);
	kt_cli_pad(json_string_value(json_object_get(it, "branch")), 12);
	kt_cli_pad(json_string_value(json_object_get(it, "staff")), 20);
	printf("%-9s %-30s", json_string_value(json_object_get(it, "what")),
	       json_string_value(json_object_get(it, "parts")));
	if (json_is_true(json_object_get(it, "all")))
		printf(" every card");
	json_array_foreach(cards, i, c)
		if (i < 3 && strcmp(json_string_value(c), EVERY) != 0)
			printf(" %s", json_string_value(c));
	if (n > 3)
		printf(" and %zu more", n - 3);
	if (json_string_length(json_object_get(it, "reason")) > 0) {
		printf("  reason: ");
		kt_cli_text(json_string_value(json_object_get(it, "reason")));
	}
	printf("\n");
}

static int parse(struct kt_cli *cli, struct filter *f, int *json, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "client", KT_OPT_VALUE, 'c', 0 }, { "staff", KT_OPT_VALUE, 's', 0 },
		{ "since", KT_OPT_VALUE, 'S', 0 },  { "limit", KT_OPT_VALUE, 'l', 0 },
		KT_CLI_JSON_OPT,                   { NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "audit", audit_usage, opts, argc, argv);
	const char *client = NULL, *staff = NULL, *since = NULL;
	char iso[11], *end;
	int c;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'c': client = o->arg; break;
		case 's': staff = o->arg; break;
		case 'S': since = o->arg; break;
		case 'l':
			f->limit = strtol(o->arg, &end, 10);
			if (*end || f->limit < 1 || f->limit > 1000000)
				return kt_cli_failf("audit: --limit wants 1 to 1000000, not '%.20s'",
						    o->arg);
			break;
		case KT_CLI_JSON: *json = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (client != NULL && kt_cli_id(client, &f->client) != 0)
		return 1;
	f->by_client = client != NULL;
	if (kt_cli_act(cli, "audit", KT_CAN_AUDIT))
		return 1;
	if (since != NULL) {
		int32_t day;

		if (kt_dates_read(kt_dates_form(cli->st.country), "since", since, iso, &cli->err) ||
		    kt_date_parse(iso, &day) != 0)
			return kt_cli_failf("audit: %s", cli->err.msg);
		f->since_ms = (uint64_t)day * 86400000ull; /* from that day's start in UTC */
	}
	if (staff != NULL) {
		struct kt_staff s;

		if (kt_cli_staff(cli, staff, NULL, &s) != 0)
			return kt_cli_failf("audit: %s", cli->err.msg);
		f->by_staff = 1;
		f->staff = s.id;
	}
	return 0;
}

int cmd_audit(struct kt_cli *cli, int argc, char **argv)
{
	struct filter f = { .cli = cli, .limit = 1000 };
	struct kt_id after;
	int json = 0, rc;
	size_t i;
	json_t *it;

	if (parse(cli, &f, &json, argc, argv))
		return 1;
	if (kt_store_rdtxn(&cli->st, &f.txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	f.out = json_array();
	if (f.by_client) {
		struct kt_id every;

		/* Her reads, then the reads of every card (exports name the zero id). */
		memset(&every, 0, sizeof(every));
		rc = kt_store_audits_of(&cli->st, f.txn, &f.client, one, &f, &cli->err);
		if (rc >= 0)
			rc = kt_store_audits_of(&cli->st, f.txn, &every, one, &f, &cli->err);
		json_array_sort_by_id(f.out);
	} else {
		memset(&after, 0, sizeof(after));
		kt_be64_put(after.b, f.since_ms << 16); /* ids from that ms on */
		rc = kt_store_kind(&cli->st, f.txn, KT_T_AUDIT, f.since_ms ? &after : NULL, one, &f,
				   &cli->err);
	}
	mdb_txn_abort(f.txn);
	if (rc < 0) {
		json_decref(f.out);
		return kt_cli_fail(cli);
	}
	if (json) {
		kt_cli_print_json(f.out);
		return 0;
	}
	json_array_foreach(f.out, i, it)
		print_line(it);
	if (json_array_size(f.out) == 0)
		printf("no reads recorded\n");
	json_decref(f.out);
	return 0;
}
