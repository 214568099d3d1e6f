/*
 * test_readers.c - LMDB reader slots of processes killed in a read
 * transaction are freed (kt_store_reader_check, run at every open and by the
 * daemons), so interrupted reading commands cannot fill the reader table.
 */
#include "t.h"
#include "store.h"
#include "crypto.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256], dir[300];

struct count {
	pid_t pid;
	int n;
};

/* mdb_reader_list() calls this with one line per slot: "pid thread txnid". */
static int count_line(const char *msg, void *ctx)
{
	struct count *c = ctx;

	if (atol(msg) == (long)c->pid)
		c->n++;
	return 0;
}

static int slots_of(struct kt_store *st, pid_t pid)
{
	struct count c = { pid, 0 };

	mdb_reader_list(st->env, count_line, &c);
	return c.n;
}

/* A child that opens the store, begins a read and is killed holding it. */
static pid_t killed_reader(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct kt_store c;
		struct kt_err err;
		MDB_txn *txn;

		if (kt_store_open(&c, dir, &err) != 0 || kt_store_rdtxn(&c, &txn, &err) != 0)
			_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	if (pid > 0) {
		int status;

		waitpid(pid, &status, 0);
		T_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	return pid;
}

static void test_stale_slots_are_freed(void)
{
	struct kt_store st;
	struct kt_err err;
	pid_t a, b;

	T_CHECK(kt_store_open(&st, dir, &err) == 0);
	a = killed_reader();
	T_CHECK(a > 0);
	T_EQ_INT(slots_of(&st, a), 1);         /* nothing clears it by itself */
	T_EQ_INT(kt_store_reader_check(&st), 1);
	T_EQ_INT(slots_of(&st, a), 0);
	T_EQ_INT(kt_store_reader_check(&st), 0);
	for (int i = 0; i < 130; i++)          /* more than the 126 slots of the table */
		T_CHECK(killed_reader() > 0 && kt_store_reader_check(&st) == 1);
	b = killed_reader();
	kt_store_close(&st);
	T_CHECK(kt_store_open(&st, dir, &err) == 0); /* an open frees them too */
	T_EQ_INT(slots_of(&st, b), 0);
	kt_store_close(&st);
}

int main(void)
{
	struct kt_err err;
	char cmd[400];

	kt_crypto_init();
	snprintf(tmpdir, sizeof(tmpdir), "%s/kt-test-readers-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/n", tmpdir);
	if (kt_store_init(dir, "Centre", "RU", &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	T_RUN(test_stale_slots_are_freed);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	T_DONE();
}
