/*
 * import_int.h - what import.c shares with its CSV reader, import_csv.c:
 * the import's storage and the row being built.  For those two files only.
 */
#ifndef KT_IMPORT_INT_H
#define KT_IMPORT_INT_H

#include "import.h"
#include "card.h"
#include "proto/limits.h"
#include "proto/schema.h"

#include <stddef.h>
#include <stdint.h>

/* The row being built; every value goes through the schema via d. */
struct parser {
	struct kt_import *im;
	struct kt_draft *d;
	struct kt_import_row *r;
	uint32_t ntmp;
	int named; /* the row has a non-empty name */
	char *parts;              /* the row's name parts so far, joined by a space */
	size_t nparts, capparts;
	struct kt_import_field tmp[KT_OPS_MAX];
};

/* A copy of s[0..n), NUL-terminated, in im's chunks (valid until kt_import_release). */
const char *kt_import_strndup(struct kt_import *im, const char *s, size_t n);

/* A row message formatted into im's chunks, as kt_import_strndup. */
const char *kt_import_row_text(struct kt_import *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A parser filling im's rows; kt_import_parser_free() accepts NULL. */
struct parser *kt_import_parser_new(struct kt_import *im);
void kt_import_parser_free(struct parser *p);

/* Starts a new row of type at line (appended to im->rows, on a fresh scratch draft). */
void kt_import_row_begin(struct parser *p, int line, uint8_t type);

/* Marks the row bad with a formatted reason, unless it is bad already. */
void kt_import_row_bad(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks one value (NUL-terminated text) of field f through the schema and keeps it. */
void kt_import_row_value(struct parser *p, const struct kt_field *f, const char *text);

/* Ends the row: the checks of a whole row, then its values into im's chunks. */
void kt_import_row_end(struct parser *p);

/*
 * import_csv.c: parses CSV data[0..len) whose rows are records of type,
 * reading dates in form, into im (set up here).  Returns 0 or a negative
 * KT_E* code with err set, as kt_import_parse_csv_as().
 */
int kt_import_csv_parse(struct kt_import *im, const char *data, size_t len, uint8_t type,
			int form, struct kt_err *err);

#endif
