/*
 * text.c - UTF-8 checks and search normalisation over utf8proc (see text.h).
 *
 * Folding is one utf8proc_map() call: compatibility decomposition, case
 * folding, dropping combining marks, recomposition.  Pure ASCII skips
 * utf8proc, since for it all of that is only A-Z to a-z.
 *
 * Words are found by a cursor, kt_text_next_word(), over an already folded,
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
 *
 * This file holds the checks, the fold, the word cursor and what is built
 * on it, and table cells; text_stem.c the stem matching; text_phone.c
 * the phone helpers.  text_int.h declares the helpers they share.
 */
#include "text.h"
#include "err.h"
#include "text_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Folds of short ASCII text go on the stack; names and queries are short. */
#define ASCII_FOLD_BYTES 256

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
int kt_text_is_apostrophe(utf8proc_int32_t c)
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
		return kt_text_is_apostrophe(c) ? '\'' : c;
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
char *kt_text_fold_with(const char *s, size_t n, utf8proc_option_t extra)
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
	char *f = kt_text_fold_with(s, n, UTF8PROC_STRIPMARK | UTF8PROC_IGNORE | UTF8PROC_LUMP);

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
size_t kt_text_decode(const char *p, utf8proc_int32_t *c)
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
size_t kt_text_cut_word(const char *w, size_t len)
{
	if (len <= KT_WORD_BYTES_MAX)
		return len;
	len = KT_WORD_BYTES_MAX;
	while (len > 0 && ((unsigned char)w[len] & 0xc0) == 0x80)
		len--; /* w[len] continues a code point: cut before that code point */
	return len;
}

/* Returns the class of the code point at p and sets *k to its length. */
enum cp_class kt_text_class_at(const char *p, size_t *k)
{
	utf8proc_int32_t c;

	*k = kt_text_decode(p, &c);
	return classify(c);
}

/*
 * Finds the next word of the folded string at *pp: sets *w and *len (cut to
 * KT_WORD_BYTES_MAX), moves *pp past the whole word and returns 1, or
 * moves *pp to the NUL and returns 0.  Each call that returns 1 moves *pp
 * forward by at least one code point, so a loop over kt_text_next_word() ends.
 */
int kt_text_next_word(const char **pp, const char **w, size_t *len)
{
	const char *p = *pp;
	enum cp_class cl = CP_SEP;
	size_t k = 0;

	while (*p != '\0' && (cl = kt_text_class_at(p, &k)) == CP_SEP)
		p += k;
	if (*p == '\0') {
		*pp = p;
		return 0;
	}
	*w = p;
	p += k;
	if (cl == CP_WORD) /* a CJK letter is a word alone, and ends a run */
		while (*p != '\0' && kt_text_class_at(p, &k) == CP_WORD)
			p += k;
	*len = kt_text_cut_word(*w, (size_t)(p - *w));
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

	while (rc == 0 && kt_text_next_word(&f, &w, &len))
		rc = fn(ctx, w, len);
	return rc;
}

int kt_text_name_words(const char *f, int parts, kt_word_fn fn, void *ctx)
{
	char joined[KT_WORD_BYTES_MAX + 1];
	const char *w, *p = f;
	size_t len;
	int rc = 0;

	while (rc == 0 && kt_text_next_word(&p, &w, &len)) {
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

				if (kt_text_class_at(after, &k2) != CP_WORD ||
				    !kt_text_next_word(&after, &nw, &nl))
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
	while (kt_text_next_word(&p, &w, &len)) {
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

	while (kt_text_next_word(&n, &nw, &nl))
		if (!kt_text_next_word(&h, &hw, &hl) || nl != hl || memcmp(nw, hw, nl) != 0)
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

	if (!kt_text_next_word(&probe, &w, &len))
		return 0; /* a needle with no words matches nothing */
	do {
		if (phrase_at(n, h))
			return 1;
	} while (kt_text_next_word(&h, &w, &len));
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
