/*
 * hub.h - the hub: enrolled branches, the ordered log of every branch's
 * changes, and the sync state machine that serves nodes.
 *
 * The hub's store is a struct kt_store opened without a chain key: it
 * appends every pushed change to its log (kt_store_ingest_log) and merges
 * the log on metadata alone behind it (kt_hub_merge), so its digest is the
 * nodes' digest, and its log position is the hub seq that nodes pull by.  Two more
 * databases, pushes and members, are the hub's own (hub_store.h draws them).
 *
 * kt_hub_handle() is the state machine: one message from one peer (known
 * by its public key, which CURVE authenticated) and the time go in;
 * replies for that peer and notices for every peer come out.  No socket
 * and no clock inside: hub/main.c is the ZeroMQ edge, and tests drive the
 * machine directly.
 */
#ifndef KT_HUB_H
#define KT_HUB_H

#include "store.h"
#include "proto/msg.h"

struct kt_hub_work;
/* What the invariants last saw of one origin (kt_hub_invariants). */
struct kt_hub_seen {
	uint64_t origin, head, pulled;
};
#define KT_HUB_SEEN_MAX 4096 /* origins the invariants follow (a chain has far fewer branches) */
struct kt_hub {
	struct kt_store st;
	size_t scratch_map; /* tests: the map kt_hub_verify_state's scratch store starts at (0: default) */
	/*
	 * The buffers of one message (hub_int.h) and the invariants' table of
	 * origins, owned by the hub: malloc'd by kt_hub_open (~0.5 MiB, while a
	 * struct kt_hub may live on a stack), freed by kt_hub_close.
	 */
	struct kt_hub_work *w;
	/*
	 * The machine's memory between calls, for kt_hub_invariants: what the
	 * last message did, and what was last seen of the store.
	 */
	struct {
		uint64_t head;            /* the log's last position */
		uint64_t origin;          /* the origin the last message spoke for (0: none) */
		uint32_t out_n;           /* messages it made the hub say */
		uint32_t batch_pushes, batch_changes; /* in the last BATCH it built */
		uint32_t push_changes;    /* in the push it stored */
		int applied;              /* a push was stored: its last change follows */
		uint64_t applied_origin, applied_seq;
		uint8_t applied_hash[KT_HASH_BYTES];
		uint32_t nseen, turn;     /* origins in w's table; the next a tick checks */
	} inv;
};

/* What one message made the hub say. */
#define KT_HUB_OUT_MAX 10 /* up to KT_PULL_BATCHES_MAX batches and a REFUSE */
#define KT_PULL_BATCHES_MAX 8       /* BATCH messages answering one PULL */
#define KT_HUB_CONTACT_SAVE_MS 30000 /* a node's last contact is written at most this often */
#define KT_PULL_BATCH_CHANGES 8000  /* changes in one of them (whole pushes: may pass it by one push) */
#if KT_PULL_BATCHES_MAX > KT_HUB_OUT_MAX
#error "the batches answering a pull must fit what one message makes the hub say"
#endif
#if KT_PULL_BATCH_CHANGES + KT_PUSH_CHANGES_MAX > KT_BATCH_CHANGES_MAX
#error "a batch of whole pushes must fit KT_BATCH_CHANGES_MAX"
#endif
#define KT_HUB_NOTE_BYTES 400
struct kt_hub_out {
	uint32_t n;
	struct {
		int to_all;            /* a notice for every connected peer */
		msgpack_sbuffer msg;
	} m[KT_HUB_OUT_MAX];
	/*
	 * What the hub's log should say of a message that was handled (a void
	 * report, a change stamped far ahead, damage found while serving):
	 * one line, "" when nothing.  Errors come in the kt_err instead.
	 */
	char note[KT_HUB_NOTE_BYTES];
};
void kt_hub_out_init(struct kt_hub_out *o);
void kt_hub_out_release(struct kt_hub_out *o);

/* Makes a hub in dir; listen is the endpoint `run` binds (tcp://HOST:PORT). */
int kt_hub_init(const char *dir, const char *listen, struct kt_err *err);
int kt_hub_open(struct kt_hub *h, const char *dir, struct kt_err *err);
void kt_hub_close(struct kt_hub *h);

/*
 * Enrolls a branch's node key (64 hex digits); refuses a key already
 * enrolled, and lets a revoked key back in (its origin and branch kept).
 */
int kt_hub_enroll(struct kt_hub *h, const char *branch, const uint8_t key[KT_PUBKEY_BYTES],
		  struct kt_err *err);

/*
 * The chain key's check value the hub holds (meta "chain_check", taken
 * from the first HELLO that carried one): 1 with it in out, 0 when no node
 * has said hello yet (the chain is not founded), -1 on a read error.
 */
#define KT_HUB_META_CHAIN_CHECK "chain_check"
int kt_hub_chain_check(struct kt_hub *h, uint8_t out[KT_CHAIN_CHECK_BYTES]);
/*
 * Writes both copies of the check value again from the one that is whole
 * (kt-hub verify, and run's start): returns how many copies were mended
 * (0: both whole, or none held), or an error.  kt_hub_chain_check returns
 * -1 when no copy is whole.
 */
int kt_hub_chain_check_mend(struct kt_hub *h, struct kt_err *err);

/*
 * The branch name key was enrolled under, into out ("" when unknown);
 * whether it is revoked in *revoked (may be NULL).  For the hub's log.
 */
void kt_hub_branch_of(struct kt_hub *h, const uint8_t key[KT_PUBKEY_BYTES], char *out,
		      size_t cap, int *revoked);

/* Whether key belongs to an enrolled, unrevoked node (the ZAP check). */
int kt_hub_admits(struct kt_hub *h, const uint8_t key[KT_PUBKEY_BYTES]);

/*
 * Handles one message from the peer whose key is `key`.  Returns 0 with the
 * replies in out, or an error for a message that must be dropped and
 * logged (out then holds a REFUSE when the peer should hear why).
 */
int kt_hub_handle(struct kt_hub *h, const uint8_t key[KT_PUBKEY_BYTES], const uint8_t *msg,
		  size_t len, uint64_t now_ms, struct kt_hub_out *out, struct kt_err *err);

/*
 * The machine's cheap invariants, checked after every message
 * (kt_hub_handle) and every tick (kt_hub_merge): the log's last position
 * and each origin's chain head and pulled cursor never move back between
 * calls (a pull that says the node stands lower moves its cursor by its
 * word; the hub never does), the merge stands within the log, the counts
 * of the last message within proto/msg.h's limits, and after a push was
 * stored the chain's entry for its last change is that change's hash.
 * The origin the message spoke for is checked, and one more each tick in
 * turn.  Returns 0, or -1 with what is broken in why (cap bytes).  A
 * violation is a bug: kt_hub_handle and kt_hub_merge then log one line on
 * stderr and abort, never writing on.
 */
int kt_hub_invariants(struct kt_hub *h, char *why, size_t cap);

/*
 * The merge runs behind ingest: a push is acknowledged once its changes
 * are checked and durably in the log, and the metadata state (winning
 * versions, conflicts, duplicate tokens) is derived from the log after
 * meta "merged", KT_HUB_MERGE_SLICE changes a transaction, once no message
 * came for KT_HUB_MERGE_QUIET_MS (hub/main.c), and before anything reads
 * the state.
 * kt_hub_merge merges up to max changes and says how many are left (the
 * machine's tick: the invariants are checked after it);
 * kt_hub_catch_up merges them all; kt_hub_digest catches up, then digests.
 */
#define KT_HUB_MERGE_SLICE 500
#define KT_HUB_META_MERGED "merged"  /* meta: the log position merged through */
#define KT_HUB_MERGE_QUIET_MS 10
int kt_hub_merge(struct kt_hub *h, uint32_t max, uint64_t *left, struct kt_err *err);
int kt_hub_catch_up(struct kt_hub *h, struct kt_err *err);
int kt_hub_digest(struct kt_hub *h, uint8_t out[KT_HASH_BYTES], struct kt_err *err);
/* How many changes the log holds that the merge has not reached (in txn). */
uint64_t kt_hub_merge_lag(struct kt_hub *h, MDB_txn *txn);

/* The hub seq a node had applied at its last pull (0: never pulled). */
uint64_t kt_hub_pulled(struct kt_hub *h, MDB_txn *txn, uint64_t origin);
/* When the node of key was last heard from, to KT_HUB_CONTACT_SAVE_MS (0: never). */
uint64_t kt_hub_contact(struct kt_hub *h, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES]);

/*
 * Checks the hub's whole store: the pushes cover the log in order, and each
 * push is what its origin sent (every change's hash is the chain's, each
 * follows the one before, the signature verifies).  Calls fn for each
 * damaged push (hub seqs first..last, origin, the damaged change's seq,
 * what is wrong) and marks its origin (meta "damaged:<origin>") so that
 * origin resends from there at its next hello; pulls are served up to a
 * damaged push, never past it (the node is told with REFUSE 8).  Returns
 * how many pushes are damaged (0: the store is whole), or an error; the
 * count of pushes read in *pushes.
 */
typedef void (*kt_hub_damage_fn)(void *ctx, uint64_t first, uint64_t last, uint64_t origin,
				 uint64_t seq, const char *what);
int kt_hub_verify(struct kt_hub *h, uint64_t *pushes, kt_hub_damage_fn fn, void *ctx,
		  struct kt_err *err);
/*
 * Derives the merged state again from the log, in a new hub store made in
 * the folder scratch (which must not hold one; the caller removes it), and
 * says in *same whether its digest is the hub's: a flipped byte in the
 * state (winning versions, elements, aliases) changes the digest without
 * anything else noticing.  Returns 0 or an error (a log that does not
 * chain, a full disk).
 */
int kt_hub_verify_state(struct kt_hub *h, const char *scratch, int *same, struct kt_err *err);
/* Empties the merged state and derives it again from the log (kt-hub rebuild). */
int kt_hub_rebuild(struct kt_hub *h, struct kt_err *err);
/* meta "<what>:<origin 16 hex>" as a u64 (0 when absent): pulled, damaged, ahead. */
uint64_t kt_hub_origin_u64(struct kt_hub *h, MDB_txn *txn, const char *what, uint64_t origin);
/* The branch name origin's key was enrolled under, into out ("?" when unknown). */
void kt_hub_origin_branch(struct kt_hub *h, uint64_t origin, char *out, size_t cap);
/*
 * Mends the push records whose origin or first hub seq is damaged, from the
 * log (the changes name their origin; a push starts where the one before
 * ended), keeping each only when its signature then verifies; run before
 * kt_hub_verify by `kt-hub verify` and at `run`'s start.  Returns how many
 * were mended, or an error.
 */
int kt_hub_mend_pushes(struct kt_hub *h, struct kt_err *err);
/* The lowest damaged seq of origin the hub knows of (0: none). */
uint64_t kt_hub_damaged(struct kt_hub *h, MDB_txn *txn, uint64_t origin);
/* How many pushes of origin the hub holds with a damaged signature (REFUSE 10 asks). */
uint64_t kt_hub_resign_count(struct kt_hub *h, MDB_txn *txn, uint64_t origin);

/*
 * The peers to NOTIFY: the ZeroMQ routing ids of connections that spoke,
 * each with when it was last heard.  A daemon pulls at least every
 * KT_SYNC_HEARTBEAT_MS (2 s), so a peer not heard for KT_HUB_PEER_IDLE_MS
 * has gone (a `kt-node sync` that ended, a closed PC) and leaves the list,
 * as does one a send finds gone; when the list is full the one heard
 * longest ago makes room.  No peer that still talks is ever left out.
 */
#define KT_HUB_PEERS_MAX 4096
#define KT_HUB_PEER_ID_BYTES 256
#define KT_HUB_PEER_IDLE_MS 10000
struct kt_hub_peer {
	uint8_t id[KT_HUB_PEER_ID_BYTES];
	size_t n;
	uint64_t heard_ms;
};
struct kt_hub_peers {
	struct kt_hub_peer p[KT_HUB_PEERS_MAX];
	size_t n, cap; /* cap: KT_HUB_PEERS_MAX, lower in tests */
};
void kt_hub_peers_init(struct kt_hub_peers *ps, size_t cap);
/* Notes that id spoke at now_ms (ids over KT_HUB_PEER_ID_BYTES are not kept). */
void kt_hub_peers_heard(struct kt_hub_peers *ps, const uint8_t *id, size_t n, uint64_t now_ms);
void kt_hub_peers_forget(struct kt_hub_peers *ps, const uint8_t *id, size_t n);
/* Drops every peer not heard since now_ms - KT_HUB_PEER_IDLE_MS; returns how many. */
size_t kt_hub_peers_sweep(struct kt_hub_peers *ps, uint64_t now_ms);
int kt_hub_peers_has(const struct kt_hub_peers *ps, const uint8_t *id, size_t n);

/* The hub head: the hub seq of the last change it holds. */
uint64_t kt_hub_head(struct kt_hub *h);

#endif
