/*
 * opts.h - the option-table parse of the command-line kit both programs
 * share (kt-node, kt-hub; common/cli_kit.h holds the rest of it): one small
 * loop over glibc's getopt_long that each command runs with its own table
 * of options.
 *
 * What every command gets from it, so no command writes it again:
 * - `--opt value` and `--opt=value`; a flag given a value (`--json=1`) is
 *   refused.  A long name may be shortened while it names one option
 *   (getopt_long's rule: `--lim 5`).
 * - `-d DIR`, `--dir DIR`, `--dir=DIR` anywhere: before the command, as
 *   always, or after it (`kt-node status -d DIR`); given twice it is refused.
 * - `-h`/`--help` anywhere: the command's usage on stdout, exit 0.
 * - Positional arguments (ids, QUERY, FILE) before or after options (GNU
 *   permutation), and `--` ends the options (`client find -- -5`).
 * - An option a table marks `once` (all but --set/--add/--remove and the
 *   like) given twice is refused; a `many` one is returned each time, in
 *   the order typed.
 * - Every refusal is ONE line on stderr in our words (getopt's own messages
 *   are off: opterr = 0), naming the option and the command, with a pointer
 *   to its --help:
 *     kt-node: client find: unknown option '--bogus' (see kt-node client find --help)
 *
 * A command's parse reads like this (a table, then a switch):
 *
 *	static const struct kt_opt opts[] = {
 *		KT_CLI_JSON_OPT,		// --json, cli_kit.h
 *		{ "limit", KT_OPT_VALUE, 'l', 0 },
 *		{ NULL, 0, 0, 0 },
 *	};
 *	kt_opts_start(o, "client find", usage, opts, argc, argv);
 *	while ((c = kt_opts_next(o)) >= 0)
 *		switch (c) {
 *		case KT_CLI_JSON: json = 1; break;
 *		case 'l': limit = o->arg; break;
 *		}
 *	if (c != KT_OPTS_END)
 *		return kt_opts_exit(c);
 *	... o->args[0 .. o->nargs) are the positional arguments ...
 *
 * Keys are any positive int but 'd' and 'h' (the kit's own) and 0; they are
 * not short options: only -d and -h exist in short form.  The kit keeps
 * getopt_long's state global (optind, optarg): one parse at a time, and
 * kt_opts_start() starts each afresh (optind = 0, glibc's full re-scan, so
 * the "+" of the program's own parse does not stick to the command's).
 * $POSIXLY_CORRECT turns permutation off, as in every GNU tool.
 */
#ifndef KT_OPTS_H
#define KT_OPTS_H

#include <getopt.h>

enum { KT_OPT_FLAG = no_argument, KT_OPT_VALUE = required_argument };

/* Options in one table, at most (the longest, visit add's, has 10). */
#define KT_OPTS_MAX 32

/* What kt_opts_next() returns when it returns no option's key. */
enum {
	KT_OPTS_END = -1,  /* options done: positionals in o->args */
	KT_OPTS_HELP = -2, /* --help: the usage was printed; exit 0 */
	KT_OPTS_FAIL = -3, /* a refusal was printed as one line; exit 1 */
};

struct kt_opt {
	const char *name; /* the long name, without "--"; NULL ends a table */
	int value;        /* KT_OPT_VALUE: takes a value (o->arg), KT_OPT_FLAG: not */
	int key;          /* what kt_opts_next() returns for it */
	int many;         /* 1: may be given again (a list, in order); 0: once */
};

struct kt_opts {
	/* Set once by kt_opts_init(); kept over the program's parses. */
	const char *prog;  /* "kt-node": starts every line */
	const char **dir;  /* where -d/--dir puts the data folder */
	int dir_given;     /* -d was given already (once in the whole command line) */
	const char **as;   /* where --as puts who acts (kt_opts_as), or NULL: no --as */
	int as_given;
	const char **key_file; /* where --key-file puts its file (kt_opts_key_file), or NULL */
	int key_file_given;
	/* One parse (kt_opts_start()). */
	const char *cmd;   /* "client find", or NULL for the program's own options */
	const char *usage; /* printed for --help */
	const struct kt_opt *tab;
	struct option lo[KT_OPTS_MAX + 5];
	unsigned char seen[KT_OPTS_MAX];
	const char *shorts;
	int argc;
	char **argv;
	/* Results. */
	const char *arg;   /* the value of the option just returned (NULL for a flag) */
	char **args;       /* at KT_OPTS_END: the positional arguments */
	int nargs;
};

/* Sets up o for program prog ("kt-node"), whose data folder -d writes to *dir. */
void kt_opts_init(struct kt_opts *o, const char *prog, const char **dir);
/*
 * Gives every parse of o the option --as NAME (who acts, kt-node's staff),
 * anywhere on the line as -d is, once; it writes *as and is never returned.
 */
void kt_opts_as(struct kt_opts *o, const char **as);

/*
 * Gives every parse of o the option --key-file FILE (the key file that
 * unlocks a sealed node, or that init and seal-keys seal it under),
 * anywhere on the line as -d is, once; it writes *key_file and is never
 * returned.  key_file NULL: no such option.
 */
void kt_opts_key_file(struct kt_opts *o, const char **key_file);

/*
 * Starts parsing argv[1..argc) of command cmd (argv[0] is its name; cmd is
 * how messages name it, "client find") against tab.  tab and usage are
 * borrowed until the parse ends; argv is permuted in place.
 */
void kt_opts_start(struct kt_opts *o, const char *cmd, const char *usage,
		   const struct kt_opt *tab, int argc, char **argv);

/*
 * The same for the program's own options before the command: stops at the
 * first word that is not an option (the command's name, then o->args[0]),
 * so the command's own options are left to the command.
 */
void kt_opts_start_program(struct kt_opts *o, const char *usage, const struct kt_opt *tab,
			   int argc, char **argv);

/*
 * The next option's key (o->arg its value); or KT_OPTS_END (o->args,
 * o->nargs set), KT_OPTS_HELP after printing the usage, KT_OPTS_FAIL after
 * printing the one line that says why.  -d/--dir is handled here and never
 * returned.
 */
int kt_opts_next(struct kt_opts *o);

/*
 * The exit code for a kt_opts_next() result that is not a key: 0 for help,
 * else 1 (KT_OPTS_END too, so `if (c != KT_OPTS_END || kt_opts_args(...))
 * return kt_opts_exit(c);` ends a parse whichever of the two refused).
 */
int kt_opts_exit(int c);

/*
 * Prints "PROG: CMD: <message> (see PROG CMD --help)" as one line on
 * stderr, for a command's own refusal of its arguments (a missing ID, one
 * argument too many); returns 1, the exit code.
 */
int kt_opts_fail(struct kt_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Refuses arguments past the first max with kt_opts_fail() ("unexpected
 * argument 'X'") and fewer than min ("expected WHAT"); returns 0 when the
 * count fits, else 1 (printed).
 */
int kt_opts_args(struct kt_opts *o, int min, int max, const char *what);

#endif
