/*
 * import.h - import files to rows: parsing and per-row checks, no store.
 *
 * Two formats, told apart by content: when the first byte that is not
 * blank (after an optional UTF-8 BOM) is '{' or '[' the file is JSON, else
 * CSV.  Before either, kt_import_text() looks at what the bytes are: a
 * workbook, PDF, HTML, binary file or text not in UTF-8 is refused in one
 * line saying so; UTF-16 with a BOM is decoded.
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
 * it; a first line "sep=X" names it); a cell in double quotes may hold the
 * separator, "" for a quote and newlines; lines end in LF or CRLF; an
 * optional UTF-8 BOM.  The header row names the columns by the schema's
 * names or their aliases in four languages (kt_import_column: "ФИО",
 * "Телефон", "Data nașterii", "过敏"); "id" keeps a record's id,
 * "merged_into" a card's merge, a "№" column is passed over, "type" may
 * only name the file's type.  A file of client cards has a name column,
 * or the name in parts (surname, given_name, patronymic: joined in the
 * order of the columns, one space between those not empty), not both.
 * A file of visits is told by its header (a visit's column that is no
 * card's: date, services, ...); each row names her by "client" (her card's
 * id, into row->client) or by her phone or email (row->by_phone, by_email,
 * and by_name to check; the caller finds the card), and needs a date.  A
 * list field (allergies, tags, ...) holds several values separated by ','
 * or ';' (common/list.h).  Cells are trimmed of spaces and tabs; empty
 * cells are skipped, and so are empty ones past the header's columns; rows
 * with no value at all are skipped.  A NUL byte makes its row bad.  A
 * phone in scientific notation (7,91235E+10: a spreadsheet rounded it) is
 * left out of a card's row with row->dropped saying so, and makes a visit's
 * row bad.  Lines are counted in the file (a quoted newline counts), the
 * header is line 1.
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
	const char *dropped;              /* a value left out of a good row (a phone a
					     spreadsheet rounded): the import counts the
					     row bad unless --skip-bad, which writes the row
					     without it; the message says why */
	/*
	 * A CSV visit's client as the file names her, when not by her card's
	 * id (client): her phone, her email, and her name to check the card
	 * found against.  NULL when the file has no such cell or it is empty;
	 * the caller finds the card (cmd_io.c) and fills client.
	 */
	const char *by_phone, *by_email, *by_name;
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

/*
 * Header aliases (import_header.c): the field of rtype a header cell names,
 * in any of the chain's four languages ("ФИО", "Nume complet", "姓名" and
 * "Name" are name; "Фамилия", "Prenume", "名" and "Last name" are parts of
 * it), compared ignoring case, accents, blanks, punctuation and a BOM.
 * Returns the schema's spelling (static storage), one of the columns that
 * are not fields ("id", "type", "row_number" for a sheet's "№" or "#",
 * "merged_into" of a card, "client" of a visit: the id of her card), or
 * NULL when the cell names nothing of rtype.
 */
const char *kt_import_column(uint8_t rtype, const char *cell);

/*
 * Whether column (what kt_import_column() returned) is a part of a card's
 * name: "surname", "given_name" or "patronymic" (static storage), else NULL.
 * A file of cards or visits may give the name in parts instead of one name
 * column (not both); a row's parts are joined in the order of the file's
 * columns, one space between those not empty.
 */
const char *kt_import_name_part(const char *column);

/*
 * Writes rtype's columns with their other names, one field a line
 * ("  phone: Телефон, Тел., ..."), into out (cap bytes, NUL-terminated,
 * cut short when full): what `import --help` prints.  Returns the length.
 */
size_t kt_import_columns_text(uint8_t rtype, char *out, size_t cap);

/* Writes rtype's field names, ", "-separated, into out as above; returns the length. */
size_t kt_import_column_names(uint8_t rtype, char *out, size_t cap);

/*
 * For the table's own test: 0 when every name of the table leads back to
 * its own column, else 1 with the first clash described in out.
 */
int kt_import_columns_clash(char *out, size_t cap);

/*
 * What the file looks like (import_sniff.c): sets *text, *text_len to the
 * UTF-8 text to parse: data itself, or for UTF-16 with a BOM (Excel's
 * "Unicode text") its decoding into *owned, which the caller frees (NULL
 * when nothing was decoded).  Returns 0, or KT_EINVAL with one line in err
 * saying what the file looks like and what is wanted: a workbook (.xlsx,
 * .xls), a PDF, RTF, HTML or XML, UTF-32, UTF-16 without a BOM, a binary
 * file, or text that is not UTF-8 (naming the line, and --encoding).
 */
int kt_import_text(const char *data, size_t len, const char **text, size_t *text_len,
		   char **owned, struct kt_err *err);

/*
 * Converts data[0..len) from the character set `encoding` (an iconv name:
 * "cp1251", "cp1250", "gbk", "utf-16") to UTF-8 in a new buffer *out of
 * *outlen bytes (NUL-terminated; the caller frees it).  Returns 0, or
 * KT_EINVAL with err naming the line of a byte the set does not have (or an
 * unknown set, or a file that is UTF-8 already and would be garbled), or
 * KT_ETOOBIG for a result over KT_IMPORT_FILE_BYTES_MAX.
 */
int kt_import_decode(const char *data, size_t len, const char *encoding, char **out,
		     size_t *outlen, struct kt_err *err);

#endif
