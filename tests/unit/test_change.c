/*
 * test_change.c - the change codec and the msgpack pre-check: round trips,
 * tampering, truncation, and every limit at max and max + 1.
 */
#include "t.h"
#include "proto/change.h"
#include "mp.h"

#include <stdlib.h>

static uint8_t key[KT_KEY_BYTES];
static struct kt_change c, d;
static struct kt_val vals[KT_OPS_MAX], got[KT_OPS_MAX];

static void sample(struct kt_change *x)
{
	static uint8_t tags[2 * KT_TAG_BYTES_SET], target[KT_ID_BYTES], wrapped[KT_WRAPPED_KEY_BYTES];
	static uint8_t token[KT_TOKEN_BYTES];

	memset(x, 0, sizeof(*x));
	x->origin = 0x1122334455667788ull;
	x->seq = 42;
	x->hlc = 0xabcdef0123ull;
	x->type = KT_T_CLIENT;
	kt_id_new(&x->id, 1700000000000ull);
	x->owner = x->id;
	memset(x->prev, 7, sizeof(x->prev));
	x->ops[0] = (struct kt_op){ .field = 1, .kind = KT_OP_SET, .base = { 5, 6 } };
	x->ops[1] = (struct kt_op){ .field = 15, .kind = KT_OP_ADD };
	x->ops[2] = (struct kt_op){ .field = 15, .kind = KT_OP_DEL, .arg = tags, .arg_len = sizeof(tags) };
	x->ops[3] = (struct kt_op){ .field = KT_F_ALIAS, .kind = KT_OP_ALIAS, .base = { 1, 2 },
				    .arg = target, .arg_len = KT_ID_BYTES };
	x->ops[4] = (struct kt_op){ .kind = KT_OP_KEY, .arg = wrapped, .arg_len = sizeof(wrapped) };
	x->ops[5] = (struct kt_op){ .kind = KT_OP_TOKEN, .arg = token, .arg_len = sizeof(token) };
	x->ops[6] = (struct kt_op){ .field = 12, .kind = KT_OP_SET };
	x->ops[7] = (struct kt_op){ .field = 999, .kind = KT_OP_SET }; /* a field we do not know */
	x->nops = 8;
	vals[0] = (struct kt_val){ .t = KT_V_STR, .s = "Анна Иванова", .n = (uint32_t)strlen("Анна Иванова") };
	vals[1] = (struct kt_val){ .t = KT_V_STR, .s = "latex", .n = 5 };
	vals[2] = (struct kt_val){ .t = KT_V_BOOL, .i = 1 };
	vals[3] = (struct kt_val){ .t = KT_V_INT, .i = -123456789012ll };
}

static void encode(const struct kt_change *x, msgpack_sbuffer *out)
{
	struct kt_err err;

	msgpack_sbuffer_init(out);
	T_EQ_INT(kt_change_encode(x, vals, key, out, &err), 0);
}

static void test_round_trip(void)
{
	msgpack_sbuffer b;
	struct kt_err err;
	uint8_t *plain;

	sample(&c);
	encode(&c, &b);
	T_EQ_INT(kt_change_decode(&d, (uint8_t *)b.data, b.size, &err), 0);
	T_CHECK(d.origin == c.origin && d.seq == c.seq && d.hlc == c.hlc && d.type == c.type);
	T_CHECK(kt_id_cmp(&d.id, &c.id) == 0 && memcmp(d.prev, c.prev, KT_HASH_BYTES) == 0);
	T_EQ_INT(d.nops, c.nops);
	for (uint32_t i = 0; i < c.nops; i++) {
		T_EQ_INT(d.ops[i].field, c.ops[i].field);
		T_EQ_INT(d.ops[i].kind, c.ops[i].kind);
		T_CHECK(kt_version_cmp(&d.ops[i].base, &c.ops[i].base) == 0);
		T_EQ_INT(d.ops[i].arg_len, c.ops[i].arg_len);
	}
	plain = malloc(d.payload_len);
	T_EQ_INT(kt_change_open(&d, key, plain, got, &err), 0);
	T_EQ_INT(got[0].t, KT_V_STR);
	T_CHECK(got[0].n == vals[0].n && memcmp(got[0].s, vals[0].s, got[0].n) == 0);
	T_EQ_INT(got[2].t, KT_V_BOOL);
	T_EQ_INT(got[3].i, -123456789012ll);
	key[0] ^= 1;
	T_EQ_INT(kt_change_open(&d, key, plain, got, &err), KT_ECRYPTO);
	key[0] ^= 1;
	free(plain);
	msgpack_sbuffer_destroy(&b);
}

/* Every single-byte change and every truncation fails to decode or to open. */
static void test_tamper_and_truncation_fail(void)
{
	msgpack_sbuffer b;
	struct kt_err err;
	uint8_t *copy, *plain;
	int silent = 0;

	sample(&c);
	encode(&c, &b);
	copy = malloc(b.size);
	plain = malloc(b.size);
	for (size_t i = 0; i < b.size; i++) {
		memcpy(copy, b.data, b.size);
		copy[i] ^= 0x40;
		if (kt_change_decode(&d, copy, b.size, &err) == 0 &&
		    kt_change_open(&d, key, plain, got, &err) == 0)
			silent++;
	}
	T_EQ_INT(silent, 0);
	for (size_t n = 0; n < b.size; n++)
		T_CHECK(kt_change_decode(&d, (uint8_t *)b.data, n, &err) != 0 ||
			kt_change_open(&d, key, plain, got, &err) != 0);
	free(copy);
	free(plain);
	msgpack_sbuffer_destroy(&b);
}

/* Wraps header bytes h as a change with a dummy payload. */
static void wrap(msgpack_sbuffer *out, const msgpack_sbuffer *h)
{
	msgpack_packer pk;
	uint8_t payload[KT_SEAL_OVERHEAD + 1] = { 0 };

	msgpack_sbuffer_init(out);
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_bin_with_body(&pk, h->data, h->size);
	msgpack_pack_bin_with_body(&pk, payload, sizeof(payload));
}

/* A header with nops ops of kind (ADD, or DEL naming ntags tags). */
static int decode_header_with(uint32_t nops, uint32_t ntags)
{
	static uint8_t tags[(KT_DEL_TAGS_MAX + 1) * KT_TAG_BYTES_SET], z[KT_HASH_BYTES];
	msgpack_sbuffer h, ch;
	msgpack_packer pk;
	struct kt_err err;
	int rc;

	msgpack_sbuffer_init(&h);
	msgpack_packer_init(&pk, &h, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 10);
	msgpack_pack_uint8(&pk, 1);
	msgpack_pack_uint64(&pk, 9);
	msgpack_pack_uint64(&pk, 1);
	msgpack_pack_uint64(&pk, 1);
	msgpack_pack_uint8(&pk, 1);
	msgpack_pack_bin_with_body(&pk, z, KT_ID_BYTES);
	msgpack_pack_bin_with_body(&pk, z, KT_ID_BYTES);
	msgpack_pack_bin_with_body(&pk, z, KT_HASH_BYTES);
	msgpack_pack_array(&pk, nops);
	for (uint32_t i = 0; i < nops; i++) {
		msgpack_pack_array(&pk, ntags ? 3 : 2);
		msgpack_pack_uint16(&pk, 15);
		msgpack_pack_uint8(&pk, ntags ? KT_OP_DEL : KT_OP_ADD);
		if (ntags)
			msgpack_pack_bin_with_body(&pk, tags, ntags * KT_TAG_BYTES_SET);
	}
	msgpack_pack_uint8(&pk, 0);
	wrap(&ch, &h);
	rc = kt_change_decode(&d, (uint8_t *)ch.data, ch.size, &err);
	msgpack_sbuffer_destroy(&h);
	msgpack_sbuffer_destroy(&ch);
	return rc;
}

static void test_limits_at_max_and_over(void)
{
	T_EQ_INT(decode_header_with(KT_OPS_MAX, 0), 0);
	T_CHECK(decode_header_with(KT_OPS_MAX + 1, 0) != 0);
	T_EQ_INT(decode_header_with(1, KT_DEL_TAGS_MAX), 0);
	T_CHECK(decode_header_with(1, KT_DEL_TAGS_MAX + 1) != 0);
}

static void test_mp_check_refuses_lying_sizes(void)
{
	struct kt_err err;
	static const uint8_t arr32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0, 0xc0 };
	static const uint8_t map32[] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0, 0xc0 };
	static const uint8_t str32[] = { 0xdb, 0x00, 0x00, 0x10, 0x00, 'a', 'b' };
	static const uint8_t bin8[] = { 0xc4, 0x05, 1, 2 };
	static const uint8_t ext[] = { 0xd4, 0x01, 0x00 };
	static const uint8_t trailing[] = { 0xc0, 0xc0 };
	static uint8_t deep[KT_MP_DEPTH_MAX + 2], big[KT_MP_COUNT_MAX + 8];

	T_CHECK(kt_mp_check(arr32, sizeof(arr32), 8, 4096, &err) != 0);
	T_CHECK(kt_mp_check(map32, sizeof(map32), 8, 4096, &err) != 0);
	T_CHECK(kt_mp_check(str32, sizeof(str32), 8, 4096, &err) != 0);
	T_CHECK(kt_mp_check(bin8, sizeof(bin8), 8, 4096, &err) != 0);
	T_CHECK(kt_mp_check(ext, sizeof(ext), 8, 4096, &err) != 0);
	T_CHECK(kt_mp_check(trailing, sizeof(trailing), 8, 4096, &err) != 0);
	T_CHECK(kt_mp_check(trailing, 1, 8, 4096, &err) == 0);
	/* nesting: KT_MP_DEPTH_MAX arrays of one around a nil is fine, one more is not */
	memset(deep, 0x91, sizeof(deep));
	deep[KT_MP_DEPTH_MAX] = 0xc0;
	T_EQ_INT(kt_mp_check(deep, KT_MP_DEPTH_MAX + 1, KT_MP_DEPTH_MAX, 4096, &err), 0);
	deep[KT_MP_DEPTH_MAX] = 0x91;
	deep[KT_MP_DEPTH_MAX + 1] = 0xc0;
	T_CHECK(kt_mp_check(deep, KT_MP_DEPTH_MAX + 2, KT_MP_DEPTH_MAX, 4096, &err) != 0);
	/* counts: an array16 of KT_MP_COUNT_MAX nils is fine, one more is not */
	big[0] = 0xdc;
	kt_be16_put(big + 1, KT_MP_COUNT_MAX);
	memset(big + 3, 0xc0, KT_MP_COUNT_MAX + 1);
	T_EQ_INT(kt_mp_check(big, 3 + KT_MP_COUNT_MAX, 8, KT_MP_COUNT_MAX, &err), 0);
	kt_be16_put(big + 1, KT_MP_COUNT_MAX + 1);
	T_CHECK(kt_mp_check(big, 3 + KT_MP_COUNT_MAX + 1, 8, KT_MP_COUNT_MAX, &err) != 0);
}

static void check_val(const struct kt_val *v)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct kt_val out;
	struct kt_err err;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	kt_val_pack(&pk, v);
	T_EQ_INT(kt_val_unpack((uint8_t *)sb.data, sb.size, &out, &err), 0);
	T_EQ_INT(out.t, v->t);
	if (v->t == KT_V_INT || v->t == KT_V_BOOL)
		T_CHECK(out.i == v->i);
	else
		T_CHECK(out.n == v->n && (v->n == 0 || memcmp(out.s, v->s, v->n) == 0));
	T_CHECK(kt_val_unpack((uint8_t *)sb.data, sb.size - 1, &out, &err) != 0 || sb.size == 1);
	msgpack_sbuffer_destroy(&sb);
}

static void test_stored_values_round_trip_at_every_width(void)
{
	static const int64_t ints[] = { 0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295ll,
					4294967296ll, -1, -32, -33, -128, -129, -32768, -32769,
					INT64_MIN, INT64_MAX };
	static char text[70000];
	static const uint32_t lens[] = { 0, 31, 32, 255, 256, 65535, 65536 };
	struct kt_val v;
	struct kt_err err;
	static const uint8_t junk[] = { 0xc1 };

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		check_val(&(struct kt_val){ .t = KT_V_INT, .i = ints[i] });
	memset(text, 'x', sizeof(text));
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		check_val(&(struct kt_val){ .t = KT_V_STR, .s = text, .n = lens[i] });
		check_val(&(struct kt_val){ .t = KT_V_BIN, .s = text, .n = lens[i] });
	}
	check_val(&(struct kt_val){ .t = KT_V_BOOL, .i = 0 });
	check_val(&(struct kt_val){ .t = KT_V_NIL });
	T_CHECK(kt_val_unpack(junk, 1, &v, &err) != 0);
	T_CHECK(kt_val_unpack(junk, 0, &v, &err) != 0);
}

int main(void)
{
	kt_crypto_init();
	kt_key_new(key);
	T_RUN(test_round_trip);
	T_RUN(test_tamper_and_truncation_fail);
	T_RUN(test_limits_at_max_and_over);
	T_RUN(test_mp_check_refuses_lying_sizes);
	T_RUN(test_stored_values_round_trip_at_every_width);
	T_DONE();
}
