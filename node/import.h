/*
 * import.h - parsing import files into rows, with no store involved.
 *
 * Two formats, told apart by the first non-blank byte ('{' is JSON):
 * - JSON: what `export --json` prints: {"format":"kartoteka-export",
 *   "version":1,"records":[{"id","type","client","fields":{...}}]}.  A
 *   record's line is its position in "records", counted from 1.
 * - CSV (RFC 4180: commas, double quotes with "" inside, quoted newlines,
 *   LF or CRLF, an optional UTF-8 BOM): a header row naming client fields,
 *   then one client card per row.  A list field (allergies, tags...) holds
 *   several values separated by ';'.  Empty cells are skipped.
 *
 * Every size is checked against proto/limits.h before it is trusted.
 * Problems with one row are kept on the row (bad != NULL) so the caller can
 * report all of them; a problem with the whole file is the return code.
 */
#ifndef KT_IMPORT_H
#define KT_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct kt_import_field {
	char *name;
	char *value;
	uint8_t add; /* a list element: added, not set */
};

struct kt_import_row {
	int line;           /* file line (CSV) or record number (JSON) */
	uint8_t type;       /* KT_T_* */
	char id[32];        /* JSON only: the record's id; "" for new */
	char client[32];    /* JSON only: the owning client of a non-client record */
	char *bad;          /* why the row cannot be imported, or NULL */
	uint32_t n, cap;
	struct kt_import_field *f;
};

struct kt_import {
	size_t n, cap;
	struct kt_import_row *rows;
	int json;
};

/* Parses data[0..len); fills im (release it with kt_import_release). */
int kt_import_parse(struct kt_import *im, const char *data, size_t len, struct kt_err *err);
void kt_import_release(struct kt_import *im);

#endif
