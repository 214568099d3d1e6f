/* crypto.c - libsodium wrappers and secret files (see crypto.h). */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

_Static_assert(KT_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(KT_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag");
_Static_assert(KT_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key");

void kt_crypto_init(void)
{
	if (sodium_init() < 0)
		kt_assert(!"sodium_init failed");
}

/*
 * Random bytes come from a pool refilled 4 KiB at a time: libsodium asks
 * the kernel (getrandom) on every call, and a batch of a thousand changes
 * needs four draws each (id, nonce, key, wrap nonce), which made the
 * syscall a tenth of the write path.  Drawn bytes are wiped from the pool.
 * Not for use across fork(): the daemons do not fork after start.
 */
static uint8_t pool[4096];
static size_t pool_left;

void kt_random(void *buf, size_t n)
{
	uint8_t *out = buf;

	while (n > 0) {
		size_t k;

		if (pool_left == 0) {
			randombytes_buf(pool, sizeof(pool));
			pool_left = sizeof(pool);
		}
		k = n < pool_left ? n : pool_left;
		memcpy(out, pool + sizeof(pool) - pool_left, k);
		sodium_memzero(pool + sizeof(pool) - pool_left, k);
		pool_left -= k;
		out += k;
		n -= k;
	}
}

void kt_key_new(uint8_t k[KT_KEY_BYTES])
{
	kt_random(k, KT_KEY_BYTES);
}

void kt_seal(uint8_t *out, const uint8_t *m, size_t mlen,
	     const uint8_t *ad, size_t adlen, const uint8_t key[KT_KEY_BYTES])
{
	kt_random(out, KT_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + KT_NONCE_BYTES, NULL, m, mlen,
						   ad, adlen, NULL, out, key);
}

int kt_open(uint8_t *out, const uint8_t *c, size_t clen,
	    const uint8_t *ad, size_t adlen, const uint8_t key[KT_KEY_BYTES],
	    struct kt_err *err)
{
	if (clen < KT_SEAL_OVERHEAD)
		return kt_err_set(err, KT_ECRYPTO, "sealed value too short (%zu bytes)", clen);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, c + KT_NONCE_BYTES,
						       clen - KT_NONCE_BYTES, ad, adlen,
						       c, key) != 0) {
		sodium_memzero(out, clen - KT_SEAL_OVERHEAD);
		return kt_err_set(err, KT_ECRYPTO, "sealed value does not open (forged or wrong key)");
	}
	return 0;
}

void kt_key_wrap(uint8_t out[KT_WRAPPED_KEY_BYTES], const uint8_t dk[KT_KEY_BYTES],
		 const struct kt_id *client, const uint8_t chain[KT_KEY_BYTES])
{
	kt_seal(out, dk, KT_KEY_BYTES, client->b, KT_ID_BYTES, chain);
}

int kt_key_unwrap(uint8_t dk[KT_KEY_BYTES], const uint8_t in[KT_WRAPPED_KEY_BYTES],
		  const struct kt_id *client, const uint8_t chain[KT_KEY_BYTES],
		  struct kt_err *err)
{
	return kt_open(dk, in, KT_WRAPPED_KEY_BYTES, client->b, KT_ID_BYTES, chain, err);
}

void kt_hash(uint8_t out[KT_HASH_BYTES], const void *m, size_t len)
{
	crypto_generichash(out, KT_HASH_BYTES, m, len, NULL, 0);
}

void kt_blind_token(uint8_t out[KT_TOKEN_BYTES], const char *kind, const char *value,
		    const uint8_t chain[KT_KEY_BYTES])
{
	uint8_t sub[crypto_kdf_KEYBYTES];
	crypto_generichash_state st;

	crypto_kdf_derive_from_key(sub, sizeof(sub), 1, "ktblind_", chain);
	crypto_generichash_init(&st, sub, sizeof(sub), KT_TOKEN_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)kind, strlen(kind) + 1);
	crypto_generichash_update(&st, (const uint8_t *)value, strlen(value));
	crypto_generichash_final(&st, out, KT_TOKEN_BYTES);
	sodium_memzero(sub, sizeof(sub));
}

void kt_chain_check(uint8_t out[KT_CHAIN_CHECK_BYTES], const uint8_t chain[KT_KEY_BYTES])
{
	uint8_t sub[crypto_kdf_KEYBYTES];

	crypto_kdf_derive_from_key(sub, sizeof(sub), 1, "ktcheck_", chain);
	memcpy(out, sub, KT_CHAIN_CHECK_BYTES);
	sodium_memzero(sub, sizeof(sub));
}

void kt_hex(char *out, const uint8_t *b, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

int kt_unhex(uint8_t *b, size_t n, const char *s)
{
	size_t got = 0;

	if (strlen(s) != 2 * n)
		return -1;
	if (sodium_hex2bin(b, n, s, 2 * n, NULL, &got, NULL) != 0 || got != n)
		return -1;
	return 0;
}

/* A failed write of path: a full disk is said as such, with its folder. */
static int write_failed(const char *what, const char *path, int saved, struct kt_err *err)
{
	if (saved == ENOSPC || saved == EDQUOT) {
		const char *slash = strrchr(path, '/');
		int n = slash != NULL ? (int)(slash - path) : 1;

		return kt_err_set(err, KT_ENOSPC, "disk full in %.*s: free space and run again "
				  "(nothing was changed)", n, slash != NULL ? path : ".");
	}
	return kt_err_set(err, KT_EIO, "cannot %s '%s': %s", what, path, strerror(saved));
}

int kt_secret_write(const char *path, const char *text, struct kt_err *err)
{
	char tmp[4096];
	size_t len = strlen(text);
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return kt_err_set(err, KT_EINVAL, "path too long '%s'", path);
	if (access(path, F_OK) == 0)
		return kt_err_set(err, KT_EEXIST, "'%s' already exists", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return write_failed("create", tmp, errno, err);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		saved = errno == 0 ? ENOSPC : errno; /* a short write: the disk filled */
		close(fd);
		unlink(tmp);
		return write_failed("write", tmp, saved, err);
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		return write_failed("rename to", path, saved, err);
	}
	return 0;
}

int kt_secret_read(const char *path, char *buf, size_t cap, struct kt_err *err)
{
	struct stat sb;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0) {
		saved = errno;
		return kt_err_set(err, KT_EIO, "cannot open '%s': %s", path, strerror(saved));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return kt_err_set(err, KT_EIO, "'%s' is not a regular file", path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return kt_err_set(err, KT_EINVAL, "'%s' is readable by others (mode %03o): "
				  "run chmod 600 on it", path, (unsigned)(sb.st_mode & 0777));
	}
	n = read(fd, buf, cap - 1);
	saved = errno;
	close(fd);
	if (n < 0)
		return kt_err_set(err, KT_EIO, "cannot read '%s': %s", path, strerror(saved));
	buf[n] = '\0';
	return 0;
}
