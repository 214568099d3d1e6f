/*
 * cli.h - what the kt-node commands share over the command-line kit of
 * both programs (common/cli_kit.h): the open store, drafts, today,
 * settings.  Each command is `int cmd_x(struct kt_cli *cli, int argc, char
 * **argv)` returning the process exit code; argv[0] is the command's own
 * name.
 * Errors are printed as one line on stderr by kt_cli_fail().
 */
#ifndef KT_CLI_H
#define KT_CLI_H

#include <stdio.h>
#include <jansson.h>
#include "store.h"
#include "card.h"
#include "cli_kit.h"
#include "settings.h"
#include "staff.h"
#include "roles.h"

#define KT_VERSION "0.1.0"

struct kt_audit_q;

struct kt_cli {
	const char *dir;        /* -d DIR */
	const char *as;         /* --as NAME (else $KT_STAFF) */
	const char *key_file;   /* --key-file FILE: unlocks a sealed node (init, seal-keys: seals it) */
	/* Who acts, once kt_cli_act() has logged her in (acting). */
	int acting;
	struct kt_staff me;
	struct kt_rights rights;
	struct kt_audit_q *audit; /* the reads this command made, written at its end */
	struct kt_opts opts;    /* the command line's parse (common/opts.h) */
	struct kt_store st;
	int open;
	struct kt_err err;
	/* Dates typed in the branch's form, turned into ISO (kt_cli_draft_field). */
	char dates[KT_OPS_MAX][11];
	uint32_t ndates;
};

/*
 * Opens the store of cli->dir; prints the error and returns 1 on failure.
 * A `timezone` setting becomes the process's zone then (common/when.h), so
 * today and every time printed are the branch's; a zone this machine no
 * longer has is said in a warning line and the system's zone is used.
 */
int kt_cli_open(struct kt_cli *cli);

/*
 * Opens the store and logs in who acts (cli_staff.c): --as NAME or
 * $KT_STAFF, whose passphrase is $KT_PASS or typed; naming nobody, the
 * node's founding account while it has no passphrase (the node is open;
 * a node made before staff accounts gets its founding account here).
 * Then checks she may run every kind of command in can (roles.h; 0: any
 * staff member).  Every local write after it carries her id.  Returns 0,
 * or 1 with one line printed: the refusal names the roles that may
 * ("CMD: reception may not export (manager may)").
 */
int kt_cli_act(struct kt_cli *cli, const char *cmd, int can);
/*
 * Makes the node's founding account (init; a node made before staff
 * accounts): name, role, hash (a passphrase's, or NULL: the node is open),
 * at this node's branch, its id kept as meta "founder" in the same
 * transaction.  0, or 1 (said).
 */
int kt_cli_found(struct kt_cli *cli, const char *name, const char *role, const char *hash,
		 struct kt_id *id);
/*
 * Whether the node is open: its founding account has no passphrase, so a
 * command naming nobody acts as it (1), or not (0).  The store is open.
 */
int kt_cli_logins_open(struct kt_cli *cli);
/*
 * The account who names (kt_staff_find at this node's branch), or when who
 * is NULL the account of id, into *out: 0 or its error, with cli->err set.
 */
int kt_cli_staff(struct kt_cli *cli, const char *who, const struct kt_id *id,
		 struct kt_staff *out);
/* Whether who acts may read every part of mask (enum kt_part). */
int kt_cli_may_read(const struct kt_cli *cli, int mask);
/* The one refusal line for a read of mask (returns 1, the exit code). */
int kt_cli_refuse_read(struct kt_cli *cli, const char *cmd, int mask);
/*
 * kt_store_write() of n drafts once who acts may write every field and
 * record of them (each part, roles.h): else nothing is written and one
 * line names the field and the roles that may.  Returns 0, or 1 (printed).
 */
int kt_cli_write(struct kt_cli *cli, struct kt_draft *d, size_t n, const char *cmd);
/* The same check alone: 0, or 1 with the line printed. */
int kt_cli_may_write(struct kt_cli *cli, const struct kt_draft *d, size_t n, const char *cmd);

/*
 * The audit of reads (audit.c, docs/PRIVACY.md): a command that shows a
 * card notes it here (what: "show", parts: the enum kt_part mask shown),
 * and the notes become audit records, written in one transaction when the
 * command ends (kt_cli_audit_flush, from main), so a read costs no commit
 * of its own.  kt_cli_audit_all notes a read of every card (an export).
 * reason is kept with the record (an erasure's); NULL for none.
 */
void kt_cli_audit(struct kt_cli *cli, const char *what, int parts, const struct kt_id *card);
void kt_cli_audit_all(struct kt_cli *cli, const char *what, int parts, const char *reason);
void kt_cli_audit_reason(struct kt_cli *cli, const char *what, int parts,
			 const struct kt_id *card, const char *reason);
/* Writes what was noted; 0, or 1 with the line printed.  The notes are freed either way. */
int kt_cli_audit_flush(struct kt_cli *cli);
/*
 * The same, with the n drafts d written first in that one transaction (an
 * erasure and its audit record stand or fall together): 0 or 1 (said).
 */
int kt_cli_audit_write(struct kt_cli *cli, const struct kt_draft *d, size_t n);

/* kt_cli_failf() (common/cli_kit.h) of cli->err's message; returns the exit code 1. */
int kt_cli_fail(struct kt_cli *cli);

/*
 * Starts the parse of a command's options (common/opts.h) on cli->opts,
 * where -d DIR writes cli->dir; returns &cli->opts for kt_opts_next().
 */
struct kt_opts *kt_cli_opts(struct kt_cli *cli, const char *cmd, const char *usage,
			    const struct kt_opt *tab, int argc, char **argv);

/*
 * --set, --add and --remove F=V: the rows of a table that takes them, and
 * their keys, each repeatable and kept in order.
 */
enum { KT_CLI_SET = 'S', KT_CLI_ADD = 'A', KT_CLI_REMOVE = 'R' };
#define KT_CLI_SET_OPT { "set", KT_OPT_VALUE, KT_CLI_SET, 1 }
#define KT_CLI_ADD_OPT { "add", KT_OPT_VALUE, KT_CLI_ADD, 1 }
#define KT_CLI_REMOVE_OPT { "remove", KT_OPT_VALUE, KT_CLI_REMOVE, 1 }

/*
 * Adds option key (KT_CLI_SET, _ADD or _REMOVE) with value v, F=V, to d (a
 * list value with commas is several entries: kt_draft_field).  Returns 0,
 * or 1 with the error printed.
 */
int kt_cli_field_value(struct kt_cli *cli, struct kt_draft *d, int key, const char *v);

/*
 * --set/--add/--remove options kept in the order typed until the draft they
 * go to can start (record add and edit learn the record's type from their
 * positional arguments, which may come after the options).
 */
struct kt_cli_fields {
	uint32_t n;
	int key[KT_OPS_MAX];
	const char *v[KT_OPS_MAX]; /* borrowed from argv */
};

/* Keeps one; returns 0, or 1 with the error printed when there are too many. */
int kt_cli_fields_keep(struct kt_cli_fields *f, int key, const char *v);

/* kt_cli_field_value() for each kept option in order; returns 0 or 1 (printed). */
int kt_cli_fields_apply(struct kt_cli *cli, const struct kt_cli_fields *f, struct kt_draft *d);

/*
 * Today at this branch as days since 1970-01-01: the local date of now in
 * the branch's zone (kt_cli_open() has set it; the store must be open).
 * For tests: $KT_TODAY (YYYY-MM-DD) is today, else $KT_NOW (Unix seconds) is
 * now.  kt_cli_today_text() writes it as YYYY-MM-DD.
 */
int32_t kt_cli_today(struct kt_cli *cli);
void kt_cli_today_text(struct kt_cli *cli, char out[11]);

/*
 * kt_draft_field() for what a user typed: the value of a date field is read
 * in the branch's form (node/dates.h, from the country setting; the store
 * is opened for it) and goes into the draft as ISO, kept in cli->dates.
 * Returns 0, or 1 with the error printed.
 */
int kt_cli_draft_field(struct kt_cli *cli, struct kt_draft *d, const char *name,
		       const char *text, uint8_t kind);

/*
 * Whether every date d sets may be held by its field today (enum kt_when,
 * kt_dates_check()): future is 1 when the user gave --future.  Returns 0,
 * or 1 with the error printed ("CMD: why").
 */
int kt_cli_check_dates(struct kt_cli *cli, const struct kt_draft *d, int future,
		       const char *cmd);

/* Parses a record id argument; prints the error on failure. */
int kt_cli_id(const char *s, struct kt_id *id);

/* The node's branch name. */
void kt_cli_branch(struct kt_cli *cli, char *out, size_t cap);

/*
 * This node's settings (settings.h: each one stored, else its default)
 * into *s, which it returns; the store must be open.  The salon's rules
 * that read them are in salon.h.
 */
const struct kt_settings *kt_cli_settings(struct kt_cli *cli, struct kt_settings *s);

/*
 * A secret a command asks for (cli_secret.c): the first line of file when
 * given, else $env, else typed on the terminal with echo off (twice when
 * twice: a new passphrase).  Its length in bytes must lie in [min, max]
 * (max below 1,100).  Returns 0 with it in out (wipe it after use), or 1
 * with the one line printed ("CMD: no WHAT: give OPTION or set ENV").
 */
struct kt_secret_ask {
	const char *cmd;    /* "backup", "staff add" */
	const char *what;   /* "passphrase" */
	const char *file;   /* the option's file, or NULL */
	const char *env;    /* "KT_PASS" */
	const char *option; /* "--pass-file FILE", for the line that says how */
	int twice;
	size_t min, max;
};
int kt_cli_secret(const struct kt_secret_ask *a, char *out, size_t cap);
/*
 * The passphrase of a node whose keys are sealed under one, typed on the
 * terminal with echo off (common/seal.h's asker): 0, or -1 with no terminal.
 */
int kt_cli_ask_node_pass(char *out, size_t cap);

/* ---- sealed key files (node/cmd_seal.c, common/seal.h) ---- */
/*
 * The lock init and seal-keys seal the key files under: a key file
 * (key_file, which must exist and lie outside the data folder; *abs its
 * full path, kept as the node's setting key_file), or a passphrase from
 * pass_file's first line, $KT_NODE_PASS, or typed twice (ask).  Returns 0
 * with *l made, 2 when none was asked for (no lock), or 1 (said).
 */
struct kt_lock;
int kt_cli_seal_lock(const char *cmd, const char *dir, const char *key_file,
		     const char *pass_file, int ask, struct kt_lock *l, char *abs, size_t cap);
/* status's line on the key files ("keys: sealed under ..."), or into o (not NULL). */
void kt_cli_keys_status(struct kt_cli *cli, json_t *o);

/* Commands. */
int cmd_init(struct kt_cli *cli, int argc, char **argv);
int cmd_key(struct kt_cli *cli, int argc, char **argv);
int cmd_config(struct kt_cli *cli, int argc, char **argv);
int cmd_status(struct kt_cli *cli, int argc, char **argv);
int cmd_digest(struct kt_cli *cli, int argc, char **argv);
int cmd_client(struct kt_cli *cli, int argc, char **argv);
int cmd_visit(struct kt_cli *cli, int argc, char **argv);
int cmd_record(struct kt_cli *cli, int argc, char **argv);
int cmd_birthdays(struct kt_cli *cli, int argc, char **argv);
int cmd_export(struct kt_cli *cli, int argc, char **argv);
int cmd_import(struct kt_cli *cli, int argc, char **argv);
int cmd_join(struct kt_cli *cli, int argc, char **argv);
int cmd_invite(struct kt_cli *cli, int argc, char **argv);
int cmd_sync(struct kt_cli *cli, int argc, char **argv);
int cmd_run(struct kt_cli *cli, int argc, char **argv);
int cmd_duplicates(struct kt_cli *cli, int argc, char **argv);
int cmd_conflicts(struct kt_cli *cli, int argc, char **argv);
int cmd_report(struct kt_cli *cli, int argc, char **argv);
int cmd_catalog(struct kt_cli *cli, int argc, char **argv);
int cmd_backup(struct kt_cli *cli, int argc, char **argv);
int cmd_restore(struct kt_cli *cli, int argc, char **argv);
int cmd_staff(struct kt_cli *cli, int argc, char **argv);
int cmd_audit(struct kt_cli *cli, int argc, char **argv);
int cmd_keyfile(struct kt_cli *cli, int argc, char **argv);
int cmd_seal_keys(struct kt_cli *cli, int argc, char **argv);
int cmd_unseal_keys(struct kt_cli *cli, int argc, char **argv);
/*
 * `import FILE [--skip-bad]` (argv[0] is the command's name): type 0 reads
 * JSON or client CSV (cmd_import); a type reads CSV rows of that type
 * (KT_T_CATALOGUE for `catalog import`).  Returns the exit code.
 */
int kt_cli_import_as(struct kt_cli *cli, int argc, char **argv, uint8_t type);
/*
 * `export --csv --out DIR` (cmd_export_csv.c): writes DIR/clients.csv and
 * DIR/visits.csv (DIR made when missing; refused when it holds either), as
 * a spreadsheet opens them, and says what it wrote on stderr.  Returns the
 * exit code; a failed export leaves neither file.
 */
int kt_cli_export_csv(struct kt_cli *cli, const char *dir);
int kt_cli_merge(struct kt_cli *cli, int argc, char **argv);
int kt_cli_unmerge(struct kt_cli *cli, int argc, char **argv);
/*
 * `client consent ID --purpose P (--give|--withdraw) ...` (node/cmd_consent.c):
 * one consent record (node/consent.h).  Returns the exit code.
 */
int kt_cli_consent(struct kt_cli *cli, int argc, char **argv);
/*
 * `client dossier ID [--json]` (node/cmd_dossier.c): everything held about
 * her, for a request of access or portability; a manager's (KT_CAN_DOSSIER).
 */
int kt_cli_dossier(struct kt_cli *cli, int argc, char **argv);
struct kt_consents;
/*
 * The consents block of `client show` (cmd_consent.c): the current consent
 * of each purpose, then the earlier ones, a line each.  In txn.
 */
void kt_cli_consents_print(struct kt_cli *cli, MDB_txn *txn, const struct kt_consents *s);
/*
 * An audit record r as `audit --json` prints it (cmd_audit.c): {"id",
 * "staff_id", "at_ms", "what", "parts", "branch", "staff", "reason",
 * "all", "clients"}.  The caller owns it.
 */
json_t *kt_cli_audit_json(const struct kt_rec *r);
/* `client erase ID --reason TEXT` (node/cmd_erase.c): one SHRED per card of her merge group. */
int kt_cli_erase(struct kt_cli *cli, int argc, char **argv);
/*
 * status's line on erasures (node/cmd_erase.c): "erased: N changes to
 * erased clients dropped" when N > 0, or into o (not NULL) as
 * "erased_dropped", always.
 */
void kt_cli_erased_status(struct kt_cli *cli, json_t *o);
/*
 * `run`'s idle tick: the store rewritten after an erasure when it is due
 * and no command holds it (kt_store_rewrite, reopened).  0, or -1 when the
 * store could not be opened again (said on stderr; run stops).
 */
int kt_cli_rewrite_tick(struct kt_cli *cli);

/*
 * Adds each cycle of merges (kt_store_merge_cycles) to arr as {"kind":
 * "merge_cycle", "stands", "cards"}, printing a line for each when print;
 * returns how many, or an error.
 */
int kt_cli_merge_cycles(struct kt_cli *cli, MDB_txn *txn, json_t *arr, int print);

#endif
