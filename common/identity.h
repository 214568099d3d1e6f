/*
 * identity.h - the identity files of a node and a hub (node.key, hub.key).
 *
 * One Ed25519 key pair signs what its owner sends; the CURVE (X25519) pair
 * ZeroMQ's CurveZMQ takes is derived from it (crypto_sign_ed25519_*_to_
 * curve25519), so the one public key a hub enrolls a branch by is printed
 * in hex.  The file's text, four lines:
 *   public <hex Ed25519>       secret <hex Ed25519 secret>
 *   curve-public <Z85>         curve-secret <Z85>   (ZeroMQ's form)
 * Written with kt_secret_write (crypto.h): mode 0600, replaced atomically.
 */
#ifndef KT_IDENTITY_H
#define KT_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/*
 * Makes a new key pair and writes the file's text to text[0..cap) (cap of
 * 512 is enough), NUL-terminated.  0, or -1 when libsodium or ZeroMQ
 * cannot derive the CURVE pair.  Wipe text after use: it holds the secret.
 */
int kt_identity_new(char *text, size_t cap);

/*
 * Reads the identity file dir/file: the Ed25519 pair and the CURVE pair in
 * Z85 (41 bytes each with the NUL); a sealed file is opened with the
 * process's unlock (common/seal.h, kt_secret_open).  0, or KT_EINVAL (path
 * too long), KT_EIO/KT_ENOENT as kt_secret_read, KT_ECORRUPT (not a key
 * pair), kt_secret_open's KT_EDENIED / KT_ECRYPTO.  Wipe
 * sk and curve_sk after use.
 */
int kt_identity_read(const char *dir, const char *file, uint8_t pk[32], uint8_t sk[64],
		     char curve_pk[41], char curve_sk[41], struct kt_err *err);

#endif
