/*
 * text.h - UTF-8 checks and search normalisation (over utf8proc).
 *
 * Search keys ignore case and accents: a string is decomposed (NFKD), case
 * folded, stripped of combining marks, and recomposed (NFC), so "Ștefan",
 * "Ştefan" and "STEFAN" all fold to "stefan", and "Анна"/"АННА"/"анна" to
 * "анна" (ё folds to е, й to и: lenient on purpose, a search key).
 *
 * Words are maximal runs of letters, digits and marks; everything else
 * separates them.  A CJK ideograph (Han, plus Hiragana, Katakana and Hangul
 * syllables) is a word of its own, so 王小明 is the words 王, 小, 明 and a
 * Chinese name is found by any of its characters.
 */
#ifndef KT_TEXT_H
#define KT_TEXT_H

#include <stddef.h>

/* Largest folded word we index; longer words are cut at a code point boundary. */
#define KT_WORD_BYTES_MAX 64

/* Returns 1 when s[0..n) is valid UTF-8 with no NUL byte, else 0. */
int kt_text_valid(const char *s, size_t n);

/*
 * Folds s[0..n) for search (see above).  Returns a NUL-terminated string the
 * caller frees with free(), or NULL when s is not valid UTF-8.
 */
char *kt_text_fold(const char *s, size_t n);

/*
 * Calls fn(ctx, word, len) for each folded word of s[0..n), in order; word
 * is not NUL-terminated and is valid only during the call.  Stops early and
 * returns fn's value when fn returns non-zero.  Returns 0 when done, or -1
 * when s is not valid UTF-8.
 */
typedef int (*kt_word_fn)(void *ctx, const char *word, size_t len);
int kt_text_words(const char *s, size_t n, kt_word_fn fn, void *ctx);
/* The same over f, which kt_text_fold() made; fn's value, or 0 when done. */
int kt_text_words_folded(const char *f, kt_word_fn fn, void *ctx);

/*
 * The words of a name, for its search index and queries: as
 * kt_text_words_folded() over f (which kt_text_fold() made), except that
 * words joined by an apostrophe are one word without it ("O'Brien",
 * "O’Brien" and "OBrien" are all "obrien"; "Пʼятаченко" is "пятаченко"), so
 * a name is found however its apostrophe was typed, or left out.  With
 * parts, a joined word's parts come after it ("obrien", "o", "brien"), so
 * "brien" finds O'Brien too, and words joined by a hyphen are joined too
 * ("Петрова-Водкина" is also "петроваводкина", for a query typed without
 * it); a query asks without parts, and its hyphen separates words, so
 * "анна-мария" still finds "Анна Мария".  Returns fn's
 * value when it stops the walk, else 0.
 */
#define KT_NAME_PARTS_MAX 8
int kt_text_name_words(const char *f, int parts, kt_word_fn fn, void *ctx);

/*
 * Returns 1 when the words of needle appear, in order and adjacent, among
 * the words of hay, both folded ("Latex" is in "latex-free gloves"? yes:
 * words latex, free, gloves; "nut oil" is in "Almond NUT Oil"), else 0.
 * A needle with no words matches nothing.
 */
int kt_text_phrase_in(const char *needle, const char *hay);

/*
 * Like kt_text_phrase_in(), with words compared by their stems and up to
 * KT_STEM_GAP_MAX other words allowed between two of the needle's, for the
 * safety check at the chair (node/safety.h): "латекс" is in "Латексная
 * маска", "Маска с латексом" and "Перчатки латексные"; "масло чайного
 * дерева" is in "Маска с маслом чайного дерева" but not in "Маска с маслом
 * дерева"; "nuts" is in "Nut oil"; "nucă" is in "Mască cu nuci".  Compounds
 * stay apart as whole words do: "latex" is not in "Latexfree mask" (it is
 * in "Latex-free gloves": words latex, free, gloves) nor "nut" in "walnut".
 *
 * Each word is lower-cased (accents kept) and stemmed with the Snowball
 * stemmers of libstemmer: a word that starts with a Cyrillic letter by the
 * Russian one, a Latin word by the English and the Romanian ones; a CJK
 * ideograph stays a word of its own, unstemmed.  Two words match when any of
 * their keys are equal.  A word's keys are its fold (kt_text_fold), and for
 * each stemmer the fold of its stem, of the stem's stem and so on to a fixed
 * point (at most KT_STEM_ROUNDS; Snowball's Russian makes "бальзам" of
 * "бальзамом" and "бальз" of "бальзам"); Russian and Romanian stems lose
 * their trailing vowels while more than two code points remain ("хна",
 * "хной", "хны" all key "хн"), and a Russian stem one adjective suffix
 * (-енн -онн -ан -ян -ин -ов -ев -ск -ек -ок -н -к, when three code points
 * remain: "латексн" keys "латекс"); each Russian key also gives one with
 * the sound changes of word forms undone (soft signs dropped, a last ч ц ж
 * ш as к к г х, a fleeting е/о before the last consonant dropped: молочный
 * and молоко, перцовый and перец, льняное and лён, орешки and орехи meet),
 * and an English stem one without -i or -en (nutty and nut, golden and
 * gold, leaves and leaf, sulphur and sulfur); Russian stems Snowball left
 * whole also lose one case ending (льном: льн, meeting лён), and a second
 * Snowball round may take only a noun ending (бальзамом -> бальзам -> бальз,
 * but not ваниль -> ванил -> ван).  A word meets two written together
 * ("beeswax", "bees wax").  Prepositions and conjunctions (с, со, или, de,
 * cu, and, with...) match only themselves.  The rules lean towards a match on purpose: a
 * false alarm costs an override, a miss costs a reaction; the README lists
 * the known false alarms and misses.
 *
 * Returns 1 or 0; text that is not UTF-8 has no words and matches nothing.
 * Thread-safe (the stemmers are shared under a mutex).  Source: Snowball,
 * https://snowballstem.org/algorithms/ (Russian, Romanian, English/Porter2).
 */
#define KT_STEM_ROUNDS 3
#define KT_STEM_GAP_MAX 2 /* "масло чайного дерева" is in "масло для лица чайного дерева" */
int kt_text_stem_phrase_in(const char *needle, const char *hay);

/*
 * The same in two steps, for a text matched against many phrases (a visit's
 * services against every allergy and catalogue entry): compile each text
 * once, match as often as needed, free.  kt_text_stem_compile() never
 * returns NULL (text that is not UTF-8 compiles to no words); a compiled
 * phrase is owned by the caller, and kt_text_stem_match() may fill in its
 * words' keys (so it is not const, and not shared between threads).
 * kt_text_stem_words() is the number of words.
 */
struct kt_stem_phrase;
struct kt_stem_phrase *kt_text_stem_compile(const char *s);
int kt_text_stem_match(struct kt_stem_phrase *needle, struct kt_stem_phrase *hay);
/*
 * Whether each word of needle meets a word of hay, in any order and place
 * (a catalogue name: "Лазерная эпиляция" is in "Эпиляция лазером"); 0 for
 * a needle with no words.
 */
int kt_text_stem_match_words(struct kt_stem_phrase *needle, struct kt_stem_phrase *hay);
size_t kt_text_stem_words(const struct kt_stem_phrase *p);
void kt_text_stem_free(struct kt_stem_phrase *p);

/*
 * Returns 1 when s (NUL-terminated) holds a letter or a decimal digit
 * (Unicode categories L and Nd, not ² ① ½ Ⅰ), not counting the fillers that show as nothing
 * (Hangul fillers U+115F U+1160 U+3164 U+FFA0); 0 for "", blanks of any
 * kind, marks, controls, format characters, the braille blank U+2800,
 * punctuation alone (".", "-", "?"), or text that is not UTF-8.  For
 * override reasons and names that must say something.
 */
int kt_text_says_something(const char *s);

/* Makes s (NUL-terminated) one line in place: every C0 control and DEL a blank. */
void kt_text_one_line(char *s);

/*
 * s (NUL-terminated) as one cell of a text table, into out (cap bytes,
 * always NUL-terminated, never cut inside a character).  What a terminal
 * would obey is shown instead: a line break (LF, CR, CR LF, NEL, U+2028,
 * U+2029) as "⏎", every other C0 control as its control picture (ESC
 * as "␛", a tab as "␉"), DEL as "␡", and a C1 control or a
 * byte that is not UTF-8 as U+FFFD.  Width counts display columns
 * (utf8proc_charwidth: an East Asian wide character takes two, a combining
 * mark none): text wider than width is cut to width - 1 columns and "…"
 * added, then spaces pad it to width.  A negative width escapes only (no cut,
 * no padding).  Returns the display columns written.  cap of
 * 3 * strlen(s) + width + 4 always holds the whole cell.
 */
int kt_text_cell(const char *s, int width, char *out, size_t cap);

/*
 * The folded words of s joined by one space ("  Пилинг, лица " gives
 * "пилинг лица"): a name's key for telling two names apart whatever the
 * case, accents, blanks and punctuation.  Returns a string the caller frees
 * with free(), or NULL when s has no words or is not UTF-8.
 */
char *kt_text_words_key(const char *s);

/*
 * A phone as libphonenumber and our digit keys read it: s[0..n) in ASCII,
 * NUL-terminated in out (at most cap - 1 bytes).  Digits of any script
 * (full-width １３８, Arabic-Indic ٣, Devanagari ३) become 0-9; every space
 * (no-break, thin, ideographic) a space; every dash (non-breaking hyphen,
 * en dash, minus) a hyphen; what shows as nothing (zero-width spaces,
 * direction marks, soft hyphens) is dropped, and anything else outside
 * ASCII is a space.  Returns the length, 0 for text that is not UTF-8.
 */
size_t kt_text_phone_ascii(const char *s, size_t n, char *out, size_t cap);

/*
 * The number of a phone without its extension: ascii (as
 * kt_text_phone_ascii made it, or a query as typed) up to "ext", "x", "#",
 * ";", "," or доб/вн, into out (NUL-terminated, cap bytes); returns its
 * length.  "+7 912 345 67 89 ext. 12" gives "+7 912 345 67 89 ".
 */
size_t kt_text_phone_number(const char *ascii, char *out, size_t cap);

/*
 * Returns 1 when s (NUL-terminated UTF-8) reads as a phone: digits of any
 * script, at least min_digits of them, and only spaces, dashes, "+().",
 * their full-width forms and characters that show as nothing besides.
 */
int kt_text_phone_like(const char *s, int min_digits);

/* Returns 1 when folded word w starts with folded prefix p (byte compare). */
int kt_text_has_prefix(const char *w, size_t wn, const char *p, size_t pn);

#endif
