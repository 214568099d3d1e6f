/*
 * schema.h - the record schema: one table that everything else reads.
 *
 * Each field of each record type has a number that is never reused, a name,
 * a merge kind and a value type.  Changes carry numbers, never names.  A
 * field number this build does not know is kept and passed on (upgrades
 * roll out one branch at a time), shown as "f<number>" in exports.
 *
 * The owning client of a record travels in every change header, so the
 * `client` field of visits, plans and the rest is the header's owner and
 * has no number of its own; a visit changes owner only through a merge of
 * cards (alias), never by editing.
 */
#ifndef KT_SCHEMA_H
#define KT_SCHEMA_H

#include <stdint.h>
#include <stddef.h>
#include "err.h"
#include "id.h"

enum kt_rtype {
	KT_T_CLIENT = 1,
	KT_T_VISIT = 2,
	KT_T_PATCH = 3,    /* patch_test */
	KT_T_ASSESS = 4,   /* assessment */
	KT_T_PLAN = 5,     /* care plan */
	KT_T_FEEDBACK = 6,
	KT_T_POINTS = 7,   /* loyalty ledger entry */
	KT_T_CATALOGUE = 8, /* a service or product of the chain, owning itself */
	KT_T_STAFF = 9,    /* a staff account of the chain, owning itself (node/staff.h) */
	KT_T_AUDIT = 10,   /* a read of cards, owned by the staff account that read */
	KT_T_CONSENT = 11, /* a consent given or withdrawn, owned by the client (node/consent.h) */
	KT_T_MAX = 11,
};

/*
 * What the safety check at the chair reads a field as (node/safety.h): a
 * column of the table, so the check asks the schema, never a field number.
 * On a card, ALLERGY, CONTRA and MEDICATION are what she must not have and
 * ALERT is the staff alert; on a visit, SERVICES and PRODUCTS are what she
 * is given (a write of either runs the check); on a catalogue entry,
 * ALLERGY lists its substances, CONTRA and MEDICATION what rules it out.
 */
enum kt_chair {
	KT_CH_NONE = 0,
	KT_CH_ALLERGY,
	KT_CH_CONTRA,
	KT_CH_MEDICATION,
	KT_CH_ALERT,
	KT_CH_SERVICES,
	KT_CH_PRODUCTS,
};

/*
 * Which days a date field may hold, counted from the branch's today (a
 * column of the table; node/dates.h applies it to what users type and
 * import, never to changes from other branches, which were checked where
 * they were written).
 */
enum kt_when {
	KT_WHEN_ANY = 0, /* any day kt_date_parse() reads: a plan's start, a follow-up */
	KT_WHEN_BORN,    /* a birthday: not after today, at most KT_AGE_YEARS_MAX years ago */
	KT_WHEN_DONE,    /* what happened (a visit, a patch test, an assessment): not after
			    today, unless the user says it is ahead (--future), and then at
			    most KT_DATE_AHEAD_DAYS_MAX days ahead */
};

enum kt_merge {
	KT_M_LWW = 1,  /* last writer wins by (hlc, origin) */
	KT_M_SET = 2,  /* observed-remove set, add wins */
	KT_M_ONCE = 3, /* written once, never changed: first version wins */
};

enum kt_vtype {
	KT_VT_TEXT = 1,  /* UTF-8 text, at most KT_VALUE_BYTES_MAX */
	KT_VT_DATE,      /* YYYY-MM-DD, stored as text */
	KT_VT_INT,       /* integer within [min, max] */
	KT_VT_MONEY,     /* amount in minor units (kopecks, bani), typed "1500.50" */
	KT_VT_BOOL,      /* yes/no, true/false, 1/0 */
	KT_VT_ENUM,      /* one of a fixed list of words */
	KT_VT_ID,        /* a record id */
	KT_VT_PHONE,     /* text; indexed as E.164 */
	KT_VT_EMAIL,     /* text with one '@'; indexed folded */
	KT_VT_E164,      /* "+" and 7-15 digits: a phone as its branch normalised it */
};

/* The fewest digits a phone has anywhere (schema.c, parse_phone). */
#define KT_PHONE_DIGITS_MIN 5
/*
 * The most: E.164's 15 and an international prefix of up to 3 digits (the
 * "8 10" dialled from Russia, "00" elsewhere), its extension aside.
 */
#define KT_PHONE_DIGITS_MAX 18

/*
 * Client fields other code names: the search indexes (store/index.c)
 * and the phone's normalised copy (store/write.c).
 */
enum {
	KT_CLIENT_NAME = 1,
	KT_CLIENT_PHONE = 2,
	KT_CLIENT_EMAIL = 3,
	KT_CLIENT_BIRTHDAY = 4,
	KT_CLIENT_PHONE_E164 = 23,
};

/* Special field numbers, used by operations that are not plain fields. */
#define KT_F_HEAD 0        /* a record's head in the store: its type and owner */
#define KT_F_ALIAS 0xfff0 /* client merged into another: LWW of an id */

struct kt_field {
	uint8_t rtype;
	uint16_t num;
	const char *name;
	uint8_t merge;
	uint8_t vtype;
	int64_t min, max;    /* KT_VT_INT and KT_VT_MONEY bounds (none when equal) */
	const char *choices; /* KT_VT_ENUM: words separated by '|' */
	uint8_t chair;       /* enum kt_chair: what the safety check reads it as */
	uint8_t when;        /* KT_VT_DATE: enum kt_when, which days it may hold */
	uint8_t search;      /* enum kt_search: what the search indexes make of it */
};

/*
 * What a client card's search indexes make of a field (store/index.c)
 * and which fields carry a blind token for the hub's duplicates
 * (kt_schema_token): a column of the table, so the store asks the schema.
 */
enum kt_search {
	KT_S_NONE = 0,
	KT_S_WORDS,      /* each folded word ('n'): the name */
	KT_S_PHONE,      /* its digits, forwards and backwards ('p', 'r'); a token */
	KT_S_EMAIL,      /* folded ('e'); a token */
	KT_S_DAY,        /* month and day ("MM-DD", the bday table) */
	KT_S_PHONE_COPY, /* the phone's E.164 copy: its digits, while it is the phone's */
	KT_S_AUDIT,      /* an audit record's cards read: 'a' card id, audit id (store/index.c) */
};

/* The search column of field num of rtype (KT_S_NONE for an unknown field). */
int kt_schema_search(int rtype, uint16_t num);
/* The field of rtype searched as kind, or NULL. */
const struct kt_field *kt_schema_searched(int rtype, int kind);

/*
 * Whether records of rtype own themselves, as a client card does: the
 * change that creates one carries a fresh data key of its own (a KEY op).
 * Client cards, catalogue entries and staff accounts do; an audit record
 * belongs to the staff account that read, every other record to a client
 * card.
 */
int kt_schema_self_owned(int rtype);
/*
 * The type of the record that owns records of rtype: KT_T_STAFF for an
 * audit record, KT_T_CLIENT for a visit and the rest, 0 for a type that
 * owns itself.
 */
int kt_schema_owner_type(int rtype);

/*
 * The part of a client's card a field belongs to, as the roles read and
 * write it (node/roles.h, docs/PRIVACY.md): a bit each, so a role's rights
 * are a mask.  Fields of a card are contacts, safety or health by the
 * table in kt_schema_part(); a record of another type is wholly one part
 * (a visit is visits, an assessment health, a patch test safety, a
 * consent contacts: reception records one at the desk).  A
 * field number this build does not know is health: what is not known is
 * shown only to those who see the whole card.
 */
enum kt_part {
	KT_P_CONTACTS = 1 << 0,
	KT_P_SAFETY = 1 << 1,   /* what stops a booking: allergies, contraindications, alert */
	KT_P_HEALTH = 1 << 2,
	KT_P_VISITS = 1 << 3,
	KT_P_FEEDBACK = 1 << 4,
	KT_P_LOYALTY = 1 << 5,
	KT_P_CATALOGUE = 1 << 6, /* the chain's services and products */
	KT_P_STAFF = 1 << 7,     /* staff accounts */
	KT_P_AUDIT = 1 << 8,     /* audit records */
	KT_P_CARD = KT_P_CONTACTS | KT_P_SAFETY | KT_P_HEALTH | KT_P_VISITS | KT_P_FEEDBACK |
		    KT_P_LOYALTY, /* the whole card */
};
int kt_schema_part(int rtype, uint16_t num);
/* The name of one part bit ("contacts", "safety", ...), or NULL. */
const char *kt_schema_part_name(int part);
/*
 * Writes the names of the parts of mask, joined by ',' in bit order, into
 * out (cap bytes; 96 hold every name); returns out.
 */
char *kt_schema_parts_text(int mask, char *out, size_t cap);
/* The mask of a text of part names joined by ','; -1 when one is unknown. */
int kt_schema_parts_parse(const char *text);

/* Type names as users type them: "client", "visit", "patch_test", ..., "catalogue" */
const char *kt_schema_type_name(int rtype);
int kt_schema_type_parse(const char *name); /* 0 when unknown */

/* The field of rtype with this number or name, or NULL. */
const struct kt_field *kt_schema_field(int rtype, uint16_t num);
const struct kt_field *kt_schema_field_named(int rtype, const char *name);

/* Calls fn for each known field of rtype in number order. */
size_t kt_schema_fields(int rtype, const struct kt_field **out, size_t cap);

/* A typed field value.  Strings and bins borrow their bytes. */
enum { KT_V_NIL = 0, KT_V_BOOL, KT_V_INT, KT_V_STR, KT_V_BIN };
struct kt_val {
	uint8_t t;
	int64_t i;      /* BOOL and INT */
	const char *s;  /* STR and BIN, not NUL-terminated */
	uint32_t n;
};

/*
 * Parses what a user typed for field f into *v.  Text is checked for valid
 * UTF-8 and its size; dates for a real calendar day; ints for their range;
 * money for at most two decimals; enums for one of their words (folded to
 * lower case); ids for the id syntax.  An empty string clears the field
 * (KT_V_NIL).  v->s may point into text or into scratch (at least
 * KT_VALUE_BYTES_MAX + 1 bytes).
 */
int kt_schema_parse(const struct kt_field *f, const char *text, struct kt_val *v,
		    char *scratch, struct kt_err *err);

/*
 * Formats v as text for display and export into out (cap bytes): money as
 * "1500.50", bools as "yes"/"no".  Returns the length written.
 */
size_t kt_schema_format(const struct kt_field *f, const struct kt_val *v, char *out,
			size_t cap);

/* Parses YYYY-MM-DD into a day count since 1970-01-01; -1 when invalid. */
int kt_date_parse(const char *s, int32_t *days);
/* Days since 1970-01-01 to YYYY-MM-DD (11 bytes). */
void kt_date_format(int32_t days, char out[11]);
/* Year, month (1-12), day of a day count. */
void kt_date_ymd(int32_t days, int *y, int *m, int *d);

#endif
