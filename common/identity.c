/*
 * identity.c - a node's or a hub's identity file (node.key, hub.key): one
 * Ed25519 key pair and the CURVE pair ZeroMQ takes, derived from it.
 */
#include "identity.h"
#include "crypto.h"
#include "seal.h"
#include <stdio.h>
#include <sodium.h>
#include <zmq.h>

/* The one key pair signs; its CURVE pair is derived, not made apart. */
int kt_identity_new(char *text, size_t cap)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t cpk[32], csk[32];
	char hpk[2 * sizeof(pk) + 1], zcpk[41], zcsk[41], hsk[2 * sizeof(sk) + 1];
	int rc = 0;

	crypto_sign_keypair(pk, sk);
	if (crypto_sign_ed25519_pk_to_curve25519(cpk, pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(csk, sk) != 0 ||
	    zmq_z85_encode(zcpk, cpk, 32) == NULL ||
	    zmq_z85_encode(zcsk, csk, 32) == NULL)
		rc = -1;
	kt_hex(hpk, pk, sizeof(pk));
	kt_hex(hsk, sk, sizeof(sk));
	if (rc == 0)
		snprintf(text, cap, "public %s\nsecret %s\ncurve-public %s\ncurve-secret %s\n",
			 hpk, hsk, zcpk, zcsk);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(csk, sizeof(csk));
	sodium_memzero(hsk, sizeof(hsk));
	sodium_memzero(zcsk, sizeof(zcsk));
	return rc;
}

int kt_identity_read(const char *dir, const char *file, uint8_t pk[32], uint8_t sk[64],
		     char curve_pk[41], char curve_sk[41], struct kt_err *err)
{
	char path[4200], text[512], hpk[65], hsk[129];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return kt_err_set(err, KT_EINVAL, "data folder path too long '%s'", dir);
	if ((rc = kt_secret_open(path, text, sizeof(text), NULL, err)) != 0) /* sealed or clear */
		return rc;
	if (sscanf(text, "public %64s\nsecret %128s\ncurve-public %40s\ncurve-secret %40s",
		   hpk, hsk, curve_pk, curve_sk) != 4 || kt_unhex(pk, 32, hpk) != 0 ||
	    kt_unhex(sk, 64, hsk) != 0)
		rc = kt_err_set(err, KT_ECORRUPT, "'%s' does not hold a key pair", path);
	sodium_memzero(text, sizeof(text));
	sodium_memzero(hsk, sizeof(hsk));
	return rc;
}
