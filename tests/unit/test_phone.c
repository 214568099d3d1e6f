/* test_phone.c - phone numbers to E.164 under a default country. */
#include "t.h"
#include "phone.h"

static void e164(const char *in, const char *region, const char *want)
{
	char out[KT_PHONE_BYTES];

	T_EQ_INT(kt_phone_e164(in, region, out), 0);
	T_EQ_STR(out, want);
}

static void test_russian_numbers_in_any_form(void)
{
	e164("+7 (912) 345-67-89", "RU", "+79123456789");
	e164("8 912 345 67 89", "RU", "+79123456789");
	e164("9123456789", "RU", "+79123456789");
}

static void test_romanian_numbers(void)
{
	e164("0721 234 567", "RO", "+40721234567");
	e164("+40 721 234 567", "RO", "+40721234567");
	e164("+40 721 234 567", "RU", "+40721234567"); /* an international form anywhere */
}

static void test_unparseable_numbers_fail(void)
{
	char out[KT_PHONE_BYTES], longtext[KT_PHONE_TEXT_MAX + 2];

	T_EQ_INT(kt_phone_e164("abc", "RU", out), -1);
	T_EQ_STR(out, "");
	T_EQ_INT(kt_phone_e164("12", "RU", out), -1);
	memset(longtext, '1', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	T_EQ_INT(kt_phone_e164(longtext, "RU", out), -1);
}

static void test_digits_and_regions(void)
{
	char d[16];

	T_EQ_INT(kt_phone_digits("+7 (912) 345", d, sizeof(d)), 7);
	T_EQ_STR(d, "7912345");
	T_EQ_INT(kt_phone_digits("1234567890123456789", d, 5), 4);
	T_EQ_STR(d, "1234");
	T_CHECK(kt_phone_region_known("RU"));
	T_CHECK(kt_phone_region_known("RO"));
	T_CHECK(kt_phone_region_known("CN"));
	T_CHECK(!kt_phone_region_known("XX"));
	T_CHECK(!kt_phone_region_known("RUS"));
}

int main(void)
{
	T_RUN(test_russian_numbers_in_any_form);
	T_RUN(test_romanian_numbers);
	T_RUN(test_unparseable_numbers_fail);
	T_RUN(test_digits_and_regions);
	T_DONE();
}
