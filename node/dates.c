/* dates.c - typed dates to ISO, and the days a date field may hold (see dates.h). */
#include "dates.h"
#include "proto/limits.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/*
 * Countries whose staff write day.month.year with dots (and never
 * month.day): Russia and its neighbours, Moldova and Romania, most of
 * central and northern Europe, Turkey.  Year first with slashes or 年月日:
 * China, Taiwan, Hong Kong, Macau, Japan.  Everyone else: ISO only, since
 * their own form (11/30/2026, 30/11/2026) cannot be told apart.
 */
static const char dmy[] = "RU MD RO UA BY KZ KG UZ TJ TM AM AZ GE DE AT CH LI PL CZ SK "
			  "BG RS HR SI BA ME MK AL EE LV FI NO DK IS TR";
static const char ymd[] = "CN TW HK MO JP";

static int listed(const char *list, const char *cc)
{
	if (strlen(cc) != 2)
		return 0;
	for (const char *p = list; *p; p += p[2] ? 3 : 2)
		if (strncasecmp(p, cc, 2) == 0)
			return 1;
	return 0;
}

enum kt_dates_form kt_dates_form(const char *cc)
{
	if (listed(dmy, cc))
		return KT_DATES_DMY;
	if (listed(ymd, cc))
		return KT_DATES_YMD;
	return KT_DATES_ISO;
}

const char *kt_dates_wanted(enum kt_dates_form form)
{
	switch (form) {
	case KT_DATES_DMY:
		return "DD.MM.YYYY or YYYY-MM-DD";
	case KT_DATES_YMD:
		return "YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日";
	default:
		return "YYYY-MM-DD";
	}
}

/* ---- reading ---- */

/* What a typed date is made of: up to three runs of digits and what follows each. */
struct parts {
	int n;          /* runs of digits */
	int v[3], w[3]; /* value and width (digits) of each run */
	char sep[3];    /* after each run: '-', '.', '/', 'Y' (年), 'M' (月), 'D' (日), 0 */
};

/* The separator at *s (advancing *s past it), or 0 when none we know. */
static char separator(const char **s)
{
	static const struct { const char *utf8; char code; } cjk[] = {
		{ "\xe5\xb9\xb4", 'Y' }, { "\xe6\x9c\x88", 'M' }, { "\xe6\x97\xa5", 'D' },
	};

	if (**s == '-' || **s == '.' || **s == '/')
		return *(*s)++;
	for (size_t i = 0; i < 3; i++)
		if (strncmp(*s, cjk[i].utf8, 3) == 0) {
			*s += 3;
			return cjk[i].code;
		}
	return 0;
}

/* Splits s[0..len) into p; -1 when it is not digits and separators. */
static int split(const char *s, size_t len, struct parts *p)
{
	const char *end = s + len;

	memset(p, 0, sizeof(*p));
	while (s < end) {
		if (p->n == 3 || *s < '0' || *s > '9')
			return -1;
		for (; s < end && *s >= '0' && *s <= '9'; s++) {
			if (++p->w[p->n] > 4)
				return -1;
			p->v[p->n] = p->v[p->n] * 10 + (*s - '0');
		}
		if (s < end && (p->sep[p->n] = separator(&s)) == 0)
			return -1;
		p->n++;
	}
	return p->n == 3 ? 0 : -1;
}

static int small(int w)
{
	return w == 1 || w == 2;
}

/* What the parts say: 0 with y, m, d; 1 a two-digit year; 2 ambiguous; -1 not a form read here. */
static int classify(enum kt_dates_form form, const struct parts *p, int *y, int *m, int *d)
{
	const char *s = p->sep;

	if (s[0] == '-' && s[1] == '-' && s[2] == 0 && p->w[0] == 4 && small(p->w[1]) &&
	    small(p->w[2]))
		return *y = p->v[0], *m = p->v[1], *d = p->v[2], 0;
	if (s[0] == '.' && s[1] == '.' && s[2] == 0 && small(p->w[0]) && small(p->w[1])) {
		if (p->w[2] == 2)
			return 1;
		if (p->w[2] == 4 && form == KT_DATES_DMY)
			return *d = p->v[0], *m = p->v[1], *y = p->v[2], 0;
		return -1;
	}
	if (s[0] == '/' && s[1] == '/' && s[2] == 0) {
		if (small(p->w[0]) && small(p->w[1]) && (p->w[2] == 4 || p->w[2] == 2))
			return 2;
		if (p->w[0] == 4 && small(p->w[1]) && small(p->w[2]) && form == KT_DATES_YMD)
			return *y = p->v[0], *m = p->v[1], *d = p->v[2], 0;
		return -1;
	}
	if (s[0] == 'Y' && s[1] == 'M' && s[2] == 'D' && small(p->w[1]) && small(p->w[2])) {
		if (p->w[0] == 2)
			return 1;
		if (p->w[0] == 4 && form == KT_DATES_YMD)
			return *y = p->v[0], *m = p->v[1], *d = p->v[2], 0;
		return -1;
	}
	if (s[0] == '-' && s[1] == '-' && s[2] == 0 && (p->w[0] == 2 || p->w[2] == 2) &&
	    p->w[0] != 4 && p->w[2] != 4)
		return 1; /* 26-11-30 or 30-11-26 */
	return -1;
}

/* The value of decimal digit c (category Nd): digits come in runs of ten, 0 to 9. */
static int digit_value(utf8proc_int32_t c)
{
	int k = 0;

	while (k < 64 && utf8proc_category(c - k - 1) == UTF8PROC_CATEGORY_ND)
		k++;
	return k % 10;
}

/* Whether c is a blank of any kind: a space (no-break, ideographic...), a control, a zero-width one. */
static int blank(utf8proc_int32_t c)
{
	utf8proc_category_t k = utf8proc_category(c);

	return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_CC || c == 0x200b ||
	       c == 0x2060 || c == 0xfeff;
}

/*
 * typed as the forms are read: digits of any script (full-width ２０２６,
 * Arabic-Indic, Devanagari) as 0-9, the full-width ．／－ as . / -, blanks
 * of any kind at either end dropped; the rest (年月日) as it is.  Into
 * out[0..cap); returns the length, or cap when it does not fit or typed is
 * not UTF-8 (no date is that long).
 */
static size_t plain(const char *typed, char *out, size_t cap)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)typed;
	size_t o = 0, kept = 0; /* kept: the length up to the last character that is no blank */

	while (*p) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &c);

		if (k <= 0)
			return cap;
		if (blank(c) && kept == 0 && o == 0) {
			p += k; /* a blank before the date */
			continue;
		}
		if (c >= 0x80 && utf8proc_category(c) == UTF8PROC_CATEGORY_ND)
			c = '0' + digit_value(c);
		else if (c == 0xff0e || c == 0xff0f || c == 0xff0d)
			c = c - 0xff0e + '.'; /* U+FF0D..FF0F are the full-width - . / */
		if (c < 0x80) {
			if (o + 1 >= cap)
				return cap;
			out[o++] = (char)c;
		} else {
			if (o + (size_t)k >= cap)
				return cap;
			memcpy(out + o, p, (size_t)k);
			o += (size_t)k;
		}
		if (!blank(c))
			kept = o;
		p += k;
	}
	out[kept] = '\0';
	return kept;
}

int kt_dates_read(enum kt_dates_form form, const char *name, const char *typed, char iso[11],
		  struct kt_err *err)
{
	char buf[64];
	size_t len = plain(typed, buf, sizeof(buf));
	struct parts p;
	int32_t day;
	int y = 0, m = 0, d = 0, k;

	k = len < sizeof(buf) && split(buf, len, &p) == 0 ? classify(form, &p, &y, &m, &d) : -1;
	if (k == 1)
		return kt_err_set(err, KT_EINVAL, "date '%s' for '%s': write the year in full: %s",
				  typed, name, kt_dates_wanted(form));
	if (k == 2)
		return kt_err_set(err, KT_EINVAL, "date '%s' for '%s' is ambiguous (day/month or "
				  "month/day?): write %s", typed, name, kt_dates_wanted(form));
	if (k != 0)
		return kt_err_set(err, KT_EINVAL, "bad date '%s' for '%s' (want %s)", typed, name,
				  kt_dates_wanted(form));
	snprintf(iso, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
	if (y < 1900 || y > 2200)
		return kt_err_set(err, KT_EINVAL, "bad date '%s' for '%s' (want a year from 1900 "
				  "to 2200)", typed, name);
	if (kt_date_parse(iso, &day) != 0)
		return kt_err_set(err, KT_EINVAL, "bad date '%s' for '%s': the calendar has no "
				  "such day", typed, name);
	return 0;
}

/* ---- which days ---- */

/* Whole years from day born to day on (an age). */
static int years_between(int32_t born, int32_t on)
{
	int by, bm, bd, y, m, d;

	kt_date_ymd(born, &by, &bm, &bd);
	kt_date_ymd(on, &y, &m, &d);
	return y - by - (m < bm || (m == bm && d < bd));
}

int kt_dates_check(const struct kt_field *f, int32_t day, int32_t today, int future,
		   struct kt_err *err)
{
	char when[11], now[11];

	kt_date_format(day, when);
	kt_date_format(today, now);
	switch (f->when) {
	case KT_WHEN_BORN:
		if (day > today)
			return kt_err_set(err, KT_EINVAL, "%s %s is after today (%s)", f->name, when,
					  now);
		if (years_between(day, today) > KT_AGE_YEARS_MAX)
			return kt_err_set(err, KT_EINVAL, "%s %s makes her older than %d years "
					  "(today is %s)", f->name, when, KT_AGE_YEARS_MAX, now);
		return 0;
	case KT_WHEN_DONE:
		if (day > today + KT_DATE_AHEAD_DAYS_MAX)
			return kt_err_set(err, KT_EINVAL, "%s %s %s is more than %d days after today "
					  "(%s)", kt_schema_type_name(f->rtype), f->name, when,
					  KT_DATE_AHEAD_DAYS_MAX, now);
		if (day > today && !future)
			return kt_err_set(err, KT_EINVAL, "%s %s %s is after today (%s); to record "
					  "it ahead on purpose, add --future",
					  kt_schema_type_name(f->rtype), f->name, when, now);
		return 0;
	default:
		return 0;
	}
}

int kt_dates_birthday_on(int m, int d, int32_t day)
{
	int y, dm, dd, ny, nm, nd;

	kt_date_ymd(day, &y, &dm, &dd);
	if (dm == m && dd == d)
		return 1;
	kt_date_ymd(day + 1, &ny, &nm, &nd);
	return m == 2 && d == 29 && dm == 2 && dd == 28 && nm == 3; /* no 29th this year */
}
