/*
 * test_hub_invariants.c - the hub's state machine driven in-process by one
 * node (a real store in a temp folder, real messages made with
 * proto/msg.h): the invariants hold after every message and tick, a node's
 * own word may move its pulled cursor back, and a store made to move back
 * (the log, an origin's chain head or pulled cursor), a merge past the log,
 * a chain entry that is not the pushed change's hash, or a count over its
 * limit is caught by kt_hub_invariants.
 */
#include "t.h"
#include "hub.h"
#include "hub_int.h"
#include "card.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static char tmpdir[256];
static struct kt_hub hub;
static struct kt_store node;
static uint8_t pk[KT_PUBKEY_BYTES], sk[64];
static uint64_t now_ms = 1790000000000ull;

/* Handles one message at the hub; the invariants must hold after it. */
static int hub_hears(const msgpack_sbuffer *b, struct kt_hub_out *o)
{
	struct kt_err err;
	char why[256];
	int rc;

	kt_hub_out_release(o);
	kt_hub_out_init(o);
	rc = kt_hub_handle(&hub, pk, (const uint8_t *)b->data, b->size, now_ms, o, &err);
	T_EQ_INT(kt_hub_invariants(&hub, why, sizeof(why)), 0);
	now_ms += 1000;
	return rc;
}

/* The type of message i the hub said. */
static int said(const struct kt_hub_out *o, uint32_t i)
{
	struct kt_msg *m = kt_malloc(sizeof(*m));
	struct kt_err err;
	int type = -1;

	if (i < o->n && kt_msg_decode(m, (const uint8_t *)o->m[i].msg.data, o->m[i].msg.size,
				      &err) == 0)
		type = m->type;
	kt_msg_release(m);
	free(m);
	return type;
}

static void write_client(const char *name)
{
	static struct kt_draft d;
	struct kt_err err;
	struct kt_id id;

	kt_id_new(&id, now_ms);
	kt_draft_start(&d, KT_T_CLIENT, &id, 1, NULL);
	T_EQ_INT(kt_draft_field(&d, "name", name, KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&node, &d, 1, NULL, &err), 0);
}

/* A PUSH of the node's changes from..to, signed with its key. */
static void push_msg(msgpack_sbuffer *b, uint64_t from, uint64_t to)
{
	static struct kt_bytes ch[16];
	uint8_t sig[KT_SIG_BYTES], in[KT_SIG_INPUT_BYTES], hash[KT_HASH_BYTES];
	struct kt_msg_push p = { .origin = node.node_id, .first_seq = from, .sig = sig,
				 .nchanges = 0, .changes = ch };
	MDB_txn *txn;

	T_EQ_INT(kt_store_rdtxn(&node, &txn, NULL), 0);
	for (uint64_t seq = from; seq <= to && p.nchanges < 16; seq++) {
		uint64_t pos;

		T_EQ_INT(kt_chain_get(&node, txn, node.node_id, seq, hash, &pos), 0);
		T_EQ_INT(kt_log_get(&node, txn, pos, &ch[p.nchanges++]), 0);
	}
	kt_msg_sig_input(in, p.origin, p.first_seq + p.nchanges - 1, hash);
	crypto_sign_detached(sig, NULL, in, sizeof(in), sk);
	kt_msg_push(b, &p);
	mdb_txn_abort(txn);
}

static void setup(void)
{
	char dir[512], cpk[41], csk[41];
	uint8_t check[KT_CHAIN_CHECK_BYTES];
	struct kt_hub_out o;
	struct kt_err err;
	msgpack_sbuffer b;

	snprintf(dir, sizeof(dir), "%s/hub", tmpdir);
	T_EQ_INT(kt_hub_init(dir, "tcp://127.0.0.1:7400", &err), 0);
	T_EQ_INT(kt_hub_open(&hub, dir, &err), 0);
	snprintf(dir, sizeof(dir), "%s/node", tmpdir);
	T_EQ_INT(kt_store_init(dir, "Centre", "RU", &err), 0);
	T_EQ_INT(kt_store_open(&node, dir, &err), 0);
	T_EQ_INT(kt_identity_read(dir, "node.key", pk, sk, cpk, csk, &err), 0);
	T_EQ_INT(kt_hub_enroll(&hub, "Centre", pk, &err), 0);
	msgpack_sbuffer_init(&b);
	kt_hub_out_init(&o);
	kt_chain_check(check, node.chain_key);
	kt_msg_hello(&b, node.node_id, pk, check);
	T_EQ_INT(hub_hears(&b, &o), 0);
	T_EQ_INT(said(&o, 0), KT_MSG_WELCOME);
	kt_hub_out_release(&o);
	msgpack_sbuffer_destroy(&b);
}

/* Pushes, pulls, a resend and ticks: the invariants hold after each. */
static void test_messages_keep_the_invariants(void)
{
	struct kt_hub_out o;
	struct kt_err err;
	msgpack_sbuffer b;
	uint64_t left = 0;
	char why[256];
	MDB_txn *txn;

	msgpack_sbuffer_init(&b);
	kt_hub_out_init(&o);
	write_client("Анна Иванова");
	write_client("Мария Петрова");
	write_client("Ольга Смирнова");
	push_msg(&b, 1, 2);
	T_EQ_INT(hub_hears(&b, &o), 0);
	T_EQ_INT(said(&o, 0), KT_MSG_ACK);
	T_EQ_INT(hub.inv.applied, 1);
	T_EQ_INT(hub.inv.applied_seq, 2);
	push_msg(&b, 1, 3); /* a resend of 1-2 with 3 new */
	T_EQ_INT(hub_hears(&b, &o), 0);
	T_EQ_INT(hub.inv.applied_seq, 3);
	T_EQ_INT(hub.inv.head, 3);
	T_EQ_INT(hub.inv.origin, node.node_id);
	T_EQ_INT(kt_hub_merge(&hub, 1, &left, &err), 0); /* a tick */
	T_EQ_INT(left, 2);
	T_EQ_INT(kt_hub_invariants(&hub, why, sizeof(why)), 0);
	kt_msg_pull(&b, 0, 100, 3);
	T_EQ_INT(hub_hears(&b, &o), 0);
	T_EQ_INT(said(&o, 0), KT_MSG_BATCH);
	T_CHECK(hub.inv.batch_pushes <= KT_BATCH_PUSHES_MAX);
	T_EQ_INT(kt_hub_catch_up(&hub, &err), 0);
	T_EQ_INT(kt_store_rdtxn(&hub.st, &txn, NULL), 0);
	T_EQ_INT(kt_hub_pulled(&hub, txn, node.node_id), 3);
	mdb_txn_abort(txn);
	/* A node restored from a backup says it stands lower: its word moves the cursor back. */
	now_ms += KT_HUB_CONTACT_SAVE_MS;
	kt_msg_pull(&b, 1, 100, 1);
	T_EQ_INT(hub_hears(&b, &o), 0);
	T_EQ_INT(kt_store_rdtxn(&hub.st, &txn, NULL), 0);
	T_EQ_INT(kt_hub_pulled(&hub, txn, node.node_id), 1);
	mdb_txn_abort(txn);
	/* A message the hub does not take changes nothing the invariants watch. */
	kt_msg_notify(&b, 3);
	T_CHECK(hub_hears(&b, &o) != 0);
	T_EQ_INT(kt_hub_invariants(&hub, why, sizeof(why)), 0);
	kt_hub_out_release(&o);
	msgpack_sbuffer_destroy(&b);
}

/* Puts the chain entry of the node's seq at log position pos, its hash kept. */
static void chain_at(uint64_t seq, uint64_t pos)
{
	uint8_t key[16], val[KT_HASH_BYTES + 8];
	uint64_t at;
	MDB_txn *txn;

	T_EQ_INT(kt_txn_begin(hub.st.env, 0, &txn), 0);
	T_EQ_INT(kt_chain_get(&hub.st, txn, node.node_id, seq, val, &at), 0);
	kt_be64_put(val + KT_HASH_BYTES, pos);
	kt_be64_put(key, node.node_id);
	kt_be64_put(key + 8, seq);
	T_EQ_INT(mdb_put(txn, hub.st.chain, &(MDB_val){ 16, key },
			 &(MDB_val){ sizeof(val), val }, 0), 0);
	T_EQ_INT(kt_txn_commit(txn), 0);
}

/*
 * A chain entry whose log position is wrong is mended from the log; a mend
 * whose write fails says so (a negative code), never a count of entries
 * mended that the caller would then commit.
 */
static void test_a_mend_that_cannot_write_says_so(void)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t at = 0;
	MDB_txn *txn;

	chain_at(2, 77);
	T_EQ_INT(kt_store_rdtxn(&hub.st, &txn, NULL), 0);
	T_CHECK(hub_mend_one_in(&hub, txn, 2) < 0); /* a reader cannot write */
	mdb_txn_abort(txn);
	T_CHECK(hub_mend_one(&hub, 2) > 0);
	T_EQ_INT(kt_store_rdtxn(&hub.st, &txn, NULL), 0);
	T_EQ_INT(kt_chain_get(&hub.st, txn, node.node_id, 2, hash, &at), 0);
	mdb_txn_abort(txn);
	T_EQ_INT(at, 2);
}

/* Writes meta name = x in the hub's store behind the machine's back. */
static void meta_behind(const char *name, uint64_t x)
{
	MDB_txn *txn;

	T_EQ_INT(kt_txn_begin(hub.st.env, 0, &txn), 0);
	T_EQ_INT(kt_meta_put_u64(&hub.st, txn, name, x), 0);
	T_EQ_INT(kt_txn_commit(txn), 0);
}

/* What the invariants say now, for the origin of the node (as after its message). */
static int broken(const char *what)
{
	char why[256];
	int rc;

	hub.inv.origin = node.node_id;
	rc = kt_hub_invariants(&hub, why, sizeof(why));
	if (rc != 0 && strstr(why, what) == NULL)
		fprintf(stderr, "said \"%s\", not \"%s\"\n", why, what);
	return rc != 0 && strstr(why, what) != NULL;
}

/* A state made to move back (or past its bounds) is caught. */
static void test_a_state_moved_back_is_caught(void)
{
	char name[48], why[256];
	uint8_t hash[KT_HASH_BYTES], key[16];
	uint64_t pulled, pos;
	MDB_txn *txn;

	T_EQ_INT(kt_hub_invariants(&hub, why, sizeof(why)), 0);
	T_EQ_INT(kt_store_rdtxn(&hub.st, &txn, NULL), 0);
	pulled = kt_hub_pulled(&hub, txn, node.node_id);
	mdb_txn_abort(txn);

	/* The pulled cursor, lowered by no word of the node. */
	snprintf(name, sizeof(name), "pulled:%016llx", (unsigned long long)node.node_id);
	meta_behind(name, pulled + 1);
	T_CHECK(!broken("moved back")); /* forward is fine */
	meta_behind(name, pulled);
	T_CHECK(broken("pulled cursor moved back"));
	meta_behind(name, pulled + 1);
	T_CHECK(!broken("moved back"));

	/* The merge past the log's end. */
	meta_behind(KT_HUB_META_MERGED, 99);
	T_CHECK(broken("past the log's end"));
	meta_behind(KT_HUB_META_MERGED, 3);
	T_CHECK(!broken("past"));

	/* The chain's entry of the change just pushed, not its hash. */
	T_EQ_INT(hub.inv.applied, 0); /* the last call was a pull */
	T_EQ_INT(kt_store_rdtxn(&hub.st, &txn, NULL), 0);
	T_EQ_INT(kt_chain_get(&hub.st, txn, node.node_id, 3, hash, &pos), 0);
	mdb_txn_abort(txn);
	hub.inv.applied = 1;
	hub.inv.applied_origin = node.node_id;
	hub.inv.applied_seq = 3;
	memcpy(hub.inv.applied_hash, hash, KT_HASH_BYTES);
	T_CHECK(!broken("hash"));
	hub.inv.applied_hash[0] ^= 1;
	T_CHECK(broken("is not that change's hash"));
	hub.inv.applied = 0;

	/* A count over its limit. */
	hub.inv.batch_changes = KT_BATCH_CHANGES_MAX + 1;
	T_CHECK(broken("changes, over"));
	hub.inv.batch_changes = 0;
	hub.inv.out_n = KT_HUB_OUT_MAX + 1;
	T_CHECK(broken("over"));
	hub.inv.out_n = 0;

	/* The origin's chain head and the log's end, moved back: the last change gone. */
	kt_be64_put(key, node.node_id);
	kt_be64_put(key + 8, 3);
	T_EQ_INT(kt_txn_begin(hub.st.env, 0, &txn), 0);
	T_EQ_INT(mdb_del(txn, hub.st.chain, &(MDB_val){ 16, key }, NULL), 0);
	T_EQ_INT(kt_txn_commit(txn), 0);
	T_CHECK(broken("chain head moved back from 3 to 2"));
	kt_be64_put(key, pos);
	T_EQ_INT(kt_txn_begin(hub.st.env, 0, &txn), 0);
	T_EQ_INT(mdb_del(txn, hub.st.log, &(MDB_val){ 8, key }, NULL), 0);
	T_EQ_INT(kt_txn_commit(txn), 0);
	meta_behind(KT_HUB_META_MERGED, 2);
	T_CHECK(broken("the log's last position moved back from 3 to 2"));
	/* The tick's turn over the origins finds the head too. */
	hub.inv.origin = 0;
	hub.inv.head = 2;
	T_EQ_INT(kt_hub_invariants(&hub, why, sizeof(why)), -1);
	T_CHECK(strstr(why, "chain head moved back") != NULL);
}

int main(void)
{
	char cmd[300];

	kt_crypto_init();
	snprintf(tmpdir, sizeof(tmpdir), "%s/kt-test-hubinv-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	setup();
	T_RUN(test_messages_keep_the_invariants);
	T_RUN(test_a_mend_that_cannot_write_says_so);
	T_RUN(test_a_state_moved_back_is_caught);
	kt_hub_close(&hub);
	kt_store_close(&node);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return 1;
	T_DONE();
}
