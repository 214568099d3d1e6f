/*
 * staff.h - staff accounts (record type staff, proto/schema.c) and who a
 * command acts as.  docs/PRIVACY.md holds the decisions; roles.h the rights.
 *
 * An account is chain-wide: a replicated record that owns itself, so a
 * cosmetologist logs in at any branch.  Its passphrase or PIN is kept as a
 * crypto_pwhash_str() string (Argon2id at libsodium's INTERACTIVE limits:
 * 64 MiB, 2 passes; ~0.1 s to check on this machine's class of PC, which
 * bounds a guesser with the hash to ~10 guesses a second a core).
 *
 * The founding account is made with the node (init), and its id kept in
 * meta "founder".  While it has no passphrase the node is open: a command
 * naming nobody acts as it.  Once it has one, every command that reads or
 * writes cards names who acts (--as NAME or $KT_STAFF) and proves it
 * ($KT_PASS, or typed).
 */
#ifndef KT_STAFF_H
#define KT_STAFF_H

#include <stdint.h>
#include <sodium.h>
#include "store.h"

#define KT_STAFF_NAME_BYTES_MAX 200
#define KT_STAFF_PASS_MIN 4        /* a PIN of four digits at least */
#define KT_STAFF_PASS_MAX 1024
#define KT_STAFF_HASH_BYTES crypto_pwhash_STRBYTES

struct kt_staff {
	struct kt_id id;
	char name[KT_STAFF_NAME_BYTES_MAX + 1];
	int role;                  /* enum kt_role; 0 when the record holds none known */
	char branch[KT_BRANCH_BYTES_MAX + 1]; /* "" any branch */
	int disabled;
	int32_t grant_until;       /* day; -1: no grant */
	char pass[KT_STAFF_HASH_BYTES]; /* "" none */
};

/* Loads account id: 0, KT_ENOTFOUND (no account of that id), or an error. */
int kt_staff_load(struct kt_store *st, MDB_txn *txn, const struct kt_id *id,
		  struct kt_staff *out, struct kt_err *err);

/*
 * Finds the account who names (its id, or its name with case and accents
 * ignored) among every account of the chain.  Two accounts with one name
 * (two branches added her offline): the one of branch `branch` (this
 * node's) is taken when it is the only one there; else KT_EEXIST with the
 * ids named in err.  0, KT_ENOTFOUND, KT_EEXIST or an error.
 */
int kt_staff_find(struct kt_store *st, MDB_txn *txn, const char *who, const char *branch,
		  struct kt_staff *out, struct kt_err *err);

/* Calls fn for each account in id order; fn's non-zero value stops and is returned. */
typedef int (*kt_staff_fn)(void *ctx, const struct kt_staff *s);
int kt_staff_each(struct kt_store *st, MDB_txn *txn, kt_staff_fn fn, void *ctx,
		  struct kt_err *err);

/* The Argon2id string of pass[0..n) into out: 0, or KT_EIO (no room for the 64 MiB it needs). */
int kt_staff_hash(const char *pass, size_t n, char out[KT_STAFF_HASH_BYTES], struct kt_err *err);
/* Whether pass[0..n) is s's passphrase (1), not (0); an account with none matches none. */
int kt_staff_check(const struct kt_staff *s, const char *pass, size_t n);

/* Whether s may open cards today: a head-office grant reaching today or later. */
int kt_staff_granted(const struct kt_staff *s, int32_t today);

/*
 * A draft making account id: name, role, branch, pass (a hash or NULL).
 * The strings must outlive the write.  0 or KT_EINVAL (err set).
 */
int kt_staff_draft(struct kt_draft *d, const struct kt_id *id, const char *name,
		   const char *role, const char *branch, const char *pass, struct kt_err *err);

#endif
