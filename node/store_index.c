/*
 * store_index.c - the search indexes of client cards and the search itself.
 *
 * idx keys are kind, token, 0x00, client id: 'n' one folded word of the
 * name, 'p' the phone's digits (E.164 when libphonenumber parses it under
 * the node's country, else the digits as typed), 'e' the folded email.  A
 * search seeks to kind + prefix and walks forward while keys share it, so
 * it reads only matching entries, never every card.  bday keys are "MM-DD"
 * then the client id.
 */
#include "store_int.h"
#include "text.h"
#include "phone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

/* Index entries one search walks at most before it stops (a one-letter prefix). */
#define FIND_SCAN_MAX 20000
/* Entries counted per word to pick a multi-word query's rarest word. */
#define FIND_COUNT_MAX 2048

/*
 * libphonenumber parses with ICU regular expressions (~20 us a number), and
 * a write asks for the same phone twice (its blind token, then its index
 * key): the last answer is kept, one per thread (a batch's helper makes
 * phone keys too, store_batch.c).
 */
static _Thread_local struct {
	char text[KT_PHONE_TEXT_MAX + 1];
	char country[3];
	char key[KT_PHONE_BYTES];
} last_phone;

void kt_phone_key(struct kt_store *st, const char *s, size_t n, char *out, size_t cap)
{
	char text[KT_PHONE_TEXT_MAX + 1], e164[KT_PHONE_BYTES];

	out[0] = '\0';
	if (n <= KT_PHONE_TEXT_MAX) {
		memcpy(text, s, n);
		text[n] = '\0';
		if (strcmp(text, last_phone.text) == 0 &&
		    strcmp(st->country, last_phone.country) == 0 && last_phone.key[0]) {
			snprintf(out, cap, "%s", last_phone.key);
			return;
		}
		if (kt_phone_e164(text, st->country, e164) == 0) {
			kt_phone_digits(e164, out, cap);
			memcpy(last_phone.text, text, n + 1);
			memcpy(last_phone.country, st->country, sizeof(last_phone.country));
			snprintf(last_phone.key, sizeof(last_phone.key), "%s", out);
			return;
		}
	}
	/* Not a number libphonenumber knows: keep the digits as typed. */
	{
		char *tmp = kt_strndup(s, n);

		kt_phone_digits(tmp, out, cap);
		free(tmp);
	}
}

struct idx_op {
	struct kt_store *st;
	MDB_txn *txn;
	const struct kt_id *id;
	char kind;
	int del;
	int rc;
};

static int idx_token(void *ctx, const char *tok, size_t n)
{
	struct idx_op *o = ctx;
	uint8_t k[1 + KT_VALUE_BYTES_MAX + 1 + KT_ID_BYTES];
	MDB_val key, v = { 0, NULL };

	if (n == 0 || n > 400) /* LMDB keys stop at 511 bytes */
		return 0;
	k[0] = (uint8_t)o->kind;
	memcpy(k + 1, tok, n);
	k[1 + n] = 0;
	memcpy(k + 2 + n, o->id->b, KT_ID_BYTES);
	key.mv_size = 2 + n + KT_ID_BYTES;
	key.mv_data = k;
	if (o->del)
		o->rc = mdb_del(o->txn, o->st->idx, &key, NULL);
	else
		o->rc = mdb_put(o->txn, o->st->idx, &key, &v, 0);
	if (o->rc == MDB_NOTFOUND)
		o->rc = 0;
	return o->rc;
}

static int bday_key(uint8_t *k, const struct kt_val *v, const struct kt_id *id)
{
	if (v->t != KT_V_STR || v->n != 10)
		return -1;
	memcpy(k, v->s + 5, 5); /* "MM-DD" of YYYY-MM-DD */
	memcpy(k + 5, id->b, KT_ID_BYTES);
	return 0;
}

/* The index key of (field, v) made ahead, or NULL. */
static const char *hint(const struct kt_store *st, uint16_t field, const struct kt_val *v)
{
	for (uint32_t i = 0; i < st->w_nhints; i++) {
		const struct kt_hint *h = &st->w_hints[i];

		if (h->s == v->s && h->n == v->n && h->field == field)
			return h->key;
	}
	return NULL;
}

/* The key index_value() makes of field (1 name: its fold, 2, 3) of v; NULL: none. */
static char *make_key(struct kt_store *st, uint16_t field, const struct kt_val *v)
{
	char buf[KT_VALUE_BYTES_MAX + 1];

	if (field == 2) {
		kt_phone_key(st, v->s, v->n, buf, sizeof(buf));
		return kt_strdup(buf);
	}
	return kt_text_fold(v->s, v->n); /* NULL for bad UTF-8: no words */
}

void kt_hints_clear(struct kt_hint *h, uint32_t *n)
{
	for (uint32_t i = 0; i < *n; i++) {
		sodium_memzero(h[i].key, strlen(h[i].key)); /* plaintext, as the values are */
		free(h[i].key);
	}
	*n = 0;
}

void kt_index_hints(struct kt_store *st, const struct kt_change *c, const struct kt_val *vals,
		    struct kt_hint *out, uint32_t *n)
{
	uint32_t vi = 0;

	kt_hints_clear(out, n);
	for (uint32_t i = 0; i < c->nops && *n < KT_HINTS_MAX; i++) {
		const struct kt_op *op = &c->ops[i];
		const struct kt_val *v;

		if (op->kind != KT_OP_SET && op->kind != KT_OP_ADD)
			continue;
		v = &vals[vi++];
		if (op->kind != KT_OP_SET || op->field < 1 || op->field > 3 ||
		    !kt_index_field(c->type, op->field) || v->t != KT_V_STR)
			continue;
		out[*n] = (struct kt_hint){ v->s, v->n, op->field, make_key(st, op->field, v) };
		if (out[*n].key != NULL)
			(*n)++;
	}
}

static int index_value(struct idx_op *o, uint16_t field, const struct kt_val *v)
{
	uint8_t bk[5 + KT_ID_BYTES];
	MDB_val key = { sizeof(bk), bk }, nil = { 0, NULL };
	const char *h;
	char *f;

	if (v->t != KT_V_STR)
		return 0;
	h = field >= 1 && field <= 3 ? hint(o->st, field, v) : NULL;
	switch (field) {
	case 1:
		o->kind = 'n';
		o->rc = 0;
		if (h != NULL)
			kt_text_words_folded(h, idx_token, o);
		else
			kt_text_words(v->s, v->n, idx_token, o); /* -1 for bad UTF-8: no words */
		return o->rc; /* an LMDB error (a full map) stops the walk and comes back */
	case 2:
	case 3:
		o->kind = field == 2 ? 'p' : 'e';
		o->rc = 0;
		if (h != NULL)
			return idx_token(o, h, strlen(h));
		if ((f = make_key(o->st, field, v)) == NULL)
			return 0;
		idx_token(o, f, strlen(f));
		free(f);
		return o->rc;
	case 4:
		if (bday_key(bk, v, o->id) != 0)
			return 0;
		o->rc = o->del ? mdb_del(o->txn, o->st->bday, &key, NULL)
			       : mdb_put(o->txn, o->st->bday, &key, &nil, 0);
		return o->rc == MDB_NOTFOUND ? 0 : o->rc;
	}
	return 0;
}

int kt_index_update(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		    uint16_t field, const struct kt_val *old, const struct kt_val *nv,
		    struct kt_err *err)
{
	struct idx_op o = { st, txn, id, 0, 1, 0 };
	int rc;

	if (old != NULL && (rc = index_value(&o, field, old)) != 0)
		return kt_mdb_err(err, rc, "update the search index");
	o.del = 0;
	if (nv != NULL && (rc = index_value(&o, field, nv)) != 0)
		return kt_mdb_err(err, rc, "update the search index");
	return 0;
}

/* ---- search ---- */

#define QUERY_WORDS_MAX 8

struct qwords {
	int n;
	char w[QUERY_WORDS_MAX][KT_WORD_BYTES_MAX + 1];
};

static int collect_word(void *ctx, const char *w, size_t n)
{
	struct qwords *q = ctx;

	if (q->n >= QUERY_WORDS_MAX)
		return 1;
	if (n > KT_WORD_BYTES_MAX)
		n = KT_WORD_BYTES_MAX;
	memcpy(q->w[q->n], w, n);
	q->w[q->n][n] = '\0';
	q->n++;
	return 0;
}

struct prefix_hit {
	const char *p;
	size_t pn;
	int hit;
};

static int word_has_prefix(void *ctx, const char *w, size_t n)
{
	struct prefix_hit *h = ctx;

	if (kt_text_has_prefix(w, n, h->p, h->pn)) {
		h->hit = 1;
		return 1;
	}
	return 0;
}

/* Whether every query word prefixes some word of the client's name. */
static int name_matches(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			const struct qwords *q)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, 1, NULL), k }, v;
	struct kt_val name;

	if (q->n <= 1)
		return 1;
	if (mdb_get(txn, st->rec, &key, &v) != 0 || v.mv_size <= 2 * KT_VER_BYTES ||
	    kt_val_unpack((uint8_t *)v.mv_data + 2 * KT_VER_BYTES,
			  v.mv_size - 2 * KT_VER_BYTES, &name, NULL) != 0 ||
	    name.t != KT_V_STR)
		return 0;
	for (int i = 0; i < q->n; i++) {
		struct prefix_hit h = { q->w[i], strlen(q->w[i]), 0 };

		kt_text_words(name.s, name.n, word_has_prefix, &h);
		if (!h.hit)
			return 0;
	}
	return 1;
}

static int seen(const struct kt_id *out, int n, const struct kt_id *id)
{
	for (int i = 0; i < n; i++)
		if (kt_id_cmp(&out[i], id) == 0)
			return 1;
	return 0;
}

static int scan_prefix(struct kt_store *st, MDB_txn *txn, char kind, const char *prefix,
		       const struct qwords *q, struct kt_id *out, int n, int cap,
		       struct kt_err *err)
{
	uint8_t k[1 + KT_VALUE_BYTES_MAX];
	size_t pn = strlen(prefix);
	MDB_val key, v;
	MDB_cursor *cur;
	int rc, scanned = 0;

	if (pn == 0 || pn > 400)
		return n;
	k[0] = (uint8_t)kind;
	memcpy(k + 1, prefix, pn);
	key.mv_size = 1 + pn;
	key.mv_data = k;
	if ((rc = mdb_cursor_open(txn, st->idx, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && n < cap && scanned++ < FIND_SCAN_MAX &&
	       key.mv_size >= 1 + pn + 1 + KT_ID_BYTES &&
	       memcmp(key.mv_data, k, 1 + pn) == 0) {
		struct kt_id id;

		memcpy(id.b, (uint8_t *)key.mv_data + key.mv_size - KT_ID_BYTES, KT_ID_BYTES);
		if (!seen(out, n, &id) && (q == NULL || name_matches(st, txn, &id, q)))
			out[n++] = id;
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return n;
}

/*
 * How many index entries start with a query word, counted up to `limit`: a
 * multi-word query scans its rarest word and checks the others on each card
 * (a common first name can cover a tenth of the chain; a surname prefix, a
 * handful).
 */
static size_t count_prefix(struct kt_store *st, MDB_txn *txn, const char *prefix, size_t limit)
{
	uint8_t k[1 + KT_WORD_BYTES_MAX];
	size_t pn = strlen(prefix), n = 0;
	MDB_val key, v;
	MDB_cursor *cur;
	int rc;

	if (pn == 0 || pn > KT_WORD_BYTES_MAX)
		return limit;
	k[0] = 'n';
	memcpy(k + 1, prefix, pn);
	key.mv_size = 1 + pn;
	key.mv_data = k;
	if (mdb_cursor_open(txn, st->idx, &cur) != 0)
		return limit;
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && n < limit && key.mv_size >= 1 + pn &&
	       memcmp(key.mv_data, k, 1 + pn) == 0) {
		n++;
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return n;
}

static int looks_like_phone(const char *s)
{
	int digits = 0;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (!strchr(" +-().", *s))
			return 0;
	}
	return digits >= 3;
}

int kt_store_find(struct kt_store *st, MDB_txn *txn, const char *query,
		  struct kt_id *out, int cap, struct kt_err *err)
{
	struct qwords q = { 0 };
	char key[KT_VALUE_BYTES_MAX + 1], *f;
	int best = 0, n;

	if (strlen(query) > KT_VALUE_BYTES_MAX || !kt_text_valid(query, strlen(query)))
		return kt_err_set(err, KT_EINVAL, "search text is not valid UTF-8 or too long");
	if (strchr(query, '@') != NULL) {
		if ((f = kt_text_fold(query, strlen(query))) == NULL)
			return kt_err_set(err, KT_EINVAL, "search text is not valid UTF-8");
		n = scan_prefix(st, txn, 'e', f, NULL, out, 0, cap, err);
		free(f);
		return n;
	}
	if (looks_like_phone(query)) {
		kt_phone_key(st, query, strlen(query), key, sizeof(key));
		n = scan_prefix(st, txn, 'p', key, NULL, out, 0, cap, err);
		kt_phone_digits(query, key, sizeof(key));
		return n < 0 ? n : scan_prefix(st, txn, 'p', key, NULL, out, n, cap, err);
	}
	kt_text_words(query, strlen(query), collect_word, &q);
	if (q.n == 0)
		return 0;
	if (q.n > 1) {
		size_t least = (size_t)-1;

		for (int i = 0; i < q.n && least > 0; i++) {
			size_t c = count_prefix(st, txn, q.w[i], FIND_COUNT_MAX);

			if (c < least || (c == least && strlen(q.w[i]) > strlen(q.w[best]))) {
				least = c;
				best = i;
			}
		}
	}
	return scan_prefix(st, txn, 'n', q.w[best], &q, out, 0, cap, err);
}

int kt_store_birthdays_on(struct kt_store *st, MDB_txn *txn, int month, int day,
			  kt_id_fn fn, void *ctx, struct kt_err *err)
{
	char k[6];
	MDB_val key = { 5, k }, v;
	MDB_cursor *cur;
	int rc;

	snprintf(k, sizeof(k), "%02u-%02u", (unsigned)month % 100u, (unsigned)day % 100u);
	if ((rc = mdb_cursor_open(txn, st->bday, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size == 5 + KT_ID_BYTES && memcmp(key.mv_data, k, 5) == 0) {
		struct kt_id id;

		memcpy(id.b, (uint8_t *)key.mv_data + 5, KT_ID_BYTES);
		if ((rc = fn(ctx, &id, KT_T_CLIENT)) != 0)
			break;
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}
