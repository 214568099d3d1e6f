/*
 * store/rest.c - field values sealed at rest (docs/PRIVACY.md "At rest",
 * proto/PROTOCOL.md "A value at rest").
 *
 * A node's state table `rec` and its `conflicts` hold each field value as
 * the packed msgpack scalar it always did, except that every value but the
 * few the search reads (kt_rest_clear) is sealed:
 *
 *   sealed  = 0xc1 || XChaCha20-Poly1305(packed value, ad = empty)
 *             (ciphertext then its 16-byte tag: 17 bytes more than clear)
 *   key     = crypto_kdf_derive_from_key(32, 1, "ktrest__", owner's data key)
 *   nonce   = BLAKE2b-192("L" || record id || field u16 BE || version[16])
 *             for an LWW value (and a conflict's kept value: the same write),
 *             BLAKE2b-192("S" || record id || field u16 BE || tag[16]) for a
 *             set element.
 *
 * 0xc1 is the one byte msgpack never uses, so a value written before this
 * (a clear packed scalar) is told from a sealed one by its first byte;
 * kt_rest_current seals those once, at open.  No nonce is stored: the
 * position names one write.  A version (hlc, origin) is one change of one
 * origin, so one (record, field, version) holds one value -- a change that
 * names a field twice has its later ops skipped by the merge (store/apply.c,
 * they could never win: equal versions are the same write) -- and a set
 * element's tag is (origin, seq, op index).  So a (key, nonce) pair never
 * seals two plaintexts, even across the freed pages LMDB leaves in the file.
 * A sealed value moved to another record, field or version does not open.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

int kt_rest_clear(uint8_t type, uint16_t field)
{
	if (type != KT_T_CLIENT)
		return 0;
	switch (kt_schema_search(type, field)) {
	case KT_S_WORDS:
	case KT_S_PHONE:
	case KT_S_EMAIL:
	case KT_S_DAY:
	case KT_S_PHONE_COPY:
		return 1;
	default:
		return 0;
	}
}

/*
 * The keys kept: direct-mapped by the owner id's last two bytes (random in
 * a ULID), 512 slots of 114 bytes.  Enough for a catalogue of a few
 * hundred entries, read whole by each safety check, to stay in them.
 */
struct kt_rest_slot {
	struct kt_id owner;
	uint8_t wrapped[KT_WRAPPED_KEY_BYTES];
	uint8_t key[KT_KEY_BYTES];
	uint8_t used;
};

static size_t slot_of(const struct kt_id *owner)
{
	return ((size_t)owner->b[KT_ID_BYTES - 2] << 8 | owner->b[KT_ID_BYTES - 1]) % KT_REST_SLOTS;
}

int kt_rest_key(struct kt_store *st, MDB_txn *txn, const struct kt_id *owner,
		const struct kt_change *c, uint8_t key[KT_KEY_BYTES], struct kt_err *err)
{
	MDB_val k = { KT_ID_BYTES, (void *)owner->b }, v;
	const uint8_t *wrapped = NULL;
	struct kt_rest_slot *slot;
	uint8_t dk[KT_KEY_BYTES];
	int rc;

	if (mdb_get(txn, st->keys, &k, &v) == 0 && v.mv_size == KT_WRAPPED_KEY_BYTES)
		wrapped = v.mv_data;
	/* Her first change carries the key its KEY op puts in the table after its SETs. */
	for (uint32_t i = 0; wrapped == NULL && c != NULL && i < c->nops; i++)
		if (c->ops[i].kind == KT_OP_KEY && c->ops[i].arg_len == KT_WRAPPED_KEY_BYTES)
			wrapped = c->ops[i].arg;
	if (wrapped == NULL) {
		char idt[KT_ID_TEXT_BYTES];

		kt_id_format(owner, idt);
		return kt_err_set(err, KT_ENOTFOUND, "no data key for the values of '%s'", idt);
	}
	if (st->rest_slots == NULL)
		st->rest_slots = calloc(KT_REST_SLOTS, sizeof(*st->rest_slots));
	slot = st->rest_slots != NULL ? &st->rest_slots[slot_of(owner)] : NULL;
	/* Known by the very bytes it was unwrapped from: a re-key or a retried write misses. */
	if (slot != NULL && slot->used && kt_id_cmp(&slot->owner, owner) == 0 &&
	    memcmp(slot->wrapped, wrapped, KT_WRAPPED_KEY_BYTES) == 0) {
		memcpy(key, slot->key, KT_KEY_BYTES);
		return 0;
	}
	if ((rc = kt_key_unwrap(dk, wrapped, owner, st->chain_key, err)) != 0)
		return rc;
	crypto_kdf_derive_from_key(key, KT_KEY_BYTES, 1, "ktrest__", dk);
	sodium_memzero(dk, sizeof(dk));
	if (slot != NULL) {
		memcpy(slot->wrapped, wrapped, KT_WRAPPED_KEY_BYTES);
		memcpy(slot->key, key, KT_KEY_BYTES);
		slot->owner = *owner;
		slot->used = 1;
	}
	return 0;
}

void kt_rest_forget(struct kt_store *st)
{
	if (st->rest_slots == NULL)
		return;
	sodium_memzero(st->rest_slots, KT_REST_SLOTS * sizeof(*st->rest_slots));
	free(st->rest_slots);
	st->rest_slots = NULL;
}

void kt_rest_forget_owner(struct kt_store *st, const struct kt_id *owner)
{
	struct kt_rest_slot *slot;

	if (st->rest_slots == NULL)
		return;
	slot = &st->rest_slots[slot_of(owner)];
	if (slot->used && kt_id_cmp(&slot->owner, owner) == 0)
		sodium_memzero(slot, sizeof(*slot));
}

static void nonce_of(uint8_t nonce[KT_NONCE_BYTES], uint8_t kind, const struct kt_id *id,
		     uint16_t field, const uint8_t pos[16])
{
	uint8_t m[1 + KT_ID_BYTES + 2 + 16];

	m[0] = kind;
	memcpy(m + 1, id->b, KT_ID_BYTES);
	kt_be16_put(m + 1 + KT_ID_BYTES, field);
	memcpy(m + 1 + KT_ID_BYTES + 2, pos, 16);
	crypto_generichash(nonce, KT_NONCE_BYTES, m, sizeof(m), NULL, 0);
}

void kt_rest_nonce_lww(uint8_t nonce[KT_NONCE_BYTES], const struct kt_id *id, uint16_t field,
		       const struct kt_version *ver)
{
	uint8_t pos[KT_VER_BYTES];

	kt_version_put(pos, ver);
	nonce_of(nonce, 'L', id, field, pos);
}

void kt_rest_nonce_elem(uint8_t nonce[KT_NONCE_BYTES], const struct kt_id *id, uint16_t field,
			const uint8_t tag[KT_TAG_BYTES_SET])
{
	nonce_of(nonce, 'S', id, field, tag);
}

size_t kt_rest_seal(uint8_t *out, const uint8_t *packed, size_t n,
		    const uint8_t nonce[KT_NONCE_BYTES], const uint8_t key[KT_KEY_BYTES])
{
	out[0] = KT_REST_MARK;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1, NULL, packed, n, NULL, 0, NULL, nonce,
						   key);
	return n + KT_REST_OVERHEAD;
}

int kt_rest_open(uint8_t *out, const uint8_t *in, size_t n, const uint8_t nonce[KT_NONCE_BYTES],
		 const uint8_t key[KT_KEY_BYTES], size_t *outn, struct kt_err *err)
{
	if (n < KT_REST_OVERHEAD + 1 || in[0] != KT_REST_MARK)
		return kt_err_set(err, KT_ECORRUPT, "a sealed stored value is cut short");
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, in + 1, n - 1, NULL, 0,
						       nonce, key) != 0)
		return kt_err_set(err, KT_ECORRUPT, "a sealed stored value does not open (damaged, "
				  "or moved from another record)");
	*outn = n - KT_REST_OVERHEAD;
	return 0;
}

/* ---- values written before sealing: sealed once, at open ---- */

struct migrate {
	struct kt_store *st;
	MDB_txn *txn;
	uint64_t sealed;
};

/* Seals the clear value at cur (rec entry key k, value v) of record id, owner; 0 or an error. */
static int seal_entry(struct migrate *m, MDB_cursor *cur, const MDB_val *k, const MDB_val *v,
		      uint8_t type, const struct kt_id *owner, struct kt_err *err)
{
	const uint8_t *kb = k->mv_data, *d = v->mv_data;
	uint16_t field = kt_be16_get(kb + KT_ID_BYTES);
	uint8_t buf[KT_STORED_BYTES_MAX], nonce[KT_NONCE_BYTES], key[KT_KEY_BYTES];
	uint8_t kc[KT_RECKEY_BYTES];
	size_t head, n;
	struct kt_id id;
	MDB_val nv, ck;
	int rc;

	memcpy(id.b, kb, KT_ID_BYTES);
	if (field == KT_F_HEAD || field == KT_F_ALIAS || kt_rest_clear(type, field))
		return 0;
	if (k->mv_size == KT_RECKEY_BYTES) {
		if (v->mv_size < 2 || d[0] != KT_ELEM_LIVE || d[1] == KT_REST_MARK)
			return 0;
		head = 1;
		kt_rest_nonce_elem(nonce, &id, field, kb + KT_ID_BYTES + 2);
	} else {
		struct kt_version ver;

		if (k->mv_size != KT_ID_BYTES + 2 || v->mv_size <= 2 * KT_VER_BYTES ||
		    d[2 * KT_VER_BYTES] == KT_REST_MARK)
			return 0;
		head = 2 * KT_VER_BYTES;
		kt_version_get(&ver, d);
		kt_rest_nonce_lww(nonce, &id, field, &ver);
	}
	n = v->mv_size - head;
	if (head + n + KT_REST_OVERHEAD > sizeof(buf))
		return kt_err_set(err, KT_ECORRUPT, "a stored value is too long to seal");
	if ((rc = kt_rest_key(m->st, m->txn, owner, NULL, key, err)) != 0)
		return rc;
	memcpy(buf, d, head);
	n = kt_rest_seal(buf + head, d + head, n, nonce, key);
	sodium_memzero(key, sizeof(key));
	nv.mv_size = head + n;
	nv.mv_data = buf;
	memcpy(kc, kb, k->mv_size); /* the key as it was: the put may move the page it is in */
	ck.mv_size = k->mv_size;
	ck.mv_data = kc;
	if ((rc = mdb_cursor_put(cur, &ck, &nv, MDB_CURRENT)) != 0)
		return kt_mdb_err(err, rc, "seal a stored value");
	m->sealed++;
	return 0;
}

static int migrate_rec(struct migrate *m, struct kt_err *err)
{
	struct kt_id id = { { 0 } }, owner = { { 0 } };
	uint8_t type = 0;
	int rc, have = 0;
	MDB_cursor *cur;
	MDB_val k, v;

	if ((rc = mdb_cursor_open(m->txn, m->st->rec, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kb = k.mv_data;

		if (k.mv_size < KT_ID_BYTES + 2)
			continue;
		if (k.mv_size == KT_ID_BYTES + 2 && kt_be16_get(kb + KT_ID_BYTES) == KT_F_HEAD) {
			have = v.mv_size == 1 + KT_ID_BYTES;
			if (have) {
				memcpy(id.b, kb, KT_ID_BYTES);
				type = ((uint8_t *)v.mv_data)[0];
				memcpy(owner.b, (uint8_t *)v.mv_data + 1, KT_ID_BYTES);
			}
			continue;
		}
		/* An entry with no head before it (none is written so) stays as it is. */
		if (!have || memcmp(kb, id.b, KT_ID_BYTES) != 0)
			continue;
		if ((rc = seal_entry(m, cur, &k, &v, type, &owner, err)) != 0) {
			if (rc != KT_ENOTFOUND)
				break;
			rc = 0; /* no data key held for her: left clear, readable as before */
		}
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc < 0 && rc > -100 ? rc
		: kt_mdb_err(err, rc, "seal the stored values");
}

/* A conflict's two values (u32 BE length of the low one, low, high) sealed where clear. */
static int migrate_conflicts(struct migrate *m, struct kt_err *err)
{
	uint8_t buf[2 * KT_STORED_BYTES_MAX + 4], key[KT_KEY_BYTES];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(m->txn, m->st->conflicts, &cur)) != 0)
		return kt_mdb_err(err, rc, "open a cursor");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kb = k.mv_data, *d = v.mv_data;
		uint8_t rk[KT_RECKEY_BYTES], nonce[KT_NONCE_BYTES];
		uint8_t kc[KT_ID_BYTES + 2 + 2 * KT_VER_BYTES];
		const uint8_t *part[2];
		size_t plen[2], at = 4, ll;
		struct kt_version ver[2];
		uint16_t field;
		struct kt_id id, owner;
		MDB_val hk, hv, nv, ck;
		int changed = 0;

		if (k.mv_size != KT_ID_BYTES + 2 + 2 * KT_VER_BYTES || v.mv_size < 4 ||
		    (ll = kt_be32_get(d)) > v.mv_size - 4)
			continue;
		memcpy(id.b, kb, KT_ID_BYTES);
		field = kt_be16_get(kb + KT_ID_BYTES);
		hk = (MDB_val){ kt_reckey(rk, &id, KT_F_HEAD, NULL), rk };
		if (mdb_get(m->txn, m->st->rec, &hk, &hv) != 0 || hv.mv_size != 1 + KT_ID_BYTES ||
		    kt_rest_clear(((uint8_t *)hv.mv_data)[0], field))
			continue;
		memcpy(owner.b, (uint8_t *)hv.mv_data + 1, KT_ID_BYTES);
		kt_version_get(&ver[0], kb + KT_ID_BYTES + 2);
		kt_version_get(&ver[1], kb + KT_ID_BYTES + 2 + KT_VER_BYTES);
		part[0] = d + 4;
		plen[0] = ll;
		part[1] = d + 4 + ll;
		plen[1] = v.mv_size - 4 - ll;
		for (int i = 0; i < 2; i++)
			if (plen[i] > 0 && part[i][0] != KT_REST_MARK)
				changed = 1;
		if (!changed)
			continue;
		if (plen[0] + plen[1] + 2 * KT_REST_OVERHEAD + 4 > sizeof(buf))
			continue;
		if ((rc = kt_rest_key(m->st, m->txn, &owner, NULL, key, err)) != 0) {
			if (rc != KT_ENOTFOUND)
				break;
			rc = 0;
			continue;
		}
		for (int i = 0; i < 2; i++) {
			size_t n = plen[i];

			if (n > 0 && part[i][0] != KT_REST_MARK) {
				kt_rest_nonce_lww(nonce, &id, field, &ver[i]);
				n = kt_rest_seal(buf + at, part[i], n, nonce, key);
			} else {
				memcpy(buf + at, part[i], n);
			}
			if (i == 0)
				kt_be32_put(buf, (uint32_t)n);
			at += n;
		}
		nv.mv_size = at;
		nv.mv_data = buf;
		memcpy(kc, kb, sizeof(kc)); /* the put may move the page the key is in */
		ck.mv_size = sizeof(kc);
		ck.mv_data = kc;
		if ((rc = mdb_cursor_put(cur, &ck, &nv, MDB_CURRENT)) != 0) {
			rc = kt_mdb_err(err, rc, "seal a kept conflict");
			break;
		}
		m->sealed++;
	}
	sodium_memzero(key, sizeof(key));
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc < 0 && rc > -100 ? rc
		: kt_mdb_err(err, rc, "seal the kept conflicts");
}

static int rest_current_once(void *ctx, struct kt_err *err)
{
	struct migrate m = { ctx, NULL, 0 };
	uint64_t done = 0;
	int rc;

	if ((rc = kt_txn_begin(m.st->env, 0, &m.txn)) != 0)
		return kt_mdb_err(err, rc, "begin a write");
	if (kt_meta_u64(m.st, m.txn, KT_META_REST_VERSION, &done) == 0 && done >= 1) {
		mdb_txn_abort(m.txn); /* another process sealed them while we waited */
		return 0;
	}
	kt_rest_forget(m.st);
	if ((rc = migrate_rec(&m, err)) != 0 || (rc = migrate_conflicts(&m, err)) != 0 ||
	    (rc = kt_meta_put_u64(m.st, m.txn, KT_META_REST_VERSION, 1)) != 0 ||
	    (m.sealed > 0 && (rc = kt_meta_put_u64(m.st, m.txn, KT_META_REWRITE_DUE, 1)) != 0)) {
		mdb_txn_abort(m.txn);
		kt_rest_forget(m.st);
		return rc < 0 && rc > -100 ? rc : kt_mdb_err(err, rc, "seal the stored values");
	}
	if ((rc = kt_txn_commit(m.txn)) != 0)
		return kt_mdb_err(err, rc, "save the sealed values");
	/* The clear bytes stay in freed pages until the store is rewritten into a fresh file. */
	if (m.sealed > 0)
		m.st->rewrite_due = 1;
	return 0;
}

int kt_rest_current(struct kt_store *st, struct kt_err *err)
{
	uint64_t done = 0;
	MDB_txn *txn;
	int rc;

	if ((rc = kt_store_rdtxn(st, &txn, err)) != 0)
		return rc;
	kt_meta_u64(st, txn, KT_META_REST_VERSION, &done);
	mdb_txn_abort(txn);
	return done >= 1 ? 0 : kt_store_retry(st, rest_current_once, st, err);
}
