/*
 * list.h - the entries of a list value typed as one string.
 *
 * Staff type several allergies into one box ("latex, nuts"), and
 * spreadsheets hold them in one cell ("латекс; орехи"), so a list value is
 * split into entries wherever it holds a separator:
 *   ,  ;  newline (LF or CR)  and the full-width forms staff in China type:
 *   U+FF0C ，  U+FF1B ；  U+3001 、 (the enumeration comma), their small
 *   forms U+FE50 ﹐ U+FE51 ﹑ U+FE54 ﹔, the low comma U+201A ‚ (which looks
 *   like ','), and the Arabic comma and semicolon U+060C ، U+061B ؛.
 * A comma between two ASCII digits is a decimal comma ("изотретиноин 0,5
 * мг" is one entry), not a separator; so is a ',' or ';' inside brackets that
 * close before the end of the line ("латекс (сыпь, отёк)" is one entry; an
 * unclosed bracket is an ordinary character).  Each entry is trimmed of blanks
 * (space, tab, no-break space U+00A0, narrow no-break space U+202F, thin
 * space U+2009, ideographic space U+3000); empty entries are dropped.
 *
 * Used where a list value enters (the CLI's --add/--remove, import) and
 * where a stored one is read by the safety check, so a value stored whole
 * by an older version is still checked entry by entry.
 */
#ifndef KT_LIST_H
#define KT_LIST_H

#include <stddef.h>

struct kt_span {
	const char *s; /* borrowed from the value; not NUL-terminated */
	size_t n;
};

/*
 * Finds the next entry of s[0..n) at or after *pos: sets *part and moves
 * *pos past it and its separator, returning 1; returns 0 when no entry is
 * left.  *pos starts at 0.  Each call that returns 1 moves *pos forward,
 * so a loop over it ends.  Never reads past s + n.
 */
int kt_list_next(const char *s, size_t n, size_t *pos, struct kt_span *part);

/*
 * When s[i] opens a bracket ( [ { or U+FF08 that closes before the end of
 * s[0..n) or of its line, returns the index just past the closing bracket
 * (nesting counted); else 0.
 */
size_t kt_list_bracket_end(const char *s, size_t n, size_t i);

/* The number of entries of s[0..n). */
size_t kt_list_count(const char *s, size_t n);

#endif
