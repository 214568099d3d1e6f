/*
 * fuzz_import.c - libFuzzer target for the import parsers (CSV and the
 * JSON export format, chosen by the first byte as the node does).
 */
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_import im;
	struct kt_err err;

	if (kt_import_parse(&im, (const char *)data, size, &err) == 0)
		kt_import_release(&im);
	else
		kt_import_release(&im);
	return 0;
}
