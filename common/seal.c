/* seal.c - sealed secret files and the process's unlock key (see seal.h). */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

_Static_assert(KT_SEAL_SALT_BYTES == crypto_pwhash_SALTBYTES, "salt");

static const char keyfile_context[] = "kartoteka key file";

int kt_sealed_is(const char *text)
{
	return strncmp(text, KT_SEALED_PREFIX, strlen(KT_SEALED_PREFIX)) == 0;
}

/* The word at *p up to a space (or the end): its length, at most max; 0 when none. */
static size_t word(const char *p, const char *end, size_t max)
{
	size_t n = 0;

	while (p + n < end && p[n] != ' ' && p[n] != '\n' && n <= max)
		n++;
	return n > max ? 0 : n;
}

/* A decimal of 1 to 10 digits, no sign, no leading zero: 0, or -1. */
static int decimal(const char *p, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 10 || (p[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*out = x;
	return 0;
}

/* Lowercase hex p[0..n) into out (n / 2 bytes): 0, or -1. */
static int hex_in(const char *p, size_t n, uint8_t *out)
{
	if (n % 2 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int hi = p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : p[i] >= 'a' && p[i] <= 'f'
			 ? p[i] - 'a' + 10 : -1;
		int lo = p[i + 1] >= '0' && p[i + 1] <= '9' ? p[i + 1] - '0'
			 : p[i + 1] >= 'a' && p[i + 1] <= 'f' ? p[i + 1] - 'a' + 10 : -1;

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int kt_sealed_parse(const char *p, size_t n, struct kt_sealed *s, struct kt_err *err)
{
	const char *at = p, *end = p + n;
	size_t pre = strlen(KT_SEALED_PREFIX), w;

	memset(s, 0, sizeof(*s));
	if (n > 0 && p[n - 1] == '\n')
		end--;
	if ((size_t)(end - at) < pre || memcmp(at, KT_SEALED_PREFIX, pre) != 0)
		return kt_err_set(err, KT_ECORRUPT, "not a sealed key file");
	at += pre;
	w = word(at, end, 4);
	if (w == 3 && memcmp(at, "key", 3) == 0) {
		s->kdf = KT_SEAL_KEYFILE;
	} else if (w == 4 && memcmp(at, "pass", 4) == 0) {
		s->kdf = KT_SEAL_PASS;
	} else {
		return kt_err_set(err, KT_ECORRUPT, "a sealed key file of an unknown kind");
	}
	at += w;
	if (s->kdf == KT_SEAL_PASS) {
		for (int i = 0; i < 2; i++) {
			uint64_t x;

			if (at >= end || *at++ != ' ' || decimal(at, w = word(at, end, 10), &x) != 0)
				return kt_err_set(err, KT_ECORRUPT, "a sealed key file with bad limits");
			at += w;
			if (i == 0)
				s->ops = x;
			else
				s->mem_kib = x;
		}
		if (s->ops < crypto_pwhash_OPSLIMIT_MIN || s->ops > KT_SEAL_OPS_MAX ||
		    s->mem_kib * 1024 < crypto_pwhash_MEMLIMIT_MIN || s->mem_kib > KT_SEAL_MEM_KIB_MAX)
			return kt_err_set(err, KT_ECORRUPT, "a sealed key file asks for Argon2id limits "
					  "out of range (%llu passes, %llu KiB)",
					  (unsigned long long)s->ops, (unsigned long long)s->mem_kib);
	}
	if (at >= end || *at++ != ' ' || word(at, end, 2 * KT_SEAL_SALT_BYTES) !=
	    2 * KT_SEAL_SALT_BYTES || hex_in(at, 2 * KT_SEAL_SALT_BYTES, s->salt) != 0)
		return kt_err_set(err, KT_ECORRUPT, "a sealed key file with a bad salt");
	at += 2 * KT_SEAL_SALT_BYTES;
	if (at >= end || *at++ != ' ')
		return kt_err_set(err, KT_ECORRUPT, "a sealed key file with no box");
	s->ad_len = (size_t)(at - p);
	w = (size_t)(end - at);
	if (w < 2 * (KT_NONCE_BYTES + 1 + KT_TAG_BYTES) || w > 2 * sizeof(s->box) ||
	    word(at, end, w) != w || hex_in(at, w, s->box) != 0)
		return kt_err_set(err, KT_ECORRUPT, "a sealed key file with a bad box");
	s->box_len = w / 2;
	return 0;
}

int kt_keyfile_read(const char *path, uint8_t out[KT_KEYFILE_BYTES], struct kt_err *err)
{
	struct stat sb;
	uint8_t extra;
	ssize_t n;
	int fd = open(path, O_RDONLY), saved;

	if (fd < 0) {
		saved = errno;
		return kt_err_set(err, KT_EIO, "cannot read the key file '%s': %s", path,
				  strerror(saved));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size != KT_KEYFILE_BYTES) {
		close(fd);
		return kt_err_set(err, KT_EINVAL, "'%s' is not a key file (%d random bytes, made by "
				  "kt-node keyfile new)", path, KT_KEYFILE_BYTES);
	}
	n = read(fd, out, KT_KEYFILE_BYTES);
	if (n == KT_KEYFILE_BYTES && read(fd, &extra, 1) == 0) {
		close(fd);
		return 0;
	}
	close(fd);
	sodium_memzero(out, KT_KEYFILE_BYTES);
	return kt_err_set(err, KT_EIO, "cannot read the key file '%s'", path);
}

int kt_keyfile_new(const char *path, struct kt_err *err)
{
	uint8_t k[KT_KEYFILE_BYTES];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), saved, ok;

	if (fd < 0) {
		saved = errno;
		return kt_err_set(err, saved == EEXIST ? KT_EEXIST : KT_EIO, saved == EEXIST ?
				  "'%s' already exists (a key file is never overwritten)" :
				  "cannot create '%s': %s", path, strerror(saved));
	}
	randombytes_buf(k, sizeof(k));
	ok = write(fd, k, sizeof(k)) == (ssize_t)sizeof(k) && fsync(fd) == 0;
	saved = errno;
	sodium_memzero(k, sizeof(k));
	close(fd);
	if (!ok) {
		unlink(path);
		return kt_err_set(err, saved == ENOSPC ? KT_ENOSPC : KT_EIO, "cannot write '%s': %s",
				  path, strerror(saved ? saved : ENOSPC));
	}
	return 0;
}

/* l's key from a key file's bytes and its salt. */
static void key_of_file(struct kt_lock *l, const uint8_t kf[KT_KEYFILE_BYTES])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, kf, KT_KEYFILE_BYTES, KT_KEY_BYTES);
	crypto_generichash_update(&h, (const uint8_t *)keyfile_context, sizeof(keyfile_context) - 1);
	crypto_generichash_update(&h, l->salt, sizeof(l->salt));
	crypto_generichash_final(&h, l->key, KT_KEY_BYTES);
	sodium_memzero(&h, sizeof(h));
}

/* l's key from a passphrase at l's limits and salt: 0 or KT_ECRYPTO. */
static int key_of_pass(struct kt_lock *l, const char *pass, size_t n, struct kt_err *err)
{
	if (crypto_pwhash(l->key, KT_KEY_BYTES, pass, n, l->salt, l->ops, (size_t)l->mem_kib * 1024,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return kt_err_set(err, KT_ECRYPTO, "Argon2id could not get its %llu MiB of memory",
				  (unsigned long long)(l->mem_kib / 1024));
	return 0;
}

void kt_lock_keyfile(struct kt_lock *l, const uint8_t kf[KT_KEYFILE_BYTES])
{
	memset(l, 0, sizeof(*l));
	l->kdf = KT_SEAL_KEYFILE;
	randombytes_buf(l->salt, sizeof(l->salt));
	key_of_file(l, kf);
}

int kt_lock_pass(struct kt_lock *l, const char *pass, size_t n, struct kt_err *err)
{
	memset(l, 0, sizeof(*l));
	l->kdf = KT_SEAL_PASS;
	l->ops = KT_SEAL_OPS;
	l->mem_kib = KT_SEAL_MEM_KIB;
	randombytes_buf(l->salt, sizeof(l->salt));
	return key_of_pass(l, pass, n, err);
}

void kt_lock_wipe(struct kt_lock *l)
{
	sodium_memzero(l, sizeof(*l));
}

/* The line before the box that l makes: its additional data. */
static int line_head(const struct kt_lock *l, char *out, size_t cap)
{
	char salt[2 * KT_SEAL_SALT_BYTES + 1];

	kt_hex(salt, l->salt, sizeof(l->salt));
	if (l->kdf == KT_SEAL_KEYFILE)
		return snprintf(out, cap, "%skey %s ", KT_SEALED_PREFIX, salt);
	return snprintf(out, cap, "%spass %llu %llu %s ", KT_SEALED_PREFIX,
			(unsigned long long)l->ops, (unsigned long long)l->mem_kib, salt);
}

int kt_seal_text(const struct kt_lock *l, const char *plain, char *out, size_t cap,
		 struct kt_err *err)
{
	uint8_t box[KT_NONCE_BYTES + KT_SEAL_PLAIN_MAX + KT_TAG_BYTES];
	size_t n = strlen(plain);
	int h;

	if (n > KT_SEAL_PLAIN_MAX || cap < KT_SEAL_TEXT_MAX)
		return kt_err_set(err, KT_ETOOBIG, "a key file too long to seal");
	h = line_head(l, out, cap);
	kt_random(box, KT_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + KT_NONCE_BYTES, NULL, (const uint8_t *)plain,
						   n, (const uint8_t *)out, (size_t)h, NULL, box,
						   l->key);
	kt_hex(out + h, box, KT_NONCE_BYTES + n + KT_TAG_BYTES);
	strcat(out, "\n");
	return 0;
}

/* ---- the process's unlock ---- */

static const char *const *from_key_file;
static int (*asker)(char *out, size_t cap);
static char hint[4096];
static struct kt_lock *held; /* sodium_malloc'd: locked, guarded; NULL until the first */
static int held_valid;

void kt_unlock_from(const char *const *key_file, int (*ask)(char *out, size_t cap))
{
	from_key_file = key_file;
	asker = ask;
}

void kt_unlock_hint(const char *path)
{
	snprintf(hint, sizeof(hint), "%s", path != NULL ? path : "");
}

void kt_unlock_forget(void)
{
	if (held != NULL)
		sodium_memzero(held, sizeof(*held));
	held_valid = 0;
}

/* Keeps l as the process's unlock key. */
static void hold(const struct kt_lock *l)
{
	if (held == NULL && (held = sodium_malloc(sizeof(*held))) == NULL)
		return; /* no locked memory: derived again at the next file */
	*held = *l;
	held_valid = 1;
}

static int same_line(const struct kt_lock *l, const struct kt_sealed *s)
{
	return l->kdf == s->kdf && l->ops == s->ops && l->mem_kib == s->mem_kib &&
	       memcmp(l->salt, s->salt, sizeof(l->salt)) == 0;
}

/* The unlock key of s into *l, from the key file or the passphrase: 0 or an error. */
static int unlock(const char *path, const struct kt_sealed *s, struct kt_lock *l,
		  struct kt_err *err)
{
	memset(l, 0, sizeof(*l));
	l->kdf = s->kdf;
	l->ops = s->ops;
	l->mem_kib = s->mem_kib;
	memcpy(l->salt, s->salt, sizeof(l->salt));
	if (s->kdf == KT_SEAL_KEYFILE) {
		const char *kfp = from_key_file != NULL ? *from_key_file : NULL;
		uint8_t kf[KT_KEYFILE_BYTES];
		int rc;

		if (kfp == NULL || kfp[0] == '\0')
			kfp = getenv("KT_KEY_FILE");
		if (kfp == NULL || kfp[0] == '\0')
			kfp = hint[0] ? hint : NULL;
		if (kfp == NULL)
			return kt_err_set(err, KT_EDENIED, "'%s' is sealed under a key file: give "
					  "--key-file FILE or set KT_KEY_FILE", path);
		if ((rc = kt_keyfile_read(kfp, kf, err)) != 0) {
			if (kfp == hint && rc == KT_EIO) /* the stick is not in */
				return kt_err_set(err, KT_EDENIED, "'%s' is sealed under the key file "
						  "'%s', which is not there: plug in its stick, or "
						  "give --key-file FILE", path, kfp);
			return rc;
		}
		key_of_file(l, kf);
		sodium_memzero(kf, sizeof(kf));
		return 0;
	}
	{
		char pass[KT_NODE_PASS_MAX + 2];
		const char *env = getenv("KT_NODE_PASS");
		int rc;

		if (env != NULL)
			snprintf(pass, sizeof(pass), "%s", env);
		else if (asker == NULL || asker(pass, sizeof(pass)) != 0)
			return kt_err_set(err, KT_EDENIED, "'%s' is sealed under a passphrase: set "
					  "KT_NODE_PASS or run the command on a terminal", path);
		rc = key_of_pass(l, pass, strlen(pass), err);
		sodium_memzero(pass, sizeof(pass));
		return rc;
	}
}

int kt_secret_open(const char *path, char *out, size_t cap, int *kdf, struct kt_err *err)
{
	char text[KT_SEAL_TEXT_MAX + 2];
	struct kt_sealed *s;
	struct kt_lock l;
	size_t n;
	int rc;

	if (kdf != NULL)
		*kdf = KT_SEAL_CLEAR;
	if ((rc = kt_secret_read(path, text, sizeof(text), err)) != 0)
		return rc;
	if (!kt_sealed_is(text)) {
		if (strlen(text) >= cap) {
			sodium_memzero(text, sizeof(text));
			return kt_err_set(err, KT_ETOOBIG, "'%s' is too long for a key file", path);
		}
		memcpy(out, text, strlen(text) + 1);
		sodium_memzero(text, sizeof(text));
		return 0;
	}
	s = kt_malloc(sizeof(*s));
	if ((rc = kt_sealed_parse(text, strlen(text), s, err)) != 0) {
		char why[KT_ERR_MSG_BYTES];

		snprintf(why, sizeof(why), "%s", err != NULL ? err->msg : "");
		kt_err_set(err, KT_ECORRUPT, "'%s' is damaged (%s): restore it from a backup", path,
			   why);
		goto done;
	}
	if (kdf != NULL)
		*kdf = s->kdf;
	n = s->box_len - KT_NONCE_BYTES - KT_TAG_BYTES;
	if (n >= cap) {
		rc = kt_err_set(err, KT_ETOOBIG, "'%s' is too long for a key file", path);
		goto done;
	}
	if (held_valid && same_line(held, s))
		l = *held;
	else if ((rc = unlock(path, s, &l, err)) != 0)
		goto done;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)out, NULL, NULL,
						       s->box + KT_NONCE_BYTES,
						       s->box_len - KT_NONCE_BYTES,
						       (const uint8_t *)text, s->ad_len, s->box,
						       l.key) != 0 ||
	    memchr(out, '\0', n) != NULL) {
		sodium_memzero(out, cap);
		rc = kt_err_set(err, KT_ECRYPTO, "'%s' does not open with this %s (a wrong one, or "
				"the file is damaged)", path,
				s->kdf == KT_SEAL_KEYFILE ? "key file" : "passphrase");
		goto done;
	}
	out[n] = '\0';
	hold(&l);
done:
	kt_lock_wipe(&l);
	sodium_memzero(text, sizeof(text));
	free(s);
	return rc;
}

int kt_secret_kind(const char *path, struct kt_err *err)
{
	char text[KT_SEAL_TEXT_MAX + 2];
	struct kt_sealed *s;
	int rc;

	if ((rc = kt_secret_read(path, text, sizeof(text), err)) != 0)
		return rc;
	if (!kt_sealed_is(text)) {
		sodium_memzero(text, sizeof(text));
		return KT_SEAL_CLEAR;
	}
	s = kt_malloc(sizeof(*s));
	rc = kt_sealed_parse(text, strlen(text), s, err);
	if (rc == 0)
		rc = s->kdf;
	free(s);
	return rc;
}

int kt_secret_write_lock(const char *path, const char *text, const struct kt_lock *l,
			 struct kt_err *err)
{
	char line[KT_SEAL_TEXT_MAX];
	int rc;

	if (l == NULL)
		return kt_secret_write(path, text, err);
	if ((rc = kt_seal_text(l, text, line, sizeof(line), err)) == 0 &&
	    (rc = kt_secret_write(path, line, err)) == 0)
		hold(l);
	sodium_memzero(line, sizeof(line));
	return rc;
}

int kt_secret_write_like(const char *path, const char *text, const char *like,
			 struct kt_err *err)
{
	char plain[KT_SEAL_PLAIN_MAX + 1];
	int kdf, rc;

	/* Opening like makes (or finds) the very key it is sealed under. */
	if ((rc = kt_secret_open(like, plain, sizeof(plain), &kdf, err)) != 0)
		return rc;
	sodium_memzero(plain, sizeof(plain));
	if (kdf == KT_SEAL_CLEAR || !held_valid)
		return kdf == KT_SEAL_CLEAR ? kt_secret_write(path, text, err)
			: kt_err_set(err, KT_ECRYPTO, "no locked memory for the unlock key");
	return kt_secret_write_lock(path, text, held, err);
}
