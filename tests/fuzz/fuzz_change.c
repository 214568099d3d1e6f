/*
 * fuzz_change.c - libFuzzer target for the change decoder: the bytes of a
 * change from another replica, the values in a payload, a stored value.
 * None may crash, leak or allocate more than its input justifies.
 */
#include "proto/change.h"
#include "mp.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kt_change c;
	static struct kt_val vals[KT_OPS_MAX];
	static const uint8_t key[KT_KEY_BYTES] = { 1, 2, 3 };
	struct kt_err err;
	struct kt_val v;

	kt_crypto_init();
	if (kt_change_decode(&c, data, size, &err) == 0) {
		uint8_t *plain = malloc(c.payload_len);

		(void)kt_change_open(&c, key, plain, vals, &err);
		free(plain);
	}
	(void)kt_values_decode(data, size, vals, 3, &err);
	(void)kt_val_unpack(data, size, &v, &err);
	return 0;
}
