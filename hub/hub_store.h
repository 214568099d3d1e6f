/*
 * hub_store.h - the hub's own two tables in its store, and their byte
 * layouts (hub_store.c is the one file that touches them):
 *
 *   pushes   hub seq of a push's last change (u64 BE)
 *              -> origin u64 BE, first hub seq u64 BE, signature[64]
 *            pulls are served in whole pushes, each with its origin's
 *            signature; the key is the push's last log position
 *   members  node public key[32]
 *              -> origin u64 BE (0 until its first hello), revoked u8,
 *                 last contact ms u64 BE, branch name (the rest, up to
 *                 KT_BRANCH_BYTES_MAX bytes)
 *
 * Both dbi handles are in struct kt_store (store.h); a node's are empty.
 * Every call works in the caller's transaction and returns an LMDB code:
 * 0, MDB_NOTFOUND, MDB_KEYEXIST, or MDB_CORRUPTED for a value too short
 * to decode.  What a record borrows (a branch, a signature) stays valid
 * until txn ends or the table is written.
 */
#ifndef KT_HUB_STORE_H
#define KT_HUB_STORE_H

#include "store.h"

#define KT_MEMBER_FIXED 17 /* origin[8] revoked[1] last contact[8], then the branch */
#define KT_PUSH_REC_BYTES (16 + KT_SIG_BYTES)

/* A member's record; branch borrows (branch_len may pass KT_BRANCH_BYTES_MAX when damaged). */
struct kt_member {
	uint64_t origin;
	int revoked;
	uint64_t contact_ms;
	const char *branch;
	size_t branch_len;
};
/* Whether the record is one the hub writes back: its branch fits. */
static inline int kt_member_fits(const struct kt_member *m)
{
	return m->branch_len <= KT_BRANCH_BYTES_MAX;
}
int kt_member_get(struct kt_store *st, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES],
		  struct kt_member *m);
/* Writes m under key; create 1: only when key has none (else MDB_KEYEXIST). */
int kt_member_put(struct kt_store *st, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES],
		  const struct kt_member *m, int create);
int kt_member_del(struct kt_store *st, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES]);
/* Calls fn for each member in key order (a record too short is skipped); fn's non-zero stops. */
typedef int (*kt_member_fn)(void *ctx, const uint8_t key[KT_PUBKEY_BYTES],
			    const struct kt_member *m);
int kt_member_each(struct kt_store *st, MDB_txn *txn, kt_member_fn fn, void *ctx);

/*
 * A push record.  last is 0 for a key that is not 8 bytes; whole is 0 for a
 * value of another size than KT_PUSH_REC_BYTES, and then origin is read
 * when the value holds 8 bytes (else 0), first is 0 and sig NULL.  sig
 * borrows.
 */
struct kt_push_rec {
	uint64_t last, origin, first;
	const uint8_t *sig;
	int whole;
};
int kt_push_rec_get(struct kt_store *st, MDB_txn *txn, uint64_t last, struct kt_push_rec *r);
/* Writes r (whole) under r->last; append 1: past every record held (MDB_APPEND). */
int kt_push_rec_put(struct kt_store *st, MDB_txn *txn, const struct kt_push_rec *r, int append);
int kt_push_rec_del(struct kt_store *st, MDB_txn *txn, uint64_t last);

/*
 * A walk over the pushes in key order: first, seek (the first record whose
 * last hub seq is at least pos), next and prev move and decode; update
 * rewrites the record the walk stands on (r whole, its key kept).  Returns
 * 0, MDB_NOTFOUND off either end, or an LMDB code.  Close before txn ends.
 */
struct kt_push_cur {
	MDB_cursor *cur;
};
int kt_push_open(struct kt_store *st, MDB_txn *txn, struct kt_push_cur *c);
int kt_push_first(struct kt_push_cur *c, struct kt_push_rec *r);
int kt_push_seek(struct kt_push_cur *c, uint64_t pos, struct kt_push_rec *r);
int kt_push_next(struct kt_push_cur *c, struct kt_push_rec *r);
int kt_push_prev(struct kt_push_cur *c, struct kt_push_rec *r);
int kt_push_update(struct kt_push_cur *c, const struct kt_push_rec *r);
void kt_push_close(struct kt_push_cur *c);

#endif
