/*
 * backup.c - a node's backup file, sealed under a passphrase (see backup.h
 * for the layout).
 */
#include "backup.h"
#include "id.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#define MAGIC "KTBACKUP"
#define VERSION 1
#define SALT_BYTES 16
#define HEAD_BYTES (8 + 1 + SALT_BYTES + 8 + 8 + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define SEALED_MAX (KT_BACKUP_CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES)

/* The names a restore takes: a backup naming any other is refused. */
static const char *const known_names[] = { "data.mdb", "chain.key", "node.key" };

static int known(const char *name)
{
	for (size_t i = 0; i < sizeof(known_names) / sizeof(known_names[0]); i++)
		if (strcmp(name, known_names[i]) == 0)
			return 1;
	return 0;
}

static int derive(uint8_t key[32], const char *pass, const uint8_t *salt, uint64_t ops,
		  uint64_t mem, struct kt_err *err)
{
	if (crypto_pwhash(key, 32, pass, strlen(pass), salt, ops, (size_t)mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return kt_err_set(err, KT_ECRYPTO, "not enough memory to make the backup's key");
	return 0;
}

/* ---- writing ---- */

struct sealer {
	FILE *out;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t *buf; /* SEALED_MAX */
};

static int seal(struct sealer *s, const uint8_t *p, size_t n, const uint8_t *ad, size_t adn,
		uint8_t tag, struct kt_err *err)
{
	unsigned long long len;
	uint8_t lb[4];

	crypto_secretstream_xchacha20poly1305_push(&s->st, s->buf, &len, p, n, ad, adn, tag);
	kt_be32_put(lb, (uint32_t)len);
	if (fwrite(lb, 1, 4, s->out) != 4 || fwrite(s->buf, 1, (size_t)len, s->out) != len)
		return kt_err_set(err, KT_EIO, "cannot write the backup: %s", strerror(errno));
	return 0;
}

static int seal_file(struct sealer *s, const char *path, uint64_t size, uint8_t *chunk,
		     struct kt_err *err)
{
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return kt_err_set(err, KT_EIO, "cannot read '%s': %s", path, strerror(errno));
	while (rc == 0 && size > 0) {
		size_t want = size < KT_BACKUP_CHUNK ? (size_t)size : KT_BACKUP_CHUNK;

		if (fread(chunk, 1, want, f) != want)
			rc = kt_err_set(err, KT_EIO, "'%s' changed while it was copied", path);
		else
			rc = seal(s, chunk, want, NULL, 0, 0, err);
		size -= want;
	}
	fclose(f);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b != NULL ? b + 1 : path;
}

/* The manifest: count, then (name length, name, size) per file. */
static size_t manifest(uint8_t *m, const char *const *paths, const uint64_t *sizes, int n)
{
	size_t k = 0;

	m[k++] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		const char *name = base_name(paths[i]);
		size_t l = strlen(name);

		m[k++] = (uint8_t)l;
		memcpy(m + k, name, l);
		k += l;
		kt_be64_put(m + k, sizes[i]);
		k += 8;
	}
	return k;
}

int kt_backup_write(FILE *out, const char *const *paths, int n, const char *pass,
		    struct kt_err *err)
{
	uint8_t head[HEAD_BYTES], key[32], m[KT_BACKUP_FILES_MAX * (1 + 255 + 8) + 1];
	uint64_t sizes[KT_BACKUP_FILES_MAX];
	struct sealer s;
	uint8_t *chunk;
	int rc;

	memset(&s, 0, sizeof(s));
	s.out = out;
	if (n < 1 || n > KT_BACKUP_FILES_MAX)
		return kt_err_set(err, KT_EINVAL, "a backup holds 1 to %d files", KT_BACKUP_FILES_MAX);
	for (int i = 0; i < n; i++) {
		struct stat sb;

		if (strlen(base_name(paths[i])) > 255 || stat(paths[i], &sb) != 0 ||
		    !S_ISREG(sb.st_mode))
			return kt_err_set(err, KT_EIO, "cannot read '%s'", paths[i]);
		sizes[i] = (uint64_t)sb.st_size;
	}
	memcpy(head, MAGIC, 8);
	head[8] = VERSION;
	randombytes_buf(head + 9, SALT_BYTES);
	kt_be64_put(head + 9 + SALT_BYTES, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	kt_be64_put(head + 17 + SALT_BYTES, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	if ((rc = derive(key, pass, head + 9, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			 crypto_pwhash_MEMLIMIT_INTERACTIVE, err)) != 0)
		return rc;
	crypto_secretstream_xchacha20poly1305_init_push(&s.st, head + 25 + SALT_BYTES, key);
	sodium_memzero(key, sizeof(key));
	if (fwrite(head, 1, sizeof(head), out) != sizeof(head))
		return kt_err_set(err, KT_EIO, "cannot write the backup: %s", strerror(errno));
	s.buf = kt_malloc(SEALED_MAX);
	chunk = kt_malloc(KT_BACKUP_CHUNK);
	rc = seal(&s, m, manifest(m, paths, sizes, n), head, sizeof(head), 0, err);
	for (int i = 0; rc == 0 && i < n; i++)
		rc = seal_file(&s, paths[i], sizes[i], chunk, err);
	if (rc == 0)
		rc = seal(&s, NULL, 0, NULL, 0, crypto_secretstream_xchacha20poly1305_TAG_FINAL, err);
	if (rc == 0 && fflush(out) != 0)
		rc = kt_err_set(err, KT_EIO, "cannot write the backup: %s", strerror(errno));
	sodium_memzero(chunk, KT_BACKUP_CHUNK);
	sodium_memzero(&s.st, sizeof(s.st));
	free(chunk);
	free(s.buf);
	return rc;
}

/* ---- reading ---- */

struct opener {
	FILE *in;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t *sealed; /* SEALED_MAX */
	uint8_t *plain;  /* KT_BACKUP_CHUNK */
	size_t n;        /* plain's bytes */
	uint8_t tag;
};

static int damaged(struct kt_err *err)
{
	return kt_err_set(err, KT_ECRYPTO, "the backup does not open: a wrong passphrase, or "
			  "the file is damaged or cut short");
}

/* The next chunk into o->plain; its size read from outside is bounded first. */
static int unseal(struct opener *o, const uint8_t *ad, size_t adn, struct kt_err *err)
{
	unsigned long long len;
	uint8_t lb[4];
	uint32_t n;

	if (fread(lb, 1, 4, o->in) != 4)
		return damaged(err);
	n = kt_be32_get(lb);
	if (n < crypto_secretstream_xchacha20poly1305_ABYTES || n > SEALED_MAX ||
	    fread(o->sealed, 1, n, o->in) != n ||
	    crypto_secretstream_xchacha20poly1305_pull(&o->st, o->plain, &len, &o->tag,
						       o->sealed, n, ad, adn) != 0)
		return damaged(err);
	o->n = (size_t)len;
	return 0;
}

struct entry {
	char name[256];
	uint64_t size;
};

static int read_manifest(const struct opener *o, struct entry *e, int *n, struct kt_err *err)
{
	const uint8_t *p = o->plain, *end = o->plain + o->n;

	if (o->n < 1 || o->tag != 0 || (*n = p[0]) < 1 || *n > KT_BACKUP_FILES_MAX)
		return kt_err_set(err, KT_ECORRUPT, "the backup's list of files is damaged");
	p++;
	for (int i = 0; i < *n; i++) {
		size_t l;

		if (p >= end || (l = *p++) == 0 || (size_t)(end - p) < l + 8)
			return kt_err_set(err, KT_ECORRUPT, "the backup's list of files is damaged");
		memcpy(e[i].name, p, l);
		e[i].name[l] = '\0';
		e[i].size = kt_be64_get(p + l);
		p += l + 8;
		if (!known(e[i].name))
			return kt_err_set(err, KT_ECORRUPT, "the backup holds a file it should not, "
					  "'%.40s'", e[i].name);
		if (strcmp(e[i].name, "data.mdb") != 0 && e[i].size > KT_BACKUP_KEY_FILE_MAX)
			return kt_err_set(err, KT_ECORRUPT, "the backup's '%s' is too large",
					  e[i].name);
		for (int j = 0; j < i; j++)
			if (strcmp(e[i].name, e[j].name) == 0)
				return kt_err_set(err, KT_ECORRUPT, "the backup holds '%s' twice",
						  e[i].name);
	}
	return p == end ? 0 : kt_err_set(err, KT_ECORRUPT, "the backup's list of files is damaged");
}

static int open_file(struct opener *o, const char *dir, const struct entry *e,
		     struct kt_err *err)
{
	char path[4200];
	uint64_t left = e->size;
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s.part", dir, e->name);
	if ((f = fopen(path, "wbx")) == NULL)
		return kt_err_set(err, KT_EIO, "cannot write '%s': %s", path, strerror(errno));
	fchmod(fileno(f), 0600);
	while (rc == 0 && left > 0) {
		if ((rc = unseal(o, NULL, 0, err)) != 0)
			break;
		if (o->tag != 0 || o->n == 0 || o->n > left)
			rc = damaged(err);
		else if (fwrite(o->plain, 1, o->n, f) != o->n)
			rc = kt_err_set(err, KT_EIO, "cannot write '%s': %s", path, strerror(errno));
		else
			left -= o->n;
	}
	if ((fflush(f) != 0 || fsync(fileno(f)) != 0) && rc == 0)
		rc = kt_err_set(err, KT_EIO, "cannot write '%s': %s", path, strerror(errno));
	fclose(f);
	return rc;
}

static void drop_parts(const char *dir, const struct entry *e, int n, const char *suffix)
{
	char path[4200];

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, e[i].name, suffix);
		unlink(path);
	}
}

static int read_stream(struct opener *o, const char *dir, const uint8_t *head,
		       struct entry *e, int *n, struct kt_err *err)
{
	int rc;

	*n = 0;
	if ((rc = unseal(o, head, HEAD_BYTES, err)) != 0 || (rc = read_manifest(o, e, n, err)) != 0)
		return rc;
	for (int i = 0; i < *n; i++)
		if ((rc = open_file(o, dir, &e[i], err)) != 0) {
			*n = i + 1; /* its part, too, is dropped */
			return rc;
		}
	if ((rc = unseal(o, NULL, 0, err)) != 0)
		return rc;
	if (o->tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL || o->n != 0 ||
	    fgetc(o->in) != EOF)
		return damaged(err);
	return 0;
}

int kt_backup_read(FILE *in, const char *dir, const char *pass, struct kt_err *err)
{
	uint8_t head[HEAD_BYTES], key[32];
	struct entry e[KT_BACKUP_FILES_MAX];
	struct opener o;
	uint64_t ops, mem;
	int rc, n = 0;

	memset(&o, 0, sizeof(o));
	o.in = in;
	if (fread(head, 1, sizeof(head), in) != sizeof(head) || memcmp(head, MAGIC, 8) != 0)
		return kt_err_set(err, KT_ECORRUPT, "not a Kartoteka backup");
	if (head[8] != VERSION)
		return kt_err_set(err, KT_ECORRUPT, "a backup of version %d: this kt-node reads "
				  "version %d", head[8], VERSION);
	ops = kt_be64_get(head + 9 + SALT_BYTES);
	mem = kt_be64_get(head + 17 + SALT_BYTES);
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return kt_err_set(err, KT_ECORRUPT, "the backup's key settings are out of bounds");
	if ((rc = derive(key, pass, head + 9, ops, mem, err)) != 0)
		return rc;
	rc = crypto_secretstream_xchacha20poly1305_init_pull(&o.st, head + 25 + SALT_BYTES, key);
	sodium_memzero(key, sizeof(key));
	if (rc != 0)
		return damaged(err);
	o.sealed = kt_malloc(SEALED_MAX);
	o.plain = kt_malloc(KT_BACKUP_CHUNK);
	rc = read_stream(&o, dir, head, e, &n, err);
	for (int i = 0; rc == 0 && i < n; i++) {
		char from[4200], to[4200];

		snprintf(from, sizeof(from), "%s/%s.part", dir, e[i].name);
		snprintf(to, sizeof(to), "%s/%s", dir, e[i].name);
		if (rename(from, to) != 0)
			rc = kt_err_set(err, KT_EIO, "cannot write '%s': %s", to, strerror(errno));
	}
	if (rc != 0) {
		drop_parts(dir, e, n, ".part");
		drop_parts(dir, e, n, "");
	}
	sodium_memzero(o.plain, KT_BACKUP_CHUNK);
	sodium_memzero(&o.st, sizeof(o.st));
	free(o.plain);
	free(o.sealed);
	return rc;
}
