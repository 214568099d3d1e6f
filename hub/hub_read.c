/*
 * hub_read.c - a stored push read back from the log (with its origin's key
 * and branch, for a BATCH) and checked against the chain and its origin's
 * signature; the seq of an origin's change at a hub seq, from the chain.
 */
#include "hub_int.h"
#include "proto/stub.h"

#include <string.h>
#include <sodium.h>

int hub_read_push(struct kt_hub *h, MDB_txn *txn, const struct kt_push_rec *r,
		  struct kt_msg_push *p, struct kt_bytes *ch, uint32_t cap)
{
	char name[KT_META_KEY_NAME_BYTES];
	struct kt_member m;
	struct kt_bytes kv;

	if (!r->whole)
		return -1;
	p->origin = r->origin;
	p->sig = r->sig;
	kt_meta_key_name(name, p->origin);
	p->key = kt_meta_get(&h->st, txn, name, &kv) == 0 && kv.n == KT_PUBKEY_BYTES ? kv.p : NULL;
	p->branch = NULL;
	p->branch_len = 0;
	if (p->key != NULL && kt_member_get(&h->st, txn, p->key, &m) == 0 && m.branch_len > 0 &&
	    kt_member_fits(&m)) {
		p->branch = m.branch;
		p->branch_len = (uint32_t)m.branch_len;
	}
	p->changes = ch;
	p->nchanges = 0;
	p->withheld_hash = NULL;
	p->first_seq = r->first; /* here: the hub seq of its first change (a BATCH does not send it) */
	if (r->last < r->first || r->last - r->first + 1 > cap)
		return -1;
	for (uint64_t pos = r->first; pos <= r->last; pos++)
		if (kt_log_get(&h->st, txn, pos, &ch[p->nchanges++]) != 0)
			return -1;
	return 0;
}

/*
 * Whether a recorded push, as hub_read_push gave it, is what its origin
 * sent: each change decodes, its hash is the one the hub's chain holds for
 * its seq, it follows the change before it (the chain's, for the first),
 * and the origin's signature covers the last.  A flipped byte in a change,
 * the chain or the signature fails here instead of at every pulling node.
 * Returns 0, or -1 with the damaged change's seq and what is wrong.
 */
int hub_push_intact(struct kt_hub *h, MDB_txn *txn, const struct kt_msg_push *p,
		    uint64_t *bad_seq, const char **what)
{
	static const uint8_t zero[KT_HASH_BYTES];
	struct kt_change *c = &h->st.w_change;
	uint8_t hash[KT_HASH_BYTES], held[KT_HASH_BYTES], prev[KT_HASH_BYTES];
	uint8_t in[KT_SIG_INPUT_BYTES];
	uint64_t seq = 0, at = 0;
	int behind = 0;

	memset(hash, 0, sizeof(hash));
	*bad_seq = 0;
	for (uint32_t i = 0; i < p->nchanges; i++) {
		if (kt_entry_decode(c, held, p->changes[i].p, p->changes[i].n, NULL) != 0 ||
		    c->origin != p->origin || (i > 0 && c->seq != seq + 1)) {
			*bad_seq = i > 0 ? seq + 1 : 0;
			*what = "a change does not decode";
			return -1;
		}
		seq = c->seq;
		*bad_seq = seq;
		if (i == 0 && seq > 1 && kt_chain_get(&h->st, txn, p->origin, seq - 1, prev, NULL) != 0) {
			*what = "the chain lacks the change before it";
			return -1;
		}
		if (memcmp(c->prev, i == 0 ? (seq == 1 ? zero : prev) : hash, KT_HASH_BYTES) != 0) {
			*what = "it does not follow the change before it";
			if (i > 0 || seq == 1)
				return -1;
			behind = 1; /* the chain's entry before may be the damaged one: the signature tells */
		}
		kt_entry_hash(hash, p->changes[i].p, p->changes[i].n); /* a stub's: its own */
		if (kt_chain_get(&h->st, txn, p->origin, seq, held, &at) != 0 ||
		    memcmp(held, hash, KT_HASH_BYTES) != 0) {
			*what = "its bytes are not the ones the hash chain holds";
			return -1;
		}
		if (at != p->first_seq + i) {
			*what = "the hash chain's entry for it names another log position";
			return -1;
		}
	}
	kt_msg_sig_input(in, p->origin, seq, hash);
	if (p->key == NULL || crypto_sign_verify_detached(p->sig, in, sizeof(in), p->key) != 0) {
		if (!behind)
			*what = hub_sig_damaged;
		return -1;
	}
	/*
	 * Signed whole: its first change's prev is the true hash of the change
	 * before, so a chain entry that disagrees is the damaged one (mend_push
	 * puts it right); this push goes out whole.
	 */
	return 0;
}

/*
 * The seq of origin's change at hub seq pos, from the chain (whose log
 * positions rise with seq): a binary search over 1..the origin's head, so
 * O(log n) reads.  0: none there.
 */
uint64_t hub_origin_seq_at(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t pos)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t lo = 1, hi = 0, at;

	if (kt_store_origin_head(&h->st, txn, origin, &hi, hash, &at) != 0)
		return 0;
	while (lo <= hi) { /* at most 64 steps */
		uint64_t mid = lo + (hi - lo) / 2;

		if (kt_chain_get(&h->st, txn, origin, mid, hash, &at) != 0)
			return 0;
		if (at == pos)
			return mid;
		if (at < pos)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}
