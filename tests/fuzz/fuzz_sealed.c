/*
 * fuzz_sealed.c - libFuzzer target for the sealed key file decoder
 * (common/seal.c, kt_sealed_parse): the line a node's chain.key or
 * node.key holds once sealed, read from a disk that is outside.  None may
 * crash or read past its input; what parses keeps the decoder's promises
 * (a known kind, limits in range, a box that fits), and a key-file line
 * that parses is opened with a fixed key and must fail or give at most
 * the box's plaintext.  The seeds in tests/fuzz/seeds/fuzz_sealed are a
 * key-file line and a passphrase line.
 */
#include "seal.h"

#include <string.h>
#include <sodium.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kt_sealed s;
	static uint8_t out[sizeof(s.box)];
	static const uint8_t key[KT_KEY_BYTES] = { 1, 2, 3 };

	if (kt_sealed_parse((const char *)data, size, &s, NULL) != 0)
		return 0;
	kt_assert(s.kdf == KT_SEAL_KEYFILE || s.kdf == KT_SEAL_PASS);
	kt_assert(s.box_len >= KT_NONCE_BYTES + 1 + KT_TAG_BYTES && s.box_len <= sizeof(s.box));
	kt_assert(s.ad_len < size);
	if (s.kdf == KT_SEAL_PASS)
		kt_assert(s.ops >= 1 && s.ops <= KT_SEAL_OPS_MAX && s.mem_kib <= KT_SEAL_MEM_KIB_MAX);
	/* Opening under a key it was not made with fails, and never writes past the box's size. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, s.box + KT_NONCE_BYTES,
						       s.box_len - KT_NONCE_BYTES, data, s.ad_len,
						       s.box, key) == 0)
		kt_assert(!"a random box opened");
	return 0;
}
