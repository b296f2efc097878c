/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ewma.h - a learned baseline: the exponentially weighted mean and
 * variance of a series (a destination's packets per window, its distinct
 * sources, ...), so "unusual" is measured against what this destination
 * usually does, not a fixed threshold.
 *
 *   xw_ewma_update(e, x, alpha)   one sample; alpha in (0, 1] is the
 *                                 weight of the newest (0.05: the last
 *                                 ~20 samples matter most). The first
 *                                 sample sets the mean, variance 0
 *   xw_ewma_band(e, k)            mean + k standard deviations
 *   xw_ewma_warm(e, min_samples)  enough samples to trust the band
 *
 * The variance is updated incrementally (Finch, "Incremental calculation
 * of weighted mean and variance", 2009): var' = (1 - a)(var + a d^2)
 * with d = x - mean, so one pass, no history.
 */
#ifndef XW_DETECT_EWMA_H
#define XW_DETECT_EWMA_H

#include <stdbool.h>
#include <stdint.h>

struct xw_ewma {
	double mean, var;
	uint32_t samples; /* stops at UINT32_MAX */
};

void xw_ewma_update(struct xw_ewma *e, double x, double alpha);
double xw_ewma_band(const struct xw_ewma *e, double k);
bool xw_ewma_warm(const struct xw_ewma *e, uint32_t min_samples);

#endif /* XW_DETECT_EWMA_H */
