/*
 * import_sniff.c - what a file handed to import holds, before it is parsed
 * (see import.h, "What the file looks like"), and other character sets to
 * UTF-8 through glibc's iconv.
 *
 * Office programs save more than CSV: a workbook (.xlsx is a zip, .xls an
 * OLE2 compound file), a PDF, an HTML or XML table, "Unicode text" (UTF-16
 * with a BOM, tab-separated), or CSV in the Windows code page of the
 * machine (Windows-1251 on a Russian one).  Each is told by its first bytes
 * or by its bytes not being UTF-8, and refused in one line saying what it
 * looks like and how to save it as wanted; UTF-16 with a BOM is decoded.
 */
#include "import.h"
#include "proto/limits.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How many bytes from the start are looked at to tell a binary file. */
#define SNIFF_BYTES 4096

/* Offset of the first byte of data that is not UTF-8 (NUL counts as text), or len. */
static size_t utf8_bad_at(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4 : 0;
		unsigned cp;

		if (n == 0 || len - i < n || (n == 2 && c < 0xc2))
			return i;
		cp = n == 1 ? c : c & (0x7f >> n);
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return i; /* overlong, a surrogate, or past Unicode */
		i += n;
	}
	return len;
}

static int line_of(const char *s, size_t at)
{
	int line = 1;

	for (const char *p = s; (p = memchr(p, '\n', (size_t)(s + at - p))) != NULL; p++)
		line++;
	return line;
}

/* The kind of file data's first bytes say it is, or NULL. */
static const char *binary_kind(const char *data, size_t len)
{
	static const struct {
		const char *magic;
		size_t n;
		const char *what;
	} kinds[] = {
		{ "PK\x03\x04", 4, "this looks like an Excel .xlsx file (or another zip: .ods, "
		  ".numbers); save it as \"CSV UTF-8\" and import that" },
		{ "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "this looks like an old Excel .xls file "
		  "(or another Office document); save it as \"CSV UTF-8\" and import that" },
		{ "%PDF-", 5, "this looks like a PDF; export the table from the program that made "
		  "it as \"CSV UTF-8\"" },
		{ "{\\rtf", 5, "this looks like an RTF document; save the table as \"CSV UTF-8\"" },
		{ "\xff\xfe\0\0", 4, "this looks like UTF-32 text; save it as \"CSV UTF-8\"" },
		{ "\0\0\xfe\xff", 4, "this looks like UTF-32 text; save it as \"CSV UTF-8\"" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (len >= kinds[i].n && memcmp(data, kinds[i].magic, kinds[i].n) == 0)
			return kinds[i].what;
	if (len >= 5 && (strncasecmp(data, "<?xml", 5) == 0 || strncasecmp(data, "<html", 5) == 0 ||
			 strncasecmp(data, "<!doc", 5) == 0 || strncasecmp(data, "<tabl", 5) == 0))
		return "this looks like an XML or HTML file (Excel's \"XML Spreadsheet\" or a web "
		       "page), not CSV; save the table as \"CSV UTF-8\"";
	return NULL;
}

/* What data is when NUL bytes fill its start (UTF-16 without a BOM, or binary), or NULL. */
static const char *nul_kind(const char *data, size_t len)
{
	size_t n = len < SNIFF_BYTES ? len : SNIFF_BYTES, nul = 0, odd = 0;

	for (size_t i = 0; i < n; i++) {
		nul += data[i] == '\0';
		odd += data[i] == '\0' && i % 2 == 1;
	}
	/* One NUL is a damaged cell (a bad row); text of a NUL in every 16 bytes is not. */
	if (nul < 4 || nul * 16 < n)
		return NULL;
	/* UTF-16's NULs are the high bytes of ASCII letters: all on odd (LE) or even (BE) bytes. */
	if (odd * 10 >= nul * 9 || odd * 10 <= nul)
		return "this looks like UTF-16 text without a byte-order mark; save it as "
		       "\"CSV UTF-8\" (or as \"Unicode text\", which has one)";
	return "this looks like a binary file, not text; want a CSV saved as \"CSV UTF-8\" "
	       "or a Kartoteka export";
}

int kt_import_text(const char *data, size_t len, const char **text, size_t *text_len,
		   char **owned, struct kt_err *err)
{
	const char *kind = binary_kind(data, len);
	size_t bad;

	*text = data;
	*text_len = len;
	*owned = NULL;
	if (kind != NULL)
		return kt_err_set(err, KT_EINVAL, "line 1: %s", kind);
	if (len >= 2 && ((data[0] == '\xff' && data[1] == '\xfe') ||
			 (data[0] == '\xfe' && data[1] == '\xff'))) {
		/* Excel's "Unicode text": UTF-16 with a BOM, which iconv reads and drops. */
		int rc = kt_import_decode(data, len, "UTF-16", owned, text_len, err);

		*text = *owned;
		return rc;
	}
	if ((kind = nul_kind(data, len)) != NULL)
		return kt_err_set(err, KT_EINVAL, "line 1: %s", kind);
	if ((bad = utf8_bad_at((const unsigned char *)data, len)) < len)
		return kt_err_set(err, KT_EINVAL, "line %d: the file is not UTF-8 text (byte "
				  "0x%02x; a Windows code page: Windows-1251 for Russian, 1250 for "
				  "Romanian, GBK for Chinese); save it as \"CSV UTF-8\", or import it "
				  "with --encoding cp1251 (cp1250, gbk)", line_of(data, bad),
				  (unsigned char)data[bad]);
	return 0;
}

int kt_import_decode(const char *data, size_t len, const char *encoding, char **out,
		     size_t *outlen, struct kt_err *err)
{
	iconv_t cd;
	char *in = (char *)data, *o;
	size_t left = len, room, cap;
	int utf16 = strncasecmp(encoding, "utf-16", 6) == 0 || strncasecmp(encoding, "utf16", 5) == 0;

	*out = NULL;
	*outlen = 0;
	if (len > KT_IMPORT_FILE_BYTES_MAX)
		return kt_err_set(err, KT_ETOOBIG, "the file is over the limit of %llu bytes",
				  (unsigned long long)KT_IMPORT_FILE_BYTES_MAX);
	if (!utf16 && utf8_bad_at((const unsigned char *)data, len) == len) {
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)data[i] >= 0x80)
				return kt_err_set(err, KT_EINVAL, "the file is UTF-8 already "
						  "(line %d has UTF-8 letters): import it without "
						  "--encoding", line_of(data, i));
	}
	if ((cd = iconv_open("UTF-8", encoding)) == (iconv_t)-1)
		return kt_err_set(err, KT_EINVAL, "unknown encoding '%.32s' (try cp1251, cp1250, "
				  "gbk or utf-16)", encoding);
	/* Room for the text twice over, grown while iconv asks (bounded by the limit). */
	cap = len * 2 + 16;
	*out = kt_malloc(cap);
	o = *out;
	room = cap - 1;
	while (left > 0) {
		size_t at;

		if (iconv(cd, &in, &left, &o, &room) != (size_t)-1)
			continue;
		if (errno == E2BIG && cap <= KT_IMPORT_FILE_BYTES_MAX) {
			at = (size_t)(o - *out);
			cap *= 2;
			*out = kt_realloc(*out, cap);
			o = *out + at;
			room = cap - 1 - at;
			continue;
		}
		if (errno == E2BIG)
			break; /* over the limit: said below */
		iconv_close(cd);
		*o = '\0';
		kt_err_set(err, KT_EINVAL, "line %d: byte 0x%02x is not %s text%s",
			   line_of(*out, (size_t)(o - *out)), (unsigned char)*in, encoding,
			   errno == EINVAL ? " (the file ends inside a character)" : "");
		free(*out);
		*out = NULL;
		return KT_EINVAL;
	}
	iconv_close(cd);
	*o = '\0';
	*outlen = (size_t)(o - *out);
	if (left > 0 || *outlen > KT_IMPORT_FILE_BYTES_MAX) {
		free(*out);
		*out = NULL;
		return kt_err_set(err, KT_ETOOBIG, "the file in UTF-8 is over the limit of %llu "
				  "bytes", (unsigned long long)KT_IMPORT_FILE_BYTES_MAX);
	}
	return 0;
}
