/*
 * test_sync.c - the ordinary exchanges of a hub and three nodes in one
 * process (sync_harness.h): in a seeded random order of deliveries, writes,
 * ticks and dropped connections every replica ends with the same digest and
 * every node with the same export (a failure prints its seed, and
 * KT_SEED=<seed> replays it); then, on that chain, how pulls are answered,
 * heartbeats kept, pushes windowed and a node's clock corrected.  The
 * refusals, tampered nodes and broken states are test_sync_faults.c's.
 */
#include "t.h"
#include "sync_harness.h"

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

int main(void)
{
	if (tmpdir_make("sync") != 0)
		return 1;
	T_RUN(test_hub_and_three_nodes_converge_in_any_order);
	T_RUN(test_a_pull_is_answered_in_contiguous_batches);
	T_RUN(test_heartbeats_do_not_commit);
	T_RUN(test_pushes_keep_a_window_in_flight);
	T_RUN(test_the_hub_clock_corrects_a_node);
	return harness_done();
}
