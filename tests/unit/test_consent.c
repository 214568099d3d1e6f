/*
 * test_consent.c - the rule of the current consent (node/consent.h): the
 * latest record of a purpose by date, then version, then record id; the
 * card's old yes/no fields only when no record of that purpose exists; a
 * merge group's consents together; and the schema of the consent record.
 */
#include "store_harness.h"
#include "consent.h"
#include "card.h"
#include "hlc.h"

#include <string.h>
#include <unistd.h>

/* A record consent of purpose p on card 1 with record id byte k. */
static struct kt_consent rec(int p, int given, const char *date, const char *ver, uint8_t k)
{
	struct kt_consent c;

	memset(&c, 0, sizeof(c));
	c.purpose = p;
	c.given = given;
	snprintf(c.date, sizeof(c.date), "%s", date);
	snprintf(c.version, sizeof(c.version), "%s", ver);
	c.id.b[15] = k;
	c.card.b[15] = 1;
	return c;
}

static void test_rule(void)
{
	struct kt_consent c[6];
	const struct kt_consent *cur;

	/* The latest by date wins, whatever the order they are listed in. */
	c[0] = rec(KT_CONSENT_MARKETING, 1, "2026-10-01", "2026-01", 9);
	c[1] = rec(KT_CONSENT_MARKETING, 0, "2026-11-01", "2026-01", 1);
	cur = kt_consent_current(c, 2, KT_CONSENT_MARKETING);
	T_CHECK(cur == &c[1]);
	T_EQ_INT(cur->given, 0);
	/* Another purpose is none of its business. */
	T_CHECK(kt_consent_current(c, 2, KT_CONSENT_PHOTOS) == NULL);
	T_CHECK(kt_consent_current(c, 2, KT_CONSENT_HEALTH) == NULL);
	/* One day: the later version wins ("2026-02" > "2026-01"). */
	c[2] = rec(KT_CONSENT_MARKETING, 1, "2026-11-01", "2026-02", 0);
	T_CHECK(kt_consent_current(c, 3, KT_CONSENT_MARKETING) == &c[2]);
	/* One day, one version: the record written later (its id) wins. */
	c[3] = rec(KT_CONSENT_MARKETING, 0, "2026-11-01", "2026-02", 5);
	T_CHECK(kt_consent_current(c, 4, KT_CONSENT_MARKETING) == &c[3]);
	T_CHECK(kt_consent_current(c + 3, 1, KT_CONSENT_MARKETING) == &c[3]);
	/* A legacy consent counts only without a record, however recent. */
	c[4] = rec(KT_CONSENT_MARKETING, 1, "2026-12-31", "", 0);
	c[4].legacy = 1;
	memset(&c[4].id, 0, sizeof(c[4].id));
	T_CHECK(kt_consent_current(c, 5, KT_CONSENT_MARKETING) == &c[3]);
	T_CHECK(kt_consent_current(c + 4, 1, KT_CONSENT_MARKETING) == &c[4]);
	T_CHECK(kt_consent_cmp(&c[4], &c[0]) < 0);
	T_CHECK(kt_consent_cmp(&c[0], &c[4]) > 0);
	T_EQ_INT(kt_consent_cmp(&c[2], &c[2]), 0);
	/* The order is total and antisymmetric over what was listed. */
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 5; j++)
			if (i != j)
				T_CHECK((kt_consent_cmp(&c[i], &c[j]) < 0) ==
					(kt_consent_cmp(&c[j], &c[i]) > 0));
	T_EQ_INT(kt_consent_purpose_parse("photos"), KT_CONSENT_PHOTOS);
	T_EQ_INT(kt_consent_purpose_parse("Photos"), 0);
	T_EQ_INT(kt_consent_purpose_parse(""), 0);
	T_EQ_STR(kt_consent_purpose_name(KT_CONSENT_HEALTH), "health");
	T_CHECK(kt_consent_purpose_name(0) == NULL);
	T_CHECK(kt_consent_purpose_name(KT_CONSENT_PURPOSES + 1) == NULL);
}

static void test_schema(void)
{
	const struct kt_field *f = kt_schema_field_named(KT_T_CONSENT, "purpose");
	struct kt_val v;
	struct kt_err err;
	char scratch[64];

	T_EQ_STR(kt_schema_type_name(KT_T_CONSENT), "consent");
	T_EQ_INT(kt_schema_owner_type(KT_T_CONSENT), KT_T_CLIENT);
	T_CHECK(!kt_schema_self_owned(KT_T_CONSENT));
	for (uint16_t n = 1; n <= 7; n++) {
		T_EQ_INT(kt_schema_part(KT_T_CONSENT, n), KT_P_CONTACTS); /* reception records it */
		T_EQ_INT(kt_schema_field(KT_T_CONSENT, n)->merge, KT_M_ONCE);
	}
	T_CHECK(f != NULL);
	T_EQ_INT(kt_schema_parse(f, "marketing", &v, scratch, &err), 0);
	T_CHECK(kt_schema_parse(f, "spam", &v, scratch, &err) != 0);
	f = kt_schema_field_named(KT_T_CONSENT, "state");
	T_EQ_INT(kt_schema_parse(f, "withdrawn", &v, scratch, &err), 0);
	T_CHECK(kt_schema_parse(f, "maybe", &v, scratch, &err) != 0);
}

/* Writes a consent record on card (purpose, state, date, version); its id into *out. */
static void write_consent(struct kt_store *st, const struct kt_id *card, const char *purpose,
			  const char *state, const char *date, const char *ver, struct kt_id *out)
{
	static struct kt_draft d;
	struct kt_err err;

	usleep(2000); /* ids a millisecond apart at least: the later one is written later */
	kt_id_new(out, kt_wall_ms());
	kt_draft_start(&d, KT_T_CONSENT, out, 1, card);
	T_EQ_INT(kt_draft_field(&d, "purpose", purpose, KT_OP_SET, &err), 0);
	T_EQ_INT(kt_draft_field(&d, "state", state, KT_OP_SET, &err), 0);
	T_EQ_INT(kt_draft_field(&d, "date", date, KT_OP_SET, &err), 0);
	if (ver != NULL)
		T_EQ_INT(kt_draft_field(&d, "version", ver, KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(st, &d, 1, NULL, &err), 0);
}

/* The current consent of purpose on card, loaded from the store: 1 given, 0 not, -1 none. */
static int current(struct kt_store *st, const struct kt_id *card, int purpose, int *legacy)
{
	struct kt_consents s = { 0 };
	const struct kt_consent *c;
	struct kt_err err;
	MDB_txn *txn;
	int r = -2;

	T_EQ_INT(kt_store_rdtxn(st, &txn, &err), 0);
	if (kt_consents_load(st, txn, card, &s, &err) == 0) {
		c = kt_consent_current(s.c, s.n, purpose);
		r = c == NULL ? -1 : c->given;
		if (legacy != NULL)
			*legacy = c != NULL && c->legacy;
	}
	kt_consents_release(&s);
	mdb_txn_abort(txn);
	return r;
}

static void test_store(void)
{
	static struct kt_draft d;
	struct kt_store st;
	struct kt_err err;
	struct kt_id a, b, k, none;
	struct kt_consents s = { 0 };
	MDB_txn *txn;
	int legacy = 0;

	make_node(&st, "consent", NULL);
	kt_id_new(&a, kt_wall_ms());
	kt_draft_start(&d, KT_T_CLIENT, &a, 1, NULL);
	T_EQ_INT(kt_draft_field(&d, "name", "Анна", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_draft_field(&d, "consent_marketing", "yes", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_draft_field(&d, "consent_photos", "no", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&st, &d, 1, NULL, &err), 0);
	/* The old fields are legacy consents: marketing given, photos withdrawn, health none. */
	T_EQ_INT(current(&st, &a, KT_CONSENT_MARKETING, &legacy), 1);
	T_EQ_INT(legacy, 1);
	T_EQ_INT(current(&st, &a, KT_CONSENT_PHOTOS, &legacy), 0);
	T_EQ_INT(current(&st, &a, KT_CONSENT_HEALTH, NULL), -1);
	/* A record, even an older one, replaces the legacy consent of its purpose. */
	write_consent(&st, &a, "marketing", "withdrawn", "2020-01-01", NULL, &k);
	T_EQ_INT(current(&st, &a, KT_CONSENT_MARKETING, &legacy), 0);
	T_EQ_INT(legacy, 0);
	write_consent(&st, &a, "marketing", "given", "2026-01-10", "2026-01", &k);
	T_EQ_INT(current(&st, &a, KT_CONSENT_MARKETING, NULL), 1);
	write_consent(&st, &a, "marketing", "withdrawn", "2026-01-10", "2026-01", &k);
	T_EQ_INT(current(&st, &a, KT_CONSENT_MARKETING, NULL), 0); /* same day, written later */
	T_EQ_INT(current(&st, &a, KT_CONSENT_PHOTOS, NULL), 0);     /* still the legacy one */
	/* A card merged into hers: its consents are hers, and hers its. */
	kt_id_new(&b, kt_wall_ms());
	kt_draft_start(&d, KT_T_CLIENT, &b, 1, NULL);
	T_EQ_INT(kt_draft_field(&d, "name", "Анна И.", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&st, &d, 1, NULL, &err), 0);
	write_consent(&st, &b, "health", "given", "2026-02-01", "h-1", &k);
	T_EQ_INT(current(&st, &a, KT_CONSENT_HEALTH, NULL), -1);
	kt_draft_alias(&d, &b, &a);
	T_EQ_INT(kt_store_write(&st, &d, 1, NULL, &err), 0);
	T_EQ_INT(current(&st, &a, KT_CONSENT_HEALTH, NULL), 1);
	T_EQ_INT(current(&st, &b, KT_CONSENT_MARKETING, NULL), 0);
	/* The history: every record and legacy field, oldest first, legacy ones first. */
	T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
	T_EQ_INT(kt_consents_load(&st, txn, &a, &s, &err), 0);
	T_EQ_INT(s.n, 6);
	T_EQ_INT(s.c[0].legacy && s.c[1].legacy, 1);
	for (size_t i = 1; i < s.n; i++)
		T_CHECK(kt_consent_cmp(&s.c[i - 1], &s.c[i]) < 0);
	kt_consents_release(&s);
	/* No such client: said, nothing read. */
	memset(&none, 0x11, sizeof(none));
	T_EQ_INT(kt_consents_load(&st, txn, &none, &s, &err), KT_ENOTFOUND);
	T_EQ_INT(kt_consents_load(&st, txn, &k, &s, &err), KT_ENOTFOUND); /* a consent, no card */
	T_EQ_INT(s.n, 0);
	mdb_txn_abort(txn);
	kt_store_close(&st);
}

/* Past KT_CONSENTS_MAX records the earliest go: the latest, read last, still holds. */
static void test_many(void)
{
	static struct kt_draft d[100];
	struct kt_store st;
	struct kt_err err;
	struct kt_id a, k;
	struct kt_consents s = { 0 };
	MDB_txn *txn;
	int written = 0;

	make_node(&st, "many", NULL);
	kt_id_new(&a, kt_wall_ms());
	kt_draft_start(&d[0], KT_T_CLIENT, &a, 1, NULL);
	T_EQ_INT(kt_draft_field(&d[0], "name", "Анна", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&st, d, 1, NULL, &err), 0);
	while (written < KT_CONSENTS_MAX + 50) {
		for (int i = 0; i < 100; i++) {
			kt_id_new(&k, kt_wall_ms());
			kt_draft_start(&d[i], KT_T_CONSENT, &k, 1, &a);
			T_EQ_INT(kt_draft_field(&d[i], "purpose", "marketing", KT_OP_SET, &err), 0);
			T_EQ_INT(kt_draft_field(&d[i], "state", "given", KT_OP_SET, &err), 0);
			T_EQ_INT(kt_draft_field(&d[i], "date", "2026-01-01", KT_OP_SET, &err), 0);
		}
		T_EQ_INT(kt_store_write(&st, d, 100, NULL, &err), 0);
		written += 100;
	}
	write_consent(&st, &a, "marketing", "withdrawn", "2026-02-01", NULL, &k);
	T_EQ_INT(current(&st, &a, KT_CONSENT_MARKETING, NULL), 0);
	T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
	T_EQ_INT(kt_consents_load(&st, txn, &a, &s, &err), 0);
	T_EQ_INT(s.n, KT_CONSENTS_MAX);
	T_CHECK(kt_id_cmp(&s.c[s.n - 1].id, &k) == 0); /* sorted: the latest last */
	kt_consents_release(&s);
	mdb_txn_abort(txn);
	kt_store_close(&st);
}

int main(void)
{
	if (tmpdir_make("consent") != 0)
		return 1;
	T_RUN(test_rule);
	T_RUN(test_schema);
	T_RUN(test_store);
	T_RUN(test_many);
	return tmpdir_done();
}
