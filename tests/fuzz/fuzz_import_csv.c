/*
 * fuzz_import_csv.c - libFuzzer target for the CSV import parser: any bytes
 * give rows or a whole-file error, never a crash, a leak or a read past
 * the input (the input is not NUL-terminated, as a file read into memory).
 * No store is opened.  Every good row must hold checked values only.  The
 * input goes through kt_import_parse_csv, which first looks at what the
 * bytes are (a workbook, UTF-16 decoded, not UTF-8) as kt_import_parse does.
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

			/* a file of cards, or of visits (told by its header) */
			kt_assert((r->type == KT_T_CLIENT || r->type == KT_T_VISIT) && r->line >= 2);
			kt_assert(r->type == im.rows[0].type);
			kt_assert(r->bad != NULL || r->type != KT_T_CLIENT || r->n > 0); /* a name */
			kt_assert(r->bad != NULL || r->type != KT_T_VISIT || r->client[0] ||
				  r->by_phone || r->by_email); /* a visit names her */
			kt_assert(r->n <= KT_OPS_MAX);
			for (uint32_t k = 0; k < r->n; k++)
				kt_assert(strlen(r->f[k].value) <= KT_VALUE_BYTES_MAX &&
					  kt_schema_field_named(r->type, r->f[k].name) != NULL);
		}
	}
	kt_import_release(&im);
	return 0;
}
