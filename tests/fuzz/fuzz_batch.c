/*
 * fuzz_batch.c - libFuzzer target for a node's apply of a pulled batch
 * (kt_sync_handle on a BATCH: the push checks, kt_store_ingest_batch, the
 * merge rules), on real stores under /dev/shm when there is one.
 *
 * Random bytes would stop at the signature check, so the input drives an
 * origin node instead: byte 0 picks what the origin writes (a card, an
 * edit, an allergy, a visit), the next 8 bytes its text, and each later
 * pair (position, mask) flips bits of the change's bytes.  The flipped
 * change is signed by the origin, as a tampered node would, and delivered
 * as a BATCH; then the change as written, so the node keeps up and the next
 * input goes deeper.  State carries over from one input to the next.
 */
#include "sync.h"
#include "card.h"
#include "store_int.h"
#include "hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sodium.h>
#include "scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);


static struct kt_store origin, node;
static struct kt_sync sy;
static uint8_t opk[32], osk[64];
static struct kt_id cards[16];
static int ncards;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char base[256], d[300], path[400], key[80];
	char cpk[41], csk[41];
	struct kt_err err;
	FILE *f;

	(void)argc;
	(void)argv;
	kt_crypto_init();
	scratch_dir("batch", base, sizeof(base));
	snprintf(d, sizeof(d), "%s/o", base);
	if (kt_store_init(d, "Origin", "RU", &err) != 0 || kt_store_open(&origin, d, &err) != 0 ||
	    kt_identity_read(d, "node.key", opk, osk, cpk, csk, &err) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/chain.key", d);
	if ((f = fopen(path, "r")) == NULL || fgets(key, sizeof(key), f) == NULL)
		abort();
	fclose(f);
	snprintf(d, sizeof(d), "%s/n", base);
	snprintf(path, sizeof(path), "%s/n/chain.key", base);
	if (kt_store_init(d, "Node", "RU", &err) != 0 || unlink(path) != 0 ||
	    kt_secret_write(path, key, &err) != 0 || kt_store_open(&node, d, &err) != 0 ||
	    kt_sync_init(&sy, &node, &err) != 0)
		abort();
	mdb_env_set_flags(origin.env, MDB_NOSYNC, 1);
	mdb_env_set_flags(node.env, MDB_NOSYNC, 1);
	return 0;
}

static void write_one(const uint8_t *data, size_t size)
{
	static struct kt_draft dr;
	char text[16] = "Имя";
	struct kt_err err;
	struct kt_id v;
	int k = size > 0 ? data[0] % 4 : 0;

	for (size_t i = 0; i < 8 && i + 1 < size; i++)
		text[3 + i] = (char)('a' + data[1 + i] % 26);
	text[11] = '\0';
	if (ncards == 0 || (k == 0 && ncards < 16)) {
		kt_id_new(&cards[ncards], kt_wall_ms());
		kt_draft_start(&dr, KT_T_CLIENT, &cards[ncards], 1, NULL);
		kt_draft_field(&dr, "name", text, KT_OP_SET, &err);
		if (kt_store_write(&origin, &dr, 1, NULL, &err) == 0)
			ncards++;
		return;
	}
	if (k == 3) {
		kt_id_new(&v, kt_wall_ms());
		kt_draft_start(&dr, KT_T_VISIT, &v, 1, &cards[data[1 % size] % ncards]);
		kt_draft_field(&dr, "services", text, KT_OP_SET, &err);
	} else {
		kt_draft_start(&dr, KT_T_CLIENT, &cards[data[1 % size] % ncards], 0, NULL);
		kt_draft_field(&dr, k == 1 ? "notes" : "allergies", text,
			       k == 1 ? KT_OP_SET : KT_OP_ADD, &err);
	}
	kt_store_write(&origin, &dr, 1, NULL, &err);
}

/* Delivers change ch, signed by the origin, as the BATCH after the node's cursor. */
static void deliver(const uint8_t *ch, size_t n)
{
	uint8_t sig[KT_SIG_BYTES], in[KT_SIG_INPUT_BYTES], hash[KT_HASH_BYTES];
	struct kt_bytes b = { ch, (uint32_t)n };
	struct kt_msg_push p = { .origin = origin.node_id, .sig = sig, .key = opk,
				 .branch = "Origin", .branch_len = 6, .nchanges = 1, .changes = &b };
	struct kt_change *c = &origin.w_change;
	struct kt_sync_out out;
	struct kt_err err;
	msgpack_sbuffer m;
	uint64_t seq = kt_change_decode(c, ch, n, NULL) == 0 ? c->seq : origin.w_seq;

	kt_hash(hash, ch, n);
	kt_msg_sig_input(in, origin.node_id, seq, hash);
	crypto_sign_detached(sig, NULL, in, sizeof(in), osk);
	msgpack_sbuffer_init(&m);
	kt_msg_batch(&m, sy.cursor + 1, sy.cursor + 1, sy.cursor + 1, &p, 1, 0);
	kt_sync_out_init(&out);
	sy.ready = 1;
	kt_sync_handle(&sy, (uint8_t *)m.data, m.size, kt_wall_ms(), &out, &err);
	kt_sync_out_release(&out);
	msgpack_sbuffer_destroy(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t lk[8], *copy;
	MDB_val k = { 8, lk }, v;
	MDB_txn *txn;

	write_one(data, size);
	if (kt_store_rdtxn(&origin, &txn, NULL) != 0)
		return 0;
	kt_be64_put(lk, origin.w_logpos);
	if (mdb_get(txn, origin.log, &k, &v) != 0) {
		mdb_txn_abort(txn);
		return 0;
	}
	copy = malloc(v.mv_size);
	memcpy(copy, v.mv_data, v.mv_size);
	for (size_t i = 9; i + 1 < size; i += 2)
		copy[data[i] % v.mv_size] ^= data[i + 1];
	if (size > 10)
		deliver(copy, v.mv_size);   /* the flipped change, signed */
	deliver(v.mv_data, v.mv_size);      /* the change as written: refused if the flip was taken */
	free(copy);
	mdb_txn_abort(txn);
	return 0;
}
