/*
 * hub_int.h - what the hub's engine files share; not for hub/main.c.  They
 * call each other downwards only, never in a circle:
 *   hub.c        the machine: one handler per message kind (HELLO, VOID)
 *   hub_push.c   PUSH: stored, or what it resends repaired
 *   hub_serve.c  PULL and REFETCH answered
 *   hub_mend.c   verify, rebuild, and mending from the log
 *   hub_merge.c  the merge behind ingest (the tick), the digest
 *   hub_read.c   a stored push read back and checked
 *   hub_check.c  the invariants
 *   hub_base.c   open and close, names, members as the machine reads them
 *   hub_store.c  the pushes and members tables (hub_store.h)
 */
#ifndef KT_HUB_INT_H
#define KT_HUB_INT_H

#include "hub.h"
#include "hub_store.h"

/* The buffers of one message, owned by struct kt_hub (h->w). */
struct kt_hub_work {
	struct kt_msg msg;                              /* the message being handled */
	struct kt_bytes push_ch[KT_PUSH_CHANGES_MAX];   /* one stored push read back (verify, mend) */
	struct kt_bytes batch_ch[KT_BATCH_CHANGES_MAX]; /* a BATCH's changes (pull, refetch) */
	struct kt_msg_push ps[KT_BATCH_PUSHES_MAX];     /* and its pushes */
	uint8_t wh[KT_BATCH_PUSHES_MAX][KT_HASH_BYTES]; /* the hashes of those sent withheld */
	struct kt_hub_seen seen[KT_HUB_SEEN_MAX];       /* the invariants' origins */
};

/* The next message out will hold (to every peer when to_all). */
msgpack_sbuffer *hub_out_next(struct kt_hub_out *o, int to_all);

/* meta "damaged:<origin>": the lowest seq of the origin the hub found damaged. */
void hub_damaged_name(char out[32], uint64_t origin);
/*
 * meta "resign:<origin>:<seq>" (16 hex each; empty value): a push of origin
 * ending at seq whose stored signature is damaged, its changes whole.
 */
#define HUB_RESIGN_NAME_BYTES 40
void hub_resign_name(char out[48], uint64_t origin, uint64_t seq);
/* meta "pulled:<node id>": the hub seq a node had applied at its last pull. */
void hub_pulled_name(char out[32], uint64_t origin);
/* What hub_push_intact says of a push whose changes are whole and whose signature is not. */
extern const char hub_sig_damaged[];

/* A member's origin and revoked flag: 0, or -1 when the key is unknown (hub_base.c). */
int hub_member(struct kt_hub *h, MDB_txn *txn, const uint8_t key[KT_PUBKEY_BYTES],
	       uint64_t *origin, int *revoked);
/* The origin bound to key, or 0 (with a REFUSE queued) when it may not push. */
uint64_t hub_bound_origin(struct kt_hub *h, const uint8_t *key, struct kt_hub_out *out);
/* REFUSE 10 to origin for each push of it whose signature the hub holds damaged (in txn). */
void hub_ask_resign(struct kt_hub *h, MDB_txn *txn, uint64_t origin, struct kt_hub_out *out);

/* PUSH (hub_push.c); PULL and REFETCH (hub_serve.c). */
int hub_on_push(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		struct kt_hub_out *out, struct kt_err *err);
int hub_on_pull(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		struct kt_hub_out *out, struct kt_err *err);
int hub_on_refetch(struct kt_hub *h, const uint8_t *key, const struct kt_msg *m, uint64_t now,
		   struct kt_hub_out *out, struct kt_err *err);

/* Reads the changes of the push recorded as r (log positions first..last) into p (hub_read.c). */
int hub_read_push(struct kt_hub *h, MDB_txn *txn, const struct kt_push_rec *r,
		  struct kt_msg_push *p, struct kt_bytes *ch, uint32_t cap);
/* Whether p, as hub_read_push gave it, is what its origin sent: 0, or -1 with seq and what. */
int hub_push_intact(struct kt_hub *h, MDB_txn *txn, const struct kt_msg_push *p,
		    uint64_t *bad_seq, const char **what);
/* The seq of origin's change at hub seq pos, from the chain (0: none there). */
uint64_t hub_origin_seq_at(struct kt_hub *h, MDB_txn *txn, uint64_t origin, uint64_t pos);

/*
 * Mending (hub_mend.c).  mend_one mends the push record holding hub seq
 * from, in txn (hub_mend_one_in: how many it rewrote, <= 0 nothing) or in
 * a transaction of its own; mark_push asks a damaged push's origin to send
 * it again or to sign it again; empty_state empties the merged state in
 * txn for the merge to derive again.  Best effort, but empty_state: an
 * LMDB code.
 */
int hub_mend_one_in(struct kt_hub *h, MDB_txn *txn, uint64_t from);
int hub_mend_one(struct kt_hub *h, uint64_t from);
void hub_mark_push_in(struct kt_hub *h, MDB_txn *txn, uint64_t origin, const char *what,
		      uint64_t resend, uint64_t last);
void hub_mark_push(struct kt_hub *h, uint64_t origin, const char *what, uint64_t resend,
		   uint64_t last);
int hub_empty_state(struct kt_hub *h, MDB_txn *txn);

/*
 * The invariants' memory (hub_check.c): the origin a message spoke for,
 * a pulled cursor a node's own word moved back, and the last change of a
 * push just stored.  kt_hub_check runs kt_hub_invariants and aborts on a
 * violation, with one line on stderr.
 */
void hub_seen_origin(struct kt_hub *h, uint64_t origin);
void hub_seen_pulled(struct kt_hub *h, uint64_t origin, uint64_t pulled);
void hub_seen_applied(struct kt_hub *h, uint64_t origin, uint64_t seq,
		      const uint8_t hash[KT_HASH_BYTES]);
void hub_check(struct kt_hub *h);

#endif
