/* test_id.c - record ids: text round trips, time order, strict parsing. */
#include "t.h"
#include "id.h"
#include "crypto.h"

static void test_round_trip(void)
{
	struct kt_id a, b;
	char s[KT_ID_TEXT_BYTES];

	for (int i = 0; i < 1000; i++) {
		kt_id_new(&a, 1700000000000ull + (uint64_t)i);
		kt_id_format(&a, s);
		T_EQ_INT(strlen(s), 26);
		T_EQ_INT(kt_id_parse(&b, s), 0);
		T_CHECK(kt_id_cmp(&a, &b) == 0);
		T_EQ_INT(kt_id_ms(&a), 1700000000000ull + (uint64_t)i);
	}
	memset(a.b, 0xff, sizeof(a.b));
	kt_id_format(&a, s);
	T_EQ_STR(s, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
	T_EQ_INT(kt_id_parse(&b, s), 0);
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	memset(a.b, 0, sizeof(a.b));
	kt_id_format(&a, s);
	T_EQ_STR(s, "00000000000000000000000000");
	T_CHECK(kt_id_is_zero(&a));
}

static void test_time_order(void)
{
	struct kt_id a, b;

	kt_id_new(&a, 1700000000000ull);
	kt_id_new(&b, 1700000000001ull);
	T_CHECK(kt_id_cmp(&a, &b) < 0);
}

static void test_parse_is_strict_but_kind(void)
{
	struct kt_id a, b;

	T_EQ_INT(kt_id_parse(&a, "01jd3q5zk8w6t9v2m4n7p0r1s3"), 0); /* lower case */
	T_EQ_INT(kt_id_parse(&b, "01JD3Q5ZK8W6T9V2M4N7P0R1S3"), 0);
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	T_EQ_INT(kt_id_parse(&a, "O1JD3Q5ZK8W6T9V2M4N7P0R1S3"), 0); /* O reads as 0 */
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	T_EQ_INT(kt_id_parse(&a, "01JD3Q5ZK8W6T9V2M4N7P0R1S"), -1);   /* 25 chars */
	T_EQ_INT(kt_id_parse(&a, "01JD3Q5ZK8W6T9V2M4N7P0R1S33"), -1); /* 27 chars */
	T_EQ_INT(kt_id_parse(&a, "01JD3Q5ZK8W6T9V2M4N7P0R1SU"), -1);  /* U is not Crockford */
	T_EQ_INT(kt_id_parse(&a, "81JD3Q5ZK8W6T9V2M4N7P0R1S3"), -1);  /* over 128 bits */
	T_EQ_INT(kt_id_parse(&a, NULL), -1);
}

static void test_big_endian_helpers(void)
{
	uint8_t b[8];

	kt_be64_put(b, 0x0102030405060708ull);
	T_EQ_INT(b[0], 1);
	T_EQ_INT(b[7], 8);
	T_CHECK(kt_be64_get(b) == 0x0102030405060708ull);
	kt_be16_put(b, 0xfff0);
	T_EQ_INT(kt_be16_get(b), 0xfff0);
	T_CHECK(kt_node_id_new() != 0);
}

int main(void)
{
	kt_crypto_init();
	T_RUN(test_round_trip);
	T_RUN(test_time_order);
	T_RUN(test_parse_is_strict_but_kind);
	T_RUN(test_big_endian_helpers);
	T_DONE();
}
