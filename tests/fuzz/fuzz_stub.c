/*
 * fuzz_stub.c - libFuzzer target for the stub decoder (proto/stub.c): a
 * redacted change as another replica or the hub sends it, and a log entry
 * of either kind (kt_entry_decode).  None may crash or read past its
 * input; what decodes is checked against what the decoder promises, and
 * encodes back to the very bytes.  The seed in tests/fuzz/seeds/fuzz_stub
 * is a whole stub.
 */
#include "proto/stub.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kt_change c;
	uint8_t hash[KT_HASH_BYTES], again[KT_STUB_BYTES];

	if (kt_stub_decode(&c, hash, data, size, NULL) == 0) {
		kt_assert(size == KT_STUB_BYTES && kt_stub_is(data, size));
		kt_assert(c.origin != 0 && c.seq != 0 && c.seq < (1ull << 48) && c.type != 0);
		kt_assert(c.nops == 0 && kt_change_is_stub(&c));
		kt_stub_encode(&c, hash, again);
		kt_assert(memcmp(again, data, KT_STUB_BYTES) == 0);
	}
	if (kt_entry_decode(&c, hash, data, size, NULL) == 0)
		kt_assert(c.nops <= KT_OPS_MAX && c.origin != 0 && c.seq != 0);
	kt_entry_hash(hash, data, size);
	kt_change_thread_done();
	return 0;
}
