/*
 * store.c - the node's LMDB store: open, write, apply, read (see store.h).
 *
 * Sections: opening and init, the identity and chain key files, settings,
 * digest and info.  This file is the store's top: it calls the others
 * (the index check and the batch ring at open and close), none calls it.
 */
#include "store.h"
#include "store_int.h"
#include <sys/statvfs.h>
#include "text.h"
#include "phone.h"
#include "hlc.h"
#include "identity.h"
#include "seal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>

static int path_in(char *out, size_t cap, const char *dir, const char *name,
		   struct kt_err *err)
{
	if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap)
		return kt_err_set(err, KT_EINVAL, "data folder path too long '%s'", dir);
	return 0;
}

int kt_store_reader_check(struct kt_store *st)
{
	int dead = 0;

	if (st->env == NULL || mdb_reader_check(st->env, &dead) != 0)
		return 0;
	return dead;
}

/*
 * Whether data.mdb holds every page its last commit wrote.  A file cut
 * short (a copy that stopped, a disk that lost its end) is mapped all the
 * same, and the first read of a page past its end kills the process with
 * SIGBUS and no word; LMDB's meta page says how far the file must reach
 * (me_last_pgno), so a store that falls short is refused at open.
 */
static int whole_file(struct kt_store *st, const char *dir, struct kt_err *err)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat sb;
	mdb_filehandle_t fd;
	uint64_t need;

	if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &ms) != 0 ||
	    mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) != 0)
		return 0; /* cannot tell: the reads that follow say what they meet */
	need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if ((uint64_t)sb.st_size >= need)
		return 0;
	return kt_err_set(err, KT_ECORRUPT, "the store in '%s' is cut short: data.mdb holds "
			  "%llu of the %llu bytes it wrote; restore the folder from a backup", dir,
			  (unsigned long long)sb.st_size, (unsigned long long)need);
}

int kt_env_open(struct kt_store *st, const char *dir, struct kt_err *err)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_env_create(&st->env)) != 0)
		return kt_mdb_err(err, rc, "create lmdb environment");
	mdb_env_set_maxdbs(st->env, 16);
	mdb_env_set_mapsize(st->env, KT_MAP_BYTES_INITIAL);
	if ((rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600)) != 0) {
		mdb_env_close(st->env);
		st->env = NULL;
		return kt_err_set(err, KT_EIO, "cannot open store in '%s': %s", dir,
				  mdb_strerror(rc));
	}
	if ((rc = whole_file(st, dir, err)) != 0) {
		mdb_env_close(st->env);
		st->env = NULL;
		return rc;
	}
	kt_store_reader_check(st); /* slots of readers killed while another held the store */
	if ((rc = kt_txn_begin(st->env, 0, &txn)) != 0)
		goto fail;
	struct { MDB_dbi *d; const char *name; } dbs[] = {
		{ &st->meta, "meta" }, { &st->log, "log" }, { &st->chain, "chain" },
		{ &st->rec, "rec" }, { &st->own, "own" }, { &st->idx, "idx" },
		{ &st->bday, "bday" }, { &st->keys, "keys" }, { &st->shred, "shred" },
		{ &st->pushes, "pushes" }, { &st->members, "members" },
		{ &st->tokens, "tokens" }, { &st->merged, "merged" },
		{ &st->conflicts, "conflicts" },
	};
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
		if ((rc = mdb_dbi_open(txn, dbs[i].name, MDB_CREATE, dbs[i].d)) != 0) {
			mdb_txn_abort(txn);
			goto fail;
		}
	if ((rc = kt_txn_commit(txn)) != 0)
		goto fail;
	return 0;
fail:
	mdb_env_close(st->env);
	st->env = NULL;
	return kt_mdb_err(err, rc, "open the store's databases");
}

static int holds_node(const char *dir)
{
	static const char *names[] = { "data.mdb", "chain.key", "node.key" };
	char p[4200];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (access(p, F_OK) == 0)
			return 1;
	}
	return 0;
}

/* The node's two secret files, sealed under lock (NULL: clear). */
static int write_keys(const char *dir, const struct kt_lock *lock, struct kt_err *err)
{
	char path[4200], text[512];
	uint8_t ck[KT_KEY_BYTES];
	int rc;

	kt_key_new(ck);
	kt_hex(text, ck, KT_KEY_BYTES);
	strcat(text, "\n");
	if ((rc = path_in(path, sizeof(path), dir, "chain.key", err)) != 0 ||
	    (rc = kt_secret_write_lock(path, text, lock, err)) != 0)
		goto done;
	if (kt_identity_new(text, sizeof(text)) != 0) {
		rc = kt_err_set(err, KT_ECRYPTO, "cannot make the node's key pair");
		goto done;
	}
	if ((rc = path_in(path, sizeof(path), dir, "node.key", err)) == 0)
		rc = kt_secret_write_lock(path, text, lock, err);
done:
	sodium_memzero(text, sizeof(text));
	sodium_memzero(ck, sizeof(ck));
	return rc;
}

static void remove_node_files(const char *dir)
{
	static const char *names[] = { "data.mdb", "lock.mdb", "chain.key", "node.key" };
	char p[4200];

	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
}

/*
 * A new store needs room for its first pages and its lock file, which LMDB
 * maps: on a disk with less free, touching them kills the process (SIGBUS)
 * instead of failing a write.  So less than KT_STORE_ROOM_BYTES free in dir
 * is refused first, as a full disk.
 */
#define KT_STORE_ROOM_BYTES (1u << 20)
static int room_for_store(const char *dir, int made_dir, struct kt_err *err)
{
	struct statvfs fs;

	if (statvfs(dir, &fs) != 0 || (uint64_t)fs.f_bavail * fs.f_frsize >= KT_STORE_ROOM_BYTES)
		return 0;
	if (made_dir)
		rmdir(dir);
	return kt_err_set(err, KT_ENOSPC, "disk full in %s: free space and run again (nothing "
			  "was changed)", dir);
}

/* Makes the data folder dir unless it is there (*made 1 when made), with room for a store. */
static int make_folder(const char *dir, int *made, struct kt_err *err)
{
	*made = 0;
	if (mkdir(dir, 0700) == 0)
		*made = 1;
	else if (errno != EEXIST)
		return kt_err_set(err, KT_EIO, "cannot create '%s': %s", dir, strerror(errno));
	if (room_for_store(dir, *made, err) != 0)
		return err->code;
	return 0;
}

int kt_store_init(const char *dir, const char *branch, const char *country,
		  struct kt_err *err)
{
	return kt_store_init_sealed(dir, branch, country, NULL, NULL, err);
}

int kt_store_init_sealed(const char *dir, const char *branch, const char *country,
			 const struct kt_lock *lock, const char *key_file, struct kt_err *err)
{
	struct kt_store st;
	MDB_txn *txn;
	int rc, made_dir = 0;

	if (holds_node(dir))
		return kt_err_set(err, KT_EEXIST, "'%s' already holds a node", dir);
	if ((rc = make_folder(dir, &made_dir, err)) != 0)
		return rc;
	if ((rc = write_keys(dir, lock, err)) != 0)
		goto fail;
	memset(&st, 0, sizeof(st));
	if ((rc = kt_env_open(&st, dir, err)) != 0)
		goto fail;
	if ((rc = kt_txn_begin(st.env, 0, &txn)) == 0) {
		uint64_t id = kt_node_id_new();

		if ((rc = kt_meta_put_u64(&st, txn, "node_id", id)) == 0 &&
		    /* born sealing its values: nothing to seal at its first open */
		    (rc = kt_meta_put_u64(&st, txn, KT_META_REST_VERSION, 1)) == 0 &&
		    (rc = kt_meta_put(&st, txn, "branch", branch, strlen(branch))) == 0 &&
		    (rc = kt_meta_put(&st, txn, "set:country", country, strlen(country))) == 0 &&
		    (key_file == NULL ||
		     (rc = kt_meta_put(&st, txn, "set:key_file", key_file, strlen(key_file))) == 0))
			rc = kt_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	mdb_env_close(st.env);
	if (rc != 0) {
		rc = kt_mdb_err(err, rc, "write the node's identity");
		goto fail;
	}
	return 0;
fail:
	remove_node_files(dir);
	if (made_dir)
		rmdir(dir);
	return rc;
}

int kt_store_init_hub(const char *dir, const char *listen, struct kt_err *err)
{
	struct kt_store st;
	char path[4200], text[512];
	MDB_txn *txn;
	int rc, made_dir = 0;

	if (holds_node(dir) || (snprintf(path, sizeof(path), "%s/hub.key", dir),
				access(path, F_OK) == 0))
		return kt_err_set(err, KT_EEXIST, "'%s' already holds a hub or a node", dir);
	if ((rc = make_folder(dir, &made_dir, err)) != 0)
		return rc;
	rc = kt_identity_new(text, sizeof(text)) != 0
		? kt_err_set(err, KT_ECRYPTO, "cannot make the hub's key pair")
		: kt_secret_write(path, text, err);
	sodium_memzero(text, sizeof(text));
	memset(&st, 0, sizeof(st));
	if (rc != 0 || (rc = kt_env_open(&st, dir, err)) != 0)
		goto fail;
	if ((rc = kt_txn_begin(st.env, 0, &txn)) == 0) {
		if ((rc = kt_meta_put_u64(&st, txn, "node_id", kt_node_id_new())) == 0 &&
		    (rc = kt_meta_put(&st, txn, "listen", listen, strlen(listen))) == 0)
			rc = kt_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	mdb_env_close(st.env);
	if (rc == 0)
		return 0;
	rc = kt_mdb_err(err, rc, "write the hub's identity");
fail:
	unlink(path);
	remove_node_files(dir);
	if (made_dir)
		rmdir(dir);
	return rc;
}

static int read_chain_key(struct kt_store *st, const char *dir, struct kt_err *err)
{
	char path[4200], text[256];
	int rc;

	if ((rc = path_in(path, sizeof(path), dir, "chain.key", err)) != 0 ||
	    (rc = kt_secret_open(path, text, sizeof(text), NULL, err)) != 0)
		return rc;
	text[strcspn(text, "\r\n")] = '\0';
	rc = kt_unhex(st->chain_key, KT_KEY_BYTES, text);
	sodium_memzero(text, sizeof(text));
	if (rc != 0)
		return kt_err_set(err, KT_ECORRUPT, "'%s' does not hold a chain key", path);
	return 0;
}

/*
 * A join that re-keyed the store (store/rekey.c) writes chain.key.new, then
 * commits with meta "rekey" = hash of the new key, then renames the file.
 * A crash between the commit and the rename leaves the file behind: finish
 * the rename when the store says it is under that key, else drop the file.
 */
static int finish_rekey(struct kt_store *st, const char *dir, struct kt_err *err)
{
	char path[4200], dst[4200], text[256];
	uint8_t nk[KT_KEY_BYTES], h[KT_HASH_BYTES];
	MDB_val k = { 5, "rekey" }, v;
	MDB_txn *txn;
	int rc, done = 0;

	if ((rc = path_in(path, sizeof(path), dir, "chain.key.new", err)) != 0 ||
	    (rc = path_in(dst, sizeof(dst), dir, "chain.key", err)) != 0)
		return rc;
	if (access(path, F_OK) != 0)
		return 0;
	if (kt_secret_open(path, text, sizeof(text), NULL, err) == 0) {
		text[strcspn(text, "\r\n")] = '\0';
		if (kt_unhex(nk, KT_KEY_BYTES, text) == 0 &&
		    kt_store_rdtxn(st, &txn, err) == 0) {
			kt_hash(h, nk, KT_KEY_BYTES);
			done = mdb_get(txn, st->meta, &k, &v) == 0 && v.mv_size == KT_HASH_BYTES &&
			       memcmp(v.mv_data, h, KT_HASH_BYTES) == 0;
			mdb_txn_abort(txn);
		}
		sodium_memzero(text, sizeof(text));
	}
	if (!done) {
		unlink(path);
		sodium_memzero(nk, sizeof(nk));
		return 0;
	}
	if (rename(path, dst) != 0) {
		sodium_memzero(nk, sizeof(nk));
		return kt_err_set(err, KT_EIO, "cannot finish switching to the chain key in '%s'",
				  dir);
	}
	memcpy(st->chain_key, nk, KT_KEY_BYTES);
	sodium_memzero(nk, sizeof(nk));
	return 0;
}

/*
 * A (re)seal of the key files (kt_store_reseal) writes node.key.seal and
 * chain.key.seal, then renames node.key's, then chain.key's.  Left by a
 * crash: both (or node.key's alone, before chain.key's was whole): the old
 * files stand, the new ones go; chain.key's alone: node.key's rename was
 * made, so chain.key's is made too.
 */
static int finish_seal(const char *dir, struct kt_err *err)
{
	char nk[4200], ck[4200], cdst[4200];

	snprintf(nk, sizeof(nk), "%s/node.key.seal", dir);
	snprintf(ck, sizeof(ck), "%s/chain.key.seal", dir);
	snprintf(cdst, sizeof(cdst), "%s/chain.key", dir);
	if (access(ck, F_OK) != 0) {
		unlink(nk);
		return 0;
	}
	if (access(nk, F_OK) == 0) {
		unlink(nk);
		unlink(ck);
		return 0;
	}
	if (rename(ck, cdst) != 0)
		return kt_err_set(err, KT_EIO, "cannot finish sealing the keys in '%s': %s", dir,
				  strerror(errno));
	return 0;
}

int kt_store_reseal(const char *dir, const struct kt_lock *lock, struct kt_err *err)
{
	char path[2][4200], tmp[2][4200], text[2][KT_SEAL_PLAIN_MAX + 1];
	static const char *const names[2] = { "node.key", "chain.key" };
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, names[i]);
		snprintf(tmp[i], sizeof(tmp[i]), "%s/%s.seal", dir, names[i]);
		unlink(tmp[i]);
	}
	/* Both opened under the old unlock before either is written under the new. */
	for (int i = 0; i < 2 && rc == 0; i++)
		rc = kt_secret_open(path[i], text[i], sizeof(text[i]), NULL, err);
	for (int i = 0; i < 2 && rc == 0; i++)
		rc = kt_secret_write_lock(tmp[i], text[i], lock, err);
	sodium_memzero(text, sizeof(text));
	if (rc != 0) {
		unlink(tmp[0]);
		unlink(tmp[1]);
		return rc;
	}
	for (int i = 0; i < 2; i++)
		if (rename(tmp[i], path[i]) != 0) {
			if (i == 0) {
				unlink(tmp[0]);
				unlink(tmp[1]);
			}
			return kt_err_set(err, KT_EIO, "cannot replace '%s': %s%s", path[i],
					  strerror(errno), i ? " (run any command to finish)" : "");
		}
	{
		int fd = open(dir, O_RDONLY | O_DIRECTORY);

		if (fd >= 0) {
			fsync(fd); /* the renames, on the disk */
			close(fd);
		}
	}
	return 0;
}

int kt_store_open(struct kt_store *st, const char *dir, struct kt_err *err)
{
	return kt_store_open_as(st, dir, 0, err);
}

int kt_store_open_as(struct kt_store *st, const char *dir, int hub, struct kt_err *err)
{
	kt_store_disk_note(dir);
	MDB_txn *txn;
	char path[4200];
	int rc;

	memset(st, 0, sizeof(*st));
	st->clock = kt_wall_ms;
	if (strlen(dir) >= sizeof(st->dir))
		return kt_err_set(err, KT_EINVAL, "data folder path too long");
	strcpy(st->dir, dir);
	if ((rc = path_in(path, sizeof(path), dir, "data.mdb", err)) != 0)
		return rc;
	if (access(path, F_OK) != 0)
		return hub ? kt_err_set(err, KT_ENOTFOUND, "no hub in '%s' (run: kt-hub -d %s init)",
					dir, dir)
			   : kt_err_set(err, KT_ENOTFOUND, "no node in '%s' (run: kt-node -d %s init "
					"--branch NAME)", dir, dir);
	if (!hub && (rc = finish_seal(dir, err)) != 0)
		return rc;
	/* Held shared until close, so an erasure's rewrite knows who holds the store. */
	if ((rc = kt_store_lock_take(st, dir, err)) != 0)
		return rc;
	if ((rc = kt_env_open(st, dir, err)) != 0) {
		kt_store_lock_drop(st);
		return rc;
	}
	if (!hub) {
		/* Where a sealed node's key file is (setting key_file), then the keys. */
		char kf[KT_SETTING_BYTES_MAX];

		if ((rc = kt_store_rdtxn(st, &txn, err)) != 0)
			goto fail;
		kt_unlock_hint(kt_store_setting(st, txn, "key_file", kf, sizeof(kf)) == 0 ? kf : NULL);
		mdb_txn_abort(txn);
		if ((rc = read_chain_key(st, dir, err)) != 0)
			goto fail;
	}
	if (!hub && (rc = finish_rekey(st, dir, err)) != 0)
		goto fail;
	if ((rc = kt_store_rdtxn(st, &txn, err)) != 0)
		goto fail;
	kt_meta_u64(st, txn, "node_id", &st->node_id);
	{
		uint64_t off = 0;

		kt_meta_u64(st, txn, "clock_offset", &off);
		st->clock_offset = (int64_t)off;
	}
	if (kt_store_setting(st, txn, "country", st->country, sizeof(st->country)) != 0)
		strcpy(st->country, KT_PHONE_REGION_DEFAULT);
	mdb_txn_abort(txn);
	if (st->node_id == 0) {
		rc = kt_err_set(err, KT_ECORRUPT, "store in '%s' has no node id", dir);
		goto fail;
	}
	if (!hub && (rc = kt_index_current(st, err)) != 0)
		goto fail;
	if (!hub && (rc = kt_rest_current(st, err)) != 0) /* a store from before sealing */
		goto fail;
	return 0;
fail:
	kt_store_close(st);
	return rc;
}

int kt_store_rewrite(struct kt_store *st, int reopen, struct kt_err *err)
{
	int rc = kt_rewrite_fresh(st, err); /* store/rewrite.c; held exclusive when 0 */

	if (rc != 0)
		return rc;
	rc = reopen ? kt_env_open(st, st->dir, err) : 0; /* the new file */
	kt_rewrite_unlock(st);
	return rc;
}

void kt_store_close(struct kt_store *st)
{
	if (st == NULL)
		return;
	if (st->env != NULL)
		kt_store_rewrite(st, 0, NULL); /* when an erasure left it due and none else holds it */
	if (st->env != NULL)
		mdb_env_close(st->env);
	kt_store_lock_drop(st);
	kt_erase_release(st);
	st->env = NULL;
	sodium_memzero(st->chain_key, sizeof(st->chain_key));
	kt_rest_forget(st);
	if (st->w_ready != NULL)
		kt_ready_release(st->w_ready);
	free(st->w_ready);
	st->w_ready = NULL;
	kt_store_ring_release(st);
}

