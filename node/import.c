/* import.c - CSV and JSON import files to rows (see import.h). */
#include "import.h"
#include "proto/limits.h"
#include "proto/schema.h"
#include "text.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct kt_import_row *new_row(struct kt_import *im, int line, uint8_t type)
{
	struct kt_import_row *r;

	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 64;
		im->rows = kt_realloc(im->rows, im->cap * sizeof(*im->rows));
	}
	r = &im->rows[im->n++];
	memset(r, 0, sizeof(*r));
	r->line = line;
	r->type = type;
	return r;
}

static void add_field(struct kt_import_row *r, const char *name, const char *v, size_t n,
		      int add)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->f = kt_realloc(r->f, r->cap * sizeof(*r->f));
	}
	r->f[r->n].name = kt_strdup(name);
	r->f[r->n].value = kt_strndup(v, n);
	r->f[r->n].add = (uint8_t)add;
	r->n++;
}

static void row_bad(struct kt_import_row *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (r->bad != NULL)
		return; /* the first problem is the one reported */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->bad = kt_strdup(buf);
}

void kt_import_release(struct kt_import *im)
{
	for (size_t i = 0; i < im->n; i++) {
		for (uint32_t k = 0; k < im->rows[i].n; k++) {
			free(im->rows[i].f[k].name);
			free(im->rows[i].f[k].value);
		}
		free(im->rows[i].f);
		free(im->rows[i].bad);
	}
	free(im->rows);
	memset(im, 0, sizeof(*im));
}

/* ---- CSV ---- */

/* A CSV reader over the whole file: one record (row of cells) at a time. */
struct csv {
	const char *p, *end;
	int line;        /* line the next record starts on */
	char *cell;      /* the current cell, unescaped */
	size_t cn, ccap;
	char **cells;    /* cells of the current record (point into cellbuf copies) */
	size_t ncells, cap;
};

static void cell_put(struct csv *c, char ch)
{
	if (c->cn + 1 >= c->ccap) {
		c->ccap = c->ccap ? c->ccap * 2 : 256;
		c->cell = kt_realloc(c->cell, c->ccap);
	}
	c->cell[c->cn++] = ch;
}

static void cell_end(struct csv *c)
{
	if (c->ncells == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->cells = kt_realloc(c->cells, c->cap * sizeof(char *));
	}
	c->cells[c->ncells++] = kt_strndup(c->cell ? c->cell : "", c->cn);
	c->cn = 0;
}

static void record_clear(struct csv *c)
{
	for (size_t i = 0; i < c->ncells; i++)
		free(c->cells[i]);
	c->ncells = 0;
}

/* Skips the rest of an over-long record: to the next newline outside quotes. */
static void csv_skip(struct csv *c, int q)
{
	while (c->p < c->end) {
		char ch = *c->p++;

		if (ch == '"')
			q = !q;
		else if (ch == '\n' && (c->line++, !q))
			return;
	}
}

/* Reads one record: 1, 0 at the end, -1 (with *why) for a bad one. */
static int csv_next(struct csv *c, const char **why)
{
	const char *start = c->p;
	int q = 0;

	record_clear(c);
	c->cn = 0;
	if (c->p >= c->end)
		return 0;
	while (c->p < c->end) {
		char ch = *c->p++;

		if ((size_t)(c->p - start) > KT_IMPORT_LINE_BYTES_MAX) {
			csv_skip(c, q);
			*why = "row longer than the limit of 256 KiB";
			return -1;
		}
		if (q) {
			if (ch != '"') {
				c->line += ch == '\n';
				cell_put(c, ch);
			} else if (c->p < c->end && *c->p == '"') {
				cell_put(c, '"');
				c->p++;
			} else {
				q = 0;
			}
		} else if (ch == '"' && c->cn == 0) {
			q = 1;
		} else if (ch == ',') {
			cell_end(c);
		} else if (ch == '\n') {
			c->line++;
			cell_end(c);
			return 1;
		} else if (ch != '\r' || c->p >= c->end || *c->p != '\n') {
			cell_put(c, ch);
		}
	}
	if (q) {
		*why = "a quoted cell is not closed";
		return -1;
	}
	cell_end(c);
	return 1;
}

static int csv_header(struct csv *c, char ***names, size_t *n, struct kt_err *err)
{
	const char *why = NULL;

	if (csv_next(c, &why) != 1)
		return kt_err_set(err, KT_EINVAL, "line 1: %s", why ? why : "no header row");
	*names = kt_calloc(c->ncells, sizeof(char *));
	*n = c->ncells;
	for (size_t i = 0; i < c->ncells; i++) {
		char *s = c->cells[i];
		size_t k = strlen(s);

		while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
			s[--k] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		for (char *t = s; *t; t++)
			if (*t >= 'A' && *t <= 'Z')
				*t = (char)(*t + 32);
		(*names)[i] = kt_strdup(s);
		if (kt_schema_field_named(KT_T_CLIENT, s) == NULL)
			return kt_err_set(err, KT_EINVAL, "line 1: unknown column '%.64s' (columns "
					  "name client fields: name, phone, email, birthday, ...)", s);
	}
	return 0;
}

/* Adds one cell to the row: list fields split on ';'. */
static void csv_cell(struct kt_import_row *r, const char *name, const char *v)
{
	const struct kt_field *f = kt_schema_field_named(KT_T_CLIENT, name);

	if (*v == '\0')
		return;
	if (f->merge != KT_M_SET) {
		add_field(r, name, v, strlen(v), 0);
		return;
	}
	while (*v) {
		size_t k = strcspn(v, ";");
		const char *s = v, *e = v + k;

		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e > s)
			add_field(r, name, s, (size_t)(e - s), 1);
		v += k + (v[k] == ';');
	}
}

static int parse_csv(struct kt_import *im, const char *data, size_t len, struct kt_err *err)
{
	struct csv c = { data, data + len, 1, NULL, 0, 0, NULL, 0, 0 };
	char **names = NULL;
	size_t nnames = 0;
	const char *why;
	int rc, line;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	if ((rc = csv_header(&c, &names, &nnames, err)) != 0)
		goto done;
	for (line = c.line; (rc = csv_next(&c, &why)) != 0; line = c.line) {
		struct kt_import_row *r;

		if (rc > 0 && c.ncells == 1 && c.cells[0][0] == '\0')
			continue; /* a blank line */
		if (im->n >= KT_IMPORT_ROWS_MAX) {
			rc = kt_err_set(err, KT_ETOOBIG, "more than %d rows", KT_IMPORT_ROWS_MAX);
			goto done;
		}
		r = new_row(im, line, KT_T_CLIENT);
		if (rc < 0) {
			row_bad(r, "%s", why);
			continue;
		}
		if (c.ncells > nnames)
			row_bad(r, "%zu cells but the header names %zu columns", c.ncells, nnames);
		for (size_t i = 0; i < c.ncells && i < nnames; i++)
			csv_cell(r, names[i], c.cells[i]);
	}
	rc = 0;
done:
	record_clear(&c);
	free(c.cells);
	free(c.cell);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- JSON ---- */

static void json_value(struct kt_import_row *r, const char *name, json_t *v)
{
	char buf[32];
	size_t i;
	json_t *it;

	switch (json_typeof(v)) {
	case JSON_STRING:
		add_field(r, name, json_string_value(v), json_string_length(v), 0);
		break;
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		add_field(r, name, buf, strlen(buf), 0);
		break;
	case JSON_TRUE: case JSON_FALSE:
		add_field(r, name, json_is_true(v) ? "yes" : "no", json_is_true(v) ? 3 : 2, 0);
		break;
	case JSON_NULL:
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, it) {
			if (!json_is_string(it)) {
				row_bad(r, "'%.64s' holds a list item that is not text", name);
				return;
			}
			add_field(r, name, json_string_value(it), json_string_length(it), 1);
		}
		break;
	default:
		row_bad(r, "'%.64s' has a value of the wrong type", name);
	}
}

static void json_record(struct kt_import *im, json_t *rec, int line)
{
	json_t *type = json_object_get(rec, "type"), *fields = json_object_get(rec, "fields");
	json_t *id = json_object_get(rec, "id"), *client = json_object_get(rec, "client");
	struct kt_import_row *r = new_row(im, line, 0);
	const char *k;
	json_t *v;

	if (!json_is_object(rec) || !json_is_string(type) || !json_is_object(fields)) {
		row_bad(r, "not a record: wants \"type\" and \"fields\"");
		return;
	}
	r->type = (uint8_t)kt_schema_type_parse(json_string_value(type));
	if (r->type == 0)
		row_bad(r, "unknown record type '%.32s'", json_string_value(type));
	if (json_is_string(id) && json_string_length(id) < sizeof(r->id))
		strcpy(r->id, json_string_value(id));
	else if (id != NULL)
		row_bad(r, "bad id");
	if (json_is_string(client) && json_string_length(client) < sizeof(r->client))
		strcpy(r->client, json_string_value(client));
	else if (r->type != 1 /* client */ && r->type != 0)
		row_bad(r, "a %s needs its \"client\"", kt_schema_type_name(r->type));
	json_object_foreach(fields, k, v)
		json_value(r, k, v);
}

static int parse_json(struct kt_import *im, const char *data, size_t len, struct kt_err *err)
{
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je), *recs;
	size_t i;
	json_t *rec;

	if (root == NULL)
		return kt_err_set(err, KT_EINVAL, "line %d: %s", je.line, je.text);
	recs = json_object_get(root, "records");
	if (!json_is_string(json_object_get(root, "format")) ||
	    strcmp(json_string_value(json_object_get(root, "format")), "kartoteka-export") != 0 ||
	    !json_is_array(recs)) {
		json_decref(root);
		return kt_err_set(err, KT_EINVAL, "not a Kartoteka export (wants \"format\": "
				  "\"kartoteka-export\" and \"records\")");
	}
	if (json_array_size(recs) > KT_IMPORT_ROWS_MAX) {
		json_decref(root);
		return kt_err_set(err, KT_ETOOBIG, "more than %d records", KT_IMPORT_ROWS_MAX);
	}
	im->json = 1;
	json_array_foreach(recs, i, rec)
		json_record(im, rec, (int)i + 1);
	json_decref(root);
	return 0;
}

int kt_import_parse(struct kt_import *im, const char *data, size_t len, struct kt_err *err)
{
	size_t i = 0;

	memset(im, 0, sizeof(*im));
	if (len > KT_IMPORT_FILE_BYTES_MAX)
		return kt_err_set(err, KT_ETOOBIG, "file over %llu bytes",
				  (unsigned long long)KT_IMPORT_FILE_BYTES_MAX);
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
		i++;
	if (i < len && data[i] == '{')
		return parse_json(im, data + i, len - i, err);
	return parse_csv(im, data, len, err);
}
