/*
 * cmd_backup.c - `backup FILE` and `restore FILE`: a whole node in one file
 * sealed under a passphrase (node/backup.h), taken while the node works.
 *
 * The passphrase comes from --passphrase-file FILE (its first line), else
 * $KT_BACKUP_PASS, else a prompt on the terminal (asked twice for a backup);
 * with none of these the command is refused.  It is 8 to 1024 bytes.
 */
#include "cli.h"
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <sodium.h>

static const char backup_usage[] =
	"usage: kt-node -d DIR backup FILE [--passphrase-file PFILE]\n"
	"\n"
	"Writes one file holding the whole node -- a consistent copy of its store\n"
	"taken while others work, its chain key and its own key -- sealed under a\n"
	"passphrase (Argon2id, XChaCha20-Poly1305).  FILE must not exist.  The\n"
	"passphrase is PFILE's first line, else $KT_BACKUP_PASS, else asked on the\n"
	"terminal twice; 8 to 1024 bytes.  Keep it apart from the file: without it\n"
	"the backup cannot be read, with it anyone can.  Prints the store's digest.\n"
	"example: kt-node -d /srv/kt backup /media/usb/kt-$(date +%F).ktb\n";

static const char restore_usage[] =
	"usage: kt-node -d DIR restore FILE [--passphrase-file PFILE]\n"
	"\n"
	"Makes DIR (missing or empty) the node a backup holds: every byte checked\n"
	"before anything is kept, the store opened and its digest printed, the\n"
	"same the backup printed.  A wrong passphrase or a damaged file leaves DIR\n"
	"as it was.  Run `kt-node -d DIR sync` next: the hub sends the changes\n"
	"made since the backup, and takes again what this node made after it.\n"
	"example: kt-node -d /srv/kt restore /media/usb/kt-2026-12-03.ktb\n";

static int passphrase(const char *cmd, const char *file, int twice, char *out, size_t cap)
{
	struct kt_secret_ask ask = { cmd, "passphrase", file, "KT_BACKUP_PASS",
				     "--passphrase-file FILE", twice, KT_BACKUP_PASS_MIN,
				     KT_BACKUP_PASS_MAX };

	return kt_cli_secret(&ask, out, cap);
}

static int parse(struct kt_cli *cli, const char *cmd, const char *usage, int argc, char **argv,
		 const char **file, const char **pfile)
{
	static const struct kt_opt opts[] = {
		{ "passphrase-file", KT_OPT_VALUE, 'p', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_cli_opts(cli, cmd, usage, opts, argc, argv);
	int c;

	*pfile = NULL;
	while ((c = kt_opts_next(o)) >= 0)
		if (c == 'p')
			*pfile = o->arg;
	if (c != KT_OPTS_END || kt_opts_args(o, 1, 1, NULL))
		return kt_opts_exit(c);
	*file = o->args[0];
	if (cli->dir == NULL)
		return kt_cli_failf("no data folder: use -d DIR");
	return -1;
}

static const char *const copy_names[] = { "data.mdb", "chain.key", "node.key", "lock.mdb" };

static void rm_copy(const char *tmp)
{
	char p[4200 + 16];

	for (size_t i = 0; i < sizeof(copy_names) / sizeof(copy_names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, copy_names[i]);
		unlink(p);
	}
	rmdir(tmp);
}

static void print_digest(const char *what, const char *where, const uint8_t d[KT_HASH_BYTES])
{
	char hex[2 * KT_HASH_BYTES + 1];

	kt_hex(hex, d, KT_HASH_BYTES);
	printf("%s %s: digest %s\n", what, where, hex);
}

/* A key file of the node copied into the snapshot's folder, mode 0600. */
static int copy_key(struct kt_cli *cli, const char *tmp, const char *name)
{
	char from[4200], to[4200 + 16], text[KT_BACKUP_KEY_FILE_MAX];
	int rc;

	snprintf(from, sizeof(from), "%s/%s", cli->dir, name);
	snprintf(to, sizeof(to), "%s/%s", tmp, name);
	rc = kt_secret_read(from, text, sizeof(text), &cli->err) != 0 ||
	     kt_secret_write(to, text, &cli->err) != 0;
	sodium_memzero(text, sizeof(text));
	return rc ? cli->err.code : 0;
}

/*
 * The snapshot's own digest: the copy opened as the node a restore makes,
 * so what the backup prints is what the restore prints, whatever others
 * wrote meanwhile.
 */
static int copy_digest(struct kt_cli *cli, const char *tmp, uint8_t d[KT_HASH_BYTES])
{
	struct kt_store copy;
	int rc;

	memset(&copy, 0, sizeof(copy));
	if ((rc = kt_store_open(&copy, tmp, &cli->err)) != 0)
		return rc;
	rc = kt_store_digest(&copy, d, &cli->err);
	kt_store_close(&copy);
	return rc;
}

/* The snapshot, its digest and the sealing; out is open on file. */
static int write_backup(struct kt_cli *cli, FILE *out, const char *file, const char *pass)
{
	char tmp[4096], paths[3][4200];
	const char *list[3] = { paths[0], paths[1], paths[2] };
	uint8_t d[KT_HASH_BYTES];
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.copy-XXXXXX", file) >= (int)sizeof(tmp) ||
	    mkdtemp(tmp) == NULL)
		return kt_err_set(&cli->err, KT_EIO, "cannot make a folder beside '%s': %s", file,
				  strerror(errno));
	for (int i = 0; i < 3; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", tmp, copy_names[i]);
	if ((rc = kt_store_copy(&cli->st, tmp, &cli->err)) == 0 &&
	    (rc = copy_key(cli, tmp, "chain.key")) == 0 &&
	    (rc = copy_key(cli, tmp, "node.key")) == 0 &&
	    (rc = copy_digest(cli, tmp, d)) == 0 &&
	    (rc = kt_backup_write(out, list, 3, pass, &cli->err)) == 0 &&
	    fsync(fileno(out)) != 0)
		rc = kt_err_set(&cli->err, KT_EIO, "cannot write '%s': %s", file, strerror(errno));
	rm_copy(tmp);
	if (rc == 0)
		print_digest("backed up to", file, d);
	return rc;
}

int cmd_backup(struct kt_cli *cli, int argc, char **argv)
{
	char pass[KT_BACKUP_PASS_MAX + 2];
	const char *file, *pfile;
	FILE *out;
	int fd, rc = parse(cli, "backup", backup_usage, argc, argv, &file, &pfile);

	if (rc >= 0)
		return rc;
	if (kt_cli_act(cli, "backup", KT_CAN_NODE))
		return 1;
	if (passphrase("backup", pfile, 1, pass, sizeof(pass)))
		return 1;
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    (out = fdopen(fd, "wb")) == NULL) {
		sodium_memzero(pass, sizeof(pass));
		if (fd >= 0)
			close(fd);
		return kt_cli_failf("backup: cannot write '%s': %s", file, strerror(errno));
	}
	rc = write_backup(cli, out, file, pass);
	sodium_memzero(pass, sizeof(pass));
	if (fclose(out) != 0 && rc == 0)
		rc = kt_err_set(&cli->err, KT_EIO, "cannot write '%s': %s", file, strerror(errno));
	if (rc != 0) {
		unlink(file);
		return kt_cli_failf("backup: %s", cli->err.msg);
	}
	return 0;
}

/* Whether dir is missing or empty; *made 1 when it was made here. */
static int empty_folder(const char *dir, int *made)
{
	DIR *d;
	struct dirent *e;
	int empty = 1;

	*made = 0;
	if (mkdir(dir, 0700) == 0) {
		*made = 1;
		return 1;
	}
	if (errno != EEXIST || (d = opendir(dir)) == NULL)
		return 0;
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

static int restored(struct kt_cli *cli)
{
	uint8_t d[KT_HASH_BYTES];

	if (kt_store_open(&cli->st, cli->dir, &cli->err) != 0)
		return -1;
	cli->open = 1;
	if (kt_store_digest(&cli->st, d, &cli->err) != 0)
		return -1;
	print_digest("restored into", cli->dir, d);
	return 0;
}

int cmd_restore(struct kt_cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "data.mdb", "lock.mdb", "chain.key", "node.key" };
	char pass[KT_BACKUP_PASS_MAX + 2], p[4200];
	const char *file, *pfile;
	FILE *in;
	int made, rc = parse(cli, "restore", restore_usage, argc, argv, &file, &pfile);

	if (rc >= 0)
		return rc;
	if ((in = fopen(file, "rb")) == NULL)
		return kt_cli_failf("restore: cannot read '%s': %s", file, strerror(errno));
	if (!empty_folder(cli->dir, &made)) {
		fclose(in);
		return kt_cli_failf("restore: '%s' is not empty: restore into a new folder",
				    cli->dir);
	}
	if (passphrase("restore", pfile, 0, pass, sizeof(pass)) == 0) {
		rc = kt_backup_read(in, cli->dir, pass, &cli->err) != 0 || restored(cli) != 0;
	} else {
		rc = 2; /* said */
	}
	sodium_memzero(pass, sizeof(pass));
	fclose(in);
	if (rc == 0)
		return 0;
	if (cli->open) {
		kt_store_close(&cli->st);
		cli->open = 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", cli->dir, names[i]);
		unlink(p);
	}
	if (made)
		rmdir(cli->dir);
	return rc == 2 ? 1 : kt_cli_failf("restore: %s", cli->err.msg);
}
