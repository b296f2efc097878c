// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* dmetrics.c - the detector's metrics. See dmetrics.h. */
#include "dmetrics.h"

static void one(struct xw_prom_buf *b, const char *name, enum xw_prom_type t,
		const char *help, uint64_t v)
{
	xw_prom_metric(b, name, t, help);
	xw_prom_sample_u64(b, name, XW_PROM_NO_LABELS, v);
}

#define C XW_PROM_COUNTER
#define G XW_PROM_GAUGE

void xw_dmetrics_format(struct xw_prom_buf *b, const struct xw_dmetrics_src *s)
{
	const struct xw_ingest_stats *in = s->ingest;
	const struct xw_dtable_stats *t = s->table;
	const struct xw_attacks_stats *a = s->attacks;
	const struct xw_publisher_stats *p = s->publish;

	xw_prom_metric(b, "xdpwatch_detector_info", G, "This detector instance.");
	xw_prom_sample(b, "xdpwatch_detector_info",
		       XW_PROM_LABELS("detector_id", s->detector_id), 1);
	xw_prom_metric(b, "xdpwatch_detector_start_time_seconds", G,
		       "When the detector started, Unix seconds.");
	xw_prom_sample(b, "xdpwatch_detector_start_time_seconds",
		       XW_PROM_NO_LABELS, s->start_time_s);
	one(b, "xdpwatch_detector_batches_total", C, "FeatureBatch messages read.",
	    in->batches);
	one(b, "xdpwatch_detector_records_total", C, "Feature records read.",
	    in->records);
	one(b, "xdpwatch_detector_bad_batches_total", C,
	    "Messages that were not a valid FeatureBatch (skipped).", in->bad_batches);
	one(b, "xdpwatch_detector_wrong_schema_messages_total", C,
	    "Messages whose schema header is not xdpwatch.v1.FeatureBatch (skipped).",
	    s->wrong_schema);
	one(b, "xdpwatch_detector_duplicate_batches_total", C,
	    "Batches seen again by sequence (skipped).", in->duplicate_batches);
	one(b, "xdpwatch_detector_missing_batches_total", C,
	    "Gaps in the collectors' batch sequences.", in->missing_batches);
	one(b, "xdpwatch_detector_records_late_total", C,
	    "Records older than the one-second window (not counted).", t->late);
	one(b, "xdpwatch_detector_records_untracked_total", C,
	    "Records for new destinations of a full table (not counted).",
	    t->untracked);
	one(b, "xdpwatch_detector_hosts", G, "Collector hosts heard from.", in->hosts);
	one(b, "xdpwatch_detector_destinations", G, "Destinations tracked.", t->dsts);
	one(b, "xdpwatch_detector_destinations_busy", G,
	    "Destinations with sketches (over table.watch_pps).", t->heavy);
	xw_prom_metric(b, "xdpwatch_detector_consumer_lag_records", G,
		       "Feature messages behind the end of the assigned partitions.");
	if (s->lag >= 0)
		xw_prom_sample_u64(b, "xdpwatch_detector_consumer_lag_records",
				   XW_PROM_NO_LABELS, (uint64_t)s->lag);
	one(b, "xdpwatch_detector_attacks_active", G, "Attacks going on now.",
	    a->active);
	xw_prom_metric(b, "xdpwatch_detector_attacks_started_total", C,
		       "Attacks confirmed, by class.");
	for (int c = 1; c < XW_ATTACK_COUNT; c++)
		xw_prom_sample_u64(b, "xdpwatch_detector_attacks_started_total",
				   XW_PROM_LABELS("class", xw_class_name(c)),
				   a->by_class[c]);
	one(b, "xdpwatch_detector_attacks_ended_total", C, "Attacks that ended.",
	    a->ended);
	one(b, "xdpwatch_detector_attacks_handed_over_total", C,
	    "Attacks whose partition moved to another instance.", a->forgotten);
	one(b, "xdpwatch_detector_verdicts_published_total", C,
	    "Verdicts (and renewals) handed to the producer.", a->verdicts);
	one(b, "xdpwatch_detector_withdrawals_published_total", C,
	    "Withdrawals handed to the producer.", a->withdrawals);
	one(b, "xdpwatch_detector_verdicts_not_published_total", C,
	    "Verdicts or withdrawals the producer refused.", a->publish_failed);
	one(b, "xdpwatch_detector_verdicts_over_budget_total", C,
	    "Rules not published because verdict.max_live_rules were live.",
	    a->over_budget);
	one(b, "xdpwatch_detector_verdict_rules_live", G,
	    "Verdict rules this instance keeps alive.", a->live_rules);
	one(b, "xdpwatch_detector_alerts_total", C,
	    "Alerts produced to the alerts topic.", p->alerts);
	one(b, "xdpwatch_detector_alerts_refused_total", C,
	    "Alerts the producer refused.", p->alerts_refused);
	one(b, "xdpwatch_detector_alert_json_lines_total", C,
	    "Alerts written as JSON lines.", p->json_lines);
}
