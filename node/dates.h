/*
 * dates.h - dates as a branch's staff write them, and which days a date
 * field may hold.
 *
 * Stored dates are ISO, YYYY-MM-DD (kt_date_parse() of proto/schema.h reads
 * only that, and stays so).  What people type is turned into ISO here
 * before it becomes a field: ISO itself at every branch, plus the one form
 * of the branch's country that cannot be misread (kt_dates_form()):
 *   KT_DATES_DMY  D.M.YYYY, day and month of one or two digits
 *                 (30.11.2026, 1.2.2026): Russia, Moldova, Romania, ...
 *   KT_DATES_YMD  YYYY/M/D and YYYY年M月D日 (2026/11/30, 2026年11月30日):
 *                 China, Taiwan, Hong Kong, Macau, Japan
 *   KT_DATES_ISO  nothing else
 * A year of two digits (30.11.26) is refused, and so is a slash form with
 * the year last (30/11/2026, 11/30/2026: day/month or month/day?), each
 * with a message naming the forms the branch reads.
 *
 * Which days a field may hold is the schema's column enum kt_when;
 * kt_dates_check() applies it against the branch's today.
 */
#ifndef KT_DATES_H
#define KT_DATES_H

#include <stdint.h>
#include "err.h"
#include "proto/schema.h"

enum kt_dates_form {
	KT_DATES_ISO = 0,
	KT_DATES_DMY,
	KT_DATES_YMD,
};

/* The form a branch in country cc (ISO 3166 code, any case) writes besides ISO. */
enum kt_dates_form kt_dates_form(const char *cc);

/* The forms a branch reads, for messages: "DD.MM.YYYY or YYYY-MM-DD". */
const char *kt_dates_wanted(enum kt_dates_form form);

/*
 * Turns typed (a date as typed for field name: blanks of any kind around
 * it ignored, digits of any script read as 0-9 and the full-width ．／－ as
 * . / -, so ２０２６年１１月３０日 is 2026年11月30日) into ISO in iso.  0, or KT_EINVAL with err naming the value, the field
 * and the forms wanted.  The result is a real calendar day in the range
 * kt_date_parse() reads.
 */
int kt_dates_read(enum kt_dates_form form, const char *name, const char *typed, char iso[11],
		  struct kt_err *err);

/*
 * Whether day (days since 1970-01-01) may be the value of date field f at a
 * branch whose today is today (enum kt_when): future is 1 when the user
 * said the day is ahead on purpose (--future).  0, or KT_EINVAL with err
 * saying why and what to do.
 */
int kt_dates_check(const struct kt_field *f, int32_t day, int32_t today, int future,
		   struct kt_err *err);

/*
 * Whether someone born on month m (1-12), day d has her birthday on day:
 * the same month and day, or, for 29 February, 28 February of a year that
 * has no 29th (one rule for `birthdays`, the report's week and reminders).
 */
int kt_dates_birthday_on(int m, int d, int32_t day);

#endif
