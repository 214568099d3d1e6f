/*
 * test_seal.c - sealed key files (common/seal.c): the line's parse refuses
 * every damaged form; a file sealed under a key file or a passphrase opens
 * with it and with nothing else; a write "like" a sealed file is sealed
 * the same way; a node sealed at init opens only unlocked; a re-seal that
 * a crash interrupted is finished or undone by the next open.
 */
#include "t.h"
#include "store_harness.h"
#include "seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>

static char kfpath[600];

static void test_parse(void)
{
	struct kt_lock l;
	struct kt_sealed s;
	uint8_t kf[KT_KEYFILE_BYTES] = { 7 };
	char line[KT_SEAL_TEXT_MAX], bad[KT_SEAL_TEXT_MAX];
	size_t n;

	kt_lock_keyfile(&l, kf);
	T_EQ_INT(kt_seal_text(&l, "0123456789abcdef\n", line, sizeof(line), NULL), 0);
	T_CHECK(kt_sealed_is(line) && strchr(line, '\n') == line + strlen(line) - 1);
	T_EQ_INT(kt_sealed_parse(line, strlen(line), &s, NULL), 0);
	T_EQ_INT(s.kdf, KT_SEAL_KEYFILE);
	T_CHECK(memcmp(s.salt, l.salt, sizeof(s.salt)) == 0);
	T_EQ_INT(s.box_len, KT_NONCE_BYTES + 17 + KT_TAG_BYTES);
	T_CHECK(strstr(line, "0123456789abcdef") == NULL);
	/* Its newline is optional; every cut and every damaged word is refused. */
	T_EQ_INT(kt_sealed_parse(line, strlen(line) - 1, &s, NULL), 0);
	n = strlen(line);
	for (size_t cut = 0; cut < n - 1; cut++)
		if (cut < s.ad_len + 2 * (KT_NONCE_BYTES + 1 + KT_TAG_BYTES) || (cut - s.ad_len) % 2)
			T_EQ_INT(kt_sealed_parse(line, cut, &s, NULL), KT_ECORRUPT);
	memcpy(bad, line, n + 1);
	bad[13] = 'X'; /* the kind */
	T_EQ_INT(kt_sealed_parse(bad, n, &s, NULL), KT_ECORRUPT);
	memcpy(bad, line, n + 1);
	bad[20] = 'G'; /* a salt digit */
	T_EQ_INT(kt_sealed_parse(bad, n, &s, NULL), KT_ECORRUPT);
	memcpy(bad, line, n + 1);
	bad[n - 3] = 'A'; /* upper case in the box */
	T_EQ_INT(kt_sealed_parse(bad, n, &s, NULL), KT_ECORRUPT);
	T_EQ_INT(kt_sealed_parse("kt-sealed 1 ", 12, &s, NULL), KT_ECORRUPT);
	T_EQ_INT(kt_sealed_parse("public 00", 9, &s, NULL), KT_ECORRUPT);
	/* A passphrase line's limits: in range, or refused before any Argon2id runs. */
	{
		static const char *const lim[] = { "0 131072", "17 131072", "3 7", "3 1048577",
						   "03 131072", "3 -1", "99999999999 1", "3  131072" };
		char salt[2 * KT_SEAL_SALT_BYTES + 1];
		const char *box = strrchr(line, ' ') + 1;

		kt_hex(salt, l.salt, sizeof(l.salt));
		snprintf(bad, sizeof(bad), "kt-sealed 1 pass 3 131072 %s %s", salt, box);
		T_EQ_INT(kt_sealed_parse(bad, strlen(bad), &s, NULL), 0);
		T_CHECK(s.kdf == KT_SEAL_PASS && s.ops == 3 && s.mem_kib == 131072);
		for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
			snprintf(bad, sizeof(bad), "kt-sealed 1 pass %s %s %s", lim[i], salt, box);
			T_EQ_INT(kt_sealed_parse(bad, strlen(bad), &s, NULL), KT_ECORRUPT);
		}
	}
	kt_lock_wipe(&l);
}

static void put_file(const char *path, const char *text)
{
	FILE *f;

	unlink(path);
	T_CHECK((f = fopen(path, "w")) != NULL);
	fputs(text, f);
	fclose(f);
}

static void test_open_and_write_like(void)
{
	char path[700], like[700], out[KT_SEAL_PLAIN_MAX + 1];
	uint8_t kf[KT_KEYFILE_BYTES];
	struct kt_lock l;
	struct kt_err err;
	int kdf;

	snprintf(kfpath, sizeof(kfpath), "%s/usb.key", tmpdir);
	T_EQ_INT(kt_keyfile_new(kfpath, &err), 0);
	T_EQ_INT(kt_keyfile_new(kfpath, &err), KT_EEXIST);
	T_EQ_INT(kt_keyfile_read(kfpath, kf, &err), 0);
	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	kt_lock_keyfile(&l, kf);
	T_EQ_INT(kt_secret_write_lock(path, "the secret\n", &l, &err), 0);
	kt_lock_wipe(&l);
	T_EQ_INT(kt_secret_kind(path, &err), KT_SEAL_KEYFILE);
	/* No key file given: one line that says how, nothing opened. */
	kt_unlock_forget();
	kt_unlock_from(NULL, NULL);
	kt_unlock_hint(NULL);
	unsetenv("KT_KEY_FILE");
	T_EQ_INT(kt_secret_open(path, out, sizeof(out), &kdf, &err), KT_EDENIED);
	T_CHECK(strstr(err.msg, "--key-file") != NULL);
	/* Another key file: does not open. */
	{
		char other[700];

		snprintf(other, sizeof(other), "%s/other.key", tmpdir);
		T_EQ_INT(kt_keyfile_new(other, &err), 0);
		setenv("KT_KEY_FILE", other, 1);
		T_EQ_INT(kt_secret_open(path, out, sizeof(out), &kdf, &err), KT_ECRYPTO);
		put_file(other, "short");
		T_EQ_INT(kt_secret_open(path, out, sizeof(out), &kdf, &err), KT_EINVAL);
	}
	/* The hint (the node's setting) and $KT_KEY_FILE both find it. */
	unsetenv("KT_KEY_FILE");
	kt_unlock_hint(kfpath);
	T_EQ_INT(kt_secret_open(path, out, sizeof(out), &kdf, &err), 0);
	T_EQ_STR(out, "the secret\n");
	T_EQ_INT(kdf, KT_SEAL_KEYFILE);
	/* Written like it: sealed under the same key, opened with the key held. */
	snprintf(like, sizeof(like), "%s/secret.new", tmpdir);
	T_EQ_INT(kt_secret_write_like(like, "next\n", path, &err), 0);
	T_EQ_INT(kt_secret_kind(like, &err), KT_SEAL_KEYFILE);
	kt_unlock_hint(NULL);
	T_EQ_INT(kt_secret_open(like, out, sizeof(out), &kdf, &err), 0); /* held: no file needed */
	T_EQ_STR(out, "next\n");
	kt_unlock_forget();
	T_EQ_INT(kt_secret_open(like, out, sizeof(out), &kdf, &err), KT_EDENIED);
	/* A clear file reads as before, and is written like clear. */
	put_file(like, "plain\n");
	chmod(like, 0600);
	T_EQ_INT(kt_secret_open(like, out, sizeof(out), &kdf, &err), 0);
	T_CHECK(kdf == KT_SEAL_CLEAR && strcmp(out, "plain\n") == 0);
	/* A passphrase, from $KT_NODE_PASS. */
	T_EQ_INT(kt_lock_pass(&l, "a node passphrase", 17, &err), 0);
	unlink(path);
	T_EQ_INT(kt_secret_write_lock(path, "by pass\n", &l, &err), 0);
	kt_lock_wipe(&l);
	kt_unlock_forget();
	T_EQ_INT(kt_secret_open(path, out, sizeof(out), &kdf, &err), KT_EDENIED);
	setenv("KT_NODE_PASS", "a wrong passphrase", 1);
	T_EQ_INT(kt_secret_open(path, out, sizeof(out), &kdf, &err), KT_ECRYPTO);
	setenv("KT_NODE_PASS", "a node passphrase", 1);
	T_EQ_INT(kt_secret_open(path, out, sizeof(out), &kdf, &err), 0);
	T_CHECK(kdf == KT_SEAL_PASS && strcmp(out, "by pass\n") == 0);
	unsetenv("KT_NODE_PASS");
	kt_unlock_forget();
}

static void test_sealed_node(void)
{
	char dir[600], p[700], q[700];
	uint8_t kf[KT_KEYFILE_BYTES];
	struct kt_store st;
	struct kt_lock l;
	struct kt_err err;
	uint8_t ck[KT_KEY_BYTES];

	snprintf(dir, sizeof(dir), "%s/node", tmpdir);
	T_EQ_INT(kt_keyfile_read(kfpath, kf, &err), 0);
	kt_lock_keyfile(&l, kf);
	T_EQ_INT(kt_store_init_sealed(dir, "N", "RU", &l, kfpath, &err), 0);
	kt_lock_wipe(&l);
	snprintf(p, sizeof(p), "%s/chain.key", dir);
	T_EQ_INT(kt_secret_kind(p, &err), KT_SEAL_KEYFILE);
	snprintf(p, sizeof(p), "%s/node.key", dir);
	T_EQ_INT(kt_secret_kind(p, &err), KT_SEAL_KEYFILE);
	/* The setting names the key file: the open finds it. */
	kt_unlock_forget();
	T_EQ_INT(kt_store_open(&st, dir, &err), 0);
	memcpy(ck, st.chain_key, sizeof(ck));
	kt_store_close(&st);
	/* Without it: one line, nothing opened. */
	kt_unlock_forget();
	snprintf(q, sizeof(q), "%s/gone.key", tmpdir);
	rename(kfpath, q);
	T_EQ_INT(kt_store_open(&st, dir, &err), KT_EDENIED);
	T_CHECK(strstr(err.msg, "not there") != NULL);
	rename(q, kfpath);
	/* Re-sealed in clear, and a crash between the two renames finished at open. */
	T_EQ_INT(kt_store_open(&st, dir, &err), 0);
	T_EQ_INT(kt_store_reseal(dir, NULL, &err), 0);
	kt_store_close(&st);
	T_EQ_INT(kt_secret_kind(p, &err), KT_SEAL_CLEAR);
	{
		char text[KT_SEAL_PLAIN_MAX + 1], cs[700];

		kt_unlock_forget();
		snprintf(q, sizeof(q), "%s/chain.key", dir);
		snprintf(cs, sizeof(cs), "%s/chain.key.seal", dir);
		T_EQ_INT(kt_secret_open(q, text, sizeof(text), NULL, &err), 0);
		kt_lock_keyfile(&l, kf);
		T_EQ_INT(kt_secret_write_lock(cs, text, &l, &err), 0); /* node.key's rename made */
		kt_lock_wipe(&l);
		kt_unlock_forget();
		T_EQ_INT(kt_store_open(&st, dir, &err), 0);
		T_CHECK(memcmp(st.chain_key, ck, sizeof(ck)) == 0);
		kt_store_close(&st);
		T_EQ_INT(kt_secret_kind(q, &err), KT_SEAL_KEYFILE);
		T_CHECK(access(cs, F_OK) != 0);
		/* Both .seal files left: the old files stand. */
		snprintf(p, sizeof(p), "%s/node.key.seal", dir);
		put_file(p, "junk");
		put_file(cs, "junk");
		T_EQ_INT(kt_store_open(&st, dir, &err), 0);
		kt_store_close(&st);
		T_CHECK(access(cs, F_OK) != 0 && access(p, F_OK) != 0);
	}
	sodium_memzero(kf, sizeof(kf));
}

int main(void)
{
	if (tmpdir_make("seal") != 0)
		return 1;
	T_RUN(test_parse);
	T_RUN(test_open_and_write_like);
	T_RUN(test_sealed_node);
	return tmpdir_done();
}
