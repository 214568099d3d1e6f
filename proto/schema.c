/*
 * schema.c - the field table and value parsing.
 *
 * Numbers are assigned once and never reused: add new fields at the end of
 * their type with the next number.  The table is sorted by (type, number).
 */
#include "schema.h"
#include "limits.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LWW(t, n, name, vt) { t, n, name, KT_M_LWW, vt, 0, 0, NULL, 0, 0, 0 }
#define SET(t, n, name) { t, n, name, KT_M_SET, KT_VT_TEXT, 0, 0, NULL, 0, 0, 0 }
#define INT(t, n, name, lo, hi) { t, n, name, KT_M_LWW, KT_VT_INT, lo, hi, NULL, 0, 0, 0 }
#define ENUM(t, n, name, ch) { t, n, name, KT_M_LWW, KT_VT_ENUM, 0, 0, ch, 0, 0, 0 }
#define ONCE(t, n, name, vt) { t, n, name, KT_M_ONCE, vt, 0, 0, NULL, 0, 0, 0 }
/* A field the safety check at the chair reads (enum kt_chair). */
#define SETC(t, n, name, ch) { t, n, name, KT_M_SET, KT_VT_TEXT, 0, 0, NULL, ch, 0, 0 }
/* An amount in minor units (kopecks, bani, fen) within [lo, hi] */
#define MONEY(t, n, name, lo, hi) { t, n, name, KT_M_LWW, KT_VT_MONEY, lo, hi, NULL, 0, 0, 0 }
#define LWWC(t, n, name, ch) { t, n, name, KT_M_LWW, KT_VT_TEXT, 0, 0, NULL, ch, 0, 0 }
/* A date, and which days it may hold (enum kt_when; node/dates.h applies it to input) */
#define DATE(t, n, name, w) { t, n, name, KT_M_LWW, KT_VT_DATE, 0, 0, NULL, 0, w, 0 }

/* A field the search indexes read (enum kt_search). */
#define LWWS(t, n, name, vt, s) { t, n, name, KT_M_LWW, vt, 0, 0, NULL, 0, 0, s }
#define DATES(t, n, name, w, s) { t, n, name, KT_M_LWW, KT_VT_DATE, 0, 0, NULL, 0, w, s }

static const struct kt_field fields[] = {
	LWWS(KT_T_CLIENT, 1, "name", KT_VT_TEXT, KT_S_WORDS),
	LWWS(KT_T_CLIENT, 2, "phone", KT_VT_PHONE, KT_S_PHONE),
	LWWS(KT_T_CLIENT, 3, "email", KT_VT_EMAIL, KT_S_EMAIL),
	DATES(KT_T_CLIENT, 4, "birthday", KT_WHEN_BORN, KT_S_DAY),
	ENUM(KT_T_CLIENT, 5, "gender", "female|male|other"),
	ENUM(KT_T_CLIENT, 6, "skin_type", "normal|dry|oily|combination|sensitive"),
	ENUM(KT_T_CLIENT, 7, "sensitivity", "low|medium|high"),
	LWW(KT_T_CLIENT, 8, "health_notes", KT_VT_TEXT),
	LWWC(KT_T_CLIENT, 9, "staff_alert", KT_CH_ALERT),
	LWW(KT_T_CLIENT, 10, "notes", KT_VT_TEXT),
	LWW(KT_T_CLIENT, 11, "home_branch", KT_VT_TEXT),
	LWW(KT_T_CLIENT, 12, "consent_photos", KT_VT_BOOL),
	LWW(KT_T_CLIENT, 13, "consent_marketing", KT_VT_BOOL),
	LWW(KT_T_CLIENT, 14, "referred_by", KT_VT_TEXT),
	SETC(KT_T_CLIENT, 15, "allergies", KT_CH_ALLERGY),
	SETC(KT_T_CLIENT, 16, "contraindications", KT_CH_CONTRA),
	SETC(KT_T_CLIENT, 17, "medications", KT_CH_MEDICATION),
	SET(KT_T_CLIENT, 18, "problem_zones"),
	SET(KT_T_CLIENT, 19, "preferences"),
	SET(KT_T_CLIENT, 20, "goals"),
	SET(KT_T_CLIENT, 21, "tags"),
	SET(KT_T_CLIENT, 22, "important_dates"),
	/*
	 * The phone in E.164 as the branch that typed it read it under its own
	 * country (KT_VT_E164): written by the store with each phone, so every
	 * branch finds "0721 234 567" typed in Romania by "+40 721 234 567".
	 */
	LWWS(KT_T_CLIENT, 23, "phone_e164", KT_VT_E164, KT_S_PHONE_COPY),

	DATE(KT_T_VISIT, 1, "date", KT_WHEN_DONE),
	LWW(KT_T_VISIT, 2, "branch", KT_VT_TEXT),
	LWW(KT_T_VISIT, 3, "specialist", KT_VT_TEXT),
	LWWC(KT_T_VISIT, 4, "services", KT_CH_SERVICES),
	MONEY(KT_T_VISIT, 5, "amount", 0, 100000000000LL), /* paid, never negative */
	LWW(KT_T_VISIT, 6, "currency", KT_VT_TEXT),
	LWWC(KT_T_VISIT, 7, "products_used", KT_CH_PRODUCTS),
	LWW(KT_T_VISIT, 8, "products_sold", KT_VT_TEXT),
	LWW(KT_T_VISIT, 9, "result", KT_VT_TEXT),
	INT(KT_T_VISIT, 10, "rating", 1, 5),
	LWW(KT_T_VISIT, 11, "override_reason", KT_VT_TEXT),
	LWW(KT_T_VISIT, 12, "override_by", KT_VT_TEXT),

	DATE(KT_T_PATCH, 1, "date", KT_WHEN_DONE),
	LWW(KT_T_PATCH, 2, "branch", KT_VT_TEXT),
	LWW(KT_T_PATCH, 3, "subject", KT_VT_TEXT),
	LWW(KT_T_PATCH, 4, "by", KT_VT_TEXT),
	ENUM(KT_T_PATCH, 5, "status", "pending|passed|failed"),
	DATE(KT_T_PATCH, 6, "valid_until", KT_WHEN_ANY),

	DATE(KT_T_ASSESS, 1, "date", KT_WHEN_DONE),
	LWW(KT_T_ASSESS, 2, "branch", KT_VT_TEXT),
	INT(KT_T_ASSESS, 3, "hydration", 0, 10),
	INT(KT_T_ASSESS, 4, "oiliness", 0, 10),
	INT(KT_T_ASSESS, 5, "pigmentation", 0, 10),
	INT(KT_T_ASSESS, 6, "wrinkles", 0, 10),
	INT(KT_T_ASSESS, 7, "acne", 0, 10),
	INT(KT_T_ASSESS, 8, "sensitivity", 0, 10),
	LWW(KT_T_ASSESS, 9, "notes", KT_VT_TEXT),
	SET(KT_T_ASSESS, 10, "photos"),

	LWW(KT_T_PLAN, 1, "goal", KT_VT_TEXT),
	LWW(KT_T_PLAN, 2, "procedures", KT_VT_TEXT),
	LWW(KT_T_PLAN, 3, "frequency", KT_VT_TEXT),
	DATE(KT_T_PLAN, 4, "start", KT_WHEN_ANY),
	ENUM(KT_T_PLAN, 5, "status", "open|done|cancelled"),
	LWW(KT_T_PLAN, 6, "notes", KT_VT_TEXT),

	LWW(KT_T_FEEDBACK, 1, "branch", KT_VT_TEXT),
	ENUM(KT_T_FEEDBACK, 2, "kind", "praise|complaint|wish"),
	LWW(KT_T_FEEDBACK, 3, "text", KT_VT_TEXT),
	ENUM(KT_T_FEEDBACK, 4, "status", "open|in_progress|resolved"),
	LWW(KT_T_FEEDBACK, 5, "resolution", KT_VT_TEXT),
	DATE(KT_T_FEEDBACK, 6, "follow_up", KT_WHEN_ANY),

	/* Bounded as typed (never 0: such an entry changes nothing); stored ones may be larger. */
	{ KT_T_POINTS, 1, "delta", KT_M_ONCE, KT_VT_INT, -KT_POINTS_DELTA_MAX, KT_POINTS_DELTA_MAX,
	  NULL, 0, 0, 0 },
	ONCE(KT_T_POINTS, 2, "reason", KT_VT_TEXT),
	ONCE(KT_T_POINTS, 3, "visit", KT_VT_ID),
	/*
	 * The day of the entry (today unless given), and, for one that took the
	 * balance below zero, who allowed it and why (record add --override):
	 * written once, as the entry is.
	 */
	{ KT_T_POINTS, 4, "date", KT_M_ONCE, KT_VT_DATE, 0, 0, NULL, 0, KT_WHEN_DONE, 0 },
	ONCE(KT_T_POINTS, 5, "override_reason", KT_VT_TEXT),
	ONCE(KT_T_POINTS, 6, "override_by", KT_VT_TEXT),

	/*
	 * The chain's catalogue of services and products (node/safety.h reads
	 * it at the chair): what an entry is called (name, and aliases staff
	 * type for it), its substances, the contraindications and medications
	 * that rule it out, whether it needs a valid patch test.  Retired
	 * entries are still checked: what they contain has not changed.
	 */
	LWW(KT_T_CATALOGUE, 1, "name", KT_VT_TEXT),
	ENUM(KT_T_CATALOGUE, 2, "kind", "service|product"),
	SETC(KT_T_CATALOGUE, 3, "substances", KT_CH_ALLERGY),
	SETC(KT_T_CATALOGUE, 4, "contraindications", KT_CH_CONTRA),
	SETC(KT_T_CATALOGUE, 5, "medications", KT_CH_MEDICATION),
	LWW(KT_T_CATALOGUE, 6, "patch_test", KT_VT_BOOL),
	INT(KT_T_CATALOGUE, 7, "follow_up_days", 0, 3650),
	SET(KT_T_CATALOGUE, 8, "skin_types"),
	SET(KT_T_CATALOGUE, 9, "problem_zones"),
	MONEY(KT_T_CATALOGUE, 10, "price", 0, 100000000000LL), /* a price is never negative */
	SET(KT_T_CATALOGUE, 11, "aliases"),
	LWW(KT_T_CATALOGUE, 12, "retired", KT_VT_BOOL),

	/*
	 * A staff account of the chain (node/staff.h): who she is, her role,
	 * the branch she works at (empty: any), her passphrase's Argon2id hash
	 * (crypto_pwhash_str), whether the account is disabled, and the last
	 * day a head-office account may open cards (a manager's grant).
	 */
	LWW(KT_T_STAFF, 1, "name", KT_VT_TEXT),
	ENUM(KT_T_STAFF, 2, "role", "reception|cosmetologist|manager|head_office"),
	LWW(KT_T_STAFF, 3, "branch", KT_VT_TEXT),
	LWW(KT_T_STAFF, 4, "pass", KT_VT_TEXT),
	LWW(KT_T_STAFF, 5, "disabled", KT_VT_BOOL),
	DATE(KT_T_STAFF, 6, "grant_until", KT_WHEN_ANY),

	/*
	 * A read of cards (node/audit.h), written once by the node where it was
	 * made: what was read (the command), the parts shown, the branch, the
	 * staff member's name as it was then, the cards read (ids), whether it
	 * covered every card (an export), and a reason when one was given (an
	 * erasure, a grant).  Its time is the change's clock.
	 */
	ONCE(KT_T_AUDIT, 1, "what", KT_VT_TEXT),
	ONCE(KT_T_AUDIT, 2, "parts", KT_VT_TEXT),
	ONCE(KT_T_AUDIT, 3, "branch", KT_VT_TEXT),
	ONCE(KT_T_AUDIT, 4, "staff", KT_VT_TEXT),
	{ KT_T_AUDIT, 5, "clients", KT_M_SET, KT_VT_ID, 0, 0, NULL, 0, 0, KT_S_AUDIT },
	ONCE(KT_T_AUDIT, 6, "all", KT_VT_BOOL),
	ONCE(KT_T_AUDIT, 7, "reason", KT_VT_TEXT),

	/*
	 * A consent given or withdrawn (node/consent.h, docs/PRIVACY.md): its
	 * purpose, its state, the day she gave or withdrew it, the version of
	 * the text she agreed to, the staff account that recorded it, the
	 * branch and a note.  Written once, as evidence: a change of mind is a
	 * new record, and the current consent of a purpose is the latest
	 * (kt_consent_current).  Owned by the client, so sealed under her data
	 * key and erased with her.
	 */
	{ KT_T_CONSENT, 1, "purpose", KT_M_ONCE, KT_VT_ENUM, 0, 0, "health|marketing|photos", 0, 0,
	  0 },
	{ KT_T_CONSENT, 2, "state", KT_M_ONCE, KT_VT_ENUM, 0, 0, "given|withdrawn", 0, 0, 0 },
	{ KT_T_CONSENT, 3, "date", KT_M_ONCE, KT_VT_DATE, 0, 0, NULL, 0, KT_WHEN_DONE, 0 },
	ONCE(KT_T_CONSENT, 4, "version", KT_VT_TEXT),
	ONCE(KT_T_CONSENT, 5, "recorded_by", KT_VT_ID),
	ONCE(KT_T_CONSENT, 6, "branch", KT_VT_TEXT),
	ONCE(KT_T_CONSENT, 7, "note", KT_VT_TEXT),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *type_names[KT_T_MAX + 1] = {
	NULL, "client", "visit", "patch_test", "assessment", "plan", "feedback", "points",
	"catalogue", "staff", "audit", "consent",
};

const char *kt_schema_type_name(int rtype)
{
	if (rtype < 1 || rtype > KT_T_MAX)
		return "unknown";
	return type_names[rtype];
}

int kt_schema_type_parse(const char *name)
{
	for (int t = 1; t <= KT_T_MAX; t++)
		if (strcmp(name, type_names[t]) == 0)
			return t;
	if (strcmp(name, "care_plan") == 0)
		return KT_T_PLAN;
	if (strcmp(name, "catalog") == 0)
		return KT_T_CATALOGUE;
	return 0;
}

int kt_schema_self_owned(int rtype)
{
	return rtype == KT_T_CLIENT || rtype == KT_T_CATALOGUE || rtype == KT_T_STAFF;
}

int kt_schema_owner_type(int rtype)
{
	if (kt_schema_self_owned(rtype))
		return 0;
	return rtype == KT_T_AUDIT ? KT_T_STAFF : KT_T_CLIENT;
}

int kt_schema_part(int rtype, uint16_t num)
{
	switch (rtype) {
	case KT_T_CLIENT:
		switch (num) {
		case 1: case 2: case 3: case 4: case 5: /* name, phone, email, birthday, gender */
		case 11: case 12: case 13: case 14:     /* home branch, consents, referral */
		case 19: case 21: case 22: case 23:     /* preferences, tags, dates, E.164 */
			return KT_P_CONTACTS;
		case 9: case 15: case 16: /* staff alert, allergies, contraindications */
			return KT_P_SAFETY;
		default: /* skin type, sensitivity, health notes, notes, medications, ... */
			return KT_P_HEALTH;
		}
	case KT_T_VISIT: return KT_P_VISITS;
	case KT_T_PATCH: return KT_P_SAFETY;
	case KT_T_FEEDBACK: return KT_P_FEEDBACK;
	case KT_T_POINTS: return KT_P_LOYALTY;
	case KT_T_CATALOGUE: return KT_P_CATALOGUE;
	case KT_T_STAFF: return KT_P_STAFF;
	case KT_T_AUDIT: return KT_P_AUDIT;
	case KT_T_CONSENT: return KT_P_CONTACTS; /* the consent booleans 12, 13 were too */
	default: return KT_P_HEALTH; /* assessments, care plans, a type not known */
	}
}

static const char *const part_names[] = { "contacts", "safety", "health", "visits", "feedback",
					  "loyalty", "catalogue", "staff", "audit" };
#define NPARTS (sizeof(part_names) / sizeof(part_names[0]))

const char *kt_schema_part_name(int part)
{
	for (size_t i = 0; i < NPARTS; i++)
		if (part == 1 << i)
			return part_names[i];
	return NULL;
}

char *kt_schema_parts_text(int mask, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < NPARTS && cap > 0; i++)
		if (mask & (1 << i))
			n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "",
					      part_names[i]);
	return out;
}

int kt_schema_parts_parse(const char *text)
{
	int mask = 0;

	while (*text) {
		size_t n = strcspn(text, ","), i;

		for (i = 0; i < NPARTS; i++)
			if (strlen(part_names[i]) == n && strncmp(text, part_names[i], n) == 0)
				break;
		if (i == NPARTS)
			return -1;
		mask |= 1 << i;
		text += n + (text[n] == ',');
	}
	return mask;
}

const struct kt_field *kt_schema_field(int rtype, uint16_t num)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].rtype == rtype && fields[i].num == num)
			return &fields[i];
	return NULL;
}

const struct kt_field *kt_schema_field_named(int rtype, const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].rtype == rtype && strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

int kt_schema_search(int rtype, uint16_t num)
{
	size_t lo = 0, hi = NFIELDS;

	/* Every op of every change asks: the table is sorted by (type, number). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct kt_field *f = &fields[mid];

		if (f->rtype == rtype && f->num == num)
			return f->search;
		if (f->rtype < rtype || (f->rtype == rtype && f->num < num))
			lo = mid + 1;
		else
			hi = mid;
	}
	return KT_S_NONE;
}

const struct kt_field *kt_schema_searched(int rtype, int kind)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].rtype == rtype && fields[i].search == kind)
			return &fields[i];
	return NULL;
}

size_t kt_schema_fields(int rtype, const struct kt_field **out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].rtype == rtype && k < cap)
			out[k++] = &fields[i];
	return k;
}

/* Days from civil date (Howard Hinnant's algorithm), proleptic Gregorian. */
static int32_t days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void kt_date_ymd(int32_t z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

int kt_date_parse(const char *s, int32_t *days)
{
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

void kt_date_format(int32_t days, char out[11])
{
	int y, m, d;

	kt_date_ymd(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* "1500", "1500.5", "1500.50", "-20" to minor units; at most 2 decimals. */
static int parse_money(const char *s, int64_t *out)
{
	int64_t whole = 0, frac = 0;
	int neg = 0, digits = 0, fdigits = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; isdigit((unsigned char)*s); s++, digits++) {
		if (whole > (INT64_MAX / 100 - 9) / 10)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.' || *s == ',') {
		for (s++; isdigit((unsigned char)*s); s++, fdigits++)
			if (fdigits < 2)
				frac = frac * 10 + (*s - '0');
		if (fdigits == 0 || fdigits > 2)
			return -1;
		if (fdigits == 1)
			frac *= 10;
	}
	if (*s != '\0' || digits == 0)
		return -1;
	*out = (whole * 100 + frac) * (neg ? -1 : 1);
	return 0;
}

static int parse_bool(const char *s, int64_t *out)
{
	static const char *yes[] = { "yes", "true", "1", "y", "да" };
	static const char *no[] = { "no", "false", "0", "n", "нет" };

	for (size_t i = 0; i < 5; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int parse_enum(const struct kt_field *f, const char *s, struct kt_val *v,
		      char *scratch)
{
	size_t n = strlen(s);
	const char *c = f->choices;

	if (n == 0 || n > 32)
		return -1;
	for (size_t i = 0; i <= n; i++)
		scratch[i] = (char)tolower((unsigned char)s[i]);
	while (*c) {
		size_t k = strcspn(c, "|");

		if (k == n && memcmp(c, scratch, n) == 0) {
			v->t = KT_V_STR;
			v->s = c; /* the table's own spelling, which outlives us */
			v->n = (uint32_t)n;
			return 0;
		}
		c += k + (c[k] == '|');
	}
	return -1;
}

/*
 * Whether text is a number a spreadsheet wrote in scientific notation
 * ("7,91235E+10", "7.9E10"): its last digits are lost, so it is no phone.
 */
static int rounded_by_spreadsheet(const char *t)
{
	const char *p = t + strspn(t, " ");

	if (!isdigit((unsigned char)*p))
		return 0;
	p += strspn(p, "0123456789");
	if (*p == '.' || *p == ',')
		p += 1 + strspn(p + 1, "0123456789");
	if (*p != 'e' && *p != 'E')
		return 0;
	p++;
	if (*p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	p += strspn(p, "0123456789");
	return p[strspn(p, " ")] == '\0';
}

/*
 * A phone as typed is kept as typed (and normalised where it is written:
 * store/write.c), but it must have the digits of a phone: the fewest
 * any number has is KT_PHONE_DIGITS_MIN (five-digit subscriber numbers of
 * small towns and islands; the four-digit ones of Niue and Tokelau are
 * written with their country code).  Digits of any script count
 * (kt_text_phone_ascii).
 */
static int parse_phone(const struct kt_field *f, const char *text, struct kt_val *v,
		       struct kt_err *err)
{
	char ascii[KT_VALUE_BYTES_MAX + 1];
	size_t digits = 0;

	kt_text_phone_ascii(text, strlen(text), ascii, sizeof(ascii));
	if (rounded_by_spreadsheet(ascii))
		return kt_err_set(err, KT_EINVAL, "phone '%s' is a number a spreadsheet rounded "
				  "(its last digits are lost): type the number in full", text);
	kt_text_phone_number(ascii, ascii, sizeof(ascii)); /* its extension aside */
	for (const char *p = ascii; *p; p++)
		digits += isdigit((unsigned char)*p) != 0;
	if (digits > KT_PHONE_DIGITS_MAX)
		return kt_err_set(err, KT_EINVAL, "phone '%s' has %zu digits, more than a phone "
				  "has even dialled from abroad (at most %d; an extension goes "
				  "after 'ext.')", text, digits, KT_PHONE_DIGITS_MAX);
	if (digits == 0)
		return kt_err_set(err, KT_EINVAL, "phone '%s' has no digits", text);
	if (digits < KT_PHONE_DIGITS_MIN)
		return kt_err_set(err, KT_EINVAL, "phone '%s' has %zu digit%s, too few for a "
				  "phone anywhere (at least %d)", text, digits,
				  digits == 1 ? "" : "s", KT_PHONE_DIGITS_MIN);
	(void)f;
	v->t = KT_V_STR;
	v->s = text;
	v->n = (uint32_t)strlen(text);
	return 0;
}

static int parse_typed(const struct kt_field *f, const char *text, struct kt_val *v,
		       char *scratch, struct kt_err *err)
{
	struct kt_id id;
	int32_t days;

	switch (f->vtype) {
	case KT_VT_DATE:
		if (kt_date_parse(text, &days) != 0)
			return kt_err_set(err, KT_EINVAL, "bad date '%s' for '%s' "
					  "(want YYYY-MM-DD)", text, f->name);
		break;
	case KT_VT_INT:
		v->t = KT_V_INT;
		if (parse_int(text, &v->i) != 0 ||
		    (f->min != f->max && (v->i < f->min || v->i > f->max)))
			return f->min != f->max
				? kt_err_set(err, KT_EINVAL, "'%s' wants a whole number from "
					     "%lld to %lld, not '%s'", f->name,
					     (long long)f->min, (long long)f->max, text)
				: kt_err_set(err, KT_EINVAL, "'%s' wants a whole number, "
					     "not '%s'", f->name, text);
		if (f->rtype == KT_T_POINTS && f->num == 1 && v->i == 0)
			return kt_err_set(err, KT_EINVAL, "a points entry of 0 changes nothing "
					  "('delta' wants a whole number from %lld to %lld other "
					  "than 0)", (long long)f->min, (long long)f->max);
		return 0;
	case KT_VT_MONEY:
		v->t = KT_V_INT;
		if (parse_money(text, &v->i) != 0)
			return kt_err_set(err, KT_EINVAL, "'%s' wants an amount like 1500 "
					  "or 1500.50, not '%s'", f->name, text);
		if (f->min != f->max && (v->i < f->min || v->i > f->max))
			return kt_err_set(err, KT_EINVAL, "'%s' wants an amount from %lld.%02lld "
					  "to %lld.%02lld, not '%s'", f->name,
					  (long long)(f->min / 100), (long long)(f->min % 100),
					  (long long)(f->max / 100), (long long)(f->max % 100), text);
		return 0;
	case KT_VT_BOOL:
		v->t = KT_V_BOOL;
		if (parse_bool(text, &v->i) != 0)
			return kt_err_set(err, KT_EINVAL, "'%s' wants yes or no, not '%s'",
					  f->name, text);
		return 0;
	case KT_VT_ENUM:
		if (parse_enum(f, text, v, scratch) != 0)
			return kt_err_set(err, KT_EINVAL, "'%s' wants one of %s, not '%s'",
					  f->name, f->choices, text);
		return 0;
	case KT_VT_ID:
		if (kt_id_parse(&id, text) != 0)
			return kt_err_set(err, KT_EINVAL, "bad id '%s' for '%s'", text, f->name);
		break;
	case KT_VT_PHONE:
		return parse_phone(f, text, v, err);
	case KT_VT_E164:
		if (text[0] != '+' || strlen(text) < 8 || strlen(text) > 16 ||
		    strspn(text + 1, "0123456789") != strlen(text) - 1 || text[1] == '0')
			return kt_err_set(err, KT_EINVAL, "'%s' wants a number in E.164 form "
					  "(+ and 7 to 15 digits), not '%s'", f->name, text);
		break;
	case KT_VT_EMAIL: {
		const char *at = strchr(text, '@');

		if (strncasecmp(text, "mailto:", 7) == 0)
			return kt_err_set(err, KT_EINVAL, "email '%s' is a link: write the address "
					  "alone (%s)", text, text + 7);
		if (at == NULL || at != strrchr(text, '@') || at == text ||
		    strpbrk(text, " \t\r\n<>") != NULL || at[1] == '.' || at[1] == '\0' ||
		    text[strlen(text) - 1] == '.' || strstr(at, "..") != NULL)
			return kt_err_set(err, KT_EINVAL, "bad email '%s' (want name@domain, as "
					  "anna@example.ru)", text);
		break;
	}
	default:
		break;
	}
	v->t = KT_V_STR;
	v->s = text;
	v->n = (uint32_t)strlen(text);
	return 0;
}

/*
 * Whether field f holds free text of several lines (notes, a staff alert,
 * feedback): there a line break or tab is text; everywhere else a value is
 * one line (a name, a service, a reason), and a list value's line breaks
 * separate its entries (common/list.h).
 */
static int multiline(const struct kt_field *f)
{
	static const char *const names[] = { "notes", "health_notes", "staff_alert", "result",
					     "text", "resolution", "goal", "procedures" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(f->name, names[i]) == 0)
			return 1;
	return 0;
}

/* The first control character of text that f does not allow (NUL ends text), or 0. */
static int bad_control(const struct kt_field *f, const char *text)
{
	int lines = multiline(f) || f->merge == KT_M_SET;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			if (!lines)
				return *p == '\t' ? '\t' : '\n';
		} else if (*p == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			if (!lines)
				return '\n'; /* U+2028, U+2029: line and paragraph separators */
		} else if (*p < 0x20 || *p == 0x7f) {
			return *p;
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			return 0x80; /* a C1 control, U+0080..U+009F */
		} else if (*p == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
					  (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9))) {
			/*
			 * U+202A..U+202E and U+2066..U+2069: direction embeddings,
			 * overrides and isolates, which reorder what a terminal or a
			 * page shows after them.  The marks LRM and RLM stay: a name
			 * in Hebrew or Arabic may need them.
			 */
			return 0x202e;
		}
	}
	return 0;
}

int kt_schema_parse(const struct kt_field *f, const char *text, struct kt_val *v,
		    char *scratch, struct kt_err *err)
{
	size_t n = strlen(text);
	int c;

	memset(v, 0, sizeof(*v));
	if (n > KT_VALUE_BYTES_MAX)
		return kt_err_set(err, KT_ETOOBIG, "value for '%s' is %zu bytes, over the "
				  "limit of %d", f->name, n, KT_VALUE_BYTES_MAX);
	if (!kt_text_valid(text, n))
		return kt_err_set(err, KT_EINVAL, "value for '%s' is not valid UTF-8", f->name);
	if ((c = bad_control(f, text)) != 0)
		return kt_err_set(err, KT_EINVAL, "value for '%s' holds %s", f->name,
				  c == '\n' ? "a line break (it is one line)" :
				  c == '\t' ? "a tab (it is one line of text)" :
				  c == 0x202e ? "a text direction override (U+202A-U+202E, U+2066-U+2069), "
				  "which would reorder what is shown after it" : "a control character");
	if (f->rtype == KT_T_CLIENT && f->num == 1 && !kt_text_says_something(text))
		return kt_err_set(err, KT_EINVAL, "a client's name needs a letter or a digit%s",
				  n == 0 ? "" : ", not only blanks or signs");
	if (n == 0) {
		if (f->merge == KT_M_SET)
			return kt_err_set(err, KT_EINVAL, "empty value for '%s'", f->name);
		v->t = KT_V_NIL;
		return 0;
	}
	return parse_typed(f, text, v, scratch, err);
}

size_t kt_schema_format(const struct kt_field *f, const struct kt_val *v, char *out,
			size_t cap)
{
	int n = 0;

	if (cap == 0)
		return 0;
	switch (v->t) {
	case KT_V_NIL:
		out[0] = '\0';
		return 0;
	case KT_V_BOOL:
		n = snprintf(out, cap, "%s", v->i ? "yes" : "no");
		break;
	case KT_V_INT:
		if (f != NULL && f->vtype == KT_VT_MONEY)
			n = snprintf(out, cap, "%s%lld.%02lld", v->i < 0 ? "-" : "",
				     (long long)(v->i < 0 ? -(v->i / 100) : v->i / 100),
				     (long long)(v->i < 0 ? -(v->i % 100) : v->i % 100));
		else
			n = snprintf(out, cap, "%lld", (long long)v->i);
		break;
	case KT_V_STR:
		n = snprintf(out, cap, "%.*s", (int)v->n, v->s);
		break;
	case KT_V_BIN:
		n = 0;
		for (uint32_t i = 0; i < v->n && (size_t)n + 3 <= cap; i++)
			n += snprintf(out + n, cap - (size_t)n, "%02x", (uint8_t)v->s[i]);
		break;
	}
	if (n < 0)
		n = 0;
	return (size_t)n >= cap ? cap - 1 : (size_t)n;
}
