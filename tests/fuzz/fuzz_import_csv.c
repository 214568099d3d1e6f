/*
 * fuzz_import_csv.c - libFuzzer target for the CSV import parser: any bytes
 * give rows or a whole-file error, never a crash, a leak or a read past
 * the input (the input is not NUL-terminated, as a file read into memory).
 * No store is opened.  Every good row must hold checked values only.
 */
#include "import.h"
#include "proto/limits.h"
#include "proto/schema.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_import im;
	struct kt_err err;

	if (kt_import_parse_csv(&im, (const char *)data, size, &err) == 0) {
		for (size_t i = 0; i < im.n; i++) {
			const struct kt_import_row *r = &im.rows[i];

			kt_assert(r->type == KT_T_CLIENT && r->id[0] == '\0' && r->line >= 2);
			kt_assert(r->bad != NULL || r->n > 0); /* a good card has its name */
			kt_assert(r->n <= KT_OPS_MAX);
			for (uint32_t k = 0; k < r->n; k++)
				kt_assert(strlen(r->f[k].value) <= KT_VALUE_BYTES_MAX &&
					  kt_schema_field_named(KT_T_CLIENT, r->f[k].name) != NULL);
		}
	}
	kt_import_release(&im);
	return 0;
}
