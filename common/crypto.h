/*
 * crypto.h - the few libsodium operations Kartoteka uses, with our sizes.
 *
 * Sealed bytes (payloads, wrapped keys) are laid out nonce || ciphertext:
 * a fresh random 24-byte XChaCha20 nonce, then the XChaCha20-Poly1305 IETF
 * ciphertext with its 16-byte tag.  KT_SEAL_OVERHEAD is their sum.
 */
#ifndef KT_CRYPTO_H
#define KT_CRYPTO_H

#include <stdint.h>
#include <stddef.h>
#include "err.h"
#include "id.h"

#define KT_KEY_BYTES 32
#define KT_HASH_BYTES 32
#define KT_NONCE_BYTES 24
#define KT_TAG_BYTES 16
#define KT_SEAL_OVERHEAD (KT_NONCE_BYTES + KT_TAG_BYTES)
#define KT_WRAPPED_KEY_BYTES (KT_KEY_BYTES + KT_SEAL_OVERHEAD)
#define KT_TOKEN_BYTES 16

/* Initialises libsodium once; aborts when it cannot (no entropy source). */
void kt_crypto_init(void);

/* Fills buf with n bytes from a CSPRNG (libsodium, pooled). */
void kt_random(void *buf, size_t n);

/* Fills k with a fresh random key. */
void kt_key_new(uint8_t k[KT_KEY_BYTES]);

/*
 * Seals m[0..mlen) under key with ad as additional data into out, which has
 * room for mlen + KT_SEAL_OVERHEAD bytes.
 */
void kt_seal(uint8_t *out, const uint8_t *m, size_t mlen,
	     const uint8_t *ad, size_t adlen, const uint8_t key[KT_KEY_BYTES]);

/*
 * Opens c[0..clen) into out (room for clen - KT_SEAL_OVERHEAD bytes).
 * Returns 0, or KT_ECRYPTO (out zeroed) when the seal is forged, truncated
 * or under another key or ad.
 */
int kt_open(uint8_t *out, const uint8_t *c, size_t clen,
	    const uint8_t *ad, size_t adlen, const uint8_t key[KT_KEY_BYTES],
	    struct kt_err *err);

/* Wraps a client's data key under the chain key, bound to her id. */
void kt_key_wrap(uint8_t out[KT_WRAPPED_KEY_BYTES], const uint8_t dk[KT_KEY_BYTES],
		 const struct kt_id *client, const uint8_t chain[KT_KEY_BYTES]);
int kt_key_unwrap(uint8_t dk[KT_KEY_BYTES], const uint8_t in[KT_WRAPPED_KEY_BYTES],
		  const struct kt_id *client, const uint8_t chain[KT_KEY_BYTES],
		  struct kt_err *err);

/* BLAKE2b-256 of m. */
void kt_hash(uint8_t out[KT_HASH_BYTES], const void *m, size_t len);

/*
 * A blind index token: BLAKE2b-128 of the normalised value keyed by a key
 * derived from the chain key, so the hub can match equal phones or emails
 * without learning them.
 */
void kt_blind_token(uint8_t out[KT_TOKEN_BYTES], const char *kind, const char *value,
		    const uint8_t chain[KT_KEY_BYTES]);

/* Hex of n bytes into out (2n+1 bytes); parse returns 0 or -1. */
/*
 * The chain key's check value: KT_CHAIN_CHECK_BYTES of a key derived from
 * it (crypto_kdf, context "ktcheck_", id 1), so the hub can tell two
 * chain keys apart (HELLO, PROTOCOL.md) and learns nothing of either.
 */
#define KT_CHAIN_CHECK_BYTES 16
void kt_chain_check(uint8_t out[KT_CHAIN_CHECK_BYTES], const uint8_t chain[KT_KEY_BYTES]);

void kt_hex(char *out, const uint8_t *b, size_t n);
int kt_unhex(uint8_t *b, size_t n, const char *s);

/*
 * Writes a secret file with mode 0600 through a temporary file and a
 * rename, so a crash leaves the old file or the new one.  Fails when path
 * exists.
 */
int kt_secret_write(const char *path, const char *text, struct kt_err *err);

/*
 * Reads a secret file of at most cap-1 bytes into buf (NUL-terminated),
 * refusing it unless it is a regular file with no group or other
 * permissions.
 */
int kt_secret_read(const char *path, char *buf, size_t cap, struct kt_err *err);

#endif
