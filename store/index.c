/*
 * store/index.c - the search indexes of client cards and the search itself.
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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

/* Index entries one search walks at most before it stops (a one-letter prefix). */
#define FIND_SCAN_MAX 20000
/* A phone query of this many digits or more also finds phones ending in them. */
#define FIND_SUFFIX_DIGITS_MIN 4
/* Entries counted per word to pick a multi-word query's rarest word. */
#define FIND_COUNT_MAX 2048

/*
 * libphonenumber parses with ICU regular expressions (~20 us a number), and
 * a write asks for the same phone twice (its blind token, then its index
 * key): the last answer is kept, one per thread (a batch's helper makes
 * phone keys too, store/batch.c).
 */
static _Thread_local struct {
	char text[KT_PHONE_TEXT_MAX + 1];
	char country[3];
	char key[KT_PHONE_BYTES];
} last_phone;

int kt_phone_key(struct kt_store *st, const char *s, size_t n, char *out, size_t cap)
{
	char text[KT_PHONE_TEXT_MAX + 1], e164[KT_PHONE_BYTES];

	out[0] = '\0';
	if (n <= KT_PHONE_TEXT_MAX) {
		/* ASCII as libphonenumber reads it: no-break spaces, full-width digits... */
		size_t an = kt_text_phone_ascii(s, n, text, sizeof(text));

		if (strcmp(text, last_phone.text) == 0 &&
		    strcmp(st->country, last_phone.country) == 0 && last_phone.key[0]) {
			snprintf(out, cap, "%s", last_phone.key);
			return 1;
		}
		if (kt_phone_e164(text, st->country, e164) == 0) {
			kt_phone_digits(e164, out, cap);
			memcpy(last_phone.text, text, an + 1);
			memcpy(last_phone.country, st->country, sizeof(last_phone.country));
			snprintf(last_phone.key, sizeof(last_phone.key), "%s", out);
			return 1;
		}
	}
	/* Not a number libphonenumber knows: keep the digits as typed. */
	{
		char *tmp = kt_malloc(n + 1);

		kt_text_phone_ascii(s, n, tmp, n + 1);
		kt_phone_digits(tmp, out, cap);
		free(tmp);
	}
	return 0;
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

/*
 * A phone's entries: 'p' its digits, and 'r' its digits backwards, so a
 * query of its last digits ("4567") is a prefix walk too.
 */
static int phone_tokens(struct idx_op *o, const char *digits)
{
	char rev[KT_PHONE_BYTES + KT_VALUE_BYTES_MAX];
	size_t n = strlen(digits);

	if (n == 0 || n >= sizeof(rev))
		return 0;
	o->kind = 'p';
	if (idx_token(o, digits, n) != 0)
		return o->rc;
	for (size_t i = 0; i < n; i++)
		rev[i] = digits[n - 1 - i];
	o->kind = 'r';
	return idx_token(o, rev, n);
}

/* A name's words with the parts of words joined by an apostrophe. */
static int name_tokens(struct idx_op *o, const char *folded)
{
	o->kind = 'n';
	o->rc = 0;
	kt_text_name_words(folded, 1, idx_token, o);
	return o->rc; /* an LMDB error (a full map) stops the walk and comes back */
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

/* The key index_value() makes of a client field searched as words, phone or email; NULL: none. */
static char *make_key(struct kt_store *st, uint16_t field, const struct kt_val *v)
{
	char buf[KT_VALUE_BYTES_MAX + 1];

	if (kt_schema_search(KT_T_CLIENT, field) == KT_S_PHONE) {
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

/* Whether a client field's index key is made from its value (make_key): words, phone, email. */
static int keyed(uint16_t field)
{
	int s = kt_schema_search(KT_T_CLIENT, field);

	return s == KT_S_WORDS || s == KT_S_PHONE || s == KT_S_EMAIL;
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
		if (op->kind != KT_OP_SET || c->type != KT_T_CLIENT || !keyed(op->field) ||
		    v->t != KT_V_STR)
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
	int search;

	if (v->t != KT_V_STR)
		return 0;
	search = kt_schema_search(KT_T_CLIENT, field);
	h = keyed(field) ? hint(o->st, field, v) : NULL;
	o->rc = 0;
	switch (search) {
	case KT_S_WORDS:
	case KT_S_PHONE:
	case KT_S_EMAIL:
		if (h != NULL)
			f = (char *)h;
		else if ((f = make_key(o->st, field, v)) == NULL)
			return 0; /* bad UTF-8: no words */
		if (search == KT_S_WORDS)
			name_tokens(o, f);
		else if (search == KT_S_PHONE)
			phone_tokens(o, f);
		else {
			o->kind = 'e';
			idx_token(o, f, strlen(f));
		}
		if (f != h)
			free(f);
		return o->rc;
	case KT_S_PHONE_COPY: {
		char digits[KT_PHONE_BYTES];

		if (v->n >= sizeof(digits))
			return 0;
		memcpy(digits, v->s, v->n);
		digits[v->n] = '\0';
		kt_phone_digits(digits, digits, sizeof(digits));
		return phone_tokens(o, digits);
	}
	case KT_S_DAY:
		if (bday_key(bk, v, o->id) != 0)
			return 0;
		o->rc = o->del ? mdb_del(o->txn, o->st->bday, &key, NULL)
			       : mdb_put(o->txn, o->st->bday, &key, &nil, 0);
		return o->rc == MDB_NOTFOUND ? 0 : o->rc;
	}
	return 0;
}

/* Field of card id as stored: its version and value (values borrow from txn); 0 if there. */
static int stored_field(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			uint16_t field, struct kt_version *ver, struct kt_val *v)
{
	uint8_t k[KT_RECKEY_BYTES];
	MDB_val key = { kt_reckey(k, id, field, NULL), k }, d;

	if (mdb_get(txn, st->rec, &key, &d) != 0 || d.mv_size <= 2 * KT_VER_BYTES)
		return -1;
	kt_version_get(ver, d.mv_data);
	return kt_val_unpack((uint8_t *)d.mv_data + 2 * KT_VER_BYTES, d.mv_size - 2 * KT_VER_BYTES,
			     v, NULL) == 0 ? 0 : -1;
}

int kt_index_phone(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, int del,
		   uint16_t field, const struct kt_val *v, struct kt_err *err)
{
	struct idx_op o = { st, txn, id, 0, del, 0 };
	struct kt_version pver, cver;
	struct kt_val phone, copy;
	int have_p = stored_field(st, txn, id, KT_CLIENT_PHONE, &pver, &phone) == 0;
	int have_c = stored_field(st, txn, id, KT_CLIENT_PHONE_E164, &cver, &copy) == 0;
	int rc;

	if (v != NULL && field == KT_CLIENT_PHONE && have_p)
		phone = *v; /* the change's own value: its index key may be made ahead (hint) */
	if (have_p && (rc = index_value(&o, KT_CLIENT_PHONE, &phone)) != 0)
		return kt_mdb_err(err, rc, "update the search index");
	if (have_p && have_c && kt_version_cmp(&pver, &cver) == 0 &&
	    (rc = index_value(&o, KT_CLIENT_PHONE_E164, &copy)) != 0)
		return kt_mdb_err(err, rc, "update the search index");
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
	MDB_val key = { kt_reckey(k, id, KT_CLIENT_NAME, NULL), k }, v;
	struct kt_val name;
	char *f;
	int all = 1;

	if (q->n <= 1)
		return 1;
	if (mdb_get(txn, st->rec, &key, &v) != 0 || v.mv_size <= 2 * KT_VER_BYTES ||
	    kt_val_unpack((uint8_t *)v.mv_data + 2 * KT_VER_BYTES,
			  v.mv_size - 2 * KT_VER_BYTES, &name, NULL) != 0 ||
	    name.t != KT_V_STR || (f = kt_text_fold(name.s, name.n)) == NULL)
		return 0;
	for (int i = 0; i < q->n && all; i++) {
		struct prefix_hit h = { q->w[i], strlen(q->w[i]), 0 };

		kt_text_name_words(f, 1, word_has_prefix, &h);
		all = h.hit;
	}
	free(f);
	return all;
}

/*
 * The distinct cards a search found, in the order it met them: a set of
 * ids (open addressing, twice the room) beside the list, so telling a card
 * met again (by two words of her name, her phone's two keys) is O(1).
 */
struct found {
	struct kt_id *out;
	int n, cap;
	uint32_t *slot; /* index + 1 into out; 0 is empty */
	uint32_t mask;
	int cut;        /* a walk stopped at FIND_SCAN_MAX: there may be more */
};

static uint32_t id_hash(const struct kt_id *id)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < KT_ID_BYTES; i++)
		h = (h ^ id->b[i]) * 16777619u;
	return h;
}

/* Adds id unless it is in; returns 1 when the list is full. */
static int found_add(struct found *fd, const struct kt_id *id)
{
	uint32_t i = id_hash(id) & fd->mask;

	while (fd->slot[i] != 0) {
		if (kt_id_cmp(&fd->out[fd->slot[i] - 1], id) == 0)
			return 0;
		i = (i + 1) & fd->mask;
	}
	fd->out[fd->n++] = *id;
	fd->slot[i] = (uint32_t)fd->n;
	return fd->n >= fd->cap;
}

static int scan_prefix(struct kt_store *st, MDB_txn *txn, char kind, const char *prefix,
		       const struct qwords *q, struct found *fd, struct kt_err *err)
{
	uint8_t k[1 + KT_VALUE_BYTES_MAX];
	size_t pn = strlen(prefix);
	MDB_val key, v;
	MDB_cursor *cur;
	int rc, scanned = 0;

	if (pn == 0 || pn > 400 || fd->n >= fd->cap)
		return 0;
	k[0] = (uint8_t)kind;
	memcpy(k + 1, prefix, pn);
	key.mv_size = 1 + pn;
	key.mv_data = k;
	if ((rc = mdb_cursor_open(txn, st->idx, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size >= 1 + pn + 1 + KT_ID_BYTES &&
	       memcmp(key.mv_data, k, 1 + pn) == 0) {
		struct kt_id id;

		if (scanned++ >= FIND_SCAN_MAX) {
			fd->cut = 1;
			break;
		}
		memcpy(id.b, (uint8_t *)key.mv_data + key.mv_size - KT_ID_BYTES, KT_ID_BYTES);
		if ((q == NULL || name_matches(st, txn, &id, q)) && found_add(fd, &id)) {
			fd->cut = 1; /* the list is full: there may be more */
			break;
		}
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return 0;
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

/* The search itself, into fd (see kt_store_find). */
static int find_into(struct kt_store *st, MDB_txn *txn, const char *query, struct found *fd,
		     struct kt_err *err)
{
	struct qwords q = { 0 };
	char key[KT_VALUE_BYTES_MAX + 1], number[KT_VALUE_BYTES_MAX + 1], *f;
	char link[KT_VALUE_BYTES_MAX + 1];
	int best = 0, rc;

	if (strchr(query, '@') != NULL || strstr(query, "\xef\xbc\xa0") != NULL) { /* @ or ＠ */
		const char *q = query + strspn(query, " ");
		size_t n;

		if (strncasecmp(q, "mailto:", 7) == 0) /* pasted from a mail program */
			q += 7;
		if (strchr(q, '<') != NULL && strchr(strchr(q, '<'), '@') != NULL) {
			/* "Anna <anna@mail.ru>", as a mail program copies an address */
			const char *lt = strchr(q, '<') + 1;
			size_t k = strcspn(lt, ">");

			if (k >= sizeof(number))
				k = sizeof(number) - 1;
			memcpy(number, lt, k);
			number[k] = '\0';
			q = number;
		}
		q += strspn(q, " ");
		if ((f = kt_text_fold(q, strlen(q))) == NULL)
			return kt_err_set(err, KT_EINVAL, "search text is not valid UTF-8");
		for (n = strlen(f); n > 0 && (f[n - 1] == ' ' || f[n - 1] == '>'); n--)
			f[n - 1] = '\0'; /* blanks or a '>' after it, as pasted */
		rc = scan_prefix(st, txn, 'e', f, NULL, fd, err);
		free(f);
		return rc;
	}
	if (strncasecmp(query + strspn(query, " "), "tel:", 4) == 0) {
		/*
		 * A link pasted from a page or a messenger (RFC 3966): its number
		 * up to the parameters (";ext=12", ";phone-context=..."), with
		 * "%2B" for the "+".
		 */
		const char *t = query + strspn(query, " ") + 4;
		size_t o = 0;

		for (; *t && *t != ';' && o + 1 < sizeof(link); t++) {
			if (t[0] == '%' && t[1] == '2' && (t[2] == 'B' || t[2] == 'b')) {
				link[o++] = '+';
				t += 2;
			} else {
				link[o++] = *t;
			}
		}
		link[o] = '\0';
		if (kt_text_phone_like(link, 3))
			query = link;
	}
	{
		/* A phone with its extension ("... ext. 12", "... доб. 12") is found by its number. */
		char ascii[KT_VALUE_BYTES_MAX + 1];
		size_t an = kt_text_phone_ascii(query, strlen(query), ascii, sizeof(ascii));

		if (kt_text_phone_number(ascii, number, sizeof(number)) < an &&
		    kt_text_phone_like(number, 3))
			query = number;
	}
	if (kt_text_phone_like(query, 3)) {
		size_t n;

		kt_phone_key(st, query, strlen(query), key, sizeof(key));
		if ((rc = scan_prefix(st, txn, 'p', key, NULL, fd, err)) != 0)
			return rc;
		{
			char ascii[KT_VALUE_BYTES_MAX + 1];

			kt_text_phone_ascii(query, strlen(query), ascii, sizeof(ascii));
			n = kt_phone_digits(ascii, key, sizeof(key));
		}
		if ((rc = scan_prefix(st, txn, 'p', key, NULL, fd, err)) != 0)
			return rc;
		if (query[strspn(query, " (")] != '+') {
			char nat[KT_PHONE_BYTES];

			if (n + 4 < sizeof(nat) &&
			    kt_phone_national_prefix(key, st->country, nat, sizeof(nat)) == 0 &&
			    (rc = scan_prefix(st, txn, 'p', nat, NULL, fd, err)) != 0)
				return rc;
		}
		if (n < FIND_SUFFIX_DIGITS_MIN)
			return 0;
		for (size_t i = 0; i < n / 2; i++) { /* the last digits: 'r' keys are backwards */
			char t = key[i];

			key[i] = key[n - 1 - i];
			key[n - 1 - i] = t;
		}
		return scan_prefix(st, txn, 'r', key, NULL, fd, err);
	}
	if ((f = kt_text_fold(query, strlen(query))) == NULL)
		return kt_err_set(err, KT_EINVAL, "search text is not valid UTF-8");
	kt_text_name_words(f, 0, collect_word, &q);
	free(f);
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
	return scan_prefix(st, txn, 'n', q.w[best], &q, fd, err);
}

int kt_store_find(struct kt_store *st, MDB_txn *txn, const char *query,
		  struct kt_id *out, int cap, int *cut, struct kt_err *err)
{
	struct found fd = { out, 0, cap, NULL, 0, 0 };
	uint32_t slots = 16;
	int rc;

	if (cut != NULL)
		*cut = 0;
	if (strlen(query) > KT_VALUE_BYTES_MAX || !kt_text_valid(query, strlen(query)))
		return kt_err_set(err, KT_EINVAL, "search text is not valid UTF-8 or too long");
	if (cap <= 0)
		return 0;
	while (slots < 2u * (uint32_t)cap)
		slots *= 2;
	fd.slot = kt_malloc(slots * sizeof(*fd.slot));
	memset(fd.slot, 0, slots * sizeof(*fd.slot));
	fd.mask = slots - 1;
	rc = find_into(st, txn, query, &fd, err);
	free(fd.slot);
	if (cut != NULL)
		*cut = fd.cut;
	return rc < 0 ? rc : fd.n;
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
		if ((rc = fn(ctx, &id, KT_T_CLIENT)) != 0) {
			mdb_cursor_close(cur);
			return rc; /* fn's word */
		}
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : kt_mdb_err(err, rc, "read the birthdays");
}

/* ---- the indexes' version ---- */

/*
 * What the name, phone and email entries were made with: this build's
 * folding and phone rules (bump KT_INDEX_VERSION when they change what a
 * value's entries are) and the country phones were read under.  A store
 * whose meta "index_version" says otherwise has them made again at open.
 * Version 2: apostrophes, dotless i, lookalike letters, zero-width
 * characters, phones' 'r' entries and their normalised copy (field 23).
 * Version 3: Traditional Han as Simplified, the letters of Ukrainian,
 * Belarusian and Kazakh names, æ œ þ spelt out, a copy only while it is
 * the phone's.  Version 4: names joined across a hyphen too.
 */
#define KT_INDEX_VERSION 4

static void index_version_text(const struct kt_store *st, char out[32])
{
	snprintf(out, 32, "%d %s", KT_INDEX_VERSION, st->country);
}

/* Deletes every entry of kind from idx. */
static int drop_kind(struct kt_store *st, MDB_txn *txn, char kind)
{
	uint8_t k = (uint8_t)kind;
	MDB_val key = { 1, &k }, v;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, st->idx, &cur);

	if (rc != 0)
		return rc;
	rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size >= 1 && ((uint8_t *)key.mv_data)[0] == k) {
		rc = kt_cursor_del_next(cur, &key, &v);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Makes every client card's name, phone and email entries again, in txn. */
static int reindex(struct kt_store *st, MDB_txn *txn, struct kt_err *err)
{
	static const char kinds[] = "nper";
	struct kt_id id = { { 0 } };
	MDB_val key, v;
	MDB_cursor *cur;
	int rc, client = 0;

	for (const char *k = kinds; *k; k++)
		if ((rc = drop_kind(st, txn, *k)) != 0)
			return kt_mdb_err(err, rc, "clear the search index");
	if ((rc = mdb_cursor_open(txn, st->rec, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	rc = mdb_cursor_get(cur, &key, &v, MDB_FIRST);
	while (rc == 0) {
		const uint8_t *kb = key.mv_data;
		uint16_t field;

		if (key.mv_size == KT_ID_BYTES + 2) {
			field = kt_be16_get(kb + KT_ID_BYTES);
			if (field == KT_F_HEAD) {
				memcpy(id.b, kb, KT_ID_BYTES);
				client = v.mv_size >= 1 && ((uint8_t *)v.mv_data)[0] == KT_T_CLIENT;
			} else if (client && memcmp(id.b, kb, KT_ID_BYTES) == 0 &&
				   field == KT_CLIENT_PHONE) {
				/* the phone and its copy together (kt_index_phone), once */
				if ((rc = kt_index_phone(st, txn, &id, 0, 0, NULL, err)) != 0) {
					mdb_cursor_close(cur);
					return rc;
				}
			} else if (client && memcmp(id.b, kb, KT_ID_BYTES) == 0 &&
				   field != KT_CLIENT_BIRTHDAY && field != KT_CLIENT_PHONE_E164 &&
				   kt_index_field(KT_T_CLIENT, field) && v.mv_size > 2 * KT_VER_BYTES) {
				struct idx_op o = { st, txn, &id, 0, 0, 0 };
				struct kt_val val;

				if (kt_val_unpack((uint8_t *)v.mv_data + 2 * KT_VER_BYTES,
						  v.mv_size - 2 * KT_VER_BYTES, &val, NULL) == 0 &&
				    (rc = index_value(&o, field, &val)) != 0)
					break;
			}
		}
		rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return kt_mdb_err(err, rc, "rebuild the search index");
	return 0;
}

static int index_current_once(void *ctx, struct kt_err *err)
{
	struct kt_store *st = ctx;
	char want[32];
	MDB_val key = { 13, "index_version" }, v;
	MDB_txn *txn;
	int rc;

	index_version_text(st, want);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write");
	if (mdb_get(txn, st->meta, &key, &v) == 0 && v.mv_size == strlen(want) &&
	    memcmp(v.mv_data, want, v.mv_size) == 0) {
		mdb_txn_abort(txn); /* another process made them while we waited */
		return 0;
	}
	if ((rc = reindex(st, txn, err)) != 0 ||
	    (rc = kt_meta_put(st, txn, "index_version", want, strlen(want))) != 0) {
		mdb_txn_abort(txn);
		return rc < 0 ? rc : kt_mdb_err(err, rc, "note the index version");
	}
	if ((rc = kt_txn_commit(txn)) != 0)
		return kt_mdb_err(err, rc, "save the search index");
	return 0;
}

int kt_index_current(struct kt_store *st, struct kt_err *err)
{
	char want[32];
	MDB_val key = { 13, "index_version" }, v;
	MDB_txn *txn;
	int rc, same;

	index_version_text(st, want);
	if ((rc = kt_store_rdtxn(st, &txn, err)) != 0)
		return rc;
	same = mdb_get(txn, st->meta, &key, &v) == 0 && v.mv_size == strlen(want) &&
	       memcmp(v.mv_data, want, v.mv_size) == 0;
	mdb_txn_abort(txn);
	return same ? 0 : kt_store_retry(st, index_current_once, st, err);
}
