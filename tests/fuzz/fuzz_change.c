/*
 * fuzz_change.c - libFuzzer target for the change decoder: the bytes of a
 * change from another replica, the values in a payload, a stored value.
 * None may crash, leak or allocate more than its input justifies (run with
 * -rss_limit_mb=2048 and -malloc_limit_mb defaulting to it).  What decodes
 * is checked against the limits it promises, and aborts the run if not.
 *
 * The seeds in tests/fuzz/seeds/fuzz_change are changes sealed under the
 * fixed key below, so unmutated seeds reach kt_change_open()'s success path
 * and the values decoder behind it.
 */
#include "proto/change.h"
#include "mp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[KT_KEY_BYTES] = { 1, 2, 3 };

/* The promises of kt_change_decode() about what it accepts. */
static void check_decoded(const struct kt_change *c, const uint8_t *data, size_t size)
{
	kt_assert(c->nops <= KT_OPS_MAX);
	kt_assert(c->origin != 0 && c->seq != 0 && c->seq < (1ull << 48) && c->type != 0);
	kt_assert(c->header >= data && c->header + c->header_len <= data + size);
	kt_assert(c->payload >= data && c->payload + c->payload_len <= data + size);
	kt_assert(c->header_len <= KT_HEADER_BYTES_MAX && c->payload_len >= KT_SEAL_OVERHEAD);
	for (uint32_t i = 0; i < c->nops; i++) {
		const struct kt_op *op = &c->ops[i];

		kt_assert(op->kind >= KT_OP_SET && op->kind <= KT_OP_TOKEN);
		if (op->arg_len > 0)
			kt_assert(op->arg >= c->header &&
				  op->arg + op->arg_len <= c->header + c->header_len);
		if (op->kind == KT_OP_DEL)
			kt_assert(op->arg_len > 0 && op->arg_len % KT_TAG_BYTES_SET == 0 &&
				  op->arg_len / KT_TAG_BYTES_SET <= KT_DEL_TAGS_MAX);
		if (op->kind == KT_OP_ALIAS)
			kt_assert(op->field == KT_F_ALIAS && op->arg_len == KT_ID_BYTES);
		if (op->kind == KT_OP_KEY)
			kt_assert(op->arg_len == KT_WRAPPED_KEY_BYTES);
		if (op->kind == KT_OP_TOKEN)
			kt_assert(op->arg_len == KT_TOKEN_BYTES);
	}
}

static void check_values(const struct kt_val *vals, uint32_t n, const uint8_t *p, size_t len)
{
	for (uint32_t i = 0; i < n; i++) {
		kt_assert(vals[i].t <= KT_V_BIN);
		if (vals[i].t != KT_V_STR && vals[i].t != KT_V_BIN)
			continue;
		kt_assert(vals[i].s != NULL && vals[i].n <= KT_VALUE_BYTES_MAX);
		if (vals[i].n > 0)
			kt_assert((const uint8_t *)vals[i].s >= p &&
				  (const uint8_t *)vals[i].s + vals[i].n <= p + len);
	}
}

/* A stored value that unpacks packs back to bytes that unpack the same. */
static void check_stored(const struct kt_val *v)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct kt_val w;
	struct kt_err err;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	kt_val_pack(&pk, v);
	kt_assert(kt_val_unpack((const uint8_t *)sb.data, sb.size, &w, &err) == 0);
	kt_assert(w.t == v->t && w.i == v->i && w.n == v->n);
	kt_assert(w.n == 0 || memcmp(w.s, v->s, w.n) == 0);
	msgpack_sbuffer_destroy(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kt_change c;
	static struct kt_val vals[KT_OPS_MAX];
	struct kt_err err;
	struct kt_val v;

	kt_crypto_init();
	if (kt_change_decode(&c, data, size, &err) == 0) {
		uint8_t *plain = malloc(c.payload_len);
		int rc;

		check_decoded(&c, data, size);
		rc = kt_change_open(&c, key, plain, vals, &err);
		kt_assert(rc == 0 || rc == KT_ECRYPTO || rc == KT_ECORRUPT || rc == KT_ETOOBIG);
		if (rc == 0)
			check_values(vals, kt_change_nvalues(&c), plain,
				     c.payload_len - KT_SEAL_OVERHEAD);
		free(plain);
	}
	if (kt_values_decode(data, size, vals, 3, &err) == 0)
		check_values(vals, 3, data, size);
	if (kt_val_unpack(data, size, &v, &err) == 0) {
		kt_assert(v.t <= KT_V_BIN);
		if (v.t == KT_V_STR || v.t == KT_V_BIN)
			kt_assert((const uint8_t *)v.s + v.n == data + size);
		check_stored(&v);
	}
	return 0;
}
