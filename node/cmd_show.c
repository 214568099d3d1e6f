/*
 * cmd_show.c - `client show`: the card with safety first (allergies,
 * contraindications, the staff alert, patch tests), then her details,
 * visits, assessments with the change since her first, open care plans,
 * feedback and her points balance.
 */
#include "cli.h"
#include "consent.h"
#include "points.h"
#include "safety.h"
#include "salon.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* A client's records of one type, loaded, sorted by date (a plan's start), then id. */
struct recs {
	struct kt_cli *cli;
	MDB_txn *txn;
	size_t n, cap;
	struct kt_rec *r;
};

static int load_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct recs *s = ctx;

	(void)type;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->r = kt_realloc(s->r, s->cap * sizeof(*s->r));
	}
	kt_rec_init(&s->r[s->n]);
	if (kt_store_load(&s->cli->st, s->txn, id, &s->r[s->n], NULL) == 0)
		s->n++;
	else
		kt_rec_release(&s->r[s->n]);
	return 0;
}

static int by_date(const void *a, const void *b)
{
	const struct kt_rec *x = a, *y = b;
	char dx[16], dy[16];
	int c;

	/* A plan has no date: its start is its day (else plans came in the order written). */
	kt_card_text(x, x->type == KT_T_PLAN ? "start" : "date", dx, sizeof(dx));
	kt_card_text(y, y->type == KT_T_PLAN ? "start" : "date", dy, sizeof(dy));
	c = strcmp(dx, dy);
	return c ? c : kt_id_cmp(&x->id, &y->id);
}

/* The parts of a card each of the six record lists of show is (enum kt_part). */
static int recs_part(uint8_t type)
{
	return kt_schema_part(type, 1);
}

#define MERGED_MAX 64 /* cards merged into one card that show lists */

/* A client's records of one type, with those of the cards merged into her. */
static void recs_load(struct recs *s, const struct kt_id *ids, size_t nids, uint8_t type)
{
	for (size_t i = 0; i < nids; i++)
		kt_store_owned(&s->cli->st, s->txn, &ids[i], type, load_one, s, NULL);
	if (s->n > 1)
		qsort(s->r, s->n, sizeof(*s->r), by_date);
}

static void recs_release(struct recs *s)
{
	for (size_t i = 0; i < s->n; i++)
		kt_rec_release(&s->r[i]);
	free(s->r);
}

static json_t *recs_json(const struct recs *s)
{
	json_t *a = json_array();

	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, kt_card_json(&s->r[i]));
	return a;
}

/* Points balance: the sum of every ledger entry's delta (points.h, as record add checks it). */
static kt_points_total points_balance(const struct recs *s)
{
	return kt_points_sum(s->r, s->n);
}

static const char *scores[] = { "hydration", "oiliness", "pigmentation", "wrinkles",
				 "acne", "sensitivity" };

/* The change of each score from her first assessment to her latest. */
static json_t *assessment_change(const struct recs *s)
{
	json_t *o = json_object();

	if (s->n < 2)
		return o;
	for (size_t k = 0; k < 6; k++) {
		const struct kt_val *a = kt_card_get(&s->r[0], scores[k]);
		const struct kt_val *b = kt_card_get(&s->r[s->n - 1], scores[k]);

		if (a != NULL && b != NULL && a->t == KT_V_INT && b->t == KT_V_INT)
			json_object_set_new(o, scores[k], json_integer(b->i - a->i));
	}
	return o;
}

/* Whether a patch test is passed and still valid today (node/safety.h's rule). */
static const char *patch_state(const struct kt_rec *r, const struct kt_safety_rules *rules)
{
	struct kt_safety_patch p;

	memset(&p, 0, sizeof(p));
	kt_card_text(r, "status", p.status, sizeof(p.status));
	kt_card_text(r, "date", p.date, sizeof(p.date));
	kt_card_text(r, "valid_until", p.until, sizeof(p.until));
	return kt_safety_patch_state(&p, rules, NULL);
}

/* Prints one line of the safety block: every item of chair, or "none recorded". */
static void print_items(const char *label, const struct kt_safety_card *g, uint8_t chair,
			const struct kt_id *shown)
{
	char idt[KT_ID_TEXT_BYTES];
	size_t k = 0;

	printf("%-18s", label);
	for (size_t i = 0; i < g->nitems; i++) {
		const struct kt_safety_item *it = &g->items[i];

		if (it->chair != chair)
			continue;
		printf("%s ", k++ ? "," : "");
		kt_cli_text(it->text);
		if (kt_id_cmp(&it->card, shown) != 0) {
			kt_id_format(&it->card, idt);
			printf(" (card %s)", idt);
		}
	}
	printf("%s\n", k ? "" : " none recorded");
}

/*
 * The safety block: what the check at the chair reads, over the card's
 * whole merge group (node/safety.h), so a merged card's allergies show.
 */
static void print_safety(const struct kt_safety_card *g, const struct kt_id *shown,
			 const struct kt_safety_rules *rules, int hidden)
{
	char idt[KT_ID_TEXT_BYTES], until[11];
	size_t alerts = 0;

	for (size_t i = 0; i < g->nitems; i++) {
		if (g->items[i].chair != KT_CH_ALERT)
			continue;
		printf("!! STAFF ALERT:    ");
		kt_cli_text(g->items[i].text);
		if (kt_id_cmp(&g->items[i].card, shown) != 0) {
			kt_id_format(&g->items[i].card, idt);
			printf(" (card %s)", idt);
		}
		printf("\n");
		alerts++;
	}
	if (alerts == 0)
		printf("%-18s none recorded\n", "Staff alert:");
	print_items("Allergies:", g, KT_CH_ALLERGY, shown);
	print_items("Contraindications:", g, KT_CH_CONTRA, shown);
	if (hidden & kt_schema_part(KT_T_CLIENT, kt_schema_field_named(KT_T_CLIENT,
								       "medications")->num))
		printf("%-18s not shown to your role\n", "Medications:");
	else
		print_items("Medications:", g, KT_CH_MEDICATION, shown);
	if (g->npatches == 0)
		printf("%-18s none recorded\n", "Patch tests:");
	for (size_t i = 0; i < g->npatches; i++) {
		const struct kt_safety_patch *p = &g->patches[i];
		const char *state = kt_safety_patch_state(p, rules, until);

		printf("%-18s ", i ? "" : "Patch tests:");
		kt_cli_text(p->subject);
		printf(": %s, tested %s, valid until %s", state, p->date[0] ? p->date : "-",
		       until[0] ? until : "-");
		if (kt_id_cmp(&p->card, shown) != 0) {
			kt_id_format(&p->card, idt);
			printf(" (card %s)", idt);
		}
		printf("\n");
	}
}

/* The safety block as JSON: each list as an array of its distinct entries. */
static json_t *safety_json(const struct kt_safety_card *g, const struct kt_safety_rules *rules)
{
	static const struct { uint8_t chair; const char *name; } parts[] = {
		{ KT_CH_ALLERGY, "allergies" }, { KT_CH_CONTRA, "contraindications" },
		{ KT_CH_MEDICATION, "medications" }, { KT_CH_ALERT, "staff_alerts" },
	};
	json_t *o = json_object(), *pt = json_array();
	char idt[KT_ID_TEXT_BYTES];

	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		json_t *a = json_array();

		for (size_t i = 0; i < g->nitems; i++) {
			json_t *t = json_string(g->items[i].text);
			size_t j;
			json_t *x;
			int dup = 0;

			json_array_foreach(a, j, x)
				dup |= json_equal(x, t);
			if (g->items[i].chair == parts[k].chair && !dup)
				json_array_append(a, t);
			json_decref(t);
		}
		json_object_set_new(o, parts[k].name, a);
	}
	for (size_t i = 0; i < g->npatches; i++) {
		const char *state = kt_safety_patch_state(&g->patches[i], rules, NULL);

		kt_id_format(&g->patches[i].id, idt);
		json_array_append_new(pt, json_pack("{s:s, s:s, s:s, s:s}", "id", idt, "subject",
						    g->patches[i].subject, "date", g->patches[i].date,
						    "state", state));
	}
	json_object_set_new(o, "patch_tests", pt);
	return o;
}

/* Adds conflict c of the card ctx (a struct conflicts) as an object. */
struct conflicts {
	const struct kt_rec *card;
	json_t *arr;
	int reads; /* the parts shown (enum kt_part) */
};

static int add_conflict(void *ctx, const struct kt_conflict *c)
{
	struct conflicts *x = ctx;
	const struct kt_field *f = kt_schema_field(x->card->type, c->field);
	char name[16], mine[KT_VALUE_BYTES_MAX + 1], other[KT_VALUE_BYTES_MAX + 1];

	if ((x->reads & kt_schema_part(x->card->type, c->field)) == 0)
		return 0; /* a part the role may not read: not its values either */
	snprintf(name, sizeof(name), "f%u", c->field);
	kt_schema_format(f, &c->hi_val, mine, sizeof(mine));
	kt_schema_format(f, &c->lo_val, other, sizeof(other));
	json_array_append_new(x->arr, json_pack("{s:s, s:s, s:s, s:s, s:s}", "field",
						f ? f->name : name, "value", mine, "branch",
						c->hi_branch, "other_value", other,
						"other_branch", c->lo_branch));
	return 0;
}

/*
 * The open conflicts of the card's own fields (kt_store_conflicts_of): for
 * each, the field, the value that won and shows, its branch, and the other
 * value with its branch.  The caller owns the array; a store error leaves
 * it short (show is for reading, and the card itself is read already).
 */
static json_t *card_conflicts(struct kt_cli *cli, MDB_txn *txn, const struct kt_rec *c)
{
	struct conflicts x = { c, json_array(), cli->rights.reads };

	kt_store_conflicts_of(&cli->st, txn, &c->id, add_conflict, &x, NULL);
	return x.arr;
}

/* Prints " [conflict: also 'OTHER' from branch B]" for each conflict of field name. */
static void print_conflict_marks(json_t *cf, const char *name)
{
	size_t i;
	json_t *it;

	json_array_foreach(cf, i, it) {
		if (strcmp(json_string_value(json_object_get(it, "field")), name) != 0)
			continue;
		printf(" [conflict: also '");
		kt_cli_text(json_string_value(json_object_get(it, "other_value")));
		printf("' from branch ");
		kt_cli_text(json_string_value(json_object_get(it, "other_branch")));
		printf("]");
	}
}

/*
 * The conflicts of fields the details do not show (the name, the staff
 * alert): a line each, so no conflict of the card goes unmarked.
 */
static void print_other_conflicts(json_t *cf)
{
	size_t i;
	json_t *it;

	json_array_foreach(cf, i, it) {
		const char *nm = json_string_value(json_object_get(it, "field"));
		const struct kt_field *f = kt_schema_field_named(KT_T_CLIENT, nm);

		if (f != NULL && strcmp(nm, "name") != 0 && f->chair == KT_CH_NONE)
			continue; /* marked in the details */
		printf("%-18s ", nm);
		kt_cli_text(json_string_value(json_object_get(it, "value")));
		printf(" [conflict: also '");
		kt_cli_text(json_string_value(json_object_get(it, "other_value")));
		printf("' from branch ");
		kt_cli_text(json_string_value(json_object_get(it, "other_branch")));
		printf("]\n");
	}
}

/* Her details, each field a line, an open conflict marked on its field's. */
static void print_details(const struct kt_rec *c, json_t *cf)
{
	const struct kt_field *fs[64];
	size_t n = kt_schema_fields(KT_T_CLIENT, fs, 64);
	char buf[4096];

	for (size_t i = 0; i < n; i++) {
		const char *nm = fs[i]->name;

		if (!strcmp(nm, "name") || fs[i]->chair != KT_CH_NONE)
			continue; /* shown in the safety block */
		kt_card_text(c, nm, buf, sizeof(buf));
		if (buf[0]) {
			printf("%-18s ", nm);
			kt_cli_text(buf);
			print_conflict_marks(cf, nm);
			printf("\n");
		}
	}
	print_other_conflicts(cf);
}

/*
 * What a visit's line adds after its columns, on a line of its own under
 * them: products used and sold, the result and the rating, each when set.
 */
static void print_visit_more(const struct kt_rec *r)
{
	static const char *const parts[][2] = {
		{ "products_used", "used: " }, { "products_sold", "sold: " },
		{ "result", "result: " }, { "rating", "rating " },
	};
	char val[KT_VALUE_BYTES_MAX + 1];
	size_t k = 0;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		kt_card_text(r, parts[i][0], val, sizeof(val));
		if (!val[0])
			continue;
		if (k++ == 0)
			printf("%14s", ""); /* under the branch column */
		else
			printf("; ");
		printf("%s", parts[i][1]);
		kt_cli_text(val);
		if (!strcmp(parts[i][0], "rating"))
			printf("/5");
	}
	if (k)
		printf("\n");
}

/*
 * The visits as a table: date, branch, services, amount, currency and the
 * specialist, the text cells padded and cut by display columns
 * (kt_cli_pad), so a Chinese or Cyrillic service keeps the columns after
 * it in place; then what the visit adds (print_visit_more).
 */
static void print_visits(const struct recs *v)
{
	char d[16], br[128], sv[KT_VALUE_BYTES_MAX + 1], am[32], cur[16], sp[512], ov[512];

	printf("\nVisits (%zu)%s\n", v->n, v->n ? ":" : ": none");
	for (size_t i = 0; i < v->n; i++) {
		kt_card_text(&v->r[i], "date", d, sizeof(d));
		kt_card_text(&v->r[i], "branch", br, sizeof(br));
		kt_card_text(&v->r[i], "services", sv, sizeof(sv));
		kt_card_text(&v->r[i], "amount", am, sizeof(am));
		kt_card_text(&v->r[i], "currency", cur, sizeof(cur));
		kt_card_text(&v->r[i], "specialist", sp, sizeof(sp));
		kt_card_text(&v->r[i], "override_reason", ov, sizeof(ov));
		if (ov[0] && !kt_text_says_something(ov))
			snprintf(ov, sizeof(ov), "no reason given"); /* a blank one, imported */
		printf("  %s  ", d);
		kt_cli_pad(br, 12);
		kt_cli_pad(sv, 30);
		printf("%10s ", am);
		if (sp[0] || ov[0]) {
			kt_cli_pad(cur, 4);
			kt_cli_text(sp);
		} else {
			kt_cli_text(cur); /* no blanks at the end of the line */
		}
		if (ov[0]) {
			printf("  [override: ");
			kt_cli_text(ov);
			printf("]");
		}
		printf("\n");
		print_visit_more(&v->r[i]);
	}
}

/*
 * Where photos would be (her assessments): whether her photos consent is
 * given, so no one takes or keeps a photo she did not agree to.
 */
static void print_photos_consent(const struct kt_consents *cs)
{
	const struct kt_consent *c = kt_consent_current(cs->c, cs->n, KT_CONSENT_PHOTOS);

	if (c != NULL && c->given)
		printf("  photos: consent given %s%s%s\n", c->date[0] ? c->date : "(undated)",
		       c->version[0] ? ", version " : "", c->version);
	else
		printf("  photos: %s: take and keep no photos of her\n",
		       c != NULL ? "consent withdrawn" : "no consent recorded");
}

static void print_assessments(const struct recs *a)
{
	char d[16], line[512];
	json_t *ch;
	const char *k;
	json_t *val;

	printf("\nAssessments (%zu)%s\n", a->n, a->n ? ":" : ": none");
	for (size_t i = 0; i < a->n; i++) {
		size_t n = 0;

		kt_card_text(&a->r[i], "date", d, sizeof(d));
		line[0] = '\0';
		for (size_t s = 0; s < 6; s++) {
			char v[16];

			kt_card_text(&a->r[i], scores[s], v, sizeof(v));
			if (v[0] && n < sizeof(line))
				n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%s",
						      scores[s], v);
		}
		printf("  %s %s\n", d, line);
	}
	ch = assessment_change(a);
	if (json_object_size(ch) > 0) {
		printf("  change since the first:");
		json_object_foreach(ch, k, val)
			printf(" %s %+lld", k, (long long)json_integer_value(val));
		printf("\n");
	}
	json_decref(ch);
}

/*
 * One feedback line: kind, status, her words, then how it was resolved and
 * the day to follow up, when set.
 */
static void print_feedback(const struct kt_rec *r)
{
	char k[32], st[32], t[KT_VALUE_BYTES_MAX + 1], res[KT_VALUE_BYTES_MAX + 1], fu[16];

	kt_card_text(r, "kind", k, sizeof(k));
	kt_card_text(r, "status", st, sizeof(st));
	kt_card_text(r, "text", t, sizeof(t));
	kt_card_text(r, "resolution", res, sizeof(res));
	kt_card_text(r, "follow_up", fu, sizeof(fu));
	printf("  %-9s %-11s ", k, st);
	kt_cli_text(t);
	if (res[0]) {
		printf("; resolution: ");
		kt_cli_text(res);
	}
	if (fu[0])
		printf("; follow up on %s", fu);
	printf("\n");
}

static void print_feedback_points(const struct recs *fb, const struct recs *pts);

static void print_plans_feedback_points(const struct recs *pl, const struct recs *fb,
					const struct recs *pts)
{
	char st[32], g[512], pr[512], fr[128];
	size_t open = 0;

	for (size_t i = 0; i < pl->n; i++) {
		kt_card_text(&pl->r[i], "status", st, sizeof(st));
		if (st[0] && strcmp(st, "open") != 0)
			continue;
		kt_card_text(&pl->r[i], "goal", g, sizeof(g));
		kt_card_text(&pl->r[i], "procedures", pr, sizeof(pr));
		kt_card_text(&pl->r[i], "frequency", fr, sizeof(fr));
		printf("%s  goal: ", open++ ? "" : "\nCare plan (open):\n");
		kt_cli_text(g);
		printf("; procedures: ");
		kt_cli_text(pr);
		printf("; ");
		kt_cli_text(fr);
		printf("\n");
	}
	if (open == 0)
		printf("\nCare plan: none open\n");
	print_feedback_points(fb, pts);
}

static void print_feedback_points(const struct recs *fb, const struct recs *pts)
{
	char bal[48];

	printf("\nFeedback (%zu)%s\n", fb->n, fb->n ? ":" : ": none");
	for (size_t i = 0; i < fb->n; i++)
		print_feedback(&fb->r[i]);
	printf("\nPoints balance: %s (%zu entries)\n",
	       kt_points_text(points_balance(pts), bal, sizeof(bal)), pts->n);
}

static json_t *show_json(const struct kt_rec *c, struct recs *s,
			 const struct kt_safety_rules *rules)
{
	json_t *o = kt_card_json(c), *pt = recs_json(&s[1]);
	size_t i;
	json_t *it;

	json_array_foreach(pt, i, it)
		json_object_set_new(it, "state", json_string(patch_state(&s[1].r[i], rules)));
	json_object_set_new(o, "visits", recs_json(&s[0]));
	json_object_set_new(o, "patch_tests", pt);
	json_object_set_new(o, "assessments", recs_json(&s[2]));
	json_object_set_new(o, "assessment_change", assessment_change(&s[2]));
	json_object_set_new(o, "plans", recs_json(&s[3]));
	json_object_set_new(o, "feedback", recs_json(&s[4]));
	json_object_set_new(o, "points", recs_json(&s[5]));
	json_object_set_new(o, "points_balance", kt_points_json(points_balance(&s[5])));
	return o;
}

/*
 * The cards whose records show on card id: its whole merge group when id
 * is the group's root (g, read by the safety check), else id and the cards
 * merged straight into it.
 */
static int shown_ids(struct kt_cli *cli, MDB_txn *txn, const struct kt_id *id,
		     const struct kt_safety_card *g, struct kt_id *ids, size_t *nids)
{
	size_t n;

	if (kt_id_cmp(&g->root, id) == 0) {
		memcpy(ids, g->ids, g->nids * sizeof(*ids));
		*nids = g->nids;
		return 0;
	}
	ids[0] = *id;
	if (kt_store_merged_into(&cli->st, txn, id, ids + 1, MERGED_MAX - 1, &n, &cli->err))
		return -1;
	*nids = 1 + (n < MERGED_MAX - 1 ? n : MERGED_MAX - 1);
	return 0;
}

static void print_card(struct kt_cli *cli, MDB_txn *txn, const struct kt_rec *c,
		       const struct kt_safety_card *g, const struct kt_id *ids, size_t nids,
		       struct recs *s, const struct kt_safety_rules *rules, json_t *cf, int hidden,
		       const struct kt_consents *cs)
{
	char name[512], idt[KT_ID_TEXT_BYTES];

	kt_card_text(c, "name", name, sizeof(name));
	kt_id_format(&c->id, idt);
	kt_cli_text(name);
	printf("  (%s)\n", idt);
	if (!kt_id_is_zero(&c->alias) && g != NULL && kt_id_cmp(&g->root, &c->alias) != 0) {
		char root[KT_ID_TEXT_BYTES];

		kt_id_format(&c->alias, idt);
		kt_id_format(&g->root, root);
		printf("MERGED into %s, itself merged into %s: its visits and records show there\n",
		       idt, root);
	} else if (!kt_id_is_zero(&c->alias)) {
		kt_id_format(&c->alias, idt);
		printf("MERGED into %s: its visits and records show there\n", idt);
	}
	for (size_t i = 1; i < nids; i++) {
		kt_id_format(&ids[i], idt);
		printf("merged card: %s (client unmerge %s undoes it)\n", idt, idt);
	}
	printf("\n");
	print_safety(g, &c->id, rules, hidden);
	printf("\n");
	print_details(c, cf);
	kt_cli_consents_print(cli, txn, cs);
	if (!(hidden & recs_part(KT_T_VISIT)))
		print_visits(&s[0]);
	if (!(hidden & recs_part(KT_T_ASSESS))) {
		print_assessments(&s[2]);
		print_photos_consent(cs);
	}
	if (!(hidden & (recs_part(KT_T_PLAN) | recs_part(KT_T_FEEDBACK) | recs_part(KT_T_POINTS))))
		print_plans_feedback_points(&s[3], &s[4], &s[5]);
	else if (!(hidden & recs_part(KT_T_FEEDBACK)) && !(hidden & recs_part(KT_T_POINTS)))
		print_feedback_points(&s[4], &s[5]);
}

static void print_card_json(struct kt_cli *cli, MDB_txn *txn, const struct kt_rec *c,
			    const struct kt_safety_card *g, const struct kt_id *ids, size_t nids,
			    struct recs *s, const struct kt_safety_rules *rules, json_t *cf,
			    const char *hidden, const struct kt_consents *cs)
{
	json_t *o = show_json(c, s, rules), *m = json_array();
	char idt[KT_ID_TEXT_BYTES];

	for (size_t i = 1; i < nids; i++) {
		kt_id_format(&ids[i], idt);
		json_array_append_new(m, json_string(idt));
	}
	json_object_set_new(o, "merged", m);
	json_object_set_new(o, "safety", safety_json(g, rules));
	json_object_set(o, "conflicts", cf);
	json_object_set_new(o, "consents", kt_consents_json(&cli->st, txn, cs));
	if (hidden[0])
		json_object_set_new(o, "hidden", json_string(hidden));
	kt_cli_print_json(o);
}

/* Drops the safety items of a part the role may not read (medications: health). */
static int safety_keep(struct kt_safety_card *g, int reads)
{
	static const char *const by_chair[] = { [KT_CH_ALLERGY] = "allergies",
						[KT_CH_CONTRA] = "contraindications",
						[KT_CH_MEDICATION] = "medications",
						[KT_CH_ALERT] = "staff_alert" };
	size_t k = 0;
	int dropped = 0;

	for (size_t i = 0; i < g->nitems; i++) {
		uint8_t ch = g->items[i].chair;
		const struct kt_field *f = ch < 5 && by_chair[ch]
						   ? kt_schema_field_named(KT_T_CLIENT, by_chair[ch])
						   : NULL;
		int part = f != NULL ? kt_schema_part(KT_T_CLIENT, f->num) : KT_P_HEALTH;

		if (reads & part) {
			g->items[k++] = g->items[i];
		} else {
			free(g->items[i].text);
			dropped |= part;
		}
	}
	g->nitems = k;
	return dropped;
}

/* The line that says what the role was not shown (nothing when all was). */
static void print_hidden(const struct kt_cli *cli, int hidden)
{
	char parts[96];

	if (hidden == 0)
		return;
	printf("\nNot shown to %s (%s): %s\n", cli->me.name, kt_role_name(cli->me.role),
	       kt_schema_parts_text(hidden, parts, sizeof(parts)));
}

static const char show_usage[] =
	"usage: kt-node -d DIR client show ID [--json]\n"
	"\n"
	"Shows a card: its safety block first (over the card's whole merge group), then\n"
	"details, visits, assessments, open care plans, feedback and points.  --json\n"
	"prints it as one object: fields by name under \"fields\", visits, records.\n"
	"example: kt-node -d DIR client show 01JD3Q5ZK8W6T9V2M4N7P0R1S4 --json\n";

int cmd_client_show(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "client show", show_usage, opts, argc, argv);
	static const uint8_t types[6] = { KT_T_VISIT, KT_T_PATCH, KT_T_ASSESS, KT_T_PLAN,
					  KT_T_FEEDBACK, KT_T_POINTS };
	static struct kt_safety_card g;
	static struct kt_id ids[KT_SAFETY_GROUP_MAX];
	struct recs s[6];
	struct kt_rec c;
	struct kt_id id;
	size_t nids = 0;
	MDB_txn *txn;
	int json = 0, rc = 0, k, hidden = 0;
	struct kt_settings set;
	struct kt_safety_rules rules;
	struct kt_consents cs = { 0 };
	json_t *cf;

	while ((k = kt_opts_next(o)) >= 0)
		switch (k) {
		case KT_CLI_JSON: json = 1; break;
		}
	if (k != KT_OPTS_END)
		return kt_opts_exit(k);
	if (o->nargs != 1)
		return kt_cli_failf("client show: usage: client show ID [--json]");
	argv = o->args - 1; /* argv[1] is the ID, as below */
	if (kt_cli_id(argv[1], &id) != 0 || kt_cli_act(cli, "client show", 0))
		return 1;
	if (!kt_cli_may_read(cli, KT_P_CONTACTS))
		return kt_cli_refuse_read(cli, "client show", KT_P_CONTACTS);
	kt_salon_safety_rules(kt_cli_settings(cli, &set), kt_cli_today(cli), &rules);
	if (kt_store_rdtxn(&cli->st, &txn, &cli->err) != 0)
		return kt_cli_fail(cli);
	kt_rec_init(&c);
	memset(s, 0, sizeof(s));
	if (kt_store_load(&cli->st, txn, &id, &c, &cli->err) != 0 || c.type != KT_T_CLIENT) {
		if (c.type != KT_T_CLIENT && cli->err.code == 0)
			kt_err_set(&cli->err, KT_EINVAL, "'%s' is not a client", argv[1]);
		rc = kt_cli_fail(cli);
		goto done;
	}
	if (kt_safety_load(&cli->st, txn, &id, &g, &cli->err) != 0) {
		rc = kt_cli_failf("cannot read the card's safety block: %s", cli->err.msg);
		goto done;
	}
	hidden = kt_card_keep(&c, cli->rights.reads) | safety_keep(&g, cli->rights.reads);
	if (shown_ids(cli, txn, &id, &g, ids, &nids) != 0) {
		rc = kt_cli_fail(cli);
		goto done;
	}
	for (int t = 0; t < 6; t++) {
		s[t].cli = cli;
		s[t].txn = txn;
		if (cli->rights.reads & recs_part(types[t]))
			recs_load(&s[t], ids, nids, types[t]);
		else
			hidden |= recs_part(types[t]);
	}
	if (kt_consents_load(&cli->st, txn, &id, &cs, &cli->err) != 0) {
		rc = kt_cli_failf("cannot read the card's consents: %s", cli->err.msg);
		goto done;
	}
	cf = card_conflicts(cli, txn, &c);
	if (json) {
		char parts[96];

		print_card_json(cli, txn, &c, &g, ids, nids, s, &rules, cf,
				kt_schema_parts_text(hidden, parts, sizeof(parts)), &cs);
	} else {
		print_card(cli, txn, &c, &g, ids, nids, s, &rules, cf, hidden, &cs);
		print_hidden(cli, hidden);
	}
	json_decref(cf);
	for (size_t i = 0; i < nids; i++)
		kt_cli_audit(cli, "show", cli->rights.reads & KT_P_CARD, &ids[i]);
done:
	kt_consents_release(&cs);
	for (int t = 0; t < 6; t++)
		recs_release(&s[t]);
	kt_safety_release(&g);
	kt_rec_release(&c);
	mdb_txn_abort(txn);
	return rc;
}
