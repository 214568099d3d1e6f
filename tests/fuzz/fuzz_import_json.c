/*
 * fuzz_import_json.c - libFuzzer target for the JSON import parser (the
 * export format): any bytes give rows or a whole-file error, never a crash
 * or a leak.  No store is opened.  Good rows must carry valid ids.
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
	struct kt_id id;

	if (kt_import_parse_json(&im, (const char *)data, size, &err) == 0) {
		for (size_t i = 0; i < im.n; i++) {
			const struct kt_import_row *r = &im.rows[i];

			kt_assert(r->line == (int)i + 1);
			if (r->bad != NULL)
				continue;
			kt_assert(r->type >= 1 && r->type <= KT_T_MAX);
			kt_assert(r->id[0] == '\0' || kt_id_parse(&id, r->id) == 0);
			kt_assert(kt_schema_self_owned(r->type) || kt_id_parse(&id, r->client) == 0);
			for (uint32_t k = 0; k < r->n; k++)
				kt_assert(strlen(r->f[k].value) <= KT_VALUE_BYTES_MAX);
		}
	}
	kt_import_release(&im);
	return 0;
}
