/*
 * test_sync_faults.c - what the chain of sync_harness.h refuses or survives:
 * a forged batch, a WELCOME of another history (a node restored from a
 * backup and written to), bad and re-sent pushes, changes that are void
 * (a record under another owner, a seal that does not open, a card under
 * another chain key), a node of another chain, and a machine state a bug
 * moved back.  The tests start from a chain that has settled after a seeded
 * random run (KT_SEED=<seed> replays it).
 */
#include "t.h"
#include "sync_harness.h"

#include <sodium.h>

/*
 * Brings the chain up from seed: the hub and the nodes made, connected, a
 * random run of writes, deliveries, ticks and drops, and quiet again.
 * 1 when it settled without a failed check, else 0.
 */
static int chain_up(uint64_t seed)
{
	rs = seed | 1;
	setup();
	for (int i = 0; i < NODES; i++)
		reconnect(i);
	chaos(3000);
	return quiesce() && t_failed_checks == 0;
}

/* Store s says hello to the hub under key pk, and the hub admits it. */
static void hub_hello(struct kt_store *s, const uint8_t *pk)
{
	uint8_t check[KT_CHAIN_CHECK_BYTES];
	struct kt_hub_out o;
	struct kt_err err;
	msgpack_sbuffer b;

	msgpack_sbuffer_init(&b);
	kt_chain_check(check, s->chain_key);
	kt_msg_hello(&b, s->node_id, pk, check);
	kt_hub_out_init(&o);
	T_EQ_INT(kt_hub_handle(&hub, pk, (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
	kt_hub_out_release(&o);
	msgpack_sbuffer_destroy(&b);
}

/* Opens a store named name in tmpdir on the chain of node 0, enrolled and said hello. */
static void pusher_open(const char *name, struct kt_store *s, uint8_t pk[32], uint8_t sk[64])
{
	char dir[512], cmd[1400], cpk[41], csk[41];
	struct kt_err err;

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	T_EQ_INT(kt_store_init(dir, name, "RU", &err), 0);
	snprintf(cmd, sizeof(cmd), "cp '%s/n0/chain.key' '%s/chain.key'", tmpdir, dir);
	T_EQ_INT(system(cmd), 0);
	T_EQ_INT(kt_store_open(s, dir, &err), 0);
	T_EQ_INT(kt_identity_read(dir, "node.key", pk, sk, cpk, csk, &err), 0);
	T_EQ_INT(kt_hub_enroll(&hub, name, pk, &err), 0);
	hub_hello(s, pk);
}

/* A batch whose signature was tampered with is refused, and the cursor stays. */
static void test_a_forged_batch_is_refused(void)
{
	static struct kt_store st_d;
	static struct kt_sync sy_d;
	uint8_t pk[32], sk[64];
	msgpack_sbuffer b;
	struct kt_hub_out o;
	struct kt_sync_out so;
	struct kt_msg *m = kt_malloc(sizeof(*m));
	struct kt_err err;
	uint8_t *bytes;
	size_t off;

	pusher_open("late", &st_d, pk, sk);
	T_EQ_INT(kt_sync_init(&sy_d, &st_d, &err), 0);
	msgpack_sbuffer_init(&b);
	kt_msg_pull(&b, 0, 100, 0);
	kt_hub_out_init(&o);
	/* the batch the late node gets from the hub, tampered with on the way */
	T_EQ_INT(kt_hub_handle(&hub, pk, (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
	T_CHECK(o.n >= 1);
	bytes = (uint8_t *)o.m[0].msg.data;
	T_EQ_INT(kt_msg_decode(m, bytes, o.m[0].msg.size, &err), 0);
	T_CHECK(m->npushes > 0);
	off = (size_t)(m->pushes[0].sig - bytes);
	kt_msg_release(m);
	kt_sync_out_init(&so);
	bytes[off + 5] ^= 1;
	T_CHECK(kt_sync_handle(&sy_d, bytes, o.m[0].msg.size, now_ms, &so, &err) != 0);
	T_INVARIANTS(&sy_d);
	T_CHECK(strstr(err.msg, "not signed") != NULL);
	T_EQ_INT(sy_d.cursor, 0);
	bytes[off + 5] ^= 1;
	T_EQ_INT(kt_sync_handle(&sy_d, bytes, o.m[0].msg.size, now_ms, &so, &err), 0);
	T_INVARIANTS(&sy_d);
	T_CHECK(sy_d.cursor > 0);

	/* A later push of an origin whose key is pinned, under another key: refused. */
	{
		uint64_t cursor = sy_d.cursor;
		char name[KT_META_KEY_NAME_BYTES];
		MDB_val k = { 0, name }, v;
		MDB_txn *txn;

		T_CHECK(kt_hub_head(&hub) > cursor);
		kt_msg_pull(&b, cursor, 100, 0);
		T_EQ_INT(kt_hub_handle(&hub, pk, (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
		bytes = (uint8_t *)o.m[0].msg.data;
		T_EQ_INT(kt_msg_decode(m, bytes, o.m[0].msg.size, &err), 0);
		T_CHECK(m->npushes > 0 && m->a == cursor + 1);
		kt_meta_key_name(name, m->pushes[0].origin);
		k.mv_size = strlen(name);
		v = (MDB_val){ KT_PUBKEY_BYTES, (void *)m->pushes[0].key }; /* pinned: the true key */
		T_EQ_INT(mdb_txn_begin(st_d.env, NULL, 0, &txn), 0);
		T_EQ_INT(mdb_put(txn, st_d.meta, &k, &v, 0), 0);
		T_EQ_INT(mdb_txn_commit(txn), 0);
		off = (size_t)(m->pushes[0].key - bytes);
		kt_msg_release(m);
		bytes[off] ^= 1;
		T_CHECK(kt_sync_handle(&sy_d, bytes, o.m[0].msg.size, now_ms, &so, &err) != 0);
		T_INVARIANTS(&sy_d);
		T_CHECK(strstr(err.msg, "changed") != NULL);
		T_EQ_INT(sy_d.cursor, cursor);
	}
	kt_sync_out_release(&so);
	kt_hub_out_release(&o);
	msgpack_sbuffer_destroy(&b);
	kt_sync_release(&sy_d);
	kt_store_close(&st_d);
	free(m);
}

/*
 * A WELCOME whose hash of the node's own acked change is not the node's:
 * the node was restored and written to before it synced; it stops and says
 * so.  The right hash, or an acked seq past what it holds, goes on.
 */
static void test_a_welcome_of_another_history_is_refused(void)
{
	uint64_t local = kt_sync_local_seq(&sy[1]);
	uint8_t k[16], right[KT_HASH_BYTES], wrong[KT_HASH_BYTES] = { 0 };
	MDB_val key = { 16, k }, v;
	struct kt_sync_out o;
	struct kt_err err;
	msgpack_sbuffer b;
	MDB_txn *txn;

	T_CHECK(local > 0);
	kt_be64_put(k, st[1].node_id);
	kt_be64_put(k + 8, local);
	T_EQ_INT(kt_store_rdtxn(&st[1], &txn, NULL), 0);
	T_EQ_INT(mdb_get(txn, st[1].chain, &key, &v), 0);
	memcpy(right, v.mv_data, KT_HASH_BYTES);
	mdb_txn_abort(txn);
	msgpack_sbuffer_init(&b);
	kt_sync_out_init(&o);
	kt_msg_welcome(&b, now_ms, local, kt_hub_head(&hub), wrong);
	T_CHECK(kt_sync_handle(&sy[1], (uint8_t *)b.data, b.size, now_ms, &o, &err) != 0);
	T_INVARIANTS(&sy[1]);
	T_CHECK(strstr(err.msg, "restored from a backup and written to") != NULL);
	kt_msg_welcome(&b, now_ms, local, kt_hub_head(&hub), right);
	T_EQ_INT(kt_sync_handle(&sy[1], (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
	T_INVARIANTS(&sy[1]);
	kt_msg_welcome(&b, now_ms, local + 5, kt_hub_head(&hub), wrong); /* holds fewer: pulls */
	T_EQ_INT(kt_sync_handle(&sy[1], (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
	T_INVARIANTS(&sy[1]);
	kt_msg_welcome(&b, now_ms, local, kt_hub_head(&hub), right); /* as the hub has it */
	T_EQ_INT(kt_sync_handle(&sy[1], (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
	T_INVARIANTS(&sy[1]);
	kt_sync_out_release(&o);
	msgpack_sbuffer_destroy(&b);
}

/* Pushes changes ch[0..n) from seq first to the hub, signed (or forged); its answer in *m. */
static void push_to_hub(uint64_t origin, const uint8_t *pk, const uint8_t *sk, uint64_t first,
			struct kt_bytes *ch, uint32_t n, int forge, struct kt_msg *m)
{
	uint8_t sig[KT_SIG_BYTES], in[KT_SIG_INPUT_BYTES], hash[KT_HASH_BYTES];
	struct kt_msg_push p = { .origin = origin, .first_seq = first, .sig = sig,
				 .nchanges = n, .changes = ch };
	struct kt_hub_out o;
	struct kt_err err;
	msgpack_sbuffer b;

	kt_hash(hash, ch[n - 1].p, ch[n - 1].n);
	kt_msg_sig_input(in, origin, first + n - 1, hash);
	crypto_sign_detached(sig, NULL, in, sizeof(in), sk);
	sig[7] ^= forge ? 1 : 0;
	msgpack_sbuffer_init(&b);
	kt_msg_push(&b, &p);
	kt_hub_out_init(&o);
	kt_hub_handle(&hub, pk, (uint8_t *)b.data, b.size, now_ms, &o, &err);
	T_CHECK(o.n >= 1);
	T_EQ_INT(kt_msg_decode(m, (uint8_t *)o.m[0].msg.data, o.m[0].msg.size, &err), 0);
	kt_hub_out_release(&o);
	msgpack_sbuffer_destroy(&b);
}

/*
 * The hub checks a push before it stores anything: a gap is refused with the
 * seq it expects, a forged signature, a reordered or a dropped change are
 * refused; a good push is acknowledged, a re-sent one only acknowledged again.
 */
static void test_the_hub_refuses_bad_pushes_and_ignores_resends(void)
{
	static struct kt_store s;
	static struct kt_draft d[5];
	static struct kt_msg m;
	char dir[512], cmd[1400], cpk[41], csk[41];
	uint8_t pk[32], sk[64], lk[8], *copy[5];
	struct kt_bytes c[5], two[2];
	uint64_t head;
	struct kt_err err;
	MDB_txn *txn;

	snprintf(dir, sizeof(dir), "%s/pusher", tmpdir);
	T_EQ_INT(kt_store_init(dir, "Pusher", "RU", &err), 0);
	snprintf(cmd, sizeof(cmd), "cp '%s/n0/chain.key' '%s/chain.key'", tmpdir, dir);
	T_EQ_INT(system(cmd), 0);
	T_EQ_INT(kt_store_open(&s, dir, &err), 0);
	T_EQ_INT(kt_identity_read(dir, "node.key", pk, sk, cpk, csk, &err), 0);
	T_EQ_INT(kt_hub_enroll(&hub, "Pusher", pk, &err), 0);
	for (int i = 0; i < 5; i++) {
		struct kt_id id;

		kt_id_new(&id, now_ms);
		kt_draft_start(&d[i], KT_T_CLIENT, &id, 1, NULL);
		T_EQ_INT(kt_draft_field(&d[i], "name", "Push Test", KT_OP_SET, &err), 0);
	}
	T_EQ_INT(kt_store_write(&s, d, 5, NULL, &err), 0);
	T_EQ_INT(kt_store_rdtxn(&s, &txn, &err), 0);
	for (int i = 0; i < 5; i++) { /* the node's changes, seq 1..5, as its log holds them */
		MDB_val k = { 8, lk }, v;

		kt_be64_put(lk, (uint64_t)i + 1);
		T_EQ_INT(mdb_get(txn, s.log, &k, &v), 0);
		copy[i] = kt_malloc(v.mv_size);
		memcpy(copy[i], v.mv_data, v.mv_size);
		c[i] = (struct kt_bytes){ copy[i], (uint32_t)v.mv_size };
	}
	mdb_txn_abort(txn);
	hub_hello(&s, pk);
	head = kt_hub_head(&hub);

	push_to_hub(s.node_id, pk, sk, 3, &c[2], 1, 0, &m); /* starts past the next seq */
	T_CHECK(m.type == KT_MSG_REFUSE && m.a == KT_REFUSE_GAP && m.b == 1);
	kt_msg_release(&m);
	push_to_hub(s.node_id, pk, sk, 1, c, 2, 1, &m); /* forged signature */
	T_CHECK(m.type == KT_MSG_REFUSE && m.a == KT_REFUSE_SIG);
	kt_msg_release(&m);
	two[0] = c[1];
	two[1] = c[0];
	push_to_hub(s.node_id, pk, sk, 1, two, 2, 0, &m); /* reordered */
	T_CHECK(m.type == KT_MSG_REFUSE && m.a == KT_REFUSE_CHAIN);
	kt_msg_release(&m);
	two[0] = c[0];
	two[1] = c[2];
	push_to_hub(s.node_id, pk, sk, 1, two, 2, 0, &m); /* the second one dropped */
	T_CHECK(m.type == KT_MSG_REFUSE && m.a == KT_REFUSE_CHAIN);
	kt_msg_release(&m);
	T_EQ_INT(kt_hub_head(&hub), head); /* nothing refused was stored */

	push_to_hub(s.node_id, pk, sk, 1, c, 3, 0, &m);
	T_CHECK(m.type == KT_MSG_ACK && m.a == s.node_id && m.b == 3);
	kt_msg_release(&m);
	T_EQ_INT(kt_hub_head(&hub), head + 3);
	push_to_hub(s.node_id, pk, sk, 1, c, 3, 0, &m); /* re-sent */
	T_CHECK(m.type == KT_MSG_ACK && m.b == 3);
	kt_msg_release(&m);
	T_EQ_INT(kt_hub_head(&hub), head + 3);
	push_to_hub(s.node_id, pk, sk, 3, &c[2], 3, 0, &m); /* overlapping: only 4 and 5 are new */
	T_CHECK(m.type == KT_MSG_ACK && m.b == 5);
	kt_msg_release(&m);
	T_EQ_INT(kt_hub_head(&hub), head + 5);
	for (int i = 0; i < 5; i++)
		free(copy[i]);
	kt_store_close(&s);
}

/* Pushes all of s's log to the hub (it has fewer than a push's worth). */
static void push_log(struct kt_store *s, const uint8_t *pk, const uint8_t *sk)
{
	static struct kt_msg m;
	struct kt_bytes c[16];
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	uint32_t n = 0;

	T_EQ_INT(kt_store_rdtxn(s, &txn, NULL), 0);
	T_EQ_INT(mdb_cursor_open(txn, s->log, &cur), 0);
	while (n < 16 && mdb_cursor_get(cur, &k, &v, n ? MDB_NEXT : MDB_FIRST) == 0)
		c[n++] = (struct kt_bytes){ v.mv_data, (uint32_t)v.mv_size };
	push_to_hub(s->node_id, pk, sk, 1, c, n, 0, &m);
	T_CHECK(m.type == KT_MSG_ACK && m.b == n);
	kt_msg_release(&m);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
}

/*
 * The hub acknowledges a push once it is in the log and merges behind:
 * "merged" trails the head until a merge slice or a reader catches it up.
 * A change naming a record under another type or owner (two origins that
 * used one id: only a tampered node does) is void at the hub and at every
 * node alike, and the chain goes on.  A hub store without "merged" (made
 * before the merge ran behind) counts as merged to its head.
 */
static void test_the_hub_merges_behind_and_voids_alike(void)
{
	static struct kt_store a, b;
	static struct kt_draft d[2];
	uint8_t pa[32], sa[64], pb[32], sb[64], dh[KT_HASH_BYTES], dn[KT_HASH_BYTES];
	uint64_t left, voided[NODES], kept[NODES];
	struct kt_id x, y;
	struct kt_err err;
	MDB_txn *txn;

	pusher_open("void-a", &a, pa, sa);
	pusher_open("void-b", &b, pb, sb);
	kt_id_new(&x, now_ms);
	kt_id_new(&y, now_ms);
	kt_draft_start(&d[0], KT_T_CLIENT, &x, 1, NULL);
	T_EQ_INT(kt_draft_field(&d[0], "name", "Void Test", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&a, d, 1, NULL, &err), 0);
	kt_draft_start(&d[0], KT_T_CLIENT, &y, 1, NULL);
	T_EQ_INT(kt_draft_field(&d[0], "name", "Other Owner", KT_OP_SET, &err), 0);
	kt_draft_start(&d[1], KT_T_VISIT, &x, 1, &y); /* x again, as y's visit */
	T_EQ_INT(kt_draft_field(&d[1], "services", "Facial", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&b, d, 2, NULL, &err), 0);
	T_EQ_INT(kt_hub_catch_up(&hub, &err), 0);
	push_log(&a, pa, sa);
	push_log(&b, pb, sb);
	T_EQ_INT(kt_store_rdtxn(&hub.st, &txn, NULL), 0);
	T_EQ_INT((int)kt_hub_merge_lag(&hub, txn), 3); /* stored and acknowledged, not merged */
	mdb_txn_abort(txn);
	T_EQ_INT(kt_hub_merge(&hub, 1, &left, &err), 0);
	T_EQ_INT((int)left, 2);
	T_EQ_INT(hub.st.voided, 0);
	T_EQ_INT(kt_hub_merge(&hub, 100, &left, &err), 0);
	T_EQ_INT((int)left, 0);
	T_EQ_INT(hub.st.voided, 1);
	now_ms += KT_SYNC_HEARTBEAT_MS + 1; /* the nodes missed the notice: they ask anyway */
	for (int i = 0; i < NODES; i++) {
		voided[i] = st[i].voided;
		tick(i);
	}
	for (int i = 0; i < NODES; i++) {
		T_EQ_INT(kt_store_rdtxn(&st[i], &txn, NULL), 0);
		T_EQ_INT(kt_meta_u64(&st[i], txn, "voided", &kept[i]), 0);
		mdb_txn_abort(txn);
	}
	T_CHECK(quiesce());
	T_EQ_INT(kt_hub_digest(&hub, dh, &err), 0);
	for (int i = 0; i < NODES; i++) {
		struct kt_rec r;
		uint64_t now_kept;

		T_EQ_INT(st[i].voided, voided[i] + 1);
		T_EQ_INT(kt_store_rdtxn(&st[i], &txn, NULL), 0);
		T_EQ_INT(kt_meta_u64(&st[i], txn, "voided", &now_kept), 0);
		mdb_txn_abort(txn);
		T_EQ_INT((int)now_kept, (int)kept[i] + 1); /* kept for kt-node status */
		T_EQ_INT(kt_store_digest(&st[i], dn, &err), 0);
		T_CHECK(memcmp(dh, dn, sizeof(dh)) == 0);
		kt_rec_init(&r);
		kt_store_rdtxn(&st[i], &txn, NULL);
		T_EQ_INT(kt_store_load(&st[i], txn, &x, &r, NULL), 0);
		T_EQ_INT(r.type, KT_T_CLIENT);
		mdb_txn_abort(txn);
		kt_rec_release(&r);
	}
	/* A store from before: no "merged" meta at all. */
	T_EQ_INT(mdb_txn_begin(hub.st.env, NULL, 0, &txn), 0);
	T_EQ_INT(mdb_del(txn, hub.st.meta, &(MDB_val){ strlen(KT_HUB_META_MERGED),
						       KT_HUB_META_MERGED }, NULL), 0);
	T_EQ_INT(mdb_txn_commit(txn), 0);
	kt_hub_close(&hub);
	{
		char dir[512];

		snprintf(dir, sizeof(dir), "%s/hub", tmpdir);
		T_EQ_INT(kt_hub_open(&hub, dir, &err), 0);
	}
	T_EQ_INT(kt_store_rdtxn(&hub.st, &txn, NULL), 0);
	T_EQ_INT(kt_hub_merge_lag(&hub, txn), 0);
	mdb_txn_abort(txn);
	kt_store_close(&a);
	kt_store_close(&b);
}

/* A card's change at store s, one field set: the card made (create) or edited. */
static void card_write(struct kt_store *s, const struct kt_id *id, int create, const char *field,
		       const char *value)
{
	static struct kt_draft d;
	struct kt_err err;

	kt_draft_start(&d, KT_T_CLIENT, id, create, NULL);
	T_EQ_INT(kt_draft_field(&d, field, value, KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(s, &d, 1, NULL, &err), 0);
}

static int void_hits;
static void void_hit(void *ctx, uint64_t origin, uint64_t seq, int reason)
{
	if (origin == *(const uint64_t *)ctx && seq == 2 && reason == KT_VOID_SEAL)
		void_hits++;
}

/*
 * An enrolled node that seals a flipped payload (a tampered kt-node: its
 * own log and chain hold the flipped bytes, and it signs them) sends a
 * change nobody can open.  Every replica keeps it void, names it by origin
 * and seq, tells the hub (whose log names both branches), and applies every
 * other change, the origin's later ones included.
 */
static void test_a_change_that_does_not_open_is_void_everywhere(void)
{
	static struct kt_store r;
	uint8_t pr[32], sr[64], lk[8], hash[KT_HASH_BYTES];
	uint64_t before[NODES];
	struct kt_id x, y;
	struct kt_err err;
	MDB_txn *txn;
	MDB_val k = { 8, lk }, v;
	uint8_t *copy;

	pusher_open("seal-r", &r, pr, sr);
	kt_id_new(&x, now_ms);
	card_write(&r, &x, 1, "name", "Sealed Client");
	card_write(&r, &x, 0, "notes", "flipped on the way");
	/* The tampering: change 2's payload flipped, and chained as written. */
	T_EQ_INT(kt_store_wbegin(&r, &txn, &err), 0);
	kt_be64_put(lk, 2);
	T_EQ_INT(mdb_get(txn, r.log, &k, &v), 0);
	copy = kt_malloc(v.mv_size);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size - 5] ^= 1;
	v.mv_data = copy;
	kt_hash(hash, copy, v.mv_size);
	T_EQ_INT(mdb_put(txn, r.log, &k, &v, 0), 0);
	T_EQ_INT(kt_chain_put(&r, txn, r.node_id, 2, hash, 2, &err), 0);
	T_EQ_INT(mdb_txn_commit(txn), 0);
	free(copy);
	kt_id_new(&y, now_ms);
	card_write(&r, &y, 1, "name", "After The Flip");
	push_log(&r, pr, sr);
	for (int i = 0; i < NODES; i++)
		before[i] = st[i].voided;
	hub_note[0] = '\0';
	now_ms += KT_SYNC_HEARTBEAT_MS + 1;
	for (int i = 0; i < NODES; i++)
		tick(i);
	T_CHECK(quiesce());
	for (int i = 0; i < NODES; i++) {
		struct kt_rec rec;
		const struct kt_val *notes;

		T_EQ_INT(st[i].voided, before[i] + 1);
		void_hits = 0;
		kt_store_voids(&st[i], 0, void_hit, &r.node_id);
		T_EQ_INT(void_hits, 1);
		kt_rec_init(&rec);
		kt_store_rdtxn(&st[i], &txn, NULL);
		T_EQ_INT(kt_store_load(&st[i], txn, &x, &rec, NULL), 0); /* her card stands */
		notes = kt_rec_get(&rec, kt_schema_field_named(KT_T_CLIENT, "notes")->num);
		T_CHECK(notes == NULL); /* the void edit changed nothing */
		kt_rec_release(&rec);
		kt_rec_init(&rec);
		T_EQ_INT(kt_store_load(&st[i], txn, &y, &rec, NULL), 0); /* and the next change applied */
		mdb_txn_abort(txn);
		kt_rec_release(&rec);
	}
	T_CHECK(strstr(hub_note, "void changes") != NULL && strstr(hub_note, "2-2") != NULL &&
		strstr(hub_note, "seal-r") != NULL && strstr(hub_note, "seal does not open") != NULL);
	if (strstr(hub_note, "seal-r") == NULL)
		fprintf(stderr, "hub note: %s\n", hub_note);
	kt_store_close(&r);
}

static int key_voids;
static void key_void_hit(void *ctx, uint64_t origin, uint64_t seq, int reason)
{
	(void)seq;
	if (origin == *(const uint64_t *)ctx && reason == KT_VOID_KEY)
		key_voids++;
}

/*
 * The other kind of change that does not open: a node carded a client under
 * a chain key of its own, then took the chain's (a key file copied in by
 * hand) and pushed.  Her key does not unwrap anywhere else: her card and her
 * edit are void everywhere (reason: the data key), the node's next card,
 * made under the chain's key, applies.
 */
static void test_a_card_under_another_chain_key_is_void_everywhere(void)
{
	static struct kt_store r;
	uint8_t pk[32], sk[64];
	char dir[512], cmd[1400], cpk[41], csk[41];
	struct kt_id x, y;
	struct kt_err err;
	MDB_txn *txn;

	snprintf(dir, sizeof(dir), "%s/own-key", tmpdir);
	T_EQ_INT(kt_store_init(dir, "OwnKey", "RU", &err), 0);
	T_EQ_INT(kt_store_open(&r, dir, &err), 0);
	kt_id_new(&x, now_ms);
	card_write(&r, &x, 1, "name", "Under Its Own Key");
	card_write(&r, &x, 0, "notes", "edited");
	kt_store_close(&r);
	snprintf(cmd, sizeof(cmd), "cp '%s/n0/chain.key' '%s/chain.key'", tmpdir, dir);
	T_EQ_INT(system(cmd), 0);
	T_EQ_INT(kt_store_open(&r, dir, &err), 0);
	kt_id_new(&y, now_ms);
	card_write(&r, &y, 1, "name", "Under The Chain Key");
	T_EQ_INT(kt_identity_read(dir, "node.key", pk, sk, cpk, csk, &err), 0);
	T_EQ_INT(kt_hub_enroll(&hub, "OwnKey", pk, &err), 0);
	hub_hello(&r, pk);
	push_log(&r, pk, sk);
	now_ms += KT_SYNC_HEARTBEAT_MS + 1;
	for (int i = 0; i < NODES; i++)
		tick(i);
	T_CHECK(quiesce());
	for (int i = 0; i < NODES; i++) {
		key_voids = 0;
		kt_store_voids(&st[i], 0, key_void_hit, &r.node_id);
		T_EQ_INT(key_voids, 2);
		kt_store_rdtxn(&st[i], &txn, NULL);
		T_CHECK(!kt_store_is_client(&st[i], txn, &x));
		T_CHECK(kt_store_is_client(&st[i], txn, &y));
		mdb_txn_abort(txn);
	}
	kt_store_close(&r);
}

/*
 * A node that holds another chain key (joined without an invite, or with
 * one made outside the chain) is refused at hello, before it can push a
 * change nobody could open; a hello of an older protocol is told to update.
 */
static void test_the_hub_refuses_another_chain_key(void)
{
	static struct kt_store s;
	uint8_t pk[32], sk[64], check[KT_CHAIN_CHECK_BYTES];
	char dir[512], cpk[41], csk[41];
	struct kt_hub_out o;
	struct kt_err err;
	msgpack_sbuffer b;
	struct kt_msg m;

	snprintf(dir, sizeof(dir), "%s/stranger", tmpdir);
	T_EQ_INT(kt_store_init(dir, "Stranger", "RU", &err), 0); /* a chain key of its own */
	T_EQ_INT(kt_store_open(&s, dir, &err), 0);
	T_EQ_INT(kt_identity_read(dir, "node.key", pk, sk, cpk, csk, &err), 0);
	T_EQ_INT(kt_hub_enroll(&hub, "Stranger", pk, &err), 0);
	msgpack_sbuffer_init(&b);
	kt_chain_check(check, s.chain_key);
	kt_msg_hello(&b, s.node_id, pk, check);
	kt_hub_out_init(&o);
	T_CHECK(kt_hub_handle(&hub, pk, (uint8_t *)b.data, b.size, now_ms, &o, &err) != 0);
	T_CHECK(strstr(err.msg, "another chain key") != NULL);
	T_EQ_INT(o.n, 1);
	T_EQ_INT(kt_msg_decode(&m, (uint8_t *)o.m[0].msg.data, o.m[0].msg.size, &err), 0);
	T_CHECK(m.type == KT_MSG_REFUSE && m.a == KT_REFUSE_CHAIN_KEY);
	kt_msg_release(&m);
	kt_hub_out_release(&o);
	{
		/* The chain's own key is still admitted, after the stranger tried. */
		T_EQ_INT(kt_hub_chain_check(&hub, check), 1);
		kt_chain_check(pk, st[0].chain_key);
		T_CHECK(memcmp(pk, check, KT_CHAIN_CHECK_BYTES) == 0);
	}
	msgpack_sbuffer_destroy(&b);
	kt_store_close(&s);
}

/*
 * kt_sync_invariants catches a machine a bug moved back (its cursor, its
 * own seq, what the hub acknowledged) or whose applied change is not the
 * chain's, and a step of such a machine writes and sends nothing.
 */
static void test_a_state_moved_back_is_caught(void)
{
	struct kt_sync *y = &sy[0];
	struct kt_sync keep = *y;
	struct kt_sync_out o;
	struct kt_err err;
	char why[160];

	T_INVARIANTS(y);
	T_CHECK(y->seen.cursor > 0 && y->seen.own > 0); /* it has synced */
	y->cursor = y->seen.cursor - 1;
	T_EQ_INT(kt_sync_invariants(y, why, sizeof(why)), KT_SYNC_EBROKEN);
	T_CHECK(strstr(why, "cursor moved back") != NULL);
	kt_sync_out_init(&o);
	T_EQ_INT(kt_sync_tick(y, now_ms, &o, &err), KT_SYNC_EBROKEN);
	T_EQ_INT(err.code, KT_SYNC_EBROKEN);
	T_EQ_INT(o.n, 0); /* nothing sent */
	*y = keep;
	y->seen.own = y->own + 1;
	T_EQ_INT(kt_sync_invariants(y, why, sizeof(why)), KT_SYNC_EBROKEN);
	T_CHECK(strstr(why, "own seq moved back") != NULL);
	*y = keep;
	y->acked = y->seen.acked;
	y->seen.acked = y->acked + 1;
	T_EQ_INT(kt_sync_invariants(y, why, sizeof(why)), KT_SYNC_EBROKEN);
	y->rebased = 1; /* the hub said where it stands: acked may start again */
	T_EQ_INT(kt_sync_invariants(y, why, sizeof(why)), 0);
	*y = keep;
	y->pushed = y->own + 1;
	T_EQ_INT(kt_sync_invariants(y, why, sizeof(why)), KT_SYNC_EBROKEN);
	*y = keep;
	y->napplied = 1;
	memset(y->applied[0].hash, 1, KT_HASH_BYTES);
	memset(y->applied[0].held, 2, KT_HASH_BYTES);
	T_EQ_INT(kt_sync_invariants(y, why, sizeof(why)), KT_SYNC_EBROKEN);
	T_CHECK(strstr(why, "chain entry") != NULL);
	*y = keep;
	T_INVARIANTS(y);
	kt_sync_out_release(&o);
}

int main(void)
{
	if (tmpdir_make("sync-faults") != 0)
		return 1;
	{
		uint64_t seed = getenv("KT_SEED") ? strtoull(getenv("KT_SEED"), NULL, 10)
						  : (uint64_t)kt_wall_ms();

		if (!chain_up(seed)) {
			fprintf(stderr, "the chain did not settle: replay with KT_SEED=%llu\n",
				(unsigned long long)seed);
			harness_close();
			return 1;
		}
	}
	T_RUN(test_a_forged_batch_is_refused);
	T_RUN(test_a_welcome_of_another_history_is_refused);
	T_RUN(test_the_hub_refuses_bad_pushes_and_ignores_resends);
	T_RUN(test_the_hub_merges_behind_and_voids_alike);
	T_RUN(test_a_change_that_does_not_open_is_void_everywhere);
	T_RUN(test_the_hub_refuses_another_chain_key);
	T_RUN(test_a_card_under_another_chain_key_is_void_everywhere);
	T_RUN(test_a_state_moved_back_is_caught);
	return harness_done();
}
