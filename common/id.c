/* id.c - ULID-layout record ids in Crockford base32, and node ids. */
#include "id.h"

#include <string.h>
#include <sodium.h>
#include "crypto.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void kt_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t kt_be64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

void kt_be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t kt_be16_get(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

void kt_be32_put(uint8_t *p, uint32_t v)
{
	kt_be16_put(p, (uint16_t)(v >> 16));
	kt_be16_put(p + 2, (uint16_t)v);
}

uint32_t kt_be32_get(const uint8_t *p)
{
	return (uint32_t)kt_be16_get(p) << 16 | kt_be16_get(p + 2);
}

void kt_id_new(struct kt_id *id, uint64_t ms)
{
	uint8_t t[8];

	kt_be64_put(t, ms);
	memcpy(id->b, t + 2, 6);
	kt_random(id->b + 6, 10);
}

/*
 * 128 bits as 26 base32 digits: the first digit carries the top 3 bits
 * (26 * 5 = 130), so the bits are read as if two zero bits led the id.
 */
void kt_id_format(const struct kt_id *id, char out[KT_ID_TEXT_BYTES])
{
	for (int i = 0; i < 26; i++) {
		int bit = i * 5 - 2; /* position of this digit's first bit */
		unsigned v = 0;

		for (int k = 0; k < 5; k++, bit++) {
			v <<= 1;
			if (bit >= 0)
				v |= (id->b[bit / 8] >> (7 - bit % 8)) & 1;
		}
		out[i] = crockford[v];
	}
	out[26] = '\0';
}

static int digit_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'I' || c == 'L')
		c = '1';
	if (c == 'O')
		c = '0';
	for (int i = 0; i < 32; i++)
		if (crockford[i] == c)
			return i;
	return -1;
}

int kt_id_parse(struct kt_id *id, const char *s)
{
	int bit = -2;

	if (s == NULL || strlen(s) != 26)
		return -1;
	memset(id->b, 0, sizeof(id->b));
	for (int i = 0; i < 26; i++) {
		int v = digit_value(s[i]);

		if (v < 0)
			return -1;
		if (i == 0 && v > 7)
			return -1; /* would overflow 128 bits */
		for (int k = 4; k >= 0; k--, bit++)
			if (bit >= 0 && ((v >> k) & 1))
				id->b[bit / 8] |= (uint8_t)(1u << (7 - bit % 8));
	}
	return 0;
}

int kt_id_is_zero(const struct kt_id *id)
{
	static const uint8_t zero[KT_ID_BYTES];

	return memcmp(id->b, zero, KT_ID_BYTES) == 0;
}

int kt_id_cmp(const struct kt_id *a, const struct kt_id *b)
{
	return memcmp(a->b, b->b, KT_ID_BYTES);
}

uint64_t kt_id_ms(const struct kt_id *id)
{
	uint8_t t[8] = {0};

	memcpy(t + 2, id->b, 6);
	return kt_be64_get(t);
}

uint64_t kt_node_id_new(void)
{
	uint64_t v;

	do
		randombytes_buf(&v, sizeof(v));
	while (v == 0);
	return v;
}
