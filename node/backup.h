/*
 * backup.h - a node's backup file: one consistent copy of its store and
 * its key files, sealed under a key made from a passphrase.
 *
 * Layout (every integer big-endian):
 *   header  "KTBACKUP" (8) | version u8 = 1 | salt[16] | opslimit u64 |
 *           memlimit u64 | secretstream header[24]          = 65 bytes
 *   chunks  length u32 | ciphertext[length]   (length <= KT_BACKUP_CHUNK + 17)
 * The key is Argon2id (libsodium crypto_pwhash) of the passphrase and the
 * salt at the header's limits (at most libsodium's SENSITIVE ones); the
 * chunks are one crypto_secretstream_xchacha20poly1305 stream, its first
 * chunk authenticating the header as additional data.  Plaintext: a
 * manifest chunk (count u8, then per file: name length u8, name, size
 * u64), each file's bytes in chunks of at most KT_BACKUP_CHUNK, then an
 * empty chunk tagged FINAL.  A file cut short, a flipped byte, a wrong
 * passphrase, chunks reordered or dropped all fail the stream's check.
 * Files: data.mdb (a compacted LMDB snapshot), chain.key, node.key.
 */
#ifndef KT_BACKUP_H
#define KT_BACKUP_H

#include <stdint.h>
#include <stdio.h>
#include "err.h"

#define KT_BACKUP_CHUNK (64u << 10)
#define KT_BACKUP_FILES_MAX 4
#define KT_BACKUP_KEY_FILE_MAX 4096
/* A passphrase's bounds, in bytes. */
#define KT_BACKUP_PASS_MIN 8
#define KT_BACKUP_PASS_MAX 1024

/*
 * Writes the backup of the files paths[0..n) (n at most
 * KT_BACKUP_FILES_MAX; each kept under its last path component) to out,
 * sealed under pass.  0, or KT_EINVAL, KT_EIO (a read or a write failed),
 * KT_ECRYPTO, with err set.  out is the caller's to close.
 */
int kt_backup_write(FILE *out, const char *const *paths, int n, const char *pass,
		    struct kt_err *err);

/*
 * Reads a backup from in into folder dir (made already, empty): each file
 * written as NAME.part and renamed once the whole stream checked, mode
 * 0600.  Only the names data.mdb, chain.key and node.key are taken.  0, or
 * KT_ECRYPTO (a wrong passphrase or a damaged file: the two cannot be told
 * apart), KT_ECORRUPT (not a backup, or one that breaks its own rules),
 * KT_EIO; on failure no file of it is left in dir.
 */
int kt_backup_read(FILE *in, const char *dir, const char *pass, struct kt_err *err);

#endif
