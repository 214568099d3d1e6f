/*
 * import.h - import files to rows: parsing and per-row checks, no store.
 *
 * Two formats, told apart by content: when the first byte that is not
 * blank (after an optional UTF-8 BOM) is '{' the file is JSON, else CSV.
 *
 * JSON is exactly what `kt-node export` prints:
 *   {"format":"kartoteka-export","version":1,"records":[
 *     {"id":ID,"type":"client","fields":{...}},
 *     {"id":ID,"type":"visit","client":CLIENT_ID,"fields":{...}}, ...]}
 * A field value is a string, an integer (int and money fields), true/false
 * (yes/no fields), an array of strings (list fields) or null (no value).
 * "merged_into" (a card merged into another) is kept.  Objects with a
 * duplicate key are refused (JSON_REJECT_DUPLICATES).  A record's line is
 * its position in "records" counted from 1: messages say "record N".
 *
 * CSV (RFC 4180, leniently): cells separated by commas (by ';' or a tab
 * when the header row holds no comma, as spreadsheets in some locales save
 * it); a cell in double quotes may hold the separator, "" for a quote and
 * newlines; lines end in LF or CRLF; an optional UTF-8 BOM.  The header row
 * names client fields (case and surrounding blanks ignored, "Skin type"
 * is skin_type); an optional column "type" may only say "client".  Each
 * further row is one client card.  A list field (allergies, tags, ...)
 * holds several values separated by ',' or ';' (or the other separators
 * of common/list.h: "латекс, орехи" is two allergies).  Cells are trimmed of spaces and
 * tabs; empty cells are skipped; rows with no value at all are skipped.
 * Lines are counted in the file (a quoted newline counts), the header is
 * line 1.
 *
 * Every value is checked by the schema (kt_draft_field() on a scratch
 * draft): type, calendar dates, ranges, size, UTF-8, unknown fields.  A date
 * cell or value may be written as the branch writes dates (node/dates.h:
 * 25.11.1990 in Russia, with kt_import_parse_dates()); the row keeps it as
 * ISO.  A
 * problem with one row goes on that row (row->bad) so the caller reports
 * every bad row; a problem with the whole file (an unknown column, a JSON
 * syntax error, a file over the limits, a quote never closed) is the return
 * code with a message in err.  Sizes from the file are never trusted:
 * KT_IMPORT_FILE_BYTES_MAX, KT_IMPORT_ROWS_MAX, KT_IMPORT_LINE_BYTES_MAX per
 * CSV row and KT_OPS_MAX values per row are checked before use.
 */
#ifndef KT_IMPORT_H
#define KT_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "id.h"

struct kt_import_field {
	const char *name;  /* the schema's spelling (static storage) */
	const char *value; /* NUL-terminated text as a user would type it */
	uint8_t add;       /* 1: one item of a list field (KT_OP_ADD), 0: KT_OP_SET */
};

struct kt_import_row {
	int line;                         /* CSV line or JSON record number */
	uint8_t type;                     /* KT_T_*; 0 when the record's type is bad */
	char id[KT_ID_TEXT_BYTES];        /* "" for a new record (every CSV row) */
	char client[KT_ID_TEXT_BYTES];    /* owning client of a non-client record */
	const char *merged_into;          /* JSON cards only: the card's alias, or NULL */
	const char *bad;                  /* why the row cannot be imported, or NULL */
	const char *override;             /* a visit the safety check refused, imported
					     with this override reason (import --override) */
	const char *note;                 /* a past visit the check would refuse today,
					     imported as recorded: what it would say */
	uint32_t n;                       /* fields, at most KT_OPS_MAX */
	struct kt_import_field *f;
};

struct kt_import_chunk;

/*
 * Parsed rows.  Every string a row points to (values, bad, merged_into)
 * lives in the import's own chunks and stays valid until
 * kt_import_release(), so drafts may borrow them until then.
 */
struct kt_import {
	size_t n, cap;
	struct kt_import_row *rows;
	int json;                       /* 1: rows came from JSON ("record N") */
	int date_form;                  /* enum kt_dates_form the dates are read in */
	struct kt_import_chunk *chunks; /* storage of the rows' strings */
};

/*
 * Parses data[0..len) (detecting the format, see above) into im, which is
 * set up here.  Returns 0 (rows may still be bad) or a negative KT_E* code
 * with err set for a problem with the whole file.  Either way im must be
 * released with kt_import_release().  data need not be NUL-terminated.
 */
int kt_import_parse(struct kt_import *im, const char *data, size_t len, struct kt_err *err);

/*
 * The same, reading dates in form (enum kt_dates_form of node/dates.h: the
 * branch's own besides ISO; the other entry points read ISO only); type 0
 * detects JSON or client CSV as kt_import_parse(), another type reads CSV
 * rows of that type as kt_import_parse_csv_as().
 */
int kt_import_parse_dates(struct kt_import *im, const char *data, size_t len, uint8_t type,
			  int form, struct kt_err *err);

/* The same, for one format (fuzz targets and tests call these). */
int kt_import_parse_csv(struct kt_import *im, const char *data, size_t len,
			struct kt_err *err);
/*
 * CSV whose rows are records of type (KT_T_CLIENT as kt_import_parse_csv,
 * or KT_T_CATALOGUE: the header names catalogue fields); an optional
 * "type" column must name that type.
 */
int kt_import_parse_csv_as(struct kt_import *im, const char *data, size_t len, uint8_t type,
			   struct kt_err *err);
int kt_import_parse_json(struct kt_import *im, const char *data, size_t len,
			 struct kt_err *err);

/*
 * Marks row r of im bad with a formatted reason, unless it is bad already
 * (the first problem found is the one reported).  For the caller's own
 * checks (ids already in the store, records of unknown clients).
 */
void kt_import_mark_bad(struct kt_import *im, struct kt_import_row *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets row r's note (a warning printed when it is imported); the first one stays. */
void kt_import_note(struct kt_import *im, struct kt_import_row *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Frees what im holds and zeroes it; im may be NULL, zeroed or already released. */
void kt_import_release(struct kt_import *im);

#endif
