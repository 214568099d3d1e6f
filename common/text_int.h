/*
 * text_int.h - helpers the files of common/text (text.c, text_stem.c)
 * share; for those files only, as store_int.h is for the store's.  The
 * fold and the word cursor live in text.c, which describes them.
 */
#ifndef KT_TEXT_INT_H
#define KT_TEXT_INT_H

#include <stddef.h>
#include <utf8proc.h>

/* What a code point is to the word cursor: a blank, a letter, a CJK letter. */
enum cp_class { CP_SEP, CP_WORD, CP_CJK };

/* Whether c is an apostrophe as people type one (' ’ ‘ ʼ ʹ ʻ ʽ ˈ ´ ` ′ ＇ ꞌ ‛ ՚). */
int kt_text_is_apostrophe(utf8proc_int32_t c);

/*
 * s[0..n) case folded and composed, with utf8proc options extra on top
 * (UTF8PROC_STRIPMARK for search, 0 for stemming).  Returns a malloc'd
 * string, or NULL when s is not UTF-8.
 */
char *kt_text_fold_with(const char *s, size_t n, utf8proc_option_t extra);

/* Decodes the code point at p (folded, so valid) into *c; returns its length. */
size_t kt_text_decode(const char *p, utf8proc_int32_t *c);

/* Cuts a word of len bytes to KT_WORD_BYTES_MAX at a code point boundary. */
size_t kt_text_cut_word(const char *w, size_t len);

/* The class of the code point at folded p; sets *k to its length. */
enum cp_class kt_text_class_at(const char *p, size_t *k);

/*
 * The next word of the folded string at *pp: sets *w and *len (cut to
 * KT_WORD_BYTES_MAX), moves *pp past it and returns 1; or moves *pp to the
 * NUL and returns 0.
 */
int kt_text_next_word(const char **pp, const char **w, size_t *len);

#endif
