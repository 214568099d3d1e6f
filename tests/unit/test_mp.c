/*
 * test_mp.c - the msgpack pre-check that runs before msgpack-c unpacks:
 * it accepts what we write and refuses every declared size the bytes
 * cannot back, every limit at max and max + 1, ext types, trailing bytes
 * and truncated input.
 */
#include "t.h"
#include "mp.h"
#include "id.h"
#include "proto/limits.h"

#define D KT_MP_DEPTH_MAX
#define C KT_MP_COUNT_MAX

static int check(const void *p, size_t n)
{
	struct kt_err err;

	return kt_mp_check(p, n, D, C, &err);
}

/* Packs one sample of everything we write, in one array. */
static void pack_sample(msgpack_sbuffer *sb)
{
	static char big[70000];
	msgpack_packer pk;

	memset(big, 'q', sizeof(big));
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 26);
	msgpack_pack_nil(&pk);
	msgpack_pack_true(&pk);
	msgpack_pack_false(&pk);
	msgpack_pack_uint64(&pk, 0);
	msgpack_pack_uint64(&pk, 200);        /* uint8 */
	msgpack_pack_uint64(&pk, 60000);      /* uint16 */
	msgpack_pack_uint64(&pk, 4000000000u); /* uint32 */
	msgpack_pack_uint64(&pk, UINT64_MAX); /* uint64 */
	msgpack_pack_int64(&pk, -5);          /* negative fixint */
	msgpack_pack_int64(&pk, -100);        /* int8 */
	msgpack_pack_int64(&pk, -30000);      /* int16 */
	msgpack_pack_int64(&pk, -2000000000); /* int32 */
	msgpack_pack_int64(&pk, INT64_MIN);   /* int64 */
	msgpack_pack_float(&pk, 1.5f);
	msgpack_pack_double(&pk, 2.5);
	msgpack_pack_str_with_body(&pk, "", 0);
	msgpack_pack_str_with_body(&pk, big, 31);    /* fixstr */
	msgpack_pack_str_with_body(&pk, big, 200);   /* str8 */
	msgpack_pack_str_with_body(&pk, big, 60000); /* str16 */
	msgpack_pack_str_with_body(&pk, big, 70000); /* str32 */
	msgpack_pack_bin_with_body(&pk, big, 0);
	msgpack_pack_bin_with_body(&pk, big, 300);   /* bin16 */
	msgpack_pack_bin_with_body(&pk, big, 66000); /* bin32 */
	msgpack_pack_array(&pk, 0);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "k", 1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint8(&pk, 1);
	msgpack_pack_map(&pk, 0);
	msgpack_pack_uint8(&pk, 7);
	msgpack_pack_bin_with_body(&pk, "v", 1);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_nil(&pk);
	msgpack_pack_nil(&pk);
}

static void test_accepts_valid_objects(void)
{
	static const uint8_t one[][3] = {
		{ 0xc0 }, { 0xc2 }, { 0xc3 }, { 0x00 }, { 0x7f }, { 0xe0 }, { 0xff },
		{ 0x90 }, { 0x80 }, { 0xa0 }, { 0x91, 0xc0 }, { 0x81, 0x01, 0x02 },
		{ 0xa2, 'h', 'i' }, { 0xc4, 0x01, 0x00 }, { 0xcc, 0xff }, { 0xd0, 0x80 },
	};
	static const size_t len[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 2, 2 };
	msgpack_sbuffer sb;
	msgpack_zone zone;
	msgpack_object o;
	struct kt_err err;

	for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++)
		T_EQ_INT(check(one[i], len[i]), 0);
	pack_sample(&sb);
	T_EQ_INT(check(sb.data, sb.size), 0);
	msgpack_zone_init(&zone, 1024);
	T_EQ_INT(kt_mp_unpack((uint8_t *)sb.data, sb.size, &zone, &o, &err), 0);
	T_EQ_INT(o.type, MSGPACK_OBJECT_ARRAY);
	T_EQ_INT(o.via.array.size, 26);
	T_EQ_INT(o.via.array.ptr[19].via.str.size, 70000);
	T_CHECK(o.via.array.ptr[7].via.u64 == UINT64_MAX);
	msgpack_zone_destroy(&zone);
	msgpack_sbuffer_destroy(&sb);
}

/* Truncating a valid object anywhere leaves a refused prefix. */
static void test_refuses_truncated_input(void)
{
	msgpack_sbuffer sb;
	msgpack_zone zone;
	msgpack_object o;
	struct kt_err err;
	size_t refused = 0;

	T_EQ_INT(check("", 0), KT_ECORRUPT);
	pack_sample(&sb);
	for (size_t n = 0; n < sb.size; n++)
		refused += check(sb.data, n) == KT_ECORRUPT;
	T_CHECK(refused == sb.size);
	msgpack_zone_init(&zone, 1024);
	T_EQ_INT(kt_mp_unpack((uint8_t *)sb.data, sb.size - 1, &zone, &o, &err), KT_ECORRUPT);
	T_CHECK(err.msg[0] != '\0');
	msgpack_zone_destroy(&zone);
	msgpack_sbuffer_destroy(&sb);
	/* Headers cut inside their length or value bytes. */
	T_EQ_INT(check("\xcd\x01", 2), KT_ECORRUPT);
	T_EQ_INT(check("\xcf\x01\x02\x03\x04\x05\x06\x07", 8), KT_ECORRUPT);
	T_EQ_INT(check("\xda\x00", 2), KT_ECORRUPT);
	T_EQ_INT(check("\xdc\x00", 2), KT_ECORRUPT);
	T_EQ_INT(check("\xdb\x00\x00\x00", 4), KT_ECORRUPT);
	T_EQ_INT(check("\x92\xc0", 2), KT_ECORRUPT);
	T_EQ_INT(check("\x81\xc0", 2), KT_ECORRUPT); /* a map key with no value */
}

/* An array32 or map32 that declares 2^32 - 1 elements in 5 to 9 bytes. */
static void test_refuses_the_huge_allocation_attack(void)
{
	uint8_t b[16];
	struct kt_err err;
	msgpack_zone zone;
	msgpack_object o;

	for (int head = 0; head < 4; head++) {
		static const uint8_t tags[] = { 0xdd, 0xdf, 0xdc, 0xde };
		int lb = tags[head] == 0xdd || tags[head] == 0xdf ? 4 : 2;

		for (size_t n = 1 + (size_t)lb; n <= 5 + (size_t)lb; n++) {
			memset(b, 0xc0, sizeof(b));
			b[0] = tags[head];
			memset(b + 1, 0xff, (size_t)lb);
			T_EQ_INT(check(b, n), KT_ECORRUPT);
			/* Refused by the bytes left even with no count limit at all. */
			T_EQ_INT(kt_mp_check(b, n, D, UINT32_MAX, &err), KT_ECORRUPT);
			msgpack_zone_init(&zone, 256);
			T_EQ_INT(kt_mp_unpack(b, n, &zone, &o, &err), KT_ECORRUPT);
			msgpack_zone_destroy(&zone);
		}
	}
	/* The same inside a container, where it is not the first item. */
	memcpy(b, "\x92\xc0\xdd\xff\xff\xff\xff\xc0\xc0", 9);
	T_EQ_INT(kt_mp_check(b, 9, D, UINT32_MAX, &err), KT_ECORRUPT);
	/* A count the bytes do back is fine: an array32 of 3. */
	memcpy(b, "\xdd\x00\x00\x00\x03\xc0\xc0\xc0", 8);
	T_EQ_INT(check(b, 8), 0);
	memcpy(b, "\xdf\x00\x00\x00\x01\xc0\xc0", 7);
	T_EQ_INT(check(b, 7), 0);
	/* A map of n pairs needs 2n items: n items are not enough. */
	memcpy(b, "\xdf\x00\x00\x00\x02\xc0\xc0", 7);
	T_EQ_INT(kt_mp_check(b, 7, D, UINT32_MAX, &err), KT_ECORRUPT);
}

static void test_refuses_strings_longer_than_the_bytes_left(void)
{
	uint8_t b[64];

	memset(b, 'a', sizeof(b));
	for (int t = 0; t < 6; t++) {
		static const uint8_t tags[] = { 0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6 };
		static const int lbs[] = { 1, 2, 4, 1, 2, 4 };
		int lb = lbs[t];
		size_t hdr = 1 + (size_t)lb, body = 20;

		b[0] = tags[t];
		for (int k = 0; k < lb; k++) /* declares body bytes */
			b[1 + k] = (uint8_t)(k == lb - 1 ? body : 0);
		T_EQ_INT(check(b, hdr + body), 0);
		T_EQ_INT(check(b, hdr + body - 1), KT_ECORRUPT);
		T_EQ_INT(check(b, hdr + body + 1), KT_ECORRUPT); /* trailing */
		memset(b + 1, 0xff, (size_t)lb);   /* declares the most its width can */
		T_EQ_INT(check(b, sizeof(b)), KT_ECORRUPT);
		memset(b + 1, 'a', (size_t)lb);
	}
	/* A fixstr of 31 in 30 bytes. */
	b[0] = 0xbf;
	T_EQ_INT(check(b, 31), KT_ECORRUPT);
	T_EQ_INT(check(b, 32), 0);
	/* Fixed-width numbers cut short. */
	T_EQ_INT(check("\xcb\x00\x00", 3), KT_ECORRUPT);
	T_EQ_INT(check("\xd3\x00\x00\x00\x00\x00\x00\x00", 8), KT_ECORRUPT);
}

/* depth arrays (or maps) of one, each inside the last, around a nil. */
static size_t nest(uint8_t *b, unsigned depth, int maps)
{
	size_t n = 0;

	for (unsigned i = 0; i < depth; i++) {
		b[n++] = maps ? 0x81 : 0x91;
		if (maps)
			b[n++] = 0x01; /* the key; the value is the next level */
	}
	b[n++] = 0xc0;
	return n;
}

static void test_nesting_at_max_and_over(void)
{
	uint8_t b[4 * (D + 8)];
	struct kt_err err;
	size_t n;

	for (int maps = 0; maps <= 1; maps++) {
		n = nest(b, D, maps);
		T_EQ_INT(check(b, n), 0);
		n = nest(b, D + 1, maps);
		T_EQ_INT(check(b, n), KT_ECORRUPT);
		n = nest(b, D + 5, maps);
		T_EQ_INT(check(b, n), KT_ECORRUPT);
	}
	/* An empty container nests a level too. */
	n = nest(b, D - 1, 0);
	b[n - 1] = 0x90;
	T_EQ_INT(check(b, n), 0);
	n = nest(b, D, 0);
	b[n - 1] = 0x80;
	T_EQ_INT(check(b, n), KT_ECORRUPT);
	/* A caller's lower limit holds, at max and max + 1. */
	n = nest(b, 2, 0);
	T_EQ_INT(kt_mp_check(b, n, 2, C, &err), 0);
	n = nest(b, 3, 0);
	T_EQ_INT(kt_mp_check(b, n, 2, C, &err), KT_ECORRUPT);
	/* Scalars have no depth; any container needs depth 1. */
	T_EQ_INT(kt_mp_check((const uint8_t *)"\xc0", 1, 0, C, &err), 0);
	T_EQ_INT(kt_mp_check((const uint8_t *)"\x91\xc0", 2, 0, C, &err), KT_ECORRUPT);
	T_EQ_INT(kt_mp_check((const uint8_t *)"\x91\xc0", 2, 1, C, &err), 0);
	/* A higher limit than ours is capped at KT_MP_DEPTH_MAX. */
	n = nest(b, D + 1, 0);
	T_EQ_INT(kt_mp_check(b, n, 1000, C, &err), KT_ECORRUPT);
	/* Siblings at the deepest level: depth is per path, not per item. */
	n = nest(b, D - 2, 0);
	b[n - 1] = 0x93;
	memcpy(b + n, "\x91\xc0\x91\xc0\x91\xc0", 6);
	T_EQ_INT(check(b, n + 6), 0);
	b[n + 4] = 0x91;
	b[n + 5] = 0x91;
	b[n + 6] = 0xc0;
	T_EQ_INT(check(b, n + 7), KT_ECORRUPT);
}

static void test_counts_at_max_and_over(void)
{
	static uint8_t b[2 * C + 16];
	struct kt_err err;

	for (int maps = 0; maps <= 1; maps++) {
		size_t items = maps ? 2 * (size_t)C : (size_t)C;

		b[0] = maps ? 0xde : 0xdc;
		kt_be16_put(b + 1, C);
		memset(b + 3, 0xc0, items + 2 * 2);
		T_EQ_INT(check(b, 3 + items), 0);
		kt_be16_put(b + 1, C + 1);
		T_EQ_INT(check(b, 3 + items + (maps ? 2 : 1)), KT_ECORRUPT);
		/* The caller's limit, at max and max + 1. */
		kt_be16_put(b + 1, 10);
		T_EQ_INT(kt_mp_check(b, 3 + (maps ? 20 : 10), D, 10, &err), 0);
		kt_be16_put(b + 1, 11);
		T_EQ_INT(kt_mp_check(b, 3 + (maps ? 22 : 11), D, 10, &err), KT_ECORRUPT);
	}
	/* The limit holds for the 32-bit forms too. */
	b[0] = 0xdd;
	b[1] = 0;
	b[2] = 0;
	kt_be16_put(b + 3, C + 1);
	memset(b + 5, 0xc0, C + 1);
	T_EQ_INT(check(b, 5 + C + 1), KT_ECORRUPT);
	kt_be16_put(b + 3, C);
	T_EQ_INT(check(b, 5 + C), 0);
}

static void test_refuses_trailing_bytes(void)
{
	msgpack_sbuffer sb;
	uint8_t *b;

	T_EQ_INT(check("\xc0\xc0", 2), KT_ECORRUPT);
	T_EQ_INT(check("\xc0", 1), 0);
	T_EQ_INT(check("\x91\xc0\x00", 3), KT_ECORRUPT);
	T_EQ_INT(check("\xa1x\x00", 3), KT_ECORRUPT);
	pack_sample(&sb);
	b = malloc(sb.size + 1);
	memcpy(b, sb.data, sb.size);
	b[sb.size] = 0xc0;
	T_EQ_INT(check(b, sb.size + 1), KT_ECORRUPT);
	free(b);
	msgpack_sbuffer_destroy(&sb);
}

static void test_refuses_ext_types_and_the_unused_byte(void)
{
	static const uint8_t fixext[] = { 0xd4, 0xd5, 0xd6, 0xd7, 0xd8 };
	static const size_t fixlen[] = { 1, 2, 4, 8, 16 };
	uint8_t b[32];

	memset(b, 0, sizeof(b));
	for (size_t i = 0; i < 5; i++) {
		b[0] = fixext[i];
		T_EQ_INT(check(b, 2 + fixlen[i]), KT_ECORRUPT);
	}
	memcpy(b, "\xc7\x01\x05\x00", 4); /* ext8 */
	T_EQ_INT(check(b, 4), KT_ECORRUPT);
	memcpy(b, "\xc8\x00\x01\x05\x00", 5); /* ext16 */
	T_EQ_INT(check(b, 5), KT_ECORRUPT);
	memcpy(b, "\xc9\x00\x00\x00\x01\x05\x00", 7); /* ext32 */
	T_EQ_INT(check(b, 7), KT_ECORRUPT);
	T_EQ_INT(check("\xc1", 1), KT_ECORRUPT);
	/* Inside a container as well. */
	T_EQ_INT(check("\x92\xc0\xd4\x01\x00", 5), KT_ECORRUPT);
	T_EQ_INT(check("\x81\xd4\x01\x00\xc0", 5), KT_ECORRUPT);
}

/* Every 1-, 2- and 3-byte input: no crash, and a verdict msgpack-c agrees with. */
static void test_agrees_with_msgpack_c_on_short_inputs(void)
{
	uint8_t b[3];
	struct kt_err err;
	size_t disagree = 0;

	for (uint32_t x = 0; x < (1u << 24); x += (x < (1u << 16) ? 1 : 251)) {
		for (size_t n = 1; n <= 3; n++) {
			msgpack_zone zone;
			msgpack_object o;
			size_t off = 0;
			int ours, theirs;

			b[0] = (uint8_t)(x >> 16);
			b[1] = (uint8_t)(x >> 8);
			b[2] = (uint8_t)x;
			ours = kt_mp_check(b, n, D, C, &err);
			if (ours != 0)
				continue;
			/* What we accept, msgpack-c unpacks completely. */
			msgpack_zone_init(&zone, 256);
			theirs = msgpack_unpack((const char *)b, n, &off, &zone, &o);
			if (theirs != MSGPACK_UNPACK_SUCCESS || off != n)
				disagree++;
			msgpack_zone_destroy(&zone);
		}
	}
	T_EQ_INT(disagree, 0);
}

int main(void)
{
	T_RUN(test_accepts_valid_objects);
	T_RUN(test_refuses_truncated_input);
	T_RUN(test_refuses_the_huge_allocation_attack);
	T_RUN(test_refuses_strings_longer_than_the_bytes_left);
	T_RUN(test_nesting_at_max_and_over);
	T_RUN(test_counts_at_max_and_over);
	T_RUN(test_refuses_trailing_bytes);
	T_RUN(test_refuses_ext_types_and_the_unused_byte);
	T_RUN(test_agrees_with_msgpack_c_on_short_inputs);
	T_DONE();
}
