/* test_text.c - search normalisation: folding, words, phrases, UTF-8 checks. */
#include "t.h"
#include "text.h"

#include <stdlib.h>

static void check_fold(const char *in, const char *want)
{
	char *f = kt_text_fold(in, strlen(in));

	T_EQ_STR(f, want);
	free(f);
}

static void test_fold_ignores_case_and_accents(void)
{
	check_fold("Анна", "анна");
	check_fold("АННА", "анна");
	check_fold("Ștefan", "stefan");   /* s with comma below */
	check_fold("Ştefan", "stefan");   /* s with cedilla */
	check_fold("STEFAN", "stefan");
	check_fold("Ёлка", "елка");
	check_fold("Zoë Noël", "zoe noel");
	check_fold("王小明", "王小明");
	check_fold("", "");
}

struct collected {
	int n;
	char w[16][80];
};

static int collect(void *ctx, const char *w, size_t n)
{
	struct collected *c = ctx;

	if (c->n < 16) {
		memcpy(c->w[c->n], w, n);
		c->w[c->n++][n] = '\0';
	}
	return 0;
}

static void test_words_split_names_and_cjk(void)
{
	struct collected c = { 0 };

	T_EQ_INT(kt_text_words("Wang 王小明, Anna-Maria", strlen("Wang 王小明, Anna-Maria"), collect, &c), 0);
	T_EQ_INT(c.n, 6);
	T_EQ_STR(c.w[0], "wang");
	T_EQ_STR(c.w[1], "王");
	T_EQ_STR(c.w[2], "小");
	T_EQ_STR(c.w[3], "明");
	T_EQ_STR(c.w[4], "anna");
	T_EQ_STR(c.w[5], "maria");
}

static int stop_after_one(void *ctx, const char *w, size_t n)
{
	(void)w;
	(void)n;
	++*(int *)ctx;
	return 7;
}

static void test_words_stop_early_and_cut_long_words(void)
{
	struct collected c = { 0 };
	char longw[201];
	int calls = 0;

	T_EQ_INT(kt_text_words("one two three", 13, stop_after_one, &calls), 7);
	T_EQ_INT(calls, 1);
	/* 100 two-byte letters: cut at KT_WORD_BYTES_MAX on a code point boundary */
	for (int i = 0; i < 100; i++)
		memcpy(longw + 2 * i, "я", 2);
	longw[200] = '\0';
	kt_text_words(longw, 200, collect, &c);
	T_EQ_INT(c.n, 1);
	T_CHECK(strlen(c.w[0]) <= KT_WORD_BYTES_MAX);
	T_CHECK(kt_text_valid(c.w[0], strlen(c.w[0])));
}

static void test_invalid_utf8_is_refused(void)
{
	const char *bad[] = { "\xff", "\xc0\xaf", "ab\xd0", "\xed\xa0\x80" };

	for (size_t i = 0; i < 4; i++) {
		T_CHECK(!kt_text_valid(bad[i], strlen(bad[i])));
		T_CHECK(kt_text_fold(bad[i], strlen(bad[i])) == NULL);
		T_EQ_INT(kt_text_words(bad[i], strlen(bad[i]), collect, &(struct collected){ 0 }), -1);
	}
	T_CHECK(!kt_text_valid("a\0b", 3)); /* an embedded NUL */
	T_CHECK(kt_text_valid("Ștefan 王", strlen("Ștefan 王")));
}

static void test_phrase_matches_whole_words_in_order(void)
{
	T_CHECK(kt_text_phrase_in("latex", "Mask with LATEX strips"));
	T_CHECK(kt_text_phrase_in("LATEX", "latex-free gloves"));
	T_CHECK(kt_text_phrase_in("латекс", "Маска ЛАТЕКС"));
	T_CHECK(kt_text_phrase_in("nut oil", "Almond NUT Oil"));
	T_CHECK(kt_text_phrase_in("glycolic acid", "Glycolic Acid 30%"));
	T_CHECK(!kt_text_phrase_in("latex", "Latexfree mask"));
	T_CHECK(!kt_text_phrase_in("nut oil", "oil nut"));
	T_CHECK(!kt_text_phrase_in("", "anything"));
	T_CHECK(kt_text_phrase_in("Ștefan", "stefan"));
}

static void test_prefix(void)
{
	T_CHECK(kt_text_has_prefix("иванова", strlen("иванова"), "иван", strlen("иван")));
	T_CHECK(!kt_text_has_prefix("иван", strlen("иван"), "иванова", strlen("иванова")));
}

int main(void)
{
	T_RUN(test_fold_ignores_case_and_accents);
	T_RUN(test_words_split_names_and_cjk);
	T_RUN(test_words_stop_early_and_cut_long_words);
	T_RUN(test_invalid_utf8_is_refused);
	T_RUN(test_phrase_matches_whole_words_in_order);
	T_RUN(test_prefix);
	T_DONE();
}
