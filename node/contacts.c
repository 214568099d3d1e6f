/* contacts.c - cards that share a phone or an email (see contacts.h). */
#include "contacts.h"
#include "card.h"
#include "import.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Candidates one search yields at most: an office phone on more cards is cut there. */
#define CONTACT_FIND_MAX 64

static void phone_key(const char *s, size_t n, const char *country, char out[KT_PHONE_BYTES])
{
	char ascii[KT_PHONE_TEXT_MAX + 1];

	out[0] = '\0';
	if (s == NULL || n == 0 || n > KT_PHONE_TEXT_MAX)
		return;
	kt_text_phone_ascii(s, n, ascii, sizeof(ascii));
	if (kt_phone_e164(ascii, country, out) != 0)
		out[0] = '\0'; /* not a number: never a duplicate */
}

static void email_key(const char *s, size_t n, char out[KT_CONTACT_EMAIL_BYTES])
{
	char *f;

	out[0] = '\0';
	if (s == NULL || n == 0 || (f = kt_text_fold(s, n)) == NULL)
		return;
	if (strlen(f) < KT_CONTACT_EMAIL_BYTES && strchr(f, '@') != NULL)
		strcpy(out, f);
	free(f);
}

void kt_contact_of_text(const char *phone, const char *email, const char *country,
			struct kt_contact *k)
{
	phone_key(phone, phone ? strlen(phone) : 0, country, k->phone);
	email_key(email, email ? strlen(email) : 0, k->email);
}

void kt_contact_of_card(const struct kt_rec *r, const char *country, struct kt_contact *k)
{
	const struct kt_val *p = kt_rec_get(r, KT_CLIENT_PHONE);
	const struct kt_val *e = kt_rec_get(r, KT_CLIENT_EMAIL);
	const struct kt_val *norm = kt_rec_phone_e164(r);

	k->phone[0] = '\0';
	if (norm != NULL && norm->t == KT_V_STR && norm->n > 0 && norm->n < KT_PHONE_BYTES) {
		memcpy(k->phone, norm->s, norm->n);
		k->phone[norm->n] = '\0';
	} else if (p != NULL && p->t == KT_V_STR) {
		phone_key(p->s, p->n, country, k->phone);
	}
	email_key(e != NULL && e->t == KT_V_STR ? e->s : NULL, e != NULL ? e->n : 0, k->email);
}

int kt_contact_same(const struct kt_contact *a, const struct kt_contact *b)
{
	int same = 0;

	if (a->phone[0] && strcmp(a->phone, b->phone) == 0)
		same |= KT_CONTACT_PHONE;
	if (a->email[0] && strcmp(a->email, b->email) == 0)
		same |= KT_CONTACT_EMAIL;
	return same;
}

/* The name of card r into out, one line, cut at a character boundary. */
static void card_name(const struct kt_rec *r, char *out, size_t cap)
{
	const struct kt_val *v = kt_rec_get(r, KT_CLIENT_NAME);
	size_t n = v != NULL && v->t == KT_V_STR ? v->n : 0;

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)v->s[n] & 0xC0) == 0x80)
			n--; /* the byte at n starts a character: cut before it */
	}
	if (n > 0)
		memcpy(out, v->s, n);
	out[n] = '\0';
	kt_text_one_line(out);
}

/* Adds hit (card, same) to out[0..*n) unless its card is there (then or'ed into it). */
static int add_hit(struct kt_contact_hit *out, int *n, int cap, const struct kt_id *card,
		   int same)
{
	for (int i = 0; i < *n; i++)
		if (kt_id_cmp(&out[i].card, card) == 0) {
			out[i].same |= same;
			return 0;
		}
	if (*n >= cap)
		return 0;
	memset(&out[*n], 0, sizeof(out[*n]));
	out[*n].card = *card;
	out[*n].same = same;
	return ++*n;
}

/* Checks the candidates of one query; the hits' names are read after. */
static int check_query(struct kt_store *st, MDB_txn *txn, const char *query,
		       const struct kt_contact *k, const struct kt_id *self_root,
		       struct kt_contact_hit *out, int *n, int cap, struct kt_err *err)
{
	struct kt_id cand[CONTACT_FIND_MAX];
	int nc = kt_store_find(st, txn, query, cand, CONTACT_FIND_MAX, NULL, err);

	for (int i = 0; i < nc; i++) {
		struct kt_contact theirs;
		struct kt_id root;
		struct kt_rec r;
		int rc, same;

		if (!kt_store_is_client(st, txn, &cand[i]))
			continue; /* erased */
		kt_rec_init(&r);
		if ((rc = kt_store_load(st, txn, &cand[i], &r, err)) != 0) {
			kt_rec_release(&r);
			return rc;
		}
		kt_contact_of_card(&r, st->country, &theirs);
		kt_rec_release(&r);
		same = kt_contact_same(k, &theirs);
		kt_store_alias_root(st, txn, &cand[i], &root);
		if (same && (self_root == NULL || kt_id_cmp(&root, self_root) != 0))
			add_hit(out, n, cap, &root, same);
	}
	return nc < 0 ? nc : 0;
}

int kt_contact_find(struct kt_store *st, MDB_txn *txn, const struct kt_contact *k,
		    const struct kt_id *self, struct kt_contact_hit *out, int cap,
		    struct kt_err *err)
{
	struct kt_id self_root;
	int n = 0, rc = 0;

	if (self != NULL)
		kt_store_alias_root(st, txn, self, &self_root);
	if (k->phone[0])
		rc = check_query(st, txn, k->phone, k, self ? &self_root : NULL, out, &n, cap, err);
	if (rc == 0 && k->email[0])
		rc = check_query(st, txn, k->email, k, self ? &self_root : NULL, out, &n, cap, err);
	for (int i = 0; rc == 0 && i < n; i++) {
		struct kt_rec r;

		kt_rec_init(&r);
		if (kt_store_load(st, txn, &out[i].card, &r, NULL) == 0)
			card_name(&r, out[i].name, sizeof(out[i].name));
		kt_rec_release(&r);
	}
	return rc < 0 ? rc : n;
}

void kt_contact_note(const struct kt_contact_hit *h, const char *phone, const char *email,
		     char *out, size_t cap)
{
	char idt[KT_ID_TEXT_BYTES], what[2 * KT_CONTACT_EMAIL_BYTES];
	int p = (h->same & KT_CONTACT_PHONE) && phone != NULL;
	int e = (h->same & KT_CONTACT_EMAIL) && email != NULL;

	kt_id_format(&h->card, idt);
	snprintf(what, sizeof(what), "%s%.64s%s%s%.300s", p ? "phone " : "", p ? phone : "",
		 p && e ? " and " : "", e ? "email " : "", e ? email : "");
	snprintf(out, cap, "%s %s also on %s %s (client merge can join them)", what,
		 p && e ? "are" : "is", idt, h->name[0] ? h->name : "(no name)");
	kt_text_one_line(out);
}

/* ---- import ---- */

/* One key of a card row: sorted by key, then by row, to find the rows that share it. */
struct row_key {
	const char *key;   /* into keys[] */
	size_t row;
	int what;          /* KT_CONTACT_PHONE or KT_CONTACT_EMAIL */
};

static int by_key_row(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c == 0)
		c = x->what - y->what;
	return c ? c : (x->row > y->row) - (x->row < y->row);
}

static const char *row_value(const struct kt_import_row *r, const char *name)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return r->f[i].value;
	return NULL;
}

/* The row's merge target (one hop), else its own id; 0 when it has neither. */
static int row_card(const struct kt_import_row *r, struct kt_id *id)
{
	if (r->merged_into != NULL && kt_id_parse(id, r->merged_into) == 0)
		return 1;
	return kt_id_parse(id, r->id) == 0;
}

/* Whether rows a and b are one client: one is merged into the other, or both into one. */
static int same_client(const struct kt_import_row *a, const struct kt_import_row *b)
{
	struct kt_id x, y;

	return row_card(a, &x) && row_card(b, &y) && kt_id_cmp(&x, &y) == 0;
}

static void say(struct kt_import *im, struct kt_import_row *r, int refuse, const char *text)
{
	if (refuse)
		kt_import_mark_bad(im, r, "%s (import --no-duplicates)", text);
	else
		kt_import_note(im, r, "%s", text);
}

/* Rows of the file that share a key with an earlier good card row. */
static void file_pairs(struct kt_import *im, struct kt_contact *keys, int refuse)
{
	struct row_key *v = kt_malloc((2 * im->n + 1) * sizeof(*v));
	size_t n = 0;
	char line[1024];

	for (size_t i = 0; i < im->n; i++) {
		if (im->rows[i].type != KT_T_CLIENT || im->rows[i].bad != NULL)
			continue;
		if (keys[i].phone[0])
			v[n++] = (struct row_key){ keys[i].phone, i, KT_CONTACT_PHONE };
		if (keys[i].email[0])
			v[n++] = (struct row_key){ keys[i].email, i, KT_CONTACT_EMAIL };
	}
	qsort(v, n, sizeof(*v), by_key_row);
	for (size_t i = 1, run = 0; i < n; i++) {
		struct kt_import_row *r = &im->rows[v[i].row], *f;
		const char *name = v[i].what == KT_CONTACT_PHONE ? "phone" : "email";

		if (strcmp(v[i].key, v[run].key) != 0 || v[i].what != v[run].what) {
			run = i; /* the first row holding this key */
			continue;
		}
		f = &im->rows[v[run].row];
		if (same_client(r, f))
			continue;
		snprintf(line, sizeof(line), "%s %.300s is also on %s %d of this file", name,
			 row_value(r, name) ? row_value(r, name) : "", im->json ? "record" : "line",
			 f->line);
		kt_text_one_line(line);
		say(im, r, refuse, line);
	}
	free(v);
}

/* A row's phone digits' last SUFFIX_DIGITS (every form of one number ends alike). */
#define SUFFIX_DIGITS 7
struct suffix {
	char d[SUFFIX_DIGITS + 1];
	size_t row;
};

static int by_suffix(const void *a, const void *b)
{
	return strcmp(((const struct suffix *)a)->d, ((const struct suffix *)b)->d);
}

/*
 * Which card rows' phones to read (1 each): every one when the store holds
 * cards, else those whose last digits another row shares, since reading a
 * number costs ~20 us and a sheet of 80,000 new cards has few pairs.
 */
static uint8_t *phones_to_read(const struct kt_import *im, int all)
{
	uint8_t *read = kt_calloc(im->n + 1, 1);
	struct suffix *v = all ? NULL : kt_malloc((im->n + 1) * sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < im->n; i++) {
		const char *p = row_value(&im->rows[i], "phone");
		char ascii[KT_PHONE_TEXT_MAX + 1], digits[KT_PHONE_TEXT_MAX + 1];
		size_t k;

		if (im->rows[i].type != KT_T_CLIENT || p == NULL || strlen(p) > KT_PHONE_TEXT_MAX)
			continue;
		if (all) {
			read[i] = 1;
			continue;
		}
		kt_text_phone_ascii(p, strlen(p), ascii, sizeof(ascii));
		k = kt_phone_digits(ascii, digits, sizeof(digits));
		snprintf(v[n].d, sizeof(v[n].d), "%s", digits + (k > SUFFIX_DIGITS ?
								   k - SUFFIX_DIGITS : 0));
		v[n++].row = i;
	}
	if (v != NULL)
		qsort(v, n, sizeof(*v), by_suffix);
	for (size_t i = 1; v != NULL && i < n; i++)
		if (strcmp(v[i].d, v[i - 1].d) == 0)
			read[v[i].row] = read[v[i - 1].row] = 1;
	free(v);
	return read;
}

static int first_card(void *ctx, const struct kt_id *id, uint8_t type)
{
	(void)id;
	(void)type;
	*(int *)ctx = 1;
	return 1; /* one is enough */
}

int kt_contact_import(struct kt_store *st, MDB_txn *txn, struct kt_import *im, int refuse,
		      int against_store, struct kt_err *err)
{
	struct kt_contact *keys = kt_calloc(im->n + 1, sizeof(*keys));
	struct kt_contact_hit hits[KT_CONTACT_HITS_MAX];
	char line[1024];
	int rc = 0, any = 0;
	uint8_t *shared;

	/*
	 * A node's first import (a salon's whole sheet) meets no card in the
	 * store: the search per row is skipped then, so the checks before the
	 * first batch stay short (an interrupted import resumes by batches).
	 */
	if (against_store)
		kt_store_each(st, txn, KT_T_CLIENT, first_card, &any, NULL);
	shared = phones_to_read(im, any);
	for (size_t i = 0; i < im->n; i++) {
		struct kt_import_row *r = &im->rows[i];
		struct kt_id self;
		int n;

		if (r->type != KT_T_CLIENT || r->bad != NULL)
			continue;
		kt_contact_of_text(shared[i] ? row_value(r, "phone") : NULL, row_value(r, "email"),
				   st->country, &keys[i]);
		if (!any || (!keys[i].phone[0] && !keys[i].email[0]))
			continue;
		n = kt_contact_find(st, txn, &keys[i], row_card(r, &self) ? &self : NULL, hits, 1,
				    err);
		if (n < 0) {
			rc = n;
			break;
		}
		if (n > 0) {
			kt_contact_note(&hits[0], (hits[0].same & KT_CONTACT_PHONE) ?
					row_value(r, "phone") : NULL, (hits[0].same &
					KT_CONTACT_EMAIL) ? row_value(r, "email") : NULL, line,
					sizeof(line));
			say(im, r, refuse, line);
		}
	}
	if (rc == 0)
		file_pairs(im, keys, refuse);
	free(shared);
	free(keys);
	return rc;
}
