/*
 * text_stem.c - stem matching of phrases (text.h: kt_text_stem_compile,
 * kt_text_stem_match, kt_text_stem_phrase_in): the safety check's word
 * match, over the fold and word cursor of text.c (text_int.h).
 */
#include "text.h"
#include "text_int.h"
#include "err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libstemmer.h>
#include <pthread.h>
#include <utf8proc.h>

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
		size_t k = kt_text_decode(s + i, &c);

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
	n = kt_text_cut_word(f, strlen(f));
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
		add_key(wk, f, kt_text_cut_word(f, strlen(f)));
		free(f);
	}
	if (cl == CP_CJK)
		return;
	kt_text_decode(w, &c);
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
	return kt_text_fold_with(s, strlen(s), 0);
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

		k = kt_text_cut_word(f, strlen(f));
		memcpy(sw->fold, f, k);
		sw->fold[k] = '\0';
		k = kt_text_decode(f, &c);
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
 * joined: separators to kt_text_next_word, and marks that the words between them
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
		if (kt_text_is_apostrophe(cp[i]) && i > 0 && i + 1 < n && is_letter(cp[i - 1]) &&
		    !kt_text_is_apostrophe(cp[i - 1]) && is_letter(cp[i + 1]) &&
		    !kt_text_is_apostrophe(cp[i + 1]))
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
		while (j < n && ((is_letter(cp[j]) && !kt_text_is_apostrophe(cp[j])) ||
				 (kt_text_is_apostrophe(cp[j]) && j > i && j + 1 < n &&
				  is_letter(cp[j + 1]) && !kt_text_is_apostrophe(cp[j + 1])))) {
			apos += kt_text_is_apostrophe(cp[j]);
			j++;
		}
		if (j == i) {
			out[o++] = cp[i++];
			continue;
		}
		for (size_t k = i; k < j; k++)
			if (!apos || !kt_text_is_apostrophe(cp[k]))
				out[o++] = cp[k];
		if (apos) {
			out[o++] = PARTS_OPEN;
			for (size_t k = i; k < j; k++)
				out[o++] = kt_text_is_apostrophe(cp[k]) ? ' ' : cp[k];
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
	for (const char *from = q; kt_text_next_word(&q, &w, &len); from = q) {
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
		sw->cl = kt_text_class_at(w, &k);
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
