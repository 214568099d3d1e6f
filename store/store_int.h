/*
 * store_int.h - what the store's own files share; never included from
 * outside store/ (tests/floors/check.py fails the build's tests if it is).
 * The programs use store.h.
 */
#ifndef KT_STORE_INT_H
#define KT_STORE_INT_H

#include "store.h"

#define KT_RECKEY_BYTES (KT_ID_BYTES + 2 + KT_TAG_BYTES_SET)
#define KT_VER_BYTES 16
/* A stored value: versions and the packed value, with room for headers and a seal. */
#define KT_STORED_BYTES_MAX (2 * KT_VER_BYTES + KT_VALUE_BYTES_MAX + 16 + KT_REST_OVERHEAD)

/*
 * Values at rest (store/rest.c; layout in its header comment and
 * proto/PROTOCOL.md): every stored value of a node but kt_rest_clear's is
 * KT_REST_MARK || ciphertext || tag under its record owner's at-rest key,
 * with a nonce made of where it stands, so none is stored.
 */
#define KT_REST_MARK 0xc1 /* the one byte msgpack never uses: no clear value starts so */
#define KT_REST_OVERHEAD (1 + KT_TAG_BYTES)
#define KT_META_REST_VERSION "rest_version"
#define KT_REST_SLOTS 512
/* Whether field of a record of type stays clear at rest: what the search reads. */
int kt_rest_clear(uint8_t type, uint16_t field);
/*
 * The at-rest key of owner's values into key: from her data key in the keys
 * table, else the KEY op of c (her first change; c may be NULL), unwrapped
 * by the chain key.  Those made lately are kept in st (KT_REST_SLOTS, by
 * owner id), each known by the wrapped bytes it came from, so the loads of
 * one client's records unwrap once, and a safety check that reads the
 * whole catalogue again finds its entries' keys.
 * 0, KT_ENOTFOUND (no key held), or KT_ECRYPTO.  Wipe key after use.
 */
int kt_rest_key(struct kt_store *st, MDB_txn *txn, const struct kt_id *owner,
		const struct kt_change *c, uint8_t key[KT_KEY_BYTES], struct kt_err *err);
/* Wipes and frees the keys kept in st (close, and before a migration); or owner's alone. */
void kt_rest_forget(struct kt_store *st);
void kt_rest_forget_owner(struct kt_store *st, const struct kt_id *owner);
/* The nonce of an LWW value (its version) or a set element (its tag) of record id. */
void kt_rest_nonce_lww(uint8_t nonce[KT_NONCE_BYTES], const struct kt_id *id, uint16_t field,
		       const struct kt_version *ver);
void kt_rest_nonce_elem(uint8_t nonce[KT_NONCE_BYTES], const struct kt_id *id, uint16_t field,
			const uint8_t tag[KT_TAG_BYTES_SET]);
/*
 * Seals packed[0..n) into out (room for n + KT_REST_OVERHEAD): returns the
 * bytes written.  Open: in[0..n) into out (room for n), *outn its length;
 * 0, or KT_ECORRUPT (cut short, damaged, another position or key).
 */
size_t kt_rest_seal(uint8_t *out, const uint8_t *packed, size_t n,
		    const uint8_t nonce[KT_NONCE_BYTES], const uint8_t key[KT_KEY_BYTES]);
int kt_rest_open(uint8_t *out, const uint8_t *in, size_t n, const uint8_t nonce[KT_NONCE_BYTES],
		 const uint8_t key[KT_KEY_BYTES], size_t *outn, struct kt_err *err);
/* Whether stored value bytes p[0..n) are sealed. */
static inline int kt_rest_sealed(const uint8_t *p, size_t n)
{
	return n > 0 && p[0] == KT_REST_MARK;
}
/*
 * Seals, once, the values a store written before sealing holds in clear
 * (meta KT_META_REST_VERSION; at a node's open, in one write) and marks
 * the store due a rewrite, so their clear bytes leave the file.  0 or an
 * error.
 */
int kt_rest_current(struct kt_store *st, struct kt_err *err);

/* A fixed buffer a msgpack packer writes to; writing past cap fails. */
struct kt_fbuf {
	uint8_t *p;
	size_t n, cap;
};
void kt_fbuf_init(struct kt_fbuf *f, uint8_t *p, size_t cap, msgpack_packer *pk);

/*
 * Notes dir as the folder of the store this process opened first, for the
 * one line a full disk gets (store/base.c; kt_store_open_as).
 */
void kt_store_disk_note(const char *dir);
/* Deletes cur's entry and steps to the next (store/base.c): 0, MDB_NOTFOUND, or an LMDB error. */
int kt_cursor_del_next(MDB_cursor *cur, MDB_val *key, MDB_val *v);
void kt_version_put(uint8_t *b, const struct kt_version *v);
void kt_version_get(struct kt_version *v, const uint8_t *b);
size_t kt_reckey(uint8_t *k, const struct kt_id *id, uint16_t field, const uint8_t *tag);

/*
 * The chain and the log under every apply (store/chain.c).  Admit: 1 when
 * the store holds this very change (same hash), 0 when it is the next of
 * its origin or fills a hole, else an error (a gap, a broken chain, two
 * changes under one seq).  Append: c's bytes at the log's end and its
 * chain entry.  Meta pairs: fn(ctx, a, b, value) for each meta entry
 * "<prefix><16 hex>:<16 hex>" (prefix of 5 bytes, "void:" or "hole:") in
 * key order until fn returns non-zero; 0 or an error code.
 */
int kt_chain_admit(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		   const uint8_t hash[KT_HASH_BYTES], struct kt_err *err);
int kt_log_append(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		  const uint8_t hash[KT_HASH_BYTES], const uint8_t *bytes, size_t len,
		  struct kt_err *err);
int kt_meta_pairs(struct kt_store *st, MDB_txn *txn, const char *prefix,
		  int (*fn)(void *ctx, uint64_t a, uint64_t b, const MDB_val *v), void *ctx);

/* tokens: a blind token of a client card (store/apply.c). */
int kt_token_put(struct kt_store *st, MDB_txn *txn, const uint8_t token[KT_TOKEN_BYTES],
		 const struct kt_id *client, struct kt_err *err);
/*
 * A received change made ready for ingest (store/ingest.c): decoded and
 * hashed and, when its owner's key is at hand, its payload opened.  Making
 * one reads the store only through rtxn (a reader, or NULL), so another
 * thread can make it while the writer ingests the one before (store/batch.c).
 */
enum { KT_READY_NONE, KT_READY_DECODED, KT_READY_OPENED };
/*
 * An index key made ahead for a value of an opened change, known by its
 * address: the fold of a name or an email, the key of a phone (libphonenumber
 * takes ~20 us).  The writer's index update uses it instead of making it.
 */
#define KT_HINTS_MAX 4
struct kt_hint {
	const char *s;
	uint32_t n;
	uint16_t field;
	char *key; /* malloc'd */
};
struct kt_ready {
	const uint8_t *bytes;
	size_t len;
	int state;                   /* KT_READY_NONE: the decode failed */
	struct kt_change c;
	uint8_t hash[KT_HASH_BYTES];
	struct kt_val vals[KT_OPS_MAX]; /* borrow from plain */
	uint8_t *plain;              /* wiped once ingested */
	size_t plain_cap;
	struct kt_hint hints[KT_HINTS_MAX]; /* of opened values */
	uint32_t nhints;
};
/* open 0: decode and hash only (ingest opens what it does not hold). */
void kt_ready_make(struct kt_store *st, MDB_txn *rtxn, int open, struct kt_ready *r,
		   const uint8_t *bytes, size_t len);
int kt_ready_ingest(struct kt_store *st, MDB_txn *txn, struct kt_ready *r, struct kt_err *err);
void kt_ready_release(struct kt_ready *r);
/* Index keys of c's values for kt_index_update to find (store/index.c); frees them. */
void kt_index_hints(struct kt_store *st, const struct kt_change *c, const struct kt_val *vals,
		    struct kt_hint *out, uint32_t *n);
void kt_hints_clear(struct kt_hint *h, uint32_t *n);
/* Frees the ring of store/batch.c, its plaintext wiped (kt_store_close). */
void kt_store_ring_release(struct kt_store *st);

/* The data key of c's owner: the keys table, else the change's own KEY op (store/apply.c). */
int kt_owner_key(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		 uint8_t dk[KT_KEY_BYTES], struct kt_err *err);
/*
 * The blind token of a client's phone (field 2, its E.164 digits) or email
 * (field 3, folded) under chain key ck; -1 when (field, v) carries none
 * (store/write.c, which writes one TOKEN op per such SET, in op order).
 */
int kt_blind_token_of(struct kt_store *st, uint16_t field, const struct kt_val *v,
		      const uint8_t ck[KT_KEY_BYTES], uint8_t out[KT_TOKEN_BYTES]);
/*
 * The blind token op i of ops[0..nops) carries, value v (-1: none): a
 * phone's comes from its normalised copy when the change has one (a phone
 * that did not parse has none, so it never pairs two cards as duplicates),
 * else from the phone (changes written before the copy existed).
 */
int kt_blind_token_op(struct kt_store *st, const struct kt_op *ops, uint32_t nops, uint32_t i,
		      const struct kt_val *v, const uint8_t ck[KT_KEY_BYTES],
		      uint8_t out[KT_TOKEN_BYTES]);
/* Whether ops[0..n) hold a SET of field. */
int kt_sets_field(const struct kt_op *ops, uint32_t n, uint16_t field);

/*
 * Records a conflict of two versions of one field (store/conflict.c): a's
 * stored bytes (sealed or clear) and b's value, each sealed under rkey
 * (NULL: the field stays clear, or the hub's, which has no values).
 */
int kt_conflict_note(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		     uint16_t field, const struct kt_version *a, const uint8_t *aval,
		     size_t alen, const struct kt_version *b, const struct kt_val *bval,
		     const uint8_t *rkey, struct kt_err *err);
/* Drops the conflicts of a field whose versions are at most upto (a write saw them). */
int kt_conflict_resolve(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			uint16_t field, const struct kt_version *upto, struct kt_err *err);

/*
 * Adds (del 0) or deletes (del 1) card id's phone entries as the store
 * holds them: the phone's, and its E.164 copy's only when the change that
 * wrote the phone wrote the copy too (equal versions), so a phone changed
 * by a node that writes no copy is never found by the number before.  v,
 * when not NULL, is the value being written to field (2 or 23), which the
 * store already holds: its index key may have been made ahead.  Called
 * around every write of field 2 or 23 (store/apply.c).
 */
int kt_index_phone(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, int del,
		   uint16_t field, const struct kt_val *v, struct kt_err *err);

/* Keeps the search indexes of a client card in step with one field. */
int kt_index_update(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		    uint16_t field, const struct kt_val *old, const struct kt_val *nv,
		    struct kt_err *err);

/* Whether a client field feeds an index (name, phone, email, birthday). */
static inline int kt_index_field(uint8_t type, uint16_t field)
{
	return type == KT_T_CLIENT && kt_schema_search(type, field) != KT_S_NONE;
}

/*
 * Makes the search indexes again when this build or the node's country
 * makes them otherwise than they were made (meta "index_version"; once, at
 * open, in one write).  0 or an error.
 */
int kt_index_current(struct kt_store *st, struct kt_err *err);

/*
 * Normalises a phone for its index key: its E.164 digits under the node's
 * country (returns 1), else the digits typed (returns 0).  The last answer
 * is kept per thread, so the write that makes a phone's copy and then its
 * index key parses it once.
 */
int kt_phone_key(struct kt_store *st, const char *s, size_t n, char *out, size_t cap);

/*
 * Erasure (store/erase.c).  apply_shred notes each owner it shreds, and the
 * merge each remote change it drops for an erased owner; at commit
 * (kt_store_wcommit) kt_erase_sweep redacts her changes in the log into
 * stubs and deletes her entries in idx, bday, tokens, merged and conflicts,
 * counts the drops (meta KT_META_ERASED_DROPPED) and marks the store due a
 * rewrite (KT_META_REWRITE_DUE, store/rewrite.c).  Reset at each begin,
 * released at close.  Sweep: 0 or an error (the commit is then aborted).
 */
#define KT_META_ERASED_DROPPED "erased_dropped"
#define KT_META_REWRITE_DUE "rewrite_due"
void kt_erase_note_shred(struct kt_store *st, const struct kt_id *owner);
void kt_erase_note_drop(struct kt_store *st, const struct kt_change *c);
int kt_erase_sweep(struct kt_store *st, MDB_txn *txn, struct kt_err *err);
void kt_erase_reset(struct kt_store *st);
void kt_erase_release(struct kt_store *st);
/*
 * On arrival (store/ingest.c, the node's and the hub's): whether whole
 * change c is one to an erased client (not a shred), which goes into the
 * log as its stub; and the append of a stub (c is one, bytes its bytes) or
 * of the stub of such a change, counted as dropped when its owner is
 * erased here.  0 or an error code.
 */
int kt_erased_arrival(struct kt_store *st, MDB_txn *txn, const struct kt_change *c);
int kt_append_redacted(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		       const uint8_t hash[KT_HASH_BYTES], const uint8_t *bytes, size_t len,
		       struct kt_err *err);
/* Whether owner is in the shred table. */
static inline int kt_change_is_shred(const struct kt_change *c)
{
	return c->nops > 0 && c->ops[0].kind == KT_OP_SHRED;
}
int kt_is_erased(struct kt_store *st, MDB_txn *txn, const struct kt_id *owner);

/*
 * Opens the LMDB environment of dir into st (store/store.c) and names its
 * tables: 0 or an error code.  The rewrite (store/rewrite.c) opens the
 * fresh file again through it.
 */
int kt_env_open(struct kt_store *st, const char *dir, struct kt_err *err);
/*
 * The rewrite's two halves (store/rewrite.c) under kt_store_rewrite
 * (store/store.c, which opens the new file): fresh writes the new file and
 * renames it over data.mdb, leaving st->env closed and the open lock held
 * exclusive (0), or returns 1 (not due, or another holds the store) or an
 * error, the lock shared; unlock makes the lock shared again.
 */
int kt_rewrite_fresh(struct kt_store *st, struct kt_err *err);
void kt_rewrite_unlock(struct kt_store *st);

#endif
