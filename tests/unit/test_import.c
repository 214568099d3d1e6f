/* test_import.c - the CSV and JSON import parsers, row by row. */
#include "t.h"
#include "import.h"
#include "proto/schema.h"
#include "proto/limits.h"

#include <stdlib.h>

static int parse(struct kt_import *im, const char *s)
{
	struct kt_err err;

	return kt_import_parse(im, s, strlen(s), &err);
}

static const char *field(const struct kt_import_row *r, const char *name, int nth)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, name) == 0 && nth-- == 0)
			return r->f[i].value;
	return NULL;
}

static void test_csv_quotes_crlf_bom_and_lists(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "\xef\xbb\xbfName, Phone ,allergies,notes\r\n"
			    "Анна,+7 912,latex; nuts,\"a, b\"\r\n"
			    "\"Smith, John\",,,\"two\nlines \"\"quoted\"\"\"\n"
			    "\n"
			    "Last,1,,\n"), 0);
	T_EQ_INT(im.n, 3);
	T_EQ_INT(im.rows[0].line, 2);
	T_EQ_STR(field(&im.rows[0], "name", 0), "Анна");
	T_EQ_STR(field(&im.rows[0], "allergies", 0), "latex");
	T_EQ_STR(field(&im.rows[0], "allergies", 1), "nuts");
	T_EQ_INT(im.rows[0].f[2].add, 1);
	T_EQ_STR(field(&im.rows[0], "notes", 0), "a, b");
	T_EQ_STR(field(&im.rows[1], "name", 0), "Smith, John");
	T_EQ_STR(field(&im.rows[1], "notes", 0), "two\nlines \"quoted\"");
	T_CHECK(field(&im.rows[1], "phone", 0) == NULL); /* empty cells are skipped */
	T_EQ_INT(im.rows[2].line, 6); /* the quoted newline and the blank line count */
	T_CHECK(im.rows[0].bad == NULL && im.rows[1].bad == NULL);
	kt_import_release(&im);
}

static void test_csv_bad_rows_and_files(void)
{
	struct kt_import im;
	char *big;

	T_CHECK(parse(&im, "name,colour\nAnna,red\n") != 0); /* unknown column */
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "name\nAnna,extra\nOk\n"), 0);
	T_CHECK(im.rows[0].bad != NULL);
	T_CHECK(im.rows[1].bad == NULL);
	kt_import_release(&im);
	T_EQ_INT(parse(&im, "name,notes\nAnna,\"never closed\n"), 0);
	T_CHECK(im.rows[0].bad != NULL);
	kt_import_release(&im);
	big = malloc(KT_IMPORT_LINE_BYTES_MAX + 64);
	strcpy(big, "name\n");
	memset(big + 5, 'x', KT_IMPORT_LINE_BYTES_MAX + 10);
	strcpy(big + 5 + KT_IMPORT_LINE_BYTES_MAX + 10, "\nOk\n");
	T_EQ_INT(parse(&im, big), 0);
	T_EQ_INT(im.n, 2);
	T_CHECK(im.rows[0].bad != NULL);
	T_CHECK(im.rows[1].bad == NULL && im.rows[1].line == 3);
	kt_import_release(&im);
	free(big);
}

static void test_json_export_format(void)
{
	struct kt_import im;

	T_EQ_INT(parse(&im, "{\"format\":\"kartoteka-export\",\"version\":1,\"records\":["
			    "{\"id\":\"01JD3Q5ZK8W6T9V2M4N7P0R1S3\",\"type\":\"client\",\"fields\":"
			    "{\"name\":\"Anna\",\"allergies\":[\"latex\",\"nuts\"],\"consent_photos\":true}},"
			    "{\"id\":\"01JD3Q5ZK8W6T9V2M4N7P0R1S4\",\"type\":\"visit\",\"client\":"
			    "\"01JD3Q5ZK8W6T9V2M4N7P0R1S3\",\"fields\":{\"rating\":5,\"services\":\"x\"}},"
			    "{\"id\":\"x\",\"type\":\"visit\",\"fields\":{}},"
			    "{\"type\":\"client\",\"fields\":{\"name\":{\"a\":1}}}]}"), 0);
	T_EQ_INT(im.n, 4);
	T_EQ_INT(im.rows[0].type, KT_T_CLIENT);
	T_EQ_STR(field(&im.rows[0], "allergies", 1), "nuts");
	T_EQ_STR(field(&im.rows[0], "consent_photos", 0), "yes");
	T_EQ_STR(field(&im.rows[1], "rating", 0), "5");
	T_EQ_STR(im.rows[1].client, "01JD3Q5ZK8W6T9V2M4N7P0R1S3");
	T_CHECK(im.rows[2].bad != NULL); /* a visit with no client */
	T_CHECK(im.rows[3].bad != NULL); /* a value of the wrong type */
	T_EQ_INT(im.rows[3].line, 4);
	kt_import_release(&im);
	T_CHECK(parse(&im, "{\"format\":\"kartoteka-export\",\"records\":[],\"records\":[]}") != 0);
	kt_import_release(&im);
	T_CHECK(parse(&im, "{\"format\":\"something-else\",\"records\":[]}") != 0);
	kt_import_release(&im);
	T_CHECK(parse(&im, "{\"format\":") != 0);
	kt_import_release(&im);
}

int main(void)
{
	T_RUN(test_csv_quotes_crlf_bom_and_lists);
	T_RUN(test_csv_bad_rows_and_files);
	T_RUN(test_json_export_format);
	T_DONE();
}
