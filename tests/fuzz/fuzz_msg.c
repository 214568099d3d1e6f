/* fuzz_msg.c - libFuzzer target for the sync message decoder (proto/msg.h). */
#include "proto/msg.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kt_msg m; /* large: not on the stack */
	struct kt_err err;

	(void)kt_msg_decode(&m, data, size, &err);
	kt_msg_release(&m);
	return 0;
}
