/*
 * test_sync.c - a hub and three nodes in one process, over in-memory
 * queues, in a seeded random order of deliveries, writes, ticks and
 * dropped connections: every replica ends with the same digest and every
 * node with the same export.  The seed of the fault simulation to come: a
 * failure prints its seed, and KT_SEED=<seed> replays it.
 */
#include "t.h"
#include "hub.h"
#include "sync.h"
#include "card.h"
#include "hlc.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sodium.h>

#define NODES 3
#define QMAX 4096
#include "queue.h"

static char tmpdir[256];
static struct kt_hub hub;
static struct kt_store st[NODES];
static struct kt_sync sy[NODES];
static uint8_t keys[NODES][KT_PUBKEY_BYTES];
static struct queue to_hub[NODES], to_node[NODES];
static uint64_t now_ms = 1700000000000ull, rs;
static int connected[NODES];
static char hub_note[KT_HUB_NOTE_BYTES];

static uint32_t rnd(uint32_t n) { return q_rnd(&rs, n); }

/* kt_sync_invariants after a step of machine y (sync.h): it must hold, whatever the step met. */
#define T_INVARIANTS(y) do { char t_why_[160]; int t_r_ = kt_sync_invariants((y), t_why_, 160); \
	if (t_r_ != 0) fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, t_why_); \
	T_EQ_INT(t_r_, 0); } while (0)

static void put(struct queue *q, const msgpack_sbuffer *b)
{
	kt_assert(q_put(q, b->data, b->size) == 0);
}

static void node_sends(int i, struct kt_sync_out *o)
{
	for (uint32_t k = 0; k < o->n; k++)
		put(&to_hub[i], &o->msg[k]);
}

/* Delivers the oldest message of one queue; returns 0 when it was empty. */
static int deliver(int i, int to_the_hub)
{
	struct queue *q = to_the_hub ? &to_hub[i] : &to_node[i];
	struct qmsg m;
	struct kt_err err;

	if (!q_take(q, &m))
		return 0;
	if (to_the_hub) {
		struct kt_hub_out o;

		kt_hub_out_init(&o);
		kt_hub_handle(&hub, keys[i], m.p, m.n, now_ms, &o, &err);
		if (o.note[0]) /* what the hub's log would say */
			snprintf(hub_note, sizeof(hub_note), "%s", o.note);
		if (rnd(4) == 0) /* the merge runs behind ingest, in slices of any size */
			T_EQ_INT(kt_hub_merge(&hub, 1 + rnd(40), NULL, &err), 0);
		for (uint32_t k = 0; k < o.n; k++)
			for (int j = 0; j < NODES; j++)
				if (o.m[k].to_all ? connected[j] : j == i)
					put(&to_node[j], &o.m[k].msg);
		kt_hub_out_release(&o);
	} else {
		struct kt_sync_out o;

		kt_sync_out_init(&o);
		T_CHECK(kt_sync_handle(&sy[i], m.p, m.n, now_ms, &o, &err) != KT_SYNC_EBROKEN);
		T_INVARIANTS(&sy[i]);
		node_sends(i, &o);
		kt_sync_out_release(&o);
	}
	free(m.p);
	return 1;
}

static uint64_t sim_clock(void) { return now_ms; }

static void setup(void)
{
	char dir[512], src[600], dst[600], buf[256], cpk[41], csk[41];
	uint8_t sk[64];
	struct kt_err err;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/hub", tmpdir);
	T_EQ_INT(kt_hub_init(dir, "tcp://127.0.0.1:7400", &err), 0);
	T_EQ_INT(kt_hub_open(&hub, dir, &err), 0);
	for (int i = 0; i < NODES; i++) {
		snprintf(dir, sizeof(dir), "%s/n%d", tmpdir, i);
		T_EQ_INT(kt_store_init(dir, i == 0 ? "Centre" : i == 1 ? "North" : "South", "RU",
				       &err), 0);
		if (i > 0) { /* one chain: every node holds the first node's chain key */
			snprintf(src, sizeof(src), "%s/n0/chain.key", tmpdir);
			snprintf(dst, sizeof(dst), "%s/chain.key", dir);
			f = fopen(src, "r");
			T_CHECK(f != NULL && fgets(buf, sizeof(buf), f) != NULL);
			fclose(f);
			f = fopen(dst, "w");
			fputs(buf, f);
			fclose(f);
			chmod(dst, 0600);
		}
		T_EQ_INT(kt_store_open(&st[i], dir, &err), 0);
		st[i].clock = sim_clock; /* every replica on the simulated time */
		T_EQ_INT(kt_sync_init(&sy[i], &st[i], &err), 0);
		T_EQ_INT(kt_identity_read(dir, "node.key", keys[i], sk, cpk, csk, &err), 0);
		T_EQ_INT(kt_hub_enroll(&hub, "branch", keys[i], &err), i == 0 ? 0 : 0);
	}
	T_CHECK(kt_hub_enroll(&hub, "again", keys[0], &err) != 0); /* one key, one branch */
}

#define CLIENTS_MAX 64
static struct kt_id clients[CLIENTS_MAX];
static int nclients;

/* A random local write at node i, on a card it holds. */
static void local_write(int i)
{
	static struct kt_draft d;
	static char text[64];
	struct kt_err err;
	struct kt_rec r;
	MDB_txn *txn;
	struct kt_id id;
	int k = (int)rnd(4), has;

	if (nclients == 0 || (k == 0 && nclients < CLIENTS_MAX)) {
		kt_id_new(&clients[nclients], kt_wall_ms());
		kt_draft_start(&d, KT_T_CLIENT, &clients[nclients++], 1, NULL);
		snprintf(text, sizeof(text), "Клиент %d от %d", nclients, i);
		T_CHECK(kt_draft_field(&d, "name", text, KT_OP_SET, &err) == 0);
		T_EQ_INT(kt_store_write(&st[i], &d, 1, NULL, &err), 0);
		return;
	}
	id = clients[rnd((uint32_t)nclients)];
	kt_rec_init(&r);
	kt_store_rdtxn(&st[i], &txn, NULL);
	has = kt_store_load(&st[i], txn, &id, &r, NULL) == 0;
	mdb_txn_abort(txn);
	kt_rec_release(&r);
	if (!has)
		return; /* this node has not seen that card yet */
	if (k == 1) {
		kt_draft_start(&d, KT_T_CLIENT, &id, 0, NULL);
		snprintf(text, sizeof(text), "note %u from %d", rnd(1000), i);
		if (rnd(2))
			T_CHECK(kt_draft_field(&d, "notes", text, KT_OP_SET, &err) == 0);
		else
			T_CHECK(kt_draft_field(&d, "phone", rnd(2) ? "+7 912 000 00 01" : "8 912 000 00 02",
					       KT_OP_SET, &err) == 0);
	} else if (k == 2) {
		kt_draft_start(&d, KT_T_CLIENT, &id, 0, NULL);
		T_CHECK(kt_draft_field(&d, "allergies", rnd(2) ? "latex" : "nuts", KT_OP_ADD, &err) == 0);
	} else {
		struct kt_id v;

		kt_id_new(&v, kt_wall_ms());
		kt_draft_start(&d, KT_T_VISIT, &v, 1, &id);
		T_CHECK(kt_draft_field(&d, "services", "Facial", KT_OP_SET, &err) == 0);
		T_CHECK(kt_draft_field(&d, "date", "2026-11-20", KT_OP_SET, &err) == 0);
	}
	T_EQ_INT(kt_store_write(&st[i], &d, 1, NULL, &err), 0);
}

static void tick(int i)
{
	struct kt_sync_out o;
	struct kt_err err;

	kt_sync_out_init(&o);
	T_CHECK(kt_sync_tick(&sy[i], now_ms, &o, &err) != KT_SYNC_EBROKEN);
	T_INVARIANTS(&sy[i]);
	node_sends(i, &o);
	kt_sync_out_release(&o);
}

/* Node i loses its connection: what was in flight is gone; it says hello again later. */
static void drop(int i)
{
	q_clear(&to_hub[i]);
	q_clear(&to_node[i]);
	connected[i] = 0;
}

static void reconnect(int i)
{
	struct kt_sync_out o;

	kt_sync_out_init(&o);
	kt_sync_connect(&sy[i], now_ms, &o);
	T_INVARIANTS(&sy[i]);
	node_sends(i, &o);
	kt_sync_out_release(&o);
	connected[i] = 1;
}

static int queues_empty(void)
{
	for (int i = 0; i < NODES; i++)
		if (to_hub[i].head != to_hub[i].tail || to_node[i].head != to_node[i].tail)
			return 0;
	return 1;
}

static void chaos(int steps)
{
	for (int s = 0; s < steps; s++) {
		int i = (int)rnd(NODES), a = (int)rnd(100);

		now_ms += rnd(40);
		if (a < 12)
			local_write(i);
		else if (a < 18)
			tick(i);
		else if (a < 19 && connected[i])
			drop(i);
		else if (!connected[i] && a < 30)
			reconnect(i);
		else if (connected[i])
			deliver(i, (int)rnd(2));
	}
}

/* Everyone reconnects and talks until nothing is left to say (bounded). */
static int quiesce(void)
{
	for (int i = 0; i < NODES; i++)
		if (!connected[i])
			reconnect(i);
	for (int round = 0; round < 200000; round++) {
		int idle = 1;

		if (!queues_empty()) {
			int i = (int)rnd(NODES);

			deliver(i, (int)rnd(2));
			continue;
		}
		now_ms += 100;
		for (int i = 0; i < NODES; i++) {
			tick(i);
			idle &= kt_sync_idle(&sy[i]);
		}
		if (idle && queues_empty())
			return 1;
	}
	return 0;
}

struct dump { struct kt_store *st; MDB_txn *txn; char *s; size_t n; };
static int dump_one(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct dump *d = ctx;
	struct kt_rec r;
	json_t *o;
	char *j;

	(void)type;
	kt_rec_init(&r);
	if (kt_store_load(d->st, d->txn, id, &r, NULL) == 0) {
		o = kt_card_json(&r);
		j = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
		d->s = kt_realloc(d->s, d->n + strlen(j) + 2);
		memcpy(d->s + d->n, j, strlen(j) + 1);
		d->n += strlen(j);
		free(j);
		json_decref(o);
	}
	kt_rec_release(&r);
	return 0;
}

static char *dump(struct kt_store *s)
{
	struct dump d = { s, NULL, kt_strdup(""), 0 };

	kt_store_rdtxn(s, &d.txn, NULL);
	kt_store_each(s, d.txn, 0, dump_one, &d, NULL);
	mdb_txn_abort(d.txn);
	return d.s;
}

static void test_hub_and_three_nodes_converge_in_any_order(void)
{
	uint8_t dh[KT_HASH_BYTES], dn[KT_HASH_BYTES];
	uint64_t seed = getenv("KT_SEED") ? strtoull(getenv("KT_SEED"), NULL, 10)
					  : (uint64_t)kt_wall_ms();
	struct kt_err err;
	MDB_envinfo ei0, ei;
	char *first = NULL;
	int ok;

	rs = seed | 1;
	setup();
	/* Every map as small as LMDB allows: each writer meets MDB_MAP_FULL, grows and retries. */
	mdb_env_set_mapsize(hub.st.env, 1);
	for (int i = 0; i < NODES; i++)
		mdb_env_set_mapsize(st[i].env, 1);
	mdb_env_info(hub.st.env, &ei0);
	for (int i = 0; i < NODES; i++)
		reconnect(i);
	chaos(3000);
	ok = quiesce();
	T_CHECK(ok);
	T_CHECK(nclients > 3 && kt_hub_head(&hub) > 50);
	mdb_env_info(hub.st.env, &ei);
	T_CHECK(ei.me_mapsize > ei0.me_mapsize); /* the hub grew its map and lost nothing */
	fprintf(stderr, "# %d cards, hub head %llu\n", nclients, (unsigned long long)kt_hub_head(&hub));
	T_EQ_INT(kt_hub_digest(&hub, dh, &err), 0);
	for (int i = 0; i < NODES; i++) {
		char *d = dump(&st[i]);

		T_EQ_INT(kt_store_digest(&st[i], dn, &err), 0);
		if (memcmp(dh, dn, sizeof(dh)) != 0 || (first != NULL && strcmp(first, d) != 0)) {
			fprintf(stderr, "node %d differs from the hub or node 0: replay with KT_SEED=%llu\n",
				i, (unsigned long long)seed);
			T_CHECK(0);
		}
		if (first == NULL)
			first = d;
		else
			free(d);
	}
	free(first);
	if (!ok)
		fprintf(stderr, "did not settle: replay with KT_SEED=%llu\n", (unsigned long long)seed);
	{
		/* kt-hub verify derives the state again in a scratch store whose map grows too. */
		char scratch[512];
		int same = 0;

		snprintf(scratch, sizeof(scratch), "%s/scratch", tmpdir);
		hub.scratch_map = 1;
		T_EQ_INT(kt_hub_verify_state(&hub, scratch, &same, &err), 0);
		T_CHECK(same);
		hub.scratch_map = 0;
	}
}

/* Opens a store named name in tmpdir on the chain of node 0, enrolled and said hello. */
static void pusher_open(const char *name, struct kt_store *s, uint8_t pk[32], uint8_t sk[64])
{
	char dir[512], cmd[1400], cpk[41], csk[41];
	uint8_t check[KT_CHAIN_CHECK_BYTES];
	struct kt_hub_out o;
	struct kt_err err;
	msgpack_sbuffer b;

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	T_EQ_INT(kt_store_init(dir, name, "RU", &err), 0);
	snprintf(cmd, sizeof(cmd), "cp '%s/n0/chain.key' '%s/chain.key'", tmpdir, dir);
	T_EQ_INT(system(cmd), 0);
	T_EQ_INT(kt_store_open(s, dir, &err), 0);
	T_EQ_INT(kt_identity_read(dir, "node.key", pk, sk, cpk, csk, &err), 0);
	T_EQ_INT(kt_hub_enroll(&hub, name, pk, &err), 0);
	msgpack_sbuffer_init(&b);
	kt_chain_check(check, s->chain_key);
	kt_msg_hello(&b, s->node_id, pk, check);
	kt_hub_out_init(&o);
	T_EQ_INT(kt_hub_handle(&hub, pk, (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
	kt_hub_out_release(&o);
	msgpack_sbuffer_destroy(&b);
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
 * A pull is answered by batches back to back: contiguous hub seqs, every
 * one but the last saying more = 1, together reaching the credit or the
 * head.  The pulling node's own pushes are covered but left out.
 */
static void test_a_pull_is_answered_in_contiguous_batches(void)
{
	static struct kt_msg m;
	uint64_t credits[] = { 1, 150, 6000 }, own_left_out = 0;
	struct kt_hub_out o;
	struct kt_err err;
	msgpack_sbuffer b;

	msgpack_sbuffer_init(&b);
	for (size_t k = 0; k < sizeof(credits) / sizeof(credits[0]); k++) {
		uint64_t next = 1, got = 0;

		kt_msg_pull(&b, 0, credits[k], kt_sync_local_seq(&sy[0]));
		kt_hub_out_init(&o);
		T_EQ_INT(kt_hub_handle(&hub, keys[0], (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
		T_CHECK(o.n >= 1 && o.n <= KT_PULL_BATCHES_MAX);
		for (uint32_t i = 0; i < o.n; i++) {
			T_EQ_INT(kt_msg_decode(&m, (uint8_t *)o.m[i].msg.data, o.m[i].msg.size, &err), 0);
			T_CHECK(m.type == KT_MSG_BATCH && m.a == next && m.last >= m.a);
			T_CHECK(m.c == (i + 1 < o.n)); /* more, except on the last */
			for (uint32_t p = 0; p < m.npushes; p++)
				T_CHECK(m.pushes[p].origin != st[0].node_id);
			own_left_out += m.last - m.a + 1 - m.nchanges;
			next = m.last + 1;
			got += m.last - m.a + 1;
			kt_msg_release(&m);
		}
		T_CHECK(got >= credits[k] || got == kt_hub_head(&hub));
		T_CHECK(got < credits[k] + KT_PUSH_CHANGES_MAX); /* whole pushes pass it by one at most */
		kt_hub_out_release(&o);
	}
	T_CHECK(own_left_out > 0); /* node 0 did push, and its pushes were left out */
	/* A node restored from an old backup holds fewer of its own: it gets the rest back. */
	{
		uint64_t own = 0, mine = 0, got = 0;

		kt_msg_pull(&b, 0, kt_hub_head(&hub), 0);
		kt_hub_out_init(&o);
		T_EQ_INT(kt_hub_handle(&hub, keys[0], (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
		for (uint32_t i = 0; i < o.n; i++) {
			T_EQ_INT(kt_msg_decode(&m, (uint8_t *)o.m[i].msg.data, o.m[i].msg.size, &err), 0);
			for (uint32_t p = 0; p < m.npushes; p++)
				if (m.pushes[p].origin == st[0].node_id)
					mine += m.pushes[p].nchanges;
			own = m.last;
			got += m.nchanges;
			kt_msg_release(&m);
		}
		T_EQ_INT(mine, kt_sync_local_seq(&sy[0])); /* all of node 0's own changes */
		T_EQ_INT(got, own); /* and nothing left out */
		kt_hub_out_release(&o);
	}
	msgpack_sbuffer_destroy(&b);
}

/*
 * What status shows of a pulling node is kept without a commit per
 * heartbeat: its cursor when it moves, its last contact every
 * KT_HUB_CONTACT_SAVE_MS (an idle daemon asks every 2 s).
 */
static uint64_t hub_txnid(void)
{
	MDB_envinfo info;

	T_EQ_INT(mdb_env_info(hub.st.env, &info), 0);
	return (uint64_t)info.me_last_txnid;
}

static void hub_pull_at(uint64_t cursor, uint64_t t)
{
	struct kt_hub_out o;
	struct kt_err err;
	msgpack_sbuffer b;

	msgpack_sbuffer_init(&b);
	kt_hub_out_init(&o);
	kt_msg_pull(&b, cursor, 1, 0); /* holds none of its own: pulled is the cursor */
	T_EQ_INT(kt_hub_handle(&hub, keys[1], (uint8_t *)b.data, b.size, t, &o, &err), 0);
	kt_hub_out_release(&o);
	msgpack_sbuffer_destroy(&b);
}

static void hub_contact(uint64_t *seen, uint64_t *pulled)
{
	MDB_txn *txn;

	T_EQ_INT(kt_store_rdtxn(&hub.st, &txn, NULL), 0);
	*seen = kt_hub_contact(&hub, txn, keys[1]);
	*pulled = kt_hub_pulled(&hub, txn, st[1].node_id);
	mdb_txn_abort(txn);
}

static void test_heartbeats_do_not_commit(void)
{
	uint64_t t = now_ms + 1000000, seen, pulled, id;

	hub_pull_at(5, t);
	hub_contact(&seen, &pulled);
	T_CHECK(seen == t && pulled == 5);
	id = hub_txnid();
	for (uint64_t i = 1; i * 2000 < KT_HUB_CONTACT_SAVE_MS; i++)
		hub_pull_at(5, t + i * 2000);
	T_CHECK(hub_txnid() == id); /* nothing written */
	hub_contact(&seen, &pulled);
	T_CHECK(seen == t && pulled == 5);
	hub_pull_at(5, t + KT_HUB_CONTACT_SAVE_MS);
	hub_contact(&seen, &pulled);
	T_CHECK(seen == t + KT_HUB_CONTACT_SAVE_MS && hub_txnid() == id + 1);
	hub_pull_at(6, t + KT_HUB_CONTACT_SAVE_MS + 1); /* a moved cursor, at once */
	hub_contact(&seen, &pulled);
	T_CHECK(seen == t + KT_HUB_CONTACT_SAVE_MS + 1 && pulled == 6);
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

/*
 * A node with more than a push's worth of changes keeps KT_SYNC_PUSH_WINDOW
 * pushes in flight, consecutive, and sends the next as soon as the hub
 * acknowledges the first.
 */
static uint64_t saved_acked(struct kt_store *s)
{
	MDB_txn *txn;
	uint64_t v = 0;

	T_EQ_INT(kt_store_rdtxn(s, &txn, NULL), 0);
	kt_meta_u64(s, txn, "acked", &v);
	mdb_txn_abort(txn);
	return v;
}

static void test_pushes_keep_a_window_in_flight(void)
{
	static struct kt_store s;
	static struct kt_sync y;
	static struct kt_draft d[KT_BATCH_MAX];
	static struct kt_msg m;
	char dir[512], cmd[1400];
	uint64_t next = 1;
	msgpack_sbuffer b;
	struct kt_sync_out so;
	struct kt_err err;

	snprintf(dir, sizeof(dir), "%s/window", tmpdir);
	T_EQ_INT(kt_store_init(dir, "Window", "RU", &err), 0);
	snprintf(cmd, sizeof(cmd), "cp '%s/n0/chain.key' '%s/chain.key'", tmpdir, dir);
	T_EQ_INT(system(cmd), 0);
	T_EQ_INT(kt_store_open(&s, dir, &err), 0);
	/* Four pushes' worth of changes. */
	for (int batch = 0; batch < (KT_SYNC_PUSH_WINDOW + 1) * KT_PUSH_CHANGES_MAX / KT_BATCH_MAX;
	     batch++) {
		for (int i = 0; i < KT_BATCH_MAX; i++) {
			struct kt_id id;

			kt_id_new(&id, now_ms);
			kt_draft_start(&d[i], KT_T_CLIENT, &id, 1, NULL);
			T_EQ_INT(kt_draft_field(&d[i], "name", "Window Test", KT_OP_SET, &err), 0);
		}
		T_EQ_INT(kt_store_write(&s, d, KT_BATCH_MAX, NULL, &err), 0);
	}
	T_EQ_INT(kt_sync_init(&y, &s, &err), 0);
	msgpack_sbuffer_init(&b);
	kt_sync_out_init(&so);
	kt_msg_welcome(&b, now_ms, 0, 0, NULL);
	T_EQ_INT(kt_sync_handle(&y, (uint8_t *)b.data, b.size, now_ms, &so, &err), 0);
	T_INVARIANTS(&y);
	T_EQ_INT(so.n, KT_SYNC_PUSH_WINDOW + 1); /* and a pull: caught up, it says so */
	T_EQ_INT(kt_msg_decode(&m, (uint8_t *)so.msg[so.n - 1].data, so.msg[so.n - 1].size, &err), 0);
	T_CHECK(m.type == KT_MSG_PULL && m.a == 0);
	kt_msg_release(&m);
	for (uint32_t i = 0; i + 1 < so.n; i++) {
		T_EQ_INT(kt_msg_decode(&m, (uint8_t *)so.msg[i].data, so.msg[i].size, &err), 0);
		T_CHECK(m.type == KT_MSG_PUSH && m.pushes[0].first_seq == next);
		next += m.nchanges;
		kt_msg_release(&m);
	}
	T_EQ_INT(next, KT_SYNC_PUSH_WINDOW * KT_PUSH_CHANGES_MAX + 1);
	kt_msg_ack(&b, s.node_id, KT_PUSH_CHANGES_MAX);
	T_EQ_INT(kt_sync_handle(&y, (uint8_t *)b.data, b.size, now_ms, &so, &err), 0);
	T_INVARIANTS(&y);
	T_EQ_INT(so.n, 1); /* the window moved by one push */
	T_EQ_INT(kt_msg_decode(&m, (uint8_t *)so.msg[0].data, so.msg[0].size, &err), 0);
	T_CHECK(m.type == KT_MSG_PUSH &&
		m.pushes[0].first_seq == KT_SYNC_PUSH_WINDOW * KT_PUSH_CHANGES_MAX + 1 &&
		m.nchanges == KT_PUSH_CHANGES_MAX);
	kt_msg_release(&m);
	/* "acked" is saved at most once a second: a later tick or the release saves the rest. */
	T_EQ_INT(saved_acked(&s), KT_PUSH_CHANGES_MAX);
	kt_msg_ack(&b, s.node_id, KT_PUSH_CHANGES_MAX + 1);
	T_EQ_INT(kt_sync_handle(&y, (uint8_t *)b.data, b.size, now_ms + 10, &so, &err), 0);
	T_INVARIANTS(&y);
	T_EQ_INT(saved_acked(&s), KT_PUSH_CHANGES_MAX);
	T_EQ_INT(kt_sync_tick(&y, now_ms + 500, &so, &err), 0);
	T_INVARIANTS(&y);
	T_EQ_INT(saved_acked(&s), KT_PUSH_CHANGES_MAX);
	T_EQ_INT(kt_sync_tick(&y, now_ms + KT_SYNC_ACK_SAVE_MS + 1, &so, &err), 0);
	T_INVARIANTS(&y);
	T_EQ_INT(saved_acked(&s), KT_PUSH_CHANGES_MAX + 1);
	kt_msg_ack(&b, s.node_id, KT_PUSH_CHANGES_MAX + 2);
	T_EQ_INT(kt_sync_handle(&y, (uint8_t *)b.data, b.size, now_ms + 1100, &so, &err), 0);
	T_INVARIANTS(&y);
	T_EQ_INT(saved_acked(&s), KT_PUSH_CHANGES_MAX + 1);
	kt_sync_out_release(&so);
	msgpack_sbuffer_destroy(&b);
	kt_sync_release(&y);
	T_EQ_INT(saved_acked(&s), KT_PUSH_CHANGES_MAX + 2);
	kt_store_close(&s);
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
	uint8_t pk[32], sk[64], lk[8], *copy[5], check[KT_CHAIN_CHECK_BYTES];
	struct kt_bytes c[5], two[2];
	uint64_t head;
	msgpack_sbuffer b;
	struct kt_hub_out o;
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
	msgpack_sbuffer_init(&b);
	kt_chain_check(check, s.chain_key);
	kt_msg_hello(&b, s.node_id, pk, check);
	kt_hub_out_init(&o);
	T_EQ_INT(kt_hub_handle(&hub, pk, (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
	kt_hub_out_release(&o);
	msgpack_sbuffer_destroy(&b);
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
	static struct kt_draft d;
	uint8_t pr[32], sr[64], lk[8], hash[KT_HASH_BYTES];
	uint64_t before[NODES];
	struct kt_id x, y;
	struct kt_err err;
	MDB_txn *txn;
	MDB_val k = { 8, lk }, v;
	uint8_t *copy;

	pusher_open("seal-r", &r, pr, sr);
	kt_id_new(&x, now_ms);
	kt_draft_start(&d, KT_T_CLIENT, &x, 1, NULL);
	T_EQ_INT(kt_draft_field(&d, "name", "Sealed Client", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&r, &d, 1, NULL, &err), 0);
	kt_draft_start(&d, KT_T_CLIENT, &x, 0, NULL);
	T_EQ_INT(kt_draft_field(&d, "notes", "flipped on the way", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&r, &d, 1, NULL, &err), 0);
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
	kt_draft_start(&d, KT_T_CLIENT, &y, 1, NULL);
	T_EQ_INT(kt_draft_field(&d, "name", "After The Flip", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&r, &d, 1, NULL, &err), 0);
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
	static struct kt_draft d;
	uint8_t pk[32], sk[64], check[KT_CHAIN_CHECK_BYTES];
	char dir[512], cmd[1400], cpk[41], csk[41];
	struct kt_id x, y;
	struct kt_hub_out o;
	struct kt_err err;
	msgpack_sbuffer b;
	MDB_txn *txn;

	snprintf(dir, sizeof(dir), "%s/own-key", tmpdir);
	T_EQ_INT(kt_store_init(dir, "OwnKey", "RU", &err), 0);
	T_EQ_INT(kt_store_open(&r, dir, &err), 0);
	kt_id_new(&x, now_ms);
	kt_draft_start(&d, KT_T_CLIENT, &x, 1, NULL);
	T_EQ_INT(kt_draft_field(&d, "name", "Under Its Own Key", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&r, &d, 1, NULL, &err), 0);
	kt_draft_start(&d, KT_T_CLIENT, &x, 0, NULL);
	T_EQ_INT(kt_draft_field(&d, "notes", "edited", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&r, &d, 1, NULL, &err), 0);
	kt_store_close(&r);
	snprintf(cmd, sizeof(cmd), "cp '%s/n0/chain.key' '%s/chain.key'", tmpdir, dir);
	T_EQ_INT(system(cmd), 0);
	T_EQ_INT(kt_store_open(&r, dir, &err), 0);
	kt_id_new(&y, now_ms);
	kt_draft_start(&d, KT_T_CLIENT, &y, 1, NULL);
	T_EQ_INT(kt_draft_field(&d, "name", "Under The Chain Key", KT_OP_SET, &err), 0);
	T_EQ_INT(kt_store_write(&r, &d, 1, NULL, &err), 0);
	T_EQ_INT(kt_identity_read(dir, "node.key", pk, sk, cpk, csk, &err), 0);
	T_EQ_INT(kt_hub_enroll(&hub, "OwnKey", pk, &err), 0);
	msgpack_sbuffer_init(&b);
	kt_chain_check(check, r.chain_key);
	kt_msg_hello(&b, r.node_id, pk, check);
	kt_hub_out_init(&o);
	T_EQ_INT(kt_hub_handle(&hub, pk, (uint8_t *)b.data, b.size, now_ms, &o, &err), 0);
	kt_hub_out_release(&o);
	msgpack_sbuffer_destroy(&b);
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

static uint64_t clock_behind(void) { return now_ms - 2 * 3600 * 1000ull; }
static uint64_t clock_ahead(void) { return now_ms + 3 * 3600 * 1000ull; }

/*
 * A branch PC whose clock is hours off takes the hub's time from WELCOME:
 * its next write is stamped with the chain's time, and the correction
 * survives a restart (an offline node keeps it).
 */
static void test_the_hub_clock_corrects_a_node(void)
{
	uint64_t (*clocks[2])(void) = { clock_behind, clock_ahead };

	for (int k = 0; k < 2; k++) {
		static struct kt_store s;
		static struct kt_sync y;
		static struct kt_draft d;
		char dir[512], cmd[1400];
		msgpack_sbuffer b;
		struct kt_sync_out so;
		struct kt_err err;
		struct kt_id id;

		snprintf(dir, sizeof(dir), "%s/clock%d", tmpdir, k);
		T_EQ_INT(kt_store_init(dir, "Clock", "RU", &err), 0);
		snprintf(cmd, sizeof(cmd), "cp '%s/n0/chain.key' '%s/chain.key'", tmpdir, dir);
		T_EQ_INT(system(cmd), 0);
		T_EQ_INT(kt_store_open(&s, dir, &err), 0);
		s.clock = clocks[k];
		T_EQ_INT(kt_sync_init(&y, &s, &err), 0);
		msgpack_sbuffer_init(&b);
		kt_msg_welcome(&b, now_ms, 0, 0, NULL);
		kt_sync_out_init(&so);
		T_EQ_INT(kt_sync_handle(&y, (uint8_t *)b.data, b.size, now_ms, &so, &err), 0);
		T_INVARIANTS(&y);
		T_CHECK(kt_store_now(&s) == now_ms);
		kt_id_new(&id, now_ms);
		kt_draft_start(&d, KT_T_CLIENT, &id, 1, NULL);
		T_EQ_INT(kt_draft_field(&d, "name", "Clock Test", KT_OP_SET, &err), 0);
		T_EQ_INT(kt_store_write(&s, &d, 1, NULL, &err), 0);
		T_CHECK((s.w_hlc >> 16) >= now_ms && (s.w_hlc >> 16) < now_ms + 1000);
		kt_sync_out_release(&so);
		msgpack_sbuffer_destroy(&b);
		kt_sync_release(&y);
		kt_store_close(&s);
		T_EQ_INT(kt_store_open(&s, dir, &err), 0);
		s.clock = clocks[k];
		T_CHECK(kt_store_now(&s) == now_ms); /* kept across a restart */
		kt_store_close(&s);
	}
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
	char cmd[300];

	kt_crypto_init();
	snprintf(tmpdir, sizeof(tmpdir), "%s/kt-test-sync-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	T_RUN(test_hub_and_three_nodes_converge_in_any_order);
	T_RUN(test_a_forged_batch_is_refused);
	T_RUN(test_a_pull_is_answered_in_contiguous_batches);
	T_RUN(test_heartbeats_do_not_commit);
	T_RUN(test_a_welcome_of_another_history_is_refused);
	T_RUN(test_pushes_keep_a_window_in_flight);
	T_RUN(test_the_hub_refuses_bad_pushes_and_ignores_resends);
	T_RUN(test_the_hub_merges_behind_and_voids_alike);
	T_RUN(test_the_hub_clock_corrects_a_node);
	T_RUN(test_a_change_that_does_not_open_is_void_everywhere);
	T_RUN(test_the_hub_refuses_another_chain_key);
	T_RUN(test_a_card_under_another_chain_key_is_void_everywhere);
	T_RUN(test_a_state_moved_back_is_caught);
	for (int i = 0; i < NODES; i++) {
		q_clear(&to_hub[i]);
		q_clear(&to_node[i]);
		kt_sync_release(&sy[i]);
		kt_store_close(&st[i]);
	}
	kt_hub_close(&hub);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return 1;
	T_DONE();
}
