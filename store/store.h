/*
 * store.h - the node's store: one LMDB environment in the data folder.
 *
 * Every write is a change (proto/change.h) appended to the log and applied
 * through the merge rules (proto/merge.h) in the same write transaction;
 * kt_store_apply() is the one path that applies a change, for local writes
 * now and replicated ones later.  LMDB serialises write transactions across
 * processes, so two receptionists' terminals writing at once both land.
 *
 * Databases (named LMDB dbis) and their keys:
 *   meta   text key -> value: "node_id" u64, "branch", "hlc" (the clock, when
 *          a received change moved it), "set:<name>" settings.  The own seq,
 *          head hash and log position are derived from chain and log.
 *   log    logpos u64 BE -> change bytes; appended in order (MDB_APPEND)
 *   chain  origin u64 BE, seq u64 BE -> hash[32], logpos u64 BE
 *   rec    id[16] field u16 BE            -> head (field 0): type u8, owner[16]
 *          id[16] field u16 BE            -> LWW: version[16], base[16], value
 *          id[16] field u16 BE tag[16]    -> set element: state u8, value
 *          id[16] 0xfff0                  -> alias: version[16], base[16], target[16]
 *   own    owner[16] type u8 id[16]       -> empty (a client's records)
 *   idx    kind u8, token, 0x00, id[16]   -> empty; kind 'n' name word
 *          (folded), 'p' phone digits (E.164 when it parses), 'e' email (folded);
 *          'c' with no token: every catalogue entry (kt_store_catalogue), 's' every
 *          staff account, 'u' every audit record (kt_store_kind); 'a' card[16]
 *          audit[16]: the audit records that read a card (kt_store_audits_of)
 *   bday   "MM-DD" id[16]                 -> empty
 *   keys   client id[16]                  -> data key wrapped by the chain key
 *   shred  client id[16]                  -> empty: erased clients
 *   tokens token[16] client id[16]        -> empty: blind index tokens (phone,
 *          email) each card carried; two cards sharing one are duplicate candidates
 *   merged kept id[16] merged id[16]      -> empty: the cards merged into a card
 * Versions are hlc u64 BE then origin u64 BE, so they sort as they compare.
 *
 * Map size: the environment starts at KT_MAP_BYTES_INITIAL and doubles when
 * a write meets MDB_MAP_FULL (the transaction is aborted, the map grown and
 * the write retried), up to KT_MAP_BYTES_MAX; past that the write fails
 * with a message that says what to do.  The store is never damaged.
 */
#ifndef KT_STORE_H
#define KT_STORE_H

#include <stdint.h>
#include <lmdb.h>
#include "err.h"
#include "id.h"
#include "crypto.h"
#include "identity.h"
#include "proto/change.h"
#include "proto/merge.h"
#include "proto/msg.h"

#define KT_MAP_BYTES_INITIAL (64ull << 20)
#define KT_MAP_BYTES_MAX (1ull << 40)
#define KT_SETTING_BYTES_MAX 256

struct kt_ready;
struct kt_hint;

struct kt_store {
	MDB_env *env;
	MDB_dbi meta, log, chain, rec, own, idx, bday, keys, shred;
	MDB_dbi pushes, members; /* the hub's (hub/hub.h); empty at a node */
	MDB_dbi tokens, merged;  /* blind tokens per client; merged cards per kept card */
	MDB_dbi conflicts;       /* concurrent writes kept for review (store/conflict.c) */
	uint64_t node_id;
	uint8_t chain_key[KT_KEY_BYTES];
	char country[3];       /* default phone region, from the settings */
	/*
	 * The staff account every local write is made by (node/staff.h), sealed
	 * into each change's payload; has_author 0: none (a hub, a test).
	 */
	uint8_t has_author;
	struct kt_id author;
	char dir[4096];
	uint64_t (*clock)(void); /* wall clock in ms; tests may swap it */
	int64_t clock_offset;    /* the hub's clock minus ours (ms), from its last WELCOME */
	/* State of the open write transaction (LMDB allows one at a time). */
	uint64_t w_logpos, w_seq, w_hlc;
	int w_hlc_dirty;
	uint8_t w_head[KT_HASH_BYTES];
	/*
	 * The last change this transaction appended (origin, seq, hash): the
	 * head of that origin, so the next change of a push or batch checks
	 * its chain against it without reading the chain back.
	 */
	int w_last_valid;
	uint64_t w_last_origin, w_last_seq;
	uint8_t w_last_hash[KT_HASH_BYTES];
	/*
	 * Scratch for one decoded change (10 KiB, off the stack): the state read
	 * at begin, a batch's signature check, the hub's ingest, merge and
	 * pulls.  Each use ends before the next begins; none keeps it.
	 */
	struct kt_change w_change;
	struct kt_ready *w_ready;  /* a pulled change, its values and plaintext (kt_store_ingest) */
	const struct kt_hint *w_hints; /* index keys made ahead for the change being merged */
	uint32_t w_nhints;
	struct kt_ready *w_ring;   /* the changes a second thread makes ready (store/batch.c) */
	uint64_t pf_done;          /* bytes of the file it has brought into the page cache */
	uint64_t pf_base, pf_bytes; /* the file's end before its last batch, that batch's bytes */
	uint64_t w_voided;         /* remote changes this transaction voided (kt_store_merge) */
	int w_holes;               /* the store has withheld changes: each chain entry is read */
	int w_filled;              /* this transaction filled a hole (kt_store_void_retry is due) */
	uint64_t w_unvoided;       /* void changes this transaction applied after all */
	uint64_t voided;           /* and committed since open */
	/*
	 * The first run of void changes this transaction met (one origin,
	 * consecutive seqs, one reason), for the node to tell its hub
	 * (sync.c); first == 0: none.
	 */
	struct kt_void_run { uint64_t origin, first, last; int reason; } w_void, void_run;
	uint64_t ready_opened;     /* pulled changes a second thread opened (store/batch.c) */
	/*
	 * Tests only: a batch's writer leaves every change to the helper and
	 * waits for its prefaulting, so both paths run whatever the timing.
	 */
	int batch_test;
	/* Tests only: writes as a node before field 23 did, with no phone copy. */
	int no_phone_copy;
	/* Tests only: writes values in clear, as a node before values were sealed at rest. */
	int rest_off;
	/* Erasure (store/erase.c): what this transaction shredded and dropped, swept at commit. */
	struct kt_erasing *w_erase;
	uint64_t w_erased_dropped; /* changes to erased clients this transaction dropped */
	int w_swept;               /* this transaction swept an erasure */
	int rewrite_due;           /* a sweep committed: the store is due a rewrite */
	int lock_fd1;              /* the open lock's fd + 1 (0: none; store/rewrite.c) */
	/*
	 * The at-rest keys of the owners whose values were sealed or opened
	 * lately (store/rest.c, KT_REST_SLOTS of them by owner id), each known
	 * by the wrapped data key it came from; NULL until the first; wiped
	 * and freed at close.
	 */
	struct kt_rest_slot *rest_slots;
};

/*
 * Set by kt-node's SIGINT/SIGTERM/SIGHUP handler: the store's loops over
 * records (kt_store_each, kt_store_owned) and its writes stop at the next
 * record with KT_EINTR, so a reading command ends its read transaction and
 * closes the store (freeing its LMDB reader slot) instead of dying in it,
 * and a write in progress is aborted whole.
 */
#include <signal.h>
extern volatile sig_atomic_t kt_interrupted;

/* Creates a new node in dir (made if missing); refuses a folder that holds one. */
int kt_store_init(const char *dir, const char *branch, const char *country,
		  struct kt_err *err);
/*
 * The same with its key files sealed under lock (common/seal.h; NULL:
 * clear) from birth, so no clear key is ever written, and the setting
 * key_file = key_file (NULL: none), where later commands find it.
 */
struct kt_lock;
int kt_store_init_sealed(const char *dir, const char *branch, const char *country,
			 const struct kt_lock *lock, const char *key_file, struct kt_err *err);
/*
 * Seals the node's key files in dir again, under lock (NULL: in clear):
 * each opened with the process's unlock and written beside as NAME.seal,
 * then both renamed over (node.key first); a crash between is finished or
 * undone by the next open.  Nothing else may write them meanwhile (the
 * caller holds the store open).  0 or an error (nothing changed but the
 * .seal files, removed).
 */
int kt_store_reseal(const char *dir, const struct kt_lock *lock, struct kt_err *err);

/*
 * The time this node stamps its writes with: its wall clock corrected by
 * the hub's (meta "clock_offset", learnt at each WELCOME), so a branch PC
 * whose clock is off still orders its writes with the chain's.
 */
static inline uint64_t kt_store_now(const struct kt_store *st)
{
	return st->clock() + (uint64_t)st->clock_offset;
}

/*
 * mdb_txn_begin that adopts a map another process grew (MDB_MAP_RESIZED):
 * every transaction of ours begins here.
 */
int kt_txn_begin(MDB_env *env, unsigned flags, MDB_txn **txn);
/*
 * mdb_txn_commit: every commit of a write transaction, the store's and the
 * programs', goes through here, the one place where a fault test can make
 * a commit fail or tear.  Returns 0 or an error code; either way the
 * transaction is freed (never abort it after).
 */
int kt_txn_commit(MDB_txn *txn);

/*
 * The store's one error family is common/err.h's: every call of this
 * header returns 0 or a KT_E* code, never an LMDB one (those that take a
 * struct kt_err also say what went wrong in it).  An error code rc from
 * doing what ("save the node's state"), the store's or LMDB's, made the
 * line a person acts on: KT_EFULL (the map is full: kt_store_retry grows
 * it), KT_ENOSPC (the disk), else KT_EIO with LMDB's own words for the
 * fault.  Returns the code set.
 */
int kt_mdb_err(struct kt_err *err, int rc, const char *what);
/*
 * An LMDB or errno code rc as its KT_E* code (MDB_NOTFOUND KT_ENOTFOUND,
 * MDB_KEYEXIST KT_EEXIST, MDB_MAP_FULL KT_EFULL, a full disk KT_ENOSPC,
 * MDB_BAD_VALSIZE KT_ETOOBIG, a damaged file KT_ECORRUPT, else KT_EIO); a
 * KT_E* code passes as it is.  For code that meets LMDB's own codes above
 * the store (hub/hub_store.c); kt_mdb_err says the one it mapped last.
 */
int kt_mdb_code(int rc);

/*
 * meta: the node's and the hub's own state, by text name (store/base.c).
 * kt_meta_u64: 0 with *out the value (0 when there is none or it is not 8
 * bytes), or an error code; the puts: 0 or an error code.  All in the
 * caller's transaction txn.
 */
int kt_meta_u64(struct kt_store *st, MDB_txn *txn, const char *name, uint64_t *out);
int kt_meta_put(struct kt_store *st, MDB_txn *txn, const char *name, const void *p, size_t n);
int kt_meta_put_u64(struct kt_store *st, MDB_txn *txn, const char *name, uint64_t x);
/*
 * Writes n name = u64 pairs in a transaction of their own, durably (a
 * failed commit has freed the transaction: it is not aborted again).
 */
int kt_meta_save_u64(struct kt_store *st, const char *const *names, const uint64_t *vals, int n,
		     struct kt_err *err);

/* The meta name under which a replica pins origin's public key: "key:<16 hex>". */
#define KT_META_KEY_NAME_BYTES 24
void kt_meta_key_name(char out[KT_META_KEY_NAME_BYTES], uint64_t origin);

/*
 * The branch name of an origin, as its hub names it in each pulled push
 * (meta "branch:<16 hex>"; written only when it changes).  Get: "" when
 * none is known; this node's own is its "branch".
 */
int kt_origin_branch_put(struct kt_store *st, MDB_txn *txn, uint64_t origin, const char *name,
			 size_t n, struct kt_err *err);
void kt_origin_branch(struct kt_store *st, MDB_txn *txn, uint64_t origin, char *out, size_t cap);

/*
 * chain: (origin, seq) -> hash, log position (store/chain.c).  Get: 0,
 * KT_ENOTFOUND, KT_ECORRUPT for an entry of the wrong size, or another error
 * code; logpos may be NULL.
 */
int kt_chain_get(struct kt_store *st, MDB_txn *txn, uint64_t origin, uint64_t seq,
		 uint8_t hash[KT_HASH_BYTES], uint64_t *logpos);
int kt_chain_put(struct kt_store *st, MDB_txn *txn, uint64_t origin, uint64_t seq,
		 const uint8_t hash[KT_HASH_BYTES], uint64_t logpos, struct kt_err *err);

/* ---- meta copied out or saved alone, the hub's clock (store/meta.c) ---- */
/*
 * kt_meta_copy copies the value of meta name into out[0..cap) and its size
 * into *n: 0, KT_ENOTFOUND, or KT_ETOOBIG for a value longer than cap
 * (nothing copied).  kt_meta_text is the same as a C string of at most
 * cap - 1 bytes (out is "" unless it returns 0).  In the caller's txn.
 */
int kt_meta_copy(struct kt_store *st, MDB_txn *txn, const char *name, void *out, size_t cap,
		 size_t *n);
int kt_meta_text(struct kt_store *st, MDB_txn *txn, const char *name, char *out, size_t cap);
/*
 * Writes meta name = p[0..n) in a transaction of its own, durably: 0 or an
 * error code (the transaction is freed either way).  No transaction of this
 * process may be open around it.
 */
int kt_meta_save(struct kt_store *st, const char *name, const void *p, size_t n);
/*
 * Takes the hub's clock hub_ms (its WELCOME) as the chain's: the offset
 * from this store's wall clock (st->clock, which stamps writes), put as
 * meta "clock_offset" in txn when it moved by a second or more from
 * st->clock_offset, into *offset (else *offset is st->clock_offset).  The
 * caller sets st->clock_offset = *offset once txn commits.  0 or an error
 * code.
 */
int kt_store_clock_learn(struct kt_store *st, MDB_txn *txn, uint64_t hub_ms, int64_t *offset);
/*
 * Opens the node in dir: the LMDB environment and the chain key, opened
 * with the process's unlock when sealed (common/seal.h; the setting
 * key_file is its hint).  A wrong or missing key file or passphrase is
 * one line in err and nothing is changed.
 */
int kt_store_open(struct kt_store *st, const char *dir, struct kt_err *err);
void kt_store_close(struct kt_store *st);

/*
 * Frees the LMDB reader slots of processes that died holding a read
 * transaction (a reading command killed while a daemon kept the store
 * open: nothing else clears them, and at 126 every reader fails with
 * MDB_READERS_FULL while old pages can no longer be reused).  Run at every
 * open and every KT_READER_CHECK_MS by the daemons.  Returns the number of
 * slots freed (0 on any error: a check that cannot run changes nothing).
 * Source: LMDB's mdb_reader_check().
 */
#define KT_READER_CHECK_MS 10000
int kt_store_reader_check(struct kt_store *st);

/* Makes a hub's store in dir: hub.key (its identity), a node id, the listen endpoint. */
int kt_store_init_hub(const char *dir, const char *listen, struct kt_err *err);

/* Opens a store as kt_store_open() does, or for the hub (hub = 1): no chain key. */
int kt_store_open_as(struct kt_store *st, const char *dir, int hub, struct kt_err *err);

/* Read transactions for the CLI; values read stay valid until the end. */
int kt_store_rdtxn(struct kt_store *st, MDB_txn **txn, struct kt_err *err);

/*
 * A change being written locally.  The caller fills type, id, owner, the
 * ops' kinds and fields, and vals[i] for op i (SET and ADD; for DEL the
 * value to remove: the store finds its tags).  The store fills origin,
 * seq, hlc, prev, SET bases and DEL tags.  create is set for a new record:
 * a new client gets a fresh data key, which travels in a KEY op.
 */
struct kt_draft {
	uint8_t type;
	uint8_t create;
	struct kt_id id;
	struct kt_id owner;
	uint32_t nops;
	struct kt_op ops[KT_OPS_MAX];
	struct kt_val vals[KT_OPS_MAX];
};

/*
 * Writes n drafts as n changes in one durable transaction.  All or
 * nothing: when one is refused (unknown id, nothing to remove, ...) none
 * is written.  On success *seq_out (may be NULL) is the last seq written.
 */
int kt_store_write(struct kt_store *st, struct kt_draft *d, size_t n, uint64_t *seq_out,
		   struct kt_err *err);
/*
 * The same, with meta name = val[0..len) written in that very transaction
 * (an import notes how far it got with the rows it writes, so a run that
 * stops is resumed without writing a row twice).
 */
int kt_store_write_noting(struct kt_store *st, struct kt_draft *d, size_t n, const char *name,
			  const void *val, size_t len, uint64_t *seq_out, struct kt_err *err);

/*
 * Runs once(ctx, err), one whole write transaction that aborts on any
 * error, and while it says KT_EFULL (MDB_MAP_FULL) doubles the map and runs
 * it again, up to KT_MAP_BYTES_MAX (24 doublings from the initial map pass
 * it).  Every writer goes through here: local writes, a pulled batch, the
 * hub's handling of a message, a re-key.  No transaction of this process
 * may be open around it.
 */
int kt_store_retry(struct kt_store *st, int (*once)(void *ctx, struct kt_err *err), void *ctx,
		   struct kt_err *err);

/*
 * A write transaction for applying changes: begin reads the log position
 * and clock, commit stores them and commits durably.  Abort on any error.
 */
int kt_store_wbegin(struct kt_store *st, MDB_txn **txn, struct kt_err *err);
int kt_store_wcommit(struct kt_store *st, MDB_txn *txn, struct kt_err *err);
/*
 * The same commit without the second flush (MDB_NOMETASYNC for this one
 * transaction): integrity holds, but a power cut may undo it.  Only for
 * what can be done again: a pulled batch (pulled again), the hub's merge
 * (merged again from the log).  Never for a local write or an acknowledged
 * push.
 */
int kt_store_wcommit_lazy(struct kt_store *st, MDB_txn *txn, struct kt_err *err);

/*
 * Re-seals a standalone node's log under a chain's key nk (store/rekey.c):
 * KEY and TOKEN ops made again, payloads sealed again, the hash chain
 * recomputed, every client's key wrapped again; one transaction, which
 * records the new key's hash as meta "rekey".  The caller has written nk to
 * chain.key.new first and renames it over chain.key after; kt_store_open()
 * finishes a rename a crash interrupted.  Refuses a node holding changes of
 * other branches or an erasure.
 */
int kt_store_rekey(struct kt_store *st, const uint8_t nk[KT_KEY_BYTES], struct kt_err *err);

/*
 * Duplicate candidates (store/dup.c): pairs (a < b) of live, unmerged client
 * cards that carried the same blind token (phone or email), sorted and
 * distinct, into *out (free it).  Metadata only, so the hub lists the same.
 * A token shared by more than KT_TOKEN_GROUP_MAX cards (an office phone)
 * pairs only the first of them.
 */
#define KT_TOKEN_GROUP_MAX 64
struct kt_pair {
	struct kt_id a, b;
};
size_t kt_store_duplicates(struct kt_store *st, MDB_txn *txn, struct kt_pair **out);

/* Whether id is a live client card: its record head says so (an erased one has none). */
int kt_store_is_client(struct kt_store *st, MDB_txn *txn, const struct kt_id *id);

/*
 * Whether card id is merged into another (its alias register names *to).
 * Merges made at two branches at once can close a cycle (Centre merges X
 * into Y while North merges Y into X, or three branches around three
 * cards): then the card of the cycle whose merge is the latest (the
 * highest alias version) stands, and the others are merged into it, one
 * rule at every replica over the same registers, so she stays visible
 * everywhere and digests agree.  kt_store_merge_cycles lists each such
 * cycle (fn gets the standing card first, then the others along the
 * cycle) for review; it returns how many there are, or an error.
 */
#define KT_ALIAS_HOPS_MAX 64
int kt_store_alias_of(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, struct kt_id *to);
typedef void (*kt_cycle_fn)(void *ctx, const struct kt_id *cards, size_t n);
/* The card id shows under, over every merge on the way (id itself: 0 hops); the hops. */
int kt_store_alias_root(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			struct kt_id *root);
/* The alias register of id as written, cycles or not: 1 when it names a card. */
int kt_store_alias_reg(struct kt_store *st, MDB_txn *txn, const struct kt_id *id, struct kt_id *to,
		       struct kt_version *ver);
int kt_store_merge_cycles(struct kt_store *st, MDB_txn *txn, kt_cycle_fn fn, void *ctx,
			  struct kt_err *err);

/* ---- Erasure (store/erase.c) and the store's rewrite (store/rewrite.c) ---- */
/*
 * Whether client card id is erased: its id is in the shred table (its
 * records, index entries, tokens and data key are gone, and its changes in
 * the log are stubs, proto/stub.h).  In txn.
 */
int kt_store_erased(struct kt_store *st, MDB_txn *txn, const struct kt_id *id);
/*
 * How many changes to erased clients this replica dropped since it began
 * (meta "erased_dropped"): each came, whole or as a stub, after her
 * erasure was applied here, and went into the log as a stub.
 */
uint64_t kt_store_erased_dropped(struct kt_store *st, MDB_txn *txn);
/*
 * The merge group of client card id: id, the card its alias register
 * names, the cards merged into it (the merged table), and so on
 * transitively, live client cards only, at most cap of them into out (id
 * first) and their number into *n.  0, KT_ETOOBIG when the group holds
 * more than cap cards, or a store error.
 */
int kt_store_erase_group(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			 struct kt_id *out, size_t cap, size_t *n, struct kt_err *err);
/*
 * The store's open lock (held shared from open to close; store/rewrite.c
 * says how): take it on dir's lock.mdb before LMDB opens the store (0 or
 * KT_EIO), drop it after LMDB closes it.
 */
int kt_store_lock_take(struct kt_store *st, const char *dir, struct kt_err *err);
void kt_store_lock_drop(struct kt_store *st);
/*
 * Rewrites the store into a fresh file when an erasure left it due (its
 * meta "rewrite_due", or st->rewrite_due) and no other open holds it:
 * every table copied in order into a new environment, renamed over
 * data.mdb.  reopen 1: st is opened again on the new file (a daemon goes
 * on); 0: st->env is left closed (kt_store_close).  No transaction may be
 * open.  Returns 0 when rewritten, 1 when not due or not now (another
 * holds the store: it stays due), or an error (the old file stays whole
 * and due).
 */
int kt_store_rewrite(struct kt_store *st, int reopen, struct kt_err *err);

/* ---- Admin reads and the whole copy (store/admin.c) ---- */
/*
 * Writes a compacted copy of the store, one consistent snapshot taken while
 * others may write, into the folder dir (made already, empty) as data.mdb.
 * Returns 0, KT_ENOSPC (that disk is full) or KT_EIO, with LMDB's reason as
 * err's message; a failed copy may leave a partial file for the caller to
 * remove.
 */
int kt_store_copy(struct kt_store *st, const char *dir, struct kt_err *err);
/* The bytes the store's pages in use take (a compacted copy is at most this); 0 unknown. */
uint64_t kt_store_used_bytes(struct kt_store *st);
/*
 * The version of the last write of LWW field of record id, who and when
 * (metadata: the hub holds it too): 0, or KT_ENOTFOUND when the record
 * holds no value of field.
 */
int kt_store_field_version(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			   uint16_t field, struct kt_version *ver);

/*
 * The open conflicts of one record (store/conflict.c), decoded: the field,
 * both versions (the higher one won and is the record's value), both
 * values (KT_V_NIL when the replica cannot read one: the hub) and the
 * branch name of each side's writer (kt_store_branch_of).  Values borrow
 * from txn.  fn is called for each in field order; a non-zero return stops
 * the walk and is returned.  Returns 0 or a store error; a damaged entry is
 * skipped.
 */
#define KT_BRANCH_NAME_BYTES 80
struct kt_conflict {
	struct kt_id id; /* the record */
	uint16_t field;
	struct kt_version lo, hi;
	struct kt_val lo_val, hi_val;
	char lo_branch[KT_BRANCH_NAME_BYTES], hi_branch[KT_BRANCH_NAME_BYTES];
};
typedef int (*kt_conflict_fn)(void *ctx, const struct kt_conflict *c);
int kt_store_conflicts_of(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
			  kt_conflict_fn fn, void *ctx, struct kt_err *err);
/* The same over every record's open conflicts, in record then field order. */
int kt_store_conflicts(struct kt_store *st, MDB_txn *txn, kt_conflict_fn fn, void *ctx,
		       struct kt_err *err);
/* How many open conflicts the store holds (0 when it cannot tell). */
uint64_t kt_store_conflict_count(struct kt_store *st, MDB_txn *txn);

/*
 * The branch name of the node origin, as its hub names it (this node's own
 * for its own id), or the node id in 16 hex digits when none is known.
 */
void kt_store_branch_of(struct kt_store *st, MDB_txn *txn, uint64_t origin, char *out,
			size_t cap);

/*
 * The cards merged directly into card kept (the merged dbi), in id order:
 * at most cap of them into out, and how many there are in all into *n
 * (may exceed cap).  Returns 0 or a store error.
 */
int kt_store_merged_into(struct kt_store *st, MDB_txn *txn, const struct kt_id *kept,
			 struct kt_id *out, size_t cap, size_t *n, struct kt_err *err);

/* Reads the writing state (log position, own seq and head, clock) into st. */
int kt_store_state(struct kt_store *st, MDB_txn *txn, struct kt_err *err);

/* The last seq, hash and log position the store holds of origin (0s: none). */
int kt_store_origin_head(struct kt_store *st, MDB_txn *txn, uint64_t origin, uint64_t *seq,
			 uint8_t hash[KT_HASH_BYTES], uint64_t *logpos);

/*
 * Applies one change, decoded with its values, inside txn: the one path
 * for every change.  Checks its hash chain against what the store has of
 * its origin; a change already applied is skipped.
 */
int kt_store_apply(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		   const struct kt_val *vals, const uint8_t hash[KT_HASH_BYTES],
		   const uint8_t *bytes, size_t len, struct kt_err *err);

/*
 * The two halves of kt_store_apply.  kt_store_append checks the hash chain
 * and appends to the log: 0 appended, 1 already held, or an error.
 * kt_store_merge applies the change's ops to the state through the merge
 * rules (vals NULL: metadata only, the hub); for a remote change (remote
 * = 1) a record named under another type or owner than it has voids the
 * change everywhere alike (st->voided counts them), where a local write
 * is refused.
 */
int kt_store_append(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		    const uint8_t hash[KT_HASH_BYTES], const uint8_t *bytes, size_t len,
		    struct kt_err *err);
int kt_store_merge(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		   const struct kt_val *vals, int remote, struct kt_err *err);

/*
 * Void changes.  A replicated change that cannot be applied the same way at
 * every replica (PROTOCOL.md, "Void change": its seal does not open, its
 * owner's data key is not held or does not unwrap under the chain key, or
 * it names a record under another type or owner) stays in the log and the
 * hash chain, so its origin's later changes go on, and changes nothing.
 * Each is kept as meta "void:<origin 16 hex>:<seq 16 hex>" -> reason (one
 * byte, enum kt_void_reason of proto/msg.h) and counted in meta "voided".
 * kt_store_voids calls fn for each, in origin and seq order, up to max
 * (0: all); it returns how many there are, or -1 when the store cannot be
 * read.
 */
int kt_store_void_note(struct kt_store *st, MDB_txn *txn, const struct kt_change *c,
		       int reason, struct kt_err *err);
long kt_store_voids(struct kt_store *st, uint32_t max,
		    void (*fn)(void *ctx, uint64_t origin, uint64_t seq, int reason), void *ctx);
/*
 * Reads the whole LMDB store in dir in a child process (store/walk.c):
 * every table in key order, each entry counted against the table's count,
 * every byte touched.  LMDB keeps no page checksums, so a flipped bit in a
 * page's structure is found here instead of crashing the process that
 * follows it.  Returns 0 when the store is whole (or there is none), 1
 * when it is damaged (msg: "its structure is damaged in table log: ..."),
 * -1 when it could not be checked (msg says why).  Bounded by the store's
 * size and WALK_SECONDS.  The store must not be open in this process.
 */
int kt_store_walk(const char *dir, char *msg, size_t cap);

/*
 * Withheld changes (a hole).  A push the hub found damaged in its own store
 * arrives withheld (proto/msg.h): its origin seqs first..last and the hash
 * of the last, which the origin signed.  The store keeps that hash as the
 * chain entry of last with log position KT_CHAIN_HOLE, so the origin's
 * later changes chain on, and meta "hole:<origin 16 hex>:<last 16 hex>" ->
 * first seq, hub seq of the first (8 bytes big-endian each).  The true
 * changes fill the hole when they come (their hash must be the signed one)
 * and the entry goes.  kt_store_hole_put returns 0 (also when the store
 * holds that change already), KT_ECORRUPT for a gap or another hash under a
 * seq held, or another error.  kt_store_holes calls fn for each hole still
 * open, in origin and seq order, up to max (0: all), and returns how many,
 * or -1 when the store cannot be read.
 */
#define KT_CHAIN_HOLE UINT64_MAX
/*
 * A hole whose hash came unsigned (the hub holds the push's signature
 * damaged too): it stands until the origin's next change, which is signed,
 * names the same hash as the one before it (then it is KT_CHAIN_HOLE), and
 * a change for its seq that comes signed takes its place whatever its hash.
 */
#define KT_CHAIN_HOLE_UNSIGNED (UINT64_MAX - 1)
struct kt_hole {
	uint64_t origin, first, last, hub_at;
};
int kt_store_hole_put(struct kt_store *st, MDB_txn *txn, const struct kt_hole *h,
		      const uint8_t hash[KT_HASH_BYTES], int is_signed, struct kt_err *err);
/* Whether the store holds hash as the signed hash of a hole at origin's seq. */
int kt_store_hole_vouches(struct kt_store *st, MDB_txn *txn, uint64_t origin, uint64_t seq,
			  const uint8_t hash[KT_HASH_BYTES]);
long kt_store_holes(struct kt_store *st, uint32_t max,
		    void (*fn)(void *ctx, const struct kt_hole *h), void *ctx);
/*
 * kt_store_holes in the caller's transaction, which sees its own
 * writes: fn for each hole still open, in origin and seq order, up to max
 * (0: all); how many there are, or -1 when the store cannot be read.
 */
long kt_store_holes_in(struct kt_store *st, MDB_txn *txn, uint32_t max,
		       void (*fn)(void *ctx, const struct kt_hole *h), void *ctx);

/*
 * Applies, in txn, each change kept void because its client's data key was
 * not held (KT_VOID_KEY) whose key now is: the change that carries a key
 * may have been withheld while later changes of her card came, and the
 * merge gives the same state in any order.  Run once a hole is filled
 * (st->w_filled); bounded by the void changes kept.  Returns 0 or an error.
 */
int kt_store_void_retry(struct kt_store *st, MDB_txn *txn, struct kt_err *err);

/* A short English phrase for a void reason: "its seal does not open". */
const char *kt_void_reason_text(int reason);

/*
 * Decodes, checks, opens and applies one change as received from another
 * replica (or read back from a log), inside txn: the remote side of the one
 * apply path.  A change owned by an erased client is logged and dropped.
 */
int kt_store_ingest(struct kt_store *st, MDB_txn *txn, const uint8_t *bytes, size_t len,
		    struct kt_err *err);

/*
 * kt_store_ingest of n changes in order, with exactly its effects and
 * errors (the first one stops the batch).  A batch of KT_BATCH_THREADED or
 * more changes is decoded, hashed and opened a few changes ahead on a
 * second thread while this one applies (store/batch.c).
 */
#define KT_BATCH_THREADED 32
int kt_store_ingest_batch(struct kt_store *st, MDB_txn *txn, const struct kt_bytes *changes,
			  uint32_t n, struct kt_err *err);

/*
 * The error of a node the hub holds another change seq of: it was restored
 * from an older backup and written to before it synced (sync.c, and the
 * chain check of a pulled change of its own).  Returns its code.
 */
int kt_store_fork_err(struct kt_err *err, uint64_t seq);

/*
 * The hub's ingest: decodes and checks one change (its header and hash
 * chain) and appends it to the log, without merging it; the hub merges its
 * log behind (kt_hub_merge) on metadata alone, so its digest is the nodes'.
 */
int kt_store_ingest_log(struct kt_store *st, MDB_txn *txn, const uint8_t *bytes, size_t len,
			struct kt_err *err);

/* A record as read: its head, winning fields and live set elements. */
struct kt_rfield {
	uint16_t field;
	struct kt_version ver;
	struct kt_version base;
	struct kt_val v;
};
struct kt_relem {
	uint16_t field;
	uint8_t tag[KT_TAG_BYTES_SET];
	struct kt_val v;
};
struct kt_rec {
	struct kt_id id;
	struct kt_id owner;
	uint8_t type;
	struct kt_id alias;          /* zero unless merged into another card */
	uint32_t nfields, nelems, cap_fields, cap_elems;
	struct kt_rfield *fields;    /* by field number */
	struct kt_relem *elems;      /* by field, then tag */
	/*
	 * The record's values opened from their seal at rest (store/rest.c):
	 * the sealed values' strings point here.  Owned by the record: wiped
	 * and reused by the next kt_store_load into it, wiped and freed by
	 * kt_rec_release.  A struct kt_rec is not copied by value.
	 */
	uint8_t *plain;
	size_t plain_cap;
};
void kt_rec_init(struct kt_rec *r);
/* Frees r's arrays and wipes and frees its opened values; r is then empty. */
void kt_rec_release(struct kt_rec *r);

/*
 * Loads record id.  The values of the fields the search reads (kt_rest
 * clear: a client's name, phone, email, birthday, the phone's copy)
 * borrow from txn; every other value is opened from its seal at rest
 * under the owner's data key (unwrapped once per load, or not at all when
 * the store's last one is hers) into r->plain, valid until the next load
 * into r or kt_rec_release.  KT_ENOTFOUND when absent; KT_ECORRUPT for a
 * value that does not decode or open.
 */
int kt_store_load(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		  struct kt_rec *r, struct kt_err *err);

/* The winning value of one field of r, or NULL. */
const struct kt_val *kt_rec_get(const struct kt_rec *r, uint16_t field);

/*
 * The phone's E.164 copy (field 23) of card r when it is the copy of her
 * phone as it stands: written by the change that wrote the phone (the two
 * versions equal).  NULL otherwise: a phone changed since by a node that
 * writes no copy, a copy with no phone, or none.  Borrows from r.
 */
const struct kt_val *kt_rec_phone_e164(const struct kt_rec *r);

/* Calls fn for each record of owner of the given type (0: any), oldest first. */
typedef int (*kt_id_fn)(void *ctx, const struct kt_id *id, uint8_t type);
int kt_store_owned(struct kt_store *st, MDB_txn *txn, const struct kt_id *owner,
		   uint8_t type, kt_id_fn fn, void *ctx, struct kt_err *err);

/* Calls fn for each record of type (0: any) in id order. */
int kt_store_each(struct kt_store *st, MDB_txn *txn, uint8_t type, kt_id_fn fn, void *ctx,
		  struct kt_err *err);

/*
 * Finds clients whose name words start with every word of query (folded:
 * case, accents, apostrophes, lookalike letters of two keyboards; a word
 * joined by an apostrophe is found whole or by its parts), whose phone
 * matches (any formatting; a query of 4 or more digits also finds phones
 * ending in them) or whose email matches (case-insensitive), from the
 * indexes only.  Writes up to cap distinct ids to out, in index order;
 * returns the count or a negative error.  *cut (may be NULL) is 1 when the
 * search stopped before it met every match (cap ids, or FIND_SCAN_MAX
 * index entries walked): there may be more.
 */
int kt_store_find(struct kt_store *st, MDB_txn *txn, const char *query,
		  struct kt_id *out, int cap, int *cut, struct kt_err *err);

/*
 * Calls fn for each entry of the chain's catalogue (services and products,
 * retired ones too) in id order, from the idx table's 'c' keys.  Returns 0,
 * fn's non-zero value, or an error (a damaged index key is KT_ECORRUPT).
 */
int kt_store_catalogue(struct kt_store *st, MDB_txn *txn, kt_id_fn fn, void *ctx,
		       struct kt_err *err);
/*
 * The same for every record of a chain-wide kind, type KT_T_CATALOGUE,
 * KT_T_STAFF or KT_T_AUDIT (idx 'c', 's', 'u' 0x00 id; KT_EINVAL for
 * another type), in id order, starting after id *after (NULL: the first).
 * Audit ids are ULIDs, so a walk from an id made of a time starts there.
 */
int kt_store_kind(struct kt_store *st, MDB_txn *txn, uint8_t type, const struct kt_id *after,
		  kt_id_fn fn, void *ctx, struct kt_err *err);
/* The idx letter of a kind (0: the type is not indexed by kind). */
uint8_t kt_kind_letter(uint8_t type);
/*
 * Calls fn (type KT_T_AUDIT) for each audit record that names card among
 * the cards it read (idx 'a' card[16] audit[16]), in audit id order, so in
 * time order.  Returns 0, fn's non-zero value, or an error.
 */
int kt_store_audits_of(struct kt_store *st, MDB_txn *txn, const struct kt_id *card,
		       kt_id_fn fn, void *ctx, struct kt_err *err);

/* Calls fn for each client whose birthday is on "MM-DD". */
int kt_store_birthdays_on(struct kt_store *st, MDB_txn *txn, int month, int day,
			  kt_id_fn fn, void *ctx, struct kt_err *err);

/* Settings: small text values in meta, local to this node. */
int kt_store_setting(struct kt_store *st, MDB_txn *txn, const char *name, char *out,
		     size_t cap);
int kt_store_set_setting(struct kt_store *st, const char *name, const char *value,
			 struct kt_err *err);

/* Node facts for status. */
struct kt_store_info {
	uint64_t node_id;
	uint64_t seq;
	uint64_t hlc;
	uint64_t changes; /* entries in the log */
	uint64_t records;
	uint64_t map_bytes;
	uint64_t used_bytes;
	char branch[KT_BRANCH_BYTES_MAX + 1];
};
int kt_store_info(struct kt_store *st, struct kt_store_info *info, struct kt_err *err);

/* The digest of the store's state (merge.h), for comparing replicas. */
/* The same, of the state as txn (a reader, or a writer that will be aborted) sees it. */
int kt_store_digest_in(struct kt_store *st, MDB_txn *txn, uint8_t out[KT_HASH_BYTES],
		       struct kt_err *err);
int kt_store_digest(struct kt_store *st, uint8_t out[KT_HASH_BYTES], struct kt_err *err);

/* ---- the log by position, meta by name, the state emptied (store/log.c) ---- */
/*
 * log: the change bytes at log position pos, borrowed from txn.  Get: 0 or
 * KT_ENOTFOUND; put overwrites the entry at pos (a repair puts a change's
 * true bytes back): 0 or an error code.  kt_log_last: the last position (0: none).
 */
int kt_log_get(struct kt_store *st, MDB_txn *txn, uint64_t pos, struct kt_bytes *out);
int kt_log_put(struct kt_store *st, MDB_txn *txn, uint64_t pos, const uint8_t *p, size_t n);
uint64_t kt_log_last(struct kt_store *st, MDB_txn *txn);
/*
 * A walk over the log in position order, in txn: seek stands on the first
 * entry at or after pos, next on the one after; each gives its position
 * in *at (0 for a key that is not 8 bytes) and its bytes (borrowed).
 * Returns 0, KT_ENOTFOUND past the end, or an error code.  Close it before
 * txn ends.
 */
struct kt_log_cur {
	MDB_cursor *cur;
};
int kt_log_open(struct kt_store *st, MDB_txn *txn, struct kt_log_cur *c);
int kt_log_seek(struct kt_log_cur *c, uint64_t pos, uint64_t *at, struct kt_bytes *b);
int kt_log_next(struct kt_log_cur *c, uint64_t *at, struct kt_bytes *b);
void kt_log_close(struct kt_log_cur *c);
/*
 * meta as bytes: get (borrowed from txn; 0 or KT_ENOTFOUND), delete (0 or
 * KT_ENOTFOUND), and a walk in name order over the names that begin with
 * prefix.  fn gets each name (n bytes, not NUL-terminated) and value and
 * returns 0 to go on, > 0 to stop, < 0 to stop with that error, which
 * kt_meta_each returns; else 0 or an error code.
 */
typedef int (*kt_meta_fn)(void *ctx, const char *name, size_t n, struct kt_bytes v);
int kt_meta_get(struct kt_store *st, MDB_txn *txn, const char *name, struct kt_bytes *out);
int kt_meta_del(struct kt_store *st, MDB_txn *txn, const char *name);
int kt_meta_each(struct kt_store *st, MDB_txn *txn, const char *prefix, kt_meta_fn fn, void *ctx);
/*
 * Empties, in txn, the state the merge derives from the log (rec, own, idx,
 * shred, tokens, merged, conflicts; kept open): the hub's rebuild and
 * repair.  Its meta (the merge position) is the caller's.  0 or an error code.
 */
int kt_store_drop_state(struct kt_store *st, MDB_txn *txn);
/* Sets the map to bytes (tests start a store small); no transaction may be open. */
int kt_store_set_map(struct kt_store *st, size_t bytes);

#endif
