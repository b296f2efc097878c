/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * top_model.h - what `xdpwatch top` shows, computed and formatted without
 * touching a map, a socket or the terminal, so that all of it is unit
 * tested (tests/unit/test_top.c); cli/top.c feeds it and draws.
 *
 *   Rates
 *     xw_top_rate(prev, cur, dt_ns, &rate)   packets/s and bits/s between
 *                                            two cumulative counters
 *     xw_top_iface__update(i, counters, now_ns)  a new snapshot; rates
 *                                            against the one before
 *     xw_top_rules__update(t, now_ns)        hits/s of each rule from the
 *                                            previous refresh's hits
 *   Heavy hitters (sampled records from the feature topic)
 *     xw_hh__init(h, origin_ns, width_ns), xw_hh__free(h)
 *     xw_hh__add(h, t_ns, family, src, dst, weight, bytes)
 *         one record into the event-time window it belongs to
 *     xw_hh__close(h, idx, &view, n)   window idx's top n sources and
 *                                      destinations; later windows stay
 *   Attacks (Alert messages)
 *     xw_top_alert_decode(buf, len, &a)   one xdpwatch.v1.Alert
 *     xw_top_attacks__apply(t, a)         start/update/end into the list
 *     xw_top_attacks__expire(t, now_ns)   ended ones after a while, and
 *                                         ones no detector speaks of
 *   Output
 *     xw_fmt_si(v, buf, len)        "999", "1.23k", "45.6M"
 *     xw_fmt_age(s, buf, len)       "42s", "4m03s", "2h05m", "3d04h"
 *     xw_top_render(t, &lines)      the text frame, one string a line
 *     xw_top_fit(line, width, buf, len)   cut to the terminal's width
 *     xw_top_json(t, f)             the same frame as one JSON object
 */
#ifndef XW_TOP_MODEL_H
#define XW_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules.h"
#include "xdpwatch_shared.h"

#define XW_TOP_IFNAME_MAX 64
#define XW_TOP_TOP_MAX 64 /* heavy hitters shown, at most */
/* Heavy-hitter windows open at once: records arrive up to the settle
 * time (1 s) after their window, ten windows at the shortest interval
 * (0.1 s); more would be counted early and left out. */
#define XW_TOP_WINDOWS 16
#define XW_TOP_ATTACK_ID_MAX 128
#define XW_TOP_ALERT_RULES 4 /* verdict ids kept per attack */
/* An ended attack stays on screen this long, marked ended. */
#define XW_TOP_ENDED_KEEP_NS (30ULL * 1000000000ULL)
/* No alert about a live attack for this long: its detector is gone. */
#define XW_TOP_SILENT_DROP_NS (120ULL * 1000000000ULL)

struct xw_rate {
	double pps;
	double bps;
};

void xw_top_rate(const struct xw_counter *prev, const struct xw_counter *cur,
		 uint64_t dt_ns, struct xw_rate *out);

struct xw_top_iface {
	char name[XW_TOP_IFNAME_MAX];
	bool present; /* its maps were read at this refresh */
	bool have_rate; /* two snapshots so far */
	uint32_t sample_rate;
	uint64_t at_ns; /* monotonic time of cur */
	struct xw_counter prev[XW_TRAFFIC_SLOTS];
	struct xw_counter cur[XW_TRAFFIC_SLOTS];
	struct xw_rate rate[XW_TRAFFIC_SLOTS];
	uint64_t dt_ns; /* between prev and cur */
};

void xw_top_iface__update(struct xw_top_iface *i,
			  const struct xw_counter cur[XW_TRAFFIC_SLOTS],
			  uint64_t now_ns);

struct xw_top_rule {
	char iface[XW_TOP_IFNAME_MAX];
	char name[64]; /* the verdict's rule id, or "" */
	struct xw_rule_view v;
	double hits_pps;
	bool have_rate;
};

/* One source or destination and its estimated rate. */
struct xw_hh_item {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint64_t pkts, bytes; /* estimates: sum of sample rates */
	struct xw_rate rate;
};

struct xw_hh_entry {
	uint8_t family; /* 0: free */
	uint8_t addr[16];
	uint64_t pkts, bytes;
};

struct xw_hh_table {
	struct xw_hh_entry *e;
	size_t cap, n;
	uint64_t full_pkts; /* estimated packets not tracked: table full */
};

struct xw_hh {
	int64_t origin_ns; /* wall clock where window 0 starts */
	uint64_t width_ns;
	int64_t next; /* windows below this are closed: their records late */
	struct {
		int64_t idx; /* -1: unused */
		struct xw_hh_table src, dst;
		uint64_t records, pkts;
	} w[XW_TOP_WINDOWS];
	/* From window 0 on (older ones are ignored): records, and those
	 * for a window already closed or too far ahead to keep. */
	uint64_t records, late, early;
};

int xw_hh__init(struct xw_hh *h, int64_t origin_ns, uint64_t width_ns);
void xw_hh__free(struct xw_hh *h);
int64_t xw_hh__window_of(const struct xw_hh *h, int64_t t_ns);
void xw_hh__add(struct xw_hh *h, int64_t t_ns, uint8_t family,
		const uint8_t *src, const uint8_t *dst, uint32_t weight,
		uint64_t bytes);

struct xw_hh_view {
	bool valid; /* a window was closed */
	int64_t start_ns, end_ns; /* wall clock */
	uint64_t records, pkts; /* sampled records, estimated packets */
	uint64_t untracked_pkts; /* tables full */
	uint64_t late, early; /* cumulative */
	size_t nsrc, ndst;
	struct xw_hh_item src[XW_TOP_TOP_MAX], dst[XW_TOP_TOP_MAX];
};

void xw_hh__close(struct xw_hh *h, int64_t idx, struct xw_hh_view *v,
		  size_t n);

/* What top keeps of an attack, from its latest alert. */
struct xw_top_attack {
	char id[XW_TOP_ATTACK_ID_MAX];
	int phase; /* 0 start, 1 update, 2 end (AlertPhase) */
	int cls, vector; /* AttackClass */
	char victim[XW_PREFIX_STRLEN];
	uint64_t time_ns, start_ns, end_ns; /* wall clock */
	uint64_t seen_ns; /* when top read the latest alert (wall clock) */
	double pps, bps, peak_pps;
	bool spoofed;
	uint64_t distinct_sources;
	unsigned int nrules;
	char rules[XW_TOP_ALERT_RULES][64];
	char mitigation[160];
	char detector[64];
};

int xw_top_alert_decode(const void *buf, size_t len, struct xw_top_attack *a);
/* "syn_flood", "dns_reflection", ...; "unknown" otherwise. */
const char *xw_top_class_name(int cls);

struct xw_top {
	/* settings */
	uint64_t interval_ns;
	size_t top_n;
	bool kafka; /* --kafka given */
	const char *kafka_bootstrap;
	const char *host_filter; /* heavy hitters of this host id only */
	char kafka_status[1040]; /* "" when fine */
	bool features_down, alerts_down; /* no reader of that topic now */
	/* state */
	uint64_t now_unix_ns;
	struct xw_top_iface *ifaces;
	size_t nifaces;
	struct xw_top_rule *rules, *prev_rules;
	size_t nrules, nprev_rules, rules_cap, prev_cap;
	uint64_t rules_at_ns, prev_rules_at_ns;
	struct xw_hh_view hh;
	struct xw_top_attack *attacks;
	size_t nattacks, attacks_cap;
	uint64_t alerts_read, alerts_bad, batches_read, batches_bad;
};

void xw_top__free(struct xw_top *t);
/* Room for one more rule in t->rules; NULL when out of memory. */
struct xw_top_rule *xw_top_rules__add(struct xw_top *t);
/* Start a new list of rules: the current one becomes the previous. */
void xw_top_rules__begin(struct xw_top *t);
void xw_top_rules__update(struct xw_top *t, uint64_t now_ns);
int xw_top_attacks__apply(struct xw_top *t, const struct xw_top_attack *a);
void xw_top_attacks__expire(struct xw_top *t, uint64_t now_unix_ns);

const char *xw_fmt_si(double v, char *buf, size_t len);
const char *xw_fmt_age(int64_t s, char *buf, size_t len);

struct xw_lines {
	char **line;
	size_t n, cap;
};

int xw_lines__addf(struct xw_lines *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void xw_lines__free(struct xw_lines *l);

int xw_top_render(const struct xw_top *t, struct xw_lines *out);
const char *xw_top_fit(const char *line, size_t width, char *buf, size_t len);
void xw_top_json(const struct xw_top *t, FILE *f);

#endif /* XW_TOP_MODEL_H */
