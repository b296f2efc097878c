/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * topk.h - Space-Saving heavy hitters over small keys (4/16-byte
 * addresses, 2-byte ports) with weighted increments: which sources or
 * ports carry most of a destination's traffic, in k counters.
 *
 *   xw_topk_init(t, k)          empty, k <= XW_TOPK_MAX counters
 *   xw_topk_add(t, key, w)      w (> 0: packets, bytes, a sample's scale)
 *                               more for key; per record, so cheap: the
 *                               last key hit is tried first, then one
 *                               pass that also finds the smallest counter
 *   xw_topk_merge(dst, src)     dst summarises both streams
 *   xw_topk_top(t, out, max)    the entries by count, largest first
 *
 * What it promises, with N = t->total (the sum of every w): each entry's
 * count overestimates its key's true weight by at most its err (count -
 * err <= true <= count); every key whose true weight exceeds N / k has an
 * entry; a key without one weighs at most the smallest count. Both
 * survive xw_topk_merge (the counts of a key missing from one side are
 * taken as that side's smallest count, as in the mergeable Space-Saving
 * of Cafaro et al., then the k largest kept).
 *
 * Bytes of b past len are ignored: keys are compared on len bytes.
 */
#ifndef XW_DETECT_TOPK_H
#define XW_DETECT_TOPK_H

#include <stdint.h>

#define XW_TOPK_MAX 16

struct xw_topk_key {
	uint8_t len; /* 2, 4 or 16; at most 16 */
	uint8_t b[16];
};

struct xw_topk_entry {
	struct xw_topk_key key; /* stored with b zeroed past len */
	double count, err;
};

struct xw_topk {
	uint32_t k, n;
	double total;
	struct xw_topk_entry e[XW_TOPK_MAX];
	/* Internal to topk.c: the entry the last add hit (floods repeat
	 * keys), and a 64-bit fingerprint of each entry's key, so a miss
	 * (every add of a spoofed flood) scans 128 packed bytes, not the
	 * entries' 640. */
	uint32_t last;
	uint64_t fp[XW_TOPK_MAX];
};

void xw_topk_init(struct xw_topk *t, unsigned int k);
void xw_topk_add(struct xw_topk *t, const struct xw_topk_key *key, double w);
void xw_topk_merge(struct xw_topk *dst, const struct xw_topk *src);
unsigned int xw_topk_top(const struct xw_topk *t, struct xw_topk_entry *out,
			 unsigned int max);

#endif /* XW_DETECT_TOPK_H */
