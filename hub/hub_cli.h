/*
 * hub_cli.h - what kt-hub's command files share, over the command-line
 * kit of both programs (common/cli_kit.h): the command line's parse, the
 * hub opened to read, the store's structure check, the branch names of the
 * members table.  hub/main.c dispatches to the commands:
 *   hub/cmd_admin.c   init, enroll, status, digest, verify, rebuild,
 *                     backup, revoke
 *   hub/cmd_run.c     run: the ZeroMQ edge around hub.c's state machine
 *   hub/cmd_review.c  conflicts, duplicates
 * Each command is `int kt_hub_cmd_x(struct kt_hub_cli *cli, int argc, char
 * **argv)` returning the process exit code; argv[0] is the command's own
 * name.  Errors are one line on stderr (kt_cli_failf).
 */
#ifndef KT_HUB_CLI_H
#define KT_HUB_CLI_H

#include "hub.h"
#include "cli_kit.h"

struct kt_hub_cli {
	const char *dir;     /* -d DIR (or $KT_HUB_DIR), before the command or after it */
	struct kt_opts opts; /* the command line's parse (common/opts.h) */
};

/* Starts the parse of a command's options on cli->opts; returns it for kt_opts_next(). */
struct kt_opts *kt_hub_cli_parse(struct kt_hub_cli *cli, const char *cmd, const char *usage,
				 const struct kt_opt *tab, int argc, char **argv);

/*
 * The end of a command's parse: c is kt_opts_next()'s last result.  Refuses
 * positional arguments and a missing -d DIR; returns the data folder, or
 * NULL with *rc the exit code (0 after --help).
 */
const char *kt_hub_cli_parsed(struct kt_hub_cli *cli, int c, int *rc);

/*
 * The whole parse of a command that takes no option but --json, and that
 * only when json is not NULL (*json set to 1 when given): returns the data
 * folder, or NULL with *rc the exit code (0 after --help).
 */
const char *kt_hub_cli_parse_plain(struct kt_hub_cli *cli, const char *cmd, const char *usage,
				   int *json, int argc, char **argv, int *rc);

/*
 * Opens the hub in dir with a read transaction, the merge caught up first
 * when merged is set (a running hub merges behind ingest); 1, said on
 * stderr, when it cannot.  kt_hub_cli_close_reading() ends both.
 */
int kt_hub_cli_open_reading(const char *dir, struct kt_hub *h, MDB_txn **txn, int merged);
void kt_hub_cli_close_reading(struct kt_hub *h, MDB_txn *txn);

/*
 * The store read whole in a child first (kt_store_walk): a store damaged in
 * its structure is named in one line, and not opened here, where following
 * a damaged page could crash the hub.  Returns 0 when it may be opened,
 * else 1 (said, the line starting with cmd).
 */
int kt_hub_cli_structure_whole(const char *dir, const char *cmd);

/* The hub's listen endpoint (meta "listen") into out; "" when none is read. */
void kt_hub_cli_listen(struct kt_hub *h, char *out, size_t cap);

/* The branch name of a node id, from the members (or the id in 16 hex digits). */
void kt_hub_cli_branch_of(struct kt_hub *h, MDB_txn *txn, uint64_t origin, char *out,
			  size_t cap);

/* Commands. */
int kt_hub_cmd_init(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_enroll(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_run(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_status(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_digest(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_verify(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_rebuild(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_backup(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_revoke(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_conflicts(struct kt_hub_cli *cli, int argc, char **argv);
int kt_hub_cmd_duplicates(struct kt_hub_cli *cli, int argc, char **argv);

#endif
