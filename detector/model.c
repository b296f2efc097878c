// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* model.c - the tables behind model.h. */
#include <netinet/in.h>
#include <string.h>

#include "model.h"

/*
 * Well-known reflector ports and the average reply size that marks
 * amplification rather than ordinary replies: DNS answers to plain
 * queries are mostly under 512 bytes while ANY/DNSSEC amplification sends
 * 1-4 KB; NTP monlist replies are 468 bytes; SSDP, CLDAP and memcached
 * replies run from 300 bytes to fragments of 1400; chargen fills packets.
 */
const struct xw_refl_info xw_refl_services[XW_REFL_COUNT] = {
	[XW_REFL_DNS] = { 53, 400, "dns" },
	[XW_REFL_NTP] = { 123, 200, "ntp" },
	[XW_REFL_SSDP] = { 1900, 200, "ssdp" },
	[XW_REFL_MEMCACHED] = { 11211, 400, "memcached" },
	[XW_REFL_CLDAP] = { 389, 300, "cldap" },
	[XW_REFL_CHARGEN] = { 19, 100, "chargen" },
};

static const char *const class_names[XW_ATTACK_COUNT] = {
	[XW_ATTACK_UNKNOWN] = "unknown",
	[XW_ATTACK_SYN_FLOOD] = "syn_flood",
	[XW_ATTACK_UDP_FLOOD] = "udp_flood",
	[XW_ATTACK_ICMP_FLOOD] = "icmp_flood",
	[XW_ATTACK_ICMPV6_FLOOD] = "icmpv6_flood",
	[XW_ATTACK_DNS_REFLECTION] = "dns_reflection",
	[XW_ATTACK_NTP_REFLECTION] = "ntp_reflection",
	[XW_ATTACK_SSDP_REFLECTION] = "ssdp_reflection",
	[XW_ATTACK_MEMCACHED_REFLECTION] = "memcached_reflection",
	[XW_ATTACK_CLDAP_REFLECTION] = "cldap_reflection",
	[XW_ATTACK_CHARGEN_REFLECTION] = "chargen_reflection",
	[XW_ATTACK_TCP_ACK_FLOOD] = "tcp_ack_flood",
	[XW_ATTACK_TCP_RST_FLOOD] = "tcp_rst_flood",
	[XW_ATTACK_FRAGMENT_FLOOD] = "fragment_flood",
	[XW_ATTACK_CARPET_BOMBING] = "carpet_bombing",
};

_Static_assert(XW_ATTACK_CHARGEN_REFLECTION - XW_ATTACK_DNS_REFLECTION ==
		       XW_REFL_CHARGEN,
	       "reflection classes follow enum xw_refl_service");

enum xw_metric xw_class_metric(enum xw_attack_class c)
{
	if (c >= XW_ATTACK_DNS_REFLECTION && c <= XW_ATTACK_CHARGEN_REFLECTION)
		return XW_M_REFL + (c - XW_ATTACK_DNS_REFLECTION);
	switch (c) {
	case XW_ATTACK_SYN_FLOOD:
		return XW_M_SYN;
	case XW_ATTACK_UDP_FLOOD:
		return XW_M_UDP;
	case XW_ATTACK_ICMP_FLOOD:
		return XW_M_ICMP;
	case XW_ATTACK_ICMPV6_FLOOD:
		return XW_M_ICMP6;
	case XW_ATTACK_TCP_ACK_FLOOD:
		return XW_M_ACK;
	case XW_ATTACK_TCP_RST_FLOOD:
		return XW_M_RST;
	case XW_ATTACK_FRAGMENT_FLOOD:
		return XW_M_FRAG;
	default:
		return XW_M_PKTS;
	}
}

uint8_t xw_class_l4(enum xw_attack_class c)
{
	switch (c) {
	case XW_ATTACK_SYN_FLOOD:
	case XW_ATTACK_TCP_ACK_FLOOD:
	case XW_ATTACK_TCP_RST_FLOOD:
		return IPPROTO_TCP;
	case XW_ATTACK_ICMP_FLOOD:
		return IPPROTO_ICMP;
	case XW_ATTACK_ICMPV6_FLOOD:
		return IPPROTO_ICMPV6;
	case XW_ATTACK_FRAGMENT_FLOOD:
	case XW_ATTACK_CARPET_BOMBING:
	case XW_ATTACK_UNKNOWN:
		return 0;
	default:
		return IPPROTO_UDP; /* UDP flood and every reflection */
	}
}

const char *xw_class_name(enum xw_attack_class c)
{
	return c < XW_ATTACK_COUNT && class_names[c] ? class_names[c] : "unknown";
}

int xw_class_parse(const char *name)
{
	for (int c = 1; c < XW_ATTACK_COUNT; c++)
		if (class_names[c] && !strcmp(class_names[c], name))
			return c;
	return -1;
}
