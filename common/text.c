/*
 * text.c - UTF-8 checks and search normalisation over utf8proc (see text.h).
 *
 * Folding is one utf8proc_map() call: compatibility decomposition, case
 * folding, dropping combining marks, recomposition.  Pure ASCII skips
 * utf8proc, since for it all of that is only A-Z to a-z.
 *
 * Words are found by a cursor, next_word(), over an already folded,
 * NUL-terminated, valid UTF-8 string.  A cursor is just a pointer, so
 * kt_text_words() and kt_text_phrase_in() walk the fold in place: no copy
 * and no allocation per word, and no cap on the number of words (a phrase
 * test that gave up after N words would miss an allergy named late in a
 * long list).
 *
 * A word is a run of code points of category L*, M*, N*.  Marks are kept
 * in the class for the header's sake, but UTF8PROC_STRIPMARK drops every
 * Mn, Mc and Me before we look, so in practice a word is letters and
 * digits.  A CJK letter (see is_cjk) is always a word of one code point.
 *
 * NEEDSWORK: STRIPMARK drops every mark, not only accents: the Japanese
 * voicing marks (ガ folds to カ) and the vowel signs of Indic scripts go too.
 * Index and query fold alike, so search still finds them, only more
 * leniently; a script-aware strip would need our own decomposition loop.
 */
#include "text.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Folds of short ASCII text go on the stack; names and queries are short. */
#define ASCII_FOLD_BYTES 256

enum cp_class { CP_SEP, CP_WORD, CP_CJK };

int kt_text_valid(const char *s, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;

	while (n > 0) {
		utf8proc_ssize_t k;

		if (*p > 0 && *p < 0x80) { /* ASCII other than NUL: no decoding needed */
			p++;
			n--;
			continue;
		}
		/*
		 * utf8proc_iterate() follows RFC 3629: it refuses overlong forms,
		 * surrogates, code points past U+10FFFF and truncated sequences.
		 */
		k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
		if (k <= 0 || cp == 0)
			return 0;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

/* Returns 1 when s[0..n) is ASCII with no NUL. */
static int is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] == 0 || (unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Folds ASCII s[0..n) into out, which has room for n + 1 bytes. */
static void fold_ascii(char *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[n] = '\0';
}

char *kt_text_fold(const char *s, size_t n)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t r;

	if (is_ascii(s, n)) {
		char *f = kt_malloc(n + 1);

		fold_ascii(f, s, n);
		return f;
	}
	/* The check also refuses NUL, which utf8proc_map() would pass through. */
	if (!kt_text_valid(s, n))
		return NULL;
	/*
	 * COMPOSE decomposes first and recomposes after; adding DECOMPOSE too
	 * makes utf8proc refuse the options (UTF8PROC_ERROR_INVALIDOPTS).
	 */
	r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
			 UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
			 UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
	if (r == UTF8PROC_ERROR_NOMEM) {
		/* Our policy for a failed allocation, as in kt_malloc(). */
		fprintf(stderr, "fatal: out of memory folding %zu bytes\n", n);
		abort();
	}
	if (r < 0)
		return NULL;
	return (char *)out; /* utf8proc allocates with malloc(): free() it */
}

/*
 * CJK letters that are words on their own: Hiragana, Katakana and their
 * extensions, the Han ideographs of every block (and 々 〆 〇, which are
 * written inside Japanese names), and Hangul syllables.  The caller has
 * already checked that c is a letter or number, which leaves out ・ and
 * unassigned code points in these blocks.  Compatibility ideographs and
 * half-width kana are gone by now: NFKC maps them into these ranges.
 */
static int is_cjk(utf8proc_int32_t c)
{
	return (c >= 0x3005 && c <= 0x3007) ||   /* 々 〆 〇 */
	       (c >= 0x3040 && c <= 0x30ff) ||   /* Hiragana, Katakana */
	       (c >= 0x31f0 && c <= 0x31ff) ||   /* Katakana phonetic extensions */
	       (c >= 0x3400 && c <= 0x4dbf) ||   /* CJK extension A */
	       (c >= 0x4e00 && c <= 0x9fff) ||   /* CJK unified ideographs */
	       (c >= 0xac00 && c <= 0xd7a3) ||   /* Hangul syllables */
	       (c >= 0xf900 && c <= 0xfaff) ||   /* CJK compatibility ideographs */
	       (c >= 0x1b000 && c <= 0x1b16f) || /* Kana supplement and extensions */
	       (c >= 0x20000 && c <= 0x3ffff);   /* planes 2 and 3: extensions B-H */
}

static enum cp_class classify(utf8proc_int32_t c)
{
	if (c < 0x80) /* the common case, without a table lookup */
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		       (c >= '0' && c <= '9') ? CP_WORD : CP_SEP;
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return is_cjk(c) ? CP_CJK : CP_WORD;
	default:
		return CP_SEP;
	}
}

/* Decodes the code point at p (folded, so valid) and returns its length. */
static size_t decode(const char *p, utf8proc_int32_t *c)
{
	utf8proc_ssize_t k;

	if ((unsigned char)*p < 0x80) {
		*c = (unsigned char)*p;
		return 1;
	}
	k = utf8proc_iterate((const utf8proc_uint8_t *)p, 4, c);
	kt_assert(k > 0); /* only folded text, which is valid, comes here */
	return (size_t)k;
}

/* Cuts a word of len bytes to KT_WORD_BYTES_MAX at a code point boundary. */
static size_t cut_word(const char *w, size_t len)
{
	if (len <= KT_WORD_BYTES_MAX)
		return len;
	len = KT_WORD_BYTES_MAX;
	while (len > 0 && ((unsigned char)w[len] & 0xc0) == 0x80)
		len--; /* w[len] continues a code point: cut before that code point */
	return len;
}

/* Returns the class of the code point at p and sets *k to its length. */
static enum cp_class class_at(const char *p, size_t *k)
{
	utf8proc_int32_t c;

	*k = decode(p, &c);
	return classify(c);
}

/*
 * Finds the next word of the folded string at *pp: sets *w and *len (cut to
 * KT_WORD_BYTES_MAX), moves *pp past the whole word and returns 1, or
 * moves *pp to the NUL and returns 0.  Each call that returns 1 moves *pp
 * forward by at least one code point, so a loop over next_word() ends.
 */
static int next_word(const char **pp, const char **w, size_t *len)
{
	const char *p = *pp;
	enum cp_class cl = CP_SEP;
	size_t k = 0;

	while (*p != '\0' && (cl = class_at(p, &k)) == CP_SEP)
		p += k;
	if (*p == '\0') {
		*pp = p;
		return 0;
	}
	*w = p;
	p += k;
	if (cl == CP_WORD) /* a CJK letter is a word alone, and ends a run */
		while (*p != '\0' && class_at(p, &k) == CP_WORD)
			p += k;
	*len = cut_word(*w, (size_t)(p - *w));
	*pp = p;
	return 1;
}

int kt_text_words(const char *s, size_t n, kt_word_fn fn, void *ctx)
{
	char small[ASCII_FOLD_BYTES], *f = small;
	int rc;

	if (n < sizeof(small) && is_ascii(s, n))
		fold_ascii(small, s, n);
	else if ((f = kt_text_fold(s, n)) == NULL)
		return -1;
	rc = kt_text_words_folded(f, fn, ctx);
	if (f != small)
		free(f);
	return rc;
}

int kt_text_words_folded(const char *f, kt_word_fn fn, void *ctx)
{
	const char *w;
	size_t len;
	int rc = 0;

	while (rc == 0 && next_word(&f, &w, &len))
		rc = fn(ctx, w, len);
	return rc;
}

int kt_text_has_prefix(const char *w, size_t wn, const char *p, size_t pn)
{
	return wn >= pn && memcmp(w, p, pn) == 0;
}

/* Returns 1 when the words of folded n are the next words at folded h. */
static int phrase_at(const char *n, const char *h)
{
	const char *nw, *hw;
	size_t nl, hl;

	while (next_word(&n, &nw, &nl))
		if (!next_word(&h, &hw, &hl) || nl != hl || memcmp(nw, hw, nl) != 0)
			return 0;
	return 1;
}

/*
 * Tries the phrase at each word of h in turn: O(words of h * words of n)
 * compares, which is fine for a setting or a field of KT_VALUE_BYTES_MAX.
 */
static int phrase_anywhere(const char *n, const char *h)
{
	const char *probe = n, *w;
	size_t len;

	if (!next_word(&probe, &w, &len))
		return 0; /* a needle with no words matches nothing */
	do {
		if (phrase_at(n, h))
			return 1;
	} while (next_word(&h, &w, &len));
	return 0;
}

int kt_text_phrase_in(const char *needle, const char *hay)
{
	char *nf, *hf;
	int found = 0;

	kt_assert(needle != NULL && hay != NULL);
	nf = kt_text_fold(needle, strlen(needle));
	hf = kt_text_fold(hay, strlen(hay));
	if (nf != NULL && hf != NULL) /* text that is not UTF-8 has no words */
		found = phrase_anywhere(nf, hf);
	free(nf);
	free(hf);
	return found;
}
