/*
 * test_store_map.c - the node store's LMDB map: a full map grows and keeps
 * every change, and a map another process grew is adopted by this one's
 * next transaction.
 */
#include "t.h"
#include "store_harness.h"
#include "card.h"
#include "hlc.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_full_map_grows_and_keeps_everything(void)
{
	static struct kt_draft d[KT_BATCH_MAX];
	static char notes[KT_BATCH_MAX][600];
	struct kt_store st;
	struct kt_err err;
	struct kt_store_info info;
	MDB_envinfo ei;

	make_node(&st, "grow", NULL);
	/* Start from a 1 MiB map so a few batches overflow it. */
	T_EQ_INT(mdb_env_set_mapsize(st.env, 1 << 20), 0);
	for (int b = 0; b < 8; b++) {
		for (int i = 0; i < KT_BATCH_MAX; i++) {
			struct kt_id id;

			kt_id_new(&id, kt_wall_ms());
			kt_draft_start(&d[i], KT_T_CLIENT, &id, 1, NULL);
			memset(notes[i], 'a' + (i % 26), sizeof(notes[i]) - 1);
			notes[i][sizeof(notes[i]) - 1] = '\0';
			T_CHECK(kt_draft_field(&d[i], "name", "Grow Test", KT_OP_SET, &err) == 0);
			T_CHECK(kt_draft_field(&d[i], "notes", notes[i], KT_OP_SET, &err) == 0);
		}
		if (kt_store_write(&st, d, KT_BATCH_MAX, NULL, &err) != 0) {
			fprintf(stderr, "batch %d: %s\n", b, err.msg);
			T_CHECK(0);
		}
	}
	mdb_env_info(st.env, &ei);
	T_CHECK(ei.me_mapsize > (1u << 20));
	kt_store_info(&st, &info, &err);
	T_EQ_INT(info.changes, 8 * KT_BATCH_MAX);
	T_EQ_INT(info.seq, 8 * KT_BATCH_MAX);
	kt_store_close(&st);
}

/*
 * Another process (the hub daemon, a node's `run`) grows the map past what
 * this one mapped: this one's next transaction adopts the new size instead
 * of failing with MDB_MAP_RESIZED (`kt-hub status` beside a busy hub).
 */
static void test_a_map_another_process_grew_is_adopted(void)
{
	struct kt_store st;
	struct kt_err err;
	int go[2], done[2], status = 0;
	char c = 0;
	pid_t pid;

	make_node(&st, "shared", NULL);
	T_EQ_INT(pipe(go), 0);
	T_EQ_INT(pipe(done), 0);
	pid = fork();
	if (pid == 0) { /* the other process: its own environment on the same files */
		struct kt_store o;
		char dir[512], big[1 << 16];
		MDB_txn *txn;
		int rc = 1;

		kt_store_close(&st);
		snprintf(dir, sizeof(dir), "%s/shared", tmpdir);
		memset(big, 'x', sizeof(big));
		if (kt_store_open(&o, dir, &err) == 0 && read(go[0], &c, 1) == 1 &&
		    mdb_env_set_mapsize(o.env, 4 * KT_MAP_BYTES_INITIAL) == 0 &&
		    kt_txn_begin(o.env, 0, &txn) == 0) {
			rc = 0;
			for (int i = 0; rc == 0 && i < (int)(2 * KT_MAP_BYTES_INITIAL / sizeof(big)); i++) {
				char name[32];

				snprintf(name, sizeof(name), "filler:%d", i);
				rc = mdb_put(txn, o.meta, &(MDB_val){ strlen(name), name },
					     &(MDB_val){ sizeof(big), big }, 0);
			}
			rc = rc == 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
			kt_store_close(&o);
		}
		_exit(write(done[1], &c, 1) == 1 && rc == 0 ? 0 : 1);
	}
	T_CHECK(pid > 0);
	{
		MDB_txn *txn;
		MDB_envinfo ei;

		/* Mapped at 64 MiB here; the other process fills 128 MiB. */
		T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
		mdb_txn_abort(txn);
		T_EQ_INT((int)write(go[1], &c, 1), 1);
		T_EQ_INT((int)read(done[0], &c, 1), 1);
		T_EQ_INT(waitpid(pid, &status, 0), pid);
		T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		T_EQ_INT(kt_store_rdtxn(&st, &txn, &err), 0);
		mdb_txn_abort(txn);
		T_EQ_INT(kt_txn_begin(st.env, 0, &txn), 0);
		mdb_txn_abort(txn);
		mdb_env_info(st.env, &ei);
		T_CHECK(ei.me_mapsize >= 2 * KT_MAP_BYTES_INITIAL);
	}
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	kt_store_close(&st);
}

int main(void)
{
	if (tmpdir_make("store-map") != 0)
		return 1;
	T_RUN(test_full_map_grows_and_keeps_everything);
	T_RUN(test_a_map_another_process_grew_is_adopted);
	return tmpdir_done();
}
