/*
 * cmd_client.c - client add, edit, find, list (with segments), birthdays.
 * `client show` is in cmd_show.c.
 */
#include "cli.h"
#include "consent.h"
#include "salon.h"
#include "contacts.h"
#include "hlc.h"
#include "list.h"
#include "text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char client_usage[] =
	"usage: kt-node -d DIR client add --name NAME [--phone P] [--email E]\n"
	"                  [--birthday DATE] [--set FIELD=VALUE]... [--add FIELD=VALUE]...\n"
	"                  [--no-duplicates]\n"
	"       kt-node -d DIR client edit ID [--set FIELD=VALUE]... [--add FIELD=VALUE]...\n"
	"                  [--remove FIELD=VALUE]... [--no-duplicates]\n"
	"       kt-node -d DIR client show ID [--json]\n"
	"       kt-node -d DIR client find QUERY [--limit N] [--json]\n"
	"       kt-node -d DIR client list [--segment new|regular|lost|potential] [--json]\n"
	"       kt-node -d DIR client merge KEEP_ID OTHER_ID\n"
	"       kt-node -d DIR client unmerge OTHER_ID\n"
	"       kt-node -d DIR client erase ID --reason TEXT [--json]\n"
	"       kt-node -d DIR client consent ID --purpose health|marketing|photos\n"
	"                  (--give --version V | --withdraw) [--date DATE] [--note TEXT]\n"
	"       kt-node -d DIR client dossier ID [--json]\n"
	"\n"
	"Fields: name phone email birthday gender skin_type sensitivity health_notes\n"
	"staff_alert notes home_branch consent_photos consent_marketing referred_by;\n"
	"lists (--add/--remove): allergies contraindications medications problem_zones\n"
	"preferences goals tags important_dates.  --set on a list adds to it; an empty\n"
	"value (--set notes=) clears a field.  `client add` prints the new id alone.\n"
	"A date is YYYY-MM-DD, or as the branch's country writes it: DD.MM.YYYY (RU,\n"
	"MD, RO, ...), YYYY/MM/DD or YYYY年MM月DD日 (CN, ...); a birthday after today\n"
	"or more than 130 years ago is refused.\n"
	"A phone or email that is already on another card (the same number however\n"
	"written, the same email ignoring case) is said in a note line on stderr, and\n"
	"the card is written; with --no-duplicates it is refused and nothing is\n"
	"written.  `client merge` joins two cards of one client.\n"
	"find matches any word of the name by its start, ignoring case and accents,\n"
	"a phone however it is written, or an email.\n"
	"example: kt-node -d DIR client add --name 'Анна Иванова' --phone '+7 912 345-67-89' "
	"--add allergies=latex\n";

/* The text draft d sets field num to, or NULL. */
static const char *draft_value(const struct kt_draft *d, uint16_t num, char *buf, size_t cap)
{
	for (uint32_t i = 0; i < d->nops; i++)
		if (d->ops[i].field == num && d->ops[i].kind == KT_OP_SET &&
		    d->vals[i].t == KT_V_STR) {
			snprintf(buf, cap, "%.*s", (int)d->vals[i].n, d->vals[i].s);
			return buf;
		}
	return NULL;
}

/*
 * The phone and email that draft d sets, against the other cards
 * (contacts.h): a note line for each card that holds one, or, when refuse
 * (--no-duplicates), one line refusing the write.  self is the card being
 * edited (NULL for a new one).  Returns 0 to write, 1 (printed) not to.
 */
static int duplicates_said(struct kt_cli *cli, const struct kt_draft *d,
			   const struct kt_id *self, int refuse, const char *cmd)
{
	static char phone[KT_VALUE_BYTES_MAX + 1], email[KT_VALUE_BYTES_MAX + 1];
	struct kt_contact_hit hits[KT_CONTACT_HITS_MAX];
	struct kt_contact k;
	char line[1024];
	const char *p = draft_value(d, KT_CLIENT_PHONE, phone, sizeof(phone));
	const char *e = draft_value(d, KT_CLIENT_EMAIL, email, sizeof(email));
	MDB_txn *txn;
	int n;

	kt_contact_of_text(p, e, cli->st.country, &k);
	if (!k.phone[0] && !k.email[0])
		return 0;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	n = kt_contact_find(&cli->st, txn, &k, self, hits, KT_CONTACT_HITS_MAX, &cli->err);
	mdb_txn_abort(txn);
	if (n < 0)
		return kt_cli_failf("%s: cannot look for cards with this phone or email: %s", cmd,
				    cli->err.msg);
	for (int i = 0; i < n; i++) {
		kt_contact_note(&hits[i], p, e, line, sizeof(line));
		if (refuse)
			return kt_cli_failf("%s: %s%s; nothing written (--no-duplicates)", cmd,
					    line, n > 1 ? ", and on other cards" : "");
		fprintf(stderr, "kt-node: note: %s\n", line);
	}
	return 0;
}

static int client_add(struct kt_cli *cli, int argc, char **argv)
{
	/* --name, --phone, --email and --birthday set the field they name. */
	static const struct kt_opt opts[] = {
		{ "name", KT_OPT_VALUE, 'n', 0 },
		{ "phone", KT_OPT_VALUE, 'p', 0 },
		{ "email", KT_OPT_VALUE, 'e', 0 },
		{ "birthday", KT_OPT_VALUE, 'b', 0 },
		{ "no-duplicates", KT_OPT_FLAG, 'D', 0 },
		KT_CLI_SET_OPT,
		KT_CLI_ADD_OPT,
		{ NULL, 0, 0, 0 },
	};
	static struct kt_draft d;
	struct kt_opts *o = kt_cli_opts(cli, "client add", client_usage, opts, argc, argv);
	char idt[KT_ID_TEXT_BYTES], branch[KT_BRANCH_BYTES_MAX + 1];
	struct kt_id id;
	int c, nodup = 0;

	kt_id_new(&id, kt_wall_ms());
	kt_draft_start(&d, KT_T_CLIENT, &id, 1, NULL);
	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'n': case 'p': case 'e': case 'b':
			if (kt_cli_draft_field(cli, &d, c == 'n' ? "name" : c == 'p' ? "phone" :
					       c == 'e' ? "email" : "birthday", o->arg, KT_OP_SET))
				return 1;
			break;
		case KT_CLI_SET: case KT_CLI_ADD:
			if (kt_cli_field_value(cli, &d, c, o->arg))
				return 1;
			break;
		case 'D':
			nodup = 1;
			break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (!kt_draft_has(&d, "name"))
		return kt_cli_failf("client add: --name NAME is required");
	if (kt_cli_act(cli, "client add", 0) || kt_cli_check_dates(cli, &d, 0, "client add"))
		return 1;
	kt_cli_branch(cli, branch, sizeof(branch));
	if (!kt_draft_has(&d, "home_branch") && branch[0] &&
	    kt_draft_field(&d, "home_branch", branch, KT_OP_SET, &cli->err) != 0)
		return kt_cli_fail(cli);
	if (kt_cli_may_write(cli, &d, 1, "client add") ||
	    duplicates_said(cli, &d, NULL, nodup, "client add") != 0)
		return 1;
	if (kt_cli_write(cli, &d, 1, "client add"))
		return 1;
	kt_id_format(&id, idt);
	printf("%s\n", idt);
	return 0;
}

/* Strings made for a draft, freed after its write. */
struct owned {
	char *s[KT_OPS_MAX];
	size_t n;
};

static const char *own(struct owned *o, const char *s, size_t n)
{
	kt_assert(o->n < KT_OPS_MAX);
	return o->s[o->n++] = kt_strndup(s, n);
}

/* Whether s[0..n) and t[0..m) fold alike. */
static int same_fold(const char *s, size_t n, const char *t, size_t m)
{
	char *a = kt_text_fold(s, n), *b = kt_text_fold(t, m);
	int same = a != NULL && b != NULL && strcmp(a, b) == 0;

	free(a);
	free(b);
	return same;
}

/* The draft's first DEL op of field f whose value folds like s[0..n), or -1. */
static int del_of(const struct kt_draft *d, uint16_t f, const char *s, size_t n)
{
	for (uint32_t i = 0; i < d->nops; i++)
		if (d->ops[i].kind == KT_OP_DEL && d->ops[i].field == f &&
		    same_fold(d->vals[i].s, d->vals[i].n, s, n))
			return (int)i;
	return -1;
}

/* Whether r has an element of field f that folds like s[0..n) as a whole. */
static int elem_whole(const struct kt_rec *r, uint16_t f, const char *s, size_t n)
{
	for (uint32_t i = 0; i < r->nelems; i++)
		if (r->elems[i].field == f && r->elems[i].v.t == KT_V_STR &&
		    same_fold(r->elems[i].v.s, r->elems[i].v.n, s, n))
			return 1;
	return 0;
}

/*
 * A list element an older version stored whole ("latex, nuts" as one
 * allergy) is edited part by part: a --remove naming one of its parts
 * removes the whole element and adds back its other parts, so the card
 * keeps "nuts".  Rewrites d's DEL ops against the card as stored; the
 * strings it makes go to o.  Returns 0, or 1 (printed) when the card cannot
 * be read.
 */
static int remove_parts(struct kt_cli *cli, struct kt_draft *d, struct owned *o)
{
	struct kt_rec r;
	MDB_txn *txn;
	int rc;

	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_rec_init(&r);
	if ((rc = kt_store_load(&cli->st, txn, &d->id, &r, &cli->err)) != 0) {
		mdb_txn_abort(txn);
		kt_rec_release(&r);
		return rc == KT_ENOTFOUND ? 0 : kt_cli_fail(cli); /* the write says it */
	}
	for (uint32_t e = 0; e < r.nelems; e++) {
		const struct kt_relem *el = &r.elems[e];
		struct kt_span part;
		size_t pos = 0, nth = 0;
		uint64_t gone = 0; /* bit k: part k is removed */
		int first = -1;

		if (el->v.t != KT_V_STR || kt_list_count(el->v.s, el->v.n) < 2 ||
		    del_of(d, el->field, el->v.s, el->v.n) >= 0)
			continue;
		for (; kt_list_next(el->v.s, el->v.n, &pos, &part); nth++) { /* parts to remove */
			int k = del_of(d, el->field, part.s, part.n);

			if (k < 0 || nth >= 64 || elem_whole(&r, el->field, part.s, part.n))
				continue; /* not named, or also stored on its own */
			gone |= 1ull << nth;
			if (first < 0) {
				first = k;
				d->vals[k].s = own(o, el->v.s, el->v.n);
				d->vals[k].n = el->v.n;
			} else if (k != first) {
				d->ops[k].kind = 0; /* folded into the first; dropped below */
			}
		}
		for (pos = 0, nth = 0; first >= 0 && kt_list_next(el->v.s, el->v.n, &pos, &part);
		     nth++) {
			if ((nth < 64 && (gone >> nth & 1)) || d->nops >= KT_OPS_MAX - 4)
				continue;
			memset(&d->ops[d->nops], 0, sizeof(d->ops[0]));
			memset(&d->vals[d->nops], 0, sizeof(d->vals[0]));
			d->ops[d->nops].field = el->field;
			d->ops[d->nops].kind = KT_OP_ADD; /* the part she keeps */
			d->vals[d->nops].t = KT_V_STR;
			d->vals[d->nops].s = own(o, part.s, part.n);
			d->vals[d->nops].n = (uint32_t)part.n;
			d->nops++;
		}
	}
	{
		/* export and import carry a card in one write of at most KT_OPS_MAX - 4 ops */
		size_t after = r.nfields + r.nelems + 4, adds = 0; /* and the key, tokens, alias */

		for (uint32_t i = 0; i < d->nops; i++)
			adds += d->ops[i].kind == KT_OP_ADD;
		after += adds;
		if (adds > 0 && after > KT_OPS_MAX - 4) { /* a removal or a --set always goes */
			kt_rec_release(&r);
			mdb_txn_abort(txn);
			return kt_cli_failf("client edit: a card holds at most %d values in all "
					    "(this would make %zu); remove some first",
					    KT_OPS_MAX - 8, after - 4);
		}
	}
	for (uint32_t i = 0, j = 0, n = d->nops; i < n; i++) { /* drop the folded ops */
		if (d->ops[i].kind == 0) {
			d->nops--;
			continue;
		}
		d->ops[j] = d->ops[i];
		d->vals[j++] = d->vals[i];
	}
	kt_rec_release(&r);
	mdb_txn_abort(txn);
	return 0;
}

static int client_edit(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		KT_CLI_SET_OPT,
		KT_CLI_ADD_OPT,
		KT_CLI_REMOVE_OPT,
		{ "no-duplicates", KT_OPT_FLAG, 'D', 0 },
		{ NULL, 0, 0, 0 },
	};
	static struct kt_draft d;
	static struct owned o;
	struct kt_opts *op = kt_cli_opts(cli, "client edit", client_usage, opts, argc, argv);
	struct kt_id id = { 0 };
	int r, c, nodup = 0;

	o.n = 0;

	/* The ID may come after the options: the draft takes it once they are read. */
	kt_draft_start(&d, KT_T_CLIENT, &id, 0, NULL);
	while ((c = kt_opts_next(op)) >= 0)
		switch (c) {
		case KT_CLI_SET: case KT_CLI_ADD: case KT_CLI_REMOVE:
			if (kt_cli_field_value(cli, &d, c, op->arg))
				return 1;
			break;
		case 'D':
			nodup = 1;
			break;
		}
	if (c != KT_OPTS_END || kt_opts_args(op, 0, 1, NULL))
		return kt_opts_exit(c);
	if (op->nargs < 1)
		return kt_cli_failf("client edit: which client? (client edit ID --set FIELD=VALUE)");
	if (kt_cli_id(op->args[0], &id) != 0)
		return 1;
	d.id = id;
	if (d.nops == 0)
		return kt_cli_failf("client edit: nothing to change (use --set, --add or --remove)");
	if (kt_cli_act(cli, "client edit", 0) || kt_cli_check_dates(cli, &d, 0, "client edit"))
		return 1;
	if (kt_cli_may_write(cli, &d, 1, "client edit") ||
	    duplicates_said(cli, &d, &id, nodup, "client edit") != 0)
		r = 1;
	else if (remove_parts(cli, &d, &o) != 0)
		r = 1;
	else if (kt_cli_write(cli, &d, 1, "client edit"))
		r = 1;
	else
		r = 0;
	for (size_t i = 0; i < o.n; i++)
		free(o.s[i]);
	return r;
}

/* ---- summaries, segments (salon.h) ---- */

/*
 * One line or one JSON object about a client, for find, list and birthdays;
 * her segment under settings set.
 */
static json_t *summary(struct kt_cli *cli, MDB_txn *txn, const struct kt_settings *set,
		       const struct kt_id *id, int json, const char *extra)
{
	struct kt_rec r;
	char idt[KT_ID_TEXT_BYTES], name[512], phone[128], email[256], lastt[11] = "", born[16];
	struct kt_salon_segment sg;
	const char *seg;
	int visits;
	json_t *o = NULL;

	kt_rec_init(&r);
	if (kt_store_load(&cli->st, txn, id, &r, NULL) != 0) {
		kt_rec_release(&r);
		return NULL;
	}
	kt_id_format(id, idt);
	kt_card_text(&r, "name", name, sizeof(name));
	kt_card_text(&r, "phone", phone, sizeof(phone));
	kt_card_text(&r, "email", email, sizeof(email));
	kt_card_text(&r, "birthday", born, sizeof(born));
	kt_salon_segment(&cli->st, txn, set, kt_cli_today(cli), id, &sg, NULL);
	seg = kt_salon_segment_name(sg.segment);
	visits = sg.visits;
	if (visits > 0)
		kt_date_format(sg.last, lastt);
	if (!json) {
		printf("%s  ", idt);
		kt_cli_pad(name, 28);
		kt_cli_pad(born[0] ? born : "-", 10);
		kt_cli_pad(phone, 18);
		kt_cli_pad(email, 24);
		printf("%-9s %d visit%s%s%s%s%s\n", seg, visits, visits == 1 ? "" : "s",
		       visits ? ", last " : "", lastt, extra ? "  " : "", extra ? extra : "");
	} else {
		o = json_object();
		json_object_set_new(o, "id", json_string(idt));
		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "phone", json_string(phone));
		json_object_set_new(o, "email", json_string(email));
		json_object_set_new(o, "birthday", born[0] ? json_string(born) : json_null());
		json_object_set_new(o, "segment", json_string(seg));
		json_object_set_new(o, "visits", json_integer(visits));
		json_object_set_new(o, "last_visit", visits ? json_string(lastt) : json_null());
	}
	kt_rec_release(&r);
	return o;
}

struct id_at {
	struct kt_id id;
	int at;
};

static int by_id_then_at(const void *a, const void *b)
{
	const struct id_at *x = a, *y = b;
	int c = kt_id_cmp(&x->id, &y->id);

	return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
}

/*
 * Each of ids[0..n) as the card it stands for (a merged card is found as
 * the card it joined), each card once, in the order first met; returns the
 * new count.  Sorting a copy keeps it O(n log n) at FIND_COUNT_CAP.
 */
static int find_roots(struct kt_cli *cli, MDB_txn *txn, struct kt_id *ids, int n)
{
	struct id_at *s = kt_malloc(sizeof(*s) * (size_t)(n > 0 ? n : 1));
	char *dup = kt_malloc((size_t)(n > 0 ? n : 1));
	int k = 0;

	for (int i = 0; i < n; i++) {
		struct kt_id to;

		if (kt_store_alias_root(&cli->st, txn, &ids[i], &to) > 0)
			ids[i] = to;
		s[i].id = ids[i];
		s[i].at = i;
		dup[i] = 0;
	}
	qsort(s, (size_t)n, sizeof(*s), by_id_then_at);
	for (int i = 1; i < n; i++)
		if (kt_id_cmp(&s[i].id, &s[i - 1].id) == 0)
			dup[s[i].at] = 1;
	for (int i = 0; i < n; i++)
		if (!dup[i])
			ids[k++] = ids[i];
	free(s);
	free(dup);
	return k;
}

/* The most a search collects, to count what it does not show (store/index.c walks as many). */
#define FIND_COUNT_CAP 20000

static int client_find(struct kt_cli *cli, int argc, char **argv)
{
	struct kt_id *ids;
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ "limit", KT_OPT_VALUE, 'l', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "client find", client_usage, opts, argc, argv);
	const char *query = NULL, *v;
	int json = 0, n, cut = 0, limit = KT_FIND_RESULTS_MAX, shown, c;
	struct kt_settings set;
	MDB_txn *txn;
	json_t *arr;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON:
			json = 1;
			break;
		case 'l': {
			char *end;
			long l;

			v = o->arg;
			l = strtol(v, &end, 10);
			if (!isdigit((unsigned char)*v) || *end != '\0' || l < 1 || l > FIND_COUNT_CAP)
				return kt_cli_failf("client find: --limit wants 1 to %d, not '%s'",
						    FIND_COUNT_CAP, v);
			limit = (int)l;
			break;
		}
		}
	if (c != KT_OPTS_END)
		return kt_opts_exit(c);
	if (o->nargs > 1)
		return kt_cli_failf("client find: one query please (quote it: 'Анна Иванова')");
	if (o->nargs == 0)
		return kt_cli_failf("client find: what to find? (client find QUERY)");
	query = o->args[0];
	if (kt_text_valid(query, strlen(query)) && !kt_text_says_something(query) &&
	    strpbrk(query, "+@") == NULL)
		return kt_cli_failf("client find: what to find? The query has no letter or digit "
				    "(client find QUERY)");
	if (kt_cli_act(cli, "client find", KT_CAN_FIND))
		return 1;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	ids = kt_malloc(sizeof(*ids) * FIND_COUNT_CAP);
	n = kt_store_find(&cli->st, txn, query, ids, FIND_COUNT_CAP, &cut, &cli->err);
	if (n < 0) {
		mdb_txn_abort(txn);
		free(ids);
		return kt_cli_fail(cli);
	}
	n = find_roots(cli, txn, ids, n);
	shown = n < limit ? n : limit;
	arr = json_array();
	kt_settings_load(&cli->st, txn, &set);
	for (int i = 0; i < shown; i++) {
		json_t *o = summary(cli, txn, &set, &ids[i], json, NULL);

		if (o != NULL)
			json_array_append_new(arr, o);
	}
	mdb_txn_abort(txn);
	free(ids);
	if (json) {
		json_t *top = json_object();

		json_object_set_new(top, "clients", arr);
		json_object_set_new(top, "shown", json_integer(shown));
		json_object_set_new(top, "found", json_integer(n));
		json_object_set_new(top, "more", json_integer(n - shown));
		json_object_set_new(top, "found_at_least", json_boolean(cut));
		kt_cli_print_json(top);
	} else {
		json_decref(arr);
		if (cut)
			printf("... at least %d more found (--limit N shows more; another word of "
			       "her name narrows it)\n", n - shown);
		else if (n > shown)
			printf("... %d more of %d found (--limit N shows more; another word of "
			       "her name narrows it)\n", n - shown, n);
	}
	if (n == 0 && !json)
		fprintf(stderr, "no client matches '%s'\n", query);
	return 0;
}

struct list_ctx {
	struct kt_cli *cli;
	MDB_txn *txn;
	int segment; /* enum kt_segment, or -1 for every client */
	int json;
	json_t *arr;
	int n;
	struct kt_settings set;
};

static int list_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct list_ctx *l = ctx;
	struct kt_salon_segment sg;
	struct kt_id to;
	json_t *o;

	(void)type;
	if (kt_store_alias_of(&l->cli->st, l->txn, id, &to))
		return 0; /* a merged card is listed as the card it was merged into */
	if (l->segment >= 0) {
		kt_salon_segment(&l->cli->st, l->txn, &l->set, kt_cli_today(l->cli), id, &sg, NULL);
		if ((int)sg.segment != l->segment)
			return 0;
	}
	l->n++;
	o = summary(l->cli, l->txn, &l->set, id, l->json, NULL);
	if (o != NULL)
		json_array_append_new(l->arr, o);
	return 0;
}

static int client_list(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ "segment", KT_OPT_VALUE, 's', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "client list", client_usage, opts, argc, argv);
	struct list_ctx l = { .cli = cli, .segment = -1 };
	int rc, c;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON:
			l.json = 1;
			break;
		case 's':
			if ((l.segment = kt_salon_segment_named(o->arg)) < 0)
				return kt_cli_failf("client list: unknown segment '%s' (want new, "
						    "regular, lost, potential or active)", o->arg);
			break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, "client list", KT_CAN_FIND))
		return 1;
	if (kt_store_rdtxn(&cli->st, &l.txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_settings_load(&cli->st, l.txn, &l.set);
	l.arr = json_array();
	rc = kt_store_each(&cli->st, l.txn, KT_T_CLIENT, list_one, &l, &cli->err);
	mdb_txn_abort(l.txn);
	if (rc != 0) {
		json_decref(l.arr);
		return kt_cli_failf("client list: %s", rc == KT_EINTR ? "interrupted" :
				    "cannot read the store");
	}
	if (l.json)
		kt_cli_print_json(l.arr);
	else
		json_decref(l.arr);
	return 0;
}

/* ---- birthdays ---- */

static const char birthdays_usage[] =
	"usage: kt-node -d DIR birthdays [--days N] [--marketing] [--json]\n"
	"\n"
	"Lists clients whose birthday falls today or in the next N days (default:\n"
	"the birthday_days setting, 7), soonest first (namesakes of a day by name,\n"
	"then id), with the age they turn.\n"
	"--marketing: only clients whose marketing consent is given (client consent),\n"
	"for greetings and offers sent to them; without it the list is for the desk,\n"
	"and --json says each one's consent (\"marketing_consent\": true or false).\n"
	"A 29 February birthday is shown on 28 February in other years.  Today is the\n"
	"branch's local date (the timezone setting, else the system's zone).\n"
	"example: kt-node -d DIR birthdays --days 14\n";

/* One birthday as a line or a JSON object in arr, with the age she turns. */
static void bday_one(struct kt_cli *cli, MDB_txn *txn, const struct kt_settings *set,
		     const struct kt_salon_birthday *b, json_t *arr, int consent)
{
	char extra[64];
	json_t *o;

	if (arr == NULL) {
		snprintf(extra, sizeof(extra), "birthday %s, turns %d", b->on, b->turns);
		summary(cli, txn, set, &b->id, 0, extra);
		return;
	}
	o = summary(cli, txn, set, &b->id, 1, NULL);
	if (o != NULL) {
		json_object_set_new(o, "birthday", json_string(b->born));
		json_object_set_new(o, "on", json_string(b->on));
		json_object_set_new(o, "turns", json_integer(b->turns));
		json_object_set_new(o, "marketing_consent", json_boolean(consent));
		json_array_append_new(arr, o);
	}
}

int cmd_birthdays(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ "days", KT_OPT_VALUE, 'n', 0 },
		{ "marketing", KT_OPT_FLAG, 'm', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "birthdays", birthdays_usage, opts, argc, argv);
	struct kt_salon_birthday *b;
	struct kt_settings set;
	long days = -1;
	int json = 0, marketing = 0, c;
	json_t *arr;
	MDB_txn *txn;
	size_t n;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case KT_CLI_JSON:
			json = 1;
			break;
		case 'm':
			marketing = 1;
			break;
		case 'n': {
			char *end;
			const char *v = o->arg;

			days = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || days < 0 || days > 366)
				return kt_cli_failf("birthdays: --days wants 0 to 366, not '%s'", v);
			break;
		}
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, "birthdays", KT_CAN_FIND))
		return 1;
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_settings_load(&cli->st, txn, &set);
	if (days < 0)
		days = set.birthday_days;
	n = kt_salon_birthdays(&cli->st, txn, kt_cli_today(cli), days, &b);
	arr = json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		struct kt_consents cs = { 0 };
		int given = kt_consents_load(&cli->st, txn, &b[i].id, &cs, NULL) == 0 &&
			    kt_consent_given(&cs, KT_CONSENT_MARKETING);

		kt_consents_release(&cs);
		if (marketing && !given)
			continue; /* no consent, no message: not listed, not read */
		bday_one(cli, txn, &set, &b[i], arr, given);
		kt_cli_audit(cli, "birthdays", KT_P_CONTACTS, &b[i].id);
	}
	free(b);
	mdb_txn_abort(txn);
	if (json)
		kt_cli_print_json(arr);
	return 0;
}

int cmd_client_show(struct kt_cli *cli, int argc, char **argv);

int cmd_client(struct kt_cli *cli, int argc, char **argv)
{
	/* Each subcommand reads its own options, -d and --help among them. */
	int rc = kt_cli_group(argc, argv, client_usage);

	if (rc >= 0)
		return rc;
	if (strcmp(argv[1], "add") == 0)
		return client_add(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "edit") == 0)
		return client_edit(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_client_show(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "find") == 0)
		return client_find(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return client_list(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "merge") == 0)
		return kt_cli_merge(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "unmerge") == 0)
		return kt_cli_unmerge(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "erase") == 0)
		return kt_cli_erase(cli, argc - 1, argv + 1); /* node/cmd_erase.c */
	if (strcmp(argv[1], "consent") == 0)
		return kt_cli_consent(cli, argc - 1, argv + 1); /* node/cmd_consent.c */
	if (strcmp(argv[1], "dossier") == 0)
		return kt_cli_dossier(cli, argc - 1, argv + 1); /* node/cmd_dossier.c */
	return kt_cli_failf("client: unknown subcommand '%s' (add, edit, show, find, list, "
			    "merge, unmerge, erase, consent, dossier)",
			    argv[1]);
}
