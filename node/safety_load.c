/*
 * safety_load.c - loading what the safety check reads (see safety.h): a
 * merge group walked breadth first from its root, each card's entries
 * and patch tests, and the dates of those tests.
 */
#include "safety.h"
#include "safety_int.h"
#include "card.h"
#include "list.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading a merge group ---- */

static int add_item(struct kt_safety_card *c, uint8_t chair, const struct kt_id *card,
		    const char *s, size_t n)
{
	struct kt_safety_item *it;

	if (c->nitems == c->cap_items) {
		c->cap_items = c->cap_items ? c->cap_items * 2 : 16;
		c->items = kt_realloc(c->items, c->cap_items * sizeof(*c->items));
	}
	it = &c->items[c->nitems++];
	it->chair = chair;
	it->card = *card;
	it->text = kt_strndup(s, n);
	return 0;
}

int kt_safety_damaged(struct kt_err *err, const struct kt_id *card, const char *what)
{
	char idt[KT_ID_TEXT_BYTES];

	kt_id_format(card, idt);
	return kt_err_set(err, KT_ECORRUPT, "card %s has a damaged %s", idt, what);
}

/* Each part of each list element the chair reads, to fn (safety_int.h). */
int kt_safety_chair_parts(const struct kt_rec *r, part_fn fn, void *ctx, struct kt_err *err)
{
	for (uint32_t i = 0; i < r->nelems; i++) {
		const struct kt_field *f = kt_schema_field(r->type, r->elems[i].field);
		const struct kt_val *v = &r->elems[i].v;
		struct kt_span part;
		size_t pos = 0;
		int rc;

		if (f == NULL || f->chair == KT_CH_NONE)
			continue;
		if (v->t != KT_V_STR || !kt_text_valid(v->s, v->n) || kt_list_count(v->s, v->n) == 0)
			return kt_safety_damaged(err, &r->id, f->name); /* no entry is written empty */
		while (kt_list_next(v->s, v->n, &pos, &part))
			if ((rc = fn(ctx, f, part.s, part.n)) != 0)
				return rc;
	}
	return 0;
}

struct card_part {
	struct kt_safety_card *c;
	const struct kt_id *id;
};

static int card_part(void *ctx, const struct kt_field *f, const char *s, size_t n)
{
	struct card_part *p = ctx;

	add_item(p->c, f->chair, p->id, s, n);
	return 0;
}

/* Adds what one card says she must not have, entry by entry. */
static int card_items(struct kt_safety_card *c, const struct kt_rec *r, struct kt_err *err)
{
	struct card_part p = { c, &r->id };
	int rc = kt_safety_chair_parts(r, card_part, &p, err);

	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < r->nfields; i++) {
		const struct kt_field *f = kt_schema_field(r->type, r->fields[i].field);
		const struct kt_val *v = &r->fields[i].v;

		if (f == NULL || f->chair != KT_CH_ALERT || v->t == KT_V_NIL)
			continue;
		if (v->t != KT_V_STR || !kt_text_valid(v->s, v->n))
			return kt_safety_damaged(err, &r->id, f->name);
		if (v->n > 0)
			add_item(c, KT_CH_ALERT, &r->id, v->s, v->n);
	}
	return 0;
}

struct patch_walk {
	struct kt_store *st;
	MDB_txn *txn;
	struct kt_safety_card *c;
	const struct kt_id *card;
	struct kt_err *err;
};

static void copy_text(const struct kt_rec *r, const char *name, char *out, size_t cap)
{
	kt_card_text(r, name, out, cap);
}

static int by_date(const void *a, const void *b);

/*
 * A patch test the check can rely on: a subject with a word, a status of
 * the schema's, a date and valid_until that are dates when set.  Anything
 * else is damage (a flipped byte, a hostile peer): KT_ECORRUPT, never a
 * test that is quietly left out (a failed test left out would let an older
 * pass clear the service).
 */
static int patch_problem(const struct kt_rec *r, struct kt_err *err)
{
	static const char *const texts[] = { "subject", "status", "date", "valid_until" };
	char buf[KT_SAFETY_TEXT_BYTES], *key;
	int32_t day;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const struct kt_val *v = kt_card_get(r, texts[i]);

		if (v != NULL && (v->t != KT_V_STR || !kt_text_valid(v->s, v->n)))
			return kt_safety_damaged(err, &r->id, texts[i]);
	}
	kt_card_text(r, "subject", buf, sizeof(buf));
	if ((key = kt_text_words_key(buf)) == NULL)
		return kt_safety_damaged(err, &r->id, "subject (patch test)");
	free(key);
	kt_card_text(r, "status", buf, sizeof(buf));
	if (buf[0] && strcmp(buf, "pending") && strcmp(buf, "passed") && strcmp(buf, "failed"))
		return kt_safety_damaged(err, &r->id, "status (patch test)");
	kt_card_text(r, "date", buf, sizeof(buf));
	if (buf[0] && kt_date_parse(buf, &day) != 0)
		return kt_safety_damaged(err, &r->id, "date (patch test)");
	kt_card_text(r, "valid_until", buf, sizeof(buf));
	if (buf[0] && kt_date_parse(buf, &day) != 0)
		return kt_safety_damaged(err, &r->id, "valid_until (patch test)");
	return 0;
}

static int add_patch(struct kt_safety_card *c, const struct kt_rec *r, struct kt_err *err)
{
	struct kt_safety_patch *p;
	int rc = patch_problem(r, err);

	if (rc != 0)
		return rc;
	if (c->npatches == c->cap_patches) {
		c->cap_patches = c->cap_patches ? c->cap_patches * 2 : 8;
		c->patches = kt_realloc(c->patches, c->cap_patches * sizeof(*c->patches));
	}
	p = &c->patches[c->npatches++];
	memset(p, 0, sizeof(*p));
	p->id = r->id;
	p->card = r->owner;
	copy_text(r, "subject", p->subject, sizeof(p->subject));
	copy_text(r, "date", p->date, sizeof(p->date));
	copy_text(r, "status", p->status, sizeof(p->status));
	copy_text(r, "valid_until", p->until, sizeof(p->until));
	return 0;
}

static int patch_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct patch_walk *w = ctx;
	struct kt_rec r;
	int rc;

	(void)type;
	kt_rec_init(&r);
	if ((rc = kt_store_load(w->st, w->txn, id, &r, w->err)) == 0) {
		r.owner = *w->card;
		rc = add_patch(w->c, &r, w->err);
	} else if (rc == KT_ENOTFOUND) {
		rc = kt_safety_damaged(w->err, w->card, "patch test index entry");
	}
	kt_rec_release(&r);
	return rc;
}

int kt_safety_add_record(struct kt_safety_card *c, const struct kt_rec *r, struct kt_err *err)
{
	if (r->type == KT_T_PATCH) {
		int rc = add_patch(c, r, err);

		if (rc != 0)
			return rc;
		if (c->npatches > 1)
			qsort(c->patches, c->npatches, sizeof(*c->patches), by_date);
		return 0;
	}
	return r->type == KT_T_CLIENT ? card_items(c, r, err) : 0;
}

/* Loads one card of the group: its items and its patch tests. */
static int load_card(struct kt_store *st, MDB_txn *txn, struct kt_safety_card *c,
		     const struct kt_id *id, struct kt_err *err)
{
	struct patch_walk w = { st, txn, c, id, err };
	struct kt_rec r;
	int rc;

	kt_rec_init(&r);
	rc = kt_store_load(st, txn, id, &r, err);
	if (rc != 0 && rc != KT_ENOTFOUND) {
		char idt[KT_ID_TEXT_BYTES], was[sizeof(err->msg)];

		kt_id_format(id, idt);
		snprintf(was, sizeof(was), "%s", err->msg);
		rc = kt_err_set(err, rc, "card %s: %s", idt, was);
	}
	if (rc == 0 && r.type != KT_T_CLIENT) {
		char idt[KT_ID_TEXT_BYTES];

		kt_id_format(id, idt);
		rc = kt_err_set(err, KT_ENOTFOUND, "'%s' is not a client card", idt);
	}
	if (rc == 0)
		rc = card_items(c, &r, err);
	kt_rec_release(&r);
	if (rc == 0)
		rc = kt_store_owned(st, txn, id, KT_T_PATCH, patch_one, &w, err);
	return rc > 0 ? kt_err_set(err, KT_EIO, "cannot read the patch tests") : rc;
}

/*
 * Follows the alias registers from client to the card its group shows under,
 * noting each card on the way in path[0..*npath) (client first, root last).
 */
static int find_root(struct kt_store *st, MDB_txn *txn, const struct kt_id *client,
		     struct kt_id *root, struct kt_id *path, size_t *npath, struct kt_err *err)
{
	struct kt_id to;

	*root = *client;
	path[0] = *client;
	*npath = 1;
	for (int hop = 0; hop < KT_SAFETY_ALIAS_HOPS; hop++) {
		if (!kt_store_alias_of(st, txn, root, &to))
			return 0;
		for (size_t i = 0; i < *npath; i++)
			if (kt_id_cmp(&path[i], &to) == 0) { /* two branches merged them crosswise */
				char a[KT_ID_TEXT_BYTES], b[KT_ID_TEXT_BYTES];

				kt_id_format(root, a);
				kt_id_format(&to, b);
				return kt_err_set(err, KT_ECORRUPT, "cards %s and %s are merged into "
						  "each other (two branches merged them at once): "
						  "run client unmerge %s", a, b, a);
			}
		*root = path[(*npath)++] = to;
	}
	return kt_err_set(err, KT_ETOOBIG, "the card's merges go over %d levels",
			  KT_SAFETY_ALIAS_HOPS);
}

static int seen(const struct kt_safety_card *c, const struct kt_id *id)
{
	for (size_t i = 0; i < c->nids; i++)
		if (kt_id_cmp(&c->ids[i], id) == 0)
			return 1;
	return 0;
}

/*
 * The group's ids, breadth first over the merged dbi from the root and from
 * every card on the alias path to it: a card's own alias register puts it in
 * the group even if an index entry that names it is missing.
 */
static int group_ids(struct kt_store *st, MDB_txn *txn, struct kt_safety_card *c,
		     const struct kt_id *path, size_t npath, struct kt_err *err)
{
	struct kt_id kids[KT_SAFETY_GROUP_MAX];
	size_t n;
	int rc;

	c->ids[0] = c->root;
	c->nids = 1;
	for (size_t i = npath; i-- > 0;)
		if (!seen(c, &path[i]))
			c->ids[c->nids++] = path[i]; /* npath <= ALIAS_HOPS + 1 < GROUP_MAX */
	for (size_t at = 0; at < c->nids; at++) {
		if ((rc = kt_store_merged_into(st, txn, &c->ids[at], kids, KT_SAFETY_GROUP_MAX,
					       &n, err)) != 0)
			return rc;
		for (size_t k = 0; k < n; k++) {
			if (k >= KT_SAFETY_GROUP_MAX || c->nids == KT_SAFETY_GROUP_MAX)
				return kt_err_set(err, KT_ETOOBIG, "over %d cards are merged "
						  "into one", KT_SAFETY_GROUP_MAX);
			if (!seen(c, &kids[k]))
				c->ids[c->nids++] = kids[k];
		}
	}
	return 0;
}

static int by_date(const void *a, const void *b)
{
	const struct kt_safety_patch *x = a, *y = b;
	int c = strcmp(x->date, y->date);

	return c ? c : kt_id_cmp(&x->id, &y->id);
}

int kt_safety_load(struct kt_store *st, MDB_txn *txn, const struct kt_id *client,
		   struct kt_safety_card *out, struct kt_err *err)
{
	struct kt_id path[KT_SAFETY_ALIAS_HOPS + 1];
	size_t npath;
	int rc;

	if ((rc = find_root(st, txn, client, &out->root, path, &npath, err)) != 0 ||
	    (rc = group_ids(st, txn, out, path, npath, err)) != 0)
		return rc;
	for (size_t i = 0; i < out->nids; i++) {
		rc = load_card(st, txn, out, &out->ids[i], err);
		if (rc == KT_ENOTFOUND && kt_id_cmp(&out->ids[i], client) != 0) {
			char idt[KT_ID_TEXT_BYTES];

			kt_id_format(&out->ids[i], idt);
			rc = kt_err_set(err, KT_ECORRUPT, "card %s of the merge group is missing "
					"or not a card", idt);
		}
		if (rc != 0)
			return rc;
	}
	if (out->npatches > 1)
		qsort(out->patches, out->npatches, sizeof(*out->patches), by_date);
	return 0;
}

void kt_safety_release(struct kt_safety_card *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nitems; i++)
		free(c->items[i].text);
	free(c->items);
	free(c->patches);
	memset(c, 0, sizeof(*c));
}

void kt_safety_add_months(const char *date, int months, char out[11])
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

const char *kt_safety_patch_state(const struct kt_safety_patch *p,
				  const struct kt_safety_rules *rules, char *until)
{
	char last[11];
	int32_t d;

	snprintf(last, sizeof(last), "%s", p->until);
	if (kt_date_parse(last, &d) != 0)
		kt_safety_add_months(p->date, rules->patch_months > 0 ? rules->patch_months :
				     KT_SAFETY_PATCH_MONTHS, last);
	if (until != NULL)
		memcpy(until, last, sizeof(last));
	if (strcmp(p->status, "passed") != 0)
		return strcmp(p->status, "failed") == 0 ? "FAILED" : "pending";
	if (kt_date_parse(last, &d) != 0 || d < rules->today)
		return "EXPIRED";
	return "valid";
}
