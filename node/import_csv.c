/*
 * import_csv.c - the CSV reader of import (see import.h for the format):
 * cells and rows within KT_IMPORT_LINE_BYTES_MAX, the header's columns
 * (import_header.c names them), and each row's cells as values through the
 * rows of import.c (import_int.h).
 *
 * One buffer is reused for every row, so memory stays within the file's
 * size and two KT_IMPORT_LINE_BYTES_MAX.
 */
#include "import.h"
#include "import_int.h"
#include "list.h"
#include "card.h"
#include "proto/limits.h"
#include "proto/schema.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* ---- CSV ---- */

enum { CSV_END = 0, CSV_ROW = 1, CSV_LONG = -1, CSV_OPEN = -2 };

/* The current record: its cells, each NUL-terminated, in one reused buffer. */
struct csv {
	const char *p, *end;
	char sep;
	int line;       /* the line the next record starts on */
	char *buf;
	size_t n, cap;
	size_t *cell;   /* offset of each cell in buf */
	size_t ncells, capcells;
	size_t nul;     /* 1 + the first cell of the record holding a NUL byte; 0: none */
	uint8_t type;   /* what each row is: KT_T_CLIENT, KT_T_VISIT or KT_T_CATALOGUE */
};

/*
 * Columns of the header: a field, the "type" column, one with no name, the
 * record's id, a card's merged_into, and a visit's client: by her card's
 * id, her phone, her email, or her name (checked against the card found).
 */
enum { COL_FIELD, COL_TYPE, COL_NONE, COL_ID, COL_MERGED, COL_CLIENT, COL_BY_PHONE,
       COL_BY_EMAIL, COL_BY_NAME, COL_SKIP /* the sheet's row numbers: "№", "#" */,
       COL_NAME_PART /* a part of her name (surname, ...): a card's name, a visit's by_name */ };
struct col {
	int kind;
	const struct kt_field *f;
	const char *part; /* COL_NAME_PART: which (kt_import_name_part), else NULL */
};

static void buf_put(struct csv *c, char ch)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->buf = kt_realloc(c->buf, c->cap);
	}
	c->buf[c->n++] = ch;
}

static void cell_open(struct csv *c)
{
	if (c->ncells == c->capcells) {
		c->capcells = c->capcells ? c->capcells * 2 : 32;
		c->cell = kt_realloc(c->cell, c->capcells * sizeof(*c->cell));
	}
	c->cell[c->ncells++] = c->n;
}

/* Whether the current cell holds only blanks so far (a quote may open it). */
static int cell_blank(const struct csv *c)
{
	for (size_t i = c->cell[c->ncells - 1]; i < c->n; i++)
		if (c->buf[i] != ' ' && c->buf[i] != '\t')
			return 0;
	return 1;
}

/* One byte inside quotes; returns whether the quotes are still open. */
static int csv_quoted(struct csv *c, char ch)
{
	if (ch == '"') {
		if (c->p < c->end && *c->p == '"') {
			c->p++;
			buf_put(c, '"');
			return 1;
		}
		return 0;
	}
	if (ch == '\r' && c->p < c->end && *c->p == '\n')
		return 1; /* a CRLF inside a cell is kept as LF */
	if (ch == '\0' && c->nul == 0)
		c->nul = c->ncells;
	c->line += ch == '\n';
	buf_put(c, ch);
	return 1;
}

/*
 * Skips the rest of an over-long record, to a newline outside quotes,
 * counting lines.  memchr() keeps a 1 GiB line of junk to a fraction of a
 * second; each byte is looked at a bounded number of times.
 */
static int csv_skip(struct csv *c, int q)
{
	const char *nl = NULL, *qt;

	while (c->p < c->end) {
		if (nl == NULL || nl < c->p) {
			nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
			nl = nl ? nl : c->end;
		}
		if ((qt = memchr(c->p, '"', (size_t)(nl - c->p))) != NULL) {
			q = !q;
			c->p = qt + 1;
			continue;
		}
		c->p = nl;
		if (nl == c->end)
			break;
		c->p++;
		c->line++;
		if (!q)
			return CSV_LONG;
	}
	return q ? CSV_OPEN : CSV_LONG;
}

/* Reads the next record into c: CSV_ROW, CSV_END, CSV_LONG (skipped) or CSV_OPEN. */
static int csv_next(struct csv *c)
{
	const char *start = c->p;
	int q = 0, quoted = 0;

	c->n = 0;
	c->ncells = 0;
	c->nul = 0;
	if (c->p >= c->end)
		return CSV_END;
	cell_open(c);
	while (c->p < c->end) {
		char ch;

		/* The limit counts the record's bytes with its newline. */
		if ((size_t)(c->p - start) >= KT_IMPORT_LINE_BYTES_MAX)
			return csv_skip(c, q);
		ch = *c->p++;
		if (q) {
			q = csv_quoted(c, ch);
		} else if (ch == '"' && !quoted && cell_blank(c)) {
			c->n = c->cell[c->ncells - 1];
			q = quoted = 1;
		} else if (ch == c->sep) {
			buf_put(c, '\0');
			cell_open(c);
			quoted = 0;
		} else if (ch == '\n') {
			c->line++;
			break;
		} else if (ch != '\r' || (c->p < c->end && *c->p != '\n')) {
			if (ch == '\0' && c->nul == 0)
				c->nul = c->ncells; /* a NUL would cut the cell short: the row is bad */
			buf_put(c, ch); /* a CR ending a line is dropped */
		}
	}
	buf_put(c, '\0');
	return q ? CSV_OPEN : CSV_ROW;
}

/* Cell i of the current record, trimmed of blanks in place. */
static char *csv_cell(struct csv *c, size_t i)
{
	char *s = c->buf + c->cell[i];
	size_t k = strlen(s);

	while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		s[--k] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The separator: a comma, else ';' or a tab when the first line has no comma. */
static char csv_sep(const char *p, const char *end)
{
	size_t n = (size_t)(end - p) < KT_IMPORT_LINE_BYTES_MAX ? (size_t)(end - p)
		   : KT_IMPORT_LINE_BYTES_MAX; /* a longer header is refused anyway */
	const char *nl = memchr(p, '\n', n);

	n = nl ? (size_t)(nl - p) : n;

	if (memchr(p, ',', n) != NULL)
		return ',';
	if (memchr(p, ';', n) != NULL)
		return ';';
	return memchr(p, '\t', n) != NULL ? '\t' : ',';
}

/*
 * Whether the header row is one of visits: a client CSV (type KT_T_CLIENT)
 * holds visits when a column names a visit's field that is not a card's
 * (date, services, amount, specialist, ...; "client", her card's id, too).
 */
static int header_is_visits(struct csv *c)
{
	for (size_t i = 0; c->type == KT_T_CLIENT && i < c->ncells; i++) {
		const char *cell = csv_cell(c, i), *v = kt_import_column(KT_T_VISIT, cell);

		if (v != NULL && strcmp(v, "id") != 0 && strcmp(v, "type") != 0 &&
		    kt_import_column(KT_T_CLIENT, cell) == NULL)
			return 1;
	}
	return 0;
}

/* A visit file's column that names her by a card's field: phone, email, name or a part of it. */
static int visit_by(const char *cell)
{
	const char *f = kt_import_column(KT_T_CLIENT, cell);

	if (f == NULL)
		return COL_NONE;
	return strcmp(f, "phone") == 0 ? COL_BY_PHONE : strcmp(f, "email") == 0 ? COL_BY_EMAIL
	       : strcmp(f, "name") == 0 ? COL_BY_NAME
	       : kt_import_name_part(f) != NULL ? COL_NAME_PART : COL_NONE;
}

static int unknown_col(const char *cell, uint8_t type, struct kt_err *err)
{
	char names[1024];

	kt_import_column_names(type, names, sizeof(names));
	return kt_err_set(err, KT_EINVAL, "line 1: unknown column '%.64s' (the columns of a "
			  "file of %ss are %s%s, or their names in Russian, Romanian or Chinese: "
			  "see import --help)", cell, kt_schema_type_name(type), names,
			  type == KT_T_VISIT ? "; and the client by client (her card's id), "
			  "phone, email, name (or surname, given_name, patronymic)"
			  : type == KT_T_CLIENT ? "; or name in parts: surname, given_name, "
			  "patronymic" : "");
}

static int header_col(const char *cell, uint8_t type, struct col *col, const struct col *prev,
		      size_t nprev, struct kt_err *err)
{
	const char *name = kt_import_column(type, cell);
	int by = type == KT_T_VISIT && name == NULL ? visit_by(cell) : COL_NONE;

	col->f = NULL;
	col->part = NULL;
	if (*cell == '\0')
		col->kind = COL_NONE;
	else if (name != NULL && strcmp(name, "row_number") == 0)
		col->kind = COL_SKIP;
	else if (by != COL_NONE || (type == KT_T_CLIENT && kt_import_name_part(name) != NULL)) {
		col->kind = by != COL_NONE ? by : COL_NAME_PART;
		if (col->kind == COL_NAME_PART)
			col->part = kt_import_name_part(name ? name : kt_import_column(KT_T_CLIENT,
											 cell));
	}
	else if (name == NULL)
		return unknown_col(cell, type, err);
	else if (strcmp(name, "type") == 0)
		col->kind = COL_TYPE;
	else if (strcmp(name, "id") == 0)
		col->kind = COL_ID;
	else if (strcmp(name, "merged_into") == 0)
		col->kind = COL_MERGED;
	else if (strcmp(name, "client") == 0)
		col->kind = COL_CLIENT;
	else if ((col->f = kt_schema_field_named(type, name)) != NULL)
		col->kind = COL_FIELD;
	else
		return unknown_col(cell, type, err);
	for (size_t i = 0; i < nprev; i++)
		if (col->kind != COL_NONE && prev[i].kind == col->kind && prev[i].f == col->f &&
		    prev[i].part == col->part && (col->f == NULL || col->f->merge != KT_M_SET))
			return kt_err_set(err, KT_EINVAL, "line 1: column '%s' appears twice",
					  col->f ? col->f->name : cell);
	return 0;
}

/* Reads the header row into *cols (the caller frees it); a visits file sets c->type. */
static int csv_header(struct csv *c, struct col **cols, size_t *ncols, struct kt_err *err)
{
	int rc = csv_next(c), named = 0, by = 0;
	const char *whole = NULL, *part = NULL; /* the first name column, the first part's */

	if (rc == CSV_END)
		return kt_err_set(err, KT_EINVAL, "the file is empty: no header row");
	if (rc != CSV_ROW)
		return kt_err_set(err, KT_EINVAL, "line 1: %s", rc == CSV_LONG
				  ? "the header row is over the limit of 256 KiB"
				  : "a quoted cell is never closed");
	if (c->nul != 0)
		return kt_err_set(err, KT_EINVAL, "line 1: column %zu of the header holds a NUL "
				  "byte", c->nul);
	if (header_is_visits(c))
		c->type = KT_T_VISIT;
	*cols = kt_calloc(c->ncells, sizeof(**cols));
	*ncols = c->ncells;
	for (size_t i = 0; i < c->ncells; i++) {
		struct col *col = &(*cols)[i];

		if ((rc = header_col(csv_cell(c, i), c->type, col, *cols, i, err)) != 0)
			return rc;
		named |= col->f != NULL && strcmp(col->f->name, "name") == 0;
		by |= col->kind == COL_CLIENT || col->kind == COL_BY_PHONE ||
		      col->kind == COL_BY_EMAIL;
		if (whole == NULL && ((col->f != NULL && strcmp(col->f->name, "name") == 0) ||
				      col->kind == COL_BY_NAME))
			whole = csv_cell(c, i);
		if (part == NULL && col->kind == COL_NAME_PART)
			part = csv_cell(c, i);
	}
	if (whole != NULL && part != NULL)
		return kt_err_set(err, KT_EINVAL, "line 1: column '%.64s' is the whole name and "
				  "column '%.64s' a part of it: a file gives the name in one column "
				  "or in parts (surname, given_name, patronymic), not both",
				  whole, part);
	if (c->type == KT_T_VISIT && !by)
		return kt_err_set(err, KT_EINVAL, "line 1: a file of visits needs a column naming "
				  "the client: client (her card's id), phone or email");
	if (c->type != KT_T_VISIT && !named && part == NULL)
		return kt_err_set(err, KT_EINVAL, "line 1: no 'name' column (the header row names "
				  "%s fields: name, ...%s)", kt_schema_type_name(c->type),
				  c->type == KT_T_CLIENT ? "; or the name in parts: surname, "
				  "given_name, patronymic" : "");
	return 0;
}

/*
 * Whether a phone cell is a number a spreadsheet wrote in scientific
 * notation ("7,91235E+10", "7.91E+10", "8E10"): Excel shows a long number
 * so when the column is not text, and saves what it shows, so the digits
 * past the sixth are lost.  Such a cell names nobody.
 */
static int rounded_number(const char *v)
{
	const char *p = v + (*v == '+' || *v == '-');
	size_t digits = strspn(p, "0123456789");

	if (digits == 0)
		return 0;
	p += digits;
	if (*p == '.' || *p == ',')
		p += 1 + strspn(p + 1, "0123456789");
	if (*p != 'e' && *p != 'E')
		return 0;
	p++;
	p += *p == '+' || *p == '-';
	digits = strspn(p, "0123456789");
	return digits > 0 && p[digits] == '\0';
}

/* A CSV visit's client by her card's id: kept canonical, as JSON's "client". */
static void csv_client(struct parser *p, const char *v)
{
	struct kt_id id;

	if (kt_id_parse(&id, v) != 0)
		kt_import_row_bad(p, "client '%.64s' is not an id (the client column holds her card's id: "
			"name her by phone or email in a column of their own)", v);
	else
		kt_id_format(&id, p->r->client);
}

/* An id cell (the record's own, or the card it is merged into) into out. */
static void csv_id(struct parser *p, const char *v, const char *what, char out[KT_ID_TEXT_BYTES])
{
	struct kt_id id;

	if (kt_id_parse(&id, v) != 0)
		kt_import_row_bad(p, "%s '%.64s' is not an id (26 letters and digits)", what, v);
	else
		kt_id_format(&id, out);
}

/* A cell of a column that is not a field (id, type, a visit's client, ...). */
/* Whether the code point at s is a Han, kana or Hangul letter (names written without spaces). */
static int cjk_at(const char *s)
{
	utf8proc_int32_t c;

	if (utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &c) <= 0)
		return 0;
	return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) ||
	       (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7a3) ||
	       (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x3ffff);
}

/* Where the last code point of s[0..n) starts (n > 0). */
static size_t last_cp(const char *s, size_t n)
{
	size_t i = n - 1;

	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

static void csv_special(struct parser *p, const struct col *col, uint8_t type, size_t i, char *v)
{
	struct kt_import_row *r = p->r;

	switch (col->kind) {
	case COL_NONE:
		kt_import_row_bad(p, "a value in column %zu, which has no name in the header", i + 1);
		break;
	case COL_TYPE:
		if (kt_schema_type_parse(v) != type)
			kt_import_row_bad(p, "the rows of this file are %s records, not '%.64s'",
				kt_schema_type_name(type), v);
		break;
	case COL_ID:
		csv_id(p, v, "id", r->id);
		break;
	case COL_MERGED: {
		char to[KT_ID_TEXT_BYTES] = "";

		csv_id(p, v, "merged_into", to);
		if (to[0] != '\0')
			r->merged_into = kt_import_strndup(p->im, to, strlen(to));
		break;
	}
	case COL_CLIENT:
		csv_client(p, v);
		break;
	case COL_BY_PHONE:
		if (rounded_number(v))
			kt_import_row_bad(p, "phone '%.64s' was rounded by the spreadsheet (scientific "
				"notation): the number is lost, so it names nobody; format the "
				"column as text and save again", v);
		r->by_phone = kt_import_strndup(p->im, v, strlen(v));
		break;
	case COL_BY_EMAIL:
		r->by_email = kt_import_strndup(p->im, v, strlen(v));
		break;
	case COL_BY_NAME:
		r->by_name = kt_import_strndup(p->im, v, strlen(v));
		break;
	case COL_NAME_PART: { /* joined at the row's end (name_from_parts) */
		size_t n = strlen(v);

		if (p->nparts + n + 2 > p->capparts) {
			p->capparts = (p->nparts + n + 2) * 2;
			p->parts = kt_realloc(p->parts, p->capparts);
		}
		if (p->nparts > 0 && !(cjk_at(p->parts + last_cp(p->parts, p->nparts)) && cjk_at(v)))
			p->parts[p->nparts++] = ' '; /* 王 and 芳 are 王芳: CJK names have no space */
		memcpy(p->parts + p->nparts, v, n + 1);
		p->nparts += n;
		break;
	}
	default: /* COL_SKIP */
		break;
	}
}

/* One cell of a row: a list field's entries split as common/list.h says. */
static void csv_value(struct parser *p, const struct col *col, uint8_t type, size_t i, char *v)
{
	struct kt_span part;
	size_t pos = 0, n = strlen(v);

	if (*v == '\0')
		return;
	if (!kt_text_valid(v, strlen(v))) {
		kt_import_row_bad(p, "column %zu is not valid UTF-8 (save the file as \"CSV UTF-8\")", i + 1);
	} else if (col->kind != COL_FIELD) {
		csv_special(p, col, type, i, v);
	} else if (col->f->vtype == KT_VT_PHONE && rounded_number(v)) {
		/* The row is good without it, but the import must be told (--skip-bad). */
		if (p->r->dropped == NULL)
			p->r->dropped = kt_import_row_text(p->im, "phone '%.64s' was rounded by "
							   "the spreadsheet (scientific notation) and its "
							   "digits are lost; format the column as text and "
							   "save again (--skip-bad imports the row without "
							   "the phone)", v);
	} else if (col->f->merge != KT_M_SET) {
		kt_import_row_value(p, col->f, v);
	} else {
		/*
		 * Each entry is cut out in place: the NUL lands on the entry's
		 * end (a blank or its separator), which the walk has passed.
		 */
		while (kt_list_next(v, n, &pos, &part)) {
			((char *)part.s)[part.n] = '\0';
			kt_import_row_value(p, col->f, part.s);
		}
	}
}

/*
 * The name a row's parts make, in the order of the file's columns (empty
 * ones left out): a card's name, checked as a name cell is; a visit's
 * by_name.  None at all: a card has no name (kt_import_row_end says so).
 */
static void name_from_parts(struct parser *p, uint8_t type)
{
	if (p->nparts == 0 || p->r->bad != NULL)
		return;
	if (type == KT_T_VISIT)
		p->r->by_name = kt_import_strndup(p->im, p->parts, p->nparts);
	else
		kt_import_row_value(p, kt_schema_field_named(KT_T_CLIENT, "name"), p->parts);
}

/* Whether every cell of the current record is blank (a row to skip). */
static int csv_blank(struct csv *c)
{
	for (size_t i = 0; i < c->ncells; i++)
		if (*csv_cell(c, i) != '\0')
			return 0;
	return 1;
}

static int csv_rows(struct parser *p, struct csv *c, const struct col *cols, size_t ncols,
		    struct kt_err *err)
{
	for (;;) {
		int line = c->line, rc = csv_next(c);

		if (rc == CSV_END)
			return 0;
		if (rc == CSV_OPEN)
			return kt_err_set(err, KT_EINVAL, "line %d: a quoted cell starts here and "
					  "is never closed", line);
		if (rc == CSV_ROW && csv_blank(c) && c->nul == 0)
			continue;
		if (p->im->n >= KT_IMPORT_ROWS_MAX)
			return kt_err_set(err, KT_ETOOBIG, "line %d: more than %d rows: split "
					  "the file", line, KT_IMPORT_ROWS_MAX);
		/* Empty cells past the header's columns are a spreadsheet's padding. */
		while (rc == CSV_ROW && c->ncells > ncols && *csv_cell(c, c->ncells - 1) == '\0' &&
		       c->nul != c->ncells)
			c->ncells--;
		kt_import_row_begin(p, line, c->type);
		if (rc == CSV_LONG)
			kt_import_row_bad(p, "row over the limit of %u bytes", KT_IMPORT_LINE_BYTES_MAX);
		else if (c->nul != 0)
			kt_import_row_bad(p, "column %zu holds a NUL byte (the file is damaged, or not text)",
				c->nul);
		else if (c->ncells != ncols) /* a cell too few shifts nothing, but says a value is lost */
			kt_import_row_bad(p, "%zu cell%s but the header names %zu columns (an empty cell still "
				"needs its separator)", c->ncells, c->ncells == 1 ? "" : "s", ncols);
		for (size_t i = 0; rc == CSV_ROW && i < c->ncells && i < ncols; i++)
			csv_value(p, &cols[i], c->type, i, csv_cell(c, i));
		name_from_parts(p, c->type);
		if (c->type == KT_T_VISIT && p->r->bad == NULL && !kt_draft_has(p->d, "date"))
			kt_import_row_bad(p, "a visit needs its date");
		kt_import_row_end(p);
	}
}

/* CSV of UTF-8 text (kt_import_text has looked at it); dates read in form. */
int kt_import_csv_parse(struct kt_import *im, const char *data, size_t len, uint8_t type,
			int form, struct kt_err *err)
{
	struct csv c;
	struct col *cols = NULL;
	struct parser *p = NULL;
	size_t ncols = 0;
	int rc;

	memset(im, 0, sizeof(*im));
	im->date_form = form;
	if (len > KT_IMPORT_FILE_BYTES_MAX)
		return kt_err_set(err, KT_ETOOBIG, "the file is over the limit of %llu bytes",
				  (unsigned long long)KT_IMPORT_FILE_BYTES_MAX);
	memset(&c, 0, sizeof(c));
	c.p = data;
	c.end = data + len;
	c.line = 1;
	c.type = type;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	c.sep = csv_sep(c.p, c.end);
	if (c.end - c.p >= 4 && strncasecmp(c.p, "sep=", 4) == 0) {
		/*
		 * Excel's first line "sep=;" names the separator; the header is
		 * the next line.  One character, then the line's end.
		 */
		const char *q = c.p + 4;

		if (q >= c.end || *q == '\r' || *q == '\n' ||
		    !(q + 1 == c.end || q[1] == '\n' || (q[1] == '\r' && (q + 2 == c.end || q[2] == '\n'))))
			return kt_err_set(err, KT_EINVAL, "line 1: 'sep=' must name one separator "
					  "character (as Excel writes it: sep=;)");
		c.sep = *q;
		c.p = q + 1;
		if (c.p < c.end && *c.p == '\r')
			c.p++;
		if (c.p < c.end && *c.p == '\n')
			c.p++;
		c.line = 2;
	}
	if ((rc = csv_header(&c, &cols, &ncols, err)) == 0) {
		p = kt_import_parser_new(im);
		rc = csv_rows(p, &c, cols, ncols, err);
	}
	kt_import_parser_free(p);
	free(cols);
	free(c.buf);
	free(c.cell);
	return rc;
}
