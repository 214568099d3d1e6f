/*
 * sync.h - the node's side of replication, as a state machine.
 *
 * kt_sync_connect() says hello; kt_sync_handle() takes one message from the
 * hub; kt_sync_tick() takes the time.  Each returns the messages to send
 * (in out); none touches a socket or reads the clock, so node/main.c puts
 * ZeroMQ around it and tests/unit/test_sync.c runs a hub and three nodes in
 * one process over queues, in a seeded random order.
 *
 * The node pushes its own changes after the seq the hub acknowledged, up
 * to KT_SYNC_PUSH_WINDOW pushes in flight (a ZeroMQ connection keeps their
 * order), each signed over its last change's hash; it
 * pulls hub seqs after its cursor with credit, and applies a batch and
 * moves the cursor (meta "cursor") in one LMDB transaction.
 */
#ifndef KT_SYNC_H
#define KT_SYNC_H

#include "store.h"
#include "proto/msg.h"

#define KT_SYNC_CREDIT 64000          /* changes a node asks for in one pull (several batches) */
#define KT_SYNC_RESEND_MS 5000        /* a request unanswered this long is sent again */
#define KT_SYNC_HEARTBEAT_MS 2000     /* an idle node asks the hub this often */
#define KT_SYNC_PUSH_WINDOW 3         /* pushes in flight, so the hub always has one queued */
#define KT_SYNC_REFETCH_MS 60000      /* withheld changes are asked for again this often */
#define KT_SYNC_ACK_SAVE_MS 1000      /* "acked" is saved at most this often (a tick or release saves the rest) */

/*
 * kt_sync_invariants found the machine broken (a bug of ours, not the
 * hub's bytes): kt_sync_handle and kt_sync_tick return it, having written
 * nothing of that step, and the program stops rather than go on writing.
 */
#define KT_SYNC_EBROKEN (-64)

/* A pulled change applied: its hash as received, and the chain entry read back. */
struct kt_sync_applied {
	uint64_t origin, seq;
	uint8_t hash[KT_HASH_BYTES], held[KT_HASH_BYTES];
};

struct kt_sync {
	struct kt_store *st;
	uint8_t pk[KT_PUBKEY_BYTES];
	uint8_t sk[64];
	uint8_t check[KT_CHAIN_CHECK_BYTES]; /* of its chain key, said in HELLO */
	int ready;            /* the hub said welcome */
	uint64_t acked;       /* own seq the hub holds */
	uint64_t pushed;      /* last own seq of the pushes in flight, 0 when none */
	uint64_t own;         /* the node's own last seq, as the last step read it */
	uint64_t saved_ms;    /* when "acked" was last saved */
	uint64_t acked_ms;    /* when the hub last acknowledged */
	int ack_dirty;        /* acked moved since it was saved */
	uint64_t cursor;      /* hub seq applied */
	uint64_t head;        /* hub head as last heard */
	int pulling;
	int tell_cursor;      /* a pull is due though caught up: the hub records where it stands */
	uint64_t ahead_ms;    /* how far this node's last own change is stamped past the hub's clock */
	int one_shot;         /* kt-node sync: it says where it stands once a pull is applied */
	uint64_t pulled_from; /* the cursor the last PULL named */
	uint64_t sent_ms;     /* when the oldest unanswered request went out */
	int refetching;       /* a REFETCH is unanswered */
	uint64_t refetch_ms;  /* when the last REFETCH went out (0: none this session) */
	int holes_moved;      /* a hole was made or filled: ask again without waiting */
	struct kt_bytes *push; /* KT_PUSH_CHANGES_MAX: the changes of the push being built */
	uint32_t push_n;      /* changes in the last push built */
	int64_t clock_offset; /* the hub's clock, taken (st->clock_offset) once the step commits */
	/*
	 * For kt_sync_invariants: the values the last step ended with (cursor
	 * and own seq never move back; acked and head move back only when the
	 * hub says where it stands, rebased), and the last change of each push
	 * the step applied, with its chain entry read back in its transaction.
	 */
	struct { uint64_t cursor, own, acked, head; } seen;
	int rebased;
	uint32_t napplied;
	struct kt_sync_applied applied[KT_BATCH_PUSHES_MAX];
};

#define KT_SYNC_OUT_MAX 4
struct kt_sync_out {
	uint32_t n;
	msgpack_sbuffer msg[KT_SYNC_OUT_MAX];
};
void kt_sync_out_init(struct kt_sync_out *o);
void kt_sync_out_release(struct kt_sync_out *o);

/* Reads the node's identity and cursor; st stays the caller's. */
int kt_sync_init(struct kt_sync *s, struct kt_store *st, struct kt_err *err);
void kt_sync_release(struct kt_sync *s);

/* (Re)starts a session: a hello. */
void kt_sync_connect(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out);

/*
 * One message from the hub, handled by the one function of its kind in one
 * transaction of the store (a writer when the message writes); reads no
 * clock but now_ms.  A step whose commit fails leaves the machine as it was
 * and out empty.  Returns 0, an error (err says it), or KT_SYNC_EBROKEN.
 */
int kt_sync_handle(struct kt_sync *s, const uint8_t *msg, size_t len, uint64_t now_ms,
		   struct kt_sync_out *out, struct kt_err *err);

/* Time passes: push new local changes, re-send what went unanswered (one transaction). */
int kt_sync_tick(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out,
		 struct kt_err *err);

/*
 * Checks what must hold whatever the hub sends, if our code is right
 * (PROTOCOL.md's promises): the cursor and the own seq never move back
 * from the values the last step ended with, nor do acked and head but
 * where the hub said where it stands (WELCOME, a REFUSE of a gap); the
 * pushes in flight are of changes the node holds; counts are within
 * proto's limits; the chain entry of each pulled change applied is the
 * change's hash.  0 when all hold, else KT_SYNC_EBROKEN with why (a line).
 * kt_sync_handle and kt_sync_tick run it after every step.
 */
int kt_sync_invariants(const struct kt_sync *s, char *why, size_t cap);

/* Whether everything local is pushed and everything the hub announced is applied. */
int kt_sync_idle(struct kt_sync *s);

/* The node's own last seq (what it has to push). */
uint64_t kt_sync_local_seq(struct kt_sync *s);

#endif
