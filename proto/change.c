/* change.c - encode and decode changes (layout in change.h). */
#include "change.h"
#include "mp.h"

#include <string.h>
#include <sodium.h>

int kt_version_cmp(const struct kt_version *a, const struct kt_version *b)
{
	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	if (a->origin != b->origin)
		return a->origin < b->origin ? -1 : 1;
	return 0;
}

void kt_tag_make(uint8_t tag[KT_TAG_BYTES_SET], uint64_t origin, uint64_t seq, uint32_t i)
{
	kt_be64_put(tag, origin);
	kt_be64_put(tag + 8, (seq << 16) | (i & 0xffff));
}

uint32_t kt_change_nvalues(const struct kt_change *c)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->nops; i++)
		if (c->ops[i].kind == KT_OP_SET || c->ops[i].kind == KT_OP_ADD)
			n++;
	return n;
}

void kt_val_pack(msgpack_packer *pk, const struct kt_val *v)
{
	switch (v->t) {
	case KT_V_BOOL:
		if (v->i)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case KT_V_INT:
		msgpack_pack_int64(pk, v->i);
		break;
	case KT_V_STR:
		msgpack_pack_str_with_body(pk, v->s, v->n);
		break;
	case KT_V_BIN:
		msgpack_pack_bin_with_body(pk, v->s, v->n);
		break;
	default:
		msgpack_pack_nil(pk);
		break;
	}
}

static void pack_op(msgpack_packer *pk, const struct kt_op *op)
{
	switch (op->kind) {
	case KT_OP_SET:
		msgpack_pack_array(pk, 4);
		break;
	case KT_OP_ALIAS:
		msgpack_pack_array(pk, 5);
		break;
	case KT_OP_DEL: case KT_OP_KEY: case KT_OP_TOKEN:
		msgpack_pack_array(pk, 3);
		break;
	default:
		msgpack_pack_array(pk, 2);
		break;
	}
	msgpack_pack_uint16(pk, op->field);
	msgpack_pack_uint8(pk, op->kind);
	if (op->kind == KT_OP_SET || op->kind == KT_OP_ALIAS) {
		msgpack_pack_uint64(pk, op->base.hlc);
		msgpack_pack_uint64(pk, op->base.origin);
	}
	if (op->kind == KT_OP_DEL || op->kind == KT_OP_KEY || op->kind == KT_OP_TOKEN
	    || op->kind == KT_OP_ALIAS)
		msgpack_pack_bin_with_body(pk, op->arg, op->arg_len);
}

static void pack_header(msgpack_packer *pk, const struct kt_change *c)
{
	msgpack_pack_array(pk, 10);
	msgpack_pack_uint8(pk, KT_CHANGE_FORMAT);
	msgpack_pack_uint64(pk, c->origin);
	msgpack_pack_uint64(pk, c->seq);
	msgpack_pack_uint64(pk, c->hlc);
	msgpack_pack_uint8(pk, c->type);
	msgpack_pack_bin_with_body(pk, c->id.b, KT_ID_BYTES);
	msgpack_pack_bin_with_body(pk, c->owner.b, KT_ID_BYTES);
	msgpack_pack_bin_with_body(pk, c->prev, KT_HASH_BYTES);
	msgpack_pack_array(pk, c->nops);
	for (uint32_t i = 0; i < c->nops; i++)
		pack_op(pk, &c->ops[i]);
	msgpack_pack_uint8(pk, 0);
}

/* The argument length an op of this kind carries (0: none, or DEL's any). */
static uint32_t arg_bytes(uint8_t kind)
{
	switch (kind) {
	case KT_OP_ALIAS: return KT_ID_BYTES;
	case KT_OP_KEY: return KT_WRAPPED_KEY_BYTES;
	case KT_OP_TOKEN: return KT_TOKEN_BYTES;
	default: return 0;
	}
}

/*
 * Refuses what kt_change_decode() and kt_change_open() would refuse.  A
 * change goes into its origin's hash chain as soon as it is written, so one
 * that other replicas cannot decode would stop that origin's replication
 * for good.
 */
static int check_encodable(const struct kt_change *c, const struct kt_val *vals,
			   uint32_t nv, struct kt_err *err)
{
	if (c->origin == 0 || c->seq == 0 || c->seq >= (1ull << 48) || c->type == 0)
		return kt_err_set(err, KT_EINVAL, "change origin, seq or type out of range");
	for (uint32_t i = 0; i < c->nops; i++) {
		const struct kt_op *op = &c->ops[i];

		if (op->kind < KT_OP_SET || op->kind > KT_OP_TOKEN ||
		    (op->kind == KT_OP_ALIAS && op->field != KT_F_ALIAS))
			return kt_err_set(err, KT_EINVAL, "bad op kind %u for field %u",
					  op->kind, op->field);
		if (op->kind == KT_OP_DEL &&
		    (op->arg_len == 0 || op->arg_len % KT_TAG_BYTES_SET != 0 ||
		     op->arg_len / KT_TAG_BYTES_SET > KT_DEL_TAGS_MAX))
			return kt_err_set(err, KT_ETOOBIG, "remove of %u bytes of tags is "
					  "empty or over the limit of %d tags", op->arg_len,
					  KT_DEL_TAGS_MAX);
		if (arg_bytes(op->kind) != 0 && op->arg_len != arg_bytes(op->kind))
			return kt_err_set(err, KT_EINVAL, "op argument of %u bytes for kind %u",
					  op->arg_len, op->kind);
	}
	for (uint32_t i = 0; i < nv; i++)
		if ((vals[i].t == KT_V_STR || vals[i].t == KT_V_BIN) &&
		    vals[i].n > KT_VALUE_BYTES_MAX)
			return kt_err_set(err, KT_ETOOBIG, "value of %u bytes is over the limit "
					  "of %d", vals[i].n, KT_VALUE_BYTES_MAX);
	return 0;
}

int kt_change_encode(const struct kt_change *c, const struct kt_val *vals,
		     const uint8_t dk[KT_KEY_BYTES], msgpack_sbuffer *out,
		     struct kt_err *err)
{
	msgpack_sbuffer hdr, plain;
	msgpack_packer pk;
	uint32_t nv = kt_change_nvalues(c);
	uint8_t *sealed;
	size_t slen;
	int rc = 0;

	kt_assert(c->nops <= KT_OPS_MAX);
	if ((rc = check_encodable(c, vals, nv, err)) != 0)
		return rc;
	msgpack_sbuffer_init(&hdr);
	msgpack_sbuffer_init(&plain);
	msgpack_packer_init(&pk, &hdr, msgpack_sbuffer_write);
	pack_header(&pk, c);
	msgpack_packer_init(&pk, &plain, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, nv + (c->has_by != 0));
	for (uint32_t i = 0; i < nv; i++)
		kt_val_pack(&pk, &vals[i]);
	if (c->has_by)
		msgpack_pack_bin_with_body(&pk, c->by.b, KT_ID_BYTES);
	slen = plain.size + KT_SEAL_OVERHEAD;
	if (hdr.size > KT_HEADER_BYTES_MAX || hdr.size + slen + 16 > KT_CHANGE_BYTES_MAX) {
		rc = kt_err_set(err, KT_ETOOBIG, "change of %zu bytes is over the limit",
				hdr.size + slen);
		goto done;
	}
	sealed = kt_malloc(slen);
	kt_seal(sealed, (const uint8_t *)plain.data, plain.size,
		(const uint8_t *)hdr.data, hdr.size, dk);
	msgpack_sbuffer_clear(out);
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_bin_with_body(&pk, hdr.data, hdr.size);
	msgpack_pack_bin_with_body(&pk, sealed, slen);
	free(sealed);
done:
	sodium_memzero(plain.data, plain.size);
	msgpack_sbuffer_destroy(&hdr);
	msgpack_sbuffer_destroy(&plain);
	return rc;
}

static int get_u64(const msgpack_object *o, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*v = o->via.u64;
	return 0;
}

static int get_bin(const msgpack_object *o, uint32_t want, const uint8_t **p, uint32_t *n)
{
	if (o->type != MSGPACK_OBJECT_BIN)
		return -1;
	if (want && o->via.bin.size != want)
		return -1;
	*p = (const uint8_t *)o->via.bin.ptr;
	*n = o->via.bin.size;
	return 0;
}

/* Expected op array size and argument length for each kind. */
static int decode_op(struct kt_op *op, const msgpack_object *o, struct kt_err *err)
{
	const msgpack_object *a;
	uint64_t f, k;
	uint32_t sz, want_arg = 0;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 2)
		return kt_err_set(err, KT_ECORRUPT, "change op is not an array of 2 or more");
	a = o->via.array.ptr;
	sz = o->via.array.size;
	if (get_u64(&a[0], &f) || f > 0xffff || get_u64(&a[1], &k))
		return kt_err_set(err, KT_ECORRUPT, "change op has a bad field or kind");
	memset(op, 0, sizeof(*op));
	op->field = (uint16_t)f;
	op->kind = (uint8_t)k;
	switch (k) {
	case KT_OP_SET:
		if (sz != 4 || get_u64(&a[2], &op->base.hlc) || get_u64(&a[3], &op->base.origin))
			return kt_err_set(err, KT_ECORRUPT, "bad set op");
		return 0;
	case KT_OP_ADD: case KT_OP_SHRED:
		if (sz != 2)
			return kt_err_set(err, KT_ECORRUPT, "bad add or shred op");
		return 0;
	case KT_OP_ALIAS:
		if (sz != 5 || f != KT_F_ALIAS || get_u64(&a[2], &op->base.hlc) ||
		    get_u64(&a[3], &op->base.origin) ||
		    get_bin(&a[4], KT_ID_BYTES, &op->arg, &op->arg_len))
			return kt_err_set(err, KT_ECORRUPT, "bad alias op");
		return 0;
	case KT_OP_DEL:
		if (sz != 3 || get_bin(&a[2], 0, &op->arg, &op->arg_len) ||
		    op->arg_len == 0 || op->arg_len % KT_TAG_BYTES_SET != 0 ||
		    op->arg_len / KT_TAG_BYTES_SET > KT_DEL_TAGS_MAX)
			return kt_err_set(err, KT_ECORRUPT, "bad remove op");
		return 0;
	case KT_OP_KEY:
		want_arg = KT_WRAPPED_KEY_BYTES;
		break;
	case KT_OP_TOKEN:
		want_arg = KT_TOKEN_BYTES;
		break;
	default:
		return kt_err_set(err, KT_ECORRUPT, "unknown op kind %llu", (unsigned long long)k);
	}
	if (sz != 3 || get_bin(&a[2], want_arg, &op->arg, &op->arg_len))
		return kt_err_set(err, KT_ECORRUPT, "bad key or token op");
	return 0;
}

static int decode_header(struct kt_change *c, const msgpack_object *h, struct kt_err *err)
{
	const msgpack_object *a;
	const uint8_t *p;
	uint32_t n;
	uint64_t fmt, type;
	int rc;

	if (h->type != MSGPACK_OBJECT_ARRAY || h->via.array.size != 10)
		return kt_err_set(err, KT_ECORRUPT, "change header is not an array of 10");
	a = h->via.array.ptr;
	if (get_u64(&a[0], &fmt) || fmt != KT_CHANGE_FORMAT)
		return kt_err_set(err, KT_ECORRUPT, "unknown change format");
	if (get_u64(&a[1], &c->origin) || c->origin == 0 || get_u64(&a[2], &c->seq) ||
	    c->seq == 0 || c->seq >= (1ull << 48) || get_u64(&a[3], &c->hlc) ||
	    get_u64(&a[4], &type) || type == 0 || type > 255)
		return kt_err_set(err, KT_ECORRUPT, "bad change origin, seq, clock or type");
	c->type = (uint8_t)type;
	if (get_bin(&a[5], KT_ID_BYTES, &p, &n))
		return kt_err_set(err, KT_ECORRUPT, "bad record id");
	memcpy(c->id.b, p, KT_ID_BYTES);
	if (get_bin(&a[6], KT_ID_BYTES, &p, &n))
		return kt_err_set(err, KT_ECORRUPT, "bad owner id");
	memcpy(c->owner.b, p, KT_ID_BYTES);
	if (get_bin(&a[7], KT_HASH_BYTES, &p, &n))
		return kt_err_set(err, KT_ECORRUPT, "bad previous hash");
	memcpy(c->prev, p, KT_HASH_BYTES);
	if (a[8].type != MSGPACK_OBJECT_ARRAY || a[8].via.array.size > KT_OPS_MAX)
		return kt_err_set(err, KT_ECORRUPT, "bad op list");
	c->nops = a[8].via.array.size;
	for (uint32_t i = 0; i < c->nops; i++)
		if ((rc = decode_op(&c->ops[i], &a[8].via.array.ptr[i], err)) != 0)
			return rc;
	return 0;
}

/*
 * Reads one msgpack bin at p[*off..n): its bytes in *b, *len.  The
 * envelope [header, payload] is two bins in a fixarray, read here without
 * unpacking: the bytes are the change's, checked against n, never trusted.
 */
static int read_bin(const uint8_t *p, size_t n, size_t *off, const uint8_t **b, size_t *len)
{
	size_t k = *off, lb, v = 0;

	if (k >= n)
		return -1;
	switch (p[k++]) {
	case 0xc4: lb = 1; break;
	case 0xc5: lb = 2; break;
	case 0xc6: lb = 4; break;
	default: return -1;
	}
	if (n - k < lb)
		return -1;
	for (size_t i = 0; i < lb; i++)
		v = (v << 8) | p[k++];
	if (n - k < v)
		return -1;
	*b = p + k;
	*len = v;
	*off = k + v;
	return 0;
}

/* One zone per thread, kept: a change decodes without a malloc. */
static _Thread_local msgpack_zone *zone;

void kt_change_thread_done(void)
{
	if (zone != NULL)
		msgpack_zone_free(zone);
	zone = NULL;
}

int kt_change_decode(struct kt_change *c, const uint8_t *p, size_t n, struct kt_err *err)
{
	msgpack_object h;
	size_t off = 1;
	int rc;

	c->has_by = 0; /* the author is inside the seal: kt_change_open_by */
	if (n > KT_CHANGE_BYTES_MAX)
		return kt_err_set(err, KT_ETOOBIG, "change of %zu bytes is over the limit", n);
	if (n < 1 || p[0] != 0x92 || read_bin(p, n, &off, &c->header, &c->header_len) != 0 ||
	    read_bin(p, n, &off, &c->payload, &c->payload_len) != 0 || off != n)
		return kt_err_set(err, KT_ECORRUPT, "change is not [header, payload]");
	if (c->header_len > KT_HEADER_BYTES_MAX || c->payload_len < KT_SEAL_OVERHEAD)
		return kt_err_set(err, KT_ECORRUPT, "change header or payload size out of range");
	if (zone == NULL && (zone = msgpack_zone_new(1024)) == NULL)
		return kt_err_set(err, KT_EIO, "out of memory");
	if ((rc = kt_mp_unpack(c->header, c->header_len, zone, &h, err)) == 0)
		rc = decode_header(c, &h, err);
	msgpack_zone_clear(zone);
	return rc;
}

/*
 * msgpack-c leaves the pointer of an empty str or bin NULL; values never
 * carry a NULL pointer, so callers may memcpy or print them as they are.
 */
static const char *body(const char *p)
{
	return p != NULL ? p : "";
}

static int obj_to_val(const msgpack_object *o, struct kt_val *v, struct kt_err *err)
{
	memset(v, 0, sizeof(*v));
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		v->t = KT_V_NIL;
		return 0;
	case MSGPACK_OBJECT_BOOLEAN:
		v->t = KT_V_BOOL;
		v->i = o->via.boolean;
		return 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			break;
		v->t = KT_V_INT;
		v->i = (int64_t)o->via.u64;
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v->t = KT_V_INT;
		v->i = o->via.i64;
		return 0;
	case MSGPACK_OBJECT_STR:
		if (o->via.str.size > KT_VALUE_BYTES_MAX)
			return kt_err_set(err, KT_ETOOBIG, "value over %d bytes", KT_VALUE_BYTES_MAX);
		v->t = KT_V_STR;
		v->s = body(o->via.str.ptr);
		v->n = o->via.str.size;
		return 0;
	case MSGPACK_OBJECT_BIN:
		if (o->via.bin.size > KT_VALUE_BYTES_MAX)
			return kt_err_set(err, KT_ETOOBIG, "value over %d bytes", KT_VALUE_BYTES_MAX);
		v->t = KT_V_BIN;
		v->s = body(o->via.bin.ptr);
		v->n = o->via.bin.size;
		return 0;
	default:
		break;
	}
	return kt_err_set(err, KT_ECORRUPT, "value of an unsupported type");
}

int kt_values_decode(const uint8_t *p, size_t n, struct kt_val *vals, uint32_t want,
		     struct kt_err *err)
{
	return kt_values_decode_by(p, n, vals, want, NULL, NULL, err);
}

int kt_values_decode_by(const uint8_t *p, size_t n, struct kt_val *vals, uint32_t want,
			struct kt_id *by, int *has_by, struct kt_err *err)
{
	msgpack_zone zone;
	msgpack_object o;
	int rc;

	if (has_by != NULL)
		*has_by = 0;
	msgpack_zone_init(&zone, 1024);
	if ((rc = kt_mp_unpack(p, n, &zone, &o, err)) != 0)
		goto done;
	if (o.type != MSGPACK_OBJECT_ARRAY ||
	    (o.via.array.size != want && o.via.array.size != want + 1)) {
		rc = kt_err_set(err, KT_ECORRUPT, "payload holds the wrong number of values");
		goto done;
	}
	for (uint32_t i = 0; i < want && rc == 0; i++)
		rc = obj_to_val(&o.via.array.ptr[i], &vals[i], err);
	if (rc == 0 && o.via.array.size == want + 1) {
		const msgpack_object *a = &o.via.array.ptr[want];

		if (a->type != MSGPACK_OBJECT_BIN || a->via.bin.size != KT_ID_BYTES) {
			rc = kt_err_set(err, KT_ECORRUPT, "payload names a bad author");
			goto done;
		}
		if (by != NULL)
			memcpy(by->b, a->via.bin.ptr, KT_ID_BYTES);
		if (has_by != NULL)
			*has_by = 1;
	}
done:
	msgpack_zone_destroy(&zone);
	return rc;
}

int kt_change_open(const struct kt_change *c, const uint8_t dk[KT_KEY_BYTES],
		   uint8_t *plain, struct kt_val *vals, struct kt_err *err)
{
	return kt_change_open_by(c, dk, plain, vals, NULL, NULL, err);
}

int kt_change_open_by(const struct kt_change *c, const uint8_t dk[KT_KEY_BYTES],
		      uint8_t *plain, struct kt_val *vals, struct kt_id *by, int *has_by,
		      struct kt_err *err)
{
	int rc;

	rc = kt_open(plain, c->payload, c->payload_len, c->header, c->header_len, dk, err);
	if (rc != 0)
		return rc;
	return kt_values_decode_by(plain, c->payload_len - KT_SEAL_OVERHEAD, vals,
				   kt_change_nvalues(c), by, has_by, err);
}

/*
 * A stored value is one msgpack scalar that we wrote ourselves; it is read
 * by hand because it is on the hot path of every show and find, and
 * checked all the same, since the disk is outside too.
 */
int kt_val_unpack(const uint8_t *p, size_t n, struct kt_val *v, struct kt_err *err)
{
	uint64_t len = 0, u = 0;
	size_t hdr = 1;
	uint8_t b;

	memset(v, 0, sizeof(*v));
	if (n == 0)
		return kt_err_set(err, KT_ECORRUPT, "empty stored value");
	b = p[0];
	if (b == 0xc0)
		return n == 1 ? 0 : kt_err_set(err, KT_ECORRUPT, "bad stored value");
	if (b == 0xc2 || b == 0xc3) {
		v->t = KT_V_BOOL;
		v->i = b == 0xc3;
		return n == 1 ? 0 : kt_err_set(err, KT_ECORRUPT, "bad stored value");
	}
	if (b <= 0x7f || b >= 0xe0) {
		v->t = KT_V_INT;
		v->i = (int8_t)b;
		if (b <= 0x7f)
			v->i = b;
		return n == 1 ? 0 : kt_err_set(err, KT_ECORRUPT, "bad stored value");
	}
	if ((b >= 0xcc && b <= 0xcf) || (b >= 0xd0 && b <= 0xd3)) {
		size_t k = (size_t)1 << ((b & 3));

		if (n != 1 + k)
			return kt_err_set(err, KT_ECORRUPT, "bad stored integer");
		for (size_t i = 0; i < k; i++)
			u = (u << 8) | p[1 + i];
		if (b == 0xcf && u > INT64_MAX)
			return kt_err_set(err, KT_ECORRUPT, "stored integer out of range");
		v->t = KT_V_INT;
		if (b >= 0xd0) /* signed: sign-extend from k bytes */
			v->i = k == 8 ? (int64_t)u : (int64_t)(u << (64 - 8 * k)) >> (64 - 8 * k);
		else
			v->i = (int64_t)u;
		return 0;
	}
	if ((b & 0xe0) == 0xa0) {
		len = b & 0x1f;
		v->t = KT_V_STR;
	} else if (b == 0xd9 || b == 0xc4) {
		hdr = 2;
	} else if (b == 0xda || b == 0xc5) {
		hdr = 3;
	} else if (b == 0xdb || b == 0xc6) {
		hdr = 5;
	} else {
		return kt_err_set(err, KT_ECORRUPT, "bad stored value type");
	}
	if (hdr > 1) {
		if (n < hdr)
			return kt_err_set(err, KT_ECORRUPT, "truncated stored value");
		for (size_t i = 1; i < hdr; i++)
			len = (len << 8) | p[i];
		v->t = (b == 0xc4 || b == 0xc5 || b == 0xc6) ? KT_V_BIN : KT_V_STR;
	}
	if (len != n - hdr)
		return kt_err_set(err, KT_ECORRUPT, "stored value length does not match");
	v->s = (const char *)p + hdr;
	v->n = (uint32_t)len;
	return 0;
}

int kt_change_above_base(const struct kt_change *c)
{
	for (uint32_t i = 0; i < c->nops; i++)
		if ((c->ops[i].kind == KT_OP_SET || c->ops[i].kind == KT_OP_ALIAS) &&
		    c->ops[i].base.hlc + 1 == c->hlc)
			return 1;
	return 0;
}
