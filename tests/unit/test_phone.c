/* test_phone.c - phone numbers to E.164 under a default country. */
#include "t.h"
#include "phone.h"

static void e164(const char *in, const char *region, const char *want)
{
	char out[KT_PHONE_BYTES];

	T_EQ_INT(kt_phone_e164(in, region, out), 0);
	T_EQ_STR(out, want);
}

static void e164_fails(const char *in, const char *region)
{
	char out[KT_PHONE_BYTES];

	memcpy(out, "junk", 5);
	T_EQ_INT(kt_phone_e164(in, region, out), -1);
	T_EQ_STR(out, "");
}

static void test_russian_numbers_in_any_form(void)
{
	e164("+7 (912) 345-67-89", "RU", "+79123456789");
	e164("8 912 345 67 89", "RU", "+79123456789");
	e164("8 (912) 345-67-89", "RU", "+79123456789");
	e164("9123456789", "RU", "+79123456789");
}

static void test_romanian_numbers(void)
{
	e164("0721 234 567", "RO", "+40721234567");
	e164("+40 721 234 567", "RO", "+40721234567");
	e164("+40 721 234 567", "RU", "+40721234567"); /* an international form anywhere */
}

static void test_chinese_mobile(void)
{
	e164("138 1234 5678", "CN", "+8613812345678");
}

static void test_unparseable_numbers_fail(void)
{
	e164_fails("abc", "RU");
	e164_fails("", "RU");
	e164_fails("+", "RU");
	e164_fails("12", "RU");                  /* too short to be possible */
	e164_fails("8 912 345 67 89\xff", "RU"); /* not UTF-8 */
	e164_fails(NULL, "RU");
	e164_fails("8 912 345 67 89", NULL);
}

/* KT_PHONE_TEXT_MAX bytes parse; one more is refused before parsing. */
static void test_text_length_limit(void)
{
	char text[KT_PHONE_TEXT_MAX + 2];

	memset(text, ' ', sizeof(text));
	memcpy(text, "+79123456789", 12);
	text[KT_PHONE_TEXT_MAX] = '\0';
	e164(text, "RU", "+79123456789");
	text[KT_PHONE_TEXT_MAX] = ' ';
	text[KT_PHONE_TEXT_MAX + 1] = '\0';
	e164_fails(text, "RU");
	memset(text, '1', sizeof(text) - 1);
	e164_fails(text, "RU");
}

/*
 * Regions are uppercase ISO codes, as libphonenumber spells them.  Under a
 * region it does not know ("ru", "XX"), only an international form parses.
 */
static void test_region_case_and_unknown_regions(void)
{
	e164("+7 912 345 67 89", "ru", "+79123456789");
	e164_fails("8 912 345 67 89", "ru");
	e164_fails("8 912 345 67 89", "XX");
	e164_fails("8 912 345 67 89", "");
}

static void test_digits_are_ascii_digits_in_order(void)
{
	char d[16];

	T_EQ_INT(kt_phone_digits("+7 (912) 345", d, sizeof(d)), 7);
	T_EQ_STR(d, "7912345");
	T_EQ_INT(kt_phone_digits("1234567890123456789", d, 5), 4); /* outsz-1 of them */
	T_EQ_STR(d, "1234");
	T_EQ_INT(kt_phone_digits("12", d, 1), 0);
	T_EQ_STR(d, "");
	T_EQ_INT(kt_phone_digits("12", d, 0), 0);                   /* out untouched */
	T_EQ_INT(kt_phone_digits("１２ ٣ 4", d, sizeof(d)), 1);     /* full-width, Arabic-Indic */
	T_EQ_STR(d, "4");
	T_EQ_INT(kt_phone_digits("", d, sizeof(d)), 0);
	T_EQ_STR(d, "");
	T_EQ_INT(kt_phone_digits(NULL, d, sizeof(d)), 0);
	T_EQ_STR(d, "");
}

static void test_region_known_is_uppercase_iso(void)
{
	T_CHECK(kt_phone_region_known("RU"));
	T_CHECK(kt_phone_region_known("RO"));
	T_CHECK(kt_phone_region_known("CN"));
	T_CHECK(!kt_phone_region_known("ru"));   /* decided: case-sensitive */
	T_CHECK(!kt_phone_region_known("Ru"));
	T_CHECK(!kt_phone_region_known("XX"));
	T_CHECK(!kt_phone_region_known("ZZ"));   /* libphonenumber's "unknown region" */
	T_CHECK(!kt_phone_region_known("001"));  /* non-geographic entities */
	T_CHECK(!kt_phone_region_known("RUS"));
	T_CHECK(!kt_phone_region_known("R"));
	T_CHECK(!kt_phone_region_known(""));
	T_CHECK(!kt_phone_region_known(NULL));
}

int main(void)
{
	T_RUN(test_russian_numbers_in_any_form);
	T_RUN(test_romanian_numbers);
	T_RUN(test_chinese_mobile);
	T_RUN(test_unparseable_numbers_fail);
	T_RUN(test_text_length_limit);
	T_RUN(test_region_case_and_unknown_regions);
	T_RUN(test_digits_are_ascii_digits_in_order);
	T_RUN(test_region_known_is_uppercase_iso);
	T_DONE();
}
