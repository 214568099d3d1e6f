/*
 * test_sim.c - the deterministic simulation of a chain (issue 12).
 *
 * One schedule: a hub, three honest nodes and a tampered one, all real
 * stores (LMDB in a folder under TMPDIR, /dev/shm when there is one) and
 * the real state machines (hub.c, sync.c), talking over in-memory queues.
 * From one seed: edits, allergies, visits, merges, unmerges, ticks and
 * deliveries in a random order, with dropped, duplicated and reordered
 * messages, partitions (a connection lost and made again), crashes (a
 * node's store, or the hub's, closed and opened again mid-schedule), clock
 * jumps of hours either way, the tampered node sealing a flipped
 * payload now and then, and a bit flipping in what the hub stores: a
 * change, a push record (origin, first hub seq, signature) or an entry of
 * the hash chain (the push is then sent withheld, mended from the log, or
 * sent or signed again by its origin; KT_SIM_FLIPS sets how often, in 1000
 * steps).
 * Then the hub's store is checked as `kt-hub verify` does, everyone
 * reconnects and talks until idle, and the invariants must hold:
 *   - the exchange settles (every node idle: everything pushed and pulled);
 *   - every replica holds every origin's chain up to that origin's own seq,
 *     so no write that returned is lost;
 *   - the honest nodes' digests are equal, and the hub's too when nothing
 *     was tampered with (the hub, holding no key, cannot see a seal that does
 *     not open: PROTOCOL.md, "Void change");
 *   - every honest node keeps each tampered change void, and no other;
 *   - no node lacks a withheld push, and the hub holds no damaged one: each
 *     origin sent its damaged changes again.
 * KT_SIM_SCHEDULES schedules run (default 10,000: make test); make faults
 * runs many more.  A failing schedule prints its seed; KT_SIM_SEED=<seed>
 * KT_SIM_SCHEDULES=1 replays exactly that schedule.
 */
#include "t.h"
#include "hub.h"
#include "sync.h"
#include "hlc.h"
#include "store_int.h"
#include "card.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#define NODES 4
#define ROGUE 3          /* the tampered node */
#define QMAX 1024
#define CARDS_MAX 32
#include "queue.h"

static char base[256], dir[300];
static struct kt_hub hub;
static struct kt_store st[NODES];
static struct kt_sync sy[NODES];

/* kt_sync_invariants after a step of machine y (sync.h): it must hold, whatever the step met. */
#define T_INVARIANTS(y) do { char t_why_[160]; int t_r_ = kt_sync_invariants((y), t_why_, 160); \
	if (t_r_ != 0) fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, t_why_); \
	T_EQ_INT(t_r_, 0); } while (0)

static uint8_t keys[NODES][KT_PUBKEY_BYTES];
static struct queue to_hub[NODES], to_node[NODES];
static int connected[NODES];
static uint64_t now_ms, rs, written[NODES];
static int64_t skew[NODES];
static struct kt_id cards[CARDS_MAX];
static int ncards, tampered, lost_writes, hub_flips;
static long flipped_schedules; /* schedules in which the hub's store was damaged */

static uint32_t rnd(uint32_t n) { return q_rnd(&rs, n); }

/* Each node's wall clock: the simulated time, off by its skew. */
static uint64_t clock0(void) { return now_ms + (uint64_t)skew[0]; }
static uint64_t clock1(void) { return now_ms + (uint64_t)skew[1]; }
static uint64_t clock2(void) { return now_ms + (uint64_t)skew[2]; }
static uint64_t clock3(void) { return now_ms + (uint64_t)skew[3]; }
static uint64_t (*const clocks[NODES])(void) = { clock0, clock1, clock2, clock3 };

/* A full queue loses the message, as a dropped one. */
static void put(struct queue *q, const void *p, size_t n) { (void)q_put(q, p, n); }

static void node_sends(int i, struct kt_sync_out *o)
{
	for (uint32_t k = 0; k < o->n; k++)
		if (connected[i])
			put(&to_hub[i], o->msg[k].data, o->msg[k].size);
}

/* Delivers the oldest message of one queue, maybe dropped, duplicated or swapped. */
static void deliver(int i, int to_the_hub, int faults)
{
	struct queue *q = to_the_hub ? &to_hub[i] : &to_node[i];
	struct qmsg m;
	struct kt_err err;
	int times = 1, f = faults ? (int)rnd(100) : 99;

	if (q->head == q->tail)
		return;
	if (f < 2 && q->tail - q->head >= 2) { /* reordered: the next one first */
		struct qmsg t = q->m[q->head % QMAX];

		q->m[q->head % QMAX] = q->m[(q->head + 1) % QMAX];
		q->m[(q->head + 1) % QMAX] = t;
	}
	m = q->m[q->head++ % QMAX];
	if (f >= 2 && f < 5)
		times = 0; /* dropped */
	else if (f >= 5 && f < 8)
		times = 2; /* duplicated */
	for (int t = 0; t < times; t++) {
		if (to_the_hub) {
			struct kt_hub_out o;

			kt_hub_out_init(&o);
			kt_hub_handle(&hub, keys[i], m.p, m.n, now_ms, &o, &err);
			if (o.note[0] && getenv("KT_SIM_VERBOSE") && atoi(getenv("KT_SIM_VERBOSE")) > 1)
				fprintf(stderr, "hub, from node %d: %s\n", i, o.note);
			for (uint32_t k = 0; k < o.n; k++)
				for (int j = 0; j < NODES; j++)
					if (o.m[k].to_all ? connected[j] : j == i)
						put(&to_node[j], o.m[k].msg.data, o.m[k].msg.size);
			kt_hub_out_release(&o);
		} else {
			struct kt_sync_out o;

			kt_sync_out_init(&o);
			int rc = kt_sync_handle(&sy[i], m.p, m.n, now_ms, &o, &err);

			if (rc != 0 && getenv("KT_SIM_VERBOSE") && atoi(getenv("KT_SIM_VERBOSE")) > 1)
				fprintf(stderr, "node %d: %s\n", i, err.msg);
			T_CHECK(rc != KT_SYNC_EBROKEN);
			T_INVARIANTS(&sy[i]);
			node_sends(i, &o);
			kt_sync_out_release(&o);
		}
	}
	free(m.p);
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

static void reconnect(int i)
{
	struct kt_sync_out o;

	q_clear(&to_hub[i]);
	q_clear(&to_node[i]);
	connected[i] = 1;
	kt_sync_out_init(&o);
	kt_sync_connect(&sy[i], now_ms, &o);
	T_INVARIANTS(&sy[i]);
	node_sends(i, &o);
	kt_sync_out_release(&o);
}

static void partition(int i)
{
	q_clear(&to_hub[i]);
	q_clear(&to_node[i]);
	connected[i] = 0;
}

static int open_node(int i)
{
	struct kt_err err;
	char d[400];

	snprintf(d, sizeof(d), "%s/n%d", dir, i);
	if (kt_store_open(&st[i], d, &err) != 0 || kt_sync_init(&sy[i], &st[i], &err) != 0) {
		fprintf(stderr, "open node %d: %s\n", i, err.msg);
		return -1;
	}
	st[i].clock = clocks[i];
	mdb_env_set_flags(st[i].env, MDB_NOSYNC, 1); /* a crash here is a close: no fsync needed */
	return 0;
}

/* A node's process dies mid-schedule: what it had in flight is gone, its store stays. */
static void crash_node(int i)
{
	partition(i);
	kt_sync_release(&sy[i]);
	kt_store_close(&st[i]);
	T_EQ_INT(open_node(i), 0);
}

/* What `kt-hub run` does at start, and `kt-hub verify`: damage found is marked to be sent again. */
static void hub_check(void)
{
	struct kt_err err;
	uint64_t pushes;

	kt_hub_mend_pushes(&hub, &err);
	kt_hub_verify(&hub, &pushes, NULL, NULL, &err);
}

static void crash_hub(void)
{
	struct kt_err err;
	char d[400];

	for (int i = 0; i < NODES; i++)
		partition(i);
	kt_hub_close(&hub);
	snprintf(d, sizeof(d), "%s/hub", dir);
	T_EQ_INT(kt_hub_open(&hub, d, &err), 0);
	mdb_env_set_flags(hub.st.env, MDB_NOSYNC, 1);
	hub_check();
}

static struct kt_err err;

static int setup(void)
{
	char d[400], key[80] = "", path[500];
	uint8_t sk[64];
	char cpk[41], csk[41];
	FILE *f;

	snprintf(d, sizeof(d), "%s/hub", dir);
	if (mkdir(dir, 0700) != 0 || kt_hub_init(d, "tcp://127.0.0.1:1", &err) != 0 ||
	    kt_hub_open(&hub, d, &err) != 0)
		return -1;
	mdb_env_set_flags(hub.st.env, MDB_NOSYNC, 1);
	for (int i = 0; i < NODES; i++) {
		snprintf(d, sizeof(d), "%s/n%d", dir, i);
		if (kt_store_init(d, i == ROGUE ? "Rogue" : "Branch", "RU", &err) != 0)
			return -1;
		snprintf(path, sizeof(path), "%s/chain.key", d);
		if (i == 0 && ((f = fopen(path, "r")) == NULL || fgets(key, sizeof(key), f) == NULL))
			return -1;
		if (i == 0)
			fclose(f);
		else if (unlink(path) != 0 || kt_secret_write(path, key, &err) != 0)
			return -1; /* one chain: node 0's key */
		if (open_node(i) != 0 ||
		    kt_identity_read(d, "node.key", keys[i], sk, cpk, csk, &err) != 0 ||
		    kt_hub_enroll(&hub, i == ROGUE ? "Rogue" : "Branch", keys[i], &err) != 0)
			return -1;
		skew[i] = 0;
		written[i] = 0;
		connected[i] = 0;
	}
	ncards = tampered = lost_writes = hub_flips = 0;
	return 0;
}

static void teardown(void)
{
	char cmd[400];

	for (int i = 0; i < NODES; i++) {
		q_clear(&to_hub[i]);
		q_clear(&to_node[i]);
		kt_sync_release(&sy[i]);
		kt_store_close(&st[i]);
	}
	kt_hub_close(&hub);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* Whether node i holds card c. */
static int holds(int i, const struct kt_id *c)
{
	MDB_txn *txn;
	int yes;

	if (kt_store_rdtxn(&st[i], &txn, NULL) != 0)
		return 0;
	yes = kt_store_is_client(&st[i], txn, c);
	mdb_txn_abort(txn);
	return yes;
}

/* The tampered node's last change gets a flipped payload byte, chained as written. */
static void tamper(void)
{
	struct kt_store *s = &st[ROGUE];
	uint8_t lk[8], hash[KT_HASH_BYTES], *copy;
	uint64_t pos = s->w_logpos;
	MDB_val k = { 8, lk }, v;
	struct kt_change *c = &s->w_change;
	MDB_txn *txn;
	struct kt_err err;

	if (kt_store_wbegin(s, &txn, &err) != 0)
		return;
	pos = s->w_logpos;
	kt_be64_put(lk, pos);
	if (pos == 0 || mdb_get(txn, s->log, &k, &v) != 0 ||
	    kt_change_decode(c, v.mv_data, v.mv_size, NULL) != 0 || c->origin != s->node_id ||
	    c->seq <= sy[ROGUE].acked || c->seq != s->w_seq ||
	    (c->nops > 0 && c->ops[0].kind == KT_OP_KEY) || c->payload_len < 24 + 17) {
		mdb_txn_abort(txn); /* only an unsent, ordinary edit of its own */
		return;
	}
	copy = kt_malloc(v.mv_size);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size - 3] ^= 0x40;
	kt_hash(hash, copy, v.mv_size);
	v.mv_data = copy;
	if (mdb_put(txn, s->log, &k, &v, 0) == 0 &&
	    kt_chain_put(s, txn, s->node_id, c->seq, hash, pos, &err) == 0 &&
	    mdb_txn_commit(txn) == 0)
		tampered++;
	else
		mdb_txn_abort(txn);
	free(copy);
}

/*
 * A write wins over the version it replaced, whatever the clocks say: right
 * after node i set the field, the field's winning version is its own.
 */
/* The version of node i's last change: (hlc, origin) of its log's last entry. */
static struct kt_version last_version(int i, MDB_txn *txn)
{
	struct kt_version v = { 0, 0 };
	uint8_t lk[8];
	MDB_val k = { 8, lk }, val;

	kt_be64_put(lk, st[i].w_logpos);
	if (mdb_get(txn, st[i].log, &k, &val) == 0 &&
	    kt_change_decode(&st[i].w_change, val.mv_data, val.mv_size, NULL) == 0) {
		v.hlc = st[i].w_change.hlc;
		v.origin = st[i].w_change.origin;
	}
	return v;
}

static void wins(int i, const struct kt_id *id, uint16_t field)
{
	struct kt_version mine;
	struct kt_rec r;
	MDB_txn *txn;

	kt_rec_init(&r);
	if (kt_store_rdtxn(&st[i], &txn, NULL) == 0) {
		mine = last_version(i, txn);
		if (kt_store_load(&st[i], txn, id, &r, NULL) == 0)
			for (uint32_t f = 0; f < r.nfields; f++)
				if (r.fields[f].field == field &&
				    kt_version_cmp(&r.fields[f].ver, &mine) != 0)
					lost_writes++;
		mdb_txn_abort(txn);
	}
	kt_rec_release(&r);
}

static void alias_wins(int i, const struct kt_id *card)
{
	struct kt_version ver = { 0, 0 }, mine;
	struct kt_id to;
	MDB_txn *txn;

	if (kt_store_rdtxn(&st[i], &txn, NULL) != 0)
		return;
	kt_store_alias_reg(&st[i], txn, card, &to, &ver);
	mine = last_version(i, txn);
	if (!kt_id_is_zero(&to) && kt_version_cmp(&ver, &mine) != 0)
		lost_writes++;
	mdb_txn_abort(txn);
}

/*
 * Every card shows under one that stands (merges, cycles of merges made at
 * branches at once included), the same one at every honest node.
 */
static int same_cards(void)
{
	for (int c = 0; c < ncards; c++) {
		struct kt_id root[ROGUE], to;

		for (int i = 0; i < ROGUE; i++) {
			MDB_txn *txn;

			if (kt_store_rdtxn(&st[i], &txn, NULL) != 0)
				return 0;
			kt_store_alias_root(&st[i], txn, &cards[c], &root[i]);
			if (kt_store_alias_of(&st[i], txn, &root[i], &to)) {
				mdb_txn_abort(txn);
				return 0; /* its root is merged: she would vanish */
			}
			mdb_txn_abort(txn);
			if (i > 0 && kt_id_cmp(&root[i], &root[0]) != 0)
				return 0;
		}
	}
	return 1;
}

/* One random local write at node i; a new card, an edit, an allergy, a visit, a merge. */
static void local_write(int i)
{
	static struct kt_draft d;
	struct kt_err err;
	struct kt_id id, other;
	char text[64];
	int k = (int)rnd(10);

	if (ncards == 0 || (k == 0 && ncards < CARDS_MAX)) {
		kt_id_new(&cards[ncards], now_ms + rnd(1000));
		kt_draft_start(&d, KT_T_CLIENT, &cards[ncards], 1, NULL);
		snprintf(text, sizeof(text), "Клиентка %d", ncards);
		kt_draft_field(&d, "name", text, KT_OP_SET, &err);
		if (kt_store_write(&st[i], &d, 1, NULL, &err) == 0) {
			ncards++;
			written[i] = st[i].w_seq;
		}
		return;
	}
	/* Edits meet on a few cards, so writes of one field at two branches are common. */
	id = cards[rnd(k <= 3 && ncards > 3 && rnd(2) ? 3 : (uint32_t)ncards)];
	other = cards[rnd((uint32_t)ncards)];
	if (!holds(i, &id))
		return;
	if (k <= 3) {
		kt_draft_start(&d, KT_T_CLIENT, &id, 0, NULL);
		snprintf(text, sizeof(text), "note %u", rnd(1000));
		kt_draft_field(&d, rnd(2) ? "notes" : "skin_type", rnd(2) ? text : "dry", KT_OP_SET,
			       &err);
	} else if (k <= 5) {
		kt_draft_start(&d, KT_T_CLIENT, &id, 0, NULL);
		kt_draft_field(&d, "allergies", rnd(2) ? "латекс" : "орехи", KT_OP_ADD, &err);
	} else if (k <= 7) {
		struct kt_id v;

		kt_id_new(&v, now_ms + rnd(1000));
		kt_draft_start(&d, KT_T_VISIT, &v, 1, &id);
		kt_draft_field(&d, "services", "Чистка лица", KT_OP_SET, &err);
		kt_draft_field(&d, "date", "2026-11-20", KT_OP_SET, &err);
	} else {
		/* a merge of other into id (or an unmerge), as client merge writes it */
		static const uint8_t none[KT_ID_BYTES];

		if (kt_id_cmp(&id, &other) == 0 || !holds(i, &other))
			return;
		kt_draft_start(&d, KT_T_CLIENT, &other, 0, NULL);
		memset(&d.ops[0], 0, sizeof(d.ops[0]));
		d.ops[0].field = KT_F_ALIAS;
		d.ops[0].kind = KT_OP_ALIAS;
		d.ops[0].arg = k == 8 ? id.b : none;
		d.ops[0].arg_len = KT_ID_BYTES;
		d.nops = 1;
	}
	if (kt_store_write(&st[i], &d, 1, NULL, &err) == 0) {
		written[i] = st[i].w_seq;
		if (k <= 3)
			wins(i, &id, d.ops[0].field);
		else if (k >= 8)
			alias_wins(i, &other);
		if (i == ROGUE && k <= 3 && rnd(4) == 0)
			tamper();
	}
}

/*
 * A failing disk at the hub: one bit flips in what the hub stores, unseen by
 * it -- a change (half the time), a push record (origin, first hub seq or
 * signature) or an entry of the hash chain.  The push is then sent
 * withheld, mended from the log, or sent or signed again by its origin.
 */
static void hub_flip(void)
{
	uint64_t head = kt_hub_head(&hub);
	int what = (int)rnd(8); /* 0-3 a change, 4-5 a push record, 6-7 a chain entry */
	MDB_dbi dbi = what >= 6 ? hub.st.chain : what >= 4 ? hub.st.pushes : hub.st.log;
	uint8_t key[16], *copy;
	MDB_val k, v;
	MDB_cursor *cur;
	MDB_txn *txn;

	if (head == 0 || mdb_txn_begin(hub.st.env, NULL, 0, &txn) != 0)
		return;
	/* A chain entry of any origin and seq, else what covers a random hub seq. */
	if (what >= 6)
		for (int b = 0; b < 16; b++)
			key[b] = (uint8_t)rnd(256);
	else
		kt_be64_put(key, 1 + rnd((uint32_t)head));
	k = (MDB_val){ what >= 6 ? 16 : 8, key };
	if (mdb_cursor_open(txn, dbi, &cur) != 0 ||
	    (mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) != 0 &&
	     mdb_cursor_get(cur, &k, &v, MDB_FIRST) != 0) || k.mv_size > sizeof(key))
		v.mv_size = 0;
	else
		memcpy(key, k.mv_data, k.mv_size);
	k.mv_data = key;
	mdb_cursor_close(cur);
	if (v.mv_size > 0) {
		copy = malloc(v.mv_size);
		memcpy(copy, v.mv_data, v.mv_size);
		copy[rnd((uint32_t)v.mv_size)] ^= (uint8_t)(1u << rnd(8));
		if (mdb_put(txn, dbi, &k, &(MDB_val){ v.mv_size, copy }, 0) == 0)
			hub_flips++;
		free(copy);
	}
	mdb_txn_commit(txn);
}

static int flip_rate = 2; /* in 1000 steps; KT_SIM_FLIPS */

static void step(void)
{
	int i = (int)rnd(NODES), a = (int)rnd(1000);

	now_ms += rnd(60);
	if (a < 150)
		local_write(i);
	else if (a < 230)
		tick(i);
	else if (a < 240 && connected[i])
		partition(i);
	else if (a < 330 && !connected[i])
		reconnect(i);
	else if (a < 335)
		crash_node(i);
	else if (a < 337)
		crash_hub();
	else if (a < 355) { /* the PC's clock jumps, and it writes before its next sync */
		skew[i] = rnd(2) ? (int64_t)rnd(3 * 3600) * 1000 : -(int64_t)rnd(3 * 3600) * 1000;
		local_write(i);
	} else if (a < 357)
		now_ms += KT_SYNC_RESEND_MS + rnd(3000); /* a pause: requests go unanswered */
	else if (a < 357 + flip_rate)
		hub_flip();
	else if (connected[i])
		deliver(i, (int)rnd(2), 1);
}

static int queues_empty(void)
{
	for (int i = 0; i < NODES; i++)
		if (to_hub[i].head != to_hub[i].tail || to_node[i].head != to_node[i].tail)
			return 0;
	return 1;
}

/*
 * Everyone reconnects and talks, without faults, until nothing is left
 * (bounded); a node still holding withheld changes waits for its next
 * REFETCH, at most a few times.
 */
static int quiesce(void)
{
	int waits = 0;

	for (int i = 0; i < NODES; i++)
		reconnect(i);
	for (int round = 0; round < 100000; round++) {
		int idle = 1, holes = 0;

		if (!queues_empty()) {
			deliver((int)rnd(NODES), (int)rnd(2), 0);
			continue;
		}
		now_ms += 100;
		for (int i = 0; i < NODES; i++) {
			tick(i);
			idle &= kt_sync_idle(&sy[i]);
			holes += kt_store_holes(&st[i], 0, NULL, NULL) > 0;
		}
		if (idle && queues_empty() && (holes == 0 || waits++ >= 4))
			return 1;
		if (idle && queues_empty())
			now_ms += KT_SYNC_REFETCH_MS;
	}
	if (getenv("KT_SIM_VERBOSE"))
		for (int i = 0; i < NODES; i++)
			fprintf(stderr, "node %d: ready %d pulling %d refetching %d pushed %llu acked "
				"%llu own %llu cursor %llu head %llu\n", i, sy[i].ready, sy[i].pulling,
				sy[i].refetching, (unsigned long long)sy[i].pushed,
				(unsigned long long)sy[i].acked,
				(unsigned long long)kt_sync_local_seq(&sy[i]),
				(unsigned long long)sy[i].cursor, (unsigned long long)sy[i].head);
	return 0;
}

static uint64_t head_of(int i, uint64_t origin)
{
	uint8_t hash[KT_HASH_BYTES];
	uint64_t seq = 0, pos;
	MDB_txn *txn;

	if (kt_store_rdtxn(&st[i], &txn, NULL) != 0)
		return 0;
	kt_store_origin_head(&st[i], txn, origin, &seq, hash, &pos);
	mdb_txn_abort(txn);
	return seq;
}

static void hole_say(void *ctx, const struct kt_hole *h)
{
	(void)ctx;
	fprintf(stderr, "  withheld: origin %016llx seqs %llu-%llu at hub seq %llu\n",
		(unsigned long long)h->origin, (unsigned long long)h->first,
		(unsigned long long)h->last, (unsigned long long)h->hub_at);
}

static void damage_say(void *ctx, uint64_t first, uint64_t last, uint64_t origin, uint64_t seq,
		       const char *what)
{
	(void)ctx;
	fprintf(stderr, "  damaged: hub seqs %llu-%llu, origin %016llx change %llu: %s\n",
		(unsigned long long)first, (unsigned long long)last, (unsigned long long)origin,
		(unsigned long long)seq, what);
}

static uint64_t hub_damaged_at(uint64_t origin)
{
	MDB_txn *txn;
	uint64_t d = 0;

	if (kt_store_rdtxn(&hub.st, &txn, NULL) == 0) {
		d = kt_hub_damaged(&hub, txn, origin);
		mdb_txn_abort(txn);
	}
	return d;
}

/* One schedule; returns 0 when every invariant holds, else says which did not. */
static int schedule(uint64_t seed, int steps)
{
	uint8_t dh[KT_HASH_BYTES], dn[KT_HASH_BYTES], d0[KT_HASH_BYTES];
	uint64_t own[NODES];
	const char *why = NULL;

	rs = seed * 2654435761u + 1;
	now_ms = 1790000000000ull;
	if (setup() != 0)
		return fprintf(stderr, "seed %llu: cannot set up: %s\n", (unsigned long long)seed,
			       err.msg), -1;
	for (int s = 0; s < steps; s++)
		step();
	for (int i = 0; i < NODES; i++)
		skew[i] = 0; /* the clocks right again, as NTP would */
	if (hub_flips > 0)
		hub_check(); /* the IT person runs kt-hub verify: the origins are asked again */
	if (!quiesce()) {
		why = "the exchange did not settle";
		if (getenv("KT_SIM_VERBOSE")) {
			uint64_t pushes;

			fprintf(stderr, "hub verify: %d\n",
				kt_hub_verify(&hub, &pushes, damage_say, NULL, &err));
		}
	}
	for (int j = 0; j < NODES; j++)
		own[j] = head_of(j, st[j].node_id);
	for (int i = 0; why == NULL && i < NODES; i++)
		for (int j = 0; why == NULL && j < NODES; j++)
			if (head_of(i, st[j].node_id) != own[j] || own[j] < written[j]) {
				why = "a replica lacks changes an origin wrote";
				if (getenv("KT_SIM_VERBOSE"))
					fprintf(stderr, "node %d holds %llu of origin %d, which wrote "
						"%llu (%llu returned)\n", i,
						(unsigned long long)head_of(i, st[j].node_id), j,
						(unsigned long long)own[j],
						(unsigned long long)written[j]);
			}
	if (why == NULL && (kt_store_digest(&st[0], d0, &err) != 0 ||
			    kt_hub_digest(&hub, dh, &err) != 0))
		why = "no digest";
	for (int i = 1; why == NULL && i < ROGUE; i++)
		if (kt_store_digest(&st[i], dn, &err) != 0 || memcmp(d0, dn, sizeof(dn)) != 0) {
			why = "the honest nodes' digests differ";
			if (getenv("KT_SIM_VERBOSE"))
				for (int j = 0; j < NODES; j++)
					fprintf(stderr, "node %d (%016llx): %ld void, %ld withheld, "
						"hub damaged at %llu; hub flips %d\n", j,
						(unsigned long long)st[j].node_id,
						kt_store_voids(&st[j], 0, NULL, NULL),
						kt_store_holes(&st[j], 0, hole_say, NULL),
						(unsigned long long)hub_damaged_at(st[j].node_id),
						hub_flips);
		}
	if (why == NULL && tampered == 0 && memcmp(d0, dh, sizeof(dh)) != 0)
		why = "the hub's digest differs from the nodes'";
	if (why == NULL && lost_writes > 0)
		why = "a write lost to the version it replaced";
	if (why == NULL && !same_cards())
		why = "a card does not show under the same standing card everywhere";
	for (int i = 0; why == NULL && i < ROGUE; i++)
		if (kt_store_voids(&st[i], 0, NULL, NULL) != tampered)
			why = "the void changes differ from the tampered ones";
	flipped_schedules += hub_flips > 0;
	for (int i = 0; why == NULL && i < NODES; i++)
		if (kt_store_holes(&st[i], 0, NULL, NULL) != 0)
			why = "a node still lacks a withheld push its origin sent again";
	if (why == NULL && hub_flips > 0) {
		uint64_t pushes;
		int bad = kt_hub_verify(&hub, &pushes, NULL, NULL, &err);

		if (bad != 0 && getenv("KT_SIM_VERBOSE"))
			kt_hub_verify(&hub, &pushes, damage_say, NULL, &err);
		if (bad != 0)
			why = bad > 0 ? "the hub still holds a damaged push its origin sent again" :
			      "the hub's store cannot be verified";
	}
	teardown();
	if (why != NULL)
		fprintf(stderr, "seed %llu: %s: replay with KT_SIM_SEED=%llu KT_SIM_SCHEDULES=1\n",
			(unsigned long long)seed, why, (unsigned long long)seed);
	return why != NULL ? -1 : tampered;
}

static void test_schedules(void)
{
	uint64_t first = getenv("KT_SIM_SEED") ? strtoull(getenv("KT_SIM_SEED"), NULL, 10)
					       : kt_wall_ms() % 1000000000ull;
	long n = getenv("KT_SIM_SCHEDULES") ? strtol(getenv("KT_SIM_SCHEDULES"), NULL, 10) : 10000;
	int steps = getenv("KT_SIM_STEPS") ? atoi(getenv("KT_SIM_STEPS")) : 80;

	if (getenv("KT_SIM_FLIPS"))
		flip_rate = atoi(getenv("KT_SIM_FLIPS"));
	long failed = 0, with_damage = 0;
	uint64_t t0 = kt_mono_ns();

	for (long k = 0; k < n && failed < 5; k++) {
		int rc = schedule(first + (uint64_t)k, steps);

		failed += rc < 0;
		with_damage += rc > 0;
	}
	fprintf(stderr, "# %ld schedules of %d steps from seed %llu in %.1f s: %ld failed, %ld "
		"with tampered changes, %ld with a damaged hub store\n", n, steps,
		(unsigned long long)first, (double)(kt_mono_ns() - t0) / 1e9, failed, with_damage,
		flipped_schedules);
	T_EQ_INT(failed, 0);
	T_CHECK(n < 100 || with_damage > 0); /* the tampered node did tamper */
	T_CHECK(n < 100 || flipped_schedules > 0); /* and the hub's disk failed */
}

int main(void)
{
	const char *tmp = getenv("KT_SIM_DIR") ? getenv("KT_SIM_DIR") :
			  access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	kt_crypto_init();
	snprintf(base, sizeof(base), "%s/kt-sim-XXXXXX", tmp);
	if (mkdtemp(base) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/s", base);
	T_RUN(test_schedules);
	rmdir(base);
	T_DONE();
}
