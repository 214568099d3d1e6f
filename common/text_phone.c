/*
 * text_phone.c - phone numbers as text (text.h: kt_text_phone_ascii,
 * kt_text_phone_like, kt_text_phone_number): a typed number made ASCII for
 * libphonenumber, the test whether a text looks like one, and the number
 * without its extension.
 */
#include "text.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* The value of decimal digit c (category Nd): digits come in runs of ten, 0 to 9. */
static int digit_value(utf8proc_int32_t c)
{
	int k = 0;

	while (k < 64 && utf8proc_category(c - k - 1) == UTF8PROC_CATEGORY_ND)
		k++;
	return k % 10;
}

size_t kt_text_phone_ascii(const char *s, size_t n, char *out, size_t cap)
{
	utf8proc_uint8_t *f = NULL;
	const utf8proc_uint8_t *p;
	size_t o = 0;

	kt_assert(cap > 0);
	out[0] = '\0';
	if (!kt_text_valid(s, n) ||
	    utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &f,
			 UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_IGNORE |
			 UTF8PROC_LUMP | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD) < 0)
		return 0;
	for (p = f; *p && o + 1 < cap;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k;
		char ch;

		/*
		 * The Russian words for an extension ("доб. 12", "вн. 12",
		 * "внутр. 12") as libphonenumber's "ext. 12": the word, to its
		 * end, becomes "ext".
		 */
		if (strncmp((const char *)p, "доб", 6) == 0 || strncmp((const char *)p, "вн", 4) == 0) {
			const char *ext = "ext";

			while (*ext && o + 1 < cap)
				out[o++] = *ext++;
			while (*p && utf8proc_iterate(p, -1, &c) > 0 && c >= 0x0400 && c <= 0x04ff)
				p += utf8proc_iterate(p, -1, &c);
			continue;
		}
		k = utf8proc_iterate(p, -1, &c);
		kt_assert(k > 0); /* utf8proc wrote it */
		p += k;
		if (c < 0x80)
			ch = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		else if (utf8proc_category(c) == UTF8PROC_CATEGORY_ND)
			ch = (char)('0' + digit_value(c));
		else if (utf8proc_category(c) == UTF8PROC_CATEGORY_PD)
			ch = '-';
		else
			ch = ' '; /* a letter of another script: a note, as a space */
		out[o++] = ch;
	}
	out[o] = '\0';
	free(f);
	return o;
}

int kt_text_phone_like(const char *s, int min_digits)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	int digits = 0;

	while (*p) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &c);

		if (k <= 0)
			return 0;
		p += k;
		if (c >= '0' && c <= '9') {
			digits++;
			continue;
		}
		if (c < 0x80 ? strchr(" +-().", (int)c) != NULL && c != 0 : 0)
			continue;
		switch (utf8proc_category(c)) {
		case UTF8PROC_CATEGORY_ND:
			digits++;
			break;
		case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_CF:
			break;
		default:
			if (c != 0xff0b && c != 0xff08 && c != 0xff09) /* full-width + ( ) */
				return 0;
		}
	}
	return digits >= min_digits;
}


size_t kt_text_phone_number(const char *ascii, char *out, size_t cap)
{
	static const char *const marks[] = { "ext", "x", "#", ";", ",", "доб", "вн" };
	size_t end = strlen(ascii), n;

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		const char *m = strstr(ascii, marks[i]);

		if (m != NULL && (size_t)(m - ascii) < end)
			end = (size_t)(m - ascii);
	}
	n = end < cap ? end : cap - 1;
	memcpy(out, ascii, n);
	out[n] = '\0';
	return n;
}
