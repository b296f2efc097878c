// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* promstats.c - see promstats.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "counters.h"
#include "log.h"
#include "names.h"
#include "promstats.h"
#include "rules.h"
#include "verdict.h"

#define P "xdpwatch_collector_"

static const char *const rule_action_names[] = {
	[XW_RULE_DROP] = "drop",
	[XW_RULE_MONITOR] = "monitor",
	[XW_RULE_RATE_LIMIT] = "rate_limit",
};
#define RULE_ACTIONS 3

static const char *const origin_names[] = {
	[XW_ORIGIN_LOCAL] = "local",
	[XW_ORIGIN_VERDICT] = "verdict",
};
#define ORIGINS 2

/*
 * One metric with a single sample: most of the collector's. Without a
 * value (that part is not configured) only HELP and TYPE are written: the
 * output names every metric the collector has, whatever its settings, so
 * dashboards and their checks can rely on it.
 */
static void one(struct xw_prom_buf *b, const char *name, enum xw_prom_type t,
		const char *help, const char *const *labels, const uint64_t *v)
{
	xw_prom_metric(b, name, t, help);
	if (v)
		xw_prom_sample_u64(b, name, labels, *v);
}

/*
 * A slot the program can count into: IPv4 has no ICMPv6, IPv6 no ICMP,
 * and a frame that is not IP has no L4. Others are shown only if they
 * count something, so a surprise still shows up.
 */
static bool slot_expected(unsigned int ipver, unsigned int l4)
{
	if (ipver == XW_IPVER_NONE)
		return l4 == XW_L4_OTHER;
	if (ipver == XW_IPVER_4)
		return l4 != XW_L4_ICMPV6;
	return l4 != XW_L4_ICMP;
}

static void traffic(struct xw_prom_buf *b, const struct xw_iface *ifaces,
		    const struct xw_counters *c, const bool *ok, int n, bool bytes)
{
	const char *name = bytes ? P "bytes_total" : P "packets_total";

	xw_prom_metric(b, name, XW_PROM_COUNTER,
		       bytes ? "Bytes of the frames the XDP program saw (from the Ethernet header on), by IP version, L4 protocol and the action taken; exact, not sampled." :
			       "Packets the XDP program saw, by IP version, L4 protocol and the action taken (pass, drop, monitor: matched a count-only or rate-limit rule and passed, allow: matched a rule but allowlisted); exact, not sampled.");
	for (int i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		for (unsigned int v = 0; v < XW_IPVER_COUNT; v++)
			for (unsigned int l = 0; l < XW_L4_COUNT; l++)
				for (unsigned int a = 0; a < XW_ACT_COUNT; a++) {
					const struct xw_counter *t =
						&c[i].traffic[XW_TRAFFIC_IDX(v, l, a)];

					if (!t->packets && !slot_expected(v, l))
						continue;
					xw_prom_sample_u64(b, name,
						XW_PROM_LABELS("interface", ifaces[i].key,
							       "ip_version", xw_ipver_name(v),
							       "l4", xw_l4_class_name(l),
							       "action", xw_action_name(a)),
						bytes ? t->bytes : t->packets);
				}
	}
}

static void event(struct xw_prom_buf *b, const struct xw_iface *ifaces,
		  const struct xw_counters *c, const bool *ok, int n,
		  const char *name, const char *help, unsigned int ev)
{
	xw_prom_metric(b, name, XW_PROM_COUNTER, help);
	for (int i = 0; i < n; i++)
		if (ok[i])
			xw_prom_sample_u64(b, name,
					   XW_PROM_LABELS("interface", ifaces[i].key),
					   c[i].events[ev]);
}

static void interfaces(struct xw_prom_buf *b, const struct xw_iface *ifaces,
		       int n)
{
	struct xw_counters *c = calloc((size_t)n ? (size_t)n : 1, sizeof(*c));
	bool ok[XW_CFG_LIST_MAX] = { 0 };

	if (!c) {
		b->err = -ENOMEM;
		return;
	}
	/* An interface whose maps cannot be read is left out of this
	 * snapshot, not shown as zero: a counter must never go back. */
	for (int i = 0; i < n && i < XW_CFG_LIST_MAX; i++)
		ok[i] = xw_counters__read(&ifaces[i].maps, &c[i]) == 0;
	traffic(b, ifaces, c, ok, n, false);
	traffic(b, ifaces, c, ok, n, true);

	xw_prom_metric(b, P "parse_errors_total", XW_PROM_COUNTER,
		       "Packets the parser could not read to the end, by reason; never dropped for it.");
	for (int i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		for (unsigned int ev = XW_EV_NONE + 1; ev < XW_EV_PARSE_ERROR_END; ev++)
			xw_prom_sample_u64(b, P "parse_errors_total",
					   XW_PROM_LABELS("interface", ifaces[i].key,
							  "reason", xw_event_name(ev)),
					   c[i].events[ev]);
	}
	event(b, ifaces, c, ok, n, P "records_sampled_total",
	      "Feature records the XDP program wrote to its ring buffer.",
	      XW_EV_RECORD_SAMPLED);
	event(b, ifaces, c, ok, n, P "ringbuf_lost_records_total",
	      "Feature records lost because the ring buffer was full (the drain fell behind).",
	      XW_EV_RECORD_LOST_RINGBUF_FULL);
	event(b, ifaces, c, ok, n, P "rule_expired_hits_total",
	      "Packets that matched a deny rule whose TTL had passed (passed; the collector removes such rules).",
	      XW_EV_RULE_EXPIRED_HIT);
	event(b, ifaces, c, ok, n, P "rule_l4_misses_total",
	      "Packets whose source matched a rule but not its protocol or ports.",
	      XW_EV_RULE_L4_MISS);
	event(b, ifaces, c, ok, n, P "tunnel_decapsulated_packets_total",
	      "Packets classified by the inner headers of a VXLAN, Geneve, GRE or IP-in-IP tunnel.",
	      XW_EV_TUNNEL_DECAP);
	free(c);
}

struct rule_walk {
	unsigned int count[ORIGINS][RULE_ACTIONS];
	struct xw_rule_view *top; /* the max rules with the most hits */
	unsigned int ntop, max;
};

static int by_packets_desc(const void *a, const void *b)
{
	const struct xw_rule_view *x = a, *y = b;

	if (x->hits.packets != y->hits.packets)
		return x->hits.packets < y->hits.packets ? 1 : -1;
	return x->rule.rule_id < y->rule.rule_id ? -1 : x->rule.rule_id > y->rule.rule_id;
}

static int rule_cb(const struct xw_rule_view *v, void *ctx)
{
	struct rule_walk *w = ctx;
	unsigned int o = v->rule.origin < ORIGINS ? v->rule.origin : 0;
	unsigned int a = v->rule.action < RULE_ACTIONS ? v->rule.action : 0;
	unsigned int low = 0;

	if (v->ttl_left_s < 0)
		return 0; /* the kernel ignores it already */
	w->count[o][a]++;
	if (!w->max)
		return 0;
	/* Keep the top max by hits: fill, then replace the smallest. A
	 * linear scan: max is small and this runs once a second. */
	if (w->ntop < w->max) {
		w->top[w->ntop++] = *v;
		return 0;
	}
	for (unsigned int i = 1; i < w->ntop; i++)
		if (by_packets_desc(&w->top[i], &w->top[low]) > 0)
			low = i;
	if (by_packets_desc(v, &w->top[low]) < 0)
		w->top[low] = *v;
	return 0;
}

/* The rule's public name: the verdict's rule id, or local:N. */
static void rule_name(const struct xw_iface *it, const struct xw_rule_view *v,
		      char *buf, size_t len)
{
	struct xw_verdict_slot slot;
	uint32_t id = v->rule.rule_id;

	if (v->rule.origin == XW_ORIGIN_VERDICT &&
	    bpf_map_lookup_elem(it->maps.verdict_ids, &id, &slot) == 0) {
		slot.rule_id[sizeof(slot.rule_id) - 1] = '\0';
		snprintf(buf, len, "%s", slot.rule_id);
	} else {
		snprintf(buf, len, "local:%u", id);
	}
}

static void rules(struct xw_prom_buf *b, const struct xw_iface *ifaces, int n,
		  unsigned int max)
{
	struct rule_walk *w = calloc((size_t)n ? (size_t)n : 1, sizeof(*w));
	bool ok[XW_CFG_LIST_MAX] = { 0 };

	if (!w) {
		b->err = -ENOMEM;
		return;
	}
	for (int i = 0; i < n && i < XW_CFG_LIST_MAX; i++) {
		w[i].max = max;
		w[i].top = max ? calloc(max, sizeof(*w[i].top)) : NULL;
		ok[i] = (!max || w[i].top) &&
			xw_rules__foreach(&ifaces[i].maps, rule_cb, &w[i]) >= 0;
		qsort(w[i].top, w[i].ntop, sizeof(*w[i].top), by_packets_desc);
	}
	xw_prom_metric(b, P "rules", XW_PROM_GAUGE,
		       "Live deny rules in the XDP maps, by who wrote them (local: the CLI, verdict: the collector from the verdict topic) and action.");
	for (int i = 0; i < n; i++)
		for (unsigned int o = 0; ok[i] && o < ORIGINS; o++)
			for (unsigned int a = 0; a < RULE_ACTIONS; a++)
				xw_prom_sample_u64(b, P "rules",
						   XW_PROM_LABELS("interface", ifaces[i].key,
								  "origin", origin_names[o],
								  "action", rule_action_names[a]),
						   w[i].count[o][a]);
	for (int bytes = 0; bytes < 2; bytes++) {
		const char *name = bytes ? P "rule_hit_bytes_total" : P "rule_hit_packets_total";

		xw_prom_metric(b, name, XW_PROM_COUNTER,
			       bytes ? "Bytes that matched the rule, for the rules with the most hit packets (metrics.rule_series_max per interface)." :
				       "Packets that matched the rule, for the rules with the most hit packets (metrics.rule_series_max per interface); rule is the verdict's rule id or local:N.");
		for (int i = 0; i < n; i++) {
			for (unsigned int k = 0; ok[i] && k < w[i].ntop; k++) {
				const struct xw_rule_view *v = &w[i].top[k];
				char id[XW_RULE_ID_MAX + 16];

				rule_name(&ifaces[i], v, id, sizeof(id));
				xw_prom_sample_u64(b, name,
					XW_PROM_LABELS("interface", ifaces[i].key, "rule", id,
						       "action", rule_action_names[
							       v->rule.action < RULE_ACTIONS ?
								       v->rule.action : 0]),
					bytes ? v->hits.bytes : v->hits.packets);
			}
		}
	}
	for (int i = 0; i < n; i++)
		free(w[i].top);
	free(w);
}

static void kafka(struct xw_prom_buf *b, const struct xw_producer_stats *s[2],
		  const char *topic[2])
{
	static const struct {
		const char *name, *help;
		size_t off;
		enum xw_prom_type type;
	} rows[] = {
#define R(n, f, t, h) { P "kafka_" n, h, offsetof(struct xw_producer_stats, f), t }
		R("produced_messages_total", msgs_produced, XW_PROM_COUNTER,
		  "Messages handed to the Kafka producer's queue."),
		R("produced_records_total", records_produced, XW_PROM_COUNTER,
		  "Records (feature records, rule stats) in the messages handed to the producer."),
		R("delivered_messages_total", msgs_delivered, XW_PROM_COUNTER,
		  "Messages the brokers acknowledged."),
		R("delivered_records_total", records_delivered, XW_PROM_COUNTER,
		  "Records in the messages the brokers acknowledged."),
		R("failed_messages_total", msgs_failed, XW_PROM_COUNTER,
		  "Messages that failed delivery (timed out, refused, purged at a producer restart or exit)."),
		R("failed_records_total", records_failed, XW_PROM_COUNTER,
		  "Records in the messages that failed delivery."),
		R("possibly_persisted_messages_total", msgs_possibly_persisted, XW_PROM_COUNTER,
		  "Of the failed messages, those that timed out and may be in the log all the same."),
		R("queue_full_messages_total", msgs_queue_full, XW_PROM_COUNTER,
		  "Messages dropped because the producer's local queue was full (broker away or slow)."),
		R("queue_full_records_total", records_queue_full, XW_PROM_COUNTER,
		  "Records lost in messages dropped at a full local queue."),
		R("queue_messages", queue_len, XW_PROM_GAUGE,
		  "Messages in the producer's queue, waiting for delivery."),
		R("producer_restarts_total", fatal_restarts, XW_PROM_COUNTER,
		  "Producers rebuilt after a fatal librdkafka error."),
#undef R
	};

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		xw_prom_metric(b, rows[r].name, rows[r].type, rows[r].help);
		for (int k = 0; k < 2; k++)
			if (s[k])
				xw_prom_sample_u64(b, rows[r].name,
						   XW_PROM_LABELS("topic", topic[k]),
						   *(const uint64_t *)((const char *)s[k] +
								       rows[r].off));
	}
}

/* s NULL: verdicts are off; the metrics are still named. */
static void verdicts(struct xw_prom_buf *b, const struct xw_verdicts_stats *s)
{
	uint64_t live = s ? s->live : 0, caught_up = s ? s->caught_up : 0;

	one(b, P "verdicts_received_total", XW_PROM_COUNTER,
	    "Messages read from the verdict topic (verdicts, withdrawals, tombstones).",
	    NULL, s ? &s->received : NULL);
	one(b, P "verdicts_applied_total", XW_PROM_COUNTER,
	    "Verdicts written into the XDP maps.", NULL, s ? &s->applied : NULL);
	one(b, P "verdicts_withdrawn_total", XW_PROM_COUNTER,
	    "Rules removed by a signed withdrawal or a tombstone.", NULL, s ? &s->withdrawn : NULL);
	one(b, P "verdicts_expired_total", XW_PROM_COUNTER,
	    "Verdict rules retired because their TTL passed.", NULL, s ? &s->expired : NULL);
	one(b, P "verdicts_not_targeted_total", XW_PROM_COUNTER,
	    "Valid verdicts for other hosts or groups, ignored here.", NULL,
	    s ? &s->not_targeted : NULL);
	xw_prom_metric(b, P "verdicts_refused_total", XW_PROM_COUNTER,
		       "Verdicts refused, by reason; nothing refused reaches the maps.");
	for (unsigned int r = XW_REFUSE_NONE + 1; s && r < XW_REFUSE_COUNT; r++)
		xw_prom_sample_u64(b, P "verdicts_refused_total",
				   XW_PROM_LABELS("reason", xw_refusal_name(r)),
				   s->refused[r]);
	one(b, P "verdict_rules_live", XW_PROM_GAUGE,
	    "Verdict rules in force on this host (bounded by rule_budget).", NULL,
	    s ? &live : NULL);
	one(b, P "verdicts_caught_up", XW_PROM_GAUGE,
	    "1 once the verdict topic's content at start has been read and reconciled.",
	    NULL, s ? &caught_up : NULL);
}

void xw_promstats__format(struct xw_prom_buf *b, const struct xw_promstats_src *src)
{
	const struct xw_producer_stats *ks[2] = {
		src->features ? xw_producer__stats(src->features) : NULL,
		src->rulestats,
	};
	const char *topics[2] = { src->features_topic, src->rulestats_topic };

	static const uint64_t one_ = 1;
	bool out = src->out && src->out->f;

	one(b, P "info", XW_PROM_GAUGE, "Always 1; the labels say which host this is.",
	    XW_PROM_LABELS("host_id", src->host_id), &one_);
	xw_prom_metric(b, P "start_time_seconds", XW_PROM_GAUGE,
		       "When the collector started, in seconds since the epoch.");
	xw_prom_sample(b, P "start_time_seconds", NULL, src->start_time_s);
	xw_prom_metric(b, P "metrics_snapshot_seconds", XW_PROM_GAUGE,
		       "How long the main loop took to build the previous metrics snapshot (it reads every counter and walks every rule).");
	xw_prom_sample(b, P "metrics_snapshot_seconds", NULL, src->snapshot_s);
	interfaces(b, src->ifaces, src->n);
	rules(b, src->ifaces, src->n, src->rule_series_max);
	one(b, P "output_records_written_total", XW_PROM_COUNTER,
	    "Records written as JSON lines (the output setting).", NULL,
	    out ? &src->out->written : NULL);
	one(b, P "output_records_failed_total", XW_PROM_COUNTER,
	    "Records lost to write errors on the JSON output.", NULL,
	    out ? &src->out->failed : NULL);
	kafka(b, ks, topics);
	verdicts(b, src->verdicts ? xw_verdicts__stats(src->verdicts) : NULL);
}
