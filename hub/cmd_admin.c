/*
 * cmd_admin.c - kt-hub's commands that make, admit and keep a hub: init,
 * enroll (and the bundle a node joins with), status, digest, verify,
 * rebuild, backup, revoke.
 */
#include "hub_cli.h"
#include "hub_store.h"
#include "hlc.h"
#include "text.h"
#include "when.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <time.h>
#include <sodium.h>

int kt_hub_cmd_init(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR init [--listen tcp://HOST:PORT]\n\n"
		"Makes a hub in DIR: its store and its key pair (hub.key, mode 0600).\n"
		"example: kt-hub -d HUB init --listen tcp://127.0.0.1:7400\n";
	static const struct kt_opt tab[] = {
		{ "listen", KT_OPT_VALUE, 'l', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_hub_cli_parse(cli, "init", usage, tab, argc, argv);
	const char *listen = "tcp://127.0.0.1:7400", *dir;
	struct kt_err err;
	int c, rc;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'l': listen = o->arg; break;
		}
	if ((dir = kt_hub_cli_parsed(cli, c, &rc)) == NULL)
		return rc;
	if (strncmp(listen, "tcp://", 6) != 0 || strlen(listen) > 200)
		return kt_cli_failf("init: --listen wants tcp://HOST:PORT, not '%s'", listen);
	if (kt_hub_init(dir, listen, &err) != 0)
		return kt_cli_failf("%s", err.msg);
	printf("hub made in %s, listening on %s when run\n", dir, listen);
	return 0;
}

static int write_bundle(const char *path, const char *dir, struct kt_hub *h, const char *branch,
			const char *key)
{
	uint8_t pk[32], sk[64];
	char cpk[41], csk[41], listen[256];
	struct kt_err err;
	json_t *o;
	int rc;

	if (kt_identity_read(dir, "hub.key", pk, sk, cpk, csk, &err) != 0)
		return kt_cli_failf("%s", err.msg);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(csk, sizeof(csk));
	kt_hub_cli_listen(h, listen, sizeof(listen));
	o = json_pack("{s:s, s:i, s:s, s:s, s:s}", "format", "kartoteka-bundle", "version", 1,
		      "branch", branch, "hub", listen, "hub_key", cpk);
	json_object_set_new(o, "node_key", json_string(key));
	{
		/* A founded chain: the node joins with an invite, whose key must be this one. */
		uint8_t check[KT_CHAIN_CHECK_BYTES];
		char hex[2 * KT_CHAIN_CHECK_BYTES + 1];
		int founded = kt_hub_chain_check(h, check) == 1;

		json_object_set_new(o, "founded", json_boolean(founded));
		if (founded) {
			kt_hex(hex, check, sizeof(check));
			json_object_set_new(o, "chain_check", json_string(hex));
		}
	}
	rc = path ? json_dump_file(o, path, JSON_SORT_KEYS | JSON_INDENT(2))
		  : json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(o);
	if (rc != 0)
		return kt_cli_failf("enroll: cannot write '%s'", path ? path : "(stdout)");
	if (!path)
		fputc('\n', stdout);
	return 0;
}

int kt_hub_cmd_enroll(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR enroll --branch NAME --key NODE_KEY [--out FILE]\n\n"
		"Admits a branch's node (its key from `kt-node -d DIR key`) and writes the\n"
		"bundle the node joins with (to FILE, else stdout).\n"
		"example: kt-hub -d HUB enroll --branch North --key \"$(kt-node -d B key)\" "
		"--out b.bundle\n";
	static const struct kt_opt tab[] = {
		{ "branch", KT_OPT_VALUE, 'b', 0 },
		{ "key", KT_OPT_VALUE, 'k', 0 },
		{ "out", KT_OPT_VALUE, 'o', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_hub_cli_parse(cli, "enroll", usage, tab, argc, argv);
	const char *branch = NULL, *key = NULL, *out = NULL, *dir;
	uint8_t raw[KT_PUBKEY_BYTES];
	struct kt_hub h;
	struct kt_err err;
	int rc, c;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'b': branch = o->arg; break;
		case 'k': key = o->arg; break;
		case 'o': out = o->arg; break;
		}
	if ((dir = kt_hub_cli_parsed(cli, c, &rc)) == NULL)
		return rc;
	if (branch == NULL || key == NULL)
		return kt_cli_failf("enroll: --branch NAME and --key NODE_KEY are required");
	if (kt_unhex(raw, sizeof(raw), key) != 0)
		return kt_cli_failf("enroll: bad key '%.70s' (want the 64 hex digits of `kt-node "
				    "key`)", key);
	if (kt_hub_open(&h, dir, &err) != 0)
		return kt_cli_failf("%s", err.msg);
	rc = kt_hub_enroll(&h, branch, raw, &err) != 0 ? kt_cli_failf("enroll: %s", err.msg)
						       : write_bundle(out, dir, &h, branch, key);
	kt_hub_close(&h);
	return rc;
}

struct status {
	struct kt_hub *h;
	MDB_txn *txn;
	uint64_t head;
	json_t *arr;
};

/* A kt_member_fn: one enrolled branch as status --json lists it, appended to s->arr. */
static int status_branch(void *ctx, const uint8_t key[KT_PUBKEY_BYTES], const struct kt_member *m)
{
	struct status *s = ctx;
	char hex[2 * KT_PUBKEY_BYTES + 1], oid[17];
	uint8_t hash[KT_HASH_BYTES];
	uint64_t seq = 0, pos;
	json_t *o;

	kt_hex(hex, key, KT_PUBKEY_BYTES);
	snprintf(oid, sizeof(oid), "%016llx", (unsigned long long)m->origin);
	kt_store_origin_head(&s->h->st, s->txn, m->origin, &seq, hash, &pos);
	o = json_pack("{s:s%, s:s, s:s, s:b, s:I, s:I, s:I}", "branch", m->branch,
		      m->branch_len, "key", hex, "node", m->origin ? oid : "", "revoked",
		      m->revoked != 0, "last_contact_ms",
		      (json_int_t)kt_hub_contact(s->h, s->txn, key), "acked_seq", (json_int_t)seq,
		      "pull_lag", (json_int_t)(s->head - kt_hub_pulled(s->h, s->txn, m->origin)));
	json_object_set_new(o, "clock_ahead_changes", json_integer((json_int_t)kt_hub_origin_u64(
				    s->h, s->txn, "ahead", m->origin)));
	json_object_set_new(o, "damaged_from_seq",
			    json_integer((json_int_t)kt_hub_damaged(s->h, s->txn, m->origin)));
	json_object_set_new(o, "damaged_signatures",
			    json_integer((json_int_t)kt_hub_resign_count(s->h, s->txn, m->origin)));
	json_array_append_new(s->arr, o);
	return 0;
}

static long long int_of(json_t *b, const char *name)
{
	return (long long)json_integer_value(json_object_get(b, name));
}

/* One branch of status as text: its line, then a line for each thing to act on. */
static void status_line(json_t *b)
{
	time_t t = (time_t)(int_of(b, "last_contact_ms") / 1000);
	char when[64] = "never";

	if (t > 0)
		kt_when_text((int64_t)t, when, sizeof(when)); /* the hub machine's zone */
	kt_cli_pad(json_string_value(json_object_get(b, "branch")), 16); /* by display columns */
	printf("node %-16s acked seq %-8lld pull lag %-8lld last contact %s%s\n",
	       json_string_value(json_object_get(b, "node")), int_of(b, "acked_seq"),
	       int_of(b, "pull_lag"), when,
	       json_is_true(json_object_get(b, "revoked")) ? "  REVOKED" : "");
	if (int_of(b, "clock_ahead_changes") > 0)
		printf("%-16s   %lld changes stamped more than %llu min past the hub's clock "
		       "(its PC's clock ran ahead; later edits still win over them)\n", "",
		       int_of(b, "clock_ahead_changes"),
		       (unsigned long long)KT_HLC_DRIFT_MAX_MS / 60000);
	if (int_of(b, "damaged_from_seq") > 0)
		printf("%-16s   the hub's copy of its changes from seq %lld is damaged: they "
		       "go to the other branches withheld until this branch syncs and "
		       "sends them again\n", "", int_of(b, "damaged_from_seq"));
	if (int_of(b, "damaged_signatures") > 0)
		printf("%-16s   %lld of its pushes have a damaged signature at the hub: this "
		       "branch signs them again at its next sync\n", "",
		       int_of(b, "damaged_signatures"));
}

int kt_hub_cmd_status(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR status [--json]\n\nEvery enrolled branch with its last "
		"contact and acknowledged seq, and the hub head.\n"
		"example: kt-hub -d HUB status --json\n";
	struct kt_hub h;
	MDB_txn *txn;
	int json = 0, rc;
	json_t *arr;
	uint64_t head, lag, dropped;
	const char *dir;

	if ((dir = kt_hub_cli_parse_plain(cli, "status", usage, &json, argc, argv, &rc)) == NULL)
		return rc;
	if (kt_hub_cli_open_reading(dir, &h, &txn, 0) != 0)
		return 1;
	arr = json_array();
	head = kt_hub_head(&h);
	lag = kt_hub_merge_lag(&h, txn);
	dropped = kt_store_erased_dropped(&h.st, txn);
	/* Bounded by the number of enrolled branches. */
	kt_member_each(&h.st, txn, status_branch, &(struct status){ &h, txn, head, arr });
	kt_hub_cli_close_reading(&h, txn);
	if (json) {
		kt_cli_print_json(json_pack("{s:I, s:I, s:I, s:o}", "head", (json_int_t)head,
					    "merge_lag", (json_int_t)lag, "erased_dropped",
					    (json_int_t)dropped, "branches", arr));
		return 0;
	}
	printf("hub head: %llu (merged: %llu behind)\n", (unsigned long long)head,
	       (unsigned long long)lag);
	if (dropped > 0)
		printf("erased: %llu changes to erased clients dropped (made where her erasure "
		       "had not arrived yet)\n", (unsigned long long)dropped);
	for (size_t i = 0; i < json_array_size(arr); i++)
		status_line(json_array_get(arr, i));
	json_decref(arr);
	return 0;
}

static void damage_line(void *ctx, uint64_t first, uint64_t last, uint64_t origin, uint64_t seq,
			const char *what)
{
	struct kt_hub *h = ctx;
	char br[KT_BRANCH_BYTES_MAX + 1];

	kt_hub_origin_branch(h, origin, br, sizeof(br));
	printf("damaged: hub seqs %llu-%llu, change %llu of branch %s (origin %016llx): %s\n",
	       (unsigned long long)first, (unsigned long long)last, (unsigned long long)seq, br,
	       (unsigned long long)origin, what);
}

/* Removes a backup folder that was not finished: what it holds, then itself. */
static void backup_undo(const char *out)
{
	static const char *const names[] = { "data.mdb", "lock.mdb", "hub.key", "hub.key.tmp" };
	char path[4200];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", out, names[i]);
		unlink(path);
	}
	rmdir(out);
}

/* Whether path (made already) lies inside the folder dir. */
static int inside(const char *path, const char *dir)
{
	char rp[4096], rd[4096];
	size_t n;

	if (realpath(path, rp) == NULL || realpath(dir, rd) == NULL)
		return 0;
	n = strlen(rd);
	return strncmp(rp, rd, n) == 0 && (rp[n] == '/' || rp[n] == '\0');
}

/* Makes the new folder out for a backup of the hub in dir; 0, or 1 said. */
static int backup_folder(const char *out, const char *dir)
{
	if (mkdir(out, 0700) != 0) {
		int e = errno;

		if (e == EEXIST)
			return kt_cli_failf("backup: %s exists already: name a new folder", out);
		if (e == ENOENT)
			return kt_cli_failf("backup: cannot make %s: the folder it goes in does not "
					    "exist", out);
		if (e == ENOSPC || e == EDQUOT)
			return kt_cli_failf("backup: disk full where %s goes: free space and run "
					    "again", out);
		return kt_cli_failf("backup: cannot make the folder %s: %s", out, strerror(e));
	}
	if (inside(out, dir)) {
		rmdir(out);
		return kt_cli_failf("backup: %s is inside the hub's folder %s: put the backup "
				    "elsewhere (another disk, ideally)", out, dir);
	}
	return 0;
}

/* The store of the hub in dir, copied into out when the disk has room; 0, or 1 said. */
static int backup_store(const char *dir, const char *out)
{
	struct kt_hub h;
	struct kt_err err;
	struct statvfs fs;
	uint64_t need;
	int rc;

	if (kt_hub_open(&h, dir, &err) != 0)
		return kt_cli_failf("%s", err.msg);
	/* Room first: the copy holds at most the pages in use, and a margin. */
	need = kt_store_used_bytes(&h.st);
	need = need > 0 ? need + (1u << 20) : 0;
	if (statvfs(out, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize < need) {
		kt_hub_close(&h);
		return kt_cli_failf("backup: disk full in %s: the copy needs up to %.1f MiB, %.1f "
				    "MiB are free: free space and run again", out,
				    need / 1048576.0, (double)fs.f_bavail * fs.f_frsize / 1048576.0);
	}
	rc = kt_store_copy(&h.st, out, &err);
	kt_hub_close(&h);
	if (rc == KT_ENOSPC)
		return kt_cli_failf("backup: disk full in %s: free space and run again", out);
	if (rc != 0)
		return kt_cli_failf("backup: cannot write the copy into %s: %s (nothing was kept "
				    "there)", out, err.msg);
	return 0;
}

/* The hub's key beside its copy, and the copy made private and read back; 0, or 1 said. */
static int backup_finish(const char *dir, const char *out)
{
	char key[4200], text[512], out_key[4200], msg[300];
	struct kt_err err;

	snprintf(key, sizeof(key), "%s/hub.key", dir);
	snprintf(out_key, sizeof(out_key), "%s/hub.key", out);
	if (kt_secret_read(key, text, sizeof(text), &err) != 0 ||
	    kt_secret_write(out_key, text, &err) != 0) {
		sodium_memzero(text, sizeof(text));
		return kt_cli_failf("backup: the hub's key: %s", err.msg);
	}
	sodium_memzero(text, sizeof(text));
	snprintf(out_key, sizeof(out_key), "%s/data.mdb", out);
	if (chmod(out_key, 0600) != 0)
		return kt_cli_failf("backup: cannot make %s private: %s", out_key, strerror(errno));
	if (kt_store_walk(out, msg, sizeof(msg)) != 0)
		return kt_cli_failf("backup: the copy written into %s does not read back whole "
				    "(%s): nothing was kept; check that disk", out, msg);
	return 0;
}

int kt_hub_cmd_backup(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR backup --out DIR2\n\nWrites a whole copy of the hub into the "
		"new folder DIR2: its store, compacted,\nas one consistent snapshot (the hub may "
		"be running), and its key.  The store is\nread whole first; a damaged one is not "
		"copied.  To restore: stop the hub, move\nDIR aside, move DIR2 in its place, start "
		"the hub; each branch sends again what\nit wrote since.\n"
		"example: kt-hub -d HUB backup --out /backup/hub-2026-12-03\n";
	static const struct kt_opt tab[] = {
		{ "out", KT_OPT_VALUE, 'o', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_hub_cli_parse(cli, "backup", usage, tab, argc, argv);
	const char *dir, *out = NULL;
	int c, rc;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'o':
			/* A value that looks like an option is a forgotten folder. */
			if (o->arg[0] == '\0' || o->arg[0] == '-')
				return kt_cli_failf("backup: --out needs a folder to make (--out DIR2)");
			out = o->arg;
			break;
		}
	if ((dir = kt_hub_cli_parsed(cli, c, &rc)) == NULL)
		return rc;
	if (out == NULL)
		return kt_cli_failf("backup: say where: --out DIR2 (a new folder)");
	if (kt_hub_cli_structure_whole(dir, "backup") != 0 || backup_folder(out, dir) != 0)
		return 1;
	if (backup_store(dir, out) != 0 || backup_finish(dir, out) != 0) {
		backup_undo(out);
		return 1;
	}
	printf("backed up the hub into %s\n", out);
	return 0;
}

/*
 * The push records, the hash chain, each push's signature and the chain's
 * check value, mended where a whole copy allows and each damaged one
 * printed: how many are damaged, or -1 (said) when they cannot be read.
 */
static int verify_pushes(struct kt_hub *h, uint64_t *pushes)
{
	struct kt_err err;
	int bad, rc;

	if ((rc = kt_hub_mend_pushes(h, &err)) > 0)
		printf("mended: %d damaged entr%s of the push records or the hash chain, from the "
		       "log\n", rc, rc == 1 ? "y" : "ies");
	if ((bad = kt_hub_verify(h, pushes, damage_line, h, &err)) < 0) {
		kt_cli_failf("verify: %s", err.msg);
		return -1;
	}
	if ((rc = kt_hub_chain_check_mend(h, &err)) > 0)
		printf("mended: %d damaged cop%s of the chain's check value, from the whole one\n", rc,
		       rc == 1 ? "y" : "ies");
	else if (rc < 0 || kt_hub_chain_check(h, (uint8_t[KT_CHAIN_CHECK_BYTES]){ 0 }) < 0) {
		printf("damaged: both copies of the chain's check value (restore the hub from a "
		       "backup)\n");
		bad++;
	}
	return bad;
}

/* The merged state against the log, derived again in a scratch store beside dir: 0, or 1 said. */
static int verify_state(struct kt_hub *h, const char *dir, int *same)
{
	char scratch[4200], cmd[8500];
	struct kt_err err;
	int rc;

	snprintf(scratch, sizeof(scratch), "%s.verify-XXXXXX", dir);
	if (mkdtemp(scratch) == NULL) {
		int saved = errno;

		return kt_cli_failf("verify: every push is whole, but the merged state could not be "
				    "checked: cannot make a scratch folder beside %s: %s", dir,
				    saved == ENOSPC || saved == EDQUOT ?
				    "disk full: free space and run again" : strerror(saved));
	}
	rc = kt_hub_verify_state(h, scratch, same, &err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		kt_cli_failf("verify: could not remove %s", scratch);
	if (rc == 0)
		return 0;
	if (err.code == KT_ENOSPC)
		return kt_cli_failf("verify: every push is whole, but the merged state could not be "
				    "checked: it needs room for a scratch copy beside %s: %s", dir,
				    err.msg);
	return kt_cli_failf("verify: %s", err.msg);
}

int kt_hub_cmd_verify(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR verify\n\nChecks the hub's store: every stored change against "
		"its hash chain and its branch's\nsignature, and the merged state against the log "
		"(derived again in a scratch\nstore beside DIR).  Prints each damaged push; a "
		"damaged change is sent\nagain by its branch at its next sync.  Exits 1 when "
		"anything is damaged.\nexample: kt-hub -d HUB verify\n";
	const char *dir;
	struct kt_hub h;
	struct kt_err err;
	uint64_t pushes;
	int bad, same = 0, rc;

	if ((dir = kt_hub_cli_parse_plain(cli, "verify", usage, NULL, argc, argv, &rc)) == NULL)
		return rc;
	if (kt_hub_cli_structure_whole(dir, "verify") != 0)
		return 1;
	if (kt_hub_open(&h, dir, &err) != 0)
		return kt_cli_failf("%s", err.msg);
	bad = verify_pushes(&h, &pushes);
	if (bad == 0 && verify_state(&h, dir, &same) != 0)
		bad = -1;
	kt_hub_close(&h);
	if (bad < 0)
		return 1;
	if (bad > 0)
		return kt_cli_failf("verify: %d of %llu pushes are damaged: each is sent withheld "
				    "(every later change goes on) until its branch syncs and sends "
				    "it again", bad, (unsigned long long)pushes);
	if (!same)
		return kt_cli_failf("verify: the merged state does not match the log: stop the hub "
				    "and run kt-hub -d DIR rebuild");
	printf("verified %llu pushes: every change matches its hash chain and signature, and the "
	       "merged state matches the log\n", (unsigned long long)pushes);
	return 0;
}

int kt_hub_cmd_rebuild(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR rebuild\n\nDerives the merged state (winning versions, "
		"conflicts, duplicate tokens)\nagain from the log, after `kt-hub verify` found it "
		"damaged.  Stop the hub first.\nexample: kt-hub -d HUB rebuild\n";
	struct kt_hub h;
	struct kt_err err;
	const char *dir;
	int rc;

	if ((dir = kt_hub_cli_parse_plain(cli, "rebuild", usage, NULL, argc, argv, &rc)) == NULL)
		return rc;
	if (kt_hub_open(&h, dir, &err) != 0)
		return kt_cli_failf("%s", err.msg);
	if (kt_hub_rebuild(&h, &err) != 0) {
		kt_hub_close(&h);
		return kt_cli_failf("rebuild: %s", err.msg);
	}
	kt_hub_close(&h);
	printf("the merged state is derived again from the log\n");
	return 0;
}

int kt_hub_cmd_digest(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR digest [--json]\n\nThe digest of the merged state; every "
		"converged node prints the same.\n--json prints {\"digest\": \"<hex>\"}.\n"
		"example: kt-hub -d HUB digest\n";
	struct kt_hub h;
	struct kt_err err;
	uint8_t d[KT_HASH_BYTES];
	const char *dir;
	int json = 0, rc;

	if ((dir = kt_hub_cli_parse_plain(cli, "digest", usage, &json, argc, argv, &rc)) == NULL)
		return rc;
	if (kt_hub_open(&h, dir, &err) != 0 || kt_hub_digest(&h, d, &err) != 0)
		return kt_cli_failf("%s", err.msg);
	kt_hub_close(&h);
	kt_cli_print_digest(d, json);
	return 0;
}

struct revoke {
	int by_key;
	const char *who;
	uint8_t (*keys)[KT_PUBKEY_BYTES]; /* malloc'd */
	size_t n;
};

/* A kt_member_fn: keeps the key of each member whose key (hex) or branch is r->who. */
static int revoke_match(void *ctx, const uint8_t key[KT_PUBKEY_BYTES], const struct kt_member *m)
{
	struct revoke *r = ctx;
	char hex[2 * KT_PUBKEY_BYTES + 1];

	kt_hex(hex, key, KT_PUBKEY_BYTES);
	if (!kt_member_fits(m) ||
	    (r->by_key ? strcmp(hex, r->who) != 0
	     : strlen(r->who) != m->branch_len || memcmp(r->who, m->branch, m->branch_len) != 0))
		return 0;
	r->keys = kt_realloc(r->keys, (r->n + 1) * sizeof(*r->keys));
	memcpy(r->keys[r->n++], key, KT_PUBKEY_BYTES);
	return 0;
}

/*
 * Marks revoked, in txn, each member whose key (hex; by_key) or branch name
 * is who; returns how many.
 */
static int revoke_matching(struct kt_hub *h, MDB_txn *txn, int by_key, const char *who)
{
	struct revoke r = { by_key, who, NULL, 0 };
	struct kt_member m;
	int n = 0;

	/* Bounded by the number of enrolled branches; written after the walk. */
	kt_member_each(&h->st, txn, revoke_match, &r);
	for (size_t i = 0; i < r.n; i++) {
		if (kt_member_get(&h->st, txn, r.keys[i], &m) != 0)
			continue;
		m.revoked = 1;
		if (kt_member_put(&h->st, txn, r.keys[i], &m, 0) == 0)
			n++;
	}
	free(r.keys);
	return n;
}

int kt_hub_cmd_revoke(struct kt_hub_cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"usage: kt-hub -d DIR revoke (--branch NAME | --key KEY)\n\n"
		"Refuses the node from its next connection on.\n"
		"example: kt-hub -d HUB revoke --branch North\n";
	static const struct kt_opt tab[] = {
		{ "branch", KT_OPT_VALUE, 'b', 0 },
		{ "key", KT_OPT_VALUE, 'k', 0 },
		{ NULL, 0, 0, 0 },
	};
	struct kt_opts *o = kt_hub_cli_parse(cli, "revoke", usage, tab, argc, argv);
	struct kt_hub h;
	struct kt_err err;
	MDB_txn *txn;
	int n, rc, c, by_key = 0;
	const char *dir, *who = NULL;

	while ((c = kt_opts_next(o)) >= 0)
		switch (c) {
		case 'b': case 'k':
			if (who != NULL)
				return kt_cli_failf("revoke: usage: revoke (--branch NAME | --key KEY)");
			by_key = c == 'k';
			who = o->arg;
			break;
		}
	if ((dir = kt_hub_cli_parsed(cli, c, &rc)) == NULL)
		return rc;
	if (who == NULL)
		return kt_cli_failf("revoke: usage: revoke (--branch NAME | --key KEY)");
	if (kt_hub_open(&h, dir, &err) != 0 || kt_txn_begin(h.st.env, 0, &txn) != 0)
		return kt_cli_failf("%s", err.msg);
	n = revoke_matching(&h, txn, by_key, who);
	rc = n > 0 ? kt_txn_commit(txn) : (mdb_txn_abort(txn), 0);
	kt_hub_close(&h);
	if (n == 0)
		return kt_cli_failf("revoke: no enrolled node matches '%s'", who);
	if (rc != 0) { /* the store's error code: its message says LMDB's words */
		kt_mdb_err(&err, rc, "save the revocation");
		return kt_cli_failf("revoke: %s", err.msg);
	}
	printf("revoked %d node%s\n", n, n == 1 ? "" : "s");
	return 0;
}
