/* test_dates.c - typed dates to ISO, the days a field may hold, local days (dates.h, when.h). */
#include "t.h"
#include "dates.h"
#include "when.h"
#include "proto/limits.h"

#include <stdlib.h>
#include <time.h>

/* kt_dates_read() of typed in form: the ISO text, or "!" + the message. */
static const char *read_as(enum kt_dates_form form, const char *typed)
{
	static char out[KT_ERR_MSG_BYTES + 1];
	struct kt_err err = { 0 };
	char iso[11];

	if (kt_dates_read(form, "date", typed, iso, &err) != 0)
		snprintf(out, sizeof(out), "!%s", err.msg);
	else
		snprintf(out, sizeof(out), "%s", iso);
	return out;
}

static int32_t day_of(const char *iso)
{
	int32_t d = 0;

	kt_date_parse(iso, &d);
	return d;
}

static void test_country_gives_the_form(void)
{
	T_EQ_INT(kt_dates_form("RU"), KT_DATES_DMY);
	T_EQ_INT(kt_dates_form("md"), KT_DATES_DMY);
	T_EQ_INT(kt_dates_form("RO"), KT_DATES_DMY);
	T_EQ_INT(kt_dates_form("TR"), KT_DATES_DMY); /* the last of the list */
	T_EQ_INT(kt_dates_form("CN"), KT_DATES_YMD);
	T_EQ_INT(kt_dates_form("JP"), KT_DATES_YMD);
	T_EQ_INT(kt_dates_form("US"), KT_DATES_ISO);
	T_EQ_INT(kt_dates_form("GB"), KT_DATES_ISO);
	T_EQ_INT(kt_dates_form(""), KT_DATES_ISO);
	T_EQ_INT(kt_dates_form("RUS"), KT_DATES_ISO);
}

static void test_iso_is_read_everywhere(void)
{
	T_EQ_STR(read_as(KT_DATES_ISO, "2026-11-30"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_DMY, "2026-11-30"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_YMD, "2026-11-30"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_DMY, " 2026-1-5 "), "2026-01-05");
	T_EQ_STR(read_as(KT_DATES_ISO, "2026-02-29"),
		 "!bad date '2026-02-29' for 'date': the calendar has no such day");
	T_EQ_STR(read_as(KT_DATES_ISO, "1899-12-31"),
		 "!bad date '1899-12-31' for 'date' (want a year from 1900 to 2200)");
}

static void test_dots_in_ru_and_ro(void)
{
	T_EQ_STR(read_as(KT_DATES_DMY, "30.11.2026"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_DMY, "1.2.2026"), "2026-02-01");
	T_EQ_STR(read_as(KT_DATES_DMY, "29.02.2028"), "2028-02-29");
	T_EQ_STR(read_as(KT_DATES_DMY, "29.02.2027"),
		 "!bad date '29.02.2027' for 'date': the calendar has no such day");
	T_EQ_STR(read_as(KT_DATES_DMY, "31.11.2026")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_DMY, "30.11.26"),
		 "!date '30.11.26' for 'date': write the year in full: DD.MM.YYYY or YYYY-MM-DD");
	T_EQ_STR(read_as(KT_DATES_DMY, "30/11/2026"),
		 "!date '30/11/2026' for 'date' is ambiguous (day/month or month/day?): write "
		 "DD.MM.YYYY or YYYY-MM-DD");
	T_EQ_STR(read_as(KT_DATES_DMY, "11/30/2026")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_DMY, "2026/11/30"),
		 "!bad date '2026/11/30' for 'date' (want DD.MM.YYYY or YYYY-MM-DD)");
	T_EQ_STR(read_as(KT_DATES_DMY, "2026.11.30")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_DMY, "30.11.02026")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_DMY, "30.11.2026."), "!bad date '30.11.2026.' for 'date' "
		 "(want DD.MM.YYYY or YYYY-MM-DD)");
	T_EQ_STR(read_as(KT_DATES_DMY, "26-11-30"),
		 "!date '26-11-30' for 'date': write the year in full: DD.MM.YYYY or YYYY-MM-DD");
	T_EQ_STR(read_as(KT_DATES_DMY, "")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_DMY, "завтра")[0] == '!' ? "!" : "", "!");
}

static void test_year_first_in_zh(void)
{
	T_EQ_STR(read_as(KT_DATES_YMD, "2026/11/30"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_YMD, "2026/1/2"), "2026-01-02");
	T_EQ_STR(read_as(KT_DATES_YMD, "2026年11月30日"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_YMD, "2026年1月2日"), "2026-01-02");
	T_EQ_STR(read_as(KT_DATES_YMD, "26年11月30日"), "!date '26年11月30日' for 'date': write "
		 "the year in full: YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日");
	T_EQ_STR(read_as(KT_DATES_YMD, "2026年11月30")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_YMD, "30.11.2026"), "!bad date '30.11.2026' for 'date' "
		 "(want YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日)");
	T_EQ_STR(read_as(KT_DATES_YMD, "11/30/2026")[0] == '!' ? "!" : "", "!");
	/* ISO only elsewhere. */
	T_EQ_STR(read_as(KT_DATES_ISO, "30.11.2026"),
		 "!bad date '30.11.2026' for 'date' (want YYYY-MM-DD)");
	T_EQ_STR(read_as(KT_DATES_ISO, "2026/11/30"),
		 "!bad date '2026/11/30' for 'date' (want YYYY-MM-DD)");
	T_EQ_STR(read_as(KT_DATES_ISO, "11/30/2026"), "!date '11/30/2026' for 'date' is "
		 "ambiguous (day/month or month/day?): write YYYY-MM-DD");
}

/* Digits of any script and full-width punctuation, as a Chinese or Japanese keyboard types them. */
static void test_full_width_and_other_digits(void)
{
	T_EQ_STR(read_as(KT_DATES_YMD, "２０２６年１１月３０日"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_YMD, "２０２６／１１／３０"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_YMD, "２０２６－１１－３０"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_DMY, "３０.１１.２０２６"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_DMY, "３０．１１．２０２６"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_ISO, "\u0662\u0660\u0662\u0666-\u0661\u0661-\u0663\u0660"),
		 "2026-11-30"); /* Arabic-Indic */
	T_EQ_STR(read_as(KT_DATES_DMY, "\u0969\u0966.11.2026"), "2026-11-30"); /* Devanagari */
	/* Blanks of any kind around it: ideographic, no-break, a BOM, a zero-width space. */
	T_EQ_STR(read_as(KT_DATES_YMD, "\u3000２０２６年１１月３０日\u3000"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_DMY, "\u00a030.11.2026\u202f\t"), "2026-11-30");
	T_EQ_STR(read_as(KT_DATES_DMY, "\ufeff\u200b30.11.2026"), "2026-11-30");
	/* What they were is still what is refused, and the message quotes it as typed. */
	T_EQ_STR(read_as(KT_DATES_DMY, "３０.１１.２６"),
		 "!date '３０.１１.２６' for 'date': write the year in full: DD.MM.YYYY or "
		 "YYYY-MM-DD");
	T_EQ_STR(read_as(KT_DATES_DMY, "３０／１１／２０２６")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_DMY, "30.\u300011.2026")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_ISO, "２０２６年１１月３０日")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_DMY, "\u3000")[0] == '!' ? "!" : "", "!");
	T_EQ_STR(read_as(KT_DATES_DMY, "\xff" "30.11.2026")[0] == '!' ? "!" : "", "!");
}

static void test_which_days_a_field_holds(void)
{
	const struct kt_field *born = kt_schema_field_named(KT_T_CLIENT, "birthday");
	const struct kt_field *visit = kt_schema_field_named(KT_T_VISIT, "date");
	const struct kt_field *plan = kt_schema_field_named(KT_T_PLAN, "start");
	int32_t today = day_of("2026-11-25");
	struct kt_err err = { 0 };

	T_EQ_INT(kt_dates_check(born, today, today, 0, &err), 0);
	T_EQ_INT(kt_dates_check(born, today + 1, today, 0, &err), KT_EINVAL);
	T_EQ_STR(err.msg, "birthday 2026-11-26 is after today (2026-11-25)");
	T_EQ_INT(kt_dates_check(born, today + 1, today, 1, &err), KT_EINVAL); /* never ahead */
	/* kt_date_parse() reads no year before 1900: the age bites from 2031. */
	T_EQ_INT(kt_dates_check(born, day_of("1909-06-02"), day_of("2040-06-01"), 0, &err), 0);
	T_EQ_INT(kt_dates_check(born, day_of("1909-06-01"), day_of("2040-06-01"), 0, &err),
		 KT_EINVAL); /* 131 today */
	T_EQ_STR(err.msg, "birthday 1909-06-01 makes her older than 130 years (today is "
		 "2040-06-01)");
	T_EQ_INT(kt_dates_check(visit, today, today, 0, &err), 0);
	T_EQ_INT(kt_dates_check(visit, today - 5000, today, 0, &err), 0);
	T_EQ_INT(kt_dates_check(visit, today + 1, today, 0, &err), KT_EINVAL);
	T_EQ_STR(err.msg, "visit date 2026-11-26 is after today (2026-11-25); to record it ahead "
		 "on purpose, add --future");
	T_EQ_INT(kt_dates_check(visit, today + 1, today, 1, &err), 0);
	T_EQ_INT(kt_dates_check(visit, today + KT_DATE_AHEAD_DAYS_MAX, today, 1, &err), 0);
	T_EQ_INT(kt_dates_check(visit, today + KT_DATE_AHEAD_DAYS_MAX + 1, today, 1, &err),
		 KT_EINVAL);
	T_EQ_INT(kt_dates_check(visit, day_of("2062-11-20"), today, 1, &err), KT_EINVAL);
	T_EQ_INT(kt_dates_check(plan, day_of("2062-11-20"), today, 0, &err), 0);
}

static void test_birthday_of_29_february(void)
{
	T_EQ_INT(kt_dates_birthday_on(11, 25, day_of("2026-11-25")), 1);
	T_EQ_INT(kt_dates_birthday_on(11, 25, day_of("2026-11-26")), 0);
	T_EQ_INT(kt_dates_birthday_on(2, 29, day_of("2027-02-28")), 1); /* no 29th in 2027 */
	T_EQ_INT(kt_dates_birthday_on(2, 29, day_of("2027-03-01")), 0);
	T_EQ_INT(kt_dates_birthday_on(2, 29, day_of("2028-02-28")), 0); /* 2028 has one */
	T_EQ_INT(kt_dates_birthday_on(2, 29, day_of("2028-02-29")), 1);
	T_EQ_INT(kt_dates_birthday_on(2, 28, day_of("2027-02-28")), 1);
	T_EQ_INT(kt_dates_birthday_on(2, 29, day_of("2100-02-28")), 1); /* 2100 is not leap */
}

static void test_local_day_and_time(void)
{
	struct kt_err err = { 0 };
	char text[64];
	int64_t t = 1795566600; /* 2026-11-25 00:30:00 UTC */

	T_EQ_INT(kt_when_zone_use("UTC", &err), 0);
	T_EQ_INT(kt_when_day(t), day_of("2026-11-25"));
	T_EQ_INT(kt_when_day(t - 3600), day_of("2026-11-24"));
	kt_when_text(t, text, sizeof(text));
	T_EQ_STR(text, "2026-11-25 00:30:00 UTC");
	T_EQ_INT(kt_when_zone_use("Asia/Vladivostok", &err), 0);
	T_EQ_INT(kt_when_day(t - 3600), day_of("2026-11-25")); /* 08:30 there */
	T_EQ_INT(kt_when_day(t + 14 * 3600), day_of("2026-11-26")); /* 00:30 next day */
	kt_when_text(t, text, sizeof(text));
	T_EQ_STR(text, "2026-11-25 10:30:00 UTC+10:00");
	T_EQ_INT(kt_when_zone_use("Europe/Moscow", &err), 0);
	kt_when_text(t, text, sizeof(text));
	T_EQ_STR(text, "2026-11-25 03:30:00 MSK (UTC+03:00)");
	T_EQ_INT(kt_when_zone_use("America/New_York", &err), 0);
	T_EQ_INT(kt_when_day(t), day_of("2026-11-24")); /* 19:30 the evening before */
	T_EQ_INT(kt_when_day(-1), -1);
	T_EQ_INT(kt_when_zone_check("Asia/Nowhere", &err), KT_EINVAL);
	T_EQ_INT(kt_when_zone_check("../../etc/passwd", &err), KT_EINVAL);
	T_EQ_INT(kt_when_zone_check("/etc/localtime", &err), KT_EINVAL);
	T_EQ_INT(kt_when_zone_check("Asia", &err), KT_EINVAL); /* a folder */
	T_EQ_INT(kt_when_zone_check("", &err), KT_EINVAL);
	T_EQ_INT(kt_when_zone_use("Asia/Nowhere", &err), KT_EINVAL);
	T_EQ_INT(kt_when_day(t), day_of("2026-11-24")); /* unchanged: still New York */
	T_EQ_INT(kt_when_zone_use("", &err), 0);
}

int main(void)
{
	T_RUN(test_country_gives_the_form);
	T_RUN(test_iso_is_read_everywhere);
	T_RUN(test_dots_in_ru_and_ro);
	T_RUN(test_year_first_in_zh);
	T_RUN(test_full_width_and_other_digits);
	T_RUN(test_which_days_a_field_holds);
	T_RUN(test_birthday_of_29_february);
	T_RUN(test_local_day_and_time);
	T_DONE();
}
