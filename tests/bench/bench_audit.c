/*
 * bench_audit.c - section 7 of `make bench` (see bench.c): what the audit
 * of reads adds to a read of a card (issue 15's target: at most 5 µs
 * in-process).  The same random cards are loaded N times, each in a read
 * transaction of its own as `client show` does, once bare and once with
 * the read noted for the audit (kt_cli_audit); the notes are then written
 * as audit records in one commit (kt_cli_audit_flush), whose time is
 * counted in the audited run.  Median of three rounds.
 */
#include "bench.h"
#include "cli.h"
#include "staff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_READS 20000
#define AUDIT_ROUNDS 3

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Loads n cards of ks; when audited, notes each read.  Returns ns. */
static uint64_t reads(struct kt_cli *cli, struct build *b, const uint64_t *ks, int n, int audited)
{
	uint64_t t0 = kt_mono_ns();
	struct kt_rec r;
	MDB_txn *txn;

	for (int i = 0; i < n; i++) {
		const struct kt_id *id = &b->ids[ks[i]];

		if (kt_store_rdtxn(&cli->st, &txn, NULL) != 0)
			die("audit bench: read txn");
		kt_rec_init(&r);
		if (kt_store_load(&cli->st, txn, id, &r, NULL) != 0)
			die("audit bench: load");
		kt_rec_release(&r);
		mdb_txn_abort(txn);
		if (audited)
			kt_cli_audit(cli, "show", KT_P_CARD, id);
	}
	return kt_mono_ns() - t0;
}

/* A staff account to read as, written to the store. */
static void act_as(struct kt_cli *cli)
{
	static struct kt_draft d;
	struct kt_err err;

	kt_id_new(&cli->me.id, kt_wall_ms());
	snprintf(cli->me.name, sizeof(cli->me.name), "Bench Cosmetologist");
	cli->me.role = KT_ROLE_COSMETOLOGIST;
	if (kt_staff_draft(&d, &cli->me.id, cli->me.name, "cosmetologist", "Bench", NULL, &err) ||
	    kt_store_write(&cli->st, &d, 1, NULL, &err) != 0)
		die("audit bench: staff account: %s", err.msg);
	cli->rights = kt_role_rights(KT_ROLE_COSMETOLOGIST, 0);
	cli->acting = 1;
}

void audited_reads(struct build *b, const char *label)
{
	static struct kt_cli cli;
	double added[AUDIT_ROUNDS], flush_ms[AUDIT_ROUNDS];
	uint64_t *ks = kt_calloc(AUDIT_READS, sizeof(*ks));
	int n = quick ? AUDIT_READS / 4 : AUDIT_READS;
	char key[96];

	memset(&cli, 0, sizeof(cli));
	cli.st = b->st; /* this section's alone until it hands the store back */
	cli.open = 1;
	act_as(&cli);
	for (int round = 0; round < AUDIT_ROUNDS; round++) {
		uint64_t bare, noted, t0;

		for (int i = 0; i < n; i++)
			ks[i] = rnd() % b->n;
		reads(&cli, b, ks, n, 0); /* the same pages warm for both runs */
		bare = reads(&cli, b, ks, n, 0);
		noted = reads(&cli, b, ks, n, 1);
		t0 = kt_mono_ns();
		if (kt_cli_audit_flush(&cli) != 0)
			die("audit bench: flush");
		flush_ms[round] = (double)(kt_mono_ns() - t0) / 1e6;
		noted += kt_mono_ns() - t0;
		added[round] = ((double)noted - (double)bare) / n / 1e3;
		check_interrupt();
	}
	b->st = cli.st;
	qsort(added, AUDIT_ROUNDS, sizeof(added[0]), cmp_double);
	qsort(flush_ms, AUDIT_ROUNDS, sizeof(flush_ms[0]), cmp_double);
	snprintf(key, sizeof(key), "audit_added_us_per_read_%s", label);
	fset(key, added[AUDIT_ROUNDS / 2]);
	snprintf(key, sizeof(key), "audit_flush_ms_%s", label);
	fset(key, flush_ms[AUDIT_ROUNDS / 2]);
	snprintf(key, sizeof(key), "audit_reads_%s", label);
	fset(key, n);
	snprintf(key, sizeof(key), "target_audit_ok_%s", label);
	fset_bool(key, added[AUDIT_ROUNDS / 2] <= 5.0);
	free(ks);
}
