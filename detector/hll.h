/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * hll.h - HyperLogLog: how many distinct keys (sources, ports) a window
 * saw, in XW_HLL_M bytes, within about 1.04 / sqrt(XW_HLL_M) (6.5% at
 * p = 8) of the truth.
 *
 *   xw_hll_reset(h)            empty
 *   xw_hll_add(h, hash)        one key, by a well-mixed 64-bit hash of it
 *                              (detector/hash.h); inline: per record
 *   xw_hll_merge(dst, src)     dst counts the union of both
 *   xw_hll_estimate(h)         distinct keys so far; below 2.5 * M, linear
 *                              counting over the empty registers, which
 *                              is far better there than the raw estimate
 *
 * The top XW_HLL_P bits of the hash pick the register, the rank of the
 * first set bit among the rest is what it keeps (the largest seen). The
 * hash is 64 bits, so no large-range correction is needed.
 */
#ifndef XW_DETECT_HLL_H
#define XW_DETECT_HLL_H

#include <stdint.h>

#define XW_HLL_P 8
#define XW_HLL_M (1u << XW_HLL_P)

struct xw_hll {
	uint8_t reg[XW_HLL_M];
};

void xw_hll_reset(struct xw_hll *h);
void xw_hll_merge(struct xw_hll *dst, const struct xw_hll *src);
double xw_hll_estimate(const struct xw_hll *h);

static inline void xw_hll_add(struct xw_hll *h, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash >> (64 - XW_HLL_P));
	/* The bit under the rest keeps clz defined when the rest is 0:
	 * rank at most 64 - P + 1. */
	uint64_t rest = hash << XW_HLL_P | 1ull << (XW_HLL_P - 1);
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);

	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}

#endif /* XW_DETECT_HLL_H */
