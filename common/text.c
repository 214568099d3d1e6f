/*
 * text.c - UTF-8 checks and search normalisation over utf8proc (see text.h).
 *
 * Folding is one utf8proc_map() call: compatibility decomposition, case
 * folding, dropping combining marks, recomposition.  Word splitting walks
 * the folded string once by code point, with no allocation per word.
 */
#include "text.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int kt_text_valid(const char *s, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;

	while (n > 0) {
		utf8proc_ssize_t k;

		if (*p > 0 && *p < 0x80) { /* ASCII: no decoding needed */
			p++;
			n--;
			continue;
		}
		k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);

		if (k <= 0 || cp == 0)
			return 0;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

char *kt_text_fold(const char *s, size_t n)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t r;

	size_t i;

	for (i = 0; i < n && (unsigned char)s[i] > 0 && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == n) { /* ASCII folds to itself, lower-cased: skip utf8proc */
		char *f = kt_malloc(n + 1);

		for (i = 0; i < n; i++)
			f[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
		f[n] = '\0';
		return f;
	}
	if (!kt_text_valid(s, n))
		return NULL;
	r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
			 UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
			 UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
	if (r < 0)
		return NULL;
	return (char *)out;
}

/* CJK ideographs and syllables: each is a word of its own. */
static int is_cjk(utf8proc_int32_t c)
{
	return (c >= 0x3040 && c <= 0x30ff) ||   /* Hiragana, Katakana */
	       (c >= 0x3400 && c <= 0x4dbf) ||   /* CJK extension A */
	       (c >= 0x4e00 && c <= 0x9fff) ||   /* CJK unified ideographs */
	       (c >= 0xac00 && c <= 0xd7af) ||   /* Hangul syllables */
	       (c >= 0xf900 && c <= 0xfaff) ||   /* CJK compatibility ideographs */
	       (c >= 0x20000 && c <= 0x2fa1f);   /* extensions B onwards */
}

static int is_word_char(utf8proc_int32_t c)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

/* Emits one word, cut to KT_WORD_BYTES_MAX at a code point boundary. */
static int emit(const char *w, size_t len, kt_word_fn fn, void *ctx)
{
	if (len > KT_WORD_BYTES_MAX) {
		len = KT_WORD_BYTES_MAX;
		while (len > 0 && ((unsigned char)w[len] & 0xc0) == 0x80)
			len--; /* w[len] continues a code point: cut before it */
	}
	return len ? fn(ctx, w, len) : 0;
}

int kt_text_words(const char *s, size_t n, kt_word_fn fn, void *ctx)
{
	char *f = kt_text_fold(s, n);
	const char *p, *start = NULL;
	int rc = 0;

	if (f == NULL)
		return -1;
	for (p = f; *p && rc == 0;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)p, -1, &c);

		if (k <= 0)
			break;
		if (is_cjk(c)) {
			if (start != NULL)
				rc = emit(start, (size_t)(p - start), fn, ctx);
			start = NULL;
			if (rc == 0)
				rc = emit(p, (size_t)k, fn, ctx);
		} else if (is_word_char(c)) {
			if (start == NULL)
				start = p;
		} else if (start != NULL) {
			rc = emit(start, (size_t)(p - start), fn, ctx);
			start = NULL;
		}
		p += k;
	}
	if (rc == 0 && start != NULL)
		rc = emit(start, (size_t)(p - start), fn, ctx);
	free(f);
	return rc;
}

int kt_text_has_prefix(const char *w, size_t wn, const char *p, size_t pn)
{
	return wn >= pn && memcmp(w, p, pn) == 0;
}

/* Folded words of a text, as offsets into one buffer. */
#define PHRASE_WORDS_MAX 512
struct words {
	size_t n;
	const char *w[PHRASE_WORDS_MAX];
	size_t len[PHRASE_WORDS_MAX];
	char *buf;
	size_t used, cap;
};

static int keep_word(void *ctx, const char *w, size_t len)
{
	struct words *ws = ctx;

	if (ws->n >= PHRASE_WORDS_MAX || ws->used + len > ws->cap)
		return 1;
	memcpy(ws->buf + ws->used, w, len);
	ws->w[ws->n] = ws->buf + ws->used;
	ws->len[ws->n++] = len;
	ws->used += len;
	return 0;
}

static void words_of(struct words *ws, const char *s)
{
	size_t n = strlen(s);

	ws->n = 0;
	ws->used = 0;
	ws->cap = 4 * n + 16; /* folding grows text by at most 3x (ß → ss) */
	ws->buf = kt_malloc(ws->cap);
	kt_text_words(s, n, keep_word, ws);
}

int kt_text_phrase_in(const char *needle, const char *hay)
{
	struct words a, b;
	int found = 0;

	words_of(&a, needle);
	words_of(&b, hay);
	for (size_t i = 0; a.n > 0 && i + a.n <= b.n && !found; i++) {
		size_t k = 0;

		while (k < a.n && a.len[k] == b.len[i + k] &&
		       memcmp(a.w[k], b.w[i + k], a.len[k]) == 0)
			k++;
		found = k == a.n;
	}
	free(a.buf);
	free(b.buf);
	return found;
}
