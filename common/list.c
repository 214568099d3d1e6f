/*
 * list.c - splitting a list value into entries (see list.h).  Byte-level:
 * every separator and blank is a fixed UTF-8 sequence, so no decoding.
 */
#include "list.h"

#include <string.h>

/* Length of the separator at s[i] (0: none); s[0..n) is the whole value. */
static size_t sep_at(const char *s, size_t n, size_t i)
{
	unsigned char c = (unsigned char)s[i];

	if (c == ',')
		return i > 0 && i + 1 < n && s[i - 1] >= '0' && s[i - 1] <= '9' &&
		       s[i + 1] >= '0' && s[i + 1] <= '9' ? 0 : 1; /* 0,5: a decimal comma */
	if (c == ';' || c == '\n' || c == '\r')
		return 1;
	if (i + 3 <= n && (!memcmp(s + i, "\xef\xbc\x8c", 3) ||  /* U+FF0C ， */
			   !memcmp(s + i, "\xef\xbc\x9b", 3) ||  /* U+FF1B ； */
			   !memcmp(s + i, "\xe3\x80\x81", 3) ||  /* U+3001 、 */
			   !memcmp(s + i, "\xef\xb9\x90", 3) ||  /* U+FE50 ﹐ */
			   !memcmp(s + i, "\xef\xb9\x91", 3) ||  /* U+FE51 ﹑ */
			   !memcmp(s + i, "\xef\xb9\x94", 3) ||  /* U+FE54 ﹔ */
			   !memcmp(s + i, "\xe2\x80\x9a", 3)))   /* U+201A ‚ */
		return 3;
	if (i + 2 <= n && (!memcmp(s + i, "\xd8\x8c", 2) ||      /* U+060C ، */
			   !memcmp(s + i, "\xd8\x9b", 2)))        /* U+061B ؛ */
		return 2;
	return 0;
}

/* Length of the blank at s[i] (0: none). */
static size_t blank_at(const char *s, size_t n, size_t i)
{
	if (s[i] == ' ' || s[i] == '\t')
		return 1;
	if (i + 2 <= n && !memcmp(s + i, "\xc2\xa0", 2))                 /* U+00A0 */
		return 2;
	if (i + 3 <= n && (!memcmp(s + i, "\xe2\x80\xaf", 3) ||          /* U+202F */
			   !memcmp(s + i, "\xe2\x80\x89", 3) ||          /* U+2009 */
			   !memcmp(s + i, "\xe3\x80\x80", 3)))           /* U+3000 */
		return 3;
	return 0;
}

/* Length of the blank that ends s[0..e) (0: none). */
static size_t blank_before(const char *s, size_t e)
{
	for (size_t k = 1; k <= 3 && k <= e; k++)
		if (blank_at(s, e, e - k) == k)
			return k;
	return 0;
}

/* Length of the bracket at s[i]: +len an opener, -len a closer, 0 none. */
static int bracket_at(const char *s, size_t n, size_t i)
{
	unsigned char c = (unsigned char)s[i];

	if (c == '(' || c == '[' || c == '{')
		return 1;
	if (c == ')' || c == ']' || c == '}')
		return -1;
	if (i + 3 <= n && !memcmp(s + i, "\xef\xbc\x88", 3)) /* U+FF08 （ */
		return 3;
	if (i + 3 <= n && !memcmp(s + i, "\xef\xbc\x89", 3)) /* U+FF09 ） */
		return -3;
	return 0;
}

size_t kt_list_bracket_end(const char *s, size_t n, size_t i)
{
	int depth = 0, k;

	if (i >= n || bracket_at(s, n, i) <= 0)
		return 0;
	while (i < n && s[i] != '\n' && s[i] != '\r') {
		k = bracket_at(s, n, i);
		if (k > 0)
			depth++;
		else if (k < 0 && --depth == 0)
			return i - (size_t)k;
		i += k > 0 ? (size_t)k : k < 0 ? (size_t)-k : 1;
	}
	return 0; /* never closed: an ordinary character */
}

int kt_list_next(const char *s, size_t n, size_t *pos, struct kt_span *part)
{
	size_t i = *pos;

	while (i < n) {
		size_t b = i, e, k;

		while (b < n && (k = blank_at(s, n, b)) > 0)
			b += k;
		for (e = b; e < n && sep_at(s, n, e) == 0; e++) {
			size_t close = kt_list_bracket_end(s, n, e);

			if (close > 0)
				e = close - 1; /* "латекс (сыпь, отёк)" is one entry */
		}
		i = e < n ? e + sep_at(s, n, e) : n;
		while (e > b && (k = blank_before(s, e)) > 0)
			e -= k;
		if (e > b) {
			part->s = s + b;
			part->n = e - b;
			*pos = i;
			return 1;
		}
	}
	*pos = n;
	return 0;
}

size_t kt_list_count(const char *s, size_t n)
{
	struct kt_span p;
	size_t pos = 0, k = 0;

	while (kt_list_next(s, n, &pos, &p))
		k++;
	return k;
}
