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

struct kt_sync {
	struct kt_store *st;
	uint8_t pk[KT_PUBKEY_BYTES];
	uint8_t sk[64];
	uint8_t check[KT_CHAIN_CHECK_BYTES]; /* of its chain key, said in HELLO */
	int ready;            /* the hub said welcome */
	uint64_t acked;       /* own seq the hub holds */
	uint64_t pushed;      /* last own seq of the pushes in flight, 0 when none */
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

/* One message from the hub. */
int kt_sync_handle(struct kt_sync *s, const uint8_t *msg, size_t len, uint64_t now_ms,
		   struct kt_sync_out *out, struct kt_err *err);

/* Time passes: push new local changes, re-send what went unanswered. */
int kt_sync_tick(struct kt_sync *s, uint64_t now_ms, struct kt_sync_out *out,
		 struct kt_err *err);

/* Whether everything local is pushed and everything the hub announced is applied. */
int kt_sync_idle(struct kt_sync *s);

/* The node's own last seq (what it has to push). */
uint64_t kt_sync_local_seq(struct kt_sync *s);

#endif
