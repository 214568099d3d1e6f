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

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libstemmer.h>
#include <pthread.h>
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

/*
 * Letters a reader takes for another that Unicode does not decompose to
 * it, mapped before folding (search only): the Turkish and Azerbaijani
 * dotless ı (İ decomposes to I and a dot, ı to nothing), ł ø đ ħ ŧ of
 * Polish, Norwegian, Croatian, Maltese and Sami names, and the Ukrainian ґ
 * that a Russian keyboard types as г; a Traditional Chinese character is
 * its Simplified form (張偉 is 张伟: han_table.h, made from ICU's
 * Traditional-Simplified rules).  Apostrophes of every kind (´ ` ʹ ʻ ʽ
 * ′ ＇ ꞌ; LUMP takes ’ ‘ ʼ ˈ) become ', so a name's apostrophe is one
 * character however it was typed (kt_text_name_words joins across it).
 */
#include "han_table.h"

/* Whether c is an apostrophe as people type one (' ’ ‘ ʼ ʹ ʻ ʽ ˈ ´ ` ′ ＇ ꞌ ‛ ՚). */
static int is_apostrophe(utf8proc_int32_t c)
{
	switch (c) {
	case '\'': case '`': case 0x00b4: case 0x02b9: case 0x02bb: case 0x02bc: case 0x02bd:
	case 0x02c8: case 0x2018: case 0x2019: case 0x201b: case 0x2032: case 0xff07:
	case 0xa78b: case 0xa78c: case 0x055a:
		return 1;
	default:
		return 0;
	}
}

/* The Simplified form of Traditional Han character c (han_table.h), or c. */
static utf8proc_int32_t han_simplify(utf8proc_int32_t c)
{
	size_t lo = 0, hi = sizeof(han_simplified) / sizeof(han_simplified[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (han_simplified[mid][0] == (uint32_t)c)
			return (utf8proc_int32_t)han_simplified[mid][1];
		if (han_simplified[mid][0] < (uint32_t)c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return c;
}

static utf8proc_int32_t search_map(utf8proc_int32_t c, void *data)
{
	(void)data;
	if (c >= 0x3400)
		return c <= 0x9fff || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x3134f)
			       ? han_simplify(c) : c;
	switch (c) {
	case 0x0131: case 0x0130: return 'i'; /* ı; İ (which would keep its dot otherwise) */
	case 0x0141: case 0x0142: return 'l'; /* Ł ł */
	case 0x00d8: case 0x00f8: return 'o'; /* Ø ø */
	case 0x0110: case 0x0111: case 0x00d0: case 0x00f0: return 'd'; /* Đ đ Ð ð */
	case 0x0126: case 0x0127: return 'h'; /* Ħ ħ */
	case 0x0166: case 0x0167: return 't'; /* Ŧ ŧ */
	case 0x0490: case 0x0491: return 0x0433; /* Ґ ґ -> г */
	/*
	 * Letters of Ukrainian, Belarusian, Kazakh and Tatar names as a
	 * Russian keyboard types them: і ї -> и, є -> е, ў -> у, қ -> к,
	 * ә -> а, ғ -> г, ң -> н, ө -> о, ұ ү -> у, һ -> х, җ -> ж.
	 */
	case 0x0406: case 0x0456: case 0x0407: case 0x0457: return 0x0438;
	case 0x0404: case 0x0454: return 0x0435;
	case 0x040e: case 0x045e: case 0x04ae: case 0x04af: case 0x04b0: case 0x04b1:
		return 0x0443;
	case 0x049a: case 0x049b: return 0x043a;
	case 0x04d8: case 0x04d9: return 0x0430;
	case 0x0492: case 0x0493: return 0x0433;
	case 0x04a2: case 0x04a3: return 0x043d;
	case 0x04e8: case 0x04e9: return 0x043e;
	case 0x04ba: case 0x04bb: return 0x0445;
	case 0x0496: case 0x0497: return 0x0436;
	case 0x02ca: /* ˊ, typed for an apostrophe too */
		return '\'';
	default:
		return is_apostrophe(c) ? '\'' : c;
	}
}

/*
 * Lookalike letters of the Latin and Cyrillic alphabets (folded, lower
 * case): a word typed on two keyboards ("Aнна" with a Latin A, "Ivаnova"
 * with a Cyrillic а) reads as one word to a person.  kt_text_fold writes
 * such a word in the script most of its letters are in.
 */
static const struct { utf8proc_int32_t lat, cyr; } lookalike[] = {
	{ 'a', 0x0430 }, { 'b', 0x0432 }, { 'c', 0x0441 }, { 'e', 0x0435 },
	{ 'h', 0x043d }, { 'i', 0x0438 }, { 'j', 0x0458 }, { 'k', 0x043a },
	{ 'm', 0x043c }, { 'o', 0x043e }, { 'p', 0x0440 }, { 's', 0x0455 },
	{ 't', 0x0442 }, { 'x', 0x0445 }, { 'y', 0x0443 },
};

static int is_cyrillic(utf8proc_int32_t c)
{
	return (c >= 0x0400 && c <= 0x052f) || (c >= 0x1c80 && c <= 0x1c8f) ||
	       (c >= 0x2de0 && c <= 0x2dff) || (c >= 0xa640 && c <= 0xa69f);
}

static int is_latin(utf8proc_int32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 0x00e0 && c <= 0x024f && c != 0x00f7) ||
	       (c >= 0x1e00 && c <= 0x1eff);
}

/* c written in the other script (to_cyr: Latin to Cyrillic), or c. */
static utf8proc_int32_t lookalike_of(utf8proc_int32_t c, int to_cyr)
{
	for (size_t i = 0; i < sizeof(lookalike) / sizeof(lookalike[0]); i++)
		if (to_cyr ? lookalike[i].lat == c : lookalike[i].cyr == c)
			return to_cyr ? lookalike[i].cyr : lookalike[i].lat;
	return c;
}

static enum cp_class classify(utf8proc_int32_t c);

/*
 * Rewrites, in place, each word of folded f that mixes Latin and Cyrillic
 * letters in the script most of them are in (Cyrillic on a tie), through
 * the lookalike table.  A Latin lookalike takes one byte and a Cyrillic one
 * two, so the copy has room for twice the text.  Returns f, or the copy
 * (f freed) when a word changed.
 */
static char *unmix_scripts(char *f)
{
	size_t n = strlen(f), o = 0;
	char *out = NULL;
	const char *p = f;
	int lat = 0, cyr = 0;

	/* Most text is in one script: a byte scan tells, before any decoding. */
	for (const unsigned char *b = (const unsigned char *)f; *b && !(lat && cyr); b++) {
		lat |= (*b >= 'a' && *b <= 'z') || (*b >= 0xc3 && *b <= 0xc9) || *b == 0xe1;
		cyr |= *b >= 0xd0 && *b <= 0xd4;
	}
	if (!lat || !cyr)
		return f;

	while (*p) {
		const char *w = p, *q;
		utf8proc_int32_t c;
		int lat = 0, cyr = 0, to_cyr;
		size_t k = (size_t)utf8proc_iterate((const utf8proc_uint8_t *)p, -1, &c);

		if (classify(c) != CP_WORD) {
			if (out)
				memcpy(out + o, p, k);
			o += k;
			p += k;
			continue;
		}
		for (q = w; *q; q += k) {
			k = (size_t)utf8proc_iterate((const utf8proc_uint8_t *)q, -1, &c);
			if (classify(c) != CP_WORD)
				break;
			lat += is_latin(c);
			cyr += is_cyrillic(c);
		}
		if (lat == 0 || cyr == 0) {
			if (out)
				memcpy(out + o, w, (size_t)(q - w));
			o += (size_t)(q - w);
			p = q;
			continue;
		}
		if (out == NULL) {
			out = kt_malloc(2 * n + 1); /* each code point at most doubles (1 -> 2 bytes) */
			memcpy(out, f, o);
		}
		to_cyr = cyr >= lat;
		for (p = w; p < q; p += k) {
			k = (size_t)utf8proc_iterate((const utf8proc_uint8_t *)p, -1, &c);
			o += (size_t)utf8proc_encode_char(lookalike_of(c, to_cyr),
							  (utf8proc_uint8_t *)out + o);
		}
	}
	if (out == NULL)
		return f;
	out[o] = '\0';
	free(f);
	return out;
}

/*
 * The letters a reader spells with two (folded): æ as ae, œ as oe, þ as th,
 * so Æsa is found by aesa and Þóra by thora.  Returns f, or a longer copy
 * (f freed) when it held one.
 */
static char *spell_out(char *f)
{
	static const struct { const char *from, *to; } two[] = {
		{ "\xc3\xa6", "ae" }, { "\xc5\x93", "oe" }, { "\xc3\xbe", "th" },
	};
	size_t n = strlen(f), o = 0;
	char *out;

	if ((strchr(f, '\xc3') == NULL && strchr(f, '\xc5') == NULL) ||
	    (strstr(f, "\xc3\xa6") == NULL && strstr(f, "\xc5\x93") == NULL &&
	     strstr(f, "\xc3\xbe") == NULL))
		return f;
	out = kt_malloc(n + 1); /* each two bytes become two: the same length */
	for (size_t i = 0; i < n;) {
		size_t k;

		for (k = 0; k < sizeof(two) / sizeof(two[0]); k++)
			if (strncmp(f + i, two[k].from, 2) == 0)
				break;
		if (k < sizeof(two) / sizeof(two[0])) {
			memcpy(out + o, two[k].to, 2);
			o += 2;
			i += 2;
		} else {
			out[o++] = f[i++];
		}
	}
	out[o] = '\0';
	free(f);
	return out;
}

/*
 * s[0..n) case folded and composed, with utf8proc options extra on top
 * (UTF8PROC_STRIPMARK for search, 0 for stemming, which needs ă ș ё).
 * Returns a malloc'd string, or NULL when s is not UTF-8.
 */
static char *fold_with(const char *s, size_t n, utf8proc_option_t extra)
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
	r = utf8proc_map_custom((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
				UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
				UTF8PROC_CASEFOLD | extra,
				(extra & UTF8PROC_STRIPMARK) ? search_map : NULL, NULL);
	if (r == UTF8PROC_ERROR_NOMEM) {
		/* Our policy for a failed allocation, as in kt_malloc(). */
		fprintf(stderr, "fatal: out of memory folding %zu bytes\n", n);
		abort();
	}
	if (r < 0)
		return NULL;
	return (char *)out; /* utf8proc allocates with malloc(): free() it */
}

char *kt_text_fold(const char *s, size_t n)
{
	/*
	 * IGNORE drops what shows as nothing (zero-width spaces and joiners,
	 * soft hyphens, direction marks, BOM), which text pasted from
	 * messengers and office documents carries inside words; LUMP makes
	 * every space a space, every dash a hyphen and ’ ‘ ʼ an apostrophe.
	 */
	char *f = fold_with(s, n, UTF8PROC_STRIPMARK | UTF8PROC_IGNORE | UTF8PROC_LUMP);

	return f == NULL || is_ascii(f, strlen(f)) ? f : unmix_scripts(spell_out(f));
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

int kt_text_name_words(const char *f, int parts, kt_word_fn fn, void *ctx)
{
	char joined[KT_WORD_BYTES_MAX + 1];
	const char *w, *p = f;
	size_t len;
	int rc = 0;

	while (rc == 0 && next_word(&p, &w, &len)) {
		const char *pw[KT_NAME_PARTS_MAX];
		size_t pl[KT_NAME_PARTS_MAX], jn = 0, np = 0;

		for (;;) {
			size_t room = KT_WORD_BYTES_MAX - jn, k = len <= room ? len : room;

			while (k > 0 && k < len && ((unsigned char)w[k] & 0xc0) == 0x80)
				k--; /* w[k] continues a code point: cut before it */
			memcpy(joined + jn, w, k);
			jn += k;
			if (np < KT_NAME_PARTS_MAX) {
				pw[np] = w;
				pl[np++] = len;
			}
			/* A word goes on past an apostrophe that a letter or digit follows. */
			/* and, in a name's index entries, past a hyphen (Петрова-Водкина) */
			if ((p[0] != '\'' && !(parts && p[0] == '-')) || p[1] == '\0')
				break;
			{
				const char *after = p + 1, *nw;
				size_t nl, k2;

				if (class_at(after, &k2) != CP_WORD || !next_word(&after, &nw, &nl))
					break;
				w = nw;
				len = nl;
				p = after;
			}
		}
		rc = fn(ctx, joined, jn);
		for (size_t i = 0; parts && np > 1 && i < np && rc == 0; i++)
			rc = fn(ctx, pw[i], pl[i]);
	}
	return rc;
}

char *kt_text_words_key(const char *s)
{
	char *f = kt_text_fold(s, strlen(s)), *out;
	const char *p = f, *w;
	size_t len, o = 0;

	if (f == NULL)
		return NULL;
	/*
	 * Words may be closer than one apart in f (each Chinese character is a
	 * word: "出生日期" gives "出 生 日 期"), so room for a space after every
	 * byte, not one per byte of f.
	 */
	out = kt_malloc(2 * strlen(f) + 1);
	while (next_word(&p, &w, &len)) {
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, w, len);
		o += len;
	}
	out[o] = '\0';
	free(f);
	if (o == 0) {
		free(out);
		return NULL;
	}
	return out;
}

void kt_text_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int kt_text_says_something(const char *s)
{
	size_t n = strlen(s);
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;

	if (!kt_text_valid(s, n))
		return 0;
	while (n > 0) {
		utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &c);

		kt_assert(k > 0); /* checked valid above */
		switch (utf8proc_category(c)) {
		case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
		case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
		case UTF8PROC_CATEGORY_ND: /* not ² ① ½ Ⅰ: the matcher reads those as blanks */
			if (c != 0x115f && c != 0x1160 && c != 0x3164 && c != 0xffa0)
				return 1;
			break;
		default:
			break;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
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

/*
 * Stem matching (text.h: kt_text_stem_phrase_in).  Each word gets a small
 * set of keys; two words match when a key of one equals a key of the other.
 */
#define STEM_KEYS_MAX 24
#define KEY_BYTES (KT_WORD_BYTES_MAX + 1)

enum stem_lang { SL_RUSSIAN, SL_ENGLISH, SL_ROMANIAN, SL_COUNT };

static const char *const stem_names[SL_COUNT] = { "russian", "english", "romanian" };

/*
 * libstemmer's stemmers are not thread-safe, and each holds its last answer:
 * one of each, made on first use and kept for the process (never freed: a
 * few kilobytes), used under stem_lock.  A stemmer that cannot be made
 * leaves its words unstemmed, still matched by their folds.
 */
static pthread_mutex_t stem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sb_stemmer *stemmers[SL_COUNT];
static int stemmers_tried[SL_COUNT];

struct word_keys {
	unsigned n;
	const char *initial; /* every key starts with it */
	char k[STEM_KEYS_MAX][KEY_BYTES];
};

/* Copies the stem of w[0..n) into out (KEY_BYTES); 0 when there is none. */
static int stem_word(enum stem_lang l, const char *w, size_t n, char *out)
{
	const sb_symbol *s;
	int len, ok = 0;

	pthread_mutex_lock(&stem_lock);
	if (!stemmers_tried[l]) {
		stemmers_tried[l] = 1;
		stemmers[l] = sb_stemmer_new(stem_names[l], "UTF_8");
	}
	if (stemmers[l] != NULL &&
	    (s = sb_stemmer_stem(stemmers[l], (const sb_symbol *)w, (int)n)) != NULL) {
		len = sb_stemmer_length(stemmers[l]);
		if (len >= 0 && len < KEY_BYTES) {
			memcpy(out, s, (size_t)len);
			out[len] = '\0';
			ok = 1;
		}
	}
	pthread_mutex_unlock(&stem_lock);
	return ok;
}

static void add_key(struct word_keys *wk, const char *k, size_t n)
{
	size_t in = strlen(wk->initial);

	if (n == 0 || n >= KEY_BYTES || wk->n == STEM_KEYS_MAX || n < in ||
	    memcmp(k, wk->initial, in) != 0)
		return;
	for (unsigned i = 0; i < wk->n; i++)
		if (strlen(wk->k[i]) == n && memcmp(wk->k[i], k, n) == 0)
			return;
	memcpy(wk->k[wk->n], k, n);
	wk->k[wk->n][n] = '\0';
	wk->n++;
}

/* Adds the key made of code points cp[0..m), encoded into out (KEY_BYTES). */
static void add_key_cps(struct word_keys *wk, const utf8proc_int32_t *cp, size_t m, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < m; i++) {
		utf8proc_uint8_t b[4];
		utf8proc_ssize_t k = utf8proc_encode_char(cp[i], b);

		if (k <= 0 || o + (size_t)k >= KEY_BYTES)
			return;
		memcpy(out + o, b, (size_t)k);
		o += (size_t)k;
	}
	add_key(wk, out, o);
}

/* Counts the code points of s[0..n). */
static size_t cp_count(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Length of the code point that ends s[0..n) (n > 0). */
static size_t last_cp_len(const char *s, size_t n)
{
	size_t k = 1;

	while (k < n && ((unsigned char)s[n - k] & 0xc0) == 0x80)
		k++;
	return k;
}

/* Vowels (and the soft sign) of folded Russian and Romanian text. */
static int is_vowel_end(const char *s, size_t n)
{
	static const char *const v[] = { "a", "e", "i", "o", "u", "y", "а", "е", "и",
					 "о", "у", "ы", "э", "ю", "я", "ь", "ъ" };
	size_t k = last_cp_len(s, n);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strlen(v[i]) == k && memcmp(s + n - k, v[i], k) == 0)
			return 1;
	return 0;
}

/* Removes trailing vowels of s[0..n) while more than two code points remain. */
static size_t strip_vowels(const char *s, size_t n)
{
	while (cp_count(s, n) > 2 && is_vowel_end(s, n))
		n -= last_cp_len(s, n);
	return n;
}

/* Length of s[0..n) without one Russian adjective suffix, or n. */
static size_t strip_adjective(const char *s, size_t n)
{
	static const char *const suf[] = { "енн", "онн", "арн", "ярн", "ан", "ян", "ин", "ов",
					   "ев", "ск", "ек", "ок", "н", "к" }; /* longer first */

	for (size_t i = 0; i < sizeof(suf) / sizeof(suf[0]); i++) {
		size_t k = strlen(suf[i]);

		if (n > k && memcmp(s + n - k, suf[i], k) == 0 &&
		    cp_count(s, n - k) >= 3)
			return n - k;
	}
	return n;
}

/* Whether folded Cyrillic code point c is a vowel (й folds to и, ё to е). */
static int ru_vowel(utf8proc_int32_t c)
{
	return c == 0x430 || c == 0x435 || c == 0x438 || c == 0x43e || c == 0x443 ||
	       c == 0x44b || c == 0x44d || c == 0x44e || c == 0x44f; /* а е и о у ы э ю я */
}

static int ru_consonant(utf8proc_int32_t c)
{
	return c >= 0x430 && c <= 0x44f && !ru_vowel(c) && c != 0x44a && c != 0x44c;
}

/*
 * Adds the key of folded Russian stem s[0..n) with the sound changes word
 * forms make undone, so that both sides of a match meet: soft and hard
 * signs dropped (мыльный: мыль, мыло: мыл); the last consonant's
 * alternation canonical, ч ц -> к, ж -> г, ш -> х (молочный: молоч, молоко:
 * молок; яичная: яич, яйцо: яиц; орешки: ореш, орех); and a fleeting е or о
 * before the last consonant dropped (перец, перцем; икра, икорная; лён,
 * льна), о only when four code points or more remain (мёд and мода stay
 * apart).
 */
static void add_russian_morph(struct word_keys *wk, const char *s, size_t n)
{
	utf8proc_int32_t cp[KEY_BYTES];
	char out[KEY_BYTES];
	size_t m = 0;

	for (size_t i = 0; i < n;) {
		utf8proc_int32_t c;
		size_t k = decode(s + i, &c);

		if (c != 0x44c && c != 0x44a) /* ь ъ */
			cp[m++] = c;
		i += k;
	}
	int was_k = m > 0 && (cp[m - 1] == 0x447 || cp[m - 1] == 0x43a); /* ч or к */

	if (m > 0) {
		utf8proc_int32_t *last = &cp[m - 1];

		if (*last == 0x447 || *last == 0x446) /* ч ц */
			*last = 0x43a;                /* к */
		else if (*last == 0x436)              /* ж */
			*last = 0x433;                /* г */
		else if (*last == 0x448)              /* ш */
			*last = 0x445;                /* х */
	}
	add_key_cps(wk, cp, m, out);
	if (was_k && m >= 5 && (cp[m - 2] == 0x43e || cp[m - 2] == 0x435))
		add_key_cps(wk, cp, m - 2, out); /* цветоч -> цветок -> цвет (цветы) */
	if (m >= 3 && ru_consonant(cp[m - 1]) && ru_consonant(cp[m - 3]) &&
	    (cp[m - 2] == 0x435 || (cp[m - 2] == 0x43e && m >= 4))) { /* е, о */
		cp[m - 2] = cp[m - 1];
		add_key_cps(wk, cp, m - 1, out);
	}
}

/* English forms Porter2 leaves apart: nutty (nutti) and nut, golden and gold. */
static void add_english_morph(struct word_keys *wk, const char *s, size_t n)
{
	if (n >= 4 && s[n - 1] == 'i') {
		size_t k = n - 1;

		if (s[k - 1] == s[k - 2] && strchr("aeiou", s[k - 1]) == NULL)
			k--; /* nutt -> nut */
		add_key(wk, s, k);
	}
	if (n >= 5 && s[n - 2] == 'e' && s[n - 1] == 'n') {
		size_t k = n - 2;

		add_key(wk, s, k);
		if (s[k - 1] == s[k - 2] && strchr("aeiou", s[k - 1]) == NULL)
			add_key(wk, s, k - 1); /* woollen -> wooll -> wool */
	}
	for (size_t k = n; k + 1 >= n && k >= 4; k--) { /* the stem, then without its -e */
		if (k < n && s[k] != 'e')
			break;
		if (k < n)
			add_key(wk, s, k); /* knife: knif */
		if (s[k - 1] == 'v') { /* leaves, knives: leav, kniv(e) */
			char f[KEY_BYTES];

			memcpy(f, s, k - 1);
			f[k - 1] = 'f';
			add_key(wk, f, k);
		}
	}
	if (n >= 6 && (memcmp(s + n - 3, "anc", 3) == 0 || memcmp(s + n - 3, "enc", 3) == 0)) {
		char f[KEY_BYTES]; /* pregnancy (pregnanc) and pregnant, emergency and emergent */

		memcpy(f, s, n - 1);
		f[n - 1] = 't';
		add_key(wk, f, n);
	}
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == 'p' && s[i + 1] == 'h') { /* sulphur and sulfur */
			char f[KEY_BYTES];

			memcpy(f, s, i);
			f[i] = 'f';
			memcpy(f + i + 1, s + i + 2, n - i - 2);
			add_key(wk, f, n - 1);
			break;
		}
}

/*
 * Length of folded s[0..n) without one Russian case ending of two or three
 * letters, when two code points remain; else n.  Snowball leaves short
 * words whole ("льном", "льдом", "мхом": their ending is outside its RV
 * region), so their forms would not meet лён, лёд, мхи.
 */
static size_t strip_case(const char *s, size_t n)
{
	static const char *const end[] = { "ами", "ями", "ого", "его", "ому", "ему", "ом",
					   "ем", "ах", "ях", "ои", "еи", "ою", "ую", "ая" };

	for (size_t i = 0; i < sizeof(end) / sizeof(end[0]); i++) {
		size_t k = strlen(end[i]);

		if (n > k && memcmp(s + n - k, end[i], k) == 0 && cp_count(s, n - k) >= 2)
			return n - k;
	}
	return n;
}

/* Adds the keys a stem gives (its fold, less vowels and a suffix, and forms). */
static void add_stem_keys(struct word_keys *wk, enum stem_lang l, const char *stem)
{
	char *f = kt_text_fold(stem, strlen(stem));
	size_t n, a;

	if (f == NULL)
		return;
	n = cut_word(f, strlen(f));
	add_key(wk, f, n);
	if (l == SL_ENGLISH)
		add_english_morph(wk, f, n);
	if (l != SL_ENGLISH) {
		n = strip_vowels(f, n);
		add_key(wk, f, n);
	}
	if (l == SL_ROMANIAN && n >= 5 && f[n - 2] == 'u' && f[n - 1] == 'r')
		add_key(wk, f, n - 2); /* the -uri plural: parfumuri (parfumur), parfum */
	if (l == SL_RUSSIAN) {
		size_t c = strip_case(f, n);
		static const char *const made[] = { "изиров", "ирован", "иров" };

		for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
			size_t k = strlen(made[i]); /* никелированный (никелиров), никель */

			if (n > k && memcmp(f + n - k, made[i], k) == 0 && cp_count(f, n - k) >= 3) {
				add_key(wk, f, n - k);
				add_russian_morph(wk, f, n - k);
				break;
			}
		}

		a = strip_adjective(f, n);
		add_key(wk, f, a);
		add_russian_morph(wk, f, n);
		add_russian_morph(wk, f, a);
		if (c != n) {
			add_key(wk, f, c);
			add_russian_morph(wk, f, c);
		}
	}
	free(f);
}

/*
 * Romanian's stemmer (libstemmer 2.2) knows ş and ţ with a cedilla, which
 * older keyboards type; the standard letters have a comma below (ș ț).
 * Copies w[0..n) into out (KEY_BYTES) with the latter as the former.
 */
static void romanian_cedilla(const char *w, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < KEY_BYTES; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c == 0xc3 && i + 1 < n && (unsigned char)w[i + 1] == 0xae && i > 0 &&
		    i + 2 < n && o + 2 < KEY_BYTES) { /* î inside a word: the old spelling of â */
			out[o++] = (char)0xc3;
			out[o++] = (char)0xa2;
			i++;
			continue;
		}
		if (c == 0xc8 && i + 1 < n &&
		    ((unsigned char)w[i + 1] == 0x99 || (unsigned char)w[i + 1] == 0x9b)) {
			out[o++] = (char)0xc5; /* ș U+0219 -> ş U+015F, ț U+021B -> ţ U+0163 */
			out[o++] = (char)((unsigned char)w[i + 1] == 0x99 ? 0x9f : 0xa3);
			i++;
			continue;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
}

/*
 * Whether Snowball's stem `next` of an earlier stem `cur` took off a noun
 * ending (бальзамом -> бальзам -> бальз: -ам), the only kind a second round
 * may take; a verb's (-ил: ваниль -> ванил -> ван) makes other words meet.
 */
static int noun_ending(const char *cur, const char *next)
{
	static const char *const end[] = { "ам", "ям", "ом", "ем", "ами", "ями", "ах", "ях",
					   "ов", "ев", "ой", "ей", "а", "я", "ы", "и", "о", "е",
					   "у", "ю", "ь" };
	size_t n = strlen(next);

	if (strncmp(cur, next, n) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(end) / sizeof(end[0]); i++)
		if (strcmp(cur + n, end[i]) == 0)
			return 1;
	return 0;
}

/* Fills wk with the keys of lower-cased word w[0..n) (see text.h). */
static void word_keys(const char *w, size_t n, enum cp_class cl, const char *initial,
		      struct word_keys *wk)
{
	char *f = kt_text_fold(w, n), cur[KEY_BYTES], next[KEY_BYTES];
	utf8proc_int32_t c;
	enum stem_lang first, last;

	wk->n = 0;
	wk->initial = initial;
	if (f != NULL) {
		add_key(wk, f, cut_word(f, strlen(f)));
		free(f);
	}
	if (cl == CP_CJK)
		return;
	decode(w, &c);
	if (c >= 0x400 && c <= 0x52f) {
		first = last = SL_RUSSIAN;
	} else if (c < 0x250 || (c >= 0x1e00 && c <= 0x1eff)) {
		first = SL_ENGLISH;
		last = SL_ROMANIAN;
	} else {
		return; /* Greek, Armenian, digits: matched by the fold alone */
	}
	for (int l = first; l <= (int)last; l++) {
		if (l == SL_ROMANIAN) {
			romanian_cedilla(w, n, cur);
		} else {
			memcpy(cur, w, n);
			cur[n] = '\0';
		}
		for (int r = 0; r < KT_STEM_ROUNDS; r++) {
			if (!stem_word((enum stem_lang)l, cur, strlen(cur), next))
				break;
			if (r > 0 && l == SL_RUSSIAN && !noun_ending(cur, next))
				break; /* "ванил" is no form of "ван" (ваниль and ванна) */
			add_stem_keys(wk, (enum stem_lang)l, next);
			if (strcmp(next, cur) == 0)
				break;
			memcpy(cur, next, strlen(next) + 1);
		}
	}
}

/* Returns 1 when two words share a key. */
static int keys_meet(const struct word_keys *a, const struct word_keys *b)
{
	for (unsigned i = 0; i < a->n; i++)
		for (unsigned j = 0; j < b->n; j++)
			if (strcmp(a->k[i], b->k[j]) == 0)
				return 1;
	return 0;
}

/*
 * Lower-cases s for stemming: case folded and composed, accents kept (the
 * stemmers know ă, ș, ё).  Returns a malloc'd string, or NULL when s is not
 * UTF-8.
 */
static char *lower_for_stem(const char *s)
{
	return fold_with(s, strlen(s), 0);
}

/*
 * A compiled phrase: its words, lower-cased, each with its initial (the
 * first code point of its fold) and its keys, made when first needed.
 * Every key of a word starts with the word's initial (add_key drops one that
 * does not, which only a word made of a lone mark could give), so two words
 * with different initials cannot match and most comparisons stop there,
 * before any stemming.
 */
struct stem_word {
	const char *w; /* into low */
	size_t len;
	enum cp_class cl;
	char initial[5];
	char fold[KEY_BYTES]; /* the word folded, cut to KT_WORD_BYTES_MAX */
	int stop;             /* a function word: matched by its fold alone */
	int part;             /* a part of a word joined across an apostrophe */
	int keyed;
	struct word_keys keys;
};

struct kt_stem_phrase {
	char *low;
	size_t n;
	struct stem_word *words;
};

/*
 * Prepositions and conjunctions of Russian, Romanian and English, folded.
 * Stemmed and cut, they meet real words ("со" is the key of "соя", "ил" of
 * "или"), so they match only themselves.
 */
static const char *const stop_words[] = {
	"а", "без", "в", "во", "для", "до", "за", "и", "из", "или", "к", "ко", "на", "но",
	"о", "об", "от", "по", "при", "с", "со", "у",
	"cu", "de", "din", "fara", "in", "la", "pe", "pentru", "sau", "si",
	"a", "an", "and", "for", "in", "of", "on", "or", "the", "to", "with",
};

/* Fills sw's fold, initial (its first code point) and stop flag. */
static void word_fold(struct stem_word *sw)
{
	char *f = kt_text_fold(sw->w, sw->len);
	size_t k;

	sw->initial[0] = sw->fold[0] = '\0';
	sw->stop = 0;
	if (f != NULL && f[0] != '\0') {
		utf8proc_int32_t c;

		k = cut_word(f, strlen(f));
		memcpy(sw->fold, f, k);
		sw->fold[k] = '\0';
		k = decode(f, &c);
		memcpy(sw->initial, f, k);
		sw->initial[k] = '\0';
		for (size_t i = 0; i < sizeof(stop_words) / sizeof(stop_words[0]); i++)
			sw->stop |= strcmp(sw->fold, stop_words[i]) == 0;
	}
	free(f);
}

static int is_letter(utf8proc_int32_t c)
{
	utf8proc_category_t k = utf8proc_category(c);

	return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

/* The Cyrillic letter a Latin one looks like, or 0 ("лaтекс" typed with a Latin a). */
static utf8proc_int32_t cyrillic_twin(utf8proc_int32_t c)
{
	static const char latin[] = "aeopcxykmthbAEOPCXYKMTHB";
	static const utf8proc_int32_t cyr[] = {
		0x430, 0x435, 0x43e, 0x440, 0x441, 0x445, 0x443, 0x43a, 0x43c, 0x442, 0x43d, 0x432,
		0x410, 0x415, 0x41e, 0x420, 0x421, 0x425, 0x423, 0x41a, 0x41c, 0x422, 0x41d, 0x412,
	};
	const char *at = c > 0 && c < 0x80 ? strchr(latin, (int)c) : NULL;

	return at != NULL ? cyr[at - latin] : 0;
}

/* The Latin letter a Cyrillic one looks like, or 0 ("Lаtex" typed with a Cyrillic а). */
static utf8proc_int32_t latin_twin(utf8proc_int32_t c)
{
	static const char latin[] = "aeopcxykmthbAEOPCXYKMTHB";

	for (size_t i = 0; i < sizeof(latin) - 1; i++)
		if (cyrillic_twin((unsigned char)latin[i]) == c)
			return (unsigned char)latin[i];
	return 0;
}

/*
 * Text as it looks, for matching (not for the search index): format
 * characters dropped (a soft hyphen or zero width space inside "ла­текс"),
 * symbols and odd numbers a blank ("Lanolin™", "латекс²", "Латекс№1": NFKC
 * would glue TM or 2 to the word), a blank between letters and digits
 * ("Латекс2"), and in a word of Cyrillic and Latin letters the look-alikes
 * made the script most of its letters are in ("лaтексом" with a Latin a,
 * "Lаtex" with a Cyrillic а).  Returns a
 * malloc'd string, or NULL when s is not UTF-8.
 */

/*
 * Private-use code points around the parts of a word split_apostrophes
 * joined: separators to next_word, and marks that the words between them
 * are parts (struct stem_word.part).
 */
#define PARTS_OPEN 0xe000
#define PARTS_CLOSE 0xe001

/*
 * A word with an apostrophe inside ("М'ятный", "мʼята", "d'argan") as the
 * word without it, then its parts between PARTS_OPEN and PARTS_CLOSE:
 * "мятный<м ятный>", "dargan<d argan>".  Text to match in (a service)
 * has both, so "мята" meets "М'ятный" and "argan" is still in "huile
 * d'argan" (the match allows two words between a phrase's words); a phrase
 * looked for (an allergy) is its joined words only, so "м'ята" is in
 * "Мятный скраб".  cp[0..*m) is replaced by the result (freed); *m set.
 */
static utf8proc_int32_t *split_apostrophes(utf8proc_int32_t *cp, size_t *m)
{
	size_t n = *m, o = 0;
	utf8proc_int32_t *out = NULL;

	for (size_t i = 0; i < n; i++)
		if (is_apostrophe(cp[i]) && i > 0 && i + 1 < n && is_letter(cp[i - 1]) &&
		    !is_apostrophe(cp[i - 1]) && is_letter(cp[i + 1]) && !is_apostrophe(cp[i + 1]))
			break;
		else if (i + 1 == n)
			return cp; /* none: the common case, no copy */
	if (n == 0)
		return cp;
	/* A run of L code points with apostrophes gives at most 2L + 2: 4n is room for all. */
	out = kt_malloc((4 * n + 1) * sizeof(*out));
	for (size_t i = 0; i < n;) {
		size_t j = i, apos = 0;

		/* the run: letters, and apostrophes with a letter on each side */
		while (j < n && ((is_letter(cp[j]) && !is_apostrophe(cp[j])) ||
				 (is_apostrophe(cp[j]) && j > i && j + 1 < n && is_letter(cp[j + 1]) &&
				  !is_apostrophe(cp[j + 1])))) {
			apos += is_apostrophe(cp[j]);
			j++;
		}
		if (j == i) {
			out[o++] = cp[i++];
			continue;
		}
		for (size_t k = i; k < j; k++)
			if (!apos || !is_apostrophe(cp[k]))
				out[o++] = cp[k];
		if (apos) {
			out[o++] = PARTS_OPEN;
			for (size_t k = i; k < j; k++)
				out[o++] = is_apostrophe(cp[k]) ? ' ' : cp[k];
			out[o++] = PARTS_CLOSE;
		}
		i = j;
	}
	free(cp);
	*m = o;
	return out;
}

static char *clean_for_match(const char *s)
{
	size_t n = strlen(s), m = 0, o = 0;
	utf8proc_int32_t *cp;
	char *out;

	if (!kt_text_valid(s, n))
		return NULL;
	cp = kt_malloc((2 * n + 1) * sizeof(*cp));
	for (size_t i = 0; i < n;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(n - i), &c);

		kt_assert(k > 0);
		i += (size_t)k;
		switch (utf8proc_category(c)) {
		case UTF8PROC_CATEGORY_CF:
			continue;
		case UTF8PROC_CATEGORY_SO: case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SK:
		case UTF8PROC_CATEGORY_NO:
			c = ' ';
			break;
		default:
			break;
		}
		if (m > 0 && ((is_letter(cp[m - 1]) && utf8proc_category(c) == UTF8PROC_CATEGORY_ND) ||
			      (utf8proc_category(cp[m - 1]) == UTF8PROC_CATEGORY_ND && is_letter(c))))
			cp[m++] = ' ';
		cp[m++] = c;
	}
	cp = split_apostrophes(cp, &m);
	for (size_t i = 0; i < m;) { /* each run of letters */
		size_t j = i;
		size_t cyr = 0, lat = 0;

		while (j < m && is_letter(cp[j])) {
			cyr += cp[j] >= 0x400 && cp[j] <= 0x52f;
			lat += cp[j] < 0x250;
			j++;
		}
		for (size_t k = i; cyr && lat && k < j; k++) /* to the script most letters are in */
			if (cyr >= lat && cyrillic_twin(cp[k]) != 0)
				cp[k] = cyrillic_twin(cp[k]);
			else if (cyr < lat && latin_twin(cp[k]) != 0)
				cp[k] = latin_twin(cp[k]);
		i = j > i ? j : i + 1;
	}
	out = kt_malloc(4 * m + 1);
	for (size_t i = 0; i < m; i++) {
		utf8proc_ssize_t k = utf8proc_encode_char(cp[i], (utf8proc_uint8_t *)out + o);

		o += k > 0 ? (size_t)k : 0;
	}
	out[o] = '\0';
	free(cp);
	return out;
}

struct kt_stem_phrase *kt_text_stem_compile(const char *s)
{
	struct kt_stem_phrase *p = kt_calloc(1, sizeof(*p));
	const char *q, *w;
	size_t len, cap = 0, k;
	char *clean;
	int in_parts = 0;

	kt_assert(s != NULL);
	clean = clean_for_match(s);
	p->low = clean != NULL ? lower_for_stem(clean) : NULL;
	free(clean);
	if (p->low == NULL)
		return p; /* not UTF-8: no words */
	q = p->low;
	for (const char *from = q; next_word(&q, &w, &len); from = q) {
		struct stem_word *sw;
		/* between PARTS_OPEN and PARTS_CLOSE (U+E000, U+E001: EE 80 80, EE 80 81) */
		const char *open = memmem(from, (size_t)(w - from), "\xee\x80\x80", 3);
		const char *close = memmem(from, (size_t)(w - from), "\xee\x80\x81", 3);

		if (p->n == cap) {
			cap = cap ? cap * 2 : 8;
			p->words = kt_realloc(p->words, cap * sizeof(*p->words));
		}
		sw = &p->words[p->n++];
		sw->w = w;
		sw->len = len;
		sw->cl = class_at(w, &k);
		sw->keyed = 0;
		if (open != NULL && (close == NULL || close < open))
			in_parts = 1;
		else if (close != NULL)
			in_parts = 0;
		sw->part = in_parts;
		word_fold(sw);
	}
	return p;
}

void kt_text_stem_free(struct kt_stem_phrase *p)
{
	if (p == NULL)
		return;
	free(p->low);
	free(p->words);
	free(p);
}

size_t kt_text_stem_words(const struct kt_stem_phrase *p)
{
	return p->n;
}

static int words_meet(struct stem_word *a, struct stem_word *b)
{
	if (strcmp(a->initial, b->initial) != 0 || a->initial[0] == '\0')
		return 0;
	if (a->stop || b->stop)
		return strcmp(a->fold, b->fold) == 0;
	if (!a->keyed) {
		word_keys(a->w, a->len, a->cl, a->initial, &a->keys);
		a->keyed = 1;
	}
	if (!b->keyed) {
		word_keys(b->w, b->len, b->cl, b->initial, &b->keys);
		b->keyed = 1;
	}
	return keys_meet(&a->keys, &b->keys);
}

/* Whether word w is words a and b written together (folds: "beeswax", "bees wax"). */
static int joined(const struct stem_word *w, const struct stem_word *a, const struct stem_word *b)
{
	size_t na = strlen(a->fold), nb = strlen(b->fold);

	return !a->stop && !b->stop && na > 0 && nb > 0 && strlen(w->fold) == na + nb &&
	       memcmp(w->fold, a->fold, na) == 0 && strcmp(w->fold + na, b->fold) == 0;
}

/*
 * Whether needle's words from j on are in hay in order from hay word at on,
 * the first of them at most gap words after it.  Depth is needle's words,
 * each trying KT_STEM_GAP_MAX + 1 places.
 */
static int rest_in(struct kt_stem_phrase *needle, size_t j, struct kt_stem_phrase *hay,
		   size_t at, size_t gap)
{
	if (j == needle->n)
		return 1;
	for (size_t i = at; i < hay->n && i <= at + gap; i++) {
		if (words_meet(&needle->words[j], &hay->words[i]) &&
		    rest_in(needle, j + 1, hay, i + 1, KT_STEM_GAP_MAX))
			return 1;
		if (i + 1 < hay->n && joined(&needle->words[j], &hay->words[i], &hay->words[i + 1]) &&
		    rest_in(needle, j + 1, hay, i + 2, KT_STEM_GAP_MAX))
			return 1; /* beeswax in "bees wax" */
		if (j + 1 < needle->n &&
		    joined(&hay->words[i], &needle->words[j], &needle->words[j + 1]) &&
		    rest_in(needle, j + 2, hay, i + 1, KT_STEM_GAP_MAX))
			return 1; /* "tea tree" in "teatree" */
	}
	return 0;
}

/*
 * The phrase looked for, without the parts of its joined words (see
 * split_apostrophes): needle itself when it has none, else *view, whose
 * words the caller frees.  The words are copies: their keys, made while
 * matching, are not kept for the next match.
 */
static struct kt_stem_phrase *needle_words(struct kt_stem_phrase *needle,
					   struct kt_stem_phrase *view, int by_parts)
{
	size_t parts = 0;

	for (size_t j = 0; j < needle->n; j++)
		parts += needle->words[j].part;
	if (parts == 0)
		return by_parts ? NULL : needle;
	*view = *needle;
	view->words = kt_malloc(needle->n * sizeof(*view->words));
	view->n = 0;
	for (size_t j = 0; j < needle->n; j++) {
		const struct stem_word *w = &needle->words[j];
		int joined = !w->part && j + 1 < needle->n && needle->words[j + 1].part;

		if (!by_parts ? !w->part
			      : (w->part ? w->len > 2 || w->cl == CP_CJK : !joined))
			view->words[view->n++] = *w;
	}
	return view;
}

/*
 * Runs match over the needle's joined words, then, when it has words joined
 * across an apostrophe and did not match, over their parts but one-letter
 * ones (the elided d' l' of "d'argan", "l'huile"): "d'argan" is in "Argan oil".
 */
static int match_needle(struct kt_stem_phrase *needle, struct kt_stem_phrase *hay,
			int (*match)(struct kt_stem_phrase *, struct kt_stem_phrase *))
{
	struct kt_stem_phrase view, *n = needle_words(needle, &view, 0);
	int found = match(n, hay);

	if (n != needle)
		free(view.words);
	if (!found && (n = needle_words(needle, &view, 1)) != NULL) {
		found = match(n, hay);
		free(view.words);
	}
	return found;
}

static int match_phrase(struct kt_stem_phrase *needle, struct kt_stem_phrase *hay)
{
	for (size_t i = 0; needle->n > 0 && i < hay->n; i++) /* joined words let a needle be longer */
		if (rest_in(needle, 0, hay, i, 0))
			return 1;
	return 0;
}

int kt_text_stem_match(struct kt_stem_phrase *needle, struct kt_stem_phrase *hay)
{
	return match_needle(needle, hay, match_phrase);
}

static int match_words(struct kt_stem_phrase *needle, struct kt_stem_phrase *hay);

int kt_text_stem_match_words(struct kt_stem_phrase *needle, struct kt_stem_phrase *hay)
{
	return match_needle(needle, hay, match_words);
}

static int match_words(struct kt_stem_phrase *needle, struct kt_stem_phrase *hay)
{
	if (needle->n == 0)
		return 0;
	for (size_t j = 0; j < needle->n; j++) {
		const struct stem_word *next = j + 1 < needle->n ? &needle->words[j + 1] : NULL;
		int found = 0, two = 0;

		for (size_t i = 0; !found && i < hay->n; i++) {
			found = words_meet(&needle->words[j], &hay->words[i]) ||
				(i + 1 < hay->n &&
				 joined(&needle->words[j], &hay->words[i], &hay->words[i + 1]));
			if (!found && next != NULL && joined(&hay->words[i], &needle->words[j], next))
				found = two = 1; /* "Гель-лак" in "Гельлак" */
		}
		if (!found)
			return 0;
		j += (size_t)two;
	}
	return 1;
}

int kt_text_stem_phrase_in(const char *needle, const char *hay)
{
	struct kt_stem_phrase *n = kt_text_stem_compile(needle), *h;
	int found = 0;

	if (n->n > 0) {
		h = kt_text_stem_compile(hay);
		found = kt_text_stem_match(n, h);
		kt_text_stem_free(h);
	}
	kt_text_stem_free(n);
	return found;
}

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

/*
 * One character of a table cell at s (n bytes left, n > 0) as it is shown:
 * its bytes, or what stands for a control (kt_text_cell), into piece (at
 * least 5 bytes) with their length in *plen and display columns in *w.
 * Returns the bytes of s it stands for.
 */
static size_t cell_piece(const uint8_t *s, size_t n, char *piece, size_t *plen, int *w)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)n, &c);
	const char *show = NULL;

	*w = 1;
	if (k <= 0) {
		show = "\xef\xbf\xbd"; /* not UTF-8: U+FFFD, one byte at a time */
		k = 1;
	} else if (c == '\r' && n > 1 && s[1] == '\n') {
		show = "\xe2\x8f\x8e"; /* CR LF is one line break */
		k = 2;
	} else if (c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029) {
		show = "\xe2\x8f\x8e"; /* U+23CE */
	} else if (c < 0x20) {
		piece[0] = (char)0xe2; /* U+2400 + c, the control pictures */
		piece[1] = (char)0x90;
		piece[2] = (char)(0x80 | c);
		*plen = 3;
		return (size_t)k;
	} else if (c == 0x7f) {
		show = "\xe2\x90\xa1"; /* U+2421 */
	} else if ((c < 0xa0 && c >= 0x80) || (c >= 0x202a && c <= 0x202e) ||
		   (c >= 0x2066 && c <= 0x2069)) {
		show = "\xef\xbf\xbd"; /* a C1 control, or a direction override that would
					 reorder the rest of the row */
	}
	if (show != NULL) {
		*plen = strlen(show);
		memcpy(piece, show, *plen);
		return (size_t)k;
	}
	*w = utf8proc_charwidth(c);
	if (*w < 0)
		*w = 0;
	memcpy(piece, s, (size_t)k);
	*plen = (size_t)k;
	return (size_t)k;
}

int kt_text_cell(const char *s, int width, char *out, size_t cap)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s), o = 0, plen;
	int total = 0, used = 0, w, cut;
	char piece[8];

	kt_assert(cap > 0);
	for (size_t i = 0; i < n; total += w) /* bounded: n bytes, one or more a step */
		i += cell_piece(p + i, n - i, piece, &plen, &w);
	cut = width >= 0 && total > width;
	for (size_t i = 0; i < n;) {
		size_t k = cell_piece(p + i, n - i, piece, &plen, &w);

		if (cut && used + w > width - 1)
			break;
		if (o + plen >= cap)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		used += w;
		i += k;
	}
	if (cut && width > 0 && o + 3 < cap) {
		memcpy(out + o, "\xe2\x80\xa6", 3); /* U+2026 */
		o += 3;
		used++;
	}
	for (; used < width && o + 1 < cap; used++)
		out[o++] = ' ';
	out[o] = '\0';
	return used;
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
