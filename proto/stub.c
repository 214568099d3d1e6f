/* stub.c - the redacted change's codec (layout in stub.h and PROTOCOL.md). */
#include "stub.h"

#include <string.h>

/* Offsets of the fields in the one form a stub has. */
enum {
	AT_FORMAT = 1,
	AT_ORIGIN = 2,  /* 0xcf + 8 */
	AT_SEQ = 11,    /* 0xcf + 8 */
	AT_HLC = 20,    /* 0xcf + 8 */
	AT_TYPE = 29,   /* 0xcc + 1 */
	AT_OWNER = 31,  /* 0xc4 16 + 16 */
	AT_PREV = 49,   /* 0xc4 32 + 32 */
	AT_HASH = 83,   /* 0xc4 32 + 32 */
};

int kt_stub_is(const uint8_t *p, size_t n)
{
	return n >= 1 && p[0] == 0x98;
}

static void put_u64(uint8_t *b, uint64_t x)
{
	b[0] = 0xcf;
	kt_be64_put(b + 1, x);
}

static void put_bin(uint8_t *b, const uint8_t *p, uint8_t n)
{
	b[0] = 0xc4;
	b[1] = n;
	memcpy(b + 2, p, n);
}

void kt_stub_encode(const struct kt_change *c, const uint8_t hash[KT_HASH_BYTES],
		    uint8_t out[KT_STUB_BYTES])
{
	out[0] = 0x98;
	out[AT_FORMAT] = KT_STUB_FORMAT;
	put_u64(out + AT_ORIGIN, c->origin);
	put_u64(out + AT_SEQ, c->seq);
	put_u64(out + AT_HLC, c->hlc);
	out[AT_TYPE] = 0xcc;
	out[AT_TYPE + 1] = c->type;
	put_bin(out + AT_OWNER, c->owner.b, KT_ID_BYTES);
	put_bin(out + AT_PREV, c->prev, KT_HASH_BYTES);
	put_bin(out + AT_HASH, hash, KT_HASH_BYTES);
}

/* Whether the type bytes of every field are the one form's. */
static int shaped(const uint8_t *p)
{
	return p[0] == 0x98 && p[AT_FORMAT] == KT_STUB_FORMAT && p[AT_ORIGIN] == 0xcf &&
	       p[AT_SEQ] == 0xcf && p[AT_HLC] == 0xcf && p[AT_TYPE] == 0xcc &&
	       p[AT_OWNER] == 0xc4 && p[AT_OWNER + 1] == KT_ID_BYTES &&
	       p[AT_PREV] == 0xc4 && p[AT_PREV + 1] == KT_HASH_BYTES &&
	       p[AT_HASH] == 0xc4 && p[AT_HASH + 1] == KT_HASH_BYTES;
}

int kt_stub_decode(struct kt_change *c, uint8_t hash[KT_HASH_BYTES], const uint8_t *p, size_t n,
		   struct kt_err *err)
{
	if (n != KT_STUB_BYTES || !shaped(p))
		return kt_err_set(err, KT_ECORRUPT, "a redacted change is not in its one form");
	memset(c, 0, offsetof(struct kt_change, ops));
	c->origin = kt_be64_get(p + AT_ORIGIN + 1);
	c->seq = kt_be64_get(p + AT_SEQ + 1);
	c->hlc = kt_be64_get(p + AT_HLC + 1);
	c->type = p[AT_TYPE + 1];
	if (c->origin == 0 || c->seq == 0 || c->seq >= (1ull << 48) || c->type == 0)
		return kt_err_set(err, KT_ECORRUPT, "bad origin, seq or type in a redacted change");
	memcpy(c->owner.b, p + AT_OWNER + 2, KT_ID_BYTES);
	memcpy(c->prev, p + AT_PREV + 2, KT_HASH_BYTES);
	memcpy(hash, p + AT_HASH + 2, KT_HASH_BYTES);
	c->nops = 0;
	c->header = NULL;
	c->header_len = 0;
	c->payload = NULL;
	c->payload_len = 0;
	return 0;
}

int kt_entry_decode(struct kt_change *c, uint8_t hash[KT_HASH_BYTES], const uint8_t *p, size_t n,
		    struct kt_err *err)
{
	int rc;

	if (kt_stub_is(p, n))
		return kt_stub_decode(c, hash, p, n, err);
	if ((rc = kt_change_decode(c, p, n, err)) != 0)
		return rc;
	kt_hash(hash, p, n);
	return 0;
}

void kt_entry_hash(uint8_t hash[KT_HASH_BYTES], const uint8_t *p, size_t n)
{
	if (n == KT_STUB_BYTES && shaped(p)) {
		memcpy(hash, p + AT_HASH + 2, KT_HASH_BYTES);
		return;
	}
	kt_hash(hash, p, n);
}
