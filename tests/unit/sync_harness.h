/*
 * sync_harness.h - the in-process chain of test_sync.c and test_sync_faults.c:
 * a hub and three nodes in one process, over in-memory queues (queue.h), in
 * a seeded random order of deliveries, writes, ticks and dropped
 * connections.  One test program includes it once, after t.h: it holds the
 * chain's state (static) in tmpdir (store_harness.h), the steps a test
 * takes on it, and harness_close/harness_done for the end of main.
 */
#ifndef KT_TEST_SYNC_HARNESS_H
#define KT_TEST_SYNC_HARNESS_H

#include "t.h"
#include "store_harness.h"
#include "hub.h"
#include "sync.h"
#include "card.h"
#include "hlc.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>

#define NODES 3
#define QMAX 4096
#include "queue.h"

static struct kt_hub hub;
static struct kt_store st[NODES];
static struct kt_sync sy[NODES];
static uint8_t keys[NODES][KT_PUBKEY_BYTES];
static struct queue to_hub[NODES], to_node[NODES];
static uint64_t now_ms = 1700000000000ull, rs;
static int connected[NODES];
static char hub_note[KT_HUB_NOTE_BYTES];

static inline uint32_t rnd(uint32_t n) { return q_rnd(&rs, n); }

/* kt_sync_invariants after a step of machine y (sync.h): it must hold, whatever the step met. */
#define T_INVARIANTS(y) do { char t_why_[160]; int t_r_ = kt_sync_invariants((y), t_why_, 160); \
	if (t_r_ != 0) fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, t_why_); \
	T_EQ_INT(t_r_, 0); } while (0)

/* Puts the message of b on q; a full queue fails the test program. */
static inline void put(struct queue *q, const msgpack_sbuffer *b)
{
	kt_assert(q_put(q, b->data, b->size) == 0);
}

/* Puts what node i sends (o) on its queue to the hub. */
static inline void node_sends(int i, struct kt_sync_out *o)
{
	for (uint32_t k = 0; k < o->n; k++)
		put(&to_hub[i], &o->msg[k]);
}

/* Delivers the oldest message of one queue; returns 0 when it was empty. */
static inline int deliver(int i, int to_the_hub)
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

/* The simulated time every replica runs on (now_ms, ms). */
static inline uint64_t sim_clock(void) { return now_ms; }

/*
 * Makes the hub and the nodes in tmpdir, one chain key for all, each node
 * enrolled at the hub and its sync machine made; checks fail the running test.
 */
static inline void setup(void)
{
	char dir[512], src[512], cpk[41], csk[41];
	uint8_t sk[64];
	struct kt_err err;

	snprintf(dir, sizeof(dir), "%s/hub", tmpdir);
	T_EQ_INT(kt_hub_init(dir, "tcp://127.0.0.1:7400", &err), 0);
	T_EQ_INT(kt_hub_open(&hub, dir, &err), 0);
	for (int i = 0; i < NODES; i++) {
		snprintf(dir, sizeof(dir), "%s/n%d", tmpdir, i);
		T_EQ_INT(kt_store_init(dir, i == 0 ? "Centre" : i == 1 ? "North" : "South", "RU",
				       &err), 0);
		if (i > 0) { /* one chain: every node holds the first node's chain key */
			snprintf(src, sizeof(src), "%s/n0", tmpdir);
			copy_chain_key(src, dir);
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
static inline void local_write(int i)
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

/* A tick of node i at now_ms; what it sends goes on its queue. */
static inline void tick(int i)
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
static inline void drop(int i)
{
	q_clear(&to_hub[i]);
	q_clear(&to_node[i]);
	connected[i] = 0;
}

/* Node i connects again: its hello goes on its queue. */
static inline void reconnect(int i)
{
	struct kt_sync_out o;

	kt_sync_out_init(&o);
	kt_sync_connect(&sy[i], now_ms, &o);
	T_INVARIANTS(&sy[i]);
	node_sends(i, &o);
	kt_sync_out_release(&o);
	connected[i] = 1;
}

/* 1 when no message is in flight in either direction, else 0. */
static inline int queues_empty(void)
{
	for (int i = 0; i < NODES; i++)
		if (to_hub[i].head != to_hub[i].tail || to_node[i].head != to_node[i].tail)
			return 0;
	return 1;
}

/* steps random steps: writes, ticks, drops, reconnections and deliveries. */
static inline void chaos(int steps)
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
static inline int quiesce(void)
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

/* Drops what is in flight, closes the nodes and the hub and removes tmpdir; -1 when it cannot. */
static inline int harness_close(void)
{
	for (int i = 0; i < NODES; i++) {
		drop(i);
		kt_sync_release(&sy[i]);
		kt_store_close(&st[i]);
	}
	kt_hub_close(&hub);
	return rm_rf(tmpdir);
}

/* The end of main: harness_close, then the count of the tests (t.h); the exit status. */
static inline int harness_done(void)
{
	if (harness_close() != 0)
		return 1;
	T_DONE();
}

#endif
