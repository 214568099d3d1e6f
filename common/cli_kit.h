/*
 * cli_kit.h - the command-line kit both programs build on (kt-node,
 * kt-hub), over the option-table parse of common/opts.h:
 * - the program's own parse (kt_cli_program): -d DIR, --help, --version
 *   before the command, and its usage when no command is given;
 * - Ctrl-C, a kill or a closed terminal stopping a command cleanly
 *   (kt_cli_catch_signals);
 * - the one error line (kt_cli_failf): "PROG: <message>" on stderr, exit 1;
 * - --help of a group of subcommands (kt_cli_help);
 * - --json, one row of every table that takes it (KT_CLI_JSON_OPT), and the
 *   one JSON printer (kt_cli_print_json): compact, keys sorted, UTF-8;
 * - text as a table cell or free text (kt_cli_pad, kt_cli_text);
 * - what both programs print alike: a digest, the JSON of a cycle of merges.
 * node/cli.h holds what only the node's commands share; hub/hub_cli.h the
 * hub's.
 */
#ifndef KT_CLI_KIT_H
#define KT_CLI_KIT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "crypto.h"
#include "id.h"
#include "opts.h"

/* --json: the same row in every command's table, and its key (o->arg NULL). */
enum { KT_CLI_JSON = 'j' };
#define KT_CLI_JSON_OPT { "json", KT_OPT_FLAG, KT_CLI_JSON, 0 }

/* A program as its own options and lines name it. */
struct kt_cli_program {
	const char *name;    /* "kt-hub": starts every line the kit prints */
	const char *version; /* "0.1.0": --version prints "kt-hub 0.1.0" */
	const char *usage;   /* --help (stdout); on stderr when no command is given */
	/* Where --key-file FILE goes, anywhere on the line as -d is (kt_opts_key_file); NULL: none. */
	const char **key_file;
};

/* What kt_cli_program() returns when a command is to run. */
#define KT_CLI_RUN (-1)

/*
 * The program's start, first thing in main: p names the program in every
 * line the kit prints from now on (p is borrowed for the process's life),
 * o is set up (kt_opts_init) with -d/--dir writing *dir (a default may be
 * there already) and, when as is not NULL, --as writing *as (kt_opts_as),
 * and the options before the command are read.  Returns
 * KT_CLI_RUN when a command follows (o->args[0] its name, o->nargs its
 * words with it), else the exit code: 0 after --help or --version, 1 after
 * a refusal (printed), 2 with the usage on stderr when no command is given.
 */
int kt_cli_program(struct kt_opts *o, const struct kt_cli_program *p, const char **dir,
		   const char **as, int argc, char **argv);

/*
 * SIGINT, SIGTERM and SIGHUP set *flag (kt_interrupted, store/store.h: the
 * store's loops and writes stop at their next record), so a command ends
 * its read or write, closes the store (freeing its LMDB reader slot) and
 * exits 130; a second signal ends the process at once (exit 128 + the
 * signal).  A daemon's loop sets its own handlers.  flag is borrowed for
 * the process's life.
 */
void kt_cli_catch_signals(volatile sig_atomic_t *flag);

/*
 * Prints "PROG: <message>" on stderr as one line (a control character the
 * message holds, typed or stored, shows as a blank); returns 1, the exit
 * code.
 */
int kt_cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Whether argv[1..argc) holds --help or -h (it stops at a NULL argv[i]);
 * prints usage on stdout then.
 */
int kt_cli_help(int argc, char **argv, const char *usage);

/*
 * The front of a group of subcommands (client, visit, record, catalog):
 * with no subcommand, usage on stderr and 2; asked for help before one
 * (argv[1] is --help or -h), usage on stdout and 0; else -1, and each
 * subcommand's own parse does the rest.
 */
int kt_cli_group(int argc, char **argv, const char *usage);

/* Prints j (compact, sorted keys, UTF-8 as it is) and a newline on stdout; frees j. */
void kt_cli_print_json(json_t *j);

/*
 * Prints s as a table cell of width display columns, then one space
 * (common/text.h, kt_text_cell): control characters a stored value may
 * hold shown as symbols, not obeyed (a line break as "⏎", ESC as
 * "␛"), a Chinese character counted as two columns and a combining mark
 * as none, and text wider than the cell cut with "…", so the columns
 * after it stay in place.  NULL prints as "".
 */
void kt_cli_pad(const char *s, int width);

/* Prints s as kt_cli_pad() shows it, neither cut nor padded (free text); NULL as "". */
void kt_cli_text(const char *s);

/* Prints a state digest as hex and a newline, or {"digest": "<hex>"} when json. */
void kt_cli_print_digest(const uint8_t d[KT_HASH_BYTES], int json);

/*
 * A kt_cycle_fn (store/store.h) for both programs' conflicts lists: appends
 * to the JSON array ctx {"kind": "merge_cycle", "stands": id, "cards":
 * [id...]}, cards[0] (the standing card) first.
 */
void kt_cli_cycle_json(void *ctx, const struct kt_id *cards, size_t n);

#endif
