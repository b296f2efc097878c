// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ewma.c - see ewma.h. */
#include <math.h>

#include "ewma.h"

void xw_ewma_update(struct xw_ewma *e, double x, double alpha)
{
	double d, inc;

	if (!e->samples) {
		e->mean = x;
		e->var = 0;
	} else {
		d = x - e->mean;
		inc = alpha * d;
		e->mean += inc;
		e->var = (1 - alpha) * (e->var + d * inc);
	}
	if (e->samples < UINT32_MAX)
		e->samples++;
}

double xw_ewma_band(const struct xw_ewma *e, double k)
{
	/* Rounding can leave var a hair under 0 when it should be 0. */
	return e->mean + k * sqrt(e->var > 0 ? e->var : 0);
}

bool xw_ewma_warm(const struct xw_ewma *e, uint32_t min_samples)
{
	return e->samples >= min_samples;
}
