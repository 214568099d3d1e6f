/*
 * cmd_export_csv.c - `export --csv --out DIR`: client cards and visits as
 * a spreadsheet opens them, in two files that `import` reads back.
 *
 * DIR/clients.csv: id, every client field in the schema's order (its
 * English names, which import reads as it reads the aliases), merged_into.
 * DIR/visits.csv: id, client (her card's id), name (her card's name, for
 * people; import checks it against the card), every visit field.
 *
 * As Excel opens a file by double-click: UTF-8 with a BOM (without it Excel
 * reads UTF-8 as the machine's code page), CRLF line ends, and the
 * separator of the node's country: ';' where the decimal separator is a
 * comma (Russia, Moldova, Romania, most of Europe: Excel there splits a
 * CSV at ';'), and there amounts are written with a decimal comma too
 * ("1500,50", which import reads); ',' elsewhere (China, the UK, the US).
 * No "sep=" line: with one Excel ignores the BOM.  A cell is quoted (RFC
 * 4180, "" for a quote) when it holds the separator, a quote, a line end,
 * or blanks at either end (import trims them).  A list's entries are
 * joined by "; " and split again on import; an entry that itself holds a
 * separator would come back as two, so those are counted and said (export
 * --json keeps them whole).
 *
 * Both files are written under temporary names and renamed when whole, so
 * a failed export leaves neither; a DIR that holds either file is refused.
 * Other records (patch tests, assessments, plans, feedback, points, the
 * catalogue) are only in export --json, and the closing line says how many.
 */
#include "cli.h"
#include "card.h"
#include "list.h"
#include "proto/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Countries whose Excel splits a CSV at ';' (their decimal separator is a comma). */
static const char semicolon_countries[] =
	" RU MD RO UA BY KZ KG UZ TJ AM AZ GE DE AT CH FR BE NL LU IT ES PT PL CZ SK HU SI HR"
	" BA RS ME MK AL BG GR TR LT LV EE FI SE NO DK IS BR AR CL CO PE UY VE ID VN ZA ";

struct csv_out {
	struct kt_cli *cli;
	MDB_txn *txn;
	FILE *f[2];      /* clients, visits */
	char sep;
	size_t n[2], others, split; /* rows of each, records in neither, list entries at risk */
};

/* Writes one cell (after a separator unless first), quoted when it must be. */
static void put_cell(FILE *f, char sep, const char *s, int first)
{
	size_t n = strlen(s);
	int quote = n > 0 && (strchr(s, sep) || strpbrk(s, "\"\r\n") || s[0] == ' ' ||
			      s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');

	if (!first)
		fputc(sep, f);
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Whether a list entry would come back from import as more than itself. */
static int splits(const char *entry)
{
	struct kt_span part;
	size_t pos = 0, n = strlen(entry), parts = 0;

	while (kt_list_next(entry, n, &pos, &part))
		parts++;
	return parts != 1;
}

/* A field's value of the fields object o as a cell's text; the caller frees it. */
static char *cell_text(struct csv_out *x, const struct kt_field *f, json_t *o)
{
	json_t *v = json_object_get(o, f->name), *it;
	char buf[64], *out;
	size_t n = 0, i, cap = 1;

	buf[0] = '\0';
	if (json_is_string(v)) {
		out = kt_strdup(json_string_value(v));
		if (f->vtype == KT_VT_MONEY && x->sep == ';' && strchr(out, '.'))
			*strchr(out, '.') = ','; /* "1500,50", as Excel there writes it */
		return out;
	}
	if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "yes" : "no");
	if (!json_is_array(v))
		return kt_strdup(buf);
	/* A set may hold more entries than one change: sized from its entries, never cut. */
	json_array_foreach(v, i, it)
		if (json_is_string(it))
			cap += strlen(json_string_value(it)) + 2;
	out = kt_malloc(cap);
	out[0] = '\0';
	json_array_foreach(v, i, it) {
		const char *e = json_string_value(it);
		size_t k;

		if (e == NULL)
			continue;
		x->split += splits(e);
		k = strlen(e);
		if (n > 0) {
			memcpy(out + n, "; ", 2);
			n += 2;
		}
		memcpy(out + n, e, k);
		n += k;
		out[n] = '\0';
	}
	return out;
}

static void put_header(struct csv_out *x, int which)
{
	const struct kt_field *fs[64];
	uint8_t type = which == 0 ? KT_T_CLIENT : KT_T_VISIT;
	size_t nf = kt_schema_fields(type, fs, 64);

	fputs("\xef\xbb\xbf", x->f[which]);
	put_cell(x->f[which], x->sep, "id", 1);
	if (which == 1) {
		put_cell(x->f[1], x->sep, "client", 0);
		put_cell(x->f[1], x->sep, "name", 0);
	}
	for (size_t i = 0; i < nf; i++)
		put_cell(x->f[which], x->sep, fs[i]->name, 0);
	if (which == 0)
		put_cell(x->f[0], x->sep, "merged_into", 0);
	fputs("\r\n", x->f[which]);
}

/* The name on card owner into out ("" when it cannot be read). */
static void owner_name(struct csv_out *x, const char *owner, char *out, size_t cap)
{
	struct kt_id id;
	struct kt_rec r;

	out[0] = '\0';
	if (kt_id_parse(&id, owner) != 0)
		return;
	kt_rec_init(&r);
	if (kt_store_load(&x->cli->st, x->txn, &id, &r, NULL) == 0)
		kt_card_text(&r, "name", out, cap);
	kt_rec_release(&r);
}

static int put_record(void *ctx, const struct kt_id *id, uint8_t type)
{
	struct csv_out *x = ctx;
	const struct kt_field *fs[64];
	int which = type == KT_T_CLIENT ? 0 : type == KT_T_VISIT ? 1 : -1;
	size_t nf;
	struct kt_rec r;
	json_t *o, *fields;
	char name[KT_VALUE_BYTES_MAX + 1];

	if (which < 0) {
		x->others++;
		return 0;
	}
	kt_rec_init(&r);
	if (kt_store_load(&x->cli->st, x->txn, id, &r, &x->cli->err) != 0) {
		kt_rec_release(&r);
		return -1;
	}
	o = kt_card_json(&r); /* values copied out before the txn ends */
	kt_rec_release(&r);
	fields = json_object_get(o, "fields");
	nf = kt_schema_fields(type, fs, 64);
	put_cell(x->f[which], x->sep, json_string_value(json_object_get(o, "id")), 1);
	if (which == 1) {
		const char *owner = json_string_value(json_object_get(o, "client"));

		put_cell(x->f[1], x->sep, owner ? owner : "", 0);
		owner_name(x, owner ? owner : "", name, sizeof(name));
		put_cell(x->f[1], x->sep, name, 0);
	}
	for (size_t i = 0; i < nf; i++) {
		char *text = cell_text(x, fs[i], fields);

		put_cell(x->f[which], x->sep, text, 0);
		free(text);
	}
	if (which == 0) {
		json_t *m = json_object_get(o, "merged_into");

		put_cell(x->f[0], x->sep, json_is_string(m) ? json_string_value(m) : "", 0);
	}
	fputs("\r\n", x->f[which]);
	json_decref(o);
	x->n[which]++;
	return ferror(x->f[which]) ? kt_err_set(&x->cli->err, KT_EIO, "cannot write: %s",
						 strerror(errno)) : 0;
}

/* The separator for the node's country setting (see above). */
static char country_sep(struct kt_cli *cli)
{
	struct kt_settings set;
	const char *cc = kt_cli_settings(cli, &set)->country;
	char key[8];

	snprintf(key, sizeof(key), " %.2s ", cc);
	return strlen(cc) == 2 && strstr(semicolon_countries, key) != NULL ? ';' : ',';
}

/* Opens DIR/name's temporary file into *f; 1 (printed) when it cannot. */
static int open_tmp(const char *dir, const char *name, char *tmp, size_t cap, FILE **f)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, F_OK) == 0)
		return kt_cli_failf("export: '%s' exists; export into a new or empty folder", path);
	snprintf(tmp, cap, "%s/.%s.tmp", dir, name);
	/* Mode 0600: a card is personal data, as the store's files are. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 || (*f = fdopen(fd, "w")) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return kt_cli_failf("export: cannot write '%s': %s", tmp, strerror(e));
	}
	return 0;
}

int kt_cli_export_csv(struct kt_cli *cli, const char *dir)
{
	static const char *const names[2] = { "clients.csv", "visits.csv" };
	struct csv_out x;
	char tmp[2][4096], path[4096];
	int rc = 1;

	memset(&x, 0, sizeof(x));
	x.cli = cli;
	tmp[0][0] = tmp[1][0] = '\0';
	if (kt_cli_act(cli, "export", KT_CAN_EXPORT))
		return 1;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return kt_cli_failf("export: cannot make the folder '%s': %s", dir, strerror(errno));
	x.sep = country_sep(cli);
	if (open_tmp(dir, names[0], tmp[0], sizeof(tmp[0]), &x.f[0]) != 0 ||
	    open_tmp(dir, names[1], tmp[1], sizeof(tmp[1]), &x.f[1]) != 0)
		goto leave;
	put_header(&x, 0);
	put_header(&x, 1);
	if (kt_store_rdtxn(&cli->st, &x.txn, &cli->err) != 0) {
		kt_cli_fail(cli);
		goto leave;
	}
	kt_err_clear(&cli->err);
	kt_cli_audit_all(cli, "export", KT_P_CARD, NULL);
	rc = kt_store_each(&cli->st, x.txn, 0, put_record, &x, &cli->err) != 0;
	mdb_txn_abort(x.txn);
	if (rc) {
		kt_cli_failf("export: %s", cli->err.msg[0] ? cli->err.msg : "cannot read the store");
		goto leave;
	}
	for (int i = 0; i < 2; i++) {
		int bad = fflush(x.f[i]) != 0 || fsync(fileno(x.f[i])) != 0;

		bad |= fclose(x.f[i]) != 0;
		x.f[i] = NULL;
		if (bad) {
			rc = kt_cli_failf("export: cannot write '%s': %s", tmp[i], strerror(errno));
			goto leave;
		}
	}
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (rename(tmp[i], path) != 0) {
			rc = kt_cli_failf("export: cannot write '%s': %s", path, strerror(errno));
			goto leave;
		}
		tmp[i][0] = '\0';
	}
	if (x.split > 0)
		fprintf(stderr, "warning: %zu list entries hold a ',' or ';' and will read back as "
			"several; export --json keeps them whole\n", x.split);
	fprintf(stderr, "wrote %zu cards to %s/%s and %zu visits to %s/%s (separator '%c')",
		x.n[0], dir, names[0], x.n[1], dir, names[1], x.sep);
	if (x.others > 0)
		fprintf(stderr, "; %zu other records (patch tests, assessments, ...) are in export "
			"--json only", x.others);
	fputc('\n', stderr);
	return 0;
leave:
	for (int i = 0; i < 2; i++) {
		if (x.f[i] != NULL)
			fclose(x.f[i]);
		if (tmp[i][0] != '\0')
			unlink(tmp[i]); /* a file renamed already is whole, and stays */
	}
	return rc ? rc : 1;
}
