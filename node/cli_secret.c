/*
 * cli_secret.c - a passphrase or PIN as a command takes it (cli.h,
 * kt_cli_secret): from a file's first line, an environment variable, or
 * the terminal with echo off.  Shared by backup and restore, staff
 * logins and passphrases.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sodium.h>

/* The first line of path into out; 0 or 1 (said). */
static int from_file(const char *cmd, const char *what, const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (f == NULL)
		return kt_cli_failf("%s: cannot read '%s': %s", cmd, path, strerror(errno));
	ok = fgets(out, (int)cap, f) != NULL;
	fclose(f);
	if (!ok)
		return kt_cli_failf("%s: '%s' holds no %s", cmd, path, what);
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* A line typed on the terminal with echo off; 0 or -1 (no terminal). */
static int prompt(const char *what, char *out, size_t cap)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	int ok;

	if (tty == NULL || tcgetattr(fileno(tty), &old) != 0) {
		if (tty != NULL)
			fclose(tty);
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fprintf(tty, "%s: ", what);
	fflush(tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	ok = fgets(out, (int)cap, tty) != NULL;
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (!ok)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

int kt_cli_ask_node_pass(char *out, size_t cap)
{
	return prompt("passphrase of this node's keys", out, cap);
}

int kt_cli_secret(const struct kt_secret_ask *a, char *out, size_t cap)
{
	const char *env = a->env != NULL ? getenv(a->env) : NULL;

	if (a->file != NULL) {
		if (from_file(a->cmd, a->what, a->file, out, cap))
			return 1;
	} else if (env != NULL) {
		snprintf(out, cap, "%s", env);
	} else {
		char again[1100];
		int rc;

		if (prompt(a->what, out, cap) != 0)
			return kt_cli_failf("%s: no %s: give %s or set %s", a->cmd, a->what,
					    a->option, a->env);
		rc = a->twice && (prompt("the same again", again, sizeof(again)) != 0 ||
				  strcmp(again, out) != 0);
		sodium_memzero(again, sizeof(again));
		if (rc)
			return kt_cli_failf("%s: the two %ss differ", a->cmd, a->what);
	}
	if (strlen(out) < a->min || strlen(out) > a->max) {
		sodium_memzero(out, cap);
		return kt_cli_failf("%s: a %s is %zu to %zu bytes", a->cmd, a->what, a->min, a->max);
	}
	return 0;
}
