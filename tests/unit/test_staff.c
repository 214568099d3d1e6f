/*
 * test_staff.c - the role table (node/roles.h) held to the README's, the
 * parts of the schema, staff passphrases, and the author sealed in each
 * change's payload (proto/change.h).
 */
#include "t.h"
#include "roles.h"
#include "staff.h"
#include "proto/change.h"
#include "crypto.h"

#include <sodium.h>

static void test_roles_table(void)
{
	struct kt_rights r = kt_role_rights(KT_ROLE_RECEPTION, 0);
	char who[160];

	/* Reception: contacts, safety, visits, feedback, loyalty; not health. */
	T_CHECK(r.reads & KT_P_CONTACTS);
	T_CHECK(r.reads & KT_P_SAFETY);
	T_CHECK(r.reads & KT_P_VISITS);
	T_CHECK(!(r.reads & KT_P_HEALTH));
	T_CHECK(!(r.writes & KT_P_HEALTH));
	T_CHECK(r.writes & KT_P_SAFETY); /* an allergy she is told of at booking */
	T_CHECK(r.can & KT_CAN_FIND);
	T_CHECK(!(r.can & (KT_CAN_EXPORT | KT_CAN_REPORT | KT_CAN_AUDIT | KT_CAN_STAFF)));
	r = kt_role_rights(KT_ROLE_COSMETOLOGIST, 0);
	T_EQ_INT(r.reads & KT_P_CARD, KT_P_CARD);
	T_EQ_INT(r.writes & KT_P_CARD, KT_P_CARD);
	T_CHECK(!(r.can & KT_CAN_EXPORT));
	r = kt_role_rights(KT_ROLE_MANAGER, 0);
	T_EQ_INT(r.reads & KT_P_CARD, KT_P_CARD);
	T_CHECK(r.can & KT_CAN_EXPORT);
	T_CHECK(r.can & KT_CAN_REPORT);
	T_CHECK(r.can & KT_CAN_ERASE);
	T_CHECK(!(r.can & KT_CAN_CHAIN));
	/* Head office: reports and the audit; cards only through a grant. */
	r = kt_role_rights(KT_ROLE_HEAD_OFFICE, 0);
	T_EQ_INT(r.reads & KT_P_CARD, 0);
	T_CHECK(r.can & KT_CAN_REPORT);
	T_CHECK(r.can & KT_CAN_AUDIT);
	r = kt_role_rights(KT_ROLE_HEAD_OFFICE, 1);
	T_EQ_INT(r.reads & KT_P_CARD, KT_P_CARD);
	T_CHECK(!(r.can & KT_CAN_EXPORT));
	r = kt_role_rights(0, 1);
	T_EQ_INT(r.reads | r.writes | r.can, 0);
	r = kt_role_rights(KT_ROLE_MAX + 1, 0);
	T_EQ_INT(r.reads | r.writes | r.can, 0);
	T_EQ_STR(kt_role_who(KT_P_HEALTH, 0, 0, who, sizeof(who)),
		 "cosmetologist, manager, head_office with a grant");
	T_EQ_STR(kt_role_who(0, 0, KT_CAN_EXPORT, who, sizeof(who)), "manager");
	T_EQ_STR(kt_role_who(0, 0, 1 << 20, who, sizeof(who)), "no role");
	T_EQ_INT(kt_role_parse("head_office"), KT_ROLE_HEAD_OFFICE);
	T_EQ_INT(kt_role_parse("boss"), 0);
	T_CHECK(kt_role_name(0) == NULL);
}

static void test_parts(void)
{
	char text[96];

	T_EQ_INT(kt_schema_part(KT_T_CLIENT, kt_schema_field_named(KT_T_CLIENT, "name")->num),
		 KT_P_CONTACTS);
	T_EQ_INT(kt_schema_part(KT_T_CLIENT, kt_schema_field_named(KT_T_CLIENT, "allergies")->num),
		 KT_P_SAFETY);
	T_EQ_INT(kt_schema_part(KT_T_CLIENT,
				kt_schema_field_named(KT_T_CLIENT, "contraindications")->num),
		 KT_P_SAFETY);
	T_EQ_INT(kt_schema_part(KT_T_CLIENT,
				kt_schema_field_named(KT_T_CLIENT, "medications")->num),
		 KT_P_HEALTH);
	T_EQ_INT(kt_schema_part(KT_T_CLIENT,
				kt_schema_field_named(KT_T_CLIENT, "health_notes")->num),
		 KT_P_HEALTH);
	T_EQ_INT(kt_schema_part(KT_T_CLIENT, 999), KT_P_HEALTH); /* unknown: shown to few */
	T_EQ_INT(kt_schema_part(KT_T_ASSESS, 1), KT_P_HEALTH);
	T_EQ_INT(kt_schema_part(KT_T_PLAN, 1), KT_P_HEALTH);
	T_EQ_INT(kt_schema_part(KT_T_PATCH, 1), KT_P_SAFETY);
	T_EQ_INT(kt_schema_part(KT_T_VISIT, 3), KT_P_VISITS);
	T_EQ_INT(kt_schema_part(KT_T_POINTS, 1), KT_P_LOYALTY);
	/* Every field of a card is in one of the card's parts. */
	for (uint16_t f = 1; f <= 23; f++)
		T_CHECK(kt_schema_part(KT_T_CLIENT, f) & KT_P_CARD);
	T_EQ_STR(kt_schema_parts_text(KT_P_CONTACTS | KT_P_HEALTH, text, sizeof(text)),
		 "contacts,health");
	T_EQ_INT(kt_schema_parts_parse("contacts,health"), KT_P_CONTACTS | KT_P_HEALTH);
	T_EQ_INT(kt_schema_parts_parse("contacts,bogus"), -1);
	T_EQ_INT(kt_schema_parts_parse(""), 0);
	T_EQ_INT(kt_schema_owner_type(KT_T_AUDIT), KT_T_STAFF);
	T_EQ_INT(kt_schema_owner_type(KT_T_VISIT), KT_T_CLIENT);
	T_EQ_INT(kt_schema_owner_type(KT_T_STAFF), 0);
	T_CHECK(kt_schema_self_owned(KT_T_STAFF));
	T_EQ_STR(kt_schema_type_name(KT_T_AUDIT), "audit");
}

static void test_passphrase(void)
{
	struct kt_staff s;
	struct kt_err err;

	memset(&s, 0, sizeof(s));
	T_EQ_INT(kt_staff_check(&s, "", 0), 0); /* no passphrase matches nothing */
	T_EQ_INT(kt_staff_hash("1234", 4, s.pass, &err), 0);
	T_CHECK(strncmp(s.pass, "$argon2id$", 10) == 0);
	T_EQ_INT(kt_staff_check(&s, "1234", 4), 1);
	T_EQ_INT(kt_staff_check(&s, "1235", 4), 0);
	T_EQ_INT(kt_staff_check(&s, "123", 3), 0);
	s.grant_until = -1;
	T_EQ_INT(kt_staff_granted(&s, 100), 0);
	s.grant_until = 100;
	T_EQ_INT(kt_staff_granted(&s, 100), 1);
	T_EQ_INT(kt_staff_granted(&s, 101), 0);
}

/* The author rides inside the seal: the header has no trace of her id. */
static void test_author_sealed(void)
{
	uint8_t key[KT_KEY_BYTES], *plain;
	struct kt_change c, d;
	struct kt_val v = { .t = KT_V_STR, .s = "Анна", .n = 8 }, out[KT_OPS_MAX];
	struct kt_id by;
	msgpack_sbuffer sb;
	struct kt_err err;
	int has = 7;

	kt_random(key, sizeof(key));
	memset(&c, 0, sizeof(c));
	c.origin = 9;
	c.seq = 1;
	c.hlc = 1;
	c.type = KT_T_CLIENT;
	kt_id_new(&c.id, 1700000000000ull);
	c.owner = c.id;
	c.nops = 1;
	c.ops[0] = (struct kt_op){ .field = 1, .kind = KT_OP_SET };
	memset(c.by.b, 0xab, KT_ID_BYTES);
	c.has_by = 1;
	msgpack_sbuffer_init(&sb);
	T_EQ_INT(kt_change_encode(&c, &v, key, &sb, &err), 0);
	T_EQ_INT(kt_change_decode(&d, (uint8_t *)sb.data, sb.size, &err), 0);
	T_EQ_INT(d.has_by, 0); /* the header does not say */
	T_CHECK(memmem(d.header, d.header_len, c.by.b, 4) == NULL);
	plain = malloc(d.payload_len);
	T_EQ_INT(kt_change_open_by(&d, key, plain, out, &by, &has, &err), 0);
	T_EQ_INT(has, 1);
	T_CHECK(memcmp(by.b, c.by.b, KT_ID_BYTES) == 0);
	T_EQ_INT(out[0].n, 8);
	/* A change with no author opens with has 0, and the old decoder path reads both. */
	c.has_by = 0;
	T_EQ_INT(kt_change_encode(&c, &v, key, &sb, &err), 0);
	T_EQ_INT(kt_change_decode(&d, (uint8_t *)sb.data, sb.size, &err), 0);
	T_EQ_INT(kt_change_open_by(&d, key, plain, out, &by, &has, &err), 0);
	T_EQ_INT(has, 0);
	T_EQ_INT(kt_change_open(&d, key, plain, out, &err), 0);
	free(plain);
	msgpack_sbuffer_destroy(&sb);
	/* An author that is not 16 bytes, or a value too many, is refused. */
	{
		static const uint8_t bad_author[] = { 0x92, 0xa1, 'x', 0xc4, 0x03, 1, 2, 3 };
		static const uint8_t too_many[] = { 0x93, 0xa1, 'x', 0xa1, 'y', 0xa1, 'z' };

		T_EQ_INT(kt_values_decode_by(bad_author, sizeof(bad_author), out, 1, &by, &has, &err),
			 KT_ECORRUPT);
		T_EQ_INT(kt_values_decode(too_many, sizeof(too_many), out, 1, &err), KT_ECORRUPT);
	}
}

int main(void)
{
	kt_crypto_init();
	T_RUN(test_roles_table);
	T_RUN(test_parts);
	T_RUN(test_passphrase);
	T_RUN(test_author_sealed);
	T_DONE();
}
