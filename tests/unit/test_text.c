/* test_text.c - search normalisation: folding, words, phrases, UTF-8 checks. */
#include "t.h"
#include "text.h"

#include <stdlib.h>

#define WORDS_MAX 32

struct collected {
	int n;        /* words seen, even past WORDS_MAX */
	int overrun;  /* a word came longer than KT_WORD_BYTES_MAX */
	char w[WORDS_MAX][KT_WORD_BYTES_MAX + 1];
};

static int collect(void *ctx, const char *w, size_t n)
{
	struct collected *c = ctx;

	if (n > KT_WORD_BYTES_MAX) {
		c->overrun = 1;
		n = KT_WORD_BYTES_MAX;
	}
	if (c->n < WORDS_MAX) {
		memcpy(c->w[c->n], w, n);
		c->w[c->n][n] = '\0';
	}
	c->n++;
	return 0;
}

/* Splits s into c and returns kt_text_words()'s answer. */
static int words(const char *s, struct collected *c)
{
	memset(c, 0, sizeof(*c));
	return kt_text_words(s, strlen(s), collect, c);
}

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
	check_fold("Йога", "иога");       /* й to и: lenient, as text.h says */
	check_fold("Zoë Noël", "zoe noel");
	check_fold("Straße", "strasse");
	check_fold("ＡＮＮＡ ｆｉ", "anna fi"); /* full-width and a ligature */
	check_fold("王小明", "王小明");
	check_fold("Mary-Ann O'Neil, 42!", "mary-ann o'neil, 42!");
	check_fold("", "");
}

static void test_fold_of_decomposed_input_matches_composed(void)
{
	check_fold("S\xcc\xa6tefan", "stefan");        /* S + combining comma below */
	check_fold("\xe1\x84\x80\xe1\x85\xa1", "가"); /* Hangul jamo compose to a syllable */
}

static void test_chinese_name_is_one_word_per_character(void)
{
	struct collected c;

	T_EQ_INT(words("王小明", &c), 0);
	T_EQ_INT(c.n, 3);
	T_EQ_STR(c.w[0], "王");
	T_EQ_STR(c.w[1], "小");
	T_EQ_STR(c.w[2], "明");
}

static void test_mixed_latin_and_cjk_split_at_each_ideograph(void)
{
	struct collected c;

	T_EQ_INT(words("Wang 王小明", &c), 0);
	T_EQ_INT(c.n, 4);
	T_EQ_STR(c.w[0], "wang");
	T_EQ_STR(c.w[1], "王");
	T_EQ_STR(c.w[2], "小");
	T_EQ_STR(c.w[3], "明");
	/* No space between Latin and Han still splits; punctuation separates. */
	T_EQ_INT(words("Wang王, Anna-Maria", &c), 0);
	T_EQ_INT(c.n, 4);
	T_EQ_STR(c.w[0], "wang");
	T_EQ_STR(c.w[1], "王");
	T_EQ_STR(c.w[2], "anna");
	T_EQ_STR(c.w[3], "maria");
}

static void test_kana_hangul_and_iteration_marks_are_words(void)
{
	struct collected c;

	T_EQ_INT(words("김민수", &c), 0);
	T_EQ_INT(c.n, 3);
	T_EQ_STR(c.w[2], "수");
	T_EQ_INT(words("さとう", &c), 0);
	T_EQ_INT(c.n, 3);
	T_EQ_INT(words("佐々木", &c), 0);
	T_EQ_INT(c.n, 3);
	T_EQ_STR(c.w[1], "々");
	/* The katakana middle dot is punctuation, not a word. */
	T_EQ_INT(words("ジョン・スミス", &c), 0);
	T_EQ_INT(c.n, 6);
	T_EQ_STR(c.w[3], "ス");
	/* Half-width katakana folds to full-width, then splits the same. */
	T_EQ_INT(words("ｻﾄｳ", &c), 0);
	T_EQ_INT(c.n, 3);
	T_EQ_STR(c.w[0], "サ");
}

static void test_words_are_letters_and_digits(void)
{
	struct collected c;

	T_EQ_INT(words("  Mary-Ann O'Neil_2 +7(912) e-mail@x.ro ", &c), 0);
	T_EQ_INT(c.n, 11);
	T_EQ_STR(c.w[0], "mary");
	T_EQ_STR(c.w[1], "ann");
	T_EQ_STR(c.w[2], "o");
	T_EQ_STR(c.w[3], "neil");
	T_EQ_STR(c.w[4], "2");
	T_EQ_STR(c.w[5], "7");
	T_EQ_STR(c.w[6], "912");
	T_EQ_STR(c.w[10], "ro");
	T_EQ_INT(words("", &c), 0);
	T_EQ_INT(c.n, 0);
	T_EQ_INT(words(" -- ,. ", &c), 0);
	T_EQ_INT(c.n, 0);
}

/* The ASCII shortcut and the utf8proc path must agree on the same words. */
static void test_ascii_and_unicode_paths_agree(void)
{
	struct collected a, u;

	T_EQ_INT(words("Mary-Ann O'NEIL 42 x_y", &a), 0);
	T_EQ_INT(words("Mary-Ann O'NEIL 42 x_y \xe2\x80\x94", &u), 0); /* an em dash */
	T_EQ_INT(a.n, 7);
	T_EQ_INT(u.n, a.n);
	for (int i = 0; i < a.n && i < u.n; i++)
		T_EQ_STR(u.w[i], a.w[i]);
}

static int stop_at_second(void *ctx, const char *w, size_t n)
{
	(void)w;
	(void)n;
	return ++*(int *)ctx == 2 ? 7 : 0;
}

static void test_words_stop_early_with_fn_value(void)
{
	int calls = 0;

	T_EQ_INT(kt_text_words("one two three", 13, stop_at_second, &calls), 7);
	T_EQ_INT(calls, 2);
	calls = 0;
	T_EQ_INT(kt_text_words("один два три", strlen("один два три"), stop_at_second, &calls), 7);
	T_EQ_INT(calls, 2);
}

/* Fills buf with count copies of the UTF-8 character ch and a NUL. */
static void repeat(char *buf, const char *ch, int count)
{
	size_t k = strlen(ch);

	for (int i = 0; i < count; i++)
		memcpy(buf + (size_t)i * k, ch, k);
	buf[(size_t)count * k] = '\0';
}

static void test_long_words_are_cut_at_the_limit(void)
{
	struct collected c;
	char buf[512];

	repeat(buf, "a", KT_WORD_BYTES_MAX);          /* at the limit: whole */
	T_EQ_INT(words(buf, &c), 0);
	T_EQ_INT(strlen(c.w[0]), KT_WORD_BYTES_MAX);
	repeat(buf, "a", KT_WORD_BYTES_MAX + 1);      /* one over: cut */
	strcat(buf, " b");
	T_EQ_INT(words(buf, &c), 0);
	T_EQ_INT(c.n, 2);
	T_EQ_INT(strlen(c.w[0]), KT_WORD_BYTES_MAX);
	T_EQ_STR(c.w[1], "b");                        /* the rest is dropped, not a word */
	repeat(buf, "я", 100);                        /* 2-byte letters: cut on a boundary */
	T_EQ_INT(words(buf, &c), 0);
	T_EQ_INT(c.n, 1);
	T_EQ_INT(strlen(c.w[0]), KT_WORD_BYTES_MAX);
	buf[0] = 'q';                                 /* q + 99 я: byte 64 is mid-letter */
	memmove(buf + 1, buf + 2, strlen(buf + 2) + 1);
	T_EQ_INT(words(buf, &c), 0);
	T_EQ_INT(strlen(c.w[0]), KT_WORD_BYTES_MAX - 1);
	T_CHECK(kt_text_valid(c.w[0], strlen(c.w[0])));
	repeat(buf, "ก", 30);                         /* 3-byte Thai letters: 21 fit */
	T_EQ_INT(words(buf, &c), 0);
	T_EQ_INT(strlen(c.w[0]), 63);
	T_CHECK(kt_text_valid(c.w[0], strlen(c.w[0])));
	T_CHECK(!c.overrun);
}

static void test_invalid_utf8_is_refused(void)
{
	const char *bad[] = {
		"\xff", "\xc0\xaf", "\xd0", "ab\xd0", "\xed\xa0\x80", "\xe0\x80\xaf",
		"\xf4\x90\x80\x80", "\x80", "Анна\xd0",
	};
	struct collected c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_CHECK(!kt_text_valid(bad[i], strlen(bad[i])));
		T_CHECK(kt_text_fold(bad[i], strlen(bad[i])) == NULL);
		T_EQ_INT(words(bad[i], &c), -1);
		T_EQ_INT(c.n, 0);
	}
	T_CHECK(kt_text_valid("Ștefan 王 \xf0\x9f\x98\x80", strlen("Ștefan 王 \xf0\x9f\x98\x80")));
	T_CHECK(kt_text_valid("", 0));
}

static void test_embedded_nul_is_refused(void)
{
	struct collected c = { 0 };

	T_CHECK(!kt_text_valid("a\0b", 3));
	T_CHECK(!kt_text_valid("\0", 1));
	T_CHECK(!kt_text_valid("Анна\0", strlen("Анна") + 1));
	T_CHECK(kt_text_fold("a\0b", 3) == NULL);
	T_CHECK(kt_text_fold("я\0b", 4) == NULL);
	T_EQ_INT(kt_text_words("a\0b", 3, collect, &c), -1);
	T_EQ_INT(c.n, 0);
	T_CHECK(kt_text_valid("a\0b", 1)); /* only n bytes are looked at */
}

static void test_phrase_matches_whole_words_in_order(void)
{
	T_CHECK(kt_text_phrase_in("latex", "Mask with LATEX strips"));
	T_CHECK(kt_text_phrase_in("LATEX", "latex-free gloves")); /* words latex, free, gloves */
	T_CHECK(kt_text_phrase_in("Latéx", "latex-free gloves"));
	T_CHECK(kt_text_phrase_in("латекс", "Маска ЛАТЕКС"));
	T_CHECK(kt_text_phrase_in("nut oil", "Almond NUT Oil"));
	T_CHECK(kt_text_phrase_in("nut-oil", "almond nut, oil"));
	T_CHECK(kt_text_phrase_in("glycolic acid", "Glycolic Acid 30%"));
	T_CHECK(kt_text_phrase_in("Ștefan", "stefan"));
	T_CHECK(kt_text_phrase_in("小明", "王小明"));
	T_CHECK(!kt_text_phrase_in("latex", "Latexfree mask"));
	T_CHECK(!kt_text_phrase_in("nut oil", "oil nut"));
	T_CHECK(!kt_text_phrase_in("nut oil", "nut butter oil"));
	T_CHECK(!kt_text_phrase_in("almond nut oil", "nut oil"));
	T_CHECK(!kt_text_phrase_in("", "anything"));
	T_CHECK(!kt_text_phrase_in(" - ", "anything"));
	T_CHECK(!kt_text_phrase_in("latex", ""));
	T_CHECK(!kt_text_phrase_in("latex\xff", "latex"));
	T_CHECK(!kt_text_phrase_in("latex", "latex\xff"));
}

/* A long list must not hide a phrase near its end: there is no word cap. */
static void test_phrase_found_late_in_a_long_text(void)
{
	char hay[4096];

	repeat(hay, "x ", 1500);
	strcat(hay, "nut oil");
	T_CHECK(kt_text_phrase_in("nut oil", hay));
	T_CHECK(!kt_text_phrase_in("nut butter", hay));
	repeat(hay, "王", 1300); /* 3 bytes folding to 1 word each */
	strcat(hay, "latex");
	T_CHECK(kt_text_phrase_in("latex", hay));
}

/* The word forms (issue 11) and their kind, in three languages. */
static void test_stem_phrase_matches_word_forms(void)
{
	/* Russian: case endings, adjectives made of the noun, plurals */
	T_CHECK(kt_text_stem_phrase_in("латекс", "Латексная маска"));
	T_CHECK(kt_text_stem_phrase_in("латекс", "Маска с латексом"));
	T_CHECK(kt_text_stem_phrase_in("латекс", "Перчатки латексные"));
	T_CHECK(kt_text_stem_phrase_in("Латексные перчатки", "Одна латексная перчатка"));
	T_CHECK(kt_text_stem_phrase_in("масло чайного дерева", "Маска с маслом чайного дерева"));
	T_CHECK(kt_text_stem_phrase_in("масло чайного дерева", "МАСЛА ЧАЙНОГО ДЕРЕВА 5%"));
	T_CHECK(kt_text_stem_phrase_in("никель", "Серьги никелевые"));
	T_CHECK(kt_text_stem_phrase_in("никель", "Серьги никель"));
	T_CHECK(kt_text_stem_phrase_in("хна", "Окрашивание хной"));
	T_CHECK(kt_text_stem_phrase_in("хна", "Биотату без хны"));
	T_CHECK(kt_text_stem_phrase_in("бальзам", "Уход бальзамом"));
	T_CHECK(kt_text_stem_phrase_in("ёлка", "Елки")); /* ё and е */
	T_CHECK(kt_text_stem_phrase_in("орехи", "Масло ореха"));
	/* the allergy's words in order, all of them */
	T_CHECK(!kt_text_stem_phrase_in("масло чайного дерева", "Маска с маслом дерева"));
	T_CHECK(!kt_text_stem_phrase_in("масло чайного дерева", "Дерево, чай, масло"));
	T_CHECK(!kt_text_stem_phrase_in("латекс", "Безлатексная маска"));
	/* English */
	T_CHECK(kt_text_stem_phrase_in("nuts", "Nut oil"));
	T_CHECK(kt_text_stem_phrase_in("nut", "Mask with NUTS"));
	T_CHECK(kt_text_stem_phrase_in("berries", "Berry peel"));
	T_CHECK(kt_text_stem_phrase_in("dyes", "Hair dyeing"));
	T_CHECK(kt_text_stem_phrase_in("latex", "Latex-free gloves")); /* words latex, free */
	T_CHECK(!kt_text_stem_phrase_in("latex", "Latexfree mask"));
	T_CHECK(!kt_text_stem_phrase_in("nut", "Walnut scrub"));
	/* Romanian, with and without its letters */
	T_CHECK(kt_text_stem_phrase_in("nucă", "Mască cu nuci"));
	T_CHECK(kt_text_stem_phrase_in("nuca", "masca cu nuci"));
	T_CHECK(kt_text_stem_phrase_in("parfum", "Cremă parfumată"));
	T_CHECK(kt_text_stem_phrase_in("latex", "Mănuși din latexul natural"));
	T_CHECK(kt_text_stem_phrase_in("bărbați", "BĂRBAŢI")); /* comma and cedilla */
	/* Chinese: each ideograph is a word, unstemmed, in order */
	T_CHECK(kt_text_stem_phrase_in("乳胶", "乳胶面膜"));
	T_CHECK(!kt_text_stem_phrase_in("乳胶", "胶乳"));
	/* what has no words matches nothing */
	T_CHECK(!kt_text_stem_phrase_in("", "латекс"));
	T_CHECK(!kt_text_stem_phrase_in(" ,; ", "латекс"));
	T_CHECK(!kt_text_stem_phrase_in("латекс", ""));
	T_CHECK(!kt_text_stem_phrase_in("latex\xff", "latex"));
	T_CHECK(!kt_text_stem_phrase_in("latex", "latex\xff"));
}

/* Whatever kt_text_phrase_in() finds, the stem match finds too. */
static void test_stem_phrase_keeps_exact_matches(void)
{
	static const char *const pairs[][2] = {
		{ "latex", "Mask with LATEX strips" }, { "Latéx", "latex-free gloves" },
		{ "nut oil", "Almond NUT Oil" }, { "glycolic acid", "Glycolic Acid 30%" },
		{ "Ștefan", "stefan" }, { "小明", "王小明" }, { "hair dye", "HAIR DYE roots" },
		{ "5%", "acid 5%" }, { "Ω", "Ω" },
	};
	char hay[4096];

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		T_CHECK(kt_text_phrase_in(pairs[i][0], pairs[i][1]));
		T_CHECK(kt_text_stem_phrase_in(pairs[i][0], pairs[i][1]));
	}
	repeat(hay, "маска ", 300); /* a long value: the phrase near its end */
	strcat(hay, "с маслом чайного дерева");
	T_CHECK(kt_text_stem_phrase_in("масло чайного дерева", hay));
	T_CHECK(!kt_text_stem_phrase_in("масло кокоса", hay));
}

/* A text compiled once answers many phrases as kt_text_stem_phrase_in does. */
static void test_stem_compiled_once_matched_often(void)
{
	static const char *const needles[] = { "латекс", "масло чайного дерева", "nuts",
					       "хна", "乳胶", "пилинг", "latex free", "" };
	const char *hay = "Маска с латексом, масла чайного дерева; nut oil 乳胶面膜 Latex-free";
	struct kt_stem_phrase *h = kt_text_stem_compile(hay), *bad = kt_text_stem_compile("a\xff");

	for (int round = 0; round < 2; round++) /* the second round uses the cached keys */
		for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
			struct kt_stem_phrase *n = kt_text_stem_compile(needles[i]);

			T_EQ_INT(kt_text_stem_match(n, h), kt_text_stem_phrase_in(needles[i], hay));
			T_EQ_INT(kt_text_stem_match(n, h), i != 3 && i != 5 && i != 7); /* not хна, пилинг, "" */
			T_EQ_INT(kt_text_stem_match(n, bad), 0);
			kt_text_stem_free(n);
		}
	T_EQ_INT(kt_text_stem_words(h), 14);
	T_EQ_INT(kt_text_stem_words(bad), 0);
	kt_text_stem_free(h);
	kt_text_stem_free(bad);
	kt_text_stem_free(NULL);
}

/* Word forms with sound changes, words between, and function words (issue 11, round 2). */
static void test_stem_phrase_sound_changes_gaps_and_function_words(void)
{
	static const char *const meet[][2] = {
		{ "перец", "Маска с перцем" }, { "перец", "Перцовый пластырь" },
		{ "лён", "Семена льна" }, { "лён", "Льняное масло" },
		{ "молоко", "Молочный пилинг" }, { "клубника", "Клубничная маска" },
		{ "черника", "Черничная маска" }, { "икра", "Икорная маска" },
		{ "чеснок", "Чесночная маска" }, { "яйцо", "Яичная маска" },
		{ "мыло", "Мыльный раствор" }, { "орехи", "Орешки" },
		{ "лаванда", "Лавандовое масло" }, { "ромашка", "Ромашковый чай" },
		{ "nuts", "Nutty mask" }, { "wool", "Woolen wrap" }, { "gold", "Golden mask" },
		{ "масло чайного дерева", "Маска с маслом из чайного дерева" },
		{ "масло чайного дерева", "Масло для лица чайного дерева" },
		{ "лак", "Покрытие лаком" },
		/* a second tester's: short words Snowball leaves whole, -арн-, compounds */
		{ "лён", "Маска со льном" }, { "лёд", "Массаж льдом" }, { "мхи", "Маска со мхом" },
		{ "деготь", "Дегтярное мыло" }, { "цветы", "Цветочный тоник" },
		{ "плацента", "Плацентарная маска" }, { "leaf", "Leaves wrap" },
		{ "knife", "Knives" }, { "sulphur", "Sulfur mask" }, { "wool", "Woollen socks" },
		{ "beeswax", "Bees wax depilation" }, { "bees wax", "Beeswax" },
		{ "tea tree oil", "Teatree oil facial" }, { "shellfish", "Shell fish extract" },
		{ "lână", "Șosete din lînă" }, { "ваниль", "Маска с ванилью" },
		{ "бальзам", "Уход бальзамом" },
		{ "latex", "L\u0430tex gloves" }, /* a Cyrillic а in a Latin word */
		{ "parfum", "Masaj cu parfumuri" }, { "parfum", "Parfumurile" },
		{ "никель", "Никелированный пинцет" }, { "хром", "Хромированные щипцы" },
	};
	static const char *const apart[][2] = {
		{ "соя", "Маска со сливками" }, { "ил", "Маска или пилинг" },
		{ "мёд", "Модная стрижка" }, { "масло чайного дерева", "Масло кокоса для лица и тела, дерево" },
		{ "перец", "Маска с пером" }, { "латекс", "Латте" },
		{ "ваниль", "Ванна для ног" }, { "ваниль", "Ванны" }, { "bees", "Beeswax" },
	};

	for (size_t i = 0; i < sizeof(meet) / sizeof(meet[0]); i++)
		if (!kt_text_stem_phrase_in(meet[i][0], meet[i][1])) {
			fprintf(stderr, "  '%s' should be in '%s'\n", meet[i][0], meet[i][1]);
			T_CHECK(0);
		}
	for (size_t i = 0; i < sizeof(apart) / sizeof(apart[0]); i++)
		if (kt_text_stem_phrase_in(apart[i][0], apart[i][1])) {
			fprintf(stderr, "  '%s' should not be in '%s'\n", apart[i][0], apart[i][1]);
			T_CHECK(0);
		}
	T_CHECK(kt_text_stem_phrase_in("со", "Маска со сливками")); /* a function word meets itself */
}

static void test_graphic_and_words_key(void)
{
	char *k;

	T_CHECK(kt_text_says_something("a"));
	T_CHECK(!kt_text_says_something(" ."));       /* punctuation alone says nothing */
	T_CHECK(!kt_text_says_something("-?!"));
	T_CHECK(kt_text_says_something("5"));
	T_CHECK(!kt_text_says_something("\xe2\xa0\x80"));         /* U+2800 braille blank */
	T_CHECK(!kt_text_says_something("\xe3\x85\xa4\xe1\x85\x9f")); /* U+3164, U+115F */
	T_CHECK(!kt_text_says_something("\xcd\x8f\xef\xb8\x8f"));     /* U+034F, U+FE0F */
	T_CHECK(kt_text_says_something("\xe2\x80\x8b\xe7\x8e\x8b")); /* ZWSP then 王 */
	T_CHECK(!kt_text_says_something(""));
	T_CHECK(!kt_text_says_something(" \t\r\n"));
	T_CHECK(!kt_text_says_something("\xc2\xa0\xe3\x80\x80\xe2\x80\x8b\xe2\x80\xaf")); /* NBSP, U+3000, ZWSP, NNBSP */
	T_CHECK(!kt_text_says_something("\xff"));
	k = kt_text_words_key("  Пилинг, ЛИЦА! ");
	T_EQ_STR(k, "пилинг лица");
	free(k);
	k = kt_text_words_key("Ștefan-王");
	T_EQ_STR(k, "stefan 王");
	free(k);
	/* each Chinese character is a word: the key is longer than the text (ASan saw it) */
	k = kt_text_words_key("出生日期");
	T_EQ_STR(k, "出 生 日 期");
	free(k);
	T_CHECK(kt_text_words_key(" ,; ") == NULL);
	T_CHECK(kt_text_words_key("") == NULL);
	T_CHECK(kt_text_words_key("a\xff") == NULL);
}

/* The name words of s (kt_text_name_words with parts) joined by '|'. */
static const char *name_words(const char *s, int parts)
{
	static char out[512];
	struct collected c;
	char *f = kt_text_fold(s, strlen(s));

	memset(&c, 0, sizeof(c));
	out[0] = '\0';
	T_CHECK(f != NULL);
	if (f == NULL)
		return out;
	kt_text_name_words(f, parts, collect, &c);
	free(f);
	for (int i = 0; i < c.n && i < WORDS_MAX; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, c.w[i]);
	}
	return out;
}

static void test_what_reads_the_same_folds_the_same(void)
{
	check_fold("Işıl Kırmızı", "isil kirmizi");       /* dotless ı */
	check_fold("IŞIL", "isil");
	check_fold("İnci", "inci");
	check_fold("Łucja Bjørn Đorđe Ħal", "lucja bjorn dorde hal");
	check_fold("Ґалина", "галина");                    /* Ukrainian ґ as Russian г */
	check_fold("Aнна", "анна");                        /* a Latin A among Cyrillic */
	check_fold("Ivаnova", "ivanova");                  /* a Cyrillic а among Latin */
	check_fold("Aнна Ivanova", "анна ivanova");        /* each word by its own letters */
	check_fold("Ди\u200bана", "диана");              /* zero-width space */
	check_fold("Ку\u00adзина", "кузина");            /* soft hyphen */
	check_fold("\u200eАнна\u200f", "анна");          /* direction marks */
	check_fold("Анна\u00a0Иванова", "анна иванова");  /* no-break space */
	check_fold("O\u2019Brien", "o'brien");            /* apostrophes become ' */
	check_fold("П\u02bcятаченко", "п'ятаченко");
	check_fold("O\u00b4Neill", "o'neill");
	check_fold("Иванова\u2011Петрова", "иванова-петрова"); /* non-breaking hyphen */
	check_fold("Қуаныш Әлиева", "куаныш алиева");      /* Kazakh */
	check_fold("Їжакевич Євгенія", "ижакевич евгения"); /* Ukrainian */
	check_fold("Ўладзімір", "уладзимир");              /* Belarusian */
	check_fold("Æsa Œuvre Þóra Ðuro", "aesa oeuvre thora duro");
	check_fold("Вiра", "вира");                        /* a Latin i among Cyrillic */
	check_fold("張偉", "张伟");                          /* Traditional as Simplified */
	check_fold("陳美麗", "陈美丽");
	check_fold("王小明", "王小明");
}

static void test_name_words_join_across_apostrophes(void)
{
	T_EQ_STR(name_words("Siobhan O'Brien", 1), "siobhan|obrien|o|brien");
	T_EQ_STR(name_words("Siobhan O'Brien", 0), "siobhan|obrien");
	T_EQ_STR(name_words("Оксана П\u02bcятаченко", 1), "оксана|пятаченко|п|ятаченко");
	T_EQ_STR(name_words("D\u2019Arcy", 0), "darcy");
	T_EQ_STR(name_words("d'Artagnan-Smith", 1), "dartagnansmith|d|artagnan|smith");
	T_EQ_STR(name_words("d'Artagnan-Smith", 0), "dartagnan|smith"); /* a query splits at '-' */
	T_EQ_STR(name_words("Петрова-Водкина", 1), "петроваводкина|петрова|водкина");
	T_EQ_STR(name_words("rock 'n' roll", 0), "rock|n|roll"); /* a quote, not inside a word */
	T_EQ_STR(name_words("O'", 1), "o");
	T_EQ_STR(name_words("'", 1), "");
}

static void test_phones_in_any_digits_and_blanks(void)
{
	char out[64];

	kt_text_phone_ascii("+7\u00a0912\u2009345\u2011 67\u202f89", strlen("+7\u00a0912\u2009345\u2011 67\u202f89"), out, sizeof(out));
	T_EQ_STR(out, "+7 912 345- 67 89");
	kt_text_phone_ascii("\uff11\uff13\uff18", strlen("\uff11\uff13\uff18"), out, sizeof(out));
	T_EQ_STR(out, "138");
	kt_text_phone_ascii("\u0668\u0669\u0661", strlen("\u0668\u0669\u0661"), out, sizeof(out)); /* Arabic-Indic */
	T_EQ_STR(out, "891");
	kt_text_phone_ascii("\u096e\u096f", strlen("\u096e\u096f"), out, sizeof(out)); /* Devanagari */
	T_EQ_STR(out, "89");
	kt_text_phone_ascii("8\u200b912", strlen("8\u200b912"), out, sizeof(out)); /* zero-width: gone */
	T_EQ_STR(out, "8912");
	kt_text_phone_ascii("тел. 8912", strlen("тел. 8912"), out, sizeof(out));
	T_EQ_STR(out, "   . 8912");
	kt_text_phone_ascii("12345678", 8, out, 4);             /* cut to the room */
	T_EQ_STR(out, "123");
	T_EQ_INT(kt_text_phone_ascii("\xff", 1, out, sizeof(out)), 0); /* not UTF-8 */
	T_EQ_INT(kt_text_phone_like("+7 (912) 345-67-89", 3), 1);
	T_EQ_INT(kt_text_phone_like("\uff11\uff13\uff18", 3), 1);
	T_EQ_INT(kt_text_phone_like("+7\u00a0912", 3), 1);
	T_EQ_INT(kt_text_phone_like("Анна 8912", 3), 0);
	T_EQ_INT(kt_text_phone_like("12", 3), 0);
	T_EQ_INT(kt_text_phone_like("abc", 3), 0);
	kt_text_phone_ascii("+7 912 111 22 33 Доб. 12", strlen("+7 912 111 22 33 Доб. 12"), out, sizeof(out));
	T_EQ_STR(out, "+7 912 111 22 33 ext. 12");
	kt_text_phone_ascii("8 912 111 22 33 вн.5", strlen("8 912 111 22 33 вн.5"), out, sizeof(out));
	T_EQ_STR(out, "8 912 111 22 33 ext.5");
	T_EQ_INT(kt_text_phone_number("+7 912 345 67 89 ext. 12", out, sizeof(out)), 17);
	T_EQ_STR(out, "+7 912 345 67 89 ");
	T_EQ_INT(kt_text_phone_number("89123456789", out, sizeof(out)), 11);
}

/* The safety check's matcher and apostrophes of every kind (issue 13's review). */
static void test_stem_phrase_across_apostrophes(void)
{
	T_EQ_INT(kt_text_stem_phrase_in("м\u02bcята", "М'ята маска"), 1);   /* U+02BC and ' */
	T_EQ_INT(kt_text_stem_phrase_in("м'ята", "М\u02bcята маска"), 1);
	T_EQ_INT(kt_text_stem_phrase_in("м\u02b9ята", "М\u2019ята маска"), 1); /* ʹ and ’ */
	T_EQ_INT(kt_text_stem_phrase_in("м\u02bbята", "М`ята маска"), 1);      /* ʻ and ` */
	T_EQ_INT(kt_text_stem_phrase_in("мята", "М'ятный скраб"), 1);          /* stems across it */
	T_EQ_INT(kt_text_stem_phrase_in("мята", "М\u2019ятный скраб"), 1);
	T_EQ_INT(kt_text_stem_phrase_in("м'ята", "Мятный скраб"), 1);
	T_EQ_INT(kt_text_stem_phrase_in("o'live", "Olives scrub"), 1);
	T_EQ_INT(kt_text_stem_phrase_in("olives", "O'live scrub"), 1);
	T_EQ_INT(kt_text_stem_phrase_in("argan", "Huile d'argan"), 1);         /* the part still counts */
	T_EQ_INT(kt_text_stem_phrase_in("d'argan", "Argan oil"), 1);           /* the elided d' aside */
	T_EQ_INT(kt_text_stem_phrase_in("масло арганы", "Маска с маслом д'арганы"), 1);
	T_EQ_INT(kt_text_stem_phrase_in("huile d'argan", "Argan oil"), 0);     /* every word still needed */
	T_EQ_INT(kt_text_stem_phrase_in("rock", "Rock'n'roll style"), 1);
}

static void test_prefix(void)
{
	T_CHECK(kt_text_has_prefix("иванова", strlen("иванова"), "иван", strlen("иван")));
	T_CHECK(kt_text_has_prefix("иван", strlen("иван"), "иван", strlen("иван")));
	T_CHECK(kt_text_has_prefix("иван", strlen("иван"), "", 0));
	T_CHECK(!kt_text_has_prefix("иван", strlen("иван"), "иванова", strlen("иванова")));
	T_CHECK(!kt_text_has_prefix("ivan", 4, "iv an", 5));
}

/* A table cell: display columns, not bytes; cut with an ellipsis; controls shown. */
static void test_cell_pads_by_display_width_and_shows_controls(void)
{
	char out[128];

	T_EQ_INT(kt_text_cell("Anna", 6, out, sizeof(out)), 6);
	T_EQ_STR(out, "Anna  ");
	T_EQ_INT(kt_text_cell("Анна", 6, out, sizeof(out)), 6); /* 8 bytes, 4 columns */
	T_EQ_STR(out, "Анна  ");
	T_EQ_INT(kt_text_cell("王小明", 8, out, sizeof(out)), 8); /* wide: 2 columns each */
	T_EQ_STR(out, "王小明  ");
	T_EQ_INT(kt_text_cell("Ste\xcc\x81" "fan", 7, out, sizeof(out)), 7); /* a combining mark: 0 */
	T_EQ_STR(out, "Ste\xcc\x81" "fan ");
	/* Cut: width - 1 columns and an ellipsis; a wide one that does not fit leaves a blank. */
	T_EQ_INT(kt_text_cell("Александра", 6, out, sizeof(out)), 6);
	T_EQ_STR(out, "Алекс\xe2\x80\xa6");
	T_EQ_INT(kt_text_cell("王小明王小明", 6, out, sizeof(out)), 6);
	T_EQ_STR(out, "王小\xe2\x80\xa6 ");
	T_EQ_INT(kt_text_cell("abcdef", 6, out, sizeof(out)), 6); /* exactly fits: no cut */
	T_EQ_STR(out, "abcdef");
	/* Controls: ESC and tab as control pictures, line breaks as one return symbol. */
	T_EQ_INT(kt_text_cell("a\x1b[2Jb", -1, out, sizeof(out)), 6);
	T_EQ_STR(out, "a\xe2\x90\x9b[2Jb");
	T_EQ_INT(kt_text_cell("x\ty\r\nz\n", -1, out, sizeof(out)), 6);
	T_EQ_STR(out, "x\xe2\x90\x89y\xe2\x8f\x8ez\xe2\x8f\x8e");
	T_EQ_INT(kt_text_cell("\x7f\xc2\x9b\xe2\x80\xa8", -1, out, sizeof(out)), 3);
	T_EQ_STR(out, "\xe2\x90\xa1\xef\xbf\xbd\xe2\x8f\x8e"); /* DEL, C1 CSI, U+2028 */
	T_EQ_INT(kt_text_cell("a\xff", 3, out, sizeof(out)), 3); /* not UTF-8 */
	T_EQ_STR(out, "a\xef\xbf\xbd ");
	/* A small buffer is never cut inside a character and always ends. */
	T_EQ_INT(kt_text_cell("Анна", -1, out, 4), 1);
	T_EQ_STR(out, "А");
	T_EQ_INT(kt_text_cell("", 3, out, sizeof(out)), 3);
	T_EQ_STR(out, "   ");
	T_EQ_INT(kt_text_cell("abc", 0, out, sizeof(out)), 0);
	T_EQ_STR(out, "");
}

int main(void)
{
	T_RUN(test_fold_ignores_case_and_accents);
	T_RUN(test_fold_of_decomposed_input_matches_composed);
	T_RUN(test_chinese_name_is_one_word_per_character);
	T_RUN(test_mixed_latin_and_cjk_split_at_each_ideograph);
	T_RUN(test_kana_hangul_and_iteration_marks_are_words);
	T_RUN(test_words_are_letters_and_digits);
	T_RUN(test_ascii_and_unicode_paths_agree);
	T_RUN(test_words_stop_early_with_fn_value);
	T_RUN(test_long_words_are_cut_at_the_limit);
	T_RUN(test_invalid_utf8_is_refused);
	T_RUN(test_embedded_nul_is_refused);
	T_RUN(test_phrase_matches_whole_words_in_order);
	T_RUN(test_phrase_found_late_in_a_long_text);
	T_RUN(test_stem_phrase_matches_word_forms);
	T_RUN(test_stem_phrase_keeps_exact_matches);
	T_RUN(test_stem_compiled_once_matched_often);
	T_RUN(test_stem_phrase_sound_changes_gaps_and_function_words);
	T_RUN(test_graphic_and_words_key);
	T_RUN(test_what_reads_the_same_folds_the_same);
	T_RUN(test_name_words_join_across_apostrophes);
	T_RUN(test_phones_in_any_digits_and_blanks);
	T_RUN(test_stem_phrase_across_apostrophes);
	T_RUN(test_prefix);
	T_RUN(test_cell_pads_by_display_width_and_shows_controls);
	T_DONE();
}
