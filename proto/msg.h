/*
 * msg.h - the sync messages between a node and the hub (PROTOCOL.md, "Sync").
 *
 * One ZeroMQ message is one frame holding one msgpack array whose first
 * element is the type:
 *
 *   HELLO   node -> hub  [1, version, origin, node public key: bin32,
 *                         chain key check value: bin16 (kt_chain_check; version 3 on)]
 *   WELCOME hub -> node  [2, hub time ms, acked seq of this origin, hub head,
 *                         hash of that acked change (bin 32; empty when acked is 0)]
 *   PUSH    node -> hub  [3, origin, first seq, [change: bin]..., sig: bin64]
 *   ACK     hub -> node  [4, origin, acked seq]
 *   REFUSE  hub -> node  [5, code, expected seq, reason: str]
 *   PULL    node -> hub  [6, after hub seq, credit (changes it can take), own seq held]
 *   BATCH   hub -> node  [7, first hub seq, last hub seq, hub head,
 *                         [origin, sig: bin64, key: bin32, [change: bin]..., branch: str
 *                          (, [first seq, last seq, hash of the last: bin32,
 *                              hub seq of the first]: withheld)]...,
 *                         more: 0|1]
 *                        (covers first..last; the puller's own pushes are left out)
 *   NOTIFY  hub -> node  [8, hub head]
 *   VOID    node -> hub  [9, origin, first seq, last seq, reason (enum kt_void_reason)]:
 *                        changes the node keeps without effect, for the hub's log
 *   REFETCH node -> hub  [10, origin, first seq, last seq]: the pushes holding
 *                        those changes again (answered by one BATCH), for a node
 *                        that was sent them withheld (version 4)
 *
 * A PUSH carries up to KT_PUSH_CHANGES_MAX consecutive changes of one origin
 * and the origin's Ed25519 signature over kt_msg_sig_input(origin, last seq,
 * hash of the last change).  A BATCH is made of whole pushes, each with the
 * signature that came with it and the origin's enrolled key, so a node
 * checks one signature per push (and pins each origin's key on first sight).
 *
 * A push the hub finds damaged in its own store (a change's bytes no longer
 * hash to its chain) is sent withheld: no changes, its origin seqs, and the
 * hash of its last change, which the origin's signature still covers.  The
 * node keeps that hash as the chain's end for the seqs it lacks, so the
 * origin's later changes chain on, and asks for the push again (REFETCH)
 * until the hub has the true bytes back from the origin.
 * Decoding borrows from the message bytes; every count and length is
 * checked against the bytes left and the limits below before use.
 */
#ifndef KT_MSG_H
#define KT_MSG_H

#include <stdint.h>
#include <stddef.h>
#include <msgpack.h>
#include "err.h"
#include "crypto.h"
#include "limits.h"

#define KT_PROTO_VERSION 4 /* 4: withheld pushes and REFETCH */
#define KT_MSG_BYTES_MAX (16u << 20)   /* one ZeroMQ message (ZMQ_MAXMSGSIZE) */
#define KT_PUSH_CHANGES_MAX 4000       /* changes in one push */
#define KT_BATCH_PUSHES_MAX 64         /* pushes in one pulled batch */
#define KT_BATCH_CHANGES_MAX 12000     /* changes in one pulled batch */
#define KT_SIG_BYTES 64
#define KT_PUBKEY_BYTES 32
#define KT_REASON_BYTES_MAX 200

enum kt_msg_type {
	KT_MSG_HELLO = 1,
	KT_MSG_WELCOME = 2,
	KT_MSG_PUSH = 3,
	KT_MSG_ACK = 4,
	KT_MSG_REFUSE = 5,
	KT_MSG_PULL = 6,
	KT_MSG_BATCH = 7,
	KT_MSG_NOTIFY = 8,
	KT_MSG_VOID = 9,
	KT_MSG_REFETCH = 10,
};

/* Why a replica keeps a change without effect (store.h, "void changes"). */
enum kt_void_reason {
	KT_VOID_SEAL = 1,       /* its seal does not open under the owner's data key */
	KT_VOID_KEY = 2,        /* its owner's data key is not held or does not unwrap */
	KT_VOID_RECORD = 3,     /* it names a record under another type or owner */
	KT_VOID_REASON_MAX = 3,
};

enum kt_refuse_code {
	KT_REFUSE_GAP = 1,      /* a push did not start at the expected seq */
	KT_REFUSE_CHAIN = 2,    /* a change does not follow the hash chain */
	KT_REFUSE_SIG = 3,      /* the signature does not verify */
	KT_REFUSE_BAD = 4,      /* a malformed message or change */
	KT_REFUSE_UNKNOWN = 5,  /* the origin is not enrolled, or revoked */
	KT_REFUSE_CHAIN_KEY = 6, /* the node holds another chain key than the chain's */
	KT_REFUSE_VERSION = 7,  /* the node speaks an older protocol version */
	KT_REFUSE_DAMAGED = 8,  /* the hub's store is damaged at the hub seq given; the
				 * batch before it was sent, the rest waits for a repair */
	KT_REFUSE_FULL = 9,     /* the hub's disk is full: the push was not stored */
	KT_REFUSE_RESIGN = 10,  /* the hub's copy of the signature of the push ending at the
				 * seq given is damaged: push that one change again, signed */
};

struct kt_bytes {
	const uint8_t *p;
	uint32_t n;
};

/* One push inside a PUSH or a BATCH. */
struct kt_msg_push {
	uint64_t origin;
	uint64_t first_seq;       /* PUSH only; a BATCH's changes say their own */
	const uint8_t *sig;       /* KT_SIG_BYTES */
	const uint8_t *key;       /* BATCH only: the origin's public key (KT_PUBKEY_BYTES) */
	const char *branch;       /* BATCH only: the origin's branch name (NULL: none) */
	uint32_t branch_len;      /* <= KT_BRANCH_BYTES_MAX */
	/*
	 * BATCH only: a withheld push (nchanges 0) when withheld_hash is not
	 * NULL: origin seqs withheld_first..withheld_last, the last's hash
	 * (KT_HASH_BYTES), which sig covers; withheld_at: the hub seq of the
	 * first (for the IT person: the hub's log names it).
	 */
	const uint8_t *withheld_hash;
	uint64_t withheld_first, withheld_last, withheld_at;
	uint32_t nchanges;
	struct kt_bytes *changes; /* points into kt_msg's storage */
};

struct kt_msg {
	uint8_t type;
	uint64_t a, b, c;         /* the integers of the type, in order (BATCH: first, head, more) */
	uint64_t last;            /* BATCH: the last hub seq it covers */
	const uint8_t *key;       /* HELLO: the node's public key */
	const uint8_t *check;     /* HELLO: its chain key check value (NULL: a version 2 hello) */
	const uint8_t *hash;      /* WELCOME: the hub's hash of the origin's change b (NULL: b = 0) */
	struct kt_bytes reason;   /* REFUSE */
	uint32_t npushes;
	struct kt_msg_push pushes[KT_BATCH_PUSHES_MAX];
	uint32_t nchanges;        /* over all pushes */
	struct kt_bytes changes[KT_BATCH_CHANGES_MAX];
	msgpack_zone zone;        /* holds the unpacked objects; kt_msg_release() */
};

/* Decodes one message; release it with kt_msg_release() whatever it returns. */
int kt_msg_decode(struct kt_msg *m, const uint8_t *p, size_t n, struct kt_err *err);
void kt_msg_release(struct kt_msg *m);

/* Encoders: each resets out and writes one message. */
void kt_msg_hello(msgpack_sbuffer *out, uint64_t origin, const uint8_t key[KT_PUBKEY_BYTES],
		  const uint8_t check[KT_CHAIN_CHECK_BYTES]);
/* Decoded: origin m->a, first seq m->b, last seq m->last, reason m->c. */
void kt_msg_void(msgpack_sbuffer *out, uint64_t origin, uint64_t first, uint64_t last,
		 int reason);
void kt_msg_welcome(msgpack_sbuffer *out, uint64_t now_ms, uint64_t acked, uint64_t head,
		    const uint8_t hash[KT_HASH_BYTES]);
void kt_msg_ack(msgpack_sbuffer *out, uint64_t origin, uint64_t acked);
void kt_msg_refuse(msgpack_sbuffer *out, int code, uint64_t expected, const char *reason);
/* own: the node's own last seq it holds; the hub leaves out its pushes up to there. */
void kt_msg_pull(msgpack_sbuffer *out, uint64_t after, uint64_t credit, uint64_t own);
void kt_msg_notify(msgpack_sbuffer *out, uint64_t head);
/*
 * Decoded: origin m->a, first seq m->b, last seq m->last (origin != 0,
 * first >= 1, last >= first, at most KT_PUSH_CHANGES_MAX seqs).
 */
void kt_msg_refetch(msgpack_sbuffer *out, uint64_t origin, uint64_t first, uint64_t last);
void kt_msg_push(msgpack_sbuffer *out, const struct kt_msg_push *p);
/*
 * A BATCH of pushes (their first_seq is not sent) covering hub seqs
 * first..last: the pushes listed and, left out, the pulling node's own.
 * more: 1 when another BATCH answering the same PULL follows (m->c when
 * decoded; first is m->a, last m->last, head m->b).
 */
void kt_msg_batch(msgpack_sbuffer *out, uint64_t first, uint64_t last, uint64_t head,
		  const struct kt_msg_push *pushes, uint32_t n, int more);

/* The bytes an origin signs for a push: "kt-push\0", origin, last seq, last hash. */
#define KT_SIG_INPUT_BYTES (8 + 8 + 8 + KT_HASH_BYTES)
void kt_msg_sig_input(uint8_t out[KT_SIG_INPUT_BYTES], uint64_t origin, uint64_t seq,
		      const uint8_t hash[KT_HASH_BYTES]);

#endif
