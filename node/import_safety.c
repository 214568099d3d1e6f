/*
 * import_safety.c - the safety check over an import's visits, before
 * anything is written (kt_safety_import, safety.h).
 *
 * A visit in a file may belong to a card of the same file, whose allergies
 * and patch tests are not in the store yet, and the file may bring
 * catalogue entries too.  So each visit's group is the store's (when its
 * card is there) plus the file's rows for it: the card itself, the file's
 * cards merged into it, their patch tests; and every catalogue row of the
 * file counts.  Rows are found by binary search in sorted indexes, so a
 * file of a million rows is checked in n log n.
 */
#include "safety.h"
#include "card.h"
#include "import.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A row of the file under an id (its own, its client's or its merge target). */
struct keyed {
	struct kt_id key;
	size_t row;
};

struct ictx {
	struct kt_store *st;
	MDB_txn *txn;
	struct kt_import *im;
	struct kt_draft *d;       /* scratch for a row made into a record */
	struct keyed *cards, *merged, *patches;
	size_t ncards, nmerged, npatches;
	struct kt_rec *catalogue;  /* the file's entries, then the store's */
	size_t ncatalogue, cap_catalogue;
	int catalogue_read;        /* the store's are in it (else each check reads them) */
};

static int by_key(const void *a, const void *b)
{
	return kt_id_cmp(&((const struct keyed *)a)->key, &((const struct keyed *)b)->key);
}

/* The first entry of k[0..n) with key id, or n. */
static size_t first_of(const struct keyed *k, size_t n, const struct kt_id *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (kt_id_cmp(&k[mid].key, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Makes row r into record *out (values borrow the row's strings, which
 * outlive the import).  Returns 0, or -1 for a row that does not parse (it
 * is bad already, or will be refused at write).
 */
static int row_rec(struct ictx *x, const struct kt_import_row *r, struct kt_rec *out)
{
	struct kt_err err;
	struct kt_id id, owner;

	memset(&owner, 0, sizeof(owner));
	if (kt_id_parse(&id, r->id) != 0)
		memset(&id, 0, sizeof(id)); /* a CSV row: no id yet */
	if (r->client[0] && kt_id_parse(&owner, r->client) != 0)
		return -1;
	kt_draft_start(x->d, r->type, &id, 1, &owner);
	for (uint32_t i = 0; i < r->n; i++)
		if (kt_draft_field(x->d, r->f[i].name, r->f[i].value,
				   r->f[i].add ? KT_OP_ADD : KT_OP_SET, &err) != 0)
			return -1;
	kt_rec_init(out);
	out->id = id;
	out->owner = kt_schema_self_owned(r->type) ? id : owner;
	out->type = r->type;
	out->fields = kt_calloc(x->d->nops + 1, sizeof(*out->fields));
	out->elems = kt_calloc(x->d->nops + 1, sizeof(*out->elems));
	for (uint32_t i = 0; i < x->d->nops; i++) {
		if (x->d->ops[i].kind == KT_OP_ADD) {
			out->elems[out->nelems].field = x->d->ops[i].field;
			out->elems[out->nelems++].v = x->d->vals[i];
		} else if (x->d->ops[i].kind == KT_OP_SET) {
			out->fields[out->nfields].field = x->d->ops[i].field;
			out->fields[out->nfields++].v = x->d->vals[i];
		}
	}
	return 0;
}

/* Sorts the file's cards, merged cards and patch tests; makes its catalogue rows. */
static void index_rows(struct ictx *x)
{
	struct kt_import *im = x->im;

	x->cards = kt_calloc(im->n + 1, sizeof(*x->cards));
	x->merged = kt_calloc(im->n + 1, sizeof(*x->merged));
	x->patches = kt_calloc(im->n + 1, sizeof(*x->patches));
	x->catalogue = kt_calloc(im->n + 1, sizeof(*x->catalogue));
	for (size_t i = 0; i < im->n; i++) {
		const struct kt_import_row *r = &im->rows[i];
		struct kt_id id, to, owner;

		if (r->bad != NULL)
			continue;
		if (r->type == KT_T_CLIENT && kt_id_parse(&id, r->id) == 0) {
			x->cards[x->ncards++] = (struct keyed){ id, i };
			if (r->merged_into != NULL && kt_id_parse(&to, r->merged_into) == 0)
				x->merged[x->nmerged++] = (struct keyed){ to, i };
		} else if (r->type == KT_T_PATCH && kt_id_parse(&owner, r->client) == 0) {
			x->patches[x->npatches++] = (struct keyed){ owner, i };
		} else if (r->type == KT_T_CATALOGUE && row_rec(x, r, &x->catalogue[x->ncatalogue]) == 0) {
			x->ncatalogue++;
		}
	}
	qsort(x->cards, x->ncards, sizeof(*x->cards), by_key);
	qsort(x->merged, x->nmerged, sizeof(*x->merged), by_key);
	qsort(x->patches, x->npatches, sizeof(*x->patches), by_key);
}

/* Adds the file's row r (a card or a patch test) to group g. */
static int add_row(struct ictx *x, struct kt_safety_card *g, size_t row, struct kt_err *err)
{
	struct kt_rec r;
	int rc = 0;

	if (row_rec(x, &x->im->rows[row], &r) != 0)
		return 0;
	rc = kt_safety_add_record(g, &r, err);
	free(r.fields);
	free(r.elems);
	return rc;
}

/* The file's rows for card id of the group: the card, its patch tests. */
static int add_card_rows(struct ictx *x, struct kt_safety_card *g, const struct kt_id *id,
			 struct kt_err *err)
{
	size_t k = first_of(x->cards, x->ncards, id);
	int rc = 0;

	if (k < x->ncards && kt_id_cmp(&x->cards[k].key, id) == 0)
		rc = add_row(x, g, x->cards[k].row, err);
	for (k = first_of(x->patches, x->npatches, id);
	     rc == 0 && k < x->npatches && kt_id_cmp(&x->patches[k].key, id) == 0; k++)
		rc = add_row(x, g, x->patches[k].row, err);
	return rc;
}

/*
 * The group of client: the store's, then the file's rows for each of its
 * cards and for the file's cards merged into them (one level: a merge
 * inside one file of a card into a card merged in the same file is rare,
 * and both are checked once written).
 */
static int group_of(struct ictx *x, const struct kt_id *client, struct kt_safety_card *g,
		    struct kt_err *err)
{
	size_t nstore;
	int rc = kt_safety_load(x->st, x->txn, client, g, err);

	if (rc == KT_ENOTFOUND) { /* her card is in the file */
		kt_safety_release(g);
		g->root = *client;
		g->ids[0] = *client;
		g->nids = 1;
		rc = 0;
	}
	nstore = g->nids;
	for (size_t i = 0; rc == 0 && i < nstore; i++) {
		size_t k = first_of(x->merged, x->nmerged, &g->ids[i]);

		rc = add_card_rows(x, g, &g->ids[i], err);
		for (; rc == 0 && k < x->nmerged && kt_id_cmp(&x->merged[k].key, &g->ids[i]) == 0;
		     k++) {
			struct kt_id m;

			if (kt_id_parse(&m, x->im->rows[x->merged[k].row].id) == 0)
				rc = add_card_rows(x, g, &m, err);
		}
	}
	g->catalogue = x->catalogue;
	g->ncatalogue = x->ncatalogue;
	g->catalogue_read = x->catalogue_read;
	return rc;
}

/* The row's value of field name, or "". */
static const char *row_text(const struct kt_import_row *r, const char *name)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return r->f[i].value;
	return "";
}

static void check_visit(struct ictx *x, struct kt_import_row *r,
			const struct kt_safety_rules *rules, const char *override, int as_recorded)
{
	struct kt_safety_card g;
	struct kt_safety_verdict v;
	struct kt_safety_rules on_day = *rules; /* patch tests judged on the visit's day */
	struct kt_err err = { 0 };
	struct kt_id client;
	int32_t day;
	int rc;

	if (kt_id_parse(&client, r->client) != 0)
		return; /* marked bad by the owner check */
	if (kt_date_parse(row_text(r, "date"), &day) == 0)
		on_day.today = day;
	memset(&g, 0, sizeof(g));
	rc = group_of(x, &client, &g, &err);
	if (rc == 0)
		rc = kt_safety_check(x->st, x->txn, &g, row_text(r, "services"),
				     row_text(r, "products_used"), &on_day, &v, &err);
	g.catalogue = NULL;
	kt_safety_release(&g);
	if (rc != 0)
		snprintf(v.why, sizeof(v.why), "the safety check cannot read what it needs "
			 "(%s)", err.msg);
	if (rc == 0 && !v.refused)
		return;
	if (kt_text_says_something(row_text(r, "override_reason")) &&
	    !kt_text_says_something(row_text(r, "override_by"))) {
		kt_import_mark_bad(x->im, r, "an override needs who gave it (override_by)");
		return;
	}
	if (kt_text_says_something(row_text(r, "override_reason")))
		return; /* overridden when it was recorded (a blank reason is none) */
	if (as_recorded || (kt_date_parse(row_text(r, "date"), &day) == 0 && day < rules->today)) {
		/* history: done before the rule that refuses it may have existed */
		kt_import_note(x->im, r, "the visit of %s would be refused today: %s (imported as "
			       "recorded)", row_text(r, "date"), v.why);
		return;
	}
	if (override != NULL)
		r->override = override;
	else
		kt_import_mark_bad(x->im, r, "visit refused by the safety check: %s (give the row "
				   "an override_reason, or import --override REASON)", v.why);
}

int kt_safety_import(struct kt_store *st, MDB_txn *txn, struct kt_import *im,
		     const struct kt_safety_rules *rules, const char *override, int as_recorded)
{
	struct ictx x;

	memset(&x, 0, sizeof(x));
	x.st = st;
	x.txn = txn;
	x.im = im;
	x.d = kt_malloc(sizeof(*x.d));
	index_rows(&x);
	{
		/* the store's catalogue once for the whole file, not once a visit */
		struct kt_err err;
		size_t nfile = x.ncatalogue;

		x.cap_catalogue = im->n + 1;
		x.catalogue_read = kt_safety_catalogue_read(st, txn, &x.catalogue, &x.ncatalogue,
							    &x.cap_catalogue, &err) == 0;
		if (!x.catalogue_read) { /* each check meets the damage and says so */
			for (size_t i = nfile; i < x.ncatalogue; i++)
				kt_rec_release(&x.catalogue[i]);
			x.ncatalogue = nfile;
		}
	}
	for (size_t i = 0; i < im->n; i++)
		if (im->rows[i].bad == NULL && im->rows[i].type == KT_T_VISIT)
			check_visit(&x, &im->rows[i], rules, override, as_recorded);
	for (size_t i = 0; i < x.ncatalogue; i++)
		kt_rec_release(&x.catalogue[i]); /* row_rec's arrays, or kt_store_load's */
	free(x.catalogue);
	free(x.cards);
	free(x.merged);
	free(x.patches);
	free(x.d);
	return 0;
}
