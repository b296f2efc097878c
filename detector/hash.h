/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * hash.h - a fast 64-bit hash for the detector's small keys: 4- and
 * 16-byte addresses, 2-byte ports, (address, port) pairs.
 *
 *   xw_hash64(p, n, seed)    64 well-mixed bits of n bytes at p
 *   xw_mix64(x)              the finaliser alone: a bijection of 64 bits
 *                            in which every input bit flips each output
 *                            bit with probability close to 1/2
 *
 * Not cryptographic: a sender who knows the seed can aim keys at one
 * HyperLogLog register or Space-Saving slot. Pick the seed at random per
 * process where that matters.
 *
 * Each 8-byte word (the tail zero-padded) is folded in with a multiply
 * and a rotation; the length enters the start value, so "ab" and "ab\0"
 * differ; a multiply-xorshift finaliser spreads every input bit over the
 * whole output, which HyperLogLog needs (it reads the top bits for the
 * register and the rest for the rank) and Space-Saving does not mind.
 */
#ifndef XW_DETECT_HASH_H
#define XW_DETECT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Odd constants with well spread bits (the first is 2^64 / golden ratio). */
#define XW_HASH_K0 0x9e3779b97f4a7c15ull
#define XW_HASH_K1 0xc2b2ae3d27d4eb4full
#define XW_HASH_K2 0xd6e8feb86659fd93ull

static inline uint64_t xw_rotl64(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t xw_mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= XW_HASH_K2;
	x ^= x >> 29;
	x *= XW_HASH_K1;
	x ^= x >> 32;
	return x;
}

static inline uint64_t xw_hash_word(uint64_t h, uint64_t w)
{
	return xw_rotl64(h ^ (w * XW_HASH_K0), 27) * XW_HASH_K1;
}

static inline uint64_t xw_hash64(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = seed ^ ((uint64_t)n * XW_HASH_K2), w;

	/* The common lengths without a loop or a variable-length copy. */
	switch (n) {
	case 2: {
		uint16_t v;

		memcpy(&v, b, 2);
		return xw_mix64(xw_hash_word(h, v));
	}
	case 4: {
		uint32_t v;

		memcpy(&v, b, 4);
		return xw_mix64(xw_hash_word(h, v));
	}
	case 16: {
		uint64_t v1;

		memcpy(&w, b, 8);
		memcpy(&v1, b + 8, 8);
		return xw_mix64(xw_hash_word(xw_hash_word(h, w), v1));
	}
	}
	for (; n >= 8; n -= 8, b += 8) {
		memcpy(&w, b, 8);
		h = xw_hash_word(h, w);
	}
	if (n) {
		w = 0;
		memcpy(&w, b, n);
		h = xw_hash_word(h, w);
	}
	return xw_mix64(h);
}

#endif /* XW_DETECT_HASH_H */
