// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* rulestats.c - see rulestats.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "kafka.h"
#include "log.h"
#include "names.h"
#include "rules.h"
#include "rulestats.h"
#include "verdict.h"
#include "xdpwatch/v1/verdicts.pb-c.h"

#define MAX_STATS 4096 /* rules reported per message, per host */

struct xw_rulestats {
	struct xw_producer *producer;
	char host_id[256];
	uint64_t last_unix_ns;
	/* Totals at the last report, by interface and rule id, to report
	 * the interval's share. */
	struct xw_counter *prev[XW_CFG_LIST_MAX];
	int nprev;
};

struct collect {
	struct xw_rulestats *rs;
	const struct xw_iface *it;
	struct xw_counter *prev;
	Xdpwatch__V1__RuleStat *stats;
	char (*ids)[XW_RULE_ID_MAX];
	size_t n;
};

static int collect_cb(const struct xw_rule_view *v, void *ctx)
{
	struct collect *c = ctx;
	Xdpwatch__V1__RuleStat *s;
	struct xw_verdict_slot slot;
	uint32_t id = v->rule.rule_id;

	if (c->n >= MAX_STATS || id >= XW_MAX_RULES)
		return 0;
	s = &c->stats[c->n];
	xdpwatch__v1__rule_stat__init(s);
	if (v->rule.origin == XW_ORIGIN_VERDICT &&
	    bpf_map_lookup_elem(c->it->maps.verdict_ids, &id, &slot) == 0) {
		slot.rule_id[sizeof(slot.rule_id) - 1] = '\0';
		snprintf(c->ids[c->n], XW_RULE_ID_MAX, "%s", slot.rule_id);
		s->version = slot.version;
	} else {
		snprintf(c->ids[c->n], XW_RULE_ID_MAX, "local:%u", id);
	}
	s->rule_id = c->ids[c->n];
	s->ifname = (char *)c->it->key;
	s->packets_total = v->hits.packets;
	s->bytes_total = v->hits.bytes;
	/* A reused id starts again from zero: then all of it is new. */
	s->packets = v->hits.packets >= c->prev[id].packets ?
			     v->hits.packets - c->prev[id].packets :
			     v->hits.packets;
	s->bytes = v->hits.bytes >= c->prev[id].bytes ?
			   v->hits.bytes - c->prev[id].bytes :
			   v->hits.bytes;
	c->prev[id] = v->hits;
	s->action = v->rule.action == XW_RULE_MONITOR ?
			    XDPWATCH__V1__VERDICT_ACTION__VERDICT_MONITOR :
		    v->rule.action == XW_RULE_RATE_LIMIT ?
			    XDPWATCH__V1__VERDICT_ACTION__VERDICT_RATE_LIMIT :
			    XDPWATCH__V1__VERDICT_ACTION__VERDICT_DROP;
	c->n++;
	return 0;
}

int xw_rulestats__publish(struct xw_rulestats *rs, const struct xw_iface *ifaces,
			  int n, const uint64_t refused[XW_REFUSE_COUNT])
{
	static const struct xw_kafka_header hdrs[] = {
		{ "schema", "xdpwatch.v1.RuleStats" },
		{ "schema_version", "1" },
	};
	Xdpwatch__V1__RuleStats msg = XDPWATCH__V1__RULE_STATS__INIT;
	Xdpwatch__V1__RuleStats__RefusedEntry ref[XW_REFUSE_COUNT], *refp[XW_REFUSE_COUNT];
	Xdpwatch__V1__RuleStat *ptrs[MAX_STATS];
	struct collect c = { .rs = rs };
	uint64_t now = xw_unix_ns();
	uint8_t *buf = NULL;
	size_t len, nref = 0;
	int ret = -ENOMEM;

	c.stats = calloc(MAX_STATS, sizeof(*c.stats));
	c.ids = calloc(MAX_STATS, sizeof(*c.ids));
	if (!c.stats || !c.ids)
		goto out;
	for (int i = 0; i < n && i < XW_CFG_LIST_MAX; i++) {
		if (!rs->prev[i]) {
			rs->prev[i] = calloc(XW_MAX_RULES, sizeof(*rs->prev[i]));
			if (!rs->prev[i])
				goto out;
		}
		c.it = &ifaces[i];
		c.prev = rs->prev[i];
		xw_rules__foreach(&ifaces[i].maps, collect_cb, &c);
	}
	for (size_t i = 0; i < c.n; i++)
		ptrs[i] = &c.stats[i];
	for (int r = 1; r < XW_REFUSE_COUNT; r++) {
		if (!refused || !refused[r])
			continue;
		xdpwatch__v1__rule_stats__refused_entry__init(&ref[nref]);
		ref[nref].key = (char *)xw_refusal_name(r);
		ref[nref].value = refused[r];
		refp[nref] = &ref[nref];
		nref++;
	}
	msg.schema_version = 1;
	msg.host_id = rs->host_id;
	msg.interval_start_unix_ns = rs->last_unix_ns;
	msg.interval_end_unix_ns = now;
	msg.n_rules = c.n;
	msg.rules = ptrs;
	msg.n_refused = nref;
	msg.refused = refp;
	len = xdpwatch__v1__rule_stats__get_packed_size(&msg);
	buf = malloc(len ? len : 1);
	if (!buf)
		goto out;
	xdpwatch__v1__rule_stats__pack(&msg, buf);
	ret = xw_producer__produce(rs->producer, rs->host_id, strlen(rs->host_id),
				   buf, len, (uint32_t)c.n, hdrs, 2);
	rs->last_unix_ns = now;
	xw_producer__poll(rs->producer);
out:
	free(buf);
	free(c.stats);
	free(c.ids);
	return ret;
}

const struct xw_producer_stats *xw_rulestats__stats(struct xw_rulestats *rs)
{
	return xw_producer__stats(rs->producer);
}

int xw_rulestats__new(struct xw_rulestats **out, const struct xw_cfg_kv *props,
		      const char *topic, const char *host_id, char *err,
		      size_t errlen)
{
	struct xw_rulestats *rs = calloc(1, sizeof(*rs));
	int ret;

	if (!rs)
		return -ENOMEM;
	snprintf(rs->host_id, sizeof(rs->host_id), "%s", host_id);
	rs->last_unix_ns = xw_unix_ns();
	ret = xw_producer__new(&rs->producer, props, topic, err, errlen);
	if (ret) {
		free(rs);
		return ret;
	}
	*out = rs;
	return 0;
}

void xw_rulestats__free(struct xw_rulestats *rs)
{
	if (!rs)
		return;
	xw_producer__flush(rs->producer, 2000);
	xw_producer__destroy(rs->producer);
	for (int i = 0; i < XW_CFG_LIST_MAX; i++)
		free(rs->prev[i]);
	free(rs);
}
