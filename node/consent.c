/*
 * consent.c - a client's consents and the rule of the current one
 * (consent.h says the rule and where it comes from).
 */
#include "consent.h"
#include "card.h"
#include "hlc.h"
#include "staff.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const purposes[] = { NULL, "health", "marketing", "photos" };

const char *kt_consent_purpose_name(int purpose)
{
	return purpose >= 1 && purpose <= KT_CONSENT_PURPOSES ? purposes[purpose] : NULL;
}

int kt_consent_purpose_parse(const char *word)
{
	for (int p = 1; p <= KT_CONSENT_PURPOSES; p++)
		if (strcmp(word, purposes[p]) == 0)
			return p;
	return 0;
}

int kt_consent_cmp(const struct kt_consent *a, const struct kt_consent *b)
{
	int c;

	if (a->legacy != b->legacy)
		return a->legacy ? -1 : 1;
	if ((c = strcmp(a->date, b->date)) != 0)
		return c;
	if ((c = strcmp(a->version, b->version)) != 0)
		return c;
	if ((c = kt_id_cmp(&a->id, &b->id)) != 0)
		return c;
	if ((c = kt_id_cmp(&a->card, &b->card)) != 0)
		return c; /* legacy ones of two cards, one day */
	return (a->purpose > b->purpose) - (a->purpose < b->purpose);
}

const struct kt_consent *kt_consent_current(const struct kt_consent *c, size_t n, int purpose)
{
	const struct kt_consent *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (c[i].purpose == purpose && (best == NULL || kt_consent_cmp(&c[i], best) > 0))
			best = &c[i];
	return best;
}

int kt_consent_given(const struct kt_consents *s, int purpose)
{
	const struct kt_consent *c = kt_consent_current(s->c, s->n, purpose);

	return c != NULL && c->given;
}

void kt_consents_release(struct kt_consents *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->c[i].note);
	free(s->c);
	memset(s, 0, sizeof(*s));
}

/*
 * Room for one more consent: a new slot, or past KT_CONSENTS_MAX the slot
 * of the earliest one held when c comes after it (else NULL: c is the
 * earlier, and is not kept), so the latest of each purpose are always held.
 */
static struct kt_consent *push(struct kt_consents *s, const struct kt_consent *c)
{
	if (s->n >= KT_CONSENTS_MAX) {
		size_t min = 0;

		for (size_t i = 1; i < s->n; i++)
			if (kt_consent_cmp(&s->c[i], &s->c[min]) < 0)
				min = i;
		if (kt_consent_cmp(c, &s->c[min]) < 0)
			return NULL;
		free(s->c[min].note);
		memset(&s->c[min], 0, sizeof(s->c[0]));
		return &s->c[min];
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->c = kt_realloc(s->c, s->cap * sizeof(*s->c));
	}
	memset(&s->c[s->n], 0, sizeof(s->c[0]));
	return &s->c[s->n++];
}

struct reading {
	struct kt_store *st;
	MDB_txn *txn;
	struct kt_consents *out;
	const struct kt_id *card;
};

/* One consent record of the card being read; a record it cannot read is passed over. */
static int read_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct reading *g = ctx;
	char word[32], note[KT_VALUE_BYTES_MAX + 1], by[KT_ID_TEXT_BYTES + 8];
	struct kt_consent one, *c;
	struct kt_rec r;
	int purpose;

	if (type != KT_T_CONSENT)
		return 0;
	kt_rec_init(&r);
	if (kt_store_load(g->st, g->txn, id, &r, NULL) != 0 || r.type != KT_T_CONSENT) {
		kt_rec_release(&r);
		return 0;
	}
	kt_card_text(&r, "purpose", word, sizeof(word));
	purpose = kt_consent_purpose_parse(word);
	kt_card_text(&r, "state", word, sizeof(word));
	if (purpose == 0 || (strcmp(word, "given") != 0 && strcmp(word, "withdrawn") != 0)) {
		kt_rec_release(&r); /* a purpose or state this build does not know: not its rule */
		return 0;
	}
	memset(&one, 0, sizeof(one));
	one.id = *id;
	one.card = *g->card;
	one.purpose = purpose;
	one.given = strcmp(word, "given") == 0;
	kt_card_text(&r, "date", one.date, sizeof(one.date));
	kt_card_text(&r, "version", one.version, sizeof(one.version));
	kt_card_text(&r, "branch", one.branch, sizeof(one.branch));
	kt_card_text(&r, "recorded_by", by, sizeof(by));
	if (by[0] == '\0' || kt_id_parse(&one.by, by) != 0)
		memset(&one.by, 0, sizeof(one.by));
	if ((c = push(g->out, &one)) != NULL) {
		*c = one;
		kt_card_text(&r, "note", note, sizeof(note));
		c->note = note[0] ? kt_strdup(note) : NULL;
	}
	kt_rec_release(&r);
	return 0;
}

/* The local day of a change's clock, as YYYY-MM-DD. */
static void day_of(uint64_t hlc, char out[11])
{
	time_t t = (time_t)(kt_hlc_ms(hlc) / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		out[0] = '\0';
}

/* The card's yes/no consent fields as legacy consents. */
static void read_legacy(struct reading *g, const struct kt_rec *card)
{
	static const struct { const char *field; int purpose; } legacy[] = {
		{ "consent_marketing", KT_CONSENT_MARKETING },
		{ "consent_photos", KT_CONSENT_PHOTOS },
	};

	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
		const struct kt_field *f = kt_schema_field_named(KT_T_CLIENT, legacy[i].field);
		const struct kt_val *v = kt_rec_get(card, f->num);
		struct kt_version ver;
		struct kt_consent one, *c;

		if (v == NULL || v->t != KT_V_BOOL)
			continue;
		memset(&one, 0, sizeof(one));
		one.card = card->id;
		one.purpose = legacy[i].purpose;
		one.given = v->i != 0;
		one.legacy = 1;
		if (kt_store_field_version(g->st, g->txn, &card->id, f->num, &ver) == 0)
			day_of(ver.hlc, one.date);
		if ((c = push(g->out, &one)) != NULL)
			*c = one;
	}
}

static int by_rule(const void *a, const void *b)
{
	return kt_consent_cmp(a, b);
}

int kt_consents_load(struct kt_store *st, MDB_txn *txn, const struct kt_id *card,
		     struct kt_consents *out, struct kt_err *err)
{
	struct kt_id *ids = kt_calloc(KT_CONSENT_GROUP_MAX, sizeof(*ids));
	struct reading g = { st, txn, out, NULL };
	size_t n = 0;
	int rc;

	if (!kt_store_is_client(st, txn, card)) {
		free(ids);
		return kt_err_set(err, KT_ENOTFOUND, "no client card of that id");
	}
	rc = kt_store_erase_group(st, txn, card, ids, KT_CONSENT_GROUP_MAX, &n, err);
	if (rc == KT_ETOOBIG) { /* a group past the cap: her own card's consents */
		ids[0] = *card;
		n = 1;
		kt_err_clear(err);
	} else if (rc != 0) {
		free(ids);
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct kt_rec r;

		g.card = &ids[i];
		rc = kt_store_owned(st, txn, &ids[i], KT_T_CONSENT, read_one, &g, err);
		kt_rec_init(&r);
		if (rc == 0 && kt_store_load(st, txn, &ids[i], &r, NULL) == 0 &&
		    r.type == KT_T_CLIENT)
			read_legacy(&g, &r);
		kt_rec_release(&r);
	}
	free(ids);
	if (rc != 0) {
		kt_consents_release(out);
		return rc;
	}
	if (out->n > 1)
		qsort(out->c, out->n, sizeof(*out->c), by_rule);
	return 0;
}

json_t *kt_consent_json(struct kt_store *st, MDB_txn *txn, const struct kt_consent *c)
{
	char idt[KT_ID_TEXT_BYTES], card[KT_ID_TEXT_BYTES], by[KT_ID_TEXT_BYTES];
	struct kt_staff s;
	json_t *o = json_object();
	int known = !kt_id_is_zero(&c->by);

	kt_id_format(&c->id, idt);
	kt_id_format(&c->card, card);
	kt_id_format(&c->by, by);
	json_object_set_new(o, "id", c->legacy ? json_null() : json_string(idt));
	json_object_set_new(o, "card", json_string(card));
	json_object_set_new(o, "purpose", json_string(kt_consent_purpose_name(c->purpose)));
	json_object_set_new(o, "state", json_string(c->given ? "given" : "withdrawn"));
	json_object_set_new(o, "date", c->date[0] ? json_string(c->date) : json_null());
	json_object_set_new(o, "version", c->version[0] ? json_string(c->version) : json_null());
	json_object_set_new(o, "recorded_by", known ? json_string(by) : json_null());
	json_object_set_new(o, "recorded_by_name",
			    known && kt_staff_load(st, txn, &c->by, &s, NULL) == 0
				    ? json_string(s.name) : json_null());
	json_object_set_new(o, "branch", c->branch[0] ? json_string(c->branch) : json_null());
	json_object_set_new(o, "note", c->note ? json_string(c->note) : json_null());
	json_object_set_new(o, "legacy", json_boolean(c->legacy));
	return o;
}

json_t *kt_consents_json(struct kt_store *st, MDB_txn *txn, const struct kt_consents *s)
{
	json_t *o = json_object(), *cur = json_object(), *h = json_array();

	for (int p = 1; p <= KT_CONSENT_PURPOSES; p++) {
		const struct kt_consent *c = kt_consent_current(s->c, s->n, p);

		json_object_set_new(cur, kt_consent_purpose_name(p),
				    c != NULL ? kt_consent_json(st, txn, c) : json_null());
	}
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(h, kt_consent_json(st, txn, &s->c[i]));
	json_object_set_new(o, "current", cur);
	json_object_set_new(o, "history", h);
	return o;
}
