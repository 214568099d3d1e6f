/*
 * merge.h - the merge rules, as pure functions over metadata.
 *
 * Every replica (node or hub) applies each change through these rules, so
 * replicas that have applied the same set of changes, in any order and with
 * duplicates, hold the same state.  No I/O, no clock, no allocation.
 *
 * LWW field    the higher version (hlc, then origin) wins.  The write
 *              records the version it overwrote (its base); a write whose
 *              base is not the version it lands on was made without seeing
 *              the current value: a conflict, kept for review.
 * Set element  observed-remove, add wins: an add creates a tag; a remove
 *              names the tags it saw.  A remove that arrives before its
 *              add leaves a tombstone, so the add stays removed; a tag
 *              added concurrently with a remove (another tag, perhaps the
 *              same value) stays live.
 * Write-once   the first version (the lowest) wins and nothing conflicts;
 *              a ledger entry is written once at one branch.
 * Alias        a card merged into another: an LWW register on the merged
 *              card, holding the kept card's id, or zero after an unmerge.
 * Shred        erases a client: once a replica has the shred, every other
 *              change owned by that client is dropped, before or after.
 */
#ifndef KT_MERGE_H
#define KT_MERGE_H

#include <stdint.h>
#include "change.h"

/* What an LWW write does to the field's current version (NULL: no value yet). */
enum kt_lww_result {
	KT_LWW_WIN = 1,   /* the incoming write replaces the current value */
	KT_LWW_LOSE = 0,  /* the current value stays */
	KT_LWW_SAME = 2,  /* the same version again (a duplicate): nothing to do */
};
enum kt_lww_result kt_merge_lww(const struct kt_version *cur, const struct kt_version *in);

/* Write-once: the lower version wins; same result values as kt_merge_lww. */
enum kt_lww_result kt_merge_once(const struct kt_version *cur, const struct kt_version *in);

/*
 * Whether two LWW writes of one field were concurrent: each was made
 * without seeing the other.  A writer that saw version v writes with a base
 * at least v (HLC: everything seen is older than what follows), so a write
 * did not see the other exactly when its base is older than the other.
 * Symmetric, so every replica flags the same pairs whatever the order.
 */
int kt_merge_is_conflict(const struct kt_version *a, const struct kt_version *a_base,
			 const struct kt_version *b, const struct kt_version *b_base);

/* States of a set element (one tag) on a replica. */
enum kt_elem {
	KT_ELEM_ABSENT = 0,
	KT_ELEM_LIVE = 1,
	KT_ELEM_REMOVED = 2, /* tombstone: stays removed whatever arrives */
};
enum kt_elem kt_merge_elem_add(enum kt_elem cur);
enum kt_elem kt_merge_elem_del(enum kt_elem cur);

/* Whether a change owned by a shredded client is dropped (always). */
static inline int kt_merge_shred_drops(int owner_shredded) { return owner_shredded; }

/*
 * The digest: BLAKE2b-256 over the sorted metadata of a replica's state.
 * Feed entries in ascending key order (record id, field, tag) as the LMDB
 * state is laid out; the same state always feeds the same bytes.
 */
struct kt_digest {
	uint8_t st[384]; /* crypto_generichash_state, kept opaque here */
};
void kt_digest_init(struct kt_digest *d);
void kt_digest_record(struct kt_digest *d, const struct kt_id *id, uint8_t type,
		      const struct kt_id *owner);
void kt_digest_lww(struct kt_digest *d, const struct kt_id *id, uint16_t field,
		   const struct kt_version *v);
void kt_digest_elem(struct kt_digest *d, const struct kt_id *id, uint16_t field,
		    const uint8_t tag[KT_TAG_BYTES_SET], enum kt_elem state);
void kt_digest_alias(struct kt_digest *d, const struct kt_id *id, const struct kt_id *target,
		     const struct kt_version *v);
void kt_digest_shred(struct kt_digest *d, const struct kt_id *client);
void kt_digest_final(struct kt_digest *d, uint8_t out[KT_HASH_BYTES]);

#endif
