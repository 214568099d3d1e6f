/*
 * import.c - import files to checked rows (see import.h).
 *
 * Sections: JSON, and the entry points.  The storage every row string
 * lives in and the building of one row are import_row.c, under both this
 * file and the CSV reader, import_csv.c (import_int.h declares them).
 *
 * Memory stays within a small multiple of the file: a row's strings are
 * copied into large chunks rather than malloc'd one by one, a row holds at
 * most KT_OPS_MAX values (the scratch draft refuses more) and the CSV
 * reader reuses one buffer of at most two KT_IMPORT_LINE_BYTES_MAX.
 */
#include "import.h"
#include "import_int.h"
#include "card.h"
#include "proto/limits.h"
#include "proto/schema.h"
#include "dates.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON ---- */

static const char *json_wants(const struct kt_field *f)
{
	if (f->merge == KT_M_SET)
		return "a list of strings";
	switch (f->vtype) {
	case KT_VT_BOOL: return "true or false";
	case KT_VT_INT: return "an integer";
	case KT_VT_MONEY: return "an amount (\"1500.50\" or an integer)";
	default: return "a string";
	}
}

static void json_list(struct parser *p, const struct kt_field *f, json_t *v)
{
	size_t i;
	json_t *it;

	json_array_foreach(v, i, it) {
		if (!json_is_string(it)) {
			kt_import_row_bad(p, "'%s' holds an item that is not a string", f->name);
			return;
		}
		kt_import_row_value(p, f, json_string_value(it));
	}
}

static void json_field(struct parser *p, const char *name, json_t *v)
{
	const struct kt_field *f = kt_schema_field_named(p->r->type, name);
	int vt = f ? f->vtype : 0, list = f && f->merge == KT_M_SET;
	char buf[32];

	if (f == NULL) {
		kt_import_row_bad(p, "unknown field '%.64s' for a %s", name, kt_schema_type_name(p->r->type));
	} else if (json_is_string(v)) {
		kt_import_row_value(p, f, json_string_value(v));
	} else if (json_is_integer(v) && !list && (vt == KT_VT_INT || vt == KT_VT_MONEY)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		kt_import_row_value(p, f, buf);
	} else if (json_is_boolean(v) && !list && vt == KT_VT_BOOL) {
		kt_import_row_value(p, f, json_is_true(v) ? "yes" : "no");
	} else if (json_is_array(v) && list) {
		json_list(p, f, v);
	} else if (!json_is_null(v)) {
		kt_import_row_bad(p, "'%s' wants %s", f->name, json_wants(f));
	}
}

/* Copies the id in member key of rec to out; 1 when present, -1 when bad. */
static int json_id(struct parser *p, json_t *rec, const char *key, char out[KT_ID_TEXT_BYTES])
{
	json_t *v = json_object_get(rec, key);
	struct kt_id id;

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || kt_id_parse(&id, json_string_value(v)) != 0) {
		kt_import_row_bad(p, "bad \"%s\" (want an id of 26 letters and digits)", key);
		return -1;
	}
	kt_id_format(&id, out); /* canonical spelling: upper case, no aliases */
	return 1;
}

static void json_ids(struct parser *p, json_t *rec)
{
	struct kt_import_row *r = p->r;
	char alias[KT_ID_TEXT_BYTES];
	int has_client, has_alias;

	json_id(p, rec, "id", r->id);
	has_client = json_id(p, rec, "client", r->client);
	has_alias = json_id(p, rec, "merged_into", alias);
	if (kt_schema_self_owned(r->type) && has_client > 0)
		kt_import_row_bad(p, "a %s has no \"client\"", kt_schema_type_name(r->type));
	if (!kt_schema_self_owned(r->type) && r->type != 0 && has_client == 0)
		kt_import_row_bad(p, "a %s needs its \"client\"", kt_schema_type_name(r->type));
	if (r->type != KT_T_CLIENT && has_alias > 0)
		kt_import_row_bad(p, "only a client card can be \"merged_into\" another");
	if (has_alias > 0 && strcmp(alias, r->id) == 0)
		kt_import_row_bad(p, "a card cannot be merged into itself");
	if (has_alias > 0)
		r->merged_into = kt_import_strndup(p->im, alias, strlen(alias));
}

static void json_record(struct parser *p, json_t *rec, int line)
{
	json_t *type = json_object_get(rec, "type"), *fields = json_object_get(rec, "fields"), *v;
	int t = json_is_string(type) ? kt_schema_type_parse(json_string_value(type)) : 0;
	const char *k;

	kt_import_row_begin(p, line, (uint8_t)t);
	if (!json_is_object(rec)) {
		kt_import_row_bad(p, "not a record (want {\"id\", \"type\", \"fields\"})");
	} else if (!json_is_string(type)) {
		kt_import_row_bad(p, "no \"type\" (client, visit, patch_test, ...)");
	} else if (t == 0) {
		kt_import_row_bad(p, "unknown record type '%.32s'", json_string_value(type));
	} else if (!json_is_object(fields)) {
		kt_import_row_bad(p, "no \"fields\" object");
	} else {
		json_object_foreach(rec, k, v)
			if (strcmp(k, "id") != 0 && strcmp(k, "type") != 0 && strcmp(k, "client") != 0
			    && strcmp(k, "fields") != 0 && strcmp(k, "merged_into") != 0)
				kt_import_row_bad(p, "unknown key '%.64s'", k);
		json_ids(p, rec);
		json_object_foreach(fields, k, v)
			json_field(p, k, v);
	}
	kt_import_row_end(p);
}

/*
 * A JSON array alone is read as the "records" of an export (what `jq
 * .records` leaves of one); an array of plain objects ({"name": ...}, as
 * other programs write a table) is refused whole rather than as a bad
 * record per object.
 */
static json_t *json_array_records(json_t *root, struct kt_err *err)
{
	json_t *first = json_array_get(root, 0);

	if (first != NULL && (!json_is_object(first) || !json_is_string(json_object_get(first, "type"))
			      || !json_is_object(json_object_get(first, "fields")))) {
		kt_err_set(err, KT_EINVAL, "line 1: this looks like a JSON array of %s, not of "
			   "records as `kt-node export` writes them ({\"id\", \"type\", "
			   "\"fields\"}); save the table as CSV, or import an export",
			   json_is_object(first) ? "plain objects" : "values");
		return NULL;
	}
	if (json_array_size(root) > KT_IMPORT_ROWS_MAX) {
		kt_err_set(err, KT_ETOOBIG, "%zu records: more than the limit of %d, split the "
			   "file", json_array_size(root), KT_IMPORT_ROWS_MAX);
		return NULL;
	}
	return root;
}

/* Checks the envelope; returns the records array (borrowed from root) or NULL. */
static json_t *json_envelope(json_t *root, struct kt_err *err)
{
	json_t *format = json_object_get(root, "format"), *version = json_object_get(root, "version");
	json_t *recs = json_object_get(root, "records");

	if (json_is_array(root))
		return json_array_records(root, err);
	if (!json_is_string(format) || strcmp(json_string_value(format), "kartoteka-export") != 0
	    || !json_is_array(recs)) {
		kt_err_set(err, KT_EINVAL, "not a Kartoteka export (want {\"format\": "
			   "\"kartoteka-export\", \"version\": 1, \"records\": [...]})");
		return NULL;
	}
	if (!json_is_integer(version) || json_integer_value(version) != 1) {
		kt_err_set(err, KT_EINVAL, "export version %lld: this kt-node reads version 1",
			   json_is_integer(version) ? (long long)json_integer_value(version) : 0LL);
		return NULL;
	}
	if (json_array_size(recs) > KT_IMPORT_ROWS_MAX) {
		kt_err_set(err, KT_ETOOBIG, "%zu records: more than the limit of %d, split the "
			   "file", json_array_size(recs), KT_IMPORT_ROWS_MAX);
		return NULL;
	}
	return recs;
}

static int json_parse(struct kt_import *im, const char *data, size_t len, int form,
		      struct kt_err *err)
{
	json_error_t je;
	json_t *root, *recs, *rec;
	struct parser *p;
	size_t i;

	memset(im, 0, sizeof(*im));
	im->json = 1;
	im->date_form = form;
	if (len > KT_IMPORT_FILE_BYTES_MAX)
		return kt_err_set(err, KT_ETOOBIG, "the file is over the limit of %llu bytes",
				  (unsigned long long)KT_IMPORT_FILE_BYTES_MAX);
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return kt_err_set(err, KT_EINVAL, "line %d: %s", je.line, je.text);
	if ((recs = json_envelope(root, err)) == NULL) {
		json_decref(root);
		return err ? err->code : KT_EINVAL;
	}
	p = kt_import_parser_new(im);
	json_array_foreach(recs, i, rec)
		json_record(p, rec, (int)i + 1);
	kt_import_parser_free(p);
	json_decref(root);
	return 0;
}

/* ---- detection ---- */

/*
 * Runs parse over the text of data (kt_import_text: UTF-8 as it is, or
 * UTF-16 decoded), refusing what is not text first; dates read in form.
 */
static int parse_text(struct kt_import *im, const char *data, size_t len, uint8_t type, int form,
		      int (*parse)(struct kt_import *, const char *, size_t, uint8_t, int,
				   struct kt_err *), struct kt_err *err)
{
	const char *text;
	char *owned;
	size_t n;
	int rc;

	memset(im, 0, sizeof(*im));
	if (len > KT_IMPORT_FILE_BYTES_MAX)
		return kt_err_set(err, KT_ETOOBIG, "the file is over the limit of %llu bytes",
				  (unsigned long long)KT_IMPORT_FILE_BYTES_MAX);
	if ((rc = kt_import_text(data, len, &text, &n, &owned, err)) == 0)
		rc = parse(im, text, n, type, form, err);
	free(owned);
	return rc;
}

static int json_parse_as(struct kt_import *im, const char *data, size_t len, uint8_t type,
			 int form, struct kt_err *err)
{
	(void)type;
	return json_parse(im, data, len, form, err);
}

/* JSON when the first byte that is not blank (after a BOM) opens an object or array. */
static int any_parse(struct kt_import *im, const char *data, size_t len, uint8_t type,
		     int form, struct kt_err *err)
{
	size_t bom = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0, i = bom;

	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	/* jansson skips the blanks itself, so its line numbers count them. */
	if (type != 0)
		return kt_import_csv_parse(im, data, len, type, form, err);
	if (i < len && (data[i] == '{' || data[i] == '['))
		return json_parse(im, data + bom, len - bom, form, err);
	return kt_import_csv_parse(im, data, len, KT_T_CLIENT, form, err);
}

int kt_import_parse(struct kt_import *im, const char *data, size_t len, struct kt_err *err)
{
	return parse_text(im, data, len, 0, KT_DATES_ISO, any_parse, err);
}

int kt_import_parse_dates(struct kt_import *im, const char *data, size_t len, uint8_t type,
			  int form, struct kt_err *err)
{
	return parse_text(im, data, len, type, form, any_parse, err);
}

int kt_import_parse_csv(struct kt_import *im, const char *data, size_t len, struct kt_err *err)
{
	return parse_text(im, data, len, KT_T_CLIENT, KT_DATES_ISO, kt_import_csv_parse, err);
}

int kt_import_parse_csv_as(struct kt_import *im, const char *data, size_t len, uint8_t type,
			   struct kt_err *err)
{
	return parse_text(im, data, len, type, KT_DATES_ISO, kt_import_csv_parse, err);
}

int kt_import_parse_json(struct kt_import *im, const char *data, size_t len,
			 struct kt_err *err)
{
	return parse_text(im, data, len, 0, KT_DATES_ISO, json_parse_as, err);
}
