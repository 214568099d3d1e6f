/*
 * fuzz_backup.c - libFuzzer target for the backup reader (node/backup.h):
 * the header's bounds, the chunk lengths read from outside, the manifest.
 * Inputs asking for more than libsodium's INTERACTIVE key cost are passed
 * over (the reader allows up to SENSITIVE, which takes a second a try).
 */
#include "backup.h"
#include "id.h"
#include "scratch.h"

#include <dirent.h>
#include <string.h>
#include <sodium.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void empty(const char *dir)
{
	char p[600];
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d != NULL)
		closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[256];
	struct kt_err err;
	FILE *in;

	if (dir[0] == '\0') {
		if (sodium_init() < 0)
			abort();
		scratch_dir("backup", dir, sizeof(dir));
	}
	if (size >= 41 && (kt_be64_get(data + 25) > crypto_pwhash_OPSLIMIT_INTERACTIVE ||
			   kt_be64_get(data + 33) > crypto_pwhash_MEMLIMIT_INTERACTIVE))
		return 0;
	if (size == 0 || (in = fmemopen((void *)data, size, "rb")) == NULL)
		return 0;
	(void)kt_backup_read(in, dir, "fuzz passphrase", &err);
	fclose(in);
	empty(dir);
	return 0;
}
