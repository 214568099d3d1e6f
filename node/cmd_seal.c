/*
 * cmd_seal.c - the node's key files sealed at rest (common/seal.h,
 * docs/PRIVACY.md "At rest"): `keyfile new FILE`, `seal-keys`,
 * `unseal-keys`, the lock `init` seals under, and status's line.
 */
#include "cli.h"
#include "seal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

static const char keyfile_usage[] =
	"usage: kt-node keyfile new FILE\n"
	"\n"
	"Makes a key file: 32 random bytes in FILE (refused when FILE exists), to seal\n"
	"a node's keys under (init --key-file FILE, seal-keys --key-file FILE).  Keep it\n"
	"on a USB stick, not on the PC: a copy of the data folder without it reveals no\n"
	"health data.  Make a second copy of the stick and keep it locked away: a lost\n"
	"key file is a node that no longer opens (restore it from a backup).\n"
	"example: kt-node keyfile new /media/usb/kartoteka.key\n";

int cmd_keyfile(struct kt_cli *cli, int argc, char **argv)
{
	struct kt_opts *o = kt_cli_opts(cli, "keyfile", keyfile_usage, NULL, argc, argv);
	int c;

	while ((c = kt_opts_next(o)) >= 0)
		;
	if (c != KT_OPTS_END || kt_opts_args(o, 2, 2, "new FILE"))
		return kt_opts_exit(c);
	if (strcmp(o->args[0], "new") != 0)
		return kt_opts_fail(o, "unknown keyfile command '%s' (want: keyfile new FILE)",
				    o->args[0]);
	if (kt_keyfile_new(o->args[1], &cli->err) != 0)
		return kt_cli_failf("keyfile new: %s", cli->err.msg);
	printf("key file made: %s\n", o->args[1]);
	return 0;
}

/* Whether path names a file inside folder dir (both made absolute). */
static int inside(const char *abs, const char *dir)
{
	char d[PATH_MAX];
	size_t n;

	if (realpath(dir, d) == NULL)
		return 0;
	n = strlen(d);
	return strncmp(abs, d, n) == 0 && (abs[n] == '/' || abs[n] == '\0');
}

int kt_cli_seal_lock(const char *cmd, const char *dir, const char *key_file,
		     const char *pass_file, int ask, struct kt_lock *l, char *abs, size_t cap)
{
	abs[0] = '\0';
	if ((key_file != NULL) + (pass_file != NULL) + (ask != 0) > 1)
		return kt_cli_failf("%s: --key-file, a passphrase file or a typed passphrase: one "
				    "of them", cmd);
	if (key_file != NULL) {
		uint8_t kf[KT_KEYFILE_BYTES];
		char full[PATH_MAX];
		struct kt_err err;

		if (realpath(key_file, full) == NULL)
			return kt_cli_failf("%s: cannot read the key file '%s': %s (make one with "
					    "kt-node keyfile new FILE)", cmd, key_file, strerror(errno));
		if (dir != NULL && inside(full, dir))
			return kt_cli_failf("%s: the key file '%s' is inside the data folder: a copy "
					    "of the folder would carry it (keep it on a USB stick)",
					    cmd, key_file);
		if (strlen(full) >= cap || strlen(full) >= KT_SETTING_BYTES_MAX)
			return kt_cli_failf("%s: the key file's path is too long", cmd);
		if (kt_keyfile_read(full, kf, &err) != 0)
			return kt_cli_failf("%s: %s", cmd, err.msg);
		kt_lock_keyfile(l, kf);
		sodium_memzero(kf, sizeof(kf));
		snprintf(abs, cap, "%s", full);
		return 0;
	}
	if (pass_file == NULL && !ask && getenv("KT_NODE_PASS") == NULL)
		return 2;
	{
		struct kt_secret_ask a = { cmd, "passphrase of this node's keys", pass_file,
					   ask ? "KT_NODE_PASS_ASKED_NOT_ENV" : "KT_NODE_PASS",
					   "--pass-file FILE", 1, KT_NODE_PASS_MIN, KT_NODE_PASS_MAX };
		char pass[KT_NODE_PASS_MAX + 2];
		struct kt_err err;
		int rc;

		if (kt_cli_secret(&a, pass, sizeof(pass)))
			return 1;
		rc = kt_lock_pass(l, pass, strlen(pass), &err);
		sodium_memzero(pass, sizeof(pass));
		return rc != 0 ? kt_cli_failf("%s: %s", cmd, err.msg) : 0;
	}
}

static const char seal_usage[] =
	"usage: kt-node -d DIR seal-keys (--key-file FILE | --pass-file FILE | --ask-pass)\n"
	"\n"
	"Seals the node's secret keys (chain.key and node.key: XChaCha20-Poly1305)\n"
	"under a key file or a passphrase, so a copy of DIR without it reveals no\n"
	"health data; every command then unlocks them when it starts.  A manager's.\n"
	"  --key-file FILE  a key file (kt-node keyfile new FILE), outside DIR; its\n"
	"                   path is kept as the setting key_file, where commands look\n"
	"                   for it (else --key-file or $KT_KEY_FILE)\n"
	"  --pass-file F    a passphrase, F's first line (8 to 1024 bytes; Argon2id);\n"
	"  --ask-pass       typed twice.  Commands then take it from $KT_NODE_PASS or\n"
	"                   ask for it on the terminal.\n"
	"A node sealed already is sealed again under the new one: the old one unlocks\n"
	"it first ($KT_KEY_FILE or the setting, $KT_NODE_PASS or typed).  A wrong one\n"
	"changes nothing.  The clear files this replaces may still be readable on the\n"
	"disk itself: seal a node when it is made (init --key-file) where you can.\n"
	"example: kt-node -d DIR seal-keys --key-file /media/usb/kartoteka.key\n";

/* Seals (lock not NULL) or unseals the key files of the open node; 0 or 1 (said). */
static int reseal(struct kt_cli *cli, const char *cmd, const struct kt_lock *lock,
		  const char *key_file)
{
	if (kt_store_reseal(cli->dir, lock, &cli->err) != 0)
		return kt_cli_failf("%s: %s", cmd, cli->err.msg);
	if (kt_store_set_setting(&cli->st, "key_file", key_file != NULL ? key_file : "",
				 &cli->err) != 0)
		return kt_cli_failf("%s: the keys are %s, but the setting key_file was not "
				    "written: %s", cmd, lock ? "sealed" : "in clear", cli->err.msg);
	return 0;
}

int cmd_seal_keys(struct kt_cli *cli, int argc, char **argv)
{
	static const struct kt_opt opts[] = {
		{ "pass-file", KT_OPT_VALUE, 'p', 0 },
		{ "ask-pass", KT_OPT_FLAG, 'a', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, "seal-keys", seal_usage, opts, argc, argv);
	const char *pfile = NULL, *kfile;
	char abs[PATH_MAX];
	struct kt_lock l;
	int c, ask = 0, rc;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'p': pfile = o->arg; break;
		case 'a': ask = 1; break;
		}
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (cli->dir == NULL)
		return kt_cli_failf("seal-keys: no data folder: use -d DIR");
	kfile = cli->key_file;
	if (kfile == NULL && pfile == NULL && !ask)
		return kt_opts_fail(o, "seal under what? --key-file FILE, --pass-file FILE or "
				    "--ask-pass");
	/* --key-file is the new key here: the old seal, if any, opens from the rest. */
	kt_unlock_from(NULL, kt_cli_ask_node_pass);
	if (kt_cli_act(cli, "seal-keys", KT_CAN_NODE))
		return 1;
	if ((rc = kt_cli_seal_lock("seal-keys", cli->dir, kfile, pfile, ask, &l, abs,
				   sizeof(abs))) != 0)
		return rc == 2 ? kt_cli_failf("seal-keys: no passphrase given") : 1;
	rc = reseal(cli, "seal-keys", &l, kfile != NULL ? abs : NULL);
	kt_lock_wipe(&l);
	if (rc)
		return 1;
	if (kfile != NULL)
		printf("keys sealed under the key file %s (kept as the setting key_file)\n", abs);
	else
		printf("keys sealed under a passphrase (commands take it from KT_NODE_PASS or "
		       "ask for it)\n");
	return 0;
}

static const char unseal_usage[] =
	"usage: kt-node -d DIR unseal-keys\n"
	"\n"
	"Writes the node's secret keys (chain.key, node.key) in clear again, as a node\n"
	"that was never sealed, after unlocking them (--key-file, $KT_KEY_FILE or the\n"
	"setting key_file; $KT_NODE_PASS or typed).  A manager's.  A copy of DIR then\n"
	"carries the keys that open every card's health data.\n"
	"example: kt-node -d DIR unseal-keys --key-file /media/usb/kartoteka.key\n";

int cmd_unseal_keys(struct kt_cli *cli, int argc, char **argv)
{
	struct kt_opts *o = kt_cli_opts(cli, "unseal-keys", unseal_usage, NULL, argc, argv);
	int c;

	while ((c = kt_opts_next(o)) >= 0)
		;
	if (c != KT_OPTS_END || kt_opts_args(o, 0, 0, NULL))
		return kt_opts_exit(c);
	if (kt_cli_act(cli, "unseal-keys", KT_CAN_NODE) || reseal(cli, "unseal-keys", NULL, NULL))
		return 1;
	printf("keys in clear in %s\n", cli->dir);
	return 0;
}

void kt_cli_keys_status(struct kt_cli *cli, json_t *o)
{
	char path[4200], kf[KT_SETTING_BYTES_MAX] = "";
	struct kt_err err;
	MDB_txn *txn;
	int kind;

	snprintf(path, sizeof(path), "%s/chain.key", cli->dir);
	kind = kt_secret_kind(path, &err);
	if (kt_store_rdtxn(&cli->st, &txn, NULL) == 0) {
		kt_store_setting(&cli->st, txn, "key_file", kf, sizeof(kf));
		mdb_txn_abort(txn);
	}
	if (o != NULL) {
		json_object_set_new(o, "keys", json_string(kind == KT_SEAL_KEYFILE ? "key_file"
							   : kind == KT_SEAL_PASS ? "passphrase"
							   : kind == KT_SEAL_CLEAR ? "clear" : "unknown"));
		json_object_set_new(o, "key_file", kf[0] ? json_string(kf) : json_null());
		return;
	}
	if (kind == KT_SEAL_KEYFILE)
		printf("keys:      sealed under a key file%s%s\n", kf[0] ? ": " : "", kf);
	else if (kind == KT_SEAL_PASS)
		printf("keys:      sealed under a passphrase\n");
	else
		printf("keys:      in clear: a copy of this folder opens every card "
		       "(kt-node seal-keys)\n");
}
