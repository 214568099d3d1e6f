/*
 * cli_kit.c - the command-line kit both programs share (see cli_kit.h).
 *
 * The program's name and the flag signals set are the process's state
 * here: each set once, first thing in main.
 */
#include "cli_kit.h"
#include "err.h"
#include "text.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Before kt_cli_program() runs (tests that call a command's helpers). */
static const char *prog_name = "kt";
static volatile sig_atomic_t *interrupted;

static void on_interrupt(int sig)
{
	if (*interrupted)
		_exit(128 + sig);
	*interrupted = 1;
}

void kt_cli_catch_signals(volatile sig_atomic_t *flag)
{
	struct sigaction sa;

	interrupted = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int kt_cli_program(struct kt_opts *o, const struct kt_cli_program *p, const char **dir,
		   const char **as, int argc, char **argv)
{
	static const struct kt_opt tab[] = {
		{ "version", KT_OPT_FLAG, 'v', 0 },
		{ NULL, 0, 0, 0 },
	};
	int c;

	prog_name = p->name;
	kt_opts_init(o, p->name, dir);
	kt_opts_as(o, as);
	kt_opts_key_file(o, p->key_file);
	kt_opts_start_program(o, p->usage, tab, argc, argv);
	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'v': printf("%s %s\n", p->name, p->version); return 0;
		}
	if (c != KT_OPTS_END)
		return kt_opts_exit(c);
	if (o->nargs == 0) {
		fputs(p->usage, stderr);
		return 2;
	}
	return KT_CLI_RUN;
}

int kt_cli_failf(const char *fmt, ...)
{
	char small[2048], *line = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(small)) { /* a long path or value: the whole line, still */
		line = kt_malloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(line, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	kt_text_one_line(line); /* one line, whatever the input held */
	fprintf(stderr, "%s: %s\n", prog_name, line);
	if (line != small)
		free(line);
	return 1;
}

int kt_cli_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc && argv[i] != NULL; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
	return 0;
}

int kt_cli_group(int argc, char **argv, const char *usage)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	return kt_cli_help(2, argv, usage) ? 0 : -1;
}

void kt_cli_print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_SORT_KEYS | JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(j);
}

void kt_cli_print_digest(const uint8_t d[KT_HASH_BYTES], int json)
{
	char hex[2 * KT_HASH_BYTES + 1];

	kt_hex(hex, d, KT_HASH_BYTES);
	if (json)
		kt_cli_print_json(json_pack("{s:s}", "digest", hex));
	else
		printf("%s\n", hex);
}

void kt_cli_pad(const char *s, int width)
{
	size_t cap;
	char *cell;

	if (s == NULL)
		s = "";
	cap = 3 * strlen(s) + (size_t)(width > 0 ? width : 0) + 4;
	cell = kt_malloc(cap);

	kt_text_cell(s, width, cell, cap);
	fputs(cell, stdout);
	fputc(' ', stdout);
	free(cell);
}

void kt_cli_text(const char *s)
{
	size_t cap;
	char *t;

	if (s == NULL)
		s = "";
	cap = 3 * strlen(s) + 4;
	t = kt_malloc(cap);

	kt_text_cell(s, -1, t, cap);
	fputs(t, stdout);
	free(t);
}

void kt_cli_cycle_json(void *ctx, const struct kt_id *cards, size_t n)
{
	json_t *ids = json_array();
	char idt[KT_ID_TEXT_BYTES];

	for (size_t i = 0; i < n; i++) {
		kt_id_format(&cards[i], idt);
		json_array_append_new(ids, json_string(idt));
	}
	kt_id_format(&cards[0], idt);
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:o}", "kind", "merge_cycle", "stands",
					     idt, "cards", ids));
}
