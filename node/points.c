/* points.c - the loyalty ledger's balance and its rule (see points.h). */
#include "points.h"
#include "card.h"
#include "import.h"
#include "safety.h"
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kt_points_total kt_points_sum(const struct kt_rec *r, size_t n)
{
	kt_points_total sum = 0;

	for (size_t i = 0; i < n; i++) {
		const struct kt_val *v = r[i].type == KT_T_POINTS ? kt_card_get(&r[i], "delta")
								   : NULL;

		if (v != NULL && v->t == KT_V_INT)
			sum += v->i;
	}
	return sum;
}

char *kt_points_text(kt_points_total t, char *out, size_t cap)
{
	char digits[48];
	size_t n = 0;
	unsigned __int128 u = t < 0 ? -(unsigned __int128)t : (unsigned __int128)t;

	do {
		digits[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	if (t < 0)
		digits[n++] = '-';
	for (size_t i = 0; i < n && i + 1 < cap; i++)
		out[i] = digits[n - 1 - i];
	if (cap > 0)
		out[n < cap ? n : cap - 1] = '\0';
	return out;
}

json_t *kt_points_json(kt_points_total t)
{
	char buf[48];

	if (t >= INT64_MIN && t <= INT64_MAX)
		return json_integer((json_int_t)t);
	return json_string(kt_points_text(t, buf, sizeof(buf)));
}

struct sum_ctx {
	struct kt_store *st;
	MDB_txn *txn;
	kt_points_total sum;
	int rc;
	struct kt_err *err;
};

static int add_entry(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct sum_ctx *s = ctx;
	struct kt_rec r;

	(void)type;
	kt_rec_init(&r);
	s->rc = kt_store_load(s->st, s->txn, id, &r, s->err);
	if (s->rc == 0)
		s->sum += kt_points_sum(&r, 1);
	kt_rec_release(&r);
	return s->rc;
}

int kt_points_balance(struct kt_store *st, MDB_txn *txn, const struct kt_id *client,
		      kt_points_total *balance, struct kt_err *err)
{
	static struct kt_safety_card g; /* the group as the check and show read it */
	struct sum_ctx s = { st, txn, 0, 0, err };
	int rc;

	*balance = 0;
	memset(&g, 0, sizeof(g));
	rc = kt_safety_load(st, txn, client, &g, err);
	for (size_t i = 0; rc == 0 && i < g.nids; i++) {
		rc = kt_store_owned(st, txn, &g.ids[i], KT_T_POINTS, add_entry, &s, err);
		if (rc == 0)
			rc = s.rc;
	}
	kt_safety_release(&g);
	*balance = s.sum;
	return rc;
}

int kt_points_refused(kt_points_total balance, long long delta, char *why, size_t cap)
{
	kt_points_total after = balance + delta;
	char b[48], a[48];

	if (delta >= 0 || after >= 0)
		return 0;
	snprintf(why, cap, "the balance is %s and this entry would make it %s",
		 kt_points_text(balance, b, sizeof(b)), kt_points_text(after, a, sizeof(a)));
	return 1;
}

/* ---- import ---- */

/* A group's balance so far in an import: the store's, then the file's good rows. */
struct running {
	struct kt_id root;
	kt_points_total balance;
};

static const char *row_text(const struct kt_import_row *r, const char *name)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return r->f[i].value;
	return "";
}

/* The card client's entries count on: a file card's merge target first, then the store's root. */
static void root_of(struct kt_store *st, MDB_txn *txn, const struct kt_import *im,
		    const struct kt_id *client, struct kt_id *root)
{
	struct kt_id to = *client, id;

	for (size_t i = 0; i < im->n; i++) { /* one hop: the file's own merge of the card */
		const struct kt_import_row *c = &im->rows[i];

		if (c->type == KT_T_CLIENT && c->bad == NULL && c->merged_into != NULL &&
		    kt_id_parse(&id, c->id) == 0 && kt_id_cmp(&id, client) == 0 &&
		    kt_id_parse(&to, c->merged_into) == 0)
			break;
		to = *client;
	}
	kt_store_alias_root(st, txn, &to, root);
}

/* The running balance of root, read from the store the first time; NULL on an error. */
static struct running *running_of(struct kt_store *st, MDB_txn *txn, struct running **v,
				  size_t *n, size_t *cap, const struct kt_id *root,
				  struct kt_err *err)
{
	kt_points_total b = 0;

	for (size_t i = 0; i < *n; i++)
		if (kt_id_cmp(&(*v)[i].root, root) == 0)
			return &(*v)[i];
	if (kt_store_is_client(st, txn, root) && kt_points_balance(st, txn, root, &b, err) != 0)
		return NULL;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = kt_realloc(*v, *cap * sizeof(**v));
	}
	(*v)[*n].root = *root;
	(*v)[*n].balance = b;
	return &(*v)[(*n)++];
}

/* The rule on one good points row whose group has balance; 1 when it counts in the balance. */
static int check_entry(struct kt_import *im, struct kt_import_row *r, kt_points_total balance,
		       long long delta, int32_t today, const char *override, int as_recorded)
{
	const char *date = row_text(r, "date");
	char why[160];
	int32_t day;

	if (!kt_points_refused(balance, delta, why, sizeof(why)))
		return 1;
	if (kt_text_says_something(row_text(r, "override_reason")) &&
	    !kt_text_says_something(row_text(r, "override_by"))) {
		kt_import_mark_bad(im, r, "an override needs who gave it (override_by)");
		return 0;
	}
	if (kt_text_says_something(row_text(r, "override_reason")))
		return 1; /* allowed where it was first written */
	if (as_recorded || kt_date_parse(date, &day) != 0 || day < today) {
		kt_import_note(im, r, "the points entry%s%s would be refused today: %s "
			       "(imported as recorded)", date[0] ? " of " : "", date, why);
		return 1;
	}
	if (override != NULL) {
		r->override = override;
		return 1;
	}
	kt_import_mark_bad(im, r, "points entry refused: %s (give the row an override_reason, "
			   "or import --override REASON)", why);
	return 0;
}

int kt_points_import(struct kt_store *st, MDB_txn *txn, struct kt_import *im, int32_t today,
		     const char *override, int as_recorded, struct kt_err *err)
{
	struct running *v = NULL, *g;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (size_t i = 0; i < im->n && rc == 0; i++) {
		struct kt_import_row *r = &im->rows[i];
		struct kt_id client, root;
		long long delta;
		char *end;

		if (r->bad != NULL || r->type != KT_T_POINTS || kt_id_parse(&client, r->client) != 0)
			continue; /* the owner check marks a bad client */
		errno = 0;
		delta = strtoll(row_text(r, "delta"), &end, 10);
		if (errno != 0 || end == row_text(r, "delta"))
			continue; /* no delta: the schema has said so */
		root_of(st, txn, im, &client, &root);
		if ((g = running_of(st, txn, &v, &n, &cap, &root, err)) == NULL) {
			rc = err->code ? err->code : KT_EIO;
			break;
		}
		if (check_entry(im, r, g->balance, delta, today, override, as_recorded))
			g->balance += delta;
	}
	free(v);
	return rc;
}
