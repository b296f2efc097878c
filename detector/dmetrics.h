/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * dmetrics.h - the detector's Prometheus snapshot (xdpwatch_detector_*),
 * formatted from the modules' stats by the main loop and served by
 * common/metrics.c.
 *
 *   xw_dmetrics_format(b, src)
 */
#ifndef XW_DMETRICS_H
#define XW_DMETRICS_H

#include "attacks.h"
#include "dtable.h"
#include "ingest.h"
#include "metrics.h"
#include "publish.h"

struct xw_dmetrics_src {
	const char *detector_id;
	const struct xw_ingest_stats *ingest;
	const struct xw_dtable_stats *table;
	const struct xw_attacks_stats *attacks;
	const struct xw_publisher_stats *publish;
	int64_t lag; /* negative: unknown */
	uint64_t wrong_schema;
	double start_time_s;
};

void xw_dmetrics_format(struct xw_prom_buf *b, const struct xw_dmetrics_src *s);

#endif /* XW_DMETRICS_H */
