/*
 * main.c - kt-hub: the program's own options and the dispatch to its
 * commands (hub/hub_cli.h: hub/cmd_admin.c, hub/cmd_run.c,
 * hub/cmd_review.c).
 */
#include "hub_cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: kt-hub -d DIR COMMAND [ARGS]\n"
	"\n"
	"The hub of a Kartoteka chain: it orders and stores every branch's changes\n"
	"(encrypted end to end: it never holds the chain key) and passes them on.\n"
	"\n"
	"commands:\n"
	"  init [--listen tcp://HOST:PORT]            make a hub in DIR\n"
	"  enroll --branch NAME --key KEY [--out F]   admit a branch's node; write its bundle\n"
	"  run                                        serve until SIGINT/SIGTERM\n"
	"  status [--json]                            enrolled branches, the head\n"
	"  digest [--json]                            the digest of the merged state\n"
	"  verify                                     check the store: changes, chains, signatures, state\n"
	"  rebuild                                    derive the merged state again from the log\n"
	"  backup --out DIR2                          a whole copy of the hub, while it runs\n"
	"  revoke (--branch NAME | --key KEY)         refuse a node from its next connection\n"
	"  conflicts [--json]                         fields two branches wrote concurrently\n"
	"  duplicates [--json]                        cards that share a phone or email (blind)\n"
	"Options go before or after the command (-d DIR too), as --opt VALUE or\n"
	"--opt=VALUE; every command has --help.\n"
	"example: kt-hub -d /var/lib/kartoteka-hub init --listen tcp://0.0.0.0:7400\n";

static const struct {
	const char *name;
	int (*fn)(struct kt_hub_cli *cli, int argc, char **argv);
	int reads; /* 1: stopped by a signal, it exits 130 (unless done before it) */
} commands[] = {
	{ "init", kt_hub_cmd_init, 0 },
	{ "enroll", kt_hub_cmd_enroll, 0 },
	{ "run", kt_hub_cmd_run, 0 },
	{ "status", kt_hub_cmd_status, 0 },
	{ "digest", kt_hub_cmd_digest, 1 },
	{ "verify", kt_hub_cmd_verify, 1 },
	{ "rebuild", kt_hub_cmd_rebuild, 0 },
	{ "backup", kt_hub_cmd_backup, 0 },
	{ "revoke", kt_hub_cmd_revoke, 0 },
	{ "conflicts", kt_hub_cmd_conflicts, 0 },
	{ "duplicates", kt_hub_cmd_duplicates, 0 },
};

int main(int argc, char **argv)
{
	static const struct kt_cli_program prog = { "kt-hub", "0.1.0", usage, NULL };
	struct kt_hub_cli cli;
	size_t k;
	int rc;

	/*
	 * Ctrl-C, a kill or a closed terminal stop a reading command (verify,
	 * digest, status...) at its next push or change: it ends its read, so
	 * its reader slot is free at once; a second signal ends it at once.
	 * `run` sets its own handlers.
	 */
	kt_cli_catch_signals(&kt_interrupted);
	kt_crypto_init();
	memset(&cli, 0, sizeof(cli));
	cli.dir = getenv("KT_HUB_DIR");
	if ((rc = kt_cli_program(&cli.opts, &prog, &cli.dir, NULL, argc, argv)) != KT_CLI_RUN)
		return rc;
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(cli.opts.args[0], commands[k].name) == 0)
			break;
	if (k == sizeof(commands) / sizeof(commands[0]))
		return kt_cli_failf("unknown command '%s' (see kt-hub --help)", cli.opts.args[0]);
	/* The command's words: args[0] is its name; each command reads its own options. */
	rc = commands[k].fn(&cli, cli.opts.nargs, cli.opts.args);
	return commands[k].reads && kt_interrupted && rc != 0 ? 130 : rc; /* done before it: done */
}
