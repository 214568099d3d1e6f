/*
 * opts.c - the command-line kit over getopt_long (see opts.h).
 *
 * getopt_long is told ":" (a missing value returns ':', not '?') and
 * opterr = 0, so it prints nothing and every refusal is ours.  A table's
 * options are given to getopt_long with keys KEY_BASE + their index, so the
 * index comes back whichever form was typed and `seen` can count them.
 */
#include "opts.h"
#include "err.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define KEY_BASE 0x10000

void kt_opts_init(struct kt_opts *o, const char *prog, const char **dir)
{
	memset(o, 0, sizeof(*o));
	o->prog = prog;
	o->dir = dir;
}

void kt_opts_as(struct kt_opts *o, const char **as)
{
	o->as = as;
}

void kt_opts_key_file(struct kt_opts *o, const char **key_file)
{
	o->key_file = key_file;
}

static void start(struct kt_opts *o, const char *cmd, const char *usage,
		  const struct kt_opt *tab, int argc, char **argv, const char *shorts)
{
	int n = 0;

	o->cmd = cmd;
	o->usage = usage;
	o->tab = tab;
	o->argc = argc;
	o->argv = argv;
	o->shorts = shorts;
	o->arg = NULL;
	o->args = NULL;
	o->nargs = 0;
	memset(o->seen, 0, sizeof(o->seen));
	for (; tab != NULL && tab[n].name != NULL; n++) {
		kt_assert(n < KT_OPTS_MAX);
		kt_assert(tab[n].key > 0 && tab[n].key != 'd' && tab[n].key != 'h');
		o->lo[n] = (struct option){ tab[n].name, tab[n].value, NULL, KEY_BASE + n };
	}
	o->lo[n++] = (struct option){ "dir", required_argument, NULL, 'd' };
	if (o->as != NULL)
		o->lo[n++] = (struct option){ "as", required_argument, NULL, 'a' };
	if (o->key_file != NULL)
		o->lo[n++] = (struct option){ "key-file", required_argument, NULL, 'k' };
	o->lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	o->lo[n] = (struct option){ NULL, 0, NULL, 0 };
	/* glibc: 0 re-reads the option string (its "+") and starts at argv[1]. */
	optind = 0;
	opterr = 0;
}

void kt_opts_start(struct kt_opts *o, const char *cmd, const char *usage,
		   const struct kt_opt *tab, int argc, char **argv)
{
	start(o, cmd, usage, tab, argc, argv, ":d:h");
}

void kt_opts_start_program(struct kt_opts *o, const char *usage, const struct kt_opt *tab,
			   int argc, char **argv)
{
	start(o, NULL, usage, tab, argc, argv, "+:d:h");
}

static int vfail(struct kt_opts *o, const char *fmt, va_list ap)
{
	char msg[1024], line[1400];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (o->cmd != NULL)
		snprintf(line, sizeof(line), "%s: %s (see %s %s --help)", o->cmd, msg, o->prog,
			 o->cmd);
	else
		snprintf(line, sizeof(line), "%s (see %s --help)", msg, o->prog);
	kt_text_one_line(line); /* one line, whatever was typed */
	fprintf(stderr, "%s: %s\n", o->prog, line);
	return 1;
}

int kt_opts_fail(struct kt_opts *o, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(o, fmt, ap);
	va_end(ap);
	return rc;
}

/* The long name typed in arg ("--lim=5"), without its value, into out. */
static void typed_name(const char *arg, char *out, size_t cap)
{
	size_t n = strcspn(arg, "=");

	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), arg);
}

/* '?' from getopt_long: an unknown, ambiguous or short option, or a flag given a value. */
static int refuse_unknown(struct kt_opts *o)
{
	const char *at = optind > 0 && optind <= o->argc ? o->argv[optind - 1] : "";
	char name[128], also[256] = "";
	int hits = 0;

	if (strncmp(at, "--", 2) != 0)
		return kt_opts_fail(o, "unknown option '-%c'", optopt ? optopt : '?');
	typed_name(at, name, sizeof(name));
	if (optopt != 0)
		return kt_opts_fail(o, "option '%s' takes no value", name);
	for (int i = 0; o->lo[i].name != NULL; i++)
		if (strncmp(o->lo[i].name, name + 2, strlen(name + 2)) == 0) {
			size_t n = strlen(also);

			snprintf(also + n, sizeof(also) - n, "%s--%s", hits++ ? ", " : "",
				 o->lo[i].name);
		}
	if (hits > 1)
		return kt_opts_fail(o, "ambiguous option '%s' (%s)", name, also);
	return kt_opts_fail(o, "unknown option '%s'", name);
}

/* ':' from getopt_long: the option at the end wants its value. */
static int refuse_missing(struct kt_opts *o)
{
	if (optopt >= KEY_BASE)
		return kt_opts_fail(o, "option '--%s' needs a value",
				    o->lo[optopt - KEY_BASE].name);
	return kt_opts_fail(o, "option '-d' needs a value (the data folder)");
}

int kt_opts_next(struct kt_opts *o)
{
	int c, i;

	for (;;) {
		o->arg = NULL;
		c = getopt_long(o->argc, o->argv, o->shorts, o->lo, NULL);
		if (c == -1) {
			o->args = o->argv + optind;
			o->nargs = o->argc - optind;
			return KT_OPTS_END;
		}
		if (c == '?') {
			refuse_unknown(o);
			return KT_OPTS_FAIL;
		}
		if (c == ':') {
			refuse_missing(o);
			return KT_OPTS_FAIL;
		}
		if (c == 'h') {
			fputs(o->usage, stdout);
			return KT_OPTS_HELP;
		}
		if (c == 'd') {
			if (o->dir_given++) {
				kt_opts_fail(o, "option '-d' given twice");
				return KT_OPTS_FAIL;
			}
			*o->dir = optarg;
			continue;
		}
		if (c == 'a' && o->as != NULL) {
			if (o->as_given++) {
				kt_opts_fail(o, "option '--as' given twice");
				return KT_OPTS_FAIL;
			}
			*o->as = optarg;
			continue;
		}
		if (c == 'k' && o->key_file != NULL) {
			if (o->key_file_given++) {
				kt_opts_fail(o, "option '--key-file' given twice");
				return KT_OPTS_FAIL;
			}
			*o->key_file = optarg;
			continue;
		}
		kt_assert(c >= KEY_BASE && c < KEY_BASE + KT_OPTS_MAX);
		i = c - KEY_BASE;
		if (o->seen[i]++ && !o->tab[i].many) {
			kt_opts_fail(o, "option '--%s' given twice", o->tab[i].name);
			return KT_OPTS_FAIL;
		}
		o->arg = optarg;
		return o->tab[i].key;
	}
}

int kt_opts_exit(int c)
{
	return c == KT_OPTS_HELP ? 0 : 1;
}

int kt_opts_args(struct kt_opts *o, int min, int max, const char *what)
{
	if (o->nargs > max)
		return kt_opts_fail(o, "unexpected argument '%s'", o->args[max]);
	if (o->nargs < min)
		return kt_opts_fail(o, "expected %s", what);
	return 0;
}
