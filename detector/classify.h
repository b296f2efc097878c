/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * classify.h - which attack classes one second of a destination shows.
 *
 *   xw_record_class(r, weight, &rc)
 *       a record's packet class (its enum xw_metric) and weight: computed
 *       once per record on the hot path
 *   xw_classify(w, th, base, learn, out)
 *       for every class: the rate, the threshold that applies (static,
 *       raised by the learned baseline), and whether the rate is over it.
 *       Reflection also needs replies as large as amplification makes
 *       them. Pure: unit-tested on synthetic windows.
 *   xw_spoofed(sketch, learn)    do the sources look random
 */
#ifndef XW_CLASSIFY_H
#define XW_CLASSIFY_H

#include <stdbool.h>

#include "dtable.h"
#include "ewma.h"
#include "feature_decode.h"
#include "model.h"

struct xw_learn_opts {
	double k; /* stddevs above the mean */
	double factor; /* times the mean */
	uint32_t warm_slots; /* slots of history before the baseline counts */
	/* spoofing: this many distinct sources, the top ones carrying less
	 * than top_share of the traffic */
	double spoof_sources;
	double top_share;
};

struct xw_class_eval {
	bool over;
	double rate; /* packets/s of the class */
	double threshold; /* packets/s that applied */
	bool learned; /* the baseline raised the threshold */
};

void xw_record_class(const struct xw_fb_record *r, float weight,
		     struct xw_rec_class *rc);
/* Returns how many classes are over their thresholds. */
unsigned int xw_classify(const struct xw_window *w,
			 const struct xw_thresholds *th,
			 const struct xw_ewma *base,
			 const struct xw_learn_opts *lo,
			 struct xw_class_eval out[XW_ATTACK_COUNT]);
bool xw_spoofed(const struct xw_dst_sketch *s, const struct xw_learn_opts *lo);

#endif /* XW_CLASSIFY_H */
