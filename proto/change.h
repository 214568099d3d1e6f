/*
 * change.h - the change: the one unit of every write, local or replicated.
 *
 * Bytes of a change (msgpack; see proto/PROTOCOL.md for the full layout):
 *
 *   change  = array(2) [ header: bin, payload: bin ]
 *   header  = array(10) [ 1 (format), origin: uint, seq: uint, hlc: uint,
 *                         type: uint, id: bin16, owner: bin16, prev: bin32,
 *                         ops: array of op, 0 (reserved) ]
 *   op      = array [ field: uint, kind: uint, ...kind's arguments ]
 *     SET   [f, 1, base_hlc, base_origin]   LWW write; base = version overwritten
 *     ADD   [f, 2]                          set add; its tag is (origin, seq, op index)
 *     DEL   [f, 3, tags: bin(16 * n)]       set remove of the observed tags
 *     ALIAS [0xfff0, 4, base_hlc, base_origin, target: bin16]
 *                                           card merged into target (zero id: unmerged)
 *     SHRED [0, 5]                          erase the owning client everywhere
 *     KEY   [0, 6, wrapped: bin64]          the owner's data key, wrapped by the chain key
 *     TOKEN [0, 7, token: bin16]            blind index token (duplicate detection)
 *   payload = nonce(24) || XChaCha20-Poly1305(values, ad = header bytes)
 *   values  = array [ one value per SET and ADD op, in op order,
 *                     then the author: bin16, the staff account that wrote it ]
 *   (a change written before staff accounts has no author: the array ends
 *   with the values)
 *
 * The header is cleartext metadata the hub orders and merges on; names,
 * phones and health data only ever travel inside the payload.  The hash of
 * a change is BLAKE2b-256 over all its bytes; `prev` is the hash of the
 * origin's change seq - 1 (zeros for seq 1), so each origin's log is a hash
 * chain.
 */
#ifndef KT_CHANGE_H
#define KT_CHANGE_H

#include <stdint.h>
#include <stddef.h>
#include <limits.h>
#include <msgpack.h>
#include "err.h"
#include "id.h"
#include "crypto.h"
#include "schema.h"
#include "limits.h"

#define KT_CHANGE_FORMAT 1
#define KT_TAG_BYTES_SET 16

enum kt_opkind {
	KT_OP_SET = 1,
	KT_OP_ADD = 2,
	KT_OP_DEL = 3,
	KT_OP_ALIAS = 4,
	KT_OP_SHRED = 5,
	KT_OP_KEY = 6,
	KT_OP_TOKEN = 7,
};

/* A version: who wrote a value when.  Ordered by hlc, then origin. */
struct kt_version {
	uint64_t hlc;
	uint64_t origin;
};

struct kt_op {
	uint16_t field;
	uint8_t kind;
	struct kt_version base;  /* SET, ALIAS */
	const uint8_t *arg;      /* DEL tags, ALIAS target, KEY, TOKEN (borrowed) */
	uint32_t arg_len;
};

struct kt_change {
	uint64_t origin;
	uint64_t seq;
	uint64_t hlc;
	uint8_t type;
	struct kt_id id;
	struct kt_id owner;
	uint8_t prev[KT_HASH_BYTES];
	uint32_t nops;
	struct kt_op ops[KT_OPS_MAX];
	/*
	 * The staff account that wrote the change (has_by), sealed inside the
	 * payload after the values: read by encode; kt_change_open_by gives it.
	 */
	uint8_t has_by;
	struct kt_id by;
	/* Set by decode: the header bytes (the payload's ad) and the payload. */
	const uint8_t *header;
	size_t header_len;
	const uint8_t *payload;
	size_t payload_len;
};

int kt_version_cmp(const struct kt_version *a, const struct kt_version *b);

/*
 * Whether c is stamped just above a version one of its SET or ALIAS ops
 * replaced (base.hlc + 1): a write placed past a base that a clock far
 * ahead stamped (store/write.c), not a clock of its own that is ahead.
 */
int kt_change_above_base(const struct kt_change *c);

/* The tag of the set element added by op index i of change (origin, seq). */
void kt_tag_make(uint8_t tag[KT_TAG_BYTES_SET], uint64_t origin, uint64_t seq, uint32_t i);

/* Number of ops that carry a value in the payload (SET and ADD). */
uint32_t kt_change_nvalues(const struct kt_change *c);

/*
 * Encodes c with its values (kt_change_nvalues(c) of them), sealing them
 * under dk, into *out (reset first).  The caller has checked values
 * against the schema; the encoder checks the limits and refuses a change
 * over KT_CHANGE_BYTES_MAX.
 */
int kt_change_encode(const struct kt_change *c, const struct kt_val *vals,
		     const uint8_t dk[KT_KEY_BYTES], msgpack_sbuffer *out,
		     struct kt_err *err);

/*
 * Decodes the header of the change in p[0..n) into *c; c borrows from p.
 * Checks every count and length against the bytes left and limits.h, the
 * format, kinds and argument sizes; it does not open the payload.
 */
int kt_change_decode(struct kt_change *c, const uint8_t *p, size_t n, struct kt_err *err);
/* Frees what kt_change_decode keeps for the calling thread; call before it ends. */
void kt_change_thread_done(void);

/*
 * Opens the payload of a decoded change with dk into plain (room for
 * payload_len bytes) and decodes its values into vals (room for
 * KT_OPS_MAX); values borrow from plain.  Checks the count matches the
 * ops and every value is of an allowed msgpack type and size.
 */
int kt_change_open(const struct kt_change *c, const uint8_t dk[KT_KEY_BYTES],
		   uint8_t *plain, struct kt_val *vals, struct kt_err *err);
/*
 * The same, and the author: *has_by is 1 with *by the staff account's id
 * when the payload names one, else 0 (a change written before staff).
 */
int kt_change_open_by(const struct kt_change *c, const uint8_t dk[KT_KEY_BYTES],
		      uint8_t *plain, struct kt_val *vals, struct kt_id *by, int *has_by,
		      struct kt_err *err);

/*
 * Decodes a values array (the payload's plaintext) into vals: want values,
 * then the author (a bin of 16 bytes) or nothing; exposed for fuzzing.
 * by and has_by may be NULL (the author is checked and dropped).
 */
int kt_values_decode(const uint8_t *p, size_t n, struct kt_val *vals, uint32_t want,
		     struct kt_err *err);
int kt_values_decode_by(const uint8_t *p, size_t n, struct kt_val *vals, uint32_t want,
			struct kt_id *by, int *has_by, struct kt_err *err);

/* Packs one value / unpacks one value as stored in a node's LMDB state. */
void kt_val_pack(msgpack_packer *pk, const struct kt_val *v);
int kt_val_unpack(const uint8_t *p, size_t n, struct kt_val *v, struct kt_err *err);

#endif
