/*
 * test_import.c - the import parsers (node/import.c), row by row, with no
 * store: CSV syntax, per-row checks through the schema with their line
 * numbers, every limit at max and max + 1, and the JSON export format
 * including a round trip of what kt_card_json() prints.
 */
#include "t.h"
#include "import.h"
#include "dates.h"
#include "card.h"
#include "proto/schema.h"
#include "proto/limits.h"

#include <stdlib.h>
#include <sys/mman.h>

static struct kt_err err;

static int parse(struct kt_import *im, const char *s)
{
	kt_err_clear(&err);
	return kt_import_parse(im, s, strlen(s), &err);
}

/* The nth value of field name in row r, or NULL. */
static const char *field(const struct kt_import_row *r, const char *name, int nth)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, name) == 0 && nth-- == 0)
			return r->f[i].value;
	return NULL;
}

static int is_list_item(const struct kt_import_row *r, const char *name)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return r->f[i].add;
	return -1;
}

/* A CSV with a header "name,notes" and one row "A,<notes>". */
static char *csv_with_notes(size_t notes_len, char fill)
{
	char *s = malloc(notes_len + 32);

	strcpy(s, "name,notes\nA,");
	memset(s + 13, fill, notes_len);
	strcpy(s + 13 + notes_len, "\nB,\n");
	return s;
}

static void test_csv_quotes_crlf_bom_quoted_newline_and_lists(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "\xef\xbb\xbfName, Phone ,allergies,notes\r\n"
			    "Анна Иванова,+7 912 345-67-89,latex; nuts ;,\"a, b\"\r\n"
			    "\"Smith, John\",,,\"two\r\nlines \"\"quoted\"\"\"\r\n"
			    "\r\n"
			    ",,,\r\n"
			    "  \"Ștefania\" ,0721234567,,\r\n"), 0);
	T_EQ_INT(im.json, 0);
	T_EQ_INT(im.n, 3);
	T_EQ_INT(im.rows[0].line, 2);
	T_EQ_INT(im.rows[0].type, KT_T_CLIENT);
	T_EQ_STR(im.rows[0].id, "");
	T_EQ_STR(field(&im.rows[0], "name", 0), "Анна Иванова");
	T_EQ_STR(field(&im.rows[0], "phone", 0), "+7 912 345-67-89");
	T_EQ_STR(field(&im.rows[0], "allergies", 0), "latex");
	T_EQ_STR(field(&im.rows[0], "allergies", 1), "nuts");
	T_CHECK(field(&im.rows[0], "allergies", 2) == NULL); /* the empty item is dropped */
	T_EQ_INT(is_list_item(&im.rows[0], "allergies"), 1);
	T_EQ_INT(is_list_item(&im.rows[0], "name"), 0);
	T_EQ_STR(field(&im.rows[0], "notes", 0), "a, b");
	T_EQ_STR(field(&im.rows[1], "name", 0), "Smith, John");
	T_EQ_STR(field(&im.rows[1], "notes", 0), "two\nlines \"quoted\"");
	T_CHECK(field(&im.rows[1], "phone", 0) == NULL); /* empty cells are skipped */
	T_EQ_INT(im.rows[1].line, 3);
	T_EQ_STR(field(&im.rows[2], "name", 0), "Ștefania"); /* blanks around quotes */
	T_EQ_INT(im.rows[2].line, 7); /* the quoted newline and the blank rows count */
	for (size_t i = 0; i < im.n; i++)
		T_CHECK(im.rows[i].bad == NULL);
	kt_import_release(&im);
}

static void test_csv_semicolon_separator_and_type_column(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "Name;Skin type;Type;tags\nAnna;Dry;client;\"vip;new\"\n"
			    "Olga;;visit;\n"), 0);
	T_EQ_INT(im.n, 2);
	T_EQ_STR(field(&im.rows[0], "skin_type", 0), "Dry");
	T_EQ_STR(field(&im.rows[0], "tags", 1), "new");
	T_CHECK(im.rows[0].bad == NULL);
	T_CHECK(im.rows[1].bad != NULL && strstr(im.rows[1].bad, "'visit'") != NULL);
	kt_import_release(&im);
}

static void test_csv_bad_date_is_reported_on_its_line(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "name,birthday,gender\n"
			    "A,1990-01-01,female\n"
			    "\"B\nstill B\",,\n"
			    "\n"
			    "D,,Male\n"
			    "E,2026-02-30,\n"
			    "F,2024-02-29,\n"
			    ",1990-01-01,\n"
			    "G,,robot\n"), 0);
	T_EQ_INT(im.n, 7);
	T_EQ_INT(im.rows[3].line, 7);
	T_EQ_STR(im.rows[3].bad, "bad date '2026-02-30' for 'birthday': the calendar has no such day");
	T_EQ_INT(im.rows[3].n, 0); /* a bad row keeps no values */
	T_CHECK(im.rows[4].bad == NULL); /* a leap day */
	T_EQ_INT(im.rows[5].line, 9);
	T_EQ_STR(im.rows[5].bad, "a client needs a name");
	T_EQ_INT(im.rows[6].line, 10);
	T_CHECK(im.rows[6].bad != NULL && strstr(im.rows[6].bad, "'gender' wants one of") != NULL);
	T_EQ_STR(field(&im.rows[2], "gender", 0), "Male"); /* the draft folds it on writing */
	T_CHECK(im.rows[0].bad == NULL && im.rows[2].bad == NULL);
	/* a line break inside a name is refused on the row's first line: a name is one line */
	T_EQ_INT(im.rows[1].line, 3);
	T_EQ_STR(im.rows[1].bad, "value for 'name' holds a line break (it is one line)");
	kt_import_release(&im);
}

/* Excel's first line "sep=X" names the separator; the header is the next line. */
static void test_csv_sep_line_names_the_separator(void)
{
	static const char *const ok[] = {
		"sep=;\nname;phone\nАнна Иванова;+7 912 345 67 89\n",
		"\xef\xbb\xbfsep=;\r\nName;Phone\r\nАнна Иванова;+7 912 345 67 89\r\n",
		"SEP=|\nname|phone\nАнна Иванова|+7 912 345 67 89\n",
		"sep=\t\nname\tphone\nАнна Иванова\t+7 912 345 67 89\n",
		"sep=,\nname,phone\nАнна Иванова,+7 912 345 67 89\n",
	};
	static const char *const bad[] = { "sep=\nname\n", "sep=;;\nname\n", "sep=" };
	struct kt_import im;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		T_EQ_INT(parse(&im, ok[i]), 0);
		T_EQ_INT(im.n, 1);
		T_EQ_INT(im.rows[0].line, 3);
		T_EQ_STR(field(&im.rows[0], "name", 0), "Анна Иванова");
		T_EQ_STR(field(&im.rows[0], "phone", 0), "+7 912 345 67 89");
		kt_import_release(&im);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_CHECK(parse(&im, bad[i]) != 0);
		T_CHECK(strstr(err.msg, "line 1: 'sep=' must name one separator") != NULL);
		kt_import_release(&im);
	}
}

static void test_csv_unknown_or_repeated_column_refuses_the_file(void)
{
	struct kt_import im;

	T_CHECK(parse(&im, "name,colour\nAnna,red\n") == KT_EINVAL);
	T_CHECK(strstr(err.msg, "unknown column 'colour'") != NULL);
	T_EQ_INT(im.n, 0);
	kt_import_release(&im);
	T_CHECK(parse(&im, "name,phone,Phone\nAnna,1,2\n") == KT_EINVAL);
	T_CHECK(strstr(err.msg, "'phone' appears twice") != NULL);
	kt_import_release(&im);
	T_CHECK(parse(&im, "phone,email\n1,a@b.c\n") == KT_EINVAL); /* no name column */
	kt_import_release(&im);
	T_CHECK(parse(&im, "") == KT_EINVAL);
	kt_import_release(&im);
	T_CHECK(parse(&im, "name,tags,tags\nAnna,a,b\n") == 0); /* a list may repeat */
	T_EQ_STR(field(&im.rows[0], "tags", 1), "b");
	kt_import_release(&im);
}

static void test_csv_too_many_cells_and_unnamed_columns(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "name,phone,\nAnna,1,2,3\nOlga\nIra,,x\nVera,,\n"), 0);
	T_EQ_INT(im.n, 4);
	T_EQ_STR(im.rows[0].bad, "4 cells but the header names 3 columns (an empty cell still "
		 "needs its separator)");
	/* fewer cells are refused too: "Анна,латекс" under name,notes,allergies lost the allergy */
	T_EQ_STR(im.rows[1].bad, "1 cell but the header names 3 columns (an empty cell still "
		 "needs its separator)");
	T_CHECK(im.rows[2].bad != NULL && strstr(im.rows[2].bad, "column 3") != NULL);
	T_CHECK(im.rows[3].bad == NULL);
	kt_import_release(&im);
}

static void test_csv_unclosed_quote_refuses_the_file(void)
{
	struct kt_import im;

	T_CHECK(parse(&im, "name,notes\nAnna,ok\nOlga,\"never closed\nIra,x\n") == KT_EINVAL);
	T_CHECK(strstr(err.msg, "line 3:") != NULL);
	kt_import_release(&im);
}

/* A file not in UTF-8 is in another character set: refused whole, naming the line. */
static void test_csv_invalid_utf8_refuses_the_file_naming_its_line(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "name,notes\nAnna,ok\n\xd0\xe0\xff,\nOk,\xd0\x90\n"), KT_EINVAL);
	T_CHECK(strstr(err.msg, "line 3: the file is not UTF-8 text") != NULL);
	T_CHECK(strstr(err.msg, "--encoding cp1251") != NULL);
	T_EQ_INT(im.n, 0);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "name,notes\nAnna,\xc3\x28\n"), KT_EINVAL); /* a broken sequence */
	T_CHECK(strstr(err.msg, "line 2:") != NULL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "name\n\xed\xa0\x80\n"), KT_EINVAL); /* a surrogate */
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "name\n\xc0\xaf\n"), KT_EINVAL); /* an overlong '/' */
	kt_import_release(&im);
}

/* Windows-1251 (a Russian Excel's "CSV"): --encoding cp1251 converts it. */
static void test_cp1251_is_refused_or_decoded_with_encoding(void)
{
	/* "ФИО;Аллергии\r\nАнна;латекс\r\n" in Windows-1251 */
	static const char cp[] = "\xd4\xc8\xce;\xc0\xeb\xeb\xe5\xf0\xe3\xe8\xe8\r\n"
				 "\xc0\xed\xed\xe0;\xeb\xe0\xf2\xe5\xea\xf1\r\n";
	struct kt_import im;
	char *u;
	size_t n;

	T_EQ_INT(parse(&im, cp), KT_EINVAL);
	T_CHECK(strstr(err.msg, "line 1: the file is not UTF-8") != NULL);
	kt_import_release(&im);
	T_EQ_INT(kt_import_decode(cp, strlen(cp), "cp1251", &u, &n, &err), 0);
	T_EQ_INT(kt_import_parse(&im, u, n, &err), 0);
	T_EQ_INT(im.n, 1);
	T_EQ_STR(field(&im.rows[0], "name", 0), "Анна");
	T_EQ_STR(field(&im.rows[0], "allergies", 0), "латекс");
	kt_import_release(&im);
	/* a file in UTF-8 already would be garbled: refused */
	{
		char *again;
		size_t m;

		T_EQ_INT(kt_import_decode(u, n, "cp1251", &again, &m, &err), KT_EINVAL);
		T_CHECK(again == NULL && strstr(err.msg, "UTF-8 already") != NULL);
	}
	free(u);
	T_CHECK(kt_import_decode("a", 1, "no-such-set", &u, &n, &err) == KT_EINVAL);
	T_CHECK(strstr(err.msg, "unknown encoding") != NULL);
	/* a byte Windows-1251 does not have, on line 2 */
	T_CHECK(kt_import_decode("name\n\x98\n", 7, "cp1251", &u, &n, &err) == KT_EINVAL);
	T_CHECK(strstr(err.msg, "line 2: byte 0x98") != NULL);
}

/* Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated, CRLF. */
static void test_utf16_with_bom_is_decoded(void)
{
	static const char *const text = "ФИО\tТелефон\r\nАнна Иванова\t+7 912 345 67 89\r\n";
	char buf[256];
	size_t n = 0;
	struct kt_import im;
	uint32_t cp;

	buf[n++] = '\xff';
	buf[n++] = '\xfe';
	for (const unsigned char *s = (const unsigned char *)text; *s; ) {
		if (*s < 0x80) {
			cp = *s++;
		} else {
			cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f); /* Cyrillic: 2 bytes */
			s += 2;
		}
		buf[n++] = (char)(cp & 0xff);
		buf[n++] = (char)(cp >> 8);
	}
	T_EQ_INT(kt_import_parse(&im, buf, n, &err), 0);
	T_EQ_INT(im.n, 1);
	T_EQ_STR(field(&im.rows[0], "name", 0), "Анна Иванова");
	T_EQ_STR(field(&im.rows[0], "phone", 0), "+7 912 345 67 89");
	kt_import_release(&im);
	/* the same without its BOM says what it is */
	T_EQ_INT(kt_import_parse(&im, buf + 2, n - 2, &err), KT_EINVAL);
	T_CHECK(strstr(err.msg, "UTF-16 text without a byte-order mark") != NULL);
	kt_import_release(&im);
}

/* Workbooks and other files that are not CSV: one line saying what they look like. */
static void test_files_that_are_not_csv_say_what_they_look_like(void)
{
	static const struct {
		const char *data;
		size_t n;
		const char *says;
	} cases[] = {
		{ "PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0", 16, "Excel .xlsx file" },
		{ "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0", 12, "old Excel .xls file" },
		{ "%PDF-1.7\n", 9, "a PDF" },
		{ "<?xml version=\"1.0\"?><Workbook>", 32, "XML or HTML" },
		{ "<html><table><tr><td>a</td></tr></table></html>", 47, "XML or HTML" },
		{ "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0", 20, "binary file" },
	};
	struct kt_import im;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_EQ_INT(kt_import_parse(&im, cases[i].data, cases[i].n, &err), KT_EINVAL);
		T_CHECK(strstr(err.msg, cases[i].says) != NULL);
		T_CHECK(strchr(err.msg, '\n') == NULL);
		kt_import_release(&im);
		T_EQ_INT(kt_import_parse_csv(&im, cases[i].data, cases[i].n, &err), KT_EINVAL);
		kt_import_release(&im);
	}
}

/* A NUL byte would cut a cell short: the row is bad, naming the line and column. */
static void test_csv_nul_byte_is_a_bad_row(void)
{
	static const char s[] = "name,notes,tags\nAnna,ok,a\nOlga,se\0cret,b\nIra,\"x\0\",\n"
				"\0,,\nVera,,\n";
	struct kt_import im;

	T_EQ_INT(kt_import_parse(&im, s, sizeof(s) - 1, &err), 0);
	T_EQ_INT(im.n, 5);
	T_CHECK(im.rows[0].bad == NULL);
	T_EQ_INT(im.rows[1].line, 3);
	T_EQ_STR(im.rows[1].bad, "column 2 holds a NUL byte (the file is damaged, or not text)");
	T_EQ_INT(im.rows[2].line, 4);
	T_CHECK(im.rows[2].bad != NULL && strstr(im.rows[2].bad, "column 2") != NULL);
	T_CHECK(im.rows[3].bad != NULL && strstr(im.rows[3].bad, "column 1") != NULL);
	T_CHECK(im.rows[4].bad == NULL);
	kt_import_release(&im);
	T_EQ_INT(kt_import_parse(&im, "na\0me\nAnna\n", 11, &err), KT_EINVAL);
	T_CHECK(strstr(err.msg, "line 1: column 1 of the header holds a NUL") != NULL);
	kt_import_release(&im);
}

/* Empty cells past the header's columns (a spreadsheet's padding), blank lines. */
static void test_csv_trailing_empty_cells_and_blank_lines(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "ФИО;Телефон;;\r\n\r\nАнна;+7 912 345 67 89;;;;\r\n;;;\r\n"
			    "Ольга;;;\r\nИра;;; x\r\n"), 0);
	T_EQ_INT(im.n, 3);
	T_CHECK(im.rows[0].bad == NULL);
	T_EQ_INT(im.rows[0].line, 3);
	T_CHECK(im.rows[1].bad == NULL);
	T_CHECK(im.rows[2].bad != NULL && strstr(im.rows[2].bad, "column 4") != NULL);
	kt_import_release(&im);
}

/* Headers in the staff's language: case, accents, blanks and a BOM aside. */
static void test_csv_headers_in_four_languages(void)
{
	static const char *const files[] = {
		"\xef\xbb\xbf\xef\xbb\xbfФИО;Телефон;Дата рождения;Аллергии;e-mail;Тип кожи\n",
		" Nume ; TELEFON;Data nasterii;Alergii;Email;Tipul pielii\n",
		"姓名,手机,出生日期,过敏,邮箱,肤质\n",
		"Name,Mobile,Date of birth,Allergies,E-Mail,Skin type\n",
		"Клиент,Тел.,День рождения,аллергия,Почта,skin_type\n",
		"客户,电话,生日,过敏史,电子邮件,皮肤类型\n",
		"№;Имя;Phone;Birthday;Alergie;Почта;Тип кожи\n",
	};
	struct kt_import im;
	char buf[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *sep = strchr(files[i], ';') ? ";" : ",";
		int numbered = strncmp(files[i], "№", strlen("№")) == 0;

		/* the name cell follows the row number, when there is one */
		snprintf(buf, sizeof(buf), "%s%s%s%s%s+7 912 345 67 89%s1990-11-25%sлатекс%s"
			 "a@b.ru%sdry\n", files[i], numbered ? "7" : "", numbered ? sep : "",
			 "Анна", sep, sep, sep, sep, sep);
		T_EQ_INT(parse(&im, buf), 0);
		T_EQ_INT(im.n, 1);
		T_CHECK(im.rows[0].bad == NULL);
		T_EQ_STR(field(&im.rows[0], "name", 0), "Анна");
		T_EQ_STR(field(&im.rows[0], "phone", 0), "+7 912 345 67 89");
		T_EQ_STR(field(&im.rows[0], "birthday", 0), "1990-11-25");
		T_EQ_STR(field(&im.rows[0], "allergies", 0), "латекс");
		T_EQ_STR(field(&im.rows[0], "email", 0), "a@b.ru");
		T_EQ_STR(field(&im.rows[0], "skin_type", 0), "dry");
		kt_import_release(&im);
	}
	T_EQ_STR(kt_import_column(KT_T_CLIENT, "  Data nașterii "), "birthday");
	T_EQ_STR(kt_import_column(KT_T_VISIT, "Услуга"), "services");
	T_EQ_STR(kt_import_column(KT_T_VISIT, "Мастер"), "specialist");
	T_EQ_STR(kt_import_column(KT_T_CATALOGUE, "Состав"), "substances");
	T_CHECK(kt_import_column(KT_T_CLIENT, "Услуга") == NULL);
}

/* The name in parts, as old systems export it: joined in the file's order. */
static void test_csv_name_in_parts(void)
{
	static const struct { const char *header, *row, *name; } files[] = {
		{ "Фамилия;Имя;Отчество;Телефон\n", "Иванова;Анна;Сергеевна;+79123456789\n",
		  "Иванова Анна Сергеевна" },
		{ "Имя;Отчество;Фамилия;Телефон\n", "Анна;Сергеевна;Иванова;+79123456789\n",
		  "Анна Сергеевна Иванова" },
		{ "Nume,Prenume,Telefon\n", "Popescu,Maria,+79123456789\n", "Popescu Maria" },
		{ "Prenume,Nume,Telefon\n", "Maria,Popescu,+79123456789\n", "Maria Popescu" },
		{ "姓,名,电话\n", "王,芳,+79123456789\n", "王芳" },
		{ "First name,Middle name,Last name,Phone\n", "Jane,Ann,Doe,+79123456789\n", "Jane Ann Doe" },
		{ "Given name,Family name,Phone\n", "Jane,Doe,+79123456789\n", "Jane Doe" },
		{ "Surname,Given_name,Patronymic,Phone\n", "Doe,Jane,,+79123456789\n", "Doe Jane" },
		{ "Фамилия;Имя;Отчество;Телефон\n", "  ;Анна ; ;+79123456789\n", "Анна" },
		{ "Имя;Телефон\n", "Анна Иванова;+79123456789\n", "Анна Иванова" }, /* alone: the name */
		{ "Nume;Telefon\n", "Maria Popescu;+79123456789\n", "Maria Popescu" },
		{ "№;Фамилия;Телефон;Имя\n", "1;Иванова;+79123456789;Анна\n", "Иванова Анна" },
	};
	struct kt_import im;
	char buf[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", files[i].header, files[i].row);
		T_EQ_INT(parse(&im, buf), 0);
		T_EQ_INT(im.n, 1);
		T_CHECK(im.rows[0].bad == NULL);
		T_EQ_STR(field(&im.rows[0], "name", 0), files[i].name);
		T_CHECK(field(&im.rows[0], "name", 1) == NULL);
		kt_import_release(&im);
	}
	/* A row whose parts are all empty has no name: a bad row, as today. */
	T_EQ_INT(parse(&im, "Фамилия;Имя;Отчество;Телефон\n;;;+79123456789\nА;;;+79123456789\n"), 0);
	T_EQ_INT(im.n, 2);
	T_EQ_STR(im.rows[0].bad, "a client needs a name");
	T_CHECK(im.rows[1].bad == NULL);
	kt_import_release(&im);
	/* A whole name and parts: refused, naming both. */
	T_EQ_INT(parse(&im, "ФИО;Фамилия;Телефон\nАнна;Иванова;+79123456789\n"), KT_EINVAL);
	T_EQ_STR(err.msg, "line 1: column 'ФИО' is the whole name and column 'Фамилия' a part "
		 "of it: a file gives the name in one column or in parts (surname, given_name, "
		 "patronymic), not both");
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "Prenume,Name\nMaria,Maria Popescu\n"), KT_EINVAL);
	T_CHECK(strstr(err.msg, "column 'Name' is the whole name and column 'Prenume'") != NULL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "Фамилия;Имя;Фамилия\nа;б;в\n"), KT_EINVAL);
	T_EQ_STR(err.msg, "line 1: column 'Фамилия' appears twice");
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "Фамилия;Last name\nа;б\n"), KT_EINVAL); /* one part, two names */
	T_CHECK(strstr(err.msg, "appears twice") != NULL);
	kt_import_release(&im);
	/* A visit names her by her parts as by a name column. */
	T_EQ_INT(parse(&im, "Фамилия;Имя;Телефон;Дата;Услуга\n"
			    "Иванова;Анна;+7 912 345 67 89;2024-03-01;Пилинг\n"
			    ";;+7 912 345 67 89;2024-03-01;Пилинг\n"), 0);
	T_EQ_INT(im.rows[0].type, KT_T_VISIT);
	T_EQ_STR(im.rows[0].by_name, "Иванова Анна");
	T_CHECK(im.rows[1].bad == NULL && im.rows[1].by_name == NULL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "ФИО;Имя;Телефон;Дата\nа;б;1;2024-03-01\n"), KT_EINVAL);
	T_CHECK(strstr(err.msg, "not both") != NULL);
	kt_import_release(&im);
	T_EQ_STR(kt_import_column(KT_T_CLIENT, "Отчество"), "patronymic");
	T_EQ_STR(kt_import_column(KT_T_CLIENT, "姓"), "surname");
	T_EQ_STR(kt_import_column(KT_T_CLIENT, "姓名"), "name");
	T_EQ_STR(kt_import_column(KT_T_CATALOGUE, "Nume"), "name"); /* a catalogue entry's is whole */
	T_CHECK(kt_import_column(KT_T_CATALOGUE, "Фамилия") == NULL);
}

static void test_alias_table_names_each_column_once(void)
{
	char why[256] = "";
	char help[8192];

	T_EQ_INT(kt_import_columns_clash(why, sizeof(why)), 0);
	if (why[0])
		printf("# %s\n", why);
	kt_import_columns_text(KT_T_CLIENT, help, sizeof(help));
	T_CHECK(strstr(help, "  phone: Телефон, Тел, Тел., ") != NULL);
	T_CHECK(strstr(help, "  name: ФИО, ") != NULL && strstr(help, "姓名") != NULL);
	T_CHECK(strstr(help, "  surname: Фамилия, Nume, ") != NULL);
	T_CHECK(strstr(help, "  given_name: Имя, Prenume, ") != NULL);
	T_CHECK(strstr(help, "  patronymic: Отчество, ") != NULL);
}

static void test_unknown_column_names_the_known_ones(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "ФИО;Любимый цвет\nАнна;red\n"), KT_EINVAL);
	T_CHECK(strstr(err.msg, "line 1: unknown column 'Любимый цвет'") != NULL);
	T_CHECK(strstr(err.msg, "name, phone, email, birthday, gender") != NULL);
	T_CHECK(strstr(err.msg, "important_dates") != NULL);
	T_CHECK(strstr(err.msg, "import --help") != NULL);
	kt_import_release(&im);
}

/* Excel's rounding of a long number: 7,91235E+10 names nobody. */
static void test_csv_phone_in_scientific_notation_is_dropped(void)
{
	static const char *const rounded[] = { "7,91235E+10", "7.91235E+10", "7,91E+10", "8E10",
					       "7.9e+10", "+7,91235E+10" };
	struct kt_import im;
	char buf[256];

	for (size_t i = 0; i < sizeof(rounded) / sizeof(rounded[0]); i++) {
		snprintf(buf, sizeof(buf), "name;phone;allergies\nАнна;%s;латекс\n", rounded[i]);
		T_EQ_INT(parse(&im, buf), 0);
		T_EQ_INT(im.n, 1);
		T_CHECK(im.rows[0].bad == NULL);
		T_CHECK(im.rows[0].dropped != NULL &&
			strstr(im.rows[0].dropped, "scientific notation") != NULL);
		T_CHECK(field(&im.rows[0], "phone", 0) == NULL);
		T_EQ_STR(field(&im.rows[0], "allergies", 0), "латекс"); /* the rest is kept */
		kt_import_release(&im);
	}
	T_EQ_INT(parse(&im, "name;phone\nАнна;+7 912 345 67 89\nОля;E10\nИра;1e\n"), 0);
	for (size_t i = 0; i < im.n; i++)
		T_CHECK(im.rows[i].dropped == NULL);
	kt_import_release(&im);
	/* a visit named by such a phone is a bad row: it cannot say whose it is */
	T_EQ_INT(parse(&im, "Телефон;Дата;Услуга\n7,91235E+10;2025-01-10;Пилинг\n"), 0);
	T_CHECK(im.rows[0].bad != NULL && strstr(im.rows[0].bad, "scientific") != NULL);
	kt_import_release(&im);
}

/* A CSV of visits is told by its header; the client is named by id, phone or email. */
static void test_csv_of_visits_by_header(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "ФИО;Телефон;Дата;Услуга;Сумма;Мастер;Продукты\n"
			    "Анна Иванова;+7 912 345 67 89;2024-03-01;Пилинг;1500,50;Оля;маска\n"
			    ";;2024-03-02;Массаж;;;\n"
			    "Вера;+7 900;;Массаж;;;\n"), 0);
	T_EQ_INT(im.n, 3);
	T_EQ_INT(im.rows[0].type, KT_T_VISIT);
	T_CHECK(im.rows[0].bad == NULL);
	T_EQ_STR(im.rows[0].by_phone, "+7 912 345 67 89");
	T_EQ_STR(im.rows[0].by_name, "Анна Иванова");
	T_CHECK(im.rows[0].by_email == NULL);
	T_EQ_STR(im.rows[0].client, "");
	T_EQ_STR(field(&im.rows[0], "services", 0), "Пилинг");
	T_EQ_STR(field(&im.rows[0], "amount", 0), "1500,50");
	T_EQ_STR(field(&im.rows[0], "products_used", 0), "маска");
	T_EQ_STR(im.rows[1].bad, "the visit names no client (her card's id, phone or email)");
	T_EQ_STR(im.rows[2].bad, "a visit needs its date");
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "id,client,date,services\n"
			    "01JD3Q5ZK8W6T9V2M4N7P0R1S5,01jd3q5zk8w6t9v2m4n7p0r1s4,2024-03-01,x\n"
			    ",Анна,2024-03-01,x\n"), 0);
	T_EQ_STR(im.rows[0].id, "01JD3Q5ZK8W6T9V2M4N7P0R1S5");
	T_EQ_STR(im.rows[0].client, "01JD3Q5ZK8W6T9V2M4N7P0R1S4");
	T_CHECK(im.rows[1].bad != NULL && strstr(im.rows[1].bad, "is not an id") != NULL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "ФИО;Дата;Услуга\nАнна;2024-03-01;x\n"), KT_EINVAL);
	T_CHECK(strstr(err.msg, "a file of visits needs a column naming the client") != NULL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "Телефон;Дата;Цвет\n1;2024-03-01;x\n"), KT_EINVAL);
	T_CHECK(strstr(err.msg, "unknown column 'Цвет'") != NULL &&
		strstr(err.msg, "specialist, services") != NULL);
	kt_import_release(&im);
}

/* A client CSV may carry ids and merged_into, as export --csv writes them. */
static void test_csv_ids_of_cards(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "id,name,merged_into\n01JD3Q5ZK8W6T9V2M4N7P0R1S3,Vera,\n"
			    "01jd3q5zk8w6t9v2m4n7p0r1s4,Vera K,01JD3Q5ZK8W6T9V2M4N7P0R1S3\n"
			    "nope,Ira,\n"), 0);
	T_EQ_STR(im.rows[0].id, "01JD3Q5ZK8W6T9V2M4N7P0R1S3");
	T_CHECK(im.rows[0].merged_into == NULL);
	T_EQ_STR(im.rows[1].id, "01JD3Q5ZK8W6T9V2M4N7P0R1S4");
	T_EQ_STR(im.rows[1].merged_into, "01JD3Q5ZK8W6T9V2M4N7P0R1S3");
	T_CHECK(im.rows[2].bad != NULL && strstr(im.rows[2].bad, "id 'nope' is not an id") != NULL);
	kt_import_release(&im);
}

/* A JSON array: the records of an export alone are read; plain objects are refused. */
static void test_json_array(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, " [{\"id\":\"01JD3Q5ZK8W6T9V2M4N7P0R1S3\",\"type\":\"client\","
			    "\"fields\":{\"name\":\"Anna\"}}]"), 0);
	T_EQ_INT(im.json, 1);
	T_EQ_INT(im.n, 1);
	T_EQ_STR(field(&im.rows[0], "name", 0), "Anna");
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "[{\"name\":\"Anna\",\"phone\":\"+7 912\"}]"), KT_EINVAL);
	T_CHECK(strstr(err.msg, "line 1: this looks like a JSON array of plain objects") != NULL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "[\"Anna\"]"), KT_EINVAL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "[]"), 0);
	T_EQ_INT(im.n, 0);
	kt_import_release(&im);
}

static void test_csv_value_size_at_max_and_max_plus_1(void)
{
	struct kt_import im;
	char *s = csv_with_notes(KT_VALUE_BYTES_MAX, 'x');

	T_EQ_INT(parse(&im, s), 0);
	T_CHECK(im.rows[0].bad == NULL);
	T_EQ_INT(strlen(field(&im.rows[0], "notes", 0)), KT_VALUE_BYTES_MAX);
	kt_import_release(&im);
	free(s);
	s = csv_with_notes(KT_VALUE_BYTES_MAX + 1, 'x');
	T_EQ_INT(parse(&im, s), 0);
	T_EQ_INT(im.n, 2);
	T_CHECK(im.rows[0].bad != NULL && strstr(im.rows[0].bad, "4097 bytes") != NULL);
	T_CHECK(im.rows[1].bad == NULL);
	kt_import_release(&im);
	free(s);
}

/* A row "A,<blanks>\n" of exactly KT_IMPORT_LINE_BYTES_MAX bytes, then one byte more. */
static void test_csv_row_bytes_at_max_and_max_plus_1(void)
{
	struct kt_import im;
	char *s = csv_with_notes(KT_IMPORT_LINE_BYTES_MAX - 3, ' ');

	T_EQ_INT(parse(&im, s), 0);
	T_EQ_INT(im.n, 2);
	T_CHECK(im.rows[0].bad == NULL);
	T_EQ_INT(im.rows[1].line, 3);
	kt_import_release(&im);
	free(s);
	s = csv_with_notes(KT_IMPORT_LINE_BYTES_MAX - 2, ' ');
	T_EQ_INT(parse(&im, s), 0);
	T_EQ_INT(im.n, 2);
	T_CHECK(im.rows[0].bad != NULL && strstr(im.rows[0].bad, "over the limit") != NULL);
	T_CHECK(im.rows[1].bad == NULL);
	T_EQ_INT(im.rows[1].line, 3);
	kt_import_release(&im);
	free(s);
}

/* name plus n list items in one row. */
static char *csv_with_items(int n)
{
	char *s = malloc(32 + (size_t)n * 8);
	size_t k = (size_t)sprintf(s, "name,tags\nA,");

	for (int i = 0; i < n; i++)
		k += (size_t)sprintf(s + k, "t%d;", i);
	strcpy(s + k, "\n");
	return s;
}

static void test_csv_values_per_row_at_max_and_max_plus_1(void)
{
	struct kt_import im;
	char *s = csv_with_items(KT_OPS_MAX - 5); /* with the name: KT_OPS_MAX - 4 */

	T_EQ_INT(parse(&im, s), 0);
	T_CHECK(im.rows[0].bad == NULL);
	T_EQ_INT(im.rows[0].n, KT_OPS_MAX - 4);
	kt_import_release(&im);
	free(s);
	s = csv_with_items(KT_OPS_MAX - 4);
	T_EQ_INT(parse(&im, s), 0);
	T_CHECK(im.rows[0].bad != NULL && strstr(im.rows[0].bad, "too many") != NULL);
	kt_import_release(&im);
	free(s);
}

/*
 * A list cell that repeats one entry many times ("мёд; Мёд; мёд; ..."): the
 * draft keeps it once, and so does the row (fuzz_import_csv found the row
 * keeping each repeat, past its bound: an abort).  Also blank entries.
 */
static void test_csv_repeated_list_entries_count_once(void)
{
	struct kt_import im;
	size_t cap = 16 * (KT_OPS_MAX + 8) + 64, n;
	char *s = kt_malloc(cap);

	n = (size_t)snprintf(s, cap, "name,tags\nАнна,");
	for (int i = 0; i < 2 * KT_OPS_MAX; i++)
		n += (size_t)snprintf(s + n, cap - n, "%s", i % 3 == 0 ? "мёд;" : i % 3 == 1 ? "Мёд;" : " ;");
	snprintf(s + n, cap - n, "орехи\n");
	T_EQ_INT(parse(&im, s), 0);
	T_CHECK(im.rows[0].bad == NULL);
	T_EQ_INT(im.rows[0].n, 3); /* name, мёд, орехи */
	kt_import_release(&im);
	free(s);
}

/* A file of max bytes is read (its over-long first row refuses it); max + 1 is not. */
static void test_file_bytes_at_max_and_max_plus_1(void)
{
	size_t max = (size_t)KT_IMPORT_FILE_BYTES_MAX;
	struct kt_import im;
	char *z = mmap(NULL, max + 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	T_CHECK(z != MAP_FAILED);
	if (z == MAP_FAILED)
		return;
	T_EQ_INT(kt_import_parse(&im, z, max, &err), KT_EINVAL);
	T_CHECK(strstr(err.msg, "binary file") != NULL); /* NUL bytes alone */
	kt_import_release(&im);
	T_EQ_INT(kt_import_parse(&im, z, max + 1, &err), KT_ETOOBIG);
	kt_import_release(&im);
	T_EQ_INT(kt_import_parse_csv(&im, z, max + 1, &err), KT_ETOOBIG);
	kt_import_release(&im);
	T_EQ_INT(kt_import_parse_json(&im, z, max + 1, &err), KT_ETOOBIG);
	kt_import_release(&im);
	kt_import_release(NULL);
	munmap(z, max + 1);
}

static void test_json_export_format(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "\xef\xbb\xbf\n {\"format\":\"kartoteka-export\",\"version\":1,"
			    "\"records\":["
			    "{\"id\":\"01jd3q5zk8w6t9v2m4n7p0r1s3\",\"type\":\"client\",\"fields\":"
			    "{\"name\":\"Anna\",\"allergies\":[\"latex\",\"nuts\"],"
			    "\"consent_photos\":true,\"phone\":null}},"
			    "{\"id\":\"01JD3Q5ZK8W6T9V2M4N7P0R1S4\",\"type\":\"visit\",\"client\":"
			    "\"01JD3Q5ZK8W6T9V2M4N7P0R1S3\",\"fields\":{\"rating\":5,"
			    "\"amount\":\"1500.50\",\"services\":\"Facial\"}},"
			    "{\"type\":\"client\",\"merged_into\":\"01JD3Q5ZK8W6T9V2M4N7P0R1S3\","
			    "\"fields\":{\"name\":\"Anna K\",\"tags\":\"vip\"}}]}"), 0);
	T_EQ_INT(im.json, 1);
	T_EQ_INT(im.n, 3);
	T_EQ_INT(im.rows[0].type, KT_T_CLIENT);
	T_EQ_INT(im.rows[0].line, 1);
	T_EQ_STR(im.rows[0].id, "01JD3Q5ZK8W6T9V2M4N7P0R1S3"); /* canonical spelling */
	T_EQ_STR(field(&im.rows[0], "allergies", 1), "nuts");
	T_EQ_STR(field(&im.rows[0], "consent_photos", 0), "yes");
	T_CHECK(field(&im.rows[0], "phone", 0) == NULL); /* null: no value */
	T_EQ_INT(im.rows[1].type, KT_T_VISIT);
	T_EQ_STR(im.rows[1].client, "01JD3Q5ZK8W6T9V2M4N7P0R1S3");
	T_EQ_STR(field(&im.rows[1], "rating", 0), "5");
	T_EQ_STR(field(&im.rows[1], "amount", 0), "1500.50");
	T_EQ_STR(im.rows[2].id, "");
	T_EQ_STR(im.rows[2].merged_into, "01JD3Q5ZK8W6T9V2M4N7P0R1S3");
	T_EQ_STR(field(&im.rows[2], "tags", 0), "vip");
	T_EQ_INT(is_list_item(&im.rows[2], "tags"), 1);
	for (size_t i = 0; i < im.n; i++)
		T_CHECK(im.rows[i].bad == NULL);
	kt_import_release(&im);
}

/* Record 1 of a one-record export whose record is rec (JSON text). */
static const char *json_bad(const char *rec)
{
	static char buf[1024];
	struct kt_import im;

	snprintf(buf, sizeof(buf), "{\"format\":\"kartoteka-export\",\"version\":1,"
		 "\"records\":[%s]}", rec);
	if (parse(&im, buf) != 0 || im.n != 1) {
		kt_import_release(&im);
		return "(whole file refused)";
	}
	snprintf(buf, sizeof(buf), "%s", im.rows[0].bad ? im.rows[0].bad : "(good)");
	kt_import_release(&im);
	return buf;
}

static void test_json_wrong_types_are_bad_records(void)
{
	const char *id = "\"id\":\"01JD3Q5ZK8W6T9V2M4N7P0R1S3\"";
	char rec[512];

#define REC(fmt) (snprintf(rec, sizeof(rec), fmt, id), json_bad(rec))
	T_EQ_STR(REC("{%s,\"type\":\"client\",\"fields\":{\"name\":\"A\"}}"), "(good)");
	T_EQ_STR(REC("{%s,\"type\":\"client\",\"fields\":{\"name\":true}}"),
		 "'name' wants a string");
	T_EQ_STR(REC("{%s,\"type\":\"client\",\"fields\":{\"name\":{\"a\":1}}}"),
		 "'name' wants a string");
	T_EQ_STR(REC("{%s,\"type\":\"client\",\"fields\":{\"name\":\"A\",\"consent_photos\":1}}"),
		 "'consent_photos' wants true or false");
	T_EQ_STR(REC("{%s,\"type\":\"client\",\"fields\":{\"name\":\"A\",\"allergies\":[1]}}"),
		 "'allergies' holds an item that is not a string");
	T_EQ_STR(REC("{%s,\"type\":\"client\",\"fields\":{\"name\":[\"A\"]}}"),
		 "'name' wants a string");
	T_EQ_STR(REC("{%s,\"type\":\"visit\",\"client\":\"01JD3Q5ZK8W6T9V2M4N7P0R1S4\","
		     "\"fields\":{\"rating\":1.5}}"), "'rating' wants an integer");
	T_EQ_STR(REC("{%s,\"type\":\"visit\",\"client\":\"01JD3Q5ZK8W6T9V2M4N7P0R1S4\","
		     "\"fields\":{\"rating\":9}}"), "'rating' wants a whole number from 1 to 5, not '9'");
	T_EQ_STR(REC("{%s,\"type\":\"visit\",\"fields\":{}}"), "a visit needs its \"client\"");
	T_EQ_STR(REC("{%s,\"type\":\"spa\",\"fields\":{}}"), "unknown record type 'spa'");
	T_EQ_STR(REC("{%s,\"fields\":{}}"), "no \"type\" (client, visit, patch_test, ...)");
	T_EQ_STR(REC("{%s,\"type\":\"client\"}"), "no \"fields\" object");
	T_EQ_STR(REC("{%s,\"type\":\"client\",\"fields\":{\"name\":\"A\",\"colour\":\"red\"}}"),
		 "unknown field 'colour' for a client");
	T_EQ_STR(REC("{%s,\"type\":\"client\",\"feilds\":{},\"fields\":{\"name\":\"A\"}}"),
		 "unknown key 'feilds'");
	T_EQ_STR(REC("{%s,\"type\":\"client\",\"fields\":{\"name\":\"A\",\"birthday\":\"1990-13-01\"}}"),
		 "bad date '1990-13-01' for 'birthday': the calendar has no such day");
	T_EQ_STR(json_bad("{\"id\":\"nope\",\"type\":\"client\",\"fields\":{\"name\":\"A\"}}"),
		 "bad \"id\" (want an id of 26 letters and digits)");
	T_EQ_STR(json_bad("[1]"), "not a record (want {\"id\", \"type\", \"fields\"})");
#undef REC
}

static void test_json_envelope_and_duplicate_keys_refuse_the_file(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "{\"format\":\"kartoteka-export\",\"version\":1,\"records\":[],"
			    "\"records\":[]}"), KT_EINVAL);
	T_CHECK(strstr(err.msg, "duplicate") != NULL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "{\"format\":\"kartoteka-export\",\"version\":1,\"records\":["
			    "{\"type\":\"client\",\"fields\":{\"name\":\"A\",\"name\":\"B\"}}]}"),
		 KT_EINVAL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "{\"format\":\"something-else\",\"version\":1,\"records\":[]}"),
		 KT_EINVAL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "{\"format\":\"kartoteka-export\",\"version\":2,\"records\":[]}"),
		 KT_EINVAL);
	T_CHECK(strstr(err.msg, "version 2") != NULL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "{\"format\":\"kartoteka-export\",\n\"version\":"), KT_EINVAL);
	T_CHECK(strncmp(err.msg, "line 2:", 7) == 0);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "{\"format\":\"kartoteka-export\",\"version\":1,\"records\":["
			    "{\"type\":\"client\",\"fields\":{\"name\":\"\xc3\x28\"}}]}"), KT_EINVAL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "{\"format\":\"kartoteka-export\",\"version\":1,\"records\":[]}"), 0);
	T_EQ_INT(im.n, 0);
	kt_import_release(&im);
}

/* What kt_card_json() prints for a card and a visit parses back to the same values. */
static void test_json_round_trip_of_card_json(void)
{
	struct kt_rfield cf[3], vf[2];
	struct kt_relem ce[2];
	struct kt_rec card, visit;
	struct kt_import im;
	json_t *doc = json_pack("{s:s, s:i, s:[]}", "format", "kartoteka-export", "version", 1,
				"records");
	char *text;

	memset(cf, 0, sizeof(cf));
	memset(vf, 0, sizeof(vf));
	memset(ce, 0, sizeof(ce));
	kt_rec_init(&card);
	kt_rec_init(&visit);
	T_EQ_INT(kt_id_parse(&card.id, "01JD3Q5ZK8W6T9V2M4N7P0R1S3"), 0);
	T_EQ_INT(kt_id_parse(&visit.id, "01JD3Q5ZK8W6T9V2M4N7P0R1S4"), 0);
	card.type = KT_T_CLIENT;
	card.owner = card.id;
	cf[0] = (struct kt_rfield){ .field = 1, .v = { KT_V_STR, 0, "王小明", 9 } };
	cf[1] = (struct kt_rfield){ .field = 4, .v = { KT_V_STR, 0, "1990-11-25", 10 } };
	cf[2] = (struct kt_rfield){ .field = 12, .v = { KT_V_BOOL, 1, NULL, 0 } };
	ce[0] = (struct kt_relem){ .field = 15, .v = { KT_V_STR, 0, "nuts", 4 } };
	ce[1] = (struct kt_relem){ .field = 15, .v = { KT_V_STR, 0, "latex", 5 } };
	card.fields = cf, card.nfields = 3, card.elems = ce, card.nelems = 2;
	visit.type = KT_T_VISIT;
	visit.owner = card.id;
	vf[0] = (struct kt_rfield){ .field = 5, .v = { KT_V_INT, 150050, NULL, 0 } };
	vf[1] = (struct kt_rfield){ .field = 10, .v = { KT_V_INT, 4, NULL, 0 } };
	visit.fields = vf, visit.nfields = 2;
	json_array_append_new(json_object_get(doc, "records"), kt_card_json(&card));
	json_array_append_new(json_object_get(doc, "records"), kt_card_json(&visit));
	text = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
	T_EQ_INT(parse(&im, text), 0);
	T_EQ_INT(im.n, 2);
	T_CHECK(im.rows[0].bad == NULL && im.rows[1].bad == NULL);
	T_EQ_STR(field(&im.rows[0], "name", 0), "王小明");
	T_EQ_STR(field(&im.rows[0], "birthday", 0), "1990-11-25");
	T_EQ_STR(field(&im.rows[0], "consent_photos", 0), "yes");
	T_EQ_STR(field(&im.rows[0], "allergies", 0), "latex"); /* sorted by the export */
	T_EQ_STR(field(&im.rows[0], "allergies", 1), "nuts");
	T_EQ_STR(im.rows[1].client, "01JD3Q5ZK8W6T9V2M4N7P0R1S3");
	T_EQ_STR(field(&im.rows[1], "amount", 0), "1500.50");
	T_EQ_STR(field(&im.rows[1], "rating", 0), "4");
	kt_import_release(&im);
	free(text);
	json_decref(doc);
}

static void test_mark_bad_keeps_the_first_problem(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "name\nAnna\n"), 0);
	kt_import_mark_bad(&im, &im.rows[0], "record %s already exists", "X");
	kt_import_mark_bad(&im, &im.rows[0], "second");
	T_EQ_STR(im.rows[0].bad, "record X already exists");
	kt_import_release(&im);
	kt_import_release(&im); /* released twice: harmless */
}

static void test_dates_read_in_the_branch_form_are_kept_as_iso(void)
{
	static const char csv[] = "name,birthday\nA,25.11.1990\nB,30.11.90\nC,1990-11-26\n";
	static const char json[] = "{\"format\":\"kartoteka-export\",\"version\":1,\"records\":["
		"{\"id\":\"01JD3Q5ZK8W6T9V2M4N7P0R1S3\",\"type\":\"client\",\"fields\":"
		"{\"name\":\"A\",\"birthday\":\"1.2.1990\"}}]}";
	struct kt_import im;

	T_EQ_INT(kt_import_parse_dates(&im, csv, strlen(csv), 0, KT_DATES_DMY, &err), 0);
	T_EQ_INT(im.n, 3);
	T_CHECK(im.rows[0].bad == NULL);
	T_EQ_STR(field(&im.rows[0], "birthday", 0), "1990-11-25");
	T_EQ_STR(im.rows[1].bad, "date '30.11.90' for 'birthday': write the year in full: "
		 "DD.MM.YYYY or YYYY-MM-DD");
	T_EQ_STR(field(&im.rows[2], "birthday", 0), "1990-11-26");
	kt_import_release(&im);
	T_EQ_INT(kt_import_parse_dates(&im, json, strlen(json), 0, KT_DATES_DMY, &err), 0);
	T_EQ_INT(im.n, 1);
	T_EQ_STR(field(&im.rows[0], "birthday", 0), "1990-02-01");
	kt_import_release(&im);
	/* The plain entry points read ISO only. */
	T_EQ_INT(parse(&im, csv), 0);
	T_EQ_STR(im.rows[0].bad, "bad date '25.11.1990' for 'birthday' (want YYYY-MM-DD)");
	kt_import_release(&im);
	T_EQ_INT(kt_import_parse_dates(&im, csv, strlen(csv), KT_T_CLIENT, KT_DATES_YMD, &err), 0);
	T_EQ_STR(im.rows[0].bad, "bad date '25.11.1990' for 'birthday' (want YYYY-MM-DD, "
		 "YYYY/MM/DD or YYYY年MM月DD日)");
	kt_import_release(&im);
}

int main(void)
{
	T_RUN(test_csv_quotes_crlf_bom_quoted_newline_and_lists);
	T_RUN(test_csv_semicolon_separator_and_type_column);
	T_RUN(test_csv_bad_date_is_reported_on_its_line);
	T_RUN(test_csv_sep_line_names_the_separator);
	T_RUN(test_csv_unknown_or_repeated_column_refuses_the_file);
	T_RUN(test_csv_too_many_cells_and_unnamed_columns);
	T_RUN(test_csv_unclosed_quote_refuses_the_file);
	T_RUN(test_csv_invalid_utf8_refuses_the_file_naming_its_line);
	T_RUN(test_cp1251_is_refused_or_decoded_with_encoding);
	T_RUN(test_utf16_with_bom_is_decoded);
	T_RUN(test_files_that_are_not_csv_say_what_they_look_like);
	T_RUN(test_csv_nul_byte_is_a_bad_row);
	T_RUN(test_csv_trailing_empty_cells_and_blank_lines);
	T_RUN(test_csv_headers_in_four_languages);
	T_RUN(test_csv_name_in_parts);
	T_RUN(test_alias_table_names_each_column_once);
	T_RUN(test_unknown_column_names_the_known_ones);
	T_RUN(test_csv_phone_in_scientific_notation_is_dropped);
	T_RUN(test_csv_of_visits_by_header);
	T_RUN(test_csv_ids_of_cards);
	T_RUN(test_json_array);
	T_RUN(test_csv_value_size_at_max_and_max_plus_1);
	T_RUN(test_csv_row_bytes_at_max_and_max_plus_1);
	T_RUN(test_csv_values_per_row_at_max_and_max_plus_1);
	T_RUN(test_csv_repeated_list_entries_count_once);
	T_RUN(test_file_bytes_at_max_and_max_plus_1);
	T_RUN(test_json_export_format);
	T_RUN(test_json_wrong_types_are_bad_records);
	T_RUN(test_json_envelope_and_duplicate_keys_refuse_the_file);
	T_RUN(test_json_round_trip_of_card_json);
	T_RUN(test_mark_bad_keeps_the_first_problem);
	T_RUN(test_dates_read_in_the_branch_form_are_kept_as_iso);
	T_DONE();
}
