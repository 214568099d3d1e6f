/*
 * test_change.c - the change codec: round trips of every op kind and value
 * type, tampering with any byte, truncation at any length, forged headers,
 * every limit at max and max + 1, and the stored value format.
 */
#include "t.h"
#include "proto/change.h"
#include "mp.h"

#include <stdlib.h>

static uint8_t key[KT_KEY_BYTES];
static struct kt_change c, d;
static struct kt_val vals[KT_OPS_MAX + 1], got[KT_OPS_MAX + 1];
static struct kt_err err;

/* Op arguments the sample points at; they live as long as the test. */
static uint8_t tags[3 * KT_TAG_BYTES_SET], target[KT_ID_BYTES];
static uint8_t wrapped[KT_WRAPPED_KEY_BYTES], token[KT_TOKEN_BYTES];
static char blob[KT_VALUE_BYTES_MAX + 1];

/* A change with every op kind and every value type. */
static void sample(struct kt_change *x)
{
	static const char *name = "Анна Иванова";

	memset(x, 0, sizeof(*x));
	x->origin = 0x1122334455667788ull;
	x->seq = 42;
	x->hlc = 0xabcdef0123ull;
	x->type = KT_T_CLIENT;
	kt_id_new(&x->id, 1700000000000ull);
	kt_id_new(&x->owner, 1700000000001ull);
	memset(x->prev, 7, sizeof(x->prev));
	kt_tag_make(tags, 1, 2, 3);
	kt_tag_make(tags + 16, 4, 5, 6);
	kt_tag_make(tags + 32, UINT64_MAX, (1ull << 48) - 1, 0xffff);
	kt_random(target, sizeof(target));
	kt_random(wrapped, sizeof(wrapped));
	kt_random(token, sizeof(token));
	x->ops[0] = (struct kt_op){ .field = 1, .kind = KT_OP_SET, .base = { 5, 6 } };
	x->ops[1] = (struct kt_op){ .field = 15, .kind = KT_OP_ADD };
	x->ops[2] = (struct kt_op){ .field = 15, .kind = KT_OP_DEL, .arg = tags,
				    .arg_len = sizeof(tags) };
	x->ops[3] = (struct kt_op){ .field = KT_F_ALIAS, .kind = KT_OP_ALIAS,
				    .base = { UINT64_MAX, UINT64_MAX - 1 },
				    .arg = target, .arg_len = KT_ID_BYTES };
	x->ops[4] = (struct kt_op){ .kind = KT_OP_KEY, .arg = wrapped, .arg_len = sizeof(wrapped) };
	x->ops[5] = (struct kt_op){ .kind = KT_OP_TOKEN, .arg = token, .arg_len = sizeof(token) };
	x->ops[6] = (struct kt_op){ .field = 12, .kind = KT_OP_SET };
	x->ops[7] = (struct kt_op){ .field = 999, .kind = KT_OP_SET }; /* a field we do not know */
	x->ops[8] = (struct kt_op){ .field = 10, .kind = KT_OP_SET, .base = { 1, 1 } };
	x->ops[9] = (struct kt_op){ .field = 0xffff, .kind = KT_OP_SET };
	x->ops[10] = (struct kt_op){ .field = 21, .kind = KT_OP_ADD };
	x->ops[11] = (struct kt_op){ .field = 5, .kind = KT_OP_SET };
	x->ops[12] = (struct kt_op){ .field = 6, .kind = KT_OP_SET };
	x->ops[13] = (struct kt_op){ .field = 0, .kind = KT_OP_SHRED };
	x->nops = 14;
	memset(blob, 'z', sizeof(blob));
	vals[0] = (struct kt_val){ .t = KT_V_STR, .s = name, .n = (uint32_t)strlen(name) };
	vals[1] = (struct kt_val){ .t = KT_V_STR, .s = "latex", .n = 5 };
	vals[2] = (struct kt_val){ .t = KT_V_BOOL, .i = 1 };
	vals[3] = (struct kt_val){ .t = KT_V_BIN, .s = "\x00\x01\xff", .n = 3 };
	vals[4] = (struct kt_val){ .t = KT_V_NIL };
	vals[5] = (struct kt_val){ .t = KT_V_INT, .i = INT64_MIN };
	vals[6] = (struct kt_val){ .t = KT_V_STR, .s = blob, .n = KT_VALUE_BYTES_MAX };
	vals[7] = (struct kt_val){ .t = KT_V_INT, .i = -123456789012ll };
	vals[8] = (struct kt_val){ .t = KT_V_INT, .i = INT64_MAX };
}

static int encode(const struct kt_change *x, const struct kt_val *v, msgpack_sbuffer *out)
{
	msgpack_sbuffer_init(out);
	return kt_change_encode(x, v, key, out, &err);
}

static int same_val(const struct kt_val *a, const struct kt_val *b)
{
	if (a->t != b->t)
		return 0;
	if (a->t == KT_V_BOOL || a->t == KT_V_INT)
		return a->i == b->i;
	if (a->t == KT_V_STR || a->t == KT_V_BIN)
		return a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, a->n) == 0);
	return 1;
}

/* Whether decoded y (with values yv) is exactly x (with values xv). */
static int same_change(const struct kt_change *x, const struct kt_val *xv,
		       const struct kt_change *y, const struct kt_val *yv)
{
	if (x->origin != y->origin || x->seq != y->seq || x->hlc != y->hlc ||
	    x->type != y->type || kt_id_cmp(&x->id, &y->id) != 0 ||
	    kt_id_cmp(&x->owner, &y->owner) != 0 ||
	    memcmp(x->prev, y->prev, KT_HASH_BYTES) != 0 || x->nops != y->nops)
		return 0;
	for (uint32_t i = 0; i < x->nops; i++) {
		const struct kt_op *a = &x->ops[i], *b = &y->ops[i];

		if (a->field != b->field || a->kind != b->kind || a->arg_len != b->arg_len ||
		    (a->arg_len > 0 && memcmp(a->arg, b->arg, a->arg_len) != 0))
			return 0;
		if ((a->kind == KT_OP_SET || a->kind == KT_OP_ALIAS) &&
		    kt_version_cmp(&a->base, &b->base) != 0)
			return 0;
	}
	for (uint32_t i = 0; i < kt_change_nvalues(x); i++)
		if (!same_val(&xv[i], &yv[i]))
			return 0;
	return 1;
}

/*
 * Decodes and opens p[0..n) into d and got; 0 or the first error.  The
 * values in got borrow from the plaintext, which stays until the next call.
 */
static int decode_open(const uint8_t *p, size_t n)
{
	static uint8_t *plain;
	int rc;

	free(plain);
	plain = NULL;
	if ((rc = kt_change_decode(&d, p, n, &err)) != 0)
		return rc;
	plain = malloc(d.payload_len); /* exactly the room promised, for ASan */
	return kt_change_open(&d, key, plain, got, &err);
}

static void test_round_trip_of_every_op_and_value_type(void)
{
	msgpack_sbuffer b;
	uint8_t *plain;

	sample(&c);
	T_EQ_INT(kt_change_nvalues(&c), 9);
	T_EQ_INT(encode(&c, vals, &b), 0);
	T_EQ_INT(kt_change_decode(&d, (uint8_t *)b.data, b.size, &err), 0);
	/* The header and payload borrow from the bytes decoded. */
	T_CHECK(d.header > (uint8_t *)b.data);
	T_CHECK(d.header + d.header_len <= (uint8_t *)b.data + b.size);
	T_CHECK(d.payload + d.payload_len == (uint8_t *)b.data + b.size);
	plain = malloc(d.payload_len);
	T_EQ_INT(kt_change_open(&d, key, plain, got, &err), 0);
	T_CHECK(same_change(&c, vals, &d, got));
	T_EQ_INT(got[0].t, KT_V_STR);
	T_EQ_INT(got[3].t, KT_V_BIN);
	T_EQ_INT(got[4].t, KT_V_NIL);
	T_CHECK(got[5].i == INT64_MIN && got[8].i == INT64_MAX);
	T_EQ_INT(got[6].n, KT_VALUE_BYTES_MAX);
	free(plain);
	msgpack_sbuffer_destroy(&b);
}

static void test_round_trip_of_edge_headers(void)
{
	msgpack_sbuffer b;

	memset(&c, 0, sizeof(c));
	c.origin = 1;
	c.seq = 1;
	c.type = 1; /* no ops, zero clock, zero ids and prev */
	T_EQ_INT(encode(&c, vals, &b), 0);
	T_EQ_INT(decode_open((uint8_t *)b.data, b.size), 0);
	T_CHECK(same_change(&c, vals, &d, got));
	T_EQ_INT(d.nops, 0);
	msgpack_sbuffer_destroy(&b);

	c.origin = UINT64_MAX;
	c.seq = (1ull << 48) - 1;
	c.hlc = UINT64_MAX;
	c.type = 255; /* a type a later version may add */
	memset(c.id.b, 0xff, KT_ID_BYTES);
	memset(c.prev, 0xff, KT_HASH_BYTES);
	T_EQ_INT(encode(&c, vals, &b), 0);
	T_EQ_INT(decode_open((uint8_t *)b.data, b.size), 0);
	T_CHECK(same_change(&c, vals, &d, got));
	msgpack_sbuffer_destroy(&b);
}

/* Random changes of random ops and values survive the trip exactly. */
static void test_round_trip_of_random_changes(void)
{
	static uint8_t arg[KT_OPS_MAX][KT_WRAPPED_KEY_BYTES];
	static const uint8_t kinds[] = { KT_OP_SET, KT_OP_ADD, KT_OP_DEL, KT_OP_ALIAS,
					 KT_OP_SHRED, KT_OP_KEY, KT_OP_TOKEN };
	msgpack_sbuffer b;
	uint32_t r;
	int bad = 0;

	for (int round = 0; round < 300; round++) {
		uint32_t nv = 0;

		memset(&c, 0, sizeof(c));
		kt_random(&c.origin, 8);
		c.origin |= 1;
		kt_random(&c.seq, 8);
		c.seq = (c.seq & 0xffffffffffffull) | 1;
		kt_random(&c.hlc, 8);
		c.type = (uint8_t)(1 + round % KT_T_MAX);
		kt_id_new(&c.id, 1700000000000ull + (uint64_t)round);
		c.owner = c.id;
		kt_random(c.prev, sizeof(c.prev));
		kt_random(&r, sizeof(r));
		c.nops = r % 40;
		for (uint32_t i = 0; i < c.nops; i++) {
			struct kt_op *op = &c.ops[i];

			kt_random(&r, sizeof(r));
			op->kind = kinds[r % 7];
			op->field = (uint16_t)(r >> 8);
			kt_random(arg[i], sizeof(arg[i]));
			op->arg = arg[i];
			kt_random(&op->base, sizeof(op->base));
			if (op->kind == KT_OP_DEL)
				op->arg_len = KT_TAG_BYTES_SET * (1 + (r >> 24) % 4);
			else if (op->kind == KT_OP_ALIAS)
				op->arg_len = KT_ID_BYTES, op->field = KT_F_ALIAS;
			else if (op->kind == KT_OP_KEY)
				op->arg_len = KT_WRAPPED_KEY_BYTES;
			else if (op->kind == KT_OP_TOKEN)
				op->arg_len = KT_TOKEN_BYTES;
			else
				op->arg_len = 0, op->arg = NULL;
			if (op->kind != KT_OP_SET && op->kind != KT_OP_ALIAS)
				memset(&op->base, 0, sizeof(op->base));
			if (op->kind != KT_OP_SET && op->kind != KT_OP_ADD)
				continue;
			kt_random(&vals[nv].i, sizeof(vals[nv].i));
			vals[nv].t = (uint8_t)(r % 5);
			vals[nv].s = blob;
			vals[nv].n = (uint32_t)(vals[nv].i & 0x3f);
			if (vals[nv].t == KT_V_BOOL)
				vals[nv].i &= 1;
			if (vals[nv].t == KT_V_INT && (r & 0x100))
				vals[nv].i >>= (r >> 9) % 64; /* small ints too */
			nv++;
		}
		T_EQ_INT(encode(&c, vals, &b), 0);
		if (decode_open((uint8_t *)b.data, b.size) != 0 || !same_change(&c, vals, &d, got))
			bad++;
		msgpack_sbuffer_destroy(&b);
	}
	T_EQ_INT(bad, 0);
}

static void test_wrong_key_or_header_does_not_open(void)
{
	msgpack_sbuffer b, b2;
	uint8_t *plain, other[KT_KEY_BYTES];
	struct kt_change e;

	sample(&c);
	T_EQ_INT(encode(&c, vals, &b), 0);
	T_EQ_INT(kt_change_decode(&d, (uint8_t *)b.data, b.size, &err), 0);
	plain = malloc(d.payload_len);
	memcpy(other, key, sizeof(other));
	other[KT_KEY_BYTES - 1] ^= 0x80;
	memset(plain, 0x5a, d.payload_len);
	T_EQ_INT(kt_change_open(&d, other, plain, got, &err), KT_ECRYPTO);
	for (size_t i = 0; i < d.payload_len - KT_SEAL_OVERHEAD; i++)
		T_CHECK(plain[i] == 0); /* no half-opened plaintext left behind */
	kt_key_new(other);
	T_EQ_INT(kt_change_open(&d, other, plain, got, &err), KT_ECRYPTO);
	T_EQ_INT(kt_change_open(&d, key, plain, got, &err), 0);
	/* The payload of one change under the header of another: refused. */
	c.seq++;
	T_EQ_INT(encode(&c, vals, &b2), 0);
	T_EQ_INT(kt_change_decode(&e, (uint8_t *)b2.data, b2.size, &err), 0);
	e.payload = d.payload;
	e.payload_len = d.payload_len;
	T_EQ_INT(kt_change_open(&e, key, plain, got, &err), KT_ECRYPTO);
	free(plain);
	msgpack_sbuffer_destroy(&b);
	msgpack_sbuffer_destroy(&b2);
}

/* Each change of one byte, to any value, fails to decode or to open. */
static void test_tampering_with_any_byte_fails(void)
{
	static const uint8_t masks[] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff };
	msgpack_sbuffer b;
	uint8_t *copy;
	size_t silent = 0, tries = 0;

	sample(&c);
	vals[6].n = 40; /* keep the tries quick: about 400 bytes */
	T_EQ_INT(encode(&c, vals, &b), 0);
	copy = malloc(b.size);
	for (size_t i = 0; i < b.size; i++) {
		for (size_t m = 0; m < sizeof(masks); m++, tries++) {
			memcpy(copy, b.data, b.size);
			copy[i] ^= masks[m];
			if (decode_open(copy, b.size) != 0)
				continue;
			silent++;
			fprintf(stderr, "byte %zu ^ 0x%02x still opens, %s content\n", i,
				masks[m], same_change(&c, vals, &d, got) ? "same" : "DIFFERENT");
		}
		/* A byte cut out of the middle. */
		memcpy(copy, b.data, i);
		memcpy(copy + i, (uint8_t *)b.data + i + 1, b.size - i - 1);
		if (decode_open(copy, b.size - 1) == 0)
			silent++;
	}
	T_EQ_INT(silent, 0);
	T_CHECK(tries > 3000);
	free(copy);
	msgpack_sbuffer_destroy(&b);
}

static void test_truncation_at_every_length_fails(void)
{
	msgpack_sbuffer b;
	uint8_t *copy;
	size_t opened = 0;

	sample(&c);
	T_EQ_INT(encode(&c, vals, &b), 0);
	for (size_t n = 0; n < b.size; n++) {
		/* A copy of exactly n bytes, so ASan sees any read past the end. */
		copy = malloc(n ? n : 1);
		memcpy(copy, b.data, n);
		if (decode_open(copy, n) == 0)
			opened++;
		free(copy);
	}
	T_EQ_INT(opened, 0);
	/* And one byte more. */
	copy = malloc(b.size + 1);
	memcpy(copy, b.data, b.size);
	copy[b.size] = 0xc0;
	T_EQ_INT(decode_open(copy, b.size + 1), KT_ECORRUPT);
	free(copy);
	T_EQ_INT(decode_open((uint8_t *)b.data, b.size), 0);
	msgpack_sbuffer_destroy(&b);
}

/* ---- hand-built headers ---- */

/* What build() writes; each test changes one thing from the default. */
struct hdr {
	uint32_t len;        /* header array size (10) */
	int fmt;             /* format, or -1 for a string */
	uint64_t origin, seq, hlc, type;
	uint32_t id_len, owner_len, prev_len;
	uint32_t nops;       /* ops in the list */
	int ops_not_array;
	uint8_t kind;        /* the kind of every op */
	uint32_t op_len;     /* array size of every op; 0: the right one */
	uint16_t field;
	uint32_t arg_len;    /* DEL tags bytes, KEY / TOKEN / ALIAS arg bytes */
	int hdr_as_str;      /* the header as str, not bin */
	uint32_t payload_len;
};

static struct hdr defaults(void)
{
	return (struct hdr){ .len = 10, .fmt = 1, .origin = 9, .seq = 1, .hlc = 1, .type = 1,
			     .id_len = KT_ID_BYTES, .owner_len = KT_ID_BYTES,
			     .prev_len = KT_HASH_BYTES, .nops = 1, .kind = KT_OP_ADD,
			     .field = 15, .arg_len = 0, .payload_len = KT_SEAL_OVERHEAD + 1 };
}

static uint32_t op_size(uint8_t kind)
{
	switch (kind) {
	case KT_OP_SET: return 4;
	case KT_OP_ALIAS: return 5;
	case KT_OP_DEL: case KT_OP_KEY: case KT_OP_TOKEN: return 3;
	default: return 2;
	}
}

static void pack_op(msgpack_packer *pk, const struct hdr *h)
{
	static uint8_t z[(KT_DEL_TAGS_MAX + 2) * KT_TAG_BYTES_SET];
	uint32_t n = h->op_len ? h->op_len : op_size(h->kind);

	msgpack_pack_array(pk, n);
	msgpack_pack_uint16(pk, h->field);
	if (n < 2)
		return;
	msgpack_pack_uint8(pk, h->kind);
	for (uint32_t i = 2; i < n; i++) {
		int is_arg = (h->kind == KT_OP_ALIAS && i == 4) ||
			     (h->kind != KT_OP_SET && h->kind != KT_OP_ALIAS && i == 2);

		if (is_arg)
			msgpack_pack_bin_with_body(pk, z, h->arg_len);
		else
			msgpack_pack_uint64(pk, i);
	}
}

/* Packs header h, wraps it with a dummy payload, and decodes it. */
static int build(const struct hdr *h)
{
	static uint8_t z[KT_HASH_BYTES + 1], payload[KT_CHANGE_BYTES_MAX];
	msgpack_sbuffer hb, ch;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&hb);
	msgpack_packer_init(&pk, &hb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, h->len);
	for (uint32_t i = 0; i < h->len; i++) {
		switch (i) {
		case 0:
			if (h->fmt < 0)
				msgpack_pack_str_with_body(&pk, "1", 1);
			else
				msgpack_pack_uint64(&pk, (uint64_t)h->fmt);
			break;
		case 1: msgpack_pack_uint64(&pk, h->origin); break;
		case 2: msgpack_pack_uint64(&pk, h->seq); break;
		case 3: msgpack_pack_uint64(&pk, h->hlc); break;
		case 4: msgpack_pack_uint64(&pk, h->type); break;
		case 5: msgpack_pack_bin_with_body(&pk, z, h->id_len); break;
		case 6: msgpack_pack_bin_with_body(&pk, z, h->owner_len); break;
		case 7: msgpack_pack_bin_with_body(&pk, z, h->prev_len); break;
		case 8:
			if (h->ops_not_array) {
				msgpack_pack_nil(&pk);
				break;
			}
			msgpack_pack_array(&pk, h->nops);
			for (uint32_t k = 0; k < h->nops; k++)
				pack_op(&pk, h);
			break;
		default: msgpack_pack_uint8(&pk, 0); break;
		}
	}
	msgpack_sbuffer_init(&ch);
	msgpack_packer_init(&pk, &ch, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	if (h->hdr_as_str)
		msgpack_pack_str_with_body(&pk, hb.data, hb.size);
	else
		msgpack_pack_bin_with_body(&pk, hb.data, hb.size);
	msgpack_pack_bin_with_body(&pk, payload, h->payload_len);
	rc = kt_change_decode(&d, (uint8_t *)ch.data, ch.size, &err);
	msgpack_sbuffer_destroy(&hb);
	msgpack_sbuffer_destroy(&ch);
	return rc;
}

static void test_hand_built_headers_decode(void)
{
	struct hdr h = defaults();

	T_EQ_INT(build(&h), 0);
	T_EQ_INT(d.nops, 1);
	T_EQ_INT(d.ops[0].kind, KT_OP_ADD);
	T_EQ_INT(d.ops[0].field, 15);
	h.kind = KT_OP_SET;
	T_EQ_INT(build(&h), 0);
	T_CHECK(d.ops[0].base.hlc == 2 && d.ops[0].base.origin == 3);
	h.kind = KT_OP_ALIAS;
	h.field = KT_F_ALIAS;
	h.arg_len = KT_ID_BYTES;
	T_EQ_INT(build(&h), 0);
	h = defaults();
	h.kind = KT_OP_KEY;
	h.arg_len = KT_WRAPPED_KEY_BYTES;
	T_EQ_INT(build(&h), 0);
	h.kind = KT_OP_TOKEN;
	h.arg_len = KT_TOKEN_BYTES;
	T_EQ_INT(build(&h), 0);
	h.kind = KT_OP_SHRED;
	h.arg_len = 0;
	T_EQ_INT(build(&h), 0);
}

static void test_ops_at_max_and_over(void)
{
	struct hdr h = defaults();

	h.nops = KT_OPS_MAX;
	T_EQ_INT(build(&h), 0);
	T_EQ_INT(d.nops, KT_OPS_MAX);
	h.nops = KT_OPS_MAX + 1;
	T_EQ_INT(build(&h), KT_ECORRUPT);
	h.nops = KT_MP_COUNT_MAX + 1; /* over the msgpack count limit too */
	T_EQ_INT(build(&h), KT_ECORRUPT);
	h.nops = 0;
	T_EQ_INT(build(&h), 0);
}

static void test_remove_tags_at_max_and_over(void)
{
	struct hdr h = defaults();

	h.kind = KT_OP_DEL;
	h.arg_len = KT_DEL_TAGS_MAX * KT_TAG_BYTES_SET;
	T_EQ_INT(build(&h), 0);
	T_EQ_INT(d.ops[0].arg_len, KT_DEL_TAGS_MAX * KT_TAG_BYTES_SET);
	h.arg_len = (KT_DEL_TAGS_MAX + 1) * KT_TAG_BYTES_SET;
	T_EQ_INT(build(&h), KT_ECORRUPT);
	h.arg_len = KT_TAG_BYTES_SET;
	T_EQ_INT(build(&h), 0);
	h.arg_len = 0;
	T_EQ_INT(build(&h), KT_ECORRUPT);
	h.arg_len = KT_TAG_BYTES_SET + 1;
	T_EQ_INT(build(&h), KT_ECORRUPT);
	h.arg_len = KT_TAG_BYTES_SET - 1;
	T_EQ_INT(build(&h), KT_ECORRUPT);
}

static void test_forged_headers_are_refused(void)
{
	struct hdr h;

#define REFUSED(stmt) do { h = defaults(); stmt; T_EQ_INT(build(&h), KT_ECORRUPT); } while (0)
	REFUSED(h.len = 9);
	REFUSED(h.len = 11);
	REFUSED(h.fmt = 0);
	REFUSED(h.fmt = 2);
	REFUSED(h.fmt = -1);
	REFUSED(h.origin = 0);
	REFUSED(h.seq = 0);
	REFUSED(h.seq = 1ull << 48);
	REFUSED(h.type = 0);
	REFUSED(h.type = 256);
	REFUSED(h.id_len = KT_ID_BYTES - 1);
	REFUSED(h.id_len = KT_ID_BYTES + 1);
	REFUSED(h.owner_len = 0);
	REFUSED(h.prev_len = KT_HASH_BYTES - 1);
	REFUSED(h.ops_not_array = 1);
	REFUSED(h.kind = 0);
	REFUSED(h.kind = 8);
	REFUSED(h.kind = 255);
	REFUSED(h.op_len = 1);
	REFUSED(h.op_len = 3);                                    /* ADD with an extra item */
	REFUSED((h.kind = KT_OP_SET, h.op_len = 3));
	REFUSED((h.kind = KT_OP_SET, h.op_len = 5));
	REFUSED((h.kind = KT_OP_SHRED, h.op_len = 3));
	REFUSED((h.kind = KT_OP_ALIAS, h.arg_len = KT_ID_BYTES));  /* field is not 0xfff0 */
	REFUSED((h.kind = KT_OP_ALIAS, h.field = KT_F_ALIAS, h.arg_len = KT_ID_BYTES - 1));
	REFUSED((h.kind = KT_OP_ALIAS, h.field = KT_F_ALIAS, h.arg_len = KT_ID_BYTES,
		 h.op_len = 4));
	REFUSED((h.kind = KT_OP_KEY, h.arg_len = KT_WRAPPED_KEY_BYTES - 1));
	REFUSED((h.kind = KT_OP_KEY, h.arg_len = KT_WRAPPED_KEY_BYTES + 1));
	REFUSED((h.kind = KT_OP_TOKEN, h.arg_len = KT_TOKEN_BYTES + 1));
	REFUSED((h.kind = KT_OP_TOKEN, h.arg_len = KT_TOKEN_BYTES, h.op_len = 4));
	REFUSED(h.hdr_as_str = 1);
	REFUSED(h.payload_len = KT_SEAL_OVERHEAD - 1);
	REFUSED(h.payload_len = 0);
#undef REFUSED
	/* A payload of just a nonce and a tag decodes; opening it then fails. */
	h = defaults();
	h.payload_len = KT_SEAL_OVERHEAD;
	T_EQ_INT(build(&h), 0);
}

static void test_size_limits_of_the_whole_change(void)
{
	static uint8_t big[KT_CHANGE_BYTES_MAX + 2];
	msgpack_sbuffer b;
	struct hdr h = defaults();
	uint32_t n;

	/* Over KT_CHANGE_BYTES_MAX: refused before any parsing. */
	memset(big, 0xc0, sizeof(big));
	T_EQ_INT(kt_change_decode(&d, big, KT_CHANGE_BYTES_MAX + 1, &err), KT_ETOOBIG);
	T_EQ_INT(kt_change_decode(&d, big, KT_CHANGE_BYTES_MAX, &err), KT_ECORRUPT);
	/* A change whose payload makes it exactly KT_CHANGE_BYTES_MAX decodes. */
	h.payload_len = 1000;
	T_EQ_INT(build(&h), 0);
	n = (uint32_t)(d.header_len + 1 + 2 + 5); /* array, bin8/16 and bin32 headers */
	n += d.header_len > 255 ? 1 : 0;
	h.payload_len = KT_CHANGE_BYTES_MAX - n;
	T_EQ_INT(build(&h), 0);
	h.payload_len++;
	T_EQ_INT(build(&h), KT_ETOOBIG);

	/* The encoder refuses a change over the limit, and takes one just under. */
	memset(&c, 0, sizeof(c));
	c.origin = c.seq = c.type = 1;
	c.nops = KT_OPS_MAX;
	for (uint32_t i = 0; i < KT_OPS_MAX; i++) {
		c.ops[i] = (struct kt_op){ .field = (uint16_t)(i + 1), .kind = KT_OP_SET };
		vals[i] = (struct kt_val){ .t = KT_V_STR, .s = blob, .n = KT_VALUE_BYTES_MAX };
	}
	T_EQ_INT(encode(&c, vals, &b), KT_ETOOBIG);
	msgpack_sbuffer_destroy(&b);
	for (uint32_t i = 0; i < KT_OPS_MAX; i++)
		vals[i].n = KT_VALUE_BYTES_MAX - 16;
	T_EQ_INT(encode(&c, vals, &b), 0);
	T_CHECK(b.size <= KT_CHANGE_BYTES_MAX);
	T_EQ_INT(decode_open((uint8_t *)b.data, b.size), 0);
	T_CHECK(same_change(&c, vals, &d, got));
	msgpack_sbuffer_destroy(&b);
}

/* Whatever the encoder accepts, every decoder accepts: it refuses the rest. */
static void test_encoder_refuses_what_decoders_would(void)
{
	static uint8_t many[(KT_DEL_TAGS_MAX + 1) * KT_TAG_BYTES_SET];
	msgpack_sbuffer b;

	memset(&c, 0, sizeof(c));
	c.origin = c.seq = c.type = 1;
	c.nops = 1;
	c.ops[0] = (struct kt_op){ .field = 15, .kind = KT_OP_DEL, .arg = many,
				   .arg_len = KT_DEL_TAGS_MAX * KT_TAG_BYTES_SET };
	T_EQ_INT(encode(&c, vals, &b), 0);
	T_EQ_INT(decode_open((uint8_t *)b.data, b.size), 0);
	msgpack_sbuffer_destroy(&b);
	c.ops[0].arg_len += KT_TAG_BYTES_SET;
	T_EQ_INT(encode(&c, vals, &b), KT_ETOOBIG);
	msgpack_sbuffer_destroy(&b);
	c.ops[0].arg_len = 0;
	T_CHECK(encode(&c, vals, &b) != 0);
	msgpack_sbuffer_destroy(&b);
	c.ops[0].arg_len = 17;
	T_CHECK(encode(&c, vals, &b) != 0);
	msgpack_sbuffer_destroy(&b);

	/* A value at KT_VALUE_BYTES_MAX, and one byte over. */
	c.ops[0] = (struct kt_op){ .field = 10, .kind = KT_OP_SET };
	vals[0] = (struct kt_val){ .t = KT_V_STR, .s = blob, .n = KT_VALUE_BYTES_MAX };
	T_EQ_INT(encode(&c, vals, &b), 0);
	T_EQ_INT(decode_open((uint8_t *)b.data, b.size), 0);
	msgpack_sbuffer_destroy(&b);
	vals[0].n++;
	T_EQ_INT(encode(&c, vals, &b), KT_ETOOBIG);
	msgpack_sbuffer_destroy(&b);
	vals[0].t = KT_V_BIN;
	T_EQ_INT(encode(&c, vals, &b), KT_ETOOBIG);
	msgpack_sbuffer_destroy(&b);
	vals[0].n--;
	T_EQ_INT(encode(&c, vals, &b), 0);
	msgpack_sbuffer_destroy(&b);

	/* Arguments of the wrong size, unknown kinds, a bad header. */
	c.ops[0] = (struct kt_op){ .kind = KT_OP_KEY, .arg = many, .arg_len = 32 };
	T_CHECK(encode(&c, vals, &b) != 0);
	msgpack_sbuffer_destroy(&b);
	c.ops[0] = (struct kt_op){ .kind = KT_OP_TOKEN, .arg = many, .arg_len = 15 };
	T_CHECK(encode(&c, vals, &b) != 0);
	msgpack_sbuffer_destroy(&b);
	c.ops[0] = (struct kt_op){ .field = 3, .kind = KT_OP_ALIAS, .arg = many, .arg_len = 16 };
	T_CHECK(encode(&c, vals, &b) != 0);
	msgpack_sbuffer_destroy(&b);
	c.ops[0] = (struct kt_op){ .field = 3, .kind = 9 };
	T_CHECK(encode(&c, vals, &b) != 0);
	msgpack_sbuffer_destroy(&b);
	c.ops[0] = (struct kt_op){ .field = 3, .kind = KT_OP_ADD };
	c.seq = 1ull << 48;
	T_CHECK(encode(&c, vals, &b) != 0);
	msgpack_sbuffer_destroy(&b);
	c.seq = 1;
	c.origin = 0;
	T_CHECK(encode(&c, vals, &b) != 0);
	msgpack_sbuffer_destroy(&b);
}

/* ---- the values array of a payload ---- */

static int values(void (*fill)(msgpack_packer *pk), uint32_t want)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	fill(&pk);
	rc = kt_values_decode((uint8_t *)sb.data, sb.size, got, want, &err);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static void v_ok(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 6);
	msgpack_pack_nil(pk);
	msgpack_pack_false(pk);
	msgpack_pack_uint64(pk, INT64_MAX);
	msgpack_pack_int64(pk, INT64_MIN);
	msgpack_pack_str_with_body(pk, blob, KT_VALUE_BYTES_MAX);
	msgpack_pack_bin_with_body(pk, blob, KT_VALUE_BYTES_MAX);
}
static void v_str_over(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_str_with_body(pk, blob, KT_VALUE_BYTES_MAX + 1);
}
static void v_bin_over(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_bin_with_body(pk, blob, KT_VALUE_BYTES_MAX + 1);
}
static void v_u64_over(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_uint64(pk, (uint64_t)INT64_MAX + 1);
}
static void v_float(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_double(pk, 1.5);
}
static void v_nested(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_array(pk, 0);
}
static void v_map(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_map(pk, 0);
}
static void v_empty(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 2);
	msgpack_pack_str_with_body(pk, "", 0);
	msgpack_pack_bin_with_body(pk, "", 0);
}
static void v_not_array(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 0);
}

static void test_values_are_checked(void)
{
	T_EQ_INT(values(v_ok, 6), 0);
	T_EQ_INT(got[0].t, KT_V_NIL);
	T_EQ_INT(got[1].t, KT_V_BOOL);
	T_EQ_INT(got[1].i, 0);
	T_CHECK(got[2].t == KT_V_INT && got[2].i == INT64_MAX);
	T_CHECK(got[3].t == KT_V_INT && got[3].i == INT64_MIN);
	T_CHECK(got[4].t == KT_V_STR && got[4].n == KT_VALUE_BYTES_MAX);
	T_CHECK(got[5].t == KT_V_BIN && got[5].n == KT_VALUE_BYTES_MAX);
	/* Empty strings and bins come back with a pointer, never NULL. */
	T_EQ_INT(values(v_empty, 2), 0);
	T_CHECK(got[0].t == KT_V_STR && got[0].n == 0 && got[0].s != NULL);
	T_CHECK(got[1].t == KT_V_BIN && got[1].n == 0 && got[1].s != NULL);
	T_EQ_INT(values(v_ok, 5), KT_ECORRUPT); /* the count must match the ops */
	T_EQ_INT(values(v_ok, 7), KT_ECORRUPT);
	T_EQ_INT(values(v_str_over, 1), KT_ETOOBIG);
	T_EQ_INT(values(v_bin_over, 1), KT_ETOOBIG);
	T_EQ_INT(values(v_u64_over, 1), KT_ECORRUPT);
	T_EQ_INT(values(v_float, 1), KT_ECORRUPT);
	T_EQ_INT(values(v_nested, 1), KT_ECORRUPT);
	T_EQ_INT(values(v_map, 1), KT_ECORRUPT);
	T_EQ_INT(values(v_not_array, 0), KT_ECORRUPT);
	T_EQ_INT(kt_values_decode((const uint8_t *)"\x90", 1, got, 0, &err), 0);
	T_EQ_INT(kt_values_decode((const uint8_t *)"", 0, got, 0, &err), KT_ECORRUPT);
}

/* ---- stored values ---- */

static void check_val(const struct kt_val *v)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct kt_val out;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	kt_val_pack(&pk, v);
	T_EQ_INT(kt_val_unpack((uint8_t *)sb.data, sb.size, &out, &err), 0);
	if (!same_val(v, &out)) {
		fprintf(stderr, "type %d value %lld length %u does not come back\n", v->t,
			(long long)v->i, v->n);
		T_CHECK(0);
	}
	/* Shorter or longer by one byte: refused. */
	T_CHECK(kt_val_unpack((uint8_t *)sb.data, sb.size - 1, &out, &err) != 0);
	msgpack_sbuffer_write(&sb, "\xc0", 1);
	T_CHECK(kt_val_unpack((uint8_t *)sb.data, sb.size, &out, &err) != 0);
	msgpack_sbuffer_destroy(&sb);
}

static void test_stored_values_round_trip_at_every_width(void)
{
	static const int64_t ints[] = {
		0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295ll, 4294967296ll,
		-1, -32, -33, -128, -129, -32768, -32769, -2147483648ll, -2147483649ll,
		INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1,
	};
	static const uint32_t lens[] = { 0, 1, 31, 32, 255, 256, 65535, 65536, 70000 };
	static char text[70000];

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		check_val(&(struct kt_val){ .t = KT_V_INT, .i = ints[i] });
		check_val(&(struct kt_val){ .t = KT_V_INT, .i = -(ints[i] / 2) });
	}
	for (int s = 0; s < 64; s++) { /* each power of two, and one below */
		check_val(&(struct kt_val){ .t = KT_V_INT, .i = (int64_t)(1ull << s) });
		check_val(&(struct kt_val){ .t = KT_V_INT, .i = (int64_t)((1ull << s) - 1) });
		check_val(&(struct kt_val){ .t = KT_V_INT,
					    .i = -(int64_t)(1ull << (s < 63 ? s : 62)) });
	}
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		check_val(&(struct kt_val){ .t = KT_V_STR, .s = text, .n = lens[i] });
		check_val(&(struct kt_val){ .t = KT_V_BIN, .s = text, .n = lens[i] });
	}
	check_val(&(struct kt_val){ .t = KT_V_BOOL, .i = 0 });
	check_val(&(struct kt_val){ .t = KT_V_BOOL, .i = 1 });
	check_val(&(struct kt_val){ .t = KT_V_NIL });
}

static void test_bad_stored_values_are_refused(void)
{
	static const struct { const char *b; size_t n; } bad[] = {
		{ "", 0 },
		{ "\xc1", 1 },                      /* never used */
		{ "\xc0\x00", 2 },                  /* nil and more */
		{ "\xc3\x00", 2 },
		{ "\x05\x00", 2 },                  /* fixint and more */
		{ "\xff\x00", 2 },
		{ "\xcc", 1 },                      /* uint8 with no byte */
		{ "\xcd\x01", 2 },
		{ "\xce\x01\x02\x03\x04\x05", 6 },
		{ "\xd3\x01\x02\x03\x04\x05\x06\x07", 8 },
		{ "\xcf\x80\x00\x00\x00\x00\x00\x00\x00", 9 }, /* 2^63: past int64 */
		{ "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9 },
		{ "\xa3" "ab", 3 },                 /* fixstr cut short */
		{ "\xa1" "ab", 3 },
		{ "\xd9", 1 },                      /* str8 with no length */
		{ "\xd9\x05" "abc", 5 },
		{ "\xda\x00", 2 },
		{ "\xdb\x00\x00\x00", 4 },
		{ "\xdb\xff\xff\xff\xff" "a", 6 },  /* 4 GiB declared */
		{ "\xc4\x02\x01", 3 },
		{ "\xc6\x00\x00\x00\x02\x01\x02\x03", 8 },
		{ "\xca\x00\x00\x00\x00", 5 },      /* float */
		{ "\xcb\x00\x00\x00\x00\x00\x00\x00\x00", 9 },
		{ "\x90", 1 },                      /* array */
		{ "\x91\xc0", 2 },
		{ "\x80", 1 },                      /* map */
		{ "\xdc\x00\x00", 3 },
		{ "\xd4\x01\x00", 3 },              /* ext */
		{ "\xc7\x01\x01\x00", 4 },
	};
	struct kt_val v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *copy = malloc(bad[i].n ? bad[i].n : 1);
		int rc;

		memcpy(copy, bad[i].b, bad[i].n);
		rc = kt_val_unpack(copy, bad[i].n, &v, &err);
		if (rc != KT_ECORRUPT)
			fprintf(stderr, "stored value %zu: %d\n", i, rc);
		T_EQ_INT(rc, KT_ECORRUPT);
		free(copy);
	}
	/* Wider encodings than we write are still read right. */
	T_EQ_INT(kt_val_unpack((const uint8_t *)"\xd0\xff", 2, &v, &err), 0);
	T_CHECK(v.t == KT_V_INT && v.i == -1);
	T_EQ_INT(kt_val_unpack((const uint8_t *)"\xd1\x80\x00", 3, &v, &err), 0);
	T_CHECK(v.i == -32768);
	T_EQ_INT(kt_val_unpack((const uint8_t *)"\xcf\x7f\xff\xff\xff\xff\xff\xff\xff", 9, &v,
			       &err), 0);
	T_CHECK(v.i == INT64_MAX);
}

static void test_tags_and_versions(void)
{
	uint8_t t[KT_TAG_BYTES_SET];
	struct kt_version a = { 10, 1 }, b = { 10, 2 }, e = { 11, 0 };

	kt_tag_make(t, 0x0102030405060708ull, 0x0000aabbccddeeffull, 0x1234);
	T_CHECK(kt_be64_get(t) == 0x0102030405060708ull);
	T_CHECK(kt_be64_get(t + 8) == ((0x0000aabbccddeeffull << 16) | 0x1234));
	kt_tag_make(t, 1, 1, 0);
	T_CHECK(kt_be64_get(t + 8) == 0x10000);
	T_EQ_INT(kt_version_cmp(&a, &a), 0);
	T_EQ_INT(kt_version_cmp(&a, &b), -1);
	T_EQ_INT(kt_version_cmp(&b, &a), 1);
	T_EQ_INT(kt_version_cmp(&b, &e), -1); /* the clock first */
	T_EQ_INT(kt_version_cmp(&e, &a), 1);
}

int main(void)
{
	kt_crypto_init();
	kt_key_new(key);
	T_RUN(test_round_trip_of_every_op_and_value_type);
	T_RUN(test_round_trip_of_edge_headers);
	T_RUN(test_round_trip_of_random_changes);
	T_RUN(test_wrong_key_or_header_does_not_open);
	T_RUN(test_tampering_with_any_byte_fails);
	T_RUN(test_truncation_at_every_length_fails);
	T_RUN(test_hand_built_headers_decode);
	T_RUN(test_ops_at_max_and_over);
	T_RUN(test_remove_tags_at_max_and_over);
	T_RUN(test_forged_headers_are_refused);
	T_RUN(test_size_limits_of_the_whole_change);
	T_RUN(test_encoder_refuses_what_decoders_would);
	T_RUN(test_values_are_checked);
	T_RUN(test_stored_values_round_trip_at_every_width);
	T_RUN(test_bad_stored_values_are_refused);
	T_RUN(test_tags_and_versions);
	T_DONE();
}
