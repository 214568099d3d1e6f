/*
 * id.h - record ids (ULID layout) and node ids.
 *
 * A record id is 16 bytes: 48 bits of Unix time in ms, big-endian, then 80
 * random bits.  Byte order is time order, so LMDB keys on ids are roughly
 * append-ordered.  It is shown as 26 Crockford base32 characters
 * ("01JD3Q5ZK8W6T9V2M4N7P0R1S3"); parsing accepts lower case and the
 * Crockford aliases (I, L -> 1; O -> 0) and rejects anything else.
 *
 * A node id is a random non-zero u64, shown as 16 lower-case hex digits.
 */
#ifndef KT_ID_H
#define KT_ID_H

#include <stdint.h>
#include <stddef.h>

#define KT_ID_BYTES 16
#define KT_ID_TEXT_BYTES 27 /* 26 characters and the NUL */

struct kt_id {
	uint8_t b[KT_ID_BYTES];
};

/* Makes a new id for time ms (Unix ms) with fresh random bits. */
void kt_id_new(struct kt_id *id, uint64_t ms);

/* Writes the 26-character text form and a NUL to out. */
void kt_id_format(const struct kt_id *id, char out[KT_ID_TEXT_BYTES]);

/* Parses a text id; returns 0, or -1 when s is not exactly a valid id. */
int kt_id_parse(struct kt_id *id, const char *s);

/* Returns 1 when every byte is zero (the "no id" value). */
int kt_id_is_zero(const struct kt_id *id);

/* memcmp order, which is time order. */
int kt_id_cmp(const struct kt_id *a, const struct kt_id *b);

/* The ms timestamp of the id. */
uint64_t kt_id_ms(const struct kt_id *id);

/* A random non-zero node id. */
uint64_t kt_node_id_new(void);

/* Big-endian helpers for keys and wire formats. */
void kt_be64_put(uint8_t *p, uint64_t v);
uint64_t kt_be64_get(const uint8_t *p);
void kt_be16_put(uint8_t *p, uint16_t v);
uint16_t kt_be16_get(const uint8_t *p);
void kt_be32_put(uint8_t *p, uint32_t v);
uint32_t kt_be32_get(const uint8_t *p);

#endif
