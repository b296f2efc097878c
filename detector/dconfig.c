// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* dconfig.c - the detector's settings. See dconfig.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dconfig.h"
#include "errbuf.h"

static const char *const log_levels[] = { "error", "warn", "info", "debug",
					  NULL };
static const char *const target_modes[] = { "seen", "all", NULL };

#define OFF(f) offsetof(struct xw_dconfig, f)
#define TH(cls, name, def, what)                                           \
	{ "thresholds." name, XW_OPT_INT,                                  \
	  OFF(threshold[XW_ATTACK_##cls]), 0, 1000000000, def,             \
	  .help = what " packets/s toward one address that make an attack; 0 off" }

static const struct xw_opt dconfig_opts[] = {
	{ "detector_id", XW_OPT_STRING, OFF(detector_id), .def = "",
	  .help = "this instance: the issuer of its verdicts and alerts; default detector@hostname" },
	{ "kafka", XW_OPT_KV, OFF(kafka), .def = "",
	  .help = "librdkafka properties by their own names, e.g. kafka.bootstrap.servers (required)" },
	{ "features_topic", XW_OPT_STRING, OFF(features_topic),
	  .def = "xdpwatch.features.v1", .help = "FeatureBatch messages to read" },
	{ "verdicts_topic", XW_OPT_STRING, OFF(verdicts_topic),
	  .def = "xdpwatch.verdicts.v1", .help = "the compacted verdict topic to publish on" },
	{ "alerts_topic", XW_OPT_STRING, OFF(alerts_topic),
	  .def = "xdpwatch.alerts.v1", .help = "Alert messages; empty: none" },
	{ "group_id", XW_OPT_STRING, OFF(group_id), .def = "xdpwatch-detector",
	  .help = "Kafka consumer group: instances sharing it share the feature partitions" },
	{ "kafka_check_ms", XW_OPT_INT, OFF(kafka_check_ms), 0, 600000, "10000",
	  .help = "at start, wait this long for the brokers and the topics, else refuse to start; 0 skips" },
	{ "signing_key", XW_OPT_STRING, OFF(signing_key), .def = "",
	  .help = "Ed25519 secret key file (<key id>.key, from xdpwatch keygen); empty: alerts only, no verdicts" },
	{ "alerts_json", XW_OPT_STRING, OFF(alerts_json), .def = "-",
	  .help = "alerts as JSON lines: '-' stdout, a file path (appended), or 'none'" },
	{ "log_level", XW_OPT_ENUM, OFF(log_level), .def = "info",
	  .choices = log_levels, .help = "least severe message to log" },
	{ "stats_interval_s", XW_OPT_INT, OFF(stats_interval_s), 0, 3600, "10",
	  .help = "seconds between stats lines on stderr; 0 off" },
	{ "metrics.listen", XW_OPT_STRING, OFF(metrics_listen), .def = "",
	  .help = "serve Prometheus metrics at http://ADDRESS/metrics: 127.0.0.1:9465, [::1]:9465, :9465 (every address); empty: off" },
	{ "metrics.interval_ms", XW_OPT_INT, OFF(metrics_interval_ms), 100, 60000,
	  "1000", .help = "how often the metrics snapshot is refreshed" },
	{ "detect.start_slots", XW_OPT_INT, OFF(start_slots), 1, 40, "2",
	  .help = "a class is an attack once over its threshold this many 250 ms slots in a row" },
	{ "detect.end_hold_ms", XW_OPT_INT, OFF(end_hold_ms), 0, 3600000, "10000",
	  .help = "an attack ends after this long under end_ratio_pct of its threshold" },
	{ "detect.end_ratio_pct", XW_OPT_INT, OFF(end_ratio_pct), 1, 100, "50",
	  .help = "hysteresis: the share of the threshold an attack must fall under to end" },
	{ "detect.update_ms", XW_OPT_INT, OFF(update_ms), 100, 3600000, "5000",
	  .help = "an ALERT_UPDATE this often while an attack lasts" },
	TH(SYN_FLOOD, "syn_flood", "20000", "TCP SYN (no ACK)"),
	TH(UDP_FLOOD, "udp_flood", "50000", "UDP not from a reflector port"),
	TH(ICMP_FLOOD, "icmp_flood", "10000", "ICMP"),
	TH(ICMPV6_FLOOD, "icmpv6_flood", "10000", "ICMPv6"),
	TH(DNS_REFLECTION, "dns_reflection", "10000", "UDP from port 53 (replies of 400+ bytes on average)"),
	TH(NTP_REFLECTION, "ntp_reflection", "5000", "UDP from port 123 (200+ bytes)"),
	TH(SSDP_REFLECTION, "ssdp_reflection", "5000", "UDP from port 1900 (200+ bytes)"),
	TH(MEMCACHED_REFLECTION, "memcached_reflection", "1000", "UDP from port 11211 (400+ bytes)"),
	TH(CLDAP_REFLECTION, "cldap_reflection", "5000", "UDP from port 389 (300+ bytes)"),
	TH(CHARGEN_REFLECTION, "chargen_reflection", "5000", "UDP from port 19 (100+ bytes)"),
	TH(TCP_ACK_FLOOD, "tcp_ack_flood", "50000", "TCP ACK alone without payload"),
	TH(TCP_RST_FLOOD, "tcp_rst_flood", "20000", "TCP RST"),
	TH(FRAGMENT_FLOOD, "fragment_flood", "10000", "IP fragments after the first"),
	{ "thresholds.udp_flood_bps", XW_OPT_INT, OFF(udp_flood_bps), 0,
	  INT64_MAX, "1000000000", .help = "UDP flood by volume: bits/s toward one address; 0 off" },
	{ "learn.enabled", XW_OPT_BOOL, OFF(learn), .def = "true",
	  .help = "raise thresholds to each destination's learned baseline" },
	{ "learn.k_tenths", XW_OPT_INT, OFF(learn_k_tenths), 0, 1000, "40",
	  .help = "learned threshold: mean + k standard deviations, k in tenths" },
	{ "learn.factor_pct", XW_OPT_INT, OFF(learn_factor_pct), 100, 100000, "300",
	  .help = "learned threshold: at least this percent of the mean" },
	{ "learn.alpha_permille", XW_OPT_INT, OFF(learn_alpha_permille), 1, 1000,
	  "5", .help = "EWMA weight of each 250 ms slot, per mille (5: about a minute of memory)" },
	{ "learn.warm_s", XW_OPT_INT, OFF(learn_warm_s), 0, 86400, "60",
	  .help = "seconds of history before a baseline counts" },
	{ "spoof.sources", XW_OPT_INT, OFF(spoof_sources), 1, 1000000000, "256",
	  .help = "sources look spoofed from this many distinct per second..." },
	{ "spoof.top_share_pct", XW_OPT_INT, OFF(spoof_top_share_pct), 1, 100, "50",
	  .help = "...with the top 8 carrying less than this percent" },
	{ "carpet.prefix_v4", XW_OPT_INT, OFF(carpet_prefix_v4), 0, 31, "24",
	  .help = "IPv4 prefixes watched for carpet bombing; 0 off" },
	{ "carpet.prefix_v6", XW_OPT_INT, OFF(carpet_prefix_v6), 0, 127, "64",
	  .help = "IPv6 prefixes watched for carpet bombing; 0 off" },
	{ "carpet.min_destinations", XW_OPT_INT, OFF(carpet_min_destinations), 2,
	  1 << 24, "16", .help = "a prefix flood is carpet bombing when spread over this many addresses..." },
	{ "carpet.top_share_pct", XW_OPT_INT, OFF(carpet_top_share_pct), 1, 100,
	  "50", .help = "...none of them taking this percent (thresholds are the per-address ones, over the prefix)" },
	{ "groups", XW_OPT_KV, OFF(groups), .def = "",
	  .help = "threshold groups: groups.NAME.CLASS = packets/s (CLASS as in thresholds.*, or learn = true/false); unset ones are the defaults" },
	{ "group_prefixes", XW_OPT_LIST, OFF(group_prefixes), .def = "",
	  .help = "\"PREFIX=NAME\": destinations in PREFIX use group NAME (longest prefix wins)" },
	{ "verdict.ttl_s", XW_OPT_INT, OFF(verdict_ttl_s), 5, 86400, "60",
	  .help = "TTL of each verdict; renewed while the attack lasts, enforced by each host's kernel" },
	{ "verdict.renew_s", XW_OPT_INT, OFF(renew_s), 1, 86400, "20",
	  .help = "republish (and re-plan) live verdicts this often; must be under ttl_s" },
	{ "verdict.max_live_rules", XW_OPT_INT, OFF(max_live_rules), 1, 100000,
	  "256", .help = "rule budget: verdict rules live at once at most" },
	{ "verdict.target", XW_OPT_ENUM, OFF(target), .def = "seen",
	  .choices = target_modes, .help = "seen: only the hosts that saw the attack; all: every collector" },
	{ "verdict.max_sources", XW_OPT_INT, OFF(max_sources), 1, 8, "6",
	  .help = "per-source drops per attack at most (each host holds 8 rules per destination)" },
	{ "verdict.source_share_pct", XW_OPT_INT, OFF(hh_share_pct), 1, 100, "80",
	  .help = "drop per source only when the named sources carry this percent" },
	{ "verdict.source_min_share_pct", XW_OPT_INT, OFF(hh_min_share_pct), 1, 100,
	  "5", .help = "never name a source carrying less than this percent" },
	{ "verdict.port_share_pct", XW_OPT_INT, OFF(port_share_pct), 1, 100, "80",
	  .help = "a rate limit names the destination port carrying this percent" },
	{ "verdict.rate_limit_pct", XW_OPT_INT, OFF(rate_limit_pct), 1, 10000,
	  "100", .help = "rate limits pass this percent of the threshold" },
	{ "verdict.allowlist", XW_OPT_LIST, OFF(allowlist), .def = "",
	  .help = "prefixes never named as a source in a verdict" },
	{ "table.max_destinations", XW_OPT_INT, OFF(max_destinations), 1024,
	  100000000, "1000000", .help = "destinations tracked at most; records for more are counted as untracked" },
	{ "table.max_heavy", XW_OPT_INT, OFF(max_heavy), 16, 10000000, "8192",
	  .help = "busy destinations with sketches at most" },
	{ "table.watch_pps", XW_OPT_INT, OFF(watch_pps), 1, 1000000000, "1000",
	  .help = "a destination this busy gets sketches (sources, ports); keep under every threshold" },
	{ "table.idle_s", XW_OPT_INT, OFF(idle_s), 1, 86400, "60",
	  .help = "a destination without records this long is forgotten" },
	{ "table.max_hosts", XW_OPT_INT, OFF(max_hosts), 1, 65535, "65535",
	  .help = "collector hosts tracked at most" },
	XW_OPT_END,
};
#undef TH
#undef OFF

void xw_dconfig_defaults(struct xw_dconfig *c)
{
	memset(c, 0, sizeof(*c));
	xw_config_defaults(dconfig_opts, c);
}

int xw_dconfig_load(struct xw_dconfig *c, const char *path, char *err,
		    size_t errlen)
{
	c->path = path;
	return xw_config_load_file(dconfig_opts, c, path, err, errlen);
}

int xw_dconfig_load_string(struct xw_dconfig *c, const char *text,
			   const char *name, char *err, size_t errlen)
{
	c->path = name;
	return xw_config_load_string(dconfig_opts, c, text, name, err, errlen);
}

int xw_dconfig_set(struct xw_dconfig *c, const char *kv, char *err,
		   size_t errlen)
{
	return xw_config_set(dconfig_opts, c, kv, err, errlen);
}

void xw_dconfig_help(FILE *out)
{
	xw_config_help(dconfig_opts, out);
}

/* "file:line: " for a setting that came from the file. */
static const char *where(const struct xw_dconfig *c, unsigned int line,
			 char *buf, size_t len)
{
	if (line && c->path)
		snprintf(buf, len, "%s:%u: ", c->path, line);
	else
		buf[0] = '\0';
	return buf;
}

static int group_find(const struct xw_dconfig *c, const char *name)
{
	for (unsigned int g = 0; g < c->ngroups; g++)
		if (!strcmp(c->group_name[g], name))
			return (int)g;
	return -1;
}

static int build_groups(struct xw_dconfig *c, char *err, size_t errlen)
{
	struct xw_thresholds *def = &c->groups_th[0];
	char at[XW_CFG_STR_MAX + 16];

	memset(def, 0, sizeof(*def));
	for (int k = 1; k < XW_ATTACK_COUNT; k++)
		def->pps[k] = (double)c->threshold[k];
	def->udp_bps = (double)c->udp_flood_bps;
	def->learn = c->learn;
	snprintf(c->group_name[0], sizeof(c->group_name[0]), "default");
	c->ngroups = 1;
	c->nprefixes = 0; /* built afresh: finish may run again */
	for (unsigned int i = 0; i < c->groups.count; i++) {
		const char *key = c->groups.key[i], *value = c->groups.value[i];
		const char *dot = strchr(key, '.');
		char name[XW_CFG_ITEM_MAX];
		int g, cls;
		uint64_t v;
		char why[128];

		where(c, c->groups.line[i], at, sizeof(at));
		if (!dot || dot == key || (size_t)(dot - key) >= sizeof(name))
			return xw_err(err, errlen, -EINVAL,
				      "%sgroups.%s: expected groups.NAME.CLASS = packets/s",
				      at, key);
		memcpy(name, key, dot - key);
		name[dot - key] = '\0';
		g = group_find(c, name);
		if (g < 0) {
			if (c->ngroups >= XW_GROUPS_MAX)
				return xw_err(err, errlen, -E2BIG, "%sgroups: more than %d groups",
					      at, XW_GROUPS_MAX - 1);
			g = (int)c->ngroups++;
			snprintf(c->group_name[g], sizeof(c->group_name[g]), "%s", name);
			c->groups_th[g] = *def;
		}
		if (!strcmp(dot + 1, "learn")) {
			if (strcmp(value, "true") && strcmp(value, "false"))
				return xw_err(err, errlen, -EINVAL,
					      "%sgroups.%s: expects true or false", at, key);
			c->groups_th[g].learn = !strcmp(value, "true");
			continue;
		}
		if (xw_uint_parse(value, 0, 1000000000000ULL, &v, why, sizeof(why)))
			return xw_err(err, errlen, -EINVAL, "%sgroups.%s: %s", at,
				      key, why);
		if (!strcmp(dot + 1, "udp_flood_bps")) {
			c->groups_th[g].udp_bps = (double)v;
			continue;
		}
		cls = xw_class_parse(dot + 1);
		if (cls <= 0 || cls == XW_ATTACK_CARPET_BOMBING)
			return xw_err(err, errlen, -EINVAL,
				      "%sgroups.%s: '%s' is not a class of thresholds.* (see --help)",
				      at, key, dot + 1);
		c->groups_th[g].pps[cls] = (double)v;
	}
	for (unsigned int i = 0; i < c->group_prefixes.count; i++) {
		const char *item = c->group_prefixes.item[i];
		const char *eq = strchr(item, '=');
		char text[XW_CFG_ITEM_MAX], why[128];
		int g;

		if (!eq || eq == item || !eq[1])
			return xw_err(err, errlen, -EINVAL,
				      "group_prefixes: '%s' is not PREFIX=GROUP", item);
		memcpy(text, item, eq - item);
		text[eq - item] = '\0';
		if (xw_prefix_parse(text, &c->prefix[c->nprefixes], why, sizeof(why)))
			return xw_err(err, errlen, -EINVAL, "group_prefixes: '%s': %s",
				      item, why);
		g = group_find(c, eq + 1);
		if (g < 0)
			return xw_err(err, errlen, -EINVAL,
				      "group_prefixes: '%s': no group '%s' under groups",
				      item, eq + 1);
		c->prefix_group[c->nprefixes++] = (uint16_t)g;
	}
	return 0;
}

int xw_dconfig_finish(struct xw_dconfig *c, char *err, size_t errlen)
{
	char why[128];
	int ret;

	if (!xw_cfg_kv_get(&c->kafka, "bootstrap.servers"))
		return xw_err(err, errlen, -EINVAL,
			      "kafka.bootstrap.servers is not set: the detector reads features from Kafka");
	if (c->renew_s >= c->verdict_ttl_s)
		return xw_err(err, errlen, -EINVAL,
			      "verdict.renew_s (%lld) must be under verdict.ttl_s (%lld), or verdicts lapse between renewals",
			      (long long)c->renew_s, (long long)c->verdict_ttl_s);
	ret = build_groups(c, err, errlen);
	if (ret)
		return ret;
	c->nallow = 0;
	for (unsigned int i = 0; i < c->allowlist.count; i++)
		if (xw_prefix_parse(c->allowlist.item[i], &c->allow[c->nallow++],
				    why, sizeof(why)))
			return xw_err(err, errlen, -EINVAL, "verdict.allowlist: '%s': %s",
				      c->allowlist.item[i], why);
	return 0;
}

uint16_t xw_dconfig_group_of(const struct xw_dconfig *c,
			     const struct xw_dkey *k)
{
	struct xw_prefix p = { .family = k->family == 6 ? AF_INET6 : AF_INET,
			       .len = k->len };
	int best = -1;

	memcpy(p.addr, k->addr, sizeof(p.addr));
	for (unsigned int i = 0; i < c->nprefixes; i++)
		if (xw_prefix_contains(&c->prefix[i], &p) &&
		    (best < 0 || c->prefix[i].len > c->prefix[best].len))
			best = (int)i;
	return best < 0 ? 0 : c->prefix_group[best];
}
