/* test_list.c - a list value typed as one string, split into entries (common/list.h). */
#include "t.h"
#include "list.h"

/* Joins the entries of s with '|' into out, for one comparison. */
static const char *split(const char *s, char *out, size_t cap)
{
	struct kt_span p;
	size_t pos = 0, o = 0;

	out[0] = '\0';
	while (kt_list_next(s, strlen(s), &pos, &p)) {
		o += (size_t)snprintf(out + o, cap - o, "%s%.*s", o ? "|" : "", (int)p.n, p.s);
		if (o >= cap)
			break;
	}
	return out;
}

static void test_separators(void)
{
	char b[512];

	T_EQ_STR(split("latex, nuts", b, sizeof(b)), "latex|nuts");
	T_EQ_STR(split("латекс; орехи", b, sizeof(b)), "латекс|орехи");
	T_EQ_STR(split("латекс,орехи;мёд", b, sizeof(b)), "латекс|орехи|мёд");
	T_EQ_STR(split("latex\nnuts\r\nhoney", b, sizeof(b)), "latex|nuts|honey");
	T_EQ_STR(split("花生，乳胶；香水、酒精", b, sizeof(b)), "花生|乳胶|香水|酒精");
	T_EQ_STR(split("масло чайного дерева", b, sizeof(b)), "масло чайного дерева");
	T_EQ_STR(split("latex\xe2\x80\x9a nuts\xef\xb9\x90honey\xef\xb9\x91mint\xef\xb9\x94tea",
		       b, sizeof(b)), "latex|nuts|honey|mint|tea");
	T_EQ_STR(split("latex\xd8\x8c nuts\xd8\x9bhoney", b, sizeof(b)), "latex|nuts|honey");
}

static void test_decimal_comma_and_brackets(void)
{
	char b[512];

	T_EQ_STR(split("изотретиноин 0,5 мг", b, sizeof(b)), "изотретиноин 0,5 мг");
	T_EQ_STR(split("кислота 5, 10", b, sizeof(b)), "кислота 5|10"); /* a space: two */
	T_EQ_STR(split("латекс (сыпь, отёк), орехи", b, sizeof(b)), "латекс (сыпь, отёк)|орехи");
	T_EQ_STR(split("никель [уши; шея]; хна", b, sizeof(b)), "никель [уши; шея]|хна");
	T_EQ_STR(split("a (b (c, d), e), f", b, sizeof(b)), "a (b (c, d), e)|f");
	T_EQ_STR(split("乳胶（皮疹，肿），花生", b, sizeof(b)), "乳胶（皮疹，肿）|花生");
	/* an unclosed bracket is an ordinary character: it hides no entry */
	T_EQ_STR(split("латекс (сыпь, орехи", b, sizeof(b)), "латекс (сыпь|орехи");
	T_EQ_STR(split("латекс (сыпь\nорехи)", b, sizeof(b)), "латекс (сыпь|орехи)");
	T_EQ_STR(split("latex), nuts", b, sizeof(b)), "latex)|nuts");
}

static void test_blanks_and_empty_entries(void)
{
	char b[512];

	T_EQ_STR(split("  latex ,\t nuts  ", b, sizeof(b)), "latex|nuts");
	T_EQ_STR(split("\xc2\xa0латекс\xe2\x80\xaf;\xe3\x80\x80орехи\xe2\x80\x89", b, sizeof(b)),
		 "латекс|орехи");
	T_EQ_STR(split(",, ;latex;;", b, sizeof(b)), "latex");
	T_EQ_STR(split("", b, sizeof(b)), "");
	T_EQ_STR(split(" , ; \n", b, sizeof(b)), "");
	T_EQ_INT(kt_list_count("a, b; c", 7), 3);
	T_EQ_INT(kt_list_count(" ; ", 3), 0);
}

/* Only n bytes are read: a value cut in the middle of a separator or blank. */
static void test_never_reads_past_n(void)
{
	const char s[] = "ab\xef\xbc\x8c" "cd";
	struct kt_span p;
	size_t pos = 0;
	char *heap = malloc(4);

	T_EQ_INT(kt_list_count(s, 4), 1); /* "ab" and half of U+FF0C */
	memcpy(heap, "x, (", 4);          /* no NUL: ASan sees a read past it */
	T_EQ_INT(kt_list_count(heap, 4), 2);
	T_EQ_INT(kt_list_bracket_end(heap, 4, 3), 0);
	T_CHECK(kt_list_next(heap, 4, &pos, &p) && p.n == 1);
	free(heap);
	T_EQ_INT(kt_list_bracket_end("(a)", 3, 0), 3);
	T_EQ_INT(kt_list_bracket_end("a", 1, 0), 0);
	T_EQ_INT(kt_list_bracket_end("a", 1, 5), 0);
}

int main(void)
{
	T_RUN(test_separators);
	T_RUN(test_decimal_comma_and_brackets);
	T_RUN(test_blanks_and_empty_entries);
	T_RUN(test_never_reads_past_n);
	T_DONE();
}
