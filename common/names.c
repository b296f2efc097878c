// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* names.c - see names.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const event_names[XW_EV_COUNT] = {
	[XW_EV_NONE] = "none",
	[XW_EV_ETH_TRUNC] = "eth_truncated",
	[XW_EV_VLAN_TRUNC] = "vlan_truncated",
	[XW_EV_VLAN_TOO_MANY] = "vlan_too_many_tags",
	[XW_EV_IPV4_TRUNC] = "ipv4_truncated",
	[XW_EV_IPV4_BAD_HDR] = "ipv4_bad_header",
	[XW_EV_IPV4_BAD_LEN] = "ipv4_bad_length",
	[XW_EV_IPV6_TRUNC] = "ipv6_truncated",
	[XW_EV_IPV6_BAD_HDR] = "ipv6_bad_header",
	[XW_EV_IPV6_EXT_TRUNC] = "ipv6_ext_truncated",
	[XW_EV_IPV6_EXT_TOO_MANY] = "ipv6_ext_too_many",
	[XW_EV_TCP_TRUNC] = "tcp_truncated",
	[XW_EV_TCP_BAD_DOFF] = "tcp_bad_data_offset",
	[XW_EV_UDP_TRUNC] = "udp_truncated",
	[XW_EV_ICMP_TRUNC] = "icmp_truncated",
	[XW_EV_ICMPV6_TRUNC] = "icmpv6_truncated",
	[XW_EV_TUNNEL_TRUNC] = "tunnel_truncated",
	[XW_EV_TUNNEL_UNSUPPORTED] = "tunnel_unsupported",
	[XW_EV_RECORD_SAMPLED] = "records_sampled",
	[XW_EV_RECORD_LOST_RINGBUF_FULL] = "records_lost_ringbuf_full",
	[XW_EV_RULE_EXPIRED_HIT] = "rule_expired_hits",
	[XW_EV_RULE_L4_MISS] = "rule_l4_misses",
	[XW_EV_TUNNEL_DECAP] = "tunnel_decapsulated",
};

static const char *const action_names[XW_ACT_COUNT] = {
	[XW_ACT_PASS] = "pass",
	[XW_ACT_DROP] = "drop",
	[XW_ACT_MONITOR] = "monitor",
	[XW_ACT_ALLOW] = "allow",
};

static const char *const tunnel_names[XW_TUN_COUNT] = {
	[XW_TUN_NONE] = "none",	    [XW_TUN_VXLAN] = "vxlan",
	[XW_TUN_GENEVE] = "geneve", [XW_TUN_GRE] = "gre",
	[XW_TUN_IPIP] = "ipip",
};

static const char *const l4_names[XW_L4_COUNT] = {
	[XW_L4_OTHER] = "other", [XW_L4_TCP] = "tcp",	    [XW_L4_UDP] = "udp",
	[XW_L4_ICMP] = "icmp",	 [XW_L4_ICMPV6] = "icmpv6",
};

static const char *const ipver_names[XW_IPVER_COUNT] = {
	[XW_IPVER_NONE] = "non_ip",
	[XW_IPVER_4] = "ipv4",
	[XW_IPVER_6] = "ipv6",
};

static const char *const refusal_names[XW_REFUSE_COUNT] = {
	[XW_REFUSE_NONE] = "none",
	[XW_REFUSE_MALFORMED] = "malformed",
	[XW_REFUSE_SCHEMA] = "unknown_schema",
	[XW_REFUSE_UNKNOWN_KEY] = "unknown_key",
	[XW_REFUSE_BAD_SIGNATURE] = "bad_signature",
	[XW_REFUSE_MISMATCH] = "key_mismatch",
	[XW_REFUSE_WRONG_TOPIC] = "wrong_topic",
	[XW_REFUSE_REPLAY] = "replayed_version",
	[XW_REFUSE_EXPIRED] = "expired",
	[XW_REFUSE_FUTURE] = "from_the_future",
	[XW_REFUSE_TTL] = "bad_ttl",
	[XW_REFUSE_BAD_MATCH] = "bad_match",
	[XW_REFUSE_DROP_ALL] = "drops_everything",
	[XW_REFUSE_ALLOWLISTED] = "allowlisted",
	[XW_REFUSE_BUDGET] = "over_rule_budget",
	[XW_REFUSE_MAP_FULL] = "map_full",
	[XW_REFUSE_CONFLICT] = "prefix_taken",
};

static const struct {
	const char *name;
	unsigned int proto;
} protos[] = {
	{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 },
	{ "icmpv6", 58 }, { "sctp", 132 },
};

static const char *lookup(const char *const *names, size_t n, unsigned int i)
{
	return i < n && names[i] ? names[i] : "unknown";
}

const char *xw_event_name(unsigned int ev)
{
	return lookup(event_names, ARRAY_SIZE(event_names), ev);
}

const char *xw_action_name(unsigned int act)
{
	return lookup(action_names, ARRAY_SIZE(action_names), act);
}

const char *xw_tunnel_name(unsigned int tun)
{
	return lookup(tunnel_names, ARRAY_SIZE(tunnel_names), tun);
}

const char *xw_l4_class_name(unsigned int l4)
{
	return lookup(l4_names, ARRAY_SIZE(l4_names), l4);
}

const char *xw_ipver_name(unsigned int ipver)
{
	return lookup(ipver_names, ARRAY_SIZE(ipver_names), ipver);
}

const char *xw_refusal_name(unsigned int r)
{
	return lookup(refusal_names, ARRAY_SIZE(refusal_names), r);
}

const char *xw_ipproto_name(unsigned int proto)
{
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

int xw_ipproto_parse(const char *name)
{
	char *end;
	long v;

	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (!strcasecmp(name, protos[i].name))
			return (int)protos[i].proto;
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno || end == name || *end || v < 1 || v > 255)
		return -EINVAL;
	return (int)v;
}
