/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fuzz_keys.h - the fixed test keyring of the verdict fuzzer, shared by the
 * harness (fuzz_verdict.c) and the seed writer (seeds.c).
 *
 * The key pair comes from a constant seed, not from the RNG: the sealed
 * envelopes checked in under corpus/verdict/ must verify in every later
 * run, and a crash found today must reproduce tomorrow. It signs nothing
 * outside the fuzzer. "Now" is a constant too, for the same reason: the
 * seeds' creation times and TTLs stay valid.
 *
 *   fuzz_keys_init(&key, &ring)   the pair as a signing key and a keyring
 *   FUZZ_NOW_NS                   the wall clock xw_verdict_check is given
 */
#ifndef XW_FUZZ_KEYS_H
#define XW_FUZZ_KEYS_H

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "sign.h"

#define FUZZ_KEY_ID "fuzz"
#define FUZZ_TOPIC "xdpwatch.verdicts.v1"
#define FUZZ_NOW_NS 1800000000000000000ULL /* 2027-01-15 */

static inline int fuzz_keys_init(struct xw_signing_key *key,
				 struct xw_keyring *ring)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[XW_PK_BYTES];

	if (sodium_init() < 0)
		return -1;
	memset(seed, 0x5a, sizeof(seed));
	crypto_sign_seed_keypair(pk, key->sk, seed);
	strcpy(key->key_id, FUZZ_KEY_ID);
	memset(ring, 0, sizeof(*ring));
	ring->count = 1;
	strcpy(ring->keys[0].key_id, FUZZ_KEY_ID);
	memcpy(ring->keys[0].pk, pk, XW_PK_BYTES);
	return 0;
}

#endif /* XW_FUZZ_KEYS_H */
