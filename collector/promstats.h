/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * promstats.h - the collector's Prometheus snapshot: every counter it
 * holds, formatted by common/metrics.h helpers as xdpwatch_collector_*.
 *
 *   xw_promstats__format(buf, src)
 *       append one complete snapshot to buf; buf->err says whether it
 *       is whole. Reads the interfaces' maps (exact counters, rules) and
 *       the modules' stats; the main loop calls it, never another thread.
 *
 * Per-rule hit counters are series whose number the operator does not
 * control (one per verdict), so only the rule_series_max rules with the
 * most hit packets per interface get them; every rule is still counted
 * in xdpwatch_collector_rules.
 */
#ifndef XW_PROMSTATS_H
#define XW_PROMSTATS_H

#include "attach.h"
#include "kafka.h"
#include "metrics.h"
#include "output.h"
#include "verdicts.h"

struct xw_promstats_src {
	const char *host_id;
	const struct xw_iface *ifaces;
	int n;
	const struct xw_output *out; /* records written when out->f */
	/* Each may be NULL: that part is not configured. */
	struct xw_producer *features;
	const char *features_topic;
	const struct xw_producer_stats *rulestats;
	const char *rulestats_topic;
	const struct xw_verdicts *verdicts;
	unsigned int rule_series_max;
	double start_time_s; /* wall clock, seconds since the epoch */
	double snapshot_s; /* how long the previous snapshot took to build */
};

void xw_promstats__format(struct xw_prom_buf *b,
			  const struct xw_promstats_src *src);

#endif /* XW_PROMSTATS_H */
