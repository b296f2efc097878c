// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* hll.c - see hll.h. */
#include <math.h>
#include <string.h>

#include "hll.h"

void xw_hll_reset(struct xw_hll *h)
{
	memset(h->reg, 0, sizeof(h->reg));
}

void xw_hll_merge(struct xw_hll *dst, const struct xw_hll *src)
{
	/* A plain loop over bytes: the compiler makes it a vector max. */
	for (uint32_t i = 0; i < XW_HLL_M; i++)
		if (src->reg[i] > dst->reg[i])
			dst->reg[i] = src->reg[i];
}

double xw_hll_estimate(const struct xw_hll *h)
{
	/* The bias correction of Flajolet et al. for m >= 128. */
	const double m = XW_HLL_M, alpha = 0.7213 / (1.0 + 1.079 / m);
	double sum = 0, e;
	uint32_t zeros = 0;

	for (uint32_t i = 0; i < XW_HLL_M; i++) {
		/* 2^-reg built from its exponent bits: ldexp() per register
		 * was most of an estimate, and the detector estimates every
		 * destination's window. reg <= 57, so the double is normal. */
		union {
			uint64_t u;
			double d;
		} x = { .u = (uint64_t)(1023 - h->reg[i]) << 52 };

		sum += x.d;
		zeros += !h->reg[i];
	}
	e = alpha * m * m / sum;
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros);
	return e;
}
