/*
 * test_id.c - record ids: text round trips, time order, strict but kind
 * parsing, and the big-endian helpers keys and wire formats rely on.
 */
#include "t.h"
#include "id.h"
#include "crypto.h"

#define MS 1700000000000ull

static void test_round_trip_of_random_ids(void)
{
	struct kt_id a, b;
	char s[KT_ID_TEXT_BYTES], again[KT_ID_TEXT_BYTES];

	for (int i = 0; i < 2000; i++) {
		kt_id_new(&a, MS + (uint64_t)i * 7919);
		kt_id_format(&a, s);
		T_EQ_INT(strlen(s), 26);
		T_CHECK(s[0] >= '0' && s[0] <= '7');
		T_EQ_INT(kt_id_parse(&b, s), 0);
		T_CHECK(kt_id_cmp(&a, &b) == 0);
		kt_id_format(&b, again);
		T_EQ_STR(again, s);
		T_CHECK(!kt_id_is_zero(&a));
	}
	/* Fully random bytes too, not only ids with a plausible time. */
	for (int i = 0; i < 2000; i++) {
		kt_random(a.b, sizeof(a.b));
		kt_id_format(&a, s);
		T_EQ_INT(kt_id_parse(&b, s), 0);
		T_CHECK(kt_id_cmp(&a, &b) == 0);
	}
}

static void test_all_zero_and_all_ones(void)
{
	struct kt_id a, b;
	char s[KT_ID_TEXT_BYTES];

	memset(a.b, 0, sizeof(a.b));
	kt_id_format(&a, s);
	T_EQ_STR(s, "00000000000000000000000000");
	T_CHECK(kt_id_is_zero(&a));
	memset(b.b, 0xaa, sizeof(b.b));
	T_EQ_INT(kt_id_parse(&b, s), 0);
	T_CHECK(kt_id_is_zero(&b));
	T_EQ_INT(kt_id_ms(&a), 0);

	memset(a.b, 0xff, sizeof(a.b));
	kt_id_format(&a, s);
	T_EQ_STR(s, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
	T_EQ_INT(kt_id_parse(&b, s), 0);
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	T_CHECK(!kt_id_is_zero(&b));
	T_CHECK(kt_id_ms(&a) == 0xffffffffffffull);

	memset(a.b, 0, sizeof(a.b));
	a.b[15] = 1;
	T_CHECK(!kt_id_is_zero(&a));
	kt_id_format(&a, s);
	T_EQ_STR(s, "00000000000000000000000001");
}

/* The example from the ULID spec: ulid(1469918176385) is 01ARYZ6S41... */
static void test_known_answer(void)
{
	struct kt_id a;
	char s[KT_ID_TEXT_BYTES];

	T_EQ_INT(kt_id_parse(&a, "01ARYZ6S41TSV4RRFFQ69G5FAV"), 0);
	T_CHECK(kt_id_ms(&a) == 1469918176385ull);
	kt_id_format(&a, s);
	T_EQ_STR(s, "01ARYZ6S41TSV4RRFFQ69G5FAV");
	/* The same time makes the same first ten digits. */
	kt_id_new(&a, 1469918176385ull);
	kt_id_format(&a, s);
	T_CHECK(memcmp(s, "01ARYZ6S41", 10) == 0);
}

static void test_time_order(void)
{
	struct kt_id prev, cur;
	char ps[KT_ID_TEXT_BYTES], cs[KT_ID_TEXT_BYTES];

	kt_id_new(&prev, MS);
	kt_id_format(&prev, ps);
	for (uint64_t k = 1; k < 3000; k++) {
		uint64_t ms = MS + k * k; /* steps of growing size, from 3 ms to hours */

		kt_id_new(&cur, ms);
		kt_id_format(&cur, cs);
		T_CHECK(kt_id_cmp(&prev, &cur) < 0);
		T_CHECK(strcmp(ps, cs) < 0); /* text order is time order too */
		T_CHECK(kt_id_ms(&cur) == ms);
		prev = cur;
		memcpy(ps, cs, sizeof(ps));
	}
	/* Ids of one ms differ only in their random bits. */
	kt_id_new(&prev, MS);
	kt_id_new(&cur, MS);
	T_CHECK(kt_id_cmp(&prev, &cur) != 0);
	T_CHECK(kt_id_ms(&prev) == kt_id_ms(&cur));
	/* The largest time the layout holds. */
	kt_id_new(&cur, 0xffffffffffffull);
	T_CHECK(kt_id_ms(&cur) == 0xffffffffffffull);
	kt_id_new(&cur, 0);
	T_EQ_INT(kt_id_ms(&cur), 0);
}

static void test_parse_rejects(void)
{
	struct kt_id a;
	const char *bad[] = {
		"",
		"0",
		"01ARZ3NDEKTSV4RRFFQ69G5FA",    /* 25 characters */
		"01ARZ3NDEKTSV4RRFFQ69G5FAVV",  /* 27 characters */
		"01ARZ3NDEKTSV4RRFFQ69G5FAU",   /* U is not Crockford */
		"01ARZ3NDEKTSV4RRFFQ69G5FA-",
		"01ARZ3NDEKTSV4RRFFQ69G5FA ",
		" 01ARZ3NDEKTSV4RRFFQ69G5FA",
		"01ARZ3NDEKTSV4RRFFQ69G5F\xc3\xa9", /* e acute: 26 bytes, not ASCII */
		"01ARZ3NDEKTSV4RRFFQ69G5FA*",
		"81ARZ3NDEKTSV4RRFFQ69G5FAV",   /* first digit > 7: over 128 bits */
		"ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
		"8ZZZZZZZZZZZZZZZZZZZZZZZZZ",
		"90000000000000000000000000",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kt_id_parse(&a, bad[i]) != -1) {
			fprintf(stderr, "accepted '%s'\n", bad[i]);
			T_CHECK(0);
		}
	T_EQ_INT(kt_id_parse(&a, NULL), -1);
	T_EQ_INT(kt_id_parse(&a, "70000000000000000000000000"), 0); /* 7 is the largest */
	/* Every first digit from 8 up is refused. */
	for (const char *c = "89ABCDEFGHJKMNPQRSTVWXYZ"; *c; c++) {
		char s[KT_ID_TEXT_BYTES];

		memset(s, '0', 26);
		s[0] = *c;
		s[26] = '\0';
		T_EQ_INT(kt_id_parse(&a, s), -1);
	}
}

static void test_parse_accepts_lower_case_and_aliases(void)
{
	struct kt_id a, b;
	char s[KT_ID_TEXT_BYTES];

	T_EQ_INT(kt_id_parse(&b, "01ARZ3NDEKTSV4RRFFQ69G5FAV"), 0);
	T_EQ_INT(kt_id_parse(&a, "01arz3ndektsv4rrffq69g5fav"), 0);
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	T_EQ_INT(kt_id_parse(&a, "01ArZ3nDeKtSv4RrFfQ69g5FaV"), 0);
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	/* O and o read as 0; I, i, L and l read as 1. */
	T_EQ_INT(kt_id_parse(&a, "OIARZ3NDEKTSV4RRFFQ69G5FAV"), 0);
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	T_EQ_INT(kt_id_parse(&a, "olARZ3NDEKTSV4RRFFQ69G5FAV"), 0);
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	T_EQ_INT(kt_id_parse(&a, "0iARZ3NDEKTSV4RRFFQ69G5FAV"), 0);
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	T_EQ_INT(kt_id_parse(&a, "0LARZ3NDEKTSV4RRFFQ69G5FAV"), 0);
	T_CHECK(kt_id_cmp(&a, &b) == 0);
	/* The text form is canonical again: upper case, no aliases. */
	kt_id_format(&a, s);
	T_EQ_STR(s, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
	/* Each of the 32 digits and each alias, in the last place. */
	for (int v = 0; v < 32; v++) {
		const char *digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

		memset(s, '0', 26);
		s[25] = digits[v];
		s[26] = '\0';
		T_EQ_INT(kt_id_parse(&a, s), 0);
		T_EQ_INT(a.b[15], v);
		s[25] = (char)(s[25] >= 'A' ? s[25] - 'A' + 'a' : s[25]);
		T_EQ_INT(kt_id_parse(&a, s), 0);
		T_EQ_INT(a.b[15], v);
	}
}

static void test_big_endian_helpers(void)
{
	uint8_t b[10];
	static const uint64_t v64[] = { 0, 1, 0xff, 0x100, 0x0102030405060708ull,
					0x8000000000000000ull, UINT64_MAX };
	static const uint16_t v16[] = { 0, 1, 0xff, 0x100, 0x7fff, 0x8000, 0xfff0, 0xffff };

	kt_be64_put(b, 0x0102030405060708ull);
	for (int i = 0; i < 8; i++)
		T_EQ_INT(b[i], i + 1);
	T_CHECK(kt_be64_get(b) == 0x0102030405060708ull);
	for (size_t i = 0; i < sizeof(v64) / sizeof(v64[0]); i++) {
		memset(b, 0xee, sizeof(b));
		kt_be64_put(b + 1, v64[i]);
		T_CHECK(kt_be64_get(b + 1) == v64[i]);
		T_EQ_INT(b[0], 0xee); /* writes exactly 8 bytes */
		T_EQ_INT(b[9], 0xee);
	}
	kt_be16_put(b, 0xfff0);
	T_EQ_INT(b[0], 0xff);
	T_EQ_INT(b[1], 0xf0);
	for (size_t i = 0; i < sizeof(v16) / sizeof(v16[0]); i++) {
		memset(b, 0xee, sizeof(b));
		kt_be16_put(b + 1, v16[i]);
		T_EQ_INT(kt_be16_get(b + 1), v16[i]);
		T_EQ_INT(b[0], 0xee);
		T_EQ_INT(b[3], 0xee);
	}
	kt_be32_put(b, 0x01020304u);
	for (int i = 0; i < 4; i++)
		T_EQ_INT(b[i], i + 1);
	for (uint32_t v = 0; v < 0xffffff00u; v += 0x01010101u) {
		memset(b, 0xee, sizeof(b));
		kt_be32_put(b + 1, v);
		T_CHECK(kt_be32_get(b + 1) == v);
		T_EQ_INT(b[0], 0xee); /* writes exactly 4 bytes */
		T_EQ_INT(b[5], 0xee);
	}
	kt_be32_put(b, UINT32_MAX);
	T_CHECK(kt_be32_get(b) == UINT32_MAX);
	/* Big-endian bytes sort as the numbers do: what LMDB keys need. */
	for (int i = 0; i < 1000; i++) {
		uint64_t x, y;
		uint8_t bx[8], by[8];

		kt_random(&x, sizeof(x));
		kt_random(&y, sizeof(y));
		kt_be64_put(bx, x);
		kt_be64_put(by, y);
		T_CHECK((memcmp(bx, by, 8) < 0) == (x < y));
	}
}

static void test_node_ids_are_non_zero_and_differ(void)
{
	uint64_t a = kt_node_id_new(), b = kt_node_id_new();

	T_CHECK(a != 0 && b != 0);
	T_CHECK(a != b);
}

int main(void)
{
	kt_crypto_init();
	T_RUN(test_round_trip_of_random_ids);
	T_RUN(test_all_zero_and_all_ones);
	T_RUN(test_known_answer);
	T_RUN(test_time_order);
	T_RUN(test_parse_rejects);
	T_RUN(test_parse_accepts_lower_case_and_aliases);
	T_RUN(test_big_endian_helpers);
	T_RUN(test_node_ids_are_non_zero_and_differ);
	T_DONE();
}
