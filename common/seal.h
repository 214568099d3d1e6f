/*
 * seal.h - a node's secret files sealed at rest (chain.key, node.key), and
 * the key that unlocks them: from a key file (32 random bytes, on
 * removable media) or from a passphrase (Argon2id).
 *
 * A sealed file is one line of text (proto/PROTOCOL.md, "A sealed key
 * file"), so it is copied, backed up and replaced atomically as the clear
 * files are (kt_secret_read, kt_secret_write):
 *   kt-sealed 1 key <salt: 32 hex> <box: hex>\n
 *   kt-sealed 1 pass <opslimit> <memlimit KiB> <salt: 32 hex> <box: hex>\n
 * box = nonce[24] || XChaCha20-Poly1305(the file's clear text, ad = the
 * line's bytes before the box, its last space included), under the unlock
 * key: BLAKE2b-256 keyed by the key file's 32 bytes of "kartoteka key
 * file" || salt, or crypto_pwhash (Argon2id13) of the passphrase and salt
 * at the line's limits.  Both files of a node are sealed with one salt,
 * so one Argon2id opens both.
 *
 * Where the unlock comes from (kt_unlock_*): a key file named by the
 * command (--key-file), else $KT_KEY_FILE, else the node's setting
 * key_file (kt_unlock_hint, read by the store at open); a passphrase from
 * $KT_NODE_PASS, else typed (the asker the program gives).  The key made
 * is kept for the process (locked memory), so a command that reads both
 * files, or writes chain.key again (a join), derives it once.
 */
#ifndef KT_SEAL_H
#define KT_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "crypto.h"

#define KT_SEALED_PREFIX "kt-sealed 1 "
#define KT_KEYFILE_BYTES 32
#define KT_SEAL_SALT_BYTES 16
/* The longest clear text sealed (an identity file is ~330 bytes) and sealed line read. */
#define KT_SEAL_PLAIN_MAX 1024
#define KT_SEAL_TEXT_MAX (64 + 2 * (KT_NONCE_BYTES + KT_SEAL_PLAIN_MAX + KT_TAG_BYTES))
/* A node passphrase's bounds, in bytes (as a backup's). */
#define KT_NODE_PASS_MIN 8
#define KT_NODE_PASS_MAX 1024
/*
 * The Argon2id limits a passphrase seal is made at: libsodium's MODERATE
 * ops (3) at 128 MiB, about half a second here, paid once per command; a
 * file may name others within [libsodium's minimums, KT_SEAL_OPS_MAX /
 * KT_SEAL_MEM_KIB_MAX], so a made-up file cannot ask for a week or a
 * terabyte.
 */
#define KT_SEAL_OPS 3
#define KT_SEAL_MEM_KIB (128u * 1024)
#define KT_SEAL_OPS_MAX 16
#define KT_SEAL_MEM_KIB_MAX (1024u * 1024)

enum kt_seal_kdf { KT_SEAL_CLEAR = 0, KT_SEAL_KEYFILE = 1, KT_SEAL_PASS = 2 };

/* A sealed line as parsed: box points into the parser's scratch (kt_sealed_parse). */
struct kt_sealed {
	int kdf;                         /* KT_SEAL_KEYFILE or KT_SEAL_PASS */
	uint64_t ops, mem_kib;           /* KT_SEAL_PASS only */
	uint8_t salt[KT_SEAL_SALT_BYTES];
	size_t ad_len;                   /* the line's bytes the box authenticates */
	uint8_t box[KT_NONCE_BYTES + KT_SEAL_PLAIN_MAX + KT_TAG_BYTES];
	size_t box_len;
};

/*
 * Parses the sealed text p[0..n) (a whole file; one line, its newline
 * optional) into *s: 0, or KT_ECORRUPT with err saying what is wrong (every
 * word, digit and size checked; limits out of range refused).  Exposed for
 * fuzzing: the bytes come from the disk.
 */
int kt_sealed_parse(const char *p, size_t n, struct kt_sealed *s, struct kt_err *err);
/* Whether text (NUL-terminated) is a sealed file's. */
int kt_sealed_is(const char *text);

/* An unlock key and the line it makes (kdf, limits, salt). */
struct kt_lock {
	int kdf;
	uint64_t ops, mem_kib;
	uint8_t salt[KT_SEAL_SALT_BYTES];
	uint8_t key[KT_KEY_BYTES];
};

/*
 * Reads a key file: a regular file of exactly KT_KEYFILE_BYTES bytes (its
 * mode is not checked: a FAT stick shows every file 0644 or 0755).  0, or
 * KT_EIO / KT_EINVAL with err naming the file.  Wipe out after use.
 */
int kt_keyfile_read(const char *path, uint8_t out[KT_KEYFILE_BYTES], struct kt_err *err);
/*
 * Makes a new key file at path (refused when it exists): 32 random bytes,
 * mode 0600, synced.  0, or KT_EEXIST / KT_EIO.
 */
int kt_keyfile_new(const char *path, struct kt_err *err);

/*
 * A new lock with a fresh salt: from the key file's bytes, or from a
 * passphrase at KT_SEAL_OPS / KT_SEAL_MEM_KIB.  0, or KT_ECRYPTO (Argon2id
 * could not get its memory).  Wipe the lock after use (kt_lock_wipe).
 */
void kt_lock_keyfile(struct kt_lock *l, const uint8_t kf[KT_KEYFILE_BYTES]);
int kt_lock_pass(struct kt_lock *l, const char *pass, size_t n, struct kt_err *err);
void kt_lock_wipe(struct kt_lock *l);

/*
 * Seals clear text plain (NUL-terminated, at most KT_SEAL_PLAIN_MAX bytes)
 * under l into out (cap at least KT_SEAL_TEXT_MAX): one line.  0 or
 * KT_ETOOBIG.
 */
int kt_seal_text(const struct kt_lock *l, const char *plain, char *out, size_t cap,
		 struct kt_err *err);

/* ---- the process's unlock ---- */

/*
 * Where this process unlocks sealed files from: *key_file when key_file
 * and it are not NULL (where a command's --key-file is written, read when
 * a file is opened; else $KT_KEY_FILE, then the hint), and ask, which
 * reads a passphrase typed on the terminal into out (cap bytes): 0, or -1
 * when there is none (NULL: never asked).  Both are borrowed.
 */
void kt_unlock_from(const char *const *key_file, int (*ask)(char *out, size_t cap));
/* The node's key_file setting, read at the store's open (NULL or "": none). */
void kt_unlock_hint(const char *path);
/* Forgets the unlock key this process holds (a re-seal is made under another). */
void kt_unlock_forget(void);

/*
 * Reads the secret file path into out (cap bytes, NUL-terminated): a
 * clear file as kt_secret_read does; a sealed one opened with the
 * process's unlock (made at the first, kept).  *kdf (may be NULL) is the
 * file's enum kt_seal_kdf.  0, or the error of the read, KT_ECORRUPT (not
 * a sealed line), KT_EDENIED (no key file or passphrase given: the line
 * says how to give one), KT_ECRYPTO (the key file or passphrase does not
 * open it).  Wipe out after use.
 */
int kt_secret_open(const char *path, char *out, size_t cap, int *kdf, struct kt_err *err);
/*
 * Writes text to path (kt_secret_write: refused when path exists), sealed
 * as the file like is (with the process's unlock, which opened like), or
 * clear when like is clear.  0 or an error.
 */
int kt_secret_write_like(const char *path, const char *text, const char *like,
			 struct kt_err *err);
/* Writes text to path sealed under l (l NULL: clear), as kt_secret_write. */
int kt_secret_write_lock(const char *path, const char *text, const struct kt_lock *l,
			 struct kt_err *err);
/*
 * The seal kind of the secret file path (enum kt_seal_kdf), without
 * opening it: >= 0, or an error code.
 */
int kt_secret_kind(const char *path, struct kt_err *err);

#endif
