/*
 * stub.h - a redacted change: what stays of a change once its client is
 * erased (PROTOCOL.md, "A stub").  It keeps what the hash chains and the
 * origins' signatures need -- origin, seq, clock, type, owner, prev and the
 * change's own hash -- and none of its ops or payload, so every chain still
 * verifies while her values, her KEY op and her blind tokens are gone.
 *
 * Bytes (msgpack, one canonical form, KT_STUB_BYTES long):
 *
 *   stub = array(8) [ 2 (stub format): fixint,
 *                     origin: uint64, seq: uint64, hlc: uint64 (each 0xcf + 8 bytes BE),
 *                     type: uint8 (0xcc + 1 byte),
 *                     owner: bin8(16), prev: bin8(32), hash: bin8(32) ]
 *
 * A change begins with 0x92 (array of 2) and a stub with 0x98 (array of 8),
 * so one byte tells a log entry's kind.  A replica takes a stub's hash from
 * the stub (the bytes it was made from are gone) and checks its prev against
 * the hash it holds before it, as for a change.
 */
#ifndef KT_STUB_H
#define KT_STUB_H

#include "change.h"

#define KT_STUB_FORMAT 2
#define KT_STUB_BYTES 117

/* Whether p[0..n) is shaped as a stub (its first byte); kt_stub_decode checks the rest. */
int kt_stub_is(const uint8_t *p, size_t n);

/*
 * Writes the stub of change c, whose hash is hash, into out (KT_STUB_BYTES).
 * c needs only origin, seq, hlc, type, owner and prev.
 */
void kt_stub_encode(const struct kt_change *c, const uint8_t hash[KT_HASH_BYTES],
		    uint8_t out[KT_STUB_BYTES]);

/*
 * Decodes the stub in p[0..n) into *c (origin, seq, hlc, type, owner, prev;
 * no ops, id zero, header and payload NULL) and its hash into hash.  Every
 * size is checked: exactly KT_STUB_BYTES in the one form above, format 2,
 * origin non-zero, seq in 1..2^48-1, type non-zero.  0 or KT_ECORRUPT.
 */
int kt_stub_decode(struct kt_change *c, uint8_t hash[KT_HASH_BYTES], const uint8_t *p, size_t n,
		   struct kt_err *err);

/* Whether a decoded entry is a stub (kt_stub_decode leaves header NULL; a change never does). */
static inline int kt_change_is_stub(const struct kt_change *c)
{
	return c->header == NULL;
}

/*
 * A log entry, a change or a stub: decoded into *c with its hash (the
 * BLAKE2b of a change's bytes; a stub's own).  0 or an error code.
 */
int kt_entry_decode(struct kt_change *c, uint8_t hash[KT_HASH_BYTES], const uint8_t *p, size_t n,
		    struct kt_err *err);

/*
 * The hash of a log entry: a stub's own (when it decodes), else BLAKE2b of
 * the bytes.  For checks that compare hashes without decoding.
 */
void kt_entry_hash(uint8_t hash[KT_HASH_BYTES], const uint8_t *p, size_t n);

#endif
