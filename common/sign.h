/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sign.h - Ed25519 keys for verdicts (libsodium), as files.
 *
 * A key pair lives as two files named by its key id: <id>.key (the secret
 * key, hex, mode 0600) held only by who publishes verdicts, and <id>.pub
 * (the public key, hex) copied to every collector's trusted-keys folder.
 *
 *   xw_keygen(dir, key_id, err, errlen)         write <id>.key and <id>.pub;
 *                                               -EEXIST rather than overwrite
 *   xw_signing_key_load(path, &key, err, errlen)
 *   xw_keyring_load(dir, &ring, err, errlen)    every *.pub in dir
 *   xw_keyring_find(&ring, key_id)              public key or NULL
 *   xw_sign(&key, msg, len, sig), xw_verify(pk, msg, len, sig)
 *   xw_key_id_valid(id)                         [A-Za-z0-9._-]{1,63}
 */
#ifndef XW_SIGN_H
#define XW_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XW_KEY_ID_MAX 64
#define XW_KEYRING_MAX 64
#define XW_SIG_BYTES 64
#define XW_PK_BYTES 32
#define XW_SK_BYTES 64

struct xw_signing_key {
	char key_id[XW_KEY_ID_MAX];
	uint8_t sk[XW_SK_BYTES];
};

struct xw_keyring {
	unsigned int count;
	struct {
		char key_id[XW_KEY_ID_MAX];
		uint8_t pk[XW_PK_BYTES];
	} keys[XW_KEYRING_MAX];
};

bool xw_key_id_valid(const char *id);
int xw_keygen(const char *dir, const char *key_id, char *err, size_t errlen);
int xw_signing_key_load(const char *path, struct xw_signing_key *k, char *err,
			size_t errlen);
int xw_keyring_load(const char *dir, struct xw_keyring *ring, char *err,
		    size_t errlen);
const uint8_t *xw_keyring_find(const struct xw_keyring *ring,
			       const char *key_id);
void xw_sign(const struct xw_signing_key *k, const uint8_t *msg, size_t len,
	     uint8_t sig[XW_SIG_BYTES]);
bool xw_verify(const uint8_t pk[XW_PK_BYTES], const uint8_t *msg, size_t len,
	       const uint8_t sig[XW_SIG_BYTES]);

#endif /* XW_SIGN_H */
