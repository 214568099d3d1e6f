/* merge.c - the merge rules (see merge.h). */
#include "merge.h"

#include <string.h>
#include <sodium.h>

_Static_assert(sizeof(crypto_generichash_state) <= sizeof(((struct kt_digest *)0)->st),
	       "digest state");

enum kt_lww_result kt_merge_lww(const struct kt_version *cur, const struct kt_version *in)
{
	int c;

	if (cur == NULL)
		return KT_LWW_WIN;
	c = kt_version_cmp(in, cur);
	if (c == 0)
		return KT_LWW_SAME;
	return c > 0 ? KT_LWW_WIN : KT_LWW_LOSE;
}

enum kt_lww_result kt_merge_once(const struct kt_version *cur, const struct kt_version *in)
{
	int c;

	if (cur == NULL)
		return KT_LWW_WIN;
	c = kt_version_cmp(in, cur);
	if (c == 0)
		return KT_LWW_SAME;
	return c < 0 ? KT_LWW_WIN : KT_LWW_LOSE;
}

int kt_merge_is_conflict(const struct kt_version *a, const struct kt_version *a_base,
			 const struct kt_version *b, const struct kt_version *b_base)
{
	if (kt_version_cmp(a, b) == 0)
		return 0;
	return kt_version_cmp(a_base, b) < 0 && kt_version_cmp(b_base, a) < 0;
}

enum kt_elem kt_merge_elem_add(enum kt_elem cur)
{
	return cur == KT_ELEM_REMOVED ? KT_ELEM_REMOVED : KT_ELEM_LIVE;
}

enum kt_elem kt_merge_elem_del(enum kt_elem cur)
{
	(void)cur;
	return KT_ELEM_REMOVED;
}

static crypto_generichash_state *hs(struct kt_digest *d)
{
	return (crypto_generichash_state *)(void *)d->st;
}

static void feed(struct kt_digest *d, uint8_t kind, const void *a, size_t n)
{
	crypto_generichash_update(hs(d), &kind, 1);
	crypto_generichash_update(hs(d), a, n);
}

void kt_digest_init(struct kt_digest *d)
{
	memset(d, 0, sizeof(*d));
	crypto_generichash_init(hs(d), NULL, 0, KT_HASH_BYTES);
}

void kt_digest_record(struct kt_digest *d, const struct kt_id *id, uint8_t type,
		      const struct kt_id *owner)
{
	uint8_t b[KT_ID_BYTES * 2 + 1];

	memcpy(b, id->b, KT_ID_BYTES);
	b[KT_ID_BYTES] = type;
	memcpy(b + KT_ID_BYTES + 1, owner->b, KT_ID_BYTES);
	feed(d, 'R', b, sizeof(b));
}

static size_t put_version(uint8_t *b, const struct kt_version *v)
{
	kt_be64_put(b, v->hlc);
	kt_be64_put(b + 8, v->origin);
	return 16;
}

void kt_digest_lww(struct kt_digest *d, const struct kt_id *id, uint16_t field,
		   const struct kt_version *v)
{
	uint8_t b[KT_ID_BYTES + 2 + 16];

	memcpy(b, id->b, KT_ID_BYTES);
	kt_be16_put(b + KT_ID_BYTES, field);
	put_version(b + KT_ID_BYTES + 2, v);
	feed(d, 'F', b, sizeof(b));
}

void kt_digest_elem(struct kt_digest *d, const struct kt_id *id, uint16_t field,
		    const uint8_t tag[KT_TAG_BYTES_SET], enum kt_elem state)
{
	uint8_t b[KT_ID_BYTES + 2 + KT_TAG_BYTES_SET + 1];

	memcpy(b, id->b, KT_ID_BYTES);
	kt_be16_put(b + KT_ID_BYTES, field);
	memcpy(b + KT_ID_BYTES + 2, tag, KT_TAG_BYTES_SET);
	b[sizeof(b) - 1] = (uint8_t)state;
	feed(d, 'E', b, sizeof(b));
}

void kt_digest_alias(struct kt_digest *d, const struct kt_id *id, const struct kt_id *target,
		     const struct kt_version *v)
{
	uint8_t b[KT_ID_BYTES * 2 + 16];

	memcpy(b, id->b, KT_ID_BYTES);
	memcpy(b + KT_ID_BYTES, target->b, KT_ID_BYTES);
	put_version(b + 2 * KT_ID_BYTES, v);
	feed(d, 'A', b, sizeof(b));
}

void kt_digest_shred(struct kt_digest *d, const struct kt_id *client)
{
	feed(d, 'S', client->b, KT_ID_BYTES);
}

void kt_digest_final(struct kt_digest *d, uint8_t out[KT_HASH_BYTES])
{
	crypto_generichash_final(hs(d), out, KT_HASH_BYTES);
}
