/* hub_cli.c - helpers kt-hub's command files share (see hub_cli.h). */
#include "hub_cli.h"
#include "hub_store.h"

#include <stdio.h>
#include <string.h>

struct kt_opts *kt_hub_cli_parse(struct kt_hub_cli *cli, const char *cmd, const char *usage,
				 const struct kt_opt *tab, int argc, char **argv)
{
	kt_opts_start(&cli->opts, cmd, usage, tab, argc, argv);
	return &cli->opts;
}

const char *kt_hub_cli_parsed(struct kt_hub_cli *cli, int c, int *rc)
{
	*rc = kt_opts_exit(c);
	if (c != KT_OPTS_END || kt_opts_args(&cli->opts, 0, 0, NULL))
		return NULL;
	if (cli->dir == NULL) {
		kt_cli_failf("no data folder: use -d DIR");
		return NULL;
	}
	return cli->dir;
}

const char *kt_hub_cli_parse_plain(struct kt_hub_cli *cli, const char *cmd, const char *usage,
				   int *json, int argc, char **argv, int *rc)
{
	static const struct kt_opt json_only[] = {
		KT_CLI_JSON_OPT,
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_hub_cli_parse(cli, cmd, usage, json ? json_only : NULL, argc,
					     argv);
	int c;

	while ((c = kt_opts_next(o)) >= 0)
		if (c == KT_CLI_JSON)
			*json = 1;
	return kt_hub_cli_parsed(cli, c, rc);
}

int kt_hub_cli_open_reading(const char *dir, struct kt_hub *h, MDB_txn **txn, int merged)
{
	struct kt_err err;

	if (kt_hub_open(h, dir, &err) != 0)
		return kt_cli_failf("%s", err.msg);
	if (merged && kt_hub_catch_up(h, &err) != 0) {
		kt_hub_close(h);
		return kt_cli_failf("%s", err.msg);
	}
	if (kt_store_rdtxn(&h->st, txn, &err) != 0) {
		kt_hub_close(h);
		return kt_cli_failf("%s", err.msg);
	}
	return 0;
}

void kt_hub_cli_close_reading(struct kt_hub *h, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	kt_hub_close(h);
}

int kt_hub_cli_structure_whole(const char *dir, const char *cmd)
{
	char msg[300];
	int rc = kt_store_walk(dir, msg, sizeof(msg));

	if (rc == 0)
		return 0;
	if (rc < 0)
		return kt_cli_failf("%s: %s", cmd, msg);
	return kt_cli_failf("%s: the hub's store in %s is damaged: %s; restore the hub from its "
			    "backup (kt-hub backup; README, \"The hub's backup\")", cmd, dir, msg);
}

void kt_hub_cli_listen(struct kt_hub *h, char *out, size_t cap)
{
	MDB_txn *txn;

	out[0] = '\0';
	if (kt_store_rdtxn(&h->st, &txn, NULL) != 0)
		return;
	kt_meta_text(&h->st, txn, "listen", out, cap);
	mdb_txn_abort(txn);
}

struct branch_find {
	uint64_t origin;
	char *out;
	size_t cap;
};

/* A kt_member_fn: stops at the member of origin f->origin that has a branch name. */
static int branch_match(void *ctx, const uint8_t key[KT_PUBKEY_BYTES], const struct kt_member *m)
{
	struct branch_find *f = ctx;

	(void)key;
	if (m->branch_len == 0 || m->origin != f->origin)
		return 0;
	snprintf(f->out, f->cap, "%.*s", (int)m->branch_len, m->branch);
	return 1;
}

void kt_hub_cli_branch_of(struct kt_hub *h, MDB_txn *txn, uint64_t origin, char *out,
			  size_t cap)
{
	struct branch_find f = { origin, out, cap };

	snprintf(out, cap, "%016llx", (unsigned long long)origin);
	/* Bounded by the number of enrolled branches. */
	kt_member_each(&h->st, txn, branch_match, &f);
}
